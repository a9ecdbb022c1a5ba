"""The result of the p-median and p-center models (:mod:`accessplan.location.median`)."""

from __future__ import annotations

from dataclasses import dataclass

from accessplan.location.checks import SHOWN
from accessplan.location.result import LocationResult, plan_notes

__all__ = ["MedianResult"]


@dataclass(frozen=True, eq=False)
class MedianResult(LocationResult):
    """Sites chosen by :func:`~accessplan.location.median.p_median` or
    :func:`~accessplan.location.median.p_center`.

    Attributes
    ----------
    model : str
        ``"p-median"`` or ``"p-center"``.
    report : SolveReport
        What the solver did and proved (objective in the model's units:
        demand x minutes for the p-median, minutes for the p-center).
    chosen : pandas.DataFrame
        The chosen candidate rows (all their columns, geometry kept for a
        GeoDataFrame) plus ``assigned_demand`` and ``assigned_areas``.
    areas : pandas.DataFrame
        One row per area (index: area id): ``demand``, ``site_id`` (nearest
        open site in the OD table, None when there is none or the area is
        unassigned), ``minutes`` (to it), ``new_site`` (whether that site is
        one of the chosen candidates), ``charged_minutes`` (what the
        objective counts: ``minutes``, or ``unassigned_minutes`` for an
        unassigned area, NaN for areas left out) and ``status``:
        ``"assigned"``, ``"unassigned"``, ``"no_od_rows"`` or ``"zero_demand"``.
    totals : dict
        ``objective`` (recomputed exactly from the OD table),
        ``mean_minutes`` (demand-weighted mean over assigned areas),
        ``max_minutes`` (over assigned areas with demand), the demand totals,
        ``p``, ``chosen_sites``, ``existing_sites``, ``areas_without_od`` and
        ``areas_unassigned`` (tuples of ids).
    objective_name : str
        What the objective measures.
    budget_dual : None
        Always None (no budget here); kept so that every location result has
        the fields of :class:`accessplan.location.result.LocationResult`.
    """

    def summary(self) -> str:
        """A few lines: model, solver report, objective and the chosen sites."""
        t = self.totals
        sites = ", ".join(str(s) for s in t["chosen_sites"][:SHOWN])
        if len(t["chosen_sites"]) > SHOWN:
            sites += f" (+{len(t['chosen_sites']) - SHOWN} more)"
        lines = [
            f"{self.model} (p={t['p']}, {len(t['existing_sites'])} existing sites fixed open)",
            f"  solver: {self.report.summary()}",
            f"  {self.objective_name}: {t['objective']:,.6g}",
            f"  demand-weighted mean minutes {t['mean_minutes']:,.6g}, "
            f"max minutes {t['max_minutes']:,.6g}",
            f"  chosen: {sites or '(none)'}",
        ]
        if t["areas_unassigned"]:
            lines.append(
                f"  {len(t['areas_unassigned'])} areas unassigned "
                f"(demand {t['demand_unassigned']:,.6g}), charged {t['unassigned_minutes']} min"
            )
        if t["areas_without_od"]:
            lines.append(
                f"  {len(t['areas_without_od'])} areas with demand but no OD row left out "
                f"(demand {t['demand_without_od']:,.6g})"
            )
        lines += [
            f"  {line}" for line in plan_notes(self.totals, self.explanation, self.uniqueness)
        ]
        return "\n".join(lines)
