"""Erlang B and Erlang C: the M/M/N queue, vectorised over sites and server counts.

Patients (calls, jobs) arrive at a site as a Poisson stream of rate
``lambda`` and each holds one of ``N`` identical servers (ventilators, beds)
for an exponential time of mean ``s`` (``mean_service_time``). The
*offered load* is ``A = lambda * s``, in Erlangs. Arrivals that find every
server busy wait in one first-come-first-served queue (Erlang C, M/M/N) or,
for :func:`erlang_b`, are turned away (Erlang B, M/M/N/N).

Every function takes ``servers`` and ``offered_load`` first; they broadcast
like numpy arrays, so one call evaluates thousands of sites at once, or one
site at every ``N`` from 1 to 10,000::

    >>> import numpy as np
    >>> from accessplan.capacity.erlang import erlang_c, mean_wait
    >>> round(float(erlang_c(10, 8.0)), 12)
    0.409180150796
    >>> erlang_c(np.arange(9, 13), 8.0).round(4).tolist()
    [0.6533, 0.4092, 0.245, 0.1398]
    >>> round(float(mean_wait(10, 8.0, mean_service_time=2.0)), 12)  # unit of the service time
    0.409180150796

Formulas (``C`` the probability of waiting, ``B`` the Erlang B blocking
probability, time in the unit of ``mean_service_time``)::

    C       = N B / (N - A (1 - B))
    W_q     = C s / (N - A)                  mean wait in the queue
    P(W>t)  = C exp(-(N - A) t / s)          wait longer than t
    L_q     = C A / (N - A)                  mean number waiting

Numerics
--------
No factorials. ``B`` comes from the recursion::

    B(0) = 1,    B(n) = A B(n-1) / (n + A B(n-1)),

which stays in ``(0, 1]``, never overflows, and damps its own rounding errors
(each step multiplies the relative error of ``B(n-1)`` by
``n / (n + A B(n-1)) < 1``), but costs ``N`` steps. So it only runs the last
``N mod 64`` steps: at every multiple of 64 ``B`` is computed directly by
:func:`accessplan.capacity.erlang_direct.erlang_b_direct` (sums of about
``sqrt(A)`` positive terms, Loader's Poisson probability), and the recursion
steps up from there. One value at ``N = 10,000`` takes about 0.1 ms instead
of 40 ms; a whole grid ``N = 1 .. 2,000`` shares its 32 anchors. Every
``B(N, A)`` is computed the same way whatever else is in the call, so a
vectorised call equals the same values asked one at a time, bit for bit.
Measured against a 50-digit evaluation of the recursion, it is within about
1e-13 relative at every ``N <= 30,000`` tried.

Loads above :data:`MAX_OFFERED_LOAD` (1e8 Erlangs: a hundred million servers
busy at once) are refused, which bounds every call: the direct sums have at
most about ``13 sqrt(A)`` terms.

The closed form through the regularised upper incomplete gamma function,
``B = (A^N e^-A / N!) / Q(N + 1, A)`` (a Poisson probability over a Poisson
distribution function, evaluated in log space with ``gammaln`` and
``gammaincc``), was compared and rejected: the log of the
numerator is a difference of two numbers near ``N log N``, so it loses about
``N * 1e-16`` relative (1e-11 at ``N = 10,000``), and when ``A`` is well above
``N`` both numerator and denominator underflow to zero (0/0). It is kept as
:func:`_erlang_b_incomplete_gamma`, a cross-check the tests run against the
recursion where it is valid.

Conventions at the edges
------------------------
* ``N <= A`` with ``A > 0``: the queue is unstable. ``C = 1`` (every arrival
  waits), mean wait and mean queue length ``inf``, ``P(W > t) = 1``,
  service level 0. No probability is ever above 1. "``N <= A``" is decided
  with a relative tolerance, ``N - A <= 1e-9 N`` (:data:`STABILITY_RTOL`),
  so a load that should equal ``N`` but lost a bit to rounding
  (``13 / 24 * 216 = 116.99999999999999``) is unstable, not a finite wait
  of 1.5e16.
* ``A = 0`` (nothing arrives): ``C = 0``, waits and queue length 0, service
  level 1, for every ``N`` including ``N = 0``. ``B(0, A) = 1`` for every ``A``.
* ``N = 0`` with ``A > 0``: unstable, as above.

Input checks
------------
``servers`` must be whole numbers ``>= 0`` (``10`` or ``10.0``, not
``10.5``, and not ``True`` or ``"10"``: booleans and text are refused
everywhere, even when they would convert); loads, service times and waits must be non-negative numbers, not
NaN (loads and service times also finite, service times ``> 0``). Every bad
element is collected and reported at once, by name and index, as
:class:`accessplan.capacity.errors.QueueInputError`.

The inverse functions (:func:`servers_for_mean_wait`,
:func:`servers_for_wait_probability`, :func:`servers_for_service_level`)
return the smallest *stable* ``N`` (``N > A``; ``N = 0`` when ``A = 0``) that
meets the target. They start at the first stable ``N`` and step ``N`` up one
at a time (64 times at most), numpy across the sites still short of their
target, reusing the recursion; sites still short then double their step and
bisect back, so a target far beyond the load costs a few dozen evaluations,
not millions. Every measure is monotone in ``N`` on the stable range. They
use exactly the arithmetic of the forward functions, so ``N`` meets the
target and ``N - 1`` does not, to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import gammaincc, gammaln, xlogy

from accessplan.capacity.erlang_direct import erlang_b_direct
from accessplan.capacity.errors import QueueInputError, UnstableQueueError
from accessplan.data.errors import Problem

__all__ = [
    "MAX_OFFERED_LOAD",
    "STABILITY_RTOL",
    "erlang_b",
    "erlang_c",
    "mean_queue_length",
    "mean_wait",
    "servers_for_mean_wait",
    "servers_for_service_level",
    "servers_for_wait_probability",
    "service_level",
    "wait_exceeds_probability",
]


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------


class _Problems:
    """Collect input problems and raise them once as :class:`QueueInputError`."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.problems: list[Problem] = []

    def add(self, message: str, *, source: str | None = None) -> None:
        self.problems.append(Problem(message, source))

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        n = len(self.problems)
        lines = [f"{n} problem{'s' if n != 1 else ''} in the {self.what}:"]
        lines += [f"  - {p}" for p in self.problems]
        error = QueueInputError("\n".join(lines))
        error.problems = tuple(self.problems)
        raise error


