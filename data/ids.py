"""Ids are labels: compared exactly as written, with near misses named.

``"01000"`` and ``"1000"`` are different areas, and so are ``"1"`` and
``"01"``.  When a file names an id that is not known but differs from a known
one only in leading zeros, surrounding blanks or a ``.0`` (what a spreadsheet
or a numeric column does to a FIPS code), the message says so instead of
merely calling it unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["label_hint", "loose_id", "near_ids"]

_INTEGRAL_FLOAT_TEXT = re.compile(r"[+-]?\d+\.0*")


def loose_id(value: Any) -> str:
    """``value`` as text without blanks, leading zeros or a trailing ``.0``.

    Only for diagnosing mismatches: ids are never matched this way.

    Examples
    --------
    >>> loose_id("01000"), loose_id(1000), loose_id("1000.0"), loose_id("0")
    ('1000', '1000', '1000', '0')
    """
    text = str(value).strip()
    if _INTEGRAL_FLOAT_TEXT.fullmatch(text):
        text = text.split(".")[0].lstrip("+")
    return text.lstrip("0") or "0"


def near_ids(label: Any, known: Iterable[Any]) -> list:
    """Known ids that differ from ``label`` only as :func:`loose_id` forgives."""
    key = loose_id(label)
    return [k for k in known if str(k) != str(label) and loose_id(k) == key]


def label_hint(label: Any, known: Iterable[Any], *, where: str = "the facility layer") -> str:
    """`` (the facility layer has '01': ids are labels, ...)``, or ``""`` when nothing is near."""
    near = near_ids(label, known)
    if not near:
        return ""
    return f" ({where} has {str(near[0])!r}: ids are labels, compared exactly as written)"
