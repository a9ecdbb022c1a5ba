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

__all__ = [
    "MeasureInputs",
    "check_positive_option",
    "repeated_id_problems",
    "series_values",
    "validate_measure_inputs",
]

_SHOWN_ROWS = 10
# Largest origins x sites grid checked for repeated pairs with a bitmap.
_BITMAP_CELLS = 1 << 26
# Leading OD rows looked at to judge whether ids come in runs.
_RUNS_SAMPLE = 1 << 12


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
    row_starts : numpy.ndarray or None
        When ``rows`` is non-decreasing (the OD table grouped by origin in the
        order of ``area_ids``), the first pair of each run of equal rows, so
        that per-area sums can use :func:`numpy.add.reduceat`; else None.
    """

    area_ids: pd.Index
    site_ids: pd.Index
    population: np.ndarray | None
    capacity: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray
    row_starts: np.ndarray | None = None

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


def series_values(series: pd.Series, *, source: str, what: str, problems: ProblemCollector):
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


def repeated_id_problems(index: pd.Index, source: str, problems: ProblemCollector) -> None:
    """Record the rows of ``index`` whose id repeats (every copy listed)."""
    dup = index.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{_count(dup, 'row')} with a repeated id", source=source, rows=_labels(index, dup)
        )


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal consecutive values (non-empty input)."""
    return np.concatenate(([0], np.flatnonzero(values[1:] != values[:-1]) + 1))


def _positions_by_runs(index: pd.Index, values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Positions of integer ids grouped in runs (an OD table sorted by origin), or None.

    One comparison pass finds the runs; each run's id is looked up once and
    repeated over the run. Returns ``(positions, starts)``; None when the runs
    are too short to pay off (judged first on the first rows, then on all).
    """
    head = values[: _RUNS_SAMPLE + 1]
    if 4 * int(np.count_nonzero(head[1:] != head[:-1])) > len(head):
        return None
    starts = _run_starts(values)
    if 4 * len(starts) > len(values):
        return None
    lookup = index.get_indexer(values[starts])
    counts = np.diff(np.append(starts, len(values)))
    return np.repeat(lookup, counts), starts


def _positions_by_table(index: pd.Index, values: np.ndarray) -> np.ndarray | None:
    """Positions of integer ids through a lookup table over the index's id range, or None.

    Used when the index is integer with a small range (well inside int64):
    one subtraction and one gather per id, written over the offsets (one
    new array: filling fresh memory costs as much as the arithmetic). The table has a -1 at both ends
    and the gather clips to them, so an id outside the range is unknown (-1)
    without a separate range check (no overflow: ids and bounds are < 2**62
    in size apart from the ids themselves, which stay inside int64).
    """
    if values.dtype.kind != "i" or index.dtype.kind not in "iu" or len(index) == 0:
        return None
    lo, hi = int(index.min()), int(index.max())
    span = hi - lo + 1
    if span > max(4 * len(index), 1 << 16) or max(abs(lo), abs(hi)) >= 1 << 62:
        return None
    table = np.full(span + 2, -1, dtype=np.intp)
    table[index.to_numpy().astype(np.int64) - (lo - 1)] = np.arange(len(index))
    offsets = values.astype(np.int64, copy=False) - (lo - 1)
    return np.take(table, offsets, mode="clip", out=offsets)


def _positions(index: pd.Index, ids: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Position of every id in ``index`` (-1 when absent), looking each distinct id up once.

    Returns ``(positions, starts)`` with ``starts`` the first row of each run
    of equal ids when they were found by runs, else None. Integer ids grouped
    in runs are looked up once per run; integer ids within the small integer
    range of ``index`` through a lookup table; categorical ids through their
    categories; other ids are factorised first (an OD table repeats each id
    many times). ``index`` has no repeated ids.
    """
    if ids.dtype.kind in "iu" and len(ids) > 1:
        values = ids.to_numpy()
        found = _positions_by_runs(index, values)
        if found is not None:
            return found
        direct = _positions_by_table(index, values)
        if direct is not None:
            return direct, None
    if isinstance(ids.dtype, pd.CategoricalDtype):
        codes = ids.cat.codes.to_numpy()
        lookup = index.get_indexer(ids.cat.categories)
    else:
        codes, uniques = pd.factorize(ids)
        lookup = index.get_indexer(uniques)
    if len(lookup) == 0:
        return np.full(len(codes), -1, dtype=np.intp), None
    out = lookup[codes]
    out[codes < 0] = -1  # missing ids
    return out, None


def _sorted_distinct_pairs(cols: np.ndarray, row_starts: np.ndarray) -> bool:
    """True when ``cols`` strictly increase within every run of rows (so no pair repeats)."""
    if len(cols) < 2:
        return True
    not_up = np.flatnonzero(cols[1:] <= cols[:-1]) + 1  # rows where cols fail to increase
    # allowed only where a new run (a new row) starts
    return len(not_up) <= len(row_starts) and bool(np.isin(not_up, row_starts).all())


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
    capacity = series_values(supply, source="supply", what="capacity", problems=problems)
    if demand is not None:
        population = series_values(demand, source="demand", what="population", problems=problems)
        area_ids = demand.index
    else:
        population = None
        area_ids = pd.Index(pd.unique(od["origin_id"])) if areas is None else pd.Index(areas)
    minutes = series_values(od["minutes"], source="OD table", what="minutes", problems=problems)
    labelled = (("areas" if demand is None else "demand", area_ids), ("supply", supply.index))
    for name, index in labelled:
        repeated_id_problems(index, name, problems)
    if failed():
        return None
    rows, starts = _positions(area_ids, od["origin_id"])
    cols, _ = _positions(supply.index, od["site_id"])
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
    row_starts = None
    if starts is not None and bool((rows[starts[1:]] > rows[starts[1:] - 1]).all()):
        row_starts = starts  # rows non-decreasing: one run per area, in area order
    n_sites = max(len(supply), 1)
    if row_starts is not None and _sorted_distinct_pairs(cols, row_starts):
        dup = None
    else:
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
        row_starts=row_starts,
    )
