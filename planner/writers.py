"""The writers of the pipeline: tables, layers, summary, maps, figures and report.

Every writer puts its files in a temporary folder that replaces the output
folder only when everything was written (:func:`accessplan.planner.output.atomic_output_dir`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from accessplan.planner.facts import (
    access_facts,
    coverage_facts,
    demand_facts,
    plan_facts,
    poverty_facts,
    run_facts,
    thresholds_for,
)
from accessplan.planner.inputs import source_attributes
from accessplan.planner.measures import (
    capacity_coverage_facts,
    capacity_coverage_run,
    measure_columns,
    measure_facts,
)
from accessplan.planner.output import atomic_output_dir, write_json
from accessplan.planner.plan import PlanRun
from accessplan.planner.quality import counts as quality_counts
from accessplan.planner.runs import AccessRun, Log, quiet
from accessplan.planner.sizing import SizeRun
from accessplan.planner.table_files import layer_options, write_csv, write_travel_times

__all__ = [
    "access_summary",
    "write_access_outputs",
    "write_full_outputs",
    "write_plan_outputs",
    "write_size_outputs",
]


def _plan_measures(run: PlanRun, areas):
    """The further measures before and after the plan: columns ``<measure>_before/_after``."""
    scenario, inputs, travel = run.before.scenario, run.before.inputs, run.travel_all
    need = inputs.areas.set_index("area_id")["need"]
    population = inputs.areas.set_index("area_id")["population"]
    thresholds = thresholds_for(scenario, travel.max_minutes)
    facts: dict[str, dict] = {}
    states = (
        ("before", inputs.facilities.set_index("site_id")["capacity"]),
        ("after", run.supply_after),
    )
    for state, supply in states:
        od = travel.od[travel.od["site_id"].isin(set(supply.index))]
        columns = measure_columns(scenario, od, need, supply, thresholds_minutes=thresholds)
        for column, value in measure_facts(columns, population).items():
            facts.setdefault(column, {})[state] = value
        areas = areas.join(columns.add_suffix(f"_{state}"), on="area_id")
    return areas, facts


def _plan_capacity_coverage(run: PlanRun, areas, folder: Path):
    """Capacity-limited coverage before and after the plan (new sites by their capacity)."""
    scenario, inputs, travel = run.before.scenario, run.before.inputs, run.travel_all
    population = inputs.areas.set_index("area_id")["population"]
    existing = inputs.facilities.set_index("site_id")
    after = pd.DataFrame({"capacity": run.supply_after.astype(float)})
    order = scenario.capacity_coverage["order"]
    if order not in ("population", "capacity"):
        # a new site's own column is unknown: it is ordered by the capacity it was given
        after[order] = existing[order].reindex(after.index).fillna(after["capacity"])
    facts, tables = {}, []
    for state, facilities in (("before", existing), ("after", after)):
        od = travel.od[travel.od["site_id"].isin(set(facilities.index))]
        result = capacity_coverage_run(scenario, od, population, facilities)
        facts[state] = capacity_coverage_facts(result)
        areas[f"capacity_uncovered_{state}"] = areas["area_id"].map(
            result.areas["uncovered_population"]
        )
        tables.append(result.facilities.assign(state=state))
    pd.concat(tables).rename_axis("site_id").to_csv(folder / "capacity_coverage.csv")
    return areas, facts


def _write_referral(run: AccessRun, folder: Path, summary: dict) -> None:
    """``referral.csv`` and ``summary["referral"]`` when the scenario has ``[referral]``."""
    if run.referral is None:
        return
    from accessplan.planner.referral import referral_facts

    run.referral.rename_axis("centre_id").to_csv(folder / "referral.csv")
    summary["referral"] = referral_facts(
        run.referral, max_minutes=run.scenario.referral["max_minutes"]
    )


def _zones(inputs, scenario):
    """The zone of each area and the zones' polygons (a ``name`` column).

    The ``[zones]`` layer's polygon holding each area's point; else the
    ``group`` column (its districts dissolved from the areas); else ``(None, None)``.
    """
    from accessplan.maps.context import district_boundaries

    if scenario.zones is not None:
        from accessplan.planner.inputs import read_layer
        from accessplan.spatial.coverage_indicators import assign_zones

        zones = read_layer(scenario.zones)
        points = inputs.areas.set_geometry("origin").set_index("area_id")
        labels = assign_zones(points, zones, id=scenario.zones.id)
        # zone ids are labels: numbers in the layer match the polygons' text names
        labels = labels.where(labels.isna(), labels.astype(str))
        polygons = zones.to_crs(inputs.crs).rename(columns={scenario.zones.id: "name"})
        polygons["name"] = polygons["name"].astype(str)
        return labels, polygons
    if "group" not in inputs.areas.columns:
        return None, None
    return (
        inputs.areas.set_index("area_id")["group"],
        district_boundaries(inputs.areas, group="group"),
    )


def _write_coverage(coverage: dict, folder: Path, *, polygons, gpkg: str) -> None:
    """``coverage.csv``, ``coverage_curve.csv``, ``zonal_coverage.csv`` and a ``zones`` layer."""
    coverage["table"].to_csv(folder / "coverage.csv")
    coverage["curve"].to_csv(folder / "coverage_curve.csv")
    zonal = coverage["zonal"]
    if zonal is None:
        return
    zonal.to_csv(folder / "zonal_coverage.csv")
    planned = "state" in zonal.index.names
    flat = zonal.xs("before", level="state") if planned else zonal
    flat = flat.drop(columns=["row"], errors="ignore")
    if planned:
        after = zonal.xs("after", level="state").drop(columns=["row"], errors="ignore")
        flat = flat.join(after.add_suffix("_after"))
    layer = polygons.merge(flat, left_on="name", right_index=True, how="left")
    layer.to_file(folder / gpkg, layer="zones", **layer_options(layer))


def _vector_areas(scenario):
    """The areas layer whose own columns the outputs keep (None for a population raster)."""
    return None if scenario.areas_raster is not None else scenario.areas


def with_source_attributes(frame, spec, id_column: str):
    """``frame`` with the user's own columns of ``spec``'s layer appended (by id).

    Columns whose name ``frame`` already has, in any case, are not repeated
    (the mapped ones: their values are ``frame``'s). Rows whose id is not in
    the layer (new sites) get empty values.
    """
    if spec is None:
        return frame
    source = source_attributes(spec)
    # GeoPackage column names ignore case: 'Name' beside our 'name' cannot be written
    taken = {str(c).casefold() for c in frame.columns}
    extra = [c for c in source.columns if str(c).casefold() not in taken]
    if not extra:
        return frame
    joined = source.loc[:, extra].reindex(frame[id_column].astype(str).to_numpy())
    joined.index = frame.index
    return pd.concat([frame, joined], axis=1)


def supply_facts(run: AccessRun) -> dict[str, Any]:
    """Each further supply's inequity and reach, for ``summary.json`` (``supplies``)."""
    areas = run.inputs.areas.set_index("area_id")
    out = {}
    for name, (result, inequity) in run.by_supply.items():
        reaches = result.reaches_supply.reindex(areas.index).fillna(False).astype(bool)
        without = ~reaches & (areas["need"] > 0)
        out[name] = {
            "column": run.scenario.facilities.columns.get(name),
            "total": float(run.inputs.facilities[name].astype(float).sum()),
            "inequity": inequity,
            "areas_without_supply": int(without.sum()),
            "population_without_supply": float(areas.loc[without, "population"].sum()),
        }
    return out


def supply_table(run: AccessRun) -> pd.DataFrame:
    """``inequity_by_supply.csv``: one row per supply (the main capacity first)."""
    rows = {"capacity": run.inequity}
    rows.update({name: inequity for name, (_, inequity) in run.by_supply.items()})
    return pd.DataFrame(rows).T.rename_axis("supply")


def access_summary(run: AccessRun) -> dict[str, Any]:
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
            # the main supply in place (the "total" of the first row of "Access by supply")
            "capacity_total": float(run.inputs.facilities["capacity"].astype(float).sum()),
        },
        "inequity": run.inequity,
        "quality": quality_counts(list(run.quality)),
        "run": run_facts(),
        "demand": demand_facts(run.scenario),
    }
    labels = access_facts(
        run.scenario, mean_access=run.inequity.get("mean", 0.0), network_report=run.network_report
    )
    raster = run.inputs.areas.attrs.get("raster")
    if raster:
        summary["raster"] = {k: (str(v) if k == "path" else v) for k, v in raster.items()}
    summary["travel_times"]["model_label"] = labels.pop("travel_label")
    summary["access"].update(labels)
    if run.scenario.catchment_km is not None:
        summary["access"]["catchment_km"] = run.scenario.catchment_km
    if run.by_supply:
        summary["supplies"] = supply_facts(run)
    if run.network_report is not None:
        summary["network"] = dataclasses.asdict(run.network_report)
    snap = run.travel.origin_snap
    if snap is not None and len(snap):
        summary["travel_times"]["snap_meters_max_areas"] = float(snap["snap_meters"].max())
        summary["travel_times"]["snap_meters_max_sites"] = float(
            run.travel.site_snap["snap_meters"].max()
        )
    return summary


