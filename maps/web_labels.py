"""Names and markers that stay readable at every zoom: labels, their declutter, site markers.

A province map may name hundreds of districts and draw thousands of
hospitals. Drawn all at once at the zoom that shows the whole region, the
names overlap and the markers cover the areas. The page decides again after
every zoom or pan, in its own small script:

- :class:`LabelDeclutter`: labels by priority (new sites, districts, then
  hospitals largest first); one is hidden when it would overlap a label
  already placed (a district name also when it would come closer than
  :data:`DISTRICT_GAP_PX` to one side by side) or be cut by the map's edge. On a map of more than
  :data:`ALWAYS_NAMED_DISTRICTS` districts, a district's name is also hidden
  while its district is too small on screen to hold it: the name's box must
  fit in the district's bounding box, ``w_text <= w_box`` and ``2 h_text <=
  h_box`` in screen pixels (the box is ``2**z`` times larger at zoom ``z``,
  so each name appears once the map is zoomed in far enough for it). Maps
  with few districts name them all, at every zoom, as before.
  The map's own panels (every Leaflet control: zoom buttons, layer control,
  legends, the inequity box, scale, attribution) count as placed boxes, with
  :data:`CONTROL_GAP_PX` pixels kept clear around them: a site name that would
  fall under one goes to the other side of its marker, or is hidden while
  neither side is clear; a district name under one is hidden.
- :class:`SiteLabels`: permanent small names of sites.
- :class:`SiteMarkers`: many sites drawn from one compact array. Existing
  sites shrink when they would crowd: with ``d`` the median distance from a
  site to its nearest neighbour (metres), ``m(z) = 40,075,017 cos(lat) / (256
  2^z)`` metres per pixel at zoom ``z`` and ``r`` the median marker radius,
  each existing marker is drawn ``min(1, CROWD_SHARE d / (m(z) r))`` times
  its size (never under :data:`MIN_RADIUS_PX`), so a typical marker's
  radius stays under ``CROWD_SHARE`` of the typical gap. New sites keep
  their size.

Every text is escaped before it reaches the page (the scripts put it into
``innerHTML``).
"""

from __future__ import annotations

import numpy as np
from branca.element import MacroElement
from jinja2 import Template
from scipy.spatial import cKDTree

__all__ = [
    "ALWAYS_NAMED_DISTRICTS",
    "CONTROL_GAP_PX",
    "CROWD_SHARE",
    "DISTRICT_GAP_PX",
    "MIN_RADIUS_PX",
    "LabelDeclutter",
    "SiteLabels",
    "SiteMarkers",
    "district_label_rows",
    "marker_spacing_m",
]

#: maps with at most this many districts name every district at every zoom
ALWAYS_NAMED_DISTRICTS = 30

#: a typical existing-site marker's radius stays under this share of the typical gap
CROWD_SHARE = 0.35

#: every label keeps this many pixels clear of the map's panels (Leaflet controls)
CONTROL_GAP_PX = 4

#: a district name keeps this many pixels left and right clear of names already placed
DISTRICT_GAP_PX = 8

#: existing-site markers never shrink under this radius (pixels)
MIN_RADIUS_PX = 2.0

#: metres per degree of latitude (mean; for spacing in a local equirectangular frame)
M_PER_DEG = 111_195.0


def district_label_rows(names, spots, boxes) -> list:
    """Rows ``[name, lat, lon, south, west, north, east]`` of the district names.

    Parameters
    ----------
    names : sequence of str
        Escaped names.
    spots : sequence of shapely Point
        Where each name goes (WGS 84).
    boxes : array (n, 4)
        ``minx, miny, maxx, maxy`` of each district (WGS 84).
    """
    return [
        [n, round(p.y, 5), round(p.x, 5), *(round(float(v), 5) for v in (b[1], b[0], b[3], b[2]))]
        for n, p, b in zip(names, spots, np.asarray(boxes), strict=True)
    ]


