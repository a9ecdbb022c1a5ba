"""One consistent story from scenario to outputs: labels, plan facts, credits, layers.

The tiny region (conftest): nine 1 km cells, hospitals H1 in cell (0, 0) and
H2 in cell (2, 2), straight-line travel at 30 km/h (2 minutes per km). With a
2.5-minute catchment, H1 reaches cells (0,0), (1,0), (0,1) and H2 reaches
(2,2), (1,2), (2,1); candidate C1 sits in cell (2,0) (population 700) and C2
in cell (0,2) (population 300); the middle cell (1,1) is 2.83 minutes from
every site. So a plan opening C1 and C2 newly covers exactly 700 + 300 people.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from accessplan.planner import labels
from accessplan.planner.cli import main
from accessplan.planner.facts import newly_covered
from accessplan.planner.scenario import load_scenario


def _plan_sections(tiny, **location):
    tiny.save_candidates()
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.5}
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0, **location}


def _summary(tiny) -> dict:
    return json.loads((tiny.out / "summary.json").read_text())


# ---------------------------------------------------------------------------
# labels


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("pop_65plus", "people aged 65+"),
        ("OverFifty", "people aged 50+"),
        ("Over65", "people aged 65+"),
        ("age_75_plus", "people aged 75+"),
        ("Pop 65+", "people aged 65+"),
        ("POP85UP", "people aged 85+"),
        ("Under_18", "people under 18"),
        ("income", "demand weight (income)"),
    ],
)
def test_demand_label_reads_the_need_column(tiny, column, label):
    tiny.sections["areas"]["need"] = column
    scenario = load_scenario(tiny.write())
    assert labels.demand_label(scenario) == label


def test_need_label_wins_and_population_is_people(tiny):
    assert labels.demand_label(load_scenario(tiny.write())) == "people"
    tiny.sections["areas"]["need"] = "Over65"
    tiny.sections["areas"]["need_label"] = "residents over 65"
    assert labels.demand_label(load_scenario(tiny.write())) == "residents over 65"


def test_a_2sfca_with_a_decay_is_named_generalised_not_e2sfca():
    step = {"type": "step", "steps": {"10": 1.0, "20": 0.5}}
    assert labels.method_label("2sfca", step).startswith("generalised 2SFCA")
    assert "E2SFCA" not in labels.method_label("2sfca", step)
    assert labels.method_label("2sfca", {"type": "uniform", "catchment_minutes": 30}).startswith(
        "2SFCA"
    )
    assert labels.method_label("e2sfca", step).startswith("E2SFCA")
    assert labels.decay_label(step) == "weight 1 up to 10 min, 0.5 up to 20 min, 0 beyond"


def test_access_per_lifts_the_mean_to_whole_numbers(tiny):
    scenario = load_scenario(tiny.write())
    assert labels.access_per(scenario, 0.0312) == 1000.0  # 31.2 per 1,000
    assert labels.access_per(scenario, 2.5) == 1.0
    assert labels.access_per(scenario, 0.00005) == 1e5
    tiny.sections["maps"] = {"access_per": 100}
    assert labels.access_per(load_scenario(tiny.write()), 0.0312) == 100.0
    tiny.sections["areas"]["need"] = "Over65"
    tiny.sections["facilities"]["capacity_label"] = "beds"
    assert labels.units_label(load_scenario(tiny.write()), 1000.0) == (
        "beds per 1,000 people aged 65+"
    )


def test_scenario_json_records_the_default_decay_of_the_method(tiny):
    """E2SFCA without a decay uses Luo & Qi's steps on the thirds of the catchment."""
    tiny.sections["access"] = {"method": "e2sfca", "catchment_minutes": 30}
    assert main(["access", str(tiny.write()), "-q"]) == 0
    access = json.loads((tiny.out / "scenario.json").read_text())["access"]
    assert access["decay"] == {"type": "step", "steps": {"10": 1.0, "20": 0.68, "30": 0.22}}
    assert access["decay_from"] == "method default"
    summary = _summary(tiny)["access"]
    assert summary["method_label"].startswith("E2SFCA")
    assert (
        summary["decay_label"]
        == "weight 1 up to 10 min, 0.68 up to 20 min, 0.22 up to 30 min, 0 beyond"
    )


