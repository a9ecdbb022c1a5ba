"""Areas drawn as an image (maps.raster_overlay) on tiny known grids, and the maps using it."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import shapely
from matplotlib.colors import to_rgba
from PIL import Image

from accessplan.data.errors import InputValidationError
from accessplan.maps import raster_overlay, web_frames
from accessplan.maps.classes import NO_ACCESS_COLOR, NO_ACCESS_HATCH, NO_DATA, shared_classes
from accessplan.maps.figures import PIXEL_KEY, access_maps_figure
from accessplan.maps.offline import render_offline_html
from accessplan.maps.raster_overlay import (
    PAGE_IMAGE_BYTES,
    area_grid,
    class_png,
    clear_grid_cache,
    decode_png,
    detail_m,
    web_images,
)
from accessplan.maps.web_frames import extra_layer_specs
from accessplan.maps.webmap import before_after_map, change_map, layered_map

COLORS = ("#ff0000", "#00ff00", "#0000ff", "#ffff00")
# class of the 4 x 4 cells, row 0 = north; -1 = no score
CODES = np.array([[0, 1, 2, 3], [3, 2, 1, 0], [-1, 0, 0, 0], [1, 0, 0, 0]])


def rgb(color) -> tuple:
    return tuple(round(255 * v) for v in to_rgba(color)[:3])


def grid_areas(crs=3067, *, x0=500_000.0, y0=6_700_000.0, side=1000.0, n=4):
    """``n`` x ``n`` square areas, row-major from the north-west corner (area i = row i//n)."""
    rows, cols = np.divmod(np.arange(n * n), n)
    west, north = x0 + cols * side, y0 - rows * side
    geoms = shapely.box(west, north - side, west + side, north)
    return gpd.GeoDataFrame({"area_id": [f"a{i}" for i in range(n * n)]}, geometry=geoms, crs=crs)


def test_grid_cells_carry_their_class_colour_and_the_hatch_stays_inside():
    areas = grid_areas()
    grid = area_grid(areas, pixel_m=250.0)
    assert grid.shape == (16, 16)
    assert grid.extent == (500_000.0, 504_000.0, 6_696_000.0, 6_700_000.0)
    # each 1 km cell is 4 x 4 pixels holding its own row number
    expected = np.repeat(np.repeat(np.arange(16).reshape(4, 4), 4, axis=0), 4, axis=1)
    assert (grid.index == expected).all()
    pixels = decode_png(class_png(grid, CODES.ravel(), COLORS, hatch_class=0))
    assert pixels.shape == (16, 16, 4)
    for r in range(4):
        for c in range(4):
            cell = pixels[4 * r : 4 * r + 4, 4 * c : 4 * c + 4]
            assert (cell[..., 3] == 255).all()
            code = CODES[r, c]
            colours = {tuple(p) for p in cell[..., :3].reshape(-1, 3)}
            if code < 0:
                assert colours == {rgb(NO_DATA)}
            elif code == 0:  # no access: light fill, hatch lines only inside the zero region
                assert colours <= {rgb(NO_ACCESS_COLOR), rgb(NO_ACCESS_HATCH)}
            else:
                assert colours == {rgb(COLORS[code])}
    # the 2 x 3 block of zero cells in the south-east is hatched on its interior
    block = pixels[8:16, 4:16, :3].reshape(-1, 3)
    assert (block == rgb(NO_ACCESS_HATCH)).all(axis=1).sum() > 5
    # the lone zero cell in the north-west corner is plain light grey (no dark dot)
    assert {tuple(p) for p in pixels[0:4, 0:4, :3].reshape(-1, 3)} == {rgb(NO_ACCESS_COLOR)}


def test_web_image_lies_on_the_areas_latlon_bounds():
    # squares of 0.1 degree: in Web Mercator they are axis-aligned rectangles
    areas = grid_areas(4326, x0=24.0, y0=60.4, side=0.1)
    images = web_images(areas, [(CODES.ravel(), COLORS, 0)], pixel_m=200.0)
    (south, west), (north, east) = images.grid.latlon_bounds()
    w, s, e, n = areas.total_bounds
    # west and south exact, east and north within one pixel (a whole number of pixels)
    assert west == pytest.approx(w, abs=1e-9) and south == pytest.approx(s, abs=1e-9)
    step_lon = images.grid.transform.a / 111_319.49
    assert w <= east - 1e-9 and 0 <= east - e < step_lon
    assert 0 <= north - n < 0.01
    # the centre of each cell shows its class in the decoded PNG
    pixels = decode_png(images.pngs[0])
    rows, cols = pixels.shape[:2]
    for i, code in enumerate(CODES.ravel()):
        cx, cy = shapely.centroid(areas.geometry.iloc[i]).coords[0]
        col = int((cx - west) / (east - west) * cols)
        # rows are linear in Mercator y, not in latitude
        y = np.log(np.tan(np.pi / 4 + np.radians([cy, south, north]) / 2))
        row = int((y[2] - y[0]) / (y[2] - y[1]) * rows)
        want = rgb(NO_DATA) if code < 0 else rgb(COLORS[code])
        if code == 0:
            assert tuple(pixels[row, col, :3]) in (rgb(NO_ACCESS_COLOR), rgb(NO_ACCESS_HATCH))
        else:
            assert tuple(pixels[row, col, :3]) == want


def test_points_are_squares_of_their_spacing_and_small_areas_keep_a_pixel():
    xy = np.array([[0.0, 0.0], [1000.0, 0.0], [0.0, 1000.0], [1000.0, 1000.0]]) + 400_000.0
    points = gpd.GeoDataFrame(geometry=shapely.points(xy), crs=3067)
    assert detail_m(points) == pytest.approx(1000.0)
    grid = area_grid(points, pixel_m=250.0)
    assert grid.shape == (8, 8)  # 2 km of squares, 250 m pixels
    counts = np.bincount(grid.index.ravel() + 1, minlength=5)
    assert counts[0] == 0 and (counts[1:] == 16).all()
    # a 10 m square inside a 1 km area is smaller than a pixel: it still gets one
    big = shapely.box(0, 0, 1000, 1000)
    tiny = shapely.box(100, 100, 110, 110)
    areas = gpd.GeoDataFrame(geometry=[big, tiny], crs=3067)
    grid = area_grid(areas, pixel_m=250.0)
    assert (grid.index == 1).sum() == 1 and (grid.index == 0).sum() == 15
    coarse = grid.coarsen(2)
    assert coarse.shape == (2, 2) and coarse.pixel_m == 500.0
    assert set(np.unique(coarse.index)) == {0, 1}


def test_many_polygons_are_sampled_exactly_like_rasterio(monkeypatch):
    # 300 Voronoi cells of random points: the STRtree lookup of pixel centres used
    # for many polygons gives rasterio.features.rasterize's grid, pixel for pixel
    rng = np.random.default_rng(5)
    seeds = shapely.points(rng.uniform(0, 20_000, (300, 2)) + np.array([400_000, 6_600_000]))
    frame = shapely.box(400_000, 6_600_000, 420_000, 6_620_000)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(seeds)), extend_to=frame)
    cells = shapely.intersection(np.asarray(cells.geoms), frame)
    areas = gpd.GeoDataFrame(geometry=cells, crs=3067)
    clear_grid_cache()
    by_rasterio = area_grid(areas, pixel_m=137.0).index
    monkeypatch.setattr(raster_overlay, "SAMPLE_ABOVE", 0)
    clear_grid_cache()
    by_tree = area_grid(areas, pixel_m=137.0).index
    clear_grid_cache()
    assert by_tree.shape == by_rasterio.shape
    assert (by_tree == by_rasterio).all()
    assert set(np.unique(by_tree)) == set(range(300))


