"""The Leaflet pieces of the web maps: compact area data, hatching, legends, context.

:mod:`accessplan.maps.webmap` assembles the pages; this module holds what goes
into them:

- :func:`display_geometry`: area shapes simplified for display (in metres,
  before reprojecting to WGS84) with rounded coordinates; every area keeps a
  shape;
- :class:`AreaData`: the areas of a page as ONE GeoJSON variable with short
  numeric properties (class indices, rounded values), shared by every layer
  and panel of the page (a side-by-side page used to hold the geometry twice);
- :class:`AreaLayer`: a Leaflet layer drawing that data by before / after
  class or by change colour, with a hover table;
- the "no access" hatching: one inline SVG ``<pattern>`` per page
  (:func:`hatch_defs`), referenced by exactly the zero-access areas' paths
  and by the legend swatch;
- :class:`HtmlControl`, :func:`class_legend_html`, :func:`change_bar_html`;
- :class:`ContextLayers`: roads, region outline, districts with their names
  (labels, their declutter and site markers: :mod:`accessplan.maps.web_labels`,
  re-exported here).

Every user string is escaped once with :func:`accessplan.maps.escaping.html_text`
before it enters the page; the JavaScript puts those escaped strings into
``innerHTML``. Numbers stay numbers.
"""

from __future__ import annotations

import json
import uuid

import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template

from accessplan.maps.classes import (
    NO_ACCESS_COLOR,
    NO_ACCESS_HATCH,
    NO_ACCESS_LABEL,
    NO_DATA,
    format_bounds,
)
from accessplan.maps.context import MAJOR_ROADS
from accessplan.maps.escaping import html_text
from accessplan.maps.web_labels import (
    ALWAYS_NAMED_DISTRICTS,
    LabelDeclutter,
    SiteLabels,
    SiteMarkers,
    district_label_rows,
)

__all__ = [
    "HATCH_FILL",
    "HATCH_ID",
    "AreaData",
    "AreaLayer",
    "ContextLayers",
    "DistrictSummary",
    "HtmlControl",
    "ImageLayer",
    "LabelDeclutter",
    "LayerLegend",
    "SiteLabels",
    "SiteMarkers",
    "auto_tolerance_m",
    "change_bar_html",
    "class_legend_html",
    "display_geometry",
    "geojson_text",
    "hatch_defs",
    "legend_entries",
]

#: element id of the "no access" hatch pattern (one per page)
HATCH_ID = "accessplan-no-access"
HATCH_FILL = f"url(#{HATCH_ID})"
ROADS = "#7a7a7a"
DISTRICTS = "#3b3b3b"
OUTLINE = "#111111"


