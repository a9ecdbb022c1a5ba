"""Finished runs side by side: ``accessplan compare OUT_A OUT_B [...]``.

:func:`compare_runs` reads finished accessplan plan folders (``locate``,
``size`` with a plan, ``plan``, ``demo``) and lines up

* the headline figures of each run, as written in its ``summary.json``
  (Gini, Theil, zero-access and coverage shares, mean access in its unit,
  budget, cost, verdict, new sites, units, newly covered, cost per person,
  solver status and gap);
* the new sites of every pair of runs: in the first only, in the second
  only, in both;
* the access after each plan per area, and the difference between the first
  two plans (B - A, joined by area id) when their areas share ids;
* the scenario differences that explain the rest: ``scenario.json`` of every
  run flattened to dotted keys (``location.budget``), the keys whose values
  differ (the output folder, the scenario file's path and the ``--set``
  list that produced the values are left out).

:func:`write_compare_outputs` writes them atomically (``compare.html``,
``compare.csv``, ``sites_compare.csv``, ``scenario_diff.csv``,
``access_difference.csv``, ``summary.json``).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.planner.errors import OutputError
from accessplan.planner.facts import run_facts
from accessplan.planner.output import MARKER, atomic_output_dir, read_marker, write_json
from accessplan.planner.runs import Log, quiet

__all__ = [
    "HEADLINE",
    "IGNORED_SCENARIO_KEYS",
    "ComparedRun",
    "Comparison",
    "compare_runs",
    "flatten_scenario",
    "write_compare_outputs",
]

#: Files a finished plan folder holds that the comparison reads.
_REQUIRED = ("summary.json", "scenario.json", "areas_plan.csv", "new_sites.csv")

#: Scenario keys that say where a run was written or how it was typed, not what it planned.
IGNORED_SCENARIO_KEYS = ("output.dir", "scenario_file", "overrides", "compute")

#: Scenario keys that, when not set, take the value of another key.
_FALLBACKS = {"location.catchment_minutes": "access.catchment_minutes"}

#: The headline rows: key, label, display kind and the path in ``summary.json``.
#: ``mean_access_after`` is ``inequity_after.mean`` times ``access.scale``.
HEADLINE: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("objective", "Objective", "text", ("plan", "objective_label")),
    ("catchment_minutes", "Location catchment (minutes)", "general", ("plan", "catchment_minutes")),
    ("budget", "Budget", "money", ("plan", "budget")),
    ("cost", "Cost", "money", ("plan", "cost")),
    ("verdict", "Verdict", "text", ("plan", "verdict")),
    ("new_sites", "New sites", "int", ("plan", "new_sites")),
    ("site_ids", "New site ids", "text", ("location", "new_sites")),
    ("units_added", "Units added", "general", ("plan", "units_added")),
    ("unit_label", "What a unit adds", "text", ("plan", "unit_label")),
    ("newly_covered", "Newly within reach ({demand})", "int", ("plan", "newly_covered")),
    (
        "cost_per_person",
        "Cost per person newly within reach",
        "general",
        ("plan", "cost_per_person_newly_covered"),
    ),
    (
        "coverage_share_before",
        "Share of {demand} within reach, before",
        "share",
        ("location", "totals", "share_before"),
    ),
    (
        "coverage_share",
        "Share of {demand} within reach, after",
        "share",
        ("location", "totals", "share_after"),
    ),
    ("zero_access_share_before", "Zero-access share before", "share", ("inequity", "share_zero")),
    ("zero_access_share", "Zero-access share after", "share", ("inequity_after", "share_zero")),
    ("gini_before", "Gini before", "ratio", ("inequity", "gini")),
    ("gini", "Gini after", "ratio", ("inequity_after", "gini")),
    ("theil", "Theil after", "ratio", ("inequity_after", "theil")),
    ("mean_access_after", "Mean access after", "access", ("inequity_after", "mean")),
    ("access_units", "Unit of access", "text", ("access", "units")),
    ("solver_status", "Solver status", "text", ("location", "solver", "status")),
    ("proven_optimal", "Proven optimal", "text", ("location", "solver", "proven_optimal")),
    ("gap", "Optimality gap", "share", ("location", "solver", "gap")),
)


@dataclass(frozen=True)
class ComparedRun:
    """One finished run folder as read for the comparison.

    Attributes
    ----------
    label : str
        A short unique name (the folder's name, with its parent's when two
        folders share a name).
    path : Path
        The folder, resolved.
    marker : dict
        Its ``.accessplan-run.json`` marker (run id, command, times).
    summary : dict
        Its ``summary.json``.
    scenario : dict
        Its ``scenario.json`` (the scenario as run).
    areas : DataFrame
        ``areas_plan.csv``: one row per area with ``access_before`` and ``access_after``.
    new_sites : DataFrame
        ``new_sites.csv``: the sites the plan opened.
    """

    label: str
    path: Path
    marker: dict
    summary: dict
    scenario: dict
    areas: pd.DataFrame
    new_sites: pd.DataFrame


@dataclass(frozen=True)
class Comparison:
    """Two or more finished plans side by side.

    Attributes
    ----------
    runs : tuple of ComparedRun
        In the order given; the first two are "A" and "B" of the difference map.
    headline : DataFrame
        Index: the keys of :data:`HEADLINE`; columns ``label``, ``kind`` and one
        per run label holding the value of that run's ``summary.json``.
    scenario_diff : DataFrame
        One row per dotted scenario key whose values differ: ``key``, one
        column per run label (values as text) and ``text``
        (``"location.budget: 150 vs 300"``).
    sites : DataFrame
        One row per pair of runs and site opened by either: ``run_a``,
        ``run_b``, ``site_id``, ``where`` (``"<a> only"``, ``"<b> only"``,
        ``"both"``), ``units_a``, ``units_b``, ``cost_a``, ``cost_b``.
    access_difference : DataFrame or None
        By area of the first two runs: ``area_id``, ``population_a``,
        ``population_b``, ``access_after_a``, ``access_after_b``,
        ``difference`` (b - a, raw access as in ``areas_plan.csv``). None
        when their areas do not share ids (see ``notes``).
    notes : tuple of str
        What the reader must know (areas that differ, access measured in
        different units, ...).
    """

    runs: tuple[ComparedRun, ...]
    headline: pd.DataFrame
    scenario_diff: pd.DataFrame
    sites: pd.DataFrame
    access_difference: pd.DataFrame | None
    notes: tuple[str, ...]

    @property
    def labels(self) -> list[str]:
        """The run labels in order."""
        return [run.label for run in self.runs]


# --------------------------------------------------------------------------- reading
def _get(mapping, keys):
    cur = mapping
    for key in keys:
        if not isinstance(cur, Mapping) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _add(problems: ProblemCollector, folder: Path, message: str) -> None:
    """Record a problem of one run folder, named as a folder (not a file)."""
    problems.add(f"folder {folder}: {message}")


def _read_json(path: Path, problems: ProblemCollector, folder: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _add(problems, folder, f"{path.name} cannot be read ({exc})")
        return None
    if not isinstance(data, dict):
        _add(problems, folder, f"{path.name} does not hold a JSON object")
        return None
    return data


def _read_csv(path: Path, problems: ProblemCollector, folder: Path, needed) -> pd.DataFrame | None:
    try:
        frame = pd.read_csv(path, dtype={"area_id": str, "site_id": str}, keep_default_na=True)
    except (OSError, ValueError) as exc:
        _add(problems, folder, f"{path.name} cannot be read ({exc})")
        return None
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        _add(problems, folder, f"{path.name} lacks the column(s) {', '.join(missing)}")
        return None
    return frame


def _read_run(folder: Path, problems: ProblemCollector) -> dict | None:
    """The parts of one folder, or None after recording what is wrong with it."""
    if not folder.exists():
        _add(problems, folder, "does not exist")
        return None
    if not folder.is_dir():
        _add(problems, folder, "is not a folder")
        return None
    marker = read_marker(folder)
    if marker is None:
        _add(problems, folder, f"is not an accessplan output (no readable {MARKER} marker)")
        return None
    if marker.get("complete") is False:
        _add(problems, folder, "holds an unfinished run (its marker says it is not complete)")
        return None
    missing = [name for name in _REQUIRED if not (folder / name).is_file()]
    command = marker.get("command") or "unknown"
    if "summary.json" in missing:
        _add(problems, folder, f"has no summary.json: not a finished run (command {command!r})")
        return None
    summary = _read_json(folder / "summary.json", problems, folder)
    if summary is None:
        return None
    if not isinstance(summary.get("plan"), Mapping):
        _add(
            problems,
            folder,
            f"holds no plan (command {command!r}: an access-only or other run without new "
            "sites); compare the outputs of 'accessplan locate', 'plan' or 'demo'",
        )
        return None
    if missing:
        _add(problems, folder, f"lacks {', '.join(missing)} of a finished plan")
        return None
    scenario = _read_json(folder / "scenario.json", problems, folder)
    areas = _read_csv(
        folder / "areas_plan.csv",
        problems,
        folder,
        ("area_id", "population", "access_before", "access_after"),
    )
    new_sites = _read_csv(folder / "new_sites.csv", problems, folder, ("site_id",))
    if scenario is None or areas is None or new_sites is None:
        return None
    return {
        "path": folder,
        "marker": marker,
        "summary": summary,
        "scenario": scenario,
        "areas": areas,
        "new_sites": new_sites,
    }


def _labels(paths: Sequence[Path]) -> list[str]:
    """Folder names, lengthened by their parents until all are distinct."""
    depth = 1
    while True:
        labels = ["/".join(p.parts[-depth:]) for p in paths]
        if len(set(labels)) == len(labels) or depth >= max(len(p.parts) for p in paths):
            break
        depth += 1
    if len(set(labels)) != len(labels):  # pragma: no cover - distinct resolved paths differ
        labels = [f"{label} ({i + 1})" for i, label in enumerate(labels)]
    return labels


# --------------------------------------------------------------------------- pieces
def _covered_share(areas: pd.DataFrame, column: str):
    """Demand share of the areas flagged in ``column`` (for models whose totals lack it)."""
    if column not in areas.columns:
        return None
    weight = pd.to_numeric(areas.get("need", areas["population"]), errors="coerce").fillna(0.0)
    flags = areas[column].astype(str).str.lower().isin(("true", "1", "1.0"))
    total = float(weight.sum())
    return float(weight[flags.to_numpy()].sum()) / total if total > 0 else None


def _headline_value(run: ComparedRun, key: str, path: tuple[str, ...]):
    summary = run.summary
    value = _get(summary, path)
    if value is None and key in ("coverage_share_before", "coverage_share"):
        when = "before" if key.endswith("before") else "after"
        return _covered_share(run.areas, f"plan_covered_{when}")
    if key == "mean_access_after" and value is not None:
        scale = _get(summary, ("access", "scale"))
        try:
            value = float(value) * (float(scale) if scale is not None else 1.0)
        except (TypeError, ValueError):
            return None
    if key == "site_ids" and isinstance(value, list):
        value = ";".join(str(v) for v in value)
    if key == "proven_optimal" and isinstance(value, bool):
        value = "yes" if value else "no"
    return value


def _headline(runs: Sequence[ComparedRun]) -> pd.DataFrame:
    rows = []
    demand = _get(runs[0].summary, ("demand", "label")) or "people"
    for key, label, kind, path in HEADLINE:
        row = {"key": key, "label": label.format(demand=demand), "kind": kind}
        for run in runs:
            row[run.label] = _headline_value(run, key, path)
        rows.append(row)
    return pd.DataFrame(rows).set_index("key")


def flatten_scenario(scenario: Mapping, prefix: str = "") -> dict[str, Any]:
    """``scenario.json`` as ``{dotted key: value}``; lists and scalars are leaves.

    An empty table is one leaf (``{}``) so that a section present in one run
    and empty in the other still shows.

    Parameters
    ----------
    scenario : mapping
    prefix : str, optional
        Prefix of the keys (used in recursion).

    Returns
    -------
    dict
    """
    out: dict[str, Any] = {}
    for key, value in scenario.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten_scenario(value, prefix=name + "."))
        else:
            out[name] = value
    return out


def _value_text(value) -> str:
    """A scenario value for people: ``150,000,000``, ``1.2``, ``["H03"]``, ``not set``."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if float(value).is_integer() and abs(value) < 1e18:
            return f"{int(value):,}"
        return f"{value:,.6g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _ignored(key: str) -> bool:
    return any(key == k or key.startswith(k + ".") for k in IGNORED_SCENARIO_KEYS)


