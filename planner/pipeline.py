"""The pipeline: scenario -> inputs -> travel times -> access -> inequity -> outputs.

Only this module knows the whole flow; each step lives in its own package and
is usable alone. Data flows one way (see DESIGN.md).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from accessplan.data.errors import (
    InputFileError,
    InputValidationError,
    Problem,
    ProblemCollector,
)
from accessplan.planner.inputs import choose_crs, read_areas, read_candidates, read_facilities
from accessplan.planner.output import atomic_output_dir, write_json
from accessplan.planner.quality import counts as quality_counts
from accessplan.planner.quality import quality_items, rated_areas, warnings_text
from accessplan.planner.scenario import Scenario
from accessplan.spatial.inequity import compare_inequity, inequity_summary

__all__ = [
    "AccessRun",
    "Inputs",
    "Router",
    "choose_crs",
    "load_inputs",
    "run_access",
    "warn_quality",
    "write_access_outputs",
]

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def warn_quality(items, *, warn: Log | None = None) -> None:
    """Print the data-quality warnings, one line each (stderr by default, even when quiet)."""
    if warn is None:

        def warn(line: str) -> None:
            print(f"accessplan: warning: {line}", file=sys.stderr, flush=True)

    for line in warnings_text(list(items)):
        warn(line)


@dataclass(frozen=True)
class Inputs:
    """The user's layers, checked and in one projected CRS."""

    areas: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None
    crs: pyproj.CRS


@dataclass(frozen=True)
class AccessRun:
    """Everything the access step produced."""

    scenario: Scenario
    inputs: Inputs
    travel: Any  # accessplan.spatial.travel_time.TravelTimes
    network_report: Any  # accessplan.spatial.network.NetworkReport or None
    access: Any  # accessplan.spatial.fca.AccessResult
    inequity: dict[str, float]
    quality: tuple = ()  # accessplan.planner.quality items (dicts)
    rated: Any = None  # pandas.Series of bool by area id: areas the measures count

    def areas_frame(self) -> gpd.GeoDataFrame:
        """Areas with their access score, flags and nearest site time.

        An area that is not rated (zero demand weight and no access, see
        :func:`accessplan.planner.quality.rated_areas`) has no access score
        (NaN, "no data" on the maps), never a zero.
        """
        areas = self.inputs.areas.drop(columns="origin")
        acc = self.access
        scores = pd.DataFrame(
            {
                "access": acc.access,
                "reaches_supply": acc.reaches_supply,
            }
        )
        od = self.travel.od
        nearest = od.groupby("origin_id")["minutes"].min().rename("nearest_minutes")
        out = areas.merge(scores, left_on="area_id", right_index=True, how="left")
        out = out.merge(nearest, left_on="area_id", right_index=True, how="left")
        if self.rated is not None:
            out["access"] = out["access"].where(out["area_id"].map(self.rated).to_numpy())
        measured = out["access"].notna()
        mean = (out["access"] * out["population"]).sum() / out.loc[measured, "population"].sum()
        out["spar"] = out["access"] / mean if mean > 0 else float("nan")
        return out

    def facilities_frame(self) -> gpd.GeoDataFrame:
        """Facilities with their supply-to-demand ratio and population in reach."""
        acc = self.access
        extra = pd.DataFrame(
            {"site_ratio": acc.site_ratio, "population_in_reach": acc.site_population}
        )
        out = self.inputs.facilities.merge(extra, left_on="site_id", right_index=True, how="left")
        out["has_population"] = ~out["site_id"].isin(acc.sites_without_population)
        return out


