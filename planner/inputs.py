"""Read the user's area, facility and candidate layers and check them.

Every reader maps the user's column names to accessplan's (``"Pop"`` ->
``population``), checks the whole layer, and raises one
:class:`~accessplan.data.errors.InputValidationError` that lists every problem
with file, column and row. Rows are numbered from 1 in file order, and the
feature's id is shown beside the number where it is known.

The frames returned use accessplan's column names and string ids:

- areas: ``area_id, population, need, [group], geometry, origin`` -- ``origin``
  is the point travel starts from (the representative point of a polygon, or
  a population-weighted point given by the user);
- facilities: ``site_id, capacity, [beds, icu_beds, ventilators,
  mean_stay_days, name], geometry`` (points);
- candidates: ``site_id, site_cost, unit_cost, max_units, min_units, [name],
  geometry`` (points).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan.data.errors import InputFileError, ProblemCollector

__all__ = [
    "AREA_COLUMNS",
    "CANDIDATE_COLUMNS",
    "FACILITY_COLUMNS",
    "LayerSpec",
    "read_areas",
    "read_candidates",
    "read_facilities",
    "read_layer",
]

#: our column name -> (required, must be a non-negative number)
AREA_COLUMNS = {
    "population": (True, True),
    "need": (False, True),
    "group": (False, False),
    "point_x": (False, True),
    "point_y": (False, True),
}
FACILITY_COLUMNS = {
    "capacity": (True, True),
    "beds": (False, True),
    "icu_beds": (False, True),
    "ventilators": (False, True),
    "mean_stay_days": (False, True),
    "name": (False, False),
}
CANDIDATE_COLUMNS = {
    "site_cost": (True, True),
    "unit_cost": (True, True),
    "max_units": (True, True),
    "min_units": (False, True),
    "name": (False, False),
}
_TABLE_SUFFIXES = {".csv", ".parquet", ".pq"}


@dataclass(frozen=True)
class LayerSpec:
    """Where a layer is and how its columns are called.

    Parameters
    ----------
    path : Path
        The file (any vector format GDAL reads, or CSV/Parquet with ``x``/``y``).
    id : str
        The user's id column.
    columns : Mapping[str, str]
        accessplan's name -> the user's column name (e.g. ``{"population": "Pop"}``).
    layer : str, optional
        Layer name for multi-layer files (GeoPackage).
    x, y : str, optional
        Coordinate columns for CSV/Parquet tables.
    crs : str, optional
        CRS of a CSV/Parquet table's coordinates, or of a file that has none.
    """

    path: Path
    id: str
    columns: Mapping[str, str] = field(default_factory=dict)
    layer: str | None = None
    x: str | None = None
    y: str | None = None
    crs: str | None = None

    @property
    def label(self) -> str:
        """How the layer is named in messages."""
        return f"{self.path}" + (f" (layer {self.layer!r})" if self.layer else "")


def read_layer(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read a layer as a GeoDataFrame, with clear errors for unreadable files.

    Parameters
    ----------
    spec : LayerSpec
        The layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer as read, with a fresh ``RangeIndex``.

    Raises
    ------
    InputFileError
        The file is missing or unreadable, or the layer does not exist.
    InputValidationError
        The layer is empty, or has no CRS and none was given.
    """
    path = Path(spec.path)
    if not path.exists():
        raise InputFileError(path, "does not exist")
    if not path.is_file():
        raise InputFileError(path, "is not a file")
    problems = ProblemCollector(what=f"layer {spec.label}")
    suffix = path.suffix.lower()
    try:
        if suffix in _TABLE_SUFFIXES:
            frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
            gdf = _table_to_points(frame, spec, problems)
        else:
            import pyogrio

            if spec.layer is not None:
                layers = [name for name, _ in pyogrio.list_layers(path)]
                if spec.layer not in layers:
                    raise InputFileError(
                        path, f"has no layer {spec.layer!r}; its layers are {layers}"
                    )
            gdf = gpd.read_file(path, layer=spec.layer, engine="pyogrio")
    except InputFileError:
        raise
    except (OSError, ValueError, RuntimeError) as exc:
        if type(exc).__module__.startswith("accessplan"):
            raise
        raise InputFileError(path, f"cannot be read ({exc})") from exc
    problems.raise_if_any()
    if len(gdf) == 0:
        problems.add("the layer is empty (no features)", source=spec.label)
    if gdf.crs is None:
        if spec.crs is not None:
            gdf = gdf.set_crs(spec.crs)
        else:
            problems.add(
                "the layer has no coordinate reference system; set one in the file "
                'or give `crs = "EPSG:..."` in the scenario',
                source=spec.label,
            )
    problems.raise_if_any()
    return gdf.reset_index(drop=True)


