"""Largest strongly connected component on edge arrays: networkx's choice, ties included."""

from __future__ import annotations

import networkx as nx
import numpy as np

from accessplan.spatial.road_components import largest_strong_component


def _networkx_choice(n: int, tails: np.ndarray, heads: np.ndarray, rank: np.ndarray) -> set[int]:
    """osmnx's pick on a graph whose edges are added in ``rank`` order."""
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(n))
    for k in np.argsort(rank, kind="stable").tolist():
        G.add_edge(int(tails[k]), int(heads[k]))
    return max(nx.strongly_connected_components(G), key=len)


def test_edge_order_ranks_neighbours_as_networkx_adjacency():
    """Brute force: random multigraphs, each (tail, head) pair with its own insertion rank."""
    rng = np.random.default_rng(7)
    ties = 0
    for _ in range(300):
        n = int(rng.integers(2, 25))
        tails = rng.integers(0, n, int(rng.integers(1, 3 * n)))
        heads = rng.integers(0, n, len(tails))
        _, pair = np.unique(tails * n + heads, return_inverse=True)
        rank = rng.permutation(3 * (pair.max() + 1))[pair]  # one rank per pair, gaps allowed
        keep, others = largest_strong_component(n, tails, heads, edge_order=rank)
        G = nx.MultiDiGraph()
        G.add_nodes_from(range(n))
        G.add_edges_from(zip(tails.tolist(), heads.tolist(), strict=True))
        components = list(nx.strongly_connected_components(G))
        largest = max(len(c) for c in components)
        ties += sum(len(c) == largest for c in components) > 1
        assert set(np.flatnonzero(keep).tolist()) == _networkx_choice(n, tails, heads, rank)
        assert others == len(components) - 1
    assert ties > 50


def test_two_equal_rings_first_neighbour_decides():
    """Node 0 reaches both 3-rings; networkx completes the ring of its first-added neighbour."""
    tails = np.array([0, 0, 1, 2, 3, 4, 5, 6])
    heads = np.array([1, 4, 2, 3, 1, 5, 6, 4])
    keep, others = largest_strong_component(7, tails, heads)
    assert np.flatnonzero(keep).tolist() == [1, 2, 3]
    rank = np.array([1, 0, 2, 3, 4, 5, 6, 7])  # the edge to 4 was added first
    keep, others = largest_strong_component(7, tails, heads, edge_order=rank)
    assert np.flatnonzero(keep).tolist() == [4, 5, 6]
    assert others == 2
