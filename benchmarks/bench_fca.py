"""Floating-catchment access: accessplan.spatial.fca side by side with PySAL access.

Random demand and supply points in a square; cost = straight-line distance / speed,
in minutes; one sparse OD table holding only the pairs within the catchment, given
to both packages (so access's 3SFCA, which normalises its selection weights over every
row of the cost table, normalises over the catchment too). Three variants, each
parameterised to access's exact definitions:

* E2SFCA:    access ``two_stage_fca(weight_fn=step_fn({20: 1, 40: 0.68, 60: 0.22}),
             max_cost=60)``  vs  ``enhanced_two_step_fca(steps=..., catchment_minutes=60)``
* Gaussian:  access ``two_stage_fca(weight_fn=gaussian(sigma), max_cost=60)``
             vs ``gaussian_two_step_fca(sigma_minutes=sigma, catchment_minutes=60)``
* 3SFCA:     access ``three_stage_fca(max_cost=60)`` (its default step weights
             {10: .962, 20: .704, 30: .377, 60: .042})  vs  ``three_step_fca(catchment_minutes=60)``
             (the same steps are our default for a 60-minute catchment).

Run: ``python benchmarks/bench_fca.py`` (needs the ``bench`` extra: ``access``).
Prints times, the ratio, the largest relative difference, and the peak memory of
our run measured in a fresh subprocess (ru_maxrss, and tracemalloc over the calls).
access takes minutes at the default size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from accessplan.spatial.fca import (
    enhanced_two_step_fca,
    gaussian_two_step_fca,
    three_step_fca,
)

STEPS = {20: 1.0, 40: 0.68, 60: 0.22}


def make_instance(n_demand, n_supply, *, side_km, speed_kph, catchment_minutes, seed):
    """Random points; the OD table of every pair within the catchment."""
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, side_km, size=(n_demand, 2))
    supply_xy = rng.uniform(0, side_km, size=(n_supply, 2))
    reach_km = speed_kph * catchment_minutes / 60
    pairs = cKDTree(demand_xy).sparse_distance_matrix(
        cKDTree(supply_xy), reach_km, output_type="ndarray"
    )
    demand_ids = np.arange(n_demand) + 100_000
    site_ids = np.arange(n_supply) + 900_000
    od = pd.DataFrame(
        {
            "origin_id": demand_ids[pairs["i"]],
            "site_id": site_ids[pairs["j"]],
            "minutes": pairs["v"] / speed_kph * 60,
        }
    )
    od = od[od["minutes"] <= catchment_minutes].reset_index(drop=True)
    demand = pd.Series(rng.integers(100, 5000, n_demand).astype(float), index=demand_ids)
    supply = pd.Series(rng.integers(1, 50, n_supply).astype(float), index=site_ids)
    return od, demand, supply


def run_ours(od, demand, supply, *, catchment_minutes, sigma_minutes):
    return {
        "E2SFCA": lambda: enhanced_two_step_fca(
            od, demand, supply, catchment_minutes=catchment_minutes, steps=STEPS
        ),
        "Gaussian 2SFCA": lambda: gaussian_two_step_fca(
            od, demand, supply, catchment_minutes=catchment_minutes, sigma_minutes=sigma_minutes
        ),
        "3SFCA": lambda: three_step_fca(od, demand, supply, catchment_minutes=catchment_minutes),
    }


def best_time(fn, repeat):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def child(args) -> None:
    """Our run only, in a fresh process: peak memory and times as JSON."""
    od, demand, supply = make_instance(
        args.demand,
        args.supply,
        side_km=args.side_km,
        speed_kph=args.speed_kph,
        catchment_minutes=args.catchment,
        seed=args.seed,
    )
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    for fn in run_ours(
        od, demand, supply, catchment_minutes=args.catchment, sigma_minutes=args.sigma
    ).values():
        fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "ru_maxrss_mb": rss / 1024,
                "ru_maxrss_after_inputs_mb": rss_inputs / 1024,
                "tracemalloc_peak_mb": peak / 2**20,
                "od_rows": len(od),
                "od_frame_mb": od.memory_usage(deep=True).sum() / 2**20,
            }
        )
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demand", type=int, default=20_000)
    parser.add_argument("--supply", type=int, default=1_000)
    parser.add_argument("--catchment", type=float, default=60.0, help="minutes")
    parser.add_argument("--speed-kph", type=float, default=40.0)
    parser.add_argument("--side-km", type=float, default=200.0)
    parser.add_argument("--sigma", type=float, default=20.0, help="Gaussian width, minutes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="our runs per variant (best)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0

    from access import Access, weights

    od, demand, supply = make_instance(
        args.demand,
        args.supply,
        side_km=args.side_km,
        speed_kph=args.speed_kph,
        catchment_minutes=args.catchment,
        seed=args.seed,
    )
    print(
        f"{len(demand):,} demand x {len(supply):,} supply points, {args.side_km:g} km square, "
        f"{args.speed_kph:g} km/h, {args.catchment:g}-minute catchment: {len(od):,} OD pairs"
    )

    start = time.perf_counter()
    model = Access(
        demand_df=demand.rename("pop").rename_axis("geoid").reset_index(),
        demand_index="geoid",
        demand_value="pop",
        supply_df=supply.rename("cap").rename_axis("geoid").reset_index(),
        supply_index="geoid",
        supply_value="cap",
        cost_df=od.rename(columns={"origin_id": "origin", "site_id": "dest", "minutes": "cost"}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    setup = time.perf_counter() - start
    theirs = {
        "E2SFCA": lambda: model.enhanced_two_stage_fca(
            name="e2", weight_fn=weights.step_fn(STEPS), max_cost=args.catchment
        )["e2_cap"],
        "Gaussian 2SFCA": lambda: model.two_stage_fca(
            name="g2", weight_fn=weights.gaussian(args.sigma), max_cost=args.catchment
        )["g2_cap"],
        "3SFCA": lambda: model.three_stage_fca(name="t3", max_cost=args.catchment)["t3_cap"],
    }
    ours = run_ours(od, demand, supply, catchment_minutes=args.catchment, sigma_minutes=args.sigma)

    header = f"{'variant':<16}{'access s':>10}{'ours s':>9}{'ratio':>8}{'max rel diff':>14}  zero/NaN areas"
    print(f"(access: one run each, after {setup:.2f} s setup; ours: best of {args.repeat})")
    print(header)
    print("-" * len(header))
    ok = True
    for name in ours:
        t_ours, result = best_time(ours[name], args.repeat)
        t_theirs, reference = best_time(theirs[name], 1)
        reference = reference.reindex(result.access.index)
        nan_areas = set(reference.index[reference.isna()])
        same_flags = nan_areas == set(result.areas_without_supply)
        ref = reference.fillna(0.0).to_numpy()
        got = result.access.to_numpy()
        rel = np.abs(got - ref) / np.maximum(np.abs(ref), 1e-300)
        rel[(ref == 0) & (got == 0)] = 0.0
        worst = float(rel.max())
        ok &= worst <= 1e-9 and same_flags
        print(
            f"{name:<16}{t_theirs:>10.2f}{t_ours:>9.3f}{t_theirs / t_ours:>7.0f}x{worst:>14.1e}"
            f"  {len(result.areas_without_supply)}/{len(nan_areas)}"
        )

    out = subprocess.run(
        [sys.executable, __file__, "--child", *(argv if argv is not None else sys.argv[1:])],
        capture_output=True,
        text=True,
        check=True,
    )
    mem = json.loads(out.stdout)
    print(
        f"\nour run, fresh process: peak RSS {mem['ru_maxrss_mb']:.0f} MB "
        f"({mem['ru_maxrss_after_inputs_mb']:.0f} MB already reached by Python, libraries and "
        f"making the inputs; OD frame {mem['od_frame_mb']:.0f} MB); "
        f"tracemalloc peak during the three calls {mem['tracemalloc_peak_mb']:.0f} MB"
    )
    ok &= mem["ru_maxrss_mb"] < 1024
    print("results agree to 1e-9 and memory < 1 GB" if ok else "MISMATCH or memory >= 1 GB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
