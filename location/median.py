"""p-median and p-center site location on a sparse OD table.

Both models choose ``p`` new sites among the candidates; existing facilities
are fixed open. Every modelled area is assigned to one open site *among the
OD pairs present*: the model has an assignment variable ``x_ij`` only for the
rows of the OD table, never for a dense areas x sites grid.

* :func:`p_median` minimises the demand-weighted travel time
  ``sum_i P_i d_i(assigned)`` (Hakimi 1964; ReVelle & Swain 1970);
* :func:`p_center` minimises the largest travel time over the areas with
  demand (Hakimi 1965), ``max_i d_i(assigned)``.

Which areas are modelled
------------------------
* Areas with demand 0 are left out of both models (they weigh nothing in the
  p-median and must not set the maximum of the p-center); the result still
  shows their nearest open site.
* Areas with demand but **no OD row at all** are left out (no choice of sites
  can serve them within the OD table); they are reported in
  ``areas["status"] == "no_od_rows"`` and ``totals["areas_without_od"]``.
* Every other area must be assigned to an open site it has an OD row to. When
  the ``p`` new sites plus the existing ones cannot give every such area an
  open site (an OD table cut at a catchment makes this common), the model is
  infeasible and :class:`~accessplan.location.errors.InfeasibleModelError` is
  raised -- unless ``unassigned_minutes`` is given: an area may then stay
  unassigned at that many minutes per unit of demand (a penalty such as the
  catchment itself). Unassigned areas are reported (status ``"unassigned"``).

The p-median is the classic strong formulation: ``sum_j x_ij = 1`` per area,
``x_ij <= y_j`` per OD pair to a candidate, ``sum_j y_j = p``; ``x`` is
continuous (an optimum assigns each area to its nearest open site).

The p-center is not solved as one MIP (the textbook ``z >= sum_j d_ij x_ij``
model has a weak relaxation: 17 s with CBC on spopt's 205 x 16 San Francisco
instance). Instead, a binary search over the distinct travel times of the OD
table asks, for a radius ``r``, whether at most ``p`` candidates give every
modelled area an option within ``r`` (a set-cover MIP, fast and tight); the
smallest such ``r`` is the optimum, proven by the set cover just below it.
A last p-median restricted to the pairs within ``r`` picks, among the plans
reaching ``r``, the one with the smallest demand-weighted time.

Pairs that cannot matter are removed before a model is built: a candidate no
nearer than the area's nearest existing site (or than ``unassigned_minutes``)
is never needed by either objective.

The assignment reported is recomputed from the OD table after the solve (each
area's nearest open site, ties to the first row), so it never depends on a
solver's rounding of ``x``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pulp

from accessplan.data.errors import ProblemCollector
from accessplan.location.checks import (
    check_demand,
    check_od,
    check_options,
    check_sites,
    count_noun,
    first_labels,
    first_per_group,
    group_positions,
    numeric_values,
    raise_if_unsolved,
)
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.explain import explain_empty_plan
from accessplan.location.median_result import MedianResult
from accessplan.location.result import money_totals, site_only_ids
from accessplan.location.solver import SolveReport, SolverOptions, solve
from accessplan.location.uniqueness import check_other_plan, not_checked, same_for_every_plan

__all__ = ["MedianResult", "p_center", "p_median"]

OD_COLUMNS = ("origin_id", "site_id", "minutes")


# ======================================================================= models


@dataclass(frozen=True)
class _Instance:
    area_ids: pd.Index
    demand: np.ndarray
    candidates: pd.DataFrame
    n_candidates: int
    site_ids: pd.Index  # candidates first, then existing
    rows: np.ndarray
    cols: np.ndarray
    minutes: np.ndarray
    site_cost: np.ndarray  # per candidate (0 when the column is absent)
    unit_cost: np.ndarray
    min_units: np.ndarray
    budget: float | None

    @property
    def min_cost(self) -> np.ndarray:
        """Each candidate's opening cost: ``site_cost + unit_cost * min_units``."""
        return self.site_cost + self.unit_cost * self.min_units


