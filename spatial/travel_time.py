"""Travel times from origins to sites: the sparse OD table.

Three ways to get one, all returning a :class:`TravelTimes` whose ``od``
frame has exactly the columns ``origin_id, site_id, minutes`` (float64),
holds only pairs within ``max_minutes`` and is sorted by ``origin_id`` then
``site_id``:

* :func:`network_travel_times` -- shortest travel times over a projected road
  graph (see :mod:`accessplan.spatial.network`).  Origins and sites are
  snapped to their nearest node with a scikit-learn KD-tree; the snap
  distance is walked at ``access_speed_kph`` on both ends.  Times come from a
  bounded Dijkstra (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) run
  from the sites over the reversed graph, a chunk of sites at a time, so no
  dense sites x nodes array is ever held whole.
* :func:`straight_line_travel_times` -- Euclidean distance in a projected CRS
  at a constant speed, found with a KD-tree so only close pairs are formed.
* :func:`od_table_travel_times` / :func:`read_od_table` -- a table the user
  computed elsewhere (r5py, a commercial router...), checked row by row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from sklearn.neighbors import KDTree
from tqdm.auto import tqdm

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.data.ids import id_key, is_number_id, mismatch_hint
from accessplan.spatial.crs import coordinate_problems, metre_crs, require_metre_crs
from accessplan.spatial.errors import CRSError, NetworkError, NoPathError

__all__ = [
    "OD_COLUMNS",
    "TravelTimes",
    "network_travel_times",
    "od_table_travel_times",
    "read_od_table",
    "straight_line_travel_times",
]

#: Column names of every OD table accessplan produces.
OD_COLUMNS: tuple[str, str, str] = ("origin_id", "site_id", "minutes")

_SNAP_COLUMNS = ("node", "snap_meters", "access_minutes")


@dataclass(frozen=True)
class TravelTimes:
    """A sparse origin-destination travel-time table and how it was made.

    Attributes
    ----------
    od : pandas.DataFrame
        Columns ``origin_id, site_id, minutes`` (float64); only pairs with
        ``minutes <= max_minutes``; sorted by ``origin_id``, ``site_id``.
    origin_snap, site_snap : pandas.DataFrame
        One row per origin (site), in input order: ``origin_id`` (``site_id``),
        ``node`` (the nearest graph node; missing without a network),
        ``snap_meters`` and ``access_minutes`` (the access leg included in
        every time of that point).
    max_minutes : float
        The bound used.
    method : str
        ``"network"``, ``"straight_line"`` or ``"od_table"``.
    unreachable_origins, unreachable_sites : tuple
        Ids of origins (sites) with no pair in ``od``, in input order.
    """

    od: pd.DataFrame
    origin_snap: pd.DataFrame
    site_snap: pd.DataFrame
    max_minutes: float
    method: str
    unreachable_origins: tuple
    unreachable_sites: tuple


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _check_options(**options: float) -> None:
    """Reject non-positive or non-finite numeric options, all at once."""
    problems = ProblemCollector(what="travel-time options")
    for name, value in options.items():
        ok = isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)
        if not ok or value <= 0:
            problems.add(f"{name} must be a positive finite number, got {value!r}")
    problems.raise_if_any()


def _point_problems(
    points: Any, id_col: str, label: str, problems: ProblemCollector
) -> gpd.GeoDataFrame | None:
    """Record every problem of a point frame; return it when usable."""
    if not isinstance(points, gpd.GeoDataFrame):
        problems.add(
            f"expected a GeoDataFrame of points, got {type(points).__name__}", source=label
        )
        return None
    usable = True
    if len(points) == 0:
        problems.add("has no rows", source=label)
        usable = False
    if id_col not in points.columns:
        problems.add("id column is missing", source=label, column=id_col)
        return None
    if points.crs is None:
        problems.add("has no CRS; set one (e.g. gdf.set_crs('EPSG:4326'))", source=label)
        usable = False
    ids = points[id_col]
    null_ids = ids.isna().to_numpy()
    if null_ids.any():
        problems.add(
            "id is missing",
            source=label,
            column=id_col,
            rows=tuple(int(i) + 1 for i in np.flatnonzero(null_ids)),
        )
        usable = False
    dup = ids.duplicated(keep=False).to_numpy() & ~null_ids
    if dup.any():
        problems.add(
            "id is not unique", source=label, column=id_col, rows=tuple(pd.unique(ids[dup]))
        )
        usable = False
    geom = points.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():
        problems.add(
            "geometry is missing or empty",
            source=label,
            column=points.geometry.name,
            rows=tuple(ids[missing]),
        )
        usable = False
    not_point = (~missing) & (geom.geom_type != "Point").to_numpy()
    if not_point.any():
        problems.add(
            "geometry is not a Point (use e.g. .representative_point() first)",
            source=label,
            column=points.geometry.name,
            rows=tuple(ids[not_point]),
        )
        usable = False
    return points if usable else None


def _projected_points(
    points: gpd.GeoDataFrame, crs: pyproj.CRS, id_col: str, label: str
) -> gpd.GeoDataFrame:
    """``points`` in ``crs``, refusing coordinates that are not finite before or after."""
    problems = ProblemCollector(what=label)
    coordinate_problems(
        points.geometry,
        labels=tuple(str(v) for v in points[id_col]),
        source=label,
        column=id_col,
        problems=problems,
        run_crs=crs,
        area_of_use=False,
    )
    problems.raise_if_any()
    return points.to_crs(crs)


def _validate_points(
    origins: Any, sites: Any, origin_id: str, site_id: str, origins_label: str, sites_label: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    problems = ProblemCollector(what="origins and sites")
    o = _point_problems(origins, origin_id, origins_label, problems)
    s = _point_problems(sites, site_id, sites_label, problems)
    problems.raise_if_any()  # a frame that came back as None always recorded a problem
    return o, s  # type: ignore[return-value]


def _snap_frame(id_name: str, ids: pd.Series, node, meters, minutes) -> pd.DataFrame:
    return pd.DataFrame(
        {
            id_name: ids.to_numpy(),
            "node": node,
            "snap_meters": np.asarray(meters, dtype="float64"),
            "access_minutes": np.asarray(minutes, dtype="float64"),
        }
    )


def _no_snap(id_name: str, ids: pd.Series) -> pd.DataFrame:
    n = len(ids)
    return _snap_frame(id_name, ids, pd.array([pd.NA] * n, dtype="Int64"), np.zeros(n), np.zeros(n))


def _finish(
    origin_pos: np.ndarray,
    site_pos: np.ndarray,
    minutes: np.ndarray,
    origin_ids: pd.Series,
    site_ids: pd.Series,
) -> pd.DataFrame:
    order = np.lexsort((_ranks(site_ids)[site_pos], _ranks(origin_ids)[origin_pos]))
    origin_pos, site_pos = origin_pos[order], site_pos[order]
    # keep the id columns' own dtypes (no detour through Python objects)
    return pd.DataFrame(
        {
            "origin_id": origin_ids.take(origin_pos).reset_index(drop=True),
            "site_id": site_ids.take(site_pos).reset_index(drop=True),
            "minutes": np.asarray(minutes, dtype="float64")[order],
        }
    )


def _ranks(ids: pd.Series) -> np.ndarray:
    """Rank of each id in sorted order (input order if the ids cannot be ordered)."""
    try:
        order = np.asarray(ids.argsort(kind="stable"))
    except TypeError:  # ids of mixed, unorderable types
        order = np.arange(len(ids))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def _unreached(ids: pd.Series, present: pd.Series) -> tuple:
    mask = ~ids.isin(pd.unique(present))
    return tuple(ids[mask].tolist())


def _group_index(inverse: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members of each group: ``order[starts[g]:starts[g] + counts[g]]``."""
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, starts, counts


