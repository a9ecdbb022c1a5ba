"""Policy sweeps: the [location] plan at every point of a grid of assumptions.

A point is a budget, a catchment (of the location model and of access), a
demand growth factor and a set of closed existing sites; the points are the
cartesian product of the dimensions of ``[sweep]``
(:mod:`accessplan.planner.sweep_spec`), a dimension left out taking the
scenario's own value.

How it runs:

- The inputs are read once, and travel times are computed ONCE, to existing
  and candidate sites within the largest catchment; each point takes the
  pairs within its own catchment (:func:`accessplan.planner.runs.subset_travel`
  keeps the same times, so a point equals a plan run at that catchment).
- Demand (population and need) is multiplied by the point's growth; a closed
  site leaves the existing supply and no longer covers anyone ("covered
  before" is measured without it).
- The points sharing catchment, growth and closures form a *chain*, solved in
  increasing budget, each warm-started from the previous point's sites (still
  affordable at a larger budget), through the location model's
  ``initial_sites``.
- Chains run in ``jobs`` worker processes (:class:`concurrent.futures.ProcessPoolExecutor`,
  forked on Linux). A worker gets only
  what its chain needs (the OD pairs within its catchment, the areas' demand,
  the open existing sites, the candidates without geometry), never the road
  network or the run. With fewer chains than workers, chains are cut into
  consecutive budget segments (each segment starts cold).
- Each point records its solver status, whether it was proven optimal, and
  its gap: a point stopped by the time limit is "feasible", never hidden.

:func:`write_sweep_outputs` (in :mod:`accessplan.planner.sweep_outputs`)
writes the table, layers, frontier, site frequency and the policy report.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import itertools
import math
import multiprocessing
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.data.errors import InputValidationError, Problem
from accessplan.planner.labels import demand_label
from accessplan.planner.plan import (
    AccessSettings,
    prepare_plan,
    solve_location_model,
    supply_after_plan,
)
from accessplan.planner.runs import Log, quiet
from accessplan.planner.scenario import Scenario
from accessplan.planner.sweep_spec import SweepSpec, check_closures, check_jobs

__all__ = [
    "SWEEP_COLUMNS",
    "PointResult",
    "SweepPoint",
    "SweepRun",
    "run_sweep",
    "sweep_points",
    "write_sweep_outputs",
]

#: the columns of ``sweep.csv``, in order
SWEEP_COLUMNS = (
    "point",
    "budget",
    "catchment_minutes",
    "growth",
    "closed",
    "status",
    "proven_optimal",
    "gap",
    "objective",
    "population",
    "coverage_share_before",
    "coverage_share",
    "zero_access_share_before",
    "zero_access_share",
    "gini_before",
    "gini",
    "cost",
    "n_sites",
    "sites",
    "units",
    "newly_covered",
    "seconds",
)


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep (``index`` is its 0-based number in ``sweep.csv``)."""

    index: int
    budget: float | None
    catchment_minutes: float
    growth: float
    closed: tuple[str, ...] = ()

    @property
    def group(self) -> tuple:
        """The dimensions other than the budget (points of one chain share them)."""
        return (self.catchment_minutes, self.growth, self.closed)

    def label(self) -> str:
        parts = []
        if self.budget is not None:
            parts.append(f"budget {self.budget:,.6g}")
        parts.append(f"{self.catchment_minutes:g} min")
        if self.growth != 1.0:
            parts.append(f"growth x{self.growth:g}")
        if self.closed:
            parts.append(f"closed {', '.join(self.closed)}")
        return ", ".join(parts)


@dataclass(frozen=True)
class PointResult:
    """What one point produced: its table row, its new sites and its areas."""

    row: dict
    #: chosen sites: ``site_id``, ``units``, ``cost``
    sites: pd.DataFrame
    #: by area id: ``population``, ``demand``, ``access_before``, ``access_after``,
    #: ``covered_before``, ``covered_after``
    areas: pd.DataFrame


@dataclass(frozen=True)
class SweepRun:
    """A finished sweep (see :func:`run_sweep`)."""

    scenario: Scenario
    spec: SweepSpec
    points: tuple[SweepPoint, ...]
    #: one row per point, columns :data:`SWEEP_COLUMNS`
    table: pd.DataFrame
    results: tuple[PointResult, ...]
    #: the areas (``area_id``, ``population``, geometry) and sites, in the run's CRS
    areas: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    jobs: int
    seconds: float
    travel_pairs: int
    travel_max_minutes: float
    #: the robust plan (:mod:`accessplan.planner.sweep_extras`), or None
    robust: Any = None
    #: the equity-efficiency frontier, or None
    pareto: Any = None
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- points


