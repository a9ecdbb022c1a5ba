"""OpenStreetMap extracts (OSM XML or PBF) read into osmnx graphs, clipped ways included.

Regional extracts are clipped: some ways reference nodes that lie outside the
extract and are absent from the file.  :func:`read_osm` keeps the part of each
such way that the file does hold, as osmium's extract strategies do: the way is
cut at its missing nodes into runs of consecutive present nodes, and every run
of at least two nodes becomes a piece of road.  Ways with fewer than two
present nodes are dropped.  Both are counted in :class:`OsmReadCounts`.

The kept ways are filtered on their tags for the requested network type (the
same rules as osmnx's Overpass queries for ``drive``, ``walk``, ``bike``...),
written to a temporary OSM XML file and handed to :func:`osmnx.graph_from_xml`
(osmnx 2.1 does not filter local files by network type, hence this step).

Reading takes three streaming passes over the file and memory proportional to
the ways kept and the nodes they use: ways first (to learn which node ids are
needed), then nodes (to learn which of those the file holds), then the writing
pass.  No index over the whole OSM id space is built.
"""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import networkx as nx
import osmium
import osmnx as ox
from tqdm.auto import tqdm

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkError

__all__ = [
    "BIDIRECTIONAL_NETWORK_TYPES",
    "NETWORK_TYPES",
    "OSM_SUFFIXES",
    "OsmReadCounts",
    "osm_file_format",
    "present_runs",
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
BIDIRECTIONAL_NETWORK_TYPES: frozenset[str] = frozenset({"walk"})


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


#: File name endings of the OSM formats :func:`read_osm` reads.
OSM_SUFFIXES: tuple[str, ...] = tuple(suffix for suffix, _ in _OSM_FORMATS)


def osm_file_format(path: str | Path) -> str | None:
    """The osmium format name for an OSM file name, or ``None`` if it is not one.

    Parameters
    ----------
    path : str or Path
        File name; only its ending is looked at (case-insensitive).

    Returns
    -------
    str or None
        ``"pbf"``, ``"osm"``, ``"osm.bz2"`` or ``"osm.gz"``.
    """
    name = Path(path).name.lower()
    for suffix, fmt in _OSM_FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def present_runs(refs: Sequence[int], present: set[int] | frozenset[int]) -> list[list[int]]:
    """Cut a way's node list at its missing nodes into runs of present nodes.

    Parameters
    ----------
    refs : sequence of int
        The way's node ids, in order.
    present : set of int
        Node ids the file holds.

    Returns
    -------
    list of list of int
        The maximal runs of consecutive present nodes that still form a line
        (at least two distinct consecutive nodes), in way order.

    Examples
    --------
    >>> present_runs([1, 2, 3, 4, 5], {1, 2, 4, 5})
    [[1, 2], [4, 5]]
    >>> present_runs([1, 2, 3, 4, 5], {2, 3, 4})
    [[2, 3, 4]]
    """
    runs: list[list[int]] = []
    run: list[int] = []
    for ref in refs:
        if ref in present:
            run.append(ref)
            continue
        if _is_line(run):
            runs.append(run)
        run = []
    if _is_line(run):
        runs.append(run)
    return runs


def _is_line(run: list[int]) -> bool:
    return any(a != b for a, b in pairwise(run))


@dataclass(frozen=True)
class OsmReadCounts:
    """What happened to the ways of an OSM extract while reading it.

    Every way read is counted once: filtered out, dropped for missing nodes,
    kept whole or kept truncated, so that ``ways_read == ways_dropped_by_filter
    + ways_dropped_missing_nodes + ways_kept``.

    Attributes
    ----------
    ways_read : int
        Ways in the file.
    ways_dropped_missing_nodes : int
        Ways of the network type with fewer than two of their nodes in the file
        (clipped extracts): nothing of them is left to keep.
    ways_dropped_by_filter : int
        Ways whose tags exclude them from the network type (whether or not the
        file holds all their nodes).
    ways_kept : int
        Ways handed to osmnx, whole or in part.
    ways_truncated : int
        Of ``ways_kept``, the ways that reference nodes missing from the file
        and are kept in part: the runs of at least two consecutive present
        nodes.
    way_pieces : int
        Runs kept of the truncated ways (at least one per truncated way).
    nodes_missing : int
        Distinct node ids referenced by ways of the network type that the file
        does not hold.
    """

    ways_read: int
    ways_dropped_missing_nodes: int
    ways_dropped_by_filter: int
    ways_kept: int
    ways_truncated: int = 0
    way_pieces: int = 0
    nodes_missing: int = 0


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")


@dataclass
class _WayPlan:
    """What pass 1 and 2 decided: which ways to write whole or in pieces."""

    complete: set[int]
    pieces: dict[int, list[list[int]]]
    used_nodes: set[int]
    first_new_id: int
    counts: OsmReadCounts


def _plan_ways(path: Path, fmt: str, network_type: str | None, bar: tqdm) -> _WayPlan:
    # pass 1: ways of the network type and the node ids they reference
    refs_of: dict[int, array] = {}
    needed: set[int] = set()
    ways_read = filtered = 0
    max_way_id = 0
    for way in osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.WAY):
        ways_read += 1
        max_way_id = max(max_way_id, way.id)
        if not way_passes_filter(way.tags, network_type):
            filtered += 1
            continue
        refs = array("q", [ref.ref for ref in way.nodes])
        refs_of[way.id] = refs
        needed.update(refs)
    bar.update()

    # pass 2: which of those nodes the file holds
    present: set[int] = set()
    for node in osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE):
        if node.id in needed:
            present.add(node.id)
    bar.update()

    complete: set[int] = set()
    pieces: dict[int, list[list[int]]] = {}
    used: set[int] = set()
    dropped = 0
    for way_id, refs in refs_of.items():
        if all(ref in present for ref in refs):
            complete.add(way_id)
            used.update(refs)
            continue
        runs = present_runs(refs, present)
        if not runs:
            dropped += 1
            continue
        pieces[way_id] = runs
        for run in runs:
            used.update(run)
    counts = OsmReadCounts(
        ways_read=ways_read,
        ways_dropped_missing_nodes=dropped,
        ways_dropped_by_filter=filtered,
        ways_kept=len(complete) + len(pieces),
        ways_truncated=len(pieces),
        way_pieces=sum(len(runs) for runs in pieces.values()),
        nodes_missing=len(needed) - len(present),
    )
    return _WayPlan(complete, pieces, used, max_way_id + 1, counts)


