"""AccessMod's capacity-limited geographic coverage: hand-worked cases, conservation, brute force."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.capacity_coverage import capacity_coverage
from accessplan.spatial.capacity_kernel import pairwise_sum, site_view
from accessplan.spatial.od_codes import CodedOD


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


# --------------------------------------------------------------------------
# Exact comparison with a plain-Python reference (the compiled path must give
# the same floats, not merely close ones).


def _numpy_sum(values):
    """numpy's float64 pairwise summation (what ``ndarray.sum`` does), in plain Python.

    Fewer than 8 values: added in turn from 0.0; up to 128: eight running sums
    over the values by stride 8, combined as ((0+1)+(2+3))+((4+5)+(6+7)), then
    the rest added in turn; more: the two halves (cut at a multiple of 8) summed
    so and added.
    """
    n = len(values)
    if n < 8:
        total = 0.0
        for v in values:
            total += v
        return total
    if n <= 128:
        r = list(values[:8])
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += values[i + j]
            i += 8
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for v in values[i:]:
            total += v
        return total
    half = n // 2
    half -= half % 8
    return _numpy_sum(values[:half]) + _numpy_sum(values[half:])


@pytest.mark.parametrize("n", [*range(0, 40), 127, 128, 129, 200, 1000, 4099])
def test_the_references_sum_is_numpys(n):
    rng = np.random.default_rng(n)
    values = rng.random(n) * 10.0 ** rng.uniform(-3, 6, n)  # magnitudes apart: order matters
    assert 0.0 + _numpy_sum(list(values)) == values.sum()
    if n > 1:  # a run of np.add.reduceat: its first value, then numpy's sum of the rest
        starts = np.array([0, n // 3, n // 2])
        ends = [n // 3, n // 2, n]
        expected = np.add.reduceat(values, starts)
        got = [
            values[s] + _numpy_sum(list(values[s + 1 : e])) if e > s else values[s]
            for s, e in zip(starts, ends, strict=True)
        ]
        assert got == expected.tolist()


def _reference(rows, pop, cap, *, order, descending, max_minutes, order_minutes, ring_minutes):
    """AccessMod's rule as the module text states it, in plain Python, over ``rows`` in order.

    ``rows``: (origin, site, minutes) in table order; ``order``: "population"
    or a dict of values. Sums follow numpy's rules (the module's contract):
    a ring's population and a facility's totals are numpy sums, the room
    before a ring a running sum, the population order added in table order.
    """
    ids = list(cap)
    limit = math.inf if max_minutes is None else max_minutes
    if order == "population":
        near = limit if order_minutes is None else order_minutes
        values = dict.fromkeys(ids, 0.0)
        for o, s, m in rows:
            if m <= near:
                values[s] += pop[o]
    else:
        values = dict(order)
    sign = -1 if descending else 1
    sequence = sorted(ids, key=lambda s: (sign * values[s], ids.index(s)))
    residual = dict(pop)
    facilities = {}
    allocation = []

    def ring_of(m):
        return m if ring_minutes is None else math.floor(m / ring_minutes)

    for s in sequence:
        mine = sorted(
            [(o, m) for (o, ss, m) in rows if ss == s and m <= limit], key=lambda r: ring_of(r[1])
        )
        res = [residual[o] for o, _ in mine]
        in_reach = 0.0 + _numpy_sum(res)
        taken, before, last, farthest, k = [], 0.0, math.nan, -math.inf, 0
        while k < len(mine):
            stop = k + 1
            while stop < len(mine) and ring_of(mine[stop][1]) == ring_of(mine[k][1]):
                stop += 1
            ring_pop = res[k] + _numpy_sum(res[k + 1 : stop])
            fraction = min(1.0, max(0.0, (cap[s] - before) / ring_pop)) if ring_pop > 0 else 0.0
            if ring_pop > 0 and fraction > 0:
                last = fraction
            for (o, m), r in zip(mine[k:stop], res[k:stop], strict=True):
                amount = r * fraction
                taken.append(amount)
                residual[o] = r - amount
                if amount > 0:
                    farthest = max(farthest, m)
                    allocation.append((o, s, m, amount))
            before = ring_pop if k == 0 else before + ring_pop
            k = stop
        covered = 0.0 + _numpy_sum(taken)
        took = farthest > -math.inf
        facilities[s] = {
            "processing_rank": sequence.index(s) + 1,
            "order_value": values[s],
            "population_in_reach": in_reach,
            "covered_population": covered,
            "remaining_capacity": max(cap[s] - covered, 0.0),
            "catchment_radius_minutes": farthest if took else math.nan,
            "last_ring_fraction": last if took else math.nan,
        }
    return sequence, facilities, residual, allocation


def _random_case(seed):
    rng = np.random.default_rng(1000 + seed)
    big_ring = seed % 5 == 4  # one ring of more than 128 areas (numpy's sum splits it)
    n_areas = int(rng.integers(180, 220)) if big_ring else int(rng.integers(1, 25))
    n_sites = int(rng.integers(1, 3)) if big_ring else int(rng.integers(1, 6))
    levels = 1 if big_ring else int(rng.integers(1, 8))  # few distinct minutes: many ties
    areas = [f"a{i}" for i in range(n_areas)]
    sites = [f"s{j}" for j in range(n_sites)]
    rows = [
        (a, s, float(rng.integers(0, levels)) * float(rng.choice([1.0, 0.7, 1.3])))
        for a in areas
        for s in sites
        if rng.random() < 0.8
    ]
    # populations with fractional parts, some zero; capacities around what is in reach, some zero
    pop = {a: float(rng.random() * 1000) * float(rng.random() < 0.85) for a in areas}
    total = sum(pop.values())
    cap = {s: float(rng.random() * 2 * total / n_sites) * float(rng.random() < 0.8) for s in sites}
    options = {
        "order": "population"
        if seed % 3 == 0
        else {s: float(rng.integers(0, 3)) for s in sites},  # tied values keep the capacity order
        "descending": bool(seed % 2),
        "max_minutes": [None, 4.0, 2.5][seed % 3],
        "order_minutes": [None, 3.0][seed % 2],
        "ring_minutes": [None, 1, 2.5, None][seed % 4],
    }
    return rows, pop, cap, options


def _assert_same_as_reference(res, rows, pop, cap, options):
    sequence, facilities, residual, allocation = _reference(rows, pop, cap, **options)
    assert res.order == tuple(sequence)
    frame = res.facilities
    for s, expected in facilities.items():
        for column, value in expected.items():
            got = frame.loc[s, column]
            assert got == value or (math.isnan(got) and math.isnan(value)), (s, column)
    assert res.uncovered_population.to_dict() == residual
    assert res.areas["covered_population"].to_dict() == {a: pop[a] - residual[a] for a in pop}
    # one row per pair taken from: facilities in capacity order, each nearest ring first
    sites = list(cap)
    expected = sorted(allocation, key=lambda row: sites.index(row[1]))
    assert list(res.allocation.itertuples(index=False, name=None)) == expected
    # conservation (up to the rounding of the fractions taken)
    assert (res.covered_population <= pd.Series(cap) * (1 + 1e-12)).all()
    assert (res.uncovered_population >= 0).all()
    np.testing.assert_allclose(
        res.areas["covered_population"] + res.uncovered_population, pd.Series(pop), rtol=1e-12
    )
    np.testing.assert_allclose(
        res.covered_population + res.remaining_capacity,
        np.maximum(pd.Series(cap), res.covered_population),
        rtol=1e-12,
    )
    assert res.allocation["covered_population"].sum() == pytest.approx(
        res.covered_population.sum(), rel=1e-12, abs=1e-9
    )


@pytest.mark.parametrize("seed", range(40))
def test_same_floats_as_the_plain_python_reference(seed):
    rows, pop, cap, options = _random_case(seed)
    od = _od(rows)
    shuffled = od.sample(frac=1.0, random_state=seed)  # ties keep the table's order, whatever it is
    table = list(shuffled.itertuples(index=False, name=None))
    order = options["order"]
    call = dict(options, order=order if order == "population" else pd.Series(order))
    res = capacity_coverage(shuffled, pd.Series(pop), pd.Series(cap), **call)
    _assert_same_as_reference(res, table, pop, cap, options)


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_coded_table_gives_the_reference_in_its_own_order(seed):
    rows, pop, cap, options = _random_case(seed)
    assert rows  # these seeds draw some pairs
    # labels in another order than the Series: the codes are matched to them
    coded = CodedOD.from_frame(
        _od(rows).sample(frac=1.0, random_state=seed),
        origin_ids=list(reversed(list(pop))),
        site_ids=list(reversed(list(cap))),
    )
    table = list(coded.to_frame().itertuples(index=False, name=None))
    order = options["order"]
    call = dict(options, order=order if order == "population" else pd.Series(order))
    res = capacity_coverage(coded, pd.Series(pop), pd.Series(cap), **call)
    _assert_same_as_reference(res, table, pop, cap, options)
    again = capacity_coverage(coded.to_frame(), pd.Series(pop), pd.Series(cap), **call)
    for name in ("facilities", "areas", "allocation"):
        pd.testing.assert_frame_equal(getattr(res, name), getattr(again, name), check_exact=True)


def test_compiled_sum_is_numpys():
    rng = np.random.default_rng(7)
    for n in (*range(0, 20), 127, 128, 129, 300, 1000, 70_001):
        values = rng.random(n) * 10.0 ** rng.uniform(-3, 6, n)
        assert 0.0 + pairwise_sum(values, 0, n) == values.sum()
        if n > 2:
            assert values[1] + pairwise_sum(values, 2, n - 2) == np.add.reduceat(values, [0, 1])[1]


def test_coded_table_with_ids_missing_from_the_inputs():
    coded = CodedOD.from_frame(_od([("a", "h", 1.0), ("b", "k", 2.0)]))
    with pytest.raises(InputValidationError) as info:
        capacity_coverage(coded, _pop(a=1), pd.Series({"h": 5.0}))
    text = str(info.value)
    assert "1 id(s) with pairs not among the areas" in text
    assert "1 id(s) with pairs not among the facilities" in text
    # ids without pairs may be missing; areas and facilities without pairs are fine
    coded = CodedOD.from_frame(
        _od([("a", "h", 1.0)]), origin_ids=["a", "zz"], site_ids=["h", "unused"]
    )
    res = capacity_coverage(coded, _pop(a=10, b=4), pd.Series({"h": 5.0, "k": 1.0}))
    assert res.uncovered_population.tolist() == [5.0, 4.0]
    assert res.covered_population.tolist() == [5.0, 0.0]


@pytest.mark.parametrize(
    "kind", ["spread", "one far outlier", "infinite", "a few values", "subnormal", "ring keys"]
)
def test_site_view_is_a_stable_sort_by_site_then_ring(kind):
    rng = np.random.default_rng(len(kind))
    n, n_sites = 3000, 3
    minutes = {
        "spread": rng.random(n) * 60,
        "one far outlier": np.where(np.arange(n) == 5, 1e6, rng.random(n)),
        "infinite": np.where(rng.random(n) < 0.1, np.inf, rng.random(n)),
        "a few values": rng.integers(0, 4, n) * 0.5,
        "subnormal": rng.integers(0, 3, n) * 5e-324,
        "ring keys": rng.random(n) * 60,
    }[kind]
    minutes = np.where(rng.random(n) < 0.02, -0.0, minutes)  # -0.0 ties with 0.0
    rows = rng.permutation(n)
    cols = rng.integers(0, n_sites, n)
    ring = 7.5 if kind == "ring keys" else None
    keys = minutes if ring is None else np.floor(minutes / ring)
    offsets, view_rows, view_minutes, view_keys = site_view(
        rows, cols, minutes, limit_minutes=math.inf, ring_minutes=ring, n_sites=n_sites
    )
    expected = np.lexsort((keys, cols))  # stable: ties in table order
    assert offsets.tolist() == [0, *np.cumsum(np.bincount(cols, minlength=n_sites)).tolist()]
    assert view_rows.tolist() == rows[expected].tolist()
    assert view_minutes.tolist() == minutes[expected].tolist()
    assert view_keys.tolist() == keys[expected].tolist()
    # a limit leaves the farther pairs out
    offsets, view_rows, _, _ = site_view(
        rows, cols, minutes, limit_minutes=0.5, ring_minutes=ring, n_sites=n_sites
    )
    near = minutes <= 0.5
    assert view_rows.tolist() == rows[near][np.lexsort((keys[near], cols[near]))].tolist()


def test_results_do_not_depend_on_the_number_of_threads():
    import numba

    rng = np.random.default_rng(3)
    n_areas, n_sites = 300, 40
    keep = rng.random((n_areas, n_sites)) < 0.5
    origins, sites = np.nonzero(keep)
    od = pd.DataFrame(
        {"origin_id": origins, "site_id": sites, "minutes": rng.integers(0, 30, len(sites)) * 0.5}
    )
    pop = pd.Series(rng.random(n_areas) * 100)
    cap = pd.Series(rng.random(n_sites) * 400)
    before = numba.get_num_threads()
    runs = []
    try:
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(threads)
            runs.append(capacity_coverage(od, pop, cap, ring_minutes=2))
    finally:
        numba.set_num_threads(before)
    for name in ("facilities", "areas", "allocation"):
        pd.testing.assert_frame_equal(
            getattr(runs[0], name), getattr(runs[-1], name), check_exact=True
        )


def test_no_pair_within_the_order_catchment_and_infinite_minutes():
    od = _od([("a", "h", 5.0), ("a", "k", 7.0)])
    cap = pd.Series({"h": 3.0, "k": 1.0})
    res = capacity_coverage(od, _pop(a=5), cap, order_minutes=1, descending=False)
    # nobody within a minute: every value 0 (integers, as np.bincount of nothing), capacity order
    assert res.facilities["order_value"].tolist() == [0, 0]
    assert res.facilities["order_value"].dtype.kind == "i"
    assert res.order == ("h", "k")
    assert res.covered_population.tolist() == [3.0, 1.0]
    # an infinite travel time is the farthest ring (kept when there is no max_minutes)
    od = _od([("a", "h", math.inf), ("b", "h", 2.0)])
    res = capacity_coverage(od, _pop(a=5, b=1), pd.Series({"h": 4.0}))
    assert res.catchment_radius_minutes["h"] == math.inf
    assert res.facilities.loc["h", "last_ring_fraction"] == 0.6
    assert res.uncovered_population.tolist() == [2.0, 0.0]
