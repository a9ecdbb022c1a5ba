"""Travel times from origins to sites: the sparse OD table.

Three ways to get one, all returning a :class:`TravelTimes` whose ``od``
frame has exactly the columns ``origin_id, site_id, minutes`` (float64),
holds only pairs within ``max_minutes`` and is sorted by ``origin_id`` then
``site_id``:

* :func:`network_travel_times` -- shortest travel times over a projected road
  network, a graph (see :mod:`accessplan.spatial.network`) or its
  :class:`~accessplan.spatial.road_arrays.RoadArrays`.  Origins and sites are
  snapped to their nearest node with a scikit-learn KD-tree; the snap
  distance is walked at ``access_speed_kph`` on both ends.  Times come from a
  bounded Dijkstra (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``) run
  from the sites over the reversed network, a chunk of sites at a time on
  ``jobs`` worker processes, so no dense sites x nodes array is ever held
  whole.  It lives in :mod:`accessplan.spatial.network_times` (with
  :func:`stream_network_travel_times`, which writes the pairs straight to a
  Parquet OD table) and is re-exported here.
* :func:`straight_line_travel_times` -- Euclidean distance in a projected CRS
  at a constant speed, found with a KD-tree so only close pairs are formed.
* :func:`od_table_travel_times` / :func:`read_od_table` -- a table the user
  computed elsewhere (r5py, a commercial router...), checked row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.data.ids import id_key, is_number_id, mismatch_hint
from accessplan.spatial.crs import metre_crs
from accessplan.spatial.errors import NoPathError
from accessplan.spatial.network_times import network_travel_times, stream_network_travel_times
from accessplan.spatial.travel_inputs import (
    TravelTimes,
    check_positive_options,
    no_snap_frame,
    projected_points,
    sorted_od_frame,
    unreached_ids,
    validate_point_frames,
)

__all__ = [
    "OD_COLUMNS",
    "TravelTimes",
    "network_travel_times",
    "od_table_travel_times",
    "read_od_table",
    "straight_line_travel_times",
    "stream_network_travel_times",
]

#: Column names of every OD table accessplan produces.
OD_COLUMNS: tuple[str, str, str] = ("origin_id", "site_id", "minutes")


# --------------------------------------------------------------------------
# Straight-line travel times
# --------------------------------------------------------------------------


def straight_line_travel_times(
    origins: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    origin_id: str,
    site_id: str,
    speed_kph: float,
    max_minutes: float,
    to_crs: Any = None,
    origins_label: str = "origins",
    sites_label: str = "sites",
) -> TravelTimes:
    """Travel times as straight-line distance at a constant speed.

    ``minutes = distance_m / (speed_kph * 1000 / 60)``, the distance being
    Euclidean in a projected CRS.  Only pairs within
    ``speed_kph * max_minutes`` are ever formed (KD-tree neighbour search).

    Parameters
    ----------
    origins, sites : geopandas.GeoDataFrame
        Points with a CRS and a unique id column.
    origin_id, site_id : str
        Id columns.
    speed_kph : float
        Constant speed.
    max_minutes : float
        Keep pairs with ``minutes <= max_minutes``.
    to_crs : CRS-like, optional
        Projected CRS in metres for distances (a CRS in feet or degrees is
        refused).  Default: the origins' CRS if projected in metres, else the
        WGS 84 UTM zone of the origins (:func:`accessplan.spatial.crs.metre_crs`).
    origins_label, sites_label : str
        Names used in error messages.

    Returns
    -------
    TravelTimes
        ``method == "straight_line"``; snap frames have zero access legs.

    Raises
    ------
    InputValidationError
        If the point frames are malformed or an option is not positive.
    NoPathError
        If no origin is within reach of any site.
    """
    check_positive_options(speed_kph=speed_kph, max_minutes=max_minutes)
    origins, sites = validate_point_frames(
        origins, sites, origin_id, site_id, origins_label, sites_label
    )
    to_crs = metre_crs(origins, to_crs)
    origins = projected_points(origins, to_crs, origin_id, origins_label)
    sites = projected_points(sites, to_crs, site_id, sites_label)
    o_xy = np.column_stack([origins.geometry.x.to_numpy(), origins.geometry.y.to_numpy()])
    s_xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])

    meters_per_minute = speed_kph * 1000.0 / 60.0
    radius = max_minutes * meters_per_minute * (1.0 + 1e-12) + 1e-9
    pairs = cKDTree(o_xy).sparse_distance_matrix(cKDTree(s_xy), radius, output_type="ndarray")
    minutes = pairs["v"] / meters_per_minute
    keep = minutes <= max_minutes
    o_pos = pairs["i"][keep].astype(np.int64)
    s_pos = pairs["j"][keep].astype(np.int64)
    minutes = minutes[keep]

    origin_ids = origins[origin_id].reset_index(drop=True)
    site_ids = sites[site_id].reset_index(drop=True)
    if len(minutes) == 0:
        raise NoPathError(
            f"no origin lies within {max_minutes:g} minutes at {speed_kph:g} km/h "
            f"({max_minutes * meters_per_minute:,.0f} m) of any site"
        )
    od = sorted_od_frame(o_pos, s_pos, minutes, origin_ids, site_ids)
    return TravelTimes(
        od=od,
        origin_snap=no_snap_frame("origin_id", origin_ids),
        site_snap=no_snap_frame("site_id", site_ids),
        max_minutes=float(max_minutes),
        method="straight_line",
        unreachable_origins=unreached_ids(origin_ids, od["origin_id"]),
        unreachable_sites=unreached_ids(site_ids, od["site_id"]),
    )


# --------------------------------------------------------------------------
# User-supplied OD tables
# --------------------------------------------------------------------------


def _read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """The raw table and the offset from 0-based position to reported row number."""
    name = path.name.lower()
    try:
        if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".txt")):
            # ids as text (so "007" stays "007"); header is line 1, first data row line 2
            return pd.read_csv(path, dtype=str, skipinitialspace=True), 2
        if name.endswith((".parquet", ".pq")):
            return pd.read_parquet(path), 1
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot read the OD table ({exc})") from exc
    raise InputFileError(path, "unknown OD table type; expected .csv or .parquet")


def read_od_table(
    path: str | Path,
    *,
    origin_ids: Iterable[Any],
    site_ids: Iterable[Any],
    origin_col: str = "origin_id",
    site_col: str = "site_id",
    minutes_col: str = "minutes",
    max_minutes: float | None = None,
) -> pd.DataFrame:
    """Read and check a user-supplied OD travel-time table (CSV or Parquet).

    Every problem in the file is collected and raised once: missing columns,
    minutes that are not numbers, missing, infinite or negative, missing or
    unknown origin and site ids, and repeated (origin, site) pairs.  Rows are
    reported as line numbers for CSV (the header is line 1) and 1-based row
    numbers for Parquet.

    Ids are labels, matched as written: ``"01000"`` and ``"1000"`` differ, and
    unknown ids that differ from known ones only by leading zeros, a ``.0`` or
    their type (numbers in a Parquet column, text in the layer) are named as
    such.  Numbers are matched by their integer text (``12``, ``12.0`` and
    ``"12"`` meet when the known ids are numbers).  Ids are returned as the
    objects given in ``origin_ids`` / ``site_ids``, so the table joins with
    the areas and sites frames.

    Parameters
    ----------
    path : str or Path
        ``.csv`` (optionally ``.gz``/``.bz2``) or ``.parquet`` file.
    origin_ids, site_ids : iterable
        The known origin (area) and site ids.
    origin_col, site_col, minutes_col : str
        The file's column names for origin id, site id and minutes.
    max_minutes : float, optional
        Drop pairs above this (not an error).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin_id, site_id, minutes`` (float64), sorted.

    Raises
    ------
    InputFileError
        If the file is missing, of unknown type or unreadable.
    InputValidationError
        Listing every problem found, each naming the file, column and rows.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "OD table not found")
    table, row_offset = _read_table(path)
    source = str(path)
    problems = ProblemCollector(what="OD table")

    missing = [c for c in (origin_col, site_col, minutes_col) if c not in table.columns]
    for col in missing:
        found = ", ".join(map(str, table.columns)) or "none"
        problems.add(f"column is missing (columns found: {found})", source=source, column=col)
    problems.raise_if_any()
    if len(table) == 0:
        problems.add("the table has no rows", source=source)
        problems.raise_if_any()

    def rows(mask: np.ndarray) -> tuple[int, ...]:
        return tuple(int(i) + row_offset for i in np.flatnonzero(mask))

    raw = table[minutes_col]
    minutes = pd.to_numeric(raw, errors="coerce").astype("float64").to_numpy()
    absent = raw.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(raw):
        absent = absent | raw.astype(str).str.strip().eq("").to_numpy()
    not_number = np.isnan(minutes) & ~absent
    if absent.any():
        problems.add("minutes are missing", source=source, column=minutes_col, rows=rows(absent))
    if not_number.any():
        bad = pd.unique(raw[not_number].astype(str))[:5]
        problems.add(
            f"minutes are not numbers (e.g. {', '.join(map(repr, bad))})",
            source=source,
            column=minutes_col,
            rows=rows(not_number),
        )
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(minutes)
        negative = minutes < 0
    if infinite.any():
        problems.add("minutes are infinite", source=source, column=minutes_col, rows=rows(infinite))
    if negative.any():
        problems.add("minutes are negative", source=source, column=minutes_col, rows=rows(negative))

    mapped = {}
    for col, known, what, layer in (
        (origin_col, list(origin_ids), "origin", "areas layer"),
        (site_col, list(site_ids), "site", "facility and candidate layers"),
    ):
        numeric = bool(known) and all(is_number_id(v) for v in known)
        lookup = {id_key(v, numeric=numeric): v for v in known}
        keys = table[col].map(lambda v, numeric=numeric: id_key(v, numeric=numeric))
        no_id = keys.isna().to_numpy()
        if no_id.any():
            problems.add(f"{what} id is missing", source=source, column=col, rows=rows(no_id))
        values = keys.map(lookup)
        unknown = values.isna().to_numpy() & ~no_id
        if unknown.any():
            names = pd.unique(keys[unknown])
            shown = ", ".join(map(repr, names[:5])) + (" ..." if len(names) > 5 else "")
            hint = mismatch_hint(
                names,
                known,
                file_numeric=pd.api.types.is_numeric_dtype(table[col]),
                what=what,
                layer=layer,
            )
            problems.add(
                f"{len(names)} unknown {what} id(s): {shown}{hint}",
                source=source,
                column=col,
                rows=rows(unknown),
            )
        mapped[col] = (keys, values)

    o_keys, s_keys = mapped[origin_col][0], mapped[site_col][0]
    both = ~(o_keys.isna() | s_keys.isna()).to_numpy()
    pairs = pd.DataFrame({"o": o_keys, "s": s_keys})
    dup = pairs.duplicated(keep=False).to_numpy() & both
    if dup.any():
        problems.add(
            f"{int(pairs[dup].drop_duplicates().shape[0])} (origin, site) pair(s) appear "
            "more than once",
            source=source,
            column=f"{origin_col}, {site_col}",
            rows=rows(dup),
        )
    problems.raise_if_any()

    od = pd.DataFrame(
        {
            "origin_id": mapped[origin_col][1].to_numpy(),
            "site_id": mapped[site_col][1].to_numpy(),
            "minutes": minutes,
        }
    )
    if max_minutes is not None:
        od = od[od["minutes"] <= max_minutes]
    od = od.reset_index(drop=True)
    try:
        od = od.sort_values(["origin_id", "site_id"], kind="mergesort")
    except TypeError:
        pass
    return od.reset_index(drop=True)


