"""Synthetic regions at province and country scale, for ``benchmarks/scale_plan.py``.

A region is a square of ``side_km`` x ``side_km`` in WGS 84 / UTM zone 32N
(EPSG:32632, origin at easting 200 km, northing 4,700 km), built from a seed
so that the same options always give the same files:

* **Areas**: the centres of 1 km cells with population > 0 (``areas.gpkg``,
  points). ``side_km = ceil(sqrt(areas / populated_share))``; the
  ``side_km**2 - areas`` empty cells are the lowest of a smoothed random field
  (hills, lakes), never town cells. Total population ``areas x
  people_per_area``; a share ``town_share`` lives in towns whose sizes are
  log-normal (sigma 1.5: a few large towns, many small ones), spread over the
  cells within ``r = sqrt(P / (pi x 2,500 per km2))`` of the town centre with
  weight ``1.5 - d / r``; the rest is rural, log-normal per cell. Need weight
  ``pop_65plus`` (12-30 % of the population, older in the countryside);
  districts ``D<row>-<col>`` are 25 km squares.
* **Roads** (``roads.osm.pbf``, optionally ``roads.graphml``): a rural
  lattice of ``nb x nb`` blocks of ``s_r = side / nb`` metres with
  ``nb = round(sqrt(rural_node_share x nodes))``, whose lines carry speed
  classes by spacing (motorway every ~60 km as a pair of oneway carriageways
  25 m either side of the line, joined to the lattice only at interchanges
  every ~10 km by ``motorway_link``; trunk ~30 km, primary ~15 km, secondary
  ~5 km, tertiary ~2.5 km, unclassified between); blocks within a town's
  radius get a dense residential grid of spacing ``s_t = s_r / k`` with
  ``k = round(sqrt((nodes - (nb + 1)**2) / town_blocks + 1))``, so the node
  count lands near ``nodes``. Only intersections and dead ends are nodes (no
  node osmnx would simplify away), so the graph accessplan builds has as many
  nodes as the file. Ways run along one line and class for at most 12
  edges; part of them carry ``maxspeed`` (some in mph) and the rest get
  osmnx's per-class imputation.
* **Facilities** (``facilities.gpkg``): ``facilities`` points, 80 % hospitals
  in towns (count per town proportional to its population, beds log-normal
  around 120), 20 % rural clinics (beds around 20); ``ventilators`` 2-8 % of
  beds.
* **Candidates** (``candidates.gpkg``): ``candidates`` points in populated
  cells drawn with weight ``sqrt(population)``; ``site_cost`` 4-20 M,
  ``unit_cost`` 150-300 k, ``max_units`` 20-150, ``min_units`` 10.
* ``scenario.toml``: E2SFCA (30 min, step decay), coverage objective under a
  budget with CBC, ventilator sizing, maps and the report.

Run from the repository root::

    .venv/bin/python benchmarks/scale_region.py --areas 10k --nodes 50k --workdir /tmp/scale

Memory and time: about 10 s and 1 GB for 500k areas and 1M nodes (numpy
arrays, one Python object per way while writing).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
from scipy import ndimage

__all__ = [
    "RegionSpec",
    "RegionTotals",
    "RoadNetwork",
    "build_region",
    "parse_count",
    "region_people",
    "road_network",
    "scenario_text",
    "write_graphml",
    "write_pbf",
]

CRS = "EPSG:32632"
ORIGIN_X, ORIGIN_Y = 200_000.0, 4_700_000.0
TOWN_DENSITY_PER_KM2 = 2_500.0
DISTRICT_KM = 25
CARRIAGEWAY_OFFSET_M = 25.0
MAX_WAY_EDGES = 12
#: (class, spacing of its lines in km); the lines of a class sit at index % period == offset
ROAD_SPACING_KM = (
    ("motorway", 60.0),
    ("trunk", 30.0),
    ("primary", 15.0),
    ("secondary", 5.0),
    ("tertiary", 2.5),
)
INTERCHANGE_KM = 10.0
#: share of ways with a maxspeed tag, and the values drawn for them
MAXSPEED = {
    "motorway": (0.9, ("130", "110", "120")),
    "motorway_link": (0.3, ("60", "80")),
    "trunk": (0.8, ("100", "90")),
    "primary": (0.7, ("80", "70", "90")),
    "secondary": (0.5, ("70", "60")),
    "tertiary": (0.4, ("60", "50")),
    "unclassified": (0.2, ("50", "40")),
    "residential": (0.3, ("30", "50", "20 mph")),
}
CLASSES = (*MAXSPEED, "unclassified_spur")


def parse_count(text: str | int) -> int:
    """``"10k"`` -> 10,000, ``"1M"`` -> 1,000,000, ``"2500"`` -> 2,500."""
    if isinstance(text, int):
        return text
    s = str(text).strip().lower().replace(",", "").replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(s[-1:], 1)
    number = s[:-1] if scale > 1 else s
    try:
        value = float(number) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (e.g. 10k, 200k, 1M)") from None
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"not a positive whole count: {text!r}")
    return int(value)


@dataclass(frozen=True)
class RegionSpec:
    """What to build (sizes, seed and the shape parameters in the module docstring)."""

    areas: int
    nodes: int
    facilities: int = 2_000
    candidates: int = 1_000
    seed: int = 13
    people_per_area: float = 100.0
    populated_share: float = 0.85
    town_share: float = 0.7
    rural_node_share: float = 0.35
    budget: float = 250e6

    @property
    def side_km(self) -> int:
        return math.ceil(math.sqrt(self.areas / self.populated_share))

    @property
    def name(self) -> str:
        return f"a{_short(self.areas)}-n{_short(self.nodes)}-s{self.seed}"


def _short(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


@dataclass(frozen=True)
class RegionTotals:
    """What was written, for checks and the benchmark's table."""

    areas: int
    population: float
    need: float
    towns: int
    facilities: int
    beds: float
    ventilators: float
    candidates: int
    nodes: int
    ways: int
    directed_edges: int
    side_km: int
    rural_spacing_m: float
    town_spacing_m: float
    build_seconds: float


