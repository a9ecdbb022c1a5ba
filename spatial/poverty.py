"""Access inequality against an ordering, and access poverty: Palma, concentration index, FGT.

These complete the Gini and Theil of :mod:`accessplan.spatial.inequity` with the
measures of ipea's R package ``accessibility`` (Pereira & Herszenhut) and of the
health-equity literature. As there, one row is one area with access
``x_i >= 0`` and population ``w_i >= 0``; each area counts as ``w_i`` people
who all have access ``x_i``. Notation:

.. math::

    W = \\sum_i w_i, \\qquad S = \\sum_i w_i x_i, \\qquad \\mu = S / W,
    \\qquad f_i = w_i / W .

**Ordering.** The Palma ratio and the concentration index rank people by an
ordering variable: access itself (the default of :func:`palma_ratio`) or an
``[areas]`` column such as income (richer = higher) or a deprivation score
(pass ``ordering_is_deprivation=True``: higher = poorer, so the ranks are
reversed and "poorest" still means "worst off"). Areas with equal ordering
values are pooled into one group whose people share the group's mean access
and the group's mid-rank, so the results never depend on row order.

**Differences from ipea's** ``accessibility`` **(documented, on purpose):**

- ``palma_ratio``: ipea divides the *mean* access of the richest 10 % by the
  mean access of the poorest 40 %, assigning whole cells to the groups by a
  weighted income quantile (cells at the cut are not split). Here the Palma
  ratio is the original one of Cobham & Sumner (2013), the *share* of total
  access held by the top 10 % over the share held by the bottom 40 %, and an
  area straddling a cut point is split (linear interpolation along the
  concentration curve). Because the groups hold exactly 10 % and 40 % of the
  people, ipea's mean ratio is exactly ``4 *`` ours whenever the cuts fall
  between cells; :func:`palma_ratio` with ``of="means"`` returns that scale.
- ``concentration_index``: ipea's default ``type = "CIc"`` is Erreygers'
  (2009) corrected index with the observed min and max of access as bounds;
  here ``value`` is the standard relative index (ipea ``type = "CI"``) and
  ``erreygers`` is ipea's default. ipea breaks ties in income by row order
  (then population); here tied ordering values share one mid-rank. ipea
  gives no standard error.
- ``fgt``: the same definition as ipea's ``fgt_poverty`` (strictly below the
  line is poor; normalised shortfall). ipea accepts any line ``>= 0``; here a
  line outside the range of access is an input error, since it measures
  nothing (everybody or nobody is poor by construction).

Every problem in the inputs (lengths or labels that do not match, NaN or
infinite values, negative access or population, population all 0, a missing
ordering value, a bad poverty line) is collected and raised once as
:class:`accessplan.data.errors.InputValidationError`, naming the column (the
Series name when the input is a named Series) and the rows: index labels for
Series, 1-based positions otherwise. When nobody has access (``S = 0``) the
ratio measures are NaN, as in :mod:`accessplan.spatial.inequity`.

References
----------
Cobham, A. & Sumner, A. (2013). Is it all about the tails? The Palma measure of
income inequality. CGD Working Paper 343.
Kakwani, N., Wagstaff, A. & van Doorslaer, E. (1997). Socioeconomic
inequalities in health: measurement, computation, and statistical inference.
Journal of Econometrics 77(1), 87-103.
Erreygers, G. (2009). Correcting the concentration index. Journal of Health
Economics 28(2), 504-515.
Foster, J., Greer, J. & Thorbecke, E. (1984). A class of decomposable poverty
measures. Econometrica 52(3), 761-766.
Pereira, R. H. M. & Herszenhut, D. accessibility: transport accessibility
measures (R package, ipea).
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
    report_bad_values,
)

__all__ = [
    "ConcentrationIndex",
    "compare_poverty",
    "concentration_index",
    "fgt",
    "fgt_name",
    "palma_ratio",
    "poverty_summary",
]

ArrayLike = np.ndarray | pd.Series | Sequence[float]

_WHAT = "poverty and inequality inputs"


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


def _name_of(obj, default: str) -> str:
    name = getattr(obj, "name", None)
    return str(name) if isinstance(obj, pd.Series) and name is not None else default


_MISSING = {
    "ordering": "missing values in the ordering column: every area needs one to be ranked",
    "population": "missing (NaN) population",
    "access": "missing (NaN) access",
}


def _check(arr, column: str, kind: str, problems: ProblemCollector, source) -> None:
    """NaN, infinite and (for access and population) negative entries, rows 1-based."""
    report_bad_values(
        arr,
        column,
        problems,
        missing=_MISSING[kind],
        infinite="infinite values",
        negative=None if kind == "ordering" else f"negative {kind} (must be >= 0)",
        all_zero=(
            "population is 0 everywhere: there is nobody to measure"
            if kind == "population"
            else None
        ),
        source=source,
        first_row=1,
    )


def _validate(
    inputs: Sequence[tuple[str, str, object]],
    problems: ProblemCollector,
    source,
) -> dict[str, np.ndarray] | None:
    """Check ``(key, kind, obj)`` inputs (the first is the reference for alignment).

    Returns float arrays in the reference's row order, or None (problems recorded).
    """
    converted = {}
    columns = {}
    for key, kind, obj in inputs:
        column = _name_of(obj, key)
        columns[key] = column
        arr = as_float_input(obj, column, problems, source=source)
        if arr is not None:
            _check(arr, column, kind, problems, source)
        converted[key] = arr
    ref_key = inputs[0][0]
    ref = converted[ref_key]
    if ref is None:
        return None
    others = [(columns[key], converted[key]) for key, _, _ in inputs[1:]]
    got = align_to_reference(ref, columns[ref_key], others, problems, source=source)
    out = {ref_key: np.asarray(ref, dtype=float)}
    for (key, _, _), arr in zip(inputs[1:], got, strict=True):
        if arr is not None:
            out[key] = np.asarray(arr, dtype=float)
    if problems or len(out) != len(inputs):
        return None
    return out


def _number(value, name: str, problems: ProblemCollector) -> float:
    try:
        got = float(value)
    except (TypeError, ValueError):
        got = math.nan
    if not math.isfinite(got):
        problems.add(f"{name} must be a finite number, got {value!r}")
    return got


def _alphas(alpha, problems: ProblemCollector) -> tuple[float, ...]:
    seq = (alpha,) if np.ndim(alpha) == 0 else tuple(alpha)
    out = []
    for a in seq:
        got = _number(a, "alpha", problems)
        if math.isfinite(got) and got < 0:
            problems.add(f"alpha must be >= 0, got {a!r}")
        out.append(got)
    if not out:
        problems.add("alpha must name at least one FGT exponent (e.g. (0, 1, 2))")
    return tuple(out)


def _check_sample_size(sample_size, problems: ProblemCollector) -> None:
    is_int = isinstance(sample_size, (int, np.integer)) and not isinstance(sample_size, bool)
    if sample_size is not None and not (is_int and sample_size >= 1):
        problems.add(f"sample_size must be a positive integer, got {sample_size!r}")


def _check_line(line: float, x: np.ndarray, w: np.ndarray, problems: ProblemCollector) -> None:
    """The poverty line must be > 0 and within [min, max] of access over populated areas."""
    if not math.isfinite(line):
        return
    populated = x[w > 0]
    lo, hi = float(populated.min()), float(populated.max())
    if line <= 0:
        problems.add(
            f"poverty_line must be > 0 (the shortfall is divided by it), got {line:g}",
            column="poverty_line",
        )
    elif not lo <= line <= hi:
        problems.add(
            f"poverty_line {line:g} is outside the range of access {lo:g} .. {hi:g} "
            "(populated areas): it would measure nothing",
            column="poverty_line",
        )


# --------------------------------------------------------------------------
# the measures on validated arrays
# --------------------------------------------------------------------------


def _tie_groups(x: np.ndarray, w: np.ndarray, key: np.ndarray):
    """Populated areas, their group code by equal ``key`` (ascending) and each group's weight."""
    keep = w > 0
    x, w, key = x[keep], w[keep], key[keep]
    uniq, codes = np.unique(key, return_inverse=True)
    return x, w, codes, np.bincount(codes, weights=w, minlength=len(uniq))


