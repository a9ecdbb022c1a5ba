"""The whole plan on synthetic regions of growing size: time and peak memory per stage.

For each size (areas x road nodes) the region is built by
``benchmarks/scale_region.py`` under ``--workdir`` (reused when its
``region.json`` matches), then:

1. **Stages, in-process.** A child Python process runs the plan stage by stage
   through the public functions the pipeline uses
   (:func:`accessplan.planner.runs.load_inputs`,
   :func:`accessplan.spatial.network.load_network`,
   :func:`accessplan.spatial.travel_time.network_travel_times`,
   :func:`accessplan.planner.runs.access_scores_for`,
   :func:`accessplan.planner.plan.solve_location_model`,
   :func:`accessplan.planner.sizing.size_ventilators`,
   :func:`accessplan.planner.writers.write_full_outputs`), in the order of
   :func:`accessplan.planner.plan.run_plan`. Stages: inputs, network,
   snapping, travel times, access (before + after), location, sizing,
   tables (``plan.gpkg`` and CSVs), maps (context, three web maps, figures,
   QGIS styles, districts) and report (``report.html``); the last three are
   the steps of ``write_full_outputs``, told apart by its step messages.
   *snapping* is timed on its own (:class:`RoadArrays` of the graph and a
   scikit-learn KD-tree query of every area and site, as the travel-time
   step does it); the travel-time stage snaps again inside
   ``network_travel_times``.
2. **End to end.** One ``accessplan plan scenario.toml`` subprocess, as a user
   runs it.

**Peak memory** per stage is the process's resident set high-water mark: the
kernel's ``VmHWM`` is reset at the start of each stage (``echo 5 >
/proc/self/clear_refs``) and read at its end; where the reset is not allowed,
a thread samples ``VmRSS`` every 50 ms instead (the JSON says which). The
CBC solver runs as a separate process: the same thread samples the
proportional set size (PSS, ``/proc/PID/smaps_rollup``) of this process's
descendants (``solver_peak_gb``; PSS, so that a child forked from this
process does not count the pages it still shares) and the location stage's
peak is the largest sum of both (``with_solver_peak_gb``).
``getrusage(RUSAGE_CHILDREN)`` is not used for the solver: a child started
by fork/exec carries its parent's high-water mark into ``ru_maxrss``.
The end-to-end run's peak is the larger of ``ru_maxrss`` of that subprocess
(``os.wait4``, as ``/usr/bin/time`` reports it: the largest single process)
and the sum of PSS over its process tree polled every 0.5 s (the process and
the solver together; the same sum is held against ``--max-memory-gb``).

**Honest limits.** ``--max-minutes`` bounds each run (stages, and the end to
end run, separately) and ``--max-memory-gb`` the memory of its process
tree (PSS summed, polled every 0.5 s); a run over either is killed and the table
says "did not finish within X min" or "stopped above X GB" at the stage it
had reached. Later stages say "not reached".

**Growth exponents**: the least-squares slope of log(seconds) and of
log(GB the stage added above the resident memory it started with) against
log(size) over the sizes that finished the stage; size is road nodes for
network, snapping and travel times, areas for the others (end to end:
areas, and its whole peak).

**The lean path.** When ``accessplan.spatial.road_load.load_road_arrays`` is
importable (``--network-path auto``, the default) the network stage uses it
and the snapping and travel-time stages receive its
:class:`~accessplan.spatial.road_arrays.RoadArrays` (its network cache is
off unless ``--network-cache``, so the stage measures parsing);
``--network-path graph`` forces today's networkx path. ``--at REV`` runs the
code of a commit (``git archive`` into the workdir), so a benchmark does not
measure whatever the working tree holds at the time. ``--set section.key=value`` items go to both
runs (e.g. ``--set compute.jobs=2``).

Run from the repository root::

    .venv/bin/python benchmarks/scale_plan.py --sizes 10k:50k,50k:200k --workdir /tmp/scale

Writes ``WORKDIR/scale_plan.json`` and prints a markdown table.

Beside this file: ``stage_meter.py`` (the per-stage time and memory meter and
the supervised subprocess) and ``scale_plan_table.py`` (the table and the
growth exponents); ``scale_region.py`` builds the regions.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scale_plan_table import exponents, markdown
from scale_region import RegionSpec, build_region, parse_count
from stage_meter import GB, StageMeter, Supervised, supervise

# --------------------------------------------------------------------------
# The stages (child process)
# --------------------------------------------------------------------------


def lean_network_loader():
    """``load_road_arrays`` of the lean path when the code being run has it, else None.

    Under ``--at REV`` the package comes from an exported tree; a module that
    tree lacks must not be picked up from the working tree (the editable
    install's finder would), so it must sit beside ``accessplan.spatial``.
    """
    import accessplan.spatial

    try:
        from accessplan.spatial import road_load
    except ImportError:
        return None
    here = Path(accessplan.spatial.__file__).parent
    if Path(road_load.__file__).parent != here:
        return None
    return getattr(road_load, "load_road_arrays", None)


def _call_with_known(func, *args, **options):
    """Call ``func`` with the keyword options it accepts (lean functions are young)."""
    params = inspect.signature(func).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        options = {k: v for k, v in options.items() if k in params}
    return func(*args, **options)


def run_stages(
    scenario_path: Path,
    out_dir: Path,
    meter: StageMeter,
    *,
    network_path: str,
    sets,
    network_cache: bool = False,
    no_map_roads: bool = False,
):
    """Run the plan of ``scenario_path`` stage by stage (see the module docstring)."""
    import geopandas as gpd
    import networkx as nx
    import numpy as np
    import pandas as pd
    from sklearn.neighbors import KDTree

    from accessplan.planner.labels import demand_label
    from accessplan.planner.plan import (
        AccessSettings,
        PlanRun,
        access_states,
        solve_location_model,
        supply_after_plan,
    )
    from accessplan.planner.runs import (
        access_scores_for,
        data_quality,
        load_inputs,
        subset_travel,
    )
    from accessplan.planner.scenario import load_scenario
    from accessplan.planner.sizing import size_ventilators
    from accessplan.planner.writers import write_full_outputs
    from accessplan.spatial import network as net
    from accessplan.spatial import travel_time as tt
    from accessplan.spatial.road_arrays import RoadArrays

    meter.begin("inputs")
    scenario = load_scenario(scenario_path, overrides=list(sets))
    scenario = dataclasses.replace(scenario, output_dir=out_dir)
    inputs = load_inputs(scenario, with_candidates=True)
    candidates = inputs.candidates
    sites = gpd.GeoDataFrame(
        pd.concat(
            [inputs.facilities[["site_id", "geometry"]], candidates[["site_id", "geometry"]]],
            ignore_index=True,
        ),
        crs=inputs.crs,
    )
    origins = gpd.GeoDataFrame(
        {"area_id": inputs.areas["area_id"].to_numpy()},
        geometry=inputs.areas["origin"].to_numpy(),
        crs=inputs.crs,
    )
    meter.end(areas=len(inputs.areas), sites=len(sites))

    spec = scenario.network
    loader = lean_network_loader() if network_path in ("auto", "arrays") else None
    if network_path == "arrays" and loader is None:
        raise RuntimeError("--network-path arrays: accessplan.spatial.road_load is not installed")
    meter.begin("network")
    options = {
        "network_type": spec.network_type,
        "to_crs": inputs.crs,
        "fallback_speed_kph": spec.fallback_speed_kph,
        "speed_kph": spec.speed_kph,
        "progress": False,
    }
    if loader is not None:
        options["cache_dir"] = Path(scenario_path).parent / ".accessplan-cache"
        options["use_cache"] = network_cache
        loaded = _call_with_known(loader, spec.path, **options)
        network, report = loaded if isinstance(loaded, tuple) else (loaded, None)
        how = f"{loader.__module__}.{loader.__name__}"
    else:
        network, report = net.load_network(spec.path, **options)
        how = "accessplan.spatial.network.load_network (networkx)"
    if isinstance(network, nx.MultiDiGraph):
        size = {"nodes": network.number_of_nodes(), "edges": network.number_of_edges()}
    else:
        size = {"nodes": int(network.n_nodes), "edges": int(network.n_edges)}
    meter.end(path=how, **size)

    meter.begin("snapping")
    arrays = network if isinstance(network, RoadArrays) else RoadArrays.from_graph(network)
    tree = KDTree(arrays.xy)
    for points in (origins, sites):
        xy = np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])
        tree.query(xy, k=1)
    del tree, arrays
    meter.end()

    bound = scenario.routing_minutes
    meter.begin("travel times")
    travel = tt.network_travel_times(
        network,
        origins,
        sites,
        origin_id="area_id",
        site_id="site_id",
        max_minutes=bound,
        access_speed_kph=spec.access_speed_kph,
        max_snap_meters=spec.max_snap_meters,
        origins_label=scenario.areas.label,
        sites_label=scenario.candidates.label,
    )
    meter.end(pairs=len(travel.od), od_gb=round(travel.od.memory_usage(deep=True).sum() / GB, 3))

    # access before (existing sites), as run_plan
    meter.begin("access")
    location_spec = scenario.location
    existing_ids = list(inputs.facilities["site_id"])
    supply_before = inputs.facilities.set_index("site_id")["capacity"]
    travel_before = subset_travel(travel, existing_ids, scenario.catchment_minutes)
    access_before = access_scores_for(scenario, inputs, travel_before, supply_before)
    quality = data_quality(scenario, inputs, travel_before, access_before, report)
    meter.end(part="before")

    meter.begin("location")
    catchment = location_spec.catchment_minutes or scenario.catchment_minutes
    result = solve_location_model(
        location_spec,
        subset_travel(travel, sites["site_id"], catchment).od,
        inputs.areas.set_index("area_id")["need"],
        inputs.facilities[["site_id", "capacity"]],
        candidates,
        access=AccessSettings(scenario.access_method, scenario.catchment_minutes, scenario.decay),
        demand_label=demand_label(scenario),
    )
    chosen = result.chosen
    meter.end(
        new_sites=sorted(map(str, chosen["site_id"])),
        status=result.report.summary(),
    )

    # access after the plan, with the pipeline's own public steps (planner.plan)
    meter.begin("access")
    supply_after, units = supply_after_plan(
        chosen, supply_before, capacity_per_unit=location_spec.capacity_per_unit
    )
    travel_after = subset_travel(travel, list(supply_after.index), scenario.catchment_minutes)
    access_after = access_scores_for(scenario, inputs, travel_after, supply_after)
    before, after, comparison = access_states(
        scenario,
        inputs,
        report=report,
        quality=quality,
        before=(travel_before, access_before),
        after=(travel_after, access_after),
    )
    plan = PlanRun(
        before=before,
        candidates=candidates,
        location=result,
        after=after,
        comparison=comparison,
        supply_after=supply_after,
        travel_all=travel,
        units_added=units,
        graph=None if no_map_roads else network,
    )
    meter.end(
        part="after",
        gini_before=round(float(before.inequity["gini"]), 6),
        gini_after=round(float(after.inequity["gini"]), 6),
    )

    meter.begin("sizing")
    sized = size_ventilators(plan)
    meter.end(ventilators_needed=int(sized.sizing["ventilators_needed"].sum()))

    def step(message: str) -> None:  # write_board numbers its steps "[k/n] ..."
        if message.startswith("[1/"):
            meter.begin("maps")
        elif message.startswith("[") and message.endswith("report.html"):
            meter.begin("report")

    meter.begin("tables")
    folder = write_full_outputs(sized, out_dir, log=step)
    report_html = Path(folder) / "report.html"
    meter.end(report_mb=round(report_html.stat().st_size / 1e6, 2))


def _child_main(args) -> int:
    result_path = Path(args.result)

    def save(results):
        tmp = result_path.with_suffix(".part")
        tmp.write_text(json.dumps({"stages": results, "method": meter.method}, indent=1))
        tmp.replace(result_path)

    meter = StageMeter(save)
    try:
        run_stages(
            Path(args.child),
            Path(args.out),
            meter,
            network_path=args.network_path,
            sets=args.set,
            network_cache=args.network_cache,
            no_map_roads=args.no_map_roads,
        )
    except Exception as exc:
        failed = meter.current
        meter.end(error=f"{type(exc).__name__}: {exc}"[:2000])
        print(f"stage {failed} failed: {exc!r}", file=sys.stderr)
        return 1
    finally:
        meter.close()
    return 0


# --------------------------------------------------------------------------
# Running a size (parent process)
# --------------------------------------------------------------------------


def _note(run: Supervised, args) -> str:
    if run.killed == "time":
        return f"did not finish within {args.max_minutes:g} min"
    if run.killed == "memory":
        return f"stopped above {args.max_memory_gb:g} GB"
    return f"failed (exit {run.returncode})"


def export_code(rev: str, workdir: Path) -> tuple[str, Path]:
    """Export the committed tree ``rev`` (``git archive``) and a package root for PYTHONPATH.

    Returns the full commit id and the folder to put first on ``PYTHONPATH``
    (``accessplan/<folder>`` symlinks into the export, and a ``sitecustomize``
    that removes the editable install's import hooks), so the children run
    that commit and nothing of the working tree.
    """
    repo = Path(__file__).resolve().parents[1]
    sha = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", f"{rev}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    root = workdir / f"code-{sha[:12]}"
    pkgroot = root / "pkgroot"
    if not (pkgroot / "accessplan").is_dir():
        src = root / "src"
        shutil.rmtree(root, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", "--format=tar", sha],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        (pkgroot / "accessplan").mkdir(parents=True)
        for folder in ("spatial", "location", "capacity", "maps", "planner", "data"):
            (pkgroot / "accessplan" / folder).symlink_to(src / folder)
        (pkgroot / "sitecustomize.py").write_text(_NO_EDITABLE, encoding="utf-8")
    return sha, pkgroot


#: sitecustomize of an exported tree: the editable install's finder would
#: otherwise serve the working tree's modules that the commit does not have
_NO_EDITABLE = """import sys

sys.meta_path[:] = [
    f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable__")
]
sys.path_hooks[:] = [
    h
    for h in sys.path_hooks
    if not getattr(getattr(h, "__self__", None), "__module__", "").startswith("__editable__")
]
sys.path_importer_cache.clear()
"""


def run_size(areas: int, nodes: int, args) -> dict:
    spec = RegionSpec(
        areas=areas,
        nodes=nodes,
        facilities=args.facilities,
        candidates=args.candidates,
        seed=args.seed,
    )
    folder = args.workdir / spec.name
    record_path = folder / "region.json"
    want = dataclasses.asdict(spec)
    reuse = False
    if record_path.is_file():
        record = json.loads(record_path.read_text())
        reuse = record.get("spec") == want and (record.get("graphml") or not args.graphml)
    if not reuse:
        print(f"building {spec.name} in {folder}", flush=True)
        build_region(spec, folder, graphml=args.graphml)
    region = json.loads(record_path.read_text())
    scenario = folder / ("scenario_graphml.toml" if args.graphml else "scenario.toml")
    out: dict = {"areas": areas, "nodes": nodes, "region": region["totals"], "folder": str(folder)}

    if not args.no_stages:
        result = folder / "stages.json"
        result.unlink(missing_ok=True)
        stage_out = folder / "out-stages"
        shutil.rmtree(stage_out, ignore_errors=True)
        command = [
            sys.executable,
            __file__,
            "--child",
            str(scenario),
            "--result",
            str(result),
            "--out",
            str(stage_out),
            "--network-path",
            args.network_path,
            *(["--network-cache"] if args.network_cache else []),
            *(["--no-map-roads"] if args.no_map_roads else []),
            *[x for s in args.set for x in ("--set", s)],
        ]
        print(f"{spec.name}: stages in-process (limit {args.max_minutes:g} min)", flush=True)
        run = supervise(
            command,
            max_minutes=args.max_minutes,
            max_memory_gb=args.max_memory_gb,
            log_path=folder / "stages.log",
            env=args.env,
        )
        stages = json.loads(result.read_text()) if result.is_file() else {"stages": []}
        out["stages"] = stages["stages"]
        out["memory_method"] = stages.get("method")
        out["stages_run"] = dataclasses.asdict(run)
        if run.returncode != 0:
            out["stages_note"] = _note(run, args)
        shutil.rmtree(stage_out, ignore_errors=True)

    if not args.no_e2e:
        e2e_out = folder / "out-e2e"
        shutil.rmtree(e2e_out, ignore_errors=True)
        command = [
            sys.executable,
            "-m",
            "accessplan.planner.cli",
            "plan",
            str(scenario),
            "--out",
            str(e2e_out),
            "-v",
            *[x for s in args.set for x in ("--set", s)],
        ]
        print(f"{spec.name}: accessplan plan end to end", flush=True)
        run = supervise(
            command,
            max_minutes=args.max_minutes,
            max_memory_gb=args.max_memory_gb,
            log_path=folder / "e2e.log",
            env=args.env,
        )
        out["e2e"] = dataclasses.asdict(run)
        if run.returncode != 0:
            out["e2e"]["note"] = _note(run, args)
        summary = e2e_out / "summary.json"
        if summary.is_file():
            data = json.loads(summary.read_text())
            out["e2e"]["new_sites"] = sorted(map(str, data["location"]["new_sites"]))
            out["e2e"]["gini_after"] = data.get("inequity_after", {}).get("gini")
        staged = {x["stage"]: x for x in out.get("stages", []) if "error" not in x}
        if summary.is_file() and "sizing" in staged:  # both runs chose and scored a plan
            location = next(x for x in out["stages"] if x["stage"] == "location")
            after = next(x for x in out["stages"] if x.get("part") == "after")
            out["e2e"]["same_plan_as_stages"] = (
                out["e2e"]["new_sites"] == location["new_sites"]
                and abs((out["e2e"]["gini_after"] or 0) - after["gini_after"]) < 1e-6
            )
        report = e2e_out / "report.html"
        if report.is_file():
            out["e2e"]["report_mb"] = round(report.stat().st_size / 1e6, 2)
        if not args.keep_outputs:
            shutil.rmtree(e2e_out, ignore_errors=True)
    return out


def _sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        areas, _, nodes = item.partition(":")
        if not nodes:
            raise argparse.ArgumentTypeError(f"a size is AREAS:NODES (e.g. 10k:50k), got {item!r}")
        out.append((parse_count(areas), parse_count(nodes)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes("10k:50k,50k:200k"),
        help="comma-separated AREAS:NODES (default 10k:50k,50k:200k; the issue's "
        "target is 500k:1M)",
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/scale"))
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--facilities", type=parse_count, default=2_000)
    parser.add_argument("--candidates", type=parse_count, default=1_000)
    parser.add_argument("--max-minutes", type=float, default=20.0, help="per run (default 20)")
    parser.add_argument(
        "--max-memory-gb", type=float, default=12.0, help="per run, process tree (default 12)"
    )
    parser.add_argument("--graphml", action="store_true", help="roads as GraphML, not OSM PBF")
    parser.add_argument("--network-path", choices=("auto", "graph", "arrays"), default="auto")
    parser.add_argument(
        "--network-cache",
        action="store_true",
        help="lean path: read and write the network cache beside the scenario (default: "
        "parse the file every time)",
    )
    parser.add_argument(
        "--no-map-roads",
        action="store_true",
        help="stages: maps without the road layer (PlanRun.graph None), for a lean network "
        "the maps cannot draw yet",
    )
    parser.add_argument("--no-stages", action="store_true", help="only the end-to-end run")
    parser.add_argument("--no-e2e", action="store_true", help="only the in-process stages")
    parser.add_argument("--keep-outputs", action="store_true", help="keep out-e2e/")
    parser.add_argument(
        "--at",
        metavar="REV",
        help="run the code of this commit (git archive into WORKDIR), not the working tree",
    )
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--json", type=Path, help="default: WORKDIR/scale_plan.json")
    parser.add_argument(
        "--table",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="print one table (and exponents) of the runs in these result files; run nothing",
    )
    # the child process that runs the stages
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child_main(args)
    if args.table:
        runs = [run for path in args.table for run in json.loads(path.read_text())["runs"]]
        runs.sort(key=lambda r: (r["areas"], r["nodes"]))
        print(markdown(runs, exponents(runs)))
        return 0

    repo = Path(__file__).resolve().parents[1]
    if args.workdir.resolve().is_relative_to(repo):
        parser.error(f"--workdir must be outside the repository ({repo})")
    args.workdir.mkdir(parents=True, exist_ok=True)
    json_path = args.json or args.workdir / "scale_plan.json"
    args.env, code = None, {"tree": "working tree", "commit": None}
    if args.at:
        sha, pkgroot = export_code(args.at, args.workdir)
        args.env = {**os.environ, "PYTHONPATH": str(pkgroot)}
        code = {"tree": f"git archive {sha[:12]}", "commit": sha}
    runs = []
    for areas, nodes in args.sizes:
        runs.append(run_size(areas, nodes, args))
        slopes = exponents(runs)
        record = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
            "limits": {"max_minutes": args.max_minutes, "max_memory_gb": args.max_memory_gb},
            "code": code,
            "network_path": args.network_path,
            "runs": runs,
            "exponents": slopes,
        }
        json_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    print()
    print(f"code: {code['tree']}; network path: {args.network_path}")
    print(markdown(runs, exponents(runs)))
    print(f"\nwrote {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
