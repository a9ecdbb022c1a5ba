"""``accessplan init`` -> ``validate`` -> ``plan`` as a new user would run them, ``report --pdf``
on that plan, and ``validate`` reporting every problem at once without computing anything.

The end-to-end chain runs the demo plan once for the whole module.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import shutil

import geopandas as gpd
import pandas as pd
import pytest

from accessplan.maps.pdf import BROWSER_NAMES, count_pdf_pages
from accessplan.planner.cli import main
from accessplan.planner.scenario import SCHEMA
from accessplan.planner.template import TEMPLATE


def _run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """A new user's folder: init, validate, plan (once for the module)."""
    folder = tmp_path_factory.mktemp("project")
    init = _run(["init", str(folder)])
    toml = folder / "scenario.toml"
    validate = _run(["validate", str(toml)])
    plan = _run(["plan", str(toml), "-q"])
    return {"folder": folder, "toml": toml, "init": init, "validate": validate, "plan": plan}


def test_init_then_validate_then_plan(started):
    folder, toml = started["folder"], started["toml"]
    code, out, err = started["init"]
    assert code == 0, err
    assert sorted(p.name for p in (folder / "data").iterdir()) == [
        "region.gpkg",
        "roads.graphml.gz",
    ]
    assert toml.read_text(encoding="utf-8") == TEMPLATE
    assert f"accessplan validate {toml}" in out

    code, out, err = started["validate"]
    assert code == 0, err
    assert out.strip() == (
        f"{toml}: valid (556 areas, 11 facilities, 40 candidates, network roads.graphml.gz)"
    )
    assert "checked by its type and first bytes only" in err  # says what it could not check

    code, out, err = started["plan"]
    assert code == 0, err
    results = folder / "out"
    assert out.splitlines()[-1] == f"Report: {results / 'report.html'}"
    summary = json.loads((results / "summary.json").read_text())
    assert summary["location"]["new_sites"] and summary["ventilators"]["needed"] > 0
    gini = f"{summary['inequity']['gini']:.3f} -> {summary['inequity_after']['gini']:.3f}"
    assert gini in out
    scenario = json.loads((results / "scenario.json").read_text())
    assert scenario["output"]["dir"] == str(results)
    assert scenario["areas"]["path"] == str(folder / "data" / "region.gpkg")


