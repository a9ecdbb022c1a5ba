"""Checks of the long-table inputs of the floating-catchment access scores.

:func:`~accessplan.spatial.fca.access_scores` takes the OD table as a long
DataFrame ``origin_id, site_id, minutes`` with demand (population or need
weight, a Series indexed by area id) and supply (capacity, a Series indexed by
site id). :func:`check_access_inputs` turns them into positional arrays once,
after collecting every problem in one
:class:`~accessplan.data.errors.InputValidationError`:

* a table that is not a DataFrame, or lacks a column of :data:`OD_COLUMNS`;
* non-numeric, missing (NaN), negative or infinite population or capacity;
* missing (NaN) or negative minutes (infinite minutes are simply out of reach);
* OD ids absent from the demand or supply index, repeated ids in either;
* repeated (origin_id, site_id) pairs. Each pair is one key
  ``k = i * n_sites + j`` (``i``, ``j`` the positions of the area and the
  site); an OD table sorted by origin, then site, has strictly increasing keys
  and is checked in one pass, any other order with a bitmap of the
  ``n_areas x n_sites`` grid (one byte per cell, up to 64 Mi cells or eight per
  pair) or, beyond that, a sort.

At most ten row labels are named per problem. Positions are int32 while they
fit (what :mod:`scipy.sparse` uses), int64 beyond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector

__all__ = ["OD_COLUMNS", "AccessInputs", "check_access_inputs", "check_od_frame"]

#: Columns of the OD table.
OD_COLUMNS = ("origin_id", "site_id", "minutes")

_SHOWN_ROWS = 10


def _row_labels(index: pd.Index, mask: np.ndarray) -> tuple:
    return tuple(index[mask][:_SHOWN_ROWS])


def _count(mask: np.ndarray, noun: str) -> str:
    n = int(mask.sum())
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _numbers(values: pd.Series, *, source: str, column: str, what: str, problems) -> np.ndarray:
    """Float values of ``values``; records non-numbers, NaN, infinities and negatives."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        out = values.to_numpy()  # no copy, no conversion
        # fast path, two reductions: min is NaN when any value is NaN
        if len(out) == 0 or (out.min() >= 0 and (what == "minutes" or out.max() < np.inf)):
            return out
        missing = np.isnan(out)
        not_number = None
    else:
        numeric = pd.to_numeric(values, errors="coerce")
        out = numeric.to_numpy(dtype=float, na_value=np.nan)
        missing = values.isna().to_numpy()
        not_number = np.isnan(out) & ~missing
    with np.errstate(invalid="ignore"):
        negative = out < 0
    checks = [
        (not_number, "not a number"),
        (missing, "missing (NaN)"),
        (negative, f"negative ({what} must be >= 0)"),
    ]
    if what != "minutes":  # infinite minutes are simply out of reach
        checks.append((np.isposinf(out), "infinite"))
    for mask, message in checks:
        if mask is not None and mask.any():
            problems.add(
                f"{_count(mask, 'value')} {message}",
                source=source,
                column=column,
                rows=_row_labels(values.index, mask),
            )
    return out


# Largest origins x sites grid checked for repeated pairs with a bitmap (one byte per cell).
_BITMAP_CELLS = 1 << 26


def _has_duplicates(keys: np.ndarray, cells: int) -> bool:
    """Whether any (origin, site) key repeats.

    Strictly increasing keys (an OD table sorted by origin, then site) need
    one pass; otherwise a bitmap of the origins x sites grid, or a sort when
    that grid is large.
    """
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return False
    if cells <= max(_BITMAP_CELLS, 8 * len(keys)):
        seen = np.zeros(cells, dtype=bool)
        seen[keys] = True
        return int(np.count_nonzero(seen)) != len(keys)
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


@dataclass(frozen=True)
class AccessInputs:
    """The checked inputs as arrays: pair ``k`` links area ``rows[k]`` to site ``cols[k]``.

    Attributes
    ----------
    demand_ids, site_ids : pandas.Index
        The (unique) ids of the demand and supply Series, in their order.
    population, capacity : numpy.ndarray
        Float demand and supply, in the order of ``demand_ids`` and ``site_ids``.
    rows, cols : numpy.ndarray
        Positions (int32, or int64 when an index is that long) of each OD
        row's area in ``demand_ids`` and site in ``site_ids``.
    minutes : numpy.ndarray
        Minutes of each OD row, in the table's order.

    Values are float64, or the column's own float dtype when it has one.
    """

    demand_ids: pd.Index
    site_ids: pd.Index
    population: np.ndarray
    capacity: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray


