"""Erlang B / Erlang C: known values, exact fractions, the birth-death chain, identities, inverses."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from accessplan.capacity.erlang import (
    _erlang_b_incomplete_gamma,
    erlang_b,
    erlang_c,
    mean_queue_length,
    mean_wait,
    servers_for_mean_wait,
    servers_for_service_level,
    servers_for_wait_probability,
    service_level,
    wait_exceeds_probability,
)
from accessplan.capacity.errors import QueueInputError
from accessplan.data.errors import AccessplanError

# (offered load A, servers N, P(wait)) -- note the order: load first, then servers.
# The values of the "Queueing" issue; each was re-derived with a 60-digit decimal
# evaluation before it was written here.
KNOWN_C = [
    (8, 10, 0.409180150796444),
    (9, 10, 0.668731524107697),
    (10, 11, 0.682118204689332),
    (10, 14, 0.17413193359505),
    (48, 55, 0.238700936378009),
    (95, 100, 0.506456853913021),
    (500, 520, 0.274756344696524),
    (1000, 1050, 0.0744017740374284),
    (1, 2, 1 / 3),
]


# ------------------------------------------------------------------ exact references


def exact_erlang_b(servers: int, load: Fraction) -> Fraction:
    """Erlang B from its definition, (A^N / N!) / sum_k A^k / k!, in exact fractions."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, load: Fraction) -> Fraction:
    """Erlang C from its definition (needs N > A), in exact fractions."""
    head = sum(load**k / math.factorial(k) for k in range(servers))
    tail = load**servers / math.factorial(servers) * servers / (servers - load)
    return tail / (head + tail)


def birth_death_stationary(servers: int, load: float, states: int) -> np.ndarray:
    """Stationary law of the M/M/N chain truncated at ``states``, by a linear solve.

    Arrival rate ``load``, service rate 1 per busy server; pi Q = 0, sum pi = 1.
    """
    q = np.zeros((states, states))
    for k in range(states):
        if k + 1 < states:
            q[k, k + 1] = load
        if k > 0:
            q[k, k - 1] = min(k, servers)
        q[k, k] = -q[k].sum()
    system = q.T.copy()
    system[-1] = 1.0  # replace one balance equation by the normalisation
    rhs = np.zeros(states)
    rhs[-1] = 1.0
    return np.linalg.solve(system, rhs)


# ------------------------------------------------------------------ known values


@pytest.mark.parametrize(("load", "servers", "expected"), KNOWN_C)
def test_erlang_c_known_values(load, servers, expected):
    assert float(erlang_c(servers, load)) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_known_values_in_one_vectorised_call():
    loads = np.array([a for a, _, _ in KNOWN_C], dtype=float)
    servers = np.array([n for _, n, _ in KNOWN_C])
    expected = np.array([c for _, _, c in KNOWN_C])
    np.testing.assert_allclose(erlang_c(servers, loads), expected, rtol=1e-12, atol=0)


def test_ventilators_for_a_seven_hour_mean_wait():
    arrivals_per_day = np.array([7.0, 9.0, 17.0, 3.0])
    loads = np.array([64.0, 86.0, 154.5, 20.0])
    stay_days = loads / arrivals_per_day
    target_days = 7 / 24
    n = servers_for_mean_wait(loads, target_wait=target_days, mean_service_time=stay_days)
    assert n.tolist() == [72, 95, 165, 25]
    wait = mean_wait(n, loads, mean_service_time=stay_days)
    assert (wait <= target_days).all()
    wait_one_less = mean_wait(n - 1, loads, mean_service_time=stay_days)
    assert (wait_one_less > target_days).all()
    # the same answer in hours
    n_hours = servers_for_mean_wait(loads, target_wait=7.0, mean_service_time=stay_days * 24)
    assert n_hours.tolist() == [72, 95, 165, 25]


def test_erlang_b_small_known_values():
    # B(1, A) = A / (1 + A); B(2, 1) = (1/2) / (1 + 1 + 1/2) = 1/5
    assert float(erlang_b(1, 3.0)) == pytest.approx(0.75, rel=1e-15)
    assert float(erlang_b(2, 1.0)) == pytest.approx(0.2, rel=1e-15)


# ------------------------------------------------------------------ exact fractions


