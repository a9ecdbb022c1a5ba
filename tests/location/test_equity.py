"""Equity objectives: brute force over every plan, access_scores as the judge, QP optimality."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from shapely.geometry import Point

from accessplan.data.errors import InputValidationError
from accessplan.location.equity import (
    EquityResult,
    maximize_min_access,
    minimize_access_deviation,
    reallocate_capacity_qp,
    round_and_repair,
)
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.solver import SolverOptions
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import access_scores

CATCHMENT = 30.0


def _instance(seed: int, *, n_areas=10, n_cand=3, n_exist=2, density=0.6):
    rng = np.random.default_rng(seed)
    areas = [f"a{i}" for i in range(n_areas)]
    cands = [f"c{j}" for j in range(n_cand)]
    exist = [f"e{j}" for j in range(n_exist)]
    rows = [
        (a, s, float(rng.uniform(0, 45)))  # some beyond the catchment
        for a in areas
        for s in cands + exist
        if rng.random() < density
    ]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    demand = pd.Series(rng.integers(0, 400, n_areas).astype(float), index=areas, name="pop")
    candidates = pd.DataFrame(
        {
            "site_id": cands,
            "site_cost": rng.integers(1, 5, n_cand).astype(float),
            "unit_cost": rng.integers(1, 4, n_cand).astype(float),
            "min_units": rng.integers(0, 2, n_cand),
            "max_units": rng.integers(2, 4, n_cand),
        }
    )
    existing = pd.DataFrame(
        {"site_id": exist, "capacity": rng.integers(1, 10, n_exist).astype(float)}
    )
    return od, demand, candidates, existing


def _plans(candidates: pd.DataFrame):
    """Every (open, units) plan: closed, or open with min_units..max_units units."""
    choices = [
        [(False, 0)] + [(True, k) for k in range(int(lo), int(hi) + 1)]
        for lo, hi in zip(candidates["min_units"], candidates["max_units"], strict=True)
    ]
    return itertools.product(*choices)


def _supply(plan, candidates, existing, capacity_per_unit) -> pd.Series:
    supply = pd.Series(0.0, index=pd.Index(list(candidates["site_id"]) + list(existing["site_id"])))
    supply = supply[~supply.index.duplicated()]
    for site, cap in zip(existing["site_id"], existing["capacity"], strict=True):
        supply[site] += cap
    for site, (_, units) in zip(candidates["site_id"], plan, strict=True):
        supply[site] += capacity_per_unit * units
    return supply


def _cost(plan, candidates) -> float:
    return sum(
        (sc + uc * k) if is_open else 0.0
        for (is_open, k), sc, uc in zip(
            plan, candidates["site_cost"], candidates["unit_cost"], strict=True
        )
    )


def _in_f(od, demand, candidates, existing, method, capacity_per_unit):
    """Areas with people that some site could ever supply: all units bought, judged by fca."""
    full = [(True, int(k)) for k in candidates["max_units"]]
    supply = _supply(full, candidates, existing, capacity_per_unit)
    result = access_scores(od, demand, supply, method=method, catchment_minutes=CATCHMENT)
    return (demand > 0) & result.reaches_supply


def _brute(od, demand, candidates, existing, *, budget, method, capacity_per_unit=1.0):
    """Every budget-feasible plan with its floor, mean and L1 deviation over F (by fca)."""
    in_f = _in_f(od, demand, candidates, existing, method, capacity_per_unit)
    pop = demand[in_f]
    out = []
    for plan in _plans(candidates):
        if _cost(plan, candidates) > budget + 1e-9:
            continue
        supply = _supply(plan, candidates, existing, capacity_per_unit)
        access = access_scores(
            od, demand, supply, method=method, catchment_minutes=CATCHMENT
        ).access[in_f]
        mean = float(pop @ access) / pop.sum()
        out.append(
            {
                "plan": plan,
                "floor": float(access.min()),
                "mean": mean,
                "l1": float(pop @ (access - mean).abs()),
            }
        )
    return pd.DataFrame(out), in_f


def _check_plan(result: EquityResult, od, demand, candidates, existing, *, budget, method, cpu):
    """The plan is feasible and the access the model reports is fca's on the new capacities."""
    chosen = result.chosen.set_index("site_id")
    plan = []
    for _, row in candidates.iterrows():
        if row["site_id"] in chosen.index:
            units = int(chosen.loc[row["site_id"], "units"])
            assert row["min_units"] <= units <= row["max_units"]
            plan.append((True, units))
        else:
            plan.append((False, 0))
    assert _cost(plan, candidates) <= budget + 1e-9
    assert result.totals["spent"] == pytest.approx(_cost(plan, candidates))
    supply = _supply(plan, candidates, existing, cpu)
    after = access_scores(od, demand, supply, method=method, catchment_minutes=CATCHMENT)
    np.testing.assert_allclose(result.areas["access_after"], after.access, rtol=1e-12, atol=0)
    before = _supply([(False, 0)] * len(candidates), candidates, existing, cpu)
    np.testing.assert_allclose(
        result.areas["access_before"],
        access_scores(od, demand, before, method=method, catchment_minutes=CATCHMENT).access,
        rtol=1e-12,
        atol=0,
    )
    return plan