def _same(a, b) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return not isinstance(b, bool) and float(a) == float(b)
    return a == b


def _scenario_diff(runs: Sequence[ComparedRun]) -> pd.DataFrame:
    flat = [flatten_scenario(run.scenario) for run in runs]
    keys: list[str] = []
    for f in flat:
        keys.extend(k for k in f if k not in keys)
    rows = []
    for key in keys:
        if _ignored(key):
            continue
        values = [f.get(key) for f in flat]
        if all(_same(values[0], v) for v in values[1:]):
            continue
        texts = [_value_text(v) for v in values]
        fallback = _FALLBACKS.get(key)
        if fallback is not None:  # "not set" says what the run used instead
            texts = [
                f"not set ({_value_text(f.get(fallback))} from {fallback})" if v is None else t
                for f, v, t in zip(flat, values, texts, strict=True)
            ]
        row = {"key": key}
        row.update({run.label: text for run, text in zip(runs, texts, strict=True)})
        row["text"] = f"{key}: " + " vs ".join(texts)
        rows.append(row)
    return pd.DataFrame(rows, columns=["key", *[r.label for r in runs], "text"])


def _site_table(run: ComparedRun) -> pd.DataFrame:
    sites = run.new_sites.copy()
    sites["site_id"] = sites["site_id"].astype(str)
    for col in ("units", "cost"):
        if col not in sites.columns:
            sites[col] = float("nan")
    return sites.set_index("site_id")


