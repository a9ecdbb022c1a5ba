"""Floating-catchment access scores against known answers, identities and brute force."""

from __future__ import annotations

import math
from fractions import Fraction

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.decay import (
    gaussian_decay,
    gravity_decay,
    linear_decay,
    make_decay,
    step_decay,
    uniform_decay,
)
from accessplan.spatial.errors import UnknownDecayError, UnknownMethodError
from accessplan.spatial.fca import (
    METHODS,
    OD_COLUMNS,
    AccessResult,
    access_scores,
    default_decay,
    enhanced_two_step_fca,
    gaussian_two_step_fca,
    gravity_access,
    modified_two_step_fca,
    three_step_fca,
    two_step_fca,
)


def make_od(rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(OD_COLUMNS)).astype({"minutes": float})


# ============================================================ brute force (plain Python)


def brute_force(rows, population, capacity, *, method, weight, catchment, selection=None):
    """The textbook definitions, one pair at a time.

    ``rows`` are (origin, site, minutes); ``weight`` and ``selection`` map
    minutes to a weight (plain Python callables, or decay objects).
    """
    selection = selection or weight
    inside = [(o, s, m) for o, s, m in rows if m <= catchment]
    w = {(o, s): weight(m) for o, s, m in inside}
    if method == "3sfca":
        # selection weights over the sites with capacity in the catchment only
        t = {(o, s): (selection(m) if capacity[s] > 0 else 0) for o, s, m in inside}
        total = {o: 0 for o in population}
        for (o, _), v in t.items():
            total[o] += v
        w = {k: (w[k] * t[k] / total[k[0]] if total[k[0]] > 0 else 0) for k in w}
    demand_at = {s: 0 for s in capacity}
    for (o, s), v in w.items():
        demand_at[s] += population[o] * v
    ratio = {s: (capacity[s] / demand_at[s] if demand_at[s] > 0 else 0) for s in capacity}
    power = 2 if method == "m2sfca" else 1
    access = {o: 0 for o in population}
    for (o, s), v in w.items():
        access[o] += v**power * ratio[s]
    return access, ratio, demand_at


def scalar(decay):
    return lambda m: float(decay(np.array([m], dtype=float))[0])


# ============================================================ PySAL access hospital example

# PySAL access, access/tests/test_hospital_example.py: three tracts, population
# [100, 50, 10], doctors [15, 20, 100], weights.gravity(1, -1) (= 1/cost), max_cost 61.
# Four cost scenarios (self, 1->3 / 2->3 "inbound", 3->1 / 3->2 "outbound", 1<->2 "cross").
HOSPITAL_POP = {1: 100, 2: 50, 3: 10}
HOSPITAL_DOCS = {1: 15, 2: 20, 3: 100}
HOSPITAL_SCENARIOS = {
    0: {"self": 1, "inbound": 40, "outbound": 40, "cross": 80},  # gridlock
    1: {"self": 1, "inbound": 20, "outbound": 40, "cross": 80},  # faster into the city
    2: {"self": 1, "inbound": 40, "outbound": 20, "cross": 80},  # faster out of the city
    3: {"self": 1, "inbound": 20, "outbound": 20, "cross": 40},  # symmetric, faster
}


def hospital_rows(n):
    c = HOSPITAL_SCENARIOS[n]
    return [
        (1, 1, c["self"]),
        (2, 2, c["self"]),
        (3, 3, c["self"]),
        (1, 3, c["inbound"]),
        (2, 3, c["inbound"]),
        (3, 1, c["outbound"]),
        (3, 2, c["outbound"]),
        (1, 2, c["cross"]),
        (2, 1, c["cross"]),
    ]


def hospital_run(n, function, **options):
    return function(
        make_od(hospital_rows(n)),
        pd.Series(HOSPITAL_POP, dtype=float),
        pd.Series(HOSPITAL_DOCS, dtype=float),
        catchment_minutes=61,
        **options,
    )


