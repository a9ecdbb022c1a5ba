"""OpenStreetMap extracts read straight into road-network arrays, without a networkx graph.

:func:`read_osm_arrays` gives the network that
``load_network(path, network_type=...)`` gives (:func:`~accessplan.spatial.osm_extract.read_osm`
through osmnx, then :func:`~accessplan.spatial.network.prepare_network`), as a
:class:`~accessplan.spatial.road_arrays.RoadArrays` and the same
:class:`~accessplan.spatial.network.NetworkReport` counts, in a fraction of
the memory: no Python object per node or edge is kept.

Steps, each the array form of what the graph path does:

1. **Ways** (one pass over the file; osmium keeps the node locations in its
   own index and hands over the ways only): the ways of the network type
   (:func:`~accessplan.spatial.osm_extract.way_passes_filter`), their node ids
   and locations, ``highway``, ``maxspeed``, ``oneway`` and ``junction`` tags.
2. **Nodes**: the referenced nodes that have a location. Ways referencing
   nodes missing from the file keep their runs of at least two present nodes
   (:func:`~accessplan.spatial.osm_extract.present_runs`).
3. **Segments**: consecutive repeated nodes dropped; a one-way way
   (``oneway`` in yes/true/1/-1/reverse/T/F, or ``junction=roundabout``; none
   for ``walk``) gives one direction, reversed for -1/reverse/T, any other
   both. Length of a segment, great-circle metres with R = 6 371 009 m::

       h = sin^2(dphi / 2) + cos(phi1) cos(phi2) sin^2(dlambda / 2)
       length = 2 R asin(sqrt(min(1, h)))

4. **Simplification** (:mod:`accessplan.spatial.osm_simplify`, osmnx's rules): a node is an end point when it has a
   self-loop, no incoming or no outgoing segment, or not exactly two
   neighbours with 2 or 4 segments. Chains of other nodes between end points
   become one edge: its length the sum of its segments' lengths (in path
   order), its ``highway`` and ``maxspeed`` the distinct values of its
   segments (one value, or a list in the order of a Python set, as osmnx
   builds it). Components without any end point (isolated rings) are dropped.
5. **Largest strongly connected component**
   (:mod:`accessplan.spatial.road_components`; on a tie for the largest,
   the component networkx would list first, taking the nodes in id order, the
   order of OSM files sorted as extracts are).
6. **Speeds** (:mod:`accessplan.spatial.road_speeds`, osmnx's imputation) or a
   constant speed (5 km/h walking, 15 km/h cycling by default), and seconds
   ``t = (length / 1000) / (speed_kph / 3600)``.
7. **Projection** (:mod:`accessplan.spatial.node_crs`) of the node
   coordinates to ``to_crs`` or the UTM zone osmnx picks (the zone of the
   centre of the nodes' bounding box; UPS beyond 84 N / 80 S).

Memory: osmium's location index of every node in the file (about 16 bytes
per node), the node references of the kept ways (16 bytes each: id and
location), the tags of kept ways as small integer codes, and the arrays of the
unsimplified network while it is simplified. Measured peak: about 150 bytes per
segment of the unsimplified network (synthetic extract of 1.24 M nodes, 2.0 M
drive segments: +0.30 GB in 9 s), against about 2.3 kB per segment and 308 s
for ``load_network``.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import pyproj
from tqdm.auto import tqdm

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkCRSError, NetworkError
from accessplan.spatial.network import (
    DEFAULT_CONSTANT_SPEED_KPH,
    NetworkReport,
    check_speed_options,
)
from accessplan.spatial.network_crs import crs_string, metre_target_crs
from accessplan.spatial.node_crs import check_node_coordinates, project_nodes, utm_crs_for
from accessplan.spatial.osm_extract import (
    BIDIRECTIONAL_NETWORK_TYPES,
    NETWORK_TYPES,
    OsmReadCounts,
    osm_file_format,
    way_passes_filter,
)
from accessplan.spatial.osm_simplify import (
    edge_tags,
    simplify,
    unique_first,
)
from accessplan.spatial.road_arrays import RoadArrays, collapse_edges, road_class_codes
from accessplan.spatial.road_components import largest_strong_component
from accessplan.spatial.road_speeds import edge_seconds, edge_speeds_kph

__all__ = ["EARTH_RADIUS_M", "great_circle_meters", "read_osm_arrays", "utm_crs_for"]

#: Earth radius (metres) of osmnx's great-circle edge lengths.
EARTH_RADIUS_M = 6_371_009.0

#: ``oneway`` values osmnx reads as one-way, and as one-way against the node order.
_ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
_REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
#: osmium's fixed-point coordinates: 1e-7 degree.
_COORDINATE_PRECISION = 10_000_000
_UNDEFINED_COORDINATE = 2**31 - 1
#: The CRS of OSM node locations.
_WGS84 = pyproj.CRS.from_user_input("epsg:4326")
#: Segments per block of length computations.
_CHUNK = 1 << 18


def great_circle_meters(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine great-circle metres between points given in degrees (module formula).

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Degrees.

    Returns
    -------
    numpy.ndarray
        float64 metres; NaN (missing coordinates) gives 0, as osmnx.
    """
    phi1 = np.deg2rad(lat1)
    phi2 = np.deg2rad(lat2)
    lam1 = np.deg2rad(lon1)
    lam2 = np.deg2rad(lon2)
    h = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    )
    meters = 2 * np.arcsin(np.sqrt(np.minimum(1, h))) * EARTH_RADIUS_M
    meters[np.isnan(meters)] = 0
    return meters


