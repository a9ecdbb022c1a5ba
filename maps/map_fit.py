"""Fitting a web map to its region, also inside a report's ``<iframe srcdoc>``.

Leaflet's ``fitBounds(bounds, {paddingTopLeft, paddingBottomRight})`` picks the
largest zoom at which ``bounds`` fits the map's size minus the padding. A map
inside a report frame may be created before the frame has its size (the
report's figures are still being laid out, or the frame is off screen in a
headless print): the box is then empty or smaller than the padding, the zoom
comes out NaN, Leaflet throws "Invalid LatLng object: (NaN, NaN)" and the
page's script stops -- an empty frame in the board report. :class:`FitRegion`
fits only once the map has a size (looking again every 100 ms for 10 s while it
has none: a frame's resize event does not always arrive), again when the page
has loaded and on every resize until the reader pans or zooms (without
animation, so that a print taken just after a resize shows the fitted view),
and drops the side padding (kept for the layer control and the legend)
in a frame too small for it.
"""

from __future__ import annotations

import math

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["FitRegion", "fit_region"]


class FitRegion(MacroElement):
    """Fit ``bounds`` into the map now (when it has a size), on load and on resize.

    Parameters
    ----------
    bounds : list
        ``[[south, west], [north, east]]`` in degrees.
    options : dict
        Leaflet ``fitBounds`` options with ``paddingTopLeft`` and
        ``paddingBottomRight`` (pixels, ``[x, y]``).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var bounds = {{ this.bounds|tojson }};
    var options = {{ this.options|tojson }};
    var tries = 0;
    var touched = false;  // once the reader pans or zooms, a resize keeps their view
    ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (kind) {
        map.getContainer().addEventListener(kind, function () { touched = true; });
    });
    function fit() {
        map.invalidateSize();
        if (touched) { return; }
        var size = map.getSize();
        if (!(size.x > 0 && size.y > 0)) {
            // no size yet: look again shortly (a frame's resize event may never come)
            if (tries++ < 100) { setTimeout(fit, 100); }
            return;
        }
        var side = options.paddingTopLeft[0] + options.paddingBottomRight[0];
        var top = options.paddingTopLeft[1] + options.paddingBottomRight[1];
        var roomy = size.x > side + 100 && size.y > top + 100;
        // no animation: a print or screenshot taken right after a resize shows the fitted view
        map.fitBounds(bounds, Object.assign({animate: false}, roomy ? options : {}));
    }
    fit();
    window.addEventListener("load", fit);
    window.addEventListener("resize", fit);
})();
{% endmacro %}
"""
    )

    def __init__(self, bounds, options) -> None:
        super().__init__()
        self._name = "FitRegion"
        self.bounds = bounds
        self.options = options


def fit_region(
    m,
    south: float,
    west: float,
    north: float,
    east: float,
    *,
    padding_top_left: tuple[float, float] = (0, 0),
    padding_bottom_right: tuple[float, float] = (0, 0),
) -> None:
    """Centre ``m`` on the box and add a :class:`FitRegion` for it.

    Use instead of folium's ``Map.fit_bounds``, which fits once, at once, and
    breaks the page in a frame without a size. The map's initial view (before
    the fit runs, or if the frame never gets a size) is the box's centre at
    about the zoom that shows its width in 512 pixels.
    """
    bounds = [[float(south), float(west)], [float(north), float(east)]]
    m.location = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
    span = max(bounds[1][1] - bounds[0][1], bounds[1][0] - bounds[0][0], 1e-6)
    m.options["zoom"] = int(min(18, max(1, math.floor(math.log2(360.0 / span)) + 1)))
    options = {
        "paddingTopLeft": [float(v) for v in padding_top_left],
        "paddingBottomRight": [float(v) for v in padding_bottom_right],
    }
    m.add_child(FitRegion(bounds, options))
