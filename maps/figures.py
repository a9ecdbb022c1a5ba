"""Static matplotlib figures of a plan: before/after access maps, Lorenz curves, distributions.

Every public function draws one figure, writes it as a PNG (atomically: a
temporary file beside the target, then a rename) and returns the path. The
figures are built on :class:`matplotlib.figure.Figure` directly, never through
``pyplot``, so no GUI backend is touched and no figure is left open.

The before/after maps share ONE classification: the class bins are computed
from the pooled before and after values by
:func:`accessplan.maps.classes.shared_classes` (the same code and defaults as
the folium maps, so both outputs use identical bins), and a colour means the
same access in both panels. The styling is the one of every output: the
classes' YlGnBu colours (dark = high access), "0 (no access)" hatched, "no
score" solid grey, and a diverging red-blue change map with symmetric limits.
The bins used are also written into the PNG as the text chunk
``accessplan:bins`` (JSON list of upper bounds).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from accessplan.data.errors import ProblemCollector
from accessplan.maps.class_labels import class_labels, distinct_digits, format_number
from accessplan.maps.classes import (
    CHANGE_RAMP,
    NO_DATA,
    AccessClasses,
    classify,
    shared_classes,
)
from accessplan.maps.figure_layers import (
    AREA_IMAGE_LABEL,
    draw_areas,
    draw_sites,
    legend_title,
    no_access_patch,
    save_png,
)
from accessplan.maps.raster_overlay import MAX_VECTOR_AREAS
from accessplan.spatial.inequity import lorenz_points, weighted_gini

__all__ = [
    "access_change_figure",
    "access_distribution_figure",
    "access_maps_figure",
    "change_limit",
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
# before: mid grey, dashed; after: the dark end of the access ramp (YlGnBu), solid,
# so the two curves differ in grayscale too
_BEFORE_COLOR = "#737373"
_BEFORE_STYLE = "--"
_AFTER_COLOR = "#225ea8"
_AFTER_STYLE = "-"
NO_SCORE_LABEL = "no score"
BINS_KEY = "accessplan:bins"
#: PNG text chunk with the pixel size (metres) of areas drawn as an image ("" for shapes)
PIXEL_KEY = "accessplan:area_pixel_m"
CHANGE_LIMIT_KEY = "accessplan:change_limit"


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


def _check_scale(access_scale, problems: ProblemCollector) -> None:
    try:
        ok = np.isfinite(float(access_scale)) and float(access_scale) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        problems.add(f"access_scale must be a finite number > 0, got {access_scale!r}")


def _states(before: str, after: str | None) -> list[tuple[str, str, str, str]]:
    """The curves drawn: (column, legend name, colour, line style) of each state.

    With ``after`` None there is one state, the access of the existing
    facilities, drawn solid and named "access" (no "before" without an "after").
    """
    if after is None:
        return [(before, "access", _AFTER_COLOR, _AFTER_STYLE)]
    return [
        (before, "before", _BEFORE_COLOR, _BEFORE_STYLE),
        (after, "after", _AFTER_COLOR, _AFTER_STYLE),
    ]


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
    population="population",
    figsize_inches: tuple[float, float],
    titles: tuple[str, str],
    access_scale: float = 1.0,
    access_units: str | None = None,
    label_new_sites: bool = True,
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
) -> tuple[Figure, AccessClasses]:
    problems = ProblemCollector(what="map inputs")
    _require(
        areas,
        [before, after] + ([population] if isinstance(population, str) else []),
        "areas",
        problems,
    )
    if sites is not None:
        _require(sites, [new_column], "sites", problems)
    _check_scale(access_scale, problems)
    problems.raise_if_any()
    b = np.asarray(areas[before], dtype=float)
    a = np.asarray(areas[after], dtype=float)
    pop = _weights(areas, population, problems)
    classes = _shared_classes(b, a, k=k, scheme=scheme, population=pop)
    colors = [to_rgba(c) for c in classes.colors]

    fig = Figure(figsize=figsize_inches, layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    for ax, values, title in zip(axes, (b, a), titles, strict=True):
        cls = classes.classify(values)
        face = [colors[c] if c >= 0 else to_rgba(NO_DATA) for c in cls]
        hatched = (cls == 0) if classes.zero_class else np.zeros(len(cls), dtype=bool)
        draw_areas(ax, areas, face, hatched, max_vector_areas=max_vector_areas)
        ax.set_title(title)
        ax.set_axis_off()
        ax.set_aspect("equal")

    labels = class_labels(classes, scale=access_scale)
    handles = []
    for i, lab in enumerate(labels):
        if classes.zero_class and i == 0:
            handles.append(no_access_patch(lab))
        else:
            handles.append(Patch(facecolor=colors[i], edgecolor="none", label=lab))
    if np.isnan(b).any() or np.isnan(a).any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="none", label=NO_SCORE_LABEL))
    draw_sites(axes, sites, new_column, handles, label_new=label_new_sites)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=min(len(handles), 4),
        title=f"{legend_title(access_units, access_scale)}, same classes in both panels",
        frameon=False,
    )
    return fig, classes


def _change_map(
    areas,
    sites,
    *,
    change: str,
    new_column: str,
    figsize_inches: tuple[float, float],
    title: str,
    access_scale: float = 1.0,
    access_units: str | None = None,
    label_new_sites: bool = True,
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
) -> tuple[Figure, float]:
    problems = ProblemCollector(what="change map inputs")
    _require(areas, [change], "areas", problems)
    if sites is not None:
        _require(sites, [new_column], "sites", problems)
    _check_scale(access_scale, problems)
    if change in getattr(areas, "columns", ()):
        _finite(areas[change], change, problems)
    problems.raise_if_any()
    values = np.asarray(areas[change], dtype=float) * float(access_scale)
    limit = change_limit(values)
    norm = Normalize(vmin=-limit, vmax=limit)
    cmap = colormaps[CHANGE_RAMP]
    rgba = cmap(norm(values))  # one call for every area
    rgba[np.isnan(values)] = to_rgba(NO_DATA)
    face = [tuple(row) for row in rgba]

    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.subplots()
    draw_areas(
        ax, areas, face, np.zeros(len(values), dtype=bool), max_vector_areas=max_vector_areas
    )
    ax.set_title(title)
    ax.set_axis_off()
    ax.set_aspect("equal")
    handles = []
    if np.isnan(values).any():
        handles.append(Patch(facecolor=NO_DATA, edgecolor="none", label=NO_SCORE_LABEL))
    draw_sites([ax], sites, new_column, handles, label_new=label_new_sites)
    bar = fig.colorbar(
        ScalarMappable(norm=norm, cmap=cmap),
        ax=ax,
        orientation="horizontal",
        location="bottom",
        shrink=0.8,
        aspect=35,
        pad=0.02,
    )
    # round ticks inside the symmetric limits (0 always among them)
    ticks = MaxNLocator(nbins=6, symmetric=True, steps=[1, 2, 2.5, 5, 10]).tick_values(
        -limit, limit
    )
    ticks = ticks[np.abs(ticks) <= limit * (1 + 1e-9)]
    digits = distinct_digits(ticks, min_digits=1)
    bar.set_ticks(ticks, labels=[_signed(t, digits) for t in ticks])
    units = legend_title(access_units, access_scale).replace("access", "change in access", 1)
    bar.set_label(f"{units}: red = loss, blue = gain")
    if handles:  # outside the map, under the colour bar: it never covers an area
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig, limit


def change_limit(values) -> float:
    """The symmetric limit of a change ramp: ``max |change|`` (1 when every change is 0 or NaN)."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 0.0
    return top if top > 0 else 1.0


