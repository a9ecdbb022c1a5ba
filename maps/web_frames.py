"""The frames behind the web maps: areas and sites in the shape the pages need.

Used by :mod:`accessplan.maps.webmap`: :func:`area_frame` (ids as text, ranks),
:func:`area_data` (the page's one compact GeoJSON of areas),
:func:`extra_layer_specs` (the classes and legend of each further measure
layer) and :func:`site_frame` (hospitals and new sites in WGS84 with their
tooltip facts).
"""

from __future__ import annotations

from dataclasses import dataclass

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from accessplan.data.errors import ProblemCollector
from accessplan.maps.class_labels import format_number
from accessplan.maps.classes import AccessClasses, shared_classes
from accessplan.maps.escaping import html_text
from accessplan.maps.raster_overlay import (
    MAX_VECTOR_BYTES,
    PAGE_IMAGE_BYTES,
    WebImages,
    check_max_vector_areas,
    pixel_text,
    use_raster,
    web_images,
)
from accessplan.maps.web_layers import (
    HATCH_FILL,
    AreaData,
    SiteLabels,
    SiteMarkers,
    display_geometry,
    geojson_text,
    legend_entries,
    sig,
)

__all__ = [
    "EXISTING_SITE",
    "LOWER_IS_BETTER",
    "MAX_FOLIUM_SITES",
    "MAX_HOSPITAL_LABELS",
    "NEW_SITE",
    "ExtraLayer",
    "add_site_labels",
    "add_sites",
    "area_data",
    "area_frame",
    "area_images",
    "check_areas",
    "check_sites",
    "district_hover_texts",
    "district_summaries",
    "drawn_areas",
    "extra_layer_specs",
    "image_note",
    "legend_note",
    "max_capacity",
    "site_frame",
    "site_tooltip",
]

EXISTING_SITE = "#3f3f3f"
NEW_SITE = "#ff7f00"
#: with more hospitals than this, their name labels start switched off ("auto")
MAX_HOSPITAL_LABELS = 30
#: with more sites than this, the markers are one compact array (SiteMarkers)
MAX_FOLIUM_SITES = 300

#: steps of the change ramp in a change map drawn as an image (odd: 0 is a step)
CHANGE_STEPS = 201

#: column prefixes of per-area values where LESS is better (minutes to the nearest
#: facility, people left uncovered by capacity): their layers use the reversed
#: ramp, so dark still means "better" on every layer of a page, and a zero is
#: an ordinary (darkest) class, not the hatched "no access" class
LOWER_IS_BETTER = ("nearest_minutes", "capacity_uncovered")


@dataclass(frozen=True)
class ExtraLayer:
    """One further measure layer of a layered map.

    Attributes
    ----------
    title : str
        Layer name in the layer control (as given).
    column : str
        Column of the areas drawn.
    key, value_key : str
        Properties of the page's GeoJSON holding the class index and the value.
    classes : AccessClasses
        ``shared_classes(values, values)`` of the column.
    colors, labels : tuple of str
        Legend swatches (colour or the hatch fill) and labels, one per class,
        plus the grey "no value" entry when some area has none.
    lower_is_better : bool
        Whether the ramp is reversed (see :data:`LOWER_IS_BETTER`).
    scale : float
        Display multiplier of the values (``access_scale`` for ``access_*``
        columns, which are access in the map's units; else 1).
    caption : str
        Legend title (the layer title and what dark means).
    """

    title: str
    column: str
    key: str
    value_key: str
    classes: AccessClasses
    colors: tuple
    labels: tuple
    lower_is_better: bool
    caption: str
    scale: float = 1.0


def _ramp(k: int) -> list:
    """``k`` YlGnBu colours, light to dark (the stops of the access classes)."""
    ramp = branca.colormap.linear.YlGnBu_09
    stops = np.linspace(ramp.vmin + 0.08 * (ramp.vmax - ramp.vmin), ramp.vmax, k)
    return [ramp(s)[:7] for s in stops]


