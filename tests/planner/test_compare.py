"""``accessplan compare``: finished plans side by side, checked against their own files.

Three real runs of ``accessplan locate`` on the tiny scenario differ only in
the budget. Candidates (site cost + 5 units at 10): C1 = 150, C2 = 170,
C3 = 140; within the 2-minute catchment (1 km at 30 km/h) C1 and C3 each
bring new people within reach. So, by hand:

* budget 140: only C3 fits              -> {C3}
* budget 150: C1 or C3; C1 reaches more -> {C1}
* budget 300: C1 + C3 = 290             -> {C1, C3}
"""

from __future__ import annotations

import json
import math
import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.maps.offline import find_remote_assets
from accessplan.planner.cli import main
from accessplan.planner.compare import compare_runs, flatten_scenario, write_compare_outputs
from accessplan.planner.errors import OutputError
from accessplan.planner.output import MARKER

BUDGETS = {"small": 140.0, "mid": 150.0, "large": 300.0}
CHOSEN = {"small": {"C3"}, "mid": {"C1"}, "large": {"C1", "C3"}}


def _scenario(tiny):
    rows = [("C1", 2500, 500, 100.0), ("C2", 500, 2500, 120.0), ("C3", 1500, 1500, 90.0)]
    gpd.GeoDataFrame(
        {
            "cid": [r[0] for r in rows],
            "site_cost": [r[3] for r in rows],
            "unit_cost": [10.0] * 3,
            "max_units": [20] * 3,
            "min_units": [5] * 3,
        },
        geometry=[Point(tiny.x0 + r[1], tiny.y0 + r[2]) for r in rows],
        crs=tiny.crs,
    ).to_file(tiny.folder / "candidates.gpkg", engine="pyogrio")
    tiny.sections["candidates"] = {"path": "candidates.gpkg", "id": "cid"}
    tiny.sections["access"]["catchment_minutes"] = 2.0
    tiny.sections["location"] = {"objective": "coverage", "budget": 150.0}
    return tiny.write()


def _locate(tiny, capsys, name: str, *sets: str):
    out = tiny.folder / name
    argv = ["locate", str(tiny.toml), "--quiet", "--out", str(out)]
    for item in sets:
        argv += ["--set", item]
    assert main(argv) == 0, capsys.readouterr().err
    return out


@pytest.fixture
def runs(tiny, capsys):
    """Three finished plans differing in the budget only."""
    _scenario(tiny)
    return {
        name: _locate(tiny, capsys, name, f"location.budget={budget!r}")
        for name, budget in BUDGETS.items()
    }


def _summary(folder):
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- headline
def test_headline_values_are_each_runs_summary(runs, tmp_path):
    comparison = compare_runs([runs["mid"], runs["large"]])
    assert comparison.labels == ["mid", "large"]
    table = comparison.headline
    for name in ("mid", "large"):
        s = _summary(runs[name])
        expected = {
            "budget": s["plan"]["budget"],
            "cost": s["plan"]["cost"],
            "verdict": s["plan"]["verdict"],
            "new_sites": s["plan"]["new_sites"],
            "units_added": s["plan"]["units_added"],
            "newly_covered": s["plan"]["newly_covered"],
            "cost_per_person": s["plan"]["cost_per_person_newly_covered"],
            "coverage_share": s["location"]["totals"]["share_after"],
            "zero_access_share": s["inequity_after"]["share_zero"],
            "gini": s["inequity_after"]["gini"],
            "gini_before": s["inequity"]["gini"],
            "theil": s["inequity_after"]["theil"],
            "mean_access_after": s["inequity_after"]["mean"] * s["access"]["scale"],
            "solver_status": s["location"]["solver"]["status"],
            "gap": s["location"]["solver"]["gap"],
            "access_units": s["access"]["units"],
        }
        for key, value in expected.items():
            got = table.at[key, name]
            if isinstance(value, str):
                assert got == value, key
            else:
                assert math.isclose(got, value, rel_tol=1e-12), (key, got, value)
        assert table.at["site_ids", name] == ";".join(s["location"]["new_sites"])
    # the two plans really differ where the budget bites
    assert table.at["budget", "mid"] == 150.0 and table.at["budget", "large"] == 300.0
    assert table.at["new_sites", "mid"] == 1 and table.at["new_sites", "large"] == 2

    out = write_compare_outputs(comparison, tmp_path / "cmp")
    csv = pd.read_csv(out / "compare.csv").set_index("key")
    assert math.isclose(float(csv.at["gini", "large"]), table.at["gini", "large"], rel_tol=1e-12)
    summary = _summary(out)
    assert summary["headline"]["cost"] == {"mid": 150.0, "large": 290.0}
    # the page carries the exact values and the difference large - mid
    html = (out / "compare.html").read_text(encoding="utf-8")
    gini = re.search(r'id="gini-1" data-value="([^"]+)"', html).group(1)
    assert float(gini) == table.at["gini", "large"]
    cost_diff = re.search(r'id="cost-diff-1" data-value="([^"]+)"', html).group(1)
    assert float(cost_diff) == 290.0 - 150.0


