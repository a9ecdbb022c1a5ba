"""Population rasters (WorldPop, GHS-POP, HRSL, a rasterised census grid) as demand areas.

A gridded population raster is turned into the same frame
:func:`accessplan.planner.inputs.read_areas` returns, so the rest of the
pipeline cannot tell the two apart:

* every *populated* cell (value > 0) becomes one area; its polygon is the
  cell (for maps), its ``origin`` the cell centre (for routing), both in the
  run's metre-based projected CRS;
* ``aggregate = k`` first sums k x k blocks of cells, anchored at the
  top-left cell; blocks cut by the right or bottom edge are kept with their
  smaller extent, so no cell is lost.  ``aggregate_m = 500`` chooses
  ``k = round(500 / cell size in metres)``;
* the total population is preserved: the areas' populations add up to the
  sum of the valid cells.  Sums are taken in float64 (never in the raster's
  float32): integer rasters are summed exactly, and so is a float32 raster
  whenever its total divided by its smallest populated cell is below 2**29
  (e.g. 500,000 people with cells down to 0.001 person); beyond that the
  only difference is float64 rounding, about 1e-16 of the total per cell.

Cell values:

* cells equal to the raster's declared nodata value, masked cells and NaN are
  *no data*: they are not areas and count for nothing (WorldPop declares
  -99999 as nodata, so its ocean cells are dropped this way);
* zero cells are valid but unpopulated: not areas;
* negative cells that are *not* declared nodata are an error naming how many
  there are and the first one (row/column, 1-based).  No rule for negative
  cells was found in AccessMod (its coverage-analysis input checks,
  ``amServer_validation.R``, test that a population layer is chosen, not its
  signs; it drops population on barrier cells with a notice); accessplan
  refuses rather than guess, because a negative count is either an
  undeclared nodata value (declare it: ``gdal_edit.py -a_nodata -99999``) or
  a broken file, and silently dropping or keeping it would change the total.

Area ids are ``"r{row}_c{col}"`` of the (aggregated) grid, 1-based from the
top-left cell, so ``r1_c1`` is the first (block of) cell(s) in the file.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.spatial.crs import coordinate_problems, metre_crs
from accessplan.spatial.errors import CRSError

__all__ = [
    "OVERLAP_BUFFER_M",
    "check_raster_overlap",
    "read_raster_areas",
]

#: How far (metres) a facility may lie outside the populated extent of the
#: raster before :func:`check_raster_overlap` calls the two inputs disjoint.
OVERLAP_BUFFER_M = 5_000.0


def _blocks(
    cell_row: np.ndarray, cell_col: np.ndarray, people: np.ndarray, k: int, cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum populated cells into ``k x k`` blocks (partial blocks at the edges kept).

    .. math:: P_{IJ} = \\sum_{i // k = I,\\; j // k = J} v_{ij}

    Returns the block rows, block columns (0-based, row-major order) and sums
    (float64) of the blocks holding at least one of the cells.
    """
    if k == 1:
        return cell_row, cell_col, people
    block_cols = -(-cols // k)
    key = (cell_row // k).astype(np.int64) * block_cols + cell_col // k
    blocks, which = np.unique(key, return_inverse=True)
    sums = np.bincount(which.ravel(), weights=people, minlength=len(blocks))
    return blocks // block_cols, blocks % block_cols, sums


def _open(path: Path, label: str):
    """Open the raster with rasterio, turning every failure into InputFileError."""
    try:
        import rasterio
        from rasterio.errors import RasterioIOError
    except ImportError as exc:  # pragma: no cover - rasterio is a dependency
        raise InputFileError(
            label, "reading a population raster needs rasterio (pip install rasterio)"
        ) from exc
    if not path.exists():
        raise InputFileError(label, "does not exist")
    if path.is_dir():
        raise InputFileError(label, "is a folder, not a raster file")
    try:
        return rasterio.open(path)
    except RasterioIOError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputFileError(
            label, f"cannot be read as a raster (GeoTIFF or another GDAL format): {first}"
        ) from exc


def _cell_size_m(transform, raster_crs: pyproj.CRS, run_crs: pyproj.CRS, shape) -> float:
    """Side (metres) of the square with the area of the raster's central cell in the run CRS."""
    row, col = shape[0] // 2, shape[1] // 2
    x0, y0 = transform.c + col * transform.a, transform.f + row * transform.e
    x1, y1 = x0 + transform.a, y0 + transform.e
    box = shapely.box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    cell = gpd.GeoSeries([box], crs=raster_crs).to_crs(run_crs)
    return float(math.sqrt(cell.area.iloc[0]))


def _check_options(aggregate, aggregate_m, problems: ProblemCollector, label: str) -> None:
    if aggregate is not None and aggregate_m is not None:
        problems.add("give aggregate (cells) or aggregate_m (metres), not both", source=label)
    if aggregate is not None and (
        isinstance(aggregate, bool) or not isinstance(aggregate, int | np.integer) or aggregate < 1
    ):
        problems.add(
            f"aggregate must be a whole number of cells >= 1, got {aggregate!r}", source=label
        )
    if aggregate_m is not None and (
        isinstance(aggregate_m, bool)
        or not isinstance(aggregate_m, int | float | np.integer | np.floating)
        or not math.isfinite(aggregate_m)
        or aggregate_m <= 0
    ):
        problems.add(
            f"aggregate_m must be a positive number of metres, got {aggregate_m!r}", source=label
        )


def read_raster_areas(
    path,
    *,
    aggregate: int | None = None,
    aggregate_m: float | None = None,
    crs=None,
    label: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a population raster as demand areas (one per populated cell or block).

    For cell values :math:`v_{ij}` (no data counted as 0) and block side
    :math:`k`, area :math:`(I, J)` has population

    .. math:: P_{IJ} = \\sum_{(i, j) \\in \\text{block}(I, J)} v_{ij},
              \\qquad \\sum_{IJ} P_{IJ} = \\sum_{ij} v_{ij}

    and is kept when :math:`P_{IJ} > 0`.  This is the population input of
    AccessMod (Ray & Ebener 2008, *Int J Health Geogr* 7:63), where each
    populated cell is a demand point at its centre.

    Parameters
    ----------
    path : str or Path
        The raster (GeoTIFF or any single-band format GDAL reads; band 1 is
        used), in any CRS, north-up (no rotation or shear).
    aggregate : int, optional
        Sum ``aggregate x aggregate`` blocks of cells into one area
        (``[areas] aggregate``); edge blocks are kept, smaller.
    aggregate_m : float, optional
        Block side in metres instead (``[areas] aggregate_m``):
        ``k = round(aggregate_m / cell size)``, the cell size measured in the
        run CRS; an error when that is less than one cell.
    crs : CRS-like, optional
        The run's metre-based projected CRS.  Default: the raster's own when
        it is projected in metres, else its WGS 84 / UTM zone
        (:func:`accessplan.spatial.crs.metre_crs`).
    label : str, optional
        How the file is named in messages (default: the path).

    Returns
    -------
    geopandas.GeoDataFrame
        ``area_id, population, need, geometry, origin`` in the run CRS, the
        columns :func:`accessplan.planner.inputs.read_areas` returns:
        ``area_id`` is ``"r{row}_c{col}"`` (1-based, of the aggregated grid,
        row-major order); ``population`` (float64) and ``need`` (equal to it);
        ``geometry`` the cell (block) polygon; ``origin`` the cell (block)
        centre, projected from the raster CRS.  ``attrs["raster"]`` holds
        ``path, cell_size_m, aggregate, valid_cells, nodata_cells,
        total_population`` for the report.

    Raises
    ------
    InputFileError
        The file is missing or not a raster GDAL can read.
    InputValidationError
        With every problem found: no CRS, a rotated or sheared transform,
        bad ``aggregate``/``aggregate_m`` (both given, < 1 cell), negative
        cells, no valid cell (all no data), no populated cell, a ``crs`` not
        projected in metres, coordinates that cannot be projected.
    """
    path = Path(path)
    label = str(path) if label is None else label
    problems = ProblemCollector(what=f"population raster {label}")
    _check_options(aggregate, aggregate_m, problems, label)
    with _open(path, label) as src:
        transform = src.transform
        raster_crs = src.crs
        shape = (src.height, src.width)
        if raster_crs is None:
            problems.add(
                "the raster has no coordinate reference system; set one (e.g. "
                "gdal_edit.py -a_srs EPSG:4326 file.tif for WorldPop)",
                source=label,
            )
        if transform.b != 0 or transform.d != 0:
            problems.add(
                f"the raster is rotated or sheared (geotransform {tuple(transform)[:6]}); "
                "warp it north-up first (gdalwarp)",
                source=label,
            )
        problems.raise_if_any()
        band = src.read(1, masked=True)
    values = np.ma.getdata(band)
    valid = ~np.ma.getmaskarray(band)
    if np.issubdtype(values.dtype, np.floating):
        valid &= np.isfinite(values)
    n_valid = int(valid.sum())
    negative = valid & (values < 0)
    if negative.any():
        first_row, first_col = (int(v) + 1 for v in np.argwhere(negative)[0])
        problems.add(
            f"{int(negative.sum())} cell(s) have a negative population (first: row "
            f"{first_row}, column {first_col}, value {values[first_row - 1, first_col - 1]:g}); "
            "a population count cannot be negative -- if it marks missing data, declare it "
            "as the raster's nodata value (gdal_edit.py -a_nodata VALUE)",
            source=label,
        )
    if n_valid == 0:
        problems.add("every cell is nodata: the raster holds no population", source=label)
    populated = valid & (values > 0)
    if n_valid and not populated.any():
        problems.add(
            "no cell has a population above 0: the raster holds no populated area", source=label
        )
    problems.raise_if_any()

    raster_crs = pyproj.CRS.from_user_input(raster_crs)
    rows, cols = shape
    x_left, y_top = transform.c, transform.f
    x_right, y_bottom = x_left + cols * transform.a, y_top + rows * transform.e
    extent = gpd.GeoSeries(
        [
            shapely.box(
                min(x_left, x_right),
                min(y_top, y_bottom),
                max(x_left, x_right),
                max(y_top, y_bottom),
            )
        ],
        crs=raster_crs,
    )
    try:
        run_crs = metre_crs(extent, crs)
    except CRSError as exc:
        problems.add(str(exc), source=label)
        problems.raise_if_any()
    cell_m = _cell_size_m(transform, raster_crs, run_crs, shape)
    k = 1 if aggregate is None else int(aggregate)
    if aggregate_m is not None:
        k = round(float(aggregate_m) / cell_m)
        if k < 1:
            problems.add(
                f"aggregate_m = {aggregate_m:g} m is less than one cell of the raster "
                f"({cell_m:.1f} m); give at least {cell_m / 2:.1f} m or leave it out",
                source=label,
            )
            problems.raise_if_any()

    # only populated cells are touched (a national raster is mostly empty or nodata)
    cell_row, cell_col = np.nonzero(populated)
    people = values[cell_row, cell_col].astype(np.float64)
    block_row, block_col, pop = _blocks(cell_row, cell_col, people, k, cols)
    # block corners in cell indices, clipped at the raster's right and bottom edges
    r0 = block_row * k
    c0 = block_col * k
    r1 = np.minimum(r0 + k, rows)
    c1 = np.minimum(c0 + k, cols)
    xa = x_left + c0 * transform.a
    xb = x_left + c1 * transform.a
    ya = y_top + r0 * transform.e
    yb = y_top + r1 * transform.e
    polygons = shapely.box(
        np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb)
    )
    centres = shapely.points((xa + xb) / 2.0, (ya + yb) / 2.0)
    ids = (
        "r" + pd.Series(block_row + 1).astype(str) + "_c" + pd.Series(block_col + 1).astype(str)
    ).to_numpy()
    native = gpd.GeoSeries(polygons, crs=raster_crs)
    coordinate_problems(
        native,
        labels=list(ids),
        source=label,
        column="cells",
        problems=problems,
        run_crs=run_crs,
    )
    problems.raise_if_any()
    projected = native.to_crs(run_crs)
    origin = gpd.GeoSeries(centres, crs=raster_crs).to_crs(run_crs)
    out = gpd.GeoDataFrame(
        {"area_id": ids, "population": pop, "need": pop.copy()},
        geometry=projected.to_numpy(),
        crs=run_crs,
    )
    out["origin"] = gpd.GeoSeries(origin.to_numpy(), crs=run_crs)
    out.attrs["raster"] = {
        "path": str(path),
        "cell_size_m": cell_m,
        "aggregate": k,
        "valid_cells": n_valid,
        "nodata_cells": rows * cols - n_valid,
        "total_population": float(people.sum()),
    }
    return out


def check_raster_overlap(
    areas: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    label: str,
    buffer_m: float = OVERLAP_BUFFER_M,
) -> None:
    """Refuse a population raster that lies away from every facility.

    The populated extent (bounding box of the areas
    :func:`read_raster_areas` returned) is grown by ``buffer_m``; at least
    one facility must lie in it.  A raster of the wrong country, or with a
    wrong CRS, fails here instead of giving every area "no access".

    Parameters
    ----------
    areas : GeoDataFrame
        From :func:`read_raster_areas` (projected in metres).
    facilities : GeoDataFrame
        Facility points, in any CRS (projected to the areas' for the test).
        An empty frame passes (facilities are checked elsewhere).
    label : str
        The raster as named in messages.
    buffer_m : float, default :data:`OVERLAP_BUFFER_M`
        Margin in metres.

    Raises
    ------
    InputValidationError
        No facility lies within ``buffer_m`` of the populated extent.
    """
    if len(facilities) == 0 or len(areas) == 0:
        return
    points = facilities.geometry
    if facilities.crs is not None and areas.crs is not None:
        points = points.to_crs(areas.crs)
    xmin, ymin, xmax, ymax = areas.total_bounds
    zone = shapely.box(xmin - buffer_m, ymin - buffer_m, xmax + buffer_m, ymax + buffer_m)
    present = ~(points.isna() | points.is_empty).to_numpy()
    inside = np.zeros(len(points), dtype=bool)
    inside[present] = shapely.intersects(points.to_numpy()[present], zone)
    if inside.any():
        return
    problems = ProblemCollector(what=f"population raster {label}")
    fx = shapely.bounds(points.to_numpy()[present]) if present.any() else None
    span = (
        f"; the facilities span x {fx[:, 0].min():.0f}..{fx[:, 2].max():.0f}, "
        f"y {fx[:, 1].min():.0f}..{fx[:, 3].max():.0f}"
        if fx is not None
        else ""
    )
    problems.add(
        f"the raster does not overlap the facilities: none lies within {buffer_m / 1000:g} km "
        f"of its populated extent (x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f} in "
        f"{pyproj.CRS.from_user_input(areas.crs).to_string()}){span}; check the raster's "
        "CRS and that it covers the facilities' region",
        source=label,
    )
    problems.raise_if_any()
