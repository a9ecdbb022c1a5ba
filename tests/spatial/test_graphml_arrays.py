"""Streaming GraphML reader: the same arrays, report and errors as load_network (osmnx + networkx)."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkCRSError, NetworkError
from accessplan.spatial.graphml_arrays import largest_strong_component, read_graphml_arrays
from accessplan.spatial.network import load_network
from accessplan.spatial.road_arrays import RoadArrays

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "roads.graphml.gz"

# --------------------------------------------------------------------------
# helpers: today's path as the reference
# --------------------------------------------------------------------------


def sorted_edges(arrays: RoadArrays) -> tuple[np.ndarray, ...]:
    """Edges as (tail id, head id, seconds, road class), sorted by ids."""
    tails, heads = arrays.node_ids[arrays.tails()], arrays.node_ids[arrays.heads]
    order = np.lexsort((heads, tails))
    return tails[order], heads[order], arrays.seconds[order], arrays.road_class[order]


def assert_same_as_load_network(path: Path, *, n_sources: int = 6, **options):
    """Report, nodes (ids, x/y to 1e-9 m), edges and shortest-path minutes (1e-9) agree."""
    G, expected_report = load_network(path, **options)
    expected = RoadArrays.from_graph(G, source=str(path))
    got, report = read_graphml_arrays(path, **options)
    assert report == expected_report
    assert got.crs.equals(expected.crs)

    e_order, g_order = np.argsort(expected.node_ids), np.argsort(got.node_ids)
    np.testing.assert_array_equal(expected.node_ids[e_order], got.node_ids[g_order])
    assert np.abs(expected.x[e_order] - got.x[g_order]).max() <= 1e-9
    assert np.abs(expected.y[e_order] - got.y[g_order]).max() <= 1e-9

    e_edges, g_edges = sorted_edges(expected), sorted_edges(got)
    np.testing.assert_array_equal(e_edges[0], g_edges[0])
    np.testing.assert_array_equal(e_edges[1], g_edges[1])
    np.testing.assert_allclose(e_edges[2], g_edges[2], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(e_edges[3], g_edges[3])

    position = {node: k for k, node in enumerate(got.node_ids.tolist())}
    sources = expected.node_ids[np.linspace(0, expected.n_nodes - 1, n_sources).astype(int)]
    want = dijkstra(
        expected.reverse_csr(),
        indices=[int(np.flatnonzero(expected.node_ids == s)[0]) for s in sources],
    )
    have = dijkstra(got.reverse_csr(), indices=[position[s] for s in sources.tolist()])
    have = have[:, [position[n] for n in expected.node_ids.tolist()]]
    assert np.array_equal(np.isinf(want), np.isinf(have))
    finite = np.isfinite(want)
    assert np.abs(want[finite] / 60 - have[finite] / 60).max() <= 1e-9
    return got, report


def save(G: nx.MultiDiGraph, folder: Path, name: str = "net.graphml") -> Path:
    path = folder / name
    ox.save_graphml(G, path)
    return path


def street_graph(crs: str = "EPSG:32635", *, times: bool = True) -> nx.MultiDiGraph:
    """Two-way streets on a small UTM grid: 1 km blocks, 36 km/h on the main street."""
    G = nx.MultiDiGraph(crs=crs)
    for i in range(3):
        for j in range(3):
            G.add_node(10 * i + j + 1, x=385000.0 + 1000 * j, y=6672000.0 + 1000 * i)
    for i in range(3):
        for j in range(3):
            u = 10 * i + j + 1
            for v, main in ((u + 1, i == 0), (u + 10, False)):
                if v not in G:
                    continue
                attrs = {"length": 1000.0, "highway": "primary" if main else "residential"}
                if main:
                    attrs["maxspeed"] = "36"
                if times:
                    attrs["travel_time"] = 100.0 if main else 120.0
                G.add_edge(u, v, **attrs)
                G.add_edge(v, u, **attrs)
    return G


# --------------------------------------------------------------------------
# identity with today's path on real files
# --------------------------------------------------------------------------


def test_demo_network_identical_to_load_network():
    got, report = assert_same_as_load_network(DEMO)
    assert report.speeds == "kept" and got.n_nodes == 6873
    # nodes come in file order, as networkx adds them
    with gzip.open(DEMO, "rt", encoding="utf-8") as stream:
        in_file = [int(n) for n in re.findall(r'<node id="(\d+)"', stream.read())]
    np.testing.assert_array_equal(got.node_ids, in_file)


@pytest.mark.parametrize(
    ("options", "crs"),
    [
        ({}, "EPSG:32635"),
        ({"to_crs": "EPSG:3067"}, "EPSG:3067"),
        ({"speed_kph": 40.0}, "EPSG:32635"),
    ],
    ids=["utm", "to_crs", "constant"],
)
def test_helsinki_graphml_identical_to_load_network(shared_data, options, crs):
    """Longitude/latitude nodes: projected to the UTM zone osmnx picks, or to to_crs."""
    path = shared_data / "helsinki" / "helsinki_drive.graphml"
    _, report = assert_same_as_load_network(path, **options)
    assert report.nodes_kept == 899 and report.crs == crs


@pytest.mark.parametrize("fallback", [None, 25.0])
def test_helsinki_without_travel_times_imputes_speeds_as_osmnx(shared_data, tmp_path, fallback):
    """travel_time removed: speeds from maxspeed, type means and fallback, as osmnx does."""
    text = (shared_data / "helsinki" / "helsinki_drive.graphml").read_text(encoding="utf-8")
    key = re.search(r'<key id="(d\d+)" for="edge" attr.name="travel_time"', text).group(1)
    path = tmp_path / "helsinki_no_times.graphml.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(re.sub(rf'\s*<data key="{key}">[^<]*</data>', "", text))
    _, report = assert_same_as_load_network(path, fallback_speed_kph=fallback)
    assert report.speeds == "maxspeed" and report.edges_speed_imputed > 0
    assert sum(report.speeds_imputed.values()) == report.edges_kept


def test_osmnx_test_graphml_is_refused_as_today(shared_data):
    """short.graphml has one node and no edge: the same error as load_network."""
    path = shared_data / "osmnx_tests" / "short.graphml"
    with pytest.raises(NetworkError) as expected:
        load_network(path)
    with pytest.raises(NetworkError) as got:
        read_graphml_arrays(path)
    assert str(got.value) == str(expected.value)
    assert "empty (1 nodes, 0 edges)" in str(got.value)


# --------------------------------------------------------------------------
# tiny hand-made files
# --------------------------------------------------------------------------


def test_graphml_without_travel_time_known_answer(tmp_path):
    """1 km at 36 km/h is 100 s; residential streets (no maxspeed) get the fallback."""
    path = save(street_graph(times=False), tmp_path)
    got, report = assert_same_as_load_network(path, fallback_speed_kph=18.0)
    assert report.speeds_imputed == {"maxspeed": 4, "fallback_speed_kph": 20}
    tails, heads, seconds, _ = sorted_edges(got)
    main = tails < 4  # the first row of nodes is the 36 km/h street
    main &= heads < 4
    np.testing.assert_allclose(seconds[main], 100.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(seconds[~main], 200.0, rtol=0, atol=1e-12)


def test_simplified_edges_with_list_values(tmp_path):
    """osmnx stores lists as "['primary', 'secondary']": read back as lists (first highway)."""
    G = street_graph(times=False)
    for u, v, data in G.edges(data=True):
        if data["highway"] == "residential" and u < v:
            data["highway"] = ["residential", "tertiary"]
            data["maxspeed"] = ["30", "50"]
    path = save(G, tmp_path)
    assert "['residential', 'tertiary']" in path.read_text(encoding="utf-8")
    _, report = assert_same_as_load_network(path)
    assert report.speeds_imputed["maxspeed"] > 4


def test_two_strongly_connected_components(tmp_path):
    """A one-way link joins two two-way parts: the larger is kept, the other counted."""
    G = street_graph()
    G.add_node(100, x=390000.0, y=6672000.0)
    G.add_node(101, x=391000.0, y=6672000.0)
    for u, v in ((100, 101), (101, 100), (3, 100)):
        G.add_edge(u, v, length=1000.0, highway="residential", travel_time=120.0)
    got, report = assert_same_as_load_network(save(G, tmp_path))
    assert (report.nodes_read, report.nodes_kept, report.nodes_dropped) == (11, 9, 2)
    assert (report.components_dropped, report.edges_dropped) == (1, 3)
    assert 100 not in got.node_ids.tolist()


@pytest.mark.parametrize("link", [(1, 100), (100, 1), None])
def test_tied_largest_components_keep_the_one_networkx_keeps(tmp_path, link):
    """Two equal triangles: which one survives depends on networkx's search order; same here."""
    G = nx.MultiDiGraph(crs="EPSG:32635")
    for base in (1, 100):
        for k in range(3):
            G.add_node(base + k, x=385000.0 + 1000 * k + base, y=6672000.0 + 500 * (k % 2))
        for k in range(3):
            a, b = base + k, base + (k + 1) % 3
            G.add_edge(a, b, length=1000.0, highway="residential", travel_time=100.0)
    if link:
        G.add_edge(*link, length=1000.0, highway="residential", travel_time=100.0)
    _, report = assert_same_as_load_network(save(G, tmp_path))
    assert report.nodes_kept == 3 and report.components_dropped == 1


