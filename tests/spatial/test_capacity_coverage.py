"""AccessMod's capacity-limited geographic coverage: hand-worked cases, conservation, brute force."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.capacity_coverage import capacity_coverage


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


def _pop(**values):
    return pd.Series({k: float(v) for k, v in values.items()})


def test_one_facility_takes_whole_areas_then_part_of_the_next():
    od = _od([("a", "h", 5.0), ("b", "h", 10.0), ("c", "h", 20.0)])
    res = capacity_coverage(od, _pop(a=100, b=300, c=200), pd.Series({"h": 250.0}))
    # a whole (100), then 150 of b's 300 (fraction 0.5); c untouched
    assert res.uncovered_population.tolist() == [0.0, 150.0, 200.0]
    assert res.areas["covered_population"].tolist() == [100.0, 150.0, 0.0]
    assert res.covered_population["h"] == 250.0
    assert res.remaining_capacity["h"] == 0.0
    assert res.catchment_radius_minutes["h"] == 10.0
    assert res.facilities.loc["h", "last_ring_fraction"] == 0.5
    assert res.facilities.loc["h", "population_in_reach"] == 600.0
    alloc = res.allocation.set_index("origin_id")["covered_population"]
    assert alloc.to_dict() == {"a": 100.0, "b": 150.0}
    assert res.coverage_share == pytest.approx(250 / 600)


def test_equal_times_form_one_ring_taken_proportionally():
    od = _od([("a", "h", 5.0), ("b", "h", 10.0), ("c", "h", 10.0)])
    res = capacity_coverage(od, _pop(a=100, b=100, c=300), pd.Series({"h": 200.0}))
    # ring 5: a whole; ring 10 holds 400, room 100: a quarter of b and of c
    assert res.areas["covered_population"].tolist() == [100.0, 25.0, 75.0]
    assert res.facilities.loc["h", "last_ring_fraction"] == 0.25


def test_whole_minute_rings_as_in_accessmod():
    od = _od([("a", "h", 5.2), ("b", "h", 5.9), ("c", "h", 7.0)])
    pop = _pop(a=100, b=100, c=200)
    exact = capacity_coverage(od, pop, pd.Series({"h": 150.0}))
    minute = capacity_coverage(od, pop, pd.Series({"h": 150.0}), ring_minutes=1)
    assert exact.areas["covered_population"].tolist() == [100.0, 50.0, 0.0]
    # int(5.2) == int(5.9) == 5: one ring of 200, three quarters taken of each
    assert minute.areas["covered_population"].tolist() == [75.0, 75.0, 0.0]
    assert minute.catchment_radius_minutes["h"] == 5.9


def test_processing_order_changes_the_result():
    # a is near both; b only reaches H1. Capacity 100 each.
    od = _od([("a", "H1", 5.0), ("a", "H2", 10.0), ("b", "H1", 20.0)])
    pop = _pop(a=100, b=100)
    cap = pd.Series({"H1": 100.0, "H2": 100.0})
    h1_first = capacity_coverage(od, pop, cap, order=pd.Series({"H1": 2, "H2": 1}))
    h2_first = capacity_coverage(od, pop, cap, order=pd.Series({"H1": 1, "H2": 2}))
    assert h1_first.order == ("H1", "H2")
    assert h1_first.covered_population.tolist() == [100.0, 0.0]
    assert h1_first.uncovered_population.tolist() == [0.0, 100.0]
    assert math.isnan(h1_first.catchment_radius_minutes["H2"])
    assert h2_first.order == ("H2", "H1")
    assert h2_first.covered_population.tolist() == [100.0, 100.0]
    assert h2_first.uncovered_population.tolist() == [0.0, 0.0]
    assert h2_first.catchment_radius_minutes.tolist() == [20.0, 10.0]
    assert h2_first.facilities["processing_rank"].tolist() == [2, 1]


def test_population_order_largest_catchment_first_and_ascending():
    od = _od([("a", "H1", 5.0), ("a", "H2", 10.0), ("b", "H1", 20.0)])
    pop = _pop(a=100, b=100)
    cap = pd.Series({"H1": 100.0, "H2": 100.0})
    largest = capacity_coverage(od, pop, cap)  # H1 reaches 200, H2 100
    assert largest.order == ("H1", "H2")
    assert largest.facilities["order_value"].tolist() == [200.0, 100.0]
    assert largest.covered_population.sum() == 100.0
    smallest = capacity_coverage(od, pop, cap, descending=False)
    assert smallest.order == ("H2", "H1")
    assert smallest.covered_population.sum() == 200.0
    # within 10 minutes both reach 100: a tie keeps the capacity order
    tie = capacity_coverage(od, pop, cap, order_minutes=10)
    assert tie.order == ("H1", "H2")


def test_max_minutes_stops_the_catchment():
    od = _od([("a", "h", 5.0), ("b", "h", 10.0), ("c", "h", 20.0)])
    res = capacity_coverage(od, _pop(a=100, b=300, c=200), pd.Series({"h": 1000.0}), max_minutes=10)
    assert res.covered_population["h"] == 400.0
    assert res.remaining_capacity["h"] == 600.0
    assert res.catchment_radius_minutes["h"] == 10.0
    assert res.facilities.loc["h", "last_ring_fraction"] == 1.0
    assert res.uncovered_population.tolist() == [0.0, 0.0, 200.0]


def test_units_zero_capacity_and_facility_without_rows():
    od = _od([("a", "h", 5.0), ("b", "h", 10.0), ("a", "z", 1.0)])
    cap = pd.Series({"h": 2.5, "z": 0.0, "far": 9.0})
    res = capacity_coverage(od, _pop(a=100, b=300), cap, people_per_unit=100)
    assert res.facilities["capacity"].tolist() == [250.0, 0.0, 900.0]
    assert res.covered_population.tolist() == [250.0, 0.0, 0.0]
    assert res.remaining_capacity.tolist() == [0.0, 0.0, 900.0]
    assert np.isnan(res.catchment_radius_minutes[["z", "far"]]).all()


def _brute_force(rows, pop, cap, order_values, *, descending, max_minutes, ring_minutes):
    """Plain-Python simulation of AccessMod's rule, facility by facility, ring by ring."""
    ids = list(cap)
    sign = -1 if descending else 1
    sequence = sorted(ids, key=lambda s: (sign * order_values[s], ids.index(s)))
    residual = dict(pop)
    covered = dict.fromkeys(ids, 0.0)
    radius = dict.fromkeys(ids, math.nan)

    def ring_of(m):
        return m if ring_minutes is None else math.floor(m / ring_minutes)

    for s in sequence:
        mine = [(o, m) for (o, ss, m) in rows if ss == s and m <= max_minutes]
        left = cap[s]
        for k in sorted({ring_of(m) for _, m in mine}):
            members = [(o, m) for o, m in mine if ring_of(m) == k]
            total = sum(residual[o] for o, _ in members)
            if total == 0 or left <= 0:
                continue
            share = min(1.0, left / total)
            for o, m in members:
                take = residual[o] * share
                if take > 0:
                    radius[s] = m if math.isnan(radius[s]) else max(radius[s], m)
                residual[o] -= take
                covered[s] += take
            left -= total * share
    return residual, covered, radius


