"""The report a board reads: cost/budget/verdict for every objective, the demand label,
why nothing opened, ties, site-only sites, the district table, methods, pp and print CSS."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from accessplan.maps.report import REPORT_CSS, report_page, write_report
from accessplan.maps.report_format import format_money, format_value
from accessplan.spatial.districts import TOTAL_LABEL, district_table
from accessplan.spatial.inequity import compare_inequity

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Page(HTMLParser):
    """Attributes and text content of every element with an id; all visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self.body: list[str] = []
        self._stack: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ident = attrs.get("id")
        if ident is not None:
            assert ident not in self.attrs, f"duplicate id {ident}"
            self.attrs[ident] = attrs
            self.text[ident] = ""
        if tag not in _VOID:
            self._stack.append((tag, ident))

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag == tag:
                break

    def handle_data(self, data):
        tags = [t for t, _ in self._stack]
        if "style" in tags or "title" in tags:
            return
        for _, ident in self._stack:
            if ident is not None:
                self.text[ident] += data
        if "pre" not in tags:  # the scenario appendix is the user's file, not our words
            self.body.append(data)

    def value(self, ident) -> float:
        return float(self.attrs[ident]["data-value"])

    def words(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.body))


def _read(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


POP = np.array([100.0, 300.0, 200.0, 50.0, 150.0, 50.0])
BEFORE = np.array([0.0, 0.004, 0.001, 0.0, 0.0, 0.002])
AFTER = np.array([0.002, 0.004, 0.001, 0.0, 0.0, 0.003])
GROUPS = ["North", "North", "South & Co", "South & Co", "East", "East"]
OVER50 = np.array([40.0, 90.0, 70.0, 20.0, 60.0, 25.0])

OBJECTIVES = {
    # objective: (label, cost, site cost, unit cost, budget, verdict)
    "coverage": (
        "maximise people aged 50+ within 60 min",
        91.22e6,
        60e6,
        31.22e6,
        150e6,
        "within budget",
    ),
    "capacitated_coverage": (
        "serve the most people aged 50+ with capacity",
        120e6,
        80e6,
        40e6,
        100e6,
        "over budget",
    ),
    "min_cost_cover": (
        "cover 95% of people aged 50+ at least cost",
        43.5e6,
        43.5e6,
        0.0,
        None,
        "no budget set",
    ),
    "p_median": ("minimise mean travel time with 3 sites", 75e6, 75e6, 0.0, 80e6, "within budget"),
    "max_min_access": ("raise the lowest access", 12.5e6, 10e6, 2.5e6, 20e6, "within budget"),
    "min_access_deviation": (
        "make access as even as possible",
        33e6,
        30e6,
        3e6,
        30e6,
        "over budget",
    ),
}


def _summary(objective="coverage", **plan_changes):
    label, cost, site_cost, unit_cost, budget, verdict = OBJECTIVES[objective]
    plan = {
        "objective": objective,
        "objective_label": label,
        "cost": cost,
        "site_cost": site_cost,
        "unit_cost": unit_cost,
        "budget": budget,
        "currency": "EUR",
        "verdict": verdict,
        "new_sites": 2,
        "units_added": 60.0,
        "unit_label": "beds",
        "site_only": [],
        "newly_covered": 15532.0,
        "cost_per_person_newly_covered": cost / 15532.0,
        "explanation": None,
        "uniqueness": {"unique": True, "text": ""},
    }
    plan.update(plan_changes)
    return {
        "scenario": "Test county",
        "run": {"version": "0.7.1", "started_utc": "2026-12-02T06:05:00Z", "command": "plan"},
        "demand": {"column": "OverFifty", "label": "people aged 50+"},
        "access": {
            "method": "e2sfca",
            "method_label": "E2SFCA (enhanced two-step floating catchment)",
            "catchment_minutes": 60,
            "decay": {"type": "step", "steps": {"20": 1.0, "40": 0.68, "60": 0.22}},
            "decay_label": "step weights 1.00 to 20 min, 0.68 to 40 min, 0.22 to 60 min",
            "units": "beds per 1,000 people aged 50+",
            "scale": 1000,
        },
        "travel_times": {
            "method": "network",
            "model_label": "road network (GraphML), osmnx speeds, 5 km/h access leg",
        },
        "plan": plan,
        "ventilators": {"credited_units": 240.0},
        "location": {
            "solver": {
                "solver": "cbc",
                "status": "optimal",
                "objective": 1.0,
                "proven_optimal": True,
            },
            "totals": {
                "covered_before": 280.0,
                "covered_after": 305.0,
                "share_before": 280 / 305,
                "share_after": 1.0,
            },
        },
    }


SCENARIO = {
    "scenario_file": "/home/planner/county/scenario.toml",
    "areas": {"path": "/home/planner/county/tracts.gpkg", "id": "GEOID", "need": "OverFifty"},
    "facilities": {"path": "/home/planner/county/hospitals.shp", "id": "Hospital"},
    "candidates": {"path": "/home/planner/county/sites.csv", "id": "site"},
    "network": {
        "source": "graphml",
        "path": "/home/planner/county/roads.graphml",
        "access_speed_kph": 5.0,
    },
    "ventilators": {"patients_per_100k_day": 0.8, "mean_stay_days": 9.0, "target_wait_hours": 7.0},
}


def _new_sites():
    return pd.DataFrame(
        {
            "site_id": ["C7", "C9"],
            "units": [60, 0],
            "cost": [49.3e6, 21.98e6],
            "newly_covered": [7719.0, 6099.0],
            "marginal_gain": [2611.0, 1164.0],
        }
    )


def _write(tmp_path, summary, *, new_sites=None, districts=None, name="r.html"):
    comparison = compare_inequity(BEFORE, AFTER, POP)
    return write_report(
        tmp_path / name,
        areas=None,
        sites=None,
        new_sites=_new_sites() if new_sites is None else new_sites,
        comparison=comparison,
        summary=summary,
        scenario=SCENARIO,
        figures={},
        districts=districts,
    )


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_cost_budget_verdict_for_every_objective(tmp_path, objective):
    label, cost, site_cost, unit_cost, budget, verdict = OBJECTIVES[objective]
    page = _read(_write(tmp_path, _summary(objective)))
    assert page.attrs["plan-objective"]["data-value"] == objective
    assert page.text["plan-objective"] == label
    assert page.value("cost") == cost
    assert page.text["cost"] == f"{cost:,.0f}"
    assert page.value("site-cost") == site_cost
    assert page.value("unit-cost") == unit_cost
    if budget is None:
        assert page.attrs["budget"]["data-value"] == ""
        assert page.text["budget"] == "no budget set"
    else:
        assert page.value("budget") == budget
    assert page.attrs["budget-verdict"]["data-value"] == verdict
    assert page.text["budget-verdict"] == {"over budget": "OVER budget"}.get(verdict, verdict)
    assert page.value("cost-per-person") == pytest.approx(cost / 15532.0)
    assert page.value("newly-covered") == 15532.0
    assert "cost of the plan (EUR)" in page.words()
    # the sentence at the top says the same, with the currency
    assert f"at a cost of {format_money(cost, 'EUR', short=True)}" in page.text["headline"]
    assert page.value("headline-cost") == cost
    assert page.text["headline-cost"] == format_money(cost, "EUR", short=True)
    assert page.value("headline-new-sites") == 2
    assert page.value("headline-units") == 60
    if budget is not None:
        assert page.value("headline-budget") == budget
        word = "within" if verdict == "within budget" else "over"
        assert f"{word} the budget of EUR" in page.text["headline"]


def test_verdict_and_cost_per_person_derived_when_not_recorded(tmp_path):
    summary = _summary("p_median", verdict=None, cost_per_person_newly_covered=None)
    del summary["plan"]["cost_per_person_newly_covered"]
    summary["plan"]["cost"], summary["plan"]["budget"] = 81e6, 80e6
    page = _read(_write(tmp_path, summary))
    assert page.attrs["budget-verdict"]["data-value"] == "over budget"
    assert page.value("cost-per-person") == pytest.approx(81e6 / 15532.0)


def test_demand_is_named_for_what_it_is(tmp_path):
    page = _read(_write(tmp_path, _summary()))
    words = page.words()
    # every "people" of our own text is the demand label or the label inside the units
    assert not re.search(r"\bpeople\b(?! aged 50\+)", words), re.findall(
        r".{40}\bpeople\b(?! aged 50\+).{20}", words
    )
    assert "brings 7,719 people aged 50+ within reach of a site for the first time" in words
    assert "brings 6,099 people aged 50+ within reach" in words
    assert page.value("headline-newly-covered") == 15532.0
    assert "It brings 15,532 people aged 50+ within reach of a site for the first time" in words
    assert "People aged 50+ within 60 min of a site" in words
    assert "people aged 50+ newly within reach" in words
    # population stays population
    assert "Population with zero access" in words


def test_access_numbers_shown_in_the_units_of_the_summary(tmp_path):
    page = _read(_write(tmp_path, _summary()))
    cmp = compare_inequity(BEFORE, AFTER, POP)
    assert page.value("mean-access-before") == pytest.approx(1000 * cmp.loc["mean", "before"])
    assert page.value("mean-access-after") == pytest.approx(1000 * cmp.loc["mean", "after"])
    # 1000 * (0 + 1.2 + 0.2 + 0 + 0 + 0.1) / 850 = 1.76..., 1000 * (0.2 + 1.2 + 0.2 + 0.15) / 850
    assert page.value("mean-access-before") == pytest.approx(1500 / 850)
    assert page.value("mean-access-after") == pytest.approx(1750 / 850)
    assert page.text["mean-access-before"] == "1.76"
    assert page.text["mean-access-change"] == "+0.29"
    assert "Mean access, population-weighted (beds per 1,000 people aged 50+)" in page.words()


def test_percentage_points(tmp_path):
    assert format_value(-0.06, "pp") == "\u22126.0 pp"
    assert format_value(0.125, "pp") == "+12.5 pp"
    assert format_value(-0.0004, "pp") == "0.0 pp"
    assert format_value(None, "pp") == "–"
    page = _read(_write(tmp_path, _summary()))
    # coverage share 280/305 -> 1: +8.2 pp
    assert page.text["coverage-share-change"] == "+8.2 pp"
    assert page.value("coverage-share-change") == pytest.approx(1 - 280 / 305)
    assert page.text["coverage-share-before"] == "91.8%"
    # zero access: areas 0, 3, 4 (300 of 850) before; 3, 4 (200 of 850) after
    assert page.value("zero-share-before") == pytest.approx(300 / 850)
    assert page.text["zero-share-change"] == "\u221211.8 pp"
    assert page.text["headline-zero-share-change"] == "\u221211.8 pp"


def test_district_table_matches_district_table(tmp_path):
    table = district_table(BEFORE, AFTER, POP, GROUPS, demand=OVER50)
    page = _read(_write(tmp_path, _summary(), districts=table))
    assert "Access by district" in page.words()
    assert "district-North-population" in page.attrs
    for name, row in table.iterrows():
        if name == TOTAL_LABEL:
            prefix = "districts-total"
        else:
            keys = [
                k for k in page.attrs if k.endswith("-population") and k.startswith("district-")
            ]
            prefix = next(
                k[: -len("-population")]
                for k in keys
                if page.attrs[k].get("data-value") == repr(float(row["population"]))
            )
        for col, factor in (
            ("population", 1),
            ("demand", 1),
            ("access_before", 1000),
            ("access_after", 1000),
            ("access_change", 1000),
            ("zero_share_before", 1),
            ("zero_share_after", 1),
            ("zero_share_change", 1),
        ):
            assert page.value(f"{prefix}-{col}") == pytest.approx(row[col] * factor), (name, col)
    # hand-worked: North before (0*100 + 4*300)/400 = 3.0 per 1,000, after 3.5; zero 25% -> 0%
    assert page.value("district-North-access_before") == pytest.approx(3.0)
    assert page.value("district-North-access_after") == pytest.approx(3.5)
    assert page.text["district-North-zero_share_change"] == "\u221225.0 pp"
    assert page.text["district-North-access_change"] == "+0.50"
    assert page.value("districts-total-population") == 850
    assert page.value("districts-total-demand") == 305
    raw = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "South &amp; Co" in raw and "South & Co" not in raw  # user labels escaped
    assert 'class="total"' in raw


def test_no_district_section_without_districts(tmp_path):
    page = _read(_write(tmp_path, _summary()))
    assert "districts" not in page.attrs
    assert "Access by district" not in page.words()


def test_methods_and_assumptions(tmp_path):
    page = _read(_write(tmp_path, _summary()))
    text = page.text
    assert "Methods and assumptions" in page.words()
    assert text["method-access"] == "E2SFCA (enhanced two-step floating catchment)"
    assert "within 60 minutes" in text["method-catchment"]
    assert text["method-decay"] == "step weights 1.00 to 20 min, 0.68 to 40 min, 0.22 to 60 min"
    assert text["method-units"].startswith("beds per 1,000 people aged 50+")
    assert "multiplied by 1,000" in text["method-units"]
    assert text["method-travel"] == "road network (GraphML), osmnx speeds, 5 km/h access leg"
    assert "5 km/h between a point and the nearest road" in text["method-speeds"]
    assert "people aged 50+ (column OverFifty" in text["method-demand"]
    sources = text["method-sources"]
    for name in ("tracts.gpkg", "hospitals.shp", "sites.csv", "roads.graphml"):
        assert name in sources
    assert "/home/planner" not in sources  # file names, not the planner's folders
    assert text["method-currency"] == "EUR"
    vent = text["method-ventilators"]
    assert "0.8 patients" in vent and "9 days" in vent and "7 hours" in vent
    assert "240 units bought by the plan" in vent
    assert "accessplan 0.7.1" in text["method-software"]
    assert "run started 2026-12-02 06:05:00 UTC" in text["method-software"]
    assert (
        text["subtitle"]
        == "Access plan report \u00b7 run 2026-12-02 06:05 UTC \u00b7 accessplan 0.7.1"
    )


def test_method_decay_fallback_says_none():
    from accessplan.maps.report_sections import methods_section

    html = methods_section({"access": {"method": "2sfca", "catchment_minutes": 30}}, {})
    assert "none: every site within the catchment counts in full" in html
    assert "accessplan (version not recorded)" in html


def test_empty_plan_says_why(tmp_path):
    text = "Every person aged 50+ is already within 60 min of a hospital."
    summary = _summary(
        new_sites=0,
        units_added=0.0,
        cost=0.0,
        site_cost=0.0,
        unit_cost=0.0,
        newly_covered=0.0,
        cost_per_person_newly_covered=None,
        explanation={"code": "all_covered", "text": text},
    )
    empty = _new_sites().iloc[0:0]
    page = _read(_write(tmp_path, summary, new_sites=empty))
    assert page.attrs["plan-explanation"]["data-code"] == "all_covered"
    assert text in page.text["plan-explanation"]
    assert "Why the plan opens nothing" in page.text["plan-explanation"]
    assert text in page.text["chosen"] and "No new site was chosen" in page.text["chosen"]
    assert page.attrs["cost-per-person"]["data-value"] == ""
    assert "opens 0" not in page.words()

    del summary["plan"]["explanation"]
    page = _read(_write(tmp_path, summary, new_sites=empty, name="r2.html"))
    assert "did not record why" in page.text["plan-explanation"]


def test_non_unique_optimum_flagged(tmp_path):
    summary = _summary(
        uniqueness={
            "unique": False,
            "text": "Every plan has objective 0; the lowest-cost sites were taken.",
        }
    )
    page = _read(_write(tmp_path, summary))
    assert page.attrs["plan-uniqueness"]["data-value"] == "false"
    notice = page.text["plan-uniqueness"]
    assert "Not the only answer" in notice and "tie-break" in notice
    assert "Every plan has objective 0" in notice

    page = _read(_write(tmp_path, _summary(), name="r2.html"))
    assert page.attrs["plan-uniqueness"]["data-value"] == "true"
    summary = _summary(uniqueness={"unique": None, "text": ""})
    page = _read(_write(tmp_path, summary, name="r3.html"))
    assert "plan-uniqueness" not in page.attrs


def test_site_only_sites_flagged(tmp_path):
    page = _read(_write(tmp_path, _summary(site_only=["C9"])))
    assert page.text["site-C9-site-only"] == "site only, no capacity"
    assert "site-C7-site-only" not in page.attrs
    assert "1 of them is opened as a site only, with no capacity" in page.text["headline"]
    # a 0-unit site is flagged even when the summary does not list it
    page = _read(_write(tmp_path, _summary(site_only=None), name="r2.html"))
    assert "site-C9-site-only" in page.attrs


def test_old_summary_without_new_keys_still_renders(tmp_path):
    summary = {
        "scenario": "Old run",
        "location": {"totals": {"cost": 5e6, "budget": 4e6}},
    }
    page = _read(_write(tmp_path, summary))
    assert page.value("cost") == 5e6
    assert page.attrs["budget-verdict"]["data-value"] == "over budget"
    assert "brings 7,719 people within reach" in page.words()
    assert "accessplan (version not recorded)" in page.text["method-software"]
    assert page.text["subtitle"].startswith("Access plan report \u00b7 written ")


def test_page_shell_and_print_css():
    doc = report_page("Plan <b>&</b>", "<p id='x'>body</p>\n", subtitle="run <now>")
    assert doc.startswith("<!DOCTYPE html>")
    assert "<title>Plan &lt;b&gt;&amp;&lt;/b&gt;</title>" in doc
    assert "<h1>Plan &lt;b&gt;&amp;&lt;/b&gt;</h1>" in doc
    assert "run &lt;now&gt;" in doc
    assert "<p id='x'>body</p>" in doc
    assert REPORT_CSS in doc
    assert "size:A4" in REPORT_CSS
    print_rules = REPORT_CSS.split("@media print", 1)[1]
    assert re.search(r"table,tr,[^{]*\{[^}]*break-inside:avoid", print_rules)
    assert re.search(r"h1,h2,h3[^{]*\{[^}]*break-after:avoid", print_rules)
    assert "display:table-header-group" in print_rules
    assert "iframe{" in print_rules


def test_ventilators_say_what_the_plan_bought(tmp_path):
    vent = pd.DataFrame(
        {
            "site_id": ["H1", "C7"],
            "new_site": [False, True],
            "ventilators_needed": [10, 6],
            "current": [65, 240],
            "shortfall": [0, 0],
        }
    )
    out = write_report(
        tmp_path / "r.html",
        areas=None,
        sites=None,
        new_sites=_new_sites(),
        comparison=compare_inequity(BEFORE, AFTER, POP),
        summary=_summary(),
        scenario=SCENARIO,
        figures={},
        ventilators=vent,
    )
    page = _read(out)
    assert page.value("vent-credited") == 240.0
    assert "counts the 240 ventilators the plan buys" in page.words()
    assert page.value("vent-C7-current") == 240.0


def test_methods_name_layers_districts_and_no_ventilators_bought():
    from accessplan.maps.report_sections import methods_section

    scenario = {
        "areas": {"path": "/x/region.gpkg", "layer": "areas", "group": "settlement"},
        "ventilators": {"patients_per_100k_day": 0.8},
    }
    summary = _summary()
    summary["ventilators"]["credited_units"] = 0.0
    html = methods_section(summary, scenario)
    assert "areas: region.gpkg (layer areas)" in html
    assert "the values of column settlement of the areas" in html
    assert "the plan buys no ventilators, so its new sites start with none" in html
    assert "0 units bought" not in html


def test_unchecked_uniqueness_said_once(tmp_path):
    page = _read(_write(tmp_path, _summary(uniqueness={"unique": None, "text": "not checked"})))
    assert page.text["plan-uniqueness"] == "Whether other plans do equally well was not checked."


def test_overlapping_site_counts_are_said_with_the_plans_total(tmp_path):
    """7,719 + 6,099 = 13,818 in the rows; the plan's own total 10,424 is named as such."""
    page = _read(_write(tmp_path, _summary(newly_covered=10424.0)))
    assert page.value("chosen-newly-total") == 10424.0
    assert "the rows add up to 13,818" in page.text["chosen-overlap"]
    # rows that do not overlap get no note
    page = _read(_write(tmp_path, _summary(newly_covered=13818.0), name="r2.html"))
    assert "chosen-overlap" not in page.attrs
