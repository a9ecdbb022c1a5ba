"""Tests for accessplan.spatial.inequity.

What is proved here, and how:

- Gini: against the O(n^2) double sum of its definition (hypothesis), against the
  expanded sample for integer weights, against hand-computed values, and through the
  identity G = 1 - 2 * (trapezoid area under the Lorenz curve).
- Theil: against closed forms on hand examples (ln 2, ln n, ln(W/w)), weighted =
  expanded sample, and the decomposition identity total = between + within
  (hypothesis), with "between" also equal to the Theil index of the group means.
- Lorenz, shares, SPAR and the before/after table: endpoints, monotonicity, hand
  examples, weighted mean of SPAR = 1, change = after - before.
- Inputs: alignment of Series on their index, every problem collected in one error.
- Real data (pysal/access Chicago tracts, 2SFCA reference scores): the same
  identities and the brute-force Gini on 1930 population-weighted tracts.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.inequity import (
    TheilDecomposition,
    compare_inequity,
    inequity_summary,
    lorenz_points,
    share_below,
    share_below_name,
    share_zero,
    spatial_access_ratio,
    theil,
    theil_decomposition,
    weighted_gini,
)

# --------------------------------------------------------------------------
# brute-force references (straight from the definitions, O(n^2) / expanded)
# --------------------------------------------------------------------------


def brute_gini(x, w) -> float:
    """sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu), literally."""
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    total_weight = w.sum()
    mu = np.dot(w, x) / total_weight
    pair_sum = np.sum(np.outer(w, w) * np.abs(x[:, None] - x[None, :]))
    return pair_sum / (2.0 * total_weight**2 * mu)


def brute_theil(x, w) -> float:
    """(1/W) sum_i w_i (x_i/mu) ln(x_i/mu) with 0 ln 0 = 0, by a Python loop."""
    total_weight = float(sum(w))
    mu = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / total_weight
    total = 0.0
    for wi, xi in zip(w, x, strict=True):
        if xi > 0:
            total += wi * (xi / mu) * math.log(xi / mu)
    return total / total_weight


# --------------------------------------------------------------------------
# hypothesis strategies
# --------------------------------------------------------------------------

access_value = st.one_of(
    st.just(0.0),
    st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
population = st.one_of(
    st.just(0.0),
    st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)


@st.composite
def weighted_samples(draw, *, max_size=40, integer_weights=False):
    """(values, weights) with some access and some population."""
    n = draw(st.integers(1, max_size))
    x = np.array(draw(st.lists(access_value, min_size=n, max_size=n)))
    if integer_weights:
        w = np.array(draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)), dtype=float)
    else:
        w = np.array(draw(st.lists(population, min_size=n, max_size=n)))
    assume(w.sum() > 0)
    assume(np.dot(w, x) > 0)
    return x, w


@st.composite
def grouped_samples(draw):
    x, w = draw(weighted_samples())
    groups = np.array(draw(st.lists(st.sampled_from("abcd"), min_size=len(x), max_size=len(x))))
    return x, w, groups


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


# --------------------------------------------------------------------------
# Gini
# --------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(weighted_samples())
def test_gini_equals_brute_force_double_sum(sample):
    x, w = sample
    assert close(weighted_gini(x, w), brute_gini(x, w))


@settings(max_examples=150, deadline=None)
@given(weighted_samples(integer_weights=True))
def test_gini_with_integer_weights_equals_gini_of_expanded_sample(sample):
    x, w = sample
    expanded = np.repeat(x, w.astype(int))
    assert close(weighted_gini(x, w), weighted_gini(expanded))
    assert close(weighted_gini(expanded), brute_gini(expanded, np.ones(expanded.size)))


@settings(max_examples=100, deadline=None)
@given(weighted_samples(), st.floats(1e-3, 1e3), st.randoms(use_true_random=False))
def test_gini_is_scale_and_order_invariant_and_in_unit_interval(sample, scale, rnd):
    x, w = sample
    g = weighted_gini(x, w)
    assert 0.0 <= g < 1.0
    perm = np.array(rnd.sample(range(len(x)), len(x)))
    assert close(weighted_gini(x[perm] * scale, w[perm]), g)


def test_gini_known_values_by_hand():
    # [0,0,0,1]: 6 ordered pairs differ by 1; 6 / (2 * 4^2 * 0.25) = 0.75
    assert weighted_gini([0, 0, 0, 1]) == pytest.approx(0.75, abs=1e-15)
    # [0,1]: 2 / (2 * 4 * 0.5) = 0.5
    assert weighted_gini(np.array([0.0, 1.0])) == pytest.approx(0.5, abs=1e-15)
    # one of n holds everything: (n-1)/n
    assert weighted_gini(np.r_[np.zeros(9), 5.0]) == pytest.approx(0.9, abs=1e-15)
    # [1,2] with weights [1,3]: W=4, mu=7/4, double sum 2*1*3*1=6 -> 6/(2*16*7/4) = 3/28
    assert weighted_gini([1, 2], [1, 3]) == pytest.approx(3 / 28, abs=1e-15)
    # [1,2,3] unweighted: |diffs| over ordered pairs = 2*(1+2+1) = 8; 8/(2*9*2) = 2/9
    assert weighted_gini([3, 1, 2]) == pytest.approx(2 / 9, abs=1e-15)


def test_gini_of_equal_vector_is_exactly_zero():
    assert weighted_gini(np.full(7, 0.1234)) == 0.0
    assert weighted_gini([2.5, 2.5, 2.5], [1, 0, 7]) == 0.0
    assert weighted_gini([42.0]) == 0.0


def test_gini_ignores_rows_with_zero_weight():
    assert weighted_gini([1, 5, 100], [2, 3, 0]) == pytest.approx(weighted_gini([1, 5], [2, 3]))


# --------------------------------------------------------------------------
# Theil
# --------------------------------------------------------------------------


def test_theil_closed_forms_by_hand():
    # two people, one with all access: (1/2) * 2 ln 2 = ln 2
    assert theil([0, 1]) == pytest.approx(math.log(2), abs=1e-15)
    # one of n with all access: ln n
    assert theil(np.r_[np.zeros(9), 3.0]) == pytest.approx(math.log(10), abs=1e-14)
    # one area of weight 1 out of W=4 holds all: ln(W / w) = ln 4
    assert theil([0, 7], [3, 1]) == pytest.approx(math.log(4), abs=1e-14)
    # [1,3]: mu = 2, T = (1/2)(0.5 ln 0.5 + 1.5 ln 1.5)
    assert theil([1, 3]) == pytest.approx(0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5)))
    # equal access: 0
    assert theil(np.full(5, 0.3)) == pytest.approx(0.0, abs=1e-15)
    assert theil(np.full(5, 0.3)) >= 0.0


@settings(max_examples=150, deadline=None)
@given(weighted_samples())
def test_theil_equals_definition_loop(sample):
    x, w = sample
    assert close(theil(x, w), brute_theil(x.tolist(), w.tolist()))


@settings(max_examples=150, deadline=None)
@given(weighted_samples(integer_weights=True))
def test_theil_with_integer_weights_equals_theil_of_expanded_sample(sample):
    x, w = sample
    expanded = np.repeat(x, w.astype(int))
    assert close(theil(x, w), theil(expanded))


@settings(max_examples=200, deadline=None)
@given(grouped_samples())
def test_theil_decomposition_identity(sample):
    x, w, groups = sample
    dec = theil_decomposition(x, w, groups)
    assert isinstance(dec, TheilDecomposition)
    assert close(dec.total, dec.between + dec.within)
    assert close(dec.total, theil(x, w))
    assert dec.between >= 0.0
    assert dec.within >= 0.0
    table = dec.by_group
    assert close(table["contribution"].sum(), dec.within)
    assert close(table["population_share"].sum(), 1.0)
    assert close(table["access_share"].sum(), 1.0)
    # between-group Theil is the Theil index of the group means, weighted by group population
    populated = table[table["population"] > 0]
    assert close(dec.between, theil(populated["mean"].to_numpy(), populated["population"]))


def test_theil_decomposition_hand_examples():
    # groups equal inside: within = 0, between = total = T([1,1,3,3])
    dec = theil_decomposition([1, 1, 3, 3], None, ["a", "a", "b", "b"])
    expected = 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))
    assert dec.within == pytest.approx(0.0, abs=1e-15)
    assert dec.between == pytest.approx(expected)
    assert dec.total == pytest.approx(expected)
    assert dec.between_share == pytest.approx(1.0)

    # same group means: between = 0, within = total
    dec = theil_decomposition([1, 3, 3, 1], [1, 1, 1, 1], ["u", "u", "r", "r"])
    assert dec.between == pytest.approx(0.0, abs=1e-15)
    assert dec.within == pytest.approx(dec.total)
    assert dec.total == pytest.approx(expected)

    # by-group table: group b = [0, 2] -> mean 1, T_b = ln 2, access share 2/3
    dec = theil_decomposition([1, 0, 2], None, ["a", "b", "b"])
    row = dec.by_group.set_index("group").loc["b"]
    assert row["population"] == 2.0
    assert row["population_share"] == pytest.approx(2 / 3)
    assert row["access_share"] == pytest.approx(2 / 3)
    assert row["mean"] == pytest.approx(1.0)
    assert row["theil"] == pytest.approx(math.log(2))
    assert row["contribution"] == pytest.approx(2 / 3 * math.log(2))
    assert list(dec.by_group.columns[:1]) == ["group"]
    for col in ("population_share", "mean", "theil", "contribution"):
        assert col in dec.by_group.columns


def test_theil_decomposition_group_without_access():
    # group "r" has no access: T_r undefined (NaN) but contributes 0; identity holds
    x = [0.0, 0.0, 1.0, 3.0]
    w = [5, 1, 2, 2]
    dec = theil_decomposition(x, w, ["r", "r", "u", "u"])
    by = dec.by_group.set_index("group")
    assert math.isnan(by.loc["r", "theil"])
    assert by.loc["r", "contribution"] == 0.0
    assert by.loc["r", "mean"] == 0.0
    assert dec.total == pytest.approx(dec.between + dec.within)
    assert dec.total == pytest.approx(brute_theil(x, w))


def test_theil_decomposition_accepts_aligned_series():
    idx = ["t1", "t2", "t3", "t4"]
    x = pd.Series([1.0, 4.0, 2.0, 0.0], index=idx)
    w = pd.Series([10, 20, 30, 40], index=idx)
    g = pd.Series(["n", "s", "n", "s"], index=idx)
    shuffled = theil_decomposition(x, w.iloc[[3, 1, 0, 2]], g.iloc[[2, 0, 3, 1]])
    plain = theil_decomposition(x.to_numpy(), w.to_numpy(), g.to_numpy())
    assert shuffled.total == pytest.approx(plain.total)
    assert shuffled.between == pytest.approx(plain.between)
    pd.testing.assert_frame_equal(shuffled.by_group, plain.by_group)


# --------------------------------------------------------------------------
# Lorenz
# --------------------------------------------------------------------------


def test_lorenz_points_by_hand():
    pts = lorenz_points([1, 0, 0, 0])
    assert list(pts.columns) == ["population_share", "access_share"]
    np.testing.assert_allclose(pts["population_share"], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(pts["access_share"], [0, 0, 0, 0, 1])

    pts = lorenz_points([3, 1], [1, 3])  # sorted: x=1 (w 3), x=3 (w 1); S = 6
    np.testing.assert_allclose(pts["population_share"], [0, 0.75, 1])
    np.testing.assert_allclose(pts["access_share"], [0, 0.5, 1])


@settings(max_examples=150, deadline=None)
@given(weighted_samples())
def test_lorenz_endpoints_monotone_and_area_identity(sample):
    x, w = sample
    pts = lorenz_points(x, w)
    p = pts["population_share"].to_numpy()
    a = pts["access_share"].to_numpy()
    assert len(pts) == len(x) + 1
    assert (p[0], a[0]) == (0.0, 0.0)
    assert (p[-1], a[-1]) == (1.0, 1.0)
    assert np.all(np.diff(p) >= 0)
    assert np.all(np.diff(a) >= 0)
    assert np.all(a <= p + 1e-12)  # below the line of equality
    area = np.sum(np.diff(p) * (a[1:] + a[:-1]) / 2.0)
    assert close(weighted_gini(x, w), 1.0 - 2.0 * area)


# --------------------------------------------------------------------------
# shares and SPAR
# --------------------------------------------------------------------------


def test_share_below_and_share_zero_by_hand():
    x = [0, 1, 2, 5]  # mean 2, half mean 1; only x=0 is strictly below 1
    assert share_below(x) == 0.25
    assert share_below(x, fraction_of_mean=1.0) == 0.5  # 0 and 1 are below 2
    assert share_below(x, fraction_of_mean=0.0) == 0.0
    assert share_zero(x) == 0.25
    # weights [2,1,1,0]: W = 4, mean = 3/4, half = 3/8: x=0 (w 2) is below
    assert share_below(x, [2, 1, 1, 0]) == 0.5
    assert share_below(x, [2, 1, 1, 0], fraction_of_mean=2.0) == 0.75  # below 1.5: 0 and 1
    assert share_zero(x, [2, 1, 1, 0]) == 0.5
    assert share_zero([1, 2], [5, 5]) == 0.0


def test_share_below_threshold_is_strict():
    # mean 2, half = 1 exactly; x = 1 is not below
    assert share_below([1, 3]) == 0.0


def test_spar_by_hand_and_index_kept():
    s = pd.Series([0.0, 2.0, 4.0], index=["a", "b", "c"], name="access")
    w = pd.Series([2.0, 1.0, 1.0], index=["c", "b", "a"])  # aligned on labels: a=1, b=1, c=2
    spar = spatial_access_ratio(s, w)
    assert isinstance(spar, pd.Series)
    assert list(spar.index) == ["a", "b", "c"]
    # mu = (1*0 + 1*2 + 2*4) / 4 = 2.5
    np.testing.assert_allclose(spar.to_numpy(), [0.0, 0.8, 1.6])
    arr = spatial_access_ratio(np.array([1.0, 3.0]))
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [0.5, 1.5])


@settings(max_examples=100, deadline=None)
@given(weighted_samples())
def test_spar_weighted_mean_is_one(sample):
    x, w = sample
    spar = spatial_access_ratio(x, w)
    assert close(np.dot(w, spar) / w.sum(), 1.0)


# --------------------------------------------------------------------------
# no access anywhere
# --------------------------------------------------------------------------


def test_zero_mean_gives_nan_for_ratio_measures():
    x = np.zeros(4)
    w = [1, 2, 3, 4]
    assert math.isnan(weighted_gini(x, w))
    assert math.isnan(theil(x, w))
    assert np.isnan(spatial_access_ratio(x, w)).all()
    dec = theil_decomposition(x, w, [1, 1, 2, 2])
    assert math.isnan(dec.total) and math.isnan(dec.between) and math.isnan(dec.within)
    pts = lorenz_points(x, w)
    assert pts["population_share"].iloc[-1] == 1.0
    assert pts["access_share"].iloc[0] == 0.0
    assert pts["access_share"].iloc[1:].isna().all()
    assert share_zero(x, w) == 1.0
    assert share_below(x, w) == 0.0


# --------------------------------------------------------------------------
# summary and before/after table
# --------------------------------------------------------------------------


def test_inequity_summary_matches_single_measures():
    rng = np.random.default_rng(7)
    x = rng.gamma(2.0, 1.0, 50)
    x[:5] = 0.0
    w = rng.integers(1, 1000, 50).astype(float)
    groups = rng.choice(["urban", "rural"], 50)

    out = inequity_summary(x, w)
    assert list(out) == [
        "mean",
        "gini",
        "theil",
        "share_below_half_mean",
        "share_zero",
        "population",
    ]
    assert out["mean"] == pytest.approx(np.dot(w, x) / w.sum())
    assert out["gini"] == weighted_gini(x, w)
    assert out["theil"] == theil(x, w)
    assert out["share_below_half_mean"] == share_below(x, w)
    assert out["share_zero"] == share_zero(x, w)
    assert out["population"] == w.sum()
    assert all(isinstance(v, float) for v in out.values())

    out = inequity_summary(x, w, groups=groups, fraction_of_mean=0.25)
    dec = theil_decomposition(x, w, groups)
    assert list(out) == [
        "mean",
        "gini",
        "theil",
        "theil_between",
        "theil_within",
        "share_below_25pct_of_mean",
        "share_zero",
        "population",
    ]
    assert out["theil_between"] == dec.between
    assert out["theil_within"] == dec.within
    assert out["share_below_25pct_of_mean"] == share_below(x, w, fraction_of_mean=0.25)


def test_share_below_name():
    assert share_below_name(0.5) == "share_below_half_mean"
    assert share_below_name(1) == "share_below_mean"
    assert share_below_name(0.8) == "share_below_80pct_of_mean"


def test_compare_inequity_change_is_after_minus_before():
    rng = np.random.default_rng(3)
    idx = [f"tract{i}" for i in range(30)]
    before = pd.Series(rng.gamma(1.0, 1.0, 30), index=idx)
    before.iloc[:6] = 0.0
    after = before + 0.5  # new sites lift everyone: less unequal
    w = pd.Series(rng.integers(100, 5000, 30), index=idx)
    groups = pd.Series(np.where(np.arange(30) < 15, "north", "south"), index=idx)

    # after given in another row order: aligned on the labels of before
    table = compare_inequity(before, after.iloc[::-1], w, groups=groups)
    assert list(table.columns) == ["before", "after", "change"]
    assert table.index.name == "measure"
    expected_before = inequity_summary(before, w, groups=groups)
    expected_after = inequity_summary(after, w, groups=groups)
    assert list(table.index) == list(expected_before)
    np.testing.assert_allclose(table["before"], list(expected_before.values()))
    np.testing.assert_allclose(table["after"], list(expected_after.values()))
    np.testing.assert_array_equal(table["change"], table["after"] - table["before"])
    assert table.loc["gini", "change"] < 0
    assert table.loc["share_zero", "after"] == 0.0
    assert table.loc["population", "change"] == 0.0


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


def test_all_problems_are_collected_and_named():
    values = pd.Series([1.0, -2.0, np.nan, 4.0], index=["a", "b", "c", "d"])
    weights = pd.Series([1.0, np.nan, -3.0, 1.0], index=["a", "b", "c", "d"])
    with pytest.raises(InputValidationError) as info:
        inequity_summary(values, weights, fraction_of_mean=-0.5)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, AccessplanError)
    found = {(p.column, p.rows) for p in err.problems}
    assert ("values", ("b",)) in found  # negative
    assert ("values", ("c",)) in found  # NaN
    assert ("weights", ("b",)) in found  # NaN
    assert ("weights", ("c",)) in found  # negative
    assert any("fraction_of_mean" in p.message for p in err.problems)
    assert len(err.problems) == 5


@pytest.mark.parametrize(
    ("call", "column"),
    [
        (lambda: weighted_gini([1, 2, 3], [1, 2]), "weights"),
        (lambda: theil([1, 2], [0, 0]), "weights"),
        (lambda: theil([]), "values"),
        (lambda: share_zero([1, np.inf]), "values"),
        (lambda: share_zero(["a", "b"]), "values"),
        (lambda: weighted_gini(np.ones((2, 2))), "values"),
        (lambda: theil_decomposition([1, 2], None, ["a", None]), "groups"),
        (lambda: theil_decomposition([1, 2], None, ["a"]), "groups"),
        (lambda: compare_inequity([1, 2], [1, 2, 3]), "after"),
        (lambda: compare_inequity([1, 2], [1, -2]), "after"),
    ],
)
def test_bad_inputs_raise_with_column(call, column):
    with pytest.raises(InputValidationError) as info:
        call()
    assert column in {p.column for p in info.value.problems}


def test_series_with_other_labels_are_rejected():
    x = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(InputValidationError) as info:
        weighted_gini(x, pd.Series([1.0, 1.0], index=["a", "z"]))
    rows = {p.rows for p in info.value.problems if p.column == "weights"}
    assert ("b",) in rows and ("z",) in rows


def test_series_align_on_index_but_arrays_by_position():
    x = pd.Series([1.0, 2.0, 10.0], index=[10, 20, 30])
    w = pd.Series([5.0, 1.0, 1.0], index=[30, 20, 10])  # 10 -> 1, 20 -> 1, 30 -> 5
    assert weighted_gini(x, w) == pytest.approx(weighted_gini([1, 2, 10], [1, 1, 5]))
    # a plain array is matched by position
    assert weighted_gini(x, w.to_numpy()) == pytest.approx(weighted_gini([1, 2, 10], [5, 1, 1]))


def test_inputs_are_not_mutated():
    x = pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"])
    w = np.array([1.0, 2.0, 3.0])
    x_copy, w_copy = x.copy(), w.copy()
    compare_inequity(x, x * 2, w, groups=["p", "q", "p"])
    lorenz_points(x, w)
    spatial_access_ratio(x, w)
    pd.testing.assert_series_equal(x, x_copy)
    np.testing.assert_array_equal(w, w_copy)


# --------------------------------------------------------------------------
# real data: Chicago tracts, 2SFCA scores from the access package
# --------------------------------------------------------------------------


def test_identities_on_chicago_tracts(shared_data):
    folder = shared_data / "pysal_access_chi_med"
    pop = pd.read_csv(folder / "chicago_metro_pop.csv", dtype={"geoid": str}).set_index("geoid")
    ref = pd.read_csv(folder / "reference_2sfca_euclid16km.csv", dtype={"geoid": str})
    access = ref.set_index("geoid")["2sfca_doc"]
    weights = pop["pop"]
    assert len(access) == 1930
    county = pd.Series(access.index.str[:5], index=access.index)

    # aligned on geoid: brute-force double sum over all 1930 x 1930 pairs
    w_aligned = weights.reindex(access.index).to_numpy(dtype=float)
    x = access.to_numpy()
    gini = weighted_gini(access, weights)
    assert close(gini, brute_gini(x, w_aligned))
    assert 0.0 < gini < 1.0

    pts = lorenz_points(access, weights)
    p, a = pts["population_share"].to_numpy(), pts["access_share"].to_numpy()
    assert close(gini, 1.0 - np.sum(np.diff(p) * (a[1:] + a[:-1])))

    dec = theil_decomposition(access, weights, county)
    assert close(dec.total, dec.between + dec.within)
    assert close(dec.total, brute_theil(x.tolist(), w_aligned.tolist()))
    assert dec.by_group["group"].nunique() == county.nunique()

    spar = spatial_access_ratio(access, weights)
    assert close(float(np.dot(w_aligned, spar.to_numpy()) / w_aligned.sum()), 1.0)
    assert close(share_zero(access, weights), w_aligned[x == 0].sum() / w_aligned.sum())
