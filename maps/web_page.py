"""Page furniture of the web maps: CSS, synchronised panels, layer control, panels.

Used by :mod:`accessplan.maps.webmap`; no folium map is built here.
"""

from __future__ import annotations

from branca.element import Element, MacroElement
from jinja2 import Template

from accessplan.data.errors import ProblemCollector
from accessplan.maps.escaping import html_text
from accessplan.maps.web_layers import HtmlControl, hatch_defs

__all__ = [
    "BACKGROUND",
    "PAGE_CSS",
    "LayerSwitch",
    "SyncViews",
    "inequity_control",
    "inequity_html",
    "map_title",
    "page_setup",
]

BACKGROUND = "#e8ecef"

INEQUITY_ROWS = (
    ("gini", "Gini", "{:.3f}"),
    ("theil", "Theil", "{:.3f}"),
    ("share_zero", "Share with zero access", "{:.1%}"),
)


class SyncViews(MacroElement):
    """JavaScript glue: two Leaflet maps follow each other's pan and zoom."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var maps = [{{ this.left.get_name() }}, {{ this.right.get_name() }}];
    var syncing = false;  // guard: a move we cause must not echo back
    function follow(source, target) {
        return function () {
            if (syncing) { return; }
            syncing = true;
            try {
                target.setView(source.getCenter(), source.getZoom(), {animate: false});
            } finally {
                syncing = false;
            }
        };
    }
    maps[0].on("move zoomend", follow(maps[0], maps[1]));
    maps[1].on("move zoomend", follow(maps[1], maps[0]));
    window.accessplanSyncedMaps = maps;
})();
{% endmacro %}
"""
    )

    def __init__(self, left, right):
        super().__init__()
        self._name = "SyncViews"
        self.left = left
        self.right = right


class LayerSwitch(MacroElement):
    """A Leaflet layer control over our folium groups, context layers and labels."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var overlays = {};
    {% for label, name in this.layers %}overlays[{{ label|tojson }}] = {{ name }};
    {% endfor %}
    [map.accessplanContext || {}, map.accessplanLabels || {}].forEach(function (more) {
        Object.keys(more).forEach(function (k) { overlays[k] = more[k]; });
    });
    L.control.layers(null, overlays, {collapsed: {{ this.collapsed|tojson }},
                                      position: "topleft"}).addTo(map);
})();
{% endmacro %}
"""
    )

    def __init__(self, layers, *, collapsed):
        super().__init__()
        self._name = "AccessplanLayers"
        self.layers = [(label, element.get_name()) for label, element in layers]
        self.collapsed = bool(collapsed)


def map_title(text) -> HtmlControl:
    """A small title box in the lower left corner."""
    return HtmlControl(
        html_text(text), position="bottomleft", css_class="accessplan-title", name="MapTitle"
    )


PAGE_CSS = f"""
<style>
.leaflet-container {{ background: {BACKGROUND}; }}
.leaflet-control-layers {{ font: 12px sans-serif; }}
.accessplan-title {{ background: rgba(255,255,255,0.9); padding: 4px 8px; border-radius: 4px;
  font: bold 14px sans-serif; }}
.accessplan-inequity, .accessplan-legend {{ background: rgba(255,255,255,0.95);
  padding: 6px 10px; border-radius: 4px; box-shadow: 0 1px 4px rgba(0,0,0,0.4);
  font: 12px sans-serif; line-height: 18px; }}
.accessplan-legend {{ max-width: 260px; }}
.accessplan-legend i, .accessplan-legend svg.accessplan-swatch {{ display: inline-block;
  width: 18px; height: 14px; margin-right: 6px; vertical-align: middle; border: 1px solid #777;
  box-sizing: border-box; }}
.accessplan-legend svg.accessplan-swatch {{ border: none; }}
.accessplan-units {{ color: #444; font-size: 11px; margin-bottom: 4px; }}
.accessplan-note {{ color: #444; font-size: 11px; line-height: 14px; margin-top: 6px;
  max-width: 240px; }}
img.accessplan-image {{ image-rendering: pixelated; }}
.accessplan-bar {{ width: 240px; height: 16px; margin: 6px 0 2px; border: 1px solid #777; }}
.accessplan-ticks {{ position: relative; width: 240px; height: 16px; font-size: 11px; }}
.accessplan-ticks span {{ position: absolute; transform: translateX(-50%); white-space: nowrap; }}
.accessplan-ticks span:first-child {{ transform: none; }}
.accessplan-ticks span:last-child {{ transform: translateX(-100%); }}
.accessplan-ends {{ display: flex; justify-content: space-between; width: 240px;
  font-size: 11px; color: #444; }}
.accessplan-inequity td, .accessplan-inequity th {{ padding: 1px 6px; text-align: right; }}
.accessplan-inequity td:first-child {{ text-align: left; }}
table.accessplan-tip th {{ text-align: left; font-weight: normal; color: #555;
  padding-right: 8px; }}
table.accessplan-tip td {{ text-align: right; font-weight: bold; }}
.accessplan-site-label span, .accessplan-district-label span {{ position: absolute;
  white-space: nowrap; font: 11px sans-serif; color: #222; line-height: 13px;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff, 0 0 1px #fff; }}
.accessplan-site-label span {{ transform: translate(9px, -50%); }}
.accessplan-site-label.accessplan-left span {{ transform: translate(calc(-100% - 9px), -50%); }}
.accessplan-site-label.accessplan-new span {{ font-weight: bold; color: #8a3b00; }}
.accessplan-district-label span {{ transform: translate(-50%, -50%); font: bold 13px sans-serif;
  color: #333; letter-spacing: 0.04em; text-transform: uppercase; opacity: 0.85; }}
</style>
"""


def page_setup(root) -> None:
    """CSS and the one "no access" hatch pattern of a page."""
    root.header.add_child(Element(PAGE_CSS), name="accessplan_css")
    root.html.add_child(Element(hatch_defs()), name="accessplan_hatch")


def inequity_html(inequity) -> str:
    table = inequity
    if "measure" in table.columns:
        table = table.set_index("measure")
    problems = ProblemCollector(what="inequity table")
    for col in ("before", "after"):
        if col not in table.columns:
            problems.add("column is missing", source="inequity", column=col)
    rows = [r for r in INEQUITY_ROWS if r[0] in table.index]
    if not rows:
        problems.add(
            "has none of the rows " + ", ".join(r[0] for r in INEQUITY_ROWS), source="inequity"
        )
    problems.raise_if_any()
    body = []
    for key, label, fmt in rows:
        before, after = float(table.at[key, "before"]), float(table.at[key, "after"])
        body.append(
            f"<tr><td>{label}</td><td>{fmt.format(before)}</td><td>{fmt.format(after)}</td></tr>"
        )
    return (
        '<div class="accessplan-inequity"><b>Inequity of access</b><table>'
        "<tr><th></th><th>before</th><th>after</th></tr>" + "".join(body) + "</table></div>"
    )


def inequity_control(inequity) -> HtmlControl:
    return HtmlControl(
        inequity_html(inequity),
        position="bottomright",
        css_class="accessplan-inequity-box",
        name="InequityPanel",
    )
