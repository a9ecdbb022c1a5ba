"""Report sections of the measures beside access: supplies, poverty, coverage, referral.

Each reads its block of ``summary.json`` (written by :mod:`accessplan.planner.facts`,
:mod:`accessplan.planner.measures` and :mod:`accessplan.planner.referral`) and
returns an HTML fragment, empty when the run has no such block. Every number
carries an ``id`` and its exact ``data-value``; user strings are escaped.
"""

from __future__ import annotations

from collections.abc import Mapping

from accessplan.maps.escaping import html_text
from accessplan.maps.report_format import (
    as_number,
    format_value,
    get_path,
    id_slug,
    number_cell,
    number_span,
)
from accessplan.maps.report_sections import access_scale, demand_label

__all__ = [
    "capacity_coverage_section",
    "coverage_section",
    "measures_section",
    "poverty_section",
    "referral_section",
    "supplies_section",
]


# --------------------------------------------------------------------------
# several supplies
def supplies_section(summary: Mapping) -> str:
    """ "Access by supply": one row per supply scored (``summary["supplies"]``).

    The main capacity comes first (``summary["inequity"]``, before the plan),
    then each further supply of ``[access] supplies``; mean access is shown
    multiplied by the summary's access scale, per the demand's words. Ids:
    ``supply-<name>-<measure>``.
    """
    supplies = summary.get("supplies")
    if not isinstance(supplies, Mapping) or not supplies:
        return ""
    scale = access_scale(summary)
    label = demand_label(summary)
    per = "" if scale == 1 else f" per {scale:,.0f}"
    main_label = get_path(summary, "access", "capacity_label") or "capacity"
    planned = "location" in summary or "inequity_after" in summary
    when = (
        ", before the plan (the plan buys units of the main capacity only)"
        if planned
        else ", with the existing facilities"
    )
    main_total = {"total": get_path(summary, "access", "capacity_total")}
    rows = [("capacity", str(main_label), summary.get("inequity") or {}, main_total)]
    for name, facts in supplies.items():
        if isinstance(facts, Mapping):
            rows.append(
                (str(name), str(name).replace("_", " "), facts.get("inequity") or {}, facts)
            )
    body = []
    for key, shown, inequity, facts in rows:
        slug = id_slug(key)
        mean = as_number(inequity.get("mean"))
        total = None if facts is None else as_number(facts.get("total"))
        body.append(
            f"<tr><th>{html_text(shown)}</th>"
            + number_cell(total, "int", f"supply-{slug}-total")
            + number_cell(None if mean is None else mean * scale, "access", f"supply-{slug}-mean")
            + number_cell(as_number(inequity.get("gini")), "ratio", f"supply-{slug}-gini")
            + number_cell(as_number(inequity.get("theil")), "ratio", f"supply-{slug}-theil")
            + number_cell(as_number(inequity.get("share_zero")), "share", f"supply-{slug}-zero")
            + "</tr>"
        )
    return (
        '<h2 id="supplies">Access by supply</h2>\n'
        f'<p class="muted">Each supply scored on the same travel times, {html_text(label)} and '
        f"method{when}. Mean access is{html_text(per)} {html_text(label)}.</p>\n"
        '<table id="supplies-table"><thead><tr><th>supply</th><th>total</th>'
        "<th>mean access</th><th>Gini</th><th>Theil</th><th>share with zero access</th>"
        "</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>\n"
    )


# --------------------------------------------------------------------------
# poverty and inequality of access
_POVERTY_ROWS = {
    "palma_ratio": ("Palma ratio (access share of the top 10% / bottom 40%)", "ratio"),
    "top_10_access_share": ("Share of access held by the top 10%", "share"),
    "bottom_40_access_share": ("Share of access held by the bottom 40%", "share"),
    "palma_ratio_by_ordering": ("Palma ratio, people ranked by {ordering}", "ratio"),
    "concentration_index": ("Concentration index by {ordering}", "ratio"),
    "concentration_index_se": ("its standard error (Kakwani et al. 1997)", "ratio"),
    "concentration_index_erreygers": ("Erreygers-corrected concentration index", "ratio"),
    "fgt0": ("Access poverty headcount (below {line})", "share"),
    "fgt1": ("Access poverty gap (FGT 1)", "ratio"),
    "fgt2": ("Access poverty severity (FGT 2)", "ratio"),
}


