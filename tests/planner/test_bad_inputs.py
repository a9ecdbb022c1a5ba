"""Every bad input gives one clear error naming file, column and row; exit 2; no outputs.

Each test breaks the valid tiny scenario of ``conftest.py`` in one way and
runs the real command line.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPoint, Point

from accessplan.planner.cli import main


def run_failing(tiny, capsys) -> str:
    """Run ``accessplan access``; assert exit 2, no traceback, nothing written; return stderr."""
    toml = tiny.write()
    code = main(["access", str(toml), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("accessplan: error: ")
    assert "Traceback" not in err
    assert not tiny.out.exists()
    leftovers = [p.name for p in tiny.folder.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []
    return err


def test_valid_tiny_scenario_runs(tiny, capsys):
    """The baseline the other tests break really works, and its numbers are right."""
    toml = tiny.write()
    assert main(["access", str(toml), "--quiet"]) == 0
    areas = pd.read_csv(tiny.out / "areas_access.csv")
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["areas"] == 9 and summary["facilities"] == 2
    # Identity of 2SFCA: sum_i P_i A_i equals the supply of sites with population in reach.
    assert np.isclose((areas["population"] * areas["access"]).sum(), 70.0)


def test_missing_file(tiny, capsys):
    tiny.sections["areas"]["path"] = "nowhere.gpkg"
    err = run_failing(tiny, capsys)
    assert "nowhere.gpkg" in err and "does not exist" in err


def test_missing_layer(tiny, capsys):
    tiny.sections["areas"]["layer"] = "blocks"
    err = run_failing(tiny, capsys)
    assert "areas.gpkg" in err and "'blocks'" in err and "tracts" in err


def test_misnamed_population_column(tiny, capsys):
    tiny.sections["areas"]["population"] = "pop"
    err = run_failing(tiny, capsys)
    assert "areas.gpkg" in err and "column 'pop'" in err and "did you mean 'Pop'" in err


def test_missing_id_column(tiny, capsys):
    tiny.sections["facilities"]["id"] = "HospitalName"
    err = run_failing(tiny, capsys)
    assert "hospitals.gpkg" in err and "column 'HospitalName'" in err
    assert "Hospital" in err  # lists the columns that exist


def test_no_crs(tiny, capsys):
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    with pytest.warns(UserWarning, match="crs"):  # pyogrio warns when writing a layer with no CRS
        areas.set_crs(None, allow_override=True).to_file(
            tiny.folder / "nocrs.gpkg", engine="pyogrio"
        )
    tiny.sections["areas"] = {"path": "nocrs.gpkg", "id": "Tract ID", "population": "Pop"}
    err = run_failing(tiny, capsys)
    assert "nocrs.gpkg" in err and "coordinate reference system" in err


def test_empty_layer(tiny, capsys):
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals.iloc[0:0].to_file(tiny.folder / "empty.gpkg", engine="pyogrio")
    tiny.sections["facilities"]["path"] = "empty.gpkg"
    err = run_failing(tiny, capsys)
    assert "empty.gpkg" in err and "empty" in err


def _rewrite_areas(tiny, **changes):
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    for column, (row, value) in changes.items():
        areas[column] = areas[column].astype(object)
        areas.loc[row, column] = value
    areas.to_file(tiny.folder / "areas.gpkg", layer="tracts", engine="pyogrio")


def test_nan_population(tiny, capsys):
    _rewrite_areas(tiny, Pop=(4, np.nan))
    err = run_failing(tiny, capsys)
    assert "areas.gpkg" in err and "column 'Pop'" in err and "row 5 (id T4)" in err
    assert "missing value" in err


def test_negative_population(tiny, capsys):
    _rewrite_areas(tiny, Pop=(2, -3.0))
    err = run_failing(tiny, capsys)
    assert "column 'Pop'" in err and "row 3 (id T2)" in err and "negative" in err


def test_duplicate_ids(tiny, capsys):
    _rewrite_areas(tiny, **{"Tract ID": (7, "T1")})
    err = run_failing(tiny, capsys)
    assert "column 'Tract ID'" in err and "duplicate id 'T1'" in err and "rows 2, 8" in err


def test_all_problems_of_all_files_at_once(tiny, capsys):
    _rewrite_areas(tiny, Pop=(0, -1.0), **{"Tract ID": (3, "T8")})
    tiny.sections["facilities"]["capacity"] = "Beds"
    err = run_failing(tiny, capsys)
    assert err.count("\n  - ") == 3
    assert "negative" in err and "duplicate id 'T8'" in err and "column 'Beds'" in err


def test_multipoint_with_several_points_is_an_error(tiny, capsys):
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals.geometry = [
        MultiPoint([(tiny.x0 + 500, tiny.y0 + 500)]),
        MultiPoint([(tiny.x0 + 2500, tiny.y0 + 2500), (tiny.x0 + 100, tiny.y0 + 100)]),
    ]
    hospitals.to_file(tiny.folder / "multi.gpkg", engine="pyogrio")
    tiny.sections["facilities"]["path"] = "multi.gpkg"
    err = run_failing(tiny, capsys)
    assert "multi.gpkg" in err and "row 2 (id H2)" in err and "MultiPoint with several" in err


def test_multipoint_with_one_point_is_accepted(tiny, capsys):
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals.geometry = [
        MultiPoint([(tiny.x0 + 500, tiny.y0 + 500)]),
        MultiPoint([(tiny.x0 + 2500, tiny.y0 + 2500)]),
    ]
    hospitals.to_file(tiny.folder / "multi.gpkg", engine="pyogrio")
    tiny.sections["facilities"]["path"] = "multi.gpkg"
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
    out = gpd.read_file(tiny.out / "access.gpkg", layer="facilities")
    assert list(out.geom_type) == ["Point", "Point"]
    assert out.geometry.iloc[1].equals(Point(tiny.x0 + 2500, tiny.y0 + 2500))


def test_polygon_facilities(tiny, capsys):
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts").iloc[:2]
    areas = areas.rename(columns={"Tract ID": "Hospital", "Pop": "Total Bed"})
    areas.to_file(tiny.folder / "polys.gpkg", engine="pyogrio")
    tiny.sections["facilities"] = {"path": "polys.gpkg", "id": "Hospital", "capacity": "Total Bed"}
    err = run_failing(tiny, capsys)
    assert "polys.gpkg" in err and "must be points" in err and "rows 1 (id T0), 2 (id T1)" in err


def test_non_numeric_capacity(tiny, capsys):
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals["Total Bed"] = ["50", "lots"]
    hospitals.to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")
    err = run_failing(tiny, capsys)
    assert "column 'Total Bed'" in err and "row 2 (id H2)" in err and "not a number" in err


def test_sites_far_off_the_network(tiny, capsys):
    tiny.save_grid_graph()
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals.geometry = [Point(tiny.x0 + 500, tiny.y0 + 500), Point(tiny.x0 + 90_000, tiny.y0)]
    hospitals.to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")
    tiny.sections["network"] = {"path": "roads.graphml", "max_snap_meters": 2000}
    err = run_failing(tiny, capsys)
    assert "hospitals.gpkg" in err and "H2" in err and "H1" not in err.split("H2")[0][-40:]


def test_network_with_no_path_to_any_site(tiny, capsys):
    tiny.save_grid_graph(n=8, speed_kph=5.0)
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    far = Point(tiny.x0 + 7000, tiny.y0 + 7000)
    hospitals.geometry = [far, far]
    hospitals.to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")
    tiny.sections["network"] = {"path": "roads.graphml"}
    tiny.sections["access"]["catchment_minutes"] = 5
    err = run_failing(tiny, capsys)
    assert "5 minutes" in err or "no area" in err.lower() or "no origin" in err.lower()


def test_malformed_od_table(tiny, capsys):
    pd.DataFrame(
        {
            "from": ["T0", "T1", "T9", "T2"],
            "to": ["H1", "H1", "H1", "H7"],
            "min": [3.0, -2.0, 4.0, "x"],
        }
    ).to_csv(tiny.folder / "times.csv", index=False)
    tiny.sections["network"] = {
        "od_table": {"path": "times.csv", "origin": "from", "site": "to", "minutes": "min"}
    }
    err = run_failing(tiny, capsys)
    assert "times.csv" in err
    assert "T9" in err and "H7" in err  # unknown ids
    assert "negative" in err.lower() and "'min'" in err


def test_od_table_missing_columns(tiny, capsys):
    pd.DataFrame({"origin": ["T0"], "dest": ["H1"], "t": [1.0]}).to_csv(
        tiny.folder / "times.csv", index=False
    )
    tiny.sections["network"] = {"od_table": "times.csv"}
    err = run_failing(tiny, capsys)
    assert "times.csv" in err and "origin_id" in err and "site_id" in err and "minutes" in err


def test_unknown_decay(tiny, capsys):
    tiny.sections["access"]["decay"] = {"type": "cauchy"}
    err = run_failing(tiny, capsys)
    assert "scenario.toml" in err and "access.decay" in err and "cauchy" in err


def test_negative_catchment(tiny, capsys):
    tiny.sections["access"]["catchment_minutes"] = -10
    err = run_failing(tiny, capsys)
    assert "access.catchment_minutes" in err and "positive" in err


def test_unknown_method(tiny, capsys):
    tiny.sections["access"]["method"] = "4sfca"
    err = run_failing(tiny, capsys)
    assert "access.method" in err and "4sfca" in err and "e2sfca" in err


def test_unreadable_toml(tiny, capsys):
    tiny.write()
    tiny.toml.write_text("[areas]\npath = = 'areas.gpkg'\nid = 'x'\n", encoding="utf-8")
    code = main(["access", str(tiny.toml), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "scenario.toml" in err and "not valid TOML" in err and "line 2" in err
    assert not tiny.out.exists()


def test_unknown_toml_keys_all_reported(tiny, capsys):
    tiny.sections["access"]["catchment_min"] = 30
    tiny.sections["areas"]["populaton"] = "Pop"
    tiny.sections["routing"] = {"engine": "r5"}
    err = run_failing(tiny, capsys)
    assert "access.catchment_min" in err and "areas.populaton" in err and "[routing]" in err
    assert "3 problems" in err


def test_wrong_value_type(tiny, capsys):
    tiny.sections["access"]["catchment_minutes"] = "thirty"
    err = run_failing(tiny, capsys)
    assert "access.catchment_minutes" in err and "must be a number" in err


def test_two_network_sources(tiny, capsys):
    tiny.sections["network"]["path"] = "roads.graphml"
    err = run_failing(tiny, capsys)
    assert "exactly one network source" in err and "straight_line" in err


def test_output_folder_not_ours_is_refused(tiny, capsys):
    tiny.out.mkdir()
    (tiny.out / "thesis.docx").write_text("precious")
    code = main(["access", str(tiny.write()), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "not an accessplan output" in err
    assert (tiny.out / "thesis.docx").read_text() == "precious"


def test_rerun_replaces_previous_output(tiny, capsys):
    toml = tiny.write()
    assert main(["access", str(toml), "--quiet"]) == 0
    (tiny.out / "stale.txt").write_text("old")
    assert main(["access", str(toml), "--quiet"]) == 0
    assert not (tiny.out / "stale.txt").exists() and (tiny.out / "summary.json").exists()


def test_failed_run_keeps_previous_output(tiny, capsys):
    toml = tiny.write()
    assert main(["access", str(toml), "--quiet"]) == 0
    before = (tiny.out / "summary.json").read_text()
    _rewrite_areas(tiny, Pop=(1, -5.0))
    assert main(["access", str(toml), "--quiet"]) == 2
    assert (tiny.out / "summary.json").read_text() == before


@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("EPSG:4326", "a geographic CRS with axes in degree"),
        ("EPSG:3435", "a projected CRS with axes in US survey foot"),
        ("EPSG:2278", "a projected CRS with axes in US survey foot"),
        ("+proj=tmerc +lat_0=0 +lon_0=3 +k=0.9996 +x_0=500000 +units=us-ft", "US survey foot"),
    ],
)
def test_project_crs_not_in_metres_rejected(tiny, capsys, crs, expected):
    """An explicit [project] crs must be projected in metres; the message names CRS and unit."""
    tiny.sections["project"] = {"crs": crs}
    err = run_failing(tiny, capsys)
    assert "column 'project.crs'" in err and expected in err and "metres" in err


def test_csv_layer_with_coordinates(tiny, capsys):
    """A CSV of hospitals with x/y columns is read like a vector layer (and wrong ones named)."""
    pd.DataFrame(
        {
            "Hospital": ["H1", "H2"],
            "Total Bed": [50, 20],
            "E": [tiny.x0 + 500, tiny.x0 + 2500],
            "N": [tiny.y0 + 500, tiny.y0 + 2500],
        }
    ).to_csv(tiny.folder / "h.csv", index=False)
    tiny.sections["facilities"] = {
        "path": "h.csv",
        "id": "Hospital",
        "capacity": "Total Bed",
        "x": "E",
        "y": "Nord",
        "crs": tiny.crs,
    }
    err = run_failing(tiny, capsys)
    assert "h.csv" in err and "column 'Nord'" in err
    tiny.sections["facilities"]["y"] = "N"
    assert main(["access", str(tiny.write()), "--quiet"]) == 0
