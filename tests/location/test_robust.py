"""robust_coverage against exhaustive enumeration on tiny instances.

Every affordable set of candidate sites is scored in plain Python (coverage from
sets of areas within each scenario's catchment; closures remove existing sites;
growth multiplies demand), and the model's optimum must equal the best score
(worst-case share, or largest regret against each scenario's own best plan found
by the same enumeration), with the tie-breaks (highest mean share, then lowest
cost) honoured. Property: the robust plan's worst case is never below the worst
case of any single scenario's own optimal plan.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.location.robust import CoverageScenario, RobustResult, robust_coverage

TOL = 1e-9


def _instance(seed: int, *, n_areas=8, n_cand=5, n_exist=2):
    rng = np.random.default_rng(seed)
    areas = [f"a{i}" for i in range(n_areas)]
    cands = [f"c{j}" for j in range(n_cand)]
    exist = [f"e{j}" for j in range(n_exist)]
    rows = [
        (a, s, float(rng.integers(1, 60)))
        for a in areas
        for s in cands + exist
        if rng.random() < 0.45
    ]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    demand = pd.Series(rng.integers(1, 100, n_areas).astype(float), index=areas)
    candidates = pd.DataFrame(
        {
            "site_id": cands,
            "site_cost": rng.integers(1, 4, n_cand).astype(float),
            "unit_cost": 1.0,
            "min_units": rng.integers(0, 2, n_cand),
            "max_units": 3,
        }
    )
    existing = pd.DataFrame({"site_id": exist})
    scenarios = [
        CoverageScenario("30 min", demand, 30.0, existing),
        CoverageScenario("45 min, growth 1.3", demand * 1.3, 45.0, existing),
        CoverageScenario("20 min, e0 closed", demand, 20.0, existing.iloc[1:]),
    ]
    return od, candidates, scenarios


def _share(od, scenario: CoverageScenario, sites) -> float:
    open_sites = set(sites) | set(scenario.existing["site_id"])
    near = od[(od["minutes"] <= scenario.catchment_minutes) & od["site_id"].isin(open_sites)]
    covered = set(near["origin_id"])
    d = scenario.demand
    return float(d[d.index.isin(covered)].sum() / d.sum())


def _plans(candidates, budget, max_new_sites=None):
    ids = list(candidates["site_id"])
    cost = dict(
        zip(
            ids,
            candidates["site_cost"] + candidates["unit_cost"] * candidates["min_units"],
            strict=True,
        )
    )
    for k in range(len(ids) + 1):
        if max_new_sites is not None and k > max_new_sites:
            break
        for combo in itertools.combinations(ids, k):
            spent = sum(cost[c] for c in combo)
            if spent <= budget + TOL:
                yield combo, spent


def _enumerate(od, candidates, scenarios, budget):
    out = []
    for combo, spent in _plans(candidates, budget):
        shares = np.array([_share(od, s, combo) for s in scenarios])
        out.append((combo, spent, shares))
    own = np.array([max(sh[k] for _, _, sh in out) for k in range(len(scenarios))])
    return out, own


def _score(objective, shares, own):
    return shares.min() if objective == "max_min_coverage" else (own - shares).max()


CASES = [(seed, budget) for seed in range(6) for budget in (2.0, 4.0, 7.0)]


@pytest.mark.parametrize("objective", ["max_min_coverage", "min_max_regret"])
@pytest.mark.parametrize(("seed", "budget"), CASES)
def test_equals_exhaustive_enumeration(seed, budget, objective):
    od, candidates, scenarios = _instance(seed)
    plans, own = _enumerate(od, candidates, scenarios, budget)
    sign = 1.0 if objective == "max_min_coverage" else -1.0
    best = max(sign * _score(objective, sh, own) for _, _, sh in plans)
    result = robust_coverage(
        od,
        scenarios,
        candidates,
        budget=budget,
        objective=objective,
        solver_options={"solver": "highs", "gap_rel": 0.0},
    )
    assert isinstance(result, RobustResult) and result.report.proven_optimal
    chosen = list(result.chosen["site_id"])
    shares = np.array([_share(od, s, chosen) for s in scenarios])
    # the plan is affordable, and its score is the enumerated optimum
    assert result.totals["cost"] <= budget + TOL
    assert sign * _score(objective, shares, own) == pytest.approx(best, abs=TOL)
    assert result.report.objective == pytest.approx(sign * best, abs=TOL)
    # tie-breaks: among the optimal plans, the highest mean share, then the lowest cost
    optimal = [
        (spent, sh) for _, spent, sh in plans if sign * _score(objective, sh, own) >= best - TOL
    ]
    top_mean = max(sh.mean() for _, sh in optimal)
    assert shares.mean() == pytest.approx(top_mean, abs=TOL)
    cheapest = min(spent for spent, sh in optimal if sh.mean() >= top_mean - TOL)
    assert result.totals["cost"] == pytest.approx(cheapest)
    # per-scenario table: the robust plan beside each scenario's own optimum
    table = result.scenarios
    assert list(table["scenario"]) == [s.name for s in scenarios]
    np.testing.assert_allclose(table["coverage_share"], shares, atol=TOL)
    np.testing.assert_allclose(table["own_share"], own, atol=TOL)
    np.testing.assert_allclose(table["regret"], own - shares, atol=TOL)
    assert result.totals["worst_share"] == pytest.approx(shares.min(), abs=TOL)
    assert result.totals["max_regret"] == pytest.approx((own - shares).max(), abs=TOL)


@pytest.mark.parametrize("seed", range(20, 32))
def test_worst_case_never_below_any_single_scenario_plan(seed):
    rng = np.random.default_rng(seed)
    od, candidates, scenarios = _instance(seed, n_cand=int(rng.integers(3, 7)))
    budget = float(rng.integers(1, 8))
    result = robust_coverage(od, scenarios, candidates, budget=budget)
    robust_worst = min(_share(od, s, result.chosen["site_id"]) for s in scenarios)
    for s in scenarios:
        own_sites = [i for i in result.own[s.name].chosen["site_id"]]
        own_worst = min(_share(od, t, own_sites) for t in scenarios)
        assert robust_worst >= own_worst - TOL, (s.name, robust_worst, own_worst)


def test_max_new_sites_cbc_and_check_unique():
    od, candidates, scenarios = _instance(3)
    budget = 100.0
    best = max(
        min(_share(od, s, combo) for s in scenarios)
        for combo, _ in _plans(candidates, budget, max_new_sites=1)
    )
    result = robust_coverage(
        od, scenarios, candidates, budget=budget, max_new_sites=np.int64(1), check_unique=True
    )
    assert len(result.chosen) <= 1
    assert result.report.objective == pytest.approx(best, abs=TOL)
    assert result.uniqueness is not None and result.uniqueness["unique"] in (True, False)
    assert set(result.in_scenario) == {s.name for s in scenarios}
    assert result.totals["binding_scenario"] in result.in_scenario


def test_nothing_affordable_opens_nothing_and_says_why():
    od, candidates, scenarios = _instance(1)
    result = robust_coverage(od, scenarios, candidates, budget=0.5)
    assert len(result.chosen) == 0 and result.explanation is not None
    assert result.report.objective == pytest.approx(
        min(_share(od, s, []) for s in scenarios), abs=TOL
    )


def test_bad_inputs_are_reported_at_once():
    od, candidates, scenarios = _instance(0)
    with pytest.raises(InputValidationError, match="no scenarios"):
        robust_coverage(od, [], candidates)
    with pytest.raises(InputValidationError) as info:
        robust_coverage(od, [scenarios[0], scenarios[0]], candidates, objective="best", budget=-1.0)
    text = str(info.value)
    assert "repeated" in text and "30 min" in text
    assert "unknown objective 'best'" in text and "budget must be >= 0" in text
    bad = CoverageScenario("bad", scenarios[0].demand * -1.0, 30.0)
    zero = CoverageScenario("empty", scenarios[0].demand * 0.0, 30.0)
    with pytest.raises(AccessplanError) as info:
        robust_coverage(od, [scenarios[0], bad, zero], candidates)
    assert "scenario 'bad'" in str(info.value) and "scenario 'empty' has no demand" in str(
        info.value
    )
    with pytest.raises(InputValidationError, match="missing"):
        robust_coverage(od, [{"name": "x", "demand": scenarios[0].demand}], candidates)
    # mappings are accepted as scenarios
    spec = {"name": "m", "demand": scenarios[0].demand, "catchment_minutes": 30.0}
    assert robust_coverage(od, [spec], candidates).scenarios["scenario"].tolist() == ["m"]
