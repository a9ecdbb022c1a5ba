"""Quadratic MAED: divide a fixed total capacity among sites (continuous QP, HiGHS), then round."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

import highspy
import numpy as np
import pandas as pd
from scipy import sparse

from accessplan.data.errors import ProblemCollector
from accessplan.location.checks import (
    check_demand,
    check_od,
    check_sites,
    count_noun,
    first_labels,
    numeric_values,
)
from accessplan.location.equity_access import (
    AccessModel,
    EquityResult,
    access_stats,
    build_access_model,
    common_totals,
    equity_areas_frame,
    resolve_method,
)
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.result import money_totals
from accessplan.location.solver import SolveReport, new_highs
from accessplan.spatial.decay import Decay

__all__ = [
    "reallocate_capacity_qp",
    "round_and_repair",
]


# ======================================================================== QP


@dataclass(frozen=True)
class _Quadratic:
    """``f(S) = S^T H S = sum_{i in F} P_i (A_i - Abar)**2`` and the QP's data."""

    hessian: np.ndarray  # H (sites x sites)
    lower: np.ndarray
    upper: np.ndarray
    total: float
    continuous: np.ndarray  # the QP solution
    continuous_objective: float | None  # proven QP optimum (a lower bound), or None
    sites: pd.DataFrame
    plan: dict  # area ids, population, in_f, access, before, method, catchment, decay


def _bounds(value, sites, site_ids, name, default, problems) -> np.ndarray:
    if value is None:
        return np.full(len(site_ids), default)
    if isinstance(value, str):
        if value not in sites.columns:
            problems.add(f"{name}: no column {value!r} in sites", source="sites")
            return np.full(len(site_ids), default)
        value = pd.Series(sites[value].to_numpy(), index=site_ids)
    if isinstance(value, pd.Series):
        missing = ~site_ids.isin(value.index)
        if missing.any():
            problems.add(
                f"{name} has no value for {count_noun(int(missing.sum()), 'site')}",
                source=name,
                rows=first_labels(site_ids, missing),
            )
            return np.full(len(site_ids), default)
        values = value.reindex(site_ids)
        return numeric_values(
            values, source=name, column=value.name, problems=problems, allow_inf=True
        )
    if isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value):
        if value < 0:
            problems.add(f"{name} must be >= 0, got {value!r}")
        return np.full(len(site_ids), float(value))
    problems.add(f"{name} must be a number, a Series by site id or a column name, got {value!r}")
    return np.full(len(site_ids), default)


def _f(hessian: np.ndarray, capacity: np.ndarray) -> float:
    return float(capacity @ hessian @ capacity)


