"""One self-contained HTML report of a plan.

The report is a single file with no external resource: figures are PNG data
URIs, maps are whole offline HTML documents in ``<iframe srcdoc="...">``, the
style sheet is inline and no script, font or style is fetched from anywhere.
Every value that came from the user (ids, names, titles, the scenario) is
escaped once with :func:`accessplan.maps.escaping.html_text`; a map's whole
document is escaped once more as the ``srcdoc`` attribute value, which the
browser decodes once before parsing the map. Each number shown carries its exact value in a
``data-value`` attribute and a stable ``id`` (e.g. ``id="gini-before"``), so the
report can be read back by a program.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.embed import embed_maps
from accessplan.maps.escaping import html_text
from accessplan.maps.figures import (
    access_distribution_figure,
    access_maps_figure,
    lorenz_figure,
)
from accessplan.maps.report_format import (
    as_number,
    format_value,
    get_path,
    id_slug,
    number_cell,
    number_span,
)
from accessplan.maps.report_measures import (
    capacity_coverage_section,
    coverage_section,
    measures_section,
    poverty_section,
    referral_section,
    supplies_section,
)
from accessplan.maps.report_sections import (
    access_scale,
    cost_section,
    demand_label,
    districts_section,
    headline_section,
    methods_section,
    site_only_ids,
)

__all__ = [
    "REPORT_CSS",
    "default_figures",
    "figures_section",
    "png_bytes",
    "quality_section",
    "report_page",
    "report_subtitle",
    "scenario_section",
    "write_report",
]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:2em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}
header.report-header{border-bottom:2px solid #2c7fb8;margin-bottom:1em;padding-bottom:.4em}
header.report-header h1{font-size:1.6em;margin:0 0 .2em 0}
header.report-header p{margin:0}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.6em;
border-bottom:1px solid #ccc;padding-bottom:.2em}h3{font-size:1.05em;margin-top:1.2em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3;text-align:left;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td,tr.total th{font-weight:bold;border-top:2px solid #888}
.bad{color:#b00020;font-weight:bold}.good{color:#1b7f3b;font-weight:bold}
.notice{border-left:4px solid #e6a100;background:#fff8e6;padding:.5em .8em;margin:.8em 0}
.flag{color:#8a4b00;font-weight:bold;white-space:nowrap}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
iframe{width:100%;height:520px;border:1px solid #ccc}
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:.85em}
dl.methods{display:grid;grid-template-columns:max-content 1fr;gap:.3em 1.2em;margin:.5em 0}
dl.methods dt{font-weight:600}dl.methods dd{margin:0}
.muted{color:#666;font-size:.9em}
tr.warning td:nth-child(2){color:#b00020;font-weight:bold}
@page{size:A4;margin:16mm 14mm 18mm 14mm;
@bottom-right{content:"page " counter(page) " of " counter(pages);font-size:8pt;color:#555;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10pt;line-height:1.3}
header.report-header{border-bottom:1.5pt solid #000}
h1,h2,h3,h4,caption,figcaption{break-after:avoid;page-break-after:avoid}
h2+p,h2+.notice,h3+p{break-after:avoid;page-break-after:avoid}
h2{margin-top:1.2em}
table,tr,figure,dl.methods,.notice,.keep{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
table{width:auto;max-width:100%;font-size:9pt}
th{background:#eee !important;-webkit-print-color-adjust:exact;print-color-adjust:exact}
figure img{max-height:115mm;max-width:100%;width:auto;border:none}
figure{text-align:center}figcaption{font-size:9pt;color:#444}
iframe{width:100%;height:112mm;break-inside:avoid;page-break-inside:avoid}
section[id^="map-"]{break-inside:avoid;page-break-inside:avoid}
pre{white-space:pre-wrap;word-break:break-word;overflow:visible;font-size:7.5pt}
a{color:inherit;text-decoration:none}
.no-print{display:none}
}
"""


# --------------------------------------------------------------------------
# formatting (the report's own short names for the shared helpers)
_num = as_number
_fmt = format_value
_cell = number_cell
_slug = id_slug
_get = get_path


# --------------------------------------------------------------------------
# sections
def _comparison_value(comparison: pd.DataFrame, measure: str, column: str):
    if measure in comparison.index and column in comparison.columns:
        return comparison.loc[measure, column]
    return None