def test_hospital_scenario_0_two_step_by_hand():
    # w = 1/cost; the 80-minute cross-city pairs are beyond the 61-minute catchment.
    F = Fraction
    d1 = 100 * F(1, 1) + 10 * F(1, 40)  # tract 1's own people + tract 3's at 40 min = 401/4
    d2 = 50 * F(1, 1) + 10 * F(1, 40)  # = 201/4
    d3 = 10 * F(1, 1) + 100 * F(1, 40) + 50 * F(1, 40)  # = 55/4
    r1, r2, r3 = 15 / d1, 20 / d2, 100 / d3  # 60/401, 80/201, 80/11
    expected = {
        1: r1 + r3 / 40,  # 0.33144...
        2: r2 + r3 / 40,  # 0.57982...
        3: r3 + r1 / 40 + r2 / 40,  # 7.28641...
    }
    assert (d1, d2, d3) == (F(401, 4), F(201, 4), F(55, 4))
    result = hospital_run(0, gravity_access, beta=1)
    for tract, value in expected.items():
        assert result.access[tract] == pytest.approx(float(value), rel=1e-12)
    assert result.site_ratio.to_dict() == pytest.approx(
        {1: float(r1), 2: float(r2), 3: float(r3)}, rel=1e-12
    )
    assert result.site_population.to_dict() == pytest.approx(
        {1: 100.25, 2: 50.25, 3: 13.75}, rel=1e-12
    )
    assert float(expected[3]) == pytest.approx(7.28641817, abs=1e-8)


@pytest.mark.parametrize("scenario", sorted(HOSPITAL_SCENARIOS))
def test_hospital_two_step_matches_exact_arithmetic(scenario):
    exact, _, _ = brute_force(
        hospital_rows(scenario),
        HOSPITAL_POP,
        HOSPITAL_DOCS,
        method="2sfca",
        weight=lambda m: Fraction(1, m),
        catchment=61,
    )
    result = hospital_run(scenario, gravity_access, beta=1)
    same = hospital_run(scenario, access_scores, method="gravity")
    for tract in HOSPITAL_POP:
        assert result.access[tract] == pytest.approx(float(exact[tract]), rel=1e-12)
    pd.testing.assert_series_equal(result.access, same.access)


def test_hospital_scenario_3_three_step_by_hand():
    # Every cost is <= 40 < 61, so "within the catchment" and "every cost row" agree
    # here and our 3SFCA equals access's three_stage_fca on this scenario.
    F = Fraction
    # w = 1/cost: self 1, tract <-> city (3) 1/20, cross-city 1/40.
    # Selection weights G = w / (row sum of w):
    #   tracts 1, 2: sum = 1 + 1/40 + 1/20 = 43/40 -> own 40/43, other 1/43, city 2/43
    #   tract 3:     sum = 1/20 + 1/20 + 1 = 11/10 -> 1, 2: 1/22 each, own 10/11
    g = {
        (1, 1): F(40, 43), (1, 2): F(1, 43), (1, 3): F(2, 43),
        (2, 2): F(40, 43), (2, 1): F(1, 43), (2, 3): F(2, 43),
        (3, 1): F(1, 22), (3, 2): F(1, 22), (3, 3): F(10, 11),
    }  # fmt: skip
    w = {k: F(1, 20) if 3 in k and k[0] != k[1] else F(1, 40) if k[0] != k[1] else F(1) for k in g}
    eff = {k: g[k] * w[k] for k in g}  # G_ij * W_ij
    d = {s: sum(HOSPITAL_POP[o] * eff[o, s] for o in (1, 2, 3)) for s in (1, 2, 3)}
    r = {s: HOSPITAL_DOCS[s] / d[s] for s in d}
    expected = {o: sum(eff[o, s] * r[s] for s in (1, 2, 3)) for o in (1, 2, 3)}
    result = hospital_run(3, three_step_fca, decay=gravity_decay(beta=1))
    for tract, value in expected.items():
        assert result.access[tract] == pytest.approx(float(value), rel=1e-12)
    # the same number by the access package's own normalisation over all cost rows
    everywhere, _, _ = brute_force(
        hospital_rows(3),
        HOSPITAL_POP,
        HOSPITAL_DOCS,
        method="3sfca",
        weight=lambda m: Fraction(1, m),
        catchment=10**6,  # access sums selection weights over every row
    )
    assert everywhere == expected


