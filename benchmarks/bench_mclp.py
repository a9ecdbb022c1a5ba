"""Maximal covering (MCLP): accessplan.location.coverage.maximize_coverage vs spopt's MCLP.

One instance, one distance table, given to both packages:

* ``--coverage radius`` (default): demand points and candidate sites scattered
  uniformly in a 100 x 100 square, straight-line distances; the radius is the
  ``--density`` quantile of all demand x candidate distances, so that share of
  pairs is within reach (a realistic spatial instance).
* ``--coverage uniform``: the "distance" of each pair is a uniform random
  number, so the covering sets have no spatial structure (much harder).

Demand weights are whole numbers 1..100. Both packages choose ``--p`` sites.

spopt: ``MCLP.from_cost_matrix(dense table, weights, service_radius, p)`` (build)
then ``.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=...), results=False)``
(solve; spopt's optional result tables are left out, in its favour). What it
says is PuLP's ``problem.status``; CBC's own verdict and bound are read from
its log (PuLP 3 reports "Optimal" for a time-limited run).

accessplan, end to end: the long OD table (``origin_id, site_id, minutes``) of
the pairs within the radius, built from the same dense table, then
``maximize_coverage(od, demand, candidates, catchment_minutes=radius,
max_new_sites=p, solver_options=...)`` (model build, greedy warm start, solve,
result frames). "build s" is everything except the solver call. The greedy
plan (``greedy_coverage``, no proof) is shown for reference.

Every objective is recomputed from the chosen sites on the dense table. Same
optimum: when two runs are proven optimal their objectives must be equal, and no
run may cover more than a proven bound. The script exits 1 on a contradiction.

Run (needs the ``bench`` extra: spopt)::

    python benchmarks/bench_mclp.py                          # p = 10, 5 % density
    python benchmarks/bench_mclp.py --p 20 --time-limit 240  # the hard case
    python benchmarks/bench_mclp.py --coverage uniform --p 20 --time-limit 240
"""

from __future__ import annotations

import argparse
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
from scipy.spatial.distance import cdist

from accessplan.location.coverage import greedy_coverage, maximize_coverage
from accessplan.location.solver import SolverOptions

SIDE = 100.0
CONFIGS = {
    "cbc": {"solver": "cbc"},
    "highs-ipm": {"solver": "highs", "lp_method": "ipm"},
    "highs": {"solver": "highs"},
}


@dataclass
class Row:
    name: str
    build_s: float
    solve_s: float
    objective: float | None
    recomputed: float | None
    status: str
    proven: bool
    bound: float | None
    gap: float | None

    @property
    def total_s(self) -> float:
        return self.build_s + self.solve_s


