"""Interactive (folium / Leaflet) maps of access before and after a plan.

Three maps, all drawn from the plan's result frames (areas with
``access_before`` / ``access_after``, sites with ``capacity`` and ``new``):

- :func:`before_after_map`: two maps side by side whose pan and zoom follow
  each other (a few lines of our own JavaScript; folium's ``DualMap`` is not
  used because it loads its sync plugin from a CDN);
- :func:`layered_map`: one map, before and after as layers in a layer control;
- :func:`change_map`: after minus before on a diverging scale centred at 0
  (red = loss, white = no change, blue = gain, limits +-max|change|).

Before and after are coloured with ONE classification computed on the pooled
before and after values (:func:`shared_classes`, shared with the PNG figures
and the QGIS styles): YlGnBu, light = low access, dark = high access. Areas
with exactly zero access are hatched (an inline SVG pattern, the same in the
legend) and labelled "0 (no access)"; areas without a score are solid grey
("no score"). Hospitals are circle markers whose *area* grows with capacity;
new sites are orange with a thick outline, their tooltip gives the units added
and why the site was chosen. Hospitals and new sites carry small permanent
name labels. An optional :class:`~accessplan.maps.context.MapContext` adds the
roads used, the region outline and the districts (with their names).

The page is light: the areas are ONE GeoJSON variable per page (shared by both
panels / layers), simplified for display in metres and with rounded
coordinates (:func:`accessplan.maps.web_layers.display_geometry`); it needs
only Leaflet (no jQuery, no d3).

Above ``max_vector_areas`` areas (default 5,000) the areas are drawn as images
instead (:mod:`accessplan.maps.raster_overlay`): one PNG per layer in Web
Mercator under a page byte budget, the same classes and colours, "no access"
hatched on screen through an SVG mask, "no score" grey; the legend says how
many areas and the pixel size. Context, hospitals, labels and legends stay
vectors, and with districts each district shows a hover summary (areas,
population, mean access before and after, share without access).

By default a map has no tile layer (``tiles=None``): a plain background, no
attribution, and a page saved with :func:`accessplan.maps.offline.save_offline`
loads nothing from the network. A basemap (``tiles="OpenStreetMap"``) must be
asked for; its tiles (and the OpenStreetMap attribution) then appear.
"""

from __future__ import annotations

from typing import ClassVar

import branca
import folium
import numpy as np
from branca.element import MacroElement

from accessplan.maps import web_frames
from accessplan.maps.classes import NO_DATA, AccessClasses, shared_classes
from accessplan.maps.escaping import html_text
from accessplan.maps.map_fit import fit_region
from accessplan.maps.raster_overlay import (
    MAX_VECTOR_AREAS,
    WebImages,
    data_uri,
)
from accessplan.maps.web_frames import (
    EXISTING_SITE,
    MAX_HOSPITAL_LABELS,
    NEW_SITE,
    add_site_labels,
    add_sites,
    area_data,
    area_frame,
    area_images,
    check_areas,
    check_sites,
    district_hover_texts,
    drawn_areas,
    legend_note,
    max_capacity,
    page_areas,
    page_bounds,
    page_frames,
)
from accessplan.maps.web_layers import (
    AreaLayer,
    ContextLayers,
    DistrictSummary,
    HtmlControl,
    ImageLayer,
    LabelDeclutter,
    LayerLegend,
    change_bar_html,
    class_legend_html,
    legend_entries,
)
from accessplan.maps.web_page import (
    LayerSwitch,
    SyncViews,
    inequity_control,
    map_title,
    page_setup,
)

__all__ = [
    "EXISTING_SITE",
    "MAX_HOSPITAL_LABELS",
    "NEW_SITE",
    "AccessClasses",
    "LeanMap",
    "before_after_map",
    "change_colormap",
    "change_map",
    "class_legend",
    "layered_map",
    "shared_classes",
]

# room kept free of data on the right of a map: the legend (top) and inequity panel (bottom)
_RIGHT_PAD = 270


