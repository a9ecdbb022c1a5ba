"""Travel times: network times against networkx, straight lines by brute force, OD tables."""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point

from accessplan.data.errors import InputFileError, InputValidationError
from accessplan.spatial.errors import NetworkError, NoPathError
from accessplan.spatial.network import load_network
from accessplan.spatial.travel_time import (
    network_travel_times,
    od_table_travel_times,
    read_od_table,
    straight_line_travel_times,
)

# bbox of helsinki_drive.graphml (SOURCE.md)
WEST, SOUTH, EAST, NORTH = 24.9355, 60.1642, 24.9534, 60.1791


@pytest.fixture(scope="module")
def helsinki(shared_data):
    G, _ = load_network(shared_data / "helsinki" / "helsinki_drive.graphml")
    return G


def random_points(n, seed, id_name, prefix=""):
    rng = np.random.default_rng(seed)
    ids = [f"{prefix}{i}" for i in range(n)] if prefix else list(range(n))
    return gpd.GeoDataFrame(
        {id_name: ids},
        geometry=gpd.points_from_xy(rng.uniform(WEST, EAST, n), rng.uniform(SOUTH, NORTH, n)),
        crs="EPSG:4326",
    )


def brute_snap(G, points):
    """Nearest node and distance for each point, by checking every node."""
    nodes = list(G.nodes)
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    pts = points.to_crs(G.graph["crs"])
    out = []
    for p in pts.geometry:
        d = np.hypot(xy[:, 0] - p.x, xy[:, 1] - p.y)
        i = int(np.argmin(d))
        out.append((nodes[i], float(d[i])))
    return out


def networkx_totals(G, origins, sites, access_kph):
    """Every origin-site total time in minutes, from networkx on the reversed graph."""
    reverse = G.reverse(copy=False)
    o_snap = brute_snap(G, origins)
    s_snap = brute_snap(G, sites)
    per_min = access_kph * 1000 / 60
    totals = {}
    for sid, (snode, smeters) in zip(sites["sid"], s_snap, strict=True):
        seconds = nx.single_source_dijkstra_path_length(reverse, snode, weight="travel_time")
        for oid, (onode, ometers) in zip(origins["oid"], o_snap, strict=True):
            if onode in seconds:
                totals[(oid, sid)] = ometers / per_min + seconds[onode] / 60 + smeters / per_min
    return totals, o_snap, s_snap


# --------------------------------------------------------------------------
# network travel times
# --------------------------------------------------------------------------


@pytest.mark.parametrize("access_kph", [5.0, 12.0])
def test_network_times_equal_networkx(helsinki, access_kph):
    origins = random_points(40, 1, "oid")
    sites = random_points(5, 2, "sid", prefix="site-")
    totals, o_snap, s_snap = networkx_totals(helsinki, origins, sites, access_kph)
    assert len(totals) == 200  # the graph is strongly connected
    max_minutes = float(np.median(list(totals.values())))

    tt = network_travel_times(
        helsinki,
        origins,
        sites,
        origin_id="oid",
        site_id="sid",
        max_minutes=max_minutes,
        access_speed_kph=access_kph,
    )
    expected = {pair: t for pair, t in totals.items() if t <= max_minutes}
    got = {(o, s): t for o, s, t in tt.od.itertuples(index=False)}
    assert 0 < len(expected) < len(totals)
    assert set(got) == set(expected)
    for pair, t in expected.items():
        assert math.isclose(got[pair], t, rel_tol=0, abs_tol=1e-9)
    assert (tt.od["minutes"] <= max_minutes).all()

    assert list(tt.od.columns) == ["origin_id", "site_id", "minutes"]
    assert tt.od["minutes"].dtype == np.float64
    assert tt.od.equals(tt.od.sort_values(["origin_id", "site_id"]).reset_index(drop=True))
    assert tt.method == "network" and tt.max_minutes == max_minutes

    # snap legs are the distances to the nearest node, found by brute force
    assert list(tt.origin_snap["node"]) == [n for n, _ in o_snap]
    np.testing.assert_allclose(tt.origin_snap["snap_meters"], [m for _, m in o_snap], atol=1e-9)
    assert list(tt.site_snap["node"]) == [n for n, _ in s_snap]
    np.testing.assert_allclose(tt.site_snap["snap_meters"], [m for _, m in s_snap], atol=1e-9)
    np.testing.assert_allclose(
        tt.origin_snap["access_minutes"],
        tt.origin_snap["snap_meters"] / (access_kph * 1000 / 60),
        rtol=1e-15,
    )

    reached_o = {o for o, _ in expected}
    reached_s = {s for _, s in expected}
    assert tt.unreachable_origins == tuple(o for o in origins["oid"] if o not in reached_o)
    assert tt.unreachable_sites == tuple(s for s in sites["sid"] if s not in reached_s)


