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
import pyproj
import shapely

from accessplan.data.errors import InputFileError, InputValidationError, Problem, ProblemCollector
from accessplan.spatial.crs import coordinate_problems, metre_crs, parse_crs
from accessplan.spatial.errors import CRSError

__all__ = [
    "AREA_COLUMNS",
    "CANDIDATE_COLUMNS",
    "FACILITY_COLUMNS",
    "LayerSpec",
    "choose_crs",
    "read_areas",
    "read_candidates",
    "read_facilities",
    "read_layer",
    "read_sites",
    "source_attributes",
]

#: our column name -> (required, must be a non-negative number)
AREA_COLUMNS = {
    "population": (True, True),
    "need": (False, True),
    "group": (False, False),
    "point_x": (False, True),
    "point_y": (False, True),
    # income or deprivation: the ordering variable of the concentration index
    "ordering": (False, True),
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


def source_attributes(spec: LayerSpec) -> pd.DataFrame:
    """The user's own columns of a layer, indexed by id, for the output layers.

    The outputs keep the original attributes (a planner joins on ``GEOID``,
    styles by ``County``); this reads them back from the layer once the run
    is done, rather than carrying them through every step.

    Parameters
    ----------
    spec : LayerSpec
        The layer, as the run read it.

    Returns
    -------
    pandas.DataFrame
        The layer's columns except its geometry, indexed by the id as the run
        holds it (text); empty when the ids are no longer unique (the file
        changed on disk during the run).
    """
    frame = pd.DataFrame(read_layer(spec).drop(columns="geometry", errors="ignore"))
    if spec.id not in frame.columns:
        return pd.DataFrame()
    keys = frame[spec.id].map(_id_text)
    if keys.duplicated().any():
        return pd.DataFrame()
    return frame.set_index(pd.Index(keys, name=None))


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
            frame = _read_table(path, suffix)
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
            try:
                gdf = gdf.set_crs(parse_crs(spec.crs, where=f"{spec.label}: crs"))
            except CRSError as exc:
                problems.add(str(exc), source=spec.label, column="crs")
        else:
            problems.add(
                "the layer has no coordinate reference system; set one in the file "
                'or give `crs = "EPSG:..."` in the scenario',
                source=spec.label,
            )
    problems.raise_if_any()
    return gdf.reset_index(drop=True)


def _read_table(path: Path, suffix: str) -> pd.DataFrame:
    """A CSV or Parquet table; CSV cells are read as text so ids stay as written.

    ``01000`` stays ``"01000"`` and ``NA`` (Namibia) is an id, not a missing
    value: only empty cells are missing.  Numeric columns are converted where
    they are checked.
    """
    if suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return pd.read_parquet(path)


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
            if negative.any() and ours not in ("point_x", "point_y", "ordering"):
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


def choose_crs(layer: gpd.GeoDataFrame, crs: str | None = None) -> pyproj.CRS:
    """The one metre-based projected CRS of a run.

    Parameters
    ----------
    layer : GeoDataFrame
        The areas, in their own CRS.
    crs : str, optional
        A CRS the user asked for (``[project] crs``); it must be projected and
        in metres.

    Returns
    -------
    pyproj.CRS
        ``crs`` if given; else the layer's CRS if it is projected in metres;
        else (degrees, feet) the WGS 84 UTM zone of the layer's centre.  See
        :func:`accessplan.spatial.crs.metre_crs`.

    Raises
    ------
    InputValidationError
        ``crs`` is unknown, geographic or not in metres.
    """
    try:
        return metre_crs(layer, crs)
    except CRSError as exc:
        raise InputValidationError(
            [Problem(str(exc), column="project.crs")], what="scenario"
        ) from exc


def _project(
    gdf: gpd.GeoDataFrame,
    labels: tuple[str, ...],
    spec: LayerSpec,
    crs,
    problems: ProblemCollector,
) -> pyproj.CRS | None:
    """Check the coordinates against the layer's CRS and the run CRS; the run CRS.

    ``crs`` is the run CRS, or ``None`` to choose one from this layer.
    """
    coordinate_problems(
        gdf.geometry, labels=labels, source=spec.label, column="geometry", problems=problems
    )
    if problems:
        return None
    if crs is None:
        try:
            crs = metre_crs(gdf)
        except (CRSError, ValueError, RuntimeError) as exc:
            problems.add(
                f"no metre-based CRS can be chosen for the layer ({exc})", source=spec.label
            )
            return None
    coordinate_problems(
        gdf.geometry,
        labels=labels,
        source=spec.label,
        column="geometry",
        problems=problems,
        run_crs=crs,
    )
    return None if problems else pyproj.CRS.from_user_input(crs)


def _check_weighted_points(
    projected: gpd.GeoSeries,
    points: gpd.GeoSeries,
    labels: tuple[str, ...],
    spec: LayerSpec,
    problems: ProblemCollector,
) -> None:
    """A population-weighted point must lie in (the bounding box of) its area.

    The box is widened by 10 % of its diagonal (at least 50 m); a point outside
    whose swapped (y, x) falls inside is reported as swapped axes.
    """
    box = shapely.bounds(projected.to_numpy())
    pad = np.maximum(0.1 * np.hypot(box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]), 50.0)
    lo_x, lo_y = box[:, 0] - pad, box[:, 1] - pad
    hi_x, hi_y = box[:, 2] + pad, box[:, 3] + pad
    px, py = points.x.to_numpy(), points.y.to_numpy()
    with np.errstate(invalid="ignore"):
        outside = ~((px >= lo_x) & (px <= hi_x) & (py >= lo_y) & (py <= hi_y))
        swapped = (py >= lo_x) & (py <= hi_x) & (px >= lo_y) & (px <= hi_y)
    if not outside.any():
        return
    columns = f"{spec.columns.get('point_x', 'point_x')}/{spec.columns.get('point_y', 'point_y')}"
    for mask, what in (
        (outside & swapped, "x and y look swapped"),
        (outside & ~swapped, "the population-weighted point lies outside its area"),
    ):
        if mask.any():
            problems.add(
                f"{what}; point_x/point_y are in the layer's CRS (or [areas] crs) with "
                "x = easting/longitude and y = northing/latitude",
                source=spec.label,
                column=columns,
                rows=tuple(labels[i] for i in np.flatnonzero(mask)),
            )


