"""The data-quality report: quality.json, summary counts and stderr warnings.

A zero demand weight is not zero access; people far from the network,
facilities that reach no demand and areas beyond every catchment are listed
with their counts and population shares.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from accessplan.planner.cli import main


def _add_far_area_and_hospital(tiny, *, dx=50_000.0, over65=0.0, pop=500.0):
    """Area Z and hospital H3 50 km east: H3 reaches only Z."""
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    far = gpd.GeoDataFrame(
        {"Tract ID": ["Z"], "Pop": [pop], "Over65": [over65]},
        geometry=[box(tiny.x0 + dx, tiny.y0, tiny.x0 + dx + 1000, tiny.y0 + 1000)],
        crs=tiny.crs,
    )
    gpd.pd.concat([areas, far], ignore_index=True).to_file(
        tiny.folder / "areas.gpkg", layer="tracts", engine="pyogrio"
    )
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    extra = gpd.GeoDataFrame(
        {"Hospital": ["H3"], "Total Bed": [30.0], "Total Vent": [1.0]},
        geometry=[Point(tiny.x0 + dx + 500, tiny.y0 + 500)],
        crs=tiny.crs,
    )
    gpd.pd.concat([hospitals, extra], ignore_index=True).to_file(
        tiny.folder / "hospitals.gpkg", engine="pyogrio"
    )


def _items(tiny):
    items = json.loads((tiny.out / "quality.json").read_text())["items"]
    return {item["check"]: item for item in items}


def test_zero_demand_weight_is_not_zero_access(tiny, capsys):
    """Z has people but no one aged 65+: it is listed, not counted as zero access."""
    _add_far_area_and_hospital(tiny)
    tiny.sections["areas"]["need"] = "Over65"
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
    err = capsys.readouterr().err
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["access"]["areas_without_supply"] == 0
    assert summary["access"]["population_without_supply"] == 0.0
    # Z (500 people) would be 500 / 5000 = 10 % "zero access" if its zero weight counted
    assert summary["inequity"]["share_zero"] == 0.0
    assert summary["inequity"]["population"] == pytest.approx(4500.0)
    items = _items(tiny)
    zero = items["areas_zero_demand"]
    assert zero["ids"] == ["Z"] and zero["count"] == 1
    assert zero["population"] == 500.0 and zero["share_population"] == pytest.approx(0.1)
    assert "have no people aged 65+ (demand weight 0" in zero["message"]
    assert items["facilities_without_demand"]["ids"] == ["H3"]
    assert summary["quality"]["facilities_without_demand"] == 1
    # warnings on stderr even with --quiet; info items are not printed
    assert (
        "accessplan: warning: 1 facility(ies) reach only areas with no people aged 65+ (demand weight 0)"
        in err
    )
    assert "areas_zero_demand" not in err


def test_areas_beyond_catchment_and_unreachable_facility(tiny, capsys):
    """Z has 65+ residents but no hospital within 10 minutes; H3 (50 km away) none either."""
    _add_far_area_and_hospital(tiny, dx=50_000.0, over65=7.0)
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals.loc[hospitals["Hospital"] == "H3", "geometry"] = Point(
        tiny.x0 + 100_000, tiny.y0 + 100_000
    )
    hospitals.to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
    err = capsys.readouterr().err
    items = _items(tiny)
    assert items["areas_beyond_catchment"]["ids"] == ["Z"]
    assert items["areas_beyond_catchment"]["share_population"] == pytest.approx(500 / 5000)
    assert items["facilities_unreachable"]["ids"] == ["H3"]
    assert "1 facility(ies) reach no area within 10 minutes" in err
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["access"]["population_without_supply"] == 500.0


def test_people_far_from_the_network_are_counted(tiny, capsys):
    """On the 6 x 6 km grid network, area Z starts 2.55 km from the nearest node."""
    _add_far_area_and_hospital(tiny, dx=7000.0, over65=3.0, pop=250.0)
    tiny.save_grid_graph()
    tiny.sections["network"] = {"path": "roads.graphml", "max_snap_meters": 4000}
    tiny.sections["access"]["catchment_minutes"] = 60
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
    err = capsys.readouterr().err
    far = _items(tiny)["far_from_network"]
    # areas' start points: the nine 1 km cells are 707 m from a node (under 2,000 m)
    assert far["ids"] == ["Z"] and far["count"] == 1
    assert far["population"] == 250.0
    assert far["share_population"] == pytest.approx(250 / 4750)
    assert "farthest 2,550 m" in far["message"]
    sites = _items(tiny)["sites_far_from_network"]
    assert sites["ids"] == ["H3"]
    assert "start more than 2,000 m (half of max_snap_meters)" in err


def test_clean_run_has_no_quality_items(tiny, capsys):
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
    assert _items(tiny) == {}
    assert "warning" not in capsys.readouterr().err


def test_plan_inequity_before_after_is_one_measured_set(tiny, capsys):
    """summary.json's inequity equals the before/after table, and an area with zero demand
    weight is left out of both states alike."""
    _add_far_area_and_hospital(tiny)
    tiny.sections["areas"]["need"] = "Over65"
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    summary = json.loads((tiny.out / "summary.json").read_text())
    table = gpd.pd.read_csv(tiny.out / "inequity_before_after.csv", index_col=0)
    for measure, value in summary["inequity"].items():
        assert table.loc[measure, "before"] == pytest.approx(value, rel=1e-12)
    for measure, value in summary["inequity_after"].items():
        assert table.loc[measure, "after"] == pytest.approx(value, rel=1e-12)
    # Z (500 people, no one aged 65+) is measured in neither state
    assert summary["inequity"]["population"] == summary["inequity_after"]["population"] == 4500.0
    assert summary["inequity"]["share_zero"] == 0.0
    # quality is computed once, for the data, and printed once
    assert capsys.readouterr().err.count("reach only areas with no ") == 1


def test_quality_items_reach_the_report(tiny, capsys):
    """The counts and shares of quality.json are the ones report.html shows."""
    import re

    _add_far_area_and_hospital(tiny)
    tiny.sections["areas"]["need"] = "Over65"
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    items = _items(tiny)
    html = (tiny.out / "report.html").read_text()
    assert '<table id="quality">' in html
    for check, item in items.items():
        cell = re.search(rf'id="quality-{check}-count" data-value="([^"]*)"', html)
        assert cell is not None, check
        assert float(cell.group(1)) == item["count"]
    row = re.search(r'<tr data-check="areas_zero_demand".*?</tr>', html).group(0)
    assert "<td>10.0%</td>" in row and "<td>Z</td>" in row
    row = re.search(r'<tr data-check="facilities_without_demand" class="warning">.*?</tr>', html)
    assert row is not None and "<td>H3</td>" in row.group(0)


def test_unrated_areas_have_no_score_not_a_zero(tiny, capsys):
    """Z (zero demand weight, reached only by a site without demand) has no access score in
    the tables and is drawn as "no data" in the maps, never in the "no access" class."""
    import numpy as np

    _add_far_area_and_hospital(tiny)
    tiny.sections["areas"]["need"] = "Over65"
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    plan = gpd.pd.read_csv(tiny.out / "areas_plan.csv", dtype={"area_id": str})
    plan = plan.set_index("area_id")
    assert np.isnan(plan.loc["Z", "access_before"]) and np.isnan(plan.loc["Z", "access_after"])
    assert plan.drop(index="Z")[["access_before", "access_after"]].notna().all().all()
    layers = (tiny.out / "maps" / "layers.html").read_text()
    # the page's one shared GeoJSON: Z has no value and class -1 before and after (the
    # no-data grey), and no other area does
    found = re.findall(r"var accessplan_areas_[0-9a-f]+ = (\{.*?\});</script>", layers, re.S)
    props = {f["properties"]["i"]: f["properties"] for f in json.loads(found[0])["features"]}
    assert props["Z"]["b"] is None and props["Z"]["a"] is None
    assert [i for i, p in props.items() if p["kb"] == -1 or p["ka"] == -1] == ["Z"]
    assert 'if (v < 0) { return "#bdbdbd"; }' in layers
    # the legend (HTML inside a JS string) has the grey "no score" swatch
    assert 'background:#bdbdbd\\"\\u003e\\u003c/i\\u003eno score' in layers
