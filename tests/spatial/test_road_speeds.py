"""Edge speeds on arrays agree with osmnx's maxspeed parsing and imputation on graphs."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pytest

from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network import SPEED_SOURCES, prepare_network
from accessplan.spatial.road_speeds import (
    IMPLICIT_MAXSPEEDS,
    MILES_TO_KM,
    edge_maxspeed_kph,
    edge_seconds,
    edge_speeds_kph,
    parse_maxspeed,
)

TEXTS = [
    "50",
    "30 mph",
    "30mph",
    "50;70",
    "RU:urban",
    "DE:rural",
    "none",
    "signals",
    "walk",
    "50|70",
    "30 mph|40",
    "50 km/h",
    "50kmh",
    "50 kph",
    "50 knots",
    "1,5",
    "1.2.3",
    "",
    " 50",
    "50 ",
    "0",
    "5.",
    "RU:urban|60",
]


def osmnx_speeds(highways, maxspeeds, fallback=None):
    """osmnx's own add_edge_speeds on a path graph carrying these edge values."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for k, (hw, ms) in enumerate(zip(highways, maxspeeds, strict=True)):
        data = {"highway": hw, "length": 10.0}
        if ms is not None:
            data["maxspeed"] = ms
        G.add_edge(k, k + 1, **data)
    ox.add_edge_speeds(G, fallback=fallback)
    return np.array([G.edges[k, k + 1, 0]["speed_kph"] for k in range(len(highways))])


def test_hand_worked_values():
    assert parse_maxspeed("50") == 50.0
    assert parse_maxspeed("30 mph") == 30 * MILES_TO_KM
    assert parse_maxspeed("50|70") == 60.0
    assert parse_maxspeed("1,5") == 1.5
    assert parse_maxspeed("RU:urban") == 60.0
    for text in ("none", "50;70", "signals", "", None, 50.0):
        assert parse_maxspeed(text) is None
    assert edge_maxspeed_kph(["50", "70", "none"]) == 60.0
    assert edge_maxspeed_kph(["none", "signals"]) is None
    assert edge_maxspeed_kph(float("nan")) is None
    assert edge_maxspeed_kph(50.0) == 50.0
    np.testing.assert_array_equal(edge_seconds(np.array([1000.0]), 60.0), [60.0])


def test_parsing_agrees_with_osmnx():
    texts = TEXTS + sorted(IMPLICIT_MAXSPEEDS)
    assert len(IMPLICIT_MAXSPEEDS) > 100  # osmnx's table was found
    for text in texts:
        expected = ox.routing._clean_maxspeed(text)
        got = parse_maxspeed(text)
        if expected is None:
            assert got is None, text
        else:
            assert got == expected, text


def test_lists_and_imputation_agree_with_osmnx():
    highways = [
        "primary",
        "primary",
        ["primary", "secondary"],
        "secondary",
        "secondary",
        "residential",
        "residential",
        "tertiary",
        ["tertiary", "primary"],
        "service",
    ]
    maxspeeds = [
        "50",
        ["30 mph", "50", "none"],
        "none",
        ["RU:urban", "45"],
        None,
        "30 mph",
        "50;70",
        ["walk", "signals"],
        None,
        "0",
    ]
    for fallback in (None, 37.0):
        expected = osmnx_speeds(highways, maxspeeds, fallback)
        got, counts = edge_speeds_kph(highways, maxspeeds, fallback_speed_kph=fallback)
        np.testing.assert_array_equal(got, expected)
        assert set(counts) == set(SPEED_SOURCES)
        assert counts["maxspeed"] == 5
        # the primary "none", the secondary None and the residential "50;70"
        assert counts["highway type mean"] == 3
        imputed_other = "fallback_speed_kph" if fallback else "mean of all highway types"
        assert counts[imputed_other] == 2  # the two tertiary edges


def test_counts_and_times_agree_with_prepare_network():
    """A two-way ring: prepare_network's report and travel times equal the array results."""
    rng = np.random.default_rng(3)
    kinds = ["primary", "secondary", "residential", "unclassified", ["residential", "primary"]]
    limits = ["50", "40", "30 mph", None, None, "none", ["60", "80"], "RU:rural", "50|30"]
    n = 40
    G = nx.MultiDiGraph(crs="EPSG:4326")
    for i in range(n):
        G.add_node(i, x=24.0 + 0.001 * math.cos(i), y=60.0 + 0.001 * math.sin(i))
    highways, maxspeeds, lengths, keys = [], [], [], []
    for i in range(n):
        for u, v in ((i, (i + 1) % n), ((i + 1) % n, i)):
            hw = kinds[rng.integers(len(kinds))]
            ms = limits[rng.integers(len(limits))]
            length = float(rng.uniform(5, 500))
            data = {"highway": hw, "length": length}
            if ms is not None:
                data["maxspeed"] = ms
            keys.append((u, v, G.add_edge(u, v, **data)))
            highways.append(hw)
            maxspeeds.append(ms)
            lengths.append(length)
    for fallback in (None, 25.0):
        H, report = prepare_network(G, fallback_speed_kph=fallback)
        speeds, counts = edge_speeds_kph(highways, maxspeeds, fallback_speed_kph=fallback)
        assert report.speeds_imputed == {k: c for k, c in counts.items() if c}
        seconds = edge_seconds(np.array(lengths), speeds)
        expected = [H.edges[key]["travel_time"] for key in keys]
        np.testing.assert_allclose(seconds, expected, rtol=1e-14, atol=0)


def test_pandas_text_form_of_means_is_exact():
    """osmnx writes a list's mean as text before parsing it again: no digits are lost."""
    values = pd.Series([51.498880000000004, 48.2802, 1 / 3], dtype=object).astype(str)
    assert [float(v) for v in values] == [51.498880000000004, 48.2802, 1 / 3]


def test_errors():
    with pytest.raises(NetworkError, match="no edge has a 'maxspeed'"):
        edge_speeds_kph(["primary", "residential"], [None, "none"])
    with pytest.raises(NetworkError, match="neither 'travel_time' nor 'highway'"):
        edge_speeds_kph(["primary", None], ["50", "50"])
    with pytest.raises(NetworkError, match="one of each per edge"):
        edge_speeds_kph(["primary"], [])
    with pytest.raises(NetworkError, match="fallback_speed_kph must be a positive"):
        edge_speeds_kph(["primary"], ["50"], fallback_speed_kph=0)
