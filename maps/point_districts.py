"""Districts of point areas that do not overlap: each point's own share of the region.

When the areas are points (census centroids, village points), a district has
no shape of its own. The convex hulls of the districts' points overlap where
districts interlock, which reads on a map as if the districts overlapped.
Here the region (the convex hull of every point, as the region outline) is
split into one piece per point, and a district is the union of its points'
pieces:

- Points on one regular lattice (``x = x0 + i dx``, ``y = y0 + j dy``: the
  centres of a census grid) own the lattice cell around them, ``dx`` by
  ``dy`` (the Voronoi cell of a full lattice). The cells are dissolved on
  their label raster (:mod:`accessplan.maps.grid_dissolve`), then clipped to
  the region outline; a lattice place without a point (a lake, a bay inside
  the hull) belongs to no district, as with the grid squares themselves.
- Other points: the Delaunay triangulation of the points (qhull) covers their
  convex hull. Each triangle ``ABC`` is cut into three pieces, one per
  corner, by the segments from the midpoints of its edges to a centre ``c``
  in the triangle: corner ``A`` owns ``A, mid(AB), c, mid(CA)``. With ``c``
  the circumcentre (acute triangles; barycentric weights
  ``a^2 (b^2 + c^2 - a^2)`` etc. with ``a, b, c`` the side lengths, all
  positive) the cuts are the perpendicular bisectors, i.e. the Voronoi
  edges; a right or obtuse triangle's circumcentre is not inside it and ``c``
  is the midpoint of its longest edge instead (the limit of the acute case).
  A district's boundary is every cut between corners of different districts
  plus the half-edges of the hull at its points; :func:`shapely.build_area`
  turns those segments into its (Multi)Polygon, holes and islands included.
  Only the points near a district border or the hull's edge
  (:func:`border_points`) and the points in no district are triangulated: a
  point left out must then lie inside its own district's shape, else it is
  put back and the shapes made again (:data:`MAX_ROUNDS`).

Either way the district shapes do not overlap (the pieces tile the region:
they meet along shared edges), each covers every one of its points (a point
on the region's edge lies on its district's edge) and they lie within the
region outline; for scattered points, together with the pieces of points in
no district, they make the whole outline. Measured (2 shared cores, load
2-3): 500,000 lattice points in 196 or 784 districts
(``benchmarks/map_context.py``): 0.8-1.2 s for outline and districts;
500,000 scattered points in 196 / 784 square districts: 2.9-4.1 s / 4.6-4.8 s
(7.5-8.3 s when every point is triangulated).

References: Okabe, Boots, Sugihara & Chiu (2000), *Spatial Tessellations*,
ch. 2 (Voronoi diagram as the dual of the Delaunay triangulation).
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy.spatial import ConvexHull, Delaunay, QhullError

from accessplan.maps.grid_dissolve import MAX_EMPTY_SHARE, GridCells, whole_numbers

__all__ = [
    "ACUTE_EPS",
    "BORDER_CELL_POINTS",
    "BORDER_REACH",
    "HULL_CHUNK",
    "MAX_ROUNDS",
    "border_points",
    "lattice_cells",
    "point_district_shapes",
]

#: a triangle counts as acute when every barycentric weight of its circumcentre
#: exceeds this share of their sum (else its longest edge's midpoint is the centre)
ACUTE_EPS = 1e-9

#: points per bucket of the border test (:func:`border_points`)
BORDER_CELL_POINTS = 1.0

#: buckets searched around a point's own for another district (2: a 5 x 5 block)
BORDER_REACH = 2

#: points per block of the distance-to-hull test (bounds its memory)
HULL_CHUNK = 65_536

#: triangulations of the border points tried before every point is used
MAX_ROUNDS = 6


def lattice_cells(xy) -> GridCells | None:
    """The lattice cells around points of one regular lattice, or None.

    Parameters
    ----------
    xy : array (n, 2)
        Point coordinates.

    Returns
    -------
    GridCells or None
        Cells ``dx`` by ``dy`` centred on the points (``dx``, ``dy`` the
        smallest gaps between distinct x and y values); None when a point is
        off the lattice, two points share a place, or the lattice's box would
        hold more than :data:`~accessplan.maps.grid_dissolve.MAX_EMPTY_SHARE`
        places per point.
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) < 2:
        return None
    steps, index = [], []
    for v in (xy[:, 0], xy[:, 1]):
        u = np.unique(v)
        step = float(np.diff(u).min()) if u.size > 1 else 0.0
        if step <= 0.0:
            return None
        k = whole_numbers((v - u[0]) / step)
        if k is None:
            return None
        steps.append(step)
        index.append(k)
    cols, rows = index
    n_cols, n_rows = int(cols.max()) + 1, int(rows.max()) + 1
    if n_cols * n_rows > MAX_EMPTY_SHARE * len(xy):
        return None
    if np.unique(rows * n_cols + cols).size != len(xy):
        return None
    dx, dy = steps
    x0 = float(xy[:, 0].min()) - dx / 2
    y0 = float(xy[:, 1].min()) - dy / 2
    return GridCells(cols=cols, rows=rows, x0=x0, y0=y0, width=dx, height=dy)


