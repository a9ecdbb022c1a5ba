"""The page of ``accessplan compare``: finished plans side by side.

:func:`write_compare_report` writes one self-contained HTML page (the style
and header of :func:`accessplan.maps.report.report_page`): the headline
figures of every run side by side, the scenario differences that explain
them, the new sites of each pair of runs (in one plan only or in both) and an
offline web map of the difference in access after the plan between the first
two runs (:func:`difference_map`: B - A on a diverging scale, red where B
gives less access than A, blue where it gives more, with the sites of A only,
B only and both).

Everything here reads plain frames: the planner's
:mod:`accessplan.planner.compare` assembles them from the run folders.
Numbers carry their exact value in ``data-value`` (see
:mod:`accessplan.maps.report_format`); user strings are escaped once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import ClassVar

import folium
import numpy as np
import pandas as pd

from accessplan.data.files import atomic_file
from accessplan.maps.classes import NO_DATA
from accessplan.maps.embed import embed_maps
from accessplan.maps.escaping import html_text
from accessplan.maps.map_fit import fit_region
from accessplan.maps.report import report_page
from accessplan.maps.report_format import (
    MINUS,
    as_number,
    id_slug,
    number_cell,
    number_span,
)
from accessplan.maps.web_frames import area_data, area_frame
from accessplan.maps.web_layers import AreaLayer, HtmlControl, change_bar_html
from accessplan.maps.web_page import LayerSwitch, map_title, page_setup
from accessplan.maps.webmap import change_colormap

__all__ = ["SITE_COLORS", "difference_map", "write_compare_report"]

#: Marker colours of the difference map: existing hospitals, new in A only, in B only, in both.
SITE_COLORS = {"existing": "#3f3f3f", "a_only": "#7b3294", "b_only": "#ff7f00", "both": "#1a9641"}

_NUMERIC = ("int", "share", "money", "general", "ratio", "access")


class _LeafletOnlyMap(folium.Map):
    """A folium Map asking only for Leaflet (the layers here need nothing else)."""

    default_js: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_js if name == "leaflet"
    ]
    default_css: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_css if name == "leaflet_css"
    ]


# --------------------------------------------------------------------------- map
def _site_groups(sites_a, sites_b, label_a: str, label_b: str):
    """Existing hospitals and new sites by where they are: (key, legend text, frame)."""
    frames = []
    for sites in (sites_a, sites_b):
        if sites is None or len(sites) == 0:
            frames.append(None)
            continue
        frame = sites.to_crs(4326)
        frame = frame.assign(site_id=frame["site_id"].astype(str), new=frame["new"].astype(bool))
        frames.append(frame)
    fa, fb = frames
    new_a = set() if fa is None else set(fa.loc[fa["new"], "site_id"])
    new_b = set() if fb is None else set(fb.loc[fb["new"], "site_id"])
    pool = pd.concat([f for f in frames if f is not None], ignore_index=True)
    pool = pool.drop_duplicates("site_id")
    existing = pool[~pool["site_id"].isin(new_a | new_b)]
    return [
        ("existing", "existing hospital", existing),
        ("a_only", f"new in {label_a} only", pool[pool["site_id"].isin(new_a - new_b)]),
        ("b_only", f"new in {label_b} only", pool[pool["site_id"].isin(new_b - new_a)]),
        ("both", "new in both", pool[pool["site_id"].isin(new_a & new_b)]),
    ]


def _site_legend(groups) -> str:
    rows = []
    for key, text, frame in groups:
        if len(frame) == 0:
            continue
        color = SITE_COLORS[key]
        rows.append(
            f'<div><svg width="14" height="14" style="vertical-align:middle;margin-right:6px">'
            f'<circle cx="7" cy="7" r="5.5" fill="{color}" stroke="#000" stroke-width="1">'
            f"</circle></svg>{html_text(text)} ({len(frame)})</div>"
        )
    return "<b>Sites</b>" + "".join(rows)


def difference_map(
    areas,
    *,
    label_a: str,
    label_b: str,
    sites_a=None,
    sites_b=None,
    access_scale: float = 1.0,
    access_units: str | None = None,
    tiles: str | None = None,
    id_col: str = "area_id",
) -> folium.Map:
    """The difference in access after the plan between two runs, B - A.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per area with ``id_col``, ``population``, ``access_before``
        (here: access after plan A) and ``access_after`` (access after plan B).
    label_a, label_b : str
        Names of the two runs (legend, tooltips, title).
    sites_a, sites_b : geopandas.GeoDataFrame, optional
        Sites after each plan (``site_id``, boolean ``new``): existing
        hospitals are grey, new sites coloured by where they are (A only, B
        only, both; :data:`SITE_COLORS`).
    access_scale : float, default 1.0
        Display multiplier of access (tooltips and colour bar).
    access_units : str, optional
        Unit of the displayed access, shown under the colour bar.
    tiles : str, optional
        A folium tile name for a basemap; None (default) loads nothing.
    id_col : str, default "area_id"

    Returns
    -------
    folium.Map
        Save it (or embed it) with :func:`accessplan.maps.offline.render_offline_html`.
    """
    frame = area_frame(areas, id_col)
    bounds_frame = frame.to_crs(4326)
    m = _LeafletOnlyMap(tiles=tiles, control_scale=True, zoom_snap=0.25)
    west, south, east, north = bounds_frame.total_bounds
    groups = _site_groups(sites_a, sites_b, label_a, label_b)
    for _key, _text, sites in groups:
        if len(sites):
            w, s, e, n = sites.total_bounds
            west, south, east, north = min(west, w), min(south, s), max(east, e), max(north, n)
    fit_region(
        m, south, west, north, east, padding_top_left=(60, 12), padding_bottom_right=(270, 12)
    )
    page_setup(m.get_root())
    caption = f"Access after: {label_b} {MINUS} {label_a}"
    cmap = change_colormap(frame["access_change"], caption=caption)
    colors = [NO_DATA if not np.isfinite(c) else cmap(c)[:7] for c in frame["access_change"]]
    data = area_data(
        frame, classes=None, scale=access_scale, simplify_m=None, decimals=5, change_colors=colors
    )
    m.get_root().header.add_child(data.element(), name="accessplan_areas")
    a, b = html_text(label_a), html_text(label_b)
    fields = (
        ("i", "Area", "text"),
        ("p", "Population", "int"),
        ("b", f"Access after {a}", "num"),
        ("a", f"Access after {b}", "num"),
        ("d", f"{b} {MINUS} {a}", "change"),
    )
    m.add_child(
        AreaLayer(
            data,
            key="c",
            fields=fields,
            map_name=m.get_name(),
            point_radius=6.0 if len(frame) <= 300 else 4.0,
            opacity=0.85 if tiles is None else 0.65,
        )
    )
    layers = []
    for key, text, sites in groups:
        if len(sites) == 0:
            continue
        group = folium.FeatureGroup(name=text)
        new = key != "existing"
        for row in sites.itertuples(index=False):
            folium.CircleMarker(
                location=[row.geometry.y, row.geometry.x],
                radius=8.0 if new else 5.0,
                color="#000000" if new else "#ffffff",
                weight=2 if new else 1,
                fill=True,
                fill_color=SITE_COLORS[key],
                fill_opacity=0.95,
                tooltip=folium.Tooltip(f"<b>{html_text(row.site_id)}</b><br>{html_text(text)}"),
            ).add_to(group)
        group.add_to(m)
        layers.append((text, group))
    bar = change_bar_html(
        cmap,
        caption,
        scale=access_scale,
        units=access_units,
        no_data=bool(frame["access_change"].isna().any()),
    )
    m.add_child(
        HtmlControl(
            bar + "<hr>" + _site_legend(groups),
            position="topright",
            css_class="legend accessplan-legend",
            name="Bar",
        )
    )
    m.add_child(map_title(f"{label_b} {MINUS} {label_a}"))
    if layers:
        m.add_child(LayerSwitch(layers, collapsed=True))
    return m


# --------------------------------------------------------------------------- tables
def _text_cell(value) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "<td>–</td>"
    return f"<td>{html_text(value)}</td>"


def _headline_table(headline: pd.DataFrame, labels: Sequence[str], currency) -> str:
    """Measures in rows, runs in columns; a difference column for each run after the first."""
    first = labels[0]
    head = "<tr><th>Measure</th>" + "".join(f"<th>{html_text(x)}</th>" for x in labels)
    head += (
        "".join(f"<th>{html_text(x)} {MINUS} {html_text(first)}</th>" for x in labels[1:]) + "</tr>"
    )
    rows = []
    for key, row in headline.iterrows():
        kind = str(row["kind"])
        label = str(row["label"])
        if kind == "money" and currency:
            label += f" ({currency})"
        cells = [f"<th>{html_text(label)}</th>"]
        for j, run in enumerate(labels):
            ident = f"{id_slug(key)}-{j}"
            value = row[run]
            cells.append(number_cell(value, kind, ident) if kind in _NUMERIC else _text_cell(value))
        for j, run in enumerate(labels[1:], start=1):
            ident = f"{id_slug(key)}-diff-{j}"
            va, vb = as_number(row[first]), as_number(row[run])
            if kind not in _NUMERIC or va is None or vb is None:
                cells.append("<td></td>")
            else:
                diff_kind = "pp" if kind == "share" else kind
                cells.append(number_cell(vb - va, diff_kind, ident, signed=True))
        rows.append(f'<tr id="row-{id_slug(key)}">' + "".join(cells) + "</tr>")
    return (
        '<h2>Headline figures</h2>\n<table id="headline">'
        + head
        + "\n"
        + "\n".join(rows)
        + "</table>\n"
        '<p class="muted">Each value is the one in the run\'s summary.json; "after" is after '
        "that run's plan. Differences of shares are in percentage points.</p>\n"
    )


def _scenario_section(diff: pd.DataFrame, labels: Sequence[str]) -> str:
    if len(diff) == 0:
        return (
            '<h2>What differs in the scenarios</h2>\n<p id="scenario-same">The scenarios are '
            "the same (apart from where each run was written): the differences below come "
            "from the solver alone (equal optima, time limits).</p>\n"
        )
    head = "<tr><th>Scenario key</th>" + "".join(f"<th>{html_text(x)}</th>" for x in labels)
    rows = [
        f'<tr id="diff-{id_slug(r["key"])}"><th>{html_text(r["key"])}</th>'
        + "".join(f"<td>{html_text(r[x])}</td>" for x in labels)
        + "</tr>"
        for _, r in diff.iterrows()
    ]
    return (
        "<h2>What differs in the scenarios</h2>\n"
        f"<p>The runs were set up differently in {len(diff)} "
        f"{'value' if len(diff) == 1 else 'values'}; these explain the differences in the "
        'figures and sites.</p>\n<table id="scenario-diff">'
        + head
        + "</tr>\n"
        + "\n".join(rows)
        + "</table>\n"
    )


def _sites_section(sites: pd.DataFrame, currency) -> str:
    if len(sites) == 0:
        return "<h2>New sites</h2>\n<p>No run opened a new site.</p>\n"
    parts = ["<h2>New sites</h2>"]
    for (a, b), group in sites.groupby(["run_a", "run_b"], sort=False):
        ta, tb = html_text(a), html_text(b)
        order = {f"{a} only": 0, f"{b} only": 1, "both": 2}
        group = group.sort_values(
            ["where", "site_id"], key=lambda s: s.map(order) if s.name == "where" else s
        )
        counts = group["where"].value_counts()
        sentence = (
            f"{number_span(counts.get(f'{a} only', 0), 'int')} in {ta} only, "
            f"{number_span(counts.get(f'{b} only', 0), 'int')} in {tb} only, "
            f"{number_span(counts.get('both', 0), 'int')} in both."
        )
        money = f" ({html_text(currency)})" if currency else ""
        head = (
            f"<tr><th>Site</th><th>Where</th><th>Units {ta}</th><th>Units {tb}</th>"
            f"<th>Cost {ta}{money}</th><th>Cost {tb}{money}</th></tr>"
        )
        slug = id_slug(f"{a}-{b}")
        rows = [
            f'<tr class="site-{id_slug(r["where"])}"><th>{html_text(r["site_id"])}</th>'
            f"<td>{html_text(r['where'])}</td>"
            + number_cell(r["units_a"], "general")
            + number_cell(r["units_b"], "general")
            + number_cell(r["cost_a"], "money")
            + number_cell(r["cost_b"], "money")
            + "</tr>"
            for _, r in group.iterrows()
        ]
        parts.append(
            f"<h3>{ta} and {tb}</h3>\n<p>{sentence}</p>\n"
            f'<table id="sites-{slug}">' + head + "\n" + "\n".join(rows) + "</table>"
        )
    return "\n".join(parts) + "\n"


def _difference_text(difference: Mapping | None, labels, access_scale, access_units) -> str:
    if not difference:
        return ""
    a, b = html_text(labels[0]), html_text(labels[1])
    mean = difference.get("population_weighted_mean")
    scaled = None if mean is None else mean * access_scale
    unit = f" {html_text(access_units)}" if access_units else ""
    first_two = " (the map compares the first two runs)" if len(labels) > 2 else ""
    return (
        f'<p id="difference-summary">Access after {b} is higher than after {a} in '
        f"{number_span(difference.get('areas_higher_in_b'), 'int', 'areas-higher')} areas, "
        f"lower in {number_span(difference.get('areas_lower_in_b'), 'int', 'areas-lower')} "
        f"and equal in {number_span(difference.get('areas_equal'), 'int', 'areas-equal')}; "
        f"the population-weighted mean difference is "
        f"{number_span(scaled, 'access', 'mean-difference', signed=True)}{unit}{first_two}.</p>\n"
    )


def _folders(labels, paths) -> str:
    rows = "".join(
        f"<tr><th>{html_text(label)}</th><td>{html_text(path)}</td></tr>"
        for label, path in zip(labels, paths, strict=True)
    )
    return f'<h2>Runs compared</h2>\n<table id="runs">{rows}</table>\n'


def _intro(labels, diff: pd.DataFrame, notes: Sequence[str]) -> str:
    runs = ", ".join(html_text(x) for x in labels)
    parts = [f"<p>{len(labels)} finished plans side by side: {runs}.</p>"]
    if len(diff):
        shown = "; ".join(html_text(t) for t in diff["text"].head(6))
        more = f" (and {len(diff) - 6} more)" if len(diff) > 6 else ""
        parts.append(f'<p id="explained-by">They differ in: {shown}{more}.</p>')
    parts.extend(f'<div class="notice">{html_text(n)}</div>' for n in notes)
    return "\n".join(parts) + "\n"


def write_compare_report(
    path,
    *,
    labels: Sequence[str],
    paths: Sequence[str],
    headline: pd.DataFrame,
    scenario_diff: pd.DataFrame,
    sites: pd.DataFrame,
    notes: Sequence[str] = (),
    difference: Mapping | None = None,
    areas=None,
    sites_a=None,
    sites_b=None,
    access_scale: float = 1.0,
    access_units: str | None = None,
    currency: str | None = None,
    tiles: str | None = None,
) -> Path:
    """Write ``compare.html``: finished plans side by side, self-contained.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file (written atomically).
    labels, paths : sequence of str
        Run names and their folders, in order (the first two are A and B).
    headline : DataFrame
        Index of measure keys; columns ``label``, ``kind`` (a
        :func:`~accessplan.maps.report_format.format_value` kind or
        ``"text"``) and one per run label.
    scenario_diff : DataFrame
        ``key``, one column per run label (text) and ``text``.
    sites : DataFrame
        ``run_a``, ``run_b``, ``site_id``, ``where``, ``units_a``,
        ``units_b``, ``cost_a``, ``cost_b``.
    notes : sequence of str, optional
        Shown as notices at the top.
    difference : mapping, optional
        ``areas_higher_in_b``, ``areas_lower_in_b``, ``areas_equal``,
        ``population_weighted_mean`` (raw access units).
    areas : geopandas.GeoDataFrame, optional
        For :func:`difference_map` (``access_before`` = after A,
        ``access_after`` = after B); None: no map.
    sites_a, sites_b : geopandas.GeoDataFrame, optional
        Sites after each plan, for the map.
    access_scale : float, default 1.0
    access_units : str, optional
    currency : str, optional
    tiles : str, optional

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    from accessplan.maps.offline import render_offline_html

    labels = [str(x) for x in labels]
    maps = {}
    if areas is not None:
        built = difference_map(
            areas,
            label_a=labels[0],
            label_b=labels[1],
            sites_a=sites_a,
            sites_b=sites_b,
            access_scale=access_scale,
            access_units=access_units,
            tiles=tiles,
        )
        maps[f"Access after: {labels[1]} {MINUS} {labels[0]}"] = render_offline_html(built)
    body = (
        _intro(labels, scenario_diff, notes)
        + _headline_table(headline, labels, currency)
        + _scenario_section(scenario_diff, labels)
        + _sites_section(sites, currency)
        + _difference_text(difference, labels, access_scale, access_units)
        + embed_maps(maps)
        + _folders(labels, paths)
    )
    title = f"Comparison: {' vs '.join(labels)}"
    subtitle = "accessplan compare " + " ".join(str(p) for p in paths)
    document = report_page(title, body, subtitle=subtitle)
    path = Path(path)
    with atomic_file(path) as fh:
        fh.write(document)
    return path
