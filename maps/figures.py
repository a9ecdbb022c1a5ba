"""Static matplotlib figures of a plan: before/after access maps, Lorenz curves, distributions.

Every public function draws one figure, writes it as a PNG (atomically: a
temporary file beside the target, then a rename) and returns the path. The
figures are built on :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so no GUI backend is touched and no figure is left open.

The before/after maps share ONE classification: the class bins are computed
from the pooled before and after values by
:func:`accessplan.maps.classes.shared_classes` (the same code and defaults as
the folium maps, so both outputs use identical bins), and a colour means the
same access in both panels. Areas with zero access form their own light-grey
"0 (no access)" class. The bins used are also written into the
PNG as the text chunk ``accessplan:bins`` (JSON list of upper bounds).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.classes import (
    NO_ACCESS_COLOR,
    NO_DATA,
    AccessClasses,
    classify,
    shared_classes,
)
from accessplan.spatial.inequity import lorenz_points, weighted_gini

__all__ = [
    "access_distribution_figure",
    "access_maps_figure",
    "classify",
    "lorenz_figure",
    "shared_bins",
]

_SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "fisher_jenks": "FisherJenks",
    "natural_breaks": "NaturalBreaks",
}
_BEFORE_COLOR = "#1f77b4"
_AFTER_COLOR = "#d62728"
BINS_KEY = "accessplan:bins"


# --------------------------------------------------------------------------
# helpers
def _finite(values, name: str, problems: ProblemCollector) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce"))
    arr = arr.astype(float)
    bad = np.isinf(arr)
    if bad.any():
        problems.add("values must be finite", column=name, rows=tuple(np.flatnonzero(bad)))
    return arr


def _require(frame, columns, what: str, problems: ProblemCollector) -> None:
    if frame is None:
        problems.add(f"{what} is missing")
        return
    for col in columns:
        if col is not None and col not in frame.columns:
            problems.add("column not found", source=what, column=col)


def _save(fig: Figure, path, dpi: float, metadata: dict | None = None) -> Path:
    """Write ``fig`` as a PNG at ``dpi`` atomically and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Software": "accessplan"}
    if metadata:
        meta.update(metadata)
    try:
        with atomic_file(path, binary=True) as fh:
            fig.savefig(fh, format="png", dpi=dpi, metadata=meta)
    finally:
        fig.clear()
    return path


def _weights(areas, weights, problems: ProblemCollector) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in areas.columns:
            return None  # reported by _require
        return np.asarray(areas[weights], dtype=float)
    return np.asarray(weights, dtype=float)


# --------------------------------------------------------------------------
# classification
def _shared_classes(before, after, *, k, scheme, population=None) -> AccessClasses:
    problems = ProblemCollector(what="classification inputs")
    b = _finite(before, "before", problems)
    a = _finite(after, "after", problems)
    if scheme not in _SCHEMES:
        problems.add(f"unknown scheme {scheme!r}; use one of {sorted(_SCHEMES)}")
    if not isinstance(k, int | np.integer) or k < 1:
        problems.add(f"k must be an integer >= 1, got {k!r}")
    pooled = np.concatenate([b, a])
    if not np.isfinite(pooled).any():
        problems.add("no finite value to classify")
    problems.raise_if_any()
    return shared_classes(b, a, scheme=scheme, k=int(k), population=population)