def marker_spacing_m(lat, lon) -> float:
    """Median distance (metres) from a site to its nearest other site; 0 for fewer than two.

    Distances in a local equirectangular frame (longitudes scaled by the
    cosine of the mean latitude): exact enough at region scale.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    if lat.size < 2:
        return 0.0
    xy = np.c_[lon * np.cos(np.radians(lat.mean())), lat] * M_PER_DEG
    dist, _ = cKDTree(xy).query(xy, k=2)
    return float(np.median(dist[:, 1]))


class LabelDeclutter(MacroElement):
    """Hide labels that would overlap a more important one (re-checked after every move).

    Priority: new-site names, then district names, then hospital names in the
    order they were added (largest first). A site name goes right of its
    marker, else left; a name that fits neither (or would be cut by the map's
    edge, or fall under one of the map's panels) is hidden until a move makes
    room for it. The panels (``.leaflet-control`` boxes) are measured again
    on every pass, so a legend that comes and goes with its layer counts. A district name that
    carries its district's box (``data-box``, maps of many districts) is
    shown only while it fits in that box on screen (module docstring).
    Every label is measured once per pass (one layout), then placed.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    function rank(el) {
        if (el.classList.contains("accessplan-new")) { return 0; }
        return el.classList.contains("accessplan-district-label") ? 1 : 2;
    }
    function fits(text, r) {
        var box = text.getAttribute && text.getAttribute("data-box");
        if (!box) { return true; }
        var b = box.split(",").map(Number);
        var sw = map.latLngToContainerPoint([b[0], b[1]]);
        var ne = map.latLngToContainerPoint([b[2], b[3]]);
        return r.width <= Math.abs(ne.x - sw.x) && 2 * r.height <= Math.abs(sw.y - ne.y);
    }
    function declutter() {
        var pane = map.getPane("accessplan-labels");
        if (!pane) { return; }
        var els = Array.prototype.slice.call(pane.querySelectorAll(
            ".accessplan-site-label, .accessplan-district-label"));
        els.forEach(function (el) {
            el.style.visibility = "";
            el.classList.remove("accessplan-left");
        });
        var items = els.map(function (el, i) {
            var text = el.firstChild || el;
            return {rank: rank(el), i: i, el: el, text: text, r: text.getBoundingClientRect()};
        });
        items.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
        var placed = [], box = map.getContainer().getBoundingClientRect();
        var panels = [], gap = {{ this.control_gap_px }};
        map.getContainer().querySelectorAll(".leaflet-control").forEach(function (el) {
            var q = el.getBoundingClientRect();  // the map's own boxes: legends, layer control
            if (q.width > 0 && q.height > 0) { panels.push(q); }
        });
        function free(r, pad) {
            var inside = r.left >= box.left && r.right <= box.right &&
                         r.top >= box.top && r.bottom <= box.bottom;
            return inside && !placed.some(function (q) {
                return r.left - pad < q.right && r.right + pad > q.left &&
                       r.top < q.bottom && r.bottom > q.top;
            }) && !panels.some(function (q) {
                return r.left - gap < q.right && r.right + gap > q.left &&
                       r.top - gap < q.bottom && r.bottom + gap > q.top;
            });
        }
        items.forEach(function (item) {
            var r = item.r, left = false;
            if (item.rank === 1 && !fits(item.text, r)) {
                item.el.style.visibility = "hidden";
                return;
            }
            var pad = item.rank === 1 ? {{ this.gap_px }} : 0;  // district names: a gap between
            if (!free(r, 0) && item.rank !== 1) {  // a site name: try the other side of its marker
                var shift = r.width + 18;  // CSS: 9 px right of the marker, or 9 px left
                var l = {left: r.left - shift, right: r.right - shift, top: r.top, bottom: r.bottom};
                if (free(l, 0)) { r = l; left = true; }
            }
            if (free(r, pad)) {
                placed.push(r);
                if (left) { item.el.classList.add("accessplan-left"); }
            } else {
                item.el.style.visibility = "hidden";
            }
        });
    }
    var pending = null;
    function soon() {  // a layer's legend is added after its overlayadd: measure once it is in
        if (pending === null) {
            pending = setTimeout(function () { pending = null; declutter(); }, 0);
        }
    }
    map.on("moveend resize", declutter);
    map.on("overlayadd overlayremove", soon);
    map.whenReady(soon);
    map.accessplanDeclutter = declutter;
})();
{% endmacro %}
"""
    )

    def __init__(self):
        super().__init__()
        self._name = "AccessplanDeclutter"
        self.gap_px = DISTRICT_GAP_PX
        self.control_gap_px = CONTROL_GAP_PX


class SiteLabels(MacroElement):
    """Permanent small name labels of sites (text with a white halo, never catching the mouse).

    ``labels`` rows are ``[escaped text, lat, lon, is_new]``; new sites' labels
    are bold. ``show`` False leaves the layer off (a layer control can show it).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    if (!map.getPane("accessplan-labels")) {
        map.createPane("accessplan-labels").style.zIndex = 640;
        map.getPane("accessplan-labels").style.pointerEvents = "none";
    }
    var group = L.featureGroup();
    var siteNames = {{ this.labels|tojson }};
    siteNames.forEach(function (s) {
        L.marker([s[1], s[2]], {interactive: false, keyboard: false, pane: "accessplan-labels",
            icon: L.divIcon({className: "accessplan-site-label" + (s[3] ? " accessplan-new" : ""),
                             html: "<span>" + s[0] + "</span>", iconSize: [0, 0]})}).addTo(group);
    });
    {% if this.show %}group.addTo(map);{% endif %}
    map.accessplanLabels = map.accessplanLabels || {};
    map.accessplanLabels[{{ this.title|tojson }}] = group;
})();
{% endmacro %}
"""
    )

    def __init__(self, labels, *, title="Labels", show=True):
        super().__init__()
        self._name = "AccessplanSiteLabels"
        self.labels = [list(x) for x in labels]
        self.title = title
        self.show = bool(show)


class SiteMarkers(MacroElement):
    """Many sites as circle markers drawn from ONE compact array (a loop in the page).

    ``rows`` are ``[lat, lon, radius_px, is_new, tooltip_html]`` (the tooltip
    already escaped); ``colors`` the fills of existing and new sites. New
    sites get a thick black outline, existing ones a thin white one, as the
    folium markers of small maps. Existing sites shrink at zooms where they
    would crowd (module docstring); ``spacing_m`` and ``radius_px`` are the
    median gap and radius that rule uses.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var group = {{ this._parent.get_name() }};
    var fills = {{ this.colors|tojson }};
    var siteRows = {{ this.rows|tojson }};
    var markers = siteRows.map(function (s) {
        return L.circleMarker([s[0], s[1]], {radius: s[2], color: s[3] ? "#000000" : "#ffffff",
            weight: s[3] ? 3 : 1, fill: true, fillColor: fills[s[3]], fillOpacity: 0.9})
            .bindTooltip(s[4]).addTo(group);
    });
    var spacing = {{ this.spacing_m|tojson }}, typical = {{ this.radius_px|tojson }};
    var lat = {{ this.lat|tojson }}, bound = null;
    function rescale() {
        var map = group._map;
        if (!map || !(spacing > 0)) { return; }
        var mpp = 40075016.686 * Math.cos(lat * Math.PI / 180) / (256 * Math.pow(2, map.getZoom()));
        var f = Math.min(1, {{ this.share }} * spacing / (mpp * typical));
        markers.forEach(function (m, i) {
            var s = siteRows[i];
            m.setRadius(s[3] ? s[2] : Math.max({{ this.min_px }}, s[2] * f));
        });
    }
    function watch() {
        if (group._map && bound !== group._map) {
            bound = group._map;
            bound.on("zoomend", rescale);
        }
        rescale();
    }
    group.on("add", watch);
    watch();
})();
{% endmacro %}
"""
    )

    def __init__(self, rows, *, colors):
        super().__init__()
        self._name = "AccessplanSiteMarkers"
        self.rows = [list(r) for r in rows]
        self.colors = list(colors)
        lat = np.array([r[0] for r in self.rows], dtype=float)
        lon = np.array([r[1] for r in self.rows], dtype=float)
        old = np.array([not r[3] for r in self.rows], dtype=bool)
        self.spacing_m = round(marker_spacing_m(lat, lon), 1)
        radii = np.array([r[2] for r in self.rows], dtype=float)[old]
        self.radius_px = round(float(np.median(radii)), 2) if radii.size else 1.0
        self.lat = round(float(lat.mean()), 4) if lat.size else 0.0
        self.share, self.min_px = CROWD_SHARE, MIN_RADIUS_PX
