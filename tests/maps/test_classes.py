"""Tests of accessplan.maps.classes: the one classification shared by maps and figures."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from accessplan.maps import figures as F
from accessplan.maps import webmap
from accessplan.maps.classes import (
    NO_ACCESS_COLOR,
    AccessClasses,
    classify,
    shared_classes,
)


def test_zero_class_then_quantiles_of_the_positives_hand_example():
    # pooled: three zeros and the positives 1..8. Quartiles of 1..8 by linear
    # interpolation at position p * 7: 1 + 1.75 = 2.75, 1 + 3.5 = 4.5, 1 + 5.25 = 6.25, 8
    before = [0.0, 0.0, 1.0, 2.0, 3.0]
    after = [0.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    classes = shared_classes(before, after, k=5)
    assert classes.zero_class
    assert classes.bins == pytest.approx((0.0, 2.75, 4.5, 6.25, 8.0))
    assert classes.lower == 0.0
    pooled = np.r_[before, after]
    idx = classes.classify(pooled)
    np.testing.assert_array_equal(idx == 0, pooled == 0)  # zeros, and only zeros
    np.testing.assert_array_equal(idx, [0, 0, 1, 1, 2, 0, 2, 3, 3, 4, 4])
    # the smallest positive access is not "no access"
    assert classes.classify([1e-12])[0] == 1
    labels = classes.labels()
    assert labels[0] == "0 (no access)"
    assert labels[1] == ">0 \u2013 2.75"
    assert labels[-1] == "6.25 \u2013 8"
    assert classes.colors[0] == NO_ACCESS_COLOR
    assert NO_ACCESS_COLOR not in classes.colors[1:]
    assert len(set(classes.colors)) == classes.k


def test_zero_class_with_population_weighted_quantiles_hand_example():
    # positives 1, 2, 3 with populations 5, 1, 1, counted twice (before and after):
    # cumulative shares 10/14, 12/14, 1 -> half the population is reached at 1
    before = np.array([0.0, 1.0, 2.0, 3.0])
    pop = np.array([10.0, 5.0, 1.0, 1.0])
    weighted = shared_classes(before, before, k=3, population=pop)
    assert weighted.population_weighted and weighted.zero_class
    assert weighted.bins == (0.0, 1.0, 3.0)
    # unweighted: median of 1, 1, 2, 2, 3, 3 is 2
    assert shared_classes(before, before, k=3).bins == (0.0, 2.0, 3.0)


def test_gain_from_zero_changes_colour():
    before = np.array([0.0, 0.0, 0.01, 0.02, 0.03])
    after = np.array([0.001, 0.0, 0.01, 0.02, 0.03])  # a small rural gain
    classes = shared_classes(before, after, k=5)
    assert classes.color(before[:1]) != classes.color(after[:1])
    assert classes.color(before[:1]) == [NO_ACCESS_COLOR]


def test_without_zero_behaviour_is_unchanged():
    before, after = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    classes = shared_classes(before, after, k=3)
    assert not classes.zero_class
    expected = np.quantile(np.r_[before, after], [1 / 3, 2 / 3, 1.0])
    assert classes.bins == pytest.approx(tuple(expected))
    assert classes.labels()[0] == "1 \u2013 2.67"
    assert NO_ACCESS_COLOR not in classes.colors


def test_all_zero_and_single_class_edge_cases():
    only_zero = shared_classes([0.0, 0.0], [0.0, np.nan])
    assert only_zero.bins == (0.0,) and only_zero.zero_class
    assert only_zero.labels() == ["0 (no access)"]
    np.testing.assert_array_equal(only_zero.classify([0.0, np.nan]), [0, -1])
    # k = 1: one class for everything, no room for a zero class
    one = shared_classes([0.0, 1.0], [2.0, 3.0], k=1)
    assert one.bins == (3.0,) and not one.zero_class


def test_classify_convention_hand_example():
    got = classify([0, 1.8, 1.9, 9, 12, np.nan], [1.8, 3.6, 5.4, 7.2, 9.0])
    np.testing.assert_array_equal(got, [0, 0, 1, 4, 4, -1])


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "fisher_jenks"])
@pytest.mark.parametrize("weighted", [False, True])
def test_figures_and_webmap_use_identical_bins(scheme, weighted):
    rng = np.random.default_rng(3)
    before = rng.uniform(0, 0.05, 40)
    before[:8] = 0.0
    after = before + np.r_[rng.uniform(0, 0.01, 10), np.zeros(30)]
    pop = rng.integers(10, 1000, 40).astype(float) if weighted else None
    web = webmap.shared_classes(before, after, scheme=scheme, k=5, population=pop)
    fig = F.shared_bins(before, after, scheme=scheme, k=5, population=pop)
    assert list(fig) == list(web.bins)
    assert web.bins[0] == 0.0
    np.testing.assert_array_equal(F.classify(after, fig), web.classify(after))


def test_public_names_still_importable_from_webmap_and_figures():
    assert webmap.AccessClasses is AccessClasses
    assert webmap.shared_classes is shared_classes
    assert F.classify is classify


def test_figures_do_not_need_folium():
    code = (
        "import sys; import accessplan.maps.figures; sys.exit(1 if 'folium' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_labels_never_print_two_different_bounds_the_same():
    # bounds that agree to 3 significant digits: the old "{:.3g}" printed
    # "0.00431 – 0.00431"; the labels take as many digits as needed
    before = [0.0043101, 0.0043149]
    after = [0.0043120, 0.0043140]
    classes = shared_classes(before, after, k=3)
    labels = classes.labels()
    assert labels == [
        "0.00431 \u2013 0.004312",
        "0.004312 \u2013 0.004314",
        "0.004314 \u2013 0.004315",
    ]
    # an explicit format that would collapse the bounds falls back to the same
    assert classes.labels("{:.3g}") == labels
    for label in labels:
        low, high = label.split(" \u2013 ")
        assert low != high


def test_labels_scale_for_display():
    classes = AccessClasses(
        scheme="quantiles",
        population_weighted=False,
        lower=0.0,
        bins=(0.0, 0.00125, 0.0031),
        colors=(NO_ACCESS_COLOR, "#aaaaaa", "#555555"),
        zero_class=True,
    )
    assert classes.labels(scale=1000) == ["0 (no access)", ">0 \u2013 1.25", "1.25 \u2013 3.1"]
    assert classes.labels() == ["0 (no access)", ">0 \u2013 0.00125", "0.00125 \u2013 0.0031"]


def test_format_bounds_hand_examples():
    from accessplan.maps.classes import format_bounds

    assert format_bounds([1234567.0, 2.5, 0.0]) == ["1,230,000", "2.5", "0"]
    assert format_bounds([1.0001, 1.0002]) == ["1.0001", "1.0002"]
