"""One way to put a user's string into the HTML of a map or a report.

Ids, names and labels read from a planning office's files end up in several
places of our pages, and each of them is interpreted as HTML at some point:

- text and attributes of the report (``<td>``, ``<title>``, ``data-site-id="..."``);
- folium ``Tooltip`` text, which folium pastes unescaped into a JavaScript
  *template literal* (`` `...` ``) that Leaflet then assigns to ``innerHTML``:
  there a backtick ends the string, ``${...}`` runs code and a backslash
  escape such as ``\\x3c`` turns into ``<`` before the HTML is parsed;
- GeoJSON properties shown by folium's ``GeoJsonTooltip``, which joins the
  values into a table and assigns it to ``innerHTML``;
- layer-control names and legend captions (also ``innerHTML``).

:func:`html_text` escapes for all of these at once: the HTML specials
(``& < > " '``) and, as numeric character references, the three characters
that mean something inside a template literal (`` ` ``, ``$``, ``\\``). Each
reference decodes to the same character wherever the text is finally parsed as
HTML, so the reader sees exactly the string in the file: an id ``&amp;`` is
shown as ``&amp;``. Escape each value exactly once, where it is put into HTML,
and never escape text that already contains markup.
"""

from __future__ import annotations

import html
import math

__all__ = ["html_text"]

_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def html_text(value) -> str:
    """Escape one value for any HTML context used by the maps and the report.

    Parameters
    ----------
    value : object
        An id, a name or any label; converted with ``str``. ``None``, NaN and
        ``pandas.NA`` become the empty string (a missing name shows nothing,
        not "nan").

    Returns
    -------
    str
        Text safe as HTML element content, as a quoted attribute value and
        inside a JavaScript template literal whose content is later parsed
        as HTML. The browser shows it as the original string.

    Examples
    --------
    >>> html_text("<b>A & B</b>")
    '&lt;b&gt;A &amp; B&lt;/b&gt;'
    >>> html_text("${x}")
    '&#36;{x}'
    >>> html_text(None)
    ''
    """
    if value is None or _is_missing(value):
        return ""
    return html.escape(str(value), quote=True).translate(_TEMPLATE_LITERAL)


def _is_missing(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    # pandas.NA and pandas.NaT without importing pandas here
    return type(value).__name__ in ("NAType", "NaTType")
