"""Write folium/branca maps as single HTML files that work offline.

folium and branca load Leaflet, jQuery, d3 and a few decorations (Bootstrap,
Font Awesome, awesome-markers) from CDNs through ``<script src>`` and
``<link rel="stylesheet" href>`` tags. :func:`save_offline` renders the page,
replaces the Leaflet, jQuery and d3 tags by the files shipped in the installed
``xstatic-leaflet``, ``xstatic-jquery`` and ``xstatic-d3`` packages (inlined,
Leaflet's control images as ``data:`` URIs), drops the decorations (they are
only needed for folium's icon markers, which our maps do not use) and refuses
to write a page that would still fetch a script or stylesheet from the network.
Tile URL templates inside JavaScript are not assets and are left alone: without
a network the map shows its background colour instead of tiles.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from accessplan.data.files import atomic_file
from accessplan.maps.errors import MapAssetError, RemoteAssetError

__all__ = ["find_remote_assets", "render_offline_html", "save_offline"]

_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_SCRIPT_SRC = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*([\"'])(?P<url>.*?)\1[^>]*>\s*</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE | re.DOTALL)
_ATTR = re.compile(r"\b(?P<name>rel|href)\s*=\s*([\"'])(?P<value>.*?)\2", re.IGNORECASE | re.DOTALL)

# basename patterns of assets we can serve from installed xstatic packages
_KNOWN = (
    ("leaflet_js", re.compile(r"^leaflet(?:-src)?\.js$", re.IGNORECASE)),
    ("leaflet_css", re.compile(r"^leaflet\.css$", re.IGNORECASE)),
    ("jquery", re.compile(r"^jquery(?:-\d[\d.]*)?(?:\.min)?\.js$", re.IGNORECASE)),
    ("d3", re.compile(r"^d3(?:\.v\d+)?(?:\.min)?\.js$", re.IGNORECASE)),
)
# folium decorations not needed by circle markers, polygons, tooltips or controls
_DROPPABLE = re.compile(
    r"bootstrap|glyphicons|fontawesome|font-awesome|awesome-markers|awesome\.rotate",
    re.IGNORECASE,
)


def _asset_text(name: str) -> str:
    """Return the inlinable text of one known asset from its xstatic package."""
    try:
        if name in ("leaflet_js", "leaflet_css"):
            from xstatic.pkg import leaflet as pkg

            filename = "leaflet.js" if name == "leaflet_js" else "leaflet.css"
        elif name == "jquery":
            from xstatic.pkg import jquery as pkg

            filename = "jquery.min.js"
        else:
            from xstatic.pkg import d3 as pkg

            filename = "d3.min.js"
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MapAssetError(
            f"cannot inline {name}: the xstatic package is not installed ({exc}); "
            "install xstatic-leaflet, xstatic-jquery and xstatic-d3"
        ) from exc
    base = Path(pkg.BASE_DIR)
    path = base / filename
    if not path.is_file():
        path = base / filename.replace(".min.js", ".js")
    if not path.is_file():
        raise MapAssetError(f"cannot inline {name}: {base / filename} is missing")
    text = path.read_text(encoding="utf-8")
    if name == "leaflet_css":

        def to_data_uri(match: re.Match) -> str:
            image = base / "images" / match.group("file")
            if not image.is_file():
                return match.group(0)
            data = base64.b64encode(image.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{data})"

        text = re.sub(r"url\(images/(?P<file>[^)]+?\.png)\)", to_data_uri, text)
    return text


def _known_asset(url: str) -> str | None:
    basename = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    for name, pattern in _KNOWN:
        if pattern.match(basename):
            return name
    return None


def _link_stylesheet_href(tag: str) -> str | None:
    attrs = {m.group("name").lower(): m.group("value") for m in _ATTR.finditer(tag)}
    if "stylesheet" not in attrs.get("rel", "").lower().split():
        return None
    return attrs.get("href")


def find_remote_assets(html: str) -> list[str]:
    """List the scripts and stylesheets a page would load from the network.

    Parameters
    ----------
    html : str
        An HTML page.

    Returns
    -------
    list of str
        The ``src`` of every ``<script src>`` and the ``href`` of every
        ``<link rel="stylesheet">`` that is absolute (``http://``, ``https://``)
        or protocol-relative (``//host/...``), in page order. URLs inside
        JavaScript (e.g. tile templates) are not assets and are not listed.
    """
    found = [(m.start(), m.group("url")) for m in _SCRIPT_SRC.finditer(html)]
    for m in _LINK.finditer(html):
        href = _link_stylesheet_href(m.group(0))
        if href is not None:
            found.append((m.start(), href))
    return [url for _, url in sorted(found) if _REMOTE.match(url)]


def _render(fig_or_map) -> str:
    if isinstance(fig_or_map, str):
        return fig_or_map
    get_root = getattr(fig_or_map, "get_root", None)
    if get_root is None:
        raise TypeError(
            f"expected a folium Map, a branca Figure or an HTML string, got {type(fig_or_map)!r}"
        )
    return get_root().render()


def render_offline_html(fig_or_map) -> str:
    """Render a map to one self-contained HTML string.

    Parameters
    ----------
    fig_or_map : folium.Map, branca.element.Figure or str
        The map (or figure holding maps), or an already rendered page.

    Returns
    -------
    str
        The page with Leaflet, jQuery and d3 inlined from the installed xstatic
        packages and folium's Bootstrap / Font Awesome / awesome-markers tags
        removed.

    Raises
    ------
    RemoteAssetError
        If any other script or stylesheet would still be fetched from the network.
    MapAssetError
        If an xstatic package needed for inlining is missing.
    """
    html = _render(fig_or_map)
    inlined: list[str] = []
    done: set[str] = set()

    def placeholder(text: str) -> str:
        inlined.append(text)
        return f"\x00accessplan-asset-{len(inlined) - 1}\x00"

    def replace(url: str, tag: str, kind: str) -> str:
        if not _REMOTE.match(url):
            return tag
        name = _known_asset(url)
        if name is not None and (kind == "css") == (name == "leaflet_css"):
            if name in done:  # the same library twice: keep the first copy only
                return ""
            done.add(name)
            text = _asset_text(name)
            if kind == "css":
                return placeholder("<style>" + text.replace("</style", "<\\/style") + "</style>")
            return placeholder("<script>" + text.replace("</script", "<\\/script") + "</script>")
        if _DROPPABLE.search(url):
            return ""
        return tag  # unknown remote asset: left in place, reported below

    html = _SCRIPT_SRC.sub(lambda m: replace(m.group("url"), m.group(0), "js"), html)

    def replace_link(m: re.Match) -> str:
        href = _link_stylesheet_href(m.group(0))
        return m.group(0) if href is None else replace(href, m.group(0), "css")

    html = _LINK.sub(replace_link, html)
    # scan the page itself (inlined library bodies are still placeholders here)
    remaining = find_remote_assets(html)
    if remaining:
        raise RemoteAssetError(remaining)
    return re.sub("\x00accessplan-asset-(\\d+)\x00", lambda m: inlined[int(m.group(1))], html)


def save_offline(fig_or_map, path) -> Path:
    """Save a map as one HTML file that needs no network (except map tiles).

    Parameters
    ----------
    fig_or_map : folium.Map, branca.element.Figure or str
        The map, a figure holding maps, or an already rendered HTML page.
    path : str or path-like
        Where to write the file. Parent folders are created. The file is written
        to a temporary name in the same folder and renamed into place, so a
        failure never leaves a half-written map.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    RemoteAssetError
        If a script or stylesheet would still be loaded from the network
        (nothing is written then).
    """
    html = render_offline_html(fig_or_map)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as handle:
        handle.write(html)
    return path
