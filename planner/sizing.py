"""The sizing step of the pipeline: ventilators per site by Erlang C.

Each site's expected patients come from the access model (Huff-style choice
among the sites in reach); every site, existing and new, gets the smallest
count meeting the target wait (see :mod:`accessplan.capacity.sizing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from accessplan.data.errors import InputValidationError, Problem
from accessplan.planner.facts import units_are_ventilators
from accessplan.planner.plan import PlanRun, run_plan
from accessplan.planner.runs import AccessRun, Log, quiet, run_access
from accessplan.planner.scenario import Scenario

__all__ = ["SizeRun", "final_access", "run_size", "size_ventilators"]


@dataclass(frozen=True)
class SizeRun:
    """Access (and the plan, if any), then the ventilators each site needs."""

    base: AccessRun | PlanRun
    demand: Any  # accessplan.capacity.demand.SiteDemand
    sizing: pd.DataFrame
    pool_split: pd.DataFrame | None
    #: ventilators the plan bought, counted as in place (0 when its units are not ventilators)
    credited_units: float = 0.0


def final_access(run: AccessRun | PlanRun) -> tuple[AccessRun, pd.Series]:
    """The access run the sites are sized on, and the supply (capacity) per site."""
    if isinstance(run, PlanRun):
        return run.after, run.supply_after
    return run, run.inputs.facilities.set_index("site_id")["capacity"]


def size_ventilators(run: AccessRun | PlanRun, *, log: Log = quiet) -> SizeRun:
    """Size every site (existing and new) to the target wait, or split a given pool.

    Expected daily ventilator patients per site come from the access model:
    each area's patients (``patients_per_100k_day`` x population / 100,000)
    choose among the sites in reach with Huff-style weights (capacity x the
    access decay). Mean stays are the facility's own ``mean_stay_days`` where
    the layer has one, the scenario's elsewhere (new sites). Current
    ventilators are the facility layer's ``ventilators`` (its capacity when
    the capacity counts ventilators), 0 for new sites; when the plan's units
    are ventilators (:func:`accessplan.planner.facts.units_are_ventilators`)
    the units it bought count as in place at their sites.

    Parameters
    ----------
    run : AccessRun or PlanRun
    log : callable, optional

    Returns
    -------
    SizeRun
    """
    from accessplan.capacity.demand import site_arrivals
    from accessplan.capacity.sizing import resolve_mean_stay, size_sites, split_given_pool
    from accessplan.capacity.staff import staff_for

    access, supply = final_access(run)
    scenario = access.scenario
    spec = scenario.ventilators
    facilities = access.inputs.facilities.set_index("site_id")
    areas = access.inputs.areas.set_index("area_id")
    demand = site_arrivals(
        access.travel.od,
        areas["population"],
        supply,
        patients_per_100k_day=spec.patients_per_100k_day,
        catchment_minutes=scenario.catchment_minutes,
        decay=scenario.decay,
        method=scenario.access_method,
        attractiveness=spec.attractiveness,
    )
    site_ids = list(supply.index)
    own_stay = facilities["mean_stay_days"] if "mean_stay_days" in facilities.columns else None
    stays = resolve_mean_stay(site_ids, own_stay, spec.mean_stay_days)
    current = pd.Series(0.0, index=site_ids)
    credit = units_are_ventilators(scenario)
    if "ventilators" in facilities.columns:
        current.loc[facilities.index] = facilities["ventilators"].to_numpy(dtype=float)
    elif credit:  # the supply column counts ventilators
        current.loc[facilities.index] = facilities["capacity"].to_numpy(dtype=float)
    credited = 0.0
    if credit and isinstance(run, PlanRun) and run.units_added is not None:
        # the plan bought ventilators: new sites start with them, expanded sites gain them
        bought = run.units_added * scenario.location.capacity_per_unit
        bought = bought[bought.index.isin(current.index)]
        current = current.add(bought, fill_value=0.0).reindex(site_ids)
        credited = float(bought.sum())
        log(f"{credited:g} ventilators bought by the plan counted as in place")
    arrivals = demand.arrivals_per_day.reindex(site_ids)
    sizing = size_sites(arrivals, stays, target_wait_hours=spec.target_wait_hours, current=current)
    sizing["therapists"] = staff_for(
        sizing["ventilators_needed"].to_numpy(),
        per_staff=spec.staff_ratio,
        shifts_per_day=spec.shifts_per_day,
    )
    sizing.insert(0, "new_site", ~sizing.index.isin(facilities.index))
    log(
        f"ventilators for a mean wait of {spec.target_wait_hours:g} h: "
        f"{int(sizing['ventilators_needed'].sum())} needed, {int(current.sum())} in place, "
        f"shortfall {int(sizing['shortfall'].sum())}; "
        f"{demand.unserved_patients_per_day:.2f} patients/day reach no site"
    )
    split = None
    if spec.pool is not None:
        split = split_given_pool(
            arrivals, stays, current, pool=spec.pool, objective=spec.pool_objective
        )
        log(f"pool of {spec.pool} split by {spec.pool_objective}")
    return SizeRun(
        base=run, demand=demand, sizing=sizing, pool_split=split, credited_units=credited
    )


def run_size(scenario: Scenario, *, progress: bool = True, log: Log = quiet) -> SizeRun:
    """Access, the location plan when the scenario has one, then ventilator sizing.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``[ventilators]`` section.
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    SizeRun
    """
    if scenario.ventilators is None:
        raise InputValidationError(
            [Problem("the scenario has no [ventilators] section", source=str(scenario.source))],
            what="scenario",
        )
    if scenario.location is not None:
        base: AccessRun | PlanRun = run_plan(scenario, progress=progress, log=log)
    else:
        base = run_access(scenario, progress=progress, log=log)
    return size_ventilators(base, log=log)
