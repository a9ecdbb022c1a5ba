"""Tests of the rolling-horizon redeployment and the surge sandbox."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from accessplan.capacity.errors import LookaheadWarning
from accessplan.capacity.redeploy import redeploy
from accessplan.capacity.rolling import generate_surge, read_demand_trace, rolling_horizon
from accessplan.data.errors import InputFileError, InputValidationError
from accessplan.location.solver import SolverOptions

FACILITIES = ["A", "B", "C"]


def _setup():
    stock = pd.DataFrame(
        {
            "facility": ["A", "B", "C", "A", "B", "C"],
            "resource": ["vent"] * 3 + ["bed"] * 3,
            "fixed_units": [2, 2, 1, 3, 2, 2],
            "mobile_units": [0, 4, 3, 1, 3, 2],
        }
    )
    transfer = pd.DataFrame(
        {
            "from_facility": ["B", "C", "C", "A"],
            "to_facility": ["A", "A", "B", "C"],
            "delay_periods": [1, 2, 1, 1],
            "cost_per_unit": [2.0, 1.0, 1.5, 1.0],
        }
    )
    resources = pd.DataFrame(
        {
            "resource": ["vent", "bed"],
            "integer": [True, False],
            "unmet_penalty": [50.0, 20.0],
            "operating_cost_mobile": [1.0, 0.5],
            "operating_cost_fixed": [0.5, 0.2],
            "ramp_limit": [2.0, None],
            "critical": [True, False],
        }
    )
    trace = generate_surge(
        FACILITIES,
        ["vent", "bed"],
        periods=5,
        surge_facility="A",
        peak=6,
        baseline=1,
        noise=0.3,
        seed=3,
    )
    return trace, stock, transfer, resources


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_rolling_equals_full_horizon_with_perfect_forecasts(solver):
    trace, stock, transfer, resources = _setup()
    kw = dict(discount=0.9, smoothing_penalty=0.3)
    options = SolverOptions(solver=solver, warm_start=True)
    full = redeploy(trace, stock, transfer, resources, **kw, solver_options=options)
    rolled = rolling_horizon(
        trace, stock, transfer, resources, lookahead=5, **kw, solver_options=options
    )
    assert full.report.proven_optimal
    # every window proven optimal, warm-started (CBC 2.10 given an optimal MIP start skips
    # its search after the root LP; the wrapper reads the root value from CBC's log)
    assert all(r.proven_optimal for r in rolled.reports)
    assert len(rolled.reports) == 5
    assert rolled.total_cost == pytest.approx(full.report.objective, abs=1e-6)
    assert not rolled.transfers.empty and not full.moves.empty
    assert rolled.periods["unmet"].sum() == pytest.approx(rolled.unmet["unmet"].sum())
    # the realised plan conserves units too
    inv = rolled.inventory.groupby(["resource", "period"])[["on_hand", "in_transit_to"]].sum()
    initial = stock.groupby("resource")["mobile_units"].sum()
    for (resource, _p), row in inv.iterrows():
        assert row["on_hand"] + row["in_transit_to"] == pytest.approx(initial[resource])


@pytest.mark.parametrize("lookahead", [2, 3])
def test_short_lookahead_never_beats_the_full_optimum(lookahead):
    # the realised plan is feasible for the full problem, so it costs at least the optimum
    trace, stock, transfer, resources = _setup()
    full = redeploy(trace, stock, transfer, resources)
    # lookahead 2 cannot see the 2-period transfer C -> A arrive: warned about
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        rolled = rolling_horizon(trace, stock, transfer, resources, lookahead=lookahead)
    ours = [w for w in seen if issubclass(w.category, LookaheadWarning)]
    assert len(ours) == (1 if lookahead < 3 else 0)
    assert rolled.total_cost >= full.report.objective - 1e-6
    used = rolled.inventory["in_use"].to_numpy()
    assert (used <= rolled.inventory["on_hand"].to_numpy() + 1e-7).all()


def test_myopic_lookahead_misses_the_transfer():
    # A needs 10 in periods 0..2 with 4 fixed units; B holds 5 spare; delay 1.
    demand = pd.DataFrame(
        {
            "facility": ["A"] * 3 + ["B"] * 3,
            "resource": ["vent"] * 6,
            "period": [0, 1, 2] * 2,
            "demand": [10, 10, 10, 0, 0, 0],
        }
    )
    stock = pd.DataFrame(
        {
            "facility": ["A", "B"],
            "resource": ["vent"] * 2,
            "fixed_units": [4, 0],
            "mobile_units": [0, 5],
        }
    )
    transfer = pd.DataFrame(
        {"from_facility": ["B"], "to_facility": ["A"], "delay_periods": [1], "cost_per_unit": [2.0]}
    )
    resources = pd.DataFrame(
        {
            "resource": ["vent"],
            "integer": [True],
            "unmet_penalty": [100.0],
            "operating_cost_mobile": [0.0],
            "operating_cost_fixed": [0.0],
            "critical": [False],
        }
    )
    with pytest.warns(LookaheadWarning, match="delay"):
        blind = rolling_horizon(demand, stock, transfer, resources, lookahead=1)
    assert blind.transfers.empty
    assert blind.total_cost == pytest.approx(1800)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LookaheadWarning)
        seeing = rolling_horizon(demand, stock, transfer, resources, lookahead=2)
    # by hand: ship 5 at period 0 (cost 10), unmet 6 + 1 + 1
    assert seeing.total_cost == pytest.approx(10 + 800)
    assert list(seeing.transfers["units"]) == [5]
    np.testing.assert_allclose(seeing.periods["unmet"], [6, 1, 1])
    np.testing.assert_allclose(seeing.periods["transfer"], [10, 0, 0])


def test_forecast_is_used_for_later_periods():
    demand = pd.DataFrame(
        {
            "facility": ["A", "A", "B", "B"],
            "resource": ["vent"] * 4,
            "period": [0, 1, 0, 1],
            "demand": [0, 10, 0, 0],
        }
    )
    stock = pd.DataFrame(
        {
            "facility": ["A", "B"],
            "resource": ["vent"] * 2,
            "fixed_units": [0, 0],
            "mobile_units": [0, 5],
        }
    )
    transfer = pd.DataFrame(
        {"from_facility": ["B"], "to_facility": ["A"], "delay_periods": [1], "cost_per_unit": [1.0]}
    )
    resources = pd.DataFrame(
        {
            "resource": ["vent"],
            "integer": [True],
            "unmet_penalty": [100.0],
            "operating_cost_mobile": [0.0],
            "operating_cost_fixed": [0.0],
            "critical": [False],
        }
    )
    calls = []

    def nothing_coming(issued, periods):
        calls.append((issued, periods))
        return pd.DataFrame(
            {
                "facility": ["A"] * len(periods),
                "resource": ["vent"] * len(periods),
                "period": periods,
                "demand": [0.0] * len(periods),
            }
        )

    blind = rolling_horizon(
        demand, stock, transfer, resources, lookahead=2, forecast=nothing_coming
    )
    assert calls == [(0, [1])]
    # the surge at A in period 1 was not forecast: nothing shipped, all 10 unmet
    assert blind.transfers.empty and blind.total_cost == pytest.approx(1000)
    perfect = rolling_horizon(demand, stock, transfer, resources, lookahead=2)
    assert perfect.total_cost == pytest.approx(5 + 500)


def test_generate_surge_is_deterministic():
    a = generate_surge(
        FACILITIES, ["vent"], periods=7, surge_facility="B", peak=8, noise=0.2, seed=11
    )
    b = generate_surge(
        FACILITIES, ["vent"], periods=7, surge_facility="B", peak=8, noise=0.2, seed=11
    )
    c = generate_surge(
        FACILITIES, ["vent"], periods=7, surge_facility="B", peak=8, noise=0.2, seed=12
    )
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    clean = generate_surge(
        FACILITIES, ["vent"], periods=7, surge_facility="B", peak=8, baseline=1, whole=False
    )
    at_b = clean[clean["facility"] == "B"].set_index("period")["demand"]
    assert at_b.idxmax() == 3 and at_b.max() == pytest.approx(9)
    assert (clean[clean["facility"] != "B"]["demand"] == 1).all()
    assert len(clean) == 3 * 7
    with pytest.raises(InputValidationError, match="surge_facility"):
        generate_surge(FACILITIES, ["vent"], periods=3, surge_facility="Z", peak=1)


def test_read_demand_trace(tmp_path):
    good = tmp_path / "trace.csv"
    good.write_text("facility,resource,period,demand\nA,vent,0,3\nA,vent,1,4.5\n")
    frame = read_demand_trace(good)
    assert list(frame["demand"]) == [3.0, 4.5] and frame["period"].dtype.kind == "i"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "facility,resource,period,demand\nA,vent,0,3\nA,vent,1.5,-2\nA,vent,0,1\n,vent,2,x\n"
    )
    with pytest.raises(InputValidationError) as err:
        read_demand_trace(bad)
    text = str(err.value)
    assert str(bad) in text
    # 1-based data rows, the header not counted (as every other reader)
    assert "column 'period', row 2:" in text
    assert "column 'demand', rows 2, 4:" in text
    assert "column 'facility', row 4:" in text
    assert "row 3: duplicate" in text  # the duplicate of data row 1
    missing = tmp_path / "cols.csv"
    missing.write_text("facility,period,demand\nA,0,1\n")
    with pytest.raises(InputValidationError, match="column 'resource'"):
        read_demand_trace(missing)
    with pytest.raises(InputFileError):
        read_demand_trace(tmp_path / "nope.csv")


def test_lookahead_is_validated():
    trace, stock, transfer, resources = _setup()
    with pytest.raises(InputValidationError, match="lookahead"):
        rolling_horizon(trace, stock, transfer, resources, lookahead=0)


def _trace_file(tmp_path, text):
    path = tmp_path / "trace.csv"
    path.write_text("facility,resource,period,demand\n" + text)
    return path


def test_trace_gaps_are_named_by_facility_resource_and_period(tmp_path):
    path = _trace_file(
        tmp_path,
        "H1,vent,0,1\nH1,vent,1,1\nH1,vent,2,1\nH1,vent,3,1\nH2,vent,0,2\nH2,vent,3,2\n",
    )
    with pytest.raises(InputValidationError) as err:
        read_demand_trace(path, facilities=["H1", "H2", "H3"])
    text = str(err.value)
    assert str(path) in text
    assert "facility 'H2', resource 'vent': no row for period 1-2 of the horizon 0-3" in text
    assert "facility 'H3' of the facility layer has no rows in the trace" in text
    assert 'fill = "zero"' in text
    assert len(err.value.problems) == 2
    # the user may choose: missing rows mean no demand
    filled = read_demand_trace(path, facilities=["H1", "H2", "H3"], fill="zero")
    assert len(filled) == 12
    got = filled.set_index(["facility", "period"])["demand"]
    assert got[("H2", 1)] == 0.0 and got[("H2", 3)] == 2.0 and got[("H3", 2)] == 0.0
    assert list(dict.fromkeys(filled["facility"])) == ["H1", "H2", "H3"]
    with pytest.raises(InputValidationError, match="fill"):
        read_demand_trace(path, facilities=["H1"], fill="mean")


def test_trace_facilities_not_in_the_layer_and_ids_as_labels(tmp_path):
    path = _trace_file(tmp_path, "01000,vent,0,1\n1,vent,0,1\nGHOST,vent,0,1\n")
    frame = read_demand_trace(path)
    assert frame["facility"].tolist() == ["01000", "1", "GHOST"]  # kept as written
    with pytest.raises(InputValidationError) as err:
        read_demand_trace(path, facilities=["01000", "01"], fill="zero")
    text = str(err.value)
    assert "row 2: facility '1' is not in the facility layer (the facility layer has '01'" in text
    assert "row 3: facility 'GHOST' is not in the facility layer" in text
    assert "facility '01000'" not in text and len(err.value.problems) == 2