# ---------------------------------------------------------------------------
# plan facts


def test_newly_covered_by_brute_force():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "c", "c", "d"],
            "site_id": ["H", "N", "N", "N", "M", "H"],
            "minutes": [5.0, 5.0, 9.0, 12.0, 3.0, 30.0],
        }
    )
    need = pd.Series({"a": 1.0, "b": 2.0, "c": 4.0, "d": 8.0, "e": 16.0})
    got = newly_covered(od, need, existing_ids=["H"], new_ids=["N", "M"], catchment_minutes=10)
    # a: already covered by H; b: N at 9; c: M at 3; d: H beyond 10 and no new site; e: no row
    assert got.to_dict() == {"a": False, "b": True, "c": True, "d": False, "e": False}
    assert float(need[got].sum()) == 6.0


def test_plan_facts_count_what_they_say(tiny):
    _plan_sections(tiny)
    assert main(["locate", str(tiny.write()), "-q"]) == 0
    plan = _summary(tiny)["plan"]
    new = pd.read_csv(tiny.out / "new_sites.csv")
    assert sorted(new["site_id"]) == ["C1", "C2"]
    # units = min_units 5 each; cost = site cost + 10 per unit
    assert plan["cost"] == pytest.approx(100 + 50 + 120 + 50)
    assert plan["site_cost"] == pytest.approx(220.0)
    assert plan["unit_cost"] == pytest.approx(100.0)
    assert plan["budget"] == 1000.0 and plan["verdict"] == "within budget"
    assert plan["newly_covered"] == 1000.0 and plan["newly_covered_areas"] == 2
    assert plan["cost_per_person_newly_covered"] == pytest.approx(320.0 / 1000.0)
    assert plan["units_added"] == 10.0 and plan["site_only"] == []
    assert plan["unit_label"] == "Total Bed"
    demand = _summary(tiny)["demand"]
    assert demand == {"column": None, "label": "people"}


def test_site_only_sites_are_flagged_and_warned(tiny, capsys):
    _plan_sections(tiny)
    tiny.save_candidates(min_units=[0, 0])
    assert main(["locate", str(tiny.write()), "-q"]) == 0
    err = capsys.readouterr().err
    assert "opened with no capacity (0 units)" in err
    plan = _summary(tiny)["plan"]
    assert sorted(plan["site_only"]) == ["C1", "C2"]
    quality = json.loads((tiny.out / "quality.json").read_text())["items"]
    assert next(i for i in quality if i["check"] == "site_only")["count"] == 2
    assert _summary(tiny)["quality"]["site_only"] == 2


def test_ventilators_bought_by_the_plan_count_as_in_place(tiny):
    """Capacity column = ventilators: a new site starts with the units it was bought with."""
    _plan_sections(tiny)
    tiny.sections["facilities"]["capacity"] = "Total Vent"
    tiny.sections["ventilators"] = {"patients_per_100k_day": 800.0, "mean_stay_days": 5}
    assert main(["size", str(tiny.write()), "-q"]) == 0
    vents = pd.read_csv(tiny.out / "ventilators.csv", dtype={"site_id": str}).set_index("site_id")
    assert vents.loc["C1", "current"] == 5 and vents.loc["C2", "current"] == 5
    assert vents.loc["H1", "current"] == 5 and vents.loc["H2", "current"] == 2
    expected = (vents["ventilators_needed"] - vents["current"]).clip(lower=0)
    assert (vents["shortfall"] == expected).all()
    assert _summary(tiny)["ventilators"]["credited_units"] == 10.0


