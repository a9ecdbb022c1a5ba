"""The OD table as integer codes: one validated, compact form every measure can read.

The long OD table ``origin_id, site_id, minutes`` repeats each id many times;
at province scale (500,000 areas x 2,000 facilities, hundreds of millions of
pairs within a catchment) the ids alone outweigh the minutes, and looking
them up again in every measure costs more than the measure. A
:class:`CodedOD` holds the same table once, checked, as

* ``origin_ids`` and ``site_ids``: the labels (:class:`pandas.Index`, unique);
  an origin's *code* is its position in ``origin_ids``, a site's in ``site_ids``;
* ``indptr`` (int64, ``n_origins + 1``): the pairs of origin ``i`` are
  ``indptr[i]:indptr[i + 1]`` (a CSR matrix by origin, so per-origin sums and
  minima are :func:`numpy.ufunc.reduceat` over the rows, no origin column);
* ``site_codes`` (uint16 when there are at most 65,535 sites, as a region's
  facilities almost always are, else int32; :func:`site_code_dtype`) and
  ``minutes`` (float64, or float32 to halve it), sorted by site code within
  each origin, each pair once.

Memory: ``8 (n_origins + 1) + (c + b) P`` bytes for ``P`` pairs, ``c`` bytes
per site code (2 or 4) and ``b`` per minute (8 or 4), against ``(8 + 8 + 8) P``
for the long frame with integer ids (object ids cost far more). The narrow
site codes are also what makes the measures fast: every floating-catchment
sum streams the site codes, and on this hardware the passes over them run at
the speed their bytes arrive (``benchmarks/bench_coverage.py``: the two BFCA
passes take about half as long over uint16 codes as over int32).

Validation happens once, where the table enters (:meth:`CodedOD.from_frame`
for a user's table, :meth:`CodedOD.from_positions` for the travel-time
engine's own arrays); measures that receive a :class:`CodedOD` trust it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.fca import OD_COLUMNS
from accessplan.spatial.measure_inputs import (
    repeated_id_problems,
    series_values,
    validate_measure_inputs,
)

__all__ = ["CodedOD", "as_coded_od", "coded_measure_inputs", "site_code_dtype"]

_UINT16_SITES = int(np.iinfo(np.uint16).max)


def site_code_dtype(n_sites: int) -> np.dtype:
    """The dtype of the site codes of a table with ``n_sites`` sites.

    ``uint16`` up to 65,535 sites, ``int32`` beyond. Code that does
    arithmetic on site codes must widen them first (``astype(np.int64)``).
    """
    return np.dtype(np.uint16) if n_sites <= _UINT16_SITES else np.dtype(np.int32)


def _indptr(rows: np.ndarray, n_rows: int) -> np.ndarray:
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return indptr


@dataclass(frozen=True, eq=False)
class CodedOD:
    """A sparse OD table as CSR arrays by origin (see the module docstring).

    Attributes
    ----------
    origin_ids, site_ids : pandas.Index
        Labels of the origin and site codes (unique).
    indptr : numpy.ndarray
        int64, ``len(origin_ids) + 1``.
    site_codes : numpy.ndarray
        Site code of every pair (dtype :func:`site_code_dtype`), increasing
        within each origin.
    minutes : numpy.ndarray
        Travel time of every pair (float64 or float32), finite and >= 0.
    max_minutes : float or None
        The bound the table was built for (pairs beyond it are absent), if known.
    """

    origin_ids: pd.Index
    site_ids: pd.Index
    indptr: np.ndarray
    site_codes: np.ndarray
    minutes: np.ndarray
    max_minutes: float | None = None

    def __post_init__(self) -> None:
        if len(self.indptr) != len(self.origin_ids) + 1:
            raise ValueError("indptr must have one entry per origin, plus one")
        if len(self.site_codes) != len(self.minutes) or self.indptr[-1] != len(self.minutes):
            raise ValueError("indptr, site_codes and minutes disagree on the number of pairs")
        wanted = site_code_dtype(len(self.site_ids))
        if self.site_codes.dtype != wanted or self.minutes.dtype.kind != "f":
            raise ValueError(f"site_codes must be {wanted} and minutes float")

    # ------------------------------------------------------------------ sizes

    @property
    def n_pairs(self) -> int:
        return len(self.minutes)

    @property
    def n_origins(self) -> int:
        return len(self.origin_ids)

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays (the two id indexes not counted)."""
        return int(self.indptr.nbytes + self.site_codes.nbytes + self.minutes.nbytes)

    def pairs_per_origin(self) -> np.ndarray:
        return np.diff(self.indptr)

    def origin_codes(self) -> np.ndarray:
        """int32 origin code of every pair (a new array of ``n_pairs``)."""
        return np.repeat(np.arange(self.n_origins, dtype=np.int32), self.pairs_per_origin())

    # ------------------------------------------------------------- building

    @classmethod
    def from_positions(
        cls,
        rows: np.ndarray,
        cols: np.ndarray,
        minutes: np.ndarray,
        *,
        origin_ids,
        site_ids,
        max_minutes: float | None = None,
        minutes_dtype=np.float64,
    ) -> CodedOD:
        """From trusted positional arrays (each pair once, minutes finite and >= 0).

        ``rows`` index ``origin_ids``, ``cols`` index ``site_ids``. The pairs
        are sorted by origin then site unless they already are.
        """
        origin_ids, site_ids = pd.Index(origin_ids), pd.Index(site_ids)
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        minutes = np.asarray(minutes, dtype=minutes_dtype)
        n = len(rows)
        ordered = n < 2 or bool(
            ((rows[1:] > rows[:-1]) | ((rows[1:] == rows[:-1]) & (cols[1:] > cols[:-1]))).all()
        )
        if not ordered:
            from accessplan.spatial.od_order import pair_order  # compiled (numba)

            order = pair_order(rows, cols, len(origin_ids), len(site_ids))
            rows, cols, minutes = rows[order], cols[order], minutes[order]
        return cls(
            origin_ids=origin_ids,
            site_ids=site_ids,
            indptr=_indptr(rows, len(origin_ids)),
            site_codes=cols.astype(site_code_dtype(len(site_ids)), copy=False),
            minutes=minutes,
            max_minutes=None if max_minutes is None else float(max_minutes),
        )

    @classmethod
    def from_frame(
        cls,
        od: pd.DataFrame,
        *,
        origin_ids=None,
        site_ids=None,
        max_minutes: float | None = None,
        minutes_dtype=np.float64,
        problems: ProblemCollector | None = None,
    ) -> CodedOD | None:
        """Check a long OD table once and code it.

        Parameters
        ----------
        od : pandas.DataFrame
            Columns ``origin_id, site_id, minutes``; infinite minutes (out of
            reach) are dropped; NaN or negative minutes, unknown or repeated
            ids and repeated pairs are problems.
        origin_ids, site_ids : sequence, optional
            The labels (every area, including those without a pair; every
            site). Default: the table's own ids in order of first appearance.
        max_minutes : float, optional
            Keep only pairs within this bound and record it.
        minutes_dtype : numpy dtype, default float64
            float32 halves the minutes (rounding them to about 1e-7 relative).
        problems : ProblemCollector, optional
            Collect the problems there (returns None when any) instead of raising.

        Raises
        ------
        accessplan.data.errors.InputValidationError
            Every problem at once, when ``problems`` is not given.
        """
        own = problems is None
        if own:
            problems = ProblemCollector(what="OD table")
        if isinstance(od, pd.DataFrame) and all(c in od.columns for c in OD_COLUMNS):
            if site_ids is None:
                site_ids = pd.unique(od["site_id"])
            if origin_ids is None:
                origin_ids = pd.unique(od["origin_id"])
        supply = pd.Series(0.0, index=pd.Index([] if site_ids is None else site_ids))
        areas = None if origin_ids is None else pd.Index(origin_ids)
        inputs = validate_measure_inputs(od, supply=supply, areas=areas, problems=problems)
        if inputs is None:
            if own:
                problems.raise_if_any()
            return None
        rows, cols, minutes = inputs.rows, inputs.cols, inputs.minutes
        bound = np.inf if max_minutes is None else float(max_minutes)
        if len(minutes) and not minutes.max() <= min(bound, np.finfo(float).max):
            keep = (minutes <= bound) & (minutes < np.inf)  # inf: out of reach
            rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
        return cls.from_positions(
            rows,
            cols,
            minutes,
            origin_ids=inputs.area_ids,
            site_ids=inputs.site_ids,
            max_minutes=max_minutes,
            minutes_dtype=minutes_dtype,
        )

    # ------------------------------------------------------------ views

    def to_frame(self) -> pd.DataFrame:
        """The long table ``origin_id, site_id, minutes`` (sorted by origin code, site code)."""
        rows = self.origin_codes()
        return pd.DataFrame(
            {
                "origin_id": self.origin_ids.take(rows),
                "site_id": self.site_ids.take(self.site_codes),
                "minutes": self.minutes,
            }
        )

    def _subset(self, keep: np.ndarray, max_minutes: float | None) -> CodedOD:
        kept_before = np.zeros(self.n_pairs + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        indptr = kept_before[self.indptr]  # pairs kept before each origin's first pair
        return CodedOD(
            origin_ids=self.origin_ids,
            site_ids=self.site_ids,
            indptr=indptr,
            site_codes=self.site_codes[keep],
            minutes=self.minutes[keep],
            max_minutes=max_minutes,
        )

    @cached_property
    def largest_minutes(self) -> float:
        """The largest travel time of any pair (0 for an empty table); computed once."""
        return float(self.minutes.max()) if self.n_pairs else 0.0

    def within(self, max_minutes: float) -> CodedOD:
        """The pairs with ``minutes <= max_minutes`` (this table when every pair is).

        Free when the table's bound ``max_minutes`` is within the limit or its
        largest minute is already known; otherwise one pass over the minutes.
        """
        if self.max_minutes is not None and self.max_minutes <= max_minutes:
            return self
        if self.largest_minutes <= max_minutes:
            return self
        return self._subset(self.minutes <= max_minutes, float(max_minutes))

    def with_sites(self, site_ids) -> CodedOD:
        """The pairs of the given sites only (codes and labels unchanged).

        Ids not among ``site_ids`` are ignored (a plan's "before" network may
        list sites the table was not built for).
        """
        wanted = np.zeros(self.n_sites + 1, dtype=bool)
        codes = self.site_ids.get_indexer(pd.Index(site_ids))
        wanted[codes[codes >= 0]] = True
        keep = wanted[self.site_codes]
        if keep.all():
            return self
        return self._subset(keep, self.max_minutes)

    def row_minimum(self) -> np.ndarray:
        """Smallest minutes of every origin (``inf`` for origins with no pair)."""
        out = np.full(self.n_origins, np.inf)
        counts = self.pairs_per_origin()
        filled = counts > 0
        if filled.any():
            out[filled] = np.minimum.reduceat(self.minutes, self.indptr[:-1][filled])
        return out


def as_coded_od(
    od, *, origin_ids=None, site_ids=None, problems: ProblemCollector
) -> CodedOD | None:
    """``od`` as a :class:`CodedOD`: itself when it is one, else checked and coded.

    The labels of a :class:`CodedOD` are kept; ``origin_ids`` / ``site_ids``
    only label a long DataFrame.
    """
    if isinstance(od, CodedOD):
        return od
    return CodedOD.from_frame(od, origin_ids=origin_ids, site_ids=site_ids, problems=problems)


def _recode(od: CodedOD, origin_ids: pd.Index, site_ids: pd.Index, problems) -> CodedOD | None:
    """``od`` with its codes re-pointed at other labels (every id with a pair must be there)."""
    before = len(problems.problems)
    same_origins = od.origin_ids.equals(origin_ids)
    same_sites = od.site_ids.equals(site_ids)
    if same_origins and same_sites:
        return od
    origin_map = np.arange(od.n_origins) if same_origins else origin_ids.get_indexer(od.origin_ids)
    site_map = np.arange(od.n_sites) if same_sites else site_ids.get_indexer(od.site_ids)
    with_pairs = od.pairs_per_origin() > 0
    used_sites = np.zeros(od.n_sites, dtype=bool)
    used_sites[od.site_codes] = True
    for mapping, used, ids, column, name in (
        (origin_map, with_pairs, od.origin_ids, "origin_id", "demand"),
        (site_map, used_sites, od.site_ids, "site_id", "supply"),
    ):
        unknown = used & (mapping < 0)
        if unknown.any():
            problems.add(
                f"{int(unknown.sum())} id(s) with pairs are not in the {name} index",
                source="OD table",
                column=column,
                rows=tuple(ids[unknown][:10].tolist()),
            )
    if len(problems.problems) > before:
        return None
    return CodedOD.from_positions(
        origin_map[od.origin_codes()],
        site_map[od.site_codes],
        od.minutes,
        origin_ids=origin_ids,
        site_ids=site_ids,
        max_minutes=od.max_minutes,
        minutes_dtype=od.minutes.dtype,
    )


def coded_measure_inputs(
    od,
    *,
    supply: pd.Series,
    demand: pd.Series,
    problems: ProblemCollector,
) -> tuple[CodedOD, np.ndarray, np.ndarray] | None:
    """Check an OD table (long frame or :class:`CodedOD`), demand and supply at once.

    Returns the table coded on ``demand.index`` (origins) and ``supply.index``
    (sites), with the population and capacity as float arrays; None when a
    problem was recorded (the caller raises them all). A :class:`CodedOD` is
    trusted as built; only its labels are matched to the two indexes (a
    re-coding pass when they differ).
    """
    if not isinstance(od, CodedOD):
        inputs = validate_measure_inputs(od, supply=supply, demand=demand, problems=problems)
        if inputs is None:
            return None
        coded = CodedOD.from_positions(
            inputs.rows,
            inputs.cols,
            inputs.minutes,
            origin_ids=inputs.area_ids,
            site_ids=inputs.site_ids,
        )
        return coded, inputs.population, inputs.capacity
    before = len(problems.problems)
    values = []
    for name, what, series in (("demand", "population", demand), ("supply", "capacity", supply)):
        if not isinstance(series, pd.Series):
            problems.add(
                f"{name} must be a pandas Series indexed by id, got {type(series).__name__}"
            )
            values.append(None)
            continue
        values.append(series_values(series, source=name, what=what, problems=problems))
        repeated_id_problems(series.index, name, problems)
    if len(problems.problems) > before:
        return None
    coded = _recode(od, demand.index, supply.index, problems)
    if coded is None:
        return None
    return coded, values[0], values[1]
