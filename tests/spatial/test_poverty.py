"""Tests for accessplan.spatial.poverty.

What is proved here, and how:

- Palma ratio: hand-worked values (with and without a split area at a cut point),
  equal access = 0.25, the expanded-sample brute force (integer populations whose
  total is a multiple of 10, so the cuts fall between people), ipea's mean-ratio
  definition (whole cells assigned by income) = 4 x ours when the cuts fall between
  cells, ordering by income vs by access, row-order invariance with tied ordering.
- Concentration index: hand-worked values, equals the weighted Gini when the ordering is
  access, sign flip when the ordering is reversed (or flagged as deprivation), a literal
  person-by-person brute force on the expanded sample, the delta-method standard error
  against the KWvD (1997) formula evaluated literally and against a bootstrap.
- FGT: hand-worked values, FGT0 >= FGT1 >= FGT2, the expanded-sample brute force.
- Errors: a poverty line outside the range of access, an ordering column with missing
  values, and every problem collected in one InputValidationError.
- Real data: Chicago tracts (pysal access 2SFCA scores): C(access, access) = Gini.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.inequity import compare_inequity, weighted_gini
from accessplan.spatial.poverty import (
    ConcentrationIndex,
    compare_poverty,
    concentration_index,
    fgt,
    fgt_name,
    palma_ratio,
    poverty_summary,
)


def close(a, b, tol=1e-12):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


# --------------------------------------------------------------------------
# brute-force references, person by person on the expanded sample
# --------------------------------------------------------------------------


def expand(x, w, o=None):
    """Repeat row i w_i times (integer populations)."""
    reps = np.asarray(w, dtype=int)
    xs = np.repeat(np.asarray(x, dtype=float), reps)
    if o is None:
        return xs
    return xs, np.repeat(np.asarray(o, dtype=float), reps)


def brute_palma(people_access, people_key):
    """Sort people by key; sum access of the top tenth and bottom four tenths (N % 10 == 0)."""
    n = len(people_access)
    assert n % 10 == 0
    order = np.argsort(people_key, kind="stable")
    a = people_access[order]
    return a[n - n // 10 :].sum() / a[: 4 * n // 10].sum()


def brute_ci(people_access, people_key):
    """C = (2 / (N mu)) sum_k x_k (R_k - 1/2), R_k = (#below + #tied / 2) / N, by a loop."""
    n = len(people_access)
    mu = sum(people_access) / n
    total = 0.0
    for k in range(n):
        below = sum(1 for j in range(n) if people_key[j] < people_key[k])
        tied = sum(1 for j in range(n) if people_key[j] == people_key[k])
        rank = (below + tied / 2.0) / n
        total += people_access[k] * (rank - 0.5)
    return 2.0 * total / (n * mu)


def kwvd_se_literal(x_sorted):
    """KWvD (1997) individual-data variance, literally: (1/n)[(1/n) sum a_i^2 - (1+C)^2]."""
    n = len(x_sorted)
    mu = sum(x_sorted) / n
    ranks = [(i + 0.5) / n for i in range(n)]
    c = sum(2.0 * x * (r - 0.5) for x, r in zip(x_sorted, ranks, strict=True)) / (n * mu)
    q = [0.0]
    for x in x_sorted:
        q.append(q[-1] + x / (n * mu))
    a = [(x_sorted[i] / mu) * (2 * ranks[i] - 1 - c) + 2 - q[i] - q[i + 1] for i in range(n)]
    var = (sum(ai * ai for ai in a) / n - (1 + c) ** 2) / n
    return c, math.sqrt(var)


# --------------------------------------------------------------------------
# Palma ratio
# --------------------------------------------------------------------------


def test_palma_equal_access_is_a_quarter():
    assert palma_ratio([3.0] * 7, [1, 2, 3, 4, 5, 6, 7]) == pytest.approx(0.25, abs=1e-15)


def test_palma_hand_worked_with_split_areas():
    # sorted by access: populations 1,2,3,4 (W = 10), access 0,1,2,3: S = 20.
    # cumulative (people, access): (0,0) (1,0) (3,2) (6,8) (10,20).
    # L at 4 people: area 3 is split, 2 + (1/3)*6 = 4  -> bottom share 0.2
    # L at 9 people: area 4 is split, 8 + (3/4)*12 = 17 -> top share 3/20 = 0.15
    summary = poverty_summary([0, 1, 2, 3], [1, 2, 3, 4])
    assert close(summary["bottom_40_access_share"], 0.2)
    assert close(summary["top_10_access_share"], 0.15)
    assert close(summary["palma_ratio"], 0.75)
    assert close(palma_ratio([3, 1, 0, 2], [4, 2, 1, 3]), 0.75)  # row order is irrelevant


def test_palma_one_split_area_by_hand():
    # 5 people with access 1, 5 with access 3: bottom 4 people hold 4 of 20, top 1 holds 3
    assert close(palma_ratio([1, 3], [5, 5]), (3 / 20) / (4 / 20))


def test_palma_ten_people_one_each():
    # access 1..10: bottom four hold 1+2+3+4 = 10, the top one holds 10
    assert close(palma_ratio(np.arange(1, 11), np.ones(10)), 1.0)


@pytest.mark.parametrize("seed", range(6))
def test_palma_equals_expanded_sample(seed):
    rng = np.random.default_rng(seed)
    n = 12
    x = rng.integers(0, 6, n).astype(float) + 0.5  # ties in access on purpose
    w = rng.integers(0, 9, n)
    w[0] += (-w.sum()) % 10  # total a multiple of 10
    income = rng.normal(size=n)
    xs, inc = expand(x, w, income)
    assert close(palma_ratio(x, w), brute_palma(xs, xs), 1e-10)
    assert close(palma_ratio(x, w, ordering=income), brute_palma(xs, inc), 1e-10)


def test_palma_means_is_ipea_definition_when_cuts_fall_between_cells():
    # ipea: mean access of the richest 10 % / mean access of the poorest 40 %, whole cells.
    # 10 cells of 10 people, incomes 1..10: poorest 40 % = cells 1-4, richest 10 % = cell 10.
    income = np.arange(1, 11, dtype=float)
    access = np.array([5, 1, 4, 2, 9, 3, 7, 6, 8, 10], dtype=float)
    pop = np.full(10, 10.0)
    ipea = access[income > 9].mean() / access[income <= 4].mean()  # 10 / 3
    ours = palma_ratio(access, pop, ordering=income, of="means")
    assert close(ours, ipea)
    assert close(palma_ratio(access, pop, ordering=income), ipea / 4.0)


def test_palma_ordering_equal_to_access_and_deprivation():
    x = np.array([0.5, 2.0, 1.0, 4.0, 3.0])
    w = np.array([3, 1, 2, 2, 2])
    assert close(palma_ratio(x, w, ordering=x), palma_ratio(x, w))
    # ranked by -x as deprivation == ranked by x
    assert close(palma_ratio(x, w, ordering=-x, ordering_is_deprivation=True), palma_ratio(x, w))
    # ranked the other way round: the "top" are the lowest access, the ratio collapses
    assert palma_ratio(x, w, ordering=x, ordering_is_deprivation=True) < 0.25


def test_palma_ties_in_ordering_do_not_depend_on_row_order():
    x = np.array([1.0, 5.0, 2.0, 7.0])
    w = np.array([2.0, 3.0, 4.0, 1.0])
    income = np.array([1.0, 1.0, 2.0, 2.0])
    perm = [1, 0, 3, 2]
    assert close(
        palma_ratio(x, w, ordering=income), palma_ratio(x[perm], w[perm], ordering=income[perm])
    )


def test_palma_no_access_is_nan_and_poor_without_access_is_inf():
    assert math.isnan(palma_ratio([0, 0, 0], [1, 2, 3]))
    assert palma_ratio([0, 0, 0, 0, 1], [1, 1, 1, 1, 1]) == math.inf


# --------------------------------------------------------------------------
# concentration index
# --------------------------------------------------------------------------


def test_concentration_index_hand_worked():
    # x = 1, 2, 3 ranked by income: R = 1/6, 1/2, 5/6; mu = 2
    # C = (2/mu) * (1/3) * [(-1)(-1/3) + 0 + (1)(1/3)] = 2/9; Erreygers 4 * 2 * (2/9) / 2 = 8/9
    ci = concentration_index([1, 2, 3], [1, 1, 1], [10, 20, 30])
    assert isinstance(ci, ConcentrationIndex)
    assert close(ci.value, 2 / 9)
    assert close(ci.erreygers, 8 / 9)
    assert ci.sample_size == 3
    # the poorest have the most access: pro-poor, negative
    assert close(concentration_index([3, 2, 1], [1, 1, 1], [10, 20, 30]).value, -2 / 9)


def test_concentration_index_weighted_hand_worked():
    # populations 1 and 3, access 4 and 0, ordered by income: R = 1/8, 5/8; mu = 1
    # C = 2 * [0.25 * (4 - 1) * (1/8 - 1/2) + 0.75 * (0 - 1) * (5/8 - 1/2)] = -0.75
    ci = concentration_index([4, 0], [1, 3], [1.0, 2.0])
    assert close(ci.value, -0.75)
    assert close(weighted_gini([4, 0], [1, 3]), 0.75)  # |C| = G: the ordering is -access


@pytest.mark.parametrize("seed", range(5))
def test_concentration_index_is_gini_when_ordered_by_access(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, size=30) * (rng.random(30) > 0.2)
    w = rng.integers(0, 50, 30).astype(float) + rng.random(30)
    assert close(concentration_index(x, w, x).value, weighted_gini(x, w), 1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_concentration_index_sign_flips_with_reversed_ordering(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, size=20)
    w = rng.integers(1, 30, 20)
    income = rng.integers(0, 6, 20).astype(float)  # ties pooled: still exact
    c = concentration_index(x, w, income).value
    assert close(concentration_index(x, w, -income).value, -c, 1e-12)
    flagged = concentration_index(x, w, income, ordering_is_deprivation=True).value
    assert close(flagged, -c, 1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_concentration_index_equals_person_level_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 9
    x = rng.integers(0, 5, n).astype(float)
    x[0] += 1.0  # some access
    w = rng.integers(0, 6, n)
    w[0] += 1
    income = rng.integers(0, 4, n).astype(float)  # ties between areas
    xs, inc = expand(x, w, income)
    assert close(concentration_index(x, w, income).value, brute_ci(xs, inc), 1e-10)


def test_standard_error_matches_kwvd_formula_literally():
    x = [0.0, 1.0, 0.5, 3.0, 2.0, 2.5, 4.0]
    income = [1, 2, 3, 4, 5, 6, 7]
    c_lit, se_lit = kwvd_se_literal(x)
    ci = concentration_index(x, np.ones(7), income)
    assert close(ci.value, c_lit)
    assert close(ci.standard_error, se_lit)
    # weights: equal populations of any size give the same index and SE
    ci2 = concentration_index(x, np.full(7, 250.0), income)
    assert close(ci2.value, c_lit) and close(ci2.standard_error, se_lit)
    # sample_size rescales the SE by sqrt(n / n')
    ci3 = concentration_index(x, np.ones(7), income, sample_size=28)
    assert close(ci3.standard_error, se_lit * math.sqrt(7 / 28))


def test_standard_error_agrees_with_bootstrap():
    rng = np.random.default_rng(12)
    n = 400
    income = rng.lognormal(size=n)
    access = rng.gamma(2.0, size=n) * (1 + 0.5 * np.log1p(income))
    pop = np.ones(n)
    delta_se = concentration_index(access, pop, income).standard_error
    boots = []
    for _ in range(300):
        pick = rng.integers(0, n, n)
        boots.append(concentration_index(access[pick], pop, income[pick]).value)
    boot_se = float(np.std(boots, ddof=1))
    assert delta_se == pytest.approx(boot_se, rel=0.15)


def test_concentration_index_degenerate_cases():
    ci = concentration_index([0, 0], [1, 1], [1, 2])
    assert math.isnan(ci.value) and math.isnan(ci.erreygers) and math.isnan(ci.standard_error)
    eq = concentration_index([2, 2, 2], [1, 2, 3], [3, 1, 2])
    assert eq.value == pytest.approx(0.0, abs=1e-15)
    assert eq.erreygers == 0.0
    assert math.isnan(concentration_index([1.0], [5], [1]).standard_error)  # n = 1


def test_zero_population_areas_count_for_nothing():
    base = concentration_index([1, 2, 3], [1, 1, 1], [1, 2, 3])
    more = concentration_index([1, 99, 2, 3], [1, 0, 1, 1], [1, 1.5, 2, 3])
    assert close(base.value, more.value) and close(base.standard_error, more.standard_error)


# --------------------------------------------------------------------------
# FGT
# --------------------------------------------------------------------------


def test_fgt_hand_worked():
    # line 4: shortfalls (4-0)/4 = 1, (4-2)/4 = 0.5; 4 is not below the line
    got = fgt([0, 2, 4, 8], [1, 1, 1, 1], poverty_line=4)
    assert got == {"fgt0": 0.5, "fgt1": 0.375, "fgt2": 0.3125}
    # ipea fgt_poverty definition: weighted means of the normalised shortfall powers
    got_w = fgt([1, 3, 6], [2, 1, 1], poverty_line=4, alpha=[0, 1, 2, 0.5])
    assert close(got_w["fgt0"], 0.75)
    assert close(got_w["fgt1"], (2 * 0.75 + 0.25) / 4)
    assert close(got_w["fgt2"], (2 * 0.5625 + 0.0625) / 4)
    assert close(got_w["fgt0.5"], (2 * math.sqrt(0.75) + 0.5) / 4)
    assert fgt([1, 3], [1, 1], poverty_line=2, alpha=1) == {"fgt1": 0.25}
    assert fgt_name(2) == "fgt2" and fgt_name(0.5) == "fgt0.5"


@pytest.mark.parametrize("seed", range(4))
def test_fgt_ordering_and_expanded_sample(seed):
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, size=15)
    w = rng.integers(0, 7, 15)
    w[0] += 1
    line = float(np.median(x))
    got = fgt(x, w, poverty_line=line)
    assert 1.0 >= got["fgt0"] >= got["fgt1"] >= got["fgt2"] >= 0.0
    people = expand(x, w)
    for a in (0, 1, 2):
        brute = np.mean([((line - v) / line) ** a if v < line else 0.0 for v in people])
        assert close(got[fgt_name(a)], brute, 1e-12)


def test_fgt_line_at_the_ends_of_the_range():
    assert fgt([1, 2, 3], [1, 1, 1], poverty_line=1)["fgt0"] == 0.0
    assert close(fgt([1, 2, 3], [1, 1, 1], poverty_line=3)["fgt0"], 2 / 3)


# --------------------------------------------------------------------------
# summaries and the before/after table
# --------------------------------------------------------------------------


def test_compare_poverty_table():
    before = pd.Series([0.0, 1.0, 2.0, 3.0], index=list("abcd"), name="access_before")
    after = pd.Series([3.0, 2.0, 2.0, 1.0], index=list("dcba"), name="access_after")
    pop = pd.Series([4, 3, 2, 1], index=list("dcba"), name="population")
    income = pd.Series([10.0, 20.0, 30.0, 40.0], index=list("abcd"), name="income")
    table = compare_poverty(before, after, pop, ordering=income, poverty_line=1.5)
    assert table.index.name == "measure"
    assert list(table.columns) == ["before", "after", "change"]
    assert list(table.index) == [
        "palma_ratio",
        "top_10_access_share",
        "bottom_40_access_share",
        "palma_ratio_by_ordering",
        "concentration_index",
        "concentration_index_se",
        "concentration_index_erreygers",
        "fgt0",
        "fgt1",
        "fgt2",
    ]
    np.testing.assert_allclose(table["change"], table["after"] - table["before"])
    # before is the hand-worked Palma example (aligned on the index), after is flat-ish
    assert close(table.loc["palma_ratio", "before"], 0.75)
    # before: a (pop 1) has 0, b (pop 2) has 1 -> poor; fgt0 = 3/10
    assert close(table.loc["fgt0", "before"], 0.3)
    # after: a=1 (pop 1) poor; fgt0 = 1/10, fgt1 = (0.5/1.5)/10
    assert close(table.loc["fgt0", "after"], 0.1)
    assert close(table.loc["fgt1", "after"], (0.5 / 1.5) / 10)
    want = concentration_index(after.reindex(before.index), pop.reindex(before.index), income)
    assert close(table.loc["concentration_index", "after"], want.value)
    # stacks under the inequity table
    both = pd.concat([compare_inequity(before, after, pop), table])
    assert {"gini", "theil", "fgt0", "concentration_index"} <= set(both.index)


def test_summary_without_options_has_only_palma():
    assert list(poverty_summary([1, 2], [1, 1])) == [
        "palma_ratio",
        "top_10_access_share",
        "bottom_40_access_share",
    ]


def test_compare_accepts_a_line_within_the_pooled_range():
    # nobody has access before: the line is checked against before and after together
    table = compare_poverty([0, 0, 0], [0, 1, 2], [1, 1, 1], poverty_line=1)
    assert table.loc["fgt0", "before"] == 1.0
    assert close(table.loc["fgt0", "after"], 1 / 3)
    assert math.isnan(table.loc["palma_ratio", "before"])


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------


def test_poverty_line_outside_range_is_an_error():
    with pytest.raises(InputValidationError) as err:
        fgt([1, 2, 3], [1, 1, 1], poverty_line=5)
    assert "poverty_line 5 is outside the range of access 1 .. 3" in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, AccessplanError)
    with pytest.raises(InputValidationError, match="outside the range"):
        fgt([1, 2, 3], [1, 1, 1], poverty_line=0.5)
    with pytest.raises(InputValidationError, match="must be > 0"):
        fgt([0, 2, 3], [1, 1, 1], poverty_line=0)
    with pytest.raises(InputValidationError, match="outside the range"):
        compare_poverty([1, 2], [1, 2], [1, 1], poverty_line=9)
    # the range is over populated areas only
    with pytest.raises(InputValidationError, match="outside the range"):
        fgt([1, 2, 9], [1, 1, 0], poverty_line=5)


def test_missing_ordering_values_name_the_column_and_rows():
    income = pd.Series([10.0, np.nan, 30.0, None], index=["t1", "t2", "t3", "t4"], name="income")
    access = pd.Series([1.0, 2.0, 3.0, 4.0], index=income.index)
    pop = pd.Series([1, 1, 1, 1], index=income.index)
    with pytest.raises(InputValidationError) as err:
        concentration_index(access, pop, income, source="tracts.gpkg")
    text = str(err.value)
    assert "file tracts.gpkg, column 'income', rows t2, t4" in text
    assert "missing values in the ordering column" in text
    with pytest.raises(InputValidationError, match="column 'ordering', row 2:"):
        palma_ratio([1, 2], [1, 1], ordering=[1.0, np.nan])


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputValidationError) as err:
        poverty_summary(
            [1.0, -2.0, np.nan],
            [1, 1],
            ordering=[1.0, 2.0, math.inf],
            poverty_line="x",
            alpha=[-1],
            sample_size=0,
        )
    problems = [str(p) for p in err.value.problems]
    joined = "\n".join(problems)
    for part in [
        "poverty_line must be a finite number",
        "alpha must be >= 0",
        "sample_size must be a positive integer",
        "negative access",
        "missing (NaN) access",
        "column 'ordering', row 3: infinite values",
        "has 2 entries but 'access' has 3",
    ]:
        assert part in joined, part