CASES = [
    # seed, budget, method, capacity_per_unit
    (0, 6.0, "2sfca", 1.0),
    (1, 9.0, "e2sfca", 2.0),
    (2, 4.0, "2sfca", 1.0),
    (3, 12.0, "m2sfca", 1.5),
    (4, 7.0, "g2sfca", 1.0),
    (5, 8.0, "gravity", 3.0),
]


@pytest.mark.parametrize(("seed", "budget", "method", "cpu"), CASES)
def test_max_min_access_brute_force(seed, budget, method, cpu):
    od, demand, candidates, existing = _instance(seed)
    plans, in_f = _brute(
        od, demand, candidates, existing, budget=budget, method=method, capacity_per_unit=cpu
    )
    result = maximize_min_access(
        od, demand, candidates, existing=existing, catchment_minutes=CATCHMENT, budget=budget,
        method=method, capacity_per_unit=cpu,
    )  # fmt: skip
    best = plans["floor"].max()
    assert result.report.proven_optimal
    assert result.totals["objective"] == pytest.approx(best, rel=1e-6)
    assert result.report.objective == pytest.approx(best, rel=1e-6)
    assert result.totals["floor_after"] == result.totals["objective"]
    pd.testing.assert_series_equal(result.areas["in_objective"], in_f, check_names=False)
    _check_plan(result, od, demand, candidates, existing, budget=budget, method=method, cpu=cpu)
    # tie-break: the best population-weighted mean among plans keeping the floor
    keeping = plans[plans["floor"] >= best * (1 - 1e-9)]
    assert result.totals["mean_after"] == pytest.approx(keeping["mean"].max(), rel=1e-6)


@pytest.mark.parametrize(("seed", "budget", "method", "cpu"), CASES)
def test_min_access_deviation_brute_force(seed, budget, method, cpu):
    od, demand, candidates, existing = _instance(seed)
    plans, _ = _brute(
        od, demand, candidates, existing, budget=budget, method=method, capacity_per_unit=cpu
    )
    result = minimize_access_deviation(
        od, demand, candidates, existing=existing, catchment_minutes=CATCHMENT, budget=budget,
        method=method, capacity_per_unit=cpu,
    )  # fmt: skip
    best = plans["l1"].min()
    assert result.report.proven_optimal
    assert result.totals["objective"] == pytest.approx(best, rel=1e-6, abs=1e-9)
    assert result.report.objective == pytest.approx(best, rel=1e-6, abs=1e-9)
    _check_plan(result, od, demand, candidates, existing, budget=budget, method=method, cpu=cpu)
    pop = result.totals["demand_in_objective"]
    assert result.totals["mean_abs_deviation_after"] == pytest.approx(best / pop, rel=1e-6)


