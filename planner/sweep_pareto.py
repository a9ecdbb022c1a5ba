"""The coverage-equity frontier of a sweep (``[sweep] pareto``).

Solved by :func:`accessplan.location.pareto.coverage_equity_frontier` on the
sweep's travel times at the ``[location]`` budget (the largest swept budget
when ``[location]`` has none), coverage within the location catchment and
access over the access catchment, as in a plan; the table is
``pareto.csv`` and, with ``write_point``, the plan of that point is written as
layers ``pareto_point_<n>_sites`` and ``pareto_point_<n>_areas`` of
``pareto_plan.gpkg``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from accessplan.planner.plan import solver_options_for
from accessplan.planner.runs import Log, quiet
from accessplan.planner.sweep_extras import ParetoPlan

__all__ = ["pareto_plan"]


def _decay(scenario, catchment: float):
    reach = getattr(scenario.decay, "max_minutes", None)
    if scenario.decay is not None and reach is not None and reach > catchment:
        return None
    return scenario.decay


def _plan_layers(run, prepared, plan, point: int) -> dict[str, gpd.GeoDataFrame]:
    crs = prepared.inputs.crs
    chosen = pd.DataFrame(plan.chosen).drop(columns="geometry", errors="ignore")
    keep = [c for c in ("site_id", "units", "added_capacity", "cost") if c in chosen.columns]
    sites = prepared.candidates[["site_id", "geometry"]].merge(chosen[keep], on="site_id")
    areas = plan.areas.drop(columns="geometry", errors="ignore")
    areas = prepared.inputs.areas[["area_id", "population", "geometry"]].merge(
        areas, left_on="area_id", right_index=True, how="left"
    )
    return {
        f"pareto_point_{point}_sites": gpd.GeoDataFrame(sites, geometry="geometry", crs=crs),
        f"pareto_point_{point}_areas": gpd.GeoDataFrame(areas, geometry="geometry", crs=crs),
    }


def pareto_plan(run, prepared, frontier_fn, *, log: Log = quiet) -> ParetoPlan:
    """The equity-efficiency frontier of ``run``'s scenario (see the module notes).

    Parameters
    ----------
    run : accessplan.planner.sweep.SweepRun
    prepared : accessplan.planner.plan.PlanInputs
        The sweep's inputs and travel times.
    frontier_fn : callable
        :func:`accessplan.location.pareto.coverage_equity_frontier`.
    log : callable, optional

    Returns
    -------
    ParetoPlan
    """
    scenario = run.scenario
    loc = scenario.location
    spec = run.spec.pareto
    budget = loc.budget if loc.budget is not None else max(run.spec.budgets or (0.0,))
    cover = loc.catchment_minutes or scenario.catchment_minutes
    if cover <= scenario.catchment_minutes:
        # as in a plan: coverage within the location catchment, access over the access one
        catchment, radius = scenario.catchment_minutes, {"coverage_minutes": cover}
        decay = scenario.decay
    else:
        catchment, radius, decay = cover, {}, _decay(scenario, cover)
    inputs = prepared.inputs
    log(
        f"coverage-equity frontier ({spec.equity}, {spec.points} points) at budget "
        f"{budget:,.6g}: coverage within {cover:g} minutes, access over {catchment:g}"
    )
    od = prepared.travel.od
    result = frontier_fn(
        od[od["minutes"] <= catchment],
        inputs.areas.set_index("area_id")["need"],
        pd.DataFrame(inputs.facilities[["site_id", "capacity"]]),
        pd.DataFrame(prepared.candidates.drop(columns="geometry")),
        budget=budget,
        catchment_minutes=catchment,
        method=scenario.access_method,
        decay=decay,
        capacity_per_unit=loc.capacity_per_unit,
        points=spec.points,
        equity=spec.equity,
        solver_options=solver_options_for(loc),
        **radius,
    )
    table = result.table.copy()
    layers = None
    if spec.write_point is not None:
        if spec.write_point in result.plans:
            layers = _plan_layers(run, prepared, result.plans[spec.write_point], spec.write_point)
        else:
            log(
                f"pareto write_point {spec.write_point}: the frontier has points "
                f"{sorted(result.plans)} only (duplicates and dominated points are dropped)"
            )
    return ParetoPlan(equity=spec.equity, result=result, table=table, plan_layers=layers)
