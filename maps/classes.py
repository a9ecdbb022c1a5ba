"""One classification of access shared by the before and after maps and figures.

Both the folium maps (:mod:`accessplan.maps.webmap`) and the matplotlib
figures (:mod:`accessplan.maps.figures`) colour access with the classes
computed here, on the pooled before and after values, so a colour means the
same access level in both panels and in both kinds of output.

When some pooled value is exactly 0 (an area with no hospital within the
catchment) and none is negative, class 0 is a "no access" class that holds
exactly the zeros (upper bound 0, label ``"0 (no access)"``, its own grey
colour); the other ``k - 1`` classes are computed on the positive values only.
A gain from 0 to any positive access therefore always changes colour.

This module imports neither folium nor matplotlib.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import branca
import mapclassify
import numpy as np

from accessplan.data.errors import ProblemCollector
from accessplan.maps.errors import UnknownSchemeError

__all__ = [
    "CHANGE_RAMP",
    "NO_ACCESS_COLOR",
    "NO_ACCESS_HATCH",
    "NO_ACCESS_LABEL",
    "NO_DATA",
    "AccessClasses",
    "classify",
    "format_bounds",
    "shared_classes",
]

NO_DATA = "#bdbdbd"
NO_ACCESS_COLOR = "#f0f0f0"
#: colour of the diagonal hatching drawn over the "no access" class on every
#: output (web maps, PNG figures, QGIS styles), so it survives grayscale printing
NO_ACCESS_HATCH = "#525252"
#: the one diverging ramp of change maps and figures (branca / matplotlib name):
#: red = loss, white = no change, blue = gain
CHANGE_RAMP = "RdBu"
NO_ACCESS_LABEL = "0 (no access)"


def classify(values, bins) -> np.ndarray:
    """Class index of each value for increasing upper bounds ``bins``.

    Parameters
    ----------
    values : array-like of float
        Values to classify.
    bins : array-like of float
        Increasing upper bounds of the classes.

    Returns
    -------
    numpy.ndarray of int
        ``i`` such that ``bins[i-1] < v <= bins[i]`` (mapclassify's
        convention); values above the last bound go to the last class, NaN to
        ``-1``.
    """
    v = np.asarray(values, dtype=float)
    b = np.asarray(bins, dtype=float)
    out = np.minimum(np.searchsorted(b, v, side="left"), b.size - 1)
    return np.where(np.isnan(v), -1, out).astype(int)


@dataclass(frozen=True)
class AccessClasses:
    """One classification of access values shared by several panels.

    Attributes
    ----------
    scheme : str
        How the breaks were found (``"quantiles"``, ``"fisher_jenks"``, ...).
    population_weighted : bool
        Whether the breaks are population-weighted quantiles.
    lower : float
        The smallest classified value (the legend's left end).
    bins : tuple of float
        Upper bounds of the classes, increasing; class ``i`` holds
        ``bins[i-1] < value <= bins[i]`` (mapclassify's convention).
    colors : tuple of str
        One ``#rrggbb`` colour per class, light (low access) to dark.
    zero_class : bool
        Whether class 0 is the "no access" class holding exactly the zeros
        (then ``bins[0] == 0`` and ``colors[0]`` is :data:`NO_ACCESS_COLOR`).
    """

    scheme: str
    population_weighted: bool
    lower: float
    bins: tuple
    colors: tuple
    zero_class: bool = False

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.bins)

    def classify(self, values) -> np.ndarray:
        """Class index of each value (``-1`` for missing values)."""
        return classify(values, self.bins)

    def color(self, values) -> list:
        """Colour of each value (:data:`NO_DATA` grey for missing values)."""
        return [NO_DATA if i < 0 else self.colors[i] for i in self.classify(values)]

    def labels(self, fmt: str | None = None, *, scale: float = 1.0) -> list:
        """One ``"low – high"`` label per class (``"0 (no access)"`` for the zero class).

        Parameters
        ----------
        fmt : str, optional
            A ``str.format`` pattern for one bound (e.g. ``"{:.3g}"``). Default:
            the fewest significant digits (at least 3) that tell every pair of
            different bounds apart, with thousands separators. If ``fmt`` would
            print two different bounds the same (e.g. ``"0.00431 – 0.00431"``),
            the default is used instead.
        scale : float, default 1.0
            Display multiplier of the bounds (e.g. ``1000`` for "per 1,000
            people"); the classes themselves are unchanged.

        Returns
        -------
        list of str
            ``"low – high"`` per class; ``"0 (no access)"`` for the zero class,
            ``">0 – high"`` for the class after it, and the single value when a
            class's bounds are equal. Web maps, PNG figures and QGIS styles all
            label their legends with this.
        """
        edges = [float(e) * float(scale) for e in (self.lower, *self.bins)]
        texts = _format_edges(edges, fmt)
        # a class whose bounds are equal holds one value: show it once
        out = [
            texts[i + 1] if edges[i] == edges[i + 1] else f"{texts[i]} \u2013 {texts[i + 1]}"
            for i in range(self.k)
        ]
        if self.zero_class:
            out[0] = NO_ACCESS_LABEL
            if self.k > 1:
                # the first positive class starts above 0
                out[1] = f">0 \u2013 {texts[2]}"
        return out


def _distinct(edges, texts) -> bool:
    """Whether different edges always print differently."""
    seen: dict[str, float] = {}
    for value, text in zip(edges, texts, strict=True):
        if text in seen and seen[text] != value:
            return False
        seen[text] = value
    return True


def format_bounds(values, *, min_digits: int = 3, max_digits: int = 15) -> list:
    """Print numbers with the fewest significant digits that keep them apart.

    Parameters
    ----------
    values : sequence of float
        Numbers to print (e.g. class bounds, colour bar ticks).
    min_digits, max_digits : int
        Range of significant digits tried.

    Returns
    -------
    list of str
        ``values`` printed with thousands separators and the smallest number of
        significant digits (at least ``min_digits``) for which two different
        values never print the same.
    """
    edges = [float(v) for v in values]
    for digits in range(int(min_digits), int(max_digits) + 1):
        texts = [_fmt_number(v, digits) for v in edges]
        if _distinct(edges, texts):
            return texts
    return [repr(v) for v in edges]


def _fmt_number(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    text = format(value, f",.{digits}g")
    if "e" in text and abs(value) >= 1:  # large: whole numbers with separators
        text = format(float(format(value, f".{digits}g")), ",.0f")
    return text


def _format_edges(edges, fmt) -> list:
    if fmt is not None:
        texts = [fmt.format(e) for e in edges]
        if _distinct(edges, texts):
            return texts
    return format_bounds(edges)


def _weighted_quantile_breaks(y: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(y, kind="stable")
    y, w = y[order], w[order]
    total = w.sum()
    if total <= 0:
        w, total = np.ones_like(y), float(len(y))
    cum = np.cumsum(w) / total
    # break i: the smallest value with at least i/k of the population at or below it
    pos = np.searchsorted(cum, np.arange(1, k) / k - 1e-12, side="left")
    return np.unique(np.r_[y[np.clip(pos, 0, len(y) - 1)], y[-1]])


def _scheme_breaks(y: np.ndarray, scheme: str, k: int) -> np.ndarray:
    n_distinct = len(np.unique(y))
    if n_distinct == 1:
        return np.array([float(y[0])])
    # quantiles and equal intervals work with any k (tied quantiles are dropped
    # below); the optimising schemes need at least k distinct values
    k_used = k if scheme in ("quantiles", "equal_interval") else min(k, n_distinct)
    try:
        with warnings.catch_warnings():
            # quantiles over many equal values: mapclassify warns and drops duplicate bins
            warnings.simplefilter("ignore", UserWarning)
            classifier = mapclassify.classify(y, scheme, k=k_used)
    except (ValueError, KeyError, TypeError) as exc:
        raise UnknownSchemeError(f"unknown classification scheme {scheme!r}: {exc}") from exc
    bins = np.unique(np.asarray(classifier.bins, dtype=float))
    return bins[bins >= y.min()] if (bins >= y.min()).any() else bins[-1:]


def _palette(k: int) -> tuple:
    ramp = branca.colormap.linear.YlGnBu_09
    stops = np.linspace(ramp.vmin + 0.08 * (ramp.vmax - ramp.vmin), ramp.vmax, k)
    return tuple(ramp(s)[:7] for s in stops)


def shared_classes(before, after, *, scheme="quantiles", k=5, population=None) -> AccessClasses:
    """Classify access before and after on one shared set of breaks.

    The breaks are computed once on the pooled before and after values, so
    the same colour means the same access level in both panels.

    Parameters
    ----------
    before, after : array-like of float
        Access of each area before and after the plan (NaN are ignored).
    scheme : str, default "quantiles"
        A :func:`mapclassify.classify` scheme (``"quantiles"``,
        ``"fisher_jenks"``, ``"equal_interval"``, ``"natural_breaks"``, ...).
    k : int, default 5
        Number of classes asked for; fewer are used when values tie (e.g. many
        areas with the same access). When some value is exactly 0 (and none is
        negative) and ``k >= 2``, class 0 holds exactly the zeros ("no
        access") and the other ``k - 1`` classes are computed on the positive
        values only.
    population : array-like of float, optional
        Population of each area (same order as ``before``). With
        ``scheme="quantiles"`` the breaks become population-weighted
        quantiles of the pooled values: each class holds about the same share
        of the population (before and after counted once each) rather than
        the same number of areas. Other schemes ignore it.

    Returns
    -------
    AccessClasses

    Raises
    ------
    UnknownSchemeError
        If mapclassify does not know ``scheme``.
    accessplan.data.errors.InputValidationError
        If there are no finite values or ``k`` < 1.
    """
    y = np.r_[np.asarray(before, dtype=float).ravel(), np.asarray(after, dtype=float).ravel()]
    problems = ProblemCollector(what="access values")
    finite = np.isfinite(y)
    if not finite.any():
        problems.add("no finite access value to classify", column="access_before/access_after")
    if int(k) < 1:
        problems.add(f"k must be at least 1, got {k}")
    w = None
    if population is not None:
        pop = np.asarray(population, dtype=float).ravel()
        if pop.shape != np.asarray(before).ravel().shape:
            problems.add("population must have one value per area", column="population")
        else:
            w = np.r_[pop, pop]
            if (~np.isfinite(w[finite]) | (w[finite] < 0)).any():
                problems.add("population must be finite and >= 0", column="population")
    problems.raise_if_any()
    y_ok = y[finite]
    w_ok = None if w is None else w[finite]
    weighted = scheme == "quantiles" and w is not None
    zero_class = int(k) >= 2 and bool((y_ok == 0).any()) and bool((y_ok >= 0).all())
    k_rest = int(k) - 1 if zero_class else int(k)
    rest = y_ok > 0 if zero_class else np.ones(y_ok.shape, dtype=bool)
    if not rest.any():  # every value is 0: the zero class alone
        bins = np.array([], dtype=float)
    elif weighted:
        bins = _weighted_quantile_breaks(y_ok[rest], w_ok[rest], k_rest)
    else:
        bins = _scheme_breaks(y_ok[rest], str(scheme), k_rest)
    if zero_class:
        bins = np.r_[0.0, bins]
        colors = (NO_ACCESS_COLOR, *_palette(len(bins) - 1))
    else:
        colors = _palette(len(bins))
    return AccessClasses(
        scheme=str(scheme),
        population_weighted=bool(weighted),
        lower=float(y_ok.min()),
        bins=tuple(float(b) for b in bins),
        colors=tuple(colors),
        zero_class=zero_class,
    )