def extra_layer_specs(
    areas, extra_layers, *, reserved=(), scheme="quantiles", k=5, access_scale=1.0
) -> list:
    """Classes and legends of the further layers ``title -> column`` of a layered map.

    Each column is classified on its own values with the access maps' rule,
    ``shared_classes(values, values, scheme=scheme, k=k)`` (a separate class
    for exact zeros when there are zeros and no negatives). Higher-is-better
    columns keep the access palette: YlGnBu light = low, dark = high, the
    zero class hatched "0 (no access)". Lower-is-better columns
    (:data:`LOWER_IS_BETTER`: ``nearest_minutes_*``, ``capacity_uncovered_*``)
    get the reversed ramp (dark = low = better, e.g. near a facility) and a
    plain darkest "0" class; their legend title says "dark = fewer" /
    "dark = nearer".

    Parameters
    ----------
    areas : pandas.DataFrame
        The map's areas.
    extra_layers : Mapping[str, str] or None
        Layer title -> numeric column of ``areas``.
    reserved : sequence of str
        Layer titles already used by the page ("Access before", ...).
    scheme, k :
        Passed to :func:`accessplan.maps.classes.shared_classes`.
    access_scale : float, default 1.0
        Display multiplier of ``access_*`` columns (further supplies: access
        in the same units as the map's access); other columns are shown as
        they are.

    Returns
    -------
    list of ExtraLayer
        In the order given.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing or non-numeric column, column without a finite
        value, and title that is empty or already used.
    """
    if not extra_layers:
        return []
    problems = ProblemCollector(what="extra map layers")
    seen = set(reserved)
    for title, column in extra_layers.items():
        if not isinstance(title, str) or not title.strip():
            problems.add(f"layer title must be a non-empty string, got {title!r}")
        elif title in seen:
            problems.add(f"layer title {title!r} is used twice on the page")
        seen.add(title)
        if column not in areas.columns:
            problems.add("column is missing", source="areas", column=str(column))
            continue
        values = pd.to_numeric(areas[column], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(areas[column].notna().to_numpy() & np.isnan(values))
        if bad.size:
            problems.add("is not numeric", source="areas", column=column, rows=bad + 1)
        elif not np.isfinite(values).any():
            problems.add("has no finite value to map", source="areas", column=column)
    problems.raise_if_any()
    out = []
    for j, (title, column) in enumerate(extra_layers.items()):
        values = pd.to_numeric(areas[column]).to_numpy(dtype=float)
        classes = shared_classes(values, values, scheme=scheme, k=k)
        scale = float(access_scale) if column.startswith("access_") else 1.0
        colors, labels = legend_entries(classes, scale=scale, no_data=bool(np.isnan(values).any()))
        lower = column.startswith(LOWER_IS_BETTER)
        if lower:
            colors[: classes.k] = _ramp(classes.k)[::-1]
            if classes.zero_class:
                labels[0] = "0"
            caption = f"{title} (dark = " + ("nearer)" if "minutes" in column else "fewer)")
        else:
            caption = f"{title} (dark = more)"
        labels = [lab.replace("no score", "no value") for lab in labels]
        out.append(
            ExtraLayer(
                title=title,
                column=column,
                key=f"x{j}",
                value_key=f"v{j}",
                classes=classes,
                colors=tuple(colors),
                labels=tuple(labels),
                lower_is_better=lower,
                caption=caption,
                scale=scale,
            )
        )
    return out


def check_areas(areas, id_col, access_scale=1.0, max_vector_areas=None) -> None:
    """Raise once with every problem of a web map's areas and options."""
    problems = ProblemCollector(what="areas")
    if not isinstance(areas, gpd.GeoDataFrame):
        problems.add(f"expected a GeoDataFrame, got {type(areas).__name__}")
        problems.raise_if_any()
    for col in (id_col, "population", "access_before", "access_after"):
        if col not in areas.columns:
            problems.add("column is missing", source="areas", column=col)
    if areas.crs is None:
        problems.add("has no CRS; set one (e.g. areas.set_crs(...))", source="areas")
    if len(areas) == 0:
        problems.add("has no rows", source="areas")
    scale = float(access_scale)
    if not np.isfinite(scale) or scale <= 0:
        problems.add(f"access_scale must be a positive number, got {access_scale!r}")
    check_max_vector_areas(max_vector_areas, problems)
    problems.raise_if_any()


def check_sites(sites, new_sites, site_id_col) -> None:
    """Raise once with every problem of a web map's sites."""
    problems = ProblemCollector(what="sites")
    if sites is not None:
        for col in (site_id_col, "capacity"):
            if col not in sites.columns:
                problems.add("column is missing", source="sites", column=col)
        if getattr(sites, "crs", None) is None:
            problems.add("has no CRS", source="sites")
    if new_sites is not None and site_id_col not in new_sites.columns:
        problems.add("column is missing", source="new_sites", column=site_id_col)
    problems.raise_if_any()


def area_frame(areas, id_col) -> gpd.GeoDataFrame:
    """A copy of the areas with the map's columns, in the input CRS (input untouched)."""
    out = gpd.GeoDataFrame(
        {
            "area_id": areas[id_col].astype(str).to_numpy(),
            "population": pd.to_numeric(areas["population"]).to_numpy(dtype=float),
            "access_before": areas["access_before"].astype(float).to_numpy(),
            "access_after": areas["access_after"].astype(float).to_numpy(),
        },
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    )
    out["access_change"] = out["access_after"] - out["access_before"]
    # rank 1 = highest access of the n areas (ties share the best rank); 0 = no score
    for when in ("before", "after"):
        rank = out[f"access_{when}"].rank(ascending=False, method="min")
        out[f"rank_{when}"] = rank.fillna(0).astype(int)
    return out


def area_data(
    frame, *, classes, scale, simplify_m, decimals, change_colors=None, extra=(), areas=None
) -> AreaData:
    """The page's one copy of the areas: display shapes and short properties.

    ``extra`` (:class:`ExtraLayer` list) adds each layer's class index and
    value (4 significant digits, None when missing), read from ``areas``.
    """
    geoms = display_geometry(frame, simplify_m=simplify_m, decimals=decimals)
    kb = classes.classify(frame["access_before"]) if classes is not None else None
    ka = classes.classify(frame["access_after"]) if classes is not None else None
    columns = []
    for layer in extra:
        values = pd.to_numeric(areas[layer.column]).to_numpy(dtype=float)
        columns.append((layer, values, layer.classes.classify(values)))
    props = []
    for j, row in enumerate(frame.itertuples(index=False)):
        pop = float(row.population)
        p = {
            "i": html_text(row.area_id),
            "p": round(pop) if np.isfinite(pop) else 0,
            "b": sig(row.access_before * scale),
            "a": sig(row.access_after * scale),
            "rb": int(row.rank_before),
            "ra": int(row.rank_after),
        }
        if classes is not None:
            p["kb"], p["ka"] = int(kb[j]), int(ka[j])
        if change_colors is not None:
            p["d"] = sig(row.access_change * scale)
            p["c"] = change_colors[j]
        for layer, values, idx in columns:
            p[layer.key], p[layer.value_key] = int(idx[j]), sig(values[j] * layer.scale)
        props.append(p)
    points = bool(len(frame)) and frame.geom_type.isin(["Point", "MultiPoint"]).all()
    palette = list(legend_entries(classes)[0]) if classes is not None else []
    return AreaData(geojson_text(geoms, props), n_areas=len(frame), palette=palette, points=points)


def site_frame(sites, new_sites, site_id_col) -> gpd.GeoDataFrame | None:
    if sites is None and new_sites is None:
        return None
    base = sites if sites is not None else new_sites
    out = gpd.GeoDataFrame(
        {"site_id": base[site_id_col].astype(str).to_numpy()},
        geometry=base.geometry.to_numpy(),
        crs=base.crs,
    )
    out["capacity"] = (
        pd.to_numeric(base["capacity"]).to_numpy()
        if "capacity" in base.columns
        else pd.to_numeric(base.get("units", pd.Series(1.0, index=base.index))).to_numpy()
    )
    if "new" in base.columns:
        out["new"] = base["new"].astype(bool).to_numpy()
    else:
        out["new"] = sites is None
    info = {}
    if new_sites is not None:
        keep = [c for c in ("units", "newly_covered", "marginal_gain", "name") if c in new_sites]
        info = new_sites.assign(_sid=new_sites[site_id_col].astype(str)).set_index("_sid")[keep]
        if "new" not in base.columns:
            out["new"] = out["new"] | out["site_id"].isin(info.index)
    for col in ("units", "newly_covered", "marginal_gain", "name"):
        out[col] = [
            info.at[s, col] if col in getattr(info, "columns", ()) and s in info.index else None
            for s in out["site_id"]
        ]
    if "name" in base.columns:  # names of existing hospitals (new sites' names come first)
        out["name"] = [
            own if new is None or (isinstance(new, float) and np.isnan(new)) else new
            for own, new in zip(base["name"].to_numpy(), out["name"], strict=True)
        ]
    return out.to_crs(4326)


def _image_layer(classes, values, colors=None):
    """``(codes, colors, hatch_class)`` of one class layer for :func:`web_images`."""
    colors = list(classes.colors if colors is None else colors[: classes.k])
    hatch = 0 if classes.zero_class and colors[0] in (HATCH_FILL, classes.colors[0]) else None
    if hatch is not None and colors[0] == HATCH_FILL:
        colors[0] = classes.colors[0]
    return classes.classify(values), colors, hatch


def change_steps(change, cmap) -> tuple:
    """``(codes, colors)`` of the change ramp in :data:`CHANGE_STEPS` steps (NaN: ``-1``)."""
    m = float(cmap.vmax)
    c = np.asarray(change, dtype=float)
    steps = CHANGE_STEPS - 1
    codes = np.round((np.clip(c, -m, m) + m) / (2 * m) * steps)
    codes = np.where(np.isfinite(c), codes, -1).astype(int)
    colors = [cmap(-m + 2 * m * i / steps)[:7] for i in range(CHANGE_STEPS)]
    return codes, colors


def area_images(
    frame, *, classes=None, extra=(), areas=None, cmap=None, max_bytes=PAGE_IMAGE_BYTES
) -> WebImages:
    """The areas of a page drawn as images (areas beyond the vector threshold).

    With ``classes``: access before, access after, then each ``extra`` layer
    (classified as in the vector page, read from ``areas``). With ``cmap``
    (a change map): the change in :data:`CHANGE_STEPS` steps of its ramp. All
    the images of the page share one grid and the byte budget ``max_bytes``
    (:func:`accessplan.maps.raster_overlay.web_images`).
    """
    layers = []
    if classes is not None:
        layers.append(_image_layer(classes, frame["access_before"]))
        layers.append(_image_layer(classes, frame["access_after"]))
    for layer in extra:
        values = pd.to_numeric(areas[layer.column]).to_numpy(dtype=float)
        layers.append(_image_layer(layer.classes, values, layer.colors))
    if cmap is not None:
        codes, colors = change_steps(frame["access_change"], cmap)
        layers.append((codes, colors, None))
    return web_images(frame, layers, max_bytes=max_bytes)


def image_note(n_areas: int, pixel_m: float, *, districts: bool = False) -> str:
    """The page's honest line about areas drawn as an image (plain text, not escaped)."""
    hover = "hover a district for its summary; " if districts else ""
    return (
        f"{int(n_areas):,} areas drawn as an image: 1 pixel = {pixel_text(pixel_m)} "
        f"(no per-area hover at this size: {hover}every area's values are in the plan's files)"
    )


def site_tooltip(row, demand_label) -> str:
    """The hover text of a site (escaped HTML): id, name, capacity, a new site's reasons."""
    parts = [f"<b>{html_text(row.site_id)}</b>"]
    name = html_text(row.name)
    if name:
        parts[0] += f" {name}"
    parts.append(f"capacity: {row.capacity:,.0f}")
    if row.new:
        parts.append("<b>new site</b>")
        if row.units is not None:
            parts.append(f"units added: {float(row.units):,.0f}")
            if float(row.units) == 0:
                parts.append("<b>site only, no capacity</b> (adds no supply to access)")
        if row.newly_covered is not None:
            parts.append(
                f"newly covered {html_text(demand_label)}: {float(row.newly_covered):,.0f}"
            )
        if row.marginal_gain is not None:
            parts.append(f"marginal gain: {float(row.marginal_gain):,.0f}")
    return "<br>".join(parts)


def add_sites(m, sites, *, max_capacity, max_radius_px, demand_label, name="Hospitals"):
    """The sites as circle markers (area proportional to capacity) in one layer of ``m``.

    Up to :data:`MAX_FOLIUM_SITES` sites each is a folium ``CircleMarker``;
    more are ONE compact array drawn by :class:`~accessplan.maps.web_layers.SiteMarkers`
    (same markers and tooltips, about a tenth of the page bytes and render time).
    """
    group = folium.FeatureGroup(name=name)
    # existing first, new last so new sites are drawn on top
    ordered = sites.sort_values("new", kind="stable")
    if len(ordered) > MAX_FOLIUM_SITES:
        rows = []
        for row in ordered.itertuples(index=False):
            cap = float(row.capacity) if np.isfinite(row.capacity) else 0.0
            radius = max(4.0, max_radius_px * np.sqrt(max(cap, 0.0) / max_capacity))
            rows.append(
                [
                    round(row.geometry.y, 5),
                    round(row.geometry.x, 5),
                    round(float(radius), 2),
                    int(bool(row.new)),
                    site_tooltip(row, demand_label),
                ]
            )
        group.add_child(SiteMarkers(rows, colors=(EXISTING_SITE, NEW_SITE)))
        group.add_to(m)
        return group
    for row in ordered.itertuples(index=False):
        cap = float(row.capacity) if np.isfinite(row.capacity) else 0.0
        radius = max(4.0, max_radius_px * np.sqrt(max(cap, 0.0) / max_capacity))
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=float(radius),
            color="#000000" if row.new else "#ffffff",
            weight=3 if row.new else 1,
            fill=True,
            fill_color=NEW_SITE if row.new else EXISTING_SITE,
            fill_opacity=0.9,
            tooltip=folium.Tooltip(site_tooltip(row, demand_label)),
        ).add_to(group)
    group.add_to(m)
    return group


