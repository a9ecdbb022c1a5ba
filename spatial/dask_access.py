"""Floating-catchment access and nearest-facility minutes on a Dask cluster.

The OD table (a :class:`~accessplan.spatial.od_codes.CodedOD`) is cut into
partitions of whole origins -- contiguous origin ranges with about equal
pair counts -- and scattered to the workers once (:func:`scatter_od`); every
measure is then group-by sums over the partitions. With the pair weights
:math:`W_{ij}` of the method (see :mod:`accessplan.spatial.fca`), computed
on the workers and kept beside their partition,

.. math::

    D_j = \\sum_p \\sum_{i \\in p} P_i W_{ij}, \\qquad
    R_j = S_j / D_j \\ (0 \\text{ when } D_j = 0), \\qquad
    A_i = \\sum_j W_{ij} R_j \\quad (W_{ij}^2 \\text{ for M2SFCA}):

step 1 (:math:`D_j`) is a bincount by site per partition, the partials
summed on the client in partition order; step 2 (:math:`A_i`) is a bincount
by origin per partition, and never crosses one, since a partition holds all
pairs of its origins (3SFCA's selection weights
:math:`G_{ij} = T_{ij} / \\sum_k T_{ik}` are per origin, so they are computed
inside the partition as well). The nearest facility
:math:`t_i = \\min_j d_{ij}` is a per-partition minimum by origin.

Results equal :func:`~accessplan.spatial.fca.access_scores` up to the order
of the additions (about 1e-16 relative: every term is >= 0) and
:func:`~accessplan.spatial.coverage_indicators.nearest_minutes` exactly.

Data moved: each partition once (8 bytes per origin, ``4 + b`` bytes per
pair for ``b``-byte minutes; the workers then add 20 bytes per pair within
the catchment for the weights); per step and partition, the population of
its origins (step 1) or the ``n_sites`` ratios (step 2) in, ``n_sites``
sums (step 1) or two values per origin (step 2) out. The client holds the
table's ids and the per-origin and per-site results only.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.coverage_indicators import check_population
from accessplan.spatial.decay import Decay
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import METHODS, AccessResult, resolve_decay
from accessplan.spatial.od_codes import CodedOD

__all__ = ["ScatteredOD", "dask_access", "dask_nearest_minutes", "scatter_od"]

# --------------------------------------------------------------------------
# OD partitions
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Partition:
    """The pairs of origins ``first:first + len(indptr) - 1`` (a slice of a CodedOD)."""

    first: int
    indptr: np.ndarray
    site_codes: np.ndarray
    minutes: np.ndarray

    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.indptr) - 1, dtype=np.int64), np.diff(self.indptr))


@dataclass(eq=False)
class ScatteredOD:
    """A CodedOD cut into partitions of whole origins, held by the workers.

    Attributes
    ----------
    origin_ids, site_ids : pandas.Index
        The table's labels.
    bounds : numpy.ndarray
        Origin code ranges: partition ``p`` holds origins ``bounds[p]:bounds[p + 1]``.
    futures : list
        One future per partition.
    origin_pairs, site_pairs : numpy.ndarray
        Pairs per origin (site) code.
    """

    origin_ids: pd.Index
    site_ids: pd.Index
    bounds: np.ndarray
    futures: list
    origin_pairs: np.ndarray
    site_pairs: np.ndarray

    def release(self) -> None:
        """Drop the partitions from the workers."""
        for future in self.futures:
            future.release()
        self.futures = []

    def __enter__(self) -> ScatteredOD:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def scatter_od(od: CodedOD, *, client, n_partitions: int | None = None) -> ScatteredOD:
    """Send a CodedOD to the workers in partitions of whole origins, once.

    Parameters
    ----------
    od : CodedOD
    client : distributed.Client
    n_partitions : int, optional
        Default: two per worker, and more for tables over 20 million pairs
        (about 5 million pairs each). Cuts fall on origin boundaries at about
        equal pair counts.

    Returns
    -------
    ScatteredOD
        Reusable by several :func:`dask_access` / :func:`dask_nearest_minutes`
        calls; ``release()`` (or ``with``) frees the workers' memory.
    """
    if n_partitions is None:
        workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        n_partitions = max(2 * workers, math.ceil(od.n_pairs / 5_000_000))
    n_partitions = max(1, min(int(n_partitions), max(od.n_origins, 1)))
    targets = np.linspace(0, od.n_pairs, n_partitions + 1)
    cuts = np.searchsorted(od.indptr, targets[1:-1], side="left")
    bounds = np.unique(np.concatenate(([0], np.clip(cuts, 0, od.n_origins), [od.n_origins])))
    parts = []
    for a, b in itertools.pairwise(bounds):
        lo, hi = od.indptr[a], od.indptr[b]
        parts.append(
            _Partition(
                first=int(a),
                indptr=od.indptr[a : b + 1] - lo,
                site_codes=od.site_codes[lo:hi],
                minutes=od.minutes[lo:hi],
            )
        )
    futures = client.scatter(parts, hash=False)
    return ScatteredOD(
        origin_ids=od.origin_ids,
        site_ids=od.site_ids,
        bounds=bounds,
        futures=list(futures),
        origin_pairs=od.pairs_per_origin(),
        site_pairs=np.bincount(od.site_codes, minlength=od.n_sites),
    )


# --------------------------------------------------------------------------
# Access: tasks
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Weighting:
    method: str
    catchment_minutes: float
    decay: Decay
    selection_decay: Decay


@dataclass(frozen=True, eq=False)
class _Weights:
    rows: np.ndarray  # local origin row of each kept pair
    cols: np.ndarray  # site code
    weights: np.ndarray  # W_ij
    n_rows: int


def _weights_task(part: _Partition, how: _Weighting, capacity: np.ndarray) -> _Weights:
    """Task: the pair weights of a partition (pairs within the catchment), as fca computes them."""
    rows, cols, minutes = part.rows(), part.site_codes, part.minutes
    if len(minutes) and minutes.max() > how.catchment_minutes:
        keep = minutes <= how.catchment_minutes
        rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
    weights = np.asarray(how.decay(minutes), dtype=float)
    n_rows = len(part.indptr) - 1
    if how.method == "3sfca":
        if how.selection_decay is how.decay or how.selection_decay == how.decay:
            select = weights.copy()
        else:
            select = np.array(how.selection_decay(minutes), dtype=float, copy=True)
        if not (capacity > 0).all():
            select[capacity[cols] <= 0] = 0.0
        per_row = np.bincount(rows, weights=select, minlength=n_rows)[rows]
        np.divide(select, per_row, out=select, where=per_row > 0)
        weights = weights * select
    return _Weights(rows, cols, weights, n_rows)


def _site_sums_task(w: _Weights, population: np.ndarray, n_sites: int) -> np.ndarray:
    """Task, step 1: this partition's share of ``D_j = sum_i P_i W_ij``."""
    return np.bincount(w.cols, weights=w.weights * population[w.rows], minlength=n_sites)


