"""TravelOptions: picked from an entry point's arguments by name, with the entry points' defaults."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from accessplan.spatial import dask_engine, network_times
from accessplan.spatial.travel_options import TravelOptions

ENTRY_POINTS = [
    network_times.network_travel_times,
    network_times.stream_network_travel_times,
    network_times.stored_network_travel_times,
    network_times.network_od_fingerprint,
    dask_engine.dask_network_travel_times,
    dask_engine.scatter_network_travel_times,
]


def test_of_picks_by_name_and_leaves_the_rest():
    options = TravelOptions.of(
        {"origin_id": "o", "site_id": "s", "max_minutes": 30, "jobs": 3, "G": object()}
    )
    assert options.keywords() == {
        "origin_id": "o",
        "site_id": "s",
        "max_minutes": 30,
        "access_speed_kph": 5.0,
        "max_snap_meters": 5000.0,
        "chunk_size": 64,
        "jobs": 3,
        "origins_label": "origins",
        "sites_label": "sites",
    }
    with pytest.raises(TypeError):  # a required option missing is not guessed
        TravelOptions.of({"origin_id": "o", "site_id": "s"})


def test_bounds_and_keywords():
    options = TravelOptions("o", "s", 45.0, access_speed_kph=4, max_snap_meters=10.0)
    assert list(options.bounds().items()) == [
        ("max_minutes", 45.0),
        ("access_speed_kph", 4),
        ("max_snap_meters", 10.0),
    ]
    keywords = options.keywords(omit=("jobs",))
    assert "jobs" not in keywords and TravelOptions(**keywords, jobs=1) == options
    assert TravelOptions(**options.keywords()) == options


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_defaults_are_the_entry_points_defaults(entry):
    """An option an entry point takes has its default; one it lacks keeps TravelOptions'."""
    parameters = inspect.signature(entry).parameters
    fields = {f.name: f.default for f in dataclasses.fields(TravelOptions)}
    shared = [name for name in fields if name in parameters]
    assert {"origin_id", "site_id", "max_minutes"} <= set(shared)
    for name in shared:
        default = parameters[name].default
        expected = dataclasses.MISSING if default is inspect.Parameter.empty else default
        assert fields[name] == expected, name
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
