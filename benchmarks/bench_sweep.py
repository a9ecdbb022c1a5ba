"""The demo sweep (8 budgets x 3 catchments) against the same 24 plans run one by one.

Side "sweep": ``run_sweep`` with ``--jobs`` workers (default 2) on the demo's
``sweep.toml`` (its robust plan and frontier left out, so both sides compute
the same 24 plans), then ``write_sweep_outputs``.

Side "plans": for each of the 24 points, what ``accessplan plan --set
location.budget=B --set location.catchment_minutes=C`` computes and writes
for the plan itself: ``run_plan`` (read inputs, load the network, route,
solve, access before and after) and ``write_plan_outputs``. (The CLI's plan
also draws maps and the report; leaving them out favours this side.)

Side "one": one such plan, for the memory comparison.

Each side runs in its own Python process; its wall time and peak resident
memory (``resource.getrusage`` of the process and of its largest worker) are
printed as JSON and collected. Run::

    .venv/bin/python benchmarks/bench_sweep.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "sweep.toml"


def _pss_mb(pid) -> float:
    """Proportional set size of a process (shared pages split between their users), MB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return float(line.split()[1]) / 1024
    return 0.0


class _PssSampler:
    """Peak of the summed PSS of this process and its worker processes, sampled every 0.1 s."""

    def __init__(self) -> None:
        import threading

        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import multiprocessing

        while not self._stop.is_set():
            pids = ["self"] + [c.pid for c in multiprocessing.active_children()]
            self.peak = max(self.peak, sum(_pss_mb(pid) for pid in pids))
            self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _peak_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": own, "peak_rss_worker_mb": child}


def _scenario(overrides=()):
    from accessplan.planner.scenario import load_scenario

    return load_scenario(DEMO, overrides=list(overrides))


def side_sweep(jobs: int, out: Path) -> dict:
    from accessplan.planner.sweep import run_sweep, write_sweep_outputs

    scenario = _scenario()
    spec = dataclasses.replace(scenario.sweep, robust=None, pareto=None)
    scenario = dataclasses.replace(scenario, sweep=spec)
    t0 = time.perf_counter()
    with _PssSampler() as pss:
        run = run_sweep(scenario, jobs=jobs, progress=False)
        write_sweep_outputs(run, out / "sweep")
    return {
        "seconds": time.perf_counter() - t0,
        "points": len(run.points),
        "proven_optimal": int(run.table["proven_optimal"].sum()),
        "objectives": [float(x) for x in run.table["objective"]],
        "peak_pss_mb": pss.peak,
    }


def _plan(budget: float, catchment: float, out: Path):
    from accessplan.planner.plan import run_plan
    from accessplan.planner.writers import write_plan_outputs

    scenario = _scenario(
        [f"location.budget={budget!r}", f"location.catchment_minutes={catchment!r}"]
    )
    run = run_plan(dataclasses.replace(scenario, sweep=None), progress=False)
    write_plan_outputs(run, out)
    return run


def side_plans(out: Path, *, limit: int | None = None) -> dict:
    from accessplan.planner.sweep import sweep_points

    points = sweep_points(_scenario())[:limit]
    t0 = time.perf_counter()
    objectives = []
    with _PssSampler() as pss:
        for point in points:
            run = _plan(point.budget, point.catchment_minutes, out / f"plan_{point.index}")
            objectives.append(float(run.location.report.objective))
    return {
        "seconds": time.perf_counter() - t0,
        "points": len(points),
        "objectives": objectives,
        "peak_pss_mb": pss.peak,
    }


def _child(side: str, jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as folder:
        cmd = [sys.executable, __file__, "--side", side, "--jobs", str(jobs), "--out", folder]
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--side", choices=("sweep", "plans", "one"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.side is not None:
        if args.side == "sweep":
            result = side_sweep(args.jobs, args.out)
        elif args.side == "plans":
            result = side_plans(args.out)
        else:
            result = side_plans(args.out, limit=1)
        print(json.dumps({**result, **_peak_mb()}))
        return 0
    sweep = _child("sweep", args.jobs)
    print(
        f"sweep, {sweep['points']} points, --jobs {args.jobs}: {sweep['seconds']:.1f} s, "
        f"peak RSS {sweep['peak_rss_mb']:.0f} MB (largest worker {sweep['peak_rss_worker_mb']:.0f} MB)"
    )
    one = _child("one", 1)
    print(f"one plan: {one['seconds']:.1f} s, peak RSS {one['peak_rss_mb']:.0f} MB")
    plans = _child("plans", 1)
    print(
        f"{plans['points']} plans one by one: {plans['seconds']:.1f} s, "
        f"peak RSS {plans['peak_rss_mb']:.0f} MB"
    )
    print(f"ratio (plans one by one / sweep): {plans['seconds'] / sweep['seconds']:.1f}x")
    print(
        f"memory, summed PSS of the process and its workers (shared pages split): sweep "
        f"{sweep['peak_pss_mb']:.0f} MB, one plan {one['peak_pss_mb']:.0f} MB: "
        f"{sweep['peak_pss_mb'] / one['peak_pss_mb']:.2f}x"
    )
    total = sweep["peak_rss_mb"] + args.jobs * sweep["peak_rss_worker_mb"]
    print(
        f"memory, RSS: sweep parent / one plan {sweep['peak_rss_mb'] / one['peak_rss_mb']:.2f}x; "
        f"parent + {args.jobs} workers each counted whole (shared pages counted again) "
        f"{total / one['peak_rss_mb']:.2f}x"
    )
    # the same optima: each sweep point covers what its plan covers
    a, b = sweep["objectives"], plans["objectives"]
    same = len(a) == len(b) and all(
        abs(x - y) <= 1e-6 * max(1.0, abs(y)) for x, y in zip(a, b, strict=False)
    )
    print(f"every point's covered demand equals its plan's: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