# --------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------


class _Codes:
    """Distinct strings as small integer codes (-1 for a missing value)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.values: list[str] = []

    def code(self, value: str | None) -> int:
        if value is None:
            return -1
        code = self.index.get(value)
        if code is None:
            code = self.index[value] = len(self.values)
            self.values.append(value)
        return code


@dataclass
class _Ways:
    """The ways of the network type, in file order, with their nodes' locations."""

    refs: np.ndarray  # int64 node ids of all kept ways, concatenated
    x: np.ndarray  # int32 fixed-point longitude (1e-7 degree) per reference
    y: np.ndarray  # latitude, the same way
    offsets: np.ndarray  # int64, n_ways + 1
    highway: np.ndarray  # int32 codes into highway_values
    maxspeed: np.ndarray  # int32 codes into maxspeed_values
    direction: np.ndarray  # int8: 0 both ways, 1 one way, 2 one way against the node order
    highway_values: list[str]
    maxspeed_values: list[str]
    ways_read: int
    ways_filtered: int


def _as_array(values: array, dtype: Any) -> np.ndarray:
    return np.frombuffer(values, dtype=dtype).copy() if len(values) else np.zeros(0, dtype)


class _WayCounter:
    """An osmium handler that counts the ways handed to it."""

    def __init__(self) -> None:
        self.ways = 0

    def way(self, _way: Any) -> None:
        self.ways += 1


