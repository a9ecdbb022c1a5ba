"""Road networks as compact arrays: the lean path for province and country scale.

A :class:`RoadArrays` holds a directed road network the way the travel-time
step uses it, without a :class:`networkx.MultiDiGraph` (whose Python objects
cost about 25 kB per node once osmnx attributes are attached):

* ``node_ids`` (int64 OSM or GraphML node ids, unique), ``x``, ``y`` (float64,
  in ``crs`` units; metres once projected);
* the edges as a CSR structure by tail node: the edges leaving node ``u`` are
  ``indptr[u]:indptr[u + 1]``, their head nodes ``heads`` (int32 node
  positions) and travel times ``seconds`` (float64).

Memory: ``28 n + 12 m`` bytes for ``n`` nodes and ``m`` edges (plus 1 byte per
edge with ``road_class``), i.e. about 70 MB for a network of one million nodes
and 2.5 million edges.

Edge times stay float64 seconds on purpose: shortest paths over float32
minutes would carry a relative rounding of about 6e-8 per edge (about 1e-5
minutes on an hour-long path), and the lean path must give the networkx
path's travel times to 1e-9 minutes.

Parallel edges are collapsed to the fastest and self-loops dropped, exactly as
the travel-time step does with a graph (neither can shorten a path).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pyproj
import scipy.sparse as sp

from accessplan.spatial.errors import NetworkError

__all__ = ["ROAD_CLASSES", "RoadArrays", "collapse_edges", "road_class_codes"]

ROAD_CLASSES: tuple[str, ...] = (
    "other",
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "residential",
    "service",
)
"""Road classes kept per edge (``road_class`` codes index this tuple) for map context.

A ``*_link`` highway counts as its road (``motorway_link`` is ``motorway``);
``unclassified``, ``living_street`` and every other value are ``other``.
"""


def road_class_codes(highways) -> np.ndarray:
    """uint8 :data:`ROAD_CLASSES` codes of OSM ``highway`` values (first of a list)."""
    lookup = {name: code for code, name in enumerate(ROAD_CLASSES)}
    out = np.zeros(len(highways), dtype=np.uint8)
    for k, value in enumerate(highways):
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if isinstance(value, str):
            out[k] = lookup.get(value.removesuffix("_link"), 0)
    return out


def collapse_edges(
    tails: np.ndarray,
    heads: np.ndarray,
    seconds: np.ndarray,
    n_nodes: int,
    road_class: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """CSR arrays of an edge list: self-loops dropped, parallel edges collapsed to the fastest.

    Parameters
    ----------
    tails, heads : numpy.ndarray
        Node positions (``0 .. n_nodes - 1``) of each edge's ends.
    seconds : numpy.ndarray
        Travel time of each edge, finite and >= 0.
    n_nodes : int
        Number of nodes.
    road_class : numpy.ndarray, optional
        uint8 class per edge; the kept (fastest) edge's class survives.

    Returns
    -------
    indptr, heads, seconds, road_class
        ``indptr`` int64 (``n_nodes + 1``), ``heads`` int32, ``seconds``
        float64, sorted by tail then head; ``road_class`` uint8 or None.
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    seconds = np.asarray(seconds, dtype=np.float64)
    keep = tails != heads
    tails, heads, seconds = tails[keep], heads[keep], seconds[keep]
    if road_class is not None:
        road_class = np.asarray(road_class, dtype=np.uint8)[keep]
    order = np.lexsort((seconds, heads, tails))
    tails, heads, seconds = tails[order], heads[order], seconds[order]
    first = np.ones(len(tails), dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    tails, heads, seconds = tails[first], heads[first], seconds[first]
    if road_class is not None:
        road_class = road_class[order][first]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tails, minlength=n_nodes), out=indptr[1:])
    return indptr, heads.astype(np.int32), seconds, road_class


