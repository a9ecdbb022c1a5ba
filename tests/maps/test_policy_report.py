"""Tests of the policy report and its figures: numbers read back by id equal the tables, escaping,
optional sections, atomic write."""

from __future__ import annotations

import base64
import json
import math
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps.offline import find_remote_assets, render_offline_html
from accessplan.maps.policy_figures import (
    KNEE_KEY,
    PARETO_KEY,
    ROBUST_KEY,
    efficiency_frontier_figure,
    group_label,
    pareto_figure,
    site_frequency_figure,
    varying_dimensions,
)
from accessplan.maps.policy_report import (
    FRONTIER_FIGURE,
    PARETO_FIGURE,
    write_policy_report,
)
from accessplan.maps.policy_sections import proven_monotone
from accessplan.maps.policy_webmap import site_frequency_map
from accessplan.maps.report_format import id_slug
from accessplan.planner.policy import efficiency_frontier, is_monotone, site_frequency

EVIL = "<script>alert(1)</script>"
EVIL_ID = 'C"3&<b>'


class _Collect(HTMLParser):
    """Every element with an id: its attributes (unescaped) and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self.tags: list[tuple[str, dict]] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag in ("br", "img", "meta"):
            return
        ident = attrs.get("id")
        self._open.append(ident)
        if ident is not None:
            self.attrs[ident] = attrs
            self.text.setdefault(ident, "")

    def handle_data(self, data):
        for ident in self._open:
            if ident is not None:
                self.text[ident] += data

    def handle_endtag(self, tag):
        if tag not in ("br", "img", "meta") and self._open:
            self._open.pop()


def _parse(path) -> tuple[str, _Collect]:
    raw = path.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(raw)
    return raw, parser


def _value(parser: _Collect, ident: str) -> float:
    return float(parser.attrs[ident]["data-value"])


# --------------------------------------------------------------------------
# a hand-made sweep: 2 catchments x 3 budgets, one point not proven optimal
def _sweep() -> pd.DataFrame:
    rows = []
    shares = {30: (0.40, 0.55, 0.60), 60: (0.70, 0.80, 0.82)}
    sites = {0: "C1", 1: f"C1;{EVIL_ID}", 2: f"C1;{EVIL_ID};C4"}
    point = 0
    for catchment in (30, 60):
        for i, budget in enumerate((10e6, 20e6, 30e6)):
            share = shares[catchment][i]
            rows.append(
                {
                    "point": point,
                    "budget": budget,
                    "catchment_minutes": catchment,
                    "growth": 1.0,
                    "closed": "H03" if catchment == 60 else "",
                    "status": "Optimal" if point != 5 else "Not Solved",
                    "proven_optimal": point != 5,
                    "gap": 0.0 if point != 5 else 0.0312,
                    "objective": share * 1000,
                    "population": 1000.0,
                    "coverage_share_before": 0.3,
                    "coverage_share": share,
                    "zero_access_share_before": 0.5,
                    "zero_access_share": 0.5 - share / 2,
                    "gini_before": 0.5,
                    "gini": 0.5 - share / 4,
                    "cost": budget * 0.9,
                    "n_sites": i + 1,
                    "sites": sites[i],
                    "units": ";".join(["2"] * (i + 1)),
                    "newly_covered": (share - 0.3) * 1000,
                    "seconds": 0.5 + point,
                }
            )
            point += 1
    return pd.DataFrame(rows)


def _candidates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["C1", EVIL_ID, "C4", "C9"],
            "name": ["North", EVIL, "South", "Unused"],
        },
        geometry=[Point(500, 500), Point(1500, 500), Point(500, 1500), Point(1500, 1500)],
        crs=3857,
    )


def _areas() -> gpd.GeoDataFrame:
    cells = [box(x, y, x + 1000, y + 1000) for x in (0, 1000) for y in (0, 1000)]
    return gpd.GeoDataFrame(
        {"area_id": list("abcd"), "population": [250.0] * 4}, geometry=cells, crs=3857
    )


def _robust() -> pd.DataFrame:
    """The robust table as accessplan.location.robust writes it (plus the sweep's columns)."""
    return pd.DataFrame(
        {
            "robust_objective": ["max_min_coverage"] * 2,
            "scenario": ["30 min", f"60 min {EVIL}"],
            "catchment_minutes": [30.0, 60.0],
            "population": [1000.0, 1000.0],
            "coverage_share_before": [0.3, 0.3],
            "coverage_share": [0.52, 0.79],
            "own_share": [0.55, 0.80],
            "regret": [0.03, 0.01],
            "own_proven_optimal": [True, False],
            "own_gap": [0.0, 0.02],
            "own_sites": ["C1;C4", f"C1;{EVIL_ID}"],
            "robust_sites": ["C1;C4"] * 2,
            "status": ["Optimal"] * 2,
            "proven_optimal": [True] * 2,
            "gap": [0.0, 0.0],
        }
    )


def _pareto() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": [0, 1, 2, 3, 4],
            "epsilon": [np.nan, 0.1, 0.2, 0.3, 0.4],
            "coverage": [600.0, 590.0, 560.0, 500.0, 420.0],
            "coverage_share": [0.60, 0.59, 0.56, 0.50, 0.42],
            "equity": [0.05, 0.12, 0.21, 0.33, 0.41],
            "status": ["Optimal"] * 4 + ["Not Solved"],
            "proven_optimal": [True, True, True, True, False],
            "gap": [0.0, 0.0, 0.0, 0.0, 0.07],
            "cost": [9e6, 9e6, 8e6, 9.5e6, 7e6],
            "sites": ["C1;C4", "C1;C4", f"C1;{EVIL_ID}", "C4", "C9"],
            "units": ["2;2", "2;2", "2;2", "2", "2"],
        }
    )


