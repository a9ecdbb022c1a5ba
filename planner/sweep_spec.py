"""The ``[sweep]`` section of a scenario: which plans a policy sweep runs.

.. code-block:: toml

    [sweep]
    budgets = [50e6, 100e6, 150e6]          # or { start = 25e6, stop = 200e6, step = 25e6 }
    catchment_minutes = [30, 45, 60]        # location + access catchment of each point
    growth = [1.0, 1.2]                     # demand growth factors
    close = [[], ["H03"], ["H03", "H07"]]   # closures of existing sites ([] = none)
    jobs = 2                                # worker processes (<= cores)
    robust = "max_min_coverage"             # or "min_max_regret"
    pareto = { points = 7, equity = "max_min_access", write_point = 3 }

The points of a sweep are the cartesian product of the dimensions given; a
dimension left out takes the scenario's own value. Every value is checked
here (all problems at once, each naming ``sweep.<key>``); closures are
checked against the facilities once they are read
(:func:`check_closures`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accessplan.data.errors import InputValidationError, Problem

__all__ = [
    "MAX_SWEEP_POINTS",
    "PARETO_EQUITY",
    "ROBUST_OBJECTIVES",
    "SWEEP_KEYS",
    "SWEEP_OBJECTIVES",
    "ParetoSpec",
    "SweepSpec",
    "check_closures",
    "check_jobs",
    "parse_sweep",
]

NUMBER = (int, float)
#: the schema of ``[sweep]`` (key -> TOML types)
#: (``object``: a list, whose type :func:`parse_sweep` checks with its own message)
SWEEP_KEYS: dict[str, Any] = {
    "budgets": object,
    "catchment_minutes": object,
    "growth": object,
    "close": object,
    "jobs": int,
    "robust": str,
    "pareto": dict,
}
_LIST_KEYS = {
    "budgets": "a list of budgets or a table { start, stop, step }",
    "catchment_minutes": "a list of minutes",
    "growth": "a list of growth factors",
    "close": "a list of closures (lists of site ids)",
}
ROBUST_OBJECTIVES = ("max_min_coverage", "min_max_regret")
PARETO_EQUITY = ("max_min_access", "min_access_deviation")
#: the [location] objectives a sweep can run (the ones with a budget)
SWEEP_OBJECTIVES = (
    "coverage",
    "capacitated_coverage",
    "p_median",
    "max_min_access",
    "min_access_deviation",
)
#: more points than this is surely a typo in a range
MAX_SWEEP_POINTS = 10_000
_RANGE_KEYS = ("start", "stop", "step")
_PARETO_KEYS = ("points", "equity", "write_point")


@dataclass(frozen=True)
class ParetoSpec:
    """The equity-efficiency frontier: ``points`` epsilon-constraint solves."""

    points: int = 7
    equity: str = "max_min_access"
    #: index of the frontier point whose plan is written (None: none)
    write_point: int | None = None


@dataclass(frozen=True)
class SweepSpec:
    """The ``[sweep]`` section; a dimension that is None takes the scenario's value."""

    budgets: tuple[float, ...] | None = None
    catchment_minutes: tuple[float, ...] | None = None
    growth: tuple[float, ...] | None = None
    close: tuple[tuple[str, ...], ...] | None = None
    jobs: int | None = None
    robust: str | None = None
    pareto: ParetoSpec | None = None

    def to_json(self) -> dict[str, Any]:
        """The section as run (JSON-ready)."""
        return {
            "budgets": None if self.budgets is None else list(self.budgets),
            "catchment_minutes": None
            if self.catchment_minutes is None
            else list(self.catchment_minutes),
            "growth": None if self.growth is None else list(self.growth),
            "close": None if self.close is None else [list(c) for c in self.close],
            "jobs": self.jobs,
            "robust": self.robust,
            "pareto": None
            if self.pareto is None
            else {
                "points": self.pareto.points,
                "equity": self.pareto.equity,
                "write_point": self.pareto.write_point,
            },
        }


