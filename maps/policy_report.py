"""One self-contained HTML policy report of a sweep of plans.

A board shown one plan is shown an artefact of one assumption. This page
shows how the plan depends on its assumptions: what was swept, the efficiency
frontier (coverage against budget, the marginal cost per person newly covered,
the knee), every point of the sweep with its solver proof or gap, how often
each candidate site was chosen (the robust ones marked), the robust plan
beside each scenario's own optimum, and the equity–efficiency frontier.

Like the plan report (:mod:`accessplan.maps.report`, whose page and style sheet
are reused) it is one file with nothing fetched: figures are PNG data URIs;
every user string (ids, names, closures, the scenario) is escaped once with
:func:`accessplan.maps.escaping.html_text`; every number carries a stable
``id`` and its exact value in ``data-value`` (e.g. ``id="point-3-coverage_share"``,
``id="frontier-3-marginal_cost_per_person"``, ``id="site-C07-frequency"``,
``id="robust-<scenario>-regret"``, ``id="pareto-2-equity"``), so a program can
read the report back. It is written atomically.
"""

from __future__ import annotations

import base64
import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.embed import embed_maps
from accessplan.maps.escaping import html_text
from accessplan.maps.policy_figures import (
    efficiency_frontier_figure,
    group_label,
    pareto_figure,
    site_frequency_figure,
    varying_dimensions,
)
from accessplan.maps.policy_sections import (
    chosen_point,
    css_class,
    equity_measure,
    ids_text,
    pareto_section,
    policy_methods,
    proof_cell,
    proven_monotone,
    robust_column,
    robust_section,
    split_ids,
    truthy,
)
from accessplan.maps.report import png_bytes, report_page
from accessplan.maps.report_format import (
    format_money,
    get_path,
    id_slug,
    number_cell,
    number_span,
)

__all__ = [
    "FREQUENCY_FIGURE",
    "FRONTIER_FIGURE",
    "PARETO_FIGURE",
    "policy_figures",
    "write_policy_report",
]

FRONTIER_FIGURE = "Efficiency frontier: coverage and zero access against budget"
PARETO_FIGURE = "Equity\u2013efficiency frontier"
FREQUENCY_FIGURE = "How often each candidate site is chosen"


# --------------------------------------------------------------------------
# small pieces
def _marginal_cell(value, note, ident: str) -> str:
    """The marginal cost per person: ``∞`` (data-value ``inf``) when nobody more is covered."""
    v = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.notna(v) and math.isinf(v):
        cell = f'<td class="num" id="{html_text(ident)}" data-value="inf">\u221e'
    else:
        cell = number_cell(value, "money", ident).removesuffix("</td>")
    if isinstance(note, str) and note:
        cell += f'<br><span class="muted">{html_text(note)}</span>'
    return cell + "</td>"


def _currency(summary: Mapping, scenario) -> str | None:
    for path in (("sweep", "currency"), ("plan", "currency"), ("currency",)):
        value = get_path(summary, *path)
        if value:
            return str(value)
    if isinstance(scenario, Mapping):
        for path in (("project", "currency"), ("location", "currency")):
            value = get_path(scenario, *path)
            if value:
                return str(value)
    return None


def _figure(title: str, data: bytes | None, ident: str) -> str:
    if data is None:
        return ""
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    t = html_text(title)
    return (
        f'<figure id="{ident}"><img src="{uri}" alt="{t}"><figcaption>{t}</figcaption></figure>\n'
    )


