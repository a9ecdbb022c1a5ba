"""Balanced FCA: hand-worked values, the paper's totals, brute force, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.spatial.bfca import BalancedAccessResult, balanced_fca
from accessplan.spatial.decay import gaussian_decay, step_decay
from accessplan.spatial.errors import UnknownDecayError
from accessplan.spatial.fca import AccessResult, two_step_fca


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


def _tiny():
    od = _od([("a", "h", 5.0), ("a", "k", 10.0), ("b", "k", 5.0), ("b", "h", 45.0)])
    demand = pd.Series({"a": 100.0, "b": 200.0, "c": 50.0})
    supply = pd.Series({"h": 10.0, "k": 30.0, "z": 5.0})
    return od, demand, supply


def test_hand_worked_tiny_case():
    # W (30 min, uniform): a-h 1, a-k 1, b-k 1 (b-h at 45 min is beyond the catchment)
    # Wi: a-h .5, a-k .5, b-k 1;  Wj: a-h 1, a-k .5, b-k .5
    # D_h = 100 * .5 = 50, D_k = 100 * .5 + 200 = 250; L_h = .2, L_k = .12
    # A_a = .2 * 1 + .12 * .5 = .26, A_b = .12 * .5 = .06
    # share_a = 100 * (.5 * .2 + .5 * .12) = 16, share_b = 200 * .12 = 24
    od, demand, supply = _tiny()
    result = balanced_fca(od, demand, supply, catchment_minutes=30)
    assert isinstance(result, BalancedAccessResult)
    assert isinstance(result, AccessResult)
    assert result.method == "bfca"
    assert result.access.to_dict() == pytest.approx({"a": 0.26, "b": 0.06, "c": 0.0})
    assert result.site_population.to_dict() == pytest.approx({"h": 50.0, "k": 250.0, "z": 0.0})
    assert result.site_ratio.to_dict() == pytest.approx({"h": 0.2, "k": 0.12, "z": 0.0})
    assert result.supply_share.to_dict() == pytest.approx({"a": 16.0, "b": 24.0, "c": 0.0})
    assert result.reaches_supply.to_dict() == {"a": True, "b": True, "c": False}
    assert result.areas_without_supply == ("c",)
    assert result.sites_without_population == ("z",)
    frame = result.to_frame()
    assert list(frame.columns) == ["access", "supply_share", "reaches_supply"]
    # 2SFCA on the same table inflates: D_k counts a's 100 people in full
    plain = two_step_fca(od, demand, supply, catchment_minutes=30)
    assert plain.access.to_dict() == pytest.approx({"a": 0.2, "b": 0.1, "c": 0.0})
    # the 45-minute pair counts once the catchment reaches it
    wider = balanced_fca(od, demand, supply, catchment_minutes=45)
    # Wi: a .5/.5, b .5/.5; D_h = 50 + 100 = 150, D_k = 150; L_h = 1/15, L_k = .2
    # Wj: every column has two pairs: .5 each; A_a = A_b = .5/15 + .1
    assert wider.access["a"] == pytest.approx(0.5 / 15 + 0.1)
    assert wider.access["b"] == pytest.approx(0.5 / 15 + 0.1)


def _brute(od, demand, supply, catchment, decay):
    """BFCA by the definitions, with Python loops over a dense matrix."""
    areas, sites = list(demand.index), list(supply.index)
    w = np.zeros((len(areas), len(sites)))
    for o, s, t in od.itertuples(index=False):
        if t <= catchment:
            w[areas.index(o), sites.index(s)] = float(decay(np.array([t]))[0])
    access = {a: 0.0 for a in areas}
    share = {a: 0.0 for a in areas}
    level = {}
    for j, s in enumerate(sites):
        d = 0.0
        for i in range(len(areas)):
            if w[i].sum() > 0:
                d += demand.iloc[i] * w[i, j] / w[i].sum()
        level[s] = supply.iloc[j] / d if d > 0 else 0.0
    for i, a in enumerate(areas):
        for j, s in enumerate(sites):
            if w[i, j] > 0:
                access[a] += level[s] * w[i, j] / w[:, j].sum()
                share[a] += demand.iloc[i] * level[s] * w[i, j] / w[i].sum()
    return access, share, level


def _random_instance(seed, n_areas=9, n_sites=5):
    rng = np.random.default_rng(seed)
    pairs = [(f"o{i}", f"s{j}") for i in range(n_areas) for j in range(n_sites)]
    keep = rng.random(len(pairs)) < 0.6
    od = _od(
        [(o, s, float(rng.uniform(0, 40))) for (o, s), k in zip(pairs, keep, strict=True) if k]
    )
    demand = pd.Series(
        rng.integers(0, 500, n_areas).astype(float), index=[f"o{i}" for i in range(n_areas)]
    )
    supply = pd.Series(
        rng.integers(0, 20, n_sites).astype(float), index=[f"s{j}" for j in range(n_sites)]
    )
    return od.sample(frac=1.0, random_state=seed).reset_index(drop=True), demand, supply


@pytest.mark.parametrize("seed", range(12))
def test_equals_brute_force_and_preserves_totals(seed):
    od, demand, supply = _random_instance(seed)
    decay = gaussian_decay(catchment_minutes=30) if seed % 2 else step_decay({15: 1.0, 30: 0.4})
    result = balanced_fca(od, demand, supply, catchment_minutes=30, decay=decay)
    access, share, level = _brute(od, demand, supply, 30, decay)
    assert result.access.to_dict() == pytest.approx(access, rel=1e-12, abs=1e-15)
    assert result.supply_share.to_dict() == pytest.approx(share, rel=1e-12, abs=1e-12)
    assert result.site_ratio.to_dict() == pytest.approx(level, rel=1e-12, abs=1e-15)

    # the paper's totals: no demand inflation, no level-of-service inflation
    w = decay(od["minutes"].to_numpy()) * (od["minutes"].to_numpy() <= 30)
    reach_area = set(od["origin_id"][w > 0])
    assert result.site_population.sum() == pytest.approx(demand[list(reach_area)].sum())
    assert result.access.sum() == pytest.approx(result.site_ratio.sum())
    # and the split demand receives exactly the supply of the sites with demand
    served = result.site_population > 0
    assert result.supply_share.sum() == pytest.approx(supply[served].sum())


def test_normalize_and_inputs_untouched():
    od, demand, supply = _tiny()
    before = od.copy(), demand.copy(), supply.copy()
    result = balanced_fca(od, demand, supply, catchment_minutes=30, normalize=True)
    # population-weighted mean of A: (100 * .26 + 200 * .06) / 350 = 38 / 350
    assert result.access["a"] == pytest.approx(0.26 * 350 / 38)
    assert result.normalized
    assert result.site_ratio["h"] == pytest.approx(0.2)  # never normalised
    pd.testing.assert_frame_equal(od, before[0])
    pd.testing.assert_series_equal(demand, before[1])
    pd.testing.assert_series_equal(supply, before[2])


def test_every_problem_is_listed_once():
    od = _od([("a", "h", -1.0), ("a", "h", 3.0), ("x", "h", 2.0), ("b", "q", np.nan)])
    demand = pd.Series({"a": -5.0, "b": np.nan})
    supply = pd.Series({"h": np.inf})
    with pytest.raises(InputValidationError) as err:
        balanced_fca(od, demand, supply, catchment_minutes=0)
    text = str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, AccessplanError)
    for part in (
        "catchment_minutes must be a finite number > 0",
        "column 'minutes'",
        "negative (minutes must be >= 0)",
        "missing (NaN)",
        "infinite",
        "negative (population must be >= 0)",
    ):
        assert part in text, part
    # ids are checked once the values are sound
    od = _od([("a", "h", 1.0), ("a", "h", 3.0), ("x", "q", 2.0)])
    with pytest.raises(InputValidationError) as err:
        balanced_fca(od, pd.Series({"a": 1.0}), pd.Series({"h": 1.0}))
    text = str(err.value)
    assert "origin_id" in text and "not in the demand index" in text
    assert "site_id" in text and "not in the supply index" in text
    with pytest.raises(InputValidationError, match="repeating an"):
        balanced_fca(od.iloc[:2], pd.Series({"a": 1.0}), pd.Series({"h": 1.0}))


def test_decay_beyond_the_catchment_is_refused():
    od, demand, supply = _tiny()
    with pytest.raises(UnknownDecayError):
        balanced_fca(od, demand, supply, catchment_minutes=20, decay=step_decay({30: 1.0}))


def test_categorical_and_missing_ids():
    od, demand, supply = _tiny()
    plain = balanced_fca(od, demand, supply, catchment_minutes=30)
    coded = od.astype({"origin_id": "category", "site_id": "category"})
    got = balanced_fca(coded, demand, supply, catchment_minutes=30)
    pd.testing.assert_series_equal(got.access, plain.access)
    # a category unknown to the demand index, and a missing id, are both reported
    bad = _od([("a", "h", 1.0), ("zz", "h", 2.0), (None, "k", 3.0)])
    for frame in (bad, bad.astype({"origin_id": "category"})):
        with pytest.raises(InputValidationError) as err:
            balanced_fca(frame, demand, supply)
        assert "2 rows with an id not in the demand index" in str(err.value)
        assert "rows 1, 2" in str(err.value)


def _integer_instance(seed, *, n_areas=7, n_sites=9):
    """Integer ids, an OD table grouped by origin and sorted by site (as travel times return it).

    Every area but the last reaches most sites (so the origins come in runs of
    more than four rows); the last area reaches none; one site has no capacity
    and one is reached by no area.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_areas - 1):
        for j in range(n_sites - 1):
            if rng.random() < 0.85:
                rows.append((100 + i, 900 + j, float(rng.uniform(0, 40))))
    od = _od(rows)
    demand = pd.Series(rng.integers(1, 500, n_areas).astype(float), index=100 + np.arange(n_areas))
    supply = pd.Series(rng.integers(1, 20, n_sites).astype(float), index=900 + np.arange(n_sites))
    supply.iloc[2] = 0.0
    return od, demand, supply