def load_inputs(scenario: Scenario, *, with_candidates: bool = False, log: Log = _quiet) -> Inputs:
    """Read and check every layer, reporting the problems of all files at once.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    with_candidates : bool, default False
        Also read the candidate sites (the location step needs them).
    log : callable, optional
        Receives one line per step.

    Returns
    -------
    Inputs
        Layers in one projected CRS (see :func:`choose_crs`).
    """
    missing = [
        name
        for name, present in (
            ("areas", scenario.areas is not None),
            ("network", scenario.network.is_set),
        )
        if not present
    ]
    if missing:
        raise InputValidationError(
            [
                Problem(
                    f"this command needs the section(s) {', '.join(f'[{m}]' for m in missing)}",
                    source=str(scenario.source),
                )
            ],
            what="scenario",
        )
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems = ProblemCollector(what="inputs")

    def read(name: str, reader: Callable, spec, crs) -> None:
        log(f"reading {name}: {spec.label}")
        try:
            frames[name] = reader(spec, crs=crs)
        except InputValidationError as exc:
            problems.extend(exc.problems)
        except InputFileError as exc:
            problems.add(exc.reason, source=exc.path)

    # the areas fix the run's metre CRS; the other layers are checked against it
    # (or, when the areas failed, against their own, so all problems show at once)
    read("areas", read_areas, scenario.areas, scenario.crs)
    run_crs = frames["areas"].crs if "areas" in frames else scenario.crs
    read("facilities", read_facilities, scenario.facilities, run_crs)
    if with_candidates and scenario.candidates is not None:
        read("candidates", read_candidates, scenario.candidates, run_crs)
    problems.raise_if_any()
    crs = pyproj.CRS.from_user_input(frames["areas"].crs)
    areas, facilities = frames["areas"], frames["facilities"]
    candidates = frames.get("candidates")
    log(
        f"{len(areas)} areas (population {areas['population'].sum():,.0f}), "
        f"{len(facilities)} facilities, CRS {crs.to_string()}"
    )
    return Inputs(areas=areas, facilities=facilities, candidates=candidates, crs=crs)


class Router:
    """Travel times from the areas to any set of sites, loading the network once.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    progress : bool, default True
        Show progress bars.
    log : callable, optional
    """

    def __init__(
        self, scenario: Scenario, inputs: Inputs, *, progress: bool = True, log: Log = _quiet
    ) -> None:
        self.scenario = scenario
        self.inputs = inputs
        self.progress = progress
        self.log = log
        self.origins = gpd.GeoDataFrame(
            {"area_id": inputs.areas["area_id"].to_numpy()},
            geometry=inputs.areas["origin"].to_numpy(),
            crs=inputs.crs,
        )
        self._graph = None
        self.network_report = None

    def _network(self):
        if self._graph is None:
            from accessplan.spatial import network as net

            spec = self.scenario.network
            if spec.kind == "place":
                self.log(f"downloading the {spec.network_type} network of {spec.place!r} (osmnx)")
                self._graph, self.network_report = net.network_from_place(
                    spec.place,
                    network_type=spec.network_type,
                    to_crs=self.inputs.crs,
                    fallback_speed_kph=spec.fallback_speed_kph,
                    speed_kph=spec.speed_kph,
                )
            else:
                self.log(f"loading the road network {spec.path}")
                self._graph, self.network_report = net.load_network(
                    spec.path,
                    network_type=spec.network_type,
                    to_crs=self.inputs.crs,
                    fallback_speed_kph=spec.fallback_speed_kph,
                    speed_kph=spec.speed_kph,
                    progress=self.progress,
                )
            self.log(self.network_report.summary())
        return self._graph

    def travel_times(self, sites: gpd.GeoDataFrame, *, max_minutes: float, sites_label: str):
        """Travel times to ``sites`` (points with ``site_id``) within ``max_minutes``.

        Returns
        -------
        accessplan.spatial.travel_time.TravelTimes
        """
        from accessplan.spatial import travel_time as tt

        spec = self.scenario.network
        sites = sites[["site_id", "geometry"]]
        if spec.kind == "straight_line":
            self.log(f"straight-line travel times at {spec.straight_line_speed_kph:g} km/h")
            return tt.straight_line_travel_times(
                self.origins,
                sites,
                origin_id="area_id",
                site_id="site_id",
                speed_kph=spec.straight_line_speed_kph,
                max_minutes=max_minutes,
            )
        if spec.kind == "od_table":
            self.log(f"reading travel times from {spec.od_table}")
            return tt.od_table_travel_times(
                spec.od_table,
                origin_ids=self.origins["area_id"],
                site_ids=sites["site_id"],
                origin_col=spec.od_columns.get("origin", "origin_id"),
                site_col=spec.od_columns.get("site", "site_id"),
                minutes_col=spec.od_columns.get("minutes", "minutes"),
                max_minutes=max_minutes,
            )
        return tt.network_travel_times(
            self._network(),
            self.origins,
            sites,
            origin_id="area_id",
            site_id="site_id",
            max_minutes=max_minutes,
            access_speed_kph=spec.access_speed_kph,
            max_snap_meters=spec.max_snap_meters,
            origins_label=self.scenario.areas.label,
            sites_label=sites_label,
            progress=self.progress,
        )


