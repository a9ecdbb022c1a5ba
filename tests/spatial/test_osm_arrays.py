"""OSM extracts read straight into arrays give today's networkx path's network, to 1e-9 minutes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pytest
from scipy.sparse.csgraph import dijkstra

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkCRSError, NetworkError
from accessplan.spatial.network import load_network
from accessplan.spatial.network_times import network_travel_times
from accessplan.spatial.osm_arrays import great_circle_meters, read_osm_arrays
from accessplan.spatial.road_arrays import RoadArrays

SHARED_EXTRACTS = [
    ("osmnx_tests", "West-Oakland.osm.bz2"),
    ("osmnx_tests", "aguascalientes.osm.bz2"),
    ("osmnx_tests", "aguascalientes.osm.pbf"),
    ("osmnx_tests", "planet_10.068,48.135_10.071,48.137.osm"),
    ("helsinki", "test.osm.pbf"),
    ("helsinki", "Helsinki.osm.pbf"),
]


def node_positions(arrays: RoadArrays, ids: np.ndarray) -> np.ndarray:
    """Positions in ``arrays`` of the node ``ids`` (every id must be there)."""
    order = np.argsort(arrays.node_ids)
    pos = order[np.searchsorted(arrays.node_ids[order], ids)]
    assert np.array_equal(arrays.node_ids[pos], ids)
    return pos


def assert_same_network(path: Path, **options) -> tuple[RoadArrays, object]:
    """load_network and read_osm_arrays agree: report, node set, coordinates, edges, times."""
    G, expected_report = load_network(path, **options)
    arrays, report = read_osm_arrays(path, **options)
    assert dataclasses.asdict(report) == dataclasses.asdict(expected_report)
    today = RoadArrays.from_graph(G)
    assert arrays.crs.equals(today.crs)
    assert sorted(arrays.node_ids.tolist()) == sorted(today.node_ids.tolist())
    pos = node_positions(arrays, today.node_ids)
    np.testing.assert_array_equal(arrays.x[pos], today.x)
    np.testing.assert_array_equal(arrays.y[pos], today.y)

    # the same collapsed edges: (tail id, head id) pairs, seconds to 1e-9 minutes
    inverse = np.argsort(pos)
    ours = sorted(
        zip(
            inverse[arrays.tails()].tolist(),
            inverse[arrays.heads].tolist(),
            arrays.seconds.tolist(),
            strict=True,
        )
    )
    theirs = sorted(
        zip(today.tails().tolist(), today.heads.tolist(), today.seconds.tolist(), strict=True)
    )
    assert [e[:2] for e in ours] == [e[:2] for e in theirs]
    np.testing.assert_allclose([e[2] for e in ours], [e[2] for e in theirs], rtol=0, atol=6e-8)

    # shortest-path minutes from a handful of nodes, nodes matched by id
    sources = np.random.default_rng(7).choice(today.n_nodes, min(6, today.n_nodes), replace=False)
    expected = dijkstra(today.reverse_csr(), indices=sources) / 60
    got = dijkstra(arrays.reverse_csr(), indices=pos[sources])[:, pos] / 60
    assert np.array_equal(np.isfinite(got), np.isfinite(expected))
    finite = np.isfinite(expected)
    assert np.abs(got[finite] - expected[finite]).max() <= 1e-9
    return arrays, report


@pytest.mark.parametrize("network_type", ["drive", "walk"])
@pytest.mark.parametrize(("folder", "name"), SHARED_EXTRACTS)
def test_shared_extracts_match_load_network(shared_data, folder, name, network_type):
    path = shared_data / folder / name
    assert path.is_file(), f"missing shared extract {path}"
    # West Oakland has no maxspeed tag at all: driving needs a fallback speed
    fallback = 40.0 if name.startswith("West-Oakland") else None
    arrays, report = assert_same_network(
        path, network_type=network_type, fallback_speed_kph=fallback
    )
    assert report.network_type == network_type
    assert arrays.road_class is not None and arrays.n_edges > 0


def test_options_to_crs_fallback_and_constant_speed(shared_data):
    path = shared_data / "helsinki" / "test.osm.pbf"
    _, report = assert_same_network(
        path, network_type="drive", fallback_speed_kph=25.0, to_crs="EPSG:3067"
    )
    assert report.crs == "EPSG:3067"
    small = shared_data / "osmnx_tests" / "planet_10.068,48.135_10.071,48.137.osm"
    _, report = assert_same_network(small, network_type="bike", speed_kph=12.0)
    assert report.speeds == "constant"
    # every way kept, whatever its tags
    assert_same_network(small, network_type=None, speed_kph=10.0)
    assert_same_network(small, network_type=None, fallback_speed_kph=30.0)


def assert_same_error(path: Path, **options) -> None:
    with pytest.raises(NetworkError) as expected:
        load_network(path, **options)
    with pytest.raises(NetworkError) as got:
        read_osm_arrays(path, **options)
    assert str(got.value) == str(expected.value)


def test_clipped_extract_keeps_the_same_pieces(shared_data, tmp_path):
    """Nodes east of the median longitude removed: ways are cut, counted and kept as today."""
    source = shared_data / "helsinki" / "test.osm.pbf"
    lons = [n.location.lon for n in osmium.FileProcessor(str(source), osmium.osm.NODE)]
    cut = float(np.median(lons))
    clipped = tmp_path / "clipped.osm.pbf"
    with osmium.SimpleWriter(str(clipped)) as writer:
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if obj.is_node():
                if obj.location.lon < cut:
                    writer.add_node(obj)
            else:
                writer.add_way(obj)
    for network_type in ("drive", "walk"):
        _, report = assert_same_network(clipped, network_type=network_type)
        assert report.ways_truncated > 0 and report.nodes_missing > 0
        assert report.ways_dropped_missing_nodes > 0


@pytest.mark.parametrize("network_type", ["drive", "walk"])
def test_network_travel_times_identical(shared_data, network_type):
    """The OD table of network_travel_times: graph path vs arrays, to 1e-9 minutes."""
    path = shared_data / "helsinki" / "test.osm.pbf"
    G, _ = load_network(path, network_type=network_type)
    arrays, _ = read_osm_arrays(path, network_type=network_type)
    rng = np.random.default_rng(11)
    x0, x1, y0, y1 = arrays.x.min(), arrays.x.max(), arrays.y.min(), arrays.y.max()

    def points(n, name):
        xy = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
        return gpd.GeoDataFrame(
            {name: [f"{name}{k}" for k in range(n)]},
            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
            crs=arrays.crs,
        )

    origins, sites = points(40, "o"), points(5, "s")
    options = {"origin_id": "o", "site_id": "s", "max_minutes": 600.0}
    expected = network_travel_times(G, origins, sites, **options).od
    got = network_travel_times(arrays, origins, sites, **options).od
    assert len(got) == len(expected) == 200
    pairs = ["origin_id", "site_id"]
    assert got[pairs].equals(expected[pairs])
    assert np.abs(got["minutes"].to_numpy() - expected["minutes"].to_numpy()).max() <= 1e-9


def test_results_do_not_depend_on_the_length_blocks(shared_data, monkeypatch):
    path = shared_data / "osmnx_tests" / "aguascalientes.osm.pbf"
    whole, _ = read_osm_arrays(path, network_type="walk")
    monkeypatch.setattr("accessplan.spatial.osm_arrays._CHUNK", 7)
    blocks, _ = read_osm_arrays(path, network_type="walk")
    for name in ("node_ids", "x", "y", "indptr", "heads", "seconds", "road_class"):
        assert np.array_equal(getattr(whole, name), getattr(blocks, name)), name


# --------------------------------------------------------------------------
# hand-made files
# --------------------------------------------------------------------------


def osm_xml(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple]) -> Path:
    """A tiny OSM XML file: nodes {id: (lon, lat)}, ways [(id, refs, tags)]."""
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", "<osm version='0.6'>"]
    for nid, (lon, lat) in sorted(nodes.items()):
        lines.append(f"<node id='{nid}' lat='{lat:.7f}' lon='{lon:.7f}'/>")
    for wid, refs, tags in ways:
        nds = "".join(f"<nd ref='{r}'/>" for r in refs)
        tag_xml = "".join(f"<tag k='{k}' v='{v}'/>" for k, v in tags.items())
        lines.append(f"<way id='{wid}'>{nds}{tag_xml}</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tie_for_the_largest_component_goes_as_networkx(tmp_path):
    """Two two-way streets of two nodes, a one-way from the first to the second.

    networkx's search starts at node 1, runs down the one-way and finishes the
    second street first: that one is kept, as osmnx/networkx keep it.
    """
    nodes = {1: (24.000, 60.0), 2: (24.001, 60.0), 3: (24.002, 60.0), 4: (24.003, 60.0)}
    road = {"highway": "residential", "maxspeed": "30"}
    ways = [(10, [1, 2], road), (11, [3, 4], road), (12, [2, 3], {**road, "oneway": "yes"})]
    path = osm_xml(tmp_path / "tie.osm", nodes, ways)
    arrays, report = assert_same_network(path, network_type="drive")
    assert sorted(arrays.node_ids.tolist()) == [3, 4]
    assert report.components_dropped == 1


def test_simplification_and_oneway_rules_hand_worked(tmp_path):
    """A chain is merged into one edge whose length is the sum of its segments."""
    nodes = {i: (24.0, 60.0 + 0.001 * i) for i in range(1, 6)}
    nodes[6] = (24.001, 60.001)
    ways = [
        (1, [1, 2, 3], {"highway": "primary", "maxspeed": "60"}),
        (2, [3, 4, 5], {"highway": "secondary", "maxspeed": "40"}),
        (3, [2, 6], {"highway": "service", "maxspeed": "20", "oneway": "yes"}),
        (4, [5, 5, 1], {"highway": "tertiary", "maxspeed": "30 mph", "oneway": "-1"}),
    ]
    path = osm_xml(tmp_path / "chain.osm", nodes, ways)
    arrays, report = read_osm_arrays(path, network_type="all")
    # node 3 and 4 are interstitial; 6 hangs off 2 (a dead end, out of the component)
    assert sorted(arrays.node_ids.tolist()) == [1, 2, 5]
    assert report.components_dropped == 1 and report.nodes_dropped == 1
    lat = [60.0 + 0.001 * i for i in range(1, 6)]
    segment = great_circle_meters(np.array(lat[1:4]), 24.0, np.array(lat[2:5]), 24.0)
    length_2_to_5 = 0 + segment[0] + segment[1] + segment[2]
    pos = {nid: k for k, nid in enumerate(arrays.node_ids.tolist())}
    tails = arrays.tails()
    edge = np.flatnonzero((tails == pos[2]) & (arrays.heads == pos[5]))
    # the merged edge's maxspeed is the list ["60", "40"]: osmnx's mean, 50 km/h
    assert arrays.seconds[edge] == pytest.approx(length_2_to_5 / 1000 / (50 / 3600), rel=1e-15)
    # the reversed one-way: 1 -> 5 only
    assert ((tails == pos[1]) & (arrays.heads == pos[5])).any()
    assert not ((tails == pos[5]) & (arrays.heads == pos[1])).any()
    assert_same_network(path, network_type="all")


HIGHWAYS = ["primary", "secondary", "residential", "tertiary", "service", "footway"]
LIMITS = [None, None, "50", "30 mph", "none", "RU:urban", "50|70", "40", "50;70"]
ONEWAYS = [None, None, None, "yes", "-1", "no", "T", "F", "reverse"]


def random_extract(path: Path, seed: int) -> Path:
    """A small random street grid: one-ways, repeated nodes, loops, clipped ways."""
    rng = np.random.default_rng(seed)
    n_nodes, grid = 120, 11
    nodes = {
        nid: (24 + 0.001 * ((nid - 1) % grid), 60 + 0.001 * ((nid - 1) // grid))
        for nid in range(1, n_nodes + 1)
        if rng.random() > 0.05
    }
    ways = []
    for wid in range(1, 45):
        refs = [int(rng.integers(1, n_nodes + 1))]
        for _ in range(int(rng.integers(1, 8))):
            r = rng.random()
            if r < 0.08:
                refs.append(refs[-1])
            elif r < 0.12 and len(refs) > 2:
                refs.append(refs[0])
            else:
                step = int(rng.choice([1, -1, grid, -grid]))
                refs.append(min(max(refs[-1] + step, 1), n_nodes))
        tags = {"highway": HIGHWAYS[rng.integers(len(HIGHWAYS))]}
        for key, values in (("maxspeed", LIMITS), ("oneway", ONEWAYS)):
            value = values[rng.integers(len(values))]
            if value:
                tags[key] = value
        if rng.random() < 0.05:
            tags["junction"] = "roundabout"
        ways.append((wid, refs, tags))
    return osm_xml(path, nodes, ways)


@pytest.mark.parametrize("seed", range(6))
def test_random_extracts_match_load_network(tmp_path, seed):
    path = random_extract(tmp_path / f"random{seed}.osm", seed)
    for network_type in ("drive", "walk"):
        assert_same_network(path, network_type=network_type, fallback_speed_kph=35.0)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------


def test_errors_are_today_s_errors(tmp_path, shared_data):
    with pytest.raises(InputFileError):
        read_osm_arrays(tmp_path / "absent.osm.pbf")
    (tmp_path / "roads.txt").write_text("x")
    with pytest.raises(NetworkError, match="unknown OSM file type"):
        read_osm_arrays(tmp_path / "roads.txt")
    oakland = shared_data / "osmnx_tests" / "West-Oakland.osm.bz2"
    with pytest.raises(NetworkError, match="unknown network type"):
        read_osm_arrays(oakland, network_type="boat")
    with pytest.raises(NetworkCRSError):
        read_osm_arrays(oakland, to_crs="EPSG:4326")
    assert_same_error(oakland, network_type="drive")  # no maxspeed, no fallback
    assert_same_error(oakland, network_type="walk", speed_kph=-1.0)
    broken = tmp_path / "broken.osm"
    broken.write_text("<osm><way id='1'><nd ref='1'/>")
    with pytest.raises(NetworkError, match="cannot read it as OSM data"):
        read_osm_arrays(broken)
    far = osm_xml(
        tmp_path / "far.osm",
        {1: (200.0, 60.0), 2: (24.0, 60.0)},
        [(1, [1, 2], {"highway": "residential", "maxspeed": "30"})],
    )
    for reader in (load_network, read_osm_arrays):
        with pytest.raises(NetworkCRSError, match="outside longitude"):
            reader(far)
    nothing = osm_xml(
        tmp_path / "nothing.osm", {1: (24.0, 60.0)}, [(1, [1, 2], {"building": "yes"})]
    )
    with pytest.raises(NetworkError, match="no drive ways left"):
        read_osm_arrays(nothing)
