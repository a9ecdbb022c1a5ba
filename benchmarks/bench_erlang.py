"""Erlang C: accessplan.capacity.erlang side by side with pyworkforce's ErlangC.

pyworkforce (``pip install pyworkforce``) computes the probability of waiting
one (site, N) pair at a time: ``ErlangC(transactions, aht, asa, interval)``
has the intensity ``transactions / interval * aht``, so ``transactions = A``,
``aht = 1``, ``interval = 1`` gives the offered load ``A`` (``asa`` only enters
its service level; set to 1), and ``.waiting_probability(N)`` is ``C(N, A)``.
Its formula is only meant for a stable queue: for ``N <= A`` it returns values
above 1 (or below 0), which we count rather than compare (ours returns 1 there).

Part 1 -- probability of waiting on ``--sites`` sites (random loads) x
``N = 1 .. --max-servers``: our one vectorised call against pyworkforce's
Python loop over every pair (about 45 s for the default 100 x 2000 pairs, so
all of them are run; ``--pw-sites`` times pyworkforce on fewer sites and
extrapolates linearly in the number of sites, which is exact for a loop whose
cost per site does not depend on the site).

Part 2 -- the inverse: the smallest N with service level ``P(W <= asa) >=
target`` (ours :func:`servers_for_service_level`, theirs
``required_positions(service_level, max_occupancy=1)["raw_positions"]``).

Part 3 -- one call at a large N: ``C(10,000, 9,500)`` alone, ours against
pyworkforce's single ``waiting_probability`` call (best of many).

Run: ``python benchmarks/bench_erlang.py``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from pyworkforce.queuing import ErlangC

from accessplan.capacity.erlang import erlang_c, servers_for_service_level


def best_of(repeats, fn):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def pyworkforce_grid(loads, servers):
    out = np.empty((loads.size, servers.size))
    for i, load in enumerate(loads):
        queue = ErlangC(transactions=float(load), aht=1.0, asa=1.0, interval=1)
        for j, n in enumerate(servers):
            out[i, j] = queue.waiting_probability(int(n))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--max-servers", type=int, default=2000)
    parser.add_argument(
        "--pw-sites", type=int, default=None, help="time pyworkforce on fewer sites"
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    loads = rng.uniform(0.5, 0.95 * args.max_servers, args.sites)
    servers = np.arange(1, args.max_servers + 1)
    pairs = loads.size * servers.size

    # ---- part 1: the probability of waiting
    ours_s, ours = best_of(5, lambda: erlang_c(servers[None, :], loads[:, None]))
    pw_sites = args.pw_sites or args.sites
    start = time.perf_counter()
    theirs = pyworkforce_grid(loads[:pw_sites], servers)
    theirs_s = (time.perf_counter() - start) * args.sites / pw_sites
    note = "" if pw_sites == args.sites else f" (timed on {pw_sites} sites, scaled)"

    ours_cmp = ours[:pw_sites]
    stable = servers[None, :] > loads[:pw_sites, None]
    above_one = int((theirs[~stable] > 1).sum())
    below_zero = int((theirs[~stable] < 0).sum())
    both = stable & (theirs > 1e-300) & (ours_cmp > 1e-300)
    rel = np.abs(ours_cmp[both] / theirs[both] - 1)
    tiny = stable & ~both
    tiny_abs = float(np.abs(ours_cmp[tiny] - theirs[tiny]).max()) if tiny.any() else 0.0

    print(f"Erlang C on {loads.size} sites x N = 1..{args.max_servers} ({pairs:,} pairs)")
    print(f"{'':34s}{'seconds':>12s}")
    print(f"{'accessplan (one vectorised call)':34s}{ours_s:12.4f}")
    print(f"{'pyworkforce (loop over pairs)':34s}{theirs_s:12.2f}{note}")
    print(f"{'ratio':34s}{theirs_s / ours_s:12.0f}x")
    print()
    print(f"stable pairs (N > A) compared:      {int(stable.sum()):,}")
    print(f"  of which both C > 1e-300:         {int(both.sum()):,}")
    print(f"  largest relative difference:      {rel.max():.2e}")
    print(f"  pairs above 1e-12 relative:       {int((rel > 1e-12).sum())}")
    print(f"  C below 1e-300 (underflow), max |difference|: {tiny_abs:.1e}")
    print(f"unstable pairs (N <= A):            {int((~stable).sum()):,}")
    print(f"  pyworkforce C > 1:                {above_one:,}")
    print(f"  pyworkforce C < 0:                {below_zero:,}")
    print(f"  ours: all equal to 1:             {bool((ours_cmp[~stable] == 1).all())}")

    # ---- part 2: the inverse (service level 80% within 0.2 service times)
    target, asa = 0.8, 0.2
    ours_s2, ours_n = best_of(
        5,
        lambda: servers_for_service_level(loads, wait=asa, level=target, mean_service_time=1.0),
    )
    start = time.perf_counter()
    theirs_n = np.array(
        [
            ErlangC(transactions=float(a), aht=1.0, asa=asa, interval=1).required_positions(
                target, max_occupancy=1.0
            )["raw_positions"]
            for a in loads
        ]
    )
    theirs_s2 = time.perf_counter() - start
    differ = ours_n != theirs_n
    print()
    print(
        f"Smallest N with service level >= {target} within {asa} service times, {loads.size} sites"
    )
    print(f"{'accessplan servers_for_service_level':38s}{ours_s2:10.4f} s")
    print(f"{'pyworkforce required_positions (loop)':38s}{theirs_s2:10.2f} s")
    print(f"{'ratio':38s}{theirs_s2 / ours_s2:10.0f}x")
    print(f"sites where the answers differ:       {int(differ.sum())}")
    for i in np.flatnonzero(differ)[:5]:
        print(f"  A = {loads[i]:.3f}: ours {ours_n[i]}, pyworkforce {theirs_n[i]}")

    # ---- part 3: a single call at N = 10,000
    repeats = 200
    ours_one, ours_c = best_of(repeats, lambda: erlang_c(10_000, 9_500.0))
    queue = ErlangC(transactions=9_500.0, aht=1.0, asa=1.0, interval=1)
    theirs_one, theirs_c = best_of(repeats, lambda: queue.waiting_probability(10_000))
    print()
    print("One call, C(N = 10,000, A = 9,500)")
    print(f"{'accessplan erlang_c':38s}{ours_one * 1e6:10.1f} us   C = {float(ours_c):.15g}")
    print(
        f"{'pyworkforce waiting_probability':38s}{theirs_one * 1e6:10.1f} us   C = {theirs_c:.15g}"
    )


if __name__ == "__main__":
    main()