def run_access(scenario: Scenario, *, progress: bool = True, log: Log = _quiet) -> AccessRun:
    """Access scores and inequity for the existing facilities.

    Parameters
    ----------
    scenario : Scenario
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    AccessRun
    """
    inputs = load_inputs(scenario, log=log)
    router = Router(scenario, inputs, progress=progress, log=log)
    travel = router.travel_times(
        inputs.facilities,
        max_minutes=scenario.catchment_minutes,
        sites_label=scenario.facilities.label,
    )
    log(f"{len(travel.od):,} area-site pairs within {scenario.catchment_minutes:g} minutes")
    supply = inputs.facilities.set_index("site_id")["capacity"]
    access = _access_scores(scenario, inputs, travel, supply)
    areas, rated = _rated(inputs, access)
    run = AccessRun(
        scenario=scenario,
        inputs=inputs,
        travel=travel,
        network_report=router.network_report,
        access=access,
        inequity=inequity_summary(
            access.access.reindex(areas.index)[rated],
            areas.loc[rated, "population"],
            groups=areas.loc[rated, "group"] if "group" in areas.columns else None,
        ),
        quality=_data_quality(scenario, inputs, travel, access, router.network_report),
        rated=rated,
    )
    log(
        f"access ({scenario.access_method}): Gini {run.inequity['gini']:.3f}, "
        f"population with zero access {run.inequity['share_zero']:.1%}"
    )
    return run


def _summary(run: AccessRun) -> dict[str, Any]:
    areas = run.areas_frame()
    acc = run.access
    no_supply = ~areas["reaches_supply"] & (areas["need"] > 0)
    zero = areas.loc[no_supply, "population"].sum()
    summary: dict[str, Any] = {
        "scenario": run.scenario.name,
        "crs": run.inputs.crs.to_string(),
        "areas": len(areas),
        "population": float(areas["population"].sum()),
        "facilities": len(run.inputs.facilities),
        "travel_times": {
            "method": run.travel.method,
            "max_minutes": run.travel.max_minutes,
            "pairs": len(run.travel.od),
        },
        "access": {
            "method": acc.method,
            "catchment_minutes": acc.catchment_minutes,
            "normalized": acc.normalized,
            "areas_without_supply": int(no_supply.sum()),
            "population_without_supply": float(zero),
            "sites_without_population": list(acc.sites_without_population),
        },
        "inequity": run.inequity,
        "quality": quality_counts(list(run.quality)),
    }
    if run.network_report is not None:
        summary["network"] = dataclasses.asdict(run.network_report)
    snap = run.travel.origin_snap
    if snap is not None and len(snap):
        summary["travel_times"]["snap_meters_max_areas"] = float(snap["snap_meters"].max())
        summary["travel_times"]["snap_meters_max_sites"] = float(
            run.travel.site_snap["snap_meters"].max()
        )
    return summary


def _write_access_files(run: AccessRun, folder: Path) -> dict[str, Any]:
    """Write the access files into ``folder``; return the summary (not yet written)."""
    areas = run.areas_frame()
    facilities = run.facilities_frame()
    areas.to_file(folder / "access.gpkg", layer="areas", engine="pyogrio")
    facilities.to_file(folder / "access.gpkg", layer="facilities", engine="pyogrio")
    areas.drop(columns="geometry").to_csv(folder / "areas_access.csv", index=False)
    facilities.drop(columns="geometry").to_csv(folder / "facilities_access.csv", index=False)
    run.travel.od.to_csv(folder / "travel_times.csv", index=False)
    write_json(folder / "scenario.json", run.scenario.resolved())
    write_json(folder / "quality.json", {"items": list(run.quality)})
    return _summary(run)