def test_largest_component_choice_matches_networkx_on_random_graphs():
    """Brute force: many random multigraphs with ties between largest components."""
    rng = np.random.default_rng(13)
    ties = 0
    for _ in range(400):
        n = int(rng.integers(2, 25))
        tails = rng.integers(0, n, int(rng.integers(1, 3 * n)))
        heads = rng.integers(0, n, len(tails))
        G = nx.MultiDiGraph()
        G.add_nodes_from(range(n))
        G.add_edges_from(zip(tails.tolist(), heads.tolist(), strict=True))
        components = list(nx.strongly_connected_components(G))
        largest = max(len(c) for c in components)
        ties += sum(len(c) == largest for c in components) > 1
        keep, others = largest_strong_component(n, tails, heads)
        assert set(np.flatnonzero(keep).tolist()) == max(components, key=len)
        assert others == len(components) - 1
    assert ties > 100


def test_undirected_graphml_becomes_both_directions(tmp_path):
    G = ox.convert.to_undirected(street_graph())
    path = save(G, tmp_path)
    assert 'edgedefault="undirected"' in path.read_text(encoding="utf-8")
    _, report = assert_same_as_load_network(path)
    assert report.edges_read == 24


def test_gzip_and_plain_give_the_same_arrays(tmp_path):
    plain = save(street_graph(), tmp_path)
    packed = tmp_path / "net.graphml.gz"
    with plain.open("rb") as source, gzip.open(packed, "wb") as target:
        shutil.copyfileobj(source, target)
    a, report_a = read_graphml_arrays(plain)
    b, report_b = read_graphml_arrays(packed)
    for name in ("node_ids", "x", "y", "indptr", "heads", "seconds", "road_class"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert report_a.summary().split(";")[1:] == report_b.summary().split(";")[1:]


# --------------------------------------------------------------------------
# errors: the same class (and message) as load_network
# --------------------------------------------------------------------------


def _graph_file(tmp_path: Path, name: str, change) -> Path:
    G = street_graph()
    change(G)
    return save(G, tmp_path, name)


def _text_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _replace_in_file(path: Path, old: str, new: str) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _without_first_x(path: Path) -> Path:
    text = path.read_text(encoding="utf-8")
    key = re.search(r'<key id="(d\d+)" for="node" attr.name="x"', text).group(1)
    path.write_text(re.sub(rf'<data key="{key}">[^<]*</data>', "", text, count=1), encoding="utf-8")
    return path


def _set_node(G, **attrs):
    G.nodes[1].update(attrs)


def _remove_crs(G):
    del G.graph["crs"]


def _one_way_only(G):
    for u, v in list(G.edges()):
        if u > v:
            G.remove_edge(u, v)


def _no_maxspeed(G):
    for *_, data in G.edges(data=True):
        data.pop("travel_time")
        data.pop("maxspeed", None)


def _no_length(G):
    data = G.edges[1, 2, 0]
    data.pop("travel_time")
    data.pop("length")


SAME_MESSAGE = {
    "no crs": (lambda p: _graph_file(p, "a.graphml", _remove_crs), {}),
    "bad crs": (lambda p: _graph_file(p, "a.graphml", lambda G: G.graph.update(crs="EPSG:0")), {}),
    "metres as 4326": (
        lambda p: _graph_file(p, "a.graphml", lambda G: G.graph.update(crs="EPSG:4326")),
        {},
    ),
    "nan node": (lambda p: _graph_file(p, "a.graphml", lambda G: _set_node(G, x=np.nan)), {}),
    "far node": (lambda p: _graph_file(p, "a.graphml", lambda G: _set_node(G, y=1e20)), {}),
    "feet to_crs": (lambda p: save(street_graph(), p), {"to_crs": "EPSG:2263"}),
    "geographic to_crs": (lambda p: save(street_graph(), p), {"to_crs": "EPSG:4326"}),
    "no edge kept": (lambda p: _graph_file(p, "a.graphml", _one_way_only), {}),
    "no maxspeed": (lambda p: _graph_file(p, "a.graphml", _no_maxspeed), {}),
    "no length": (lambda p: _graph_file(p, "a.graphml", _no_length), {}),
    "zero speed": (lambda p: save(street_graph(), p), {"speed_kph": 0.0}),
    "bad fallback": (
        lambda p: _graph_file(p, "a.graphml", _no_maxspeed),
        {"fallback_speed_kph": -5.0},
    ),
    "no x": (lambda p: _without_first_x(save(street_graph(), p)), {}),
}


@pytest.mark.parametrize("case", sorted(SAME_MESSAGE))
def test_errors_are_load_networks_errors(tmp_path, case):
    make, options = SAME_MESSAGE[case]
    path = make(tmp_path)
    with pytest.raises(NetworkError) as expected:
        load_network(path, **options)
    with pytest.raises(NetworkError) as got:
        read_graphml_arrays(path, **options)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)
    assert str(path) in str(got.value)