# --------------------------------------------------------------------------- scenario
def test_scenario_diff_lists_exactly_the_changed_key(runs, tmp_path):
    comparison = compare_runs([runs["mid"], runs["large"]])
    diff = comparison.scenario_diff
    # output.dir and the --set list differ too, but say where and how, not what
    assert list(diff["key"]) == ["location.budget"]
    assert list(diff["text"]) == ["location.budget: 150 vs 300"]
    out = write_compare_outputs(comparison, tmp_path / "cmp")
    assert list(pd.read_csv(out / "scenario_diff.csv")["key"]) == ["location.budget"]
    assert _summary(out)["scenario_diff"] == ["location.budget: 150 vs 300"]


def test_scenario_diff_of_edited_runs(runs, tmp_path):
    """Big numbers, integer-valued floats and a key set in one run only, by hand."""
    assert flatten_scenario({"a": {"b": 1, "c": {"d": [1, 2]}}, "e": {}}) == {
        "a.b": 1,
        "a.c.d": [1, 2],
        "e": {},
    }
    folders = []
    for name, budget, minutes, extra in (
        ("a", 150e6, 60, {}),
        ("b", 200e6, 45.0, {"gap_rel": 0.01, "catchment_minutes": 30}),
    ):
        folder = tmp_path / name
        shutil.copytree(runs["mid"], folder)
        scenario = json.loads((folder / "scenario.json").read_text(encoding="utf-8"))
        scenario["location"]["budget"] = budget
        scenario["location"].update(extra)
        scenario["access"]["catchment_minutes"] = minutes
        scenario["scenario_file"] = f"/elsewhere/{name}.toml"  # where, not what
        (folder / "scenario.json").write_text(json.dumps(scenario), encoding="utf-8")
        folders.append(folder)
    texts = list(compare_runs(folders).scenario_diff["text"])
    assert texts == [
        "access.catchment_minutes: 60 vs 45",
        "location.budget: 150,000,000 vs 200,000,000",
        # not set: the location model uses the access catchment, which the text says
        "location.catchment_minutes: not set (60 from access.catchment_minutes) vs 30",
        "location.gap_rel: not set vs 0.01",
    ]


