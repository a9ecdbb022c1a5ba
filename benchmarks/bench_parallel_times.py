"""Benchmark: network travel times on 1 vs 2 worker processes, and the Parquet OD table.

1. Does :func:`scipy.sparse.csgraph.dijkstra` release the GIL?  On a 200 x
   200 grid, two calls (64 sources each) run one after the other against the
   same two calls on two threads (a ratio near 1 means it holds the GIL, but
   on a busy machine idle cores are needed to see it); and a probe that needs
   none: how fast a pure-Python thread counts while one long Dijkstra call
   runs (near 0 % of its idle speed: the call holds the GIL).  It does, so
   accessplan shares the work among processes.
2. :func:`accessplan.spatial.network_times.network_travel_times` with
   ``jobs=1`` and ``jobs=2`` on a 300 x 300 grid of two-way streets (90,000
   nodes, 358,800 edges; 100 m apart; 30 km/h locally, 50 km/h on every 5th
   street, 70 km/h on every 20th, each edge jittered by +-10 %), as
   :class:`~accessplan.spatial.road_arrays.RoadArrays`, 500 sites and 20,000
   origins at random, a 30-minute catchment.  Both tables must be identical.
3. The Parquet OD table of that run: write (float32 minutes) and read back
   (:func:`accessplan.spatial.od_store.write_od_parquet` /
   :func:`~accessplan.spatial.od_store.read_od_parquet`), pairs per second
   and bytes per pair, and the streamed run
   (:func:`~accessplan.spatial.network_times.stream_network_travel_times`).

The machine's free parallel capacity is measured before and after the
timed runs (one CPU-bound process against two at once): on a 2-core machine
shared with other work, ``jobs=2`` cannot beat ``jobs=1`` unless about two
cores are free (with the kernel's autogroup scheduling, a session's
processes share one fair slice however many there are); the CPU seconds of
this process and of the workers show how the work was split.  The timed
runs alternate ``jobs=1`` and ``jobs=2`` three times; the best of each is
compared.

Run:  .venv/bin/python benchmarks/bench_parallel_times.py
"""

from __future__ import annotations

import os
import resource
import tempfile
import threading
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from accessplan.spatial.dijkstra_pool import available_cores
from accessplan.spatial.network_times import network_travel_times, stream_network_travel_times
from accessplan.spatial.od_store import read_od_parquet, write_od_parquet
from accessplan.spatial.road_arrays import RoadArrays, collapse_edges

SIDE = 300
SPACING_M = 100.0
N_SITES = 500
N_ORIGINS = 20_000
MAX_MINUTES = 30.0
SEED = 20261202
REPEATS = 3  # alternating runs; the best of each is kept (the machine may be shared)
X0, Y0 = 380_000.0, 6_670_000.0