def _write(tmp_path, **overrides):
    sweep = _sweep()
    frontier = efficiency_frontier(sweep)
    frequency = site_frequency(sweep, _candidates())
    kwargs = {
        "summary": {
            "scenario": f"Demo {EVIL}",
            "run": {"started_utc": "2026-12-02T07:00:00+00:00", "version": "0.5"},
            "currency": "EUR",
            "robust": {"objective": "max_min_coverage", "sites": ["C1", EVIL_ID]},
        },
        "sweep": sweep,
        "frontier": frontier,
        "frequency": frequency,
        "candidates": _candidates(),
        "areas": _areas(),
        "robust": _robust(),
        "pareto": _pareto(),
        "scenario": {"sweep": {"pareto": {"points": 5, "write_point": 2}}, "note": EVIL},
    }
    kwargs.update(overrides)
    path = write_policy_report(tmp_path / "report.html", **kwargs)
    return path, kwargs


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path, kwargs = _write(tmp_path_factory.mktemp("policy"))
    raw, parser = _parse(path)
    return raw, parser, kwargs


def test_every_point_reads_back_equal_to_the_sweep_table(report):
    _, parser, kwargs = report
    sweep = kwargs["sweep"]
    for _, row in sweep.iterrows():
        p = int(row["point"])
        for column in (
            "budget",
            "coverage_share",
            "zero_access_share",
            "gini",
            "gini_before",
            "cost",
            "n_sites",
            "coverage_share_before",
            "seconds",
        ):
            assert _value(parser, f"point-{p}-{column}") == pytest.approx(row[column], abs=0)
        assert _value(parser, f"point-{p}-gap") == row["gap"]
        assert (
            parser.attrs[f"point-{p}-gap"]["data-proven"]
            == str(bool(row["proven_optimal"])).lower()
        )
    assert "not proven, gap 3.12%" in parser.text["point-5-gap"]
    assert "proven optimal" in parser.text["point-0-gap"]
    assert _value(parser, "swept-points") == 6
    assert _value(parser, "swept-budget-count") == 3
    assert _value(parser, "swept-catchment_minutes-count") == 2
    assert _value(parser, "swept-closed-count") == 2


