"""Daily arrivals per site: hand-worked shares, brute force, conservation, 3SFCA consistency."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import accessplan.capacity.demand as demand_module
from accessplan.capacity.demand import SHARE_COLUMNS, SiteDemand, site_arrivals
from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.decay import (
    gaussian_decay,
    gravity_decay,
    linear_decay,
    step_decay,
    uniform_decay,
)
from accessplan.spatial.errors import UnknownDecayError, UnknownMethodError
from accessplan.spatial.fca import OD_COLUMNS, default_decay, three_step_fca


def make_od(rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(OD_COLUMNS)).astype({"minutes": float})


def share_table(result: SiteDemand) -> dict:
    return {(o, s): v for o, s, v in result.shares.itertuples(index=False)}


# ============================================================ hand-worked: 2 areas x 2 sites

# Areas a (200,000 people) and b (100,000); sites h (capacity 30) and k (10);
# 1.5 patients per 100k per day: a produces 3.0 patients a day, b 1.5.
TWO_BY_TWO = make_od([("a", "h", 5), ("a", "k", 15), ("b", "h", 25), ("b", "k", 8)])
POP = pd.Series({"a": 200_000.0, "b": 100_000.0})
CAP = pd.Series({"h": 30.0, "k": 10.0})
RATE = 1.5
STEPS = step_decay({10: 1.0, 20: 0.5, 30: 0.25})  # W: a-h 1, a-k 0.5, b-h 0.25, b-k 1


def run_two_by_two(**options) -> SiteDemand:
    return site_arrivals(
        TWO_BY_TWO, POP, CAP, patients_per_100k_day=RATE, catchment_minutes=30, **options
    )


def test_hand_worked_step_alpha_0():
    # a: 1 / (1 + 0.5) = 2/3 to h, 1/3 to k; b: 0.25 / 1.25 = 1/5 to h, 4/5 to k
    result = run_two_by_two(decay=STEPS, attractiveness=0)
    assert share_table(result) == pytest.approx(
        {("a", "h"): 2 / 3, ("a", "k"): 1 / 3, ("b", "h"): 1 / 5, ("b", "k"): 4 / 5}, rel=1e-12
    )
    # h: 3 * 2/3 + 1.5 * 1/5 = 2.3; k: 3 * 1/3 + 1.5 * 4/5 = 2.2
    assert result.arrivals_per_day.to_dict() == pytest.approx({"h": 2.3, "k": 2.2}, rel=1e-12)
    assert result.unserved_areas == ()
    assert result.unserved_patients_per_day == 0.0
    assert result.total_patients_per_day == pytest.approx(4.5, rel=1e-12)


def test_hand_worked_step_alpha_1():
    # a: 30*1 = 30 vs 10*0.5 = 5 -> 6/7, 1/7; b: 30*0.25 = 7.5 vs 10*1 = 10 -> 3/7, 4/7
    result = run_two_by_two(decay=STEPS)
    assert share_table(result) == pytest.approx(
        {("a", "h"): 6 / 7, ("a", "k"): 1 / 7, ("b", "h"): 3 / 7, ("b", "k"): 4 / 7}, rel=1e-12
    )
    # h: 3 * 6/7 + 1.5 * 3/7 = 22.5/7; k: 3/7 + 6/7 = 9/7
    assert result.arrivals_per_day.to_dict() == pytest.approx(
        {"h": 22.5 / 7, "k": 9 / 7}, rel=1e-12
    )


def dai(minutes: float, d0: float = 30.0) -> float:
    """Dai's (2010) Gaussian, written out: 1 at 0, 0 at the catchment."""
    return (math.exp(-0.5 * (minutes / d0) ** 2) - math.exp(-0.5)) / (1 - math.exp(-0.5))


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_hand_worked_gaussian_default_of_g2sfca(alpha):
    w = {("a", "h"): dai(5), ("a", "k"): dai(15), ("b", "h"): dai(25), ("b", "k"): dai(8)}
    s = {"h": 30.0**alpha, "k": 10.0**alpha}
    expected_shares = {}
    for area in ("a", "b"):
        total = s["h"] * w[area, "h"] + s["k"] * w[area, "k"]
        for site in ("h", "k"):
            expected_shares[area, site] = s[site] * w[area, site] / total
    patients = {"a": 3.0, "b": 1.5}
    expected = {site: sum(patients[a] * expected_shares[a, site] for a in patients) for site in s}
    # no decay given: method "g2sfca" picks Dai's Gaussian through default_decay
    result = run_two_by_two(method="g2sfca", attractiveness=alpha)
    assert result.decay == gaussian_decay(catchment_minutes=30)
    assert share_table(result) == pytest.approx(expected_shares, rel=1e-12)
    assert result.arrivals_per_day.to_dict() == pytest.approx(expected, rel=1e-12)


