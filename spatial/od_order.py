"""Ordering OD pairs by origin, then site, in linear time (two counting-sort passes).

A least-significant-digit radix sort on two keys: a stable counting sort of
the pairs by site code, then a stable counting sort of that order by origin
code, gives the pairs ordered by origin and, within an origin, by site --
what :class:`~accessplan.spatial.od_codes.CodedOD` holds -- in
``O(P + n_origins + n_sites)`` time, where a comparison sort
(:func:`numpy.lexsort`) takes ``O(P log P)`` (0.28 s against a few
milliseconds for 2 million pairs).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["pair_order"]


@numba.njit(cache=True, nogil=True)
def _stable_counting_order(keys, n_keys, order):
    starts = np.zeros(n_keys + 1, dtype=np.int64)
    for k in order:
        starts[keys[k] + 1] += 1
    for key in range(n_keys):
        starts[key + 1] += starts[key]
    out = np.empty_like(order)
    for k in order:
        key = keys[k]
        out[starts[key]] = k
        starts[key] += 1
    return out


def pair_order(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Positions that order the pairs by ``rows``, then ``cols`` (stable).

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Integer codes in ``0 .. n_rows - 1`` and ``0 .. n_cols - 1``.
    n_rows, n_cols : int
        Number of codes of each kind.

    Returns
    -------
    numpy.ndarray
        int64 positions, the same as ``numpy.lexsort((cols, rows))``.
    """
    identity = np.arange(len(rows), dtype=np.int64)
    by_col = _stable_counting_order(np.asarray(cols, dtype=np.int64), int(n_cols), identity)
    return _stable_counting_order(np.asarray(rows, dtype=np.int64), int(n_rows), by_col)
