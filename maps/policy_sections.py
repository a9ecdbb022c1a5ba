"""Sections of the policy report: proofs and gaps, the robust plan, the Pareto frontier, methods.

Shared pieces of :mod:`accessplan.maps.policy_report`: each function returns
an HTML fragment with user strings escaped once and numbers carrying ``id``
and ``data-value`` (:mod:`accessplan.maps.report_format`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.maps.escaping import html_text
from accessplan.maps.report_format import as_number, get_path, id_slug, number_cell, number_span

__all__ = [
    "EQUITY_MEASURES",
    "ROBUST_ALIASES",
    "chosen_point",
    "css_class",
    "equity_measure",
    "ids_text",
    "pareto_section",
    "policy_methods",
    "proof_cell",
    "proven_monotone",
    "robust_column",
    "robust_section",
    "split_ids",
    "truthy",
]

# column names other helpers may use for the robust plan's per-scenario table
ROBUST_ALIASES = {
    "scenario": ("scenario", "name", "scenario_name"),
    "robust": (
        "robust_coverage_share",
        "robust_share",
        "coverage_share_robust",
        "robust_coverage",
        "coverage_share",
    ),
    "own": (
        "own_optimum_share",
        "own_coverage_share",
        "optimal_coverage_share",
        "optimal_share",
        "own_share",
        "own_optimum",
    ),
    "regret": ("regret", "regret_share"),
}


def robust_column(frame: pd.DataFrame, key: str) -> str | None:
    """The column of ``frame`` holding ``key`` (one of :data:`ROBUST_ALIASES`), or None."""
    for name in ROBUST_ALIASES[key]:
        if name in frame.columns:
            return name
    return None


def css_class(name: str, on: bool) -> str:
    """`` class="name"`` when ``on``, else nothing."""
    return f' class="{name}"' if on else ""


def truthy(value) -> bool:
    """A boolean cell as written by pandas or read back from CSV (``True``, ``"true"``, 1)."""
    return str(value).strip().lower() in ("true", "1", "yes")


def split_ids(value) -> list[str]:
    """The ids of a ``;``-joined cell; empty or missing is no id."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def ids_text(value, empty: str = "none") -> str:
    """The ids of a ``;``-joined cell as escaped ``"A, B"`` (or a muted ``empty``)."""
    ids = split_ids(value)
    return html_text(", ".join(ids)) if ids else f'<span class="muted">{empty}</span>'


def proof_cell(proven, gap, status, ident: str) -> str:
    """ "proven optimal" in green, or "NOT proven, gap 3.1%" flagged, with the gap's exact value."""
    g = as_number(gap)
    data = "" if g is None else repr(g)
    if truthy(proven):
        return (
            f'<td id="{html_text(ident)}" data-value="{data}" data-proven="true" '
            'style="white-space:nowrap"><span class="good">proven optimal</span></td>'
        )
    gap_text = "gap unknown" if g is None else f"gap {100 * g:.3g}%"
    state = html_text(status) if status is not None and str(status) not in ("", "nan") else ""
    return (
        f'<td id="{html_text(ident)}" data-value="{data}" data-proven="false">'
        f'<span class="flag">not proven, {html_text(gap_text)}</span>'
        + (f' <span class="muted">({state})</span>' if state else "")
        + "</td>"
    )


