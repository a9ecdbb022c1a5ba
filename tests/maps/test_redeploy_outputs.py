"""Tests of accessplan.maps.redeploy: commands, the transfer map and the unmet-demand chart."""

from __future__ import annotations

import json
import math

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from accessplan.data.errors import InputValidationError
from accessplan.maps.offline import find_remote_assets, save_offline
from accessplan.maps.redeploy import (
    command_list,
    transfer_figure,
    transfer_map,
    unmet_chart,
    unmet_comparison_chart,
    unmet_comparison_series,
    unmet_series,
    write_commands,
)
from accessplan.maps.redeploy_charts import unmet_figure


def hand_moves() -> pd.DataFrame:
    """Five moves: one of zero units, two on the same (from, to, resource) flow."""
    return pd.DataFrame(
        {
            "resource": ["ventilators", "beds", "ventilators", "ventilators", "oxygen"],
            "from_facility": ["A", "C", "A", "A", "B"],
            "to_facility": ["B", "A", "C", "B", "D"],
            "units": [3.0, 2.5, 1.0, 2.0, 0.0],
            "depart_period": [2, 1, 1, 4, 1],
            "arrive_period": [3, 2, 1, 5, 2],
            "cost": [12.5, 4.0, np.nan, 8.0, 0.0],
            "answers": [
                'B short of 3 "ventilators", period 3',
                "A short of beds",
                "C short, period 1",
                "B short again",
                "",
            ],
        },
        index=[10, 11, 12, 13, 14],
    )


def hand_facilities() -> gpd.GeoDataFrame:
    """Four hospitals in UTM zone 33N (metres), a few km apart."""
    return gpd.GeoDataFrame(
        {"facility": ["A", "B", "C", "D"], "name": ["North", "East", None, "South"]},
        geometry=[
            Point(500_000, 5_000_000),
            Point(510_000, 5_000_000),
            Point(500_000, 5_008_000),
            Point(505_000, 4_990_000),
        ],
        crs=32633,
    )


def hand_unmet() -> pd.DataFrame:
    """Unmet demand (5th value of each row); beds have no row in period 3 (must count as 0)."""
    rows = [
        ("A", "beds", 1, 10.0, 6.0),
        ("B", "beds", 1, 5.0, 5.0),
        ("A", "beds", 2, 8.0, 7.0),
        ("B", "ventilators", 1, 4.0, 1.0),
        ("C", "ventilators", 1, 2.0, 0.5),
        ("B", "ventilators", 2, 3.0, 3.0),
        ("B", "ventilators", 3, 3.0, 1.0),
        ("C", "ventilators", 3, 1.0, 0.25),
    ]
    frame = pd.DataFrame(rows, columns=["facility", "resource", "period", "demand", "unmet"])
    frame["served"] = frame["demand"] - frame["unmet"]
    frame["ratio"] = frame["served"] / frame["demand"]
    return frame


# --------------------------------------------------------------------------- commands
def test_command_sentences_and_order_hand_example():
    moves = hand_moves()
    before = moves.copy()
    out = command_list(moves)
    assert list(out["command"]) == [
        "move 2.5 beds from C to A at period 1, arriving at period 2",
        "move 1 ventilators from A to C at period 1, arriving at period 1",
        "move 3 ventilators from A to B at period 2, arriving at period 3",
        "move 2 ventilators from A to B at period 4, arriving at period 5",
    ]
    assert list(out.columns) == [
        "command",
        "resource",
        "from_facility",
        "to_facility",
        "units",
        "depart_period",
        "arrive_period",
        "cost",
        "answers",
    ]
    assert list(out.index) == [0, 1, 2, 3]
    assert list(out["answers"]) == list(moves.loc[[11, 12, 10, 13], "answers"])
    pd.testing.assert_frame_equal(moves, before)  # input untouched


