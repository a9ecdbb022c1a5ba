"""Capacity-limited geographic coverage: AccessMod's "geographic coverage analysis".

AccessMod (WHO; Ray & Ebener 2008, AccessMod 5 user manual, section 5.5.4 and
appendix 4 "Calculation details - Geographic coverage analysis") lets each
health facility serve the population nearest to it, in order of travel time,
until the people it can serve (its capacity) are used up or its maximum
travel time is reached; the people it takes are removed from the population
before the next facility is processed. Here, on the sparse OD table
(``origin_id, site_id, minutes``) with areas in place of raster cells:

1. Facilities are sorted by the user's processing order: a facility column
   (e.g. capacity), or ``"population"``, the population within
   ``order_minutes`` of each facility in the *original* population (AccessMod's
   "population living within a given travel time"); largest first by default
   (``descending``), ties kept in the capacity Series' order.
2. A residual population :math:`r_i` starts as the population :math:`p_i`.
3. For each facility :math:`j` in that order, with capacity :math:`c_j`, its
   OD rows with :math:`d_{ij} \\le` ``max_minutes`` are grouped into *rings*
   of equal travel time (AccessMod's rings are whole minutes,
   ``int(cumulative cost)``: pass ``ring_minutes=1`` for that; by default a
   ring is the areas at exactly the same minutes), nearest ring first. With
   :math:`R_k = \\sum_{i \\in k} r_i` and :math:`C_{<k}` the residual
   population of the rings before ring :math:`k`, the facility takes from
   every area of ring :math:`k` the same fraction

   .. math::

       f_k = \\min\\left(1, \\max\\left(0, \\frac{c_j - C_{<k}}{R_k}\\right)\\right),

   i.e. whole rings while their cumulative population is at most the
   capacity ("inner ring"), then the fraction of the first ring that would
   exceed it ("outer ring": AccessMod's ``amPopPropRemovedOuterRing``
   removes that proportion from each cell of the ring), then nothing.
   The taken people :math:`f_k r_i` are removed: :math:`r_i \\leftarrow (1 - f_k) r_i`.

Outputs: the population each facility covers (:math:`\\le c_j`), its
remaining capacity, the uncovered (residual) population of each area, and
the facility's effective catchment radius: the travel time of the farthest
area it took people from (AccessMod's ``amTimeLimitOuterRing`` when the last
ring is partial, ``amTimeLimitInnerRing`` otherwise). Conservation holds by
construction, up to the rounding of the fractions taken: per area covered +
uncovered = population; per facility covered <= capacity; in total covered
= sum of the facilities' coverage.

The facilities are processed one after another (each depends on what the
previous ones took, as in AccessMod), but each needs only its own OD pairs,
nearest ring first, and the residual population: the pairs are grouped by
facility and sorted by ring once, and one compiled pass walks the facilities
over that view (:mod:`accessplan.spatial.capacity_kernel`). Within a ring
the areas keep the order of the OD table (a :class:`CodedOD`'s order: by
origin code). The sums are numpy's pairwise float sums, so the numbers are
those of the plain numpy formulation, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.capacity_kernel import allocate, population_in_catchment, site_view
from accessplan.spatial.coverage_indicators import check_population
from accessplan.spatial.fca import check_od_frame
from accessplan.spatial.od_codes import CodedOD

__all__ = ["ORDERS", "CapacityCoverage", "capacity_coverage"]

#: Processing orders given by name (otherwise a Series of values per facility).
ORDERS = ("population",)

_SHOWN = 10


@dataclass(frozen=True, eq=False)
class CapacityCoverage:
    """Result of :func:`capacity_coverage`.

    Attributes
    ----------
    facilities : pandas.DataFrame
        One row per facility (capacity Series order), columns ``capacity``
        (people), ``processing_rank`` (1 = first), ``order_value`` (the value
        the order sorted on), ``population_in_reach`` (residual population
        within ``max_minutes`` when its turn came), ``covered_population``,
        ``remaining_capacity``, ``catchment_radius_minutes`` (NaN when it
        covered nobody) and ``last_ring_fraction`` (share taken of its last
        ring: 1 when it took whole rings only, NaN when it covered nobody).
    areas : pandas.DataFrame
        One row per area, columns ``population``, ``covered_population``,
        ``uncovered_population``.
    allocation : pandas.DataFrame
        The people taken, one row per (area, facility) with a positive amount:
        ``origin_id, site_id, minutes, covered_population``.
    order : tuple
        Facility ids in processing order.
    max_minutes : float
        The largest travel time a facility serves (inf: every OD row).
    ring_minutes : float or None
        Ring width (None: rings of exactly equal minutes).
    """

    facilities: pd.DataFrame
    areas: pd.DataFrame
    allocation: pd.DataFrame
    order: tuple
    max_minutes: float
    ring_minutes: float | None

    @property
    def covered_population(self) -> pd.Series:
        """People covered by each facility."""
        return self.facilities["covered_population"]

    @property
    def remaining_capacity(self) -> pd.Series:
        """Capacity (people) left unused at each facility."""
        return self.facilities["remaining_capacity"]

    @property
    def uncovered_population(self) -> pd.Series:
        """People of each area no facility covered."""
        return self.areas["uncovered_population"]

    @property
    def catchment_radius_minutes(self) -> pd.Series:
        """Travel time of the farthest people each facility covered."""
        return self.facilities["catchment_radius_minutes"]

    @property
    def coverage_share(self) -> float:
        """Covered population over total population (NaN when nobody lives in the region)."""
        total = float(self.areas["population"].sum())
        return float(self.areas["covered_population"].sum()) / total if total > 0 else math.nan


def _positive_number(value, name: str, problems: ProblemCollector, *, allow_none: bool) -> bool:
    if value is None and allow_none:
        return True
    if not (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    ):
        problems.add(f"{name} must be a finite number > 0, got {value!r}")
        return False
    return True


def _codes(values, index: pd.Index, column: str, what: str, od_index, problems) -> np.ndarray:
    codes = index.get_indexer(values)
    unknown = codes < 0
    if unknown.any():
        problems.add(
            f"{int(unknown.sum())} row(s) with an id not among the {what}",
            source="OD table",
            column=column,
            rows=tuple(od_index[unknown][:_SHOWN].tolist()),
        )
    return codes


def _od_arrays(od, population, capacity, problems):
    """Origin codes, site codes and minutes of the OD table (None when there are problems)."""
    if not check_od_frame(od, problems):
        return None
    minutes = pd.to_numeric(od["minutes"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(minutes) | (minutes < 0)
    if bad.any():
        problems.add(
            f"{int(bad.sum())} value(s) missing, not a number or negative",
            source="OD table",
            column="minutes",
            rows=tuple(od.index[bad][:_SHOWN].tolist()),
        )
    if not isinstance(population, pd.Series) or not isinstance(capacity, pd.Series):
        return None
    if population.index.has_duplicates or capacity.index.has_duplicates:
        return None
    rows = _codes(od["origin_id"], population.index, "origin_id", "areas", od.index, problems)
    cols = _codes(od["site_id"], capacity.index, "site_id", "facilities", od.index, problems)
    if problems:
        return None
    keys = rows.astype(np.int64) * max(len(capacity), 1) + cols
    if _has_repeats(keys, len(population) * max(len(capacity), 1)):
        repeated = pd.Series(keys).duplicated(keep=False).to_numpy()
        problems.add(
            f"{int(repeated.sum())} row(s) repeating an (origin_id, site_id) pair",
            source="OD table",
            rows=tuple(od.index[repeated][:_SHOWN].tolist()),
        )
        return None
    return rows, cols, minutes


def _has_repeats(keys: np.ndarray, cells: int) -> bool:
    """Whether a pair key repeats: a bitmap of the areas x facilities grid, or a sort if huge."""
    if len(keys) < 2:
        return False
    if cells <= max(1 << 26, 8 * len(keys)):
        seen = np.zeros(cells, dtype=bool)
        seen[keys] = True
        return int(np.count_nonzero(seen)) != len(keys)
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


def _coded_arrays(od: CodedOD, population, capacity, problems):
    """Area positions, facility positions and minutes of a coded table's pairs, in its order.

    The table is trusted as built; its labels are matched to the population
    and capacity ids (every id with a pair must be among them).
    """
    if not isinstance(population, pd.Series) or not isinstance(capacity, pd.Series):
        return None
    if population.index.has_duplicates or capacity.index.has_duplicates:
        return None
    rows = od.origin_codes()
    cols = od.site_codes
    found = []
    for labels, index, codes, column, what in (
        (od.origin_ids, population.index, rows, "origin_id", "areas"),
        (od.site_ids, capacity.index, cols, "site_id", "facilities"),
    ):
        if labels.equals(index):
            found.append(codes)
            continue
        mapping = index.get_indexer(labels)
        used = np.zeros(len(labels), dtype=bool)
        used[codes] = True
        unknown = used & (mapping < 0)
        if unknown.any():
            problems.add(
                f"{int(unknown.sum())} id(s) with pairs not among the {what}",
                source="OD table",
                column=column,
                rows=tuple(labels[unknown][:_SHOWN].tolist()),
            )
        found.append(mapping[codes])
    if problems:
        return None
    return found[0], found[1], od.minutes.astype(np.float64, copy=False)


def _check_capacity(capacity, people_per_unit, problems) -> np.ndarray | None:
    values = check_population(capacity, problems, source="capacity")
    if values is None:
        return None
    if _positive_number(people_per_unit, "people_per_unit", problems, allow_none=False):
        return values * float(people_per_unit)
    return None


def _order_values(order, capacity, problems) -> np.ndarray | None:
    if isinstance(order, str):
        if order.strip().lower() not in ORDERS:
            problems.add(
                f"unknown processing order {order!r}; give {', '.join(ORDERS)} or a Series "
                "of values per facility (a facility column)"
            )
        return None
    if not isinstance(order, pd.Series):
        problems.add(
            f"order must be {', '.join(map(repr, ORDERS))} or a pandas Series indexed by "
            f"facility id, got {type(order).__name__}"
        )
        return None
    if not isinstance(capacity, pd.Series):
        return None
    if order.index.has_duplicates:
        problems.add("repeated facility ids", source="order", column=order.name)
        return None
    aligned = order.reindex(capacity.index)
    missing = aligned.isna().to_numpy()
    if missing.any():
        problems.add(
            f"{int(missing.sum())} facility(ies) with no order value",
            source="order",
            column=order.name,
            rows=tuple(capacity.index[missing][:_SHOWN].tolist()),
        )
        return None
    return aligned.to_numpy()


def _processing_order(values: np.ndarray, *, descending: bool) -> np.ndarray:
    """Positions sorted by ``values`` (stable: ties keep their input order)."""
    ranks = pd.Series(values).rank(method="dense", ascending=not descending).to_numpy()
    return np.argsort(ranks, kind="stable")


def capacity_coverage(
    od: pd.DataFrame | CodedOD,
    population: pd.Series,
    capacity: pd.Series,
    *,
    order: str | pd.Series = "population",
    descending: bool = True,
    max_minutes: float | None = None,
    order_minutes: float | None = None,
    ring_minutes: float | None = None,
    people_per_unit: float = 1.0,
) -> CapacityCoverage:
    """AccessMod's capacity-limited geographic coverage over the OD table.

    Each facility :math:`j`, in the processing order, takes the nearest still
    uncovered people, ring by ring of equal travel time, the fraction
    :math:`f_k = \\min(1, \\max(0, (c_j - C_{<k}) / R_k))` of every area of
    ring :math:`k` (whole rings, then part of the one that would exceed the
    capacity, then nothing; see the module text), within ``max_minutes``.

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        The OD table, ``origin_id, site_id, minutes`` (each pair at most once),
        or the same table coded once (:class:`accessplan.spatial.od_codes.CodedOD`,
        trusted as built; its ids with pairs must be among the population's
        and the capacity's). Areas in one ring keep the table's order (a
        coded table's: by origin code), which fixes how their floats are added.
    population : pandas.Series
        Population per area, indexed by area id (every area).
    capacity : pandas.Series
        What each facility can serve, indexed by facility id; in people, or
        in units (beds...) turned into people by ``people_per_unit``.
        Facilities with no OD row cover nobody.
    order : "population" or pandas.Series
        Processing order: ``"population"`` -- the population within
        ``order_minutes`` of each facility (original population) -- or a
        Series of sortable values indexed by facility id (a facility column,
        e.g. the capacity or a priority rank).
    descending : bool
        Largest value first (AccessMod's "descending" sorting; the default).
    max_minutes : float, optional
        The largest travel time a facility serves (AccessMod's maximum travel
        time); OD rows beyond it are ignored. Default: every OD row.
    order_minutes : float, optional
        Catchment of the ``"population"`` order; default ``max_minutes``.
    ring_minutes : float, optional
        Width of the travel-time rings: ``1`` for AccessMod's whole-minute
        rings (``floor(minutes / ring_minutes)``); by default areas at exactly
        equal minutes form a ring.
    people_per_unit : float
        People one unit of ``capacity`` serves (> 0; 1 when capacity is in people).

    Returns
    -------
    CapacityCoverage

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem at once: bad OD table (missing, negative minutes, ids
        not among the areas or facilities, repeated pairs; for a
        :class:`CodedOD`, ids with pairs not among them), bad population or
        capacity values, repeated ids, an unknown order name or order values
        missing for some facility, bad minutes or ``people_per_unit``.

    Examples
    --------
    >>> od = pd.DataFrame({"origin_id": ["a", "b", "c"], "site_id": "h",
    ...                    "minutes": [5.0, 10.0, 20.0]})
    >>> pop = pd.Series([100.0, 300.0, 200.0], index=["a", "b", "c"])
    >>> res = capacity_coverage(od, pop, pd.Series([250.0], index=["h"]))
    >>> res.uncovered_population.tolist(), res.catchment_radius_minutes.tolist()
    ([0.0, 150.0, 200.0], [10.0])
    """
    problems = ProblemCollector(what="capacity coverage inputs")
    pop = check_population(population, problems)
    cap = _check_capacity(capacity, people_per_unit, problems)
    order_values = _order_values(order, capacity, problems)
    _positive_number(max_minutes, "max_minutes", problems, allow_none=True)
    _positive_number(order_minutes, "order_minutes", problems, allow_none=True)
    _positive_number(ring_minutes, "ring_minutes", problems, allow_none=True)
    if isinstance(od, CodedOD):
        arrays = _coded_arrays(od, population, capacity, problems)
    else:
        arrays = _od_arrays(od, population, capacity, problems)
    problems.raise_if_any()
    rows, cols, minutes = arrays
    limit = math.inf if max_minutes is None else float(max_minutes)
    order_limit = limit if order_minutes is None else float(order_minutes)
    n_sites = len(capacity)

    if order_values is None:  # "population": people within order_minutes, original population
        order_values, near = population_in_catchment(rows, cols, minutes, pop, order_limit, n_sites)
        if near == 0:  # as np.bincount gave it (the order column of the former formulation)
            order_values = np.zeros(n_sites, dtype=np.intp)
    sequence = _processing_order(order_values, descending=descending)

    # the pairs within the limit, by facility, nearest ring first (ties: table order)
    offsets, rows, minutes, ring_keys = site_view(
        rows, cols, minutes, limit_minutes=limit, ring_minutes=ring_minutes, n_sites=n_sites
    )
    residual, in_reach, covered, radius, last_fraction, taken_all = allocate(
        sequence.astype(np.int64), offsets, rows, minutes, ring_keys, pop, cap
    )

    rank = np.empty(n_sites, dtype=np.int64)
    rank[sequence] = np.arange(1, n_sites + 1)
    facilities = pd.DataFrame(
        {
            "capacity": cap,
            "processing_rank": rank,
            "order_value": order_values,
            "population_in_reach": in_reach,
            "covered_population": covered,
            "remaining_capacity": np.maximum(cap - covered, 0.0),
            "catchment_radius_minutes": radius,
            "last_ring_fraction": last_fraction,
        },
        index=capacity.index,
    )
    areas_frame = pd.DataFrame(
        {
            "population": pop,
            "covered_population": pop - residual,
            "uncovered_population": residual,
        },
        index=population.index,
    )
    took = taken_all > 0
    sites = np.repeat(np.arange(n_sites), np.diff(offsets))
    allocation = pd.DataFrame(
        {
            "origin_id": population.index.take(rows[took]),
            "site_id": capacity.index.take(sites[took]),
            "minutes": minutes[took],
            "covered_population": taken_all[took],
        }
    )
    return CapacityCoverage(
        facilities=facilities,
        areas=areas_frame,
        allocation=allocation,
        order=tuple(capacity.index.take(sequence).tolist()),
        max_minutes=limit,
        ring_minutes=None if ring_minutes is None else float(ring_minutes),
    )