def _positive(value) -> bool:
    return (
        isinstance(value, NUMBER)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


def _number_list(values, key: str, add, *, what: str) -> tuple[float, ...] | None:
    if len(values) == 0:
        add(f"has no values; give at least one {what} or leave the key out", f"sweep.{key}")
        return None
    bad = [v for v in values if not _positive(v)]
    if bad:
        add(f"every value must be a positive number ({what}), got {bad[0]!r}", f"sweep.{key}")
        return None
    if len(set(values)) != len(values):
        twice = sorted({v for v in values if values.count(v) > 1})
        add(f"values repeat: {twice[0]!r} appears more than once", f"sweep.{key}")
        return None
    return tuple(float(v) for v in values)


def _budgets(value, add) -> tuple[float, ...] | None:
    key = "sweep.budgets"
    if isinstance(value, Mapping):
        unknown = sorted(set(value) - set(_RANGE_KEYS))
        missing = [k for k in _RANGE_KEYS if k not in value]
        if unknown or missing:
            add(
                f"a budget range needs exactly the keys {list(_RANGE_KEYS)}"
                + (f"; missing {missing}" if missing else "")
                + (f"; unknown {unknown}" if unknown else ""),
                key,
            )
            return None
        start, stop, step = (value[k] for k in _RANGE_KEYS)
        if not all(isinstance(v, NUMBER) and not isinstance(v, bool) for v in (start, stop, step)):
            add(f"start, stop and step must be numbers, got {dict(value)!r}", key)
            return None
        if not all(math.isfinite(v) for v in (start, stop, step)):
            add(f"start, stop and step must be finite, got {dict(value)!r}", key)
            return None
        problems = False
        if step <= 0:
            add(f"the range's step must be > 0, got {step!r}", key)
            problems = True
        if stop < start:
            add(f"the range's stop ({stop!r}) is below its start ({start!r})", key)
            problems = True
        if start <= 0:
            add(f"budgets must be > 0; the range starts at {start!r}", key)
            problems = True
        if problems:
            return None
        n = math.floor((stop - start) / step + 1e-9) + 1
        if n > MAX_SWEEP_POINTS:
            add(f"the range gives {n:,} budgets, more than {MAX_SWEEP_POINTS:,}", key)
            return None
        return tuple(float(start + i * step) for i in range(n))
    if len(value) == 0:
        add("has no values; give at least one budget or leave the key out", key)
        return None
    bad = [v for v in value if not _positive(v)]
    if bad:
        add(f"every budget must be a number > 0, got {bad[0]!r}", key)
        return None
    for i in range(1, len(value)):
        if not value[i] > value[i - 1]:
            add(
                f"budgets must be strictly increasing; {value[i]!r} (item {i + 1}) follows "
                f"{value[i - 1]!r}",
                key,
            )
            return None
    return tuple(float(v) for v in value)


def _closures(value, add) -> tuple[tuple[str, ...], ...] | None:
    key = "sweep.close"
    if len(value) == 0:
        add('has no values; give at least one closure (e.g. [[], ["H03"]]) or leave it out', key)
        return None
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, list) or not all(
            isinstance(s, str | int) and not isinstance(s, bool) for s in item
        ):
            add(
                f'item {i + 1} must be a list of existing site ids (e.g. ["H03"] or [] for '
                f"none), got {item!r}",
                key,
            )
            return None
        ids = tuple(str(s) for s in item)
        if len(set(ids)) != len(ids):
            add(f"item {i + 1} names a site more than once: {list(ids)!r}", key)
            return None
        out.append(ids)
    keys = [frozenset(c) for c in out]
    if len(set(keys)) != len(keys):
        add("the same closure is listed twice", key)
        return None
    return tuple(out)


def _pareto(value: Mapping, add) -> ParetoSpec | None:
    key = "sweep.pareto"
    unknown = sorted(set(value) - set(_PARETO_KEYS))
    if unknown:
        add(f"unknown key(s) {unknown}; known keys are {list(_PARETO_KEYS)}", key)
        return None
    points = value.get("points", 7)
    equity = value.get("equity", "max_min_access")
    write = value.get("write_point")
    ok = True
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        add(f"points must be a whole number >= 2, got {points!r}", key)
        ok = False
    if equity not in PARETO_EQUITY:
        add(f"unknown equity measure {equity!r}; choose one of {list(PARETO_EQUITY)}", key)
        ok = False
    if write is not None and (
        not isinstance(write, int) or isinstance(write, bool) or (ok and not 0 <= write < points)
    ):
        add(f"write_point must be a point index 0..{points - 1}, got {write!r}", key)
        ok = False
    return ParetoSpec(points=points, equity=equity, write_point=write) if ok else None