# --------------------------------------------------------------------------- geometry
def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in a metre CRS (its own when projected in metres, else its UTM zone)."""
    crs = frame.crs
    if crs is not None and crs.is_projected:
        units = {(a.unit_name or "").lower() for a in crs.axis_info}
        if units <= {"metre", "meter", "m"}:
            return frame
    return frame.to_crs(frame.estimate_utm_crs())


def auto_tolerance_m(frame: gpd.GeoDataFrame) -> float:
    """A display tolerance for the extent: 1/5000 of the diagonal, between 1 and 25 m."""
    west, south, east, north = _metric(frame).total_bounds
    diagonal = float(np.hypot(east - west, north - south))
    return float(np.clip(diagonal / 5000.0, 1.0, 25.0)) if np.isfinite(diagonal) else 1.0


def _round(geoms: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.round(xy, decimals))


def display_geometry(frame, *, simplify_m=None, decimals: int = 5) -> np.ndarray:
    """Shapes for display: simplified in metres, in WGS84, coordinates rounded.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas (or lines) in any CRS.
    simplify_m : float, optional
        Douglas-Peucker tolerance in metres, applied in a metre CRS before
        reprojecting, keeping each shape valid (``preserve_topology``).
        Default: :func:`auto_tolerance_m` of the extent (1/5000 of its
        diagonal, 1 to 25 m). ``0`` keeps every vertex.
    decimals : int, default 5
        Decimals kept in longitude / latitude (5 is about 1 m).

    Returns
    -------
    numpy.ndarray of shapely geometries
        One per row, in EPSG:4326. A shape that simplification or rounding
        would empty (or reduce to zero area) keeps its unsimplified shape (and
        7 decimals), so no area ever vanishes from a map.
    """
    tol = auto_tolerance_m(frame) if simplify_m is None else float(simplify_m)
    metric = _metric(frame)
    original = metric.geometry.to_numpy()
    polygonal = np.isin(shapely.get_type_id(original), (3, 6))
    simple = original
    if tol > 0:
        simple = shapely.simplify(original, tol, preserve_topology=True)
        lost = shapely.is_empty(simple) | shapely.is_missing(simple)
        lost |= polygonal & (shapely.area(simple) <= 0)
        simple = np.where(lost, original, simple)
    wgs = gpd.GeoSeries(simple, crs=metric.crs).to_crs(4326).to_numpy()
    rounded = _round(wgs, int(decimals))
    # a shape that rounding empties or distorts (area off by more than 20 %: areas of a
    # few metres) keeps its own shape with 7 decimals (1 cm)
    area_in, area_out = shapely.area(wgs), shapely.area(rounded)
    lost = shapely.is_empty(rounded) | (polygonal & (np.abs(area_out - area_in) > 0.2 * area_in))
    if lost.any():
        full = gpd.GeoSeries(original, crs=metric.crs).to_crs(4326).to_numpy()
        rounded = np.where(lost, _round(full, 7), rounded)
    return rounded


def geojson_text(geoms, properties) -> str:
    """A compact GeoJSON FeatureCollection, safe inside a ``<script>``.

    Parameters
    ----------
    geoms : sequence of shapely geometries (EPSG:4326)
    properties : sequence of dict
        One JSON-serialisable dict per feature (strings already escaped).

    Returns
    -------
    str
        The FeatureCollection as JSON with every ``<`` written ``\\u003c``.
    """
    shapes = shapely.to_geojson(np.asarray(geoms, dtype=object))
    feats = [
        '{"type":"Feature","properties":'
        + json.dumps(p, separators=(",", ":"), allow_nan=False)
        + ',"geometry":'
        + g
        + "}"
        for p, g in zip(properties, shapes, strict=True)
    ]
    return ('{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}").replace(
        "<", "\\u003c"
    )


def sig(value, digits: int = 4):
    """``value`` rounded to ``digits`` significant digits (None for NaN)."""
    v = float(value)
    if not np.isfinite(v):
        return None
    return 0 if v == 0 else float(f"{v:.{digits}g}")


# --------------------------------------------------------------------------- page pieces
def hatch_defs() -> str:
    """The one hidden SVG holding the "no access" hatch pattern of a page."""
    return (
        '<svg class="accessplan-defs" width="0" height="0" aria-hidden="true" '
        'style="position:absolute;width:0;height:0"><defs>'
        f'<pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="{NO_ACCESS_COLOR}"></rect>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{NO_ACCESS_HATCH}" stroke-width="1.5"></line>'
        "</pattern></defs></svg>"
    )


class HtmlControl(MacroElement):
    """A box of HTML drawn as a Leaflet control (legends, titles, panels)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var box = L.control({position: {{ this.position|tojson }}});
    box.onAdd = function () {
        var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
        div.innerHTML = {{ this.inner|tojson }};
        L.DomEvent.disableScrollPropagation(div);
        return div;
    };
    box.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
    )

    def __init__(self, inner, *, position, css_class, name):
        super().__init__()
        self._name = name
        self.inner = inner
        self.position = position
        self.css_class = css_class


def _swatch(color: str) -> str:
    if color == HATCH_FILL:
        return (
            '<svg class="accessplan-swatch" width="18" height="14">'
            f'<rect width="18" height="14" fill="{HATCH_FILL}" stroke="#777"></rect></svg>'
        )
    return f'<i style="background:{color}"></i>'


def _note_html(note) -> str:
    return f'<div class="accessplan-note">{html_text(note)}</div>' if note else ""


def class_legend_html(caption, colors, labels, *, units=None, note=None) -> str:
    """Legend of a classification: one swatch (hatched for "no access") per class.

    ``note`` (plain text) is a small line under the classes (e.g. that the
    areas are drawn as an image, and its pixel size).
    """
    rows = "".join(
        f"<div>{_swatch(c)}{html_text(t)}</div>" for c, t in zip(colors, labels, strict=True)
    )
    sub = f'<div class="accessplan-units">{html_text(units)}</div>' if units else ""
    return f"<b>{html_text(caption)}</b>{sub}{rows}{_note_html(note)}"