def _table_to_points(frame: pd.DataFrame, spec: LayerSpec, problems: ProblemCollector):
    missing = [key for key in ("x", "y") if getattr(spec, key) is None]
    if missing:
        problems.add(
            f"a CSV/Parquet layer needs coordinate columns: give {' and '.join(missing)} "
            "in the scenario",
            source=spec.label,
        )
        return gpd.GeoDataFrame(frame)
    for key in ("x", "y"):
        col = getattr(spec, key)
        if col not in frame.columns:
            problems.add(
                f"coordinate column not found; columns are {list(frame.columns)}",
                source=spec.label,
                column=col,
            )
    if problems:
        return gpd.GeoDataFrame(frame)
    xs = pd.to_numeric(frame[spec.x], errors="coerce")
    ys = pd.to_numeric(frame[spec.y], errors="coerce")
    bad = np.flatnonzero((xs.isna() | ys.isna()).to_numpy())
    if len(bad):
        problems.add(
            "coordinates are missing or not numbers",
            source=spec.label,
            column=f"{spec.x}/{spec.y}",
            rows=tuple(int(i) + 1 for i in bad),
        )
        return gpd.GeoDataFrame(frame)
    return gpd.GeoDataFrame(
        frame.drop(columns=[spec.x, spec.y]),
        geometry=gpd.points_from_xy(xs, ys),
        crs=spec.crs,
    )


def _row_labels(ids: pd.Series, positions) -> tuple[str, ...]:
    return tuple(f"{int(i) + 1} (id {ids.iloc[int(i)]})" for i in positions)


def _check_columns(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec,
    known: Mapping[str, tuple[bool, bool]],
    problems: ProblemCollector,
) -> dict[str, pd.Series]:
    """Map and check the columns; returns our name -> checked series."""
    available = [c for c in gdf.columns if c != gdf.geometry.name]
    out: dict[str, pd.Series] = {}
    unknown = sorted(set(spec.columns) - set(known))
    for name in unknown:
        problems.add(
            f"unknown column mapping {name!r}; accessplan knows {sorted(known)}",
            source=spec.label,
        )
    if spec.id not in gdf.columns:
        problems.add(
            f"id column not found; the layer's columns are {available}",
            source=spec.label,
            column=spec.id,
        )
        ids = pd.Series([str(i + 1) for i in range(len(gdf))])
    else:
        raw = gdf[spec.id]
        ids = raw.map(_id_text)
        missing = np.flatnonzero(raw.isna().to_numpy())
        if len(missing):
            problems.add(
                "id is empty",
                source=spec.label,
                column=spec.id,
                rows=tuple(int(i) + 1 for i in missing),
            )
        dup = ids[ids.duplicated(keep=False) & raw.notna()]
        for value, group in dup.groupby(dup):
            problems.add(
                f"duplicate id {value!r}",
                source=spec.label,
                column=spec.id,
                rows=tuple(int(i) + 1 for i in group.index),
            )
    out["_id"] = ids
    for ours, (required, numeric) in known.items():
        theirs = spec.columns.get(ours)
        if theirs is None:
            # our own name is the default mapping; an optional column is used when present
            if not required and ours not in gdf.columns:
                continue
            theirs = ours
        if theirs not in gdf.columns:
            close = [c for c in available if c.lower().replace(" ", "_") == theirs.lower()]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.add(
                f"{ours} column not found{hint}; the layer's columns are {available}",
                source=spec.label,
                column=theirs,
            )
            continue
        series = gdf[theirs]
        if numeric:
            values = pd.to_numeric(series, errors="coerce")
            not_number = series.notna() & values.isna()
            if not_number.any():
                problems.add(
                    "not a number",
                    source=spec.label,
                    column=theirs,
                    rows=_row_labels(ids, np.flatnonzero(not_number.to_numpy())),
                )
            nan = series.isna()
            if nan.any():
                problems.add(
                    "missing value (NaN/empty)",
                    source=spec.label,
                    column=theirs,
                    rows=_row_labels(ids, np.flatnonzero(nan.to_numpy())),
                )
            negative = values < 0
            if negative.any() and ours not in ("point_x", "point_y"):
                problems.add(
                    "negative value",
                    source=spec.label,
                    column=theirs,
                    rows=_row_labels(ids, np.flatnonzero(negative.to_numpy())),
                )
            infinite = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            if infinite.any():
                problems.add(
                    "infinite value",
                    source=spec.label,
                    column=theirs,
                    rows=_row_labels(ids, np.flatnonzero(infinite)),
                )
            out[ours] = values.astype(float)
        else:
            out[ours] = series
    return out


def _id_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _points(
    gdf: gpd.GeoDataFrame, ids: pd.Series, spec: LayerSpec, problems: ProblemCollector
) -> gpd.GeoSeries:
    """Point geometries; a MultiPoint with one point is accepted, several are an error."""
    geom = gdf.geometry
    kinds = geom.geom_type
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.add(
            "geometry is missing or empty",
            source=spec.label,
            column="geometry",
            rows=_row_labels(ids, np.flatnonzero(empty.to_numpy())),
        )
    parts = shapely.get_num_geometries(geom.to_numpy())
    multi = (kinds == "MultiPoint") & ~empty
    several = multi & (parts > 1)
    if several.any():
        problems.add(
            "a MultiPoint with several points; give one point per site",
            source=spec.label,
            column="geometry",
            rows=_row_labels(ids, np.flatnonzero(several.to_numpy())),
        )
    other = ~kinds.isin(["Point", "MultiPoint"]) & ~empty
    if other.any():
        found = sorted(set(kinds[other]))
        problems.add(
            f"sites must be points, found {', '.join(found)}",
            source=spec.label,
            column="geometry",
            rows=_row_labels(ids, np.flatnonzero(other.to_numpy())),
        )
    single = geom.copy()
    ok_multi = multi & (parts == 1)
    if ok_multi.any():
        single[ok_multi] = shapely.get_geometry(geom[ok_multi].to_numpy(), 0)
    return single