def _where(name: str, bad: np.ndarray, values: np.ndarray) -> str:
    """Name the bad elements of an array: ``name[3] (-1.0), name[7] (nan)``."""
    if bad.ndim == 0:
        return f"{name} ({values[()].item()!r})"
    hits = np.argwhere(bad)
    shown = []
    for index in hits[:5]:
        key = ", ".join(str(int(i)) for i in index)
        shown.append(f"{name}[{key}] ({values[tuple(index)].item()!r})")
    more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
    return ", ".join(shown) + more


def _as_float(name: str, values, problems: _Problems) -> np.ndarray | None:
    """Float array of ``values``; booleans, text (even ``"5"``) and complex numbers are refused."""
    raw = np.asarray(values)
    if raw.dtype.kind == "O" or (isinstance(values, list | tuple) and raw.dtype.kind in "iuf"):
        try:  # a list such as [3, True] becomes int64 silently: look at its elements
            elements = np.asarray(values, dtype=object).ravel()
        except ValueError:
            elements = raw.ravel()
        odd = [v for v in elements if isinstance(v, bool | np.bool_ | str | bytes)]
        if odd:
            problems.add(f"{name} must be numbers, not {type(odd[0]).__name__} (got {odd[0]!r})")
            return None
    elif raw.dtype.kind not in "iuf":
        kind = {"b": "booleans", "U": "text", "S": "text", "c": "complex numbers"}.get(
            raw.dtype.kind, f"values of type {raw.dtype}"
        )
        problems.add(f"{name} must be numbers, not {kind} (got {values!r})")
        return None
    try:
        array = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        problems.add(f"{name} must be numbers, got {values!r}")
        return None
    return array