UNREADABLE = {
    "not xml": ("a.graphml", b"this is not xml"),
    "truncated": (
        "a.graphml",
        b"<?xml version='1.0'?><graphml><graph edgedefault='directed'><node",
    ),
    "not gzip": ("a.graphml.gz", b"<graphml/>"),
    "no graph": ("a.graphml", b"<?xml version='1.0'?><graphml></graphml>"),
    "node id": ("a.graphml", b"<graphml><graph><node id='n1'/></graph></graphml>"),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_unreadable_files_are_network_errors(tmp_path, case):
    name, content = UNREADABLE[case]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(NetworkError, match="cannot read it as GraphML"):
        load_network(path)
    with pytest.raises(NetworkError, match="cannot read it as GraphML") as got:
        read_graphml_arrays(path)
    assert str(path) in str(got.value)


@pytest.mark.parametrize("value", ["abc", "{1: 2}", "['a', 'b']"])
def test_unparsable_numbers_are_read_errors_naming_the_edge(tmp_path, value):
    G = street_graph()
    G.edges[1, 2, 0]["travel_time"] = "PLACEHOLDER"
    path = save(G, tmp_path)
    _replace_in_file(path, "PLACEHOLDER", value)
    with pytest.raises(NetworkError, match="cannot read it as GraphML"):
        load_network(path)
    with pytest.raises(NetworkError, match=r"edge 1 -> 2: travel_time .* is not a number"):
        read_graphml_arrays(path)


@pytest.mark.parametrize("value", ["abc", "[1.0, 2.0]"])
def test_unparsable_node_coordinates_are_read_errors(tmp_path, value):
    G = street_graph()
    G.nodes[1]["x"] = "PLACEHOLDER"
    path = save(G, tmp_path)
    _replace_in_file(path, "PLACEHOLDER", value)
    with pytest.raises(NetworkError, match="cannot read it as GraphML"):
        load_network(path)
    with pytest.raises(
        NetworkError, match=r"cannot read it as GraphML \(node 1: x .* is not a number"
    ):
        read_graphml_arrays(path)


def test_missing_file_and_folder(tmp_path):
    for path in (tmp_path / "nowhere.graphml", tmp_path):
        with pytest.raises(InputFileError) as expected:
            load_network(path)
        with pytest.raises(InputFileError) as got:
            read_graphml_arrays(path)
        assert str(got.value) == str(expected.value)


def test_coordinates_checked_in_the_crs_errors_name_a_node(tmp_path):
    G = street_graph("EPSG:4326")  # UTM metres labelled as degrees
    with pytest.raises(
        NetworkCRSError, match=r"9 of 9 nodes lie outside longitude.*node 1: x=385000"
    ):
        read_graphml_arrays(save(G, tmp_path))


def _ring(crs: str, points: list[tuple[float, float]]) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(crs=crs)
    for k, (x, y) in enumerate(points, start=1):
        G.add_node(k, x=x, y=y)
    for k in range(1, len(points) + 1):
        u, v = k, k % len(points) + 1
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=1000.0, highway="residential", travel_time=100.0)
    return G