# --------------------------------------------------------------------------- sites
def test_sites_in_one_plan_and_not_the_other(runs, tmp_path):
    for name, folder in runs.items():  # the premise, worked by hand in the module docstring
        chosen = set(pd.read_csv(folder / "new_sites.csv")["site_id"])
        assert chosen == CHOSEN[name], name
    comparison = compare_runs([runs["mid"], runs["small"], runs["large"]])
    sites = comparison.sites

    def pair(a, b):
        part = sites[(sites["run_a"] == a) & (sites["run_b"] == b)]
        return {w: set(part.loc[part["where"] == w, "site_id"]) for w in part["where"].unique()}

    assert pair("mid", "small") == {"mid only": {"C1"}, "small only": {"C3"}}
    assert pair("mid", "large") == {"both": {"C1"}, "large only": {"C3"}}
    assert pair("small", "large") == {"both": {"C3"}, "large only": {"C1"}}
    row = sites[(sites["run_a"] == "mid") & (sites["site_id"] == "C3")].iloc[0]
    assert row["where"] == "small only"
    assert pd.isna(row["units_a"]) and row["units_b"] == 5 and row["cost_b"] == 140.0

    out = write_compare_outputs(comparison, tmp_path / "cmp")
    written = pd.read_csv(out / "sites_compare.csv")
    assert len(written) == len(sites) == 6
    first = _summary(out)["sites"][0]
    assert (first["a_only"], first["b_only"], first["both"]) == (["C1"], ["C3"], [])


# --------------------------------------------------------------------------- access
def test_difference_is_b_minus_a_by_area_id(runs, tmp_path):
    comparison = compare_runs([runs["small"], runs["large"]])
    a = pd.read_csv(runs["small"] / "areas_plan.csv").set_index("area_id")["access_after"]
    b = pd.read_csv(runs["large"] / "areas_plan.csv").set_index("area_id")["access_after"]
    expected = (b - a.reindex(b.index)).sort_index()
    got = comparison.access_difference.set_index("area_id")["difference"].sort_index()
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-15)
    assert (got != 0).any()  # the plans differ somewhere on the map

    out = write_compare_outputs(comparison, tmp_path / "cmp")
    written = pd.read_csv(out / "access_difference.csv").set_index("area_id")["difference"]
    np.testing.assert_allclose(written.sort_index().to_numpy(), expected.to_numpy(), atol=1e-15)
    diff = _summary(out)["access_difference"]
    assert diff["areas_higher_in_b"] == int((expected > 0).sum())
    assert diff["areas_lower_in_b"] == int((expected < 0).sum())
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "<iframe" in html and "Access after: large \u2212 small" in html
    assert find_remote_assets(html) == []
    # the map draws each area's difference (in the shown unit, 4 significant digits)
    scale = _summary(runs["large"])["access"]["scale"]
    drawn = {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"&#34;i&#34;:&#34;(T\d)&#34;[^}]*?&#34;d&#34;:([-0-9.e]+)", html)
    }
    assert set(drawn) == set(expected.index)
    for area, value in expected.items():
        assert drawn[area] == float(f"{value * scale:.4g}"), area


def test_areas_without_shared_ids_give_no_map(runs, tmp_path):
    other = tmp_path / "renamed"
    shutil.copytree(runs["large"], other)
    areas = pd.read_csv(other / "areas_plan.csv")
    areas.loc[0, "area_id"] = "X0"
    areas.to_csv(other / "areas_plan.csv", index=False)
    comparison = compare_runs([runs["mid"], other])
    assert comparison.access_difference is None
    assert any("do not share ids (1 only in mid, 1 only in renamed)" in n for n in comparison.notes)
    out = write_compare_outputs(comparison, tmp_path / "cmp")
    assert not (out / "access_difference.csv").exists()
    html = (out / "compare.html").read_text(encoding="utf-8")
    assert "<iframe" not in html and "do not share ids" in html
    assert _summary(out)["access_difference"] is None


