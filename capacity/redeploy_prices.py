"""Prices of a redeployment plan that mean what they say.

The redeployment model (:mod:`accessplan.capacity.redeploy`) is re-solved as a
linear programme after the full solve, the *price LP*: its LP relaxation (every
whole-unit variable continuous, so the moves may be planned again around one
more or one less unit) when that relaxation has the plan's optimal cost, as it
does for whole demands and stocks without a binding equity band; otherwise the
relaxation with the shipments of integer resources held at least at the plan's
values (more may be sent, in fractions), so that the prices stay prices of this
plan. :attr:`PriceCheck.lp` says which. Every price below is measured on that
one LP, in the objective's (discounted) cost units.

Why not just the LP duals
-------------------------
The model is often *degenerate*: a facility with no demand and no units, or a
unit in the last period that no transfer can move in time, leaves the dual of
its conservation row free over a whole interval. Solvers then pick different
ends of it: CBC reported 93 for a unit that can reach no one where HiGHS
reported 0. A planner reads the price as "what is one more unit here worth",
and 93 answers that question wrongly.

What is computed
----------------
For each (facility, resource, period) ``(i, j, t)``:

- ``lp_dual``: minus the dual of the conservation row (the solver's shadow price
  of one more unit on hand at ``i`` from ``t`` on);
- ``value_of_one_more_unit``: the optimal cost minus the optimal cost with one
  more unit on hand at ``i`` from period ``t`` on (kept for the rest of the
  horizon), found by re-solving;
- ``value_of_one_less_unit``: the optimal cost with one unit fewer minus the
  optimal cost (NaN when there is no unit on hand there to take away);
- ``unique``: True when adding and removing a unit change the cost by the same
  amount and the LP dual equals it; False when the dual differs from the
  re-solve or the two re-solves differ (the price depends on the direction of
  the change, and a solver's dual is any number between them); missing when
  only part of this could be checked;
- ``supply_value``: the price published, ``value_of_one_more_unit`` (NaN when
  that was not checked);
- ``price_note``: the check in plain words.

How many re-solves
------------------
The optimal cost is convex in the extra units, and an extra unit can always be
left unused (holding units costs nothing), so ``0 <= value_of_one_more_unit <=
lp_dual`` for any optimal dual. A dual of 0 therefore *proves* that one more
unit is worth 0: such cells need no re-solve for the added unit. The re-solves
are spent in this order, until ``max_resolves`` LPs have been solved or
``time_budget_s`` seconds have passed (defaults 200 and 20 s):

1. cells with a positive dual, largest first: one more unit, then one less;
2. cells with a zero dual and a unit there (on hand or leaving): one less unit
   (to see whether the zero is only the right-hand slope).

Cells left over keep their dual: a zero dual is still the proven value of one
more unit; a positive one is reported as not checked (``supply_value`` NaN).

``demand_price`` (the dual of the cover row: the cost of one more unit of demand
at ``i`` in ``t``) is the solver's dual and is not re-solved; it is a local price.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pulp

from accessplan.location.solver import SolverOptions, solve

__all__ = ["PRICE_COLUMNS", "PriceCheck", "price_lp", "supply_prices_checked"]

#: columns of the shadow-price table, in order
PRICE_COLUMNS = (
    "facility",
    "resource",
    "period",
    "demand_price",
    "lp_dual",
    "value_of_one_more_unit",
    "value_of_one_less_unit",
    "unique",
    "supply_value",
    "price_note",
)

_ZERO = 1e-7


@dataclass(frozen=True)
class PriceCheck:
    """What the price check did.

    Attributes
    ----------
    resolves : int
        LPs re-solved (each one more or one less unit at one cell).
    seconds : float
        Time spent re-solving.
    unchecked : int
        Cells with a positive dual left without a re-solve (budget spent).
    max_resolves : int
    time_budget_s : float
    lp : str
        ``"relaxation"`` (the moves may change) or ``"moves held"`` (integer
        shipments held at least at the plan's values).
    """

    resolves: int
    seconds: float
    unchecked: int
    max_resolves: int
    time_budget_s: float
    lp: str = "relaxation"

    def as_dict(self) -> dict:
        """The check as plain JSON values."""
        return {
            "resolves": self.resolves,
            "seconds": round(self.seconds, 3),
            "unchecked": self.unchecked,
            "max_resolves": self.max_resolves,
            "time_budget_s": self.time_budget_s,
            "lp": self.lp,
        }


def price_lp(prob: pulp.LpProblem, shipments, options: SolverOptions, *, objective: float):
    """Turn a solved redeployment model into its price LP and solve it (in place).

    First the LP relaxation (every integer variable continuous); if its optimum
    is not the plan's ``objective``, integer shipments get their plan value as
    a lower bound (no upper bound) and the LP is solved again.

    Parameters
    ----------
    prob : pulp.LpProblem
        The solved model.
    shipments : iterable of pulp.LpVariable
        The shipment variables.
    options : SolverOptions
    objective : float
        The plan's optimal cost.

    Returns
    -------
    (SolveReport, str)
        The report of the last solve and which LP it is (``"relaxation"`` or
        ``"moves held"``).
    """
    shipped = {id(v) for v in shipments}
    planned = {}
    for var in prob.variables():
        if var.cat == pulp.LpInteger:
            var.cat = pulp.LpContinuous
            if id(var) in shipped:
                value = var.varValue
                planned[id(var)] = (var, round(float(value)) if value is not None else 0.0)
    report = solve(prob, _lp_options(options))
    if report.status != "optimal" or not planned or _same(report.objective, objective):
        return report, "relaxation"
    for var, value in planned.values():
        var.lowBound = value
        var.upBound = None
    return solve(prob, _lp_options(options)), "moves held"


def _lp_options(options: SolverOptions) -> SolverOptions:
    return replace(options, warm_start=False, gap_rel=None)


def _pi(constraint) -> float:
    """The dual of a row; solver noise below 1e-9 in size is written as 0."""
    if constraint.pi is None:
        return math.nan
    value = float(constraint.pi)
    return 0.0 if abs(value) < 1e-9 else value


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def _resolve(prob, constraint, extra: float, options: SolverOptions) -> float | None:
    """Optimal cost with ``extra`` more units entering ``constraint`` (None if not optimal)."""
    # a conservation row reads m_t + out - in - m_(t-1) - arrivals = 0: one more unit
    # arriving is one less on the constant of the left-hand side
    old = constraint.constant
    constraint.constant = old - extra
    try:
        report = solve(prob, options)
    finally:
        constraint.constant = old
    if report.status != "optimal" or report.objective is None:
        return None
    return float(report.objective)


def _note(dual, more, less, *, removable: bool, checked: bool) -> tuple[object, str]:
    """The ``unique`` flag and the plain-words note of one cell."""
    if math.isnan(more):
        return pd.NA, (
            f"not checked (re-solve budget spent): the solver's dual {dual:.6g} is one of "
            "possibly several prices"
        )
    if not _same(dual, more):
        return False, (
            f"not unique: the solver's dual ({dual:.6g}) is not the value of one more unit "
            f"({more:.6g}); the value of one more unit is shown"
        )
    if not math.isnan(less) and not _same(more, less):
        return False, (
            f"not unique: one more unit saves {more:.6g}, one unit less costs {less:.6g}"
        )
    if not math.isnan(less):
        return True, "unique: one more or one less unit changes the cost by the same amount"
    if not removable:
        return pd.NA, (
            f"one more unit saves {more:.6g}; no unit on hand here to take away, so the "
            "other side was not checked"
        )
    if not checked:
        return pd.NA, (
            f"one more unit saves {more:.6g}; one less was not checked (re-solve budget spent)"
        )
    return pd.NA, (
        f"one more unit saves {more:.6g}; taking one away is not possible without "
        "cancelling a planned move"
    )


def supply_prices_checked(
    prob: pulp.LpProblem,
    conserve: dict,
    cover: dict,
    present: dict,
    options: SolverOptions,
    *,
    max_resolves: int = 200,
    time_budget_s: float = 20.0,
    lp: str = "relaxation",
) -> tuple[pd.DataFrame, PriceCheck]:
    """Read the duals of a solved price LP and check the supply prices by re-solving.

    Parameters
    ----------
    prob : pulp.LpProblem
        The price LP, solved to optimality (see :func:`price_lp`).
    conserve, cover : dict
        ``(facility, resource, local period) -> constraint``: conservation and
        cover rows.
    present : dict
        ``(facility, resource, local period) -> units there`` in the LP solution
        (on hand at the end of the period plus units leaving in it).
    options : SolverOptions
        Solver for the re-solves (run as LPs).
    max_resolves : int, default 200
        Most LPs re-solved.
    time_budget_s : float, default 20
        Re-solving stops once this much time has passed.
    lp : str, default "relaxation"
        Which LP ``prob`` is (recorded in the check).

    Returns
    -------
    (DataFrame, PriceCheck)
        The columns of :data:`PRICE_COLUMNS` (``period`` is the model's local
        period), one row per cell in the order of ``cover``; and what the check did.
    """
    base = pulp.value(prob.objective)
    base = float(base) if base is not None else math.nan
    keys = list(cover)
    demand_price = {k: _pi(cover[k]) for k in keys}
    dual = {k: -_pi(conserve[k]) + 0.0 for k in keys}
    # a unit can be taken away from (i, j, t) only when one is there in period t (on hand
    # or leaving); whether the rest of the plan can do without it is the re-solve's answer
    removable = {k: present.get(k, 0.0) >= 1.0 - 1e-6 for k in keys}
    more = {k: 0.0 if abs(dual[k]) <= _ZERO else math.nan for k in keys}
    less = dict.fromkeys(keys, math.nan)
    tried_less = dict.fromkeys(keys, False)
    positive = sorted((k for k in keys if abs(dual[k]) > _ZERO), key=lambda k: -dual[k])
    zero = [k for k in keys if abs(dual[k]) <= _ZERO and removable[k]]
    jobs = []
    for k in positive:
        jobs.append((k, +1.0))
        if removable[k]:
            jobs.append((k, -1.0))
    jobs += [(k, -1.0) for k in zero]
    lp_options = _lp_options(options)
    start = time.perf_counter()
    done = 0
    for k, extra in jobs:
        if done >= max_resolves or time.perf_counter() - start > time_budget_s:
            break
        value = _resolve(prob, conserve[k], extra, lp_options)
        done += 1
        if extra > 0:
            if value is not None:
                # rounding noise from the solver must not turn 0 into -1e-12
                more[k] = max(base - value, 0.0)
        else:
            tried_less[k] = True
            if value is not None:
                less[k] = value - base
    seconds = time.perf_counter() - start
    rows = []
    for k in keys:
        flag, note = _note(dual[k], more[k], less[k], removable=removable[k], checked=tried_less[k])
        rows.append((*k, demand_price[k], dual[k], more[k], less[k], flag, more[k], note))
    frame = pd.DataFrame(rows, columns=list(PRICE_COLUMNS))
    frame["unique"] = frame["unique"].astype("boolean")
    unchecked = int(np.isnan(frame["value_of_one_more_unit"].to_numpy(dtype=float)).sum())
    return frame, PriceCheck(
        resolves=done,
        seconds=seconds,
        unchecked=unchecked,
        max_resolves=max_resolves,
        time_budget_s=time_budget_s,
        lp=lp,
    )
