"""Interactive (folium) maps of access before and after a plan.

Three maps, all drawn from the plan's result frames (areas with
``access_before`` / ``access_after``, sites with ``capacity`` and ``new``):

- :func:`before_after_map`: two maps side by side whose pan and zoom follow
  each other (a few lines of our own JavaScript; folium's ``DualMap`` is not
  used because it loads its sync plugin from a CDN);
- :func:`layered_map`: one map, before and after as layers in a layer control;
- :func:`change_map`: after minus before on a diverging scale centred at 0.

Before and after are coloured with ONE classification computed on the pooled
before and after values (:func:`shared_classes`, defined in
:mod:`accessplan.maps.classes` and shared with the matplotlib figures), so a
colour means the same access level on both sides, and each page carries one
legend. Areas with zero access get their own light-grey "0 (no access)" class.
Hospitals are circle markers whose *area* grows with capacity (radius ~
sqrt(capacity)); new sites are drawn in a distinct colour with a thick outline and their tooltip
gives the units added and why the site was chosen (newly covered population,
marginal gain). An optional inequity panel shows Gini, Theil and the share of
the population with zero access, before and after.

By default a map has no tile layer (``tiles=None``): the background is a
plain colour and a page saved with :func:`accessplan.maps.offline.save_offline`
loads nothing from the network. A basemap (``tiles="OpenStreetMap"``) must be
asked for; its tiles are then fetched from the tile server when the page is
viewed.
"""

from __future__ import annotations

from typing import ClassVar

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from accessplan.data.errors import ProblemCollector
from accessplan.maps.classes import NO_DATA, AccessClasses, shared_classes
from accessplan.maps.escaping import html_text

__all__ = [
    "AccessClasses",
    "LeanMap",
    "before_after_map",
    "change_colormap",
    "change_map",
    "class_legend",
    "layered_map",
    "shared_classes",
]

BACKGROUND = "#e8ecef"
EXISTING_SITE = "#3f3f3f"
NEW_SITE = "#ff7f00"
_INEQUITY_ROWS = (
    ("gini", "Gini", "{:.3f}"),
    ("theil", "Theil", "{:.3f}"),
    ("share_zero", "Share with zero access", "{:.1%}"),
)


# --------------------------------------------------------------------------- classes
def class_legend(classes: AccessClasses, caption: str, *, no_data: bool = False) -> MacroElement:
    """A Leaflet legend control with one equal-sized swatch per class.

    Parameters
    ----------
    classes : AccessClasses
        The shared classification (the "no access" class, if any, comes first
        with its own grey swatch).
    caption : str
        Legend title.
    no_data : bool, default False
        Add the grey "no score" swatch of areas without a value (NaN: e.g. a
        zero demand weight that nothing rates).

    Returns
    -------
    branca.element.MacroElement
        Add it to a folium Map (``class_legend(classes, "Access").add_to(m)``).
    """
    colors, labels = list(classes.colors), list(classes.labels())
    if no_data:
        colors.append(NO_DATA)
        labels.append("no score")
    return _class_legend(caption, colors, labels)


def _has_missing(frame) -> bool:
    return bool(frame[["access_before", "access_after"]].isna().to_numpy().any())


def change_colormap(change, *, caption="Change in access (after - before)"):
    """A diverging colour scale for access change, centred at 0.

    Parameters
    ----------
    change : array-like of float
        After minus before, per area.
    caption : str
        Legend caption.

    Returns
    -------
    branca.colormap.LinearColormap
        Red for losses, white at exactly 0, blue for gains; symmetric limits
        ``[-m, m]`` with ``m`` the largest absolute change, so equal losses
        and gains get equally strong colours.
    """
    c = np.asarray(change, dtype=float)
    c = c[np.isfinite(c)]
    m = float(np.abs(c).max()) if c.size else 0.0
    if m == 0.0:
        m = 1.0
    ramp = branca.colormap.linear.RdBu_11
    lo, hi = ramp.vmin, ramp.vmax
    colors = [ramp(lo + f * (hi - lo))[:7] for f in (0.0, 0.25)] + ["#f7f7f7"]
    colors += [ramp(lo + f * (hi - lo))[:7] for f in (0.75, 1.0)]
    return branca.colormap.LinearColormap(
        colors, index=[-m, -m / 2, 0.0, m / 2, m], vmin=-m, vmax=m, caption=caption
    )


