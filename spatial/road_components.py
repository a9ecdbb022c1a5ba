"""The largest strongly connected component of a road network given as edge arrays.

osmnx keeps ``max(networkx.strongly_connected_components(G), key=len)``: on a
tie for the largest size, the component networkx's Tarjan search completes
first, the search visiting nodes in their order and each node's neighbours in
the order the graph stores them (by the first edge added between the two).

:func:`largest_strong_component` finds the same component with
:func:`scipy.sparse.csgraph.connected_components`: scipy's search takes the
last-pushed neighbour first, so each node's neighbours are handed to it from
the last-added to the first-added, and scipy numbers the components in the
order it completes them, so the lowest label among the largest components is
the one networkx lists first.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["largest_strong_component"]


def largest_strong_component(
    n_nodes: int,
    tails: np.ndarray,
    heads: np.ndarray,
    *,
    edge_order: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """The largest strongly connected component, the one networkx (and osmnx) keeps on ties.

    Parameters
    ----------
    n_nodes : int
    tails, heads : numpy.ndarray
        Node positions of each edge.
    edge_order : numpy.ndarray, optional
        Per edge, the rank at which it was added to the graph: a node's
        neighbours are ordered by the lowest rank of the edges to them, as in a
        networkx adjacency.  Default: the edges' own order.

    Returns
    -------
    keep : numpy.ndarray
        bool per node: in the kept component.
    others : int
        Number of other strongly connected components.
    """
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    if edge_order is None:
        first_edge = np.arange(len(tails), dtype=np.int64)
    else:
        first_edge = np.asarray(edge_order, dtype=np.int64)
    order = np.lexsort((first_edge, heads, tails))
    t, h, e = tails[order], heads[order], first_edge[order]
    first = np.ones(len(t), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    t, h, e = t[first], h[first], e[first]
    # per node, neighbours from the last-added to the first-added (scipy pops the last pushed)
    order = np.lexsort((-e, t))
    t, h = t[order], h[order]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=n_nodes), out=indptr[1:])
    graph = sp.csr_matrix(
        (np.ones(len(h), dtype=np.float64), h.astype(np.int32), indptr), shape=(n_nodes, n_nodes)
    )
    count, labels = connected_components(graph, directed=True, connection="strong")
    if count == 1:
        return np.ones(n_nodes, dtype=bool), 0
    sizes = np.bincount(labels, minlength=count)
    chosen = int(np.argmax(sizes))  # the first label of the largest size: first completed
    return labels == chosen, count - 1