def _costs(candidates, cand_ids, budget, problems) -> dict:
    """Cost columns of the candidates (0 when absent) and the budget, checked."""
    out = {}
    for column, integer in (("site_cost", False), ("unit_cost", False), ("min_units", True)):
        if cand_ids is not None and column in candidates.columns:
            values = pd.Series(candidates[column].to_numpy(), index=cand_ids)
            out[column] = numeric_values(
                values, source="candidates", column=column, problems=problems, integer=integer
            )
        else:
            out[column] = np.zeros(0 if cand_ids is None else len(cand_ids))
    if budget is not None:
        if not (
            isinstance(budget, Real)
            and not isinstance(budget, bool)
            and math.isfinite(budget)
            and budget >= 0
        ):
            problems.add(f"budget must be a finite number >= 0 or None, got {budget!r}")
        elif cand_ids is not None and not {"site_cost", "unit_cost"} & set(candidates.columns):
            problems.add(
                "a budget needs 'site_cost' and/or 'unit_cost' columns", source="candidates"
            )
    return out


def _validate(
    od, demand, candidates, existing, p, unassigned_minutes, model, budget=None
) -> _Instance:
    problems = ProblemCollector(what=f"{model} inputs")
    population = check_demand(demand, problems)
    cand_ids = check_sites(candidates, "candidates", problems)
    exist_ids = pd.Index([])
    if existing is not None:
        exist_ids = check_sites(existing, "existing", problems)
    if cand_ids is not None and exist_ids is not None:
        both = cand_ids.isin(exist_ids)
        if both.any():
            problems.add(
                f"{count_noun(int(both.sum()), 'candidate')} already an existing site "
                "(existing sites are open anyway)",
                source="candidates",
                column="site_id",
                rows=first_labels(cand_ids, both),
            )
    site_ids = None
    if cand_ids is not None and exist_ids is not None:
        site_ids = cand_ids.append(exist_ids)
    od_arrays = check_od(od, demand.index if population is not None else None, site_ids, problems)
    if not isinstance(p, Integral) or isinstance(p, bool):
        problems.add(f"p must be a whole number, got {p!r}")
    elif cand_ids is not None and not 0 <= p <= len(cand_ids):
        problems.add(f"p must be between 0 and the {len(cand_ids)} candidates, got {p}")
    if unassigned_minutes is not None and not (
        isinstance(unassigned_minutes, Real)
        and not isinstance(unassigned_minutes, bool)
        and math.isfinite(unassigned_minutes)
        and unassigned_minutes >= 0
    ):
        problems.add(
            f"unassigned_minutes must be a finite number >= 0 or None, got {unassigned_minutes!r}"
        )
    costs = _costs(candidates, cand_ids, budget, problems)
    problems.raise_if_any()
    rows, cols, minutes = od_arrays
    return _Instance(
        site_cost=np.nan_to_num(costs["site_cost"]),
        unit_cost=np.nan_to_num(costs["unit_cost"]),
        min_units=np.nan_to_num(costs["min_units"]),
        budget=None if budget is None else float(budget),
        area_ids=demand.index,
        demand=population,
        candidates=candidates,
        n_candidates=len(cand_ids),
        site_ids=site_ids,
        rows=rows,
        cols=cols,
        minutes=minutes,
    )


def _options(inst: _Instance, unassigned_minutes):
    """Assignment options of the modelled areas, after removing pairs that cannot matter.

    Returns the modelled area positions and, per option, its area, its site
    (-1 for "unassigned") and its minutes.
    """
    n_areas = len(inst.area_ids)
    has_row = np.zeros(n_areas, dtype=bool)
    has_row[inst.rows] = True
    modelled = (inst.demand > 0) & has_row
    use = modelled[inst.rows]
    rows, cols, minutes = inst.rows[use], inst.cols[use], inst.minutes[use]

    # fallback per area: its nearest existing site, or "unassigned" when nearer
    fallback_minutes = np.full(n_areas, np.inf)
    fallback_site = np.full(n_areas, -1, dtype=np.int64)
    is_existing = cols >= inst.n_candidates
    if is_existing.any():
        areas, first = first_per_group(rows[is_existing], minutes[is_existing])
        fallback_minutes[areas] = minutes[is_existing][first]
        fallback_site[areas] = cols[is_existing][first]
    if unassigned_minutes is not None:
        unassigned = modelled & (float(unassigned_minutes) < fallback_minutes)
        fallback_minutes[unassigned] = float(unassigned_minutes)
        fallback_site[unassigned] = -1
    # a candidate helps only when strictly nearer than the fallback
    keep = ~is_existing & (minutes < fallback_minutes[rows])
    has_fallback = modelled & np.isfinite(fallback_minutes)
    fb_areas = np.flatnonzero(has_fallback)
    opt_area = np.concatenate([rows[keep], fb_areas])
    opt_site = np.concatenate([cols[keep], fallback_site[fb_areas]])
    opt_minutes = np.concatenate([minutes[keep], fallback_minutes[fb_areas]])
    return np.flatnonzero(modelled), opt_area, opt_site, opt_minutes


