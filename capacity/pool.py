"""Split a pool of new units (ventilators, beds) across facilities by queueing.

Each facility ``i`` is an M/M/N queue (see :mod:`accessplan.capacity.erlang`)
with arrival rate ``lambda_i``, mean service time ``s_i`` (offered load
``A_i = lambda_i s_i``) and ``current_i`` units. :func:`split_pool` adds
exactly ``units`` more, each facility receiving between ``min_added_i`` and
``max_added_i``, one unit at a time:

``"min-sum"``
    each next unit goes to the facility where it lowers the arrival-weighted
    wait ``lambda_i W_i`` the most. This minimises the total arrival-weighted
    wait ``sum_i lambda_i W_i(N_i)`` (= ``sum_i L_q,i`` by Little's law, i.e.
    the mean wait over all patients times their total arrival rate). The
    greedy is optimal because each ``W_i`` is decreasing and convex in ``N``
    on the stable range ``N > A_i`` (Dyer & Proll, 1977, "On the convexity of
    the Erlang delay function"; the tests check it numerically too): for a sum
    of separable convex functions under one budget and per-facility bounds,
    the marginal-allocation greedy is optimal (Gross, 1956; Fox, 1966).
``"min-max"``
    each next unit goes to the facility with the longest mean wait, which
    evens the waits out. This minimises the largest wait ``max_i W_i(N_i)``:
    while the largest wait is above the best achievable maximum ``M*``, the
    greedy only serves facilities whose wait exceeds ``M*``, so it never
    spends more on a facility than the ``M*`` solution must, and it reaches
    ``M*`` within the budget; as every wait decreases in ``N``, later units
    cannot raise the maximum.

Unstable facilities first
-------------------------
A facility with ``N_i <= A_i`` (and ``A_i > 0``) has an infinite wait, so
before either greedy starts, units go to unstable facilities until they are
stable (``N_i = floor(A_i) + 1``). Tie rule: the facilities needing the
fewest units to become stable go first (this stabilises as many as the
units allow), then the one with the higher arrival rate, then the one listed
first. If the units run out part way, the last facility served keeps them
and stays unstable. A facility that cannot become stable within its
``max_added`` gets only its ``min_added`` (units there would not lower any
finite wait), unless the other facilities have no room left for the rest.

Within both greedies, ties (equal gains or equal waits) go to the facility
listed first. Both objectives are proved against brute force on small
instances in ``tests/capacity/test_pool.py``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.capacity.erlang import (
    _ANCHOR,
    MAX_OFFERED_LOAD,
    STABILITY_RTOL,
    _broadcast,
    _check_real,
    _check_whole,
    _erlang_b_flat,
    _erlang_b_step,
    _erlang_c_from_b,
    _first_stable,
    _mean_wait_from_c,
    _Problems,
    _where,
)

__all__ = ["OBJECTIVES", "PoolSplit", "split_pool"]

#: the objectives :func:`split_pool` knows
OBJECTIVES = ("min-sum", "min-max")


@dataclass(frozen=True)
class PoolSplit:
    """The result of :func:`split_pool`.

    Attributes
    ----------
    objective : str
        ``"min-sum"`` or ``"min-max"``.
    facilities : pandas.DataFrame
        One row per facility (index: the facility ids), columns
        ``arrival_rate``, ``mean_service_time``, ``offered_load``,
        ``current``, ``added``, ``final``, ``wait_before`` (mean wait with
        ``current`` units), ``wait_after`` (with ``final`` units), both in the
        unit of ``mean_service_time``, ``inf`` where unstable.
    units : int
        Units added in all (``facilities["added"].sum()``).
    total_current, total_final : int
        Units before and after.
    max_wait_before, max_wait_after : float
        Largest mean wait over the facilities.
    mean_wait_before, mean_wait_after : float
        Arrival-weighted mean wait, ``sum lambda_i W_i / sum lambda_i`` (the
        mean wait over all patients); 0 when nothing arrives anywhere.
    unstable_before, unstable_after : int
        Facilities with an infinite wait.
    """

    objective: str
    facilities: pd.DataFrame
    units: int
    total_current: int
    total_final: int
    max_wait_before: float
    max_wait_after: float
    mean_wait_before: float
    mean_wait_after: float
    unstable_before: int
    unstable_after: int


def _weighted_mean(rate: np.ndarray, wait: np.ndarray) -> float:
    total = rate.sum()
    if total == 0:
        return 0.0
    served = rate > 0  # a facility nobody reaches adds nothing, whatever its wait
    return float((rate[served] * wait[served]).sum() / total)


def _scalar_wait(n: int, load: float, b: float, service: float) -> float:
    """Mean wait of one queue; the same floating-point steps as the vectorised functions."""
    if load == 0:
        return 0.0
    if not (n - load) > STABILITY_RTOL * n:  # unstable, with erlang's tolerance
        return math.inf
    c = min(n * b / ((n - load) + load * b), 1.0)
    return c * service / (n - load)


class _Facility:
    """One facility's queue, stepped one unit at a time with the Erlang B recursion."""

    __slots__ = ("b", "load", "n", "rate", "service")

    def __init__(self, rate: float, service: float, load: float, n: int, b: float) -> None:
        self.rate, self.service, self.load, self.n, self.b = rate, service, load, n, b

    def wait(self) -> float:
        return _scalar_wait(self.n, self.load, self.b, self.service)

    def next_b(self) -> float:
        """``B(n + 1)`` exactly as :func:`accessplan.capacity.erlang.erlang_b` computes it."""
        if (self.n + 1) % _ANCHOR:
            ab = self.load * self.b
            return ab / ((self.n + 1) + ab)
        step = _erlang_b_step(np.array([self.n + 1]), np.array([self.load]), np.array([self.b]))
        return float(step[0])

    def add(self) -> None:
        self.b = self.next_b()
        self.n += 1

    def gain(self) -> float:
        """Drop in ``lambda W`` from one more unit (``L_q`` by Little's law)."""
        if self.load == 0:
            return 0.0
        after = _scalar_wait(self.n + 1, self.load, self.next_b(), self.service)
        return self.rate * (self.wait() - after)


