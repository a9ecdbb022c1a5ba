"""``accessplan demo --redeploy`` and ``accessplan redeploy``: the surge story, checked by hand."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser

import pandas as pd

from accessplan.data import load_demo
from accessplan.maps.offline import find_remote_assets
from accessplan.planner.cli import main


class _Ids(HTMLParser):
    """id -> attributes and id -> text of every element with an id."""

    def __init__(self):
        super().__init__()
        self.ids, self.text, self._open = {}, {}, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        ident = attrs.get("id")
        if ident is not None:
            self.ids[ident], self.text[ident] = attrs, ""
        self._open.append(ident)

    def handle_endtag(self, tag):
        if self._open:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            if ident is not None:
                self.text[ident] += data


def _report(folder) -> _Ids:
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert find_remote_assets(html) == []
    parsed = _Ids()
    parsed.feed(html)
    return parsed


def _value(parsed, ident) -> float:
    return float(parsed.ids[ident]["data-value"])


def test_demo_surge_redeployment(tmp_path, capsys):
    out = tmp_path / "surge"
    assert main(["demo", "--redeploy", "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "rolling horizon"
    assert all(w["proven_optimal"] for w in summary["windows"])

    demand = pd.read_csv(out / "demand.csv")
    vents = load_demo().hospitals.set_index("site_id")["ventilators"].astype(float)
    # without any move, each hospital serves its demand with its own units only
    own = demand["facility"].map(vents)
    unmet_without_moves = (demand["demand"] - own).clip(lower=0).sum()
    assert unmet_without_moves > 0
    unmet = pd.read_csv(out / "unmet.csv")
    assert unmet["unmet"].sum() < unmet_without_moves
    assert summary["total_unmet"] == unmet["unmet"].sum()

    commands = pd.read_csv(out / "commands.csv")
    assert len(commands) == summary["moves"] > 0
    assert (commands["to_facility"] == "H01").all()  # the surge hospital receives
    assert (commands["arrive_period"] == commands["depart_period"] + 1).all()
    # a hospital cannot send more than its mobile share (30 %, rounded down)
    sent = commands.groupby("from_facility")["units"].sum()
    assert (sent <= (vents[sent.index] * 0.3).apply(int)).all()
    # conservation: on hand + in transit is constant over the periods
    inv = pd.read_csv(out / "inventory.csv")
    held = inv.groupby("period")[["on_hand", "in_transit_to"]].sum().sum(axis=1)
    assert held.nunique() == 1
    html = (out / "maps" / "transfers.html").read_text(encoding="utf-8")
    assert find_remote_assets(html) == []
    assert (out / "figures" / "unmet.png").read_bytes()[:4] == b"\x89PNG"

    # "without moves" is each hospital on its own units, as computed above
    assert unmet["unmet_without_moves"].sum() == unmet_without_moves
    assert summary["unmet_without_moves"] == unmet_without_moves

    # the report tells the story of the files: key figures, moves, unmet, prices
    report = _report(out)
    assert _value(report, "unmet-with-moves") == summary["total_unmet"]
    assert _value(report, "unmet-without-moves") == unmet_without_moves
    assert _value(report, "unmet-avoided") == unmet_without_moves - unmet["unmet"].sum()
    assert _value(report, "moves-count") == len(commands)
    assert _value(report, "units-moved") == commands["units"].sum()
    assert _value(report, "transfer-cost") == commands["cost"].sum()
    for n, row in commands.iterrows():
        assert report.text[f"move-{n}-command"] == row["command"]
        assert _value(report, f"move-{n}-units") == row["units"]
        assert _value(report, f"move-{n}-arrive") == row["arrive_period"]
    by_period = unmet.groupby("period")[["unmet", "unmet_without_moves"]].sum()
    for t, row in by_period.iterrows():
        assert _value(report, f"unmet-period-{t}-with") == row["unmet"]
        assert _value(report, f"unmet-period-{t}-without") == row["unmet_without_moves"]
    h01 = unmet[unmet["facility"] == "H01"]
    assert _value(report, "unmet-facility-H01-without") == h01["unmet_without_moves"].sum()
    assert _value(report, "unmet-facility-H01-with") == h01["unmet"].sum()

    # prices (from the full-horizon plan over the same surge): checked, never negative,
    # never above the solver's dual, and the report shows the CSV's numbers
    prices = pd.read_csv(out / "shadow_prices.csv")
    assert {"lp_dual", "value_of_one_more_unit", "value_of_one_less_unit", "unique"} <= set(
        prices.columns
    )
    checked = prices.dropna(subset=["supply_value"])
    assert (checked["supply_value"] >= 0).all()
    assert (checked["supply_value"] <= checked["lp_dual"] + 1e-6).all()
    assert "perfect foresight" in report.text["prices-from"]
    assert _value(report, "prices-cells") == len(prices)
    assert _value(report, "prices-not-unique") == (prices["unique"] == False).sum()  # noqa: E712
    cells = prices.set_index(["facility", "period"])
    rows = [(i, a) for i, a in report.ids.items() if "data-facilities" in a]
    assert rows
    for ident, attrs in rows:
        for facility in json.loads(attrs["data-facilities"]):
            for period in json.loads(attrs["data-periods"]):
                cell = cells.loc[(facility, period)]
                assert _value(report, f"{ident}-more") == cell["value_of_one_more_unit"]
                assert _value(report, f"{ident}-dual") == cell["lp_dual"]
    # the surge hospital before its peak: one more ventilator there serves one more patient
    assert cells.loc[("H01", 0), "value_of_one_more_unit"] == 999


def test_redeploy_section_problems_all_reported(tiny, capsys):
    tiny.sections["redeploy"] = {
        "surge": {"facility": "H1", "peak": 5, "width": 2},
        "demand_trace": "trace.csv",
        "mobile_share": 1.5,
        "lookahead": 0,
    }
    assert main(["redeploy", str(tiny.write()), "--quiet"]) == 2
    err = capsys.readouterr().err
    for key in (
        "redeploy.demand_trace",
        "redeploy.surge.width",
        "redeploy.surge.periods",
        "redeploy.mobile_share",
        "redeploy.lookahead",
    ):
        assert key in err


def test_redeploy_from_a_demand_trace_full_horizon(tiny, capsys):
    """Two hospitals (5 and 2 ventilators, all mobile); H2 needs 4 in periods 1-2.

    Hand solution: H1 needs 1, so it sends 2 units at period 0 (delay 1); cost 2 x 10 transfer,
    no unmet. Without the move H2 would lack 2 units in each of periods 1 and 2.
    """
    pd.DataFrame(
        {
            "facility": ["H1", "H2"] * 3,
            "resource": ["ventilators"] * 6,
            "period": [0, 0, 1, 1, 2, 2],
            "demand": [1, 1, 1, 4, 1, 4],
        }
    ).to_csv(tiny.folder / "trace.csv", index=False)
    tiny.sections["redeploy"] = {
        "demand_trace": "trace.csv",
        "mobile_share": 1.0,
        "transfer_cost_per_unit": 10.0,
        "unmet_penalty": 1000.0,
    }
    assert main(["redeploy", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    summary = json.loads((tiny.out / "summary.json").read_text())
    assert summary["mode"] == "full horizon" and summary["solver"]["proven_optimal"]
    assert summary["total_unmet"] == 0
    assert summary["costs"]["transfer"] == 20.0
    commands = pd.read_csv(tiny.out / "commands.csv")
    assert list(commands["command"]) == [
        "move 2 ventilators from H1 to H2 at period 0, arriving at period 1"
    ]
    prices = pd.read_csv(tiny.out / "shadow_prices.csv").set_index(["facility", "period"])
    assert set(prices.columns) >= {"resource", "demand_price", "value_of_one_more_unit"}
    # one more ventilator at H2 from period 0 or 1 saves one shipment (10); from period 2
    # nothing (H2 then has what it needs); at H1 nothing (it has a spare)
    assert prices.loc[("H2", 0), "supply_value"] == 10
    assert prices.loc[("H2", 1), "supply_value"] == 10
    assert prices.loc[("H2", 2), "supply_value"] == 0
    assert prices.loc[("H1", 0), "supply_value"] == 0
    report = _report(tiny.out)
    assert "prices-from" not in report.ids  # the prices are this plan's
    first = next(a for a in report.ids.values() if "data-facilities" in a)
    assert json.loads(first["data-facilities"]) == ["H2"]
    assert json.loads(first["data-periods"]) == [0, 1]
    assert _value(report, first["id"] + "-more") == 10
    assert _value(report, "unmet-with-moves") == 0
    # without the move H2 lacks 2 ventilators in periods 1 and 2
    assert _value(report, "unmet-without-moves") == 4
    assert report.text["move-0-command"] == commands["command"][0]
    assert not math.isnan(_value(report, "total-cost"))


def test_redeploy_only_scenario_needs_no_areas_or_network(tiny, capsys):
    pd.DataFrame(
        {
            "facility": ["H1", "H2"],
            "resource": ["ventilators"] * 2,
            "period": [0, 0],
            "demand": [1, 1],
        }
    ).to_csv(tiny.folder / "trace.csv", index=False)
    tiny.sections = {
        "facilities": tiny.sections["facilities"],
        "redeploy": {"demand_trace": "trace.csv"},
        "output": {"dir": "out"},
    }
    assert main(["redeploy", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    assert json.loads((tiny.out / "summary.json").read_text())["total_unmet"] == 0
    # the access step does need them, and says so
    assert main(["access", str(tiny.toml), "--quiet", "--out", str(tiny.folder / "a")]) == 2
    err = capsys.readouterr().err
    assert "[areas]" in err and "[network]" in err
