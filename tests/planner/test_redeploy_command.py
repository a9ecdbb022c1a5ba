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
