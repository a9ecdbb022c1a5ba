"""Size of the three web maps and of the report's map section on a county-sized region.

The Chicago metro tracts of PySAL access (``../shared/data/pysal_access_chi_med``,
1,930 tract centroids, EPSG:2790) are turned into tract-like polygons: the
Voronoi cells of the centroids, clipped to the hull, with their edges cut
every 20 m and moved by up to 2 m (surveyed boundaries are not perfectly
straight: without this jitter the polygons would have 6 vertices each and
simplification would have nothing to do). Access before and after is
synthetic (fixed seed): about 4 % of tracts have none before; three new sites
raise access around them. 66 hospitals are drawn at random tract centroids.

Run from the repository root::

    .venv/bin/python benchmarks/report_size.py [--points]

It prints, for each map, the size of the offline page (Leaflet, jQuery, d3
inlined) and the size of the report's whole "Maps" section
(:func:`accessplan.maps.embed.embed_maps`), in MB. ``--points`` draws the
tract centroids as point areas instead.

Measured (2026-12-02, 1,930 polygons with 658,320 vertices; pages: side by side /
layers / change, then the report's map section):

- before (folium GeoJson layers, full precision, geometry once per layer/panel,
  jQuery + d3): 55.89 / 55.84 / 28.53 MB, section 142.60 MB
- after (one simplified GeoJSON per page, 5 decimals, Leaflet only): 0.90 / 0.84 /
  0.86 MB, section 3.45 MB
- points: 1.97 / 1.92 / 1.57 MB, section 7.81 MB before; 0.65 / 0.59 / 0.61 MB,
  section 2.71 MB after
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan.maps.embed import embed_maps
from accessplan.maps.offline import render_offline_html
from accessplan.maps.webmap import before_after_map, change_map, layered_map

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pysal_access_chi_med"


def tract_polygons(points: gpd.GeoDataFrame, *, step_m=20.0, jitter_m=2.0, seed=0):
    """Voronoi cells of the tract centroids, clipped, densified and jittered."""
    hull = points.geometry.union_all().convex_hull.buffer(2000.0)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(points.geometry)), extend_to=hull)
    cells = [c.intersection(hull) for c in cells.geoms]
    # voronoi_polygons returns cells in no particular order: match them to their point
    tree = shapely.STRtree(cells)
    idx = tree.query(points.geometry.to_numpy(), predicate="within")
    order = np.empty(len(points), dtype=int)
    order[idx[0]] = idx[1]
    out = []
    for i in order:
        ring = shapely.segmentize(cells[i], step_m)
        coords = np.asarray(ring.exterior.coords)
        # the jitter is a function of the vertex itself, so the shared edge of two
        # neighbours moves the same way in both (the tracts stay a clean coverage)
        key = np.round(coords, 3)
        phase = key[:, 0] * 12.9898 + key[:, 1] * 78.233 + seed
        noise = jitter_m * np.c_[np.sin(phase * 43758.5453), np.cos(phase * 24634.6345)]
        out.append(shapely.Polygon(coords + noise).buffer(0))
    return gpd.GeoDataFrame(points.drop(columns="geometry"), geometry=out, crs=points.crs)


def frames(*, points: bool):
    pop = gpd.read_file(DATA / "chicago_metro_pop.geojson")
    pop = pop.rename(columns={"geoid": "area_id", "pop": "population"})
    pop["area_id"] = pop["area_id"].astype(str)
    areas = pop if points else tract_polygons(pop)
    rng = np.random.default_rng(10)
    n = len(areas)
    before = rng.gamma(2.0, 0.0012, n)
    before[rng.random(n) < 0.04] = 0.0
    picks = rng.choice(n, 69, replace=False)
    xy = pop.geometry.to_numpy()
    new_xy = xy[picks[66:]]
    dist = np.min([pop.geometry.distance(p).to_numpy() for p in new_xy], axis=0)
    after = before + 0.003 * np.exp(-dist / 8000.0)
    areas = areas.assign(access_before=before, access_after=after)
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"H{i}" for i in range(66)] + ["N1", "N2", "N3"],
            "name": [f"Hospital {i}" for i in range(66)] + ["New A", "New B", "New C"],
            "capacity": np.r_[rng.integers(50, 800, 66), [120, 80, 60]].astype(float),
            "new": [False] * 66 + [True] * 3,
        },
        geometry=list(xy[picks]),
        crs=pop.crs,
    )
    new_sites = pd.DataFrame(
        {"site_id": ["N1", "N2", "N3"], "units": [120, 80, 60], "newly_covered": [9e4, 5e4, 3e4]}
    )
    inequity = pd.DataFrame(
        {"before": [0.31, 0.17, 0.04], "after": [0.27, 0.12, 0.03]},
        index=pd.Index(["gini", "theil", "share_zero"], name="measure"),
    )
    return areas, sites, new_sites, inequity


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", action="store_true", help="point areas (tract centroids)")
    args = parser.parse_args(argv)
    areas, sites, new_sites, inequity = frames(points=args.points)
    n_vertices = int(shapely.get_num_coordinates(areas.geometry.to_numpy()).sum())
    print(f"{len(areas)} areas ({n_vertices:,} vertices), {len(sites)} sites")
    pages = {}
    for title, builder in (
        ("Access before and after (synchronised)", before_after_map),
        ("Access before and after (layers)", layered_map),
        ("Change in access", change_map),
    ):
        t0 = time.perf_counter()
        pages[title] = render_offline_html(builder(areas, sites, new_sites, inequity=inequity))
        mb = len(pages[title].encode("utf-8")) / 1e6
        print(f"  {title:42s} {mb:7.2f} MB  ({time.perf_counter() - t0:.1f} s)")
    section = embed_maps(pages)
    print(f"  {'report map section (embed_maps)':42s} {len(section.encode('utf-8')) / 1e6:7.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