def _metrics(comparison: pd.DataFrame, areas, summary: Mapping) -> str:
    def total_population(column: str):
        pop = _comparison_value(comparison, "population", column)
        if pop is None and areas is not None and "population" in areas.columns:
            pop = float(np.nansum(np.asarray(areas["population"], dtype=float)))
        return pop

    label = demand_label(summary)
    scale = access_scale(summary)
    units = _get(summary, "access", "units")
    catch = _num(_get(summary, "access", "catchment_minutes"))
    reach = f"within {catch:g} min of a site" if catch is not None else "within reach of a site"

    def scaled(value):
        v = _num(value)
        return None if v is None else v * scale

    # key, label, before, after, kind, kind of the change
    rows = [
        (
            "mean-access",
            "Mean access, population-weighted" + (f" ({units})" if units else ""),
            scaled(_comparison_value(comparison, "mean", "before")),
            scaled(_comparison_value(comparison, "mean", "after")),
            "access",
            "access",
        ),
        (
            "gini",
            "Gini index of access (0 = equal)",
            _comparison_value(comparison, "gini", "before"),
            _comparison_value(comparison, "gini", "after"),
            "ratio",
            "ratio",
        ),
        (
            "theil",
            "Theil index of access (0 = equal)",
            _comparison_value(comparison, "theil", "before"),
            _comparison_value(comparison, "theil", "after"),
            "ratio",
            "ratio",
        ),
    ]
    zero = {}
    for column in ("before", "after"):
        share = _comparison_value(comparison, "share_zero", column)
        pop = total_population(column)
        zero[column] = None if _num(share) is None or _num(pop) is None else share * pop
    rows.append(
        ("zero-access", "Population with zero access", zero["before"], zero["after"], "int", "int")
    )
    rows.append(
        (
            "zero-share",
            "Share of the population with zero access",
            _comparison_value(comparison, "share_zero", "before"),
            _comparison_value(comparison, "share_zero", "after"),
            "share",
            "pp",
        )
    )
    totals = _get(summary, "location", "totals") or {}
    rows.append(
        (
            "covered",
            f"{label[:1].upper()}{label[1:]} {reach}",
            totals.get("covered_before"),
            totals.get("covered_after"),
            "int",
            "int",
        )
    )
    rows.append(
        (
            "coverage-share",
            f"Share of {label} {reach}",
            totals.get("share_before"),
            totals.get("share_after"),
            "share",
            "pp",
        )
    )

    body = []
    for key, text, b, a, kind, change_kind in rows:
        if _num(b) is None and _num(a) is None:
            continue
        change = None if _num(b) is None or _num(a) is None else _num(a) - _num(b)
        body.append(
            f"<tr><th>{html_text(text)}</th>{_cell(b, kind, f'{key}-before')}"
            f"{_cell(a, kind, f'{key}-after')}"
            f"{_cell(change, change_kind, f'{key}-change', signed=True)}</tr>"
        )
    return (
        '<h2>Key figures</h2>\n<table id="metrics">'
        "<thead><tr><th>measure</th><th>before</th><th>after</th><th>change</th></tr></thead>"
        "<tbody>\n" + "\n".join(body) + "</tbody></table>\n"
        '<p class="muted">Changes of shares are in percentage points (pp).</p>\n'
    )


def _solver(summary: Mapping) -> str:
    solver = _get(summary, "location", "solver")
    if not isinstance(solver, Mapping):
        return '<h2>Solver</h2>\n<p id="solver">No location model was solved.</p>\n'
    proven = bool(solver.get("proven_optimal"))
    proof = (
        '<span class="good" id="solver-proven" data-value="true">proven optimal</span>'
        if proven
        else '<span class="bad" id="solver-proven" data-value="false">NOT proven optimal</span>'
    )

    def span(key, kind):
        v = _num(solver.get(key))
        data = "" if v is None else repr(v)
        return f'<span id="solver-{key}" data-value="{data}">{html_text(_fmt(v, kind))}</span>'

    gap = _num(solver.get("gap"))
    gap_text = "–" if gap is None else f"{100 * gap:.3g}%"
    return (
        '<h2>Solver</h2>\n<p id="solver">'
        f"{html_text(solver.get('solver', '?'))}: status "
        f'<span id="solver-status">{html_text(solver.get("status", "?"))}</span>, {proof}; '
        f"objective {span('objective', 'general')}, best bound {span('best_bound', 'general')}, "
        f'gap <span id="solver-gap" data-value="{"" if gap is None else repr(gap)}">'
        f"{html_text(gap_text)}</span>, time {span('seconds', 'seconds')}.</p>\n"
    )