def sweep_points(scenario: Scenario, spec: SweepSpec | None = None) -> tuple[SweepPoint, ...]:
    """The points of the sweep: the cartesian product of its dimensions.

    Ordered by catchment, growth, closure, then budget (so the points of one
    chain are consecutive and in increasing budget).

    Parameters
    ----------
    scenario : Scenario
    spec : SweepSpec, optional
        Default: ``scenario.sweep`` (an empty sweep: one point, the scenario's plan).

    Returns
    -------
    tuple of SweepPoint
    """
    spec = spec or scenario.sweep or SweepSpec()
    loc = scenario.location
    own_catchment = (loc.catchment_minutes if loc else None) or scenario.catchment_minutes
    budgets = spec.budgets or ((loc.budget if loc else None),)
    catchments = spec.catchment_minutes or (own_catchment,)
    growth = spec.growth or (1.0,)
    close = spec.close or ((),)
    product = itertools.product(catchments, growth, close, budgets)
    return tuple(
        SweepPoint(index=i, budget=b, catchment_minutes=float(c), growth=float(g), closed=tuple(k))
        for i, (c, g, k, b) in enumerate(product)
    )


def _chains(points: Sequence[SweepPoint], jobs: int) -> list[list[SweepPoint]]:
    """Points grouped by chain; cut into budget segments when there are fewer chains than jobs."""
    groups: dict[tuple, list[SweepPoint]] = {}
    for point in points:
        groups.setdefault(point.group, []).append(point)
    chains = [
        sorted(g, key=lambda p: -math.inf if p.budget is None else p.budget)
        for g in groups.values()
    ]
    if len(chains) >= jobs:
        return chains
    pieces = math.ceil(jobs / len(chains))
    out = []
    for chain in chains:
        size = math.ceil(len(chain) / pieces)
        out.extend(chain[i : i + size] for i in range(0, len(chain), size))
    return out


# ----------------------------------------------------------------------------- the worker


@dataclass(frozen=True)
class _ChainTask:
    """What a worker needs for one chain (pickled to it): no geometry, no network."""

    points: tuple[SweepPoint, ...]
    od: pd.DataFrame  # origin_id, site_id, minutes within the chain's catchment, open sites
    areas: pd.DataFrame  # by area_id: population, need[, group] (before growth)
    existing: pd.DataFrame  # site_id, capacity of the open existing sites
    candidates: pd.DataFrame
    location: Any  # LocationSpec
    access_method: str
    decay: Any
    normalize: bool
    demand_label: str


def _covered(od: pd.DataFrame, site_ids, index: pd.Index) -> pd.Series:
    reach = od.loc[od["site_id"].isin(set(site_ids)), "origin_id"].unique()
    return pd.Series(index.isin(reach), index=index)


def _access(task: _ChainTask, od, demand, supply, catchment):
    from accessplan.spatial.fca import access_scores

    return access_scores(
        od[od["site_id"].isin(set(supply.index))],
        demand,
        supply,
        method=task.access_method,
        catchment_minutes=catchment,
        decay=task.decay,
        normalize=task.normalize,
    ).access.reindex(demand.index)


def _measures(access: pd.Series, population: pd.Series, rated, groups):
    from accessplan.spatial.inequity import inequity_summary

    return inequity_summary(
        access[rated], population[rated], groups=None if groups is None else groups[rated]
    )


