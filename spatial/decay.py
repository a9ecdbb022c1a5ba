"""Distance-decay functions for floating-catchment access scores.

A decay turns travel times (minutes) into weights in ``[0, 1]``: how much a
site at that travel time counts for an area (and the area for the site).
Every decay here is a small frozen dataclass, callable on a numpy array of
minutes::

    >>> import numpy as np
    >>> from accessplan.spatial.decay import step_decay
    >>> decay = step_decay({10: 1.0, 20: 0.68, 30: 0.22})
    >>> decay(np.array([0.0, 10.0, 10.5, 30.0, 31.0])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    >>> decay.max_minutes
    30.0

Decays that vanish beyond a catchment expose it as ``max_minutes``; a decay
without one (a gravity decay built without ``catchment_minutes``) has
``max_minutes = None`` and relies on the catchment of the access method.

Scenario files describe a decay as a table (TOML keys are strings), turned
into an object by :func:`make_decay`::

    [access]
    decay = { type = "step", steps = { "10" = 1.0, "20" = 0.68, "30" = 0.22 } }

Conventions shared by all decays: a travel time exactly on a boundary
belongs to the nearer zone (``minutes <= bound``); negative minutes are
treated as 0; weights never exceed 1 and are 0 beyond ``max_minutes``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from itertools import pairwise
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from accessplan.spatial.errors import UnknownDecayError

__all__ = [
    "DECAY_TYPES",
    "KERNELS",
    "Decay",
    "ExponentialDecay",
    "GaussianDecay",
    "GravityDecay",
    "KernelDecay",
    "LinearDecay",
    "StepDecay",
    "UniformDecay",
    "exponential_decay",
    "gaussian_decay",
    "gravity_decay",
    "kernel_decay",
    "linear_decay",
    "make_decay",
    "step_decay",
    "uniform_decay",
]

#: Kernels known to :func:`kernel_decay`, each scaled so that K(0) = 1.
KERNELS = ("epanechnikov", "quartic", "triangular", "tricube")

_EXP_HALF = math.exp(-0.5)


def _minutes_array(minutes) -> np.ndarray:
    """Return ``minutes`` as a float array with negative values raised to 0."""
    return np.maximum(np.asarray(minutes, dtype=float), 0.0)


def _is_real(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_positive(name: str, value, problems: list[str], *, allow_zero: bool = False) -> None:
    if not _is_real(value) or not math.isfinite(value):
        problems.append(f"{name} must be a finite number, got {value!r}")
    elif value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        problems.append(f"{name} must be {bound}, got {value!r}")


def _raise_problems(kind: str, problems: list[str]) -> None:
    if problems:
        detail = "; ".join(problems)
        raise UnknownDecayError(f"bad parameters for the {kind} decay: {detail}")


@dataclass(frozen=True)
class Decay:
    """Base class of the distance-decay functions.

    Subclasses implement ``__call__(minutes) -> weights`` and set
    ``type_name`` (the ``type`` used in scenario files).
    """

    type_name: ClassVar[str] = ""

    @property
    def max_minutes(self) -> float | None:
        """Travel time beyond which the weight is 0 (the catchment), or None."""
        return getattr(self, "catchment_minutes", None)

    def __call__(self, minutes) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        """The scenario-file form of this decay; ``make_decay(d.to_spec()) == d``."""
        spec: dict[str, Any] = {"type": self.type_name}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                spec[f.name] = value
        return spec


@dataclass(frozen=True)
class UniformDecay(Decay):
    """Weight 1 up to the catchment, 0 beyond (the plain 2SFCA of Luo & Wang 2003)."""

    catchment_minutes: float
    type_name: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("catchment_minutes", self.catchment_minutes, problems)
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        d = _minutes_array(minutes)
        return np.where(d <= self.catchment_minutes, 1.0, 0.0)


@dataclass(frozen=True)
class StepDecay(Decay):
    """Piecewise-constant weights by travel-time zone (E2SFCA, Luo & Qi 2009).

    ``steps`` is a tuple of ``(upper_bound_minutes, weight)`` pairs sorted by
    bound; a travel time ``d`` takes the weight of the first zone with
    ``d <= upper_bound`` and 0 beyond the last bound.
    """

    steps: tuple[tuple[float, float], ...]
    type_name: ClassVar[str] = "step"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.steps, tuple) or not self.steps:
            problems.append("steps must name at least one (upper bound, weight) pair")
        else:
            for bound, weight in self.steps:
                _check_positive(f"step bound {bound!r}", bound, problems)
                if not _is_real(weight) or not 0.0 <= weight <= 1.0:
                    problems.append(f"weight for step {bound!r} must be in [0, 1], got {weight!r}")
            bounds = [b for b, _ in self.steps]
            if not problems and any(b1 >= b2 for b1, b2 in pairwise(bounds)):
                problems.append(f"step bounds must be strictly increasing, got {bounds}")
        _raise_problems(self.type_name, problems)

    @property
    def max_minutes(self) -> float:
        """The largest step bound: weights are 0 beyond it."""
        return self.steps[-1][0]

    def __call__(self, minutes) -> np.ndarray:
        d = np.asarray(minutes, dtype=float)  # negative minutes fall in the first zone
        weights = np.array([w for _, w in self.steps] + [0.0], dtype=float)
        if len(self.steps) > 32:
            bounds = np.array([b for b, _ in self.steps], dtype=float)
            # side="left": the first bound with d <= bound.
            return weights[np.searchsorted(bounds, d, side="left")]
        # zone = number of bounds below d: a few cheap passes beat a binary search
        zone = np.zeros(d.shape, dtype=np.uint8)
        for bound, _ in self.steps:
            zone += d > bound
        return weights[zone]

    def to_spec(self) -> dict[str, Any]:
        return {"type": self.type_name, "steps": {b: w for b, w in self.steps}}


@dataclass(frozen=True)
class GaussianDecay(Decay):
    """Gaussian decay, see :func:`gaussian_decay` for the formulas."""

    catchment_minutes: float
    sigma_minutes: float | None = None
    truncate_below: float | None = None
    type_name: ClassVar[str] = "gaussian"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("catchment_minutes", self.catchment_minutes, problems)
        if self.sigma_minutes is not None:
            _check_positive("sigma_minutes", self.sigma_minutes, problems)
        if self.truncate_below is not None:
            _check_positive("truncate_below", self.truncate_below, problems, allow_zero=True)
            if (
                not problems
                and _is_real(self.catchment_minutes)
                and self.truncate_below >= self.catchment_minutes
            ):
                problems.append(
                    f"truncate_below ({self.truncate_below}) must be smaller than "
                    f"catchment_minutes ({self.catchment_minutes})"
                )
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        d = np.asarray(minutes, dtype=float)
        t = 0.0 if self.truncate_below is None else float(self.truncate_below)
        scale = self.catchment_minutes - t if self.sigma_minutes is None else self.sigma_minutes
        # computed in place on one array: OD tables have millions of rows
        w = np.subtract(d, t)
        np.maximum(w, 0.0, out=w)  # s = max(d - t, 0)
        w /= scale
        np.square(w, out=w)
        w *= -0.5
        np.exp(w, out=w)
        if self.sigma_minutes is None:
            w -= _EXP_HALF
            w /= 1.0 - _EXP_HALF
        np.clip(w, 0.0, 1.0, out=w)
        w[d > self.catchment_minutes] = 0.0
        return w


@dataclass(frozen=True)
class GravityDecay(Decay):
    """Power (gravity) decay, see :func:`gravity_decay`."""

    beta: float
    min_minutes: float = 1.0
    catchment_minutes: float | None = None
    type_name: ClassVar[str] = "gravity"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("beta", self.beta, problems, allow_zero=True)
        _check_positive("min_minutes", self.min_minutes, problems)
        if self.catchment_minutes is not None:
            _check_positive("catchment_minutes", self.catchment_minutes, problems)
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        d = _minutes_array(minutes)
        w = np.power(np.maximum(d, self.min_minutes) / self.min_minutes, -float(self.beta))
        if self.catchment_minutes is not None:
            w = np.where(d <= self.catchment_minutes, w, 0.0)
        return w


@dataclass(frozen=True)
class ExponentialDecay(Decay):
    """Negative exponential decay, see :func:`exponential_decay`."""

    beta: float
    catchment_minutes: float | None = None
    type_name: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("beta", self.beta, problems, allow_zero=True)
        if self.catchment_minutes is not None:
            _check_positive("catchment_minutes", self.catchment_minutes, problems)
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        d = _minutes_array(minutes)
        w = np.exp(-float(self.beta) * d)
        if self.catchment_minutes is not None:
            w = np.where(d <= self.catchment_minutes, w, 0.0)
        return w


@dataclass(frozen=True)
class LinearDecay(Decay):
    """Weight ``1 - d / d0`` up to the catchment ``d0``, 0 beyond."""

    catchment_minutes: float
    type_name: ClassVar[str] = "linear"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("catchment_minutes", self.catchment_minutes, problems)
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        u = _minutes_array(minutes) / self.catchment_minutes
        return np.where(u <= 1.0, np.clip(1.0 - u, 0.0, 1.0), 0.0)


@dataclass(frozen=True)
class KernelDecay(Decay):
    """Kernel-density decay (KD2SFCA), see :func:`kernel_decay`."""

    catchment_minutes: float
    kernel: str = "epanechnikov"
    type_name: ClassVar[str] = "kernel"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _check_positive("catchment_minutes", self.catchment_minutes, problems)
        if self.kernel not in KERNELS:
            problems.append(f"unknown kernel {self.kernel!r}; accepted: {', '.join(KERNELS)}")
        _raise_problems(self.type_name, problems)

    def __call__(self, minutes) -> np.ndarray:
        u = np.minimum(_minutes_array(minutes) / self.catchment_minutes, 1.0)
        if self.kernel == "epanechnikov":
            w = 1.0 - u * u
        elif self.kernel == "quartic":
            w = (1.0 - u * u) ** 2
        elif self.kernel == "triangular":
            w = 1.0 - u
        else:  # tricube
            w = (1.0 - u**3) ** 3
        d = _minutes_array(minutes)
        return np.where(d <= self.catchment_minutes, np.clip(w, 0.0, 1.0), 0.0)


def uniform_decay(*, catchment_minutes: float) -> UniformDecay:
    """Weight 1 within the catchment and 0 beyond it: the plain 2SFCA.

    Parameters
    ----------
    catchment_minutes : float
        Catchment size; a travel time ``d`` counts fully when ``d <= catchment_minutes``.

    Returns
    -------
    UniformDecay
    """
    return UniformDecay(catchment_minutes)


def step_decay(steps: Mapping[float, float]) -> StepDecay:
    """Step weights by travel-time zone (enhanced 2SFCA, Luo & Qi 2009).

    Parameters
    ----------
    steps : mapping of float to float
        Upper bound of each zone in minutes -> weight in ``[0, 1]``, e.g.
        ``{10: 1.0, 20: 0.68, 30: 0.22}`` (Luo & Qi's weights). Keys may be
        strings holding numbers, as TOML tables have them (``{"10": 1.0}``).
        A travel time ``d`` gets the weight of the first zone with
        ``d <= bound``; beyond the largest bound the weight is 0, so the
        largest bound is the catchment (``max_minutes``).

    Returns
    -------
    StepDecay

    Raises
    ------
    UnknownDecayError
        If a bound is not a positive number, a weight lies outside ``[0, 1]``
        or ``steps`` is empty.
    """
    if not isinstance(steps, Mapping) or not steps:
        raise UnknownDecayError(
            "bad parameters for the step decay: steps must be a non-empty table of "
            f"upper bound minutes -> weight, got {steps!r}"
        )
    pairs = []
    problems = []
    for key, weight in steps.items():
        try:
            bound = float(key)
        except (TypeError, ValueError):
            problems.append(f"step bound {key!r} is not a number")
            continue
        pairs.append((bound, float(weight) if _is_real(weight) else weight))
    _raise_problems("step", problems)
    return StepDecay(tuple(sorted(pairs, key=lambda p: p[0])))


def gaussian_decay(
    *,
    catchment_minutes: float,
    sigma_minutes: float | None = None,
    truncate_below: float | None = None,
) -> GaussianDecay:
    """Gaussian decay within a catchment (Gaussian 2SFCA).

    With ``d0 = catchment_minutes``, ``t = truncate_below`` (0 when None) and
    ``s = max(d - t, 0)``, the weight at travel time ``d <= d0`` is

    * when ``sigma_minutes`` is None, the form of Dai (2010), which falls
      smoothly to exactly 0 at the catchment::

          w(d) = (exp(-1/2 * (s / (d0 - t))**2) - exp(-1/2)) / (1 - exp(-1/2))

    * when ``sigma_minutes`` is given, the plain (unnormalised) Gaussian::

          w(d) = exp(-1/2 * (s / sigma_minutes)**2)

      which is ``access.weights.gaussian(sigma)`` of PySAL access when
      ``t = 0``; the catchment cuts it (weight 0 beyond ``d0``).

    and 0 for ``d > d0``. ``truncate_below`` gives the *truncated* Gaussian:
    travel times up to ``t`` minutes are not discounted at all (weight 1), and
    the Gaussian decline starts at ``t`` (so the weight is continuous at ``t``).

    Parameters
    ----------
    catchment_minutes : float
        The catchment ``d0``; weights are 0 beyond it.
    sigma_minutes : float, optional
        Width of a plain Gaussian; None (default) uses Dai's form above.
    truncate_below : float, optional
        Travel time ``t < d0`` below which the weight is 1.

    Returns
    -------
    GaussianDecay

    Raises
    ------
    UnknownDecayError
        If a parameter is not a positive finite number or ``t >= d0``.
    """
    return GaussianDecay(catchment_minutes, sigma_minutes, truncate_below)


def gravity_decay(
    *, beta: float, min_minutes: float = 1.0, catchment_minutes: float | None = None
) -> GravityDecay:
    """Power (gravity) decay ``d ** -beta``, capped at 1.

    The weight is ``(max(d, m) / m) ** -beta`` with ``m = min_minutes``: the
    power law ``d ** -beta`` rescaled by ``m ** beta`` so that it is 1 at
    ``d = m``. Travel times below ``m`` -- including ``d = 0``, where
    ``d ** -beta`` is infinite -- are raised to ``m`` and get weight 1. The
    constant factor ``m ** beta`` cancels in 2SFCA and 3SFCA scores (it
    multiplies every weight alike); with the default ``m = 1`` minute the
    weights are exactly ``d ** -beta`` for ``d >= 1``.

    Parameters
    ----------
    beta : float
        Decay exponent, ``>= 0`` (0 gives uniform weights).
    min_minutes : float, default 1.0
        Travel time below which there is no further gain.
    catchment_minutes : float, optional
        When given, weights are 0 beyond it (``max_minutes``); otherwise the
        catchment of the access method applies.

    Returns
    -------
    GravityDecay
    """
    return GravityDecay(beta, min_minutes, catchment_minutes)


def exponential_decay(*, beta: float, catchment_minutes: float | None = None) -> ExponentialDecay:
    """Negative exponential decay ``exp(-beta * d)`` (weight 1 at ``d = 0``).

    The form of ipea's ``accessibility`` ``decay_exponential`` and of Soukhov
    et al.'s spatial-availability examples.

    Parameters
    ----------
    beta : float
        Decay rate per minute, ``>= 0`` (0 gives uniform weights).
    catchment_minutes : float, optional
        When given, weights are 0 beyond it (``max_minutes``).

    Returns
    -------
    ExponentialDecay

    Examples
    --------
    >>> exponential_decay(beta=0.1)([0.0, 10.0]).round(6).tolist()
    [1.0, 0.367879]
    """
    return ExponentialDecay(beta, catchment_minutes)


def linear_decay(*, catchment_minutes: float) -> LinearDecay:
    """Linear decay ``1 - d / d0`` from 1 at ``d = 0`` to 0 at the catchment ``d0``.

    Parameters
    ----------
    catchment_minutes : float
        The catchment ``d0``.

    Returns
    -------
    LinearDecay
    """
    return LinearDecay(catchment_minutes)


def kernel_decay(*, catchment_minutes: float, kernel: str = "epanechnikov") -> KernelDecay:
    """Kernel-density decay (KD2SFCA), scaled to 1 at ``d = 0`` and 0 at the catchment.

    With ``u = d / d0`` (``d0 = catchment_minutes``) and ``d <= d0``:

    * ``"epanechnikov"``: ``1 - u**2``
    * ``"quartic"`` (biweight): ``(1 - u**2)**2``
    * ``"triangular"``: ``1 - u`` (same as :func:`linear_decay`)
    * ``"tricube"``: ``(1 - u**3)**3``

    and 0 for ``d > d0``.

    Parameters
    ----------
    catchment_minutes : float
        The catchment (kernel bandwidth) ``d0``.
    kernel : str, default "epanechnikov"
        One of :data:`KERNELS`.

    Returns
    -------
    KernelDecay
    """
    return KernelDecay(catchment_minutes, kernel)


# type -> (factory, accepted parameters, required parameters)
_FACTORIES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (uniform_decay, ("catchment_minutes",), ("catchment_minutes",)),
    "step": (step_decay, ("steps",), ("steps",)),
    "gaussian": (
        gaussian_decay,
        ("catchment_minutes", "sigma_minutes", "truncate_below"),
        ("catchment_minutes",),
    ),
    "gravity": (gravity_decay, ("beta", "min_minutes", "catchment_minutes"), ("beta",)),
    "exponential": (exponential_decay, ("beta", "catchment_minutes"), ("beta",)),
    "linear": (linear_decay, ("catchment_minutes",), ("catchment_minutes",)),
    "kernel": (kernel_decay, ("catchment_minutes", "kernel"), ("catchment_minutes",)),
}

#: Decay types accepted by :func:`make_decay`.
DECAY_TYPES = tuple(_FACTORIES)


def _accepted_text() -> str:
    return "; ".join(f"{name} ({', '.join(params)})" for name, (_, params, _) in _FACTORIES.items())


def make_decay(spec: str | Mapping | Decay, *, catchment_minutes: float | None = None) -> Decay:
    """Build a decay from its scenario-file form.

    Parameters
    ----------
    spec : str, mapping or Decay
        A table with a ``type`` and that type's parameters, e.g.
        ``{"type": "step", "steps": {"10": 1.0, "20": 0.68, "30": 0.22}}`` or
        ``{"type": "gaussian", "catchment_minutes": 30}``; or just a type name
        (``"uniform"``, ``"gaussian"``, ...) when every parameter has a
        default or comes from ``catchment_minutes``. A :class:`Decay` is
        returned unchanged. Accepted types and parameters:

        * ``uniform``: catchment_minutes
        * ``step``: steps (upper bound minutes -> weight; keys may be strings)
        * ``gaussian``: catchment_minutes, sigma_minutes, truncate_below
        * ``gravity``: beta, min_minutes, catchment_minutes
        * ``exponential``: beta, catchment_minutes
        * ``linear``: catchment_minutes
        * ``kernel``: catchment_minutes, kernel
    catchment_minutes : float, optional
        Used for the types that take a ``catchment_minutes`` when the spec
        does not give one (the scenario's ``[access] catchment_min``).

    Returns
    -------
    Decay

    Raises
    ------
    UnknownDecayError
        For an unknown type, an unknown or missing parameter or a bad value;
        the message lists what is accepted.
    """
    if isinstance(spec, Decay):
        return spec
    if isinstance(spec, str):
        params: dict[str, Any] = {}
        kind = spec
    elif isinstance(spec, Mapping):
        params = {str(k): v for k, v in spec.items()}
        kind = params.pop("type", None)
    else:
        raise UnknownDecayError(
            f"a decay is a type name or a table with a 'type', got {spec!r}; "
            f"accepted types: {_accepted_text()}"
        )
    if not isinstance(kind, str) or kind.strip().lower() not in _FACTORIES:
        raise UnknownDecayError(f"unknown decay type {kind!r}; accepted types: {_accepted_text()}")
    kind = kind.strip().lower()
    factory, accepted, required = _FACTORIES[kind]
    unknown = sorted(set(params) - set(accepted))
    if (
        "catchment_minutes" in accepted
        and "catchment_minutes" not in params
        and catchment_minutes is not None
    ):
        params["catchment_minutes"] = catchment_minutes
    missing = [p for p in required if p not in params]
    problems = []
    if unknown:
        problems.append(f"unknown parameter{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    if missing:
        problems.append(f"missing {', '.join(missing)}")
    if problems:
        raise UnknownDecayError(
            f"bad {kind} decay: {'; '.join(problems)}; the {kind} decay accepts "
            f"{', '.join(accepted)} (required: {', '.join(required)})"
        )
    try:
        return factory(**params)
    except UnknownDecayError as err:
        raise UnknownDecayError(
            f"{err}; the {kind} decay accepts {', '.join(accepted)} "
            f"(required: {', '.join(required)})"
        ) from None
