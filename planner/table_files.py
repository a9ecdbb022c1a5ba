"""The table files of a run: CSV through Arrow, and the travel times as CSV, Parquet or none.

**CSV.** :func:`write_csv` writes exactly the bytes of pandas'
``DataFrame.to_csv(path, index=...)`` (default options), about ten times
faster on large tables: the columns go through Arrow's CSV writer
(``pyarrow.csv``, no quoting) after each is turned into the text pandas
would write. pandas writes a float64 with Python's ``repr`` (the shortest
text that reads back to the same number: ``5.0``, ``0.25``, ``1e-05``,
``1e+16``) and NaN as an empty field; Arrow's cast of a float64 to text
gives the same shortest digits but another layout (``5``, ``0.00001``,
``1e+10`` for ten billion), so the cast is kept only where both layouts
agree -- zero and magnitudes in ``[1e-4, 1e10)``, with ``.0`` appended to
whole numbers -- and every other value takes its ``repr``. Integers,
booleans (``True``/``False``) and text are written as they are. Anything
else (a column or header that pandas would quote because it holds a comma,
a quote or a line break; a table of one column, whose empty fields pandas
writes as ``""``; float32, categorical, nullable, mixed or date columns) is
written by pandas itself. Tables under :data:`FAST_CSV_MIN_ROWS` rows are
written by pandas too: there is nothing to gain, and small runs keep
pandas' own code path.

**GeoPackage layers** of :data:`FAST_LAYER_MIN_ROWS` rows or more are
written by pyogrio from Arrow (:func:`layer_options`).

**Travel times.** ``[output] travel_times`` chooses the file of the OD
table: ``"csv"`` (``travel_times.csv``), ``"parquet"``
(``travel_times.parquet``, the layout of
:func:`accessplan.spatial.od_store.write_od_parquet` with float64 minutes,
so :func:`~accessplan.spatial.od_store.read_od_parquet` gives back the very
numbers a CSV would hold), ``"none"`` (not written), or ``"auto"`` (the
default): CSV up to :data:`AUTO_CSV_MAX_PAIRS` pairs, Parquet above. A CSV
line of a pair is about 30-45 bytes, so five million pairs are about
200 MB, the most a spreadsheet or a quick ``pandas.read_csv`` handles
comfortably; Parquet holds the same pairs in a tenth of the space. When
the run already keeps its table in ``[compute] od_path``, Parquet is not
written a second time: the summary names that file instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

__all__ = [
    "AUTO_CSV_MAX_PAIRS",
    "FAST_CSV_MIN_ROWS",
    "FAST_LAYER_MIN_ROWS",
    "TRAVEL_TIMES_FORMATS",
    "check_travel_times_format",
    "layer_options",
    "travel_times_format",
    "write_csv",
    "write_travel_times",
]

#: the values of ``[output] travel_times``
TRAVEL_TIMES_FORMATS = ("auto", "csv", "parquet", "none")
#: ``"auto"`` writes ``travel_times.csv`` up to this many pairs, ``travel_times.parquet`` above
AUTO_CSV_MAX_PAIRS = 5_000_000
#: tables with fewer rows are written by pandas' ``to_csv`` (no gain from the Arrow path)
FAST_CSV_MIN_ROWS = 50_000
#: layers with fewer rows are written to GeoPackage feature by feature (pyogrio's default)
FAST_LAYER_MIN_ROWS = 50_000
#: float64 magnitudes where Arrow's text of a number is laid out as Python's ``repr``
_FIXED_LOW, _FIXED_HIGH = 1e-4, 1e10
_NEEDS_QUOTES = r'[,"\r\n]'
_PAIRS_PER_GROUP = 1 << 22


def check_travel_times_format(value: Any, add: Callable[..., None]) -> str:
    """``[output] travel_times``: one of :data:`TRAVEL_TIMES_FORMATS` (problems to ``add``)."""
    if value is None:
        return "auto"
    if not isinstance(value, str) or value.lower() not in TRAVEL_TIMES_FORMATS:
        add(
            f"unknown travel_times {value!r}; choose one of {list(TRAVEL_TIMES_FORMATS)} "
            f'("auto": CSV up to {AUTO_CSV_MAX_PAIRS:,} pairs, Parquet above)',
            "output.travel_times",
        )
        return "auto"
    return value.lower()


def travel_times_format(output: str, pairs: int) -> str:
    """The format ``[output] travel_times = output`` gives a table of ``pairs`` pairs."""
    if output == "auto":
        return "csv" if pairs <= AUTO_CSV_MAX_PAIRS else "parquet"
    return output


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def _float_text(values: np.ndarray) -> pa.Array:
    """The text pandas' ``to_csv`` writes for float64 ``values`` (NaN: null, written empty)."""
    nan = np.isnan(values)
    size = np.abs(values)
    fixed = (size == 0) | ((size >= _FIXED_LOW) & (size < _FIXED_HIGH))
    text = pc.cast(pa.array(values), pa.string())
    whole = fixed & (values == np.trunc(values))
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    other = ~fixed & ~nan
    if other.any():
        text = pc.replace_with_mask(
            text, pa.array(other), pa.array([repr(float(v)) for v in values[other]], pa.string())
        )
    if nan.any():
        text = pc.if_else(pa.array(nan), pa.scalar(None, pa.string()), text)
    return text