def check_jobs(jobs, add, *, key: str = "sweep.jobs", cores: int | None = None) -> None:
    """Add a problem when ``jobs`` is not a whole number in ``1..cores``."""
    cores = cores or os.cpu_count() or 1
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        add(f"must be a whole number of worker processes >= 1, got {jobs!r}", key)
    elif jobs > cores:
        add(f"{jobs} worker processes is more than the {cores} cores of this machine", key)


def parse_sweep(body: Mapping[str, Any] | None, add, *, location=None) -> SweepSpec | None:
    """Check the ``[sweep]`` section (types already checked) and build its spec.

    Parameters
    ----------
    body : Mapping or None
        The section as parsed from TOML; None when the scenario has none.
    add : callable
        ``add(message, key)`` records a problem (the scenario's collector).
    location : LocationSpec, optional
        The scenario's ``[location]``; a sweep needs one with a budget objective.

    Returns
    -------
    SweepSpec or None
        None when there is no section or it has problems (they were added).
    """
    if body is None:
        return None
    before = _Counter(add)
    if location is None:
        before("a sweep re-solves the [location] model: add a [location] section", "sweep")
    elif location.objective not in SWEEP_OBJECTIVES:
        before(
            f"a sweep cannot vary the budget of objective {location.objective!r}; use one of "
            f"{list(SWEEP_OBJECTIVES)}",
            "location.objective",
        )
    budgets = catchments = growth = close = None
    given = set(body)
    body = dict(body)
    for key, expected in _LIST_KEYS.items():
        value = body.get(key)
        if value is None:
            continue
        if not (isinstance(value, list) or (key == "budgets" and isinstance(value, Mapping))):
            before(f"must be {expected}, got {value!r}", f"sweep.{key}")
            del body[key]
    if "budgets" in body:
        budgets = _budgets(body["budgets"], before)
    if "catchment_minutes" in body:
        catchments = _number_list(
            body["catchment_minutes"], "catchment_minutes", before, what="minutes"
        )
    if "growth" in body:
        growth = _number_list(body["growth"], "growth", before, what="growth factor")
    if "close" in body:
        close = _closures(body["close"], before)
    jobs = body.get("jobs")
    if jobs is not None:
        check_jobs(jobs, before)
    robust = body.get("robust")
    if robust is not None and robust not in ROBUST_OBJECTIVES:
        before(
            f"unknown robust objective {robust!r}; choose one of {list(ROBUST_OBJECTIVES)}",
            "sweep.robust",
        )
    pareto = _pareto(body["pareto"], before) if "pareto" in body else None
    if (
        budgets is None
        and location is not None
        and location.budget is None
        and "budgets" not in given
    ):
        before(
            "give [sweep] budgets or a [location] budget: a sweep needs a budget", "sweep.budgets"
        )
    if before.count:
        return None
    n = math.prod(len(d) for d in (budgets, catchments, growth, close) if d is not None)
    if n > MAX_SWEEP_POINTS:
        add(f"the sweep has {n:,} points, more than {MAX_SWEEP_POINTS:,}", "sweep")
        return None
    return SweepSpec(
        budgets=budgets,
        catchment_minutes=catchments,
        growth=growth,
        close=close,
        jobs=jobs,
        robust=robust,
        pareto=pareto,
    )


class _Counter:
    """Pass problems on to ``add`` and count them."""

    def __init__(self, add) -> None:
        self.add = add
        self.count = 0

    def __call__(self, message: str, key: str | None = None) -> None:
        self.count += 1
        self.add(message, key)


def check_closures(spec: SweepSpec, facility_ids: Sequence, *, source: str, column: str) -> None:
    """Raise when a closure names a site that is not an existing facility.

    Parameters
    ----------
    spec : SweepSpec
    facility_ids : sequence
        The ids of the existing facilities, as read.
    source : str
        The facilities file (named in the message).
    column : str
        The facilities' id column.

    Raises
    ------
    InputValidationError
        Naming every unknown id at once.
    """
    if not spec.close:
        return
    known = {str(s) for s in facility_ids}
    unknown = sorted({s for closure in spec.close for s in closure if s not in known})
    if unknown:
        sample = sorted(known)[:10]
        raise InputValidationError(
            [
                Problem(
                    f"[sweep] close names site(s) {unknown} that are not existing facilities "
                    f"of {source} (column {column!r}; known ids include {sample})",
                    source=source,
                    column=column,
                )
            ],
            what="sweep.close",
        )