def test_chunk_size_does_not_change_the_table(helsinki):
    origins = random_points(60, 3, "oid")
    sites = random_points(9, 4, "sid")
    common = dict(origin_id="oid", site_id="sid", max_minutes=3.0)
    one = network_travel_times(helsinki, origins, sites, chunk_size=1, **common)
    many = network_travel_times(helsinki, origins, sites, chunk_size=1000, **common)
    three = network_travel_times(helsinki, origins, sites, chunk_size=3, **common)
    pd.testing.assert_frame_equal(one.od, many.od)
    pd.testing.assert_frame_equal(one.od, three.od)
    assert len(one.od) > 0


def test_points_in_another_crs_are_reprojected(helsinki):
    origins = random_points(30, 5, "oid")
    sites = random_points(4, 6, "sid")
    common = dict(origin_id="oid", site_id="sid", max_minutes=4.0)
    a = network_travel_times(helsinki, origins, sites, **common)
    b = network_travel_times(
        helsinki, origins.to_crs("EPSG:3067"), sites.to_crs("EPSG:3857"), **common
    )
    pd.testing.assert_frame_equal(a.od, b.od, check_exact=False, rtol=0, atol=1e-6)
    assert list(origins["oid"]) == list(range(30))  # inputs untouched
    assert origins.crs == "EPSG:4326"


def _toy_network():
    """A -> B twice (60 s and 30 s), B -> C free (0 s), C -> A 600 s; meters, EPSG:3067."""
    G = nx.MultiDiGraph(crs="EPSG:3067")
    G.add_node("A", x=0.0, y=0.0)
    G.add_node("B", x=1000.0, y=0.0)
    G.add_node("C", x=2000.0, y=0.0)
    G.add_edge("A", "B", travel_time=60.0)
    G.add_edge("A", "B", travel_time=30.0)
    G.add_edge("B", "C", travel_time=0.0)
    G.add_edge("C", "A", travel_time=600.0)
    G.add_edge("B", "B", travel_time=5.0)
    return G


def _gdf(id_name, ids, xy):
    return gpd.GeoDataFrame({id_name: ids}, geometry=[Point(x, y) for x, y in xy], crs="EPSG:3067")


def test_toy_network_known_answers():
    G = _toy_network()
    # origin o1 50 m off A (0.6 min walk at 5 km/h), o2 on C; two sites share node C
    origins = _gdf("oid", ["o1", "o2"], [(0, 50), (2000, 0)])
    sites = _gdf("sid", ["s1", "s2", "s3"], [(2000, 0), (2000, 0), (0, 0)])
    tt = network_travel_times(G, origins, sites, origin_id="oid", site_id="sid", max_minutes=11)
    got = {(o, s): t for o, s, t in tt.od.itertuples(index=False)}
    expected = {
        ("o1", "s1"): 0.6 + 0.5,  # walk 50 m, A->B by the faster parallel edge, B->C free
        ("o1", "s2"): 0.6 + 0.5,
        ("o1", "s3"): 0.6,  # same node
        ("o2", "s1"): 0.0,
        ("o2", "s2"): 0.0,
        ("o2", "s3"): 10.0,  # C -> A
    }
    assert got.keys() == expected.keys()
    for pair, t in expected.items():
        assert got[pair] == pytest.approx(t, abs=1e-12)
    # the bound cuts C -> A (10 min) and nothing else
    tt = network_travel_times(G, origins, sites, origin_id="oid", site_id="sid", max_minutes=9)
    assert ("o2", "s3") not in set(zip(tt.od["origin_id"], tt.od["site_id"], strict=True))
    assert len(tt.od) == 5
    # a bound equal to a time keeps that pair
    tt = network_travel_times(G, origins, sites, origin_id="oid", site_id="sid", max_minutes=10)
    assert len(tt.od) == 6


