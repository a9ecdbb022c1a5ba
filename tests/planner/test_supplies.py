"""Several supplies in one run, and a straight-line catchment in kilometres (issue 12, item 6).

The tiny region (conftest): nine 1 km cells with Pop 100..900, hospitals H1 (50 beds, 5
ventilators) and H2 (20 beds, 2 ventilators), straight-line travel at 30 km/h. With a
10-minute catchment every cell reaches both hospitals, so 2SFCA gives every area the same
access S_total / P_total, and sum_i P_i A_i = sum_j S_j for each supply.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from accessplan.planner.cli import main

POP = 4500.0


def _summary(tiny):
    return json.loads((tiny.out / "summary.json").read_text())


def test_each_supply_has_its_own_access_and_inequity_row(tiny):
    tiny.sections["access"]["supplies"] = ["ventilators"]
    assert main(["access", str(tiny.write()), "-q"]) == 0
    areas = pd.read_csv(tiny.out / "areas_access.csv")
    # one catchment holds everyone: access = total supply / total population, per supply
    assert areas["access"].to_numpy() == pytest.approx(70.0 / POP)
    assert areas["access_ventilators"].to_numpy() == pytest.approx(7.0 / POP)
    # the 2SFCA identity, per supply
    assert (areas["Pop"] * areas["access_ventilators"]).sum() == pytest.approx(7.0)
    supplies = _summary(tiny)["supplies"]
    assert supplies["ventilators"]["column"] == "Total Vent"
    assert supplies["ventilators"]["total"] == 7.0
    assert supplies["ventilators"]["inequity"]["gini"] == pytest.approx(0.0, abs=1e-12)
    table = pd.read_csv(tiny.out / "inequity_by_supply.csv", index_col="supply")
    assert list(table.index) == ["capacity", "ventilators"]
    assert table.loc["ventilators", "mean"] == pytest.approx(7.0 / POP)
    assert table.loc["capacity", "mean"] == pytest.approx(70.0 / POP)


def test_supplies_must_be_mapped_facility_columns(tiny, capsys):
    tiny.sections["access"]["supplies"] = ["icu_beds", "scanners"]
    assert main(["access", str(tiny.write()), "-q"]) == 2
    err = capsys.readouterr().err
    assert "supply 'icu_beds' is not mapped in [facilities]" in err
    assert "unknown supply 'scanners'" in err
    assert not tiny.out.exists()


def test_catchment_in_km_on_straight_lines(tiny):
    """5 km at 30 km/h is a 10-minute catchment: the same scores as catchment_minutes = 10."""
    tiny.sections["access"] = {"method": "2sfca", "catchment_km": 1.2}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    summary = _summary(tiny)
    assert summary["access"]["catchment_minutes"] == pytest.approx(2.4)
    assert summary["access"]["catchment_km"] == 1.2
    by_km = pd.read_csv(tiny.out / "areas_access.csv")["access"]
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.4}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    by_minutes = pd.read_csv(tiny.out / "areas_access.csv")["access"]
    assert by_km.to_numpy() == pytest.approx(by_minutes.to_numpy())
    # 1.2 km: H1 (cell 0,0) reaches its own cell and the two next to it (1 km), not the diagonal
    assert (by_km > 0).sum() == 6


@pytest.mark.parametrize(
    ("access", "network", "words"),
    [
        ({"catchment_km": 5, "catchment_minutes": 10}, None, "not both"),
        ({"catchment_km": 5}, {"od_table": "times.csv"}, "needs straight-line travel times"),
        ({"catchment_km": -1}, None, "positive number of kilometres"),
    ],
)
def test_bad_km_catchments(tiny, capsys, access, network, words):
    tiny.sections["access"] = {"method": "2sfca", **access}
    if network is not None:
        tiny.sections["network"] = network
    assert main(["access", str(tiny.write()), "-q"]) == 2
    assert words in capsys.readouterr().err


def test_the_report_shows_access_by_supply(tiny):
    tiny.save_candidates()
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 10,
        "supplies": ["ventilators"],
    }
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0}
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    html = (tiny.out / "report.html").read_text(encoding="utf-8")
    scale = _summary(tiny)["access"]["scale"]
    assert 'id="supplies-table"' in html
    value = float(html.split('id="supply-ventilators-mean" data-value="')[1].split('"')[0])
    assert value == pytest.approx(7.0 / POP * scale)
    total = float(html.split('id="supply-ventilators-total" data-value="')[1].split('"')[0])
    assert total == 7.0


def test_poverty_and_concentration_reach_the_report(tiny):
    """Tiny with a 2.5-minute catchment: three cells reach no hospital (access 0)."""
    tiny.save_candidates()
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.5}
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0}
    tiny.sections["areas"]["ordering"] = "Over65"  # any numeric column: an income stand-in
    tiny.sections["inequity"] = {"poverty_line": 0.005}
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    table = pd.read_csv(tiny.out / "poverty_before_after.csv", index_col="measure")
    areas = pd.read_csv(tiny.out / "areas_plan.csv")
    # FGT0 before = population share below the line, by hand from the areas table
    below = areas["access_before"] < 0.005
    assert table.loc["fgt0", "before"] == pytest.approx(
        areas.loc[below, "population"].sum() / areas["population"].sum()
    )
    assert "concentration_index" in table.index
    html = (tiny.out / "report.html").read_text(encoding="utf-8")
    shown = float(html.split('id="poverty-fgt0-before" data-value="')[1].split('"')[0])
    assert shown == pytest.approx(table.loc["fgt0", "before"])
    assert "Concentration index by Over65" in html
    summary = _summary(tiny)["poverty"]
    assert summary["fgt0"]["after"] == pytest.approx(table.loc["fgt0", "after"])


def test_a_poverty_line_outside_access_is_refused(tiny, capsys):
    tiny.sections["inequity"] = {"poverty_line": 5.0}
    assert main(["access", str(tiny.write()), "-q"]) == 2
    assert "outside the range of access" in capsys.readouterr().err
    assert not tiny.out.exists()


def test_coverage_indicators_by_hand(tiny):
    """Nearest minutes: 0 in the hospitals' cells, 2 beside them, 2.83 in the middle cell and
    4 in the corners (2,0) and (0,2); the plan opens C1 and C2 in those corners."""
    tiny.save_candidates()
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 2.5,
        "thresholds_minutes": [2.1, 3, 5],
    }
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0}
    tiny.sections["areas"]["group"] = "Over65"  # ten-fold population: nine one-cell districts
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    table = pd.read_csv(tiny.out / "coverage.csv", index_col="threshold_minutes")
    # within 2.1 min: cells 0, 1, 3 (H1) and 5, 7, 8 (H2) = 100+200+400+600+800+900
    assert table.loc[2.1, "population_before"] == 3000.0
    assert table.loc[3.0, "population_before"] == 3500.0  # + the middle cell (500) at 2.83
    assert table.loc[5.0, "population_before"] == POP
    # the new sites in the corners (cells 2 and 6: 300 + 700) are 0 minutes away
    assert table.loc[2.1, "population_after"] == 4000.0
    assert table.loc[2.1, "share_after"] == pytest.approx(4000.0 / POP)
    summary = _summary(tiny)["coverage"]
    assert summary["bound_minutes"] == 5.0 and summary["not_computed_minutes"] == []
    zonal = pd.read_csv(tiny.out / "zonal_coverage.csv")
    middle = zonal[(zonal["state"] == "before") & (zonal["zone"] == "50.0")]
    assert middle["median_minutes_nearest"].iloc[0] == pytest.approx(2 * 2**0.5)
    html = (tiny.out / "report.html").read_text(encoding="utf-8")
    assert 'id="coverage-table"' in html


def test_further_measures_by_their_identities(tiny):
    """Everyone reaches both hospitals (10-minute catchment): the supply within 10 minutes is
    70 beds for every area; BFCA's balanced shares and spatial availability each add up to
    the 70 beds; the report lists the measures."""
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 10,
        "thresholds_minutes": [1, 10],
        "measures": ["cumulative", "bfca", "spatial_availability"],
    }
    assert main(["access", str(tiny.write()), "-q"]) == 0
    areas = pd.read_csv(tiny.out / "areas_access.csv")
    assert (areas["opportunities_within_10"] == 70.0).all()
    # within 1 minute only the hospitals' own cells (0 min): 50 and 20 beds
    assert sorted(areas["opportunities_within_1"]) == [0.0] * 7 + [20.0, 50.0]
    assert areas["bfca_supply_share"].sum() == pytest.approx(70.0)
    assert (areas["availability_per_capita"] * areas["Pop"]).sum() == pytest.approx(70.0)
    measures = _summary(tiny)["measures"]
    assert measures["opportunities_within_10"]["mean"] == pytest.approx(70.0)
    assert measures["opportunities_within_10"]["gini"] == pytest.approx(0.0, abs=1e-12)
    assert "bfca_supply_share" not in measures


def test_unknown_measures_are_refused(tiny, capsys):
    tiny.sections["access"]["measures"] = ["bfca", "3sfcaa"]
    assert main(["access", str(tiny.write()), "-q"]) == 2
    assert "unknown measure(s) ['3sfcaa']" in capsys.readouterr().err


def test_capacity_limited_coverage_by_hand(tiny):
    """10 people per bed: H1 serves 500 people, H2 200. H1 (first: equal population in reach,
    layer order) takes its own cell (100) and 400 of the 600 people 2 minutes away; H2 takes
    200 of the 900 in its own cell: 700 covered of 4,500."""
    tiny.save_candidates()
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 10,
        "capacity_coverage": {"people_per_capacity": 10},
    }
    assert main(["access", str(tiny.write()), "-q"]) == 0
    facts = _summary(tiny)["capacity_coverage"]
    assert facts["covered_population"] == pytest.approx(700.0)
    assert facts["uncovered_population"] == pytest.approx(POP - 700.0)
    table = pd.read_csv(tiny.out / "capacity_coverage.csv", index_col="site_id")
    assert table.loc["H1", "covered_population"] == pytest.approx(500.0)
    assert table.loc["H1", "catchment_radius_minutes"] == pytest.approx(2.0)
    areas = pd.read_csv(tiny.out / "areas_access.csv")
    assert areas["capacity_uncovered"].sum() == pytest.approx(POP - 700.0)
    # through a plan (coverage within 2.5 minutes opens C1 and C2): before, after, report
    tiny.sections["location"] = {
        "objective": "coverage",
        "budget": 1000.0,
        "catchment_minutes": 2.5,
    }
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    facts = _summary(tiny)["capacity_coverage"]
    assert facts["before"]["covered_population"] == pytest.approx(700.0)
    # C1 and C2 open with 5 beds each (min_units): 50 more people each
    assert facts["after"]["covered_population"] == pytest.approx(800.0)
    assert 'id="capacity-coverage-table"' in (tiny.out / "report.html").read_text()


def test_zones_layer_in_another_crs(tiny):
    """Two zones (west: the first column of cells, east: the rest) in degrees: each area
    counts in the zone holding its point; the zones layer keeps the zone polygons."""
    import geopandas as gpd
    from shapely.geometry import box

    west = box(tiny.x0 - 10, tiny.y0 - 10, tiny.x0 + 1000, tiny.y0 + 3010)
    east = box(tiny.x0 + 1000, tiny.y0 - 10, tiny.x0 + 3010, tiny.y0 + 3010)
    zones = gpd.GeoDataFrame({"zname": ["West", "East"]}, geometry=[west, east], crs=tiny.crs)
    zones["code"] = [1, 2]  # numeric zone ids are labels too
    zones.to_crs("EPSG:4326").to_file(tiny.folder / "zones.gpkg", engine="pyogrio")
    tiny.sections["zones"] = {"path": "zones.gpkg", "id": "zname"}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    zonal = pd.read_csv(tiny.out / "zonal_coverage.csv", index_col="zone")
    assert zonal.loc["West", "population"] == 100.0 + 200.0 + 300.0  # cells 0, 1, 2
    assert zonal.loc["East", "population"] == POP - 600.0
    layer = gpd.read_file(tiny.out / "access.gpkg", layer="zones")
    assert sorted(layer["name"]) == ["East", "West"]
    assert layer.set_index("name").loc["West", "population"] == 600.0
    tiny.sections["zones"] = {"path": "zones.gpkg", "id": "code"}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    layer = gpd.read_file(tiny.out / "access.gpkg", layer="zones").set_index("name")
    assert layer.loc["1", "population"] == 600.0 and layer.loc["2", "population"] == POP - 600


@pytest.mark.parametrize("network", ["straight_line", "graph"])
def test_referral_times_by_hand(tiny, network):
    """Centres at cell (1, 0) (1 km from H1: 2 min), at cell (2, 1) (1 km from H2: 2 min) and
    60 km away (beyond the 10 minutes searched)."""
    import geopandas as gpd
    from shapely.geometry import Point

    centres = gpd.GeoDataFrame(
        {"centre": ["K1", "K2", "far"]},
        geometry=[
            Point(tiny.x0 + 1500, tiny.y0 + 500),
            Point(tiny.x0 + 2500, tiny.y0 + 1500),
            Point(tiny.x0 + 60_000, tiny.y0 + 500),
        ],
        crs=tiny.crs,
    )
    centres.to_file(tiny.folder / "centres.gpkg", engine="pyogrio")
    tiny.sections["referral"] = {"path": "centres.gpkg", "id": "centre", "max_minutes": 10}
    if network == "graph":
        # grid nodes every 1 km from the region's corner: every point here is 707 m from its
        # nearest node, an 8.49-minute walk at 5 km/h at each end
        tiny.save_grid_graph()
        tiny.sections["network"] = {"path": "roads.graphml", "max_snap_meters": 100_000}
        tiny.sections["access"]["catchment_minutes"] = 60
        tiny.sections["referral"]["max_minutes"] = 40
    assert main(["access", str(tiny.write()), "-q"]) == 0
    table = pd.read_csv(tiny.out / "referral.csv", index_col="centre_id")
    assert table.loc["K1", "nearest_id"] == "H1" and table.loc["K2", "nearest_id"] == "H2"
    if network == "straight_line":
        assert table.loc["K1", "minutes"] == pytest.approx(2.0, abs=1e-6)
    else:
        legs = 2 * 707.1067811865476 / (5 / 3.6) / 60
        assert legs - 1e-6 <= table.loc["K1", "minutes"] <= legs + 2.0 + 1e-6
    assert not table.loc["far", "reachable"]
    facts = _summary(tiny)["referral"]
    assert facts["centres"] == 3 and facts["reachable"] == 2 and facts["unreachable"] == ["far"]


def test_the_plan_draws_the_coverage_curve_and_a_map_per_supply(tiny):
    tiny.save_candidates()
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 10,
        "supplies": ["ventilators"],
    }
    tiny.sections["location"] = {
        "objective": "coverage",
        "budget": 1000.0,
        "catchment_minutes": 2.5,
    }
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    for name in ("coverage_curve.png", "access_by_supply.png"):
        assert (tiny.out / "figures" / name).read_bytes().startswith(b"\x89PNG")
    curve = pd.read_csv(tiny.out / "coverage_curve.csv", index_col="minutes")
    # before: 3,000 of 4,500 within 2 min; after C1 and C2 open in the corners: 4,000
    assert curve.loc[2.0, "share_before"] == pytest.approx(3000 / POP)
    assert curve.loc[2.0, "share_after"] == pytest.approx(4000 / POP)
    assert "Access by supply" in (tiny.out / "report.html").read_text(encoding="utf-8")


def test_validate_reads_the_zones_and_referral_layers(tiny, capsys):
    import geopandas as gpd
    from shapely.geometry import Point, box

    gpd.GeoDataFrame({"z": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=tiny.crs).to_file(
        tiny.folder / "zones.gpkg", engine="pyogrio"
    )
    gpd.GeoDataFrame({"c": ["K", "K"]}, geometry=[Point(0, 0), Point(1, 1)], crs=tiny.crs).to_file(
        tiny.folder / "centres.gpkg", engine="pyogrio"
    )
    tiny.sections["zones"] = {"path": "zones.gpkg", "id": "zone_name"}
    tiny.sections["referral"] = {"path": "centres.gpkg", "id": "c"}
    assert main(["validate", str(tiny.write())]) == 2
    err = capsys.readouterr().err
    assert "zone id column not found" in err and "'zone_name'" in err
    assert "duplicate id 'K'" in err


def test_a_deprivation_ordering_flips_the_concentration_index(tiny):
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.5}
    tiny.sections["areas"]["ordering"] = "Over65"
    assert main(["access", str(tiny.write()), "-q"]) == 0
    income = _summary(tiny)["poverty"]["concentration_index"]
    tiny.sections["inequity"] = {"ordering_is_deprivation": True}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    deprivation = _summary(tiny)["poverty"]["concentration_index"]
    assert income != 0 and deprivation == pytest.approx(-income)


def test_the_poverty_line_is_shown_in_the_report_unit(tiny):
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.5}
    tiny.sections["inequity"] = {"poverty_line": 0.005}
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0}
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    summary = _summary(tiny)
    shown = 0.005 * summary["access"]["scale"]
    html = (tiny.out / "report.html").read_text(encoding="utf-8")
    assert f"below {shown:.2f} {summary['access']['units']}" in html