def _read_ways(path: Path, fmt: str, network_type: str | None) -> _Ways:
    """One pass: osmium keeps every node's location and hands over the ways only."""
    refs, xs, ys = array("q"), array("i"), array("i")
    offsets = array("q", [0])
    highway, maxspeed, direction = array("i"), array("i"), array("b")
    hw_codes, ms_codes = _Codes(), _Codes()
    bidirectional = network_type in BIDIRECTIONAL_NETWORK_TYPES
    ways_read = filtered = 0
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    without_highway = _WayCounter()
    if network_type is not None:
        # no network type keeps a way without a highway tag: osmium drops them, counted
        processor.with_filter(osmium.filter.KeyFilter("highway"))
        processor.handler_for_filtered(without_highway)
    for way in processor:
        ways_read += 1
        tags = way.tags
        if not way_passes_filter(tags, network_type):
            filtered += 1
            continue
        for node in way.nodes:
            location = node.location
            refs.append(node.ref)
            xs.append(location.x)
            ys.append(location.y)
        offsets.append(len(refs))
        highway.append(hw_codes.code(tags.get("highway")))
        maxspeed.append(ms_codes.code(tags.get("maxspeed")))
        oneway = tags.get("oneway")
        if bidirectional:
            direction.append(0)
        elif oneway in _ONEWAY_VALUES:
            direction.append(2 if oneway in _REVERSED_VALUES else 1)
        else:
            direction.append(1 if tags.get("junction") == "roundabout" else 0)
    return _Ways(
        refs=_as_array(refs, np.int64),
        x=_as_array(xs, np.int32),
        y=_as_array(ys, np.int32),
        offsets=_as_array(offsets, np.int64),
        highway=_as_array(highway, np.int32),
        maxspeed=_as_array(maxspeed, np.int32),
        direction=_as_array(direction, np.int8),
        highway_values=hw_codes.values,
        maxspeed_values=ms_codes.values,
        ways_read=ways_read + without_highway.ways,
        ways_filtered=filtered + without_highway.ways,
    )


# --------------------------------------------------------------------------
# Way pieces and segments
# --------------------------------------------------------------------------


@dataclass
class _Segments:
    """The unsimplified graph: used nodes in id order, segments in osmnx's insertion order."""

    node_ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    tails: np.ndarray  # int32 node positions
    heads: np.ndarray
    way: np.ndarray  # int32 index of the way each segment belongs to
    counts: OsmReadCounts