def write_access_files(run: AccessRun, folder: Path) -> dict[str, Any]:
    """Write the access files into ``folder``; return the summary (not yet written)."""
    areas = run.areas_frame()
    facilities = run.facilities_frame()
    measures = {}
    if run.scenario.measures:
        travel = run.travel_all if run.travel_all is not None else run.travel
        inputs = run.inputs
        columns = measure_columns(
            run.scenario,
            travel.od,
            inputs.areas.set_index("area_id")["need"],
            inputs.facilities.set_index("site_id")["capacity"],
            thresholds_minutes=thresholds_for(run.scenario, travel.max_minutes),
        )
        areas = areas.join(columns, on="area_id")
        measures = measure_facts(columns, inputs.areas.set_index("area_id")["population"])
    capacity = None
    if run.scenario.capacity_coverage is not None:
        travel = run.travel_all if run.travel_all is not None else run.travel
        capacity = capacity_coverage_run(
            run.scenario,
            travel.od,
            run.inputs.areas.set_index("area_id")["population"],
            run.inputs.facilities.set_index("site_id"),
        )
        areas["capacity_uncovered"] = areas["area_id"].map(capacity.areas["uncovered_population"])
        capacity.facilities.rename_axis("site_id").to_csv(folder / "capacity_coverage.csv")
    areas = with_source_attributes(areas, _vector_areas(run.scenario), "area_id")
    facilities = with_source_attributes(facilities, run.scenario.facilities, "site_id")
    areas.to_file(folder / "access.gpkg", layer="areas", **layer_options(areas))
    facilities.to_file(folder / "access.gpkg", layer="facilities", **layer_options(facilities))
    write_csv(areas.drop(columns="geometry"), folder / "areas_access.csv", index=False)
    write_csv(facilities.drop(columns="geometry"), folder / "facilities_access.csv", index=False)
    travel_file = write_travel_times(run.travel, folder, output=run.scenario.travel_times_output)
    if run.by_supply:
        supply_table(run).to_csv(folder / "inequity_by_supply.csv")
    poverty = poverty_facts(run.scenario, areas)
    poverty.to_csv(folder / "poverty.csv")
    travel = run.travel_all if run.travel_all is not None else run.travel
    zone_of, polygons = _zones(run.inputs, run.scenario)
    coverage = coverage_facts(
        run.scenario,
        travel.od,
        run.inputs.areas.set_index("area_id")["population"],
        bound_minutes=travel.max_minutes,
        before_ids=run.inputs.facilities["site_id"],
        groups=zone_of,
        nearest=run.nearest,
    )
    _write_coverage(coverage, folder, polygons=polygons, gpkg="access.gpkg")
    write_json(folder / "scenario.json", run.scenario.resolved())
    write_json(folder / "quality.json", {"items": list(run.quality)})
    summary = access_summary(run)
    summary["travel_times"].update(travel_file)
    summary["poverty"] = poverty["value"].to_dict()
    summary["coverage"] = coverage["summary"]
    if measures:
        summary["measures"] = measures
    if capacity is not None:
        summary["capacity_coverage"] = capacity_coverage_facts(capacity)
    _write_referral(run, folder, summary)
    return summary


