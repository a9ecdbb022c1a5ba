"""One self-contained HTML report of a redeployment run.

The same kind of page as the plan report (:mod:`accessplan.maps.report`): its
style sheet and header (:func:`accessplan.maps.report.report_page`), no
external resource, the transfer map as a whole offline document in an
``<iframe srcdoc>``, figures as PNG data URIs, every user string escaped once
with :func:`accessplan.maps.escaping.html_text`. Each number carries its exact
value in ``data-value`` and a stable ``id`` (``unmet-with-moves``,
``move-0-units``, ``unmet-facility-H01-with``, ``price-ventilators-H01-3-more``
...), so a program can check it against ``summary.json``, ``unmet.csv``,
``commands.csv`` and ``shadow_prices.csv``.

Sections: key figures, the moves as commands, unmet demand (per facility, per
period, and per facility and period where any is left), prices (the value of
one more unit, with its uniqueness in plain words), methods and assumptions,
the transfer map, figures and the scenario used.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.embed import embed_maps
from accessplan.maps.escaping import html_text
from accessplan.maps.report import png_bytes, report_page
from accessplan.maps.report_format import (
    as_number,
    format_value,
    get_path,
    id_slug,
    number_cell,
    number_span,
)

__all__ = ["redeploy_report_html", "write_redeploy_report"]

_PRINT_CSS = "@media print{section[id^='map-'],h2:has(+ section[id^='map-']){display:none}}"
#: price rows shown (largest value of one more unit first); the CSV has them all
PRICE_ROWS = 15


def _t(value) -> str:
    return html_text(value)


def _plural(n, word: str) -> str:
    return f"{format_value(n, 'general')} {word}{'' if as_number(n) == 1 else 's'}"


# --------------------------------------------------------------------------- sections
def _key_figures(summary: Mapping) -> str:
    res = _t(summary.get("resource_label") or "units")
    without = summary.get("unmet_without_moves")
    with_moves = summary.get("total_unmet")
    avoided = summary.get("unmet_avoided")
    moves = summary.get("moves")
    units = summary.get("units_moved")
    periods = summary.get("periods")
    parts = ["<h2>Key figures</h2>"]
    w, m = as_number(without), as_number(with_moves)
    if w is not None and m is not None and as_number(moves) is not None:
        share = f" ({format_value((w - m) / w, 'share')} less)" if w > 0 else ""
        parts.append(
            '<p id="headline">'
            f"{number_span(moves, 'int', 'headline-moves')} "
            f"move{'' if as_number(moves) == 1 else 's'} of "
            f"{number_span(units, 'general', 'headline-units')} {res} cut unmet demand, "
            f"summed over {number_span(periods, 'int', 'headline-periods')} periods, from "
            f"{number_span(without, 'general', 'headline-without')} to "
            f"{number_span(with_moves, 'general', 'headline-with')} {res}{share}.</p>"
        )
    rows = [
        ("Unmet demand without moves (own units only)", without, "general", "unmet-without-moves"),
        ("Unmet demand with the moves", with_moves, "general", "unmet-with-moves"),
        ("Unmet demand avoided by the moves", avoided, "general", "unmet-avoided"),
        ("Moves", moves, "int", "moves-count"),
        (f"Units moved ({res})", units, "general", "units-moved"),
        ("Transfer cost (undiscounted)", summary.get("transfer_cost"), "money", "transfer-cost"),
        (
            "Total cost (penalties, operating and transfer costs, discounted)",
            summary.get("total_cost"),
            "money",
            "total-cost",
        ),
        ("Cost of the equity band", summary.get("equity_price"), "money", "equity-price"),
        ("Facilities", summary.get("facilities"), "int", "facilities-count"),
        ("Periods", periods, "int", "periods-count"),
    ]
    body = []
    for label, value, kind, ident in rows:
        if value is None and ident == "equity-price":
            continue
        body.append(f"<tr><th>{_t(label)}</th>{number_cell(value, kind, ident)}</tr>")
    parts.append('<table id="key-figures">' + "".join(body) + "</table>")
    parts.append(
        '<p class="muted">Unmet demand is counted in units summed over facilities and periods '
        "(a patient needing a ventilator for three periods counts three). Costs are in the "
        "units of the unmet penalty and transfer costs of the scenario.</p>"
    )
    return "\n".join(parts) + "\n"


def _moves(commands: pd.DataFrame | None, summary: Mapping) -> str:
    parts = ["<h2>Moves</h2>"]
    if commands is None or len(commands) == 0:
        parts.append(
            '<p id="no-moves">No move: every facility is best served by its own units '
            "(no shortfall that a transfer could reach in time at a cost below the penalty).</p>"
        )
        return "\n".join(parts) + "\n"
    parts.append(
        f"<p>{_plural(len(commands), 'command')}, in the order they must be given "
        "(a unit in transit serves no one until it arrives).</p>"
    )
    head = (
        "<tr><th>#</th><th>Command</th><th>Units</th><th>Departs</th><th>Arrives</th>"
        "<th>Cost</th><th>Why</th></tr>"
    )
    rows = []
    for n, row in enumerate(commands.itertuples(index=False)):
        rows.append(
            f'<tr id="move-{n}"><td class="num">{n + 1}</td>'
            f'<td id="move-{n}-command">{_t(row.command)}</td>'
            + number_cell(row.units, "general", f"move-{n}-units")
            + number_cell(row.depart_period, "int", f"move-{n}-depart")
            + number_cell(row.arrive_period, "int", f"move-{n}-arrive")
            + number_cell(row.cost, "money", f"move-{n}-cost")
            + f"<td>{_t(row.answers)}</td></tr>"
        )
    parts.append(f'<table id="moves"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')
    return "\n".join(parts) + "\n"


def _unmet(unmet: pd.DataFrame | None, summary: Mapping) -> str:
    if unmet is None or len(unmet) == 0:
        return ""
    res = _t(summary.get("resource_label") or "units")
    frame = unmet.copy()
    for column in ("demand", "unmet", "unmet_without_moves"):
        if column not in frame.columns:
            frame[column] = math.nan
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["period"] = pd.to_numeric(frame["period"]).astype(int)
    parts = [
        "<h2>Unmet demand</h2>",
        f"<p>Demand and unmet demand in {res}, summed over periods (per facility) and over "
        "facilities (per period). <em>Without moves</em>: each facility uses only its own "
        "units.</p>",
    ]
    sums = ["demand", "unmet_without_moves", "unmet"]
    by_fac = frame.groupby("facility", sort=False)[sums].sum()
    by_fac = by_fac.sort_values(["unmet_without_moves", "unmet", "demand"], ascending=False)
    short = (by_fac["unmet_without_moves"] > 1e-9) | (by_fac["unmet"] > 1e-9)
    quiet = by_fac[~short]
    shown = by_fac[short]
    head = (
        "<tr><th>{}</th><th>Demand</th><th>Unmet without moves</th><th>Unmet with moves</th></tr>"
    )
    rows = []
    for fac, row in shown.iterrows():
        s = id_slug(fac)
        rows.append(
            f"<tr><th>{_t(fac)}</th>"
            + number_cell(row["demand"], "general", f"unmet-facility-{s}-demand")
            + number_cell(row["unmet_without_moves"], "general", f"unmet-facility-{s}-without")
            + number_cell(row["unmet"], "general", f"unmet-facility-{s}-with")
            + "</tr>"
        )
    if len(quiet):
        rest = quiet.sum()
        rows.append(
            f"<tr><th>{_plural(len(quiet), 'other facility').replace('facilitys', 'facilities')}"
            "</th>"
            + number_cell(rest["demand"], "general", "unmet-others-demand")
            + number_cell(rest["unmet_without_moves"], "general", "unmet-others-without")
            + number_cell(rest["unmet"], "general", "unmet-others-with")
            + "</tr>"
        )
    total = by_fac.sum()
    rows.append(
        '<tr class="total"><th>Total</th>'
        + number_cell(total["demand"], "general", "unmet-total-demand")
        + number_cell(total["unmet_without_moves"], "general", "unmet-total-without")
        + number_cell(total["unmet"], "general", "unmet-total-with")
        + "</tr>"
    )
    parts.append('<h3>Per facility</h3><table id="unmet-by-facility">')
    parts.append(f"<thead>{head.format('Facility')}</thead><tbody>{''.join(rows)}</tbody></table>")
    if len(quiet):
        parts.append(
            '<p class="muted" id="unmet-quiet">No unmet demand, with or without moves, at: '
            f"{_t(', '.join(str(f) for f in quiet.index))}.</p>"
        )
    by_period = frame.groupby("period")[sums].sum().sort_index()
    rows = []
    for t, row in by_period.iterrows():
        rows.append(
            f"<tr><th>{int(t)}</th>"
            + number_cell(row["demand"], "general", f"unmet-period-{int(t)}-demand")
            + number_cell(row["unmet_without_moves"], "general", f"unmet-period-{int(t)}-without")
            + number_cell(row["unmet"], "general", f"unmet-period-{int(t)}-with")
            + "</tr>"
        )
    parts.append('<h3>Per period</h3><table id="unmet-by-period">')
    parts.append(f"<thead>{head.format('Period')}</thead><tbody>{''.join(rows)}</tbody></table>")
    left = frame[frame["unmet"] > 1e-9]
    if len(left):
        periods = sorted(frame["period"].unique())
        for resource, part in frame.groupby("resource", sort=True):
            facs = [f for f in dict.fromkeys(left[left["resource"] == resource]["facility"])]
            if not facs:
                continue
            cells = part.set_index(["facility", "period"])["unmet"]
            r = id_slug(resource)
            head_row = "".join(f"<th>{int(t)}</th>" for t in periods)
            rows = []
            for fac in facs:
                s = id_slug(fac)
                tds = "".join(
                    number_cell(cells.get((fac, t), 0.0), "general", f"unmet-{r}-{s}-{int(t)}")
                    for t in periods
                )
                rows.append(f"<tr><th>{_t(fac)}</th>{tds}</tr>")
            parts.append(
                f"<h3>Left unmet with the moves: {_t(resource)} per facility and period</h3>"
                f'<table id="unmet-left-{r}"><thead><tr><th>Facility \\ period</th>{head_row}'
                f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            )
    else:
        parts.append('<p id="unmet-none">With the moves, no demand is left unmet.</p>')
    return "\n".join(parts) + "\n"


def _unique_text(flag) -> tuple[str, str]:
    if flag is True or (isinstance(flag, str) and flag.lower() == "true"):
        return "yes", ""
    if flag is False or (isinstance(flag, str) and flag.lower() == "false"):
        return "no", ' class="flag"'
    return "partly checked", ""


def _reason(flag, dual, more, less) -> str:
    """A few plain words on why a price is (not) unique."""
    if flag is True:
        return "same either way"
    if flag is False:
        if (
            as_number(dual) is not None
            and as_number(more) is not None
            and not math.isclose(dual, more, rel_tol=1e-6, abs_tol=1e-6)
        ):
            return f"the solver's own price ({format_value(dual, 'general')}) was not this value"
        return "one less costs more than one more saves"
    if as_number(less) is None:
        return "no movable unit there to take away"
    return "one less was not checked"


def _price_groups(top: pd.DataFrame) -> list:
    """Rows of ``top`` with the same prices and flag: one per facility set and run of periods.

    Facilities with the same resource, period, prices and flag share a row; then
    rows of the same facilities and prices in consecutive periods are merged.
    Returns ``(first row, facilities, periods)`` tuples in the order of ``top``.
    """

    def key_of(v):
        x = as_number(v)
        return None if x is None else round(x, 6)

    def prices_of(row):
        return (
            row.resource,
            key_of(row.value_of_one_more_unit),
            key_of(row.value_of_one_less_unit),
            key_of(row.lp_dual),
            row.flag_,
        )

    by_period: dict = {}
    for row in top.itertuples(index=False):
        key = (*prices_of(row), int(row.period))
        if key in by_period:
            by_period[key][1].append(row.facility)
        else:
            by_period[key] = (row, [row.facility])
    merged: dict = {}
    for row, facilities in by_period.values():
        key = (*prices_of(row), tuple(facilities))
        runs = merged.setdefault(key, [])
        if runs and runs[-1][2][-1] == int(row.period) - 1:
            runs[-1][2].append(int(row.period))
        else:
            runs.append((row, facilities, [int(row.period)]))
    groups = [run for runs in merged.values() for run in runs]
    order = {id(row): n for n, row in enumerate(r for r, _f in by_period.values())}
    return sorted(groups, key=lambda g: order[id(g[0])])


def _periods_text(periods: list[int]) -> str:
    return str(periods[0]) if len(periods) == 1 else f"{periods[0]}\u2013{periods[-1]}"


def _as_flag(value):
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return {"true": True, "false": False}.get(value.strip().lower())
    if isinstance(value, float) and math.isnan(value):
        return None
    return bool(value)


def _prices(prices: pd.DataFrame | None, summary: Mapping) -> str:
    parts = ["<h2>Prices: what one more unit is worth</h2>"]
    if prices is None or len(prices) == 0:
        parts.append('<p id="no-prices">No prices were computed for this run.</p>')
        return "\n".join(parts) + "\n"
    res = _t(summary.get("resource_label") or "units")
    source = get_path(summary, "prices", "from")
    if source and source != "this plan":
        parts.append(
            f'<p class="notice" id="prices-from">The moves above come from the rolling-horizon '
            f"run (re-planned every period). The prices come from {_t(source)}: what one more "
            "unit would have been worth had the whole surge been known in advance.</p>"
        )
    parts.append(
        "<p>The <b>value of one more unit</b> at a facility in a period is how much the total "
        f"cost (unmet-demand penalties, operating and transfer costs) falls when one more of "
        f"its {res} is on hand there from that period on. It is measured by planning again "
        "with that unit, so a unit that could reach no one in time is worth 0. The <b>value of "
        "one less unit</b> is the cost of taking one away. The price is <b>unique</b> when both "
        "are the same and the solver's own price (its LP dual) agrees. It is <b>not unique</b> "
        "when they differ: at a facility with exactly the units it needs, one more is worth "
        "nothing but one less leaves a patient unserved; there a solver may report any number "
        "in between, so this report shows the value of one more unit instead.</p>"
    )
    frame = prices.copy()
    for column in ("value_of_one_more_unit", "value_of_one_less_unit", "lp_dual"):
        if column not in frame.columns:
            frame[column] = math.nan
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    if "unique" not in frame.columns:
        frame["unique"] = None
    if "price_note" not in frame.columns:
        frame["price_note"] = ""
    flags = [_as_flag(v) for v in frame["unique"]]
    more = frame["value_of_one_more_unit"]
    n_zero = int((more.abs() <= 1e-9).sum())
    counts = {
        "cells": len(frame),
        "zero": n_zero,
        "unique": sum(f is True for f in flags),
        "not-unique": sum(f is False for f in flags),
        "unchecked": int(more.isna().sum()),
    }
    parts.append(
        '<p id="price-counts">'
        f"Of {number_span(counts['cells'], 'int', 'prices-cells')} facility-periods, "
        f"{number_span(counts['zero'], 'int', 'prices-zero')} gain nothing from one more "
        f"unit (it would stand idle), {number_span(counts['unique'], 'int', 'prices-unique')} "
        f"have a unique price, {number_span(counts['not-unique'], 'int', 'prices-not-unique')} "
        "do not"
        + (
            f", and {number_span(counts['unchecked'], 'int', 'prices-unchecked')} could not be "
            "checked in the time allowed (no price is shown for them)"
            if counts["unchecked"]
            else ""
        )
        + ".</p>"
    )
    top = frame.assign(flag_=flags)[more > 1e-9].sort_values(
        ["value_of_one_more_unit", "period"], ascending=[False, True], kind="stable"
    )
    if len(top) == 0:
        parts.append(
            '<p id="prices-none">One more unit would not lower the cost anywhere: every '
            "shortfall the moves could reach is already served.</p>"
        )
    else:
        groups = _price_groups(top)
        shown = groups[:PRICE_ROWS]
        head = (
            "<tr><th>Facilities</th><th>Resource</th><th>From period(s)</th>"
            "<th>Value of one more unit</th><th>Value of one less unit</th>"
            "<th>Solver's dual</th><th>Unique</th><th>Why</th></tr>"
        )
        rows = []
        for n, (row, facilities, periods) in enumerate(shown):
            ident = f"price-{n}"
            word, cls = _unique_text(row.flag_)
            why = _reason(
                row.flag_, row.lp_dual, row.value_of_one_more_unit, row.value_of_one_less_unit
            )
            names = json.dumps([str(f) for f in facilities], ensure_ascii=False)
            rows.append(
                f'<tr id="{ident}" data-facilities="{_t(names)}" '
                f'data-resource="{_t(row.resource)}" data-periods="{json.dumps(periods)}">'
                f"<td>{_t(', '.join(str(f) for f in facilities))}</td><td>{_t(row.resource)}</td>"
                + f'<td class="num">{_periods_text(periods)}</td>'
                + number_cell(row.value_of_one_more_unit, "general", f"{ident}-more")
                + number_cell(row.value_of_one_less_unit, "general", f"{ident}-less")
                + number_cell(row.lp_dual, "general", f"{ident}-dual")
                + f'<td{cls} id="{ident}-unique" title="{_t(row.price_note)}">{word}</td>'
                + f"<td>{_t(why)}</td></tr>"
            )
        parts.append(
            "<p>Facilities and consecutive periods with the same prices share a row, largest "
            "value first: a row for periods 0\u20134 gives the value of one more unit arriving "
            "in any one of those periods.</p>"
            f'<table id="prices"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
        )
        left = sum(len(f) * len(t) for _row, f, t in groups[PRICE_ROWS:])
        if left > 0:
            parts.append(
                f'<p class="muted">{_plural(left, "more facility-period")} with a positive '
                "value are in shadow_prices.csv.</p>"
            )
    check = get_path(summary, "prices", "check")
    if isinstance(check, Mapping):
        parts.append(
            '<p class="muted" id="price-check">Checked by '
            f"{number_span(check.get('resolves'), 'int', 'price-resolves')} re-solves in "
            f"{_t(format_value(check.get('seconds'), 'seconds'))} (at most "
            f"{_t(format_value(check.get('max_resolves'), 'int'))} re-solves and "
            f"{_t(format_value(check.get('time_budget_s'), 'seconds'))}; a solver price of 0 "
            "needs no check: it proves one more unit is worth nothing).</p>"
        )
    return "\n".join(parts) + "\n"


def _methods(summary: Mapping) -> str:
    opts = summary.get("options") if isinstance(summary.get("options"), Mapping) else {}
    res = summary.get("resource_label") or "units"
    items = []
    mode = summary.get("mode")
    if mode == "rolling horizon":
        look = opts.get("lookahead")
        proven = summary.get("windows_proven_optimal")
        windows = summary.get("windows")
        text = (
            f"rolling horizon: the plan is made again every period over the next {look} "
            "periods, with the demand of the current period as observed and perfect forecasts "
            "after it; only the first period of each plan is carried out"
        )
        if proven is not None and isinstance(windows, list):
            text += f" ({proven} of {len(windows)} plans proven optimal)"
        items.append(("How the plan is made", text))
    elif mode:
        status = get_path(summary, "solver", "status")
        items.append(
            (
                "How the plan is made",
                "one plan over the whole horizon (every period known in advance)"
                + (f"; solver status: {status}" if status else ""),
            )
        )
    items.append(
        (
            "Model",
            "a multi-period linear programme: units in use, units shipped between facilities "
            "(a shipment serves no one until it arrives), unmet demand at a penalty per unit "
            "and period; whole units for resources counted in units",
        )
    )
    if opts.get("demand_from"):
        items.append(("Demand", f"{opts['demand_from']}, in {res} needed per period"))
    if opts.get("mobile_share") is not None:
        items.append(
            (
                "Units that can move",
                f"{format_value(opts['mobile_share'], 'share')} of each facility's {res} "
                "(rounded down); the rest stay where they are",
            )
        )
    if opts.get("transfer_delay_periods") is not None:
        items.append(
            (
                "Transfers",
                f"between every pair of facilities, arriving {opts['transfer_delay_periods']} "
                f"period(s) after departure, at {format_value(opts['transfer_cost_per_unit'], 'general')} "
                "per unit",
            )
        )
    if opts.get("unmet_penalty") is not None:
        items.append(
            (
                "Unmet penalty",
                f"{format_value(opts['unmet_penalty'], 'general')} per unit and period",
            )
        )
    if opts.get("equity_gamma") is not None:
        items.append(
            (
                "Equity band",
                "the shares of demand left unmet at any two facilities in a period differ by at "
                f"most {format_value(opts['equity_gamma'], 'share')}",
            )
        )
    for key, label in (
        ("buffer_eta", "Safety buffer added to every demand"),
        ("discount", "Discount factor per period"),
        ("smoothing_penalty", "Penalty per unit of change in units in use"),
        ("unmet_cap", "Most unmet demand allowed in a period"),
    ):
        value = opts.get(key)
        if value is not None and not (key == "discount" and value == 1) and value != 0:
            items.append((label, format_value(value, "general")))
    items.append(
        (
            "Without moves",
            f"every facility uses only its own {res} (fixed and mobile) in every period",
        )
    )
    if opts.get("solver"):
        items.append(("Solver", str(opts["solver"]).upper()))
    version = get_path(summary, "run", "version")
    started = get_path(summary, "run", "started_utc")
    if version or started:
        items.append(("Software and run", f"accessplan {version or '?'}, run {started or '?'}"))
    body = "".join(f"<dt>{_t(k)}</dt><dd>{_t(v)}</dd>" for k, v in items)
    return f'<h2>Methods and assumptions</h2>\n<dl class="methods" id="methods">{body}</dl>\n'


def _figures(figures: Mapping | None) -> str:
    if not figures:
        return ""
    problems = ProblemCollector(what="report figures")
    parts = ["<h2>Figures</h2>"]
    for i, (title, fig) in enumerate(figures.items()):
        data = png_bytes(fig, title, problems)
        if data is None:
            continue
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure id="figure-{i}"><img src="{uri}" alt="{_t(title)}">'
            f"<figcaption>{_t(title)}</figcaption></figure>"
        )
    problems.raise_if_any()
    return "\n".join(parts) + "\n"


def _subtitle(summary: Mapping) -> str:
    parts = ["Redeployment report"]
    started = get_path(summary, "run", "started_utc")
    if started:
        parts.append(f"run {str(started).replace('T', ' ').replace('Z', ' UTC')}")
    version = get_path(summary, "run", "version")
    if version:
        parts.append(f"accessplan {version}")
    return " \u00b7 ".join(parts)


# --------------------------------------------------------------------------- public
def redeploy_report_html(
    *,
    summary: Mapping,
    commands: pd.DataFrame | None = None,
    unmet: pd.DataFrame | None = None,
    prices: pd.DataFrame | None = None,
    transfer_map_html: str | None = None,
    figures: Mapping[str, bytes | str | Path] | None = None,
    scenario: Mapping | None = None,
) -> str:
    """The redeployment report as one HTML document.

    Parameters
    ----------
    summary : mapping
        The run's ``summary.json`` (keys may be missing: what is there is shown).
    commands : DataFrame, optional
        :func:`accessplan.maps.redeploy.command_list` of the moves.
    unmet : DataFrame, optional
        ``facility, resource, period, demand, unmet`` and ``unmet_without_moves``.
    prices : DataFrame, optional
        The shadow-price table (:data:`accessplan.capacity.redeploy_prices.PRICE_COLUMNS`).
    transfer_map_html : str, optional
        The offline transfer map (a whole HTML document), embedded in an iframe.
    figures : mapping, optional
        Title -> PNG bytes or a PNG file.
    scenario : mapping, optional
        The resolved scenario, shown as JSON.

    Returns
    -------
    str

    Raises
    ------
    InputValidationError
        A figure cannot be read or is not a PNG.
    """
    name = summary.get("scenario") or "redeployment"
    body = (
        _key_figures(summary)
        + _moves(commands, summary)
        + _unmet(unmet, summary)
        + _prices(prices, summary)
        + _methods(summary)
        + embed_maps({"Transfers": transfer_map_html} if transfer_map_html else None)
        + _figures(figures)
    )
    if scenario is not None:
        text = json.dumps(scenario, indent=2, default=str, ensure_ascii=False)
        body += f'<h2>Scenario used</h2>\n<pre id="scenario">{_t(text)}</pre>\n'
    if transfer_map_html and figures:
        # on paper the interactive map cannot be panned: the static transfer figure stands in
        body = f"<style>{_PRINT_CSS}</style>\n" + body
    return report_page(f"Redeployment: {name}", body, subtitle=_subtitle(summary))


def write_redeploy_report(path, **parts) -> Path:
    """Write :func:`redeploy_report_html` to ``path`` atomically; returns the path."""
    html = redeploy_report_html(**parts)
    path = Path(path)
    with atomic_file(path) as handle:
        handle.write(html)
    return path
