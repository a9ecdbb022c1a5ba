"""``[compute]``, the memory estimate and limit, and an honest solver report at its time limit."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.planner.cli import main
from accessplan.planner.compute import ComputeSpec, cli_overrides, parse_compute
from accessplan.planner.memory import (
    GB,
    MemoryLimitError,
    check_memory,
    estimate_memory,
    estimate_pairs,
    reach_km,
)
from accessplan.planner.overrides import apply_overrides
from accessplan.planner.pipeline import run_full_plan
from accessplan.planner.scenario import load_scenario, parse_scenario

BASE = {
    "areas": {"path": "a.gpkg", "id": "x"},
    "facilities": {"path": "f.gpkg", "id": "y"},
    "network": {"straight_line": {"speed_kph": 30}},
}


def _parse(compute, tmp_path):
    return parse_scenario({**BASE, "compute": compute}, source=tmp_path / "s.toml")


# ---------------------------------------------------------------------------
# parsing
# ---------------------------------------------------------------------------


def test_defaults_all_cores_and_cache_beside_the_scenario(tmp_path):
    spec = parse_scenario(BASE, source=tmp_path / "s.toml").compute
    assert spec == ComputeSpec(
        jobs=os.cpu_count(), jobs_requested="all", cache_dir=tmp_path / ".accessplan-cache"
    )
    assert spec.cache and spec.cluster is None and spec.max_memory_gb is None
    assert spec.od_path is None and not spec.uses_dask


def test_good_values(tmp_path):
    spec = _parse(
        {
            "jobs": 3,
            "cluster": "local",
            "cluster_workers": 2,
            "cache": False,
            "cache_dir": "cache",
            "max_memory_gb": 8,
            "od_path": "runs/od.parquet",
        },
        tmp_path,
    ).compute
    assert spec == ComputeSpec(
        jobs=3,
        jobs_requested=3,
        cluster="local",
        cluster_workers=2,
        cache=False,
        cache_dir=tmp_path / "cache",
        max_memory_gb=8.0,
        od_path=tmp_path / "runs" / "od.parquet",
    )
    assert spec.uses_dask
    assert _parse({"jobs": "all"}, tmp_path).compute.jobs == os.cpu_count()
    for address in ("tcp://10.0.0.5:8786", "tcp://scheduler:8786", "tls://[::1]:8786"):
        assert _parse({"cluster": address}, tmp_path).compute.cluster == address
    absolute = tmp_path / "elsewhere" / "od.parquet"
    assert _parse({"od_path": str(absolute)}, tmp_path).compute.od_path == absolute


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("jobs", 0),
        ("jobs", -2),
        ("jobs", "many"),
        ("jobs", True),
        ("jobs", 2.5),
        ("cluster", "http://scheduler:8786"),
        ("cluster", "tcp://scheduler"),
        ("cluster", "tcp://scheduler:0"),
        ("cluster", "tcp://scheduler:70000"),
        ("cluster", "remote"),
        ("cluster", 8786),
        ("cluster_workers", 0),
        ("cluster_workers", 2),  # without cluster = "local"
        ("cluster_workers", "two"),
        ("cache", "yes"),
        ("cache", 1),
        ("cache_dir", ""),
        ("cache_dir", 5),
        ("max_memory_gb", 0),
        ("max_memory_gb", -1),
        ("max_memory_gb", math.nan),
        ("max_memory_gb", math.inf),
        ("max_memory_gb", "8GB"),
        ("od_path", "od.csv"),
        ("od_path", ""),
        ("od_path", 3),
        ("threads", 2),  # no such key
    ],
)
def test_every_bad_value_is_one_error_naming_the_key(key, value, tmp_path):
    with pytest.raises(InputValidationError) as info:
        _parse({key: value}, tmp_path)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    assert problems[0].column == f"compute.{key}"
    assert str(tmp_path / "s.toml") in str(info.value)


def test_all_bad_values_at_once(tmp_path):
    bad = {"jobs": 0, "cluster": "x", "cache_dir": "", "max_memory_gb": -1, "od_path": "a.csv"}
    with pytest.raises(InputValidationError) as info:
        _parse(bad, tmp_path)
    assert sorted(p.column for p in info.value.problems) == sorted(f"compute.{k}" for k in bad)


def test_parse_compute_alone_collects_through_add(tmp_path):
    seen = []
    spec = parse_compute({"jobs": 0}, tmp_path, lambda message, key: seen.append(key))
    assert seen == ["compute.jobs"]
    assert spec.jobs == os.cpu_count()  # the default stands in for the bad value


def test_recorded_in_scenario_json_form(tmp_path):
    compute = _parse({"jobs": 2, "max_memory_gb": 4.5}, tmp_path).resolved()["compute"]
    assert compute["jobs"] == 2 and compute["jobs_requested"] == 2
    assert compute["max_memory_gb"] == 4.5 and compute["cache"] is True
    assert compute["cache_dir"] == str(tmp_path / ".accessplan-cache")
    assert compute["cpu_count"] == os.cpu_count()
    json.dumps(compute)


# ---------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------


def test_cli_overrides_become_compute_set_items(tmp_path):
    assert cli_overrides() == []
    assert cli_overrides(jobs="4", cluster="tcp://h:8786", max_memory_gb="2.5", no_cache=True) == [
        "compute.jobs=4",
        'compute.cluster="tcp://h:8786"',
        "compute.max_memory_gb=2.5",
        "compute.cache=false",
    ]
    assert cli_overrides(jobs="all") == ['compute.jobs="all"']
    sets = cli_overrides(jobs="all", max_memory_gb="1e-3", no_cache=True, cluster="local")
    data = apply_overrides({"compute": {"jobs": 1, "cache": True}}, sets, source="s.toml")
    spec = parse_compute(data["compute"], tmp_path, lambda *a: pytest.fail(str(a)))
    assert (spec.jobs, spec.jobs_requested) == (os.cpu_count(), "all")
    assert spec.max_memory_gb == 1e-3 and spec.cache is False and spec.cluster == "local"


def test_cli_flags_override_the_file_and_are_recorded(tiny, capsys):
    tiny.sections["compute"] = {"jobs": 1, "cache": True}
    toml = tiny.write()
    args = ["access", str(toml), "-q", "--jobs", "2", "--no-cache", "--max-memory-gb", "50"]
    assert main(args) == 0, capsys.readouterr().err
    recorded = json.loads((tiny.out / "scenario.json").read_text(encoding="utf-8"))
    compute = recorded["compute"]
    assert (compute["jobs"], compute["cache"], compute["max_memory_gb"]) == (2, False, 50.0)
    assert "compute.jobs=2" in recorded["overrides"]
    assert "compute.cache=false" in recorded["overrides"]


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "1.5"])
def test_bad_jobs_flag_exits_2_naming_the_key(tiny, capsys, jobs):
    toml = tiny.write()
    assert main(["plan", str(toml), "-q", "--jobs", jobs]) == 2
    err = capsys.readouterr().err
    assert "compute.jobs" in err and "Traceback" not in err
    assert not tiny.out.exists()


def test_bad_cluster_and_memory_flags_exit_2(tiny, capsys):
    toml = tiny.write()
    assert main(["access", str(toml), "-q", "--cluster", "scheduler:8786"]) == 2
    assert "compute.cluster" in capsys.readouterr().err
    assert main(["access", str(toml), "-q", "--max-memory-gb", "-3"]) == 2
    assert "compute.max_memory_gb" in capsys.readouterr().err
    assert not tiny.out.exists()


# ---------------------------------------------------------------------------
# the memory estimate
# ---------------------------------------------------------------------------


def test_memory_estimate_on_hand_computed_sizes():
    est = estimate_memory(1000, 100, 10, 10_000, 25_000, pairs_estimate=5000, jobs=2, chunk_size=64)
    assert dict(est.stages) == {
        "software": 450_000_000,  # Python and the libraries
        "inputs": 1000 * 1100,  # 1,000 B per area and site
        "network": 40 * 10_000 + 25 * 25_000,  # 1,025,000
        "travel times": 2 * 64 * 10_000 * 8,  # 10,240,000
        "OD table": 5000 * (4 + 4 + 8),  # 80,000
        "access": 250 * 5000 + 80 * 1100,  # 1,338,000
        "location": 1200 * 5000 + 100_000_000,  # 106,000,000
    }
    assert est.peak_bytes == 450_000_000 + 1_100_000 + 1_025_000 + 80_000 + 106_000_000
    assert est.peak_gb == pytest.approx(0.558205)
    # float32 minutes, no location model, a networkx graph, pairs within a shorter catchment
    est = estimate_memory(
        1000, 100, 0, 10_000, 25_000, pairs_estimate=5000, jobs=1, minutes_bytes=4, networkx=True
    )
    assert est.stages["OD table"] == 5000 * 12 and est.stages["location"] == 0
    assert est.stages["network"] == 4000 * 25_000
    assert est.stages["travel times"] == 64 * 10_000 * 8
    assert est.peak_bytes == 450_000_000 + 1_100_000 + 100_000_000 + 60_000 + 64 * 10_000 * 8
    est = estimate_memory(9, 2, 0, 0, 0, pairs_estimate=18, jobs=4, chunk_size=64)
    assert est.stages["travel times"] == 0  # straight lines: no Dijkstra
    loc = estimate_memory(10, 5, 3, 0, 0, pairs_estimate=50, jobs=1, location_pairs=20)
    assert loc.stages["location"] == 1200 * 20 + 100_000_000
    with pytest.raises(ValueError, match="n_nodes"):
        estimate_memory(1, 1, 0, -1, 0, pairs_estimate=0, jobs=1)


def test_pairs_formula_by_hand():
    # 1000 areas x 20 sites x pi 10^2 / 10,000 = 628.3 -> 629
    assert estimate_pairs(1000, 20, region_km2=10_000.0, reach_km=10.0) == 629
    # a region inside the reach's disc: every pair
    assert estimate_pairs(9, 2, region_km2=9.0, reach_km=5.0) == 18
    assert estimate_pairs(9, 2, region_km2=0.0, reach_km=0.0) == 18
    assert estimate_pairs(0, 2, region_km2=9.0, reach_km=1.0) == 0
    assert reach_km(30, speed_kph=60) == 30.0
    with pytest.raises(ValueError):
        estimate_pairs(1, 1, region_km2=-1.0, reach_km=1.0)


def test_pairs_formula_against_uniform_points_on_a_torus():
    """On a torus (no edges) evenly spread points meet the formula's expectation."""
    rng = np.random.default_rng(7)
    side, r = 100.0, 5.0
    areas = rng.uniform(0, side, (3000, 2))
    sites = rng.uniform(0, side, (200, 2))
    d = np.abs(areas[:, None, :] - sites[None, :, :])
    d = np.minimum(d, side - d)
    counted = int(((d**2).sum(axis=2) <= r * r).sum())
    expected = estimate_pairs(3000, 200, region_km2=side * side, reach_km=r)
    assert expected == math.ceil(3000 * 200 * math.pi * 25 / 10_000)
    assert abs(counted - expected) / expected < 0.05


