"""The Dask engine on a 2-worker LocalCluster: the same travel times and access as one machine.

Travel times are compared with :func:`network_travel_times` and
:func:`stream_network_travel_times` bit for bit on the demo network (556
areas; 11 hospitals, 40 candidates, the hospitals again under other ids and
150 random sites); access with :func:`access_scores` to 1e-12 relative and
the nearest minutes with :func:`nearest_minutes` exactly, on the same table,
both from a scattered CodedOD and from the travel-time chunks left on the
workers. Connecting: a scheduler that does not answer, one without workers,
workers on another accessplan version.
"""

from __future__ import annotations

import socket
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.spatial.coverage_indicators import nearest_minutes
from accessplan.spatial.dask_access import (
    ScatteredOD,
    dask_access,
    dask_nearest_minutes,
    scatter_od,
)
from accessplan.spatial.dask_engine import (
    ClusterError,
    connect,
    dask_network_travel_times,
    scatter_network_travel_times,
)
from accessplan.spatial.errors import NoPathError
from accessplan.spatial.fca import METHODS, access_scores
from accessplan.spatial.network import load_network
from accessplan.spatial.network_times import (
    network_od_fingerprint,
    network_travel_times,
    stream_network_travel_times,
)
from accessplan.spatial.od_codes import CodedOD
from accessplan.spatial.od_store import read_od_parquet
from accessplan.spatial.road_arrays import RoadArrays

DEMO = "data/demo"
RTOL = 1e-12


@pytest.fixture(scope="module")
def client():
    with connect("local", n_workers=2) as c:
        yield c
    assert c.status == "closed"


@pytest.fixture(scope="module")
def demo():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / DEMO
    G, _ = load_network(root / "roads.graphml.gz")
    areas = gpd.read_file(root / "region.gpkg", layer="areas")
    origins = gpd.GeoDataFrame(
        {"area_id": areas["area_id"]}, geometry=areas.representative_point(), crs=areas.crs
    ).to_crs("EPSG:4326")  # reprojected back to the network's CRS by both paths
    hospitals = gpd.read_file(root / "region.gpkg", layer="hospitals")[["site_id", "geometry"]]
    candidates = gpd.read_file(root / "region.gpkg", layer="candidates")[["site_id", "geometry"]]
    # sites on the same node as others (hospitals twice) and 150 random ones near nodes
    twins = hospitals.assign(site_id="twin-" + hospitals["site_id"].astype(str))
    rng = np.random.default_rng(13)
    arrays = RoadArrays.from_graph(G, source="roads.graphml.gz")
    picked = rng.choice(arrays.n_nodes, 150, replace=False)
    random_sites = gpd.GeoDataFrame(
        {"site_id": [f"r{k:03d}" for k in range(150)]},
        geometry=gpd.points_from_xy(
            arrays.x[picked] + rng.uniform(-300, 300, 150),
            arrays.y[picked] + rng.uniform(-300, 300, 150),
        ),
        crs=areas.crs,
    )
    sites = pd.concat([hospitals, candidates, twins, random_sites], ignore_index=True)
    population = pd.Series(
        areas["population"].to_numpy(float), index=pd.Index(areas["area_id"]), name="population"
    )
    return {"G": G, "arrays": arrays, "origins": origins, "sites": sites, "population": population}


KW = dict(origin_id="area_id", site_id="site_id", max_minutes=45.0)


@pytest.fixture(scope="module")
def table(demo, client):
    """The Dask travel times at 45 minutes (frame and codes) and the one-machine ones."""
    ours = dask_network_travel_times(
        demo["arrays"],
        demo["origins"],
        demo["sites"],
        client=client,
        chunk_size=16,
        as_codes=True,
        with_frame=True,
        **KW,
    )
    ref = network_travel_times(
        demo["G"], demo["origins"], demo["sites"], as_codes=True, with_frame=True, **KW
    )
    return ours, ref


# --------------------------------------------------------------------------
# connect
# --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unanswered_address_is_a_cluster_error_within_the_timeout():
    address = f"tcp://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(ClusterError, match="did not answer") as info:
        with connect(address, timeout_seconds=1.0):
            pass  # pragma: no cover
    assert time.monotonic() - started < 10
    assert address in str(info.value) and "dask scheduler" in str(info.value)
    assert isinstance(info.value, ConnectionError)


@pytest.mark.parametrize("bad", ["scheduler:8786", "", 8786, None])
def test_unknown_cluster_text_is_refused(bad):
    with pytest.raises(ClusterError, match='expected "local" or a scheduler address'):
        with connect(bad):
            pass  # pragma: no cover


