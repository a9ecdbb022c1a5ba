"""Referral times: known answers, ties, brute force over tiny road graphs, bad input."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from accessplan.data.errors import InputValidationError
from accessplan.spatial.referral import (
    network_referral_od,
    network_referral_times,
    referral_times,
)


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


def test_known_answers_ties_and_ignored_rows():
    od = _od(
        [
            ("c1", "h1", 40.0),
            ("c1", "h2", 25.0),
            ("c2", "h2", 30.0),
            ("c2", "h1", 30.0),  # tie: h2 is listed first in to_ids
            ("h1", "h2", 5.0),  # hospital to hospital: not a centre, ignored
            ("c1", "c2", 1.0),  # centre to centre: not a hospital, ignored
        ]
    )
    got = referral_times(od, from_ids=["c1", "c2", "c3"], to_ids=["h2", "h1"])
    assert got.index.name == "from_id"
    assert list(got.columns) == ["nearest_id", "minutes", "reachable"]
    assert got["nearest_id"].tolist() == ["h2", "h2", None]
    assert got["minutes"].iloc[:2].tolist() == [25.0, 30.0]
    assert np.isnan(got.loc["c3", "minutes"])
    assert got["reachable"].tolist() == [True, True, False]
    # to_ids order decides ties
    got = referral_times(od, from_ids=["c2"], to_ids=["h1", "h2"])
    assert got.loc["c2", "nearest_id"] == "h1"


def test_self_pairs():
    od = _od([("h1", "h1", 0.0), ("h1", "h2", 12.0), ("c1", "h1", 7.0)])
    got = referral_times(od, from_ids=["h1", "c1"], to_ids=["h1", "h2"])
    assert got.loc["h1", "nearest_id"] == "h1" and got.loc["h1", "minutes"] == 0.0
    got = referral_times(od, from_ids=["h1", "c1"], to_ids=["h1", "h2"], exclude_self=True)
    assert got.loc["h1", "nearest_id"] == "h2" and got.loc["h1", "minutes"] == 12.0
    assert got.loc["c1", "nearest_id"] == "h1"


def test_every_problem_is_listed():
    od = _od([("c1", "h1", -1.0), ("c1", "h1", 3.0), ("c2", "h1", np.nan), ("x", "y", -5.0)])
    with pytest.raises(InputValidationError) as err:
        referral_times(od, from_ids=["c1", "c2"], to_ids=["h1"])
    text = str(err.value)
    assert "negative" in text and "missing or not a number" in text and "repeating" in text
    assert "rows 0, 1" in text  # the repeated pair
    with pytest.raises(InputValidationError) as err:
        referral_times(od.drop(columns="minutes"), from_ids=["c1", "c1"], to_ids="h1")
    text = str(err.value)
    assert "minutes" in text and "repeated id" in text and "to_ids must be a list" in text


def _random_graph(seed, n=9):
    rng = np.random.default_rng(seed)
    G = nx.MultiDiGraph(crs="EPSG:3067")
    for k in range(n):
        G.add_node(k, x=float(rng.uniform(0, 5000)), y=float(rng.uniform(0, 5000)))
    for _ in range(3 * n):
        u, v = (int(x) for x in rng.integers(0, n, 2))
        if u != v:
            G.add_edge(u, v, travel_time=float(rng.uniform(30, 900)))  # seconds
    return G


def _on_nodes(G, name, nodes):
    return gpd.GeoDataFrame(
        {name: [f"{name}{k}" for k in range(len(nodes))]},
        geometry=[Point(G.nodes[v]["x"], G.nodes[v]["y"]) for v in nodes],
        crs="EPSG:3067",
    )


@pytest.mark.parametrize("seed", range(8))
def test_network_referral_equals_brute_force(seed):
    G = _random_graph(seed)
    rng = np.random.default_rng(100 + seed)
    centre_nodes = [int(v) for v in rng.choice(len(G), 4, replace=False)]
    hospital_nodes = [int(v) for v in rng.choice(len(G), 2, replace=False)]
    centres = _on_nodes(G, "c", centre_nodes)
    hospitals = _on_nodes(G, "h", hospital_nodes)
    max_minutes = 20.0
    got = network_referral_times(
        G, centres, hospitals, centre_id="c", hospital_id="h", max_minutes=max_minutes
    )
    for k, u in enumerate(centre_nodes):
        seconds = nx.single_source_dijkstra_path_length(G, u, weight="travel_time")
        options = [
            (seconds[v] / 60.0, f"h{m}")
            for m, v in enumerate(hospital_nodes)
            if v in seconds and seconds[v] / 60.0 <= max_minutes
        ]
        row = got.loc[f"c{k}"]
        if not options:
            assert not row["reachable"] and row["nearest_id"] is None
            continue
        best = min(t for t, _ in options)
        assert row["reachable"]
        assert row["minutes"] == pytest.approx(best, abs=1e-9)
        assert row["nearest_id"] in {h for t, h in options if t <= best + 1e-9}


def test_no_hospital_in_reach_gives_unreachable_rows():
    G = nx.MultiDiGraph(crs="EPSG:3067")
    G.add_node(1, x=0.0, y=0.0)
    G.add_node(2, x=100.0, y=0.0)
    G.add_edge(2, 1, travel_time=60.0)  # one way, hospital to centre only
    centres = _on_nodes(G, "c", [1])
    hospitals = _on_nodes(G, "h", [2])
    od = network_referral_od(G, centres, hospitals, centre_id="c", hospital_id="h", max_minutes=30)
    assert len(od) == 0 and list(od.columns) == ["origin_id", "site_id", "minutes"]
    got = network_referral_times(
        G, centres, hospitals, centre_id="c", hospital_id="h", max_minutes=30
    )
    assert got["reachable"].tolist() == [False]
    # the other way round the one-way edge is a one-minute referral
    got = network_referral_times(
        G, hospitals, centres, centre_id="h", hospital_id="c", max_minutes=30
    )
    assert got.loc["h0", "minutes"] == pytest.approx(1.0)
    assert got.loc["h0", "nearest_id"] == "c0"
    with pytest.raises(InputValidationError, match="max_minutes"):
        network_referral_times(G, centres, hospitals, centre_id="c", hospital_id="h", max_minutes=0)
