"""Ventilators per site: the issue's vector, N-1 misses / N meets, units, peers, pool splits."""

from __future__ import annotations

import doctest
import itertools
import math

import numpy as np
import pandas as pd
import pytest

import accessplan.capacity.sizing as sizing_module
from accessplan.capacity.erlang import mean_wait, servers_for_mean_wait
from accessplan.capacity.sizing import (
    HOURS_PER_DAY,
    SIZING_COLUMNS,
    SPLIT_COLUMNS,
    resolve_mean_stay,
    size_sites,
    split_given_pool,
)
from accessplan.data.errors import InputValidationError

# The issue: four facilities, arrivals per day and mean stays giving offered loads
# 64, 86, 154.5 and 20 Erlangs; a mean wait of at most 7 hours needs 72, 95, 165, 25.
IDS = ["north", "east", "south", "west"]
ARRIVALS = pd.Series([7.0, 9.0, 17.0, 3.0], index=IDS)
LOADS = np.array([64.0, 86.0, 154.5, 20.0])
STAYS = pd.Series(LOADS / ARRIVALS.to_numpy(), index=IDS)
NEEDED = [72, 95, 165, 25]


def test_issue_vector():
    sized = size_sites(ARRIVALS, STAYS, target_wait_hours=7)
    assert sized["ventilators_needed"].tolist() == NEEDED
    assert sized["offered_load"].to_numpy() == pytest.approx(LOADS, rel=1e-12)
    assert list(sized.columns) == list(SIZING_COLUMNS[:6])
    assert list(sized.index) == IDS
    assert sized.attrs["target_wait_hours"] == 7.0


def test_n_meets_the_target_and_n_minus_1_misses_it():
    sized = size_sites(ARRIVALS, STAYS, target_wait_hours=7)
    n = sized["ventilators_needed"].to_numpy()
    hours = STAYS.to_numpy() * 24
    assert (mean_wait(n, LOADS, mean_service_time=hours) <= 7).all()
    assert (mean_wait(n - 1, LOADS, mean_service_time=hours) > 7).all()
    assert sized["mean_wait_hours"].to_numpy() == pytest.approx(
        mean_wait(n, LOADS, mean_service_time=hours), rel=1e-12
    )


def _textbook_erlang_c(servers: int, load: float) -> float:
    """Erlang C from its defining sums, in log space (independent of the Erlang B recursion)."""
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(servers)]
    top = servers * math.log(load) - math.lgamma(servers + 1) + math.log(servers / (servers - load))
    peak = max([*logs, top])
    total = sum(math.exp(v - peak) for v in logs) + math.exp(top - peak)
    return math.exp(top - peak) / total


def test_waits_and_probabilities_agree_with_the_textbook_formula():
    sized = size_sites(ARRIVALS, STAYS, target_wait_hours=7)
    for site, row in sized.iterrows():
        stay_hours = STAYS[site] * 24
        load = ARRIVALS[site] * STAYS[site]
        assert row["offered_load"] == pytest.approx(load, rel=1e-12)
        n = int(row["ventilators_needed"])
        p_wait = _textbook_erlang_c(n, load)
        assert row["p_wait"] == pytest.approx(p_wait, rel=1e-9)
        assert row["mean_wait_hours"] == pytest.approx(p_wait * stay_hours / (n - load), rel=1e-9)


def test_units_hand_worked():
    # A = 0.1 / day * 10 days = 1 Erlang, mean stay 240 hours.
    # N = 2: C = 1/3, W = (1/3) * 240 / (2 - 1) = 80 hours.
    # N = 3: B = 1/16, C = 3 B / (3 - (1 - B)) = 1/11, W = (1/11) * 240 / 2 = 120/11 hours.
    arrivals = pd.Series({"h": 0.1})
    # (targets a hair either side of 80: the rounding of C = 1/3 decides exactly 80)
    at_80 = size_sites(arrivals, 10.0, target_wait_hours=80.0001)
    assert at_80["ventilators_needed"].item() == 2
    assert at_80["p_wait"].item() == pytest.approx(1 / 3, rel=1e-12)
    assert at_80["mean_wait_hours"].item() == pytest.approx(80, rel=1e-12)
    just_below = size_sites(arrivals, 10.0, target_wait_hours=79.9999)
    assert just_below["ventilators_needed"].item() == 3
    assert just_below["p_wait"].item() == pytest.approx(1 / 11, rel=1e-12)
    assert just_below["mean_wait_hours"].item() == pytest.approx(120 / 11, rel=1e-12)