def test_frontier_numbers_and_knee_read_back(report):
    _, parser, kwargs = report
    frontier = kwargs["frontier"]
    for _, row in frontier.iterrows():
        p = int(row["point"])
        m = row["marginal_cost_per_person"]
        got = parser.attrs[f"frontier-{p}-marginal_cost_per_person"]["data-value"]
        assert (got == "inf") if math.isinf(m) else float(got) == pytest.approx(m, abs=0)
        assert _value(parser, f"frontier-{p}-coverage_share") == row["coverage_share"]
        knee = parser.attrs[f"frontier-{p}-knee"]["data-value"] == "true"
        assert knee == bool(row["knee"])
    # by hand: 30-min group, first point 9e6 / 100 people; second (18e6-9e6) / (250-100)
    assert _value(parser, "frontier-0-marginal_cost_per_person") == pytest.approx(9e6 / 100)
    assert _value(parser, "frontier-1-marginal_cost_per_person") == pytest.approx(9e6 / 150)
    # knees: 30-min shares .40 .55 .60 -> scaled y 0 .75 1 -> the 20M point; same for 60 min
    assert list(frontier.loc[frontier["knee"], "point"]) == [1, 4]
    assert _value(parser, "glance-knee-1") == 20e6
    assert "20.00 million" in parser.text["glance-knee-1"]
    assert parser.attrs["monotone"]["data-value"] == "true"


def test_site_frequency_and_robust_sites_read_back(report):
    _, parser, kwargs = report
    freq = kwargs["frequency"].set_index("site_id")
    # by hand: C1 in all 6 points, the evil id in 4, C4 in 2, C9 in none
    assert list(freq["chosen_in"]) == [6, 4, 2, 0]
    assert _value(parser, "site-C1-chosen_in") == 6
    assert _value(parser, "site-C1-frequency") == 1.0
    assert parser.attrs["site-C1-robust"]["data-value"] == "true"
    assert _value(parser, "site-C4-frequency") == pytest.approx(2 / 6)
    assert parser.attrs["site-C4-robust"]["data-value"] == "false"
    # the never-chosen candidate is named once, not as a row of zeros
    assert "site-C9-chosen_in" not in parser.attrs
    assert _value(parser, "never-count") == 1 and parser.text["frequency-never"].endswith(": C9.")
    assert _value(parser, "glance-robust-sites") == 1
    rows = [a for t, a in parser.tags if t == "tr" and "data-site-id" in a]
    assert [a["data-site-id"] for a in rows] == ["C1", EVIL_ID, "C4"]


def test_robust_table_and_pareto_read_back(report):
    _, parser, kwargs = report
    robust = kwargs["robust"]
    scenarios = [a["data-scenario"] for t, a in parser.tags if t == "tr" and "data-scenario" in a]
    assert scenarios == list(robust["scenario"])
    for _, row in robust.iterrows():
        key = id_slug(row["scenario"])
        assert _value(parser, f"robust-{key}-coverage") == row["coverage_share"]
        assert _value(parser, f"robust-{key}-own") == row["own_share"]
        assert _value(parser, f"robust-{key}-regret") == row["regret"]
    assert _value(parser, "robust-worst") == 0.52
    assert "not proven, gap 2%" in parser.text[f"robust-{id_slug(f'60 min {EVIL}')}-own-gap"]
    assert parser.text[f"robust-{id_slug(f'60 min {EVIL}')}-own-sites"] == f"C1, {EVIL_ID}"
    assert _value(parser, "glance-robust-worst") == 0.52
    pareto = kwargs["pareto"]
    for _, row in pareto.iterrows():
        p = int(row["point"])
        assert _value(parser, f"pareto-{p}-equity") == row["equity"]
        assert _value(parser, f"pareto-{p}-coverage_share") == row["coverage_share"]
    assert "gap 7%" in parser.text["pareto-4-gap"]
    # the chosen point comes from the scenario's write_point
    chosen = [a for t, a in parser.tags if t == "tr" and a.get("class") == "chosen"]
    assert [a["data-point"] for a in chosen] == ["2"]


def test_user_strings_are_escaped_once(report):
    raw, parser, _ = report
    assert EVIL not in raw
    assert 'C"3&<b>' not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    # the parser gets the strings back exactly
    assert parser.text["subtitle"].startswith("Policy sweep report")
    assert EVIL in parser.text["scenario"]
    assert f"60 min {EVIL}" in [a.get("data-scenario") for _, a in parser.tags]
    assert "<script" not in raw.lower()