@dataclass(frozen=True, eq=False)
class RoadArrays:
    """A directed road network as arrays (see the module docstring).

    Attributes
    ----------
    node_ids : numpy.ndarray
        Node ids, unique (int64 for OSM and osmnx GraphML; object otherwise).
    x, y : numpy.ndarray
        float64 node coordinates in ``crs`` units.
    indptr : numpy.ndarray
        int64, ``n_nodes + 1``: the edges leaving node ``u`` are ``indptr[u]:indptr[u + 1]``.
    heads : numpy.ndarray
        int32 head node position of each edge.
    seconds : numpy.ndarray
        float64 travel time of each edge (finite, >= 0).
    crs : pyproj.CRS
        The CRS of ``x``/``y``.
    road_class : numpy.ndarray or None
        uint8 :data:`ROAD_CLASSES` code per edge (map context), when known.
    source : str
        Where the network came from (file name), for messages.
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    indptr: np.ndarray
    heads: np.ndarray
    seconds: np.ndarray
    crs: pyproj.CRS
    road_class: np.ndarray | None = None
    source: str = "network"

    def __post_init__(self) -> None:
        n = len(self.node_ids)
        problems = []
        if n == 0:
            problems.append("it has no nodes")
        if len(self.x) != n or len(self.y) != n:
            problems.append("x/y do not have one value per node")
        if len(self.indptr) != n + 1 or (n and self.indptr[0] != 0):
            problems.append("indptr must have n_nodes + 1 entries starting at 0")
        elif self.indptr[-1] != len(self.heads) or len(self.seconds) != len(self.heads):
            problems.append("indptr, heads and seconds disagree on the number of edges")
        if self.road_class is not None and len(self.road_class) != len(self.heads):
            problems.append("road_class must have one value per edge")
        if len(self.heads) and (self.heads.min() < 0 or self.heads.max() >= n):
            problems.append("some edge heads are not node positions")
        if len(self.seconds) and not (np.isfinite(self.seconds).all() and self.seconds.min() >= 0):
            problems.append("some edge travel times are not finite numbers >= 0")
        if problems:
            raise NetworkError(f"road network arrays of {self.source}: " + "; ".join(problems))

    @property
    def n_nodes(self) -> int:
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        return len(self.heads)

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        arrays = (self.node_ids, self.x, self.y, self.indptr, self.heads, self.seconds)
        extra = self.road_class.nbytes if self.road_class is not None else 0
        return int(sum(a.nbytes for a in arrays)) + extra

    @property
    def xy(self) -> np.ndarray:
        """``(n_nodes, 2)`` float64 coordinates."""
        return np.column_stack([self.x, self.y])

    def tails(self) -> np.ndarray:
        """int64 tail node position of each edge (expanded from ``indptr``)."""
        return np.repeat(np.arange(self.n_nodes, dtype=np.int64), np.diff(self.indptr))

    def reverse_csr(self) -> sp.csr_matrix:
        """The reversed graph as a CSR matrix of seconds (row ``v``, column ``u`` for ``u -> v``).

        Zero-second edges stay explicit entries (csgraph treats them as free edges).
        """
        forward = sp.csr_matrix(
            (self.seconds, self.heads, self.indptr), shape=(self.n_nodes, self.n_nodes)
        )
        return forward.T.tocsr()

    @classmethod
    def from_graph(cls, G: nx.MultiDiGraph, *, source: str = "graph") -> RoadArrays:
        """Arrays of a prepared osmnx-style graph (node ``x``/``y``, edge ``travel_time`` seconds).

        The graph's node order is kept. Raises :class:`NetworkError` when the
        graph has no CRS, a node lacks coordinates or an edge lacks a valid
        ``travel_time``.
        """
        crs = G.graph.get("crs")
        if crs is None:
            raise NetworkError(f"{source}: the road network has no 'crs' graph attribute")
        nodes = list(G.nodes)
        if not nodes:
            raise NetworkError(f"{source}: the road network has no nodes")
        index = {node: i for i, node in enumerate(nodes)}
        try:
            xy = np.array([(d["x"], d["y"]) for _, d in G.nodes(data=True)], dtype=np.float64)
        except KeyError as exc:
            raise NetworkError(f"{source}: some network nodes have no x/y coordinates") from exc
        tails, heads, seconds, highways = [], [], [], []
        for u, v, data in G.edges(data=True):
            tails.append(index[u])
            heads.append(index[v])
            seconds.append(data.get("travel_time"))
            highways.append(data.get("highway"))
        try:
            secs = np.array([np.nan if s is None else s for s in seconds], dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise NetworkError(f"{source}: some edges have a non-numeric 'travel_time'") from exc
        bad = ~np.isfinite(secs) | (secs < 0)
        if bad.any():
            raise NetworkError(
                f"{source}: {int(bad.sum())} network edges have no valid 'travel_time' (seconds); "
                "prepare the graph with accessplan.spatial.network.prepare_network"
            )
        indptr, heads_arr, secs, road_class = collapse_edges(
            np.array(tails), np.array(heads), secs, len(nodes), road_class_codes(highways)
        )
        ids = np.array(nodes)
        if ids.dtype.kind not in "iu":
            ids = np.array(nodes, dtype=object)
        return cls(
            node_ids=ids.astype(np.int64) if ids.dtype.kind in "iu" else ids,
            x=xy[:, 0].copy(),
            y=xy[:, 1].copy(),
            indptr=indptr,
            heads=heads_arr,
            seconds=secs,
            crs=pyproj.CRS.from_user_input(crs),
            road_class=road_class,
            source=source,
        )

    def describe(self) -> dict[str, Any]:
        """Counts for reports: nodes, edges, megabytes, CRS."""
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "megabytes": round(self.nbytes / 1e6, 1),
            "crs": self.crs.to_string(),
        }
