"""accessplan.location.solver: honest status, bound and gap from CBC and HiGHS.

* A time-limited run that is stopped with an incumbent is "feasible", never
  "optimal", and carries a bound on the right side of its objective, with the
  objective's constant term counted (maximise and minimise, both solvers).
* Small MIPs with a brute-forced optimum are "optimal" with bound == objective.
* LPs report bound == objective; infeasible models are "infeasible".
* A MIP start (warm_start) is handed to both solvers, and a short run from a
  start is never called optimal.
"""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

from accessplan.data.errors import AccessplanError
from accessplan.location.errors import UnknownSolverError
from accessplan.location.solver import SolveReport, SolverOptions, solve

SOLVERS = ["cbc", "highs"]
SENSES = [pulp.LpMaximize, pulp.LpMinimize]
CONSTANT = 1000.0


def market_split(sense, *, m=5, n=40, seed=3):
    """Cornuejols-Dawande market split with slack: min total deviation |A x - b|.

    Its LP bound (deviation 0) is useless and branch and bound needs hours, so
    any short run is stopped by the time limit holding a feasible incumbent.
    The objective is CONSTANT - deviation (maximise) or CONSTANT + deviation.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    b = a.sum(axis=1) // 2
    problem = pulp.LpProblem("market_split", sense)
    x = [pulp.LpVariable(f"x{j:02d}", cat=pulp.LpBinary) for j in range(n)]
    over = [pulp.LpVariable(f"over{i}", lowBound=0) for i in range(m)]
    under = [pulp.LpVariable(f"under{i}", lowBound=0) for i in range(m)]
    for i in range(m):
        problem += pulp.lpSum(int(a[i, j]) * x[j] for j in range(n)) - over[i] + under[i] == int(
            b[i]
        )
    deviation = pulp.lpSum(over) + pulp.lpSum(under)
    problem += CONSTANT - deviation if sense == pulp.LpMaximize else CONSTANT + deviation
    return problem, x, a, b


def objective_of(problem) -> float:
    return float(pulp.value(problem.objective))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sense", SENSES)
def test_time_limited_run_is_feasible_with_bound_and_gap(solver, sense):
    problem, _, _, _ = market_split(sense)
    report = solve(problem, SolverOptions(solver=solver, time_limit_s=1))
    assert report.status == "feasible"
    assert not report.proven_optimal
    assert report.has_solution
    assert "NOT proven optimal" in report.summary()
    assert report.objective == pytest.approx(objective_of(problem))
    # deviation >= 0, so CONSTANT bounds the objective; a bound that forgot the
    # constant would sit near 0, on the wrong side of the objective
    assert report.best_bound is not None
    if sense == pulp.LpMaximize:
        assert report.objective <= report.best_bound + 1e-6
        assert report.best_bound <= CONSTANT + 1e-6
        assert report.sense == "maximize"
    else:
        assert CONSTANT - 1e-6 <= report.best_bound <= report.objective + 1e-6
        assert report.sense == "minimize"
    assert report.gap == pytest.approx(
        abs(report.best_bound - report.objective) / abs(report.objective)
    )
    assert report.gap > 0
    assert report.time_limit_s == 1
    assert report.as_dict()["proven_optimal"] is False


def knapsack(sense, constant):
    """max value (or min cost written as negated value) of a 0/1 knapsack, plus a constant."""
    value = [10, 13, 7, 8, 12, 5, 9, 4]
    weight = [5, 7, 4, 4, 6, 3, 5, 2]
    cap = 17
    problem = pulp.LpProblem("knapsack", sense)
    x = [pulp.LpVariable(f"x{i}", cat=pulp.LpBinary) for i in range(len(value))]
    sign = 1 if sense == pulp.LpMaximize else -1
    problem += pulp.lpSum(sign * v * xi for v, xi in zip(value, x, strict=True)) + constant
    problem += pulp.lpSum(w * xi for w, xi in zip(weight, x, strict=True)) <= cap
    best = max(
        sum(v for v, c in zip(value, choice, strict=True) if c)
        for choice in itertools.product([0, 1], repeat=len(value))
        if sum(w for w, c in zip(weight, choice, strict=True) if c) <= cap
    )
    return problem, sign * best + constant


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("sense", SENSES)
@pytest.mark.parametrize("constant", [0.0, 250.5])
def test_small_mip_is_optimal_with_bound_equal_to_brute_force(solver, sense, constant):
    problem, best = knapsack(sense, constant)
    report = solve(problem, SolverOptions(solver=solver, gap_rel=0))
    assert report.status == "optimal"
    assert report.proven_optimal
    assert report.objective == pytest.approx(best)
    assert report.best_bound == pytest.approx(best, abs=1e-6)
    assert report.gap == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("solver", SOLVERS)
def test_lp_bound_is_its_objective(solver):
    problem = pulp.LpProblem("lp", pulp.LpMaximize)
    x = pulp.LpVariable("x", lowBound=0)
    y = pulp.LpVariable("y", lowBound=0)
    problem += 3 * x + 2 * y + 7
    problem += x + y <= 4
    problem += x + 3 * y <= 6
    problem += x <= 3
    report = solve(problem, SolverOptions(solver=solver))
    # vertices: (3, 1) gives 11 -> 18 with the constant
    assert report.status == "optimal"
    assert report.objective == pytest.approx(18)
    assert report.best_bound == pytest.approx(18)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("integer", [True, False])
def test_infeasible_model_is_reported_infeasible(solver, integer):
    problem = pulp.LpProblem("impossible", pulp.LpMinimize)
    cat = pulp.LpInteger if integer else pulp.LpContinuous
    x = pulp.LpVariable("x", lowBound=0, upBound=10, cat=cat)
    y = pulp.LpVariable("y", lowBound=0, upBound=10, cat=cat)
    problem += x + y
    problem += x + y >= 5
    problem += x - y >= 3
    problem += x <= 2
    report = solve(problem, SolverOptions(solver=solver))
    assert report.status == "infeasible"
    assert not report.has_solution
    assert report.objective is None
    assert report.best_bound is None


def planted_split(*, m=5, n=40, seed=7):
    """Market split equalities A x = b with a planted 0/1 solution, maximise c x + 5.

    Finding any feasible point takes branch and bound far longer than the
    time limits used here, so a solution in hand must come from the start.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    planted = rng.integers(0, 2, size=n)
    c = rng.integers(1, 20, size=n)
    problem = pulp.LpProblem("planted_split", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{j:02d}", cat=pulp.LpBinary) for j in range(n)]
    for i in range(m):
        problem += pulp.lpSum(int(a[i, j]) * x[j] for j in range(n)) == int(a[i] @ planted)
    problem += pulp.lpSum(int(c[j]) * x[j] for j in range(n)) + 5.0
    return problem, x, planted, float(c @ planted + 5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_is_handed_to_the_solver(solver):
    problem, x, planted, planted_objective = planted_split()
    for var, value in zip(x, planted.tolist(), strict=True):
        var.setInitialValue(float(value))
    report = solve(problem, SolverOptions(solver=solver, time_limit_s=0.05, warm_start=True))
    assert report.has_solution
    assert report.objective >= planted_objective - 1e-6
    assert report.status == "feasible"


@pytest.mark.parametrize("solver", SOLVERS)
def test_short_run_with_a_start_is_never_called_optimal(solver):
    """CBC, given a MIP start and a very short limit, runs out of time in the root LP,
    logs "The LP relaxation is infeasible or too expensive" and then "Optimal
    solution found"; the report must still say "feasible".
    """
    problem, x, a, b = market_split(pulp.LpMaximize, seed=5)
    start = np.random.default_rng(1).integers(0, 2, size=len(x))
    for var, value in zip(x, start.tolist(), strict=True):
        var.setInitialValue(float(value))
    report = solve(problem, SolverOptions(solver=solver, time_limit_s=0.05, warm_start=True))
    assert report.status == "feasible"
    assert not report.proven_optimal
    assert report.objective >= CONSTANT - float(np.abs(a @ start - b).sum()) - 1e-6
    assert report.best_bound is None or report.best_bound >= report.objective - 1e-6


@pytest.mark.parametrize("lp_method", ["ipm", "simplex"])
def test_highs_lp_method_gives_the_same_answers(lp_method):
    problem, best = knapsack(pulp.LpMaximize, 3.0)
    report = solve(problem, SolverOptions(solver="highs", gap_rel=0, lp_method=lp_method))
    assert report.status == "optimal"
    assert report.objective == pytest.approx(best)
    lp = pulp.LpProblem("lp", pulp.LpMinimize)
    x = pulp.LpVariable("x", lowBound=0)
    y = pulp.LpVariable("y", lowBound=0)
    lp += 2 * x + 3 * y
    lp += x + y >= 4
    lp += x - y <= 1
    report = solve(lp, SolverOptions(solver="highs", lp_method=lp_method))
    # optimum at x = 2.5, y = 1.5
    assert report.objective == pytest.approx(9.5)
    assert x.varValue == pytest.approx(2.5)


def test_options_are_validated_at_once():
    with pytest.raises(UnknownSolverError) as info:
        SolverOptions(solver="gurobi", time_limit_s=-1, gap_rel=2, threads=0)
    message = str(info.value)
    for word in ("gurobi", "time_limit_s", "gap_rel", "threads"):
        assert word in message
    with pytest.raises(UnknownSolverError, match="HiGHS option"):
        SolverOptions(solver="cbc", lp_method="ipm")
    with pytest.raises(UnknownSolverError, match="lp_method"):
        SolverOptions(solver="highs", lp_method="barrier")
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AccessplanError)


def test_report_summary_flags_unproven_solutions():
    report = SolveReport(
        solver="cbc",
        status="feasible",
        objective=10.0,
        best_bound=12.0,
        gap=0.2,
        seconds=1.0,
        sense="maximize",
        time_limit_s=1.0,
    )
    text = report.summary()
    assert "NOT proven optimal" in text
    assert "gap 20.000%" in text
    assert not report.proven_optimal


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_integer_infeasible_mip_is_reported_infeasible(solver):
    # the relaxation is feasible (x + y = 0.5) but no integer point satisfies 2x + 2y = 1:
    # CBC answers "Integer infeasible", which PuLP leaves as "no solution found"
    problem = pulp.LpProblem("integer_infeasible", pulp.LpMinimize)
    x = pulp.LpVariable("x", cat=pulp.LpBinary)
    y = pulp.LpVariable("y", cat=pulp.LpBinary)
    problem += x + y
    problem += 2 * x + 2 * y == 1
    report = solve(problem, SolverOptions(solver=solver))
    assert report.status == "infeasible"
    assert not report.has_solution
