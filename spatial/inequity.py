"""Inequity of access across a population: Gini, Theil, Lorenz curves, SPAR.

Every measure treats one row as one area with an access score ``x_i >= 0``
(e.g. a 2SFCA score) and a weight ``w_i >= 0`` (its population, or a need
weight such as ``pop_65plus``). Each area counts as ``w_i`` people who all have
access ``x_i``, so an integer-weighted measure equals the unweighted measure of
the sample in which row ``i`` is repeated ``w_i`` times. With ``weights=None``
every row weighs 1.

Notation used in the docstrings:

.. math::

    W = \\sum_i w_i, \\qquad S = \\sum_i w_i x_i, \\qquad \\mu = S / W .

Inputs may be numpy arrays, lists or pandas Series. When the values and the
weights (or groups) are both Series they are aligned on their index labels;
otherwise they are matched by position. Every problem in the inputs (different
lengths or labels, NaN, infinite or negative values, negative weights, weights
all zero, missing groups) is collected and raised once as
:class:`accessplan.data.errors.InputValidationError`.

When nobody has any access (``S = 0``) the ratio measures (Gini, Theil, SPAR,
the access shares of the Lorenz curve) are returned as NaN rather than 0 or an
error: "no access anywhere" is not "perfect equality", and a NaN lets a
before/after table still be built for a region that starts with no sites.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.inequity_inputs import (
    align_to_reference,
    as_float_input,
    before_after_table,
    is_one_dimensional,
    report_bad_values,
    row_labels,
)

__all__ = [
    "TheilDecomposition",
    "compare_inequity",
    "inequity_summary",
    "lorenz_points",
    "share_below",
    "share_below_name",
    "share_zero",
    "spatial_access_ratio",
    "theil",
    "theil_decomposition",
    "weighted_gini",
]

ArrayLike = np.ndarray | pd.Series | Sequence[float]


# --------------------------------------------------------------------------
# input checks (the rules shared with poverty: accessplan.spatial.inequity_inputs)
# --------------------------------------------------------------------------

# How the rows of an input that does not match the values are named.
_ALIGN = {
    "rows_named": "index labels",
    "repeat_message": "index labels repeat, so rows cannot be matched to the values",
}


@dataclass(frozen=True)
class _Inputs:
    """Validated, aligned inputs: float arrays of equal length, in the order of the values."""

    values: dict[str, np.ndarray]
    weights: np.ndarray
    groups: np.ndarray | None


def _where(labels: pd.Index | None) -> str:
    return "" if labels is not None else " (rows are 0-based positions)"


def _report(
    arr, column: str, noun: str, problems: ProblemCollector, *, why: str = "", all_zero=None
) -> None:
    """NaN, infinite and negative entries of one float input (values or weights)."""
    where = _where(arr.index if isinstance(arr, pd.Series) else None)
    report_bad_values(
        arr,
        column,
        problems,
        missing=f"missing (NaN) {noun}{where}",
        infinite=f"infinite {noun}{where}",
        negative=f"negative {noun}{why}{where}",
        all_zero=all_zero,
    )


def _check_fraction(fraction_of_mean, problems: ProblemCollector) -> float:
    try:
        f = float(fraction_of_mean)
    except (TypeError, ValueError):
        f = math.nan
    if not (math.isfinite(f) and f >= 0):
        problems.add(f"fraction_of_mean must be a finite number >= 0, got {fraction_of_mean!r}")
    return f


def _validate(
    named: Sequence[tuple[str, object]],
    weights=None,
    groups=None,
    *,
    problems: ProblemCollector | None = None,
) -> _Inputs:
    """Check and align value inputs (the first is the reference), weights and groups.

    Every problem is collected; one InputValidationError is raised at the end.
    """
    problems = problems if problems is not None else ProblemCollector(what="inequity inputs")

    converted: dict[str, object] = {}
    for name, obj in named:
        arr = as_float_input(obj, name, problems)
        if arr is not None:
            _report(arr, name, "values", problems, why=" (access cannot be negative)")
        converted[name] = arr

    w_arr = None
    if weights is not None:
        w_arr = as_float_input(weights, "weights", problems)
        if w_arr is not None:
            _report(
                w_arr,
                "weights",
                "weights",
                problems,
                all_zero="weights are all zero: there is no population to measure",
            )

    g_arr = None
    if groups is not None and is_one_dimensional(groups, "groups", problems):
        g_arr = groups if isinstance(groups, pd.Series) else pd.Series(list(groups))
        g_labels = groups.index if isinstance(groups, pd.Series) else None
        missing = g_arr.isna().to_numpy()
        if missing.any():
            problems.add(
                f"missing group labels{_where(g_labels)}",
                column="groups",
                rows=row_labels(g_labels, missing),
            )
        if not isinstance(groups, pd.Series):
            g_arr = g_arr.to_numpy()

    ref_name = named[0][0]
    ref = converted[ref_name]
    aligned: dict[str, np.ndarray] = {}
    if ref is not None:
        others = [(name, converted[name]) for name, _ in named[1:]]
        others += [("weights", w_arr), ("groups", g_arr)]
        *got, w_arr, g_arr = align_to_reference(ref, ref_name, others, problems, **_ALIGN)
        aligned[ref_name] = np.asarray(ref, dtype=float)
        for (name, _), arr in zip(named[1:], got, strict=True):
            if arr is not None:
                aligned[name] = np.asarray(arr, dtype=float)

    problems.raise_if_any()

    n = len(aligned[ref_name])
    w = np.ones(n) if weights is None else np.asarray(w_arr, dtype=float)
    g = None if groups is None else np.asarray(g_arr, dtype=object)
    return _Inputs(values=aligned, weights=w, groups=g)


def _validate_with_fraction(fraction_of_mean, named, weights, groups=None) -> tuple[_Inputs, float]:
    """:func:`_validate` after checking ``fraction_of_mean`` (its problem listed first)."""
    problems = ProblemCollector(what="inequity inputs")
    fraction = _check_fraction(fraction_of_mean, problems)
    return _validate(named, weights, groups, problems=problems), fraction


def _checked(values, weights) -> tuple[np.ndarray, np.ndarray]:
    """Access and weights of one value input, checked and aligned (see :func:`_validate`)."""
    inp = _validate([("values", values)], weights)
    return inp.values["values"], inp.weights


# --------------------------------------------------------------------------
# the measures on validated arrays
# --------------------------------------------------------------------------


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    return float(np.dot(w, x) / w.sum())


def _gini(x: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    total_weight = ws.sum()
    total_access = float(np.dot(ws, xs))
    if total_access == 0.0:
        return math.nan
    gaps = np.diff(xs)  # >= 0 after sorting
    below = np.cumsum(ws)[:-1]  # weight at or below each gap
    above = np.cumsum(ws[::-1])[::-1][1:]  # weight above each gap
    return float(np.dot(gaps, below * above) / (total_weight * total_access))


def _f(r: np.ndarray) -> np.ndarray:
    """r ln r - r + 1 (>= 0, with 0 ln 0 = 0): the Theil term shifted by a zero-sum part."""
    rlnr = np.zeros_like(r)
    pos = r > 0
    rlnr[pos] = r[pos] * np.log(r[pos])
    return np.maximum(rlnr - r + 1.0, 0.0)


def _theil(x: np.ndarray, w: np.ndarray) -> float:
    total_weight = w.sum()
    total_access = float(np.dot(w, x))
    if total_access == 0.0:
        return math.nan
    r = x * (total_weight / total_access)
    return float(np.dot(w, _f(r)) / total_weight)


def _group_codes(groups: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    try:
        codes, uniques = pd.factorize(groups, sort=True)
    except TypeError:  # labels of mixed types that cannot be sorted
        codes, uniques = pd.factorize(groups, sort=False)
    return codes, pd.Index(uniques)


def _decompose(x: np.ndarray, w: np.ndarray, groups: np.ndarray) -> TheilDecomposition:
    codes, uniques = _group_codes(groups)
    k = len(uniques)
    total_weight = w.sum()
    total_access = float(np.dot(w, x))
    w_g = np.bincount(codes, weights=w, minlength=k)
    s_g = np.bincount(codes, weights=w * x, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_g = np.where(w_g > 0, s_g / np.where(w_g > 0, w_g, 1.0), np.nan)
    pop_share = w_g / total_weight
    has_access = s_g > 0

    # per-group Theil: T_g = (1/W_g) sum_{i in g} w_i f(x_i / mu_g)
    safe_mean = np.where(has_access, mean_g, 1.0)
    r_within = x / safe_mean[codes]
    t_num = np.bincount(codes, weights=w * _f(r_within), minlength=k)
    theil_g = np.full(k, np.nan)
    theil_g[has_access] = t_num[has_access] / w_g[has_access]

    if total_access == 0.0:
        access_share = np.full(k, np.nan)
        contribution = np.full(k, np.nan)
        total = between = within = math.nan
    else:
        mu = total_access / total_weight
        access_share = s_g / total_access
        contribution = np.where(has_access, access_share * np.nan_to_num(theil_g), 0.0)
        within = float(contribution.sum())
        populated = w_g > 0
        between = float(np.dot(pop_share[populated], _f(mean_g[populated] / mu)))
        total = _theil(x, w)

    by_group = pd.DataFrame(
        {
            "group": uniques,
            "population": w_g,
            "population_share": pop_share,
            "access_share": access_share,
            "mean": mean_g,
            "theil": theil_g,
            "contribution": contribution,
        }
    )
    return TheilDecomposition(total=total, between=between, within=within, by_group=by_group)


def _lorenz(x: np.ndarray, w: np.ndarray) -> pd.DataFrame:
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    pop = np.concatenate([[0.0], np.cumsum(ws)])
    acc = np.concatenate([[0.0], np.cumsum(ws * xs)])
    pop = pop / pop[-1]
    if acc[-1] > 0:
        acc = acc / acc[-1]
    else:
        acc[1:] = np.nan
    return pd.DataFrame({"population_share": pop, "access_share": acc})


def _share_below(x: np.ndarray, w: np.ndarray, fraction: float) -> float:
    threshold = fraction * _mean(x, w)
    return float(w[x < threshold].sum() / w.sum())


def _share_zero(x: np.ndarray, w: np.ndarray) -> float:
    return float(w[x == 0].sum() / w.sum())


def _spar(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    mu = _mean(x, w)
    if mu == 0.0:
        return np.full(x.shape, np.nan)
    return x / mu


def _summary(x, w, groups, fraction: float) -> dict[str, float]:
    out = {"mean": _mean(x, w), "gini": _gini(x, w), "theil": _theil(x, w)}
    if groups is not None:
        dec = _decompose(x, w, groups)
        out["theil_between"] = dec.between
        out["theil_within"] = dec.within
    out[share_below_name(fraction)] = _share_below(x, w, fraction)
    out["share_zero"] = _share_zero(x, w)
    out["population"] = float(w.sum())
    return out


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TheilDecomposition:
    """Theil T index split into a between-group and a within-group part.

    With groups :math:`g`, population :math:`W_g = \\sum_{i \\in g} w_i`, mean
    :math:`\\mu_g`, population share :math:`p_g = W_g / W` and access share
    :math:`s_g = W_g \\mu_g / (W \\mu) = p_g \\mu_g / \\mu`:

    .. math::

        T = \\underbrace{\\sum_g s_g \\ln\\frac{\\mu_g}{\\mu}}_{\\text{between}}
          + \\underbrace{\\sum_g s_g T_g}_{\\text{within}}

    Attributes
    ----------
    total : float
        Theil T of the whole population (NaN if nobody has access).
    between : float
        Inequality between group means, :math:`\\sum_g s_g \\ln(\\mu_g / \\mu)` (>= 0).
    within : float
        Inequality inside groups, :math:`\\sum_g s_g T_g` (>= 0).
    by_group : pandas.DataFrame
        One row per group, sorted by group label where labels sort, with columns
        ``group``, ``population`` (:math:`W_g`), ``population_share`` (:math:`p_g`),
        ``access_share`` (:math:`s_g`), ``mean`` (:math:`\\mu_g`; NaN for a group of
        zero population), ``theil`` (:math:`T_g`; NaN for a group with no access) and
        ``contribution`` (:math:`s_g T_g`, 0 for a group with no access; the column
        sums to ``within``).
    """

    total: float
    between: float
    within: float
    by_group: pd.DataFrame

    @property
    def between_share(self) -> float:
        """Share of the total Theil index due to differences between groups (NaN if total is 0)."""
        if not self.total > 0:
            return math.nan
        return self.between / self.total


def weighted_gini(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted Gini coefficient of access.

    .. math::

        G = \\frac{\\sum_i \\sum_j w_i w_j \\lvert x_i - x_j \\rvert}{2 W^2 \\mu}

    This is the exact (population, not sample) Gini: each area counts as
    :math:`w_i` people with access :math:`x_i`, pairs include a person with
    themself, and :math:`G = 1 - 2 \\times` the area under the Lorenz curve drawn
    with straight segments. It is computed in :math:`O(n \\log n)` by sorting
    :math:`x` ascending and summing over the gaps between consecutive values,
    each crossed by every pair with one member on each side:

    .. math::

        G = \\frac{1}{W S} \\sum_{k=1}^{n-1} (x_{(k+1)} - x_{(k)})\\, F_k\\, (W - F_k),
        \\qquad F_k = \\sum_{j \\le k} w_{(j)} .

    Every term is non-negative, so :math:`G \\ge 0` holds in floating point and
    an all-equal vector gives exactly 0. The maximum, :math:`1 - w_{\\max} / W`
    for a single person holding all access, tends to 1 for large populations.

    Parameters
    ----------
    values : array-like or pandas.Series
        Access per area, ``>= 0``.
    weights : array-like or pandas.Series, optional
        Population (or need) per area, ``>= 0`` and not all 0. Default: 1 each.

    Returns
    -------
    float
        The Gini coefficient in ``[0, 1)``; NaN when the weighted mean access is
        0 (nobody has access: the ratio is 0/0, and "no access anywhere" must not
        read as "perfect equality").

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values`` and ``weights``.

    Examples
    --------
    >>> weighted_gini([0, 0, 0, 1])
    0.75
    >>> weighted_gini([1, 2], weights=[1, 3])  # == weighted_gini([1, 2, 2, 2])
    0.10714285714285714
    """
    return _gini(*_checked(values, weights))