@pytest.mark.parametrize("scenario", [0, 1, 2])
def test_three_step_normalises_within_the_catchment_not_over_every_cost_row(scenario):
    weight = lambda m: Fraction(1, m)  # noqa: E731
    rows = hospital_rows(scenario)
    within, _, _ = brute_force(
        rows, HOSPITAL_POP, HOSPITAL_DOCS, method="3sfca", weight=weight, catchment=61
    )
    # access's three_stage_fca divides by the sum over every row of the cost table,
    # here including the 80-minute cross-city pairs beyond the 61-minute catchment.
    inside = [r for r in rows if r[2] <= 61]

    def buggy_weight(o, m):
        total = sum(Fraction(1, mm) for oo, _, mm in rows if oo == o)
        return Fraction(1, m) * Fraction(1, m) / total

    d = {s: sum(HOSPITAL_POP[o] * buggy_weight(o, m) for o, ss, m in inside if ss == s) for s in (1, 2, 3)}  # fmt: skip
    r = {s: HOSPITAL_DOCS[s] / d[s] for s in d}
    buggy = {o: sum(buggy_weight(o, m) * r[s] for oo, s, m in inside if oo == o) for o in (1, 2, 3)}  # fmt: skip

    result = hospital_run(scenario, three_step_fca, decay=gravity_decay(beta=1))
    for tract in HOSPITAL_POP:
        assert result.access[tract] == pytest.approx(float(within[tract]), rel=1e-12)
        assert abs(float(buggy[tract]) / result.access[tract] - 1) > 1e-5
    # both conserve supply over the catchment: the bug moves access, not its total
    total = sum(HOSPITAL_POP[o] * within[o] for o in HOSPITAL_POP)
    assert total == sum(HOSPITAL_DOCS.values())


# ============================================================ PySAL access 5 x 5 grid


def grid_case(demand_ids):
    # access/tests/util.py create_nxn_grid(5): ids 1..25 at x, y in 0..4 (id = 5x + y + 1),
    # value 1 everywhere; euclidean cost between every pair. access's
    # test_floating_catchment_area.py uses 5 demand points sampled from the grid.
    points = {5 * x + y + 1: (x, y) for x in range(5) for y in range(5)}
    rows = [(o, s, math.dist(points[o], points[s])) for o in demand_ids for s in points]
    demand = pd.Series(1.0, index=sorted(demand_ids))
    supply = pd.Series(1.0, index=sorted(points))
    return make_od(rows), demand, supply


GRID_SAMPLES = [(1, 2, 3, 4, 5), (1, 7, 13, 19, 25), (3, 8, 11, 22, 24), (5, 6, 17, 20, 21)]


@pytest.mark.parametrize("demand_ids", GRID_SAMPLES)
def test_grid_values_of_access_floating_catchment_tests(demand_ids):
    od, demand, supply = grid_case(demand_ids)
    # two_stage_fca(), no max_cost (largest distance is sqrt(32) = 5.66): 5
    large = two_step_fca(od, demand, supply, catchment_minutes=10)
    assert large.access.to_numpy() == pytest.approx([5.0] * 5, rel=1e-14)
    # two_stage_fca(max_cost=0.9): each point only reaches itself: 1
    small = two_step_fca(od, demand, supply, catchment_minutes=0.9)
    assert small.access.to_numpy() == pytest.approx([1.0] * 5, rel=1e-14)
    assert set(small.sites_without_population) == set(supply.index) - set(demand_ids)
    # enhanced_two_stage_fca() with its default {10: 1, 20: 0.68, 30: 0.22}: 5
    e2 = enhanced_two_step_fca(od, demand, supply, catchment_minutes=30)
    assert e2.access.to_numpy() == pytest.approx([5.0] * 5, rel=1e-14)
    # three_stage_fca(weight_fn=step_fn({10: 25})): 5; max_cost=0.9: 1. A constant weight
    # of 25 or 1 gives the same 3SFCA scores (it cancels between R_j and A_i).
    three = three_step_fca(od, demand, supply, catchment_minutes=10, decay={"type": "step", "steps": {"10": 1}})  # fmt: skip
    assert three.access.to_numpy() == pytest.approx([5.0] * 5, rel=1e-14)
    three_small = three_step_fca(od, demand, supply, catchment_minutes=0.9, decay=uniform_decay(catchment_minutes=0.9))  # fmt: skip
    assert three_small.access.to_numpy() == pytest.approx([1.0] * 5, rel=1e-14)


# ============================================================ Chicago tracts (real data)


