"""An interactive (folium / Leaflet, offline) map of how often each candidate site is chosen.

The companion of :func:`accessplan.maps.policy_figures.site_frequency_figure`
for the browser: every candidate is a circle whose *area* grows with the share
of sweep points choosing it (coloured on the YlGnBu ramp of the other maps),
sites chosen in every point ("robust") are magenta with a thick outline and a
permanent name label, sites never chosen are small hollow grey rings. The
region outline is drawn from the areas. The tooltip gives the id, the name
and "chosen in 7 of 24 points (29%)". No tile layer: the page, saved with
:func:`accessplan.maps.offline.render_offline_html`, loads nothing.
"""

from __future__ import annotations

import folium
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from accessplan.data.errors import ProblemCollector
from accessplan.maps.context import region_outline
from accessplan.maps.escaping import html_text
from accessplan.maps.figure_layers import NEW_SITE_COLOR
from accessplan.maps.map_fit import fit_region
from accessplan.maps.web_layers import HtmlControl, SiteLabels
from accessplan.maps.web_page import map_title, page_setup
from accessplan.maps.webmap import LeanMap

__all__ = ["MAX_RADIUS_PX", "site_frequency_map"]

#: radius (pixels) of a site chosen in every point
MAX_RADIUS_PX = 16.0
_RAMP = colormaps["YlGnBu"]


def _color(share: float) -> str:
    return to_hex(_RAMP(0.3 + 0.6 * share))


def _tooltip(row) -> str:
    head = f"<b>{html_text(row['site_id'])}</b>"
    name = html_text(row.get("name"))
    if name:
        head += f" {name}"
    chosen, points = int(row["chosen_in"]), int(row["points"])
    lines = [head, f"chosen in {chosen} of {points} points ({100 * row['frequency']:.0f}%)"]
    if bool(row["robust"]):
        lines.append("<b>robust: chosen in every point</b>")
    elif chosen == 0:
        lines.append("never chosen")
    return "<br>".join(lines)


def _legend() -> str:
    rows = []
    for share in (0.25, 0.5, 0.75):
        d = 2 * max(3.0, MAX_RADIUS_PX * np.sqrt(share))
        rows.append(
            f'<div><span style="display:inline-block;width:{d:.0f}px;height:{d:.0f}px;'
            f"border-radius:50%;background:{_color(share)};border:1px solid #000;"
            f'vertical-align:middle;margin-right:6px"></span>chosen in {100 * share:.0f}% of '
            "points</div>"
        )
    rows.append(
        '<div><span style="display:inline-block;width:18px;height:18px;border-radius:50%;'
        f"background:{NEW_SITE_COLOR};border:3px solid #000;box-sizing:border-box;"
        'vertical-align:middle;margin-right:6px"></span>robust: chosen in every point</div>'
    )
    rows.append(
        '<div><span style="display:inline-block;width:8px;height:8px;border-radius:50%;'
        'border:1px solid #969696;vertical-align:middle;margin:0 11px 0 5px"></span>never '
        "chosen</div>"
    )
    return "<b>Candidate sites</b>" + "".join(rows)


def site_frequency_map(frequency, *, areas=None, title: str | None = None) -> folium.Map:
    """A web map of candidate sites sized by how often the sweep chose them.

    Parameters
    ----------
    frequency : geopandas.GeoDataFrame
        :func:`accessplan.planner.policy.site_frequency` with the candidates'
        geometry (any CRS): ``site_id``, ``chosen_in``, ``points``,
        ``frequency``, ``robust`` and optionally ``name``.
    areas : geopandas.GeoDataFrame, optional
        The areas; their outline is drawn under the sites.
    title : str, optional
        A title box in the lower left corner (escaped).

    Returns
    -------
    folium.Map
        No tile layer; render it with
        :func:`accessplan.maps.offline.render_offline_html`.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a column, the geometry or the CRS is missing, or there is no row.
    """
    problems = ProblemCollector(what="site frequency table")
    if not hasattr(frequency, "geometry"):
        problems.add("has no geometry: pass the candidates as a GeoDataFrame")
    else:
        for column in ("site_id", "chosen_in", "points", "frequency", "robust"):
            if column not in frequency.columns:
                problems.add("column is missing", source="site frequency", column=column)
        if frequency.crs is None:
            problems.add("has no CRS", source="site frequency")
        if len(frequency) == 0:
            problems.add("has no rows", source="site frequency")
    problems.raise_if_any()

    sites = frequency.to_crs(4326)
    frame = areas.to_crs(4326) if areas is not None and len(areas) else sites
    m = LeanMap(tiles=None, control_scale=True, zoom_snap=0.25)
    page_setup(m.get_root())
    west, south, east, north = frame.total_bounds
    w, s, e, n = sites.total_bounds
    bounds = [
        [float(min(south, s)), float(min(west, w))],
        [float(max(north, n)), float(max(east, e))],
    ]
    fit_region(m, *bounds[0], *bounds[1], padding_top_left=(10, 12), padding_bottom_right=(230, 12))
    if areas is not None and len(areas):
        outline = region_outline(areas).to_crs(4326)
        folium.GeoJson(
            outline.__geo_interface__,
            name="Region",
            style_function=lambda _: {"color": "#636363", "weight": 1.5, "fillOpacity": 0.03},
            interactive=False,
        ).add_to(m)
    group = folium.FeatureGroup(name="Candidate sites")
    # rarely chosen first, robust last: the important sites are drawn on top
    order = sites.sort_values(["robust", "frequency"], kind="stable")
    labels = []
    for _, row in order.iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        share = float(row["frequency"])
        robust = bool(row["robust"])
        if share <= 0:
            style = {"radius": 4, "color": "#969696", "weight": 1, "fill": False}
        else:
            style = {
                "radius": float(max(3.0, MAX_RADIUS_PX * np.sqrt(share))),
                "color": "#000000",
                "weight": 3 if robust else 1,
                "fill": True,
                "fill_color": NEW_SITE_COLOR if robust else _color(share),
                "fill_opacity": 0.9,
            }
        folium.CircleMarker(
            location=[geom.y, geom.x], tooltip=folium.Tooltip(_tooltip(row)), **style
        ).add_to(group)
        if robust:
            name = row.get("name")
            text = name if isinstance(name, str) and name.strip() else row["site_id"]
            labels.append([html_text(text), round(geom.y, 5), round(geom.x, 5), True])
    group.add_to(m)
    if labels:
        m.add_child(SiteLabels(labels, title="Robust-site names", show=True))
    HtmlControl(
        _legend(), position="topright", css_class="legend accessplan-legend", name="FreqLegend"
    ).add_to(m)
    if title:
        map_title(title).add_to(m)
    return m