def _column_text(column: pd.Series) -> pa.Array | None:
    """One column as the text pandas writes, or None when only pandas can write it."""
    dtype = column.dtype
    if dtype == np.float64:
        return _float_text(column.to_numpy())
    if dtype == np.bool_:
        return pa.array(np.where(column.to_numpy(), "True", "False"))
    if dtype.kind in "iu" and isinstance(dtype, np.dtype):
        return pa.array(column.to_numpy())
    if isinstance(dtype, pd.StringDtype) or (
        dtype is np.dtype(object) and pd.api.types.infer_dtype(column, skipna=True) == "string"
    ):
        text = pa.array(column, pa.large_string())  # Arrow-backed text: no copy per value
        if pc.any(pc.match_substring_regex(text, _NEEDS_QUOTES)).as_py():
            return None  # pandas quotes these fields
        return text
    return None


def _arrow_table(frame: pd.DataFrame) -> pa.Table | None:
    names = [str(c) for c in frame.columns]
    if len(names) < 2:
        return None  # the csv module quotes a row's only field when it is empty: ""
    if len(set(names)) != len(names) or any(
        any(ch in name for ch in ',"\r\n') or name == "" for name in names
    ):
        return None
    columns = []
    for i in range(frame.shape[1]):
        text = _column_text(frame.iloc[:, i])
        if text is None:
            return None
        columns.append(text)
    return pa.Table.from_arrays(columns, names=names)


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = True) -> None:
    """``frame.to_csv(path, index=index)``, through Arrow when the table is large.

    The file is byte for byte the one pandas writes (see the module
    docstring for how and when pandas writes it itself).

    Parameters
    ----------
    frame : pandas.DataFrame
    path : str or Path
    index : bool, default True
        Write the index first (its names as the first header fields), as pandas does.
    """
    table = None
    if len(frame) >= FAST_CSV_MIN_ROWS and isinstance(frame.columns, pd.Index):
        flat = frame
        if index:
            named = all(name is not None for name in frame.index.names)
            clash = any(name in frame.columns for name in frame.index.names)
            flat = frame.reset_index() if named and not clash else None
        if flat is not None and not isinstance(flat.columns, pd.MultiIndex):
            table = _arrow_table(flat)
    if table is None:
        frame.to_csv(path, index=index)
        return
    options = pacsv.WriteOptions(include_header=False, quoting_style="none", batch_size=1 << 16)
    with open(path, "wb") as sink:
        sink.write((",".join(table.column_names) + "\n").encode("utf-8"))
        pacsv.write_csv(table, sink, write_options=options)


def layer_options(frame: pd.DataFrame) -> dict[str, Any]:
    """The ``GeoDataFrame.to_file`` options of a GeoPackage layer: Arrow for large ones.

    pyogrio writes a layer of :data:`FAST_LAYER_MIN_ROWS` rows or more from
    Arrow (``use_arrow=True``, about half the time for 200,000 areas); the
    layer holds the same fields, types, geometry type and values.
    """
    if len(frame) >= FAST_LAYER_MIN_ROWS:
        return {"engine": "pyogrio", "use_arrow": True}
    return {"engine": "pyogrio"}