# --------------------------------------------------------------------------
# sections
def _glance(sweep, frontier, frequency, robust, pareto, currency) -> str:
    n = len(sweep)
    proven = sum(truthy(v) for v in sweep.get("proven_optimal", []))
    items = [
        f"{number_span(n, 'int', 'glance-points')} plans were solved over one set of travel "
        f"times; {number_span(proven, 'int', 'glance-proven')} of them are proven optimal"
        + (
            f', <span class="flag">{number_span(n - proven, "int", "glance-unproven")} '
            f"{'is' if n - proven == 1 else 'are'} not (their gaps are shown)</span>."
            if proven < n
            else "."
        )
    ]
    knees = frontier[frontier["knee"].astype(bool)] if "knee" in frontier.columns else frontier[:0]
    for _, row in knees.iterrows():
        ident = f"glance-knee-{int(row['point'])}"
        budget = format_money(row["budget"], currency, short=True)
        items.append(
            f"{html_text(group_label(row, varying_dimensions(frontier)))}: the frontier bends at a budget of "
            f"{number_span(row['budget'], 'money', ident, text=budget)}"
            f", covering {number_span(row['coverage_share'], 'share')} of the population; "
            "beyond it each extra million buys clearly less coverage."
        )
    robust_sites = frequency[frequency["robust"].astype(bool)] if len(frequency) else frequency
    ids = ", ".join(str(s) for s in robust_sites["site_id"])
    if len(robust_sites):
        items.append(
            f"{number_span(len(robust_sites), 'int', 'glance-robust-sites')} candidate site"
            f"{'s are' if len(robust_sites) != 1 else ' is'} chosen in every point "
            f"(robust): {html_text(ids)}."
        )
    else:
        items.append(
            '<span id="glance-robust-sites" data-value="0.0">No</span> candidate site is chosen '
            "in every point: which sites to build depends on the assumptions."
        )
    if robust is not None and len(robust):
        col = robust_column(robust, "robust")
        if col is not None:
            worst = pd.to_numeric(robust[col], errors="coerce").min()
            items.append(
                "The robust plan covers at least "
                f"{number_span(worst, 'share', 'glance-robust-worst')} of demand in every "
                "scenario."
            )
    if pareto is not None and len(pareto):
        items.append(
            f"The equity\u2013efficiency frontier has {number_span(len(pareto), 'int', 'glance-pareto-points')} points."
        )
    return (
        '<h2>At a glance</h2>\n<ul id="glance">'
        + "".join(f"<li>{item}</li>" for item in items)
        + "</ul>\n"
    )


def _swept(sweep: pd.DataFrame, currency) -> str:
    rows = []
    dims = (
        ("budget", "Budgets", lambda v: format_money(v, currency, short=True)),
        ("catchment_minutes", "Catchment (minutes)", lambda v: f"{float(v):g}"),
        ("growth", "Demand growth factor", lambda v: f"\u00d7{float(v):g}"),
    )
    for column, title, fmt in dims:
        if column not in sweep.columns:
            continue
        values = sorted(pd.to_numeric(sweep[column], errors="coerce").dropna().unique())
        shown = ", ".join(fmt(v) for v in values)
        rows.append(
            f'<tr data-dimension="{column}"><th>{title}</th>'
            f"{number_cell(len(values), 'int', f'swept-{column}-count')}"
            f"<td>{html_text(shown)}</td></tr>"
        )
    if "closed" in sweep.columns:
        sets = list(dict.fromkeys(";".join(sorted(split_ids(v))) for v in sweep["closed"]))
        shown = "; ".join("none" if not s else "{" + s.replace(";", ", ") + "}" for s in sets)
        rows.append(
            '<tr data-dimension="closed"><th>Closures of existing sites</th>'
            f"{number_cell(len(sets), 'int', 'swept-closed-count')}"
            f"<td>{html_text(shown)}</td></tr>"
        )
    return (
        "<h2>What was swept</h2>\n"
        '<p class="muted">A point is one combination of the values below (their cartesian '
        "product); each point is one whole plan.</p>\n"
        '<table id="swept"><thead><tr><th>dimension</th><th>values</th><th>which</th></tr>'
        "</thead><tbody>" + "".join(rows) + "</tbody></table>\n"
        f"<p>{number_span(len(sweep), 'int', 'swept-points')} points in all.</p>\n"
    )