def check_od_frame(od, problems: ProblemCollector) -> bool:
    """Record a problem unless ``od`` is a DataFrame with the OD table's columns.

    Parameters
    ----------
    od : object
        What should be an OD table (``origin_id, site_id, minutes``).
    problems : ProblemCollector
        Receives the problem, if any.

    Returns
    -------
    bool
        True when the table has the right type and columns.
    """
    if not isinstance(od, pd.DataFrame):
        problems.add(f"the OD table must be a pandas DataFrame, got {type(od).__name__}")
        return False
    missing = [c for c in OD_COLUMNS if c not in od.columns]
    if missing:
        problems.add(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(the OD table needs {', '.join(OD_COLUMNS)})",
            source="OD table",
        )
        return False
    return True


def check_access_inputs(od, demand, supply, problems: ProblemCollector) -> AccessInputs | None:
    """Check an OD table with its demand and supply; arrays when all is well.

    Parameters
    ----------
    od : object
        What should be the long OD table (``origin_id, site_id, minutes``).
    demand, supply : object
        What should be Series of population and capacity indexed by id.
    problems : ProblemCollector
        Receives every problem found (see the module docstring).

    Returns
    -------
    AccessInputs or None
        None when any problem was recorded (before or during this check).
    """
    check_od_frame(od, problems)
    for name, value in (("demand", demand), ("supply", supply)):
        if not isinstance(value, pd.Series):
            problems.add(
                f"{name} must be a pandas Series indexed by id, got {type(value).__name__}"
            )
    if problems:
        return None

    population = _numbers(
        demand, source="demand", column=demand.name, what="population", problems=problems
    )
    capacity = _numbers(
        supply, source="supply", column=supply.name, what="capacity", problems=problems
    )
    for name, series in (("demand", demand), ("supply", supply)):
        dup = series.index.duplicated(keep=False)
        if dup.any():
            problems.add(
                f"{_count(dup, 'row')} with a repeated id",
                source=name,
                rows=_row_labels(series.index, dup),
            )
    minutes = _numbers(
        od["minutes"], source="OD table", column="minutes", what="minutes", problems=problems
    )
    if demand.index.is_unique and supply.index.is_unique:
        rows = demand.index.get_indexer(od["origin_id"])
        cols = supply.index.get_indexer(od["site_id"])
        all_known = True
        for codes, column, name in ((rows, "origin_id", "demand"), (cols, "site_id", "supply")):
            if len(codes) and codes.min() < 0:
                all_known = False
                unknown = codes < 0
                problems.add(
                    f"{_count(unknown, 'row')} with an id not in the {name} index",
                    source="OD table",
                    column=column,
                    rows=_row_labels(od.index, unknown),
                )
        known = slice(None) if all_known else (rows >= 0) & (cols >= 0)
        # one int64 key per pair, built in place: origin * n_sites + site
        keys = (rows if all_known else rows[known]).astype(np.int64)
        keys *= max(len(supply), 1)
        keys += cols if all_known else cols[known]
        if _has_duplicates(keys, len(demand) * max(len(supply), 1)):
            dup = pd.Series(keys).duplicated(keep=False).to_numpy()
            problems.add(
                f"{_count(dup, 'row')} repeating an (origin_id, site_id) pair",
                source="OD table",
                rows=_row_labels(od.index[known], dup),
            )
        del keys
    if problems:
        return None
    # 32-bit positions when they fit: half the memory, and what scipy.sparse uses
    index_dtype = np.int32 if max(len(demand), len(supply)) < 2**31 - 1 else np.int64
    return AccessInputs(
        demand_ids=demand.index,
        site_ids=supply.index,
        population=population,
        capacity=capacity,
        rows=rows.astype(index_dtype),
        cols=cols.astype(index_dtype),
        minutes=minutes,
    )