def _solve_point(task: _ChainTask, point: SweepPoint, start) -> PointResult:
    from accessplan.planner.quality import rated_areas

    t0 = time.perf_counter()
    areas = task.areas
    population = areas["population"] * point.growth
    need = areas["need"] * point.growth
    groups = areas["group"] if "group" in areas.columns else None
    supply_before = task.existing.set_index("site_id")["capacity"].astype(float)
    spec = dataclasses.replace(
        task.location, budget=point.budget, catchment_minutes=point.catchment_minutes
    )
    result = solve_location_model(
        spec,
        task.od,
        need,
        task.existing[["site_id", "capacity"]],
        task.candidates,
        access=AccessSettings(task.access_method, point.catchment_minutes, task.decay),
        demand_label=task.demand_label,
        check_unique=False,
        initial_sites=start,
    )
    chosen = result.chosen
    supply_after, units = supply_after_plan(
        chosen, supply_before, capacity_per_unit=spec.capacity_per_unit
    )
    units = units.to_numpy()
    access_before = _access(task, task.od, need, supply_before, point.catchment_minutes)
    access_after = _access(task, task.od, need, supply_after, point.catchment_minutes)
    rated = rated_areas(need, access_before) | rated_areas(need, access_after)
    before = _measures(access_before, population, rated, groups)
    after = _measures(access_after, population, rated, groups)
    covered_before = _covered(task.od, supply_before.index, areas.index)
    covered_after = _covered(task.od, supply_after.index, areas.index)
    total = float(population.sum())
    cost = (
        chosen["cost"].to_numpy(dtype=float) if "cost" in chosen.columns else np.zeros(len(chosen))
    )
    report = result.report
    row = {
        "point": point.index,
        "budget": point.budget,
        "catchment_minutes": point.catchment_minutes,
        "growth": point.growth,
        "closed": ";".join(point.closed),
        "status": report.status,
        "proven_optimal": bool(report.proven_optimal),
        "gap": None if report.gap is None else float(report.gap),
        "objective": None if report.objective is None else float(report.objective),
        "population": total,
        "coverage_share_before": float(population[covered_before].sum()) / total if total else 0.0,
        "coverage_share": float(population[covered_after].sum()) / total if total else 0.0,
        "zero_access_share_before": float(before["share_zero"]),
        "zero_access_share": float(after["share_zero"]),
        "gini_before": float(before["gini"]),
        "gini": float(after["gini"]),
        "cost": float(result.totals.get("cost", cost.sum())),
        "n_sites": len(chosen),
        "sites": ";".join(str(s) for s in chosen["site_id"]),
        "units": ";".join(f"{u:g}" for u in units),
        "newly_covered": float(need[covered_after & ~covered_before].sum()),
        "seconds": time.perf_counter() - t0,
    }
    sites = pd.DataFrame({"site_id": chosen["site_id"].to_numpy(), "units": units, "cost": cost})
    frame = pd.DataFrame(
        {
            "population": population,
            "demand": need,
            "access_before": access_before.where(rated),
            "access_after": access_after.where(rated),
            "covered_before": covered_before,
            "covered_after": covered_after,
        }
    )
    return PointResult(row=row, sites=sites, areas=frame)


def _run_chain(task: _ChainTask) -> list[PointResult]:
    """Solve a chain's points in increasing budget, each starting from the previous plan."""
    out = []
    start = None
    for point in task.points:
        result = _solve_point(task, point, start)
        out.append(result)
        if task.location.objective == "coverage":
            start = list(result.sites["site_id"])
    return out


# ----------------------------------------------------------------------------- the sweep


def _decay_for(scenario: Scenario, catchment: float, notes: list[str]):
    """The scenario's decay when it fits the catchment, else the method's default."""
    decay = scenario.decay
    reach = getattr(decay, "max_minutes", None)
    if decay is not None and reach is not None and reach > catchment:
        notes.append(
            f"at a {catchment:g}-minute catchment the scenario's decay (to {reach:g} minutes) "
            f"does not fit; access uses the {scenario.access_method} default decay"
        )
        return None
    return decay


def _resolve_jobs(jobs, spec: SweepSpec) -> int:
    jobs = spec.jobs if jobs is None else jobs
    if jobs is None:
        return 1
    problems: list[Problem] = []
    check_jobs(
        jobs, lambda message, key: problems.append(Problem(message, column=key)), key="--jobs"
    )
    if problems:
        raise InputValidationError(problems, what="sweep")
    return int(jobs)