def _check_real(
    name: str,
    values,
    problems: _Problems,
    *,
    positive: bool = False,
    finite: bool = True,
    at_most: float | None = None,
    below: float | None = None,
) -> np.ndarray | None:
    """A float array of ``values``; record NaN, infinite and out-of-range elements."""
    array = _as_float(name, values, problems)
    if array is None:
        return None
    nan = np.isnan(array)
    if nan.any():
        problems.add(f"{_where(name, nan, array)}: not a number (NaN)")
    if finite:
        inf = np.isinf(array)
        if inf.any():
            problems.add(f"{_where(name, inf, array)}: must be finite")
    with np.errstate(invalid="ignore"):
        low = array <= 0 if positive else array < 0
    if low.any():
        problems.add(f"{_where(name, low, array)}: must be {'> 0' if positive else '>= 0'}")
    if at_most is not None:
        high = array > at_most
        if finite:
            high &= np.isfinite(array)
        if high.any():
            limit = f"{at_most:g}"
            if name == "offered_load":
                limit += " Erlangs, the largest load this module computes"
            problems.add(f"{_where(name, high, array)}: must be <= {limit}")
    if below is not None:
        high = array >= below
        if high.any():
            problems.add(f"{_where(name, high, array)}: must be < {below:g}")
    return array


def _check_whole(name: str, values, problems: _Problems) -> np.ndarray | None:
    """An int64 array of ``values``; record elements that are not whole numbers >= 0."""
    raw = np.asarray(values)
    if raw.dtype.kind in "iu" and not isinstance(values, list | tuple):
        array = raw.astype(np.int64)
        negative = array < 0
        if negative.any():
            problems.add(f"{_where(name, negative, array)}: must be >= 0")
            return None
        return array
    array = _as_float(name, values, problems)
    if array is None:
        return None
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(array) | (array < 0) | (array != np.floor(array)) | (array > 2.0**53)
    if bad.any():
        problems.add(f"{_where(name, bad, array)}: must be a whole number >= 0 (and <= 2**53)")
        return None
    return array.astype(np.int64)


def _broadcast(problems: _Problems, **arrays: np.ndarray) -> list[np.ndarray] | None:
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        problems.add(f"shapes do not broadcast together: {shapes}")
        return None


def _scalar_or_array(values: np.ndarray):
    """numpy's own convention: a 0-d result becomes a numpy scalar."""
    return values[()] if values.ndim == 0 else values


# --------------------------------------------------------------------------
# the recursion
# --------------------------------------------------------------------------


#: B is computed directly (see :func:`_erlang_b_direct`) at multiples of this many
#: servers and stepped up by the recursion from the multiple just below N (< 64 steps)
_ANCHOR = 64

#: a queue is unstable when its load is within this fraction of its server count
#: (``N - A <= STABILITY_RTOL * N``), so float rounding never turns ``A = N`` stable
STABILITY_RTOL = 1e-9

#: the largest offered load computed; every cost grows like its square root
MAX_OFFERED_LOAD = 1e8


def _stable(n, a):
    """True where the queue with ``n`` servers and load ``a`` is stable (with the tolerance)."""
    return (n - a) > STABILITY_RTOL * n


def _first_stable(a: np.ndarray) -> np.ndarray:
    """Smallest stable server count for each load (0 where the load is 0)."""
    n = np.floor(a).astype(np.int64) + 1
    while True:
        short = (a > 0) & ~_stable(n, a)
        if not short.any():
            return np.where(a > 0, n, 0)
        n = n + short