@pytest.mark.parametrize("objective", [maximize_min_access, minimize_access_deviation])
def test_cbc_and_highs_agree(objective):
    od, demand, candidates, existing = _instance(7, n_cand=4)
    values = [
        objective(
            od,
            demand,
            candidates,
            existing=existing,
            catchment_minutes=CATCHMENT,
            budget=10.0,
            method="e2sfca",
            solver_options=SolverOptions(solver=solver),
        ).totals["objective"]
        for solver in ("cbc", "highs")
    ]
    assert values[0] == pytest.approx(values[1], rel=1e-6, abs=1e-9)


def test_expansion_of_an_existing_site_and_unreachable_areas():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "b", "b", "c", "far"],
            "site_id": ["e", "e", "n", "n", "e"],
            "minutes": [5.0, 10.0, 8.0, 3.0, 50.0],
        }
    )
    demand = pd.Series({"a": 100.0, "b": 50.0, "c": 50.0, "far": 30.0, "empty": 0.0})
    existing = pd.DataFrame({"site_id": ["e"], "capacity": [3.0]})
    candidates = pd.DataFrame(
        {
            "site_id": ["e", "n"],  # "e" is an expansion of the existing site
            "site_cost": [1.0, 5.0],
            "unit_cost": [1.0, 1.0],
            "max_units": [4, 4],
        }
    )
    # e reaches a, b (150 people); n reaches b, c (100); "far" is beyond the catchment.
    # Budget 5 cannot open n with a unit, so c stays at 0: the floor is 0, and the
    # tie-break spends the money where it raises the mean: 4 units at e.
    poor = maximize_min_access(
        od, demand, candidates, existing=existing, catchment_minutes=30, budget=5.0
    )
    assert poor.totals["objective"] == 0.0
    assert poor.chosen[["site_id", "units"]].values.tolist() == [["e", 4]]
    assert poor.chosen["capacity_after"].tolist() == [7.0]  # 3 existing + 4 new
    assert poor.areas.loc["far", "status"] == "unreachable"
    assert poor.areas.loc["empty", "status"] == "zero_demand"
    assert poor.totals["areas_unreachable"] == ("far",)
    # Budget 12: n + 4 units (9) and e + 2 units (3) give a 5/150 and c 4/100;
    # n + 3, e + 3 give c only 3/100. The floor is a's 5/150.
    rich = maximize_min_access(
        od, demand, candidates, existing=existing, catchment_minutes=30, budget=12.0
    )
    assert rich.totals["objective"] == pytest.approx(5 / 150, rel=1e-9)
    chosen = rich.chosen.set_index("site_id")
    assert chosen["units"].to_dict() == {"e": 2, "n": 4}
    assert chosen["capacity_after"].to_dict() == {"e": 5.0, "n": 4.0}
    assert rich.areas.loc["c", "access_after"] == pytest.approx(4 / 100, rel=1e-12)
    for budget, result in ((5.0, poor), (12.0, rich)):
        plans, _ = _brute(
            od, demand, candidates.assign(min_units=0), existing, budget=budget, method="2sfca"
        )
        assert result.totals["objective"] == pytest.approx(plans["floor"].max(), abs=1e-12)


def test_three_step_is_refused_and_inputs_are_checked():
    od, demand, candidates, existing = _instance(0)
    with pytest.raises(UnknownMethodError, match="not linear"):
        maximize_min_access(
            od, demand, candidates, existing=existing, catchment_minutes=30, budget=5,
            method="3sfca",
        )  # fmt: skip
    bad = candidates.assign(min_units=[5, 0, 0.5]).drop(columns="unit_cost")
    with pytest.raises(InputValidationError) as info:
        minimize_access_deviation(
            od, demand, bad, existing=existing.drop(columns="capacity"), catchment_minutes=30,
            budget=-1, capacity_per_unit=0,
        )  # fmt: skip
    text = str(info.value)
    for fragment in (
        "unit_cost",
        "capacity",
        "not a whole number",
        "min_units > max_units",
        "budget",
        "capacity_per_unit",
    ):
        assert fragment in text


