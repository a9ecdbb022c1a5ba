"""The Parquet OD table: round trips, id types, streaming order, and every bad-input error."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accessplan.data.errors import InputFileError, InputValidationError
from accessplan.spatial.od_codes import CodedOD
from accessplan.spatial.od_store import (
    FORMAT_VERSION,
    ODFingerprintError,
    ODParquetWriter,
    od_fingerprint,
    read_od_metadata,
    read_od_parquet,
    write_od_parquet,
)


def _coded(origin_ids, site_ids, seed=0, share=0.5, max_minutes=60.0) -> CodedOD:
    rng = np.random.default_rng(seed)
    n_o, n_s = len(origin_ids), len(site_ids)
    rows = np.repeat(np.arange(n_o), n_s)
    cols = np.tile(np.arange(n_s), n_o)
    keep = rng.random(n_o * n_s) < share
    keep[rows == 1] = False  # origin 1 has no pair: it must survive the round trip
    minutes = rng.uniform(0.0, max_minutes, int(keep.sum()))
    return CodedOD.from_positions(
        rows[keep],
        cols[keep],
        minutes,
        origin_ids=origin_ids,
        site_ids=site_ids,
        max_minutes=max_minutes,
    )


def _equal(a: CodedOD, b: CodedOD) -> None:
    pd.testing.assert_index_equal(a.origin_ids, b.origin_ids)
    pd.testing.assert_index_equal(a.site_ids, b.site_ids)
    for name in ("indptr", "site_codes", "minutes"):
        assert getattr(a, name).dtype == getattr(b, name).dtype, name
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert a.max_minutes == b.max_minutes


TEXT_IDS = ["01001", "01002", "1003", "01004", "00005", "9"]
INT_IDS = [7, 3, 100000000001, 42]


@pytest.mark.parametrize("row_group_pairs", [1, 5, 1 << 20])
def test_round_trip_float64_is_exact(tmp_path, row_group_pairs):
    table = _coded(TEXT_IDS, INT_IDS)
    path = write_od_parquet(
        tmp_path / "od.parquet",
        table,
        minutes_dtype=np.float64,
        row_group_pairs=row_group_pairs,
    )
    back = read_od_parquet(path)
    _equal(back, table)
    assert list(back.origin_ids) == TEXT_IDS  # text with leading zeros stays text
    assert list(back.site_ids) == INT_IDS and back.site_ids.dtype == np.int64
    assert back.pairs_per_origin()[1] == 0
    if row_group_pairs == 5:
        assert pq.ParquetFile(path).metadata.num_row_groups == -(-table.n_pairs // 5)


def test_round_trip_float32_rounds_below_1e5_minutes(tmp_path):
    table = _coded(INT_IDS, TEXT_IDS, seed=3)
    back = read_od_parquet(write_od_parquet(tmp_path / "od.parquet", table))
    assert back.minutes.dtype == np.float32
    assert np.array_equal(back.minutes, table.minutes.astype(np.float32))
    assert np.abs(back.minutes - table.minutes).max() < 1e-5
    assert np.array_equal(back.site_codes, table.site_codes)
    assert list(back.origin_ids) == INT_IDS and list(back.site_ids) == TEXT_IDS


def test_any_parquet_reader_sees_the_ids(tmp_path):
    table = _coded(TEXT_IDS, INT_IDS, seed=1)
    path = write_od_parquet(tmp_path / "od.parquet", table, row_group_pairs=4)
    frame = pd.read_parquet(path)
    assert list(frame.columns) == ["origin_id", "site_id", "minutes"]
    assert isinstance(frame["origin_id"].dtype, pd.CategoricalDtype)
    assert frame["site_id"].dtype == np.int64 and frame["minutes"].dtype == np.float32
    expected = table.to_frame()
    assert frame["origin_id"].astype(str).tolist() == expected["origin_id"].tolist()
    assert frame["site_id"].tolist() == expected["site_id"].tolist()
    schema = pq.read_schema(path)
    assert schema.field("origin_id").type == pa.dictionary(pa.int32(), pa.string())


def test_chunks_in_any_order_read_back_sorted(tmp_path):
    table = _coded(TEXT_IDS, INT_IDS, seed=2, share=0.8)
    origin = table.origin_codes()
    order = np.random.default_rng(9).permutation(table.n_pairs)  # scrambled pairs
    chunks = [
        (origin[part], table.site_codes[part], table.minutes[part])
        for part in np.array_split(order, 4)
    ]
    path = write_od_parquet(
        tmp_path / "od.parquet",
        iter(chunks),
        origin_ids=TEXT_IDS,
        site_ids=INT_IDS,
        max_minutes=60.0,
        minutes_dtype=np.float64,
        row_group_pairs=3,
    )
    _equal(read_od_parquet(path), table)
    assert read_od_metadata(path)["order"] == "chunks"


def test_metadata_records_the_table(tmp_path):
    table = _coded(TEXT_IDS, INT_IDS)
    fp = od_fingerprint(origin_ids=TEXT_IDS, site_ids=INT_IDS, network="n", options={"a": 1})
    path = write_od_parquet(tmp_path / "od.parquet", table, fingerprint=fp, method="network")
    info = read_od_metadata(path)
    assert info["format_version"] == FORMAT_VERSION
    assert info["accessplan_version"]
    assert info["max_minutes"] == 60.0 and info["method"] == "network"
    assert (info["n_origins"], info["n_sites"], info["n_pairs"]) == (6, 4, table.n_pairs)
    assert info["minutes_dtype"] == "float32" and info["order"] == "origin"
    assert info["fingerprint"] == fp


def test_fingerprint_parts():
    base = dict(origin_ids=["1", "2"], site_ids=[1], network="n", options={"m": 30})
    fp = od_fingerprint(**base)
    assert od_fingerprint(**base) == fp
    assert od_fingerprint(**dict(base, origin_ids=[1, 2]))["origins"] != fp["origins"]
    xy = np.array([[0.0, 0.0]])
    assert od_fingerprint(**base, site_xy=xy)["sites"] != fp["sites"]
    assert od_fingerprint(**dict(base, options={"m": 31}))["options"] != fp["options"]
    assert od_fingerprint(**dict(base, network="m"))["network"] != fp["network"]
    assert len({fp["all"], od_fingerprint(**dict(base, network="m"))["all"]}) == 2


# --------------------------------------------------------------------------
# nothing half-written
# --------------------------------------------------------------------------


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "od.parquet"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="stop"):
        with ODParquetWriter(path, origin_ids=["a"], site_ids=["b"], row_group_pairs=1) as w:
            w.write_pairs([0], [0], [1.0])
            w.write_pairs([0], [0], [2.0])
            raise RuntimeError("stop")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["od.parquet"]


def test_the_writer_refuses_bad_pairs_and_ids(tmp_path):
    with ODParquetWriter(tmp_path / "x.parquet", origin_ids=["a"], site_ids=[1]) as w:
        for o, s, t, message in [
            ([1], [0], [1.0], "origin codes"),
            ([0], [-1], [1.0], "site codes"),
            ([0], [0], [np.nan], "finite"),
            ([0], [0], [-1.0], ">= 0"),
            ([0, 0], [0], [1.0], "length"),
        ]:
            with pytest.raises(ValueError, match=message):
                w.write_pairs(o, s, t)
    with pytest.raises(ValueError, match="mixed types"):
        ODParquetWriter(tmp_path / "y.parquet", origin_ids=["a", 1], site_ids=[1])
    with pytest.raises(ValueError, match="text or integers"):
        ODParquetWriter(tmp_path / "y.parquet", origin_ids=[1.5], site_ids=[1])
    with pytest.raises(ValueError, match="unique"):
        ODParquetWriter(tmp_path / "y.parquet", origin_ids=["a", "a"], site_ids=[1])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.parquet"]


# --------------------------------------------------------------------------
# bad files
# --------------------------------------------------------------------------


def _rewrite(src, dst, *, table=None, info=None, drop_keys=()):
    """Copy an OD table with a changed body and/or ``accessplan.od`` metadata."""
    kv = dict(pq.ParquetFile(src).metadata.metadata)
    kv.pop(b"ARROW:schema", None)
    for key in drop_keys:
        kv.pop(key, None)
    if info is not None:
        old = json.loads(kv[b"accessplan.od"])
        kv[b"accessplan.od"] = json.dumps(dict(old, **info)).encode()
    body = pq.read_table(src) if table is None else table(pq.read_table(src))
    pq.write_table(body.replace_schema_metadata(kv), dst)
    return dst


@pytest.fixture
def good(tmp_path):
    table = _coded(TEXT_IDS, INT_IDS, seed=4)
    fp = od_fingerprint(origin_ids=TEXT_IDS, site_ids=INT_IDS, network="net", options={"m": 1})
    return write_od_parquet(tmp_path / "good.parquet", table, fingerprint=fp), table, fp


def test_missing_file_and_not_parquet(tmp_path):
    with pytest.raises(InputFileError, match="OD table not found"):
        read_od_parquet(tmp_path / "absent.parquet")
    text = tmp_path / "od.parquet"
    text.write_text("origin_id,site_id,minutes\n1,2,3\n")
    with pytest.raises(InputFileError, match=r"od\.parquet: not a Parquet file"):
        read_od_parquet(text)


def test_wrong_columns_and_no_metadata(tmp_path):
    path = tmp_path / "user.parquet"
    pd.DataFrame({"origin": ["a"], "site_id": [1.5], "minutes": ["3"], "x": [0]}).to_parquet(path)
    with pytest.raises(InputValidationError) as info:
        read_od_parquet(path)
    text = str(info.value)
    assert "user.parquet" in text
    assert "column 'origin_id': column is missing" in text
    assert "unexpected column(s) origin, x" in text
    assert "column 'minutes': minutes must be float32 or float64" in text
    assert "column 'site_id': ids must be text or integers, found double" in text
    assert "not an accessplan OD table" in text
    assert len(info.value.problems) == 5


def test_another_format_version(good, tmp_path):
    path, _, _ = good
    bad = _rewrite(path, tmp_path / "v9.parquet", info={"format_version": 9})
    with pytest.raises(InputValidationError, match="format version 9") as info:
        read_od_parquet(bad)
    assert "v9.parquet" in str(info.value)
    lost = _rewrite(path, tmp_path / "noids.parquet", drop_keys=(b"accessplan.od.site_ids",))
    with pytest.raises(InputValidationError, match="list of site ids is missing"):
        read_od_parquet(lost)


def test_fingerprint_mismatch_says_what_differs(good):
    path, table, fp = good
    assert read_od_parquet(path, expect_fingerprint=fp).n_pairs == table.n_pairs
    read_od_parquet(path, expect_fingerprint=fp["all"])
    other = od_fingerprint(origin_ids=TEXT_IDS, site_ids=INT_IDS, network="new", options={"m": 2})
    with pytest.raises(ODFingerprintError) as info:
        read_od_parquet(path, expect_fingerprint=other)
    text = str(info.value)
    assert "good.parquet" in text and "network, options differ" in text
    assert "origins" not in text.split("(")[1]
    with pytest.raises(ODFingerprintError, match="the inputs differ"):
        read_od_parquet(path, expect_fingerprint="0" * 64)


def test_nan_negative_and_infinite_minutes_with_1_based_rows(good, tmp_path):
    path, _, _ = good

    def spoil(body):
        minutes = body.column("minutes").to_numpy().copy()
        minutes[[0, 4]] = np.nan
        minutes[2] = -1.0
        minutes[-1] = np.inf
        return body.set_column(2, "minutes", pa.array(minutes))

    bad = _rewrite(path, tmp_path / "bad.parquet", table=spoil)
    with pytest.raises(InputValidationError) as info:
        read_od_parquet(bad)
    problems = {p.message.split(" (")[0]: p for p in info.value.problems}
    assert problems["minutes are missing"].rows == (1, 5)
    assert problems["minutes are negative"].rows == (3,)
    n = pq.ParquetFile(bad).metadata.num_rows
    assert problems["minutes are infinite"].rows == (n,)
    assert all(
        p.source.endswith("bad.parquet") and p.column == "minutes" for p in problems.values()
    )


def test_unknown_ids_and_repeated_pairs(good, tmp_path):
    path, _, _ = good

    def unknown(body):
        sites = body.column("site_id").to_numpy().copy()
        sites[1] = 555
        return body.set_column(1, "site_id", pa.array(sites))

    with pytest.raises(InputValidationError, match="1 site id") as info:
        read_od_parquet(_rewrite(path, tmp_path / "unknown.parquet", table=unknown))
    assert info.value.problems[0].rows == (2,)

    def repeat(body):
        return pa.concat_tables([body, body.slice(3, 1)])

    with pytest.raises(InputValidationError, match="appear more than once") as info:
        read_od_parquet(_rewrite(path, tmp_path / "twice.parquet", table=repeat))
    n = pq.ParquetFile(tmp_path / "twice.parquet").metadata.num_rows
    assert info.value.problems[0].rows == (4, n)


def test_minutes_beyond_the_recorded_bound(good, tmp_path):
    # measures trust a table's max_minutes (a pair beyond it would silently count in
    # every catchment up to the bound), so the reader checks it
    path, table, _ = good
    assert table.max_minutes == 60.0

    def stretch(body):
        minutes = body.column("minutes").to_numpy().copy()
        minutes[[1, 4]] = 61.0
        return body.set_column(2, "minutes", pa.array(minutes))

    bad = _rewrite(path, tmp_path / "long.parquet", table=stretch)
    with pytest.raises(InputValidationError) as info:
        read_od_parquet(bad)
    (problem,) = info.value.problems
    assert "exceed the bound the table records (max_minutes = 60.0)" in problem.message
    assert problem.rows == (2, 5) and problem.column == "minutes"
    assert problem.source.endswith("long.parquet")


def test_site_codes_are_narrow_and_survive_a_round_trip(tmp_path):
    table = _coded(TEXT_IDS, INT_IDS, seed=2)
    assert table.site_codes.dtype == np.uint16
    path = write_od_parquet(tmp_path / "od.parquet", table, minutes_dtype=np.float64)
    _equal(table, read_od_parquet(path))  # dtypes too