def test_a_client_is_used_as_given_and_left_open(client):
    with connect(client) as same:
        assert same is client
    assert client.status == "running"
    # the workers of the module's local cluster: 2 processes, 1 thread each
    assert sorted(client.nthreads().values()) == [1, 1]


def test_scheduler_address_connects_and_leaves_the_cluster_running(client):
    address = client.scheduler.address
    with connect(address, timeout_seconds=5) as other:
        assert other is not client and other.status == "running"
        assert other.submit(sum, [1, 2, 3]).result() == 6
    assert other.status == "closed" and client.status == "running"


def test_workers_on_another_accessplan_version_are_refused(client, monkeypatch):
    from accessplan.spatial import dask_engine

    monkeypatch.setattr(dask_engine, "_accessplan_version", lambda: "0.0.0-other")
    with pytest.raises(ClusterError, match=r"2 Dask worker\(s\) of .* do not run accessplan"):
        with connect(client.scheduler.address):
            pass  # pragma: no cover


def test_scheduler_without_workers_is_a_cluster_error():
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as empty:
        with pytest.raises(ClusterError, match="answers but has no workers after 1 s"):
            with connect(empty.scheduler_address, timeout_seconds=1):
                pass  # pragma: no cover


# --------------------------------------------------------------------------
# travel times
# --------------------------------------------------------------------------


def test_travel_times_identical_to_one_machine(table, demo):
    ours, ref = table
    assert len(ref.od) > 10_000
    # same pairs, same minutes to the bit, same order
    pd.testing.assert_frame_equal(ours.od, ref.od, check_exact=True)
    pd.testing.assert_frame_equal(ours.origin_snap, ref.origin_snap, check_exact=True)
    pd.testing.assert_frame_equal(ours.site_snap, ref.site_snap, check_exact=True)
    assert ours.unreachable_origins == ref.unreachable_origins
    assert ours.unreachable_sites == ref.unreachable_sites
    assert (ours.method, ours.max_minutes, ours.od_path) == ("network", 45.0, None)
    # the coded table: labels in input order, sorted by origin then site code
    od = ours.coded
    assert list(od.origin_ids) == list(demo["origins"]["area_id"])
    assert list(od.site_ids) == list(demo["sites"]["site_id"])
    for name in ("indptr", "site_codes", "minutes"):
        np.testing.assert_array_equal(getattr(od, name), getattr(ref.coded, name))
    key = od.origin_codes().astype(np.int64) * od.n_sites + od.site_codes
    assert (np.diff(key) > 0).all()
    assert od.max_minutes == 45.0 and od.minutes.dtype == np.float64


def test_unreachable_points_as_one_machine(demo, client):
    hospitals = demo["sites"].iloc[:11]
    kwargs = dict(KW, max_minutes=15.0)
    ours = dask_network_travel_times(
        demo["G"], demo["origins"], hospitals, client=client, chunk_size=4, **kwargs
    )
    ref = network_travel_times(demo["G"], demo["origins"], hospitals, **kwargs)
    pd.testing.assert_frame_equal(ours.od, ref.od, check_exact=True)
    assert ours.unreachable_origins == ref.unreachable_origins
    assert len(ref.unreachable_origins) > 100  # the bound cuts many areas off


