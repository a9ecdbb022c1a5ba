"""Outputs of a regional redeployment plan: commands, a transfer map, an unmet-demand chart.

The redeployment model returns two frames (the data contract of this module):

- ``moves``: one row per shipment, columns ``resource``, ``from_facility``,
  ``to_facility``, ``units``, ``depart_period``, ``arrive_period``, ``cost``
  and ``answers`` (free text: why the move is made);
- ``unmet``: one row per facility, resource and period, columns ``facility``,
  ``resource``, ``period``, ``demand``, ``served``, ``unmet``, ``ratio``.

Facilities are a GeoDataFrame of points (``facility`` id, optional ``name``)
in any CRS. From these this module writes:

- :func:`command_list` / :func:`write_commands`: the moves as plain-language
  commands ("move 3 ventilators from A to B at period 2, arriving at period 3"),
  ordered by departure period then resource, saved as CSV and JSON;
- :func:`transfer_map`: a folium map with the facilities as circle markers and
  every (origin, destination, resource) flow as a line whose weight grows with
  sqrt(units), with an arrowhead showing the direction; it only needs Leaflet
  and jQuery, so :func:`accessplan.maps.offline.save_offline` can write it as
  one offline page;
- :func:`transfer_figure`: the same flows as a static PNG (for print and for
  readers without scripts);
- the unmet-demand charts :func:`unmet_chart` and :func:`unmet_comparison_chart`
  (and their numbers, :func:`unmet_series`, :func:`unmet_comparison_series`),
  which live in :mod:`accessplan.maps.redeploy_charts` and are re-exported here.

Every file is written to a temporary name beside the target and renamed into
place, so a failure never leaves a half-written output.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element
from matplotlib.figure import Figure

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.escaping import html_text
from accessplan.maps.figure_layers import save_png
from accessplan.maps.map_fit import fit_region
from accessplan.maps.redeploy_charts import (
    UNMET_COLOR,
    check_unmet,
    plain_label,
    resource_colors,
    unmet_chart,
    unmet_comparison_chart,
    unmet_comparison_series,
    unmet_series,
)
from accessplan.maps.web_page import BACKGROUND
from accessplan.maps.webmap import LeanMap

__all__ = [
    "MOVE_COLUMNS",
    "UNMET_COLUMNS",
    "command_list",
    "transfer_figure",
    "transfer_map",
    "unmet_chart",
    "unmet_comparison_chart",
    "unmet_comparison_series",
    "unmet_series",
    "write_commands",
]

MOVE_COLUMNS = (
    "resource",
    "from_facility",
    "to_facility",
    "units",
    "depart_period",
    "arrive_period",
    "cost",
    "answers",
)
UNMET_COLUMNS = ("facility", "resource", "period", "demand", "served", "unmet", "ratio")
_NUMERIC_MOVE = ("units", "depart_period", "arrive_period", "cost")
FACILITY_COLOR = "#3f3f3f"


# --------------------------------------------------------------------------- helpers
def _atomic_write(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path, binary=True) as handle:
        handle.write(data)
    return Path(path)


def _number_text(value) -> str:
    """A number as people write it: ``3`` rather than ``3.0``, ``2.5`` as is."""
    x = float(value)
    if x.is_integer():
        return str(int(x))
    return f"{x:.6g}"


def _json_value(value):
    """A JSON-ready scalar: numpy numbers to Python numbers, NaN / NA to None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _check_moves(moves, *, what="moves") -> None:
    problems = ProblemCollector(what=what)
    if not isinstance(moves, pd.DataFrame):
        problems.add(f"expected a DataFrame, got {type(moves).__name__}")
        problems.raise_if_any()
    for col in MOVE_COLUMNS:
        if col not in moves.columns:
            problems.add("column is missing", source=what, column=col)
    problems.raise_if_any()
    for col in _NUMERIC_MOVE:
        values = pd.to_numeric(moves[col], errors="coerce")
        bad = moves.index[values.isna() & moves[col].notna()]
        if len(bad):
            problems.add("is not numeric", source=what, column=col, rows=tuple(bad))
    units = pd.to_numeric(moves["units"], errors="coerce")
    neg = moves.index[units < 0]
    if len(neg):
        problems.add("units are negative", source=what, column="units", rows=tuple(neg))
    for col in ("units", "depart_period", "arrive_period"):
        missing = moves.index[moves[col].isna()]
        if len(missing):
            problems.add("is missing", source=what, column=col, rows=tuple(missing))
    depart = pd.to_numeric(moves["depart_period"], errors="coerce")
    arrive = pd.to_numeric(moves["arrive_period"], errors="coerce")
    early = moves.index[arrive < depart]
    if len(early):
        problems.add(
            "arrives before it departs", source=what, column="arrive_period", rows=tuple(early)
        )
    problems.raise_if_any()