def _sites(runs: Sequence[ComparedRun]) -> pd.DataFrame:
    rows = []
    for a, b in itertools.combinations(runs, 2):
        sa, sb = _site_table(a), _site_table(b)
        ids = list(sa.index) + [s for s in sb.index if s not in sa.index]
        for site in ids:
            in_a, in_b = site in sa.index, site in sb.index
            where = "both" if in_a and in_b else (f"{a.label} only" if in_a else f"{b.label} only")
            rows.append(
                {
                    "run_a": a.label,
                    "run_b": b.label,
                    "site_id": site,
                    "where": where,
                    "units_a": sa.at[site, "units"] if in_a else None,
                    "units_b": sb.at[site, "units"] if in_b else None,
                    "cost_a": sa.at[site, "cost"] if in_a else None,
                    "cost_b": sb.at[site, "cost"] if in_b else None,
                }
            )
    columns = ["run_a", "run_b", "site_id", "where", "units_a", "units_b", "cost_a", "cost_b"]
    return pd.DataFrame(rows, columns=columns)


def _access_difference(a: ComparedRun, b: ComparedRun, notes: list[str]) -> pd.DataFrame | None:
    ia = a.areas.assign(area_id=a.areas["area_id"].astype(str))
    ib = b.areas.assign(area_id=b.areas["area_id"].astype(str))
    ids_a, ids_b = set(ia["area_id"]), set(ib["area_id"])
    if ids_a != ids_b or ia["area_id"].duplicated().any() or ib["area_id"].duplicated().any():
        only_a, only_b = len(ids_a - ids_b), len(ids_b - ids_a)
        notes.append(
            f"The areas of {a.label} and {b.label} do not share ids ({only_a} only in "
            f"{a.label}, {only_b} only in {b.label}): no difference map of access."
        )
        return None
    joined = ia[["area_id", "population", "access_after"]].merge(
        ib[["area_id", "population", "access_after"]],
        on="area_id",
        suffixes=("_a", "_b"),
        validate="one_to_one",
    )
    return pd.DataFrame(
        {
            "area_id": joined["area_id"],
            "population_a": joined["population_a"].astype(float),
            "population_b": joined["population_b"].astype(float),
            "access_after_a": joined["access_after_a"].astype(float),
            "access_after_b": joined["access_after_b"].astype(float),
            "difference": joined["access_after_b"].astype(float)
            - joined["access_after_a"].astype(float),
        }
    )