def _origin_sums_task(w: _Weights, ratio: np.ndarray, has_capacity: np.ndarray, squared: bool):
    """Task, step 2: ``A_i = sum_j W_ij R_j`` (``W_ij**2`` for M2SFCA) and whether i reaches supply."""
    weights = w.weights * w.weights if squared else w.weights
    access = np.bincount(w.rows, weights=weights * ratio[w.cols], minlength=w.n_rows)
    reaches = np.bincount(w.rows, weights=w.weights * has_capacity[w.cols], minlength=w.n_rows)
    return access, reaches > 0


def _nearest_task(part: _Partition, wanted: np.ndarray | None) -> np.ndarray:
    """Task: minutes to the nearest (wanted) site of every origin of the partition (inf: none)."""
    minutes = part.minutes.astype(np.float64)
    if wanted is not None:
        minutes = np.where(wanted[part.site_codes], minutes, np.inf)
    counts = np.diff(part.indptr)
    out = np.full(len(counts), np.inf)
    filled = counts > 0
    if filled.any():
        out[filled] = np.minimum.reduceat(minutes, part.indptr[:-1][filled])
    return out


# --------------------------------------------------------------------------
# Access: client side
# --------------------------------------------------------------------------


@contextmanager
def _partitions(od, client, n_partitions) -> Iterator[ScatteredOD]:
    if isinstance(od, ScatteredOD):
        yield od
        return
    if not isinstance(od, CodedOD):
        raise TypeError(f"od must be a CodedOD or a ScatteredOD, got {type(od).__name__}")
    scattered = scatter_od(od, client=client, n_partitions=n_partitions)
    try:
        yield scattered
    finally:
        scattered.release()


