"""Compiled loops of the capacity-limited coverage (:mod:`accessplan.spatial.capacity_coverage`).

The coverage is sequential over facilities by definition (each takes from
what the previous ones left), but each facility needs only its own OD pairs,
nearest ring first, and the residual population. So the pairs are put in a
by-site view once (:func:`site_view`: a counting pass and a scatter grouping
them by site in table order, then each site's run sorted stably by ring key
-- a bucket sort of equal-width buckets between its nearest and farthest
key, small buckets by insertion, crowded ones by radix -- sites in
parallel), and one compiled pass walks the facilities in their processing
order over that view (:func:`allocate`), reading only each facility's run
and the residual population.

The floats are those of the plain numpy formulation (per facility: a stable
sort by ring, ``np.add.reduceat`` for the rings' population, ``np.cumsum``
for the room before each ring, ``ndarray.sum`` for the population in reach
and the covered population). numpy adds float64 with *pairwise summation*
(up to 128 values on 8 running sums by stride 8, longer runs split in two
halves cut at a multiple of 8); :func:`pairwise_sum` repeats it step for
step, so the compiled sums round exactly as numpy's do (the tests compare
both, and the whole result with a plain-Python reference).

The loops are compiled with numba (``cache=True``). As in
:mod:`accessplan.spatial.od_sums`, the parallel sort runs on numba's
``workqueue`` threads unless ``NUMBA_THREADING_LAYER`` says otherwise (GNU
OpenMP aborts a process forked after it started).
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["allocate", "pairwise_sum", "population_in_catchment", "site_view"]

if numba.config.THREADING_LAYER == "default":  # the user's own choice wins
    numba.config.THREADING_LAYER = "workqueue"


@numba.njit(cache=True, nogil=True)
def _block_sum(values, start, n):
    """numpy's sum of a run of at most 128 values: sequential below 8, else 8 accumulators."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    r0 = values[start]
    r1 = values[start + 1]
    r2 = values[start + 2]
    r3 = values[start + 3]
    r4 = values[start + 4]
    r5 = values[start + 5]
    r6 = values[start + 6]
    r7 = values[start + 7]
    i = start + 8
    whole = start + n - (n % 8)
    while i < whole:
        r0 += values[i]
        r1 += values[i + 1]
        r2 += values[i + 2]
        r3 += values[i + 3]
        r4 += values[i + 4]
        r5 += values[i + 5]
        r6 += values[i + 6]
        r7 += values[i + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < start + n:
        total += values[i]
        i += 1
    return total


@numba.njit(cache=True, nogil=True)
def pairwise_sum(values, start, n):
    """numpy's pairwise sum of ``values[start:start + n]`` (float64), step for step.

    ``ndarray.sum()`` of a contiguous float64 array is ``0.0 + pairwise_sum(a, 0, len(a))``;
    ``np.add.reduceat`` gives each run ``a[s] + pairwise_sum(a, s + 1, n - 1)``. Runs
    longer than 128 are split in two halves cut at a multiple of 8, each summed so
    and the two added; the tree is walked with a small explicit stack (numba
    does not cache recursive functions).
    """
    if n <= 128:
        return _block_sum(values, start, n)
    # frames: (start, n, stage); stage 0 = left half to do, 1 = right half, 2 = add them
    frame_start = np.empty(64, dtype=np.int64)
    frame_n = np.empty(64, dtype=np.int64)
    frame_stage = np.zeros(64, dtype=np.int64)
    partial = np.empty(65)
    top = 0
    frame_start[0] = start
    frame_n[0] = n
    done = 0
    while top >= 0:
        s = frame_start[top]
        m = frame_n[top]
        if m <= 128:
            partial[done] = _block_sum(values, s, m)
            done += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        stage = frame_stage[top]
        frame_stage[top] = stage + 1
        if stage == 0:
            top += 1
            frame_start[top], frame_n[top], frame_stage[top] = s, half, 0
        elif stage == 1:
            top += 1
            frame_start[top], frame_n[top], frame_stage[top] = s + half, m - half, 0
        else:
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
            top -= 1
    return partial[0]


@numba.njit(cache=True, nogil=True)
def population_in_catchment(rows, cols, minutes, population, limit_minutes, n_sites):
    """Population of the pairs within ``limit_minutes`` of each site, added in table order.

    The same floats as ``np.bincount(cols[near], weights=population[rows[near]])``;
    also returns how many pairs are within the limit (numpy's ``bincount`` of
    no pairs at all is integer zeros).
    """
    out = np.zeros(n_sites)
    near = 0
    for k in range(len(minutes)):
        if minutes[k] <= limit_minutes:
            out[cols[k]] += population[rows[k]]
            near += 1
    return out, near


_DIGIT_BITS = 11
_DIGITS = 1 << _DIGIT_BITS


@numba.njit(cache=True, nogil=True)
def _stable_radix_order(bits, order, spare_bits, spare_order):
    """Sort ``order`` stably by ``bits`` (uint64, both permuted in place).

    Least-significant-digit radix sort, 11 bits a pass; a pass whose digit is
    the same for every value moves nothing and is skipped.
    """
    m = len(bits)
    mask = np.uint64(_DIGITS - 1)
    counts = np.empty(_DIGITS + 1, dtype=np.int64)
    src_bits, src_order, dst_bits, dst_order = bits, order, spare_bits, spare_order
    for shift in range(0, 64, _DIGIT_BITS):
        step = np.uint64(shift)
        counts[:] = 0
        for k in range(m):
            counts[np.int64((src_bits[k] >> step) & mask) + 1] += 1
        if counts.max() == m:
            continue
        for d in range(_DIGITS):
            counts[d + 1] += counts[d]
        for k in range(m):
            d = np.int64((src_bits[k] >> step) & mask)
            at = counts[d]
            dst_bits[at] = src_bits[k]
            dst_order[at] = src_order[k]
            counts[d] = at + 1
        src_bits, src_order, dst_bits, dst_order = dst_bits, dst_order, src_bits, src_order
    if src_order is not order:
        order[:] = src_order


_CHUNKS = 16
"""Runs of the table the grouping pass is split into (fixed: the view does not depend on cores)."""


@numba.njit(parallel=True, cache=True, nogil=True)
def _group_by_site(rows, cols, minutes, limit_minutes, ring_minutes, n_sites, bounds, view_rows):
    """The pairs within the limit stably grouped by site: counts, then one scatter pass.

    The table is cut into runs (``bounds``), counted and scattered in
    parallel; run ``c`` writes each site's pairs after those of runs ``< c``,
    so the view is in table order within each site whatever the number of
    threads. Fills ``view_rows``; returns the site offsets, the minutes and
    the ring keys of the view (``floor(minutes / ring_minutes)``, or the
    minutes themselves when ``ring_minutes`` is 0).
    """
    n_chunks = len(bounds) - 1
    counts = np.zeros((n_chunks, n_sites), dtype=np.int64)
    for c in numba.prange(n_chunks):
        mine = counts[c]
        for k in range(bounds[c], bounds[c + 1]):
            if minutes[k] <= limit_minutes:
                mine[cols[k]] += 1
    offsets = np.zeros(n_sites + 1, dtype=np.int64)
    at = 0
    for j in range(n_sites):
        offsets[j] = at
        for c in range(n_chunks):
            size = counts[c, j]
            counts[c, j] = at  # now where run c starts writing site j
            at += size
    offsets[n_sites] = at
    view_minutes = np.empty(at)
    view_keys = np.empty(at) if ring_minutes > 0 else view_minutes
    for c in numba.prange(n_chunks):
        fill = counts[c]
        for k in range(bounds[c], bounds[c + 1]):
            value = minutes[k]
            if value <= limit_minutes:
                j = cols[k]
                to = fill[j]
                view_rows[to] = rows[k]
                view_minutes[to] = value
                if ring_minutes > 0:
                    view_keys[to] = np.floor(value / ring_minutes)
                fill[j] = to + 1
    return offsets, view_minutes, view_keys


@numba.njit(cache=True, nogil=True)
def _radix_in_place(keys, rows, minutes, has_rings, scratch):
    """Sort a run of the view stably by key with :func:`_stable_radix_order` (via a permutation)."""
    float_bits, bits, spare_bits, order, spare_order, tmp_rows, tmp_values = scratch
    m = len(keys)
    for k in range(m):
        # keys are >= 0 (or -0.0, made +0.0 by adding 0.0): their bit
        # patterns as unsigned integers sort as the numbers do
        float_bits[k] = keys[k] + 0.0
        order[k] = k
    _stable_radix_order(bits[:m], order[:m], spare_bits[:m], spare_order[:m])
    tmp_rows[:m] = rows
    for k in range(m):
        rows[k] = tmp_rows[order[k]]
    if has_rings:
        tmp_values[:m] = minutes
        for k in range(m):
            minutes[k] = tmp_values[order[k]]
    tmp_values[:m] = keys
    for k in range(m):
        keys[k] = tmp_values[order[k]]


@numba.njit(cache=True, nogil=True)
def _sort_run(keys, rows, minutes, has_rings, buckets, outs, scratch):
    """Sort one site's run of the view stably by key, in place (rows and minutes carried along).

    A bucket sort: as many buckets as keys, of equal width between the
    smallest and the largest key (a monotone map, so the buckets come in key
    order, each filled in input order), then each bucket sorted stably: by
    insertion when small, left alone when already in order (equal keys), else
    by radix. Keys too close to split or infinite: radix for the whole run.
    ``minutes`` is ``keys`` itself unless ``has_rings``.
    """
    m = len(keys)
    low = keys.min()
    scale = m / (keys.max() - low)
    if not 0.0 < scale < np.inf:
        _radix_in_place(keys, rows, minutes, has_rings, scratch)
        return
    bucket, starts = buckets
    out_keys, out_rows, out_minutes = outs
    starts[: m + 1] = 0
    for k in range(m):
        b = min(np.int64((keys[k] - low) * scale), m - 1)
        bucket[k] = b
        starts[b + 1] += 1
    for b in range(m):
        starts[b + 1] += starts[b]
    for k in range(m):  # starts[b] ends as the end of bucket b
        b = bucket[k]
        at = starts[b]
        out_keys[at] = keys[k]
        out_rows[at] = rows[k]
        if has_rings:
            out_minutes[at] = minutes[k]
        starts[b] = at + 1
    lo = 0
    for b in range(m):
        hi = starts[b]
        if hi - lo <= 32:
            for k in range(lo + 1, hi):
                key = out_keys[k]
                if not out_keys[k - 1] > key:
                    continue
                row = out_rows[k]
                minute = out_minutes[k] if has_rings else key
                i = k - 1
                while i >= lo and out_keys[i] > key:
                    out_keys[i + 1] = out_keys[i]
                    out_rows[i + 1] = out_rows[i]
                    if has_rings:
                        out_minutes[i + 1] = out_minutes[i]
                    i -= 1
                out_keys[i + 1] = key
                out_rows[i + 1] = row
                if has_rings:
                    out_minutes[i + 1] = minute
        else:
            ordered = True
            for k in range(lo + 1, hi):
                if out_keys[k] < out_keys[k - 1]:
                    ordered = False
                    break
            if not ordered:
                _radix_in_place(
                    out_keys[lo:hi], out_rows[lo:hi], out_minutes[lo:hi], has_rings, scratch
                )
        lo = hi
    keys[:] = out_keys[:m]
    rows[:] = out_rows[:m]
    if has_rings:
        minutes[:] = out_minutes[:m]


@numba.njit(cache=True, nogil=True)
def _sort_sites_range(offsets, first, last, view_rows, view_minutes, view_keys, has_rings):
    """Sort the view runs of sites ``first:last`` by ring key, with one set of scratch arrays."""
    width = 0
    for j in range(first, last):
        width = max(width, offsets[j + 1] - offsets[j])
    buckets = (np.empty(width, dtype=np.int64), np.empty(width + 1, dtype=np.int64))
    outs = (np.empty(width), np.empty(width, dtype=view_rows.dtype), np.empty(width))
    float_bits = np.empty(width)
    scratch = (
        float_bits,
        float_bits.view(np.uint64),
        np.empty(width, dtype=np.uint64),
        np.empty(width, dtype=np.int64),
        np.empty(width, dtype=np.int64),
        np.empty(width, dtype=view_rows.dtype),
        np.empty(width),
    )
    for j in range(first, last):
        lo = offsets[j]
        hi = offsets[j + 1]
        ordered = True
        for k in range(lo + 1, hi):
            if view_keys[k] < view_keys[k - 1]:
                ordered = False
                break
        if not ordered:
            _sort_run(
                view_keys[lo:hi],
                view_rows[lo:hi],
                view_minutes[lo:hi],
                has_rings,
                buckets,
                outs,
                scratch,
            )


@numba.njit(parallel=True, cache=True, nogil=True)
def _sort_sites(offsets, view_rows, view_minutes, view_keys, has_rings, site_bounds):
    """Each site's run of the view sorted stably by ring key, in place (groups of sites in parallel)."""
    for c in numba.prange(len(site_bounds) - 1):
        _sort_sites_range(
            offsets,
            site_bounds[c],
            site_bounds[c + 1],
            view_rows,
            view_minutes,
            view_keys,
            has_rings,
        )


def site_view(rows, cols, minutes, *, limit_minutes: float, ring_minutes, n_sites: int):
    """The pairs within ``limit_minutes`` grouped by site, nearest ring first.

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Area and facility position of every pair (integers).
    minutes : numpy.ndarray
        float64 travel time of every pair, >= 0.
    limit_minutes : float
        Pairs beyond it are left out (``inf``: none).
    ring_minutes : float or None
        Ring width (> 0): the ring key is ``floor(minutes / ring_minutes)``;
        None: the minutes themselves.
    n_sites : int
        Number of facilities.

    Returns
    -------
    offsets : numpy.ndarray
        int64, ``n_sites + 1``: facility ``j``'s pairs are ``offsets[j]:offsets[j + 1]``
        of the view, ordered by ring key, then input position.
    view_rows, view_minutes, view_keys : numpy.ndarray
        Area position (int32), minutes and ring key of each pair of the view
        (``view_keys`` is ``view_minutes`` when ``ring_minutes`` is None).
    """
    width = 0.0 if ring_minutes is None else float(ring_minutes)
    limit = float(limit_minutes)
    kept = len(minutes) if limit == np.inf else int(np.count_nonzero(minutes <= limit))
    view_rows = np.empty(kept, dtype=np.int32)
    bounds = np.linspace(0, len(minutes), _CHUNKS + 1).astype(np.int64)
    offsets, view_minutes, view_keys = _group_by_site(
        rows, cols, minutes, limit, width, int(n_sites), bounds, view_rows
    )
    site_bounds = np.linspace(0, int(n_sites), _CHUNKS + 1).astype(np.int64)
    _sort_sites(offsets, view_rows, view_minutes, view_keys, width > 0, site_bounds)
    return offsets, view_rows, view_minutes, view_keys


@numba.njit(cache=True, nogil=True)
def allocate(sequence, offsets, rows, minutes, ring_keys, population, capacity):
    """The facilities in ``sequence`` take the nearest residual people, ring by ring.

    Parameters
    ----------
    sequence : numpy.ndarray
        Facility positions in processing order.
    offsets : numpy.ndarray
        The by-site view (:func:`site_view`): facility ``j``'s pairs are
        ``offsets[j]:offsets[j + 1]``, nearest ring first.
    rows, minutes, ring_keys : numpy.ndarray
        Area position, travel time and ring key of each pair of the view.
    population, capacity : numpy.ndarray
        float64 people per area and per facility.

    Returns
    -------
    residual : numpy.ndarray
        Uncovered people per area.
    in_reach, covered, radius, last_fraction : numpy.ndarray
        Per facility: residual people of its pairs when its turn came, people
        it took, travel time of the farthest pair it took from (NaN: none)
        and the share it took of its last ring (NaN: none).
    taken : numpy.ndarray
        People taken on each pair of the view.
    """
    n_sites = len(capacity)
    residual = population.copy()
    in_reach = np.zeros(n_sites)
    covered = np.zeros(n_sites)
    radius = np.full(n_sites, np.nan)
    last_fraction = np.full(n_sites, np.nan)
    taken = np.empty(len(rows))
    width = 0
    for j in range(n_sites):
        width = max(width, offsets[j + 1] - offsets[j])
    res = np.empty(width)
    for j in sequence:
        lo = offsets[j]
        n = offsets[j + 1] - lo
        if n == 0:
            continue
        for k in range(n):
            res[k] = residual[rows[lo + k]]
        in_reach[j] = 0.0 + pairwise_sum(res, 0, n)
        cap = capacity[j]
        before = 0.0  # np.cumsum of the ring populations, shifted by one ring
        took = False
        farthest = -np.inf
        last = np.nan
        start = 0
        while start < n:
            room = cap - before
            if room < 0.0 or (room == 0.0 and math.copysign(1.0, room) > 0.0):
                break  # every later ring gets the fraction +0.0 (the sums only grow)
            key = ring_keys[lo + start]
            stop = start + 1
            while stop < n and ring_keys[lo + stop] == key:
                stop += 1
            ring_pop = res[start] + pairwise_sum(res, start + 1, stop - start - 1)
            fraction = 0.0
            if ring_pop > 0:
                fraction = room / ring_pop
                if fraction < 0.0:
                    fraction = 0.0
                elif fraction > 1.0:
                    fraction = 1.0
                if fraction > 0:
                    last = fraction
            for k in range(start, stop):
                amount = res[k] * fraction
                taken[lo + k] = amount
                residual[rows[lo + k]] = res[k] - amount
                if amount > 0:
                    took = True
                    farthest = max(farthest, minutes[lo + k])
            before = ring_pop if start == 0 else before + ring_pop
            start = stop
        for k in range(start, n):  # capacity used: the fraction +0.0, as numpy computes it
            amount = res[k] * 0.0
            taken[lo + k] = amount
            residual[rows[lo + k]] = res[k] - amount
        covered[j] = 0.0 + pairwise_sum(taken, lo, n)
        if took:
            radius[j] = farthest
            last_fraction[j] = last
    return residual, in_reach, covered, radius, last_fraction, taken
