"""Move mobile units (ventilators, beds, staff teams) between facilities over time.

A multi-period linear (or mixed-integer) programme, solved through
:func:`accessplan.location.solver.solve` so statuses are honest.

Model
-----
Facilities ``i``, resource types ``j``, periods ``t = 0..T-1`` (``T`` = last
period in ``demand`` + 1). For every ``(i, j, t)``:

- ``x_ijt >= 0`` mobile units in use, ``y_ijt <= fixed_units_ij`` fixed units
  used, ``u_ijt >= 0`` unmet demand, with the *cover* row
  ``x + y + u >= demand + eta`` (``eta`` = ``buffer_eta``, a robust buffer);
- ``m_ijt >= 0`` mobile units on hand, with the *conservation* row
  ``m_ijt = m_ij,t-1 - sum_k s_(i->k),j,t + sum_k s_(k->i),j,t-d_ki``
  (``m_ij,-1`` = the initial ``mobile_units``), and ``x_ijt <= m_ijt``: a unit
  shipped at ``t`` leaves the sender's stock at ``t`` and serves nobody until
  it arrives at ``t + delay``;
- ``s_(i->k),j,t >= 0`` units of ``j`` leaving ``i`` for ``k`` at ``t`` (only
  for pairs listed in ``transfer``, and only when they arrive by ``T - 1``:
  a shipment arriving after the horizon would cost and help nobody);
- ``|x_ijt - x_ij,t-1| <= ramp_limit_j`` for ``t >= 1`` (when given);
- ``smoothing_penalty * |x_ijt - x_ij,t-1|`` in the objective, linearised with
  ``z >= +-(x_t - x_t-1)``;
- ``sum_ij u_ijt <= unmet_cap`` per period (when given);
- the *equity band* for critical resources (when ``equity_gamma`` is given):
  with ``rho_ijt = u_ijt / (demand_ijt + eta)`` over facilities with positive
  demand, ``rho_ijt - rho_kjt <= gamma`` for all pairs. It is written as
  ``lo_jt <= rho_ijt <= hi_jt`` and one *band row* ``hi_jt - lo_jt <= gamma``
  per ``(j, t)``, which is equivalent to the pairwise rows and gives one dual
  per ``(j, t)``. Under a band the cover rows of critical resources are
  equalities (``x + y + u = demand + eta``), so ``u`` is exactly the demand not
  served and a facility cannot pass the band by *declaring* extra unmet
  demand. A band can still be met by leaving units unused (levelling down);
  that is what a linear band means, and its cost shows in ``equity_price``.

``x``, ``y`` and ``s`` are integer for resources marked ``integer``. The
objective is ``sum_t beta^t (transfer cost + operating costs + penalty * u +
smoothing)`` with ``beta`` = ``discount``; transfer cost is paid in the period
of departure.

Prices
------
After the solve the model is re-solved as an LP (its relaxation, or with integer
shipments held at least at their values when the relaxation is cheaper than the
plan) and its prices are checked by re-solving with one more and one less unit:
see :mod:`accessplan.capacity.redeploy_prices`. ``demand_price`` is the rise of the
optimal (discounted) objective per extra unit of demand at ``i`` in ``t`` (the
LP dual); ``supply_value`` is the fall of the optimal objective when one more
mobile unit of ``j`` is on hand at ``i`` from period ``t`` on, measured by a
re-solve. ``supply_prices`` gives, per resource and period, the largest such
value and where it is. ``equity_price`` is the objective with the band minus
the objective of the same model without it (a second solve); ``band_duals``
holds, per critical resource and period, minus the dual of the band row: the
fall of the objective per unit the band ``gamma`` is widened there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from accessplan.capacity.redeploy_inputs import Instance as _Instance
from accessplan.capacity.redeploy_inputs import check_options, read_instance
from accessplan.capacity.redeploy_prices import (
    PRICE_COLUMNS,
    PriceCheck,
    price_lp,
    supply_prices_checked,
)
from accessplan.data.errors import ProblemCollector
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.solver import SolveReport, SolverOptions, solve

__all__ = ["CostBreakdown", "RedeployPlan", "redeploy"]

_TOL = 1e-7


@dataclass(frozen=True)
class CostBreakdown:
    """Discounted cost parts of a plan (their sum is the objective) and total unmet demand.

    Attributes
    ----------
    transfer, operating_mobile, operating_fixed, unmet_penalty, smoothing : float
        Discounted cost of each kind, summed over the horizon.
    total : float
        Sum of the parts.
    total_unmet : float
        Unmet units summed over facilities, resources and periods (undiscounted).
    """

    transfer: float
    operating_mobile: float
    operating_fixed: float
    unmet_penalty: float
    smoothing: float
    total: float
    total_unmet: float


@dataclass(frozen=True)
class RedeployPlan:
    """The optimal redeployment and why.

    Attributes
    ----------
    report : SolveReport
        The solve of the full model (status, objective, bound, gap).
    moves : DataFrame
        ``resource, from_facility, to_facility, units, depart_period,
        arrive_period, cost`` (undiscounted ``units * cost_per_unit``),
        ``answers`` (text: the shortfall at the destination on arrival it
        answers: demand + buffer - fixed units - mobile units already there).
    unmet : DataFrame
        ``facility, resource, period, demand, served, unmet, ratio`` for every
        facility, resource and period; ``served`` = ``min(x + y, demand + eta)``,
        ``ratio`` = ``unmet / (demand + eta)`` (NaN where demand is 0).
    inventory : DataFrame
        ``facility, resource, period, on_hand, in_use, in_transit_to`` (units
        on their way to the facility during the period: departed at or before
        it, arriving after it).
    totals : CostBreakdown
        Discounted cost parts and the total unmet demand.
    shadow_prices : DataFrame
        The columns of :data:`accessplan.capacity.redeploy_prices.PRICE_COLUMNS`
        (``lp_dual``, ``value_of_one_more_unit``, ``value_of_one_less_unit``,
        ``unique``, ``supply_value``, ``price_note`` ...); empty when the price
        LP could not be solved.
    supply_prices : DataFrame
        ``resource, period, supply_value, facility``: the largest supply value
        per resource and period and the facility where it is.
    equity_price : float or None
        Objective with the band minus the objective without it (None without a band).
    band_duals : DataFrame
        ``resource, period, band_dual`` (minus the dual of the band row).
    unbanded_report : SolveReport or None
        The solve without the band used for ``equity_price``.
    price_check : PriceCheck or None
        How many re-solves checked the prices and how long they took.
    """

    report: SolveReport
    moves: pd.DataFrame
    unmet: pd.DataFrame
    inventory: pd.DataFrame
    totals: CostBreakdown
    shadow_prices: pd.DataFrame
    supply_prices: pd.DataFrame
    equity_price: float | None = None
    band_duals: pd.DataFrame = field(default_factory=pd.DataFrame)
    unbanded_report: SolveReport | None = None
    price_check: PriceCheck | None = None


# --------------------------------------------------------------------------- model


@dataclass
class _Model:
    prob: pulp.LpProblem
    inst: _Instance
    periods: int
    t0: int
    demand: dict
    eta: float
    beta: float
    smoothing: float
    arrivals: dict
    on_hand0: dict
    prev_in_use: dict | None
    x: dict
    y: dict
    u: dict
    m: dict
    s: dict  # (i, k, j, t) -> var
    z: dict
    cover: dict
    conserve: dict
    band: dict  # (j, t) -> constraint
    delay: dict  # (i, k) -> (delay, cost)


def _build(
    inst: _Instance,
    *,
    demand: dict,
    periods: int,
    on_hand0: dict,
    arrivals: dict,
    prev_in_use: dict | None,
    t0: int,
    eta: float,
    beta: float,
    smoothing: float,
    unmet_cap: float | None,
    gamma: float | None,
) -> _Model:
    """Build the model over local periods ``0..periods-1`` (absolute ``t0 + t``).

    ``arrivals[(i, j, t)]`` are units already in transit arriving at local ``t``;
    ``prev_in_use[(i, j)]`` is the mobile units in use in the period before
    ``t0`` (ramp and smoothing link to it), None at the start of the horizon.
    """
    prob = pulp.LpProblem("redeploy", pulp.LpMinimize)
    fi = {f: n for n, f in enumerate(inst.facilities)}
    ri = {r: n for n, r in enumerate(inst.resources)}
    T = range(periods)
    keys = [(i, j, t) for i in inst.facilities for j in inst.resources for t in T]
    cat = {j: pulp.LpInteger if inst.integer[j] else pulp.LpContinuous for j in inst.resources}

    def name(p, i, j, t):
        return f"{p}_{fi[i]}_{ri[j]}_{t}"

    x = {k: pulp.LpVariable(name("x", *k), 0, None, cat[k[1]]) for k in keys}
    y = {k: pulp.LpVariable(name("y", *k), 0, inst.fixed.get(k[:2], 0.0), cat[k[1]]) for k in keys}
    u = {k: pulp.LpVariable(name("u", *k), 0) for k in keys}
    m = {k: pulp.LpVariable(name("m", *k), 0) for k in keys}
    delay = {(a, b): (d, c) for a, b, d, c in inst.arcs}
    s = {}
    for a, b, d, _c in inst.arcs:
        for j in inst.resources:
            for t in T:
                if t + d <= periods - 1:
                    s[(a, b, j, t)] = pulp.LpVariable(
                        f"s_{fi[a]}_{fi[b]}_{ri[j]}_{t}", 0, None, cat[j]
                    )
    out_of = {}
    into = {}
    for (a, b, j, t), var in s.items():
        out_of.setdefault((a, j, t), []).append(var)
        into.setdefault((b, j, t + delay[(a, b)][0]), []).append(var)

    disc = {t: beta ** (t0 + t) for t in T}
    objective = []
    cover, conserve, band = {}, {}, {}
    z = {}
    for i, j, t in keys:
        k = (i, j, t)
        need = demand.get(k, 0.0) + eta
        row = x[k] + y[k] + u[k]
        banded = gamma is not None and inst.critical[j]
        cover[k] = row == need if banded else row >= need
        prob += cover[k], f"cover_{fi[i]}_{ri[j]}_{t}"
        before = m[(i, j, t - 1)] if t > 0 else on_hand0.get((i, j), 0.0)
        flow = (
            m[k]
            - before
            + pulp.lpSum(out_of.get(k, []))
            - pulp.lpSum(into.get(k, []))
            - arrivals.get(k, 0.0)
        )
        # constants move to the right-hand side: m_t + out - in = m_{t-1} (+ initial) + transit
        conserve[k] = flow == 0
        prob += conserve[k], f"conserve_{fi[i]}_{ri[j]}_{t}"
        prob += x[k] <= m[k], f"inuse_{fi[i]}_{ri[j]}_{t}"
        objective.append(
            disc[t] * (inst.op_mobile[j] * x[k] + inst.op_fixed[j] * y[k] + inst.penalty[j] * u[k])
        )
        if t > 0:
            prev = x[(i, j, t - 1)]
        elif prev_in_use is not None:
            prev = prev_in_use.get((i, j), 0.0)
        else:
            prev = None
        if prev is not None:
            if inst.ramp[j] is not None:
                prob += x[k] - prev <= inst.ramp[j], f"rampup_{fi[i]}_{ri[j]}_{t}"
                prob += prev - x[k] <= inst.ramp[j], f"rampdown_{fi[i]}_{ri[j]}_{t}"
            if smoothing > 0:
                z[k] = pulp.LpVariable(name("z", *k), 0)
                prob += z[k] >= x[k] - prev, f"smoothup_{fi[i]}_{ri[j]}_{t}"
                prob += z[k] >= prev - x[k], f"smoothdown_{fi[i]}_{ri[j]}_{t}"
                objective.append(disc[t] * smoothing * z[k])
    for (a, b, _j, t), var in s.items():
        objective.append(disc[t] * delay[(a, b)][1] * var)
    if unmet_cap is not None:
        for t in T:
            prob += (
                pulp.lpSum(u[(i, j, t)] for i in inst.facilities for j in inst.resources)
                <= unmet_cap,
                f"unmetcap_{t}",
            )
    if gamma is not None:
        for j in inst.resources:
            if not inst.critical[j]:
                continue
            for t in T:
                live = [i for i in inst.facilities if demand.get((i, j, t), 0.0) > 0]
                if len(live) < 2:
                    continue
                lo = pulp.LpVariable(f"lo_{ri[j]}_{t}", 0)
                hi = pulp.LpVariable(f"hi_{ri[j]}_{t}", 0)
                for i in live:
                    rho = (1.0 / (demand[(i, j, t)] + eta)) * u[(i, j, t)]
                    prob += rho <= hi, f"bandhi_{fi[i]}_{ri[j]}_{t}"
                    prob += rho >= lo, f"bandlo_{fi[i]}_{ri[j]}_{t}"
                band[(j, t)] = hi - lo <= gamma
                prob += band[(j, t)], f"band_{ri[j]}_{t}"
    prob += pulp.lpSum(objective)
    return _Model(
        prob=prob,
        inst=inst,
        periods=periods,
        t0=t0,
        demand=demand,
        eta=eta,
        beta=beta,
        smoothing=smoothing,
        arrivals=arrivals,
        on_hand0=on_hand0,
        prev_in_use=prev_in_use,
        x=x,
        y=y,
        u=u,
        m=m,
        s=s,
        z=z,
        cover=cover,
        conserve=conserve,
        band=band,
        delay=delay,
    )


def _val(var) -> float:
    v = var.varValue if hasattr(var, "varValue") else var
    return 0.0 if v is None else float(v) + 0.0


def _solve_or_raise(model: _Model, options: SolverOptions, what: str) -> SolveReport:
    report = solve(model.prob, options)
    if report.status == "infeasible":
        raise InfeasibleModelError(
            f"the {what} is infeasible (check ramp limits, unmet_cap and the equity band)", report
        )
    if not report.has_solution:
        raise SolverError(f"the {what} was not solved: {report.summary()}", report)
    return report


def _period_costs(model: _Model, t: int) -> dict:
    """Undiscounted cost parts in local period ``t`` of a solved model."""
    inst = model.inst
    parts = dict(
        transfer=0.0, operating_mobile=0.0, operating_fixed=0.0, unmet_penalty=0.0, smoothing=0.0
    )
    for i in inst.facilities:
        for j in inst.resources:
            k = (i, j, t)
            parts["operating_mobile"] += inst.op_mobile[j] * _val(model.x[k])
            parts["operating_fixed"] += inst.op_fixed[j] * _val(model.y[k])
            parts["unmet_penalty"] += inst.penalty[j] * _val(model.u[k])
            if k in model.z:
                parts["smoothing"] += model.smoothing * _val(model.z[k])
    for (a, b, _j, td), var in model.s.items():
        if td == t:
            parts["transfer"] += model.delay[(a, b)][1] * _val(var)
    return parts


def _totals(model: _Model) -> CostBreakdown:
    acc = dict(
        transfer=0.0, operating_mobile=0.0, operating_fixed=0.0, unmet_penalty=0.0, smoothing=0.0
    )
    for t in range(model.periods):
        w = model.beta ** (model.t0 + t)
        for key, v in _period_costs(model, t).items():
            acc[key] += w * v
    unmet = sum(_val(v) for v in model.u.values())
    return CostBreakdown(**acc, total=sum(acc.values()), total_unmet=unmet)


def _moves(model: _Model) -> pd.DataFrame:
    inst = model.inst
    arrive_total = {}
    rows = []
    for (a, b, j, t), var in model.s.items():
        units = _val(var)
        if units > _TOL:
            arr = t + model.delay[(a, b)][0]
            arrive_total[(b, j, arr)] = arrive_total.get((b, j, arr), 0.0) + units
            rows.append((j, a, b, units, t, arr, units * model.delay[(a, b)][1]))
    out = []
    for j, a, b, units, t, arr, cost in rows:
        k = (b, j, arr)
        need = model.demand.get(k, 0.0) + model.eta
        own = inst.fixed.get((b, j), 0.0) + _val(model.m[k]) - arrive_total[k]
        text = (
            f"shortfall {need - own:g} at {b} in period {model.t0 + arr} "
            f"(demand {need:g} - own units {own:g})"
        )
        out.append((j, a, b, units, model.t0 + t, model.t0 + arr, cost, text))
    return pd.DataFrame(
        out,
        columns=[
            "resource",
            "from_facility",
            "to_facility",
            "units",
            "depart_period",
            "arrive_period",
            "cost",
            "answers",
        ],
    )


def _unmet_and_inventory(model: _Model) -> tuple[pd.DataFrame, pd.DataFrame]:
    transit = {}
    for (a, b, j, t), var in model.s.items():
        units = _val(var)
        if units > _TOL:
            for p in range(t, t + model.delay[(a, b)][0]):
                transit[(b, j, p)] = transit.get((b, j, p), 0.0) + units
    # units that were already in transit when the model starts
    for (i, j, t), units in model.arrivals.items():
        for p in range(t):
            transit[(i, j, p)] = transit.get((i, j, p), 0.0) + units
    unmet_rows, inv_rows = [], []
    for (i, j, t), xv in model.x.items():
        k = (i, j, t)
        d = model.demand.get(k, 0.0)
        need = d + model.eta
        x, y, u = _val(xv), _val(model.y[k]), _val(model.u[k])
        ratio = u / need if d > 0 else np.nan
        unmet_rows.append((i, j, model.t0 + t, d, min(x + y, need), u, ratio))
        inv_rows.append((i, j, model.t0 + t, _val(model.m[k]), x, transit.get(k, 0.0)))
    unmet = pd.DataFrame(
        unmet_rows, columns=["facility", "resource", "period", "demand", "served", "unmet", "ratio"]
    )
    inventory = pd.DataFrame(
        inv_rows,
        columns=["facility", "resource", "period", "on_hand", "in_use", "in_transit_to"],
    )
    return unmet, inventory


def _prices(model: _Model, options: SolverOptions, objective, *, max_resolves, time_budget_s):
    """Shadow prices (checked by re-solving), band duals and the check, from the price LP."""
    empty = (
        pd.DataFrame(columns=list(PRICE_COLUMNS)),
        pd.DataFrame(columns=["resource", "period", "band_dual"]),
        None,
    )
    report, lp = price_lp(model.prob, model.s.values(), options, objective=objective)
    if report.status != "optimal":
        return empty
    band = pd.DataFrame(
        [
            (j, model.t0 + t, -float(c.pi) + 0.0 if c.pi is not None else np.nan)
            for (j, t), c in model.band.items()
        ],
        columns=["resource", "period", "band_dual"],
    )
    present = {k: _val(v) for k, v in model.m.items()}
    for (a, _b, j, t), var in model.s.items():
        present[(a, j, t)] += _val(var)
    shadow, check = supply_prices_checked(
        model.prob,
        model.conserve,
        model.cover,
        present,
        options,
        max_resolves=max_resolves,
        time_budget_s=time_budget_s,
        lp=lp,
    )
    shadow["period"] = shadow["period"] + model.t0
    return shadow, band, check


# --------------------------------------------------------------------------- public


def redeploy(
    demand: pd.DataFrame,
    stock: pd.DataFrame,
    transfer: pd.DataFrame,
    resources: pd.DataFrame,
    *,
    buffer_eta: float = 0.0,
    discount: float = 1.0,
    smoothing_penalty: float = 0.0,
    unmet_cap: float | None = None,
    equity_gamma: float | None = None,
    solver_options: SolverOptions | None = None,
    sources: Mapping[str, str] | None = None,
    price_resolves: int = 200,
    price_time_budget_s: float = 20.0,
) -> RedeployPlan:
    """Plan transfers of mobile units between facilities over a horizon of periods.

    Parameters
    ----------
    demand : DataFrame
        ``facility, resource, period, demand``; periods are whole numbers from
        0, the horizon is ``0..max(period)``; missing rows mean demand 0.
    stock : DataFrame
        ``facility, resource, fixed_units, mobile_units`` (mobile units on hand
        at period 0); missing rows mean no units.
    transfer : DataFrame
        ``from_facility, to_facility, delay_periods (>= 1), cost_per_unit``;
        pairs not listed cannot transfer. Applies to every resource.
    resources : DataFrame
        ``resource, integer, unmet_penalty, operating_cost_mobile,
        operating_cost_fixed, critical`` and optionally ``ramp_limit`` (empty
        or missing: no limit).
    buffer_eta : float, default 0
        Robust buffer added to every demand.
    discount : float, default 1
        ``beta`` in (0, 1]; costs in period ``t`` are multiplied by ``beta ** t``.
    smoothing_penalty : float, default 0
        Cost per unit of change in mobile units in use between periods.
    unmet_cap : float, optional
        Largest total unmet demand allowed in any period.
    equity_gamma : float, optional
        Width of the equity band on unmet ratios of critical resources.
    solver_options : SolverOptions, optional
        Passed to :func:`accessplan.location.solver.solve`.
    sources : mapping, optional
        Names of the tables in error messages, e.g. their files:
        ``{"demand": "trace.csv", "stock": "stock.csv", "transfer": ..., "resources": ...}``
        (default: ``demand``, ``stock``, ``transfer``, ``resources``). Rows
        are numbered from 1 in table order (a file's data rows, header not counted).
    price_resolves : int, default 200
        Most LP re-solves spent checking the supply prices (0: none; every
        positive dual is then reported as not checked).
    price_time_budget_s : float, default 20
        Re-solving prices stops once this much time has passed.

    Returns
    -------
    RedeployPlan

    Raises
    ------
    InputValidationError
        Every problem found in the inputs, each naming the table, column and row.
    InfeasibleModelError
        The constraints cannot all hold (ramp limits, ``unmet_cap``, band).
    SolverError
        The solver stopped without a solution.
    """
    check_options(
        buffer_eta=buffer_eta,
        discount=discount,
        smoothing_penalty=smoothing_penalty,
        unmet_cap=unmet_cap,
        equity_gamma=equity_gamma,
    )
    problems = ProblemCollector(what="redeployment options")
    if (
        isinstance(price_resolves, bool)
        or not isinstance(price_resolves, int)
        or price_resolves < 0
    ):
        problems.add(f"price_resolves must be a whole number >= 0, got {price_resolves!r}")
    if (
        isinstance(price_time_budget_s, bool)
        or not isinstance(price_time_budget_s, int | float)
        or not math.isfinite(price_time_budget_s)
        or price_time_budget_s < 0
    ):
        problems.add(f"price_time_budget_s must be a number >= 0, got {price_time_budget_s!r}")
    problems.raise_if_any()
    inst = read_instance(demand, stock, transfer, resources, sources)
    options = solver_options or SolverOptions()
    common = dict(
        demand=inst.demand,
        periods=inst.periods,
        on_hand0=inst.mobile,
        arrivals={},
        prev_in_use=None,
        t0=0,
        eta=float(buffer_eta),
        beta=float(discount),
        smoothing=float(smoothing_penalty),
        unmet_cap=unmet_cap,
    )
    model = _build(inst, **common, gamma=equity_gamma)
    report = _solve_or_raise(model, options, "redeployment model")
    moves = _moves(model)
    unmet, inventory = _unmet_and_inventory(model)
    totals = _totals(model)

    equity_price, unbanded = None, None
    if equity_gamma is not None:
        free = _build(inst, **common, gamma=None)
        unbanded = _solve_or_raise(free, options, "redeployment model without the band")
        equity_price = report.objective - unbanded.objective

    shadow, band, check = _prices(
        model,
        options,
        report.objective,
        max_resolves=price_resolves,
        time_budget_s=price_time_budget_s,
    )
    if len(shadow):
        known = shadow.dropna(subset=["supply_value"])
        best = known.loc[known.groupby(["resource", "period"])["supply_value"].idxmax()]
        supply = best[["resource", "period", "supply_value", "facility"]].reset_index(drop=True)
    else:
        supply = pd.DataFrame(columns=["resource", "period", "supply_value", "facility"])
    return RedeployPlan(
        report=report,
        moves=moves,
        unmet=unmet,
        inventory=inventory,
        totals=totals,
        shadow_prices=shadow,
        supply_prices=supply,
        equity_price=equity_price,
        band_duals=band,
        unbanded_report=unbanded,
        price_check=check,
    )