def test_geometry_kept_and_inputs_not_mutated():
    od, demand, candidates, existing = _instance(2)
    candidates = gpd.GeoDataFrame(
        candidates, geometry=[Point(i, i) for i in range(len(candidates))], crs="EPSG:3857"
    )
    copies = [x.copy() for x in (od, demand, candidates, existing)]
    result = maximize_min_access(
        od, demand, candidates, existing=existing, catchment_minutes=30, budget=100.0
    )
    assert isinstance(result.chosen, gpd.GeoDataFrame)
    assert len(result.chosen) == 3  # a large budget opens every site to the maximum
    assert (result.chosen["units"] == candidates["max_units"].to_numpy()).all()
    for before, after in zip(copies, (od, demand, candidates, existing), strict=True):
        if isinstance(before, pd.Series):
            pd.testing.assert_series_equal(before, after)
        else:
            pd.testing.assert_frame_equal(before, after)
    assert "max-min access" in result.summary()


# ============================================================================ QP


def _qp_instance():
    """Six areas, three sites with overlapping 30-minute catchments."""
    od = pd.DataFrame(
        [
            ("a", "s1", 5.0), ("a", "s2", 25.0),
            ("b", "s1", 12.0), ("b", "s2", 14.0),
            ("c", "s2", 4.0),
            ("d", "s2", 28.0), ("d", "s3", 9.0),
            ("e", "s3", 3.0), ("e", "s1", 29.0),
            ("f", "s3", 18.0), ("f", "x", 1.0),  # "x" is not a site here: ignored
        ],
        columns=["origin_id", "site_id", "minutes"],
    )  # fmt: skip
    demand = pd.Series({"a": 300.0, "b": 120.0, "c": 80.0, "d": 200.0, "e": 60.0, "f": 150.0})
    sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"], "capacity": [10.0, 5.0, 5.0]})
    return od, demand, sites


class _Judge:
    """``sum P (A - Abar)^2`` over the populated areas the sites reach, from access_scores.

    ``direct`` calls access_scores on the capacities given. The fast call uses
    access_scores once per site (capacity 1 there, 0 elsewhere) and adds up
    those columns: 2SFCA access is linear in the capacities, which
    :func:`test_judge_is_access_scores` checks against ``direct``.
    """

    def __init__(self, od, demand, site_ids, method):
        self.od = od[od["site_id"].isin(site_ids)]
        self.demand, self.site_ids, self.method = demand, pd.Index(site_ids), method
        ones = pd.Series(1.0, index=self.site_ids)
        reach = self._access(ones).reaches_supply
        self.keep = ((demand > 0) & reach).to_numpy()
        self.pop = demand.to_numpy()[self.keep]
        basis = np.eye(len(site_ids))
        self.columns = np.column_stack(
            [self._access(pd.Series(b, index=self.site_ids)).access.to_numpy() for b in basis]
        )[self.keep]

    def _access(self, supply):
        return access_scores(
            self.od, self.demand, supply, method=self.method, catchment_minutes=CATCHMENT
        )

    def _value(self, access):
        mean = float(self.pop @ access) / self.pop.sum()
        return float(self.pop @ (access - mean) ** 2)

    def __call__(self, capacity):
        return self._value(self.columns @ np.asarray(capacity, dtype=float))

    def direct(self, capacity):
        supply = pd.Series(np.asarray(capacity, dtype=float), index=self.site_ids)
        return self._value(self._access(supply).access.to_numpy()[self.keep])


def _gradient(judge, capacity, h=1e-2):
    """One-sided three-point differences: exact for a quadratic, never below zero capacity."""
    capacity = np.asarray(capacity, dtype=float)
    here = judge(capacity)
    out = []
    for j in range(len(capacity)):
        step = np.zeros(len(capacity))
        step[j] = h
        one = judge(capacity + step)
        two = judge(capacity + 2 * step)
        out.append((-3 * here + 4 * one - two) / (2 * h))
    return np.array(out)