def add_site_labels(m, sites, labels) -> None:
    """Name labels: new sites always, hospitals when few (else a layer, off)."""
    if sites is None or not labels or len(sites) == 0:
        return
    names = [
        html_text(n) if isinstance(n, str) and n.strip() else html_text(s)
        for n, s in zip(sites["name"], sites["site_id"], strict=True)
    ]
    rows = [
        [t, round(g.y, 5), round(g.x, 5), bool(new), float(cap) if np.isfinite(cap) else 0.0]
        for t, g, new, cap in zip(
            names, sites.geometry, sites["new"], sites["capacity"].astype(float), strict=True
        )
    ]
    # largest first: when labels would overlap, the bigger hospital keeps its name
    rows = [r[:4] for r in sorted(rows, key=lambda r: -r[4])]
    new_rows = [r for r in rows if r[3]]
    old_rows = [r for r in rows if not r[3]]
    if old_rows:
        show = labels is True or len(old_rows) <= MAX_HOSPITAL_LABELS
        m.add_child(SiteLabels(old_rows, title="Hospital names", show=show))
    if new_rows:
        m.add_child(SiteLabels(new_rows, title="New-site names", show=True))


def max_capacity(sites) -> float:
    """The largest finite capacity of ``sites`` (1 when none): the largest marker's."""
    if sites is None or len(sites) == 0:
        return 1.0
    cap = np.nanmax(sites["capacity"].to_numpy(dtype=float))
    return float(cap) if np.isfinite(cap) and cap > 0 else 1.0