def test_population_all_zero_and_misaligned_labels():
    with pytest.raises(InputValidationError, match="population is 0 everywhere"):
        palma_ratio([1, 2], [0, 0])
    access = pd.Series([1.0, 2.0], index=["a", "b"])
    with pytest.raises(InputValidationError, match="has no entry for some areas"):
        palma_ratio(access, pd.Series([1, 1], index=["a", "c"]))
    with pytest.raises(InputValidationError, match="of must be"):
        palma_ratio([1, 2], [1, 1], of="median")


def test_inputs_are_not_mutated():
    x = pd.Series([1.0, 0.0, 2.0])
    w = np.array([1.0, 2.0, 3.0])
    o = np.array([3.0, 2.0, 1.0])
    x0, w0, o0 = x.copy(), w.copy(), o.copy()
    compare_poverty(x, x * 2, w, ordering=o, poverty_line=1.0)
    pd.testing.assert_series_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(o, o0)


# --------------------------------------------------------------------------
# real data: Chicago tracts, 2SFCA scores from the access package
# --------------------------------------------------------------------------


def test_chicago_tracts(shared_data):
    folder = shared_data / "pysal_access_chi_med"
    pop = pd.read_csv(folder / "chicago_metro_pop.csv", dtype={"geoid": str}).set_index("geoid")
    ref = pd.read_csv(folder / "reference_2sfca_euclid16km.csv", dtype={"geoid": str})
    access = ref.set_index("geoid")["2sfca_doc"]
    weights = pop["pop"]
    ci = concentration_index(access, weights, access)
    assert close(ci.value, weighted_gini(access, weights), 1e-10)
    assert 0.0 < ci.standard_error < 0.1
    # ordered by access, the Palma ratio is the ratio of the Lorenz curve's tails
    summary = poverty_summary(access, weights, poverty_line=float(access[access > 0].median()))
    assert summary["palma_ratio"] > 0.25  # unequal access
    assert 0.0 < summary["fgt2"] < summary["fgt1"] < summary["fgt0"] < 1.0
