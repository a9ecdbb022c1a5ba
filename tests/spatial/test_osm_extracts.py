"""Clipped OSM extracts: the parts of ways inside the file are kept, memory follows the file."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import networkx as nx
import osmium
import osmnx as ox
import pytest

from accessplan.spatial.network import load_network, read_osm
from accessplan.spatial.osm_extract import present_runs, way_passes_filter

EARTH_RADIUS_M = 6_371_009  # the radius osmnx measures great-circle lengths with
STEP_M = EARTH_RADIUS_M * math.radians(0.001)  # 0.001 degree of latitude along a meridian


def haversine_m(a, b):
    """Great-circle metres between two (lon, lat) points, written for the tests."""
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def osm_xml(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple]) -> Path:
    """Write a tiny OSM XML file: nodes {id: (lon, lat)}, ways [(id, refs, tags)]."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6'>"]
    for nid, (lon, lat) in nodes.items():
        lines.append(f"<node id='{nid}' lat='{lat:.7f}' lon='{lon:.7f}'/>")
    for wid, refs, tags in ways:
        nds = "".join(f"<nd ref='{r}'/>" for r in refs)
        tag_xml = "".join(f"<tag k='{k}' v='{v}'/>" for k, v in tags.items())
        lines.append(f"<way id='{wid}'>{nds}{tag_xml}</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n")
    return path


def meridian(ids, *, lon=24.0, lat0=60.0):
    """Nodes 0.001 degree apart northwards along one meridian."""
    return {nid: (lon, lat0 + 0.001 * i) for i, nid in enumerate(ids)}


# --------------------------------------------------------------------------
# hand-made clipped files
# --------------------------------------------------------------------------


def test_present_runs_hand_cases():
    assert present_runs([1, 2, 3, 4, 5], {1, 2, 4, 5}) == [[1, 2], [4, 5]]
    assert present_runs([1, 2, 3, 4, 5], {2, 3, 4}) == [[2, 3, 4]]
    assert present_runs([1, 2, 3, 4, 5], {1, 3, 5}) == []  # no two consecutive nodes
    assert present_runs([1, 2, 2, 3], {2}) == []  # a repeated node is no line
    assert present_runs([1, 2, 3, 1], {1, 2, 3}) == [[1, 2, 3, 1]]  # closed, complete
    assert present_runs([7, 8, 9, 7], {7, 8}) == [[7, 8]]
    assert present_runs([], {1}) == []


def test_way_with_a_missing_middle_node_becomes_two_pieces(tmp_path):
    """Way 10 = nodes 1-2-3-4-5, node 3 absent: pieces 1-2 and 4-5, both two-way."""
    nodes = meridian([1, 2, 3, 4, 5])
    del nodes[3]
    path = osm_xml(tmp_path / "clipped.osm", nodes, [(10, [1, 2, 3, 4, 5], {"highway": "primary"})])
    G, counts = read_osm(path, network_type="drive")
    assert set(G.nodes) == {1, 2, 4, 5}
    assert sorted((u, v) for u, v, _ in G.edges(keys=True)) == [(1, 2), (2, 1), (4, 5), (5, 4)]
    for *_, d in G.edges(data=True):
        assert d["length"] == pytest.approx(STEP_M, rel=1e-9)  # 111.195 m, not 2 or 4 steps
        assert d["osmid"] == 10  # the second piece's edges carry the way's id too
    assert counts.ways_read == counts.ways_kept == counts.ways_truncated == 1
    assert (counts.way_pieces, counts.nodes_missing) == (2, 1)
    assert (counts.ways_dropped_missing_nodes, counts.ways_dropped_by_filter) == (0, 0)

    # prepared: two strongly connected pairs, one kept, the other counted as dropped
    H, report = load_network(path, network_type="drive", fallback_speed_kph=36.0)
    assert (report.nodes_kept, report.edges_kept) == (2, 2)
    assert (report.components_dropped, report.nodes_dropped, report.edges_dropped) == (1, 2, 2)
    assert report.speeds_imputed == {"fallback_speed_kph": 2}
    assert report.edges_speed_imputed == 2
    for *_, d in H.edges(data=True):
        assert d["travel_time"] == pytest.approx(STEP_M / 10.0, rel=1e-9)  # 36 km/h = 10 m/s
    assert report.quality_items() == [
        {
            "item": "ways_truncated",
            "count": 1,
            "detail": f"1 OSM way(s) run beyond the extract {path} (1 of their nodes are "
            "absent): their 2 piece(s) inside the file are kept, the roads beyond are missing",
            "severity": "warning",
        },
        {
            "item": "components_dropped",
            "count": 1,
            "detail": "1 road network part(s) dropped: not connected both ways with the largest "
            "(2 nodes / 2 edges dropped, 2 nodes / 2 edges kept)",
            "severity": "warning",
        },
        {
            "item": "speeds_imputed_fallback_speed_kph",
            "count": 2,
            "detail": "2 edge(s) of a highway type without any maxspeed: speed set to "
            "fallback_speed_kph = 36 km/h",
            "severity": "warning",
        },
    ]


