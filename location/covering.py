"""Covering models: minimum-cost cover and location set covering (LSCP)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pulp

from accessplan.data.errors import ProblemCollector
from accessplan.location.coverage_base import (
    MclpReduction,
    add_row,
    affine,
    binary_values,
    candidate_ids_at,
    coverage_explanation,
    coverage_result,
    covered_groups,
    is_number,
    nothing_to_choose,
    penalty_bound,
    prepare_instance,
    reduce_mclp,
    rescore,
    run_model,
    solver_options_from,
    trivial_report,
)
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolverOptions
from accessplan.location.uniqueness import check_other_plan, not_checked

__all__ = ["min_cost_cover", "set_cover"]


# ============================================================ minimum-cost cover


def min_cost_cover(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None = None,
    catchment_minutes: float,
    target_share: float,
    solver_options: SolverOptions | Mapping | None = None,
    merge_demand: bool = True,
    check_unique: bool = False,
    demand_label: str = "people",
) -> LocationResult:
    """Cheapest set of new sites covering at least ``target_share`` of the demand.

    Coverage is as in :func:`~accessplan.location.coverage.maximize_coverage` (existing sites count); new
    sites open with ``min_units`` at ``site_cost + unit_cost * min_units``.

    Parameters
    ----------
    od, demand, candidates, existing, catchment_minutes, solver_options, merge_demand
        As in :func:`~accessplan.location.coverage.maximize_coverage`; candidates need ``site_cost`` and/or
        ``unit_cost``.
    target_share : float
        Share of the total demand (need-weighted population) to cover, in (0, 1].
    check_unique : bool, default False
        As in :func:`~accessplan.location.coverage.maximize_coverage`, keeping the cost (there is no
        tie-break between plans of equal cost: the solver's choice).
    demand_label : str, default "people"
        What the demand counts (e.g. "people aged 65+"), used in the text of
        ``result.explanation``.

    Returns
    -------
    LocationResult
        ``report.objective`` is the cost of the new sites; ``totals`` adds
        ``target_share`` and ``target``; ``budget_dual`` is None (no budget).

    Raises
    ------
    InfeasibleModelError
        Before any solve, when even every candidate open (with the existing
        sites) cannot reach the target; the message gives the best share.
    InputValidationError, SolverError
        As in :func:`~accessplan.location.coverage.maximize_coverage`.
    """
    model = "min_cost_cover"
    problems = ProblemCollector(what=f"{model} inputs")
    if not (is_number(target_share) and 0 < target_share <= 1):
        problems.add(f"target_share must be a number in (0, 1], got {target_share!r}")
    options = solver_options_from(solver_options)
    inst = prepare_instance(
        problems,
        od,
        demand,
        candidates,
        existing,
        catchment_minutes=catchment_minutes,
        need_costs=True,
    )
    pop = inst.population
    target = float(target_share) * pop
    tol = 1e-9 * max(1.0, pop)
    reach = inst.covered_before | (np.diff(inst.cover.indptr) > 0)
    best = float(inst.demand[reach].sum())
    if best < target - tol:
        share = best / pop if pop > 0 else 0.0
        raise InfeasibleModelError(
            f"{model}: even with every candidate open only {best:,.6g} of {pop:,.6g} "
            f"({share:.2%}) is within {catchment_minutes:g} of a site; the target "
            f"{float(target_share):.2%} needs {target:,.6g}"
        )
    red = reduce_mclp(inst, None, None, merge=merge_demand)
    required = target - red.constant - tol
    extra = {"target_share": float(target_share), "target": target}
    if required <= 0 or red.matrix.shape[1] == 0:
        report = trivial_report(options, 0.0, "minimize")
        why = coverage_explanation(
            inst,
            None,
            None,
            objective_name="the cost",
            target=(red.constant, target),
            demand_label=demand_label,
        )
        return coverage_result(
            model,
            inst,
            np.array([], dtype=int),
            np.array([]),
            report,
            "cost",
            None,
            explanation=why,
            uniqueness=nothing_to_choose() if check_unique else None,
            **extra,
        )
    n_groups, n_sites = red.matrix.shape
    problem = pulp.LpProblem(model, pulp.LpMinimize)
    x = [pulp.LpVariable(f"open_{k}", cat=pulp.LpBinary) for k in range(n_sites)]
    y = [pulp.LpVariable(f"y_{g}", lowBound=0, upBound=1) for g in range(n_groups)]
    ip, ind = red.matrix.indptr, red.matrix.indices
    for g in range(n_groups):
        pairs = [(x[k], -1.0) for k in ind[ip[g] : ip[g + 1]].tolist()]
        pairs.append((y[g], 1.0))
        add_row(problem, pairs, pulp.LpConstraintLE, 0.0, f"cover_{g}")
    add_row(
        problem,
        list(zip(y, red.weight.tolist(), strict=True)),
        pulp.LpConstraintGE,
        required,
        "target",
    )
    problem.setObjective(affine(list(zip(x, red.cost.tolist(), strict=True))))
    report = run_model(problem, options, model, "coverage target")
    is_open = binary_values(x)
    picks = np.sort(red.keep[np.flatnonzero(is_open)]).astype(int)
    units = inst.min_units[picks]
    cost = float(inst.min_cost[picks].sum())
    report = rescore(report, cost, report.best_bound)
    uniqueness = None
    if check_unique and not report.proven_optimal:
        uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
    elif check_unique:
        cost_tol = 1e-9 * max(1.0, cost)

        def verify(mask):
            again = red.constant + float(
                red.weight[covered_groups(red.matrix, np.flatnonzero(mask))].sum()
            )
            return again >= target - tol and float(red.cost[mask].sum()) <= cost + cost_tol

        uniqueness = check_other_plan(
            problem,
            x,
            is_open,
            candidate_ids_at(inst, red.keep),
            keep=[
                (list(zip(x, red.cost.tolist(), strict=True)), pulp.LpConstraintLE, cost + cost_tol)
            ],
            options=options,
            verify=verify,
            objective_name="cost (reaching the target)",
        )
    return coverage_result(
        model, inst, picks, units, report, "cost", None, uniqueness=uniqueness, **extra
    )


# ============================================================ set cover (LSCP)


def set_cover(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    catchment_minutes: float,
    existing: pd.DataFrame | None = None,
    allow_uncovered: bool = False,
    solver_options: SolverOptions | Mapping | None = None,
    check_unique: bool = False,
    demand_label: str = "people",
) -> LocationResult:
    """Location set covering (LSCP): the fewest new sites covering every reachable area.

    Every area with positive demand that no existing site covers, and that at
    least one candidate reaches within ``catchment_minutes``, must end within
    the catchment of a new site. Among plans with the fewest sites the
    cheapest (``site_cost + unit_cost * min_units``) is preferred (exact
    penalty: the site count is a whole number). Identical coverage rows are
    merged.

    Parameters
    ----------
    od, demand, candidates, existing, catchment_minutes, solver_options
        As in :func:`~accessplan.location.coverage.maximize_coverage`.
    allow_uncovered : bool, default False
        Areas with positive demand that no site (existing or candidate) can
        reach make the request impossible: raise, unless this is True, in
        which case they are left out and reported (``areas["coverable"]``,
        ``totals["uncoverable_areas"]`` and ``totals["uncoverable_demand"]``).
    check_unique : bool, default False
        As in :func:`~accessplan.location.coverage.maximize_coverage`, keeping the number of sites and the
        cost.
    demand_label : str, default "people"
        What the demand counts (e.g. "people aged 65+"), used in the text of
        ``result.explanation``.

    Returns
    -------
    LocationResult
        ``report.objective`` is the number of new sites.

    Raises
    ------
    InfeasibleModelError
        Some areas cannot be reached and ``allow_uncovered`` is False; the
        message counts them and names the first ids.
    """
    model = "set_cover"
    problems = ProblemCollector(what=f"{model} inputs")
    options = solver_options_from(solver_options)
    inst = prepare_instance(
        problems, od, demand, candidates, existing, catchment_minutes=catchment_minutes
    )
    d = inst.demand
    coverable = inst.covered_before | (np.diff(inst.cover.indptr) > 0)
    lost = (d > 0) & ~coverable
    if lost.any() and not allow_uncovered:
        ids = ", ".join(str(i) for i in inst.area_ids[lost][:10])
        more = f" (+{int(lost.sum()) - 10} more)" if lost.sum() > 10 else ""
        raise InfeasibleModelError(
            f"{model}: {int(lost.sum())} area(s) with positive demand ({d[lost].sum():,.6g} in "
            f"all) are beyond {catchment_minutes:g} of every site: {ids}{more}; pass "
            "allow_uncovered=True to cover the rest"
        )
    extra = {"uncoverable_areas": int(lost.sum()), "uncoverable_demand": float(d[lost].sum())}
    red = reduce_mclp(inst, None, None, merge=True)
    n_groups, n_sites = red.matrix.shape
    uniqueness = None
    if n_groups == 0:
        report = trivial_report(options, 0.0, "minimize")
        picks = np.array([], dtype=int)
        if check_unique:
            uniqueness = nothing_to_choose()
    else:
        problem = pulp.LpProblem(model, pulp.LpMinimize)
        x = [pulp.LpVariable(f"open_{k}", cat=pulp.LpBinary) for k in range(n_sites)]
        ip, ind = red.matrix.indptr, red.matrix.indices
        for g in range(n_groups):
            add_row(
                problem,
                [(x[k], 1.0) for k in ind[ip[g] : ip[g + 1]].tolist()],
                pulp.LpConstraintGE,
                1.0,
                f"cover_{g}",
            )
        total = float(red.cost.sum())
        eps = 0.5 / total if total > 0 else 0.0
        problem.setObjective(
            affine([(x[k], 1.0 + eps * c) for k, c in enumerate(red.cost.tolist())])
        )
        report = run_model(problem, options, model, "set cover")
        is_open = binary_values(x)
        picks = np.sort(red.keep[np.flatnonzero(is_open)]).astype(int)
        n_sites = float(len(picks))
        report = rescore(
            report, n_sites, penalty_bound(report, 0.5 if eps else 0.0, False, objective=n_sites)
        )
        if check_unique and not report.proven_optimal:
            uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
        elif check_unique:
            uniqueness = _set_cover_uniqueness(
                problem, x, red, is_open, options, candidate_ids_at(inst, red.keep)
            )
    why = coverage_explanation(
        inst, None, None, objective_name="the number of new sites", demand_label=demand_label
    )
    result = coverage_result(
        model,
        inst,
        picks,
        inst.min_units[picks],
        report,
        "number of new sites",
        None,
        explanation=why,
        uniqueness=uniqueness,
        **extra,
    )
    areas = result.areas.assign(coverable=coverable)
    return dataclasses.replace(result, areas=areas)


def _set_cover_uniqueness(problem, x, red: MclpReduction, is_open, options, ids) -> dict:
    """No-good re-solve: another cover with as few sites and no higher cost?"""
    n_open = int(is_open.sum())
    cost = float(red.cost[is_open].sum())
    cost_tol = 1e-9 * max(1.0, cost)
    keep = [([(v, 1.0) for v in x], pulp.LpConstraintLE, n_open + 0.5)]
    spend = [(x[k], c) for k, c in enumerate(red.cost.tolist()) if c > 0]
    if spend:
        keep.append((spend, pulp.LpConstraintLE, cost + cost_tol))

    def verify(mask):
        covers = covered_groups(red.matrix, np.flatnonzero(mask)).all()
        return (
            bool(covers) and mask.sum() <= n_open and float(red.cost[mask].sum()) <= cost + cost_tol
        )

    return check_other_plan(
        problem,
        x,
        is_open,
        ids,
        keep=keep,
        options=options,
        verify=verify,
        objective_name="number of new sites",
        tie_break="the lowest cost",
    )