def test_self_contained_with_figures_in_their_sections(report):
    raw, parser, _ = report
    # nothing is fetched: no remote script or style sheet, in the page or in the embedded map
    assert find_remote_assets(raw) == []
    frames = [a["srcdoc"] for t, a in parser.tags if t == "iframe"]
    assert frames and all(find_remote_assets(doc) == [] for doc in frames)
    assert not any(a.get("src", "").startswith("http") for _, a in parser.tags)
    for ident in ("figure-frontier", "figure-frequency", "figure-pareto"):
        assert ident in parser.attrs
    imgs = [a["src"] for t, a in parser.tags if t == "img"]
    assert len(imgs) == 3 and all(s.startswith("data:image/png;base64,") for s in imgs)


def test_report_without_robust_or_pareto(tmp_path):
    path, _ = _write(tmp_path, robust=None, pareto=None, figures={}, scenario=None)
    raw, parser = _parse(path)
    assert 'id="robust"' not in raw and 'id="pareto"' not in raw
    assert "Robust plan beside" not in raw and "Equity\u2013efficiency frontier" not in raw
    assert "<img" not in raw
    assert _value(parser, "point-0-coverage_share") == 0.40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_bad_inputs_are_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(InputValidationError) as err:
        _write(tmp_path, sweep=_sweep().drop(columns=["sites"]), figures={FRONTIER_FIGURE: b"nope"})
    assert "column 'sites'" in str(err.value)
    with pytest.raises(InputValidationError, match="not a PNG"):
        _write(tmp_path, figures={PARETO_FIGURE: b"GIF89a"})
    with pytest.raises(InputValidationError, match="own_share"):
        _write(tmp_path, robust=_robust().drop(columns=["own_share"]), figures={})
    assert list(tmp_path.iterdir()) == []


def test_an_existing_report_is_kept_when_writing_fails(tmp_path):
    path, _ = _write(tmp_path, figures={})
    before = path.read_bytes()
    with pytest.raises(InputValidationError):
        _write(tmp_path, figures={PARETO_FIGURE: b"GIF89a"})
    assert path.read_bytes() == before


# --------------------------------------------------------------------------
# figures
def test_figures_record_what_they_mark(tmp_path):
    sweep = _sweep()
    frontier = efficiency_frontier(sweep)
    path = efficiency_frontier_figure(frontier, tmp_path / "f.png", dpi=50)
    knees = json.loads(Image.open(path).text[KNEE_KEY])
    assert [k["point"] for k in knees] == [1, 4]
    path = pareto_figure(_pareto(), tmp_path / "p.png", chosen=3, dpi=50)
    assert json.loads(Image.open(path).text[PARETO_KEY]) == 3
    path = pareto_figure(_pareto(), tmp_path / "p2.png", chosen=99, dpi=50)
    assert json.loads(Image.open(path).text[PARETO_KEY]) is None
    freq = site_frequency(sweep, _candidates())
    path = site_frequency_figure(freq, tmp_path / "s.png", areas=_areas(), dpi=50)
    assert json.loads(Image.open(path).text[ROBUST_KEY]) == ["C1"]


def test_site_frequency_figure_needs_positions(tmp_path):
    freq = site_frequency(_sweep(), ["C1", EVIL_ID, "C4"])
    with pytest.raises(InputValidationError, match="no geometry"):
        site_frequency_figure(freq, tmp_path / "s.png")
    assert not (tmp_path / "s.png").exists()


def test_equity_direction_follows_the_measure(tmp_path):
    scenario = {"sweep": {"pareto": {"equity": "min_access_deviation", "write_point": 1}}}
    path, _ = _write(tmp_path, scenario=scenario, figures={})
    raw, parser = _parse(path)
    assert "deviation of access from the mean (lower is fairer)" in raw
    assert "the equity measure being at most epsilon" in raw
    chosen = [a for t, a in parser.tags if t == "tr" and a.get("class") == "chosen"]
    assert [a["data-point"] for a in chosen] == ["1"]
    # one unproven point is written in the singular
    assert "1</span> is not (their gaps are shown)" in raw


def test_web_map_of_site_frequency_is_offline_and_escaped():
    freq = site_frequency(_sweep(), _candidates())
    doc = render_offline_html(site_frequency_map(freq, areas=_areas(), title=EVIL))
    assert find_remote_assets(doc) == []
    assert EVIL not in doc
    assert doc.count("L.circleMarker(") == 4
    # tooltips by hand: C1 in 6 of 6 points and robust, C9 never
    assert "chosen in 6 of 6 points (100%)" in doc and "robust: chosen in every point" in doc
    assert "chosen in 0 of 6 points (0%)" in doc
    assert "chosen in 2 of 6 points (33%)" in doc


