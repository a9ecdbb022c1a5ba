"""accessplan.location.solver: CBC is held to ``time_limit_s`` by a watchdog.

CBC 2.10 does not look at the clock in its root LP: on a 100,000-pair maximal
covering model its root LP alone takes 30 s or more, so with a 0.2 s limit
CBC runs far past it. The watchdog sends SIGINT at limit + grace (ignored
before CBC's search starts) and kills CBC one grace later:

* the run ends within limit + 2 * grace (+ slack), is never "optimal", and
  says ``time_limit_reached`` and ``watchdog == "killed"``;
* with a complete MIP start the start is returned as "feasible", its objective
  equal to the value recomputed from the variables; without one, "not_solved";
* CBC's folder is removed and no CBC process is left running.

SIGINT during CBC's search is handled like Ctrl-C: CBC stops, writes its
incumbent, PuLP reads it, and the run is "feasible" with a bound. A model
solved well within its limit is still "optimal" with its known objective.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pulp
import pytest

from accessplan.location import solver as solver_module
from accessplan.location.solver import SolverOptions, solve, watchdog_grace_s

LIMIT_S = 0.2
SLACK_S = 2.0  # PuLP reading back, the start check, removing files; loaded machines


def covering_model(*, n_areas=12_500, n_sites=1_000, per_area=8, max_sites=50, seed=1):
    """Maximal covering: max sum w_g y_g, y_g <= sum of the sites covering g, <= max_sites open.

    100,000 area-site pairs: CBC's root LP alone takes tens of seconds.
    """
    rng = np.random.default_rng(seed)
    weight = rng.integers(1, 1000, n_areas)
    covers = [rng.choice(n_sites, per_area, replace=False) for _ in range(n_areas)]
    problem = pulp.LpProblem("covering", pulp.LpMaximize)
    x = [pulp.LpVariable(f"x{k}", cat=pulp.LpBinary) for k in range(n_sites)]
    y = [pulp.LpVariable(f"y{g}", lowBound=0, upBound=1) for g in range(n_areas)]
    problem.setObjective(
        pulp.LpAffineExpression(zip(y, weight.astype(float).tolist(), strict=True))
    )
    for g, sites in enumerate(covers):
        terms = [(x[k], -1.0) for k in sites.tolist()] + [(y[g], 1.0)]
        problem.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), -1, rhs=0.0))
    problem.addConstraint(
        pulp.LpConstraint(pulp.LpAffineExpression((v, 1.0) for v in x), -1, rhs=max_sites)
    )
    return problem, x, y, weight, covers


def set_start(x, y, covers, open_sites):
    is_open = np.zeros(len(x), dtype=bool)
    is_open[list(open_sites)] = True
    for k, v in enumerate(x):
        v.setInitialValue(int(is_open[k]))
    for g, v in enumerate(y):
        v.setInitialValue(int(is_open[covers[g]].any()))


def covered_weight(x, weight, covers) -> float:
    is_open = np.array([round(v.varValue) == 1 for v in x])
    return float(sum(w for w, sites in zip(weight, covers, strict=True) if is_open[sites].any()))


def cbc_children(folder: Path) -> list[int]:
    """Our child processes whose command line names ``folder`` (CBC runs there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if (
                int(fields[1]) == os.getpid()
                and str(folder).encode() in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """CBC's work folder goes under tmp_path, so leftovers can be seen."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def big_model():
    return covering_model()


def test_grace_is_two_seconds_or_ten_percent():
    assert watchdog_grace_s(0.2) == 2.0
    assert watchdog_grace_s(20) == 2.0
    assert watchdog_grace_s(120) == pytest.approx(12.0)


@pytest.mark.parametrize("with_start", [True, False])
def test_cbc_overrunning_its_limit_is_stopped(big_model, private_tmp, with_start):
    problem, x, y, weight, covers = big_model
    start_sites = range(0, 1_000, 20)  # 50 sites: feasible, far from optimal
    if with_start:
        set_start(x, y, covers, start_sites)
    else:
        for v in itertools.chain(x, y):
            v.varValue = None
    began = time.perf_counter()
    report = solve(problem, SolverOptions(time_limit_s=LIMIT_S, warm_start=with_start))
    wall_s = time.perf_counter() - began
    grace_s = watchdog_grace_s(LIMIT_S)
    # SIGINT at limit + grace (CBC ignores it in its root LP), SIGKILL one grace later
    assert LIMIT_S + 2 * grace_s <= wall_s <= LIMIT_S + 2 * grace_s + SLACK_S
    assert report.seconds <= wall_s
    assert report.watchdog == "killed"
    assert report.time_limit_reached and not report.proven_optimal
    assert report.best_bound is None and report.gap is None
    text = report.summary()
    assert f"time limit reached ({LIMIT_S:g} s)" in text and "was killed" in text
    if with_start:
        assert report.status == "feasible" and "NOT proven optimal" in text
        assert "the MIP start is returned" in text
        # the start itself: its objective recomputed from the variables and by hand
        assert report.objective == pytest.approx(float(pulp.value(problem.objective)))
        assert report.objective == pytest.approx(covered_weight(x, weight, covers))
        assert [k for k, v in enumerate(x) if round(v.varValue) == 1] == list(start_sites)
    else:
        assert report.status == "not_solved" and report.objective is None
        assert "(no solution)" in text
    assert list(private_tmp.iterdir()) == []  # CBC's folder removed
    assert cbc_children(private_tmp) == []  # and no CBC left running


def market_split(*, m=5, n=40, seed=3):
    """min |A x - b| (Cornuejols-Dawande): branch and bound runs for hours, incumbents early."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=(m, n))
    b = a.sum(axis=1) // 2
    problem = pulp.LpProblem("market_split", pulp.LpMinimize)
    x = [pulp.LpVariable(f"x{j:02d}", cat=pulp.LpBinary) for j in range(n)]
    over = [pulp.LpVariable(f"over{i}", lowBound=0) for i in range(m)]
    under = [pulp.LpVariable(f"under{i}", lowBound=0) for i in range(m)]
    for i in range(m):
        row = pulp.lpSum(int(a[i, j]) * x[j] for j in range(n))
        problem += row - over[i] + under[i] == int(b[i])
    problem += pulp.lpSum(over) + pulp.lpSum(under)
    return problem, x, a, b


def test_sigint_in_the_search_keeps_cbcs_incumbent(private_tmp, monkeypatch):
    """The watchdog fires 1 s into a 3 s CBC search (grace patched to -2 s): CBC takes the
    SIGINT as Ctrl-C, writes its incumbent and PuLP reads it: feasible, with its bound."""
    monkeypatch.setattr(solver_module, "watchdog_grace_s", lambda limit: -2.0)
    problem, x, a, b = market_split()
    began = time.perf_counter()
    report = solve(problem, SolverOptions(time_limit_s=3.0))
    wall_s = time.perf_counter() - began
    assert 1.0 <= wall_s < 2.5  # stopped by SIGINT, not by CBC's own 3 s limit
    assert report.watchdog == "interrupted"
    assert report.status == "feasible" and not report.proven_optimal
    chosen = np.array([round(v.varValue) for v in x])
    deviation = float(np.abs(a @ chosen - b).sum())
    assert report.objective == pytest.approx(deviation)
    assert report.objective == pytest.approx(float(pulp.value(problem.objective)))
    assert report.best_bound is not None and 0 <= report.best_bound <= report.objective
    assert report.time_limit_reached  # the watchdog only fires on the time limit
    text = report.summary()
    assert "NOT proven optimal" in text and "time limit reached (3 s)" in text
    assert "cbc overran the limit and was interrupted (best solution kept)" in text
    assert list(private_tmp.iterdir()) == []
    assert cbc_children(private_tmp) == []


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_model_solved_within_its_limit_is_still_optimal(private_tmp, solver):
    """A 12-site covering model brute-forced: the solver proves it well inside 30 s."""
    problem, x, _, weight, covers = covering_model(
        n_areas=40, n_sites=12, per_area=3, max_sites=3, seed=7
    )
    best = max(
        sum(w for w, sites in zip(weight, covers, strict=True) if set(sites) & set(pick))
        for pick in itertools.combinations(range(12), 3)
    )
    report = solve(problem, SolverOptions(solver=solver, time_limit_s=30))
    assert report.status == "optimal" and report.proven_optimal
    assert report.watchdog is None and not report.time_limit_reached
    assert report.objective == pytest.approx(float(best))
    assert covered_weight(x, weight, covers) == pytest.approx(float(best))
    assert report.best_bound == pytest.approx(float(best))
    assert "time limit reached" not in report.summary()
    assert list(private_tmp.iterdir()) == []
