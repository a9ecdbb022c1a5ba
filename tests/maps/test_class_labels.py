"""Tests of accessplan.maps.class_labels: legend labels that never repeat a number."""

from __future__ import annotations

import numpy as np

from accessplan.maps.class_labels import (
    class_labels,
    distinct_digits,
    format_number,
    scale_label,
)
from accessplan.maps.classes import AccessClasses


def test_format_number_hand_examples():
    assert format_number(0.0043127, 3) == "0.00431"
    assert format_number(12345.6, 3) == "12,346"
    assert format_number(2.8, 3) == "2.80"
    assert format_number(0.0, 3) == "0"
    assert format_number(-0.25, 2) == "-0.25"
    assert format_number(float("nan"), 3) == "nan"


def test_distinct_digits_is_the_fewest_that_separate():
    assert distinct_digits([1.0, 2.0, 3.0]) == 3
    # 0.0043127 / 0.0043141: equal at 3 and 4 digits? 0.004313 vs 0.004314 -> 4
    assert distinct_digits([0.0043127, 0.0043141]) == 4
    assert distinct_digits([1.00001, 1.00002]) == 6
    assert distinct_digits([5.0, 5.0, np.nan]) == 3  # equal values need no separating


def test_class_labels_zero_class_and_single_value():
    zero = AccessClasses("quantiles", False, 0.0, (0.0, 0.5, 1.0), ("#f0f0f0", "#a", "#b"), True)
    assert class_labels(zero) == ["0 (no access)", ">0 \u2013 0.5", "0.5 \u2013 1"]
    # a class whose bounds are equal is labelled with its one value, not "a - a"
    single = AccessClasses("quantiles", False, 0.25, (0.25, 1.0), ("#a", "#b"), False)
    assert class_labels(single) == ["0.25", "0.25 \u2013 1"]
    assert class_labels(single) == single.labels()  # one labelling for every output
    assert class_labels(single, scale=1000) == ["250", "250 \u2013 1,000"]


def test_scale_label():
    assert scale_label(1) == ""
    assert scale_label(1000) == "per 1,000"
    assert scale_label(100000) == "per 100,000"