def grid_edges(side: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both directions of every street of a side x side grid: tails, heads, seconds."""
    idx = np.arange(side * side).reshape(side, side)
    line = np.arange(side)
    speed_of_line = np.where(line % 20 == 0, 70.0, np.where(line % 5 == 0, 50.0, 30.0))
    east_a, east_b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    east_speed = np.repeat(speed_of_line, side - 1)  # east-west street r
    north_a, north_b = idx[:-1, :].ravel(), idx[1:, :].ravel()
    north_speed = np.tile(speed_of_line, side - 1)  # north-south street c
    a = np.concatenate([east_a, north_a])
    b = np.concatenate([east_b, north_b])
    speed = np.concatenate([east_speed, north_speed])
    tails = np.concatenate([a, b])
    heads = np.concatenate([b, a])
    kph = np.concatenate([speed, speed]) * rng.uniform(0.9, 1.1, 2 * len(a))
    return tails, heads, SPACING_M / (kph / 3.6)


def grid_arrays(rng: np.random.Generator) -> RoadArrays:
    n = SIDE * SIDE
    tails, heads, seconds = grid_edges(SIDE, rng)
    indptr, heads32, secs, _ = collapse_edges(tails, heads, seconds, n)
    cols, rows = np.meshgrid(np.arange(SIDE), np.arange(SIDE))
    return RoadArrays(
        node_ids=np.arange(n, dtype=np.int64),
        x=X0 + cols.ravel() * SPACING_M,
        y=Y0 + rows.ravel() * SPACING_M,
        indptr=indptr,
        heads=heads32,
        seconds=secs,
        crs=pyproj.CRS("EPSG:3067"),
        source="grid",
    )


def random_points(rng: np.random.Generator, n: int, id_name: str) -> gpd.GeoDataFrame:
    span = (SIDE - 1) * SPACING_M
    return gpd.GeoDataFrame(
        {id_name: np.arange(n)},
        geometry=gpd.points_from_xy(X0 + rng.uniform(0, span, n), Y0 + rng.uniform(0, span, n)),
        crs="EPSG:3067",
    )


def gil_check(rng: np.random.Generator) -> None:
    side = 200
    tails, heads, seconds = grid_edges(side, rng)
    graph = sp.csr_matrix((seconds, (tails, heads)), shape=(side * side, side * side))
    sources = [rng.choice(side * side, 64, replace=False) for _ in range(2)]

    def run(s):
        return dijkstra(graph, directed=True, indices=s, limit=600.0)

    run(sources[0])  # warm up
    best_serial = best_threads = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for s in sources:
            run(s)
        best_serial = min(best_serial, time.perf_counter() - t0)
        with ThreadPoolExecutor(2) as pool:
            t0 = time.perf_counter()
            list(pool.map(run, sources))
            best_threads = min(best_threads, time.perf_counter() - t0)
    print(
        f"GIL: 2 Dijkstra calls (64 sources, 200 x 200 grid) one after the other "
        f"{best_serial:.3f} s, on 2 threads {best_threads:.3f} s -> speed-up "
        f"{best_serial / best_threads:.2f} (1.0 = the GIL is held)"
    )
    # a probe that does not depend on idle cores: how far a pure-Python thread
    # gets while one long Dijkstra call runs, against while the caller sleeps
    count, stop = [0], [False]

    def spin() -> None:
        while not stop[0]:
            count[0] += 1

    thread = threading.Thread(target=spin)
    thread.start()
    time.sleep(0.2)
    c0, t0 = count[0], time.perf_counter()
    time.sleep(0.5)
    idle_rate = (count[0] - c0) / (time.perf_counter() - t0)
    c0, t0 = count[0], time.perf_counter()
    dijkstra(graph, directed=True, indices=np.arange(0, side * side, 157)[:256])
    busy = time.perf_counter() - t0
    busy_rate = (count[0] - c0) / busy
    stop[0] = True
    thread.join()
    print(
        f"GIL probe: a Python thread runs at {busy_rate / idle_rate:.1%} of its speed while "
        f"one {busy:.1f} s Dijkstra call (256 sources, no limit) runs (100% = released, near 0% = held)"
    )


def _spin(n: int) -> float:
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t0


def capacity_check() -> float:
    """Wall time of one CPU-bound process over that of two at once (2.0 = two idle cores)."""
    n = 10_000_000
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [1000, 1000]))  # start the workers
        t0 = time.perf_counter()
        pool.submit(_spin, n).result()
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        two = time.perf_counter() - t0
    ratio = 2 * one / two
    print(
        f"machine: one CPU-bound process {one:.2f} s, two at once {two:.2f} s -> "
        f"{ratio:.2f} cores free for this run (2.00 on an idle 2-core machine)"
    )
    return ratio


def main() -> None:
    rng = np.random.default_rng(SEED)
    print(f"cores available: {available_cores()}")
    capacity_check()
    gil_check(rng)

    arrays = grid_arrays(rng)
    origins = random_points(rng, N_ORIGINS, "oid")
    sites = random_points(rng, N_SITES, "sid")
    print(
        f"grid: {arrays.n_nodes:,} nodes, {arrays.n_edges:,} edges "
        f"({arrays.nbytes / 1e6:.1f} MB of arrays); {N_ORIGINS:,} origins, {N_SITES} sites, "
        f"{MAX_MINUTES:g}-minute limit"
    )
    kw = dict(origin_id="oid", site_id="sid", max_minutes=MAX_MINUTES, as_codes=True)
    results = {}
    times = {1: np.inf, 2: np.inf}
    for repeat, jobs in enumerate([1, 2] * REPEATS):
        before = os.times()
        t0 = time.perf_counter()
        results[jobs] = network_travel_times(arrays, origins, sites, jobs=jobs, **kw).coded
        wall = time.perf_counter() - t0
        times[jobs] = min(times[jobs], wall)
        after = os.times()
        own = after.user + after.system - before.user - before.system
        workers = (
            after.children_user
            + after.children_system
            - before.children_user
            - before.children_system
        )
        print(
            f"network_travel_times jobs={jobs} (run {repeat // 2 + 1}): {wall:.2f} s wall; "
            f"CPU: this process {own:.1f} s, workers {workers:.1f} s"
        )
    a, b = results[1], results[2]
    assert all(
        np.array_equal(getattr(a, f), getattr(b, f)) for f in ("indptr", "site_codes", "minutes")
    )
    print(
        f"best of {REPEATS}: jobs=1 {times[1]:.2f} s, jobs=2 {times[2]:.2f} s -> "
        f"jobs=1 / jobs=2 wall time {times[1] / times[2]:.2f}x; tables identical"
    )
    print(f"load average during the runs: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    capacity_check()
    pairs = a.n_pairs
    print(f"pairs: {pairs:,}")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "od.parquet"
        t0 = time.perf_counter()
        write_od_parquet(path, a)
        t_write = time.perf_counter() - t0
        size = path.stat().st_size
        t0 = time.perf_counter()
        back = read_od_parquet(path)
        t_read = time.perf_counter() - t0
        assert np.array_equal(back.minutes, a.minutes.astype(np.float32))
        print(
            f"Parquet write (float32, in origin order): {t_write:.2f} s, "
            f"{pairs / t_write / 1e6:.1f} M pairs/s; file {size / 1e6:.1f} MB "
            f"({size / pairs:.2f} bytes/pair)"
        )
        print(f"Parquet read to CodedOD: {t_read:.2f} s, {pairs / t_read / 1e6:.1f} M pairs/s")
        streamed = Path(tmp) / "streamed.parquet"
        t0 = time.perf_counter()
        stream_network_travel_times(
            arrays,
            origins,
            sites,
            od_path=streamed,
            jobs=2,
            **{k: kw[k] for k in kw if k != "as_codes"},
        )
        t_stream = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = read_od_parquet(streamed)
        t_read_streamed = time.perf_counter() - t0
        assert np.array_equal(again.site_codes, a.site_codes)
        assert np.array_equal(again.minutes, a.minutes.astype(np.float32))
        print(
            f"streamed run jobs=2 (times + Parquet): {t_stream:.2f} s "
            f"({t_stream / times[2]:.2f}x the in-memory jobs=2 run); read back, "
            f"sorted from site chunks: {t_read_streamed:.2f} s; equal to the in-memory table"
        )
    with tempfile.TemporaryDirectory() as tmp:
        plain = {k: kw[k] for k in kw if k != "as_codes"}
        tracemalloc.start()
        network_travel_times(arrays, origins, sites, jobs=2, **kw)
        in_memory = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        stream_network_travel_times(
            arrays, origins, sites, od_path=Path(tmp) / "od.parquet", jobs=2, **plain
        )
        streamed_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(
        f"peak traced memory of this process (workers excluded), jobs=2: in memory "
        f"{in_memory / 2**20:,.0f} MiB ({in_memory / pairs:.0f} bytes/pair), streamed "
        f"{streamed_peak / 2**20:,.0f} MiB"
    )
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: this process {self_mb:,.0f} MB, largest worker {child_mb:,.0f} MB")


if __name__ == "__main__":
    main()