def test_chicago_two_step_euclidean_16km_matches_access_reference(shared_data):
    folder = shared_data / "pysal_access_chi_med"
    tracts = gpd.read_file(folder / "chicago_metro_pop.geojson")
    doctors = gpd.read_file(folder / "chicago_metro_docs_dentists.geojson")
    reference = pd.read_csv(folder / "reference_2sfca_euclid16km.csv").set_index("geoid")
    assert tracts.crs.to_epsg() == 2790 and doctors.crs.to_epsg() == 2790

    a = np.column_stack([tracts.geometry.x, tracts.geometry.y])
    b = np.column_stack([doctors.geometry.x, doctors.geometry.y])
    meters = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
    i, j = np.nonzero(meters <= 16000)
    # "minutes" is straight-line meters here; catchment 16 km
    od = pd.DataFrame(
        {
            "origin_id": tracts["geoid"].to_numpy()[i],
            "site_id": doctors["geoid"].to_numpy()[j],
            "minutes": meters[i, j],
        }
    )
    result = two_step_fca(
        od,
        tracts.set_index("geoid")["pop"],
        doctors.set_index("geoid")["doc"],
        catchment_minutes=16000,
    )
    expected = reference["2sfca_doc"].reindex(result.access.index)
    assert len(result.access) == 1930 and not expected.isna().any()
    np.testing.assert_allclose(result.access.to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert result.areas_without_supply == ()
    # every doctor is somewhere: supply is conserved
    total = (tracts.set_index("geoid")["pop"] * result.access).sum()
    assert total == pytest.approx(doctors["doc"].sum(), rel=1e-12)


# ============================================================ identities and brute force


@st.composite
def small_instances(draw):
    n_areas = draw(st.integers(1, 6))
    n_sites = draw(st.integers(1, 5))
    areas = [f"a{i}" for i in range(n_areas)]
    sites = [f"s{j}" for j in range(n_sites)]
    rows = []
    for a in areas:
        for s in sites:
            if draw(st.booleans()):
                # half-minute steps land on zone bounds and the catchment itself
                rows.append((a, s, draw(st.integers(0, 80)) / 2))
    population = {a: float(draw(st.sampled_from([0, 1, 7, 250]) | st.integers(0, 5000))) for a in areas}  # fmt: skip
    capacity = {s: draw(st.sampled_from([0.0, 1.0]) | st.floats(0, 100)) for s in sites}
    return rows, population, capacity


CATCHMENT = 30.0
DECAYS_FOR = {
    "2sfca": uniform_decay(catchment_minutes=CATCHMENT),
    "e2sfca": step_decay({10: 1.0, 20: 0.68, 30: 0.22}),
    "g2sfca": gaussian_decay(catchment_minutes=CATCHMENT),
    "gravity": gravity_decay(beta=1.5),
    "3sfca": step_decay({5: 0.962, 10: 0.704, 15: 0.377, 30: 0.042}),
    "m2sfca": linear_decay(catchment_minutes=CATCHMENT),
}


def run_instance(instance, method, **options):
    rows, population, capacity = instance
    return access_scores(
        make_od(rows),
        pd.Series(population, dtype=float),
        pd.Series(capacity, dtype=float),
        method=method,
        catchment_minutes=CATCHMENT,
        decay=options.pop("decay", DECAYS_FOR[method]),
        **options,
    )


@pytest.mark.parametrize("method", ["2sfca", "e2sfca", "g2sfca", "gravity", "3sfca"])
@settings(max_examples=60, deadline=None)
@given(instance=small_instances())
def test_supply_is_conserved(method, instance):
    # sum_i P_i A_i = sum_j S_j over the sites with population in reach
    _, population, capacity = instance
    result = run_instance(instance, method)
    served = [s for s in capacity if result.site_population[s] > 0]
    lhs = sum(population[a] * result.access[a] for a in population)
    rhs = sum(capacity[s] for s in served)
    assert math.isclose(lhs, rhs, rel_tol=1e-9, abs_tol=1e-9)
    assert set(result.sites_without_population) == set(capacity) - set(served)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=60, deadline=None)
