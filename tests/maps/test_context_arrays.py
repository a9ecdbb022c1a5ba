"""Map context roads from a network held as arrays (the lean path) match the graph's."""

from __future__ import annotations

from pathlib import Path

import pytest

from accessplan.maps.context import MAJOR_ROADS, network_lines
from accessplan.spatial.network import load_network
from accessplan.spatial.road_arrays import RoadArrays

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "roads.graphml.gz"


@pytest.fixture(scope="module")
def demo_graph():
    graph, _ = load_network(DEMO)
    return graph


def lengths(lines):
    major = lines["highway"].isin(MAJOR_ROADS)
    return lines.length[major].sum(), lines.length[~major].sum()


def test_array_roads_draw_the_same_network(demo_graph):
    from_graph = network_lines(demo_graph, simplify_m=0)
    from_arrays = network_lines(RoadArrays.from_graph(demo_graph), simplify_m=0)
    # the demo's edges are straight: the same segments, major and minor alike
    assert from_arrays.attrs["n_segments"] == from_graph.attrs["n_segments"]
    for a, b in zip(lengths(from_arrays), lengths(from_graph), strict=True):
        assert a == pytest.approx(b, rel=1e-9)
    assert from_arrays.crs == from_graph.crs


def test_array_roads_keep_major_only_when_large(demo_graph):
    lines = network_lines(RoadArrays.from_graph(demo_graph), max_edges=100)
    assert lines.attrs["major_only"]
    assert set(lines["highway"]) <= set(MAJOR_ROADS)


def test_past_the_budget_the_most_important_classes_are_kept(demo_graph):
    """max_edges=100: major roads only, as many classes as fit in 50 segments, motorways first."""
    for network in (demo_graph, RoadArrays.from_graph(demo_graph)):
        lines = network_lines(network, max_edges=100)
        kept = set(lines["highway"])
        assert "motorway" in kept  # the most important class is always kept
        assert not kept & {"primary", "secondary", "tertiary"}  # they would pass the budget
