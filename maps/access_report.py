"""One self-contained HTML report of an access-only run (``accessplan access``).

The same page as the plan's report (:mod:`accessplan.maps.report`: inline
style, figures as PNG data URIs, maps in ``<iframe srcdoc>``, every user string
escaped once, every number with a stable ``id`` and its exact ``data-value``),
with the sections that describe access with the existing facilities only:

1. "Access in brief": population-weighted mean access, Gini, people with no
   access and the share within each coverage threshold, in sentences;
2. "Key figures": one value per measure (ids ``mean-access``, ``gini``,
   ``theil``, ``zero-access``, ``zero-share``, ``coverage-<t>-share``);
3. access by district, coverage (and by district), coverage within capacity,
   referral times, other access measures, poverty and concentration, access
   by supply (:mod:`accessplan.maps.report_sections`,
   :mod:`accessplan.maps.report_measures`, which show one state when the
   summary has no "after");
4. figures, maps, methods and assumptions, data quality, the scenario used.

There is no cost, chosen site, solver or "after" column: nothing was planned.
Every number comes from the run's ``summary.json`` (and the district table
written beside it), so the report and the CSV files agree.

The zero-access population is the share with exactly zero access times the
rated population, :math:`s_0 \\cdot P`, as in the plan report and the command
line's headline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.data.files import atomic_file
from accessplan.maps.embed import embed_maps
from accessplan.maps.escaping import html_text
from accessplan.maps.report import (
    figures_section,
    quality_section,
    report_page,
    report_subtitle,
    scenario_section,
)
from accessplan.maps.report_format import as_number, get_path, id_slug, number_cell, number_span
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
    districts_section,
    methods_section,
)

__all__ = ["access_brief_section", "access_key_figures", "write_access_report"]


def _zero_population(summary: Mapping) -> float | None:
    """People with exactly zero access: share_zero x the rated population."""
    share = as_number(get_path(summary, "inequity", "share_zero"))
    people = as_number(get_path(summary, "inequity", "population"))
    return None if share is None or people is None else share * people


def _coverage_rows(summary: Mapping) -> list[tuple[str, float | None, float | None]]:
    """``(threshold text, population, share)`` of each computed coverage threshold."""
    coverage = summary.get("coverage")
    if not isinstance(coverage, Mapping):
        return []
    population = coverage.get("population_before")
    share = coverage.get("share_before")
    if not isinstance(population, Mapping) or not isinstance(share, Mapping):
        return []
    rows = []
    for t in coverage.get("thresholds_minutes") or ():
        key = f"{float(t):g}"
        rows.append((key, as_number(population.get(key)), as_number(share.get(key))))
    return rows


def access_brief_section(summary: Mapping) -> str:
    """ "Access in brief": mean access, Gini, no access and coverage, in sentences.

    Ids: ``brief-mean-access`` (scaled as shown), ``brief-gini``,
    ``brief-zero-access``, ``brief-zero-share``, ``brief-coverage-<t>``.
    """
    scale = access_scale(summary)
    units = get_path(summary, "access", "units")
    sentences = []
    mean = as_number(get_path(summary, "inequity", "mean"))
    facilities = as_number(summary.get("facilities"))
    with_sites = (
        f" with the {number_span(facilities, 'int', 'brief-facilities')} existing facilities"
        if facilities is not None
        else ""
    )
    if mean is not None:
        unit_text = f" {html_text(units)}" if units else ""
        sentences.append(
            f"Population-weighted mean access{with_sites} is "
            f"{number_span(mean * scale, 'access', 'brief-mean-access')}{unit_text}."
        )
    gini = as_number(get_path(summary, "inequity", "gini"))
    if gini is not None:
        sentences.append(
            f"Its Gini index is {number_span(gini, 'ratio', 'brief-gini')} "
            "(0 = everyone has the same access, 1 = one area has it all)."
        )
    zero = _zero_population(summary)
    share = as_number(get_path(summary, "inequity", "share_zero"))
    if zero is not None and share is not None:
        sentences.append(
            f"{number_span(zero, 'int', 'brief-zero-access')} people "
            f"({number_span(share, 'share', 'brief-zero-share')} of the population) have no "
            "access: their area has no facility with capacity within the catchment."
        )
    covered = [
        f"{number_span(s, 'share', f'brief-coverage-{id_slug(t)}')} within {html_text(t)} min"
        for t, _, s in _coverage_rows(summary)
        if s is not None
    ]
    if covered:
        sentences.append(
            "Of the population, "
            + ", ".join(covered[:-1])
            + (" and " if len(covered) > 1 else "")
            + covered[-1]
            + " of the nearest facility."
        )
    body = " ".join(sentences)
    return "<h2>Access in brief</h2>\n" + (f'<p id="brief">{body}</p>\n' if body else "")


def access_key_figures(summary: Mapping) -> str:
    """ "Key figures": one value per measure, from ``summary.json``.

    Ids: ``mean-access`` (scaled as shown), ``gini``, ``theil``,
    ``share-below-half-mean``, ``zero-access``, ``zero-share``,
    ``without-supply-areas``, ``coverage-<t>-population`` and ``coverage-<t>-share``.
    """
    scale = access_scale(summary)
    units = get_path(summary, "access", "units")
    inequity = summary.get("inequity") if isinstance(summary.get("inequity"), Mapping) else {}
    mean = as_number(inequity.get("mean"))
    rows = [
        (
            "mean-access",
            "Mean access, population-weighted" + (f" ({units})" if units else ""),
            None if mean is None else mean * scale,
            "access",
        ),
        ("gini", "Gini index of access (0 = equal)", inequity.get("gini"), "ratio"),
        ("theil", "Theil index of access (0 = equal)", inequity.get("theil"), "ratio"),
        (
            "share-below-half-mean",
            "Share of the population below half the mean access",
            inequity.get("share_below_half_mean"),
            "share",
        ),
        ("zero-access", "Population with zero access", _zero_population(summary), "int"),
        (
            "zero-share",
            "Share of the population with zero access",
            inequity.get("share_zero"),
            "share",
        ),
        (
            "without-supply-areas",
            "Areas with no facility within the catchment",
            get_path(summary, "access", "areas_without_supply"),
            "int",
        ),
    ]
    for t, population, share in _coverage_rows(summary):
        slug = id_slug(t)
        rows.append(
            (
                f"coverage-{slug}-population",
                f"Population within {t} min of a facility",
                population,
                "int",
            )
        )
        rows.append(
            (
                f"coverage-{slug}-share",
                f"Share of the population within {t} min of a facility",
                share,
                "share",
            )
        )
    body = [
        f"<tr><th>{html_text(text)}</th>{number_cell(value, kind, key)}</tr>"
        for key, text, value, kind in rows
        if as_number(value) is not None
    ]
    catch = as_number(get_path(summary, "access", "catchment_minutes"))
    note = (
        f'<p class="muted">Access counts facilities within {catch:g} minutes; coverage '
        "counts the nearest facility within each travel time.</p>\n"
        if catch is not None
        else ""
    )
    return (
        '<h2>Key figures</h2>\n<table id="metrics">'
        "<thead><tr><th>measure</th><th>value</th></tr></thead><tbody>\n"
        + "\n".join(body)
        + "</tbody></table>\n"
        + note
    )


#: scenario sections an access run reads nowhere: (key, words)
_UNUSED = (
    ("candidates", "[candidates]"),
    ("generate_candidates", "[candidates] generate"),
    ("location", "[location]"),
    ("ventilators", "[ventilators]"),
    ("redeploy", "[redeploy]"),
    ("sweep", "[sweep]"),
)


def _unused_note(scenario: Mapping) -> str:
    """A line saying which sections of the scenario file this access run did not use."""
    if not isinstance(scenario, Mapping):
        return ""
    unused = [words for key, words in _UNUSED if scenario.get(key)]
    if not unused:
        return ""
    return (
        '<p class="muted" id="scenario-unused">This run measured access only: the scenario\'s '
        f"{html_text(', '.join(unused))} {'section was' if len(unused) == 1 else 'sections were'} "
        "read but not used (they are listed below as written).</p>\n"
    )


def write_access_report(
    path,
    *,
    summary: Mapping,
    scenario: Mapping,
    maps: Mapping[str, str] | None = None,
    figures: Mapping[str, object] | None = None,
    quality: Sequence[Mapping] | None = None,
    districts: pd.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """Write the self-contained HTML report of an access-only run.

    Parameters
    ----------
    path : str or os.PathLike
        The HTML file to write (atomically: temporary file, then rename).
    summary : mapping
        The run's ``summary.json`` (``inequity``, ``access``, ``coverage``,
        ``supplies``, ``poverty``, ``measures``, ``capacity_coverage``,
        ``referral``, ``demand``, ``run``; each may be missing, and its
        section is then left out).
    scenario : mapping
        The scenario as run (``scenario.json``): methods and "Scenario used".
    maps : mapping of str to str, optional
        Title to a whole offline HTML map page, embedded with ``<iframe srcdoc>``.
    figures : mapping of str to path or bytes, optional
        Title to a PNG, embedded as a data URI.
    quality : sequence of mapping, optional
        The run's data-quality items (``quality.json``); None leaves the section out.
    districts : pandas.DataFrame, optional
        One-state district table (``population``, ``demand``, ``access``,
        ``zero_share``, ``no_score_population``, ``is_total``); None leaves
        the section out.
    title : str, optional
        Report title; default the scenario's name from ``summary["scenario"]``.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If ``summary`` is not a mapping or a figure is not a readable PNG.
    """
    problems = ProblemCollector(what="report inputs")
    if not isinstance(summary, Mapping):
        problems.add("summary must be a mapping")
    problems.raise_if_any()
    figures_html = figures_section(figures or {}, problems)
    problems.raise_if_any()
    name = title if title is not None else summary.get("scenario") or "accessplan access report"
    document = report_page(
        str(name),
        access_brief_section(summary)
        + access_key_figures(summary)
        + districts_section(districts, summary)
        + coverage_section(summary)
        + capacity_coverage_section(summary)
        + referral_section(summary)
        + measures_section(summary)
        + poverty_section(summary, scenario)
        + supplies_section(summary)
        + embed_maps(maps)
        + figures_html
        + methods_section(summary, scenario, plan=False)
        + quality_section(quality)
        + scenario_section(scenario, note=_unused_note(scenario)),
        subtitle=report_subtitle(summary, kind="Access report"),
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as fh:
        fh.write(document)
    return path
