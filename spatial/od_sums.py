"""Per-site and per-origin sums over a coded OD table, compiled and on every core.

Every floating-catchment measure is built from two sums over the OD pairs
``(i, j)`` with a pair weight :math:`w_{ij}` (1, or a distance decay
:math:`f(d_{ij})`):

.. math::

    \\text{site sums:}\\quad s_{jc} = \\sum_i a_{ic}\\, w_{ij}, \\qquad
    \\text{origin sums:}\\quad o_{ic} = \\sum_j w_{ij}\\, b_{jc},

for a few columns :math:`c` at once (e.g. the pair count and the split
demand of BFCA in one read of the table). Over a
:class:`~accessplan.spatial.od_codes.CodedOD` (pairs grouped by origin, int32
site codes) both are one read of the site codes (and of the weights, when
given): the origin sums are independent per origin (parallel over origins,
each origin's pairs added in table order -- the order of a CSR
matrix-vector product); the site sums scatter into a private accumulator per
block of pairs, blocks added in block order. The blocks are a fixed number
(:data:`BLOCKS`) cut at equal pair counts, so results do not depend on how
many cores run them.

The loops are compiled with numba (``cache=True``: compiled once per
machine, kept in ``__pycache__``). Unless ``NUMBA_THREADING_LAYER`` says
otherwise, they run on numba's ``workqueue`` threads: GNU OpenMP (numba's
``omp`` layer) aborts a process forked after it started, and accessplan forks
workers (travel times, sweeps) after computing access.
"""

from __future__ import annotations

import numba
import numpy as np

from accessplan.spatial.od_codes import CodedOD

__all__ = ["BLOCKS", "origin_sums", "site_sums"]

if numba.config.THREADING_LAYER == "default":  # the user's own choice wins
    numba.config.THREADING_LAYER = "workqueue"

BLOCKS = 16
"""Blocks of pairs the site sums are split into (fixed: results do not depend on cores)."""


@numba.njit(parallel=True, cache=True, nogil=True)
def _site_sums(indptr, codes, origin_values, pair_weights, weighted, n_sites, bounds):
    n_blocks = len(bounds) - 1
    m = origin_values.shape[1]
    partial = np.zeros((n_blocks, n_sites, m))
    for b in numba.prange(n_blocks):
        acc = partial[b]
        for i in range(bounds[b], bounds[b + 1]):
            for k in range(indptr[i], indptr[i + 1]):
                j = codes[k]
                if weighted:
                    w = pair_weights[k]
                    for c in range(m):
                        acc[j, c] += origin_values[i, c] * w
                else:
                    for c in range(m):
                        acc[j, c] += origin_values[i, c]
    out = np.zeros((n_sites, m))
    for b in range(n_blocks):
        out += partial[b]
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _origin_sums(indptr, codes, site_values, pair_weights, weighted):
    n = len(indptr) - 1
    m = site_values.shape[1]
    out = np.zeros((n, m))
    for i in numba.prange(n):
        for k in range(indptr[i], indptr[i + 1]):
            j = codes[k]
            if weighted:
                w = pair_weights[k]
                for c in range(m):
                    out[i, c] += w * site_values[j, c]
            else:
                for c in range(m):
                    out[i, c] += site_values[j, c]
    return out


def _columns(values, n: int, what: str) -> tuple[np.ndarray, bool]:
    array = np.asarray(values, dtype=np.float64)
    single = array.ndim == 1
    if single:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] != n:
        raise ValueError(f"{what} must have one row per {what.split('_')[0]} ({n})")
    return np.ascontiguousarray(array), single


def _weights(od: CodedOD, pair_weights) -> tuple[np.ndarray, bool]:
    if pair_weights is None:
        return np.zeros(1), False
    weights = np.asarray(pair_weights, dtype=np.float64)
    if weights.shape != (od.n_pairs,):
        raise ValueError(f"pair_weights must have one value per OD pair ({od.n_pairs})")
    return weights, True


def _block_bounds(indptr: np.ndarray) -> np.ndarray:
    """Origin positions cutting the pairs into :data:`BLOCKS` runs of about equal size."""
    targets = np.linspace(0, indptr[-1], BLOCKS + 1)
    bounds = np.searchsorted(indptr, targets, side="left").astype(np.int64)
    bounds[0], bounds[-1] = 0, len(indptr) - 1
    return np.maximum.accumulate(np.minimum(bounds, len(indptr) - 1))


def site_sums(od: CodedOD, origin_values, *, pair_weights=None) -> np.ndarray:
    """``s[j, c] = sum_i origin_values[i, c] * w_ij`` over the pairs of ``od``.

    Parameters
    ----------
    od : CodedOD
        The pairs.
    origin_values : array-like
        One value per origin (1-D) or one row of columns per origin (2-D).
    pair_weights : array-like, optional
        ``w_ij`` per pair, in table order; 1 when not given.

    Returns
    -------
    numpy.ndarray
        float64, ``(n_sites,)`` or ``(n_sites, m)`` like ``origin_values``.
    """
    values, single = _columns(origin_values, od.n_origins, "origin_values")
    weights, weighted = _weights(od, pair_weights)
    out = _site_sums(
        od.indptr,
        od.site_codes,
        values,
        weights,
        weighted,
        od.n_sites,
        _block_bounds(od.indptr),
    )
    return out[:, 0] if single else out


def origin_sums(od: CodedOD, site_values, *, pair_weights=None) -> np.ndarray:
    """``o[i, c] = sum_j w_ij * site_values[j, c]`` over the pairs of ``od``.

    Each origin's pairs are added in table order (the order of a CSR
    matrix-vector product over the same table).

    Parameters
    ----------
    od : CodedOD
        The pairs.
    site_values : array-like
        One value per site (1-D) or one row of columns per site (2-D).
    pair_weights : array-like, optional
        ``w_ij`` per pair, in table order; 1 when not given.

    Returns
    -------
    numpy.ndarray
        float64, ``(n_origins,)`` or ``(n_origins, m)`` like ``site_values``.
    """
    values, single = _columns(site_values, od.n_sites, "site_values")
    weights, weighted = _weights(od, pair_weights)
    out = _origin_sums(od.indptr, od.site_codes, values, weights, weighted)
    return out[:, 0] if single else out
