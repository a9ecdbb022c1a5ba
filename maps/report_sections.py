"""The board-facing sections of the plan report: summary, cost, districts, methods.

Each function takes the run summary (``summary.json``; every key may be
missing in an older or partial run) and returns an HTML fragment with every
user string escaped once and every number carrying ``id`` and ``data-value``
(:mod:`accessplan.maps.report_format`). :func:`accessplan.maps.report.write_report`
puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from accessplan.maps.escaping import html_text
from accessplan.maps.report_format import (
    as_number,
    format_money,
    get_path,
    id_slug,
    number_cell,
    number_span,
)

__all__ = [
    "access_scale",
    "cost_section",
    "demand_label",
    "districts_section",
    "headline_section",
    "methods_section",
    "site_only_ids",
]

_VERDICTS = {
    "within budget": ("good", "within budget"),
    "over budget": ("bad", "OVER budget"),
    "no budget set": ("", "no budget set"),
}


# --------------------------------------------------------------------------
# what the numbers count
def demand_label(summary: Mapping) -> str:
    """What the demand weight counts, e.g. ``"people aged 65+"``; ``"people"`` if not recorded."""
    label = get_path(summary, "demand", "label")
    return str(label) if label else "people"


def access_scale(summary: Mapping) -> float:
    """The factor access numbers are multiplied by in the report (1 if not recorded)."""
    scale = as_number(get_path(summary, "access", "scale"))
    return scale if scale is not None and scale > 0 else 1.0


def _access_units(summary: Mapping) -> str | None:
    units = get_path(summary, "access", "units")
    return str(units) if units else None


def site_only_ids(summary: Mapping, new_sites) -> set[str]:
    """Ids of new sites opened with no capacity: ``plan.site_only`` plus rows with 0 units."""
    ids = {str(s) for s in (get_path(summary, "plan", "site_only") or [])}
    if new_sites is not None and len(new_sites) and "units" in new_sites.columns:
        units = pd.to_numeric(new_sites["units"], errors="coerce")
        ids |= {str(s) for s in new_sites.loc[units == 0, "site_id"]}
    return ids


# --------------------------------------------------------------------------
# cost and budget
def _plan_money(summary: Mapping) -> dict:
    """Cost, budget, verdict... from ``summary["plan"]``, falling back to the location totals."""
    plan = get_path(summary, "plan")
    plan = plan if isinstance(plan, Mapping) else {}
    totals = get_path(summary, "location", "totals")
    totals = totals if isinstance(totals, Mapping) else {}
    cost = plan.get("cost", totals.get("cost"))
    budget = plan.get("budget", totals.get("budget"))
    verdict = plan.get("verdict")
    if verdict not in _VERDICTS:
        c, b = as_number(cost), as_number(budget)
        if c is not None and b is not None:
            verdict = "within budget" if c <= b + 1e-6 * max(1.0, abs(b)) else "over budget"
        elif c is not None or plan:
            verdict = "no budget set"
        else:
            verdict = None
    newly = plan.get("newly_covered")
    per_person = plan.get("cost_per_person_newly_covered")
    if per_person is None and "cost_per_person_newly_covered" not in plan:
        n, c = as_number(newly), as_number(cost)
        per_person = c / n if n and c is not None and n > 0 else None
    return {
        "cost": cost,
        "budget": budget,
        "verdict": verdict,
        "currency": plan.get("currency") or None,
        "site_cost": plan.get("site_cost"),
        "unit_cost": plan.get("unit_cost"),
        "new_sites": plan.get("new_sites"),
        "units_added": plan.get("units_added"),
        "unit_label": plan.get("unit_label") or "units",
        "newly_covered": newly,
        "per_person": per_person,
        "objective": plan.get("objective") or get_path(summary, "location", "objective_name"),
        "objective_label": plan.get("objective_label"),
    }


def _verdict_html(verdict: str | None) -> str:
    if verdict is None:
        return '<td id="budget-verdict" data-value=""></td>'
    css, text = _VERDICTS[verdict]
    span = f'<span class="{css}">{html_text(text)}</span>' if css else html_text(text)
    return f'<td id="budget-verdict" data-value="{html_text(verdict)}">{span}</td>'


def cost_section(summary: Mapping) -> str:
    """The "Cost and budget" table: objective, cost (sites, units), budget, verdict, cost per person.

    Ids: ``plan-objective``, ``plan-new-sites``, ``plan-units-added``, ``cost``,
    ``site-cost``, ``unit-cost``, ``budget``, ``budget-verdict`` (``data-value``
    the verdict), ``newly-covered``, ``cost-per-person``.
    """
    m = _plan_money(summary)
    label = demand_label(summary)
    cur = m["currency"]
    money_head = f" ({html_text(cur)})" if cur else ""
    objective = m["objective_label"] or m["objective"]
    rows = []
    if objective:
        code = html_text(m["objective"] or "")
        rows.append(
            f'<tr><th>objective</th><td id="plan-objective" data-value="{code}">'
            f"{html_text(objective)}</td></tr>"
        )
    rows.append(
        f"<tr><th>new sites opened</th>{number_cell(m['new_sites'], 'int', 'plan-new-sites')}</tr>"
    )
    rows.append(
        f"<tr><th>{html_text(m['unit_label'])} added</th>"
        f"{number_cell(m['units_added'], 'int', 'plan-units-added')}</tr>"
    )
    rows.append(
        f"<tr><th>cost of the plan{money_head}</th>{number_cell(m['cost'], 'money', 'cost')}</tr>"
    )
    if m["site_cost"] is not None or m["unit_cost"] is not None:
        rows.append(
            f"<tr><th>&nbsp;&nbsp;of which sites{money_head}</th>"
            f"{number_cell(m['site_cost'], 'money', 'site-cost')}</tr>"
            f"<tr><th>&nbsp;&nbsp;of which {html_text(m['unit_label'])}{money_head}</th>"
            f"{number_cell(m['unit_cost'], 'money', 'unit-cost')}</tr>"
        )
    if as_number(m["budget"]) is None:
        budget = '<td class="num" id="budget" data-value="">no budget set</td>'
    else:
        budget = number_cell(m["budget"], "money", "budget")
    rows.append(f"<tr><th>budget{money_head}</th>{budget}</tr>")
    rows.append(f"<tr><th>verdict</th>{_verdict_html(m['verdict'])}</tr>")
    rows.append(
        f"<tr><th>{html_text(label)} newly within reach</th>"
        f"{number_cell(m['newly_covered'], 'int', 'newly-covered')}</tr>"
    )
    rows.append(
        f"<tr><th>cost per person newly within reach{money_head}</th>"
        f"{number_cell(m['per_person'], 'money', 'cost-per-person')}</tr>"
    )
    return (
        '<h2>Cost and budget</h2>\n<table id="cost-vs-budget"><tbody>'
        + "\n".join(rows)
        + "</tbody></table>\n"
    )


# --------------------------------------------------------------------------
# the plan in a few sentences
def _comparison(comparison, measure: str, column: str):
    if isinstance(comparison, pd.DataFrame):
        if measure in comparison.index and column in comparison.columns:
            return comparison.loc[measure, column]
    return None


def _notices(summary: Mapping, opened) -> str:
    parts = []
    explanation = get_path(summary, "plan", "explanation")
    if isinstance(explanation, Mapping) and explanation.get("text"):
        code = html_text(explanation.get("code") or "")
        parts.append(
            f'<p class="notice" id="plan-explanation" data-code="{code}">'
            f"<strong>Why the plan opens {'nothing' if opened == 0 else 'so little'}:</strong> "
            f"{html_text(explanation['text'])}</p>"
        )
    elif opened == 0:
        parts.append(
            '<p class="notice" id="plan-explanation" data-code="">'
            "<strong>The plan opens no new site.</strong> The run did not record why.</p>"
        )
    unique = get_path(summary, "plan", "uniqueness")
    if isinstance(unique, Mapping):
        flag = unique.get("unique")
        text = unique.get("text") or ""
        if flag is False:
            parts.append(
                '<p class="notice" id="plan-uniqueness" data-value="false">'
                "<strong>Not the only answer:</strong> other sets of sites do exactly as well "
                f"on the objective, so the choice among them is a tie-break. {html_text(text)}</p>"
            )
        elif flag is True:
            parts.append(
                '<p class="muted" id="plan-uniqueness" data-value="true">'
                f"{html_text(text) or 'The chosen sites are the only optimum (checked).'}</p>"
            )
        elif text:
            extra = "" if text.strip(" .").lower() == "not checked" else " " + html_text(text)
            parts.append(
                '<p class="muted" id="plan-uniqueness" data-value="">'
                f"Whether other plans do equally well was not checked.{extra}</p>"
            )
    return "\n".join(parts) + ("\n" if parts else "")


def headline_section(summary: Mapping, comparison, new_sites) -> str:
    """ "The plan in brief": what it opens, costs and changes, in sentences; why nothing; ties."""
    m = _plan_money(summary)
    label = demand_label(summary)
    cur = m["currency"]
    opened = as_number(m["new_sites"])
    if opened is None and new_sites is not None:
        opened = float(len(new_sites))
    sentences = []
    if opened is not None and opened > 0:
        n = int(opened)
        units = as_number(m["units_added"])
        with_units = (
            f" with {number_span(units, 'int', 'headline-units')} {html_text(m['unit_label'])}"
            if units is not None
            else ""
        )
        cost = as_number(m["cost"])
        cost_text = ""
        if cost is not None:
            money = format_money(cost, cur, short=True)
            cost_text = f" at a cost of {number_span(cost, 'money', 'headline-cost', text=money)}"
            budget = as_number(m["budget"])
            if budget is not None:
                word = "within" if m["verdict"] == "within budget" else "over"
                cost_text += (
                    f", {word} the budget of "
                    f"{number_span(budget, 'money', 'headline-budget', text=format_money(budget, cur, short=True))}"
                )
        sentences.append(
            f"The plan opens {number_span(n, 'int', 'headline-new-sites')} new site{'s' if n != 1 else ''}"
            f"{with_units}{cost_text}."
        )
        only = site_only_ids(summary, new_sites)
        if only:
            sentences.append(
                f"{len(only)} of them {'is' if len(only) == 1 else 'are'} opened as a site only, "
                "with no capacity (see the chosen sites)."
            )
    newly = as_number(m["newly_covered"])
    if newly is not None and newly > 0:
        per = as_number(m["per_person"])
        per_text = (
            f" (costing {number_span(per, 'money', 'headline-cost-per-person', text=format_money(per, cur))} per person)"
            if per is not None
            else ""
        )
        sentences.append(
            f"It brings {number_span(newly, 'int', 'headline-newly-covered')} "
            f"{html_text(label)} within reach of a site for the first time{per_text}."
        )
    scale = access_scale(summary)
    units = _access_units(summary)
    mb, ma = (as_number(_comparison(comparison, "mean", c)) for c in ("before", "after"))
    if mb is not None and ma is not None:
        verb = "rises" if ma > mb else "falls" if ma < mb else "stays"
        unit_text = f" {html_text(units)}" if units else ""
        sentences.append(
            f"Population-weighted mean access {verb} from {number_span(mb * scale, 'access', 'headline-access-before')} "
            f"to {number_span(ma * scale, 'access', 'headline-access-after')}{unit_text}."
        )
    zb, za = (as_number(_comparison(comparison, "share_zero", c)) for c in ("before", "after"))
    if zb is not None and za is not None:
        sentences.append(
            f"The share of the population with no access goes from {number_span(zb, 'share', 'headline-zero-share-before')} "
            f"to {number_span(za, 'share', 'headline-zero-share-after')} "
            f"({number_span(za - zb, 'pp', 'headline-zero-share-change')})."
        )
    body = " ".join(sentences)
    return (
        "<h2>The plan in brief</h2>\n"
        + (f'<p id="headline">{body}</p>\n' if body else "")
        + _notices(summary, opened)
    )


# --------------------------------------------------------------------------
# districts
def districts_section(districts: pd.DataFrame | None, summary: Mapping) -> str:
    """The per-district table (:func:`accessplan.spatial.districts.district_table`).

    A plan's table has ``access_before``/``access_after``/``access_change`` and
    the zero-access shares before, after and their change; an access-only
    run's table has one state: ``access``, ``zero_share`` and
    ``no_score_population`` (no "before", "after" or change columns).

    Access is shown multiplied by the summary's access scale (``data-value``
    holds the scaled number shown); zero-access shares as % and their change
    in percentage points. Ids: ``district-<slug>-<column>`` and
    ``districts-total-<column>``.
    """
    if districts is None or len(districts) == 0:
        return ""
    scale = access_scale(summary)
    units = _access_units(summary)
    label = demand_label(summary)
    has_demand = "demand" in districts.columns and districts["demand"].notna().any()
    # one state (an access-only run): access, zero_share, no_score_population
    planned = "access" not in districts.columns
    no_score = [
        c
        for c in (
            ("no_score_population_before", "no_score_population_after")
            if planned
            else ("no_score_population",)
        )
        if c in districts.columns and (pd.to_numeric(districts[c], errors="coerce") > 0).any()
    ]
    cols = [("population", "population", "int", False, 1.0)]
    if has_demand:
        cols.append(("demand", label, "int", False, 1.0))
    if planned:
        cols += [
            ("access_before", "access before", "access", False, scale),
            ("access_after", "access after", "access", False, scale),
            ("access_change", "access change", "access", True, scale),
            ("zero_share_before", "no access before", "share", False, 1.0),
            ("zero_share_after", "no access after", "share", False, 1.0),
            ("zero_share_change", "no-access change", "pp", False, 1.0),
        ]
        cols += [(c, f"no score ({c.rsplit('_', 1)[1]})", "int", False, 1.0) for c in no_score]
    else:
        cols += [
            ("access", "access", "access", False, scale),
            ("zero_share", "no access", "share", False, 1.0),
        ]
        cols += [(c, "no score", "int", False, 1.0) for c in no_score]
    cols = [c for c in cols if c[0] in districts.columns]
    head = (
        "<thead><tr><th>district</th>"
        + "".join(f"<th>{html_text(t)}</th>" for _, t, _, _, _ in cols)
        + "</tr></thead>"
    )
    is_total = (
        districts["is_total"].astype(bool)
        if "is_total" in districts.columns
        else pd.Series(False, index=districts.index)
    )
    rows = []
    for (name, row), total in zip(districts.iterrows(), is_total, strict=True):
        prefix = "districts-total" if total else f"district-{id_slug(name)}"
        cells = []
        for col, _, kind, signed, factor in cols:
            v = as_number(row[col])
            cells.append(
                number_cell(
                    None if v is None else v * factor, kind, f"{prefix}-{col}", signed=signed
                )
            )
        css = ' class="total"' if total else ""
        rows.append(
            f'<tr{css} data-district="{html_text(name)}"><th>{html_text(name)}</th>'
            + "".join(cells)
            + "</tr>"
        )
    unit_text = f"Access in {html_text(units)}; " if units else "Access is "
    change = "; its change is in percentage points (pp)" if planned else ""
    note = (
        f'<p class="muted">{unit_text}population-weighted means over the areas that have a score. '
        "\u201cNo access\u201d is the share of the population with exactly zero access"
        f"{change}.</p>"
    )
    return (
        "<h2>Access by district</h2>\n"
        + note
        + '\n<table id="districts">'
        + head
        + "<tbody>\n"
        + "\n".join(rows)
        + "</tbody></table>\n"
    )


# --------------------------------------------------------------------------
# methods and assumptions
def _file_name(spec) -> str | None:
    """The file name (no folders) of a layer spec or path, with its layer when named."""
    layer = None
    if isinstance(spec, Mapping):
        layer = spec.get("layer")
        spec = spec.get("path")
    if not spec:
        return None
    name = Path(str(spec)).name
    return f"{name} (layer {layer})" if layer else name


def _speeds(network: Mapping) -> str | None:
    parts = []
    straight = get_path(network, "straight_line", "speed_kph")
    if as_number(straight) is not None:
        parts.append(f"straight-line distance at {as_number(straight):g} km/h")
    if as_number(network.get("speed_kph")) is not None:
        parts.append(f"road speed {as_number(network['speed_kph']):g} km/h")
    if as_number(network.get("fallback_speed_kph")) is not None:
        parts.append(f"{as_number(network['fallback_speed_kph']):g} km/h where a road has no speed")
    if as_number(network.get("access_speed_kph")) is not None:
        parts.append(
            f"{as_number(network['access_speed_kph']):g} km/h between a point and the nearest road"
        )
    return "; ".join(parts) if parts else None


def _decay_text(summary: Mapping, scenario: Mapping) -> str:
    label = get_path(summary, "access", "decay_label")
    if label:
        return str(label)
    decay = get_path(summary, "access", "decay") or get_path(scenario, "access", "decay")
    if isinstance(decay, Mapping) and decay.get("type"):
        return f"{decay['type']} decay {dict((k, v) for k, v in decay.items() if k != 'type')}"
    return "none: every site within the catchment counts in full"


def _plan_methods(summary: Mapping, scenario: Mapping, m: dict) -> list[tuple[str, str, str]]:
    """The methods items of a plan: how sites were chosen, currency, ventilator sizing."""
    items: list[tuple[str, str, str]] = []
    if m["objective_label"] or m["objective"]:
        solver = get_path(summary, "location", "solver", "solver") or get_path(
            scenario, "location", "solver"
        )
        text = str(m["objective_label"] or m["objective"])
        if solver:
            text += f", solved exactly as an optimisation model ({solver})"
        items.append(("objective", "How sites were chosen", text))
    if m["currency"] or m["cost"] is not None:
        items.append(
            (
                "currency",
                "Currency",
                str(m["currency"]) if m["currency"] else "not stated in the scenario",
            )
        )
    vent = get_path(scenario, "ventilators")
    if isinstance(vent, Mapping):
        parts = []
        for key, fmt in (
            (
                "patients_per_100k_day",
                "{:g} patients needing a ventilator per 100,000 population a day",
            ),
            ("mean_stay_days", "{:g} days on a ventilator on average"),
            ("target_wait_hours", "a target mean wait of {:g} hours"),
        ):
            if as_number(vent.get(key)) is not None:
                parts.append(fmt.format(as_number(vent[key])))
        credited = as_number(get_path(summary, "ventilators", "credited_units"))
        if credited is not None and credited > 0:
            parts.append(f"{credited:,.0f} units bought by the plan counted as ventilators")
        elif credited is not None:
            parts.append("the plan buys no ventilators, so its new sites start with none")
        if parts:
            items.append(
                (
                    "ventilators",
                    "Ventilators",
                    "queueing (Erlang C) sizing with " + ", ".join(parts),
                )
            )
    return items


def travel_table_text(travel) -> str | None:
    """Where the run's travel times are kept, in words (None when the summary does not say).

    Reads ``summary["travel_times"]``: ``pairs``, ``max_minutes``, ``format``
    (``csv``, ``parquet`` or ``none``), ``file`` and an optional ``note``.
    """
    if not isinstance(travel, Mapping) or "format" not in travel:
        return None
    pairs = as_number(travel.get("pairs"))
    bound = as_number(travel.get("max_minutes"))
    what = "" if pairs is None else f"{int(pairs):,} area-site pairs"
    if what and bound is not None:
        what += f" within {bound:g} minutes"
    fmt, name = travel.get("format"), travel.get("file")
    if fmt == "none" or not name:
        note = travel.get("note") or '[output] travel_times = "none"'
        return (what + ", " if what else "") + f"not written ({note})"
    else:
        kind = "CSV" if fmt == "csv" else "Parquet (read with any Parquet reader)"
        text = (what + " in " if what else "") + f"{Path(str(name)).name}, {kind}"
    note = travel.get("note")
    return text + (f"; {note}" if note else "")


def methods_section(summary: Mapping, scenario: Mapping, *, plan: bool = True) -> str:
    """ "Methods and assumptions": how access was measured and the plan chosen, in plain words.

    Each item is a ``<dd id="method-<key>">``; keys ``access``, ``catchment``,
    ``decay``, ``units``, ``travel``, ``speeds``, ``demand``, ``sources``,
    ``objective``, ``currency``, ``ventilators``, ``software``. With
    ``plan=False`` (an access-only run) the plan's items (candidate sites,
    how sites were chosen, currency, ventilator sizing) are left out even
    when the scenario file has those sections: the run did not use them.
    """
    scenario = scenario if isinstance(scenario, Mapping) else {}
    items: list[tuple[str, str, str]] = []
    method = get_path(summary, "access", "method_label") or get_path(summary, "access", "method")
    method = method or get_path(scenario, "access", "method")
    if method:
        items.append(("access", "Access measure", str(method)))
    catch = as_number(
        get_path(summary, "access", "catchment_minutes")
        or get_path(scenario, "access", "catchment_minutes")
    )
    if catch is not None:
        items.append(
            (
                "catchment",
                "Catchment",
                f"a site serves, and is counted by, every area within {catch:g} minutes of travel",
            )
        )
    items.append(("decay", "Distance decay", _decay_text(summary, scenario)))
    units = _access_units(summary)
    scale = access_scale(summary)
    if units:
        raw = (
            f" (the raw scores multiplied by {scale:,g}; the CSV and GeoPackage outputs keep "
            "the raw scores)"
            if scale != 1
            else ""
        )
        items.append(("units", "Units of access", f"{units}{raw}"))
    travel = get_path(summary, "travel_times", "model_label") or get_path(
        summary, "travel_times", "method"
    )
    network = get_path(scenario, "network")
    network = network if isinstance(network, Mapping) else {}
    if travel or network.get("source"):
        items.append(("travel", "Travel model", str(travel or network.get("source"))))
    speeds = _speeds(network)
    if speeds:
        items.append(("speeds", "Speeds", speeds))
    label = demand_label(summary)
    column = get_path(summary, "demand", "column")
    demand = (
        f"{label} (column {column!s} of the areas)"
        if column
        else f"{label} (the population of each area)"
    )
    items.append(
        (
            "demand",
            "Demand",
            demand + "; each area's demand is placed at one point of the area",
        )
    )
    sources = []
    layers = [("areas", "areas"), ("facilities", "existing facilities")]
    if plan:
        layers.append(("candidates", "candidate sites"))
    for key, what in layers:
        name = _file_name(scenario.get(key))
        if name:
            sources.append(f"{what}: {name}")
    for key, what in (("path", "road network"), ("od_table", "travel-time table")):
        name = _file_name(network.get(key))
        if name:
            sources.append(f"{what}: {name}")
    if network.get("place"):
        sources.append(f"road network: OpenStreetMap download for {network['place']}")
    if plan and get_path(scenario, "generate_candidates"):
        gen = scenario["generate_candidates"]
        sources.append(
            f"candidate sites generated by accessplan ({gen.get('method', 'generated')})"
        )
    if sources:
        items.append(("sources", "Data sources", "; ".join(sources)))
    table = travel_table_text(summary.get("travel_times"))
    if table:
        items.append(("travel-table", "Travel-time table", table))
    group = get_path(scenario, "areas", "group")
    if group:
        items.append(
            (
                "districts",
                "Districts",
                f"the values of column {group} of the areas; each district's figures are "
                "population-weighted over its areas",
            )
        )
    m = _plan_money(summary)
    if plan:
        items += _plan_methods(summary, scenario, m)
    version = get_path(summary, "run", "version")
    started = get_path(summary, "run", "started_utc")
    command = get_path(summary, "run", "command")
    software = f"accessplan {version}" if version else "accessplan (version not recorded)"
    if command:
        software += f", command \u201c{command}\u201d"
    if started:
        software += f", run started {str(started).replace('T', ' ').replace('Z', ' UTC')}"
    items.append(("software", "Software and run", software))
    body = "".join(
        f'<dt>{html_text(term)}</dt><dd id="method-{key}">{html_text(text)}</dd>'
        for key, term, text in items
    )
    return (
        '<h2>Methods and assumptions</h2>\n<dl class="methods" id="methods">' + body + "</dl>\n"
        '<p class="muted">Travel times are for the roads (or the table) as given, with no '
        "congestion or opening hours. Access scores compare supply with the demand that can "
        "reach it; they do not say whether a service is good.</p>\n"
    )