def test_hours_and_days_give_the_same_answer():
    # the same targets expressed in days, straight to the Erlang inverse
    for target_hours in (0.5, 3.0, 7.0, 30.0):
        sized = size_sites(ARRIVALS, STAYS, target_wait_hours=target_hours)
        in_days = servers_for_mean_wait(
            LOADS, target_wait=target_hours / 24, mean_service_time=STAYS.to_numpy()
        )
        assert sized["ventilators_needed"].tolist() == in_days.tolist()
        days = mean_wait(in_days, LOADS, mean_service_time=STAYS.to_numpy())
        assert sized["mean_wait_hours"].to_numpy() == pytest.approx(days * 24, rel=1e-12)
    assert HOURS_PER_DAY == 24


def test_zero_arrivals_need_nothing():
    arrivals = pd.Series({"busy": 7.0, "empty": 0.0})
    sized = size_sites(
        arrivals, 9.0, target_wait_hours=7, current=pd.Series({"busy": 80, "empty": 0})
    )
    empty = sized.loc["empty"]
    assert empty["ventilators_needed"] == 0
    assert empty["p_wait"] == 0.0
    assert empty["mean_wait_hours"] == 0.0
    assert empty["shortfall"] == 0
    assert empty["current_mean_wait_hours"] == 0.0


def test_shortfall_and_current_waits():
    current = pd.Series({"north": 70, "east": 100, "south": 154})  # west is new: 0
    sized = size_sites(ARRIVALS, STAYS, target_wait_hours=7, current=current)
    assert list(sized.columns) == list(SIZING_COLUMNS)
    assert sized["current"].tolist() == [70, 100, 154, 0]
    # 72 - 70, none (100 > 95), 165 - 154, 25 - 0
    assert sized["shortfall"].tolist() == [2, 0, 11, 25]
    waits = sized["current_mean_wait_hours"]
    hours = STAYS * 24
    assert waits["north"] == pytest.approx(
        float(mean_wait(70, 64.0, mean_service_time=hours["north"])), rel=1e-12
    )
    assert waits["north"] > 7  # short of 72: misses the target
    assert waits["east"] < sized.loc["east", "mean_wait_hours"]  # more than needed
    assert math.isinf(waits["south"])  # 154 <= 154.5 Erlangs: unstable
    assert math.isinf(waits["west"])  # nothing there yet


def test_current_equal_to_the_load_is_unstable():
    sized = size_sites(
        pd.Series({"h": 8.0}), 8.0, target_wait_hours=7, current=pd.Series({"h": 64})
    )
    assert math.isinf(sized["current_mean_wait_hours"].item())
    assert sized["shortfall"].item() == sized["ventilators_needed"].item() - 64


def test_scalar_and_per_site_stays_agree():
    by_site = size_sites(ARRIVALS, pd.Series(9.0, index=IDS), target_wait_hours=7)
    scalar = size_sites(ARRIVALS, 9.0, target_wait_hours=7)
    pd.testing.assert_frame_equal(by_site, scalar)


def test_inputs_are_not_mutated():
    arrivals, stays = ARRIVALS.copy(), STAYS.copy()
    current = pd.Series({"north": 70})
    size_sites(arrivals, stays, target_wait_hours=7, current=current)
    pd.testing.assert_series_equal(arrivals, ARRIVALS)
    pd.testing.assert_series_equal(stays, STAYS)
    pd.testing.assert_series_equal(current, pd.Series({"north": 70}))


def test_module_examples():
    failures, attempted = doctest.testmod(sizing_module, raise_on_error=False)[:2]
    assert attempted > 0
    assert failures == 0


# ============================================================ resolve_mean_stay


def test_resolve_mean_stay_uses_own_values_then_the_default():
    own = pd.Series({"h1": 12.0, "h2": float("nan"), "h3": 6.5})
    stays = resolve_mean_stay(["h1", "h2", "h3", "new1"], own, 9.0)
    assert stays.to_dict() == {"h1": 12.0, "h2": 9.0, "h3": 6.5, "new1": 9.0}
    assert stays.name == "mean_stay_days"
    assert resolve_mean_stay(["a", "b"], None, 4.0).to_dict() == {"a": 4.0, "b": 4.0}
    # no default needed when every site has its own
    assert resolve_mean_stay(["a"], pd.Series({"a": 3.0})).to_dict() == {"a": 3.0}


