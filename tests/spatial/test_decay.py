"""Distance-decay functions: known values, shared properties and the scenario-file form."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessplan.data.errors import AccessplanError
from accessplan.spatial.decay import (
    DECAY_TYPES,
    Decay,
    GaussianDecay,
    StepDecay,
    gaussian_decay,
    gravity_decay,
    kernel_decay,
    linear_decay,
    make_decay,
    step_decay,
    uniform_decay,
)
from accessplan.spatial.errors import UnknownDecayError

EXP_HALF = math.exp(-0.5)


# ---------------------------------------------------------------- known values


def test_step_decay_matches_access_step_fn_docstring():
    # PySAL access, access/weights.py, step_fn docstring:
    #   fn = weights.step_fn({20 : 1, 40 : 0.68, 60 : 0.22})
    #   {v : fn(v) for v in range(0, 71, 10)}
    #   {0: 1, 10: 1, 20: 1, 30: 0.68, 40: 0.68, 50: 0.22, 60: 0.22, 70: 0}
    published = {0: 1, 10: 1, 20: 1, 30: 0.68, 40: 0.68, 50: 0.22, 60: 0.22, 70: 0}
    decay = step_decay({20: 1, 40: 0.68, 60: 0.22})
    got = decay(np.array(list(published), dtype=float))
    assert got.tolist() == list(published.values())
    assert decay.max_minutes == 60.0


def test_step_decay_boundaries_belong_to_the_nearer_zone():
    decay = step_decay({30: 0.22, 10: 1.0, 20: 0.68})  # order of the mapping is irrelevant
    minutes = np.array([10.0, np.nextafter(10.0, 11.0), 20.0, np.nextafter(30.0, 31.0)])
    assert decay(minutes).tolist() == [1.0, 0.68, 0.68, 0.0]


def test_plain_gaussian_matches_access_gaussian_docstring():
    # PySAL access, access/weights.py, gaussian docstring:
    #   fn = weights.gaussian(sigma = 20); {v : fn(v) for v in range(0, 61, 20)}
    #   {0: 1.0, 20: 0.6065306597126334, 40: 0.1353352832366127, 60: 0.011108996538242306}
    published = [1.0, 0.6065306597126334, 0.1353352832366127, 0.011108996538242306]
    decay = gaussian_decay(catchment_minutes=60, sigma_minutes=20)
    np.testing.assert_allclose(decay(np.array([0.0, 20.0, 40.0, 60.0])), published, rtol=1e-15)
    assert decay(np.array([60.5])).tolist() == [0.0]  # cut by the catchment


def test_dai_gaussian_by_hand():
    # Dai (2010): w = (exp(-(d/d0)^2 / 2) - exp(-1/2)) / (1 - exp(-1/2)), d0 = 30.
    decay = gaussian_decay(catchment_minutes=30)
    half = (math.exp(-0.5 * 0.25) - EXP_HALF) / (1 - EXP_HALF)  # d = 15: (d/d0)^2 = 1/4
    got = decay(np.array([0.0, 15.0, 30.0, 31.0]))
    np.testing.assert_allclose(got, [1.0, half, 0.0, 0.0], rtol=1e-15, atol=1e-15)
    assert half == pytest.approx(0.7014, abs=1e-4)  # (0.8825 - 0.6065) / 0.3935


def test_truncated_gaussian_is_flat_then_dai_over_the_rest():
    # t = 10, d0 = 30: weight 1 up to 10 min, then Dai's form on (d - t) / (d0 - t).
    decay = gaussian_decay(catchment_minutes=30, truncate_below=10)
    half = (math.exp(-0.5 * 0.25) - EXP_HALF) / (1 - EXP_HALF)  # d = 20: (10/20)^2 = 1/4
    got = decay(np.array([0.0, 5.0, 10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_allclose(got, [1, 1, 1, half, 0, 0], rtol=1e-15, atol=1e-15)
    # continuous at t
    assert decay(np.array([10.0 + 1e-9]))[0] == pytest.approx(1.0, abs=1e-12)
    # truncated plain Gaussian: exp(-((d - t)/sigma)^2 / 2)
    plain = gaussian_decay(catchment_minutes=30, sigma_minutes=5, truncate_below=10)
    np.testing.assert_allclose(plain(np.array([3.0, 15.0])), [1.0, math.exp(-0.5)], rtol=1e-15)


def test_gravity_is_a_power_law_scaled_to_one_at_min_minutes():
    # beta = 2, m = 1: d**-2 for d >= 1; d = 0 and d < 1 get weight 1.
    decay = gravity_decay(beta=2)
    got = decay(np.array([0.0, 0.5, 1.0, 2.0, 4.0, 100.0]))
    np.testing.assert_allclose(got, [1, 1, 1, 1 / 4, 1 / 16, 1e-4], rtol=1e-15)
    assert decay.max_minutes is None
    # m = 5: (max(d, 5) / 5) ** -1
    assert gravity_decay(beta=1, min_minutes=5)(np.array([2.0, 10.0])).tolist() == [1.0, 0.5]
    cut = gravity_decay(beta=1, catchment_minutes=30)
    assert cut(np.array([30.0, 30.5])).tolist() == [1 / 30, 0.0]
    assert cut.max_minutes == 30


def test_gravity_differs_from_access_gravity_only_by_a_constant():
    # PySAL access, access/weights.py, gravity docstring:
    #   fn = weights.gravity(scale = 20, alpha = -2, min_dist = 1)
    #   {t : round(fn(t), 2) for t in [0, 1, 2, 20, 40, 60]}
    #   {0: 400.0, 1: 400.0, 2: 100.0, 20: 1.0, 40: 0.25, 60: 0.11}
    # access's weight is (max(t, 1) / 20) ** -2 = 20**2 * ours; the factor cancels in 2SFCA.
    published = {0: 400.0, 1: 400.0, 2: 100.0, 20: 1.0, 40: 0.25, 60: 0.11}
    ours = gravity_decay(beta=2, min_minutes=1)(np.array(list(published), dtype=float))
    assert [round(v, 2) for v in 400 * ours] == list(published.values())


def test_linear_kernel_uniform_by_hand():
    d = np.array([0.0, 7.5, 15.0, 30.0, 30.1])
    # u = d / 30 = 0, 1/4, 1/2, 1, >1
    np.testing.assert_allclose(linear_decay(catchment_minutes=30)(d), [1, 0.75, 0.5, 0, 0])
    np.testing.assert_allclose(
        kernel_decay(catchment_minutes=30)(d), [1, 1 - 1 / 16, 1 - 1 / 4, 0, 0]
    )
    np.testing.assert_allclose(
        kernel_decay(catchment_minutes=30, kernel="quartic")(d),
        [1, (15 / 16) ** 2, (3 / 4) ** 2, 0, 0],
    )
    np.testing.assert_allclose(
        kernel_decay(catchment_minutes=30, kernel="tricube")(d),
        [1, (1 - 1 / 64) ** 3, (7 / 8) ** 3, 0, 0],
    )
    np.testing.assert_allclose(
        kernel_decay(catchment_minutes=30, kernel="triangular")(d),
        linear_decay(catchment_minutes=30)(d),
    )
    assert uniform_decay(catchment_minutes=30)(d).tolist() == [1, 1, 1, 1, 0]


# ---------------------------------------------------------------- shared properties

ALL_DECAYS = [
    uniform_decay(catchment_minutes=30),
    step_decay({10: 1.0, 20: 0.68, 30: 0.22}),
    gaussian_decay(catchment_minutes=30),
    gaussian_decay(catchment_minutes=30, sigma_minutes=12),
    gaussian_decay(catchment_minutes=30, truncate_below=5),
    gravity_decay(beta=1.5),
    gravity_decay(beta=1, min_minutes=2, catchment_minutes=30),
    linear_decay(catchment_minutes=30),
    kernel_decay(catchment_minutes=30),
    kernel_decay(catchment_minutes=30, kernel="quartic"),
]


@pytest.mark.parametrize("decay", ALL_DECAYS, ids=repr)
@settings(max_examples=40, deadline=None)
@given(minutes=st.lists(st.floats(0, 90, allow_nan=False), min_size=1, max_size=30))
def test_weights_in_unit_interval_non_increasing_and_zero_beyond_catchment(decay, minutes):
    d = np.sort(np.array(minutes))
    w = decay(d)
    assert w.shape == d.shape
    assert np.all((w >= 0) & (w <= 1))
    assert np.all(np.diff(w) <= 0)
    if decay.max_minutes is not None:
        assert np.all(w[d > decay.max_minutes] == 0)
    assert decay(np.array([0.0]))[0] == 1.0


@pytest.mark.parametrize("decay", ALL_DECAYS, ids=repr)
def test_decays_are_frozen_hashable_and_round_trip_through_their_spec(decay):
    assert isinstance(decay, Decay)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decay.catchment_minutes = 1.0  # type: ignore[misc]
    hash(decay)
    assert make_decay(decay.to_spec()) == decay
    assert make_decay(decay) is decay


# ---------------------------------------------------------------- scenario-file form


def test_make_decay_from_toml_table_with_string_keys():
    spec = {"type": "step", "steps": {"10": 1.0, "20": 0.68, "30": 0.22}}
    decay = make_decay(spec)
    assert decay == step_decay({10: 1.0, 20: 0.68, 30: 0.22})
    assert isinstance(decay, StepDecay)
    assert decay.steps == ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))


def test_make_decay_takes_the_catchment_from_the_keyword_unless_given():
    assert make_decay({"type": "gaussian"}, catchment_minutes=45) == GaussianDecay(45.0)
    assert make_decay("uniform", catchment_minutes=20) == uniform_decay(catchment_minutes=20)
    explicit = make_decay({"type": "linear", "catchment_minutes": 15}, catchment_minutes=45)
    assert explicit.max_minutes == 15
    assert make_decay({"type": "Gravity", "beta": 1.2}).beta == 1.2


@pytest.mark.parametrize(
    ("spec", "fragments"),
    [
        ({"type": "cubic"}, ["unknown decay type 'cubic'", *DECAY_TYPES]),
        ("parabolic", ["unknown decay type", "gaussian (catchment_minutes, sigma_minutes"]),
        ({"steps": {"10": 1}}, ["unknown decay type None"]),
        (42, ["type name or a table"]),
        ({"type": "gaussian", "catchment": 30}, ["unknown parameter catchment", "accepts"]),
        ({"type": "gravity"}, ["missing beta"]),
        ({"type": "uniform"}, ["missing catchment_minutes"]),
        ({"type": "step", "steps": {"ten": 1.0}}, ["'ten' is not a number"]),
        ({"type": "step", "steps": {"10": 1.5}}, ["must be in [0, 1]"]),
        ({"type": "step", "steps": {}}, ["non-empty"]),
        ({"type": "gaussian", "catchment_minutes": -5}, ["catchment_minutes must be > 0"]),
        ({"type": "gaussian", "catchment_minutes": 30, "truncate_below": 30}, ["smaller"]),
        ({"type": "gaussian", "catchment_minutes": 30, "sigma_minutes": 0}, ["sigma"]),
        ({"type": "gravity", "beta": -1}, ["beta must be >= 0"]),
        ({"type": "gravity", "beta": "2"}, ["beta must be a finite number"]),
        ({"type": "kernel", "catchment_minutes": 30, "kernel": "cosine"}, ["epanechnikov"]),
        ({"type": "linear", "catchment_minutes": float("nan")}, ["finite"]),
    ],
)
def test_bad_specs_raise_unknown_decay_error_saying_what_is_accepted(spec, fragments):
    with pytest.raises(UnknownDecayError) as info:
        make_decay(spec)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, AccessplanError)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_constructors_validate_too():
    with pytest.raises(UnknownDecayError, match="strictly increasing"):
        StepDecay(((20.0, 1.0), (10.0, 0.5)))
    with pytest.raises(UnknownDecayError, match="catchment_minutes"):
        uniform_decay(catchment_minutes=0)
    with pytest.raises(UnknownDecayError, match="min_minutes"):
        gravity_decay(beta=1, min_minutes=0)


def test_exponential_decay_values_and_scenario_form():
    from accessplan.spatial.decay import exponential_decay

    d = exponential_decay(beta=0.1, catchment_minutes=30)
    w = d(np.array([-1.0, 0.0, 10.0, 30.0, 30.5]))
    assert w.tolist() == pytest.approx([1.0, 1.0, np.exp(-1.0), np.exp(-3.0), 0.0])
    assert d.max_minutes == 30
    assert make_decay(d.to_spec()) == d
    assert make_decay({"type": "exponential", "beta": 0.1}, catchment_minutes=30) == d
    assert exponential_decay(beta=0.0)(np.array([5.0, 50.0])).tolist() == [1.0, 1.0]
    with pytest.raises(UnknownDecayError, match="beta"):
        make_decay({"type": "exponential"})
