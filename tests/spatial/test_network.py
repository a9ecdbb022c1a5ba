"""Road network loading: known graphs from the osmnx and pyrosm test data, filters, errors."""

from __future__ import annotations

import dataclasses
import functools
import gzip
import itertools
import json
import math
import re
import shutil

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
import pytest
from pyproj import Transformer

from accessplan.data.errors import AccessplanError, InputFileError
from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network import (
    NETWORK_TYPES,
    load_network,
    prepare_network,
    read_osm,
    way_passes_filter,
)

# --------------------------------------------------------------------------
# helpers written for the tests (independent of the code under test)
# --------------------------------------------------------------------------

_CLAUSE = re.compile(r'\["([^"]+)"(?:(!~|~|!=|=)"([^"]*)")?\]')


def overpass_filter(network_type: str):
    """osmnx's own Overpass way filter for a network type, as a predicate on tags."""
    query = ox._overpass._get_network_filter(network_type)
    clauses = _CLAUSE.findall(query)
    assert _CLAUSE.sub("", query) == ""  # every clause understood

    def passes(tags: dict) -> bool:
        for key, op, value in clauses:
            have = tags.get(key)
            if op == "":
                ok = have is not None
            elif op == "!~":
                ok = have is None or re.search(value, have) is None
            elif op == "~":
                ok = have is not None and re.search(value, have) is not None
            elif op == "=":
                ok = have == value
            else:
                ok = have != value
            if not ok:
                return False
        return True

    return passes


@functools.cache
def osm_ways(path):
    """(way id, tags, node refs) of every way, and the set of node ids in the file."""
    node_ids = {n.id for n in osmium.FileProcessor(str(path), osmium.osm.NODE)}
    ways = [
        (w.id, dict(w.tags), [r.ref for r in w.nodes])
        for w in osmium.FileProcessor(str(path), osmium.osm.WAY)
    ]
    return ways, node_ids


def edge_way_ids(G):
    ids = set()
    for *_, osmid in G.edges(data="osmid"):
        ids.update(osmid if isinstance(osmid, list) else [osmid])
    return ids


def same_graph(a, b, attrs=("length",)):
    assert set(a.nodes) == set(b.nodes)
    assert set(a.edges(keys=True)) == set(b.edges(keys=True))
    for u, v, k in a.edges(keys=True):
        for attr in attrs:
            assert a.edges[u, v, k][attr] == b.edges[u, v, k][attr]


# --------------------------------------------------------------------------
# filters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("network_type", NETWORK_TYPES)
def test_way_filter_agrees_with_osmnx_overpass_query(shared_data, network_type):
    """Our tag filter takes the same decision as osmnx's Overpass filter on every real way."""
    oracle = overpass_filter(network_type)
    decisions = []
    for path in (
        shared_data / "helsinki" / "Helsinki.osm.pbf",
        shared_data / "osmnx_tests" / "aguascalientes.osm.bz2",
    ):
        ways, _ = osm_ways(path)
        for _, tags, _ in ways:
            ours = way_passes_filter(tags, network_type)
            assert ours == oracle(tags), tags
            decisions.append(ours)
    assert any(decisions) and not all(decisions)


def test_way_filter_corner_cases():
    # Overpass regexes are unanchored: 'highway=services' is caught by 'service'
    assert not way_passes_filter({"highway": "services"}, "drive")
    assert way_passes_filter({"highway": "residential"}, "drive")
    assert not way_passes_filter({"highway": "residential", "access": "private"}, "drive")
    assert not way_passes_filter({"building": "yes"}, "all")
    assert way_passes_filter({"building": "yes"}, None)
    with pytest.raises(NetworkError, match="unknown network type"):
        way_passes_filter({"highway": "primary"}, "boat")


# --------------------------------------------------------------------------
# known graphs
# --------------------------------------------------------------------------


def present_pieces(refs, node_ids):
    """Oracle: the runs of consecutive present nodes that still form a line (>= 2 distinct)."""
    pieces = []
    for present, group in itertools.groupby(refs, key=lambda r: r in node_ids):
        run = list(group)
        if present and len(set(run)) >= 2:
            pieces.append(run)
    return pieces