def _frontier(frontier: pd.DataFrame, figure_html: str, currency, label: str) -> str:
    head = (
        "<thead><tr><th>point</th><th>budget</th><th>cost</th><th>coverage</th>"
        "<th>zero access</th><th>" + html_text(label) + " newly within reach</th>"
        "<th>marginal cost per person newly covered"
        + ("" if label == "people" else f" (counting {html_text(label)})")
        + "</th><th>proof</th><th>knee</th></tr></thead>"
    )
    varying = varying_dimensions(frontier)
    parts = []
    for group, part in frontier.groupby("group", sort=True):
        first = part.iloc[0]
        rows = []
        for _, row in part.iterrows():
            p = int(row["point"])
            knee = bool(row.get("knee"))
            dip = bool(row.get("dip"))
            rows.append(
                f'<tr data-point="{p}"{css_class("knee", knee)}>'
                f"<td>{p}</td>"
                f"{number_cell(row['budget'], 'money', f'frontier-{p}-budget')}"
                f"{number_cell(row['cost'], 'money', f'frontier-{p}-cost')}"
                f"{number_cell(row['coverage_share'], 'share', f'frontier-{p}-coverage_share')}"
                f"{number_cell(row['zero_access_share'], 'share', f'frontier-{p}-zero_access_share')}"
                f"{number_cell(row['newly_covered'], 'int', f'frontier-{p}-newly_covered')}"
                + _marginal_cell(
                    row["marginal_cost_per_person"],
                    row.get("marginal_note"),
                    f"frontier-{p}-marginal_cost_per_person",
                )
                + proof_cell(
                    row["proven_optimal"], row.get("gap"), row.get("status"), f"frontier-{p}-gap"
                )
                + f'<td id="frontier-{p}-knee" data-value="{"true" if knee else "false"}">'
                + ('<span class="good">knee</span>' if knee else "")
                + ('<span class="flag">covers less than a cheaper point</span>' if dip else "")
                + "</td></tr>"
            )
        parts.append(
            f'<h3 id="frontier-group-{int(group)}">{html_text(group_label(first, varying))}</h3>\n'
            f'<table class="frontier" data-group="{int(group)}">{head}<tbody>'
            + "\n".join(rows)
            + "</tbody></table>\n"
        )
    money = f" ({html_text(currency)})" if currency else ""
    return (
        "<h2>Efficiency frontier: what each extra budget buys</h2>\n"
        f"{figure_html}"
        '<p class="muted">One table per combination of catchment, growth and closures, in '
        f"increasing budget{money}. Coverage is the share of the population within the "
        "catchment of some site after the plan. The marginal cost per person newly covered is "
        "the extra cost over the previous budget divided by the extra people newly within "
        "reach (the first budget against spending nothing); \u221e means the extra money "
        "covers nobody more. The knee is the point farthest above the straight line from the "
        "cheapest to the dearest point of the scaled curve (Kneedle): beyond it returns fall "
        "off.</p>\n" + "".join(parts)
    )


_POINT_COLUMNS = (
    ("coverage_share_before", "coverage before", "share"),
    ("coverage_share", "coverage after", "share"),
    ("zero_access_share_before", "zero access before", "share"),
    ("zero_access_share", "zero access after", "share"),
    ("gini_before", "Gini before", "ratio"),
    ("gini", "Gini after", "ratio"),
    ("cost", "cost", "money"),
    ("n_sites", "new sites", "int"),
)


def _points(sweep: pd.DataFrame) -> str:
    cols = [c for c in _POINT_COLUMNS if c[0] in sweep.columns]
    # dimensions with one value are said once in "What was swept", not in every row
    varying = varying_dimensions(sweep)
    dims = ["budget"] + [c for c in ("catchment_minutes", "growth") if c in varying]
    closed = "closed" in varying
    kinds = {"budget": "money", "catchment_minutes": "general", "growth": "general"}
    names = {"budget": "budget", "catchment_minutes": "catchment (min)", "growth": "growth"}
    head = (
        "<thead><tr><th>point</th>"
        + "".join(f"<th>{names[c]}</th>" for c in dims)
        + ("<th>closed</th>" if closed else "")
        + "".join(f"<th>{html_text(t)}</th>" for _, t, _ in cols)
        + "<th>sites (units)</th><th>proof</th><th>time</th></tr></thead>"
    )
    rows = []
    for _, row in sweep.sort_values("point").iterrows():
        p = int(row["point"])
        sites = split_ids(row.get("sites"))
        units = split_ids(row.get("units"))
        if len(units) == len(sites):
            shown = ", ".join(f"{s} ({u})" for s, u in zip(sites, units, strict=True))
        else:
            shown = ", ".join(sites)
        rows.append(
            f'<tr data-point="{p}"><td>{p}</td>'
            + "".join(number_cell(row[c], kinds[c], f"point-{p}-{c}") for c in dims)
            + (f'<td id="point-{p}-closed">{ids_text(row.get("closed"))}</td>' if closed else "")
            + "".join(number_cell(row[c], kind, f"point-{p}-{c}") for c, _, kind in cols)
            + f'<td id="point-{p}-sites" style="min-width:14em">'
            + (html_text(shown) if shown else '<span class="muted">none</span>')
            + "</td>"
            + proof_cell(
                row.get("proven_optimal"), row.get("gap"), row.get("status"), f"point-{p}-gap"
            )
            + number_cell(row.get("seconds"), "seconds", f"point-{p}-seconds")
            + "</tr>"
        )
    return (
        "<h2>Every point of the sweep</h2>\n"
        '<p class="muted">Before = existing sites only (less any closed); after = with the '
        "point's new sites. Shares are of the population; the sweep.gpkg layers "
        "<code>point_&lt;n&gt;_sites</code> and <code>point_&lt;n&gt;_areas</code> hold each "
        "point's plan.</p>\n"
        '<div class="wide" style="overflow-x:auto">'
        f'<table id="points" style="font-size:.85em">{head}<tbody>'
        + "\n".join(rows)
        + "</tbody></table></div>\n"
    )


