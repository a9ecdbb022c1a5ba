"""Streaming GraphML reader: an osmnx GraphML file straight into :class:`RoadArrays`.

:func:`read_graphml_arrays` gives what ``load_network(path)`` gives for a
GraphML file (:func:`osmnx.load_graphml`, then
:func:`~accessplan.spatial.network.prepare_network`, then
:meth:`RoadArrays.from_graph`) without building a :class:`networkx.MultiDiGraph`:

* the file (``.graphml``, or gzip-compressed ``.graphml.gz``) is streamed
  through :mod:`xml.parsers.expat` (the parser under
  :mod:`xml.etree.ElementTree`, without building elements): each ``<node>``
  and ``<edge>`` becomes a few array entries as it ends, so memory holds
  arrays only: 40 bytes per edge while reading, about 180 at the peak
  (component search and CSR build; 177 MB for a million edges), against
  about 6.7 kB per edge through networkx;
* the CRS and node coordinates are checked as
  :mod:`accessplan.spatial.network_crs` checks a graph (same errors);
* the largest strongly connected component is the one networkx keeps on
  ties (nodes in file order, neighbours in order of their first edge):
  :func:`accessplan.spatial.road_components.largest_strong_component`;
* without travel times on every kept edge, speeds come from
  :func:`accessplan.spatial.road_speeds.edge_speeds_kph` (osmnx's rules) and
  travel times are, as in :func:`osmnx.add_edge_travel_times`,

  .. math:: t_e = \\frac{\\ell_e / 1000}{v_e / 3600} \\quad\\text{seconds}

  for length :math:`\\ell_e` in metres and speed :math:`v_e` in km/h;
* nodes keep their file order; they are projected with pyproj to the CRS ``prepare_network`` picks
  (``to_crs``, else the graph's own CRS when it is projected in metres, else
  the UTM zone geopandas estimates from the node bounds, or UPS beyond 84 N /
  80 S as osmnx does): :func:`accessplan.spatial.node_crs.project_nodes`.

GraphML values are text: osmnx writes list-valued attributes (simplified
edges) as Python literals, ``"['primary', 'secondary']"``, which are read back
with :func:`ast.literal_eval` as osmnx does.

Differences from the networkx path, all on files osmnx does not write: data
keys typed ``double``/``int`` are read (osmnx refuses them), attributes
accessplan does not use (``osmid``, ``oneway``, ``geometry``...) are not
validated, nested graphs and hyperedges are refused, and two ``<edge>``
elements with the same source, target and ``id`` stay two edges (networkx
merges them).
"""

from __future__ import annotations

import ast
import gzip
import math
import zlib
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network import SPEED_SOURCES, NetworkReport, check_speed_options
from accessplan.spatial.network_crs import crs_string, metre_target_crs, parse_crs
from accessplan.spatial.node_crs import check_node_coordinates, project_nodes
from accessplan.spatial.road_arrays import RoadArrays, collapse_edges, road_class_codes
from accessplan.spatial.road_components import largest_strong_component
from accessplan.spatial.road_speeds import edge_seconds, edge_speeds_kph

__all__ = [
    "GRAPHML_SUFFIXES",
    "check_node_coordinates",
    "largest_strong_component",
    "project_nodes",
    "read_graphml_arrays",
]

GRAPHML_SUFFIXES: tuple[str, ...] = (".graphml", ".graphml.gz")
"""File name endings read as GraphML."""


# --------------------------------------------------------------------------
# Streaming the file
# --------------------------------------------------------------------------


