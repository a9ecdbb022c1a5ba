"""Messages of the ``accessplan`` command: stderr, ``-q``/``-v`` and ``--log-file``.

Step messages go to stderr (``accessplan: ...``); ``-q`` silences them and the
progress bars, ``-v`` adds debug detail and the elapsed time before every
message, with a table of step times at the end. Warnings and errors are
always shown. ``--log-file PATH`` appends every message (debug included, also
under ``-q``) with a UTC timestamp, and also whatever else reaches stderr
during the run (data-quality warnings, the final state of each progress bar).
Results (the headline) go to stdout, never here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from accessplan.planner.errors import OutputError

__all__ = ["Console"]


def _stamp() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class _StderrTee:
    """A stand-in for ``sys.stderr`` that also copies complete lines to the log file.

    A line rewritten with carriage returns (a progress bar) is logged once, in
    its last state.
    """

    def __init__(self, stream: IO[str], console: Console) -> None:
        self._stream = stream
        self._console = console
        self._pending = ""

    def write(self, text: str) -> int:
        self._stream.write(text)
        self._pending += text
        while "\n" in self._pending:
            line, self._pending = self._pending.split("\n", 1)
            self._log(line)
        return len(text)

    def _log(self, line: str) -> None:
        line = line.split("\r")[-1].strip()
        if line:
            self._console.to_file(line)

    def flush(self) -> None:
        self._stream.flush()

    def close_pending(self) -> None:
        """Log what was written after the last newline."""
        self._log(self._pending)
        self._pending = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Console:
    """Where the command's messages go.

    Parameters
    ----------
    quiet : bool, default False
        No step messages (warnings and errors still show).
    verbose : bool, default False
        Debug messages, and the elapsed seconds before each step message.
    log_file : Path, optional
        Append every message here with a UTC timestamp.
    stream : file, optional
        The terminal stream (default: ``sys.stderr`` when the console is made).
    """

    def __init__(
        self,
        *,
        quiet: bool = False,
        verbose: bool = False,
        log_file: Path | None = None,
        stream: IO[str] | None = None,
    ) -> None:
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self._steps: list[tuple[str, float]] = []
        self._file: IO[str] | None = None
        if log_file is not None:
            try:
                self._file = open(log_file, "a", encoding="utf-8")
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise OutputError(f"cannot open the log file {log_file}: {reason}") from exc

    # -- writing -------------------------------------------------------------

    def to_file(self, text: str) -> None:
        """Append ``text`` (each of its lines) to the log file with a UTC timestamp."""
        if self._file is None:
            return
        stamp = _stamp()
        for line in str(text).splitlines() or [""]:
            self._file.write(f"{stamp} {line}\n")
        self._file.flush()

    def _show(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _elapsed(self) -> str:
        return f"[{time.monotonic() - self.started:7.2f} s] " if self.verbose else ""

    def info(self, message: str) -> None:
        """A step message: shown unless quiet, always logged; starts a timed step."""
        self._steps.append((message, time.monotonic()))
        self.to_file(f"accessplan: {message}")
        if not self.quiet:
            self._show(f"accessplan: {self._elapsed()}{message}")

    def __call__(self, message: str) -> None:
        """The pipeline's ``log`` callable: :meth:`info`."""
        self.info(message)

    def debug(self, message: str) -> None:
        """Detail: shown with ``-v``, always logged."""
        self.to_file(f"accessplan: debug: {message}")
        if self.verbose:
            self._show(f"accessplan: {self._elapsed()}debug: {message}")

    def warning(self, message: str) -> None:
        """Shown even when quiet, always logged."""
        self.to_file(f"accessplan: warning: {message}")
        self._show(f"accessplan: warning: {message}")

    def error(self, message: str) -> None:
        """The one error line(s) of a failed command: shown and logged."""
        self.to_file(f"accessplan: error: {message}")
        self._show(f"accessplan: error: {message}")

    # -- timing ----------------------------------------------------------------

    def step_times(self) -> list[tuple[str, float]]:
        """Each step message with the seconds until the next one (or until now)."""
        if not self._steps:
            return []
        now = time.monotonic()
        ends = [t for _, t in self._steps[1:]] + [now]
        return [(msg, end - start) for (msg, start), end in zip(self._steps, ends, strict=True)]

    def report_timings(self) -> None:
        """Debug lines: the step times, longest first, and the total."""
        steps = sorted(self.step_times(), key=lambda item: -item[1])
        for message, seconds in steps[:10]:
            short = message if len(message) <= 70 else message[:67] + "..."
            self.debug(f"{seconds:7.2f} s  {short}")
        self.debug(f"{time.monotonic() - self.started:7.2f} s  in all")

    # -- stderr and closing -------------------------------------------------------

    @contextlib.contextmanager
    def capturing_stderr(self) -> Iterator[None]:
        """While active, what others write to ``sys.stderr`` is also logged."""
        if self._file is None:
            yield
            return
        saved = sys.stderr
        tee = _StderrTee(saved, self)
        sys.stderr = tee
        try:
            yield
        finally:
            tee.close_pending()
            sys.stderr = saved

    def close(self) -> None:
        """Close the log file."""
        if self._file is not None:
            self._file.close()
            self._file = None
