"""The location step of the pipeline: choose new sites, then access after the plan.

Travel times are computed once, to existing and candidate sites together; the
location model reads the OD table (never the network) and the access after
the plan reuses the same times (see DESIGN.md, "Data flows one way").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.data.errors import InputValidationError, Problem
from accessplan.planner.labels import demand_label
from accessplan.planner.runs import (
    AccessRun,
    Log,
    Router,
    cluster_nearest,
    data_quality,
    load_inputs,
    quiet,
    rated_mask,
    subset_travel,
    supply_access,
    warn_quality,
)
from accessplan.planner.scenario import Scenario
from accessplan.spatial.inequity import compare_inequity

__all__ = [
    "AccessSettings",
    "PlanInputs",
    "PlanRun",
    "access_states",
    "prepare_plan",
    "run_plan",
    "solve_location_model",
    "solver_options_for",
    "supply_after_plan",
]


@dataclass(frozen=True)
class PlanRun:
    """The access step before, the location model, and access after the plan."""

    before: AccessRun
    candidates: gpd.GeoDataFrame
    location: Any  # LocationResult, MedianResult or EquityResult
    after: AccessRun
    comparison: pd.DataFrame
    supply_after: pd.Series
    #: travel times to existing and candidate sites within the larger catchment
    travel_all: Any = None
    #: units bought per chosen site id (existing sites expanded, new sites opened)
    units_added: pd.Series | None = None
    #: the road network used (None for straight-line or OD-table travel times)
    graph: Any = None
    #: minutes to the nearest facility by area before and after, found on the Dask cluster
    nearest: dict | None = None

    def new_sites_frame(self) -> gpd.GeoDataFrame:
        """The chosen new sites with units, capacity added, cost and reasons."""
        chosen = self.location.chosen.copy()
        if not isinstance(chosen, gpd.GeoDataFrame):
            chosen = self.candidates[["site_id", "geometry"]].merge(chosen, on="site_id")
        return chosen

    def areas_frame(self) -> gpd.GeoDataFrame:
        """Areas with access, flags, nearest time and SPAR before and after, and the change."""
        before = self.before.areas_frame()
        after = self.after.areas_frame()
        columns = ("access", "reaches_supply", "nearest_minutes", "spar")
        areas = before.rename(columns={c: f"{c}_before" for c in columns})
        for column in columns:
            areas[f"{column}_after"] = after[column].to_numpy()
        areas["access_change"] = areas["access_after"] - areas["access_before"]
        loc_areas = self.location.areas
        for column in ("covered_before", "covered_after", "served", "site_id", "minutes"):
            if column in loc_areas.columns:
                areas[f"plan_{column}"] = areas["area_id"].map(loc_areas[column]).to_numpy()
        return areas

    def sites_after_frame(self) -> gpd.GeoDataFrame:
        """Existing and new sites with capacity, ratio and population in reach after the plan
        (and their ``name`` where the layers have one, for the map tooltips)."""

        def named(frame):
            columns = ["site_id", "geometry"] + (["name"] if "name" in frame.columns else [])
            return frame[columns]

        existing = named(self.before.inputs.facilities).assign(new=False)
        new = named(self.new_sites_frame()).assign(new=True)
        sites = pd.concat([existing, new[~new["site_id"].isin(existing["site_id"])]])
        acc = self.after.access
        extra = pd.DataFrame(
            {
                "capacity": self.supply_after,
                "site_ratio": acc.site_ratio,
                "population_in_reach": acc.site_population,
            }
        )
        out = sites.merge(extra, left_on="site_id", right_index=True, how="left")
        return gpd.GeoDataFrame(out.reset_index(drop=True), crs=self.before.inputs.crs)


def solver_options_for(spec):
    """The solver options of a ``[location]`` spec."""
    from accessplan.location.solver import SolverOptions

    return SolverOptions(
        solver=spec.solver,
        time_limit_s=spec.time_limit_s,
        gap_rel=spec.gap_rel,
        threads=spec.threads,
    )


def _check_site_ids(
    facilities: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, label: str, id_column: str
):
    clash = candidates["site_id"].isin(set(facilities["site_id"])).to_numpy()
    if clash.any():
        rows = tuple(f"{i + 1} (id {candidates['site_id'].iloc[i]})" for i in np.flatnonzero(clash))
        raise InputValidationError(
            [
                Problem(
                    "candidate ids also name existing facilities; site ids must be unique "
                    "across facilities and candidates",
                    source=label,
                    column=id_column,
                    rows=rows,
                )
            ],
            what="candidates",
        )


def _generate_candidates(scenario, inputs, router, log) -> gpd.GeoDataFrame:
    from accessplan.location.candidates import kmeans_candidates

    gen = scenario.generate_candidates
    od = None
    if gen.exclude_within_minutes is not None:
        od = router.travel_times(
            inputs.facilities,
            max_minutes=gen.exclude_within_minutes,
            sites_label=scenario.facilities.label,
        ).od
    log(f"generating {gen.n} candidate sites by k-means on need-weighted area points")
    areas = inputs.areas.set_geometry("origin")
    return kmeans_candidates(
        areas,
        n=gen.n,
        weight="need",
        exclude_within_minutes=gen.exclude_within_minutes,
        od=od,
        area_id="area_id",
        site_cost=gen.site_cost,
        unit_cost=gen.unit_cost,
        max_units=gen.max_units,
        min_units=gen.min_units,
    ).drop(columns="population_in_cluster")


@dataclass(frozen=True)
class AccessSettings:
    """How access is scored: what an equity objective of the location model needs."""

    method: str
    catchment_minutes: float
    decay: Any = None


def solve_location_model(
    spec,
    od: pd.DataFrame,
    demand: pd.Series,
    existing: pd.DataFrame,
    candidates: pd.DataFrame,
    *,
    access: AccessSettings,
    demand_label: str = "people",
    check_unique: bool = True,
    initial_sites=None,
    log: Log = quiet,
):
    """Solve the ``[location]`` model ``spec`` on one OD table.

    Shared by :func:`run_plan` and the sweep (:mod:`accessplan.planner.sweep`),
    which calls it once per point with the point's budget and catchment.

    Parameters
    ----------
    spec : LocationSpec
        The model, its budget and solver (``spec.catchment_minutes`` or, when
        None, ``access.catchment_minutes`` is the coverage radius).
    od : pandas.DataFrame
        ``origin_id, site_id, minutes`` to existing and candidate sites.
    demand : pandas.Series
        Demand weight by area id.
    existing : pandas.DataFrame
        ``site_id`` and ``capacity`` of the open existing sites.
    candidates : pandas.DataFrame
        The candidate sites with their costs.
    access : AccessSettings
        The access model (method, catchment, decay) for the equity objectives.
    demand_label : str, default "people"
    check_unique : bool, default True
        Re-solve once with the chosen set cut off (capped at 30 s).
    initial_sites : sequence of site ids, optional
        A plan to start from (coverage objective only; used when the
        location model accepts ``initial_sites``).
    log : callable, optional

    Returns
    -------
    LocationResult, MedianResult or EquityResult
    """
    import inspect

    from accessplan.location import coverage, equity, median

    catchment = spec.catchment_minutes or access.catchment_minutes
    options = solver_options_for(spec)
    log(f"location model {spec.objective!r} with {options.solver}")
    common = {"existing": existing, "solver_options": options, "check_unique": check_unique}
    said = {"demand_label": demand_label}
    if spec.objective == "coverage":
        start = {}
        if initial_sites is not None and (
            "initial_sites" in inspect.signature(coverage.maximize_coverage).parameters
        ):
            start = {"initial_sites": list(initial_sites)}
        return coverage.maximize_coverage(
            od,
            demand,
            candidates,
            catchment_minutes=catchment,
            budget=spec.budget,
            max_new_sites=spec.max_new_sites,
            **common,
            **said,
            **start,
        )
    if spec.objective == "capacitated_coverage":
        return coverage.capacitated_coverage(
            od,
            demand,
            candidates,
            catchment_minutes=catchment,
            people_per_unit=spec.people_per_unit,
            budget=spec.budget,
            **common,
            **said,
        )
    if spec.objective == "min_cost_cover":
        return coverage.min_cost_cover(
            od,
            demand,
            candidates,
            catchment_minutes=catchment,
            target_share=spec.target_share,
            **common,
            **said,
        )
    if spec.objective == "p_median":
        return median.p_median(
            od[od["minutes"] <= catchment],
            demand,
            candidates,
            p=spec.max_new_sites,
            unassigned_minutes=spec.unassigned_minutes,
            budget=spec.budget,
            **common,
        )
    model = {
        "max_min_access": equity.maximize_min_access,
        "min_access_deviation": equity.minimize_access_deviation,
    }[spec.objective]
    return model(
        od,
        demand,
        candidates,
        catchment_minutes=access.catchment_minutes,
        budget=spec.budget,
        method=access.method,
        decay=access.decay,
        capacity_per_unit=spec.capacity_per_unit,
        **common,
    )


def _solve_location(scenario, inputs, od, candidates, log):
    return solve_location_model(
        scenario.location,
        od,
        inputs.areas.set_index("area_id")["need"],
        inputs.facilities[["site_id", "capacity"]],
        candidates,
        access=AccessSettings(scenario.access_method, scenario.catchment_minutes, scenario.decay),
        demand_label=demand_label(scenario),
        log=log,
    )


@dataclass(frozen=True)
class PlanInputs:
    """The inputs of a plan run, read once, and travel times to every site."""

    inputs: Any  # accessplan.planner.runs.Inputs
    router: Router
    candidates: gpd.GeoDataFrame
    #: how the candidates are named in messages, and their id column
    label: str
    id_column: str
    #: travel times to existing and candidate sites within ``bound_minutes``
    travel: Any
    bound_minutes: float


def prepare_plan(
    scenario: Scenario, *, bound_minutes: float, progress: bool = True, log: Log = quiet
) -> PlanInputs:
    """Read the inputs, get the candidates and compute travel times once.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``[location]`` section and candidates.
    bound_minutes : float
        Travel times are kept up to this many minutes (the largest catchment used).
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    PlanInputs
    """
    if scenario.location is None:
        raise InputValidationError(
            [Problem("the scenario has no [location] section", source=str(scenario.source))],
            what="scenario",
        )
    inputs = load_inputs(scenario, with_candidates=True, log=log)
    router = Router(scenario, inputs, progress=progress, log=log)
    try:
        return _prepare(scenario, inputs, router, bound_minutes, log)
    except BaseException:
        router.close()  # a local Dask cluster started for this run
        raise


def _prepare(scenario, inputs, router, bound_minutes, log) -> PlanInputs:
    if scenario.generate_candidates is not None:
        candidates = _generate_candidates(scenario, inputs, router, log)
        label, id_column = "generated candidates", "site_id"
    else:
        candidates = inputs.candidates
        label, id_column = scenario.candidates.label, scenario.candidates.id
    _check_site_ids(inputs.facilities, candidates, label, id_column)
    sites = pd.concat(
        [inputs.facilities[["site_id", "geometry"]], candidates[["site_id", "geometry"]]],
        ignore_index=True,
    )
    travel = router.travel_times(
        gpd.GeoDataFrame(sites, crs=inputs.crs),
        max_minutes=bound_minutes,
        sites_label=label,
        store=True,
    )
    log(f"{len(travel.od):,} area-site pairs within {bound_minutes:g} minutes")
    return PlanInputs(
        inputs=inputs,
        router=router,
        candidates=candidates,
        label=label,
        id_column=id_column,
        travel=travel,
        bound_minutes=float(bound_minutes),
    )


def run_plan(scenario: Scenario, *, progress: bool = True, log: Log = quiet) -> PlanRun:
    """Access before, the location model, and access after the plan.

    Travel times are computed once, to existing and candidate sites together,
    within the larger of the access and location catchments.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``[location]`` section and candidates (a file or ``generate``).
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    PlanRun
    """
    if scenario.location is None:
        raise InputValidationError(
            [Problem("the scenario has no [location] section", source=str(scenario.source))],
            what="scenario",
        )
    spec = scenario.location
    location_catchment = spec.catchment_minutes or scenario.catchment_minutes
    bound = scenario.routing_minutes  # the catchments, and coverage thresholds when given
    prepared = prepare_plan(scenario, bound_minutes=bound, progress=progress, log=log)
    try:
        return _run_plan(scenario, prepared, location_catchment, log)
    finally:
        prepared.router.close()


def supply_after_plan(
    chosen: pd.DataFrame, supply_before: pd.Series, *, capacity_per_unit: float
) -> tuple[pd.Series, pd.Series]:
    """Capacity of every site after the plan, and the units bought at each chosen site.

    Parameters
    ----------
    chosen : pandas.DataFrame
        The location result's chosen sites: ``site_id`` and ``units`` (or
        ``min_units`` for a model without capacity).
    supply_before : pandas.Series
        Capacity by existing site id.
    capacity_per_unit : float
        Capacity one unit adds.

    Returns
    -------
    supply_after : pandas.Series
        Existing sites (expanded where chosen) then the new sites, by site id.
    units : pandas.Series
        float units bought, by chosen site id.
    """
    units = chosen["units"] if "units" in chosen.columns else chosen["min_units"]
    units = pd.Series(units.to_numpy(dtype=float), index=chosen["site_id"].to_numpy())
    added = pd.Series(units.to_numpy() * capacity_per_unit, index=units.index)
    known = added.index.isin(supply_before.index)
    supply_after = pd.concat([supply_before.add(added[known], fill_value=0.0), added[~known]])
    return supply_after, units


def access_states(scenario: Scenario, inputs, *, report, quality, before, after):
    """The two :class:`AccessRun` records of a plan and their inequity comparison.

    ``before`` and ``after`` are ``(travel, access)`` of each state; both are
    compared over one set of rated areas (:func:`rated_mask`), so before and
    after compare like with like.

    Returns
    -------
    tuple
        ``(before_run, after_run, comparison)``.
    """
    (travel_before, access_before), (travel_after, access_after) = before, after
    areas, rated = rated_mask(inputs, access_before, access_after)
    comparison = compare_inequity(
        access_before.access.reindex(areas.index)[rated],
        access_after.access.reindex(areas.index)[rated],
        areas.loc[rated, "population"],
        groups=areas.loc[rated, "group"] if "group" in areas.columns else None,
    )
    runs = [
        AccessRun(
            scenario=scenario,
            inputs=inputs,
            travel=state_travel,
            network_report=report,
            access=state_access,
            inequity=comparison[state].to_dict(),
            quality=quality,
            rated=rated,
        )
        for state, state_travel, state_access in (
            ("before", travel_before, access_before),
            ("after", travel_after, access_after),
        )
    ]
    return runs[0], runs[1], comparison


def _run_plan(scenario: Scenario, prepared, location_catchment: float, log: Log) -> PlanRun:
    spec = scenario.location
    inputs, router, candidates = prepared.inputs, prepared.router, prepared.candidates
    travel = prepared.travel
    sites = pd.concat([inputs.facilities[["site_id"]], candidates[["site_id"]]], ignore_index=True)
    report = router.network_report

    existing_ids = list(inputs.facilities["site_id"])
    supply_before = inputs.facilities.set_index("site_id")["capacity"]
    travel_before = subset_travel(travel, existing_ids, scenario.catchment_minutes)
    access_before = router.access_scores(travel_before, supply_before)
    quality = data_quality(scenario, inputs, travel_before, access_before, report)
    result = _solve_location(
        scenario,
        inputs,
        subset_travel(travel, sites["site_id"], location_catchment).od,
        candidates,
        log,
    )
    log(result.report.summary())
    chosen = result.chosen
    supply_after, units = supply_after_plan(
        chosen, supply_before, capacity_per_unit=spec.capacity_per_unit
    )
    travel_after = subset_travel(travel, list(supply_after.index), scenario.catchment_minutes)
    access_after = router.access_scores(travel_after, supply_after)
    site_only = list(units.index[units.to_numpy() == 0])
    if site_only:
        item = {
            "check": "site_only",
            "severity": "warning",
            "count": len(site_only),
            "message": (
                f"{len(site_only)} new site(s) opened with no capacity (0 units): "
                f"{', '.join(map(str, site_only[:10]))}; they change coverage, not access "
                "scores (give the candidates min_units, or choose a capacitated objective)"
            ),
            "ids": [str(s) for s in site_only],
        }
        warn_quality([item])
        quality = (*quality, item)
    before, after, comparison = access_states(
        scenario,
        inputs,
        report=report,
        quality=quality,
        before=(travel_before, access_before),
        after=(travel_after, access_after),
    )
    log(
        f"{len(chosen)} new site(s); Gini {before.inequity['gini']:.3f} -> "
        f"{after.inequity['gini']:.3f}; zero access {before.inequity['share_zero']:.1%} -> "
        f"{after.inequity['share_zero']:.1%}"
    )
    if scenario.supplies:
        # the plan buys units of the main capacity only: the further supplies are scored once
        before = dataclasses.replace(
            before, by_supply=supply_access(before, client=router.client())
        )
    if scenario.referral is not None:
        from accessplan.planner.referral import run_referral

        log("referral times: each referring facility to its nearest facility")
        before = dataclasses.replace(before, referral=run_referral(scenario, inputs, router))
    return PlanRun(
        before=before,
        candidates=candidates,
        location=result,
        after=after,
        comparison=comparison,
        supply_after=supply_after,
        travel_all=travel,
        units_added=units,
        graph=router.graph,
        nearest=cluster_nearest(
            router,
            travel,
            {"before": inputs.facilities["site_id"], "after": list(supply_after.index)},
        ),
    )