NEW_YORK = [(-74.00, 40.70), (-73.99, 40.70), (-73.99, 40.71), (-74.00, 40.71)]


@pytest.mark.parametrize(
    ("crs", "points", "target"),
    [
        ("EPSG:2263", "feet", "EPSG:32618"),  # US survey feet: to the UTM zone
        ("EPSG:4326", [(10.0, 85.0), (10.1, 85.0), (10.1, 85.01), (10.0, 85.01)], "EPSG:32661"),
        ("EPSG:4326", [(-179.99, -17.0), (179.99, -17.0), (179.99, -17.01)], None),
    ],
    ids=["feet", "north of 84", "antimeridian"],
)
def test_projection_target_is_osmnx_choice(tmp_path, crs, points, target):
    if points == "feet":
        to_feet = Transformer.from_crs("EPSG:4326", "EPSG:2263", always_xy=True)
        points = [to_feet.transform(*p) for p in NEW_YORK]
    _, report = assert_same_as_load_network(save(_ring(crs, points), tmp_path), n_sources=2)
    assert target is None or report.crs == target


HAND_WRITTEN = """<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="c" for="graph" attr.name="crs" attr.type="string" />
  <key id="x" for="node" attr.name="x" attr.type="string" />
  <key id="y" for="node" attr.name="y" attr.type="string" />
  <key id="t" for="edge" attr.name="travel_time" attr.type="string" />
  <key id="h" for="edge" attr.name="highway" attr.type="string" />
  <key id="l" for="edge" attr.name="length" attr.type="string" />
  <graph edgedefault="{default}">
    <data key="c">EPSG:32635</data>
    <node id="1"><data key="x">385000</data><data key="y">6672000</data></node>
    <node id="2"><data key="x">999</data><data key="y">6672000</data></node>
    <node id="3"><data key="x">386000</data><data key="y">6673000</data></node>
    <node id="2"><data key="x">386000</data></node>
    <edge source="1" target="2"><data key="l">1000</data><data key="t">60</data><data key="h">primary</data></edge>
    <edge source="1" target="2"><data key="l">1000</data><data key="t">50</data><data key="h">service</data></edge>
    <edge source="2" target="3"><data key="l">1000</data><data key="t">70</data><data key="h">['trunk', 'primary']</data></edge>
    <edge source="3" target="1"><data key="l">1000</data><data key="t">80</data></edge>
    <edge source="3" target="3"><data key="l">1000</data><data key="t">5</data></edge>
    <edge source="2" target="1"><data key="l">1000</data><data key="t">nan</data><data key="h">tertiary</data></edge>
    {extra}
  </graph>
</graphml>
"""


