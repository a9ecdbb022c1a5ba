"""Coverage indicators: nearest-facility minutes, population within T, curves, zones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.coverage_indicators import (
    OUTSIDE_LABEL,
    TOTAL_LABEL,
    assign_zones,
    coverage_curve,
    nearest_minutes,
    population_within,
    zonal_coverage,
)
from accessplan.spatial.travel_time import straight_line_travel_times


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


# a: nearest 5 (x), b: nearest 20 (y), c: nearest 45, d: no facility in the table
OD = _od(
    [
        ("a", "x", 12.0),
        ("a", "y", 5.0),
        ("b", "y", 20.0),
        ("b", "x", 31.0),
        ("c", "x", 45.0),
    ]
)
POP = pd.Series([100.0, 200.0, 300.0, 400.0], index=["a", "b", "c", "d"], name="population")


def test_nearest_minutes_by_hand_and_nan_without_facility():
    got = nearest_minutes(OD, ["a", "b", "c", "d"])
    assert got.index.tolist() == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(got.to_numpy(), [5.0, 20.0, 45.0, np.nan])


def test_nearest_minutes_unsorted_table_equals_sorted():
    shuffled = OD.sample(frac=1.0, random_state=3).reset_index(drop=True)
    # interleave origins so that one origin forms several runs
    shuffled = pd.concat([shuffled, _od([("c", "y", 44.0), ("a", "z", 4.5)])], ignore_index=True)
    got = nearest_minutes(shuffled, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(got.to_numpy(), [4.5, 20.0, 44.0, np.nan])


def test_nearest_minutes_restricted_to_sites():
    got = nearest_minutes(OD, ["a", "b", "c", "d"], site_ids=["x"])
    np.testing.assert_array_equal(got.to_numpy(), [12.0, 31.0, 45.0, np.nan])


def test_nearest_minutes_brute_force_random():
    rng = np.random.default_rng(7)
    n_o, n_s = 30, 6
    pairs = [(o, s) for o in range(n_o) for s in range(n_s) if rng.random() < 0.4]
    od = _od([(f"o{o}", f"s{s}", float(rng.integers(0, 90))) for o, s in pairs])
    od = od.sample(frac=1.0, random_state=1)
    got = nearest_minutes(od, [f"o{o}" for o in range(n_o)])
    for o in range(n_o):
        mins = [m for (oo, _s, m) in od.itertuples(index=False) if oo == f"o{o}"]
        expected = min(mins) if mins else np.nan
        np.testing.assert_equal(got[f"o{o}"], expected)


def test_infinite_minutes_are_out_of_reach():
    od = _od([("a", "x", np.inf), ("b", "x", 3.0)])
    got = nearest_minutes(od, ["a", "b"])
    np.testing.assert_array_equal(got.to_numpy(), [np.nan, 3.0])


def test_population_within_by_hand():
    t = population_within(OD, POP, thresholds_minutes=[60, 15, 30, 5, 120])
    assert t.index.tolist() == [5.0, 15.0, 30.0, 60.0, 120.0]
    # a (100) at 5, b (200) at 20, c (300) at 45, d (400) never
    assert t["population_within"].tolist() == [100.0, 100.0, 300.0, 600.0, 600.0]
    np.testing.assert_allclose(t["share_within"], [0.1, 0.1, 0.3, 0.6, 0.6])
    assert (t["population_total"] == 1000.0).all()


def test_population_within_zero_population_share_is_nan():
    t = population_within(OD, POP * 0, thresholds_minutes=[15])
    assert t["population_within"].tolist() == [0.0]
    assert np.isnan(t["share_within"].iloc[0])


def test_coverage_curve_matches_population_within_on_every_grid_point():
    curve = coverage_curve(OD, POP, max_minutes=50, step_minutes=5)
    assert curve.index.tolist() == [float(m) for m in range(0, 55, 5)]
    direct = population_within(OD, POP, thresholds_minutes=curve.index.tolist())
    np.testing.assert_allclose(curve["population_within"], direct["population_within"])
    np.testing.assert_allclose(curve["share_within"], direct["share_within"])
    # step at 5 (a, exactly at the boundary counts), 20 (b), 45 (c)
    assert curve.loc[5.0, "population_within"] == 100.0
    assert curve.loc[15.0, "population_within"] == 100.0
    assert curve.loc[20.0, "population_within"] == 300.0
    assert curve.loc[50.0, "population_within"] == 600.0


def test_coverage_curve_ends_at_max_minutes_off_grid():
    curve = coverage_curve(OD, POP, max_minutes=47, step_minutes=10)
    assert curve.index.tolist() == [0.0, 10.0, 20.0, 30.0, 40.0, 47.0]
    assert curve.loc[47.0, "population_within"] == 600.0
    assert curve.loc[40.0, "population_within"] == 300.0


def test_coverage_curve_before_after_with_site_ids():
    before = coverage_curve(OD, POP, max_minutes=30, site_ids=["x"])
    after = coverage_curve(OD, POP, max_minutes=30)
    assert before.loc[10.0, "population_within"] == 0.0
    assert after.loc[10.0, "population_within"] == 100.0
    assert (after["population_within"] >= before["population_within"]).all()


def test_zonal_coverage_by_hand():
    zones = pd.Series(["N", "N", "S", "S"], index=["a", "b", "c", "d"])
    t = zonal_coverage(OD, POP, zones, thresholds_minutes=[15, 60])
    assert t.index.tolist() == ["N", "S", TOTAL_LABEL]
    assert t["row"].tolist() == ["zone", "zone", "total"]
    assert t["population"].tolist() == [300.0, 700.0, 1000.0]
    assert t["areas"].tolist() == [2.0, 2.0, 4.0]
    assert t["population_no_facility"].tolist() == [0.0, 400.0, 400.0]
    assert t["population_within_15min"].tolist() == [100.0, 0.0, 100.0]
    np.testing.assert_allclose(t["share_within_15min"], [1 / 3, 0.0, 0.1])
    np.testing.assert_allclose(t["share_within_60min"], [1.0, 300 / 700, 0.6])
    # N: 100 at 5, 200 at 20 -> half (150) first reached at 20
    # S: 300 at 45, 400 never -> more than half has no facility: NaN
    # all: 100@5, 200@20, 300@45 -> 600 >= 500 at 45
    assert t.loc["N", "median_minutes_nearest"] == 20.0
    assert np.isnan(t.loc["S", "median_minutes_nearest"])
    assert t.loc[TOTAL_LABEL, "median_minutes_nearest"] == 45.0


def test_weighted_median_is_the_lower_median_and_ignores_order():
    od = _od([("p", "x", 20.0), ("q", "x", 10.0), ("r", "x", 30.0)])
    pop = pd.Series([50.0, 50.0, 0.0], index=["p", "q", "r"])
    zones = pd.Series("Z", index=["p", "q", "r"])
    t = zonal_coverage(od, pop, zones, thresholds_minutes=[15])
    assert t.loc["Z", "median_minutes_nearest"] == 10.0
    # a heavier far area moves the median
    pop2 = pd.Series([50.0, 50.0, 101.0], index=["p", "q", "r"])
    t2 = zonal_coverage(od, pop2, zones, thresholds_minutes=[15])
    assert t2.loc["Z", "median_minutes_nearest"] == 30.0


def test_weighted_median_brute_force():
    rng = np.random.default_rng(11)
    ids = [f"i{k}" for k in range(25)]
    od = _od([(i, "x", float(rng.integers(0, 60))) for i in ids if rng.random() < 0.8])
    pop = pd.Series(rng.integers(0, 50, len(ids)).astype(float), index=ids)
    zones = pd.Series(rng.choice(["A", "B", "C"], len(ids)), index=ids)
    t = zonal_coverage(od, pop, zones, thresholds_minutes=[30])
    near = nearest_minutes(od, ids).fillna(np.inf)
    for z in ["A", "B", "C"]:
        members = zones.index[zones == z]
        total = pop[members].sum()
        best = np.nan
        for m in sorted(near[members].unique()):
            if np.isfinite(m) and pop[members][near[members] <= m].sum() >= total / 2 and total > 0:
                best = m
                break
        np.testing.assert_equal(t.loc[z, "median_minutes_nearest"], best)


def test_zonal_coverage_lists_areas_outside_every_zone():
    zones = pd.Series(["N", "N", np.nan, "S"], index=["a", "b", "c", "d"])
    t = zonal_coverage(OD, POP, zones, thresholds_minutes=[60])
    assert t.index.tolist() == ["N", "S", OUTSIDE_LABEL, TOTAL_LABEL]
    assert t.loc[OUTSIDE_LABEL, "row"] == "outside"
    assert t.loc[OUTSIDE_LABEL, "population"] == 300.0
    assert t.loc[OUTSIDE_LABEL, "population_within_60min"] == 300.0
    # zone rows plus the outside row add up to the total
    body = t[t["row"] != "total"]
    assert body["population"].sum() == t.loc[TOTAL_LABEL, "population"]
    assert body["population_within_60min"].sum() == t.loc[TOTAL_LABEL, "population_within_60min"]


def test_assign_zones_point_in_polygon_and_outside():
    zones = gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs="EPSG:3067",
    )
    areas = gpd.GeoDataFrame(
        geometry=[Point(2, 2), box(12, 1, 14, 3), Point(50, 50), Point(10, 5)],
        index=pd.Index(["a", "b", "c", "d"]),
        crs="EPSG:3067",
    )
    got = assign_zones(areas, zones, id="name")
    assert got.index.tolist() == ["a", "b", "c", "d"]
    assert got["a"] == "West"
    assert got["b"] == "East"
    assert pd.isna(got["c"])
    assert got["d"] == "West"  # on the shared boundary: the first zone of the layer


def test_assign_zones_projects_zones_to_the_areas_crs():
    zones_m = gpd.GeoDataFrame(
        {"name": ["Z"]}, geometry=[box(380000, 6670000, 390000, 6680000)], crs="EPSG:3067"
    )
    areas = gpd.GeoDataFrame(
        geometry=[Point(385000, 6675000), Point(300000, 6675000)],
        index=pd.Index(["in", "out"]),
        crs="EPSG:3067",
    )
    got = assign_zones(areas, zones_m.to_crs("EPSG:4326"), id="name")
    assert got["in"] == "Z"
    assert pd.isna(got["out"])


def test_bad_inputs_are_reported_together():
    od = _od([("a", "x", np.nan), ("zz", "x", -1.0)])
    pop = pd.Series([1.0, -2.0], index=["a", "b"])
    with pytest.raises(InputValidationError) as info:
        population_within(od, pop, thresholds_minutes=[-5])
    text = str(info.value)
    assert "negative (must be >= 0)" in text
    assert "thresholds_minutes" in text
    assert isinstance(info.value, AccessplanError) and isinstance(info.value, ValueError)
    with pytest.raises(InputValidationError) as info:
        nearest_minutes(od, ["a", "b"])
    text = str(info.value)
    assert "missing (NaN)" in text and "negative (minutes" in text and "not among the areas" in text


def test_zones_must_cover_every_area():
    zones = pd.Series(["N"], index=["a"])
    with pytest.raises(InputValidationError, match="no zone entry"):
        zonal_coverage(OD, POP, zones)


def test_not_an_od_table():
    with pytest.raises(InputValidationError, match="DataFrame"):
        population_within([1, 2], POP)


def test_nan_or_negative_minutes_inside_a_run_are_found():
    od = _od([("a", "x", 3.0), ("a", "y", np.nan), ("b", "x", 4.0), ("b", "y", -0.5)])
    with pytest.raises(InputValidationError) as info:
        nearest_minutes(od, ["a", "b"])
    text = str(info.value)
    assert "row 1: 1 value(s) missing (NaN)" in text
    assert "row 3: 1 value(s) negative" in text


def test_helsinki_grid_zones_and_coverage_against_brute_force(shared_data):
    grid = gpd.read_file(shared_data / "helsinki" / "helsinki_population_grid_2020.gpkg")
    grid = grid.to_crs("EPSG:3067")
    grid["id"] = grid["id"].astype(str)
    cells = grid.set_index("id")
    points = cells.geometry.representative_point()
    west, south, east, north = cells.total_bounds
    split = (west + east) / 2
    zones = gpd.GeoDataFrame(
        {"district": ["West", "East"]},
        geometry=[box(west, south, split, north), box(split, south, east, north)],
        crs="EPSG:3067",
    ).to_crs("EPSG:4326")  # the boundary layer in another CRS
    labels = assign_zones(cells, zones, id="district")
    assert labels.notna().all()
    expected_labels = np.where(points.x.to_numpy() <= split, "West", "East")
    assert labels.tolist() == expected_labels.tolist()

    sites = gpd.GeoDataFrame(
        {"site": ["h1", "h2"]},
        geometry=[Point(west + 300, south + 300), Point(east - 200, north - 500)],
        crs="EPSG:3067",
    )
    od = straight_line_travel_times(
        grid.assign(geometry=grid.geometry.representative_point()),
        sites,
        origin_id="id",
        site_id="site",
        speed_kph=5,
        max_minutes=30,
    ).od
    population = cells["population"].astype(float)
    table = zonal_coverage(od, population, labels, thresholds_minutes=[10, 20, 30])
    assert table.loc[TOTAL_LABEL, "population"] == population.sum()
    shares = table.loc[TOTAL_LABEL, ["share_within_10min", "share_within_30min"]]
    assert 0 < shares.iloc[0] < shares.iloc[1]  # not a trivial all-or-nothing instance
    # brute force: straight-line minutes at 5 km/h to the nearer site, within 30 minutes
    d = np.hypot(
        points.x.to_numpy()[:, None] - sites.geometry.x.to_numpy()[None, :],
        points.y.to_numpy()[:, None] - sites.geometry.y.to_numpy()[None, :],
    )
    near = (d / (5000 / 60)).min(axis=1)
    near[near > 30] = np.inf
    for zone in ["West", "East"]:
        members = (labels == zone).to_numpy()
        assert table.loc[zone, "population"] == population[members].sum()
        for t in (10, 20, 30):
            within = population[members & (near <= t)].sum()
            assert table.loc[zone, f"population_within_{t}min"] == pytest.approx(within)