@pytest.mark.parametrize("method", ["2sfca", "e2sfca", "m2sfca"])
def test_judge_is_access_scores(method):
    od, demand, sites = _qp_instance()
    judge = _Judge(od, demand, sites["site_id"], method)
    rng = np.random.default_rng(3)
    for capacity in rng.uniform(0, 20, size=(5, 3)):
        assert judge(capacity) == pytest.approx(judge.direct(capacity), rel=1e-12)


@pytest.mark.parametrize("method", ["2sfca", "e2sfca"])
def test_qp_against_slsqp_grid_and_kkt(method):
    od, demand, sites = _qp_instance()
    ids = pd.Index(sites["site_id"])
    judge = _Judge(od, demand, ids, method)
    total = 20.0
    result = reallocate_capacity_qp(
        od, demand, sites, total_capacity=total, catchment_minutes=CATCHMENT, method=method
    )
    assert result.model == "capacity reallocation (continuous QP, HiGHS)"
    assert result.report.status == "optimal"
    assert result.totals["highs_model_status"] == "Optimal"
    cap = result.chosen["capacity_after"].to_numpy()
    assert cap.sum() == pytest.approx(total, rel=1e-12)
    assert (cap >= -1e-9).all()
    # the objective is the squared deviation fca's access gives for these capacities
    truth = judge.direct(cap)
    assert result.totals["objective"] == pytest.approx(truth, rel=1e-9)
    assert result.report.objective == pytest.approx(truth, rel=1e-9)
    # scipy's SLSQP from the even split reaches no lower objective
    scipy_run = minimize(
        lambda s: judge(s) * 1e3,
        np.full(3, total / 3),
        method="SLSQP",
        bounds=[(0, None)] * 3,
        constraints=[{"type": "eq", "fun": lambda s: s.sum() - total}],
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert scipy_run.success
    assert truth <= scipy_run.fun / 1e3 * (1 + 1e-6)
    assert truth == pytest.approx(scipy_run.fun / 1e3, rel=1e-5)
    # a fine grid on the simplex finds nothing better
    n = 60
    best_grid = min(
        judge(np.array([i, j, n - i - j]) * (total / n))
        for i in range(n + 1)
        for j in range(n + 1 - i)
    )
    assert truth <= best_grid * (1 + 1e-9)
    # first-order conditions: equal gradients on free sites, larger at a lower bound
    grad = _gradient(judge, cap)
    free = cap > 1e-6
    assert free.any()
    lam = grad[free].mean()
    scale = np.abs(grad).max()
    np.testing.assert_allclose(grad[free], lam, atol=1e-6 * scale)
    assert (grad[~free] >= lam - 1e-6 * scale).all()


def test_qp_with_bounds_keeps_kkt_and_total():
    od, demand, sites = _qp_instance()
    ids = pd.Index(sites["site_id"])
    judge = _Judge(od, demand, ids, "2sfca")
    minimum = pd.Series({"s1": 2.0, "s2": 6.0, "s3": 1.0})
    result = reallocate_capacity_qp(
        od, demand, sites, total_capacity=18.0, catchment_minutes=CATCHMENT,
        min_capacity=minimum, max_capacity=9.0,
    )  # fmt: skip
    cap = result.chosen["capacity_after"].to_numpy()
    assert cap.sum() == pytest.approx(18.0, rel=1e-12)
    assert (cap >= minimum.to_numpy() - 1e-7).all() and (cap <= 9.0 + 1e-7).all()
    grad = _gradient(judge, cap)
    at_low = cap <= minimum.to_numpy() + 1e-6
    at_high = cap >= 9.0 - 1e-6
    free = ~at_low & ~at_high
    scale = np.abs(grad).max()
    assert free.any()
    lam = grad[free].mean()
    np.testing.assert_allclose(grad[free], lam, atol=1e-6 * scale)
    assert (grad[at_low] >= lam - 1e-6 * scale).all()
    assert (grad[at_high] <= lam + 1e-6 * scale).all()
    # access after equals fca's on the new capacities
    after = access_scores(
        od[od["site_id"].isin(ids)], demand, pd.Series(cap, index=ids), catchment_minutes=30
    ).access
    np.testing.assert_allclose(result.areas["access_after"], after, rtol=1e-12)


def _naive_round(capacity: np.ndarray, total: int) -> np.ndarray:
    """Round each to the nearest whole number, then fix the total at the biggest site."""
    out = np.round(capacity)
    out[np.argmax(out)] += total - out.sum()
    return out


def test_round_and_repair_keeps_total_and_beats_naive_rounding():
    od, demand, sites = _qp_instance()
    judge = _Judge(od, demand, sites["site_id"], "2sfca")
    qp = reallocate_capacity_qp(od, demand, sites, total_capacity=23, catchment_minutes=30)
    whole = round_and_repair(qp)
    assert whole.heuristic and "heuristic" in whole.model
    assert whole.report.status == "feasible" and not whole.report.proven_optimal
    cap = whole.chosen["capacity_after"].to_numpy()
    assert (cap == np.round(cap)).all() and (cap >= 0).all()
    assert cap.sum() == 23
    value = judge.direct(cap)
    assert whole.totals["objective"] == pytest.approx(value, rel=1e-9)
    naive = _naive_round(qp.chosen["capacity_after"].to_numpy(), 23)
    assert value <= judge(naive) * (1 + 1e-12)
    assert whole.totals["objective"] <= whole.totals["objective_rounded"]
    # no single-unit move improves it (1-move local optimum), judged by fca
    for a, b in itertools.permutations(range(3), 2):
        if cap[a] >= 1:
            moved = cap.copy()
            moved[a] -= 1
            moved[b] += 1
            assert judge(moved) >= value * (1 - 1e-12)
    # the continuous optimum is a valid lower bound: below every whole-number split
    best_int = min(judge([x, y, 23 - x - y]) for x in range(24) for y in range(24 - x))
    assert whole.report.best_bound <= best_int * (1 + 1e-9)
    assert value >= best_int * (1 - 1e-12)


def test_repair_improves_a_bad_start_and_site_without_population_stays_at_minimum():
    od, demand, sites = _qp_instance()
    sites = pd.concat([sites, pd.DataFrame({"site_id": ["lost"], "capacity": [0.0]})])
    od = pd.concat([od, pd.DataFrame([("a", "lost", 45.0)], columns=od.columns)])
    qp = reallocate_capacity_qp(od, demand, sites, total_capacity=30, catchment_minutes=30)
    assert qp.totals["sites_without_population"] == ("lost",)
    assert qp.chosen.set_index("site_id").loc["lost", "capacity_after"] == 0.0
    whole = round_and_repair(qp)
    assert whole.chosen["capacity_after"].sum() == 30
    limited = round_and_repair(qp, max_moves=0)
    assert limited.totals["moves"] == 0
    assert whole.totals["objective"] <= limited.totals["objective"]


def test_qp_infeasible_bounds_and_bad_inputs():
    od, demand, sites = _qp_instance()
    with pytest.raises(InfeasibleModelError, match="cannot add up"):
        reallocate_capacity_qp(
            od, demand, sites, total_capacity=100, catchment_minutes=30, max_capacity=10
        )
    with pytest.raises(InputValidationError) as info:
        reallocate_capacity_qp(
            od, demand, sites, total_capacity=-1, catchment_minutes=30,
            min_capacity="nope", max_capacity=pd.Series({"s1": 1.0}),
        )  # fmt: skip
    text = str(info.value)
    for fragment in ("total_capacity", "no column 'nope'", "no value for 2 sites"):
        assert fragment in text
    qp = reallocate_capacity_qp(od, demand, sites, total_capacity=20.5, catchment_minutes=30)
    with pytest.raises(InfeasibleModelError, match="whole number"):
        round_and_repair(qp)
