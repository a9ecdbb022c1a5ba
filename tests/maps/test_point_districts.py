"""Tests of accessplan.maps.point_districts: each point's share of the region, by district."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from scipy.spatial import Delaunay
from shapely.geometry import box

from accessplan.maps.point_districts import (
    border_points,
    lattice_cells,
    point_district_shapes,
)


def test_lattice_points_own_their_cells_clipped_to_the_hull():
    # a 2 x 2 lattice, 2 m apart: cells 2 x 2 m around the points, cut to the hull [0, 2]^2
    xy = np.array([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]])
    west, east = point_district_shapes(xy, np.array([0, 0, 1, 1]), 2)
    assert west.equals(box(0, 0, 1, 2)) and east.equals(box(1, 0, 2, 2))
    # a lattice with an empty place: that place belongs to no district
    xy3 = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    (only,) = point_district_shapes(xy3, np.zeros(3, dtype=int), 1)
    assert only.area == pytest.approx(2.0 - 0.0)  # hull 2 m2; the missing corner's cell is out
    assert shapely.covers(only, shapely.points(xy3)).all()


def test_lattice_test_refuses_points_off_the_lattice_or_doubled():
    assert lattice_cells(np.array([[0.0, 0.0], [1.0, 0.0], [2.5, 1.0]])) is None
    assert lattice_cells(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])) is None
    cells = lattice_cells(np.array([[10.0, 20.0], [12.0, 20.0], [10.0, 23.0]]))
    assert (cells.width, cells.height, cells.x0, cells.y0) == (2.0, 3.0, 9.0, 18.5)
    assert cells.cols.tolist() == [0, 1, 0] and cells.rows.tolist() == [0, 0, 1]


def _jittered_lattice(n_side=14, seed=4):
    """A jittered triangular lattice and its Delaunay triangulation."""
    rng = np.random.default_rng(seed)
    j, i = np.divmod(np.arange(n_side * n_side), n_side)
    xy = np.c_[i + (j % 2) / 2, j * np.sqrt(3) / 2] + rng.uniform(-0.06, 0.06, (n_side**2, 2))
    return xy, Delaunay(xy)


def test_acute_triangulations_give_the_voronoi_districts():
    # brute force: a spot in an acute triangle whose neighbours are acute too belongs to
    # the district of its nearest point (there the pieces are the Voronoi cells exactly)
    xy, tri = _jittered_lattice()
    p = xy[tri.simplices]
    acute = np.ones(len(p), dtype=bool)
    for k in range(3):  # angle at corner k under 90 degrees: its edges' dot product > 0
        u, v = p[:, (k + 1) % 3] - p[:, k], p[:, (k + 2) % 3] - p[:, k]
        acute &= (u * v).sum(axis=1) > 0
    nb = tri.neighbors
    good = acute & np.where(nb >= 0, acute[nb], True).all(axis=1)
    codes = (np.hypot(xy[:, 0] - 6, xy[:, 1] - 5) < 2.5).astype(int)  # a round district inside
    codes[xy[:, 0] > 9] = 2
    shapes = point_district_shapes(xy, codes, 3)
    spots = np.random.default_rng(5).uniform(xy.min(axis=0), xy.max(axis=0), (4000, 2))
    found = tri.find_simplex(spots)
    spots = spots[(found >= 0) & good[found]]
    assert len(spots) > 2500
    dist = np.hypot(*(spots[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    near = np.sort(dist, axis=1)
    clear = near[:, 1] - near[:, 0] > 1e-6  # not on a tie between two points
    nearest = codes[np.argmin(dist, axis=1)][clear]
    inside = np.stack([shapely.contains_xy(s, *spots[clear].T) for s in shapes], axis=1)
    assert (inside.sum(axis=1) == 1).all()
    assert (inside.argmax(axis=1) == nearest).all()
    assert shapes[1].geom_type == "Polygon" and len(shapes[0].interiors) == 1  # an enclave


def test_only_border_points_are_triangulated_and_the_shapes_keep_their_promises():
    rng = np.random.default_rng(6)
    xy = rng.uniform(0.0, 1000.0, (6000, 2))
    codes = (xy[:, 0] // 250).astype(int) * 4 + (xy[:, 1] // 250).astype(int)  # 16 blocks
    border = border_points(xy, codes)
    assert 0.2 < border.mean() < 0.8  # the inside of each block is left out
    far = (np.abs(xy % 250 - 125) < 60).all(axis=1)  # 65 m and more from every block edge
    assert not border[far].any()
    shapes = np.asarray(point_district_shapes(xy, codes, 16), dtype=object)
    assert shapely.is_valid(shapes).all()
    for k in range(16):
        assert shapely.covers(shapes[k], shapely.points(xy[codes == k])).all()
    hull = shapely.MultiPoint(xy).convex_hull
    assert shapely.union_all(shapes).symmetric_difference(hull).area < 1e-6
    assert sum(s.area for s in shapes) == pytest.approx(hull.area, rel=1e-12)  # no overlap


def test_border_test_by_hand():
    # an 11 x 11 lattice, 1 m apart; district 1 from x = 5. One point per bucket: buckets
    # 10/11 m wide, x / (10/11) = 1.1 x, so x = 4 and x = 5 fall in buckets 4 and 5, and only
    # they see the other district one bucket away; the hull's edge rows are within 10/11 m
    y, x = np.divmod(np.arange(121), 11)
    xy = np.c_[x, y].astype(float)
    codes = (x >= 5).astype(int)
    border = border_points(xy, codes, cell_points=1.0, reach=1)
    expected = np.isin(x, (4, 5)) | np.isin(x, (0, 10)) | np.isin(y, (0, 10))
    assert border.tolist() == expected.tolist()
