"""Write outputs so that they never cost the user data.

Guarantees of :func:`atomic_output_dir`:

* Everything is written into a temporary folder ``.NAME.<token>.tmp`` beside
  the output folder ``NAME`` and moved into place only when the whole run
  succeeded; a failed or interrupted run leaves the previous output as it was.
* An existing folder is replaced only when accessplan wrote it: every output
  folder holds a marker file :data:`MARKER` (``.accessplan-run.json``: run id,
  accessplan version, command, UTC times). A non-empty folder without it (a
  user's folder, even one holding a ``summary.json``; or an output of an
  accessplan older than the marker) is refused and left untouched.
* The final swap is two renames (``NAME`` -> ``.NAME.old-<token>``, then the
  temporary folder -> ``NAME``); SIGINT and SIGTERM are deferred across it,
  so an interrupt leaves the previous output or the new one, never neither.
  If the process dies between the renames (SIGKILL, power loss), the next
  run finishes the swap (the new folder is complete) before doing anything.
* Temporary folders of runs that were killed are removed by the next run
  (only folders with our exact naming pattern and marker, whose process is
  gone).
* A full disk, a read-only file system or a folder without permission give
  one :class:`~accessplan.planner.errors.OutputError` naming the folder and
  the cause; the previous output stays intact.

:func:`check_output_target` runs the same checks without writing anything,
so the command line can refuse a bad output folder before any computation.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import errno
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from accessplan.planner.errors import OutputError

__all__ = [
    "MARKER",
    "RunRecord",
    "atomic_output_dir",
    "check_output_target",
    "read_marker",
    "recording",
    "write_json",
]

#: The marker file accessplan writes into every output folder it creates; an
#: existing non-empty folder is only replaced when it holds a valid marker.
MARKER = ".accessplan-run.json"

#: A temporary folder without a readable marker is removed by a later run only when
#: it is empty and older than this (it may be a run that is starting right now; a
#: folder with a marker is judged by its process).
_EMPTY_STALE_SECONDS = 600.0
#: A temporary folder written from another machine (shared drive) is stale after this.
_OTHER_HOST_STALE_SECONDS = 24 * 3600.0

#: Where a write failure comes from the disk or permissions, not from a bug.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device (disk full)",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.EIO: "input/output error on the device",
    errno.EFBIG: "file too large for the file system",
}
_ENVIRONMENT_TEXT = {
    "no space left on device": errno.ENOSPC,
    "disk quota exceeded": errno.EDQUOT,
    "permission denied": errno.EACCES,
    "read-only file system": errno.EROFS,
}

_HOW_TO_PROCEED = "delete or rename it yourself, or choose another folder with --out"


@dataclass
class RunRecord:
    """What the running command is and which output folders it finished.

    Attributes
    ----------
    command : str or None
        The command (``"access"``, ``"plan"``, ...), written into the marker.
    target : Path or None
        The output folder the command will write (once it is checked).
    written : list of Path
        Output folders moved into place so far by this run.
    """

    command: str | None = None
    target: Path | None = None
    written: list[Path] = field(default_factory=list)


_RECORD: contextvars.ContextVar[RunRecord | None] = contextvars.ContextVar(
    "accessplan_output_record", default=None
)
#: Temporary folders this process is writing right now (never "stale").
_ACTIVE: set[Path] = set()


@contextlib.contextmanager
def recording(record: RunRecord) -> Iterator[RunRecord]:
    """Let :func:`atomic_output_dir` calls in this block use and fill ``record``."""
    token = _RECORD.set(record)
    try:
        yield record
    finally:
        _RECORD.reset(token)


# --------------------------------------------------------------------------
# Names and markers
# --------------------------------------------------------------------------


def _tmp_pattern(name: str) -> re.Pattern[str]:
    # tempfile.mkdtemp's random part: 8 characters of [a-z0-9_]
    return re.compile(rf"^\.{re.escape(name)}\.([a-z0-9_]{{8}})\.tmp$")


def _old_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.old-([a-z0-9_]{{8}})$")


def _token(tmp: Path, name: str) -> str:
    match = _tmp_pattern(name).match(tmp.name)
    if match is None:  # pragma: no cover - mkdtemp names always match
        raise OutputError(f"unexpected temporary folder name {tmp}")
    return match.group(1)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("accessplan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_marker(folder: str | Path) -> dict | None:
    """The marker of an accessplan output folder, or None when it has none.

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    dict or None
        The marker's fields: ``tool`` (``"accessplan"``), ``version``,
        ``run_id`` (a UUID4), ``command``, ``created_utc``, ``finished_utc``,
        ``complete`` (true once every output was written), ``pid`` and
        ``host`` of the process that wrote it. None when the file is
        missing, unreadable or not an accessplan marker.
    """
    path = Path(folder) / MARKER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != "accessplan" or not data.get("run_id"):
        return None
    return data


def _write_marker(folder: Path, marker: dict) -> None:
    with open(folder / MARKER, "w", encoding="utf-8") as stream:
        stream.write(json.dumps(marker, indent=2) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def _new_marker(command: str | None) -> dict:
    return {
        "tool": "accessplan",
        "version": _version(),
        "run_id": str(uuid.uuid4()),
        "command": command,
        "created_utc": _now(),
        "finished_utc": None,
        "complete": False,
        "pid": os.getpid(),
        "host": socket.gethostname(),
    }


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def _cause(exc: BaseException) -> str | None:
    """Plain words for a write failure caused by the disk or permissions, else None."""
    number = getattr(exc, "errno", None)
    if isinstance(exc, OSError) and number in _ENVIRONMENT_ERRNOS:
        return _ENVIRONMENT_ERRNOS[number]
    text = str(exc).lower()
    for words, number in _ENVIRONMENT_TEXT.items():
        if words in text:
            return _ENVIRONMENT_ERRNOS[number]
    return None


def _disk_full(folder: Path) -> bool:
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def _on_read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _file_name(exc: BaseException) -> str:
    name = getattr(exc, "filename", None)
    return f", writing {Path(os.fsdecode(name)).name}" if name else ""


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


def _resolve(target: str | Path) -> Path:
    try:
        return Path(os.path.abspath(Path(target).expanduser())).resolve()
    except (OSError, RuntimeError) as exc:
        raise OutputError(f"output folder {target}: cannot resolve the path ({exc})") from exc


def _check_replaceable(target: Path) -> None:
    """``target`` is missing, an empty folder, or a writable accessplan output."""
    if not os.path.lexists(target):
        return
    if not target.is_dir():
        raise OutputError(
            f"output {target} exists and is not a folder; choose another folder with --out"
        )
    try:
        names = os.listdir(target)
    except OSError as exc:
        cause = _cause(exc) or exc.strerror or str(exc)
        raise OutputError(f"cannot read the output folder {target}: {cause}") from exc
    if not names:
        return
    if read_marker(target) is None:
        if MARKER in names:
            why = f"its {MARKER} marker is unreadable"
        elif "summary.json" in names:
            why = (
                f"it holds a summary.json but no {MARKER} marker: a folder of yours, or the "
                "output of an earlier accessplan version, which wrote no marker"
            )
        else:
            why = f"it holds files and no {MARKER} marker"
        raise OutputError(
            f"output folder {target} is not empty and is not an accessplan output ({why}); "
            f"accessplan leaves it untouched: {_HOW_TO_PROCEED}"
        )
    if not os.access(target, os.W_OK | os.X_OK):
        if _on_read_only_file_system(target):
            raise OutputError(
                f"output folder {target} is on a read-only file system; "
                "choose another folder with --out"
            )
        raise OutputError(
            f"output folder {target} is read-only (permission denied); accessplan will not "
            f"replace it: make it writable, or choose another folder with --out"
        )


def _check_parent(target: Path) -> None:
    """The folder that will hold ``target`` exists or can be made, and is writable."""
    ancestor = target.parent
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(
            f"cannot create the output folder {target}: {ancestor} is a file, not a folder"
        )
    prefix = f".{target.name}." if ancestor == target.parent else ".accessplan-probe."
    try:
        probe = tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=ancestor)
    except OSError as exc:
        cause = _cause(exc) or exc.strerror or str(exc)
        raise OutputError(
            f"cannot write the output folder {target}: {cause} in {ancestor}"
        ) from exc
    with contextlib.suppress(OSError):
        os.rmdir(probe)


def check_output_target(target: str | Path, *, log: Callable[[str], None] | None = None) -> Path:
    """Check that outputs can be written to ``target``, before any computation.

    First repairs what an earlier killed run left beside ``target`` (an
    interrupted swap is finished or undone, its temporary folders removed),
    then checks that ``target`` is missing, empty or an accessplan output
    (it holds :data:`MARKER`), that it is readable and writable, and that
    the folder that holds it is writable. Nothing else is written.

    Parameters
    ----------
    target : str or Path
        The output folder.
    log : callable, optional
        Told (one line) when an earlier run's leftovers were repaired.

    Returns
    -------
    Path
        ``target``, absolute and resolved.

    Raises
    ------
    OutputError
        ``target`` is a file, a non-empty folder accessplan did not write, an
        unreadable or read-only folder, or its parent cannot be written
        (permission, read-only file system, disk full); one line naming the
        folder and the cause.
    """
    target = _resolve(target)
    _recover(target, log or (lambda _msg: None))
    _check_replaceable(target)
    _check_parent(target)
    return target


# --------------------------------------------------------------------------
# Leftovers of killed runs
# --------------------------------------------------------------------------


def _process_gone(marker: dict, age_seconds: float) -> bool:
    """The process that wrote ``marker`` is no longer running."""
    if marker.get("host") != socket.gethostname():
        return age_seconds > _OTHER_HOST_STALE_SECONDS
    pid = marker.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    if pid == os.getpid():
        return False  # this process's own folders are cleaned by their own block
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _age_seconds(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _stale_tmp(path: Path) -> bool:
    if path in _ACTIVE or not path.is_dir() or path.is_symlink():
        return False
    marker = read_marker(path)
    if marker is not None:
        return _process_gone(marker, _age_seconds(path))
    try:
        # empty, or only a marker cut short (a run killed while creating its folder)
        empty = set(os.listdir(path)) <= {MARKER}
    except OSError:
        return False
    return empty and _age_seconds(path) > _EMPTY_STALE_SECONDS


def _remove_ours(folder: Path) -> None:
    """Delete an accessplan folder, its marker last (a half-deleted folder stays recognisable)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name == MARKER:
            continue
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    with contextlib.suppress(OSError):
        (folder / MARKER).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()