def test_default_method_is_uniform_2sfca():
    result = run_two_by_two()
    assert result.decay == uniform_decay(catchment_minutes=30)
    # uniform, alpha 1: shares 30/40 and 10/40 in both areas
    assert result.arrivals_per_day.to_dict() == pytest.approx(
        {"h": 4.5 * 0.75, "k": 4.5 * 0.25}, rel=1e-12
    )
    other = run_two_by_two(method="e2sfca")
    assert other.decay == default_decay("e2sfca", catchment_minutes=30)


def test_module_example():
    failures, attempted = doctest.testmod(demand_module, raise_on_error=False)[:2]
    assert attempted > 0
    assert failures == 0


# ============================================================ alpha = 0, uniform decay


def test_alpha_0_uniform_decay_is_equal_split_among_reachable_open_sites():
    od = make_od(
        [
            ("a", "h", 3), ("a", "k", 29), ("a", "m", 30), ("a", "z", 12),  # z is closed
            ("a", "far", 31), ("b", "k", 0), ("b", "m", math.inf),
        ]
    )  # fmt: skip
    pop = pd.Series({"a": 300_000.0, "b": 50_000.0})
    cap = pd.Series({"h": 1.0, "k": 40.0, "m": 7.0, "z": 0.0, "far": 100.0})
    result = site_arrivals(
        od,
        pop,
        cap,
        patients_per_100k_day=2.0,
        catchment_minutes=30,
        decay=uniform_decay(catchment_minutes=30),
        attractiveness=0,
    )
    # a's 6 patients split equally over h, k, m (30 minutes is inside, z is closed,
    # far is beyond); b's 1 patient all to k
    assert share_table(result) == pytest.approx(
        {("a", "h"): 1 / 3, ("a", "k"): 1 / 3, ("a", "m"): 1 / 3, ("b", "k"): 1.0}, rel=1e-12
    )
    assert result.arrivals_per_day.to_dict() == pytest.approx(
        {"h": 2.0, "k": 3.0, "m": 2.0, "z": 0.0, "far": 0.0}, rel=1e-12
    )
    # every site is reported, in the order of the capacity index
    assert list(result.arrivals_per_day.index) == list(cap.index)


# ============================================================ unserved areas


def test_unserved_areas_are_reported_not_dropped():
    od = make_od(
        [
            ("a", "h", 5),
            ("b", "h", 45),  # beyond the catchment
            ("c", "z", 5),  # only a closed site
            ("d", "h", 20),  # within the catchment, but weight 0 at 20 minutes
        ]
    )
    pop = pd.Series({"a": 100_000.0, "b": 20_000.0, "c": 30_000.0, "d": 50_000.0, "e": 0.0})
    cap = pd.Series({"h": 10.0, "z": 0.0})
    decay = step_decay({10: 1.0, 30: 0.0})
    result = site_arrivals(
        od, pop, cap, patients_per_100k_day=1.0, catchment_minutes=30, decay=decay
    )
    # e has no OD row and no people: it still reaches no site and is listed
    assert result.unserved_areas == ("b", "c", "d", "e")
    assert result.unserved_area_count == 4
    assert result.unserved_patients_per_day == pytest.approx(0.2 + 0.3 + 0.5, rel=1e-12)
    assert result.arrivals_per_day.to_dict() == pytest.approx({"h": 1.0, "z": 0.0}, rel=1e-12)
    assert result.served_patients_per_day == pytest.approx(1.0, rel=1e-12)
    assert set(result.shares["origin_id"]) == {"a"}


# ============================================================ brute force and conservation


def brute_force(rows, population, capacity, *, rate, weight, catchment, alpha):
    """The definition, one pair at a time in plain Python."""
    attraction = {}
    for o, s, m in rows:
        if m <= catchment and capacity[s] > 0:
            attraction[o, s] = capacity[s] ** alpha * weight(m)
    total = dict.fromkeys(population, 0.0)
    for (o, _), v in attraction.items():
        total[o] += v
    arrivals = dict.fromkeys(capacity, 0.0)
    unserved, lost = [], 0.0
    for o, p in population.items():
        patients = rate * p / 100_000
        if total[o] <= 0:
            unserved.append(o)
            lost += patients
            continue
        for (o2, s), v in attraction.items():
            if o2 == o:
                arrivals[s] += patients * v / total[o]
    return arrivals, tuple(unserved), lost


