"""Generate the bundled demo region -- SYNTHETIC data, a fictional place.

Everything this module makes is invented: the city of Aldermouth, its five towns,
the population, the hospitals, the candidate sites and the roads. The region is
placed at sea, on the Dogger Bank in the North Sea (UTM zone 31N, ``EPSG:32631``,
around 3 deg E, 55.5 deg N), so that its coordinates cannot be mistaken for any
real place. Only the coordinate system is real, so that projected distances in
metres are meaningful.

The region is 60 km x 40 km:

- a city (Aldermouth, ~420 000 people) with a dense street grid and most hospitals;
- five towns, two of them with a hospital, three linked to the city by motorway;
- rural land in between, with sparse tertiary and unclassified roads, and an
  eastern upland district (Fellside) whose winding roads are slow, so that part
  of it lies beyond an hour of any hospital: the plan has real inequity to fix.

Run ``python -m accessplan.data.make_demo`` to (re)write ``data/demo/region.gpkg``
(layers ``areas``, ``hospitals``, ``candidates``) and ``data/demo/roads.graphml.gz``
(osmnx GraphML, gzip'd with a fixed timestamp). A fixed seed makes every run
produce the same content; ``tests/data/test_demo.py`` checks that a fresh
:func:`generate_demo` equals the shipped files.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyogrio
import shapely
from scipy.spatial import cKDTree

from accessplan.data.demo import DemoRegion

__all__ = [
    "CRS",
    "HEIGHT_M",
    "ORIGIN_X_M",
    "ORIGIN_Y_M",
    "SEED",
    "WIDTH_M",
    "generate_demo",
    "main",
    "write_demo",
]

#: The fixed seed of the shipped demo region.
SEED = 20_250_401
#: Projected CRS of every layer (WGS 84 / UTM zone 31N; the region lies at sea).
CRS = "EPSG:32631"
#: South-west corner of the region, metres in ``CRS``.
ORIGIN_X_M = 470_000.0
ORIGIN_Y_M = 6_130_000.0
#: Size of the region, metres.
WIDTH_M = 60_000.0
HEIGHT_M = 40_000.0
_ORIGIN = np.array([ORIGIN_X_M, ORIGIN_Y_M])
#: Local x (metres from the west edge) east of which the land is upland.
UPLAND_X_M = 40_000.0

_NODE_ID_BASE = 1_000_000
_GPKG_TIMESTAMP = "2025-04-01T00:00:00.000Z"
_WAY_ID_BASE = 20_000_000

# speed (km/h) of each road class; upland roads are slower and winding
_SPEED_KPH = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "primary": 80.0,
    "secondary": 50.0,
    "tertiary": 60.0,
    "unclassified": 45.0,
    "residential": 30.0,
}
_UPLAND_SPEED_KPH = {"secondary": 35.0, "tertiary": 30.0, "unclassified": 20.0}
_TOWN_MAIN_STREET_KPH = 40.0


@dataclass(frozen=True)
class _Settlement:
    name: str
    kind: str  # "city" or "town"
    x_m: float  # local metres from the south-west corner
    y_m: float
    radius_m: float
    population: int
    n_areas: int
    n_hospitals: int
    n_candidates: int


_SETTLEMENTS = (
    _Settlement("Aldermouth", "city", 17_000, 21_000, 5_500, 420_000, 240, 8, 0),
    _Settlement("Brackenford", "town", 35_000, 32_000, 2_300, 68_000, 40, 2, 2),
    _Settlement("Cindervale", "town", 8_000, 6_000, 2_000, 52_000, 32, 1, 2),
    _Settlement("Duneholt", "town", 35_000, 8_000, 1_600, 34_000, 22, 0, 3),
    _Settlement("Eskerby", "town", 5_500, 35_000, 1_400, 24_000, 16, 0, 3),
    _Settlement("Ferncombe", "town", 55_000, 22_000, 1_500, 28_000, 16, 0, 3),
)
_CITY = _SETTLEMENTS[0]
_BY_NAME = {s.name: s for s in _SETTLEMENTS}

_N_RURAL_AREAS = 190
_N_RURAL_CANDIDATES = 27
_RURAL_DENSITY_PER_KM2 = 48.0
_UPLAND_DENSITY_PER_KM2 = 24.0
_VILLAGE_FACTOR = 3.0

_MOTORWAYS = (
    ("Aldermouth", "Brackenford"),
    ("Aldermouth", "Cindervale"),
    ("Aldermouth", "Eskerby"),
)
_PRIMARIES = (("Aldermouth", "Duneholt"), ("Cindervale", "Duneholt"))

_HOSPITAL_NAMES = {
    "Aldermouth": (
        "Aldermouth General Hospital",
        "St Wendreda's Hospital",
        "Harbourside Infirmary",
        "Aldermouth Royal Hospital",
        "Northgate Hospital",
        "Quayside Medical Centre",
        "Saltmarsh Road Hospital",
        "Aldermouth University Hospital",
    ),
    "Brackenford": ("Brackenford District Hospital", "Brackenford Cottage Hospital"),
    "Cindervale": ("Cindervale Community Hospital",),
}
_VILLAGE_PREFIXES = (
    "Ash", "Birch", "Brook", "Cold", "Elder", "Fox", "Green", "Hare", "Holly", "Kettle",
    "Lark", "Marl", "Moss", "Oak", "Pike", "Rush", "Sedge", "Stone", "Thorn", "Wold",
)  # fmt: skip
_VILLAGE_SUFFIXES = (
    "by", "combe", "den", "field", "ford", "ham", "hithe", "ley", "mere", "stead", "thorpe", "wick",
)  # fmt: skip


def generate_demo(*, seed: int = SEED) -> DemoRegion:
    """Build the synthetic demo region in memory.

    Parameters
    ----------
    seed : int, default SEED
        Seed of numpy's random generator. The shipped files use :data:`SEED`.

    Returns
    -------
    DemoRegion
        ``areas`` (small-area polygons), ``hospitals`` and ``candidates``
        (points), ``graph`` (an osmnx-style ``MultiDiGraph``) and ``crs``, all in
        :data:`CRS`. The same seed always gives equal frames and graph.
    """
    rng_areas, rng_roads, rng_sites = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    seeds_xy, kinds, places = _area_seeds(rng_areas)
    villages = _pick_villages(seeds_xy, kinds)
    areas = _areas(rng_areas, seeds_xy, kinds, places, villages)
    graph = _road_network(rng_roads)
    hospitals = _hospitals(rng_sites)
    candidates = _candidates(rng_sites, seeds_xy[villages])
    return DemoRegion(
        areas=areas,
        hospitals=hospitals,
        candidates=candidates,
        graph=graph,
        crs=areas.crs,
    )


def write_demo(directory: str | Path | None = None, *, seed: int = SEED) -> dict[str, Path]:
    """Generate the demo region and write its data files.

    Parameters
    ----------
    directory : str or Path, optional
        Output folder; by default the package's own ``data/demo`` folder.
    seed : int, default SEED
        Seed passed to :func:`generate_demo`.

    Returns
    -------
    dict of str to Path
        ``{"region.gpkg": path, "roads.graphml.gz": path}``.
    """
    out = Path(__file__).resolve().parent / "demo" if directory is None else Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    region = generate_demo(seed=seed)

    gpkg = out / "region.gpkg"
    gpkg.unlink(missing_ok=True)
    # GDAL stamps GeoPackage tables with the current time unless told otherwise;
    # a fixed stamp makes the file byte-identical from run to run
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_TIMESTAMP})
    try:
        for layer in ("areas", "hospitals", "candidates"):
            frame = getattr(region, layer)
            frame.to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})

    roads = out / "roads.graphml.gz"
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "roads.graphml"
        ox.save_graphml(region.graph, plain)
        raw = plain.read_bytes()
    with (
        open(roads, "wb") as fh,
        gzip.GzipFile(filename="", mode="wb", fileobj=fh, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(raw)
    return {"region.gpkg": gpkg, "roads.graphml.gz": roads}


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: ``python -m accessplan.data.make_demo [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m accessplan.data.make_demo",
        description="Write the SYNTHETIC accessplan demo region (a fictional place).",
    )
    parser.add_argument("--out", default=None, help="output folder (default: data/demo)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    paths = write_demo(args.out, seed=args.seed)
    for name, path in paths.items():
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


# --------------------------------------------------------------------------- areas


def _in_upland(x_m: np.ndarray) -> np.ndarray:
    return np.asarray(x_m) >= UPLAND_X_M


def _area_seeds(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seed points of the small areas: dense in the city and towns, sparse in rural land."""
    xy, kinds, places = [], [], []
    for s in _SETTLEMENTS:
        pts = _spaced_points(
            s.n_areas,
            lambda n, s=s: _disk_points(rng, n, s),
            min_gap_m=0.35 * s.radius_m / math.sqrt(s.n_areas),
        )
        xy.append(pts)
        kinds += [s.kind] * len(pts)
        places += [s.name] * len(pts)

    def rural(n: int) -> np.ndarray:
        pts = rng.uniform((400, 400), (WIDTH_M - 400, HEIGHT_M - 400), size=(n, 2))
        keep = np.ones(n, dtype=bool)
        for s in _SETTLEMENTS:
            keep &= np.hypot(pts[:, 0] - s.x_m, pts[:, 1] - s.y_m) > s.radius_m + 700
        return pts[keep]

    pts = _spaced_points(_N_RURAL_AREAS, rural, min_gap_m=1_500)
    xy.append(pts)
    kinds += ["rural"] * len(pts)
    places += [""] * len(pts)
    return np.round(np.vstack(xy), 1), np.array(kinds), np.array(places)