class _Codes:
    """Distinct text values of one edge attribute, coded as int32 (-1: missing)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.codes = array("i")

    def add(self, text: str | None) -> None:
        if text is None:
            self.codes.append(-1)
            return
        code = self.index.get(text)
        if code is None:
            code = self.index[text] = len(self.index)
        self.codes.append(code)

    def values(self) -> list[Any]:
        """The decoded values, list literals read as osmnx reads them."""
        return [_literal(text) for text in self.index]


def _literal(text: str) -> Any:
    if (text.startswith("[") and text.endswith("]")) or (
        text.startswith("{") and text.endswith("}")
    ):
        try:
            return ast.literal_eval(text)
        except (SyntaxError, ValueError):
            return text
    return text


def _number(text: str | None, what: str, *, lists: bool = True) -> float:
    """A float as osmnx converts it.

    An edge's list of numbers (osmnx converts each item) is NaN: never a valid
    length or time.  A node's list is an error, as in osmnx.
    """
    if text is None:
        return math.nan
    try:
        return float(text)
    except ValueError:
        pass
    value = _literal(text)
    if isinstance(value, list) and lists:
        for item in value:
            try:
                float(item)  # osmnx converts each item: a bad one is a read error
            except (TypeError, ValueError):
                raise ValueError(f"{what} {text!r} is not a number") from None
        return math.nan
    raise ValueError(f"{what} {text!r} is not a number")


@dataclass
class _Parsed:
    crs: str | None
    directed: bool
    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    has_xy: np.ndarray  # uint8: bit 0 x given, bit 1 y given
    edge_tails: np.ndarray  # node ids
    edge_heads: np.ndarray
    length: np.ndarray
    travel_time: np.ndarray
    highway: np.ndarray
    highway_values: list[Any]
    maxspeed: np.ndarray
    maxspeed_values: list[Any]


def _open(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


class _GraphEnd(Exception):
    """Raised by the parser's handler at the end of the first graph (networkx reads only it)."""


#: The attributes read (node x/y, edge numbers and highway/maxspeed, graph crs); others are skipped.
_READ_FIELDS = frozenset(
    {"x", "y", "length", "travel_time", "speed_kph", "highway", "maxspeed", "crs"}
)


