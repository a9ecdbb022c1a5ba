"""The report on the demo region, for every objective: numbers survive from the step that
made them (summary.json, new_sites.csv, districts) to the page that shows them.

Each objective runs the real pipeline on the bundled demo (556 areas, 11 hospitals, 40
candidates, the road network) and writes the report without maps (the maps have their own
browser tests); the whole plan with maps runs once, in test_demo_command.py.
"""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from importlib.resources import as_file

import pandas as pd
import pytest

from accessplan.data.demo import demo_path
from accessplan.maps.report import write_report
from accessplan.planner.plan import run_plan
from accessplan.planner.scenario import load_scenario
from accessplan.planner.writers import write_plan_files
from accessplan.spatial.districts import district_table

OBJECTIVES = {
    "coverage": {},
    "capacitated_coverage": {"people_per_unit": 2000.0},
    "min_cost_cover": {"target_share": 0.99, "budget": None},
    "p_median": {"max_new_sites": 3},
    "max_min_access": {},
    "min_access_deviation": {},
}


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self.words: list[str] = []
        self._open: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.attrs[attrs["id"]] = attrs
            self.text[attrs["id"]] = ""
        if tag not in {"br", "img", "meta", "hr", "col", "link", "input"}:
            self._open.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        tags = [t for t, _ in self._open]
        if "style" in tags or "title" in tags or "pre" in tags:
            return
        for _, ident in self._open:
            if ident:
                self.text[ident] += data
        self.words.append(data)


@pytest.fixture(scope="module")
def demo_scenario():
    with as_file(demo_path("scenario.toml")) as path:  # the installed demo region
        yield load_scenario(path)


@pytest.fixture(scope="module", params=sorted(OBJECTIVES))
def demo_report(request, demo_scenario, tmp_path_factory):
    objective = request.param
    location = dataclasses.replace(
        demo_scenario.location, objective=objective, **OBJECTIVES[objective]
    )
    scenario = dataclasses.replace(demo_scenario, location=location, currency="EUR")
    run = run_plan(scenario, progress=False)
    folder = tmp_path_factory.mktemp(objective)
    summary = write_plan_files(run, folder)
    areas = run.areas_frame()
    districts = district_table(
        areas["access_before"],
        areas["access_after"],
        areas["population"],
        areas["group"],
        demand=areas["need"],
    )
    path = write_report(
        folder / "report.html",
        areas=areas,
        sites=run.sites_after_frame(),
        new_sites=run.new_sites_frame(),
        comparison=run.comparison,
        summary=summary,
        scenario=scenario.resolved(),
        figures={},
        districts=districts,
    )
    page = _Ids()
    page.feed(path.read_text(encoding="utf-8"))
    return objective, summary, folder, districts, page


def test_cost_budget_and_verdict_reach_the_report(demo_report):
    objective, summary, folder, _, page = demo_report
    plan = summary["plan"]
    new = pd.read_csv(folder / "new_sites.csv")
    assert plan["objective"] == objective
    # the plan's cost is its sites' costs, on the page as in summary.json
    assert plan["cost"] == pytest.approx(new["cost"].sum() if len(new) else 0.0)
    assert float(page.attrs["cost"]["data-value"]) == pytest.approx(plan["cost"])
    assert plan["site_cost"] + plan["unit_cost"] == pytest.approx(plan["cost"])
    assert page.text["budget-verdict"].strip() == plan["verdict"]
    if plan["budget"] is None:
        assert plan["verdict"] == "no budget set"
    else:
        assert plan["budget"] == 150e6
        assert (plan["cost"] <= plan["budget"] + 1e-6) == (plan["verdict"] == "within budget")
        assert float(page.attrs["budget"]["data-value"]) == plan["budget"]


def test_the_demand_is_named_for_what_it_is(demo_report):
    _, summary, _, _, page = demo_report
    assert summary["demand"] == {"column": "pop_65plus", "label": "people aged 65+"}
    words = re.sub(r"\s+", " ", " ".join(page.words))
    assert "people aged 65+" in words
    # "people" alone never stands for the demand weight
    assert not re.search(r"\d people (?!aged)", words)
    newly = summary["plan"]["newly_covered"]
    if newly > 0:
        assert f"{newly:,.0f} people aged 65+" in words


def test_the_methods_section_says_how_access_was_measured(demo_report):
    _, summary, _, _, page = demo_report
    methods = re.sub(r"\s+", " ", page.text["methods"])
    assert "E2SFCA" in methods and "60 min" in methods
    assert "weight 1 up to 20 min, 0.68 up to 40 min, 0.22 up to 60 min" in methods
    assert "beds per 1,000 people aged 65+" in methods
    assert summary["run"]["version"] in methods
    assert "roads.graphml.gz" in methods and "region.gpkg" in methods


def test_the_district_table_shows_the_district_numbers(demo_report):
    _, summary, _, districts, page = demo_report
    scale = summary["access"]["scale"]
    assert scale == 1000.0
    assert list(districts.index[:-1]) == ["city", "rural", "town"]
    total = districts.iloc[-1]
    # the total row is the region's population-weighted mean, as in the key figures
    assert total["access_before"] == pytest.approx(summary["inequity"]["mean"])
    assert total["access_after"] == pytest.approx(summary["inequity_after"]["mean"])
    cells = {
        ident: float(a["data-value"])
        for ident, a in page.attrs.items()
        if ident.startswith(("district-", "districts-total"))
        and a.get("data-value") not in (None, "")
    }
    shown = sorted(v for k, v in cells.items() if k.endswith("-access_after"))
    assert shown == pytest.approx(sorted(districts["access_after"] * scale))