# --------------------------------------------------------------------------- classes
def class_legend(
    classes: AccessClasses,
    caption: str,
    *,
    no_data: bool = False,
    scale=1.0,
    units=None,
    note=None,
) -> MacroElement:
    """A Leaflet legend control with one equal-sized swatch per class.

    Parameters
    ----------
    classes : AccessClasses
        The shared classification (the "no access" class, if any, comes first
        with the hatched swatch of the map's no-access areas).
    caption : str
        Legend title.
    no_data : bool, default False
        Add the grey "no score" swatch of areas without a value (NaN: e.g. a
        zero demand weight that nothing rates).
    scale : float, default 1.0
        Display multiplier of the class bounds (e.g. 1000 for "per 1,000").
    units : str, optional
        A line under the title naming the units (e.g. "beds per 1,000 people").
    note : str, optional
        A small line under the classes (e.g. "areas drawn as an image, 1 pixel = 500 m").

    Returns
    -------
    branca.element.MacroElement
        Add it to a folium Map (``class_legend(classes, "Access").add_to(m)``);
        the page needs the hatch pattern (:func:`accessplan.maps.web_layers.hatch_defs`),
        which every builder of this module adds.
    """
    colors, labels = legend_entries(classes, scale=scale, no_data=no_data)
    return HtmlControl(
        class_legend_html(caption, colors, labels, units=units, note=note),
        position="topright",
        css_class="legend accessplan-legend",
        name="ClassLegend",
    )


def _has_missing(frame) -> bool:
    return bool(frame[["access_before", "access_after"]].isna().to_numpy().any())


def change_colormap(change, *, caption="Change in access (after - before)"):
    """A diverging colour scale for access change, centred at 0.

    Parameters
    ----------
    change : array-like of float
        After minus before, per area.
    caption : str
        Legend caption.

    Returns
    -------
    branca.colormap.LinearColormap
        Red for losses, white at exactly 0, blue for gains; symmetric limits
        ``[-m, m]`` with ``m`` the largest absolute change, so equal losses
        and gains get equally strong colours and the whole ramp is used.
    """
    c = np.asarray(change, dtype=float)
    c = c[np.isfinite(c)]
    m = float(np.abs(c).max()) if c.size else 0.0
    if m == 0.0:
        m = 1.0
    ramp = branca.colormap.linear.RdBu_11
    lo, hi = ramp.vmin, ramp.vmax
    colors = [ramp(lo + f * (hi - lo))[:7] for f in (0.0, 0.25)] + ["#f7f7f7"]
    colors += [ramp(lo + f * (hi - lo))[:7] for f in (0.75, 1.0)]
    return branca.colormap.LinearColormap(
        colors, index=[-m, -m / 2, 0.0, m / 2, m], vmin=-m, vmax=m, caption=caption
    )


# --------------------------------------------------------------------------- inputs
# --------------------------------------------------------------------------- elements
class LeanMap(folium.Map):
    """A folium Map that only asks for Leaflet and jQuery (no Bootstrap, no icon fonts)."""

    default_js: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_js if name in ("leaflet", "jquery")
    ]
    default_css: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_css if name == "leaflet_css"
    ]


class _BareMap(folium.Map):
    """A folium Map that only asks for Leaflet (our layers need nothing else)."""

    default_js: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_js if name == "leaflet"
    ]
    default_css: ClassVar[list] = [
        (name, url) for name, url in folium.Map.default_css if name == "leaflet_css"
    ]


def _new_map(
    frame, tiles, *, sites=None, pad_left=10, pad_right=10, drawn=None, **kwargs
) -> folium.Map:
    m = _BareMap(tiles=tiles, control_scale=True, zoom_snap=0.25, **kwargs)
    # keep the data clear of the legend / panels on the right and the controls on the left
    fit_region(
        m,
        *page_bounds(frame, sites, drawn),
        padding_top_left=(pad_left, 12),
        padding_bottom_right=(pad_right, 12),
    )
    return m


_AREA_FIELDS = (
    ("i", "Area", "text"),
    ("p", "Population", "int"),
    ("b", "Access before", "num"),
    ("a", "Access after", "num"),
    ("rb", "Rank before (1 = best)", "rank"),
    ("ra", "Rank after (1 = best)", "rank"),
)
_CHANGE_FIELD = ("d", "Change", "change")


