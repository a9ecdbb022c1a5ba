"""Network travel times: bounded Dijkstra from the sites, a chunk at a time, on all cores.

Each origin and site is snapped to its nearest network node (Euclidean, in
the network's projected CRS).  The time of a pair is::

    minutes = d_o / v + T(node_o -> node_s) / 60 + d_s / v

with ``d_o``, ``d_s`` the snap distances (metres), ``v`` the access speed
(metres per minute) and ``T`` the shortest network time in seconds
(parallel edges: the fastest).  ``T`` comes from a bounded Dijkstra
(:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) from each distinct
site node over the *reversed* network, a chunk of ``chunk_size`` site nodes
per task, the tasks shared by ``jobs`` worker processes
(:mod:`accessplan.spatial.dijkstra_pool`; scipy's Dijkstra holds the GIL, so
threads would not help).  The network may be a prepared networkx graph or a
:class:`~accessplan.spatial.road_arrays.RoadArrays`; a graph is turned into
arrays first, so both take one path and give the same table.  The table does
not depend on ``jobs`` nor ``chunk_size``: the same pairs, the same float64
minutes, the same order.

Peak memory of the step, for ``n`` nodes, ``m`` edges, ``O`` distinct origin
nodes and ``P`` pairs kept (bytes)::

    network arrays     28 n + 12 m                 RoadArrays (a networkx graph: ~25 kB a node)
    reverse CSR        12 m + 8 n                  once; forked workers share it (Linux),
                                                   elsewhere one copy per worker
    Dijkstra rows      jobs x chunk_size x n x 8   dense distances of the running chunks
    target columns     jobs x chunk_size x O x 9   their origin-node columns and mask
    pairs, in memory   about 50 P                  gathered, sorted, coded (12 P kept)
    pairs, streamed    about 50 MB                 one Parquet row group (4M pairs)

plus up to ``2 x jobs`` answered chunks waiting (16 bytes a pair).  E.g. one
million nodes, 2.5 million edges, 500,000 origin nodes, ``jobs=2``,
``chunk_size=64``: 70 MB + 38 MB + 1.0 GB + 0.6 GB, whatever the number of
pairs when streamed.  Lower ``chunk_size`` (or ``jobs``) to trade speed for
memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
from sklearn.neighbors import KDTree
from tqdm.auto import tqdm

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.crs import require_metre_crs
from accessplan.spatial.dask_tasks import SnappedPoints
from accessplan.spatial.dijkstra_pool import available_cores, iter_chunk_results, reached_pairs
from accessplan.spatial.errors import CRSError, NetworkError, NoPathError, ODFingerprintError
from accessplan.spatial.od_codes import CodedOD
from accessplan.spatial.od_store import (
    ODParquetWriter,
    od_fingerprint,
    read_od_parquet,
    write_od_parquet,
)
from accessplan.spatial.road_arrays import RoadArrays
from accessplan.spatial.travel_inputs import (
    TravelTimes,
    check_positive_options,
    group_members,
    projected_points,
    snap_frame,
    snap_points,
    sorted_od_frame,
    unreached_positions,
    validate_point_frames,
)
from accessplan.spatial.travel_options import TravelOptions

__all__ = [
    "PreparedSearch",
    "available_cores",
    "network_crs",
    "network_key",
    "network_od_fingerprint",
    "network_travel_times",
    "prepare_search",
    "stored_network_travel_times",
    "stream_network_travel_times",
]

Network = nx.MultiDiGraph | RoadArrays


# --------------------------------------------------------------------------
# Preparing the search
# --------------------------------------------------------------------------


def _metre_crs(crs, what: str) -> pyproj.CRS:
    if crs is None:
        raise NetworkError(f"{what} has no 'crs' graph attribute")
    try:
        return require_metre_crs(crs, what=what)
    except CRSError as exc:
        raise NetworkError(
            f"{exc}; project it first (accessplan.spatial.network.prepare_network does) so "
            "snapping works in metres"
        ) from exc


def network_crs(network: Network) -> pyproj.CRS:
    """The network's metre CRS; a NetworkError when it has none or it is not in metres."""
    if isinstance(network, RoadArrays):
        return _metre_crs(network.crs, f"the road network ({network.source})")
    if isinstance(network, nx.Graph):
        return _metre_crs(network.graph.get("crs"), "the road network")
    raise NetworkError(
        f"the road network must be a networkx graph or RoadArrays, not {type(network).__name__}"
    )