def read_areas(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read and check the demand areas.

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` may map ``population`` (required), ``need``
        (demand weight used by the access models instead of population, e.g.
        ``pop_65plus``), ``group`` (for decompositions: district, urban/rural),
        and ``point_x``/``point_y`` (a population-weighted point, in the
        layer's CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id, population, need, [group], geometry, origin`` -- ``need``
        equals ``population`` when no need column is mapped; ``origin`` is a
        second geometry column with the point travel starts from.

    Raises
    ------
    InputFileError, InputValidationError
        With every problem found: missing columns, NaN or negative
        population, duplicate ids, empty or non-areal geometries, no CRS.
    """
    gdf = read_layer(spec)
    problems = ProblemCollector(what=f"areas layer {spec.label}")
    cols = _check_columns(gdf, spec, AREA_COLUMNS, problems)
    ids = cols["_id"]
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.add(
            "geometry is missing or empty",
            source=spec.label,
            column="geometry",
            rows=_row_labels(ids, np.flatnonzero(empty.to_numpy())),
        )
    kinds = geom.geom_type
    allowed = kinds.isin(["Polygon", "MultiPolygon", "Point"]) | empty
    if (~allowed).any():
        problems.add(
            f"areas must be polygons or points, found {sorted(set(kinds[~allowed]))}",
            source=spec.label,
            column="geometry",
            rows=_row_labels(ids, np.flatnonzero((~allowed).to_numpy())),
        )
    if ("point_x" in cols) != ("point_y" in cols):
        problems.add(
            "give both point_x and point_y for population-weighted points, or neither",
            source=spec.label,
        )
    problems.raise_if_any()

    if "point_x" in cols:
        origin = gpd.GeoSeries(gpd.points_from_xy(cols["point_x"], cols["point_y"]), crs=gdf.crs)
    else:
        polygonal = kinds.isin(["Polygon", "MultiPolygon"]).to_numpy()
        points = geom.to_numpy().copy()
        points[polygonal] = shapely.point_on_surface(points[polygonal])
        origin = gpd.GeoSeries(points, crs=gdf.crs)
    data = {
        "area_id": ids.to_numpy(),
        "population": cols["population"].to_numpy(),
        "need": cols.get("need", cols["population"]).to_numpy(),
    }
    if "group" in cols:
        data["group"] = cols["group"].astype(str).to_numpy()
    out = gpd.GeoDataFrame(data, geometry=geom.to_numpy(), crs=gdf.crs)
    out["origin"] = gpd.GeoSeries(origin.to_numpy(), crs=gdf.crs)
    return out


def read_facilities(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read and check existing facilities (hospitals).

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` maps ``capacity`` (required: the supply the
        access model uses, e.g. beds) and optionally ``beds``, ``icu_beds``,
        ``ventilators``, ``mean_stay_days``, ``name``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, capacity, ...mapped columns..., geometry`` (points).
    """
    return _read_sites(spec, FACILITY_COLUMNS, "facilities")


def read_candidates(spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read and check candidate sites for new facilities.

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` maps ``site_cost``, ``unit_cost``,
        ``max_units`` (required), ``min_units`` (default 0) and ``name``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, site_cost, unit_cost, max_units, min_units, [name], geometry``.
    """
    gdf = _read_sites(spec, CANDIDATE_COLUMNS, "candidates")
    if "min_units" not in gdf.columns:
        gdf.insert(4, "min_units", 0.0)
    problems = ProblemCollector(what=f"candidates layer {spec.label}")
    above = gdf["min_units"] > gdf["max_units"]
    if above.any():
        problems.add(
            "min_units is larger than max_units",
            source=spec.label,
            column=spec.columns.get("min_units", "min_units"),
            rows=_row_labels(gdf["site_id"], np.flatnonzero(above.to_numpy())),
        )
    problems.raise_if_any()
    return gdf


def _read_sites(spec: LayerSpec, known, what: str) -> gpd.GeoDataFrame:
    gdf = read_layer(spec)
    problems = ProblemCollector(what=f"{what} layer {spec.label}")
    cols = _check_columns(gdf, spec, known, problems)
    points = _points(gdf, cols["_id"], spec, problems)
    problems.raise_if_any()
    data = {"site_id": cols.pop("_id").to_numpy()}
    data.update({name: series.to_numpy() for name, series in cols.items()})
    return gpd.GeoDataFrame(data, geometry=points.to_numpy(), crs=gdf.crs)