def _areas_layer(m, drawn, index, frame, tiles, *, key, fields, palette=None):
    """The element drawing the areas: layer ``index`` of a page's images, or its GeoJSON."""
    if isinstance(drawn, WebImages):
        mask = drawn.masks[index]
        return ImageLayer(
            data_uri(drawn.pngs[index]),
            bounds=drawn.grid.latlon_bounds(),
            map_name=m.get_name(),
            opacity=_opacity(tiles),
            mask_url=None if mask is None else data_uri(mask),
        )
    return AreaLayer(
        drawn,
        key=key,
        fields=fields,
        map_name=m.get_name(),
        point_radius=_point_radius(frame),
        opacity=_opacity(tiles),
        palette=palette,
    )


def _opacity(tiles) -> float:
    """Fill opacity of the areas: lighter over a basemap so its streets show through."""
    return 0.85 if tiles is None else 0.65


def _point_radius(frame) -> float:
    """Radius of point areas: smaller when there are many, so they overlap less."""
    n = len(frame)
    return 6.0 if n <= 300 else 4.5 if n <= 1500 else 3.5


def _caption(caption, units, scale=1.0) -> str:
    if caption is not None:
        return caption
    if units:
        return "Access"
    scale = float(scale)
    if scale == 1.0:
        return "Access (supply per person)"
    return f"Access (supply per {scale:,.6g} people)"


def _decorate(
    m,
    site_frame,
    *,
    context,
    labels,
    max_cap,
    max_radius_px,
    demand_label,
    show_new,
    summaries=None,
):
    """Context layers, sites and labels of one Leaflet map; returns the sites group.

    ``summaries`` (one hover text per district) adds the districts' hover
    tables over an image of the areas.
    """
    if context is not None:
        if isinstance(context, ContextLayers):  # a page's shared context data
            layers = ContextLayers(source=context)
        else:
            layers = ContextLayers(context)
            m.get_root().header.add_child(layers.element(), name=layers.var)
        m.add_child(layers)
        if summaries and layers.districts:
            m.add_child(DistrictSummary(layers.var, summaries))
    group = None
    if site_frame is not None:
        shown = site_frame if show_new else site_frame[~site_frame["new"]]
        group = add_sites(
            m, shown, max_capacity=max_cap, max_radius_px=max_radius_px, demand_label=demand_label
        )
        add_site_labels(m, shown, labels)
    m.add_child(LabelDeclutter())
    return group


# --------------------------------------------------------------------------- maps
_COMMON_DOC = """
    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas (polygons or points) with ``id_col``, ``population``,
        ``access_before`` and ``access_after``, in any CRS.
    sites : geopandas.GeoDataFrame, optional
        Hospitals after the plan: ``site_id_col``, ``capacity``, ``new``
        (bool) and optionally ``name``.
    new_sites : pandas.DataFrame, optional
        The chosen sites (``site_id_col``, ``units``, ``newly_covered``,
        ``marginal_gain``, ``name``) for the new sites' tooltips.
    inequity : pandas.DataFrame, optional
        The before/after comparison (index or ``measure`` column naming
        ``gini``, ``theil``, ``share_zero``; columns ``before``, ``after``),
        shown as a panel in the lower right corner.
    tiles : str or None, default None
        No tile layer: a plain background, no attribution, and the page loads
        nothing from the network. A folium tile name (``"OpenStreetMap"``)
        adds that basemap and its attribution; the browser fetches the tiles.
    id_col, site_id_col : str
        Id columns of the areas and the sites.
    max_radius_px : float
        Radius of the largest hospital's marker; others scale with
        sqrt(capacity) so marker area is proportional to capacity (4 px minimum).
    caption : str, optional
        Legend caption (default "Access", or "Access (supply per person)"
        without ``access_units``).
    access_scale : float, default 1.0
        Display multiplier of access in the legend and tooltips (e.g. 1000
        when ``access_units`` says "per 1,000"); classes are unchanged.
    access_units : str, optional
        Units of the displayed access, shown under the legend caption (e.g.
        ``"beds per 1,000 people aged 65+"``).
    context : MapContext, optional
        Roads, region outline and districts drawn with the areas
        (:mod:`accessplan.maps.context`); each is a layer in the layer control.
    labels : bool or "auto", default "auto"
        Permanent name labels (``name`` when given, else the id): new sites
        always; hospitals too when there are at most 30 of them, else their
        labels are a layer that starts switched off. ``True``: every label
        shown; ``False``: none.
    simplify_m : float, optional
        Display simplification of the area shapes in metres (default: 1/5000
        of the extent's diagonal, 1 to 25 m; ``0`` keeps every vertex). Every
        area keeps a shape.
    decimals : int, default 5
        Decimals kept in the page's longitudes and latitudes (5 is about 1 m).
    demand_label : str, default "population"
        What the new sites' "newly covered ..." counts (e.g. "people aged 65+").
    max_vector_areas : int or None, default 5,000
        With more areas than this, the areas are drawn as images (one PNG
        per layer, :mod:`accessplan.maps.raster_overlay`): classes and colours
        as above, "no access" hatched, "no score" grey, pixels as fine as the
        page's byte budget allows; the legend says how many areas and the
        pixel size in metres, and there is no per-area hover table (with
        districts in ``context``, a hover summary per district). Shapes so
        detailed that their GeoJSON passes 1.5 MB are drawn as images too.
        Context, sites, labels and legends stay vectors. None: always vectors.
"""
_EXTRA_DOC = """    extra_layers : Mapping[str, str], optional
        Further layers, title -> numeric column of ``areas`` (e.g.
        ``{"ICU beds (access)": "access_icu_beds"}``); each off when the page
        opens, with its own classes and legend (see above).
"""