def poverty_section(summary: Mapping, scenario: Mapping | None = None) -> str:
    """Palma, concentration index and FGT access poverty (``summary["poverty"]``).

    One state (``{measure: value}``) or before/after (``{measure: {before,
    after, change}}``). Ids: ``poverty-<measure>-<column>``.
    """
    poverty = summary.get("poverty")
    if not isinstance(poverty, Mapping) or not poverty:
        return ""
    ordering = get_path(scenario or {}, "inequity", "ordering") or "the ordering column"
    line = as_number(get_path(scenario or {}, "inequity", "poverty_line"))
    scale = access_scale(summary)
    line_text = "the poverty line" if line is None else format_value(line * scale, "access")
    units = get_path(summary, "access", "units")
    if line is not None and units:
        line_text += f" {units}"  # the line in the unit every access number is shown in
    plan = any(isinstance(v, Mapping) for v in poverty.values())
    head = "<th>before</th><th>after</th><th>change</th>" if plan else "<th>value</th>"
    rows = []
    for key, value in poverty.items():
        label, kind = _POVERTY_ROWS.get(key, (key, "ratio"))
        label = label.format(ordering=ordering, line=line_text)
        slug = id_slug(key)
        if plan and isinstance(value, Mapping):
            change_kind = "pp" if kind == "share" else kind
            cells = (
                number_cell(as_number(value.get("before")), kind, f"poverty-{slug}-before")
                + number_cell(as_number(value.get("after")), kind, f"poverty-{slug}-after")
                + number_cell(
                    as_number(value.get("change")),
                    change_kind,
                    f"poverty-{slug}-change",
                    signed=True,
                )
            )
        else:
            cells = number_cell(as_number(value), kind, f"poverty-{slug}-value")
        rows.append(f"<tr><th>{html_text(label)}</th>{cells}</tr>")
    note = (
        "A Palma ratio above 1 means the best-served 10% hold more access than the worst-served "
        "40%; a concentration index above 0 means access rises with the ordering variable. "
        "FGT measures count people below the access poverty line (headcount), how far below "
        "on average (gap) and with more weight on the farthest (severity)."
    )
    return (
        '<h2 id="poverty">Poverty and concentration of access</h2>\n'
        f'<p class="muted">{html_text(note)}</p>\n'
        f'<table id="poverty-table"><thead><tr><th>measure</th>{head}</tr></thead><tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>\n"
    )


