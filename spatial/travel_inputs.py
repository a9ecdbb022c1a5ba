"""Pieces every travel-time producer shares: the result type and the checks of its inputs.

:class:`TravelTimes` is what :mod:`accessplan.spatial.travel_time` and
:mod:`accessplan.spatial.network_times` return; the functions here check
options and point frames (every problem at once), build the per-point snap
frames, and sort a table of pairs by ``origin_id`` then ``site_id``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.crs import coordinate_problems
from accessplan.spatial.od_codes import CodedOD

__all__ = [
    "TravelTimes",
    "check_positive_options",
    "group_members",
    "no_snap_frame",
    "projected_points",
    "snap_frame",
    "snap_points",
    "sorted_od_frame",
    "unreached_ids",
    "unreached_positions",
    "validate_point_frames",
]


@dataclass(frozen=True)
class TravelTimes:
    """A sparse origin-destination travel-time table and how it was made.

    Attributes
    ----------
    od : pandas.DataFrame or None
        Columns ``origin_id, site_id, minutes`` (float64); only pairs with
        ``minutes <= max_minutes``; sorted by ``origin_id``, ``site_id``.
    origin_snap, site_snap : pandas.DataFrame
        One row per origin (site), in input order: ``origin_id`` (``site_id``),
        ``node`` (the nearest graph node; missing without a network),
        ``snap_meters`` and ``access_minutes`` (the access leg included in
        every time of that point).
    max_minutes : float
        The bound used.
    method : str
        ``"network"``, ``"straight_line"`` or ``"od_table"``.
    unreachable_origins, unreachable_sites : tuple
        Ids of origins (sites) with no pair in ``od``, in input order.
    coded : CodedOD or None
        The same pairs as integer codes (labels: the origins and sites in
        input order), when asked for (``as_codes=True``).  ``od`` is None when
        only the codes were asked for (``coded.to_frame()`` gives the long
        table, sorted by input order rather than by id).
    od_path : pathlib.Path or None
        The Parquet OD table the pairs were streamed to (then ``od`` and
        ``coded`` are None; read it with
        :func:`accessplan.spatial.od_store.read_od_parquet`).
    """

    od: pd.DataFrame | None
    origin_snap: pd.DataFrame
    site_snap: pd.DataFrame
    max_minutes: float
    method: str
    unreachable_origins: tuple
    unreachable_sites: tuple
    coded: CodedOD | None = None
    od_path: Path | None = None


def check_positive_options(counts: dict[str, Any] | None = None, /, **options: float) -> None:
    """Reject non-positive or non-finite numeric options, all at once.

    ``counts`` (name -> value) are options that must be whole numbers >= 1
    (``chunk_size``, ``jobs``); booleans are refused.
    """
    problems = ProblemCollector(what="travel-time options")
    for name, value in options.items():
        ok = isinstance(value, int | float | np.integer | np.floating) and math.isfinite(value)
        if not ok or value <= 0:
            problems.add(f"{name} must be a positive finite number, got {value!r}")
    for name, value in (counts or {}).items():
        whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
        if not whole or value < 1:
            problems.add(f"{name} must be a whole number >= 1, got {value!r}")
    problems.raise_if_any()


def _point_problems(
    points: Any, id_col: str, label: str, problems: ProblemCollector
) -> gpd.GeoDataFrame | None:
    """Record every problem of a point frame; return it when usable."""
    if not isinstance(points, gpd.GeoDataFrame):
        problems.add(
            f"expected a GeoDataFrame of points, got {type(points).__name__}", source=label
        )
        return None
    usable = True
    if len(points) == 0:
        problems.add("has no rows", source=label)
        usable = False
    if id_col not in points.columns:
        problems.add("id column is missing", source=label, column=id_col)
        return None
    if points.crs is None:
        problems.add("has no CRS; set one (e.g. gdf.set_crs('EPSG:4326'))", source=label)
        usable = False
    ids = points[id_col]
    null_ids = ids.isna().to_numpy()
    if null_ids.any():
        problems.add(
            "id is missing",
            source=label,
            column=id_col,
            rows=tuple(int(i) + 1 for i in np.flatnonzero(null_ids)),
        )
        usable = False
    dup = ids.duplicated(keep=False).to_numpy() & ~null_ids
    if dup.any():
        problems.add(
            "id is not unique", source=label, column=id_col, rows=tuple(pd.unique(ids[dup]))
        )
        usable = False
    geom = points.geometry
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():
        problems.add(
            "geometry is missing or empty",
            source=label,
            column=points.geometry.name,
            rows=tuple(ids[missing]),
        )
        usable = False
    not_point = (~missing) & (geom.geom_type != "Point").to_numpy()
    if not_point.any():
        problems.add(
            "geometry is not a Point (use e.g. .representative_point() first)",
            source=label,
            column=points.geometry.name,
            rows=tuple(ids[not_point]),
        )
        usable = False
    return points if usable else None


def projected_points(
    points: gpd.GeoDataFrame, crs: pyproj.CRS, id_col: str, label: str
) -> gpd.GeoDataFrame:
    """``points`` in ``crs``, refusing coordinates that are not finite before or after."""
    problems = ProblemCollector(what=label)
    coordinate_problems(
        points.geometry,
        labels=tuple(str(v) for v in points[id_col]),
        source=label,
        column=id_col,
        problems=problems,
        run_crs=crs,
        area_of_use=False,
    )
    problems.raise_if_any()
    return points.to_crs(crs)


def validate_point_frames(
    origins: Any, sites: Any, origin_id: str, site_id: str, origins_label: str, sites_label: str
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Both point frames, checked together (every problem of both raised at once)."""
    problems = ProblemCollector(what="origins and sites")
    o = _point_problems(origins, origin_id, origins_label, problems)
    s = _point_problems(sites, site_id, sites_label, problems)
    problems.raise_if_any()  # a frame that came back as None always recorded a problem
    return o, s  # type: ignore[return-value]


