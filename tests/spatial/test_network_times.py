"""Network travel times on the array path: graph and RoadArrays, jobs and chunks, streaming."""

from __future__ import annotations

import hashlib
import itertools
import os
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import scipy.sparse as sp
from shapely.geometry import Point

from accessplan.data.errors import InputValidationError
from accessplan.spatial import dijkstra_pool
from accessplan.spatial.dijkstra_pool import iter_reached_pairs, reached_pairs
from accessplan.spatial.errors import NetworkError, NoPathError
from accessplan.spatial.network import load_network
from accessplan.spatial.network_times import (
    network_key,
    network_od_fingerprint,
    network_travel_times,
    stream_network_travel_times,
)
from accessplan.spatial.od_store import read_od_metadata, read_od_parquet
from accessplan.spatial.road_arrays import RoadArrays
from accessplan.spatial.travel_time import network_travel_times as reexported

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"


@pytest.fixture(scope="module")
def demo():
    """The demo network (graph and arrays), area centres and every site."""
    G, _ = load_network(DEMO / "roads.graphml.gz")
    areas = gpd.read_file(DEMO / "region.gpkg", layer="areas")
    areas["geometry"] = areas.representative_point()
    sites = pd.concat(
        [
            gpd.read_file(DEMO / "region.gpkg", layer=layer)[["site_id", "geometry"]]
            for layer in ("hospitals", "candidates")
        ],
        ignore_index=True,
    )
    return G, RoadArrays.from_graph(G), areas[["area_id", "geometry"]], sites


DEMO_KW = dict(origin_id="area_id", site_id="site_id", max_minutes=45.0)


