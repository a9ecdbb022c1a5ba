"""Pool splitting: both greedy objectives proved against brute force on small instances."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from accessplan.capacity.erlang import mean_queue_length, mean_wait
from accessplan.capacity.errors import QueueInputError
from accessplan.capacity.pool import PoolSplit, split_pool


def objectives(rate, service, final):
    """(sum of arrival-weighted mean waits, largest mean wait) from the public Erlang C."""
    rate = np.asarray(rate, dtype=float)
    service = np.broadcast_to(np.asarray(service, dtype=float), rate.shape)
    wait = mean_wait(np.asarray(final), rate * service, mean_service_time=service)
    weighted = np.where(rate > 0, rate * wait, 0.0)
    return float(weighted.sum()), float(wait.max())


def all_splits(units, low, high):
    """Every way to add ``units`` with low_i <= added_i <= high_i."""
    ranges = [range(lo, min(hi, units) + 1) for lo, hi in zip(low, high, strict=True)]
    for added in itertools.product(*ranges):
        if sum(added) == units:
            yield np.array(added)


def random_instance(seed):
    """Seeds below 40 start near the stability edge, the others start stable with more units."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(2, 5))
    rate = rng.uniform(0.2, 4.0, size)
    service = rng.uniform(0.5, 3.0, size)
    load = rate * service
    if seed < 40:  # some facilities below the edge, some just above
        current = np.maximum(np.floor(load).astype(int) + rng.integers(-2, 3, size), 0)
        low = rng.integers(0, 2, size)
        high = low + rng.integers(1, 7, size)
        units = int(rng.integers(low.sum(), min(high.sum(), low.sum() + 9) + 1))
    else:  # all stable, waits of different sizes, looser bounds
        current = np.floor(load).astype(int) + 1
        low = np.zeros(size, dtype=int)
        high = rng.integers(3, 9, size)
        units = int(rng.integers(4, min(high.sum(), 11) + 1))
    return rate, service, current, low, high, units


SEEDS = range(80)


def brute_force(rate, service, current, low, high, units):
    best_sum, best_max = np.inf, np.inf
    for added in all_splits(units, low, high):
        total, worst = objectives(rate, service, current + added)
        best_sum = min(best_sum, total)
        best_max = min(best_max, worst)
    return best_sum, best_max


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_is_optimal_against_brute_force(seed):
    rate, service, current, low, high, units = random_instance(seed)
    best_sum, best_max = brute_force(rate, service, current, low, high, units)
    kwargs = dict(
        arrival_rate=rate,
        mean_service_time=service,
        current=current,
        min_added=low,
        max_added=high,
    )
    by_sum = split_pool(units, objective="min-sum", **kwargs)
    by_max = split_pool(units, objective="min-max", **kwargs)
    for split in (by_sum, by_max):
        added = split.facilities["added"].to_numpy()
        assert added.sum() == units
        assert ((added >= low) & (added <= high)).all()
    got_sum, _ = objectives(rate, service, by_sum.facilities["final"])
    _, got_max = objectives(rate, service, by_max.facilities["final"])
    if np.isfinite(best_sum):
        assert got_sum == pytest.approx(best_sum, rel=1e-12)
        assert got_max == pytest.approx(best_max, rel=1e-12)
    else:  # no split stabilises every facility
        assert np.isinf(got_sum) and np.isinf(got_max)


def test_brute_force_instances_can_tell_the_objectives_apart():
    # the proof above is only worth as much as the instances it covers: they must
    # include unstable starts and binding bounds, and the greedy for one objective
    # must fail the other objective's brute force on some of them
    unstable = finite = capped = sum_fails_max = max_fails_sum = 0
    for seed in SEEDS:
        rate, service, current, low, high, units = random_instance(seed)
        unstable += bool((current <= rate * service).any())
        best_sum, best_max = brute_force(rate, service, current, low, high, units)
        finite += bool(np.isfinite(best_sum))
        kwargs = dict(
            arrival_rate=rate,
            mean_service_time=service,
            current=current,
            min_added=low,
            max_added=high,
        )
        by_sum = split_pool(units, objective="min-sum", **kwargs)
        by_max = split_pool(units, objective="min-max", **kwargs)
        capped += bool((by_sum.facilities["added"].to_numpy() == high).any())
        if np.isfinite(best_sum):
            sum_fails_max += objectives(rate, service, by_sum.facilities["final"])[1] > best_max
            max_fails_sum += objectives(rate, service, by_max.facilities["final"])[0] > best_sum
    assert unstable >= 20 and finite >= 50 and capped >= 20
    assert sum_fails_max >= 5 and max_fails_sum >= 5