def _pooled(x: np.ndarray, w: np.ndarray, key: np.ndarray):
    """Populated areas pooled by equal ``key``, sorted ascending: (weight, access sum) per group."""
    x, w, codes, weight = _tie_groups(x, w, key)
    access = np.bincount(codes, weights=w * x, minlength=len(weight))
    return weight, access


def _palma(x: np.ndarray, w: np.ndarray, key: np.ndarray) -> tuple[float, float, float]:
    """(ratio, top 10 % share, bottom 40 % share) along the concentration curve ordered by key."""
    weight, access = _pooled(x, w, key)
    total_w = float(weight.sum())
    total_s = float(access.sum())
    if total_s == 0.0:
        return math.nan, math.nan, math.nan
    cum_w = np.concatenate([[0.0], np.cumsum(weight)])
    cum_s = np.concatenate([[0.0], np.cumsum(access)])
    at40, at90 = np.interp([0.4 * total_w, 0.9 * total_w], cum_w, cum_s)
    bottom = float(at40) / total_s
    top = max(total_s - float(at90), 0.0) / total_s
    ratio = math.inf if bottom == 0.0 else top / bottom
    return ratio, top, bottom


def _ranks(x: np.ndarray, w: np.ndarray, key: np.ndarray):
    """Populated areas with their fractional (mid-)rank in [0, 1] by ``key``, ties pooled."""
    x, w, codes, group_w = _tie_groups(x, w, key)
    total = group_w.sum()
    below = np.concatenate([[0.0], np.cumsum(group_w)[:-1]])
    rank = (below + group_w / 2.0) / total
    return x, w / total, rank[codes], codes, group_w / total


