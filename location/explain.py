"""Why a plan opens no new site: :func:`explain_empty_plan`.

A location model that opens nothing is not wrong, but a reader needs the
reason. The checks run in this order and the first that holds is the answer:

``"no_candidate_pairs"``
    The travel-time (OD) table has no row for any candidate site: the model
    could not see the candidates at all (travel times not computed to them,
    or their ids do not match).
``"all_covered"``
    Coverage objectives: everyone with demand is already within the
    catchment of an existing site.
``"target_met"``
    Minimum-cost cover: the existing sites already reach the coverage target.
``"no_candidate_in_reach"``
    No candidate is within the catchment of any area with demand (for
    coverage objectives: of any area still outside the catchment).
``"nothing_affordable"``
    Every candidate in reach costs more (``site_cost + unit_cost *
    min_units``) than the money available; the cheapest is named.
``"none_requested"``
    The model was asked for no new site (``p = 0``, ``max_new_sites = 0``).
``"no_gain"``
    Some plan was affordable, but none improves the objective.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["EXPLANATION_CODES", "PlanExplanation", "explain_empty_plan"]

#: Every code :func:`explain_empty_plan` can give.
EXPLANATION_CODES = (
    "no_candidate_pairs",
    "all_covered",
    "target_met",
    "no_candidate_in_reach",
    "nothing_affordable",
    "none_requested",
    "no_gain",
)


@dataclass(frozen=True)
class PlanExplanation:
    """Why a plan opens nothing: a code from :data:`EXPLANATION_CODES` and a plain sentence."""

    code: str
    text: str

    def as_dict(self) -> dict:
        """``{"code": ..., "text": ...}``, as stored on a result's ``explanation``."""
        return asdict(self)


def _number(value: float) -> str:
    value = float(value)
    if value == round(value) and abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def _sites(n: int) -> str:
    return f"{n} candidate site{'s' if n != 1 else ''}"


def explain_empty_plan(
    *,
    candidate_ids: Sequence,
    candidate_cost: Sequence[float] | np.ndarray,
    in_od: Sequence[bool] | np.ndarray,
    in_reach: Sequence[bool] | np.ndarray,
    money: float | None = None,
    budget: float | None = None,
    uncovered_demand: float | None = None,
    total_demand: float | None = None,
    catchment_minutes: float | None = None,
    requested_sites: int | None = None,
    target: tuple[float, float] | None = None,
    objective_name: str = "the objective",
    demand_label: str = "people",
    currency: str | None = None,
    cost_label: str = "site cost plus its minimum units",
) -> PlanExplanation:
    """The reason a plan opened no new site (see the module notes for the codes and order).

    Parameters
    ----------
    candidate_ids : sequence
        Ids of every candidate site given to the model.
    candidate_cost : sequence of float
        Each candidate's cheapest opening cost, ``site_cost + unit_cost * min_units``.
    in_od : sequence of bool
        Per candidate: the OD table has at least one row for it.
    in_reach : sequence of bool
        Per candidate: within the catchment of an area with demand the plan
        could still help (coverage: an area not yet covered).
    money : float, optional
        Money available for new sites (the budget less any commitments);
        None when there is no budget.
    budget : float, optional
        The budget as given (for the text; ``money`` when None).
    uncovered_demand : float, optional
        Coverage objectives: demand outside the catchment of every existing
        site. None for other objectives (the ``"all_covered"`` check is skipped).
    total_demand : float, optional
        All demand, for the text.
    catchment_minutes : float, optional
        The catchment, for the text.
    requested_sites : int, optional
        The number of new sites asked for, when the model takes one (``p``,
        ``max_new_sites``); 0 gives ``"none_requested"``.
    target : (float, float), optional
        Minimum-cost cover: ``(covered by existing sites, target)`` in demand
        units; when the first reaches the second the code is ``"target_met"``.
    objective_name : str, default "the objective"
        What the model optimises, for the ``"no_gain"`` text.
    demand_label : str, default "people"
        What the demand counts, e.g. "people aged 65+".
    currency : str, optional
        Appended to money amounts in the text, e.g. "EUR".
    cost_label : str, default "site cost plus its minimum units"
        What ``candidate_cost`` counts, for the text.

    Returns
    -------
    PlanExplanation
        ``code`` and ``text`` (plain language, with numbers).
    """
    ids = list(candidate_ids)
    cost = np.asarray(candidate_cost, dtype=float).reshape(len(ids))
    has_rows = np.asarray(in_od, dtype=bool).reshape(len(ids))
    reach = np.asarray(in_reach, dtype=bool).reshape(len(ids))
    within = f"within {catchment_minutes:g} minutes" if catchment_minutes else "within reach"
    unit = f" {currency}" if currency else ""
    lead = "No new site was opened: "
    if requested_sites == 0:
        return PlanExplanation("none_requested", lead + "the plan was asked for 0 new sites.")
    if len(ids) == 0:
        return PlanExplanation(
            "no_candidate_pairs", lead + "there are no candidate sites to choose from."
        )
    if not has_rows.any():
        return PlanExplanation(
            "no_candidate_pairs",
            lead + f"the travel-time table has no row for any of the {_sites(len(ids))} "
            "(were travel times computed to the candidates, and do their ids match?).",
        )
    if uncovered_demand is not None and uncovered_demand <= 0:
        whole = f"all {_number(total_demand)} " if total_demand else "all "
        return PlanExplanation(
            "all_covered",
            lead + f"{whole}{demand_label} are already {within} of an existing site.",
        )
    if target is not None and target[0] >= target[1]:
        return PlanExplanation(
            "target_met",
            lead + f"the existing sites already cover {_number(target[0])} {demand_label}, "
            f"at least the target of {_number(target[1])}.",
        )
    if not reach.any():
        who = (
            f"the {_number(uncovered_demand)} {demand_label} outside the catchment of the "
            "existing sites"
            if uncovered_demand is not None
            else f"any area with {demand_label}"
        )
        return PlanExplanation(
            "no_candidate_in_reach",
            lead + f"none of the {_sites(len(ids))} is {within} of {who}.",
        )
    if money is not None:
        affordable = reach & (cost <= money + 1e-9 * max(1.0, abs(money)))
        if not affordable.any():
            pos = np.flatnonzero(reach)
            cheapest = int(pos[np.argmin(cost[pos])])
            shown = budget if budget is not None else money
            left = (
                f" ({_number(money)}{unit} left after commitments)"
                if budget is not None and money < budget
                else ""
            )
            return PlanExplanation(
                "nothing_affordable",
                lead + f"the cheapest candidate in reach, {ids[cheapest]}, costs "
                f"{_number(cost[cheapest])}{unit} ({cost_label}), more "
                f"than the budget of {_number(shown)}{unit}{left}.",
            )
    return PlanExplanation(
        "no_gain",
        lead + f"no affordable plan improves {objective_name}; opening a site would add cost and "
        "nothing else.",
    )
