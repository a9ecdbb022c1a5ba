"""The result every location model returns (:class:`LocationResult`) and its money keys.

Every model's ``totals`` carry the same money keys, made by :func:`money_totals`:
``cost`` (total spent on new sites: ``site_cost + unit_cost``), ``site_cost``
(sum of the fixed costs of the new sites), ``unit_cost`` (sum of the unit
costs bought), ``budget`` (None when the model had none) and ``verdict`` from
:func:`budget_verdict`; and ``site_only``, the ids of new sites opened with 0
units (a site with no capacity: coverage and p-median choose sites, not units,
so a candidate opens with its ``min_units``, 0 unless the candidates say
otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from accessplan.location.solver import SolveReport

__all__ = [
    "VERDICTS",
    "LocationResult",
    "budget_verdict",
    "money_totals",
    "plan_notes",
    "site_only_ids",
]

#: The three verdicts :func:`budget_verdict` gives.
VERDICTS = ("within budget", "over budget", "no budget set")


def budget_verdict(cost: float, budget: float | None, *, rel_tol: float = 1e-9) -> str:
    """Whether ``cost`` fits ``budget``: "within budget", "over budget" or "no budget set".

    Parameters
    ----------
    cost : float
        Money the plan spends (with any money already committed that the
        budget also pays for).
    budget : float or None
        The budget; None when the model had none.
    rel_tol : float, default 1e-9
        A cost above the budget by at most ``rel_tol * max(1, |budget|)``
        (solver round-off) still counts as within budget.

    Returns
    -------
    str
        One of :data:`VERDICTS`.

    Examples
    --------
    >>> budget_verdict(100.0, 100.0), budget_verdict(101.0, 100.0), budget_verdict(5.0, None)
    ('within budget', 'over budget', 'no budget set')
    """
    if budget is None:
        return "no budget set"
    if float(cost) <= float(budget) + rel_tol * max(1.0, abs(float(budget))):
        return "within budget"
    return "over budget"


def money_totals(
    *, site_cost: float, unit_cost: float, budget: float | None, committed: float = 0.0
) -> dict:
    """The money keys every model's ``totals`` carry.

    Parameters
    ----------
    site_cost : float
        Sum of the fixed costs of the new sites.
    unit_cost : float
        Sum of the unit costs bought (``unit_cost * units`` over new sites).
    budget : float or None
        The model's budget (None: no budget).
    committed : float, default 0.0
        Money already committed to existing sites that the budget also pays
        (coverage models' ``committed_cost``); it counts in the verdict, not
        in ``cost``.

    Returns
    -------
    dict
        ``cost`` (``site_cost + unit_cost``), ``site_cost``, ``unit_cost``,
        ``budget`` and ``verdict``.
    """
    site, unit = float(site_cost) + 0.0, float(unit_cost) + 0.0
    return {
        "cost": site + unit,
        "site_cost": site,
        "unit_cost": unit,
        "budget": None if budget is None else float(budget),
        "verdict": budget_verdict(site + unit + float(committed), budget),
    }


def plan_notes(totals: dict, explanation: dict | None, uniqueness: dict | None) -> list[str]:
    """Summary lines on money, site-only sites, an empty plan and uniqueness (what is there)."""
    lines = []
    if totals.get("cost") is not None:
        money = f"cost {totals['cost']:,.6g}"
        if totals.get("budget") is not None:
            money += f" of budget {totals['budget']:,.6g}"
        if totals.get("verdict"):
            money += f" ({totals['verdict']})"
        lines.append(money)
    if totals.get("site_only"):
        ids = ", ".join(str(s) for s in totals["site_only"][:10])
        lines.append(f"site only, no capacity (0 units): {ids}")
    if explanation:
        lines.append(explanation["text"])
    if uniqueness:
        lines.append(uniqueness["text"])
    return lines


def site_only_ids(chosen: pd.DataFrame) -> list:
    """Ids (``site_id``) of the chosen sites whose ``site_only`` column is true."""
    if len(chosen) == 0 or "site_only" not in chosen.columns:
        return []
    return list(chosen.loc[chosen["site_only"].to_numpy(dtype=bool), "site_id"])


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
        The money keys of :func:`money_totals` (``cost``, ``site_cost``,
        ``unit_cost``, ``budget``, ``verdict``), ``site_only`` (ids of new
        sites opened with 0 units; ``chosen["site_only"]`` flags them),
        ``covered_before``, ``covered_after``,
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
    explanation : dict or None
        When the plan opens no new site: ``{"code", "text"}`` from
        :func:`accessplan.location.explain.explain_empty_plan` (why nothing was
        opened); None when something was opened.
    uniqueness : dict or None
        ``{"unique": bool or None, "alternative": [ids] or None, "text": str}``:
        whether another set of sites scores as well (see each model's
        ``check_unique``), or that every plan scores the same and the
        tie-break chose; None when not checked.
    """

    model: str
    report: SolveReport
    chosen: pd.DataFrame
    areas: pd.DataFrame
    totals: dict = field(default_factory=dict)
    budget_dual: float | None = None
    objective_name: str = "objective"
    explanation: dict | None = None
    uniqueness: dict | None = None

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
        if t.get("verdict"):
            money += f" ({t['verdict']})"
        lines.append(f"{t.get('n_new_sites', len(self.chosen))} new site(s), {money}".rstrip(", "))
        if t.get("site_only"):
            ids = ", ".join(str(s) for s in t["site_only"][:10])
            lines.append(f"site only, no capacity (0 units): {ids}")
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
        if self.explanation:
            lines.append(self.explanation["text"])
        if self.uniqueness:
            lines.append(self.uniqueness["text"])
        return "\n".join(lines)
