"""Offline context layers for the web maps: region outline, districts, roads.

A planner reads an access map against the places they know: the edge of the
region, the districts they report on and the main roads. These layers are
built here from the plan's own inputs (no tile server is needed):

- :func:`region_outline`: the union of every area (one row);
- :func:`district_boundaries`: the areas dissolved by a ``group`` column, one
  row per district with its name (point areas: the points' shares of the
  region, see below);
- :func:`network_lines`: the road network actually used (an osmnx-style
  :class:`networkx.MultiDiGraph`), both directions merged into one line,
  simplified for display, lighter for big graphs.

Cells of one regular grid (census squares) are dissolved on their label
raster (:mod:`accessplan.maps.grid_dissolve`), polygons that form a clean
coverage by :func:`shapely.coverage_union_all` (:func:`is_polygon_coverage`),
other polygons by :func:`shapely.union_all` per district; :func:`map_context` builds the
outline from the districts (a union of unions, the same shape) and point
areas' outlines are qhull convex hulls. 500,000 grid squares in 784
districts: 101 s -> 2.6 s for both layers.

Districts of point areas are not the hulls of their points (those overlap
where districts interlock) but the union of each point's share of the region
outline (:mod:`accessplan.maps.point_districts`: lattice cells, else the
Voronoi-like pieces of the Delaunay triangulation), so they never overlap.

Each returns a GeoDataFrame in the CRS of its input. :class:`MapContext`
carries them to the builders of :mod:`accessplan.maps.webmap`.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import ConvexHull, QhullError
from shapely.geometry import LineString

from accessplan.data.errors import ProblemCollector
from accessplan.maps.grid_dissolve import grid_cells
from accessplan.maps.point_districts import point_district_shapes
from accessplan.spatial.road_arrays import ROAD_CLASSES, RoadArrays

__all__ = [
    "MAJOR_ROADS",
    "MapContext",
    "district_boundaries",
    "is_polygon_coverage",
    "map_context",
    "network_lines",
    "region_outline",
]

#: OSM highway classes kept when a network is too big to draw every street
MAJOR_ROADS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
    }
)

#: major road classes from the most to the least important (which to keep first)
MAJOR_ORDER = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
)


def _keep_most_important(frame: gpd.GeoDataFrame, budget: int) -> gpd.GeoDataFrame:
    """The major classes, most important first, while their segments fit in ``budget``.

    The first class is always kept. A road's ``_link`` class goes with it.
    """
    counts = frame["highway"].value_counts()
    kept, total = [], 0
    for name in MAJOR_ORDER[::2]:
        n = int(counts.get(name, 0) + counts.get(f"{name}_link", 0))
        if n == 0:
            continue
        if kept and total + n > budget:
            break
        kept += [name, f"{name}_link"]
        total += n
    return frame[frame["highway"].isin(kept)]


@dataclass(frozen=True)
class MapContext:
    """Context layers drawn under and over the access areas of a web map.

    Attributes
    ----------
    outline : geopandas.GeoDataFrame, optional
        The region outline (:func:`region_outline`).
    districts : geopandas.GeoDataFrame, optional
        District boundaries with a ``name`` column (:func:`district_boundaries`).
    roads : geopandas.GeoDataFrame, optional
        Road lines (:func:`network_lines`).
    """

    outline: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None


def _check_frame(frame, what: str, columns=()) -> None:
    problems = ProblemCollector(what=what)
    if not isinstance(frame, gpd.GeoDataFrame):
        problems.add(f"expected a GeoDataFrame, got {type(frame).__name__}")
        problems.raise_if_any()
    if frame.crs is None:
        problems.add("has no CRS; set one (e.g. areas.set_crs(...))", source=what)
    if len(frame) == 0:
        problems.add("has no rows", source=what)
    for col in columns:
        if col not in frame.columns:
            problems.add("column is missing", source=what, column=col)
    problems.raise_if_any()


#: holes smaller than this share of a dissolved shape are slivers between areas
#: whose shared edges do not quite match, not real enclaves: they are filled
SLIVER_SHARE = 1e-5


def _fill_slivers(geom, min_area: float):
    """``geom`` without interior rings smaller than ``min_area``."""
    if geom.geom_type == "Polygon":
        keep = [r for r in geom.interiors if shapely.Polygon(r).area >= min_area]
        return shapely.Polygon(geom.exterior, keep)
    if geom.geom_type == "MultiPolygon":
        parts = [_fill_slivers(p, min_area) for p in geom.geoms]
        return shapely.union_all(np.asarray(parts, dtype=object))
    return geom


def _hull_of_points(arr) -> shapely.Geometry:
    """Convex hull of the coordinates of point geometries (qhull; GEOS when degenerate)."""
    xy = shapely.get_coordinates(arr)
    if len(xy) >= 3:
        try:
            hull = ConvexHull(xy)
        except QhullError:  # all on one line (or one point): GEOS gives the line or point
            pass
        else:
            return shapely.Polygon(xy[hull.vertices])
    return shapely.multipoints(xy).convex_hull


def _outline_of(geoms) -> shapely.Geometry:
    """Union of polygons (sliver holes filled); for points, the convex hull of the points."""
    arr = np.asarray(geoms, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if arr.size == 0:
        return shapely.Polygon()
    kinds = shapely.get_type_id(arr)
    if np.isin(kinds, (0, 4)).all():  # Point, MultiPoint
        return _hull_of_points(arr)
    union = shapely.union_all(arr[np.isin(kinds, (3, 6))])  # Polygon, MultiPolygon
    return _fill_slivers(union, SLIVER_SHARE * union.area)


def _dissolved(geoms, codes, n_groups: int) -> list:
    """:func:`_outline_of` the areas of each group ``0 .. n_groups - 1`` (``codes``).

    Cells of one regular grid are dissolved on the grid
    (:mod:`accessplan.maps.grid_dissolve`), then their sliver holes filled
    exactly as a union's; other shapes are unioned group by group.
    """
    geoms = np.asarray(geoms, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    grid = grid_cells(geoms)
    if grid is not None:
        return [_fill_slivers(g, SLIVER_SHARE * g.area) for g in grid.dissolve(codes, n_groups)]
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=int(n_groups)))
    parts = np.split(geoms[order], bounds[:-1])
    if is_polygon_coverage(geoms):  # every subset of a coverage is one too
        unions = [shapely.coverage_union_all(part) for part in parts]
        return [_fill_slivers(u, SLIVER_SHARE * u.area) for u in unions]
    return [_outline_of(part) for part in parts]


def is_polygon_coverage(geoms) -> bool:
    """Whether ``geoms`` are valid polygons that meet only along shared edges.

    Such a coverage (municipalities or postcode areas cut from one map) is
    dissolved by :func:`shapely.coverage_union_all`, which only drops the
    shared edges (20,000 polygons: 0.6 s to check and 0.1 s to union against
    2.7 s for :func:`shapely.union_all`). Needs GEOS 3.12 (shapely 2.1);
    False without it, for points, missing or empty shapes, invalid polygons,
    overlaps, or edges that do not match (then the areas are unioned).
    """
    check = getattr(shapely, "coverage_is_valid", None)
    geoms = np.asarray(geoms, dtype=object)
    if check is None or geoms.size == 0:
        return False
    kinds = shapely.get_type_id(geoms)  # -1 for a missing shape
    if not np.isin(kinds, (3, 6)).all() or shapely.is_empty(geoms).any():
        return False
    if not shapely.is_valid(geoms).all():
        return False
    try:
        return bool(check(geoms))
    except (shapely.errors.GEOSException, shapely.errors.UnsupportedGEOSVersionError):
        return False


def region_outline(areas) -> gpd.GeoDataFrame:
    """The outline of the whole region: the union of every area.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons, or points: then the convex hull of the points).

    Returns
    -------
    geopandas.GeoDataFrame
        One row (``name = "region"``) in the CRS of ``areas``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If ``areas`` is not a GeoDataFrame, has no CRS or no rows.
    """
    _check_frame(areas, "areas")
    geoms = areas.geometry.to_numpy()
    geom = _dissolved(geoms, np.zeros(len(geoms), dtype=np.int64), 1)[0]
    return gpd.GeoDataFrame({"name": ["region"]}, geometry=[geom], crs=areas.crs)


def _all_points(geoms) -> bool:
    """Whether every shape is one Point (no missing or empty ones)."""
    geoms = np.asarray(geoms, dtype=object)
    kinds = shapely.get_type_id(geoms)
    return bool(geoms.size) and bool((kinds == 0).all()) and not shapely.is_empty(geoms).any()


def _all_polygons(areas) -> bool:
    kinds = shapely.get_type_id(areas.geometry.to_numpy())
    return bool(np.isin(kinds, (3, 6)).all())  # Polygon, MultiPolygon


def _outline_from_districts(areas, districts, group: str) -> gpd.GeoDataFrame:
    """:func:`region_outline` as the union of the districts and the areas in none.

    The same shape (a union of unions; a hole left in the region was a hole
    of its district, filled there when a sliver, so filled here too) from a
    few hundred district shapes instead of every area: 100,000 polygons
    that are no grid, 6 s -> 0.1 s.
    """
    rest = areas.geometry.to_numpy()[areas[group].isna().to_numpy()]
    geom = _outline_of(np.concatenate([districts.geometry.to_numpy(), rest]))
    return gpd.GeoDataFrame({"name": ["region"]}, geometry=[geom], crs=areas.crs)


def district_boundaries(areas, *, group: str) -> gpd.GeoDataFrame:
    """Districts: the areas dissolved by their ``group`` column.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas with a ``group`` column (district, county, health board ...).
    group : str
        Column naming each area's district. Areas with a missing value belong
        to no district.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per distinct group value, sorted by name: ``name`` (str),
        ``n_areas`` (int) and the dissolved geometry, in the CRS of ``areas``.
        Point areas give each district the union of its points' shares of
        the region outline (:func:`~accessplan.maps.point_districts.point_district_shapes`;
        the convex hull of its points when the points are all on one line).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If the column is missing, the frame has no CRS or no rows, or no area
        has a group value.
    """
    _check_frame(areas, "areas", (group,))
    keys = areas[group]
    known = keys.notna().to_numpy()
    if not known.any():
        problems = ProblemCollector(what="areas")
        problems.add("every value is missing; no district to draw", source="areas", column=group)
        problems.raise_if_any()
    names, codes = np.unique(keys[known].astype(str).to_numpy(), return_inverse=True)
    every = areas.geometry.to_numpy()
    shapes = None
    if _all_points(every):  # each point's share of the region: no overlaps
        all_codes = np.full(len(every), -1, dtype=np.int64)
        all_codes[known] = codes
        shapes = point_district_shapes(
            shapely.get_coordinates(every), all_codes, names.size, outline=_hull_of_points(every)
        )
    if shapes is None:
        shapes = _dissolved(every[known], codes, names.size)
    frame = pd.DataFrame(
        {
            "name": names.astype(str),
            "n_areas": np.bincount(codes, minlength=names.size).astype(int),
            "geometry": shapes,
        }
    )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=areas.crs)


def _edge_line(data, nodes, u, v) -> LineString | None:
    geom = data.get("geometry")
    if geom is not None and not getattr(geom, "is_empty", True):
        return geom
    a, b = nodes.get(u), nodes.get(v)
    if a is None or b is None:
        return None
    return LineString([a, b])


def _highway(data) -> str:
    value = data.get("highway", "")
    if isinstance(value, list | tuple):  # osmnx keeps several classes of a merged edge
        value = value[0] if value else ""
    return str(value)


def _array_lines(arrays: RoadArrays, *, simplify_m: float, max_edges: int) -> gpd.GeoDataFrame:
    """:func:`network_lines` of a network held as arrays: straight node-to-node segments.

    The lean path keeps no edge geometry, so a segment is drawn from its
    tail node to its head node (a simplified network's edges run between
    junctions, close enough for a context layer at region scale).
    """
    problems = ProblemCollector(what="road network")
    if arrays.n_edges == 0:
        problems.add("has no edges", source=arrays.source)
    if float(simplify_m) < 0:
        problems.add(f"simplify_m must be >= 0, got {simplify_m}")
    problems.raise_if_any()
    tails, heads = arrays.tails(), arrays.heads.astype(np.int64)
    low, high = np.minimum(tails, heads), np.maximum(tails, heads)
    # a two-way street is two edges u -> v and v -> u: drawn once
    _, first = np.unique(low * arrays.n_nodes + high, return_index=True)
    if arrays.road_class is not None:
        names = np.asarray(ROAD_CLASSES, dtype=object)[arrays.road_class[first]]
        names[names == "other"] = ""
    else:
        names = np.full(len(first), "", dtype=object)
    major_only = False
    if len(first) > int(max_edges) and (names != "").any():
        keep = np.isin(names, list(MAJOR_ROADS))
        if keep.any():
            first, names, major_only = first[keep], names[keep], True
    xy = arrays.xy
    coords = np.stack([xy[low[first]], xy[high[first]]], axis=1)
    lines = shapely.linestrings(coords)
    frame = gpd.GeoDataFrame({"highway": names}, geometry=lines, crs=arrays.crs)
    if major_only:
        frame = _keep_most_important(frame, int(max_edges) // 2)
    return _merged_lines(frame, simplify_m=simplify_m, major_only=major_only)


def _merged_lines(frame: gpd.GeoDataFrame, *, simplify_m: float, major_only: bool):
    """Merge the lines of each highway class, then simplify them (see :func:`network_lines`).

    Merging first joins the straight segments of a road into one line, which
    the simplification then thins to the vertices its shape needs (a straight
    corridor of many junctions keeps its two ends).
    """
    crs = frame.crs
    n_segments = len(frame)
    merged = frame.dissolve(by="highway", as_index=False)
    merged["geometry"] = [shapely.line_merge(g) if g is not None else g for g in merged.geometry]
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=crs)
    if float(simplify_m) > 0:
        metric = merged if merged.crs.is_projected else merged.to_crs(merged.estimate_utm_crs())
        simple = metric.geometry.simplify(float(simplify_m), preserve_topology=False)
        merged = merged.set_geometry(simple.to_crs(crs).to_numpy())
    merged.attrs["n_segments"] = n_segments
    merged.attrs["major_only"] = major_only
    return merged


def network_lines(graph, *, simplify_m: float = 25.0, max_edges: int = 20_000) -> gpd.GeoDataFrame:
    """The road network as display lines: both directions merged, simplified.

    Parameters
    ----------
    graph : networkx.MultiDiGraph or RoadArrays
        An osmnx-style graph: nodes with ``x``/``y``, ``graph.graph["crs"]``,
        edges optionally with a ``geometry`` (used when present) and a
        ``highway`` class; or the same network as
        :class:`~accessplan.spatial.road_arrays.RoadArrays` (straight segments
        between nodes, classes from ``road_class``).
    simplify_m : float, default 25
        Douglas-Peucker tolerance in metres (applied in a metre CRS; a
        geographic graph is projected to its UTM zone for this step).
        ``0`` keeps every vertex.
    max_edges : int, default 20000
        When the graph has more street segments than this (both directions
        counted once) and knows the ``highway`` class of its edges, only the
        major roads (:data:`MAJOR_ROADS`) are kept so the map stays light --
        the most important classes first (:data:`MAJOR_ORDER`), as many as fit
        in half this number of segments (a province's tertiary grid would
        otherwise weigh megabytes on every page).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per highway class (``highway``; ``""`` when unknown), each a
        (Multi)LineString of that class's merged segments, in the graph's CRS.
        ``attrs["n_segments"]`` is the number of segments drawn and
        ``attrs["major_only"]`` whether minor roads were dropped.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If the graph has no CRS, no edges, or nodes without coordinates.
    """
    if isinstance(graph, RoadArrays):
        return _array_lines(graph, simplify_m=simplify_m, max_edges=max_edges)
    problems = ProblemCollector(what="road network")
    crs = getattr(graph, "graph", {}).get("crs")
    if crs is None:
        problems.add('has no CRS (graph.graph["crs"])', source="network")
    if graph.number_of_edges() == 0:
        problems.add("has no edges", source="network")
    missing = [n for n, d in graph.nodes(data=True) if "x" not in d or "y" not in d]
    if missing:
        problems.add("nodes without x/y coordinates", source="network", rows=tuple(missing))
    if float(simplify_m) < 0:
        problems.add(f"simplify_m must be >= 0, got {simplify_m}")
    problems.raise_if_any()

    nodes = {n: (float(d["x"]), float(d["y"])) for n, d in graph.nodes(data=True)}
    seen: set = set()
    lines, classes = [], []
    for u, v, data in graph.edges(data=True):
        # a two-way street is two edges (u, v) and (v, u) with the same line
        key = (min(u, v, key=str), max(u, v, key=str), round(float(data.get("length", 0.0)), 1))
        if key in seen:
            continue
        seen.add(key)
        line = _edge_line(data, nodes, u, v)
        if line is not None and line.length > 0:
            lines.append(line)
            classes.append(_highway(data))
    classes_arr = np.asarray(classes, dtype=object)
    major_only = False
    if len(lines) > int(max_edges) and any(c for c in classes):
        keep = np.isin(classes_arr, list(MAJOR_ROADS))
        if keep.any():
            lines = [line for line, k in zip(lines, keep, strict=True) if k]
            classes_arr = classes_arr[keep]
            major_only = True
    frame = gpd.GeoDataFrame({"highway": classes_arr}, geometry=lines, crs=crs)
    if major_only:
        frame = _keep_most_important(frame, int(max_edges) // 2)
    return _merged_lines(frame, simplify_m=simplify_m, major_only=major_only)


def map_context(areas=None, *, group: str | None = None, graph=None, **road_options) -> MapContext:
    """Build the usual context layers from the plan's inputs.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame, optional
        The areas; gives the region outline (and the districts with ``group``).
    group : str, optional
        District column of ``areas``.
    graph : networkx.MultiDiGraph, optional
        The road network used for travel times.
    **road_options
        Passed to :func:`network_lines` (``simplify_m``, ``max_edges``).

    Returns
    -------
    MapContext
    """
    districts = district_boundaries(areas, group=group) if areas is not None and group else None
    if districts is not None and _all_polygons(areas):
        outline = _outline_from_districts(areas, districts, group)
    else:
        outline = region_outline(areas) if areas is not None else None
    roads = network_lines(graph, **road_options) if graph is not None else None
    return MapContext(outline=outline, districts=districts, roads=roads)