NOT_DRIVABLE = {
    "footway",
    "steps",
    "cycleway",
    "pedestrian",
    "path",
    "trail",
    "platform",
    "corridor",
    "construction",
    "elevator",
    "crossing",
    "track",
    "bridleway",
}


def drivable_scc(G):
    """How helsinki_drive.graphml was made from a graph of every way (SOURCE.md)."""

    def dropped(highway):
        if highway is None:
            return True
        values = [highway] if isinstance(highway, str) else highway
        return all(v in NOT_DRIVABLE for v in values)

    H = G.copy()
    H.remove_edges_from(
        [(u, v, k) for u, v, k, h in G.edges(keys=True, data="highway") if dropped(h)]
    )
    return ox.truncate.largest_component(H, strongly=True)


def test_helsinki_pbf_keeps_what_the_421_clipped_ways_hold(shared_data):
    """Helsinki.osm.pbf: 421 ways reference missing nodes (SOURCE.md).

    Each is cut at its missing nodes; the ones with a run of >= 2 present nodes
    are kept in part, the others dropped, as the oracle above counts them.
    """
    pbf = shared_data / "helsinki" / "Helsinki.osm.pbf"
    ways, node_ids = osm_ways(pbf)
    clipped = [(wid, refs) for wid, _, refs in ways if any(r not in node_ids for r in refs)]
    assert len(clipped) == 421
    pieces = {wid: present_pieces(refs, node_ids) for wid, refs in clipped}
    truncated = sum(1 for p in pieces.values() if p)
    missing = {r for _, refs in clipped for r in refs if r not in node_ids}

    G, counts = read_osm(pbf, network_type=None, retain_all=False)
    assert counts.ways_read == len(ways)
    assert counts.ways_truncated == truncated == 309
    assert counts.ways_dropped_missing_nodes == 421 - truncated == 112
    assert counts.way_pieces == sum(len(p) for p in pieces.values()) == 360
    assert counts.nodes_missing == len(missing)
    assert counts.ways_dropped_by_filter == 0
    assert counts.ways_kept == len(ways) - 112
    # edges of the way pieces carry the way's own OSM id, never an invented one
    assert edge_way_ids(G) <= {wid for wid, _, _ in ways}
    assert edge_way_ids(G) & {wid for wid, p in pieces.items() if len(p) > 1}

    # the reference graph's recipe now finds more street: 899 / 1540 -> 965 / 1670
    H = drivable_scc(G)
    assert (len(H), H.number_of_edges()) == (965, 1670)


def test_helsinki_pbf_without_its_clipped_ways_rebuilds_reference_graph(shared_data, tmp_path):
    """On a file whose ways are all complete, the reading is osmnx's, unchanged.

    helsinki_drive.graphml (899 nodes / 1540 edges) was built by osmnx 2.1.1
    from every complete way of the PBF, then edges whose ``highway`` values
    are all non-drivable (or absent) were removed and the largest strongly
    connected component kept.  The PBF minus its 421 clipped ways, read by
    us, must give the identical graph: same nodes, edges and lengths.
    """
    pbf = shared_data / "helsinki" / "Helsinki.osm.pbf"
    _, node_ids = osm_ways(pbf)
    complete = tmp_path / "complete.osm.pbf"
    with osmium.SimpleWriter(str(complete)) as writer:
        for obj in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node() or all(r.ref in node_ids for r in obj.nodes):
                writer.add(obj)
    G, counts = read_osm(complete, network_type=None, retain_all=False)
    assert (counts.ways_truncated, counts.ways_dropped_missing_nodes) == (0, 0)
    H = drivable_scc(G)
    ref = ox.load_graphml(shared_data / "helsinki" / "helsinki_drive.graphml")
    assert (len(ref), ref.number_of_edges()) == (899, 1540)
    same_graph(H, ref)


