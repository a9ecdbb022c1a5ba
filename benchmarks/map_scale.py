"""Web maps, figures and the report at province scale: vector areas against an image.

Synthetic regions of ``n`` areas on a 1 km grid (square polygons, or their
centres as point areas) in EPSG:3067, with access falling with the distance
to a dozen towns (zero beyond 60 km, a few areas without a score), one
hospital per 250 areas (2,000 at 500,000 areas, labelled by name) and a 4 x 4
grid of districts. For each size and kind it builds the three web maps of a
plan (side by side, layers, change; :mod:`accessplan.maps.webmap`), renders them
offline, draws the two area figures (:mod:`accessplan.maps.figures`) and writes
the report (:func:`accessplan.maps.report.write_report`) with those maps and
figures; it prints the size and time of each.

``--noise`` gives every area a random access (10 % none): no two neighbours
alike, the worst case for the images' compression.

``vector`` forces every area to be a shape (``max_vector_areas=None``, the
behaviour before images existed; skipped above ``--max-vector`` areas: at
500,000 areas the pages are hundreds of MB); ``image`` forces the image
(``max_vector_areas=0``; the default threshold draws images above 20,000 areas).

Run from the repository root::

    .venv/bin/python benchmarks/map_scale.py [--sizes 20000 100000 500000] [--max-vector 100000]

Measured (2026-12-02, 2 cores shared with other jobs; pages: side by side /
layers / change in MB, seconds for the three maps and the two figures, the
report with those maps and figures):

- 20,000 points: vector 3.89 / 3.83 / 4.10 MB, 3.4 s + 2.1 s, report 23.67 MB;
  image 0.34 / 0.27 / 0.29 MB, 1.0 s + 1.5 s, report 1.16 MB
- 20,000 squares: vector 5.60 / 5.53 / 5.80, report 25.52 MB; image report 1.15 MB
- 100,000 points: vector 17.84 / 17.77 / 18.92 MB, 14.3 s + 38.5 s, report
  96.66 MB; image 0.40 / 0.33 / 0.36 MB, 2.8 s + 3.7 s, report 1.44 MB
- 100,000 squares: vector report 120.45 MB (20.9 s + 55.7 s); image 1.37 MB (3.2 s + 4.8 s)
- 500,000 points, image: 1.28 / 0.96 / 0.79 MB, 9.4 s + 10.4 s, report 3.56 MB
- 500,000 squares, image: 0.95 / 0.64 / 0.75 MB, 34.0 s + 15.0 s, report 2.86 MB
- 500,000 with ``--noise`` (worst case): report 7.33 MB (points), 7.25 MB (squares)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan.maps.context import map_context
from accessplan.maps.embed import embed_maps
from accessplan.maps.figures import access_change_figure, access_maps_figure
from accessplan.maps.offline import render_offline_html
from accessplan.maps.report import write_report
from accessplan.maps.webmap import before_after_map, change_map, layered_map

CELL_M = 1000.0
X0, Y0 = 200_000.0, 6_700_000.0


def region(n: int, *, points: bool, seed: int = 0, noise: bool = False):
    """``n`` areas on a 1 km grid, hospitals, and the areas' district column."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = X0 + (i % side) * CELL_M
    y = Y0 + (i // side) * CELL_M
    geoms = (
        shapely.points(x + CELL_M / 2, y + CELL_M / 2)
        if points
        else shapely.box(x, y, x + CELL_M, y + CELL_M)
    )
    towns = np.c_[
        X0 + rng.uniform(0, side * CELL_M, 12), Y0 + rng.uniform(0, (n // side) * CELL_M, 12)
    ]
    d = np.min(np.hypot(x[:, None] - towns[:, 0], y[:, None] - towns[:, 1]), axis=1)
    before = np.where(d > 60_000.0, 0.0, 1.0 / (1.0 + d / 5_000.0)) * 1e-3
    if noise:  # the worst case for the images: no two neighbours alike
        before = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0.0, 1e-3, n))
    after = before * rng.uniform(1.0, 1.2, n)
    missing = rng.choice(n, max(1, n // 1000), replace=False)
    before[missing] = np.nan
    after[missing] = np.nan
    district = (4 * (i % side) // side) + 4 * (4 * (i // side) // max(1, n // side + 1))
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"c{k}" for k in i],
            "population": rng.integers(1, 400, n).astype(float),
            "access_before": before,
            "access_after": after,
            "access_change": after - before,
            "group": [f"District {k + 1}" for k in district],
        },
        geometry=geoms,
        crs=3067,
    )
    n_sites = max(1, n // 250)
    pick = rng.choice(n, n_sites, replace=False)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"h{k}" for k in range(n_sites)],
            "name": [f"Hospital {k}" for k in range(n_sites)],
            "capacity": rng.integers(10, 500, n_sites).astype(float),
            "new": np.arange(n_sites) < 5,
        },
        geometry=shapely.points(x[pick] + 300, y[pick] + 300),
        crs=3067,
    )
    return areas, sites