def _weighted_mean(values, weights) -> float:
    ok = np.isfinite(values) & (weights > 0)
    total = weights[ok].sum()
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else float("nan")


def _share_zero(values, weights) -> float:
    ok = np.isfinite(values) & (weights > 0)
    total = weights[ok].sum()
    return float(weights[ok & (values == 0)].sum() / total) if total > 0 else float("nan")


def district_summaries(frame, districts, *, scale=1.0, units=None, spots=None) -> list:
    """One hover text per district (escaped HTML): what an image of the areas cannot show.

    Each area belongs to the district holding its representative point.
    The text gives the district's name, its areas and population, the
    population-weighted mean access before and after the plan (areas with a
    score), and the share of its population with no access before and after.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        :func:`area_frame` of the page.
    districts : geopandas.GeoDataFrame
        The context's districts (``name``), in any CRS.
    scale : float
        Display multiplier of access.
    units : str, optional
        Units of the displayed access.
    spots : geopandas.GeoSeries, optional
        A point inside each area (default: their representative points), e.g.
        the anchors of the page's image grid.

    Returns
    -------
    list of str
        In the order of ``districts``.
    """
    if spots is None:
        spots = frame.geometry.representative_point()
    spots = spots.to_crs(districts.crs).to_numpy()
    shapes = districts.geometry.to_numpy()
    hit_area, hit_district = shapely.STRtree(shapes).query(spots, predicate="within")
    owner = np.full(len(frame), -1, dtype=np.int64)
    owner[hit_area] = hit_district  # an area on a shared border: one of its districts
    pop = frame["population"].to_numpy(dtype=float)
    before = frame["access_before"].to_numpy(dtype=float)
    after = frame["access_after"].to_numpy(dtype=float)
    names = (
        districts["name"] if "name" in districts.columns else districts.index.to_series()
    ).to_numpy()
    unit = f" {html_text(units)}" if units else ""
    out = []
    for j, name in enumerate(names):
        mine = owner == j
        w = pop[mine]
        lines = [
            f"<b>{html_text(name)}</b>",
            f"{int(mine.sum()):,} areas, population {w[np.isfinite(w)].sum():,.0f}",
        ]
        for label, values in (("before", before[mine]), ("after", after[mine])):
            mean = _weighted_mean(values, w) * float(scale)
            zero = _share_zero(values, w)
            text = "no score" if not np.isfinite(mean) else format_number(mean, 3) + unit
            share = "" if not np.isfinite(zero) else f"; no access: {zero:.1%} of people"
            lines.append(f"mean access {label}: {text}{share}")
        out.append("<br>".join(lines))
    return out


