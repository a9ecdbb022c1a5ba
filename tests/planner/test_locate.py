"""``accessplan locate`` end to end on the tiny scenario, checked by brute force."""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from accessplan.planner.cli import main

SPEED_KPH = 30.0
CATCHMENT = 2.0  # minutes: 1 km at 30 km/h


def _add_candidates(tiny, rows):
    frame = gpd.GeoDataFrame(
        {
            "cid": [r[0] for r in rows],
            "site_cost": [r[3] for r in rows],
            "unit_cost": [10.0] * len(rows),
            "max_units": [20] * len(rows),
            "min_units": [5] * len(rows),
        },
        geometry=[Point(tiny.x0 + r[1], tiny.y0 + r[2]) for r in rows],
        crs=tiny.crs,
    )
    frame.to_file(tiny.folder / "candidates.gpkg", engine="pyogrio")
    tiny.sections["candidates"] = {"path": "candidates.gpkg", "id": "cid"}
    return frame


def _covered(areas: gpd.GeoDataFrame, points) -> np.ndarray:
    origin = areas.representative_point()
    reach_m = SPEED_KPH / 3.6 * CATCHMENT * 60
    hit = np.zeros(len(areas), dtype=bool)
    for p in points:
        hit |= (origin.distance(p) <= reach_m + 1e-9).to_numpy()
    return hit


def test_locate_coverage_equals_brute_force(tiny, capsys):
    rows = [("C1", 2500, 500, 100.0), ("C2", 500, 2500, 120.0), ("C3", 1500, 1500, 90.0)]
    cands = _add_candidates(tiny, rows)
    tiny.sections["access"]["catchment_minutes"] = CATCHMENT
    tiny.sections["location"] = {"objective": "coverage", "budget": 260.0}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err

    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    pop = areas["Pop"].to_numpy()
    best = 0.0
    for k in range(len(rows) + 1):
        for combo in itertools.combinations(range(len(rows)), k):
            cost = sum(rows[i][3] + 10.0 * 5 for i in combo)
            if cost <= 260.0:
                points = list(hospitals.geometry) + [cands.geometry[i] for i in combo]
                best = max(best, pop[_covered(areas, points)].sum())

    summary = json.loads((tiny.out / "summary.json").read_text())
    loc = summary["location"]
    assert loc["solver"]["status"] == "optimal" and loc["solver"]["proven_optimal"]
    assert np.isclose(loc["solver"]["objective"], best)
    new = pd.read_csv(tiny.out / "new_sites.csv")
    assert new["cost"].sum() <= 260.0
    assert ((new["units"] >= 5) & (new["units"] <= 20)).all()
    chosen_points = [cands.set_index("cid").geometry[s] for s in new["site_id"]]
    points = list(hospitals.geometry) + chosen_points
    assert np.isclose(pop[_covered(areas, points)].sum(), best)

    # access after the plan: 2SFCA identity with the new capacities added
    plan = pd.read_csv(tiny.out / "areas_plan.csv")
    supply_after = 70.0 + new["units"].sum()
    assert plan["access_after"].notna().all()
    reached = (plan["population"] * plan["access_after"]).sum()
    assert reached <= supply_after + 1e-9
    before = pd.read_csv(tiny.out / "areas_plan.csv")["access_before"]
    assert (plan["access_after"] > 0).sum() >= (before > 0).sum()
    table = pd.read_csv(tiny.out / "inequity_before_after.csv", index_col=0)
    assert np.allclose(table["change"], table["after"] - table["before"])


def test_candidate_ids_clashing_with_facilities(tiny, capsys):
    _add_candidates(tiny, [("H1", 2500, 500, 100.0), ("C2", 500, 2500, 120.0)])
    tiny.sections["location"] = {"objective": "coverage", "budget": 500.0}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "candidates.gpkg" in err and "H1" in err and "unique" in err
    assert not tiny.out.exists()


def test_min_cost_cover_target_out_of_reach_names_the_cause(tiny, capsys):
    _add_candidates(tiny, [("C1", 2500, 500, 100.0)])
    tiny.sections["access"]["catchment_minutes"] = CATCHMENT
    tiny.sections["location"] = {"objective": "min_cost_cover", "target_share": 1.0}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "accessplan: error:" in err and "Traceback" not in err
    assert "%" in err or "share" in err
    assert not tiny.out.exists()


def test_location_needs_its_inputs(tiny, capsys):
    tiny.sections["location"] = {"objective": "p_median", "budget": -5}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "location.max_new_sites" in err and "location.budget" in err
    assert "[candidates]" in err


def test_generated_candidates_avoid_served_areas(tiny, capsys):
    """k-means candidates from the scenario: only areas beyond the exclusion time are clustered."""
    tiny.sections["access"]["catchment_minutes"] = CATCHMENT
    tiny.sections["candidates"] = {
        "generate": {
            "n": 2,
            "exclude_within_minutes": CATCHMENT,
            "site_cost": 100.0,
            "unit_cost": 1.0,
            "max_units": 10,
            "min_units": 1,
        }
    }
    tiny.sections["location"] = {"objective": "coverage", "max_new_sites": 2}
    assert main(["locate", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    served = _covered(areas, list(hospitals.geometry))
    new = gpd.read_file(tiny.out / "plan.gpkg", layer="new_sites")
    assert set(new["site_id"]) <= {"K01", "K02"} and len(new) >= 1
    unserved_hull = areas[~served].union_all().buffer(1.0)
    assert new.geometry.within(unserved_hull).all()
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["location"]["totals"]["share_after"] == 1.0