# --------------------------------------------------------------------------- inputs
def _check_areas(areas, id_col, extra=()) -> None:
    problems = ProblemCollector(what="areas")
    if not isinstance(areas, gpd.GeoDataFrame):
        problems.add(f"expected a GeoDataFrame, got {type(areas).__name__}")
        problems.raise_if_any()
    for col in (id_col, "population", "access_before", "access_after", *extra):
        if col not in areas.columns:
            problems.add("column is missing", source="areas", column=col)
    if areas.crs is None:
        problems.add("has no CRS; set one (e.g. areas.set_crs(...))", source="areas")
    if len(areas) == 0:
        problems.add("has no rows", source="areas")
    problems.raise_if_any()


def _check_sites(sites, new_sites, site_id_col) -> None:
    problems = ProblemCollector(what="sites")
    if sites is not None:
        for col in (site_id_col, "capacity"):
            if col not in sites.columns:
                problems.add("column is missing", source="sites", column=col)
        if getattr(sites, "crs", None) is None:
            problems.add("has no CRS", source="sites")
    if new_sites is not None and site_id_col not in new_sites.columns:
        problems.add("column is missing", source="new_sites", column=site_id_col)
    problems.raise_if_any()


def _area_frame(areas, id_col) -> gpd.GeoDataFrame:
    """A WGS84 copy of the areas with tooltip-ready columns (input untouched)."""
    out = gpd.GeoDataFrame(
        {
            "area_id": areas[id_col].astype(str).to_numpy(),
            "population": pd.to_numeric(areas["population"]).round(0).to_numpy(),
            "access_before": areas["access_before"].astype(float).to_numpy(),
            "access_after": areas["access_after"].astype(float).to_numpy(),
        },
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    )
    out["access_change"] = out["access_after"] - out["access_before"]
    n = len(out)
    # rank 1 = highest access of the n areas (ties share the best rank)
    for when in ("before", "after"):
        rank = out[f"access_{when}"].rank(ascending=False, method="min")
        out[f"rank_{when}"] = [f"{int(r)} of {n}" if np.isfinite(r) else "" for r in rank]
    return out.to_crs(4326)


def _site_frame(sites, new_sites, site_id_col) -> gpd.GeoDataFrame | None:
    if sites is None and new_sites is None:
        return None
    base = sites if sites is not None else new_sites
    out = gpd.GeoDataFrame(
        {"site_id": base[site_id_col].astype(str).to_numpy()},
        geometry=base.geometry.to_numpy(),
        crs=base.crs,
    )
    out["capacity"] = (
        pd.to_numeric(base["capacity"]).to_numpy()
        if "capacity" in base.columns
        else pd.to_numeric(base.get("units", pd.Series(1.0, index=base.index))).to_numpy()
    )
    if "new" in base.columns:
        out["new"] = base["new"].astype(bool).to_numpy()
    else:
        out["new"] = sites is None
    info = {}
    if new_sites is not None:
        keep = [c for c in ("units", "newly_covered", "marginal_gain", "name") if c in new_sites]
        info = new_sites.assign(_sid=new_sites[site_id_col].astype(str)).set_index("_sid")[keep]
        if "new" not in base.columns:
            out["new"] = out["new"] | out["site_id"].isin(info.index)
    for col in ("units", "newly_covered", "marginal_gain", "name"):
        out[col] = [
            info.at[s, col] if col in getattr(info, "columns", ()) and s in info.index else None
            for s in out["site_id"]
        ]
    if "name" in base.columns:  # names of existing hospitals (new sites' names come first)
        out["name"] = [
            own if new is None else new
            for own, new in zip(base["name"].to_numpy(), out["name"], strict=True)
        ]
    return out.to_crs(4326)


# --------------------------------------------------------------------------- elements
class LeanMap(folium.Map):
    """A folium Map that only asks for Leaflet and jQuery (no Bootstrap, no icon fonts)."""

    default_js: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_js if name in ("leaflet", "jquery")
    ]
    default_css: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_css if name == "leaflet_css"
    ]


class _SyncViews(MacroElement):
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