def test_wait_is_convex_and_decreasing_on_the_stable_range():
    # the property that makes the min-sum greedy optimal (Dyer & Proll 1977)
    for load in (0.3, 1.0, 7.5, 42.0, 300.2):
        n = np.arange(int(load) + 1, int(load) + 80)
        lq = mean_queue_length(n, load)
        assert (np.diff(lq) < 0).all()
        second = np.diff(lq, 2)
        positive = lq[:-2] > 1e-250
        assert (second[positive] >= 0).all()


def test_unstable_facilities_get_units_first_fewest_short_first():
    # loads 5.5, 3.0, 2.0; stable from 6, 4, 3 servers; currents 2, 2, 2 -> short 4, 2, 1
    rate = np.array([5.5, 3.0, 2.0])
    split = split_pool(3, arrival_rate=rate, mean_service_time=1.0, current=[2, 2, 2])
    # 3 units: facility 2 (short 1) and facility 1 (short 2) become stable, facility 0 gets none
    assert split.facilities["added"].tolist() == [0, 2, 1]
    assert split.unstable_before == 3 and split.unstable_after == 1
    # 9 units: all three stable first (7 units), then the greedy places the last 2
    split = split_pool(9, arrival_rate=rate, mean_service_time=1.0, current=[2, 2, 2])
    assert split.unstable_after == 0
    assert (split.facilities["final"] >= [6, 4, 3]).all()


def test_partial_stabilisation_keeps_the_units_on_the_next_facility():
    rate = np.array([5.5, 3.0])  # short 4 and 2
    split = split_pool(
        4, arrival_rate=rate, mean_service_time=1.0, current=[2, 2], objective="min-max"
    )
    # facility 1 is stabilised (2 units), the other 2 go toward facility 0
    assert split.facilities["added"].tolist() == [2, 2]
    assert split.unstable_after == 1


def test_ties_among_unstable_go_to_the_higher_arrival_rate_then_first_listed():
    # equal shortfall (1 unit each) and one unit to give
    split = split_pool(1, arrival_rate=[2.5, 2.5 * 2], mean_service_time=[1.0, 0.5], current=[2, 2])
    assert split.facilities["added"].tolist() == [0, 1]
    split = split_pool(1, arrival_rate=[2.5, 2.5], mean_service_time=1.0, current=[2, 2])
    assert split.facilities["added"].tolist() == [1, 0]


def test_a_facility_that_cannot_become_stable_gets_only_its_minimum():
    split = split_pool(
        4,
        arrival_rate=[10.0, 2.0],
        mean_service_time=1.0,
        current=[2, 3],
        min_added=[1, 0],
        max_added=[3, 10],
    )
    assert split.facilities["added"].tolist() == [1, 3]
    # ... unless nothing else has room
    split = split_pool(
        5,
        arrival_rate=[10.0, 2.0],
        mean_service_time=1.0,
        current=[2, 3],
        max_added=[3, 2],
    )
    assert split.facilities["added"].tolist() == [3, 2]
    assert np.isinf(split.max_wait_after)


def test_min_max_evens_out_identical_facilities():
    split = split_pool(
        10,
        arrival_rate=[4.0] * 4,
        mean_service_time=2.0,
        current=[9, 9, 9, 9],
        objective="min-max",
    )
    added = split.facilities["added"].to_numpy()
    assert added.max() - added.min() <= 1
    assert sorted(added.tolist()) == [2, 2, 3, 3]


def test_result_table_and_totals():
    rate = pd.Series([7.0, 9.0, 17.0, 3.0], index=["a", "b", "c", "d"])
    service = np.array([64.0, 86.0, 154.5, 20.0]) / rate.to_numpy()
    current = np.array([66, 90, 160, 21])
    split = split_pool(
        20, arrival_rate=rate, mean_service_time=service, current=current, objective="min-max"
    )
    assert isinstance(split, PoolSplit)
    table = split.facilities
    assert list(table.index) == ["a", "b", "c", "d"]
    assert (table["final"] == table["current"] + table["added"]).all()
    assert split.units == 20
    assert split.total_current == current.sum()
    assert split.total_final == current.sum() + 20
    expected_before = mean_wait(current, rate * service, mean_service_time=service)
    np.testing.assert_array_equal(table["wait_before"], expected_before)
    expected_after = mean_wait(table["final"], rate * service, mean_service_time=service)
    np.testing.assert_array_equal(table["wait_after"], expected_after)
    assert split.max_wait_after == table["wait_after"].max()
    mean_after = (rate * table["wait_after"]).sum() / rate.sum()
    assert split.mean_wait_after == pytest.approx(mean_after, rel=1e-14)
    assert split.mean_wait_after < split.mean_wait_before
    assert split.objective == "min-max"
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.units = 3  # type: ignore[misc]


