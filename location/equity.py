"""Equity objectives on floating-catchment access: max-min access, least deviation, QP reallocation.

With the catchments fixed, the 2SFCA access after a plan is *linear* in the
sites' capacities. With weights ``W_ij`` (the decay of :mod:`accessplan.spatial.fca`
within the catchment) and the site populations ``D_j = sum_k P_k W_kj``
(independent of capacity),

    A_i = sum_j W'_ij S_j / D_j          (``R_j = 0`` where ``D_j = 0``)

where ``W' = W`` for 2SFCA, E2SFCA, Gaussian 2SFCA and gravity, and
``W' = W**2`` for M2SFCA -- exactly the scores
:func:`accessplan.spatial.fca.access_scores` computes (the tests check that
the access the models report equals ``access_scores`` on the new
capacities). 3SFCA is refused: its selection weights depend on which sites
have capacity, so its access is not linear in the plan.

A plan opens candidates (binary, ``site_cost``) and buys integer units
(``unit_cost`` each, ``min_units..max_units`` when open) within a budget; a
candidate's capacity is ``existing_capacity + capacity_per_unit * units``
(a candidate whose ``site_id`` is also an existing facility is an expansion of
it: its existing capacity stays whether or not the expansion is chosen).

Which areas count
-----------------
The objectives run over the set ``F`` of areas with demand > 0 that *some*
site could supply: an area within the catchment of a site that has capacity,
or of a candidate that can receive units (``max_units > 0``). Areas outside
every such catchment have access 0 whatever the plan; including them would
pin the max-min floor at 0 for ever and make the deviation objective prefer
less supply. They are reported (``areas["status"] == "unreachable"``,
``totals["areas_unreachable"]``). Areas with demand 0 carry no people and are
left out too. The mean ``Abar`` is the population-weighted mean over ``F``.

Objectives
----------
* :func:`maximize_min_access`: maximise ``min_{i in F} A_i``, the lowest
  supply per person of any populated, reachable area. Each area counts once,
  whatever its size (``A_i`` is already per person); the population enters
  through ``D_j``. Ties are broken by a second solve that keeps the floor
  and maximises the population-weighted mean access over ``F``.
* :func:`minimize_access_deviation`: minimise ``sum_{i in F} P_i |A_i - Abar|``,
  the L1 form of Wang & Tang's (2013) MAED, linearised with deviation
  variables ``e_i >= +-(A_i - Abar)``; ``Abar`` is itself linear in the
  capacities. Note that it values equality only: a plan that spends nothing
  may be optimal.
* :func:`reallocate_capacity_qp`: Wang & Tang's quadratic MAED for dividing a
  FIXED total capacity among given sites (continuous capacities):
  minimise ``sum_{i in F} P_i (A_i - Abar)**2`` subject to ``sum_j S_j = total``
  and bounds, a convex QP solved by HiGHS through highspy. HiGHS has no
  integer QP: :func:`round_and_repair` rounds the QP solution to whole units
  and improves it by single-unit moves (a heuristic, labelled as such).

Numerics: access values are tiny (supply per person), so the MIPs scale
access by ``1 / ref`` where ``ref`` is the mean access if every unit were
bought (``(sum S_existing + capacity_per_unit * sum max_units) / P_F``), and
the budget row by the budget; the reports are converted back to access units.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from numbers import Real

import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from accessplan.data.errors import ProblemCollector
from accessplan.location.checks import (
    check_demand,
    check_od,
    check_options,
    check_sites,
    count_noun,
    first_labels,
    numeric_values,
    raise_if_unsolved,
)
from accessplan.location.equity_access import (
    LINEAR_METHODS,
    AccessModel,
    EquityResult,
    access_stats,
    build_access_model,
    common_totals,
    equity_areas_frame,
    resolve_method,
)
from accessplan.location.equity_qp import reallocate_capacity_qp, round_and_repair
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.explain import explain_empty_plan
from accessplan.location.result import money_totals, site_only_ids
from accessplan.location.solver import SolveReport, SolverOptions, solve
from accessplan.location.uniqueness import check_other_plan, not_checked, same_for_every_plan
from accessplan.spatial.decay import Decay

__all__ = [
    "LINEAR_METHODS",
    "EquityResult",
    "maximize_min_access",
    "minimize_access_deviation",
    "reallocate_capacity_qp",
    "round_and_repair",
]


# =============================================================== budget MIPs


@dataclass(frozen=True)
class _Plan:
    area_ids: pd.Index
    population: np.ndarray
    candidates: pd.DataFrame
    cand_pos: np.ndarray  # position of each candidate among the sites
    existing_capacity: np.ndarray  # per site
    site_cost: np.ndarray
    unit_cost: np.ndarray
    min_units: np.ndarray
    max_units: np.ndarray
    capacity_per_unit: float
    budget: float
    access: AccessModel
    in_f: np.ndarray
    cand_in_od: np.ndarray  # per candidate: the OD table has a row for it
    method: str
    catchment: float
    decay: Decay


def _validate_plan(
    od,
    demand,
    candidates,
    existing,
    catchment_minutes,
    method,
    decay,
    capacity_per_unit,
    budget,
    capacity_column,
    what,
) -> _Plan:
    problems = ProblemCollector(what=f"{what} inputs")
    method, decay = resolve_method(method, decay, catchment_minutes, problems)
    population = check_demand(demand, problems)
    cand_ids = check_sites(
        candidates, "candidates", problems, ("site_cost", "unit_cost", "max_units")
    )
    exist_ids, exist_cap = pd.Index([]), np.zeros(0)
    if existing is not None:
        exist_ids = check_sites(existing, "existing", problems, (capacity_column,))
        if exist_ids is not None and capacity_column in existing.columns:
            exist_cap = numeric_values(
                existing[capacity_column],
                source="existing",
                column=capacity_column,
                problems=problems,
            )
    numbers = {}
    if cand_ids is not None:
        for column, integer in (
            ("site_cost", False),
            ("unit_cost", False),
            ("max_units", True),
            ("min_units", True),
        ):
            if column in candidates.columns:
                numbers[column] = numeric_values(
                    candidates[column],
                    source="candidates",
                    column=column,
                    problems=problems,
                    integer=integer,
                )
        numbers.setdefault("min_units", np.zeros(len(cand_ids)))
        if "max_units" in numbers:
            above = numbers["min_units"] > numbers["max_units"]
            if above.any():
                problems.add(
                    f"{count_noun(int(above.sum()), 'row')} with min_units > max_units",
                    source="candidates",
                    rows=first_labels(cand_ids, above),
                )
    for name, value, low in (("capacity_per_unit", capacity_per_unit, 0), ("budget", budget, -1)):
        if not (
            isinstance(value, Real)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > low
        ):
            bound = "> 0" if low == 0 else ">= 0"
            problems.add(f"{name} must be a finite number {bound}, got {value!r}")
    site_ids = None
    if cand_ids is not None and exist_ids is not None:
        site_ids = cand_ids.append(exist_ids[~exist_ids.isin(cand_ids)])
    area_index = demand.index if population is not None else None
    od_arrays = check_od(od, area_index, site_ids, problems)
    problems.raise_if_any()

    rows, cols, minutes = od_arrays
    s0 = np.zeros(len(site_ids))
    if len(exist_ids):
        s0[site_ids.get_indexer(exist_ids)] = exist_cap
    access = build_access_model(
        rows,
        cols,
        minutes,
        population,
        len(site_ids),
        method=method,
        catchment=float(catchment_minutes),
        decay=decay,
    )
    n_c = len(cand_ids)
    cand_pos = np.arange(n_c)
    can_supply = s0 > 0
    can_supply[cand_pos] |= numbers["max_units"] > 0
    reach = np.asarray(access.matrix @ can_supply.astype(float)).reshape(len(population)) > 0
    in_f = (population > 0) & reach
    if not in_f.any():
        raise InfeasibleModelError(
            "no area with demand is within the catchment of a site that has, or could get, "
            "capacity: there is nothing to optimise"
        )
    return _Plan(
        area_ids=demand.index,
        population=population,
        candidates=candidates,
        cand_pos=cand_pos,
        existing_capacity=s0,
        site_cost=numbers["site_cost"],
        unit_cost=numbers["unit_cost"],
        min_units=numbers["min_units"],
        max_units=numbers["max_units"],
        capacity_per_unit=float(capacity_per_unit),
        budget=float(budget),
        access=access,
        in_f=in_f,
        cand_in_od=np.isin(cand_pos, cols),
        method=method,
        catchment=float(catchment_minutes),
        decay=decay,
    )


def _plan_variables(plan: _Plan, prob: pulp.LpProblem):
    """Open/units variables, their links and the budget row."""
    n_c = len(plan.cand_pos)
    y = [prob.add_variable(f"open_{j}", cat=pulp.LpBinary) for j in range(n_c)]
    u = [
        prob.add_variable(
            f"units_{j}", lowBound=0, upBound=int(plan.max_units[j]), cat=pulp.LpInteger
        )
        for j in range(n_c)
    ]
    for j in range(n_c):
        hi, lo = int(plan.max_units[j]), int(plan.min_units[j])
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(u[j], 1.0), (y[j], -hi)]), pulp.LpConstraintLE, rhs=0
            ),
            name=f"max_units_{j}",
        )
        if lo > 0:
            prob.addConstraint(
                pulp.LpConstraint(
                    pulp.LpAffineExpression([(u[j], 1.0), (y[j], -lo)]), pulp.LpConstraintGE, rhs=0
                ),
                name=f"min_units_{j}",
            )
    scale = max(plan.budget, 1.0)
    terms = [(y[j], plan.site_cost[j] / scale) for j in range(n_c) if plan.site_cost[j]]
    terms += [(u[j], plan.unit_cost[j] / scale) for j in range(n_c) if plan.unit_cost[j]]
    if terms:
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=plan.budget / scale
            ),
            name="budget",
        )
    return y, u


def _linear_parts(plan: _Plan):
    """``A_i = c_i + sum_j a_ij units_j`` (areas x candidates ``a``) and the access scale."""
    c = plan.access(plan.existing_capacity)
    a = sparse.csr_array(plan.access.matrix[:, plan.cand_pos] * plan.capacity_per_unit)
    pop_f = plan.population[plan.in_f].sum()
    potential = plan.existing_capacity.sum() + plan.capacity_per_unit * plan.max_units.sum()
    ref = potential / pop_f
    return c, a, 1.0 / ref


def _row_terms(a: sparse.csr_array, i: int, u, factor: float) -> list:
    start, stop = a.indptr[i], a.indptr[i + 1]
    return [
        (u[j], factor * v)
        for j, v in zip(a.indices[start:stop].tolist(), a.data[start:stop].tolist(), strict=True)
    ]


def _values(y, u) -> tuple[np.ndarray, np.ndarray]:
    opened = np.array([(v.varValue or 0.0) > 0.5 for v in y], dtype=bool)
    units = np.array([round(v.varValue or 0.0) for v in u], dtype=np.int64)
    return opened, units


def _rescale(report: SolveReport, factor: float) -> SolveReport:
    def conv(v):
        return None if v is None else v * factor

    return replace(report, objective=conv(report.objective), best_bound=conv(report.best_bound))


def _assemble_plan(plan: _Plan, model, report, opened, units, objective_name, key, extra):
    capacity = plan.existing_capacity.copy()
    added = plan.capacity_per_unit * units
    capacity[plan.cand_pos] += added
    before = plan.access(plan.existing_capacity)
    after = plan.access(capacity)
    chosen = plan.candidates.loc[opened].copy()
    chosen["units"] = units[opened]
    chosen["added_capacity"] = added[opened]
    chosen["capacity_after"] = capacity[plan.cand_pos][opened]
    chosen["cost"] = (plan.site_cost + plan.unit_cost * units)[opened]
    chosen["site_only"] = units[opened] == 0
    totals = common_totals(
        plan.area_ids,
        plan.population,
        plan.in_f,
        before,
        after,
        method=plan.method,
        catchment=plan.catchment,
        decay=plan.decay,
    )
    totals["objective"] = totals[key]
    totals.update(
        money_totals(
            site_cost=float(plan.site_cost[opened].sum()),
            unit_cost=float((plan.unit_cost * units)[opened].sum()),
            budget=plan.budget,
        )
    )
    totals["site_only"] = site_only_ids(chosen)
    totals["n_new_sites"] = int(opened.sum())
    explanation = None
    if not opened.any():
        explanation = _explain(plan, objective_name)
    totals.update(
        {
            "spent": float(chosen["cost"].sum()),
            "site_cost_spent": float(plan.site_cost[opened].sum()),
            "unit_cost_spent": float((plan.unit_cost * units)[opened].sum()),
            "units": int(units[opened].sum()),
            "added_capacity": float(added[opened].sum()),
            "capacity_per_unit": plan.capacity_per_unit,
            "chosen_sites": tuple(plan.candidates["site_id"][opened]),
        }
    )
    totals.update(extra)
    return EquityResult(
        model=model,
        report=report,
        chosen=chosen,
        areas=equity_areas_frame(plan.area_ids, plan.population, plan.in_f, before, after),
        totals=totals,
        objective_name=objective_name,
        explanation=explanation,
    )


def _explain(plan: _Plan, objective_name: str) -> dict:
    """Why an equity plan opened nothing (:func:`explain_empty_plan`)."""
    weights = sparse.csr_array(plan.access.weights)
    in_f_rows = sparse.csr_array(weights[np.flatnonzero(plan.in_f)])
    reach = np.asarray(abs(in_f_rows).sum(axis=0)).reshape(weights.shape[1])[plan.cand_pos] > 0
    return explain_empty_plan(
        candidate_ids=list(plan.candidates["site_id"]),
        candidate_cost=plan.site_cost + plan.unit_cost * np.maximum(plan.min_units, 1.0),
        in_od=plan.cand_in_od,
        in_reach=reach,
        money=plan.budget,
        catchment_minutes=plan.catchment,
        objective_name=f"the {objective_name}",
        cost_label="site cost plus at least one unit",
    ).as_dict()


def _access_after(plan: _Plan, units) -> np.ndarray:
    capacity = plan.existing_capacity.copy()
    capacity[plan.cand_pos] += plan.capacity_per_unit * units
    return plan.access(capacity)


def _close(value: float) -> float:
    """Tolerance for comparing two access numbers recomputed exactly."""
    return 1e-7 * abs(value) + 1e-15


def maximize_min_access(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None,
    catchment_minutes: float,
    budget: float,
    method: str = "2sfca",
    decay: Decay | str | Mapping | None = None,
    capacity_per_unit: float = 1.0,
    capacity_column: str = "capacity",
    tie_break: bool = True,
    solver_options: SolverOptions | None = None,
    check_unique: bool = False,
) -> EquityResult:
    """Open sites and buy units within a budget to raise the lowest access.

    Maximises ``min_{i in F} A_i``: the lowest floating-catchment access
    (supply per person) of any area with demand > 0 that some site could
    supply (see the module docstring for ``F`` and the access formula).

    Parameters
    ----------
    od : pandas.DataFrame
        OD table ``origin_id, site_id, minutes``; rows beyond
        ``catchment_minutes`` are ignored. Site ids must be candidates or
        existing sites.
    demand : pandas.Series
        Population (or need weight, >= 0) indexed by area id, every area.
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        Columns ``site_id``, ``site_cost``, ``unit_cost``, ``max_units`` and
        optionally ``min_units`` (0 when absent; whole numbers). A site_id
        that is also an existing facility is an expansion of it.
    existing : pandas.DataFrame or None
        Existing facilities: ``site_id`` and the capacity column.
    catchment_minutes : float
        Catchment of the access measure.
    budget : float
        Money available for ``sum site_cost * open + unit_cost * units``.
    method : str, default "2sfca"
        One of :data:`LINEAR_METHODS`.
    decay : optional
        Distance decay (as in :func:`accessplan.spatial.fca.access_scores`);
        the method's default when None.
    capacity_per_unit : float, default 1.0
        Capacity one unit adds.
    capacity_column : str, default "capacity"
        Capacity column of ``existing``.
    tie_break : bool, default True
        After the floor is found, solve again keeping it (to a relative
        1e-7) and maximising the population-weighted mean access over
        ``F``, so that money left is not spent at random.
    solver_options : SolverOptions, optional
        Solver and limits; a time limit applies to each of the two solves.
    check_unique : bool, default False
        After a proven optimum, look for another set of sites with the same
        floor (and, with ``tie_break``, at least the same mean) by a no-good
        re-solve; see :mod:`accessplan.location.uniqueness`. Whatever this
        says, when the floor before the plan already equals the optimum
        (access only grows with units, so no plan can raise it),
        ``result.uniqueness`` says that every plan scores the same and the
        tie-break chose.

    Returns
    -------
    EquityResult
        ``totals["objective"] == totals["floor_after"]``, the lowest access
        over ``F`` recomputed from the plan; ``report`` is the first solve's,
        in access units; ``totals["tie_break_report"]`` the second's.
        ``totals`` also carry the money keys
        (:func:`accessplan.location.result.money_totals`: ``cost``,
        ``site_cost``, ``unit_cost``, ``budget``, ``verdict``) and
        ``site_only``; ``result.explanation`` says why when nothing opens.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem in the inputs.
    UnknownMethodError, UnknownDecayError
        For 3SFCA, an unknown method or a bad decay.
    InfeasibleModelError
        When no populated area can be reached by any site that has or could
        get capacity.
    SolverError
        When the solver stopped without a solution.
    """
    options = check_options(solver_options)
    plan = _validate_plan(
        od,
        demand,
        candidates,
        existing,
        catchment_minutes,
        method,
        decay,
        capacity_per_unit,
        budget,
        capacity_column,
        "max-min access",
    )
    c, a, scale = _linear_parts(plan)
    f_idx = np.flatnonzero(plan.in_f)
    prob = pulp.LpProblem("max_min_access", pulp.LpMaximize)
    y, u = _plan_variables(plan, prob)
    floor = prob.add_variable("floor", lowBound=0)
    prob.setObjective(pulp.LpAffineExpression([(floor, 1.0)]))
    a_f = sparse.csr_array(a[f_idx])
    has_terms = np.diff(a_f.indptr) > 0
    constant = scale * c[f_idx]
    if (~has_terms).any():  # areas no candidate reaches: a plain upper bound on the floor
        floor.upBound = float(constant[~has_terms].min())
    for k in np.flatnonzero(has_terms).tolist():
        terms = [(floor, 1.0), *_row_terms(a_f, k, u, -scale)]
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=float(constant[k])
            ),
            name=f"floor_{int(f_idx[k])}",
        )
    report = solve(prob, options)
    raise_if_unsolved(report, "max-min access", "check the budget and unit bounds")
    opened, units = _values(y, u)
    extra = {}
    best = float(floor.varValue or 0.0)
    pop_f = plan.population[f_idx]
    gain = np.asarray(a_f.T @ pop_f).reshape(a_f.shape[1]) * scale / pop_f.sum()
    if tie_break:
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(floor, 1.0)]),
                pulp.LpConstraintGE,
                rhs=best - 1e-7 * max(abs(best), 1.0),
            ),
            name="keep_floor",
        )
        prob.setObjective(
            pulp.LpAffineExpression([(u[j], float(g)) for j, g in enumerate(gain) if g])
        )
        second = solve(prob, options)
        extra["tie_break_report"] = second.as_dict()
        if second.has_solution:
            opened, units = _values(y, u)
    name = "lowest access over populated, reachable areas"
    result = _assemble_plan(
        plan,
        "max-min access (MIP)",
        _rescale(report, 1.0 / scale),
        opened,
        units,
        name,
        "floor_after",
        extra,
    )
    t = result.totals
    tie = (
        "the highest population-weighted mean access, a second solve"
        if tie_break
        else "none: the solver's choice"
    )
    uniqueness = None
    if t["floor_after"] <= t["floor_before"] + _close(t["floor_before"]):
        # access only grows with units: a plan that cannot raise the floor means none can
        uniqueness = same_for_every_plan(name, t["floor_after"], tie)
    elif check_unique and not report.proven_optimal:
        uniqueness = not_checked("Uniqueness not checked: the optimum was not proven.")
    elif check_unique:
        chosen_mean = float(t["mean_after"])
        keep = [([(floor, 1.0)], pulp.LpConstraintGE, best - 1e-7 * max(abs(best), 1.0))]
        if tie_break:
            mean_terms = [(u[j], float(g)) for j, g in enumerate(gain) if g]
            kept = float(sum(g * units[j] for j, g in enumerate(gain) if g))
            keep.append((mean_terms, pulp.LpConstraintGE, kept - 1e-7 * max(abs(kept), 1.0)))

        def verify(mask):
            alt_units = _values(y, u)[1] * mask
            access = _access_after(plan, alt_units)[plan.in_f]
            floor_ok = access.min() >= t["floor_after"] - _close(t["floor_after"])
            mean = float(plan.population[plan.in_f] @ access) / float(pop_f.sum())
            return bool(floor_ok) and (not tie_break or mean >= chosen_mean - _close(chosen_mean))

        uniqueness = check_other_plan(
            prob,
            y,
            opened,
            list(plan.candidates["site_id"]),
            keep=keep,
            options=options,
            verify=verify,
            objective_name=name,
            tie_break=tie if tie_break else None,
        )
    return replace(result, uniqueness=uniqueness)


def minimize_access_deviation(
    od: pd.DataFrame,
    demand: pd.Series,
    candidates: pd.DataFrame,
    *,
    existing: pd.DataFrame | None,
    catchment_minutes: float,
    budget: float,
    method: str = "2sfca",
    decay: Decay | str | Mapping | None = None,
    capacity_per_unit: float = 1.0,
    capacity_column: str = "capacity",
    solver_options: SolverOptions | None = None,
    check_unique: bool = False,
) -> EquityResult:
    """Open sites and buy units within a budget to make access as even as possible.

    Minimises ``sum_{i in F} P_i |A_i - Abar|`` with
    ``Abar = sum_{i in F} P_i A_i / sum_{i in F} P_i`` (the L1 form of Wang &
    Tang's MAED; a mean variable holds ``Abar``, linear in the units, and
    ``e_i >= +-(A_i - Abar)`` linearise the absolute values). Parameters,
    errors and ``F`` as in :func:`maximize_min_access` (without ``tie_break``:
    among plans of equal deviation the solver chooses; ``check_unique``
    reports whether another set of sites scores the same).

    Returns
    -------
    EquityResult
        ``totals["objective"] == totals["l1_deviation_after"]``, recomputed
        from the plan; ``totals["mean_abs_deviation_after"]`` divides it by
        the population of ``F``.
    """
    options = check_options(solver_options)
    plan = _validate_plan(
        od,
        demand,
        candidates,
        existing,
        catchment_minutes,
        method,
        decay,
        capacity_per_unit,
        budget,
        capacity_column,
        "access deviation",
    )
    c, a, scale = _linear_parts(plan)
    f_idx = np.flatnonzero(plan.in_f)
    pop_f = plan.population[f_idx]
    share = pop_f / pop_f.sum()
    a_f = sparse.csr_array(a[f_idx])
    c_f = scale * c[f_idx]
    prob = pulp.LpProblem("min_access_deviation", pulp.LpMinimize)
    y, u = _plan_variables(plan, prob)
    mean = prob.add_variable("mean_access")
    dev = [prob.add_variable(f"dev_{int(i)}", lowBound=0) for i in f_idx]
    prob.setObjective(pulp.LpAffineExpression(zip(dev, share.tolist(), strict=True)))
    mean_gain = np.asarray(a_f.T @ share).reshape(a_f.shape[1]) * scale
    prob.addConstraint(
        pulp.LpConstraint(
            pulp.LpAffineExpression(
                [(mean, 1.0)] + [(u[j], -float(g)) for j, g in enumerate(mean_gain) if g]
            ),
            pulp.LpConstraintEQ,
            rhs=float(share @ c_f),
        ),
        name="mean",
    )
    for k in range(len(f_idx)):
        row = _row_terms(a_f, k, u, scale)
        negated = [(v, -w) for v, w in row]
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(dev[k], 1.0), (mean, 1.0), *negated]),
                pulp.LpConstraintGE,
                rhs=float(c_f[k]),
            ),
            name=f"above_{k}",
        )
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression([(dev[k], 1.0), (mean, -1.0), *row]),
                pulp.LpConstraintGE,
                rhs=-float(c_f[k]),
            ),
            name=f"below_{k}",
        )
    report = solve(prob, options)
    raise_if_unsolved(report, "access deviation", "check the budget and unit bounds")
    opened, units = _values(y, u)
    result = _assemble_plan(
        plan,
        "least absolute access deviation (MIP, L1 MAED)",
        _rescale(report, pop_f.sum() / scale),
        opened,
        units,
        "population-weighted absolute deviation from the mean access, sum P_i |A_i - Abar|",
        "l1_deviation_after",
        {},
    )
    total = result.totals["demand_in_objective"]
    result.totals["mean_abs_deviation_before"] = result.totals["l1_deviation_before"] / total
    result.totals["mean_abs_deviation_after"] = result.totals["l1_deviation_after"] / total
    if check_unique and not report.proven_optimal:
        return replace(
            result, uniqueness=not_checked("Uniqueness not checked: the optimum was not proven.")
        )
    if check_unique:
        chosen_l1 = float(result.totals["l1_deviation_after"])
        opt = float(report.objective)

        def verify(mask):
            access = _access_after(plan, _values(y, u)[1] * mask)
            l1 = access_stats(access, plan.population, plan.in_f)["l1"]
            return l1 <= chosen_l1 + _close(chosen_l1)

        uniqueness = check_other_plan(
            prob,
            y,
            opened,
            list(plan.candidates["site_id"]),
            keep=[
                (
                    list(zip(dev, share.tolist(), strict=True)),
                    pulp.LpConstraintLE,
                    opt + 1e-7 * max(abs(opt), 1.0),
                )
            ],
            options=options,
            verify=verify,
            objective_name="absolute access deviation (no tie-break: the solver's choice)",
        )
        return replace(result, uniqueness=uniqueness)
    return result