def robust_section(robust: pd.DataFrame | None, summary: Mapping) -> str:
    """The robust plan's coverage in each scenario beside the scenario's own optimum."""
    if robust is None:
        return ""
    problems = ProblemCollector(what="robust table")
    keys = {k: robust_column(robust, k) for k in ROBUST_ALIASES}
    for key in ("scenario", "robust", "own"):
        if keys[key] is None:
            problems.add(
                "column is missing (one of " + ", ".join(ROBUST_ALIASES[key]) + ")",
                source="robust table",
            )
    problems.raise_if_any()
    objective = get_path(summary, "robust", "objective")
    sites = get_path(summary, "robust", "sites")
    intro = "One set of sites chosen for every scenario at once (one model with shared site "
    intro += "decisions), shown beside each scenario's own optimal plan."
    if objective:
        what = {
            "max_min_coverage": "maximise the worst scenario's coverage share",
            "min_max_regret": "minimise the largest regret (own optimum minus robust coverage)",
        }.get(str(objective), str(objective))
        intro += f" Objective: {html_text(what)}."
    rows = []
    robust_values = pd.to_numeric(robust[keys["robust"]], errors="coerce")
    own_values = pd.to_numeric(robust[keys["own"]], errors="coerce")
    if keys["regret"] is not None:
        regrets = pd.to_numeric(robust[keys["regret"]], errors="coerce")
    else:
        regrets = own_values - robust_values
    worst = robust_values.min()
    dims = [c for c in ("catchment_minutes", "growth", "closed") if c in robust.columns]
    own_proof = "own_proven_optimal" in robust.columns
    own_sites = "own_sites" in robust.columns
    for i, (_, row) in enumerate(robust.iterrows()):
        name = row[keys["scenario"]]
        key = id_slug(name)
        is_worst = robust_values.iloc[i] == worst
        rows.append(
            f'<tr data-scenario="{html_text(name)}"{css_class("worst", is_worst)}'
            + (' style="font-weight:bold"' if is_worst else "")
            + f"><td>{html_text(name)}</td>"
            + "".join(
                f"<td>{ids_text(row[c])}</td>" if c == "closed" else number_cell(row[c], "general")
                for c in dims
            )
            + number_cell(robust_values.iloc[i], "share", f"robust-{key}-coverage")
            + number_cell(own_values.iloc[i], "share", f"robust-{key}-own")
            + number_cell(regrets.iloc[i], "pp", f"robust-{key}-regret")
            + (
                proof_cell(
                    row["own_proven_optimal"], row.get("own_gap"), None, f"robust-{key}-own-gap"
                )
                if own_proof
                else ""
            )
            + (
                f'<td id="robust-{key}-own-sites">{ids_text(row["own_sites"])}</td>'
                if own_sites
                else ""
            )
            + "</tr>"
        )
    titles = {"catchment_minutes": "catchment (min)", "growth": "growth", "closed": "closed"}
    dim_head = "".join(f"<th>{titles[c]}</th>" for c in dims)
    sites_html = ""
    if sites:
        listed = sites if isinstance(sites, str) else ", ".join(str(s) for s in sites)
        sites_html = f'<p id="robust-sites">Robust plan\'s new sites: {html_text(listed)}'
        proven = get_path(summary, "robust", "proven_optimal")
        if proven is not None:
            gap = as_number(get_path(summary, "robust", "gap"))
            sites_html += (
                ' (<span class="good">proven optimal</span>)'
                if truthy(proven)
                else f' (<span class="flag">not proven, gap {"unknown" if gap is None else f"{100 * gap:.3g}%"}</span>)'
            )
        sites_html += ".</p>\n"
    return (
        "<h2>Robust plan beside each scenario's own optimum</h2>\n"
        f'<p class="muted">{intro} Regret is the scenario\'s own optimal coverage minus the '
        "robust plan's, in percentage points; the worst scenario is in bold.</p>\n"
        + sites_html
        + f'<table id="robust"><thead><tr><th>scenario</th>{dim_head}<th>robust plan covers</th>'
        "<th>scenario's own optimum</th><th>regret</th>"
        + ("<th>own optimum proof</th>" if own_proof else "")
        + ("<th>own optimum's sites</th>" if own_sites else "")
        + "</tr></thead><tbody>"
        + "\n".join(rows)
        + "</tbody></table>\n"
        + f"<p>Worst case of the robust plan: {number_span(worst, 'share', 'robust-worst')}.</p>\n"
    )


def chosen_point(pareto: pd.DataFrame, summary: Mapping, scenario) -> int | None:
    """The Pareto point the planners picked: a ``chosen`` column, else ``pareto.write_point``."""
    if "chosen" in pareto.columns:
        picked = pareto[[truthy(v) for v in pareto["chosen"]]]
        if len(picked):
            return int(picked["point"].iloc[0])
    for source, path in (
        (summary, ("pareto", "write_point")),
        (summary, ("sweep", "pareto", "write_point")),
        (summary, ("dimensions", "pareto", "write_point")),
        (scenario, ("sweep", "pareto", "write_point")),
    ):
        value = as_number(get_path(source, *path)) if isinstance(source, Mapping) else None
        if value is not None:
            return int(value)
    return None


#: the equity measures of the Pareto frontier: axis label and which way is fairer
EQUITY_MEASURES = {
    "max_min_access": ("lowest access of any area", "higher"),
    "min_access_deviation": ("deviation of access from the mean", "lower"),
}


def equity_measure(summary: Mapping, scenario) -> tuple[str, str]:
    """The Pareto frontier's equity label and which way is fairer (``"higher"``/``"lower"``)."""
    for source, path in (
        (summary, ("pareto", "equity")),
        (summary, ("sweep", "pareto", "equity")),
        (scenario, ("sweep", "pareto", "equity")),
    ):
        value = get_path(source, *path) if isinstance(source, Mapping) else None
        if value in EQUITY_MEASURES:
            return EQUITY_MEASURES[value]
    return "equity", "higher"