def _labelled(values: np.ndarray, ids: pd.Index, labels: pd.Index, fill) -> np.ndarray:
    """``values`` (one per code of ``ids``) placed at the positions of ``labels``."""
    out = np.full(len(labels), fill, dtype=np.asarray(values).dtype)
    where = labels.get_indexer(ids)
    known = where >= 0
    out[where[known]] = np.asarray(values)[known]
    return out


def dask_access(
    od: CodedOD | ScatteredOD,
    demand: pd.Series,
    supply: pd.Series,
    *,
    client,
    method: str = "2sfca",
    catchment_minutes: float = 30.0,
    decay: Decay | str | Mapping | None = None,
    selection_decay: Decay | str | Mapping | None = None,
    normalize: bool = False,
    n_partitions: int | None = None,
) -> AccessResult:
    """Floating-catchment access (:func:`accessplan.spatial.fca.access_scores`) on a Dask cluster.

    Parameters
    ----------
    od : CodedOD or ScatteredOD
        The OD table; a :class:`ScatteredOD` (from :func:`scatter_od`) is
        reused as is, a :class:`CodedOD` is scattered for this call only.
    demand : pandas.Series
        Population (>= 0) indexed by area id; every OD origin with a pair must be in it.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id; every OD site with a pair within
        the catchment must be in it.
    client : distributed.Client
    method, catchment_minutes, decay, selection_decay, normalize
        As :func:`~accessplan.spatial.fca.access_scores` (``selection_decay``:
        3SFCA's, see :func:`~accessplan.spatial.fca.three_step_fca`).
    n_partitions : int, optional
        See :func:`scatter_od` (ignored for a ScatteredOD).

    Returns
    -------
    AccessResult
        Equal to the one-machine result up to the order of additions.

    Raises
    ------
    UnknownMethodError, UnknownDecayError
        As ``access_scores``.
    accessplan.data.errors.InputValidationError
        Every problem of demand, supply, catchment, and OD ids missing from them.
    """
    name = method.strip().lower() if isinstance(method, str) else method
    if name not in METHODS:
        raise UnknownMethodError(
            f"unknown access method {method!r}; accepted: {', '.join(METHODS)}"
        )
    problems = ProblemCollector(what="access inputs")
    ok = (
        isinstance(catchment_minutes, int | float | np.integer | np.floating)
        and not isinstance(catchment_minutes, bool)
        and math.isfinite(catchment_minutes)
        and catchment_minutes > 0
    )
    if not ok:
        problems.add(f"catchment_minutes must be a finite number > 0, got {catchment_minutes!r}")
    population = check_population(demand, problems, source="demand")
    capacity_by_id = check_population(supply, problems, source="supply")
    origin_row = site_col = None
    if population is not None and capacity_by_id is not None:
        if demand.index.is_unique and supply.index.is_unique:
            origin_row, site_col = _known_ids(od, demand.index, supply.index, problems)
    problems.raise_if_any()
    catchment = float(catchment_minutes)
    decay = resolve_decay(decay, method=name, catchment_minutes=catchment)
    chosen = decay
    if selection_decay is not None:
        chosen = resolve_decay(
            selection_decay, method=name, catchment_minutes=catchment, name="selection_decay"
        )
    how = _Weighting(name, catchment, decay, chosen)

    with _partitions(od, client, n_partitions) as scattered:
        origin_ids, site_ids = scattered.origin_ids, scattered.site_ids
        # population per origin code and capacity per site code (0 where unknown)
        pop_code = np.where(origin_row >= 0, population[origin_row], 0.0)
        cap_code = np.where(site_col >= 0, capacity_by_id[site_col], 0.0)
        weights = [
            client.submit(_weights_task, part, how, cap_code, pure=False)
            for part in scattered.futures
        ]
        try:
            bounds = scattered.bounds
            sums = client.gather(
                [
                    client.submit(_site_sums_task, w, pop_code[a:b], len(site_ids), pure=False)
                    for w, a, b in zip(weights, bounds[:-1], bounds[1:], strict=True)
                ]
            )
            site_population = np.zeros(len(site_ids))
            for part in sums:
                site_population += part
            ratio = np.divide(
                cap_code, site_population, out=np.zeros(len(site_ids)), where=site_population > 0
            )
            has_capacity = (cap_code > 0).astype(float)
            results = client.gather(
                [
                    client.submit(
                        _origin_sums_task, w, ratio, has_capacity, name == "m2sfca", pure=False
                    )
                    for w in weights
                ]
            )
        finally:
            for w in weights:
                w.release()

    access_code = np.concatenate([r[0] for r in results]) if results else np.zeros(0)
    reaches_code = np.concatenate([r[1] for r in results]) if results else np.zeros(0, bool)
    access = _labelled(access_code, origin_ids, demand.index, 0.0)
    reaches = _labelled(reaches_code, origin_ids, demand.index, False)
    d_site = _labelled(site_population, site_ids, supply.index, 0.0)
    capacity = capacity_by_id
    ratio_site = np.divide(capacity, d_site, out=np.zeros(len(capacity)), where=d_site > 0)
    if normalize:
        total = population.sum()
        mean = float(population @ access) / total if total > 0 else 0.0
        if mean > 0:
            access = access / mean
    demand_ids, supply_ids = demand.index, supply.index
    return AccessResult(
        access=pd.Series(access, index=demand_ids.copy(), name="access", dtype=float),
        reaches_supply=pd.Series(reaches, index=demand_ids.copy(), name="reaches_supply"),
        site_ratio=pd.Series(ratio_site, index=supply_ids.copy(), name="site_ratio", dtype=float),
        site_population=pd.Series(
            d_site, index=supply_ids.copy(), name="site_population", dtype=float
        ),
        sites_without_population=tuple(supply_ids[d_site <= 0]),
        areas_without_supply=tuple(demand_ids[~reaches]),
        method=name,
        catchment_minutes=catchment,
        normalized=bool(normalize),
        decay=decay,
    )


