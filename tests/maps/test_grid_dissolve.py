"""Tests of the fast dissolves of accessplan.maps.context: grid cells on their label raster
(accessplan.maps.grid_dissolve) and clean polygon coverages by coverage_union_all."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.affinity import rotate
from shapely.geometry import Point, box

from accessplan.maps import context
from accessplan.maps.context import (
    district_boundaries,
    is_polygon_coverage,
    map_context,
    region_outline,
)
from accessplan.maps.grid_dissolve import grid_cells

CRS = "EPSG:3067"
X0, Y0, CELL = 300_123.25, 6_800_456.5, 250.0


def cells(cols, rows, size=CELL):
    return shapely.box(
        X0 + cols * size, Y0 + rows * size, X0 + (cols + 1) * size, Y0 + (rows + 1) * size
    )


def random_grid(seed, side=24, share=0.6, groups=3):
    """Cells of a ``side`` x ``side`` grid kept with probability ``share``, random groups."""
    rng = np.random.default_rng(seed)
    cols, rows = np.meshgrid(np.arange(side), np.arange(side))
    keep = rng.random(side * side) < share
    cols, rows = cols.ravel()[keep], rows.ravel()[keep]
    order = rng.permutation(cols.size)  # any input order
    return cells(cols[order], rows[order]), rng.integers(0, groups, cols.size)


def assert_same_shape(a, b):
    assert a.is_valid and b.is_valid
    assert a.area == pytest.approx(b.area, rel=1e-12)
    assert shapely.symmetric_difference(a, b).area < 1e-6 * CELL * CELL


@pytest.mark.parametrize("seed", range(6))
def test_grid_dissolve_equals_the_polygon_union(seed):
    # holes, islands, cells touching only at a corner: the same shapes as union_all
    geoms, codes = random_grid(seed)
    grid = grid_cells(geoms)
    assert grid is not None and grid.width == CELL and grid.x0 == X0
    parts = grid.dissolve(codes, 4)
    for k in range(3):
        assert_same_shape(parts[k], shapely.union_all(geoms[codes == k]))
    assert parts[3].is_empty  # a group without cells


def test_two_by_two_block_by_hand():
    geoms = cells(np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]))
    parts = grid_cells(geoms).dissolve([0, 0, 1, 0], 2)
    assert parts[0].area == 3 * CELL * CELL  # an L of three cells
    assert len(shapely.get_coordinates(parts[0].exterior)) - 1 >= 6
    assert parts[1].equals(box(X0, Y0 + CELL, X0 + CELL, Y0 + 2 * CELL))


@pytest.mark.parametrize(
    "geoms",
    [
        shapely.points([0.0, 1.0], [0.0, 0.0]),
        np.array([rotate(g, 10, origin=(X0, Y0)) for g in cells(np.arange(3), np.zeros(3))]),
        np.array([box(0, 0, 1, 1), box(1, 0, 3, 1)]),  # two sizes
        np.array([box(0, 0, 1, 1), box(1.5, 0, 2.5, 1)]),  # off the grid by half a cell
        np.array([box(0, 0, 1, 1), box(0, 0, 1, 1)]),  # one place twice
        np.array([box(0, 0, 1, 1), box(100, 100, 101, 101)]),  # sparse: a huge raster
        np.array([box(0, 0, 1, 1), shapely.Polygon([(1, 0), (2, 0), (2, 1), (1.5, 1.2), (1, 1)])]),
        np.array([box(0, 0, 1, 1), None]),
    ],
)
def test_what_is_not_a_grid(geoms):
    assert grid_cells(geoms) is None


@pytest.mark.parametrize("path", ["grid", "coverage", "union"])
def test_districts_and_outline_equal_the_polygon_union_on_every_path(path, monkeypatch):
    # the cells as squares (a grid), with a fifth corner on one edge (no grid, a clean
    # coverage), or that coverage unioned polygon by polygon (shapely.union_all)
    geoms, codes = random_grid(7, side=30, share=0.85, groups=4)
    names = np.array(["north", "south", "east", "west"])[codes]
    shapes = geoms if path == "grid" else shapely.segmentize(geoms, CELL / 2 + 1)
    assert (grid_cells(shapes) is not None) == (path == "grid")
    assert is_polygon_coverage(shapes)
    if path == "union":
        monkeypatch.setattr(context, "is_polygon_coverage", lambda geoms: False)
    frame = gpd.GeoDataFrame({"d": names}, geometry=shapes, crs=CRS)
    districts = district_boundaries(frame, group="d")
    assert list(districts["name"]) == ["east", "north", "south", "west"]
    for name, n_areas, geom in districts[["name", "n_areas", "geometry"]].itertuples(index=False):
        mine = names == name
        assert n_areas == mine.sum()
        assert_same_shape(geom, shapely.union_all(geoms[mine]))
    assert_same_shape(region_outline(frame).geometry.iloc[0], shapely.union_all(geoms))
    via_districts = map_context(frame, group="d").outline.geometry.iloc[0]
    assert_same_shape(via_districts, shapely.union_all(geoms))


def test_overlapping_or_unmatched_polygons_are_no_coverage():
    a, b = box(0, 0, 2, 1), box(1, 0, 3, 1)
    assert not is_polygon_coverage(np.array([a, b]))  # overlap
    assert not is_polygon_coverage(np.array([box(0, 0, 1, 1), box(1, 0.5, 2, 1.5)]))  # T-joint
    assert not is_polygon_coverage(np.array([box(0, 0, 1, 1), Point(3, 3)]))
    assert is_polygon_coverage(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)]))
    frame = gpd.GeoDataFrame({"d": ["x", "x"]}, geometry=[a, b], crs=CRS)
    assert district_boundaries(frame, group="d").geometry.iloc[0].equals(box(0, 0, 3, 1))


def test_a_missing_cell_in_a_big_district_is_filled_as_a_sliver():
    # one empty cell among 400 x 400 is under SLIVER_SHARE (1e-5) of the district
    side = 400
    cols, rows = np.meshgrid(np.arange(side), np.arange(side))
    keep = ~((cols == 200) & (rows == 200))
    geoms = cells(cols.ravel()[keep.ravel()], rows.ravel()[keep.ravel()])
    frame = gpd.GeoDataFrame({"d": ["all"] * geoms.size}, geometry=geoms, crs=CRS)
    assert grid_cells(geoms) is not None
    outline = region_outline(frame).geometry.iloc[0]
    assert outline.geom_type == "Polygon" and len(outline.interiors) == 0
    assert outline.area == pytest.approx(side * side * CELL * CELL)
    district = district_boundaries(frame, group="d").geometry.iloc[0]
    assert district.geom_type == "Polygon" and len(district.interiors) == 0
