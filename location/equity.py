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
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Real

import highspy
import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from accessplan.data.errors import ProblemCollector
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.median import (
    _check_demand,
    _check_od,
    _check_options,
    _check_sites,
    _count,
    _labels,
    _numbers,
    _raise_if_unsolved,
)
from accessplan.location.result import LocationResult
from accessplan.location.solver import SolveReport, SolverOptions, new_highs, solve
from accessplan.spatial.decay import Decay
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import resolve_decay

__all__ = [
    "LINEAR_METHODS",
    "EquityResult",
    "maximize_min_access",
    "minimize_access_deviation",
    "reallocate_capacity_qp",
    "round_and_repair",
]

#: Access methods whose scores are linear in the capacities (3SFCA is not).
LINEAR_METHODS = ("2sfca", "e2sfca", "g2sfca", "gravity", "m2sfca")

_SHOWN = 10


# ====================================================================== result


@dataclass(frozen=True, eq=False)
class EquityResult(LocationResult):
    """A plan chosen by an equity objective.

    Attributes
    ----------
    model : str
        What was solved, e.g. ``"max-min access (MIP)"`` or
        ``"capacity reallocation (continuous QP, HiGHS)"``.
    report : SolveReport
        Solver status, objective and bound, in the units of
        ``objective_name``. For :func:`round_and_repair` the solver is
        ``"heuristic"``, the status ``"feasible"`` (never proven) and the
        bound the continuous QP optimum.
    chosen : pandas.DataFrame
        Equity MIPs: the opened candidate rows (all their columns, geometry
        kept) plus ``units``, ``added_capacity``, ``capacity_after`` and
        ``cost``. QP: every site row plus ``capacity_after``, ``min_capacity``
        and ``max_capacity``.
    areas : pandas.DataFrame
        One row per area: ``demand``, ``access_before``, ``access_after``,
        ``in_objective`` and ``status`` (``"in_objective"``, ``"zero_demand"``
        or ``"unreachable"``).
    totals : dict
        Exact values recomputed from the plan (``objective``, floors, means,
        deviations before and after, money spent, ...); see each function.
    objective_name : str
        What the objective measures.
    heuristic : bool
        True when the plan comes from a heuristic (no optimality claim).
    budget_dual : None
        Always None (a budget dual means little with integer units); kept so
        that every location result has the fields of
        :class:`accessplan.location.result.LocationResult`.
    """

    heuristic: bool = False
    _qp: object = field(default=None, repr=False)

    def summary(self) -> str:
        """A few lines: model, solver report, objective and what changed."""
        t = self.totals
        lines = [
            f"{self.model}{' -- HEURISTIC, not proven optimal' if self.heuristic else ''}",
            f"  solver: {self.report.summary()}",
            f"  {self.objective_name}: {t['objective']:.6g}",
            f"  lowest access {t['floor_before']:.6g} -> {t['floor_after']:.6g}; "
            f"mean {t['mean_before']:.6g} -> {t['mean_after']:.6g}; "
            f"sum P|A-mean| {t['l1_deviation_before']:.6g} -> {t['l1_deviation_after']:.6g}",
        ]
        if "budget" in t:
            sites = ", ".join(str(s) for s in t["chosen_sites"][:_SHOWN])
            lines.append(
                f"  spent {t['spent']:,.6g} of {t['budget']:,.6g}; "
                f"{t['units']} units at {len(t['chosen_sites'])} sites: {sites or '(none)'}"
            )
        if t["areas_unreachable"]:
            lines.append(
                f"  {len(t['areas_unreachable'])} populated areas no site can reach "
                f"(demand {t['demand_unreachable']:,.6g}) left out"
            )
        return "\n".join(lines)


# ================================================================ access model


@dataclass(frozen=True)
class _Access:
    """``A = W' @ (S / D)`` for every area; ``matrix`` is ``W' diag(1/D)``."""

    weights: sparse.csr_array  # W' (areas x sites)
    site_population: np.ndarray  # D
    matrix: sparse.csr_array  # W' / D

    def __call__(self, capacity: np.ndarray) -> np.ndarray:
        d = self.site_population
        ratio = np.divide(capacity, d, out=np.zeros(len(d)), where=d > 0)
        return np.asarray(self.weights @ ratio, dtype=float).reshape(self.weights.shape[0])