# --------------------------------------------------------------------------
# coverage indicators
def coverage_section(summary: Mapping) -> str:
    """Population within each threshold of the nearest facility, before (and after).

    Reads ``summary["coverage"]`` (:func:`accessplan.planner.facts.coverage_facts`):
    one row per threshold; then the median time to the nearest facility and the
    share within each threshold per district. Ids: ``coverage-<t>-<column>``,
    ``zone-<state>-<zone>-<column>``.
    """
    coverage = summary.get("coverage")
    if not isinstance(coverage, Mapping) or not coverage.get("thresholds_minutes"):
        return ""
    planned = isinstance(coverage.get("population_after"), Mapping)
    states = ("before", "after") if planned else ("before",)
    head = (
        "".join(f"<th>population {s}</th><th>share {s}</th>" for s in states) + "<th>change</th>"
        if planned
        else "<th>population</th><th>share</th>"  # one state: ids keep the CSV's "_before"
    )
    rows = []
    for t in coverage["thresholds_minutes"]:
        key = f"{float(t):g}"
        cells = ""
        for state in states:
            cells += number_cell(
                as_number(coverage[f"population_{state}"].get(key)),
                "int",
                f"coverage-{id_slug(key)}-population_{state}",
            ) + number_cell(
                as_number(coverage[f"share_{state}"].get(key)),
                "share",
                f"coverage-{id_slug(key)}-share_{state}",
            )
        if planned:
            before = as_number(coverage["share_before"].get(key))
            after = as_number(coverage["share_after"].get(key))
            change = None if before is None or after is None else after - before
            cells += number_cell(change, "pp", f"coverage-{id_slug(key)}-change", signed=True)
        rows.append(f"<tr><th>within {html_text(key)} min</th>{cells}</tr>")
    missing = coverage.get("not_computed_minutes") or []
    note = (
        f" Thresholds beyond the {float(coverage['bound_minutes']):g}-minute travel-time bound "
        f"({', '.join(f'{float(m):g}' for m in missing)} min) are not computed: add them to "
        "[access] thresholds_minutes to extend the travel times."
        if missing
        else ""
    )
    parts = [
        '<h2 id="coverage">Coverage: people within reach of the nearest facility</h2>',
        f'<p class="muted">Population (all people) whose nearest facility is within each '
        f"travel time.{html_text(note)}</p>",
        f'<table id="coverage-table"><thead><tr><th>travel time</th>{head}</tr></thead>'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>",
    ]
    zones = coverage.get("zones")
    if isinstance(zones, list) and zones:
        thresholds = [f"{float(t):g}" for t in coverage["thresholds_minutes"]]
        bound = float(coverage["bound_minutes"])
        beyond = False
        zhead = "".join(f"<th>within {html_text(t)} min</th>" for t in thresholds)
        zrows = []
        for row in zones:
            if not isinstance(row, Mapping):
                continue
            state = str(row.get("state", "before"))
            zone = str(row.get("zone", ""))
            slug = f"zone-{id_slug(state)}-{id_slug(zone)}"
            cells = number_cell(as_number(row.get("population")), "int", f"{slug}-population")
            for t in thresholds:
                cells += number_cell(
                    as_number(row.get(f"share_within_{t}min")), "share", f"{slug}-within_{t}"
                )
            median = as_number(row.get("median_minutes_nearest"))
            population = as_number(row.get("population"))
            if median is None and population:  # more than half reach no facility in the bound
                beyond = True
                cells += number_cell(None, "hours", f"{slug}-median", text=f"over {bound:g}")
            else:
                cells += number_cell(median, "hours", f"{slug}-median")
            # an access-only run has one state: no "plan" column
            state_cell = f"<td>{html_text(state)}</td>" if planned else ""
            zrows.append(f"<tr><th>{html_text(zone)}</th>{state_cell}{cells}</tr>")
        state_head = "<th>plan</th>" if planned else ""
        parts.append(
            '<h3 id="coverage-zones">By district</h3>'
            f'<table id="coverage-zones-table"><thead><tr><th>district</th>{state_head}'
            f"<th>population</th>{zhead}<th>median minutes to the nearest</th></tr></thead>"
            "<tbody>\n" + "\n".join(zrows) + "\n</tbody></table>"
        )
        if beyond:
            parts.append(
                f'<p class="muted">"over {bound:g}": more than half of the district\'s '
                f"population has no facility within the {bound:g}-minute travel-time bound, "
                "so its median time is not known beyond that.</p>"
            )
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------
# further access measures
_MEASURE_LABELS = {
    "bfca": "Balanced FCA (Paez et al. 2019)",
    "availability_per_capita": "Spatial availability per person (Soukhov et al. 2023)",
}


