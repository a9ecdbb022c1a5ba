"""Network cache and load_road_arrays: a hit skips parsing and gives equal arrays; bad entries are errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
import osmnx as ox
import pytest

from accessplan.data.errors import InputFileError
from accessplan.spatial import network_cache, road_load
from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network import load_network
from accessplan.spatial.network_cache import (
    CACHE_FORMAT_VERSION,
    NetworkCacheError,
    cache_entry,
    file_sha256,
)
from accessplan.spatial.road_arrays import RoadArrays
from accessplan.spatial.road_load import load_road_arrays

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "roads.graphml.gz"
ARRAYS = ("node_ids", "x", "y", "indptr", "heads", "seconds", "road_class")


def assert_equal_arrays(a: RoadArrays, b: RoadArrays) -> None:
    for name in ARRAYS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    assert a.crs.equals(b.crs) and a.crs.to_authority() == b.crs.to_authority()
    assert a.source == b.source


def small_graphml(folder: Path, name: str = "roads.graphml", *, minutes: float = 2.0) -> Path:
    """A two-way square of 1 km streets in lon/lat (projected on reading)."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    corners = [(24.90, 60.17), (24.92, 60.17), (24.92, 60.18), (24.90, 60.18)]
    for k, (x, y) in enumerate(corners, start=1):
        G.add_node(k, x=x, y=y)
    for k in range(1, 5):
        u, v = k, k % 4 + 1
        for a, b in ((u, v), (v, u)):
            G.add_edge(a, b, length=1000.0, highway="residential", travel_time=60.0 * minutes)
    path = folder / name
    ox.save_graphml(G, path)
    return path


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


class Refuse:
    """A parser that must not be called (the cache must answer)."""

    def __call__(self, *args, **kwargs):
        raise AssertionError("parsed although the cache holds the network")


# --------------------------------------------------------------------------
# hits and misses
# --------------------------------------------------------------------------


