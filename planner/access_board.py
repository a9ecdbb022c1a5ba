"""The board outputs of an access-only run: its map, figures, district table and report.

Everything here reads the run's own output folder only (DESIGN.md: maps and
reports read results): ``summary.json``, ``scenario.json``, ``quality.json``,
the ``areas`` and ``facilities`` layers of ``access.gpkg`` and
``coverage_curve.csv``. So a number in ``report.html`` is the number in
``summary.json`` and the CSV files, and :func:`regenerate_access_report` can
draw the same report again later from a finished folder (``accessplan report``).

Written (beside the access files):

- ``maps/access.html``: access with the existing facilities, further supplies
  and measures as layers (:func:`accessplan.maps.access_map.access_map`);
- ``figures/access_maps.png`` (access, one panel per supply),
  ``figures/coverage_curve.png``, ``figures/lorenz.png``,
  ``figures/access_distribution.png``;
- ``districts.csv`` (with an ``[areas] group``): population, demand, mean
  access, zero-access share and unscored population per district, and a
  total row (:func:`accessplan.spatial.districts.district_table`, one state);
- ``report.html`` (:func:`accessplan.maps.access_report.write_access_report`).

Access is shown multiplied by ``summary["access"]["scale"]`` in the unit
``summary["access"]["units"]``; the files keep the raw values.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from accessplan.planner.headline import read_summary
from accessplan.planner.runs import Log, quiet

__all__ = [
    "BOARD_FILES",
    "is_access_run",
    "measure_layers",
    "regenerate_access_report",
    "write_access_board",
]

#: what :func:`write_access_board` adds to a folder (``report.html`` last: it marks a whole board)
BOARD_FILES = ("maps", "figures", "districts.csv", "report.html")

#: the further measures drawn as layers of the access map: column prefix -> title
_MEASURES = (
    ("bfca", "BFCA"),
    ("availability_per_capita", "Spatial availability per person"),
    ("opportunities_within_", "Supply within {t} min"),
    ("capacity_uncovered", "People not covered by capacity"),
    ("nearest_minutes", "Minutes to the nearest facility"),
)

#: the one-state columns of ``districts.csv``: district_table's "before" columns renamed
_DISTRICT_COLUMNS = {
    "areas": "areas",
    "population": "population",
    "demand": "demand",
    "access_before": "access",
    "zero_share_before": "zero_share",
    "no_score_areas_before": "no_score_areas",
    "no_score_population_before": "no_score_population",
    "is_total": "is_total",
}


def is_access_run(folder: str | Path) -> bool:
    """Whether ``folder`` holds the outputs of an access-only run.

    It has ``access.gpkg`` and ``summary.json`` and none of a plan
    (``plan.gpkg``) or a sizing (``ventilators.csv``).
    """
    folder = Path(folder)
    return (
        (folder / "access.gpkg").is_file()
        and (folder / "summary.json").is_file()
        and not (folder / "plan.gpkg").exists()
        and not (folder / "ventilators.csv").exists()
    )


def _supply_title(column: str) -> str:
    words = column.removeprefix("access_").split("_")
    text = " ".join(w.upper() if w in ("icu", "hdu") else w for w in words)
    return f"{text[:1].upper()}{text[1:]} (access)"


def measure_layers(areas: pd.DataFrame) -> dict[str, str]:
    """The access map's further layers, ``{title: column}``: supplies, then measures.

    Further supplies are the ``access_<supply>`` columns; the measures those
    of ``[access] measures`` and ``capacity_coverage`` the run wrote, and the
    minutes to the nearest facility. A column without any finite value is no
    layer.
    """
    import numpy as np

    layers = {_supply_title(c): c for c in areas.columns if c.startswith("access_")}
    for column in areas.columns:
        if column.startswith("bfca_supply_share"):
            continue
        for prefix, title in _MEASURES:
            if column == prefix or (prefix.endswith("_") and column.startswith(prefix)):
                layers[title.format(t=column.removeprefix(prefix))] = column
                break
    return {
        title: c
        for title, c in layers.items()
        if np.isfinite(pd.to_numeric(areas[c], errors="coerce").to_numpy(float)).any()
    }


def _read_json(path: Path, default):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def _district_table(areas) -> pd.DataFrame | None:
    """One-state district table of the areas (None without a ``group`` column)."""
    from accessplan.spatial.districts import district_table

    if "group" not in areas.columns:
        return None
    access = areas["access"].astype(float)
    table = district_table(
        access,
        access,
        areas["population"].astype(float),
        areas["group"].astype(str),
        demand=areas["need"].astype(float) if "need" in areas.columns else None,
    )
    return table[[c for c in _DISTRICT_COLUMNS if c in table.columns]].rename(
        columns=_DISTRICT_COLUMNS
    )


def write_access_board(
    folder: str | Path, *, target: str | Path | None = None, log: Log = quiet
) -> Path:
    """Draw the map and figures of an access run and write its ``report.html``.

    Parameters
    ----------
    folder : str or Path
        The run's output folder (read): ``summary.json``, ``scenario.json``,
        ``quality.json``, ``access.gpkg``, ``coverage_curve.csv``.
    target : str or Path, optional
        Where the board files go (default ``folder``); must not hold
        :data:`BOARD_FILES` yet.
    log : callable, optional
        Receives one line per step.

    Returns
    -------
    Path
        ``target / "report.html"``.
    """
    import geopandas as gpd

    from accessplan.maps.access_map import access_map
    from accessplan.maps.access_report import write_access_report
    from accessplan.maps.context import map_context
    from accessplan.maps.coverage_figures import coverage_curve_figure, supply_maps_figure
    from accessplan.maps.figures import access_distribution_figure, lorenz_figure
    from accessplan.maps.offline import render_offline_html, save_offline

    folder = Path(folder)
    target = folder if target is None else Path(target)
    summary = read_summary(folder)
    scenario = _read_json(folder / "scenario.json", {})
    quality = _read_json(folder / "quality.json", {}).get("items")
    areas = gpd.read_file(folder / "access.gpkg", layer="areas", engine="pyogrio")
    sites = gpd.read_file(folder / "access.gpkg", layer="facilities", engine="pyogrio")
    areas["area_id"] = areas["area_id"].astype(str)
    sites["site_id"] = sites["site_id"].astype(str)
    access = summary.get("access", {})
    scale = float(access.get("scale", 1.0))
    units = access.get("units")
    label = summary.get("demand", {}).get("label", "population")
    maps_options = scenario.get("maps") or {}
    vector = {}
    if maps_options.get("max_vector_areas") is not None:
        vector["max_vector_areas"] = int(maps_options["max_vector_areas"])
    grouped = "group" in areas.columns
    log("access report: context layers (region outline" + (", districts)" if grouped else ")"))
    context = map_context(areas, group="group" if grouped else None)
    (target / "maps").mkdir()
    (target / "figures").mkdir()
    log("access report: map of access")
    page = render_offline_html(
        access_map(
            areas,
            sites,
            inequity=summary.get("inequity"),
            context=context,
            tiles=maps_options.get("tiles"),
            access_scale=scale,
            access_units=units,
            demand_label=label,
            extra_layers=measure_layers(areas),
            **vector,
        )
    )
    save_offline(page, target / "maps" / "access.html")
    log("access report: figures")
    figures_dir = target / "figures"
    supplies = [c for c in areas.columns if c.startswith("access_")]
    capacity = str(access.get("capacity_label") or "capacity")
    panels = {"access": "access"} if not supplies else {capacity: "access"}
    panels.update({c.removeprefix("access_").replace("_", " "): c for c in supplies})
    figures = {
        ("Access by supply" if supplies else "Access"): supply_maps_figure(
            areas, panels, figures_dir / "access_maps.png", access_scale=scale, **vector
        )
    }
    if (folder / "coverage_curve.csv").is_file():
        figures["Coverage curve"] = coverage_curve_figure(
            pd.read_csv(folder / "coverage_curve.csv", index_col="minutes"),
            figures_dir / "coverage_curve.png",
            thresholds_minutes=summary.get("coverage", {}).get("thresholds_minutes", ()),
        )
    figures["Lorenz curve"] = lorenz_figure(
        areas, figures_dir / "lorenz.png", before="access", after=None
    )
    figures["Distribution of access"] = access_distribution_figure(
        areas,
        figures_dir / "access_distribution.png",
        before="access",
        after=None,
        access_scale=scale,
        access_units=units,
    )
    districts = _district_table(areas)
    if districts is not None:
        districts.to_csv(target / "districts.csv")
    log("access report: report.html")
    return write_access_report(
        target / "report.html",
        summary=summary,
        scenario=scenario,
        maps={"Access with the existing facilities": page},
        figures=figures,
        quality=quality,
        districts=districts,
    )


def regenerate_access_report(folder: str | Path, *, log: Log = quiet) -> Path:
    """Draw the board of a finished access run again, from its own files.

    The files are drawn into a temporary folder inside ``folder`` and moved
    into place at the end, ``report.html`` last; a failure leaves ``folder``
    as it was (the temporary folder is removed).

    Returns
    -------
    Path
        ``folder / "report.html"``.
    """
    folder = Path(folder)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", suffix=".tmp", dir=folder))
    try:
        write_access_board(folder, target=tmp, log=log)
        for name in BOARD_FILES:
            source, dest = tmp / name, folder / name
            if not source.exists():
                continue
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            os.replace(source, dest)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return folder / "report.html"
