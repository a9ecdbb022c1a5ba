"""Capacitated coverage: choose sites and units so the most demand is served within reach."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from accessplan.data.errors import ProblemCollector
from accessplan.location.coverage_base import (
    add_row,
    affine,
    all_integral,
    binary_values,
    check_scalar,
    chosen_frame,
    coverage_areas_frame,
    coverage_explanation,
    coverage_parts,
    coverage_totals,
    merge_rows,
    money_left,
    penalty_bound,
    prepare_instance,
    rescore,
    run_model,
    solver_options_from,
    trivial_report,
)
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolverOptions, solve
from accessplan.location.uniqueness import check_other_plan, not_checked

__all__ = [
    "capacitated_coverage",
]


# ============================================================ capacitated coverage


def _column_positions(matrix: sp.csr_matrix):
    """Positions (CSR order) of each column's nonzeros: (positions, column pointer)."""
    tagged = sp.csr_matrix(
        (np.arange(1, matrix.nnz + 1, dtype=float), matrix.indices, matrix.indptr),
        shape=matrix.shape,
    ).tocsc()
    return tagged.data.astype(np.int64) - 1, tagged.indptr


def _add_flow(problem, matrix, weight, cap_const, cap_var=None) -> list[pulp.LpVariable]:
    """Assignment variables x_p (one per nonzero of ``matrix``, CSR order) and their rows.

    Row g serves at most ``weight[g]``; column s at most ``cap_const[s] + coef * var``
    where ``cap_var[s] = (var, coef)``.
    """
    x = [pulp.LpVariable(f"x_{p}", lowBound=0) for p in range(matrix.nnz)]
    ip = matrix.indptr
    for g in range(matrix.shape[0]):
        add_row(
            problem,
            [(x[p], 1.0) for p in range(ip[g], ip[g + 1])],
            pulp.LpConstraintLE,
            float(weight[g]),
            f"demand_{g}",
        )
    pos, cp = _column_positions(matrix)
    for s in range(matrix.shape[1]):
        pairs = [(x[p], 1.0) for p in pos[cp[s] : cp[s + 1]].tolist()]
        if not pairs:
            continue
        if cap_var is not None and s in cap_var:
            var, coef = cap_var[s]
            pairs.append((var, -coef))
        add_row(problem, pairs, pulp.LpConstraintLE, float(cap_const[s]), f"capacity_{s}")
    return x


def _flow_solve(name, matrix, weight, caps, options) -> tuple[float, np.ndarray]:
    """Most demand the sites can serve with fixed capacities (people), by LP: (value, x)."""
    if matrix.nnz == 0 or not (caps > 0).any():
        return 0.0, np.zeros(matrix.nnz)
    problem = pulp.LpProblem(name, pulp.LpMaximize)
    x = _add_flow(problem, matrix, weight, caps)
    problem.setObjective(affine([(v, 1.0) for v in x]))
    report = run_model(problem, dataclasses.replace(options, warm_start=False), name, "flow LP")
    return float(report.objective), np.array([max(v.varValue or 0.0, 0.0) for v in x])


