"""Ids are labels: compared exactly as written, with near misses named.

``"01000"`` and ``"1000"`` are different areas, and so are ``"1"`` and
``"01"``.  When a file names an id that is not known but differs from a known
one only in leading zeros, surrounding blanks or a ``.0`` (what a spreadsheet
or a numeric column does to a FIPS code), the message says so instead of
merely calling it unknown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["id_key", "is_number_id", "label_hint", "loose_id", "mismatch_hint", "near_ids"]

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


def is_number_id(value: Any) -> bool:
    """True for an id given as a number (not a bool): such ids are matched by value."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def id_key(value: Any, *, numeric: bool = False) -> str | None:
    """The text key under which ids read from files and ids given in memory meet.

    Text is kept as written (``"01000"`` and ``"1000"`` differ, ``"1"`` and
    ``"01"`` differ) but for surrounding blanks; whole numbers become their
    integer text (``12.0`` -> ``"12"``).  With ``numeric`` (the known ids are
    numbers, not labels) a text such as ``"12.0"`` is read as that number.
    Missing values give ``None``.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        value = value.decode()
    text = str(value).strip()
    if numeric and _INTEGRAL_FLOAT_TEXT.fullmatch(text):  # "12.0" as a float column writes it
        text = text.split(".")[0].lstrip("+")
    return text


def mismatch_hint(
    unknown: Iterable[str], known: list, *, file_numeric: bool, what: str, layer: str
) -> str:
    """Say when unknown ids differ from known ones only by type, leading zeros or ``.0``.

    Parameters
    ----------
    unknown : iterable of str
        The file's ids (as :func:`id_key` text) that matched nothing.
    known : list
        The known ids.
    file_numeric : bool
        The file's column holds numbers (a Parquet integer column, say).
    what, layer : str
        ``"origin"`` and ``"areas layer"``, for the message.

    Returns
    -------
    str
        ``""`` when no unknown id is a near miss.
    """
    loose = {loose_id(id_key(v)): v for v in known}
    near = [(k, loose[loose_id(k)]) for k in unknown if loose_id(k) in loose]
    if not near:
        return ""
    file_kind = "numbers" if file_numeric else "text"
    known_kind = "numbers" if all(is_number_id(v) for v in known) else "text"
    example = ", ".join(f"{k!r} here vs {str(v)!r} in the {layer}" for k, v in near[:3])
    kinds = (
        f"the file's {what} ids are {file_kind} and the {layer}'s ids are {known_kind}; "
        if file_kind != known_kind
        else ""
    )
    return (
        f" -- {len(near)} of them differ from known ids only in leading zeros or a '.0' "
        f"({example}); {kinds}ids are labels and must be written the same in both files "
        "(store them as text)"
    )