def _triangle_centres(p: np.ndarray, mids: np.ndarray) -> np.ndarray:
    """The centre of each triangle: circumcentre if acute, else its longest edge's midpoint.

    ``p`` (m, 3, 2) corners; ``mids`` (m, 3, 2) midpoints, ``mids[:, k]`` of
    the edge opposite corner ``k``.
    """
    origin = p[:, :1, :]
    q = p - origin  # side lengths from local coordinates (no cancellation)
    sq = np.stack(
        [
            ((q[:, 2] - q[:, 1]) ** 2).sum(axis=1),  # a^2, opposite corner 0
            ((q[:, 0] - q[:, 2]) ** 2).sum(axis=1),
            ((q[:, 1] - q[:, 0]) ** 2).sum(axis=1),
        ],
        axis=1,
    )
    total = sq.sum(axis=1, keepdims=True)
    w = sq * (total - 2 * sq)  # a^2 (b^2 + c^2 - a^2), ...
    with np.errstate(invalid="ignore", divide="ignore"):
        lam = w / w.sum(axis=1, keepdims=True)
    acute = (lam > ACUTE_EPS).all(axis=1)
    rows = np.arange(len(p))
    centre = mids[rows, np.argmax(sq, axis=1)]  # longest edge (opposite the widest angle)
    centre[acute] = (lam[acute, :, None] * p[acute]).sum(axis=1)
    return centre


def border_points(
    xy, codes, *, cell_points: float = BORDER_CELL_POINTS, reach: int = BORDER_REACH
) -> np.ndarray:
    """Which points may sit on a district border (bool mask), by a bucket test.

    The points are binned into square buckets holding ``cell_points`` points
    on average; a point is on a border when the buckets within ``reach`` of
    its own (a ``2 reach + 1`` square block) hold points of more than one
    district (no district counts as one), when it is a corner of the points'
    convex hull, or when it lies within ``reach`` buckets of the hull's edge
    (where the triangles of a thinned set of points would reach far).
    """
    xy = np.asarray(xy, dtype=float)
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    area = float(max(span[0], 1e-12) * max(span[1], 1e-12))
    size = float(np.sqrt(area * cell_points / len(xy)))
    ij = np.floor((xy - lo) / size).astype(np.int64)
    nx, ny = int(ij[:, 0].max()) + 1, int(ij[:, 1].max()) + 1
    key = ij[:, 0] * ny + ij[:, 1]
    big = np.iinfo(np.int64).max
    low = np.full(nx * ny, big, dtype=np.int64)
    high = np.full(nx * ny, -big, dtype=np.int64)
    np.minimum.at(low, key, codes)
    np.maximum.at(high, key, codes)
    r = int(reach)
    low = np.pad(low.reshape(nx, ny), r, constant_values=big)
    high = np.pad(high.reshape(nx, ny), r, constant_values=-big)
    near_low, near_high = low[r : r + nx, r : r + ny].copy(), high[r : r + nx, r : r + ny].copy()
    for dx in range(2 * r + 1):
        for dy in range(2 * r + 1):
            np.minimum(near_low, low[dx : dx + nx, dy : dy + ny], out=near_low)
            np.maximum(near_high, high[dx : dx + nx, dy : dy + ny], out=near_high)
    border = (near_low != near_high).ravel()[key]
    hull = ConvexHull(xy)
    border[hull.vertices] = True
    # inside a convex polygon the distance to its edge is the least over its edges' lines
    normals, offsets = hull.equations[:, :2], hull.equations[:, 2]
    for lo_i in range(0, len(xy), HULL_CHUNK):
        part = xy[lo_i : lo_i + HULL_CHUNK]
        depth = -(part @ normals.T + offsets).max(axis=1)
        border[lo_i : lo_i + HULL_CHUNK] |= depth < r * size
    return border


def _district_areas(xy: np.ndarray, codes: np.ndarray, n_groups: int) -> list:
    """The districts' shapes from the Delaunay triangulation of ``xy`` (all of it)."""
    tri = Delaunay(xy)
    segs, owner = _boundary_segments(xy, codes, tri)
    out = [shapely.Polygon() for _ in range(int(n_groups))]
    if len(segs) == 0:
        return out
    order = np.argsort(owner, kind="stable")
    lines = shapely.linestrings(segs[order])
    groups, starts = np.unique(owner[order], return_index=True)
    for g, part in zip(groups, np.split(lines, starts[1:]), strict=True):
        out[int(g)] = shapely.build_area(shapely.multilinestrings(part))
    return out


