"""The linear floating-catchment access model and the result shared by the equity models."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd
from scipy import sparse

from accessplan.data.errors import ProblemCollector
from accessplan.location.result import LocationResult, plan_notes
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import resolve_decay

__all__ = [
    "LINEAR_METHODS",
    "SHOWN",
    "AccessModel",
    "EquityResult",
    "access_stats",
    "build_access_model",
    "common_totals",
    "equity_areas_frame",
    "resolve_method",
]

#: Access methods whose scores are linear in the capacities (3SFCA is not).
LINEAR_METHODS = ("2sfca", "e2sfca", "g2sfca", "gravity", "m2sfca")

SHOWN = 10

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
            sites = ", ".join(str(s) for s in t["chosen_sites"][:SHOWN])
            lines.append(
                f"  spent {t['spent']:,.6g} of {t['budget']:,.6g}; "
                f"{t['units']} units at {len(t['chosen_sites'])} sites: {sites or '(none)'}"
            )
        if t["areas_unreachable"]:
            lines.append(
                f"  {len(t['areas_unreachable'])} populated areas no site can reach "
                f"(demand {t['demand_unreachable']:,.6g}) left out"
            )
        lines += [
            f"  {line}" for line in plan_notes(self.totals, self.explanation, self.uniqueness)
        ]
        return "\n".join(lines)


# ================================================================ access model


@dataclass(frozen=True)
class AccessModel:
    """``A = W' @ (S / D)`` for every area; ``matrix`` is ``W' diag(1/D)``."""

    weights: sparse.csr_array  # W' (areas x sites)
    site_population: np.ndarray  # D
    matrix: sparse.csr_array  # W' / D

    def __call__(self, capacity: np.ndarray) -> np.ndarray:
        d = self.site_population
        ratio = np.divide(capacity, d, out=np.zeros(len(d)), where=d > 0)
        return np.asarray(self.weights @ ratio, dtype=float).reshape(self.weights.shape[0])


def resolve_method(method, decay, catchment_minutes, problems: ProblemCollector):
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


def build_access_model(rows, cols, minutes, population, n_sites, *, method, catchment, decay):
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
    return AccessModel(weights=weights, site_population=site_population, matrix=matrix)


def access_stats(access: np.ndarray, population: np.ndarray, in_f: np.ndarray) -> dict:
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


def equity_areas_frame(area_ids, population, in_f, before, after) -> pd.DataFrame:
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


def common_totals(area_ids, population, in_f, before, after, *, method, catchment, decay):
    b, a = access_stats(before, population, in_f), access_stats(after, population, in_f)
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