def _median_model(
    n_candidates, p, demand, opt_area, opt_site, opt_minutes, cost=None, money=None
) -> tuple:
    """The strong p-median model over the given assignment options (budget row when ``money``)."""
    prob = pulp.LpProblem("p_median", pulp.LpMinimize)
    y = [prob.add_variable(f"y_{j}", cat=pulp.LpBinary) for j in range(n_candidates)]
    x = [prob.add_variable(f"x_{k}", lowBound=0, upBound=1) for k in range(len(opt_area))]
    weight = demand[opt_area] * opt_minutes
    prob.setObjective(pulp.LpAffineExpression(zip(x, weight.tolist(), strict=True)))
    areas, members = group_positions(opt_area)
    for area, idx in zip(areas.tolist(), members, strict=True):
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(x[k], 1.0) for k in idx.tolist()]),
                pulp.LpConstraintEQ,
                rhs=1,
            ),
            name=f"assign_{area}",
        )
    for k in np.flatnonzero((opt_site >= 0) & (opt_site < n_candidates)).tolist():
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(x[k], 1.0), (y[int(opt_site[k])], -1.0)]),
                pulp.LpConstraintLE,
                rhs=0,
            ),
            name=f"open_{k}",
        )
    prob.addConstraint(
        pulp.LpConstraint(
            pulp.LpAffineExpression([(v, 1.0) for v in y]), pulp.LpConstraintEQ, rhs=p
        ),
        name="p_sites",
    )
    if money is not None and cost is not None:
        spend = [(y[j], float(c)) for j, c in enumerate(cost.tolist()) if c > 0]
        if spend:
            prob.addConstraint(
                pulp.LpConstraint(pulp.LpAffineExpression(spend), pulp.LpConstraintLE, rhs=money),
                name="budget",
            )
    return prob, y


def _chosen(y) -> np.ndarray:
    return np.array([(v.varValue or 0.0) > 0.5 for v in y], dtype=bool)


def _infeasible_hint(p: int, n_modelled: int) -> str:
    return (
        f"p={p} new sites plus the existing ones cannot give every area with demand an open "
        f"site within the OD table ({n_modelled} areas must be assigned); raise p, extend "
        "the OD table, or pass unassigned_minutes to allow unassigned areas at a penalty"
    )


_MEDIAN_NAME = "demand-weighted travel minutes (sum of demand x minutes)"
_CHEAPEST = "the p cheapest candidates (site_cost + unit_cost * min_units), then candidate order"


def _median_value(inst: _Instance, opt_area, opt_site, opt_minutes, open_mask) -> float:
    """The p-median objective of a plan, exactly: each area's nearest open option."""
    is_cand = (opt_site >= 0) & (opt_site < inst.n_candidates)
    usable = ~is_cand
    usable[is_cand] = np.asarray(open_mask, dtype=bool)[opt_site[is_cand]]
    best = np.full(len(inst.area_ids), np.inf)
    np.minimum.at(best, opt_area[usable], opt_minutes[usable])
    areas = np.unique(opt_area)
    return float(np.sum(inst.demand[areas] * best[areas]))