def _disk_points(rng: np.random.Generator, n: int, s: _Settlement) -> np.ndarray:
    # radius ~ R * u**0.75: denser towards the centre
    r = s.radius_m * rng.random(n) ** 0.75
    theta = rng.uniform(0, 2 * math.pi, n)
    return np.column_stack([s.x_m + r * np.cos(theta), s.y_m + r * np.sin(theta)])


def _spaced_points(n: int, draw, *, min_gap_m: float) -> np.ndarray:
    """Draw ``n`` points with ``draw`` (dart throwing), keeping them ``min_gap_m`` apart."""
    chosen = np.empty((0, 2))
    while len(chosen) < n:
        for p in draw(4 * n):
            if len(chosen) == n:
                break
            if len(chosen) == 0 or np.min(np.hypot(*(chosen - p).T)) >= min_gap_m:
                chosen = np.vstack([chosen, p])
    return chosen


def _pick_villages(seeds_xy: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Indices of rural seeds chosen as village centres by farthest-point sampling."""
    rural = np.flatnonzero(kinds == "rural")
    pts = seeds_xy[rural]
    centres = np.array([[s.x_m, s.y_m] for s in _SETTLEMENTS])
    radii = np.array([s.radius_m for s in _SETTLEMENTS])
    # distance to the nearest settlement edge (or twice that to the region's edge),
    # then also to the nearest chosen village
    gap = np.min(np.hypot(*(pts[:, None, :] - centres[None]).transpose(2, 0, 1)) - radii, axis=1)
    edge = np.minimum.reduce([pts[:, 0], WIDTH_M - pts[:, 0], pts[:, 1], HEIGHT_M - pts[:, 1]])
    gap = np.minimum(gap, 2 * edge)
    picked: list[int] = []
    for _ in range(_N_RURAL_CANDIDATES):
        i = int(np.argmax(gap))
        picked.append(i)
        gap = np.minimum(gap, np.hypot(*(pts - pts[i]).T))
    return rural[np.array(picked)]


def _areas(rng, seeds_xy, kinds, places, villages) -> gpd.GeoDataFrame:
    region = shapely.box(0, 0, WIDTH_M, HEIGHT_M)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds_xy), extend_to=region, ordered=True)
    polys = shapely.intersection(np.asarray(cells.geoms), region)
    area_km2 = shapely.area(polys) / 1e6

    population = np.zeros(len(seeds_xy))
    for s in _SETTLEMENTS:
        sel = places == s.name
        r = np.hypot(seeds_xy[sel, 0] - s.x_m, seeds_xy[sel, 1] - s.y_m)
        weight = np.exp(-r / (0.5 * s.radius_m)) * rng.lognormal(0.0, 0.25, sel.sum())
        population[sel] = s.population * weight / weight.sum()
    rural = kinds == "rural"
    upland = _in_upland(seeds_xy[:, 0])
    density = np.where(upland, _UPLAND_DENSITY_PER_KM2, _RURAL_DENSITY_PER_KM2)
    population[rural] = (density * area_km2 * rng.lognormal(0.0, 0.35, len(seeds_xy)))[rural]
    population[villages] *= _VILLAGE_FACTOR
    population = np.round(population).astype(np.int64)

    share = np.select(
        [kinds == "city", kinds == "town", upland], [0.15, 0.20, 0.31], default=0.26
    ) + rng.normal(0.0, 0.02, len(seeds_xy))
    pop_65plus = np.round(population * np.clip(share, 0.05, 0.5)).astype(np.int64)

    y = seeds_xy[:, 1]
    district = np.select(
        [kinds == "city", upland, y >= _CITY.y_m],
        ["Aldermouth City", "Fellside", "Northreach"],
        default="Southmere",
    )
    polys = shapely.transform(polys, lambda c: c + _ORIGIN)
    return gpd.GeoDataFrame(
        {
            "area_id": [f"A{i:04d}" for i in range(1, len(polys) + 1)],
            "district": district.tolist(),
            "settlement": kinds.tolist(),
            "population": population,
            "pop_65plus": pop_65plus,
        },
        geometry=gpd.GeoSeries(polys, crs=CRS),
        crs=CRS,
    )


# --------------------------------------------------------------------------- roads


class _Roads:
    """Accumulates nodes (local metres) and two-way road segments."""

    def __init__(self) -> None:
        self.xy: list[tuple[float, float]] = []
        self.segments: list[tuple[int, int, str, float, int]] = []
        self.pairs: set[tuple[int, int]] = set()
        self.n_ways = 0

    def node(self, x: float, y: float) -> int:
        self.xy.append((round(float(x), 1), round(float(y), 1)))
        return len(self.xy) - 1

    def way(self, nodes: list[int], highway: str, speed_kph: float) -> None:
        self.n_ways += 1
        for u, v in itertools.pairwise(nodes):
            pair = (min(u, v), max(u, v))
            if u != v and pair not in self.pairs:
                self.pairs.add(pair)
                self.segments.append((u, v, highway, speed_kph, self.n_ways))

    def winding_way(
        self, rng, u: int, v: int, highway: str, speed_kph: float, *, step_m: float, wiggle_m: float
    ) -> None:
        """A road from ``u`` to ``v`` through intermediate nodes offset sideways by ~wiggle_m."""
        (x0, y0), (x1, y1) = self.xy[u], self.xy[v]
        length = math.hypot(x1 - x0, y1 - y0)
        k = max(1, round(length / step_m))
        nodes = [u]
        if k > 1:
            nx_, ny_ = -(y1 - y0) / length, (x1 - x0) / length
            offsets = np.clip(rng.normal(0.0, wiggle_m, k - 1), -2 * wiggle_m, 2 * wiggle_m)
            for t, off in zip(np.arange(1, k) / k, offsets, strict=True):
                x = np.clip(x0 + t * (x1 - x0) + off * nx_, 50.0, WIDTH_M - 50.0)
                y = np.clip(y0 + t * (y1 - y0) + off * ny_, 50.0, HEIGHT_M - 50.0)
                nodes.append(self.node(x, y))
        nodes.append(v)
        self.way(nodes, highway, speed_kph)


def _road_network(rng: np.random.Generator) -> nx.MultiDiGraph:
    roads = _Roads()
    grids = {s.name: _settlement_grid(rng, roads, s) for s in _SETTLEMENTS}
    rural_nodes = _rural_grid(rng, roads, grids)
    rural_tree = cKDTree(np.array([roads.xy[n] for n in rural_nodes]))

    def grid_node_near(name: str, x: float, y: float) -> int:
        ids, tree = grids[name]
        return ids[int(tree.query((x, y))[1])]

    def rural_node_near(x: float, y: float) -> int:
        return rural_nodes[int(rural_tree.query((x, y))[1])]

    def inter_town(a: _Settlement, b: _Settlement, step_m: float, bend: float) -> list[int]:
        """Nodes of a gently bent road from the edge of ``a`` to the edge of ``b``."""
        d = np.array([b.x_m - a.x_m, b.y_m - a.y_m])
        dist = float(np.hypot(*d))
        unit = d / dist
        start = np.array([a.x_m, a.y_m]) + unit * (a.radius_m + 300)
        end = np.array([b.x_m, b.y_m]) - unit * (b.radius_m + 300)
        span = float(np.hypot(*(end - start)))
        k = max(2, round(span / step_m))
        normal = np.array([-unit[1], unit[0]])
        sign = rng.choice([-1.0, 1.0])
        t = np.linspace(0.0, 1.0, k + 1)
        pts = (
            start
            + np.outer(t, end - start)
            + np.outer(sign * bend * span * np.sin(np.pi * t), normal)
        )
        return [roads.node(*p) for p in pts]

    for a, b in _MOTORWAYS:
        sa, sb = _BY_NAME[a], _BY_NAME[b]
        nodes = inter_town(sa, sb, 1_000.0, 0.06)
        roads.way(nodes, "motorway", _SPEED_KPH["motorway"])
        link = _SPEED_KPH["motorway_link"]
        for end, s in ((nodes[0], sa), (nodes[-1], sb)):
            roads.way([end, grid_node_near(s.name, *roads.xy[end])], "motorway_link", link)
        for n in nodes[6:-3:6]:  # a junction every ~6 km
            roads.way([n, rural_node_near(*roads.xy[n])], "motorway_link", link)

    for a, b in _PRIMARIES:
        sa, sb = _BY_NAME[a], _BY_NAME[b]
        nodes = inter_town(sa, sb, 800.0, 0.08)
        roads.way(nodes, "primary", _SPEED_KPH["primary"])
        for end, s in ((nodes[0], sa), (nodes[-1], sb)):
            roads.way([end, grid_node_near(s.name, *roads.xy[end])], "primary", 50.0)
        for n in nodes[4:-2:4]:
            roads.way([n, rural_node_near(*roads.xy[n])], "tertiary", _SPEED_KPH["tertiary"])

    _connect_components(roads)
    return _to_graph(roads)


def _settlement_grid(rng, roads: _Roads, s: _Settlement) -> tuple[list[int], cKDTree]:
    """A rotated, jittered street grid covering the settlement's disk."""
    spacing = 200.0 if s.kind == "city" else 180.0
    angle = rng.uniform(0, math.pi / 2)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    n = math.ceil(s.radius_m / spacing)
    ids: dict[tuple[int, int], int] = {}
    for i in range(-n, n + 1):
        for j in range(-n, n + 1):
            if math.hypot(i, j) * spacing <= s.radius_m:
                local = rot @ (np.array([i, j]) * spacing + rng.normal(0, 0.08 * spacing, 2))
                ids[i, j] = roads.node(s.x_m + local[0], s.y_m + local[1])
    main = (
        ("secondary", _SPEED_KPH["secondary"])
        if s.kind == "city"
        else ("tertiary", _TOWN_MAIN_STREET_KPH)
    )
    residential = ("residential", _SPEED_KPH["residential"])
    for line in range(-n, n + 1):
        for axis in (0, 1):
            cls = main if line % 5 == 0 else residential
            run: list[int] = []
            for k in range(-n, n + 2):
                key = (k, line) if axis == 0 else (line, k)
                # residential streets have a gap now and then; main streets do not
                gap = cls is residential and rng.random() < 0.06
                if key not in ids or gap:
                    if len(run) > 1:
                        roads.way(run, *cls)
                    run = []
                if key in ids:
                    run.append(ids[key])
    node_ids = list(ids.values())
    return node_ids, cKDTree(np.array([roads.xy[i] for i in node_ids]))


def _rural_grid(rng, roads: _Roads, grids) -> list[int]:
    """A sparse, jittered 2 km grid of country roads outside the settlements."""
    spacing = 2_000.0
    nx_, ny_ = int(WIDTH_M // spacing), int(HEIGHT_M // spacing)
    kept: dict[tuple[int, int], int] = {}
    inside: dict[tuple[int, int], _Settlement] = {}
    for i in range(nx_ + 1):
        for j in range(ny_ + 1):
            x, y = np.clip(
                np.array([i, j]) * spacing + rng.normal(0, 0.15 * spacing, 2),
                (150, 150),
                (WIDTH_M - 150, HEIGHT_M - 150),
            )
            home = next(
                (s for s in _SETTLEMENTS if math.hypot(x - s.x_m, y - s.y_m) < s.radius_m + 500),
                None,
            )
            if home is None:
                kept[i, j] = roads.node(x, y)
            else:
                inside[i, j] = home

    def road_class(i: int, j: int, horizontal: bool, upland: bool) -> str:
        if upland:
            return "unclassified"
        return "tertiary" if (j % 3 == 0 if horizontal else i % 4 == 0) else "unclassified"

    linked: set[tuple[int, str]] = set()
    for (i, j), u in kept.items():
        for di, dj in ((1, 0), (0, 1)):
            other = (i + di, j + dj)
            x0, _ = roads.xy[u]
            upland = x0 >= UPLAND_X_M
            cls = road_class(i, j, di == 1, upland)
            speed = (_UPLAND_SPEED_KPH if upland else _SPEED_KPH)[cls]
            wiggle = 300.0 if upland else 60.0
            if other in kept:
                if rng.random() < (0.3 if upland else 0.2):
                    continue  # no road here
                step = 500.0 if upland else 600.0
                roads.winding_way(rng, u, kept[other], cls, speed, step_m=step, wiggle_m=wiggle)
        # link rural nodes next to a settlement to its street grid
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            s = inside.get((i + di, j + dj))
            if s is not None and (u, s.name) not in linked:
                linked.add((u, s.name))
                ids, tree = grids[s.name]
                target = ids[int(tree.query(roads.xy[u])[1])]
                upland = roads.xy[u][0] >= UPLAND_X_M
                speed = (_UPLAND_SPEED_KPH if upland else _SPEED_KPH)["tertiary"]
                roads.winding_way(rng, u, target, "tertiary", speed, step_m=600, wiggle_m=60.0)
    return list(kept.values())


def _connect_components(roads: _Roads) -> None:
    """Join every island of the road graph to the rest by its shortest possible link."""
    while True:
        g = nx.Graph()
        g.add_nodes_from(range(len(roads.xy)))
        g.add_edges_from((u, v) for u, v, *_ in roads.segments)
        comps = sorted(nx.connected_components(g), key=len)
        if len(comps) == 1:
            return
        small = sorted(comps[0])
        rest = sorted(set(g) - comps[0])
        xy = np.array(roads.xy)
        dist, idx = cKDTree(xy[rest]).query(xy[small])
        k = int(np.argmin(dist))
        roads.way([small[k], rest[int(idx[k])]], "unclassified", _SPEED_KPH["unclassified"])


def _to_graph(roads: _Roads) -> nx.MultiDiGraph:
    xy = np.array(roads.xy) + _ORIGIN
    xy = np.round(xy, 1)
    graph = nx.MultiDiGraph(
        crs=CRS, name="Aldermouth demo region (SYNTHETIC, fictional)", simplified=False
    )
    degree = np.zeros(len(xy), dtype=np.int64)
    for u, v, *_ in roads.segments:
        degree[u] += 1
        degree[v] += 1
    for i, (x, y) in enumerate(xy):
        graph.add_node(_NODE_ID_BASE + i, y=float(y), x=float(x), street_count=int(degree[i]))
    for u, v, highway, speed_kph, way in roads.segments:
        length = round(float(math.hypot(*(xy[v] - xy[u]))), 3)
        common = {
            "osmid": _WAY_ID_BASE + way,
            "highway": highway,
            "oneway": False,
            "length": length,
            "speed_kph": float(speed_kph),
            "travel_time": length / (float(speed_kph) / 3.6),
        }
        graph.add_edge(_NODE_ID_BASE + u, _NODE_ID_BASE + v, key=0, reversed=False, **common)
        graph.add_edge(_NODE_ID_BASE + v, _NODE_ID_BASE + u, key=0, reversed=True, **common)
    return graph


# --------------------------------------------------------------------------- sites


def _hospitals(rng: np.random.Generator) -> gpd.GeoDataFrame:
    rows = []
    for s in _SETTLEMENTS:
        placed: list[np.ndarray] = []
        for k in range(s.n_hospitals):
            while True:
                r = (0.0 if k == 0 else rng.uniform(0.15, 0.6)) * s.radius_m
                r += rng.uniform(0, 300)
                theta = rng.uniform(0, 2 * math.pi)
                p = np.array([s.x_m + r * math.cos(theta), s.y_m + r * math.sin(theta)])
                if all(np.hypot(*(p - q)) > 1_500 for q in placed):
                    break
            placed.append(p)
            if s.kind == "city":
                beds = 850 if k == 0 else int(rng.integers(18, 46)) * 10
            else:
                beds = int(rng.integers(12, 31)) * 10
            icu = round(beds * rng.uniform(0.05, 0.09))
            rows.append(
                {
                    "name": _HOSPITAL_NAMES[s.name][k],
                    "place": s.name,
                    "beds": beds,
                    "icu_beds": icu,
                    "ventilators": icu + round(icu * rng.uniform(0.1, 0.5)),
                    "mean_stay_days": round(float(rng.uniform(4.5, 8.5)), 1),
                    "x": round(ORIGIN_X_M + p[0], 1),
                    "y": round(ORIGIN_Y_M + p[1], 1),
                }
            )
    return _site_frame(rows, "H")


def _candidates(rng: np.random.Generator, village_xy: np.ndarray) -> gpd.GeoDataFrame:
    rows = []
    for s in _SETTLEMENTS:
        for k in range(s.n_candidates):
            theta = 2 * math.pi * (k / max(s.n_candidates, 1)) + rng.uniform(-0.4, 0.4)
            r = s.radius_m * rng.uniform(0.2, 0.7)
            rows.append(
                {
                    "name": f"{s.name} site {'ABC'[k]}",
                    "place": s.name,
                    "settlement": s.kind,
                    "site_cost": _money(rng.uniform(25e6, 40e6), step=100_000),
                    "unit_cost": _money(rng.uniform(0.22e6, 0.32e6), step=1_000),
                    "max_units": int(rng.integers(15, 26)) * 10,
                    "min_units": 40,
                    "x": round(ORIGIN_X_M + s.x_m + r * math.cos(theta), 1),
                    "y": round(ORIGIN_Y_M + s.y_m + r * math.sin(theta), 1),
                }
            )
    used: set[str] = set()
    for x, y in village_xy:
        while True:
            name = str(rng.choice(_VILLAGE_PREFIXES)) + str(rng.choice(_VILLAGE_SUFFIXES))
            if name not in used:
                used.add(name)
                break
        rows.append(
            {
                "name": f"{name} village",
                "place": name,
                "settlement": "rural",
                "site_cost": _money(rng.uniform(12e6, 20e6), step=100_000),
                "unit_cost": _money(rng.uniform(0.18e6, 0.26e6), step=1_000),
                "max_units": int(rng.integers(6, 13)) * 10,
                "min_units": 20,
                "x": round(ORIGIN_X_M + x, 1),
                "y": round(ORIGIN_Y_M + y, 1),
            }
        )
    return _site_frame(rows, "C")


def _site_frame(rows: list[dict], prefix: str) -> gpd.GeoDataFrame:
    x = np.array([r.pop("x") for r in rows])
    y = np.array([r.pop("y") for r in rows])
    frame = gpd.GeoDataFrame(rows, geometry=gpd.points_from_xy(x, y, crs=CRS), crs=CRS)
    frame.insert(0, "site_id", [f"{prefix}{i:02d}" for i in range(1, len(rows) + 1)])
    return frame


def _money(amount: float, *, step: int) -> float:
    """``amount`` rounded to a whole multiple of ``step`` (an exact float)."""
    return float(round(amount / step) * step)


if __name__ == "__main__":
    raise SystemExit(main())
