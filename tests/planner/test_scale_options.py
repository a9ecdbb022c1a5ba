"""Scale options of a whole plan: a Dask LocalCluster ([compute] cluster) and [maps] max_vector_areas.

The cluster runs the travel times (chunks of sites as tasks) and the access
group-by sums; the location model stays here. One LocalCluster of 2 workers
is started by the plan itself and closed when it ends.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from accessplan.planner.cli import main
from accessplan.planner.plan import run_plan
from accessplan.planner.scenario import load_scenario
from accessplan.planner.writers import write_plan_outputs


def _plan_scenario(tiny, **compute):
    tiny.save_grid_graph(n=6, spacing_m=500.0, speed_kph=30.0)
    tiny.save_candidates()
    tiny.sections["network"] = {"path": "roads.graphml"}
    tiny.sections["access"]["catchment_minutes"] = 3
    tiny.sections["location"] = {"objective": "coverage", "budget": 400.0, "max_new_sites": 1}
    tiny.sections["compute"] = {"jobs": 1, **compute}
    return load_scenario(tiny.write())


def test_plan_on_a_local_cluster_equals_the_one_machine_plan(tiny):
    one = run_plan(_plan_scenario(tiny, od_path="one.parquet"), progress=False)
    on_cluster = run_plan(
        _plan_scenario(tiny, cluster="local", cluster_workers=2, od_path="cluster.parquet"),
        progress=False,
    )
    # the cluster writes the same Parquet OD table: same pairs, same minutes, same fingerprint
    from accessplan.spatial.od_store import read_od_metadata, read_od_parquet

    a, b = (
        read_od_parquet(tiny.folder / "one.parquet"),
        read_od_parquet(tiny.folder / "cluster.parquet"),
    )
    assert a.origin_ids.equals(b.origin_ids) and a.site_ids.equals(b.site_ids)
    for name in ("indptr", "site_codes", "minutes"):
        assert (getattr(a, name) == getattr(b, name)).all(), name
    meta = [read_od_metadata(tiny.folder / f) for f in ("one.parquet", "cluster.parquet")]
    assert meta[0]["fingerprint"] == meta[1]["fingerprint"]
    # the same travel times, to the bit
    pd.testing.assert_frame_equal(one.travel_all.od, on_cluster.travel_all.od)
    # the same access before and after, and the same plan
    for name in ("before", "after"):
        a, b = getattr(one, name), getattr(on_cluster, name)
        pd.testing.assert_series_equal(a.access.access, b.access.access, rtol=1e-12)
        pd.testing.assert_series_equal(a.access.site_ratio, b.access.site_ratio, rtol=1e-12)
    assert list(one.location.chosen["site_id"]) == list(on_cluster.location.chosen["site_id"])
    assert one.location.chosen["site_id"].tolist() == ["C1"]  # 700 people newly within 3 min
    # coverage: the nearest minutes found on the cluster give the same indicators
    assert one.nearest is None and set(on_cluster.nearest) == {"before", "after"}
    summaries = []
    for run, name in ((one, "one"), (on_cluster, "cluster")):
        summaries.append(write_plan_outputs(run, tiny.folder / name) / "summary.json")
    coverage = [json.loads(p.read_text())["coverage"] for p in summaries]
    assert coverage[0] == coverage[1]
    assert coverage[0]["population_after"]["3"] > coverage[0]["population_before"]["3"]
    assert one.location.report.objective == pytest.approx(on_cluster.location.report.objective)


def test_scenario_json_records_the_cluster_and_a_dead_address_exits_2(tiny, capsys):
    _plan_scenario(tiny)
    code = main(["plan", str(tiny.toml), "--quiet", "--cluster", "tcp://127.0.0.1:9", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "tcp://127.0.0.1:9" in err
    assert not (tiny.out / "summary.json").exists()  # nothing written
    assert main(["plan", str(tiny.toml), "--quiet", "--no-cache"]) == 0
    recorded = json.loads((tiny.out / "scenario.json").read_text())
    assert recorded["compute"]["cluster"] is None and recorded["compute"]["cache"] is False


def test_max_vector_areas_draws_the_plan_maps_as_images(tiny, capsys):
    """[maps] max_vector_areas = 4 < 9 areas: the pages hold images, not per-area shapes."""
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 400.0, "max_new_sites": 1}
    tiny.sections["maps"] = {"max_vector_areas": 4}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    page = (tiny.out / "maps" / "layers.html").read_text()
    assert "data:image/png;base64," in page and "drawn as an image" in page
    recorded = json.loads((tiny.out / "scenario.json").read_text())
    assert recorded["maps"]["max_vector_areas"] == 4
    tiny.sections["maps"] = {"max_vector_areas": -1}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 2
    assert "maps.max_vector_areas" in capsys.readouterr().err


def test_od_path_keeps_the_table_and_a_later_run_reuses_it(tiny, capsys, monkeypatch):
    """[compute] od_path: the first plan writes the Parquet table, the second reads it."""
    from accessplan.spatial import network_times

    scenario = _plan_scenario(tiny, od_path="od.parquet")
    first = run_plan(scenario, progress=False)
    stored = tiny.folder / "od.parquet"
    assert stored.is_file()

    def no_routing(*args, **kwargs):
        raise AssertionError("the stored table should have been reused")

    monkeypatch.setattr(network_times, "network_travel_times", no_routing)
    second = run_plan(load_scenario(tiny.toml), progress=False)
    pd.testing.assert_frame_equal(first.travel_all.od, second.travel_all.od)
    pd.testing.assert_series_equal(first.after.access.access, second.after.access.access)
    assert second.travel_all.unreachable_origins == first.travel_all.unreachable_origins
    monkeypatch.undo()

    # other options: the table was built for other inputs, so it is computed again and replaced
    tiny.sections["access"]["catchment_minutes"] = 4
    third = run_plan(load_scenario(tiny.write()), progress=False)
    assert len(third.travel_all.od) > len(first.travel_all.od)  # a longer bound: more pairs
    from accessplan.spatial.od_store import read_od_parquet

    assert read_od_parquet(stored).max_minutes == 4.0  # the table was replaced


def test_od_path_that_is_not_an_od_table_is_an_error_and_kept(tiny, capsys):
    _plan_scenario(tiny, od_path="od.parquet")
    (tiny.folder / "od.parquet").write_bytes(b"not a parquet file")
    assert main(["plan", str(tiny.toml), "--quiet"]) == 2
    assert "od.parquet" in capsys.readouterr().err
    assert (tiny.folder / "od.parquet").read_bytes() == b"not a parquet file"
