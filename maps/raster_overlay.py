"""Areas drawn as one image: class maps rasterised for web maps and figures at scale.

A web page holding every polygon of 500,000 areas is hundreds of megabytes
that no browser renders; a matplotlib figure of as many patches takes
minutes. Above :data:`MAX_VECTOR_AREAS` areas the maps draw the areas as an
image instead: each pixel shows the area whose shape covers the pixel's
centre, coloured by that area's class with the palette of the vector maps.

The image of a page is built in three steps:

1. :func:`area_grid` burns the row number of every area into a grid: each
   pixel takes the polygon holding its centre (:func:`rasterio.features.rasterize`;
   above :data:`SAMPLE_ABOVE` polygons the same rule by an STRtree query of
   the pixel centres, 4 times faster), or the square of side the median
   nearest-neighbour spacing centred on a point area.
   An area that covers no pixel centre (smaller than a pixel) still gets the
   pixel holding its representative point, so no area vanishes unless two
   share one pixel.
2. :func:`class_png` colours the grid by class: palette index
   ``0`` transparent (no area), ``1`` the "no score" grey, ``2`` the hatch
   line colour, ``3 + i`` class ``i``; the "no access" class is its light
   fill with diagonal hatch lines on its interior pixels (a one-pixel area
   stays plain light grey, never a dark hatch-coloured dot).
3. :func:`web_images` encodes every layer of a page as an 8-bit palette PNG and
   coarsens the grid by whole factors until the PNGs fit a byte budget.

Web maps are drawn in Web Mercator (EPSG:3857), where a ground distance ``d``
at latitude ``phi`` spans ``d / cos(phi)`` map metres; the grid of a web page is
square in EPSG:3857 with a pixel of ``pixel_m / cos(phi_centre)`` map metres,
so it lies exactly under Leaflet's own projection and its stated pixel size
(:attr:`AreaGrid.pixel_m`) is ground metres at the centre of the region.
Figures are rasterised in the areas' own CRS (:func:`figure_image`).

Grids are kept in a small cache keyed by the areas' coordinates, CRS and pixel
size, so the three web maps (or the figures) of one plan rasterise once.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections import OrderedDict
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from matplotlib.colors import to_rgba
from PIL import Image
from pyproj import CRS, Transformer
from rasterio.features import rasterize
from scipy.spatial import cKDTree

from accessplan.data.errors import ProblemCollector
from accessplan.maps.classes import NO_ACCESS_COLOR, NO_ACCESS_HATCH, NO_DATA

__all__ = [
    "FIGURE_PIXELS",
    "MAX_GRID_PIXELS",
    "MAX_VECTOR_AREAS",
    "MAX_VECTOR_BYTES",
    "PAGE_IMAGE_BYTES",
    "AreaGrid",
    "WebImages",
    "area_grid",
    "class_png",
    "clear_grid_cache",
    "data_uri",
    "decode_png",
    "detail_m",
    "figure_image",
    "mask_png",
    "pixel_text",
    "use_raster",
    "web_images",
]

#: above this many areas, web maps and figures draw the areas as an image: every
#: area as a shape costs about 0.9-1.3 kB of the report per area (three maps, each
#: escaped once more in its iframe), so 5,000 keeps the report near 6 MB
MAX_VECTOR_AREAS = 5_000
#: the areas of a web page are also drawn as an image when their GeoJSON would be
#: longer than this (very detailed shapes), unless shapes are forced
MAX_VECTOR_BYTES = 1_500_000
#: PNG bytes of all the area images of one web page together (a page's share of
#: the report's 10 MB: three maps, base64 adds a third)
PAGE_IMAGE_BYTES = 1_200_000
#: the finest grid of a web page holds at most this many pixels
MAX_GRID_PIXELS = 6_000_000
#: pixels across the longer side of a figure's area image
FIGURE_PIXELS = 1400
#: with more polygons than this, pixel centres are looked up in an STRtree instead of
#: ``rasterio.features.rasterize`` (same rule, its per-polygon Python cost avoided)
SAMPLE_ABOVE = 50_000
#: hatch of the "no access" class inside an image: one line pixel every PERIOD
HATCH_PERIOD = 5

WEB_MERCATOR = CRS.from_epsg(3857)
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 3


def clear_grid_cache() -> None:
    """Forget the grids kept for the next map of the same areas."""
    _CACHE.clear()


def use_raster(n_areas: int, max_vector_areas: int | None) -> bool:
    """Whether ``n_areas`` are drawn as an image (more than ``max_vector_areas``; None: never)."""
    if max_vector_areas is None:
        return False
    return int(n_areas) > int(max_vector_areas)


def check_max_vector_areas(value, problems: ProblemCollector) -> None:
    """Add a problem unless ``value`` is None or a whole number >= 0."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        problems.add(f"max_vector_areas must be a whole number >= 0 or None, got {value!r}")