def test_report_embeds_the_web_map_only_when_asked(report, tmp_path):
    _, parser, _ = report
    frames = [a for t, a in parser.tags if t == "iframe"]
    assert len(frames) == 1 and frames[0]["sandbox"] == "allow-scripts"
    assert "chosen in 6 of 6 points" in frames[0]["srcdoc"]
    path, _ = _write(tmp_path, figures={}, web_map=False)
    assert "<iframe" not in path.read_text(encoding="utf-8")


def test_a_chosen_point_dropped_from_the_frontier_is_said(tmp_path):
    scenario = {"sweep": {"pareto": {"write_point": 9}}}
    path, _ = _write(tmp_path, scenario=scenario, figures={}, web_map=False)
    raw, parser = _parse(path)
    assert "Point 9 was asked for but is not on the frontier" in raw
    assert not [a for t, a in parser.tags if t == "tr" and a.get("class") == "chosen"]


def test_groups_are_named_by_the_dimensions_that_vary():
    row = {"catchment_minutes": 45.0, "growth": 1.2, "closed": "H03;H07"}
    assert group_label(row) == "45 min \u00b7 growth \u00d71.2 \u00b7 H03, H07 closed"
    assert group_label(row, ("catchment_minutes",)) == "45 min"
    assert group_label(row, ()) == "all points"
    sweep = _sweep()  # catchment and closures vary together, growth is always 1
    assert varying_dimensions(sweep) == ("catchment_minutes", "closed")
    assert varying_dimensions(sweep.assign(closed=np.nan)) == ("catchment_minutes",)


def test_constant_dimensions_are_not_repeated_in_every_row(tmp_path):
    sweep = _sweep().assign(closed=np.nan)
    path, _ = _write(
        tmp_path, sweep=sweep, frontier=efficiency_frontier(sweep), figures={}, web_map=False
    )
    _, parser = _parse(path)
    assert "point-0-catchment_minutes" in parser.attrs
    assert "point-0-growth" not in parser.attrs and "point-0-closed" not in parser.attrs
    assert parser.text["frontier-group-0"] == "30 min"


def test_web_map_refits_once_its_frame_has_a_size():
    freq = site_frequency(_sweep(), _candidates())
    m = site_frequency_map(freq, areas=_areas())
    kinds = [type(child).__name__ for child in m._children.values()]
    # maps.map_fit's guarded fit (tested in a real frame in test_map_fit.py), not folium's
    assert kinds.count("FitRegion") == 1 and "FitBounds" not in kinds
    doc = render_offline_html(m)
    assert "if (!(size.x > 0 && size.y > 0))" in doc


def test_report_monotone_check_agrees_with_the_planner_and_shows_a_failure(tmp_path):
    rng = np.random.default_rng(3)
    for _ in range(40):
        sweep = _sweep()
        sweep["coverage_share"] = rng.uniform(0.3, 0.9, len(sweep))
        sweep["proven_optimal"] = rng.uniform(size=len(sweep)) < 0.7
        frontier = efficiency_frontier(sweep)
        assert proven_monotone(frontier) == is_monotone(frontier)
    sweep = _sweep()
    sweep.loc[sweep["point"] == 2, "coverage_share"] = 0.50  # below the 20M point's 0.55
    path, _ = _write(
        tmp_path, sweep=sweep, frontier=efficiency_frontier(sweep), figures={}, web_map=False
    )
    _, parser = _parse(path)
    assert parser.attrs["monotone"]["data-value"] == "false"
    assert "covers less than a cheaper point" in parser.text["frontier-2-knee"]


def test_figures_can_be_kept_beside_the_report(tmp_path):
    keep = tmp_path / "figures"
    keep.mkdir()
    path, _ = _write(tmp_path, figures_dir=keep, web_map=False)
    assert sorted(p.name for p in keep.iterdir()) == [
        "frontier.png",
        "pareto.png",
        "site_frequency.png",
    ]
    raw = path.read_text(encoding="utf-8")
    data = base64.b64encode((keep / "frontier.png").read_bytes()).decode("ascii")
    assert data in raw  # the page embeds exactly the kept PNG