def _erlang_b_flat(servers: np.ndarray, loads: np.ndarray) -> np.ndarray:
    """Erlang B for 1-d ``servers`` (int64) and ``loads`` (float), same length.

    Each ``B(N, A)`` is computed the same way whatever else is in the call:
    directly at the anchor ``N0 = 64 floor(N / 64)`` (``B(0, A) = 1``), then
    ``N - N0 < 64`` steps of the recursion. Equal ``(N0, A)`` pairs share one
    chain (one direct evaluation, then the steps up to the deepest ``N`` asked
    of it), and the steps run numpy across the chains.
    """
    size = servers.size
    if size == 0:
        return np.ones(0)
    if size == 1:  # one pair: the same arithmetic in Python floats, without numpy's overhead
        n, a = int(servers[0]), float(loads[0])
        start = n - n % _ANCHOR
        b = 1.0 if start == 0 else float(erlang_b_direct(np.array([start]), loads[:1])[0])
        for k in range(start + 1, n + 1):
            ab = a * b
            b = ab / (k + ab)
        return np.array([b])
    anchor = servers - servers % _ANCHOR
    steps = servers - anchor
    # one chain per distinct (anchor, load): the direct value, then its steps
    by_pair = np.lexsort((anchor, loads))
    a_sorted, n_sorted = loads[by_pair], anchor[by_pair]
    new_chain = np.ones(size, dtype=bool)
    new_chain[1:] = (a_sorted[1:] != a_sorted[:-1]) | (n_sorted[1:] != n_sorted[:-1])
    chain = np.empty(size, dtype=np.int64)
    chain[by_pair] = np.cumsum(new_chain) - 1
    chain_n, chain_a = n_sorted[new_chain], a_sorted[new_chain]
    depth = np.zeros(chain_n.size, dtype=np.int64)
    np.maximum.at(depth, chain, steps)
    b = np.ones(chain_n.size)
    far = chain_n > 0
    if far.any():
        b[far] = erlang_b_direct(chain_n[far], chain_a[far])
    # chains deepest first, so those still stepping at step k are a prefix
    deep = np.argsort(-depth, kind="stable")
    rank = np.empty_like(deep)
    rank[deep] = np.arange(deep.size)
    b, chain_n, chain_a, depth = b[deep], chain_n[deep], chain_a[deep], depth[deep]
    chain = rank[chain]
    stepping = np.searchsorted(-depth, -np.arange(_ANCHOR + 1), side="right")
    by_steps = np.argsort(steps, kind="stable")
    handed = np.searchsorted(steps[by_steps], np.arange(_ANCHOR + 1), side="left")
    out = np.empty(size)
    ab = np.empty_like(b)
    for k in range(int(depth[0]) + 1):
        if k:
            m = stepping[k]
            np.multiply(chain_a[:m], b[:m], out=ab[:m])
            np.divide(ab[:m], (chain_n[:m] + k) + ab[:m], out=b[:m])
        here = by_steps[handed[k] : handed[k + 1]]  # the pairs N0 + k of these chains
        out[here] = b[chain[here]]
    return out


