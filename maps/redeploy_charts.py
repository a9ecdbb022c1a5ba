"""Charts of a redeployment: unmet demand per period (per resource, with and without moves).

- :func:`unmet_series` / :func:`unmet_chart`: unmet demand per period, one line
  per resource plus the total;
- :func:`unmet_comparison_series` / :func:`unmet_comparison_chart`: total unmet
  demand per period with the moves and without them (``unmet_without_moves``),
  the gap shaded.

Each ``*_series`` function returns the numbers its chart draws. PNGs are written
atomically.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from accessplan.data.errors import ProblemCollector
from accessplan.maps.figure_layers import save_png

__all__ = [
    "UNMET_COLOR",
    "check_unmet",
    "plain_label",
    "resource_colors",
    "unmet_chart",
    "unmet_comparison_chart",
    "unmet_comparison_series",
    "unmet_figure",
    "unmet_series",
]

#: facilities with unmet demand, and the "without moves" line
UNMET_COLOR = "#d7301f"


def check_unmet(unmet) -> None:
    """Raise one InputValidationError naming every missing column or non-numeric value."""
    problems = ProblemCollector(what="unmet demand")
    if not isinstance(unmet, pd.DataFrame):
        problems.add(f"expected a DataFrame, got {type(unmet).__name__}")
        problems.raise_if_any()
    for col in ("facility", "resource", "period", "unmet"):
        if col not in unmet.columns:
            problems.add("column is missing", source="unmet", column=col)
    problems.raise_if_any()
    for col in ("period", "unmet"):
        values = pd.to_numeric(unmet[col], errors="coerce")
        bad = unmet.index[values.isna()]
        if len(bad):
            problems.add("is missing or not numeric", source="unmet", column=col, rows=tuple(bad))
    problems.raise_if_any()


def resource_colors(resources) -> dict:
    """One tab10 colour per resource, in the order given (the map and the charts agree)."""
    cmap = colormaps["tab10"]
    return {r: to_hex(cmap(i % 10)) for i, r in enumerate(resources)}


def unmet_series(unmet) -> pd.DataFrame:
    """Unmet demand per period: one column per resource and a ``total`` column.

    Parameters
    ----------
    unmet : pandas.DataFrame
        Columns ``facility``, ``resource``, ``period`` and ``unmet``.

    Returns
    -------
    pandas.DataFrame
        Indexed by every period present (sorted), columns the resources
        (sorted) then ``total``; each value is the sum of ``unmet`` over
        facilities (0 where a resource has no row in a period). These are the
        numbers :func:`unmet_chart` draws.
    """
    check_unmet(unmet)
    frame = pd.DataFrame(
        {
            "resource": unmet["resource"].to_numpy(),
            "period": pd.to_numeric(unmet["period"]).to_numpy(),
            "unmet": pd.to_numeric(unmet["unmet"]).to_numpy(dtype=float),
        }
    )
    table = frame.pivot_table(
        index="period", columns="resource", values="unmet", aggfunc="sum", fill_value=0.0
    )
    table = table.reindex(columns=sorted(table.columns, key=str)).astype(float)
    table.columns = [str(c) for c in table.columns]
    table.columns.name = None
    table["total"] = table.sum(axis=1)
    return table


def plain_label(text) -> str:
    """A user's name as matplotlib label text shown literally.

    matplotlib reads ``$...$`` as mathtext (a bad formula raises when the figure
    is drawn) and leaves labels starting with ``_`` out of the legend.
    """
    text = str(text).replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def unmet_figure(unmet, *, figsize_inches, title) -> Figure:
    """The figure :func:`unmet_chart` saves (lines with gids ``unmet:<resource>``, ``unmet:total``)."""
    series = unmet_series(unmet)
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.add_subplot()
    periods = series.index.to_numpy(dtype=float)
    resources = [c for c in series.columns if c != "total"]
    colors = resource_colors(resources)
    for resource in resources:
        ax.plot(
            periods,
            series[resource].to_numpy(),
            marker="o",
            markersize=3,
            color=colors[resource],
            label=plain_label(resource),
            gid=f"unmet:{resource}",
        )
    ax.plot(
        periods,
        series["total"].to_numpy(),
        color="black",
        linewidth=2.5,
        label="total",
        gid="unmet:total",
    )
    ax.set_xlabel("period")
    ax.set_ylabel("unmet demand (units)")
    ax.set_title(title)
    ax.set_ylim(bottom=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return fig


def unmet_chart(
    unmet,
    path,
    *,
    figsize_inches=(8.0, 4.5),
    dpi=100,
    title="Unmet demand per period",
) -> Path:
    """Draw unmet demand over time (one line per resource, plus the total) as a PNG.

    Parameters
    ----------
    unmet : pandas.DataFrame
        Columns ``facility``, ``resource``, ``period`` and ``unmet``.
    path : str or path-like
        The PNG to write (parent folders are created; written atomically).
    figsize_inches : tuple of float, default (8.0, 4.5)
        Figure width and height; the PNG is ``figsize_inches * dpi`` pixels.
    dpi : float, default 100
        Resolution.
    title : str
        Axes title.

    Returns
    -------
    pathlib.Path
        The path written. The plotted numbers are :func:`unmet_series`.
    """
    fig = unmet_figure(unmet, figsize_inches=figsize_inches, title=title)
    return save_png(fig, path, dpi=dpi)


def unmet_comparison_series(unmet) -> pd.DataFrame:
    """Total unmet demand per period with the moves and without them.

    Parameters
    ----------
    unmet : pandas.DataFrame
        Columns ``period``, ``unmet`` and ``unmet_without_moves``.

    Returns
    -------
    pandas.DataFrame
        Indexed by period (sorted), columns ``with`` and ``without``: the sums
        over facilities and resources. These are the numbers
        :func:`unmet_comparison_chart` draws.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        A column is missing or a value is not numeric.
    """
    check_unmet(unmet)
    problems = ProblemCollector(what="unmet demand")
    if "unmet_without_moves" not in unmet.columns:
        problems.add("column is missing", source="unmet", column="unmet_without_moves")
        problems.raise_if_any()
    without = pd.to_numeric(unmet["unmet_without_moves"], errors="coerce")
    bad = unmet.index[without.isna()]
    if len(bad):
        problems.add(
            "is missing or not numeric",
            source="unmet",
            column="unmet_without_moves",
            rows=tuple(bad),
        )
    problems.raise_if_any()
    frame = pd.DataFrame(
        {
            "period": pd.to_numeric(unmet["period"]).to_numpy(dtype=float),
            "with": pd.to_numeric(unmet["unmet"]).to_numpy(dtype=float),
            "without": without.to_numpy(dtype=float),
        }
    )
    return frame.groupby("period")[["with", "without"]].sum().sort_index()


def unmet_comparison_chart(
    unmet,
    path,
    *,
    figsize_inches=(8.0, 4.0),
    dpi=100,
    title="Unmet demand per period: with and without moves",
) -> Path:
    """Draw total unmet demand per period with the moves and without them as a PNG.

    Parameters
    ----------
    unmet : pandas.DataFrame
        Columns ``period``, ``unmet`` and ``unmet_without_moves`` (one row per
        facility, resource and period).
    path : str or path-like
        The PNG to write (parent folders are created; written atomically).
    figsize_inches, dpi, title
        As for :func:`unmet_chart`.

    Returns
    -------
    pathlib.Path
        The path written. The two lines are :func:`unmet_comparison_series`;
        the area between them (demand the moves served) is shaded.
    """
    sums = unmet_comparison_series(unmet)
    periods = sums.index.to_numpy(dtype=float)
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.add_subplot()
    ax.fill_between(
        periods,
        sums["with"].to_numpy(),
        sums["without"].to_numpy(),
        color="#9ecae1",
        alpha=0.6,
        label="served thanks to the moves",
    )
    ax.plot(
        periods,
        sums["without"].to_numpy(),
        color=UNMET_COLOR,
        linestyle="--",
        marker="o",
        markersize=3,
        label="without moves (own units only)",
        gid="unmet:without",
    )
    ax.plot(
        periods,
        sums["with"].to_numpy(),
        color="black",
        linewidth=2.5,
        marker="o",
        markersize=3,
        label="with the moves",
        gid="unmet:with",
    )
    ax.set_xlabel("period")
    ax.set_ylabel("unmet demand (units)")
    ax.set_title(title)
    ax.set_ylim(bottom=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    return save_png(fig, path, dpi=dpi)