def write_access_outputs(
    run: AccessRun, out_dir: str | Path, *, report: bool = True, log: Log = quiet
) -> Path:
    """Write the access results atomically.

    Writes ``access.gpkg`` (layers ``areas`` and ``facilities``),
    ``areas_access.csv``, ``facilities_access.csv``, the travel times
    (``travel_times.csv`` or ``.parquet`` as ``[output] travel_times`` says,
    :func:`accessplan.planner.table_files.write_travel_times`; ``summary.json``
    ``travel_times.file`` names the file), ``summary.json`` and
    ``scenario.json`` (the scenario as run); with
    ``report``, also ``report.html``, ``maps/access.html``, ``figures/*.png``
    and ``districts.csv``, drawn from those files
    (:func:`accessplan.planner.access_board.write_access_board`).

    Parameters
    ----------
    run : AccessRun
    out_dir : str or Path
    report : bool, default True
        Draw the map, figures and report.
    log : callable, optional
        Receives one line per step of the report.

    Returns
    -------
    Path
        The output folder.
    """
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        write_json(tmp / "summary.json", write_access_files(run, tmp))
        if report:
            from accessplan.planner.access_board import write_access_board

            # the report reads the files just written, nothing else (one-way data flow)
            write_access_board(tmp, log=log)
    return out_dir.resolve()


