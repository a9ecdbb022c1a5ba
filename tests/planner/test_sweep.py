"""The sweep engine on the tiny region, against numbers worked by hand.

The tiny region (``conftest.py``): nine 1 km cells T0..T8 (cell (i, j) is
T(3i + j), population 100 (k + 1)), hospitals H1 in T0 and H2 in T8, candidate
C1 in T6 (cost 100 + 5 units x 10 = 150) and C2 in T2 (cost 120 + 50 = 170),
straight-line travel at 30 km/h (1 km = 2 minutes). Within 3 minutes a site
reaches its own cell, the two edge neighbours and the diagonal one towards the
centre (sqrt(2) km = 2.83 min): H1 covers T0 T1 T3 T4, H2 covers T4 T5 T7 T8,
C1 covers T3 T4 T6 T7, C2 covers T1 T2 T4 T5. Population 4,500; before any
plan T2 (300) and T6 (700) are uncovered: coverage 3,500 / 4,500.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.planner.scenario import load_scenario
from accessplan.planner.sweep import SWEEP_COLUMNS, run_sweep, sweep_points

POP = 4500.0


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    return '"' + str(value) + '"'


def sweep_scenario(tiny, sweep: dict, **location):
    """The tiny scenario with candidates, a coverage [location] and ``[sweep]``."""
    tiny.save_candidates()
    tiny.sections["location"] = {
        "objective": "coverage",
        "budget": 150.0,
        "catchment_minutes": 3.0,
        **location,
    }
    toml = tiny.write()
    lines = ["", "[sweep]"] + [f"{k} = {toml_value(v)}" for k, v in sweep.items()]
    with toml.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return toml


def test_points_are_the_product_of_the_dimensions(tiny):
    toml = sweep_scenario(
        tiny,
        {
            "budgets": [100.0, 150.0],
            "catchment_minutes": [3, 5],
            "growth": [1.0, 1.5],
            "close": [[], ["H1"]],
        },
    )
    points = sweep_points(load_scenario(toml))
    assert len(points) == 16
    assert [p.index for p in points] == list(range(16))
    combos = {(p.budget, p.catchment_minutes, p.growth, p.closed) for p in points}
    assert len(combos) == 16
    # the points of one chain (catchment, growth, closure) are consecutive, budgets increasing
    assert [p.budget for p in points[:2]] == [100.0, 150.0]
    assert points[0].group == points[1].group != points[2].group


def test_missing_dimension_takes_the_scenarios_value(tiny):
    points = sweep_points(load_scenario(sweep_scenario(tiny, {"growth": [1.0, 2.0]})))
    assert [(p.budget, p.catchment_minutes, p.growth, p.closed) for p in points] == [
        (150.0, 3.0, 1.0, ()),
        (150.0, 3.0, 2.0, ()),
    ]


def test_budget_sweep_by_hand_monotone_and_travel_once(tiny, monkeypatch):
    from accessplan.planner.runs import Router

    calls = []
    original = Router.travel_times

    def spy(self, sites, *, max_minutes, sites_label, **options):
        calls.append((len(sites), max_minutes))
        return original(self, sites, max_minutes=max_minutes, sites_label=sites_label, **options)

    monkeypatch.setattr(Router, "travel_times", spy)
    toml = sweep_scenario(
        tiny, {"budgets": {"start": 50.0, "stop": 350.0, "step": 50.0}, "catchment_minutes": [3, 2]}
    )
    run = run_sweep(load_scenario(toml), progress=False)
    # one routing, to the 2 hospitals + 2 candidates, within the largest catchment (access: 10)
    assert calls == [(4, 10.0)]
    table = run.table
    assert tuple(table.columns) == SWEEP_COLUMNS
    assert list(table["point"]) == list(range(14))
    at3 = table[table["catchment_minutes"] == 3.0].set_index("budget")
    assert np.allclose(at3["coverage_share_before"], 3500 / POP)
    # 50, 100: nothing affordable; 150..300: C1 (T6, 700 people); 350: C1 + C2 (all)
    expected = {50: 3500, 100: 3500, 150: 4200, 200: 4200, 250: 4200, 300: 4200, 350: 4500}
    assert np.allclose(at3["coverage_share"], [expected[b] / POP for b in at3.index])
    assert list(at3["sites"].fillna("")) == ["", "", "C1", "C1", "C1", "C1", "C1;C2"]
    assert list(at3["cost"]) == [0, 0, 150, 150, 150, 150, 320]
    assert list(at3["newly_covered"]) == [0, 0, 700, 700, 700, 700, 1000]
    assert at3["proven_optimal"].all() and (at3["status"] == "optimal").all()
    # coverage never falls as the budget grows, in every chain
    for _, chain in table.groupby("catchment_minutes"):
        shares = chain.sort_values("budget")["coverage_share"].to_numpy()
        assert (np.diff(shares) >= -1e-12).all()
    # within 2 minutes (1 km) only the own cell and edge neighbours
    at2 = table[table["catchment_minutes"] == 2.0]
    # H1: T0 T1 T3; H2: T5 T7 T8 -> 100+200+400 + 600+800+900 = 3000
    assert np.allclose(at2["coverage_share_before"], 3000 / POP)


def test_closure_lowers_coverage_before_by_hand(tiny):
    toml = sweep_scenario(tiny, {"budgets": [100.0], "close": [[], ["H1"]]})
    table = run_sweep(load_scenario(toml), progress=False).table.set_index("closed")
    closed = table.loc["H1"]
    # without H1 only H2's T4 T5 T7 T8 are covered: 500 + 600 + 800 + 900
    assert closed["coverage_share_before"] == pytest.approx(2800 / POP)
    assert table.loc[""]["coverage_share_before"] == pytest.approx(3500 / POP)
    # H1's cell now has no supply within reach: zero access rises
    assert closed["zero_access_share_before"] > table.loc[""]["zero_access_share_before"]


def test_growth_multiplies_demand(tiny):
    toml = sweep_scenario(tiny, {"budgets": [150.0], "growth": [1.0, 1.5]})
    table = run_sweep(load_scenario(toml), progress=False).table.set_index("growth")
    assert table.loc[1.0, "population"] == pytest.approx(POP)
    assert table.loc[1.5, "population"] == pytest.approx(1.5 * POP)
    # C1 newly covers T6: 700 people, 1,050 after growth; the shares do not change
    assert table.loc[1.0, "newly_covered"] == pytest.approx(700.0)
    assert table.loc[1.5, "newly_covered"] == pytest.approx(1050.0)
    assert table.loc[1.5, "objective"] == pytest.approx(1.5 * table.loc[1.0, "objective"])
    assert table.loc[1.5, "coverage_share"] == pytest.approx(table.loc[1.0, "coverage_share"])


def test_two_jobs_give_the_same_table_as_one(tiny):
    toml = sweep_scenario(
        tiny, {"budgets": [100.0, 150.0, 350.0], "catchment_minutes": [3, 5], "close": [[], ["H2"]]}
    )
    scenario = load_scenario(toml)
    one = run_sweep(scenario, jobs=1, progress=False).table
    two = run_sweep(scenario, jobs=2, progress=False).table
    drop = ["seconds"]
    pd.testing.assert_frame_equal(one.drop(columns=drop), two.drop(columns=drop))


BAD = [
    ({"budgets": []}, "sweep.budgets", "no values"),
    ({"budgets": [100.0, 100.0]}, "sweep.budgets", "strictly increasing"),
    ({"budgets": [200.0, 100.0]}, "sweep.budgets", "strictly increasing"),
    ({"budgets": [0.0, 100.0]}, "sweep.budgets", "> 0"),
    ({"budgets": {"start": 10.0, "stop": 50.0, "step": 0.0}}, "sweep.budgets", "step must be > 0"),
    ({"budgets": {"start": 50.0, "stop": 10.0, "step": 5.0}}, "sweep.budgets", "below its start"),
    ({"catchment_minutes": []}, "sweep.catchment_minutes", "no values"),
    ({"growth": []}, "sweep.growth", "no values"),
    ({"growth": [1.0, -1.0]}, "sweep.growth", "positive"),
    ({"close": []}, "sweep.close", "no values"),
    ({"jobs": 0}, "sweep.jobs", ">= 1"),
    ({"jobs": 10_000}, "sweep.jobs", "cores"),
    ({"robust": "best"}, "sweep.robust", "'best'"),
    ({"pareto": {"points": 5, "equity": "fair"}}, "sweep.pareto", "'fair'"),
]


@pytest.mark.parametrize(("sweep", "key", "words"), BAD)
def test_bad_sweep_refused_before_any_solve(tiny, sweep, key, words):
    toml = sweep_scenario(tiny, sweep)
    with pytest.raises(InputValidationError) as info:
        load_scenario(toml)
    message = str(info.value)
    assert key in message and words in message
    assert len(info.value.problems) == 1


def test_all_bad_sweep_values_reported_at_once(tiny):
    toml = sweep_scenario(tiny, {"budgets": [], "growth": [], "jobs": 0, "robust": "x"})
    with pytest.raises(InputValidationError) as info:
        load_scenario(toml)
    keys = {p.column for p in info.value.problems}
    assert keys == {"sweep.budgets", "sweep.growth", "sweep.jobs", "sweep.robust"}


def test_unknown_closure_named_with_its_file_before_routing(tiny, monkeypatch):
    from accessplan.planner.runs import Router

    def no_routing(*args, **kwargs):
        raise AssertionError("travel times computed before the closures were checked")

    monkeypatch.setattr(Router, "travel_times", no_routing)
    toml = sweep_scenario(tiny, {"close": [["H1"], ["H9", "H7"]]})
    with pytest.raises(InputValidationError) as info:
        run_sweep(load_scenario(toml), progress=False)
    message = str(info.value)
    assert "'H7'" in message and "'H9'" in message and "hospitals.gpkg" in message
    assert "'H1'" not in message.split("known")[0]


def test_more_jobs_than_cores_from_the_caller(tiny):
    import os

    scenario = load_scenario(sweep_scenario(tiny, {"budgets": [100.0]}))
    with pytest.raises(AccessplanError, match="cores"):
        run_sweep(scenario, jobs=(os.cpu_count() or 1) + 1, progress=False)


def test_outputs_written_atomically_with_agreed_names(tiny):
    import json

    import pyogrio

    from accessplan.planner.sweep import write_sweep_outputs

    toml = sweep_scenario(tiny, {"budgets": [100.0, 150.0], "close": [[], ["H1"]]})
    run = run_sweep(load_scenario(toml), progress=False)
    out = write_sweep_outputs(run, tiny.out)
    table = pd.read_csv(out / "sweep.csv")
    assert tuple(table.columns) == SWEEP_COLUMNS
    assert len(table) == 4
    layers = {name for name, _ in pyogrio.list_layers(out / "sweep.gpkg")}
    expected = {f"point_{n}_{kind}" for n in range(4) for kind in ("sites", "areas")}
    assert expected | {"candidates"} == layers
    sites = pyogrio.read_dataframe(out / "sweep.gpkg", layer="point_1_sites")
    assert list(sites["site_id"]) == ["C1"]
    areas = pyogrio.read_dataframe(out / "sweep.gpkg", layer="point_3_areas")
    assert len(areas) == 9
    # H1 closed, C1 open: T6 (700) and T3 (400, lost with H1, reached by C1) newly covered
    newly = set(areas.loc[areas["newly_covered"].astype(bool), "area_id"])
    assert newly == {"T3", "T6"}
    frequency = pd.read_csv(out / "site_frequency.csv").set_index("site_id")
    # C1 is chosen at budget 150 in both closures: 2 of the 4 points
    assert frequency.loc["C1", "frequency"] == pytest.approx(0.5)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["points"] == 4 and summary["proven_optimal"] == 4
    assert (out / "frontier.csv").is_file() and (out / "scenario.json").is_file()
    assert not [p for p in tiny.folder.iterdir() if p.name.startswith(".out.")]


def test_robust_plan_beside_each_scenarios_own_optimum(tiny):
    toml = sweep_scenario(
        tiny,
        {"catchment_minutes": [3, 2], "close": [[], ["H2"]], "robust": "max_min_coverage"},
        budget=170.0,
    )
    run = run_sweep(load_scenario(toml), progress=False)
    table = run.robust.table
    assert len(table) == 4
    assert (table["own_share"] >= table["coverage_share"] - 1e-9).all()
    # brute force over the affordable plans ({}, {C1}, {C2}; both cost 320 > 170):
    # the robust plan's worst share is the best worst share of any of them
    worst = {}
    for plan in ((), ("C1",), ("C2",)):
        shares = []
        for catchment in (3, 2):
            for closed in ((), ("H2",)):
                sites = [s for s in ("H1", "H2") if s not in closed] + list(plan)
                shares.append(_share_covered(sites, catchment))
        worst[plan] = min(shares)
    assert table["coverage_share"].min() == pytest.approx(max(worst.values()))


def _share_covered(sites, catchment) -> float:
    """Population share within ``catchment`` minutes (2 min per km) of any of ``sites``."""
    where = {"H1": (0, 0), "H2": (2, 2), "C1": (2, 0), "C2": (0, 2)}
    covered = 0.0
    for i in range(3):
        for j in range(3):
            if any(2 * np.hypot(i - where[s][0], j - where[s][1]) <= catchment for s in sites):
                covered += 100.0 * (3 * i + j + 1)
    return covered / POP


def test_pareto_frontier_starts_at_the_sweeps_best_coverage(tiny):
    import pyogrio

    from accessplan.planner.sweep import write_sweep_outputs

    toml = sweep_scenario(
        tiny,
        {
            "budgets": [170.0],
            "pareto": {"points": 3, "equity": "min_access_deviation", "write_point": 0},
        },
        budget=170.0,
    )
    run = run_sweep(load_scenario(toml), progress=False)
    table = run.pareto.table
    assert len(table) >= 1 and table["proven_optimal"].all()
    # the most-coverage end of the frontier covers what the sweep's plan at that budget covers
    assert table["coverage"].iloc[0] == pytest.approx(run.table["objective"].iloc[0])
    out = write_sweep_outputs(run, tiny.out)
    assert (out / "pareto.csv").is_file()
    layers = {name for name, _ in pyogrio.list_layers(out / "pareto_plan.gpkg")}
    assert layers == {"pareto_point_0_sites", "pareto_point_0_areas"}


@pytest.mark.parametrize(
    ("sweep", "args", "words"),
    [
        ({"close": [["H1"], ["H9"]]}, [], "'H9'"),
        ({"budgets": [150.0, 100.0]}, [], "strictly increasing"),
        ({"budgets": [100.0]}, ["--jobs", "9999"], "cores"),
    ],
)
def test_cli_refuses_bad_sweeps_with_exit_2_and_no_outputs(tiny, capsys, sweep, args, words):
    from accessplan.planner.cli import main

    toml = sweep_scenario(tiny, sweep)
    code = main(["sweep", str(toml), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("accessplan: error: ") and words in err
    assert "Traceback" not in err
    assert not tiny.out.exists()
    assert not [p for p in tiny.folder.iterdir() if p.name.startswith(".out.")]


def test_a_point_not_proven_optimal_shows_status_and_gap(tiny, monkeypatch):
    import dataclasses

    from accessplan.planner import sweep as sweep_module
    from accessplan.planner.sweep_outputs import sweep_summary

    original = sweep_module.solve_location_model

    def stopped_early(spec, *args, **kwargs):
        result = original(spec, *args, **kwargs)
        if spec.budget == 350.0:  # as if the time limit stopped this point's solver
            report = dataclasses.replace(result.report, status="feasible", gap=0.05)
            result = dataclasses.replace(result, report=report)
        return result

    monkeypatch.setattr(sweep_module, "solve_location_model", stopped_early)
    toml = sweep_scenario(tiny, {"budgets": [150.0, 350.0]})
    run = run_sweep(load_scenario(toml), jobs=1, progress=False)
    row = run.table.set_index("budget").loc[350.0]
    assert row["status"] == "feasible" and not row["proven_optimal"]
    assert row["gap"] == pytest.approx(0.05)
    assert run.table.set_index("budget").loc[150.0, "proven_optimal"]
    assert sweep_summary(run)["not_proven"] == [1]


def test_validate_names_unknown_closures_with_the_other_problems(tiny, capsys):
    from accessplan.planner.cli import main

    tiny.sections["areas"]["population"] = "Popp"  # a second, unrelated problem
    toml = sweep_scenario(tiny, {"close": [["H9"]]})
    assert main(["validate", str(toml)]) == 2
    err = capsys.readouterr().err
    assert "'H9'" in err and "hospitals.gpkg" in err and "'Popp'" in err
