"""Array node-coordinate helpers: the CRS osmnx (geopandas) picks, the checks' errors."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest

from accessplan.spatial import network_crs, node_crs
from accessplan.spatial.errors import NetworkCRSError
from accessplan.spatial.node_crs import check_node_coordinates, project_nodes, utm_crs_for


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:4269", "EPSG:3857"])
def test_utm_zone_is_the_geopandas_estimate(crs):
    rng = np.random.default_rng(5)
    to = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    for _ in range(5):
        lon = rng.uniform(-179, 179) + rng.normal(0, 0.5, 30)
        lat = rng.uniform(-75, 80) + rng.normal(0, 0.5, 30)
        x, y = (np.asarray(v) for v in to.transform(lon, lat))
        expected = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=crs).estimate_utm_crs()
        assert utm_crs_for(x, y, crs) == expected


def test_ups_beyond_84_north_and_80_south():
    assert utm_crs_for(np.array([10.0, 11.0]), np.array([84.5, 85.0])).to_epsg() == 32661
    assert utm_crs_for(np.array([10.0, 11.0]), np.array([-80.5, -81.0])).to_epsg() == 32761
    # the mean of distinct points decides: a repeated point does not pull it
    lat = np.array([83.0, 83.0, 83.0, 86.0])
    assert utm_crs_for(np.array([10.0, 10.0, 10.0, 11.0]), lat).to_epsg() == 32661


def test_projected_check_names_the_first_bad_node():
    crs = pyproj.CRS.from_user_input("EPSG:32635")
    x, y, out = project_nodes(
        np.array([24.9, 25.0]), np.array([60.1, 60.2]), pyproj.CRS.from_user_input("EPSG:4326")
    )
    assert out == crs
    check_node_coordinates(np.array([7, 8]), x, y, out, source="f", projected=True)
    with pytest.raises(NetworkCRSError, match=r"1 of 2 nodes .* after projecting .*node 8"):
        check_node_coordinates(
            np.array([7, 8]), x, np.array([y[0], np.inf]), out, source="f", projected=True
        )


@pytest.mark.parametrize(
    ("crs", "bad_xy", "expected"),
    [
        (
            "EPSG:4326",
            (500000.0, 4.0e6),
            "g: the graph's crs EPSG:4326 is in degrees, but 1 of 2 nodes lie outside "
            "longitude -180..180 / latitude -90..90 (e.g. node (3, 4): x=500000, y=4000000); "
            "if these are metres of a projected CRS, set the graph's 'crs' attribute to that CRS",
        ),
        (
            "EPSG:32616",
            (1.0e9, 1.0),
            "g: 1 of 2 nodes have coordinates in the graph's crs (EPSG:32616) that are not "
            "finite or lie beyond any place on Earth (e.g. node (3, 4): x=1000000000, y=1); "
            "check the node coordinates and the graph's 'crs' attribute",
        ),
    ],
)
def test_graph_and_array_checks_say_the_same(crs, bad_xy, expected):
    """The graph check runs the array check on the graph's nodes: one message, ids kept as they are."""
    assert node_crs.check_node_coordinates is network_crs.check_node_coordinates
    G = nx.MultiDiGraph(crs=crs)
    G.add_node("a", x=1.0, y=2.0)
    G.add_node((3, 4), x=bad_xy[0], y=bad_xy[1])  # a tuple id stays one id
    parsed = pyproj.CRS.from_user_input(crs)
    with pytest.raises(NetworkCRSError) as graph_error:
        network_crs.check_graph_coordinates(G, parsed, source="g")
    ids = np.empty(2, dtype=object)
    ids[0], ids[1] = "a", (3, 4)
    with pytest.raises(NetworkCRSError) as array_error:
        check_node_coordinates(
            ids, np.array([1.0, bad_xy[0]]), np.array([2.0, bad_xy[1]]), parsed, source="g"
        )
    assert str(graph_error.value) == str(array_error.value) == expected
