"""Write outputs atomically: all into a temporary folder, moved into place at the end."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from accessplan.planner.errors import OutputError

__all__ = ["MARKER", "atomic_output_dir", "write_json"]

#: A file every accessplan output folder holds; an existing folder is only
#: replaced when it holds this file (or is empty), never a user's other folder.
MARKER = "summary.json"


@contextlib.contextmanager
def atomic_output_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``target`` only if the block succeeds.

    Parameters
    ----------
    target : str or Path
        The output folder. If it exists it must be empty or an earlier
        accessplan output (it holds ``summary.json``); it is replaced whole.

    Yields
    ------
    Path
        A fresh folder beside ``target`` to write into.

    Raises
    ------
    OutputError
        ``target`` is a file, or a non-empty folder that accessplan did not write.
    """
    target = Path(target).resolve()
    if target.exists():
        if not target.is_dir():
            raise OutputError(f"output {target} exists and is not a folder")
        if any(target.iterdir()) and not (target / MARKER).is_file():
            raise OutputError(
                f"output folder {target} is not empty and is not an accessplan output "
                f"(no {MARKER}); choose another folder or empty it"
            )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output folder beside {target}: {exc}") from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _normal_permissions(tmp)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{tmp.name}")
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _normal_permissions(folder: Path) -> None:
    """Give the finished outputs the usual permissions (temporary files are created private)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


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
