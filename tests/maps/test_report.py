"""Tests of accessplan.maps.report: numbers read back, escaping, self-containment, atomicity."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps.report import write_report
from accessplan.spatial.inequity import compare_inequity

EVIL = "<script>alert(1)</script>"
MAP_DOC = (
    '<!DOCTYPE html><html><head><script>var m = "a & b";</script></head>'
    "<body><div id=\"map\" class='x'>map</div></body></html>"
)


class _Collect(HTMLParser):
    """Every element with its attributes (values unescaped by the parser) and texts by id."""

    _TEXT_TAGS = ("span", "td", "pre", "p", "th")

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        if tag in self._TEXT_TAGS:
            self._open.append(attrs.get("id"))
            if "id" in attrs:
                self.text.setdefault(attrs["id"], "")

    def handle_data(self, data):
        for ident in self._open:
            if ident is not None:
                self.text[ident] += data

    def handle_endtag(self, tag):
        if self._open and tag in self._TEXT_TAGS:
            self._open.pop()

    def by_id(self) -> dict[str, dict]:
        return {a["id"]: a for _, a in self.elements if "id" in a}


def _parse(path) -> tuple[str, _Collect]:
    raw = path.read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(raw)
    return raw, parser


@pytest.fixture
def plan():
    rng = np.random.default_rng(3)
    n = 9
    before = rng.uniform(0, 1, n)
    before[[1, 4]] = 0.0
    after = before + rng.uniform(0, 0.5, n)
    after[4] = 0.0
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"A{i}" for i in range(n)],
            "population": rng.integers(100, 900, n).astype(float),
            "access_before": before,
            "access_after": after,
        },
        geometry=[box(i % 3, i // 3, i % 3 + 1, i // 3 + 1) for i in range(n)],
        crs="EPSG:32631",
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["H1", "C7"], "new": [False, True]},
        geometry=[Point(0.5, 0.5), Point(2.5, 2.5)],
        crs="EPSG:32631",
    )
    new_sites = pd.DataFrame(
        {
            "site_id": ["C7", "C9"],
            "units": [40, 20],
            "cost": [49.3e6, 21.98e6],
            "newly_covered": [7719.0, 6099.0],
            "marginal_gain": [2611.0, 1164.0],
            "name": [EVIL, "Mossden & Co"],
        }
    )
    comparison = compare_inequity(before, after, areas["population"].to_numpy())
    summary = {
        "scenario": "Test region",
        "location": {
            "solver": {
                "solver": "cbc",
                "status": "optimal",
                "objective": 133598.0,
                "best_bound": 133598.0,
                "gap": 0.0,
                "seconds": 0.25,
                "proven_optimal": True,
            },
            "totals": {
                "cost": 71.28e6,
                "budget": 150e6,
                "covered_before": 123174.0,
                "covered_after": 133598.0,
                "share_before": 123174.0 / 133598.0,
                "share_after": 1.0,
            },
        },
    }
    scenario = {"project": {"name": EVIL}, "location": {"budget": 150e6}}
    ventilators = pd.DataFrame(
        {
            "site_id": ["H1", "C7"],
            "new_site": [False, True],
            "ventilators_needed": [10, 6],
            "current": [65, 0],
            "shortfall": [0, 6],
            "mean_wait_hours": [4.6054, 2.0058],
            "current_mean_wait_hours": [9.1e-42, np.nan],
        }
    )
    return {
        "areas": areas,
        "sites": sites,
        "new_sites": new_sites,
        "comparison": comparison,
        "summary": summary,
        "scenario": scenario,
        "ventilators": ventilators,
    }


def _value(ids, ident) -> float:
    return float(ids[ident]["data-value"])


def test_metrics_read_back(tmp_path, plan):
    out = write_report(tmp_path / "r.html", figures={}, **plan)
    _, parsed = _parse(out)
    ids = parsed.by_id()
    every_id = [a["id"] for _, a in parsed.elements if "id" in a]
    assert len(every_id) == len(set(every_id))
    cmp = plan["comparison"]
    for measure in ("gini", "theil"):
        assert _value(ids, f"{measure}-before") == pytest.approx(cmp.loc[measure, "before"])
        assert _value(ids, f"{measure}-after") == pytest.approx(cmp.loc[measure, "after"])
    # zero access, computed here straight from the areas
    areas = plan["areas"]
    for when in ("before", "after"):
        zero = areas.loc[areas[f"access_{when}"] == 0, "population"].sum()
        assert zero > 0 or when == "after"
        assert _value(ids, f"zero-access-{when}") == pytest.approx(zero)
    totals = plan["summary"]["location"]["totals"]
    assert _value(ids, "covered-before") == totals["covered_before"]
    assert _value(ids, "covered-after") == totals["covered_after"]
    assert _value(ids, "coverage-share-before") == pytest.approx(totals["share_before"])
    assert _value(ids, "coverage-share-after") == 1.0
    assert _value(ids, "cost") == totals["cost"]
    assert _value(ids, "budget") == totals["budget"]
    assert "within budget" in parsed.text["budget-verdict"]
    # chosen sites and their reasons
    for _, row in plan["new_sites"].iterrows():
        for col in ("units", "cost", "newly_covered", "marginal_gain"):
            assert _value(ids, f"site-{row.site_id}-{col}") == pytest.approx(row[col])
    rows = [a["data-site-id"] for t, a in parsed.elements if t == "tr" and "data-site-id" in a]
    assert rows == ["C7", "C9", "H1", "C7"]
    # ventilators: needed, current, shortfall, wait at needed
    for _, row in plan["ventilators"].iterrows():
        for col in ("ventilators_needed", "current", "shortfall", "mean_wait_hours"):
            assert _value(ids, f"vent-{row.site_id}-{col}") == pytest.approx(row[col])
    assert ids["vent-C7-current_mean_wait_hours"]["data-value"] == ""  # NaN: no value


def test_solver_line(tmp_path, plan):
    out = write_report(tmp_path / "r.html", figures={}, **plan)
    _, parsed = _parse(out)
    ids = parsed.by_id()
    assert parsed.text["solver-status"] == "optimal"
    assert ids["solver-proven"]["data-value"] == "true"
    assert parsed.text["solver-proven"] == "proven optimal"
    assert _value(ids, "solver-objective") == 133598.0
    assert _value(ids, "solver-best_bound") == 133598.0
    assert _value(ids, "solver-gap") == 0.0
    assert _value(ids, "solver-seconds") == 0.25

    solver = plan["summary"]["location"]["solver"]
    solver.update(status="not solved", proven_optimal=False, best_bound=140000.0, gap=0.0479)
    plan["summary"]["location"]["totals"]["cost"] = 151e6
    out = write_report(tmp_path / "r2.html", figures={}, **plan)
    _, parsed = _parse(out)
    ids = parsed.by_id()
    assert ids["solver-proven"]["data-value"] == "false"
    assert parsed.text["solver-proven"] == "NOT proven optimal"
    assert _value(ids, "solver-gap") == 0.0479
    assert _value(ids, "solver-best_bound") == 140000.0
    assert "OVER budget" in parsed.text["budget-verdict"]


def test_escapes_user_strings(tmp_path, plan):
    plan["new_sites"].loc[1, "site_id"] = '"><img src=x onerror=alert(2)>'
    out = write_report(tmp_path / "r.html", figures={}, maps={EVIL: MAP_DOC}, title=EVIL, **plan)
    raw, parsed = _parse(out)
    assert "<script" not in raw.lower()
    assert "<img src=x" not in raw
    assert not [t for t, _ in parsed.elements if t == "script"]
    assert raw.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # title, name, scenario
    # the scenario <pre> is the scenario as pretty JSON, character for character
    assert json.loads(parsed.text["scenario"]) == plan["scenario"]


def test_self_contained_figures_and_maps(tmp_path, plan):
    png = tmp_path / "given.png"
    from accessplan.maps.figures import lorenz_figure

    lorenz_figure(plan["areas"], png, dpi=30, figsize_inches=(3, 3))
    out = write_report(
        tmp_path / "r.html",
        figures={"Lorenz": png, "Bytes": png.read_bytes()},
        maps={"Map one": MAP_DOC},
        **plan,
    )
    raw, parsed = _parse(out)
    # nothing remote, nothing outside the file
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", raw, re.I)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", raw, re.I)
    assert "@import" not in raw
    assert not [t for t, _ in parsed.elements if t in ("link", "script", "object", "embed")]
    imgs = [a["src"] for t, a in parsed.elements if t == "img"]
    assert len(imgs) == 2
    for src in imgs:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == png.read_bytes()
    for tag, attrs in parsed.elements:
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith(("data:", "#")), (tag, attrs[key])
    frames = [a for t, a in parsed.elements if t == "iframe"]
    assert len(frames) == 1
    assert frames[0]["srcdoc"] == MAP_DOC  # escaped on write, identical once parsed
    assert "src" not in frames[0]


def test_default_figures_embedded(tmp_path, plan):
    out = write_report(tmp_path / "r.html", dpi=30, **plan)
    _, parsed = _parse(out)
    imgs = [a["src"] for t, a in parsed.elements if t == "img"]
    assert len(imgs) == 3
    for src in imgs:
        data = base64.b64decode(src.split(",", 1)[1])
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # temp figures removed


def test_atomic_write_keeps_old_report_on_failure(tmp_path, plan):
    target = tmp_path / "r.html"
    target.write_text("old report", encoding="utf-8")
    bad = tmp_path / "not_a_png.png"
    bad.write_bytes(b"GIF89a")
    with pytest.raises(InputValidationError, match="not a PNG"):
        write_report(target, figures={"x": bad, "y": tmp_path / "missing.png"}, **plan)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_png.png", "r.html"]
    write_report(target, figures={}, **plan)
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not_a_png.png", "r.html"]


def test_bad_comparison_rejected(tmp_path, plan):
    plan["comparison"] = plan["comparison"].rename(columns={"after": "later"})
    with pytest.raises(InputValidationError, match="before"):
        write_report(tmp_path / "r.html", figures={}, **plan)
    assert not (tmp_path / "r.html").exists()
