"""The one-state map and figures of an access-only run."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from PIL import Image
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps.access_map import access_map, inequity_panel_html
from accessplan.maps.figures import access_distribution_figure, lorenz_figure
from accessplan.maps.offline import render_offline_html

CRS = "EPSG:32631"


@pytest.fixture
def areas():
    cells = [
        box(500_000 + 1000 * i, 5_000_000, 500_000 + 1000 * (i + 1), 5_001_000) for i in range(4)
    ]
    return gpd.GeoDataFrame(
        {
            "area_id": ["A", "B", "C", "D"],
            "population": [100.0, 100.0, 100.0, 100.0],
            "access": [0.0, 1.0, 0.0, np.nan],
            "access_icu_beds": [0.0, 2.0, 1.0, np.nan],
        },
        geometry=cells,
        crs=CRS,
    )


def test_lorenz_of_one_state_has_one_curve_and_the_hand_worked_gini(areas, tmp_path):
    # scored areas A, B, C (D has no score): access 0, 1, 0 with equal weights;
    # Gini = sum_ij |x_i - x_j| / (2 n^2 mean) = 4 / (2 * 9 * 1/3) = 2/3
    out = lorenz_figure(areas, tmp_path / "l.png", before="access", after=None)
    assert json.loads(Image.open(out).text["accessplan:gini"]) == {
        "access": pytest.approx(2 / 3, rel=1e-12)
    }
    path = access_distribution_figure(areas, tmp_path / "d.png", before="access", after=None)
    assert Image.open(path).format == "PNG"


def test_access_map_has_one_access_layer_and_no_plan_words(areas):
    sites = gpd.GeoDataFrame(
        {"site_id": ["H1"], "capacity": [10.0], "name": ["North & <South>"]},
        geometry=[Point(500_500, 5_000_500)],
        crs=CRS,
    )
    page = render_offline_html(
        access_map(
            areas,
            sites,
            inequity={"gini": 2 / 3, "share_zero": 0.5},
            extra_layers={"ICU beds (access)": "access_icu_beds"},
        )
    )
    assert '"Access"' in page and '"ICU beds (access)"' in page and '"Hospitals"' in page
    for word in ("Access before", "Access after", "Rank before", "New-site names", "new site"):
        assert word not in page
    assert '"Rank (1 = best)"' in page  # the tooltip's one rank
    assert "North &amp; &lt;South&gt;" in page and "<South>" not in page  # escaped once
    assert "0 (no access)" in page and "no score" in page  # zeros hatched, D grey


def test_access_map_names_every_missing_column(areas):
    with pytest.raises(InputValidationError) as err:
        access_map(areas.drop(columns=["population"]), column="access_beds")
    text = str(err.value)
    assert "population" in text and "access_before" in text


def test_inequity_panel_of_one_state():
    html = inequity_panel_html({"gini": 0.25, "theil": float("nan"), "share_zero": 0.125})
    assert "<td>0.250</td>" in html and "<td>12.5%</td>" in html
    assert "Theil" not in html and "after" not in html
    assert inequity_panel_html({}) == ""
