"""Access per district: the table a board reads next to the region-wide figures.

A district is any grouping of areas a planning office reports by (health
districts, municipalities, counties), given as one label per area, usually the
scenario's ``group`` column. :func:`district_table` sums population (and an
optional demand weight such as ``pop_65plus``) per district and compares the
population-weighted mean access and the share of people with no access at all
before and after a plan, with a total row for the whole region.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector

__all__ = ["TOTAL_LABEL", "district_table"]

TOTAL_LABEL = "All districts"
"""Index label of the total row (the row is also marked by ``is_total``)."""

ArrayLike = np.ndarray | pd.Series | Sequence[float]

_COLUMNS = (
    "areas",
    "population",
    "demand",
    "access_before",
    "access_after",
    "access_change",
    "zero_share_before",
    "zero_share_after",
    "zero_share_change",
    "no_score_areas_before",
    "no_score_areas_after",
    "no_score_population_before",
    "no_score_population_after",
    "is_total",
)


def _rows(labels: pd.Index | None, mask: np.ndarray) -> tuple:
    """Labels of the rows where ``mask``, or 1-based row numbers when there are no labels."""
    if labels is None:
        return tuple((np.flatnonzero(mask) + 1).tolist())
    return tuple(labels[mask].tolist())


def _numeric(obj, name: str, problems: ProblemCollector, *, allow_nan: bool):
    """One input as a float array (None if unusable), with NaN/inf/negative problems collected."""
    if np.ndim(obj) != 1:
        problems.add(f"must be one-dimensional, got {np.ndim(obj)} dimension(s)", column=name)
        return None
    series = obj if isinstance(obj, pd.Series) else pd.Series(list(obj), dtype=object)
    labels = obj.index if isinstance(obj, pd.Series) else None
    try:
        x = series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        problems.add("is not numeric", source="areas", column=name)
        return None
    checks = [
        (np.isinf(x), "infinite values"),
        (x < 0, "negative values"),
    ]
    if not allow_nan:
        checks.insert(0, (np.isnan(x), "missing (NaN) values"))
    for mask, what in checks:
        if mask.any():
            problems.add(what, source="areas", column=name, rows=_rows(labels, mask))
    return x


def _aligned(inputs: dict[str, object], problems: ProblemCollector) -> pd.Index | None:
    """The common index when every input is a Series with the same labels; None for positional.

    Series with other labels (or a mix of Series and arrays of different
    lengths) are reported as problems.
    """
    lengths = {name: len(obj) for name, obj in inputs.items() if np.ndim(obj) == 1}
    series = {name: obj for name, obj in inputs.items() if isinstance(obj, pd.Series)}
    if len(series) == len(inputs):
        ref_name, ref = next(iter(series.items()))
        if not ref.index.is_unique:
            problems.add("index labels repeat", source="areas", column=ref_name)
            return None
        for name, obj in series.items():
            if not obj.index.sort_values().equals(ref.index.sort_values()):
                problems.add(
                    f"index labels differ from those of {ref_name!r}", source="areas", column=name
                )
        return ref.index
    n = next(iter(lengths.values()), 0)
    for name, length in lengths.items():
        if length != n:
            first = next(iter(lengths))
            problems.add(f"has {length} entries but {first!r} has {n}", column=name)
    return None


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    return float((w * x).sum() / total) if total > 0 else float("nan")


def _summarise(before, after, pop, demand) -> dict[str, float]:
    row: dict[str, float] = {"areas": float(len(pop)), "population": float(pop.sum())}
    row["demand"] = float(demand.sum()) if demand is not None else float("nan")
    for when, x in (("before", before), ("after", after)):
        scored = ~np.isnan(x)
        w = pop[scored]
        xs = x[scored]
        row[f"access_{when}"] = _weighted_mean(xs, w)
        row[f"zero_share_{when}"] = _weighted_mean((xs == 0).astype(float), w)
        row[f"no_score_areas_{when}"] = float((~scored).sum())
        row[f"no_score_population_{when}"] = float(pop[~scored].sum())
    row["access_change"] = row["access_after"] - row["access_before"]
    row["zero_share_change"] = row["zero_share_after"] - row["zero_share_before"]
    return row


def district_table(
    access_before: ArrayLike,
    access_after: ArrayLike,
    population: ArrayLike,
    groups: ArrayLike,
    *,
    demand: ArrayLike | None = None,
) -> pd.DataFrame:
    """Population, access and zero-access share per district, before and after a plan.

    For district :math:`d` with areas :math:`i \\in d`, population :math:`p_i`
    and access :math:`x_i` (before or after), and :math:`S_d` the areas of
    :math:`d` that have a score (:math:`x_i` not NaN):

    .. math::

        \\bar{x}_d = \\frac{\\sum_{i \\in S_d} p_i x_i}{\\sum_{i \\in S_d} p_i},
        \\qquad
        z_d = \\frac{\\sum_{i \\in S_d,\\, x_i = 0} p_i}{\\sum_{i \\in S_d} p_i},

    the population-weighted mean access and the share of the (scored)
    population with exactly zero access. ``access_change`` is
    :math:`\\bar{x}_d^{after} - \\bar{x}_d^{before}` and ``zero_share_change``
    :math:`z_d^{after} - z_d^{before}` (a difference of shares: percentage
    points once multiplied by 100). Areas without a score (NaN access: no
    demand weight and nothing rates them) are left out of both and counted in
    ``no_score_areas_*`` and ``no_score_population_*``. The total row applies
    the same formulas to every area of the region, so its mean equals the
    population-weighted mean of the district means with weights
    :math:`\\sum_{i \\in S_d} p_i`. A district whose scored population is 0
    has NaN means and shares.

    Parameters
    ----------
    access_before, access_after : array-like of float
        Access of each area without and with the plan (>= 0, NaN for no score).
    population : array-like of float
        Population of each area (>= 0, no NaN): the weight of the means.
    groups : array-like
        District label of each area (no missing labels).
    demand : array-like of float, optional
        A need weight per area (e.g. people aged 65+), summed per district.

    Returns
    -------
    pandas.DataFrame
        Indexed by district (sorted), then one total row labelled
        :data:`TOTAL_LABEL`; columns ``areas``, ``population``, ``demand``
        (NaN when not given), ``access_before``, ``access_after``,
        ``access_change``, ``zero_share_before``, ``zero_share_after``,
        ``zero_share_change`` (fractions), ``no_score_areas_before/after``,
        ``no_score_population_before/after`` and ``is_total`` (bool).
        Inputs that are all Series are matched on their index labels,
        otherwise by position.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: inputs of different lengths or labels,
        non-numeric, infinite or negative values, NaN population, missing
        district labels, no area at all.

    Examples
    --------
    >>> t = district_table([0, 2, 1], [1, 2, 1], [100, 300, 50], ["N", "N", "S"])
    >>> t.loc["N", ["access_before", "zero_share_before", "zero_share_after"]].tolist()
    [1.5, 0.25, 0.0]
    """
    problems = ProblemCollector(what="district table inputs")
    inputs = {
        "access_before": access_before,
        "access_after": access_after,
        "population": population,
        "groups": groups,
    }
    if demand is not None:
        inputs["demand"] = demand
    index = _aligned(inputs, problems)

    def ordered(obj):
        if index is not None and isinstance(obj, pd.Series):
            return obj.reindex(index)
        return obj

    before = _numeric(ordered(access_before), "access_before", problems, allow_nan=True)
    after = _numeric(ordered(access_after), "access_after", problems, allow_nan=True)
    pop = _numeric(ordered(population), "population", problems, allow_nan=False)
    dem = None if demand is None else _numeric(ordered(demand), "demand", problems, allow_nan=False)
    g = None
    if np.ndim(groups) != 1:
        problems.add(
            f"must be one-dimensional, got {np.ndim(groups)} dimension(s)", column="groups"
        )
    else:
        g = pd.Series(list(ordered(groups)), dtype=object)
        missing = g.isna().to_numpy()
        if missing.any():
            problems.add(
                "missing district labels",
                source="areas",
                column="groups",
                rows=_rows(index, missing),
            )
        if len(g) == 0:
            problems.add("there are no areas", source="areas")
    problems.raise_if_any()

    codes, labels = pd.factorize(g, sort=False)
    try:
        order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
    except TypeError:  # labels of mixed types: sort them as text
        order = np.argsort(np.asarray([str(v) for v in labels], dtype=object), kind="stable")
    rows, names = [], []
    for k in order:
        mask = codes == k
        rows.append(
            _summarise(before[mask], after[mask], pop[mask], None if dem is None else dem[mask])
        )
        names.append(labels[k])
    rows.append(_summarise(before, after, pop, dem))
    names.append(TOTAL_LABEL)
    table = pd.DataFrame(rows, index=pd.Index(names, name="district", dtype=object))
    table["is_total"] = [False] * (len(names) - 1) + [True]
    return table.loc[:, list(_COLUMNS)]