def _write_xml(path: Path, fmt: str, plan: _WayPlan, xml_path: Path) -> dict[int, int]:
    """Pass 3: write the kept nodes and ways; return piece id -> original way id."""
    original: dict[int, int] = {}
    next_id = plan.first_new_id
    with osmium.SimpleWriter(str(xml_path)) as writer:
        entities = osmium.osm.NODE | osmium.osm.WAY
        for obj in osmium.FileProcessor(osmium.io.File(str(path), fmt), entities):
            if obj.is_node():
                if obj.id in plan.used_nodes:
                    writer.add_node(obj)
            elif obj.id in plan.complete:
                writer.add_way(obj)
            elif obj.id in plan.pieces:
                # the first piece keeps the way's id; the others get fresh ids
                # above every way id in the file, mapped back after osmnx
                for i, run in enumerate(plan.pieces.pop(obj.id)):
                    piece_id = obj.id
                    if i:
                        piece_id, next_id = next_id, next_id + 1
                        original[piece_id] = obj.id
                    writer.add_way(obj.replace(id=piece_id, nodes=run))
    return original


def _restore_way_ids(G: nx.MultiDiGraph, original: dict[int, int]) -> None:
    """Give edges built from way pieces their way's OSM id back."""
    for *_, data in G.edges(keys=True, data=True):
        osmid = data.get("osmid")
        if isinstance(osmid, list):
            ids = list(dict.fromkeys(original.get(i, i) for i in osmid))
            data["osmid"] = ids[0] if len(ids) == 1 else ids
        elif osmid in original:
            data["osmid"] = original[osmid]


def read_osm(
    path: str | Path,
    *,
    network_type: str | None = "drive",
    retain_all: bool = True,
    progress: bool = False,
) -> tuple[nx.MultiDiGraph, OsmReadCounts]:
    """Read an OSM XML or PBF extract into an unprojected osmnx graph.

    Ways are filtered by ``network_type`` (see :func:`way_passes_filter`).
    Ways that reference nodes missing from the file (clipped extracts) are cut
    at the missing nodes and their runs of at least two present nodes kept
    (see :func:`present_runs`); ways with fewer than two present nodes are
    dropped.  The kept ways are written to a temporary OSM XML file and built
    into a simplified graph with :func:`osmnx.graph_from_xml`; edges of a
    truncated way carry that way's OSM id in ``osmid``.  On a file that holds
    every node its ways use, the graph is the one osmnx builds from the same
    ways.  No speeds, no component selection beyond ``retain_all``, no
    projection: see :func:`accessplan.spatial.network.prepare_network`.

    Parameters
    ----------
    path : str or Path
        ``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.xml.bz2``, ``.xml.gz``,
        ``.pbf`` or ``.osm.pbf`` file.
    network_type : str or None, default "drive"
        One of :data:`NETWORK_TYPES`; ``None`` keeps every way, as
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
        Ways read, filtered out, dropped, truncated and kept.

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
    fmt = osm_file_format(path)
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
        try:
            plan = _plan_ways(path, fmt, network_type, bar)
        except RuntimeError as exc:
            raise NetworkError(f"file {path}: cannot read it as OSM data ({exc})") from exc
        counts = plan.counts
        if counts.ways_kept == 0:
            kind = f"{network_type} " if network_type else ""
            raise NetworkError(
                f"file {path}: no {kind}ways left ({counts.ways_read} read, "
                f"{counts.ways_dropped_missing_nodes} with missing nodes (fewer than 2 in the "
                f"file), {counts.ways_dropped_by_filter} filtered out)"
            )
        with tempfile.TemporaryDirectory(prefix="accessplan-osm-") as tmp:
            xml_path = Path(tmp) / "network.osm"
            try:
                original = _write_xml(path, fmt, plan, xml_path)
            except RuntimeError as exc:
                raise NetworkError(f"file {path}: cannot read it as OSM data ({exc})") from exc
            bar.update()
            try:
                G = ox.graph_from_xml(
                    xml_path,
                    bidirectional=network_type in BIDIRECTIONAL_NETWORK_TYPES,
                    simplify=True,
                    retain_all=retain_all,
                )
            except Exception as exc:  # osmnx raises assorted errors on odd data
                raise NetworkError(f"file {path}: osmnx could not build a graph ({exc})") from exc
            bar.update()
    finally:
        bar.close()
    if original:
        _restore_way_ids(G, original)
    return G, counts