def write_access_outputs(run: AccessRun, out_dir: str | Path) -> Path:
    """Write the access results atomically.

    Writes ``access.gpkg`` (layers ``areas`` and ``facilities``),
    ``areas_access.csv``, ``facilities_access.csv``, ``travel_times.csv``,
    ``summary.json`` and ``scenario.json`` (the scenario as run).

    Parameters
    ----------
    run : AccessRun
    out_dir : str or Path

    Returns
    -------
    Path
        The output folder.
    """
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        write_json(tmp / "summary.json", _write_access_files(run, tmp))
    return out_dir.resolve()


# --------------------------------------------------------------------------
# Location: choose new sites, then access after the plan
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRun:
    """The access step before, the location model, and access after the plan."""

    before: AccessRun
    candidates: gpd.GeoDataFrame
    location: Any  # LocationResult, MedianResult or EquityResult
    after: AccessRun
    comparison: pd.DataFrame
    supply_after: pd.Series

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


def _solver_options(spec):
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


def _solve_location(scenario, inputs, od, candidates, log):
    from accessplan.location import coverage, equity, median

    spec = scenario.location
    catchment = spec.catchment_minutes or scenario.catchment_minutes
    demand = inputs.areas.set_index("area_id")["need"]
    existing = inputs.facilities[["site_id", "capacity"]]
    options = _solver_options(spec)
    log(f"location model {spec.objective!r} with {options.solver}")
    common = {"existing": existing, "solver_options": options}
    if spec.objective == "coverage":
        return coverage.maximize_coverage(
            od,
            demand,
            candidates,
            catchment_minutes=catchment,
            budget=spec.budget,
            max_new_sites=spec.max_new_sites,
            **common,
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
        )
    if spec.objective == "min_cost_cover":
        return coverage.min_cost_cover(
            od,
            demand,
            candidates,
            catchment_minutes=catchment,
            target_share=spec.target_share,
            **common,
        )
    if spec.objective == "p_median":
        return median.p_median(
            od[od["minutes"] <= catchment],
            demand,
            candidates,
            p=spec.max_new_sites,
            unassigned_minutes=spec.unassigned_minutes,
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
        catchment_minutes=scenario.catchment_minutes,
        budget=spec.budget,
        method=scenario.access_method,
        decay=scenario.decay,
        capacity_per_unit=spec.capacity_per_unit,
        **common,
    )


def _access_scores(scenario, inputs, travel, supply):
    """The access scores of the areas for ``supply`` (an AccessResult)."""
    from accessplan.spatial.fca import access_scores

    return access_scores(
        travel.od,
        inputs.areas.set_index("area_id")["need"],
        supply,
        method=scenario.access_method,
        catchment_minutes=scenario.catchment_minutes,
        decay=scenario.decay,
        normalize=scenario.normalize,
    )


def _rated(inputs: Inputs, *results) -> tuple[pd.DataFrame, pd.Series]:
    """The areas (indexed by id) and which of them the inequity measures count.

    A zero demand weight is not zero access: an area with zero weight and zero
    access in every one of ``results`` is not measured (see
    :func:`accessplan.planner.quality.rated_areas`).
    """
    areas = inputs.areas.set_index("area_id")
    rated = pd.Series(False, index=areas.index)
    for result in results:
        rated |= rated_areas(areas["need"], result.access.reindex(areas.index))
    return areas, rated


def _data_quality(scenario, inputs, travel, access, report) -> tuple:
    """The run's data-quality items, printed as warnings once."""
    items = quality_items(
        areas=inputs.areas,
        facilities=inputs.facilities,
        travel=travel,
        access=access,
        network_report=report,
        max_snap_meters=scenario.network.max_snap_meters,
        demand_label=_demand_label(scenario),
    )
    warn_quality(items)
    return tuple(items)


def _demand_label(scenario: Scenario) -> str:
    """What the demand weight is: the user's need column, or the population."""
    need = scenario.areas.columns.get("need") if scenario.areas is not None else None
    return f"demand weight ({need})" if need else "population"


def _subset(travel, site_ids, max_minutes):
    """The same travel times restricted to some sites and a shorter bound."""
    od = travel.od
    keep = od["site_id"].isin(set(site_ids)) & (od["minutes"] <= max_minutes)
    return dataclasses.replace(
        travel,
        od=od[keep].reset_index(drop=True),
        site_snap=travel.site_snap[travel.site_snap["site_id"].isin(set(site_ids))],
        max_minutes=float(max_minutes),
    )


