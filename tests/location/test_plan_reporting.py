"""Money keys, verdicts, site-only sites, empty-plan explanations and uniqueness (issue 10).

Known answers are worked by hand on tiny instances; uniqueness is checked
against brute force: every subset of the candidates is scored and the number
of optimal subsets compared with the ``unique`` flag.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from accessplan.location.coverage import (
    capacitated_coverage,
    greedy_coverage,
    maximize_coverage,
    min_cost_cover,
    set_cover,
)
from accessplan.location.equity import (
    maximize_min_access,
    minimize_access_deviation,
    reallocate_capacity_qp,
)
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.explain import EXPLANATION_CODES, explain_empty_plan
from accessplan.location.median import p_center, p_median
from accessplan.location.result import VERDICTS, budget_verdict, money_totals

MONEY_KEYS = ("cost", "site_cost", "unit_cost", "budget", "verdict", "site_only")


def od_frame(pairs):
    return pd.DataFrame(pairs, columns=["origin_id", "site_id", "minutes"])


# ---------------------------------------------------------------- verdicts and money keys


def test_budget_verdict_known_answers():
    assert budget_verdict(100.0, 100.0) == "within budget"
    assert budget_verdict(100.0 + 1e-8, 100.0) == "within budget"  # round-off
    assert budget_verdict(100.01, 100.0) == "over budget"
    assert budget_verdict(0.0, 0.0) == "within budget"
    assert budget_verdict(3.0, None) == "no budget set"
    assert set(VERDICTS) == {"within budget", "over budget", "no budget set"}


def test_money_totals_adds_site_and_unit_cost_and_counts_commitments_in_the_verdict():
    out = money_totals(site_cost=60.0, unit_cost=30.0, budget=100.0)
    assert out == {
        "cost": 90.0,
        "site_cost": 60.0,
        "unit_cost": 30.0,
        "budget": 100.0,
        "verdict": "within budget",
    }
    # 90 spent plus 20 already committed is more than 100
    assert money_totals(site_cost=60.0, unit_cost=30.0, budget=100.0, committed=20.0)[
        "verdict"
    ] == ("over budget")


@pytest.fixture
def tiny():
    """Areas a (10), b (20), c (5); existing e covers a; candidates s, t (hand-worked)."""
    od = od_frame(
        [
            ("a", "e", 5.0),
            ("b", "s", 4.0),
            ("c", "s", 8.0),
            ("b", "t", 3.0),
            ("c", "t", 30.0),
            ("a", "s", 20.0),
        ]
    )
    demand = pd.Series({"a": 10.0, "b": 20.0, "c": 5.0})
    candidates = pd.DataFrame(
        {
            "site_id": ["s", "t"],
            "site_cost": [100.0, 40.0],
            "unit_cost": [10.0, 10.0],
            "min_units": [0, 2],
            "max_units": [5, 5],
        }
    )
    existing = pd.DataFrame({"site_id": ["e"], "capacity": [1.0]})
    return od, demand, candidates, existing


def test_every_model_reports_the_same_money_keys(tiny):
    od, demand, cands, existing = tiny
    results = {
        "coverage": maximize_coverage(
            od, demand, cands, existing=existing, catchment_minutes=10, budget=150
        ),
        "greedy": greedy_coverage(
            od, demand, cands, existing=existing, catchment_minutes=10, budget=150
        ),
        "capacitated": capacitated_coverage(
            od,
            demand,
            cands,
            existing=existing,
            catchment_minutes=10,
            people_per_unit=5,
            budget=150,
        ),
        "min_cost_cover": min_cost_cover(
            od, demand, cands, existing=existing, catchment_minutes=10, target_share=1.0
        ),
        "set_cover": set_cover(od, demand, cands, existing=existing, catchment_minutes=10),
        "p_median": p_median(od, demand, cands, existing=existing, p=1, budget=150),
        "p_center": p_center(od, demand, cands, existing=existing, p=1),
        "max_min": maximize_min_access(
            od, demand, cands, existing=existing, catchment_minutes=10, budget=150
        ),
        "maed": minimize_access_deviation(
            od, demand, cands, existing=existing, catchment_minutes=10, budget=150
        ),
    }
    for name, result in results.items():
        t = result.totals
        missing = [k for k in MONEY_KEYS if k not in t]
        assert not missing, (name, missing)
        assert t["cost"] == pytest.approx(t["site_cost"] + t["unit_cost"]), name
        assert t["cost"] == pytest.approx(float(result.chosen["cost"].sum())), name
        assert t["verdict"] in VERDICTS, name
        assert "site_only" in result.chosen.columns, name
    # hand-worked: b and c need s (covers both within 10); s opens with 0 units at 100
    cov = results["coverage"]
    assert list(cov.chosen["site_id"]) == ["s"]
    assert cov.totals["site_cost"] == 100.0 and cov.totals["unit_cost"] == 0.0
    assert cov.totals["verdict"] == "within budget" and cov.totals["budget"] == 150.0
    assert cov.totals["site_only"] == ["s"] and bool(cov.chosen["site_only"].iloc[0])
    # min-cost cover and set cover have no budget
    assert results["min_cost_cover"].totals["verdict"] == "no budget set"
    assert results["set_cover"].totals["budget"] is None
    # p-median: t is nearer to b (3 vs 4) but c is 30 from t and 8 from s:
    # s: 20*4 + 5*8 = 120; t: 20*3 + 5*30 = 210 -> s, at site cost 100, 0 units
    pm = results["p_median"]
    assert list(pm.chosen["site_id"]) == ["s"]
    assert pm.totals["objective"] == pytest.approx(10 * 5 + 120)
    assert pm.totals["site_cost"] == 100.0 and pm.totals["site_only"] == ["s"]
    assert pm.totals["verdict"] == "within budget"
    # the p-center has no budget: verdict says so
    assert results["p_center"].totals["verdict"] == "no budget set"


def test_site_only_is_false_when_min_units_are_bought(tiny):
    od, demand, cands, existing = tiny
    # only t (min_units 2, cost 40 + 20 = 60) fits a budget of 70
    res = maximize_coverage(od, demand, cands, existing=existing, catchment_minutes=10, budget=70)
    assert list(res.chosen["site_id"]) == ["t"]
    assert list(res.chosen["units"]) == [2]
    assert res.totals["site_only"] == [] and not res.chosen["site_only"].any()
    assert res.totals["site_cost"] == 40.0 and res.totals["unit_cost"] == 20.0
    assert res.totals["cost"] == 60.0


def test_p_median_budget_is_respected_and_matches_brute_force(tiny):
    od, demand, cands, existing = tiny
    # s (100) does not fit 90: the only affordable site is t (40 + 2*10 = 60)
    res = p_median(od, demand, cands, existing=existing, p=1, budget=90)
    assert list(res.chosen["site_id"]) == ["t"]
    assert res.totals["cost"] == 60.0 and res.totals["unit_cost"] == 20.0
    assert res.totals["objective"] == pytest.approx(10 * 5 + 210)
    assert res.totals["verdict"] == "within budget"


def test_p_median_budget_needs_cost_columns(tiny):
    from accessplan.data.errors import InputValidationError

    od, demand, cands, existing = tiny
    with pytest.raises(InputValidationError, match="budget needs"):
        p_median(od, demand, cands[["site_id"]], existing=existing, p=1, budget=10)


# ---------------------------------------------------------------- empty plans explained


def test_explain_nothing_affordable_names_the_cheapest_with_its_cost():
    why = explain_empty_plan(
        candidate_ids=["x", "y", "z"],
        candidate_cost=[500.0, 120.0, 90.0],
        in_od=[True, True, True],
        in_reach=[True, True, False],  # z is cheapest but reaches nobody
        money=100.0,
        budget=100.0,
        uncovered_demand=40.0,
        catchment_minutes=30,
        currency="EUR",
    )
    assert why.code == "nothing_affordable"
    assert "y" in why.text and "120 EUR" in why.text and "100 EUR" in why.text
    assert why.as_dict() == {"code": why.code, "text": why.text}
    assert why.code in EXPLANATION_CODES


def test_explain_order_of_checks():
    common = {"candidate_ids": ["x"], "candidate_cost": [1.0], "catchment_minutes": 30}
    assert (
        explain_empty_plan(**common, in_od=[False], in_reach=[False], uncovered_demand=0.0).code
        == "no_candidate_pairs"
    )
    all_cov = explain_empty_plan(
        **common,
        in_od=[True],
        in_reach=[False],
        uncovered_demand=0.0,
        total_demand=1234.0,
        demand_label="people aged 65+",
    )
    assert all_cov.code == "all_covered"
    assert "1,234 people aged 65+" in all_cov.text and "30 minutes" in all_cov.text
    assert (
        explain_empty_plan(**common, in_od=[True], in_reach=[False], uncovered_demand=5.0).code
        == "no_candidate_in_reach"
    )
    assert explain_empty_plan(**common, in_od=[True], in_reach=[True], money=10.0).code == "no_gain"
    assert (
        explain_empty_plan(**common, in_od=[True], in_reach=[True], requested_sites=0).code
        == "none_requested"
    )


def test_coverage_explains_all_covered(tiny):
    od, demand, cands, _ = tiny
    existing = pd.DataFrame({"site_id": ["e"]})
    od = pd.concat([od, od_frame([("b", "e", 1.0), ("c", "e", 1.0)])])
    res = maximize_coverage(od, demand, cands, existing=existing, catchment_minutes=10)
    assert len(res.chosen) == 0
    assert res.explanation["code"] == "all_covered"
    assert "all 35 people" in res.explanation["text"]  # 10 + 20 + 5
    # set cover and min-cost cover say the same
    assert set_cover(od, demand, cands, existing=existing, catchment_minutes=10).explanation[
        "code"
    ] == ("all_covered")


def test_coverage_explains_nothing_affordable(tiny):
    od, demand, cands, existing = tiny
    res = maximize_coverage(od, demand, cands, existing=existing, catchment_minutes=10, budget=50)
    assert len(res.chosen) == 0
    assert res.explanation["code"] == "nothing_affordable"
    assert "in reach, t, costs 60 " in res.explanation["text"]
    assert res.totals["verdict"] == "within budget" and res.totals["cost"] == 0.0


def test_coverage_explains_no_candidate_in_reach_and_no_pairs(tiny):
    od, demand, cands, existing = tiny
    far = od.assign(minutes=np.where(od["site_id"] == "e", od["minutes"], 99.0))
    res = maximize_coverage(far, demand, cands, existing=existing, catchment_minutes=10)
    assert res.explanation["code"] == "no_candidate_in_reach"
    assert "2 candidate sites" in res.explanation["text"]
    only_existing = od[od["site_id"] == "e"]
    res = maximize_coverage(only_existing, demand, cands, existing=existing, catchment_minutes=10)
    assert res.explanation["code"] == "no_candidate_pairs"


def test_plans_that_open_sites_carry_no_explanation(tiny):
    od, demand, cands, existing = tiny
    res = maximize_coverage(od, demand, cands, existing=existing, catchment_minutes=10)
    assert len(res.chosen) and res.explanation is None


def test_min_cost_cover_target_met_and_p_zero(tiny):
    od, demand, cands, existing = tiny
    # existing e covers a: 10 of 35 = 28.6 % >= 25 %
    res = min_cost_cover(
        od, demand, cands, existing=existing, catchment_minutes=10, target_share=0.25
    )
    assert len(res.chosen) == 0 and res.explanation["code"] == "target_met"
    res = p_median(od, demand, cands, existing=existing, p=0, unassigned_minutes=60)
    assert res.explanation["code"] == "none_requested"


def test_equity_explains_nothing_affordable(tiny):
    od, demand, cands, existing = tiny
    res = maximize_min_access(od, demand, cands, existing=existing, catchment_minutes=10, budget=30)
    assert len(res.chosen) == 0
    assert res.explanation["code"] == "nothing_affordable"
    # t at 40 + its 2 minimum units at 10 = 60 is the cheapest useful plan (s: 100 + 10)
    assert "in reach, t, costs 60 " in res.explanation["text"]


def test_qp_reports_zero_cost():
    od = od_frame([("a", "x", 1.0), ("b", "y", 1.0)])
    demand = pd.Series({"a": 1.0, "b": 1.0})
    sites = pd.DataFrame({"site_id": ["x", "y"]})
    res = reallocate_capacity_qp(od, demand, sites, total_capacity=2.0, catchment_minutes=5)
    assert res.totals["cost"] == 0.0 and res.totals["verdict"] == "no budget set"


# ---------------------------------------------------------------- uniqueness vs brute force


def random_instance(seed, n_areas=6, n_cands=5, with_existing=True):
    rng = np.random.default_rng(seed)
    areas = [f"a{i}" for i in range(n_areas)]
    cands = [f"c{j}" for j in range(n_cands)]
    pairs = [(a, c, float(rng.integers(1, 15))) for a in areas for c in cands]
    if with_existing:
        pairs += [(a, "e", float(rng.integers(5, 25))) for a in areas]
    demand = pd.Series(rng.integers(1, 4, n_areas).astype(float), index=areas)
    candidates = pd.DataFrame(
        {"site_id": cands, "site_cost": rng.integers(1, 4, n_cands).astype(float)}
    )
    existing = pd.DataFrame({"site_id": ["e"]}) if with_existing else None
    return od_frame(pairs), demand, candidates, existing


def subsets(n):
    for k in range(n + 1):
        yield from itertools.combinations(range(n), k)


def brute_mclp(od, demand, candidates, existing, catchment, budget):
    near = od[od["minutes"] <= catchment]
    cover = {s: set(g["origin_id"]) for s, g in near.groupby("site_id")}
    base = cover.get("e", set()) if existing is not None else set()
    ids = list(candidates["site_id"])
    cost = dict(zip(ids, candidates["site_cost"], strict=True))
    scored = []
    for combo in subsets(len(ids)):
        chosen = [ids[j] for j in combo]
        c = sum(cost[s] for s in chosen)
        if c > budget:
            continue
        covered = set(base).union(*(cover.get(s, set()) for s in chosen))
        scored.append((float(demand[list(covered)].sum()), -c, frozenset(chosen)))
    best = max((v, c) for v, c, _ in scored)
    return [s for v, c, s in scored if (v, c) == best], best


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_mclp_uniqueness_agrees_with_brute_force(solver):
    outcomes = set()
    for seed in range(14):
        od, demand, cands, existing = random_instance(seed)
        optimal, (value, neg_cost) = brute_mclp(od, demand, cands, existing, 6, 4)
        res = maximize_coverage(
            od,
            demand,
            cands,
            existing=existing,
            catchment_minutes=6,
            budget=4,
            check_unique=True,
            solver_options={"solver": solver},
        )
        assert res.report.objective == pytest.approx(value), seed
        assert res.totals["cost"] == pytest.approx(-neg_cost), seed
        assert frozenset(res.chosen["site_id"]) in optimal, seed
        unique = res.uniqueness["unique"]
        assert unique == (len(optimal) == 1), (seed, optimal, res.uniqueness)
        if unique is False:
            assert frozenset(res.uniqueness["alternative"]) in optimal
            assert "not unique" in res.uniqueness["text"]
        outcomes.add(unique)
    assert outcomes == {True, False}  # both answers were exercised


def test_uniqueness_is_none_unless_asked(tiny):
    od, demand, cands, existing = tiny
    res = maximize_coverage(od, demand, cands, existing=existing, catchment_minutes=10)
    assert res.uniqueness is None


def brute_median(od, demand, candidates, existing, p, budget=None):
    ids = list(candidates["site_id"])
    cost = dict(zip(ids, candidates["site_cost"], strict=True))
    minutes = od.pivot(index="origin_id", columns="site_id", values="minutes")
    scored = []
    for combo in itertools.combinations(range(len(ids)), p):
        chosen = [ids[j] for j in combo]
        if budget is not None and sum(cost[s] for s in chosen) > budget:
            continue
        cols = chosen + (["e"] if existing is not None else [])
        best = minutes[cols].min(axis=1)
        scored.append((float((demand * best[demand.index]).sum()), frozenset(chosen)))
    if not scored:
        return [], None
    low = min(v for v, _ in scored)
    return [s for v, s in scored if abs(v - low) <= 1e-9], low


@pytest.mark.parametrize("budget", [None, 4.0])
def test_p_median_uniqueness_and_budget_agree_with_brute_force(budget):
    outcomes = set()
    for seed in range(12):
        od, demand, cands, existing = random_instance(seed, with_existing=seed % 2 == 0)
        optimal, low = brute_median(od, demand, cands, existing, 2, budget)
        if not optimal:  # no two sites fit the budget
            with pytest.raises(InfeasibleModelError, match="budget"):
                p_median(od, demand, cands, existing=existing, p=2, budget=budget)
            outcomes.add("infeasible")
            continue
        res = p_median(od, demand, cands, existing=existing, p=2, budget=budget, check_unique=True)
        assert res.totals["objective"] == pytest.approx(low), seed
        assert frozenset(res.chosen["site_id"]) in optimal, seed
        assert res.uniqueness["unique"] == (len(optimal) == 1), (seed, optimal, res.uniqueness)
        if budget is not None:
            assert res.totals["cost"] <= budget and res.totals["verdict"] == "within budget"
        outcomes.add(res.uniqueness["unique"])
    assert {True, False} <= outcomes


def test_p_median_every_plan_same_opens_the_cheapest():
    # the existing site is at 0 minutes from everyone: no candidate can help
    od = od_frame(
        [(a, s, m) for a in ("a", "b") for s, m in (("e", 0.0), ("x", 3.0), ("y", 1.0), ("z", 2.0))]
    )
    demand = pd.Series({"a": 1.0, "b": 2.0})
    cands = pd.DataFrame({"site_id": ["x", "y", "z"], "site_cost": [5.0, 9.0, 1.0]})
    res = p_median(od, demand, cands, existing=pd.DataFrame({"site_id": ["e"]}), p=2)
    assert sorted(res.chosen["site_id"]) == ["x", "z"]  # the two cheapest
    assert res.totals["objective"] == 0.0
    assert res.uniqueness["unique"] is False and res.uniqueness["every_plan_same"]
    assert "tie-break" in res.uniqueness["text"] and "cheapest" in res.uniqueness["text"]


def test_set_cover_and_min_cost_cover_uniqueness_agree_with_brute_force():
    for seed in range(10):
        od, demand, cands, _ = random_instance(seed, with_existing=False)
        near = od[od["minutes"] <= 6]
        cover = {s: set(g["origin_id"]) for s, g in near.groupby("site_id")}
        ids = list(cands["site_id"])
        cost = dict(zip(ids, cands["site_cost"], strict=True))
        reachable = set().union(*cover.values())
        full = []
        for combo in subsets(len(ids)):
            chosen = [ids[j] for j in combo]
            if set().union(*(cover.get(s, set()) for s in chosen)) >= reachable:
                full.append((len(chosen), sum(cost[s] for s in chosen), frozenset(chosen)))
        best_sc = min((n, c) for n, c, _ in full)
        optimal_sc = [s for n, c, s in full if (n, c) == best_sc]
        sc = set_cover(
            od, demand, cands, catchment_minutes=6, allow_uncovered=True, check_unique=True
        )
        assert (len(sc.chosen), sc.totals["cost"]) == best_sc, seed
        assert sc.uniqueness["unique"] == (len(optimal_sc) == 1), (seed, optimal_sc)
        # min-cost cover of everything reachable: cheapest full cover, any size
        cheapest = min(c for _, c, _ in full)
        optimal_mc = [s for _, c, s in full if c == cheapest]
        share = float(demand[list(reachable)].sum() / demand.sum())
        mc = min_cost_cover(
            od, demand, cands, catchment_minutes=6, target_share=share, check_unique=True
        )
        assert mc.totals["cost"] == cheapest, seed
        assert mc.uniqueness["unique"] == (len(optimal_mc) == 1), (seed, optimal_mc)


def test_max_min_access_says_when_every_plan_has_the_same_floor():
    # area c is reachable only from the existing site f: no plan can raise its access,
    # and it is the lowest (0.1) before and after
    od = od_frame(
        [("a", "x", 1.0), ("b", "x", 1.0), ("a", "f", 1.0), ("b", "f", 1.0), ("c", "f", 1.0)]
    )
    demand = pd.Series({"a": 10.0, "b": 10.0, "c": 10.0})
    cands = pd.DataFrame(
        {"site_id": ["x"], "site_cost": [1.0], "unit_cost": [1.0], "max_units": [3]}
    )
    existing = pd.DataFrame({"site_id": ["f"], "capacity": [3.0]})
    res = maximize_min_access(od, demand, cands, existing=existing, catchment_minutes=5, budget=10)
    assert res.totals["floor_before"] == pytest.approx(0.1)
    assert res.totals["floor_after"] == pytest.approx(0.1)
    assert res.uniqueness["every_plan_same"]
    assert "mean access" in res.uniqueness["text"]


def test_maed_and_max_min_uniqueness_agree_with_brute_force():
    # two symmetric candidates serving one area each: raising the floor needs both
    od = od_frame([("a", "x", 1.0), ("b", "y", 1.0), ("a", "z", 1.0)])
    demand = pd.Series({"a": 10.0, "b": 10.0})
    cands = pd.DataFrame(
        {
            "site_id": ["x", "y", "z"],
            "site_cost": [1.0, 1.0, 1.0],
            "unit_cost": [1.0, 1.0, 1.0],
            "max_units": [1, 1, 1],
        }
    )
    # budget 4 buys two sites with one unit each: {x, y} and {z, y} both give a floor of 0.1
    res = maximize_min_access(
        od, demand, cands, existing=None, catchment_minutes=5, budget=4, check_unique=True
    )
    assert res.totals["floor_after"] == pytest.approx(0.1)
    assert res.uniqueness["unique"] is False
    assert sorted(res.uniqueness["alternative"]) in (["x", "y"], ["y", "z"])
    # with z gone, {x, y} is the only plan with floor 0.1
    res = maximize_min_access(
        od[od["site_id"] != "z"],
        demand,
        cands.iloc[:2],
        existing=None,
        catchment_minutes=5,
        budget=4,
        check_unique=True,
    )
    assert res.uniqueness["unique"] is True
    dev = minimize_access_deviation(
        od[od["site_id"] != "z"],
        demand,
        cands.iloc[:2],
        existing=None,
        catchment_minutes=5,
        budget=4,
        check_unique=True,
    )
    # deviation 0 for the empty plan and for {x, y}: not unique
    assert dev.totals["l1_deviation_after"] == pytest.approx(0.0)
    assert dev.uniqueness["unique"] is False


def served_by_flow(cover, demand, caps):
    """Most demand served with site capacities ``caps`` (assignment LP by scipy)."""
    from scipy.optimize import linprog

    pairs = [(i, j) for i in range(cover.shape[0]) for j in range(cover.shape[1]) if cover[i, j]]
    if not pairs:
        return 0.0
    a_rows = np.zeros((cover.shape[0] + cover.shape[1], len(pairs)))
    for k, (i, j) in enumerate(pairs):
        a_rows[i, k] = 1.0
        a_rows[cover.shape[0] + j, k] = 1.0
    bounds = np.concatenate([demand, caps])
    res = linprog(-np.ones(len(pairs)), A_ub=a_rows, b_ub=bounds, bounds=(0, None))
    return float(-res.fun)


def test_capacitated_uniqueness_agrees_with_brute_force():
    outcomes = set()
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        areas, sites = ["a0", "a1", "a2"], ["c0", "c1", "c2"]
        cover = rng.random((3, 3)) < 0.6
        demand = rng.integers(1, 4, 3).astype(float)
        site_cost = rng.integers(1, 3, 3).astype(float)
        od = od_frame(
            [(areas[i], sites[j], 1.0) for i in range(3) for j in range(3) if cover[i, j]]
            # a row beyond the catchment keeps the table non-empty when nothing covers
            + [("a0", "c0", 50.0)] * (not cover[0, 0])
        )
        cands = pd.DataFrame(
            {"site_id": sites, "site_cost": site_cost, "unit_cost": 1.0, "max_units": 2}
        )
        budget = 5.0
        best, plans = None, {}
        for units in itertools.product(range(3), repeat=3):
            for opened in itertools.product((False, True), repeat=3):
                if any(u and not o for u, o in zip(units, opened, strict=True)):
                    continue
                cost = float(np.dot(site_cost, opened) + sum(units))
                if cost > budget:
                    continue
                served = served_by_flow(cover, demand, np.array(units, dtype=float))
                key = (round(served, 9), -cost)
                plans.setdefault(key, set()).add(frozenset(np.array(sites)[list(opened)]))
                best = key if best is None or key > best else best
        optimal = plans[best]
        res = capacitated_coverage(
            od,
            pd.Series(demand, index=areas),
            cands,
            existing=None,
            catchment_minutes=10,
            people_per_unit=1,
            budget=budget,
            check_unique=True,
        )
        assert res.totals["served"] == pytest.approx(best[0]), seed
        assert res.totals["cost"] == pytest.approx(-best[1]), seed
        assert frozenset(res.chosen["site_id"]) in optimal, seed
        assert res.uniqueness["unique"] == (len(optimal) == 1), (seed, optimal, res.uniqueness)
        outcomes.add(res.uniqueness["unique"])
    assert outcomes == {True, False}


def test_explanations_name_the_demand(tiny):
    od, demand, cands, _ = tiny
    existing = pd.DataFrame({"site_id": ["e"]})
    od = pd.concat([od, od_frame([("b", "e", 1.0), ("c", "e", 1.0)])])
    res = maximize_coverage(
        od,
        demand,
        cands,
        existing=existing,
        catchment_minutes=10,
        demand_label="people aged 50+",
    )
    assert "all 35 people aged 50+ are already within 10 minutes" in res.explanation["text"]