@pytest.mark.parametrize("seed", range(6))
def test_grouped_integer_table_equals_brute_force_and_general_path(seed):
    od, demand, supply = _integer_instance(seed)
    catchment = 40.0 if seed % 2 else 25.0  # every pair within, or some beyond
    result = balanced_fca(od, demand, supply, catchment_minutes=catchment)
    access, share, level = _brute(od, demand, supply, catchment, lambda t: np.ones(len(t)))
    assert result.access.to_dict() == pytest.approx(access, rel=1e-12, abs=1e-15)
    assert result.supply_share.to_dict() == pytest.approx(share, rel=1e-12, abs=1e-12)
    assert result.site_ratio.to_dict() == pytest.approx(level, rel=1e-12, abs=1e-15)
    assert not result.reaches_supply.iloc[-1]
    # the same numbers, bit for bit, as the general per-pair path (a one-step decay)
    # and as string ids; the table shuffled adds in another order (to rounding)
    general = balanced_fca(
        od, demand, supply, catchment_minutes=catchment, decay=step_decay({catchment: 1.0})
    )
    shuffled = balanced_fca(
        od.sample(frac=1.0, random_state=seed), demand, supply, catchment_minutes=catchment
    )
    named = balanced_fca(
        od.astype({"origin_id": str, "site_id": str}),
        demand.set_axis(demand.index.astype(str)),
        supply.set_axis(supply.index.astype(str)),
        catchment_minutes=catchment,
    )
    # site ids around 0 (looked up through a table from the smallest id)
    centred = balanced_fca(
        od.assign(site_id=od["site_id"] - 904),
        demand,
        supply.set_axis(supply.index - 904),
        catchment_minutes=catchment,
    )
    for name in ("access", "supply_share", "site_ratio", "site_population", "reaches_supply"):
        ours = getattr(result, name).to_numpy()
        np.testing.assert_array_equal(ours, getattr(general, name).to_numpy())
        np.testing.assert_array_equal(ours, getattr(named, name).to_numpy())
        np.testing.assert_array_equal(ours, getattr(centred, name).to_numpy())
        np.testing.assert_allclose(ours, getattr(shuffled, name).to_numpy(), rtol=1e-14)