def _segments(ways: _Ways) -> _Segments:
    refs, offsets = ways.refs, ways.offsets
    n_ways = len(offsets) - 1

    # nodes the file holds have a location (osmium marks the others undefined); in id order
    present = (ways.x != _UNDEFINED_COORDINATE) & (ways.y != _UNDEFINED_COORDINATE)
    kept_refs = np.flatnonzero(present)
    node_ids, first_ref = unique_first(refs[kept_refs])
    first_ref = kept_refs[first_ref]
    lon = ways.x[first_ref] / _COORDINATE_PRECISION
    lat = ways.y[first_ref] / _COORDINATE_PRECISION
    del first_ref
    node_of_kept = np.searchsorted(node_ids, refs[kept_refs])

    way_of_ref = np.repeat(np.arange(n_ways, dtype=np.int32), np.diff(offsets))
    missing = ~present
    complete = np.bincount(way_of_ref[missing], minlength=n_ways) == 0
    nodes_missing = len(unique_first(refs[missing])[0])
    del missing

    # pieces: runs of present references, cut at the way's start and at missing nodes
    starts = np.zeros(len(refs), dtype=bool)
    starts[offsets[:-1][offsets[:-1] < offsets[1:]]] = True
    starts[1:] |= ~present[:-1]
    del present
    piece_starts = starts[kept_refs]
    del starts
    piece_of_ref = np.cumsum(piece_starts, dtype=np.int64) - 1
    n_pieces = int(piece_of_ref[-1]) + 1 if len(piece_of_ref) else 0
    piece_way = way_of_ref[kept_refs[piece_starts]]
    del way_of_ref, kept_refs, piece_starts
    # a piece is a line when two consecutive nodes of it differ
    moves = np.zeros(len(piece_of_ref), dtype=bool)
    moves[1:] = (piece_of_ref[1:] == piece_of_ref[:-1]) & (node_of_kept[1:] != node_of_kept[:-1])
    is_line = np.zeros(n_pieces, dtype=bool)
    is_line[piece_of_ref[moves]] = True
    del moves
    keep_piece = is_line | complete[piece_way]
    truncated_piece = is_line & ~complete[piece_way]
    truncated = np.zeros(n_ways, dtype=bool)
    truncated[piece_way[truncated_piece]] = True
    n_truncated = int(truncated.sum())
    n_complete = int(complete.sum())
    counts = OsmReadCounts(
        ways_read=ways.ways_read,
        ways_dropped_missing_nodes=n_ways - n_complete - n_truncated,
        ways_dropped_by_filter=ways.ways_filtered,
        ways_kept=n_complete + n_truncated,
        ways_truncated=n_truncated,
        way_pieces=int(truncated_piece.sum()),
        nodes_missing=nodes_missing,
    )

    # the nodes of the kept pieces, renumbered; repeated consecutive nodes dropped
    keep_ref = keep_piece[piece_of_ref]
    piece_of_ref = piece_of_ref[keep_ref]
    node_of_kept = node_of_kept[keep_ref]
    del keep_ref
    used = np.zeros(len(node_ids), dtype=bool)
    used[node_of_kept] = True
    node_of_kept = (np.cumsum(used) - 1)[node_of_kept]
    distinct = np.ones(len(piece_of_ref), dtype=bool)
    distinct[1:] = (piece_of_ref[1:] != piece_of_ref[:-1]) | (node_of_kept[1:] != node_of_kept[:-1])
    piece_of_ref = piece_of_ref[distinct]
    node_of_kept = node_of_kept[distinct]
    del distinct

    # segment j of a piece joins its nodes j and j + 1
    follows = np.flatnonzero(piece_of_ref[1:] == piece_of_ref[:-1])
    a, b = node_of_kept[follows], node_of_kept[follows + 1]
    seg_piece = piece_of_ref[follows]
    del follows, piece_of_ref, node_of_kept
    # osmnx adds a piece's segments in node order (reversed order for ways one-way
    # against their nodes), then, for two-way ways, every segment turned around:
    # each segment's place in that order is computed, not sorted
    per_piece = np.bincount(seg_piece, minlength=n_pieces)
    direction = ways.direction[piece_way]
    out_per_piece = per_piece * np.where(direction == 0, 2, 1)
    out_start = np.zeros(n_pieces + 1, dtype=np.int64)
    np.cumsum(out_per_piece, out=out_start[1:])
    seg_start = np.zeros(n_pieces + 1, dtype=np.int64)
    np.cumsum(per_piece, out=seg_start[1:])
    j = np.arange(len(a), dtype=np.int64) - seg_start[seg_piece]
    k = per_piece[seg_piece]
    seg_direction = direction[seg_piece]
    against = seg_direction == 2
    place = out_start[seg_piece] + np.where(against, k - 1 - j, j)
    total = int(out_start[-1])
    tails = np.empty(total, dtype=np.int32)
    heads = np.empty(total, dtype=np.int32)
    way = np.empty(total, dtype=np.int32)
    tails[place] = np.where(against, b, a)
    heads[place] = np.where(against, a, b)
    way[place] = piece_way[seg_piece]
    two_way = np.flatnonzero(seg_direction == 0)
    place = out_start[seg_piece[two_way]] + k[two_way] + j[two_way]
    tails[place] = b[two_way]
    heads[place] = a[two_way]
    way[place] = piece_way[seg_piece[two_way]]
    return _Segments(
        node_ids=node_ids[used],
        lon=lon[used],
        lat=lat[used],
        tails=tails,
        heads=heads,
        way=way,
        counts=counts,
    )


# --------------------------------------------------------------------------
# Reading an extract
# --------------------------------------------------------------------------


