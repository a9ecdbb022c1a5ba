"""The coded OD table (spatial.od_codes), its sums (spatial.od_sums) and the measures over it."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.spatial.bfca import balanced_fca
from accessplan.spatial.coverage_indicators import (
    coverage_curve,
    nearest_minutes,
    population_within,
    zonal_coverage,
)
from accessplan.spatial.od_codes import CodedOD, site_code_dtype
from accessplan.spatial.od_sums import origin_sums, site_sums


def random_table(seed=0, n_areas=60, n_sites=9, share=0.4):
    rng = np.random.default_rng(seed)
    mask = rng.random((n_areas, n_sites)) < share
    rows, cols = np.nonzero(mask)
    minutes = rng.uniform(0, 60, len(rows)).round(3)
    area_ids = [f"{k:05d}" for k in range(n_areas)]  # FIPS-like, leading zeros
    site_ids = [f"S{k}" for k in range(n_sites)]
    od = pd.DataFrame(
        {
            "origin_id": np.array(area_ids)[rows],
            "site_id": np.array(site_ids)[cols],
            "minutes": minutes,
        }
    ).sample(frac=1.0, random_state=seed)  # shuffled: from_frame sorts
    population = pd.Series(rng.integers(0, 500, n_areas).astype(float), index=area_ids)
    capacity = pd.Series(rng.integers(0, 9, n_sites).astype(float), index=site_ids)
    return od, population, capacity


def test_from_frame_codes_sorts_and_round_trips():
    od, population, capacity = random_table()
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    assert coded.n_pairs == len(od)
    assert coded.site_codes.dtype == np.uint16 and coded.indptr.dtype == np.int64
    back = coded.to_frame()
    assert back["origin_id"].tolist()[0] == "00000"  # leading zeros kept, ids are labels
    expected = od.sort_values(["origin_id", "site_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    # within each origin the site codes increase (each pair once)
    for i in range(coded.n_origins):
        run = coded.site_codes[coded.indptr[i] : coded.indptr[i + 1]]
        assert (np.diff(run.astype(np.int64)) > 0).all()


def test_from_frame_drops_out_of_reach_and_lists_every_problem():
    od = pd.DataFrame(
        {"origin_id": ["a", "a", "b"], "site_id": ["x", "y", "x"], "minutes": [np.inf, 4.0, 3.0]}
    )
    coded = CodedOD.from_frame(od, origin_ids=["a", "b", "c"], site_ids=["x", "y"])
    assert coded.to_frame()["minutes"].tolist() == [4.0, 3.0]
    assert coded.row_minimum().tolist() == [4.0, 3.0, np.inf]
    bad = pd.DataFrame(
        {
            "origin_id": ["a", "a", "a", "b"],
            "site_id": ["x", "x", "y", "y"],
            "minutes": [1.0, 2.0, -3.0, np.nan],
        }
    )
    with pytest.raises(InputValidationError) as info:
        CodedOD.from_frame(bad, origin_ids=["a", "b"], site_ids=["x", "y"])
    text = str(info.value)
    assert "row 2" in text and "negative" in text  # row labels of the frame (0-based index 2)
    assert "missing (NaN)" in text


def test_from_frame_repeated_pair_is_an_error():
    od = pd.DataFrame({"origin_id": ["a", "a"], "site_id": ["x", "x"], "minutes": [1.0, 2.0]})
    with pytest.raises(InputValidationError, match="repeating an \\(origin_id, site_id\\) pair"):
        CodedOD.from_frame(od)


def test_within_with_sites_and_minimum_match_brute_force():
    od, population, capacity = random_table(seed=3)
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    for bound in (0.0, 17.5, 60.0):
        sub = coded.within(bound).to_frame()
        expected = od[od["minutes"] <= bound].sort_values(["origin_id", "site_id"])
        pd.testing.assert_frame_equal(sub, expected.reset_index(drop=True))
    keep = ["S1", "S4", "nowhere"]
    sub = coded.with_sites(keep)
    expected = od[od["site_id"].isin(keep)].groupby("origin_id")["minutes"].min()
    got = pd.Series(sub.row_minimum(), index=coded.origin_ids)
    assert np.isinf(got.drop(expected.index)).all()
    np.testing.assert_array_equal(got[expected.index].to_numpy(), expected.to_numpy())


def brute_site_sums(od, values, weights):
    out = np.zeros(od.n_sites)
    rows = od.origin_codes()
    for k in range(od.n_pairs):
        out[od.site_codes[k]] += values[rows[k]] * weights[k]
    return out


def test_sums_match_a_loop_and_do_not_depend_on_threads():
    od, population, capacity = random_table(seed=5, n_areas=200, n_sites=13)
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 3, coded.n_origins)
    b = rng.uniform(0, 3, coded.n_sites)
    w = rng.uniform(0, 1, coded.n_pairs)
    np.testing.assert_allclose(
        site_sums(coded, a, pair_weights=w), brute_site_sums(coded, a, w), rtol=1e-13
    )
    np.testing.assert_allclose(
        site_sums(coded, a), brute_site_sums(coded, a, np.ones(coded.n_pairs)), rtol=1e-13
    )
    rows = coded.origin_codes()
    expected = np.bincount(rows, w * b[coded.site_codes], minlength=coded.n_origins)
    np.testing.assert_allclose(origin_sums(coded, b, pair_weights=w), expected, rtol=1e-13)
    two = origin_sums(coded, np.column_stack([b, 2 * b]))
    np.testing.assert_array_equal(two[:, 1], 2 * two[:, 0])
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = site_sums(coded, a, pair_weights=w)
    finally:
        numba.set_num_threads(threads)
    np.testing.assert_array_equal(one, site_sums(coded, a, pair_weights=w))  # bit for bit


def test_coverage_indicators_same_on_coded_table():
    od, population, capacity = random_table(seed=7)
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    pd.testing.assert_series_equal(
        nearest_minutes(coded, population.index), nearest_minutes(od, population.index)
    )
    pd.testing.assert_series_equal(
        nearest_minutes(coded, population.index, site_ids=["S2", "S3"]),
        nearest_minutes(od, population.index, site_ids=["S2", "S3"]),
    )
    pd.testing.assert_frame_equal(
        population_within(coded, population), population_within(od, population)
    )
    pd.testing.assert_frame_equal(
        coverage_curve(coded, population, max_minutes=60),
        coverage_curve(od, population, max_minutes=60),
    )
    zones = pd.Series(
        ["N" if k % 2 else "S" for k in range(len(population))], index=population.index
    )
    pd.testing.assert_frame_equal(
        zonal_coverage(coded, population, zones), zonal_coverage(od, population, zones)
    )
    # areas listed in another order than the table's origins
    shuffled = population.iloc[::-1]
    pd.testing.assert_frame_equal(
        population_within(coded, shuffled), population_within(od, shuffled)
    )


@pytest.mark.parametrize("decay", [None, {"type": "gaussian", "sigma_minutes": 20}])
def test_bfca_same_on_coded_table(decay):
    od, population, capacity = random_table(seed=11)
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    got = balanced_fca(coded, population, capacity, catchment_minutes=45, decay=decay)
    want = balanced_fca(od, population, capacity, catchment_minutes=45, decay=decay)
    for name in ("access", "supply_share", "reaches_supply", "site_ratio", "site_population"):
        pd.testing.assert_series_equal(getattr(got, name), getattr(want, name), rtol=1e-13)
    # the paper's identities hold on the coded path too
    reached = got.site_population > 0
    assert got.supply_share.sum() == pytest.approx(capacity[reached].sum(), rel=1e-12)


def test_bfca_coded_table_recoded_to_other_labels_and_unknown_ids():
    od, population, capacity = random_table(seed=13)
    coded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    reordered = balanced_fca(coded, population.iloc[::-1], capacity.iloc[::-1])
    plain = balanced_fca(od, population, capacity)
    pd.testing.assert_series_equal(
        reordered.access.sort_index(), plain.access.sort_index(), rtol=1e-13
    )
    with pytest.raises(InputValidationError, match="not in the demand index"):
        balanced_fca(coded, population.iloc[5:], capacity)


def test_site_codes_widen_past_65535_sites_and_sums_still_match():
    n_sites = 70_000
    assert site_code_dtype(65_535) == np.uint16 and site_code_dtype(65_536) == np.int32
    rows = np.array([0, 0, 1, 2, 2, 2])
    cols = np.array([5, 69_999, 65_535, 0, 65_536, 69_999])
    minutes = np.array([3.0, 7.0, 1.0, 2.0, 4.0, 9.0])
    coded = CodedOD.from_positions(
        rows, cols, minutes, origin_ids=["a", "b", "c"], site_ids=np.arange(n_sites)
    )
    assert coded.site_codes.dtype == np.int32
    assert coded.site_codes.tolist() == cols.tolist()  # no wrap-around at 65,536
    a = np.array([1.0, 10.0, 100.0])
    expected = np.zeros(n_sites)
    np.add.at(expected, cols, a[rows])
    np.testing.assert_array_equal(site_sums(coded, a), expected)
    b = np.arange(n_sites, dtype=float)
    np.testing.assert_array_equal(
        origin_sums(coded, b), [5.0 + 69_999.0, 65_535.0, 0.0 + 65_536.0 + 69_999.0]
    )
    with pytest.raises(ValueError, match="site_codes must be int32"):
        CodedOD(
            origin_ids=coded.origin_ids,
            site_ids=coded.site_ids,
            indptr=coded.indptr,
            site_codes=coded.site_codes.astype(np.uint16),  # would wrap codes past 65,535
            minutes=coded.minutes,
        )


def test_within_trusts_the_recorded_bound_and_reads_the_minutes_once():
    od, population, capacity = random_table(seed=11)
    coded = CodedOD.from_frame(
        od, origin_ids=population.index, site_ids=capacity.index, max_minutes=45.0
    )
    assert coded.within(45.0) is coded and coded.within(90.0) is coded
    sub = coded.within(20.0)
    assert sub.max_minutes == 20.0 and sub.n_pairs == int((od["minutes"] <= 20.0).sum())
    unbounded = CodedOD.from_frame(od, origin_ids=population.index, site_ids=capacity.index)
    assert unbounded.max_minutes is None
    assert unbounded.largest_minutes == od["minutes"].max()
    assert unbounded.within(od["minutes"].max()) is unbounded
    assert unbounded.within(30.0).n_pairs == int((od["minutes"] <= 30.0).sum())