def test_far_points_are_all_listed(helsinki):
    origins = random_points(10, 7, "oid")
    far = gpd.GeoDataFrame(
        {"oid": [101, 102, 103]},
        geometry=gpd.points_from_xy([25.2, 25.3, 24.9445], [60.17, 60.3, 60.30]),
        crs="EPSG:4326",
    )
    origins = pd.concat([origins, far], ignore_index=True)
    sites = random_points(3, 8, "sid", prefix="s")
    sites = pd.concat(
        [
            sites,
            gpd.GeoDataFrame({"sid": ["far-site"]}, geometry=[Point(26.0, 61.0)], crs="EPSG:4326"),
        ],
        ignore_index=True,
    )
    with pytest.raises(InputValidationError) as info:
        network_travel_times(
            helsinki,
            origins,
            sites,
            origin_id="oid",
            site_id="sid",
            max_minutes=30,
            origins_label="areas.gpkg",
            sites_label="hospitals.shp",
        )
    problems = {p.source: p for p in info.value.problems}
    assert set(problems) == {"areas.gpkg", "hospitals.shp"}
    assert problems["areas.gpkg"].rows == (101, 102, 103)
    assert problems["areas.gpkg"].column == "oid"
    assert problems["hospitals.shp"].rows == ("far-site",)
    assert "areas.gpkg" in str(info.value) and "far-site" in str(info.value)


def test_max_snap_meters_boundary():
    G = _toy_network()
    origins = _gdf("oid", [1], [(0, 100)])
    sites = _gdf("sid", [1], [(2000, 0)])
    common = dict(origin_id="oid", site_id="sid", max_minutes=60)
    network_travel_times(G, origins, sites, max_snap_meters=100.0, **common)
    with pytest.raises(InputValidationError, match=r"farther than 99\.9 m"):
        network_travel_times(G, origins, sites, max_snap_meters=99.9, **common)


def test_no_path_raises(helsinki):
    origins = random_points(5, 9, "oid")
    sites = random_points(2, 10, "sid")
    with pytest.raises(NoPathError, match="no origin reaches any site"):
        network_travel_times(
            helsinki, origins, sites, origin_id="oid", site_id="sid", max_minutes=0.01
        )


def test_one_way_unreachable():
    """B cannot reach A in a one-way pair: NoPathError, and the reverse direction works."""
    G = nx.MultiDiGraph(crs="EPSG:3067")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=100.0, y=0.0)
    G.add_edge(1, 2, travel_time=10.0)
    at1, at2 = _gdf("id", ["a"], [(0, 0)]), _gdf("id", ["b"], [(100, 0)])
    with pytest.raises(NoPathError):
        network_travel_times(G, at2, at1, origin_id="id", site_id="id", max_minutes=60)
    tt = network_travel_times(G, at1, at2, origin_id="id", site_id="id", max_minutes=60)
    assert tt.od["minutes"].tolist() == [pytest.approx(10 / 60)]


def test_bad_point_frames_report_every_problem(helsinki):
    origins = random_points(4, 11, "oid")
    origins.loc[1, "oid"] = 0  # duplicate id
    origins.loc[3, "oid"] = None  # missing id
    origins = origins.set_crs(None, allow_override=True)
    sites = gpd.GeoDataFrame(
        {"sid": ["x", "y"]},
        geometry=[Point(24.94, 60.17), LineString([(24.94, 60.17), (24.95, 60.17)])],
        crs="EPSG:4326",
    )
    with pytest.raises(InputValidationError) as info:
        network_travel_times(
            helsinki, origins, sites, origin_id="oid", site_id="sid", max_minutes=10
        )
    text = str(info.value)
    assert "no CRS" in text
    assert "not unique" in text
    assert "id is missing" in text
    assert "not a Point" in text and "row y" in text
    with pytest.raises(InputValidationError, match="id column is missing"):
        network_travel_times(
            helsinki,
            random_points(2, 1, "oid"),
            sites,
            origin_id="zz",
            site_id="sid",
            max_minutes=5,
        )