def _pixel(fig) -> str:
    """The pixel size of the areas' image (``draw_areas`` labels it ``areas:<m>``), or ""."""
    for ax in fig.axes:
        for image in ax.images:
            if str(image.get_label()).startswith(AREA_IMAGE_LABEL):
                return str(image.get_label()).removeprefix(AREA_IMAGE_LABEL)
    return ""


def _signed(value: float, digits: int) -> str:
    text = format_number(value, digits)
    return f"+{text}" if value > 0 else text.replace("-", "\u2212")


def _lorenz(
    areas, *, before: str, after: str, weights, figsize_inches, weights_label: str = "population"
) -> tuple[Figure, dict]:
    problems = ProblemCollector(what="Lorenz inputs")
    _require(
        areas, [before, after] + ([weights] if isinstance(weights, str) else []), "areas", problems
    )
    problems.raise_if_any()
    w = _weights(areas, weights, problems)
    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#bdbdbd", ls=":", lw=1, label="equality")
    ginis = {}
    for col, name, color, style in _states(before, after):
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
            ls=style,
            lw=2,
            label=f"{name} (Gini {g:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel(f"cumulative share of {weights_label} (lowest access first)")
    ax.set_ylabel("cumulative share of access")
    ax.set_title("Lorenz curves of access" if after is not None else "Lorenz curve of access")
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
    areas,
    *,
    before: str,
    after: str,
    weights,
    bins: int,
    figsize_inches,
    access_scale: float = 1.0,
    access_units: str | None = None,
    weights_label: str = "population",
) -> tuple[Figure, np.ndarray]:
    problems = ProblemCollector(what="distribution inputs")
    _require(
        areas, [before, after] + ([weights] if isinstance(weights, str) else []), "areas", problems
    )
    if not isinstance(bins, int | np.integer) or bins < 1:
        problems.add(f"bins must be an integer >= 1, got {bins!r}")
    _check_scale(access_scale, problems)
    problems.raise_if_any()
    states = _states(before, after)
    series = [np.asarray(areas[col], dtype=float) * float(access_scale) for col, *_ in states]
    w = _weights(areas, weights, problems)
    w = np.ones_like(series[0]) if w is None else w
    if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
        problems.add("weights must be finite, >= 0 and not all 0", column=str(weights))
    keeps = [np.isfinite(values) for values in series]
    if not all(keep.any() for keep in keeps):
        problems.add("no finite access value")
    problems.raise_if_any()
    pooled = np.concatenate([values[keep] for values, keep in zip(series, keeps, strict=True)])
    edges = np.histogram_bin_edges(pooled, bins=bins)

    fig = Figure(figsize=figsize_inches, layout="constrained")
    ax_hist, ax_ecdf = fig.subplots(1, 2)
    for values, keep, (_, name, color, style) in zip(series, keeps, states, strict=True):
        # "before" dashed on top: where the curves coincide, both stay visible
        z = 3 if name == "before" else 2
        ax_hist.hist(
            values[keep],
            bins=edges,
            weights=w[keep],
            histtype="step",
            lw=2,
            ls=style,
            color=color,
            label=name,
            zorder=z,
        )
        x, y = _weighted_ecdf(values[keep], w[keep])
        ax_ecdf.step(
            np.r_[x[0], x],
            np.r_[0.0, y],
            where="post",
            color=color,
            ls=style,
            lw=2,
            label=name,
            zorder=z,
        )
    xlabel = legend_title(access_units, access_scale)
    ax_hist.set_xlabel(xlabel)
    ax_hist.set_ylabel(weights_label)
    ax_hist.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax_hist.set_title(f"{weights_label[:1].upper()}{weights_label[1:]} by access")
    ax_hist.legend(frameon=False)
    ax_ecdf.set_xlabel(xlabel)
    ax_ecdf.set_ylabel(f"share of {weights_label} with access \u2264 x")
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
    population="population",
    access_scale: float = 1.0,
    access_units: str | None = None,
    label_new_sites: bool = True,
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (12.0, 5.5),
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
    titles: tuple[str, str] = ("Access before the plan", "Access after the plan"),
) -> Path:
    """Before/after choropleths side by side with one shared classification.

    Colours are those of the web maps: the classes of
    :func:`accessplan.maps.classes.shared_classes` and their ``colors``
    (YlGnBu, light = low access, dark = high access); "0 (no access)" is
    :data:`~accessplan.maps.classes.NO_ACCESS_COLOR` with diagonal hatching
    in :data:`~accessplan.maps.classes.NO_ACCESS_HATCH` (the legend swatch too),
    so it stays distinct in grayscale; areas with no score (NaN) are solid
    :data:`~accessplan.maps.classes.NO_DATA` grey ("no score"). Point areas
    are drawn as filled circles.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons or points) with the ``before`` and ``after`` columns.
    sites : geopandas.GeoDataFrame or None
        Sites after the plan (points) with a boolean ``new_column``; existing
        sites are drawn on both panels, new ones (stars, labelled with their
        ``name`` or ``site_id``) on the "after" panel.
    path : str or os.PathLike
        The PNG to write.
    before, after : str
        Access columns of ``areas`` (raw values).
    k : int, default 5
        Classes asked for (see :func:`accessplan.maps.classes.shared_classes`).
    scheme : str, default "quantiles"
        mapclassify scheme applied to the pooled before+after values.
    new_column : str, default "new"
        Boolean column of ``sites`` marking the chosen new sites.
    population : str, array-like or None, default "population"
        Column of ``areas`` (or values) weighting the quantile breaks, as the
        folium maps do, so both outputs use identical bins; None for
        unweighted breaks.
    access_scale : float, default 1.0
        Display multiplier of the legend numbers (e.g. 1000: "per 1,000").
    access_units : str, optional
        Units shown in the legend title, e.g. ``"beds per 1,000 people aged 65+"``.
    label_new_sites : bool, default True
        Write the new sites' names beside their stars.
    dpi : float, default 150
        Resolution; the PNG is ``figsize_inches * dpi`` pixels.
    figsize_inches : (float, float)
        Figure width and height in inches.
    titles : (str, str)
        Panel titles.
    max_vector_areas : int or None, default 5,000
        With more areas, they are drawn as one image (same colours, "no
        access" hatched on its pixels; a grey line under each panel gives the
        pixel size); None: always shapes.

    Returns
    -------
    pathlib.Path
        ``path``. The raw (unscaled) class bounds are stored in the PNG text
        chunk ``accessplan:bins``; the pixel size in metres of areas drawn as
        an image in ``accessplan:area_pixel_m`` (empty for shapes).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column or bad value.
    """
    fig, classes = _access_maps(
        areas,
        sites,
        before=before,
        after=after,
        k=k,
        scheme=scheme,
        new_column=new_column,
        population=population,
        figsize_inches=figsize_inches,
        titles=titles,
        access_scale=access_scale,
        access_units=access_units,
        label_new_sites=label_new_sites,
        max_vector_areas=max_vector_areas,
    )
    meta = {BINS_KEY: json.dumps([float(x) for x in classes.bins]), PIXEL_KEY: _pixel(fig)}
    return save_png(fig, path, dpi=dpi, metadata=meta, colors=256 if meta[PIXEL_KEY] else None)


