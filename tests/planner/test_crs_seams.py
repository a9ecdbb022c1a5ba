"""The same region given in metres, feet and degrees gives the same numbers.

Layers are written the way planning offices have them -- UTM in metres, US
State Plane in US survey feet, multi-part tracts in EPSG:4326 -- and run through
the real command line; minutes and access must agree to 1e-9, and the
straight-line minutes must equal the hand-computed distance / speed.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Point, box

from accessplan.planner.cli import main

UTM = "EPSG:32616"  # WGS 84 / UTM zone 16N (Chicago)
FEET = "EPSG:3435"  # NAD83 / Illinois East (ftUS)
X0, Y0 = 440_000.0, 4_635_000.0  # near the Chicago Loop
SPEED_KPH = 30.0


def _region():
    """Twelve areas (three in two parts) and three hospitals, in UTM.

    The second part of a two-part tract lies 20 km south and is 0.5 m wider:
    in metres it is the wider part (its point is the start point), in degrees
    it is the narrower one (cos(latitude) is larger there) -- so a point taken
    in degrees lands 20 km away, in the other part.
    """
    geoms, ids = [], []
    for k in range(12):
        i, j = divmod(k, 4)
        cell = box(X0 + i * 1500, Y0 + j * 1500, X0 + i * 1500 + 1000, Y0 + j * 1500 + 1000)
        if k % 4 == 1:
            south = Y0 - 20_000 + i * 1500
            island = box(X0 + 9000, south, X0 + 10_000.5, south + 1000)
            cell = MultiPolygon([cell, island])
        geoms.append(cell)
        ids.append(f"0{k:02d}")  # FIPS-like ids with leading zeros
    areas = gpd.GeoDataFrame(
        {"GEOID": ids, "Pop": [100.0 + 37 * k for k in range(12)]}, geometry=geoms, crs=UTM
    )
    hospitals = gpd.GeoDataFrame(
        {"Hospital": ["H1", "H2", "H3"], "Beds": [40.0, 25.0, 10.0]},
        geometry=[
            Point(X0 + 500, Y0 + 700),
            Point(X0 + 3300, Y0 + 2500),
            Point(X0 + 9800, Y0 - 19_000),
        ],
        crs=UTM,
    )
    return areas, hospitals


def _run(write_toml, folder, areas, hospitals, *, crs_note=""):
    folder.mkdir()
    areas.to_file(folder / "areas.gpkg", engine="pyogrio")
    hospitals.to_file(folder / "hospitals.gpkg", engine="pyogrio")
    write_toml(
        folder / "scenario.toml",
        {
            "areas": {"path": "areas.gpkg", "id": "GEOID", "population": "Pop"},
            "facilities": {"path": "hospitals.gpkg", "id": "Hospital", "capacity": "Beds"},
            "network": {"straight_line": {"speed_kph": SPEED_KPH}},
            "access": {"method": "2sfca", "catchment_minutes": 20},
            "output": {"dir": "out"},
        },
    )
    assert main(["access", str(folder / "scenario.toml"), "--quiet"]) == 0, crs_note
    table = pd.read_csv(folder / "out" / "areas_access.csv", dtype={"area_id": str})
    summary = json.loads((folder / "out" / "summary.json").read_text())
    return table.set_index("area_id").sort_index(), summary


@pytest.fixture(scope="module")
def runs(tmp_path_factory, toml_writer):
    areas, hospitals = _region()
    base = tmp_path_factory.mktemp("crs")
    out = {"utm": _run(toml_writer, base / "utm", areas, hospitals)}
    out["feet"] = _run(toml_writer, base / "feet", areas.to_crs(FEET), hospitals.to_crs(FEET))
    out["degrees"] = _run(toml_writer, base / "deg", areas.to_crs(4326), hospitals.to_crs(4326))
    out["mixed"] = _run(toml_writer, base / "mixed", areas.to_crs(FEET), hospitals.to_crs(4326))
    return out


def test_feet_layers_are_computed_in_metres(runs):
    """EPSG:3435 (US survey feet) is transformed to the WGS 84 UTM zone, not read as metres."""
    _, summary = runs["feet"]
    assert summary["crs"] == UTM
    utm, _ = runs["utm"]
    feet, _ = runs["feet"]
    assert list(feet.index) == list(utm.index)
    np.testing.assert_allclose(feet["nearest_minutes"], utm["nearest_minutes"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(feet["access"], utm["access"], rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name", ["degrees", "mixed"])
def test_degrees_and_mixed_crs_give_the_same_scores(runs, name):
    """Multi-part tracts in EPSG:4326 score as the same layer pre-projected."""
    utm, _ = runs["utm"]
    other, summary = runs[name]
    assert summary["crs"] == UTM
    np.testing.assert_allclose(other["nearest_minutes"], utm["nearest_minutes"], atol=1e-9)
    np.testing.assert_allclose(other["access"], utm["access"], rtol=1e-9, atol=1e-15)


def test_minutes_are_distance_over_speed(runs):
    """The hand answer: metres from each area's representative point (taken in metres) to
    the nearest hospital, at 30 km/h -- 3.28x off if feet were read as metres."""
    areas, hospitals = _region()
    origin = areas.geometry.representative_point()
    dist = np.array([[o.distance(h) for h in hospitals.geometry] for o in origin])
    expected = dist.min(axis=1) / (SPEED_KPH * 1000 / 60)
    within = expected <= 20
    table, _ = runs["feet"]
    got = table.loc[areas["GEOID"], "nearest_minutes"].to_numpy()
    np.testing.assert_allclose(got[within], expected[within], atol=1e-9)
    assert np.isnan(got[~within]).all()
    # 2SFCA identity: sum P_i A_i = supply of the sites with population in reach
    pop = table.loc[areas["GEOID"], "population"].to_numpy()
    acc = table.loc[areas["GEOID"], "access"].fillna(0).to_numpy()
    assert np.isclose((pop * acc).sum(), 75.0)


def test_multipart_point_is_taken_after_projecting(runs):
    """The island tracts' start points are where the projected geometry puts them.

    Taking the point in degrees and projecting it afterwards moves it; this
    checks the run used the projected geometry's own representative point."""
    areas, _ = _region()
    table, _ = runs["degrees"]
    utm_point = areas.geometry.representative_point()
    degree_point = gpd.GeoSeries(
        areas.to_crs(4326).geometry.representative_point(), crs=4326
    ).to_crs(UTM)
    moved = utm_point.distance(degree_point).to_numpy()
    assert moved.max() > 19_000  # the two recipes differ by 20 km on the two-part tracts
    utm, _ = runs["utm"]
    np.testing.assert_allclose(table["nearest_minutes"], utm["nearest_minutes"], atol=1e-9)


