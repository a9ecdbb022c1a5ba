"""maximize_coverage(initial_sites=...): a given plan as the MIP start (sweeps warm-start budgets).

The instance is the textbook case where greedy fails: with p = 2, greedy opens the
largest site s1 (4 people) and then s2 or s3 (one more), 5 in all; the optimum is
s2 + s3, covering 6.
"""

from __future__ import annotations

import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.location.coverage import maximize_coverage

SETS = {"s1": ["a1", "a2", "a3", "a4"], "s2": ["a1", "a2", "a5"], "s3": ["a3", "a4", "a6"]}


def _instance():
    rows = [(a, s, 5.0) for s, areas in SETS.items() for a in areas]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    demand = pd.Series(1.0, index=[f"a{i}" for i in range(1, 7)])
    candidates = pd.DataFrame({"site_id": list(SETS), "site_cost": [1.0, 1.0, 1.0]})
    return od, demand, candidates


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_initial_sites_used_and_same_optimum(solver):
    od, demand, candidates = _instance()
    opts = {"solver": solver}
    plain = maximize_coverage(
        od, demand, candidates, catchment_minutes=10, max_new_sites=2, solver_options=opts
    )
    assert plain.totals["warm_start"] == "greedy"
    assert plain.totals["start_objective"] == 5.0  # greedy: s1 then one more area
    started = maximize_coverage(
        od,
        demand,
        candidates,
        catchment_minutes=10,
        max_new_sites=2,
        solver_options=opts,
        initial_sites=["s3", "s2"],
    )
    # the given plan (6) beats greedy (5), so it is the start; the optimum is the same
    assert started.totals["warm_start"] == "initial_sites"
    assert started.totals["start_objective"] == 6.0
    assert started.report.objective == plain.report.objective == 6.0
    assert started.report.proven_optimal and plain.report.proven_optimal
    assert sorted(started.chosen["site_id"]) == ["s2", "s3"]


def test_initial_sites_that_do_not_fit_fall_back_to_greedy():
    od, demand, candidates = _instance()
    # three sites with p = 2: not a feasible start
    r = maximize_coverage(
        od, demand, candidates, catchment_minutes=10, max_new_sites=2, initial_sites=list(SETS)
    )
    assert r.totals["warm_start"] == "greedy" and r.report.objective == 6.0
    # over budget (each site costs 1, budget 1): greedy's single site
    r = maximize_coverage(
        od, demand, candidates, catchment_minutes=10, budget=1.0, initial_sites=["s2", "s3"]
    )
    assert r.totals["warm_start"] == "greedy" and r.report.objective == 4.0
    # a worse start than greedy is not used
    r = maximize_coverage(
        od, demand, candidates, catchment_minutes=10, max_new_sites=2, initial_sites=["s2"]
    )
    assert r.totals["warm_start"] == "greedy" and r.report.objective == 6.0
    # no warm start at all
    r = maximize_coverage(
        od,
        demand,
        candidates,
        catchment_minutes=10,
        max_new_sites=2,
        warm_start=False,
        initial_sites=["s2", "s3"],
    )
    assert r.totals["warm_start"] is None and r.report.objective == 6.0


def test_unknown_initial_sites_are_input_errors():
    od, demand, candidates = _instance()
    with pytest.raises(InputValidationError, match="not candidates") as info:
        maximize_coverage(
            od, demand, candidates, catchment_minutes=10, initial_sites=["s1", "nope"]
        )
    assert "nope" in str(info.value) and "s1," not in str(info.value)
    with pytest.raises(InputValidationError, match="list of candidate ids"):
        maximize_coverage(od, demand, candidates, catchment_minutes=10, initial_sites="s1")