def legend_entries(classes, *, scale=1.0, no_data=False):
    """Colours (the hatch for the zero class) and labels of a legend."""
    colors = list(classes.colors)
    labels = list(classes.labels(scale=scale))
    if classes.zero_class:
        colors[0] = HATCH_FILL
        labels[0] = NO_ACCESS_LABEL
    if no_data:
        colors.append(NO_DATA)
        labels.append("no score")
    return colors, labels


def change_bar_html(cmap, caption, *, scale=1.0, units=None, no_data=False, note=None) -> str:
    """A readable diverging colour bar: gradient, five ticks, loss / gain ends (and ``note``)."""
    m = float(cmap.vmax)
    stops = np.linspace(-m, m, 11)
    gradient = ", ".join(f"{cmap(s)[:7]} {10 * i}%" for i, s in enumerate(stops))
    ticks = np.array([-m, -m / 2, 0.0, m / 2, m]) * float(scale)
    texts = format_bounds(ticks, min_digits=2)
    texts = [t if t.startswith("-") or t == "0" else "+" + t for t in texts]
    tick_html = "".join(
        f'<span style="left:{p}%">{html_text(t)}</span>'
        for p, t in zip((0, 25, 50, 75, 100), texts, strict=True)
    )
    sub = f'<div class="accessplan-units">{html_text(units)}</div>' if units else ""
    extra = f"<div>{_swatch(NO_DATA)}no score</div>" if no_data else ""
    return (
        f"<b>{html_text(caption)}</b>{sub}"
        f'<div class="accessplan-bar" style="background:linear-gradient(to right, {gradient})">'
        f'</div><div class="accessplan-ticks">{tick_html}</div>'
        '<div class="accessplan-ends"><span>\u25c0 loss</span><span>gain \u25b6</span></div>'
        + extra
        + _note_html(note)
    )


# --------------------------------------------------------------------------- areas
class AreaData:
    """The areas of one page as ONE JavaScript variable, shared by its layers and panels.

    Add :meth:`element` to the page header (``root.header.add_child(...)``)
    once; :class:`AreaLayer` elements refer to the variable by name.
    """

    def __init__(self, text: str, *, n_areas: int, palette, points: bool):
        self._id = uuid.uuid4().hex
        self.text = text
        self.n_areas = int(n_areas)
        self.palette = list(palette)
        self.points = bool(points)

    def get_name(self) -> str:
        """The JavaScript variable holding the GeoJSON."""
        return f"accessplan_areas_{self._id}"

    def element(self) -> Element:
        """A ``<script>`` defining the variable (the text is safe in a script)."""
        return Element(f"<script>var {self.get_name()} = {self.text};</script>")