@dataclass(frozen=True)
class ConcentrationIndex:
    """The concentration index of access against an ordering, with its standard error.

    Attributes
    ----------
    value : float
        :math:`C = 2\\,\\mathrm{cov}_f(x, R) / \\mu` in ``[-1, 1]``: positive when
        access is concentrated among the better off (pro-rich), negative when
        among the worse off; NaN when nobody has access.
    standard_error : float
        Kakwani, Wagstaff & van Doorslaer (1997) delta-method standard error
        (see :func:`concentration_index`); NaN with fewer than 2 areas.
    erreygers : float
        Erreygers' (2009) corrected index :math:`E = 4 \\mu C / (b - a)` with
        :math:`a, b` the observed min and max of access (ipea's ``"CIc"``);
        0 when access is equal everywhere (and positive), NaN when nobody
        has access.
    sample_size : int
        The :math:`n` used in the standard error.
    """

    value: float
    standard_error: float
    erreygers: float
    sample_size: int


def _concentration(x, w, key, sample_size: int | None) -> ConcentrationIndex:
    x, f, r, codes, group_f = _ranks(x, w, key)
    n = int(x.size) if sample_size is None else int(sample_size)
    mu = float(np.dot(f, x))
    if mu == 0.0:
        return ConcentrationIndex(math.nan, math.nan, math.nan, n)
    h = x / mu
    c = float(np.dot(f, h * (2.0 * r - 1.0)))
    # ordinates of the concentration curve at the start and end of each area's
    # tie group: q_{t-1}, q_t; areas of one tie group share them
    group_s = np.bincount(codes, weights=f * h, minlength=group_f.size)
    q_end = np.cumsum(group_s)
    q_start = q_end - group_s
    a = h * (2.0 * r - 1.0 - c) + 2.0 - q_start[codes] - q_end[codes]
    spread = float(np.dot(f, (a - (1.0 + c)) ** 2))
    se = math.sqrt(spread / n) if n >= 2 else math.nan
    lo, hi = float(x.min()), float(x.max())
    erreygers = 0.0 if hi == lo else 4.0 * mu * c / (hi - lo)
    return ConcentrationIndex(c, se, erreygers, n)


def _fgt(x: np.ndarray, w: np.ndarray, line: float, alphas) -> dict[str, float]:
    f = w / w.sum()
    poor = x < line
    gap = np.where(poor, (line - x) / line, 0.0)
    out = {}
    for a in alphas:
        term = poor.astype(float) if a == 0 else np.where(poor, gap**a, 0.0)
        out[fgt_name(a)] = float(np.dot(f, term))
    return out


def _key(x: np.ndarray, ordering: np.ndarray | None, deprivation: bool) -> np.ndarray:
    if ordering is None:
        return x
    return -ordering if deprivation else ordering


def _summary(x, w, ordering, deprivation, line, alphas, sample_size) -> dict[str, float]:
    out: dict[str, float] = {}
    ratio, top, bottom = _palma(x, w, x)
    out["palma_ratio"] = ratio
    out["top_10_access_share"] = top
    out["bottom_40_access_share"] = bottom
    if ordering is not None:
        key = _key(x, ordering, deprivation)
        out["palma_ratio_by_ordering"] = _palma(x, w, key)[0]
        ci = _concentration(x, w, key, sample_size)
        out["concentration_index"] = ci.value
        out["concentration_index_se"] = ci.standard_error
        out["concentration_index_erreygers"] = ci.erreygers
    if line is not None:
        out.update(_fgt(x, w, line, alphas))
    return out