# --------------------------------------------------------------------------- commands
def command_list(moves, *, min_units=1e-9) -> pd.DataFrame:
    """The moves as plain-language commands, in the order they must be given.

    Parameters
    ----------
    moves : pandas.DataFrame
        One row per shipment with the columns ``resource``, ``from_facility``,
        ``to_facility``, ``units``, ``depart_period``, ``arrive_period``,
        ``cost`` and ``answers``.
    min_units : float, default 1e-9
        Moves of fewer units (solver zeros) are not commands and are dropped.

    Returns
    -------
    pandas.DataFrame
        A new frame, one row per command, ordered by departure period, then
        resource, origin and destination; columns ``command`` (e.g. "move 3
        ventilators from A to B at period 2, arriving at period 3") followed by
        the move columns. The index is 0..n-1. The input is not modified.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a column is missing, a number is not numeric or missing, units are
        negative, or a move arrives before it departs (all problems at once).
    """
    _check_moves(moves)
    out = moves.loc[:, list(MOVE_COLUMNS)].copy()
    for col in _NUMERIC_MOVE:
        out[col] = pd.to_numeric(out[col])
    out = out[out["units"] >= min_units]
    out = out.sort_values(
        ["depart_period", "resource", "from_facility", "to_facility", "arrive_period"],
        kind="stable",
    ).reset_index(drop=True)
    out.insert(
        0,
        "command",
        [
            f"move {_number_text(k)} {r} from {a} to {b} at period {_number_text(t)}, "
            f"arriving at period {_number_text(s)}"
            for k, r, a, b, t, s in zip(
                out["units"],
                out["resource"],
                out["from_facility"],
                out["to_facility"],
                out["depart_period"],
                out["arrive_period"],
                strict=True,
            )
        ],
    )
    return out


def write_commands(moves, folder, *, min_units=1e-9) -> tuple[Path, Path]:
    """Write the commands as ``commands.csv`` and ``commands.json``.

    Parameters
    ----------
    moves : pandas.DataFrame
        The moves (see :func:`command_list`).
    folder : str or path-like
        Output folder (created if needed).
    min_units : float, default 1e-9
        Passed to :func:`command_list`.

    Returns
    -------
    tuple of pathlib.Path
        ``(csv_path, json_path)``. The JSON file is a list of records (one
        object per command, the columns of :func:`command_list`) with plain
        JSON numbers and ``null`` for missing values. Each file is written
        atomically (temporary file, then rename).
    """
    commands = command_list(moves, min_units=min_units)
    folder = Path(folder)
    csv_path = _atomic_write(folder / "commands.csv", commands.to_csv(index=False).encode("utf-8"))
    records = [
        {key: _json_value(value) for key, value in row.items()}
        for row in commands.to_dict(orient="records")
    ]
    text = json.dumps(records, indent=2, ensure_ascii=False, allow_nan=False)
    json_path = _atomic_write(folder / "commands.json", (text + "\n").encode("utf-8"))
    return csv_path, json_path