@pytest.mark.parametrize("default", ["directed", "undirected"])
def test_hand_written_graphml_corner_cases(tmp_path, default):
    """A repeated node, parallel edges, a self-loop, a list highway, a NaN time, crs first."""
    path = tmp_path / "hand.graphml"
    path.write_text(HAND_WRITTEN.format(default=default, extra=""), encoding="utf-8")
    got, report = assert_same_as_load_network(path, n_sources=3, speed_kph=36.0)
    assert got.node_ids.tolist() == [1, 2, 3] and got.x[1] != 999
    assert report.edges_read == (6 if default == "directed" else 11)
    # without a constant speed: edge 2 -> 1 has no time, edge 3 -> 1 no highway either
    with pytest.raises(NetworkError) as expected:
        load_network(path)
    with pytest.raises(NetworkError) as error:
        read_graphml_arrays(path)
    assert str(error.value) == str(expected.value)
    assert "neither 'travel_time' nor 'highway'" in str(error.value)


def test_edges_naming_undeclared_nodes(tmp_path):
    path = tmp_path / "hand.graphml"
    extra = '<edge source="1" target="77"><data key="t">1</data></edge>'
    path.write_text(HAND_WRITTEN.format(default="directed", extra=extra), encoding="utf-8")
    with pytest.raises(NetworkError) as expected:
        load_network(path)
    with pytest.raises(NetworkError) as got:
        read_graphml_arrays(path)
    assert str(got.value) == str(expected.value)
    assert "1 nodes have no x/y coordinates" in str(got.value)


def test_empty_values_are_empty_strings_as_in_networkx(tmp_path):
    """``<data></data>`` is "" (networkx): not a number, so a read error."""
    path = tmp_path / "hand.graphml"
    text = HAND_WRITTEN.format(default="directed", extra="")
    path.write_text(text.replace('<data key="t">nan</data>', '<data key="t"></data>'), "utf-8")
    with pytest.raises(NetworkError, match="cannot read it as GraphML"):
        load_network(path)
    with pytest.raises(NetworkError, match="edge 2 -> 1: travel_time '' is not a number"):
        read_graphml_arrays(path)
