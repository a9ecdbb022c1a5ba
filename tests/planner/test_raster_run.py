"""A population raster as the areas of a whole run (issue 12, item 1), through the CLI.

The raster holds the tiny region's nine 1 km cells (conftest: Pop 100..900 in cells
(i, j), k = 3i + j, i eastward, j northward) as a 3 x 3 GeoTIFF in the same CRS: each cell
centre is the polygon's start point, so every access score equals the polygon run's.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import Affine

from accessplan.planner.cli import main


def _write_raster(tiny, *, values=None, crs=None, shift_m=0.0):
    grid = np.zeros((3, 3), dtype="float32")
    for i in range(3):  # column (east)
        for j in range(3):  # row from the top: north is row 0
            grid[2 - j, i] = 100.0 * (3 * i + j + 1)
    if values is not None:
        grid = values
    transform = Affine(1000, 0, tiny.x0 + shift_m, 0, -1000, tiny.y0 + 3000 + shift_m)
    path = tiny.folder / "pop.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=3,
        width=3,
        count=1,
        dtype="float32",
        crs=crs if crs is not None else tiny.crs,
        transform=transform,
        nodata=-9999,
    ) as dst:
        dst.write(grid, 1)
    tiny.sections["areas"] = {"raster": "pop.tif"}
    return path


def test_a_raster_run_scores_like_the_same_cells_as_polygons(tiny):
    assert main(["access", str(tiny.write()), "-q"]) == 0
    polygons = pd.read_csv(tiny.out / "areas_access.csv")
    _write_raster(tiny)
    assert main(["access", str(tiny.write()), "-q"]) == 0
    cells = pd.read_csv(tiny.out / "areas_access.csv")
    assert len(cells) == 9 and cells["population"].sum() == 4500.0
    by_pop = lambda f: f.sort_values("population")["access"].to_numpy()  # noqa: E731
    assert by_pop(cells) == pytest.approx(by_pop(polygons), rel=1e-12)
    assert cells["area_id"].str.match(r"r\d_c\d").all()
    scenario = json.loads((tiny.out / "scenario.json").read_text())
    assert scenario["areas"]["raster"].endswith("pop.tif")
    raster = json.loads((tiny.out / "summary.json").read_text())["raster"]
    assert raster["valid_cells"] == 9 and raster["total_population"] == 4500.0
    assert raster["cell_size_m"] == 1000.0


def test_aggregate_keeps_the_total(tiny):
    _write_raster(tiny)
    tiny.sections["areas"]["aggregate"] = 2
    assert main(["access", str(tiny.write()), "-q"]) == 0
    cells = pd.read_csv(tiny.out / "areas_access.csv")
    # 3 x 3 cells in 2 x 2 blocks: 4 areas (edge blocks smaller), the same 4,500 people
    assert len(cells) == 4 and cells["population"].sum() == 4500.0


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("all_nodata", "holds no population"),
        ("far", "overlap"),
        ("both_aggregates", "not both"),
    ],
)
def test_bad_rasters_are_refused(tiny, capsys, kind, words):
    if kind == "all_nodata":
        _write_raster(tiny, values=np.full((3, 3), -9999, dtype="float32"))
    elif kind == "far":
        _write_raster(tiny, shift_m=200_000.0)
    else:
        _write_raster(tiny)
        tiny.sections["areas"].update({"aggregate": 2, "aggregate_m": 2000})
    assert main(["access", str(tiny.write()), "-q"]) == 2
    assert words in capsys.readouterr().err
    assert not tiny.out.exists()