def test_command_order_ties_broken_by_resource():
    moves = hand_moves().iloc[:4].assign(depart_period=1, arrive_period=2)
    out = command_list(moves)
    assert list(out["resource"]) == ["beds", "ventilators", "ventilators", "ventilators"]


def test_bad_moves_report_every_problem():
    moves = hand_moves().drop(columns="cost")
    with pytest.raises(InputValidationError) as err:
        command_list(moves)
    assert [p.column for p in err.value.problems] == ["cost"]
    moves = hand_moves()
    moves.loc[10, "units"] = -1.0
    moves.loc[11, "arrive_period"] = 0
    with pytest.raises(InputValidationError) as err:
        command_list(moves)
    found = {(p.column, p.rows) for p in err.value.problems}
    assert found == {("units", (10,)), ("arrive_period", (11,))}


def test_write_commands_round_trip(tmp_path):
    moves = hand_moves()
    csv_path, json_path = write_commands(moves, tmp_path / "out")
    assert (csv_path.name, json_path.name) == ("commands.csv", "commands.json")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "commands.csv",
        "commands.json",
    ]  # no temporary file left behind

    expected = moves[moves["units"] > 0]
    key = ["resource", "from_facility", "to_facility", "depart_period"]
    numbers = ["units", "arrive_period", "cost"]
    want = expected.set_index(key)[numbers].sort_index()

    from_csv = pd.read_csv(csv_path)
    assert len(from_csv) == 4
    got = from_csv.set_index(key)[numbers].sort_index()
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert set(from_csv["answers"]) == set(expected["answers"])  # quotes and commas survive

    records = json.loads(json_path.read_text(encoding="utf-8"))
    assert [r["command"] for r in records] == list(from_csv["command"])
    for record in records:
        row = want.loc[tuple(record[k] for k in key)]
        assert record["units"] == row["units"]
        assert record["arrive_period"] == row["arrive_period"]
        assert isinstance(record["depart_period"], int)
        if math.isnan(row["cost"]):
            assert record["cost"] is None
        else:
            assert record["cost"] == row["cost"]


# --------------------------------------------------------------------------- map
def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def test_transfer_map_offline_one_line_per_flow(tmp_path):
    moves, facilities, unmet = hand_moves(), hand_facilities(), hand_unmet()
    m = transfer_map(facilities, moves, unmet=unmet, tiles=None)
    path = save_offline(m, tmp_path / "transfers.html")
    page = path.read_text(encoding="utf-8")
    assert find_remote_assets(page) == []
    # flows: (A,B,ventilators) twice -> one line, (A,C,ventilators), (C,A,beds); oxygen is 0
    assert page.count("L.polyline(") == 3
    assert page.count("L.circleMarker(") == 4

    lines = [e for e in _walk(m) if isinstance(e, folium.PolyLine)]
    by_end = {}
    for line in lines:
        (lat0, lon0), (lat1, lon1) = line.locations
        by_end[(round(lat0, 6), round(lon0, 6), round(lat1, 6), round(lon1, 6))] = line
    wgs = facilities.to_crs(4326).set_index("facility").geometry
    ll = {f: (round(p.y, 6), round(p.x, 6)) for f, p in wgs.items()}
    ab = by_end[(*ll["A"], *ll["B"])]
    ac = by_end[(*ll["A"], *ll["C"])]
    ca = by_end[(*ll["C"], *ll["A"])]
    # weight ~ sqrt(units): 5, 1 and 2.5 units, the largest drawn at 10 px
    assert ab.options["weight"] == pytest.approx(10.0)
    assert ac.options["weight"] == pytest.approx(10.0 * math.sqrt(1 / 5))
    assert ca.options["weight"] == pytest.approx(10.0 * math.sqrt(2.5 / 5))
    tip = next(e for e in _walk(ab) if isinstance(e, folium.Tooltip)).text
    assert "3 ventilators: depart period 2, arrive period 3" in tip
    assert "2 ventilators: depart period 4, arrive period 5" in tip
    assert "<b>5 ventilators</b>" in tip

    # facility tooltips carry the total unmet demand (A: 6 + 7, B: 5 + 1 + 3 + 1, D: none)
    tips = [
        next(e for e in _walk(c) if isinstance(e, folium.Tooltip)).text
        for c in _walk(m)
        if isinstance(c, folium.CircleMarker)
    ]
    assert len(tips) == 4
    assert any(t.startswith("<b>A</b> North") and "total unmet demand: 13" in t for t in tips)
    assert any(t.startswith("<b>B</b> East") and "total unmet demand: 10" in t for t in tips)
    assert any(t.startswith("<b>C</b>") and "total unmet demand: 0.75" in t for t in tips)
    assert any(t.startswith("<b>D</b> South") and "total unmet demand: 0" in t for t in tips)