DECAYS = [
    uniform_decay(catchment_minutes=30),
    step_decay({10: 1.0, 20: 0.68, 30: 0.22}),
    step_decay({15: 1.0, 30: 0.0}),
    gaussian_decay(catchment_minutes=30),
    gaussian_decay(catchment_minutes=30, sigma_minutes=12),
    gravity_decay(beta=1.5),
    linear_decay(catchment_minutes=30),
]


@st.composite
def instances(draw):
    n_areas = draw(st.integers(1, 5))
    n_sites = draw(st.integers(1, 4))
    areas = [f"a{i}" for i in range(n_areas)]
    sites = [f"s{j}" for j in range(n_sites)]
    population = {a: float(draw(st.integers(0, 500_000))) for a in areas}
    capacity = {s: float(draw(st.sampled_from([0, 1, 2, 5, 17, 40]))) for s in sites}
    rows = []
    for a in areas:
        for s in sites:
            if draw(st.booleans()):
                minutes = draw(st.sampled_from([0.0, 10.0, 20.0, 30.0, 30.5, math.inf]))
                minutes = draw(st.one_of(st.just(minutes), st.floats(0, 45)))
                rows.append((a, s, minutes))
    rate = draw(st.floats(0, 20))
    alpha = draw(st.sampled_from([0.0, 0.5, 1.0, 2.0]))
    decay = draw(st.sampled_from(DECAYS))
    return rows, population, capacity, rate, alpha, decay


@settings(max_examples=80, deadline=None)
@given(instances())
def test_brute_force_and_conservation(instance):
    rows, population, capacity, rate, alpha, decay = instance
    result = site_arrivals(
        make_od(rows),
        pd.Series(population, dtype=float),
        pd.Series(capacity, dtype=float),
        patients_per_100k_day=rate,
        catchment_minutes=30,
        decay=decay,
        attractiveness=alpha,
    )
    weight = lambda m: float(decay(np.array([m]))[0])  # noqa: E731
    arrivals, unserved, lost = brute_force(
        rows, population, capacity, rate=rate, weight=weight, catchment=30, alpha=alpha
    )
    assert result.arrivals_per_day.to_dict() == pytest.approx(arrivals, rel=1e-9, abs=1e-12)
    assert result.unserved_areas == unserved
    assert result.unserved_patients_per_day == pytest.approx(lost, rel=1e-9, abs=1e-12)

    # conservation: sum_j arrivals_j + unserved = rate * total population / 1e5
    everyone = rate * sum(population.values()) / 100_000
    assert result.total_patients_per_day == pytest.approx(everyone, rel=1e-12, abs=1e-12)
    assert result.arrivals_per_day.sum() + result.unserved_patients_per_day == pytest.approx(
        everyone, rel=1e-9, abs=1e-12
    )
    # the shares of every served area sum to 1; unserved areas have none
    sums = result.shares.groupby("origin_id")["share"].sum()
    assert sums.to_numpy() == pytest.approx(np.ones(len(sums)), rel=1e-12)
    assert set(sums.index) == set(population) - set(unserved)
    assert (result.shares["share"] > 0).all()
    assert tuple(result.shares.columns) == SHARE_COLUMNS


# ============================================================ consistency with spatial.fca (3SFCA)


