"""p-median and p-center: spopt's San Francisco answers, brute force on tiny instances."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.median import MedianResult, p_center, p_median
from accessplan.location.solver import SolverOptions

SOLVERS = ("cbc", "highs")


# ============================================================ San Francisco (spopt)


@pytest.fixture(scope="module")
def sf(shared_data):
    folder = shared_data / "spopt_sf"
    tracts = pd.read_csv(folder / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    raw = pd.read_csv(
        folder / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
        dtype={"DestinationName": str},
    )
    od = pd.DataFrame(
        {"origin_id": raw["DestinationName"], "site_id": raw["name"], "minutes": raw["distance"]}
    )
    demand = pd.Series(tracts["POP2000"].to_numpy(float), index=tracts["NAME"], name="POP2000")
    stores = pd.read_csv(folder / "SF_store_site_16_longlat.csv")
    candidates = gpd.GeoDataFrame(
        {"site_id": stores["NAME"]},
        geometry=gpd.points_from_xy(stores["long"], stores["lat"]),
        crs="EPSG:4326",
    )
    # dense tracts x stores distances, for brute force over every 4-store set
    dense = od.pivot(index="origin_id", columns="site_id", values="minutes")
    dense = dense.loc[demand.index, candidates["site_id"]]
    return od, demand, candidates, dense


def test_sf_instance_is_complete(sf):
    _, demand, candidates, dense = sf
    assert len(demand) == 205 and demand.sum() == 955_113
    assert len(candidates) == 16 and not dense.isna().any().any()


def _all_subsets(dense: pd.DataFrame, p: int) -> tuple[np.ndarray, list]:
    d = dense.to_numpy()
    subsets = list(itertools.combinations(range(d.shape[1]), p))
    best = np.stack([d[:, list(s)].min(axis=1) for s in subsets])  # subsets x areas
    return best, subsets


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_p_median_matches_spopt(sf, solver):
    od, demand, candidates, dense = sf
    result = p_median(od, demand, candidates, p=4, solver_options=SolverOptions(solver=solver))
    assert isinstance(result, MedianResult)
    assert result.report.proven_optimal
    # spopt's mean distance (tests/test_locate/test_p_median.py)
    assert result.totals["mean_minutes"] == pytest.approx(2982.1268579890657, rel=1e-9)
    assert result.report.objective / demand.sum() == pytest.approx(2982.1268579890657, rel=1e-9)
    assert len(result.chosen) == 4
    assert (result.areas["status"] == "assigned").all()
    # brute force over all 1,820 four-store sets: nothing better exists
    best, _ = _all_subsets(dense, 4)
    optimum = (best @ demand.to_numpy()).min() / demand.sum()
    assert result.totals["mean_minutes"] == pytest.approx(optimum, rel=1e-12)
    # the chosen set achieves what the result says, recomputed from the table
    chosen = dense[list(result.totals["chosen_sites"])].min(axis=1)
    assert float(chosen @ demand) / demand.sum() == pytest.approx(2982.1268579890657, rel=1e-12)


def test_sf_spopt_sites_are_an_optimum(sf):
    _, demand, _, dense = sf
    spopt_sites = ["Store_2", "Store_11", "Store_12", "Store_15"]
    mean = float(dense[spopt_sites].min(axis=1) @ demand) / demand.sum()
    assert mean == pytest.approx(2982.1268579890657, rel=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
def test_sf_p_center_matches_spopt(sf, solver):
    od, demand, candidates, dense = sf
    result = p_center(od, demand, candidates, p=4, solver_options=SolverOptions(solver=solver))
    assert result.report.proven_optimal
    assert result.report.best_bound == pytest.approx(result.report.objective, rel=1e-12)
    assert result.totals["objective"] == pytest.approx(7403.0638, abs=1e-4)
    assert result.report.objective == pytest.approx(7403.0638, abs=1e-4)
    best, _ = _all_subsets(dense, 4)
    assert result.totals["objective"] == pytest.approx(best.max(axis=1).min(), rel=1e-12)
    # tie-break: the smallest demand-weighted time among the 4-sets with that radius
    radius = best.max(axis=1)
    ties = radius <= radius.min() * (1 + 1e-12)
    weighted = best[ties] @ demand.to_numpy()
    assert result.totals["weighted_minutes"] == pytest.approx(weighted.min(), rel=1e-9)
    # geometry of the candidates is kept
    assert isinstance(result.chosen, gpd.GeoDataFrame)
    assert result.chosen.crs == candidates.crs


# ============================================================ brute force on tiny cases


def _instance(seed: int, *, n_areas=9, n_cand=6, n_exist=1, density=0.55):
    rng = np.random.default_rng(seed)
    areas = [f"a{i}" for i in range(n_areas)]
    cands = [f"c{j}" for j in range(n_cand)]
    exist = [f"e{j}" for j in range(n_exist)]
    rows = [
        (a, s, float(rng.integers(1, 60)))
        for a in areas
        for s in cands + exist
        if rng.random() < density
    ]
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    demand = pd.Series(rng.integers(0, 50, n_areas).astype(float), index=areas)
    candidates = pd.DataFrame({"site_id": cands, "site_cost": rng.integers(1, 9, n_cand)})
    existing = pd.DataFrame({"site_id": exist}) if exist else None
    return od, demand, candidates, existing


def _brute(od, demand, candidates, existing, p, unassigned, kind):
    """Best objective over every p-subset, straight from the definitions; None if none works."""
    lookup = {(o, s): m for o, s, m in od.itertuples(index=False)}
    exist = [] if existing is None else list(existing["site_id"])
    modelled = [a for a in demand.index if demand[a] > 0 and (od["origin_id"] == a).any()]
    best = None
    for subset in itertools.combinations(candidates["site_id"], p):
        open_sites = list(subset) + exist
        charged = []
        for a in modelled:
            times = [lookup[a, s] for s in open_sites if (a, s) in lookup]
            t = min(times, default=math.inf)
            if unassigned is not None:
                t = min(t, unassigned)
            charged.append(t)
        if any(math.isinf(t) for t in charged):
            continue
        if kind == "p-median":
            value = sum(demand[a] * t for a, t in zip(modelled, charged, strict=True))
        else:
            value = max(charged, default=0.0)
        best = value if best is None else min(best, value)
    return best


CASES = [
    # seed, p, n_exist, unassigned_minutes, density
    (0, 2, 1, None, 0.6),
    (1, 3, 0, None, 0.6),
    (2, 1, 2, None, 0.5),
    (3, 2, 0, 35.0, 0.4),
    (4, 2, 1, 20.0, 0.5),
    (5, 1, 0, None, 0.3),  # sparse: p=1 usually cannot reach everybody
    (6, 0, 2, 45.0, 0.5),
    (7, 2, 1, 50.0, 0.2),  # very sparse: areas without any OD row
]


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["p-median", "p-center"])
@pytest.mark.parametrize(("seed", "p", "n_exist", "unassigned", "density"), CASES)
def test_brute_force(seed, p, n_exist, unassigned, density, kind, solver):
    od, demand, candidates, existing = _instance(seed, n_exist=n_exist, density=density)
    expected = _brute(od, demand, candidates, existing, p, unassigned, kind)
    model = p_median if kind == "p-median" else p_center
    options = SolverOptions(solver=solver)
    if expected is None:
        with pytest.raises(InfeasibleModelError):
            model(od, demand, candidates, p=p, existing=existing,
                  unassigned_minutes=unassigned, solver_options=options)  # fmt: skip
        return
    result = model(
        od, demand, candidates, p=p, existing=existing, unassigned_minutes=unassigned,
        solver_options=options,
    )  # fmt: skip
    assert result.report.proven_optimal
    assert result.totals["objective"] == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert result.report.objective == pytest.approx(expected, rel=1e-7, abs=1e-7)
    assert len(result.chosen) == p
    _check_assignment(result, od, demand, existing, unassigned)


def _check_assignment(result, od, demand, existing, unassigned):
    """Every area sits at its nearest open site in the table; statuses are right."""
    open_sites = set(result.totals["chosen_sites"])
    if existing is not None:
        open_sites |= set(existing["site_id"])
    for area, row in result.areas.iterrows():
        mine = od[(od["origin_id"] == area) & od["site_id"].isin(open_sites)]
        nearest = mine["minutes"].min() if len(mine) else math.inf
        has_rows = (od["origin_id"] == area).any()
        if demand[area] <= 0:
            assert row["status"] == "zero_demand"
            assert math.isnan(row["charged_minutes"])
        elif not has_rows:
            assert row["status"] == "no_od_rows"
            assert area in result.totals["areas_without_od"]
        elif unassigned is not None and not nearest <= unassigned:
            assert row["status"] == "unassigned"
            assert pd.isna(row["site_id"])
            assert row["charged_minutes"] == unassigned
        else:
            assert row["status"] == "assigned"
            assert row["minutes"] == nearest == row["charged_minutes"]
            assert row["site_id"] in open_sites
            assert row["new_site"] == (row["site_id"] in result.totals["chosen_sites"])
    assigned = result.areas[result.areas["status"] == "assigned"]
    per_site = assigned.groupby("site_id")["demand"].sum()
    for _, site in result.chosen.iterrows():
        assert site["assigned_demand"] == per_site.get(site["site_id"], 0.0)


def test_zero_demand_area_does_not_set_the_center():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "b", "far"],
            "site_id": ["s", "t", "s", "t", "t"],
            "minutes": [1.0, 5.0, 6.0, 2.0, 100.0],
        }
    )
    demand = pd.Series({"a": 10.0, "b": 10.0, "far": 0.0, "lonely": 7.0})
    candidates = pd.DataFrame({"site_id": ["s", "t"]})
    result = p_center(od, demand, candidates, p=1)
    # were "far" counted, the largest time would be 100
    assert result.totals["objective"] == 5.0
    assert result.totals["chosen_sites"] == ("t",)
    assert result.areas.loc["far", "status"] == "zero_demand"
    assert result.areas.loc["far", "site_id"] == "t"  # nearest open site still shown
    assert result.areas.loc["lonely", "status"] == "no_od_rows"
    assert result.totals["areas_without_od"] == ("lonely",)
    assert result.totals["demand_without_od"] == 7.0


def test_existing_sites_are_open_and_prune_nothing_that_matters():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "b", "c", "c"],
            "site_id": ["e", "s", "e", "t", "s", "t"],
            "minutes": [3.0, 1.0, 4.0, 9.0, 2.0, 2.5],
        }
    )
    demand = pd.Series({"a": 1.0, "b": 1.0, "c": 1.0})
    candidates = pd.DataFrame({"site_id": ["s", "t"]})
    existing = pd.DataFrame({"site_id": ["e"]})
    result = p_median(od, demand, candidates, p=1, existing=existing)
    assert result.totals["chosen_sites"] == ("s",)
    assert result.totals["objective"] == 1.0 + 4.0 + 2.0
    assert result.areas.loc["b", "site_id"] == "e"
    assert not result.areas.loc["b", "new_site"]


def test_infeasible_names_the_way_out():
    od = pd.DataFrame({"origin_id": ["a", "b"], "site_id": ["s", "t"], "minutes": [1.0, 1.0]})
    demand = pd.Series({"a": 1.0, "b": 1.0})
    candidates = pd.DataFrame({"site_id": ["s", "t"]})
    with pytest.raises(InfeasibleModelError, match="unassigned_minutes") as info:
        p_median(od, demand, candidates, p=1)
    assert info.value.report is not None and info.value.report.status == "infeasible"
    with pytest.raises(InfeasibleModelError):
        p_center(od, demand, candidates, p=1)
    # with a penalty the same instance solves, leaving one area unassigned
    result = p_median(od, demand, candidates, p=1, unassigned_minutes=30.0)
    assert result.totals["objective"] == 31.0
    assert len(result.totals["areas_unassigned"]) == 1
    assert result.totals["demand_unassigned"] == 1.0


def test_inputs_are_not_mutated_and_geometry_is_kept():
    od, demand, candidates, existing = _instance(11, density=0.9)
    candidates = gpd.GeoDataFrame(
        candidates, geometry=[Point(i, 0) for i in range(len(candidates))], crs="EPSG:3857"
    )
    copies = [x.copy() for x in (od, demand, candidates, existing)]
    result = p_median(od, demand, candidates, p=2, existing=existing, unassigned_minutes=60.0)
    for before, after in zip(copies, (od, demand, candidates, existing), strict=True):
        if isinstance(before, pd.Series):
            pd.testing.assert_series_equal(before, after)
        else:
            pd.testing.assert_frame_equal(before, after)
    assert isinstance(result.chosen, gpd.GeoDataFrame)
    assert {"site_cost", "geometry", "assigned_demand"} <= set(result.chosen.columns)
    assert "p-median" in result.summary()


def test_validation_collects_every_problem():
    od = pd.DataFrame(
        {
            "origin_id": ["a", "a", "b", "zz"],
            "site_id": ["s", "s", "nowhere", "t"],
            "minutes": [1.0, 2.0, -3.0, 1.0],
        }
    )
    demand = pd.Series({"a": 1.0, "b": -2.0})
    candidates = pd.DataFrame({"site_id": ["s", "t", "t"]})
    with pytest.raises(InputValidationError) as info:
        p_median(od, demand, candidates, p=7, unassigned_minutes=-1)
    text = str(info.value)
    assert isinstance(info.value, AccessplanError) and isinstance(info.value, ValueError)
    for fragment in ("negative", "repeated site_id", "p must be", "unassigned_minutes"):
        assert fragment in text
    # OD ids are checked once the site ids are clean
    candidates = pd.DataFrame({"site_id": ["s", "t"]})
    with pytest.raises(InputValidationError) as info:
        p_median(od, demand.abs(), candidates, p=1, existing=pd.DataFrame({"site_id": ["e"]}))
    text = str(info.value)
    for fragment in ("not among the demand ids", "not among the site ids", "negative"):
        assert fragment in text
    with pytest.raises(InputValidationError, match="already an existing"):
        p_median(od, demand.abs(), candidates, p=1, existing=pd.DataFrame({"site_id": ["s"]}))
    with pytest.raises(InputValidationError, match="repeating an"):
        p_median(od.iloc[:2], demand.abs(), candidates, p=1)