@given(instance=small_instances())
def test_every_method_equals_its_brute_force_definition(method, instance):
    rows, population, capacity = instance
    decay = DECAYS_FOR[method]
    access, ratio, demand_at = brute_force(
        rows, population, capacity, method=method, weight=scalar(decay), catchment=CATCHMENT
    )
    result = run_instance(instance, method)
    assert result.access.to_dict() == pytest.approx(access, rel=1e-12, abs=1e-12)
    assert result.site_ratio.to_dict() == pytest.approx(ratio, rel=1e-12, abs=1e-12)
    assert result.site_population.to_dict() == pytest.approx(demand_at, rel=1e-12, abs=1e-12)
    assert not result.access.isna().any() and np.isfinite(result.site_ratio).all()
    # flags: an area reaches supply when a site with capacity has a positive weight
    reaching = {o for o, s, m in rows if m <= CATCHMENT and capacity[s] > 0 and scalar(decay)(m) > 0}  # fmt: skip
    assert set(result.areas_without_supply) == set(population) - reaching
    assert result.reaches_supply.to_dict() == {a: a in reaching for a in population}


@settings(max_examples=40, deadline=None)
@given(instance=small_instances())
def test_modified_two_step_loses_supply_and_equals_two_step_when_uniform(instance):
    _, population, capacity = instance
    m2 = run_instance(instance, "m2sfca")
    lhs = sum(population[a] * m2.access[a] for a in population)
    assert lhs <= sum(capacity.values()) * (1 + 1e-12) + 1e-12
    uniform = uniform_decay(catchment_minutes=CATCHMENT)
    plain = run_instance(instance, "2sfca", decay=uniform)
    m2_uniform = run_instance(instance, "m2sfca", decay=uniform)
    pd.testing.assert_series_equal(m2_uniform.access, plain.access)


@settings(max_examples=40, deadline=None)
@given(instance=small_instances(), scale=st.sampled_from([0.5, 0.1]))
def test_three_step_selection_uses_its_own_decay(instance, scale):
    rows, population, capacity = instance
    decay = DECAYS_FOR["3sfca"]
    selection = gaussian_decay(catchment_minutes=CATCHMENT, sigma_minutes=30 * scale)
    access, _, _ = brute_force(
        rows,
        population,
        capacity,
        method="3sfca",
        weight=scalar(decay),
        selection=scalar(selection),
        catchment=CATCHMENT,
    )
    rows_, pop_, cap_ = instance
    result = three_step_fca(
        make_od(rows_),
        pd.Series(pop_, dtype=float),
        pd.Series(cap_, dtype=float),
        catchment_minutes=CATCHMENT,
        decay=decay,
        selection_decay=selection,
    )
    assert result.access.to_dict() == pytest.approx(access, rel=1e-12, abs=1e-12)


# ============================================================ behaviour on small cases

DEMAND = pd.Series({"a": 100.0, "b": 300.0, "c": 50.0, "d": 0.0, "e": 20.0}, name="pop")
SUPPLY = pd.Series({"h": 8.0, "k": 2.0, "closed": 0.0, "remote": 5.0}, name="beds")
OD = make_od(
    [
        ("a", "h", 5.0),
        ("a", "k", 25.0),
        ("b", "h", 12.0),
        ("c", "closed", 3.0),  # c only reaches a site without capacity
        ("d", "remote", 10.0),  # nobody but d (population 0) reaches "remote"
        ("e", "h", 45.0),  # e's only row is beyond the catchment
    ]
)


def test_zero_access_is_zero_and_flagged_and_empty_sites_are_reported():
    result = two_step_fca(OD, DEMAND, SUPPLY, catchment_minutes=30)
    assert isinstance(result, AccessResult)
    # h: 8 beds / (100 + 300) people; k: 2 / 100
    assert result.access.to_dict() == pytest.approx(
        {"a": 8 / 400 + 2 / 100, "b": 8 / 400, "c": 0.0, "d": 0.0, "e": 0.0}
    )
    assert result.access.dtype == float and not result.access.isna().any()
    assert result.areas_without_supply == ("c", "e")
    assert result.reaches_supply.to_dict() == {"a": True, "b": True, "c": False, "d": True, "e": False}  # fmt: skip
    # "closed" has c's 50 people in reach but no beds: ratio 0, not "without population"
    assert result.sites_without_population == ("remote",)
    assert result.site_ratio.to_dict() == {"h": 0.02, "k": 0.02, "closed": 0.0, "remote": 0.0}
    assert result.site_population.to_dict() == {
        "h": 400.0,
        "k": 100.0,
        "closed": 50.0,
        "remote": 0.0,
    }
    assert list(result.access.index) == list(DEMAND.index)
    assert list(result.site_ratio.index) == list(SUPPLY.index)
    frame = result.to_frame()
    assert list(frame.columns) == ["access", "reaches_supply"]
    assert frame.index.equals(DEMAND.index)
    assert list(result.to_site_frame().columns) == ["site_ratio", "site_population"]
    assert (result.method, result.catchment_minutes, result.normalized) == ("2sfca", 30.0, False)
    assert result.decay == uniform_decay(catchment_minutes=30)