def test_transfer_map_arrowheads_point_to_destination():
    moves, facilities = hand_moves(), hand_facilities()
    m = transfer_map(facilities, moves, tiles=None)
    polys = [e for e in _walk(m) if isinstance(e, folium.Polygon)]
    assert len(polys) == 3
    wgs = facilities.to_crs(4326).set_index("facility").geometry
    for poly in polys:
        tip = np.asarray(poly.locations[0])
        base = np.asarray(poly.locations[1:]).mean(axis=0)
        # which flow: the one whose direction matches base -> tip
        d = tip - base
        matches = 0
        for a, b in (("A", "B"), ("A", "C"), ("C", "A")):
            seg = np.array([wgs[b].y - wgs[a].y, wgs[b].x - wgs[a].x])
            if np.dot(d, seg) / (np.linalg.norm(d) * np.linalg.norm(seg)) > 0.99:
                matches += 1
        assert matches == 1


def test_transfer_map_without_unmet_and_no_arrows():
    m = transfer_map(hand_facilities(), hand_moves(), tiles=None, arrows=False)
    assert not [e for e in _walk(m) if isinstance(e, folium.Polygon)]
    tips = [
        next(e for e in _walk(c) if isinstance(e, folium.Tooltip)).text
        for c in _walk(m)
        if isinstance(c, folium.CircleMarker)
    ]
    assert len(tips) == 4 and not any("unmet" in t for t in tips)


def test_transfer_map_unknown_facility_and_no_crs_reported_together():
    moves = hand_moves()
    moves.loc[10, "to_facility"] = "Z"
    facilities = hand_facilities().set_crs(None, allow_override=True)
    with pytest.raises(InputValidationError) as err:
        transfer_map(facilities, moves)
    assert len(err.value.problems) == 2
    assert "CRS" in str(err.value.problems[0])
    assert err.value.problems[1].column == "to_facility"
    facilities = hand_facilities()
    with pytest.raises(InputValidationError) as err:
        transfer_map(facilities, moves)
    assert [p.column for p in err.value.problems] == ["to_facility"]
    assert "Z" in str(err.value)


# --------------------------------------------------------------------------- chart
def _png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _brute_force_sums(unmet):
    periods = sorted(set(unmet["period"]))
    sums = {r: [0.0] * len(periods) for r in set(unmet["resource"])}
    for row in unmet.itertuples(index=False):
        sums[row.resource][periods.index(row.period)] += row.unmet
    total = [sum(sums[r][i] for r in sums) for i in range(len(periods))]
    return periods, sums, total