def test_network_must_be_projected_and_timed(shared_data):
    import osmnx as ox

    raw = ox.load_graphml(shared_data / "helsinki" / "helsinki_drive.graphml")
    origins = random_points(2, 12, "oid")
    with pytest.raises(NetworkError, match="geographic"):
        network_travel_times(raw, origins, origins, origin_id="oid", site_id="oid", max_minutes=5)
    G = _toy_network()
    G.add_edge("C", "B")  # no travel_time
    pts = _gdf("id", [1], [(0, 0)])
    with pytest.raises(NetworkError, match="travel_time"):
        network_travel_times(G, pts, pts, origin_id="id", site_id="id", max_minutes=5)


def test_bad_options_are_listed():
    G = _toy_network()
    pts = _gdf("id", [1], [(0, 0)])
    with pytest.raises(InputValidationError) as info:
        network_travel_times(
            G, pts, pts, origin_id="id", site_id="id", max_minutes=-1, chunk_size=0
        )
    assert len(info.value.problems) == 2


# --------------------------------------------------------------------------
# straight lines
# --------------------------------------------------------------------------


def test_straight_line_equals_brute_force():
    rng = np.random.default_rng(13)
    o_xy = rng.uniform(0, 20_000, size=(300, 2))
    s_xy = rng.uniform(0, 20_000, size=(12, 2))
    s_xy[0] = o_xy[5]  # a site on an origin: distance 0 must be kept
    origins = _gdf("area", np.arange(300) * 10, o_xy)
    sites = _gdf("site", [f"h{i}" for i in range(12)], s_xy)
    speed, limit = 40.0, 12.0
    tt = straight_line_travel_times(
        origins, sites, origin_id="area", site_id="site", speed_kph=speed, max_minutes=limit
    )
    dist = np.hypot(o_xy[:, None, 0] - s_xy[None, :, 0], o_xy[:, None, 1] - s_xy[None, :, 1])
    minutes = dist / (speed * 1000 / 60)
    i, j = np.nonzero(minutes <= limit)
    expected = {
        (int(origins["area"][a]), f"h{b}"): minutes[a, b] for a, b in zip(i, j, strict=True)
    }
    got = {(o, s): t for o, s, t in tt.od.itertuples(index=False)}
    assert 0 < len(expected) < minutes.size
    assert got.keys() == expected.keys()
    for pair, t in expected.items():
        assert math.isclose(got[pair], t, rel_tol=1e-12, abs_tol=1e-12)
    assert got[(50, "h0")] == 0.0
    assert tt.method == "straight_line"
    assert (tt.origin_snap["access_minutes"] == 0).all()
    assert tt.od.equals(tt.od.sort_values(["origin_id", "site_id"]).reset_index(drop=True))


def test_straight_line_projects_geographic_points():
    origins = random_points(50, 14, "oid")
    sites = random_points(5, 15, "sid")
    tt = straight_line_travel_times(
        origins, sites, origin_id="oid", site_id="sid", speed_kph=10, max_minutes=5
    )
    utm = origins.estimate_utm_crs()
    o, s = origins.to_crs(utm), sites.to_crs(utm)
    for oid, sid, t in tt.od.itertuples(index=False):
        d = o.geometry[oid].distance(s.geometry[sid])
        assert math.isclose(t, d / (10 * 1000 / 60), rel_tol=1e-12)
    with pytest.raises(NoPathError):
        straight_line_travel_times(
            origins, sites, origin_id="oid", site_id="sid", speed_kph=10, max_minutes=1e-6
        )


# --------------------------------------------------------------------------
# user OD tables
# --------------------------------------------------------------------------


