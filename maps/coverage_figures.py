"""Figures of the coverage indicators and of several supplies.

* :func:`coverage_curve_figure`: the cumulative coverage curve ``P(T)``, the
  share of the population whose nearest facility is within ``T`` minutes,
  before and after a plan (:func:`accessplan.spatial.coverage_indicators.coverage_curve`).
* :func:`supply_maps_figure`: one map panel per supply (beds, ICU beds,
  ventilators, ...), each classified on its own values with the web maps'
  palette, hatched "no access" and grey "no score" (:mod:`accessplan.maps.classes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from accessplan.data.errors import ProblemCollector
from accessplan.maps.classes import NO_DATA, shared_classes
from accessplan.maps.figure_layers import draw_areas, no_access_patch, save_png
from accessplan.maps.raster_overlay import MAX_VECTOR_AREAS

__all__ = ["coverage_curve_figure", "supply_maps_figure"]


def coverage_curve_figure(
    curve: pd.DataFrame,
    path,
    *,
    thresholds_minutes=(),
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (7.0, 4.5),
) -> Path:
    """The share of the population within ``T`` minutes of its nearest facility.

    Parameters
    ----------
    curve : DataFrame
        Indexed by minutes, columns ``share_before`` (and ``share_after``), as
        written to ``coverage_curve.csv``.
    path : str or os.PathLike
        The PNG to write (atomically).
    thresholds_minutes : sequence of float, optional
        Thresholds to mark with vertical lines.
    dpi : float, default 150
    figsize_inches : tuple, default (7, 4.5)

    Returns
    -------
    Path
    """
    problems = ProblemCollector(what="coverage curve")
    if "share_before" not in curve.columns:
        problems.add("the curve has no share_before column", source="coverage curve")
    problems.raise_if_any()
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.add_subplot()
    minutes = curve.index.to_numpy(dtype=float)
    planned = "share_after" in curve.columns
    ax.step(
        minutes,
        curve["share_before"],
        where="post",
        color="#737373" if planned else "#225ea8",  # one state (no plan): solid, not "before"
        ls="--" if planned else "-",
        lw=2,
        label="before" if planned else "existing facilities",
    )
    if planned:
        ax.step(
            minutes,
            curve["share_after"],
            where="post",
            color="#225ea8",
            lw=2,
            label="after the plan",
        )
    for t in thresholds_minutes:
        ax.axvline(float(t), color="#bdbdbd", lw=0.8, zorder=0)
    ax.set_xlim(0, minutes.max() if len(minutes) else 1)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f}%")
    ax.set_xlabel("minutes to the nearest facility")
    ax.set_ylabel("share of the population within")
    ax.set_title("Coverage: people within reach of the nearest facility")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return save_png(fig, path, dpi=dpi)


def supply_maps_figure(
    areas,
    columns: Mapping[str, str],
    path,
    *,
    population: str = "population",
    access_scale: float = 1.0,
    dpi: float = 150,
    panel_inches: float = 4.5,
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
) -> Path:
    """One map per supply, each with its own classes and legend.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas with ``population`` and one access column per supply.
    columns : mapping
        Panel title (e.g. ``"ventilators"``) -> access column of ``areas``.
    path : str or os.PathLike
        The PNG to write (atomically).
    population : str, default "population"
        Weights of the quantile classes.
    access_scale : float, default 1.0
        Multiplier of the legend's numbers (e.g. 1000: per 1,000 people).
    dpi : float, default 150
    panel_inches : float, default 4.5
    max_vector_areas : int or None, default 5,000
        With more areas, each panel draws them as one image
        (:func:`accessplan.maps.figure_layers.draw_areas`).

    Returns
    -------
    Path
    """
    problems = ProblemCollector(what="supply maps")
    for title, column in columns.items():
        if column not in areas.columns:
            problems.add(f"access column {column!r} not found", source=f"supply {title!r}")
    if not columns:
        problems.add("no supply to draw", source="supply maps")
    problems.raise_if_any()
    n = len(columns)
    fig = Figure(figsize=(panel_inches * n, panel_inches + 1.2), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    weights = areas[population].to_numpy(dtype=float) if population in areas.columns else None
    for ax, (title, column) in zip(axes, columns.items(), strict=True):
        values = areas[column].to_numpy(dtype=float)
        classes = shared_classes(values, values, population=weights)
        index = classes.classify(values)
        face = [NO_DATA if i < 0 else classes.colors[i] for i in index]
        hatched = (index == 0) if classes.zero_class else np.zeros(len(index), dtype=bool)
        image = draw_areas(ax, areas, face, hatched, max_vector_areas=max_vector_areas)
        ax.set_title(title)
        ax.set_axis_off()
        ax.set_aspect("equal")
        handles = []
        for i, label in enumerate(classes.labels(scale=access_scale)):
            if classes.zero_class and i == 0:
                handles.append(no_access_patch(label))
            else:
                handles.append(Patch(facecolor=classes.colors[i], edgecolor="none", label=label))
        if np.isnan(values).any():
            handles.append(Patch(facecolor=NO_DATA, label="no score"))
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncol=2,
            fontsize=7,
            frameon=False,
        )
    return save_png(fig, path, dpi=dpi, colors=None if image is None else 256)