def test_unmet_chart_png_and_plotted_data(tmp_path):
    unmet = hand_unmet()
    periods, sums, total = _brute_force_sums(unmet)
    assert sums["beds"] == [11.0, 7.0, 0.0]  # the hand example, by eye
    assert total == [12.5, 10.0, 1.25]

    fig = unmet_figure(unmet, figsize_inches=(8, 4.5), title="t")
    lines = {ln.get_gid(): ln for ln in fig.axes[0].get_lines()}
    assert set(lines) == {"unmet:beds", "unmet:ventilators", "unmet:total"}
    for resource, values in [*sums.items(), ("total", total)]:
        x, y = lines[f"unmet:{resource}"].get_data()
        np.testing.assert_allclose(x, periods)
        np.testing.assert_allclose(y, values)

    series = unmet_series(unmet)
    assert list(series.columns) == ["beds", "ventilators", "total"]
    np.testing.assert_allclose(series["total"], total)

    out = unmet_chart(unmet, tmp_path / "sub" / "unmet.png", figsize_inches=(8, 4.5), dpi=50)
    assert out == tmp_path / "sub" / "unmet.png"
    assert _png_size(out) == (400, 225)
    assert [p.name for p in out.parent.iterdir()] == ["unmet.png"]


def test_unmet_chart_shows_resource_names_literally(tmp_path):
    # "$...$" is mathtext to matplotlib (this one is a bad formula: drawing raised);
    # a label starting with "_" was left out of the legend
    names = ["$\\frac{$", "_spare", "5$ units"]
    unmet = pd.DataFrame(
        {"facility": "A", "resource": names, "period": [1, 2, 3], "unmet": [1.0, 2.0, 3.0]}
    )
    fig = unmet_figure(unmet, figsize_inches=(4, 3), title="t")
    fig.canvas.draw()  # lays out every text (mathtext parsed here)
    shown = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert len(shown) == 4  # three resources and the total
    unescaped = sorted(t.replace("\\$", "$").strip() for t in shown if t != "total")
    assert unescaped == sorted(n.strip() for n in names)
    assert unmet_chart(unmet, tmp_path / "u.png", dpi=30).is_file()


def test_unmet_chart_missing_column_writes_nothing(tmp_path):
    with pytest.raises(InputValidationError) as err:
        unmet_chart(hand_unmet().drop(columns=["unmet", "period"]), tmp_path / "u.png")
    assert {p.column for p in err.value.problems} == {"unmet", "period"}
    assert not (tmp_path / "u.png").exists()


def test_unmet_with_and_without_moves_sums_and_chart(tmp_path):
    unmet = hand_unmet()
    periods, _sums, total = _brute_force_sums(unmet)
    without = unmet.assign(unmet_without_moves=unmet["unmet"].to_numpy() + 2.0)
    series = unmet_comparison_series(without)
    np.testing.assert_allclose(series.index.to_numpy(dtype=float), periods)
    np.testing.assert_allclose(series["with"], total)
    rows = without.groupby("period").size().to_numpy()
    np.testing.assert_allclose(series["without"], np.asarray(total) + 2.0 * rows)
    out = unmet_comparison_chart(without, tmp_path / "c.png", figsize_inches=(4, 2), dpi=50)
    assert _png_size(out) == (200, 100)


def test_unmet_comparison_needs_the_without_column(tmp_path):
    with pytest.raises(InputValidationError) as err:
        unmet_comparison_chart(hand_unmet(), tmp_path / "c.png")
    assert {p.column for p in err.value.problems} == {"unmet_without_moves"}
    bad = hand_unmet().assign(unmet_without_moves="many")
    with pytest.raises(InputValidationError):
        unmet_comparison_series(bad)
    assert not (tmp_path / "c.png").exists()


def test_transfer_figure_png_in_any_crs_and_bad_moves_reported(tmp_path):
    moves, facilities, unmet = hand_moves(), hand_facilities(), hand_unmet()
    out = transfer_figure(
        facilities, moves, tmp_path / "t.png", unmet=unmet, figsize_inches=(4, 3), dpi=50
    )
    assert _png_size(out) == (200, 150)
    # degrees are drawn in metres (a UTM zone), not as a stretched lon/lat plot
    geo = transfer_figure(facilities.to_crs(4326), moves, tmp_path / "g.png", dpi=30)
    assert geo.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InputValidationError, match="not in the facilities frame"):
        transfer_figure(facilities, moves.assign(to_facility="Z"), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
