"""Static figures of a policy sweep: efficiency frontier, equity–efficiency frontier, site frequency.

Each public function draws one figure with :class:`matplotlib.figure.Figure`
(never ``pyplot``), writes it as a PNG atomically and returns the path, like
:mod:`accessplan.maps.figures`, whose styling it shares: the YlGnBu ramp of
access for lines and circles, the magenta of new sites for robust sites,
greys for what did not happen. A point the solver did not prove optimal is
drawn hollow and labelled with its gap, so an unproven number never looks
like a proven one. What each figure marks (knees, the chosen point, the
robust sites) is also written into the PNG as a JSON text chunk, so a test or
a program can check the figure against the tables.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter

from accessplan.data.errors import ProblemCollector
from accessplan.maps.classes import NO_DATA
from accessplan.maps.figure_layers import NEW_SITE_COLOR, label_sites, save_png

__all__ = [
    "KNEE_KEY",
    "PARETO_KEY",
    "ROBUST_KEY",
    "efficiency_frontier_figure",
    "group_label",
    "money_axis",
    "pareto_figure",
    "site_frequency_figure",
    "varying_dimensions",
]

KNEE_KEY = "accessplan:knees"
PARETO_KEY = "accessplan:pareto_chosen"
ROBUST_KEY = "accessplan:robust_sites"
_RAMP = "YlGnBu"
_OUTLINE = "#636363"


# --------------------------------------------------------------------------
# helpers
def _require(frame, columns, what: str) -> None:
    problems = ProblemCollector(what=f"{what} table")
    if not isinstance(frame, pd.DataFrame):
        problems.add(f"{what} must be a DataFrame, got {type(frame).__name__}")
        problems.raise_if_any()
    for column in columns:
        if column not in frame.columns:
            problems.add("column is missing", source=what, column=column)
    if len(frame) == 0:
        problems.add("has no rows", source=what)
    problems.raise_if_any()


def _proven(values) -> np.ndarray:
    return np.array([str(v).strip().lower() in ("true", "1", "yes") for v in values], dtype=bool)


def _gap_text(gap) -> str:
    try:
        g = float(gap)
    except (TypeError, ValueError):
        return "not proven"
    return "not proven" if not np.isfinite(g) else f"gap {100 * g:.2g}%"


def money_axis(value: float, currency: str | None = None) -> str:
    """A short tick label for money: ``"25M"``, ``"1.5B"``, ``"900k"``, ``"EUR 25M"``."""
    a = abs(value)
    if a >= 1e9:
        text = f"{value / 1e9:g}B"
    elif a >= 1e6:
        text = f"{value / 1e6:g}M"
    elif a >= 1e3:
        text = f"{value / 1e3:g}k"
    else:
        text = f"{value:g}"
    return f"{currency} {text}" if currency else text


def varying_dimensions(table: pd.DataFrame) -> tuple[str, ...]:
    """The sweep dimensions besides the budget that take more than one value in ``table``."""
    out = []
    for column in ("catchment_minutes", "growth", "closed"):
        if column not in table.columns:
            continue
        values = table[column]
        if column == "closed":
            values = values.map(
                lambda v: "" if not isinstance(v, str) else ";".join(sorted(v.split(";")))
            )
        if values.nunique(dropna=False) > 1:
            out.append(column)
    return tuple(out)


def group_label(row, dimensions=None) -> str:
    """``"30 min · growth ×1.2 · H03 closed"`` for one group of sweep points.

    Parameters
    ----------
    row : mapping or pandas.Series
        Any row of the group (``catchment_minutes``, ``growth``, ``closed``).
    dimensions : iterable of str, optional
        Only these dimensions are named (e.g. :func:`varying_dimensions`);
        None names every one present. A group named by none is ``"all points"``.
    """
    use = set(("catchment_minutes", "growth", "closed") if dimensions is None else dimensions)
    parts = []
    minutes = pd.to_numeric(pd.Series([row.get("catchment_minutes")]), errors="coerce").iloc[0]
    if "catchment_minutes" in use and pd.notna(minutes):
        parts.append(f"{minutes:g} min")
    growth = pd.to_numeric(pd.Series([row.get("growth")]), errors="coerce").iloc[0]
    if "growth" in use and pd.notna(growth):
        parts.append(f"growth \u00d7{growth:g}")
    closed = row.get("closed")
    if "closed" in use:
        if isinstance(closed, str) and closed.strip():
            parts.append(closed.replace(";", ", ") + " closed")
        else:
            parts.append("no closure")
    return " \u00b7 ".join(parts) if parts else "all points"


# --------------------------------------------------------------------------
# efficiency frontier
def efficiency_frontier_figure(
    frontier: pd.DataFrame,
    path,
    *,
    currency: str | None = None,
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (11.0, 4.8),
) -> Path:
    """Coverage share and zero-access share against budget, one line per group, knees marked.

    Parameters
    ----------
    frontier : pandas.DataFrame
        :func:`accessplan.planner.policy.efficiency_frontier`: ``group``,
        ``budget``, ``coverage_share``, ``zero_access_share``,
        ``proven_optimal``, ``gap``, ``knee`` and the group columns
        (``catchment_minutes``, ``growth``, ``closed``) for the legend.
    path : str or os.PathLike
        The PNG to write.
    currency : str, optional
        Written on the budget axis.
    dpi : float, default 150
        Resolution.
    figsize_inches : (float, float)
        Width and height.

    Returns
    -------
    pathlib.Path
        ``path``; the knees (``group``, ``point``, ``budget``,
        ``coverage_share``) are in the PNG text chunk :data:`KNEE_KEY`.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a column is missing or the table is empty.
    """
    columns = ("group", "budget", "coverage_share", "zero_access_share", "proven_optimal", "knee")
    _require(frontier, columns, "frontier")
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax_cov, ax_zero = fig.subplots(1, 2, sharex=True)
    groups = list(dict.fromkeys(frontier["group"]))
    varying = varying_dimensions(frontier)
    ramp = colormaps[_RAMP]
    colors = [ramp(0.45 + 0.5 * i / max(len(groups) - 1, 1)) for i in range(len(groups))]
    knees = []
    handles = []
    for color, group in zip(colors, groups, strict=True):
        part = frontier[frontier["group"] == group].sort_values("budget")
        x = part["budget"].to_numpy(dtype=float)
        proven = _proven(part["proven_optimal"])
        label = group_label(part.iloc[0], varying)
        for ax, column in ((ax_cov, "coverage_share"), (ax_zero, "zero_access_share")):
            y = part[column].to_numpy(dtype=float)
            ax.plot(x, y, color=color, lw=1.8, zorder=2)
            ax.scatter(
                x[proven], y[proven], color=color, s=28, zorder=3, edgecolor="black", linewidth=0.4
            )
            ax.scatter(
                x[~proven],
                y[~proven],
                facecolor="white",
                edgecolor=color,
                s=40,
                linewidth=1.6,
                zorder=3,
            )
            for xi, yi, gap in zip(
                x[~proven], y[~proven], part["gap"].to_numpy()[~proven], strict=True
            ):
                ax.annotate(
                    _gap_text(gap),
                    (xi, yi),
                    xytext=(4, -10),
                    textcoords="offset points",
                    fontsize=7,
                    color="#8a4b00",
                )
            is_knee = part["knee"].to_numpy(dtype=bool)
            ax.scatter(
                x[is_knee],
                y[is_knee],
                s=170,
                facecolor="none",
                edgecolor="#b00020",
                linewidth=1.6,
                zorder=4,
            )
        for _, row in part[part["knee"].astype(bool)].iterrows():
            knees.append(
                {
                    "group": int(row["group"]),
                    "point": int(row["point"]) if "point" in row else None,
                    "budget": float(row["budget"]),
                    "coverage_share": float(row["coverage_share"]),
                }
            )
            ax_cov.annotate(
                "knee",
                (row["budget"], row["coverage_share"]),
                xytext=(6, 8),
                textcoords="offset points",
                fontsize=8,
                color="#b00020",
            )
        handles.append(Line2D([], [], color=color, lw=1.8, marker="o", ms=5, label=label))
    handles.append(
        Line2D(
            [],
            [],
            color="#555",
            marker="o",
            ls="",
            mfc="white",
            mew=1.4,
            label="not proven optimal (gap shown)",
        )
    )
    handles.append(
        Line2D(
            [],
            [],
            color="#b00020",
            marker="o",
            ls="",
            mfc="none",
            ms=12,
            mew=1.4,
            label="knee (Kneedle)",
        )
    )
    fmt = FuncFormatter(lambda v, _: money_axis(v))
    for ax, title in (
        (ax_cov, "Population within the catchment of a site"),
        (ax_zero, "Population with zero access"),
    ):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.xaxis.set_major_formatter(fmt)
        ax.set_xlabel("budget" + (f" ({currency})" if currency else ""))
        ax.set_title(title)
        ax.grid(True, color="#e5e5e5", lw=0.6)
    ax_cov.set_ylabel("share of the population")
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=min(len(handles), 4),
        frameon=False,
        fontsize=8,
    )
    return save_png(fig, path, dpi=dpi, metadata={KNEE_KEY: json.dumps(knees)})


# --------------------------------------------------------------------------
# equity–efficiency frontier
def pareto_figure(
    pareto: pd.DataFrame,
    path,
    *,
    equity_label: str = "equity (worst-off access)",
    chosen: int | None = None,
    fairer: str = "higher",
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (7.0, 5.0),
) -> Path:
    """Coverage share against equity for the Pareto points, proven or with their gap, chosen marked.

    Parameters
    ----------
    pareto : pandas.DataFrame
        The equity–efficiency frontier (``pareto.csv``): ``point``,
        ``coverage_share``, ``equity``, ``proven_optimal`` and ``gap``.
    path : str or os.PathLike
        The PNG to write.
    equity_label : str
        The equity axis label (e.g. ``"lowest access (beds per 1,000)"``).
    chosen : int, optional
        The ``point`` the planners picked (its plan was written); drawn as a star.
    fairer : {"higher", "lower"}, default "higher"
        Which way along the equity axis is fairer (``"lower"`` for a deviation).
    dpi : float, default 150
        Resolution.
    figsize_inches : (float, float)
        Width and height.

    Returns
    -------
    pathlib.Path
        ``path``; the chosen point (or null) is in the text chunk :data:`PARETO_KEY`.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a column is missing or the table is empty.
    """
    _require(pareto, ("point", "coverage_share", "equity", "proven_optimal"), "pareto")
    table = pareto.sort_values("equity")
    x = table["equity"].to_numpy(dtype=float)
    y = table["coverage_share"].to_numpy(dtype=float)
    points = table["point"].to_numpy()
    proven = _proven(table["proven_optimal"])
    gaps = table["gap"].to_numpy() if "gap" in table.columns else np.full(len(table), np.nan)
    color = colormaps[_RAMP](0.8)
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.subplots()
    ax.plot(x, y, color=color, lw=1.5, zorder=2)
    ax.scatter(x[proven], y[proven], color=color, s=36, edgecolor="black", linewidth=0.4, zorder=3)
    ax.scatter(
        x[~proven], y[~proven], facecolor="white", edgecolor=color, s=46, linewidth=1.6, zorder=3
    )
    for xi, yi, p, ok, gap in zip(x, y, points, proven, gaps, strict=True):
        text = f"P{p}" + ("" if ok else f" ({_gap_text(gap)})")
        ax.annotate(
            text,
            (xi, yi),
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=8,
            color="#222" if ok else "#8a4b00",
        )
    chosen_point = None
    if chosen is not None and chosen in set(points.tolist()):
        at = int(np.flatnonzero(points == chosen)[0])
        chosen_point = int(chosen)
        ax.scatter(
            [x[at]],
            [y[at]],
            marker="*",
            s=320,
            color=NEW_SITE_COLOR,
            edgecolor="black",
            linewidth=0.6,
            zorder=4,
        )
        ax.annotate(
            "chosen",
            (x[at], y[at]),
            xytext=(8, -14),
            textcoords="offset points",
            fontsize=9,
            color=NEW_SITE_COLOR,
            fontweight="bold",
        )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    arrow = "\u2192 fairer" if fairer == "higher" else "\u2190 fairer"
    ax.set_xlabel(f"{equity_label}  ({arrow})")
    ax.set_ylabel("share of demand within the catchment")
    ax.set_title("Equity\u2013efficiency frontier (epsilon-constraint)")
    ax.grid(True, color="#e5e5e5", lw=0.6)
    handles = [
        Line2D(
            [], [], color=color, marker="o", ls="", mec="black", mew=0.4, label="proven optimal"
        ),
        Line2D(
            [],
            [],
            color=color,
            marker="o",
            ls="",
            mfc="white",
            mew=1.4,
            label="not proven (gap shown)",
        ),
    ]
    if chosen_point is not None:
        handles.append(
            Line2D(
                [],
                [],
                color=NEW_SITE_COLOR,
                marker="*",
                ls="",
                ms=14,
                mec="black",
                label="chosen plan",
            )
        )
    ax.legend(handles=handles, loc="best", frameon=False, fontsize=8)
    return save_png(fig, path, dpi=dpi, metadata={PARETO_KEY: json.dumps(chosen_point)})


# --------------------------------------------------------------------------
# site frequency map
def site_frequency_figure(
    frequency,
    path,
    *,
    areas=None,
    label_robust: bool = True,
    dpi: float = 150,
    figsize_inches: tuple[float, float] | None = None,
) -> Path:
    """Candidate sites sized by how often the sweep chose them, over the areas; robust sites starred.

    Parameters
    ----------
    frequency : geopandas.GeoDataFrame
        :func:`accessplan.planner.policy.site_frequency` of candidates with
        geometry: ``site_id``, ``frequency``, ``chosen_in``, ``points``,
        ``robust`` (and ``name`` for labels).
    path : str or os.PathLike
        The PNG to write.
    areas : geopandas.GeoDataFrame, optional
        The areas, drawn as a light outline under the sites (reprojected to
        the candidates' CRS).
    label_robust : bool, default True
        Write the names (else ids) of the robust sites and of the sites
        chosen in at least half of the points.
    dpi : float, default 150
        Resolution.
    figsize_inches : (float, float), optional
        Width and height; by default 7.5 inches wide and as tall as the
        region's shape needs (plus the legend).

    Returns
    -------
    pathlib.Path
        ``path``; the robust site ids are in the text chunk :data:`ROBUST_KEY`.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a column or the geometry is missing.
    """
    _require(frequency, ("site_id", "frequency", "robust"), "site frequency")
    if not hasattr(frequency, "geometry"):
        problems = ProblemCollector(what="site frequency table")
        problems.add("has no geometry: pass the candidates as a GeoDataFrame")
        problems.raise_if_any()
    if figsize_inches is None:
        frame = areas.to_crs(frequency.crs) if areas is not None and len(areas) else frequency
        west, south, east, north = frame.total_bounds
        ratio = (north - south) / (east - west) if east > west and north > south else 1.0
        figsize_inches = (7.5, float(np.clip(6.6 * ratio + 1.4, 3.5, 11.0)))
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.subplots()
    if areas is not None and len(areas):
        shapes = areas.to_crs(frequency.crs) if areas.crs and frequency.crs else areas
        if set(shapes.geometry.geom_type.dropna()) <= {"Point", "MultiPoint"}:
            shapes.plot(ax=ax, color="#d9d9d9", markersize=6, zorder=1)
        else:
            shapes.plot(ax=ax, facecolor="#f7f7f7", edgecolor="#d0d0d0", linewidth=0.3, zorder=1)
            shapes.dissolve().boundary.plot(ax=ax, color=_OUTLINE, linewidth=0.8, zorder=1)
    share = frequency["frequency"].to_numpy(dtype=float)
    robust = frequency["robust"].to_numpy(dtype=bool)
    never = share <= 0
    ramp = colormaps[_RAMP]
    if never.any():
        frequency[never].plot(
            ax=ax, facecolor="white", edgecolor=NO_DATA, markersize=14, linewidth=0.8, zorder=2
        )
    some = ~never & ~robust
    if some.any():
        sizes = 30 + 370 * share[some]
        frequency[some].plot(
            ax=ax,
            color=[ramp(0.3 + 0.6 * s) for s in share[some]],
            markersize=sizes,
            edgecolor="black",
            linewidth=0.4,
            alpha=0.9,
            zorder=3,
        )
    if robust.any():
        frequency[robust].plot(
            ax=ax,
            color=NEW_SITE_COLOR,
            marker="*",
            markersize=420,
            edgecolor="black",
            linewidth=0.6,
            zorder=4,
        )
    if label_robust and (share >= 0.5).any():
        label_sites(ax, frequency[share >= 0.5])
    handles = [
        Line2D(
            [],
            [],
            color=ramp(0.3 + 0.6 * s),
            marker="o",
            ls="",
            mec="black",
            mew=0.4,
            ms=float(np.sqrt(30 + 370 * s)),
            label=f"chosen in {100 * s:.0f}% of points",
        )
        for s in (0.25, 0.5, 0.75)
    ]
    handles.append(
        Line2D(
            [],
            [],
            color=NEW_SITE_COLOR,
            marker="*",
            ls="",
            ms=18,
            mec="black",
            label="robust: chosen in every point",
        )
    )
    handles.append(
        Line2D([], [], color=NO_DATA, marker="o", ls="", mfc="white", ms=4, label="never chosen")
    )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=3,
        frameon=False,
        fontsize=8,
    )
    ax.set_title("How often each candidate site is chosen across the sweep")
    ax.set_axis_off()
    ax.set_aspect("equal")
    ids = [str(i) for i in frequency.loc[robust, "site_id"]]
    return save_png(fig, path, dpi=dpi, metadata={ROBUST_KEY: json.dumps(ids)})