def run_plan(scenario: Scenario, *, progress: bool = True, log: Log = _quiet) -> PlanRun:
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
    inputs = load_inputs(scenario, with_candidates=True, log=log)
    router = Router(scenario, inputs, progress=progress, log=log)
    if scenario.generate_candidates is not None:
        candidates = _generate_candidates(scenario, inputs, router, log)
        label, id_column = "generated candidates", "site_id"
    else:
        candidates = inputs.candidates
        label, id_column = scenario.candidates.label, scenario.candidates.id
    _check_site_ids(inputs.facilities, candidates, label, id_column)
    spec = scenario.location
    location_catchment = spec.catchment_minutes or scenario.catchment_minutes
    bound = max(scenario.catchment_minutes, location_catchment)
    sites = pd.concat(
        [inputs.facilities[["site_id", "geometry"]], candidates[["site_id", "geometry"]]],
        ignore_index=True,
    )
    travel = router.travel_times(
        gpd.GeoDataFrame(sites, crs=inputs.crs), max_minutes=bound, sites_label=label
    )
    report = router.network_report
    log(f"{len(travel.od):,} area-site pairs within {bound:g} minutes")

    existing_ids = list(inputs.facilities["site_id"])
    supply_before = inputs.facilities.set_index("site_id")["capacity"]
    travel_before = _subset(travel, existing_ids, scenario.catchment_minutes)
    access_before = _access_scores(scenario, inputs, travel_before, supply_before)
    quality = _data_quality(scenario, inputs, travel_before, access_before, report)
    result = _solve_location(
        scenario, inputs, _subset(travel, sites["site_id"], location_catchment).od, candidates, log
    )
    log(result.report.summary())
    chosen = result.chosen
    units = chosen["units"] if "units" in chosen.columns else chosen["min_units"]
    added = pd.Series(
        units.to_numpy(dtype=float) * spec.capacity_per_unit, index=chosen["site_id"].to_numpy()
    )
    expanded = added[added.index.isin(supply_before.index)]
    new = added[~added.index.isin(supply_before.index)]
    supply_after = supply_before.add(expanded, fill_value=0.0)
    supply_after = pd.concat([supply_after, new])
    travel_after = _subset(travel, list(supply_after.index), scenario.catchment_minutes)
    access_after = _access_scores(scenario, inputs, travel_after, supply_after)
    # one set of measured areas for both states, so before and after compare like with like
    areas, rated = _rated(inputs, access_before, access_after)
    comparison = compare_inequity(
        access_before.access.reindex(areas.index)[rated],
        access_after.access.reindex(areas.index)[rated],
        areas.loc[rated, "population"],
        groups=areas.loc[rated, "group"] if "group" in areas.columns else None,
    )
    before, after = (
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
    )
    log(
        f"{len(chosen)} new site(s); Gini {before.inequity['gini']:.3f} -> "
        f"{after.inequity['gini']:.3f}; zero access {before.inequity['share_zero']:.1%} -> "
        f"{after.inequity['share_zero']:.1%}"
    )
    return PlanRun(
        before=before,
        candidates=candidates,
        location=result,
        after=after,
        comparison=comparison,
        supply_after=supply_after,
    )


def _write_plan_files(run: PlanRun, folder: Path) -> dict[str, Any]:
    """Write the plan files into ``folder``; return the summary (not yet written)."""
    areas = run.areas_frame()
    new_sites = run.new_sites_frame()
    summary = _summary(run.before)
    summary["location"] = {
        "model": run.location.model,
        "objective_name": run.location.objective_name,
        "solver": run.location.report.as_dict(),
        "totals": run.location.totals,
        "budget_dual": run.location.budget_dual,
        "new_sites": list(new_sites["site_id"]),
    }
    summary["inequity_after"] = run.after.inequity
    areas.to_file(folder / "plan.gpkg", layer="areas", engine="pyogrio")
    sites_after = run.sites_after_frame()
    sites_after.to_file(folder / "plan.gpkg", layer="sites_after", engine="pyogrio")
    sites_after.drop(columns="geometry").to_csv(folder / "sites_after.csv", index=False)
    if len(new_sites):
        new_sites.to_file(folder / "plan.gpkg", layer="new_sites", engine="pyogrio")
    new_sites.drop(columns="geometry").to_csv(folder / "new_sites.csv", index=False)
    areas.drop(columns="geometry").to_csv(folder / "areas_plan.csv", index=False)
    run.comparison.to_csv(folder / "inequity_before_after.csv")
    run.before.travel.od.to_csv(folder / "travel_times.csv", index=False)
    write_json(folder / "scenario.json", run.before.scenario.resolved())
    write_json(folder / "quality.json", {"items": list(run.before.quality)})
    return summary