def theil(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population-weighted Theil T index of access.

    .. math::

        T = \\frac{1}{W} \\sum_i w_i \\frac{x_i}{\\mu} \\ln \\frac{x_i}{\\mu},
        \\qquad 0 \\ln 0 = 0 .

    Areas with zero access therefore add nothing to the sum themselves (they
    raise :math:`T` through the mean). :math:`T = 0` for equal access and
    :math:`T = \\ln(W / w_j)` when area :math:`j` holds all access (``ln 2`` for
    two equal areas, one with nothing). It is evaluated as
    :math:`\\frac{1}{W}\\sum_i w_i (r_i \\ln r_i - r_i + 1)`,
    :math:`r_i = x_i / \\mu`, which is the same number (the added terms sum to 0)
    but has non-negative terms, so :math:`T \\ge 0` holds in floating point.

    Parameters
    ----------
    values, weights : array-like or pandas.Series
        As in :func:`weighted_gini`.

    Returns
    -------
    float
        Theil T (``>= 0``, at most :math:`\\ln(W / w_{\\min>0})`); NaN when the
        weighted mean access is 0 (see :func:`weighted_gini`).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values`` and ``weights``.

    Examples
    --------
    >>> round(theil([0, 1]), 12) == round(math.log(2), 12)
    True
    """
    return _theil(*_checked(values, weights))


def theil_decomposition(
    values: ArrayLike, weights: ArrayLike | None, groups: ArrayLike
) -> TheilDecomposition:
    """Split the Theil T index into between-group and within-group inequality.

    .. math::

        T = \\sum_g s_g \\ln\\frac{\\mu_g}{\\mu} + \\sum_g s_g T_g,
        \\qquad s_g = \\frac{W_g \\mu_g}{W \\mu},

    where :math:`T_g` is the Theil index of group :math:`g` alone (see
    :func:`theil`). Use a district column to see how much of the inequity is
    between districts, or an urban/rural flag for the urban–rural gap. The
    between part is evaluated as :math:`\\sum_g p_g (r_g \\ln r_g - r_g + 1)`,
    :math:`r_g = \\mu_g / \\mu`, equal to the formula above and non-negative
    term by term.

    Parameters
    ----------
    values : array-like or pandas.Series
        Access per area, ``>= 0``.
    weights : array-like or pandas.Series or None
        Population (or need) per area, ``>= 0`` and not all 0; None for 1 each.
    groups : array-like or pandas.Series
        Group label per area (any hashable; no missing labels).

    Returns
    -------
    TheilDecomposition
        ``total``, ``between``, ``within`` and a ``by_group`` table. All three
        numbers are NaN when nobody has access.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values``, ``weights`` and ``groups``.
    """
    inp = _validate([("values", values)], weights, groups)
    return _decompose(inp.values["values"], inp.weights, inp.groups)


def lorenz_points(values: ArrayLike, weights: ArrayLike | None = None) -> pd.DataFrame:
    """Points of the population-weighted Lorenz curve of access.

    Areas are sorted by access ascending; point :math:`k` is

    .. math::

        \\left(\\frac{1}{W} \\sum_{j \\le k} w_{(j)},\\;
               \\frac{1}{S} \\sum_{j \\le k} w_{(j)} x_{(j)}\\right),

    preceded by :math:`(0, 0)`. The last point is exactly :math:`(1, 1)`, both
    columns are non-decreasing, and the curve drawn with straight segments has
    :math:`G = 1 - 2 \\times \\text{area}` (see :func:`weighted_gini`).

    Parameters
    ----------
    values, weights : array-like or pandas.Series
        As in :func:`weighted_gini`.

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows with columns ``population_share`` and ``access_share``.
        When nobody has access, ``access_share`` is NaN after the first point.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values`` and ``weights``.
    """
    return _lorenz(*_checked(values, weights))


def share_below(
    values: ArrayLike, weights: ArrayLike | None = None, *, fraction_of_mean: float = 0.5
) -> float:
    """Population share whose access is below a fraction of the weighted mean.

    .. math::

        \\frac{1}{W} \\sum_{i:\\, x_i < f \\mu} w_i

    The comparison is strict: an area exactly at :math:`f \\mu` is not below.
    When the mean is 0 nobody is below :math:`0` and the result is 0 (use
    :func:`share_zero` for the people without access).

    Parameters
    ----------
    values, weights : array-like or pandas.Series
        As in :func:`weighted_gini`.
    fraction_of_mean : float, default 0.5
        :math:`f`, finite and ``>= 0``.

    Returns
    -------
    float
        A share in ``[0, 1]``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values``, ``weights`` and ``fraction_of_mean``.
    """
    inp, fraction = _validate_with_fraction(fraction_of_mean, [("values", values)], weights)
    return _share_below(inp.values["values"], inp.weights, fraction)


def share_zero(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    """Population share with no access at all.

    .. math::

        \\frac{1}{W} \\sum_{i:\\, x_i = 0} w_i

    Parameters
    ----------
    values : array-like or pandas.Series
        Access per area, ``>= 0``. Only exact zeros count (floating-catchment
        scores are exactly 0 where no site is within the catchment).
    weights : array-like or pandas.Series, optional
        Population (or need) per area, ``>= 0`` and not all 0. Default: 1 each.

    Returns
    -------
    float
        A share in ``[0, 1]``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values`` and ``weights``.
    """
    return _share_zero(*_checked(values, weights))


def spatial_access_ratio(
    values: ArrayLike, weights: ArrayLike | None = None
) -> np.ndarray | pd.Series:
    """Spatial access ratio (SPAR): access relative to the population-weighted mean.

    .. math::

        \\mathrm{SPAR}_i = \\frac{x_i}{\\mu}, \\qquad
        \\frac{1}{W} \\sum_i w_i \\, \\mathrm{SPAR}_i = 1 .

    A value of 1 is average access, 0.5 half of it. SPAR removes the unit of the
    access score, so maps before and after a plan, or from different methods,
    share one scale.

    Parameters
    ----------
    values, weights : array-like or pandas.Series
        As in :func:`weighted_gini`.

    Returns
    -------
    numpy.ndarray or pandas.Series
        One ratio per area, in the order of ``values``; a Series named ``"spar"``
        with the index of ``values`` when ``values`` is a Series. All NaN when the
        mean is 0.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in ``values`` and ``weights``.
    """
    ratio = _spar(*_checked(values, weights))
    if isinstance(values, pd.Series):
        return pd.Series(ratio, index=values.index, name="spar")
    return ratio


def share_below_name(fraction_of_mean: float) -> str:
    """Key used for :func:`share_below` in :func:`inequity_summary` and :func:`compare_inequity`.

    Parameters
    ----------
    fraction_of_mean : float
        The fraction :math:`f` of the mean.

    Returns
    -------
    str
        ``"share_below_half_mean"`` for 0.5, ``"share_below_mean"`` for 1, else
        ``"share_below_{100 f:g}pct_of_mean"`` (e.g. ``"share_below_25pct_of_mean"``).
    """
    f = float(fraction_of_mean)
    if f == 0.5:
        return "share_below_half_mean"
    if f == 1.0:
        return "share_below_mean"
    return f"share_below_{f * 100:g}pct_of_mean"


def inequity_summary(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    groups: ArrayLike | None = None,
    fraction_of_mean: float = 0.5,
) -> dict[str, float]:
    """All inequity measures of one access vector, for a report or a comparison.

    Parameters
    ----------
    values, weights : array-like or pandas.Series
        As in :func:`weighted_gini`.
    groups : array-like or pandas.Series, optional
        Group label per area (district, urban/rural); adds the Theil split.
    fraction_of_mean : float, default 0.5
        Threshold of :func:`share_below`, as a fraction of the weighted mean.

    Returns
    -------
    dict of str to float
        In this order: ``mean`` (:math:`\\mu`), ``gini`` (:func:`weighted_gini`),
        ``theil`` (:func:`theil`), ``theil_between`` and ``theil_within`` (only
        with ``groups``; :func:`theil_decomposition`), the :func:`share_below`
        share under the key :func:`share_below_name` (``share_below_half_mean``
        by default), ``share_zero`` (:func:`share_zero`) and ``population``
        (:math:`W`).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs and options.
    """
    inp, fraction = _validate_with_fraction(fraction_of_mean, [("values", values)], weights, groups)
    return _summary(inp.values["values"], inp.weights, inp.groups, fraction)


def compare_inequity(
    before: ArrayLike,
    after: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    groups: ArrayLike | None = None,
    fraction_of_mean: float = 0.5,
) -> pd.DataFrame:
    """Before/after table of the inequity measures of a plan.

    Parameters
    ----------
    before, after : array-like or pandas.Series
        Access per area before and after the plan, ``>= 0``, for the same
        areas (aligned on the index of ``before`` when both are Series).
    weights : array-like or pandas.Series, optional
        Population (or need) per area, the same for both. Default: 1 each.
    groups : array-like or pandas.Series, optional
        Group label per area; adds the between/within Theil rows.
    fraction_of_mean : float, default 0.5
        Threshold of :func:`share_below`, as a fraction of each vector's own mean.

    Returns
    -------
    pandas.DataFrame
        One row per measure of :func:`inequity_summary` (index named
        ``measure``, same order) and columns ``before``, ``after`` and
        ``change`` = ``after - before`` (a drop in ``gini`` is a gain in equity).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs and options.
    """
    named = [("before", before), ("after", after)]
    inp, fraction = _validate_with_fraction(fraction_of_mean, named, weights, groups)
    b = _summary(inp.values["before"], inp.weights, inp.groups, fraction)
    a = _summary(inp.values["after"], inp.weights, inp.groups, fraction)
    return before_after_table(b, a)