def _recover(target: Path, log: Callable[[str], None]) -> None:
    """Finish or undo a swap a killed run left half done; remove its temporary folders."""
    parent = target.parent
    try:
        names = os.listdir(parent)
    except OSError:
        return  # a missing or unreadable parent is reported by the checks
    tmp_re, old_re = _tmp_pattern(target.name), _old_pattern(target.name)
    tmps = {m.group(1): parent / n for n in names if (m := tmp_re.match(n))}
    olds = {m.group(1): parent / n for n in names if (m := old_re.match(n))}
    olds = {t: p for t, p in olds.items() if p.is_dir() and read_marker(p) is not None}
    if olds and not os.path.lexists(target):
        # killed between the two renames: the newest previous output is the one to act on
        token, old = max(
            olds.items(), key=lambda item: str(read_marker(item[1]).get("created_utc") or "")
        )
        new = tmps.get(token)
        new_marker = read_marker(new) if new is not None else None
        if new is not None and new_marker is not None and not _stale_tmp(new):
            return  # its run is alive and between its renames right now
        if new_marker is not None and new_marker.get("complete"):
            os.rename(new, target)
            tmps.pop(token)
            log(f"finished replacing {target}, which an interrupted run had left half done")
        else:
            os.rename(old, target)
            log(f"restored the previous output {target}, which an interrupted run had moved")
            olds.pop(token)
    if os.path.lexists(target):
        for old in olds.values():
            if os.path.lexists(old):
                _remove_ours(old)
    for tmp in tmps.values():
        if os.path.lexists(tmp) and _stale_tmp(tmp):
            _remove_ours(tmp)