def measures_section(summary: Mapping) -> str:
    """The further measures of ``[access] measures``: mean and Gini (before/after)."""
    measures = summary.get("measures")
    if not isinstance(measures, Mapping) or not measures:
        return ""
    planned = any(isinstance(v, Mapping) and "before" in v for v in measures.values())
    states = ("before", "after") if planned else (None,)
    head = "".join(
        f"<th>mean {s}</th><th>Gini {s}</th>" if s else "<th>mean</th><th>Gini</th>" for s in states
    )
    rows = []
    for column, facts in measures.items():
        if not isinstance(facts, Mapping):
            continue
        if column.startswith("opportunities_within_"):
            label = f"Cumulative opportunities: supply within {column.rsplit('_', 1)[1]} min"
        else:
            label = _MEASURE_LABELS.get(column, column)
        cells = ""
        for state in states:
            values = facts.get(state) if state else facts
            values = values if isinstance(values, Mapping) else {}
            tag = f"measure-{id_slug(column)}" + (f"-{state}" if state else "")
            cells += number_cell(as_number(values.get("mean")), "general", f"{tag}-mean")
            cells += number_cell(as_number(values.get("gini")), "ratio", f"{tag}-gini")
        rows.append(f"<tr><th>{html_text(label)}</th>{cells}</tr>")
    return (
        '<h2 id="measures">Other access measures</h2>\n'
        '<p class="muted">Computed from the same travel times, demand and supply; means are '
        "population-weighted.</p>\n"
        f'<table id="measures-table"><thead><tr><th>measure</th>{head}</tr></thead><tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>\n"
    )


def capacity_coverage_section(summary: Mapping) -> str:
    """AccessMod's capacity-limited coverage: people covered within capacity (before/after)."""
    facts = summary.get("capacity_coverage")
    if not isinstance(facts, Mapping) or not facts:
        return ""
    states = [s for s in ("before", "after") if isinstance(facts.get(s), Mapping)] or [None]
    rows = []
    for state in states:
        values = facts.get(state) if state else facts
        tag = "capacity-coverage" + (f"-{state}" if state else "")
        rows.append(
            f"<tr><th>{html_text(state or 'existing facilities')}</th>"
            + number_cell(as_number(values.get("covered_population")), "int", f"{tag}-covered")
            + number_cell(as_number(values.get("uncovered_population")), "int", f"{tag}-uncovered")
            + number_cell(as_number(values.get("coverage_share")), "share", f"{tag}-share")
            + "</tr>"
        )
    return (
        '<h2 id="capacity-coverage">Coverage within capacity (AccessMod)</h2>\n'
        '<p class="muted">Each facility serves the nearest people not yet served, in order of '
        "travel time, until its capacity is used (facilities in the chosen order): people left "
        "over are not covered even when a facility is near.</p>\n"
        '<table id="capacity-coverage-table"><thead><tr>'
        f"<th>{'plan' if states != [None] else 'facilities'}</th><th>people covered</th>"
        "<th>not covered</th><th>share covered</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n"
    )


def referral_section(summary: Mapping) -> str:
    """Referral times: how many referring facilities reach a facility, median and longest."""
    facts = summary.get("referral")
    if not isinstance(facts, Mapping):
        return ""
    unreachable = facts.get("unreachable") or []
    missing = (
        f" Beyond {float(facts.get('max_minutes_searched') or 0):g} minutes of every facility: "
        + ", ".join(str(u) for u in unreachable[:20])
        + ("…" if len(unreachable) > 20 else "")
        + "."
        if unreachable
        else ""
    )
    return (
        '<h2 id="referral">Referral times</h2>\n'
        f"<p>{number_span(as_number(facts.get('reachable')), 'int', 'referral-reachable')} of "
        f"{number_span(as_number(facts.get('centres')), 'int', 'referral-centres')} referring "
        "facilities reach a facility; median "
        f"{number_span(as_number(facts.get('median_minutes')), 'hours', 'referral-median')} "
        "min, longest "
        f"{number_span(as_number(facts.get('longest_minutes')), 'hours', 'referral-longest')} "
        f"min.{html_text(missing)}</p>\n"
    )
