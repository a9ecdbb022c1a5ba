"""How numbers, money, shares and ids are written in the HTML reports.

Every number shown in a report is written by :func:`number_cell` or
:func:`number_span`: the formatted text for the reader plus the exact value in
a ``data-value`` attribute and a stable ``id``, so a program can read the
report back. Differences of shares are written in percentage points
(``"−6.0 pp"``, with a true minus sign); their ``data-value`` stays the
difference of the fractions (``-0.06``).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

from accessplan.maps.escaping import html_text

__all__ = [
    "MINUS",
    "as_number",
    "format_money",
    "format_value",
    "get_path",
    "id_slug",
    "number_cell",
    "number_span",
]

MINUS = "\u2212"
"""The minus sign used in the reports (not a hyphen)."""

_KINDS = ("int", "share", "pp", "money", "hours", "general", "seconds", "access", "ratio")


def as_number(value) -> float | None:
    """A float, or None for missing / non-numeric / non-finite values (and booleans)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _access(v: float) -> str:
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 0.1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


def format_value(value, kind: str, *, signed: bool = False) -> str:
    """The text of one number.

    Parameters
    ----------
    value : object
        The number; missing or non-finite values are written ``"–"``.
    kind : str
        ``"int"`` (thousands separators), ``"share"`` (a fraction as ``12.3%``),
        ``"pp"`` (a difference of fractions as percentage points, always
        signed), ``"money"`` (whole units), ``"hours"``, ``"seconds"``,
        ``"general"`` (6 significant digits), ``"access"`` (2 decimals from
        0.1 to 100, 3 significant digits below 0.1) or ``"ratio"`` (4 significant digits).
    signed : bool, default False
        Write ``+`` before positive values (changes). Negative values always
        get the minus sign :data:`MINUS`.

    Returns
    -------
    str
    """
    v = as_number(value)
    if v is None:
        return "–"
    if kind == "pp":
        pp = round(100 * v, 1)
        if pp == 0:
            return "0.0 pp"
        return f"{'+' if pp > 0 else MINUS}{abs(pp):.1f} pp"
    if kind == "int":
        text = f"{v:,.0f}"
    elif kind == "share":
        text = f"{100 * v:.1f}%"
    elif kind == "money":
        text = f"{v:,.0f}"
    elif kind == "hours":
        text = f"{v:.2f}"
    elif kind == "general":
        text = f"{v:,.6g}"
    elif kind == "seconds":
        text = f"{v:.2f} s"
    elif kind == "access":
        text = _access(v)
    else:
        text = f"{v:.4g}"
    if text.startswith("-"):
        text = MINUS + text[1:]
        if text.strip(MINUS + "0.,%s ") == "":  # "-0", "-0.0": rounding of a tiny loss
            text = text[1:]
    elif signed and v > 0 and text.strip("0.,% ") != "":
        text = "+" + text
    return text


def format_money(value, currency: str | None = None, *, short: bool = False) -> str:
    """Money as ``"EUR 91,220,000"`` (or ``"EUR 91.22 million"`` with ``short``).

    Parameters
    ----------
    value : object
        The amount; missing is ``"–"``.
    currency : str, optional
        A code or symbol written before the amount.
    short : bool, default False
        Write millions and billions in words (for sentences).

    Returns
    -------
    str
        Plain text (escape it before putting it into HTML).
    """
    v = as_number(value)
    if v is None:
        return "–"
    if short and abs(v) >= 1e9:
        text = f"{v / 1e9:,.2f} billion"
    elif short and abs(v) >= 1e6:
        text = f"{v / 1e6:,.2f} million"
    else:
        text = f"{v:,.0f}"
    text = text.replace("-", MINUS)
    return f"{currency} {text}" if currency else text


def _attrs(value, ident: str | None) -> str:
    v = as_number(value)
    attr = f' id="{html_text(ident)}"' if ident else ""
    return attr + (f' data-value="{v!r}"' if v is not None else ' data-value=""')


def number_cell(
    value, kind: str, ident: str | None = None, *, signed: bool = False, text: str | None = None
) -> str:
    """A right-aligned ``<td>`` with the formatted value (or ``text``) and its exact ``data-value``."""
    shown = html_text(format_value(value, kind, signed=signed) if text is None else text)
    return f'<td class="num"{_attrs(value, ident)}>{shown}</td>'


def number_span(
    value, kind: str, ident: str | None = None, *, signed: bool = False, text: str | None = None
) -> str:
    """A ``<span>`` with the formatted value (or ``text``) and its exact ``data-value``."""
    shown = html_text(format_value(value, kind, signed=signed) if text is None else text)
    return f"<span{_attrs(value, ident)}>{shown}</span>"


def id_slug(text) -> str:
    """An element-id fragment for an id or label.

    The text itself when it is plain (letters, digits, ``-``, ``_``), otherwise
    a readable form plus a short hash, so two labels never share an element id
    (``a<b`` and ``a>b``).
    """
    text = str(text)
    out = "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-")
    if out == text and out:
        return out
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{out}-{digest}" if out else digest


def get_path(mapping, *keys):
    """``mapping[k1][k2]...`` or None when any level is missing or not a mapping."""
    cur = mapping
    for key in keys:
        if not isinstance(cur, Mapping) or key not in cur:
            return None
        cur = cur[key]
    return cur
