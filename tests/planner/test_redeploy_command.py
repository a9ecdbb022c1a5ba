"""``accessplan demo --redeploy`` and ``accessplan redeploy``: the surge story, checked by hand."""

from __future__ import annotations

import json

import pandas as pd

from accessplan.data import load_demo
from accessplan.maps.offline import find_remote_assets
from accessplan.planner.cli import main


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
    prices = pd.read_csv(tiny.out / "shadow_prices.csv")
    assert set(prices.columns) >= {"facility", "resource", "period", "demand_price"}


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
