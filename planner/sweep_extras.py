"""The robust plan and the equity-efficiency frontier of a sweep (when ``[sweep]`` asks).

Both are solved by the location models (:func:`accessplan.location.robust.robust_coverage`,
:func:`accessplan.location.pareto.coverage_equity_frontier`) on the sweep's own
travel times (computed once); this module builds their inputs from the sweep's
scenario dimensions and turns their results into the tables ``robust.csv`` and
``pareto.csv``.

The robust plan serves every *scenario* of the sweep at once: each distinct
(catchment, growth, closures) of its points, at the ``[location]`` budget (the
largest swept budget when ``[location]`` has none).
"""

from __future__ import annotations

import dataclasses
import importlib
from dataclasses import dataclass
from typing import Any

import pandas as pd

from accessplan.planner.runs import Log, quiet

__all__ = ["ParetoPlan", "RobustPlan", "robust_plan", "run_extras", "scenario_name"]


@dataclass(frozen=True)
class RobustPlan:
    """One set of sites for all scenarios of the sweep; ``table`` is ``robust.csv``."""

    objective: str
    budget: float | None
    result: Any  # accessplan.location.robust.RobustResult
    table: pd.DataFrame

    def facts(self) -> dict:
        report = self.result.report
        totals = self.result.totals
        return {
            "objective": self.objective,
            "budget": self.budget,
            "sites": [str(s) for s in self.result.chosen["site_id"]],
            "cost": totals.get("cost"),
            "worst_share": totals.get("worst_share"),
            "max_regret": totals.get("max_regret"),
            "binding_scenario": totals.get("binding_scenario"),
            "status": report.status,
            "proven_optimal": bool(report.proven_optimal),
            "gap": report.gap,
        }


@dataclass(frozen=True)
class ParetoPlan:
    """The coverage-equity frontier; ``table`` is ``pareto.csv``."""

    equity: str
    result: Any
    table: pd.DataFrame
    #: layers of the plan of ``[sweep] pareto.write_point`` (name -> GeoDataFrame)
    plan_layers: dict | None = None

    def facts(self) -> dict:
        return {
            "equity": self.equity,
            "points": len(self.table),
            "proven_optimal": int(self.table.get("proven_optimal", pd.Series(dtype=bool)).sum()),
        }


def scenario_name(catchment: float, growth: float, closed: tuple) -> str:
    """A scenario's label, e.g. ``"45 min, growth 1.2, closed H03"``."""
    name = f"{catchment:g} min, growth {growth:g}"
    return name + (f", closed {'+'.join(closed)}" if closed else "")


def _scenario_groups(run) -> list[tuple]:
    return list(dict.fromkeys(p.group for p in run.points))


def robust_plan(run, prepared, *, log: Log = quiet) -> RobustPlan:
    """The robust plan over the sweep's scenarios (see the module notes)."""
    from accessplan.location.robust import CoverageScenario, robust_coverage
    from accessplan.planner.plan import solver_options_for

    scenario = run.scenario
    loc = scenario.location
    budget = loc.budget
    if budget is None and run.spec.budgets:
        budget = max(run.spec.budgets)
    inputs = prepared.inputs
    need = inputs.areas.set_index("area_id")["need"]
    items = []
    for catchment, growth, closed in _scenario_groups(run):
        open_sites = inputs.facilities[~inputs.facilities["site_id"].isin(set(closed))]
        items.append(
            CoverageScenario(
                name=scenario_name(catchment, growth, closed),
                demand=need * growth,
                catchment_minutes=catchment,
                existing=pd.DataFrame(open_sites[["site_id"]]),
            )
        )
    log(f"robust plan ({run.spec.robust}) over {len(items)} scenario(s) at budget {budget}")
    candidates = pd.DataFrame(prepared.candidates.drop(columns="geometry"))
    result = robust_coverage(
        prepared.travel.od,
        items,
        candidates,
        budget=budget,
        objective=run.spec.robust,
        max_new_sites=loc.max_new_sites,
        solver_options=solver_options_for(loc),
    )
    table = result.scenarios.copy()
    report = result.report
    table.insert(0, "robust_objective", run.spec.robust)
    table["robust_sites"] = ";".join(str(s) for s in result.chosen["site_id"])
    table["robust_cost"] = result.totals.get("cost")
    table["status"] = report.status
    table["proven_optimal"] = bool(report.proven_optimal)
    table["gap"] = report.gap
    log(result.report.summary() if hasattr(report, "summary") else str(report.status))
    return RobustPlan(objective=run.spec.robust, budget=budget, result=result, table=table)


def _pareto_plan(run, prepared, *, log: Log):
    """The equity-efficiency frontier, or None (with a note) when the model is missing."""
    try:
        module = importlib.import_module("accessplan.location.pareto")
    except ImportError:
        return None, "the equity-efficiency frontier needs accessplan.location.pareto (missing)"
    frontier = getattr(module, "coverage_equity_frontier", None)
    if frontier is None:
        return None, "accessplan.location.pareto has no coverage_equity_frontier"
    from accessplan.planner.sweep_pareto import pareto_plan

    return pareto_plan(run, prepared, frontier, log=log), None


def run_extras(run, prepared, *, log: Log = quiet):
    """``run`` with its robust plan and Pareto frontier, when the sweep asks for them."""
    notes = list(run.notes)
    robust = pareto = None
    if run.spec.robust is not None:
        robust = robust_plan(run, prepared, log=log)
    if run.spec.pareto is not None:
        pareto, note = _pareto_plan(run, prepared, log=log)
        if note:
            log(note)
            notes.append(note)
    return dataclasses.replace(run, robust=robust, pareto=pareto, notes=tuple(notes))