def snap_frame(id_name: str, ids: pd.Series, node, meters, minutes) -> pd.DataFrame:
    """One row per point: its id, snapped ``node``, ``snap_meters`` and ``access_minutes``."""
    return pd.DataFrame(
        {
            id_name: ids.to_numpy(),
            "node": node,
            "snap_meters": np.asarray(meters, dtype="float64"),
            "access_minutes": np.asarray(minutes, dtype="float64"),
        }
    )


def no_snap_frame(id_name: str, ids: pd.Series) -> pd.DataFrame:
    """The snap frame of points that are not snapped (no node, zero access legs)."""
    n = len(ids)
    return snap_frame(id_name, ids, pd.array([pd.NA] * n, dtype="Int64"), np.zeros(n), np.zeros(n))


def sorted_od_frame(
    origin_pos: np.ndarray,
    site_pos: np.ndarray,
    minutes: np.ndarray,
    origin_ids: pd.Series,
    site_ids: pd.Series,
) -> pd.DataFrame:
    """The long table of positional pairs, sorted by ``origin_id`` then ``site_id``.

    Ids that cannot be ordered (mixed types) keep their input order.
    """
    order = np.lexsort((_ranks(site_ids)[site_pos], _ranks(origin_ids)[origin_pos]))
    origin_pos, site_pos = origin_pos[order], site_pos[order]
    # keep the id columns' own dtypes (no detour through Python objects)
    return pd.DataFrame(
        {
            "origin_id": origin_ids.take(origin_pos).reset_index(drop=True),
            "site_id": site_ids.take(site_pos).reset_index(drop=True),
            "minutes": np.asarray(minutes, dtype="float64")[order],
        }
    )


def _ranks(ids: pd.Series) -> np.ndarray:
    """Rank of each id in sorted order (input order if the ids cannot be ordered)."""
    try:
        order = np.asarray(ids.argsort(kind="stable"))
    except TypeError:  # ids of mixed, unorderable types
        order = np.arange(len(ids))
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    return rank


def unreached_ids(ids: pd.Series, present: pd.Series) -> tuple:
    """The ``ids`` (in order) that do not occur in ``present``."""
    mask = ~ids.isin(pd.unique(present))
    return tuple(ids[mask].tolist())


def unreached_positions(ids: pd.Series, reached: np.ndarray) -> tuple:
    """The ``ids`` (in order) whose position is not marked in the boolean ``reached``."""
    return tuple(ids[~np.asarray(reached, dtype=bool)].tolist())


def snap_points(
    tree,
    xy: np.ndarray,
    ids: pd.Series,
    id_col: str,
    label: str,
    max_snap_meters: float,
    problems: ProblemCollector,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest network node of each point and its distance; points too far are problems.

    ``tree`` is a KD-tree over the node coordinates (metres). Returns
    ``(node position, metres)`` per point; every point farther than
    ``max_snap_meters`` is listed, by id, in one problem.
    """
    dist, idx = tree.query(xy, k=1)
    dist, idx = dist[:, 0], idx[:, 0]
    far = dist > max_snap_meters
    if far.any():
        problems.add(
            f"{int(far.sum())} point(s) lie farther than {max_snap_meters:g} m from the nearest "
            f"road network node (farthest: {dist[far].max():,.0f} m); check their CRS and "
            "location, or raise max_snap_meters",
            source=label,
            column=id_col,
            rows=tuple(ids.to_numpy()[far]),
        )
    return idx, dist


def group_members(inverse: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Members of each group: ``order[starts[g]:starts[g] + counts[g]]`` (points on one node)."""
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    return order, starts, counts
