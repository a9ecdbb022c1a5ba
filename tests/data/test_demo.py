"""Tests of the bundled SYNTHETIC demo region (accessplan.data.demo and make_demo).

They prove that the shipped files have the promised shape (sizes, columns,
valid non-overlapping polygons, an osmnx-style strongly connected road graph
whose travel times follow from length and speed), that a fresh run of the seeded
generator reproduces them, and that the region tells the story it is meant for:
rural areas are far from hospitals, the city is not.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
import sqlite3
import tomllib
from importlib.resources import files

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from accessplan.data.demo import DEMO_FILES, DemoRegion, demo_path, load_demo
from accessplan.data.errors import AccessplanError, InputFileError
from accessplan.data.make_demo import (
    CRS,
    HEIGHT_M,
    ORIGIN_X_M,
    ORIGIN_Y_M,
    WIDTH_M,
    generate_demo,
    main,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
LOCAL_CLASSES = {"residential", "unclassified", "tertiary"}


@pytest.fixture(scope="module")
def demo() -> DemoRegion:
    return load_demo()


@pytest.fixture(scope="module")
def fresh() -> DemoRegion:
    return generate_demo()


@pytest.fixture(scope="module")
def edges(demo) -> pd.DataFrame:
    rows = [
        {"u": u, "v": v, "key": k, **data}
        for u, v, k, data in demo.graph.edges(keys=True, data=True)
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def minutes_to_nearest(demo):
    """Minutes from each area's representative point to the nearest hospital, and
    to the nearest hospital-or-candidate, by networkx Dijkstra on ``travel_time``."""
    graph = demo.graph
    node_ids = np.array(list(graph.nodes))
    node_xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in node_ids])

    def nearest_nodes(points: gpd.GeoSeries) -> np.ndarray:
        xy = np.column_stack([points.x, points.y])
        d2 = ((xy[:, None, :] - node_xy[None, :, :]) ** 2).sum(axis=2)  # brute force
        return node_ids[d2.argmin(axis=1)]

    area_nodes = nearest_nodes(demo.areas.geometry.representative_point())

    def minutes_from(sites: gpd.GeoSeries) -> np.ndarray:
        # every road is two-way with equal times (tested below), so the time from
        # the nearest site to an area equals the time from the area to that site
        seconds = nx.multi_source_dijkstra_path_length(
            graph, set(nearest_nodes(sites).tolist()), weight="travel_time"
        )
        return np.array([seconds[n] / 60.0 for n in area_nodes])

    existing = minutes_from(demo.hospitals.geometry)
    with_all_candidates = minutes_from(
        pd.concat([demo.hospitals.geometry, demo.candidates.geometry], ignore_index=True)
    )
    return existing, with_all_candidates


# ----------------------------------------------------------------------- files


def test_every_bundled_file_is_present_and_under_5_mb():
    folder = files("accessplan.data") / "demo"
    for name in DEMO_FILES:
        path = folder / name
        assert path.is_file(), name
        assert len(path.read_bytes()) < MAX_FILE_BYTES, name
        assert demo_path(name).read_bytes() == path.read_bytes()


def test_demo_path_rejects_names_that_are_not_bundled():
    with pytest.raises(InputFileError) as info:
        demo_path("../errors.py")
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, AccessplanError)
    assert "region.gpkg" in str(info.value)


def test_data_is_documented_as_synthetic_and_fictional():
    import accessplan.data.demo as demo_module
    import accessplan.data.make_demo as make_module

    readme = demo_path("README.md").read_text(encoding="utf-8")
    for text in (readme, demo_module.__doc__, make_module.__doc__):
        assert "SYNTHETIC" in text
        assert "fictional" in text.lower()
    assert "EPSG:32631" in readme
    assert "North Sea" in readme


def test_region_lies_at_sea_in_the_north_sea(demo):
    """The fictional region is put on the Dogger Bank, well away from any coast."""
    to_lonlat = pyproj.Transformer.from_crs(demo.crs, "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(*np.array(demo.areas.total_bounds).reshape(2, 2).T)
    assert np.all((lon > 2.0) & (lon < 4.0)), lon
    assert np.all((lat > 55.0) & (lat < 56.0)), lat


def test_files_carry_no_run_dependent_timestamps():
    raw = demo_path("roads.graphml.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert int.from_bytes(raw[4:8], "little") == 0  # gzip MTIME field
    with sqlite3.connect(f"file:{demo_path('region.gpkg')}?mode=ro", uri=True) as con:
        stamps = {row[0] for row in con.execute("SELECT last_change FROM gpkg_contents")}
    assert len(stamps) == 1
    assert stamps.pop().startswith("2025-04-01T00:00:00")


def test_scenario_toml_points_at_bundled_layers_and_columns():
    scenario = tomllib.loads(demo_path("scenario.toml").read_text(encoding="utf-8"))
    gpkg = demo_path("region.gpkg")
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    for section, column_keys in {
        "areas": ("id", "population", "need", "group"),
        "facilities": ("id", "capacity"),
        "candidates": ("id",),
    }.items():
        spec = scenario[section]
        assert spec["path"] == "region.gpkg"
        assert spec["layer"] in layers
        columns = set(pyogrio.read_info(gpkg, layer=spec["layer"])["fields"])
        for key in column_keys:
            assert spec[key] in columns, (section, key)
    assert (demo_path("scenario.toml").parent / scenario["network"]["path"]).is_file()
    assert scenario["access"]["catchment_minutes"] == max(
        float(m) for m in scenario["access"]["decay"]["steps"]
    )


# ----------------------------------------------------------------------- areas


def test_areas_columns_types_and_totals(demo):
    areas = demo.areas
    assert 300 <= len(areas) <= 800
    assert {"area_id", "district", "settlement", "population", "pop_65plus"} <= set(areas.columns)
    assert pyproj.CRS(areas.crs) == pyproj.CRS(CRS)
    assert pyproj.CRS(areas.crs).is_projected
    assert pd.api.types.is_string_dtype(areas["area_id"])
    assert pd.api.types.is_integer_dtype(areas["population"])
    assert pd.api.types.is_integer_dtype(areas["pop_65plus"])
    assert areas["area_id"].is_unique
    assert all(re.fullmatch(r"A\d{4}", i) for i in areas["area_id"])
    assert set(areas["settlement"]) == {"city", "town", "rural"}
    assert 3 <= areas["district"].nunique() <= 6
    assert (areas["population"] >= 0).all()
    assert ((areas["pop_65plus"] >= 0) & (areas["pop_65plus"] <= areas["population"])).all()
    assert 500_000 <= areas["population"].sum() <= 1_000_000


def test_area_polygons_are_valid_do_not_overlap_and_tile_the_region(demo):
    geoms = demo.areas.geometry.to_numpy()
    assert (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all()
    assert shapely.is_valid(geoms).all()
    assert (shapely.area(geoms) > 0).all()
    region_area = WIDTH_M * HEIGHT_M
    union = shapely.union_all(geoms)
    # sum of parts == area of the union <=> no two polygons overlap (up to rounding)
    assert shapely.area(geoms).sum() == pytest.approx(union.area, rel=1e-9)
    assert union.area == pytest.approx(region_area, rel=1e-9)
    np.testing.assert_allclose(
        union.bounds, (ORIGIN_X_M, ORIGIN_Y_M, ORIGIN_X_M + WIDTH_M, ORIGIN_Y_M + HEIGHT_M)
    )


def test_one_city_and_four_to_six_separate_towns(demo):
    areas = demo.areas
    city = shapely.union_all(areas.geometry[areas["settlement"] == "city"].to_numpy())
    towns = shapely.union_all(areas.geometry[areas["settlement"] == "town"].to_numpy())
    assert city.geom_type == "Polygon"
    assert towns.geom_type == "MultiPolygon"
    assert 4 <= len(towns.geoms) <= 6
    by_kind = areas.groupby("settlement")["population"].sum()
    assert by_kind["city"] > by_kind["town"] > by_kind["rural"] > 0
    # areas are small where people are many: city areas are smaller than rural ones
    size = areas.geometry.area.groupby(areas["settlement"]).median()
    assert size["city"] < size["town"] < size["rural"]


def test_older_people_make_up_a_larger_share_in_rural_areas(demo):
    totals = demo.areas.groupby("settlement")[["population", "pop_65plus"]].sum()
    share = totals["pop_65plus"] / totals["population"]
    assert share["rural"] > share["town"] > share["city"]


# ----------------------------------------------------------------------- roads


def test_graph_is_an_osmnx_style_network_of_the_right_size(demo, edges):
    graph = demo.graph
    assert isinstance(graph, nx.MultiDiGraph)
    assert 5_000 <= graph.number_of_nodes() <= 20_000
    assert pyproj.CRS(graph.graph["crs"]) == pyproj.CRS(CRS)
    for _, data in graph.nodes(data=True):
        assert isinstance(data["x"], float) and isinstance(data["y"], float)
    xy = np.array([(d["x"], d["y"]) for _, d in graph.nodes(data=True)])
    assert (xy[:, 0] >= ORIGIN_X_M).all() and (xy[:, 0] <= ORIGIN_X_M + WIDTH_M).all()
    assert (xy[:, 1] >= ORIGIN_Y_M).all() and (xy[:, 1] <= ORIGIN_Y_M + HEIGHT_M).all()
    for column in ("osmid", "highway", "length", "speed_kph", "travel_time", "oneway"):
        assert edges[column].notna().all(), column
    assert pd.api.types.is_integer_dtype(edges["osmid"])
    assert {"motorway", "primary", "secondary", "tertiary", "unclassified", "residential"} <= set(
        edges["highway"]
    )


def test_travel_time_is_length_over_speed_and_length_matches_coordinates(demo, edges):
    np.testing.assert_allclose(
        edges["travel_time"], edges["length"] / (edges["speed_kph"] / 3.6), rtol=1e-12
    )
    graph = demo.graph
    x = {n: d["x"] for n, d in graph.nodes(data=True)}
    y = {n: d["y"] for n, d in graph.nodes(data=True)}
    straight = np.hypot(
        edges["u"].map(x) - edges["v"].map(x), edges["v"].map(y) - edges["u"].map(y)
    )
    np.testing.assert_allclose(edges["length"], straight, atol=0.01)
    assert (edges["length"] > 0).all()


def test_every_road_is_two_way_and_the_graph_is_strongly_connected(demo, edges):
    assert not edges["oneway"].any()
    forward = edges.set_index(["u", "v"])[["length", "travel_time"]].sort_index()
    backward = edges.set_index(["v", "u"])[["length", "travel_time"]].sort_index()
    backward.index.names = ["u", "v"]
    pd.testing.assert_frame_equal(forward, backward)
    assert nx.is_strongly_connected(demo.graph)


def test_motorways_are_the_fastest_roads(edges):
    speed = edges.groupby("highway")["speed_kph"]
    assert speed.min()["motorway"] > speed.max()[list(LOCAL_CLASSES)].max()
    assert speed.min()["motorway"] > speed.max()["primary"]


# ----------------------------------------------------------------------- sites


def test_hospitals_are_in_the_city_and_towns_only(demo):
    hospitals = demo.hospitals
    assert 8 <= len(hospitals) <= 15
    assert list(hospitals["site_id"]) == [f"H{i:02d}" for i in range(1, len(hospitals) + 1)]
    for column in ("name", "beds", "icu_beds", "ventilators", "mean_stay_days"):
        assert hospitals[column].notna().all(), column
    for column in ("beds", "icu_beds", "ventilators"):
        assert pd.api.types.is_integer_dtype(hospitals[column]), column
    assert (hospitals["beds"] > 0).all()
    assert ((hospitals["icu_beds"] > 0) & (hospitals["icu_beds"] < hospitals["beds"])).all()
    assert (hospitals["ventilators"] > 0).all()
    assert (hospitals["mean_stay_days"] > 0).all()
    where = gpd.sjoin(hospitals, demo.areas, predicate="within", how="left")
    assert len(where) == len(hospitals)
    assert set(where["settlement"]) == {"city", "town"}
    counts = where["settlement"].value_counts()
    assert counts["city"] > counts["town"]


def test_candidates_lie_in_towns_and_rural_centres(demo):
    candidates = demo.candidates
    assert 30 <= len(candidates) <= 60
    assert list(candidates["site_id"]) == [f"C{i:02d}" for i in range(1, len(candidates) + 1)]
    for column in ("name", "site_cost", "unit_cost", "max_units", "min_units"):
        assert candidates[column].notna().all(), column
    assert (candidates["site_cost"] > 0).all() and (candidates["unit_cost"] > 0).all()
    assert pd.api.types.is_integer_dtype(candidates["max_units"])
    assert (
        (candidates["min_units"] >= 0) & (candidates["min_units"] <= candidates["max_units"])
    ).all()
    where = gpd.sjoin(candidates, demo.areas, predicate="within", how="left")
    assert len(where) == len(candidates)
    assert set(where["settlement_right"]) == {"town", "rural"}
    assert (where["settlement_left"] == where["settlement_right"]).all()
    # rural candidates reach the uplands, where access is worst
    assert (where["district"] == "Fellside").sum() >= 3


# ----------------------------------------------------------------------- the story


def test_rural_areas_are_far_from_hospitals_and_the_city_is_not(demo, minutes_to_nearest):
    minutes, _ = minutes_to_nearest
    kind = demo.areas["settlement"].to_numpy()
    city, rural = np.median(minutes[kind == "city"]), np.median(minutes[kind == "rural"])
    assert city < 10
    assert rural > 3 * city
    assert minutes[kind == "city"].max() < 20


def test_a_visible_share_has_no_hospital_within_60_minutes(demo, minutes_to_nearest):
    minutes, with_all_candidates = minutes_to_nearest
    population = demo.areas["population"].to_numpy()
    kind = demo.areas["settlement"].to_numpy()
    beyond = minutes > 60
    share = population[beyond].sum() / population.sum()
    assert 0.03 <= share <= 0.15
    assert not (beyond & (kind == "city")).any()
    # opening candidate sites could bring everybody within the hour
    assert (with_all_candidates <= 60).all()
    assert (with_all_candidates <= minutes + 1e-9).all()


# ----------------------------------------------------------------------- loader


def test_load_demo_returns_fresh_copies(demo):
    first = load_demo()
    node = next(iter(first.graph.nodes))
    first.areas.loc[0, "population"] = -1
    first.hospitals["beds"] = 0
    first.graph.remove_node(node)
    first.graph.graph["crs"] = "EPSG:4326"
    second = load_demo()
    assert second.areas.loc[0, "population"] >= 0
    assert (second.hospitals["beds"] > 0).all()
    assert node in second.graph and second.graph.graph["crs"] == CRS
    with pytest.raises(dataclasses.FrozenInstanceError):
        second.areas = None  # type: ignore[misc]


# ----------------------------------------------------------------------- determinism


def test_fresh_generation_equals_the_shipped_files(demo, fresh):
    for layer in ("areas", "hospitals", "candidates"):
        assert_geodataframe_equal(
            getattr(fresh, layer), getattr(demo, layer), check_less_precise=True
        )
    assert pyproj.CRS(fresh.crs) == pyproj.CRS(demo.crs)
    assert fresh.graph.graph == demo.graph.graph
    assert dict(fresh.graph.nodes(data=True)) == dict(demo.graph.nodes(data=True))
    shipped = {(u, v, k): d for u, v, k, d in demo.graph.edges(keys=True, data=True)}
    regenerated = {(u, v, k): d for u, v, k, d in fresh.graph.edges(keys=True, data=True)}
    assert regenerated == shipped


def test_command_line_rewrites_the_same_files(tmp_path):
    assert main(["--out", str(tmp_path)]) == 0
    written = gzip.decompress((tmp_path / "roads.graphml.gz").read_bytes())
    shipped = gzip.decompress(demo_path("roads.graphml.gz").read_bytes())
    assert written == shipped, "regenerate with `python -m accessplan.data.make_demo`"
    for layer in ("areas", "hospitals", "candidates"):
        assert_geodataframe_equal(
            gpd.read_file(tmp_path / "region.gpkg", layer=layer),
            gpd.read_file(demo_path("region.gpkg"), layer=layer),
        )
