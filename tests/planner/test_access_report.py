"""``accessplan access`` writes a report of access with the existing facilities only.

The tiny region (conftest): nine 1 km cells, cell (i, j) has population 100 (3i + j + 1);
hospitals H1 (50 beds) at the centre of cell (0, 0) and H2 (20 beds) at the centre of cell
(2, 2); straight-line travel at 30 km/h. With a 2.5-minute catchment (1.25 km) H1 reaches
cells (0,0), (0,1), (1,0) (population 100 + 200 + 400 = 700) and H2 cells (2,2), (1,2),
(2,1) (900 + 600 + 800 = 2300); cells (0,2), (1,1), (2,0) reach nothing. By hand, 2SFCA:

* access 50/700 in H1's cells, 20/2300 in H2's, 0 elsewhere;
* population-weighted mean (700 * 50/700 + 2300 * 20/2300) / 4500 = 70/4500;
* population with zero access 300 + 500 + 700 = 1500, a share of 1/3.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import geopandas as gpd
import pandas as pd
import pytest
from PIL import Image

from accessplan.maps.report_format import id_slug
from accessplan.planner.cli import main
from accessplan.planner.errors import OutputError

MEAN = 70.0 / 4500.0
ZERO_POPULATION = 1500.0
#: the plan's words and sections: none may appear in an access report
PLAN_HEADINGS = ("The plan in brief", "Cost and budget", "Chosen sites", "Solver", "Ventilators")


class _Ids(HTMLParser):
    """Attributes of every element with an id, and the text of each table header."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, dict] = {}
        self.headers: list[str] = []
        self.headings: list[str] = []
        self._tag: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = attrs
        self._tag = tag

    def handle_endtag(self, tag):
        self._tag = None

    def handle_data(self, data):
        if self._tag == "th":
            self.headers.append(data.strip())
        elif self._tag in ("h2", "h3"):
            self.headings.append(data.strip())


def _parse(path) -> _Ids:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _value(ids, ident) -> float:
    return float(ids[ident]["data-value"])


@pytest.fixture
def access_run(tiny):
    """The tiny region with districts, two supplies' worth of measures, run by ``access``."""
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    areas["District"] = ["west", "west", "west", "mid", "mid", "mid", "east", "east", "east"]
    areas.to_file(tiny.folder / "areas.gpkg", layer="tracts", engine="pyogrio")
    tiny.sections["areas"]["group"] = "District"
    tiny.sections["access"] = {
        "method": "2sfca",
        "catchment_minutes": 2.5,
        "supplies": ["ventilators"],
        "thresholds_minutes": [2.5, 5],
        "measures": ["cumulative", "bfca"],
        "capacity_coverage": {"people_per_capacity": 20},
    }
    assert main(["access", str(tiny.write()), "-q"]) == 0
    return tiny


def test_the_report_shows_the_hand_worked_numbers_of_the_csvs(access_run):
    out = access_run.out
    summary = json.loads((out / "summary.json").read_text())
    scale = summary["access"]["scale"]
    page = _parse(out / "report.html")
    ids = page.ids
    # the hand-worked answers, in the files and in the report
    areas = pd.read_csv(out / "areas_access.csv")
    weighted = (areas["access"] * areas["Pop"]).sum() / areas["Pop"].sum()
    assert weighted == pytest.approx(MEAN, rel=1e-12)
    assert _value(ids, "mean-access") == pytest.approx(MEAN * scale, rel=1e-12)
    assert _value(ids, "brief-mean-access") == _value(ids, "mean-access")
    zero = areas.loc[areas["access"] == 0, "Pop"].sum()
    assert zero == ZERO_POPULATION
    assert _value(ids, "zero-access") == pytest.approx(ZERO_POPULATION, rel=1e-12)
    assert _value(ids, "zero-share") == pytest.approx(1 / 3, rel=1e-12)
    assert _value(ids, "gini") == summary["inequity"]["gini"]
    # coverage: the CSV's population within each threshold
    coverage = pd.read_csv(out / "coverage.csv", index_col="threshold_minutes")
    for t, row in coverage.iterrows():
        key = id_slug(f"{float(t):g}")
        assert _value(ids, f"coverage-{key}-population") == row["population_before"]
        assert _value(ids, f"coverage-{key}-population_before") == row["population_before"]
        assert _value(ids, f"brief-coverage-{key}") == row["share_before"]
    # by district: districts.csv, shown in the report's units
    districts = pd.read_csv(out / "districts.csv", index_col="district")
    assert districts.loc["west", "access"] == pytest.approx(
        (100 * 50 / 700 + 200 * 50 / 700 + 300 * 0) / 600, rel=1e-12
    )
    for name in ("west", "mid", "east"):
        assert _value(ids, f"district-{name}-access") == pytest.approx(
            districts.loc[name, "access"] * scale, rel=1e-12
        )
        assert _value(ids, f"district-{name}-zero_share") == districts.loc[name, "zero_share"]
    assert _value(ids, "districts-total-access") == pytest.approx(MEAN * scale, rel=1e-12)
    # the other blocks of summary.json, each under its own id
    facilities = pd.read_csv(out / "facilities_access.csv")
    assert _value(ids, "supply-capacity-total") == facilities["capacity"].sum() == 70.0
    supply = pd.read_csv(out / "inequity_by_supply.csv", index_col="supply")
    assert _value(ids, "supply-ventilators-mean") == pytest.approx(
        supply.loc["ventilators", "mean"] * scale, rel=1e-12
    )
    cap = summary["capacity_coverage"]
    assert _value(ids, "capacity-coverage-covered") == cap["covered_population"]
    assert _value(ids, "measure-bfca-gini") == summary["measures"]["bfca"]["gini"]
    poverty = pd.read_csv(out / "poverty.csv", index_col="measure")["value"]
    assert _value(ids, "poverty-palma_ratio-value") == poverty["palma_ratio"]