@pytest.mark.parametrize("load", [Fraction(1, 3), Fraction(7, 2), Fraction(12), Fraction(45, 2)])
def test_erlang_b_equals_its_definition_in_exact_fractions(load):
    servers = np.arange(0, 41)
    got = erlang_b(servers, float(load))
    for n in servers:
        exact = exact_erlang_b(int(n), load)
        assert got[n] == pytest.approx(float(exact), rel=2e-15), n


@pytest.mark.parametrize("load", [Fraction(1, 3), Fraction(7, 2), Fraction(12), Fraction(45, 2)])
def test_erlang_c_equals_its_definition_in_exact_fractions(load):
    servers = np.arange(math.floor(load) + 1, 50)
    got = erlang_c(servers, float(load))
    for i, n in enumerate(servers):
        exact = exact_erlang_c(int(n), load)
        assert got[i] == pytest.approx(float(exact), rel=1e-14), n


# ------------------------------------------------------------------ the birth-death chain


@pytest.mark.parametrize(("servers", "load"), [(1, 0.5), (2, 1.0), (3, 2.4), (5, 4.5), (8, 5.0)])
def test_against_the_birth_death_chain(servers, load):
    # truncate far enough out that the lost tail is below 1e-15
    states = servers + 1 + int(math.log(1e-17) / math.log(load / servers))
    pi = birth_death_stationary(servers, load, states)
    k = np.arange(states)
    waiting = k >= servers
    c_chain = pi[waiting].sum()
    lq_chain = ((k - servers) * pi)[waiting].sum()
    assert float(erlang_c(servers, load)) == pytest.approx(c_chain, rel=1e-9)
    assert float(mean_queue_length(servers, load)) == pytest.approx(lq_chain, rel=1e-9)
    # Erlang B is the chain with no waiting room: pi_N of the chain truncated at N
    pi_loss = birth_death_stationary(servers, load, servers + 1)
    assert float(erlang_b(servers, load)) == pytest.approx(pi_loss[-1], rel=1e-9)
    # an arrival that finds k >= N waits for k - N + 1 departures at rate N:
    # P(W > t) = sum_k pi_k P(Gamma(k - N + 1, rate N) > t)
    for t in (0.1, 0.5, 2.0):
        shapes = k[waiting] - servers + 1
        tail = (pi[waiting] * stats.gamma.sf(t, a=shapes, scale=1 / servers)).sum()
        got = wait_exceeds_probability(servers, load, wait=t, mean_service_time=1.0)
        assert float(got) == pytest.approx(tail, rel=1e-9)


# ------------------------------------------------------------------ identities


@pytest.mark.parametrize(
    ("servers", "load", "service"), [(3, 2.0, 1.0), (10, 8.0, 2.5), (55, 48.0, 9.0)]
)
def test_identities(servers, load, service):
    c = float(erlang_c(servers, load))
    # P(W > 0) = C, and the two tails add up to one
    assert float(wait_exceeds_probability(servers, load, wait=0.0, mean_service_time=service)) == c
    for t in (0.0, 0.3, 4.0):
        p = wait_exceeds_probability(servers, load, wait=t, mean_service_time=service)
        s = service_level(servers, load, wait=t, mean_service_time=service)
        assert float(p + s) == pytest.approx(1.0, abs=1e-15)
    # the mean wait is the integral of its tail
    w = float(mean_wait(servers, load, mean_service_time=service))
    area, _ = integrate.quad(
        lambda t: float(wait_exceeds_probability(servers, load, wait=t, mean_service_time=service)),
        0,
        np.inf,
    )
    assert w == pytest.approx(area, rel=1e-8)
    # Little's law: L_q = lambda W_q with lambda = A / s
    assert float(mean_queue_length(servers, load)) == pytest.approx(load / service * w, rel=1e-14)
    # C from B: C = N B / (N - A (1 - B))
    b = float(erlang_b(servers, load))
    assert c == pytest.approx(servers * b / (servers - load * (1 - b)), rel=1e-14)


