"""Simplification of an OSM road network held as arrays (osmnx's rules, no graph).

The unsimplified network is a directed multigraph given by node positions
``0 .. n - 1`` and segment arrays ``tails``, ``heads``, ``length`` (metres),
in the order osmnx adds the segments to its graph. :func:`simplify` gives the
graph :func:`osmnx.simplify_graph` would give:

* node ``v`` is an **end point** when it has a self-loop, no incoming or no
  outgoing segment, or does not have exactly two distinct neighbours with
  ``deg(v) = in(v) + out(v)`` of 2 or 4 (:func:`endpoints`);
* every chain ``v0 -> v1 -> ... -> vk`` from an end point through other nodes
  to the next end point becomes one edge of length

  .. math:: \\ell = \\sum_{i=1}^{k} \\ell(v_{i-1}, v_i) \\quad\\text{metres}

  summed in path order; its nodes ``v1 .. v(k-1)`` are removed;
* weak components without any end point (isolated rings) are dropped.

A merged edge's ``highway`` and ``maxspeed`` are the distinct values of its
segments' ways: the one value, or a list in the order of a Python set, as
osmnx builds it (:func:`edge_tags`).

The adjacency key of each edge (:attr:`Simplified.adjacency_key`) orders a
node's neighbours as networkx stores them, for
:func:`~accessplan.spatial.road_components.largest_strong_component`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from accessplan.spatial.errors import NetworkError

__all__ = [
    "Simplified",
    "edge_tags",
    "endpoints",
    "merged_values",
    "simplify",
    "unique_first",
]


def unique_first(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and the index of each one's first occurrence.

    A stable sort: much faster than :func:`numpy.unique` on int64 ids in numpy 2.4.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional array.

    Returns
    -------
    distinct : numpy.ndarray
        The distinct values, sorted.
    first : numpy.ndarray
        int64 index into ``values`` of each distinct value's first occurrence.
    """
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first], order[first]


# --------------------------------------------------------------------------
# Simplification
# --------------------------------------------------------------------------