def write_plan_files(run: PlanRun, folder: Path) -> dict[str, Any]:
    """Write the plan files into ``folder``; return the summary (not yet written)."""
    areas = run.areas_frame()
    new_sites = run.new_sites_frame()
    summary = access_summary(run.before)
    summary["location"] = {
        "model": run.location.model,
        "objective_name": run.location.objective_name,
        "solver": run.location.report.as_dict(),
        "totals": run.location.totals,
        "budget_dual": run.location.budget_dual,
        "new_sites": list(new_sites["site_id"]),
    }
    summary["inequity_after"] = run.after.inequity
    summary["plan"] = plan_facts(run)
    if run.before.scenario.measures:
        areas, summary["measures"] = _plan_measures(run, areas)
    if run.before.scenario.capacity_coverage is not None:
        areas, summary["capacity_coverage"] = _plan_capacity_coverage(run, areas, folder)
    areas = with_source_attributes(areas, _vector_areas(run.before.scenario), "area_id")
    areas.to_file(folder / "plan.gpkg", layer="areas", **layer_options(areas))
    sites_after = with_source_attributes(
        run.sites_after_frame(), run.before.scenario.facilities, "site_id"
    )
    sites_after.to_file(folder / "plan.gpkg", layer="sites_after", **layer_options(sites_after))
    write_csv(sites_after.drop(columns="geometry"), folder / "sites_after.csv", index=False)
    if len(new_sites):
        new_sites.to_file(folder / "plan.gpkg", layer="new_sites", **layer_options(new_sites))
    write_csv(new_sites.drop(columns="geometry"), folder / "new_sites.csv", index=False)
    # the candidates the model chose from (generated ones exist nowhere else)
    candidates = run.candidates.assign(
        chosen=run.candidates["site_id"].isin(set(new_sites["site_id"]))
    )
    candidates.to_file(folder / "plan.gpkg", layer="candidates", **layer_options(candidates))
    write_csv(candidates.drop(columns="geometry"), folder / "candidates.csv", index=False)
    write_csv(areas.drop(columns="geometry"), folder / "areas_plan.csv", index=False)
    run.comparison.to_csv(folder / "inequity_before_after.csv")
    poverty = poverty_facts(run.before.scenario, areas)
    poverty.to_csv(folder / "poverty_before_after.csv")
    summary["poverty"] = poverty.to_dict(orient="index")
    inputs = run.before.inputs
    zone_of, polygons = _zones(inputs, run.before.scenario)
    coverage = coverage_facts(
        run.before.scenario,
        run.travel_all.od,
        inputs.areas.set_index("area_id")["population"],
        bound_minutes=run.travel_all.max_minutes,
        before_ids=inputs.facilities["site_id"],
        after_ids=list(run.supply_after.index),
        groups=zone_of,
        nearest=run.nearest,
    )
    _write_coverage(coverage, folder, polygons=polygons, gpkg="plan.gpkg")
    summary["coverage"] = coverage["summary"]
    _write_referral(run.before, folder, summary)
    if run.before.by_supply:
        supply_table(run.before).to_csv(folder / "inequity_by_supply.csv")
    summary["travel_times"].update(
        write_travel_times(
            run.before.travel, folder, output=run.before.scenario.travel_times_output
        )
    )
    write_json(folder / "scenario.json", run.before.scenario.resolved())
    write_json(folder / "quality.json", {"items": list(run.before.quality)})
    return summary