def test_helsinki_pbf_drive_network(shared_data):
    """The drive loader keeps the drivable parts of clipped ways and only drivable ways."""
    pbf = shared_data / "helsinki" / "Helsinki.osm.pbf"
    G, report = load_network(pbf, network_type="drive")
    ways, node_ids = osm_ways(pbf)
    drive = overpass_filter("drive")
    drive_ways = {wid: refs for wid, t, refs in ways if drive(t)}
    clipped = {wid for wid, refs in drive_ways.items() if any(r not in node_ids for r in refs)}
    truncated = {wid for wid in clipped if present_pieces(drive_ways[wid], node_ids)}
    assert (len(clipped), len(truncated)) == (45, 16)
    assert report.ways_truncated == 16
    assert report.ways_dropped_missing_nodes == 45 - 16
    assert report.ways_dropped_by_filter == len(ways) - len(drive_ways)
    assert report.network_type == "drive"
    assert report.crs == "EPSG:32635"  # UTM 35N: Helsinki is at 24.9 E
    assert report.nodes_kept == len(G) and report.edges_kept == G.number_of_edges()
    assert report.nodes_read - report.nodes_dropped == report.nodes_kept
    assert report.edges_read - report.edges_dropped == report.edges_kept
    assert nx.is_strongly_connected(G)
    assert "16 truncated" in report.summary()
    # dropping clipped ways whole kept 131 nodes / 267 edges (SOURCE.md); their pieces add
    assert (report.nodes_kept, report.edges_kept) == (141, 290)

    used = edge_way_ids(G)
    assert used <= set(drive_ways)
    assert used & truncated  # pieces of clipped main roads are part of the network
    raw, counts = read_osm(pbf, network_type="drive")
    assert counts.ways_kept == len(drive_ways) - (45 - 16)
    assert (report.nodes_read, report.edges_read) == (len(raw), raw.number_of_edges())
    # the largest component and its siblings: counted, and listed for the quality report
    assert report.components_dropped == nx.number_strongly_connected_components(raw) - 1 > 0
    items = {i["item"]: i for i in report.quality_items()}
    assert items["ways_truncated"]["count"] == 16
    assert items["components_dropped"]["count"] == report.components_dropped


def test_west_oakland_xml_matches_graph_from_xml(shared_data):
    """SOURCE.md: West-Oakland.osm.bz2 -> 47 nodes / 106 edges via graph_from_xml."""
    path = shared_data / "osmnx_tests" / "West-Oakland.osm.bz2"
    G, counts = read_osm(path, network_type=None, retain_all=False)
    assert (len(G), G.number_of_edges()) == (47, 106)
    assert counts.ways_dropped_missing_nodes == 0
    same_graph(G, ox.graph_from_xml(path))


def test_aguascalientes_xml_known_size(shared_data):
    """SOURCE.md: aguascalientes.osm.bz2 -> 1010 nodes / 2153 edges via graph_from_xml."""
    path = shared_data / "osmnx_tests" / "aguascalientes.osm.bz2"
    G, _ = read_osm(path, network_type=None, retain_all=False)
    assert (len(G), G.number_of_edges()) == (1010, 2153)


def test_aguascalientes_pbf_and_xml_give_the_same_network(shared_data):
    folder = shared_data / "osmnx_tests"
    a, ra = load_network(folder / "aguascalientes.osm.bz2", network_type="drive")
    b, rb = load_network(folder / "aguascalientes.osm.pbf", network_type="drive")
    same_graph(a, b, attrs=("length", "travel_time", "speed_kph", "osmid"))
    for n in a.nodes:
        assert (a.nodes[n]["x"], a.nodes[n]["y"]) == (b.nodes[n]["x"], b.nodes[n]["y"])
    assert {k: v for k, v in vars(ra).items() if k != "source"} == {
        k: v for k, v in vars(rb).items() if k != "source"
    }
    assert ra.ways_dropped_by_filter > 0


