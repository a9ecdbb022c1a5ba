"""Tests of accessplan.spatial.districts.district_table: hand-worked values, identities, NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.districts import TOTAL_LABEL, district_table
from accessplan.spatial.inequity import compare_inequity

NAN = float("nan")

# area: district, population, access before, access after, people aged 65+
TOY = pd.DataFrame(
    {
        "group": ["A", "A", "B", "B", "C", "C"],
        "population": [100.0, 300.0, 200.0, 50.0, 150.0, 50.0],
        "before": [0.0, 4.0, 1.0, NAN, 0.0, 2.0],
        "after": [2.0, 4.0, 1.0, NAN, 0.0, 3.0],
        "demand": [10.0, 30.0, 50.0, 0.0, 20.0, 5.0],
    },
    index=[f"T{i}" for i in range(6)],
)


def _toy(**kw):
    return district_table(
        TOY["before"], TOY["after"], TOY["population"], TOY["group"], demand=TOY["demand"], **kw
    )


def test_hand_worked_three_districts():
    t = _toy()
    assert list(t.index) == ["A", "B", "C", TOTAL_LABEL]
    assert t["is_total"].tolist() == [False, False, False, True]
    # A: (0*100 + 4*300)/400 = 3.0 ; (2*100 + 4*300)/400 = 3.5 ; zero 100/400 then 0
    # B: area T3 has no score: (1*200)/200 = 1 ; 50 people without a score
    # C: (0*150 + 2*50)/200 = 0.5 ; (0*150 + 3*50)/200 = 0.75 ; zero 150/200 both
    # all: 1500/800, 1750/800 ; zero 250/800 then 150/800
    expected = {
        "areas": [2, 2, 2, 6],
        "population": [400, 250, 200, 850],
        "demand": [40, 50, 25, 115],
        "access_before": [3.0, 1.0, 0.5, 1.875],
        "access_after": [3.5, 1.0, 0.75, 2.1875],
        "access_change": [0.5, 0.0, 0.25, 0.3125],
        "zero_share_before": [0.25, 0.0, 0.75, 0.3125],
        "zero_share_after": [0.0, 0.0, 0.75, 0.1875],
        "zero_share_change": [-0.25, 0.0, 0.0, -0.125],
        "no_score_areas_before": [0, 1, 0, 1],
        "no_score_areas_after": [0, 1, 0, 1],
        "no_score_population_before": [0, 50, 0, 50],
        "no_score_population_after": [0, 50, 0, 50],
    }
    for column, values in expected.items():
        assert t[column].tolist() == pytest.approx(values), column


def test_total_row_is_the_regional_weighted_mean():
    rng = np.random.default_rng(7)
    n = 60
    before = rng.uniform(0, 3, n)
    before[rng.choice(n, 12, replace=False)] = 0.0
    after = before + rng.uniform(0, 1, n) * (rng.uniform(size=n) > 0.5)
    pop = rng.integers(0, 1000, n).astype(float)
    groups = rng.choice(["north", "south", "east", "west", "centre"], n)
    t = district_table(before, after, pop, groups)
    total = t.loc[TOTAL_LABEL]
    ref = compare_inequity(before, after, pop)
    for when in ("before", "after"):
        assert total[f"access_{when}"] == pytest.approx(ref.loc["mean", when])
        assert total[f"zero_share_{when}"] == pytest.approx(ref.loc["share_zero", when])
        # identity: the total is the population-weighted mean of the district means
        d = t[~t["is_total"]]
        assert (d["population"] * d[f"access_{when}"]).sum() / d["population"].sum() == (
            pytest.approx(total[f"access_{when}"])
        )
        assert (d["population"] * d[f"zero_share_{when}"]).sum() / d["population"].sum() == (
            pytest.approx(total[f"zero_share_{when}"])
        )
    assert t["population"].iloc[:-1].sum() == pytest.approx(pop.sum())
    assert np.isnan(t["demand"]).all()  # not given


def test_nan_areas_excluded_and_counted_and_an_unscored_district():
    before = [NAN, NAN, 2.0, 0.0]
    after = [NAN, 1.0, 2.0, 0.0]
    t = district_table(before, after, [10.0, 20.0, 30.0, 40.0], ["X", "X", "Y", "Y"])
    x = t.loc["X"]
    assert np.isnan(x["access_before"]) and np.isnan(x["zero_share_before"])  # nobody scored
    assert x["access_after"] == 1.0 and x["zero_share_after"] == 0.0
    assert x["no_score_areas_before"] == 2 and x["no_score_population_before"] == 30
    assert x["no_score_areas_after"] == 1 and x["no_score_population_after"] == 10
    assert np.isnan(x["access_change"])
    total = t.loc[TOTAL_LABEL]
    assert total["access_before"] == pytest.approx(60 / 70)
    assert total["access_after"] == pytest.approx((20 + 60) / 90)
    assert total["zero_share_before"] == pytest.approx(40 / 70)


def test_series_are_matched_on_labels():
    shuffled = TOY.iloc[::-1]
    t = district_table(
        TOY["before"], shuffled["after"], shuffled["population"], TOY["group"], demand=TOY["demand"]
    )
    pd.testing.assert_frame_equal(t, _toy())


def test_sorted_numeric_district_labels():
    t = district_table([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [10, 2, 1])
    assert list(t.index) == [1, 2, 10, TOTAL_LABEL]


def test_every_problem_reported_at_once():
    with pytest.raises(InputValidationError) as info:
        district_table(
            [1.0, -1.0, np.inf],
            [1.0, 1.0, 1.0],
            [1.0, NAN, 2.0],
            ["a", None, "b"],
            demand=[1.0, 2.0],
        )
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, AccessplanError)
    text = str(err)
    assert "demand" in text and "has 2 entries" in text
    assert "access_before" in text and "negative" in text and "infinite" in text
    assert "population" in text and "NaN" in text
    assert "missing district labels" in text and "row 2" in text


def test_mismatched_labels_reported():
    other = TOY["after"].rename(index=lambda s: s + "x")
    with pytest.raises(InputValidationError, match="index labels differ"):
        district_table(TOY["before"], other, TOY["population"], TOY["group"])
