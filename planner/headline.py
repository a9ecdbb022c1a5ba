"""The headline a command prints last on stdout: the run's key numbers and where to look.

Read from the ``summary.json`` the run wrote (so the screen and the file
agree); every key may be missing in an older or partial run, and a missing
key leaves its line out.

Examples
--------
>>> lines = headline_lines({"inequity": {"gini": 0.2, "share_zero": 0.05}}, folder=Path("out"))
>>> lines[1]
'  access Gini:                0.200'
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["headline_lines", "read_summary"]

_WIDTH = 28


def read_summary(folder: str | Path) -> dict[str, Any]:
    """The ``summary.json`` of an output folder, or an empty dict when unreadable."""
    try:
        data = json.loads((Path(folder) / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _money(value: float, currency: str | None) -> str:
    text = f"{value:,.0f}"
    return f"{text} {currency}" if currency else text


def _line(label: str, text: str) -> str:
    return f"  {label + ':':<{_WIDTH}}{text}"


def _before_after(before: str | None, after: str | None) -> str | None:
    if before is None:
        return None
    return before if after is None else f"{before} -> {after}"


def _zero_access(inequity: Mapping) -> str | None:
    share = _number(inequity.get("share_zero"))
    if share is None:
        return None
    people = _number(inequity.get("population"))
    return f"{share:.1%}" + (f" ({_count(share * people)})" if people is not None else "")


def _plan_lines(summary: Mapping) -> list[str]:
    plan = summary.get("plan") if isinstance(summary.get("plan"), Mapping) else {}
    location = summary.get("location") if isinstance(summary.get("location"), Mapping) else {}
    totals = location.get("totals") if isinstance(location.get("totals"), Mapping) else {}
    if not plan and not location:
        return []
    lines = []
    sites = location.get("new_sites")
    n_sites = _number(plan.get("new_sites"))
    if n_sites is None and isinstance(sites, list):
        n_sites = float(len(sites))
    if n_sites is not None:
        text = f"{n_sites:.0f}"
        if isinstance(sites, list) and sites:
            shown = ", ".join(map(str, sites[:8])) + (" ..." if len(sites) > 8 else "")
            text += f" ({shown})"
        units = _number(plan.get("units_added"))
        if units:
            text += f", {units:,.0f} {plan.get('unit_label') or 'units'} added"
        lines.append(_line("new sites", text))
    site_only = plan.get("site_only")
    if isinstance(site_only, list) and site_only:
        lines.append(_line("site only, no capacity", ", ".join(map(str, site_only))))
    explanation = plan.get("explanation")
    if isinstance(explanation, Mapping) and explanation.get("text"):
        lines.append(_line("why", str(explanation["text"])))
    currency = plan.get("currency")
    cost = _number(plan.get("cost", totals.get("cost")))
    budget = _number(plan.get("budget", totals.get("budget")))
    if cost is not None:
        text = _money(cost, currency)
        if budget is not None:
            text += f" of a {_money(budget, currency)} budget"
        if plan.get("verdict"):
            text += f": {plan['verdict']}"
        lines.append(_line("cost", text))
    demand = summary.get("demand") if isinstance(summary.get("demand"), Mapping) else {}
    label = demand.get("label") or "demand"
    newly = _number(plan.get("newly_covered"))
    if newly is not None:
        text = f"{_count(newly)} {label}"
        per_person = _number(plan.get("cost_per_person_newly_covered"))
        if per_person is not None:
            text += f" (costing {_money(per_person, currency)} per person)"
        lines.append(_line("newly within reach", text))
    uniqueness = plan.get("uniqueness")
    if isinstance(uniqueness, Mapping) and uniqueness.get("unique") is False:
        lines.append(_line("note", str(uniqueness.get("text") or "the optimum is not unique")))
    return lines


def _ventilator_lines(summary: Mapping) -> list[str]:
    vents = summary.get("ventilators")
    if not isinstance(vents, Mapping):
        return []
    needed, current = _number(vents.get("needed")), _number(vents.get("current"))
    if needed is None:
        return []
    text = f"{needed:,.0f} needed"
    wait = _number(vents.get("target_wait_hours"))
    if wait is not None:
        text += f" for a {wait:g} h mean wait"
    if current is not None:
        text += f", {current:,.0f} in place"
    credited = _number(vents.get("credited_units"))
    if credited:
        text += f" (incl. {credited:,.0f} the plan bought)"
    shortfall = _number(vents.get("shortfall"))
    if shortfall is not None:
        text += f", shortfall {shortfall:,.0f}"
    return [_line("ventilators", text)]


def _redeploy_lines(summary: Mapping) -> list[str]:
    if "moves" not in summary and "total_unmet" not in summary:
        return []
    lines = []
    moves, units = _number(summary.get("moves")), _number(summary.get("units_moved"))
    if moves is not None:
        text = f"{moves:,.0f}" + (f" ({units:,.0f} units)" if units is not None else "")
        lines.append(_line("moves", text))
    unmet = _number(summary.get("total_unmet"))
    if unmet is not None:
        periods = _number(summary.get("periods"))
        text = f"{unmet:,.1f} unit-periods"
        if periods is not None:
            text += f" over {periods:.0f} periods"
        lines.append(_line("unmet demand", text))
    return lines


def _sweep_lines(summary: Mapping) -> list[str]:
    points = _number(summary.get("points"))
    if points is None or ("knee_points" not in summary and "coverage_share" not in summary):
        return []
    proven = _number(summary.get("proven_optimal"))
    text = f"{points:,.0f}"
    if proven is not None:
        text += f" ({proven:,.0f} proven optimal)"
    lines = [_line("sweep points", text)]
    share = summary.get("coverage_share")
    if isinstance(share, Mapping):
        low, high = _number(share.get("min")), _number(share.get("max"))
        if low is not None and high is not None:
            lines.append(_line("coverage across points", f"{low:.1%} to {high:.1%}"))
    knees = summary.get("knee_points")
    if isinstance(knees, list) and knees:
        lines.append(_line("frontier knees at points", ", ".join(str(k) for k in knees)))
    robust_sites = summary.get("robust_sites")
    if isinstance(robust_sites, list):
        text = ", ".join(map(str, robust_sites)) if robust_sites else "none chosen in every point"
        lines.append(_line("sites chosen everywhere", text))
    robust = summary.get("robust")
    if isinstance(robust, Mapping):
        worst = _number(robust.get("worst_share"))
        sites = robust.get("sites")
        if worst is not None:
            text = f"worst-case coverage {worst:.1%}"
            if isinstance(sites, list):
                text += f" with {', '.join(map(str, sites)) or 'no new site'}"
            lines.append(_line("robust plan", text))
    return lines


def headline_lines(summary: Mapping[str, Any], *, folder: str | Path) -> list[str]:
    """The headline: title, key numbers (what the summary holds), and the report's path.

    Parameters
    ----------
    summary : Mapping
        A run's ``summary.json``.
    folder : str or Path
        The output folder; the last line names its ``report.html`` when there
        is one, else the folder.

    Returns
    -------
    list of str
    """
    folder = Path(folder)
    lines = [f"Result: {summary.get('scenario') or folder.name}"]
    before = summary.get("inequity") if isinstance(summary.get("inequity"), Mapping) else {}
    after = summary.get("inequity_after")
    after = after if isinstance(after, Mapping) else {}
    gini_b, gini_a = _number(before.get("gini")), _number(after.get("gini"))
    gini = _before_after(
        None if gini_b is None else f"{gini_b:.3f}", None if gini_a is None else f"{gini_a:.3f}"
    )
    if gini is not None:
        lines.append(_line("access Gini", gini))
    zero = _before_after(_zero_access(before), _zero_access(after) if after else None)
    if zero is not None:
        lines.append(_line("population with no access", zero))
    lines += _plan_lines(summary)
    lines += _ventilator_lines(summary)
    lines += _redeploy_lines(summary)
    lines += _sweep_lines(summary)
    report = folder / "report.html"
    if report.is_file():
        lines.append(f"Report: {report}")
    else:
        lines.append(f"Outputs: {folder}")
    return lines
