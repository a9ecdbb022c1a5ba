"""Robust coverage: one set of new sites for several scenarios at once.

Formulation
-----------
Scenarios ``s = 1..S`` share the candidate sites and their costs; each has its
own demand ``d^s`` (e.g. grown by a factor), its own open existing sites (e.g.
with closures) and its own catchment ``c_s`` (its coverage sets ``N^s_i``: the
candidates within ``c_s`` minutes of area ``i`` in the one OD table). With
binary ``x_j`` (candidate ``j`` opens, with its ``min_units``, as in
:func:`accessplan.location.coverage.maximize_coverage`) SHARED by all scenarios
and ``z^s_i in [0, 1]`` (area ``i`` covered in scenario ``s``)::

    z^s_i <= sum_{j in N^s_i} x_j                 every s, every area i not yet covered
    cov_s(x) = (C_s + sum_i d^s_i z^s_i) / T_s    the covered SHARE of scenario s
    sum_j cost_j x_j <= budget - max_s committed_s,   sum_j x_j <= max_new_sites

where ``C_s`` is the demand existing sites already cover in scenario ``s`` and
``T_s`` its total demand. Coverage is compared as a share of each scenario's own
total so that scenarios with different totals (demand growth) weigh alike.

* ``objective="max_min_coverage"``: maximise ``t`` with ``t <= cov_s(x)`` for
  every ``s``: the best worst-case covered share.
* ``objective="min_max_regret"``: first each scenario's own optimum
  ``opt_s`` (:func:`maximize_coverage` on that scenario alone, as a share),
  then minimise ``r`` with ``r >= opt_s - cov_s(x)`` for every ``s``: the
  plan that loses least, in any scenario, against what that scenario's own
  best plan would cover.

Ties are broken by two more solves, each keeping what the previous proved (to
1e-7 in shares): the highest mean share over the scenarios, then the lowest
cost. They run only after a proven optimum. Area reductions as in the MCLP:
areas already covered are constants, areas with identical covering sets are
merged (per scenario).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from accessplan.data.errors import InputValidationError, Problem, ProblemCollector
from accessplan.location.coverage import maximize_coverage
from accessplan.location.coverage_base import (
    CoverageInstance,
    add_row,
    affine,
    binary_values,
    check_scalar,
    chosen_frame,
    coverage_areas_frame,
    coverage_explanation,
    coverage_parts,
    coverage_result,
    coverage_totals,
    covered_groups,
    merge_rows,
    money_left,
    nothing_to_choose,
    prepare_instance,
    rescore,
    run_model,
    solver_options_from,
    trivial_report,
)
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolverOptions, solve
from accessplan.location.uniqueness import check_other_plan, not_checked

__all__ = ["ROBUST_OBJECTIVES", "CoverageScenario", "RobustResult", "robust_coverage"]

#: The objectives :func:`robust_coverage` offers.
ROBUST_OBJECTIVES = ("max_min_coverage", "min_max_regret")

#: Tolerance (in shares) of the rows that keep an objective in the tie-break solves.
KEEP_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class CoverageScenario:
    """One future the robust plan must serve.

    Parameters
    ----------
    name : str
        A unique label, e.g. ``"45 min, growth 1.2, H03 closed"``.
    demand : pandas.Series
        Demand (>= 0) indexed by area id, already grown.
    catchment_minutes : float
        Coverage radius of this scenario, in the OD table's unit.
    existing : pandas.DataFrame, optional
        ``site_id`` of the existing sites open in this scenario (closures
        removed); optional ``committed_cost``.
    """

    name: str
    demand: pd.Series
    catchment_minutes: float
    existing: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class RobustResult(LocationResult):
    """The robust plan, with how it does in each scenario.

    Attributes
    ----------
    model, report, chosen, totals, objective_name, explanation, uniqueness
        As in :class:`accessplan.location.result.LocationResult`.
        ``report.objective`` is the worst-case covered share
        (``max_min_coverage``) or the largest regret in shares
        (``min_max_regret``), recomputed from the plan. ``chosen`` has the
        columns of the coverage models; ``newly_covered`` and
        ``marginal_gain`` are measured in the scenario that sets the
        objective (``totals["binding_scenario"]``).
    areas : pandas.DataFrame
        The binding scenario's areas (``demand``, ``covered_before``,
        ``covered_after``); every scenario's are in ``in_scenario``.
    scenarios : pandas.DataFrame
        One row per scenario: ``scenario``, ``catchment_minutes``,
        ``population``, ``coverage_share_before``, ``coverage_share`` (the
        robust plan), ``own_share`` (the scenario's own optimal plan),
        ``regret`` (``own_share - coverage_share``), ``own_proven_optimal``,
        ``own_gap``, ``own_sites`` (ids joined by ";"), ``own_cost``.
    in_scenario : dict
        Scenario name -> :class:`LocationResult` of the robust plan in that
        scenario (its areas, totals, chosen frame).
    own : dict
        Scenario name -> that scenario's own :func:`maximize_coverage` result.
    objective : str
        ``"max_min_coverage"`` or ``"min_max_regret"``.
    """

    scenarios: pd.DataFrame | None = None
    in_scenario: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)
    objective: str = "max_min_coverage"


# ============================================================ inputs


def _as_scenario(item, k: int, problems: ProblemCollector):
    if isinstance(item, CoverageScenario):
        return item
    if isinstance(item, Mapping):
        unknown = set(item) - {"name", "demand", "catchment_minutes", "existing"}
        missing = {"name", "demand", "catchment_minutes"} - set(item)
        if unknown or missing:
            problems.add(
                f"scenario {k + 1}: needs name, demand, catchment_minutes (and optionally "
                f"existing); missing {sorted(missing)}, unknown {sorted(unknown)}",
                source="scenarios",
            )
            return None
        return CoverageScenario(**item)
    problems.add(
        f"scenario {k + 1} must be a CoverageScenario or a mapping, got {type(item).__name__}",
        source="scenarios",
    )
    return None


def _check_scenarios(scenarios, objective, budget, max_new_sites) -> list[CoverageScenario]:
    problems = ProblemCollector(what="robust_coverage inputs")
    check_scalar(problems, "budget", budget)
    if max_new_sites is not None and not (
        isinstance(max_new_sites, Integral)
        and not isinstance(max_new_sites, bool)
        and max_new_sites >= 0
    ):
        problems.add(f"max_new_sites must be a whole number >= 0, got {max_new_sites!r}")
    if objective not in ROBUST_OBJECTIVES:
        problems.add(f"unknown objective {objective!r}; choose one of {list(ROBUST_OBJECTIVES)}")
    out = []
    if isinstance(scenarios, str | bytes | Mapping) or not isinstance(scenarios, Sequence):
        problems.add(
            f"scenarios must be a list of scenarios, got {type(scenarios).__name__}",
            source="scenarios",
        )
    elif len(scenarios) == 0:
        problems.add("no scenarios given: a robust plan needs at least one", source="scenarios")
    else:
        out = [s for k, item in enumerate(scenarios) if (s := _as_scenario(item, k, problems))]
        names = pd.Index([s.name for s in out])
        if names.has_duplicates:
            problems.add(
                "scenario names are repeated",
                source="scenarios",
                rows=tuple(names[names.duplicated()].unique()),
            )
        bad = [s.name for s in out if not isinstance(s.name, str) or not s.name.strip()]
        if bad:
            problems.add("scenario names must be non-empty strings", source="scenarios", rows=bad)
    problems.raise_if_any()
    return out


def _instances(od, scenarios, candidates, budget) -> list[CoverageInstance]:
    """Each scenario's validated instance; every scenario's problems raised at once."""
    problems = ProblemCollector(what="robust_coverage inputs")
    out = []
    for s in scenarios:
        mine = ProblemCollector(what="robust_coverage inputs")
        try:
            inst = prepare_instance(
                mine,
                od,
                s.demand,
                candidates,
                s.existing,
                catchment_minutes=s.catchment_minutes,
                need_costs=budget is not None,
            )
        except InputValidationError as error:
            problems.extend(
                Problem(f"scenario {s.name!r}: {p.message}", p.source, p.column, p.rows)
                for p in error.problems
            )
            continue
        if not inst.population > 0:
            problems.add(
                f"scenario {s.name!r} has no demand (total 0): its covered share is undefined",
                source="demand",
            )
        out.append(inst)
    problems.raise_if_any()
    return out


# ============================================================ model


@dataclass
class _Part:
    """One scenario's reduced rows over the shared kept candidates."""

    matrix: sp.csr_matrix  # groups x kept candidates
    weight: np.ndarray  # demand of each group / total (shares)
    constant: float  # share already covered by existing sites


def _parts(instances, money, max_new_sites):
    """Shared usable candidates and each scenario's merged rows in shares."""
    cost = instances[0].min_cost
    usable = np.ones(len(cost), dtype=bool)
    if money is not None:
        usable &= cost <= money + 1e-9 * max(1.0, abs(money))
    if max_new_sites == 0:
        usable[:] = False
    cols = np.flatnonzero(usable)
    raw = []
    useful = np.zeros(len(cols), dtype=bool)
    for inst in instances:
        free = (inst.demand > 0) & ~inst.covered_before
        m = inst.cover[free][:, cols].tocsr()
        w = inst.demand[free] / inst.population
        reach = np.diff(m.indptr) > 0
        m, w = m[reach], w[reach]
        useful |= np.asarray((m != 0).sum(axis=0)).ravel() > 0
        raw.append((m, w, float(inst.demand[inst.covered_before].sum()) / inst.population))
    keep = cols[useful]
    parts = []
    for m, w, constant in raw:
        m = m[:, np.flatnonzero(useful)].tocsr()
        m.sort_indices()
        if m.shape[0]:
            m, w, _ = merge_rows(m, w)
        parts.append(_Part(m, np.asarray(w, dtype=float), constant))
    return keep, cost[keep], parts


def _share_terms(part: _Part, z) -> list:
    return list(zip(z, part.weight.tolist(), strict=True))


def _build(parts, cost, money, max_new_sites, objective, own_share):
    """The one MILP: shared ``x``, per-scenario ``z``, and the worst-case variable."""
    sense = pulp.LpMaximize if objective == "max_min_coverage" else pulp.LpMinimize
    problem = pulp.LpProblem("robust_coverage", sense)
    x = [pulp.LpVariable(f"open_{k}", cat=pulp.LpBinary) for k in range(len(cost))]
    zs = []
    for s, part in enumerate(parts):
        z = [
            pulp.LpVariable(f"z_{s}_{g}", lowBound=0, upBound=1)
            for g in range(part.matrix.shape[0])
        ]
        ip, ind = part.matrix.indptr, part.matrix.indices
        for g in range(part.matrix.shape[0]):
            pairs = [(x[k], -1.0) for k in ind[ip[g] : ip[g + 1]].tolist()]
            add_row(problem, [*pairs, (z[g], 1.0)], pulp.LpConstraintLE, 0.0, f"cover_{s}_{g}")
        zs.append(z)
    if objective == "max_min_coverage":
        t = pulp.LpVariable("worst_share", lowBound=0, upBound=1)
        for s, part in enumerate(parts):
            pairs = [(t, 1.0)] + [(v, -w) for v, w in _share_terms(part, zs[s])]
            add_row(problem, pairs, pulp.LpConstraintLE, part.constant, f"worst_{s}")
    else:
        t = pulp.LpVariable("max_regret")
        for s, part in enumerate(parts):
            pairs = [(t, 1.0), *_share_terms(part, zs[s])]
            add_row(
                problem, pairs, pulp.LpConstraintGE, own_share[s] - part.constant, f"regret_{s}"
            )
    problem.setObjective(affine([(t, 1.0)]))
    if max_new_sites is not None and max_new_sites < len(x):
        add_row(problem, [(v, 1.0) for v in x], pulp.LpConstraintLE, float(max_new_sites), "sites")
    if money is not None:
        spend = [(x[k], c) for k, c in enumerate(cost.tolist()) if c > 0]
        if spend:
            add_row(problem, spend, pulp.LpConstraintLE, float(money), "budget")
    return problem, x, zs, t


def _shares(parts, local) -> np.ndarray:
    return np.array(
        [p.constant + float(p.weight[covered_groups(p.matrix, local)].sum()) for p in parts]
    )


def _score(objective, shares, own_share) -> float:
    if objective == "max_min_coverage":
        return float(shares.min())
    return float((own_share - shares).max())


def _better_or_equal(objective, a: float, b: float) -> bool:
    """Plan score ``a`` is at least as good as ``b`` (exactly recomputed numbers)."""
    tol = 1e-12
    return a >= b - tol if objective == "max_min_coverage" else a <= b + tol


def _tie_breaks(problem, x, zs, t, parts, cost, objective, own_share, options, best):
    """Mean share, then cost, each keeping the previous; returns the open mask."""
    is_open = binary_values(x)
    value = best
    keep_sense = pulp.LpConstraintGE if objective == "max_min_coverage" else pulp.LpConstraintLE
    keep_rhs = value - KEEP_TOL if objective == "max_min_coverage" else value + KEEP_TOL
    add_row(problem, [(t, 1.0)], keep_sense, keep_rhs, "keep_objective")
    n = len(parts)
    mean_terms = [(v, w / n) for s, p in enumerate(parts) for v, w in _share_terms(p, zs[s])]
    mean_constant = sum(p.constant for p in parts) / n
    stages = [
        (pulp.LpMaximize, mean_terms),
        (pulp.LpMinimize, list(zip(x, cost.tolist(), strict=True))),
    ]
    seconds = 0.0
    for k, (sense, terms) in enumerate(stages):
        problem.sense = sense
        problem.setObjective(affine(terms))
        report = solve(problem, dataclasses.replace(options, warm_start=True))
        seconds += report.seconds
        if not report.has_solution:
            break
        mask = binary_values(x)
        shares = _shares(parts, np.flatnonzero(mask))
        if not _better_or_equal(objective, _score(objective, shares, own_share), value):
            break
        old = _shares(parts, np.flatnonzero(is_open))
        if k == 0 and shares.mean() < old.mean() - 1e-12:
            break
        if k == 1 and float(cost[mask].sum()) > float(cost[is_open].sum()) + 1e-9:
            break
        is_open = mask
        if k == 0:
            kept = float(shares.mean()) - mean_constant
            add_row(problem, mean_terms, pulp.LpConstraintGE, kept - KEEP_TOL, "keep_mean")
        if not report.proven_optimal:
            break
    return is_open, seconds


# ============================================================ entry point


def robust_coverage(
    od: pd.DataFrame,
    scenarios: Sequence[CoverageScenario | Mapping],
    candidates: pd.DataFrame,
    *,
    budget: float | None = None,
    objective: str = "max_min_coverage",
    max_new_sites: int | None = None,
    solver_options: SolverOptions | Mapping | None = None,
    check_unique: bool = False,
) -> RobustResult:
    """One plan for several scenarios: the best worst-case coverage, or the least regret.

    Solves the single MILP of the module docstring, with the site decisions
    shared by all scenarios (one budget, one set of sites), and reports, for
    every scenario, the robust plan's covered share beside the scenario's own
    optimal plan (:func:`accessplan.location.coverage.maximize_coverage` on
    that scenario alone, with the same budget and ``max_new_sites``).

    Parameters
    ----------
    od : pandas.DataFrame
        ``origin_id, site_id, minutes``, to at least the largest catchment.
    scenarios : sequence of CoverageScenario or mapping
        At least one; names unique. A mapping has the keys of
        :class:`CoverageScenario`.
    candidates : pandas.DataFrame
        As in :func:`maximize_coverage` (``site_id``, costs, ``min_units``).
    budget : float, optional
        Money for new sites; the plan must fit every scenario, so the money
        left is ``budget`` less the largest ``committed_cost`` of any scenario.
    objective : {"max_min_coverage", "min_max_regret"}
        See the module docstring.
    max_new_sites : int, optional
        At most this many new sites.
    solver_options : SolverOptions or mapping, optional
        Solver, time limit, gap, threads (for every solve).
    check_unique : bool, default False
        After a proven optimum (and its tie-breaks), look for another set of
        sites as good on all three counts (no-good re-solve,
        :mod:`accessplan.location.uniqueness`).

    Returns
    -------
    RobustResult
        ``totals`` carry the money keys
        (:func:`accessplan.location.result.money_totals`), ``site_only``,
        ``n_new_sites``, ``worst_share``, ``mean_share``, ``max_regret``,
        ``binding_scenario`` and ``objective``; ``scenarios`` the per-scenario
        table. The regret is measured against each scenario's own plan as
        solved: when that solve was not proven optimal
        (``own_proven_optimal`` False) the regret may be understated.

    Raises
    ------
    InputValidationError
        Every problem at once: no scenarios, repeated names, an unknown
        objective, bad scalars, or a scenario's bad inputs (named).
    InfeasibleModelError
        The budget is below the money committed in some scenario.
    SolverError
        The solver stopped without any solution.
    """
    options = solver_options_from(solver_options)
    items = _check_scenarios(scenarios, objective, budget, max_new_sites)
    instances = _instances(od, items, candidates, budget)
    monies = [money_left("robust_coverage", inst, budget) for inst in instances]
    money = None if budget is None else min(monies)
    own = {
        s.name: maximize_coverage(
            od,
            s.demand,
            candidates,
            existing=s.existing,
            catchment_minutes=s.catchment_minutes,
            budget=budget,
            max_new_sites=max_new_sites,
            solver_options=options,
        )
        for s in items
    }
    own_share = np.array([own[s.name].totals["share_after"] for s in items])
    keep, cost, parts = _parts(instances, money, max_new_sites)
    if len(keep) == 0 or all(p.matrix.shape[0] == 0 for p in parts):
        shares = _shares(parts, [])
        report = trivial_report(options, _score(objective, shares, own_share), _sense(objective))
        is_open = np.zeros(len(keep), dtype=bool)
        uniqueness = nothing_to_choose() if check_unique else None
    else:
        problem, x, zs, t = _build(parts, cost, money, max_new_sites, objective, own_share)
        report = run_model(
            problem, options, "robust_coverage", "check the budget and max_new_sites"
        )
        is_open = binary_values(x)
        best = _score(objective, _shares(parts, np.flatnonzero(is_open)), own_share)
        if report.proven_optimal:
            is_open, extra = _tie_breaks(
                problem, x, zs, t, parts, cost, objective, own_share, options, best
            )
            report = dataclasses.replace(report, seconds=report.seconds + extra)
        shares = _shares(parts, np.flatnonzero(is_open))
        score = _score(objective, shares, own_share)
        report = rescore(report, score, _bound(report.best_bound, score, objective))
        uniqueness = None
        if check_unique and not report.proven_optimal:
            uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
        elif check_unique:
            ids = instances[0].candidates["site_id"].to_numpy()[keep].tolist()
            uniqueness = _uniqueness(
                problem, x, zs, t, parts, cost, is_open, objective, own_share, options, ids
            )
    picks = np.sort(keep[np.flatnonzero(is_open)]).astype(int)
    return _result(items, instances, picks, report, objective, own, own_share, budget, uniqueness)


def _sense(objective: str) -> str:
    return "maximize" if objective == "max_min_coverage" else "minimize"


def _bound(bound, score, objective):
    """The solver's bound, clamped to the right side of the exact score (tolerances)."""
    if bound is None:
        return None
    return max(bound, score) if objective == "max_min_coverage" else min(bound, score)


def _uniqueness(problem, x, zs, t, parts, cost, is_open, objective, own_share, options, ids):
    """No-good re-solve: another set of sites as good on the objective, mean share and cost?"""
    shares = _shares(parts, np.flatnonzero(is_open))
    score = _score(objective, shares, own_share)
    n = len(parts)
    mean_terms = [(v, w / n) for s, p in enumerate(parts) for v, w in _share_terms(p, zs[s])]
    mean_kept = float(shares.mean()) - sum(p.constant for p in parts) / n
    spent = float(cost[is_open].sum())
    room = 1e-9 * max(1.0, spent)
    sense = pulp.LpConstraintGE if objective == "max_min_coverage" else pulp.LpConstraintLE
    rhs = score - KEEP_TOL if objective == "max_min_coverage" else score + KEEP_TOL
    keep = [
        ([(t, 1.0)], sense, rhs),
        (mean_terms, pulp.LpConstraintGE, mean_kept - KEEP_TOL),
    ]
    spend = [(v, c) for v, c in zip(x, cost.tolist(), strict=True) if c > 0]
    if spend:
        keep.append((spend, pulp.LpConstraintLE, spent + room))

    def verify(mask):
        again = _shares(parts, np.flatnonzero(mask))
        return (
            _better_or_equal(objective, _score(objective, again, own_share), score)
            and again.mean() >= shares.mean() - 1e-12
            and float(cost[mask].sum()) <= spent + room
        )

    return check_other_plan(
        problem,
        x,
        is_open,
        ids,
        keep=keep,
        options=options,
        verify=verify,
        objective_name=objective.replace("_", " "),
        tie_break="the highest mean share, then the lowest cost",
    )


def _result(items, instances, picks, report, objective, own, own_share, budget, uniqueness):
    """The robust plan evaluated in every scenario, and the per-scenario table."""
    in_scenario = {}
    rows = []
    for s, inst, own_s in zip(items, instances, own_share.tolist(), strict=True):
        units = inst.min_units[picks]
        res = coverage_result(
            "robust_coverage", inst, picks, units, report, "covered demand", budget
        )
        in_scenario[s.name] = res
        mine = own[s.name]
        share = res.totals["share_after"]
        rows.append(
            {
                "scenario": s.name,
                "catchment_minutes": float(s.catchment_minutes),
                "population": inst.population,
                "coverage_share_before": res.totals["share_before"],
                "coverage_share": share,
                "own_share": own_s,
                "regret": own_s - share,
                "own_proven_optimal": bool(mine.report.proven_optimal),
                "own_gap": mine.report.gap,
                "own_sites": ";".join(str(i) for i in mine.chosen["site_id"]),
                "own_cost": mine.totals["cost"],
            }
        )
    table = pd.DataFrame(rows)
    shares = table["coverage_share"].to_numpy(dtype=float)
    regret = table["regret"].to_numpy(dtype=float)
    binding = int(np.argmin(shares)) if objective == "max_min_coverage" else int(np.argmax(regret))
    inst = instances[binding]
    before, after, newly, marginal = coverage_parts(inst, picks)
    units = inst.min_units[picks]
    totals = coverage_totals(inst, before, after, picks, units, budget)
    for key in ("covered_before", "covered_after", "share_before", "share_after", "population"):
        totals.pop(key)
    totals.update(
        {
            "objective": objective,
            "worst_share": float(shares.min()),
            "mean_share": float(shares.mean()),
            "max_regret": float(regret.max()),
            "binding_scenario": items[binding].name,
            "n_scenarios": len(items),
        }
    )
    explanation = None
    if len(picks) == 0:
        explanation = coverage_explanation(
            inst,
            None if budget is None else float(budget) - max(i.committed for i in instances),
            budget,
            objective_name="the worst-case covered share",
        )
    name = (
        "worst-case covered share"
        if objective == "max_min_coverage"
        else "largest regret (own optimal share - robust share)"
    )
    return RobustResult(
        model="robust_coverage",
        report=report,
        chosen=chosen_frame(inst, picks, units, newly, marginal),
        areas=coverage_areas_frame(inst, before, after),
        totals=totals,
        objective_name=name,
        explanation=explanation,
        uniqueness=uniqueness,
        scenarios=table,
        in_scenario=in_scenario,
        own=own,
        objective=objective,
    )