def _parse(path: Path) -> _Parsed:
    """One pass of an expat parser over the file: elements become array entries as they end."""
    keys: dict[str, str] = {}
    state: dict[str, Any] = {"graphs": 0, "crs": None, "directed": True}
    node_ids, xs, ys, has_xy = array("q"), array("d"), array("d"), bytearray()
    tails, heads, lengths, times = array("q"), array("q"), array("d"), array("d")
    highway, maxspeed = _Codes(), _Codes()
    values: dict[str, str] = {}  # <data> of the current node or edge, by attribute name
    graph_values: dict[str, str] = {}
    text: list[str] = []
    where = ["graphml"]  # the element whose <data> is being read: graph, node or edge
    key_of_data = [None]
    parser = expat.ParserCreate()

    def start_data(attrs: dict[str, str]) -> None:
        name = keys.get(attrs.get("key"))
        if name is None:
            raise ValueError(f"no <key> declared for data key {attrs.get('key')!r}")
        if name in _READ_FIELDS:  # the text of other attributes is skipped
            key_of_data[0] = name
            text.clear()
            parser.CharacterDataHandler = text.append

    def end_data() -> None:
        if key_of_data[0] is not None:
            parser.CharacterDataHandler = None
            target = graph_values if where[0] == "graph" else values
            target[key_of_data[0]] = "".join(text)  # an empty <data> is "", as in networkx
            key_of_data[0] = None

    def start(name: str, attrs: dict[str, str]) -> None:
        if name == "data":  # most elements: the fast path
            start_data(attrs)
            return
        kind = name.rpartition(":")[2]  # a prefixed name, graphml:node
        if kind == "data":
            start_data(attrs)
        elif kind == "node" or kind == "edge":
            if where[0] != "graph":
                raise ValueError(f"<{kind}> outside a graph or nested in a node or edge")
            where[0] = kind
            values.clear()
            state["attrs"] = attrs
        elif kind == "key":
            keys[attrs.get("id")] = attrs.get("attr.name") or attrs.get("id")
        elif kind == "graph":
            state["graphs"] += 1
            if state["graphs"] > 1:
                raise ValueError("nested graphs are not supported")
            where[0] = "graph"
            state["directed"] = attrs.get("edgedefault", "directed") != "undirected"
        elif kind == "hyperedge":
            raise ValueError("hyperedges are not supported")

    def end_node() -> None:
        node_id = int(state["attrs"].get("id"))
        try:
            x = _number(values.get("x"), "x", lists=False)
            y = _number(values.get("y"), "y", lists=False)
        except ValueError as exc:
            raise ValueError(f"node {node_id}: {exc}") from None
        node_ids.append(node_id)
        xs.append(x)
        ys.append(y)
        has_xy.append(("x" in values) + 2 * ("y" in values))  # bit 0: x given, bit 1: y

    def end_edge() -> None:
        attrs = state["attrs"]
        source, target = int(attrs.get("source")), int(attrs.get("target"))
        direction = attrs.get("directed")
        if direction is not None and (direction == "true") != state["directed"]:
            raise ValueError(
                f"edge {source} -> {target}: directed={direction} in a graph whose edges "
                f"are {'directed' if state['directed'] else 'undirected'}"
            )
        try:
            length = _number(values.get("length"), "length")
            seconds = _number(values.get("travel_time"), "travel_time")
            _number(values.get("speed_kph"), "speed_kph")
        except ValueError as exc:
            raise ValueError(f"edge {source} -> {target}: {exc}") from None
        tails.append(source)
        heads.append(target)
        lengths.append(length)
        times.append(seconds)
        highway.add(values.get("highway"))
        maxspeed.add(values.get("maxspeed"))

    def end(name: str) -> None:
        if name == "data":
            end_data()
            return
        kind = name.rpartition(":")[2]
        if kind == "data":
            end_data()
        elif kind == "node":
            end_node()
            where[0] = "graph"
        elif kind == "edge":
            end_edge()
            where[0] = "graph"
        elif kind == "graph":
            state["crs"] = graph_values.get("crs")
            raise _GraphEnd

    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    with _open(path) as stream:
        try:
            parser.ParseFile(stream)
        except _GraphEnd:
            pass
    if state["graphs"] == 0:
        raise ValueError("no <graph> element")
    return _Parsed(
        crs=state["crs"],
        directed=state["directed"],
        node_ids=np.frombuffer(node_ids, dtype=np.int64),
        x=np.frombuffer(xs, dtype=np.float64),
        y=np.frombuffer(ys, dtype=np.float64),
        has_xy=np.frombuffer(bytes(has_xy), dtype=np.uint8),
        edge_tails=np.frombuffer(tails, dtype=np.int64),
        edge_heads=np.frombuffer(heads, dtype=np.int64),
        length=np.frombuffer(lengths, dtype=np.float64),
        travel_time=np.frombuffer(times, dtype=np.float64),
        highway=np.frombuffer(highway.codes, dtype=np.int32),
        highway_values=highway.values(),
        maxspeed=np.frombuffer(maxspeed.codes, dtype=np.int32),
        maxspeed_values=maxspeed.values(),
    )


# --------------------------------------------------------------------------
# From parsed arrays to RoadArrays
# --------------------------------------------------------------------------


def _index_nodes(parsed: _Parsed) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Unique nodes in file order (a repeated ``<node>`` updates the first, as networkx does).

    Returns node ids, x, y, whether each node has both coordinates and the
    number of node ids that edges name but no ``<node>`` declares (networkx
    adds those without coordinates).
    """
    ids, x, y, has_xy = parsed.node_ids, parsed.x, parsed.y, parsed.has_xy
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    repeated = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if len(repeated):
        keep = np.ones(len(ids), dtype=bool)
        x, y, has_xy = x.copy(), y.copy(), has_xy.copy()
        groups: dict[int, list[int]] = {}
        for k in repeated:
            groups.setdefault(int(sorted_ids[k]), [int(order[k])]).append(int(order[k + 1]))
        for positions in groups.values():
            first, later = positions[0], positions[1:]
            for p in later:
                if has_xy[p] & 1:
                    x[first] = x[p]
                if has_xy[p] & 2:
                    y[first] = y[p]
                has_xy[first] |= has_xy[p]
                keep[p] = False
        ids, x, y, has_xy = ids[keep], x[keep], y[keep], has_xy[keep]
    undeclared = np.setdiff1d(
        np.union1d(parsed.edge_tails, parsed.edge_heads), ids, assume_unique=False
    )
    return ids, x, y, has_xy == 3, len(undeclared)


def _positions(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    order = np.argsort(ids, kind="stable")
    return order[np.searchsorted(ids[order], wanted)]


def _directed_edges(parsed: _Parsed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge ends as node ids and, per directed edge, the index of its ``<edge>`` element.

    An undirected file becomes both directions of every edge (one for a
    self-loop), as ``networkx.MultiDiGraph(undirected_graph)`` does.
    """
    tails, heads = parsed.edge_tails, parsed.edge_heads
    element = np.arange(len(tails), dtype=np.int64)
    if parsed.directed:
        return tails, heads, element
    loop = tails == heads
    both_t = np.column_stack([tails, heads]).ravel()
    both_h = np.column_stack([heads, tails]).ravel()
    both_e = np.repeat(element, 2)
    drop = np.zeros(len(both_t), dtype=bool)
    drop[1::2] = loop
    return both_t[~drop], both_h[~drop], both_e[~drop]


