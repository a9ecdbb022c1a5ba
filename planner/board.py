"""The board outputs of a plan: maps, figures, QGIS styles, district table, report.

Everything here reads results only (DESIGN.md): the plan's frames and the
``summary`` the writers built, so a number shown on a map, a figure or the
report is the number in ``summary.json`` and the CSV files. Access is shown
multiplied by ``summary["access"]["scale"]`` in the unit
``summary["access"]["units"]`` (e.g. beds per 1,000 people aged 65+); the
files keep the raw values.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from accessplan.planner.plan import PlanRun
from accessplan.planner.runs import Log, quiet
from accessplan.planner.sizing import SizeRun

__all__ = ["write_board"]

#: the plan's own access columns (not further supplies)
_PLAN_COLUMNS = ("access_before", "access_after", "access_change")


#: the further measures drawn as layers of the layered map: column prefix -> title
#: (their values after the plan; ``<t>`` of ``opportunities_within_<t>`` is filled in)
_MEASURE_LAYERS = (
    ("bfca", "BFCA after the plan"),
    ("availability_per_capita", "Spatial availability per person after the plan"),
    ("opportunities_within_", "Supply within {t} min after the plan"),
    ("capacity_uncovered", "People not covered by capacity after the plan"),
    ("nearest_minutes", "Minutes to the nearest facility after the plan"),
)


def _supply_title(column: str) -> str:
    words = column.removeprefix("access_").split("_")
    words = [w.upper() if w in ("icu", "hdu") else w for w in words]
    text = " ".join(words)
    return f"{text[:1].upper()}{text[1:]} (access)"


def measure_layers(areas, folder: Path):
    """The areas with the plan's further measures, and the layered map's ``extra_layers``.

    Further supplies (``access_<supply>``, before the plan) come from the
    areas; the measures after the plan (``<measure>_after``) from the areas
    layer of ``plan.gpkg`` (the writers add them there), joined on
    ``area_id``. Returns ``(areas, {title: column})``.
    """
    import numpy as np
    import pyogrio

    layers = {
        _supply_title(c): c
        for c in areas.columns
        if c.startswith("access_") and c not in _PLAN_COLUMNS
    }
    gpkg = folder / "plan.gpkg"
    saved = pyogrio.read_info(gpkg, layer="areas")["fields"] if gpkg.is_file() else []
    prefixes = tuple(prefix for prefix, _ in _MEASURE_LAYERS)
    wanted = [
        c
        for c in saved
        if c.endswith("_after")
        and c.startswith(prefixes)
        and not c.startswith("bfca_supply_share")
        and c not in areas.columns
    ]
    if wanted:
        extra = pyogrio.read_dataframe(
            gpkg, layer="areas", columns=["area_id", *wanted], read_geometry=False
        )
        areas = areas.join(extra.set_index("area_id"), on="area_id")
    for column in [*wanted, "nearest_minutes_after"]:
        if column not in areas.columns:
            continue
        for prefix, title in _MEASURE_LAYERS:
            if column.startswith(prefix):
                t = column.removeprefix(prefix).removesuffix("_after")
                layers[title.format(t=t)] = column
                break
    # a column without any value (e.g. a supply nobody reaches) is no layer
    return areas, {
        title: c for title, c in layers.items() if np.isfinite(areas[c].to_numpy(float)).any()
    }


class _Steps:
    """Log each step as it starts, numbered (``[3/9] map: change in access``)."""

    def __init__(self, total: int, log: Log) -> None:
        self.total, self.log, self.n = total, log, 0

    def __call__(self, text: str) -> None:
        self.n += 1
        self.log(f"[{self.n}/{self.total}] {text}")


#: largest road layer (GeoJSON bytes) kept on maps whose areas are drawn as an image
_ROAD_BYTES = 150_000


def write_board(run: PlanRun | SizeRun, folder: Path, summary: dict[str, Any], *, log: Log = quiet):
    """Draw the maps and figures, style the GeoPackage and write ``report.html``.

    Parameters
    ----------
    run : PlanRun or SizeRun
    folder : Path
        The (temporary) output folder holding ``plan.gpkg`` already.
    summary : dict
        The run's summary (``access`` labels, ``demand``, ``plan``).
    log : callable, optional
        Receives one line per step (maps and figures take seconds on real regions).
    """
    from accessplan.maps.classes import shared_classes
    from accessplan.maps.context import map_context
    from accessplan.maps.figures import (
        access_change_figure,
        access_distribution_figure,
        access_maps_figure,
        change_limit,
        lorenz_figure,
    )
    from accessplan.maps.offline import render_offline_html, save_offline
    from accessplan.maps.qgis import style_plan_geopackage
    from accessplan.maps.report import write_report
    from accessplan.maps.webmap import before_after_map, change_map, layered_map
    from accessplan.spatial.districts import district_table

    plan = run.base if isinstance(run, SizeRun) else run
    scenario = plan.before.scenario
    areas = plan.areas_frame()
    sites = plan.sites_after_frame()
    new_sites = plan.new_sites_frame()
    access = summary.get("access", {})
    shown = {
        "access_scale": float(access.get("scale", 1.0)),
        "access_units": access.get("units"),
    }
    # areas drawn as shapes on the maps and area figures (more: as an image); default the maps'
    vector = {}
    if scenario.max_vector_areas is not None:
        vector["max_vector_areas"] = scenario.max_vector_areas
    step = _Steps(9, log)
    grouped = "group" in areas.columns
    step(
        "context layers: region outline"
        + (", districts" if grouped else "")
        + (", roads" if plan.graph is not None else "")
    )
    from accessplan.maps.raster_overlay import MAX_VECTOR_AREAS

    # areas drawn as an image: a province's map, so its roads are the main ones only (the
    # budget keeps the road layer near 0.1 MB a page; the report holds three pages)
    limit = MAX_VECTOR_AREAS if scenario.max_vector_areas is None else scenario.max_vector_areas
    as_image = len(areas) > limit
    roads = {"max_edges": 6_000} if as_image else {}
    context = map_context(areas, group="group" if grouped else None, graph=plan.graph, **roads)
    if as_image and context.roads is not None:
        weight = len(context.roads.to_crs(4326).to_json(drop_id=True))
        if weight > _ROAD_BYTES:  # the report holds three pages: keep it under 10 MB
            log(
                f"  roads left off the maps: even the main roads would add {weight / 1e6:.1f} MB "
                "to every page"
            )
            context = dataclasses.replace(context, roads=None)
    (folder / "maps").mkdir()
    (folder / "figures").mkdir()
    maps = {}
    areas_layered, extra_layers = measure_layers(areas, folder)
    for title, name, builder in (
        ("Access before and after (synchronised)", "before_after", before_after_map),
        ("Access before and after (layers)", "layers", layered_map),
        ("Change in access", "change", change_map),
    ):
        step(f"map: {title.lower()}")
        more = {"extra_layers": extra_layers} if builder is layered_map else {}
        built = builder(
            areas_layered if builder is layered_map else areas,
            sites,
            new_sites,
            inequity=plan.comparison,
            context=context,
            tiles=scenario.tiles,
            demand_label=summary.get("demand", {}).get("label", "population"),
            **shown,
            **more,
            **vector,
        )
        # rendered once: the saved page and the report's embedded copy are the same
        page = render_offline_html(built)
        save_offline(page, folder / "maps" / f"{name}.html")
        maps[title] = page
    step("figures: access before and after, change")
    figures = {
        "Access before and after": access_maps_figure(
            areas, sites, folder / "figures" / "access_maps.png", **shown, **vector
        ),
        "Change in access": access_change_figure(
            areas, sites, folder / "figures" / "access_change.png", **shown, **vector
        ),
    }
    curve_path = folder / "coverage_curve.csv"
    if curve_path.is_file():
        import pandas as pd

        from accessplan.maps.coverage_figures import coverage_curve_figure

        thresholds = summary.get("coverage", {}).get("thresholds_minutes", ())
        figures["Coverage before and after"] = coverage_curve_figure(
            pd.read_csv(curve_path, index_col="minutes"),
            folder / "figures" / "coverage_curve.png",
            thresholds_minutes=thresholds,
        )
    supplies = [c for c in areas.columns if c.startswith("access_") and c not in _PLAN_COLUMNS]
    if supplies:
        from accessplan.maps.coverage_figures import supply_maps_figure

        panels = {"main capacity (before)": "access_before"}
        panels.update({c.removeprefix("access_").replace("_", " "): c for c in supplies})
        figures["Access by supply"] = supply_maps_figure(
            areas,
            panels,
            folder / "figures" / "access_by_supply.png",
            access_scale=shown["access_scale"],
            **vector,
        )
    step("figures: Lorenz curves, distribution of access")
    figures["Lorenz curves"] = lorenz_figure(areas, folder / "figures" / "lorenz.png")
    figures["Distribution of access"] = access_distribution_figure(
        areas, folder / "figures" / "access_distribution.png", **shown
    )
    step("QGIS styles in plan.gpkg")
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    style_plan_geopackage(
        folder / "plan.gpkg",
        classes=classes,
        change_limit=change_limit(areas["access_change"]),
        **shown,
    )
    districts = None
    step("district table" if grouped else "district table (no [areas] group: skipped)")
    if grouped:
        districts = district_table(
            areas["access_before"],
            areas["access_after"],
            areas["population"],
            areas["group"],
            demand=areas["need"],
        )
        districts.to_csv(folder / "districts.csv")
    step("report.html")
    write_report(
        folder / "report.html",
        areas=areas,
        sites=sites,
        new_sites=new_sites,
        comparison=plan.comparison,
        summary=summary,
        scenario=scenario.resolved(),
        ventilators=run.sizing.rename_axis("site_id").reset_index()
        if isinstance(run, SizeRun)
        else None,
        maps=maps,
        figures=figures,
        quality=plan.before.quality,
        districts=districts,
    )