def test_incomplete_gamma_form_agrees_with_the_recursion():
    # the closed form loses about N * 1e-16 relative; where it is defined it must agree
    rng = np.random.default_rng(3)
    servers = np.repeat([1, 5, 30, 200, 1000, 4000, 10_000], 20)
    loads = servers * rng.uniform(0.2, 1.3, servers.size)
    recursion = erlang_b(servers, loads)
    closed = _erlang_b_incomplete_gamma(servers, loads)
    ok = np.isfinite(closed) & (recursion > 1e-280)
    assert ok.mean() > 0.9
    np.testing.assert_allclose(recursion[ok], closed[ok], rtol=1e-10, atol=0)


def test_incomplete_gamma_form_breaks_down_where_the_recursion_does_not():
    # A far above N: the closed form's numerator and denominator underflow (0/0)
    assert np.isnan(_erlang_b_incomplete_gamma(2000, 6000.0))
    b = float(erlang_b(2000, 6000.0))
    # for A >> N, B -> 1 - N / A (to first order)
    assert b == pytest.approx(1 - 2000 / 6000, rel=1e-3)


# ------------------------------------------------------------------ monotonicity


def test_monotone_in_servers_and_load():
    load = 37.3
    n = np.arange(38, 120)
    c = erlang_c(n, load)
    assert (np.diff(c) < 0).all()
    assert (np.diff(erlang_b(np.arange(0, 120), load)) < 0).all()
    w = mean_wait(n, load, mean_service_time=1.0)
    assert (np.diff(w) < 0).all()
    # the mean wait is convex in N on the stable range (Dyer & Proll 1977)
    assert (np.diff(w, 2) > 0).all()
    loads = np.linspace(0.0, 49.9, 300)
    assert (np.diff(erlang_c(50, loads)) > 0).all()
    assert (np.diff(erlang_b(50, loads)) > 0).all()
    sl = service_level(60, 50.0, wait=np.linspace(0, 3, 50), mean_service_time=1.0)
    assert (np.diff(sl) > 0).all()


# ------------------------------------------------------------------ edges and conventions


def test_unstable_queues_are_capped_not_above_one():
    loads = np.array([3.0, 10.0, 10.0, 1000.5])
    servers = np.array([0, 5, 10, 1000])
    assert erlang_c(servers, loads).tolist() == [1.0, 1.0, 1.0, 1.0]
    assert np.isinf(mean_wait(servers, loads, mean_service_time=1.0)).all()
    assert np.isinf(mean_queue_length(servers, loads)).all()
    p = wait_exceeds_probability(servers, loads, wait=5.0, mean_service_time=1.0)
    assert p.tolist() == [1.0] * 4
    s = service_level(servers, loads, wait=5.0, mean_service_time=1.0)
    assert s.tolist() == [0.0] * 4


def test_probabilities_stay_in_the_unit_interval_everywhere():
    n = np.arange(0, 400)[None, :]
    loads = np.array([0.0, 1e-9, 0.5, 7.7, 99.99, 100.0, 250.0, 1e6])[:, None]
    for values in (
        erlang_b(n, loads),
        erlang_c(n, loads),
        wait_exceeds_probability(n, loads, wait=0.1, mean_service_time=1.0),
        service_level(n, loads, wait=0.1, mean_service_time=1.0),
    ):
        assert values.shape == (8, 400)
        assert np.isfinite(values).all()
        assert ((values >= 0) & (values <= 1)).all()


def test_no_load_means_no_wait():
    n = np.array([0, 1, 5])
    assert erlang_c(n, 0.0).tolist() == [0.0, 0.0, 0.0]
    assert mean_wait(n, 0.0, mean_service_time=3.0).tolist() == [0.0, 0.0, 0.0]
    assert mean_queue_length(n, 0.0).tolist() == [0.0, 0.0, 0.0]
    assert service_level(n, 0.0, wait=0.0, mean_service_time=3.0).tolist() == [1.0] * 3
    assert erlang_b(n, 0.0).tolist() == [1.0, 0.0, 0.0]
    assert erlang_b(0, 5.0) == 1.0


def test_large_systems_are_finite():
    c = float(erlang_c(10_000, 9_900.0))
    assert 0 < c < 1
    # cross-check with the incomplete-gamma form (about 1e-11 at this size)
    b = float(_erlang_b_incomplete_gamma(10_000, 9_900.0))
    assert c == pytest.approx(10_000 * b / (10_000 - 9_900 * (1 - b)), rel=1e-9)
    w = float(mean_wait(10_000, 9_900.0, mean_service_time=1.0))
    assert w == pytest.approx(c / 100, rel=1e-14)
    # far beyond the load, C underflows to 0 cleanly (and the recursion stops early)
    assert float(erlang_c(10_000, 10.0)) == 0.0
    assert float(erlang_c(10**12, 10.0)) == 0.0


