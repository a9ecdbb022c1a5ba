"""The command line fits habits: a command list, the headline last on stdout, -q/-v/--log-file,
``--set`` overrides, scenario.json naming the real output folder, and the PDF printer's edges.

Every run here is the tiny scenario of ``conftest.py`` (straight-line travel, nine areas).
"""

from __future__ import annotations

import json
import re

import pytest

from accessplan.data.errors import InputValidationError
from accessplan.maps.pdf import BrowserNotFoundError, count_pdf_pages, find_browser
from accessplan.planner.cli import main
from accessplan.planner.headline import headline_lines
from accessplan.planner.overrides import apply_overrides

COMMANDS = (
    "init",
    "validate",
    "demo",
    "access",
    "locate",
    "size",
    "plan",
    "redeploy",
    "sweep",
    "compare",
    "report",
)
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def _plan_ready(tiny) -> None:
    """The tiny scenario with two candidates and a coverage budget (a locate run)."""
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}


# ---------------------------------------------------------------------------
# accessplan with no arguments, --help, --version
# ---------------------------------------------------------------------------


def test_no_arguments_lists_every_command_on_stdout(capsys):
    assert main([]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("usage: accessplan")
    listed = {
        m.group(1) for m in re.finditer(r"^\s{4}(\w+)\s{2,}\S", captured.out, flags=re.MULTILINE)
    }
    assert listed == set(COMMANDS)


def test_help_version_and_usage_errors_return_codes(capsys):
    assert main(["--version"]) == 0
    assert main(["plan", "--help"]) == 0
    assert "--set SECTION.KEY=VALUE" in capsys.readouterr().out
    assert main(["plan", "s.toml", "-q", "-v"]) == 2  # usage error: not both
    assert "not allowed with" in capsys.readouterr().err
    assert main(["nonsense"]) == 2


# ---------------------------------------------------------------------------
# the headline: last on stdout, the numbers of summary.json
# ---------------------------------------------------------------------------


def test_headline_is_last_on_stdout_and_matches_summary(tiny, capsys):
    _plan_ready(tiny)
    assert main(["locate", str(tiny.write())]) == 0
    captured = capsys.readouterr()
    summary = json.loads((tiny.out / "summary.json").read_text())
    lines = captured.out.splitlines()
    # stdout holds the headline only; the step messages went to stderr
    assert lines[0].startswith("Result: ") and "accessplan:" not in captured.out
    assert "accessplan: reading areas" in captured.err
    assert lines[-1] == f"Outputs: {tiny.out.resolve()}"
    before, after = summary["inequity"], summary["inequity_after"]
    gini = next(line for line in lines if "access Gini:" in line)
    assert gini.endswith(f"{before['gini']:.3f} -> {after['gini']:.3f}")
    zero = next(line for line in lines if "population with no access:" in line)
    assert f"{before['share_zero']:.1%}" in zero and f"{after['share_zero']:.1%}" in zero
    sites = next(line for line in lines if "new sites:" in line)
    for site in summary["location"]["new_sites"]:
        assert site in sites
    cost = next(line for line in lines if "cost:" in line)
    plan = summary.get("plan", {})
    spent = plan.get("cost", summary["location"]["totals"]["cost"])
    assert f"{spent:,.0f}" in cost and "300" in cost


def test_headline_of_a_hand_written_summary():
    summary = {
        "scenario": "County",
        "inequity": {"gini": 0.25, "share_zero": 0.1, "population": 1000.0},
        "inequity_after": {"gini": 0.2, "share_zero": 0.0, "population": 1000.0},
        "demand": {"label": "people aged 65+"},
        "location": {"new_sites": ["C1", "C7"]},
        "plan": {
            "cost": 2.5e6,
            "budget": 3e6,
            "currency": "EUR",
            "verdict": "within budget",
            "new_sites": 2,
            "units_added": 40.0,
            "unit_label": "beds",
            "site_only": ["C7"],
            "newly_covered": 500.0,
            "cost_per_person_newly_covered": 5000.0,
        },
        "ventilators": {
            "needed": 12,
            "current": 10.0,
            "shortfall": 2.0,
            "target_wait_hours": 7,
            "credited_units": 4.0,
        },
    }
    lines = headline_lines(summary, folder="/nowhere")
    text = "\n".join(lines)
    assert lines[0] == "Result: County"
    assert "0.250 -> 0.200" in text
    assert "10.0% (100) -> 0.0% (0)" in text
    assert "2 (C1, C7), 40 beds added" in text
    assert "site only, no capacity:" in text and text.count("C7") == 2
    assert "2,500,000 EUR of a 3,000,000 EUR budget: within budget" in text
    assert "500 people aged 65+ (costing 5,000 EUR per person)" in text
    assert "12 needed for a 7 h mean wait, 10 in place (incl. 4 the plan bought), shortfall 2" in (
        text
    )
    assert lines[-1] == "Outputs: /nowhere"
    # nothing but a name: no crash, just the title and the folder
    assert headline_lines({}, folder="/x") == ["Result: x", "Outputs: /x"]


def test_headline_explains_an_empty_plan():
    summary = {
        "plan": {
            "new_sites": 0,
            "explanation": {"code": "all_covered", "text": "everyone is already covered"},
            "uniqueness": {"unique": False, "text": "every plan scores 0: a tie-break chose"},
        }
    }
    text = "\n".join(headline_lines(summary, folder="/x"))
    assert "new sites:                  0" in text
    assert "why:                        everyone is already covered" in text
    assert "a tie-break chose" in text


# ---------------------------------------------------------------------------
# -q, -v, --log-file
# ---------------------------------------------------------------------------


def test_quiet_keeps_the_headline_but_no_messages(tiny, capsys):
    assert main(["access", str(tiny.write()), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.splitlines()[-1] == f"Report: {tiny.out.resolve() / 'report.html'}"


def test_verbose_adds_debug_detail_and_step_times(tiny, capsys):
    assert main(["access", str(tiny.write()), "-v"]) == 0
    err = capsys.readouterr().err
    assert re.search(r"accessplan: \[\s*\d+\.\d\d s\] reading areas", err)
    assert "debug: accessplan " in err and "command: accessplan access" in err
    assert re.search(r"debug:\s+\d+\.\d\d s  in all", err)


def test_log_file_records_every_message_with_utc_time_even_when_quiet(tiny, capsys):
    log = tiny.folder / "run.log"
    assert main(["access", str(tiny.write()), "-q", "--log-file", str(log)]) == 0
    assert capsys.readouterr().err == ""
    lines = log.read_text(encoding="utf-8").splitlines()
    assert all(re.match(STAMP + " ", line) for line in lines)
    assert any(" accessplan: reading areas: " in line for line in lines)
    assert any("accessplan: debug: " in line for line in lines)  # debug is logged without -v
    assert any("Report: " in line for line in lines)
    # a failing run appends its error (and still shows it on stderr)
    tiny.sections["areas"]["population"] = "pop"
    assert main(["access", str(tiny.write()), "-q", "--log-file", str(log)]) == 2
    assert "did you mean 'Pop'" in capsys.readouterr().err
    tail = log.read_text(encoding="utf-8").splitlines()
    assert len(tail) > len(lines)
    assert any(re.match(STAMP + " accessplan: error: ", line) for line in tail[len(lines) :])


def test_log_file_that_cannot_be_opened_is_an_error(tiny, capsys):
    bad = tiny.folder / "no" / "such" / "run.log"
    assert main(["access", str(tiny.write()), "-q", "--log-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accessplan: error: cannot open the log file") and str(bad) in err
    assert not tiny.out.exists()


# ---------------------------------------------------------------------------
# --set and scenario.json
# ---------------------------------------------------------------------------


def test_set_changes_the_run_and_is_recorded(tiny, capsys):
    toml = tiny.write()
    assert main(["access", str(toml), "-q"]) == 0
    base = json.loads((tiny.out / "summary.json").read_text())
    sets = ["access.catchment_minutes=3", "access.method=e2sfca", "project.name=Tiny run"]
    args = ["access", str(toml), "-q"] + [a for s in sets for a in ("--set", s)]
    assert main(args) == 0, capsys.readouterr().err
    summary = json.loads((tiny.out / "summary.json").read_text())
    scenario = json.loads((tiny.out / "scenario.json").read_text())
    assert base["access"]["catchment_minutes"] == 10
    assert summary["access"]["catchment_minutes"] == 3
    assert summary["access"]["method"] == "e2sfca"
    assert scenario["overrides"] == sets
    assert scenario["access"]["method"] == "e2sfca" and scenario["project"]["name"] == "Tiny run"
    # 3 minutes at 30 km/h reach 1.5 km: fewer pairs than within 10 minutes
    assert summary["travel_times"]["pairs"] < base["travel_times"]["pairs"]
    assert "Result: Tiny run" in capsys.readouterr().out


def test_bad_set_items_are_all_named_exit_2_nothing_written(tiny, capsys):
    args = ["access", str(tiny.write()), "-q", "--set", 'access.method="2sfca', "--set", "budget"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("accessplan: error: 2 problems")
    assert "--set 'access.method=\"2sfca'" in err and "--set 'budget'" in err
    assert "Traceback" not in err
    assert not tiny.out.exists()


def test_set_value_checked_like_the_file(tiny, capsys):
    assert main(["access", str(tiny.write()), "-q", "--set", "access.catchment_minutes=-5"]) == 2
    assert "access.catchment_minutes" in capsys.readouterr().err


def test_scenario_json_records_the_real_output_folder(tiny, capsys):
    other = tiny.folder / "elsewhere"
    assert main(["access", str(tiny.write()), "-q", "--out", str(other)]) == 0
    scenario = json.loads((other / "scenario.json").read_text())
    assert scenario["output"]["dir"] == str(other.resolve())
    assert not tiny.out.exists()


def test_apply_overrides_values_nesting_and_no_mutation():
    data = {
        "network": {"path": "roads.graphml", "access_speed_kph": 5},
        "access": {"method": "e2sfca", "decay": {"type": "step", "steps": {"10": 1.0}}},
    }
    frozen = json.dumps(data, sort_keys=True)
    out = apply_overrides(
        data,
        [
            "location.budget=2e8",
            "access.method=2sfca",
            "access.normalize=true",
            'project.name="A = B"',
            "access.decay.steps.20=0.5",
            "network.straight_line.speed_kph=40",
            "location.budget=3e8",  # a later item wins
        ],
        source="s.toml",
    )
    assert json.dumps(data, sort_keys=True) == frozen  # the input is untouched
    assert out["location"]["budget"] == 3e8 and isinstance(out["location"]["budget"], float)
    assert out["access"]["method"] == "2sfca" and out["access"]["normalize"] is True
    assert out["project"]["name"] == "A = B"
    assert out["access"]["decay"]["steps"] == {"10": 1.0, "20": 0.5}
    # network sources are exclusive: straight_line replaces the file's path
    assert out["network"] == {"access_speed_kph": 5, "straight_line": {"speed_kph": 40}}


def test_apply_overrides_reports_every_malformed_item():
    with pytest.raises(InputValidationError) as info:
        apply_overrides(
            {"access": {"method": "2sfca", "decay": "gaussian"}},
            [
                "access.method",
                "=3",
                "access.method=",
                "acces.method=2sfca",
                "access.catchment_minutes.x=1",
                "access.decay.type=step",
                "access.decay={ type = ",
            ],
            source="s.toml",
        )
    problems = [p.message for p in info.value.problems]
    assert len(problems) == 7
    for item, problem in zip(
        ["access.method", "=3", "access.method=", "acces.method=2sfca"], problems, strict=False
    ):
        assert problem.startswith(f"--set {item!r}: ")
    assert "unknown section [acces]" in problems[3]
    assert "not a table" in problems[4]
    assert "access.decay is 'gaussian' in the scenario, not a table" in problems[5]
    assert "not a valid TOML value" in problems[6]


# ---------------------------------------------------------------------------
# the PDF printer's edges (the real print is tested on the demo plan, test_cli_init_validate)
# ---------------------------------------------------------------------------


def test_count_pdf_pages_counts_pages_not_the_page_tree():
    data = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n"
    data += b"3 0 obj <</Type/Page/Parent 1 0 R>>\n"
    assert count_pdf_pages(data) == 2


def test_missing_browser_is_a_clear_error_before_any_computation(tiny, capsys, monkeypatch):
    monkeypatch.setenv("ACCESSPLAN_CHROMIUM", str(tiny.folder / "no-such-chromium"))
    with pytest.raises(BrowserNotFoundError, match="install Chromium"):
        find_browser()
    _plan_ready(tiny)
    assert main(["plan", str(tiny.write()), "-q", "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("accessplan: error: ACCESSPLAN_CHROMIUM=") and "install" in err
    assert not tiny.out.exists()  # failed before the run, not after it


def test_report_command_on_a_finished_run_and_on_a_missing_report(tiny, capsys, monkeypatch):
    toml = tiny.write()
    assert main(["access", str(toml), "-q"]) == 0
    capsys.readouterr()
    assert main(["report", str(tiny.out)]) == 0
    out = capsys.readouterr().out.splitlines()
    summary = json.loads((tiny.out / "summary.json").read_text())
    report = tiny.out.resolve() / "report.html"
    assert out[0].startswith("Result: ") and out[-1] == f"Report: {report}"
    assert any(f"{summary['inequity']['gini']:.3f}" in line for line in out)
    # a folder without report.html that is no access run: --pdf says so, exit 2, nothing written
    (tiny.out / "access.gpkg").unlink()
    report.unlink()
    monkeypatch.setenv("ACCESSPLAN_CHROMIUM", "/bin/true")
    assert main(["report", str(tiny.out), "--pdf", "-q"]) == 2
    assert "report.html: does not exist" in capsys.readouterr().err
    assert not (tiny.out / "report.pdf").exists() and not report.exists()
    assert main(["report", str(tiny.folder / "nowhere"), "-q"]) == 2


def test_a_browser_that_prints_nothing_leaves_no_pdf(tmp_path, capsys, monkeypatch):
    (tmp_path / "report.html").write_text("<html><body>x</body></html>", encoding="utf-8")
    (tmp_path / "summary.json").write_text(json.dumps({"scenario": "S"}), encoding="utf-8")
    monkeypatch.setenv("ACCESSPLAN_CHROMIUM", "/bin/true")  # exits 0, writes no PDF
    assert main(["report", str(tmp_path), "--pdf", "-q"]) == 2
    assert "did not print" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "summary.json"]


def test_log_file_also_gets_what_others_write_to_stderr(tmp_path, capsys):
    """Quality warnings are printed by the pipeline; a progress bar is logged in its last state."""
    import sys

    from accessplan.planner.console import Console

    log = tmp_path / "run.log"
    console = Console(quiet=True, log_file=log)
    with console.capturing_stderr():
        print("accessplan: warning: 3 areas have no population", file=sys.stderr)
        sys.stderr.write("\rtravel times:  50%|#    |\rtravel times: 100%|#####|\n")
        sys.stderr.write("no newline at the end")
    console.close()
    err = capsys.readouterr().err
    assert "3 areas have no population" in err and "50%" in err  # still shown on the terminal
    logged = [line.split(" ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines()]
    assert logged == [
        "accessplan: warning: 3 areas have no population",
        "travel times: 100%|#####|",
        "no newline at the end",
    ]


def test_headline_of_a_sweep(tmp_path):
    from accessplan.planner.headline import headline_lines

    summary = {
        "scenario": "S",
        "points": 24,
        "proven_optimal": 23,
        "coverage_share": {"min": 0.925, "max": 1.0},
        "knee_points": [2, 11],
        "robust_sites": ["C12"],
        "robust": {"worst_share": 0.9649, "sites": ["C05", "C12"]},
    }
    text = "\n".join(headline_lines(summary, folder=tmp_path))
    assert "24 (23 proven optimal)" in text
    assert "92.5% to 100.0%" in text and "points:   2, 11" in text
    assert "sites chosen everywhere:    C12" in text
    assert "worst-case coverage 96.5% with C05, C12" in text
    assert text.endswith(f"Outputs: {tmp_path}")
