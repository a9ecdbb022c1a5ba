"""The facts of a run that the report, the maps and the command line show.

Each fact is computed once, here, from the run's results, and written into
``summary.json``; every reader (report, headline, maps) takes it from there,
so a number cannot change between the step that made it and the page that
shows it.

* ``run``: software version, UTC start time, command.
* ``demand``: the demand weight's column and its words (``"people aged 65+"``).
* ``access`` labels: method and decay as run, the unit of access and the
  display multiplier (:mod:`accessplan.planner.labels`).
* ``plan``: cost, budget and verdict for every objective; units bought and
  what a unit is; sites opened with no capacity (``site_only``); demand newly
  within the location catchment of a new site and of no existing one, and the
  cost per person of it; why an empty plan is empty; whether the optimum is
  unique (a solver stopped by its time limit says so, with its gap, here too).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

import numpy as np
import pandas as pd

from accessplan.location.result import budget_verdict
from accessplan.planner import labels
from accessplan.planner.scenario import Scenario, decay_spec_json

__all__ = [
    "access_facts",
    "coverage_facts",
    "demand_facts",
    "newly_covered",
    "plan_facts",
    "poverty_facts",
    "run_facts",
    "thresholds_for",
    "units_are_ventilators",
]


def run_facts(command: str | None = None) -> dict[str, Any]:
    """Software version, UTC time of writing and the command (when known)."""
    try:
        version = metadata.version("accessplan")
    except metadata.PackageNotFoundError:  # pragma: no cover - always installed in use
        version = "unknown"
    return {
        "version": version,
        "started_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
    }


def demand_facts(scenario: Scenario) -> dict[str, Any]:
    """The demand weight's column (None: the population) and its words."""
    column = scenario.areas.columns.get("need") if scenario.areas is not None else None
    return {"column": column, "label": labels.demand_label(scenario)}


def access_facts(scenario: Scenario, *, mean_access: float, network_report=None) -> dict:
    """Labels of the access step: method, decay, unit and display multiplier.

    Parameters
    ----------
    scenario : Scenario
    mean_access : float
        Demand-weighted mean access before the plan (picks the multiplier).
    network_report : NetworkReport, optional

    Returns
    -------
    dict
        ``method_label``, ``decay`` (the decay actually used), ``decay_from``,
        ``decay_label``, ``units``, ``scale`` and ``travel_label``.
    """
    decay = decay_spec_json(scenario.effective_decay())
    per = labels.access_per(scenario, mean_access)
    return {
        "method_label": labels.method_label(scenario.access_method, decay),
        "decay": decay,
        "decay_from": "scenario" if scenario.decay is not None else "method default",
        "decay_label": labels.decay_label(decay),
        "units": labels.units_label(scenario, per),
        "scale": per,
        "capacity_label": labels.capacity_label(scenario),
        "travel_label": labels.travel_label(scenario, network_report),
    }


def units_are_ventilators(scenario: Scenario) -> bool:
    """Whether the units a plan buys are ventilators.

    True when the supply column is the ventilator column, or the supply is
    labelled as ventilators (``[facilities] capacity_label``, else the
    capacity column's name).
    """
    cols = scenario.facilities.columns
    if cols.get("ventilators") is not None and cols.get("ventilators") == cols.get("capacity"):
        return True
    return labels.capacity_label(scenario).strip().lower().startswith("ventilator")


