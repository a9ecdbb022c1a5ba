"""Road network CRS and coordinates: one clear error per problem, metres in every result."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from pyproj import Transformer

from accessplan.data.errors import AccessplanError
from accessplan.spatial.errors import NetworkCRSError, NetworkError
from accessplan.spatial.network import load_network, prepare_network

# three street corners in Chicago (lon, lat) and the same in UTM 16N metres
CHICAGO = {1: (-87.65, 41.85), 2: (-87.64, 41.85), 3: (-87.64, 41.86)}
TO_UTM16 = Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)


def triangle(crs: str = "EPSG:4326", points: dict | None = None) -> nx.MultiDiGraph:
    """A two-way triangle of streets, 1 km per edge, 36 km/h limits."""
    G = nx.MultiDiGraph(crs=crs)
    for n, (x, y) in (points or CHICAGO).items():
        G.add_node(n, x=x, y=y)
    for u, v in [(1, 2), (2, 3), (3, 1)]:
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=1000.0, highway="residential", maxspeed="36")
    return G


def utm_points() -> dict:
    return {n: TO_UTM16.transform(*xy) for n, xy in CHICAGO.items()}


def save(G: nx.MultiDiGraph, folder, name: str):
    path = folder / name
    ox.save_graphml(G, path)
    return path


def refused(path, **options) -> str:
    """The one error load_network raises: ours, a ValueError, naming the file."""
    with pytest.raises(NetworkCRSError) as info:
        load_network(path, **options)
    err = info.value
    assert isinstance(err, NetworkError) and isinstance(err, AccessplanError)
    assert isinstance(err, ValueError)
    message = str(err)
    assert path.name in message
    assert "Traceback" not in message and "np.float64" not in message
    return message


# --------------------------------------------------------------------------
# coordinates that do not fit the CRS
# --------------------------------------------------------------------------


def test_graphml_claiming_degrees_but_holding_metres(tmp_path):
    """UTM metres labelled EPSG:4326: refused, not projected into infinities."""
    path = save(triangle("EPSG:4326", utm_points()), tmp_path, "metres_as_4326.graphml")
    message = refused(path)
    assert "EPSG:4326" in message and "degrees" in message
    assert "3 of 3 nodes" in message and "outside longitude -180..180" in message
    assert "node 1: x=446042.1786" in message
    # with a target CRS as well
    refused(path, to_crs="EPSG:32616")


@pytest.mark.parametrize(
    ("crs", "x", "y", "expected"),
    [
        ("EPSG:4326", math.nan, 41.85, "not finite numbers (e.g. node 1: x=nan, y=41.85)"),
        ("EPSG:4326", math.inf, 41.85, "not finite numbers (e.g. node 1: x=inf, y=41.85)"),
        ("EPSG:4326", -87.65, 95.0, "latitude -90..90 (e.g. node 1: x=-87.65, y=95)"),
        ("EPSG:4326", 1e20, 41.85, "outside longitude -180..180"),
        ("EPSG:32616", 1e20, 4.6e6, "beyond any place on Earth (e.g. node 1: x=1e+20"),
        ("EPSG:32616", 4.4e5, -math.inf, "not finite numbers (e.g. node 1: x=440000, y=-inf)"),
    ],
)
def test_node_coordinates_that_are_no_place(tmp_path, crs, x, y, expected):
    points = dict(CHICAGO) if crs == "EPSG:4326" else utm_points()
    points[1] = (x, y)
    path = save(triangle(crs, points), tmp_path, "bad_node.graphml")
    message = refused(path)
    assert expected in message
    assert "1 of 3 nodes" in message


def test_coordinates_that_become_no_place_after_projecting(tmp_path):
    """Latitude 90 is a valid point, but Web Mercator sends it beyond any map."""
    points = {1: (-87.65, 90.0), 2: (-87.64, 89.0), 3: (-87.63, 89.0)}
    path = save(triangle("EPSG:4326", points), tmp_path, "pole.graphml")
    message = refused(path, to_crs="EPSG:3857")
    assert "after projecting (EPSG:3857)" in message and "node 1" in message
    # its own polar CRS is fine
    G, report = load_network(path)
    assert report.crs == "EPSG:32661"
    assert all(math.isfinite(d["x"]) and math.isfinite(d["y"]) for _, d in G.nodes(data=True))


# --------------------------------------------------------------------------
# CRS text
# --------------------------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:999999", "not a crs", "+proj=nowhere"])
def test_invalid_crs_text_in_the_graph(tmp_path, crs):
    path = save(triangle(crs), tmp_path, "bad_crs.graphml")
    message = refused(path)
    assert f"the graph's crs {crs!r} is not a valid CRS" in message


@pytest.mark.parametrize(
    ("to_crs", "expected"),
    [
        ("EPSG:999999", "to_crs 'EPSG:999999' is not a valid CRS"),
        ("metres please", "to_crs 'metres please' is not a valid CRS"),
        ("EPSG:4326", "to_crs 'EPSG:4326' is not a projected CRS"),
        ("EPSG:3435", "EPSG:3435 (NAD83 / Illinois East (ftUS)) has its axes in US survey foot"),
        ("+proj=utm +zone=16 +datum=WGS84 +units=us-ft", "has its axes in US survey foot"),
    ],
)
def test_unusable_to_crs(tmp_path, to_crs, expected):
    path = save(triangle(), tmp_path, "roads.graphml")
    message = refused(path, to_crs=to_crs)
    assert expected in message


# --------------------------------------------------------------------------
# a graph in US survey feet
# --------------------------------------------------------------------------


def test_graph_in_us_survey_feet_gives_metres(tmp_path):
    """A graph projected to EPSG:3435 keeps its edge lengths in metres (osmnx does);
    node x/y are feet.  Projected to UTM 16N, with or without to_crs, it must give
    the same metres and travel times as the lon/lat original."""
    degrees = triangle()
    feet = ox.project_graph(degrees, to_crs="EPSG:3435")
    assert feet.nodes[1]["x"] > 1e6  # feet east of the Illinois East false origin
    path = save(feet, tmp_path, "feet.graphml")
    reference, ref_report = prepare_network(degrees, to_crs="EPSG:32616")
    expected = utm_points()
    for to_crs in ("EPSG:32616", None):
        G, report = load_network(path, to_crs=to_crs)
        assert report.crs == ref_report.crs == "EPSG:32616"
        for n, (x, y) in expected.items():
            np.testing.assert_allclose((G.nodes[n]["x"], G.nodes[n]["y"]), (x, y), atol=1e-6)
        for u, v, k, d in reference.edges(keys=True, data=True):
            assert G.edges[u, v, k]["length"] == d["length"] == 1000.0
            assert G.edges[u, v, k]["travel_time"] == pytest.approx(d["travel_time"], abs=1e-9)
            assert d["travel_time"] == pytest.approx(100.0, rel=1e-12)  # 1 km at 10 m/s