# --------------------------------------------------------------------------
# People: towns, cells, facilities, candidates
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Towns:
    x_km: np.ndarray
    y_km: np.ndarray
    population: np.ndarray
    radius_km: np.ndarray


def _towns(spec: RegionSpec, rng: np.random.Generator) -> Towns:
    side = spec.side_km
    n = max(4, round(spec.areas / 120))
    sizes = rng.lognormal(0.0, 1.5, n)
    total = spec.areas * spec.people_per_area * spec.town_share
    population = sizes / sizes.sum() * total
    x = rng.uniform(0.05 * side, 0.95 * side, n)
    y = rng.uniform(0.05 * side, 0.95 * side, n)
    radius = np.maximum(0.5, np.sqrt(population / (math.pi * TOWN_DENSITY_PER_KM2)))
    return Towns(x, y, population, radius)


def region_people(spec: RegionSpec) -> tuple[gpd.GeoDataFrame, Towns]:
    """The populated cells (points) and the towns of ``spec``."""
    rng = np.random.default_rng([spec.seed, 1])
    side = spec.side_km
    towns = _towns(spec, rng)
    pop = np.zeros((side, side))
    town_cell = np.zeros((side, side), dtype=bool)
    for tx, ty, tp, r in zip(
        towns.x_km, towns.y_km, towns.population, towns.radius_km, strict=True
    ):
        c0, c1 = max(0, int(tx - r)), min(side - 1, int(tx + r))
        r0, r1 = max(0, int(ty - r)), min(side - 1, int(ty + r))
        cols, rows = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
        d = np.hypot(cols + 0.5 - tx, rows + 0.5 - ty)
        inside = (d <= r) | ((cols == int(tx)) & (rows == int(ty)))
        w = np.where(inside, 1.5 - np.minimum(d, r) / r, 0.0)
        pop[rows, cols] += tp * w / w.sum()
        town_cell[rows[inside], cols[inside]] = True
    field = ndimage.gaussian_filter(rng.normal(size=(side, side)), sigma=6, mode="wrap")
    populated = town_cell.copy()
    n_rural = spec.areas - int(town_cell.sum())
    if n_rural < 0:
        raise ValueError(f"{spec}: towns cover more cells than there are areas")
    rural_order = np.flatnonzero(~town_cell.ravel())
    score = field.ravel()[rural_order]
    chosen = rural_order[np.argsort(-score, kind="stable")[:n_rural]]
    populated.ravel()[chosen] = True
    rural_weight = rng.lognormal(0.0, 0.8, (side, side)) * (1.0 + 0.5 * np.tanh(field))
    rural_weight[~populated] = 0.0
    rural_total = spec.areas * spec.people_per_area * (1.0 - spec.town_share)
    pop += rural_weight / rural_weight.sum() * rural_total
    rows, cols = np.nonzero(populated)
    population = np.maximum(1.0, np.round(pop[rows, cols]))
    older = np.where(
        town_cell[rows, cols], 0.16, 0.2 + 0.05 * np.tanh(field[rows, cols])
    ) + rng.normal(0.0, 0.02, len(rows))
    need = np.round(population * np.clip(older, 0.12, 0.30))
    ids = [f"r{r:04d}c{c:04d}" for r, c in zip(rows, cols, strict=True)]
    districts = [
        f"D{r:02d}-{c:02d}" for r, c in zip(rows // DISTRICT_KM, cols // DISTRICT_KM, strict=True)
    ]
    x = ORIGIN_X + (cols + 0.5) * 1000.0
    y = ORIGIN_Y + (rows + 0.5) * 1000.0
    areas = gpd.GeoDataFrame(
        {
            "cell_id": ids,
            "population": population,
            "pop_65plus": need,
            "district": districts,
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )
    return areas, towns


def _facilities(spec: RegionSpec, towns: Towns, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rng = np.random.default_rng([spec.seed, 2])
    n_town = round(0.8 * spec.facilities)
    per_town = rng.multinomial(n_town, towns.population / towns.population.sum())
    town = np.repeat(np.arange(len(per_town)), per_town)
    angle = rng.uniform(0, 2 * math.pi, n_town)
    dist = towns.radius_km[town] * 0.8 * np.sqrt(rng.uniform(0, 1, n_town))
    tx = towns.x_km[town] + dist * np.cos(angle)
    ty = towns.y_km[town] + dist * np.sin(angle)
    n_rural = spec.facilities - n_town
    weights = areas["population"].to_numpy()
    cells = rng.choice(
        len(areas), size=n_rural, replace=n_rural > len(areas), p=weights / weights.sum()
    )
    rx = (areas.geometry.x.to_numpy()[cells] - ORIGIN_X) / 1000 + rng.uniform(-0.4, 0.4, n_rural)
    ry = (areas.geometry.y.to_numpy()[cells] - ORIGIN_Y) / 1000 + rng.uniform(-0.4, 0.4, n_rural)
    side = spec.side_km
    x_km = np.clip(np.concatenate([tx, rx]), 0.01, side - 0.01)
    y_km = np.clip(np.concatenate([ty, ry]), 0.01, side - 0.01)
    beds = np.concatenate(
        [rng.lognormal(math.log(120), 0.7, n_town), rng.lognormal(math.log(20), 0.5, n_rural)]
    )
    beds = np.maximum(5.0, np.round(beds))
    ventilators = np.round(beds * rng.uniform(0.02, 0.08, spec.facilities))
    names = [f"Town {t + 1} hospital" for t in town] + [
        f"Rural clinic {i + 1}" for i in range(n_rural)
    ]
    return gpd.GeoDataFrame(
        {
            "hospital_id": [f"H{i + 1:05d}" for i in range(spec.facilities)],
            "name": names,
            "beds": beds,
            "ventilators": ventilators,
        },
        geometry=gpd.points_from_xy(ORIGIN_X + x_km * 1000, ORIGIN_Y + y_km * 1000),
        crs=CRS,
    )


def _candidates(spec: RegionSpec, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rng = np.random.default_rng([spec.seed, 3])
    n = spec.candidates
    weights = np.sqrt(areas["population"].to_numpy())
    cells = rng.choice(len(areas), size=n, replace=n > len(areas), p=weights / weights.sum())
    x = areas.geometry.x.to_numpy()[cells] + rng.uniform(-400, 400, n)
    y = areas.geometry.y.to_numpy()[cells] + rng.uniform(-400, 400, n)
    return gpd.GeoDataFrame(
        {
            "candidate_id": [f"N{i + 1:05d}" for i in range(n)],
            "site_cost": np.round(rng.uniform(4e6, 20e6, n), -5),
            "unit_cost": np.round(rng.uniform(1.5e5, 3e5, n), -3),
            "max_units": rng.integers(20, 151, n).astype(float),
            "min_units": np.full(n, 10.0),
        },
        geometry=gpd.points_from_xy(x, y),
        crs=CRS,
    )


# --------------------------------------------------------------------------
# Roads
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadNetwork:
    """The road network as arrays: nodes, and ways as runs of node positions.

    ``way_nodes[way_start[w]:way_start[w + 1]]`` are the node positions of way
    ``w`` in order; ``way_class`` indexes :data:`CLASSES`; ``way_oneway`` marks
    the motorway carriageways; ``way_maxspeed`` is "" when the way has no tag.
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_start: np.ndarray
    way_nodes: np.ndarray
    way_class: np.ndarray
    way_oneway: np.ndarray
    way_maxspeed: np.ndarray
    rural_spacing_m: float
    town_spacing_m: float

    @property
    def n_ways(self) -> int:
        return len(self.way_class)

    def directed_edges(self) -> int:
        segments = np.diff(self.way_start) - 1
        return int((segments * np.where(self.way_oneway, 1, 2)).sum())


def _line_classes(nb: int, block_m: float) -> np.ndarray:
    """Class index of each rural line 0..nb (motorways never on the border lines)."""
    out = np.full(nb + 1, CLASSES.index("unclassified"))
    index = np.arange(nb + 1)
    for name, spacing_km in reversed(ROAD_SPACING_KM):
        period = max(1, round(spacing_km * 1000 / block_m))
        offset = period // 2 if name in ("motorway", "trunk") else 0
        out[index % period == offset] = CLASSES.index(name)
    motorway = CLASSES.index("motorway")
    for end in (0, nb):
        if out[end] == motorway:
            out[end] = CLASSES.index("secondary")
    return out


def _town_blocks(towns: Towns, nb: int, block_m: float) -> np.ndarray:
    """Boolean (nb, nb) [row, col]: blocks whose centre lies within a town's radius."""
    town = np.zeros((nb, nb), dtype=bool)
    block_km = block_m / 1000
    for tx, ty, r in zip(towns.x_km, towns.y_km, towns.radius_km, strict=True):
        c0, c1 = max(0, int((tx - r) / block_km)), min(nb - 1, int((tx + r) / block_km))
        r0, r1 = max(0, int((ty - r) / block_km)), min(nb - 1, int((ty + r) / block_km))
        cols, rows = np.meshgrid(np.arange(c0, c1 + 1), np.arange(r0, r1 + 1))
        d = np.hypot((cols + 0.5) * block_km - tx, (rows + 0.5) * block_km - ty)
        town[rows[d <= r], cols[d <= r]] = True
        town[min(nb - 1, int(ty / block_km)), min(nb - 1, int(tx / block_km))] = True
    return town


def _lattice_edges(key, k, W, regular, town):
    """Edges between consecutive lattice nodes along rows (columns: pass transposed keys).

    ``key`` = j * (W + 1) + i of the nodes, sorted; an edge joins consecutive
    nodes of a row when the row is a regular rural line (``regular[j // k]``)
    or, for a town row, when the midpoint lies in a town block. Returns the
    positions of both ends and whether the row is a rural line.
    """
    i, j = key % (W + 1), key // (W + 1)
    a = np.flatnonzero(j[1:] == j[:-1])
    b = a + 1
    jr = j[a]
    rural = jr % k == 0
    nb = len(regular) - 1
    present = np.where(
        rural,
        regular[np.minimum(jr // k, nb)],
        town[np.minimum(jr // k, nb - 1), np.minimum((i[a] + i[b]) // 2 // k, nb - 1)],
    )
    return a[present], b[present], rural[present]


def _runs(ea, eb, line, max_edges):
    """Split edges sorted along their lines into ways: (starts, flat nodes, way lengths)."""
    new = np.ones(len(ea), dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (ea[1:] != eb[:-1])
    run = np.cumsum(new) - 1
    pos = np.arange(len(ea)) - np.flatnonzero(new)[run]
    new |= pos % max_edges == 0
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], len(ea))
    way = np.cumsum(new) - 1
    nodes = np.empty(len(ea) + len(starts), dtype=np.int64)
    nodes[np.arange(len(ea)) + way] = ea  # each way: its edges' tails, then the last head
    nodes[ends + np.arange(len(starts))] = eb[ends - 1]
    return starts, nodes, ends - starts + 1


def road_network(spec: RegionSpec, towns: Towns) -> RoadNetwork:
    """The road network of ``spec`` (see the module docstring)."""
    rng = np.random.default_rng([spec.seed, 4])
    side_m = spec.side_km * 1000.0
    nb = max(4, round(math.sqrt(spec.rural_node_share * spec.nodes)))
    block_m = side_m / nb
    town = _town_blocks(towns, nb, block_m)
    k = max(1, round(math.sqrt(max(0.0, spec.nodes - (nb + 1) ** 2) / int(town.sum()) + 1)))
    W = nb * k
    s_t = block_m / k
    line_class = _line_classes(nb, block_m)
    motorway = CLASSES.index("motorway")
    regular = line_class != motorway  # rows and columns share the class pattern
    period = max(1, round(INTERCHANGE_KM * 1000 / block_m))
    lines = np.arange(nb + 1)
    interchange = regular & ((lines % period == 0) | (lines == 0) | (lines == nb))

    # candidate lattice nodes: rural crossings, interchanges, every point of a town block
    rr, cc = np.meshgrid(lines, lines, indexing="ij")
    crossing = (regular[rr] & regular[cc]) | (~regular[rr] & interchange[cc])
    crossing |= ~regular[cc] & interchange[rr]
    keys = [(rr[crossing] * k) * (W + 1) + cc[crossing] * k]
    trow, tcol = np.nonzero(town)
    off = np.arange(k + 1)
    for s in range(0, len(trow), 2000):
        br, bc = trow[s : s + 2000], tcol[s : s + 2000]
        jj = np.broadcast_to((br[:, None] * k + off)[:, :, None], (len(br), k + 1, k + 1))
        ii = np.broadcast_to((bc[:, None] * k + off)[:, None, :], (len(bc), k + 1, k + 1))
        keys.append((jj * (W + 1) + ii).ravel())
    key = np.unique(np.concatenate(keys))

    def edges(key):
        a, b, rural_h = _lattice_edges(key, k, W, regular, town)
        i, j = key % (W + 1), key // (W + 1)
        order = np.argsort(i * (W + 1) + j, kind="stable")  # by column, then row
        ta, tb, rural_v = _lattice_edges((i * (W + 1) + j)[order], k, W, regular, town.T)
        return a, b, rural_h, order[ta], order[tb], rural_v

    def linked(key):  # interchange nodes: their motorway links are edges too
        i, j = key % (W + 1), key // (W + 1)
        on_lines = (i % k == 0) & (j % k == 0)
        ri, rj = np.minimum(i // k, nb), np.minimum(j // k, nb)
        return on_lines & ((~regular[rj] & interchange[ri]) | (~regular[ri] & interchange[rj]))

    # drop nodes osmnx would simplify away (two lattice neighbours, both on one line)
    # and nodes without any edge; one pass leaves none, the second checks it
    for _ in range(3):
        a, b, _, va, vb, _ = edges(key)
        hdeg = np.bincount(a, minlength=len(key)) + np.bincount(b, minlength=len(key))
        vdeg = np.bincount(va, minlength=len(key)) + np.bincount(vb, minlength=len(key))
        through = ((hdeg == 2) & (vdeg == 0)) | ((hdeg == 0) & (vdeg == 2))
        drop = (through | (hdeg + vdeg == 0)) & ~linked(key)
        if not drop.any():
            break
        key = key[~drop]
    a, b, rural_h, va, vb, rural_v = edges(key)
    i, j = key % (W + 1), key // (W + 1)
    x = ORIGIN_X + i * s_t
    y = ORIGIN_Y + j * s_t
    n_lattice = len(key)

    # ways along the lattice: runs of consecutive edges on one line, <= MAX_WAY_EDGES each
    flat: list[np.ndarray] = []
    sizes: list[np.ndarray] = []
    classes: list[np.ndarray] = []
    for ea, eb, rural, line in ((a, b, rural_h, j[a]), (va, vb, rural_v, i[va])):
        starts, nodes, lengths = _runs(ea, eb, line, MAX_WAY_EDGES)
        flat.append(nodes)
        sizes.append(lengths)
        classes.append(
            np.where(
                rural[starts],
                line_class[np.minimum(line[starts] // k, nb)],
                CLASSES.index("residential"),
            )
        )
    n_lattice_ways = sum(len(c) for c in classes)

    # motorways: two oneway carriageways per motorway line, joined at interchanges
    extra_x: list[float] = []
    extra_y: list[float] = []
    small: list[tuple[list[int], int, bool]] = []  # (nodes, class, oneway)
    index_of_key = pd.Index(key)
    stops = np.flatnonzero(interchange)
    for line in np.flatnonzero(~regular):
        for horizontal in (True, False):
            carriageways = []
            for sign in (-1.0, 1.0):
                ids = []
                for c in stops:
                    along = c * k * s_t
                    across = line * k * s_t + sign * CARRIAGEWAY_OFFSET_M
                    px, py = (along, across) if horizontal else (across, along)
                    ids.append(n_lattice + len(extra_x))
                    extra_x.append(ORIGIN_X + px)
                    extra_y.append(ORIGIN_Y + py)
                carriageways.append(ids)
            for run in (carriageways[0], carriageways[1][::-1]):
                for s in range(0, len(run) - 1, MAX_WAY_EDGES):
                    small.append((run[s : s + MAX_WAY_EDGES + 1], motorway, True))
            for m, c in enumerate(stops):
                jj, ii = (line * k, c * k) if horizontal else (c * k, line * k)
                node = index_of_key.get_loc(jj * (W + 1) + ii)
                for ids in carriageways:
                    small.append(([node, ids[m]], CLASSES.index("motorway_link"), False))

    # corner spurs: a lattice corner would have two neighbours only
    for ci, cj in ((0, 0), (W, 0), (0, W), (W, W)):
        if cj * (W + 1) + ci in index_of_key:
            node = index_of_key.get_loc(cj * (W + 1) + ci)
            small.append(
                ([node, n_lattice + len(extra_x)], CLASSES.index("unclassified_spur"), False)
            )
            extra_x.append(x[node] + (-150.0 if ci == 0 else 150.0))
            extra_y.append(y[node] + (-150.0 if cj == 0 else 150.0))

    node_ids = np.concatenate(
        [key.astype(np.int64) + 1, (W + 1) ** 2 + 1 + np.arange(len(extra_x), dtype=np.int64)]
    )
    x = np.concatenate([x, np.array(extra_x)])
    y = np.concatenate([y, np.array(extra_y)])
    lon, lat = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True).transform(x, y)
    # OSM PBF stores 1e-7 degrees: the GraphML gets the same coordinates
    lon, lat = np.round(lon, 7), np.round(lat, 7)
    flat.extend(np.array(nodes, dtype=np.int64) for nodes, _, _ in small)
    sizes.append(np.array([len(nodes) for nodes, _, _ in small], dtype=np.int64))
    classes.append(np.array([c for _, c, _ in small], dtype=np.int64))
    way_class = np.concatenate(classes).astype(np.int16)
    way_oneway = np.concatenate(
        [np.zeros(n_lattice_ways, dtype=bool), np.array([o for *_, o in small], dtype=bool)]
    )
    maxspeed = np.full(len(way_class), "", dtype=object)
    for name, (share, values) in MAXSPEED.items():
        members = np.flatnonzero(way_class == CLASSES.index(name))
        tagged = members[rng.uniform(size=len(members)) < share]
        maxspeed[tagged] = rng.choice(np.array(values, dtype=object), size=len(tagged))
    return RoadNetwork(
        node_ids=node_ids,
        x=x,
        y=y,
        lon=np.asarray(lon),
        lat=np.asarray(lat),
        way_start=np.concatenate([[0], np.cumsum(np.concatenate(sizes))]),
        way_nodes=np.concatenate(flat),
        way_class=way_class,
        way_oneway=way_oneway,
        way_maxspeed=maxspeed,
        rural_spacing_m=block_m,
        town_spacing_m=s_t,
    )


def _highway(code: int) -> str:
    name = CLASSES[code]
    return "unclassified" if name == "unclassified_spur" else name


def write_pbf(net: RoadNetwork, path: Path) -> None:
    """Write the network as OSM PBF (nodes sorted by id, then ways) with pyosmium."""
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    node = osmium.osm.mutable.Node
    way = osmium.osm.mutable.Way
    with osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf")) as writer:
        order = np.argsort(net.node_ids)
        ids, lon, lat = (
            net.node_ids[order].tolist(),
            net.lon[order].tolist(),
            net.lat[order].tolist(),
        )
        for nid, x, y in zip(ids, lon, lat, strict=True):
            writer.add_node(node(id=nid, location=(x, y)))
        node_ids = net.node_ids
        starts = net.way_start.tolist()
        for w in range(net.n_ways):
            tags = {"highway": _highway(int(net.way_class[w]))}
            if net.way_oneway[w]:
                tags["oneway"] = "yes"
            if net.way_maxspeed[w]:
                tags["maxspeed"] = net.way_maxspeed[w]
            refs = node_ids[net.way_nodes[starts[w] : starts[w + 1]]].tolist()
            writer.add_way(way(id=w + 1, nodes=refs, tags=tags))
    tmp.replace(path)


def _great_circle_m(lat1, lon1, lat2, lon2):
    """Haversine distance in metres on a sphere of radius 6,371,009 m (osmnx's)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return 2 * 6_371_009 * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def write_graphml(net: RoadNetwork, path: Path) -> None:
    """Write the same network as an unsimplified-equivalent osmnx GraphML (EPSG:4326).

    One edge per way segment and direction (``oneway``/``reversed`` as osmnx
    writes them), ``length`` in metres (great circle), ``highway`` and
    ``maxspeed``, and no travel times: accessplan imputes speeds as for the PBF.
    """
    tmp = path.with_name(path.name + ".part")
    keys = (
        ("d0", "graph", "crs"),
        ("d1", "graph", "simplified"),
        ("d2", "node", "y"),
        ("d3", "node", "x"),
        ("d4", "node", "street_count"),
        ("d5", "edge", "osmid"),
        ("d6", "edge", "highway"),
        ("d7", "edge", "maxspeed"),
        ("d8", "edge", "oneway"),
        ("d9", "edge", "reversed"),
        ("d10", "edge", "length"),
    )
    seg_way = np.repeat(np.arange(net.n_ways), np.diff(net.way_start))
    last = np.zeros(len(net.way_nodes), dtype=bool)
    last[net.way_start[1:] - 1] = True
    tails = net.way_nodes[~last]
    heads = net.way_nodes[np.flatnonzero(~last) + 1]
    seg_way = seg_way[~last]
    length = _great_circle_m(net.lat[tails], net.lon[tails], net.lat[heads], net.lon[heads])
    both = ~net.way_oneway[seg_way]
    u = np.concatenate([tails, heads[both]])
    v = np.concatenate([heads, tails[both]])
    w = np.concatenate([seg_way, seg_way[both]])
    rev = np.concatenate([np.zeros(len(tails), dtype=bool), np.ones(int(both.sum()), dtype=bool)])
    length = np.concatenate([length, length[both]])
    neighbours = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v)}).drop_duplicates()
    street_count = np.bincount(neighbours["a"], minlength=len(net.node_ids)) + np.bincount(
        neighbours["b"], minlength=len(net.node_ids)
    )
    order = np.lexsort((v, u))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='utf-8'?>\n")
        f.write('<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
        for kid, kind, name in keys:
            f.write(f'  <key id="{kid}" for="{kind}" attr.name="{name}" attr.type="string" />\n')
        f.write('  <graph edgedefault="directed">\n')
        f.write('    <data key="d0">epsg:4326</data>\n    <data key="d1">True</data>\n')
        ids = net.node_ids.tolist()
        for n, (lon, lat, sc) in enumerate(
            zip(net.lon.tolist(), net.lat.tolist(), street_count.tolist(), strict=True)
        ):
            f.write(
                f'    <node id="{ids[n]}"><data key="d2">{lat!r}</data>'
                f'<data key="d3">{lon!r}</data><data key="d4">{sc}</data></node>\n'
            )
        for e in order.tolist():
            way = int(w[e])
            code = int(net.way_class[way])
            speed = net.way_maxspeed[way]
            f.write(
                f'    <edge source="{ids[u[e]]}" target="{ids[v[e]]}" id="0">'
                f'<data key="d5">{way + 1}</data><data key="d6">{_highway(code)}</data>'
                + (f'<data key="d7">{escape(speed)}</data>' if speed else "")
                + f'<data key="d8">{bool(net.way_oneway[way])}</data>'
                f'<data key="d9">{bool(rev[e])}</data>'
                f'<data key="d10">{float(length[e])!r}</data></edge>\n'
            )
        f.write("  </graph>\n</graphml>\n")
    tmp.replace(path)


# --------------------------------------------------------------------------
# Scenario and the whole region
# --------------------------------------------------------------------------


def scenario_text(spec: RegionSpec, *, network: str = "roads.osm.pbf") -> str:
    """The scenario of a region: access, coverage plan, ventilators, maps, report."""
    return f"""# Synthetic region for benchmarks/scale_plan.py (written by scale_region.py)
# {json.dumps(asdict(spec))}

[project]
name = "Synthetic region {spec.name}: {spec.areas:,} areas, about {spec.nodes:,} road nodes"
currency = "EUR"

[areas]
path = "areas.gpkg"
id = "cell_id"
population = "population"
need = "pop_65plus"
group = "district"

[facilities]
path = "facilities.gpkg"
id = "hospital_id"
capacity = "beds"
capacity_label = "beds"
ventilators = "ventilators"
name = "name"

[candidates]
path = "candidates.gpkg"
id = "candidate_id"

[network]
path = "{network}"
network_type = "drive"

[access]
method = "e2sfca"
catchment_minutes = 30
decay = {{ type = "step", steps = {{ "10" = 1.0, "20" = 0.68, "30" = 0.22 }} }}

[location]
objective = "coverage"
budget = {spec.budget:g}
solver = "cbc"
time_limit_s = 300

[ventilators]
patients_per_100k_day = 0.8
mean_stay_days = 9
target_wait_hours = 7

[maps]
access_per = 1000

[output]
dir = "out"
"""


def _write_layer(frame: gpd.GeoDataFrame, path: Path) -> None:
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    tmp.unlink(missing_ok=True)
    frame.to_file(tmp, engine="pyogrio", driver="GPKG")
    tmp.replace(path)


def build_region(spec: RegionSpec, folder: str | Path, *, graphml: bool = False) -> RegionTotals:
    """Write ``areas.gpkg``, ``facilities.gpkg``, ``candidates.gpkg``, ``roads.osm.pbf``
    (and ``roads.graphml``), ``scenario.toml`` (and ``scenario_graphml.toml``) and
    ``region.json`` (the spec and totals) into ``folder``."""
    start = time.perf_counter()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    areas, towns = region_people(spec)
    facilities = _facilities(spec, towns, areas)
    candidates = _candidates(spec, areas)
    net = road_network(spec, towns)
    _write_layer(areas, folder / "areas.gpkg")
    _write_layer(facilities, folder / "facilities.gpkg")
    _write_layer(candidates, folder / "candidates.gpkg")
    write_pbf(net, folder / "roads.osm.pbf")
    (folder / "scenario.toml").write_text(scenario_text(spec), encoding="utf-8")
    if graphml:
        write_graphml(net, folder / "roads.graphml")
        (folder / "scenario_graphml.toml").write_text(
            scenario_text(spec, network="roads.graphml"), encoding="utf-8"
        )
    totals = RegionTotals(
        areas=len(areas),
        population=float(areas["population"].sum()),
        need=float(areas["pop_65plus"].sum()),
        towns=len(towns.population),
        facilities=len(facilities),
        beds=float(facilities["beds"].sum()),
        ventilators=float(facilities["ventilators"].sum()),
        candidates=len(candidates),
        nodes=len(net.node_ids),
        ways=net.n_ways,
        directed_edges=net.directed_edges(),
        side_km=spec.side_km,
        rural_spacing_m=round(net.rural_spacing_m, 1),
        town_spacing_m=round(net.town_spacing_m, 1),
        build_seconds=round(time.perf_counter() - start, 2),
    )
    record = {"spec": asdict(spec), "totals": asdict(totals), "graphml": graphml}
    (folder / "region.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=parse_count, default=parse_count("10k"))
    parser.add_argument("--nodes", type=parse_count, default=parse_count("50k"))
    parser.add_argument("--facilities", type=parse_count, default=2_000)
    parser.add_argument("--candidates", type=parse_count, default=1_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--graphml", action="store_true", help="also write roads.graphml")
    parser.add_argument(
        "--workdir", type=Path, default=Path("/tmp/scale"), help="regions go to WORKDIR/<name>"
    )
    args = parser.parse_args(argv)
    spec = RegionSpec(
        areas=args.areas,
        nodes=args.nodes,
        facilities=args.facilities,
        candidates=args.candidates,
        seed=args.seed,
    )
    folder = args.workdir / spec.name
    totals = build_region(spec, folder, graphml=args.graphml)
    print(json.dumps(asdict(totals), indent=2))
    print(f"wrote {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
