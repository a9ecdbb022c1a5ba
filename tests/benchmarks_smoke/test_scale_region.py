"""The synthetic regions of benchmarks/scale_region.py: files accessplan reads as written.

A tiny region (200 areas, about 1,000 road nodes) is built in a temporary
folder; its OSM PBF loads through :func:`accessplan.spatial.network.load_network`
with every node and edge the generator wrote (no node simplified away, one
strongly connected component), its GraphML gives the same graph and travel
times, the layers hold the totals written to ``region.json`` and the scenario
validates. A slightly larger one (about 42 km across) has a motorway: its
carriageways are oneway, joined to the grid at interchanges only.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from accessplan.planner.validate import validate_scenario
from accessplan.spatial.network import load_network

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load_scale_region():
    name = "scale_region"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / "scale_region.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


sr = _load_scale_region()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("region")
    spec = sr.RegionSpec(areas=200, nodes=1_000, facilities=30, candidates=15, seed=5)
    totals = sr.build_region(spec, folder, graphml=True)
    return spec, totals, folder


def test_counts_parse():
    assert sr.parse_count("10k") == 10_000
    assert sr.parse_count("1M") == 1_000_000
    assert sr.parse_count("2,500") == 2_500
    assert sr.RegionSpec(areas=500_000, nodes=1_000_000).name == "a500k-n1M-s13"
    # 500,000 populated cells of 1 km at 85 % populated: a square of 767 km
    assert sr.RegionSpec(areas=500_000, nodes=1_000_000).side_km == 767


def test_layers_hold_the_totals(tiny):
    spec, totals, folder = tiny
    areas = gpd.read_file(folder / "areas.gpkg")
    facilities = gpd.read_file(folder / "facilities.gpkg")
    candidates = gpd.read_file(folder / "candidates.gpkg")
    assert len(areas) == totals.areas == 200
    assert areas["cell_id"].is_unique
    assert (areas["population"] >= 1).all()
    assert areas["population"].sum() == totals.population
    # people_per_area x areas, up to rounding each cell to whole people
    assert abs(totals.population - 200 * spec.people_per_area) <= 200
    assert ((areas["pop_65plus"] >= 0) & (areas["pop_65plus"] <= areas["population"])).all()
    assert len(facilities) == totals.facilities == 30
    assert facilities["hospital_id"].is_unique
    assert facilities["beds"].sum() == totals.beds
    assert (facilities["ventilators"] <= facilities["beds"]).all()
    assert len(candidates) == totals.candidates == 15
    assert (candidates["min_units"] <= candidates["max_units"]).all()
    # every point lies on the 1 km grid of the region (cell centres for the areas)
    side_m = spec.side_km * 1000
    for frame in (areas, facilities, candidates):
        assert frame.crs.to_epsg() == 32632
        x = frame.geometry.x - sr.ORIGIN_X
        y = frame.geometry.y - sr.ORIGIN_Y
        assert ((x > 0) & (x < side_m) & (y > 0) & (y < side_m)).all()
    np.testing.assert_allclose((areas.geometry.x - sr.ORIGIN_X) % 1000, 500)
    record = json.loads((folder / "region.json").read_text())
    assert record["totals"]["population"] == totals.population


def test_pbf_loads_with_every_node_and_edge(tiny):
    _, totals, folder = tiny
    G, report = load_network(folder / "roads.osm.pbf", to_crs="EPSG:32632")
    assert report.nodes_read == report.nodes_kept == totals.nodes
    assert report.edges_read == report.edges_kept == totals.directed_edges
    assert report.components_dropped == 0
    assert report.ways_read == totals.ways
    # the same graph from the GraphML, with the same travel times
    H, _ = load_network(folder / "roads.graphml", to_crs="EPSG:32632")
    assert set(G.nodes) == set(H.nodes)
    times_g = {(u, v): d["travel_time"] for u, v, d in G.edges(data=True)}
    times_h = {(u, v): d["travel_time"] for u, v, d in H.edges(data=True)}
    assert times_g.keys() == times_h.keys()
    diff = max(abs(times_g[e] - times_h[e]) for e in times_g)
    assert diff < 1e-6  # seconds


def test_scenario_validates(tiny):
    _, _, folder = tiny
    for name in ("scenario.toml", "scenario_graphml.toml"):
        result = validate_scenario(folder / name)
        assert (result.areas, result.facilities, result.candidates) == (200, 30, 15)
        assert result.scenario.location.objective == "coverage"
        assert result.scenario.ventilators is not None


def test_same_seed_same_region():
    spec = sr.RegionSpec(areas=300, nodes=800, facilities=10, candidates=5, seed=9)
    a1, towns1 = sr.region_people(spec)
    a2, towns2 = sr.region_people(spec)
    assert a1.equals(a2)
    n1, n2 = sr.road_network(spec, towns1), sr.road_network(spec, towns2)
    assert np.array_equal(n1.node_ids, n2.node_ids)
    assert np.array_equal(n1.way_nodes, n2.way_nodes)
    other, _ = sr.region_people(sr.RegionSpec(areas=300, nodes=800, seed=10))
    assert not a1["population"].equals(other["population"])


def test_motorways_are_oneway_pairs(tmp_path):
    spec = sr.RegionSpec(areas=1_500, nodes=2_000, facilities=10, candidates=5, seed=3)
    _, towns = sr.region_people(spec)
    net = sr.road_network(spec, towns)
    sr.write_pbf(net, tmp_path / "roads.osm.pbf")
    G, report = load_network(tmp_path / "roads.osm.pbf", to_crs="EPSG:32632")
    assert report.components_dropped == 0
    assert report.nodes_kept == len(net.node_ids)
    motorway = [(u, v) for u, v, h in G.edges(data="highway") if h == "motorway"]
    assert motorway
    assert not any(G.has_edge(v, u) for u, v in motorway)  # oneway carriageways
    links = [(u, v) for u, v, h in G.edges(data="highway") if h == "motorway_link"]
    assert links
    # speed classes: maxspeed where tagged, osmnx's per-class means elsewhere
    by_class: dict[str, list[float]] = {}
    for _, _, d in G.edges(data=True):
        by_class.setdefault(d["highway"], []).append(d["speed_kph"])
    order = ["motorway", "trunk", "primary", "secondary", "residential"]
    means = [np.mean(by_class[h]) for h in order]
    assert means == sorted(means, reverse=True)