def _coded_equal(a, b) -> None:
    pd.testing.assert_index_equal(a.origin_ids, b.origin_ids)
    pd.testing.assert_index_equal(a.site_ids, b.site_ids)
    for name in ("indptr", "site_codes", "minutes"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        assert np.array_equal(left, right), name
    assert a.max_minutes == b.max_minutes


# --------------------------------------------------------------------------
# a tiny graph with known answers
# --------------------------------------------------------------------------


def _tiny():
    """Five nodes on a line 1 km apart, EPSG:3067, with known one-way and two-way edges.

    0 <-> 1 (60 s each way), 1 -> 2 (120 s), 2 -> 1 (300 s), 1 -> 3 (30 s twice: the
    faster of 30/45 s kept), 3 -> 2 (30 s), 2 <-> 4 (600 s), a self-loop on 4.
    """
    G = nx.MultiDiGraph(crs="EPSG:3067")
    for k in range(5):
        G.add_node(10 + k, x=1000.0 * k, y=0.0)
    for u, v, s in [
        (10, 11, 60.0),
        (11, 10, 60.0),
        (11, 12, 120.0),
        (12, 11, 300.0),
        (11, 13, 45.0),
        (11, 13, 30.0),
        (13, 12, 30.0),
        (12, 14, 600.0),
        (14, 12, 600.0),
        (14, 14, 1.0),
    ]:
        G.add_edge(u, v, travel_time=s)
    return G


def _points(name, ids, xs):
    return gpd.GeoDataFrame({name: ids}, geometry=[Point(x, 0.0) for x in xs], crs="EPSG:3067")


# shortest seconds by hand (origin node -> site node)
TINY_SECONDS = {
    (10, 12): 60 + 30 + 30,  # 0 -> 1 -> 3 -> 2 beats 0 -> 1 -> 2 (180)
    (12, 10): 300 + 60,
    (14, 10): 600 + 300 + 60,
    (10, 14): 120 + 600,
    (13, 13): 0,
    (12, 13): 300 + 30,
}


@pytest.mark.parametrize("as_arrays", [False, True])
def test_tiny_graph_known_shortest_paths(as_arrays):
    G = _tiny()
    network = RoadArrays.from_graph(G) if as_arrays else G
    x_of = {node: 1000.0 * (node - 10) for node in G.nodes}
    origins = _points("oid", ["o10", "o12", "o14", "o13"], [x_of[n] for n in (10, 12, 14, 13)])
    sites = _points("sid", ["s12", "s10", "s14", "s13"], [x_of[n] for n in (12, 10, 14, 13)])
    tt = network_travel_times(
        network, origins, sites, origin_id="oid", site_id="sid", max_minutes=30.0
    )
    got = {(o, s): t for o, s, t in tt.od.itertuples(index=False)}
    for (a, b), seconds in TINY_SECONDS.items():
        assert got[(f"o{a}", f"s{b}")] == pytest.approx(seconds / 60.0, abs=1e-12)
    # every pair against networkx on the same graph
    lengths = dict(nx.all_pairs_dijkstra_path_length(G, weight="travel_time"))
    expected = {
        (f"o{a}", f"s{b}"): lengths[a][b] / 60.0
        for a in (10, 12, 14, 13)
        for b in (12, 10, 14, 13)
        if b in lengths[a] and lengths[a][b] / 60.0 <= 30.0
    }
    assert got.keys() == expected.keys()
    for pair, minutes in expected.items():
        assert got[pair] == pytest.approx(minutes, abs=1e-12)


def test_tiny_graph_and_arrays_give_the_same_table_codes_and_snaps():
    G = _tiny()
    origins = _points("oid", [1, 2, 3], [0.0, 2050.0, 3990.0])
    sites = _points("sid", ["a", "b"], [1010.0, 4000.0])
    kw = dict(origin_id="oid", site_id="sid", max_minutes=20.0, as_codes=True, with_frame=True)
    a = network_travel_times(G, origins, sites, **kw)
    b = network_travel_times(RoadArrays.from_graph(G), origins, sites, **kw)
    pd.testing.assert_frame_equal(a.od, b.od, check_exact=True)
    pd.testing.assert_frame_equal(a.origin_snap, b.origin_snap, check_exact=True)
    pd.testing.assert_frame_equal(a.site_snap, b.site_snap, check_exact=True)
    _coded_equal(a.coded, b.coded)
    assert a.origin_snap["node"].tolist() == [10, 12, 14]


# --------------------------------------------------------------------------
# the demo network: one path, any jobs, any chunks
# --------------------------------------------------------------------------


def test_demo_graph_and_arrays_identical(demo):
    G, arrays, areas, sites = demo
    a = network_travel_times(G, areas, sites, **DEMO_KW)
    b = network_travel_times(arrays, areas, sites, **DEMO_KW)
    pd.testing.assert_frame_equal(a.od, b.od, check_exact=True)
    assert a.unreachable_origins == b.unreachable_origins
    assert a.unreachable_sites == b.unreachable_sites
    assert len(a.od) > 5000 and a.coded is None and a.od_path is None
    assert reexported is network_travel_times  # travel_time re-exports the one function


def test_demo_jobs_and_chunk_size_do_not_change_the_table(demo):
    _, arrays, areas, sites = demo
    kw = dict(DEMO_KW, as_codes=True, with_frame=True)
    base = network_travel_times(arrays, areas, sites, jobs=1, chunk_size=64, **kw)
    for jobs, chunk in [(2, 64), (2, 1), (2, 7), (1, 1000), (3, 5)]:
        other = network_travel_times(arrays, areas, sites, jobs=jobs, chunk_size=chunk, **kw)
        pd.testing.assert_frame_equal(base.od, other.od, check_exact=True)
        _coded_equal(base.coded, other.coded)


def test_demo_codes_hold_the_frame(demo):
    _, arrays, areas, sites = demo
    tt = network_travel_times(arrays, areas, sites, as_codes=True, with_frame=True, **DEMO_KW)
    coded = tt.coded
    assert coded.n_pairs == len(tt.od)
    assert coded.site_codes.dtype == np.uint16 and coded.minutes.dtype == np.float64
    assert coded.max_minutes == 45.0
    assert list(coded.origin_ids) == list(areas["area_id"])  # labels in input order
    assert list(coded.site_ids) == list(sites["site_id"])
    back = coded.to_frame().sort_values(["origin_id", "site_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, tt.od, check_exact=True)
    only_codes = network_travel_times(arrays, areas, sites, as_codes=True, **DEMO_KW)
    assert only_codes.od is None
    _coded_equal(only_codes.coded, coded)


def test_worker_pool_answers_equal_inline_answers():
    """reached_pairs over chunks, inline and on two processes, against one dense Dijkstra."""
    rng = np.random.default_rng(5)
    n = 300
    graph = sp.random(n, n, density=0.02, format="csr", random_state=6)
    graph.data = rng.uniform(1.0, 10.0, graph.nnz)
    sources = rng.choice(n, 40, replace=False)
    targets = np.sort(rng.choice(n, 120, replace=False))
    whole = reached_pairs(graph, sources, targets, 25.0)
    for jobs, size in itertools.product((1, 2), (1, 6, 40)):
        chunks = [sources[k : k + size] for k in range(0, len(sources), size)]
        answers = list(iter_reached_pairs(graph, chunks, targets=targets, limit=25.0, jobs=jobs))
        rows = np.concatenate([r + k * size for k, (r, _, _) in enumerate(answers)])
        cols = np.concatenate([c for _, c, _ in answers])
        secs = np.concatenate([s for _, _, s in answers])
        assert np.array_equal(rows, whole[0]) and np.array_equal(cols, whole[1])
        assert np.array_equal(secs, whole[2])
    assert (whole[2] <= 25.0).all() and len(whole[2]) > 100


def _die_in_worker(sources):
    os._exit(3)  # a worker killed (e.g. by the kernel, out of memory)


def test_a_dead_worker_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(dijkstra_pool, "_answer_chunk", _die_in_worker)
    graph = sp.identity(4, format="csr")
    chunks = [np.array([0]), np.array([1])]
    with pytest.raises(NetworkError, match="worker process died"):
        list(iter_reached_pairs(graph, chunks, targets=np.arange(4), limit=1.0, jobs=2))


# --------------------------------------------------------------------------
# streaming to Parquet
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_streamed_table_equals_the_in_memory_codes(demo, tmp_path, dtype):
    _, arrays, areas, sites = demo
    memory = network_travel_times(arrays, areas, sites, as_codes=True, **DEMO_KW)
    path = tmp_path / "od.parquet"
    streamed = stream_network_travel_times(
        arrays, areas, sites, od_path=path, jobs=2, chunk_size=9, minutes_dtype=dtype, **DEMO_KW
    )
    assert streamed.od is None and streamed.coded is None and streamed.od_path == path
    assert streamed.unreachable_origins == memory.unreachable_origins
    assert streamed.unreachable_sites == memory.unreachable_sites
    back = read_od_parquet(path)
    expected = memory.coded
    if dtype is np.float32:
        expected = type(expected)(
            origin_ids=expected.origin_ids,
            site_ids=expected.site_ids,
            indptr=expected.indptr,
            site_codes=expected.site_codes,
            minutes=expected.minutes.astype(np.float32),
            max_minutes=expected.max_minutes,
        )
        assert np.abs(back.minutes - memory.coded.minutes).max() < 1e-5
    _coded_equal(back, expected)
    info = read_od_metadata(path)
    assert info["method"] == "network" and info["n_pairs"] == expected.n_pairs
    assert info["n_origins"] == len(areas) and info["n_sites"] == len(sites)


def test_stream_fingerprint_follows_the_inputs(demo, tmp_path):
    _, arrays, areas, sites = demo
    path = tmp_path / "od.parquet"
    stream_network_travel_times(arrays, areas, sites, od_path=path, **DEMO_KW)
    stored = read_od_metadata(path)["fingerprint"]
    same = network_od_fingerprint(arrays, areas, sites, **DEMO_KW)
    assert same == stored
    read_od_parquet(path, expect_fingerprint=same)  # accepted
    longer = network_od_fingerprint(arrays, areas, sites, **dict(DEMO_KW, max_minutes=50.0))
    assert longer["options"] != stored["options"] and longer["origins"] == stored["origins"]
    moved = sites.copy()
    moved.loc[0, "geometry"] = Point(moved.geometry.iloc[0].x + 1.0, moved.geometry.iloc[0].y)
    other = network_od_fingerprint(arrays, areas, moved, **DEMO_KW)
    assert other["sites"] != stored["sites"] and other["network"] == stored["network"]
    assert hashlib.sha256(network_key(arrays).encode()).hexdigest() == stored["network"]
    named = network_od_fingerprint(arrays, areas, sites, network_id="roads.pbf:abc", **DEMO_KW)
    assert named["network"] != stored["network"]


def test_stream_without_pairs_writes_nothing(tmp_path):
    G = _tiny()
    path = tmp_path / "od.parquet"
    path.write_bytes(b"previous table")
    origins = _points("oid", ["a"], [4000.0])
    sites = _points("sid", ["b"], [0.0])
    with pytest.raises(NoPathError):
        stream_network_travel_times(
            G, origins, sites, od_path=path, origin_id="oid", site_id="sid", max_minutes=1.0
        )
    assert path.read_bytes() == b"previous table"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["od.parquet"]


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


def test_bad_jobs_and_chunk_size_are_listed():
    G = _tiny()
    pts = _points("id", [1], [0.0])
    with pytest.raises(InputValidationError) as info:
        network_travel_times(
            G, pts, pts, origin_id="id", site_id="id", max_minutes=5, jobs=0, chunk_size=2.5
        )
    text = str(info.value)
    assert len(info.value.problems) == 2
    assert "jobs must be a whole number >= 1, got 0" in text
    assert "chunk_size must be a whole number >= 1, got 2.5" in text
    with pytest.raises(InputValidationError, match="jobs must be a whole number"):
        network_travel_times(G, pts, pts, origin_id="id", site_id="id", max_minutes=5, jobs=True)


def test_network_of_another_kind_or_unprojected_is_refused():
    pts = _points("id", [1], [0.0])
    with pytest.raises(NetworkError, match="networkx graph or RoadArrays"):
        network_travel_times({}, pts, pts, origin_id="id", site_id="id", max_minutes=5)
    arrays = RoadArrays.from_graph(_tiny())
    geographic = RoadArrays(
        node_ids=arrays.node_ids,
        x=arrays.x / 1e5,
        y=arrays.y,
        indptr=arrays.indptr,
        heads=arrays.heads,
        seconds=arrays.seconds,
        crs=pyproj.CRS("EPSG:4326"),
        source="roads.osm.pbf",
    )
    with pytest.raises(NetworkError, match=r"geographic.*|roads\.osm\.pbf"):
        network_travel_times(geographic, pts, pts, origin_id="id", site_id="id", max_minutes=5)
