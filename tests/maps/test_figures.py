"""Tests of accessplan.maps.figures: PNGs, the shared classification, Lorenz and ECDF curves."""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_rgba
from PIL import Image
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps import figures as F
from accessplan.maps.classes import NO_ACCESS_COLOR, NO_ACCESS_HATCH, NO_DATA
from accessplan.maps.figure_layers import HATCH
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


def _maps(grid, sites, **kw):
    options = dict(
        before="access_before",
        after="access_after",
        k=4,
        scheme="quantiles",
        new_column="new",
        figsize_inches=(8, 4),
        titles=("b", "a"),
    )
    options.update(kw)
    return F._access_maps(grid, sites, **options)


def test_access_maps_same_colour_means_same_class(grid, sites):
    fig, classes = _maps(grid, sites)
    bins = np.asarray(classes.bins)
    assert len(fig.axes) == 2
    np.testing.assert_allclose(
        bins,
        F.shared_bins(
            grid["access_before"], grid["access_after"], k=4, population=grid["population"]
        ),
    )
    assert bins[0] == 0.0  # zeros in the grid: the "no access" class comes first
    classes_seen, colours = [], []
    for ax, col in zip(fig.axes, ("access_before", "access_after"), strict=True):
        face = ax.collections[0].get_facecolor()  # the areas come first
        assert len(face) == len(grid)
        classes_seen.append(F.classify(grid[col], bins))
        colours.append([tuple(np.round(c, 6)) for c in face])
    cls = np.concatenate(classes_seen)
    col = colours[0] + colours[1]
    # across BOTH panels: equal colour <=> equal class
    for i in range(len(cls)):
        for j in range(len(cls)):
            assert (col[i] == col[j]) == (cls[i] == cls[j])
    # the colours ARE the shared classes' colours (YlGnBu, as on the web maps), not a cmap
    expected = [tuple(np.round(to_rgba(classes.colors[c]), 6)) for c in cls]
    assert col == expected
    # zero access is drawn in NO_ACCESS_COLOR, and only zero access is
    grey = tuple(np.round(to_rgba(NO_ACCESS_COLOR), 6))
    values = np.r_[grid["access_before"], grid["access_after"]]
    assert [c == grey for c in col] == list(values == 0)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0] == "0 (no access)"
    # new site drawn only on the after panel: one extra marker collection there
    markers = [[c for c in ax.collections[1:] if not c.get_hatch()] for ax in fig.axes]
    assert len(markers[1]) == len(markers[0]) + 1


def test_dark_means_high_access(grid, sites):
    """One direction everywhere: the darker the class colour, the higher the access."""
    _, classes = _maps(grid, sites, k=5)
    ramp = classes.colors[1:] if classes.zero_class else classes.colors
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b, _ in map(to_rgba, ramp)]
    assert all(x > y for x, y in itertools.pairwise(luminance))


def test_no_access_hatched_on_map_and_legend(grid, sites):
    fig, _ = _maps(grid, sites)
    for ax, col in zip(fig.axes, ("access_before", "access_after"), strict=True):
        hatched = [c for c in ax.collections if c.get_hatch()]
        zeros = int((grid[col] == 0).sum())
        if zeros:
            # one hatch layer over exactly the zero-access areas, hatch in NO_ACCESS_HATCH
            assert len(hatched) == 1
            assert len(hatched[0].get_paths()) == zeros
            assert hatched[0].get_hatch() == HATCH
            np.testing.assert_allclose(hatched[0].get_edgecolor()[0], to_rgba(NO_ACCESS_HATCH))
        else:
            assert hatched == []
    swatches = fig.legends[0].get_patches()
    assert swatches[0].get_hatch() == HATCH  # "0 (no access)"
    assert all(not p.get_hatch() for p in swatches[1:])


def test_no_score_is_solid_grey_with_its_own_label(grid, sites):
    grid = grid.assign(access_after=grid["access_after"].where(grid.index != 7))
    fig, _ = _maps(grid, sites)
    face = fig.axes[1].collections[0].get_facecolor()
    np.testing.assert_allclose(face[7], to_rgba(NO_DATA))
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "no score" in labels and "no data" not in labels


def test_scaled_labels_never_repeat_a_number(grid, sites):
    # bounds 0.0043127 and 0.0043141 read "4.31 - 4.31" (per 1,000) with 3 significant digits
    values = np.array([0.0, 0.0043110, 0.0043127, 0.0043141, 0.0043160, 0.0051, 0.0062, 0.007])
    areas = grid.iloc[:8].assign(access_before=values, access_after=values)
    fig, classes = _maps(
        areas,
        None,
        k=7,
        population=None,
        access_scale=1000,
        access_units="beds per 1,000 people aged 65+",
    )
    assert classes.bins == (0.0, 0.0043127, 0.0043141, 0.004316, 0.0051, 0.0062, 0.007)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [
        "0 (no access)",
        ">0 \u2013 4.313",
        "4.313 \u2013 4.314",
        "4.314 \u2013 4.316",
        "4.316 \u2013 5.1",
        "5.1 \u2013 6.2",
        "6.2 \u2013 7",
    ]
    assert "beds per 1,000 people aged 65+" in fig.legends[0].get_title().get_text()


