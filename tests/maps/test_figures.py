"""Tests of accessplan.maps.figures: PNGs, the shared classification, Lorenz and ECDF curves."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps import figures as F
from accessplan.maps.classes import NO_ACCESS_COLOR
from accessplan.maps.webmap import shared_classes
from accessplan.spatial.inequity import lorenz_points, weighted_gini


@pytest.fixture
def grid():
    """A 4 x 3 grid of unit squares with access before/after and populations."""
    rng = np.random.default_rng(7)
    cells = [box(x, y, x + 1, y + 1) for y in range(3) for x in range(4)]
    before = rng.uniform(0, 1, 12)
    before[[0, 5]] = 0.0
    after = np.clip(before + rng.uniform(-0.1, 0.6, 12), 0, None)
    return gpd.GeoDataFrame(
        {
            "area_id": [f"A{i}" for i in range(12)],
            "population": rng.integers(50, 500, 12).astype(float),
            "access_before": before,
            "access_after": after,
        },
        geometry=cells,
        crs="EPSG:32631",
    )


@pytest.fixture
def sites():
    return gpd.GeoDataFrame(
        {"site_id": ["H1", "H2", "C1"], "new": [False, False, True]},
        geometry=[Point(0.5, 0.5), Point(2.5, 1.5), Point(3.5, 2.5)],
        crs="EPSG:32631",
    )


def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# --------------------------------------------------------------------------
# shared classification
def test_shared_bins_quantiles_hand_example():
    # pooled values 1..10 (no zero); linear percentiles 20, 40, 60, 80, 100 %: 1 + p * 9
    bins = F.shared_bins([1, 2, 3, 4, 5], [6, 7, 8, 9, 10], k=5)
    np.testing.assert_allclose(bins, [2.8, 4.6, 6.4, 8.2, 10.0])


def test_shared_bins_quantiles_with_zero_hand_example():
    # pooled values 0..9: 0 alone is "no access"; 4 quartiles of 1..9 (1 + p * 8)
    bins = F.shared_bins([0, 1, 2, 3, 4], [5, 6, 7, 8, 9], k=5)
    np.testing.assert_allclose(bins, [0.0, 3.0, 5.0, 7.0, 9.0])


def test_shared_bins_equal_interval_hand_example():
    # pooled range 1..11 in 5 equal classes of width 2
    bins = F.shared_bins([1, 2], [4, 11], k=5, scheme="equal_interval")
    np.testing.assert_allclose(bins, [3, 5, 7, 9, 11])
    # with a zero: 0 alone, then the positives 2..10 in 4 equal classes of width 2
    bins = F.shared_bins([0, 2], [4, 10], k=5, scheme="equal_interval")
    np.testing.assert_allclose(bins, [0, 4, 6, 8, 10])


def test_shared_bins_pool_both_panels_not_one():
    before, after = [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]
    pooled = F.shared_bins(before, after, k=5)
    alone = F.shared_bins(before, before, k=5)
    assert pooled[-1] == 9.0  # the after maximum closes the last class
    assert not np.allclose(pooled, alone)
    # symmetric: the order of the panels does not matter
    np.testing.assert_allclose(F.shared_bins(after, before, k=5), pooled)


def test_shared_bins_ignores_nan_and_drops_duplicate_bins():
    bins = F.shared_bins([0, 0, 0, np.nan], [0, 0, 1, 2], k=5)
    assert np.all(np.diff(bins) > 0)
    assert bins[-1] == 2.0


def test_shared_bins_reports_every_problem():
    with pytest.raises(InputValidationError) as err:
        F.shared_bins([np.inf], [np.nan], k=0, scheme="bogus")
    text = str(err.value)
    for word in ("finite", "bogus", "k must be", "no finite value"):
        assert word in text


def test_classify_hand_example():
    got = F.classify([0, 1.8, 1.9, 9, 12, np.nan], [1.8, 3.6, 5.4, 7.2, 9.0])
    np.testing.assert_array_equal(got, [0, 0, 1, 4, 4, -1])


# --------------------------------------------------------------------------
# map figure
def test_access_maps_figure_png_size_and_bins(tmp_path, grid, sites):
    out = F.access_maps_figure(
        grid, sites, tmp_path / "sub" / "maps.png", dpi=50, figsize_inches=(8, 4)
    )
    assert out == tmp_path / "sub" / "maps.png"
    assert _png_size(out) == (400, 200)
    stored = json.loads(Image.open(out).text[F.BINS_KEY])
    expected = F.shared_bins(
        grid["access_before"], grid["access_after"], k=5, population=grid["population"]
    )
    np.testing.assert_allclose(stored, expected)
    # identical to the folium maps' classes (population-weighted by default there too)
    web = shared_classes(grid["access_before"], grid["access_after"], population=grid["population"])
    assert stored == list(web.bins)
    assert stored[0] == 0.0  # the grid has zeros: the "no access" class
    assert [p.name for p in out.parent.iterdir()] == ["maps.png"]  # no temp file left


def test_access_maps_same_colour_means_same_class(grid, sites):
    fig, bins = F._access_maps(
        grid,
        sites,
        before="access_before",
        after="access_after",
        k=4,
        scheme="quantiles",
        new_column="new",
        cmap="viridis",
        figsize_inches=(8, 4),
        titles=("b", "a"),
        value_format="{:.2f}",
    )
    assert len(fig.axes) == 2
    np.testing.assert_allclose(
        bins,
        F.shared_bins(
            grid["access_before"], grid["access_after"], k=4, population=grid["population"]
        ),
    )
    assert bins[0] == 0.0  # zeros in the grid: the "no access" class comes first
    classes, colours = [], []
    for ax, col in zip(fig.axes, ("access_before", "access_after"), strict=True):
        face = ax.collections[0].get_facecolor()  # the areas come first
        assert len(face) == len(grid)
        classes.append(F.classify(grid[col], bins))
        colours.append([tuple(np.round(c, 6)) for c in face])
    cls = np.concatenate(classes)
    col = colours[0] + colours[1]
    # across BOTH panels: equal colour <=> equal class
    for i in range(len(cls)):
        for j in range(len(cls)):
            assert (col[i] == col[j]) == (cls[i] == cls[j])
    # zero access is drawn light grey, and only zero access is
    grey = tuple(np.round(to_rgba(NO_ACCESS_COLOR), 6))
    values = np.r_[grid["access_before"], grid["access_after"]]
    assert [c == grey for c in col] == list(values == 0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "0 (no access)"
    # new site drawn only on the after panel: one extra marker collection there
    assert len(fig.axes[1].collections) == len(fig.axes[0].collections) + 1


def test_access_maps_missing_columns_all_reported(tmp_path, grid, sites):
    with pytest.raises(InputValidationError) as err:
        F.access_maps_figure(
            grid, sites.drop(columns="new"), tmp_path / "x.png", before="nope", after="nada"
        )
    text = str(err.value)
    assert "'nope'" in text and "'nada'" in text and "'new'" in text
    assert not (tmp_path / "x.png").exists()


# --------------------------------------------------------------------------
# Lorenz
def test_lorenz_labels_are_weighted_gini(tmp_path, grid):
    fig, ginis = F._lorenz(
        grid,
        before="access_before",
        after="access_after",
        weights="population",
        figsize_inches=(5, 5),
    )
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels[0] == "equality"
    for label, col in zip(labels[1:], ("access_before", "access_after"), strict=True):
        shown = float(re.search(r"Gini ([0-9.]+)", label).group(1))
        true = weighted_gini(grid[col], grid["population"])
        assert shown == pytest.approx(true, abs=5e-4)
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_xydata(), [[0, 0], [1, 1]])
    pts = lorenz_points(grid["access_after"], grid["population"])
    np.testing.assert_allclose(lines[2].get_xdata(), pts["population_share"])
    np.testing.assert_allclose(lines[2].get_ydata(), pts["access_share"])

    out = F.lorenz_figure(grid, tmp_path / "lorenz.png", dpi=40, figsize_inches=(5, 5))
    assert _png_size(out) == (200, 200)
    stored = json.loads(Image.open(out).text["accessplan:gini"])
    assert stored["before"] == pytest.approx(
        weighted_gini(grid["access_before"], grid["population"])
    )
    assert stored["after"] == pytest.approx(ginis["after"])


# --------------------------------------------------------------------------
# distribution
def test_distribution_ecdf_is_population_share(tmp_path, grid):
    fig, edges = F._distribution(
        grid,
        before="access_before",
        after="access_after",
        weights="population",
        bins=7,
        figsize_inches=(8, 3),
    )
    assert len(fig.axes) == 2
    pooled = np.r_[grid["access_before"], grid["access_after"]]
    np.testing.assert_allclose(edges, np.linspace(pooled.min(), pooled.max(), 8))
    pop = grid["population"].to_numpy()
    for line, col in zip(fig.axes[1].get_lines(), ("access_before", "access_after"), strict=True):
        x, y = line.get_xdata()[1:], line.get_ydata()[1:]
        values = grid[col].to_numpy()
        brute = [pop[values <= v].sum() / pop.sum() for v in x]
        np.testing.assert_allclose(y, brute)
        assert y[-1] == pytest.approx(1.0)
    # histograms carry the population: heights sum to the total for each curve
    for patch, col in zip(fig.axes[0].patches, ("access_before", "access_after"), strict=True):
        heights, _ = np.histogram(grid[col], bins=edges, weights=pop)
        top = patch.get_xy()[:, 1].max()
        assert top == pytest.approx(heights.max())

    out = F.access_distribution_figure(grid, tmp_path / "d.png", dpi=30, figsize_inches=(8, 3))
    assert _png_size(out) == (240, 90)


def test_distribution_bad_weights(tmp_path, grid):
    bad = grid.assign(population=-1.0)
    with pytest.raises(InputValidationError, match="weights"):
        F.access_distribution_figure(bad, tmp_path / "d.png")