@dataclass(frozen=True, eq=False)
class AreaGrid:
    """The areas burnt into a grid: each pixel holds the row number of its area.

    Attributes
    ----------
    index : numpy.ndarray of int32, shape (rows, cols)
        Row (0-based, in the order of the areas given) of the area drawn in
        each pixel; ``-1`` where there is no area. Row 0 is the north edge.
    transform : affine.Affine
        Pixel to ``crs`` coordinates (north-up, square pixels).
    crs : pyproj.CRS
        CRS of the grid (EPSG:3857 for web maps).
    pixel_m : float
        Pixel side in ground metres at the centre of the grid.
    anchors : numpy.ndarray, shape (n, 2)
        A point inside each area (in ``crs``): an area covering no pixel
        centre is drawn in the pixel holding it.
    """

    index: np.ndarray
    transform: Affine
    crs: CRS
    pixel_m: float
    anchors: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.index.shape

    @property
    def n_areas(self) -> int:
        return len(self.anchors)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(west, east, south, north)`` in ``crs`` (matplotlib's ``imshow`` extent)."""
        rows, cols = self.shape
        west, north = self.transform.c, self.transform.f
        return west, west + cols * self.transform.a, north + rows * self.transform.e, north

    def latlon_bounds(self) -> list[list[float]]:
        """``[[south, west], [north, east]]`` of the grid in WGS84 (a Leaflet ``LatLngBounds``)."""
        west, east, south, north = self.extent
        to_wgs = Transformer.from_crs(self.crs, 4326, always_xy=True)
        (w, e), (s, n) = to_wgs.transform([west, east], [south, north])
        return [[float(s), float(w)], [float(n), float(e)]]

    def coarsen(self, factor: int) -> AreaGrid:
        """The grid with pixels ``factor`` times larger (each takes its central fine pixel)."""
        f = int(factor)
        if f <= 1:
            return self
        rows, cols = self.shape
        rows, cols = -(-rows // f), -(-cols // f)
        pad = np.full((rows * f, cols * f), -1, dtype=np.int32)
        pad[: self.shape[0], : self.shape[1]] = self.index
        index = np.ascontiguousarray(pad[f // 2 :: f, f // 2 :: f])
        transform = self.transform @ Affine.scale(f)
        _burn_missing(index, transform, self.anchors)
        return AreaGrid(index, transform, self.crs, self.pixel_m * f, self.anchors)


# --------------------------------------------------------------------------- sizes
def _metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    crs = frame.crs
    if crs is not None and crs.is_projected:
        units = {(a.unit_name or "").lower() for a in crs.axis_info}
        if units <= {"metre", "meter", "m"}:
            return frame
    return frame.to_crs(frame.estimate_utm_crs())


def _is_points(geoms: np.ndarray) -> bool:
    """Whether every shape (missing ones aside) is a point or multipoint."""
    kinds = shapely.get_type_id(geoms)
    kinds = kinds[kinds >= 0]
    return bool(len(kinds)) and bool(np.isin(kinds, (0, 4)).all())


def _point_xy(geoms: np.ndarray) -> np.ndarray:
    """``(n, 2)`` x, y of each point (centroid of a multipoint; NaN for a missing one)."""
    if not (shapely.get_type_id(geoms) == 0).all():
        geoms = shapely.centroid(geoms)
    return np.c_[shapely.get_x(geoms), shapely.get_y(geoms)]


def detail_m(areas: gpd.GeoDataFrame) -> float:
    """The size of one area in metres: ``sqrt`` of the median area, or the point spacing.

    For point areas it is the median distance from a point to its nearest
    neighbour (the cell size of a grid of cell centres), which is also the
    side of the square each point is drawn as.
    """
    metric = _metric(areas)
    geoms = metric.geometry.to_numpy()
    west, south, east, north = metric.total_bounds
    span = float(max(east - west, north - south, 1.0))
    if _is_points(geoms):
        xy = _point_xy(geoms)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) < 2:
            return span / 50.0
        dist = cKDTree(xy).query(xy, k=2)[0][:, 1]
        dist = dist[dist > 0]  # repeated points are no spacing
        return float(np.median(dist)) if dist.size else span / 50.0
    area = shapely.area(geoms)
    area = area[np.isfinite(area) & (area > 0)]
    return float(np.sqrt(np.median(area))) if area.size else span / 50.0


def pixel_text(pixel_m: float) -> str:
    """A pixel size for people: ``"250 m"``, ``"1.5 km"``."""
    p = float(pixel_m)
    if p >= 1000:
        return f"{p / 1000:,.3g} km"
    return f"{p:,.3g} m"


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``value``."""
    v = float(value)
    if v <= 0 or not np.isfinite(v):
        return 1.0
    power = 10.0 ** np.floor(np.log10(v))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * power >= v * (1 - 1e-9):
            return float(step * power)
    return float(10.0 * power)  # pragma: no cover


def _two_digits(value: float) -> float:
    """``value`` rounded up to two significant digits (510 m, 1.3 km)."""
    v = float(value)
    if v <= 0 or not np.isfinite(v):
        return 1.0
    step = 10.0 ** (np.floor(np.log10(v)) - 1)
    return float(np.ceil(v / step - 1e-9) * step)


def _units_per_metre(crs: CRS, lat: float) -> float:
    """Map units of ``crs`` per ground metre at latitude ``lat`` (square pixels)."""
    if crs.is_geographic:
        return 1.0 / 111_320.0
    if crs.equals(WEB_MERCATOR):
        return 1.0 / max(np.cos(np.radians(lat)), 1e-6)
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return 1.0 / (factor or 1.0)


# --------------------------------------------------------------------------- grids
def _burn_missing(index: np.ndarray, transform: Affine, anchors: np.ndarray) -> None:
    """Give every area absent from ``index`` the pixel holding its anchor (in place)."""
    n = len(anchors)
    present = np.zeros(n + 1, dtype=bool)
    present[index.ravel() + 1] = True
    missing = np.flatnonzero(~present[1:])
    if missing.size == 0:
        return
    ok = np.isfinite(anchors[missing]).all(axis=1)  # a missing shape has no anchor
    missing = missing[ok]
    cols, rows = ~transform @ (anchors[missing, 0], anchors[missing, 1])
    rows, cols = np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)
    ok = (rows >= 0) & (rows < index.shape[0]) & (cols >= 0) & (cols < index.shape[1])
    index[rows[ok], cols[ok]] = missing[ok]


def _coordinate_key(geoms: np.ndarray, crs, pixel_m: float, side_m) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(shapely.get_coordinates(geoms)).tobytes())
    digest.update(np.ascontiguousarray(shapely.get_type_id(geoms)).tobytes())
    digest.update(np.ascontiguousarray(shapely.get_num_coordinates(geoms)).tobytes())
    return f"{digest.hexdigest()}|{len(geoms)}|{CRS.from_user_input(crs).to_wkt()}|{pixel_m!r}|{side_m!r}"


def area_grid(areas: gpd.GeoDataFrame, *, pixel_m: float, crs=None, side_m=None) -> AreaGrid:
    """Burn the row number of every area into a square grid.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons or points, with a CRS.
    pixel_m : float
        Pixel side in ground metres at the centre of the areas.
    crs : optional
        CRS of the grid (default: the areas' own); ``"EPSG:3857"`` for web maps.
    side_m : float, optional
        Side of the square each point area is drawn as (default
        :func:`detail_m`, the points' spacing). Ignored for polygons.

    Returns
    -------
    AreaGrid
        Polygons cover the pixels whose centre they contain (later rows win
        where shapes overlap); a point covers the pixels whose centre lies in
        its square (at least its own pixel). An area covering no pixel
        centre gets the pixel of its representative point.
    """
    problems = ProblemCollector(what="areas to rasterise")
    if areas.crs is None:
        problems.add("has no CRS", source="areas")
    if not (np.isfinite(float(pixel_m)) and float(pixel_m) > 0):
        problems.add(f"pixel_m must be a positive number, got {pixel_m!r}")
    if len(areas) == 0:
        problems.add("has no rows", source="areas")
    problems.raise_if_any()
    target = CRS.from_user_input(areas.crs if crs is None else crs)
    geoms = areas.geometry.to_numpy()
    points = _is_points(geoms)
    if points and side_m is None:
        side_m = detail_m(areas)
    key = _coordinate_key(geoms, target, float(pixel_m), side_m if points else None)
    key += f"|{areas.crs.to_wkt()}"
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    projected = gpd.GeoSeries(geoms, crs=areas.crs).to_crs(target).to_numpy()
    west, south, east, north = shapely.total_bounds(projected)
    to_wgs = Transformer.from_crs(target, 4326, always_xy=True)
    lat = float(to_wgs.transform(0.5 * (west + east), 0.5 * (south + north))[1])
    per_m = _units_per_metre(target, lat)
    pixel = float(pixel_m) * per_m
    anchors = _point_xy(projected if points else shapely.point_on_surface(projected))
    if points:  # the squares reach half a side beyond the outer points
        half = 0.5 * float(side_m) * per_m
        west, south, east, north = west - half, south - half, east + half, north + half
    # a whole number of pixels across, without a sliver column from rounding error
    cols = max(1, int(np.ceil((east - west) / pixel - 1e-6)))
    rows = max(1, int(np.ceil((north - south) / pixel - 1e-6)))
    transform = Affine(pixel, 0.0, west, 0.0, -pixel, south + rows * pixel)
    if points:
        index = _burn_squares(anchors, transform, (rows, cols), float(side_m) * per_m)
    elif len(projected) <= SAMPLE_ABOVE:
        drawn = np.flatnonzero(~(shapely.is_missing(projected) | shapely.is_empty(projected)))
        index = rasterize(
            zip(projected[drawn], drawn, strict=True),
            out_shape=(rows, cols),
            transform=transform,
            fill=-1,
            dtype="int32",
        )
    else:
        index = _sample_polygons(projected, transform, (rows, cols))
    _burn_missing(index, transform, anchors)
    grid = AreaGrid(index, transform, target, float(pixel_m), anchors)
    _CACHE[key] = grid
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return grid


def _sample_polygons(geoms: np.ndarray, transform: Affine, shape) -> np.ndarray:
    """The polygon holding each pixel centre (``rasterize``'s rule), by an STRtree query.

    Same answer as :func:`rasterio.features.rasterize` (up to a centre lying
    exactly on a shared edge), in C for every pixel centre instead of a Python
    conversion per polygon: about 4 times faster at 500,000 polygons.
    Processed in bands of about a million pixels to bound memory.
    """
    rows, cols = shape
    index = np.full(shape, -1, dtype=np.int32)
    tree = shapely.STRtree(geoms)
    xs = transform.c + (np.arange(cols) + 0.5) * transform.a
    band = max(1, 1_000_000 // cols)
    for top in range(0, rows, band):
        r = np.arange(top, min(rows, top + band))
        ys = transform.f + (r + 0.5) * transform.e
        x, y = np.meshgrid(xs, ys)
        hit_pixel, hit_area = tree.query(shapely.points(x.ravel(), y.ravel()), predicate="within")
        flat = index[top : top + len(r)].reshape(-1)  # a view: written in place
        flat[hit_pixel] = hit_area
    return index


def _burn_squares(xy: np.ndarray, transform: Affine, shape, side: float) -> np.ndarray:
    """Squares of side ``side`` (map units) centred on ``xy``: each pixel centre inside one."""
    index = np.full(shape, -1, dtype=np.int32)
    pixel = transform.a
    ids = np.flatnonzero(np.isfinite(xy).all(axis=1)).astype(np.int32)  # a missing point: none
    xy = xy[ids]
    # pixel (r, c) has its centre inside the square when |centre - point| < side / 2
    cols_f, rows_f = ~transform @ (xy[:, 0], xy[:, 1])
    half = 0.5 * side / pixel
    c0 = np.ceil(cols_f - 0.5 - half).astype(np.int64)
    r0 = np.ceil(rows_f - 0.5 - half).astype(np.int64)
    c1 = np.floor(cols_f - 0.5 + half).astype(np.int64)
    r1 = np.floor(rows_f - 0.5 + half).astype(np.int64)
    width = int(max((c1 - c0).max(initial=0), (r1 - r0).max(initial=0))) + 1
    for dr in range(width):
        for dc in range(width):
            r, c = r0 + dr, c0 + dc
            ok = (r <= r1) & (c <= c1) & (r >= 0) & (c >= 0)
            ok &= (r < shape[0]) & (c < shape[1])
            index[r[ok], c[ok]] = ids[ok]
    return index


# --------------------------------------------------------------------------- colours
def _rgb(color: str) -> tuple[int, int, int]:
    r, g, b, _ = to_rgba(color)
    return round(r * 255), round(g * 255), round(b * 255)


def _hatch_lines(mask: np.ndarray) -> np.ndarray:
    """Pixels of diagonal lines ("/") over the interior of ``mask`` (edges stay plain)."""
    inner = mask.copy()
    inner[1:, :] &= mask[:-1, :]
    inner[:-1, :] &= mask[1:, :]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    inner[[0, -1], :] = False
    inner[:, [0, -1]] = False
    rows, cols = np.indices(mask.shape, sparse=True)
    return inner & ((rows + cols) % HATCH_PERIOD == 0)


def class_codes(grid: AreaGrid, codes) -> np.ndarray:
    """Palette index of each pixel for per-area class codes (``-1``: no score).

    ``0`` no area (transparent), ``1`` no score, ``2`` hatch line, ``3 + i`` class ``i``.
    """
    codes = np.asarray(codes)
    if codes.shape != (grid.n_areas,):
        raise ValueError(f"expected one class code per area ({grid.n_areas}), got {codes.shape}")
    lookup = np.r_[0, np.where(codes < 0, 1, codes + 3)].astype(np.uint8)
    return lookup[grid.index + 1]


def class_png(
    grid: AreaGrid, codes, colors, *, hatch_class: int | None = None, hatch_lines: bool = True
) -> bytes:
    """An 8-bit palette PNG of the areas coloured by class.

    Parameters
    ----------
    grid : AreaGrid
    codes : array-like of int
        Class index of each area (``-1``: no score, drawn :data:`NO_DATA` grey).
    colors : sequence of str
        Colour of each class (at most 253).
    hatch_class : int, optional
        The class drawn as "no access": :data:`NO_ACCESS_COLOR` with
        :data:`NO_ACCESS_HATCH` diagonal lines on its interior pixels.
    hatch_lines : bool, default True
        Draw those lines into the image; False leaves the class plain
        :data:`NO_ACCESS_COLOR` (a web page hatches it on screen through
        :func:`mask_png`, at the same spacing at every zoom).

    Returns
    -------
    bytes
        The PNG; pixels without an area are fully transparent.
    """
    colors = list(colors)
    if len(colors) > 253:
        raise ValueError(f"at most 253 classes fit a palette PNG, got {len(colors)}")
    pixels = class_codes(grid, codes)
    palette = [(0, 0, 0), _rgb(NO_DATA), _rgb(NO_ACCESS_HATCH)] + [_rgb(c) for c in colors]
    if hatch_class is not None and 0 <= hatch_class < len(colors):
        palette[3 + hatch_class] = _rgb(NO_ACCESS_COLOR)
        if hatch_lines:
            pixels[_hatch_lines(pixels == 3 + hatch_class)] = 2
    return _encode(pixels, palette)


def mask_png(grid: AreaGrid, codes, hatch_class: int) -> bytes:
    """A PNG mask of one class: white where an area of class ``hatch_class`` is, else transparent.

    A web page draws its "no access" hatch pattern through it (an SVG mask),
    so the hatching keeps its on-screen spacing at every zoom.
    """
    pixels = (class_codes(grid, codes) == 3 + int(hatch_class)).astype(np.uint8)
    return _encode(pixels, [(0, 0, 0), (255, 255, 255)])


def _encode(pixels: np.ndarray, palette) -> bytes:
    image = Image.fromarray(pixels, mode="P")
    flat = [v for rgb in palette for v in rgb]
    image.putpalette(flat)
    alpha = bytes([0] + [255] * (len(palette) - 1))
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=alpha, compress_level=6)
    return out.getvalue()


def decode_png(data: bytes) -> np.ndarray:
    """The RGBA pixels (uint8, rows x cols x 4) of a PNG."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` of a PNG."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class WebImages:
    """The area images of one web page.

    Attributes
    ----------
    pngs : tuple of bytes
        One palette PNG per layer asked for, in order ("no access" plain).
    masks : tuple of bytes or None
        Per layer, the :func:`mask_png` of its "no access" class (None without one).
    grid : AreaGrid
        The grid they were drawn on (EPSG:3857); ``grid.latlon_bounds()`` are
        the images' bounds and ``grid.pixel_m`` their pixel size in ground metres.
    """

    pngs: tuple
    masks: tuple
    grid: AreaGrid

    @property
    def nbytes(self) -> int:
        return sum(len(p) for p in self.pngs) + sum(len(m) for m in self.masks if m)


def web_images(
    areas: gpd.GeoDataFrame,
    layers,
    *,
    max_bytes: int = PAGE_IMAGE_BYTES,
    pixel_m: float | None = None,
    max_pixels: int = MAX_GRID_PIXELS,
) -> WebImages:
    """Draw each layer of a web page as a PNG, with pixels as fine as the byte budget allows.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The page's areas (any CRS).
    layers : sequence of (codes, colors, hatch_class)
        Per layer: the class index of each area (``-1`` no score), the class
        colours and the "no access" class (or None); see :func:`class_png`.
    max_bytes : int, default PAGE_IMAGE_BYTES
        Most PNG bytes of all layers together.
    pixel_m : float, optional
        A fixed pixel size in metres (no budget search). Default: start at
        half the size of an area (:func:`detail_m`), rounded up to 1, 2, 2.5
        or 5 times a power of ten and no finer than ``max_pixels`` allow, then
        grow by whole factors until the PNGs fit ``max_bytes``.
    max_pixels : int
        Most pixels of the finest grid.

    Returns
    -------
    WebImages
        When even a grid of a few hundred pixels across does not fit, the
        coarsest one tried is returned (its images are then over budget).
    """
    layers = list(layers)
    if pixel_m is not None:
        return _draw(area_grid(areas, pixel_m=float(pixel_m), crs=WEB_MERCATOR), layers)
    metric = _metric(areas)
    west, south, east, north = metric.total_bounds
    span_area = max((east - west) * (north - south), 1.0)
    detail = detail_m(areas)
    side = detail if _is_points(areas.geometry.to_numpy()) else None
    start = _nice(max(detail / 2.0, np.sqrt(span_area / max_pixels)))
    fine = area_grid(areas, pixel_m=start, crs=WEB_MERCATOR, side_m=side)
    factor = 1
    while True:
        images = _draw(fine.coarsen(factor), layers)
        total = images.nbytes
        if total <= max_bytes or max(images.grid.shape) <= 200:
            return images
        # PNG bytes shrink about with the pixel count: grow the side by sqrt of the excess
        grown = int(np.ceil(factor * np.sqrt(total / max_bytes) * 1.05))
        factor = max(factor + 1, grown)


def _draw(grid: AreaGrid, layers) -> WebImages:
    pngs = tuple(class_png(grid, c, k, hatch_class=h, hatch_lines=False) for c, k, h in layers)
    masks = tuple(
        mask_png(grid, c, h) if h is not None and (np.asarray(c) == h).any() else None
        for c, _, h in layers
    )
    return WebImages(pngs, masks, grid)


# --------------------------------------------------------------------------- figures
def _rgba_rows(face, n: int) -> np.ndarray:
    """``(n, 4)`` RGBA floats of any matplotlib colours (each distinct colour converted once)."""
    arr = np.asarray(face, dtype=object)
    if arr.ndim == 2 and arr.shape[1] in (3, 4):
        rows = arr.astype(float)
        return rows if rows.shape[1] == 4 else np.c_[rows, np.ones(len(rows))]
    seen: dict = {}
    out = []
    for c in face:
        rgba = seen.get(c)
        if rgba is None:
            rgba = seen[c] = to_rgba(c)
        out.append(rgba)
    rows = np.array(out, dtype=float).reshape(-1, 4)
    if len(rows) != n:
        raise ValueError(f"expected one colour per area ({n}), got {len(rows)}")
    return rows


def figure_image(areas: gpd.GeoDataFrame, face, hatched, *, pixels: int = FIGURE_PIXELS):
    """The areas as an RGBA image in their own CRS, for ``Axes.imshow``.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
    face : sequence of colours
        The fill of each area (any matplotlib colour).
    hatched : array-like of bool
        Areas drawn as "no access"; their pixels are returned as a mask, for
        the caller to hatch at the figure's own resolution (a hatch drawn into
        the image would blur to grey when the image is shrunk).
    pixels : int, default FIGURE_PIXELS
        Pixels across the longer side of the extent (no finer than a quarter
        of the size of an area), rounded up to two significant digits of metres.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, tuple, float)
        RGBA image (uint8), the boolean mask of hatched pixels, the ``extent``
        of both for ``imshow`` and the pixel size in metres.
    """
    metric = _metric(areas)
    west, south, east, north = metric.total_bounds
    span = float(max(east - west, north - south, 1.0))
    detail = detail_m(areas)
    pixel_m = _two_digits(max(span / int(pixels), detail / 4.0))
    side = detail if _is_points(areas.geometry.to_numpy()) else None
    grid = area_grid(areas, pixel_m=pixel_m, side_m=side)
    rgba = np.vstack([np.zeros((1, 4)), _rgba_rows(face, grid.n_areas)])
    lookup = np.round(rgba * 255).astype(np.uint8)
    image = lookup[grid.index + 1]
    mask = np.r_[False, np.asarray(hatched, dtype=bool)][grid.index + 1]
    return image, mask, grid.extent, grid.pixel_m