def _resolve(method, decay, catchment_minutes, problems: ProblemCollector):
    """Checked method name and decay, as :mod:`accessplan.spatial.fca` resolves them."""
    name = method.strip().lower() if isinstance(method, str) else method
    if name == "3sfca":
        raise UnknownMethodError(
            "3sfca access is not linear in the capacities (its selection weights depend on "
            f"which sites have capacity); use one of {', '.join(LINEAR_METHODS)}"
        )
    if name not in LINEAR_METHODS:
        raise UnknownMethodError(
            f"unknown access method {method!r}; accepted: {', '.join(LINEAR_METHODS)}"
        )
    if not (
        isinstance(catchment_minutes, Real)
        and not isinstance(catchment_minutes, bool)
        and math.isfinite(catchment_minutes)
        and catchment_minutes > 0
    ):
        problems.add(f"catchment_minutes must be a finite number > 0, got {catchment_minutes!r}")
        return name, None
    catchment = float(catchment_minutes)
    decay = resolve_decay(decay, method=name, catchment_minutes=catchment)
    return name, decay


def _access_model(rows, cols, minutes, population, n_sites, *, method, catchment, decay):
    keep = minutes <= catchment
    r, c, m = rows[keep], cols[keep], minutes[keep]
    w = np.asarray(decay(m), dtype=float)
    shape = (len(population), n_sites)
    weights = sparse.csr_array((w, (r, c)), shape=shape)
    site_population = np.asarray(weights.T @ population, dtype=float).reshape(n_sites)
    if method == "m2sfca":
        weights = sparse.csr_array((w * w, (r, c)), shape=shape)
    inverse = np.divide(1.0, site_population, out=np.zeros(n_sites), where=site_population > 0)
    matrix = sparse.csr_array(weights @ sparse.diags_array(inverse))
    matrix.eliminate_zeros()
    return _Access(weights=weights, site_population=site_population, matrix=matrix)


def _stats(access: np.ndarray, population: np.ndarray, in_f: np.ndarray) -> dict:
    a, pop = access[in_f], population[in_f]
    total = pop.sum()
    if len(a) == 0 or total <= 0:
        return {"floor": math.nan, "mean": math.nan, "l1": 0.0, "sq": 0.0}
    mean = float(pop @ a) / float(total)
    dev = a - mean
    return {
        "floor": float(a.min()),
        "mean": mean,
        "l1": float(pop @ np.abs(dev)),
        "sq": float(pop @ (dev * dev)),
    }


def _areas_frame(area_ids, population, in_f, before, after) -> pd.DataFrame:
    status = np.full(len(population), "in_objective", dtype=object)
    status[population <= 0] = "zero_demand"
    status[(population > 0) & ~in_f] = "unreachable"
    return pd.DataFrame(
        {
            "demand": population,
            "access_before": before,
            "access_after": after,
            "in_objective": in_f,
            "status": status,
        },
        index=area_ids.copy(),
    )