def _as_arrays(network: Network) -> RoadArrays:
    if isinstance(network, RoadArrays):
        return network
    return RoadArrays.from_graph(network, source="the road network")


def network_key(network: Network) -> str:
    """SHA-256 of a network's arrays (nodes, coordinates, edges, seconds, CRS).

    A fingerprint part for :func:`accessplan.spatial.od_store.od_fingerprint`
    when no file hash is at hand; hashing runs at about 1 GB/s.
    """
    arrays = _as_arrays(network)
    hasher = hashlib.sha256()
    ids = arrays.node_ids
    if ids.dtype.kind in "iu":
        hasher.update(np.ascontiguousarray(ids, dtype=np.int64).tobytes())
    else:
        hasher.update("\x1e".join(f"{type(v).__name__}:{v}" for v in ids).encode("utf-8"))
    for part in (arrays.x, arrays.y, arrays.indptr, arrays.heads, arrays.seconds):
        hasher.update(np.ascontiguousarray(part).tobytes())
    hasher.update(arrays.crs.to_wkt().encode("utf-8"))
    return hasher.hexdigest()


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


@dataclass(frozen=True, eq=False)
class PreparedSearch:
    """Everything the Dijkstra chunks need, and the per-point results (:func:`prepare_search`).

    Attributes
    ----------
    arrays : RoadArrays
        The network.
    origin_ids, site_ids : pandas.Series
        The ids in input order (positions are the pairs' origin and site codes).
    origin_xy, site_xy : numpy.ndarray
        ``(n, 2)`` coordinates in the network's CRS.
    origin_snap, site_snap : pandas.DataFrame
        The snapping of each point (node, metres, access minutes).
    points : SnappedPoints
        What each Dijkstra chunk needs besides the graph (in a worker process
        or on a Dask worker): the distinct snapped nodes (positions in
        ``arrays``), the points on each, the access minutes of every point,
        the network seconds worth searching (the bound less the shortest
        access legs, with a hair of slack) and whether any pair can lie
        within the bound.
    max_minutes : float
    chunk_size : int
    options : TravelOptions
        The options the search was prepared with.
    """

    arrays: RoadArrays
    origin_ids: pd.Series
    site_ids: pd.Series
    origin_xy: np.ndarray
    site_xy: np.ndarray
    origin_snap: pd.DataFrame
    site_snap: pd.DataFrame
    points: SnappedPoints
    max_minutes: float
    chunk_size: int
    options: TravelOptions

    def travel_times(self, reached_o, reached_s, *, od=None, coded=None, od_path=None):
        """The :class:`TravelTimes` of the search's pairs, which reach these origins and sites.

        ``reached_o``, ``reached_s``: boolean masks over the origins and sites.
        """
        return TravelTimes(
            od=od,
            origin_snap=self.origin_snap,
            site_snap=self.site_snap,
            max_minutes=self.max_minutes,
            method="network",
            unreachable_origins=unreached_positions(self.origin_ids, reached_o),
            unreachable_sites=unreached_positions(self.site_ids, reached_s),
            coded=coded,
            od_path=od_path,
        )

    def no_path(self) -> NoPathError:
        """The error for a search whose table has no pair."""
        return NoPathError(
            f"no origin reaches any site within {self.max_minutes:g} minutes over the road "
            f"network ({len(self.origin_ids)} origins from {self.options.origins_label}, "
            f"{len(self.site_ids)} sites from {self.options.sites_label}); check that they "
            "lie on the same network or raise max_minutes"
        )

    def write_pairs(
        self, chunks, od_path: str | Path, *, fingerprint: dict[str, str], minutes_dtype
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stream chunks of pairs into a Parquet OD table; which origins and sites they reach.

        ``chunks`` yields ``(origin positions, site positions, minutes)``,
        written in that order (see
        :class:`~accessplan.spatial.od_store.ODParquetWriter`); no pair at all
        is :meth:`no_path` and leaves no table.  Returns the boolean masks
        ``(reached_o, reached_s)``.
        """
        reached_o = np.zeros(len(self.origin_ids), dtype=bool)
        reached_s = np.zeros(len(self.site_ids), dtype=bool)
        with ODParquetWriter(
            od_path,
            origin_ids=self.origin_ids,
            site_ids=self.site_ids,
            max_minutes=self.max_minutes,
            method="network",
            fingerprint=fingerprint,
            minutes_dtype=minutes_dtype,
        ) as writer:
            for o_pos, s_pos, minutes in chunks:
                writer.write_pairs(o_pos, s_pos, minutes)
                reached_o[o_pos] = True
                reached_s[s_pos] = True
            if writer.n_pairs == 0:
                raise self.no_path()
        return reached_o, reached_s

    def fingerprint(self, network_id: str | None) -> dict[str, str]:
        """The fingerprint of the search's table (:func:`network_od_fingerprint`'s).

        ``network_id`` is the network's part (default: :func:`network_key` of its arrays).
        """
        return od_fingerprint(
            origin_ids=self.origin_ids,
            site_ids=self.site_ids,
            origin_xy=self.origin_xy,
            site_xy=self.site_xy,
            network=network_id if network_id is not None else network_key(self.arrays),
            options={
                "method": "network",
                "max_minutes": self.max_minutes,
                "access_speed_kph": float(self.options.access_speed_kph),
                "max_snap_meters": float(self.options.max_snap_meters),
            },
        )


def prepare_search(
    network: Network, origins: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, options: TravelOptions
) -> PreparedSearch:
    """Check the options and points and snap the points: the search every entry point runs.

    Parameters
    ----------
    network : networkx.MultiDiGraph or RoadArrays
        As :func:`network_travel_times` (``G``).
    origins, sites : geopandas.GeoDataFrame
        As :func:`network_travel_times`.
    options : TravelOptions
        The keyword options of the entry point.

    Returns
    -------
    PreparedSearch

    Raises
    ------
    InputValidationError, NetworkError
        As :func:`network_travel_times`.
    """
    check_positive_options(
        {"chunk_size": options.chunk_size, "jobs": options.jobs}, **options.bounds()
    )
    origin_id, site_id = options.origin_id, options.site_id
    origins_label, sites_label = options.origins_label, options.sites_label
    max_minutes, max_snap_meters = options.max_minutes, options.max_snap_meters
    crs = network_crs(network)
    origins, sites = validate_point_frames(
        origins, sites, origin_id, site_id, origins_label, sites_label
    )
    origins = projected_points(origins, crs, origin_id, origins_label)
    sites = projected_points(sites, crs, site_id, sites_label)
    arrays = _as_arrays(network)

    origin_ids = origins[origin_id].reset_index(drop=True)
    site_ids = sites[site_id].reset_index(drop=True)
    o_xy = np.column_stack([origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()])
    s_xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])
    tree = KDTree(arrays.xy)
    problems = ProblemCollector(what="origins and sites")
    o_node, o_meters = snap_points(
        tree, o_xy, origin_ids, origin_id, origins_label, max_snap_meters, problems
    )
    s_node, s_meters = snap_points(
        tree, s_xy, site_ids, site_id, sites_label, max_snap_meters, problems
    )
    problems.raise_if_any()

    meters_per_minute = options.access_speed_kph * 1000.0 / 60.0
    o_access = o_meters / meters_per_minute
    s_access = s_meters / meters_per_minute
    # node labels as a typed array (osmnx ids are ints) for the snap frames
    labels = pd.Series(arrays.node_ids, dtype=object).infer_objects().to_numpy()
    origin_snap = snap_frame("origin_id", origin_ids, labels[o_node], o_meters, o_access)
    site_snap = snap_frame("site_id", site_ids, labels[s_node], s_meters, s_access)

    # distinct nodes on both sides, and which points sit on each
    s_uniq, s_inv = np.unique(s_node, return_inverse=True)
    o_uniq, o_inv = np.unique(o_node, return_inverse=True)
    # network seconds worth searching: the bound minus the shortest access legs,
    # with a hair of slack so rounding never cuts a pair the exact filter keeps
    budget_minutes = max_minutes - s_access.min() - o_access.min()
    return PreparedSearch(
        arrays=arrays,
        origin_ids=origin_ids,
        site_ids=site_ids,
        origin_xy=o_xy,
        site_xy=s_xy,
        origin_snap=origin_snap,
        site_snap=site_snap,
        points=SnappedPoints(
            site_nodes=s_uniq,
            site_groups=group_members(s_inv, len(s_uniq)),
            origin_nodes=o_uniq,
            origin_groups=group_members(o_inv, len(o_uniq)),
            site_access=s_access,
            origin_access=o_access,
            limit_seconds=budget_minutes * 60.0 * (1.0 + 1e-12) + 1e-9,
            max_minutes=float(max_minutes),
            reachable=bool(budget_minutes >= 0),
        ),
        max_minutes=float(max_minutes),
        chunk_size=int(options.chunk_size),
        options=options,
    )


@dataclass(frozen=True, eq=False)
class _ChunkPairs:
    """The task of one chunk, run in a worker: Dijkstra, then the pairs of points.

    Given ``(start, site_nodes)``, returns int32 origin and site positions
    and float64 minutes of the pairs within the bound, sorted by origin then
    site (so the parent only merges sorted runs).
    """

    points: SnappedPoints

    def __call__(self, graph: sp.csr_matrix, chunk: tuple[int, np.ndarray]):
        start, sources = chunk
        points = self.points
        row, col, seconds = reached_pairs(graph, sources, points.origin_nodes, points.limit_seconds)
        net_minutes = seconds / 60.0
        # rows are distinct site nodes (global index start + row): expand to sites
        k, site = _expand(row.astype(np.int64) + start, *points.site_groups)
        col, net_minutes = col[k], net_minutes[k]
        # columns are distinct origin nodes: expand to origins
        k, origin = _expand(col, *points.origin_groups)
        site, net_minutes = site[k], net_minutes[k]
        total = net_minutes + points.site_access[site] + points.origin_access[origin]
        keep = total <= points.max_minutes
        origin, site = origin[keep].astype(np.int32), site[keep].astype(np.int32)
        order = np.argsort(_pair_key(origin, site, len(points.site_access)))
        return origin[order], site[order], total[keep][order]


def _pair_key(o_pos: np.ndarray, s_pos: np.ndarray, n_sites: int) -> np.ndarray:
    """One int64 key ordering pairs by origin then site (sorts 3-4x faster than lexsort)."""
    return o_pos.astype(np.int64) * n_sites + s_pos


def _pair_chunks(
    search: PreparedSearch, *, progress: bool
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(origin position, site position, minutes) of the pairs within the bound, per chunk.

    Each chunk's pairs come sorted by origin then site.
    """
    if not search.points.reachable:
        return
    size, nodes = search.chunk_size, search.points.site_nodes
    chunks = [(start, nodes[start : start + size]) for start in range(0, len(nodes), size)]
    answers = iter_chunk_results(
        search.arrays.reverse_csr(),
        chunks,
        work=_ChunkPairs(search.points),
        jobs=int(search.options.jobs),
    )
    yield from tqdm(
        answers, total=len(chunks), desc="travel times", unit="chunk", disable=not progress
    )


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def network_travel_times(
    G: Network,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    chunk_size: int = 64,
    jobs: int = 1,
    as_codes: bool = False,
    with_frame: bool | None = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> TravelTimes:
    """Shortest travel times from origins to sites over a road network.

    See the module docstring for the formula, the method and the memory.

    Parameters
    ----------
    G : networkx.MultiDiGraph or RoadArrays
        Projected network: a graph with node ``x``/``y`` and edge
        ``travel_time`` in seconds (e.g. from
        :func:`accessplan.spatial.network.load_network`), or its arrays.
    origins, sites : geopandas.GeoDataFrame
        Points with a CRS and a unique id column; reprojected to the
        network's CRS when it differs.
    origin_id, site_id : str
        Id columns of ``origins`` and ``sites``.
    max_minutes : float
        Keep pairs whose total time (access legs included) is at most this.
    access_speed_kph : float, default 5.0
        Speed of the straight access legs between a point and its node.
    max_snap_meters : float, default 5000.0
        Points farther than this from every node are an error.
    chunk_size : int, default 64
        Distinct site nodes per Dijkstra task; each running task holds
        ``chunk_size x nodes x 8`` bytes.  The result does not depend on it.
    jobs : int, default 1
        Worker processes answering the tasks (:func:`available_cores` for
        all); 1 computes in this process.  The result does not depend on it.
    as_codes : bool, default False
        Also give the table as a :class:`~accessplan.spatial.od_codes.CodedOD`
        (``coded``; labels: the origins and sites in input order).
    with_frame : bool, optional
        Build the long ``od`` frame (default: unless ``as_codes``; at scale
        the codes alone are much smaller).
    origins_label, sites_label : str
        How the inputs are named in error messages (e.g. their file names).
    progress : bool, default False
        Show a tqdm bar over the Dijkstra chunks.

    Returns
    -------
    TravelTimes
        ``method == "network"``; ``od`` sorted by ``origin_id``, ``site_id``.

    Raises
    ------
    InputValidationError
        If an option is invalid, the point frames are malformed (missing ids,
        no CRS, not points...) or points lie farther than
        ``max_snap_meters`` from the network; every such point is listed.
    NetworkError
        If the network is not projected or lacks travel times, or a worker
        process dies.
    NoPathError
        If no origin reaches any site within ``max_minutes``.
    """
    search = prepare_search(G, origins, sites, options=TravelOptions.of(locals()))
    with_frame = not as_codes if with_frame is None else with_frame
    return _route(search, as_codes=as_codes, with_frame=with_frame, progress=progress)


def _result(
    search: PreparedSearch, o_pos, s_pos, minutes, *, with_frame: bool, coded=None, od_path=None
):
    """The :class:`TravelTimes` of a search's pairs (positions into its origins and sites)."""
    reached_o = np.zeros(len(search.origin_ids), dtype=bool)
    reached_o[o_pos] = True
    reached_s = np.zeros(len(search.site_ids), dtype=bool)
    reached_s[s_pos] = True
    od = (
        sorted_od_frame(o_pos, s_pos, minutes, search.origin_ids, search.site_ids)
        if with_frame
        else None
    )
    return search.travel_times(reached_o, reached_s, od=od, coded=coded, od_path=od_path)


def _route(
    search: PreparedSearch, *, as_codes: bool, with_frame: bool, progress: bool
) -> TravelTimes:
    """Route a prepared search in memory: the long frame and/or the coded table."""
    parts = list(_pair_chunks(search, progress=progress))
    if parts:
        o_pos, s_pos, minutes = (np.concatenate(p) for p in zip(*parts, strict=True))
    else:
        o_pos = s_pos = np.empty(0, dtype=np.int32)
        minutes = np.empty(0)
    del parts
    if len(minutes) == 0:
        raise search.no_path()
    coded = None
    if as_codes:
        # sorted runs, one per chunk: a stable (merge) sort joins them in about P log(chunks)
        order = np.argsort(_pair_key(o_pos, s_pos, len(search.site_ids)), kind="stable")
        coded = CodedOD.from_positions(
            o_pos[order],
            s_pos[order],
            minutes[order],
            origin_ids=pd.Index(search.origin_ids).rename(None),
            site_ids=pd.Index(search.site_ids).rename(None),
            max_minutes=search.max_minutes,
        )
        del order
    return _result(search, o_pos, s_pos, minutes, with_frame=with_frame, coded=coded)


def stream_network_travel_times(
    G: Network,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    od_path: str | Path,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    chunk_size: int = 64,
    jobs: int = 1,
    minutes_dtype=np.float32,
    network_id: str | None = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
) -> TravelTimes:
    """:func:`network_travel_times`, each chunk's pairs streamed to a Parquet OD table.

    Memory is bounded by the chunk (see the module docstring), not by the
    number of pairs.  The file (see :mod:`accessplan.spatial.od_store`) is
    grouped by site chunk, each chunk sorted by origin then site;
    :func:`~accessplan.spatial.od_store.read_od_parquet` gives back the same
    :class:`~accessplan.spatial.od_codes.CodedOD` as ``network_travel_times(...,
    as_codes=True).coded`` (minutes rounded to ``minutes_dtype``).  Its
    fingerprint covers the origins and sites (ids and coordinates in the
    network's CRS), the network (``network_id``, e.g. the network file's hash
    and loading options; default :func:`network_key` of its arrays) and the
    options (``max_minutes``, ``access_speed_kph``, ``max_snap_meters``).

    Parameters
    ----------
    od_path : str or Path
        The table to write (only replaced once complete).
    minutes_dtype : numpy.float32 or numpy.float64, default float32
        Storage of the minutes.
    network_id : str, optional
        The network's part of the fingerprint.
    (others)
        As :func:`network_travel_times`.

    Returns
    -------
    TravelTimes
        ``od`` and ``coded`` are None, ``od_path`` is the table.

    Raises
    ------
    As :func:`network_travel_times`; on any error no table is written.
    """
    search = prepare_search(G, origins, sites, options=TravelOptions.of(locals()))
    fingerprint = search.fingerprint(network_id)
    chunks = _pair_chunks(search, progress=progress)  # each chunk sorted by origin, site
    reached = search.write_pairs(
        chunks, od_path, fingerprint=fingerprint, minutes_dtype=minutes_dtype
    )
    return search.travel_times(*reached, od_path=Path(od_path))


def network_od_fingerprint(
    G: Network,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    network_id: str | None = None,
) -> dict[str, str]:
    """The fingerprint :func:`stream_network_travel_times` would store, without computing.

    Compare it with a stored table's
    (``read_od_parquet(path, expect_fingerprint=...)``) to reuse the table
    only when it was built for the same origins, sites, network and options.
    """
    search = prepare_search(G, origins, sites, options=TravelOptions.of(locals()))
    return search.fingerprint(network_id)


def stored_network_travel_times(
    G: Network,
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    od_path: str | Path,
    origin_id: str,
    site_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    chunk_size: int = 64,
    jobs: int = 1,
    network_id: str | None = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
    progress: bool = False,
    client=None,
) -> tuple[TravelTimes, bool]:
    """:func:`network_travel_times`, kept in a Parquet OD table and reused when still valid.

    When ``od_path`` holds a table written for the same origins, sites,
    network and options (its fingerprint, see
    :func:`~accessplan.spatial.od_store.od_fingerprint`), it is read instead
    of routing; when it was written for other inputs, the travel times are
    computed again and the table replaced (float64 minutes: the reused table
    gives the computed numbers exactly). A file that is not an accessplan OD
    table is an error and is never replaced.

    Returns
    -------
    travel : TravelTimes
        With ``od`` (frame), ``coded`` and ``od_path``.
    reused : bool
        Whether the stored table was used.

    Raises
    ------
    As :func:`network_travel_times`, and
    :func:`~accessplan.spatial.od_store.read_od_parquet`'s errors for a
    file at ``od_path`` that is not a readable accessplan OD table.
    """
    options = TravelOptions.of(locals())
    search = prepare_search(G, origins, sites, options=options)
    fingerprint = search.fingerprint(network_id)
    path = Path(od_path)
    if path.exists():
        try:
            coded = read_od_parquet(path, expect_fingerprint=fingerprint)
        except ODFingerprintError:
            coded = None  # built for other inputs: computed again below
        if coded is not None:
            travel = _result(
                search,
                coded.origin_codes(),
                coded.site_codes,
                coded.minutes,
                with_frame=True,
                coded=coded,
                od_path=path,
            )
            return travel, True
    if client is not None:
        from accessplan.spatial.dask_engine import dask_network_travel_times

        travel = dask_network_travel_times(
            G,
            origins,
            sites,
            client=client,
            as_codes=True,
            with_frame=True,
            progress=progress,
            **options.keywords(omit=("jobs",)),
        )
    else:  # the search is prepared already: route it
        travel = _route(search, as_codes=True, with_frame=True, progress=progress)
    write_od_parquet(
        path,
        travel.coded,
        max_minutes=travel.max_minutes,
        method="network",
        fingerprint=fingerprint,
        minutes_dtype=np.float64,
    )
    return dataclasses.replace(travel, od_path=path), False