@pytest.mark.parametrize("seed", range(12))
def test_brute_force_and_conservation_on_random_instances(seed):
    rng = np.random.default_rng(seed)
    n_areas, n_sites = int(rng.integers(3, 9)), int(rng.integers(1, 5))
    areas = [f"a{i}" for i in range(n_areas)]
    sites = [f"s{j}" for j in range(n_sites)]
    rows = [
        (a, s, float(rng.integers(0, 12)) + (0.5 if rng.random() < 0.3 else 0.0))
        for a in areas
        for s in sites
        if rng.random() < 0.7
    ]
    od = _od(rows).sample(frac=1.0, random_state=seed)
    pop = pd.Series(rng.integers(0, 60, n_areas).astype(float), index=areas)
    cap = pd.Series(rng.integers(0, 120, n_sites).astype(float), index=sites)
    priority = pd.Series(rng.integers(0, 3, n_sites), index=sites)
    max_minutes = float(rng.choice([6.0, 9.0, 20.0]))
    ring = None if seed % 2 else 2.0
    descending = bool(seed % 3)
    before = od.copy()
    res = capacity_coverage(
        od,
        pop,
        cap,
        order=priority,
        descending=descending,
        max_minutes=max_minutes,
        ring_minutes=ring,
    )
    residual, covered, radius = _brute_force(
        rows,
        pop.to_dict(),
        cap.to_dict(),
        priority.to_dict(),
        descending=descending,
        max_minutes=max_minutes,
        ring_minutes=ring,
    )
    np.testing.assert_allclose(
        res.uncovered_population[areas], [residual[a] for a in areas], atol=1e-9
    )
    np.testing.assert_allclose(
        res.covered_population[sites], [covered[s] for s in sites], atol=1e-9
    )
    np.testing.assert_array_equal(res.catchment_radius_minutes[sites], [radius[s] for s in sites])
    pd.testing.assert_frame_equal(od, before)  # the input is left alone
    # conservation
    assert (res.covered_population <= cap + 1e-9).all()
    assert (res.uncovered_population >= 0).all()
    np.testing.assert_allclose(
        res.areas["covered_population"] + res.areas["uncovered_population"], pop, atol=1e-9
    )
    assert res.covered_population.sum() == pytest.approx(res.areas["covered_population"].sum())
    assert res.allocation["covered_population"].sum() == pytest.approx(res.covered_population.sum())
    np.testing.assert_allclose(res.covered_population + res.remaining_capacity, cap, atol=1e-9)


def test_bad_inputs_are_reported_together():
    od = _od([("a", "h", -1.0), ("a", "h", 2.0), ("zz", "q", 3.0)])
    with pytest.raises(InputValidationError) as info:
        capacity_coverage(
            od,
            _pop(a=1),
            pd.Series({"h": -5.0}),
            order="nearest",
            max_minutes=0,
            people_per_unit=float("nan"),
        )
    text = str(info.value)
    for part in (
        "negative (must be >= 0)",
        "unknown processing order 'nearest'",
        "max_minutes must be a finite number > 0",
        "people_per_unit must be a finite number > 0",
        "missing, not a number or negative",
        "not among the areas",
        "not among the facilities",
    ):
        assert part in text, part
    assert isinstance(info.value, AccessplanError) and isinstance(info.value, ValueError)


def test_repeated_pairs_and_missing_order_values():
    od = _od([("a", "h", 1.0), ("a", "h", 2.0)])
    with pytest.raises(InputValidationError, match="repeating an"):
        capacity_coverage(od, _pop(a=1), pd.Series({"h": 5.0}))
    od = _od([("a", "h", 1.0)])
    with pytest.raises(InputValidationError, match="no order value"):
        capacity_coverage(od, _pop(a=1), pd.Series({"h": 5.0, "k": 1.0}), order=pd.Series({"h": 1}))