def test_osm_suffixes_xml_and_gz(shared_data, tmp_path):
    """A plain .xml copy and a .osm.gz copy read the same as the original .osm."""
    src = shared_data / "osmnx_tests" / "planet_10.068,48.135_10.071,48.137.osm"
    xml = tmp_path / "planet.xml"
    shutil.copy(src, xml)
    gz = tmp_path / "planet.osm.gz"
    with open(src, "rb") as fin, gzip.open(gz, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    G0, _ = read_osm(src, network_type=None, retain_all=False)
    assert (len(G0), G0.number_of_edges()) == (21, 40)  # SOURCE.md
    for path in (xml, gz):
        G, _ = read_osm(path, network_type=None, retain_all=False)
        same_graph(G, G0)


def test_walk_network_is_bidirectional_with_constant_speed(shared_data):
    path = shared_data / "osmnx_tests" / "aguascalientes.osm.bz2"
    G, report = load_network(path, network_type="walk")
    assert report.speeds == "constant"
    for u, v, d in G.edges(data=True):
        assert G.has_edge(v, u)
        assert math.isclose(d["travel_time"], d["length"] / (5.0 / 3.6), rel_tol=1e-12)


# --------------------------------------------------------------------------
# prepare_network
# --------------------------------------------------------------------------


def test_speeds_and_times_equal_osmnx(shared_data):
    """Speeds and times are osmnx's own: imputation by highway type, fallback speed."""
    raw, _ = read_osm(shared_data / "osmnx_tests" / "aguascalientes.osm.pbf")
    G, report = prepare_network(raw, fallback_speed_kph=25.0)
    expected = ox.truncate.largest_component(raw.copy(), strongly=True)
    expected = ox.add_edge_travel_times(ox.add_edge_speeds(expected, fallback=25.0))
    for u, v, k, d in G.edges(keys=True, data=True):
        assert d["travel_time"] == expected.edges[u, v, k]["travel_time"]
        assert d["speed_kph"] == expected.edges[u, v, k]["speed_kph"]
    assert report.speeds == "maxspeed"
    assert report.edges_speed_imputed == sum(1 for *_, m in G.edges(data="maxspeed") if m is None)
    assert "speed_kph" not in next(iter(raw.edges(data=True)))[2]  # input untouched


def _toy_graph():
    """Two strongly connected parts: a 3-node cycle and a 2-node pair, in EPSG:4326."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    pts = {
        1: (24.90, 60.10),
        2: (24.91, 60.10),
        3: (24.91, 60.11),
        8: (24.95, 60.15),
        9: (24.96, 60.15),
    }
    for n, (x, y) in pts.items():
        G.add_node(n, x=x, y=y)
    for u, v in [(1, 2), (2, 3), (3, 1), (8, 9), (9, 8)]:
        G.add_edge(u, v, length=1000.0, highway="residential")
    G.add_edge(3, 8, length=1000.0, highway="residential")  # one way only: not strongly connected
    return G


def test_prepare_keeps_largest_scc_and_reports_drop():
    G = _toy_graph()
    before = nx.to_dict_of_dicts(G)
    H, report = prepare_network(G, speed_kph=36.0, source="toy")
    assert set(H.nodes) == {1, 2, 3}
    assert (report.nodes_read, report.edges_read) == (5, 6)
    assert (report.nodes_kept, report.edges_kept) == (3, 3)
    assert (report.nodes_dropped, report.edges_dropped) == (2, 3)
    for *_, d in H.edges(data=True):
        assert d["travel_time"] == pytest.approx(100.0, rel=1e-12)  # 1000 m at 10 m/s
    assert nx.to_dict_of_dicts(G) == before  # input not modified
    assert report.crs == "EPSG:32635"


def test_prepare_projects_to_given_crs(shared_data):
    path = shared_data / "helsinki" / "helsinki_drive.graphml"
    ref = ox.load_graphml(path)
    G, report = load_network(path, to_crs="EPSG:3067")
    assert report.crs == "EPSG:3067"
    assert report.speeds == "kept"
    to_tm35 = Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True)
    nodes = list(ref.nodes)
    x, y = to_tm35.transform([ref.nodes[n]["x"] for n in nodes], [ref.nodes[n]["y"] for n in nodes])
    np.testing.assert_allclose([G.nodes[n]["x"] for n in nodes], x, rtol=0, atol=1e-6)
    np.testing.assert_allclose([G.nodes[n]["y"] for n in nodes], y, rtol=0, atol=1e-6)
    for u, v, k, d in ref.edges(keys=True, data=True):
        assert G.edges[u, v, k]["travel_time"] == d["travel_time"]


def test_graphml_gz_equals_graphml(shared_data, tmp_path):
    path = shared_data / "helsinki" / "helsinki_drive.graphml"
    gz = tmp_path / "roads.graphml.gz"
    with open(path, "rb") as fin, gzip.open(gz, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    a, ra = load_network(path)
    b, rb = load_network(gz)
    same_graph(a, b, attrs=("length", "travel_time"))
    assert (ra.nodes_kept, ra.edges_kept) == (rb.nodes_kept, rb.edges_kept) == (899, 1540)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputFileError, match=r"nowhere\.graphml"):
        load_network(tmp_path / "nowhere.graphml")


def test_unknown_suffix(tmp_path):
    path = tmp_path / "roads.shp"
    path.write_text("not a network")
    with pytest.raises(NetworkError, match=r"roads\.shp"):
        load_network(path)


@pytest.mark.parametrize("name", ["broken.graphml", "broken.osm.pbf", "broken.osm"])
def test_unreadable_files(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x00\x01 definitely not a road network")
    with pytest.raises(NetworkError, match=re.escape(name)) as info:
        load_network(path)
    assert isinstance(info.value, AccessplanError) and isinstance(info.value, ValueError)


def test_single_node_graph_is_refused(shared_data):
    """short.graphml holds one node and no edge: no travel time is possible."""
    path = shared_data / "osmnx_tests" / "short.graphml"
    with pytest.raises(NetworkError, match=r"short\.graphml"):
        load_network(path)


def test_no_speed_information():
    G = _toy_graph()
    with pytest.raises(NetworkError, match="fallback_speed_kph"):
        prepare_network(G, source="toy")
    H, report = prepare_network(G, fallback_speed_kph=18.0, source="toy")
    assert report.edges_speed_imputed == 3
    for *_, d in H.edges(data=True):
        assert d["travel_time"] == pytest.approx(200.0, rel=1e-12)


def test_graph_without_crs():
    G = _toy_graph()
    del G.graph["crs"]
    with pytest.raises(NetworkError, match="crs"):
        prepare_network(G, speed_kph=10.0, source="toy")


def test_no_way_of_the_network_type(shared_data, tmp_path):
    path = tmp_path / "paths.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='1' lat='60.0' lon='24.0'/><node id='2' lat='60.001' lon='24.0'/>\n"
        "<way id='5'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way>\n"
        "<way id='6'><nd ref='1'/><nd ref='3'/><tag k='highway' v='primary'/></way>\n"
        "</osm>\n"
    )
    with pytest.raises(NetworkError, match=r"paths\.osm.*1 with missing nodes.*, 1 filtered out"):
        load_network(path, network_type="drive")


def test_negative_ids_of_unpublished_data(tmp_path):
    """JOSM-style negative ids (which osmium's id bitmap cannot hold) still load."""
    path = tmp_path / "draft.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
        "<node id='-1' lat='60.0' lon='24.0'/><node id='-2' lat='60.001' lon='24.0'/>\n"
        "<node id='-3' lat='60.001' lon='24.001'/><node id='4' lat='60.002' lon='24.001'/>\n"
        "<way id='-5'><nd ref='-1'/><nd ref='-2'/><nd ref='-3'/>"
        "<tag k='highway' v='residential'/><tag k='maxspeed' v='36'/></way>\n"
        "<way id='-6'><nd ref='-3'/><nd ref='-9'/><tag k='highway' v='residential'/></way>\n"
        "</osm>\n"
    )
    G, report = load_network(path)
    assert set(G.nodes) == {-1, -3}
    assert report.ways_dropped_missing_nodes == 1
    for *_, d in G.edges(data=True):
        assert d["travel_time"] == pytest.approx(d["length"] / 10.0, rel=1e-12)


# --------------------------------------------------------------------------
# where speeds come from (the data-quality report)
# --------------------------------------------------------------------------


def _speed_ring():
    """A two-way ring of six 1 km streets in UTM 35N; speed clues differ per street.

    residential 30 and 50 km/h, residential without limit, residential with the
    unparsable limit 'signals' (osmnx: no limit), tertiary without limit, and
    ['tertiary', 'residential'] (osmnx uses the first type) without limit.
    """
    G = nx.MultiDiGraph(crs="EPSG:32635")
    for i in range(6):
        G.add_node(i, x=385_000.0 + 1000.0 * i, y=6_672_000.0 + 100.0 * (i % 2))
    streets = [
        {"highway": "residential", "maxspeed": "30"},
        {"highway": "residential", "maxspeed": "50"},
        {"highway": "residential"},
        {"highway": "residential", "maxspeed": "signals"},
        {"highway": "tertiary"},
        {"highway": ["tertiary", "residential"]},
    ]
    for i, tags in enumerate(streets):
        for u, v in ((i, (i + 1) % 6), ((i + 1) % 6, i)):
            G.add_edge(u, v, length=1000.0, street=i, **tags)
    return G


@pytest.mark.parametrize(
    ("fallback", "last_resort", "last_kph", "last_item"),
    [
        (25.0, "fallback_speed_kph", 25.0, "speeds_imputed_fallback_speed_kph"),
        (None, "mean of all highway types", 40.0, "speeds_imputed_mean_of_all_highway_types"),
    ],
)
def test_speed_sources_are_counted(fallback, last_resort, last_kph, last_item):
    """Streets 0-1 use their maxspeed; 2-3 the residential mean (30 + 50) / 2 = 40;
    4-5 (tertiary, no limit on any tertiary edge) the fallback or, without one,
    osmnx's mean over highway types (only residential has one: 40)."""
    H, report = prepare_network(_speed_ring(), fallback_speed_kph=fallback, source="ring")
    expected_kph = {0: 30.0, 1: 50.0, 2: 40.0, 3: 40.0, 4: last_kph, 5: last_kph}
    for *_, d in H.edges(data=True):
        assert d["speed_kph"] == pytest.approx(expected_kph[d["street"]], rel=1e-12)
        assert d["travel_time"] == pytest.approx(3600.0 / expected_kph[d["street"]], rel=1e-12)
    assert report.speeds == "maxspeed"
    assert report.speeds_imputed == {"maxspeed": 4, "highway type mean": 4, last_resort: 4}
    assert sum(report.speeds_imputed.values()) == report.edges_kept == 12
    # 'signals' is a maxspeed tag osmnx cannot read: that edge's speed is imputed too
    assert report.edges_speed_imputed == 8
    items = {i["item"]: i for i in report.quality_items()}
    assert items["speeds_imputed_highway_type_mean"]["count"] == 4
    assert items[last_item]["count"] == 4
    assert items[last_item]["severity"] == "warning"
    assert items["speeds_imputed_highway_type_mean"]["severity"] == "info"
    assert set(items) == {"speeds_imputed_highway_type_mean", last_item}
    assert report.components_dropped == 0  # the ring is strongly connected


def test_speed_sources_of_kept_and_constant_speeds(shared_data):
    path = shared_data / "helsinki" / "helsinki_drive.graphml"
    _, report = load_network(path)
    assert report.speeds_imputed == {"graph attribute": 1540}
    assert report.quality_items() == []  # used as read: nothing to report
    _, report = prepare_network(_toy_graph(), speed_kph=36.0, source="toy")
    assert report.speeds_imputed == {"constant speed_kph": 3}
    assert report.components_dropped == 1  # {8, 9}
    items = {i["item"]: i["count"] for i in report.quality_items()}
    assert items == {"components_dropped": 1, "speeds_constant": 3}


def test_report_is_plain_json_data(shared_data):
    """The planner writes dataclasses.asdict(report) into JSON: plain types only."""
    _, report = load_network(shared_data / "osmnx_tests" / "aguascalientes.osm.pbf")
    data = json.loads(json.dumps(dataclasses.asdict(report)))
    assert data["speeds_imputed"] == report.speeds_imputed
    assert sum(data["speeds_imputed"].values()) == report.edges_kept
    assert data["ways_truncated"] == 0 and data["components_dropped"] >= 1
    assert "\n" not in report.summary()
    for item in report.quality_items():
        assert set(item) == {"item", "count", "detail", "severity"} and item["count"] > 0
        assert f"{item['count']:,}" in item["detail"]