def test_report_pdf_of_the_plan(started):
    """report.pdf from report.html through headless Chromium: a PDF of several pages."""
    if not any(shutil.which(n) for n in BROWSER_NAMES) and not os.environ.get(
        "ACCESSPLAN_CHROMIUM"
    ):
        if os.environ.get("CI") == "true":
            pytest.fail("no Chromium on PATH under CI: the PDF cannot be tested")
        pytest.skip("no Chromium on PATH")
    results = started["folder"] / "out"
    assert started["plan"][0] == 0
    code, out, err = _run(["report", str(results), "--pdf", "-q"])
    assert code == 0, err
    data = (results / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert count_pdf_pages(data) >= 2
    # A4 pages (595 x 842 pt), as the report's print CSS asks (a browser's default is Letter)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    assert boxes and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes)
    assert out.splitlines()[-1] == f"PDF: {results / 'report.pdf'}"
    assert not [p.name for p in results.iterdir() if p.name.endswith(".partial.pdf")]


def test_init_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    toml = tmp_path / "scenario.toml"
    toml.write_text("# my own scenario\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accessplan: error: ") and str(toml) in err and "--force" in err
    assert toml.read_text(encoding="utf-8") == "# my own scenario\n"
    assert not (tmp_path / "data").exists()
    assert main(["init", str(tmp_path), "--force", "-q"]) == 0
    assert toml.read_text(encoding="utf-8") == TEMPLATE


def test_init_default_folder_is_the_current_one(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["init", "-q"]) == 0
    assert (tmp_path / "scenario.toml").is_file()
    assert (tmp_path / "data" / "region.gpkg").is_file()


def _template_sections() -> dict[str, str]:
    """Each section's block of the template (commented sections included)."""
    parts = re.split(r"^#? ?\[(\w+)\]\s*$", TEMPLATE, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_template_explains_every_section_and_key():
    """A new scenario key must be added to planner/template.py (commented, with its default)."""
    blocks = _template_sections()
    missing = sorted(set(SCHEMA) - set(blocks))
    assert not missing, f"add the section(s) {missing} to planner/template.py"
    for section, keys in SCHEMA.items():
        for key in keys:
            if key in ("x", "y", "crs") and section in ("facilities", "candidates"):
                assert "x, y, crs: as in [areas]" in blocks[section]
                continue
            pattern = rf"^#?\s*{key}\s*="
            assert re.search(pattern, blocks[section], flags=re.MULTILINE), (
                f"[{section}] {key} is not in the template (planner/template.py)"
            )


# ---------------------------------------------------------------------------
# validate: all problems at once, nothing computed
# ---------------------------------------------------------------------------


@pytest.fixture
def no_computation(monkeypatch):
    """Make every travel-time computation, network load and solve fail loudly."""
    redeploy = importlib.import_module("accessplan.capacity.redeploy")
    rolling = importlib.import_module("accessplan.capacity.rolling")
    network = importlib.import_module("accessplan.spatial.network")
    travel_time = importlib.import_module("accessplan.spatial.travel_time")

    def forbidden(*_args, **_kwargs):
        raise RuntimeError("validate must not compute")

    for module, name in (
        (travel_time, "network_travel_times"),
        (travel_time, "straight_line_travel_times"),
        (travel_time, "od_table_travel_times"),
        (network, "load_network"),
        (network, "network_from_place"),
        (redeploy, "redeploy"),
        (rolling, "rolling_horizon"),
    ):
        monkeypatch.setattr(module, name, forbidden)


def test_validate_a_valid_scenario_computes_nothing(tiny, capsys, no_computation):
    toml = tiny.write()
    assert main(["validate", str(toml)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert out.strip() == f"{toml}: valid (9 areas, 2 facilities, straight-line travel at 30 km/h)"
    assert not tiny.out.exists()


def test_validate_reports_every_problem_at_once(tiny, capsys, no_computation):
    tiny.sections["areas"]["population"] = "pop"  # misnamed column
    tiny.sections["facilities"]["path"] = "clinics.gpkg"  # missing file
    tiny.save_candidates(max_units=[20, -3])  # a negative capacity
    (tiny.folder / "roads.graphml").write_text("<html>not a network</html>", encoding="utf-8")
    tiny.sections["network"] = {"path": "roads.graphml"}
    toml = tiny.write()
    code = main(["validate", str(toml), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("accessplan: error: 4 problems")
    assert "column 'pop'" in err and "did you mean 'Pop'" in err
    assert "clinics.gpkg" in err and "does not exist" in err
    assert "candidates.gpkg" in err and "max_units" in err
    assert "roads.graphml: not a GraphML file" in err
    assert "Traceback" not in err and "must not compute" not in err
    assert not tiny.out.exists()


def test_validate_checks_od_table_ids_and_redeploy_tables(tiny, capsys, no_computation):
    pd.DataFrame(
        {"from": ["T0", "T1", "T9"], "to": ["H1", "H3", "H2"], "min": [3.0, "x", 4.0]}
    ).to_csv(tiny.folder / "times.csv", index=False)
    tiny.sections["network"] = {
        "od_table": {"path": "times.csv", "origin": "from", "site": "to", "minutes": "min"}
    }
    pd.DataFrame(
        {"facility": ["H1", "H7"], "resource": ["ventilators"] * 2, "fixed_units": [1, 1]}
        | {"mobile_units": [1, 1]}
    ).to_csv(tiny.folder / "stock.csv", index=False)
    tiny.sections["redeploy"] = {
        "surge": {"facility": "H1", "peak": 5, "periods": 3},
        "stock": "stock.csv",
    }
    code = main(["validate", str(tiny.write()), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "times.csv" in err and "column 'min'" in err and "not numbers" in err
    assert "unknown origin id" in err and "'T9'" in err
    assert "unknown site id" in err and "'H3'" in err
    assert "stock.csv" in err and "'H7'" in err
    assert "must not compute" not in err


def test_validate_with_set_and_a_bad_set(tiny, capsys, no_computation):
    toml = tiny.write()
    assert main(["validate", str(toml), "--set", "network.straight_line.speed_kph=60"]) == 0
    assert "straight-line travel at 60 km/h" in capsys.readouterr().out
    assert main(["validate", str(toml), "--set", "network.speed=60"]) == 2
    assert "--set 'network.speed=60': unknown key 'speed'" in capsys.readouterr().err


def test_validate_a_point_layer_from_csv(tiny, capsys, no_computation):
    """Areas as a CSV of points: the counts come from the same reader the run uses."""
    areas = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    points = areas.representative_point()
    pd.DataFrame(
        {"id": areas["Tract ID"], "people": areas["Pop"], "x": points.x, "y": points.y}
    ).to_csv(tiny.folder / "areas.csv", index=False)
    tiny.sections["areas"] = {
        "path": "areas.csv",
        "id": "id",
        "population": "people",
        "x": "x",
        "y": "y",
        "crs": tiny.crs,
    }
    assert main(["validate", str(tiny.write())]) == 0, capsys.readouterr().err
    assert "(9 areas, 2 facilities" in capsys.readouterr().out