def test_check_memory_names_stages_and_knobs():
    est = estimate_memory(
        500_000, 3000, 1000, 1_000_000, 2_500_000, pairs_estimate=20_000_000, jobs=2
    )
    check_memory(est, None)
    check_memory(est, est.peak_bytes / GB * 1.01)
    with pytest.raises(MemoryLimitError) as info:
        check_memory(est, 8)
    error = info.value
    assert isinstance(error, AccessplanError) and error.estimate is est
    text = str(error)
    assert f"{est.peak_bytes / GB:,.3g} GB" in text and "max_memory_gb = 8" in text
    stages = ("software", "inputs", "network", "travel times", "OD table", "access", "location")
    for stage in (*stages, "peak"):
        assert f"  {stage}" in text
    for knob in ("aggregate", "catchment_minutes", "cluster", "jobs", "--max-memory-gb"):
        assert knob in text
    assert "no output was written" in text
    # the largest stage's knob comes first
    knobs = text.split("To fit")[1]
    assert knobs.index("location:") < knobs.index("access:")


# ---------------------------------------------------------------------------
# a run over its memory limit stops before routing, writing nothing
# ---------------------------------------------------------------------------


def _with_plan(tiny):
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    tiny.sections["compute"] = {"max_memory_gb": 0.000001}
    return tiny.write()


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