def test_repeated_loads_with_different_server_counts_in_one_call():
    # the recursion runs once per distinct load and hands out B at each N asked
    loads = np.array([5.0, 5.0, 5.0, 100.0, 100.0, 0.0, 5.0, 100.0])
    servers = np.array([3, 50, 0, 120, 101, 7, 50, 1])
    together = erlang_b(servers, loads)
    alone = [erlang_b(int(n), float(a)) for n, a in zip(servers, loads, strict=True)]
    assert together.tolist() == alone
    for n, a, b in zip(servers, loads, together, strict=True):
        assert b == pytest.approx(float(exact_erlang_b(int(n), Fraction(a))), rel=1e-14)


def test_vectorised_over_five_thousand_sites_matches_one_at_a_time():
    rng = np.random.default_rng(7)
    loads = rng.uniform(0, 3000, 5000)
    servers = np.floor(loads).astype(int) + rng.integers(-20, 60, 5000)
    servers = np.maximum(servers, 0)
    c = erlang_c(servers, loads)
    assert c.shape == (5000,)
    assert ((c >= 0) & (c <= 1)).all()
    for i in rng.choice(5000, 40, replace=False):
        assert c[i] == erlang_c(int(servers[i]), float(loads[i]))


def test_broadcasting_and_scalars():
    grid = erlang_c(np.arange(11, 14)[None, :], np.array([8.0, 9.0])[:, None])
    assert grid.shape == (2, 3)
    assert grid[1, 0] == erlang_c(11, 9.0)
    assert np.ndim(erlang_c(10, 8.0)) == 0
    assert isinstance(erlang_c(10, 8.0), np.floating)
    assert mean_wait([10, 11], 8.0, mean_service_time=[1.0, 2.0]).shape == (2,)
    assert erlang_c(10.0, 8) == erlang_c(10, 8.0)  # whole floats are fine


# ------------------------------------------------------------------ inverses


def test_servers_for_wait_probability_is_the_smallest():
    rng = np.random.default_rng(11)
    loads = np.concatenate([[0.5, 1.0, 8.0, 99.5, 100.0], rng.uniform(0, 2000, 300)])
    targets = rng.uniform(0.01, 0.9, loads.size)
    n = servers_for_wait_probability(loads, target_probability=targets)
    assert (n > loads).all()
    assert (erlang_c(n, loads) <= targets).all()
    fails = (n - 1 <= loads) | (erlang_c(n - 1, loads) > targets)
    assert fails.all()


def test_servers_for_mean_wait_is_the_smallest():
    rng = np.random.default_rng(12)
    loads = rng.uniform(0.1, 5000, 400)
    service = rng.uniform(0.5, 20, 400)
    target = rng.uniform(0.001, 2, 400)
    n = servers_for_mean_wait(loads, target_wait=target, mean_service_time=service)
    assert (mean_wait(n, loads, mean_service_time=service) <= target).all()
    assert (mean_wait(n - 1, loads, mean_service_time=service) > target).all()


def test_servers_for_service_level_is_the_smallest():
    rng = np.random.default_rng(13)
    loads = rng.uniform(0.1, 3000, 400)
    wait = rng.uniform(0, 1, 400)
    level = rng.uniform(0, 0.999, 400)
    n = servers_for_service_level(loads, wait=wait, level=level, mean_service_time=1.0)
    assert (n > loads).all()
    got = service_level(n, loads, wait=wait, mean_service_time=1.0)
    assert (got >= level).all()
    before = service_level(n - 1, loads, wait=wait, mean_service_time=1.0)
    assert ((n - 1 <= loads) | (before < level)).all()