def reallocate_capacity_qp(
    od: pd.DataFrame,
    demand: pd.Series,
    sites: pd.DataFrame,
    *,
    total_capacity: float,
    catchment_minutes: float,
    method: str = "2sfca",
    decay: Decay | str | Mapping | None = None,
    min_capacity: float | pd.Series | str | None = None,
    max_capacity: float | pd.Series | str | None = None,
    time_limit_s: float | None = None,
) -> EquityResult:
    """Divide a fixed total capacity among sites to minimise the squared access deviation.

    Solves the convex QP (Wang & Tang 2013)::

        minimise    sum_{i in F} P_i (A_i - Abar)**2
        subject to  sum_j S_j = total_capacity,  min_j <= S_j <= max_j

    with continuous capacities ``S_j``, ``A = W' diag(1/D) S`` as in the
    module docstring and ``F`` the populated areas within reach of a site.
    Every site with population in reach passes all of its capacity on, so
    ``sum_F P_i A_i`` and ``Abar`` are constant and the objective is
    ``S^T H S`` with ``H = M^T diag(P) M - v v^T / P_F`` (``M`` the access
    matrix over ``F``, ``v = M^T P``). Sites with nobody in reach are held at
    their minimum (capacity there is lost and would only shrink everyone's
    access, which the objective would mistake for equality); they are listed
    in ``totals["sites_without_population"]``.

    Scaling (the unscaled problem stalls: ``H`` is of the order of
    1 / population): the QP is passed to HiGHS in ``x = S / (total / n)``
    (``n`` live sites), with the Hessian divided by its largest entry; the
    objective is converted back. HiGHS's model status is reported as it is
    (``totals["highs_model_status"]``); only ``"Optimal"`` gives status
    ``"optimal"``.

    Parameters
    ----------
    od : pandas.DataFrame
        OD table; rows to site ids not in ``sites`` are ignored (those sites
        hold no capacity here).
    demand : pandas.Series
        Population (or need weight) indexed by area id.
    sites : pandas.DataFrame
        The sites sharing the capacity: column ``site_id``; an optional
        ``capacity`` column is taken as the capacity before, for comparison.
    total_capacity : float
        Capacity to divide (>= 0).
    catchment_minutes, method, decay
        The access measure, as in :func:`maximize_min_access`.
    min_capacity, max_capacity : float, Series or str, optional
        Bounds per site: one number for all, a Series by site id, or a
        column of ``sites``. Default 0 and no upper bound.
    time_limit_s : float, optional
        HiGHS time limit.

    Returns
    -------
    EquityResult
        ``model`` is ``"capacity reallocation (continuous QP, HiGHS)"``;
        ``chosen`` holds every site with ``capacity_after``;
        ``totals["objective"]`` is the squared deviation recomputed from the
        capacities, ``totals["variance_after"]`` that divided by ``P_F``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs.
    InfeasibleModelError
        When the bounds cannot add up to the total, or no populated area
        reaches any site.
    SolverError
        When HiGHS returns no usable solution.
    """
    problems = ProblemCollector(what="capacity reallocation inputs")
    method, decay = resolve_method(method, decay, catchment_minutes, problems)
    population = check_demand(demand, problems)
    site_ids = check_sites(sites, "sites", problems)
    if not (
        isinstance(total_capacity, Real)
        and not isinstance(total_capacity, bool)
        and math.isfinite(total_capacity)
        and total_capacity >= 0
    ):
        problems.add(f"total_capacity must be a finite number >= 0, got {total_capacity!r}")
    if time_limit_s is not None and not (isinstance(time_limit_s, Real) and time_limit_s > 0):
        problems.add(f"time_limit_s must be a positive number, got {time_limit_s!r}")
    before = None
    lower = upper = None
    if site_ids is not None:
        lower = _bounds(min_capacity, sites, site_ids, "min_capacity", 0.0, problems)
        upper = _bounds(max_capacity, sites, site_ids, "max_capacity", np.inf, problems)
        with np.errstate(invalid="ignore"):
            crossed = lower > upper
        if crossed.any():
            problems.add(
                f"{count_noun(int(crossed.sum()), 'site')} with min_capacity > max_capacity",
                rows=first_labels(site_ids, crossed),
            )
        if "capacity" in sites.columns:
            before = numeric_values(
                sites["capacity"], source="sites", column="capacity", problems=problems
            )
    od_arrays = None
    if isinstance(od, pd.DataFrame) and "site_id" in od.columns and site_ids is not None:
        od = od.loc[od["site_id"].isin(site_ids)]
    area_index = demand.index if population is not None else None
    od_arrays = check_od(od, area_index, site_ids, problems)
    problems.raise_if_any()

    rows, cols, minutes = od_arrays
    total = float(total_capacity)
    catchment = float(catchment_minutes)
    access = build_access_model(
        rows,
        cols,
        minutes,
        population,
        len(site_ids),
        method=method,
        catchment=catchment,
        decay=decay,
    )
    live = access.site_population > 0
    reach = np.asarray(access.matrix @ live.astype(float)).reshape(len(population)) > 0
    in_f = (population > 0) & reach
    if not in_f.any():
        raise InfeasibleModelError(
            "no area with demand is within the catchment of any of the sites"
        )
    upper = np.where(live, upper, lower)  # dead sites held at their minimum
    if lower.sum() > total * (1 + 1e-12) or upper.sum() < total * (1 - 1e-12):
        raise InfeasibleModelError(
            f"the bounds cannot add up to total_capacity={total:g}: minimums sum to "
            f"{lower.sum():g}, maximums (sites with population in reach) to {upper.sum():g}"
        )

    m_f = sparse.csr_array(access.matrix[np.flatnonzero(in_f)])
    pop_f = population[in_f]
    weighted = sparse.csr_array(sparse.diags_array(pop_f) @ m_f)
    v = np.asarray(m_f.T @ pop_f).reshape(len(site_ids))
    hessian = np.asarray((m_f.T @ weighted).toarray()) - np.outer(v, v) / pop_f.sum()
    hessian = (hessian + hessian.T) / 2

    n_live = max(int(live.sum()), 1)
    unit = total / n_live if total > 0 else 1.0
    h_max = float(np.abs(hessian).max())
    start = time.perf_counter()
    x, model_status, status_text, primal_ok, highs_objective = _highs_qp(
        hessian / h_max if h_max > 0 else None,
        lower / unit,
        upper / unit,
        total / unit,
        time_limit_s,
    )
    seconds = time.perf_counter() - start
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif model_status == highspy.HighsModelStatus.kInfeasible:
        status = "infeasible"
    elif primal_ok:
        status = "feasible"
    else:
        status = "not_solved"
    objective = None
    if primal_ok:
        capacity = _fix_total(np.clip(x * unit, lower, upper), lower, upper, total)
        objective = _f(hessian, capacity)
    report = SolveReport(
        solver="highs",
        status=status,
        objective=objective,
        best_bound=objective if status == "optimal" else None,
        gap=0.0 if status == "optimal" else None,
        seconds=seconds,
        sense="minimize",
        time_limit_s=time_limit_s,
    )
    if objective is None:
        raise SolverError(
            f"HiGHS returned no solution to the QP (model status {status_text})", report
        )

    plan = {
        "area_ids": demand.index,
        "population": population,
        "in_f": in_f,
        "access": access,
        "before": before,
        "method": method,
        "catchment": catchment,
        "decay": decay,
    }
    quad = _Quadratic(
        hessian=hessian,
        lower=lower,
        upper=upper,
        total=total,
        continuous=capacity,
        continuous_objective=objective if status == "optimal" else None,
        sites=sites,
        plan=plan,
    )
    extra = {
        "highs_model_status": status_text,
        "highs_scaled_objective": highs_objective,
        "scaling": f"capacities in units of total/n = {unit:g}; Hessian divided by {h_max:g}",
        "sites_without_population": tuple(site_ids[~live]),
        "heuristic": False,
    }
    return _qp_result(
        quad, capacity, report, "capacity reallocation (continuous QP, HiGHS)", False, extra
    )


