"""The tasks the Dask engine runs on workers: numpy and scipy only, light to import.

Workers receive these functions by name (``accessplan.spatial.dask_tasks``)
and import nothing else of accessplan but what their arguments need (the
decay classes of :mod:`accessplan.spatial.decay`), so a fresh worker starts
in about a second. Their callers, :mod:`accessplan.spatial.dask_engine` and
:mod:`accessplan.spatial.dask_access`, document the formulas.

* :func:`chunk_pairs`: bounded Dijkstra from a chunk of distinct site nodes
  over the reversed graph, expanded to (origin, site) pairs within the bound
  exactly as :mod:`accessplan.spatial.network_times` does;
* :func:`pair_weights` ... :func:`origin_sums`: the floating-catchment pair
  weights and partial sums of one part of the OD pairs;
* :func:`nearest`, :func:`count_pairs`, :func:`combine`: minima, pair counts
  and the elementwise sums / minima of the reduction tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from accessplan.spatial.decay import Decay

__all__ = [
    "ODPart",
    "PairWeights",
    "SnappedPoints",
    "Weighting",
    "chunk_pairs",
    "combine",
    "count_pairs",
    "nearest",
    "origin_sums",
    "pair_weights",
    "selected",
    "selection_totals",
    "site_sums",
]


@dataclass(frozen=True, eq=False)
class ODPart:
    """Some OD pairs, as a worker holds them: origin and site codes, minutes."""

    origin_codes: np.ndarray  # int32
    site_codes: np.ndarray  # int32 (engine) or the CodedOD's own (uint16 up to 65,535 sites)
    minutes: np.ndarray  # float32 or float64

    @property
    def n_pairs(self) -> int:
        return len(self.minutes)


@dataclass(frozen=True, eq=False)
class SnappedPoints:
    """What every travel-time task needs besides the graph (scattered once)."""

    site_nodes: np.ndarray  # distinct site nodes, ascending
    site_groups: tuple  # sites on each of them (order, starts, counts)
    origin_nodes: np.ndarray  # distinct origin nodes, ascending
    origin_groups: tuple
    site_access: np.ndarray  # access minutes per site / origin
    origin_access: np.ndarray
    limit_seconds: float
    max_minutes: float
    reachable: bool


def _pair_with_members(groups, order, starts, counts):
    """Each entry (of group ``groups[k]``) paired with every member of its group: (k, member)."""
    reps = counts[groups]
    entry = np.repeat(np.arange(len(groups)), reps)
    first = np.cumsum(reps) - reps
    offset = np.arange(int(reps.sum())) - np.repeat(first, reps)
    return entry, order[np.repeat(starts[groups], reps) + offset]


def chunk_pairs(reverse: sp.csr_matrix, snapped: SnappedPoints, start: int, stop: int) -> ODPart:
    """Task: the pairs within the bound from site nodes ``start:stop``.

    Sorted by origin then site position (int32 positions, float64 minutes).
    """
    seconds = dijkstra(
        reverse, directed=True, indices=snapped.site_nodes[start:stop], limit=snapped.limit_seconds
    )
    sub = seconds[:, snapped.origin_nodes]
    del seconds
    row, col = np.nonzero(sub <= snapped.limit_seconds)
    net_minutes = sub[row, col] / 60.0
    del sub
    k, site = _pair_with_members(row + start, *snapped.site_groups)
    col, net_minutes = col[k], net_minutes[k]
    k, origin = _pair_with_members(col, *snapped.origin_groups)
    site, net_minutes = site[k], net_minutes[k]
    total = net_minutes + snapped.site_access[site] + snapped.origin_access[origin]
    keep = np.flatnonzero(total <= snapped.max_minutes)
    keep = keep[np.lexsort((site[keep], origin[keep]))]
    return ODPart(origin[keep].astype(np.int32), site[keep].astype(np.int32), total[keep])


def combine(op: str, *arrays: np.ndarray) -> np.ndarray:
    """Task: elementwise sum (or minimum) of arrays, in the given order."""
    out = np.array(arrays[0], copy=True)
    ufunc = np.add if op == "sum" else np.minimum
    for array in arrays[1:]:
        ufunc(out, array, out=out)
    return out


def count_pairs(part: ODPart, n_origins: int, n_sites: int) -> np.ndarray:
    """Task: pairs per origin code, then per site code (one int64 vector)."""
    return np.concatenate(
        (
            np.bincount(part.origin_codes, minlength=n_origins),
            np.bincount(part.site_codes, minlength=n_sites),
        )
    )


@dataclass(frozen=True, eq=False)
class Weighting:
    method: str
    catchment_minutes: float
    decay: Decay
    selection_decay: Decay


@dataclass(frozen=True, eq=False)
class PairWeights:
    origins: np.ndarray  # origin code of each pair within the catchment
    sites: np.ndarray  # its site code
    weights: np.ndarray  # W_ij
    select: np.ndarray | None  # 3SFCA: T_ij, 0 for sites without capacity


def pair_weights(
    part: ODPart, how: Weighting, capacity: np.ndarray, wanted: np.ndarray | None
) -> PairWeights:
    """Task: the pair weights of a part, as fca computes them.

    Only pairs within the catchment count, and only those of the ``wanted``
    site codes (a boolean per site code; None: every site).
    """
    origins, sites, minutes = part.origin_codes, part.site_codes, part.minutes
    keep = None
    if len(minutes) and minutes.max() > how.catchment_minutes:
        keep = minutes <= how.catchment_minutes
    if wanted is not None:
        keep = wanted[sites] if keep is None else keep & wanted[sites]
    if keep is not None:
        origins, sites, minutes = origins[keep], sites[keep], minutes[keep]
    weights = np.asarray(how.decay(minutes), dtype=float)
    select = None
    if how.method == "3sfca":
        if how.selection_decay is how.decay or how.selection_decay == how.decay:
            select = weights.copy()
        else:
            select = np.array(how.selection_decay(minutes), dtype=float, copy=True)
        if not (capacity > 0).all():
            select[capacity[sites] <= 0] = 0.0
    return PairWeights(origins, sites, weights, select)


def selection_totals(w: PairWeights, n_origins: int) -> np.ndarray:
    """Task, 3SFCA: this part's share of ``sum_k T_ik`` per origin."""
    return np.bincount(w.origins, weights=w.select, minlength=n_origins)