def _solve_median(
    inst: _Instance, p: int, unassigned_minutes, options: SolverOptions, check_unique=False
):
    modelled, opt_area, opt_site, opt_minutes = _options(inst, unassigned_minutes)
    cost = inst.min_cost
    prob, y = _median_model(
        inst.n_candidates, p, inst.demand, opt_area, opt_site, opt_minutes, cost, inst.budget
    )
    helps = (opt_site >= 0) & (opt_site < inst.n_candidates)
    every_same = not helps.any() and 0 < p < inst.n_candidates
    if every_same:
        # no candidate is nearer than an area's fallback: every plan of p sites scores the same;
        # open the p cheapest rather than leave the choice to the solver
        for j in np.argsort(cost, kind="stable")[:p].tolist():
            y[j].lowBound = 1
    hint = _infeasible_hint(p, len(modelled))
    if inst.budget is not None:
        hint += f"; or the budget {inst.budget:,.6g} cannot pay for {p} sites"
    report = solve(prob, options)
    raise_if_unsolved(report, "p-median", hint)
    chosen = _chosen(y)
    uniqueness = None
    if every_same:
        uniqueness = same_for_every_plan(_MEDIAN_NAME, float(report.objective), _CHEAPEST)
    elif p in (0, inst.n_candidates):
        uniqueness = {
            "unique": True,
            "alternative": None,
            "text": f"Only one plan exists: p = {p} of {inst.n_candidates} candidates.",
        }
    elif check_unique and not report.proven_optimal:
        uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
    elif check_unique:
        best = _median_value(inst, opt_area, opt_site, opt_minutes, chosen)
        tol = 1e-7 * max(1.0, abs(best))
        weight = inst.demand[opt_area] * opt_minutes
        by_name = {v.name: v for v in prob.variables()}
        pairs = [(by_name[f"x_{k}"], float(w)) for k, w in enumerate(weight.tolist()) if w]

        def verify(mask):
            again = _median_value(inst, opt_area, opt_site, opt_minutes, mask)
            return again <= best + 1e-9 * max(1.0, abs(best))

        uniqueness = check_other_plan(
            prob,
            y,
            chosen,
            list(inst.candidates["site_id"]),
            keep=[(pairs, pulp.LpConstraintLE, best + tol)],
            options=options,
            verify=verify,
            objective_name=_MEDIAN_NAME,
            tie_break=None,
        )
    return report, chosen, uniqueness


def _cover_count(n_candidates, need, opt_area, opt_site, options: SolverOptions):
    """Fewest candidates giving every area in ``need`` an option among the pairs given.

    Returns ``(lower, upper, chosen_mask)``: a proven lower bound on that
    number and the size of the cover found (``upper = inf`` without one).
    """
    if not need.any():
        return 0, 0, np.zeros(n_candidates, dtype=bool)
    covered = np.zeros(len(need), dtype=bool)
    covered[opt_area] = True
    if (need & ~covered).any():  # some area has no candidate at all within the radius
        return math.inf, math.inf, None
    prob = pulp.LpProblem("cover", pulp.LpMinimize)
    y = [prob.add_variable(f"y_{j}", cat=pulp.LpBinary) for j in range(n_candidates)]
    prob.setObjective(pulp.LpAffineExpression([(v, 1.0) for v in y]))
    areas, members = group_positions(opt_area)
    for area, idx in zip(areas.tolist(), members, strict=True):
        sites = np.unique(opt_site[idx]).tolist()
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(y[j], 1.0) for j in sites]), pulp.LpConstraintGE, rhs=1
            ),
            name=f"cover_{area}",
        )
    report = solve(prob, options)
    if not report.has_solution:
        if report.status == "infeasible":  # cannot happen: every area has a site
            return math.inf, math.inf, None
        lower = 0 if report.best_bound is None else math.ceil(report.best_bound - 1e-6)
        return lower, math.inf, None
    upper = round(report.objective)
    lower = upper if report.proven_optimal else math.ceil((report.best_bound or 0) - 1e-6)
    return lower, upper, _chosen(y)