class AreaLayer(MacroElement):
    """One Leaflet GeoJSON layer drawing an :class:`AreaData` (by class or change colour).

    ``key`` is the property holding the class index (``"kb"``/``"ka"``) or the
    colour (``"c"``); ``fields`` lists ``[property, label, kind]`` rows of the
    hover table (kind ``"text"``, ``"int"``, ``"num"``, ``"rank"``, ``"change"``).
    ``palette`` (default: the data's access palette) colours the class indices
    of a further measure layer, classified on its own values.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var palette = {{ this.palette|tojson }};
    var fields = {{ this.fields|tojson }};
    var key = {{ this.key|tojson }};
    var n = {{ this.data.n_areas }};
    function fill(p) {
        var v = p[key];
        if (v === null || v === undefined) { return {{ this.no_data|tojson }}; }
        if (typeof v === "string") { return v; }
        if (v < 0) { return {{ this.no_data|tojson }}; }
        return palette[v];
    }
    function num(v, signed) {
        if (v === null || v === undefined) { return "no score"; }
        var t = v.toLocaleString("en-US", {maximumSignificantDigits: 4});
        return (signed && v > 0 ? "+" : "") + t;
    }
    function tip(p) {
        var rows = fields.map(function (f) {
            var v = p[f[0]], t;
            if (f[2] === "text") { t = v; }
            else if (f[2] === "int") { t = Math.round(v).toLocaleString("en-US"); }
            else if (f[2] === "rank") { t = v ? v + " of " + n : ""; }
            else { t = num(v, f[2] === "change"); }
            return "<tr><th>" + f[1] + "</th><td>" + t + "</td></tr>";
        });
        return '<table class="accessplan-tip">' + rows.join("") + "</table>";
    }
    function style(feature) {
        return {fillColor: fill(feature.properties), fillOpacity: {{ this.opacity }},
                color: "#666666", weight: {{ this.weight }}, opacity: 0.45};
    }
    var root = {{ this.map_name }};
    if (!root.getPane("accessplan-areas")) { root.createPane("accessplan-areas").style.zIndex = 350; }
    var layer = L.geoJSON({{ this.data.get_name() }}, {
        style: style,
        pane: "accessplan-areas",
        pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, {radius: {{ this.point_radius }},
                                           pane: "accessplan-areas"});
        },
        onEachFeature: function (feature, part) {
            part.bindTooltip(function () { return tip(feature.properties); }, {sticky: true});
            part.on("mouseover", function () { part.setStyle({weight: 2, color: "#000000"}); });
            part.on("mouseout", function () { layer.resetStyle(part); });
        }
    });
    layer.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
    )

    def __init__(
        self, data: AreaData, *, key, fields, map_name, opacity=0.85, point_radius=6, palette=None
    ):
        super().__init__()
        self.palette = list(data.palette if palette is None else palette)
        self.map_name = map_name
        self._name = "AccessplanAreas"
        self.data = data
        self.key = key
        self.fields = [list(f) for f in fields]
        self.opacity = float(opacity)
        self.no_data = NO_DATA
        self.point_radius = float(point_radius)
        self.weight = 1.0 if data.points else 0.4


class ImageLayer(MacroElement):
    """Areas drawn as one PNG: a Leaflet ``imageOverlay`` in the areas' pane.

    ``url`` is the image (a ``data:`` URI), ``bounds`` its
    ``[[south, west], [north, east]]``; the image never catches the mouse and
    its pixels stay sharp when zoomed in (``image-rendering: pixelated``).
    ``mask_url`` (the "no access" pixels, white) adds an SVG overlay filling
    the page's hatch pattern through that mask, so "no access" is hatched
    exactly like the legend swatch, with the same on-screen spacing at every zoom.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var root = {{ this.map_name }};
    var parent = {{ this._parent.get_name() }};
    var bounds = {{ this.bounds|tojson }};
    if (!root.getPane("accessplan-areas")) { root.createPane("accessplan-areas").style.zIndex = 350; }
    L.imageOverlay({{ this.url|tojson }}, bounds, {
        pane: "accessplan-areas", opacity: {{ this.opacity }}, interactive: false,
        className: "accessplan-image"
    }).addTo(parent);
    {% if this.mask_url %}
    var id = "accessplan-mask-" + L.Util.stamp(bounds);
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.innerHTML = '<defs><mask id="' + id + '" maskUnits="userSpaceOnUse" x="0" y="0" ' +
        'width="100%" height="100%"><image href="' + {{ this.mask_url|tojson }} + '" x="0" y="0" ' +
        'width="100%" height="100%" preserveAspectRatio="none" ' +
        'style="image-rendering:pixelated"></image></mask></defs>' +
        '<rect width="100%" height="100%" fill="{{ this.hatch }}" mask="url(#' + id + ')"></rect>';
    L.svgOverlay(svg, bounds, {pane: "accessplan-areas", opacity: {{ this.opacity }},
                               interactive: false}).addTo(parent);
    {% endif %}
})();
{% endmacro %}
"""
    )

    def __init__(self, url: str, *, bounds, map_name, opacity=0.85, mask_url=None):
        super().__init__()
        self._name = "AccessplanImage"
        self.url = url
        self.mask_url = mask_url
        self.hatch = HATCH_FILL
        self.bounds = [[float(v) for v in corner] for corner in bounds]
        self.map_name = map_name
        self.opacity = float(opacity)


class LayerLegend(MacroElement):
    """A legend control shown exactly while one overlay of the map is on.

    ``group`` is the folium layer (e.g. a ``FeatureGroup`` added with
    ``show=False``); the legend appears in the top right corner, under the
    access legend, when the layer is switched on and goes when it is off.
    ``inner`` is HTML already escaped (:func:`class_legend_html`).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var group = {{ this.group }};
    var box = L.control({position: "topright"});
    box.onAdd = function () {
        var div = L.DomUtil.create("div", "legend accessplan-legend accessplan-layer-legend");
        div.innerHTML = {{ this.inner|tojson }};
        L.DomEvent.disableScrollPropagation(div);
        return div;
    };
    function sync() { if (map.hasLayer(group)) { box.addTo(map); } else { box.remove(); } }
    map.on("layeradd layerremove", function (e) { if (e.layer === group) { sync(); } });
    sync();
    map.accessplanLayerLegends = map.accessplanLayerLegends || {};
    map.accessplanLayerLegends[{{ this.title|tojson }}] = box;
})();
{% endmacro %}
"""
    )

    def __init__(self, inner, *, group, title):
        super().__init__()
        self._name = "AccessplanLayerLegend"
        self.inner = inner
        self.group = group.get_name()
        self.title = title


# --------------------------------------------------------------------------- context
class ContextLayers(MacroElement):
    """Roads (under the borders), region outline and districts with their names.

    They live in their own panes above the area fills and below the sites:
    roads thin and half transparent, borders above the roads, none of them
    catching the mouse (the areas' hover tables keep working). ``names`` are
    the layers added (for a layer control: ``map.accessplanContext``).

    The shapes are ONE JavaScript variable per page: add :meth:`element` to the
    page header once; a second panel draws the same data with
    ``ContextLayers(source=first)``.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    function pane(name, z) {
        if (!map.getPane(name)) { map.createPane(name).style.zIndex = z; }
        map.getPane(name).style.pointerEvents = "none";
        return name;
    }
    var layers = {};
    var hidden = [];
    {% if this.roads and this.streets %}
    // main roads shown, the dense street network a layer to switch on
    layers["Main roads"] = L.geoJSON({{ this.var }}.roads, {pane: pane("accessplan-roads", 360),
        interactive: false, filter: function (f) { return f.properties.major; },
        style: {color: {{ this.road_color|tojson }}, weight: 1.1, opacity: 0.7}});
    layers["Streets"] = L.geoJSON({{ this.var }}.roads, {pane: pane("accessplan-roads", 360),
        interactive: false, filter: function (f) { return !f.properties.major; },
        style: {color: {{ this.road_color|tojson }}, weight: 0.5, opacity: 0.5}});
    hidden.push("Streets");
    {% elif this.roads %}
    layers["Roads"] = L.geoJSON({{ this.var }}.roads, {pane: pane("accessplan-roads", 360),
        interactive: false, style: {color: {{ this.road_color|tojson }}, weight: 0.6, opacity: 0.55}});
    {% endif %}
    {% if this.districts %}
    var districtShapes = {{ this.var }}.districts;
    // a white casing under the dark dashed line keeps borders visible on dark fills
    var casing = L.geoJSON(districtShapes, {pane: pane("accessplan-borders", 370),
        interactive: false, style: {color: "#ffffff", weight: 4.5, fill: false, opacity: 0.8}});
    var districts = L.geoJSON(districtShapes, {pane: pane("accessplan-borders", 370),
        interactive: false, style: {color: {{ this.district_color|tojson }}, weight: 2.2,
        fill: false, opacity: 0.95, dashArray: "7 4"}});
    var group = L.featureGroup([casing, districts]);
    var districtNames = {{ this.var }}.names;
    // many districts: each name carries its district's box (shown once it fits, LabelDeclutter)
    var fit = districtNames.length > {{ this.always_named }};
    districtNames.forEach(function (d) {
        var box = fit ? ' data-box="' + d.slice(3, 7).join(",") + '"' : "";
        L.marker([d[1], d[2]], {interactive: false, keyboard: false,
            pane: pane("accessplan-labels", 640),
            icon: L.divIcon({className: "accessplan-district-label",
                             html: "<span" + box + ">" + d[0] + "</span>", iconSize: [0, 0]})}).addTo(group);
    });
    layers["Districts"] = group;
    {% endif %}
    {% if this.outline %}
    layers["Region outline"] = L.geoJSON({{ this.var }}.outline, {pane: pane("accessplan-borders", 370),
        interactive: false, style: {color: {{ this.outline_color|tojson }}, weight: 2.6,
        fill: false, opacity: 1}});
    {% endif %}
    Object.keys(layers).forEach(function (k) {
        if (hidden.indexOf(k) < 0) { layers[k].addTo(map); }
    });
    map.accessplanContext = layers;
})();
{% endmacro %}
"""
    )

    def __init__(self, context=None, *, source=None, road_m=None, decimals=5):
        super().__init__()
        self._name = "AccessplanContext"
        self.road_color, self.district_color, self.outline_color = ROADS, DISTRICTS, OUTLINE
        self.always_named = ALWAYS_NAMED_DISTRICTS
        if source is not None:  # draw another panel from the same page variable
            self.var = source.var
            self.roads, self.outline, self.districts = (
                source.roads,
                source.outline,
                source.districts,
            )
            self.streets = source.streets
            self.district_labels = source.district_labels
            return
        self.var = f"accessplan_context_{uuid.uuid4().hex}"
        self.roads = self.outline = self.districts = None
        self.district_labels = []
        self.streets = False
        if context.roads is not None and len(context.roads):
            roads = context.roads
            geoms = display_geometry(roads, simplify_m=road_m, decimals=decimals)
            kinds = roads["highway"] if "highway" in roads.columns else [""] * len(roads)
            major = [str(k) in MAJOR_ROADS for k in kinds]
            # main roads and streets apart only when the network has both
            self.streets = any(major) and not all(major)
            self.roads = geojson_text(geoms, [{"major": m} for m in major])
        if context.outline is not None and len(context.outline):
            geoms = display_geometry(context.outline, decimals=decimals)
            self.outline = geojson_text(geoms, [{} for _ in range(len(geoms))])
        if context.districts is not None and len(context.districts):
            d = context.districts
            geoms = display_geometry(d, decimals=decimals)
            names = (d["name"] if "name" in d.columns else d.index.to_series()).to_numpy()
            self.districts = geojson_text(geoms, [{"name": html_text(n)} for n in names])
            spots = gpd.GeoSeries(d.geometry.representative_point(), crs=d.crs).to_crs(4326)
            boxes = d.geometry.to_crs(4326).bounds.to_numpy()
            self.district_labels = district_label_rows([html_text(n) for n in names], spots, boxes)

    def element(self) -> Element:
        """A ``<script>`` defining the page's context variable (add it to the header once)."""
        parts = [
            f'"{key}":{text}'
            for key, text in (
                ("roads", self.roads),
                ("districts", self.districts),
                ("outline", self.outline),
            )
            if text
        ]
        names = json.dumps(self.district_labels, separators=(",", ":")).replace("<", "\\u003c")
        parts.append(f'"names":{names}')
        return Element(f"<script>var {self.var} = {{{','.join(parts)}}};</script>")

    @property
    def names(self) -> list:
        """Names of the layers this element adds."""
        split = bool(self.roads and self.streets)
        pairs = (("Main roads", split), ("Streets", split), ("Roads", self.roads and not split))
        pairs += (("Districts", self.districts),)
        pairs += (("Region outline", self.outline),)
        return [name for name, layer in pairs if layer]


class DistrictSummary(MacroElement):
    """A hover table per district over areas drawn as an image (the drill-down of big maps).

    Draws the page's district shapes (the :class:`ContextLayers` variable
    ``var``) again, invisible, in a pane just above the areas' image; hovering
    a district outlines it and shows its text (``texts``, escaped HTML, one per
    district in the order of the context's districts).
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    if (!map.getPane("accessplan-district-hover")) {
        map.createPane("accessplan-district-hover").style.zIndex = 355;
    }
    var texts = {{ this.texts|tojson }};
    var hidden = {fill: true, fillOpacity: 0, opacity: 0, weight: 2, color: "#000000"};
    var next = 0;
    L.geoJSON({{ this.var }}.districts, {pane: "accessplan-district-hover", style: hidden,
        onEachFeature: function (feature, part) {
            part.bindTooltip(texts[next++], {sticky: true});
            part.on("mouseover", function () { part.setStyle({opacity: 0.9}); });
            part.on("mouseout", function () { part.setStyle(hidden); });
        }
    }).addTo(map);
})();
{% endmacro %}
"""
    )

    def __init__(self, var: str, texts):
        super().__init__()
        self._name = "AccessplanDistrictSummary"
        self.var = var
        self.texts = list(texts)