def test_streamed_parquet_same_as_one_machine(demo, client, tmp_path):
    ours = dask_network_travel_times(
        demo["arrays"],
        demo["origins"],
        demo["sites"],
        client=client,
        chunk_size=16,
        od_path=tmp_path / "dask.parquet",
        **KW,
    )
    ref = stream_network_travel_times(
        demo["arrays"],
        demo["origins"],
        demo["sites"],
        chunk_size=16,
        od_path=tmp_path / "one.parquet",
        **KW,
    )
    assert ours.od is None and ours.coded is None and ours.od_path == tmp_path / "dask.parquet"
    assert ours.unreachable_origins == ref.unreachable_origins
    # the same rows in the same order, and the same fingerprint
    assert pq.read_table(ours.od_path).equals(pq.read_table(ref.od_path))
    fingerprint = network_od_fingerprint(demo["arrays"], demo["origins"], demo["sites"], **KW)
    coded = read_od_parquet(ours.od_path, expect_fingerprint=fingerprint)
    assert coded.minutes.dtype == np.float32 and coded.n_pairs > 10_000
    # a table that cannot be built leaves no file behind
    with pytest.raises(NoPathError):
        dask_network_travel_times(
            demo["arrays"],
            demo["origins"],
            demo["sites"].iloc[:2],
            client=client,
            od_path=tmp_path / "none.parquet",
            **dict(KW, max_minutes=0.01),
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dask.parquet", "one.parquet"]


def test_travel_times_do_not_depend_on_the_chunks(table, demo, client):
    ours, _ = table
    one_task = dask_network_travel_times(
        demo["arrays"], demo["origins"], demo["sites"], client=client, chunk_size=1000, **KW
    )
    pd.testing.assert_frame_equal(one_task.od, ours.od, check_exact=True)


def test_no_pair_within_the_bound(demo, client):
    with pytest.raises(NoPathError, match=r"no origin reaches any site within 0\.01 minutes"):
        dask_network_travel_times(
            demo["arrays"],
            demo["origins"],
            demo["sites"].iloc[:3],
            origin_id="area_id",
            site_id="site_id",
            max_minutes=0.01,
            client=client,
        )


def test_bad_points_are_listed_together(demo, client):
    origins = demo["origins"].iloc[:5].copy()
    origins.loc[origins.index[1], "area_id"] = origins["area_id"].iloc[0]  # repeated id
    far = demo["sites"].iloc[:2].to_crs(demo["arrays"].crs)
    far = far.set_geometry(far.translate(xoff=50_000))  # 50 km off the network
    no_sites = gpd.GeoDataFrame({"site_id": []}, geometry=gpd.GeoSeries([]))  # no rows, no CRS
    with pytest.raises(InputValidationError) as info:
        dask_network_travel_times(
            demo["arrays"],
            origins,
            no_sites,
            origin_id="area_id",
            site_id="site_id",
            max_minutes=30,
            client=client,
        )
    text = str(info.value)
    assert "id is not unique" in text and "has no rows" in text and "has no CRS" in text
    with pytest.raises(InputValidationError, match="2 point\\(s\\) lie farther than 5000 m"):
        dask_network_travel_times(
            demo["arrays"],
            demo["origins"],
            far,
            origin_id="area_id",
            site_id="site_id",
            max_minutes=30,
            client=client,
        )
    with pytest.raises(InputValidationError, match="chunk_size must be a whole number >= 1"):
        dask_network_travel_times(
            demo["arrays"],
            demo["origins"],
            demo["sites"],
            origin_id="area_id",
            site_id="site_id",
            max_minutes=30,
            client=client,
            chunk_size=0,
        )


# --------------------------------------------------------------------------
# access and nearest minutes
# --------------------------------------------------------------------------


def _supply(sites: gpd.GeoDataFrame) -> pd.Series:
    beds = np.linspace(10, 200, len(sites))
    beds[::7] = 0.0  # some sites without capacity (3SFCA's selection skips them)
    return pd.Series(beds, index=pd.Index(sites["site_id"]), name="beds")


def _assert_same_access(got, want):
    for name in ("access", "site_ratio", "site_population"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.index.equals(b.index)
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=RTOL, atol=0)
    pd.testing.assert_series_equal(got.reaches_supply, want.reaches_supply)
    assert got.areas_without_supply == want.areas_without_supply
    assert got.sites_without_population == want.sites_without_population
    assert (got.method, got.catchment_minutes, got.decay) == (
        want.method,
        want.catchment_minutes,
        want.decay,
    )


@pytest.fixture(scope="module")
def scattered(table, client):
    """The one-machine table scattered in 5 parts."""
    with scatter_od(table[1].coded, client=client, n_parts=5) as parts:
        yield parts


@pytest.fixture(scope="module")
def kept(demo, client):
    """The Dask travel times left on the workers (one part per chunk of 16 site nodes)."""
    result, parts = scatter_network_travel_times(
        demo["arrays"], demo["origins"], demo["sites"], client=client, chunk_size=16, **KW
    )
    with parts:
        yield result, parts


def test_scattered_parts_hold_every_pair_once(scattered, kept, table):
    ref = table[1].coded
    assert isinstance(scattered, ScatteredOD) and len(scattered.futures) == 5
    sizes = [f.result().n_pairs for f in scattered.futures]
    assert sum(sizes) == ref.n_pairs and max(sizes) < 0.3 * ref.n_pairs  # balanced by pairs
    result, parts = kept
    n_site_nodes = len(np.unique(result.site_snap["node"]))
    assert len(parts.futures) == -(-n_site_nodes // 16) > 5
    np.testing.assert_array_equal(parts.origin_pairs, ref.pairs_per_origin())
    np.testing.assert_array_equal(parts.site_pairs, np.bincount(ref.site_codes, minlength=212))
    assert parts.n_pairs == ref.n_pairs and parts.max_minutes == 45.0
    assert (result.od, result.coded, result.od_path) == (None, None, None)
    assert result.unreachable_origins == table[1].unreachable_origins
    # the parts are the chunks' pairs: together, the one-machine table
    pieces = [f.result() for f in parts.futures]
    together = CodedOD.from_positions(
        np.concatenate([p.origin_codes for p in pieces]),
        np.concatenate([p.site_codes for p in pieces]),
        np.concatenate([p.minutes for p in pieces]),
        origin_ids=parts.origin_ids,
        site_ids=parts.site_ids,
    )
    for name in ("indptr", "site_codes", "minutes"):
        np.testing.assert_array_equal(getattr(together, name), getattr(ref, name))


@pytest.mark.parametrize("method", METHODS)
def test_access_equals_one_machine(method, kept, table, demo, client):
    ours, _ = table
    supply = _supply(demo["sites"])
    got = dask_access(
        kept[1], demo["population"], supply, client=client, method=method, catchment_minutes=40
    )
    want = access_scores(
        ours.coded.to_frame(), demo["population"], supply, method=method, catchment_minutes=40
    )
    _assert_same_access(got, want)
    assert got.access.gt(0).sum() > 400


@pytest.mark.parametrize(
    "decay",
    [{"type": "exponential", "beta": 0.1}, {"type": "gaussian", "sigma_minutes": 12.0}],
)
def test_generalised_2sfca_with_decay_and_normalised(decay, table, demo, client):
    ours, _ = table
    supply = _supply(demo["sites"])
    kwargs = dict(catchment_minutes=45.0, decay=decay, normalize=True)
    # a CodedOD is scattered for the call (3 partitions) and released
    got = dask_access(ours.coded, demo["population"], supply, client=client, n_parts=3, **kwargs)
    want = access_scores(ours.coded.to_frame(), demo["population"], supply, **kwargs)
    _assert_same_access(got, want)
    assert abs(float(demo["population"] @ got.access) / demo["population"].sum() - 1) < 1e-12


def test_access_of_some_sites_as_with_sites(kept, table, demo, client):
    """A table for facilities and candidates, access of the facilities alone ("before")."""
    hospitals = demo["sites"]["site_id"].iloc[:11]
    supply = _supply(demo["sites"]).loc[hospitals]
    got = dask_access(
        kept[1], demo["population"], supply, client=client, method="3sfca", site_ids=hospitals
    )
    want = access_scores(
        table[1].coded.with_sites(hospitals), demo["population"], supply, method="3sfca"
    )
    _assert_same_access(got, want)
    with pytest.raises(InputValidationError, match="201 id\\(s\\) with OD pairs not in the supply"):
        dask_access(kept[1], demo["population"], supply, client=client)


def test_access_hand_worked(client):
    od = pd.DataFrame(
        {"origin_id": ["a", "a", "b"], "site_id": ["h", "k", "h"], "minutes": [5.0, 25.0, 12.0]}
    )
    coded = CodedOD.from_frame(od, origin_ids=["a", "b", "c"])
    demand = pd.Series({"a": 100.0, "b": 300.0, "c": 50.0})
    supply = pd.Series({"h": 8.0, "k": 2.0})
    got = dask_access(coded, demand, supply, client=client, catchment_minutes=30)
    # R_h = 8 / 400, R_k = 2 / 100; A_a = R_h + R_k, A_b = R_h, c reaches nothing
    assert got.access.round(12).to_dict() == {"a": 0.04, "b": 0.02, "c": 0.0}
    assert got.areas_without_supply == ("c",)


def test_access_input_problems_at_once(table, demo, client):
    ours, _ = table
    demand = demo["population"].iloc[10:].copy()  # ten areas with pairs missing
    demand.iloc[0] = -1.0
    supply = _supply(demo["sites"]).iloc[:-5]  # five sites with pairs missing
    with pytest.raises(InputValidationError) as info:
        dask_access(ours.coded, demand, supply, client=client, catchment_minutes=30)
    text = str(info.value)
    assert "negative" in text
    assert "not in the demand index" in text and "not in the supply index" in text


@pytest.mark.parametrize("where", ["scattered", "kept"])
@pytest.mark.parametrize("only", [None, "hospitals"])
def test_nearest_minutes_exactly_as_one_machine(only, where, request, table, demo, client):
    parts = request.getfixturevalue(where)
    parts = parts[1] if where == "kept" else parts
    sites = None if only is None else list(demo["sites"]["site_id"].iloc[:11])
    areas = demo["population"].index
    got = dask_nearest_minutes(parts, client=client, origin_ids=areas, site_ids=sites)
    want = nearest_minutes(table[1].od, areas, site_ids=sites)
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert got.notna().sum() > 400
    if only:  # some areas have no hospital within 45 minutes
        assert got.isna().sum() > 0


def test_catchment_beyond_the_table_is_refused(kept, demo, client):
    with pytest.raises(InputValidationError, match="only holds pairs within 45 minutes"):
        dask_access(
            kept[1], demo["population"], _supply(demo["sites"]), client=client, catchment_minutes=60
        )