def _solve_center(inst: _Instance, p: int, unassigned_minutes, options: SolverOptions):
    """Binary search on the radius; set covers decide each radius, a p-median breaks ties.

    A radius ``r`` is feasible when at most ``p`` candidates give every
    modelled area an option within ``r`` minutes (its fallback -- the nearest
    existing site, or ``unassigned_minutes`` -- counts when within ``r``).
    The optimum is the smallest feasible value among the options' minutes.
    Among the plans reaching it, a p-median restricted to options within it
    picks the one with the smallest demand-weighted time.
    """
    start = time.perf_counter()
    deadline = None if options.time_limit_s is None else start + options.time_limit_s

    def sub_options() -> SolverOptions:
        if deadline is None:
            return options
        left = max(deadline - time.perf_counter(), 1.0)
        return replace(options, time_limit_s=left)

    modelled, opt_area, opt_site, opt_minutes = _options(inst, unassigned_minutes)
    n_areas = len(inst.area_ids)
    is_cand = (opt_site >= 0) & (opt_site < inst.n_candidates)
    fallback = np.full(n_areas, np.inf)
    np.minimum.at(fallback, opt_area[~is_cand], opt_minutes[~is_cand])
    in_model = np.zeros(n_areas, dtype=bool)
    in_model[modelled] = True
    nearest = fallback.copy()
    np.minimum.at(nearest, opt_area, opt_minutes)
    # no plan does better than every area's nearest option
    floor = float(nearest[modelled].max()) if len(modelled) else 0.0
    radii = np.unique(opt_minutes[opt_minutes >= floor])
    if len(radii) == 0:
        radii = np.array([floor])

    def test(r: float):
        need = in_model & (fallback > r)
        keep = is_cand & (opt_minutes <= r) & need[opt_area]
        return _cover_count(inst.n_candidates, need, opt_area[keep], opt_site[keep], sub_options())

    lo, hi = 0, len(radii) - 1
    lower, upper, _ = test(float(radii[hi]))
    if upper > p:
        if lower > p:
            seconds = time.perf_counter() - start
            report = _center_report(options, "infeasible", None, None, seconds)
            raise InfeasibleModelError(
                f"the p-center model is infeasible: {_infeasible_hint(p, len(modelled))}", report
            )
        raise SolverError("the p-center model was not solved: no plan found within the time limit")
    bound_index = 0  # every radius below radii[bound_index] is proven infeasible
    while lo < hi:
        mid = (lo + hi) // 2
        lower, upper, _ = test(float(radii[mid]))
        if upper <= p:
            hi = mid
        else:  # infeasible (proven when even the lower bound exceeds p)
            if lower > p:
                bound_index = mid + 1
            lo = mid + 1
    radius = float(radii[hi])
    best_bound = float(radii[min(bound_index, hi)])

    # tie-break: smallest demand-weighted time among plans within the radius
    keep = opt_minutes <= radius
    prob, y = _median_model(
        inst.n_candidates, p, inst.demand, opt_area[keep], opt_site[keep], opt_minutes[keep]
    )
    tie = solve(prob, sub_options())
    if tie.has_solution:
        chosen = _chosen(y)
    else:  # keep a cover of the radius, padded to p sites in candidate order
        _, _, chosen = test(radius)
        spare = np.flatnonzero(~chosen)[: p - int(chosen.sum())]
        chosen[spare] = True
    seconds = time.perf_counter() - start
    status = "optimal" if best_bound >= radius else "feasible"
    return _center_report(options, status, radius, best_bound, seconds), chosen


def _center_report(options, status, objective, bound, seconds) -> SolveReport:
    gap = None
    if objective is not None and bound is not None:
        gap = abs(objective - bound) / max(abs(objective), 1e-10)
    return SolveReport(
        solver=options.solver,
        status=status,
        objective=objective,
        best_bound=bound,
        gap=gap,
        seconds=seconds,
        sense="minimize",
        time_limit_s=options.time_limit_s,
        gap_rel=options.gap_rel,
        threads=options.threads,
    )


