"""Companion staff from units: hand-worked ratios, rounding, vectorisation, input checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from accessplan.capacity.erlang import servers_for_mean_wait
from accessplan.capacity.errors import QueueInputError
from accessplan.capacity.staff import staff_for, staff_per_shift


def test_hand_worked_examples():
    # 1 therapist per 10 ventilators per shift, 3 shifts a day
    #   72 ventilators -> 8 per shift -> 24 a day; with relief 1.4 -> 33.6 -> 34
    assert int(staff_for(72, per_staff=10, shifts_per_day=3)) == 24
    assert int(staff_for(72, per_staff=10, shifts_per_day=3, relief_factor=1.4)) == 34
    #   2 shifts of 12 hours, 1 per 4 ventilators: 9 ventilators -> 3 per shift -> 6
    assert int(staff_for(9, per_staff=4, shifts_per_day=2)) == 6
    assert int(staff_per_shift(9, per_staff=4)) == 3


def test_whole_ratios_do_not_round_up_an_extra_person():
    # 4.2 / 0.3 is 14.000000000000002 in floating point; it is 14 people
    assert 4.2 / 0.3 > 14
    assert int(staff_per_shift(4.2, per_staff=0.3)) == 14
    assert staff_per_shift([30, 31, 40], per_staff=10).tolist() == [3, 4, 4]
    # 70 * 3 * 1.1 is 231.00000000000003: 231 people, not 232
    assert 70 * 3 * 1.1 > 231
    assert int(staff_for(700, per_staff=10, shifts_per_day=3, relief_factor=1.1)) == 231


def test_matches_the_definition_on_a_grid():
    units = np.arange(0, 301)
    for per_staff in (1, 3, 7.5, 10):
        for shifts in (1, 2, 3):
            for relief in (1.0, 1.25, 1.6):
                got = staff_for(
                    units, per_staff=per_staff, shifts_per_day=shifts, relief_factor=relief
                )
                for u in (0, 1, 7, 30, 299):
                    on_shift = math.ceil(u / per_staff)
                    # a tiny allowance for products like 3 * 1.6 = 4.800000000000001
                    expected = math.ceil(on_shift * shifts * relief - 1e-9)
                    assert got[u] == expected
                assert (np.diff(got) >= 0).all()


def test_vectorised_and_broadcast_per_site():
    units = np.array([0, 5, 12, 30])
    per_staff = np.array([10, 10, 6, 10])
    got = staff_for(units, per_staff=per_staff, shifts_per_day=[3, 3, 2, 3])
    assert got.dtype == np.int64
    assert got.tolist() == [0, 3, 4, 9]
    series = pd.Series([10.0, 20.0], index=["x", "y"])
    assert staff_for(series).tolist() == [3, 6]
    assert np.ndim(staff_for(10)) == 0


def test_from_the_queueing_answer():
    loads = np.array([64.0, 86.0, 154.5, 20.0])
    stay_days = loads / np.array([7.0, 9.0, 17.0, 3.0])
    ventilators = servers_for_mean_wait(loads, target_wait=7 / 24, mean_service_time=stay_days)
    therapists = staff_for(ventilators, per_staff=10, shifts_per_day=3)
    assert therapists.tolist() == [24, 30, 51, 9]  # 8, 10, 17, 3 per shift


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"units": [1, -2]}, r"units\[1\]"),
        ({"units": [np.nan]}, "NaN"),
        ({"units": 3, "per_staff": 0}, "per_staff"),
        ({"units": 3, "shifts_per_day": 0}, "shifts_per_day"),
        ({"units": 3, "shifts_per_day": 2.5}, "shifts_per_day"),
        ({"units": 3, "relief_factor": 0.8}, "relief_factor"),
        ({"units": [1, 2], "per_staff": [1, 2, 3]}, "broadcast"),
    ],
)
def test_bad_inputs_raise(kwargs, word):
    with pytest.raises(QueueInputError, match=word):
        staff_for(**kwargs)


def test_all_problems_reported_at_once():
    with pytest.raises(QueueInputError) as info:
        staff_for([1, -1], per_staff=-1, shifts_per_day=0, relief_factor=0.5)
    assert "4 problems" in str(info.value)
