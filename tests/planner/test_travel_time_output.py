"""``[output] travel_times`` (csv, parquet, none, auto) and the Arrow path of the CSV tables."""

from __future__ import annotations

import html
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from accessplan.planner import table_files
from accessplan.planner.cli import main
from accessplan.planner.runs import run_access
from accessplan.planner.scenario import load_scenario
from accessplan.planner.writers import write_access_outputs
from accessplan.spatial.od_store import read_od_metadata, read_od_parquet

#: the tiny fixture's straight-line pairs within 10 minutes at 30 km/h (5 km): every area
#: (centres 0.5-2.5 km from H1 and H2) reaches both hospitals
TINY_PAIRS = 18


def _access(tiny, out: str = "out", **output) -> tuple[Path, dict]:
    tiny.sections["output"] = {"dir": out, **output}
    scenario = load_scenario(tiny.write())
    folder = write_access_outputs(
        run_access(scenario, progress=False), scenario.output_dir, report=False
    )
    return folder, json.loads((folder / "summary.json").read_text())


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"origin_id": str, "site_id": str})


def _parquet_frame(path: Path) -> pd.DataFrame:
    """The Parquet OD table as the CSV's frame: text ids, rows sorted by origin then site id."""
    od = read_od_parquet(path).to_frame()
    od = od.astype({"origin_id": str, "site_id": str})
    return od.sort_values(["origin_id", "site_id"], ignore_index=True)


def test_default_is_the_csv_as_before(tiny):
    folder, summary = _access(tiny)
    od = _read_csv(folder / "travel_times.csv")
    assert len(od) == TINY_PAIRS
    assert not (folder / "travel_times.parquet").exists()
    assert summary["travel_times"]["file"] == "travel_times.csv"
    assert summary["travel_times"]["format"] == "csv"
    assert summary["travel_times"]["pairs"] == TINY_PAIRS
    recorded = json.loads((folder / "scenario.json").read_text())
    assert recorded["output"]["travel_times"] == "auto"
    # straight line at 30 km/h: T0's centre (500 m, 500 m) is H1's own point, 2 km x 2 km from H2
    t0 = od[od["origin_id"] == "T0"].set_index("site_id")["minutes"]
    assert t0["H1"] == 0.0
    assert t0["H2"] == pytest.approx(np.hypot(2000, 2000) / 500.0)


def test_parquet_holds_exactly_the_csv_numbers(tiny):
    csv_folder, _ = _access(tiny, "out_csv", travel_times="csv")
    pq_folder, summary = _access(tiny, "out_pq", travel_times="parquet")
    assert not (pq_folder / "travel_times.csv").exists()
    assert summary["travel_times"]["file"] == "travel_times.parquet"
    assert summary["travel_times"]["format"] == "parquet"
    from_csv = _read_csv(csv_folder / "travel_times.csv")
    from_parquet = _parquet_frame(pq_folder / "travel_times.parquet")
    pd.testing.assert_frame_equal(from_parquet, from_csv, check_exact=True)
    info = read_od_metadata(pq_folder / "travel_times.parquet")
    assert info["minutes_dtype"] == "float64"
    assert info["n_pairs"] == TINY_PAIRS
    assert info["max_minutes"] == 10.0
    assert info["method"] == "straight_line"


def test_none_writes_no_table(tiny):
    folder, summary = _access(tiny, travel_times="none")
    assert not (folder / "travel_times.csv").exists()
    assert not (folder / "travel_times.parquet").exists()
    assert summary["travel_times"]["file"] is None
    assert summary["travel_times"]["format"] == "none"
    assert summary["travel_times"]["pairs"] == TINY_PAIRS  # still computed and counted


@pytest.mark.parametrize(
    "limit, expected", [(TINY_PAIRS, "travel_times.csv"), (TINY_PAIRS - 1, "travel_times.parquet")]
)
def test_auto_switches_to_parquet_above_the_limit(tiny, monkeypatch, limit, expected):
    monkeypatch.setattr(table_files, "AUTO_CSV_MAX_PAIRS", limit)
    folder, summary = _access(tiny, travel_times="auto")
    written = sorted(p.name for p in folder.glob("travel_times.*"))
    assert written == [expected]
    assert summary["travel_times"]["file"] == expected


def test_a_stored_od_path_table_is_named_not_written_again(tiny):
    tiny.save_grid_graph()
    tiny.sections["network"] = {"path": "roads.graphml"}
    tiny.sections["access"]["catchment_minutes"] = 60  # the walk to the grid's nodes included
    tiny.sections["compute"] = {"od_path": "od.parquet", "cache": False}
    folder, summary = _access(tiny, travel_times="parquet")
    stored = tiny.folder / "od.parquet"
    assert stored.is_file()
    assert sorted(p.name for p in folder.glob("travel_times.*")) == []
    facts = summary["travel_times"]
    assert facts["file"] == str(stored.resolve())
    assert facts["format"] == "parquet"
    assert facts["file_pairs"] == facts["pairs"]
    assert facts["note"] == "the [compute] od_path table holds these travel times"
    # the same numbers a CSV of the run holds
    csv_folder, _ = _access(tiny, "out_csv", travel_times="csv")
    pd.testing.assert_frame_equal(
        _parquet_frame(stored), _read_csv(csv_folder / "travel_times.csv"), check_exact=True
    )