def test_alpha_0_shares_are_the_3sfca_selection_weights():
    decay = step_decay({10: 1.0, 20: 0.6, 30: 0.2})
    od = make_od(
        [
            ("a", "h", 5), ("a", "k", 15), ("a", "z", 8),  # z has no capacity
            ("b", "h", 25), ("b", "k", 12), ("b", "m", 9),
            ("c", "m", 35),  # beyond the catchment
        ]
    )  # fmt: skip
    pop = pd.Series({"a": 120_000.0, "b": 80_000.0, "c": 10_000.0})
    cap = pd.Series({"h": 20.0, "k": 5.0, "m": 12.0, "z": 0.0})
    # G_ij = W_ij / sum_k W_ik over the sites with capacity within i's catchment, by hand:
    g = {
        ("a", "h"): 1.0 / 1.6,
        ("a", "k"): 0.6 / 1.6,
        ("b", "h"): 0.2 / 1.8,
        ("b", "k"): 0.6 / 1.8,
        ("b", "m"): 1.0 / 1.8,
    }
    rate = 0.8
    result = site_arrivals(
        od, pop, cap, patients_per_100k_day=rate, catchment_minutes=30, decay=decay,
        attractiveness=0,
    )  # fmt: skip
    assert share_table(result) == pytest.approx(g, rel=1e-12)
    assert result.unserved_areas == ("c",)

    # spatial.fca's 3SFCA with a uniform W and this decay as the selection decay T
    # has D_j = sum_i P_i G_ij: our arrivals are D_j times the rate per person.
    fca = three_step_fca(
        od,
        pop,
        cap,
        catchment_minutes=30,
        decay=uniform_decay(catchment_minutes=30),
        selection_decay=decay,
    )
    assert result.arrivals_per_day.to_numpy() == pytest.approx(
        fca.site_population.to_numpy() * rate / 100_000, rel=1e-12
    )
    assert result.unserved_areas == fca.areas_without_supply


def test_alpha_0_ignores_the_size_of_open_sites():
    base = run_two_by_two(decay=STEPS, attractiveness=0)
    bigger = site_arrivals(
        TWO_BY_TWO,
        POP,
        CAP * pd.Series({"h": 7.0, "k": 0.01}),
        patients_per_100k_day=RATE,
        catchment_minutes=30,
        decay=STEPS,
        attractiveness=0,
    )
    pd.testing.assert_series_equal(base.arrivals_per_day, bigger.arrivals_per_day)


# ============================================================ inputs


def test_inputs_are_not_mutated():
    od, pop, cap = TWO_BY_TWO.copy(), POP.copy(), CAP.copy()
    run_two_by_two(decay=STEPS)
    pd.testing.assert_frame_equal(od, TWO_BY_TWO)
    pd.testing.assert_series_equal(pop, POP)
    pd.testing.assert_series_equal(cap, CAP)


def test_every_problem_is_reported_at_once():
    od = make_od(
        [
            ("a", "h", float("nan")),  # NaN minutes
            ("a", "ghost", 5),  # unknown site
            ("b", "k", 5),
            ("b", "k", 7),  # repeated pair
        ]
    )
    pop = pd.Series({"a": -5.0, "b": 10.0}, name="Pop")
    cap = pd.Series({"h": float("nan"), "k": 3.0})
    with pytest.raises(InputValidationError) as info:
        site_arrivals(
            od, pop, cap, patients_per_100k_day=-1.0, catchment_minutes=30, attractiveness=-2
        )
    text = str(info.value)
    assert len(info.value.problems) == 7
    for fragment in (
        "patients_per_100k_day",
        "attractiveness",
        "column 'Pop', row a",
        "capacity, row h",
        "column 'minutes'",
        "not in the capacity index",
        "repeating an (origin_id, site_id) pair",
    ):
        assert fragment in text
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AccessplanError)


def test_bad_shapes_and_catchment():
    with pytest.raises(InputValidationError) as info:
        site_arrivals(
            TWO_BY_TWO.drop(columns="minutes"),
            POP.to_dict(),
            CAP,
            patients_per_100k_day=1.0,
            catchment_minutes=0,
        )
    text = str(info.value)
    assert "missing column minutes" in text
    assert "population must be a pandas Series" in text
    assert "catchment_minutes must be a finite number > 0" in text


def test_method_and_decay_errors():
    with pytest.raises(UnknownMethodError):
        run_two_by_two(method="4sfca")
    with pytest.raises(UnknownDecayError, match="reaches 60"):
        run_two_by_two(decay=uniform_decay(catchment_minutes=60))
    with pytest.raises(UnknownDecayError):
        run_two_by_two(decay={"type": "wobbly"})


def test_an_absurd_rate_is_refused_with_the_limit():
    # 1e9 patients per 100k per day is 10,000 per person per day: a unit mistake, whose
    # queues (loads near 1e11 Erlangs) would take hours to size
    def arrivals(rate):
        return site_arrivals(TWO_BY_TWO, POP, CAP, patients_per_100k_day=rate, catchment_minutes=30)

    with pytest.raises(InputValidationError) as info:
        arrivals(1e9)
    text = str(info.value)
    assert "patients_per_100k_day = 1e+09" in text and "100000" in text
    assert arrivals(100_000.0).total_patients_per_day > 0
