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

from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from accessplan.location.checks import (
    check_options,
    raise_if_unsolved,
)
from accessplan.location.equity_access import (
    LINEAR_METHODS,
    EquityResult,
    access_stats,
)
from accessplan.location.equity_plan import (
    access_after,
    assemble_equity_plan,
    linear_parts,
    plan_values,
    plan_variables,
    rescale_report,
    row_terms,
    validate_equity_plan,
)
from accessplan.location.equity_qp import reallocate_capacity_qp, round_and_repair
from accessplan.location.solver import SolverOptions, solve
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
    plan = validate_equity_plan(
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
    c, a, scale = linear_parts(plan)
    f_idx = np.flatnonzero(plan.in_f)
    prob = pulp.LpProblem("max_min_access", pulp.LpMaximize)
    y, u = plan_variables(plan, prob)
    floor = prob.add_variable("floor", lowBound=0)
    prob.setObjective(pulp.LpAffineExpression([(floor, 1.0)]))
    a_f = sparse.csr_array(a[f_idx])
    has_terms = np.diff(a_f.indptr) > 0
    constant = scale * c[f_idx]
    if (~has_terms).any():  # areas no candidate reaches: a plain upper bound on the floor
        floor.upBound = float(constant[~has_terms].min())
    for k in np.flatnonzero(has_terms).tolist():
        terms = [(floor, 1.0), *row_terms(a_f, k, u, -scale)]
        prob.addConstraint(
            pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, rhs=float(constant[k])
            ),
            name=f"floor_{int(f_idx[k])}",
        )
    report = solve(prob, options)
    raise_if_unsolved(report, "max-min access", "check the budget and unit bounds")
    opened, units = plan_values(y, u)
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
            opened, units = plan_values(y, u)
    name = "lowest access over populated, reachable areas"
    result = assemble_equity_plan(
        plan,
        "max-min access (MIP)",
        rescale_report(report, 1.0 / scale),
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
            alt_units = plan_values(y, u)[1] * mask
            access = access_after(plan, alt_units)[plan.in_f]
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
    plan = validate_equity_plan(
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
    c, a, scale = linear_parts(plan)
    f_idx = np.flatnonzero(plan.in_f)
    pop_f = plan.population[f_idx]
    share = pop_f / pop_f.sum()
    a_f = sparse.csr_array(a[f_idx])
    c_f = scale * c[f_idx]
    prob = pulp.LpProblem("min_access_deviation", pulp.LpMinimize)
    y, u = plan_variables(plan, prob)
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
        row = row_terms(a_f, k, u, scale)
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
    opened, units = plan_values(y, u)
    result = assemble_equity_plan(
        plan,
        "least absolute access deviation (MIP, L1 MAED)",
        rescale_report(report, pop_f.sum() / scale),
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
            access = access_after(plan, plan_values(y, u)[1] * mask)
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