def test_three_step_ignores_sites_without_capacity_when_choosing():
    # adding a zero-capacity site inside a's catchment changes nothing
    base = three_step_fca(OD, DEMAND, SUPPLY, catchment_minutes=30)
    extra = pd.concat([OD, make_od([("a", "closed", 1.0), ("b", "closed", 2.0)])])
    more = three_step_fca(extra.reset_index(drop=True), DEMAND, SUPPLY, catchment_minutes=30)
    pd.testing.assert_series_equal(base.access, more.access)
    assert base.areas_without_supply == ("c", "e")


@pytest.mark.parametrize("method", METHODS)
def test_normalised_access_has_population_weighted_mean_one(method):
    raw = access_scores(OD, DEMAND, SUPPLY, method=method, catchment_minutes=30)
    norm = access_scores(OD, DEMAND, SUPPLY, method=method, catchment_minutes=30, normalize=True)
    assert norm.normalized and not raw.normalized
    assert (DEMAND * norm.access).sum() / DEMAND.sum() == pytest.approx(1.0, rel=1e-12)
    mean = (DEMAND * raw.access).sum() / DEMAND.sum()
    pd.testing.assert_series_equal(norm.access, raw.access / mean)
    pd.testing.assert_series_equal(norm.site_ratio, raw.site_ratio)
    assert norm.areas_without_supply == raw.areas_without_supply


def test_normalising_when_nobody_has_access_keeps_zeros():
    od = make_od([("c", "closed", 3.0)])
    result = two_step_fca(od, DEMAND, SUPPLY, normalize=True)
    assert result.access.tolist() == [0.0] * 5
    assert result.areas_without_supply == tuple(DEMAND.index)


def test_individual_functions_equal_access_scores_with_the_method():
    pairs = [
        (two_step_fca, "2sfca", {}),
        (enhanced_two_step_fca, "e2sfca", {}),
        (gaussian_two_step_fca, "g2sfca", {}),
        (gravity_access, "gravity", {}),
        (three_step_fca, "3sfca", {}),
        (modified_two_step_fca, "m2sfca", {}),
    ]
    for function, method, options in pairs:
        a = function(OD, DEMAND, SUPPLY, catchment_minutes=30, **options)
        b = access_scores(OD, DEMAND, SUPPLY, method=method, catchment_minutes=30)
        pd.testing.assert_series_equal(a.access, b.access)
        assert a.method == b.method == method
        assert a.decay == default_decay(method, catchment_minutes=30)


def test_function_options_reach_the_decay():
    e2 = enhanced_two_step_fca(OD, DEMAND, SUPPLY, steps={"10": 1.0, "30": 0.5})
    assert e2.decay == step_decay({10: 1.0, 30: 0.5})
    g = gaussian_two_step_fca(OD, DEMAND, SUPPLY, sigma_minutes=10, truncate_below=2)
    assert g.decay == gaussian_decay(catchment_minutes=30, sigma_minutes=10, truncate_below=2)
    grav = gravity_access(OD, DEMAND, SUPPLY, beta=2, min_minutes=3, catchment_minutes=40)
    assert grav.decay == gravity_decay(beta=2, min_minutes=3, catchment_minutes=40)
    spec = access_scores(OD, DEMAND, SUPPLY, method="e2sfca", decay={"type": "linear"})
    assert spec.decay == linear_decay(catchment_minutes=30)


def test_default_decays_are_the_published_ones():
    # access's enhanced_two_stage_fca default: step_fn({10: 1, 20: 0.68, 30: 0.22})
    assert default_decay("e2sfca", catchment_minutes=30) == step_decay({10: 1, 20: 0.68, 30: 0.22})
    # access's three_stage_fca default: step_fn({10: 0.962, 20: 0.704, 30: 0.377, 60: 0.042})
    assert default_decay("3sfca", catchment_minutes=60) == step_decay(
        {10: 0.962, 20: 0.704, 30: 0.377, 60: 0.042}
    )
    assert default_decay("g2sfca", catchment_minutes=45) == make_decay(
        {"type": "gaussian", "catchment_minutes": 45}
    )