def test_demo_second_run_reads_the_cache_without_parsing(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first, report = load_road_arrays(DEMO, cache_dir=cache)
    names = entries(cache)
    assert len(names) == 2 and names[0].endswith(".json") and names[1].endswith(".npz")
    assert names[0].startswith("roads.graphml.gz.")

    monkeypatch.setattr(road_load, "read_graphml_arrays", Refuse())
    second, report_again = load_road_arrays(DEMO, cache_dir=cache)
    assert_equal_arrays(first, second)
    assert report_again == report

    # the stored metadata describes the file and the result
    meta = json.loads((cache / names[0]).read_text(encoding="utf-8"))
    assert meta["format_version"] == CACHE_FORMAT_VERSION
    assert meta["source"]["sha256"] == file_sha256(DEMO)
    assert meta["source"]["size"] == DEMO.stat().st_size
    assert (meta["nodes"], meta["edges"]) == (first.n_nodes, first.n_edges)
    assert meta["report"]["nodes_kept"] == report.nodes_kept and meta["crs"] == "EPSG:32631"


def test_cached_result_equals_load_network(tmp_path, monkeypatch):
    path = small_graphml(tmp_path)
    G, expected_report = load_network(path)
    expected = RoadArrays.from_graph(G, source=str(path))
    load_road_arrays(path, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(road_load, "read_graphml_arrays", Refuse())
    got, report = load_road_arrays(path, cache_dir=tmp_path / "cache")
    assert report == expected_report
    order = np.argsort(got.node_ids)
    np.testing.assert_array_equal(got.node_ids[order], np.sort(expected.node_ids))
    np.testing.assert_allclose(np.sort(got.seconds), np.sort(expected.seconds), atol=1e-9)
    assert got.crs.equals(expected.crs)


def test_same_bytes_elsewhere_hit_and_are_named_by_their_new_path(tmp_path, monkeypatch):
    first_path = small_graphml(tmp_path)
    a, _ = load_road_arrays(first_path, cache_dir=tmp_path / "cache")
    copy = tmp_path / "copy" / "roads.graphml"
    copy.parent.mkdir()
    shutil.copy(first_path, copy)
    monkeypatch.setattr(road_load, "read_graphml_arrays", Refuse())
    b, report = load_road_arrays(copy, cache_dir=tmp_path / "cache")
    assert b.source == report.source == str(copy)
    np.testing.assert_array_equal(a.seconds, b.seconds)


def test_other_options_or_bytes_are_other_entries(tmp_path):
    path = small_graphml(tmp_path)
    cache = tmp_path / "cache"
    load_road_arrays(path, cache_dir=cache)
    load_road_arrays(path, cache_dir=cache, to_crs="EPSG:3067")
    load_road_arrays(path, cache_dir=cache, to_crs=3067)  # the same CRS: the same entry
    load_road_arrays(path, cache_dir=cache, speed_kph=30.0)
    assert len(entries(cache)) == 6
    constant, _ = load_road_arrays(path, cache_dir=cache, speed_kph=30.0)
    np.testing.assert_allclose(constant.seconds, 120.0)  # 1 km at 30 km/h
    small_graphml(tmp_path, minutes=3.0)  # new bytes, same name
    changed, _ = load_road_arrays(path, cache_dir=cache)
    np.testing.assert_allclose(changed.seconds, 180.0)
    assert len(entries(cache)) == 8


def test_use_cache_false_neither_reads_nor_writes(tmp_path, monkeypatch):
    path = small_graphml(tmp_path)
    cache = tmp_path / "cache"
    load_road_arrays(path, cache_dir=cache, use_cache=False)
    assert entries(cache) == []
    monkeypatch.chdir(tmp_path)
    load_road_arrays(path)  # default folder: ./.accessplan-cache
    assert len(entries(tmp_path / ".accessplan-cache")) == 2


def test_osm_files_go_to_the_osm_reader_with_the_network_type_in_the_key(tmp_path, monkeypatch):
    from accessplan.spatial import osm_arrays

    graphml = small_graphml(tmp_path)
    arrays, report = load_road_arrays(graphml, use_cache=False)
    calls = []

    def fake_reader(path, **options):
        calls.append(options)
        return arrays, report

    monkeypatch.setattr(osm_arrays, "read_osm_arrays", fake_reader)
    osm = tmp_path / "roads.osm.pbf"
    osm.write_bytes(b"not parsed by the fake reader")
    cache = tmp_path / "cache"
    for network_type in ("drive", "walk", "drive"):
        load_road_arrays(osm, network_type=network_type, cache_dir=cache, progress=True)
    assert [c["network_type"] for c in calls] == ["drive", "walk"]
    assert calls[0] == {
        "network_type": "drive",
        "fallback_speed_kph": None,
        "speed_kph": None,
        "to_crs": None,
        "progress": True,
    }
    assert len(entries(cache)) == 4


def test_unknown_or_missing_files_as_load_network(tmp_path):
    other = tmp_path / "roads.shp"
    other.write_text("x")
    for path, error in ((other, NetworkError), (tmp_path / "none.graphml", InputFileError)):
        with pytest.raises(error) as expected:
            load_network(path)
        with pytest.raises(error) as got:
            load_road_arrays(path, cache_dir=tmp_path / "cache")
        assert str(got.value) == str(expected.value)
    assert entries(tmp_path / "cache") == []


# --------------------------------------------------------------------------
# entries that do not match their key, or are broken: errors, never used
# --------------------------------------------------------------------------


def _cached(tmp_path: Path) -> tuple[Path, Path, Path]:
    path = small_graphml(tmp_path)
    load_road_arrays(path, cache_dir=tmp_path / "cache")
    meta, arrays = sorted((tmp_path / "cache").iterdir())
    return path, meta, arrays


def _edit_meta(meta: Path, change) -> None:
    data = json.loads(meta.read_text(encoding="utf-8"))
    change(data)
    meta.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.update(format_version=0), "written in cache format 0"),
        (lambda d: d["source"].update(sha256="0" * 64), "holds the network of another file"),
        (
            lambda d: d["options"].update(speed_kph=50.0),
            "other reader options (speed_kph: cached 50.0, now None)",
        ),
        (lambda d: d.update(key="abc"), "corrupt (its key 'abc'"),
        (lambda d: d.pop("report"), "corrupt"),
    ],
    ids=["version", "file", "options", "key", "no report"],
)
def test_entries_not_matching_their_key_are_errors(tmp_path, change, expected):
    path, meta, _ = _cached(tmp_path)
    _edit_meta(meta, change)
    with pytest.raises(NetworkCacheError) as info:
        load_road_arrays(path, cache_dir=tmp_path / "cache")
    message = str(info.value)
    assert expected in message
    assert str(meta) in message
    assert "use_cache=False" in message and "delete" in message
    assert isinstance(info.value, NetworkError)
    # the fix the message names works
    load_road_arrays(path, cache_dir=tmp_path / "cache", use_cache=False)