def before_after_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    classes=None,
    scheme="quantiles",
    k=5,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption=None,
    access_scale=1.0,
    access_units=None,
    context=None,
    labels="auto",
    simplify_m=None,
    decimals=5,
    demand_label="population",
    max_vector_areas=MAX_VECTOR_AREAS,
) -> branca.element.Figure:
    """Access before and after side by side, with synchronised pan and zoom.

    Both panels draw the page's one copy of the areas, coloured by the shared
    classes; the left panel shows the existing hospitals, the right one all
    sites (new ones highlighted). One legend (right panel), one inequity panel.
    """
    frame, site_frame, classes = page_frames(
        areas,
        sites,
        new_sites,
        id_col=id_col,
        site_id_col=site_id_col,
        classes=classes,
        scheme=scheme,
        k=k,
        access_scale=access_scale,
        max_vector_areas=max_vector_areas,
    )
    fig = branca.element.Figure()
    page_setup(fig)
    drawn = drawn_areas(
        frame,
        max_vector_areas,
        lambda: area_data(
            frame, classes=classes, scale=access_scale, simplify_m=simplify_m, decimals=decimals
        ),
        lambda: area_images(frame, classes=classes),
    )
    if not isinstance(drawn, WebImages):
        fig.header.add_child(drawn.element(), name="accessplan_areas")
    max_cap = max_capacity(site_frame)
    summaries = district_hover_texts(frame, drawn, context, access_scale, access_units)
    shared = None  # the context's shapes once in the page, drawn by both panels
    if context is not None:
        shared = ContextLayers(context)
        fig.header.add_child(shared.element(), name=shared.var)
    panels = []
    for i, (when, left) in enumerate((("before", "0%"), ("after", "50%"))):
        m = _new_map(
            frame,
            tiles,
            sites=site_frame,
            pad_left=60,
            pad_right=60,
            drawn=drawn,
            width="50%",
            height="100%",
            left=left,
            position="absolute",
        )
        fig.add_child(m)
        m.add_child(_areas_layer(m, drawn, i, frame, tiles, key="k" + when[0], fields=_AREA_FIELDS))
        _decorate(
            m,
            site_frame,
            context=shared,
            labels=labels,
            max_cap=max_cap,
            max_radius_px=max_radius_px,
            demand_label=demand_label,
            show_new=when == "after",
            summaries=summaries,
        )
        m.add_child(map_title(f"Access {when}"))
        if context is not None or (site_frame is not None and labels == "auto"):
            m.add_child(LayerSwitch([], collapsed=True))
        panels.append(m)
    class_legend(
        classes,
        _caption(caption, access_units, access_scale),
        no_data=_has_missing(frame),
        scale=access_scale,
        units=access_units,
        note=legend_note(frame, drawn, context),
    ).add_to(panels[1])
    fig.add_child(SyncViews(*panels))
    if inequity is not None:
        panels[0].add_child(inequity_control(inequity))
    return fig


