"""The coverage-equity frontier: how much coverage each step of equity costs, by epsilon-constraint.

Formulation
-----------
One budget plan (:mod:`accessplan.location.equity_plan`): binary ``y_j`` opens
candidate ``j`` and integer ``u_j`` buys units (``min_units y_j <= u_j <=
max_units y_j``), with ``sum_j site_cost_j y_j + unit_cost_j u_j <= budget``.
Two measures of the same plan:

* coverage ``C(y) = K + sum_g d_g z_g`` with ``z_g <= sum_{j in N_g} y_j``: the
  demand within ``catchment_minutes`` of an existing or opened site (``K``:
  demand existing sites already cover; ``N_g``: the candidates that reach the
  merged demand group ``g``), as in
  :func:`accessplan.location.coverage.maximize_coverage`;
* equity ``E(u)`` on the linear floating-catchment access
  ``A_i = c_i + sum_j a_ij u_j`` of :mod:`accessplan.location.equity`, over the
  populated reachable areas ``F``: ``"max_min_access"`` the lowest access
  ``min_{i in F} A_i`` (higher is better), or ``"min_access_deviation"`` the
  population-weighted absolute deviation ``sum_{i in F} P_i |A_i - Abar|``
  (lower is better).

The epsilon-constraint method: solve the two ends (the most coverage; the
best equity), then, for ``points - 2`` values ``eps`` evenly between the ends'
equity, maximise ``C`` subject to ``E >= eps`` (``E <= eps`` for the
deviation). Each solve is followed by lexicographic ones that keep what it
proved (to a relative 1e-7): the best equity at that coverage (so no point is
dominated by a plan with the same coverage), then the lowest cost. Points are
recomputed exactly from their plans; duplicates and dominated points are
dropped. A point is ``proven_optimal`` only when every solve behind it was
proven; otherwise ``gap`` is the largest relative gap among them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pulp
from scipy import sparse

from accessplan.data.errors import InputValidationError, ProblemCollector
from accessplan.location.coverage_base import (
    covered_groups,
    incidence,
    merge_rows,
    solver_options_from,
)
from accessplan.location.equity_access import EquityResult, access_stats
from accessplan.location.equity_plan import (
    EquityPlan,
    access_after,
    assemble_equity_plan,
    linear_parts,
    plan_values,
    plan_variables,
    row_terms,
    validate_equity_plan,
)
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.solver import SolveReport, SolverOptions, solve

__all__ = ["EQUITY_MEASURES", "CoverageEquityFrontier", "coverage_equity_frontier"]

#: The equity measures of the frontier.
EQUITY_MEASURES = ("max_min_access", "min_access_deviation")

#: Relative tolerance of the rows that keep a proven value in the lexicographic solves.
KEEP_REL = 1e-7

FRONTIER_COLUMNS = [
    "point",
    "epsilon",
    "coverage",
    "coverage_share",
    "equity",
    "status",
    "proven_optimal",
    "gap",
    "cost",
    "sites",
    "units",
]


@dataclass(frozen=True, eq=False)
class CoverageEquityFrontier:
    """The Pareto points of coverage against equity, and the plan of each.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per non-dominated point, from the most coverage to the best
        equity: ``point`` (0-based), ``epsilon`` (the equity bound of the
        solve, NaN at the two ends), ``coverage`` (demand covered),
        ``coverage_share``, ``equity`` (access floor, or absolute deviation,
        in access units), ``status``, ``proven_optimal``, ``gap`` (None when
        proven), ``cost``, ``sites`` and ``units`` (ids and units joined by
        ";"), ``floor``, ``deviation`` and ``mean_access`` (both measures of
        every plan).
    plans : dict
        ``point`` -> :class:`accessplan.location.equity_access.EquityResult`
        of that point's plan (chosen sites with units, access before/after).
    equity : str
        ``"max_min_access"`` or ``"min_access_deviation"``.
    higher_is_better : bool
        Whether a larger ``equity`` is better (True for the floor).
    dropped : int
        Solved points left out as duplicates or dominated.
    population : float
        Total demand (the denominator of ``coverage_share``).
    """

    table: pd.DataFrame
    plans: dict = field(default_factory=dict)
    equity: str = "max_min_access"
    higher_is_better: bool = True
    dropped: int = 0
    population: float = 0.0


@dataclass
class _Coverage:
    matrix: sparse.csr_matrix  # merged groups x candidates
    weight: np.ndarray
    constant: float


def _coverage_parts(
    plan: EquityPlan, od: pd.DataFrame, existing_ids, coverage_minutes
) -> _Coverage:
    """Merged demand groups not yet covered, and the demand existing sites cover."""
    minutes = pd.to_numeric(od["minutes"], errors="coerce").to_numpy(dtype=float)
    within = np.isfinite(minutes) & (minutes <= coverage_minutes)
    rows = plan.area_ids.get_indexer(od["origin_id"].to_numpy()[within])
    sites = od["site_id"].to_numpy()[within]
    cand = pd.Index(plan.candidates["site_id"]).get_indexer(sites)
    n = len(plan.area_ids)
    cover = incidence(rows, cand, (n, len(plan.candidates)))
    is_existing = pd.Index(sites).isin(pd.Index(existing_ids))
    before = np.zeros(n, dtype=bool)
    before[rows[(rows >= 0) & is_existing]] = True
    d = plan.population
    free = (d > 0) & ~before
    m = cover[free].tocsr()
    w = d[free]
    reach = np.diff(m.indptr) > 0
    m, w = m[reach], w[reach]
    if m.shape[0]:
        m, w, _ = merge_rows(m, w)
    return _Coverage(m, np.asarray(w, dtype=float), float(d[before].sum()))


class _Model:
    """The joint MILP; rows are added stage by stage (a fresh model per epsilon)."""

    def __init__(self, plan: EquityPlan, cov: _Coverage, equity: str):
        self.plan, self.cov, self.equity = plan, cov, equity
        self.prob = pulp.LpProblem("coverage_equity", pulp.LpMaximize)
        self.y, self.u = plan_variables(plan, self.prob)
        c, a, scale = linear_parts(plan)
        self.scale = scale
        ip, ind = cov.matrix.indptr, cov.matrix.indices
        self.z = [
            self.prob.add_variable(f"z_{g}", lowBound=0, upBound=1)
            for g in range(cov.matrix.shape[0])
        ]
        for g, zg in enumerate(self.z):
            terms = [(zg, 1.0)] + [(self.y[k], -1.0) for k in ind[ip[g] : ip[g + 1]].tolist()]
            self._row(terms, pulp.LpConstraintLE, 0.0, f"cover_{g}")
        self.coverage_terms = list(zip(self.z, cov.weight.tolist(), strict=True))
        f_idx = np.flatnonzero(plan.in_f)
        a_f = sparse.csr_array(a[f_idx])
        c_f = scale * c[f_idx]
        if equity == "max_min_access":
            self.floor = self.prob.add_variable("floor", lowBound=0)
            has = np.diff(a_f.indptr) > 0
            if (~has).any():
                self.floor.upBound = float(c_f[~has].min())
            for k in np.flatnonzero(has).tolist():
                terms = [(self.floor, 1.0), *row_terms(a_f, k, self.u, -scale)]
                self._row(terms, pulp.LpConstraintLE, float(c_f[k]), f"floor_{k}")
            self.equity_terms = [(self.floor, 1.0)]
            self.to_access = 1.0 / scale
        else:
            pop_f = plan.population[f_idx]
            share = pop_f / pop_f.sum()
            mean = self.prob.add_variable("mean_access")
            dev = [self.prob.add_variable(f"dev_{k}", lowBound=0) for k in range(len(f_idx))]
            gain = np.asarray(a_f.T @ share).reshape(a_f.shape[1]) * scale
            terms = [(mean, 1.0)] + [(self.u[j], -float(g)) for j, g in enumerate(gain) if g]
            self._row(terms, pulp.LpConstraintEQ, float(share @ c_f), "mean")
            for k in range(len(f_idx)):
                row = row_terms(a_f, k, self.u, scale)
                neg = [(v, -w) for v, w in row]
                self._row(
                    [(dev[k], 1.0), (mean, 1.0), *neg], pulp.LpConstraintGE, float(c_f[k]), f"a{k}"
                )
                self._row(
                    [(dev[k], 1.0), (mean, -1.0), *row],
                    pulp.LpConstraintGE,
                    -float(c_f[k]),
                    f"b{k}",
                )
            self.equity_terms = list(zip(dev, share.tolist(), strict=True))
            self.to_access = pop_f.sum() / scale
        self.cost_terms = [
            (self.y[j], float(plan.site_cost[j])) for j in range(len(self.y)) if plan.site_cost[j]
        ] + [(self.u[j], float(plan.unit_cost[j])) for j in range(len(self.u)) if plan.unit_cost[j]]
        self.better_high = equity == "max_min_access"

    def _row(self, terms, sense, rhs, name):
        self.prob.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, rhs=rhs), name=name
        )

    def terms(self, what: str) -> list:
        """The objective terms of a stage: "coverage", "equity" or "cost"."""
        return {"coverage": self.coverage_terms, "equity": self.equity_terms}.get(
            what, self.cost_terms
        )

    def bound_equity(self, eps_access: float) -> None:
        """Equity at least (floor) / at most (deviation) ``eps_access``, in access units."""
        sense = pulp.LpConstraintGE if self.better_high else pulp.LpConstraintLE
        self._row(self.equity_terms, sense, eps_access / self.to_access, "epsilon")

    def stage(self, what: str, options: SolverOptions, count: int, *, first: bool):
        """Optimise ``what`` ("coverage", "equity", "cost"); then keep its value.

        Later stages start from the previous stage's plan (a MIP start); when
        one finds no solution its report is returned with value None and no
        row is added (the caller keeps the previous plan).
        """
        terms = self.terms(what)
        maximise = what == "coverage" or (what == "equity" and self.better_high)
        self.prob.sense = pulp.LpMaximize if maximise else pulp.LpMinimize
        self.prob.setObjective(pulp.LpAffineExpression(terms))
        report = solve(self.prob, replace(options, warm_start=not first))
        if first and report.status == "infeasible":
            raise InfeasibleModelError(
                f"coverage_equity_frontier: the {what} stage is infeasible", report
            )
        if not report.has_solution:
            if not first:
                return report, None
            raise SolverError(
                f"coverage_equity_frontier: no solution in the {what} stage "
                f"({report.summary()}); raise the time limit",
                report,
            )
        value = float(pulp.value(self.prob.objective) or 0.0)
        room = KEEP_REL * max(1.0, abs(value))
        sense = pulp.LpConstraintGE if maximise else pulp.LpConstraintLE
        self._row(terms, sense, value - room if maximise else value + room, f"keep_{count}")
        return report, value


def coverage_equity_frontier(
    od: pd.DataFrame,
    demand: pd.Series,
    supply_existing: pd.DataFrame | None,
    candidates: pd.DataFrame,
    *,
    budget: float,
    catchment_minutes: float,
    coverage_minutes: float | None = None,
    method: str = "2sfca",
    decay=None,
    capacity_per_unit: float = 1.0,
    points: int = 7,
    equity: str = "max_min_access",
    capacity_column: str = "capacity",
    solver_options: SolverOptions | Mapping | None = None,
) -> CoverageEquityFrontier:
    """The Pareto set of coverage against equity within a budget (epsilon-constraint).

    See the module docstring for the model. ``catchment_minutes`` is both the
    coverage radius and the access catchment unless ``coverage_minutes`` is
    given.

    With ``"max_min_access"``, one radius for both, and every candidate able
    to receive units (``max_units > 0``), the frontier has ONE point: a floor
    above 0 needs every area of ``F`` within reach of a site with capacity,
    which already covers all the demand any plan can cover. The trade-off
    appears when coverage is judged over a shorter radius than access
    (``coverage_minutes``), or with the deviation measure.

    Parameters
    ----------
    od : pandas.DataFrame
        ``origin_id, site_id, minutes``; site ids are candidates or existing.
    demand : pandas.Series
        Population (or need, >= 0) indexed by area id.
    supply_existing : pandas.DataFrame or None
        Existing sites: ``site_id`` and ``capacity_column``. They cover their
        catchment and supply access.
    candidates : pandas.DataFrame
        ``site_id``, ``site_cost``, ``unit_cost``, ``max_units`` and
        optionally ``min_units``.
    budget : float
        Money for sites and units.
    catchment_minutes : float
        The access catchment (and the coverage radius unless ``coverage_minutes``).
    coverage_minutes : float, optional
        Coverage radius when it differs from the access catchment (e.g. people
        within 30 minutes, access measured by E2SFCA over 60); at most
        ``catchment_minutes``.
    method, decay, capacity_per_unit, capacity_column
        The access measure, as in
        :func:`accessplan.location.equity.maximize_min_access`.
    points : int, default 7
        Solves along the frontier, the two ends included (>= 2); fewer rows
        come back when some coincide or are dominated.
    equity : {"max_min_access", "min_access_deviation"}
        The equity measure.
    solver_options : SolverOptions or mapping, optional
        Solver and limits, for every solve (a time limit applies to each).

    Returns
    -------
    CoverageEquityFrontier

    Raises
    ------
    InputValidationError
        Every problem at once (unknown equity measure, ``points`` < 2, and
        the inputs' problems).
    UnknownMethodError, UnknownDecayError
        For 3SFCA, an unknown method or a bad decay.
    InfeasibleModelError, SolverError
        As the equity models.
    """
    problems = ProblemCollector(what="coverage_equity_frontier inputs")
    if equity not in EQUITY_MEASURES:
        problems.add(f"unknown equity measure {equity!r}; choose one of {list(EQUITY_MEASURES)}")
    if not (isinstance(points, Integral) and not isinstance(points, bool) and points >= 2):
        problems.add(f"points must be a whole number >= 2 (the two ends), got {points!r}")
    if coverage_minutes is not None and not (
        isinstance(coverage_minutes, Real)
        and not isinstance(coverage_minutes, bool)
        and math.isfinite(coverage_minutes)
        and 0 < coverage_minutes
        and (not isinstance(catchment_minutes, Real) or coverage_minutes <= catchment_minutes)
    ):
        problems.add(
            "coverage_minutes must be a number > 0 and at most catchment_minutes "
            f"({catchment_minutes!r}), got {coverage_minutes!r}"
        )
    options = solver_options_from(solver_options)
    plan = None
    try:
        plan = validate_equity_plan(
            od,
            demand,
            candidates,
            supply_existing,
            catchment_minutes,
            method,
            decay,
            capacity_per_unit,
            budget,
            capacity_column,
            "coverage_equity_frontier",
        )
    except InputValidationError as error:
        problems.extend(error.problems)
    problems.raise_if_any()
    existing_ids = [] if supply_existing is None else list(supply_existing["site_id"])
    cov = _coverage_parts(
        plan,
        od,
        existing_ids,
        plan.catchment if coverage_minutes is None else float(coverage_minutes),
    )
    high = equity == "max_min_access"

    solved = []
    for stages, eps in (
        (("coverage", "equity", "cost"), None),
        (("equity", "coverage", "cost"), None),
    ):
        solved.append(_solve_point(plan, cov, equity, stages, eps, options))
    eq_a, eq_b = solved[0]["equity"], solved[1]["equity"]
    for eps in np.linspace(eq_a, eq_b, points)[1:-1].tolist():
        solved.insert(
            -1, _solve_point(plan, cov, equity, ("coverage", "equity", "cost"), eps, options)
        )
    kept = _non_dominated(solved, high)
    rows, plans = [], {}
    for k, p in enumerate(kept):
        p["row"]["point"] = k
        rows.append(p["row"])
        plans[k] = p["result"]
    table = pd.DataFrame(rows)
    front = [c for c in FRONTIER_COLUMNS if c in table.columns]
    table = table[front + [c for c in table.columns if c not in front]]
    return CoverageEquityFrontier(
        table=table.reset_index(drop=True),
        plans=plans,
        equity=equity,
        higher_is_better=high,
        dropped=len(solved) - len(kept),
        population=float(plan.population.sum()),
    )


def _solve_point(plan, cov, equity, stages, eps, options) -> dict:
    """Solve the stages of one point; the plan of the last stage that found one."""
    model = _Model(plan, cov, equity)
    if eps is not None:
        model.bound_equity(eps)
    done: dict[str, SolveReport | None] = {}  # None: nothing to decide (a constant)
    plan_now = None
    for k, what in enumerate(stages):
        if not model.terms(what):
            done[what] = None  # e.g. no demand left to cover
            continue
        report, value = model.stage(what, options, k, first=plan_now is None)
        done[what] = report
        if value is None:
            break
        plan_now = plan_values(model.y, model.u)
        if not report.proven_optimal:
            break
    opened, units = plan_now
    return _point(plan, cov, equity, opened, units, eps, done)


def _point(plan: EquityPlan, cov: _Coverage, equity, opened, units, eps, done) -> dict:
    """A frontier row, from the plan recomputed exactly.

    ``proven_optimal``: both value stages (coverage, equity) proven or
    constant; ``cheapest_proven``: the cost stage too. ``gap``: the largest
    gap of the value stages (None when proven).
    """
    local = np.flatnonzero(opened)
    covered = cov.constant + float(cov.weight[covered_groups(cov.matrix, local)].sum())
    access = access_after(plan, units)
    stats = access_stats(access, plan.population, plan.in_f)
    value = stats["floor"] if equity == "max_min_access" else stats["l1"]

    def settled(what):
        return what in done and (done[what] is None or done[what].proven_optimal)

    proven = settled("coverage") and settled("equity")
    cheapest = proven and settled("cost")
    value_reports = [done[w] for w in ("coverage", "equity") if done.get(w) is not None]
    reports = [r for r in done.values() if r is not None]
    gaps = [r.gap for r in value_reports if r.gap is not None]
    status = (
        "optimal"
        if proven
        else next((r.status for r in value_reports if not r.proven_optimal), "feasible")
    )
    name = "lowest access" if equity == "max_min_access" else "absolute access deviation"
    result: EquityResult = assemble_equity_plan(
        plan,
        f"coverage-equity frontier ({name})",
        replace(
            reports[0],
            status=status,
            objective=float(value),
            best_bound=None,
            gap=None if proven else (max(gaps) if gaps else None),
        ),
        opened,
        units,
        name,
        "floor_after" if equity == "max_min_access" else "l1_deviation_after",
        {"covered": covered},
    )
    total = float(plan.population.sum())
    ids = plan.candidates["site_id"].to_numpy()
    row = {
        "point": -1,
        "epsilon": math.nan if eps is None else float(eps),
        "coverage": covered,
        "coverage_share": covered / total if total > 0 else 0.0,
        "equity": float(value),
        "status": status,
        "proven_optimal": proven,
        "gap": None if proven else (max(gaps) if gaps else None),
        "cost": float((plan.site_cost * opened + plan.unit_cost * units).sum()),
        "sites": ";".join(str(i) for i in ids[opened]),
        "units": ";".join(str(int(k)) for k in units[opened]),
        "floor": stats["floor"],
        "deviation": stats["l1"],
        "mean_access": stats["mean"],
        "cheapest_proven": cheapest,
        "stages": "+".join(f"{r.status}" for r in reports),
    }
    return {"row": row, "result": result, "coverage": covered, "equity": float(value)}


def _non_dominated(solved: list[dict], high: bool) -> list[dict]:
    """Drop duplicates and dominated points; order from most coverage to best equity."""

    def tol(v):
        return 1e-9 * max(1.0, abs(v))

    def eq_better(a, b):  # a strictly better than b
        return a > b + tol(b) if high else a < b - tol(b)

    def eq_at_least(a, b):
        return a >= b - tol(b) if high else a <= b + tol(b)

    kept = []
    for p in solved:
        dominated = any(
            q is not p
            and q["coverage"] >= p["coverage"] - tol(p["coverage"])
            and eq_at_least(q["equity"], p["equity"])
            and (
                q["coverage"] > p["coverage"] + tol(p["coverage"])
                or eq_better(q["equity"], p["equity"])
            )
            for q in solved
        )
        duplicate = any(
            abs(q["coverage"] - p["coverage"]) <= tol(p["coverage"])
            and abs(q["equity"] - p["equity"]) <= tol(p["equity"])
            for q in kept
        )
        if not dominated and not duplicate:
            kept.append(p)
    kept.sort(key=lambda p: -p["coverage"])
    return kept