def newly_covered(
    od: pd.DataFrame,
    need: pd.Series,
    *,
    existing_ids,
    new_ids,
    catchment_minutes: float,
) -> pd.Series:
    """Demand newly within the catchment: of a new site and of no existing site.

    Parameters
    ----------
    od : DataFrame
        ``origin_id, site_id, minutes``.
    need : Series
        Demand weight by area id.
    existing_ids, new_ids : iterable
        Site ids before the plan and the plan's new sites.
    catchment_minutes : float

    Returns
    -------
    pandas.Series of bool
        By area id: within the catchment of a new site and of no existing one.
    """
    near = od[od["minutes"] <= catchment_minutes]
    # unique ids looked up by hash, not Python sets of every pair's id nor Index.isin (which
    # makes a Python object of each value looked for when the ids are Arrow-backed text)
    before = pd.Index(near.loc[near["site_id"].isin(set(existing_ids)), "origin_id"].unique())
    after = pd.Index(near.loc[near["site_id"].isin(set(new_ids)), "origin_id"].unique())
    index = need.index
    covered = (after.get_indexer(index) >= 0) & (before.get_indexer(index) < 0)
    return pd.Series(covered & (need.to_numpy(dtype=float) > 0), index=index)


def _as_dict(value) -> dict | None:
    if value is None:
        return None
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    return dict(value)


def plan_facts(run) -> dict[str, Any]:
    """The ``plan`` block of ``summary.json`` for a :class:`~accessplan.planner.plan.PlanRun`.

    Parameters
    ----------
    run : PlanRun

    Returns
    -------
    dict
        See the module docstring.
    """
    scenario = run.before.scenario
    spec = scenario.location
    result = run.location
    totals = result.totals
    chosen = run.new_sites_frame()
    catchment = spec.catchment_minutes or scenario.catchment_minutes
    need = run.before.inputs.areas.set_index("area_id")["need"]
    existing_ids = list(run.before.inputs.facilities["site_id"])
    new_ids = [s for s in chosen["site_id"] if s not in set(existing_ids)]
    covered = newly_covered(
        run.travel_all.od,
        need,
        existing_ids=existing_ids,
        new_ids=new_ids,
        catchment_minutes=catchment,
    )
    gained = float(need[covered].sum())
    units = chosen["units"] if "units" in chosen.columns else chosen.get("min_units")
    units = np.zeros(len(chosen)) if units is None else np.asarray(units, dtype=float)
    if "cost" in totals:
        cost = float(totals["cost"])
    else:
        cost = float(chosen["cost"].sum()) if "cost" in chosen.columns else 0.0
    budget = totals.get("budget", spec.budget)
    committed = float(totals.get("committed_cost", 0.0) or 0.0)
    site_only = totals.get("site_only")
    if site_only is None:
        site_only = list(chosen.loc[units == 0, "site_id"])
    demand = labels.demand_label(scenario)
    explanation = _as_dict(getattr(result, "explanation", None))
    return {
        "objective": spec.objective,
        "objective_label": labels.objective_label(spec.objective, demand=demand, minutes=catchment),
        "model": result.model,
        "catchment_minutes": catchment,
        "cost": cost,
        "site_cost": float(totals.get("site_cost", np.nan)),
        "unit_cost": float(totals.get("unit_cost", np.nan)),
        "committed_cost": committed,
        "budget": None if budget is None else float(budget),
        "currency": scenario.currency,
        "verdict": totals.get("verdict") or budget_verdict(cost + committed, budget),
        "new_sites": len(chosen),
        "units_added": float(units.sum()),
        "capacity_added": float(units.sum() * spec.capacity_per_unit),
        "unit_label": labels.capacity_label(scenario),
        "site_only": [str(s) for s in site_only],
        "newly_covered": gained,
        "newly_covered_areas": int(covered.sum()),
        "cost_per_person_newly_covered": cost / gained if gained > 0 else None,
        "explanation": explanation if len(chosen) == 0 else None,
        "uniqueness": _with_time_limit(
            _as_dict(getattr(result, "uniqueness", None))
            or {"unique": None, "text": "not checked"},
            getattr(result, "report", None),
        ),
    }