def _reason(row, label: str) -> str:
    parts = []
    newly, gain = _num(row.get("newly_covered")), _num(row.get("marginal_gain"))
    if newly is not None:
        parts.append(f"brings {newly:,.0f} {label} within reach of a site for the first time")
    if gain is not None:
        parts.append(f"the plan would lose {gain:,.0f} of its objective without it")
    return "; ".join(parts) if parts else "chosen by the optimiser"


def _chosen(new_sites, summary: Mapping) -> str:
    if new_sites is None or len(new_sites) == 0:
        explanation = _get(summary, "plan", "explanation")
        why = ""
        if isinstance(explanation, Mapping) and explanation.get("text"):
            why = " " + html_text(explanation["text"])
        return f'<h2>Chosen sites</h2>\n<p id="chosen">No new site was chosen.{why}</p>\n'
    label = demand_label(summary)
    currency = _get(summary, "plan", "currency")
    unit_label = _get(summary, "plan", "unit_label") or "units"
    site_only = site_only_ids(summary, new_sites)
    has_name = "name" in new_sites.columns
    head = (
        "<thead><tr><th>site</th>"
        + ("<th>name</th>" if has_name else "")
        + f"<th>{html_text(unit_label)}</th>"
        + f"<th>cost{f' ({html_text(currency)})' if currency else ''}</th>"
        + f"<th>{html_text(label)} newly within reach</th><th>marginal gain</th><th>why</th>"
        + "</tr></thead>"
    )
    rows = []
    for _, row in new_sites.iterrows():
        sid = html_text(row.get("site_id", ""))
        key = _slug(row.get("site_id", ""))
        name = f"<td>{html_text(row.get('name'))}</td>" if has_name else ""
        why = html_text(_reason(row, label))
        css = ""
        if str(row.get("site_id", "")) in site_only:
            css = ' class="site-only"'
            why = (
                f'<span class="flag" id="site-{html_text(key)}-site-only">'
                "site only, no capacity</span>: it opens with no "
                f"{html_text(unit_label)}, so it adds no supply until some are bought. " + why
            )
        rows.append(
            f'<tr data-site-id="{sid}"{css}><td>{sid}</td>{name}'
            f"{_cell(row.get('units'), 'int', f'site-{key}-units')}"
            f"{_cell(row.get('cost'), 'money', f'site-{key}-cost')}"
            f"{_cell(row.get('newly_covered'), 'int', f'site-{key}-newly_covered')}"
            f"{_cell(row.get('marginal_gain'), 'int', f'site-{key}-marginal_gain')}"
            f"<td>{why}</td></tr>"
        )
    # a person near two new sites counts in both rows: say so, with the plan's own total
    total = _num(_get(summary, "plan", "newly_covered"))
    summed = _num(pd.to_numeric(new_sites.get("newly_covered"), errors="coerce").sum())
    overlap = ""
    if total is not None and summed is not None and summed > total + 0.5:
        overlap = (
            f'<p class="muted" id="chosen-overlap">The rows overlap: {html_text(label)} newly '
            "within reach of more than one new site count in each of those rows, so the rows add "
            f"up to {html_text(format_value(summed, 'int'))}; the plan brings "
            f"{number_span(total, 'int', 'chosen-newly-total')} {html_text(label)} within reach "
            "in all.</p>\n"
        )
    return (
        '<h2>Chosen sites</h2>\n<table id="chosen">'
        + head
        + "<tbody>\n"
        + "\n".join(rows)
        + "</tbody></table>\n"
        + overlap
    )