@pytest.mark.parametrize("damage", ["truncated arrays", "missing arrays", "bad json", "swapped"])
def test_corrupt_entries_are_errors(tmp_path, damage):
    path, meta, arrays = _cached(tmp_path)
    if damage == "truncated arrays":
        arrays.write_bytes(arrays.read_bytes()[:200])
    elif damage == "missing arrays":
        arrays.unlink()
    elif damage == "bad json":
        meta.write_text("{not json", encoding="utf-8")
    else:  # the arrays of another entry under this entry's name
        load_road_arrays(path, cache_dir=tmp_path / "other", speed_kph=10.0)
        other = next(p for p in (tmp_path / "other").iterdir() if p.suffix == ".npz")
        shutil.copy(other, arrays)
    with pytest.raises(NetworkCacheError, match="the entry is corrupt") as info:
        load_road_arrays(path, cache_dir=tmp_path / "cache")
    assert str(meta) in str(info.value)


def test_interrupted_writes_leave_no_entry(tmp_path, monkeypatch):
    path = small_graphml(tmp_path)
    cache = tmp_path / "cache"
    real_savez = np.savez

    def interrupted(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(network_cache.np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        load_road_arrays(path, cache_dir=cache)
    assert entries(cache) == []  # no entry, no temporary file

    # metadata interrupted after the arrays landed: the entry is absent, the next run writes it
    monkeypatch.setattr(network_cache.np, "savez", real_savez)
    real_replace = os.replace

    def replace_arrays_only(source, target):
        if str(target).endswith(".json"):
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(network_cache.os, "replace", replace_arrays_only)
    with pytest.raises(KeyboardInterrupt):
        load_road_arrays(path, cache_dir=cache)
    assert [Path(n).suffix for n in entries(cache)] == [".npz"]
    monkeypatch.setattr(network_cache.os, "replace", real_replace)
    first, _ = load_road_arrays(path, cache_dir=cache)
    monkeypatch.setattr(road_load, "read_graphml_arrays", Refuse())
    second, _ = load_road_arrays(path, cache_dir=cache)
    assert_equal_arrays(first, second)


def test_key_follows_format_file_and_options(tmp_path):
    path = small_graphml(tmp_path)
    entry = cache_entry(path, {"reader": "graphml", "to_crs": "epsg:3067"}, cache_dir=tmp_path)
    same = cache_entry(path, {"to_crs": 3067, "reader": "graphml"}, cache_dir=tmp_path)
    assert entry.key == same.key and entry.options["to_crs"] == "EPSG:3067"
    assert entry.sha256 == file_sha256(path) and len(entry.key) == 24
    other = cache_entry(path, {"reader": "graphml", "speed_kph": 5}, cache_dir=tmp_path)
    assert other.key != entry.key and other.options["speed_kph"] == 5.0