def _with_time_limit(uniqueness: dict, report) -> dict:
    """The uniqueness record, its text opening with "Time limit reached" when the solver was
    stopped by its time limit (the plan is then the best found, with its gap to the bound)."""
    if report is None or not getattr(report, "time_limit_reached", False):
        return uniqueness
    gap = report.gap
    proof = (
        f"gap {gap:.2%} to the best bound {report.best_bound:,.6g}"
        if gap is not None and report.best_bound is not None
        else "no bound known"
    )
    text = (
        f"Time limit reached: the solver stopped after {report.seconds:.1f} s (limit "
        f"{report.time_limit_s:g} s) with the best plan found, NOT proven optimal ({proof}); "
        "a longer [location] time_limit_s, a smaller gap_rel target or a smaller model "
        "(coarser areas, fewer candidates) can close it."
    )
    old = uniqueness.get("text")
    if old and old != "not checked":
        text = f"{text} {old}"
    return {**uniqueness, "text": text}


def _rated_frame(areas: pd.DataFrame, columns) -> pd.DataFrame:
    """The areas every given access column rates (NaN = not rated: left out)."""
    keep = np.ones(len(areas), dtype=bool)
    for column in columns:
        keep &= areas[column].notna().to_numpy()
    return areas.loc[keep]


def _ordering(scenario: Scenario, areas: pd.DataFrame):
    if "ordering" not in areas.columns:
        return None
    column = scenario.areas.columns.get("ordering", "ordering")
    return areas["ordering"].rename(column).reset_index(drop=True)


def poverty_facts(scenario: Scenario, areas: pd.DataFrame) -> pd.DataFrame:
    """Palma, concentration index (with ``ordering``) and FGT (with a poverty line).

    Parameters
    ----------
    scenario : Scenario
        ``[inequity] poverty_line`` and ``ordering`` (an ``[areas]`` column).
    areas : DataFrame
        An areas frame with ``population`` and either ``access`` (one state)
        or ``access_before`` and ``access_after`` (a plan).

    Returns
    -------
    DataFrame
        Indexed by measure: ``value`` (one state) or ``before``, ``after``,
        ``change`` (:func:`accessplan.spatial.poverty.compare_poverty`), over the
        areas the inequity measures rate.
    """
    from accessplan.spatial.poverty import compare_poverty, poverty_summary

    source = scenario.areas.label if scenario.areas is not None else None
    options = {
        "poverty_line": scenario.poverty_line,
        "source": source,
        "ordering_is_deprivation": scenario.ordering_is_deprivation,
    }
    if "access_before" in areas.columns:
        rated = _rated_frame(areas, ("access_before", "access_after"))
        return compare_poverty(
            rated["access_before"].reset_index(drop=True),
            rated["access_after"].reset_index(drop=True),
            rated["population"].reset_index(drop=True),
            ordering=_ordering(scenario, rated),
            **options,
        )
    rated = _rated_frame(areas, ("access",))
    values = poverty_summary(
        rated["access"].reset_index(drop=True),
        rated["population"].reset_index(drop=True),
        ordering=_ordering(scenario, rated),
        **options,
    )
    return pd.DataFrame({"value": values}).rename_axis("measure")


def thresholds_for(scenario: Scenario, bound_minutes: float) -> tuple:
    """The coverage thresholds of a run: ``[access] thresholds_minutes``, else the
    default ones (15, 30, 60, 120) up to the travel-time bound (else the bound)."""
    from accessplan.planner.scenario import DEFAULT_THRESHOLDS

    if scenario.thresholds_minutes:
        return tuple(scenario.thresholds_minutes)
    return tuple(t for t in DEFAULT_THRESHOLDS if t <= bound_minutes) or (float(bound_minutes),)


def _nearest_table(nearest: pd.Series, area_ids: pd.Index):
    """A coded table with one pair per area that reaches a facility: the nearest one."""
    from accessplan.spatial.od_codes import CodedOD

    minutes = nearest.reindex(area_ids).to_numpy(dtype=float)
    reached = np.flatnonzero(np.isfinite(minutes))
    return CodedOD.from_positions(
        reached,
        np.zeros(len(reached), dtype=np.int32),
        minutes[reached],
        origin_ids=area_ids,
        site_ids=pd.Index(["nearest facility"]),
    )