def _erlang_b_step(n_next: np.ndarray, loads: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``B(n_next)`` from ``B(n_next - 1)``, exactly as :func:`_erlang_b_flat` computes it.

    One step of the recursion, except at the anchors (multiples of 64), where
    :func:`_erlang_b_flat` restarts from the direct value: so a search that
    steps ``N`` up meets the very numbers the forward functions return.
    """
    ab = loads * b
    out = ab / (n_next + ab)
    restart = (n_next % _ANCHOR == 0) & (n_next > 0)
    if restart.any():
        out[restart] = erlang_b_direct(n_next[restart], loads[restart])
    return out


def _erlang_b_incomplete_gamma(servers, offered_load) -> np.ndarray:
    """Erlang B by the incomplete-gamma closed form (a cross-check, not the default).

    ``B(N, A) = P(X = N) / P(X <= N)`` for ``X ~ Poisson(A)``, with
    ``P(X = N) = exp(N log A - A - log N!)`` and
    ``P(X <= N) = Q(N + 1, A)`` (:func:`scipy.special.gammaincc`).
    About ``N * 1e-16`` relative error, and NaN (0/0) where ``A`` is so far
    above ``N`` that ``Q(N + 1, A)`` underflows. No input checks.
    """
    n = np.asarray(servers, dtype=float)
    a = np.asarray(offered_load, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_pmf = xlogy(n, a) - a - gammaln(n + 1.0)
        return np.exp(log_pmf) / gammaincc(n + 1.0, a)


def _erlang_c_from_b(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``C`` from ``B`` with the edge conventions (unstable -> 1, no load -> 0)."""
    stable = _stable(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / ((n - a) + a * b)
    c = np.where(stable, np.minimum(c, 1.0), 1.0)
    return np.where(a == 0, 0.0, c)


def _mean_wait_from_c(n, a, c, service):
    with np.errstate(divide="ignore", invalid="ignore"):
        w = c * service / (n - a)
    w = np.where(_stable(n, a), w, np.inf)
    return np.where(a == 0, 0.0, w)


def _exceeds_from_c(n, a, c, wait, service):
    with np.errstate(invalid="ignore", over="ignore"):
        p = c * np.exp(-(n - a) * (wait / service))
    p = np.where(_stable(n, a), p, 1.0)
    return np.where(a == 0, 0.0, p)


def _queue_length_from_c(n, a, c):
    with np.errstate(divide="ignore", invalid="ignore"):
        lq = c * a / (n - a)
    lq = np.where(_stable(n, a), lq, np.inf)
    return np.where(a == 0, 0.0, lq)


# --------------------------------------------------------------------------
# forward measures
# --------------------------------------------------------------------------


def _inputs(what: str, servers, offered_load, **others) -> list[np.ndarray]:
    """Check and broadcast ``servers``, ``offered_load`` and other named inputs."""
    problems = _Problems(what)
    n = _check_whole("servers", servers, problems)
    a = _check_real("offered_load", offered_load, problems, at_most=MAX_OFFERED_LOAD)
    checked = {}
    for name, (values, positive, finite) in others.items():
        checked[name] = _check_real(name, values, problems, positive=positive, finite=finite)
    problems.raise_if_any()
    arrays = _broadcast(problems, servers=n, offered_load=a, **checked)
    problems.raise_if_any()
    return arrays


def _erlang_b_nd(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    return _erlang_b_flat(n.ravel(), a.ravel()).reshape(n.shape)


def erlang_b(servers, offered_load):
    """Erlang B: the probability that an arrival finds all ``servers`` busy (M/M/N/N).

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``N``, whole numbers ``>= 0``.
    offered_load : float or array_like
        Offered load ``A`` in Erlangs (arrival rate x mean service time), ``>= 0``.
        Broadcasts against ``servers``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``B(N, A)`` in ``[0, 1]``, shaped like the broadcast inputs.
        ``B(0, A) = 1``; ``B(N, 0) = 0`` for ``N >= 1``.

    Raises
    ------
    QueueInputError
        Negative, NaN or infinite loads, or server counts that are not whole
        numbers ``>= 0`` (every bad element is named).

    Notes
    -----
    Computed by the recursion ``B(n) = A B(n-1) / (n + A B(n-1))`` (see the
    module docstring for why not the incomplete-gamma form).

    Examples
    --------
    >>> float(erlang_b(2, 1.0))
    0.2
    """
    n, a = _inputs("Erlang B inputs", servers, offered_load)
    return _scalar_or_array(_erlang_b_nd(n, a))


def erlang_c(servers, offered_load):
    """Erlang C: the probability that an arrival has to wait (M/M/N).

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``N``, whole numbers ``>= 0``.
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``. Broadcasts against ``servers``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``C(N, A) = N B / (N - A (1 - B))`` in ``[0, 1]``; 1 where the queue is
        unstable (``N <= A``, ``A > 0``); 0 where ``A = 0``.

    Raises
    ------
    QueueInputError
        See :func:`erlang_b`.

    Examples
    --------
    >>> round(float(erlang_c(2, 1.0)), 15)
    0.333333333333333
    """
    n, a = _inputs("Erlang C inputs", servers, offered_load)
    b = _erlang_b_nd(n, a)
    return _scalar_or_array(_erlang_c_from_b(n, a, b))


def mean_wait(servers, offered_load, *, mean_service_time):
    """Mean time an arrival spends waiting in the queue, ``W_q = C s / (N - A)``.

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``N``, whole numbers ``>= 0``.
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    mean_service_time : float or array_like
        Mean service (holding) time ``s > 0``; the result is in its unit.
        Broadcasts with the other inputs.

    Returns
    -------
    numpy.ndarray or numpy.float64
        Mean wait over all arrivals (those served at once count as 0), in the
        unit of ``mean_service_time``; ``inf`` where unstable, 0 where ``A = 0``.

    Examples
    --------
    >>> round(float(mean_wait(2, 1.0, mean_service_time=6.0)), 12)
    2.0
    """
    n, a, s = _inputs(
        "mean-wait inputs",
        servers,
        offered_load,
        mean_service_time=(mean_service_time, True, True),
    )
    c = _erlang_c_from_b(n, a, _erlang_b_nd(n, a))
    return _scalar_or_array(_mean_wait_from_c(n, a, c, s))


def wait_exceeds_probability(servers, offered_load, *, wait, mean_service_time):
    """Probability that an arrival waits longer than ``wait``: ``C exp(-(N - A) t / s)``.

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``N``, whole numbers ``>= 0``.
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    wait : float or array_like
        The wait ``t >= 0``, in the unit of ``mean_service_time`` (``inf`` allowed).
    mean_service_time : float or array_like
        Mean service time ``s > 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``P(W > t)`` in ``[0, 1]``; 1 where unstable, 0 where ``A = 0``.
        At ``t = 0`` it is ``C``.

    Examples
    --------
    >>> round(float(wait_exceeds_probability(2, 1.0, wait=0.0, mean_service_time=1.0)), 12)
    0.333333333333
    """
    n, a, t, s = _inputs(
        "wait-probability inputs",
        servers,
        offered_load,
        wait=(wait, False, False),
        mean_service_time=(mean_service_time, True, True),
    )
    c = _erlang_c_from_b(n, a, _erlang_b_nd(n, a))
    return _scalar_or_array(_exceeds_from_c(n, a, c, t, s))


def service_level(servers, offered_load, *, wait, mean_service_time):
    """Service level: the probability that an arrival waits at most ``wait``.

    ``P(W <= t) = 1 - C exp(-(N - A) t / s)``; 0 where the queue is unstable,
    1 where ``A = 0``. Parameters as :func:`wait_exceeds_probability`.

    Returns
    -------
    numpy.ndarray or numpy.float64
        ``P(W <= t)`` in ``[0, 1]``.

    Examples
    --------
    >>> round(float(service_level(2, 1.0, wait=0.0, mean_service_time=1.0)), 12)
    0.666666666667
    """
    n, a, t, s = _inputs(
        "service-level inputs",
        servers,
        offered_load,
        wait=(wait, False, False),
        mean_service_time=(mean_service_time, True, True),
    )
    c = _erlang_c_from_b(n, a, _erlang_b_nd(n, a))
    return _scalar_or_array(1.0 - _exceeds_from_c(n, a, c, t, s))


def mean_queue_length(servers, offered_load):
    """Mean number waiting in the queue, ``L_q = C A / (N - A)``.

    By Little's law ``L_q = lambda W_q``, so the sum of ``L_q`` over sites is the
    arrival-weighted total wait. ``inf`` where unstable, 0 where ``A = 0``.

    Parameters
    ----------
    servers : int or array_like of int
        Number of servers ``N``, whole numbers ``>= 0``.
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64

    Examples
    --------
    >>> round(float(mean_queue_length(2, 1.0)), 12)
    0.333333333333
    """
    n, a = _inputs("queue-length inputs", servers, offered_load)
    c = _erlang_c_from_b(n, a, _erlang_b_nd(n, a))
    return _scalar_or_array(_queue_length_from_c(n, a, c))


# --------------------------------------------------------------------------
# inverse: the smallest N meeting a target
# --------------------------------------------------------------------------

#: the search steps N up one at a time this many times, then gallops and bisects
_LINEAR_STEPS = 64


def _smallest_servers(
    a: np.ndarray,
    meets: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Smallest stable N per element of ``a`` with ``meets(n, a, c, index)`` true.

    ``meets`` gets the candidate ``n``, the loads, ``C(n, a)`` and the flat
    positions of the elements being tested; it must be monotone in ``n``.
    Up to 64 server counts from the first stable one are tried one by one
    (stepping the recursion); elements still short then double their step
    until the target is met and bisect back. Every ``C`` is computed as the
    forward functions compute it, and the answer ``N`` is always one where
    ``meets`` held while it failed at ``N - 1`` (or ``N - 1`` is unstable).
    """
    flat = a.ravel()
    result = np.zeros(flat.size, dtype=np.int64)
    todo = np.flatnonzero(flat > 0)  # A = 0 needs no server
    if todo.size == 0:
        return result.reshape(a.shape)
    loads = flat[todo]
    n = _first_stable(loads)
    b = _erlang_b_flat(n, loads)
    for _ in range(_LINEAR_STEPS):
        ok = meets(n, loads, _erlang_c_from_b(n, loads, b), todo)
        result[todo[ok]] = n[ok]
        if ok.all():
            return result.reshape(a.shape)
        keep = ~ok
        todo, loads, n, b = todo[keep], loads[keep], n[keep] + 1, b[keep]
        b = _erlang_b_step(n, loads, b)

    def test(candidates: np.ndarray, where: np.ndarray) -> np.ndarray:
        b_at = _erlang_b_flat(candidates, loads[where])
        c_at = _erlang_c_from_b(candidates, loads[where], b_at)
        return meets(candidates, loads[where], c_at, todo[where])

    fails = n - 1  # the last count tried: the target is not met there
    step = np.full(n.size, _LINEAR_STEPS, dtype=np.int64)
    meets_at = np.zeros(n.size, dtype=np.int64)
    open_ = np.arange(n.size)
    while open_.size:  # gallop: fails + step, doubling, until the target is met
        candidates = fails[open_] + step[open_]
        ok = test(candidates, open_)
        meets_at[open_[ok]] = candidates[ok]
        fails[open_[~ok]] = candidates[~ok]
        step[open_[~ok]] *= 2
        open_ = open_[~ok]
        if open_.size and (fails[open_] > 2**62).any():  # pragma: no cover - a guard
            raise UnstableQueueError("no server count below 2**62 meets the target")
    while True:  # bisect between fails and meets_at
        open_ = np.flatnonzero(meets_at - fails > 1)
        if open_.size == 0:
            break
        middle = fails[open_] + (meets_at[open_] - fails[open_]) // 2
        ok = test(middle, open_)
        meets_at[open_[ok]] = middle[ok]
        fails[open_[~ok]] = middle[~ok]
    result[todo] = meets_at
    return result.reshape(a.shape)


def _inverse_inputs(what: str, offered_load, **targets) -> list[np.ndarray]:
    problems = _Problems(what)
    a = _check_real("offered_load", offered_load, problems, at_most=MAX_OFFERED_LOAD)
    checked = {}
    for name, (values, options) in targets.items():
        checked[name] = _check_real(name, values, problems, **options)
    problems.raise_if_any()
    arrays = _broadcast(problems, offered_load=a, **checked)
    problems.raise_if_any()
    return [np.array(x) for x in arrays]


def servers_for_mean_wait(offered_load, *, target_wait, mean_service_time):
    """Smallest number of servers whose mean wait is at most ``target_wait``.

    Parameters
    ----------
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    target_wait : float or array_like
        Largest acceptable mean wait, ``> 0``, in the unit of ``mean_service_time``
        (a mean wait of exactly 0 is out of reach of any finite ``N`` when ``A > 0``).
    mean_service_time : float or array_like
        Mean service time ``s > 0``. All three broadcast together.

    Returns
    -------
    numpy.ndarray of int64 or numpy.int64
        The smallest ``N > A`` with ``mean_wait(N, A) <= target_wait``
        (``N - 1`` is unstable or misses the target); 0 where ``A = 0``.

    Examples
    --------
    >>> int(servers_for_mean_wait(8.0, target_wait=0.5, mean_service_time=2.0))
    10
    """
    a, target, s = _inverse_inputs(
        "mean-wait target",
        offered_load,
        target_wait=(target_wait, {"positive": True}),
        mean_service_time=(mean_service_time, {"positive": True}),
    )
    target, s = target.ravel(), s.ravel()

    def meets(n, loads, c, index):
        return _mean_wait_from_c(n, loads, c, s[index]) <= target[index]

    return _scalar_or_array(_smallest_servers(a, meets))


def servers_for_wait_probability(offered_load, *, target_probability):
    """Smallest number of servers whose probability of waiting is at most the target.

    Parameters
    ----------
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    target_probability : float or array_like
        Largest acceptable ``C(N, A)``, in ``(0, 1]``. Broadcasts with the load.

    Returns
    -------
    numpy.ndarray of int64 or numpy.int64
        The smallest stable ``N`` (``N > A``) with ``C(N, A) <= target_probability``;
        0 where ``A = 0``. (An unstable ``N`` has ``C = 1`` but is never returned.)

    Examples
    --------
    >>> int(servers_for_wait_probability(8.0, target_probability=0.5))
    10
    """
    a, target = _inverse_inputs(
        "waiting-probability target",
        offered_load,
        target_probability=(target_probability, {"positive": True, "at_most": 1.0}),
    )
    target = target.ravel()

    def meets(n, loads, c, index):
        return c <= target[index]

    return _scalar_or_array(_smallest_servers(a, meets))


def servers_for_service_level(offered_load, *, wait, level, mean_service_time):
    """Smallest number of servers with ``P(W <= wait) >= level``.

    Parameters
    ----------
    offered_load : float or array_like
        Offered load ``A`` in Erlangs, ``>= 0``.
    wait : float or array_like
        The wait ``t >= 0``, in the unit of ``mean_service_time``.
    level : float or array_like
        Required service level, in ``[0, 1)`` (a level of 1 is out of reach when ``A > 0``).
    mean_service_time : float or array_like
        Mean service time ``s > 0``. All four broadcast together.

    Returns
    -------
    numpy.ndarray of int64 or numpy.int64
        The smallest stable ``N`` with ``service_level(N, A) >= level``; 0 where ``A = 0``.

    Examples
    --------
    >>> int(servers_for_service_level(8.0, wait=0.5, level=0.8, mean_service_time=2.0))
    11
    """
    a, t, target, s = _inverse_inputs(
        "service-level target",
        offered_load,
        wait=(wait, {"finite": False}),
        level=(level, {"below": 1.0}),
        mean_service_time=(mean_service_time, {"positive": True}),
    )
    t, target, s = t.ravel(), target.ravel(), s.ravel()

    def meets(n, loads, c, index):
        achieved = 1.0 - _exceeds_from_c(n, loads, c, t[index], s[index])
        return achieved >= target[index]

    return _scalar_or_array(_smallest_servers(a, meets))
