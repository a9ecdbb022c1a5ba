"""Floating-catchment access and nearest-facility minutes on a Dask cluster.

The OD pairs live on the workers as *parts* (:class:`ODPart`: origin codes,
site codes, minutes of any set of pairs, each pair in one part), held by a
:class:`ScatteredOD`: either a :class:`~accessplan.spatial.od_codes.CodedOD`
cut and scattered once (:func:`scatter_od`), or the travel-time chunks left
where the cluster computed them
(:func:`accessplan.spatial.dask_engine.scatter_network_travel_times`), so the
client never holds the table. Every measure is then partial sums per part,
added up on the workers by a fixed tree (so the result does not depend on
which worker finishes first). With the pair weights :math:`W_{ij}` of the
method (see :mod:`accessplan.spatial.fca`), computed on the workers and kept
beside their part,

.. math::

    D_j = \\sum_p \\sum_{(i,j) \\in p} P_i W_{ij}, \\qquad
    R_j = S_j / D_j \\ (0 \\text{ when } D_j = 0), \\qquad
    A_i = \\sum_p \\sum_{(i,j) \\in p} W_{ij} R_j \\quad (W_{ij}^2 \\text{ for M2SFCA}),

step 1 a bincount by site per part, step 2 a bincount by origin per part.
3SFCA's selection weights :math:`G_{ij} = T_{ij} / \\sum_k T_{ik}` need the
per-origin totals first (one more round of sums). The nearest facility
:math:`t_i = \\min_j d_{ij}` is a minimum by origin per part, then across parts.

Results equal :func:`~accessplan.spatial.fca.access_scores` up to the order
of the additions (every term is >= 0, so about 1e-16 relative) and
:func:`~accessplan.spatial.coverage_indicators.nearest_minutes` exactly.

Data moved: each part once when scattered from the client (``8 + b`` bytes
per pair, ``b`` bytes per minute; nothing when the parts are the
travel-time chunks); per measure, the population per origin (8 bytes per
origin) and the site ratios (8 bytes per site) to every worker; per part
one vector of ``n_sites`` (step 1) or ``2 n_origins`` (step 2) float64
values to the reduction tree, one of each to the client. Worker memory:
the parts, plus 16 bytes per pair within the catchment for the weights
while a measure runs.
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
from accessplan.spatial import dask_tasks
from accessplan.spatial.coverage_indicators import check_population
from accessplan.spatial.dask_tasks import ODPart, Weighting
from accessplan.spatial.decay import Decay
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import METHODS, AccessResult, resolve_decay
from accessplan.spatial.od_codes import CodedOD

__all__ = [
    "ODPart",
    "ScatteredOD",
    "dask_access",
    "dask_nearest_minutes",
    "pair_counts",
    "scatter_od",
    "tree_reduce",
]

_FAN_IN = 8


# --------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------


def tree_reduce(client, futures: list, *, op: str = "sum"):
    """One future of the elementwise ``op`` (``"sum"`` or ``"min"``) of the futures' arrays.

    Reduced on the workers, ``_FAN_IN`` at a time, in a fixed tree: the
    result does not depend on which task finishes first.
    """
    level = list(futures)
    if not level:
        raise ValueError("nothing to reduce")
    while len(level) > 1:
        level = [
            client.submit(dask_tasks.combine, op, *level[k : k + _FAN_IN], pure=False)
            for k in range(0, len(level), _FAN_IN)
        ]
    if level[0] is futures[0]:  # a single part: a copy, so releasing it keeps the part
        return client.submit(dask_tasks.combine, op, level[0], pure=False)
    return level[0]


def pair_counts(client, futures: list, n_origins: int, n_sites: int):
    """Pairs per origin code and per site code of scattered :class:`ODPart` futures."""
    if not futures:
        return np.zeros(n_origins, dtype=np.int64), np.zeros(n_sites, dtype=np.int64)
    partial = [
        client.submit(dask_tasks.count_pairs, part, n_origins, n_sites, pure=False)
        for part in futures
    ]
    counts = tree_reduce(client, partial).result()
    return counts[:n_origins], counts[n_origins:]


# --------------------------------------------------------------------------
# Scattered tables
# --------------------------------------------------------------------------


@dataclass(eq=False)
class ScatteredOD:
    """An OD table held by the workers, as :class:`ODPart` futures.

    Attributes
    ----------
    origin_ids, site_ids : pandas.Index
        Labels of the origin and site codes.
    futures : list
        One future per part.
    origin_pairs, site_pairs : numpy.ndarray
        Pairs per origin (site) code.
    max_minutes : float or None
        The bound the table was built for (pairs beyond it are absent), if known.
    """

    origin_ids: pd.Index
    site_ids: pd.Index
    futures: list
    origin_pairs: np.ndarray
    site_pairs: np.ndarray
    max_minutes: float | None = None

    @property
    def n_pairs(self) -> int:
        return int(self.origin_pairs.sum())

    def release(self) -> None:
        """Drop the parts from the workers."""
        for future in self.futures:
            future.release()
        self.futures = []

    def __enter__(self) -> ScatteredOD:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def scatter_od(od: CodedOD, *, client, n_parts: int | None = None) -> ScatteredOD:
    """Send a CodedOD to the workers in parts, once.

    Parameters
    ----------
    od : CodedOD
    client : distributed.Client
    n_parts : int, optional
        Default: two per worker, or one per 5 million pairs when that is
        more. Cuts fall on origin boundaries at about equal pair counts.

    Returns
    -------
    ScatteredOD
        Reusable by several :func:`dask_access` / :func:`dask_nearest_minutes`
        calls; ``release()`` (or ``with``) frees the workers' memory.
    """
    if n_parts is None:
        workers = max(1, len(client.nthreads()))
        n_parts = max(2 * workers, math.ceil(od.n_pairs / 5_000_000))
    n_parts = max(1, int(n_parts))
    targets = np.linspace(0, od.n_pairs, n_parts + 1)
    cuts = np.searchsorted(od.indptr, targets[1:-1], side="left")
    bounds = np.unique(np.concatenate(([0], np.clip(cuts, 0, od.n_origins), [od.n_origins])))
    origin_pairs = od.pairs_per_origin()
    parts = []
    for a, b in itertools.pairwise(bounds):
        lo, hi = od.indptr[a], od.indptr[b]
        if hi > lo:
            codes = np.repeat(np.arange(a, b, dtype=np.int32), origin_pairs[a:b])
            parts.append(ODPart(codes, od.site_codes[lo:hi], od.minutes[lo:hi]))
    futures = client.scatter(parts, hash=False) if parts else []
    return ScatteredOD(
        origin_ids=od.origin_ids,
        site_ids=od.site_ids,
        futures=list(futures),
        origin_pairs=origin_pairs,
        site_pairs=np.bincount(od.site_codes, minlength=od.n_sites),
        max_minutes=od.max_minutes,
    )


@contextmanager
def _scattered(od, client, n_parts) -> Iterator[ScatteredOD]:
    if isinstance(od, ScatteredOD):
        yield od
        return
    if not isinstance(od, CodedOD):
        raise TypeError(f"od must be a CodedOD or a ScatteredOD, got {type(od).__name__}")
    scattered = scatter_od(od, client=client, n_parts=n_parts)
    try:
        yield scattered
    finally:
        scattered.release()


# --------------------------------------------------------------------------
# Access: client side
# --------------------------------------------------------------------------


def _labelled(values: np.ndarray, ids: pd.Index, labels: pd.Index, fill) -> np.ndarray:
    """``values`` (one per code of ``ids``) placed at the positions of ``labels``."""
    out = np.full(len(labels), fill, dtype=np.asarray(values).dtype)
    where = labels.get_indexer(ids)
    known = where >= 0
    out[where[known]] = np.asarray(values)[known]
    return out


def _wanted_sites(site_ids: pd.Index, only) -> np.ndarray | None:
    """Which site codes count (a boolean per code), or None for all."""
    if only is None:
        return None
    codes = site_ids.get_indexer(pd.Index(only))
    wanted = np.zeros(len(site_ids), dtype=bool)
    wanted[codes[codes >= 0]] = True
    return wanted


def _known_ids(od, demand_ids: pd.Index, supply_ids: pd.Index, wanted, problems):
    """Demand row of every origin code and supply row of every site code (-1: not listed).

    Records the OD origins (counted sites) with pairs that demand (supply) does not list.
    """
    if isinstance(od, ScatteredOD):
        origin_pairs, site_pairs = od.origin_pairs, od.site_pairs
    else:
        origin_pairs = od.pairs_per_origin()
        site_pairs = np.bincount(od.site_codes, minlength=od.n_sites)
    rows = demand_ids.get_indexer(od.origin_ids)
    cols = supply_ids.get_indexer(od.site_ids)
    if wanted is not None:
        site_pairs = np.where(wanted, site_pairs, 0)
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


def _check_catchment(value, od, problems) -> None:
    ok = (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
    if not ok:
        problems.add(f"catchment_minutes must be a finite number > 0, got {value!r}")
        return
    bound = getattr(od, "max_minutes", None)
    if bound is not None and value > bound * (1 + 1e-12):
        problems.add(
            f"catchment_minutes is {value:g} but the OD table only holds pairs within "
            f"{bound:g} minutes: access would miss every pair in between; compute the "
            "travel times with max_minutes >= the catchment"
        )


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
    site_ids=None,
    n_parts: int | None = None,
) -> AccessResult:
    """Floating-catchment access (:func:`accessplan.spatial.fca.access_scores`) on a Dask cluster.

    Parameters
    ----------
    od : CodedOD or ScatteredOD
        The OD table; a :class:`ScatteredOD` is used where it is, a
        :class:`CodedOD` is scattered for this call only.
    demand : pandas.Series
        Population (>= 0) indexed by area id; every OD origin with a pair must be in it.
    supply : pandas.Series
        Capacity (>= 0) indexed by site id; every counted OD site with a pair
        must be in it.
    client : distributed.Client
    method, catchment_minutes, decay, selection_decay, normalize
        As :func:`~accessplan.spatial.fca.access_scores` (``selection_decay``:
        3SFCA's, see :func:`~accessplan.spatial.fca.three_step_fca`). A
        catchment beyond the table's own bound is refused.
    site_ids : sequence, optional
        Count only the pairs of these sites (e.g. the existing facilities of
        a table built for facilities and candidates, as
        :meth:`CodedOD.with_sites` does); default every site of the table.
    n_parts : int, optional
        See :func:`scatter_od` (for a CodedOD only).

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
    if not isinstance(od, CodedOD | ScatteredOD):
        raise TypeError(f"od must be a CodedOD or a ScatteredOD, got {type(od).__name__}")
    problems = ProblemCollector(what="access inputs")
    _check_catchment(catchment_minutes, od, problems)
    population = check_population(demand, problems, source="demand")
    capacity = check_population(supply, problems, source="supply")
    if population is not None and capacity is not None:
        if demand.index.is_unique and supply.index.is_unique:
            wanted = _wanted_sites(od.site_ids, site_ids)
            origin_row, site_col = _known_ids(od, demand.index, supply.index, wanted, problems)
    problems.raise_if_any()
    catchment = float(catchment_minutes)
    decay = resolve_decay(decay, method=name, catchment_minutes=catchment)
    chosen = decay
    if selection_decay is not None:
        chosen = resolve_decay(
            selection_decay, method=name, catchment_minutes=catchment, name="selection_decay"
        )
    how = Weighting(name, catchment, decay, chosen)

    with _scattered(od, client, n_parts) as scattered:
        n_origins, n_sites = len(scattered.origin_ids), len(scattered.site_ids)
        # population per origin code and capacity per site code (0 where not listed)
        pop_code = np.where(origin_row >= 0, population[origin_row], 0.0)
        cap_code = np.where(site_col >= 0, capacity[site_col], 0.0)
        site_population, per_origin = _two_steps(
            client, scattered.futures, how, wanted, pop_code, cap_code, n_origins, n_sites
        )
    access = _labelled(per_origin[0], scattered.origin_ids, demand.index, 0.0)
    reaches = _labelled(per_origin[1] > 0, scattered.origin_ids, demand.index, False)
    d_site = _labelled(site_population, scattered.site_ids, supply.index, 0.0)
    ratio = np.divide(capacity, d_site, out=np.zeros(len(capacity)), where=d_site > 0)
    if normalize:
        total = population.sum()
        mean = float(population @ access) / total if total > 0 else 0.0
        if mean > 0:
            access = access / mean
    demand_ids, supply_ids = demand.index, supply.index
    return AccessResult(
        access=pd.Series(access, index=demand_ids.copy(), name="access", dtype=float),
        reaches_supply=pd.Series(reaches, index=demand_ids.copy(), name="reaches_supply"),
        site_ratio=pd.Series(ratio, index=supply_ids.copy(), name="site_ratio", dtype=float),
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


def _two_steps(client, parts, how, wanted, pop_code, cap_code, n_origins, n_sites):
    """``D_j`` per site code and (``A_i``, capacity weight reached) per origin code."""
    if not parts:
        return np.zeros(n_sites), np.zeros((2, n_origins))
    weights = [
        client.submit(dask_tasks.pair_weights, p, how, cap_code, wanted, pure=False) for p in parts
    ]
    shared = list(weights)
    try:
        if how.method == "3sfca":
            totals = tree_reduce(
                client,
                [
                    client.submit(dask_tasks.selection_totals, w, n_origins, pure=False)
                    for w in weights
                ],
            )
            weights = [client.submit(dask_tasks.selected, w, totals, pure=False) for w in weights]
            shared += [totals, *weights]
        population = client.scatter(pop_code, broadcast=True, hash=False)
        shared.append(population)
        step1 = [
            client.submit(dask_tasks.site_sums, w, population, n_sites, pure=False) for w in weights
        ]
        site_population = tree_reduce(client, step1).result()
        ratio = np.divide(
            cap_code, site_population, out=np.zeros(n_sites), where=site_population > 0
        )
        has_capacity = (cap_code > 0).astype(float)
        ratio_f = client.scatter(ratio, broadcast=True, hash=False)
        has_f = client.scatter(has_capacity, broadcast=True, hash=False)
        shared += [ratio_f, has_f]
        squared = how.method == "m2sfca"
        step2 = [
            client.submit(dask_tasks.origin_sums, w, ratio_f, has_f, squared, n_origins, pure=False)
            for w in weights
        ]
        per_origin = tree_reduce(client, step2).result()
    finally:
        for future in shared + weights:
            future.release()
    return site_population, per_origin


def dask_nearest_minutes(
    od: CodedOD | ScatteredOD,
    *,
    client,
    origin_ids=None,
    site_ids=None,
    n_parts: int | None = None,
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
    n_parts : int, optional
        See :func:`scatter_od` (for a CodedOD only).

    Returns
    -------
    pandas.Series
        Float minutes named ``nearest_minutes``; NaN where no site is in the table.
    """
    with _scattered(od, client, n_parts) as scattered:
        ids = scattered.origin_ids
        wanted = _wanted_sites(scattered.site_ids, site_ids)
        nearest = np.full(len(ids), np.inf)
        if scattered.futures:
            partial = [
                client.submit(dask_tasks.nearest, part, wanted, len(ids), pure=False)
                for part in scattered.futures
            ]
            nearest = tree_reduce(client, partial, op="min").result()
    labels = ids if origin_ids is None else pd.Index(origin_ids)
    out = _labelled(nearest, ids, labels, np.inf)
    return pd.Series(np.where(np.isinf(out), np.nan, out), index=labels, name="nearest_minutes")
