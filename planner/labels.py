"""Plain-language labels of what a run measured: demand, method, decay, units.

A number in a board paper needs its unit in words: "beds per 1,000 people aged
65+", not "access 0.0312". These labels are computed once from the scenario
and written into ``summary.json``; the report, maps and CLI read them there.

* Demand: ``[areas] need_label`` when given; else read from the need column's
  name where it says an age (``pop_65plus``, ``Over65``, ``OverFifty``,
  ``age_75_plus``); else ``"demand weight (COLUMN)"``; ``"people"`` when the
  demand is the population itself.
* Access units: supply per demand, ``"{capacity} per {per:,} {demand}"``,
  where ``capacity`` is ``[facilities] capacity_label`` or the capacity
  column's name, and ``per`` is ``[maps] access_per`` or the smallest of 1,
  1,000, 10,000 and 100,000 that lifts the demand-weighted mean access to at
  least 1 (0.0312 beds per person aged 65+ reads 31.2 per 1,000).
* Method: the access method as run. A ``2sfca`` with a decay other than the
  uniform one is the *generalised* 2SFCA (Wang 2012), named as such, never
  silently an E2SFCA.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from accessplan.planner.scenario import Scenario

__all__ = [
    "access_per",
    "capacity_label",
    "decay_label",
    "demand_label",
    "method_label",
    "objective_label",
    "travel_label",
    "units_label",
]

_NUMBER_WORDS = {
    "five": 5,
    "ten": 10,
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "forty": 40,
    "fifty": 50,
    "fiftyfive": 55,
    "sixty": 60,
    "sixtyfive": 65,
    "seventy": 70,
    "seventyfive": 75,
    "eighty": 80,
    "eightyfive": 85,
    "ninety": 90,
}
_PLUS = re.compile(r"(\d{1,3})\s*(?:\+|plus|andover|andolder|over|up)$")
_OVER = re.compile(r"(?:over|above|aged|age|older)(\d{1,3})$")
_UNDER = re.compile(r"(?:under|below|lessthan)(\d{1,3})$")
_METHODS = {
    "2sfca": "2SFCA (two-step floating catchment, Luo & Wang 2003)",
    "e2sfca": "E2SFCA (enhanced two-step floating catchment, Luo & Qi 2009)",
    "g2sfca": "Gaussian 2SFCA (Dai 2010)",
    "gravity": "gravity model (Hansen 1959; Joseph & Bantock 1982)",
    "3sfca": "3SFCA (three-step floating catchment, Wan et al. 2012)",
    "m2sfca": "M2SFCA (modified two-step floating catchment, Delamater 2013)",
}
_OBJECTIVES = {
    "coverage": "maximise the {demand} within {minutes:g} min of a hospital",
    "capacitated_coverage": "maximise the {demand} served within {minutes:g} min, within capacity",
    "min_cost_cover": "cover a target share of the {demand} within {minutes:g} min at least cost",
    "p_median": "minimise the {demand}-weighted travel time to the nearest site",
    "max_min_access": "raise the lowest access score as far as possible",
    "min_access_deviation": "make access scores as equal as possible",
}


def _age_from(column: str) -> str | None:
    key = re.sub(r"[^a-z0-9+]", "", column.lower())
    key = re.sub(r"^(pop|population|people|persons|residents|n|num|count)", "", key)
    for word, number in sorted(_NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
        key = key.replace(word, str(number))
    if match := _PLUS.search(key) or _OVER.search(key):
        return f"people aged {int(match.group(1))}+"
    if match := _UNDER.search(key):
        return f"people under {int(match.group(1))}"
    return None


def demand_label(scenario: Scenario) -> str:
    """What the demand weight is, in words (e.g. ``"people aged 65+"``).

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    str
        ``[areas] need_label``; else an age read from the need column's name;
        else ``"demand weight (COLUMN)"``; ``"people"`` without a need column.
    """
    if scenario.need_label:
        return scenario.need_label
    need = scenario.areas.columns.get("need") if scenario.areas is not None else None
    if not need:
        return "people"
    return _age_from(need) or f"demand weight ({need})"


def capacity_label(scenario: Scenario) -> str:
    """What one unit of supply is (``[facilities] capacity_label`` or the column's name)."""
    if scenario.capacity_label:
        return scenario.capacity_label
    column = scenario.facilities.columns.get("capacity", "capacity")
    return column.replace("_", " ")


def access_per(scenario: Scenario, mean_access: float) -> float:
    """The multiplier that makes access read in whole numbers (1, 1,000, ...).

    Parameters
    ----------
    scenario : Scenario
        ``[maps] access_per`` wins when given.
    mean_access : float
        The demand-weighted mean access before the plan.

    Returns
    -------
    float
        The smallest of 1, 1,000, 10,000 and 100,000 that lifts ``mean_access``
        to at least 1 (100,000 when even that does not).
    """
    if scenario.access_per is not None:
        return float(scenario.access_per)
    if not (math.isfinite(mean_access) and mean_access > 0) or scenario.normalize:
        return 1.0
    for per in (1.0, 1e3, 1e4, 1e5):
        if mean_access * per >= 1.0:
            return per
    return 1e5


def units_label(scenario: Scenario, per: float) -> str:
    """The unit of access, e.g. ``"beds per 1,000 people aged 65+"``.

    A normalised run has no unit: its scores are ratios to the weighted mean.
    """
    if scenario.normalize:
        return "ratio to the demand-weighted mean access (1 = average)"
    demand = demand_label(scenario)
    each = "per" if per == 1 else f"per {per:,.0f}"
    if per == 1 and demand == "people":
        each, demand = "per", "person"
    return f"{capacity_label(scenario)} {each} {demand}"


def decay_label(spec: Mapping[str, Any]) -> str:
    """A decay's scenario form in words.

    Parameters
    ----------
    spec : mapping
        As :func:`accessplan.planner.scenario.decay_spec_json` writes it.

    Returns
    -------
    str
        E.g. ``"weight 1 up to 20 min, 0.68 up to 40 min, 0.22 up to 60 min"``.
    """
    kind = spec.get("type")
    if kind == "step":
        steps = [f"{float(w):g} up to {float(b):g} min" for b, w in spec["steps"].items()]
        return "weight " + ", ".join(steps) + ", 0 beyond"
    if kind == "uniform":
        return f"no decay: weight 1 up to {float(spec['catchment_minutes']):g} min, 0 beyond"
    if kind == "gaussian":
        sigma = spec.get("sigma_minutes")
        shape = (
            f"Gaussian with sigma {float(sigma):g} min"
            if sigma is not None
            else "Gaussian falling to 0 at the catchment (Dai 2010)"
        )
        if spec.get("truncate_below") is not None:
            shape += f", weight 1 up to {float(spec['truncate_below']):g} min"
        return shape
    if kind == "gravity":
        text = (
            f"gravity: weight (minutes / {float(spec.get('min_minutes', 1)):g})^-{spec['beta']:g}"
        )
        if spec.get("catchment_minutes") is not None:
            text += f", 0 beyond {float(spec['catchment_minutes']):g} min"
        return text
    if kind == "exponential":
        text = f"exponential: weight exp(-{float(spec['beta']):g} x minutes)"
        if spec.get("catchment_minutes") is not None:
            text += f", 0 beyond {float(spec['catchment_minutes']):g} min"
        return text
    if kind == "linear":
        return f"linear: weight 1 - minutes / {float(spec['catchment_minutes']):g}"
    if kind == "kernel":
        return (
            f"{spec.get('kernel', 'kernel')} kernel over {float(spec['catchment_minutes']):g} min"
        )
    return str(kind)


def method_label(method: str, decay: Mapping[str, Any]) -> str:
    """The access method as run, naming a generalised 2SFCA for what it is."""
    if method == "2sfca" and decay.get("type") != "uniform":
        return f"generalised 2SFCA (2SFCA with a {decay.get('type')} distance decay, Wang 2012)"
    return _METHODS.get(method, method)


def objective_label(objective: str, *, demand: str, minutes: float) -> str:
    """What the location model optimises, in words."""
    return _OBJECTIVES.get(objective, objective).format(demand=demand, minutes=minutes)


def travel_label(scenario: Scenario, network_report=None) -> str:
    """How travel times were obtained, in words.

    Parameters
    ----------
    scenario : Scenario
    network_report : accessplan.spatial.network.NetworkReport, optional
        Says whether the file's own speeds were kept.
    """
    net = scenario.network
    kind = net.kind
    if kind == "straight_line":
        return f"straight-line distance at {net.straight_line_speed_kph:g} km/h"
    if kind == "od_table":
        return f"your own travel-time table ({net.od_table.name})"
    source = net.place if kind == "place" else net.path.name
    kept = getattr(network_report, "speeds", None) == "kept"
    if net.speed_kph is not None:
        speeds = f"every road at {net.speed_kph:g} km/h"
    elif kept:
        speeds = "the speeds stored in the network file"
    else:
        speeds = "road speeds from the network (maxspeed, else osmnx's typical speed by road type"
        if net.fallback_speed_kph is not None:
            speeds += f", else {net.fallback_speed_kph:g} km/h"
        speeds += ")"
    return (
        f"{net.network_type} road network ({source}); {speeds}; a walk of "
        f"{net.access_speed_kph:g} km/h from each point to its nearest road node"
    )