def capacitated_coverage(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None,
    catchment_minutes: float,
    people_per_unit: float,
    budget: float,
    solver_options: SolverOptions | Mapping | None = None,
    merge_demand: bool = True,
    check_unique: bool = False,
    demand_label: str = "people",
) -> LocationResult:
    """Capacitated coverage: choose sites and units so the most demand is served within reach.

    Demand of area ``i`` may be assigned (continuously, ``x_ij >= 0``) only to
    sites within ``catchment_minutes``; no area sends more than its demand and
    no site serves more than ``capacity * people_per_unit``. Existing sites are
    open with their ``capacity`` (units); a new site ``j`` opens with integer
    ``units_j`` in ``[min_units_j, max_units_j]`` at cost
    ``site_cost_j + unit_cost_j * units_j``; total cost (plus any
    ``committed_cost`` of existing sites) stays within ``budget``. The
    objective is the demand served.

    Parameters
    ----------
    od, demand, candidates, catchment_minutes, solver_options, merge_demand
        As in :func:`maximize_coverage` (merging areas with identical site
        sets is exact here too: their assignments can be pooled and split
        back in proportion to demand).
    existing : pandas.DataFrame or None
        ``site_id`` and ``capacity`` (units) of the open sites; optional
        ``committed_cost``.
    people_per_unit : float
        Demand one unit serves (> 0).
    budget : float
        Money for new sites and units.

    check_unique : bool, default False
        As in :func:`accessplan.location.coverage.maximize_coverage`, keeping
        the served demand and the cost; unit counts of the same sites are
        not told apart.
    demand_label : str, default "people"
        What the demand counts, for the text of ``result.explanation``.

    Returns
    -------
    LocationResult
        ``report.objective`` is the served demand. ``chosen`` adds ``served``
        and ``capacity_people``; ``marginal_gain`` is the served demand lost
        when only that site is removed and the rest is re-assigned (one LP per
        chosen site). ``areas`` adds ``served`` (each merged group's service
        split in proportion to demand). ``totals`` adds ``served``,
        ``served_before`` (existing sites alone, by LP) and ``served_share``.
        ``budget_dual`` is the dual of the budget row in the LP where the
        chosen sites are fixed open (others closed) and their units are
        relaxed to continuous values in ``[min_units, max_units]``: the served
        demand one more unit of money buys at the margin by adding capacity at
        the chosen sites (0 when capacity is not what limits service).

    Raises
    ------
    InputValidationError, InfeasibleModelError, SolverError
        As in :func:`maximize_coverage`.
    """
    model = "capacitated_coverage"
    problems = ProblemCollector(what=f"{model} inputs")
    check_scalar(problems, "people_per_unit", people_per_unit, strict=True, optional=False)
    check_scalar(problems, "budget", budget, optional=False)
    options = solver_options_from(solver_options)
    inst = prepare_instance(
        problems,
        od,
        demand,
        candidates,
        existing,
        catchment_minutes=catchment_minutes,
        need_costs=True,
        need_capacity=existing is not None,
    )
    money = money_left(model, inst, budget)
    ppu = float(people_per_unit)
    d = inst.demand
    tol_money = 1e-9 * max(1.0, money)
    ex_keep = np.flatnonzero(inst.capacity > 0)
    cand_keep = np.flatnonzero((inst.min_cost <= money + tol_money) & (inst.max_units > 0))
    full = sp.hstack([inst.cover_existing[:, ex_keep], inst.cover[:, cand_keep]], format="csr")
    rows = np.flatnonzero((d > 0) & (np.diff(full.indptr) > 0))
    m, w = full[rows], d[rows]
    m.sort_indices()
    codes = np.arange(len(rows))
    if merge_demand and m.shape[0]:
        m, w, codes = merge_rows(m, w)
    n_ex = len(ex_keep)
    ex_people = ppu * inst.capacity[ex_keep]
    cand_pos = cand_keep
    n_c = len(cand_pos)
    sc, uc = inst.site_cost[cand_pos], inst.unit_cost[cand_pos]
    lo, hi = inst.min_units[cand_pos], inst.max_units[cand_pos]

    # ---- the MIP
    problem = pulp.LpProblem(model, pulp.LpMaximize)
    opened = [pulp.LpVariable(f"open_{k}", cat=pulp.LpBinary) for k in range(n_c)]
    units = [
        pulp.LpVariable(f"units_{k}", lowBound=0, upBound=float(hi[k]), cat=pulp.LpInteger)
        for k in range(n_c)
    ]
    cap_const = np.concatenate([ex_people, np.zeros(n_c)])
    cap_var = {n_ex + k: (units[k], ppu) for k in range(n_c)}
    x = _add_flow(problem, m, w, cap_const, cap_var)
    for k in range(n_c):
        add_row(
            problem,
            [(units[k], 1.0), (opened[k], -float(hi[k]))],
            pulp.LpConstraintLE,
            0.0,
            f"max_units_{k}",
        )
        if lo[k] > 0:
            add_row(
                problem,
                [(units[k], 1.0), (opened[k], -float(lo[k]))],
                pulp.LpConstraintGE,
                0.0,
                f"min_units_{k}",
            )
    spend = [(opened[k], float(sc[k])) for k in range(n_c) if sc[k] > 0]
    spend += [(units[k], float(uc[k])) for k in range(n_c) if uc[k] > 0]
    if spend:
        add_row(problem, spend, pulp.LpConstraintLE, money, "budget")
    plan_max = min(float((sc + uc * hi).sum()), money)
    integral = all_integral(w, ex_people, np.array([ppu]))
    eps = 0.5 / plan_max if (integral and plan_max > 0) else 0.0
    objective = [(v, 1.0) for v in x]
    if eps > 0:
        objective += [(v, -eps * c) for v, c in spend]
    problem.setObjective(affine(objective))
    if m.nnz == 0:
        report = trivial_report(options, 0.0, "maximize")
        is_open, n_units = np.zeros(n_c, bool), np.zeros(n_c)
    else:
        report = run_model(problem, options, model, "check the budget and min_units")
        is_open = binary_values(opened)
        n_units = np.array([round(v.varValue or 0.0) for v in units], dtype=float) * is_open
        served = float(sum(max(v.varValue or 0.0, 0.0) for v in x))
        if integral:
            report = rescore(
                report,
                served,
                penalty_bound(report, eps * plan_max, maximize=True, objective=served),
            )
        elif report.proven_optimal and plan_max > 0:
            report, is_open, n_units = _cheapest_capacity(
                problem, opened, units, x, spend, served, report, options
            )

    # ---- service of the final plan: a maximum flow with its capacities fixed
    caps_after = np.concatenate([ex_people, ppu * n_units])
    served, xv = _flow_solve(f"{model}_after", m, w, caps_after, options)
    uniqueness = None
    if check_unique and m.nnz == 0:
        uniqueness = {
            "unique": True,
            "alternative": None,
            "text": "No candidate can serve anyone within the limits, so the plan opens nothing.",
        }
    elif check_unique and not report.proven_optimal:
        uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
    elif check_unique:
        cost = float((sc * is_open + uc * n_units).sum())
        cost_tol = 1e-9 * max(1.0, cost)
        tol = 0.5 if integral else 1e-7 * max(1.0, served)
        keep = [([(v, 1.0) for v in x], pulp.LpConstraintGE, served - tol)]
        if spend:
            keep.append((spend, pulp.LpConstraintLE, cost + cost_tol))

        def verify(mask):
            alt = np.array([round(v.varValue or 0.0) for v in units], dtype=float) * mask
            caps = np.concatenate([ex_people, ppu * alt])
            again = _flow_solve(f"{model}_alternative", m, w, caps, options)[0]
            alt_cost = float((sc * mask + uc * alt).sum())
            return again >= served - 1e-9 * max(1.0, served) and alt_cost <= cost + cost_tol

        uniqueness = check_other_plan(
            problem,
            opened,
            is_open,
            list(inst.candidates["site_id"].to_numpy()[cand_pos]),
            keep=keep,
            options=options,
            verify=verify,
            objective_name="served demand",
            tie_break="the lowest cost",
        )
    if m.nnz:
        report = rescore(report, served, report.best_bound)
    group_of_nz = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    group_served = np.bincount(group_of_nz, weights=xv, minlength=m.shape[0])
    site_served = np.bincount(m.indices, weights=xv, minlength=m.shape[1])
    area_served = np.zeros(len(d))
    area_served[rows] = group_served[codes] * d[rows] / w[codes]
    open_local = np.flatnonzero(is_open)
    marginal = []
    for k in open_local:
        caps = caps_after.copy()
        caps[n_ex + k] = 0.0
        marginal.append(served - _flow_solve(f"{model}_without_{k}", m, w, caps, options)[0])
    served_before = _flow_solve(
        f"{model}_before", m, w, np.concatenate([ex_people, np.zeros(n_c)]), options
    )[0]
    dual = _capacity_budget_dual(m, w, ex_people, ppu, is_open, sc, uc, lo, hi, money, options)

    picks_all = cand_pos[open_local]
    order = np.argsort(picks_all, kind="stable")
    picks = picks_all[order]
    unit_vals = n_units[open_local][order]
    before, after, newly, _ = coverage_parts(inst, picks)
    chosen = chosen_frame(
        inst,
        picks,
        unit_vals,
        newly,
        np.asarray(marginal, dtype=float)[order],
        extra={"served": site_served[n_ex + open_local][order], "capacity_people": ppu * unit_vals},
    )
    pop = inst.population
    served_total = served
    totals = coverage_totals(
        inst,
        before,
        after,
        picks,
        unit_vals,
        budget,
        served=served_total,
        served_before=served_before,
        served_share=served_total / pop if pop > 0 else 0.0,
        people_per_unit=ppu,
    )
    return LocationResult(
        model=model,
        report=report,
        chosen=chosen,
        areas=coverage_areas_frame(inst, before, after, served=area_served),
        totals=totals,
        budget_dual=dual,
        objective_name="served demand",
        explanation=None
        if len(picks)
        else coverage_explanation(
            inst,
            money,
            budget,
            objective_name="the served demand",
            uncovered=False,
            demand_label=demand_label,
        ),
        uniqueness=uniqueness,
    )