def write_plan_outputs(run: PlanRun, out_dir: str | Path) -> Path:
    """Write the plan atomically.

    Writes ``plan.gpkg`` (layers ``areas`` with access before and after,
    ``sites_after``, ``new_sites``), ``new_sites.csv``, ``sites_after.csv``,
    ``areas_plan.csv``, ``inequity_before_after.csv``, ``travel_times.csv``,
    ``scenario.json`` and ``summary.json`` (with a ``location`` block holding
    the solver report).

    Parameters
    ----------
    run : PlanRun
    out_dir : str or Path

    Returns
    -------
    Path
    """
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        write_json(tmp / "summary.json", _write_plan_files(run, tmp))
    return out_dir.resolve()


# --------------------------------------------------------------------------
# Ventilators: Erlang C sizing from the demand each site serves
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeRun:
    """Access (and the plan, if any), then the ventilators each site needs."""

    base: AccessRun | PlanRun
    demand: Any  # accessplan.capacity.demand.SiteDemand
    sizing: pd.DataFrame
    pool_split: pd.DataFrame | None


def _final_access(run: AccessRun | PlanRun) -> tuple[AccessRun, pd.Series]:
    """The access run the sites are sized on, and the supply (capacity) per site."""
    if isinstance(run, PlanRun):
        return run.after, run.supply_after
    return run, run.inputs.facilities.set_index("site_id")["capacity"]