# --------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------


def palma_ratio(
    access: ArrayLike,
    population: ArrayLike,
    *,
    ordering: ArrayLike | None = None,
    ordering_is_deprivation: bool = False,
    of: str = "shares",
    source: str | None = None,
) -> float:
    """Palma ratio: access share of the top 10 % over that of the bottom 40 %.

    People are ranked by ``ordering`` (default: by access itself), ascending;
    :math:`L(p)` is the concentration (Lorenz) curve, the share of total access
    held by the first :math:`p` of the population, drawn through the points
    :math:`(\\sum_{j \\le k} f_{(j)}, \\sum_{j \\le k} w_{(j)} x_{(j)} / S)` of the
    sorted tie groups and linear in between (the people of an area share its
    access evenly, so an area straddling a cut point is split):

    .. math::

        \\mathrm{Palma} = \\frac{1 - L(0.9)}{L(0.4)} .

    Cobham & Sumner (2013). With equal access everywhere it is
    :math:`0.1 / 0.4 = 0.25`. ``of="means"`` returns ipea's adaptation, the
    mean access of the top 10 % over that of the bottom 40 %, which is exactly
    4 times the share ratio (see the module notes for ipea's cut handling).

    Parameters
    ----------
    access : array-like or pandas.Series
        Access per area, ``>= 0``.
    population : array-like or pandas.Series
        People per area, ``>= 0``, not all 0 (aligned on the index when both
        are Series).
    ordering : array-like or pandas.Series, optional
        Rank people by this (e.g. income per capita) instead of by access.
    ordering_is_deprivation : bool, default False
        Higher ``ordering`` means worse off (a deprivation score).
    of : {"shares", "means"}, default "shares"
        Ratio of access shares (Palma's) or of mean access (ipea's).
    source : str, optional
        File the inputs came from, named in error messages.

    Returns
    -------
    float
        The ratio; ``inf`` when the bottom 40 % has no access but someone
        has; NaN when nobody has access.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs.

    Examples
    --------
    >>> palma_ratio([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1] * 10)
    0.25
    """
    problems = ProblemCollector(what=_WHAT)
    if of not in ("shares", "means"):
        problems.add(f"of must be 'shares' or 'means', got {of!r}")
    inputs = [("access", "access", access), ("population", "population", population)]
    if ordering is not None:
        inputs.append(("ordering", "ordering", ordering))
    v = _validate(inputs, problems, source)
    problems.raise_if_any()
    key = _key(v["access"], v.get("ordering"), ordering_is_deprivation)
    ratio = _palma(v["access"], v["population"], key)[0]
    return ratio * 4.0 if of == "means" else ratio