def _check(units, arrival_rate, mean_service_time, current, min_added, max_added, objective):
    problems = _Problems("pool split")
    if objective not in OBJECTIVES:
        problems.add(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    k = _check_whole("units", units, problems)
    if k is not None and k.ndim != 0:
        problems.add("units must be one whole number")
        k = None
    rate = _check_real("arrival_rate", arrival_rate, problems)
    service = _check_real("mean_service_time", mean_service_time, problems, positive=True)
    cur = _check_whole("current", current, problems)
    low = _check_whole("min_added", min_added, problems)
    if max_added is None:  # no facility can take more than the whole pool
        high = np.array(0 if k is None else int(k), dtype=np.int64)
    else:
        high = _check_whole("max_added", max_added, problems)
    problems.raise_if_any()
    arrays = _broadcast(
        problems,
        arrival_rate=rate,
        mean_service_time=service,
        current=cur,
        min_added=low,
        max_added=high,
    )
    problems.raise_if_any()
    rate, service, cur, low, high = (np.array(x).ravel() for x in arrays)
    huge = rate * service > MAX_OFFERED_LOAD
    if huge.any():
        problems.add(
            f"{_where('arrival_rate', huge, rate)}: arrival_rate x mean_service_time must be "
            f"<= {MAX_OFFERED_LOAD:g} Erlangs, the largest load this module computes"
        )
    above = high < low
    if above.any():
        problems.add(f"{_where('max_added', above, high)}: below min_added")
    k = int(k)
    if k < low.sum():
        problems.add(f"units = {k} is fewer than the sum of min_added ({int(low.sum())})")
    if k > high.sum():
        problems.add(f"units = {k} is more than the sum of max_added ({int(high.sum())})")
    problems.raise_if_any()
    return k, rate, service, cur, low, high


def _ids(ids, arrival_rate, size: int) -> pd.Index:
    if ids is not None:
        index = pd.Index(ids)
    elif isinstance(arrival_rate, pd.Series):
        index = arrival_rate.index
    else:
        index = pd.RangeIndex(size)
    if len(index) != size:
        problems = _Problems("pool split")
        problems.add(f"ids has {len(index)} labels for {size} facilities")
        problems.raise_if_any()
    return index


def split_pool(
    units,
    *,
    arrival_rate,
    mean_service_time,
    current,
    min_added=0,
    max_added=None,
    objective: str = "min-sum",
    ids=None,
) -> PoolSplit:
    """Add ``units`` units across facilities to minimise the total or the largest wait.

    Parameters
    ----------
    units : int
        Units to add in all (exactly this many are placed), ``>= 0``.
    arrival_rate : array_like or pandas.Series
        Arrivals per unit time at each facility (``lambda_i >= 0``), in the
        inverse unit of ``mean_service_time``. A Series gives the facility ids.
    mean_service_time : float or array_like
        Mean service (holding) time per facility, ``> 0``; waits come out in
        its unit.
    current : int or array_like of int
        Units each facility has now, whole numbers ``>= 0``.
    min_added, max_added : int or array_like of int, optional
        Bounds on the units *added* at each facility (default 0 and no upper
        bound). For a cap on the final count, pass ``cap - current``.
    objective : {"min-sum", "min-max"}
        ``"min-sum"``: least total arrival-weighted mean wait; ``"min-max"``:
        least largest mean wait (see the module docstring for the proofs and
        the tie rules).
    ids : array_like, optional
        Facility labels for the result (default: the Series index of
        ``arrival_rate``, else 0, 1, ...).

    Returns
    -------
    PoolSplit
        Per-facility table and totals.

    Raises
    ------
    QueueInputError
        Bad rates, times or counts, an unknown objective, or ``units``
        outside ``[sum(min_added), sum(max_added)]``.

    Examples
    --------
    >>> split = split_pool(3, arrival_rate=[1.0, 2.0], mean_service_time=1.0,
    ...                    current=[2, 2])
    >>> split.facilities["final"].tolist()
    [3, 4]
    """
    k, rate, service, cur, low, high = _check(
        units, arrival_rate, mean_service_time, current, min_added, max_added, objective
    )
    size = rate.size
    index = _ids(ids, arrival_rate, size)
    load = rate * service

    start = cur + low
    b_start = _erlang_b_flat(start, load)
    sites = [
        _Facility(
            float(rate[i]), float(service[i]), float(load[i]), int(start[i]), float(b_start[i])
        )
        for i in range(size)
    ]
    room = (high - low).astype(np.int64)
    left = k - int(low.sum())

    # 1. unstable facilities first, fewest units short first
    stable_at = _first_stable(load)
    short = np.maximum(stable_at - start, 0)
    can_stabilise = short <= room
    hopeless = ~can_stabilise
    for i in sorted(
        np.flatnonzero((short > 0) & can_stabilise), key=lambda i: (short[i], -rate[i], i)
    ):
        give = int(min(short[i], left))
        for _ in range(give):
            sites[i].add()
        room[i] -= give
        left -= give
        if left == 0:
            break

    # 2. the greedy over facilities that are (or can be) stable
    if left > 0:
        if objective == "min-sum":
            heap = [(-sites[i].gain(), i) for i in range(size) if room[i] > 0 and not hopeless[i]]
        else:
            heap = [(-sites[i].wait(), i) for i in range(size) if room[i] > 0 and not hopeless[i]]
        heapq.heapify(heap)
        while left > 0 and heap:
            _, i = heapq.heappop(heap)
            sites[i].add()
            room[i] -= 1
            left -= 1
            if room[i] > 0:
                key = sites[i].gain() if objective == "min-sum" else sites[i].wait()
                heapq.heappush(heap, (-key, i))

    # 3. only if nothing else has room: facilities that cannot become stable
    for i in np.flatnonzero(hopeless):
        if left == 0:
            break
        give = int(min(room[i], left))
        for _ in range(give):
            sites[i].add()
        room[i] -= give
        left -= give

    final = np.array([site.n for site in sites], dtype=np.int64)
    b_cur = _erlang_b_flat(cur, load)
    wait_before = _mean_wait_from_c(cur, load, _erlang_c_from_b(cur, load, b_cur), service)
    b_final = np.array([site.b for site in sites])
    wait_after = _mean_wait_from_c(final, load, _erlang_c_from_b(final, load, b_final), service)

    table = pd.DataFrame(
        {
            "arrival_rate": rate,
            "mean_service_time": service,
            "offered_load": load,
            "current": cur,
            "added": final - cur,
            "final": final,
            "wait_before": wait_before,
            "wait_after": wait_after,
        },
        index=index,
    )
    return PoolSplit(
        objective=objective,
        facilities=table,
        units=int((final - cur).sum()),
        total_current=int(cur.sum()),
        total_final=int(final.sum()),
        max_wait_before=float(wait_before.max()) if size else 0.0,
        max_wait_after=float(wait_after.max()) if size else 0.0,
        mean_wait_before=_weighted_mean(rate, wait_before),
        mean_wait_after=_weighted_mean(rate, wait_after),
        unstable_before=int(np.isinf(wait_before).sum()),
        unstable_after=int(np.isinf(wait_after).sum()),
    )