def test_ids_keep_leading_zeros_in_every_output(runs):
    table, _ = runs["feet"]
    assert sorted(table.index) == [f"0{k:02d}" for k in range(12)]


def test_swapped_weighted_point_inside_the_crs_is_named(tmp_path):
    """A weighted point whose (y, x) lies in its area is refused as swapped axes, even where
    the swapped point stays inside the CRS's area of use."""
    from accessplan.data.errors import InputValidationError
    from accessplan.planner.inputs import LayerSpec, read_areas

    area = box(1_000_000, 1_010_000, 1_001_000, 1_011_000)
    gpd.GeoDataFrame(
        {
            "id": ["A", "B"],
            "pop": [1.0, 2.0],
            "px": [1_010_500.0, 1_000_500.0],
            "py": [1_000_500.0, 1_010_500.0],
        },
        geometry=[area, area],
        crs="EPSG:3857",
    ).to_file(tmp_path / "a.gpkg", engine="pyogrio")
    spec = LayerSpec(
        path=tmp_path / "a.gpkg",
        id="id",
        columns={"population": "pop", "point_x": "px", "point_y": "py"},
    )
    with pytest.raises(InputValidationError) as info:
        read_areas(spec)
    (problem,) = info.value.problems
    assert problem.column == "px/py" and problem.rows == ("1 (id A)",)
    assert problem.message.startswith("x and y look swapped")