def make_instance(n_demand, n_candidates, *, density, coverage, seed):
    """Dense distance table, integer weights and the radius giving ``density``."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 101, n_demand).astype(float)
    if coverage == "radius":
        demand_xy = rng.uniform(0, SIDE, size=(n_demand, 2))
        site_xy = rng.uniform(0, SIDE, size=(n_candidates, 2))
        table = cdist(demand_xy, site_xy)
    else:
        table = rng.uniform(0, SIDE, size=(n_demand, n_candidates))
    k = max(1, math.ceil(density * table.size))
    radius = float(np.partition(table.ravel(), k - 1)[k - 1])
    return table, weights, radius


def covered_weight(table, weights, radius, columns) -> float:
    """Demand within ``radius`` of at least one of ``columns`` (independent check)."""
    if len(columns) == 0:
        return 0.0
    return float(weights[(table[:, np.asarray(columns)] <= radius).any(axis=1)].sum())


def run_ours(table, weights, radius, p, config, time_limit):
    start = time.perf_counter()
    area_ids = np.arange(table.shape[0]) + 100_000
    site_ids = np.arange(table.shape[1]) + 900_000
    i, j = np.nonzero(table <= radius)
    od = pd.DataFrame({"origin_id": area_ids[i], "site_id": site_ids[j], "minutes": table[i, j]})
    demand = pd.Series(weights, index=area_ids)
    n = len(site_ids)
    candidates = pd.DataFrame(
        {
            "site_id": site_ids,
            "site_cost": np.zeros(n),
            "unit_cost": np.zeros(n),
            "min_units": np.zeros(n, dtype=int),
            "max_units": np.zeros(n, dtype=int),
        }
    )
    common = {"catchment_minutes": radius, "max_new_sites": p}
    if config == "greedy":
        result = greedy_coverage(od, demand, candidates, **common)
    else:
        options = SolverOptions(time_limit_s=time_limit, **CONFIGS[config])
        result = maximize_coverage(od, demand, candidates, solver_options=options, **common)
    total = time.perf_counter() - start
    rep = result.report
    columns = result.chosen["site_id"].to_numpy() - 900_000
    return Row(
        name=f"accessplan {config}",
        build_s=total - (0.0 if config == "greedy" else rep.seconds),
        solve_s=0.0 if config == "greedy" else rep.seconds,
        objective=rep.objective,
        recomputed=covered_weight(table, weights, radius, columns),
        status=rep.status if config != "greedy" else "heuristic",
        proven=rep.proven_optimal,
        bound=rep.best_bound,
        gap=rep.gap,
    )


_RESULT = re.compile(r"^Result - (.*)$", re.M)
_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s*(\S+)", re.M)


def run_spopt(table, weights, radius, p, time_limit):
    from spopt.locate import MCLP

    fd, log_path = tempfile.mkstemp(prefix="bench-mclp-spopt-", suffix=".log")
    os.close(fd)
    try:
        start = time.perf_counter()
        model = MCLP.from_cost_matrix(table, weights, service_radius=radius, p_facilities=p)
        built = time.perf_counter()
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, logPath=log_path)
        raised = False
        try:
            model.solve(solver, results=False)
        except RuntimeError:  # spopt raises when PuLP's status is not Optimal
            raised = True
        solved = time.perf_counter()
        log = Path(log_path).read_text(errors="replace")
    finally:
        Path(log_path).unlink(missing_ok=True)
    problem = model.problem
    said = pulp.LpStatus[problem.status] + (" (spopt raised RuntimeError)" if raised else "")
    has_solution = problem.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = pulp.value(problem.objective) if has_solution else None
    columns = [k for k, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5]
    result_line = m.group(1).strip() if (m := _RESULT.search(log)) else "?"
    proven = (
        "Optimal solution found" in result_line and problem.sol_status == pulp.LpSolutionOptimal
    )
    bound = None
    if not has_solution:
        pass  # no incumbent: the log's numbers may be those of an unfinished root LP
    elif (b := _BOUND.search(log)) is not None:
        bound = float(b.group(1))
    elif proven and objective is not None:
        bound = float(objective)
    gap = None
    if bound is not None and objective:
        gap = abs(bound - objective) / abs(objective)
    return Row(
        name="spopt cbc",
        build_s=built - start,
        solve_s=solved - built,
        objective=None if objective is None else float(objective),
        recomputed=covered_weight(table, weights, radius, columns) if has_solution else None,
        status=f'PuLP "{said}", sol_status {problem.sol_status}; CBC: {result_line}',
        proven=proven,
        bound=bound,
        gap=gap,
    )


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'run':<22}{'build s':>8}{'solve s':>9}{'total s':>9}{'objective':>12}"
        f"{'recomputed':>12}{'best bound':>12}{'gap':>9}  proven  status"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.name:<22}{r.build_s:>8.2f}{r.solve_s:>9.2f}{r.total_s:>9.2f}"
            f"{_fmt(r.objective, ',.0f'):>12}{_fmt(r.recomputed, ',.0f'):>12}"
            f"{_fmt(r.bound, ',.0f'):>12}{_fmt(r.gap, '.3%'):>9}  "
            f"{'yes' if r.proven else 'NO':<6}  {r.status}"
        )


def check(rows: list[Row]) -> bool:
    """Objectives match the recomputation; proven optima agree; nothing beats a proven bound."""
    ok = True
    for r in rows:
        if r.objective is not None and abs(r.objective - r.recomputed) > 1e-6:
            print(f"MISMATCH: {r.name} reports {r.objective} but its sites cover {r.recomputed}")
            ok = False
    proven = [r for r in rows if r.proven]
    for r in proven[1:]:
        if abs(r.recomputed - proven[0].recomputed) > 1e-6:
            print(f"MISMATCH: proven optima differ: {proven[0].name} vs {r.name}")
            ok = False
    for r in rows:
        for other in rows:
            if (
                r.recomputed is not None
                and other.bound is not None
                and r.recomputed > other.bound + 1e-6
            ):
                print(f"MISMATCH: {r.name} covers more than {other.name}'s proven bound")
                ok = False
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demand", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--p", type=int, default=10, help="sites to open")
    parser.add_argument("--density", type=float, default=0.05, help="share of pairs in reach")
    parser.add_argument("--coverage", choices=("radius", "uniform"), default="radius")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=240.0, help="seconds per solve")
    parser.add_argument(
        "--solvers",
        default="cbc,highs-ipm",
        help=f"our configurations, comma-separated from {sorted(CONFIGS)}",
    )
    parser.add_argument("--skip-spopt", action="store_true")
    args = parser.parse_args(argv)
    configs = [c.strip() for c in args.solvers.split(",") if c.strip()]
    if unknown := [c for c in configs if c not in CONFIGS]:
        parser.error(f"unknown solver configuration(s) {unknown}; choose from {sorted(CONFIGS)}")

    table, weights, radius = make_instance(
        args.demand, args.candidates, density=args.density, coverage=args.coverage, seed=args.seed
    )
    in_reach = table <= radius
    print(
        f"MCLP: {args.demand:,} demand points x {args.candidates:,} candidates, p = {args.p}, "
        f"coverage = {args.coverage}, seed {args.seed}\n"
        f"radius {radius:.4f} (square side {SIDE:g}); realised density "
        f"{in_reach.mean():.4%} ({int(in_reach.sum()):,} pairs); total demand "
        f"{weights.sum():,.0f}; time limit {args.time_limit:g} s per solve"
    )
    versions = f"pulp {pulp.__version__}"
    rows = [run_ours(table, weights, radius, args.p, "greedy", None)]
    for config in configs:
        rows.append(run_ours(table, weights, radius, args.p, config, args.time_limit))
    if not args.skip_spopt:
        import spopt

        versions += f", spopt {spopt.__version__}"
        rows.append(run_spopt(table, weights, radius, args.p, args.time_limit))
    print(versions)
    print_table(rows)

    ok = check(rows)
    theirs = [r for r in rows if r.name.startswith("spopt")]
    if theirs:
        t = theirs[0]
        for r in rows:
            if r.name.startswith("accessplan") and r.solve_s > 0:
                if t.recomputed is None:
                    same = "spopt has no solution"
                elif r.recomputed == t.recomputed:
                    same = f"objectives equal ({r.recomputed:,.0f})"
                else:
                    same = f"objectives DIFFER ({r.recomputed:,.0f} vs {t.recomputed:,.0f})"
                print(
                    f"ratio spopt total / {r.name} total: {t.total_s / r.total_s:.1f}x "
                    f"(build {t.build_s / r.build_s:.0f}x, solve {t.solve_s / r.solve_s:.1f}x); "
                    f"{same}; proven optimal: ours {'yes' if r.proven else 'NO'}, "
                    f"spopt {'yes' if t.proven else 'NO'}"
                )
    print("consistent" if ok else "CONTRADICTION between runs")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