def read_osm_arrays(
    path: str | Path,
    *,
    network_type: str | None = "drive",
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
    to_crs: Any = None,
    progress: bool = False,
) -> tuple[RoadArrays, NetworkReport]:
    """Read an OSM extract into road-network arrays, as ``load_network`` would build its graph.

    Parameters
    ----------
    path : str or Path
        ``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.xml.bz2``, ``.xml.gz``,
        ``.pbf`` or ``.osm.pbf`` file.
    network_type : str or None, default "drive"
        One of :data:`~accessplan.spatial.osm_extract.NETWORK_TYPES`; ``None``
        keeps every way.
    fallback_speed_kph : float, optional
        Speed for highway types without any usable ``maxspeed``.
    speed_kph : float, optional
        One constant speed for every edge; 5 km/h for ``walk`` and 15 km/h for
        ``bike`` unless given.
    to_crs : CRS-like, optional
        Metre-based projected CRS of the result; default: the UTM zone osmnx
        picks for the nodes kept.
    progress : bool, default False
        Show a progress bar over the reading steps.

    Returns
    -------
    arrays : RoadArrays
        The largest strongly connected component, projected, parallel edges
        collapsed to the fastest; ``road_class`` from ``highway``.
    report : NetworkReport
        The counts :func:`~accessplan.spatial.network.load_network` reports for
        the same file and options.

    Raises
    ------
    InputFileError
        If the file does not exist.
    NetworkError
        If the suffix is not an OSM format, the file cannot be parsed, no way
        of the network type is left, or no travel time can be computed.
    NetworkCRSError
        If ``to_crs`` is not a metre-based projected CRS or the coordinates do
        not project.
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")
    fmt = osm_file_format(path)
    if fmt is None:
        raise NetworkError(
            f"file {path}: unknown OSM file type; expected .osm, .xml, .osm.bz2, .osm.gz or .pbf"
        )
    if network_type is not None and network_type not in NETWORK_TYPES:
        raise NetworkError(
            f"file {path}: unknown network type {network_type!r}; "
            f"expected one of {', '.join(NETWORK_TYPES)}"
        )
    constant = (
        speed_kph if speed_kph is not None else DEFAULT_CONSTANT_SPEED_KPH.get(network_type or "")
    )
    check_speed_options(speed_kph=constant, fallback_speed_kph=fallback_speed_kph, source=source)
    metre_target_crs(to_crs, source=source)  # a bad to_crs fails before the file is read

    bar = tqdm(total=4, desc=f"reading {path.name}", disable=not progress, leave=False)
    try:
        try:
            ways = _read_ways(path, fmt, network_type)
            bar.update()
        except RuntimeError as exc:
            raise NetworkError(f"file {path}: cannot read it as OSM data ({exc})") from exc
        segments = _segments(ways)
        # only the ways' tags are needed from here on
        highway_codes, highway_values = ways.highway, ways.highway_values
        maxspeed_codes, maxspeed_values = ways.maxspeed, ways.maxspeed_values
        del ways
        bar.update()
        counts = segments.counts
        if counts.ways_kept == 0:
            kind = f"{network_type} " if network_type else ""
            raise NetworkError(
                f"file {path}: no {kind}ways left ({counts.ways_read} read, "
                f"{counts.ways_dropped_missing_nodes} with missing nodes (fewer than 2 in the "
                f"file), {counts.ways_dropped_by_filter} filtered out)"
            )
        t, h = segments.tails, segments.heads
        length = np.empty(len(t))
        for begin in range(0, len(t), _CHUNK):  # bounded temporaries; same values
            part = slice(begin, begin + _CHUNK)
            tp, hp = t[part], h[part]
            length[part] = great_circle_meters(
                segments.lat[tp], segments.lon[tp], segments.lat[hp], segments.lon[hp]
            )
        simplified = simplify(len(segments.node_ids), t, h, length)
        del length
        bar.update()

        nodes = np.flatnonzero(simplified.keep_node)
        position = np.full(len(segments.node_ids), -1, dtype=np.int64)
        position[nodes] = np.arange(len(nodes))
        tails, heads = position[simplified.tails], position[simplified.heads]
        nodes_read, edges_read = len(nodes), len(tails)
        if nodes_read == 0 or edges_read == 0:
            raise NetworkError(
                f"{source}: the road network is empty ({nodes_read} nodes, {edges_read} edges)"
            )
        lon, lat = segments.lon[nodes], segments.lat[nodes]
        bad = (np.abs(lon) > 180) | (np.abs(lat) > 90)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise NetworkCRSError(
                f"{source}: {int(bad.sum())} of {nodes_read} nodes lie outside longitude "
                f"-180..180 / latitude -90..90 (e.g. node {segments.node_ids[nodes[k]]}: "
                f"x={lon[k]:.10g}, y={lat[k]:.10g})"
            )

        in_component, components_dropped = largest_strong_component(
            nodes_read, tails, heads, edge_order=simplified.adjacency_key
        )
        edges = np.flatnonzero(in_component[tails] & in_component[heads])
        kept_nodes = np.flatnonzero(in_component)
        if not len(edges):
            raise NetworkError(
                f"{source}: no travel time possible: the largest strongly connected component "
                f"has {len(kept_nodes)} node(s) and no edge"
            )
        renumber = np.full(nodes_read, -1, dtype=np.int64)
        renumber[kept_nodes] = np.arange(len(kept_nodes))

        segment_way = segments.way
        highway = edge_tags(
            simplified, edges, segment_way, highway_codes, highway_values, as_list=False
        )
        if constant is not None:
            speeds_kind = "constant"
            speeds = np.full(len(edges), float(constant))
            sources = {"constant speed_kph": len(edges)}
        else:
            speeds_kind = "maxspeed"
            maxspeed = edge_tags(
                simplified, edges, segment_way, maxspeed_codes, maxspeed_values, as_list=True
            )
            speeds, sources = edge_speeds_kph(
                highway, maxspeed, fallback_speed_kph=fallback_speed_kph, source=source
            )
        seconds = edge_seconds(simplified.length[edges], speeds)
        bad_times = int((~np.isfinite(seconds) | (seconds < 0)).sum())
        if bad_times:
            raise NetworkError(
                f"{source}: no travel time possible on {bad_times} edges (zero, missing or "
                "unparsable speeds); pass fallback_speed_kph or speed_kph"
            )

        node_ids = segments.node_ids[nodes[kept_nodes]]
        x, y, crs = project_nodes(
            lon[kept_nodes], lat[kept_nodes], _WGS84, to_crs=to_crs, source=source
        )
        check_node_coordinates(node_ids, x, y, crs, source=source, projected=True)
        indptr, heads_out, seconds_out, road_class = collapse_edges(
            renumber[tails[edges]],
            renumber[heads[edges]],
            seconds,
            len(kept_nodes),
            road_class_codes(highway),
        )
        arrays = RoadArrays(
            node_ids=node_ids,
            x=x,
            y=y,
            indptr=indptr,
            heads=heads_out,
            seconds=seconds_out,
            crs=crs,
            road_class=road_class,
            source=source,
        )
        bar.update()
    finally:
        bar.close()

    sources = {key: int(n) for key, n in sources.items() if n}
    report = NetworkReport(
        source=source,
        network_type=network_type,
        nodes_read=nodes_read,
        edges_read=edges_read,
        nodes_kept=len(kept_nodes),
        edges_kept=len(edges),
        nodes_dropped=nodes_read - len(kept_nodes),
        edges_dropped=edges_read - len(edges),
        ways_read=counts.ways_read,
        ways_dropped_missing_nodes=counts.ways_dropped_missing_nodes,
        ways_dropped_by_filter=counts.ways_dropped_by_filter,
        speeds=speeds_kind,
        edges_speed_imputed=(
            len(edges) - sources.get("maxspeed", 0) if speeds_kind == "maxspeed" else 0
        ),
        fallback_speed_kph=fallback_speed_kph if speeds_kind == "maxspeed" else None,
        crs=crs_string(crs),
        ways_truncated=counts.ways_truncated,
        way_pieces=counts.way_pieces,
        nodes_missing=counts.nodes_missing,
        components_dropped=components_dropped,
        speeds_imputed=sources,
    )
    return arrays, report