def pareto_section(
    pareto: pd.DataFrame | None, figure_html: str, chosen, equity: tuple[str, str]
) -> str:
    """The equity–efficiency frontier: its figure and one row per point, the chosen one marked."""
    if pareto is None:
        return ""
    head = (
        "<thead><tr><th>point</th><th>equity bound (epsilon)</th><th>coverage</th>"
        f"<th>{html_text(equity[0])}</th><th>cost</th><th>new sites</th><th>proof</th></tr></thead>"
    )
    rows = []
    for _, row in pareto.sort_values("point").iterrows():
        p = int(row["point"])
        picked = chosen is not None and p == chosen
        rows.append(
            f'<tr data-point="{p}"{css_class("chosen", picked)}><td>{p}'
            + (' <span class="good" id="pareto-chosen">chosen</span>' if picked else "")
            + "</td>"
            + number_cell(row.get("epsilon"), "general", f"pareto-{p}-epsilon")
            + number_cell(row.get("coverage_share"), "share", f"pareto-{p}-coverage_share")
            + number_cell(row.get("equity"), "general", f"pareto-{p}-equity")
            + number_cell(row.get("cost"), "money", f"pareto-{p}-cost")
            + f'<td id="pareto-{p}-sites">{ids_text(row.get("sites"))}</td>'
            + proof_cell(
                row.get("proven_optimal"), row.get("gap"), row.get("status"), f"pareto-{p}-gap"
            )
            + "</tr>"
        )
    on_frontier = chosen is not None and chosen in set(pareto["point"].astype(int))
    if on_frontier:
        chosen_text = f"The plan of point {html_text(chosen)} was written in full."
    elif chosen is not None:
        chosen_text = (
            f'<span class="flag">Point {html_text(chosen)} was asked for but is not on the '
            "frontier</span> (dominated and repeated points are dropped): no plan was written."
        )
    else:
        chosen_text = "No point was picked; set [sweep] pareto.write_point to write one's plan."
    return (
        "<h2>Equity\u2013efficiency frontier</h2>\n"
        '<p class="muted">Each point maximises coverage subject to the equity measure being '
        f"{'at least' if equity[1] == 'higher' else 'at most'} epsilon "
        f"(epsilon-constraint method, at the [location] budget). Equity is the "
        f"{html_text(equity[0])} ({'higher' if equity[1] == 'higher' else 'lower'} is fairer); "
        f"moving up covers more. {chosen_text}</p>\n"
        + figure_html
        + f'<table id="pareto">{head}<tbody>'
        + "\n".join(rows)
        + "</tbody></table>\n"
    )


def proven_monotone(frontier: pd.DataFrame, *, tolerance: float = 1e-9) -> bool:
    """Whether, per group, proven-optimal coverage never falls as the budget grows.

    The same check as :func:`accessplan.planner.policy.is_monotone`, done here
    so the maps do not depend on the planner.
    """
    proven = frontier[[truthy(v) for v in frontier["proven_optimal"]]]
    for _, part in proven.groupby("group", sort=False):
        share = part.sort_values("budget")["coverage_share"].to_numpy(dtype=float)
        best = -math.inf
        for value in share:
            if value < best - tolerance:
                return False
            best = max(best, value)
    return True


def policy_methods(frontier, monotone: bool, robust, pareto) -> str:
    """The "Methods" section: what a point is, travel times, warm starts, proofs, checks."""
    items = [
        (
            "A point",
            "One whole plan: the [location] model solved at one budget, one catchment (for "
            "location and access), demand multiplied by one growth factor, with one set of "
            "existing sites closed (removed from supply and from what is already covered).",
        ),
        (
            "Travel times",
            "Computed once, to the existing and candidate sites within the largest catchment, "
            "and reused by every point (each point keeps the pairs within its own catchment).",
        ),
        (
            "Warm starts",
            "Within a group the budgets are solved in increasing order and each solve starts "
            "from the previous budget's sites, still affordable at the larger budget; groups run "
            "in parallel worker processes.",
        ),
        (
            "Proof",
            "Each point reports the solver's status; one not proven optimal (a time limit) is "
            "shown with its relative gap between the best plan found and the best bound.",
        ),
        (
            "Monotone check",
            "A larger budget can afford the smaller budget's plan, so proven-optimal coverage "
            "never falls as the budget grows. On this sweep: "
            + (
                '<span class="good" id="monotone" data-value="true">holds</span>.'
                if monotone
                else '<span class="bad" id="monotone" data-value="false">FAILS</span> (see the '
                "flagged rows)."
            ),
        ),
    ]
    if robust is not None:
        items.append(
            (
                "Robust plan",
                "One mixed-integer model over every scenario (catchment \u00d7 growth \u00d7 "
                "closures) with shared site decisions; coverage is compared as a share of each "
                "scenario's demand. Max-min maximises the worst share; min-max regret first "
                "solves each scenario alone, then minimises the largest shortfall from it.",
            )
        )
    if pareto is not None:
        items.append(
            (
                "Equity\u2013efficiency",
                "The two extremes are solved first (most coverage; best equity), then coverage "
                "is maximised with equity bounded by evenly spaced epsilons between them; "
                "dominated and repeated points are dropped.",
            )
        )
    body = "".join(f"<dt>{html_text(t)}</dt><dd>{d}</dd>" for t, d in items)
    return f'<h2>Methods</h2>\n<dl class="methods">{body}</dl>\n'
