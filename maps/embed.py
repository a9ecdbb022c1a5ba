"""How the report carries its maps.

Each map is a whole offline HTML document (:func:`accessplan.maps.offline.render_offline_html`)
placed in an ``<iframe srcdoc="...">``, escaped once as the attribute value
(the browser decodes it once before parsing the map), sandboxed to scripts only.
Each map keeps its own copy of Leaflet (about 150 kB): a page that shared one copy
would need the report's script to build the frames, and a frame must work on its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from accessplan.maps.escaping import html_text

__all__ = ["embed_maps"]


def _attribute_text(doc: str) -> str:
    """``doc`` as the value of a double-quoted attribute: ``& " < >`` escaped.

    Only these four matter there (``<`` and ``>`` are escaped so no raw tag
    text sits in the report); ``"``, frequent in the maps' GeoJSON, becomes the
    short ``&#34;``. The browser decodes exactly the same page.
    """
    return doc.replace("&", "&amp;").replace('"', "&#34;").replace("<", "&lt;").replace(">", "&gt;")


def embed_maps(maps: Mapping[str, str] | None) -> str:
    """The report's "Maps" section for ``{title: offline HTML document}``.

    Parameters
    ----------
    maps : mapping of str to str or None
        Map titles and their whole offline documents, in order.

    Returns
    -------
    str
        An HTML fragment (empty when there is no map).
    """
    if not maps:
        return ""
    parts = ["<h2>Maps</h2>"]
    for i, (title, doc) in enumerate(maps.items()):
        t = html_text(title)
        parts.append(
            f'<section id="map-{i}"><h3>{t}</h3>'
            f'<iframe title="{t}" sandbox="allow-scripts" '
            f'srcdoc="{_attribute_text(doc)}"></iframe></section>'
        )
    return "\n".join(parts) + "\n"
