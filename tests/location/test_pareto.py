"""coverage_equity_frontier against the brute-force Pareto set of tiny instances, and on the demo.

Every affordable plan (each candidate closed, or open with min..max units) is
scored independently: coverage from plain Python sets of areas within the
catchment of an open site, equity from :func:`accessplan.spatial.fca.access_scores`
on the plan's capacities (floor or population-weighted absolute deviation over
the populated areas some site could supply). Each frontier point must be a
non-dominated plan value; the ends must be the lexicographic optima; each
epsilon point the best coverage under its equity bound; each plan the cheapest
of its value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.location.pareto import coverage_equity_frontier
from accessplan.location.solver import SolverOptions
from accessplan.spatial.fca import access_scores

CATCHMENT = 30.0
COVERAGE = 15.0  # coverage radius; access over CATCHMENT (one radius: see the max-min note)
EXACT = SolverOptions(solver="highs", gap_rel=0.0)


def _instance(seed: int, n_areas=9, n_cand=4):
    rng = np.random.default_rng(seed)
    areas = [f"a{i}" for i in range(n_areas)]
    cands = [f"c{j}" for j in range(n_cand)]
    rows = [("a0", "e0", 10.0)]  # one existing site, serving a0 (and maybe more)
    rows += [(a, "e0", float(rng.uniform(0, 30))) for a in areas[1:] if rng.random() < 0.8]
    for a in areas:
        near = rng.choice(n_cand, size=int(rng.integers(2, 4)), replace=False)
        rows += [(a, cands[j], float(rng.uniform(1, 30))) for j in near]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    demand = pd.Series(rng.integers(1, 300, n_areas).astype(float), index=areas)
    candidates = pd.DataFrame(
        {
            "site_id": cands,
            "site_cost": rng.integers(1, 4, n_cand).astype(float),
            "unit_cost": 1.0,
            "min_units": rng.integers(0, 2, n_cand),
            "max_units": rng.integers(1, 4, n_cand),
        }
    )
    existing = pd.DataFrame({"site_id": ["e0"], "capacity": [float(rng.integers(1, 6))]})
    return od, demand, candidates, existing


def _brute(od, demand, candidates, existing, *, budget, method="2sfca", coverage=COVERAGE):
    ids = list(candidates["site_id"])
    choices = [
        [(False, 0)] + [(True, k) for k in range(int(lo), int(hi) + 1)]
        for lo, hi in zip(candidates["min_units"], candidates["max_units"], strict=True)
    ]
    near = od[od["minutes"] <= coverage]
    full = pd.Series(0.0, index=[*ids, "e0"])
    full["e0"] = existing["capacity"].iloc[0]
    full[ids] = candidates["max_units"].to_numpy(float)
    in_f = (demand > 0) & access_scores(
        od, demand, full, method=method, catchment_minutes=CATCHMENT
    ).reaches_supply
    pop = demand[in_f]
    out = []
    for plan in itertools.product(*choices):
        cost = sum(
            sc + uc * k
            for (on, k), sc, uc in zip(
                plan, candidates["site_cost"], candidates["unit_cost"], strict=True
            )
            if on
        )
        if cost > budget + 1e-9:
            continue
        opened = [s for s, (on, _) in zip(ids, plan, strict=True) if on]
        covered = set(near.loc[near["site_id"].isin([*opened, "e0"]), "origin_id"])
        supply = pd.Series(0.0, index=[*ids, "e0"])
        supply["e0"] = existing["capacity"].iloc[0]
        supply[ids] = [float(k) for _, k in plan]
        access = access_scores(
            od, demand, supply, method=method, catchment_minutes=CATCHMENT
        ).access[in_f]
        mean = float(pop @ access) / pop.sum()
        out.append(
            {
                "coverage": float(demand[demand.index.isin(covered)].sum()),
                "floor": float(access.min()),
                "deviation": float(pop @ (access - mean).abs()),
                "cost": float(cost),
            }
        )
    return pd.DataFrame(out)


def _close(a, b):
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


@pytest.mark.parametrize("equity", ["max_min_access", "min_access_deviation"])
@pytest.mark.parametrize("seed", range(8))
def test_frontier_equals_brute_force(seed, equity):
    od, demand, candidates, existing = _instance(seed)
    budget = 5.0
    frontier = coverage_equity_frontier(
        od,
        demand,
        existing,
        candidates,
        budget=budget,
        catchment_minutes=CATCHMENT,
        coverage_minutes=COVERAGE,
        points=6,
        equity=equity,
        solver_options=EXACT,
    )
    plans = _brute(od, demand, candidates, existing, budget=budget)
    col = "floor" if equity == "max_min_access" else "deviation"
    sign = 1.0 if equity == "max_min_access" else -1.0  # larger sign * equity is better
    good = sign * plans[col]
    table = frontier.table
    assert table["proven_optimal"].all() and len(table) >= 1
    assert list(table["point"]) == list(range(len(table)))
    # every point is a plan's exact value and no plan dominates it
    for row in table.itertuples():
        e = sign * row.equity
        assert any(
            _close(c, row.coverage) and _close(v, e)
            for c, v in zip(plans["coverage"], good, strict=True)
        )
        better = (plans["coverage"] >= row.coverage - 1e-6) & (good >= e - 1e-9 * max(1, abs(e)))
        strictly = (plans["coverage"] > row.coverage + 1e-6) | (good > e + 1e-7 * max(1, abs(e)))
        assert not (better & strictly).any(), (row, plans[better & strictly])
        # the cheapest plan of that value
        same = plans[
            [
                _close(c, row.coverage) and _close(v, e)
                for c, v in zip(plans["coverage"], good, strict=True)
            ]
        ]
        assert row.cost == pytest.approx(same["cost"].min())
    # the ends: most coverage (best equity among those); best equity (most coverage among those)
    top = plans["coverage"].max()
    assert table["coverage"].iloc[0] == pytest.approx(top)
    at_top = good[plans["coverage"] >= top - 1e-6].max()
    assert sign * table["equity"].iloc[0] == pytest.approx(at_top, rel=1e-6)
    best = good.max()
    assert sign * table["equity"].iloc[-1] == pytest.approx(best, rel=1e-6)
    at_best = plans.loc[good >= best - 1e-7 * max(1.0, abs(best)), "coverage"].max()
    assert table["coverage"].iloc[-1] == pytest.approx(at_best)
    # each epsilon point: the most coverage of any plan meeting its equity bound
    for row in table.dropna(subset=["epsilon"]).itertuples():
        meets = good >= sign * row.epsilon - 1e-7 * max(1.0, abs(row.epsilon))
        assert row.coverage == pytest.approx(plans.loc[meets, "coverage"].max())
    # coverage falls and equity improves along the frontier
    assert (np.diff(table["coverage"]) < 0).all()
    assert (np.diff(sign * table["equity"]) > 0).all()
    # the plan of each point is written out with its sites and units
    for k, row in enumerate(table.itertuples()):
        chosen = frontier.plans[k].chosen
        assert ";".join(chosen["site_id"]) == row.sites
        assert ";".join(str(u) for u in chosen["units"]) == row.units


@pytest.mark.parametrize("equity", ["max_min_access", "min_access_deviation"])
def test_instances_have_trade_offs(equity):
    """The brute-force test is not vacuous: most instances have several Pareto points."""
    counts = []
    for seed in range(8):
        od, demand, candidates, existing = _instance(seed)
        f = coverage_equity_frontier(
            od,
            demand,
            existing,
            candidates,
            budget=5.0,
            catchment_minutes=CATCHMENT,
            coverage_minutes=COVERAGE,
            points=6,
            equity=equity,
        )
        counts.append(len(f.table))
    assert sum(c >= 2 for c in counts) >= 5, counts
    assert max(counts) >= 3, counts


def test_one_radius_max_min_collapses_to_one_point():
    """A positive floor needs every reachable area within reach: coverage is then maximal."""
    od, demand, candidates, existing = _instance(3)
    f = coverage_equity_frontier(
        od, demand, existing, candidates, budget=5.0, catchment_minutes=CATCHMENT, points=6
    )
    plans = _brute(od, demand, candidates, existing, budget=5.0, coverage=CATCHMENT)
    assert len(f.table) == 1
    assert f.table["coverage"].iloc[0] == pytest.approx(plans["coverage"].max())


def test_everything_already_covered_is_one_point_without_a_coverage_stage():
    """No demand left to cover: coverage is a constant and the equity stage still runs."""
    od, demand, candidates, existing = _instance(1)
    od = pd.concat(
        [od, pd.DataFrame({"origin_id": demand.index, "site_id": "e0", "minutes": 1.0})]
    ).drop_duplicates(["origin_id", "site_id"], keep="last")
    f = coverage_equity_frontier(
        od, demand, existing, candidates, budget=5.0, catchment_minutes=CATCHMENT, points=4
    )
    assert len(f.table) == 1 and f.table["coverage_share"].iloc[0] == pytest.approx(1.0)
    assert f.table["proven_optimal"].iloc[0]


def test_bad_inputs_are_reported_at_once():
    od, demand, candidates, existing = _instance(0)
    # solver options may be a mapping
    f = coverage_equity_frontier(
        od,
        demand,
        existing,
        candidates,
        budget=5.0,
        catchment_minutes=CATCHMENT,
        points=2,
        solver_options={"solver": "highs"},
    )
    assert len(f.table) >= 1 and f.plans[0].report.solver == "highs"
    with pytest.raises(InputValidationError) as info:
        coverage_equity_frontier(
            od,
            demand,
            existing,
            candidates,
            budget=-1.0,
            catchment_minutes=CATCHMENT,
            points=1,
            equity="fairness",
            coverage_minutes=45.0,
        )
    text = str(info.value)
    assert "unknown equity measure 'fairness'" in text
    assert "points must be a whole number >= 2" in text
    assert "budget must be a finite number >= 0" in text
    assert "coverage_minutes must be a number > 0 and at most catchment_minutes" in text


# ============================================================ the demo region


@pytest.fixture(scope="module")
def demo_inputs():
    import geopandas as gpd

    from accessplan.data import load_demo
    from accessplan.spatial.travel_time import network_travel_times

    region = load_demo()
    origins = region.areas.copy()
    origins["geometry"] = region.areas.representative_point()
    sites = gpd.GeoDataFrame(
        pd.concat(
            [region.hospitals[["site_id", "geometry"]], region.candidates[["site_id", "geometry"]]],
            ignore_index=True,
        ),
        crs=region.crs,
    )
    od = network_travel_times(
        region.graph, origins, sites, origin_id="area_id", site_id="site_id", max_minutes=60
    ).od
    demand = region.areas.set_index("area_id")["population"].astype(float)
    existing = region.hospitals[["site_id", "beds"]].rename(columns={"beds": "capacity"})
    candidates = pd.DataFrame(region.candidates.drop(columns="geometry"))
    return od, demand, existing, candidates


DEMO_DECAY = {"type": "step", "steps": {20: 1.0, 40: 0.68, 60: 0.22}}


def test_demo_frontier_has_at_least_five_points(demo_inputs):
    """The demo scenario's access (E2SFCA, 60 min) against coverage within 30 min, 150 M.

    Measured: 5 points, all proven, in about 5 s (HiGHS).
    """
    od, demand, existing, candidates = demo_inputs
    budget = 150e6
    frontier = coverage_equity_frontier(
        od,
        demand,
        existing,
        candidates,
        budget=budget,
        catchment_minutes=60,
        coverage_minutes=30,
        method="e2sfca",
        decay=DEMO_DECAY,
        points=7,
        solver_options=SolverOptions(solver="highs", time_limit_s=20),
    )
    table = frontier.table
    assert len(table) >= 5, table
    assert (table["proven_optimal"] | table["gap"].notna()).all()
    assert (table["cost"] <= budget).all()
    assert (np.diff(table["coverage"]) < 0).all() and (np.diff(table["equity"]) > 0).all()
    # the floor of the most equal plan is fca's lowest access on that plan's capacities
    last = frontier.plans[len(table) - 1]
    supply = pd.concat(
        [
            existing.set_index("site_id")["capacity"],
            pd.Series(0.0, index=candidates["site_id"]),
        ]
    )
    supply[list(last.chosen["site_id"])] = last.chosen["units"].to_numpy(float)
    scores = access_scores(
        od, demand, supply, method="e2sfca", catchment_minutes=60, decay=DEMO_DECAY
    )
    in_f = last.areas["in_objective"]
    assert table["equity"].iloc[-1] == pytest.approx(scores.access[in_f].min(), rel=1e-9)
    # coverage within 30 minutes of an open site, counted from the OD table
    open_sites = set(existing["site_id"]) | set(last.chosen["site_id"])
    near = od[(od["minutes"] <= 30) & od["site_id"].isin(open_sites)]
    covered = demand[demand.index.isin(set(near["origin_id"]))].sum()
    assert table["coverage"].iloc[-1] == pytest.approx(covered)