def _assemble(
    kind: str, inst: _Instance, p: int, unassigned_minutes, report, chosen_mask, uniqueness=None
) -> MedianResult:
    n_areas = len(inst.area_ids)
    n_c = inst.n_candidates
    site_open = np.concatenate([chosen_mask, np.ones(len(inst.site_ids) - n_c, dtype=bool)])
    use = site_open[inst.cols]
    nearest_site = np.full(n_areas, -1, dtype=np.int64)
    nearest_minutes = np.full(n_areas, np.nan)
    if use.any():
        areas, first = first_per_group(inst.rows[use], inst.minutes[use])
        nearest_site[areas] = inst.cols[use][first]
        nearest_minutes[areas] = inst.minutes[use][first]

    has_row = np.zeros(n_areas, dtype=bool)
    has_row[inst.rows] = True
    demand = inst.demand
    status = np.full(n_areas, "assigned", dtype=object)
    status[demand <= 0] = "zero_demand"
    status[(demand > 0) & ~has_row] = "no_od_rows"
    modelled = (demand > 0) & has_row
    u = math.inf if unassigned_minutes is None else float(unassigned_minutes)
    unassigned = modelled & ~(nearest_minutes <= u)  # NaN (no open site) counts as beyond
    status[unassigned] = "unassigned"
    served = (nearest_site >= 0) & ~unassigned
    charged = np.where(modelled, np.where(unassigned, u, nearest_minutes), np.nan)

    site_labels = np.asarray(inst.site_ids, dtype=object)
    site_col = np.full(n_areas, None, dtype=object)
    site_col[served] = site_labels[nearest_site[served]]
    minutes_col = np.where(served, nearest_minutes, np.nan)
    areas_frame = pd.DataFrame(
        {
            "demand": demand,
            "site_id": site_col,
            "minutes": minutes_col,
            "new_site": served & (nearest_site < n_c),
            "charged_minutes": charged,
            "status": status,
        },
        index=inst.area_ids.copy(),
    )

    assigned = (status == "assigned") & served
    per_site_demand = np.bincount(
        nearest_site[assigned], weights=demand[assigned], minlength=len(inst.site_ids)
    )
    per_site_areas = np.bincount(nearest_site[assigned], minlength=len(inst.site_ids))
    chosen = inst.candidates.loc[chosen_mask].copy()
    chosen["assigned_demand"] = per_site_demand[:n_c][chosen_mask]
    chosen["assigned_areas"] = per_site_areas[:n_c][chosen_mask]
    units = inst.min_units[chosen_mask]
    chosen["units"] = units.astype(int)
    chosen["cost"] = inst.min_cost[chosen_mask]
    chosen["site_only"] = units == 0

    weighted = float(np.sum(demand[modelled] * charged[modelled]))
    demand_assigned = float(demand[assigned].sum())
    mean_minutes = (
        float(np.sum(demand[assigned] * nearest_minutes[assigned])) / demand_assigned
        if demand_assigned > 0
        else math.nan
    )
    max_assigned = float(nearest_minutes[assigned].max()) if assigned.any() else math.nan
    objective = (
        weighted
        if kind == "p-median"
        else (float(charged[modelled].max()) if modelled.any() else 0.0)
    )
    totals = money_totals(
        site_cost=float(inst.site_cost[chosen_mask].sum()),
        unit_cost=float((inst.unit_cost * inst.min_units)[chosen_mask].sum()),
        budget=inst.budget,
    )
    totals["site_only"] = site_only_ids(chosen)
    totals["n_new_sites"] = int(chosen_mask.sum())
    totals |= {
        "objective": objective,
        "mean_minutes": mean_minutes,
        "max_minutes": max_assigned,
        "weighted_minutes": weighted,
        "p": int(p),
        "chosen_sites": tuple(inst.candidates["site_id"][chosen_mask]),
        "existing_sites": tuple(inst.site_ids[n_c:]),
        "demand_total": float(demand.sum()),
        "demand_modelled": float(demand[modelled].sum()),
        "demand_assigned": demand_assigned,
        "demand_unassigned": float(demand[unassigned].sum()),
        "demand_without_od": float(demand[status == "no_od_rows"].sum()),
        "areas_without_od": tuple(inst.area_ids[status == "no_od_rows"]),
        "areas_unassigned": tuple(inst.area_ids[unassigned]),
        "unassigned_minutes": unassigned_minutes,
    }
    name = (
        "demand-weighted travel minutes (sum of demand x minutes)"
        if kind == "p-median"
        else "largest travel minutes over areas with demand"
    )
    explanation = None
    if not chosen_mask.any():
        explanation = explain_empty_plan(
            candidate_ids=list(inst.candidates["site_id"]),
            candidate_cost=inst.min_cost,
            in_od=np.isin(np.arange(n_c), inst.cols),
            in_reach=np.isin(np.arange(n_c), inst.cols[demand[inst.rows] > 0]),
            money=inst.budget,
            requested_sites=p,
            objective_name=name,
        ).as_dict()
    return MedianResult(
        model=kind,
        report=report,
        chosen=chosen,
        areas=areas_frame,
        totals=totals,
        objective_name=name,
        explanation=explanation,
        uniqueness=uniqueness,
    )


def _run(
    kind,
    od,
    demand,
    candidates,
    p,
    existing,
    unassigned_minutes,
    solver_options,
    budget=None,
    check_unique=False,
):
    options = check_options(solver_options)
    inst = _validate(od, demand, candidates, existing, p, unassigned_minutes, kind, budget)
    if kind == "p-median":
        report, chosen, uniqueness = _solve_median(
            inst, int(p), unassigned_minutes, options, check_unique
        )
    else:
        report, chosen = _solve_center(inst, int(p), unassigned_minutes, options)
        uniqueness = None
    return _assemble(kind, inst, int(p), unassigned_minutes, report, chosen, uniqueness)


