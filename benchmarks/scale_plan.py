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
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scale_region import RegionSpec, build_region, parse_count

STAGES = (
    "inputs",
    "network",
    "snapping",
    "travel times",
    "access",
    "location",
    "sizing",
    "tables",
    "maps",
    "report",
)
#: the size a stage's growth exponent is measured against
DRIVER = {"network": "nodes", "snapping": "nodes", "travel times": "nodes"}
GB = 1e9


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def _status_kb(field: str, pid: str = "self") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _pss_bytes(pid: int) -> int:
    """Proportional set size of a process: shared pages divided among their users.

    A child forked from a large Python process shares its pages until it
    execs (or for good, for forked workers); its VmRSS would count them twice.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children", encoding="ascii") as f:
                    children = [int(c) for c in f.read().split()]
                out.extend(children)
                todo.extend(children)
        except OSError:
            continue
    return out


def _tree_pss_bytes(pid: int) -> int:
    """Memory of a process and all its descendants: the sum of their PSS (Linux /proc)."""
    return sum(_pss_bytes(p) for p in (pid, *_descendants(pid)))


class StageMeter:
    """Wall time and peak resident memory of consecutive stages of this process.

    ``begin(name)`` closes the running stage (if any) and starts ``name``;
    ``end()`` closes it. Each closed stage is appended to ``results`` and
    handed to ``on_close`` (the child writes its JSON there, so a killed run
    keeps the stages it finished).
    """

    def __init__(self, on_close=None, *, interval_s: float = 0.05) -> None:
        self.results: list[dict] = []
        self.on_close = on_close or (lambda results: None)
        self.current: str | None = None
        self.method = "VmHWM reset per stage (/proc/self/clear_refs)"
        try:
            self._reset_hwm()
        except OSError:
            self.method = "VmRSS sampled every 50 ms"
        self._peak = self._children_peak = self._tree_peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval_s,), daemon=True)
        self._thread.start()

    @staticmethod
    def _reset_hwm() -> None:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")

    def _sample(self, interval_s: float) -> None:
        me = os.getpid()
        while not self._stop.wait(interval_s):
            rss = _status_kb("VmRSS") * 1024
            others = sum(_pss_bytes(p) for p in _descendants(me))
            with self._lock:
                self._peak = max(self._peak, rss)
                self._children_peak = max(self._children_peak, others)
                self._tree_peak = max(self._tree_peak, rss + others)

    def begin(self, name: str) -> None:
        if self.current is not None:
            self.end()
        self.current = name
        with contextlib.suppress(OSError):
            self._reset_hwm()
        with self._lock:
            self._peak = self._tree_peak = self._rss_before = _status_kb("VmRSS") * 1024
            self._children_peak = 0
        self._start = time.perf_counter()

    def end(self, **extra) -> None:
        if self.current is None:
            return
        seconds = time.perf_counter() - self._start
        rss = _status_kb("VmRSS") * 1024
        with self._lock:
            sampled = max(self._peak, rss)
            children, tree = self._children_peak, self._tree_peak
        hwm = _status_kb("VmHWM") * 1024 if self.method.startswith("VmHWM") else 0
        record = {
            "stage": self.current,
            "seconds": round(seconds, 3),
            "peak_gb": round(max(hwm, sampled) / GB, 3),
            "rss_before_gb": round(self._rss_before / GB, 3),
            "rss_after_gb": round(rss / GB, 3),
            **extra,
        }
        if children:  # the solver process, sampled with this one
            record["solver_peak_gb"] = round(children / GB, 3)
            record["with_solver_peak_gb"] = round(max(tree, max(hwm, sampled)) / GB, 3)
        self.results.append(record)
        self.current = None
        self.on_close(self.results)

    def close(self) -> None:
        self._stop.set()


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
    from accessplan.planner.plan import AccessSettings, PlanRun, solve_location_model
    from accessplan.planner.runs import (
        AccessRun,
        access_scores_for,
        data_quality,
        load_inputs,
        rated_mask,
        subset_travel,
    )
    from accessplan.planner.scenario import load_scenario
    from accessplan.planner.sizing import size_ventilators
    from accessplan.planner.writers import write_full_outputs
    from accessplan.spatial import network as net
    from accessplan.spatial import travel_time as tt
    from accessplan.spatial.inequity import compare_inequity
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

    meter.begin("access")
    units = chosen["units"] if "units" in chosen.columns else chosen["min_units"]
    added = pd.Series(
        units.to_numpy(dtype=float) * location_spec.capacity_per_unit,
        index=chosen["site_id"].to_numpy(),
    )
    expanded = added[added.index.isin(supply_before.index)]
    new = added[~added.index.isin(supply_before.index)]
    supply_after = pd.concat([supply_before.add(expanded, fill_value=0.0), new])
    travel_after = subset_travel(travel, list(supply_after.index), scenario.catchment_minutes)
    access_after = access_scores_for(scenario, inputs, travel_after, supply_after)
    areas, rated = rated_mask(inputs, access_before, access_after)
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
    plan = PlanRun(
        before=before,
        candidates=candidates,
        location=result,
        after=after,
        comparison=comparison,
        supply_after=supply_after,
        travel_all=travel,
        units_added=pd.Series(units.to_numpy(dtype=float), index=chosen["site_id"].to_numpy()),
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
# Supervising a run (parent process)
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Supervised:
    seconds: float
    returncode: int | None
    maxrss_gb: float
    killed: str | None  # "time" or "memory"
    tree_peak_gb: float


def supervise(
    command, *, max_minutes: float, max_memory_gb: float, log_path: Path, env=None
) -> Supervised:
    """Run ``command``; kill its process group past the time or memory limit."""
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
    killed = None
    tree_peak = 0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        tree = _tree_pss_bytes(proc.pid)
        tree_peak = max(tree_peak, tree)
        if killed is None and time.perf_counter() - start > max_minutes * 60:
            killed = "time"
        elif killed is None and tree > max_memory_gb * GB:
            killed = "memory"
        if killed:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Supervised(
        seconds=seconds,
        returncode=proc.returncode,
        maxrss_gb=usage.ru_maxrss * 1024 / GB,
        killed=killed,
        tree_peak_gb=tree_peak / GB,
    )


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


# --------------------------------------------------------------------------
# Table and exponents
# --------------------------------------------------------------------------


def stage_totals(run: dict) -> dict[str, dict]:
    """Per stage name (access has two parts): seconds summed, peak resident GB maximised,
    and the GB the stage added above the resident memory it started with."""
    totals: dict[str, dict] = {}
    before = 0.0
    for s in run.get("stages", []):
        t = totals.setdefault(s["stage"], {"seconds": 0.0, "peak_gb": 0.0, "added_gb": 0.0})
        peak = max(s["peak_gb"], s.get("with_solver_peak_gb", 0.0))
        start = s.get("rss_before_gb", before)
        t["seconds"] += s["seconds"]
        t["peak_gb"] = max(t["peak_gb"], peak)
        t["added_gb"] = max(t["added_gb"], peak - start)
        before = s["rss_after_gb"]
        if "error" in s:
            t["error"] = s["error"]
    return totals


def _slope(xs, ys) -> float | None:
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den


def exponents(runs: list[dict]) -> dict[str, dict]:
    """Log-log slopes of time and peak memory per stage (and end to end) over the sizes."""
    out = {}
    for stage in (*STAGES, "end to end"):
        driver = DRIVER.get(stage, "areas")
        xs, ts, ms = [], [], []
        for run in runs:
            if stage == "end to end":
                e2e = run.get("e2e")
                if not e2e or e2e["returncode"] != 0:
                    continue
                seconds, peak = e2e["seconds"], max(e2e["maxrss_gb"], e2e["tree_peak_gb"])
            else:
                t = stage_totals(run).get(stage)
                if t is None or "error" in t or _unfinished(run, stage):
                    continue
                seconds, peak = t["seconds"], t["added_gb"]
            xs.append(run[driver])
            ts.append(seconds)
            ms.append(peak)
        out[stage] = {"vs": driver, "time": _slope(xs, ts), "memory": _slope(xs, ms)}
    return out


#: the order the child closes its stage records in (access: before and after the plan)
SEQUENCE = (*STAGES[:5], "location", "access", *STAGES[6:])


def _unfinished(run: dict, stage: str) -> bool:
    """The stage (both parts of access) did not close."""
    names = [s["stage"] for s in run.get("stages", [])]
    return names.count(stage) < SEQUENCE.count(stage)


def _cell(run: dict, stage: str) -> str:
    t = stage_totals(run).get(stage)
    if t is not None and "error" in t:
        return "error: " + t["error"].split(":")[0]
    if t is None or _unfinished(run, stage):
        note = run.get("stages_note")
        if note is None:
            return "–"
        closed = len(run.get("stages", []))
        failed = any("error" in s for s in run.get("stages", []))
        running = SEQUENCE[closed] if closed < len(SEQUENCE) and not failed else None
        return note if stage == running else "not reached"
    return f"{t['seconds']:.1f} s, {t['peak_gb']:.2f} GB"


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def markdown(runs: list[dict], slopes: dict) -> str:
    heads = [f"{_human(r['areas'])} areas / {_human(r['nodes'])} nodes" for r in runs]
    lines = [
        "| stage | " + " | ".join(heads) + " | exponent (time, memory) |",
        "| --- | " + " | ".join("---" for _ in runs) + " | --- |",
    ]
    for stage in STAGES:
        e = slopes[stage]
        lines.append(
            f"| {stage} | "
            + " | ".join(_cell(r, stage) for r in runs)
            + f" | {_fmt(e['time'])}, {_fmt(e['memory'])} vs {e['vs']} |"
        )
    cells = []
    for r in runs:
        e2e = r.get("e2e")
        if e2e is None:
            cells.append("–")
        elif e2e["returncode"] == 0:
            peak = max(e2e["maxrss_gb"], e2e["tree_peak_gb"])
            cells.append(f"{e2e['seconds']:.1f} s, {peak:.2f} GB")
        else:
            cells.append(
                f"{e2e['note']} ({e2e['seconds'] / 60:.1f} min, {e2e['maxrss_gb']:.1f} GB)"
            )
    e = slopes["end to end"]
    same = [r["e2e"].get("same_plan_as_stages") for r in runs if r.get("e2e")]
    if same and None not in same:
        verdict = "the same" if all(same) else "NOT the same"
        notes = [f"New sites and Gini after the plan: {verdict} in the stages and end to end."]
    else:
        notes = []
    lines.append(
        "| **`accessplan plan` end to end** | "
        + " | ".join(cells)
        + f" | {_fmt(e['time'])}, {_fmt(e['memory'])} vs areas |"
    )
    return "\n".join([*lines, *(["", *notes] if notes else [])])


def _human(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


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
