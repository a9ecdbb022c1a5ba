"""Benchmark: accessplan network travel times vs networkx Dijkstra on a 60k-node grid.

A 245 x 245 grid of two-way streets, 100 m apart (60,025 nodes, 239,120
edges) with varied speeds: 30 km/h locally, 50 km/h on every 5th street and
70 km/h on every 20th, each edge jittered by +-10 %.  300 sites and 5,000
origins are random points; the catchment is 30 minutes.

accessplan: :func:`accessplan.spatial.travel_time.network_travel_times`, end
to end (graph to sparse matrix, snapping, chunked bounded Dijkstra, table).
networkx: ``single_source_dijkstra_path_length`` with ``cutoff`` from every
site node on the reversed graph (Dijkstra only; snapping done beforehand).
Both tables must agree to 1e-9 minutes.

Run:  /work/venv/bin/python benchmarks/bench_travel_time.py
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from accessplan.spatial.travel_time import network_travel_times

SIDE = 245
SPACING_M = 100.0
N_SITES = 300
N_ORIGINS = 5_000
MAX_MINUTES = 30.0
ACCESS_KPH = 5.0
SEED = 20240611


def grid_network(rng: np.random.Generator) -> nx.MultiDiGraph:
    """osmnx-style MultiDiGraph in meters (EPSG:3067) with length/speed_kph/travel_time."""
    G = nx.MultiDiGraph(crs="EPSG:3067")
    x0, y0 = 380_000.0, 6_670_000.0
    for r in range(SIDE):
        for c in range(SIDE):
            G.add_node(r * SIDE + c, x=x0 + c * SPACING_M, y=y0 + r * SPACING_M)

    def street_speed(line: int) -> float:
        if line % 20 == 0:
            return 70.0
        if line % 5 == 0:
            return 50.0
        return 30.0

    def add_street(a: int, b: int, line: int) -> None:
        for u, v in ((a, b), (b, a)):
            speed = street_speed(line) * rng.uniform(0.9, 1.1)
            G.add_edge(
                u,
                v,
                length=SPACING_M,
                highway="residential",
                speed_kph=speed,
                travel_time=SPACING_M / (speed / 3.6),
            )

    for r in range(SIDE):
        for c in range(SIDE):
            a = r * SIDE + c
            if c + 1 < SIDE:
                add_street(a, a + 1, r)  # east-west street number r
            if r + 1 < SIDE:
                add_street(a, a + SIDE, c)  # north-south street number c
    return G


def random_points(rng: np.random.Generator, n: int, id_name: str, prefix: str) -> gpd.GeoDataFrame:
    span = (SIDE - 1) * SPACING_M
    x = 380_000.0 + rng.uniform(0, span, n)
    y = 6_670_000.0 + rng.uniform(0, span, n)
    return gpd.GeoDataFrame(
        {id_name: [f"{prefix}{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:3067",
    )


def networkx_table(G, origins, sites) -> pd.DataFrame:
    """The same OD table from networkx, snapping with scipy's cKDTree (independent code)."""
    nodes = np.array(list(G.nodes))
    xy = np.array([(G.nodes[n]["x"], G.nodes[n]["y"]) for n in nodes])
    index = {n: i for i, n in enumerate(nodes)}
    tree = cKDTree(xy)
    per_min = ACCESS_KPH * 1000 / 60
    o_d, o_i = tree.query(np.column_stack([origins.geometry.x, origins.geometry.y]))
    s_d, s_i = tree.query(np.column_stack([sites.geometry.x, sites.geometry.y]))
    o_acc, s_acc = o_d / per_min, s_d / per_min
    reverse = G.reverse(copy=False)
    frames = []
    t0 = time.perf_counter()
    for k in range(len(sites)):
        cutoff = (MAX_MINUTES - s_acc[k]) * 60
        lengths = nx.single_source_dijkstra_path_length(
            reverse, nodes[s_i[k]], cutoff=cutoff, weight="travel_time"
        )
        seconds = np.full(len(nodes), np.inf)
        seconds[[index[n] for n in lengths]] = list(lengths.values())
        total = o_acc + seconds[o_i] / 60 + s_acc[k]
        keep = np.flatnonzero(total <= MAX_MINUTES)
        frames.append(
            pd.DataFrame(
                {
                    "origin_id": origins["oid"].to_numpy()[keep],
                    "site_id": sites["sid"].iloc[k],
                    "minutes": total[keep],
                }
            )
        )
    elapsed = time.perf_counter() - t0
    od = pd.concat(frames, ignore_index=True)
    od = od.sort_values(["origin_id", "site_id"], kind="mergesort").reset_index(drop=True)
    return od, elapsed


def main() -> None:
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    G = grid_network(rng)
    build = time.perf_counter() - t0
    origins = random_points(rng, N_ORIGINS, "oid", "o")
    sites = random_points(rng, N_SITES, "sid", "s")
    print(
        f"grid: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges "
        f"(built in {build:.1f} s); {N_ORIGINS:,} origins, {N_SITES} sites, "
        f"{MAX_MINUTES:g}-minute limit"
    )

    t0 = time.perf_counter()
    ours = network_travel_times(
        G,
        origins,
        sites,
        origin_id="oid",
        site_id="sid",
        max_minutes=MAX_MINUTES,
        access_speed_kph=ACCESS_KPH,
    )
    t_ours = time.perf_counter() - t0

    tracemalloc.start()
    network_travel_times(
        G,
        origins,
        sites,
        origin_id="oid",
        site_id="sid",
        max_minutes=MAX_MINUTES,
        access_speed_kph=ACCESS_KPH,
    )
    _, peak_ours = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    theirs, t_nx = networkx_table(G, origins, sites)

    same_pairs = ours.od[["origin_id", "site_id"]].equals(theirs[["origin_id", "site_id"]])
    max_diff = float(np.max(np.abs(ours.od["minutes"].to_numpy() - theirs["minutes"].to_numpy())))
    if not same_pairs or max_diff > 1e-9:
        raise SystemExit(f"RESULTS DIFFER: same pairs={same_pairs}, max diff={max_diff:.3g}")

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"OD pairs within {MAX_MINUTES:g} min: {len(ours.od):,}; identical (max |diff| {max_diff:.1e} min)"
    )
    print()
    print(f"{'method':<48}{'seconds':>10}")
    print(f"{'accessplan network_travel_times (end to end)':<48}{t_ours:>10.2f}")
    print(f"{'networkx Dijkstra x 300 sites (cutoff)':<48}{t_nx:>10.2f}")
    print(f"{'ratio networkx / accessplan':<48}{t_nx / t_ours:>10.1f}x")
    print()
    print(f"peak traced memory of network_travel_times: {peak_ours / 2**20:,.0f} MiB (tracemalloc)")
    print(f"peak resident memory of this process:        {rss_mb:,.0f} MiB (ru_maxrss)")


if __name__ == "__main__":
    main()
