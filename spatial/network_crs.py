"""CRS and node-coordinate checks for road graphs, and projection to metres.

A road graph's ``crs`` attribute and its node ``x``/``y`` come from a user's
file and can disagree: metres labelled EPSG:4326, NaN or 1e20 coordinates, a
State Plane CRS in US survey feet, CRS text pyproj cannot read.  These checks
turn each into one :class:`~accessplan.spatial.errors.NetworkCRSError` naming
the source and a node, before anything is projected or snapped, and
:func:`project_to_metres` makes sure every graph leaves in a metre-based
projected CRS.  The graph checks run :func:`check_node_coordinates` on the
graph's node arrays, the form the array readers (:mod:`accessplan.spatial.node_crs`)
check.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import pyproj

from accessplan.spatial.errors import NetworkCRSError, NetworkError

__all__ = [
    "MAX_ABS_METRES",
    "check_graph_coordinates",
    "check_node_coordinates",
    "check_projected_coordinates",
    "crs_string",
    "is_metre_crs",
    "metre_target_crs",
    "parse_crs",
    "project_to_metres",
]

#: Projected coordinates beyond this many metres from the CRS origin are no place on Earth
#: (the equator is 4e7 m long; zone-prefixed eastings stay below 1e8).
MAX_ABS_METRES = 1e8


def crs_string(crs: Any) -> str:
    """``"AUTH:CODE"`` for a CRS with an authority code, else its PROJ/WKT string.

    Parameters
    ----------
    crs : CRS-like

    Returns
    -------
    str
    """
    parsed = pyproj.CRS.from_user_input(crs)
    auth = parsed.to_authority()
    return f"{auth[0]}:{auth[1]}" if auth else parsed.to_string()


def parse_crs(crs: Any, *, source: str, what: str) -> pyproj.CRS:
    """Parse CRS text or an object; invalid input is a :class:`NetworkCRSError`.

    Parameters
    ----------
    crs : CRS-like
    source : str
        File or graph name for the message.
    what : str
        What the CRS is, for the message (``"the graph's crs"``, ``"to_crs"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    NetworkCRSError
    """
    try:
        return pyproj.CRS.from_user_input(crs)
    except (pyproj.exceptions.CRSError, TypeError, ValueError) as exc:
        raise NetworkCRSError(f"{source}: {what} {crs!r} is not a valid CRS ({exc})") from exc


def _axis_unit(crs: pyproj.CRS) -> str | None:
    """The unit of the horizontal axes, or None when the CRS does not say."""
    axes = crs.axis_info[:2]
    return axes[0].unit_name if axes else None


def is_metre_crs(crs: pyproj.CRS) -> bool:
    """Whether the horizontal axes are in metres (or the CRS does not name a unit).

    Parameters
    ----------
    crs : pyproj.CRS

    Returns
    -------
    bool
    """
    return _axis_unit(crs) in (None, "metre", "meter")


def metre_target_crs(to_crs: Any, *, source: str) -> pyproj.CRS | None:
    """Check a requested target CRS: valid, projected, in metres.

    Parameters
    ----------
    to_crs : CRS-like or None
    source : str
        File or graph name for the message.

    Returns
    -------
    pyproj.CRS or None
        ``None`` when ``to_crs`` is ``None``.

    Raises
    ------
    NetworkCRSError
        If ``to_crs`` is not a valid CRS, not projected, or its axes are not in
        metres (US survey feet, feet...).
    """
    if to_crs is None:
        return None
    target = parse_crs(to_crs, source=source, what="to_crs")
    if not target.is_projected:
        raise NetworkCRSError(f"{source}: to_crs {to_crs!r} is not a projected CRS")
    if not is_metre_crs(target):
        raise NetworkCRSError(
            f"{source}: to_crs {crs_string(target)} ({target.name}) has its axes in "
            f"{_axis_unit(target)}, not metres; accessplan computes distances in metres: "
            "give a metre-based projected CRS (for example the region's UTM zone)"
        )
    return target


def _node_xy(G: nx.MultiDiGraph, source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    no_xy = sum(1 for _, d in G.nodes(data=True) if "x" not in d or "y" not in d)
    if no_xy:
        raise NetworkError(f"{source}: {no_xy} nodes have no x/y coordinates")
    nodes, xs, ys, bad = [], [], [], []
    for n, d in G.nodes(data=True):
        try:
            x, y = float(d["x"]), float(d["y"])
        except (TypeError, ValueError):
            bad.append((n, d["x"], d["y"]))
            continue
        nodes.append(n)
        xs.append(x)
        ys.append(y)
    if bad:
        n, x, y = bad[0]
        raise NetworkCRSError(
            f"{source}: {len(bad)} nodes have x/y that are not numbers "
            f"(e.g. node {n}: x={x!r}, y={y!r})"
        )
    # an object array keeps each node id as it is (ints, strings, tuples) for the messages
    node_ids = np.fromiter(nodes, dtype=object, count=len(nodes))
    return node_ids, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _first_bad(node_ids: np.ndarray, x: np.ndarray, y: np.ndarray, bad: np.ndarray) -> str:
    i = int(np.flatnonzero(bad)[0])
    return f"node {node_ids[i]}: x={float(x[i]):.10g}, y={float(y[i]):.10g}"


def _check_far(
    node_ids: np.ndarray, x: np.ndarray, y: np.ndarray, crs: pyproj.CRS, source: str, where: str
) -> None:
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(x) & np.isfinite(y))
        bad |= np.maximum(np.abs(x), np.abs(y)) * factor > MAX_ABS_METRES
    if bad.any():
        raise NetworkCRSError(
            f"{source}: {int(bad.sum())} of {len(node_ids)} nodes have coordinates {where} "
            f"({crs_string(crs)}) that are not finite or lie beyond any place on Earth "
            f"(e.g. {_first_bad(node_ids, x, y, bad)}); check the node coordinates and the "
            "graph's 'crs' attribute"
        )


def check_node_coordinates(
    node_ids: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    crs: pyproj.CRS,
    *,
    source: str,
    projected: bool = False,
) -> None:
    """Node coordinates must be finite and fit their CRS (the array form of the graph checks).

    Parameters
    ----------
    node_ids, x, y : numpy.ndarray
        Node ids (for the message) and float64 coordinates in ``crs``.
    crs : pyproj.CRS
    source : str
        File name for the message.
    projected : bool, default False
        The check after projecting (finite and within
        :data:`~accessplan.spatial.network_crs.MAX_ABS_METRES`) instead of the
        check of the graph as read.

    Raises
    ------
    NetworkCRSError
        Coordinates not finite, outside +-180 / +-90 in a geographic CRS
        (metres labelled EPSG:4326) or beyond any place on Earth in a
        projected one; the message names the first such node.
    """
    if projected:
        _check_far(node_ids, x, y, crs, source, "after projecting")
        return
    bad = ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        raise NetworkCRSError(
            f"{source}: {int(bad.sum())} of {len(node_ids)} nodes have coordinates that are "
            f"not finite numbers (e.g. {_first_bad(node_ids, x, y, bad)})"
        )
    if crs.is_geographic:
        bad = (np.abs(x) > 180) | (np.abs(y) > 90)
        if bad.any():
            raise NetworkCRSError(
                f"{source}: the graph's crs {crs_string(crs)} is in degrees, but "
                f"{int(bad.sum())} of {len(node_ids)} nodes lie outside longitude -180..180 / "
                f"latitude -90..90 (e.g. {_first_bad(node_ids, x, y, bad)}); if these are "
                "metres of a projected CRS, set the graph's 'crs' attribute to that CRS"
            )
    else:
        _check_far(node_ids, x, y, crs, source, "in the graph's crs")


def check_graph_coordinates(G: nx.MultiDiGraph, crs: pyproj.CRS, *, source: str) -> None:
    """Node x/y must be finite numbers that fit the graph's own CRS.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    crs : pyproj.CRS
        The graph's CRS.
    source : str
        File or graph name for the message.

    Raises
    ------
    NetworkError
        If nodes have no x/y.
    NetworkCRSError
        If x/y are not numbers, not finite, outside +-180 / +-90 in a
        geographic CRS (metres labelled EPSG:4326, latitude 95), or beyond
        :data:`MAX_ABS_METRES` in a projected one.
    """
    check_node_coordinates(*_node_xy(G, source), crs, source=source)


def check_projected_coordinates(G: nx.MultiDiGraph, *, source: str) -> None:
    """After projecting: every node finite and within :data:`MAX_ABS_METRES`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected graph.
    source : str
        File or graph name for the message.

    Raises
    ------
    NetworkCRSError
    """
    crs = pyproj.CRS.from_user_input(G.graph["crs"])
    check_node_coordinates(*_node_xy(G, source), crs, source=source, projected=True)


def project_to_metres(
    G: nx.MultiDiGraph, to_crs: Any, target: pyproj.CRS | None
) -> nx.MultiDiGraph:
    """Project to ``to_crs``, or a geographic or non-metre graph to its UTM zone.

    Parameters
    ----------
    G : networkx.MultiDiGraph
    to_crs : CRS-like or None
        As the caller gave it (handed to :func:`osmnx.project_graph`).
    target : pyproj.CRS or None
        ``to_crs`` checked by :func:`metre_target_crs`.

    Returns
    -------
    networkx.MultiDiGraph
        ``G`` itself when it is already in the target (or, without one, in a
        metre-based projected CRS), else a projected copy.
    """
    current = pyproj.CRS.from_user_input(G.graph["crs"])
    if target is not None:
        if not current.equals(target):
            G = ox.project_graph(G, to_crs=to_crs)
    elif not current.is_projected or not is_metre_crs(current):
        G = ox.project_graph(G)
    return G