class _HtmlControl(MacroElement):
    """A box of HTML drawn as a Leaflet control (legends, titles; no plugin needed)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
    var box = L.control({position: {{ this.position|tojson }}});
    box.onAdd = function () {
        var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
        div.innerHTML = {{ this.inner|tojson }};
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


def _class_legend(caption, colors, labels) -> _HtmlControl:
    """Legend of a classification: one swatch and label per class."""
    rows = "".join(
        f'<div><i style="background:{c}"></i>{html_text(t)}</div>'
        for c, t in zip(colors, labels, strict=True)
    )
    return _HtmlControl(
        f"<b>{html_text(caption)}</b>{rows}",
        position="topright",
        css_class="legend accessplan-legend",
        name="ClassLegend",
    )


def _map_title(text) -> _HtmlControl:
    """A small title box in the lower left corner."""
    return _HtmlControl(
        html_text(text), position="bottomleft", css_class="accessplan-title", name="MapTitle"
    )


_PAGE_CSS = f"""
<style>
.leaflet-container {{ background: {BACKGROUND}; }}
.accessplan-title {{ background: rgba(255,255,255,0.9); padding: 4px 8px; border-radius: 4px;
  font: bold 14px sans-serif; }}
.accessplan-inequity {{ position: fixed; bottom: 24px; right: 12px; z-index: 1000;
  background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.4); font: 12px sans-serif; }}
