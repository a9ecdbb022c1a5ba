"""The context layers of the web maps at scale: region outline and districts of many areas.

Synthetic regions of ``n`` areas on a 1 km grid in EPSG:3067 (as
``benchmarks/map_scale.py``) split into about ``d`` square districts, as
grid squares, as their centres (point areas), or as polygons that are no
grid (each square with an extra corner on its edges, so the union is the
polygon overlay). For each it times :func:`accessplan.maps.context.map_context`
(outline and districts) and prints the areas of both layers (the region's
area for squares and polygons; for point areas the outline is the convex
hull of the centres, a little smaller, and the districts are each point's
share of it, ``maps.point_districts``).

Run from the repository root::

    .venv/bin/python benchmarks/map_context.py [--sizes 50000 500000] [--districts 200 800]

Measured (2026-12-02, 2 cores shared with other jobs; seconds for both
layers; before = :func:`shapely.union_all` of every area and of each
district's areas, commit e72075c, timed by the same regions under load 3-6):

| areas | kind | districts | before s | after s |
|---:|---|---:|---:|---:|
| 50,000 | squares | 196 | 4.0-6.0 | 0.09-0.22 |
| 50,000 | points | 196 | 0.29-0.43 | 0.16-0.32 |
| 100,000 | polygons (no grid) | 400 | 9.4-26.1 | 1.3-2.5 |
| 500,000 | squares | 16 | 58-73 | 0.86 (1.9-3.4 under load) |
| 500,000 | squares | 784 | 46-101 | 0.76 (1.9-2.6 under load) |
| 500,000 | points | 784 | 13.7-17.2 | 0.93 (1.0-2.0 under load) |

Every "after" layer equals the "before" one (symmetric difference 0 m2, the
same names and area counts). Point-area districts changed since (they were
convex hulls of each district's points, which overlapped; now
non-overlapping shares of the outline): 500,000 centres on the grid take
0.84-1.22 s, scattered points 3-5 s (not in this table).
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from accessplan.maps.context import map_context

CELL_M = 1000.0
X0, Y0 = 200_000.0, 6_700_000.0


def region(n: int, districts: int, *, kind: str) -> gpd.GeoDataFrame:
    """``n`` areas on a 1 km grid in about ``districts`` square districts."""
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    col, row = i % side, i // side
    x, y = X0 + col * CELL_M, Y0 + row * CELL_M
    if kind == "points":
        geoms = shapely.points(x + CELL_M / 2, y + CELL_M / 2)
    else:
        geoms = shapely.box(x, y, x + CELL_M, y + CELL_M)
        if kind == "polygons":  # an extra corner on each edge: no longer a grid
            geoms = shapely.segmentize(geoms, 0.6 * CELL_M)
    k = max(1, round(float(np.sqrt(districts))))
    rows = n // side + 1
    district = (k * col // side) + k * (k * row // rows)
    return gpd.GeoDataFrame(
        {"group": [f"District {d + 1}" for d in district]}, geometry=geoms, crs=3067
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--districts", type=int, nargs="+", default=[200, 800])
    parser.add_argument("--kinds", nargs="+", default=["squares", "points", "polygons"])
    parser.add_argument(
        "--max-polygons", type=int, default=100_000, help="largest size of the polygon kind"
    )
    args = parser.parse_args()
    print("| areas | kind | districts | context s | outline km2 | districts km2 |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in args.sizes:
        for kind in args.kinds:
            if kind == "polygons" and n > args.max_polygons:
                continue
            for d in args.districts:
                areas = region(n, d, kind=kind)
                t = time.perf_counter()
                ctx = map_context(areas, group="group")
                seconds = time.perf_counter() - t
                print(
                    f"| {n:,} | {kind} | {len(ctx.districts)} | {seconds:.2f} "
                    f"| {ctx.outline.area.sum() / 1e6:,.0f} | {ctx.districts.area.sum() / 1e6:,.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
