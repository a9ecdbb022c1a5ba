"""Candidate sites when the user has none: weighted k-means over the areas.

:func:`kmeans_candidates` places ``n`` candidate sites at the centres of a
population-weighted k-means clustering of the area points (scikit-learn's
:class:`~sklearn.cluster.KMeans` with ``sample_weight``). Areas already served
-- those whose nearest existing facility is within ``exclude_within_minutes``
in a given OD table -- can be left out first, so the candidates go where access
is poor. Each centre may then be moved onto a real place (a road node, an area
point...) with ``snap_to``.

The result has the candidate columns every location model reads
(``site_id, site_cost, unit_cost, max_units, min_units, geometry``) plus
``population_in_cluster``, the weight the candidate's cluster holds.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial import cKDTree
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from accessplan.data.errors import ProblemCollector

__all__ = ["CANDIDATE_COLUMNS", "kmeans_candidates"]

#: Columns of the frame :func:`kmeans_candidates` returns, in order.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_cost",
    "unit_cost",
    "max_units",
    "min_units",
    "population_in_cluster",
    "geometry",
)

_OD_COLUMNS = ("origin_id", "site_id", "minutes")
_AREA_GEOMETRIES = ("Point", "Polygon", "MultiPolygon")


def kmeans_candidates(
    areas: gpd.GeoDataFrame,
    *,
    n: int,
    max_units: int,
    weight: str | pd.Series = "population",
    exclude_within_minutes: float | None = None,
    od: pd.DataFrame | None = None,
    area_id: str = "area_id",
    site_cost: float = 0.0,
    unit_cost: float = 0.0,
    min_units: int = 0,
    snap_to: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    random_state: int | None = 0,
    id_prefix: str = "K",
) -> gpd.GeoDataFrame:
    """Generate candidate sites at the centres of a weighted k-means clustering.

    Each area is one point (polygons use their representative point) weighted
    by ``weight``. Areas with zero weight, and -- when
    ``exclude_within_minutes`` is given -- areas whose nearest existing
    facility in ``od`` is at most that many minutes away, are dropped. The
    remaining points are clustered into ``n`` groups by k-means with
    ``sample_weight``; each candidate is the weighted mean of its group's
    points (recomputed exactly from the final assignment), optionally snapped
    to the nearest point of ``snap_to``.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas as points, polygons or multipolygons, in a *projected* CRS (the
        means and distances are taken in its units). To cluster on your own
        population-weighted points, make them the active geometry first (e.g.
        ``areas.set_geometry("origin")``).
    n : int
        Number of candidates wanted (>= 1).
    max_units : int
        Most units (e.g. beds) any candidate may receive; there is no sensible
        default for a new facility's size, so it must be given.
    weight : str or pandas.Series, default "population"
        A numeric column of ``areas``, or a Series indexed by area id, of
        non-negative weights (population or need).
    exclude_within_minutes : float, optional
        Drop areas whose nearest existing facility in ``od`` is at most this
        many minutes away. Areas with no row in ``od`` count as farther than
        any time in it, so build ``od`` with a bound of at least this value.
    od : pandas.DataFrame, optional
        OD table of areas to *existing* facilities, columns ``origin_id,
        site_id, minutes`` (e.g. ``network_travel_times(...).od``). Required
        with, and only used with, ``exclude_within_minutes``.
    area_id : str, default "area_id"
        The unique id column of ``areas``; matched to ``od["origin_id"]`` and
        to the index of a ``weight`` Series.
    site_cost, unit_cost : float, default 0.0
        Cost of opening each candidate and of each unit at it (>= 0).
    min_units : int, default 0
        Fewest units an opened candidate takes (0 <= min_units <= max_units).
    snap_to : geopandas.GeoSeries or geopandas.GeoDataFrame, optional
        Points to move the centres onto (road nodes, area points...), with a
        CRS (reprojected to the areas' CRS when it differs). Centres are
        matched to distinct snap points so that the total distance moved is
        least; a centre whose nearest snap point is not wanted by another
        centre moves to that nearest point. Points at the same location count
        once.
    random_state : int or None, default 0
        Seed of k-means' initialisation; a fixed value gives the same result
        on every run.
    id_prefix : str, default "K"
        Prefix of the new site ids ("K01", "K02"...).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per candidate, columns ``site_id, site_cost, unit_cost,
        max_units, min_units, population_in_cluster, geometry`` (points in
        the areas' CRS), sorted by ``population_in_cluster`` descending (ties
        by x, then y) and numbered in that order.

    Raises
    ------
    InputValidationError
        Listing every problem found in the inputs (geographic or missing CRS,
        missing or duplicated ids, negative or missing weights, bad options,
        an OD table without its columns...); also when no weighted area is left
        after the exclusion, when ``n`` exceeds the number of distinct weighted
        points left, or when ``snap_to`` has fewer distinct points than ``n``.

    Examples
    --------
    >>> from accessplan.data import load_demo
    >>> region = load_demo()
    >>> sites = kmeans_candidates(region.areas, n=5, max_units=200)
    >>> sites["site_id"].tolist()
    ['K01', 'K02', 'K03', 'K04', 'K05']
    """
    xy, w, ids = _validated_points(
        areas,
        n=n,
        max_units=max_units,
        weight=weight,
        exclude_within_minutes=exclude_within_minutes,
        od=od,
        area_id=area_id,
        site_cost=site_cost,
        unit_cost=unit_cost,
        min_units=min_units,
        snap_to=snap_to,
        id_prefix=id_prefix,
    )

    n = int(n)
    keep = w > 0
    n_weighted = int(keep.sum())
    if exclude_within_minutes is not None:
        minutes = pd.to_numeric(od["minutes"]).to_numpy(dtype="float64")
        nearest = pd.Series(minutes).groupby(od["origin_id"].to_numpy(), sort=False).min()
        served = ids.isin(nearest.index[nearest.to_numpy() <= exclude_within_minutes]).to_numpy()
        keep &= ~served
    if not keep.any():
        why = (
            f"all {n_weighted} areas with weight > 0 are within {exclude_within_minutes:g} "
            "minutes of an existing facility in the OD table"
            if n_weighted and exclude_within_minutes is not None
            else "no area has a weight > 0"
        )
        _raise(
            f"no area is left to place candidates in: {why}",
            source="areas",
            column=_weight_label(weight),
        )

    # identical points are one point with the summed weight (same k-means objective)
    points, inverse = np.unique(xy[keep], axis=0, return_inverse=True)
    mass = np.bincount(inverse.ravel(), weights=w[keep], minlength=len(points))
    if n > len(points):
        _raise(
            f"n={n} candidates asked for, but only {len(points)} distinct weighted area "
            "points are left to cluster"
            + (" after the exclusion" if exclude_within_minutes is not None else "")
            + "; ask for fewer"
        )

    centres, cluster_mass = _weighted_kmeans(points, mass, n, random_state)

    if snap_to is not None:
        centres = _snap(centres, snap_to, areas.crs)

    order = np.lexsort((centres[:, 1], centres[:, 0], -cluster_mass))
    centres, cluster_mass = centres[order], cluster_mass[order]
    width = max(2, len(str(n)))
    return gpd.GeoDataFrame(
        {
            "site_id": [f"{id_prefix}{i:0{width}d}" for i in range(1, n + 1)],
            "site_cost": np.full(n, float(site_cost)),
            "unit_cost": np.full(n, float(unit_cost)),
            "max_units": np.full(n, int(max_units), dtype="int64"),
            "min_units": np.full(n, int(min_units), dtype="int64"),
            "population_in_cluster": cluster_mass,
        },
        geometry=gpd.points_from_xy(centres[:, 0], centres[:, 1]),
        crs=areas.crs,
    )


# --------------------------------------------------------------------------
# Clustering and snapping
# --------------------------------------------------------------------------


def _weighted_kmeans(
    points: np.ndarray, mass: np.ndarray, n: int, random_state
) -> tuple[np.ndarray, np.ndarray]:
    """Centres (weighted means of the final clusters) and the mass of each cluster."""
    origin = points.mean(axis=0)  # cluster near zero: large UTM coordinates lose no precision
    model = KMeans(n_clusters=n, n_init=10, random_state=random_state)
    # one OpenMP thread: for area counts (hundreds to tens of thousands) starting threads
    # costs more than it saves (measured 10x faster on 500 points); the result is the same
    with threadpool_limits(limits=1, user_api="openmp"):
        labels = model.fit(points - origin, sample_weight=mass).labels_
    cluster_mass = np.bincount(labels, weights=mass, minlength=n)
    sums = np.column_stack(
        [np.bincount(labels, weights=mass * points[:, j], minlength=n) for j in range(2)]
    )
    centres = model.cluster_centers_ + origin
    filled = cluster_mass > 0  # an emptied cluster (rare) keeps k-means' own centre
    centres[filled] = sums[filled] / cluster_mass[filled, None]
    return centres, cluster_mass


def _snap(centres: np.ndarray, snap_to, crs) -> np.ndarray:
    """Move each centre to a distinct snap point, least total distance moved."""
    geoms = snap_to.geometry if isinstance(snap_to, gpd.GeoDataFrame) else snap_to
    if not geoms.crs.equals(crs):
        geoms = geoms.to_crs(crs)
    targets = np.unique(np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()]), axis=0)
    n = len(centres)
    if len(targets) < n:
        _raise(
            f"snap_to has {len(targets)} distinct points, fewer than the n={n} candidates",
            source="snap_to",
        )
    # Some least-distance matching uses only each centre's n nearest targets: if a centre
    # held a farther one, one of its n nearest is free (n - 1 other centres) and is closer.
    _, near = cKDTree(targets).query(centres, k=n)
    near = np.asarray(near).reshape(n, -1)
    pool = np.unique(near)
    cost = np.linalg.norm(centres[:, None, :] - targets[pool][None, :, :], axis=2)
    rows, cols = linear_sum_assignment(cost)
    snapped = np.empty_like(centres)
    snapped[rows] = targets[pool[cols]]
    return snapped


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def _raise(message: str, *, source: str | None = None, column: str | None = None) -> None:
    problems = ProblemCollector(what="candidate request")
    problems.add(message, source=source, column=column)
    problems.raise_if_any()


def _weight_label(weight) -> str:
    return weight if isinstance(weight, str) else "weight"


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _is_whole(value: Any) -> bool:
    return _is_number(value) and float(value) == int(value)


def _check_options(
    problems: ProblemCollector,
    *,
    n,
    max_units,
    min_units,
    site_cost,
    unit_cost,
    exclude_within_minutes,
    od,
    id_prefix,
) -> None:
    if not (_is_whole(n) and n >= 1):
        problems.add(f"n must be a whole number >= 1, got {n!r}")
    for name, value in (("site_cost", site_cost), ("unit_cost", unit_cost)):
        if not (_is_number(value) and value >= 0):
            problems.add(f"{name} must be a finite number >= 0, got {value!r}")
    max_ok = _is_whole(max_units) and max_units >= 1
    min_ok = _is_whole(min_units) and min_units >= 0
    if not max_ok:
        problems.add(f"max_units must be a whole number >= 1, got {max_units!r}")
    if not min_ok:
        problems.add(f"min_units must be a whole number >= 0, got {min_units!r}")
    if max_ok and min_ok and min_units > max_units:
        problems.add(f"min_units ({min_units}) is larger than max_units ({max_units})")
    if not isinstance(id_prefix, str):
        problems.add(f"id_prefix must be a string, got {id_prefix!r}")
    if exclude_within_minutes is None:
        if od is not None:
            problems.add(
                "od is given but exclude_within_minutes is not; the OD table is only used "
                "to exclude areas already served",
            )
    elif not (_is_number(exclude_within_minutes) and exclude_within_minutes >= 0):
        problems.add(
            f"exclude_within_minutes must be a finite number >= 0, got {exclude_within_minutes!r}",
        )
    elif od is None:
        problems.add(
            "exclude_within_minutes needs od, the OD table of areas to existing facilities",
        )


def _check_od(od, ids: pd.Series | None, problems: ProblemCollector) -> None:
    if not isinstance(od, pd.DataFrame):
        problems.add(f"expected a DataFrame, got {type(od).__name__}", source="od")
        return
    missing = [c for c in _OD_COLUMNS if c not in od.columns]
    for column in missing:
        problems.add("column is missing", source="od", column=column)
    if "minutes" in od.columns:
        minutes = pd.to_numeric(od["minutes"], errors="coerce").to_numpy(dtype="float64")
        bad = ~np.isfinite(minutes) | (minutes < 0)
        if bad.any():
            problems.add(
                "minutes must be finite numbers >= 0",
                source="od",
                column="minutes",
                rows=tuple(int(i) + 1 for i in np.flatnonzero(bad)),
            )
    if (
        "origin_id" in od.columns
        and ids is not None
        and len(od)
        and not od["origin_id"].isin(ids).any()
    ):
        problems.add(
            f"no origin_id matches an area id (column {ids.name!r}); the OD table must be "
            "built from these areas",
            source="od",
            column="origin_id",
        )


def _area_weights(
    areas: gpd.GeoDataFrame, weight, ids: pd.Series | None, problems: ProblemCollector
) -> np.ndarray | None:
    if isinstance(weight, str):
        if weight not in areas.columns:
            problems.add("weight column is missing", source="areas", column=weight)
            return None
        values = areas[weight]
    elif isinstance(weight, pd.Series):
        if ids is None:
            return None
        if weight.index.has_duplicates:
            problems.add(
                "weight Series has duplicated area ids in its index",
                source="weight",
                rows=tuple(pd.unique(weight.index[weight.index.duplicated()])),
            )
            return None
        absent = ~ids.isin(weight.index).to_numpy()
        if absent.any():
            problems.add(
                "area has no weight in the Series", source="weight", rows=tuple(ids[absent])
            )
            return None
        values = weight.reindex(ids.to_numpy())
    else:
        problems.add(
            f"weight must be a column name or a Series indexed by area id, got {type(weight).__name__}",
        )
        return None
    label = _weight_label(weight)
    if not (pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)):
        problems.add(f"weight is not numeric (dtype {values.dtype})", source="areas", column=label)
        return None
    w = values.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        rows = (
            tuple(ids[bad]) if ids is not None else tuple(int(i) + 1 for i in np.flatnonzero(bad))
        )
        problems.add("weight must be a finite number >= 0", source="areas", column=label, rows=rows)
        return None
    return w


def _validated_points(
    areas, *, weight, area_id, snap_to, **options
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Check every input at once; return area points, weights and ids."""
    problems = ProblemCollector(what="candidate request")
    _check_options(problems, **options)
    od = options["od"]

    xy = w = ids = None
    if not isinstance(areas, gpd.GeoDataFrame):
        problems.add(f"expected a GeoDataFrame, got {type(areas).__name__}", source="areas")
    else:
        if areas.crs is None:
            problems.add("has no CRS; set a projected one", source="areas")
        elif not areas.crs.is_projected:
            problems.add(
                f"CRS {areas.crs.to_string()} is geographic; k-means needs a projected CRS "
                "(e.g. areas.to_crs(areas.estimate_utm_crs()))",
                source="areas",
            )
        if area_id not in areas.columns:
            problems.add("id column is missing", source="areas", column=area_id)
        else:
            ids = areas[area_id].reset_index(drop=True)
            null = ids.isna().to_numpy()
            if null.any():
                problems.add(
                    "id is missing",
                    source="areas",
                    column=area_id,
                    rows=tuple(int(i) + 1 for i in np.flatnonzero(null)),
                )
            dup = ids.duplicated(keep=False).to_numpy() & ~null
            if dup.any():
                problems.add(
                    "id is not unique",
                    source="areas",
                    column=area_id,
                    rows=tuple(pd.unique(ids[dup])),
                )
        w = _area_weights(areas, weight, ids, problems)
        xy = _area_xy(areas, ids, problems)
    if od is not None:
        _check_od(od, ids, problems)
    if snap_to is not None:
        _check_snap(snap_to, problems)
    problems.raise_if_any()
    return xy, w, ids


def _area_xy(areas: gpd.GeoDataFrame, ids, problems: ProblemCollector) -> np.ndarray | None:
    geom = areas.geometry.reset_index(drop=True)
    labels = ids if ids is not None else pd.Series(np.arange(1, len(areas) + 1))
    missing = (geom.isna() | geom.is_empty).to_numpy()
    if missing.any():
        problems.add(
            "geometry is missing or empty",
            source="areas",
            column=geom.name,
            rows=tuple(labels[missing]),
        )
    wrong = ~missing & ~geom.geom_type.isin(_AREA_GEOMETRIES).to_numpy()
    if wrong.any():
        problems.add(
            f"geometry must be a Point, Polygon or MultiPolygon, not {geom.geom_type[wrong].iloc[0]}",
            source="areas",
            column=geom.name,
            rows=tuple(labels[wrong]),
        )
    if missing.any() or wrong.any():
        return None
    is_point = (geom.geom_type == "Point").to_numpy()
    points = geom.copy()
    if not is_point.all():
        points[~is_point] = geom[~is_point].representative_point()
    return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])


def _check_snap(snap_to, problems: ProblemCollector) -> None:
    if isinstance(snap_to, gpd.GeoDataFrame):
        geoms = snap_to.geometry
    elif isinstance(snap_to, gpd.GeoSeries):
        geoms = snap_to
    else:
        problems.add(
            f"expected a GeoSeries or GeoDataFrame of points, got {type(snap_to).__name__}",
            source="snap_to",
        )
        return
    if len(geoms) == 0:
        problems.add("has no points", source="snap_to")
    if geoms.crs is None:
        problems.add("has no CRS; set one", source="snap_to")
    bad = (geoms.isna() | geoms.is_empty | (geoms.geom_type != "Point")).to_numpy()
    if bad.any():
        problems.add(
            "every geometry must be a non-empty Point",
            source="snap_to",
            rows=tuple(int(i) + 1 for i in np.flatnonzero(bad)),
        )