def _ventilators(ventilators, summary: Mapping) -> str:
    if ventilators is None or len(ventilators) == 0:
        return ""
    credited = _num(_get(summary, "ventilators", "credited_units"))
    note = ""
    if credited == 0:
        note = (
            '<p class="muted">The plan buys no ventilators: its new sites start with '
            '<span id="vent-credited" data-value="0.0">none</span>.</p>\n'
        )
    elif credited is not None:
        note = (
            '<p class="muted">\u201ccurrent\u201d counts the '
            f'<span id="vent-credited" data-value="{credited!r}">{credited:,.0f}</span> '
            "ventilators the plan buys at its new and expanded sites.</p>\n"
        )
    cols = [
        ("ventilators_needed", "needed", "int"),
        ("current", "current", "int"),
        ("shortfall", "shortfall", "int"),
        ("mean_wait_hours", "mean wait at needed (h)", "hours"),
        ("current_mean_wait_hours", "mean wait now (h)", "hours"),
    ]
    cols = [c for c in cols if c[0] in ventilators.columns]
    head = (
        "<thead><tr><th>site</th><th>new</th>"
        + "".join(f"<th>{html_text(t)}</th>" for _, t, _ in cols)
        + "</tr></thead><tbody>"
    )
    rows = []
    for _, row in ventilators.iterrows():
        sid = html_text(row.get("site_id", ""))
        key = _slug(row.get("site_id", ""))
        new = row.get("new_site")
        new_text = "yes" if (new is not None and not pd.isna(new) and bool(new)) else "no"
        cells = "".join(_cell(row.get(c), kind, f"vent-{key}-{c}") for c, _, kind in cols)
        rows.append(f'<tr data-site-id="{sid}"><td>{sid}</td><td>{new_text}</td>{cells}</tr>')
    return (
        "<h2>Ventilators and waits per site</h2>\n"
        + note
        + '<table id="ventilators">'
        + head
        + "\n"
        + "\n".join(rows)
        + "</tbody></table>\n"
    )


def quality_section(quality) -> str:
    """The data-quality items (``accessplan.planner.quality``): what the data did to the result."""
    if quality is None:
        return ""
    if len(quality) == 0:
        return (
            '<h2>Data quality</h2>\n<p id="quality">The inputs were used as read: no point far '
            "from the network, nothing dropped or imputed, every facility reaches demand.</p>\n"
        )
    head = (
        "<tr><th>check</th><th>severity</th><th>count</th><th>share of population</th>"
        "<th>what it means</th><th>ids (first 10)</th></tr>"
    )
    rows = []
    for item in quality:
        check = html_text(item.get("check", ""))
        ids = list(item.get("ids", []))
        shown = ", ".join(map(str, ids[:10])) + (" ..." if item.get("count", 0) > 10 else "")
        share = item.get("share_population")
        count_id = f"quality-{_slug(item.get('check', ''))}-count"
        severity = html_text(item.get("severity", ""))
        rows.append(
            f'<tr data-check="{check}" class="{severity}">'
            f"<td>{check}</td><td>{severity}</td>"
            f"{_cell(item.get('count'), 'int', count_id)}"
            f"<td>{'' if share is None else html_text(_fmt(share, 'share'))}</td>"
            f"<td>{html_text(item.get('message', ''))}</td><td>{html_text(shown)}</td></tr>"
        )
    return (
        '<h2>Data quality</h2>\n<p class="muted">What the inputs did to the result; the full '
        'list is in quality.json.</p>\n<table id="quality">'
        + head
        + "\n"
        + "\n".join(rows)
        + "</table>\n"
    )


def png_bytes(fig, title: str, problems: ProblemCollector) -> bytes | None:
    """The bytes of a PNG figure (bytes, or a file's path), or None with a problem recorded.

    Shared by every report (plan, redeploy, policy): a file that cannot be
    read or is not a PNG is added to ``problems`` under the figure's title.
    """
    if isinstance(fig, bytes | bytearray):
        data = bytes(fig)
    else:
        try:
            data = Path(fig).read_bytes()
        except OSError as err:
            problems.add(f"cannot read the figure file {fig}: {err}", source=f"figure {title!r}")
            return None
    if not data.startswith(_PNG_MAGIC):
        problems.add("not a PNG image", source=f"figure {title!r}")
        return None
    return data


def figures_section(figures: Mapping[str, object], problems: ProblemCollector) -> str:
    """The "Figures" section: each PNG (path or bytes) as a data URI, ``id="figure-<i>"``.

    A figure that is not a readable PNG is added to ``problems`` and left out.
    """
    if not figures:
        return ""
    parts = ["<h2>Figures</h2>"]
    for i, (title, fig) in enumerate(figures.items()):
        data = png_bytes(fig, title, problems)
        if data is None:
            continue
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        t = html_text(title)
        parts.append(
            f'<figure id="figure-{i}"><img src="{uri}" alt="{t}"><figcaption>{t}</figcaption>'
            "</figure>"
        )
    return "\n".join(parts) + "\n"


