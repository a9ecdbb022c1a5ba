"""Write small GeoTIFFs for the population-raster tests (no binary file is committed).

Used by ``tests/planner/test_raster_areas.py`` (loaded by path), and runnable
as a script to look at the rasters by hand::

    python tests/data/make_raster.py OUT_DIR

writes ``tiny.tif`` (the 4 x 5 hand-worked raster of the tests) and, when
``../shared/data`` is present, ``helsinki_population_2020.tif`` (the HSY
250 m population grid rasterised in its native CRS, EPSG:3879).
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
from rasterio.transform import Affine

#: The 4 x 5 hand-worked raster (float32): -1 marks the nodata cell (row 2,
#: column 3, 1-based); 0 cells are valid and unpopulated; 2.5 is a fraction.
TINY_VALUES = np.array(
    [
        [10.0, 0.0, 5.0, 1.0, 0.0],
        [2.5, 4.0, -1.0, 0.0, 3.0],
        [0.0, 0.0, 7.0, 8.0, 0.0],
        [1.0, 0.0, 0.0, 0.0, 6.0],
    ],
    dtype=np.float32,
)
TINY_NODATA = -1.0
#: Top-left corner and cell size (metres) of the tiny raster in EPSG:32635 (UTM 35N).
TINY_ORIGIN = (500_000.0, 6_700_000.0)
TINY_CELL_M = 100.0


def north_up(x_left: float, y_top: float, cell_x: float, cell_y: float | None = None) -> Affine:
    """The transform of a north-up grid whose top-left corner is ``(x_left, y_top)``."""
    return Affine(cell_x, 0.0, x_left, 0.0, -(cell_x if cell_y is None else cell_y), y_top)


#: The HSY grid's native CRS and cell size.
HELSINKI_CRS = "EPSG:3879"
HELSINKI_CELL_M = 250.0


def write_geotiff(
    path,
    values: np.ndarray,
    *,
    transform: Affine,
    crs=None,
    nodata: float | None = None,
) -> Path:
    """Write a single-band GeoTIFF of ``values`` (its dtype kept) and return its path."""
    path = Path(path)
    values = np.asarray(values)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=values.shape[0],
        width=values.shape[1],
        count=1,
        dtype=values.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values, 1)
    return path


def write_tiny(path, *, crs="EPSG:32635", transform: Affine | None = None) -> Path:
    """Write :data:`TINY_VALUES` (nodata -1) with a 100 m grid at :data:`TINY_ORIGIN`."""
    if transform is None:
        transform = north_up(*TINY_ORIGIN, TINY_CELL_M)
    return write_geotiff(path, TINY_VALUES, transform=transform, crs=crs, nodata=TINY_NODATA)


def helsinki_grid(gpkg) -> tuple[gpd.GeoDataFrame, Affine, tuple[int, int]]:
    """The HSY grid in EPSG:3879 and the 250 m raster grid its cells sit on.

    The grid is stored in degrees; back in EPSG:3879 its cell corners lie
    within a centimetre of a 250 m lattice, so each cell centre is snapped
    to the lattice and the raster's top-left corner is the lattice corner of
    the top-left cell.
    """
    grid = gpd.read_file(gpkg).to_crs(HELSINKI_CRS)
    centres = grid.geometry.centroid
    x0 = np.round((centres.x.min() - HELSINKI_CELL_M / 2) / 1.0)  # metre-aligned corner
    y0 = np.round((centres.y.max() + HELSINKI_CELL_M / 2) / 1.0)
    col = np.floor((centres.x.to_numpy() - x0) / HELSINKI_CELL_M).astype(int)
    row = np.floor((y0 - centres.y.to_numpy()) / HELSINKI_CELL_M).astype(int)
    grid["raster_row"] = row
    grid["raster_col"] = col
    transform = north_up(x0, y0, HELSINKI_CELL_M)
    return grid, transform, (int(row.max()) + 1, int(col.max()) + 1)


def write_helsinki(gpkg, path) -> tuple[Path, gpd.GeoDataFrame]:
    """Rasterise the HSY population grid (cell centres burnt, summed) as int32, nodata -99999.

    Returns the GeoTIFF's path and the grid (EPSG:3879) with the
    ``raster_row``/``raster_col`` (0-based) of each cell.
    """
    grid, transform, shape = helsinki_grid(gpkg)
    burnt = rasterio.features.rasterize(
        zip(grid.geometry.centroid, grid["population"].astype("int32"), strict=True),
        out_shape=shape,
        transform=transform,
        fill=-99999,
        dtype="int32",
        merge_alg=rasterio.enums.MergeAlg.replace,
    )
    return (
        write_geotiff(path, burnt, transform=transform, crs=HELSINKI_CRS, nodata=-99999),
        grid,
    )


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    print(write_tiny(out / "tiny.tif"))
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    gpkg = shared / "helsinki" / "helsinki_population_grid_2020.gpkg"
    if gpkg.exists():
        print(write_helsinki(gpkg, out / "helsinki_population_2020.tif")[0])