@pytest.mark.parametrize("shift", [0, -904])  # site ids 900..908, or -4..4
def test_grouped_integer_table_bad_ids_and_repeated_pairs(shift):
    od, demand, supply = _integer_instance(0)
    od["site_id"] += shift
    supply.index += shift
    repeated = pd.concat([od.iloc[:3], od.iloc[2:]], ignore_index=True)  # row 3 again, in order
    with pytest.raises(InputValidationError, match="repeating an") as err:
        balanced_fca(repeated, demand, supply)
    assert "2, 3" in str(err.value)
    unknown = od.copy()
    unknown.loc[1, "site_id"] = shift - 100  # below the range of the site ids
    unknown.loc[4, "site_id"] = 2**62  # far above it
    unknown.loc[6, "site_id"] = -(2**63)  # the smallest int64
    gap = supply.drop(904 + shift)  # an id inside the range that is not a site
    with pytest.raises(InputValidationError) as err:
        balanced_fca(unknown, demand, gap)
    message = str(err.value)
    expected = [1, 4, 6, *np.flatnonzero(unknown["site_id"].to_numpy() == 904 + shift)]
    assert f"{len(expected)} rows with an id not in the supply index" in message
    assert ", ".join(map(str, sorted(expected)[:3])) in message
    lost = od.copy()
    lost.loc[0, "origin_id"] = 99  # an origin that is not an area
    with pytest.raises(InputValidationError, match="1 row with an id not in the demand"):
        balanced_fca(lost, demand, supply)