def _unit_notes(runs: Sequence[ComparedRun]) -> list[str]:
    notes = []
    for what, path in (
        ("the unit of access", ("access", "units")),
        ("the access method", ("access", "method")),
        ("the demand weight", ("demand", "label")),
    ):
        values = [_get(run.summary, path) for run in runs]
        if len({json.dumps(v, default=str) for v in values}) > 1:
            shown = " vs ".join(f"{run.label}: {v}" for run, v in zip(runs, values, strict=True))
            notes.append(f"The runs differ in {what} ({shown}); compare their access with care.")
    return notes


# --------------------------------------------------------------------------- API
def compare_runs(out_dirs: Sequence[str | Path]) -> Comparison:
    """Read two or more finished plan folders and line them up.

    Parameters
    ----------
    out_dirs : sequence of str or Path
        Output folders of ``accessplan locate``, ``size`` (with a plan),
        ``plan`` or ``demo``, in the order to show; the first two are A and
        B of the difference map.

    Returns
    -------
    Comparison

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Fewer than two folders, a folder given twice, or folders that are
        missing, not accessplan outputs (no marker), unfinished, without a
        plan (an access-only run) or without the files of a plan; every
        problem at once, each naming its folder.
    """
    problems = ProblemCollector(what="runs to compare")
    paths = [Path(p).expanduser().resolve() for p in out_dirs]
    if len(paths) < 2:
        problems.add(f"compare needs at least two run folders, got {len(paths)}")
    seen: set[Path] = set()
    for path in paths:
        if path in seen:
            _add(problems, path, "is given more than once")
        seen.add(path)
    parts = [_read_run(path, problems) for path in dict.fromkeys(paths)]
    problems.raise_if_any()
    runs = tuple(
        ComparedRun(label=label, **part) for label, part in zip(_labels(paths), parts, strict=True)
    )
    notes = _unit_notes(runs)
    difference = _access_difference(runs[0], runs[1], notes)
    return Comparison(
        runs=runs,
        headline=_headline(runs),
        scenario_diff=_scenario_diff(runs),
        sites=_sites(runs),
        access_difference=difference,
        notes=tuple(notes),
    )