def _common_totals(area_ids, population, in_f, before, after, *, method, catchment, decay):
    b, a = _stats(before, population, in_f), _stats(after, population, in_f)
    unreachable = (population > 0) & ~in_f
    return {
        "floor_before": b["floor"],
        "floor_after": a["floor"],
        "mean_before": b["mean"],
        "mean_after": a["mean"],
        "l1_deviation_before": b["l1"],
        "l1_deviation_after": a["l1"],
        "squared_deviation_before": b["sq"],
        "squared_deviation_after": a["sq"],
        "demand_in_objective": float(population[in_f].sum()),
        "areas_in_objective": int(in_f.sum()),
        "areas_unreachable": tuple(area_ids[unreachable]),
        "demand_unreachable": float(population[unreachable].sum()),
        "method": method,
        "catchment_minutes": catchment,
        "decay": decay.to_spec(),
    }


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
    access: _Access
    in_f: np.ndarray
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
    method, decay = _resolve(method, decay, catchment_minutes, problems)
    population = _check_demand(demand, problems)
    cand_ids = _check_sites(
        candidates, "candidates", problems, ("site_cost", "unit_cost", "max_units")
    )
    exist_ids, exist_cap = pd.Index([]), np.zeros(0)
    if existing is not None:
        exist_ids = _check_sites(existing, "existing", problems, (capacity_column,))
        if exist_ids is not None and capacity_column in existing.columns:
            exist_cap = _numbers(
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
                numbers[column] = _numbers(
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
                    f"{_count(int(above.sum()), 'row')} with min_units > max_units",
                    source="candidates",
                    rows=_labels(cand_ids, above),
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
    od_arrays = _check_od(od, area_index, site_ids, problems)
    problems.raise_if_any()

    rows, cols, minutes = od_arrays
    s0 = np.zeros(len(site_ids))
    if len(exist_ids):
        s0[site_ids.get_indexer(exist_ids)] = exist_cap
    access = _access_model(
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
    totals = _common_totals(
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
        {
            "budget": plan.budget,
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
        areas=_areas_frame(plan.area_ids, plan.population, plan.in_f, before, after),
        totals=totals,
        objective_name=objective_name,
    )


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

    Returns
    -------
    EquityResult
        ``totals["objective"] == totals["floor_after"]``, the lowest access
        over ``F`` recomputed from the plan; ``report`` is the first solve's,
        in access units; ``totals["tie_break_report"]`` the second's.

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
    options = _check_options(solver_options)
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
    _raise_if_unsolved(report, "max-min access", "check the budget and unit bounds")
    opened, units = _values(y, u)
    extra = {}
    if tie_break:
        best = float(floor.varValue or 0.0)
        pop_f = plan.population[f_idx]
        gain = np.asarray(a_f.T @ pop_f).reshape(a_f.shape[1]) * scale / pop_f.sum()
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
    return _assemble_plan(
        plan,
        "max-min access (MIP)",
        _rescale(report, 1.0 / scale),
        opened,
        units,
        "lowest access over populated, reachable areas",
        "floor_after",
        extra,
    )


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
) -> EquityResult:
    """Open sites and buy units within a budget to make access as even as possible.

    Minimises ``sum_{i in F} P_i |A_i - Abar|`` with
    ``Abar = sum_{i in F} P_i A_i / sum_{i in F} P_i`` (the L1 form of Wang &
    Tang's MAED; a mean variable holds ``Abar``, linear in the units, and
    ``e_i >= +-(A_i - Abar)`` linearise the absolute values). Parameters,
    errors and ``F`` as in :func:`maximize_min_access` (without ``tie_break``).

    Returns
    -------
    EquityResult
        ``totals["objective"] == totals["l1_deviation_after"]``, recomputed
        from the plan; ``totals["mean_abs_deviation_after"]`` divides it by
        the population of ``F``.
    """
    options = _check_options(solver_options)
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
    _raise_if_unsolved(report, "access deviation", "check the budget and unit bounds")
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
    return result


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
                f"{name} has no value for {_count(int(missing.sum()), 'site')}",
                source=name,
                rows=_labels(site_ids, missing),
            )
            return np.full(len(site_ids), default)
        values = value.reindex(site_ids)
        return _numbers(values, source=name, column=value.name, problems=problems, allow_inf=True)
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
    method, decay = _resolve(method, decay, catchment_minutes, problems)
    population = _check_demand(demand, problems)
    site_ids = _check_sites(sites, "sites", problems)
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
                f"{_count(int(crossed.sum()), 'site')} with min_capacity > max_capacity",
                rows=_labels(site_ids, crossed),
            )
        if "capacity" in sites.columns:
            before = _numbers(
                sites["capacity"], source="sites", column="capacity", problems=problems
            )
    od_arrays = None
    if isinstance(od, pd.DataFrame) and "site_id" in od.columns and site_ids is not None:
        od = od.loc[od["site_id"].isin(site_ids)]
    area_index = demand.index if population is not None else None
    od_arrays = _check_od(od, area_index, site_ids, problems)
    problems.raise_if_any()

    rows, cols, minutes = od_arrays
    total = float(total_capacity)
    catchment = float(catchment_minutes)
    access = _access_model(
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
    access: _Access = plan["access"]
    after = access(capacity)
    before_cap = plan["before"]
    before = access(before_cap) if before_cap is not None else np.full(len(after), np.nan)
    chosen = quad.sites.copy()
    if before_cap is not None:
        chosen["capacity_before"] = before_cap
    chosen["capacity_after"] = capacity + 0.0  # no -0.0
    chosen["min_capacity"] = quad.lower
    chosen["max_capacity"] = quad.upper
    totals = _common_totals(
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
    totals.update(extra)
    return EquityResult(
        model=model,
        report=report,
        chosen=chosen,
        areas=_areas_frame(plan["area_ids"], plan["population"], plan["in_f"], before, after),
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
    rounded = _stats(plan["access"](capacity), plan["population"], plan["in_f"])["sq"]
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