@pytest.mark.parametrize("value", ["xlsx", 5])
def test_a_bad_value_is_a_scenario_error_naming_the_key(tiny, capsys, value):
    tiny.sections["output"] = {"dir": "out", "travel_times": value}
    code = main(["access", str(tiny.write()), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "output.travel_times" in err
    assert not tiny.out.exists()


def test_upper_case_is_accepted(tiny):
    tiny.sections["output"] = {"dir": "out", "travel_times": "Parquet"}
    assert load_scenario(tiny.write()).travel_times_output == "parquet"


# --------------------------------------------------------------------------
# write_csv: the bytes of pandas' to_csv
# --------------------------------------------------------------------------


def _tricky_frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [
            rng.random(n) * 60,
            10.0 ** rng.uniform(-30, 30, n),
            -(10.0 ** rng.uniform(-30, 30, n)),
            np.round(rng.random(n) * 1e6),
        ]
    )
    x[:12] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e10, 9999999999.5, 1e-4, 9.9e-5, 1e16, 5.0, 0.1]
    m = len(x)
    ids = pd.array([f"A{i:05d}" for i in range(m)], dtype="str")
    ids[3] = None
    return pd.DataFrame(
        {
            "area_id": ids,
            "minutes": x,
            "count": rng.integers(-5, 10**12, m),
            "reaches": rng.random(m) < 0.5,
            "name": pd.Series([f"site {i}" for i in range(m)], dtype=object),
        }
    )


def _same_bytes(frame: pd.DataFrame, tmp_path: Path, *, index: bool) -> None:
    frame.to_csv(tmp_path / "pandas.csv", index=index)
    table_files.write_csv(frame, tmp_path / "fast.csv", index=index)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize("index", [False, True])
def test_write_csv_writes_the_bytes_of_pandas(tmp_path, monkeypatch, index):
    monkeypatch.setattr(table_files, "FAST_CSV_MIN_ROWS", 0)
    frame = _tricky_frame()
    if index:
        frame = frame.set_index("count")
    assert table_files._arrow_table(frame.reset_index() if index else frame) is not None
    _same_bytes(frame, tmp_path, index=index)


@pytest.mark.parametrize(
    "change",
    [
        lambda f: f.assign(name=f["name"].str.replace("site 1", 'site, "1"')),  # quoted fields
        lambda f: f.assign(minutes=f["minutes"].astype(np.float32)),
        lambda f: f.assign(area_id=f["area_id"].astype("category")),
        lambda f: f.rename(columns={"name": "name, full"}),
        lambda f: f[["minutes"]],  # one column: pandas writes an empty field as ""
        lambda f: f.assign(count=f["count"].astype("Int64")),
    ],
)
def test_write_csv_leaves_what_pandas_would_quote_or_format_to_pandas(
    tmp_path, monkeypatch, change
):
    monkeypatch.setattr(table_files, "FAST_CSV_MIN_ROWS", 0)
    frame = change(_tricky_frame(50))
    assert table_files._arrow_table(frame) is None
    _same_bytes(frame, tmp_path, index=False)


def test_tiny_run_files_are_unchanged_by_the_arrow_path(tiny, monkeypatch):
    first, _ = _access(tiny, "out_pandas")
    monkeypatch.setattr(table_files, "FAST_CSV_MIN_ROWS", 0)
    second, _ = _access(tiny, "out_arrow")
    names = sorted(p.name for p in first.glob("*.csv"))
    assert {"areas_access.csv", "facilities_access.csv", "travel_times.csv"} <= set(names)
    assert names == sorted(p.name for p in second.glob("*.csv"))
    for name in names:
        assert (second / name).read_bytes() == (first / name).read_bytes(), name


def _travel(origin_ids, site_ids, od: pd.DataFrame):
    return SimpleNamespace(
        od=od,
        origin_snap=pd.DataFrame({"origin_id": origin_ids}),
        site_snap=pd.DataFrame({"site_id": site_ids}),
        max_minutes=30.0,
        method="network",
        od_path=None,
    )


def test_parquet_of_integer_ids_round_trips(tmp_path):
    # origin 30 reaches nothing; pairs sorted by id, not in the ids' input order
    od = pd.DataFrame(
        {"origin_id": [10, 10, 20], "site_id": [7, 9, 9], "minutes": [0.1 + 0.2, 29.999, 1e-7]}
    )
    travel = _travel([30, 20, 10], [9, 7], od)
    facts = table_files.write_travel_times(travel, tmp_path, output="parquet")
    assert facts == {"file": "travel_times.parquet", "format": "parquet"}
    back = read_od_parquet(tmp_path / "travel_times.parquet")
    assert list(back.origin_ids) == [30, 20, 10]
    got = back.to_frame().sort_values(["origin_id", "site_id"], ignore_index=True)
    pd.testing.assert_frame_equal(got, od, check_exact=True)