def _summary(comparison: Comparison) -> dict[str, Any]:
    labels = comparison.labels
    headline = {
        key: {label: comparison.headline.at[key, label] for label in labels}
        for key in comparison.headline.index
    }
    pairs = []
    for (a, b), group in comparison.sites.groupby(["run_a", "run_b"], sort=False):
        counts = group["where"].value_counts()
        pairs.append(
            {
                "run_a": a,
                "run_b": b,
                "a_only": sorted(group.loc[group["where"] == f"{a} only", "site_id"]),
                "b_only": sorted(group.loc[group["where"] == f"{b} only", "site_id"]),
                "both": sorted(group.loc[group["where"] == "both", "site_id"]),
                "counts": {str(k): int(v) for k, v in counts.items()},
            }
        )
    diff = comparison.access_difference
    difference = None
    if diff is not None:
        d = diff["difference"]
        pop = diff["population_b"]
        weight = float(pop[d.notna()].sum())
        difference = {
            "run_a": labels[0],
            "run_b": labels[1],
            "areas": len(diff),
            "areas_higher_in_b": int((d > 0).sum()),
            "areas_lower_in_b": int((d < 0).sum()),
            "areas_equal": int((d == 0).sum()),
            "min": float(d.min()) if d.notna().any() else None,
            "max": float(d.max()) if d.notna().any() else None,
            "population_weighted_mean": float((d * pop).sum() / weight) if weight > 0 else None,
        }
    return {
        "runs": [
            {
                "label": run.label,
                "path": str(run.path),
                "run_id": run.marker.get("run_id"),
                "command": run.marker.get("command"),
                "finished_utc": run.marker.get("finished_utc"),
                "scenario": run.summary.get("scenario"),
            }
            for run in comparison.runs
        ],
        "headline": headline,
        "scenario_diff": list(comparison.scenario_diff["text"]),
        "sites": pairs,
        "access_difference": difference,
        "notes": list(comparison.notes),
        "run": run_facts("compare"),
    }


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def write_compare_outputs(comparison: Comparison, out_dir: str | Path, *, log: Log = quiet) -> Path:
    """Write the comparison atomically into ``out_dir``.

    Files: ``compare.html`` (one self-contained page: headline side by
    side, scenario differences, sites, the offline difference map of access
    between the first two plans), ``compare.csv`` (the headline),
    ``sites_compare.csv``, ``scenario_diff.csv``, ``access_difference.csv``
    (when the areas share ids) and ``summary.json``.

    Parameters
    ----------
    comparison : Comparison
    out_dir : str or Path
        Must not be, or be inside, one of the compared folders.
    log : callable, optional
        Receives one line per step.

    Returns
    -------
    Path
        The output folder, resolved.

    Raises
    ------
    OutputError
        ``out_dir`` is one of the compared runs (or inside one), or cannot be written.
    """
    from accessplan.maps.compare_report import write_compare_report

    target = Path(out_dir).expanduser().resolve()
    for run in comparison.runs:
        if _inside(target, run.path) or _inside(run.path, target):
            raise OutputError(
                f"output folder {target} would replace the compared run {run.path}; "
                "choose another folder with --out"
            )
    with atomic_output_dir(target, command="compare") as tmp:
        log("compare: tables")
        table = comparison.headline.reset_index()
        table.to_csv(tmp / "compare.csv", index=False)
        comparison.sites.to_csv(tmp / "sites_compare.csv", index=False)
        comparison.scenario_diff.to_csv(tmp / "scenario_diff.csv", index=False)
        if comparison.access_difference is not None:
            comparison.access_difference.to_csv(tmp / "access_difference.csv", index=False)
        summary = _summary(comparison)
        log("compare: difference map and compare.html")
        write_compare_report(tmp / "compare.html", **_report_inputs(comparison, summary))
        write_json(tmp / "summary.json", summary)
    return target