# --------------------------------------------------------------------------
# Travel times
# --------------------------------------------------------------------------


def _codes(values: pd.Series, ids: pd.Index) -> np.ndarray:
    """The position of each of ``values`` in ``ids`` (Arrow's hash lookup; pandas' if refused)."""
    try:
        found = pc.index_in(pa.array(values), value_set=pa.array(ids))
    except pa.ArrowException:
        codes = ids.get_indexer(values)
        missing = bool((codes < 0).any())
    else:
        missing = found.null_count > 0
        codes = found.fill_null(-1).to_numpy()
    if missing:
        raise ValueError("the travel-time table names an origin or site it was not built for")
    return codes


def _write_parquet(travel, path: Path) -> None:
    """``travel.od`` as an accessplan Parquet OD table (float64 minutes: the exact numbers)."""
    from accessplan.spatial.od_store import write_od_parquet

    od = travel.od
    origin_ids = pd.Index(travel.origin_snap["origin_id"].to_numpy())
    site_ids = pd.Index(travel.site_snap["site_id"].to_numpy())
    origins = _codes(od["origin_id"], origin_ids)
    sites = _codes(od["site_id"], site_ids)
    minutes = od["minutes"].to_numpy(dtype=np.float64)
    chunks = (
        (
            origins[i : i + _PAIRS_PER_GROUP],
            sites[i : i + _PAIRS_PER_GROUP],
            minutes[i : i + _PAIRS_PER_GROUP],
        )
        for i in range(0, len(od), _PAIRS_PER_GROUP)
    )
    write_od_parquet(
        path,
        chunks,
        origin_ids=origin_ids,
        site_ids=site_ids,
        max_minutes=travel.max_minutes,
        method=travel.method,
        minutes_dtype=np.float64,
    )


def _stored(travel) -> Path | None:
    """The run's ``[compute] od_path`` table, when it holds these travel times (or more)."""
    path = getattr(travel, "od_path", None)
    return Path(path) if path is not None and Path(path).is_file() else None


def write_travel_times(travel, folder: Path, *, output: str = "auto") -> dict[str, Any]:
    """Write the travel times as ``[output] travel_times`` asks; return the summary's facts.

    Parameters
    ----------
    travel : accessplan.spatial.travel_time.TravelTimes
        With its ``od`` frame.
    folder : Path
        The output folder being written.
    output : {"auto", "csv", "parquet", "none"}

    Returns
    -------
    dict
        ``file`` (a name in the output folder, the absolute path of the
        ``[compute] od_path`` table, or None), ``format`` and, for a
        referenced table, ``file_pairs``, ``file_max_minutes`` and ``note``.
    """
    fmt = travel_times_format(output, len(travel.od))
    if fmt == "none":
        return {"file": None, "format": "none", "note": '[output] travel_times = "none"'}
    if fmt == "csv":
        write_csv(travel.od, folder / "travel_times.csv", index=False)
        return {"file": "travel_times.csv", "format": "csv"}
    stored = _stored(travel)
    if stored is not None:
        from accessplan.spatial.od_store import read_od_metadata

        info = read_od_metadata(stored)
        bound = info.get("max_minutes")
        pairs, sites = len(travel.od), len(travel.site_snap)
        if info.get("n_pairs") == pairs and info.get("n_sites") == sites:
            note = "the [compute] od_path table holds these travel times"
        else:
            within = "" if bound is None else f" within {bound:g} minutes"
            note = (
                f"the [compute] od_path table holds these travel times among more: "
                f"{info.get('n_pairs'):,} pairs to {info.get('n_sites'):,} sites{within} "
                f"(every site the run routed to); this run's travel times are its "
                f"{pairs:,} pair(s) to {sites:,} site(s) within {travel.max_minutes:g} minutes"
            )
        return {
            "file": str(stored.resolve()),
            "format": "parquet",
            "file_pairs": info.get("n_pairs"),
            "file_max_minutes": bound if bound is None or math.isfinite(bound) else None,
            "note": note,
        }
    _write_parquet(travel, folder / "travel_times.parquet")
    return {"file": "travel_times.parquet", "format": "parquet"}