def endpoints(n: int, tails: np.ndarray, heads: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """osmnx's end-point rules on a directed multigraph given as an edge list.

    Parameters
    ----------
    n : int
        Number of nodes.
    tails, heads : numpy.ndarray
        Node positions of each edge.
    pairs : numpy.ndarray
        The sorted distinct ``tail * n + head`` keys of the edges (int64).

    Returns
    -------
    numpy.ndarray
        bool per node: an end point (module rules).
    """
    out_degree = np.bincount(tails, minlength=n)
    in_degree = np.bincount(heads, minlength=n)
    degree = out_degree + in_degree
    pair_tail, pair_head = pairs // n, pairs % n
    # neighbours = distinct successors + distinct predecessors - those that are both
    turned = pair_head * n + pair_tail
    found = np.minimum(np.searchsorted(pairs, turned), max(len(pairs) - 1, 0))
    mutual = pairs[found] == turned
    neighbours = (
        np.bincount(pair_tail, minlength=n)
        + np.bincount(pair_head, minlength=n)
        - np.bincount(pair_tail[mutual], minlength=n)
    )
    self_loop = np.zeros(n, dtype=bool)
    self_loop[pair_tail[pair_tail == pair_head]] = True
    through = (neighbours == 2) & ((degree == 2) | (degree == 4))
    return self_loop | (out_degree == 0) | (in_degree == 0) | ~through


@dataclass
class Simplified:
    """The simplified graph: surviving nodes and its edges (originals first, then merged paths).

    Attributes
    ----------
    keep_node : numpy.ndarray
        bool per unsimplified node: still a node of the simplified graph.
    tails, heads : numpy.ndarray
        int64 positions among the unsimplified nodes.
    length : numpy.ndarray
        float64 metres per edge.
    segment : numpy.ndarray
        int64 the segment of an original edge, -1 for merged edges.
    path : numpy.ndarray
        int64 the path of a merged edge, -1 for original edges.
    path_starts : numpy.ndarray
        int64: the segments of path ``k`` are ``path_segments[path_starts[k]:path_starts[k + 1]]``.
    path_segments : numpy.ndarray
        int64 segment ids, path by path, in path order.
    adjacency_key : numpy.ndarray
        int64: networkx's insertion rank of the edge's (tail, head) pair.
    """

    keep_node: np.ndarray
    tails: np.ndarray
    heads: np.ndarray
    length: np.ndarray
    segment: np.ndarray
    path: np.ndarray
    path_starts: np.ndarray
    path_segments: np.ndarray
    adjacency_key: np.ndarray


def simplify(n: int, tails: np.ndarray, heads: np.ndarray, length: np.ndarray) -> Simplified:
    """Simplify the unsimplified network as :func:`osmnx.simplify_graph` does (module rules).

    Parameters
    ----------
    n : int
        Number of nodes.
    tails, heads : numpy.ndarray
        Node positions of each segment, in the order osmnx adds them.
    length : numpy.ndarray
        float64 metres per segment.

    Returns
    -------
    Simplified
        Original edges (segments between two kept nodes) first, then one edge
        per merged path; isolated rings dropped.

    Raises
    ------
    NetworkError
        If the path walk does not finish (it always does within ``n`` steps).
    """
    n_segments = len(tails)
    unique_key, first_segment = unique_first(tails.astype(np.int64) * n + heads)
    pair_tail, pair_head = unique_key // n, unique_key % n
    adjacency = np.lexsort((first_segment, pair_tail))
    pair_tail, pair_head = pair_tail[adjacency], pair_head[adjacency]
    first_segment = first_segment[adjacency]
    endpoint = endpoints(n, tails, heads, unique_key)

    # the (at most two) distinct successors of every node, in adjacency order
    successors = np.bincount(pair_tail, minlength=n)
    start = np.searchsorted(pair_tail, np.arange(n))
    succ_a = np.full(n, -1, dtype=np.int64)
    succ_b = np.full(n, -1, dtype=np.int64)
    seg_a = np.full(n, -1, dtype=np.int64)
    seg_b = np.full(n, -1, dtype=np.int64)
    one = np.flatnonzero(successors >= 1)
    succ_a[one], seg_a[one] = pair_head[start[one]], first_segment[start[one]]
    two = np.flatnonzero(~endpoint & (successors >= 2))
    succ_b[two], seg_b[two] = pair_head[start[two] + 1], first_segment[start[two] + 1]
    del successors, start, one, two

    # paths start at an end point and one of its successors that is not one
    begins = np.flatnonzero(endpoint[pair_tail] & ~endpoint[pair_head])
    origin = pair_tail[begins]
    n_paths = len(origin)
    path_length = length[first_segment[begins]].copy()
    destination = np.full(n_paths, -1, dtype=np.int64)
    step_path = [np.arange(n_paths)]
    step_segment = [first_segment[begins]]
    interior = []
    previous = origin.copy()
    current = pair_head[begins].copy()
    active = np.arange(n_paths)
    del begins, pair_tail, pair_head
    first_step = True
    for _ in range(n + 2):
        if not len(active):
            break
        t, p, e = current[active], previous[active], origin[active]
        a, b = succ_a[t], succ_b[t]
        take_a = (a >= 0) & (a != p) & (a != e)
        take_b = (b >= 0) & (b != p) & (b != e)
        nxt = np.where(take_a, a, np.where(take_b, b, -1))
        nxt_segment = np.where(take_a, seg_a[t], seg_b[t])
        stuck = nxt < 0
        if first_step:
            closes = np.zeros(len(t), dtype=bool)
            first_step = False
        else:  # back at the start: a ring through the origin
            closes = stuck & ((a == e) | (b == e))
        dangling = stuck & ~closes
        interior.append(t[~dangling])
        destination[active[dangling]] = t[dangling]
        destination[active[closes]] = e[closes]
        moved = ~stuck
        step = np.where(closes, np.where(a == e, seg_a[t], seg_b[t]), nxt_segment)
        extend = closes | moved
        path_length[active[extend]] += length[step[extend]]
        step_path.append(active[extend])
        step_segment.append(step[extend])
        arrived = moved & endpoint[np.maximum(nxt, 0)]
        destination[active[arrived]] = nxt[arrived]
        going = moved & ~arrived
        previous[active[going]] = t[going]
        current[active[going]] = nxt[going]
        active = active[going]
    else:  # pragma: no cover - every path ends within n steps
        raise NetworkError("road network simplification did not finish")

    del succ_a, succ_b, seg_a, seg_b, previous, current, endpoint
    removed = np.zeros(n, dtype=bool)
    if interior:
        removed[np.concatenate(interior)] = True
    del interior
    order_path = np.concatenate(step_path)
    del step_path
    by_path = np.argsort(order_path, kind="stable")
    path_starts = np.searchsorted(order_path[by_path], np.arange(n_paths + 1))
    del order_path
    order_segment = np.concatenate(step_segment)[by_path]
    del step_segment, by_path

    keep_segment = ~removed[tails] & ~removed[heads]
    keep_path = ~removed[destination]
    original = np.flatnonzero(keep_segment)
    merged = np.flatnonzero(keep_path)
    # networkx keeps a neighbour where it was first inserted; merged edges come after
    first_of_key = np.empty(len(unique_key), dtype=np.int64)
    first_of_key[adjacency] = first_segment
    original_key = tails[original].astype(np.int64) * n + heads[original]
    pair_rank = first_of_key[np.searchsorted(unique_key, original_key)]
    merged_key = origin[merged] * n + destination[merged]
    found = np.minimum(np.searchsorted(unique_key, merged_key), len(unique_key) - 1)
    exists = unique_key[found] == merged_key
    merged_rank = np.where(exists, first_of_key[found], n_segments + merged)
    del first_of_key, unique_key, adjacency, first_segment, original_key, found, exists

    result_tails = np.concatenate([tails[original], origin[merged]])
    result_heads = np.concatenate([heads[original], destination[merged]])
    keep_node = ~removed

    # isolated rings (no end point in their weak component) are dropped
    nodes = np.flatnonzero(keep_node)
    position = np.full(n, -1, dtype=np.int64)
    position[nodes] = np.arange(len(nodes))
    t_pos, h_pos = position[result_tails], position[result_heads]
    m = len(nodes)
    ends_now = endpoints(m, t_pos, h_pos, unique_first(t_pos * m + h_pos)[0])
    graph = sp.csr_matrix((np.ones(len(t_pos)), (t_pos, h_pos)), shape=(m, m))
    _, weak = connected_components(graph, directed=True, connection="weak")
    component_has_end = np.zeros(weak.max() + 1 if m else 0, dtype=bool)
    component_has_end[weak[ends_now]] = True
    ring = ~component_has_end[weak]
    keep_node[nodes[ring]] = False
    keep_edge = ~ring[t_pos]

    return Simplified(
        keep_node=keep_node,
        tails=result_tails[keep_edge],
        heads=result_heads[keep_edge],
        length=np.concatenate([length[original], path_length[merged]])[keep_edge],
        segment=np.concatenate([original, np.full(len(merged), -1)])[keep_edge],
        path=np.concatenate([np.full(len(original), -1), merged])[keep_edge],
        path_starts=path_starts,
        path_segments=order_segment,
        adjacency_key=np.concatenate([pair_rank, merged_rank])[keep_edge],
    )


# --------------------------------------------------------------------------
# Edge tags after simplification
# --------------------------------------------------------------------------


def merged_values(codes: np.ndarray, values: list[str], as_list: bool) -> Any:
    """One merged edge's value, built as osmnx builds it from its segments' values.

    Parameters
    ----------
    codes : numpy.ndarray
        The segments' value codes in path order (-1: no value).
    values : list of str
        The values the codes stand for.
    as_list : bool
        Several distinct values give a list (in the order of a Python set);
        otherwise the first of that list.

    Returns
    -------
    str, list of str or None
    """
    present = [values[c] for c in dict.fromkeys(codes.tolist()) if c >= 0]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    # osmnx keeps the distinct values as list(set(...)): the order of this very set
    distinct = list(set(present))
    return distinct if as_list else distinct[0]


def edge_tags(
    simplified: Simplified,
    edges: np.ndarray,
    segment_way: np.ndarray,
    way_codes: np.ndarray,
    values: list[str],
    *,
    as_list: bool,
) -> np.ndarray:
    """One tag's value per edge of the simplified graph, as osmnx merges it.

    Parameters
    ----------
    simplified : Simplified
        The simplified graph.
    edges : numpy.ndarray
        Indices of the wanted edges of ``simplified``.
    segment_way : numpy.ndarray
        The way of each unsimplified segment.
    way_codes : numpy.ndarray
        The tag's value code per way (-1: no value).
    values : list of str
        The values the codes stand for.
    as_list : bool
        Keep several distinct values as a list (``maxspeed``) or only the
        first of it (``highway``).

    Returns
    -------
    numpy.ndarray
        Object array: a value, a list of values or None per edge.
    """
    out = np.empty(len(edges), dtype=object)
    segment = simplified.segment[edges]
    original = segment >= 0
    table = np.array([*values, None], dtype=object)  # code -1 reads None
    out[original] = table[way_codes[segment_way[segment[original]]]]
    merged = np.flatnonzero(~original)
    if not len(merged):
        return out
    starts = simplified.path_starts
    codes = way_codes[segment_way[simplified.path_segments]].astype(np.int64)
    big = np.iinfo(np.int64).max
    low = np.minimum.reduceat(np.where(codes >= 0, codes, big), starts[:-1])
    high = np.maximum.reduceat(codes, starts[:-1])
    paths = simplified.path[edges[merged]]
    lo, hi = low[paths], high[paths]
    single = (lo == hi) & (hi >= 0)
    out[merged[single]] = table[hi[single]]
    out[merged[hi < 0]] = None
    for k in np.flatnonzero(~single & (hi >= 0)):
        path = paths[k]
        out[merged[k]] = merged_values(codes[starts[path] : starts[path + 1]], values, as_list)
    return out
