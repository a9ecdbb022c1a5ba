"""Per-site and per-origin sums over a coded OD table, compiled and on every core.

Every floating-catchment measure is built from two sums over the OD pairs
``(i, j)`` with a pair weight :math:`w_{ij}` (1, or a distance decay
:math:`f(d_{ij})`):

.. math::

    \\text{site sums:}\\quad s_{jc} = \\sum_i a_{ic}\\, w_{ij}, \\qquad
    \\text{origin sums:}\\quad o_{ic} = \\sum_j w_{ij}\\, b_{jc},

for a few columns :math:`c` at once (e.g. the pair count and the split
demand of BFCA in one read of the table). Over a
:class:`~accessplan.spatial.od_codes.CodedOD` (pairs grouped by origin, uint16
site codes for up to 65,535 sites) both are one read of the site codes (and
of the weights, when given) per two columns, the partial sums held in
registers: the origin sums are independent per origin (parallel over
origins, each origin's pairs added in table order -- the order of a CSR
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
def _site_pair_sums(indptr, codes, origin_values, pair_weights, weighted, n_sites, bounds):
    """Site sums of two columns (``origin_values`` is ``(n_origins, 2)``)."""
    n_blocks = len(bounds) - 1
    partial = np.zeros((n_blocks, n_sites, 2))
    for b in numba.prange(n_blocks):
        acc = partial[b]
        for i in range(bounds[b], bounds[b + 1]):
            x0 = origin_values[i, 0]
            x1 = origin_values[i, 1]
            if weighted:
                for k in range(indptr[i], indptr[i + 1]):
                    j = codes[k]
                    w = pair_weights[k]
                    acc[j, 0] += x0 * w
                    acc[j, 1] += x1 * w
            else:
                for k in range(indptr[i], indptr[i + 1]):
                    j = codes[k]
                    acc[j, 0] += x0
                    acc[j, 1] += x1
    out = np.zeros((n_sites, 2))
    for j in range(n_sites):  # blocks added in block order; scalar loops, no parallel region
        for b in range(n_blocks):
            out[j, 0] += partial[b, j, 0]
            out[j, 1] += partial[b, j, 1]
    return out


@numba.njit(parallel=True, cache=True, nogil=True)
def _origin_pair_sums(indptr, codes, site_values, pair_weights, weighted):
    """Origin sums of two columns (``site_values`` is ``(n_sites, 2)``)."""
    n = len(indptr) - 1
    out = np.zeros((n, 2))
    for i in numba.prange(n):
        s0 = 0.0
        s1 = 0.0
        if weighted:
            for k in range(indptr[i], indptr[i + 1]):
                j = codes[k]
                w = pair_weights[k]
                s0 += w * site_values[j, 0]
                s1 += w * site_values[j, 1]
        else:
            for k in range(indptr[i], indptr[i + 1]):
                j = codes[k]
                s0 += site_values[j, 0]
                s1 += site_values[j, 1]
        out[i, 0] = s0
        out[i, 1] = s1
    return out


def _by_pairs_of_columns(kernel, values: np.ndarray, n_out: int) -> np.ndarray:
    """Run a two-column kernel over ``values``' columns two at a time.

    The partial sums stay in registers only for a fixed number of columns,
    and two columns cost about what one does (the pass is bound by reading
    the site codes), so an odd last column is paired with itself.
    """
    m = values.shape[1]
    out = np.empty((n_out, m))
    for c in range(0, m, 2):
        pair = [c, c + 1] if c + 1 < m else [c, c]
        sums = kernel(np.ascontiguousarray(values[:, pair]))
        out[:, c] = sums[:, 0]
        if c + 1 < m:
            out[:, c + 1] = sums[:, 1]
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
    bounds = _block_bounds(od.indptr)
    out = _by_pairs_of_columns(
        lambda two: _site_pair_sums(
            od.indptr, od.site_codes, two, weights, weighted, od.n_sites, bounds
        ),
        values,
        od.n_sites,
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
    out = _by_pairs_of_columns(
        lambda two: _origin_pair_sums(od.indptr, od.site_codes, two, weights, weighted),
        values,
        od.n_origins,
    )
    return out[:, 0] if single else out
