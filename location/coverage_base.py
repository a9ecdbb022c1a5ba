"""Shared parts of the coverage models: validated inputs, coverage matrices, solving and result helpers.

Used by :mod:`accessplan.location.coverage` and :mod:`accessplan.location.capacitated`.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pulp
import scipy.sparse as sp

from accessplan.data.errors import ProblemCollector
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.explain import explain_empty_plan
from accessplan.location.result import LocationResult, money_totals
from accessplan.location.solver import SolveReport, SolverOptions, solve

__all__ = [
    "CHOSEN_FRONT",
    "OD_COLUMNS",
    "CoverageInstance",
    "MclpReduction",
    "add_row",
    "affine",
    "all_integral",
    "binary_values",
    "candidate_ids_at",
    "check_scalar",
    "chosen_frame",
    "coverage_areas_frame",
    "coverage_explanation",
    "coverage_parts",
    "coverage_result",
    "coverage_totals",
    "covered_groups",
    "incidence",
    "is_number",
    "merge_rows",
    "money_left",
    "nothing_to_choose",
    "numeric_column",
    "penalty_bound",
    "prepare_instance",
    "reduce_mclp",
    "rescore",
    "run_model",
    "solver_options_from",
    "trivial_report",
]

OD_COLUMNS = ("origin_id", "site_id", "minutes")
CHOSEN_FRONT = ["site_id", "units", "cost", "newly_covered", "marginal_gain", "site_only"]


# ============================================================ inputs


@dataclass(frozen=True)
class CoverageInstance:
    """Validated inputs as arrays and sparse coverage matrices."""

    area_ids: pd.Index
    demand: np.ndarray  # (n_areas,)
    candidates: pd.DataFrame  # positional, index reset
    site_cost: np.ndarray
    unit_cost: np.ndarray
    min_units: np.ndarray
    max_units: np.ndarray
    existing: pd.DataFrame
    capacity: np.ndarray  # existing capacity in units (zeros when absent)
    committed: float
    cover: sp.csr_matrix  # areas x candidates, 1 where within the catchment
    cover_existing: sp.csr_matrix  # areas x existing sites
    in_od: np.ndarray  # per candidate: the OD table has a row for it (any minutes)
    catchment: float

    @property
    def min_cost(self) -> np.ndarray:
        return self.site_cost + self.unit_cost * self.min_units

    @property
    def covered_before(self) -> np.ndarray:
        return np.diff(self.cover_existing.indptr) > 0

    @property
    def population(self) -> float:
        return float(self.demand.sum())


def solver_options_from(solver_options) -> SolverOptions:
    if solver_options is None:
        return SolverOptions()
    if isinstance(solver_options, SolverOptions):
        return solver_options
    if isinstance(solver_options, Mapping):
        return SolverOptions(**solver_options)
    raise TypeError(
        f"solver_options must be a SolverOptions or a mapping, got {type(solver_options).__name__}"
    )


def is_number(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_scalar(problems, name, value, *, minimum=0.0, strict=False, optional=True):
    if value is None:
        if not optional:
            problems.add(f"{name} is required")
        return
    if not is_number(value):
        problems.add(f"{name} must be a finite number, got {value!r}")
        return
    if (strict and value <= minimum) or (not strict and value < minimum):
        op = ">" if strict else ">="
        problems.add(f"{name} must be {op} {minimum:g}, got {value!r}")


def numeric_column(problems, frame, column, source, ids, *, default=None, integral=False):
    """A column as floats; problems for non-numbers, negatives and non-integers."""
    if column not in frame.columns:
        return np.full(len(frame), float(default if default is not None else 0.0))
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        problems.add("must be a finite number", source=source, column=column, rows=tuple(ids[bad]))
    neg = np.isfinite(values) & (values < 0)
    if neg.any():
        problems.add("must be >= 0", source=source, column=column, rows=tuple(ids[neg]))
    if integral:
        frac = np.isfinite(values) & (values != np.round(values))
        if frac.any():
            problems.add(
                "must be a whole number of units",
                source=source,
                column=column,
                rows=tuple(ids[frac]),
            )
    return np.where(np.isfinite(values), values, 0.0)


def prepare_instance(
    problems: ProblemCollector,
    od,
    demand,
    candidates,
    existing,
    *,
    catchment_minutes,
    need_costs: bool = False,
    need_capacity: bool = False,
) -> CoverageInstance:
    """Validate every input (all problems raised at once) and build the coverage matrices."""
    check_scalar(problems, "catchment_minutes", catchment_minutes, strict=True, optional=False)
    catchment = float(catchment_minutes) if is_number(catchment_minutes) else 0.0
    scalar_problems = len(problems.problems)
    if not isinstance(od, pd.DataFrame):
        problems.add(f"the OD table must be a DataFrame, got {type(od).__name__}", source="od")
    elif missing := [c for c in OD_COLUMNS if c not in od.columns]:
        problems.add(f"missing column(s) {missing}", source="od")
    if not isinstance(demand, pd.Series):
        problems.add(
            f"demand must be a pandas Series indexed by area id, got {type(demand).__name__}",
            source="demand",
        )
    elif not demand.index.is_unique:
        dup = demand.index[demand.index.duplicated()].unique()
        problems.add("area ids are not unique", source="demand", rows=tuple(dup))
    if not isinstance(candidates, pd.DataFrame):
        problems.add(
            f"candidates must be a DataFrame, got {type(candidates).__name__}", source="candidates"
        )
    elif "site_id" not in candidates.columns:
        problems.add("missing column 'site_id'", source="candidates")
    if existing is not None:
        if not isinstance(existing, pd.DataFrame):
            problems.add(
                f"existing must be a DataFrame, got {type(existing).__name__}", source="existing"
            )
        elif "site_id" not in existing.columns:
            problems.add("missing column 'site_id'", source="existing")
        elif need_capacity and "capacity" not in existing.columns:
            problems.add("missing column 'capacity' (units per existing site)", source="existing")
    if len(problems.problems) > scalar_problems:  # the frames themselves are unusable
        problems.raise_if_any()

    # ---- values
    values = pd.to_numeric(demand, errors="coerce").to_numpy(dtype=float)
    area_ids = demand.index
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        problems.add(
            "demand must be a finite number >= 0", source="demand", rows=tuple(area_ids[bad])
        )
    minutes = pd.to_numeric(od["minutes"], errors="coerce").to_numpy(dtype=float)
    bad_min = np.isnan(minutes) | (minutes < 0)
    if bad_min.any():
        problems.add(
            "minutes must be a number >= 0",
            source="od",
            column="minutes",
            rows=tuple(np.flatnonzero(bad_min)),
        )

    cands = candidates.reset_index(drop=True)
    cand_ids = pd.Index(cands["site_id"])
    if cand_ids.hasnans or not cand_ids.is_unique:
        dup = cand_ids[cand_ids.duplicated()].unique()
        problems.add(
            "site ids must be unique and present",
            source="candidates",
            column="site_id",
            rows=tuple(dup),
        )
    cid = cand_ids.to_numpy()
    if need_costs and not ({"site_cost", "unit_cost"} & set(cands.columns)):
        problems.add(
            "a budget or a cost objective needs 'site_cost' and/or 'unit_cost' columns",
            source="candidates",
        )
    site_cost = numeric_column(problems, cands, "site_cost", "candidates", cid)
    unit_cost = numeric_column(problems, cands, "unit_cost", "candidates", cid)
    min_units = numeric_column(problems, cands, "min_units", "candidates", cid, integral=True)
    if "max_units" in cands.columns:
        max_units = numeric_column(problems, cands, "max_units", "candidates", cid, integral=True)
    else:
        max_units = min_units.copy()
    low = min_units > max_units
    if low.any():
        problems.add(
            "min_units exceeds max_units",
            source="candidates",
            column="min_units",
            rows=tuple(cid[low]),
        )

    if existing is None:
        ex = pd.DataFrame({"site_id": pd.Series([], dtype=object)})
    else:
        ex = existing.reset_index(drop=True)
    ex_ids = pd.Index(ex["site_id"])
    if ex_ids.hasnans or not ex_ids.is_unique:
        dup = ex_ids[ex_ids.duplicated()].unique()
        problems.add(
            "site ids must be unique and present",
            source="existing",
            column="site_id",
            rows=tuple(dup),
        )
    both = ex_ids.intersection(cand_ids)
    if len(both):
        problems.add(
            "site ids appear both as existing sites and as candidates",
            source="existing",
            column="site_id",
            rows=tuple(both),
        )
    eid = ex_ids.to_numpy()
    if need_capacity:
        capacity = numeric_column(problems, ex, "capacity", "existing", eid)
    else:
        capacity = np.zeros(len(ex))
    committed = numeric_column(problems, ex, "committed_cost", "existing", eid)

    # ---- coverage matrices (sparse; no loops over pairs)
    within = np.isfinite(minutes) & (minutes <= catchment)
    rows = area_ids.get_indexer(od["origin_id"].to_numpy()[within])
    if len(od) and len(area_ids) and not (area_ids.get_indexer(od["origin_id"]) >= 0).any():
        problems.add(
            "no origin_id of the OD table is an area id of the demand index (check the id types)",
            source="od",
            column="origin_id",
        )
    sites = od["site_id"].to_numpy()[within]
    cand_col = cand_ids.get_indexer(sites) if cand_ids.is_unique else np.full(len(sites), -1)
    ex_col = ex_ids.get_indexer(sites) if ex_ids.is_unique else np.full(len(sites), -1)
    if len(od) and (len(cand_ids) + len(ex_ids)):
        known = pd.Index(cand_ids.append(ex_ids))
        if not pd.Index(od["site_id"]).isin(known).any():
            problems.add(
                "no site_id of the OD table is a candidate or existing site id "
                "(check the id types)",
                source="od",
                column="site_id",
            )
    problems.raise_if_any()

    cover = incidence(rows, cand_col, (len(area_ids), len(cand_ids)))
    cover_existing = incidence(rows, ex_col, (len(area_ids), len(ex_ids)))
    return CoverageInstance(
        area_ids=area_ids,
        demand=values,
        candidates=cands,
        site_cost=site_cost,
        unit_cost=unit_cost,
        min_units=np.round(min_units),
        max_units=np.round(max_units),
        existing=ex,
        capacity=capacity,
        committed=float(committed.sum()),
        cover=cover,
        cover_existing=cover_existing,
        in_od=np.asarray(cand_ids.isin(pd.Index(od["site_id"].unique())), dtype=bool),
        catchment=catchment,
    )


def incidence(rows: np.ndarray, cols: np.ndarray, shape) -> sp.csr_matrix:
    keep = (rows >= 0) & (cols >= 0)
    m = sp.csr_matrix(
        (np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=shape, dtype=float
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def merge_rows(matrix: sp.csr_matrix, weights: np.ndarray):
    """Merge rows with identical column sets.

    Returns the merged matrix, the summed weights and each row's group.
    """
    ip, ind = matrix.indptr, matrix.indices
    keys = [ind[a:b].tobytes() for a, b in itertools.pairwise(ip.tolist())]
    codes, _ = pd.factorize(pd.Series(keys, dtype=object))
    _, first = np.unique(codes, return_index=True)
    merged = matrix[first]
    merged.sort_indices()
    return merged, np.bincount(codes, weights=weights, minlength=len(first)), codes


def all_integral(*arrays) -> bool:
    return all(np.array_equal(a, np.round(a)) for a in arrays)


# ============================================================ solving helpers


def trivial_report(options: SolverOptions, objective: float, sense: str) -> SolveReport:
    """A report for a model with nothing left to decide (no solver run)."""
    return SolveReport(
        solver=options.solver,
        status="optimal",
        objective=float(objective),
        best_bound=float(objective),
        gap=0.0,
        seconds=0.0,
        sense=sense,
        time_limit_s=options.time_limit_s,
        gap_rel=options.gap_rel,
        threads=options.threads,
    )


def run_model(
    problem: pulp.LpProblem, options: SolverOptions, model: str, cause: str
) -> SolveReport:
    report = solve(problem, options)
    if report.status == "infeasible":
        raise InfeasibleModelError(
            f"{model}: the solver proved the model infeasible ({cause})", report
        )
    if not report.has_solution:
        raise SolverError(f"{model}: no solution found ({report.summary()})", report)
    return report


def rescore(report: SolveReport, objective: float, bound: float | None) -> SolveReport:
    gap = None
    if bound is not None:
        gap = abs(bound - objective) / max(abs(objective), 1e-10)
    return dataclasses.replace(report, objective=float(objective), best_bound=bound, gap=gap)


def penalty_bound(
    report: SolveReport, penalty_max: float, maximize: bool, objective: float
) -> float | None:
    """The whole-number bound on the true objective implied by the penalised bound.

    Any plan's true objective is within ``penalty_max`` of its penalised one and is
    a whole number, so the bound rounds down (maximise) or up (minimise) after
    adding the penalty room. A bound that lands on the wrong side of the
    objective through solver tolerances is clamped to it.
    """
    if report.best_bound is None:
        return None
    b = report.best_bound
    tol = min(0.49, 1e-7 * max(1.0, abs(b)))
    if maximize:
        return max(float(math.floor(b + penalty_max + tol)), float(objective))
    return min(float(math.ceil(b - penalty_max - tol)), float(objective))


def affine(pairs, constant=0.0) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(pairs, constant=constant)


def add_row(problem: pulp.LpProblem, pairs, sense, rhs: float, name: str) -> pulp.LpConstraint:
    c = pulp.LpConstraint(pulp.LpAffineExpression(pairs), sense, name, rhs)
    problem.addConstraint(c)
    return c


def binary_values(variables) -> np.ndarray:
    return np.array([(v.varValue or 0.0) > 0.5 for v in variables], dtype=bool)


# ============================================================ result assembly


def chosen_frame(
    inst: CoverageInstance, picks: np.ndarray, units: np.ndarray, newly, marginal, extra=None
):
    """The candidate rows chosen, with our columns first (ours replace same-named ones)."""
    frame = inst.candidates.iloc[picks].copy()
    frame["units"] = units.astype(int) if len(units) else np.array([], dtype=int)
    frame["cost"] = inst.site_cost[picks] + inst.unit_cost[picks] * units
    frame["newly_covered"] = newly
    frame["marginal_gain"] = marginal
    frame["site_only"] = np.asarray(units, dtype=float) == 0
    front = list(CHOSEN_FRONT)
    for name, col in (extra or {}).items():
        frame[name] = col
        front.append(name)
    rest = [c for c in frame.columns if c not in front]
    return frame[front + rest].reset_index(drop=True)


def coverage_parts(inst: CoverageInstance, picks: np.ndarray):
    """Covered masks, newly covered and marginal demand per chosen site."""
    before = inst.covered_before
    sub = inst.cover[:, picks]
    n_cover = np.diff(inst.cover_existing.indptr) + np.asarray(sub.sum(axis=1)).ravel()
    after = n_cover > 0
    d = inst.demand
    newly = sub.T @ (d * ~before)
    marginal = sub.T @ (d * (n_cover == 1))
    return before, after, np.asarray(newly).ravel(), np.asarray(marginal).ravel()


def coverage_totals(inst: CoverageInstance, before, after, picks, units, budget, **extra) -> dict:
    """Totals of a coverage plan: money keys (:func:`money_totals`), ``site_only``, coverage."""
    pop = inst.population
    cb = float(inst.demand[before].sum())
    ca = float(inst.demand[after].sum())
    units = np.asarray(units, dtype=float)
    out = money_totals(
        site_cost=float(inst.site_cost[picks].sum()),
        unit_cost=float((inst.unit_cost[picks] * units).sum()),
        budget=budget,
        committed=inst.committed,
    )
    out.update(
        {
            "site_only": inst.candidates["site_id"].to_numpy()[picks][units == 0].tolist(),
            "committed_cost": inst.committed,
            "covered_before": cb,
            "covered_after": ca,
            "share_before": cb / pop if pop > 0 else 0.0,
            "share_after": ca / pop if pop > 0 else 0.0,
            "population": pop,
            "n_new_sites": len(picks),
        }
    )
    out.update(extra)
    return out


def coverage_areas_frame(inst: CoverageInstance, before, after, **extra) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"demand": inst.demand, "covered_before": before, "covered_after": after, **extra},
        index=inst.area_ids,
    )
    return frame


# ============================================================ maximal coverage


@dataclass
class MclpReduction:
    """The reduced MCLP: merged demand rows over the useful candidates."""

    matrix: sp.csr_matrix  # groups x kept candidates
    weight: np.ndarray  # demand of each group
    keep: np.ndarray  # positions (in inst.candidates) of the kept candidates
    cost: np.ndarray  # minimum cost of each kept candidate
    constant: float  # demand already covered by existing sites
    money: float | None  # budget left after commitments


def reduce_mclp(inst: CoverageInstance, money, max_new_sites, *, merge: bool) -> MclpReduction:
    d = inst.demand
    free = (d > 0) & ~inst.covered_before
    cost = inst.min_cost
    usable = np.ones(len(cost), dtype=bool)
    if money is not None:
        usable &= cost <= money + 1e-9 * max(1.0, abs(money))
    if max_new_sites == 0:
        usable[:] = False
    m = inst.cover[free][:, np.flatnonzero(usable)]
    w = d[free]
    reach = np.diff(m.indptr) > 0
    m, w = m[reach], w[reach]
    useful = np.asarray((m != 0).sum(axis=0)).ravel() > 0
    keep = np.flatnonzero(usable)[useful]
    m = m[:, np.flatnonzero(useful)].tocsr()
    m.sort_indices()
    if merge and m.shape[0]:
        m, w, _ = merge_rows(m, w)
    return MclpReduction(m, w, keep, cost[keep], float(d[inst.covered_before].sum()), money)


def money_left(model: str, inst: CoverageInstance, budget) -> float | None:
    if budget is None:
        return None
    money = float(budget) - inst.committed
    if money < 0:
        raise InfeasibleModelError(
            f"{model}: the budget {budget:,.6g} is below the {inst.committed:,.6g} already "
            "committed to existing sites (column 'committed_cost'); no plan fits"
        )
    return money


def coverage_result(
    model,
    inst,
    picks,
    units,
    report,
    objective_name,
    budget,
    *,
    explanation=None,
    uniqueness=None,
    **extra_totals,
):
    """A :class:`LocationResult` for a plan that opens ``picks`` with ``units``."""
    before, after, newly, marginal = coverage_parts(inst, picks)
    chosen = chosen_frame(inst, picks, units, newly, marginal)
    return LocationResult(
        model=model,
        report=report,
        chosen=chosen,
        areas=coverage_areas_frame(inst, before, after),
        totals=coverage_totals(inst, before, after, picks, units, budget, **extra_totals),
        budget_dual=None,
        objective_name=objective_name,
        explanation=explanation if len(picks) == 0 else None,
        uniqueness=uniqueness,
    )


def coverage_explanation(
    inst: CoverageInstance,
    money: float | None,
    budget: float | None,
    *,
    objective_name: str,
    uncovered: bool = True,
    requested_sites: int | None = None,
    target: tuple[float, float] | None = None,
    demand_label: str = "people",
) -> dict:
    """Why a coverage plan opened nothing (:func:`explain_empty_plan` on this instance), as a dict.

    With ``uncovered`` (coverage objectives) a candidate is in reach when it
    covers an area with demand that no existing site covers.
    """
    free = inst.demand > 0
    if uncovered:
        free &= ~inst.covered_before
    in_reach = np.asarray(inst.cover[free].sum(axis=0)).ravel() > 0
    return explain_empty_plan(
        candidate_ids=list(inst.candidates["site_id"]),
        candidate_cost=inst.min_cost,
        in_od=inst.in_od,
        in_reach=in_reach,
        money=money,
        budget=budget,
        uncovered_demand=float(inst.demand[free].sum()) if uncovered else None,
        total_demand=inst.population,
        catchment_minutes=inst.catchment,
        requested_sites=requested_sites,
        target=target,
        objective_name=objective_name,
        demand_label=demand_label,
    ).as_dict()


def covered_groups(matrix: sp.csr_matrix, local_picks) -> np.ndarray:
    if len(local_picks) == 0:
        return np.zeros(matrix.shape[0], dtype=bool)
    return np.asarray(matrix[:, list(local_picks)].sum(axis=1)).ravel() > 0


def candidate_ids_at(inst: CoverageInstance, positions) -> list:
    return inst.candidates["site_id"].to_numpy()[np.asarray(positions, dtype=int)].tolist()


def nothing_to_choose() -> dict:
    return {
        "unique": True,
        "alternative": None,
        "text": "No candidate can add to the objective within the limits, so the plan opens "
        "nothing; any site would only add cost (tie-break: the lowest cost).",
    }