def test_an_area_without_a_shape_is_simply_not_drawn():
    for points in (False, True):
        areas = grid_areas(n=3)
        if points:
            areas = areas.set_geometry(areas.geometry.centroid)
        areas.loc[4, "geometry"] = None  # the middle cell
        clear_grid_cache()
        index = area_grid(areas, pixel_m=250.0).index
        assert index.shape == (12, 12)
        assert set(np.unique(index)) == {-1, 0, 1, 2, 3, 5, 6, 7, 8}
        assert (index[4:8, 4:8] == -1).all()


def _frames(n_side=6, points=False):
    areas = grid_areas(n=n_side)
    if points:
        areas = areas.set_geometry(areas.geometry.centroid)
    rng = np.random.default_rng(3)
    before = rng.uniform(0.0, 1.0, len(areas))
    before[:4] = 0.0
    areas["population"] = 100.0
    areas["access_before"] = before
    areas["access_after"] = before + 0.1
    areas["access_change"] = 0.1
    areas.loc[areas.index[-1], "access_change"] = 0.0
    areas.loc[areas.index[-1], "access_after"] = areas["access_before"].iloc[-1]
    return areas


def _images(html: str) -> list:
    found = re.findall(r'L\.imageOverlay\("data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    return [decode_png(base64.b64decode(b)) for b in found]


def test_above_the_threshold_maps_hold_images_and_no_area_geojson():
    areas = _frames()
    html = render_offline_html(layered_map(areas, max_vector_areas=35))
    assert "accessplan_areas_" not in html and '"type":"Feature"' not in html
    images = _images(html)
    assert len(images) == 2  # before and after
    assert "36 areas drawn as an image: 1 pixel = " in html
    # the after image: a cell's centre pixel has its class colour
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    after = images[1]
    k = classes.classify(areas["access_after"])
    rows, cols = after.shape[:2]
    for i in (7, 14, 21, 28):
        r, c = divmod(i, 6)
        pixel = after[int((r + 0.5) * rows / 6), int((c + 0.5) * cols / 6), :3]
        assert tuple(pixel) == rgb(classes.colors[k[i]])
    # "no access" (the 4 first areas, before) is hatched on screen through a mask of its cells
    (mask,) = [
        decode_png(base64.b64decode(b))
        for b in re.findall(r'\+ "data:image/png;base64,([A-Za-z0-9+/=]+)" \+', html)
    ]
    assert "L.svgOverlay(" in html and 'fill="url(#accessplan-no-access)"' in html
    zero = classes.classify(areas["access_before"]) == 0
    assert zero.sum() == 4
    for i in range(36):
        r, c = divmod(i, 6)
        pixel = mask[int((r + 0.5) * rows / 6), int((c + 0.5) * cols / 6)]
        assert tuple(pixel) == ((255, 255, 255, 255) if zero[i] else (0, 0, 0, 0))
    # the image itself shows those cells plain light grey under the hatch
    assert tuple(images[0][int(0.5 * rows / 6), int(0.5 * cols / 6), :3]) == rgb(NO_ACCESS_COLOR)
    # a side-by-side page: one image per panel; a change map: one image, 0 is the ramp's white
    html = render_offline_html(before_after_map(areas, max_vector_areas=0))
    assert len(_images(html)) == 2 and "accessplan_areas_" not in html
    html = render_offline_html(change_map(areas, max_vector_areas=0))
    (change,) = _images(html)
    rows, cols = change.shape[:2]
    assert tuple(change[int(5.5 * rows / 6), int(5.5 * cols / 6), :3]) == rgb("#f7f7f7")


def test_further_layers_are_images_with_their_own_classes():
    areas = _frames()
    minutes = np.arange(36, dtype=float)  # area i is i minutes from its nearest facility
    areas["nearest_minutes_after"] = minutes
    html = render_offline_html(
        layered_map(areas, max_vector_areas=0, extra_layers={"Minutes": "nearest_minutes_after"})
    )
    _, _, extra = _images(html)
    # lower is better: the reversed ramp, darkest for 0 minutes, as the vector layer's legend
    (spec,) = extra_layer_specs(areas, {"Minutes": "nearest_minutes_after"})
    assert spec.lower_is_better and spec.colors[0] != NO_ACCESS_COLOR
    rows, cols = extra.shape[:2]
    for i in (0, 17, 35):
        r, c = divmod(i, 6)
        pixel = extra[int((r + 0.5) * rows / 6), int((c + 0.5) * cols / 6), :3]
        assert tuple(pixel) == rgb(spec.colors[spec.classes.classify([minutes[i]])[0]])


def test_at_or_below_the_threshold_maps_are_unchanged():
    areas = _frames()
    for limit in (36, None):
        html = layered_map(areas, max_vector_areas=limit).get_root().render()
        found = re.findall(r"var accessplan_areas_[0-9a-f]+ = (\{.*?\});</script>", html)
        assert len(found) == 1 and len(json.loads(found[0])["features"]) == 36
        assert "L.imageOverlay" not in html and "drawn as an image" not in html


def test_shapes_too_detailed_for_the_page_are_drawn_as_an_image(monkeypatch):
    areas = _frames()
    monkeypatch.setattr(web_frames, "MAX_VECTOR_BYTES", 1_000)  # 36 squares take ~5 kB
    html = render_offline_html(layered_map(areas))
    assert len(_images(html)) == 2 and "accessplan_areas_" not in html
    html = render_offline_html(layered_map(areas, max_vector_areas=None))  # shapes forced
    assert not _images(html) and "accessplan_areas_" in html


def test_a_bad_threshold_is_reported():
    with pytest.raises(InputValidationError, match="max_vector_areas"):
        layered_map(_frames(), max_vector_areas=-1)


def test_figures_draw_many_areas_as_an_image(tmp_path):
    areas = _frames()
    path = access_maps_figure(areas, None, tmp_path / "m.png", max_vector_areas=10)
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    with Image.open(path) as image:
        assert float(image.text[PIXEL_KEY]) > 0
        # a palette PNG in which every class colour (and the hatch, and white) is exact
        assert image.mode == "P"
        colours = {tuple(c) for c in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    wanted = {rgb(c) for c in classes.colors} | {rgb(NO_ACCESS_HATCH), (255, 255, 255)}
    assert wanted <= colours
    path = access_maps_figure(areas, None, tmp_path / "v.png")
    with Image.open(path) as image:
        assert image.text[PIXEL_KEY] == "" and image.mode == "RGBA"


def test_fifty_thousand_point_areas_stay_under_the_page_budget():
    n_side = 224  # 50,176 points 1 km apart
    side = np.arange(n_side, dtype=float) * 1000.0
    x, y = np.meshgrid(side + 300_000.0, side + 6_600_000.0)
    areas = gpd.GeoDataFrame(geometry=shapely.points(x.ravel(), y.ravel()), crs=3067)
    # access falls with the distance to two towns: a map as smooth as real ones
    d = np.minimum(np.hypot(x - 350_000, y - 6_650_000), np.hypot(x - 480_000, y - 6_780_000))
    areas["population"] = 10.0
    areas["access_before"] = np.clip(1.0 - d.ravel() / 90_000.0, 0.0, None)
    areas["access_after"] = areas["access_before"] * 1.05
    areas["area_id"] = np.arange(len(areas))
    html = render_offline_html(layered_map(areas))
    base = len(render_offline_html(layered_map(areas.iloc[:30], max_vector_areas=0)))
    # the page of 30 areas drawn as images plus the whole image budget in base64
    limit = base + 4 * PAGE_IMAGE_BYTES // 3 + 10_000
    assert len(html) < limit
    assert len(_images(html)) == 2 and "50,176 areas drawn as an image" in html


def test_in_a_browser_the_image_and_its_hatch_are_drawn(tmp_path):
    chromium = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)),
        None,
    )
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but headless Chromium is missing")
        pytest.skip("headless Chromium not found")
    page = tmp_path / "p.html"
    page.write_text(render_offline_html(before_after_map(_frames(), max_vector_areas=0)))
    run = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=3000",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Uncaught" not in run.stderr
    dom = run.stdout
    # one image per panel, the legend's note, and the "before" panel's no-access hatch
    assert len(re.findall(r'<img[^>]*class="[^"]*accessplan-image', dom)) == 2
    assert "36 areas drawn as an image" in dom
    assert len(re.findall(r'<mask id="accessplan-mask-', dom)) == 1
    assert 'fill="url(#accessplan-no-access)" mask="url(#accessplan-mask-' in dom