def layered_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    classes=None,
    scheme="quantiles",
    k=5,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption=None,
    access_scale=1.0,
    access_units=None,
    context=None,
    labels="auto",
    simplify_m=None,
    decimals=5,
    demand_label="population",
    extra_layers=None,
    max_vector_areas=MAX_VECTOR_AREAS,
) -> folium.Map:
    """Access before and after as two toggleable layers of one map.

    "Access after", the hospitals and the context are shown when the page
    opens; "Access before" is switched on in the layer control (top left).
    Both layers draw the page's one copy of the areas with the same classes
    and share one legend.

    Further per-area measures (``extra_layers``, title -> column) are more
    layers of the same control, all OFF when the page opens, drawn from the
    same GeoJSON (each column added to it, 4 significant digits). Each is
    classified on its own values (``shared_classes(values, values)``, same
    scheme and ``k``) and has its own legend, shown while the layer is on.
    Higher-is-better columns use the access palette (YlGnBu, dark = more,
    zeros hatched "0 (no access)"); lower-is-better columns
    (``nearest_minutes_*``, ``capacity_uncovered_*``) the reversed ramp, so
    dark means better on every layer, and the legend title says so ("dark =
    nearer" / "dark = fewer"). Values are shown in the column's own units,
    except further supplies (``access_*`` columns) which are access in the
    map's units: ``access_scale`` applies to them too.
    """
    frame, site_frame, classes = page_frames(
        areas,
        sites,
        new_sites,
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
        areas,
        classes=classes,
        extra_layers=extra_layers,
        reserved=("Access before", "Access after", "Hospitals"),
        scheme=scheme,
        k=k,
        access_scale=access_scale,
        max_vector_areas=max_vector_areas,
        simplify_m=simplify_m,
        decimals=decimals,
    )
    m = _new_map(frame, tiles, sites=site_frame, pad_left=170, pad_right=_RIGHT_PAD, drawn=drawn)
    page_setup(m.get_root())
    if not isinstance(drawn, WebImages):
        m.get_root().header.add_child(drawn.element(), name="accessplan_areas")
    groups = []
    for i, (when, show) in enumerate((("before", False), ("after", True))):
        group = folium.FeatureGroup(name=f"Access {when}", show=show)
        group.add_child(
            _areas_layer(m, drawn, i, frame, tiles, key="k" + when[0], fields=_AREA_FIELDS)
        )
        group.add_to(m)
        groups.append((f"Access {when}", group))
    legends = []
    for j, layer in enumerate(extra):
        group = folium.FeatureGroup(name=layer.title, show=False)
        group.add_child(
            _areas_layer(
                m,
                drawn,
                2 + j,
                frame,
                tiles,
                key=layer.key,
                fields=(*_AREA_FIELDS[:2], (layer.value_key, html_text(layer.title), "num")),
                palette=layer.colors,
            )
        )
        group.add_to(m)
        groups.append((html_text(layer.title), group))
        inner = class_legend_html(layer.caption, layer.colors, layer.labels)
        legends.append(LayerLegend(inner, group=group, title=layer.title))
    sites_group = _decorate(
        m,
        site_frame,
        context=context,
        labels=labels,
        max_cap=max_capacity(site_frame),
        max_radius_px=max_radius_px,
        demand_label=demand_label,
        show_new=True,
        summaries=district_hover_texts(frame, drawn, context, access_scale, access_units),
    )
    if sites_group is not None:
        groups.append(("Hospitals", sites_group))
    class_legend(
        classes,
        _caption(caption, access_units, access_scale),
        no_data=_has_missing(frame),
        scale=access_scale,
        units=access_units,
        note=legend_note(frame, drawn, context),
    ).add_to(m)
    for legend in legends:  # under the access legend, each while its layer is on
        m.add_child(legend)
    m.add_child(LayerSwitch(groups, collapsed=False))
    if inequity is not None:
        m.add_child(inequity_control(inequity))
    return m