def od_table_travel_times(
    path: str | Path,
    *,
    origin_ids: Iterable[Any],
    site_ids: Iterable[Any],
    max_minutes: float,
    origin_col: str = "origin_id",
    site_col: str = "site_id",
    minutes_col: str = "minutes",
) -> TravelTimes:
    """Wrap a checked user OD table as :class:`TravelTimes` (``method="od_table"``).

    Parameters
    ----------
    path : str or Path
        CSV or Parquet file, see :func:`read_od_table`.
    origin_ids, site_ids : iterable
        Known origin and site ids.
    max_minutes : float
        Pairs above this are dropped.
    origin_col, site_col, minutes_col : str
        The file's column names.

    Returns
    -------
    TravelTimes
        Snap frames list every id with zero access legs.

    Raises
    ------
    InputFileError, InputValidationError
        As :func:`read_od_table`.
    NoPathError
        If no pair is within ``max_minutes``.
    """
    check_positive_options(max_minutes=max_minutes)
    origin_ids = pd.Series(list(origin_ids))
    site_ids = pd.Series(list(site_ids))
    od = read_od_table(
        path,
        origin_ids=origin_ids,
        site_ids=site_ids,
        origin_col=origin_col,
        site_col=site_col,
        minutes_col=minutes_col,
        max_minutes=max_minutes,
    )
    if len(od) == 0:
        raise NoPathError(f"file {path}: no pair within {max_minutes:g} minutes in the OD table")
    return TravelTimes(
        od=od,
        origin_snap=no_snap_frame("origin_id", origin_ids),
        site_snap=no_snap_frame("site_id", site_ids),
        max_minutes=float(max_minutes),
        method="od_table",
        unreachable_origins=unreached_ids(origin_ids, od["origin_id"]),
        unreachable_sites=unreached_ids(site_ids, od["site_id"]),
    )