def test_resolve_mean_stay_reports_every_problem():
    own = pd.Series({"h1": -1.0, "h2": 0.0, "ghost": 5.0}, name="mean_stay_days")
    with pytest.raises(InputValidationError) as info:
        resolve_mean_stay(["h1", "h2", "h2"], own, float("inf"))
    text = str(info.value)
    assert "default mean_stay_days" in text
    assert "site ids, rows h2, h2" in text
    assert "2 values must be > 0" in text
    assert "row ghost" in text
    with pytest.raises(InputValidationError, match="no default"):
        resolve_mean_stay(["h1", "h2"], pd.Series({"h1": 5.0}))


# ============================================================ bad inputs


def test_size_sites_reports_every_problem():
    arrivals = pd.Series({"a": -1.0, "b": float("nan"), "c": 2.0}, name="arrivals")
    stays = pd.Series({"a": 9.0, "b": 0.0})
    current = pd.Series({"a": 2.5, "zz": 3})
    with pytest.raises(InputValidationError) as info:
        size_sites(arrivals, stays, target_wait_hours=0, current=current)
    text = str(info.value)
    for fragment in (
        "target_wait_hours must be a finite number > 0",
        "column 'arrivals', row a: 1 value negative",
        "row b: 1 value missing (NaN)",
        "mean_stay_days, row b: 1 value must be > 0",
        "row c: 1 site without a mean stay (see resolve_mean_stay",
        "current, row a: 1 value not a whole number",
        "current, row zz",
    ):
        assert fragment in text
    assert len(info.value.problems) == 7


# ============================================================ split_given_pool


def brute_force_split(arrivals, stays, current, pool, maximum=None):
    """Every way to place ``pool`` units: the least max and least weighted-sum waits."""
    hours = stays * 24
    loads = arrivals * stays
    best_max, best_sum = math.inf, math.inf
    caps = maximum if maximum is not None else [pool] * len(arrivals)
    for added in itertools.product(*(range(c + 1) for c in caps)):
        if sum(added) != pool:
            continue
        waits = mean_wait(current + np.array(added), loads, mean_service_time=hours)
        best_max = min(best_max, float(waits.max()))
        best_sum = min(best_sum, float((arrivals * waits).sum()))
    return best_max, best_sum


SPLIT_ARRIVALS = pd.Series({"h1": 2.0, "h2": 3.5, "h3": 0.8})
SPLIT_STAYS = pd.Series({"h1": 6.0, "h2": 4.0, "h3": 10.0})  # loads 12, 14, 8 Erlangs
SPLIT_CURRENT = pd.Series({"h1": 13, "h2": 14, "h3": 9})  # h2 is unstable now


@pytest.mark.parametrize("objective", ["min-max", "min-sum"])
def test_split_matches_brute_force(objective):
    pool = 7
    split = split_given_pool(
        SPLIT_ARRIVALS, SPLIT_STAYS, SPLIT_CURRENT, pool=pool, objective=objective
    )
    assert list(split.columns) == list(SPLIT_COLUMNS)
    assert split["added"].sum() == pool
    assert (split["final"] == split["current"] + split["added"]).all()
    assert split.attrs["objective"] == objective
    best_max, best_sum = brute_force_split(
        SPLIT_ARRIVALS.to_numpy(), SPLIT_STAYS.to_numpy(), SPLIT_CURRENT.to_numpy(), pool
    )
    after = split["mean_wait_hours_after"]
    if objective == "min-max":
        assert after.max() == pytest.approx(best_max, rel=1e-12)
    else:
        assert (SPLIT_ARRIVALS * after).sum() == pytest.approx(best_sum, rel=1e-12)


def test_split_waits_are_in_hours():
    split = split_given_pool(SPLIT_ARRIVALS, SPLIT_STAYS, SPLIT_CURRENT, pool=5)
    hours = SPLIT_STAYS.to_numpy() * 24
    loads = (SPLIT_ARRIVALS * SPLIT_STAYS).to_numpy()
    assert split["offered_load"].to_numpy() == pytest.approx(loads, rel=1e-12)
    assert split["mean_wait_hours_before"].to_numpy() == pytest.approx(
        mean_wait(SPLIT_CURRENT.to_numpy(), loads, mean_service_time=hours), rel=1e-12
    )
    assert split["mean_wait_hours_after"].to_numpy() == pytest.approx(
        mean_wait(split["final"].to_numpy(), loads, mean_service_time=hours), rel=1e-12
    )
    assert math.isinf(split.loc["h2", "mean_wait_hours_before"])
    assert split.attrs["unstable_before"] == 1
    assert split.attrs["unstable_after"] == 0
    assert split.attrs["max_wait_hours_after"] == pytest.approx(
        split["mean_wait_hours_after"].max(), rel=1e-12
    )