def _known_ids(od, demand_ids: pd.Index, supply_ids: pd.Index, problems):
    """Demand row of every origin code and supply row of every site code (-1: not listed).

    Records the OD origins (sites) with pairs that demand (supply) does not list.
    """
    if isinstance(od, ScatteredOD):
        origin_pairs, site_pairs = od.origin_pairs, od.site_pairs
    elif isinstance(od, CodedOD):
        origin_pairs = od.pairs_per_origin()
        site_pairs = np.bincount(od.site_codes, minlength=od.n_sites)
    else:
        raise TypeError(f"od must be a CodedOD or a ScatteredOD, got {type(od).__name__}")
    rows = demand_ids.get_indexer(od.origin_ids)
    cols = supply_ids.get_indexer(od.site_ids)
    for ids, codes, pairs, column, name in (
        (od.origin_ids, rows, origin_pairs, "origin_id", "demand"),
        (od.site_ids, cols, site_pairs, "site_id", "supply"),
    ):
        missing = (codes < 0) & (pairs > 0)
        if missing.any():
            problems.add(
                f"{int(missing.sum())} id(s) with OD pairs not in the {name} index",
                source="OD table",
                column=column,
                rows=tuple(ids[missing][:10]),
            )
    return rows, cols


def dask_nearest_minutes(
    od: CodedOD | ScatteredOD,
    *,
    client,
    origin_ids=None,
    site_ids=None,
    n_partitions: int | None = None,
) -> pd.Series:
    """Minutes to the nearest site of every origin, on a Dask cluster.

    :math:`t_i = \\min_j d_{ij}`, as
    :func:`accessplan.spatial.coverage_indicators.nearest_minutes` (exactly:
    a minimum has no rounding).

    Parameters
    ----------
    od : CodedOD or ScatteredOD
    client : distributed.Client
    origin_ids : sequence, optional
        The areas to report (default: the table's origins); areas not in the
        table get NaN.
    site_ids : sequence, optional
        Count only these sites (ids not in the table are ignored).
    n_partitions : int, optional
        See :func:`scatter_od`.

    Returns
    -------
    pandas.Series
        Float minutes named ``nearest_minutes``; NaN where no site is in the table.
    """
    with _partitions(od, client, n_partitions) as scattered:
        wanted = None
        if site_ids is not None:
            codes = scattered.site_ids.get_indexer(pd.Index(site_ids))
            wanted = np.zeros(len(scattered.site_ids), dtype=bool)
            wanted[codes[codes >= 0]] = True
        futures = [
            client.submit(_nearest_task, part, wanted, pure=False) for part in scattered.futures
        ]
        parts = client.gather(futures)
        ids = scattered.origin_ids
    nearest = np.concatenate(parts) if parts else np.zeros(0)
    labels = ids if origin_ids is None else pd.Index(origin_ids)
    out = _labelled(nearest, ids, labels, np.inf)
    return pd.Series(np.where(np.isinf(out), np.nan, out), index=labels, name="nearest_minutes")