def test_inputs_are_not_mutated():
    rate = np.array([1.0, 2.0, 3.0])
    current = np.array([2, 3, 4])
    low = np.array([0, 1, 0])
    split_pool(5, arrival_rate=rate, mean_service_time=1.0, current=current, min_added=low)
    assert rate.tolist() == [1.0, 2.0, 3.0]
    assert current.tolist() == [2, 3, 4]
    assert low.tolist() == [0, 1, 0]


def test_zero_units_and_no_arrivals():
    split = split_pool(0, arrival_rate=[1.0, 0.0], mean_service_time=1.0, current=[3, 0])
    assert split.facilities["added"].tolist() == [0, 0]
    assert split.facilities["wait_before"].tolist()[1] == 0.0
    split = split_pool(2, arrival_rate=[0.0, 0.0], mean_service_time=1.0, current=[0, 0])
    assert split.units == 2 and split.mean_wait_after == 0.0


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"units": 5, "max_added": [1, 1]}, "more than the sum of max_added"),
        ({"units": 1, "min_added": [1, 1]}, "fewer than the sum of min_added"),
        ({"units": 3, "objective": "fair"}, "objective"),
        ({"units": 2.5}, "units"),
        ({"units": 3, "min_added": [2, 0], "max_added": [1, 5]}, "below min_added"),
        ({"units": 3, "current": [1, -1]}, "current"),
        ({"units": 3, "mean_service_time": 0.0}, "mean_service_time"),
        ({"units": 3, "ids": ["a"]}, "ids"),
    ],
)
def test_bad_inputs_raise(kwargs, word):
    base = {"arrival_rate": [1.0, 2.0], "mean_service_time": 1.0, "current": [2, 3]}
    base.update(kwargs)
    units = base.pop("units")
    with pytest.raises(QueueInputError, match=word):
        split_pool(units, **base)


def test_many_facilities_without_upper_bounds():
    rng = np.random.default_rng(5)
    rate = rng.uniform(1, 20, 500)
    service = rng.uniform(2, 10, 500)
    current = np.maximum(np.floor(rate * service).astype(int) - 3, 0)
    kwargs = dict(arrival_rate=rate, mean_service_time=service, current=current)
    by_sum = split_pool(3000, objective="min-sum", **kwargs)
    by_max = split_pool(3000, objective="min-max", **kwargs)
    assert by_sum.units == by_max.units == 3000
    assert by_sum.unstable_before > 0 and by_sum.unstable_after == by_max.unstable_after == 0
    # each greedy wins on its own objective
    assert by_sum.mean_wait_after <= by_max.mean_wait_after
    assert by_max.max_wait_after <= by_sum.max_wait_after


def test_waits_match_the_forward_functions_across_anchors_bit_for_bit():
    # stepping one unit at a time crosses multiples of 64 (where B is computed
    # directly): the reported waits are exactly mean_wait at the final counts
    rate = np.array([950.0, 2_990.0, 60.0])
    split = split_pool(300, arrival_rate=rate, mean_service_time=1.0, current=[940, 2_950, 50])
    table = split.facilities
    assert table["wait_after"].tolist() == [
        float(mean_wait(int(n), a, mean_service_time=1.0))
        for n, a in zip(table["final"], rate, strict=True)
    ]
    crossed = table["current"] // 64 != table["final"] // 64
    assert crossed.any()


def test_a_load_equal_to_the_units_is_unstable_and_absurd_loads_are_refused():
    # 13/24 patients an hour for 216 hours: 116.99999999999999 Erlangs on 117 units
    split = split_pool(0, arrival_rate=[13 / 24], mean_service_time=9 * 24, current=[117])
    assert split.unstable_before == 1 and math.isinf(split.max_wait_before)
    with pytest.raises(QueueInputError, match="1e\\+08"):
        split_pool(0, arrival_rate=[1e7], mean_service_time=100.0, current=[0])