def shared_bins(
    before, after, *, k: int = 5, scheme: str = "quantiles", population=None
) -> np.ndarray:
    """Class upper bounds computed once from the pooled before and after values.

    The bins are those of :func:`accessplan.maps.classes.shared_classes` (the
    classification the folium maps use), after this module's input checks.

    Parameters
    ----------
    before, after : array-like
        Access per area before and after the plan. NaN values are ignored.
    k : int, default 5
        Number of classes asked for. Fewer are returned when the pooled values
        have fewer distinct breaks. When some value is exactly 0, the first
        bound is 0 (the "no access" class holds exactly the zeros) and the
        other ``k - 1`` classes are computed on the positive values.
    scheme : {"quantiles", "equal_interval", "fisher_jenks", "natural_breaks"}
        The mapclassify scheme applied to the pooled values.
    population : array-like, optional
        Population per area; with ``"quantiles"`` the breaks are
        population-weighted quantiles.

    Returns
    -------
    numpy.ndarray
        Increasing upper bounds (mapclassify convention: class ``i`` holds the
        values ``bins[i-1] < v <= bins[i]``); the last equals the pooled maximum.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If the scheme is unknown, ``k < 1``, a value is infinite, or no value
        is finite.
    """
    classes = _shared_classes(before, after, k=k, scheme=scheme, population=population)
    return np.asarray(classes.bins, dtype=float)


# --------------------------------------------------------------------------
# builders (return the Figure; the public functions save it)
def _access_maps(
    areas,
    sites,
    *,
    before: str,
    after: str,
    k: int,
    scheme: str,
    new_column: str,
    cmap: str,
    population="population",
    figsize_inches: tuple[float, float],
    titles: tuple[str, str],
    value_format: str,
) -> tuple[Figure, np.ndarray]:
    problems = ProblemCollector(what="map inputs")
    _require(
        areas,
        [before, after] + ([population] if isinstance(population, str) else []),
        "areas",
        problems,
    )
    if sites is not None:
        _require(sites, [new_column], "sites", problems)
    problems.raise_if_any()
    b = np.asarray(areas[before], dtype=float)
    a = np.asarray(areas[after], dtype=float)
    pop = _weights(areas, population, problems)
    classes = _shared_classes(b, a, k=k, scheme=scheme, population=pop)
    bins = np.asarray(classes.bins, dtype=float)
    n_ramp = classes.k - int(classes.zero_class)
    palette = colormaps[cmap].resampled(max(n_ramp, 1))
    colors = [to_rgba(NO_ACCESS_COLOR)] if classes.zero_class else []
    colors += [palette(i) for i in range(n_ramp)]

    fig = Figure(figsize=figsize_inches, layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, values, title in zip(axes, (b, a), titles, strict=True):
        cls = classify(values, bins)
        face = [colors[c] if c >= 0 else to_rgba(NO_DATA) for c in cls]
        areas.plot(ax=ax, color=face, edgecolor="white", linewidth=0.2)
        ax.set_title(title)
        ax.set_axis_off()
        ax.set_aspect("equal")

    handles = [
        Patch(facecolor=colors[i], edgecolor="none", label=lab)
        for i, lab in enumerate(classes.labels(value_format))
    ]
    if np.isnan(b).any() or np.isnan(a).any():
        handles.append(Patch(facecolor=NO_DATA, label="no data"))
    if sites is not None and len(sites):
        is_new = sites[new_column].fillna(False).astype(bool).to_numpy()
        old = sites[~is_new]
        new = sites[is_new]
        for ax in axes:
            if len(old):
                old.plot(ax=ax, color="black", marker="^", markersize=18, zorder=3)
        if len(new):
            new.plot(
                ax=axes[1],
                color="#e6007e",
                marker="*",
                markersize=140,
                zorder=4,
                edgecolor="black",
                linewidth=0.5,
            )
        if len(old):
            handles.append(Line2D([], [], color="black", marker="^", ls="", label="existing site"))
        if len(new):
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#e6007e",
                    marker="*",
                    ms=12,
                    ls="",
                    markeredgecolor="black",
                    label="new site",
                )
            )
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=min(len(handles), 4),
        title="access (shared classes)",
        frameon=False,
    )
    return fig, bins