# --------------------------------------------------------------------------- refusals
def test_bad_folders_refused_together(runs, tiny, capsys, tmp_path):
    access_only = tiny.folder / "access_only"
    assert main(["access", str(tiny.toml), "--quiet", "--out", str(access_only)]) == 0
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "summary.json").write_text("{}", encoding="utf-8")
    missing = tmp_path / "nowhere"
    gutted = tmp_path / "gutted"
    shutil.copytree(runs["mid"], gutted)
    (gutted / "areas_plan.csv").unlink()

    with pytest.raises(InputValidationError) as info:
        compare_runs([runs["mid"], access_only, plain, missing, gutted, runs["mid"]])
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, AccessplanError)
    text = str(err)
    assert text.startswith("5 problems in the runs to compare:")
    assert f"folder {access_only}: holds no plan (command 'access'" in text
    assert f"folder {plain}: is not an accessplan output (no readable {MARKER} marker)" in text
    assert f"folder {missing}: does not exist" in text
    assert f"folder {gutted}: lacks areas_plan.csv of a finished plan" in text
    assert f"folder {runs['mid']}: is given more than once" in text

    with pytest.raises(InputValidationError, match="at least two run folders, got 1"):
        compare_runs([runs["mid"]])

    # through the command line: exit 2, one message, nothing written
    target = tmp_path / "cmp"
    code = main(["compare", str(runs["mid"]), str(access_only), "--out", str(target), "-q"])
    stderr = capsys.readouterr().err
    assert code == 2
    assert stderr.startswith("accessplan: error: ") and "Traceback" not in stderr
    assert "holds no plan" in stderr
    assert not target.exists()


def test_output_never_replaces_a_compared_run(runs):
    comparison = compare_runs([runs["mid"], runs["large"]])
    before = sorted(p.name for p in runs["mid"].iterdir())
    with pytest.raises(OutputError, match="would replace the compared run"):
        write_compare_outputs(comparison, runs["mid"])
    assert sorted(p.name for p in runs["mid"].iterdir()) == before


def test_cli_compare_writes_every_file(runs, tmp_path, capsys):
    target = tmp_path / "cmp"
    code = main(["compare", str(runs["small"]), str(runs["mid"]), "--out", str(target), "-q"])
    assert code == 0, capsys.readouterr().err
    names = {p.name for p in target.iterdir()}
    assert {
        MARKER,
        "compare.html",
        "compare.csv",
        "sites_compare.csv",
        "scenario_diff.csv",
        "access_difference.csv",
        "summary.json",
    } <= names
    assert json.loads((target / MARKER).read_text())["command"] == "compare"


def test_folder_names_are_escaped_everywhere(runs, tmp_path):
    """Run labels come from folder names, which may hold markup: never raw in the page."""
    odd = [tmp_path / "plan <A>", tmp_path / 'plan "B"&']
    for source, folder in zip((runs["mid"], runs["large"]), odd, strict=True):
        shutil.copytree(source, folder)
    comparison = compare_runs(odd)
    assert comparison.labels == ["plan <A>", 'plan "B"&']
    html = (write_compare_outputs(comparison, tmp_path / "cmp") / "compare.html").read_text(
        encoding="utf-8"
    )
    assert "<A>" not in html and '"B"&' not in html
    assert "plan &lt;A&gt;" in html
    # inside the map's script the label is HTML-escaped, then JSON-escaped (\u0026 is "&")
    assert "Access after plan \\u0026lt;A\\u0026gt;" in html


def test_coverage_share_from_the_areas_when_the_totals_lack_it(runs, tmp_path):
    """Models whose totals carry no shares: the share is taken from areas_plan.csv's flags.

    Identity: the demand-weighted share of ``plan_covered_after`` equals the
    model's own ``share_after`` (checked on the coverage run, which has both).
    """
    folder = tmp_path / "no_shares"
    shutil.copytree(runs["large"], folder)
    summary = _summary(folder)
    totals = summary["location"]["totals"]
    own = (totals.pop("share_before"), totals.pop("share_after"))
    (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    table = compare_runs([runs["mid"], folder]).headline
    assert math.isclose(table.at["coverage_share_before", "no_shares"], own[0], rel_tol=1e-12)
    assert math.isclose(table.at["coverage_share", "no_shares"], own[1], rel_tol=1e-12)
    assert own[1] == 4200.0 / 4500.0  # everyone but T2 (300 people) within 2 min after
    assert table.at["coverage_share", "label"] == "Share of people within reach, after"