def test_inputs_are_not_mutated():
    od, demand, supply = OD.copy(), DEMAND.copy(), SUPPLY.copy()
    for method in METHODS:
        access_scores(OD, DEMAND, SUPPLY, method=method, normalize=True)
    pd.testing.assert_frame_equal(OD, od)
    pd.testing.assert_series_equal(DEMAND, demand)
    pd.testing.assert_series_equal(SUPPLY, supply)


# ============================================================ errors


def test_every_input_problem_is_reported_at_once():
    demand = pd.Series({"a": -1.0, "b": np.nan, "c": 5.0}, name="pop")
    supply = pd.Series({"h": 1.0, "k": -3.0}, name="beds")
    od = make_od(
        [
            ("a", "h", 5.0),
            ("zz", "h", 5.0),  # unknown area
            ("b", "nope", 5.0),  # unknown site
            ("c", "h", -2.0),  # negative minutes
            ("c", "k", np.nan),  # missing minutes
            ("a", "h", 7.0),  # repeated pair
        ]
    )
    with pytest.raises(InputValidationError) as info:
        access_scores(od, demand, supply)
    text = str(info.value)
    messages = [p.message for p in info.value.problems]
    assert len(info.value.problems) == 8, text
    assert any("negative (population" in m for m in messages)
    assert any("missing (NaN)" in m for m in messages)
    assert any("negative (capacity" in m for m in messages)
    assert any("negative (minutes" in m for m in messages)
    assert any("not in the demand index" in m for m in messages)
    assert any("not in the supply index" in m for m in messages)
    assert "rows 0, 5: 2 rows repeating an (origin_id, site_id) pair" in text
    assert "column 'pop', row a" in text


def test_structural_problems_and_bad_catchment():
    with pytest.raises(InputValidationError) as info:
        access_scores(OD.drop(columns="minutes"), DEMAND.to_frame(), SUPPLY, catchment_minutes=0)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "catchment_minutes must be a finite number > 0" in messages
    assert "missing column minutes" in messages
    assert "demand must be a pandas Series" in messages
    for bad in (-5, float("nan"), float("inf"), "30"):
        with pytest.raises(InputValidationError, match="catchment_minutes"):
            two_step_fca(OD, DEMAND, SUPPLY, catchment_minutes=bad)
    with pytest.raises(InputValidationError, match="repeated id"):
        two_step_fca(OD, pd.concat([DEMAND, DEMAND.iloc[:1]]), SUPPLY)


def test_unknown_method_and_decay_errors():
    with pytest.raises(UnknownMethodError) as info:
        access_scores(OD, DEMAND, SUPPLY, method="4sfca")
    assert isinstance(info.value, ValueError) and isinstance(info.value, AccessplanError)
    for name in METHODS:
        assert name in str(info.value)
    assert access_scores(OD, DEMAND, SUPPLY, method=" E2SFCA ").method == "e2sfca"
    with pytest.raises(UnknownDecayError, match="accepted types"):
        access_scores(OD, DEMAND, SUPPLY, decay={"type": "cubic"})
    # a decay reaching beyond the catchment would be cut silently: refused
    with pytest.raises(UnknownDecayError, match="catchment"):
        access_scores(OD, DEMAND, SUPPLY, catchment_minutes=20, decay=step_decay({30: 1.0}))
    with pytest.raises(UnknownDecayError, match="must be a Decay"):
        access_scores(OD, DEMAND, SUPPLY, decay=3.0)


@pytest.mark.parametrize("method", METHODS)
def test_one_area_one_site_by_hand(method):
    # 5 beds for 50 people 10 minutes away; the decay weight w cancels except in M2SFCA
    od = make_od([("x", "h", 10.0)])
    result = access_scores(od, pd.Series({"x": 50.0}), pd.Series({"h": 5.0}), method=method)
    w = result.decay(np.array([10.0]))[0]
    expected = 5 / 50 * (w if method == "m2sfca" else 1.0)
    assert result.access.to_dict() == pytest.approx({"x": expected}, rel=1e-15)
    assert result.site_ratio.to_dict() == pytest.approx({"h": 5 / (50 * w)}, rel=1e-15)