def test_bed_units_are_not_counted_as_ventilators(tiny):
    _plan_sections(tiny)
    tiny.sections["ventilators"] = {"patients_per_100k_day": 800.0, "mean_stay_days": 5}
    assert main(["size", str(tiny.write()), "-q"]) == 0
    vents = pd.read_csv(tiny.out / "ventilators.csv", dtype={"site_id": str}).set_index("site_id")
    assert vents.loc["C1", "current"] == 0 and vents.loc["H1", "current"] == 5
    assert _summary(tiny)["ventilators"]["credited_units"] == 0.0


# ---------------------------------------------------------------------------
# layers


def test_layers_keep_the_original_attributes_and_the_candidates(tiny):
    _plan_sections(tiny)
    assert main(["locate", str(tiny.write()), "-q"]) == 0
    gpkg = tiny.out / "plan.gpkg"
    areas = gpd.read_file(gpkg, layer="areas")
    # the user's columns come back, joined by id
    assert areas.set_index("area_id")["Pop"].to_dict() == {
        f"T{k}": 100.0 * (k + 1) for k in range(9)
    }
    assert (areas["Over65"] == areas["Pop"] / 10).all()
    sites = gpd.read_file(gpkg, layer="sites_after").set_index("site_id")
    assert sites.loc["H1", "Total Vent"] == 5.0 and pd.isna(sites.loc["C1", "Total Vent"])
    candidates = gpd.read_file(gpkg, layer="candidates").set_index("site_id")
    assert sorted(candidates.index) == ["C1", "C2"] and candidates["chosen"].all()
    assert (tiny.out / "candidates.csv").is_file()


def test_generated_candidates_are_written_as_a_layer(tiny):
    tiny.sections["access"] = {"method": "2sfca", "catchment_minutes": 2.5}
    tiny.sections["candidates"] = {
        "generate": {"n": 3, "site_cost": 100.0, "unit_cost": 10.0, "max_units": 20}
    }
    tiny.sections["location"] = {"objective": "coverage", "budget": 1000.0}
    assert main(["locate", str(tiny.write()), "-q"]) == 0
    candidates = gpd.read_file(tiny.out / "plan.gpkg", layer="candidates")
    assert len(candidates) == 3 and candidates["site_cost"].eq(100.0).all()
    chosen = set(candidates.loc[candidates["chosen"], "site_id"])
    assert chosen == set(pd.read_csv(tiny.out / "new_sites.csv")["site_id"])


# ---------------------------------------------------------------------------
# empty plans say why, through to the report


@pytest.mark.parametrize(
    ("access", "location", "code", "words"),
    [
        # a 10-minute catchment reaches every cell from H1 or H2
        ({"catchment_minutes": 10}, {}, "all_covered", "already within"),
        # C1 costs 100 + 5 x 10 = 150 and C2 170: a budget of 100 affords neither
        ({"catchment_minutes": 2.5}, {"budget": 100.0}, "nothing_affordable", "150"),
    ],
)
def test_an_empty_plan_says_why(tiny, access, location, code, words):
    _plan_sections(tiny, **location)
    tiny.sections["access"] = {"method": "2sfca", **access}
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    plan = _summary(tiny)["plan"]
    assert plan["new_sites"] == 0 and plan["cost"] == 0.0
    assert plan["explanation"]["code"] == code
    assert words in plan["explanation"]["text"]
    report = (tiny.out / "report.html").read_text(encoding="utf-8")
    assert f'data-code="{code}"' in report


def test_tiles_and_their_attribution_only_when_the_scenario_asks(tiny):
    _plan_sections(tiny)
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    page = (tiny.out / "maps" / "layers.html").read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" not in page and "OpenStreetMap" not in page
    tiny.sections["maps"] = {"tiles": "OpenStreetMap"}
    assert main(["plan", str(tiny.write()), "-q"]) == 0
    page = (tiny.out / "maps" / "layers.html").read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" in page and "OpenStreetMap" in page
    assert json.loads((tiny.out / "scenario.json").read_text())["maps"]["tiles"] == (
        "OpenStreetMap"
    )