def _expand(
    groups: np.ndarray, order: np.ndarray, starts: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pair every entry (belonging to ``groups[k]``) with each member of its group.

    Returns ``(entry, member)``: entry index ``k`` repeated once per member.
    """
    reps = counts[groups]
    total = int(reps.sum())
    entry = np.repeat(np.arange(len(groups)), reps)
    first = np.cumsum(reps) - reps
    offsets = np.arange(total) - np.repeat(first, reps)
    member = order[np.repeat(starts[groups], reps) + offsets]
    return entry, member


# --------------------------------------------------------------------------
# Network travel times
# --------------------------------------------------------------------------


def _graph_arrays(G: nx.MultiDiGraph) -> tuple[list, np.ndarray, sp.csr_matrix]:
    """Nodes, their coordinates, and the *reversed* graph as a CSR matrix (seconds).

    Parallel edges collapse to the smallest ``travel_time``; self-loops are
    dropped (they never shorten a path).
    """
    nodes = list(G.nodes)
    if not nodes:
        raise NetworkError("the road network has no nodes")
    index = {n: i for i, n in enumerate(nodes)}
    try:
        xy = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)], dtype="float64")
    except KeyError as exc:
        raise NetworkError("some network nodes have no x/y coordinates") from exc
    us: list[int] = []
    vs: list[int] = []
    ws: list[Any] = []
    for a, b, t in G.edges(data="travel_time"):
        us.append(index[a])
        vs.append(index[b])
        ws.append(t)
    u = np.array(us, dtype=np.int64)
    v = np.array(vs, dtype=np.int64)
    try:
        w = np.array([np.nan if t is None else t for t in ws], dtype="float64")
    except (TypeError, ValueError) as exc:
        raise NetworkError("some network edges have a non-numeric 'travel_time'") from exc
    del us, vs, ws
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        raise NetworkError(
            f"{int(bad.sum())} network edges have no valid 'travel_time' (seconds); "
            "prepare the graph with accessplan.spatial.network.prepare_network"
        )
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    # smallest travel_time per (u, v): sort by u, v, w and keep the first of each pair
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    n = len(nodes)
    # reversed graph: an edge u -> v becomes row v, column u.  Zero weights stay
    # explicit entries, which csgraph treats as real (free) edges.
    reverse = sp.csr_matrix((w, (v, u)), shape=(n, n))
    return nodes, xy, reverse


def _graph_crs(G: nx.MultiDiGraph) -> pyproj.CRS:
    crs = G.graph.get("crs")
    if crs is None:
        raise NetworkError("the road network has no 'crs' graph attribute")
    try:
        return require_metre_crs(crs, what="the road network")
    except CRSError as exc:
        raise NetworkError(
            f"{exc}; project it first (accessplan.spatial.network.prepare_network does) so "
            "snapping works in metres"
        ) from exc


def _snap(
    tree: KDTree,
    points: gpd.GeoDataFrame,
    id_col: str,
    label: str,
    max_snap_meters: float,
    problems: ProblemCollector,
) -> tuple[np.ndarray, np.ndarray]:
    xy = np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()])
    dist, idx = tree.query(xy, k=1)
    dist, idx = dist[:, 0], idx[:, 0]
    far = dist > max_snap_meters
    if far.any():
        problems.add(
            f"{int(far.sum())} point(s) lie farther than {max_snap_meters:g} m from the nearest "
            f"road network node (farthest: {dist[far].max():,.0f} m); check their CRS and "
            "location, or raise max_snap_meters",
            source=label,
            column=id_col,
            rows=tuple(points[id_col].to_numpy()[far]),
        )
    return idx, dist


def network_travel_times(
    G: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    chunk_size: int = 64,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> TravelTimes:
    """Shortest travel times from origins to sites over a road network.

    Each origin and site is snapped to its nearest graph node (Euclidean, in
    the graph's projected CRS).  The time of a pair is::

        origin snap meters / access speed + network time + site snap meters / access speed

    where the network time is the shortest path by ``travel_time`` (seconds)
    from the origin's node to the site's node (parallel edges: the fastest).
    A bounded Dijkstra is run from each site over the reversed graph, in
    chunks of ``chunk_size`` distinct site nodes.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected graph with node ``x``/``y`` and edge ``travel_time`` in
        seconds, e.g. from :func:`accessplan.spatial.network.load_network`.
    origins, sites : geopandas.GeoDataFrame
        Points with a CRS and a unique id column; reprojected to the graph's
        CRS when it differs.
    origin_id, site_id : str
        Id columns of ``origins`` and ``sites``.
    max_minutes : float
        Keep pairs whose total time (access legs included) is at most this.
    access_speed_kph : float, default 5.0
        Speed of the straight access legs between a point and its node.
    max_snap_meters : float, default 5000.0
        Points farther than this from every node are an error.
    chunk_size : int, default 64
        Sites per Dijkstra call; memory is about ``chunk_size x nodes x 8``
        bytes.  The result does not depend on it.
    origins_label, sites_label : str
        How the inputs are named in error messages (e.g. their file names).
    progress : bool, default False
        Show a tqdm bar over the Dijkstra chunks.

    Returns
    -------
    TravelTimes
        ``method == "network"``.

    Raises
    ------
    InputValidationError
        If the point frames are malformed (missing ids, no CRS, not points...)
        or points lie farther than ``max_snap_meters`` from the network; every
        such point is listed.
    NetworkError
        If the graph is not projected or lacks travel times.
    NoPathError
        If no origin reaches any site within ``max_minutes``.
    """
    _check_options(
        max_minutes=max_minutes,
        access_speed_kph=access_speed_kph,
        max_snap_meters=max_snap_meters,
        chunk_size=chunk_size,
    )
    chunk_size = int(chunk_size)
    crs = _graph_crs(G)
    origins, sites = _validate_points(
        origins, sites, origin_id, site_id, origins_label, sites_label
    )
    origins = _projected_points(origins, crs, origin_id, origins_label)
    sites = _projected_points(sites, crs, site_id, sites_label)

    nodes, xy, reverse = _graph_arrays(G)
    tree = KDTree(xy)
    problems = ProblemCollector(what="origins and sites")
    o_node, o_meters = _snap(tree, origins, origin_id, origins_label, max_snap_meters, problems)
    s_node, s_meters = _snap(tree, sites, site_id, sites_label, max_snap_meters, problems)
    problems.raise_if_any()

    meters_per_minute = access_speed_kph * 1000.0 / 60.0
    o_access = o_meters / meters_per_minute
    s_access = s_meters / meters_per_minute
    origin_ids = origins[origin_id].reset_index(drop=True)
    site_ids = sites[site_id].reset_index(drop=True)
    # node labels as a typed array (osmnx ids are ints) for the snap frames
    node_labels = pd.Series(nodes, dtype=object).infer_objects().to_numpy()
    origin_snap = _snap_frame("origin_id", origin_ids, node_labels[o_node], o_meters, o_access)
    site_snap = _snap_frame("site_id", site_ids, node_labels[s_node], s_meters, s_access)

    # distinct nodes on both sides, and which points sit on each
    s_uniq, s_inv = np.unique(s_node, return_inverse=True)
    o_uniq, o_inv = np.unique(o_node, return_inverse=True)
    s_groups = _group_index(s_inv, len(s_uniq))
    o_groups = _group_index(o_inv, len(o_uniq))

    # network seconds worth searching: the bound minus the shortest access legs,
    # with a hair of slack so rounding never cuts a pair the exact filter keeps
    budget_minutes = max_minutes - s_access.min() - o_access.min()
    limit = budget_minutes * 60.0 * (1.0 + 1e-12) + 1e-9

    parts_o: list[np.ndarray] = []
    parts_s: list[np.ndarray] = []
    parts_t: list[np.ndarray] = []
    starts = range(0, len(s_uniq), chunk_size) if budget_minutes >= 0 else range(0)
    for start in tqdm(starts, desc="travel times", unit="chunk", disable=not progress):
        chunk = s_uniq[start : start + chunk_size]
        seconds = dijkstra(reverse, directed=True, indices=chunk, limit=limit)
        sub = seconds[:, o_uniq]
        del seconds
        row, col = np.nonzero(sub <= limit)
        net_minutes = sub[row, col] / 60.0
        del sub
        # rows are distinct site nodes (global index start + row): expand to sites
        k, site = _expand(row + start, *s_groups)
        col, net_minutes = col[k], net_minutes[k]
        # columns are distinct origin nodes: expand to origins
        k, origin = _expand(col, *o_groups)
        site, net_minutes = site[k], net_minutes[k]
        total = net_minutes + s_access[site] + o_access[origin]
        keep = total <= max_minutes
        parts_o.append(origin[keep])
        parts_s.append(site[keep])
        parts_t.append(total[keep])

    if parts_t:
        o_pos, s_pos, minutes = map(np.concatenate, (parts_o, parts_s, parts_t))
    else:
        o_pos = s_pos = np.empty(0, dtype=np.int64)
        minutes = np.empty(0)
    if len(minutes) == 0:
        raise NoPathError(
            f"no origin reaches any site within {max_minutes:g} minutes over the road network "
            f"({len(origin_ids)} origins from {origins_label}, {len(site_ids)} sites from "
            f"{sites_label}); check that they lie on the same network or raise max_minutes"
        )
    od = _finish(o_pos, s_pos, minutes, origin_ids, site_ids)
    return TravelTimes(
        od=od,
        origin_snap=origin_snap,
        site_snap=site_snap,
        max_minutes=float(max_minutes),
        method="network",
        unreachable_origins=_unreached(origin_ids, od["origin_id"]),
        unreachable_sites=_unreached(site_ids, od["site_id"]),
    )


# --------------------------------------------------------------------------
# Straight-line travel times
# --------------------------------------------------------------------------


def straight_line_travel_times(
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    speed_kph: float,
    max_minutes: float,
    to_crs: Any = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
) -> TravelTimes:
    """Travel times as straight-line distance at a constant speed.

    ``minutes = distance_m / (speed_kph * 1000 / 60)``, the distance being
    Euclidean in a projected CRS.  Only pairs within
    ``speed_kph * max_minutes`` are ever formed (KD-tree neighbour search).

    Parameters
    ----------
    origins, sites : geopandas.GeoDataFrame
        Points with a CRS and a unique id column.
    origin_id, site_id : str
        Id columns.
    speed_kph : float
        Constant speed.
    max_minutes : float
        Keep pairs with ``minutes <= max_minutes``.
    to_crs : CRS-like, optional
        Projected CRS in metres for distances (a CRS in feet or degrees is
        refused).  Default: the origins' CRS if projected in metres, else the
        WGS 84 UTM zone of the origins (:func:`accessplan.spatial.crs.metre_crs`).
    origins_label, sites_label : str
        Names used in error messages.

    Returns
    -------
    TravelTimes
        ``method == "straight_line"``; snap frames have zero access legs.

    Raises
    ------
    InputValidationError
        If the point frames are malformed or an option is not positive.
    NoPathError
        If no origin is within reach of any site.
    """
    _check_options(speed_kph=speed_kph, max_minutes=max_minutes)
    origins, sites = _validate_points(
        origins, sites, origin_id, site_id, origins_label, sites_label
    )
    to_crs = metre_crs(origins, to_crs)
    origins = _projected_points(origins, to_crs, origin_id, origins_label)
    sites = _projected_points(sites, to_crs, site_id, sites_label)
    o_xy = np.column_stack([origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()])
    s_xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])

    meters_per_minute = speed_kph * 1000.0 / 60.0
    radius = max_minutes * meters_per_minute * (1.0 + 1e-12) + 1e-9
    pairs = cKDTree(o_xy).sparse_distance_matrix(cKDTree(s_xy), radius, output_type="ndarray")
    minutes = pairs["v"] / meters_per_minute
    keep = minutes <= max_minutes
    o_pos = pairs["i"][keep].astype(np.int64)
    s_pos = pairs["j"][keep].astype(np.int64)
    minutes = minutes[keep]

    origin_ids = origins[origin_id].reset_index(drop=True)
    site_ids = sites[site_id].reset_index(drop=True)
    if len(minutes) == 0:
        raise NoPathError(
            f"no origin lies within {max_minutes:g} minutes at {speed_kph:g} km/h "
            f"({max_minutes * meters_per_minute:,.0f} m) of any site"
        )
    od = _finish(o_pos, s_pos, minutes, origin_ids, site_ids)
    return TravelTimes(
        od=od,
        origin_snap=_no_snap("origin_id", origin_ids),
        site_snap=_no_snap("site_id", site_ids),
        max_minutes=float(max_minutes),
        method="straight_line",
        unreachable_origins=_unreached(origin_ids, od["origin_id"]),
        unreachable_sites=_unreached(site_ids, od["site_id"]),
    )


# --------------------------------------------------------------------------
# User-supplied OD tables
# --------------------------------------------------------------------------


def _read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The raw table and the offset from 0-based position to reported row number."""
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".txt")):
            # ids as text (so "007" stays "007"); header is line 1, first data row line 2
            return pd.read_csv(path, dtype=str, skipinitialspace=True), 2
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path), 1
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the OD table ({exc})") from exc
    raise InputFileError(path, "unknown OD table type; expected .csv or .parquet")


