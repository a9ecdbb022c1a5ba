"""Legend labels of access classes that never repeat a number.

A class label written with a fixed number of significant digits can read
``"0.00431 – 0.00431"`` when two bounds differ only in the fourth digit. The
functions here pick, for one set of class bounds, the fewest significant digits
(at least ``min_digits``) that write every pair of different bounds
differently, and label a class whose bounds are equal with its single value.

Used by the PNG figures (:mod:`accessplan.maps.figures`) and the QGIS styles
(:mod:`accessplan.maps.qgis`). Imports neither matplotlib nor folium.
"""

from __future__ import annotations

import math

from accessplan.maps.classes import AccessClasses

__all__ = ["class_labels", "distinct_digits", "format_number", "scale_label"]

_DASH = "\u2013"


def format_number(value: float, digits: int) -> str:
    """``value`` with ``digits`` significant digits, thousands separated, never in e-notation.

    Parameters
    ----------
    value : float
    digits : int
        Significant digits (at least 1).

    Returns
    -------
    str
        ``"0"`` for 0, ``"nan"`` for NaN; e.g. ``format_number(0.0043127, 3) == "0.00431"``,
        ``format_number(12345.6, 3) == "12,346"``.
    """
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "-inf" if x < 0 else "inf"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, int(digits) - 1 - magnitude)
    text = f"{x:,.{decimals}f}"
    return "0" if float(text.replace(",", "")) == 0 else text


def distinct_digits(values, *, min_digits: int = 3, max_digits: int = 15) -> int:
    """The fewest significant digits (>= ``min_digits``) writing different values differently.

    Parameters
    ----------
    values : iterable of float
        The numbers shown side by side (e.g. class bounds).
    min_digits, max_digits : int
        Search range.

    Returns
    -------
    int
        ``max_digits`` when even that is not enough (values differing only
        beyond double precision).
    """
    nums = sorted({float(v) for v in values if not math.isnan(float(v))})
    for digits in range(int(min_digits), int(max_digits) + 1):
        texts = [format_number(v, digits) for v in nums]
        if len(set(texts)) == len(texts):
            return digits
    return int(max_digits)


def scale_label(scale: float) -> str:
    """``"per 1,000"`` for a display scale of 1000 (empty for 1)."""
    scale = float(scale)
    if scale == 1:
        return ""
    return f"per {scale:,.0f}" if scale == round(scale) else f"\u00d7 {scale:g}"


def class_labels(classes: AccessClasses, *, scale: float = 1.0) -> list:
    """One label per class of ``classes``, its bounds multiplied by ``scale``.

    The one labelling of every output (web maps, figures, QGIS styles):
    :meth:`AccessClasses.labels`.

    Parameters
    ----------
    classes : AccessClasses
        The shared classification.
    scale : float, default 1.0
        Display multiplier (e.g. 1000 for "per 1,000"); the classes
        themselves keep raw values.

    Returns
    -------
    list of str
    """
    return list(classes.labels(scale=scale))
