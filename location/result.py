"""The result every location model returns: :class:`LocationResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from accessplan.location.solver import SolveReport

__all__ = ["LocationResult"]


@dataclass(frozen=True)
class LocationResult:
    """Sites and capacity chosen by a location model, with what they achieve.

    Attributes
    ----------
    model : str
        The function that produced the result, e.g. ``"maximize_coverage"``.
    report : SolveReport
        What the solver did and proved. ``report.objective`` and
        ``report.best_bound`` are in the units of ``objective_name`` (e.g.
        covered demand), never the internal tie-breaking objective.
    chosen : pandas.DataFrame or geopandas.GeoDataFrame
        The NEW sites chosen, one row each: ``site_id``, ``units``, ``cost``
        (``site_cost + unit_cost * units``), ``newly_covered`` (demand within
        the catchment of this site and of no existing site), ``marginal_gain``
        (objective lost if only this site were removed from the plan; for the
        capacitated model the served demand lost after re-assigning), then the
        candidate's own columns (and its geometry: a GeoDataFrame stays one).
    areas : pandas.DataFrame
        Indexed by area id (the demand index): ``demand``, ``covered_before``
        (bool, within the catchment of an existing site), ``covered_after``
        (bool, within the catchment of an existing or chosen site) and, per
        model, ``served`` (capacitated) or ``coverable`` (set cover).
    totals : dict
        ``cost``, ``budget``, ``covered_before``, ``covered_after``,
        ``share_before``, ``share_after``, ``population``, ``n_new_sites`` and
        model-specific entries (e.g. ``served``).
    budget_dual : float or None
        Value of one more unit of money: the LP dual of the budget constraint
        once the integer site decisions are fixed at the solution (see the
        model's docstring for what stays free). None where it means nothing,
        e.g. when no budget constraint exists or the budget only pays for
        integer decisions that do not change the objective.
    objective_name : str
        What ``report.objective`` measures, e.g. ``"covered demand"``.
    """

    model: str
    report: SolveReport
    chosen: pd.DataFrame
    areas: pd.DataFrame
    totals: dict = field(default_factory=dict)
    budget_dual: float | None = None
    objective_name: str = "objective"

    def summary(self) -> str:
        """A few lines: solver status, sites chosen, cost and coverage before/after."""
        t = self.totals
        lines = [f"{self.model}: {self.report.summary()}"]
        if self.report.objective is not None:
            lines.append(f"{self.objective_name}: {self.report.objective:,.6g}")
        cost = t.get("cost")
        budget = t.get("budget")
        money = f"cost {cost:,.6g}" if cost is not None else ""
        if budget is not None:
            money += f" of budget {budget:,.6g}"
        lines.append(f"{t.get('n_new_sites', len(self.chosen))} new site(s), {money}".rstrip(", "))
        if "share_before" in t and "share_after" in t:
            lines.append(
                f"covered: {t['covered_before']:,.6g} ({t['share_before']:.2%}) before -> "
                f"{t['covered_after']:,.6g} ({t['share_after']:.2%}) after, "
                f"of {t['population']:,.6g}"
            )
        if "served" in t:
            lines.append(
                f"served: {t.get('served_before', 0):,.6g} before -> {t['served']:,.6g} after"
            )
        if t.get("uncoverable_areas"):
            lines.append(
                f"{t['uncoverable_areas']} area(s) with demand {t['uncoverable_demand']:,.6g} "
                "cannot be reached by any site"
            )
        if self.budget_dual is not None:
            lines.append(f"one more unit of money is worth {self.budget_dual:.6g} (budget dual)")
        return "\n".join(lines)
