"""The report as a PDF, printed by headless Chromium.

The HTML report is self-contained (maps, figures and styles inlined), so a
headless browser prints it as a board paper would show it: the report's print
CSS decides the page size and the page breaks. The browser is found on PATH
(``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable``)
or named by the environment variable ``ACCESSPLAN_CHROMIUM``. It is given a
virtual-time budget so the maps' scripts run before the page is printed, and
the PDF is written under a temporary name and moved into place, so a failed or
interrupted print never leaves a partial ``report.pdf``.

Examples
--------
>>> write_pdf("out/report.html")  # doctest: +SKIP
PosixPath('out/report.pdf')
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from accessplan.data.errors import InputFileError
from accessplan.maps.errors import BrowserNotFoundError, PdfError

__all__ = [
    "BROWSER_NAMES",
    "BrowserNotFoundError",
    "PdfError",
    "count_pdf_pages",
    "find_browser",
    "write_pdf",
]

#: executables tried on PATH, in order
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: environment variable naming the browser executable
BROWSER_ENV = "ACCESSPLAN_CHROMIUM"

_INSTALL_HINT = (
    "install Chromium (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask "
    f"chromium) or set {BROWSER_ENV} to the path of a Chromium or Chrome executable"
)
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def find_browser() -> Path:
    """The Chromium/Chrome executable used to print PDFs.

    Returns
    -------
    Path

    Raises
    ------
    BrowserNotFoundError
        ``ACCESSPLAN_CHROMIUM`` names no executable file, or none of
        :data:`BROWSER_NAMES` is on PATH; the message says how to install one.
    """
    named = os.environ.get(BROWSER_ENV)
    if named:
        found = shutil.which(named)
        if found is None:
            raise BrowserNotFoundError(
                f"{BROWSER_ENV}={named!r} is not an executable file; {_INSTALL_HINT}"
            )
        return Path(found)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found is not None:
            return Path(found)
    raise BrowserNotFoundError(
        f"no headless browser to print the PDF with (looked for {', '.join(BROWSER_NAMES)} "
        f"on PATH); {_INSTALL_HINT}"
    )


def count_pdf_pages(data: bytes) -> int:
    """The number of page objects (``/Type /Page``, not ``/Pages``) in a PDF's bytes."""
    return len(_PAGE.findall(data))


def write_pdf(
    html_path: str | Path,
    pdf_path: str | Path | None = None,
    *,
    browser: str | Path | None = None,
    timeout_s: float = 180.0,
    virtual_time_budget_ms: int = 15_000,
) -> Path:
    """Print an HTML file to PDF with headless Chromium.

    Parameters
    ----------
    html_path : str or Path
        The page to print (e.g. ``report.html``).
    pdf_path : str or Path, optional
        Where to write; default: beside the page, with the suffix ``.pdf``.
        An existing file is replaced only once the new PDF is complete.
    browser : str or Path, optional
        The executable; default: :func:`find_browser`.
    timeout_s : float, default 180
        Give up (and kill the browser) after this many seconds.
    virtual_time_budget_ms : int, default 15000
        Virtual time the page's scripts get (maps drawing) before printing.

    Returns
    -------
    Path
        The PDF written.

    Raises
    ------
    InputFileError
        The HTML file does not exist.
    BrowserNotFoundError
        No browser.
    PdfError
        The browser failed, timed out or wrote no PDF.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise InputFileError(html_path, "does not exist (no report to print)")
    target = Path(pdf_path).resolve() if pdf_path is not None else html_path.with_suffix(".pdf")
    executable = Path(browser) if browser is not None else find_browser()
    with tempfile.TemporaryDirectory(prefix="accessplan-chromium-") as profile:
        handle, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=".partial.pdf", dir=target.parent
        )
        os.close(handle)
        tmp = Path(tmp_name)
        try:
            command = [
                str(executable),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--run-all-compositor-stages-before-draw",
                f"--virtual-time-budget={int(virtual_time_budget_ms)}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={tmp}",
                html_path.as_uri(),
            ]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=timeout_s, check=False
                )
            except subprocess.TimeoutExpired as exc:
                raise PdfError(
                    f"{executable.name} did not finish printing {html_path} within {timeout_s:g} s"
                ) from exc
            except OSError as exc:
                raise BrowserNotFoundError(
                    f"cannot start {executable}: {exc.strerror or exc}; {_INSTALL_HINT}"
                ) from exc
            data = tmp.read_bytes() if tmp.is_file() else b""
            if done.returncode != 0 or not data.startswith(b"%PDF"):
                tail = " | ".join(done.stderr.strip().splitlines()[-3:])
                raise PdfError(
                    f"{executable.name} did not print {html_path} to PDF "
                    f"(exit code {done.returncode}{'; ' + tail if tail else ''})"
                )
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
    return target