def _report_inputs(comparison: Comparison, summary: Mapping) -> dict[str, Any]:
    """What :func:`accessplan.maps.compare_report.write_compare_report` draws."""
    import geopandas as gpd

    a, b = comparison.runs[0], comparison.runs[1]
    areas = sites_a = sites_b = None
    if comparison.access_difference is not None:
        try:
            geo = gpd.read_file(a.path / "plan.gpkg", layer="areas", engine="pyogrio")
            sites_a = gpd.read_file(a.path / "plan.gpkg", layer="sites_after", engine="pyogrio")
            sites_b = gpd.read_file(b.path / "plan.gpkg", layer="sites_after", engine="pyogrio")
        except (OSError, ValueError, RuntimeError) as exc:  # a layer that cannot be read
            summary["notes"].append(f"No difference map: plan.gpkg cannot be read ({exc}).")
        else:
            diff = comparison.access_difference.set_index("area_id")
            geo = geo.assign(area_id=geo["area_id"].astype(str))
            areas = gpd.GeoDataFrame(
                {
                    "area_id": geo["area_id"].to_numpy(),
                    "population": diff.loc[geo["area_id"], "population_b"].to_numpy(),
                    "access_before": diff.loc[geo["area_id"], "access_after_a"].to_numpy(),
                    "access_after": diff.loc[geo["area_id"], "access_after_b"].to_numpy(),
                },
                geometry=geo.geometry.to_numpy(),
                crs=geo.crs,
            )
    access = a.summary.get("access", {})
    return {
        "labels": comparison.labels,
        "paths": [str(run.path) for run in comparison.runs],
        "headline": comparison.headline,
        "scenario_diff": comparison.scenario_diff,
        "sites": comparison.sites,
        "notes": summary["notes"],
        "difference": summary["access_difference"],
        "areas": areas,
        "sites_a": sites_a,
        "sites_b": sites_b,
        "access_scale": float(access.get("scale", 1.0) or 1.0),
        "access_units": access.get("units"),
        "currency": _get(a.summary, ("plan", "currency")),
        "tiles": _get(a.scenario, ("maps", "tiles")),
    }