def size_ventilators(run: AccessRun | PlanRun, *, log: Log = _quiet) -> SizeRun:
    """Size every site (existing and new) to the target wait, or split a given pool.

    Expected daily ventilator patients per site come from the access model:
    each area's patients (``patients_per_100k_day`` x population / 100,000)
    choose among the sites in reach with Huff-style weights (capacity x the
    access decay). Mean stays are the facility's own ``mean_stay_days`` where
    the layer has one, the scenario's elsewhere (new sites). Current
    ventilators are the facility layer's ``ventilators`` (0 for new sites).

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

    access, supply = _final_access(run)
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
    if "ventilators" in facilities.columns:
        current.loc[facilities.index] = facilities["ventilators"].to_numpy(dtype=float)
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
    return SizeRun(base=run, demand=demand, sizing=sizing, pool_split=split)


def run_size(scenario: Scenario, *, progress: bool = True, log: Log = _quiet) -> SizeRun:
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


def write_size_outputs(run: SizeRun, out_dir: str | Path) -> Path:
    """Write access (and plan) outputs plus ``ventilators.csv`` atomically.

    ``ventilators.csv`` has one row per site: arrivals per day, mean stay,
    offered load, ventilators needed for the target wait, the wait and
    probability of waiting at that count, current count, shortfall, wait with
    the current count, and therapists; ``ventilator_pool.csv`` the split of a
    given pool when the scenario asks for one. ``summary.json`` gains a
    ``ventilators`` block.

    Parameters
    ----------
    run : SizeRun
    out_dir : str or Path

    Returns
    -------
    Path
    """
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        if isinstance(run.base, PlanRun):
            summary = _write_plan_files(run.base, tmp)
        else:
            summary = _write_access_files(run.base, tmp)
        _write_ventilator_files(run, tmp, summary)
        write_json(tmp / "summary.json", summary)
    return out_dir.resolve()


def _write_ventilator_files(run: SizeRun, folder: Path, summary: dict[str, Any]) -> None:
    """Write ``ventilators.csv`` (and the pool split) and add a block to ``summary``."""
    base = run.base.after if isinstance(run.base, PlanRun) else run.base
    spec = base.scenario.ventilators
    run.sizing.rename_axis("site_id").to_csv(folder / "ventilators.csv")
    if run.pool_split is not None:
        run.pool_split.rename_axis("site_id").to_csv(folder / "ventilator_pool.csv")
    summary["ventilators"] = {
        "target_wait_hours": spec.target_wait_hours,
        "patients_per_day": run.demand.total_patients_per_day,
        "unserved_patients_per_day": run.demand.unserved_patients_per_day,
        "needed": int(run.sizing["ventilators_needed"].sum()),
        "current": float(run.sizing["current"].sum()),
        "shortfall": float(run.sizing["shortfall"].sum()),
        "therapists": int(run.sizing["therapists"].sum()),
        "pool": None if run.pool_split is None else dict(run.pool_split.attrs),
    }


# --------------------------------------------------------------------------
# The whole plan: maps, figures and the report
# --------------------------------------------------------------------------


def run_full_plan(
    scenario: Scenario, *, progress: bool = True, log: Log = _quiet
) -> PlanRun | SizeRun:
    """Access before, location, access after and (with ``[ventilators]``) sizing.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``[location]`` section.
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    PlanRun or SizeRun
    """
    if scenario.ventilators is not None:
        return run_size(scenario, progress=progress, log=log)
    return run_plan(scenario, progress=progress, log=log)


def write_full_outputs(run: PlanRun | SizeRun, out_dir: str | Path, *, log: Log = _quiet) -> Path:
    """Write everything atomically: tables, layers, offline maps, figures and the report.

    Adds to the files of :func:`write_plan_outputs` (and ``ventilators.csv``):
    ``maps/before_after.html`` (side by side, synchronised),
    ``maps/layers.html`` (toggleable layers), ``maps/change.html`` (after -
    before), ``figures/*.png`` and ``report.html`` (self-contained).

    Parameters
    ----------
    run : PlanRun or SizeRun
    out_dir : str or Path
    log : callable, optional

    Returns
    -------
    Path
    """
    from accessplan.maps.figures import (
        access_distribution_figure,
        access_maps_figure,
        lorenz_figure,
    )
    from accessplan.maps.offline import render_offline_html, save_offline
    from accessplan.maps.report import write_report
    from accessplan.maps.webmap import before_after_map, change_map, layered_map

    plan = run.base if isinstance(run, SizeRun) else run
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        summary = _write_plan_files(plan, tmp)
        if isinstance(run, SizeRun):
            _write_ventilator_files(run, tmp, summary)
        areas = plan.areas_frame()
        sites = plan.sites_after_frame()
        new_sites = plan.new_sites_frame()
        (tmp / "maps").mkdir()
        (tmp / "figures").mkdir()
        log("drawing maps")
        maps = {}
        for title, name, builder in (
            ("Access before and after (synchronised)", "before_after", before_after_map),
            ("Access before and after (layers)", "layers", layered_map),
            ("Change in access", "change", change_map),
        ):
            # rendered once: the saved page and the report's embedded copy are the same
            page = render_offline_html(builder(areas, sites, new_sites, inequity=plan.comparison))
            save_offline(page, tmp / "maps" / f"{name}.html")
            maps[title] = page
        log("drawing figures")
        figures = {
            "Access before and after": access_maps_figure(
                areas, sites, tmp / "figures" / "access_maps.png"
            ),
            "Lorenz curves": lorenz_figure(areas, tmp / "figures" / "lorenz.png"),
            "Distribution of access": access_distribution_figure(
                areas, tmp / "figures" / "access_distribution.png"
            ),
        }
        write_report(
            tmp / "report.html",
            areas=areas,
            sites=sites,
            new_sites=new_sites,
            comparison=plan.comparison,
            summary=summary,
            scenario=plan.before.scenario.resolved(),
            ventilators=run.sizing.rename_axis("site_id").reset_index()
            if isinstance(run, SizeRun)
            else None,
            maps=maps,
            figures=figures,
            quality=plan.before.quality,
        )
        write_json(tmp / "summary.json", summary)
    return out_dir.resolve()