def access_change_figure(
    areas,
    sites,
    path,
    *,
    change: str = "access_change",
    new_column: str = "new",
    access_scale: float = 1.0,
    access_units: str | None = None,
    label_new_sites: bool = True,
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (7.0, 6.5),
    title: str = "Change in access (after \u2212 before)",
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
) -> Path:
    """Map of the change in access on a diverging ramp with symmetric limits.

    The ramp is :data:`~accessplan.maps.classes.CHANGE_RAMP` (red = loss,
    white = no change, blue = gain) from ``-m`` to ``+m`` with
    ``m = max |change|``, so the whole ramp is used and 0 is white; areas with
    no score are :data:`~accessplan.maps.classes.NO_DATA` grey.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas with the ``change`` column (after - before, raw values).
    sites : geopandas.GeoDataFrame or None
        Sites after the plan with a boolean ``new_column``.
    path : str or os.PathLike
        The PNG to write.
    change : str, default "access_change"
        Column of ``areas``.
    new_column : str, default "new"
    access_scale : float, default 1.0
        Display multiplier (e.g. 1000: "per 1,000").
    access_units : str, optional
        Units of access, shown under the colour bar.
    label_new_sites : bool, default True
    dpi : float, default 150
    figsize_inches : (float, float)
    title : str
    max_vector_areas : int or None, default 5,000
        With more areas, they are drawn as one image (see
        :func:`access_maps_figure`).

    Returns
    -------
    pathlib.Path
        ``path``. The limit ``m`` (in displayed units, i.e. times
        ``access_scale``) is stored in the PNG text chunk
        ``accessplan:change_limit``; the pixel size of an image of the areas in
        ``accessplan:area_pixel_m``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column or bad value.
    """
    fig, limit = _change_map(
        areas,
        sites,
        change=change,
        new_column=new_column,
        figsize_inches=figsize_inches,
        title=title,
        access_scale=access_scale,
        access_units=access_units,
        label_new_sites=label_new_sites,
        max_vector_areas=max_vector_areas,
    )
    meta = {CHANGE_LIMIT_KEY: json.dumps(limit), PIXEL_KEY: _pixel(fig)}
    return save_png(fig, path, dpi=dpi, metadata=meta, colors=256 if meta[PIXEL_KEY] else None)