def drawn_areas(frame, max_vector_areas, vector, image):
    """The page's areas: ``vector()`` (their GeoJSON), or ``image()`` beyond the limits.

    Images above ``max_vector_areas`` areas, and also when the GeoJSON would
    exceed :data:`MAX_VECTOR_BYTES` (very detailed shapes); ``None`` always
    draws shapes.
    """
    if not use_raster(len(frame), max_vector_areas):
        data = vector()
        if max_vector_areas is None or len(data.text) <= MAX_VECTOR_BYTES:
            return data
    return image()


def page_bounds(frame, sites, drawn) -> tuple[float, float, float, float]:
    """``(south, west, north, east)`` in degrees of a map page: its areas and its sites.

    The image's bounds when the areas are drawn as one (no need to project
    every area); hospitals beyond the region's edge stay in view.
    """
    if isinstance(drawn, WebImages):
        (south, west), (north, east) = drawn.grid.latlon_bounds()
    else:
        west, south, east, north = frame.to_crs(4326).total_bounds
    if sites is not None and len(sites):
        w, s, e, n = sites.total_bounds  # already WGS84
        west, south, east, north = min(west, w), min(south, s), max(east, e), max(north, n)
    return float(south), float(west), float(north), float(east)


def page_frames(
    areas,
    sites,
    new_sites,
    *,
    id_col,
    site_id_col,
    classes,
    scheme,
    k,
    access_scale,
    max_vector_areas,
):
    """Check a map page's layers and return ``(frame, site_frame, classes)``.

    ``classes`` are the given ones, or :func:`~accessplan.maps.classes.shared_classes`
    of access before and after (population-weighted) when None.
    """
    check_areas(areas, id_col, access_scale, max_vector_areas)
    check_sites(sites, new_sites, site_id_col)
    frame = area_frame(areas, id_col)
    sites_frame = site_frame(sites, new_sites, site_id_col)
    if classes is None:
        classes = shared_classes(
            frame["access_before"],
            frame["access_after"],
            scheme=scheme,
            k=k,
            population=frame["population"],
        )
    return frame, sites_frame, classes