def read_od_table(
    path: str | Path,
    *,
    origin_ids: Iterable[Any],
    site_ids: Iterable[Any],
    origin_col: str = "origin_id",
    site_col: str = "site_id",
    minutes_col: str = "minutes",
    max_minutes: float | None = None,
) -> pd.DataFrame:
    """Read and check a user-supplied OD travel-time table (CSV or Parquet).

    Every problem in the file is collected and raised once: missing columns,
    minutes that are not numbers, missing, infinite or negative, missing or
    unknown origin and site ids, and repeated (origin, site) pairs.  Rows are
    reported as line numbers for CSV (the header is line 1) and 1-based row
    numbers for Parquet.

    Ids are labels, matched as written: ``"01000"`` and ``"1000"`` differ, and
    unknown ids that differ from known ones only by leading zeros, a ``.0`` or
    their type (numbers in a Parquet column, text in the layer) are named as
    such.  Numbers are matched by their integer text (``12``, ``12.0`` and
    ``"12"`` meet when the known ids are numbers).  Ids are returned as the
    objects given in ``origin_ids`` / ``site_ids``, so the table joins with
    the areas and sites frames.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally ``.gz``/``.bz2``) or ``.parquet`` file.
    origin_ids, site_ids : iterable
        The known origin (area) and site ids.
    origin_col, site_col, minutes_col : str
        The file's column names for origin id, site id and minutes.
    max_minutes : float, optional
        Drop pairs above this (not an error).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin_id, site_id, minutes`` (float64), sorted.

    Raises
    ------
    InputFileError
        If the file is missing, of unknown type or unreadable.
    InputValidationError
        Listing every problem found, each naming the file, column and rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "OD table not found")
    table, row_offset = _read_table(path)
    source = str(path)
    problems = ProblemCollector(what="OD table")

    missing = [c for c in (origin_col, site_col, minutes_col) if c not in table.columns]
    for col in missing:
        found = ", ".join(map(str, table.columns)) or "none"
        problems.add(f"column is missing (columns found: {found})", source=source, column=col)
    problems.raise_if_any()
    if len(table) == 0:
        problems.add("the table has no rows", source=source)
        problems.raise_if_any()

    def rows(mask: np.ndarray) -> tuple[int, ...]:
        return tuple(int(i) + row_offset for i in np.flatnonzero(mask))

    raw = table[minutes_col]
    minutes = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy()
    absent = raw.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(raw):
        absent = absent | raw.astype(str).str.strip().eq("").to_numpy()
    not_number = np.isnan(minutes) & ~absent
    if absent.any():
        problems.add("minutes are missing", source=source, column=minutes_col, rows=rows(absent))
    if not_number.any():
        bad = pd.unique(raw[not_number].astype(str))[:5]
        problems.add(
            f"minutes are not numbers (e.g. {', '.join(map(repr, bad))})",
            source=source,
            column=minutes_col,
            rows=rows(not_number),
        )
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(minutes)
        negative = minutes < 0
    if infinite.any():
        problems.add("minutes are infinite", source=source, column=minutes_col, rows=rows(infinite))
    if negative.any():
        problems.add("minutes are negative", source=source, column=minutes_col, rows=rows(negative))

    mapped = {}
    for col, known, what, layer in (
        (origin_col, list(origin_ids), "origin", "areas layer"),
        (site_col, list(site_ids), "site", "facility and candidate layers"),
    ):
        numeric = bool(known) and all(is_number_id(v) for v in known)
        lookup = {id_key(v, numeric=numeric): v for v in known}
        keys = table[col].map(lambda v, numeric=numeric: id_key(v, numeric=numeric))
        no_id = keys.isna().to_numpy()
        if no_id.any():
            problems.add(f"{what} id is missing", source=source, column=col, rows=rows(no_id))
        values = keys.map(lookup)
        unknown = values.isna().to_numpy() & ~no_id
        if unknown.any():
            names = pd.unique(keys[unknown])
            shown = ", ".join(map(repr, names[:5])) + (" ..." if len(names) > 5 else "")
            hint = mismatch_hint(
                names,
                known,
                file_numeric=pd.api.types.is_numeric_dtype(table[col]),
                what=what,
                layer=layer,
            )
            problems.add(
                f"{len(names)} unknown {what} id(s): {shown}{hint}",
                source=source,
                column=col,
                rows=rows(unknown),
            )
        mapped[col] = (keys, values)

    o_keys, s_keys = mapped[origin_col][0], mapped[site_col][0]
    both = ~(o_keys.isna() | s_keys.isna()).to_numpy()
    pairs = pd.DataFrame({"o": o_keys, "s": s_keys})
    dup = pairs.duplicated(keep=False).to_numpy() & both
    if dup.any():
        problems.add(
            f"{int(pairs[dup].drop_duplicates().shape[0])} (origin, site) pair(s) appear "
            "more than once",
            source=source,
            column=f"{origin_col}, {site_col}",
            rows=rows(dup),
        )
    problems.raise_if_any()

    od = pd.DataFrame(
        {
            "origin_id": mapped[origin_col][1].to_numpy(),
            "site_id": mapped[site_col][1].to_numpy(),
            "minutes": minutes,
        }
    )
    if max_minutes is not None:
        od = od[od["minutes"] <= max_minutes]
    od = od.reset_index(drop=True)
    try:
        od = od.sort_values(["origin_id", "site_id"], kind="mergesort")
    except TypeError:
        pass
    return od.reset_index(drop=True)


def od_table_travel_times(
    path: str | Path,
    *,
    origin_ids: Iterable[Any],
    site_ids: Iterable[Any],
    max_minutes: float,
    origin_col: str = "origin_id",
    site_col: str = "site_id",
    minutes_col: str = "minutes",
) -> TravelTimes:
    """Wrap a checked user OD table as :class:`TravelTimes` (``method="od_table"``).

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file, see :func:`read_od_table`.
    origin_ids, site_ids : iterable
        Known origin and site ids.
    max_minutes : float
        Pairs above this are dropped.
    origin_col, site_col, minutes_col : str
        The file's column names.

    Returns
    -------
    TravelTimes
        Snap frames list every id with zero access legs.

    Raises
    ------
    InputFileError, InputValidationError
        As :func:`read_od_table`.
    NoPathError
        If no pair is within ``max_minutes``.
    """
    _check_options(max_minutes=max_minutes)
    origin_ids = pd.Series(list(origin_ids))
    site_ids = pd.Series(list(site_ids))
    od = read_od_table(
        path,
        origin_ids=origin_ids,
        site_ids=site_ids,
        origin_col=origin_col,
        site_col=site_col,
        minutes_col=minutes_col,
        max_minutes=max_minutes,
    )
    if len(od) == 0:
        raise NoPathError(f"file {path}: no pair within {max_minutes:g} minutes in the OD table")
    return TravelTimes(
        od=od,
        origin_snap=_no_snap("origin_id", origin_ids),
        site_snap=_no_snap("site_id", site_ids),
        max_minutes=float(max_minutes),
        method="od_table",
        unreachable_origins=_unreached(origin_ids, od["origin_id"]),
        unreachable_sites=_unreached(site_ids, od["site_id"]),
    )