# --------------------------------------------------------------------------- map
def _facility_frame(facilities, moves, unmet) -> gpd.GeoDataFrame:
    problems = ProblemCollector(what="facilities")
    if not isinstance(facilities, gpd.GeoDataFrame):
        problems.add(f"expected a GeoDataFrame, got {type(facilities).__name__}")
        problems.raise_if_any()
    if facilities.crs is None:
        problems.add("has no CRS; set one (e.g. facilities.set_crs(...))", source="facilities")
    if len(facilities) == 0:
        problems.add("has no rows", source="facilities")
    if "facility" not in facilities.columns:
        problems.add("column is missing", source="facilities", column="facility")
        problems.raise_if_any()
    not_point = facilities.index[(facilities.geom_type != "Point") | facilities.geometry.is_empty]
    if len(not_point):
        problems.add("geometry is not a point", source="facilities", rows=tuple(not_point))
    dup = facilities.index[facilities["facility"].duplicated()]
    if len(dup):
        problems.add(
            "facility id is repeated", source="facilities", column="facility", rows=tuple(dup)
        )
    known = set(facilities["facility"])
    for col in ("from_facility", "to_facility"):
        unknown = sorted({str(v) for v in moves[col] if v not in known})
        if unknown:
            problems.add(
                "names facilities not in the facilities frame: " + ", ".join(unknown[:10]),
                source="moves",
                column=col,
            )
    problems.raise_if_any()
    out = gpd.GeoDataFrame(
        {
            "facility": facilities["facility"].to_numpy(),
            "name": (
                facilities["name"].to_numpy()
                if "name" in facilities.columns
                else np.full(len(facilities), None, dtype=object)
            ),
        },
        geometry=facilities.geometry.to_numpy(),
        crs=facilities.crs,
    )
    if unmet is not None:
        totals = unmet.groupby("facility")["unmet"].sum()
        out["total_unmet"] = out["facility"].map(totals).fillna(0.0).to_numpy(dtype=float)
    return out


def _facility_tooltip(row, with_unmet: bool) -> str:
    text = f"<b>{html_text(row.facility)}</b>"
    name = html_text(row.name)
    if name:
        text += f" {name}"
    if with_unmet:
        text += f"<br>total unmet demand: {_number_text(round(row.total_unmet, 6))}"
    return text


def _flow_frame(moves) -> pd.DataFrame:
    """One row per (from, to, resource) with total units and the moves' text."""
    commands = command_list(moves)
    parts = [
        f"{_number_text(k)} {html_text(r)}: depart period {_number_text(t)}, "
        f"arrive period {_number_text(s)}"
        for k, r, t, s in zip(
            commands["units"],
            commands["resource"],
            commands["depart_period"],
            commands["arrive_period"],
            strict=True,
        )
    ]
    commands = commands.assign(_line=parts)
    return (
        commands.groupby(["from_facility", "to_facility", "resource"], sort=True)
        .agg(units=("units", "sum"), lines=("_line", list))
        .reset_index()
    )


def _arrowhead(x0, y0, x1, y1, *, at=0.6, size=0.08):
    """A triangle pointing from (x0, y0) to (x1, y1), tip at fraction ``at`` of the way."""
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    if length == 0.0:
        return None
    ux, uy = dx / length, dy / length
    tip = (x0 + at * dx, y0 + at * dy)
    back = size * length
    base = (tip[0] - back * ux, tip[1] - back * uy)
    half = 0.5 * back
    return [
        tip,
        (base[0] - half * uy, base[1] + half * ux),
        (base[0] + half * uy, base[1] - half * ux),
    ]


