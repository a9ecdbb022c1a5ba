"""Coverage models against spopt's San Francisco answers and brute force on tiny instances.

Known answers: MCLP radius 5000 m with p = 4 covers 875,247 people; LSCP at 5000 m
needs 8 sites (and, checked here by enumeration, no 7 stores do). Tiny instances
are solved by enumerating every site/unit plan in plain Python (coverage from
Python sets, service from networkx maximum flow), and the returned plans are
checked for feasibility: budget, unit bounds, capacity, catchment.
"""

from __future__ import annotations

import dataclasses
import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.location.coverage import (
    capacitated_coverage,
    greedy_coverage,
    maximize_coverage,
    min_cost_cover,
    set_cover,
)
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolverOptions

SOLVERS = ("cbc", "highs")
EXACT = {"solver": "highs", "gap_rel": 0.0}


# ============================================================ San Francisco (spopt)


@pytest.fixture(scope="module")
def sf(shared_data):
    folder = shared_data / "spopt_sf"
    tracts = pd.read_csv(folder / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    raw = pd.read_csv(
        folder / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
        dtype={"DestinationName": str},
    )
    od = pd.DataFrame(
        {"origin_id": raw["DestinationName"], "site_id": raw["name"], "minutes": raw["distance"]}
    )
    demand = pd.Series(tracts["POP2000"].to_numpy(float), index=tracts["NAME"], name="POP2000")
    stores = pd.read_csv(folder / "SF_store_site_16_longlat.csv")
    candidates = gpd.GeoDataFrame(
        {"site_id": stores["NAME"], "label": [f"store {i}" for i in range(len(stores))]},
        geometry=gpd.points_from_xy(stores["long"], stores["lat"]),
        crs="EPSG:4326",
    )
    return od, demand, candidates


def sets_within(od: pd.DataFrame, catchment) -> dict:
    """site -> set of areas within the catchment (plain Python)."""
    out: dict = {}
    for origin, site, minutes in od.itertuples(index=False):
        if minutes <= catchment:
            out.setdefault(site, set()).add(origin)
    return out


def covered_by(demand: pd.Series, sets: dict, sites) -> float:
    areas = set().union(*(sets.get(s, set()) for s in sites)) if sites else set()
    return float(sum(demand[a] for a in areas if a in demand.index))


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_mclp_p4_covers_875247(sf, solver):
    od, demand, candidates = sf
    result = maximize_coverage(
        od,
        demand,
        candidates,
        catchment_minutes=5000,
        max_new_sites=4,
        solver_options=SolverOptions(solver=solver, gap_rel=0),
    )
    assert isinstance(result, LocationResult)
    assert result.report.status == "optimal"
    assert result.report.objective == 875_247
    assert result.report.best_bound == 875_247
    assert len(result.chosen) == 4
    # feasibility, recomputed from the raw OD table
    sets = sets_within(od, 5000)
    assert covered_by(demand, sets, list(result.chosen["site_id"])) == 875_247
    assert result.totals["covered_after"] == 875_247
    assert result.totals["population"] == 955_113
    assert result.totals["share_after"] == pytest.approx(0.9164, abs=5e-5)
    covered_areas = set().union(*(sets[s] for s in result.chosen["site_id"]))
    assert set(result.areas.index[result.areas["covered_after"]]) == covered_areas
    # the candidates' own columns and geometry are kept
    assert isinstance(result.chosen, gpd.GeoDataFrame)
    assert result.chosen.crs == candidates.crs
    assert list(result.chosen.columns[:5]) == [
        "site_id",
        "units",
        "cost",
        "newly_covered",
        "marginal_gain",
    ]
    assert "label" in result.chosen.columns
    geom = candidates.set_index("site_id").geometry
    for site, point in zip(result.chosen["site_id"], result.chosen.geometry, strict=True):
        assert point.equals(geom[site])


def test_sf_marginal_and_newly_covered_match_set_arithmetic(sf):
    od, demand, candidates = sf
    existing = pd.DataFrame({"site_id": ["Store_15"]})
    others = candidates[candidates["site_id"] != "Store_15"]
    result = maximize_coverage(
        od,
        demand,
        others,
        existing=existing,
        catchment_minutes=5000,
        max_new_sites=3,
        solver_options=EXACT,
    )
    sets = sets_within(od, 5000)
    chosen = list(result.chosen["site_id"])
    before = covered_by(demand, sets, ["Store_15"])
    assert result.totals["covered_before"] == before
    assert result.report.objective == covered_by(demand, sets, ["Store_15", *chosen])
    # existing Store_15 is fixed open: the optimum equals the best 3 stores added to it
    best = max(
        covered_by(demand, sets, ["Store_15", *trio])
        for trio in itertools.combinations(others["site_id"], 3)
    )
    assert result.report.objective == best
    plan = ["Store_15", *chosen]
    for row in result.chosen.itertuples():
        rest = [s for s in plan if s != row.site_id]
        assert row.marginal_gain == covered_by(demand, sets, plan) - covered_by(demand, sets, rest)
        only_new = sets[row.site_id] - sets["Store_15"]
        assert row.newly_covered == sum(demand[a] for a in only_new)
    assert (result.areas["covered_before"] <= result.areas["covered_after"]).all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_lscp_needs_exactly_8_sites(sf, solver):
    od, demand, candidates = sf
    result = set_cover(
        od,
        demand,
        candidates,
        catchment_minutes=5000,
        solver_options=SolverOptions(solver=solver),
    )
    assert result.report.status == "optimal"
    assert result.report.objective == 8
    assert len(result.chosen) == 8
    sets = sets_within(od, 5000)
    reachable = set().union(*sets.values()) & set(demand.index[demand > 0])
    covered = set().union(*(sets[s] for s in result.chosen["site_id"]))
    assert reachable <= covered
    assert result.areas.loc[list(reachable), "covered_after"].all()
    # no 7 stores cover every reachable tract (enumeration, 11,440 sets)
    sites = list(candidates["site_id"])
    index = {a: i for i, a in enumerate(sorted(reachable))}
    incidence = np.zeros((len(sites), len(index)), dtype=bool)
    for k, s in enumerate(sites):
        for a in sets.get(s, set()) & reachable:
            incidence[k, index[a]] = True
    combos = np.array(list(itertools.combinations(range(len(sites)), 7)))
    assert not incidence[combos].any(axis=1).all(axis=1).any()


def test_sf_greedy_is_feasible_and_not_better_than_the_optimum(sf):
    od, demand, candidates = sf
    greedy = greedy_coverage(od, demand, candidates, catchment_minutes=5000, max_new_sites=4)
    assert greedy.report.status == "feasible"
    assert not greedy.report.proven_optimal
    assert len(greedy.chosen) <= 4
    sets = sets_within(od, 5000)
    assert greedy.report.objective == covered_by(demand, sets, list(greedy.chosen["site_id"]))
    assert greedy.report.objective <= 875_247
    # greedy's first pick is the single store covering the most people
    best_single = max(covered_by(demand, sets, [s]) for s in candidates["site_id"])
    assert greedy.chosen["newly_covered"].max() >= best_single - 1e-9


def test_sf_merged_and_unmerged_models_agree(sf):
    od, demand, candidates = sf
    kw = {"catchment_minutes": 3000, "max_new_sites": 5, "solver_options": EXACT}
    merged = maximize_coverage(od, demand, candidates, merge_demand=True, **kw)
    plain = maximize_coverage(od, demand, candidates, merge_demand=False, **kw)
    assert merged.report.objective == plain.report.objective
    assert merged.report.status == plain.report.status == "optimal"


def test_sf_impossible_target_names_the_best_share(sf):
    od, demand, candidates = sf
    candidates = candidates.assign(site_cost=1.0)
    sets = sets_within(od, 1500)
    best = covered_by(demand, sets, list(candidates["site_id"])) / demand.sum()
    assert best < 0.9
    with pytest.raises(InfeasibleModelError) as info:
        min_cost_cover(od, demand, candidates, catchment_minutes=1500, target_share=0.9)
    assert f"{best:.2%}" in str(info.value)
    assert "every candidate" in str(info.value)
    assert info.value.report is None  # raised before solving
    assert isinstance(info.value, AccessplanError)


# ============================================================ tiny random instances


def tiny(seed, *, n_areas=8, n_cand=5, n_exist=1, fractional=False, density=0.45):
    rng = np.random.default_rng(seed)
    cand_ids = [f"c{j}" for j in range(n_cand)]
    ex_ids = [f"e{j}" for j in range(n_exist)]
    rows = [
        (f"a{i}", s, float(rng.integers(1, 40)))
        for i in range(n_areas)
        for s in cand_ids + ex_ids
        if rng.random() < density
    ]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    values = rng.integers(0, 50, n_areas).astype(float)
    if fractional:
        values = values + rng.choice([0.0, 0.25, 0.5, 0.7], n_areas)
    demand = pd.Series(values, index=[f"a{i}" for i in range(n_areas)])
    min_units = rng.integers(0, 2, n_cand)
    candidates = pd.DataFrame(
        {
            "site_id": cand_ids,
            "site_cost": rng.integers(0, 30, n_cand).astype(float),
            "unit_cost": rng.integers(1, 10, n_cand).astype(float),
            "min_units": min_units,
            "max_units": min_units + rng.integers(0, 3, n_cand),
        }
    )
    existing = pd.DataFrame({"site_id": ex_ids, "capacity": rng.integers(0, 3, n_exist)})
    return od, demand, candidates, existing


def brute_coverage(od, demand, candidates, existing, catchment, *, budget=None, p=None):
    """Every subset of candidates (opened with min_units): (best coverage, cheapest cost for it)."""
    sets = sets_within(od, catchment)
    ex = list(existing["site_id"]) if existing is not None else []
    cost = dict(
        zip(
            candidates["site_id"],
            candidates["site_cost"] + candidates["unit_cost"] * candidates["min_units"],
            strict=True,
        )
    )
    plans = []
    ids = list(candidates["site_id"])
    for r in range(len(ids) + 1):
        if p is not None and r > p:
            break
        for subset in itertools.combinations(ids, r):
            c = sum(cost[s] for s in subset)
            if budget is not None and c > budget + 1e-9:
                continue
            plans.append((covered_by(demand, sets, ex + list(subset)), c))
    best = max(v for v, _ in plans)
    cheapest = min(c for v, c in plans if v >= best - 1e-9)
    return best, cheapest, plans


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fractional", [False, True])
def test_mclp_matches_brute_force_and_breaks_ties_toward_cheaper(seed, fractional):
    od, demand, candidates, existing = tiny(seed, fractional=fractional)
    budget = [None, 25.0, 40.0][seed % 3]
    p = [None, 2, 3][seed % 3 - 1]
    result = maximize_coverage(
        od,
        demand,
        candidates,
        existing=existing,
        catchment_minutes=25,
        budget=budget,
        max_new_sites=p,
        solver_options=SolverOptions(solver=SOLVERS[seed % 2], gap_rel=0),
    )
    best, cheapest, _ = brute_coverage(od, demand, candidates, existing, 25, budget=budget, p=p)
    assert result.report.status == "optimal"
    assert result.report.objective == pytest.approx(best, abs=1e-9)
    assert result.totals["cost"] == pytest.approx(cheapest, abs=1e-6)
    # the plan is feasible and its coverage is what it claims
    chosen = result.chosen
    assert (chosen["units"] == chosen["min_units"]).all()
    assert (chosen["units"] <= chosen["max_units"]).all()
    if budget is not None:
        assert chosen["cost"].sum() <= budget + 1e-9
    if p is not None:
        assert len(chosen) <= p
    sets = sets_within(od, 25)
    plan = list(existing["site_id"]) + list(chosen["site_id"])
    assert result.totals["covered_after"] == pytest.approx(covered_by(demand, sets, plan))


@pytest.mark.parametrize("seed", range(6))
def test_greedy_never_beats_the_optimum_and_respects_the_budget(seed):
    od, demand, candidates, existing = tiny(seed, n_cand=5)
    greedy = greedy_coverage(
        od, demand, candidates, existing=existing, catchment_minutes=25, budget=30.0
    )
    best, _, _ = brute_coverage(od, demand, candidates, existing, 25, budget=30.0)
    assert greedy.report.objective <= best + 1e-9
    assert greedy.totals["cost"] <= 30.0 + 1e-9
    sets = sets_within(od, 25)
    plan = list(existing["site_id"]) + list(greedy.chosen["site_id"])
    assert greedy.report.objective == pytest.approx(covered_by(demand, sets, plan))


def test_merging_identical_areas_keeps_the_optimum():
    od, demand, candidates, existing = tiny(11, n_areas=6, n_cand=5)
    # copy every area three times: many areas now share coverage sets
    copies = [od.assign(origin_id=od["origin_id"] + f"_{k}") for k in range(3)]
    od3 = pd.concat(copies, ignore_index=True)
    demand3 = pd.concat([demand.rename(lambda a, k=k: f"{a}_{k}") * (k + 1) for k in range(3)])
    kw = {
        "existing": existing,
        "catchment_minutes": 25,
        "max_new_sites": 2,
        "solver_options": EXACT,
    }
    merged = maximize_coverage(od3, demand3, candidates, merge_demand=True, **kw)
    plain = maximize_coverage(od3, demand3, candidates, merge_demand=False, **kw)
    best, _, _ = brute_coverage(od3, demand3, candidates, existing, 25, p=2)
    assert merged.report.objective == plain.report.objective == pytest.approx(best)
    pd.testing.assert_series_equal(merged.areas["covered_before"], plain.areas["covered_before"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    budgets=st.lists(st.integers(0, 120), min_size=2, max_size=3),
)
def test_coverage_never_falls_as_the_budget_grows(seed, budgets):
    od, demand, candidates, existing = tiny(seed, n_areas=7, n_cand=4)
    values = []
    for budget in sorted(budgets):
        result = maximize_coverage(
            od,
            demand,
            candidates,
            existing=existing,
            catchment_minutes=25,
            budget=float(budget),
            solver_options=EXACT,
        )
        assert result.totals["cost"] <= budget + 1e-9
        values.append(result.report.objective)
    assert all(a <= b + 1e-9 for a, b in itertools.pairwise(values))


# ------------------------------------------------------------ minimum-cost cover


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("target", [0.5, 0.8])
def test_min_cost_cover_matches_brute_force(seed, target):
    od, demand, candidates, existing = tiny(seed, n_cand=5)
    sets = sets_within(od, 25)
    ex = list(existing["site_id"])
    everything = covered_by(demand, sets, ex + list(candidates["site_id"]))
    need = target * demand.sum()
    if everything < need - 1e-9:
        with pytest.raises(InfeasibleModelError, match="even with every candidate open"):
            min_cost_cover(
                od, demand, candidates, existing=existing, catchment_minutes=25, target_share=target
            )
        return
    result = min_cost_cover(
        od,
        demand,
        candidates,
        existing=existing,
        catchment_minutes=25,
        target_share=target,
        solver_options=SolverOptions(solver=SOLVERS[seed % 2], gap_rel=0),
    )
    _, _, plans = brute_coverage(od, demand, candidates, existing, 25)
    cheapest = min(c for v, c in plans if v >= need - 1e-9)
    assert result.report.objective == pytest.approx(cheapest)
    assert result.totals["cost"] == pytest.approx(cheapest)
    plan = ex + list(result.chosen["site_id"])
    assert covered_by(demand, sets, plan) >= need - 1e-9
    assert result.totals["share_after"] >= target - 1e-9


# ------------------------------------------------------------ capacitated coverage


def max_served(od, demand, catchment, capacity_people: dict) -> float:
    """networkx maximum flow: source -> area (demand) -> site in reach -> sink (capacity)."""
    g = nx.DiGraph()
    for area, value in demand.items():
        g.add_edge("source", ("area", area), capacity=float(value))
    for origin, site, minutes in od.itertuples(index=False):
        if minutes <= catchment and capacity_people.get(site, 0) > 0:
            g.add_edge(("area", origin), ("site", site))  # no capacity attribute: unbounded
    for site, cap in capacity_people.items():
        g.add_edge(("site", site), "sink", capacity=float(cap))
    return float(nx.maximum_flow_value(g, "source", "sink"))


def brute_capacitated(od, demand, candidates, existing, catchment, ppu, budget):
    ex_caps = {s: ppu * c for s, c in zip(existing["site_id"], existing["capacity"], strict=True)}
    options = []
    for row in candidates.itertuples():
        opts = [(None, 0.0)]
        for u in range(int(row.min_units), int(row.max_units) + 1):
            opts.append((u, row.site_cost + row.unit_cost * u))
        options.append(opts)
    results = []
    for plan in itertools.product(*options):
        cost = sum(c for _, c in plan)
        if cost > budget + 1e-9:
            continue
        caps = dict(ex_caps)
        for site, (u, _) in zip(candidates["site_id"], plan, strict=True):
            if u is not None:
                caps[site] = ppu * u
        results.append((max_served(od, demand, catchment, caps), cost))
    best = max(v for v, _ in results)
    cheapest = min(c for v, c in results if v >= best - 1e-7)
    return best, cheapest


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("ppu", [20.0, 12.5])
def test_capacitated_matches_brute_force_and_is_feasible(seed, ppu):
    od, demand, candidates, existing = tiny(seed, n_areas=7, n_cand=4, n_exist=2)
    budget = 45.0
    result = capacitated_coverage(
        od,
        demand,
        candidates,
        existing=existing,
        catchment_minutes=25,
        people_per_unit=ppu,
        budget=budget,
        solver_options=SolverOptions(solver=SOLVERS[seed % 2], gap_rel=0),
    )
    best, cheapest = brute_capacitated(od, demand, candidates, existing, 25, ppu, budget)
    assert result.report.status == "optimal"
    assert result.report.objective == pytest.approx(best, abs=1e-6)
    assert result.totals["served"] == pytest.approx(best, abs=1e-6)
    assert result.totals["cost"] == pytest.approx(cheapest, abs=1e-6)
    chosen = result.chosen
    # budget and unit bounds
    assert chosen["cost"].sum() <= budget + 1e-9
    assert (chosen["units"] >= chosen["min_units"]).all()
    assert (chosen["units"] <= chosen["max_units"]).all()
    # capacity: nobody is served beyond a site's units
    assert (chosen["served"] <= ppu * chosen["units"] + 1e-6).all()
    assert (chosen["capacity_people"] == ppu * chosen["units"]).all()
    # service stays within demand and within the catchment of an open site
    areas = result.areas
    assert (areas["served"] <= areas["demand"] + 1e-6).all()
    assert areas["served"].sum() == pytest.approx(best, abs=1e-6)
    assert (areas.loc[~areas["covered_after"], "served"] <= 1e-9).all()
    # the plan's own maximum flow (networkx) is what was reported
    caps = {s: ppu * c for s, c in zip(existing["site_id"], existing["capacity"], strict=True)}
    caps.update({s: ppu * u for s, u in zip(chosen["site_id"], chosen["units"], strict=True)})
    assert max_served(od, demand, 25, caps) == pytest.approx(best, abs=1e-6)
    ex_only = {s: ppu * c for s, c in zip(existing["site_id"], existing["capacity"], strict=True)}
    assert result.totals["served_before"] == pytest.approx(max_served(od, demand, 25, ex_only))
    # marginal gain: service lost when only that site is removed
    for row in chosen.itertuples():
        without = {s: c for s, c in caps.items() if s != row.site_id}
        lost = max_served(od, demand, 25, caps) - max_served(od, demand, 25, without)
        assert row.marginal_gain == pytest.approx(lost, abs=1e-6)


def restricted_lp_value(od, demand, candidates, existing, chosen, catchment, ppu, money):
    """scipy linprog: chosen sites open, their units continuous in [min, max], budget row."""
    cand = candidates.set_index("site_id")
    open_sites = list(existing["site_id"]) + list(chosen)
    pairs = [
        (o, s)
        for o, s, m in od.itertuples(index=False)
        if m <= catchment and s in open_sites and demand[o] > 0
    ]
    n_x, n_u = len(pairs), len(chosen)
    c = np.concatenate([-np.ones(n_x), np.zeros(n_u)])
    rows, rhs = [], []
    for area in demand.index:
        rows.append([1.0 if o == area else 0.0 for o, _ in pairs] + [0.0] * n_u)
        rhs.append(demand[area])
    for site, cap in zip(existing["site_id"], existing["capacity"], strict=True):
        rows.append([1.0 if s == site else 0.0 for _, s in pairs] + [0.0] * n_u)
        rhs.append(ppu * cap)
    for k, site in enumerate(chosen):
        unit = [0.0] * n_u
        unit[k] = -ppu
        rows.append([1.0 if s == site else 0.0 for _, s in pairs] + unit)
        rhs.append(0.0)
    rows.append([0.0] * n_x + [float(cand.loc[s, "unit_cost"]) for s in chosen])
    rhs.append(money - float(cand.loc[list(chosen), "site_cost"].sum()))
    bounds = [(0, None)] * n_x + [
        (float(cand.loc[s, "min_units"]), float(cand.loc[s, "max_units"])) for s in chosen
    ]
    out = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    assert out.status == 0
    return -out.fun


def test_budget_dual_is_people_per_unit_over_unit_cost_when_capacity_binds():
    od = pd.DataFrame({"origin_id": ["a"], "site_id": ["c"], "minutes": [5.0]})
    demand = pd.Series([1000.0], index=["a"])
    candidates = pd.DataFrame(
        {
            "site_id": ["c"],
            "site_cost": [5.0],
            "unit_cost": [3.0],
            "min_units": [0],
            "max_units": [10],
        }
    )
    for solver in SOLVERS:
        result = capacitated_coverage(
            od,
            demand,
            candidates,
            existing=None,
            catchment_minutes=10,
            people_per_unit=10,
            budget=18.0,
            solver_options=SolverOptions(solver=solver),
        )
        assert result.chosen["units"].tolist() == [4]
        assert result.report.objective == 40
        assert result.budget_dual == pytest.approx(10 / 3)


@pytest.mark.parametrize("seed", [1, 4, 7])
def test_budget_dual_lies_between_the_finite_differences(seed):
    od, demand, candidates, existing = tiny(seed, n_areas=7, n_cand=4, n_exist=2)
    demand = demand * 4  # make capacity, not demand, the limit
    ppu, budget = 12.5, 45.0
    result = capacitated_coverage(
        od,
        demand,
        candidates,
        existing=existing,
        catchment_minutes=25,
        people_per_unit=ppu,
        budget=budget,
        solver_options=EXACT,
    )
    chosen = list(result.chosen["site_id"])
    h = 1e-3

    def value(money):
        return restricted_lp_value(od, demand, candidates, existing, chosen, 25, ppu, money)

    right = (value(budget + h) - value(budget)) / h
    left = (value(budget) - value(budget - h)) / h
    # the value is concave in the budget: any dual lies between the one-sided slopes
    assert right - 1e-6 <= result.budget_dual <= left + 1e-6
    assert result.budget_dual >= 0


# ------------------------------------------------------------ impossible requests, inputs


def test_budget_below_commitments_is_infeasible_before_solving():
    od, demand, candidates, existing = tiny(2)
    existing = existing.assign(committed_cost=50.0)
    with pytest.raises(InfeasibleModelError, match="committed") as info:
        maximize_coverage(
            od, demand, candidates, existing=existing, catchment_minutes=25, budget=40.0
        )
    assert "40" in str(info.value) and "50" in str(info.value)
    assert info.value.report is None
    with pytest.raises(InfeasibleModelError, match="committed"):
        capacitated_coverage(
            od,
            demand,
            candidates,
            existing=existing,
            catchment_minutes=25,
            people_per_unit=10,
            budget=40.0,
        )


def test_commitments_leave_less_money_for_new_sites():
    od, demand, candidates, existing = tiny(3)
    kw = {"catchment_minutes": 25, "solver_options": EXACT}
    free = maximize_coverage(od, demand, candidates, existing=existing, budget=20.0, **kw)
    tied = maximize_coverage(
        od, demand, candidates, existing=existing.assign(committed_cost=10.0), budget=30.0, **kw
    )
    assert tied.report.objective == free.report.objective
    assert tied.totals["cost"] <= 20.0 + 1e-9


def test_set_cover_reports_unreachable_areas():
    od, demand, candidates, existing = tiny(5, n_areas=10)
    od = od[od["origin_id"] != "a3"]
    demand = demand.copy()
    demand["a3"] = 7.0
    with pytest.raises(InfeasibleModelError, match="a3") as info:
        set_cover(od, demand, candidates, existing=existing, catchment_minutes=25)
    assert "allow_uncovered" in str(info.value)
    result = set_cover(
        od, demand, candidates, existing=existing, catchment_minutes=25, allow_uncovered=True
    )
    assert not result.areas.loc["a3", "coverable"]
    assert not result.areas.loc["a3", "covered_after"]
    lost = result.areas[(result.areas["demand"] > 0) & ~result.areas["coverable"]]
    assert result.totals["uncoverable_areas"] == len(lost)
    assert result.totals["uncoverable_demand"] == pytest.approx(lost["demand"].sum())
    reach = result.areas[(result.areas["demand"] > 0) & result.areas["coverable"]]
    assert reach["covered_after"].all()
    # fewest sites, by enumeration
    sets = sets_within(od, 25)
    need = set(reach.index)
    ex = list(existing["site_id"])
    fewest = min(
        r
        for r in range(len(candidates) + 1)
        for subset in itertools.combinations(candidates["site_id"], r)
        if need <= set().union(set(), *(sets.get(s, set()) for s in ex + list(subset)))
    )
    assert result.report.objective == fewest == len(result.chosen)


def test_time_limited_mclp_is_feasible_with_an_honest_bound():
    rng = np.random.default_rng(0)
    mask = rng.random((2500, 150)) < 0.05
    i, j = np.nonzero(mask)
    od = pd.DataFrame({"origin_id": i, "site_id": j + 1000, "minutes": 1.0})
    demand = pd.Series(rng.integers(1, 100, 2500).astype(float))
    candidates = pd.DataFrame({"site_id": np.arange(150) + 1000})
    greedy = greedy_coverage(od, demand, candidates, catchment_minutes=2, max_new_sites=8)
    for solver in SOLVERS:
        result = maximize_coverage(
            od,
            demand,
            candidates,
            catchment_minutes=2,
            max_new_sites=8,
            solver_options=SolverOptions(solver=solver, time_limit_s=1),
        )
        report = result.report
        assert report.status == "feasible"
        assert report.objective >= greedy.report.objective  # started from greedy
        assert report.objective == result.totals["covered_after"]
        assert report.best_bound >= report.objective
        assert report.best_bound == int(report.best_bound)
        assert report.gap == pytest.approx(
            (report.best_bound - report.objective) / report.objective
        )


def test_inputs_are_validated_all_at_once():
    od, demand, candidates, existing = tiny(0)
    demand = demand.copy()
    demand.iloc[0] = -1
    bad = candidates.copy()
    bad.loc[1, "site_id"] = bad.loc[0, "site_id"]
    bad.loc[2, "min_units"] = 5
    bad.loc[2, "max_units"] = 2
    bad.loc[3, "unit_cost"] = -4
    with pytest.raises(InputValidationError) as info:
        maximize_coverage(
            od, demand, bad, existing=existing, catchment_minutes=-3, budget=-1, max_new_sites=1.5
        )
    text = str(info.value)
    for word in (
        "catchment_minutes",
        "budget",
        "max_new_sites",
        "demand must be",
        "unique",
        "min_units exceeds",
        "unit_cost",
    ):
        assert word in text
    with pytest.raises(InputValidationError, match="capacity"):
        capacitated_coverage(
            od,
            demand.abs(),
            candidates,
            existing=existing.drop(columns="capacity"),
            catchment_minutes=25,
            people_per_unit=1,
            budget=10,
        )
    with pytest.raises(InputValidationError, match="id types"):
        maximize_coverage(
            od.assign(origin_id=np.arange(len(od))),
            demand.abs(),
            candidates,
            catchment_minutes=25,
        )
    with pytest.raises(InputValidationError, match="site_cost"):
        min_cost_cover(
            od,
            demand.abs(),
            candidates[["site_id"]],
            catchment_minutes=25,
            target_share=0.5,
        )


def test_result_is_frozen_and_summarised():
    od, demand, candidates, existing = tiny(1)
    result = maximize_coverage(
        od,
        demand,
        candidates,
        existing=existing,
        catchment_minutes=25,
        budget=30.0,
        solver_options=EXACT,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.model = "other"
    text = result.summary()
    assert "maximize_coverage" in text
    assert "optimal" in text
    assert f"{result.totals['covered_after']:,.6g}" in text
    assert result.budget_dual is None
    assert result.objective_name == "covered demand"
    assert set(result.areas.columns) >= {"demand", "covered_before", "covered_after"}
    assert result.areas.index.equals(demand.index)