def read_areas(spec: LayerSpec, *, crs=None) -> gpd.GeoDataFrame:
    """Read and check the demand areas, in one metre-based projected CRS.

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` may map ``population`` (required), ``need``
        (demand weight used by the access models instead of population, e.g.
        ``pop_65plus``), ``group`` (for decompositions: district, urban/rural),
        and ``point_x``/``point_y`` (a population-weighted point, in the
        layer's own CRS -- the file's, or ``crs`` of the layer spec -- with x
        the easting or longitude and y the northing or latitude; checked to
        lie in its area, swapped axes are refused).
    crs : CRS-like, optional
        The metre-based projected CRS to return the areas in (``[project]
        crs``); default :func:`choose_crs` of the layer.

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id, population, need, [group], geometry, origin`` in the run
        CRS -- ``need`` equals ``population`` when no need column is mapped;
        ``origin`` is a second geometry column with the point travel starts
        from: the user's weighted point, or the representative point of the
        polygon computed *after* projecting (never in degrees).

    Raises
    ------
    InputFileError, InputValidationError
        With every problem found: missing columns, NaN or negative
        population, duplicate ids, empty or non-areal geometries, no CRS,
        coordinates that are not finite, outside -180..180/-90..90, far
        outside the CRS's area of use, or weighted points outside their areas.
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
    labels = _row_labels(ids, range(len(gdf)))
    if crs is not None:
        try:
            crs = metre_crs(gdf, crs)
        except CRSError as exc:
            problems.add(str(exc), column="project.crs")
            problems.raise_if_any()
    crs = _project(gdf, labels, spec, crs, problems)
    weighted = None
    if "point_x" in cols:
        weighted = gpd.GeoSeries(gpd.points_from_xy(cols["point_x"], cols["point_y"]), crs=gdf.crs)
        coordinate_problems(
            weighted,
            labels=labels,
            source=spec.label,
            column=f"{spec.columns.get('point_x', 'point_x')}/"
            f"{spec.columns.get('point_y', 'point_y')}",
            problems=problems,
            run_crs=crs,
        )
    problems.raise_if_any()
    projected = geom.to_crs(crs)
    if weighted is not None:
        origin = weighted.to_crs(crs)
        _check_weighted_points(projected, origin, labels, spec, problems)
        problems.raise_if_any()
    else:
        polygonal = kinds.isin(["Polygon", "MultiPolygon"]).to_numpy()
        points = projected.to_numpy().copy()
        points[polygonal] = shapely.point_on_surface(points[polygonal])
        origin = gpd.GeoSeries(points, crs=crs)
    data = {
        "area_id": ids.to_numpy(),
        "population": cols["population"].to_numpy(),
        "need": cols.get("need", cols["population"]).to_numpy(),
    }
    if "group" in cols:
        data["group"] = cols["group"].astype(str).to_numpy()
    if "ordering" in cols:
        data["ordering"] = pd.to_numeric(cols["ordering"]).to_numpy(dtype=float)
    out = gpd.GeoDataFrame(data, geometry=projected.to_numpy(), crs=crs)
    out["origin"] = gpd.GeoSeries(origin.to_numpy(), crs=crs)
    return out


def read_facilities(spec: LayerSpec, *, crs=None) -> gpd.GeoDataFrame:
    """Read and check existing facilities (hospitals).

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` maps ``capacity`` (required: the supply the
        access model uses, e.g. beds) and optionally ``beds``, ``icu_beds``,
        ``ventilators``, ``mean_stay_days``, ``name``.
    crs : CRS-like, optional
        The run's metre-based projected CRS (the areas'); default: one chosen
        from this layer (:func:`choose_crs`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, capacity, ...mapped columns..., geometry`` (points) in ``crs``.
    """
    return _read_sites(spec, FACILITY_COLUMNS, "facilities", crs)


def read_candidates(spec: LayerSpec, *, crs=None) -> gpd.GeoDataFrame:
    """Read and check candidate sites for new facilities.

    Parameters
    ----------
    spec : LayerSpec
        The layer; ``columns`` maps ``site_cost``, ``unit_cost``,
        ``max_units`` (required), ``min_units`` (default 0) and ``name``.
    crs : CRS-like, optional
        As :func:`read_facilities`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, site_cost, unit_cost, max_units, min_units, [name], geometry``.
    """
    gdf = _read_sites(spec, CANDIDATE_COLUMNS, "candidates", crs)
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


def read_sites(spec: LayerSpec, *, crs=None, what: str = "sites") -> gpd.GeoDataFrame:
    """Read a layer of points with an id only (e.g. the ``[referral]`` health centres).

    The same checks as :func:`read_facilities` (ids as text labels, empty and
    duplicate ids, one point per site, coordinates and CRS), without capacity
    columns.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id, geometry`` in ``crs``.
    """
    return _read_sites(spec, {}, what, crs)


def _read_sites(spec: LayerSpec, known, what: str, crs) -> gpd.GeoDataFrame:
    gdf = read_layer(spec)
    problems = ProblemCollector(what=f"{what} layer {spec.label}")
    cols = _check_columns(gdf, spec, known, problems)
    points = _points(gdf, cols["_id"], spec, problems)
    problems.raise_if_any()
    points = gpd.GeoSeries(points.to_numpy(), crs=gdf.crs)
    crs = _project(
        gpd.GeoDataFrame(geometry=points),
        _row_labels(cols["_id"], range(len(gdf))),
        spec,
        crs,
        problems,
    )
    problems.raise_if_any()
    data = {"site_id": cols.pop("_id").to_numpy()}
    data.update({name: series.to_numpy() for name, series in cols.items()})
    return gpd.GeoDataFrame(data, geometry=points.to_crs(crs).to_numpy(), crs=crs)
