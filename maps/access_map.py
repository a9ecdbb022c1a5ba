"""The interactive map of an access-only run: access with the existing facilities.

:func:`access_map` is the one-state sibling of
:func:`accessplan.maps.webmap.layered_map`: one "Access" layer (YlGnBu classes,
light = low, dark = high, exact zeros hatched "0 (no access)", no score grey),
the further supplies and measures as layers that start switched off (each with
its own classes and legend), the hospitals as circle markers whose area grows
with capacity, the context (region outline, districts, roads) and a small
inequity panel (Gini, Theil, share with zero access). There is no "before",
"after", change or new site: nothing was planned.

It is assembled from the public pieces the plan's maps use
(:mod:`accessplan.maps.web_frames`, :mod:`accessplan.maps.web_layers`,
:mod:`accessplan.maps.web_page`), so classes, colours, hatching, tooltips and
the images drawn for very many areas are the same as on the plan's maps. Like
them, the page has no tile layer unless ``tiles`` asks for one, and loads
nothing from the network once saved with
:func:`accessplan.maps.offline.save_offline`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import folium
import numpy as np
import pandas as pd

from accessplan.maps.escaping import html_text
from accessplan.maps.map_fit import fit_region
from accessplan.maps.raster_overlay import MAX_VECTOR_AREAS, WebImages, data_uri
from accessplan.maps.web_frames import (
    add_site_labels,
    add_sites,
    legend_note,
    max_capacity,
    page_areas,
    page_bounds,
    page_frames,
)
from accessplan.maps.web_layers import (
    AreaLayer,
    ContextLayers,
    HtmlControl,
    ImageLayer,
    LabelDeclutter,
    LayerLegend,
    class_legend_html,
    legend_entries,
)
from accessplan.maps.web_page import LayerSwitch, page_setup

__all__ = ["ACCESS_LAYER", "access_map", "inequity_panel_html"]

#: the title of the access layer in the layer control
ACCESS_LAYER = "Access"

#: the tooltip of an area: id, population, access, rank (1 = highest access)
_FIELDS = (
    ("i", "Area", "text"),
    ("p", "Population", "int"),
    ("b", "Access", "num"),
    ("rb", "Rank (1 = best)", "rank"),
)

_INEQUITY_ROWS = (
    ("gini", "Gini", "{:.3f}"),
    ("theil", "Theil", "{:.3f}"),
    ("share_zero", "Share with zero access", "{:.1%}"),
)


class _Map(folium.Map):
    """A folium Map that only asks for Leaflet (the layers need nothing else)."""

    default_js: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_js if name == "leaflet"
    ]
    default_css: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_css if name == "leaflet_css"
    ]


def inequity_panel_html(inequity: Mapping) -> str:
    """The inequity panel of one state: Gini, Theil and share with zero access (escaped HTML).

    ``inequity`` is the run's ``summary["inequity"]``; a missing or
    non-finite measure is left out.
    """
    rows = []
    for key, label, fmt in _INEQUITY_ROWS:
        value = inequity.get(key) if isinstance(inequity, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not np.isfinite(value):
            continue
        rows.append(f"<tr><td>{html_text(label)}</td><td>{fmt.format(float(value))}</td></tr>")
    if not rows:
        return ""
    return (
        '<div class="accessplan-inequity"><b>Inequity of access</b><table>'
        + "".join(rows)
        + "</table></div>"
    )


def _caption(caption, units, scale) -> str:
    if caption is not None:
        return caption
    if units:
        return "Access"
    scale = float(scale)
    return (
        "Access (supply per person)" if scale == 1.0 else f"Access (supply per {scale:,.6g} people)"
    )


def access_map(
    areas,
    sites=None,
    *,
    column: str = "access",
    inequity: Mapping | None = None,
    classes=None,
    scheme: str = "quantiles",
    k: int = 5,
    tiles=None,
    id_col: str = "area_id",
    site_id_col: str = "site_id",
    max_radius_px: float = 14.0,
    caption: str | None = None,
    access_scale: float = 1.0,
    access_units: str | None = None,
    context=None,
    labels="auto",
    simplify_m: float | None = None,
    decimals: int = 5,
    demand_label: str = "population",
    extra_layers: Mapping[str, str] | None = None,
    max_vector_areas: int | None = MAX_VECTOR_AREAS,
) -> folium.Map:
    """Access of the areas with the existing facilities, on one map.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons or points) with ``id_col``, ``population`` and
        ``column``, in any CRS.
    sites : geopandas.GeoDataFrame, optional
        The facilities: ``site_id_col``, ``capacity`` and optionally ``name``.
    column : str, default "access"
        The access column of ``areas`` (raw scores; NaN = no score).
    inequity : mapping, optional
        ``summary["inequity"]`` of the run (``gini``, ``theil``,
        ``share_zero``), shown as a panel in the lower right corner.
    classes : AccessClasses, optional
        Classes to use; default :func:`~accessplan.maps.classes.shared_classes`
        of ``column`` (population-weighted ``scheme`` with ``k`` classes).
    scheme, k :
        Passed to :func:`~accessplan.maps.classes.shared_classes`.
    tiles : str or None, default None
        No basemap (nothing loaded from the network), or a folium tile name.
    id_col, site_id_col : str
        Id columns of the areas and the facilities.
    max_radius_px : float, default 14
        Radius of the largest facility's marker (marker area grows with capacity).
    caption : str, optional
        Legend caption (default "Access", or "Access (supply per person)").
    access_scale : float, default 1.0
        Display multiplier of access in the legend and tooltips.
    access_units : str, optional
        Units of the displayed access (e.g. ``"beds per 1,000 people aged 65+"``).
    context : accessplan.maps.context.MapContext, optional
        Region outline, districts and roads.
    labels : bool or "auto", default "auto"
        Facility name labels (with "auto": shown when there are at most 30).
    simplify_m : float, optional
        Display simplification of the area shapes in metres (default: automatic).
    decimals : int, default 5
        Decimals kept in the page's coordinates.
    demand_label : str, default "population"
        What the demand weight counts (facility tooltips).
    extra_layers : mapping of str to str, optional
        Further layers, title -> numeric column of ``areas`` (further supplies
        ``access_<supply>``, BFCA, supply within T minutes, minutes to the
        nearest facility...), each off when the page opens, with its own
        classes and legend (:func:`accessplan.maps.web_frames.extra_layer_specs`).
    max_vector_areas : int or None, default 5,000
        Above this many areas, the areas are drawn as images.

    Returns
    -------
    folium.Map

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every missing column and bad option.
    """
    one = areas.copy()
    if column in one.columns:
        values = pd.to_numeric(one[column], errors="coerce")
        # the shared frame helpers read two states: both are this one
        one["access_before"] = values
        one["access_after"] = values
    frame, site_frame, classes = page_frames(
        one,
        sites,
        None,
        id_col=id_col,
        site_id_col=site_id_col,
        classes=classes,
        scheme=scheme,
        k=k,
        access_scale=access_scale,
        max_vector_areas=max_vector_areas,
    )
    extra, drawn = page_areas(
        frame,
        one,
        classes=classes,
        extra_layers=extra_layers,
        reserved=(ACCESS_LAYER, "Hospitals"),
        scheme=scheme,
        k=k,
        access_scale=access_scale,
        max_vector_areas=max_vector_areas,
        simplify_m=simplify_m,
        decimals=decimals,
    )
    m = _new_map(frame, tiles, site_frame, drawn)
    page_setup(m.get_root())
    if not isinstance(drawn, WebImages):
        m.get_root().header.add_child(drawn.element(), name="accessplan_areas")
    opacity = 0.85 if tiles is None else 0.65
    radius = 6.0 if len(frame) <= 300 else 4.5 if len(frame) <= 1500 else 3.5

    def layer(index, *, key, fields, palette=None):
        if isinstance(drawn, WebImages):
            mask = drawn.masks[index]
            return ImageLayer(
                data_uri(drawn.pngs[index]),
                bounds=drawn.grid.latlon_bounds(),
                map_name=m.get_name(),
                opacity=opacity,
                mask_url=None if mask is None else data_uri(mask),
            )
        return AreaLayer(
            drawn,
            key=key,
            fields=fields,
            map_name=m.get_name(),
            point_radius=radius,
            opacity=opacity,
            palette=palette,
        )

    access_group = folium.FeatureGroup(name=ACCESS_LAYER, show=True)
    access_group.add_child(layer(0, key="kb", fields=_FIELDS))
    access_group.add_to(m)
    groups = [(ACCESS_LAYER, access_group)]
    legends = []
    for j, spec in enumerate(extra):
        group = folium.FeatureGroup(name=spec.title, show=False)
        # images: access twice (the helpers draw two states), then the extra layers
        group.add_child(
            layer(
                2 + j,
                key=spec.key,
                fields=(*_FIELDS[:2], (spec.value_key, html_text(spec.title), "num")),
                palette=spec.colors,
            )
        )
        group.add_to(m)
        groups.append((html_text(spec.title), group))
        inner = class_legend_html(spec.caption, spec.colors, spec.labels)
        legends.append(LayerLegend(inner, group=group, title=spec.title))
    if context is not None:
        shapes = ContextLayers(context)
        m.get_root().header.add_child(shapes.element(), name=shapes.var)
        m.add_child(shapes)
    if site_frame is not None and len(site_frame):
        sites_group = add_sites(
            m,
            site_frame,
            max_capacity=max_capacity(site_frame),
            max_radius_px=max_radius_px,
            demand_label=demand_label,
        )
        add_site_labels(m, site_frame, labels)
        groups.append(("Hospitals", sites_group))
    m.add_child(LabelDeclutter())
    colors, texts = legend_entries(
        classes, scale=access_scale, no_data=bool(frame["access_before"].isna().any())
    )
    m.add_child(
        HtmlControl(
            class_legend_html(
                _caption(caption, access_units, access_scale),
                colors,
                texts,
                units=access_units,
                note=legend_note(frame, drawn, context),
            ),
            position="topright",
            css_class="legend accessplan-legend",
            name="ClassLegend",
        )
    )
    for legend in legends:  # under the access legend, each while its layer is on
        m.add_child(legend)
    m.add_child(LayerSwitch(groups, collapsed=False))
    panel = inequity_panel_html(inequity) if inequity is not None else ""
    if panel:
        m.add_child(
            HtmlControl(
                panel,
                position="bottomright",
                css_class="accessplan-inequity-box",
                name="InequityPanel",
            )
        )
    return m


def _new_map(frame, tiles, sites, drawn) -> folium.Map:
    """A map fitted to the areas (and the facilities beyond their edge), clear of the panels."""
    m = _Map(tiles=tiles, control_scale=True, zoom_snap=0.25)
    fit_region(
        m,
        *page_bounds(frame, sites, drawn),
        padding_top_left=(170, 12),
        padding_bottom_right=(270, 12),
    )
    return m