def test_inverse_edges():
    # no load needs no server; a level of 0 needs only stability
    assert servers_for_mean_wait(0.0, target_wait=1.0, mean_service_time=1.0) == 0
    assert servers_for_wait_probability([0.0, 3.0], target_probability=1.0).tolist() == [0, 4]
    n = servers_for_service_level([0.0, 3.0, 3.5], wait=1.0, level=0.0, mean_service_time=1.0)
    assert n.tolist() == [0, 4, 4]
    assert np.ndim(servers_for_wait_probability(8.0, target_probability=0.5)) == 0
    big = servers_for_wait_probability(9_900.0, target_probability=0.05)
    assert erlang_c(big, 9_900.0) <= 0.05 < erlang_c(big - 1, 9_900.0)


# ------------------------------------------------------------------ input errors


def test_bad_inputs_are_all_named_at_once():
    with pytest.raises(QueueInputError) as info:
        erlang_c([1, 2.5, -1, 4], [1.0, np.nan, -3.0, 2.0])
    message = str(info.value)
    assert "3 problems" in message
    assert "servers[1] (2.5)" in message and "servers[2] (-1.0)" in message
    assert "offered_load[1] (nan)" in message and "offered_load[2] (-3.0)" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, AccessplanError)
    assert len(info.value.problems) == 3


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: erlang_b(3, np.inf), "offered_load"),
        (lambda: erlang_c(np.nan, 2.0), "servers"),
        (lambda: mean_wait(3, 2.0, mean_service_time=0.0), "mean_service_time"),
        (lambda: mean_wait(3, 2.0, mean_service_time=-1.0), "mean_service_time"),
        (lambda: service_level(3, 2.0, wait=-1.0, mean_service_time=1.0), "wait"),
        (lambda: erlang_c([1, 2], [1.0, 2.0, 3.0]), "broadcast"),
        (lambda: erlang_c("ten", 2.0), "servers"),
        (lambda: servers_for_mean_wait(3.0, target_wait=0.0, mean_service_time=1.0), "target_wait"),
        (lambda: servers_for_wait_probability(3.0, target_probability=0.0), "target_probability"),
        (lambda: servers_for_wait_probability(3.0, target_probability=1.5), "target_probability"),
        (
            lambda: servers_for_service_level(3.0, wait=1.0, level=1.0, mean_service_time=1.0),
            "level",
        ),
        (
            lambda: servers_for_mean_wait(-3.0, target_wait=1.0, mean_service_time=1.0),
            "offered_load",
        ),
    ],
)
def test_each_bad_input_raises_a_queue_input_error(call, word):
    with pytest.raises(QueueInputError, match=word):
        call()


# ------------------------------------------------------------------ large N (issue 9, item 7)


def decimal_erlang_b(servers: int, load: float) -> Decimal:
    """The recursion in 50-digit decimal arithmetic (its rounding is far below 1e-40)."""
    a = Decimal(load)
    b = Decimal(1)
    for n in range(1, servers + 1):
        b = a * b / (n + a * b)
    return b


LARGE = [
    (n, round(n * f, 3))
    for n in (64, 65, 100, 4096, 10_000, 10_001, 30_000)
    for f in (0.3, 0.97, 0.9999, 1.0, 1.0003, 1.02, 1.4, 3.0)
]


def test_large_n_agrees_with_the_exact_recursion():
    # one vectorised call over both regimes (N above and below the load), every
    # value nearer than 1e-12 relative to a 50-digit evaluation of the definition
    getcontext().prec = 50
    servers = np.array([n for n, _ in LARGE])
    loads = np.array([a for _, a in LARGE])
    b = erlang_b(servers, loads)
    c = erlang_c(servers, loads)
    checked = 0
    for i, (n, a) in enumerate(LARGE):
        exact = decimal_erlang_b(n, a)
        if exact < Decimal("1e-300"):
            assert b[i] < 1e-290
            continue
        assert abs(Decimal(float(b[i])) / exact - 1) < Decimal("1e-12"), (n, a)
        if n > a:
            exact_c = n * exact / (n - Decimal(a) * (1 - exact))
            assert abs(Decimal(float(c[i])) / exact_c - 1) < Decimal("1e-12"), (n, a)
        checked += 1
    assert checked > 40


