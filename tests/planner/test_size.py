"""``accessplan size`` end to end: arrivals from the access model, Erlang C by hand."""

from __future__ import annotations

import json
import math

import pandas as pd

from accessplan.planner.cli import main


def erlang_c_by_hand(servers: int, load: float) -> float:
    """The textbook Erlang C with factorials (fine for small N)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def smallest_servers(load: float, stay_hours: float, target_hours: float) -> int:
    n = math.floor(load) + 1
    while erlang_c_by_hand(n, load) * stay_hours / (n - load) > target_hours:
        n += 1
    return n


def test_size_one_hospital_serves_everyone(tiny, capsys):
    # one hospital in reach of every area: it receives every patient of the region
    tiny.sections["access"]["catchment_minutes"] = 30
    tiny.sections["ventilators"] = {
        "patients_per_100k_day": 2000.0,
        "mean_stay_days": 2.0,
        "target_wait_hours": 3.0,
        "pool": 4,
    }
    assert main(["size", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    table = pd.read_csv(tiny.out / "ventilators.csv", index_col="site_id")
    population = sum(100.0 * (k + 1) for k in range(9))  # the tiny areas: 100..900
    # Huff shares with capacity attractiveness and uniform decay: 50 / 70 and 20 / 70
    total = 2000.0 * population / 1e5
    assert math.isclose(table["arrivals_per_day"].sum(), total, rel_tol=1e-12)
    assert math.isclose(table.loc["H1", "arrivals_per_day"], total * 50 / 70, rel_tol=1e-12)
    for site in ("H1", "H2"):
        load = table.loc[site, "arrivals_per_day"] * 2.0
        assert math.isclose(table.loc[site, "offered_load"], load, rel_tol=1e-12)
        assert table.loc[site, "ventilators_needed"] == smallest_servers(load, 48.0, 3.0)
    # current ventilators come from the facilities' "Total Vent" column (5 and 2)
    assert list(table["current"]) == [5.0, 2.0]
    assert (
        table["shortfall"] == (table["ventilators_needed"] - table["current"]).clip(lower=0)
    ).all()
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["ventilators"]["needed"] == table["ventilators_needed"].sum()
    pool = pd.read_csv(tiny.out / "ventilator_pool.csv", index_col="site_id")
    assert pool["added"].sum() == 4 and (pool["final"] == pool["current"] + pool["added"]).all()


def test_size_needs_its_section_keys(tiny, capsys):
    tiny.sections["ventilators"] = {"mean_stay_days": -1, "pool_objective": "fastest"}
    assert main(["size", str(tiny.write()), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "ventilators.patients_per_100k_day" in err
    assert "ventilators.mean_stay_days" in err and "ventilators.pool_objective" in err


def test_size_without_section_is_an_error(tiny, capsys):
    assert main(["size", str(tiny.write()), "--quiet"]) == 2
    assert "no [ventilators] section" in capsys.readouterr().err
