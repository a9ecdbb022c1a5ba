"""Population rasters as areas: hand-worked values, exact totals, the Helsinki grid, bad rasters."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from rasterio.transform import Affine

from accessplan.data.errors import AccessplanError, InputFileError, InputValidationError
from accessplan.planner.raster_areas import check_raster_overlap, read_raster_areas

_HELPER = Path(__file__).resolve().parents[1] / "data" / "make_raster.py"
_spec = importlib.util.spec_from_file_location("accessplan_tests_make_raster", _HELPER)
make_raster = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_raster)

# TINY_VALUES (nodata -1 at row 2, column 3), by hand:
#   10   0   5   1   0
#  2.5   4  ND   0   3
#    0   0   7   8   0
#    1   0   0   0   6
TINY_AREAS = {
    "r1_c1": 10.0,
    "r1_c3": 5.0,
    "r1_c4": 1.0,
    "r2_c1": 2.5,
    "r2_c2": 4.0,
    "r2_c5": 3.0,
    "r3_c3": 7.0,
    "r3_c4": 8.0,
    "r4_c1": 1.0,
    "r4_c5": 6.0,
}
# 2 x 2 blocks; the third block column holds column 5 only (a partial block)
TINY_BLOCKS = {
    "r1_c1": 10 + 0 + 2.5 + 4,
    "r1_c2": 5 + 1 + 0,  # the nodata cell counts for nothing
    "r1_c3": 0 + 3,
    "r2_c1": 0 + 0 + 1 + 0,
    "r2_c2": 7 + 8 + 0 + 0,
    "r2_c3": 0 + 6,
}
X0, Y0 = make_raster.TINY_ORIGIN


@pytest.fixture
def tiny(tmp_path):
    return make_raster.write_tiny(tmp_path / "tiny.tif")


def test_tiny_raster_populated_cells_are_areas(tiny):
    areas = read_raster_areas(tiny)
    assert list(areas.columns) == ["area_id", "population", "need", "geometry", "origin"]
    assert dict(zip(areas["area_id"], areas["population"], strict=True)) == TINY_AREAS
    assert (areas["need"] == areas["population"]).all()
    assert areas["population"].sum() == 47.5
    assert areas.crs.to_epsg() == 32635  # the raster's own CRS: projected, metres
    assert areas["origin"].crs == areas.crs
    info = areas.attrs["raster"]
    assert (info["valid_cells"], info["nodata_cells"], info["aggregate"]) == (19, 1, 1)
    assert info["cell_size_m"] == 100.0
    assert info["total_population"] == 47.5


def test_tiny_raster_cell_centres_and_polygons_by_hand(tiny):
    areas = read_raster_areas(tiny).set_index("area_id")
    # row r, column c (1-based): centre x = X0 + 100 (c - 1/2), y = Y0 - 100 (r - 1/2)
    for area_id, (x, y) in {
        "r1_c1": (X0 + 50, Y0 - 50),
        "r2_c5": (X0 + 450, Y0 - 150),
        "r4_c1": (X0 + 50, Y0 - 350),
    }.items():
        origin = areas.loc[area_id, "origin"]
        assert (origin.x, origin.y) == (x, y)
        assert areas.loc[area_id, "geometry"].equals(shapely.box(x - 50, y - 50, x + 50, y + 50))
    assert np.allclose(areas.geometry.area, 100 * 100)


def test_aggregate_2_sums_blocks_and_keeps_partial_edge_blocks(tiny):
    blocks = read_raster_areas(tiny, aggregate=2).set_index("area_id")
    assert blocks["population"].to_dict() == TINY_BLOCKS
    assert blocks["population"].sum() == 47.5
    # a full block: 200 m square centred between its four cells
    assert blocks.loc["r1_c1", "geometry"].equals(shapely.box(X0, Y0 - 200, X0 + 200, Y0))
    assert (blocks.loc["r1_c1", "origin"].x, blocks.loc["r1_c1", "origin"].y) == (
        X0 + 100,
        Y0 - 100,
    )
    # the right-hand partial block is one cell wide, clipped at the raster's edge
    assert blocks.loc["r1_c3", "geometry"].equals(shapely.box(X0 + 400, Y0 - 200, X0 + 500, Y0))
    assert (blocks.loc["r1_c3", "origin"].x, blocks.loc["r1_c3", "origin"].y) == (
        X0 + 450,
        Y0 - 100,
    )
    assert blocks.attrs["raster"]["aggregate"] == 2


@pytest.mark.parametrize("metres", [200, 160, 249])
def test_aggregate_m_picks_the_nearest_whole_block(tiny, metres):
    blocks = read_raster_areas(tiny, aggregate_m=metres)
    assert dict(zip(blocks["area_id"], blocks["population"], strict=True)) == TINY_BLOCKS


def test_aggregate_3_on_4x5_keeps_every_cell(tiny):
    blocks = read_raster_areas(tiny, aggregate=3).set_index("area_id")
    # rows 1-3 x cols 1-3, rows 1-3 x cols 4-5, row 4 x cols 1-3, row 4 x cols 4-5
    assert blocks["population"].to_dict() == {
        "r1_c1": 10 + 5 + 2.5 + 4 + 7,
        "r1_c2": 1 + 3 + 8,
        "r2_c1": 1.0,
        "r2_c2": 6.0,
    }
    # the bottom-right block is one row by two columns
    assert blocks.loc["r2_c2", "geometry"].equals(
        shapely.box(X0 + 300, Y0 - 400, X0 + 500, Y0 - 300)
    )


def test_aggregate_larger_than_the_raster_is_one_area(tiny):
    whole = read_raster_areas(tiny, aggregate=10)
    assert whole["area_id"].tolist() == ["r1_c1"]
    assert whole["population"].tolist() == [47.5]
    assert whole.geometry.iloc[0].equals(shapely.box(X0, Y0 - 400, X0 + 500, Y0))


def test_float32_raster_total_is_exact(tmp_path):
    rng = np.random.default_rng(12)
    values = rng.uniform(0.5, 1000.0, size=(37, 23)).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = -99999.0  # nodata
    values[rng.random(values.shape) < 0.1] = 0.0
    path = make_raster.write_geotiff(
        tmp_path / "f32.tif",
        values,
        transform=make_raster.north_up(500_000, 6_700_000, 100, 100),
        crs="EPSG:32635",
        nodata=-99999.0,
    )
    valid = values[values > 0].astype(np.float64)
    exact = math.fsum(valid)
    for k in (1, 2, 3, 5):
        areas = read_raster_areas(path, aggregate=k)
        assert math.fsum(areas["population"]) == exact
        assert areas["population"].sum() == exact
    # each block equals the exact sum of its cells, brute force
    blocks = read_raster_areas(path, aggregate=3).set_index("area_id")["population"]
    for area_id, pop in blocks.items():
        r, c = (int(part[1:]) - 1 for part in area_id.split("_"))
        cells = values[3 * r : 3 * r + 3, 3 * c : 3 * c + 3].astype(np.float64)
        assert pop == math.fsum(cells[cells > 0])
    assert len(read_raster_areas(path)) == int((values > 0).sum())


def test_block_sums_are_float64_where_float32_would_round(tmp_path):
    # in float32, 2**24 + 1 == 2**24: a float32 accumulator would lose these people
    values = np.array([[2.0**24, 1.0], [1.0, 1.0]], dtype=np.float32)
    path = make_raster.write_geotiff(
        tmp_path / "big.tif",
        values,
        transform=make_raster.north_up(500_000, 6_700_000, 100, 100),
        crs="EPSG:32635",
    )
    for k in (1, 2):
        areas = read_raster_areas(path, aggregate=k)
        assert areas["population"].dtype == np.float64
        assert math.fsum(areas["population"]) == 2**24 + 3
    assert read_raster_areas(path, aggregate=2)["population"].tolist() == [2**24 + 3]


def test_nan_cells_are_nodata(tmp_path):
    values = np.array([[1.5, np.nan], [np.nan, 2.0]], dtype=np.float32)
    path = make_raster.write_geotiff(
        tmp_path / "nan.tif",
        values,
        transform=make_raster.north_up(500_000, 6_700_000, 100, 100),
        crs="EPSG:32635",
    )
    areas = read_raster_areas(path)
    assert dict(zip(areas["area_id"], areas["population"], strict=True)) == {
        "r1_c1": 1.5,
        "r2_c2": 2.0,
    }
    assert areas.attrs["raster"]["nodata_cells"] == 2


def test_raster_in_degrees_is_projected_to_its_utm_zone(tmp_path):
    transform = make_raster.north_up(24.9, 60.2, 0.01, 0.005)
    path = make_raster.write_tiny(tmp_path / "deg.tif", crs="EPSG:4326", transform=transform)
    areas = read_raster_areas(path).set_index("area_id")
    assert areas.crs.to_epsg() == 32635  # 24.9..24.95 E lies in UTM zone 35 (24-30 E)
    to_utm = pyproj.Transformer.from_crs(4326, 32635, always_xy=True)
    # r1_c1 centre: (24.9 + 0.005, 60.2 - 0.0025); r4_c5: (24.9 + 0.045, 60.2 - 0.0175)
    for area_id, (lon, lat) in {"r1_c1": (24.905, 60.1975), "r4_c5": (24.945, 60.1825)}.items():
        x, y = to_utm.transform(lon, lat)
        origin = areas.loc[area_id, "origin"]
        assert origin.x == pytest.approx(x, abs=1e-6)
        assert origin.y == pytest.approx(y, abs=1e-6)
    # the cell is 0.01 deg x 0.005 deg: about 553 m x 556 m at 60.2 N
    assert np.sqrt(areas.geometry.area).between(550, 560).all()
    assert areas["population"].sum() == 47.5
    # aggregate_m measures the cell in metres: 1100 m is 2 cells of about 555 m
    blocks = read_raster_areas(path, aggregate_m=1100)
    assert blocks.attrs["raster"]["aggregate"] == 2
    assert dict(zip(blocks["area_id"], blocks["population"], strict=True)) == TINY_BLOCKS


def test_requested_metre_crs_is_used(tiny):
    areas = read_raster_areas(tiny, crs="EPSG:3067")
    assert areas.crs.to_epsg() == 3067
    assert areas["population"].sum() == 47.5


def test_helsinki_grid_rasterised_matches_the_grid_cell_by_cell(shared_data, tmp_path):
    gpkg = shared_data / "helsinki" / "helsinki_population_grid_2020.gpkg"
    path, grid = make_raster.write_helsinki(gpkg, tmp_path / "helsinki.tif")
    areas = read_raster_areas(path)
    # GeoTIFF keys keep the projection, not its EPSG code: the raster's own CRS is kept
    assert areas.crs.name == "EUREF-FIN / GK25FIN"
    assert len(areas) == len(grid) == 92
    assert areas["population"].sum() == grid["population"].sum() == 71_724
    by_id = areas.set_index("area_id")
    ids = "r" + (grid["raster_row"] + 1).astype(str) + "_c" + (grid["raster_col"] + 1).astype(str)
    assert ids.is_unique
    assert (by_id.loc[ids, "population"].to_numpy() == grid["population"].to_numpy()).all()
    # each area's polygon is the grid's cell (the grid went through degrees: centimetres apart)
    distance = shapely.hausdorff_distance(
        by_id.loc[ids].geometry.to_numpy(), grid.geometry.to_numpy()
    )
    assert distance.max() < 0.05
    centre_gap = shapely.distance(
        gpd.GeoSeries(by_id.loc[ids, "origin"].to_numpy()).to_numpy(),
        grid.geometry.centroid.to_numpy(),
    )
    assert centre_gap.max() < 0.05
    coarse = read_raster_areas(path, aggregate_m=500)
    assert coarse.attrs["raster"]["aggregate"] == 2
    assert coarse["population"].sum() == 71_724


# -- bad rasters: one error, every problem, naming the file ------------------------------


def _problems(exc_info) -> str:
    return str(exc_info.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_raster_areas(tmp_path / "nowhere.tif")
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    with pytest.raises(InputFileError, match="cannot be read as a raster") as exc:
        read_raster_areas(junk, label="worldpop.tif")
    assert "worldpop.tif" in str(exc.value)
    assert isinstance(exc.value, AccessplanError)


def test_no_crs_and_rotation_reported_together(tmp_path):
    rotated = Affine(100.0, 10.0, 500_000.0, 10.0, -100.0, 6_700_000.0)
    path = make_raster.write_tiny(tmp_path / "bad.tif", crs=None, transform=rotated)
    with pytest.raises(InputValidationError) as exc:
        read_raster_areas(path, label="worldpop.tif")
    assert len(exc.value.problems) == 2
    text = _problems(exc)
    assert "file worldpop.tif" in text
    assert "no coordinate reference system" in text
    assert "rotated or sheared" in text
    assert isinstance(exc.value, ValueError)


def test_no_crs_alone(tmp_path):
    path = make_raster.write_tiny(tmp_path / "nocrs.tif", crs=None)
    with pytest.raises(InputValidationError, match="no coordinate reference system"):
        read_raster_areas(path)


def test_negative_cells_are_refused_naming_count_and_first_cell(tmp_path):
    values = make_raster.TINY_VALUES.copy()
    values[2, 1] = -3.0  # row 3, column 2
    values[3, 3] = -2.0  # row 4, column 4
    path = make_raster.write_geotiff(
        tmp_path / "neg.tif",
        values,
        transform=make_raster.north_up(X0, Y0, 100, 100),
        crs="EPSG:32635",
        nodata=-1.0,
    )
    with pytest.raises(InputValidationError) as exc:
        read_raster_areas(path)
    text = _problems(exc)
    assert "2 cell(s) have a negative population" in text
    assert "row 3, column 2, value -3" in text


def test_all_nodata_and_all_zero_rasters(tmp_path):
    transform = make_raster.north_up(X0, Y0, 100, 100)
    empty = make_raster.write_geotiff(
        tmp_path / "empty.tif",
        np.full((3, 3), -99999, dtype=np.int32),
        transform=transform,
        crs="EPSG:32635",
        nodata=-99999,
    )
    with pytest.raises(InputValidationError, match="every cell is nodata"):
        read_raster_areas(empty)
    zeros = make_raster.write_geotiff(
        tmp_path / "zeros.tif",
        np.zeros((3, 3), dtype=np.int32),
        transform=transform,
        crs="EPSG:32635",
        nodata=-99999,
    )
    with pytest.raises(InputValidationError, match="no cell has a population above 0"):
        read_raster_areas(zeros)


def test_bad_aggregate_options_are_collected(tiny):
    with pytest.raises(InputValidationError) as exc:
        read_raster_areas(tiny, aggregate=0, aggregate_m=-5)
    assert len(exc.value.problems) == 3
    text = _problems(exc)
    assert "not both" in text
    assert "aggregate must be a whole number of cells >= 1, got 0" in text
    assert "aggregate_m must be a positive number of metres, got -5" in text
    with pytest.raises(InputValidationError, match=r"got 1\.5"):
        read_raster_areas(tiny, aggregate=1.5)
    with pytest.raises(InputValidationError, match="less than one cell"):
        read_raster_areas(tiny, aggregate_m=40)


def test_requested_crs_in_degrees_is_refused(tiny):
    with pytest.raises(InputValidationError, match="projected CRS in metres"):
        read_raster_areas(tiny, crs="EPSG:4326")


# -- overlap with the facilities --------------------------------------------------------


def _facilities(xy, crs="EPSG:32635"):
    return gpd.GeoDataFrame(
        {"site_id": [f"H{i}" for i in range(len(xy))]},
        geometry=gpd.points_from_xy(*zip(*xy, strict=True)),
        crs=crs,
    )


def test_overlap_passes_inside_and_within_5_km(tiny):
    areas = read_raster_areas(tiny)  # populated extent x 500000..500500, y 6699600..6700000
    check_raster_overlap(areas, _facilities([(500_250, 6_699_800)]), label="pop.tif")
    check_raster_overlap(areas, _facilities([(504_900, 6_699_800)]), label="pop.tif")
    lon, lat = pyproj.Transformer.from_crs(32635, 4326, always_xy=True).transform(
        500_250, 6_699_800
    )
    check_raster_overlap(areas, _facilities([(lon, lat)], crs="EPSG:4326"), label="pop.tif")


def test_overlap_fails_when_every_facility_is_more_than_5_km_away(tiny):
    areas = read_raster_areas(tiny)
    far = _facilities([(505_600, 6_699_800), (500_250, 6_690_000)])
    with pytest.raises(InputValidationError) as exc:
        check_raster_overlap(areas, far, label="worldpop.tif")
    text = _problems(exc)
    assert "file worldpop.tif" in text
    assert "does not overlap the facilities" in text
    assert "5 km" in text