def _frequency(frequency: pd.DataFrame, figure_html: str) -> str:
    has_name = "name" in frequency.columns
    head = (
        "<thead><tr><th>site</th>"
        + ("<th>name</th>" if has_name else "")
        + "<th>chosen in (points)</th><th>of points</th><th>share of points</th><th>robust</th>"
        "</tr></thead>"
    )
    rows = []
    counts = pd.to_numeric(frequency["chosen_in"], errors="coerce").fillna(0)
    never = frequency[counts.to_numpy() <= 0]
    for _, row in frequency[counts.to_numpy() > 0].iterrows():
        sid = html_text(row["site_id"])
        key = id_slug(row["site_id"])
        robust = truthy(row.get("robust"))
        rows.append(
            f'<tr data-site-id="{sid}"{css_class("robust", robust)}><td>{sid}</td>'
            + (f"<td>{html_text(row.get('name'))}</td>" if has_name else "")
            + number_cell(row.get("chosen_in"), "int", f"site-{key}-chosen_in")
            + number_cell(row.get("points"), "int", f"site-{key}-points")
            + number_cell(row.get("frequency"), "share", f"site-{key}-frequency")
            + f'<td id="site-{html_text(key)}-robust" data-value="{"true" if robust else "false"}">'
            + ('<span class="good">robust</span>' if robust else "")
            + "</td></tr>"
        )
    return (
        "<h2>Robustness of sites</h2>\n"
        '<p class="muted">For every candidate, the number of sweep points whose plan chooses '
        "it. A site chosen in every point is marked robust: it belongs in the plan whatever "
        "the budget, catchment, growth and closures swept.</p>\n"
        + figure_html
        + f'<table id="frequency">{head}<tbody>'
        + "\n".join(rows)
        + "</tbody></table>\n"
        + _never_chosen(never)
    )


def _never_chosen(never: pd.DataFrame) -> str:
    """One line for the candidates no point chose (a long table of zeros helps nobody)."""
    if len(never) == 0:
        return ""
    ids = ", ".join(str(s) for s in never["site_id"])
    return (
        f'<p id="frequency-never">Never chosen ({number_span(len(never), "int", "never-count")} '
        f"candidate{'s' if len(never) != 1 else ''}): {html_text(ids)}.</p>\n"
    )


def _subtitle(summary: Mapping) -> str:
    parts = ["Policy sweep report"]
    started = get_path(summary, "run", "started_utc")
    if isinstance(started, str) and started:
        parts.append(f"run {started[:16].replace('T', ' ')} UTC")
    version = get_path(summary, "run", "version")
    if version:
        parts.append(f"accessplan {version}")
    return " \u00b7 ".join(parts)


