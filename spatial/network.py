"""Road networks: load, filter, clean and project them for travel-time work.

A network enters accessplan as an osmnx-style :class:`networkx.MultiDiGraph`
from one of these sources:

* a GraphML file written by osmnx (``.graphml``, ``.graphml.gz``);
* an OpenStreetMap extract: OSM XML (``.osm``, ``.xml``, optionally ``.bz2``
  or ``.gz`` compressed) or OSM PBF (``.pbf``, ``.osm.pbf``);
* a download through osmnx by place name or polygon (needs internet).

OSM extracts are read by :func:`accessplan.spatial.osm_extract.read_osm`
(re-exported here): ways are filtered on their tags for the requested network
type (the same rules as osmnx's Overpass queries), and ways that reference
nodes missing from the file (clipped extracts) keep the runs of nodes the file
does hold, as osmium's extract strategies do; ways with fewer than two present
nodes are dropped.  Both are counted.

:func:`prepare_network` then checks the graph's CRS and node coordinates
(:mod:`accessplan.spatial.network_crs`: invalid CRS text, metres labelled
EPSG:4326, non-finite or far-off coordinates are each one clear error), keeps
the largest strongly connected component, adds ``speed_kph`` and
``travel_time`` (seconds) edge attributes and projects the graph to a
metre-based CRS, so that points can be snapped in metres.  Every step is
summed up in a :class:`NetworkReport`, whose :meth:`NetworkReport.quality_items`
lists what the data did to the network for a data-quality report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import osmnx as ox

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network_crs import (
    check_graph_coordinates,
    check_projected_coordinates,
    crs_string,
    metre_target_crs,
    parse_crs,
    project_to_metres,
)
from accessplan.spatial.osm_extract import (
    NETWORK_TYPES,
    OsmReadCounts,
    osm_file_format,
    read_osm,
    way_passes_filter,
)

__all__ = [
    "DEFAULT_CONSTANT_SPEED_KPH",
    "NETWORK_TYPES",
    "SPEED_SOURCES",
    "NetworkReport",
    "OsmReadCounts",
    "check_speed_options",
    "load_network",
    "network_from_place",
    "network_from_polygon",
    "prepare_network",
    "read_osm",
    "way_passes_filter",
]

#: Constant speeds (km/h) used for non-motorised network types unless ``speed_kph`` is given.
DEFAULT_CONSTANT_SPEED_KPH: dict[str, float] = {"walk": 5.0, "bike": 15.0}

_GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")

#: Keys of :attr:`NetworkReport.speeds_imputed`: where an edge's speed came from.
SPEED_SOURCES: tuple[str, ...] = (
    "maxspeed",
    "highway type mean",
    "fallback_speed_kph",
    "mean of all highway types",
    "constant speed_kph",
    "graph attribute",
)
#: Quality items for imputed speeds: source -> (item, severity, sentence after the count).
_IMPUTED_ITEMS = {
    "highway type mean": (
        "speeds_imputed_highway_type_mean",
        "info",
        "edge(s) without a usable maxspeed of their own: speed set to the mean maxspeed of "
        "the edges of their highway type",
    ),
    "fallback_speed_kph": (
        "speeds_imputed_fallback_speed_kph",
        "warning",
        "edge(s) of a highway type without any maxspeed: speed set to fallback_speed_kph",
    ),
    "mean of all highway types": (
        "speeds_imputed_mean_of_all_highway_types",
        "warning",
        "edge(s) of a highway type without any maxspeed, and no fallback_speed_kph: speed "
        "set to osmnx's mean of the highway-type speeds",
    ),
    "constant speed_kph": (
        "speeds_constant",
        "info",
        "edge(s) at one constant speed (speed_kph) instead of road speeds",
    ),
}


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkReport:
    """How a road network was read and cleaned.

    Every field is a plain value (str, int, float, None or dict of str to
    int), so ``dataclasses.asdict`` gives JSON-ready data.

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
    ways_read : int
        OSM ways in the file (zero for GraphML and downloads, as are the other
        ``ways_*`` counts).
    ways_dropped_missing_nodes : int
        Ways of the network type with fewer than two of their nodes in the file
        (clipped extracts): nothing of them was left to keep.
    ways_dropped_by_filter : int
        Ways whose tags exclude them from the network type.
    speeds : str
        How ``travel_time`` was set: ``"maxspeed"`` (osmnx
        :func:`~osmnx.add_edge_speeds`, imputing missing limits),
        ``"constant"`` (one speed for every edge) or ``"kept"`` (the graph
        already had travel times on every edge).
    edges_speed_imputed : int
        Kept edges whose speed was not read from their own ``maxspeed`` tag
        (``speeds == "maxspeed"`` only): the sum of ``speeds_imputed`` over
        its imputed sources.
    fallback_speed_kph : float or None
        Speed used for highway types with no known limit at all.
    crs : str
        The projected, metre-based CRS of the returned graph.
    ways_truncated : int
        Ways that reference nodes missing from the file and were kept in part
        (their runs of at least two consecutive present nodes).
    way_pieces : int
        Pieces kept of the truncated ways.
    nodes_missing : int
        Distinct node ids referenced by ways of the network type that the OSM
        file does not hold.
    components_dropped : int
        Strongly connected components other than the largest, dropped with
        their ``nodes_dropped`` nodes and ``edges_dropped`` edges.
    speeds_imputed : dict of str to int
        Kept edges by where their speed came from (keys from
        :data:`SPEED_SOURCES`, only those with edges; values sum to
        ``edges_kept``): ``"maxspeed"`` (the edge's own tag),
        ``"highway type mean"`` (osmnx's mean over the edges of the same
        highway type that have one), ``"fallback_speed_kph"``,
        ``"mean of all highway types"`` (osmnx's last resort without a
        fallback), ``"constant speed_kph"`` or ``"graph attribute"`` (the
        graph's own ``travel_time``).
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
    ways_truncated: int = 0
    way_pieces: int = 0
    nodes_missing: int = 0
    components_dropped: int = 0
    speeds_imputed: dict[str, int] = field(default_factory=dict)

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
                f"{self.ways_read:,} ways read, {self.ways_truncated:,} truncated at the "
                f"extract edge, {self.ways_dropped_missing_nodes:,} dropped (missing nodes), "
                f"{self.ways_dropped_by_filter:,} filtered out"
            )
        parts.append(
            f"{self.nodes_kept:,} nodes / {self.edges_kept:,} edges kept of "
            f"{self.nodes_read:,} / {self.edges_read:,} "
            f"({self.components_dropped:,} smaller strongly connected components with "
            f"{self.nodes_dropped:,} nodes / {self.edges_dropped:,} edges dropped)"
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

    def quality_items(self) -> list[dict[str, Any]]:
        """What the data did to the network, one item per kind of loss or imputation.

        Only items with a count above zero are listed: an empty list means the
        network was used as read.

        Returns
        -------
        list of dict
            Each ``{"item": str, "count": int, "detail": str, "severity": str}``:
            ``item`` is a key (``"ways_truncated"``, ``"ways_dropped_missing_nodes"``,
            ``"ways_dropped_by_filter"``, ``"components_dropped"``,
            ``"speeds_imputed_highway_type_mean"``,
            ``"speeds_imputed_fallback_speed_kph"``,
            ``"speeds_imputed_mean_of_all_highway_types"``, ``"speeds_constant"``),
            ``count`` the ways, components or edges concerned, ``detail`` one
            sentence for a reader (it repeats the count), ``severity``
            ``"warning"`` when it may change travel times or reach (roads cut
            at the extract edge or dropped, speeds guessed without any limit of
            their road type) and ``"info"`` otherwise.
        """
        kind = f"the {self.network_type} network" if self.network_type else "the network"
        items = [
            (
                "ways_truncated",
                self.ways_truncated,
                "warning",
                f"{self.ways_truncated:,} OSM way(s) run beyond the extract {self.source} "
                f"({self.nodes_missing:,} of their nodes are absent): their "
                f"{self.way_pieces:,} piece(s) inside the file are kept, the roads beyond are "
                "missing",
            ),
            (
                "ways_dropped_missing_nodes",
                self.ways_dropped_missing_nodes,
                "warning",
                f"{self.ways_dropped_missing_nodes:,} OSM way(s) of {kind} dropped: fewer than "
                f"2 of their nodes are in {self.source}",
            ),
            (
                "ways_dropped_by_filter",
                self.ways_dropped_by_filter,
                "info",
                f"{self.ways_dropped_by_filter:,} OSM way(s) left out: their tags exclude them "
                f"from {kind}",
            ),
            (
                "components_dropped",
                self.components_dropped,
                "warning",
                f"{self.components_dropped:,} road network part(s) dropped: not connected both "
                f"ways with the largest ({self.nodes_dropped:,} nodes / {self.edges_dropped:,} "
                f"edges dropped, {self.nodes_kept:,} nodes / {self.edges_kept:,} edges kept)",
            ),
        ]
        for source, (item, severity, what) in _IMPUTED_ITEMS.items():
            count = self.speeds_imputed.get(source, 0)
            if source == "fallback_speed_kph" and self.fallback_speed_kph is not None:
                what += f" = {self.fallback_speed_kph:g} km/h"
            items.append((item, count, severity, f"{count:,} {what}"))
        return [
            {"item": item, "count": int(count), "detail": detail, "severity": severity}
            for item, count, severity, detail in items
            if count > 0
        ]


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")


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


def _valid_seconds(value: Any) -> bool:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(seconds) and seconds >= 0


def _first_highway(value: Any) -> Any:
    return value[0] if isinstance(value, list) else value


def _add_speeds(H: nx.MultiDiGraph, fallback_speed_kph: float | None) -> dict[str, int]:
    """osmnx's maxspeed speeds and imputation; count the edges by speed source.

    A first osmnx pass with a negative speed for every highway type marks the
    edges whose own ``maxspeed`` osmnx parses (they keep a speed >= 0); the
    second, real pass overwrites ``speed_kph``.  The imputed edges are then
    classified by osmnx's rules: the mean of their highway type if any edge of
    that type has a maxspeed, else the fallback, else the mean of all types.
    """
    marker = -1.0
    types = {_first_highway(h) for *_, h in H.edges(data="highway")}
    ox.add_edge_speeds(H, hwy_speeds=dict.fromkeys(types, marker))
    own = {(u, v, k): speed != marker for u, v, k, speed in H.edges(keys=True, data="speed_kph")}
    ox.add_edge_speeds(H, fallback=fallback_speed_kph)
    with_limit = {
        _first_highway(d["highway"]) for u, v, k, d in H.edges(keys=True, data=True) if own[u, v, k]
    }
    counts = dict.fromkeys(SPEED_SOURCES, 0)
    for u, v, k, h in H.edges(keys=True, data="highway"):
        if own[u, v, k]:
            counts["maxspeed"] += 1
        elif _first_highway(h) in with_limit:
            counts["highway type mean"] += 1
        elif fallback_speed_kph is not None:
            counts["fallback_speed_kph"] += 1
        else:
            counts["mean of all highway types"] += 1
    return counts


def _largest_scc(G: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, int]:
    """The largest strongly connected component (as osmnx picks it) and how many others."""
    components = list(nx.strongly_connected_components(G))
    if len(components) == 1:
        return G.copy(), 0
    largest = max(components, key=len)
    return nx.MultiDiGraph(G.subgraph(largest)), len(components) - 1


def check_speed_options(
    *, speed_kph: float | None, fallback_speed_kph: float | None, source: str
) -> None:
    """Check the speed options of :func:`prepare_network` (each, when given, a positive number).

    Parameters
    ----------
    speed_kph, fallback_speed_kph : float or None
        The options (km/h); ``None`` is not checked.
    source : str
        Name used in the message.

    Raises
    ------
    NetworkError
        If ``speed_kph`` (checked first) or ``fallback_speed_kph`` is not a
        finite number above 0.
    """
    if speed_kph is not None and not (math.isfinite(speed_kph) and speed_kph > 0):
        raise NetworkError(f"{source}: speed_kph must be a positive number, got {speed_kph!r}")
    if fallback_speed_kph is not None and not (
        math.isfinite(fallback_speed_kph) and fallback_speed_kph > 0
    ):
        raise NetworkError(
            f"{source}: fallback_speed_kph must be a positive number, got {fallback_speed_kph!r}"
        )


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

    Steps: check the graph's CRS and node coordinates; keep the largest
    strongly connected component; add ``speed_kph`` and ``travel_time``
    (seconds) to every edge unless every edge already has a valid
    ``travel_time``; project to ``to_crs`` or, when it is not given and the
    graph is geographic or its CRS is not in metres (US survey feet...), to the
    UTM zone osmnx estimates.  Edge ``length`` is in metres in every osmnx
    graph, whatever its CRS, and is kept as it is.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        osmnx-style graph: graph attribute ``crs``, node ``x``/``y``, edge
        ``length`` (metres) and, for speed imputation, ``highway`` and
        optionally ``maxspeed``.
    to_crs : CRS-like, optional
        Target projected CRS with its axes in metres.  Default: keep a
        metre-based projected graph's CRS, project any other to its UTM zone.
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
    NetworkCRSError
        If the graph's ``crs`` or ``to_crs`` is not a valid CRS, ``to_crs`` is
        not projected or not in metres, node coordinates are not finite
        numbers, a geographic graph holds coordinates beyond +-180 / +-90
        degrees (metres labelled EPSG:4326), or coordinates are beyond any
        place on Earth before or after projecting.
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
    graph_crs = parse_crs(crs, source=source, what="the graph's crs")
    target = metre_target_crs(to_crs, source=source)
    check_graph_coordinates(G, graph_crs, source=source)
    check_speed_options(speed_kph=speed_kph, fallback_speed_kph=fallback_speed_kph, source=source)

    nodes_read, edges_read = G.number_of_nodes(), G.number_of_edges()
    H, components_dropped = _largest_scc(G)
    if H.number_of_edges() == 0:
        raise NetworkError(
            f"{source}: no travel time possible: the largest strongly connected component "
            f"has {H.number_of_nodes()} node(s) and no edge"
        )

    no_length = sum(1 for *_, d in H.edges(data=True) if not _valid_seconds(d.get("length")))
    has_times = all(_valid_seconds(d.get("travel_time")) for *_, d in H.edges(data=True))
    if speed_kph is not None:
        speeds = "constant"
        if no_length:
            raise NetworkError(f"{source}: {no_length} edges have no valid 'length'")
        nx.set_edge_attributes(H, float(speed_kph), name="speed_kph")
        H = ox.add_edge_travel_times(H)
        sources = {"constant speed_kph": H.number_of_edges()}
    elif has_times:
        speeds = "kept"
        sources = {"graph attribute": H.number_of_edges()}
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
        try:
            sources = _add_speeds(H, fallback_speed_kph)
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

    H = project_to_metres(H, to_crs, target)
    check_projected_coordinates(H, source=source)

    sources = {key: n for key, n in sources.items() if n}
    counts = osm_counts or OsmReadCounts(0, 0, 0, 0)
    report = NetworkReport(
        source=source,
        network_type=network_type,
        nodes_read=nodes_read,
        edges_read=edges_read,
        nodes_kept=H.number_of_nodes(),
        edges_kept=H.number_of_edges(),
        nodes_dropped=nodes_read - H.number_of_nodes(),
        edges_dropped=edges_read - H.number_of_edges(),
        ways_read=counts.ways_read,
        ways_dropped_missing_nodes=counts.ways_dropped_missing_nodes,
        ways_dropped_by_filter=counts.ways_dropped_by_filter,
        speeds=speeds,
        edges_speed_imputed=(
            H.number_of_edges() - sources.get("maxspeed", 0) if speeds == "maxspeed" else 0
        ),
        fallback_speed_kph=fallback_speed_kph if speeds == "maxspeed" else None,
        crs=crs_string(H.graph["crs"]),
        ways_truncated=counts.ways_truncated,
        way_pieces=counts.way_pieces,
        nodes_missing=counts.nodes_missing,
        components_dropped=components_dropped,
        speeds_imputed=sources,
    )
    return H, report


def _constant_speed(network_type: str | None, speed_kph: float | None) -> float | None:
    if speed_kph is not None:
        return speed_kph
    return DEFAULT_CONSTANT_SPEED_KPH.get(network_type or "")


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
    if osm_file_format(path) is None:
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