def test_one_pair_costs_no_recursion_over_n(monkeypatch):
    # B(N, A) comes from the direct evaluation at the multiple of 64 just below N and
    # fewer than 64 recursion steps: at N = 10,000 the old code stepped 10,000 times
    import accessplan.capacity.erlang as erlang_module

    seen = []
    direct = erlang_module.erlang_b_direct

    def spy(n, a):
        seen.append(n.copy())
        return direct(n, a)

    monkeypatch.setattr(erlang_module, "erlang_b_direct", spy)
    value = float(erlang_c(10_000, 9_500.0))
    assert [s.tolist() for s in seen] == [[9_984]]
    getcontext().prec = 50
    exact = decimal_erlang_b(10_000, 9_500.0)
    exact_c = 10_000 * exact / (10_000 - Decimal(9_500) * (1 - exact))
    assert abs(Decimal(value) / exact_c - 1) < Decimal("1e-12")


def test_direct_and_recursive_values_meet_at_the_anchors():
    # stepping across an anchor (a multiple of 64) restarts from the direct value:
    # the grid N = 1..700 in one call equals each N asked alone, bit for bit
    servers = np.arange(1, 700)
    for load in (37.3, 250.0, 640.0, 1_000.0):
        grid = erlang_b(servers, load)
        alone = [float(erlang_b(int(n), load)) for n in servers[::37]]
        assert grid[::37].tolist() == alone
        positive = grid[grid > 1e-290]  # beyond, B underflows to 0
        assert (np.diff(positive) < 0).all()


def test_inverses_at_large_loads_are_exact():
    loads = np.array([1_234.5, 9_900.0, 60_000.25, 250_000.0])
    target = 0.01
    n = servers_for_mean_wait(loads, target_wait=target, mean_service_time=1.0)
    assert (mean_wait(n, loads, mean_service_time=1.0) <= target).all()
    assert (mean_wait(n - 1, loads, mean_service_time=1.0) > target).all()
    level = servers_for_service_level(loads, wait=0.05, level=0.95, mean_service_time=1.0)
    assert (service_level(level, loads, wait=0.05, mean_service_time=1.0) >= 0.95).all()
    assert (service_level(level - 1, loads, wait=0.05, mean_service_time=1.0) < 0.95).all()
    # a very demanding target, far past the first 64 candidates: gallop and bisect
    deep = servers_for_wait_probability(loads, target_probability=1e-200)
    assert (erlang_c(deep, loads) <= 1e-200).all()
    assert (erlang_c(deep - 1, loads) > 1e-200).all()


def test_absurd_loads_are_refused_with_the_limit():
    with pytest.raises(QueueInputError) as info:
        erlang_c(10, [5.0, 3e8])
    message = str(info.value)
    assert "offered_load[1] (300000000.0)" in message and "1e+08" in message
    with pytest.raises(QueueInputError, match="1e\\+08"):
        servers_for_mean_wait(1e9, target_wait=1.0, mean_service_time=1.0)


# ------------------------------------------------------------------ numerical edges (item 8)


def test_a_load_equal_to_the_servers_is_unstable_whatever_the_rounding():
    # 13 patients a day for 9 days, once through hours: 116.99999999999999 Erlangs
    load = (13 / 24) * (9 * 24)
    assert load < 117
    assert float(erlang_c(117, load)) == 1.0
    assert math.isinf(float(mean_wait(117, load, mean_service_time=9.0)))
    assert math.isinf(float(mean_queue_length(117, load)))
    assert float(service_level(117, load, wait=1.0, mean_service_time=9.0)) == 0.0
    # the inverses never return a server count that is only stable by rounding
    assert int(servers_for_wait_probability(load, target_probability=1.0)) == 118
    assert int(servers_for_wait_probability(117.0, target_probability=1.0)) == 118
    # a real margin, however small against the load, is still stable
    assert float(erlang_c(117, 116.99)) < 1.0


@pytest.mark.parametrize(
    ("servers", "load", "word"),
    [
        (True, 0.5, "servers"),
        ("5", 2.0, "servers"),
        ([3, True], 1.0, "servers"),
        (np.array([4, 5], dtype=object), ["1.5", 2.0], "offered_load"),
        (5, False, "offered_load"),
        (5, "2.0", "offered_load"),
    ],
)
def test_booleans_and_numeric_text_are_not_numbers(servers, load, word):
    with pytest.raises(QueueInputError, match=word) as info:
        erlang_c(servers, load)
    assert "must be numbers" in str(info.value)
