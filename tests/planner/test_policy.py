"""Tests of accessplan.planner.policy: marginal costs, knee, monotone check, site frequency by hand."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.planner.policy import (
    FRONTIER_COLUMNS,
    efficiency_frontier,
    is_monotone,
    knee,
    site_frequency,
    split_ids,
)


def _sweep(rows):
    """A sweep table with the agreed columns (the ones the frontier reads) from short rows."""
    columns = [
        "point",
        "budget",
        "catchment_minutes",
        "growth",
        "closed",
        "cost",
        "population",
        "coverage_share",
        "zero_access_share",
        "newly_covered",
        "proven_optimal",
        "gap",
        "status",
        "sites",
    ]
    return pd.DataFrame(rows, columns=columns)


# one group (30 min, growth 1, nothing closed), 4 budgets, written out of order on purpose
ONE_GROUP = _sweep(
    [
        (2, 300.0, 30, 1.0, "", 250.0, 1000, 0.70, 0.20, 400.0, True, 0.0, "Optimal", "A;B;C"),
        (0, 100.0, 30, 1.0, "", 100.0, 1000, 0.50, 0.40, 200.0, True, 0.0, "Optimal", "A"),
        (3, 400.0, 30, 1.0, "", 400.0, 1000, 0.70, 0.20, 400.0, True, 0.0, "Optimal", "A;B;D"),
        (1, 200.0, 30, 1.0, "", 150.0, 1000, 0.65, 0.25, 350.0, True, 0.0, "Optimal", "A;B"),
    ]
)


def test_marginal_costs_by_hand():
    f = efficiency_frontier(ONE_GROUP)
    assert list(f.columns) == list(FRONTIER_COLUMNS)
    assert list(f["budget"]) == [100.0, 200.0, 300.0, 400.0]
    assert list(f["point"]) == [0, 1, 2, 3]
    # first point against spending nothing: 100 / 200 people
    # then (150-100)/(350-200) = 1/3, (250-150)/(400-350) = 2, (400-250)/0 = inf
    got = f["marginal_cost_per_person"].to_numpy()
    assert got[0] == pytest.approx(0.5)
    assert got[1] == pytest.approx(50 / 150)
    assert got[2] == pytest.approx(2.0)
    assert math.isinf(got[3])
    assert "no one more is covered" in f["marginal_note"].iloc[3]
    assert list(f["delta_cost"]) == [100.0, 50.0, 100.0, 150.0]
    assert list(f["delta_newly_covered"]) == [200.0, 150.0, 50.0, 0.0]
    assert set(f["group"]) == {0}
    assert not f["dip"].any()
    assert is_monotone(f)


def test_nothing_more_and_no_more_money_is_nan_with_a_note():
    t = ONE_GROUP.copy()
    t.loc[t["point"] == 3, "cost"] = 250.0  # same plan as the 300 budget
    f = efficiency_frontier(t)
    assert math.isnan(f["marginal_cost_per_person"].iloc[3])
    assert "no more is spent" in f["marginal_note"].iloc[3]


def test_knee_of_a_known_curve():
    # scaled: x = 0, .25, .5, .75, 1 ; y = 0, .6, .8, .9, 1 -> y - x largest (.35) at 1
    assert knee([0, 1, 2, 3, 4], [0, 0.6, 0.8, 0.9, 1.0]) == 1
    # a sharper bend later: y - x = 0, .15, .3, .05 -> position 2
    assert knee([10, 20, 30, 40], [0, 0.483, 0.966, 1.0]) == 2
    # straight line, rising returns and too few points: no knee
    assert knee([0, 1, 2, 3], [0, 1, 2, 3]) is None
    assert knee([0, 1, 2, 3], [0, 0.1, 0.3, 1.0]) is None
    assert knee([0, 1], [0, 1]) is None
    assert knee([0, 1, 2], [5, 5, 5]) is None


def test_knee_is_brute_force_farthest_point_above_the_chord():
    rng = np.random.default_rng(11)
    for _ in range(50):
        x = np.sort(rng.uniform(0, 100, 7))
        y = np.sort(rng.uniform(0, 1, 7))
        xn = (x - x.min()) / (x.max() - x.min())
        yn = (y - y.min()) / (y.max() - y.min())
        # distance of each point above the line through (0, 0) and (1, 1)
        d = (yn - xn) / math.sqrt(2)
        expected = int(np.argmax(d)) if d.max() > 1e-12 else None
        assert knee(x, y) == expected


def test_frontier_marks_the_knee_per_group():
    f = efficiency_frontier(ONE_GROUP)
    # budgets 100..400 -> x .0 .33 .67 1 ; shares .5 .65 .7 .7 -> y 0 .75 1 1 ; y-x .42 at 200
    assert list(f["knee"]) == [False, True, False, False]


def test_groups_by_catchment_growth_and_closures():
    rows = []
    point = 0
    for catchment in (30, 60):
        for closed in ("", "H03;H01"):
            for budget, share in ((100.0, 0.3), (200.0, 0.5)):
                rows.append(
                    (
                        point,
                        budget,
                        catchment,
                        1.0,
                        closed,
                        budget,
                        10,
                        share,
                        0.1,
                        share * 10,
                        True,
                        0.0,
                        "Optimal",
                        "",
                    )
                )
                point += 1
    t = _sweep(rows)
    t.loc[t["closed"] == "", "closed"] = np.nan  # as read back from the CSV
    f = efficiency_frontier(t)
    assert f["group"].nunique() == 4
    assert (f.groupby("group").size() == 2).all()
    assert set(f["closed"]) == {"", "H01;H03"}
    # each group starts from spending nothing again
    first = f.groupby("group").head(1)
    assert (first["delta_cost"] == first["cost"]).all()


def test_monotone_check_catches_a_proven_dip():
    t = ONE_GROUP.copy()
    t.loc[t["point"] == 2, "coverage_share"] = 0.60  # below the 200 budget's 0.65
    f = efficiency_frontier(t)
    assert list(f["dip"]) == [False, False, True, False]
    assert not is_monotone(f)


def test_a_dip_of_a_point_not_proven_optimal_is_flagged_not_failed():
    t = ONE_GROUP.copy()
    t.loc[t["point"] == 2, "coverage_share"] = 0.60
    t.loc[t["point"] == 2, "proven_optimal"] = False
    t.loc[t["point"] == 2, "gap"] = 0.08
    f = efficiency_frontier(t)
    assert f["dip"].iloc[2]
    assert is_monotone(f)
    assert f["gap"].iloc[2] == pytest.approx(0.08)


def test_monotone_tolerance_is_a_billionth_of_the_population():
    t = ONE_GROUP.copy()
    t.loc[t["point"] == 3, "coverage_share"] = 0.70 - 5e-10
    assert is_monotone(efficiency_frontier(t))
    t.loc[t["point"] == 3, "coverage_share"] = 0.70 - 5e-9
    assert not is_monotone(efficiency_frontier(t))


def test_proven_optimal_read_back_from_csv_text(tmp_path):
    path = tmp_path / "sweep.csv"
    ONE_GROUP.to_csv(path, index=False)
    back = pd.read_csv(path)
    assert back["closed"].isna().all()
    f = efficiency_frontier(back)
    assert f["proven_optimal"].all()
    assert list(f["closed"]) == ["", "", "", ""]


def test_bad_sweep_tables_are_refused_with_every_problem():
    t = ONE_GROUP.drop(columns=["newly_covered"])
    with pytest.raises(InputValidationError, match="newly_covered"):
        efficiency_frontier(t)
    t = ONE_GROUP.copy()
    t["budget"] = t["budget"].astype(object)
    t.loc[0, "budget"] = "lots"
    t["proven_optimal"] = t["proven_optimal"].astype(object)
    t.loc[1, "proven_optimal"] = "maybe"
    with pytest.raises(InputValidationError) as err:
        efficiency_frontier(t)
    text = str(err.value)
    assert "column 'budget', row 1: not a number" in text
    assert "column 'proven_optimal', row 2" in text
    assert isinstance(err.value, AccessplanError)
    t = ONE_GROUP.copy()
    t.loc[0, "budget"] = 200.0
    with pytest.raises(InputValidationError, match="a budget appears twice"):
        efficiency_frontier(t)
    with pytest.raises(InputValidationError, match="no rows"):
        efficiency_frontier(ONE_GROUP.iloc[:0])


def test_site_frequency_by_hand():
    # sites per point: A | A;B | A;B;C | A;B;D  -> A 4, B 3, C 1, D 1, E 0
    freq = site_frequency(ONE_GROUP, ["E", "D", "C", "B", "A"])
    assert list(freq["site_id"]) == ["A", "B", "C", "D", "E"]
    assert list(freq["chosen_in"]) == [4, 3, 1, 1, 0]
    assert list(freq["points"]) == [4] * 5
    assert list(freq["frequency"]) == [1.0, 0.75, 0.25, 0.25, 0.0]
    assert list(freq["robust"]) == [True, False, False, False, False]


def test_site_frequency_keeps_candidate_geometry_and_names():
    cands = gpd.GeoDataFrame(
        {"site_id": ["A", "B", "C", "D"], "name": ["a", "b", "c", "d"]},
        geometry=[Point(i, 0) for i in range(4)],
        crs=3857,
    )
    t = ONE_GROUP.copy()
    t.loc[t["point"] == 0, "sites"] = np.nan  # a point choosing nothing, as read from CSV
    freq = site_frequency(t, cands)
    assert isinstance(freq, gpd.GeoDataFrame)
    assert freq.crs == cands.crs
    row = freq.set_index("site_id").loc["A"]
    assert row["chosen_in"] == 3 and row["name"] == "a" and row.geometry.x == 0
    assert not freq["robust"].any()  # A is missing from the point that chose nothing


def test_site_frequency_refuses_unknown_sites():
    with pytest.raises(InputValidationError) as err:
        site_frequency(ONE_GROUP, ["A", "B"])
    text = str(err.value)
    assert "row 1: site 'C' is not a candidate" in text  # table rows, 1-based
    assert "row 3: site 'D' is not a candidate" in text


def test_split_ids():
    assert split_ids("A; B;;C") == ["A", "B", "C"]
    assert split_ids("") == [] and split_ids(None) == [] and split_ids(float("nan")) == []