def _lorenz(areas, *, before: str, after: str, weights, figsize_inches) -> tuple[Figure, dict]:
    problems = ProblemCollector(what="Lorenz inputs")
    _require(
        areas, [before, after] + ([weights] if isinstance(weights, str) else []), "areas", problems
    )
    problems.raise_if_any()
    w = _weights(areas, weights, problems)
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="equality")
    ginis = {}
    for col, name, color in ((before, "before", _BEFORE_COLOR), (after, "after", _AFTER_COLOR)):
        values = np.asarray(areas[col], dtype=float)
        # areas without a score (NaN: not rated) are left out, as in the inequity measures
        scored = ~np.isnan(values)
        pts = lorenz_points(values[scored], w[scored])
        g = weighted_gini(values[scored], w[scored])
        ginis[name] = g
        ax.plot(
            pts["population_share"],
            pts["access_share"],
            color=color,
            lw=2,
            label=f"{name} (Gini {g:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("cumulative share of population (lowest access first)")
    ax.set_ylabel("cumulative share of access")
    ax.set_title("Lorenz curves of access")
    ax.legend(loc="upper left", frameon=False)
    return fig, ginis


def _weighted_ecdf(values: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(values, kind="stable")
    x = values[order]
    cum = np.cumsum(w[order]) / w.sum()
    # keep the last point of each run of equal values: F(x) = P(X <= x)
    last = np.r_[x[1:] != x[:-1], True]
    return x[last], cum[last]


def _distribution(
    areas, *, before: str, after: str, weights, bins: int, figsize_inches
) -> tuple[Figure, np.ndarray]:
    problems = ProblemCollector(what="distribution inputs")
    _require(
        areas, [before, after] + ([weights] if isinstance(weights, str) else []), "areas", problems
    )
    if not isinstance(bins, int | np.integer) or bins < 1:
        problems.add(f"bins must be an integer >= 1, got {bins!r}")
    problems.raise_if_any()
    b = np.asarray(areas[before], dtype=float)
    a = np.asarray(areas[after], dtype=float)
    w = _weights(areas, weights, problems)
    w = np.ones_like(b) if w is None else w
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        problems.add("weights must be finite, >= 0 and not all 0", column=str(weights))
    keep_b, keep_a = np.isfinite(b), np.isfinite(a)
    if not keep_b.any() or not keep_a.any():
        problems.add("no finite access value")
    problems.raise_if_any()
    pooled = np.r_[b[keep_b], a[keep_a]]
    edges = np.histogram_bin_edges(pooled, bins=bins)

    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax_hist, ax_ecdf = fig.subplots(1, 2)
    for values, keep, name, color in (
        (b, keep_b, "before", _BEFORE_COLOR),
        (a, keep_a, "after", _AFTER_COLOR),
    ):
        ax_hist.hist(
            values[keep],
            bins=edges,
            weights=w[keep],
            histtype="step",
            lw=2,
            color=color,
            label=name,
        )
        x, y = _weighted_ecdf(values[keep], w[keep])
        ax_ecdf.step(np.r_[x[0], x], np.r_[0.0, y], where="post", color=color, lw=2, label=name)
    ax_hist.set_xlabel("access")
    ax_hist.set_ylabel("population")
    ax_hist.set_title("Population by access")
    ax_hist.legend(frameon=False)
    ax_ecdf.set_xlabel("access")
    ax_ecdf.set_ylabel("share of population with access ≤ x")
    ax_ecdf.set_ylim(0, 1.02)
    ax_ecdf.set_title("Cumulative distribution")
    ax_ecdf.legend(frameon=False, loc="lower right")
    return fig, edges


# --------------------------------------------------------------------------
# public API
def access_maps_figure(
    areas,
    sites,
    path,
    *,
    before: str = "access_before",
    after: str = "access_after",
    k: int = 5,
    scheme: str = "quantiles",
    new_column: str = "new",
    cmap: str = "viridis",
    population="population",
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (12.0, 5.5),
    titles: tuple[str, str] = ("Access before the plan", "Access after the plan"),
    value_format: str = "{:.3g}",
) -> Path:
    """Before/after choropleths side by side with one shared classification.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons or points) with the ``before`` and ``after`` columns.
    sites : geopandas.GeoDataFrame or None
        Sites after the plan (points) with a boolean ``new_column``; existing
        sites are drawn on both panels, new ones (stars) on the "after" panel.
    path : str or os.PathLike
        The PNG to write.
    before, after : str
        Access columns of ``areas``.
    k : int, default 5
        Classes asked for (see :func:`accessplan.maps.classes.shared_classes`).
    scheme : str, default "quantiles"
        mapclassify scheme applied to the pooled before+after values.
    new_column : str, default "new"
        Boolean column of ``sites`` marking the chosen new sites.
    cmap : str, default "viridis"
        Matplotlib colormap name for the positive classes; the "0 (no access)"
        class, when present, is light grey.
    population : str, array-like or None, default "population"
        Column of ``areas`` (or values) weighting the quantile breaks, as the
        folium maps do, so both outputs use identical bins; None for
        unweighted breaks.
    dpi : float, default 150
        Resolution; the PNG is ``figsize_inches * dpi`` pixels.
    figsize_inches : (float, float)
        Figure width and height in inches.
    titles : (str, str)
        Panel titles.
    value_format : str
        Format of the class bounds in the legend.

    Returns
    -------
    pathlib.Path
        ``path``. The bins used are stored in the PNG text chunk ``accessplan:bins``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column or bad value.
    """
    fig, bins = _access_maps(
        areas,
        sites,
        before=before,
        after=after,
        k=k,
        scheme=scheme,
        new_column=new_column,
        cmap=cmap,
        population=population,
        figsize_inches=figsize_inches,
        titles=titles,
        value_format=value_format,
    )
    return _save(fig, path, dpi, {BINS_KEY: json.dumps([float(x) for x in bins])})


def lorenz_figure(
    areas,
    path,
    *,
    weights="population",
    before: str = "access_before",
    after: str = "access_after",
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (6.0, 6.0),
) -> Path:
    """Lorenz curves of access before and after, with the equality line and Gini in the legend.

    Parameters
    ----------
    areas : pandas.DataFrame or geopandas.GeoDataFrame
        Areas with the ``before`` and ``after`` access columns.
    path : str or os.PathLike
        The PNG to write.
    weights : str, array-like or None, default "population"
        Column of ``areas`` (or values) weighting each area; None for 1 each.
    before, after : str
        Access columns.
    dpi : float, default 150
        Resolution.
    figsize_inches : (float, float)
        Figure width and height in inches.

    Returns
    -------
    pathlib.Path
        ``path``. The Gini values (from
        :func:`accessplan.spatial.inequity.weighted_gini`) are stored in the PNG
        text chunk ``accessplan:gini`` as JSON.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column or bad value.
    """
    fig, ginis = _lorenz(
        areas, before=before, after=after, weights=weights, figsize_inches=figsize_inches
    )
    return _save(fig, path, dpi, {"accessplan:gini": json.dumps(ginis)})


def access_distribution_figure(
    areas,
    path,
    *,
    weights="population",
    before: str = "access_before",
    after: str = "access_after",
    bins: int = 30,
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (11.0, 4.5),
) -> Path:
    """Population-weighted distribution of access before and after (histogram and ECDF).

    Parameters
    ----------
    areas : pandas.DataFrame or geopandas.GeoDataFrame
        Areas with the ``before`` and ``after`` access columns.
    path : str or os.PathLike
        The PNG to write.
    weights : str, array-like or None, default "population"
        Column of ``areas`` (or values) weighting each area; None for 1 each.
    before, after : str
        Access columns. NaN values are left out.
    bins : int, default 30
        Histogram bins, shared by both curves (edges from the pooled values).
    dpi : float, default 150
        Resolution.
    figsize_inches : (float, float)
        Figure width and height in inches.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column or bad value.
    """
    fig, _ = _distribution(
        areas, before=before, after=after, weights=weights, bins=bins, figsize_inches=figsize_inches
    )
    return _save(fig, path, dpi)