def selected(w: PairWeights, totals: np.ndarray) -> PairWeights:
    """Task, 3SFCA: ``W_ij G_ij = W_ij T_ij / sum_k T_ik``."""
    per_origin = totals[w.origins]
    select = np.divide(w.select, per_origin, out=w.select.copy(), where=per_origin > 0)
    return PairWeights(w.origins, w.sites, w.weights * select, None)


def site_sums(w: PairWeights, population: np.ndarray, n_sites: int) -> np.ndarray:
    """Task, step 1: this part's share of ``D_j = sum_i P_i W_ij``."""
    return np.bincount(w.sites, weights=w.weights * population[w.origins], minlength=n_sites)


def origin_sums(
    w: PairWeights, ratio: np.ndarray, has_capacity: np.ndarray, squared: bool, n_origins: int
) -> np.ndarray:
    """Task, step 2: this part's share of ``A_i`` and of the capacity weight reached, stacked."""
    weights = w.weights * w.weights if squared else w.weights
    out = np.empty((2, n_origins))
    out[0] = np.bincount(w.origins, weights=weights * ratio[w.sites], minlength=n_origins)
    out[1] = np.bincount(w.origins, weights=w.weights * has_capacity[w.sites], minlength=n_origins)
    return out


def nearest(part: ODPart, wanted: np.ndarray | None, n_origins: int) -> np.ndarray:
    """Task: minutes to the nearest (wanted) site of every origin in this part (inf: none)."""
    origins, minutes = part.origin_codes, part.minutes
    if wanted is not None:
        keep = wanted[part.site_codes]
        origins, minutes = origins[keep], minutes[keep]
    out = np.full(n_origins, np.inf)
    np.minimum.at(out, origins, minutes.astype(np.float64))
    return out