def coverage_facts(
    scenario: Scenario,
    od: pd.DataFrame,
    population: pd.Series,
    *,
    bound_minutes: float,
    before_ids,
    after_ids=None,
    groups: pd.Series | None = None,
    nearest: Mapping[str, pd.Series] | None = None,
) -> dict[str, Any]:
    """Coverage indicators (population within thresholds of the nearest facility), per zone too.

    Parameters
    ----------
    scenario : Scenario
        ``[access] thresholds_minutes``; without it the default thresholds
        (15, 30, 60, 120) up to ``bound_minutes`` (larger ones are listed as
        not computed: the travel times stop at the bound).
    od : DataFrame
        Travel times up to ``bound_minutes`` (existing and, for a plan, candidate sites).
    population : Series
        People by area id.
    bound_minutes : float
        How far the travel times reach.
    before_ids, after_ids : iterable
        The facilities before (and after) the plan.
    groups : Series, optional
        District of each area (the ``group`` column): zonal statistics.
    nearest : mapping, optional
        ``"before"`` (and ``"after"``) -> minutes to the nearest facility by
        area id, already found (on a Dask cluster): every indicator depends
        on the OD table only through them, so they replace it.

    Returns
    -------
    dict
        ``table`` (DataFrame by threshold: population and share within, before
        and after), ``zonal`` (DataFrame or None), ``summary`` (JSON-ready) and
        ``curve`` (DataFrame: the cumulative coverage curve in 1-minute steps).
    """
    from accessplan.planner.scenario import DEFAULT_THRESHOLDS
    from accessplan.spatial.coverage_indicators import (
        coverage_curve,
        population_within,
        zonal_coverage,
    )

    given = scenario.thresholds_minutes
    thresholds = thresholds_for(scenario, bound_minutes)
    beyond = [] if given else [t for t in DEFAULT_THRESHOLDS if t > bound_minutes]
    states = {"before": list(before_ids)}
    if after_ids is not None:
        states["after"] = list(after_ids)
    from accessplan.spatial.od_codes import CodedOD

    # checked and coded once; every indicator below reads the coded table
    coded = None if nearest is not None else CodedOD.from_frame(od, origin_ids=population.index)
    columns, zonal, curve = {}, {}, {}
    for state, ids in states.items():
        od = coded
        if nearest is not None:  # one pair per reached area: its nearest facility
            od, ids = _nearest_table(nearest[state], population.index), None
        within = population_within(od, population, thresholds_minutes=thresholds, site_ids=ids)
        columns[f"population_{state}"] = within["population_within"]
        columns[f"share_{state}"] = within["share_within"]
        curve[f"share_{state}"] = coverage_curve(
            od, population, max_minutes=bound_minutes, site_ids=ids
        )["share_within"]
        if groups is not None:
            zonal[state] = zonal_coverage(
                od, population, groups, thresholds_minutes=thresholds, site_ids=ids
            )
    table = pd.DataFrame(columns).rename_axis("threshold_minutes")
    zonal_table = None
    if zonal:
        zonal_table = pd.concat(zonal, names=["state"]) if len(zonal) > 1 else zonal["before"]
    summary = {
        "thresholds_minutes": [float(t) for t in thresholds],
        "not_computed_minutes": beyond,
        "bound_minutes": float(bound_minutes),
        "population_total": float(population.sum()),
        **{
            column: {f"{t:g}": float(v) for t, v in table[column].items()}
            for column in table.columns
        },
    }
    if zonal_table is not None:
        summary["zones"] = zonal_table.reset_index().to_dict(orient="records")
    return {
        "table": table,
        "zonal": zonal_table,
        "summary": summary,
        "curve": pd.DataFrame(curve).rename_axis("minutes"),
    }