def _highs_qp(q, lower, upper, row_total, time_limit_s):
    """Minimise ``x^T q x`` (HiGHS form ``1/2 x^T Q x`` with ``Q = 2 q``) s.t. ``sum x = row_total``."""
    n = len(lower)
    h = new_highs(msg=False)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", float(time_limit_s))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = 1
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.asarray(lower, dtype=float)
    lp.col_upper_ = np.where(np.isfinite(upper), upper, inf).astype(float)
    lp.row_lower_ = np.array([row_total])
    lp.row_upper_ = np.array([row_total])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(n + 1, dtype=np.int32)
    lp.a_matrix_.index_ = np.zeros(n, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(n)
    model = highspy.HighsModel()
    model.lp_ = lp
    if q is not None:
        lower_tri = sparse.csc_array(np.tril(2.0 * q))
        lower_tri.eliminate_zeros()
        hess = highspy.HighsHessian()
        hess.dim_ = n
        hess.format_ = highspy.HessianFormat.kTriangular
        hess.start_ = lower_tri.indptr.astype(np.int32)
        hess.index_ = lower_tri.indices.astype(np.int32)
        hess.value_ = lower_tri.data.astype(float)
        model.hessian_ = hess
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    primal_ok = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float)
    return x, status, h.modelStatusToString(status), primal_ok, float(info.objective_function_value)


def _fix_total(capacity, lower, upper, total) -> np.ndarray:
    """Spread the solver's tiny residual ``total - sum S`` over the sites with room."""
    capacity = capacity.copy()
    residual = total - capacity.sum()
    if residual == 0:
        return capacity
    room = (upper - capacity) if residual > 0 else (capacity - lower)
    unbounded = np.isinf(room)
    if unbounded.any():
        capacity[unbounded] += residual / unbounded.sum()
    elif room.sum() > 0:
        capacity += residual * room / room.sum()
    return capacity


def _qp_result(quad: _Quadratic, capacity, report, model, heuristic, extra) -> EquityResult:
    plan = quad.plan
    access: AccessModel = plan["access"]
    after = access(capacity)
    before_cap = plan["before"]
    before = access(before_cap) if before_cap is not None else np.full(len(after), np.nan)
    chosen = quad.sites.copy()
    if before_cap is not None:
        chosen["capacity_before"] = before_cap
    chosen["capacity_after"] = capacity + 0.0  # no -0.0
    chosen["min_capacity"] = quad.lower
    chosen["max_capacity"] = quad.upper
    totals = common_totals(
        plan["area_ids"],
        plan["population"],
        plan["in_f"],
        before,
        after,
        method=plan["method"],
        catchment=plan["catchment"],
        decay=plan["decay"],
    )
    totals["objective"] = totals["squared_deviation_after"]
    pop = totals["demand_in_objective"]
    totals["variance_before"] = totals["squared_deviation_before"] / pop
    totals["variance_after"] = totals["squared_deviation_after"] / pop
    totals["total_capacity"] = quad.total
    totals["total_capacity_after"] = float(capacity.sum())
    # nothing is bought: capacity is moved between the given sites
    totals.update(money_totals(site_cost=0.0, unit_cost=0.0, budget=None))
    totals["site_only"] = []
    totals.update(extra)
    return EquityResult(
        model=model,
        report=report,
        chosen=chosen,
        areas=equity_areas_frame(plan["area_ids"], plan["population"], plan["in_f"], before, after),
        totals=totals,
        objective_name="population-weighted squared deviation from the mean access, "
        "sum P_i (A_i - Abar)^2",
        heuristic=heuristic,
        _qp=quad,
    )


