"""The budget plan of the equity models: validated inputs, open/unit variables, linear access.

Shared by :mod:`accessplan.location.equity` (max-min access, least deviation) and
:mod:`accessplan.location.pareto` (the coverage-equity frontier). With the
catchments fixed, access after a plan is linear in the units bought:
``A_i = c_i + sum_j a_ij units_j`` (:func:`linear_parts`; the formula is in the
docstring of :mod:`accessplan.location.equity`).
"""

from __future__ import annotations

import math
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
    check_sites,
    count_noun,
    first_labels,
    numeric_values,
)
from accessplan.location.equity_access import (
    AccessModel,
    EquityResult,
    build_access_model,
    common_totals,
    equity_areas_frame,
    resolve_method,
)
from accessplan.location.errors import InfeasibleModelError
from accessplan.location.explain import explain_empty_plan
from accessplan.location.result import money_totals, site_only_ids
from accessplan.location.solver import SolveReport
from accessplan.spatial.decay import Decay

__all__ = [
    "EquityPlan",
    "access_after",
    "assemble_equity_plan",
    "explain_equity_plan",
    "linear_parts",
    "plan_values",
    "plan_variables",
    "rescale_report",
    "row_terms",
    "validate_equity_plan",
]


@dataclass(frozen=True)
class EquityPlan:
    """Validated inputs of an equity budget MIP (sites = candidates, then existing-only sites)."""

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


def validate_equity_plan(
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
) -> EquityPlan:
    """Check every input (all problems raised at once) and build the linear access model.

    Raises InputValidationError, UnknownMethodError / UnknownDecayError, or
    InfeasibleModelError when no populated area can be reached by a site that
    has or could get capacity.
    """
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
    return EquityPlan(
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


def plan_variables(plan: EquityPlan, prob: pulp.LpProblem):
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


def linear_parts(plan: EquityPlan):
    """``A_i = c_i + sum_j a_ij units_j`` (areas x candidates ``a``) and the access scale."""
    c = plan.access(plan.existing_capacity)
    a = sparse.csr_array(plan.access.matrix[:, plan.cand_pos] * plan.capacity_per_unit)
    pop_f = plan.population[plan.in_f].sum()
    potential = plan.existing_capacity.sum() + plan.capacity_per_unit * plan.max_units.sum()
    ref = potential / pop_f
    return c, a, 1.0 / ref


def row_terms(a: sparse.csr_array, i: int, u, factor: float) -> list:
    """Row ``i`` of ``a`` as PuLP ``(units variable, factor * coefficient)`` pairs."""
    start, stop = a.indptr[i], a.indptr[i + 1]
    return [
        (u[j], factor * v)
        for j, v in zip(a.indices[start:stop].tolist(), a.data[start:stop].tolist(), strict=True)
    ]


def plan_values(y, u) -> tuple[np.ndarray, np.ndarray]:
    """Open mask and whole units read from the solved variables."""
    opened = np.array([(v.varValue or 0.0) > 0.5 for v in y], dtype=bool)
    units = np.array([round(v.varValue or 0.0) for v in u], dtype=np.int64)
    return opened, units


def rescale_report(report: SolveReport, factor: float) -> SolveReport:
    """The report with objective and bound multiplied by ``factor`` (model scale to access units)."""

    def conv(v):
        return None if v is None else v * factor

    return replace(report, objective=conv(report.objective), best_bound=conv(report.best_bound))


def assemble_equity_plan(
    plan: EquityPlan, model, report, opened, units, objective_name, key, extra
):
    """The :class:`EquityResult` of a plan: chosen rows, areas, totals recomputed exactly."""
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
        explanation = explain_equity_plan(plan, objective_name)
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


def explain_equity_plan(plan: EquityPlan, objective_name: str) -> dict:
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


def access_after(plan: EquityPlan, units) -> np.ndarray:
    """Access of every area after buying ``units`` (per candidate)."""
    capacity = plan.existing_capacity.copy()
    capacity[plan.cand_pos] += plan.capacity_per_unit * units
    return plan.access(capacity)