# --------------------------------------------------------------------------
# The swap
# --------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them.

    Python runs signal handlers in the main thread only, so outside it there
    is nothing to defer.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    saved = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        saved[signum] = signal.signal(signum, lambda s, _frame: received.append(s))
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


def _finish(tmp: Path, marker: dict) -> None:
    """Make the outputs durable and readable, and mark the folder complete."""
    umask = os.umask(0)
    os.umask(umask)
    for root, dirs, files in os.walk(tmp):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o777 & ~umask)
        for name in files:
            path = os.path.join(root, name)
            os.chmod(path, 0o666 & ~umask)
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    os.chmod(tmp, 0o777 & ~umask)
    marker["complete"] = True
    marker["finished_utc"] = _now()
    _write_marker(tmp, marker)
    os.chmod(tmp / MARKER, 0o666 & ~umask)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _swap(tmp: Path, target: Path, old: Path) -> bool:
    """Move ``tmp`` to ``target``, the previous ``target`` to ``old``; True if one existed."""
    had_previous = os.path.lexists(target)
    try:
        if had_previous:
            os.rename(target, old)
        os.rename(tmp, target)
    except BaseException:
        # whatever failed after the first rename: put the previous output back
        if had_previous and os.path.lexists(old) and not os.path.lexists(target):
            os.rename(old, target)
        raise
    _fsync_folder(target.parent)
    return had_previous