def change_map(
    areas,
    sites=None,
    new_sites=None,
    *,
    inequity=None,
    tiles=None,
    id_col="area_id",
    site_id_col="site_id",
    max_radius_px=14.0,
    caption="Change in access (after - before)",
    access_scale=1.0,
    access_units=None,
    context=None,
    labels="auto",
    simplify_m=None,
    decimals=5,
    demand_label="population",
    max_vector_areas=MAX_VECTOR_AREAS,
) -> folium.Map:
    """The change in access (after - before) on a diverging scale centred at 0.

    Colours come from :func:`change_colormap` (red = loss, white = no change,
    blue = gain, limits +-max|change| so the whole ramp is used); the colour
    bar (top right) has five ticks with enough digits and loss / gain ends.
    Area tooltips add the change to the fields of the other maps; new sites
    are highlighted with their units and reasons.
    """
    check_areas(areas, id_col, access_scale, max_vector_areas)
    check_sites(sites, new_sites, site_id_col)
    frame = area_frame(areas, id_col)
    site_frame = web_frames.site_frame(sites, new_sites, site_id_col)
    cmap = change_colormap(frame["access_change"], caption=caption)
    drawn = drawn_areas(
        frame,
        max_vector_areas,
        lambda: area_data(
            frame,
            classes=None,
            scale=access_scale,
            simplify_m=simplify_m,
            decimals=decimals,
            change_colors=[
                NO_DATA if not np.isfinite(c) else cmap(c)[:7] for c in frame["access_change"]
            ],
        ),
        lambda: area_images(frame, cmap=cmap),
    )
    m = _new_map(frame, tiles, sites=site_frame, pad_left=60, pad_right=_RIGHT_PAD, drawn=drawn)
    page_setup(m.get_root())
    if not isinstance(drawn, WebImages):
        m.get_root().header.add_child(drawn.element(), name="accessplan_areas")
    m.add_child(
        _areas_layer(m, drawn, 0, frame, tiles, key="c", fields=(*_AREA_FIELDS, _CHANGE_FIELD))
    )
    sites_group = _decorate(
        m,
        site_frame,
        context=context,
        labels=labels,
        max_cap=max_capacity(site_frame),
        max_radius_px=max_radius_px,
        demand_label=demand_label,
        show_new=True,
        summaries=district_hover_texts(frame, drawn, context, access_scale, access_units),
    )
    bar = change_bar_html(
        cmap,
        caption,
        scale=access_scale,
        units=access_units,
        no_data=bool(frame["access_change"].isna().any()),
        note=legend_note(frame, drawn, context),
    )
    m.add_child(
        HtmlControl(bar, position="topright", css_class="legend accessplan-legend", name="Bar")
    )
    groups = [("Hospitals", sites_group)] if sites_group is not None else []
    if groups or context is not None:
        m.add_child(LayerSwitch(groups, collapsed=True))
    if inequity is not None:
        m.add_child(inequity_control(inequity))
    return m


for _builder in (before_after_map, layered_map, change_map):
    if _builder.__doc__ is None:  # python -OO
        continue
    _builder.__doc__ += _COMMON_DOC + (
        """    classes : AccessClasses, optional
        Classes to use (e.g. to share them across plans); default
        :func:`shared_classes` of these areas.
    scheme, k :
        Passed to :func:`shared_classes` when ``classes`` is not given
        (population-weighted quantiles by default).
"""
        if _builder is not change_map
        else ""
    )
    if _builder is layered_map:
        _builder.__doc__ += _EXTRA_DOC
if before_after_map.__doc__ is not None:
    before_after_map.__doc__ += """
    Returns
    -------
    branca.element.Figure
        One page holding both maps; save it with
        :func:`accessplan.maps.offline.save_offline`.
    """
if layered_map.__doc__ is not None:
    layered_map.__doc__ += """
    Returns
    -------
    folium.Map
    """
if change_map.__doc__ is not None:
    change_map.__doc__ += """
    Returns
    -------
    folium.Map
    """