def transfer_map(
    facilities,
    moves,
    *,
    unmet=None,
    tiles=None,
    max_weight_px=10.0,
    min_weight_px=2.0,
    arrows=True,
) -> folium.Map:
    """A map of the redeployment: facilities and the flows between them.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points with a ``facility`` id and an optional ``name``, in any CRS
        (reprojected to EPSG:4326).
    moves : pandas.DataFrame
        The moves (see :func:`command_list`); every origin and destination must
        be a facility.
    unmet : pandas.DataFrame, optional
        Unmet demand (``facility``, ``resource``, ``period``, ``unmet``); when
        given, each facility's tooltip shows its total unmet demand and
        facilities with unmet demand are drawn in red.
    tiles : str or None, default None
        No tile layer: a plain background, and the page loads nothing from the
        network (nor tells a tile server which region is being planned). A
        folium tile name (e.g. ``"OpenStreetMap"``) adds a basemap that the
        browser fetches from that server.
    max_weight_px, min_weight_px : float
        Line width of the largest flow and the smallest width; widths scale
        with sqrt(units), so the line's width squared is proportional to units.
    arrows : bool, default True
        Draw a small triangle 60% of the way along each flow, pointing to the
        destination (a polygon computed in the facilities' CRS, no plugin).

    Returns
    -------
    folium.Map
        One circle marker per facility, one polyline per (origin, destination,
        resource) flow (its tooltip lists units, resource and the departure and
        arrival periods of each move), one layer per resource and a layer
        control. It loads only Leaflet and jQuery: save it with
        :func:`accessplan.maps.offline.save_offline`.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If an input misses a column, has no CRS, or a move names an unknown
        facility.
    """
    _check_moves(moves)
    if unmet is not None:
        check_unmet(unmet)
    fac = _facility_frame(facilities, moves, unmet)
    flows = _flow_frame(moves)
    xy = {f: (p.x, p.y) for f, p in zip(fac["facility"], fac.geometry, strict=True)}
    wgs = fac.to_crs(4326)
    latlon = {f: (p.y, p.x) for f, p in zip(wgs["facility"], wgs.geometry, strict=True)}

    m = LeanMap(tiles=tiles, control_scale=True)
    m.get_root().header.add_child(
        Element(f"<style>.leaflet-container {{ background: {BACKGROUND}; }}</style>"),
        name="accessplan_redeploy_css",
    )
    west, south, east, north = wgs.total_bounds
    fit_region(m, south, west, north, east)

    resources = sorted(flows["resource"].unique(), key=str)
    colors = resource_colors(resources)
    max_units = float(flows["units"].max()) if len(flows) else 1.0
    for resource in resources:
        swatch = f'<span style="color:{colors[resource]}">&#9632;</span>'
        group = folium.FeatureGroup(name=f"{swatch} {html_text(resource)}")
        for flow in flows[flows["resource"] == resource].itertuples(index=False):
            a, b = flow.from_facility, flow.to_facility
            weight = max(min_weight_px, max_weight_px * math.sqrt(flow.units / max_units))
            head = (
                f"<b>{_number_text(flow.units)} {html_text(resource)}</b> "
                f"from {html_text(a)} to {html_text(b)}"
            )
            folium.PolyLine(
                locations=[list(latlon[a]), list(latlon[b])],
                color=colors[resource],
                weight=float(weight),
                opacity=0.8,
                tooltip=folium.Tooltip("<br>".join([head, *flow.lines]), sticky=True),
            ).add_to(group)
            triangle = _arrowhead(*xy[a], *xy[b]) if arrows else None
            if triangle is not None:
                pts = gpd.GeoSeries(
                    gpd.points_from_xy(*zip(*triangle, strict=True)), crs=fac.crs
                ).to_crs(4326)
                folium.Polygon(
                    locations=[[p.y, p.x] for p in pts],
                    color=colors[resource],
                    weight=1,
                    fill=True,
                    fill_color=colors[resource],
                    fill_opacity=0.9,
                ).add_to(group)
        group.add_to(m)

    with_unmet = unmet is not None
    group = folium.FeatureGroup(name="Facilities")
    for row in wgs.itertuples(index=False):
        short = with_unmet and row.total_unmet > 0
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=7.0,
            color="#ffffff",
            weight=1,
            fill=True,
            fill_color=UNMET_COLOR if short else FACILITY_COLOR,
            fill_opacity=0.9,
            tooltip=folium.Tooltip(_facility_tooltip(row, with_unmet)),
        ).add_to(group)
    group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def transfer_figure(
    facilities,
    moves,
    path,
    *,
    unmet=None,
    figsize_inches=(7.0, 6.0),
    dpi=110,
    title="Transfers (all periods)",
    max_width_pt=4.0,
    min_width_pt=1.0,
) -> Path:
    """Draw the transfers as a static PNG (for print and for readers without scripts).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points with a ``facility`` id, in any CRS (drawn in a metre-based CRS
        when the input is geographic).
    moves : pandas.DataFrame
        The moves (see :func:`command_list`).
    path : str or path-like
        The PNG to write (written atomically).
    unmet : pandas.DataFrame, optional
        Facilities with unmet demand are drawn in red.
    figsize_inches, dpi, title
        Figure size, resolution and title.
    max_width_pt, min_width_pt : float
        Arrow width of the largest flow and the smallest width (width grows
        with sqrt(units), as on the web map).

    Returns
    -------
    pathlib.Path
        The path written. Every facility is a labelled point; every (origin,
        destination, resource) flow an arrow labelled with its units.
    """
    from matplotlib.patches import FancyArrowPatch

    _check_moves(moves)
    if unmet is not None:
        check_unmet(unmet)
    fac = _facility_frame(facilities, moves, unmet)
    if fac.crs is not None and fac.crs.is_geographic:
        fac = fac.to_crs(fac.estimate_utm_crs())
    flows = _flow_frame(moves)
    xy = {f: (p.x, p.y) for f, p in zip(fac["facility"], fac.geometry, strict=True)}
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.add_subplot()
    resources = sorted(flows["resource"].unique(), key=str)
    colors = resource_colors(resources)
    max_units = float(flows["units"].max()) if len(flows) else 1.0
    for flow in flows.itertuples(index=False):
        (x0, y0), (x1, y1) = xy[flow.from_facility], xy[flow.to_facility]
        width = max(min_width_pt, max_width_pt * math.sqrt(flow.units / max_units))
        ax.add_patch(
            FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=8 + 2 * width,
                linewidth=width,
                color=colors[flow.resource],
                alpha=0.75,
                shrinkA=6,
                shrinkB=6,
                gid=f"flow:{flow.from_facility}>{flow.to_facility}:{flow.resource}",
            )
        )
        # the units near the origin: flows into one facility fan out there, not at the middle
        ax.annotate(
            _number_text(flow.units),
            (x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0)),
            fontsize=7,
            color=colors[flow.resource],
            ha="center",
            va="center",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    short = (
        fac["total_unmet"].to_numpy() > 0
        if "total_unmet" in fac.columns
        else np.zeros(len(fac), dtype=bool)
    )
    xs = np.array([p.x for p in fac.geometry])
    ys = np.array([p.y for p in fac.geometry])
    ax.scatter(
        xs[~short],
        ys[~short],
        s=36,
        color=FACILITY_COLOR,
        edgecolor="white",
        zorder=3,
        label="facility",
    )
    if short.any():
        ax.scatter(
            xs[short],
            ys[short],
            s=48,
            color=UNMET_COLOR,
            edgecolor="white",
            zorder=3,
            label="facility with unmet demand",
        )
    for name, x, y in zip(fac["facility"], xs, ys, strict=True):
        ax.annotate(
            plain_label(name),
            (x, y),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
            zorder=4,
        )
    for resource in resources:
        ax.plot([], [], color=colors[resource], linewidth=2, label=plain_label(resource))
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.08)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(loc="best", fontsize="small")
    return save_png(fig, path, dpi=dpi)
