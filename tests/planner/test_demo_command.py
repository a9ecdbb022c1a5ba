"""``accessplan demo`` runs the whole bundled scenario and tells the story it promises."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.planner.cli import main


def test_demo_command_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    # the headline closes stdout: the numbers of summary.json, then the report's path
    stdout = capsys.readouterr().out.splitlines()
    assert stdout[-1] == f"Report: {out.resolve() / 'report.html'}"
    gini = f"{summary['inequity']['gini']:.3f} -> {summary['inequity_after']['gini']:.3f}"
    assert any(line.endswith(gini) for line in stdout)
    # scenario.json names the folder the demo really wrote (--out), not the bundled default
    assert json.loads((out / "scenario.json").read_text())["output"]["dir"] == str(out.resolve())
    loc = summary["location"]
    assert loc["solver"]["proven_optimal"]
    totals = loc["totals"]
    assert totals["cost"] <= totals["budget"]
    assert totals["covered_after"] >= totals["covered_before"]
    # the rural gap the demo is built to show, and the plan closing it
    assert summary["inequity"]["share_zero"] > 0.03
    assert summary["inequity_after"]["share_zero"] < summary["inequity"]["share_zero"]
    assert summary["inequity_after"]["gini"] < summary["inequity"]["gini"]

    new = pd.read_csv(out / "new_sites.csv")
    assert set(new["site_id"]) == set(loc["new_sites"])
    assert np.isclose(new["cost"].sum(), totals["cost"])
    sites = pd.read_csv(out / "sites_after.csv")
    # 2SFCA-family identity after the plan: sum_i need_i * A_i = sum of supply with demand in reach
    areas = gpd.read_file(out / "plan.gpkg", layer="areas")
    served = sites.loc[sites["population_in_reach"] > 0, "capacity"].sum()
    assert np.isclose((areas["need"] * areas["access_after"]).sum(), served, rtol=1e-9)
    table = pd.read_csv(out / "inequity_before_after.csv", index_col=0)
    assert np.isclose(table.loc["gini", "after"], summary["inequity_after"]["gini"])

    # ventilators: every site, existing and new, meets the 7-hour mean wait with the count given,
    # and one fewer would not
    from accessplan.capacity.erlang import mean_wait

    vents = pd.read_csv(out / "ventilators.csv", index_col="site_id")
    assert set(vents.index) == set(sites["site_id"])
    busy = vents[vents["offered_load"] > 0]
    stay_h = busy["mean_stay_days"] * 24
    n = busy["ventilators_needed"].to_numpy()
    load = busy["offered_load"].to_numpy()
    assert (mean_wait(n, load, mean_service_time=stay_h.to_numpy()) <= 7 + 1e-9).all()
    assert (mean_wait(n - 1, load, mean_service_time=stay_h.to_numpy()) > 7).all()
    assert summary["ventilators"]["needed"] == vents["ventilators_needed"].sum()

    # maps, figures and the report: all there, all offline
    from accessplan.maps.offline import find_remote_assets

    for name in ("before_after", "layers", "change"):
        html = (out / "maps" / f"{name}.html").read_text(encoding="utf-8")
        assert find_remote_assets(html) == []
        assert "leaflet" in html.lower()
    for name in ("access_maps", "lorenz", "access_distribution"):
        assert (out / "figures" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert find_remote_assets(report) == []
    assert report.count("<iframe") == 3 and report.count("data:image/png;base64,") >= 3
    for site in new["site_id"]:
        assert f'data-site-id="{site}"' in report
