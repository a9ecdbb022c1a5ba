"""Supply prices of the redeployment model: the value of one more unit, checked by re-solving.

Brute force: one more unit on hand at facility ``i`` from period ``t`` on is the same as a
source facility ``S`` holding one mobile unit and a free transfer ``S -> i`` that arrives at
``t`` (for ``t >= 1``), or one more mobile unit in ``i``'s stock (for ``t = 0``). Solving the
model twice through the public function gives the value independently of the price code.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from accessplan.capacity.redeploy import redeploy
from accessplan.data.errors import InputValidationError
from accessplan.location.solver import SolverOptions

SOLVERS = ["cbc", "highs"]
COLUMNS = ("facility", "resource", "period", "demand")


def _resources(*, integer=False, penalty=100.0, op_mobile=5.0):
    return pd.DataFrame(
        {
            "resource": ["vent"],
            "integer": [integer],
            "unmet_penalty": [penalty],
            "operating_cost_mobile": [op_mobile],
            "operating_cost_fixed": [0.0],
            "critical": [False],
        }
    )


def _transfer(rows):
    return pd.DataFrame(
        rows, columns=["from_facility", "to_facility", "delay_periods", "cost_per_unit"]
    )


def _stock(rows):
    return pd.DataFrame(rows, columns=["facility", "resource", "fixed_units", "mobile_units"])


def _instance():
    """A needs 10 a period with 4 fixed units; B holds 5 mobile units (one period from A);
    D is a depot with nothing, no demand and no transfer: a unit there reaches no one."""
    demand = pd.DataFrame(
        [("A", "vent", t, 10) for t in range(3)]
        + [("B", "vent", t, 0) for t in range(3)]
        + [("D", "vent", t, 0) for t in range(3)],
        columns=list(COLUMNS),
    )
    stock = _stock([("A", "vent", 4, 0), ("B", "vent", 0, 5), ("D", "vent", 0, 0)])
    return demand, stock, _transfer([("B", "A", 1, 2.0)])


def _prices(plan):
    return plan.shadow_prices.set_index(["facility", "period"])


def _brute_more(demand, stock, transfer, resources, facility, period, solver):
    """Cost now minus cost with one more unit at ``facility`` from ``period`` on."""
    # only the objectives are needed: no price re-solves
    options = {"solver_options": SolverOptions(solver=solver), "price_resolves": 0}
    base = redeploy(demand, stock, transfer, resources, **options)
    if period == 0:
        more = stock.copy()
        more.loc[more["facility"] == facility, "mobile_units"] += 1
        plus = redeploy(demand, more, transfer, resources, **options)
    else:
        more = pd.concat([stock, _stock([("S", "vent", 0, 1)])], ignore_index=True)
        route = pd.concat([transfer, _transfer([("S", facility, period, 0.0)])], ignore_index=True)
        plus = redeploy(demand, more, route, resources, **options)
    return base.report.objective - plus.report.objective


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_unit_that_reaches_no_one_is_worth_nothing_with_either_solver(solver):
    demand, stock, transfer = _instance()
    plan = redeploy(
        demand, stock, transfer, _resources(), solver_options=SolverOptions(solver=solver)
    )
    prices = _prices(plan)
    # B in the last period: no demand at B and no transfer can arrive in time. CBC's dual
    # here was 93 (the penalty less the operating and transfer costs); the value is 0
    assert prices.loc[("B", 2), "supply_value"] == 0
    assert prices.loc[("B", 2), "value_of_one_more_unit"] == 0
    # the depot that can reach no one, every period
    for t in range(3):
        assert prices.loc[("D", t), "supply_value"] == 0
    # where a unit does reach someone the price is its value: B at 0 ships to A for
    # periods 1 and 2 (2 x (100 - 5) - 2 = 188); at A from t, (100 - 5) per period left
    assert prices.loc[("B", 0), "supply_value"] == pytest.approx(188)
    assert prices.loc[("B", 1), "supply_value"] == pytest.approx(93)
    for t, value in enumerate([285, 190, 95]):
        assert prices.loc[("A", t), "supply_value"] == pytest.approx(value)
    # the published price never exceeds a valid dual and is never below 0
    sv = plan.shadow_prices["supply_value"]
    assert (sv >= 0).all()
    assert (sv <= plan.shadow_prices["lp_dual"] + 1e-6).all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_value_of_one_more_unit_equals_brute_force_for_every_cell(solver):
    demand, stock, transfer = _instance()
    resources = _resources()
    plan = redeploy(demand, stock, transfer, resources, solver_options=SolverOptions(solver=solver))
    prices = _prices(plan)
    for facility in ("A", "B", "D"):
        for t in range(3):
            brute = _brute_more(demand, stock, transfer, resources, facility, t, solver)
            assert prices.loc[(facility, t), "value_of_one_more_unit"] == pytest.approx(
                brute, abs=1e-6
            ), (facility, t)


def test_value_of_one_more_integer_unit_equals_brute_force():
    """An integer resource: the price LP lets shipments grow, so B's unit is still worth
    shipping (the MIP re-solved with one more unit agrees)."""
    demand, stock, transfer = _instance()
    resources = _resources(integer=True)
    plan = redeploy(demand, stock, transfer, resources)
    prices = _prices(plan)
    for facility, t in (("A", 0), ("A", 2), ("B", 0), ("B", 1), ("B", 2), ("D", 1)):
        brute = _brute_more(demand, stock, transfer, resources, facility, t, "cbc")
        assert prices.loc[(facility, t), "supply_value"] == pytest.approx(brute), (facility, t)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_less_unit_equals_brute_force_and_a_unique_price(solver):
    demand, stock, transfer = _instance()
    resources = _resources()
    options = SolverOptions(solver=solver)
    plan = redeploy(demand, stock, transfer, resources, solver_options=options)
    fewer = stock.copy()
    fewer.loc[fewer["facility"] == "B", "mobile_units"] -= 1
    minus = redeploy(demand, fewer, transfer, resources, solver_options=options, price_resolves=0)
    row = _prices(plan).loc[("B", 0)]
    assert row["value_of_one_less_unit"] == pytest.approx(
        minus.report.objective - plan.report.objective
    )
    # B at 0: adding or removing one of its units changes the cost by 188 either way,
    # and the dual says the same: a unique price
    assert row["value_of_one_less_unit"] == pytest.approx(188)
    assert row["lp_dual"] == pytest.approx(188)
    assert bool(row["unique"]) is True
    assert row["price_note"].startswith("unique")
    # no unit on hand at D: there is nothing to take away, so only one side is known
    d = _prices(plan).loc[("D", 0)]
    assert math.isnan(d["value_of_one_less_unit"])
    assert pd.isna(d["unique"])
    assert "no unit on hand" in d["price_note"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_a_facility_exactly_at_its_need_has_no_unique_price(solver):
    """A needs 5 and holds 5 mobile units: one more is worth 0, one less costs 100 - 5."""
    demand = pd.DataFrame([("A", "vent", 0, 5)], columns=list(COLUMNS))
    stock = _stock([("A", "vent", 0, 5)])
    plan = redeploy(
        demand, stock, _transfer([]), _resources(), solver_options=SolverOptions(solver=solver)
    )
    row = _prices(plan).loc[("A", 0)]
    assert row["value_of_one_more_unit"] == 0
    assert row["supply_value"] == 0
    assert row["value_of_one_less_unit"] == pytest.approx(95)
    assert bool(row["unique"]) is False
    assert "not unique" in row["price_note"]


def test_without_re_solves_positive_duals_are_not_published():
    demand, stock, transfer = _instance()
    plan = redeploy(demand, stock, transfer, _resources(), price_resolves=0)
    prices = _prices(plan)
    # a positive dual could be a degenerate one: not published unchecked
    assert math.isnan(prices.loc[("A", 0), "supply_value"])
    assert prices.loc[("A", 0), "lp_dual"] == pytest.approx(285)
    assert "not checked" in prices.loc[("A", 0), "price_note"]
    # a zero dual is a proof that one more unit is worth 0 (the cost is convex in the units)
    zero = plan.shadow_prices[plan.shadow_prices["lp_dual"].abs() < 1e-9]
    assert len(zero) and (zero["supply_value"] == 0).all()
    assert plan.price_check.resolves == 0
    assert plan.price_check.unchecked == int(plan.shadow_prices["supply_value"].isna().sum())
    # the best price per period skips unchecked cells
    assert not plan.supply_prices["supply_value"].isna().any()


def test_best_supply_price_per_period_is_the_largest_checked_value():
    demand, stock, transfer = _instance()
    plan = redeploy(demand, stock, transfer, _resources())
    best = plan.supply_prices.set_index("period")
    assert best.loc[0, "facility"] == "A" and best.loc[0, "supply_value"] == pytest.approx(285)
    assert best.loc[2, "facility"] == "A" and best.loc[2, "supply_value"] == pytest.approx(95)
    assert plan.price_check.resolves > 0


def test_price_options_are_checked():
    demand, stock, transfer = _instance()
    with pytest.raises(InputValidationError) as info:
        redeploy(
            demand, stock, transfer, _resources(), price_resolves=-1, price_time_budget_s=math.nan
        )
    text = str(info.value)
    assert "price_resolves" in text and "price_time_budget_s" in text


def test_one_more_unit_at_the_receiver_saves_a_shipment():
    """H1 holds 5 units and needs 1; H2 holds 2 and needs 4 in periods 1 and 2; a unit
    costs 10 to send (one period). The plan sends 2; with one more unit at H2 it sends 1:
    the unit is worth the transfer it saves, 10 (whole units, re-planned: the MIP agrees)."""
    demand = pd.DataFrame(
        [("H1", "vent", t, 1) for t in range(3)]
        + [("H2", "vent", t, d) for t, d in enumerate([1, 4, 4])],
        columns=list(COLUMNS),
    )
    stock = _stock([("H1", "vent", 0, 5), ("H2", "vent", 0, 2)])
    transfer = _transfer([("H1", "H2", 1, 10.0), ("H2", "H1", 1, 10.0)])
    resources = _resources(integer=True, penalty=1000.0, op_mobile=0.0)
    plan = redeploy(demand, stock, transfer, resources)
    assert plan.moves["units"].sum() == 2
    assert plan.price_check.lp == "relaxation"
    prices = _prices(plan)
    for facility, t, value in (("H2", 0, 10), ("H2", 1, 10), ("H2", 2, 0), ("H1", 0, 0)):
        brute = _brute_more(demand, stock, transfer, resources, facility, t, "cbc")
        assert brute == pytest.approx(value)
        assert prices.loc[(facility, t), "supply_value"] == pytest.approx(value), (facility, t)


def test_prices_of_a_plan_whose_relaxation_is_cheaper_hold_the_moves():
    """A fractional demand of a whole-unit resource: the LP relaxation would serve 2.5
    with 2.5 units, cheaper than the plan, so the price LP holds the plan's moves."""
    demand = pd.DataFrame(
        [("A", "vent", t, 2.5) for t in range(2)] + [("B", "vent", t, 0) for t in range(2)],
        columns=list(COLUMNS),
    )
    stock = _stock([("A", "vent", 0, 0), ("B", "vent", 0, 4)])
    plan = redeploy(
        demand,
        stock,
        _transfer([("B", "A", 1, 1.0)]),
        _resources(integer=True, penalty=100.0, op_mobile=5.0),
    )
    assert plan.price_check.lp == "moves held"
    sv = plan.shadow_prices["supply_value"]
    assert (sv >= 0).all()
    assert (sv <= plan.shadow_prices["lp_dual"] + 1e-6).all()