def page_areas(
    frame,
    areas,
    *,
    classes,
    extra_layers,
    reserved,
    scheme,
    k,
    access_scale,
    max_vector_areas,
    simplify_m,
    decimals,
):
    """The further layers' specs and the page's areas (shapes or images), for one map page.

    ``frame`` is :func:`area_frame` of ``areas``; ``reserved`` the layer
    names the page itself uses. Returns ``(extra, drawn)``: the
    :func:`extra_layer_specs` and :func:`drawn_areas` of the page.
    """
    extra = extra_layer_specs(
        areas, extra_layers, reserved=reserved, scheme=scheme, k=k, access_scale=access_scale
    )
    drawn = drawn_areas(
        frame,
        max_vector_areas,
        lambda: area_data(
            frame,
            classes=classes,
            scale=access_scale,
            simplify_m=simplify_m,
            decimals=decimals,
            extra=extra,
            areas=areas,
        ),
        lambda: area_images(frame, classes=classes, extra=extra, areas=areas),
    )
    return extra, drawn


def district_hover_texts(frame, drawn, context, scale, units):
    """District hover texts when the areas are an image and the context has districts."""
    districts = getattr(context, "districts", None)
    if not isinstance(drawn, WebImages) or districts is None or not len(districts):
        return None
    grid = drawn.grid
    spots = gpd.GeoSeries(shapely.points(grid.anchors), crs=grid.crs)
    return district_summaries(frame, districts, scale=scale, units=units, spots=spots)


def legend_note(frame, drawn, context) -> str | None:
    """The legend's line about an image of the areas (None for vector areas)."""
    if not isinstance(drawn, WebImages):
        return None
    districts = getattr(context, "districts", None) is not None and len(context.districts) > 0
    return image_note(len(frame), drawn.grid.pixel_m, districts=districts)