def test_split_respects_bounds():
    maximum = pd.Series({"h1": 1, "h2": 6})  # h3 unbounded
    minimum = pd.Series({"h3": 2})
    split = split_given_pool(
        SPLIT_ARRIVALS,
        SPLIT_STAYS,
        SPLIT_CURRENT,
        pool=7,
        objective="min-max",
        minimum=minimum,
        maximum=maximum,
    )
    assert split.loc["h1", "added"] <= 1
    assert split.loc["h2", "added"] <= 6
    assert split.loc["h3", "added"] >= 2
    assert split["added"].sum() == 7
    best_max, _ = brute_force_split(
        SPLIT_ARRIVALS.to_numpy(),
        SPLIT_STAYS.to_numpy(),
        SPLIT_CURRENT.to_numpy() + np.array([0, 0, 2]),
        5,
        maximum=[1, 6, 5],
    )
    assert split["mean_wait_hours_after"].max() == pytest.approx(best_max, rel=1e-12)


def test_split_reports_every_problem():
    with pytest.raises(InputValidationError) as info:
        split_given_pool(
            SPLIT_ARRIVALS,
            SPLIT_STAYS,
            SPLIT_CURRENT,
            pool=20,
            objective="fairest",
            minimum=pd.Series({"h1": 3}),
            maximum=2,
        )
    text = str(info.value)
    assert "objective must be one of" in text
    assert "maximum below minimum" in text
    assert "more than the sum of maximum (6)" in text
    with pytest.raises(InputValidationError, match="pool must be a whole number"):
        split_given_pool(SPLIT_ARRIVALS, SPLIT_STAYS, SPLIT_CURRENT, pool=2.5)


# ------------------------------------------------------------------ numerical edges (issue 9, item 8)


def test_a_site_whose_load_equals_its_units_is_counted_unstable():
    # 13 patients a day staying 9 days load 117 ventilators: with 117 the queue is
    # unstable. Through hours and back the load used to be 116.99999999999999, the
    # wait 1.5e16 h and the site not counted as unstable.
    arrivals = pd.Series({"h1": 13.0, "h2": 2.0})
    current = pd.Series({"h1": 117, "h2": 30})
    split = split_given_pool(arrivals, 9.0, current, pool=0)
    assert split.loc["h1", "offered_load"] == 117.0
    assert math.isinf(split.loc["h1", "mean_wait_hours_before"])
    assert math.isinf(split.loc["h1", "mean_wait_hours_after"])
    assert split.attrs["unstable_before"] == 1 and split.attrs["unstable_after"] == 1
    assert math.isinf(split.attrs["max_wait_hours_after"])
    sized = size_sites(arrivals, 9.0, target_wait_hours=7.0, current=current)
    assert math.isinf(sized.loc["h1", "current_mean_wait_hours"])
    assert sized.loc["h1", "ventilators_needed"] > 117
    # one more unit makes it stable: the split gives it there first
    one = split_given_pool(arrivals, 9.0, current, pool=1)
    assert one.loc["h1", "final"] == 118 and one.attrs["unstable_after"] == 0
    assert one.loc["h1", "mean_wait_hours_after"] == pytest.approx(
        float(mean_wait(118, 117.0, mean_service_time=9.0)) * HOURS_PER_DAY, rel=1e-14
    )


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("current", pd.Series({"north": True, "east": 90, "south": 160, "west": 22})),
        ("current", pd.Series({"north": "70", "east": 90, "south": 160, "west": 22})),
        ("arrivals_per_day", pd.Series({"north": "7", "east": 9.0, "south": 17.0, "west": 3.0})),
        ("arrivals_per_day", pd.Series([True, True, False, True], index=IDS)),
    ],
)
def test_booleans_and_numeric_text_are_refused(column, values):
    kwargs = {"arrivals_per_day": ARRIVALS, "current": pd.Series([70, 90, 160, 22], index=IDS)}
    kwargs[column] = values
    with pytest.raises(InputValidationError) as info:
        size_sites(
            kwargs["arrivals_per_day"], STAYS, target_wait_hours=7.0, current=kwargs["current"]
        )
    message = str(info.value)
    assert f"source {column}" in message or column in message
    assert "not a number" in message and "north" in message