.accessplan-legend {{ background: rgba(255,255,255,0.95); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.4); font: 12px sans-serif; line-height: 18px; }}
.accessplan-legend i {{ display: inline-block; width: 18px; height: 14px; margin-right: 6px;
  vertical-align: middle; border: 1px solid #777; }}
.accessplan-inequity td, .accessplan-inequity th {{ padding: 1px 6px; text-align: right; }}
.accessplan-inequity td:first-child {{ text-align: left; }}
</style>
"""


def _inequity_html(inequity) -> str:
    table = inequity
    if "measure" in table.columns:
        table = table.set_index("measure")
    problems = ProblemCollector(what="inequity table")
    for col in ("before", "after"):
        if col not in table.columns:
            problems.add("column is missing", source="inequity", column=col)
    rows = [r for r in _INEQUITY_ROWS if r[0] in table.index]
    if not rows:
        problems.add(
            "has none of the rows " + ", ".join(r[0] for r in _INEQUITY_ROWS), source="inequity"
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


def _new_map(frame, tiles, **kwargs) -> folium.Map:
    m = LeanMap(tiles=tiles, control_scale=True, **kwargs)
    west, south, east, north = frame.total_bounds
    m.fit_bounds([[south, west], [north, east]])
    return m


def _area_layer(frame, colors, name, fields, aliases) -> folium.GeoJson:
    """One GeoJSON layer of areas with a hover table of ``fields``.

    folium's GeoJsonTooltip joins the property values into HTML and assigns it
    to ``innerHTML``, so every text property (the user's area ids above all)
    is escaped here, once, before it enters the GeoJSON; numbers stay numbers.
    """
    data = frame[[*fields, "geometry"]].copy()
    for col in fields:
        if col.startswith("access"):
            # an area without a score (NaN: zero demand weight, not rated) says so
            data[col] = [round(float(v), 6) if np.isfinite(v) else "no score" for v in data[col]]
        elif not pd.api.types.is_numeric_dtype(data[col]):
            data[col] = [html_text(v) for v in data[col]]
    data["_fill"] = list(colors)
    # point areas (CSV x/y, population grids as points) draw as coloured circles, not as
    # Leaflet's default image markers, which an offline page cannot load
    points = bool(len(data)) and data.geom_type.isin(["Point", "MultiPoint"]).all()
    return folium.GeoJson(
        data,
        name=name,
        marker=folium.CircleMarker(radius=7, fill=True) if points else None,
        style_function=lambda feature: {
            "fillColor": feature["properties"]["_fill"],
            "fillOpacity": 0.8,
            "color": "#555555",
            "weight": 1.0 if points else 0.4,
        },
        highlight_function=lambda feature: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=list(fields), aliases=[html_text(a) for a in aliases], sticky=True
        ),
    )


_AREA_FIELDS = (
    ("area_id", "Area"),
    ("population", "Population"),
    ("access_before", "Access before"),
    ("access_after", "Access after"),
    ("rank_before", "Rank before (1 = best)"),
    ("rank_after", "Rank after (1 = best)"),
)


def _site_tooltip(row) -> str:
    parts = [f"<b>{html_text(row.site_id)}</b>"]
    name = html_text(row.name)
    if name:
        parts[0] += f" {name}"
    parts.append(f"capacity: {row.capacity:,.0f}")
    if row.new:
        parts.append("<b>new site</b>")
        if row.units is not None:
            parts.append(f"units added: {float(row.units):,.0f}")
        if row.newly_covered is not None:
            parts.append(f"newly covered population: {float(row.newly_covered):,.0f}")
        if row.marginal_gain is not None:
            parts.append(f"marginal gain: {float(row.marginal_gain):,.0f}")
    return "<br>".join(parts)


def _add_sites(m, sites, *, max_capacity, max_radius_px, name="Hospitals") -> None:
    group = folium.FeatureGroup(name=name)
    # existing first, new last so new sites are drawn on top
    for row in sites.sort_values("new", kind="stable").itertuples(index=False):
        cap = float(row.capacity) if np.isfinite(row.capacity) else 0.0
        radius = max(4.0, max_radius_px * np.sqrt(max(cap, 0.0) / max_capacity))
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=float(radius),
            color="#000000" if row.new else "#ffffff",
            weight=3 if row.new else 1,
            fill=True,
            fill_color=NEW_SITE if row.new else EXISTING_SITE,
            fill_opacity=0.9,
            tooltip=folium.Tooltip(_site_tooltip(row)),
        ).add_to(group)
    group.add_to(m)


def _max_capacity(sites) -> float:
    if sites is None or len(sites) == 0:
        return 1.0
    cap = np.nanmax(sites["capacity"].to_numpy(dtype=float))
    return float(cap) if np.isfinite(cap) and cap > 0 else 1.0


def _prepare(areas, sites, new_sites, id_col, site_id_col, classes, scheme, k):
    _check_areas(areas, id_col)
    _check_sites(sites, new_sites, site_id_col)
    frame = _area_frame(areas, id_col)
    site_frame = _site_frame(sites, new_sites, site_id_col)
    if classes is None:
        classes = shared_classes(
            frame["access_before"],
            frame["access_after"],
            scheme=scheme,
            k=k,
            population=frame["population"],
        )
    return frame, site_frame, classes


# --------------------------------------------------------------------------- maps
def before_after_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    classes=None,
    scheme="quantiles",
    k=5,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption="Access (supply per person)",
) -> branca.element.Figure:
    """Access before and after side by side, with synchronised pan and zoom.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas with ``id_col``, ``population``, ``access_before`` and
        ``access_after``, in any CRS (reprojected to EPSG:4326).
    sites : geopandas.GeoDataFrame, optional
        Hospitals after the plan: ``site_id_col``, ``capacity`` and ``new``
        (bool). The left panel shows the existing ones, the right all.
    new_sites : pandas.DataFrame, optional
        The chosen sites (``site_id_col``, ``units``, ``newly_covered``,
        ``marginal_gain``, ``name``) for the new sites' tooltips.
    inequity : pandas.DataFrame, optional
        The before/after comparison (index or ``measure`` column naming
        ``gini``, ``theil``, ``share_zero``; columns ``before``, ``after``),
        shown as a fixed panel.
    classes : AccessClasses, optional
        Classes to use (e.g. to share them across plans); default
        :func:`shared_classes` of these areas.
    scheme, k :
        Passed to :func:`shared_classes` when ``classes`` is not given
        (population-weighted quantiles by default).
    tiles : str or None, default None
        No tile layer: a plain background, and the page loads nothing from the
        network (nor tells a tile server which region is being planned). A
        folium tile name (e.g. ``"OpenStreetMap"``) adds a basemap that the
        browser fetches from that server.
    id_col, site_id_col : str
        Id columns of the areas and the sites.
    max_radius_px : float
        Radius of the largest hospital's marker; others scale with
        sqrt(capacity) so marker area is proportional to capacity (4 px minimum).
    caption : str
        Legend caption.

    Returns
    -------
    branca.element.Figure
        One page holding both maps and one legend; save it with
        :func:`accessplan.maps.offline.save_offline`.
    """
    frame, site_frame, classes = _prepare(
        areas, sites, new_sites, id_col, site_id_col, classes, scheme, k
    )
    fig = branca.element.Figure()
    fig.header.add_child(Element(_PAGE_CSS), name="accessplan_css")
    max_cap = _max_capacity(site_frame)
    fields, aliases = zip(*_AREA_FIELDS, strict=True)
    panels = []
    for when, left in (("before", "0%"), ("after", "50%")):
        m = _new_map(frame, tiles, width="50%", height="100%", left=left, position="absolute")
        fig.add_child(m)
        _area_layer(
            frame, classes.color(frame[f"access_{when}"]), f"Access {when}", fields, aliases
        ).add_to(m)
        if site_frame is not None:
            shown = site_frame if when == "after" else site_frame[~site_frame["new"]]
            _add_sites(m, shown, max_capacity=max_cap, max_radius_px=max_radius_px)
        m.add_child(_map_title(f"Access {when}"))
        panels.append(m)
    class_legend(classes, caption, no_data=_has_missing(frame)).add_to(panels[1])
    fig.add_child(_SyncViews(*panels))
    if inequity is not None:
        fig.html.add_child(Element(_inequity_html(inequity)), name="accessplan_inequity")
    return fig


def layered_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    classes=None,
    scheme="quantiles",
    k=5,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption="Access (supply per person)",
) -> folium.Map:
    """Access before and after as two toggleable layers of one map.

    Parameters are those of :func:`before_after_map`. "Access after" and the
    hospitals are shown when the page opens; "Access before" is switched on in
    the layer control (top right). Both layers use the same classes and share
    one legend.

    Returns
    -------
    folium.Map
    """
    frame, site_frame, classes = _prepare(
        areas, sites, new_sites, id_col, site_id_col, classes, scheme, k
    )
    m = _new_map(frame, tiles)
    m.get_root().header.add_child(Element(_PAGE_CSS), name="accessplan_css")
    fields, aliases = zip(*_AREA_FIELDS, strict=True)
    for when, show in (("before", False), ("after", True)):
        group = folium.FeatureGroup(name=f"Access {when}", show=show)
        _area_layer(
            frame, classes.color(frame[f"access_{when}"]), f"Access {when}", fields, aliases
        ).add_to(group)
        group.add_to(m)
    if site_frame is not None:
        _add_sites(
            m, site_frame, max_capacity=_max_capacity(site_frame), max_radius_px=max_radius_px
        )
    class_legend(classes, caption, no_data=_has_missing(frame)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if inequity is not None:
        m.get_root().html.add_child(Element(_inequity_html(inequity)), name="accessplan_inequity")
    return m


def change_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption="Change in access (after - before)",
) -> folium.Map:
    """The change in access (after - before) on a diverging scale centred at 0.

    Parameters are those of :func:`before_after_map`; colours come from
    :func:`change_colormap` (red = loss, white = no change, blue = gain).
    Area tooltips add the change to the fields of the other maps; new sites
    are highlighted with their units and reasons.

    Returns
    -------
    folium.Map
    """
    _check_areas(areas, id_col)
    _check_sites(sites, new_sites, site_id_col)
    frame = _area_frame(areas, id_col)
    site_frame = _site_frame(sites, new_sites, site_id_col)
    m = _new_map(frame, tiles)
    m.get_root().header.add_child(Element(_PAGE_CSS), name="accessplan_css")
    cmap = change_colormap(frame["access_change"], caption=caption)
    colors = [NO_DATA if not np.isfinite(c) else cmap(c)[:7] for c in frame["access_change"]]
    fields, aliases = zip(*_AREA_FIELDS, ("access_change", "Change"), strict=True)
    _area_layer(frame, colors, "Change in access", fields, aliases).add_to(m)
    if site_frame is not None:
        _add_sites(
            m, site_frame, max_capacity=_max_capacity(site_frame), max_radius_px=max_radius_px
        )
    cmap.add_to(m)
    if inequity is not None:
        m.get_root().html.add_child(Element(_inequity_html(inequity)), name="accessplan_inequity")
    return m