def _cheapest_capacity(problem, opened, units, x, spend, served, report, options):
    """Lexicographic second solve for fractional data: the cheapest plan serving as much.

    The caller re-computes the plan's service as a maximum flow, so the small
    tolerance on the kept service never shows in the reported objective.
    """

    def snapshot():
        is_open = binary_values(opened)
        return is_open, np.array([round(v.varValue or 0.0) for v in units], dtype=float) * is_open

    first = snapshot()
    tol = 1e-7 * max(1.0, abs(served))
    add_row(problem, [(v, 1.0) for v in x], pulp.LpConstraintGE, served - tol, "keep_served")
    problem.sense = pulp.LpMinimize
    problem.setObjective(affine(spend))
    second = solve(problem, dataclasses.replace(options, warm_start=True))
    report = dataclasses.replace(report, seconds=report.seconds + second.seconds)
    if not second.has_solution:
        return (report, *first)
    return (report, *snapshot())


def _capacity_budget_dual(m, w, ex_people, ppu, is_open, sc, uc, lo, hi, money, options):
    """Budget dual with the chosen sites fixed open and their units continuous."""
    if m.nnz == 0:
        return 0.0
    n_ex = len(ex_people)
    open_local = np.flatnonzero(is_open)
    units = {
        k: pulp.LpVariable(f"u_{k}", lowBound=float(lo[k]), upBound=float(hi[k]))
        for k in open_local.tolist()
    }
    cap_const = np.concatenate([ex_people, np.zeros(len(sc))])
    cap_var = {n_ex + k: (v, ppu) for k, v in units.items()}
    problem = pulp.LpProblem("budget_dual", pulp.LpMaximize)
    x = _add_flow(problem, m, w, cap_const, cap_var)
    problem.setObjective(affine([(v, 1.0) for v in x]))
    spend = [(v, float(uc[k])) for k, v in units.items() if uc[k] > 0]
    if not spend:
        return 0.0
    left = money - float(sc[open_local].sum())
    row = add_row(problem, spend, pulp.LpConstraintLE, left, "budget")
    run_model(
        problem, dataclasses.replace(options, warm_start=False), "budget_dual", "restricted LP"
    )
    return abs(float(row.pi or 0.0))