def _as_output_error(exc: BaseException, target: Path, tmp: Path) -> OutputError | None:
    """An OutputError for a write failure caused by the disk or permissions, else None."""
    cause = _cause(exc)
    from_gdal = type(exc).__module__.split(".")[0] in ("pyogrio", "fiona", "rasterio")
    if cause is None and from_gdal and _disk_full(tmp.parent):
        # GDAL reports a full disk as an odd SQLite or layer error ("no such table")
        cause = _ENVIRONMENT_ERRNOS[errno.ENOSPC]
    if cause is None:
        return None
    return OutputError(
        f"cannot write the outputs to {target}: {cause}{_file_name(exc)}; "
        "the previous output (if any) is unchanged"
    )


@contextlib.contextmanager
def atomic_output_dir(target: str | Path, *, command: str | None = None) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``target`` only if the block succeeds.

    Parameters
    ----------
    target : str or Path
        The output folder. If it exists it must be empty or an accessplan
        output (it holds :data:`MARKER`); it is then replaced whole.
    command : str, optional
        The command written into the marker (default: the one of the
        enclosing :func:`recording` block, if any).

    Yields
    ------
    Path
        A fresh folder beside ``target`` to write into (it already holds the
        marker; do not remove it).

    Raises
    ------
    OutputError
        ``target`` is a file, a non-empty folder that accessplan did not
        write, unreadable or read-only; or writing failed because the disk
        is full, the file system read-only or permission was denied. The
        previous output is left as it was and the temporary folder removed.
    """
    target = check_output_target(target)
    record = _RECORD.get()
    if command is None and record is not None:
        command = record.command
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        cause = _cause(exc) or exc.strerror or str(exc)
        raise OutputError(f"cannot create the output folder {target}: {cause}") from exc
    _ACTIVE.add(tmp)
    old = target.with_name(f".{target.name}.old-{_token(tmp, target.name)}")
    committed = replaced = False
    try:
        try:
            marker = _new_marker(command)
            _write_marker(tmp, marker)
            yield tmp
            with _signals_deferred():
                _finish(tmp, marker)
                _check_replaceable(target)  # again: things may have changed meanwhile
                replaced = _swap(tmp, target, old)
                committed = True
                if record is not None:
                    record.written.append(target)
        except OutputError:
            raise
        except Exception as exc:
            error = _as_output_error(exc, target, tmp)
            if error is None:
                raise
            raise error from exc
    finally:
        _ACTIVE.discard(tmp)
        with _signals_deferred():
            if not committed:
                _remove_ours(tmp)
        if replaced:
            _remove_ours(old)


# --------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_json(path: Path, data) -> None:
    """Write ``data`` as indented JSON (numpy scalars, paths and NaN handled)."""
    path.write_text(
        json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