def test_way_with_missing_ends_keeps_its_middle(tmp_path):
    """Way 20 = 21-22-23-24-25 (one-way), 21 and 25 absent: 22 -> 24 is kept, one way only.

    Way 30 has one node in the file (dropped), way 40 is a footway (filtered).
    """
    nodes = meridian([21, 22, 23, 24, 25]) | meridian([31, 32], lon=24.01) | meridian([41, 42])
    for absent in (21, 25, 31):
        del nodes[absent]
    path = osm_xml(
        tmp_path / "edges.osm",
        nodes,
        [
            (20, [21, 22, 23, 24, 25], {"highway": "residential", "oneway": "yes"}),
            (30, [31, 32], {"highway": "residential"}),
            (40, [41, 42], {"highway": "footway"}),
        ],
    )
    G, counts = read_osm(path, network_type="drive")
    assert set(G.nodes) == {22, 24}  # 23 is interior: simplified away
    assert list(G.edges(keys=True)) == [(22, 24, 0)]
    d = G.edges[22, 24, 0]
    assert d["length"] == pytest.approx(2 * STEP_M, rel=1e-9)
    assert d["osmid"] == 20 and d["oneway"] is True
    assert [tuple(round(c, 7) for c in xy) for xy in d["geometry"].coords] == [
        nodes[22],
        nodes[23],
        nodes[24],
    ]
    assert (counts.ways_read, counts.ways_kept, counts.ways_truncated) == (3, 1, 1)
    assert (counts.ways_dropped_missing_nodes, counts.ways_dropped_by_filter) == (1, 1)
    assert (counts.way_pieces, counts.nodes_missing) == (1, 3)


def test_pieces_get_fresh_ids_that_no_way_of_the_file_has(tmp_path):
    """Two pieces of way 1 and a way 2 elsewhere: all three kept apart, ids restored."""
    nodes = meridian([1, 2, 3, 4, 5]) | meridian([6, 7], lon=24.02)
    del nodes[3]
    path = osm_xml(
        tmp_path / "ids.osm",
        nodes,
        [
            (1, [1, 2, 3, 4, 5], {"highway": "primary", "name": "A"}),
            (2, [6, 7], {"highway": "primary", "name": "B"}),
        ],
    )
    G, counts = read_osm(path, network_type=None)
    names = {(u, v): (d["osmid"], d["name"]) for u, v, d in G.edges(data=True)}
    assert names == {
        (1, 2): (1, "A"),
        (2, 1): (1, "A"),
        (4, 5): (1, "A"),
        (5, 4): (1, "A"),
        (6, 7): (2, "B"),
        (7, 6): (2, "B"),
    }
    assert counts.way_pieces == 2


# --------------------------------------------------------------------------
# complete files: nothing changes
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["West-Oakland.osm.bz2", "aguascalientes.osm.bz2", "planet_10.068,48.135_10.071,48.137.osm"],
)
def test_complete_osmnx_extracts_read_as_graph_from_xml(shared_data, name):
    path = shared_data / "osmnx_tests" / name
    G, counts = read_osm(path, network_type=None, retain_all=True)
    ref = ox.graph_from_xml(path, retain_all=True)
    for graph in (G, ref):  # nodes of no way (POIs) and of one-node ways
        graph.remove_nodes_from(list(nx.isolates(graph)))
    assert (counts.ways_truncated, counts.ways_dropped_missing_nodes) == (0, 0)
    assert counts.nodes_missing == 0
    assert set(G.nodes) == set(ref.nodes)
    assert set(G.edges(keys=True)) == set(ref.edges(keys=True))
    for u, v, k, d in ref.edges(keys=True, data=True):
        assert G.edges[u, v, k]["length"] == d["length"]
        assert G.edges[u, v, k]["osmid"] == d["osmid"]


# --------------------------------------------------------------------------
# Helsinki: a real clipped extract
# --------------------------------------------------------------------------


