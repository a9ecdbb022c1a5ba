"""Tests of the multi-period redeployment model on instances small enough to solve by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accessplan.capacity.redeploy import redeploy
from accessplan.data.errors import InputValidationError
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.solver import SolverOptions

SOLVERS = ["cbc", "highs"]


def _demand(rows):
    return pd.DataFrame(rows, columns=["facility", "resource", "period", "demand"])


def _stock(rows):
    return pd.DataFrame(rows, columns=["facility", "resource", "fixed_units", "mobile_units"])


def _transfer(rows):
    return pd.DataFrame(
        rows, columns=["from_facility", "to_facility", "delay_periods", "cost_per_unit"]
    )


def _resources(
    *, integer=True, penalty=100.0, op_mobile=0.0, op_fixed=0.0, ramp=None, critical=True
):
    return pd.DataFrame(
        {
            "resource": ["vent"],
            "integer": [integer],
            "unmet_penalty": [penalty],
            "operating_cost_mobile": [op_mobile],
            "operating_cost_fixed": [op_fixed],
            "ramp_limit": [ramp],
            "critical": [critical],
        }
    )


def _surge_at_a(periods=3):
    """A needs 10 every period and owns 4 fixed units; B has 5 spare mobile units."""
    demand = _demand(
        [("A", "vent", t, 10) for t in range(periods)]
        + [("B", "vent", t, 0) for t in range(periods)]
    )
    stock = _stock([("A", "vent", 4, 0), ("B", "vent", 0, 5)])
    return demand, stock


def _unmet_at(plan, facility):
    u = plan.unmet[plan.unmet["facility"] == facility].sort_values("period")
    return u["unmet"].to_numpy()


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_transfer_with_delay(solver):
    demand, stock = _surge_at_a()
    resources = _resources(op_mobile=1.0, op_fixed=0.5)
    options = SolverOptions(solver=solver)
    plan = redeploy(
        demand, stock, _transfer([("B", "A", 1, 2.0)]), resources, solver_options=options
    )
    alone = redeploy(demand, stock, _transfer([]), resources, solver_options=options)
    assert plan.report.proven_optimal and alone.report.proven_optimal
    # by hand: 4 fixed units serve A throughout (4 * 0.5 * 3 = 6); the 5 mobile units
    # leave B at 0, arrive at 1 and serve periods 1, 2 (5 * 1 * 2 = 10); transfer 5 * 2 = 10;
    # unmet 6 + 1 + 1 = 8 at 100 each
    assert plan.report.objective == pytest.approx(6 + 10 + 10 + 800)
    assert alone.report.objective == pytest.approx(6 + 1800)
    moves = plan.moves
    assert len(moves) == 1
    move = moves.iloc[0]
    assert (move.from_facility, move.to_facility, move.units) == ("B", "A", 5)
    assert (move.depart_period, move.arrive_period, move.cost) == (0, 1, 10)
    assert "shortfall 6" in move.answers
    # unmet at the surge facility falls by the shipped amount from t + 1 on
    np.testing.assert_allclose(_unmet_at(alone, "A") - _unmet_at(plan, "A"), [0, 5, 5])
    t = plan.totals
    assert (t.transfer, t.operating_mobile, t.operating_fixed, t.unmet_penalty) == pytest.approx(
        (10, 10, 6, 800)
    )
    assert t.total == pytest.approx(plan.report.objective)
    assert t.total_unmet == pytest.approx(8)
    # while in transit the units serve nobody and sit on no shelf
    inv = plan.inventory.set_index(["facility", "period"])
    assert inv.loc[("A", 0), "in_transit_to"] == 5
    assert inv.loc[("B", 0), "on_hand"] == 0 and inv.loc[("A", 1), "on_hand"] == 5
    # shadow prices: one more unit of demand at A costs the penalty; one more mobile unit
    # on hand at A from period t saves (penalty - operating cost) in each period left
    sp = plan.shadow_prices[plan.shadow_prices["facility"] == "A"].sort_values("period")
    np.testing.assert_allclose(sp["demand_price"], [100, 100, 100])
    np.testing.assert_allclose(sp["supply_value"], [3 * 99, 2 * 99, 99])
    best = plan.supply_prices.sort_values("period")
    assert list(best["facility"]) == ["A", "A", "A"]


def test_discount_scales_each_period():
    demand, stock = _surge_at_a()
    beta = 0.5
    plan = redeploy(demand, stock, _transfer([("B", "A", 1, 2.0)]), _resources(), discount=beta)
    # unmet 6, 1, 1 at 100, transfer 10 at period 0
    assert plan.report.objective == pytest.approx(10 + 600 + 100 * beta + 100 * beta**2)


@pytest.mark.parametrize("solver", SOLVERS)
def test_delay_too_long_to_help(solver):
    demand, stock = _surge_at_a(periods=3)
    plan = redeploy(
        demand,
        stock,
        _transfer([("B", "A", 3, 2.0)]),
        _resources(),
        solver_options=SolverOptions(solver=solver),
    )
    assert plan.report.proven_optimal
    assert plan.moves.empty
    np.testing.assert_allclose(_unmet_at(plan, "A"), [6, 6, 6])
    assert plan.report.objective == pytest.approx(100 * 18)


@pytest.mark.parametrize("solver", SOLVERS)
def test_binding_ramp_limit(solver):
    demand = _demand([("A", "vent", 0, 0), ("A", "vent", 1, 0), ("A", "vent", 2, 9)])
    stock = _stock([("A", "vent", 0, 10)])
    options = SolverOptions(solver=solver)
    free = redeploy(
        demand, stock, _transfer([]), _resources(penalty=10, op_mobile=1), solver_options=options
    )
    ramped = redeploy(
        demand,
        stock,
        _transfer([]),
        _resources(penalty=10, op_mobile=1, ramp=3),
        solver_options=options,
    )
    # without a ramp: 9 units in use in period 2 only. With +-3 per period, serving the
    # 9 needs 3 -> 6 -> 9 (cost 18); each unit served late costs at most 3 < penalty 10
    assert free.report.objective == pytest.approx(9)
    assert ramped.report.objective == pytest.approx(18)
    in_use = ramped.inventory.sort_values("period")["in_use"].to_numpy()
    np.testing.assert_allclose(in_use, [3, 6, 9])
    assert np.all(np.abs(np.diff(in_use)) <= 3 + 1e-9)


def _two_wards():
    """Depot C holds 10 units; A and B each need 10 in period 1; shipping to A is cheaper."""
    demand = _demand(
        [("A", "vent", 0, 0), ("A", "vent", 1, 10), ("B", "vent", 0, 0), ("B", "vent", 1, 10)]
    )
    stock = _stock([("C", "vent", 0, 10)])
    transfer = _transfer([("C", "A", 1, 1.0), ("C", "B", 1, 5.0)])
    return demand, stock, transfer


@pytest.mark.parametrize("integer", [True, False])
@pytest.mark.parametrize("solver", SOLVERS)
def test_equity_band_raises_cost(solver, integer):
    demand, stock, transfer = _two_wards()
    options = SolverOptions(solver=solver)
    resources = _resources(integer=integer)
    off = redeploy(demand, stock, transfer, resources, solver_options=options)
    on = redeploy(demand, stock, transfer, resources, equity_gamma=0.2, solver_options=options)
    assert off.report.proven_optimal and on.report.proven_optimal
    # off: all 10 to A (cost 10), B unmet 10 -> 1010.
    # on: |u_A - u_B| / 10 <= 0.2 with u_A = s_B, u_B = s_A, s_A + s_B = 10 -> 6 to A,
    # 4 to B: 6 + 20 + 1000 = 1026
    assert off.report.objective == pytest.approx(1010)
    assert on.report.objective == pytest.approx(1026)
    assert on.equity_price == pytest.approx(16)
    assert on.unbanded_report.objective == pytest.approx(1010)
    ratios = on.unmet[(on.unmet["period"] == 1)].set_index("facility")["ratio"]
    assert abs(ratios["A"] - ratios["B"]) <= 0.2 + 1e-9
    assert off.equity_price is None
    if not integer:
        # widening the band by d lets 5d more units go to A instead of B: saves 4 * 5d
        duals = on.band_duals.set_index(["resource", "period"])["band_dual"]
        assert duals[("vent", 1)] == pytest.approx(20)


def test_unmet_cap_and_infeasible():
    demand, stock = _surge_at_a(periods=2)
    with pytest.raises(InfeasibleModelError):
        redeploy(demand, stock, _transfer([("B", "A", 1, 1.0)]), _resources(), unmet_cap=5)
    plan = redeploy(demand, stock, _transfer([("B", "A", 1, 1.0)]), _resources(), unmet_cap=6)
    assert plan.unmet.groupby("period")["unmet"].sum().max() <= 6 + 1e-9


def test_buffer_adds_to_demand():
    demand, stock = _surge_at_a(periods=1)
    plan = redeploy(demand, stock, _transfer([]), _resources(), buffer_eta=1.5)
    # A: 10 + 1.5 needed, 4 fixed units: unmet 7.5 (B has no demand but a buffer of 1.5
    # that its own 5 mobile units cover)
    assert plan.report.objective == pytest.approx(750)


def test_inputs_are_validated_all_at_once():
    demand, stock = _surge_at_a()
    demand = demand.copy()
    demand.loc[0, "demand"] = -1
    demand.loc[1, "resource"] = "bed"
    transfer = _transfer([("B", "A", 0, 1.0), ("B", "Z", 1, 1.0)])
    with pytest.raises(InputValidationError) as err:
        redeploy(demand, stock, transfer, _resources())
    text = str(err.value)
    assert len(err.value.problems) == 4
    assert "'demand'" in text and "'delay_periods'" in text and "'to_facility'" in text
    with pytest.raises(InputValidationError, match="column 'critical'"):
        redeploy(demand, stock, transfer, _resources().drop(columns="critical"))
    with pytest.raises(InputValidationError, match="discount"):
        redeploy(*_surge_at_a(), _transfer([]), _resources(), discount=0)


@st.composite
def _instances(draw):
    facilities = ["F0", "F1", "F2"][: draw(st.integers(2, 3))]
    resources = ["r0", "r1"][: draw(st.integers(1, 2))]
    periods = draw(st.integers(2, 4))
    ints = st.integers(0, 6)
    demand = _demand(
        [(f, r, t, draw(ints)) for f in facilities for r in resources for t in range(periods)]
    )
    stock = _stock(
        [(f, r, draw(st.integers(0, 3)), draw(ints)) for f in facilities for r in resources]
    )
    arcs = [
        (a, b, draw(st.integers(1, 3)), draw(st.integers(0, 4)))
        for a in facilities
        for b in facilities
        if a != b and draw(st.booleans())
    ]
    res = pd.DataFrame(
        {
            "resource": resources,
            "integer": [draw(st.booleans()) for _ in resources],
            "unmet_penalty": [draw(st.integers(5, 50)) for _ in resources],
            "operating_cost_mobile": [draw(st.integers(0, 3)) for _ in resources],
            "operating_cost_fixed": [draw(st.integers(0, 3)) for _ in resources],
            "ramp_limit": [draw(st.sampled_from([None, 2.0, 4.0])) for _ in resources],
            "critical": [draw(st.booleans()) for _ in resources],
        }
    )
    smoothing = draw(st.sampled_from([0.0, 0.5]))
    return demand, stock, _transfer(arcs), res, smoothing


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_instances())
def test_units_are_conserved(instance):
    demand, stock, transfer, resources, smoothing = instance
    plan = redeploy(demand, stock, transfer, resources, smoothing_penalty=smoothing)
    assert plan.report.proven_optimal
    inv = plan.inventory
    total = inv.groupby(["resource", "period"])[["on_hand", "in_transit_to"]].sum()
    initial = stock.groupby("resource")["mobile_units"].sum()
    for (resource, _period), row in total.iterrows():
        assert row["on_hand"] + row["in_transit_to"] == pytest.approx(initial[resource])
    assert (inv["in_use"] <= inv["on_hand"] + 1e-7).all()
    merged = plan.unmet.merge(demand, on=["facility", "resource", "period"])
    assert (merged["served"] + merged["unmet"] >= merged["demand_y"] - 1e-7).all()
    # the cost parts add up to the objective the solver reports
    assert plan.totals.total == pytest.approx(plan.report.objective, abs=1e-6)
    assert (inv["on_hand"] >= -1e-7).all()
    # every shipment takes its listed delay
    delays = transfer.set_index(["from_facility", "to_facility"])["delay_periods"]
    for move in plan.moves.itertuples():
        assert (
            move.arrive_period - move.depart_period
            == delays[(move.from_facility, move.to_facility)]
        )
