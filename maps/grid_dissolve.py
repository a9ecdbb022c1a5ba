"""Dissolve areas that are the cells of one regular grid by labelling the grid.

Census and model grids (1 km squares, 250 m squares ...) give a region of
hundreds of thousands of equal axis-aligned rectangles. Their union (the
region outline) and their union by district are then the connected regions
of a label raster with one pixel per cell: each pixel holds the code of its
cell's district (0 where there is no cell), and GDAL's polygonize
(:func:`rasterio.features.shapes`, 4-connected regions of equal value, holes
kept) traces every region's boundary once. That is linear in the number of
cells, where the polygon overlay of :func:`shapely.union_all` grows faster
(500,000 cells: seconds against tens of seconds).

A set of polygons is taken as a grid (:func:`grid_cells`) when every one is
a rectangle equal to its bounding box (four corners, area equal to the box's
area), all have the same width and height (relative tolerance
:data:`SIZE_TOLERANCE`), every lower-left corner lies a whole number of
cells from the lowest one (within :data:`SIZE_TOLERANCE` of a cell), no
two share a place, and the grid's box holds at most
:data:`MAX_EMPTY_SHARE` times as many places as there are cells. Anything
else returns ``None`` and the caller unions the polygons.

The corners of the traced regions are ``x0 + col * width`` and ``y0 + row *
height``: the cells' own corners up to rounding (a relative 1e-15, far
below a millimetre), so the dissolved shapes equal the polygon union.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from rasterio.features import shapes
from shapely.geometry import shape

__all__ = ["MAX_EMPTY_SHARE", "SIZE_TOLERANCE", "GridCells", "grid_cells", "whole_numbers"]

#: relative tolerance on the cells' widths, heights and positions
SIZE_TOLERANCE = 1e-6

#: the grid's box may hold at most this many places per cell (else a sparse
#: scatter of cells would make a huge label raster)
MAX_EMPTY_SHARE = 16


@dataclass(frozen=True)
class GridCells:
    """Cells of one regular grid: their column and row, and the grid's placement.

    Attributes
    ----------
    cols, rows : numpy.ndarray
        Column and row (int64, from 0) of each cell, in the input order.
    x0, y0 : float
        Lower-left corner of column 0, row 0 (CRS units).
    width, height : float
        Cell size (CRS units).
    """

    cols: np.ndarray
    rows: np.ndarray
    x0: float
    y0: float
    width: float
    height: float

    def dissolve(self, codes, n_groups: int) -> list:
        """The union of the cells of each group, traced on the label raster.

        Parameters
        ----------
        codes : array of int
            Group of each cell, ``0 <= code < n_groups``.
        n_groups : int
            Number of groups.

        Returns
        -------
        list of shapely geometry
            One (Multi)Polygon per group (an empty Polygon for a group
            without cells).
        """
        codes = np.asarray(codes, dtype=np.int64)
        labels = np.zeros((int(self.rows.max()) + 1, int(self.cols.max()) + 1), dtype=np.int32)
        labels[self.rows, self.cols] = codes + 1
        transform = Affine(self.width, 0.0, self.x0, 0.0, self.height, self.y0)
        parts = defaultdict(list)
        for geom, value in shapes(labels, mask=labels > 0, connectivity=4, transform=transform):
            parts[int(value) - 1].append(shape(geom))
        out = []
        for k in range(int(n_groups)):
            mine = parts.get(k, [])
            if not mine:
                out.append(shapely.Polygon())
            elif len(mine) == 1:
                out.append(mine[0])
            else:  # 4-connected regions meet at most at a corner: a valid MultiPolygon
                out.append(shapely.MultiPolygon(mine))
        return out


def whole_numbers(values: np.ndarray) -> np.ndarray | None:
    """``values`` rounded to whole numbers (int64), or None when one is farther than
    :data:`SIZE_TOLERANCE` from one."""
    rounded = np.rint(values)
    if np.abs(values - rounded).max() > SIZE_TOLERANCE:
        return None
    return rounded.astype(np.int64)


def grid_cells(geoms) -> GridCells | None:
    """The grid that ``geoms`` are the cells of, or None when they are not one.

    Parameters
    ----------
    geoms : array of shapely geometry
        The areas' shapes.

    Returns
    -------
    GridCells or None
        See the module docstring for the test.
    """
    geoms = np.asarray(geoms, dtype=object)
    if geoms.size == 0 or any(g is None for g in geoms):
        return None
    kinds = shapely.get_type_id(geoms)
    if (kinds != 3).any():  # Polygon
        return None
    if (shapely.get_num_coordinates(geoms) != 5).any() or (
        shapely.get_num_interior_rings(geoms) != 0
    ).any():
        return None
    box = shapely.bounds(geoms)
    width, height = box[:, 2] - box[:, 0], box[:, 3] - box[:, 1]
    w0, h0 = float(np.median(width)), float(np.median(height))
    if w0 <= 0 or h0 <= 0:
        return None
    if (np.abs(width - w0) > SIZE_TOLERANCE * w0).any() or (
        np.abs(height - h0) > SIZE_TOLERANCE * h0
    ).any():
        return None
    # four corners and the area of the box: the rectangle is its box
    if (np.abs(shapely.area(geoms) - width * height) > SIZE_TOLERANCE * w0 * h0).any():
        return None
    x0, y0 = float(box[:, 0].min()), float(box[:, 1].min())
    cols = whole_numbers((box[:, 0] - x0) / w0)
    rows = whole_numbers((box[:, 1] - y0) / h0)
    if cols is None or rows is None:
        return None
    n_cols, n_rows = int(cols.max()) + 1, int(rows.max()) + 1
    if n_cols * n_rows > MAX_EMPTY_SHARE * geoms.size:
        return None
    if np.unique(rows * n_cols + cols).size != geoms.size:  # two cells in one place
        return None
    return GridCells(cols=cols, rows=rows, x0=x0, y0=y0, width=w0, height=h0)