def lorenz_figure(
    areas,
    path,
    *,
    weights="population",
    weights_label: str = "population",
    before: str = "access_before",
    after: str | None = "access_after",
    dpi: float = 150,
    figsize_inches: tuple[float, float] = (6.0, 6.0),
) -> Path:
    """Lorenz curves of access before and after (or one state), with equality line and Gini.

    Parameters
    ----------
    areas : pandas.DataFrame or geopandas.GeoDataFrame
        Areas with the ``before`` and ``after`` access columns.
    path : str or os.PathLike
        The PNG to write.
    weights : str, array-like or None, default "population"
        Column of ``areas`` (or values) weighting each area; None for 1 each.
    weights_label : str, default "population"
        What the weights count, for the axis label (e.g. ``"people aged 65+"``).
    before, after : str
        Access columns; ``after=None`` draws the one curve of ``before``
        (an access-only run), named "access".
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
        areas,
        before=before,
        after=after,
        weights=weights,
        figsize_inches=figsize_inches,
        weights_label=weights_label,
    )
    return save_png(fig, path, dpi=dpi, metadata={"accessplan:gini": json.dumps(ginis)})


def access_distribution_figure(
    areas,
    path,
    *,
    weights="population",
    weights_label: str = "population",
    before: str = "access_before",
    after: str | None = "access_after",
    access_scale: float = 1.0,
    access_units: str | None = None,
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
    weights_label : str, default "population"
        What the weights count, for the axis labels (e.g. ``"people aged 65+"``).
    before, after : str
        Access columns. NaN values are left out. ``after=None`` draws the one
        state of ``before`` (an access-only run), named "access".
    access_scale : float, default 1.0
        Display multiplier of the access axis (e.g. 1000: "per 1,000").
    access_units : str, optional
        Units of the access axis, e.g. ``"beds per 1,000 people aged 65+"``.
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
        areas,
        before=before,
        after=after,
        weights=weights,
        bins=bins,
        figsize_inches=figsize_inches,
        access_scale=access_scale,
        access_units=access_units,
        weights_label=weights_label,
    )
    return save_png(fig, path, dpi=dpi)