def _helsinki_drive(shared_data):
    """Present node locations and, per drivable way, its tags and runs of present nodes."""
    pbf = shared_data / "helsinki" / "Helsinki.osm.pbf"
    where = {
        n.id: (round(n.location.lon, 7), round(n.location.lat, 7))
        for n in osmium.FileProcessor(str(pbf), osmium.osm.NODE)
    }
    ways = []
    for w in osmium.FileProcessor(str(pbf), osmium.osm.WAY):
        tags = dict(w.tags)
        if way_passes_filter(tags, "drive"):
            ways.append((tags, [r.ref for r in w.nodes]))
    return pbf, where, ways


def _runs(refs, where):
    runs, run = [], []
    for r in [*refs, None]:
        if r is not None and r in where:
            run.append(r)
        else:
            if len(set(run)) >= 2:
                runs.append(run)
            run = []
    return runs


def test_helsinki_drive_edges_follow_present_nodes_only(shared_data):
    """Every segment of a drivable way between two present nodes is an edge segment, and
    no edge bridges a missing node: the two sets of segments are equal, and each edge's
    length is the great-circle sum along its nodes."""
    pbf, where, ways = _helsinki_drive(shared_data)
    expected = set()
    for _, refs in ways:
        for run in _runs(refs, where):
            for a, b in itertools.pairwise(run):
                if where[a] != where[b]:
                    expected.add(frozenset((where[a], where[b])))

    G, counts = read_osm(pbf, network_type="drive")
    assert counts.ways_truncated == 16
    found = set()
    for u, v, d in G.edges(data=True):
        if "geometry" in d:
            coords = [(round(x, 7), round(y, 7)) for x, y in d["geometry"].coords]
        else:
            coords = [(round(G.nodes[n]["x"], 7), round(G.nodes[n]["y"], 7)) for n in (u, v)]
        steps = list(itertools.pairwise(coords))
        assert d["length"] == pytest.approx(sum(haversine_m(a, b) for a, b in steps), rel=1e-9)
        found.update(frozenset(step) for step in steps if step[0] != step[1])
    assert found == expected


def test_helsinki_drive_scc_equals_brute_force(shared_data):
    """The kept network is the strongly connected component of the unsimplified graph
    built here from the present runs with osmnx's one-way rules: same nodes (those the
    simplification keeps) and the same total length."""
    pbf, where, ways = _helsinki_drive(shared_data)
    brute = nx.MultiDiGraph()
    for tags, refs in ways:
        oneway = tags.get("oneway") in {"yes", "true", "1", "-1", "reverse", "T", "F"}
        oneway = oneway or tags.get("junction") == "roundabout"
        backwards = oneway and tags.get("oneway") in {"-1", "reverse", "T"}
        for run in _runs(refs, where):
            run = [n for i, n in enumerate(run) if i == 0 or n != run[i - 1]]
            steps = list(itertools.pairwise(run))
            for a, b in steps:
                length = haversine_m(where[a], where[b])
                if not oneway or not backwards:
                    brute.add_edge(a, b, length=length)
                if not oneway or backwards:
                    brute.add_edge(b, a, length=length)

    G, report = load_network(pbf, network_type="drive")
    component = next(c for c in nx.strongly_connected_components(brute) if next(iter(G)) in c)
    assert set(G.nodes) <= component
    kept = brute.subgraph(component)
    assert sum(d["length"] for *_, d in G.edges(data=True)) == pytest.approx(
        sum(d["length"] for *_, d in kept.edges(data=True)), rel=1e-9
    )
    # dropping the clipped ways whole kept 131 nodes / 267 edges (SOURCE.md)
    assert (report.nodes_kept, report.edges_kept) == (141, 290)
    assert report.ways_truncated == 16


def test_reading_memory_follows_the_file(shared_data):
    """Reading the 685 KB Helsinki PBF must not allocate over the OSM id space.

    An id-indexed bitmap over node ids near 1.2e10 takes about 1.2 GB; reading
    the file needs a few MB (measured: 13 MB above the imports; 1.24 GB before).
    """
    code = (
        "import resource, sys\n"
        "from accessplan.spatial.osm_extract import read_osm\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "read_osm(sys.argv[1], network_type='drive')\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )
    pbf = shared_data / "helsinki" / "Helsinki.osm.pbf"
    out = subprocess.run(
        [sys.executable, "-c", code, str(pbf)], capture_output=True, text=True, check=True
    )
    grown_kb = int(out.stdout.strip().splitlines()[-1])
    assert grown_kb < 400_000