def _largest_remainder(target, lower, upper, total) -> np.ndarray:
    """Whole capacities near ``target`` within bounds that add up to ``total``."""
    base = np.clip(np.floor(target + 1e-9), lower, upper)
    left = round(float(total - base.sum()))
    frac = target - base
    while left != 0:
        if left > 0:
            room = base < upper
            k = np.flatnonzero(room)[np.argmax(frac[room])]
            base[k] += 1
            frac[k] -= 1
            left -= 1
        else:
            room = base > lower
            k = np.flatnonzero(room)[np.argmin(frac[room])]
            base[k] -= 1
            frac[k] += 1
            left += 1
    return base


def round_and_repair(result: EquityResult, *, max_moves: int | None = None) -> EquityResult:
    """Whole-unit capacities from a :func:`reallocate_capacity_qp` result (a heuristic).

    HiGHS solves no integer QP. This rounds the continuous solution to whole
    numbers keeping the total (largest remainders, within the bounds rounded
    inwards), then repeatedly makes the single-unit move from one site to
    another that lowers ``sum P_i (A_i - Abar)**2`` the most, until no move
    improves it. The result is 1-move locally optimal and never worse than
    the rounding it starts from, but **not proven optimal**: its report has
    status ``"feasible"``, ``solver="heuristic"`` and, as bound, the
    continuous QP optimum (a valid lower bound when HiGHS proved it).

    Parameters
    ----------
    result : EquityResult
        Returned by :func:`reallocate_capacity_qp`; its ``total_capacity``
        must be a whole number.
    max_moves : int, optional
        Stop after this many moves (default: until no move improves).

    Returns
    -------
    EquityResult
        ``heuristic`` True; ``totals["objective_rounded"]`` is the objective
        before the repair, ``totals["moves"]`` the moves made.

    Raises
    ------
    TypeError
        When ``result`` does not come from :func:`reallocate_capacity_qp`.
    InfeasibleModelError
        When the total is not whole, or the whole-number bounds cannot add up to it.
    """
    quad = result._qp
    if not isinstance(quad, _Quadratic):
        raise TypeError("round_and_repair needs the result of reallocate_capacity_qp")
    total = quad.total
    if total != round(total):
        raise InfeasibleModelError(f"total_capacity {total:g} is not a whole number")
    lower = np.ceil(quad.lower - 1e-9)
    upper = np.floor(quad.upper + 1e-9)
    if lower.sum() > total or upper.sum() < total:
        raise InfeasibleModelError(
            f"whole-number bounds cannot add up to {total:g}: minimums sum to {lower.sum():g}, "
            f"maximums to {upper.sum():g}"
        )
    start = time.perf_counter()
    hess = quad.hessian
    capacity = _largest_remainder(np.clip(quad.continuous, lower, upper), lower, upper, total)
    plan = quad.plan
    rounded = access_stats(plan["access"](capacity), plan["population"], plan["in_f"])["sq"]
    current = _f(hess, capacity)
    diag = np.diag(hess)
    pair = diag[:, None] + diag[None, :] - 2 * hess  # d^T H d for d = e_b - e_a
    grad = 2 * hess @ capacity
    moves = 0
    while max_moves is None or moves < max_moves:
        # delta[a, b]: change of f when one unit moves from site a to site b
        delta = grad[None, :] - grad[:, None] + pair
        allowed = (capacity - 1 >= lower)[:, None] & (capacity + 1 <= upper)[None, :]
        np.fill_diagonal(allowed, False)
        if not allowed.any():
            break
        delta = np.where(allowed, delta, np.inf)
        a, b = np.unravel_index(np.argmin(delta), delta.shape)
        if not delta[a, b] < -1e-12 * max(current, 1e-300):
            break
        capacity[a] -= 1
        capacity[b] += 1
        grad += 2 * (hess[:, b] - hess[:, a])
        current = _f(hess, capacity)
        moves += 1
    seconds = time.perf_counter() - start
    bound = quad.continuous_objective
    report = SolveReport(
        solver="heuristic",
        status="feasible",
        objective=current,
        best_bound=bound,
        gap=None if bound is None else abs(current - bound) / max(abs(current), 1e-10),
        seconds=seconds,
        sense="minimize",
    )
    extra = {
        "highs_model_status": result.totals.get("highs_model_status"),
        "sites_without_population": result.totals.get("sites_without_population", ()),
        "heuristic": True,
        "objective_rounded": rounded,
        "continuous_objective": bound,
        "moves": moves,
    }
    return _qp_result(
        quad,
        capacity,
        report,
        "capacity reallocation (whole units: rounded continuous QP + single-unit moves, heuristic)",
        True,
        extra,
    )
