"""Network cache: parsed road arrays kept on disk so the next run skips parsing.

A road network file (GraphML, OSM XML or PBF) is parsed once into
:class:`~accessplan.spatial.road_arrays.RoadArrays`; the arrays and the
:class:`~accessplan.spatial.network.NetworkReport` are then stored in a cache
folder (``.accessplan-cache`` by default) as two files:

* ``<name>.<key>.npz``: the arrays (``node_ids``, ``x``, ``y``, ``indptr``,
  ``heads``, ``seconds``, ``road_class``), uncompressed, read back without
  pickles;
* ``<name>.<key>.json``: metadata: cache format version, the source file's
  path, size, modification time and SHA-256, the reader options, node and edge
  counts, the CRS and the report.

The key is the first 24 hex digits of

.. math:: \\mathrm{SHA256}(\\text{format version} \\,\\|\\, \\mathrm{SHA256}(\\text{file bytes}) \\,\\|\\, \\text{options})

so a changed file, other options (``network_type``, speeds, ``to_crs``) or a
new cache format never meet an old entry.  The file is hashed in 1 MiB blocks
on every run (about 1 s per GB); its path and modification time do not count:
a copy of the same file elsewhere reuses the entry.

Each file is written to a temporary file in the cache folder and renamed into
place (:func:`os.replace`), arrays first and metadata last: an interrupted
write leaves either no entry or a complete one.  An entry whose metadata does
not match its key (another format version, another source file, other
options) or that cannot be read is an error naming the cache file, never
silently used or replaced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyproj

from accessplan.spatial.errors import NetworkCacheError
from accessplan.spatial.network import NetworkReport
from accessplan.spatial.network_crs import crs_string
from accessplan.spatial.road_arrays import RoadArrays

__all__ = [
    "CACHE_FORMAT_VERSION",
    "DEFAULT_CACHE_DIR",
    "CacheEntry",
    "NetworkCacheError",
    "cache_entry",
    "cached_road_arrays",
    "file_sha256",
    "read_cache_entry",
    "write_cache_entry",
]

CACHE_FORMAT_VERSION = 1
"""Version of the cache layout; entries of another version are never read."""

DEFAULT_CACHE_DIR = ".accessplan-cache"
"""Folder name of the cache (in the current directory unless a ``cache_dir`` is given)."""

_ARRAYS = ("node_ids", "x", "y", "indptr", "heads", "seconds")
_BLOCK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class CacheEntry:
    """Where one cached network lives.

    Attributes
    ----------
    key : str
        24 hex digits of the SHA-256 of format version, file hash and options.
    arrays_path, meta_path : Path
        The ``.npz`` arrays and the ``.json`` metadata.
    sha256 : str
        SHA-256 of the source file's bytes.
    options : dict
        Reader options as stored (JSON values).
    """

    key: str
    arrays_path: Path
    meta_path: Path
    sha256: str
    options: dict[str, Any]


def file_sha256(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while block := stream.read(_BLOCK_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _option_value(name: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if name == "to_crs":
        return crs_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def cache_entry(
    path: str | Path, options: dict[str, Any], *, cache_dir: str | Path | None = None
) -> CacheEntry:
    """The cache entry of a file read with some options (the file is hashed here).

    Parameters
    ----------
    path : str or Path
        The road network file.
    options : dict
        Reader options that change the result (``reader``, ``network_type``,
        ``speed_kph``, ``fallback_speed_kph``, ``to_crs``...); numbers are
        stored as floats and ``to_crs`` as ``"AUTH:CODE"``.
    cache_dir : str or Path, optional
        Cache folder; default ``./.accessplan-cache``.

    Returns
    -------
    CacheEntry

    Raises
    ------
    pyproj.exceptions.CRSError
        If ``to_crs`` is not a CRS (callers let the reader report it instead).
    """
    path = Path(path)
    folder = Path(cache_dir) if cache_dir is not None else Path.cwd() / DEFAULT_CACHE_DIR
    sha256 = file_sha256(path)
    stored = {name: _option_value(name, value) for name, value in sorted(options.items())}
    text = json.dumps(
        {"format": CACHE_FORMAT_VERSION, "sha256": sha256, "options": stored}, sort_keys=True
    )
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    stem = f"{path.name}.{key}"
    return CacheEntry(
        key=key,
        arrays_path=folder / f"{stem}.npz",
        meta_path=folder / f"{stem}.json",
        sha256=sha256,
        options=stored,
    )


def _fix(entry: CacheEntry) -> str:
    return (
        f"delete {entry.meta_path.name} and {entry.arrays_path.name} from {entry.meta_path.parent} "
        "(or the whole folder) to parse the network again, or pass use_cache=False "
        "(compute.cache = false)"
    )


def _corrupt(entry: CacheEntry, what: str) -> NetworkCacheError:
    return NetworkCacheError(
        f"network cache {entry.meta_path}: the entry is corrupt ({what}); {_fix(entry)}"
    )


def _check_meta(entry: CacheEntry, meta: Any) -> None:
    if not isinstance(meta, dict):
        raise _corrupt(entry, "the metadata is not a JSON object")
    version = meta.get("format_version")
    if version != CACHE_FORMAT_VERSION:
        raise NetworkCacheError(
            f"network cache {entry.meta_path}: written in cache format {version!r} (another "
            f"accessplan version); this accessplan reads format {CACHE_FORMAT_VERSION}; "
            f"{_fix(entry)}"
        )
    source = meta.get("source") if isinstance(meta.get("source"), dict) else {}
    if source.get("sha256") != entry.sha256:
        raise NetworkCacheError(
            f"network cache {entry.meta_path}: it holds the network of another file "
            f"({source.get('path')!r}, sha256 {source.get('sha256')!r}); the file read now has "
            f"sha256 {entry.sha256!r}; {_fix(entry)}"
        )
    options = meta.get("options")
    if options != entry.options:
        if not isinstance(options, dict):
            raise _corrupt(entry, "no reader options")
        differ = sorted(
            name
            for name in set(options) | set(entry.options)
            if options.get(name, "<absent>") != entry.options.get(name, "<absent>")
        )
        detail = ", ".join(
            f"{name}: cached {options.get(name, '<absent>')!r}, "
            f"now {entry.options.get(name, '<absent>')!r}"
            for name in differ
        )
        raise NetworkCacheError(
            f"network cache {entry.meta_path}: it was made with other reader options ({detail}); "
            f"{_fix(entry)}"
        )
    if meta.get("key") != entry.key:
        raise _corrupt(entry, f"its key {meta.get('key')!r} is not {entry.key!r}")


def read_cache_entry(
    entry: CacheEntry, *, source: str | Path
) -> tuple[RoadArrays, NetworkReport] | None:
    """The cached arrays and report, or None when the entry does not exist.

    Parameters
    ----------
    entry : CacheEntry
    source : str or Path
        The file as named now: becomes the arrays' and report's ``source``.

    Returns
    -------
    tuple of RoadArrays and NetworkReport, or None

    Raises
    ------
    NetworkCacheError
        If the metadata names another cache format version, another source
        file hash or other options than the entry's key, or the entry cannot
        be read (bad JSON, missing or truncated arrays).
    """
    if not entry.meta_path.exists():
        return None
    try:
        meta = json.loads(entry.meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _corrupt(entry, f"unreadable metadata: {exc}") from exc
    _check_meta(entry, meta)
    source = str(source)
    try:
        with np.load(entry.arrays_path, allow_pickle=False) as stored:
            if stored["cache_key"].item() != entry.key:
                raise _corrupt(entry, f"{entry.arrays_path.name} belongs to another entry")
            arrays = {name: stored[name] for name in _ARRAYS}
            road_class = stored["road_class"] if "road_class" in stored.files else None
        fields = dict(meta["report"])
        fields["source"] = source
        report = NetworkReport(**fields)
        result = RoadArrays(
            **arrays,
            crs=pyproj.CRS.from_wkt(meta["crs_wkt"]),
            road_class=road_class,
            source=source,
        )
    except NetworkCacheError:
        raise
    except (OSError, EOFError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        raise _corrupt(entry, f"{type(exc).__name__}: {exc}") from exc
    if result.n_nodes != meta.get("nodes") or result.n_edges != meta.get("edges"):
        raise _corrupt(entry, "the arrays do not have the node and edge counts of the metadata")
    return result, report


def _write_atomically(target: Path, write: Callable[[Any], None]) -> None:
    handle = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            write(handle)
        os.chmod(handle.name, 0o644)  # temporary files are private; cache entries need not be
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def write_cache_entry(
    entry: CacheEntry, arrays: RoadArrays, report: NetworkReport, *, source: str | Path
) -> None:
    """Store arrays and report under ``entry`` (temporary files renamed into place).

    Parameters
    ----------
    entry : CacheEntry
    arrays : RoadArrays
        Arrays with integer node ids (others are not cached).
    report : NetworkReport
    source : str or Path
        The file they were read from (size and modification time recorded).
    """
    if arrays.node_ids.dtype.kind not in "iu":
        return
    try:
        entry.meta_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NetworkCacheError(
            f"network cache {entry.meta_path.parent}: cannot create the folder ({exc}); give a "
            "writable cache_dir or pass use_cache=False (compute.cache = false)"
        ) from exc
    stored = {name: getattr(arrays, name) for name in _ARRAYS}
    if arrays.road_class is not None:
        stored["road_class"] = arrays.road_class
    stored["cache_key"] = np.array(entry.key)
    try:
        _write_atomically(entry.arrays_path, lambda handle: np.savez(handle, **stored))
    except OSError as exc:
        raise NetworkCacheError(
            f"network cache {entry.meta_path.parent}: cannot write {entry.arrays_path.name} "
            f"({exc}); give a writable cache_dir or pass use_cache=False (compute.cache = false)"
        ) from exc
    status = Path(source).stat()
    meta = {
        "format_version": CACHE_FORMAT_VERSION,
        "key": entry.key,
        "source": {
            "path": str(Path(source).resolve()),
            "size": status.st_size,
            "mtime": status.st_mtime,
            "sha256": entry.sha256,
        },
        "options": entry.options,
        "nodes": arrays.n_nodes,
        "edges": arrays.n_edges,
        "crs": crs_string(arrays.crs),
        "crs_wkt": arrays.crs.to_wkt(),
        "arrays": entry.arrays_path.name,
        "report": dataclasses.asdict(report),
    }
    text = json.dumps(meta, indent=1, sort_keys=True)
    try:
        _write_atomically(entry.meta_path, lambda handle: handle.write(text.encode("utf-8")))
    except OSError as exc:
        raise NetworkCacheError(
            f"network cache {entry.meta_path.parent}: cannot write {entry.meta_path.name} "
            f"({exc}); give a writable cache_dir or pass use_cache=False (compute.cache = false)"
        ) from exc


def cached_road_arrays(
    path: str | Path,
    read: Callable[[], tuple[RoadArrays, NetworkReport]],
    *,
    options: dict[str, Any],
    cache_dir: str | Path | None = None,
) -> tuple[RoadArrays, NetworkReport, bool]:
    """Arrays from the cache, or from ``read()`` then stored.

    Parameters
    ----------
    path : str or Path
        The road network file (must exist).
    read : callable
        Parses the file: returns arrays and report.
    options : dict
        The options ``read`` applies (see :func:`cache_entry`).
    cache_dir : str or Path, optional
        Cache folder; default ``./.accessplan-cache``.

    Returns
    -------
    arrays : RoadArrays
    report : NetworkReport
    hit : bool
        Whether the cache was used.

    Raises
    ------
    NetworkCacheError
        For an entry that is corrupt or does not match its key.
    """
    try:
        entry = cache_entry(path, options, cache_dir=cache_dir)
    except pyproj.exceptions.CRSError:
        arrays, report = read()  # the reader reports the bad to_crs
        return arrays, report, False
    cached = read_cache_entry(entry, source=path)
    if cached is not None:
        return *cached, True
    arrays, report = read()
    write_cache_entry(entry, arrays, report, source=path)
    return arrays, report, False