# --------------------------------------------------------------------------
# public API
def policy_figures(
    folder,
    *,
    frontier: pd.DataFrame,
    frequency,
    areas=None,
    pareto: pd.DataFrame | None = None,
    chosen: int | None = None,
    currency: str | None = None,
    equity: tuple[str, str] = ("equity", "higher"),
    dpi: float = 110,
) -> dict[str, Path]:
    """Draw the standard figures of the policy report into ``folder``.

    Parameters
    ----------
    folder : str or os.PathLike
        Where the PNGs go.
    frontier : pandas.DataFrame
        :func:`accessplan.planner.policy.efficiency_frontier`.
    frequency : pandas.DataFrame or geopandas.GeoDataFrame
        :func:`accessplan.planner.policy.site_frequency`; the map is drawn
        only when it has a geometry.
    areas : geopandas.GeoDataFrame, optional
        Areas under the site-frequency map.
    pareto : pandas.DataFrame, optional
        The equity–efficiency frontier; its figure is drawn when given.
    chosen : int, optional
        The Pareto point picked.
    currency : str, optional
        Budget axis label.
    equity : (str, str)
        Equity axis label and which way is fairer (``"higher"`` or ``"lower"``).
    dpi : float, default 110
        Resolution.

    Returns
    -------
    dict of str to pathlib.Path
        :data:`FRONTIER_FIGURE`, :data:`FREQUENCY_FIGURE` and
        :data:`PARETO_FIGURE` (those drawn) to their PNGs.
    """
    folder = Path(folder)
    out = {
        FRONTIER_FIGURE: efficiency_frontier_figure(
            frontier, folder / "frontier.png", currency=currency, dpi=dpi
        )
    }
    if hasattr(frequency, "geometry") and len(frequency):
        out[FREQUENCY_FIGURE] = site_frequency_figure(
            frequency, folder / "site_frequency.png", areas=areas, dpi=dpi
        )
    if pareto is not None and len(pareto):
        out[PARETO_FIGURE] = pareto_figure(
            pareto,
            folder / "pareto.png",
            chosen=chosen,
            equity_label=equity[0],
            fairer=equity[1],
            dpi=dpi,
        )
    return out


def write_policy_report(
    path,
    *,
    summary: Mapping,
    sweep: pd.DataFrame,
    frontier: pd.DataFrame,
    frequency,
    candidates,
    areas=None,
    robust: pd.DataFrame | None = None,
    pareto: pd.DataFrame | None = None,
    scenario: Mapping | None = None,
    figures: Mapping[str, object] | None = None,
    web_map: bool = True,
    figures_dir=None,
) -> Path:
    """Write one self-contained HTML policy report of a sweep.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file (written atomically: temporary file, then rename).
    summary : mapping
        The sweep's ``summary.json``. Read when present: ``scenario`` (title),
        ``run`` (``started_utc``, ``version``), ``demand.label``, a
        ``currency`` (under ``sweep``, ``plan`` or at the top), ``robust``
        (``objective``, ``sites``), ``pareto`` (``equity``, ``write_point``).
    sweep : pandas.DataFrame
        ``sweep.csv`` (the agreed columns; one row per point).
    frontier : pandas.DataFrame
        :func:`accessplan.planner.policy.efficiency_frontier` of ``sweep``.
    frequency : pandas.DataFrame or geopandas.GeoDataFrame
        :func:`accessplan.planner.policy.site_frequency`.
    candidates : pandas.DataFrame or geopandas.GeoDataFrame
        The candidate sites (``site_id``, optional ``name``, geometry): names
        and positions are taken from here when ``frequency`` lacks them.
    areas : geopandas.GeoDataFrame, optional
        The areas, drawn under the site-frequency map.
    robust : pandas.DataFrame, optional
        The robust plan per scenario (``robust.csv``): ``scenario``, the
        robust plan's coverage share (``robust_coverage_share``), the
        scenario's own optimal share (``own_optimum_share``), ``regret``
        (computed as their difference when absent), and optionally
        ``catchment_minutes``, ``growth``, ``closed``. None leaves the section out.
    pareto : pandas.DataFrame, optional
        ``pareto.csv``: ``point``, ``epsilon``, ``coverage_share``, ``equity``,
        ``status``, ``proven_optimal``, ``gap``, ``cost``, ``sites`` and
        optionally ``chosen``. None leaves the section out.
    scenario : mapping, optional
        The scenario as run; shown whole as JSON at the end;
        ``sweep.pareto.write_point`` names the chosen Pareto point.
    figures : mapping of str to path or bytes, optional
        Title to PNG. None draws :func:`policy_figures`; ``{}`` draws none.
        The titles :data:`FRONTIER_FIGURE`, :data:`FREQUENCY_FIGURE` and
        :data:`PARETO_FIGURE` go into their sections, any other at the end.
    figures_dir : str or os.PathLike, optional
        When the figures are drawn here (``figures=None``), also keep their
        PNGs in this folder (``frontier.png``, ``site_frequency.png``,
        ``pareto.png``); by default they live only inside the page.
    web_map : bool, default True
        Also embed the interactive site-frequency map
        (:func:`accessplan.maps.policy_webmap.site_frequency_map`, offline,
        about 250 kB) when the candidates have positions.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a table lacks its columns or a figure is not a readable PNG.
    """
    problems = ProblemCollector(what="policy report inputs")
    if not isinstance(summary, Mapping):
        problems.add("summary must be a mapping")
    for name, frame, columns in (
        ("sweep", sweep, ("point", "budget", "coverage_share", "proven_optimal", "sites")),
        ("frontier", frontier, ("group", "point", "budget", "coverage_share", "knee")),
        ("frequency", frequency, ("site_id", "chosen_in", "frequency", "robust")),
        ("pareto", pareto, ("point", "coverage_share", "equity", "proven_optimal")),
    ):
        if frame is None and name == "pareto":
            continue
        if not isinstance(frame, pd.DataFrame):
            problems.add(f"{name} must be a DataFrame, got {type(frame).__name__}")
            continue
        for column in columns:
            if column not in frame.columns:
                problems.add("column is missing", source=name, column=column)
    problems.raise_if_any()

    frequency = _with_candidates(frequency, candidates)
    currency = _currency(summary, scenario)
    chosen = chosen_point(pareto, summary, scenario) if pareto is not None else None
    equity = equity_measure(summary, scenario)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".policy-report-", dir=path.parent) as tmp:
        if figures is None:
            figures = policy_figures(
                tmp if figures_dir is None else figures_dir,
                frontier=frontier,
                frequency=frequency,
                areas=areas,
                pareto=pareto,
                chosen=chosen,
                currency=currency,
                equity=equity,
            )
        pngs = {title: png_bytes(fig, title, problems) for title, fig in figures.items()}
    problems.raise_if_any()
    placed = {
        key: _figure(key, pngs.get(key), ident)
        for key, ident in (
            (FRONTIER_FIGURE, "figure-frontier"),
            (FREQUENCY_FIGURE, "figure-frequency"),
            (PARETO_FIGURE, "figure-pareto"),
        )
    }
    others = [
        _figure(title, data, f"figure-{i}")
        for i, (title, data) in enumerate(pngs.items())
        if title not in placed
    ]
    label = str(get_path(summary, "demand", "label") or "people")
    body = (
        _glance(sweep, frontier, frequency, robust, pareto, currency)
        + _swept(sweep, currency)
        + _frontier(frontier, placed[FRONTIER_FIGURE], currency, label)
        + _points(sweep)
        + _frequency(frequency, placed[FREQUENCY_FIGURE])
        + (_frequency_web_map(frequency, areas) if web_map else "")
        + robust_section(robust, summary)
        + pareto_section(pareto, placed[PARETO_FIGURE], chosen, equity)
        + (("<h2>More figures</h2>\n" + "".join(others)) if others else "")
        + policy_methods(frontier, proven_monotone(frontier), robust, pareto)
        + _scenario(scenario)
    )
    title = summary.get("scenario") or "Policy sweep"
    document = report_page(str(title), body, subtitle=_subtitle(summary))
    with atomic_file(path) as fh:
        fh.write(document)
    return path