def test_plan_over_the_limit_stops_before_travel_times(tiny, monkeypatch):
    from accessplan.spatial import travel_time

    def no_routing(*args, **kwargs):
        raise AssertionError("travel times computed past the memory limit")

    monkeypatch.setattr(travel_time, "straight_line_travel_times", no_routing)
    scenario = load_scenario(_with_plan(tiny))
    before = _files(tiny.folder)
    with pytest.raises(MemoryLimitError) as info:
        run_full_plan(scenario, progress=False)
    assert _files(tiny.folder) == before
    sizes = info.value.estimate.sizes
    # 9 areas, 2 hospitals + 2 candidates, every pair within 10 minutes at 30 km/h (5 km)
    assert (sizes["areas"], sizes["sites"], sizes["candidates"]) == (9, 4, 2)
    # routed: 9 x 4 pairs; the covering model holds the area-candidate pairs only
    assert sizes["pairs"] == 36 and sizes["location_pairs"] == 18


def test_p_median_counts_pairs_to_every_site(tiny):
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "p_median", "max_new_sites": 1}
    tiny.sections["compute"] = {"max_memory_gb": 0.000001}
    with pytest.raises(MemoryLimitError) as info:
        run_full_plan(load_scenario(tiny.write()), progress=False)
    assert info.value.estimate.sizes["location_pairs"] == 36


