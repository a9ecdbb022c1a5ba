"""Cumulative opportunities: hand-worked values, brute force, several thresholds, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.spatial.decay import linear_decay, step_decay
from accessplan.spatial.errors import UnknownDecayError
from accessplan.spatial.opportunities import (
    cumulative_opportunities,
    cumulative_opportunities_table,
)


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


OD = _od(
    [
        ("a", "h", 10.0),
        ("a", "k", 15.0),
        ("a", "z", 61.0),
        ("b", "k", 30.0),
        ("b", "z", 60.0),
        ("c", "h", 0.0),
    ]
)
SUPPLY = pd.Series({"h": 4.0, "k": 6.0, "z": 100.0})


def test_step_known_answers():
    # 15 minutes: a reaches h (4) and k at exactly 15 (6): 10; b nothing; c reaches h at 0: 4
    got = cumulative_opportunities(OD, SUPPLY, threshold_minutes=15)
    assert got.to_dict() == {"a": 10.0, "b": 0.0, "c": 4.0}
    assert got.name == "opportunities"
    # 60 minutes: z (100) counts for b at exactly 60, not for a at 61
    got = cumulative_opportunities(OD, SUPPLY, threshold_minutes=60)
    assert got.to_dict() == {"a": 10.0, "b": 106.0, "c": 4.0}


def test_decayed_known_answers():
    # linear decay over 30 minutes: weight 1 - d / 30
    got = cumulative_opportunities(
        OD, SUPPLY, threshold_minutes=30, decay=linear_decay(catchment_minutes=30)
    )
    assert got["a"] == pytest.approx(4 * (1 - 10 / 30) + 6 * (1 - 15 / 30))
    assert got["b"] == pytest.approx(0.0)  # k at 30: weight 0
    assert got["c"] == pytest.approx(4.0)
    stepped = cumulative_opportunities(
        OD, SUPPLY, threshold_minutes=30, decay={"type": "step", "steps": {"10": 1.0, "30": 0.5}}
    )
    assert stepped.to_dict() == pytest.approx({"a": 4 + 3, "b": 3.0, "c": 4.0})


def test_areas_option_adds_unreached_areas_in_order():
    got = cumulative_opportunities(OD, SUPPLY, threshold_minutes=15, areas=["q", "c", "a", "b"])
    assert list(got.index) == ["q", "c", "a", "b"]
    assert got.to_dict() == {"q": 0.0, "c": 4.0, "a": 10.0, "b": 0.0}
    with pytest.raises(InputValidationError, match="not in the areas index"):
        cumulative_opportunities(OD, SUPPLY, threshold_minutes=15, areas=["a", "b"])


@pytest.mark.parametrize("seed", range(6))
def test_table_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    rows = [
        (f"o{i}", f"s{j}", float(rng.integers(0, 130)))
        for i in range(12)
        for j in range(7)
        if rng.random() < 0.5
    ]
    od = _od(rows)
    supply = pd.Series(rng.integers(0, 9, 7).astype(float), index=[f"s{j}" for j in range(7)])
    areas = [f"o{i}" for i in range(12)]
    thresholds = [120, 15, 60, 30]
    table = cumulative_opportunities_table(od, supply, thresholds_minutes=thresholds, areas=areas)
    assert list(table.columns) == ["within_15", "within_30", "within_60", "within_120"]
    for t in thresholds:
        brute = {a: 0.0 for a in areas}
        for o, s, m in rows:
            if m <= t:
                brute[o] += supply[s]
        assert table[f"within_{t}"].to_dict() == brute
        single = cumulative_opportunities(od, supply, threshold_minutes=t, areas=areas)
        assert single.to_dict() == brute


def test_every_problem_is_listed():
    od = _od([("a", "h", np.nan), ("a", "k", -2.0)])
    supply = pd.Series({"h": -1.0, "k": np.nan})
    with pytest.raises(InputValidationError) as err:
        cumulative_opportunities(od, supply, threshold_minutes=-5)
    text = str(err.value)
    for part in ("threshold_minutes must be", "negative (capacity", "negative (minutes", "NaN"):
        assert part in text, part
    with pytest.raises(InputValidationError) as err:
        cumulative_opportunities_table(OD, SUPPLY, thresholds_minutes=[15, 15, "x"])
    assert "a threshold must be" in str(err.value)
    for bad in ([], 30, "30"):
        with pytest.raises(InputValidationError, match="thresholds_minutes"):
            cumulative_opportunities_table(OD, SUPPLY, thresholds_minutes=bad)
    with pytest.raises(InputValidationError, match="repeats"):
        cumulative_opportunities_table(OD, SUPPLY, thresholds_minutes=[30, 30.0])
    with pytest.raises(UnknownDecayError):
        cumulative_opportunities(OD, SUPPLY, threshold_minutes=15, decay=step_decay({30: 1.0}))