def _executor(jobs: int) -> cf.ProcessPoolExecutor:
    """Worker processes: forked on Linux (modules loaded once, no re-run of a script's
    main module), else spawned (a calling script then needs ``if __name__ == "__main__"``)."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method))


def run_sweep(
    scenario: Scenario, *, jobs: int | None = None, progress: bool = True, log: Log = quiet
) -> SweepRun:
    """Solve the ``[location]`` plan at every point of the scenario's ``[sweep]``.

    Parameters
    ----------
    scenario : Scenario
        With ``[location]`` (a budget objective) and ``[sweep]``.
    jobs : int, optional
        Worker processes (overrides ``[sweep] jobs``; default 1: in this process).
        At most the number of cores.
    progress : bool, default True
        Progress bars while routing.
    log : callable, optional
        One line per step and per finished point.

    Returns
    -------
    SweepRun

    Raises
    ------
    InputValidationError
        No [location] or [sweep]; jobs out of range; a closure naming a site
        that is not an existing facility. All before any travel time or solve.
    """
    t0 = time.perf_counter()
    spec = scenario.sweep
    if spec is None or scenario.location is None:
        missing = [
            s for s, v in (("[location]", scenario.location), ("[sweep]", spec)) if v is None
        ]
        raise InputValidationError(
            [
                Problem(
                    f"a sweep needs the section(s) {', '.join(missing)}",
                    source=str(scenario.source),
                )
            ],
            what="scenario",
        )
    n_jobs = _resolve_jobs(jobs, spec)
    points = sweep_points(scenario, spec)
    loc = scenario.location
    own = loc.catchment_minutes or scenario.catchment_minutes
    bound = max([scenario.catchment_minutes, own, *(p.catchment_minutes for p in points)])
    from accessplan.planner.runs import load_inputs

    if spec.close:
        # unknown closures fail before the network is loaded or any time is computed
        facilities = load_inputs(scenario, with_candidates=False).facilities
        check_closures(
            spec,
            facilities["site_id"],
            source=scenario.facilities.label,
            column=scenario.facilities.id,
        )
    log(f"sweep of {len(points)} point(s) with {n_jobs} worker(s)")
    prepared = prepare_plan(scenario, bound_minutes=bound, progress=progress, log=log)
    prepared.router.close()  # the sweep's own workers take it from here
    inputs, candidates, travel = prepared.inputs, prepared.candidates, prepared.travel
    area_columns = ["population", "need"] + (["group"] if "group" in inputs.areas.columns else [])
    areas = inputs.areas.set_index("area_id")[area_columns]
    cand = pd.DataFrame(candidates.drop(columns="geometry"))
    notes: list[str] = []
    decays = {
        c: _decay_for(scenario, c, notes) for c in sorted({p.catchment_minutes for p in points})
    }
    label = demand_label(scenario)

    def task_for(chain: list[SweepPoint]) -> _ChainTask:
        first = chain[0]
        open_sites = inputs.facilities[~inputs.facilities["site_id"].isin(set(first.closed))]
        od = travel.od
        keep = (od["minutes"] <= first.catchment_minutes) & ~od["site_id"].isin(set(first.closed))
        return _ChainTask(
            points=tuple(chain),
            od=od.loc[keep, ["origin_id", "site_id", "minutes"]].reset_index(drop=True),
            areas=areas,
            existing=pd.DataFrame(open_sites[["site_id", "capacity"]]),
            candidates=cand,
            location=loc,
            access_method=scenario.access_method,
            decay=decays[first.catchment_minutes],
            normalize=scenario.normalize,
            demand_label=label,
        )

    chains = _chains(points, n_jobs)
    results: dict[int, PointResult] = {}

    def done(chain_results: list[PointResult]) -> None:
        for res in chain_results:
            results[res.row["point"]] = res
            row = res.row
            proof = "optimal" if row["proven_optimal"] else f"{row['status']}, gap {row['gap']}"
            log(
                f"point {len(results)}/{len(points)} ({points[row['point']].label()}): "
                f"coverage {row['coverage_share']:.1%}, {row['n_sites']} site(s), "
                f"cost {row['cost']:,.6g} ({proof}) {row['seconds']:.1f} s"
            )

    if n_jobs == 1:
        for chain in chains:
            done(_run_chain(task_for(chain)))
    else:
        with _executor(n_jobs) as pool:
            futures = [pool.submit(_run_chain, task_for(chain)) for chain in chains]
            for future in cf.as_completed(futures):
                done(future.result())
    ordered = tuple(results[p.index] for p in points)
    table = pd.DataFrame([r.row for r in ordered], columns=list(SWEEP_COLUMNS))
    run = SweepRun(
        scenario=scenario,
        spec=spec,
        points=points,
        table=table,
        results=ordered,
        areas=inputs.areas[["area_id", "population", "geometry"]].copy(),
        facilities=inputs.facilities,
        candidates=candidates,
        jobs=n_jobs,
        seconds=0.0,
        travel_pairs=len(travel.od),
        travel_max_minutes=float(travel.max_minutes),
        notes=tuple(dict.fromkeys(notes)),
    )
    from accessplan.planner.sweep_extras import run_extras

    run = run_extras(run, prepared, log=log)
    return dataclasses.replace(run, seconds=time.perf_counter() - t0)


def write_sweep_outputs(run: SweepRun, out_dir, *, log: Log = quiet):
    """Write the sweep's files atomically; see :func:`accessplan.planner.sweep_outputs.write_sweep_outputs`."""
    from accessplan.planner.sweep_outputs import write_sweep_outputs as write

    return write(run, out_dir, log=log)
