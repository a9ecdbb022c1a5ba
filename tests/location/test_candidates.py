"""k-means candidate sites: known weighted means, brute-force exclusion and snapping, errors.

The tests prove that on well-separated weighted clusters each candidate is the
weighted mean of its cluster (worked out by hand below); that the exclusion
drops exactly the areas a brute-force loop over the OD table finds within the
limit; that weights (not counts) decide where a centre goes; that a fixed seed
gives the same frame; that snapping picks distinct points of the snap set with
the least total move (checked against every assignment on a tiny case); that
bad inputs are all reported at once; and, on the synthetic demo region, that the
candidates generated away from existing hospitals lie in unserved areas.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point, box

from accessplan.data import load_demo
from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.location.candidates import CANDIDATE_COLUMNS, kmeans_candidates
from accessplan.spatial.travel_time import network_travel_times

CRS = "EPSG:32631"  # UTM 31N, projected metres
X0, Y0 = 500_000.0, 6_100_000.0  # an offset, so coordinates look like real UTM ones


def areas_from(rows, crs=CRS):
    """rows: (area_id, x, y, population) with x, y relative to (X0, Y0)."""
    ids, xs, ys, pops = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"area_id": list(ids), "population": list(pops)},
        geometry=gpd.points_from_xy(np.add(xs, X0), np.add(ys, Y0)),
        crs=crs,
    )


def xy(frame):
    return np.column_stack([frame.geometry.x - X0, frame.geometry.y - Y0])


# Three clusters some 10 km apart, each a few tens of metres wide.
#   A: (0,0) w1, (10,0) w3                      -> mean (7.5, 0),        weight 4
#   B: (10000,10000) w2, (10000,10030) w1,
#      (10030,10000) w3                         -> mean (10015, 10005),  weight 6
#   C: (-5000,8000) w5, (-5000,8020) w5         -> mean (-5000, 8010),   weight 10
CLUSTERS = [
    ("a1", 0, 0, 1),
    ("a2", 10, 0, 3),
    ("b1", 10_000, 10_000, 2),
    ("b2", 10_000, 10_030, 1),
    ("b3", 10_030, 10_000, 3),
    ("c1", -5_000, 8_000, 5),
    ("c2", -5_000, 8_020, 5),
]
# sorted by weight, descending: C, B, A
EXPECTED_XY = np.array([[-5000.0, 8010.0], [10015.0, 10005.0], [7.5, 0.0]])
EXPECTED_WEIGHT = np.array([10.0, 6.0, 4.0])


# --------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------


def test_centres_are_hand_computed_weighted_means():
    out = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=50)
    np.testing.assert_allclose(xy(out), EXPECTED_XY, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(out["population_in_cluster"], EXPECTED_WEIGHT)
    assert out["site_id"].tolist() == ["K01", "K02", "K03"]


def test_output_columns_and_candidate_contract():
    out = kmeans_candidates(
        areas_from(CLUSTERS),
        n=3,
        site_cost=2.5e6,
        unit_cost=1e4,
        max_units=80,
        min_units=10,
        id_prefix="NEW",
    )
    assert isinstance(out, gpd.GeoDataFrame)
    assert tuple(out.columns) == CANDIDATE_COLUMNS
    assert out.crs == CRS
    assert (out.geom_type == "Point").all()
    assert out["site_id"].tolist() == ["NEW01", "NEW02", "NEW03"]
    assert (out["site_cost"] == 2.5e6).all() and (out["unit_cost"] == 1e4).all()
    assert (out["max_units"] == 80).all() and (out["min_units"] == 10).all()
    assert out["max_units"].dtype.kind == "i" and out["min_units"].dtype.kind == "i"
    assert out.index.tolist() == [0, 1, 2]


def test_ids_widen_past_99():
    rows = [(f"p{i}", (i % 12) * 1000, (i // 12) * 1000, 1 + i) for i in range(120)]
    out = kmeans_candidates(areas_from(rows), n=100, max_units=10)
    assert out["site_id"].iloc[0] == "K001" and out["site_id"].iloc[-1] == "K100"
    assert out["site_id"].is_unique
    assert out["population_in_cluster"].is_monotonic_decreasing
    # every area's weight is in exactly one cluster
    assert out["population_in_cluster"].sum() == sum(r[3] for r in rows)


def test_polygons_use_their_representative_point():
    points = areas_from(CLUSTERS)
    # an L-shaped polygon around each point: its centroid may lie outside it,
    # its representative point never does
    polys = points.copy()
    polys["geometry"] = [
        box(p.x - 40, p.y - 40, p.x + 40, p.y + 40).difference(box(p.x, p.y, p.x + 41, p.y + 41))
        for p in points.geometry
    ]
    reps = polys.copy()
    reps["geometry"] = polys.representative_point()
    assert not reps.geometry.geom_equals(polys.centroid).any()  # the two ways differ here
    got = kmeans_candidates(polys, n=3, max_units=5)
    want = kmeans_candidates(reps, n=3, max_units=5)
    assert_geodataframe_equal(got, want)
    # and the centres are the weighted means of those representative points
    r = xy(reps)
    w = polys["population"].to_numpy(float)
    for members, centre in zip(([5, 6], [2, 3, 4], [0, 1]), xy(got), strict=True):
        np.testing.assert_allclose(centre, np.average(r[members], axis=0, weights=w[members]))


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------


def test_moving_weight_moves_the_centre_to_the_new_weighted_mean():
    before = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5)
    moved = [list(r) for r in CLUSTERS]
    moved[2][3], moved[4][3] = 5, 0.5  # B: (10000,10000) w5, (10000,10030) w1, (10030,10000) w0.5
    after = kmeans_candidates(areas_from([tuple(r) for r in moved]), n=3, max_units=5)
    # B now weighs 6.5: x = (5*10000 + 10000 + 0.5*10030)/6.5, y = (5*10000 + 10030 + 0.5*10000)/6.5
    b_new = np.array([(60_000 + 5_015) / 6.5, (65_030) / 6.5])
    np.testing.assert_allclose(xy(after), [EXPECTED_XY[0], b_new, EXPECTED_XY[2]], atol=1e-6)
    np.testing.assert_array_equal(after["population_in_cluster"], [10.0, 6.5, 4.0])
    # the other clusters did not move; B did
    np.testing.assert_allclose(xy(after)[[0, 2]], xy(before)[[0, 2]], atol=1e-9)
    assert np.linalg.norm(xy(after)[1] - xy(before)[1]) > 5


def test_weights_not_counts_decide_a_single_centre():
    rng = np.random.default_rng(7)
    n = 40
    pts = rng.uniform(-20_000, 20_000, (n, 2))
    pop = rng.integers(0, 5_000, n).astype(float)
    rows = [(f"r{i}", *pts[i], pop[i]) for i in range(n)]
    out = kmeans_candidates(areas_from(rows), n=1, max_units=5)
    np.testing.assert_allclose(xy(out)[0], np.average(pts, axis=0, weights=pop), atol=1e-6)
    assert np.linalg.norm(xy(out)[0] - pts.mean(axis=0)) > 100  # the unweighted mean is elsewhere


def brute_force_kmeans(pts, w, k):
    """The least weighted sum of squares over every labelling of the points into k groups."""
    labels = np.array(list(itertools.product(range(k), repeat=len(pts))))
    member = (labels[:, :, None] == np.arange(k)).astype(float)  # labelling x point x group
    mass = np.einsum("apk,p->ak", member, w)
    sums = np.einsum("apk,p,pd->akd", member, w, pts)
    squares = np.einsum("apk,p->ak", member, w * (pts**2).sum(axis=1))
    sse = (squares - (sums**2).sum(axis=2) / np.where(mass > 0, mass, 1)).sum(axis=1)
    sse[(mass == 0).any(axis=1)] = np.inf
    best = np.argmin(sse)
    return labels[best], sse[best]


def weighted_sse(pts, w, centres):
    d2 = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return float((w * d2.min(axis=1)).sum()), d2.argmin(axis=1)


@pytest.mark.parametrize("seed", [0, 1, 3, 7])
def test_weighted_optimum_found_by_brute_force(seed):
    # 8 points, heavy-tailed weights, 3 clusters: every one of the 3**8 labellings is
    # tried. The seeds are the ones among 0..9 where the weights change the best
    # partition (checked below); on seed 8 k-means stops in a local optimum 7 % worse,
    # as the heuristic may.
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 10_000, (8, 2))
    w = np.round(rng.pareto(1.0, 8) * 100 + 1)
    best_labels, best_sse = brute_force_kmeans(pts, w, 3)
    plain_labels, _ = brute_force_kmeans(pts, np.ones(8), 3)
    assert len(set(zip(best_labels, plain_labels, strict=True))) > 3  # weights matter here

    out = kmeans_candidates(areas_from([(i, *pts[i], w[i]) for i in range(8)]), n=3, max_units=1)
    sse, labels = weighted_sse(pts, w, xy(out))
    assert sse == pytest.approx(best_sse, rel=1e-9)
    # same partition as the optimum, and each centre its weighted mean
    assert len(set(zip(labels, best_labels, strict=True))) == 3
    for g in range(3):
        np.testing.assert_allclose(
            xy(out)[g], np.average(pts[labels == g], axis=0, weights=w[labels == g]), atol=1e-6
        )


@pytest.mark.parametrize("seed", range(10))
def test_centres_are_a_fixed_point_of_weighted_lloyd(seed):
    # whatever optimum k-means stops in: every area belongs to its nearest centre, each
    # centre is the weighted mean of its areas and population_in_cluster their weight
    rng = np.random.default_rng(100 + seed)
    pts = rng.uniform(0, 30_000, (60, 2))
    w = rng.integers(0, 2_000, 60).astype(float)
    out = kmeans_candidates(areas_from([(i, *pts[i], w[i]) for i in range(60)]), n=7, max_units=1)
    centres = xy(out)
    _, labels = weighted_sse(pts, w, centres)
    labels[w == 0] = -1  # zero-weight areas belong to no cluster
    for g in range(7):
        members = labels == g
        np.testing.assert_allclose(
            centres[g], np.average(pts[members], axis=0, weights=w[members]), atol=1e-6
        )
        assert out["population_in_cluster"].iloc[g] == pytest.approx(w[members].sum())


def test_zero_weight_areas_are_ignored():
    far_empty = [("z1", 900_000, -900_000, 0), ("z2", -3_000, -3_000, 0)]
    with_zeros = kmeans_candidates(areas_from(CLUSTERS + far_empty), n=3, max_units=5)
    without = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5)
    assert_geodataframe_equal(with_zeros, without)


def test_weight_by_column_name_or_series():
    areas = areas_from(CLUSTERS)
    need = pd.Series([4.0, 1.0, 1.0, 1.0, 1.0, 2.0, 6.0], index=areas["area_id"])
    areas["need"] = need.to_numpy()
    by_column = kmeans_candidates(areas, n=3, weight="need", max_units=5)
    # a shuffled Series is aligned by area id
    by_series = kmeans_candidates(areas, n=3, weight=need.iloc[::-1], max_units=5)
    assert_geodataframe_equal(by_column, by_series)
    # C: (-5000, 8000) w2, (-5000, 8020) w6 -> y = 8015, weight 8;
    # A: (0,0) w4, (10,0) w1 -> x = 2, weight 5; B: all w1 -> (10010, 10010), weight 3
    np.testing.assert_allclose(
        xy(by_column), [[-5000.0, 8015.0], [2.0, 0.0], [10010.0, 10010.0]], atol=1e-6
    )
    np.testing.assert_array_equal(by_column["population_in_cluster"], [8.0, 5.0, 3.0])


def test_identical_points_count_as_one_point_with_their_summed_weight():
    twice = [*CLUSTERS, ("c1bis", -5_000, 8_000, 5)]  # C becomes (-5000,8000) w10, (-5000,8020) w5
    out = kmeans_candidates(areas_from(twice), n=3, max_units=5)
    np.testing.assert_allclose(xy(out)[0], [-5000.0, 8000.0 + 20 * 5 / 15], atol=1e-6)
    assert out["population_in_cluster"].iloc[0] == 15


# --------------------------------------------------------------------------
# Exclusion by travel time
# --------------------------------------------------------------------------


def random_case(seed, n_areas=150, n_sites=4):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 50_000, (n_areas, 2))
    pop = rng.integers(0, 3_000, n_areas).astype(float)
    areas = areas_from([(f"A{i:03d}", *pts[i], pop[i]) for i in range(n_areas)])
    # a sparse OD table: each area reaches a random subset of sites; some none at all
    rows = []
    for i in range(n_areas):
        for s in range(n_sites):
            if rng.random() < 0.5:
                rows.append((f"A{i:03d}", f"H{s}", float(rng.integers(0, 61))))
    od = pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])
    return areas, od


@pytest.mark.parametrize("limit", [0, 20, 30.5, 45])
def test_exclusion_drops_exactly_the_areas_a_brute_force_loop_finds(limit):
    areas, od = random_case(3)
    # brute force: an area is served if any of its OD rows is within the limit
    served = set()
    for origin, minutes in zip(od["origin_id"], od["minutes"], strict=True):
        if minutes <= limit:
            served.add(origin)
    kept = areas[[a not in served for a in areas["area_id"]]]
    assert 0 < len(kept) < len(areas)  # the case is not trivial

    got = kmeans_candidates(areas, n=6, exclude_within_minutes=limit, od=od, max_units=5)
    want = kmeans_candidates(kept, n=6, max_units=5)
    assert_geodataframe_equal(got, want)
    assert got["population_in_cluster"].sum() == kept["population"].sum()


def test_exclusion_limit_is_inclusive_and_unlisted_areas_are_kept():
    areas = areas_from(CLUSTERS)
    # a1 exactly at the limit, a2 just above; b* twice, the nearest within;
    # c* have no row (farther than anything in the table): kept
    od = pd.DataFrame(
        {
            "origin_id": ["a1", "a2", "b1", "b1", "b2", "b2", "b3"],
            "site_id": ["H1", "H1", "H1", "H2", "H1", "H2", "H2"],
            "minutes": [30.0, 30.000001, 45.0, 12.0, 50.0, 29.0, 31.0],
        }
    )
    out = kmeans_candidates(areas, n=3, exclude_within_minutes=30, od=od, max_units=5)
    # left: a2 (10,0) w3, b3 (10030,10000) w3, c1+c2 -> three clusters of one place each
    np.testing.assert_allclose(xy(out), [[-5000, 8010], [10, 0], [10030, 10000]], atol=1e-6)
    np.testing.assert_array_equal(out["population_in_cluster"], [10.0, 3.0, 3.0])


def test_nothing_left_after_exclusion_is_a_clear_error():
    areas = areas_from(CLUSTERS)
    od = pd.DataFrame({"origin_id": areas["area_id"], "site_id": "H1", "minutes": 10.0})
    with pytest.raises(InputValidationError, match=r"no area is left.*within 15 minutes"):
        kmeans_candidates(areas, n=2, exclude_within_minutes=15, od=od, max_units=5)


def test_n_larger_than_points_left_after_exclusion():
    areas = areas_from(CLUSTERS)
    od = pd.DataFrame({"origin_id": ["a1", "a2", "b1", "b2"], "site_id": "H1", "minutes": 5.0})
    with pytest.raises(
        InputValidationError, match=r"n=4 .* only 3 distinct .* after the exclusion"
    ):
        kmeans_candidates(areas, n=4, exclude_within_minutes=15, od=od, max_units=5)


# --------------------------------------------------------------------------
# Determinism and inputs left alone
# --------------------------------------------------------------------------


def test_same_seed_same_frame_and_input_unchanged():
    areas, od = random_case(11, n_areas=300)
    copy = areas.copy()
    od_copy = od.copy()
    runs = [
        kmeans_candidates(
            areas, n=12, exclude_within_minutes=25, od=od, max_units=5, random_state=42
        )
        for _ in range(2)
    ]
    assert_geodataframe_equal(runs[0], runs[1])
    assert_geodataframe_equal(areas, copy)
    pd.testing.assert_frame_equal(od, od_copy)
    # the default seed is fixed too
    assert_geodataframe_equal(
        kmeans_candidates(areas, n=12, max_units=5), kmeans_candidates(areas, n=12, max_units=5)
    )


# --------------------------------------------------------------------------
# Snapping
# --------------------------------------------------------------------------


def snap_points(coords, crs=CRS):
    arr = np.asarray(coords, dtype=float)
    return gpd.GeoSeries(gpd.points_from_xy(arr[:, 0] + X0, arr[:, 1] + Y0), crs=crs)


def test_snap_moves_each_centre_to_its_nearest_snap_point_when_no_conflict():
    rng = np.random.default_rng(5)
    targets = rng.uniform(-6_000, 12_000, (400, 2))
    snap = snap_points(targets)
    centres = xy(kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5))
    nearest = [targets[np.argmin(np.hypot(*(targets - c).T))] for c in centres]  # brute force
    assert len({tuple(p) for p in nearest}) == 3  # no two centres share a nearest point here
    out = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5, snap_to=snap)
    np.testing.assert_allclose(xy(out), nearest, atol=1e-6)
    # snapping changes the place, not the cluster
    np.testing.assert_array_equal(out["population_in_cluster"], EXPECTED_WEIGHT)


def test_snap_gives_distinct_points_of_the_set_with_least_total_move():
    # centres of the three clusters: C (-5000, 8010), B (10015, 10005), A (7.5, 0).
    targets = np.array(
        [
            [5_000.0, 5_000.0],  # p0: nearest to both A (7066 m) and B (7082 m)
            [5_000.0, 5_000.0],  # the same place again: counts once
            [-5_000.0, 8_500.0],  # p2: nearest to C (490 m)
            [-8_000.0, -8_000.0],  # p3: A 11300 m
            [16_000.0, 16_000.0],  # p4: B 8471 m
            [-9_000.0, 12_000.0],  # p5
        ]
    )
    distinct = np.unique(targets, axis=0)
    dist = np.linalg.norm(EXPECTED_XY[:, None, :] - distinct[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    assert nearest[1] == nearest[2]  # the case has a conflict: A and B want the same point

    out = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5, snap_to=snap_points(targets))
    got = xy(out)
    # every candidate is a snap point, and no two are the same
    assert all(np.isclose(distinct, p, atol=1e-6).all(axis=1).any() for p in got)
    assert len(np.unique(np.round(got, 3), axis=0)) == 3
    # total distance moved is the least over every injective assignment (brute force)
    totals = {
        perm: sum(dist[i, j] for i, j in enumerate(perm))
        for perm in itertools.permutations(range(len(distinct)), 3)
    }
    best = min(totals.values())
    moved = np.linalg.norm(got - EXPECTED_XY, axis=1).sum()
    assert moved == pytest.approx(best, rel=1e-12)
    # here the least move is A -> p0, B -> p4 (16027 m), not the heavier B taking p0 first
    # and A going on to p3 (18872 m)
    np.testing.assert_allclose(got, [[-5_000, 8_500], [16_000, 16_000], [5_000, 5_000]])
    assert best < min(t for perm, t in totals.items() if distinct[perm[1]][0] == 5_000) - 2_000


def test_snap_set_in_another_crs_is_reprojected():
    rng = np.random.default_rng(9)
    targets = rng.uniform(-6_000, 12_000, (200, 2))
    snap = gpd.GeoDataFrame({"node": range(200)}, geometry=snap_points(targets))
    in_utm = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5, snap_to=snap)
    in_wgs = kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5, snap_to=snap.to_crs(4326))
    np.testing.assert_allclose(xy(in_wgs), xy(in_utm), atol=1e-3)
    assert in_wgs.crs == CRS


def test_snap_set_with_too_few_distinct_points():
    snap = snap_points([[0, 0], [0, 0], [100, 100]])
    with pytest.raises(InputValidationError, match="2 distinct points, fewer than the n=3"):
        kmeans_candidates(areas_from(CLUSTERS), n=3, max_units=5, snap_to=snap)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_every_problem_is_reported_at_once():
    areas = areas_from(CLUSTERS).to_crs(4326)  # geographic
    areas.loc[1, "area_id"] = "a1"  # duplicate id
    areas.loc[3, "population"] = -2
    areas.loc[4, "population"] = math.nan
    with pytest.raises(InputValidationError) as info:
        kmeans_candidates(
            areas, n=0, max_units=5, min_units=9, site_cost=-1, exclude_within_minutes=30
        )
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, AccessplanError)
    text = str(err)
    for expected in (
        "geographic",
        "id is not unique",
        "weight must be a finite number >= 0",
        "n must be a whole number >= 1",
        "min_units (9) is larger than max_units (5)",
        "site_cost must be a finite number >= 0",
        "exclude_within_minutes needs od",
    ):
        assert expected in text, expected
    assert len(err.problems) == 7
    # rows are named by area id
    weight_problem = next(p for p in err.problems if "weight" in p.message)
    assert weight_problem.rows == ("b2", "b3")


@pytest.mark.parametrize(
    ("change", "kwargs", "message"),
    [
        (lambda a: a.set_crs(None, allow_override=True), {}, "has no CRS"),
        (lambda a: a.drop(columns="population"), {}, "weight column is missing"),
        (lambda a: a.drop(columns="area_id"), {}, "id column is missing"),
        (lambda a: a.assign(population=a["population"].astype(str)), {}, "not numeric"),
        (
            lambda a: a.set_geometry([LineString([(0, 0), (1, 1)]), *a.geometry[1:]], crs=CRS),
            {},
            "must be a Point, Polygon or MultiPolygon",
        ),
        (
            lambda a: a.set_geometry([None, *a.geometry[1:]], crs=CRS),
            {},
            "geometry is missing or empty",
        ),
        (lambda a: a, {"n": 2.5}, "n must be a whole number"),
        (lambda a: a, {"n": True}, "n must be a whole number"),
        (lambda a: a, {"max_units": 0}, "max_units must be a whole number >= 1"),
        (lambda a: a, {"min_units": 1.5}, "min_units must be a whole number >= 0"),
        (lambda a: a, {"unit_cost": math.inf}, "unit_cost must be a finite number"),
        (lambda a: a, {"id_prefix": 3}, "id_prefix must be a string"),
        (lambda a: a, {"weight": 3}, "weight must be a column name or a Series"),
        (lambda a: a, {"weight": pd.Series({"a1": 1.0})}, "area has no weight in the Series"),
        (
            lambda a: a,
            {"od": pd.DataFrame({"origin_id": ["a1"], "site_id": ["H"], "minutes": [1.0]})},
            "od is given but exclude_within_minutes is not",
        ),
        (
            lambda a: a,
            {"exclude_within_minutes": -1, "od": pd.DataFrame()},
            "exclude_within_minutes must be",
        ),
        (
            lambda a: a,
            {"exclude_within_minutes": 5, "od": pd.DataFrame({"origin_id": ["a1"]})},
            "column 'minutes': column is missing",
        ),
        (
            lambda a: a,
            {
                "exclude_within_minutes": 5,
                "od": pd.DataFrame({"origin_id": ["a1"], "site_id": ["H"], "minutes": [-3.0]}),
            },
            "minutes must be finite numbers >= 0",
        ),
        (
            lambda a: a,
            {
                "exclude_within_minutes": 5,
                "od": pd.DataFrame(
                    {"origin_id": [1, 2], "site_id": ["H", "H"], "minutes": [1.0, 2.0]}
                ),
            },
            "no origin_id matches an area id",
        ),
        (lambda a: a, {"snap_to": [Point(0, 0)]}, "expected a GeoSeries or GeoDataFrame"),
        (lambda a: a, {"snap_to": gpd.GeoSeries([Point(0, 0)])}, "snap_to: has no CRS"),
        (
            lambda a: a,
            {"snap_to": gpd.GeoSeries([box(0, 0, 1, 1)], crs=CRS)},
            "every geometry must be a non-empty Point",
        ),
        (lambda a: a, {"n": 8}, "n=8 candidates asked for, but only 7 distinct"),
        (lambda a: a.assign(population=0), {}, "no area has a weight > 0"),
    ],
)
def test_each_bad_input_is_named(change, kwargs, message):
    args = {"n": 3, "max_units": 5, **kwargs}
    with pytest.raises(InputValidationError, match=None) as info:
        kmeans_candidates(change(areas_from(CLUSTERS)), **args)
    assert message in str(info.value)


def test_not_a_geodataframe():
    frame = pd.DataFrame({"area_id": ["a"], "population": [1.0]})
    with pytest.raises(InputValidationError, match="expected a GeoDataFrame"):
        kmeans_candidates(frame, n=1, max_units=5)


# --------------------------------------------------------------------------
# The synthetic demo region
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_case():
    region = load_demo()
    origins = region.areas.copy()
    origins["geometry"] = region.areas.representative_point()
    od = network_travel_times(
        region.graph,
        origins,
        region.hospitals,
        origin_id="area_id",
        site_id="site_id",
        max_minutes=30,
    ).od
    served = set(od["origin_id"])  # the table holds only pairs within 30 minutes
    return region, origins, od, served


def test_demo_candidates_avoid_areas_within_30_minutes(demo_case):
    region, _, od, served = demo_case
    kept = region.areas[~region.areas["area_id"].isin(served)]
    assert 0 < len(kept) < len(region.areas)

    out = kmeans_candidates(
        region.areas, n=20, exclude_within_minutes=30, od=od, max_units=200, site_cost=1e7
    )
    assert len(out) == 20 and out.crs == region.crs
    # all the weight clustered is that of the unserved areas
    assert out["population_in_cluster"].sum() == kept["population"].sum()
    # each candidate lies in an unserved area, or in no area at all (between them)
    hit = gpd.sjoin(out, region.areas[["area_id", "geometry"]], how="left", predicate="within")
    assert hit["site_id"].is_unique  # the areas do not overlap
    in_served = hit["area_id"].isin(served)
    assert not in_served.any(), hit.loc[in_served, ["site_id", "area_id"]]


def test_demo_candidates_snapped_to_unserved_area_points(demo_case):
    region, origins, od, served = demo_case
    snap = origins[~origins["area_id"].isin(served)]
    out = kmeans_candidates(
        region.areas, n=20, exclude_within_minutes=30, od=od, max_units=200, snap_to=snap
    )
    chosen = gpd.sjoin(out, snap[["area_id", "geometry"]], how="inner", predicate="intersects")
    assert len(chosen) == 20  # each candidate sits exactly on an unserved area's point
    assert chosen["area_id"].is_unique and chosen["site_id"].is_unique