def test_plan_over_the_limit_exits_2_with_the_estimate(tiny, capsys):
    toml = _with_plan(tiny)
    before = _files(tiny.folder)
    assert main(["plan", str(toml), "-q"]) == 2
    err = capsys.readouterr().err
    assert "max_memory_gb = 1e-06" in err and "To fit" in err and "Traceback" not in err
    assert not tiny.out.exists() and _files(tiny.folder) == before
    # the same run with room to spare, limit given on the command line
    assert main(["access", str(toml), "-q", "--max-memory-gb", "64"]) == 0


# ---------------------------------------------------------------------------
# solver honesty: a model stopped by its time limit says so, with its gap and bound
# ---------------------------------------------------------------------------


def _random_coverage(n_areas, n_candidates, per_area, seed=1):
    rng = np.random.default_rng(seed)
    origins = np.repeat(np.arange(n_areas), per_area)
    sites = np.concatenate(
        [rng.choice(n_candidates, per_area, replace=False) for _ in range(n_areas)]
    )
    od = pd.DataFrame({"origin_id": origins, "site_id": sites, "minutes": 1.0})
    demand = pd.Series(rng.integers(1, 1000, n_areas).astype(float), index=np.arange(n_areas))
    return od, demand, pd.DataFrame({"site_id": np.arange(n_candidates)})


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_time_limit_reached_is_reported_with_gap_and_bound(solver):
    """A random maximal covering model no solver proves in 1 s (CBC: 12 % gap left)."""
    from accessplan.location.coverage import maximize_coverage
    from accessplan.location.solver import SolverOptions

    od, demand, candidates = _random_coverage(1500, 200, 8)
    start = time.perf_counter()
    result = maximize_coverage(
        od,
        demand,
        candidates,
        catchment_minutes=30,
        max_new_sites=10,
        solver_options=SolverOptions(solver=solver, time_limit_s=1.0),
    )
    assert time.perf_counter() - start < 60  # stopped near its limit (loaded machines: slack)
    report = result.report
    assert report.status == "feasible" and not report.proven_optimal
    assert report.time_limit_reached
    assert report.best_bound > report.objective and report.gap > 0
    assert report.gap == pytest.approx((report.best_bound - report.objective) / report.objective)
    assert "time limit reached (1 s)" in report.summary()
    assert f"gap {report.gap:.3%}" in report.summary()
    record = report.as_dict()
    assert record["time_limit_reached"] is True and record["proven_optimal"] is False
    # a proven optimum never claims the time limit
    small = maximize_coverage(
        *_random_coverage(30, 6, 2),
        catchment_minutes=30,
        max_new_sites=2,
        solver_options=SolverOptions(solver=solver, time_limit_s=60.0),
    ).report
    assert small.proven_optimal and not small.time_limit_reached
    assert "time limit reached" not in small.summary()


def test_plan_files_and_report_say_time_limit_reached(tiny, capsys, monkeypatch):
    """The whole plan with the solver stopped at its limit (status mocked on the tiny model):
    summary.json, the report page and the step messages say so, with the gap and bound."""
    from accessplan.location import coverage_base

    real = coverage_base.solve

    def stopped(problem, options):
        report = real(problem, options)
        bound = report.objective * 1.25
        return dataclasses.replace(
            report,
            status="feasible",
            best_bound=bound,
            gap=(bound - report.objective) / report.objective,
            seconds=2.0,
            time_limit_s=2.0,
        )

    monkeypatch.setattr(coverage_base, "solve", stopped)
    tiny.save_candidates()
    tiny.sections["access"]["catchment_minutes"] = 2.0  # 1 km: the candidates add coverage
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0, "time_limit_s": 2}
    assert main(["plan", str(tiny.write())]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "time limit reached (2 s)" in err and "gap 25.000%" in err
    summary = json.loads((tiny.out / "summary.json").read_text(encoding="utf-8"))
    solver = summary["location"]["solver"]
    assert solver["status"] == "feasible" and solver["time_limit_reached"] is True
    assert solver["gap"] == pytest.approx(0.25) and solver["proven_optimal"] is False
    text = summary["plan"]["uniqueness"]["text"]
    assert text.startswith("Time limit reached: the solver stopped after 2.0 s (limit 2 s)")
    assert "NOT proven optimal (gap 25.00% to the best bound" in text
    page = (tiny.out / "report.html").read_text(encoding="utf-8")
    assert "Time limit reached" in page and "NOT proven optimal" in page
    assert 'id="solver-gap" data-value="0.25"' in page


def test_demo_takes_the_memory_limit_and_stops_early(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-q", "--max-memory-gb", "0.000001", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "max_memory_gb = 1e-06" in err and "network" in err
    assert not out.exists()