def write_plan_outputs(run: PlanRun, out_dir: str | Path) -> Path:
    """Write the plan atomically.

    Writes ``plan.gpkg`` (layers ``areas`` with access before and after,
    ``sites_after``, ``new_sites``), ``new_sites.csv``, ``sites_after.csv``,
    ``areas_plan.csv``, ``inequity_before_after.csv``, the travel times
    (``travel_times.csv`` or ``.parquet``, see :func:`write_access_outputs`),
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
        write_json(tmp / "summary.json", write_plan_files(run, tmp))
    return out_dir.resolve()


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
            summary = write_plan_files(run.base, tmp)
        else:
            summary = write_access_files(run.base, tmp)
        write_ventilator_files(run, tmp, summary)
        write_json(tmp / "summary.json", summary)
    return out_dir.resolve()


def write_ventilator_files(run: SizeRun, folder: Path, summary: dict[str, Any]) -> None:
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
        "credited_units": run.credited_units,
        "pool": None if run.pool_split is None else dict(run.pool_split.attrs),
    }


def write_full_outputs(run: PlanRun | SizeRun, out_dir: str | Path, *, log: Log = quiet) -> Path:
    """Write everything atomically: tables, layers, offline maps, figures and the report.

    Adds to the files of :func:`write_plan_outputs` (and ``ventilators.csv``):
    ``maps/before_after.html`` (side by side, synchronised),
    ``maps/layers.html`` (toggleable layers), ``maps/change.html`` (after -
    before), ``figures/*.png``, ``districts.csv`` (with a ``group`` column),
    QGIS styles inside ``plan.gpkg`` and ``report.html`` (self-contained);
    see :func:`accessplan.planner.board.write_board`.

    Parameters
    ----------
    run : PlanRun or SizeRun
    out_dir : str or Path
    log : callable, optional

    Returns
    -------
    Path
    """
    from accessplan.planner.board import write_board

    plan = run.base if isinstance(run, SizeRun) else run
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        summary = write_plan_files(plan, tmp)
        if isinstance(run, SizeRun):
            write_ventilator_files(run, tmp, summary)
        write_board(run, tmp, summary, log=log)
        write_json(tmp / "summary.json", summary)
    return out_dir.resolve()