def _valid(seconds: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.isfinite(seconds) & (seconds >= 0)


def _edge_seconds(
    parsed: _Parsed,
    elements: np.ndarray,
    *,
    speed_kph: float | None,
    fallback_speed_kph: float | None,
    source: str,
) -> tuple[np.ndarray, str, dict[str, int]]:
    """Travel seconds of the kept edges (``elements``: their ``<edge>`` index), as prepare_network."""
    length = parsed.length[elements]
    no_length = int((~_valid(length)).sum())
    times = parsed.travel_time[elements]
    if speed_kph is not None:
        if no_length:
            raise NetworkError(f"{source}: {no_length} edges have no valid 'length'")
        return (
            edge_seconds(length, float(speed_kph)),
            "constant",
            {"constant speed_kph": len(elements)},
        )
    if _valid(times).all():
        return times, "kept", {"graph attribute": len(elements)}
    if no_length:
        raise NetworkError(f"{source}: {no_length} edges have no valid 'length'")
    highway_codes = parsed.highway[elements]
    no_highway = int((highway_codes < 0).sum())
    if no_highway:
        raise NetworkError(
            f"{source}: no travel time possible: {no_highway} edges have neither "
            "'travel_time' nor 'highway' (pass speed_kph for a constant speed)"
        )
    highways = [parsed.highway_values[c] for c in highway_codes.tolist()]
    maxspeeds = [
        parsed.maxspeed_values[c] if c >= 0 else None for c in parsed.maxspeed[elements].tolist()
    ]
    speeds, counts = edge_speeds_kph(
        highways, maxspeeds, fallback_speed_kph=fallback_speed_kph, source=source
    )
    counts = {key: int(counts.get(key, 0)) for key in SPEED_SOURCES}
    return edge_seconds(length, speeds), "maxspeed", counts


def read_graphml_arrays(
    path: str | Path,
    *,
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
    to_crs: Any = None,
) -> tuple[RoadArrays, NetworkReport]:
    """Read an osmnx GraphML file into road arrays, streaming, as ``load_network`` prepares it.

    Parameters
    ----------
    path : str or Path
        ``.graphml`` or ``.graphml.gz`` (gzip) file.
    fallback_speed_kph : float, optional
        Speed for highway types without any ``maxspeed`` (used only when some
        kept edge has no valid ``travel_time``).
    speed_kph : float, optional
        One constant speed for every edge; replaces the file's travel times.
    to_crs : CRS-like, optional
        Target projected CRS in metres; default: the file's CRS when it is
        projected in metres, else the UTM zone osmnx picks.

    Returns
    -------
    arrays : RoadArrays
        The largest strongly connected component, projected, nodes in file
        order, parallel edges collapsed to the fastest.
    report : NetworkReport
        Equal to the report of ``load_network(path, ...)``.

    Raises
    ------
    InputFileError
        If the file does not exist or is not a file.
    NetworkError
        If it is not GraphML (XML, gzip or number errors name the element),
        the network is empty, has no ``crs``, nodes lack coordinates, no edge
        is left in the largest strongly connected component or travel times
        cannot be computed.
    NetworkCRSError
        For an invalid CRS or ``to_crs``, and for coordinates that do not fit
        the CRS (metres labelled EPSG:4326, non-finite, beyond the Earth).
    """
    path = Path(path)
    source = str(path)
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")
    try:
        parsed = _parse(path)
    except (expat.ExpatError, ValueError, TypeError, OSError, EOFError, zlib.error) as exc:
        raise NetworkError(f"file {path}: cannot read it as GraphML ({exc})") from exc

    ids, x, y, has_xy, undeclared = _index_nodes(parsed)
    tail_ids, head_ids, elements = _directed_edges(parsed)
    n_nodes, n_edges = len(ids) + undeclared, len(tail_ids)
    if n_nodes == 0 or n_edges == 0:
        raise NetworkError(
            f"{source}: the road network is empty ({n_nodes} nodes, {n_edges} edges)"
        )
    if parsed.crs is None:
        raise NetworkError(f"{source}: the graph has no 'crs' attribute")
    graph_crs = parse_crs(parsed.crs, source=source, what="the graph's crs")
    metre_target_crs(to_crs, source=source)
    no_xy = undeclared + int((~has_xy).sum())
    if no_xy:
        raise NetworkError(f"{source}: {no_xy} nodes have no x/y coordinates")
    check_node_coordinates(ids, x, y, graph_crs, source=source)
    check_speed_options(speed_kph=speed_kph, fallback_speed_kph=fallback_speed_kph, source=source)

    tails, heads = _positions(ids, tail_ids), _positions(ids, head_ids)
    del tail_ids, head_ids
    keep, others = largest_strong_component(n_nodes, tails, heads)
    kept_edges = keep[tails] & keep[heads]
    nodes_kept, edges_kept = int(keep.sum()), int(kept_edges.sum())
    if edges_kept == 0:
        raise NetworkError(
            f"{source}: no travel time possible: the largest strongly connected component "
            f"has {nodes_kept} node(s) and no edge"
        )
    new_position = np.cumsum(keep) - 1
    tails, heads = new_position[tails[kept_edges]], new_position[heads[kept_edges]]
    elements = elements[kept_edges]
    seconds, speeds, sources = _edge_seconds(
        parsed, elements, speed_kph=speed_kph, fallback_speed_kph=fallback_speed_kph, source=source
    )
    bad = int((~_valid(seconds)).sum())
    if bad:
        raise NetworkError(
            f"{source}: no travel time possible on {bad} edges (zero, missing or unparsable "
            "speeds); pass fallback_speed_kph or speed_kph"
        )

    ids, x, y = ids[keep], x[keep], y[keep]
    x, y, crs = project_nodes(x, y, graph_crs, to_crs=to_crs, source=source)
    check_node_coordinates(ids, x, y, crs, source=source, projected=True)

    # one code per distinct highway value, then "other" (0) for edges without one
    class_of_value = np.append(road_class_codes(parsed.highway_values), np.uint8(0))
    codes = parsed.highway[elements]
    road_class = class_of_value[np.where(codes >= 0, codes, len(class_of_value) - 1)]
    indptr, heads32, seconds, road_class = collapse_edges(
        tails, heads, seconds, nodes_kept, road_class
    )
    arrays = RoadArrays(
        node_ids=ids,
        x=np.ascontiguousarray(x),
        y=np.ascontiguousarray(y),
        indptr=indptr,
        heads=heads32,
        seconds=seconds,
        crs=crs,
        road_class=road_class,
        source=source,
    )
    sources = {key: n for key, n in sources.items() if n}
    report = NetworkReport(
        source=source,
        network_type=None,
        nodes_read=n_nodes,
        edges_read=n_edges,
        nodes_kept=nodes_kept,
        edges_kept=edges_kept,
        nodes_dropped=n_nodes - nodes_kept,
        edges_dropped=n_edges - edges_kept,
        ways_read=0,
        ways_dropped_missing_nodes=0,
        ways_dropped_by_filter=0,
        speeds=speeds,
        edges_speed_imputed=edges_kept - sources.get("maxspeed", 0) if speeds == "maxspeed" else 0,
        fallback_speed_kph=fallback_speed_kph if speeds == "maxspeed" else None,
        crs=crs_string(crs),
        components_dropped=others,
        speeds_imputed=sources,
    )
    return arrays, report
