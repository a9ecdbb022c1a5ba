"""Plain-language labels of what a run measured: demand, method, decay, units.

A number in a board paper needs its unit in words: "beds per 1,000 people aged
65+", not "access 0.0312". These labels are computed once from the scenario
and written into ``summary.json``; the report, maps and CLI read them there.
"""

from __future__ import annotations

from accessplan.planner.scenario import Scenario

__all__ = ["demand_label"]


def demand_label(scenario: Scenario) -> str:
    """What the demand weight is: the user's need column, or the population."""
    need = scenario.areas.columns.get("need") if scenario.areas is not None else None
    return f"demand weight ({need})" if need else "population"
