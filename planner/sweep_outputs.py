"""The files of a sweep, written atomically into one output folder.

``sweep.csv`` (one row per point, :data:`accessplan.planner.sweep.SWEEP_COLUMNS`),
``sweep.gpkg`` (layers ``point_<n>_sites`` and ``point_<n>_areas`` for every
point, and ``candidates`` with the share of points choosing each),
``frontier.csv`` and ``site_frequency.csv`` (:mod:`accessplan.planner.policy`),
``robust.csv`` and ``pareto.csv`` when the sweep asked for them,
``summary.json``, ``scenario.json`` and ``report.html`` (the policy report of
:mod:`accessplan.maps.policy_report`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from accessplan.planner.facts import demand_facts, run_facts
from accessplan.planner.output import atomic_output_dir, write_json
from accessplan.planner.runs import Log, quiet

__all__ = ["sweep_summary", "write_sweep_files", "write_sweep_outputs"]


def _point_sites(run, result) -> gpd.GeoDataFrame:
    sites = result.sites
    where = pd.concat(
        [run.candidates[["site_id", "geometry"]], run.facilities[["site_id", "geometry"]]],
        ignore_index=True,
    ).drop_duplicates("site_id")
    out = where.merge(sites, on="site_id", how="right")
    if "name" in run.candidates.columns:
        out = out.merge(run.candidates[["site_id", "name"]], on="site_id", how="left")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=run.areas.crs)


def _point_areas(run, result) -> gpd.GeoDataFrame:
    frame = result.areas.rename(columns={"population": "population_point"})
    frame["access_change"] = frame["access_after"] - frame["access_before"]
    frame["newly_covered"] = frame["covered_after"] & ~frame["covered_before"]
    out = run.areas[["area_id", "geometry"]].merge(
        frame, left_on="area_id", right_index=True, how="left"
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=run.areas.crs)


def _write_layer(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def sweep_summary(run, *, frontier=None, frequency=None) -> dict[str, Any]:
    """The facts of a sweep for ``summary.json`` and the report."""
    table = run.table
    spec = run.spec
    summary: dict[str, Any] = {
        "scenario": run.scenario.name,
        "crs": run.areas.crs.to_string() if run.areas.crs is not None else None,
        "points": len(run.points),
        "dimensions": spec.to_json(),
        "jobs": run.jobs,
        "seconds": run.seconds,
        "travel_times": {"pairs": run.travel_pairs, "max_minutes": run.travel_max_minutes},
        "objective": run.scenario.location.objective,
        "proven_optimal": int(table["proven_optimal"].sum()),
        "not_proven": [int(p) for p in table.loc[~table["proven_optimal"], "point"]],
        "coverage_share": {
            "min": float(table["coverage_share"].min()),
            "max": float(table["coverage_share"].max()),
        },
        "notes": list(run.notes),
        "run": run_facts(),
        "demand": demand_facts(run.scenario),
    }
    if frequency is not None and len(frequency):
        robust = frequency.loc[frequency["robust"], "site_id"]
        summary["robust_sites"] = [str(s) for s in robust]
    if frontier is not None and "knee" in frontier.columns:
        knees = frontier.loc[frontier["knee"].fillna(False).astype(bool), "point"]
        summary["knee_points"] = [int(p) for p in knees]
    if run.robust is not None:
        summary["robust"] = run.robust.facts()
    if run.pareto is not None:
        summary["pareto"] = run.pareto.facts()
    return summary


def write_sweep_files(run, folder: Path, *, log: Log = quiet) -> dict[str, Any]:
    """Write every file of the sweep into ``folder``; return the summary (also written)."""
    from accessplan.planner.policy import efficiency_frontier, site_frequency

    table = run.table
    table.to_csv(folder / "sweep.csv", index=False)
    frontier = efficiency_frontier(table)
    frontier.to_csv(folder / "frontier.csv", index=False)
    frequency = site_frequency(table, run.candidates)
    pd.DataFrame(frequency.drop(columns="geometry", errors="ignore")).to_csv(
        folder / "site_frequency.csv", index=False
    )
    gpkg = folder / "sweep.gpkg"
    log(f"writing {len(run.points)} point(s) of layers to {gpkg.name}")
    for point, result in zip(run.points, run.results, strict=True):
        sites = _point_sites(run, result)
        if len(sites):
            _write_layer(sites, gpkg, f"point_{point.index}_sites")
        else:
            # an empty layer still says "no new sites at this point"
            empty = gpd.GeoDataFrame(
                {"site_id": pd.Series([], dtype=str), "units": [], "cost": []},
                geometry=gpd.GeoSeries([], crs=run.areas.crs),
            )
            _write_layer(empty, gpkg, f"point_{point.index}_sites")
        _write_layer(_point_areas(run, result), gpkg, f"point_{point.index}_areas")
    if isinstance(frequency, gpd.GeoDataFrame):
        _write_layer(frequency, gpkg, "candidates")
    if run.robust is not None:
        run.robust.table.to_csv(folder / "robust.csv", index=False)
    if run.pareto is not None:
        run.pareto.table.to_csv(folder / "pareto.csv", index=False)
        if run.pareto.plan_layers:
            for name, layer in run.pareto.plan_layers.items():
                _write_layer(layer, folder / "pareto_plan.gpkg", name)
    summary = sweep_summary(run, frontier=frontier, frequency=frequency)
    write_json(folder / "summary.json", summary)
    write_json(folder / "scenario.json", run.scenario.resolved())
    _report(run, folder, summary=summary, frontier=frontier, frequency=frequency, log=log)
    return summary


def _report(run, folder: Path, *, summary, frontier, frequency, log: Log) -> None:
    try:
        from accessplan.maps.policy_report import write_policy_report
    except ImportError:
        log("the policy report (accessplan.maps.policy_report) is not available: no report.html")
        return
    areas = None
    if run.results:
        # the areas of the scenario's own point when there is one, else of the last point
        areas = _point_areas(run, run.results[-1])
    write_policy_report(
        folder / "report.html",
        summary=summary,
        sweep=run.table,
        frontier=frontier,
        frequency=frequency,
        candidates=run.candidates,
        areas=areas,
        robust=None if run.robust is None else run.robust.table,
        pareto=None if run.pareto is None else run.pareto.table,
        scenario=run.scenario.resolved(),
        figures_dir=folder,  # frontier.png, site_frequency.png, pareto.png beside the report
    )


def write_sweep_outputs(run, out_dir: str | Path, *, log: Log = quiet) -> Path:
    """Write the sweep atomically (see the module notes for the files).

    Parameters
    ----------
    run : accessplan.planner.sweep.SweepRun
    out_dir : str or Path
        Replaced whole only when every file was written.
    log : callable, optional

    Returns
    -------
    Path
        The output folder.
    """
    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir) as tmp:
        write_sweep_files(run, tmp, log=log)
    return out_dir.resolve()