def concentration_index(
    access: ArrayLike,
    population: ArrayLike,
    ordering: ArrayLike,
    *,
    ordering_is_deprivation: bool = False,
    sample_size: int | None = None,
    source: str | None = None,
) -> ConcentrationIndex:
    """Concentration index of access against an ordering (income or deprivation).

    With population shares :math:`f_i`, mean access :math:`\\mu` and the
    fractional rank of area :math:`i` by the ordering (people of tied groups
    share the mid-rank of the group),

    .. math::

        R_i = \\sum_{j:\\, o_j < o_i} f_j + \\tfrac12 \\sum_{j:\\, o_j = o_i} f_j,
        \\qquad
        C = \\frac{2}{\\mu} \\sum_i f_i (x_i - \\mu)(R_i - \\tfrac12)
          = \\frac{2\\, \\mathrm{cov}_f(x, R)}{\\mu}

    (Kakwani, Wagstaff & van Doorslaer 1997; the weighted mean of :math:`R`
    is exactly 1/2). :math:`C` is twice the area between the diagonal and the
    concentration curve; it changes sign when the ordering is reversed and
    equals the weighted Gini (:func:`accessplan.spatial.inequity.weighted_gini`)
    when the ordering is access itself.

    The standard error is the delta-method one of Kakwani, Wagstaff & van
    Doorslaer (1997), with areas as the observations (access is constant
    within an area, so the within-group term vanishes):

    .. math::

        \\widehat{\\mathrm{var}}(C) = \\frac{1}{n}\\Big[\\sum_i f_i a_i^2 - (1 + C)^2\\Big],
        \\quad a_i = \\frac{x_i}{\\mu}(2R_i - 1 - C) + 2 - q_{i-1} - q_i,

    where :math:`q_{i-1}, q_i` are the ordinates of the concentration curve
    before and after area :math:`i`'s tie group. Since :math:`\\sum_i f_i a_i
    = 1 + C`, the bracket is the weighted variance of :math:`a` (never
    negative). It treats the areas as a sample of size :math:`n`; for a full
    census of areas it is an indication of precision, not a sampling error.

    Parameters
    ----------
    access, population : array-like or pandas.Series
        As in :func:`palma_ratio`.
    ordering : array-like or pandas.Series
        Income (higher = better off) or deprivation per area; no missing values.
    ordering_is_deprivation : bool, default False
        Higher ``ordering`` means worse off; ranks are reversed so that a
        positive index still means access favours the better off.
    sample_size : int, optional
        :math:`n` of the standard error. Default: the number of populated areas.
    source : str, optional
        File the inputs came from, named in error messages.

    Returns
    -------
    ConcentrationIndex
        ``value``, ``standard_error``, ``erreygers`` and ``sample_size``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem, including missing ordering values by row.

    Examples
    --------
    >>> concentration_index([0, 1], [1, 1], [1, 2]).value
    0.5
    """
    problems = ProblemCollector(what=_WHAT)
    _check_sample_size(sample_size, problems)
    v = _validate(
        [
            ("access", "access", access),
            ("population", "population", population),
            ("ordering", "ordering", ordering),
        ],
        problems,
        source,
    )
    problems.raise_if_any()
    key = _key(v["access"], v["ordering"], ordering_is_deprivation)
    return _concentration(v["access"], v["population"], key, sample_size)


def fgt_name(alpha: float) -> str:
    """Key of the FGT measure of exponent ``alpha``: ``"fgt0"``, ``"fgt1"``, ``"fgt2"``, ``"fgt0.5"``."""
    return f"fgt{float(alpha):g}"


def fgt(
    access: ArrayLike,
    population: ArrayLike,
    *,
    poverty_line: float,
    alpha: float | Sequence[float] = (0, 1, 2),
    source: str | None = None,
) -> dict[str, float]:
    """Foster-Greer-Thorbecke access poverty: headcount, gap and severity.

    With poverty line :math:`z > 0` (in the units of ``access``), an area is
    poor when :math:`x_i < z` (strictly), and

    .. math::

        \\mathrm{FGT}_\\alpha = \\sum_i f_i \\Big(\\frac{z - x_i}{z}\\Big)^{\\alpha}
        \\mathbf{1}[x_i < z] .

    :math:`\\alpha = 0` is the headcount ratio (share of people below the
    line), 1 the poverty gap index (mean normalised shortfall, the non-poor
    counting 0), 2 the severity (squared gap, weighting the poorest most).
    Foster, Greer & Thorbecke (1984); the same definition as ipea's
    ``fgt_poverty``. All lie in ``[0, 1]`` and
    :math:`\\mathrm{FGT}_0 \\ge \\mathrm{FGT}_1 \\ge \\mathrm{FGT}_2`.

    Parameters
    ----------
    access, population : array-like or pandas.Series
        As in :func:`palma_ratio`.
    poverty_line : float
        :math:`z`, raw access units; must be > 0 and within the min .. max of
        access over populated areas (otherwise it measures nothing).
    alpha : float or sequence of float, default (0, 1, 2)
        The exponents, each ``>= 0``.
    source : str, optional
        File the inputs came from, named in error messages.

    Returns
    -------
    dict of str to float
        One entry per exponent, keyed by :func:`fgt_name` (``fgt0``, ...).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem, including a poverty line out of range.

    Examples
    --------
    >>> fgt([0, 2, 4], [1, 1, 2], poverty_line=4)
    {'fgt0': 0.5, 'fgt1': 0.375, 'fgt2': 0.3125}
    """
    problems = ProblemCollector(what=_WHAT)
    line = _number(poverty_line, "poverty_line", problems)
    alphas = _alphas(alpha, problems)
    v = _validate(
        [("access", "access", access), ("population", "population", population)],
        problems,
        source,
    )
    if v is not None:
        _check_line(line, v["access"], v["population"], problems)
    problems.raise_if_any()
    return _fgt(v["access"], v["population"], line, alphas)