def _inside_own(shapes: list, xy: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Whether each point lies inside its own district's shape (bool mask)."""
    inside = np.zeros(len(xy), dtype=bool)
    order = np.argsort(codes, kind="stable")
    groups, starts = np.unique(codes[order], return_index=True)
    for g, idx in zip(groups, np.split(order, starts[1:]), strict=True):
        shape = shapes[int(g)]
        shapely.prepare(shape)
        inside[idx] = shapely.contains_xy(shape, xy[idx, 0], xy[idx, 1])
    return inside


def _border_districts(xy: np.ndarray, codes: np.ndarray, n_groups: int) -> list:
    """The districts' shapes, triangulating only the points near district borders.

    The points of :func:`border_points` (with the corners of the hull: the
    same hull, the same outline) and every point in no district are triangulated;
    a point left out must then lie inside its own district's shape (it is, in
    a triangle of its own district's points). Those that do not are put back
    and the shapes made again, at most :data:`MAX_ROUNDS` times (then every
    point is used). The shapes are the same as from every point wherever
    the border test was right, and meet the same guarantees everywhere.
    """
    keep = border_points(xy, codes) | (codes < 0)
    for _ in range(MAX_ROUNDS):
        kept = np.flatnonzero(keep)
        if kept.size == len(xy):
            break
        shapes = _district_areas(xy[kept], codes[kept], n_groups)
        rest = np.flatnonzero(~keep)
        inside = _inside_own(shapes, xy[rest], codes[rest])
        if inside.all():
            return shapes
        keep[rest[~inside]] = True
    return _district_areas(xy, codes, n_groups)


def _boundary_segments(xy: np.ndarray, codes: np.ndarray, tri: Delaunay):
    """Segments ``(n, 2, 2)`` of the districts' boundaries and the district of each.

    A cut between corners of two districts is a boundary of both (one row
    each; none for corners in no district, code -1).
    """
    s = tri.simplices
    p = xy[s]
    a, b = p[:, [1, 2, 0]], p[:, [2, 0, 1]]  # edge k joins corners k+1 and k+2
    mids = (a + b) / 2  # the same bits in both triangles of an edge (a + b == b + a)
    centre = _triangle_centres(p, mids)
    ci, cj = codes[s[:, [1, 2, 0]]], codes[s[:, [2, 0, 1]]]
    cut = (ci != cj) & (mids != centre[:, None, :]).any(axis=2)
    t, k = np.nonzero(cut)
    cuts = np.stack([mids[t, k], centre[t]], axis=1)
    hull = tri.convex_hull  # (h, 2) corner pairs
    hm = (xy[hull[:, 0]] + xy[hull[:, 1]]) / 2
    halves = np.concatenate(
        [np.stack([xy[hull[:, 0]], hm], axis=1), np.stack([hm, xy[hull[:, 1]]], axis=1)]
    )
    segs = np.concatenate([cuts, cuts, halves])
    owner = np.concatenate([ci[t, k], cj[t, k], codes[hull[:, 0]], codes[hull[:, 1]]])
    keep = owner >= 0
    return segs[keep], owner[keep]


def point_district_shapes(xy, codes, n_groups: int, *, outline=None) -> list | None:
    """Non-overlapping district shapes of point areas (module docstring).

    Parameters
    ----------
    xy : array (n, 2)
        Coordinates of every point area (also those in no district).
    codes : array of int (n,)
        District of each point, ``0 .. n_groups - 1``; -1 for none.
    n_groups : int
        Number of districts.
    outline : shapely Polygon, optional
        The region outline (the convex hull of the points); lattice cells
        are clipped to it. Computed when not given.

    Returns
    -------
    list of shapely geometry or None
        One (Multi)Polygon per district (an empty Polygon for a district
        whose points all sit on another district's point); None when the
        points cannot be triangulated (fewer than three, or all on one line).
    """
    xy = np.asarray(xy, dtype=float)
    codes = np.asarray(codes, dtype=np.int64)
    if outline is None:
        outline = shapely.multipoints(xy).convex_hull
    cells = lattice_cells(xy)
    if cells is not None and outline.geom_type == "Polygon":
        known = codes >= 0
        sub = GridCells(
            cols=cells.cols[known],
            rows=cells.rows[known],
            x0=cells.x0,
            y0=cells.y0,
            width=cells.width,
            height=cells.height,
        )
        shapes = np.asarray(sub.dissolve(codes[known], n_groups), dtype=object)
        return list(shapely.intersection(shapes, outline))
    if len(xy) < 3:
        return None
    try:
        return _border_districts(xy, codes, int(n_groups))
    except QhullError:  # all on one line, or all in one place
        return None