def test_point_areas_are_filled_circles_with_hatched_zero(grid, sites):
    points = grid.assign(geometry=grid.geometry.centroid)
    fig, classes = _maps(points, sites)
    ax = fig.axes[0]
    face = ax.collections[0].get_facecolor()
    assert len(face) == len(points)
    cls = classes.classify(points["access_before"])
    np.testing.assert_allclose(face, [to_rgba(classes.colors[c]) for c in cls])
    hatched = [c for c in ax.collections if c.get_hatch()]
    assert len(hatched) == 1 and len(hatched[0].get_offsets()) == int((cls == 0).sum())


def _interior_gray(png, fig, ax, cells):
    """Grayscale pixels of the middle third of each cell of ``cells`` (unit squares)."""
    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    height = img.shape[0]
    out = []
    for x0, y0 in cells:
        (px0, py0), (px1, py1) = ax.transData.transform(
            [(x0 + 0.33, y0 + 0.33), (x0 + 0.67, y0 + 0.67)]
        )
        rows = slice(int(height - py1), int(height - py0))
        cols = slice(int(px0), int(px1))
        out.append(img[rows, cols])
    return out


def test_no_access_survives_grayscale(tmp_path, grid, sites):
    """In a grayscale print, the no-access cells are striped and every other class is flat."""
    fig, classes = _maps(grid, None, k=5, figsize_inches=(8, 4))
    png = tmp_path / "g.png"
    fig.savefig(png, dpi=100)  # draws: the axes transforms are final
    ax = fig.axes[0]
    cells = [(x, y) for y in range(3) for x in range(4)]
    patches = _interior_gray(png, fig, ax, cells)
    cls = classes.classify(grid["access_before"])
    flat = {}
    for c, pix in zip(cls, patches, strict=True):
        if c == 0:
            # hatching: dark stripes on the light fill
            assert pix.std() > 20 and pix.min() < 120 and pix.max() > 200
        else:
            assert pix.std() < 1.0
            flat.setdefault(int(c), set()).add(round(float(pix.mean())))
    # every other class is one flat grey, and none of them is striped like class 0
    assert all(len(v) == 1 for v in flat.values())


def test_access_maps_png_legend_in_grayscale(tmp_path, grid, sites):
    out = F.access_maps_figure(grid, sites, tmp_path / "m.png", dpi=40, figsize_inches=(8, 4))
    gray = Image.open(out).convert("L")
    assert gray.size == (320, 160)


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


# --------------------------------------------------------------------------
# change map
def test_change_figure_symmetric_full_ramp(tmp_path, grid, sites):
    change = np.array([-0.002, 0.0, 0.001, 0.004] + [0.0] * 8)
    change[5] = np.nan
    areas = grid.assign(access_change=change)
    fig, limit = F._change_map(
        areas,
        sites,
        change="access_change",
        new_column="new",
        figsize_inches=(6, 5),
        title="t",
        access_scale=1000,
        access_units="beds per 1,000 people",
    )
    assert limit == pytest.approx(4.0)  # max |change| = 0.004, shown per 1,000
    face = fig.axes[0].collections[0].get_facecolor()
    ramp = colormaps["RdBu"]
    # the largest gain is the darkest blue end, 0 is the white middle, a loss is red
    np.testing.assert_allclose(face[3], ramp(1.0))
    np.testing.assert_allclose(face[1], ramp(0.5))
    np.testing.assert_allclose(face[0], ramp((-2.0 + 4.0) / 8.0))
    assert face[0][0] > face[0][2]  # red > blue for a loss
    np.testing.assert_allclose(face[5], to_rgba(NO_DATA))
    bar = fig.axes[1]
    assert bar.get_xlim() == pytest.approx((-4.0, 4.0))
    ticks = [t.get_text() for t in bar.get_xticklabels()]
    assert ticks == ["\u22124", "\u22122", "0", "+2", "+4"]  # round, symmetric, 0 in the middle
    assert "per 1,000" in bar.get_xlabel()

    out = F.access_change_figure(areas, sites, tmp_path / "c.png", dpi=40, figsize_inches=(6, 5))
    assert _png_size(out) == (240, 200)
    assert json.loads(Image.open(out).text[F.CHANGE_LIMIT_KEY]) == pytest.approx(0.004)


def test_change_limit_never_zero():
    assert F.change_limit([0.0, np.nan]) == 1.0
    assert F.change_limit([-3.0, 2.0]) == 3.0


def test_change_figure_reports_every_problem(tmp_path, grid, sites):
    with pytest.raises(InputValidationError) as err:
        F.access_change_figure(grid, sites.drop(columns="new"), tmp_path / "c.png", access_scale=0)
    text = str(err.value)
    assert "'access_change'" in text and "'new'" in text and "access_scale" in text
    assert not (tmp_path / "c.png").exists()


def test_distribution_scaled_axis(grid):
    fig, edges = F._distribution(
        grid,
        before="access_before",
        after="access_after",
        weights="population",
        bins=4,
        figsize_inches=(8, 3),
        access_scale=1000,
        access_units="beds per 1,000 people aged 65+",
        weights_label="people aged 65+",
    )
    pooled = np.r_[grid["access_before"], grid["access_after"]] * 1000
    np.testing.assert_allclose(edges, np.linspace(pooled.min(), pooled.max(), 5))
    assert fig.axes[0].get_xlabel() == "access (beds per 1,000 people aged 65+)"
    assert fig.axes[0].get_ylabel() == "people aged 65+"
    # before and after differ by line style too (grayscale)
    styles = {line.get_linestyle() for line in fig.axes[1].get_lines()}
    assert len(styles) == 2
