"""Errors raised by :mod:`accessplan.maps`.

Each error subclasses a builtin exception *and*
:class:`accessplan.data.errors.AccessplanError`, so callers may catch either.
Problems in the input frames (missing columns, no CRS, ...) are collected and
raised once as :class:`accessplan.data.errors.InputValidationError`.
"""

from __future__ import annotations

from accessplan.data.errors import AccessplanError

__all__ = [
    "BrowserNotFoundError",
    "MapAssetError",
    "PdfError",
    "RemoteAssetError",
    "UnknownSchemeError",
]


class RemoteAssetError(ValueError, AccessplanError):
    """An HTML map still loads a script or stylesheet from the network.

    ``urls`` lists every remote ``<script src>`` / ``<link rel=stylesheet href>``
    left in the page.
    """

    def __init__(self, urls) -> None:
        self.urls = tuple(urls)
        shown = "\n".join(f"  - {u}" for u in self.urls)
        super().__init__(
            f"{len(self.urls)} remote asset(s) left in the map; it would not work offline:\n{shown}"
        )


class MapAssetError(FileNotFoundError, AccessplanError):
    """A JavaScript/CSS asset needed to inline a map is not installed."""


class UnknownSchemeError(ValueError, AccessplanError):
    """A classification scheme that :mod:`mapclassify` (or we) do not know."""


class BrowserNotFoundError(FileNotFoundError, AccessplanError):
    """No headless Chromium or Chrome to print the PDF with."""


class PdfError(RuntimeError, AccessplanError):
    """The browser ran but did not produce a PDF (failed, timed out, empty file)."""
