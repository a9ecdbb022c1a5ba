"""The redeployment report page: numbers read back by id, escaping, missing parts."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.maps.offline import find_remote_assets
from accessplan.maps.redeploy import command_list, unmet_comparison_chart
from accessplan.maps.redeploy_report import redeploy_report_html, write_redeploy_report


class _Ids(HTMLParser):
    """Every element with an id: its attributes and its text."""

    def __init__(self):
        super().__init__()
        self.ids: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            assert attrs["id"] not in self.ids, f"duplicate id {attrs['id']}"
            self.ids[attrs["id"]] = attrs
            self.text[attrs["id"]] = ""
            self._open.append(attrs["id"])
        else:
            self._open.append(None)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident is not None:
                self.text[ident] += data


def _parse(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


def _value(parsed: _Ids, ident: str) -> float:
    return float(parsed.ids[ident]["data-value"])


def _moves():
    return pd.DataFrame(
        {
            "resource": ["vent", "vent"],
            "from_facility": ["B", "C"],
            "to_facility": ["A", "A"],
            "units": [5.0, 2.0],
            "depart_period": [0, 1],
            "arrive_period": [1, 2],
            "cost": [10.0, 4.0],
            "answers": ["shortfall 6 at A in period 1", "shortfall 1 at A in period 2"],
        }
    )


def _unmet():
    rows = []
    for t, (d, u, w) in enumerate([(10, 6, 6), (10, 1, 6), (10, 0, 6)]):
        rows.append(("A", "vent", t, d, d - u, u, u / d, w))
        rows.append(("B", "vent", t, 0, 0, 0, np.nan, 0))
    return pd.DataFrame(
        rows,
        columns=[
            "facility",
            "resource",
            "period",
            "demand",
            "served",
            "unmet",
            "ratio",
            "unmet_without_moves",
        ],
    )


def _prices():
    return pd.DataFrame(
        {
            "facility": ["A", "A", "B", "C"],
            "resource": ["vent"] * 4,
            "period": [0, 1, 2, 0],
            "demand_price": [100.0, 100.0, 0.0, 0.0],
            "lp_dual": [285.0, 190.0, 93.0, 0.0],
            "value_of_one_more_unit": [285.0, 190.0, 0.0, math.nan],
            "value_of_one_less_unit": [285.0, 250.0, math.nan, math.nan],
            "unique": pd.array([True, False, False, pd.NA], dtype="boolean"),
            "supply_value": [285.0, 190.0, 0.0, math.nan],
            "price_note": ["unique: ...", "not unique: ...", "not unique: ...", "not checked"],
        }
    )


def _summary():
    return {
        "scenario": "Test surge",
        "mode": "full horizon",
        "periods": 3,
        "facilities": 3,
        "resource_label": "ventilators",
        "moves": 2,
        "units_moved": 7.0,
        "transfer_cost": 14.0,
        "total_unmet": 7.0,
        "unmet_without_moves": 18.0,
        "unmet_avoided": 11.0,
        "total_cost": 826.0,
        "equity_price": None,
        "options": {"unmet_penalty": 100, "solver": "cbc", "demand_from": "demand trace"},
        "prices": {"from": "this plan", "check": {"resolves": 5, "seconds": 0.2}},
        "run": {"version": "0.1.0", "started_utc": "2026-12-02T06:05:00Z"},
    }


def _html(**over):
    parts = dict(
        summary=_summary(),
        commands=command_list(_moves()),
        unmet=_unmet(),
        prices=_prices(),
    )
    parts.update(over)
    return redeploy_report_html(**parts)


def test_key_figures_and_headline_read_back():
    parsed = _parse(_html())
    summary = _summary()
    assert _value(parsed, "unmet-without-moves") == summary["unmet_without_moves"]
    assert _value(parsed, "unmet-with-moves") == summary["total_unmet"]
    assert _value(parsed, "unmet-avoided") == 11
    assert _value(parsed, "moves-count") == 2
    assert _value(parsed, "units-moved") == 7
    assert _value(parsed, "total-cost") == 826
    assert _value(parsed, "transfer-cost") == 14
    headline = parsed.text["headline"]
    assert "2 moves of 7 ventilators" in headline
    assert "from 18 to 7 ventilators (61.1% less)" in headline
    assert "equity-price" not in parsed.ids  # no band: no line for its cost


def test_moves_table_matches_the_commands():
    parsed = _parse(_html())
    commands = command_list(_moves())
    for n, row in commands.iterrows():
        assert parsed.text[f"move-{n}-command"] == row["command"]
        assert _value(parsed, f"move-{n}-units") == row["units"]
        assert _value(parsed, f"move-{n}-depart") == row["depart_period"]
        assert _value(parsed, f"move-{n}-arrive") == row["arrive_period"]
        assert _value(parsed, f"move-{n}-cost") == row["cost"]
    assert parsed.text["move-0-command"] == (
        "move 5 vent from B to A at period 0, arriving at period 1"
    )


def test_unmet_tables_match_the_unmet_frame():
    unmet = _unmet()
    parsed = _parse(_html())
    # A is short; B never is: it is summed into "other facilities" and named below
    assert (
        _value(parsed, "unmet-facility-A-with") == unmet.loc[unmet.facility == "A", "unmet"].sum()
    )
    assert _value(parsed, "unmet-facility-A-without") == 18
    assert "unmet-facility-B-with" not in parsed.ids
    assert _value(parsed, "unmet-others-demand") == 0
    assert "B" in parsed.text["unmet-quiet"]
    assert _value(parsed, "unmet-total-with") == unmet["unmet"].sum()
    for t in range(3):
        period = unmet[unmet.period == t]
        assert _value(parsed, f"unmet-period-{t}-with") == period["unmet"].sum()
        assert _value(parsed, f"unmet-period-{t}-without") == period["unmet_without_moves"].sum()
        assert (
            _value(parsed, f"unmet-vent-A-{t}") == period.loc[period.facility == "A", "unmet"].sum()
        )


def _price_rows(parsed):
    """(facilities, periods, row id) of each row of the price table, in order."""
    rows = []
    for ident, attrs in parsed.ids.items():
        if "data-facilities" in attrs:
            facilities, periods = json.loads(attrs["data-facilities"]), attrs["data-periods"]
            rows.append((facilities, json.loads(periods), ident))
    return rows


def test_prices_show_the_value_of_one_more_unit_and_the_flag():
    parsed = _parse(_html())
    rows = _price_rows(parsed)
    # largest value first; zero and unchecked values are counted, not listed
    assert [(f, t) for f, t, _ in rows] == [(["A"], [0]), (["A"], [1])]
    first, second = rows[0][2], rows[1][2]
    assert _value(parsed, f"{first}-more") == 285
    assert parsed.text[f"{first}-unique"] == "yes"
    assert _value(parsed, f"{second}-less") == 250
    assert parsed.text[f"{second}-unique"] == "no"
    assert parsed.ids[f"{second}-unique"]["class"] == "flag"
    assert _value(parsed, "prices-zero") == 1
    assert _value(parsed, "prices-unique") == 1
    assert _value(parsed, "prices-not-unique") == 2
    assert _value(parsed, "prices-unchecked") == 1
    assert "prices-from" not in parsed.ids  # the prices are this plan's


def test_facilities_with_the_same_prices_share_a_row():
    prices = pd.concat([_prices(), _prices().iloc[[0]].assign(facility="Z<1>")], ignore_index=True)
    parsed = _parse(_html(prices=prices))
    rows = _price_rows(parsed)
    assert rows[0][:2] == (["A", "Z<1>"], [0])
    assert len(rows) == 2
    # and consecutive periods with the same prices share a row: "0-2" (an en dash)
    same = pd.DataFrame(
        {
            "facility": ["A", "A", "A", "B"],
            "resource": "vent",
            "period": [0, 1, 2, 4],
            "lp_dual": [9.0] * 4,
            "value_of_one_more_unit": [9.0] * 4,
            "value_of_one_less_unit": [9.0] * 4,
            "unique": pd.array([True] * 4, dtype="boolean"),
            "supply_value": [9.0] * 4,
            "price_note": "unique",
        }
    )
    html = _html(prices=same)
    rows = _price_rows(_parse(html))
    assert [(f, t) for f, t, _ in rows] == [(["A"], [0, 1, 2]), (["B"], [4])]
    assert "0\u20132" in html


def test_prices_of_a_rolling_run_say_where_they_come_from():
    summary = _summary()
    summary["prices"]["from"] = "the full-horizon plan over the same demand (perfect foresight)"
    parsed = _parse(_html(summary=summary))
    assert "perfect foresight" in parsed.text["prices-from"]


def test_user_strings_are_escaped_once():
    evil = '<script>alert("x")</script>&'
    moves = _moves().assign(from_facility=[evil, "C"])
    unmet = _unmet()
    unmet.loc[unmet.facility == "A", "facility"] = evil
    prices = _prices().assign(facility=[evil, evil, "B", "C"])
    summary = _summary() | {"scenario": evil, "resource_label": evil}
    html = _html(summary=summary, commands=command_list(moves), unmet=unmet, prices=prices)
    assert "<script>" not in html
    parsed = _parse(html)
    assert evil in parsed.text["move-0-command"]
    assert parsed.text["headline"].count(evil) == 2


def test_missing_parts_render_what_is_there(tmp_path):
    html = redeploy_report_html(summary={"scenario": "bare"})
    assert "No move" in html and "No prices" in html
    out = write_redeploy_report(
        tmp_path / "r.html", summary={}, commands=command_list(_moves().iloc[:0])
    )
    assert "no-moves" in out.read_text(encoding="utf-8")


def test_figures_and_map_are_inline_and_nothing_is_fetched(tmp_path):
    png = unmet_comparison_chart(_unmet(), tmp_path / "fig.png")
    doc = "<!DOCTYPE html><html><body><p id='inner'>map</p></body></html>"
    html = _html(figures={"Unmet": png}, transfer_map_html=doc)
    assert 'src="data:image/png;base64,' in html
    assert "srcdoc=" in html
    assert find_remote_assets(html) == []
    with pytest.raises(InputValidationError, match="not a PNG"):
        _html(figures={"Broken": b"GIF89a"})
