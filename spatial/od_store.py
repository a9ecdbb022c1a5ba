"""The OD table as a Parquet file, written and read a row group at a time.

A run writes its travel times once and later steps and later runs read them
back, as long as they were built for the same inputs.  The file has three
columns, one row per (origin, site) pair within the catchment:

* ``origin_id``, ``site_id``: the ids, dictionary-encoded (an Arrow
  ``DictionaryArray`` with int32 indices over the ids each row group uses), so
  pandas reads text ids as categoricals and any Parquet reader sees the ids
  themselves.  Text ids stay text (``"01001"`` keeps its zero); integer ids
  come back as int64 columns (Arrow reads integer dictionaries as plain
  values; on disk they are dictionary-encoded all the same);
* ``minutes``: float32 by default, float64 on request.  float32 keeps about 7
  significant digits: a rounding of at most ``2**-24`` relative, i.e. below
  ``4e-6`` minutes at 60 minutes (below 1e-5 minutes for any time under 160
  minutes).  A pair at exactly ``max_minutes`` may round to the float32 just
  above it; numpy compares a float32 array with a Python bound in float32,
  so it still counts as within the bound.

and key-value metadata (``accessplan.od``, JSON): the format version, the
accessplan version, ``max_minutes``, ``method``, the numbers of origins,
sites and pairs, the minutes' dtype, the row order, and the *fingerprint*
of the inputs (see :func:`od_fingerprint`).  The full id lists, in code
order (origins without any pair included), travel in two more keys as Arrow
IPC streams, so a :class:`~accessplan.spatial.od_codes.CodedOD` comes back
with exactly its labels and codes.

Writing streams (:class:`ODParquetWriter`): pairs are buffered to
``row_group_pairs`` and written as a row group, to a temporary file beside
the target that is renamed only when the table is complete (an interrupted
or failed write leaves nothing behind).  Reading
(:func:`read_od_parquet`) fills preallocated code arrays row group by row
group (never a long id frame) and returns the pairs sorted by origin code
then site code whatever the order they were written in.

Memory: writing holds one row group (``12 row_group_pairs`` bytes with
float32 minutes, more while it is encoded); reading holds the table
(``(4 + 4 + b) P`` bytes for ``P`` pairs, ``b`` = 4 or 8 per minute) plus
``17 P`` bytes of sort key and order check, and ``8 P + (4 + 4 + b) P`` more
when the file is not in origin order (the order and the sorted copies).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.spatial.errors import ODFingerprintError
from accessplan.spatial.od_codes import CodedOD, site_code_dtype

__all__ = [
    "FORMAT_VERSION",
    "ODFingerprintError",
    "ODParquetWriter",
    "od_fingerprint",
    "read_od_metadata",
    "read_od_parquet",
    "write_od_parquet",
]

#: Version of the file layout; a file of another version is refused.
FORMAT_VERSION = 1

_META_KEY = b"accessplan.od"
_ORIGINS_KEY = b"accessplan.od.origin_ids"
_SITES_KEY = b"accessplan.od.site_ids"
_COLUMNS = ("origin_id", "site_id", "minutes")
_MINUTES_TYPES = {"float32": np.float32, "float64": np.float64}
_DEFAULT_ROW_GROUP_PAIRS = 1 << 22  # 4,194,304 pairs, 48 MiB of codes and float32 minutes
_MAX_ROWS_SHOWN = 1000


# --------------------------------------------------------------------------
# Fingerprints
# --------------------------------------------------------------------------


def _ids_digest(hasher, ids) -> None:
    values = np.asarray(pd.Index(ids))
    if values.dtype.kind in "iu":
        hasher.update(b"int64:")
        hasher.update(np.ascontiguousarray(values, dtype=np.int64).tobytes())
    else:
        # the type of each id counts: "1" and 1 are different ids
        text = "\x1e".join(f"{type(v).__name__}:{v}" for v in values)
        hasher.update(b"labels:")
        hasher.update(text.encode("utf-8"))


def _points_hash(ids, xy) -> str:
    hasher = hashlib.sha256()
    _ids_digest(hasher, ids)
    if xy is not None:
        hasher.update(b"xy:")
        hasher.update(np.ascontiguousarray(xy, dtype=np.float64).tobytes())
    return hasher.hexdigest()


def od_fingerprint(
    *,
    origin_ids,
    site_ids,
    origin_xy: np.ndarray | None = None,
    site_xy: np.ndarray | None = None,
    network: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """SHA-256 digests of what an OD table was built from, part by part.

    Parameters
    ----------
    origin_ids, site_ids : sequence
        The ids in order (type counts: ``"01"`` and ``1`` differ).
    origin_xy, site_xy : numpy.ndarray, optional
        ``(n, 2)`` coordinates of the points, as used (e.g. in the network's CRS).
    network : str, optional
        A key of the road network: a file's hash and the loading options, or
        a digest of its arrays.
    options : mapping, optional
        Everything else the times depend on (``max_minutes``, access speed...),
        JSON-serialisable.

    Returns
    -------
    dict
        ``origins``, ``sites``, ``network``, ``options`` and ``all`` (the
        digest of the four); store it with the table and compare it later.
    """
    parts = {
        "origins": _points_hash(origin_ids, origin_xy),
        "sites": _points_hash(site_ids, site_xy),
        "network": hashlib.sha256((network or "").encode("utf-8")).hexdigest(),
        "options": hashlib.sha256(
            json.dumps(dict(options or {}), sort_keys=True, default=str).encode("utf-8")
        ).hexdigest(),
    }
    parts["all"] = hashlib.sha256("|".join(parts.values()).encode("ascii")).hexdigest()
    return parts


def _fingerprint_differences(stored: Any, expected: Mapping[str, str] | str) -> list[str]:
    """Names of the parts that differ (empty when the fingerprints agree)."""
    if isinstance(expected, str):
        expected = {"all": expected}
    if not isinstance(stored, Mapping):
        return ["the table has no fingerprint"]
    if stored.get("all") == expected.get("all"):
        return []
    parts = [k for k in ("origins", "sites", "network", "options") if k in expected]
    differ = [k for k in parts if stored.get(k) != expected.get(k)]
    return differ or ["the inputs"]


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _ids_array(ids: pd.Index, what: str) -> pa.Array:
    """The ids as an Arrow array of text or integers (refusing anything else)."""
    values = ids.to_numpy() if ids.dtype.kind in "iu" else ids.to_numpy(dtype=object)
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise ValueError(
            f"{what} ids of mixed types cannot be stored in a Parquet OD table; "
            "make them all text or all integers"
        ) from exc
    if not (pa.types.is_integer(array.type) or pa.types.is_string(array.type)):
        raise ValueError(
            f"{what} ids must be text or integers to be stored in a Parquet OD table, "
            f"not {array.type}"
        )
    return array


def _ids_to_ipc(array: pa.Array) -> bytes:
    sink = pa.BufferOutputStream()
    table = pa.table({"id": array})
    options = pa.ipc.IpcWriteOptions(compression="zstd")
    with pa.ipc.new_stream(sink, table.schema, options=options) as stream:
        stream.write_table(table)
    return sink.getvalue().to_pybytes()


def _ids_from_ipc(blob: bytes) -> pd.Index:
    table = pa.ipc.open_stream(pa.py_buffer(blob)).read_all()
    return pd.Index(table.column("id").to_pandas()).rename(None)


def _accessplan_version() -> str:
    try:
        return metadata.version("accessplan")
    except metadata.PackageNotFoundError:
        return "unknown"


def _dictionary_column(codes: np.ndarray, lookup: pa.Array, n_ids: int) -> pa.DictionaryArray:
    """Codes as a DictionaryArray over the ids this row group uses (not the whole lookup)."""
    used = np.zeros(n_ids, dtype=bool)
    used[codes] = True
    kept = np.flatnonzero(used)
    local = np.cumsum(used, dtype=np.int64) - 1
    return pa.DictionaryArray.from_arrays(
        pa.array(local[codes].astype(np.int32)), lookup.take(pa.array(kept))
    )


class ODParquetWriter:
    """Stream pairs of codes into a Parquet OD table (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The file to write (replaced only when :meth:`close` succeeds).
    origin_ids, site_ids : sequence
        The labels of the origin and site codes, unique, all text or all integers.
    max_minutes : float, optional
        The bound the table was built for.
    method : str, default "network"
        How the times were made (``"network"``, ``"straight_line"``, ``"od_table"``).
    fingerprint : dict, optional
        :func:`od_fingerprint` of the inputs.
    minutes_dtype : {numpy.float32, numpy.float64}, default float32
        Storage of the minutes (see the module docstring for the rounding).
    row_group_pairs : int, default 4,194,304
        Pairs per row group (memory while writing is about ``12 x`` this).
    in_origin_order : bool, default False
        Declare that the pairs arrive sorted by origin code then site code
        (readers then skip the sort).

    Use as a context manager: leaving it by an exception removes the
    temporary file; leaving it normally closes (renames) the table.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        origin_ids,
        site_ids,
        max_minutes: float | None = None,
        method: str = "network",
        fingerprint: Mapping[str, str] | None = None,
        minutes_dtype=np.float32,
        row_group_pairs: int = _DEFAULT_ROW_GROUP_PAIRS,
        in_origin_order: bool = False,
    ) -> None:
        self.path = Path(path)
        self.origin_ids = pd.Index(origin_ids).rename(None)
        self.site_ids = pd.Index(site_ids).rename(None)
        for name, ids in (("origin", self.origin_ids), ("site", self.site_ids)):
            if not ids.is_unique:
                raise ValueError(f"{name} ids must be unique")
        minutes_dtype = np.dtype(minutes_dtype)
        if minutes_dtype.name not in _MINUTES_TYPES:
            raise ValueError(f"minutes_dtype must be float32 or float64, got {minutes_dtype}")
        self.minutes_dtype = minutes_dtype
        self.row_group_pairs = max(1, int(row_group_pairs))
        self.n_pairs = 0
        self._origin_arrow = _ids_array(self.origin_ids, "origin")
        self._site_arrow = _ids_array(self.site_ids, "site")
        self._origins_ipc = _ids_to_ipc(self._origin_arrow)
        self._sites_ipc = _ids_to_ipc(self._site_arrow)
        self._info = {
            "format_version": FORMAT_VERSION,
            "accessplan_version": _accessplan_version(),
            "max_minutes": None if max_minutes is None else float(max_minutes),
            "method": str(method),
            "n_origins": len(self.origin_ids),
            "n_sites": len(self.site_ids),
            "minutes_dtype": minutes_dtype.name,
            "order": "origin" if in_origin_order else "chunks",
            "fingerprint": dict(fingerprint) if fingerprint is not None else None,
        }
        self._schema = pa.schema(
            [
                ("origin_id", pa.dictionary(pa.int32(), self._origin_arrow.type)),
                ("site_id", pa.dictionary(pa.int32(), self._site_arrow.type)),
                ("minutes", pa.from_numpy_dtype(minutes_dtype)),
            ]
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".partial", dir=self.path.parent
        )
        os.close(handle)
        self._temp = Path(temp)
        try:
            self._writer: pq.ParquetWriter | None = pq.ParquetWriter(
                self._temp, self._schema, compression="zstd"
            )
        except BaseException:
            self._temp.unlink(missing_ok=True)
            raise
        self._buffer: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._buffered = 0

    def write_pairs(self, origin_codes, site_codes, minutes) -> None:
        """Add pairs (codes index ``origin_ids`` / ``site_ids``; minutes finite, >= 0)."""
        if self._writer is None:
            raise ValueError(f"the OD table writer of {self.path} is closed")
        o = np.asarray(origin_codes, dtype=np.int32)
        s = np.asarray(site_codes, dtype=np.int32)
        t = np.asarray(minutes, dtype=np.float64)
        if not len(o) == len(s) == len(t):
            raise ValueError("origin_codes, site_codes and minutes differ in length")
        if len(t) == 0:
            return
        if o.min() < 0 or o.max() >= len(self.origin_ids):
            raise ValueError("origin codes out of range")
        if s.min() < 0 or s.max() >= len(self.site_ids):
            raise ValueError("site codes out of range")
        if not (np.isfinite(t).all() and t.min() >= 0):
            raise ValueError("minutes must be finite and >= 0")
        self._buffer.append((o, s, t.astype(self.minutes_dtype)))
        self._buffered += len(t)
        self.n_pairs += len(t)
        while self._buffered >= self.row_group_pairs:
            self._flush(self.row_group_pairs)

    def _flush(self, n_rows: int | None = None) -> None:
        if not self._buffer:
            return
        o, s, t = (np.concatenate(parts) for parts in zip(*self._buffer, strict=True))
        n_rows = len(t) if n_rows is None else n_rows
        rest = (o[n_rows:], s[n_rows:], t[n_rows:])
        o, s, t = o[:n_rows], s[:n_rows], t[:n_rows]
        self._buffer = [rest] if len(rest[2]) else []
        self._buffered = len(rest[2])
        table = pa.Table.from_arrays(
            [
                _dictionary_column(o, self._origin_arrow, len(self.origin_ids)),
                _dictionary_column(s, self._site_arrow, len(self.site_ids)),
                pa.array(t),
            ],
            schema=self._schema,
        )
        assert self._writer is not None
        self._writer.write_table(table, row_group_size=len(t))

    def close(self) -> Path:
        """Write the last row group and the metadata, and move the table into place."""
        if self._writer is None:
            return self.path
        try:
            self._flush()
            info = dict(self._info, n_pairs=int(self.n_pairs))
            self._writer.add_key_value_metadata(
                {
                    _META_KEY: json.dumps(info).encode("utf-8"),
                    _ORIGINS_KEY: self._origins_ipc,
                    _SITES_KEY: self._sites_ipc,
                }
            )
            self._writer.close()
            self._writer = None
            os.replace(self._temp, self.path)
        except BaseException:
            self.abort()
            raise
        return self.path

    def abort(self) -> None:
        """Stop writing and remove the temporary file (the target is left as it was)."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # already failing; the temporary file goes anyway
                pass
            self._writer = None
        self._buffer = []
        self._temp.unlink(missing_ok=True)

    def __enter__(self) -> ODParquetWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_od_parquet(
    path: str | Path,
    table: CodedOD | Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    origin_ids=None,
    site_ids=None,
    max_minutes: float | None = None,
    method: str = "network",
    fingerprint: Mapping[str, str] | None = None,
    minutes_dtype=np.float32,
    row_group_pairs: int = _DEFAULT_ROW_GROUP_PAIRS,
) -> Path:
    """Write an OD table to Parquet (see the module docstring for the layout).

    Parameters
    ----------
    path : str or Path
        The file; written to a temporary file renamed at the end.
    table : CodedOD or iterable of (origin_codes, site_codes, minutes)
        A coded table (its labels and ``max_minutes`` are used unless given),
        or chunks of pairs as they are produced (each pair once).
    origin_ids, site_ids : sequence
        Labels of the codes; required with chunks.
    max_minutes, method, fingerprint, minutes_dtype, row_group_pairs
        See :class:`ODParquetWriter`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    coded = isinstance(table, CodedOD)
    if coded:
        origin_ids = table.origin_ids if origin_ids is None else origin_ids
        site_ids = table.site_ids if site_ids is None else site_ids
        max_minutes = table.max_minutes if max_minutes is None else max_minutes
    if origin_ids is None or site_ids is None:
        raise ValueError("origin_ids and site_ids are required with chunks of pairs")
    with ODParquetWriter(
        path,
        origin_ids=origin_ids,
        site_ids=site_ids,
        max_minutes=max_minutes,
        method=method,
        fingerprint=fingerprint,
        minutes_dtype=minutes_dtype,
        row_group_pairs=row_group_pairs,
        in_origin_order=coded,
    ) as writer:
        if coded:
            step = max(1, int(row_group_pairs))
            for start in range(0, table.n_pairs, step):
                stop = min(start + step, table.n_pairs)
                # origin of each pair in [start, stop): the row whose indptr range holds it
                rows = np.searchsorted(table.indptr, np.arange(start, stop), side="right") - 1
                writer.write_pairs(rows, table.site_codes[start:stop], table.minutes[start:stop])
        else:
            for o, s, t in table:
                writer.write_pairs(o, s, t)
    return Path(path)


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


def _open(path: Path, read_dictionary: list[str] | None = None) -> pq.ParquetFile:
    if not path.is_file():
        raise InputFileError(path, "OD table not found")
    try:
        return pq.ParquetFile(path, read_dictionary=read_dictionary)
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as exc:
        raise InputFileError(path, f"not a Parquet file ({exc})") from exc


def _check_layout(pf: pq.ParquetFile, path: Path) -> tuple[dict, pd.Index, pd.Index]:
    """The table's metadata and id lists; every layout problem raised at once."""
    source = str(path)
    problems = ProblemCollector(what="OD table")
    schema = pf.schema_arrow
    found = ", ".join(schema.names) or "none"
    for name in _COLUMNS:
        if name not in schema.names:
            problems.add(f"column is missing (columns found: {found})", source=source, column=name)
    extra = [n for n in schema.names if n not in _COLUMNS]
    if extra:
        problems.add(
            f"unexpected column(s) {', '.join(extra)}; an accessplan OD table has exactly "
            "origin_id, site_id, minutes",
            source=source,
        )
    if "minutes" in schema.names:
        kind = schema.field("minutes").type
        if kind not in (pa.float32(), pa.float64()):
            problems.add(
                f"minutes must be float32 or float64, found {kind}",
                source=source,
                column="minutes",
            )
    for name in ("origin_id", "site_id"):
        if name in schema.names:
            kind = schema.field(name).type
            if pa.types.is_dictionary(kind):
                kind = kind.value_type
            if not (pa.types.is_integer(kind) or pa.types.is_string(kind)):
                problems.add(
                    f"ids must be text or integers, found {kind}", source=source, column=name
                )
    kv = pf.metadata.metadata or {}
    info: dict = {}
    if _META_KEY not in kv:
        problems.add(
            "not an accessplan OD table (no 'accessplan.od' metadata); a table made elsewhere "
            "is read with accessplan.spatial.travel_time.read_od_table",
            source=source,
        )
    else:
        try:
            info = json.loads(kv[_META_KEY])
        except ValueError:
            problems.add("the 'accessplan.od' metadata is not valid JSON", source=source)
        version = info.get("format_version")
        if info and version != FORMAT_VERSION:
            problems.add(
                f"OD table format version {version!r} (written by accessplan "
                f"{info.get('accessplan_version', '?')}); this accessplan reads version "
                f"{FORMAT_VERSION}: compute the travel times again",
                source=source,
            )
    ids = []
    for key, what in ((_ORIGINS_KEY, "origin"), (_SITES_KEY, "site")):
        try:
            ids.append(_ids_from_ipc(kv[key]))
        except (KeyError, pa.ArrowException):
            ids.append(None)
            if _META_KEY in kv:
                problems.add(f"the list of {what} ids is missing or unreadable", source=source)
    problems.raise_if_any()
    return info, ids[0], ids[1]


def read_od_metadata(path: str | Path) -> dict:
    """The ``accessplan.od`` metadata of a table (format, bound, method, counts, fingerprint).

    Reads only the file footer; raises like :func:`read_od_parquet` on a bad layout.
    """
    path = Path(path)
    info, _, _ = _check_layout(_open(path), path)
    return info


def _to_codes(column: pa.ChunkedArray, lookup: pd.Index, out: np.ndarray) -> np.ndarray:
    """Write the codes of ``column``'s ids into ``out``; return a mask of ids missing or unknown."""
    bad = np.zeros(len(out), dtype=bool)
    at = 0
    for chunk in column.chunks:
        n = len(chunk)
        if pa.types.is_dictionary(chunk.type):
            known = lookup.get_indexer(pd.Index(chunk.dictionary.to_pandas()))
            idx = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            codes = np.where(idx >= 0, known[np.maximum(idx, 0)], -1)
        else:
            values = chunk.to_pandas()
            codes = np.full(n, -1, dtype=np.int64)
            present = values.notna().to_numpy()
            codes[present] = lookup.get_indexer(pd.Index(values[present]))
        bad[at : at + n] = codes < 0
        out[at : at + n] = np.maximum(codes, 0)
        at += n
    return bad


def _rows(mask: np.ndarray, offset: int) -> tuple[int, ...]:
    return tuple(int(i) + offset + 1 for i in np.flatnonzero(mask)[:_MAX_ROWS_SHOWN])


def read_od_parquet(
    path: str | Path, *, expect_fingerprint: Mapping[str, str] | str | None = None
) -> CodedOD:
    """Read a Parquet OD table written by :func:`write_od_parquet` as a :class:`CodedOD`.

    Parameters
    ----------
    path : str or Path
        The table.
    expect_fingerprint : dict or str, optional
        :func:`od_fingerprint` of the current inputs (or its ``"all"`` digest):
        the table is refused unless it was built for them.

    Returns
    -------
    CodedOD
        Labels and codes as written; pairs sorted by origin code then site
        code; minutes in the stored dtype; ``max_minutes`` as recorded.

    Raises
    ------
    InputFileError
        The file is missing or not a Parquet file.
    InputValidationError
        Every problem at once, naming the file, column and 1-based rows:
        missing or extra columns, wrong dtypes, no accessplan metadata,
        another format version, missing or unknown ids, NaN, infinite or
        negative minutes, repeated pairs.
    ODFingerprintError
        The table was built for other inputs (the message says which differ).
    """
    path = Path(path)
    info, origin_ids, site_ids = _check_layout(_open(path), path)
    pf = _open(path, read_dictionary=["origin_id", "site_id"])  # text ids stay coded
    if expect_fingerprint is not None:
        differ = _fingerprint_differences(info.get("fingerprint"), expect_fingerprint)
        if differ:
            raise ODFingerprintError(
                f"file {path}: the OD table was built for other inputs "
                f"({', '.join(differ)} differ); compute the travel times again"
            )
    source = str(path)
    problems = ProblemCollector(what="OD table")
    n = pf.metadata.num_rows
    bound = info.get("max_minutes")
    minutes_type = pf.schema_arrow.field("minutes").type.to_pandas_dtype()
    o_codes = np.empty(n, dtype=np.int32)
    s_codes = np.empty(n, dtype=site_code_dtype(len(site_ids)))
    minutes = np.empty(n, dtype=minutes_type)
    bad_o = np.zeros(n, dtype=bool)
    bad_s = np.zeros(n, dtype=bool)
    at = 0
    for group in range(pf.num_row_groups):
        part = pf.read_row_group(group, columns=list(_COLUMNS))
        m = len(part)
        window = slice(at, at + m)
        bad_o[window] = _to_codes(part.column("origin_id"), origin_ids, o_codes[window])
        bad_s[window] = _to_codes(part.column("site_id"), site_ids, s_codes[window])
        minutes[window] = part.column("minutes").to_numpy()
        at += m
    del part
    for mask, column, what in ((bad_o, "origin_id", "origin"), (bad_s, "site_id", "site")):
        if mask.any():
            problems.add(
                f"{int(mask.sum())} {what} id(s) missing or not in the table's id list",
                source=source,
                column=column,
                rows=_rows(mask, 0),
            )
    with np.errstate(invalid="ignore"):
        for mask, message in (
            (np.isnan(minutes), "minutes are missing (NaN)"),
            (np.isinf(minutes), "minutes are infinite"),
            (minutes < 0, "minutes are negative"),
            (
                np.isfinite(minutes) & (minutes > (np.inf if bound is None else bound)),
                f"minutes exceed the bound the table records (max_minutes = {bound})",
            ),
        ):
            if mask.any():
                problems.add(
                    f"{message} ({int(mask.sum())} rows)",
                    source=source,
                    column="minutes",
                    rows=_rows(mask, 0),
                )
    problems.raise_if_any()
    del bad_o, bad_s

    key = o_codes.astype(np.int64) * max(len(site_ids), 1) + s_codes
    step = np.diff(key)
    if not (step > 0).all():
        order = np.argsort(key, kind="stable")  # runs of sorted chunks merge cheaply
        key = key[order]
        repeated = np.flatnonzero(np.diff(key) == 0)
        if len(repeated):
            rows = np.unique(np.concatenate([order[repeated], order[repeated + 1]]))
            problems.add(
                f"{len(repeated)} (origin, site) pair(s) appear more than once",
                source=source,
                column="origin_id, site_id",
                rows=tuple(int(r) + 1 for r in rows[:_MAX_ROWS_SHOWN]),
            )
            problems.raise_if_any()
        o_codes, s_codes, minutes = o_codes[order], s_codes[order], minutes[order]
        del order
    del key, step
    indptr = np.zeros(len(origin_ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(o_codes, minlength=len(origin_ids)), out=indptr[1:])
    return CodedOD(
        origin_ids=origin_ids,
        site_ids=site_ids,
        indptr=indptr,
        site_codes=s_codes,
        minutes=minutes,
        max_minutes=None if bound is None else float(bound),
    )
