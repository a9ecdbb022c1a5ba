"""Road networks: load, filter, clean and project them for travel-time work.

A network enters accessplan as an osmnx-style :class:`networkx.MultiDiGraph`
from one of these sources:

* a GraphML file written by osmnx (``.graphml``, ``.graphml.gz``);
* an OpenStreetMap extract: OSM XML (``.osm``, ``.xml``, optionally ``.bz2``
  or ``.gz`` compressed) or OSM PBF (``.pbf``, ``.osm.pbf``);
* a download through osmnx by place name or polygon (needs internet).

OSM extracts are read with pyosmium.  Ways that reference nodes missing from
the file (clipped extracts) are dropped and counted; the remaining ways are
filtered on their tags for the requested network type (the same rules as
osmnx's Overpass queries for ``drive``, ``walk``, ``bike``...), written to a
temporary OSM XML file and handed to :func:`osmnx.graph_from_xml`.  osmnx
2.1 does not filter local files by network type, hence this step.

:func:`prepare_network` then keeps the largest strongly connected component,
adds ``speed_kph`` and ``travel_time`` (seconds) edge attributes and projects
the graph to a metric CRS, so that points can be snapped in meters.  Every
step is summed up in a :class:`NetworkReport`.
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import osmium
import osmium.index
import osmnx as ox
import pyproj
from tqdm.auto import tqdm

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkError

__all__ = [
    "NETWORK_TYPES",
    "NetworkReport",
    "OsmReadCounts",
    "load_network",
    "network_from_place",
    "network_from_polygon",
    "prepare_network",
    "read_osm",
    "way_passes_filter",
]

# --------------------------------------------------------------------------
# Network-type filters on OSM way tags.
#
# A way belongs to a network type when it has a ``highway`` tag and none of the
# exclusion rules below matches.  A rule ``(key, pattern)`` matches when the
# way has tag ``key`` and ``re.search(pattern, value)`` succeeds: unanchored,
# case-sensitive, exactly how Overpass evaluates ``["key"!~"pattern"]``, so the
# result agrees with what osmnx downloads for the same network type.
# --------------------------------------------------------------------------

_PRIVATE = ("access", "private")
_HIGHWAY_NOT_IN_USE = (
    "abandoned|construction|no|planned|platform|proposed|raceway|razed|rest_area|services"
)

_EXCLUDE: dict[str, tuple[tuple[str, str], ...]] = {
    "drive": (
        ("area", "yes"),
        _PRIVATE,
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
            "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
            "rest_area|service|services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "alley|driveway|emergency_access|parking|parking_aisle|private"),
    ),
    "drive_service": (
        ("area", "yes"),
        _PRIVATE,
        (
            "highway",
            "abandoned|bridleway|bus_guideway|construction|corridor|cycleway|elevator|"
            "escalator|footway|no|path|pedestrian|planned|platform|proposed|raceway|razed|"
            "rest_area|services|steps|track",
        ),
        ("motor_vehicle", "no"),
        ("motorcar", "no"),
        ("service", "emergency_access|parking|parking_aisle|private"),
    ),
    "walk": (
        ("area", "yes"),
        _PRIVATE,
        (
            "highway",
            "abandoned|bus_guideway|construction|cycleway|motor|no|planned|platform|"
            "proposed|raceway|razed|rest_area|services",
        ),
        ("foot", "no"),
        ("service", "private"),
        ("sidewalk", "separate"),
        ("sidewalk:both", "separate"),
        ("sidewalk:left", "separate"),
        ("sidewalk:right", "separate"),
    ),
    "bike": (
        ("area", "yes"),
        _PRIVATE,
        (
            "highway",
            "abandoned|bus_guideway|construction|corridor|elevator|escalator|footway|motor|"
            "no|planned|platform|proposed|raceway|razed|rest_area|services|steps",
        ),
        ("bicycle", "no"),
        ("service", "private"),
    ),
    "all_public": (
        ("area", "yes"),
        _PRIVATE,
        ("highway", _HIGHWAY_NOT_IN_USE),
        ("service", "private"),
    ),
    "all": (
        ("area", "yes"),
        ("highway", _HIGHWAY_NOT_IN_USE),
    ),
}

_COMPILED = {
    name: tuple((key, re.compile(pattern)) for key, pattern in rules)
    for name, rules in _EXCLUDE.items()
}

#: Network types understood by :func:`load_network` (``None`` keeps every way).
NETWORK_TYPES: tuple[str, ...] = tuple(_EXCLUDE)

#: Network types whose one-way streets are usable both ways (as in osmnx).
_BIDIRECTIONAL = frozenset({"walk"})

#: Constant speeds used for non-motorised network types unless ``speed_kph`` is given.
_DEFAULT_CONSTANT_SPEED_KPH = {"walk": 5.0, "bike": 15.0}

_GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")
_OSM_FORMATS = (
    (".osm.pbf", "pbf"),
    (".pbf", "pbf"),
    (".osm.bz2", "osm.bz2"),
    (".xml.bz2", "osm.bz2"),
    (".osm.gz", "osm.gz"),
    (".xml.gz", "osm.gz"),
    (".osm", "osm"),
    (".xml", "osm"),
)


def way_passes_filter(tags: Mapping[str, str], network_type: str | None) -> bool:
    """Tell whether an OSM way with these tags belongs to a network type.

    Parameters
    ----------
    tags : mapping of str to str
        The way's OSM tags.
    network_type : str or None
        One of :data:`NETWORK_TYPES`, or ``None`` to accept every way
        (including ways without a ``highway`` tag, as
        :func:`osmnx.graph_from_xml` does).

    Returns
    -------
    bool
        ``True`` when the way has a ``highway`` tag and no exclusion rule of
        the network type matches (Overpass ``!~`` semantics: unanchored,
        case-sensitive regular-expression search).

    Raises
    ------
    NetworkError
        If ``network_type`` is unknown.
    """
    if network_type is None:
        return True
    rules = _COMPILED.get(network_type)
    if rules is None:
        raise NetworkError(
            f"unknown network type {network_type!r}; expected one of {', '.join(NETWORK_TYPES)}"
        )
    if "highway" not in tags:
        return False
    for key, pattern in rules:
        value = tags.get(key)
        if value is not None and pattern.search(value):
            return False
    return True


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class OsmReadCounts:
    """What happened to the ways of an OSM extract while reading it.

    Attributes
    ----------
    ways_read : int
        Ways in the file.
    ways_dropped_missing_nodes : int
        Ways that reference at least one node absent from the file (clipped
        extracts); they are dropped whole.
    ways_dropped_by_filter : int
        Complete ways whose tags exclude them from the network type.
    ways_kept : int
        Ways handed to osmnx.
    """

    ways_read: int
    ways_dropped_missing_nodes: int
    ways_dropped_by_filter: int
    ways_kept: int


@dataclass(frozen=True)
class NetworkReport:
    """How a road network was read and cleaned.

    Attributes
    ----------
    source : str
        File name or download query the network came from.
    network_type : str or None
        Tag filter applied to OSM ways (``None`` for GraphML or no filter).
    nodes_read, edges_read : int
        Size of the graph as read (all components, simplified).
    nodes_kept, edges_kept : int
        Size of the largest strongly connected component that is kept.
    nodes_dropped, edges_dropped : int
        What the other components held.
    ways_read, ways_dropped_missing_nodes, ways_dropped_by_filter : int
        OSM way counts (zero for GraphML and downloads).
    speeds : str
        Where ``travel_time`` came from: ``"maxspeed"`` (osmnx
        :func:`~osmnx.add_edge_speeds`, imputing missing limits by highway
        type), ``"constant"`` (one speed for every edge) or ``"kept"`` (the
        graph already had travel times on every edge).
    edges_speed_imputed : int
        Kept edges without a ``maxspeed`` tag, whose speed was imputed
        (``speeds == "maxspeed"`` only).
    fallback_speed_kph : float or None
        Speed used for highway types with no known limit at all.
    crs : str
        The projected CRS of the returned graph.
    """

    source: str
    network_type: str | None
    nodes_read: int
    edges_read: int
    nodes_kept: int
    edges_kept: int
    nodes_dropped: int
    edges_dropped: int
    ways_read: int
    ways_dropped_missing_nodes: int
    ways_dropped_by_filter: int
    speeds: str
    edges_speed_imputed: int
    fallback_speed_kph: float | None
    crs: str

    def summary(self) -> str:
        """One line that says what was read, dropped and kept.

        Returns
        -------
        str
        """
        parts = [f"{self.source}"]
        if self.network_type:
            parts.append(f"{self.network_type} network")
        if self.ways_read:
            parts.append(
                f"{self.ways_read:,} ways read, {self.ways_dropped_missing_nodes:,} dropped "
                f"(missing nodes), {self.ways_dropped_by_filter:,} filtered out"
            )
        parts.append(
            f"{self.nodes_kept:,} nodes / {self.edges_kept:,} edges kept of "
            f"{self.nodes_read:,} / {self.edges_read:,} "
            f"({self.nodes_dropped:,} nodes / {self.edges_dropped:,} edges outside the largest "
            "strongly connected component)"
        )
        speed = f"speeds: {self.speeds}"
        if self.speeds == "maxspeed":
            speed += f" ({self.edges_speed_imputed:,} edges imputed"
            if self.fallback_speed_kph is not None:
                speed += f", fallback {self.fallback_speed_kph:g} km/h"
            speed += ")"
        parts.append(speed)
        parts.append(self.crs)
        return "; ".join(parts)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


class _OsmIds:
    """A set of OSM ids: osmium's compact bitmap for ids >= 0, a Python set for the
    negative ids of unpublished (e.g. JOSM) data, which the bitmap cannot hold."""

    def __init__(self) -> None:
        self._bits = osmium.index.IdSet()
        self._negative: set[int] = set()

    def add(self, osm_id: int) -> None:
        if osm_id >= 0:
            self._bits.set(osm_id)
        else:
            self._negative.add(osm_id)

    def __contains__(self, osm_id: int) -> bool:
        return osm_id in self._bits if osm_id >= 0 else osm_id in self._negative


def _osm_format(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, fmt in _OSM_FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")


def read_osm(
    path: str | Path,
    *,
    network_type: str | None = "drive",
    retain_all: bool = True,
    progress: bool = False,
) -> tuple[nx.MultiDiGraph, OsmReadCounts]:
    """Read an OSM XML or PBF extract into an unprojected osmnx graph.

    Ways referencing nodes missing from the file are dropped and counted; the
    rest are filtered by ``network_type`` (see :func:`way_passes_filter`),
    written to a temporary OSM XML file and built into a simplified graph with
    :func:`osmnx.graph_from_xml`.  No speeds, no component selection beyond
    ``retain_all``, no projection: see :func:`prepare_network` for that.

    Parameters
    ----------
    path : str or Path
        ``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.xml.bz2``, ``.xml.gz``,
        ``.pbf`` or ``.osm.pbf`` file.
    network_type : str or None, default "drive"
        One of :data:`NETWORK_TYPES`; ``None`` keeps every complete way, as
        :func:`osmnx.graph_from_xml` would.
    retain_all : bool, default True
        Keep every weakly connected component (``False``: only the largest,
        the osmnx default).
    progress : bool, default False
        Show a progress bar over the reading passes.

    Returns
    -------
    G : networkx.MultiDiGraph
        Graph in EPSG:4326 with osmnx node and edge attributes.
    counts : OsmReadCounts
        Ways read, dropped and kept.

    Raises
    ------
    InputFileError
        If the file does not exist.
    NetworkError
        If the suffix is not an OSM format, the file cannot be parsed, or no
        way of the network type is left.
    """
    path = Path(path)
    _check_file(path)
    fmt = _osm_format(path)
    if fmt is None:
        raise NetworkError(
            f"file {path}: unknown OSM file type; expected .osm, .xml, .osm.bz2, .osm.gz or .pbf"
        )
    if network_type is not None and network_type not in _EXCLUDE:
        raise NetworkError(
            f"file {path}: unknown network type {network_type!r}; "
            f"expected one of {', '.join(NETWORK_TYPES)}"
        )

    bar = tqdm(total=4, desc=f"reading {path.name}", disable=not progress, leave=False)
    try:
        src = osmium.io.File(str(path), fmt)

        # pass 1: every node id in the file
        node_ids = _OsmIds()
        for node in osmium.FileProcessor(src, osmium.osm.NODE):
            node_ids.add(node.id)
        bar.update()

        # pass 2: classify ways; remember kept ways and the nodes they use
        kept_ways, used_nodes = _OsmIds(), _OsmIds()
        ways_read = missing = filtered = 0
        for way in osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.WAY):
            ways_read += 1
            refs = [ref.ref for ref in way.nodes]
            if not all(ref in node_ids for ref in refs):
                missing += 1
                continue
            if not way_passes_filter(way.tags, network_type):
                filtered += 1
                continue
            kept_ways.add(way.id)
            for ref in refs:
                used_nodes.add(ref)
        bar.update()
    except RuntimeError as exc:
        bar.close()
        raise NetworkError(f"file {path}: cannot read it as OSM data ({exc})") from exc

    counts = OsmReadCounts(
        ways_read=ways_read,
        ways_dropped_missing_nodes=missing,
        ways_dropped_by_filter=filtered,
        ways_kept=ways_read - missing - filtered,
    )
    if counts.ways_kept == 0:
        bar.close()
        kind = f"{network_type} " if network_type else ""
        raise NetworkError(
            f"file {path}: no {kind}ways left ({ways_read} read, {missing} with missing nodes, "
            f"{filtered} filtered out)"
        )

    with tempfile.TemporaryDirectory(prefix="accessplan-osm-") as tmp:
        xml_path = Path(tmp) / "network.osm"
        # pass 3: write the kept ways and their nodes as plain OSM XML
        with osmium.SimpleWriter(str(xml_path)) as writer:
            entities = osmium.osm.NODE | osmium.osm.WAY
            for obj in osmium.FileProcessor(osmium.io.File(str(path), fmt), entities):
                if obj.id in (used_nodes if obj.is_node() else kept_ways):
                    writer.add(obj)
        bar.update()
        try:
            G = ox.graph_from_xml(
                xml_path,
                bidirectional=network_type in _BIDIRECTIONAL,
                simplify=True,
                retain_all=retain_all,
            )
        except Exception as exc:  # osmnx raises assorted errors on odd data
            raise NetworkError(f"file {path}: osmnx could not build a graph ({exc})") from exc
        finally:
            bar.update()
            bar.close()
    return G, counts


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    try:
        G = ox.load_graphml(path)
    except Exception as exc:  # XML parse errors, bad dtypes, ...
        raise NetworkError(f"file {path}: cannot read it as GraphML ({exc})") from exc
    if not isinstance(G, nx.MultiDiGraph):
        G = nx.MultiDiGraph(G)
    return G


# --------------------------------------------------------------------------
# Preparing
# --------------------------------------------------------------------------


def _crs_string(crs: Any) -> str:
    parsed = pyproj.CRS.from_user_input(crs)
    auth = parsed.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else parsed.to_string()


def _valid_seconds(value: Any) -> bool:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(seconds) and seconds >= 0


def prepare_network(
    G: nx.MultiDiGraph,
    *,
    to_crs: Any = None,
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
    source: str = "graph",
    network_type: str | None = None,
    osm_counts: OsmReadCounts | None = None,
) -> tuple[nx.MultiDiGraph, NetworkReport]:
    """Clean a road graph for travel-time work; the input is not modified.

    Steps: keep the largest strongly connected component; add ``speed_kph``
    and ``travel_time`` (seconds) to every edge unless every edge already has
    a valid ``travel_time``; project to ``to_crs`` (or, for a geographic
    graph, to the UTM zone osmnx estimates).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        osmnx-style graph: graph attribute ``crs``, node ``x``/``y``, edge
        ``length`` (meters) and, for speed imputation, ``highway`` and
        optionally ``maxspeed``.
    to_crs : CRS-like, optional
        Target projected CRS.  Default: keep a projected graph's CRS, project a
        geographic one to its UTM zone.
    fallback_speed_kph : float, optional
        Speed for highway types with no ``maxspeed`` on any edge (passed to
        :func:`osmnx.add_edge_speeds` as ``fallback``).
    speed_kph : float, optional
        One constant speed for every edge (walking, cycling); replaces any
        existing travel times.
    source : str, default "graph"
        Name used in messages and in the report.
    network_type : str, optional
        Recorded in the report.
    osm_counts : OsmReadCounts, optional
        Way counts from :func:`read_osm`, recorded in the report.

    Returns
    -------
    G : networkx.MultiDiGraph
        New, projected, strongly connected graph with ``travel_time`` on every
        edge.
    report : NetworkReport

    Raises
    ------
    NetworkError
        If the graph is empty, has no CRS or node coordinates, has no edge
        left after keeping the largest strongly connected component, or
        travel times cannot be computed for every edge.
    """
    if G.number_of_nodes() == 0 or G.number_of_edges() == 0:
        raise NetworkError(
            f"{source}: the road network is empty ({G.number_of_nodes()} nodes, "
            f"{G.number_of_edges()} edges)"
        )
    crs = G.graph.get("crs")
    if crs is None:
        raise NetworkError(f"{source}: the graph has no 'crs' attribute")
    try:
        pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise NetworkError(f"{source}: the graph's crs {crs!r} is not a valid CRS") from exc
    no_xy = sum(1 for _, d in G.nodes(data=True) if "x" not in d or "y" not in d)
    if no_xy:
        raise NetworkError(f"{source}: {no_xy} nodes have no x/y coordinates")
    if speed_kph is not None and not (math.isfinite(speed_kph) and speed_kph > 0):
        raise NetworkError(f"{source}: speed_kph must be a positive number, got {speed_kph!r}")
    if fallback_speed_kph is not None and not (
        math.isfinite(fallback_speed_kph) and fallback_speed_kph > 0
    ):
        raise NetworkError(
            f"{source}: fallback_speed_kph must be a positive number, got {fallback_speed_kph!r}"
        )

    nodes_read, edges_read = G.number_of_nodes(), G.number_of_edges()
    H = ox.truncate.largest_component(G, strongly=True)
    if H is G:
        H = G.copy()
    if H.number_of_edges() == 0:
        raise NetworkError(
            f"{source}: no travel time possible: the largest strongly connected component "
            f"has {H.number_of_nodes()} node(s) and no edge"
        )

    no_length = sum(1 for *_, d in H.edges(data=True) if not _valid_seconds(d.get("length")))
    has_times = all(_valid_seconds(d.get("travel_time")) for *_, d in H.edges(data=True))
    imputed = 0
    if speed_kph is not None:
        speeds = "constant"
        if no_length:
            raise NetworkError(f"{source}: {no_length} edges have no valid 'length'")
        nx.set_edge_attributes(H, float(speed_kph), name="speed_kph")
        H = ox.add_edge_travel_times(H)
    elif has_times:
        speeds = "kept"
    else:
        speeds = "maxspeed"
        if no_length:
            raise NetworkError(f"{source}: {no_length} edges have no valid 'length'")
        no_highway = sum(1 for *_, d in H.edges(data=True) if "highway" not in d)
        if no_highway:
            raise NetworkError(
                f"{source}: no travel time possible: {no_highway} edges have neither "
                "'travel_time' nor 'highway' (pass speed_kph for a constant speed)"
            )
        imputed = sum(1 for *_, d in H.edges(data=True) if d.get("maxspeed") is None)
        try:
            H = ox.add_edge_speeds(H, fallback=fallback_speed_kph)
        except ValueError as exc:
            raise NetworkError(
                f"{source}: no travel time possible: no edge has a 'maxspeed' tag; "
                "pass fallback_speed_kph (or speed_kph)"
            ) from exc
        H = ox.add_edge_travel_times(H)

    bad = sum(1 for *_, d in H.edges(data=True) if not _valid_seconds(d.get("travel_time")))
    if bad:
        raise NetworkError(
            f"{source}: no travel time possible on {bad} edges (zero, missing or unparsable "
            "speeds); pass fallback_speed_kph or speed_kph"
        )

    if to_crs is not None:
        if not pyproj.CRS.from_user_input(to_crs).is_projected:
            raise NetworkError(f"{source}: to_crs {to_crs!r} is not a projected CRS")
        if not pyproj.CRS.from_user_input(H.graph["crs"]).equals(to_crs):
            H = ox.project_graph(H, to_crs=to_crs)
    elif not ox.projection.is_projected(H.graph["crs"]):
        H = ox.project_graph(H)

    report = NetworkReport(
        source=source,
        network_type=network_type,
        nodes_read=nodes_read,
        edges_read=edges_read,
        nodes_kept=H.number_of_nodes(),
        edges_kept=H.number_of_edges(),
        nodes_dropped=nodes_read - H.number_of_nodes(),
        edges_dropped=edges_read - H.number_of_edges(),
        ways_read=osm_counts.ways_read if osm_counts else 0,
        ways_dropped_missing_nodes=osm_counts.ways_dropped_missing_nodes if osm_counts else 0,
        ways_dropped_by_filter=osm_counts.ways_dropped_by_filter if osm_counts else 0,
        speeds=speeds,
        edges_speed_imputed=imputed,
        fallback_speed_kph=fallback_speed_kph if speeds == "maxspeed" else None,
        crs=_crs_string(H.graph["crs"]),
    )
    return H, report


def _constant_speed(network_type: str | None, speed_kph: float | None) -> float | None:
    if speed_kph is not None:
        return speed_kph
    return _DEFAULT_CONSTANT_SPEED_KPH.get(network_type or "")


def load_network(
    source: str | Path,
    *,
    network_type: str | None = "drive",
    to_crs: Any = None,
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
    progress: bool = False,
) -> tuple[nx.MultiDiGraph, NetworkReport]:
    """Load a road network file, ready for :func:`network_travel_times`.

    Parameters
    ----------
    source : str or Path
        GraphML (``.graphml``, ``.graphml.gz``) or OSM extract (``.osm``,
        ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.pbf``).
    network_type : str or None, default "drive"
        Tag filter for OSM extracts (one of :data:`NETWORK_TYPES`; ``None``
        keeps every way).  Ignored for GraphML, which is already a network.
    to_crs : CRS-like, optional
        Target projected CRS; default: the UTM zone estimated by osmnx.
    fallback_speed_kph : float, optional
        Speed for highway types without any ``maxspeed`` value.
    speed_kph : float, optional
        One constant speed for every edge.  Defaults to 5 km/h for ``walk``
        and 15 km/h for ``bike`` OSM networks; otherwise speeds come from
        ``maxspeed`` tags (or existing GraphML travel times are kept).
    progress : bool, default False
        Show progress bars while reading OSM files.

    Returns
    -------
    G : networkx.MultiDiGraph
        Projected, strongly connected graph with ``travel_time`` (seconds).
    report : NetworkReport
        What was read, dropped and kept; ``report.summary()`` is one line.

    Raises
    ------
    InputFileError
        If the file does not exist.
    NetworkError
        If the suffix is unknown, the file cannot be read, the graph is empty
        or no travel time can be computed.

    Examples
    --------
    >>> G, report = load_network("roads.osm.pbf", network_type="drive")  # doctest: +SKIP
    >>> print(report.summary())  # doctest: +SKIP
    """
    path = Path(source)
    _check_file(path)
    name = path.name.lower()
    if name.endswith(_GRAPHML_SUFFIXES):
        G = _read_graphml(path)
        return prepare_network(
            G,
            to_crs=to_crs,
            fallback_speed_kph=fallback_speed_kph,
            speed_kph=speed_kph,
            source=str(path),
        )
    if _osm_format(path) is None:
        raise NetworkError(
            f"file {path}: unknown road network file type; expected .graphml, .graphml.gz, "
            ".osm, .xml, .osm.bz2, .osm.gz or .osm.pbf"
        )
    G, counts = read_osm(path, network_type=network_type, progress=progress)
    return prepare_network(
        G,
        to_crs=to_crs,
        fallback_speed_kph=fallback_speed_kph,
        speed_kph=_constant_speed(network_type, speed_kph),
        source=str(path),
        network_type=network_type,
        osm_counts=counts,
    )


def network_from_place(
    query: str | dict | list,
    *,
    network_type: str = "drive",
    to_crs: Any = None,
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
) -> tuple[nx.MultiDiGraph, NetworkReport]:
    """Download a road network for a place through osmnx (needs internet).

    Parameters
    ----------
    query : str, dict or list
        Place name(s) geocoded by Nominatim, as for
        :func:`osmnx.graph_from_place`.
    network_type : str, default "drive"
        osmnx network type.
    to_crs, fallback_speed_kph, speed_kph
        As for :func:`load_network`.

    Returns
    -------
    G : networkx.MultiDiGraph
    report : NetworkReport

    Raises
    ------
    NetworkError
        If the download or geocoding fails, or the network is unusable.
    """
    try:
        G = ox.graph_from_place(query, network_type=network_type, retain_all=True)
    except Exception as exc:  # network, geocoding and empty-response errors
        raise NetworkError(f"place {query!r}: osmnx download failed ({exc})") from exc
    return prepare_network(
        G,
        to_crs=to_crs,
        fallback_speed_kph=fallback_speed_kph,
        speed_kph=_constant_speed(network_type, speed_kph),
        source=f"place {query!r}",
        network_type=network_type,
    )


def network_from_polygon(
    polygon: Any,
    *,
    network_type: str = "drive",
    to_crs: Any = None,
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
) -> tuple[nx.MultiDiGraph, NetworkReport]:
    """Download the road network inside a polygon through osmnx (needs internet).

    Parameters
    ----------
    polygon : shapely Polygon or MultiPolygon
        Boundary in EPSG:4326 (longitude, latitude).
    network_type : str, default "drive"
        osmnx network type.
    to_crs, fallback_speed_kph, speed_kph
        As for :func:`load_network`.

    Returns
    -------
    G : networkx.MultiDiGraph
    report : NetworkReport

    Raises
    ------
    NetworkError
        If the download fails or the network is unusable.
    """
    try:
        G = ox.graph_from_polygon(polygon, network_type=network_type, retain_all=True)
    except Exception as exc:  # network and empty-response errors
        raise NetworkError(f"polygon: osmnx download failed ({exc})") from exc
    return prepare_network(
        G,
        to_crs=to_crs,
        fallback_speed_kph=fallback_speed_kph,
        speed_kph=_constant_speed(network_type, speed_kph),
        source="polygon",
        network_type=network_type,
    )