def test_parquet_refuses_pairs_of_unknown_ids(tmp_path):
    od = pd.DataFrame({"origin_id": ["A", "B"], "site_id": ["S", "S"], "minutes": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not built for"):
        table_files.write_travel_times(_travel(["A"], ["S"], od), tmp_path, output="parquet")
    assert not (tmp_path / "travel_times.parquet").exists()


def test_a_larger_stored_table_is_named_with_what_it_holds(tmp_path):
    # the stored table: both sites within 30 minutes; this run's: site 7 within 10 minutes
    full = pd.DataFrame(
        {"origin_id": [10, 10, 20], "site_id": [7, 9, 9], "minutes": [4.0, 12.0, 25.0]}
    )
    table_files.write_travel_times(_travel([10, 20], [7, 9], full), tmp_path, output="parquet")
    stored = tmp_path / "travel_times.parquet"
    part = _travel([10, 20], [7], full.iloc[[0]])
    part.max_minutes, part.od_path = 10.0, stored
    out = tmp_path / "out"
    out.mkdir()
    facts = table_files.write_travel_times(part, out, output="parquet")
    assert list(out.iterdir()) == []
    assert facts["file"] == str(stored.resolve())
    assert (facts["file_pairs"], facts["file_max_minutes"]) == (3, 30.0)
    assert facts["note"] == (
        "the [compute] od_path table holds these travel times among more: 3 pairs to 2 sites "
        "within 30 minutes (every site the run routed to); this run's travel times are its "
        "1 pair(s) to 1 site(s) within 10 minutes"
    )
    # asked for a CSV, the run writes its own pairs all the same
    assert table_files.write_travel_times(part, out, output="csv")["file"] == "travel_times.csv"
    assert (out / "travel_times.csv").read_text() == "origin_id,site_id,minutes\n10,7,4.0\n"


def test_tiny_run_layers_are_unchanged_by_the_arrow_path(tiny, monkeypatch):
    import geopandas as gpd
    import pyogrio

    tiny.sections["areas"]["group"] = "Tract ID"  # a zones layer too
    first, _ = _access(tiny, "out_pandas")
    monkeypatch.setattr(table_files, "FAST_LAYER_MIN_ROWS", 0)
    assert table_files.layer_options(pd.DataFrame({"a": [1]})) == {
        "engine": "pyogrio",
        "use_arrow": True,
    }
    second, _ = _access(tiny, "out_arrow")
    layers = [name for name, _ in pyogrio.list_layers(first / "access.gpkg")]
    assert {"areas", "facilities", "zones"} <= set(layers)
    assert layers == [name for name, _ in pyogrio.list_layers(second / "access.gpkg")]
    for layer in layers:
        info = [pyogrio.read_info(f / "access.gpkg", layer=layer) for f in (first, second)]
        for key in ("crs", "geometry_type", "features", "fields", "dtypes"):
            assert np.array_equal(info[0][key], info[1][key]) or info[0][key] == info[1][key]
        a, b = (gpd.read_file(f / "access.gpkg", layer=layer) for f in (first, second))
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry")),
            pd.DataFrame(b.drop(columns="geometry")),
            check_exact=True,
        )
        assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())


@pytest.mark.parametrize(
    "output, expected",
    [
        ("csv", "18 area-site pairs within 10 minutes in travel_times.csv, CSV"),
        (
            "parquet",
            "18 area-site pairs within 10 minutes in travel_times.parquet, Parquet "
            "(read with any Parquet reader)",
        ),
        (
            "none",
            '18 area-site pairs within 10 minutes, not written ([output] travel_times = "none")',
        ),
    ],
)
def test_the_report_says_where_the_travel_times_are(tiny, output, expected):
    tiny.sections["output"] = {"dir": f"out_{output}", "travel_times": output}
    scenario = load_scenario(tiny.write())
    folder = write_access_outputs(run_access(scenario, progress=False), scenario.output_dir)
    page = (folder / "report.html").read_text(encoding="utf-8")
    item = html.unescape(page.split('id="method-travel-table">', 1)[1].split("</dd>", 1)[0])
    assert item.endswith(expected), item
    summary = json.loads((folder / "summary.json").read_text())
    assert str(summary["travel_times"]["pairs"]) in item or output == "none"


def test_the_report_names_a_stored_od_path_table_and_its_note():
    from accessplan.maps.report_sections import travel_table_text

    text = travel_table_text(
        {
            "pairs": 5449,
            "max_minutes": 60.0,
            "format": "parquet",
            "file": "/data/plan/od.parquet",
            "note": "the [compute] od_path table also holds the candidate sites' times",
        }
    )
    assert text == (
        "5,449 area-site pairs within 60 minutes in od.parquet, Parquet (read with any Parquet "
        "reader); the [compute] od_path table also holds the candidate sites' times"
    )
    assert travel_table_text({"pairs": 3}) is None  # an older summary says nothing of files