def _summary_inputs(named, population, ordering, poverty_line, alpha, sample_size, source):
    """Validate one or two access vectors with population and ordering; returns arrays + options."""
    problems = ProblemCollector(what=_WHAT)
    line = None if poverty_line is None else _number(poverty_line, "poverty_line", problems)
    alphas = _alphas(alpha, problems)
    _check_sample_size(sample_size, problems)
    inputs = [(key, "access", obj) for key, obj in named]
    inputs.append(("population", "population", population))
    if ordering is not None:
        inputs.append(("ordering", "ordering", ordering))
    v = _validate(inputs, problems, source)
    if v is not None and line is not None:
        keys = [key for key, _ in named]
        pooled = np.concatenate([v[k] for k in keys])
        weights = np.tile(v["population"], len(keys))
        _check_line(line, pooled, weights, problems)
    problems.raise_if_any()
    return v, line, alphas


def poverty_summary(
    access: ArrayLike,
    population: ArrayLike,
    *,
    ordering: ArrayLike | None = None,
    ordering_is_deprivation: bool = False,
    poverty_line: float | None = None,
    alpha: float | Sequence[float] = (0, 1, 2),
    sample_size: int | None = None,
    source: str | None = None,
) -> dict[str, float]:
    """All poverty and ordering measures of one access vector, for a report.

    Parameters
    ----------
    access, population : array-like or pandas.Series
        As in :func:`palma_ratio`.
    ordering : array-like or pandas.Series, optional
        Income or deprivation per area; adds the ordered Palma ratio and the
        concentration index.
    ordering_is_deprivation : bool, default False
        Higher ``ordering`` means worse off.
    poverty_line : float, optional
        Adds the FGT measures (see :func:`fgt`).
    alpha : float or sequence of float, default (0, 1, 2)
        FGT exponents.
    sample_size : int, optional
        :math:`n` of the concentration index standard error.
    source : str, optional
        File the inputs came from, named in error messages.

    Returns
    -------
    dict of str to float
        In this order: ``palma_ratio`` (people ranked by access),
        ``top_10_access_share`` and ``bottom_40_access_share`` (its
        numerator and denominator); with ``ordering``:
        ``palma_ratio_by_ordering``, ``concentration_index``,
        ``concentration_index_se``, ``concentration_index_erreygers``; with
        ``poverty_line``: ``fgt0``, ``fgt1``, ``fgt2`` (one per ``alpha``).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs and options.
    """
    v, line, alphas = _summary_inputs(
        [("access", access)], population, ordering, poverty_line, alpha, sample_size, source
    )
    return _summary(
        v["access"],
        v["population"],
        v.get("ordering"),
        ordering_is_deprivation,
        line,
        alphas,
        sample_size,
    )


def compare_poverty(
    before: ArrayLike,
    after: ArrayLike,
    population: ArrayLike,
    *,
    ordering: ArrayLike | None = None,
    ordering_is_deprivation: bool = False,
    poverty_line: float | None = None,
    alpha: float | Sequence[float] = (0, 1, 2),
    sample_size: int | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Before/after table of :func:`poverty_summary`, shaped like ``compare_inequity``.

    The poverty line is the same for both and must lie within the range of
    access seen before or after (the pooled min .. max over populated areas),
    so a region that starts with no access at all can still be compared.

    Parameters
    ----------
    before, after : array-like or pandas.Series
        Access per area before and after the plan, ``>= 0``, same areas
        (aligned on the index of ``before`` when Series).
    population, ordering, ordering_is_deprivation, poverty_line, alpha, sample_size, source
        As in :func:`poverty_summary`.

    Returns
    -------
    pandas.DataFrame
        One row per measure of :func:`poverty_summary` (index named
        ``measure``, same order), columns ``before``, ``after`` and
        ``change = after - before`` (a drop in ``fgt0`` is fewer people in
        access poverty). It stacks under
        :func:`accessplan.spatial.inequity.compare_inequity` with
        ``pandas.concat``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs and options.
    """
    v, line, alphas = _summary_inputs(
        [("before", before), ("after", after)],
        population,
        ordering,
        poverty_line,
        alpha,
        sample_size,
        source,
    )
    args = (v.get("ordering"), ordering_is_deprivation, line, alphas, sample_size)
    b = _summary(v["before"], v["population"], *args)
    a = _summary(v["after"], v["population"], *args)
    return before_after_table(b, a)