def p_median(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    p: int,
    existing: pd.DataFrame | None = None,
    unassigned_minutes: float | None = None,
    solver_options: SolverOptions | None = None,
    budget: float | None = None,
    check_unique: bool = False,
) -> MedianResult:
    """Choose ``p`` new sites minimising the demand-weighted travel time.

    Parameters
    ----------
    od : pandas.DataFrame
        Long OD table ``origin_id, site_id, minutes``; sparse (only the pairs
        present can be assigned). Rows with infinite minutes are ignored.
        Each (origin_id, site_id) pair at most once; every site id must be a
        candidate or an existing site, every origin id an area of ``demand``.
    demand : pandas.Series
        Demand (population or need weight, >= 0) indexed by area id.
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        Candidate sites, column ``site_id`` (other columns, cost columns and
        geometry included, are kept in ``chosen``).
    p : int
        Number of new sites to open, ``0 <= p <= len(candidates)``.
    existing : pandas.DataFrame, optional
        Existing facilities (column ``site_id``), fixed open. A candidate may
        not be an existing site.
    unassigned_minutes : float, optional
        When given, an area may stay unassigned at this many minutes per
        unit of demand instead of making the model infeasible (see the module
        docstring). Default: every modelled area must be assigned.
    solver_options : SolverOptions, optional
        Solver and limits (default CBC, no limit).
    budget : float, optional
        Money for the new sites: the ``p`` sites opened, each at
        ``site_cost + unit_cost * min_units`` (columns of ``candidates``, 0
        when absent; the p-median chooses sites, not units, so each opens
        with its ``min_units``), cost at most this. No limit when None.
    check_unique : bool, default False
        After a proven optimum, solve once more (time limit at most
        :data:`accessplan.location.uniqueness.UNIQUE_TIME_LIMIT_S`) with a
        no-good cut excluding the chosen set and the objective kept within
        a relative 1e-7: ``result.uniqueness["unique"]`` says whether
        another set of sites scores the same. The p-median has no
        tie-break between equal plans (the solver's choice), except when
        no candidate is nearer to any area than its fallback: then every
        plan scores the same and the ``p`` cheapest candidates are opened
        (``result.uniqueness`` says so, checked or not).

    Returns
    -------
    MedianResult
        ``totals["objective"] is ``sum_i P_i minutes_i`` over the modelled
        areas; ``totals["mean_minutes"]`` the demand-weighted mean over the
        assigned areas (the p-median "mean distance").

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs.
    InfeasibleModelError
        When the sites cannot give every modelled area an open site within
        the OD table (and ``unassigned_minutes`` is None).
    SolverError
        When the solver stopped without any solution (e.g. time limit).

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b", "b", "c"],
    ...                    "site_id": ["s", "t", "s", "t", "t"],
    ...                    "minutes": [1.0, 9.0, 8.0, 2.0, 3.0]})
    >>> demand = pd.Series({"a": 10.0, "b": 20.0, "c": 5.0})
    >>> candidates = pd.DataFrame({"site_id": ["s", "t"]})
    >>> result = p_median(od, demand, candidates, p=1)
    >>> result.totals["chosen_sites"], result.totals["objective"]
    (('t',), 145.0)
    """
    return _run(
        "p-median",
        od,
        demand,
        candidates,
        p,
        existing,
        unassigned_minutes,
        solver_options,
        budget,
        check_unique,
    )


def p_center(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    p: int,
    existing: pd.DataFrame | None = None,
    unassigned_minutes: float | None = None,
    solver_options: SolverOptions | None = None,
) -> MedianResult:
    """Choose ``p`` new sites minimising the largest travel time of any area with demand.

    Areas with demand 0 do not count. Parameters, errors and the treatment of
    areas without OD rows are those of :func:`p_median`; an unassigned area
    counts ``unassigned_minutes`` towards the maximum.

    Solved by a binary search on the radius with a set-cover MIP per step,
    then a p-median restricted to the pairs within the optimal radius (see
    the module docstring): among the plans with the smallest largest time,
    the one with the smallest demand-weighted time is returned. A time limit
    in ``solver_options`` bounds the whole search; a step stopped by it
    without a proof leaves ``report.status == "feasible"`` with the best
    bound proven so far. ``report.seconds`` covers every step.

    Returns
    -------
    MedianResult
        ``totals["objective"]`` is the largest minutes charged over the
        modelled areas (``report.objective`` is the solver's value of it).
    """
    return _run("p-center", od, demand, candidates, p, existing, unassigned_minutes, solver_options)