def test_no_plan_section_no_after_column_and_a_map_of_one_state(access_run):
    out = access_run.out
    page = _parse(out / "report.html")
    assert not [h for h in page.headings if h.startswith(PLAN_HEADINGS)]
    assert not [h for h in page.headers if "before" in h or "after" in h or h == "plan"]
    assert {"Access in brief", "Key figures", "Access by district", "Maps", "Figures"} <= set(
        page.headings
    )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "candidate sites:" not in html and "How sites were chosen" not in html
    assert "Access report \u00b7 run" in html  # not "Access plan report"
    # the map: one access layer and the further measures as layers, no "before"/"after"
    page_map = (out / "maps" / "access.html").read_text(encoding="utf-8")
    assert "Access before" not in page_map and "Access after" not in page_map
    for title in ("Ventilators (access)", "BFCA", "Supply within 5 min", "Hospitals"):
        assert f'"{title}"' in page_map
    # the figures: one Lorenz curve whose Gini is the summary's
    summary = json.loads((out / "summary.json").read_text())
    gini = json.loads(Image.open(out / "figures" / "lorenz.png").text["accessplan:gini"])
    assert gini == {"access": pytest.approx(summary["inequity"]["gini"], rel=1e-12)}
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "access_distribution.png",
        "access_maps.png",
        "coverage_curve.png",
        "lorenz.png",
    ]


def test_a_failing_report_leaves_the_previous_output(tiny, monkeypatch, capsys):
    assert main(["access", str(tiny.write()), "-q"]) == 0
    before = (tiny.out / "summary.json").read_bytes()
    listing = sorted(p.name for p in tiny.out.iterdir())

    def fail(*args, **kwargs):
        raise OutputError("no space left on the device (disk full)")

    monkeypatch.setattr("accessplan.maps.access_report.write_access_report", fail)
    tiny.sections["access"]["catchment_minutes"] = 5
    assert main(["access", str(tiny.write()), "-q"]) == 2
    assert "disk full" in capsys.readouterr().err
    assert (tiny.out / "summary.json").read_bytes() == before
    assert sorted(p.name for p in tiny.out.iterdir()) == listing
    assert not [p for p in tiny.folder.iterdir() if p.name.startswith(".out.")]


def test_report_command_draws_the_report_of_an_access_run_that_has_none(access_run, capsys):
    out = access_run.out
    ids = _parse(out / "report.html").ids
    for name in ("report.html", "districts.csv"):
        (out / name).unlink()
    for name in ("maps", "figures"):
        for path in (out / name).iterdir():
            path.unlink()
        (out / name).rmdir()
    capsys.readouterr()
    assert main(["report", str(out), "-q"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Report: {out.resolve() / 'report.html'}"
    again = _parse(out / "report.html").ids
    for ident in ("mean-access", "zero-access", "gini", "district-west-access"):
        assert again[ident]["data-value"] == ids[ident]["data-value"]
    assert (out / "maps" / "access.html").is_file() and (out / "districts.csv").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".report-")]


def test_report_command_that_fails_to_draw_changes_nothing(access_run, monkeypatch, capsys):
    out = access_run.out
    (out / "report.html").unlink()
    listing = sorted(p.name for p in out.iterdir())

    def fail(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("accessplan.maps.access_report.write_access_report", fail)
    assert main(["report", str(out), "-q"]) == 2
    assert "cannot write the report" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == listing
