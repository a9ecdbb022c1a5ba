"""Erlang B at large N without the recursion over 0 .. N (used by :mod:`.erlang`).

The recursion ``B(n) = A B(n-1) / (n + A B(n-1))`` costs ``N`` steps: 0.04 s
for one value at ``N = 10,000`` and hours at ``N = 10**9``.
:func:`erlang_b_direct` gets the same number from sums of positive terms
whose length grows like ``sqrt(A)``, not like ``N``:

* ``N <= A``: ``1 / B = sum_(j=0..N) N! / ((N - j)! A^j)``, a finite sum whose
  terms fall (the ratio of consecutive terms is ``(N - j + 1) / A <= 1``);
* ``N > A``: ``B = P(X = N) / P(X <= N)`` for ``X ~ Poisson(A)``, where
  ``P(X = N)`` comes from Loader's saddle-point form (no ``log N!`` near
  ``N log N`` is formed, so nothing cancels) and
  ``P(X > N) = P(X = N) sum_(j>=1) prod_(i<=j) A / (N + i)`` from a falling series.

Measured against a 50-digit evaluation of the recursion at ``N`` from 64 to
30,000 and loads from 0.3 N to 3 N, the largest relative difference is about
1e-13 (tests/capacity/test_erlang.py checks 1e-12). The incomplete-gamma form
of the same quantity, kept in :mod:`.erlang` as a cross-check, loses about
``N * 1e-16`` and gives 0/0 far above ``N``; neither happens here.
"""

from __future__ import annotations

import numpy as np

__all__ = ["erlang_b_direct", "log_poisson_pmf", "ratio_series"]

#: a series stops when its remaining tail is below this fraction of its sum
_TAIL = 2.0**-60


def ratio_series(n: np.ndarray, a: np.ndarray, *, above: bool) -> np.ndarray:
    """``sum_j t_j`` with ``t_0 = 1`` and ``t_j = t_(j-1) r_j``, ratios decreasing below 1.

    ``above=False``: ``r_j = max(n - j + 1, 0) / a`` (needs ``n <= a``), whose sum
    is ``1 / B(n, a)`` exactly (a finite sum of ``n + 1`` terms).
    ``above=True``: ``r_j = a / (n + j)`` (needs ``n > a``), whose sum is
    ``1 + P(X > n) / P(X = n)`` for ``X ~ Poisson(a)``.

    Terms are taken in blocks whose length (a power of two from 32 to 16384)
    comes from the element's own first ratio and size: enough for the terms
    to fall below 2**-60 by the geometric bound ``r_1 ** j`` or the Gaussian
    one ``exp(-j**2 / (4 max(n, a)))``. Blocks are added until the tail after
    the last block is provably below 2**-60 of the sum (it is at most
    ``t r / (1 - r)``, ``r`` the next ratio). Elements with equal block
    lengths are summed together, so an element's value depends on its own
    inputs only, never on the others in the call.
    """
    nf = n.astype(float)
    first_ratio = a / (nf + 1.0) if above else np.minimum(nf / a, 1.0)
    with np.errstate(divide="ignore"):
        geometric = 42.0 / -np.log(first_ratio)
    gaussian = np.sqrt(168.0 * np.maximum(nf, a))
    wanted = np.minimum(geometric, gaussian) + 2.0
    blocks = np.clip(2.0 ** np.ceil(np.log2(np.maximum(wanted, 1.0))), 32, 16384).astype(np.int64)
    if n.size == 1:
        return _series_in_blocks(nf, a, int(blocks[0]), above=above)
    total = np.ones(n.size)
    for block in np.unique(blocks):
        group = np.flatnonzero(blocks == block)
        total[group] = _series_in_blocks(nf[group], a[group], int(block), above=above)
    return total


def _series_in_blocks(n: np.ndarray, a: np.ndarray, block: int, *, above: bool) -> np.ndarray:
    """The sum of :func:`ratio_series`, ``block`` terms at a time, for one block length."""
    total = np.ones(n.size)
    last = np.ones(n.size)
    active = np.arange(n.size)
    first = 1
    while active.size:
        j = np.arange(first, first + block + 1, dtype=float)
        if above:
            ratio = a[active, None] / (n[active, None] + j)
        else:
            ratio = np.maximum(n[active, None] - j + 1.0, 0.0) / a[active, None]
        terms = np.cumprod(ratio[:, :block], axis=1)
        terms *= last[active, None]
        total[active] += terms.sum(axis=1)
        last[active] = terms[:, -1]
        following = ratio[:, block]
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = last[active] * following / (1.0 - following)
        done = (following < 1.0) & (tail <= _TAIL * total[active])
        active = active[~done]
        first += block
    return total


def log_poisson_pmf(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``log P(X = n)`` for ``X ~ Poisson(a)``, ``n >= 64``, ``n > a > 0``, to a few ulps.

    Loader's saddle-point form (C. Loader, "Fast and accurate computation of
    binomial probabilities", 2000): ``-(stirlerr(n) + bd0(n, a)) - log(2 pi n) / 2``,
    ``stirlerr`` the error of Stirling's formula for ``log n!`` (its asymptotic
    series, exact to 1e-20 from ``n = 64`` on) and ``bd0 = n log(n/a) + a - n``
    summed as a series in ``v = (n - a) / (n + a)`` where that difference of
    large numbers would cancel. No ``log n!`` near ``n log n`` is ever formed.
    """
    n = n.astype(float)
    inv = 1.0 / n
    inv2 = inv * inv
    stirlerr = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    diff = n - a
    v = diff / (n + a)
    near = np.abs(v) < 0.5
    with np.errstate(divide="ignore"):
        direct = n * np.log(n / a) + a - n
    v = np.where(near, v, 0.0)  # the series runs where it converges fast
    s = diff * v
    term = 2.0 * n * v
    v2 = v * v
    k = 1
    while True:
        term = term * v2
        s_next = s + term / (2 * k + 1)
        if (s_next == s).all():
            break
        s, k = s_next, k + 1
    bd0 = np.where(near, s, direct)
    return -(stirlerr + bd0) - 0.5 * np.log(2.0 * np.pi * n)


def erlang_b_direct(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B at ``n >= 64`` servers without the recursion over ``0 .. n``.

    * ``n <= a``: ``1 / B = sum_(j=0..n) n! / ((n - j)! a^j)``, every ratio of
      consecutive terms ``(n - j + 1) / a <= 1``, summed until the rest is
      below 2**-60 of the sum (about ``9 sqrt(a)`` terms at most);
    * ``n > a``: ``B = p / (1 - p R)``, ``p = P(X = n)`` (Loader's form, in
      :func:`log_poisson_pmf`), ``p R = P(X > n)`` with ``R`` the decreasing
      series of :func:`ratio_series`.

    Positive terms only, no factorials and no difference of large logarithms,
    so the relative error is a few hundred ulps at worst, like the recursion's.
    """
    out = np.zeros(n.size)
    loaded = a > 0
    low = loaded & (n <= a)
    if low.any():
        out[low] = 1.0 / ratio_series(n[low], a[low], above=False)
    high = loaded & (n > a)
    if high.any():
        p = np.exp(log_poisson_pmf(n[high], a[high]))
        r = ratio_series(n[high], a[high], above=True) - 1.0
        out[high] = p / (1.0 - p * r)
    return out