def _frequency_web_map(frequency, areas) -> str:
    """The interactive site-frequency map as an embedded offline page ("" without positions)."""
    if not hasattr(frequency, "geometry") or len(frequency) == 0 or frequency.crs is None:
        return ""
    from accessplan.maps.offline import render_offline_html
    from accessplan.maps.policy_webmap import site_frequency_map

    title = "How often each candidate site is chosen (interactive)"
    doc = render_offline_html(site_frequency_map(frequency, areas=areas, title=title))
    return embed_maps({title: doc})


def _with_candidates(frequency, candidates):
    """``frequency`` with the candidates' name and geometry when it lacks them."""
    if not isinstance(candidates, pd.DataFrame) or "site_id" not in candidates.columns:
        return frequency
    if hasattr(frequency, "geometry") and ("name" in frequency.columns or "name" not in candidates):
        return frequency
    keep = [c for c in candidates.columns if c not in frequency.columns or c == "site_id"]
    merged = frequency.merge(candidates[keep], on="site_id", how="left")
    if hasattr(candidates, "geometry") and candidates.geometry.name in merged.columns:
        import geopandas as gpd

        merged = gpd.GeoDataFrame(merged, geometry=candidates.geometry.name, crs=candidates.crs)
    return merged


def _scenario(scenario) -> str:
    if scenario is None:
        return ""
    text = json.dumps(scenario, indent=2, sort_keys=False, default=str, ensure_ascii=False)
    return f'<h2>Scenario used</h2>\n<pre id="scenario">{html_text(text)}</pre>\n'