def scenario_section(scenario, *, note: str = "") -> str:
    """ "Scenario used": the scenario as run, whole, as escaped JSON (``id="scenario"``).

    ``note`` (markup, already escaped) is placed between the heading and the JSON.
    """
    text = json.dumps(scenario, indent=2, sort_keys=False, default=str, ensure_ascii=False)
    return f'<h2>Scenario used</h2>\n{note}<pre id="scenario">{html_text(text)}</pre>\n'


def report_subtitle(summary: Mapping, *, kind: str = "Access plan report") -> str:
    """``"Access plan report · run 2026-12-02 06:05 UTC · accessplan 0.4"`` (``kind`` first)."""
    started = _get(summary, "run", "started_utc")
    when = None
    if isinstance(started, str) and started:
        try:
            stamp = datetime.fromisoformat(started.replace("Z", "+00:00"))
        except ValueError:
            when = started
        else:
            when = stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [kind]
    parts.append(
        f"run {when}" if when else "written " + datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    )
    version = _get(summary, "run", "version")
    if version:
        parts.append(f"accessplan {version}")
    return " \u00b7 ".join(parts)


# --------------------------------------------------------------------------
# public API
def report_page(title: str, body_html: str, *, subtitle: str | None = None) -> str:
    """A whole self-contained HTML document around a report body.

    The page carries :data:`REPORT_CSS` (screen and A4 print rules) inline and
    a header with the title and an optional subtitle; nothing is fetched.

    Parameters
    ----------
    title : str
        Plain text (escaped here), shown as the page title and the ``<h1>``.
    body_html : str
        Markup placed after the header, as is: every user string in it must
        already be escaped (:func:`accessplan.maps.escaping.html_text`).
    subtitle : str, optional
        Plain text (escaped here) shown under the title, e.g. the run date.

    Returns
    -------
    str
        The document, starting with ``<!DOCTYPE html>``.
    """
    sub = "" if subtitle is None else f'<p class="muted" id="subtitle">{html_text(subtitle)}</p>'
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_text(title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n"
        f'<header class="report-header"><h1>{html_text(title)}</h1>{sub}</header>\n'
        f"{body_html}"
        "</body>\n</html>\n"
    )


def default_figures(areas, sites, folder, *, dpi: float = 110) -> dict[str, Path]:
    """Draw the standard figures of a plan into ``folder``.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas with ``population``, ``access_before`` and ``access_after``.
    sites : geopandas.GeoDataFrame or None
        Sites after the plan with a boolean ``new`` column.
    folder : str or os.PathLike
        Where the PNGs go.
    dpi : float, default 110
        Resolution of the PNGs.

    Returns
    -------
    dict of str to pathlib.Path
        Title to PNG path, in report order.
    """
    folder = Path(folder)
    return {
        "Access before and after the plan (shared classes)": access_maps_figure(
            areas, sites, folder / "access_maps.png", dpi=dpi
        ),
        "Lorenz curves of access": lorenz_figure(areas, folder / "lorenz.png", dpi=dpi),
        "Distribution of access over the population": access_distribution_figure(
            areas, folder / "access_distribution.png", dpi=dpi
        ),
    }