def test_read_od_table_maps_columns_and_ids(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text(
        "From Tract,To Hospital,Drive Min,extra\n12,007,5.5,x\n3,007,31,y\n3,A,2,z\n12.0,A,0,w\n"
    )
    od = read_od_table(
        path,
        origin_ids=[3, 12, 99],
        site_ids=["007", "A"],
        origin_col="From Tract",
        site_col="To Hospital",
        minutes_col="Drive Min",
        max_minutes=30,
    )
    assert list(od.columns) == ["origin_id", "site_id", "minutes"]
    assert od["minutes"].dtype == np.float64
    assert od.to_dict("list") == {
        "origin_id": [3, 12, 12],
        "site_id": ["A", "007", "A"],
        "minutes": [2.0, 5.5, 0.0],
    }
    # the same table as Parquet
    pq = tmp_path / "od.parquet"
    pd.DataFrame(
        {"o": [12, 3, 3, 12], "s": ["007", "007", "A", "A"], "m": [5.5, 31.0, 2.0, 0.0]}
    ).to_parquet(pq)
    od2 = read_od_table(
        pq,
        origin_ids=[3, 12, 99],
        site_ids=["007", "A"],
        origin_col="o",
        site_col="s",
        minutes_col="m",
        max_minutes=30,
    )
    pd.testing.assert_frame_equal(od, od2)


def test_read_od_table_lists_every_problem(tmp_path):
    path = tmp_path / "bad_od.csv"
    path.write_text(
        "origin,site,min\n"  # line 1
        "1,a,5\n"  # 2 ok
        "2,a,abc\n"  # 3 not a number
        "3,a,\n"  # 4 missing minutes
        "4,a,-2\n"  # 5 negative
        "77,a,3\n"  # 6 unknown origin
        "1,zz,3\n"  # 7 unknown site
        "2,b,4\n"  # 8 duplicate of line 9
        "2,b,4.5\n"  # 9
        ",b,1\n"  # 10 missing origin id
        "1,b,inf\n"  # 11 infinite
    )
    with pytest.raises(InputValidationError) as info:
        read_od_table(
            path,
            origin_ids=[1, 2, 3, 4],
            site_ids=["a", "b"],
            origin_col="origin",
            site_col="site",
            minutes_col="min",
        )
    problems = info.value.problems
    by_message = {p.message.split(" (")[0].split(":")[0]: p for p in problems}
    assert all(p.source == str(path) for p in problems)
    assert by_message["minutes are not numbers"].rows == (3,)
    assert by_message["minutes are missing"].rows == (4,)
    assert by_message["minutes are negative"].rows == (5,)
    assert by_message["minutes are infinite"].rows == (11,)
    assert by_message["1 unknown origin id(s)"].rows == (6,)
    assert by_message["1 unknown site id(s)"].rows == (7,)
    assert by_message["origin id is missing"].rows == (10,)
    dup = [p for p in problems if "more than once" in p.message]
    assert len(dup) == 1 and dup[0].rows == (8, 9)
    assert len(problems) == 8
    assert by_message["minutes are not numbers"].column == "min"
    assert "'77'" in str(info.value) and "'zz'" in str(info.value)


def test_read_od_table_missing_columns_and_files(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(InputValidationError) as info:
        read_od_table(path, origin_ids=[1], site_ids=[2])
    assert {p.column for p in info.value.problems} == {"origin_id", "site_id", "minutes"}
    with pytest.raises(InputFileError, match=r"missing\.csv"):
        read_od_table(tmp_path / "missing.csv", origin_ids=[1], site_ids=[2])
    other = tmp_path / "od.json"
    other.write_text("{}")
    with pytest.raises(InputFileError, match="unknown OD table type"):
        read_od_table(other, origin_ids=[1], site_ids=[2])


def test_od_table_travel_times(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("origin_id,site_id,minutes\n1,a,5\n2,a,45\n1,b,20\n")
    tt = od_table_travel_times(path, origin_ids=[1, 2, 3], site_ids=["a", "b", "c"], max_minutes=30)
    assert tt.method == "od_table"
    assert tt.od.to_dict("list") == {
        "origin_id": [1, 1],
        "site_id": ["a", "b"],
        "minutes": [5.0, 20.0],
    }
    assert tt.unreachable_origins == (2, 3)
    assert tt.unreachable_sites == ("c",)
