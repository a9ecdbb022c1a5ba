"""Shared input checks of the OD-table access measures (BFCA, cumulative
opportunities, spatial availability, referral times).

Every measure reads the long OD table ``origin_id, site_id, minutes`` and
Series of demand (indexed by area id) and supply (indexed by site id). This
module turns them into positional arrays once, after collecting every problem
in one :class:`~accessplan.data.errors.InputValidationError`:

* non-numeric, missing (NaN), negative or infinite population or capacity;
* missing (NaN) or negative minutes (infinite minutes are simply out of reach);
* OD ids absent from the demand or supply index, repeated ids in either,
  repeated (origin_id, site_id) pairs;
* bad options (recorded by the caller in the same collector).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.fca import check_od_frame

__all__ = ["MeasureInputs", "check_positive_option", "validate_measure_inputs"]

_SHOWN_ROWS = 10
# Largest origins x sites grid checked for repeated pairs with a bitmap.
_BITMAP_CELLS = 1 << 26


@dataclass(frozen=True)
class MeasureInputs:
    """The OD table and the weights as positional arrays.

    Attributes
    ----------
    area_ids, site_ids : pandas.Index
        Row and column labels (demand index, or the areas asked for; supply index).
    population : numpy.ndarray or None
        Demand per area (None when the measure takes no demand).
    capacity : numpy.ndarray
        Supply per site.
    rows, cols : numpy.ndarray
        Area and site position of every OD pair.
    minutes : numpy.ndarray
        Travel time of every OD pair (float).
    """

    area_ids: pd.Index
    site_ids: pd.Index
    population: np.ndarray | None
    capacity: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray

    def within(self, max_minutes: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``rows, cols, minutes`` of the pairs with ``minutes <= max_minutes`` (all if None)."""
        if max_minutes is None or len(self.minutes) == 0 or self.minutes.max() <= max_minutes:
            return self.rows, self.cols, self.minutes
        keep = self.minutes <= max_minutes
        return self.rows[keep], self.cols[keep], self.minutes[keep]


def check_positive_option(
    problems: ProblemCollector, name: str, value, *, allow_zero: bool = False
) -> bool:
    """Record a problem unless ``value`` is a finite real number > 0 (>= 0 with ``allow_zero``)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        problems.add(f"{name} must be a finite number {bound}, got {value!r}")
    return ok


def _count(mask: np.ndarray, noun: str) -> str:
    n = int(np.count_nonzero(mask))
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _labels(index: pd.Index, mask: np.ndarray) -> tuple:
    return tuple(index[mask][:_SHOWN_ROWS])


def _values(series: pd.Series, *, source: str, what: str, problems: ProblemCollector):
    """Float values of ``series``; records non-numbers, NaN, negatives and (but for minutes) inf."""
    column = series.name
    if series.dtype.kind in "fiub":
        out = series.to_numpy(dtype=float)
        not_number = np.zeros(len(out), dtype=bool)
    else:
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        not_number = np.isnan(out) & ~series.isna().to_numpy()
    if len(out) and out.min() >= 0 and (what == "minutes" or out.max() < np.inf):
        return out  # fast path: no NaN (min would be NaN), no negative, no inf
    checks = (
        (not_number, "not a number"),
        (np.isnan(out) & ~not_number, "missing (NaN)"),
        (np.nan_to_num(out, nan=0.0) < 0, f"negative ({what} must be >= 0)"),
        (np.isposinf(out) if what != "minutes" else np.zeros(len(out), bool), "infinite"),
    )
    for mask, message in checks:
        if mask.any():
            problems.add(
                f"{_count(mask, 'value')} {message}",
                source=source,
                column=column,
                rows=_labels(series.index, mask),
            )
    return out


def _positions(index: pd.Index, ids: pd.Series) -> np.ndarray:
    """Position of every id in ``index`` (-1 when absent), looking each distinct id up once.

    Categorical ids look up their categories only; other ids are factorised
    first (an OD table repeats each id many times).
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()
        lookup = index.get_indexer(ids.cat.categories)
    else:
        codes, uniques = pd.factorize(ids)
        lookup = index.get_indexer(uniques)
    if len(lookup) == 0:
        return np.full(len(codes), -1, dtype=np.intp)
    out = lookup[codes]
    out[codes < 0] = -1  # missing ids
    return out


def _repeats(keys: np.ndarray, cells: int) -> np.ndarray | None:
    """Mask of repeated keys, or None when every key is distinct."""
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return None
    if cells <= max(_BITMAP_CELLS, 8 * len(keys)):
        seen = np.zeros(cells, dtype=bool)
        seen[keys] = True
        if int(np.count_nonzero(seen)) == len(keys):
            return None
    dup = pd.Series(keys).duplicated(keep=False).to_numpy()
    return dup if dup.any() else None


def validate_measure_inputs(
    od,
    *,
    supply,
    demand=None,
    areas=None,
    problems: ProblemCollector,
) -> MeasureInputs | None:
    """Check the OD table, demand and supply; record every problem in ``problems``.

    Parameters
    ----------
    od : pandas.DataFrame
        Columns ``origin_id, site_id, minutes``.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id.
    demand : pandas.Series, optional
        Population (>= 0) indexed by area id; its index is the row labels.
    areas : sequence, optional
        Row labels when ``demand`` is None; default the OD table's origin ids
        in order of first appearance.
    problems : ProblemCollector
        Receives every problem.

    Returns
    -------
    MeasureInputs or None
        None when a problem was recorded (the caller raises them all at once).
    """
    before = len(problems.problems)  # problems the caller recorded already

    def failed() -> bool:
        return len(problems.problems) > before

    check_od_frame(od, problems)
    named = [("supply", supply)] + ([("demand", demand)] if demand is not None else [])
    for name, value in named:
        if not isinstance(value, pd.Series):
            problems.add(
                f"{name} must be a pandas Series indexed by id, got {type(value).__name__}"
            )
    if failed():
        return None
    capacity = _values(supply, source="supply", what="capacity", problems=problems)
    if demand is not None:
        population = _values(demand, source="demand", what="population", problems=problems)
        area_ids = demand.index
    else:
        population = None
        area_ids = pd.Index(pd.unique(od["origin_id"])) if areas is None else pd.Index(areas)
    minutes = _values(od["minutes"], source="OD table", what="minutes", problems=problems)
    labelled = (("areas" if demand is None else "demand", area_ids), ("supply", supply.index))
    for name, index in labelled:
        dup = index.duplicated(keep=False)
        if dup.any():
            problems.add(
                f"{_count(dup, 'row')} with a repeated id", source=name, rows=_labels(index, dup)
            )
    if failed():
        return None
    rows = _positions(area_ids, od["origin_id"])
    cols = _positions(supply.index, od["site_id"])
    for codes, column, name in ((rows, "origin_id", labelled[0][0]), (cols, "site_id", "supply")):
        unknown = codes < 0
        if unknown.any():
            problems.add(
                f"{_count(unknown, 'row')} with an id not in the {name} index",
                source="OD table",
                column=column,
                rows=_labels(od.index, unknown),
            )
    if failed():
        return None
    n_sites = max(len(supply), 1)
    dup = _repeats(rows.astype(np.int64) * n_sites + cols, len(area_ids) * n_sites)
    if dup is not None:
        problems.add(
            f"{_count(dup, 'row')} repeating an (origin_id, site_id) pair",
            source="OD table",
            rows=_labels(od.index, dup),
        )
        return None
    return MeasureInputs(
        area_ids=area_ids,
        site_ids=supply.index,
        population=population,
        capacity=capacity,
        rows=rows,
        cols=cols,
        minutes=minutes,
    )