def run(n: int, *, points: bool, vector: bool, noise: bool = False) -> dict:
    areas, sites = region(n, points=points, noise=noise)
    limit = None if vector else 0
    comparison = pd.DataFrame(
        {"before": [0.3, 0.2, 0.05], "after": [0.25, 0.15, 0.03]},
        index=["gini", "theil", "share_zero"],
    )
    out = {
        "areas": n,
        "kind": "points" if points else "squares",
        "drawn": "vector" if vector else "image",
    }
    t = time.perf_counter()
    context = map_context(areas, group="group")
    out["context_s"] = time.perf_counter() - t
    maps = {}
    map_seconds = 0.0
    for title, builder in (
        ("Access before and after (synchronised)", before_after_map),
        ("Access before and after (layers)", layered_map),
        ("Change in access", change_map),
    ):
        t = time.perf_counter()
        page = render_offline_html(
            builder(areas, sites, inequity=comparison, context=context, max_vector_areas=limit)
        )
        map_seconds += time.perf_counter() - t
        maps[title] = page
    out["maps_s"] = map_seconds
    out["pages_mb"] = [len(p.encode()) / 1e6 for p in maps.values()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        figures = {
            "Access before and after": access_maps_figure(
                areas, sites, folder / "maps.png", max_vector_areas=limit
            ),
            "Change in access": access_change_figure(
                areas, sites, folder / "change.png", max_vector_areas=limit
            ),
        }
        out["figures_s"] = time.perf_counter() - t
        out["figures_mb"] = sum(p.stat().st_size for p in figures.values()) / 1e6
        t = time.perf_counter()
        report = write_report(
            folder / "report.html",
            areas=areas,
            sites=sites,
            new_sites=None,
            comparison=comparison,
            summary={},
            scenario={},
            maps=maps,
            figures=figures,
        )
        out["report_s"] = time.perf_counter() - t
        out["report_mb"] = report.stat().st_size / 1e6
    out["map_section_mb"] = len(embed_maps(maps).encode()) / 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000, 500_000])
    parser.add_argument("--max-vector", type=int, default=100_000)
    parser.add_argument("--kinds", nargs="+", default=["points", "squares"])
    parser.add_argument(
        "--noise", action="store_true", help="random access per area (the images' worst case)"
    )
    args = parser.parse_args()
    print(
        "| areas | kind | drawn | pages (MB: side by side / layers / change) | maps s "
        "| figures s | report MB | context s |"
    )
    print("|---:|---|---|---|---:|---:|---:|---:|")
    for n in args.sizes:
        for kind in args.kinds:
            for vector in (True, False):
                if vector and n > args.max_vector:
                    continue
                r = run(n, points=kind == "points", vector=vector, noise=args.noise)
                pages = " / ".join(f"{p:.2f}" for p in r["pages_mb"])
                print(
                    f"| {n:,} | {r['kind']} | {r['drawn']} | {pages} | {r['maps_s']:.1f} "
                    f"| {r['figures_s']:.1f} | {r['report_mb']:.2f} | {r['context_s']:.1f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
