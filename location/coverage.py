"""Coverage location models: maximal coverage, capacitated coverage, minimum-cost cover, set cover.

Every model reads the sparse OD table (``origin_id, site_id, minutes``), keeps the
pairs within ``catchment_minutes`` and builds a PuLP model from a scipy.sparse
coverage matrix (areas x candidate sites), one constraint per distinct demand row,
then solves through :func:`accessplan.location.solver.solve`.

Shared reductions (each keeps the optimum):

* Areas already within the catchment of an existing site are constants of the
  objective (no variable), as are areas no candidate can reach.
* Areas with identical sets of covering candidates are merged into one demand
  point whose demand is their sum (an area's coverage depends only on that set).
* Candidates that cover no remaining demand, or whose minimum cost
  (``site_cost + unit_cost * min_units``) exceeds the money left, are left out.

Tie-breaking toward cheaper plans (:func:`maximize_coverage`,
:func:`capacitated_coverage`, :func:`set_cover`): when every number that makes
up the objective is a whole number (people, units, people per unit, or sites),
the objective of any plan is a whole number, so subtracting
``eps * cost`` with ``eps * (largest possible plan cost) = 0.5`` cannot change
which objective value is optimal: it only orders plans of equal objective by
cost. The reported objective and bound are the model's own (coverage, served
demand, number of sites), with the bound rounded to the whole number it
implies. When the objective is not integral (fractional need weights), the
model is solved lexicographically instead: first the objective, then the
cheapest plan that keeps it to within a relative 1e-7 (second solve,
warm-started from the first; skipped when the first was not proven optimal).

Speed (10,000 areas x 500 candidates, p = 10, about 5 % of pairs within the
catchment; 2 shared cores): building the model takes 0.2-0.7 s. Points and
sites scattered in a square (coverage = a radius) merge to 6,337 demand rows
and solve to proven optimality in 2.4-3.1 s with CBC, 7-10 s with HiGHS and
``lp_method="ipm"``, 18-22 s with HiGHS's default simplex. Uniformly random
coverage sets leave a 20 % gap at the root (LP bound 2.65 M, best plans about
2.2 M) that no solver closes in minutes; there the greedy warm start gives the
incumbent (HiGHS without it: 2.02 M after 60 s) and ``lp_method="ipm"`` gives a
real bound within about 10 s where simplex had not finished the root LP in 180 s.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from accessplan.data.errors import ProblemCollector
from accessplan.location.capacitated import capacitated_coverage
from accessplan.location.coverage_base import (
    OD_COLUMNS,
    CoverageInstance,
    MclpReduction,
    add_row,
    affine,
    all_integral,
    binary_values,
    candidate_ids_at,
    check_scalar,
    coverage_explanation,
    coverage_result,
    covered_groups,
    money_left,
    nothing_to_choose,
    penalty_bound,
    prepare_instance,
    reduce_mclp,
    rescore,
    run_model,
    solver_options_from,
    trivial_report,
)
from accessplan.location.covering import min_cost_cover, set_cover
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolveReport, SolverOptions, solve
from accessplan.location.uniqueness import check_other_plan, not_checked

__all__ = [
    "OD_COLUMNS",
    "capacitated_coverage",
    "greedy_coverage",
    "maximize_coverage",
    "min_cost_cover",
    "set_cover",
]


# ============================================================ maximal coverage


def _greedy(matrix: sp.csr_matrix, weight, cost, money, max_new_sites) -> list[int]:
    """Greedy picks: most new demand (per unit cost under a budget); then the best single site."""
    n = matrix.shape[1]
    if n == 0 or max_new_sites == 0:
        return []
    csc = matrix.tocsc()
    gain = np.asarray(matrix.T @ weight, dtype=float).ravel()
    start_gain = gain.copy()
    alive = np.ones(n, dtype=bool)
    uncovered = np.ones(matrix.shape[0], dtype=bool)
    remaining = math.inf if money is None else float(money)
    tol = 1e-9 * max(1.0, float(weight.sum()))
    picks: list[int] = []
    total = 0.0
    while max_new_sites is None or len(picks) < max_new_sites:
        ok = alive & (gain > tol) & (cost <= remaining + 1e-9 * max(1.0, abs(remaining)))
        if not ok.any():
            break
        idx = np.flatnonzero(ok)
        if money is None:
            score = gain[idx]
        else:
            with np.errstate(divide="ignore"):
                score = np.where(
                    cost[idx] > 0, gain[idx] / np.where(cost[idx] > 0, cost[idx], 1), np.inf
                )
        # highest score, then highest gain, then lowest cost
        order = np.lexsort((-cost[idx], gain[idx], score))
        k = int(idx[order[-1]])
        picks.append(k)
        total += gain[k]
        alive[k] = False
        remaining -= cost[k]
        rows = csc.indices[csc.indptr[k] : csc.indptr[k + 1]]
        rows = rows[uncovered[rows]]
        uncovered[rows] = False
        if len(rows):
            gain -= np.asarray(matrix[rows].T @ weight[rows]).ravel()
    if money is not None:
        affordable = np.flatnonzero(cost <= money + 1e-9 * max(1.0, abs(money)))
        if len(affordable):
            best = int(affordable[np.argmax(start_gain[affordable])])
            if start_gain[best] > total + tol:
                picks = [best]
    return picks


def _check_mclp_scalars(problems, budget, max_new_sites):
    check_scalar(problems, "budget", budget)
    if max_new_sites is not None and not (
        isinstance(max_new_sites, numbers.Integral)
        and not isinstance(max_new_sites, bool)
        and max_new_sites >= 0
    ):
        problems.add(f"max_new_sites must be a whole number >= 0, got {max_new_sites!r}")


def greedy_coverage(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None = None,
    catchment_minutes: float,
    budget: float | None = None,
    max_new_sites: int | None = None,
    demand_label: str = "people",
) -> LocationResult:
    """Greedy maximal coverage: a fast plan with no optimality proof.

    Picks, one at a time, the affordable candidate adding the most uncovered
    demand (per unit of minimum cost when a budget is given; ties go to the
    larger gain, then the cheaper site), until ``max_new_sites`` or the budget
    is reached or nothing adds demand. Under a budget the best single
    affordable site replaces the greedy plan when it covers more (the usual
    guard of budgeted greedy). Sites open with ``min_units``.

    Parameters
    ----------
    od, demand, candidates, existing, catchment_minutes, budget, max_new_sites, demand_label
        As in :func:`maximize_coverage`.

    Returns
    -------
    LocationResult
        ``report.solver`` is ``"greedy"``, ``report.status`` ``"feasible"``
        (never proven optimal) and ``report.best_bound`` None.
    """
    problems = ProblemCollector(what="greedy_coverage inputs")
    _check_mclp_scalars(problems, budget, max_new_sites)
    inst = prepare_instance(
        problems,
        od,
        demand,
        candidates,
        existing,
        catchment_minutes=catchment_minutes,
        need_costs=budget is not None,
    )
    money = money_left("greedy_coverage", inst, budget)
    start = time.perf_counter()
    red = reduce_mclp(inst, money, max_new_sites, merge=True)
    local = _greedy(red.matrix, red.weight, red.cost, money, max_new_sites)
    seconds = time.perf_counter() - start
    picks = np.sort(red.keep[local]).astype(int)
    units = inst.min_units[picks]
    covered = red.constant + float(red.weight[covered_groups(red.matrix, local)].sum())
    report = SolveReport(
        solver="greedy",
        status="feasible",
        objective=covered,
        best_bound=None,
        gap=None,
        seconds=seconds,
        sense="maximize",
    )
    why = coverage_explanation(
        inst,
        money,
        budget,
        objective_name="the covered demand",
        requested_sites=max_new_sites,
        demand_label=demand_label,
    )
    return coverage_result(
        "greedy_coverage",
        inst,
        picks,
        units,
        report,
        "covered demand",
        budget,
        explanation=why,
    )


def _build_mclp(red: MclpReduction, max_new_sites, eps: float):
    """PuLP model: max sum w_g y_g (+ constant) - eps * cost; y_g <= sum of its open sites."""
    n_groups, n_sites = red.matrix.shape
    problem = pulp.LpProblem("maximize_coverage", pulp.LpMaximize)
    x = [pulp.LpVariable(f"open_{k}", cat=pulp.LpBinary) for k in range(n_sites)]
    y = [pulp.LpVariable(f"y_{g}", lowBound=0, upBound=1) for g in range(n_groups)]
    ip, ind = red.matrix.indptr, red.matrix.indices
    for g in range(n_groups):
        pairs = [(x[k], -1.0) for k in ind[ip[g] : ip[g + 1]].tolist()]
        pairs.append((y[g], 1.0))
        add_row(problem, pairs, pulp.LpConstraintLE, 0.0, f"cover_{g}")
    objective = list(zip(y, red.weight.tolist(), strict=True))
    if eps > 0:
        objective += [(x[k], -eps * c) for k, c in enumerate(red.cost.tolist()) if c > 0]
    problem.setObjective(affine(objective, constant=red.constant))
    if max_new_sites is not None and max_new_sites < n_sites:
        add_row(problem, [(v, 1.0) for v in x], pulp.LpConstraintLE, float(max_new_sites), "sites")
    if red.money is not None:
        spend = [(x[k], c) for k, c in enumerate(red.cost.tolist()) if c > 0]
        if spend:
            add_row(problem, spend, pulp.LpConstraintLE, float(red.money), "budget")
    return problem, x, y


def maximize_coverage(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None = None,
    catchment_minutes: float,
    budget: float | None = None,
    max_new_sites: int | None = None,
    solver_options: SolverOptions | Mapping | None = None,
    merge_demand: bool = True,
    warm_start: bool = True,
    initial_sites=None,
    check_unique: bool = False,
    demand_label: str = "people",
) -> LocationResult:
    """Maximal covering location (MCLP): open sites so the most demand is within reach.

    An area counts as covered when at least one open site (existing or new) is
    within ``catchment_minutes`` of it in the OD table. Existing sites are
    fixed open. New sites cost ``site_cost + unit_cost * units`` with
    ``min_units <= units <= max_units``; units do not change coverage, so an
    optimal plan opens each site with ``min_units`` (any plan with more units
    costs at least as much and covers the same): the unit variables are
    substituted out exactly. Without costs and with ``max_new_sites = p`` this
    is the classic MCLP of Church and ReVelle (spopt's ``MCLP`` with ``p``).

    Parameters
    ----------
    od : pandas.DataFrame
        ``origin_id, site_id, minutes``; pairs beyond the catchment, unknown
        areas and unknown sites are ignored.
    demand : pandas.Series
        Demand (population or need weight, >= 0) indexed by area id.
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        ``site_id`` and, when costs matter, ``site_cost``, ``unit_cost``,
        ``min_units``, ``max_units`` (missing cost columns count as 0, missing
        ``min_units`` as 0, missing ``max_units`` as ``min_units``).
    existing : pandas.DataFrame, optional
        ``site_id`` of the sites already open; an optional ``committed_cost``
        column is money already committed to them, taken from the budget.
    catchment_minutes : float
        Coverage radius in the OD table's unit.
    budget : float, optional
        Money for new sites (and commitments); no limit when None.
    max_new_sites : int, optional
        At most this many new sites.
    solver_options : SolverOptions or mapping, optional
        Solver, time limit, gap, threads.
    merge_demand : bool, default True
        Merge areas with identical sets of covering candidates (same optimum,
        smaller model).
    warm_start : bool, default True
        Give the solver the :func:`greedy_coverage` plan as a MIP start (CBC
        through PuLP's ``warmStart``; HiGHS through ``Highs.setSolution``).
    initial_sites : iterable of candidate ids, optional
        A plan to start from (e.g. the optimum at the next smaller budget of a
        sweep, still feasible when the budget grows). With ``warm_start`` it is
        the MIP start when it fits the budget and ``max_new_sites`` and covers
        at least as much as the greedy plan; otherwise the greedy plan is.
        ``totals["warm_start"]`` says which start was used (``"initial_sites"``,
        ``"greedy"`` or None) and ``totals["start_objective"]`` its covered
        demand. Ids that are not candidates are an input error.
    check_unique : bool, default False
        After a proven optimum, solve once more with a no-good cut excluding
        the chosen set of sites, the objective kept within tolerance and the
        cost no higher (the tie-break): ``result.uniqueness["unique"]`` is
        False (with ``"alternative"``, another optimal set) when another set
        of sites scores the same, True when none does, None when the re-solve
        (time limit at most
        :data:`accessplan.location.uniqueness.UNIQUE_TIME_LIMIT_S`) settled
        nothing. ``result.uniqueness`` is None when not checked.
    demand_label : str, default "people"
        What the demand counts (e.g. "people aged 65+"), used in the text of
        ``result.explanation``.

    Returns
    -------
    LocationResult
        ``totals`` carry the money keys of
        :func:`accessplan.location.result.money_totals` and ``site_only``;
        ``chosen["site_only"]`` flags sites opened with 0 units;
        ``result.explanation`` says why when nothing is opened
        (:func:`accessplan.location.explain.explain_empty_plan`).
        ``report.objective`` is the covered demand (existing + new);
        ``totals["unaffordable"]`` counts candidates whose minimum cost
        exceeds the money left (they cannot open); ``budget_dual`` is None: the budget pays only for integer site
        decisions that, once fixed, leave nothing for money to buy (the value
        of more money is a step function; re-run with a larger budget).

    Raises
    ------
    InputValidationError
        Every problem in the inputs, at once.
    InfeasibleModelError
        The budget is below the money committed to existing sites.
    SolverError
        The solver stopped without any solution.

    Notes
    -----
    Ties are broken toward cheaper plans (see the module notes): a penalty
    ``eps * cost`` with ``eps * max plan cost = 0.5`` when all demand is
    whole numbers, a second solve otherwise.

    With HiGHS, ``SolverOptions(solver="highs", lp_method="ipm")`` solved the
    root LP of large instances several times faster than the default simplex;
    CBC was the fastest on spatially structured instances (module notes).
    """
    problems = ProblemCollector(what="maximize_coverage inputs")
    _check_mclp_scalars(problems, budget, max_new_sites)
    options = solver_options_from(solver_options)
    initial = _initial_ids(problems, initial_sites)
    inst = prepare_instance(
        problems,
        od,
        demand,
        candidates,
        existing,
        catchment_minutes=catchment_minutes,
        need_costs=budget is not None,
    )
    initial_pos = _initial_positions(problems, inst, initial)
    money = money_left("maximize_coverage", inst, budget)
    red = reduce_mclp(inst, money, max_new_sites, merge=merge_demand)
    model = "maximize_coverage"
    n_groups, n_sites = red.matrix.shape
    why = coverage_explanation(
        inst,
        money,
        budget,
        objective_name="the covered demand",
        requested_sites=max_new_sites,
        demand_label=demand_label,
    )
    if n_groups == 0 or n_sites == 0:
        report = trivial_report(options, red.constant, "maximize")
        return coverage_result(
            model,
            inst,
            np.array([], dtype=int),
            np.array([]),
            report,
            "covered demand",
            budget,
            explanation=why,
            uniqueness=nothing_to_choose() if check_unique else None,
            unaffordable=int(_unaffordable(inst, money)),
            warm_start=None,
            start_objective=None,
        )
    plan_max = float(red.cost.sum()) if money is None else min(float(red.cost.sum()), money)
    integral = all_integral(red.weight)
    eps = 0.5 / plan_max if (integral and plan_max > 0) else 0.0
    problem, x, y = _build_mclp(red, max_new_sites, eps)
    run_options = options
    start, start_kind, start_value = [], None, None
    if warm_start:
        start = _greedy(red.matrix, red.weight, red.cost, money, max_new_sites)
        start_kind = "greedy"
        start_value = red.constant + float(
            red.weight[covered_groups(red.matrix, np.asarray(start, dtype=int))].sum()
        )
        given = _local_start(red, initial_pos, money, max_new_sites)
        if given is not None:
            value = red.constant + float(
                red.weight[covered_groups(red.matrix, np.asarray(given, dtype=int))].sum()
            )
            if value >= start_value:
                start, start_kind, start_value = given, "initial_sites", value
        _set_start(x, y, red.matrix, start)
        run_options = dataclasses.replace(options, warm_start=True)
    report = run_model(problem, run_options, model, "check the budget and max_new_sites")
    is_open = binary_values(x)
    covered = red.constant + float(
        red.weight[covered_groups(red.matrix, np.flatnonzero(is_open))].sum()
    )
    if warm_start and not report.proven_optimal and start:
        # CBC through PuLP can misread a maximisation's MIP start (it compares the start's
        # cost with the wrong sign) and stop on a plan worse than the start it was given:
        # never return less than the start.
        from_start = start_value
        if from_start > covered:
            is_open = np.zeros(len(x), dtype=bool)
            is_open[np.asarray(start)] = True
            covered = from_start
    if integral:
        report = rescore(
            report, covered, penalty_bound(report, eps * plan_max, maximize=True, objective=covered)
        )
    else:
        report = rescore(report, covered, report.best_bound)
        if report.proven_optimal and plan_max > 0:
            report, is_open = _cheapest_keeping(problem, x, y, red, covered, report, run_options)
    uniqueness = None
    if check_unique:
        uniqueness = _mclp_uniqueness(
            problem, x, y, red, is_open, covered, report, options, candidate_ids_at(inst, red.keep)
        )
    picks = np.sort(red.keep[np.flatnonzero(is_open)]).astype(int)
    units = inst.min_units[picks]
    return coverage_result(
        model,
        inst,
        picks,
        units,
        report,
        "covered demand",
        budget,
        explanation=why,
        uniqueness=uniqueness,
        unaffordable=int(_unaffordable(inst, money)),
        warm_start=start_kind,
        start_objective=start_value,
    )


def _initial_ids(problems: ProblemCollector, initial_sites) -> list | None:
    """The ids of ``initial_sites`` as a list (None when not given)."""
    if initial_sites is None:
        return None
    if isinstance(initial_sites, str | bytes) or not hasattr(initial_sites, "__iter__"):
        problems.add(
            f"initial_sites must be a list of candidate ids, got {type(initial_sites).__name__}"
        )
        return None
    return list(initial_sites)


def _initial_positions(problems, inst: CoverageInstance, initial) -> np.ndarray | None:
    """Positions of the initial sites among the candidates; unknown ids are input errors."""
    if initial is None:
        return None
    ids = pd.Index(inst.candidates["site_id"])
    pos = ids.get_indexer(pd.Index(initial)) if ids.is_unique else np.full(len(initial), -1)
    if (pos < 0).any():
        problems.add(
            "initial_sites names site ids that are not candidates",
            source="initial_sites",
            rows=tuple(str(s) for s, p in zip(initial, pos, strict=True) if p < 0),
        )
        problems.raise_if_any()
    return np.unique(pos)


def _local_start(red: MclpReduction, positions, money, max_new_sites) -> list | None:
    """The initial sites as positions in the reduced model, or None when they do not fit.

    Sites the reduction dropped (covering nothing left to cover) are left closed:
    they could only add cost. None when the plan exceeds the money or the site limit.
    """
    if positions is None:
        return None
    local = np.flatnonzero(np.isin(red.keep, positions))
    if max_new_sites is not None and len(local) > max_new_sites:
        return None
    if money is not None:
        spent = float(red.cost[local].sum())
        if spent > money + 1e-9 * max(1.0, abs(money)):
            return None
    return local.tolist()


def _mclp_uniqueness(problem, x, y, red: MclpReduction, is_open, covered, report, options, ids):
    """No-good re-solve: another set of sites covering as much at no higher cost?"""
    if not report.proven_optimal:
        return not_checked("Uniqueness not checked: the optimum was not proven.")
    cost = float(red.cost[is_open].sum())
    integral = all_integral(red.weight)
    tol = 0.5 if integral else 1e-7 * max(1.0, abs(covered))
    cost_tol = 1e-9 * max(1.0, cost)
    keep = [
        (
            list(zip(y, red.weight.tolist(), strict=True)),
            pulp.LpConstraintGE,
            covered - red.constant - tol,
        )
    ]
    spend = [(x[k], c) for k, c in enumerate(red.cost.tolist()) if c > 0]
    if spend:
        keep.append((spend, pulp.LpConstraintLE, cost + cost_tol))

    def verify(mask):
        again = red.constant + float(
            red.weight[covered_groups(red.matrix, np.flatnonzero(mask))].sum()
        )
        exact = 1e-9 * max(1.0, abs(covered))
        return again >= covered - exact and float(red.cost[mask].sum()) <= cost + cost_tol

    return check_other_plan(
        problem,
        x,
        is_open,
        ids,
        keep=keep,
        options=options,
        verify=verify,
        objective_name="covered demand",
        tie_break="the lowest cost",
    )


def _unaffordable(inst: CoverageInstance, money) -> int:
    if money is None:
        return 0
    return int((inst.min_cost > money + 1e-9 * max(1.0, abs(money))).sum())


def _set_start(x, y, matrix, local_picks) -> None:
    """Initial values: the picked sites open, the groups they cover covered."""
    chosen = np.zeros(len(x), dtype=bool)
    chosen[list(local_picks)] = True
    covered = covered_groups(matrix, local_picks)
    for v, on in zip(x, chosen.tolist(), strict=True):
        v.setInitialValue(1.0 if on else 0.0)
    for v, on in zip(y, covered.tolist(), strict=True):
        v.setInitialValue(1.0 if on else 0.0)


def _cheapest_keeping(problem, x, y, red: MclpReduction, covered: float, report, options):
    """Second, lexicographic solve: the cheapest plan covering what the first solve covered."""
    first = binary_values(x)
    tol = 1e-7 * max(1.0, abs(covered))
    add_row(
        problem,
        list(zip(y, red.weight.tolist(), strict=True)),
        pulp.LpConstraintGE,
        covered - red.constant - tol,
        "keep_coverage",
    )
    problem.sense = pulp.LpMinimize
    problem.setObjective(affine([(x[k], c) for k, c in enumerate(red.cost.tolist())]))
    second = solve(problem, dataclasses.replace(options, warm_start=True))
    report = dataclasses.replace(report, seconds=report.seconds + second.seconds)
    if not second.has_solution:
        return report, first
    is_open = binary_values(x)
    again = red.constant + float(
        red.weight[covered_groups(red.matrix, np.flatnonzero(is_open))].sum()
    )
    if again < covered - tol:
        return report, first
    return rescore(report, again, report.best_bound), is_open