def write_report(
    path,
    *,
    areas,
    sites,
    new_sites,
    comparison: pd.DataFrame,
    summary: Mapping,
    scenario: Mapping,
    ventilators: pd.DataFrame | None = None,
    maps: Mapping[str, str] | None = None,
    figures: Mapping[str, object] | None = None,
    title: str | None = None,
    dpi: float = 110,
    quality: Sequence[Mapping] | None = None,
    districts: pd.DataFrame | None = None,
) -> Path:
    """Write one self-contained HTML report of a plan.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write (atomically: temporary file, then rename).
    areas : geopandas.GeoDataFrame
        Areas with ``population``, ``access_before`` and ``access_after``
        (used for the default figures and as a fallback population total).
    sites : geopandas.GeoDataFrame or None
        Sites after the plan with a boolean ``new`` column (default figures).
    new_sites : pandas.DataFrame or None
        The chosen sites: ``site_id``, ``units``, ``cost``, ``newly_covered``,
        ``marginal_gain`` and optionally ``name``.
    comparison : pandas.DataFrame
        :func:`accessplan.spatial.inequity.compare_inequity` table: index of
        measures (``gini``, ``theil``, ``share_zero``, ``population``, ...),
        columns ``before`` and ``after``.
    summary : mapping
        The run summary (``summary.json``). Read when present, each may be
        missing: ``run`` (version, start, command), ``demand`` (``label``:
        what the demand weight counts, used wherever the report speaks of
        demand), ``access`` (``method_label``, ``catchment_minutes``,
        ``decay_label``, ``units``, ``scale``: access numbers are shown
        multiplied by it), ``travel_times.model_label``, ``plan`` (objective,
        cost, site and unit cost, budget, currency, verdict, new sites, units,
        ``site_only``, ``newly_covered``, cost per person, ``explanation``,
        ``uniqueness``), ``ventilators.credited_units``,
        ``location.solver`` (``solver``, ``status``, ``objective``,
        ``best_bound``, ``gap``, ``seconds``, ``proven_optimal``) and
        ``location.totals`` (``cost``, ``budget``, ``covered_before/after``,
        ``share_before/after``; the fallback for cost and budget).
    scenario : mapping
        The scenario as run (``Scenario.resolved()``); its file names, speeds
        and ventilator inputs feed "Methods and assumptions"; shown whole as
        JSON at the end.
    ventilators : pandas.DataFrame, optional
        :func:`accessplan.capacity` sizing table: ``site_id``, ``new_site``,
        ``ventilators_needed``, ``current``, ``shortfall``, ``mean_wait_hours``,
        ``current_mean_wait_hours``.
    maps : mapping of str to str, optional
        Title to a complete offline HTML document (e.g. a folium map saved
        with inlined assets); each is embedded with ``<iframe srcdoc>``.
    figures : mapping of str to path or bytes, optional
        Title to a PNG (file path or bytes), embedded as data URIs. None (the
        default) draws :func:`default_figures`; pass ``{}`` for none.
    title : str, optional
        Report title; default from ``summary["scenario"]``.
    dpi : float, default 110
        Resolution of the default figures.
    quality : sequence of mapping, optional
        The run's data-quality items (:mod:`accessplan.planner.quality`):
        ``check``, ``severity``, ``count``, ``share_population``, ``message``,
        ``ids``; shown as a "Data quality" table (an empty list says the
        inputs were used as read; None leaves the section out).
    districts : pandas.DataFrame, optional
        :func:`accessplan.spatial.districts.district_table` of the run (one
        row per district and a total row), shown as "Access by district";
        None leaves the section out.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If ``comparison`` lacks ``before``/``after`` columns or a figure is
        not a readable PNG.
    """
    problems = ProblemCollector(what="report inputs")
    if not isinstance(comparison, pd.DataFrame) or not {"before", "after"} <= set(
        comparison.columns
    ):
        problems.add("comparison must be a DataFrame with columns 'before' and 'after'")
    if not isinstance(summary, Mapping):
        problems.add("summary must be a mapping")
    problems.raise_if_any()

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".report-", dir=path.parent) as tmp:
        if figures is None:
            figures = default_figures(areas, sites, tmp, dpi=dpi)
        figures_html = figures_section(figures, problems)
    problems.raise_if_any()

    name = title if title is not None else summary.get("scenario") or "accessplan report"
    document = report_page(
        str(name),
        headline_section(summary, comparison, new_sites)
        + _metrics(comparison, areas, summary)
        + cost_section(summary)
        + supplies_section(summary)
        + poverty_section(summary, scenario)
        + _chosen(new_sites, summary)
        + districts_section(districts, summary)
        + coverage_section(summary)
        + capacity_coverage_section(summary)
        + referral_section(summary)
        + measures_section(summary)
        + _ventilators(ventilators, summary)
        + figures_html
        + embed_maps(maps)
        + methods_section(summary, scenario)
        + quality_section(quality)
        + _solver(summary)
        + scenario_section(scenario),
        subtitle=report_subtitle(summary),
    )
    with atomic_file(path) as fh:
        fh.write(document)
    return path
