"""QGIS-ready styles in the plan's GeoPackage (QGIS's ``layer_styles`` table).

QGIS looks for a table ``layer_styles`` in a GeoPackage and applies, when a
layer is opened, the row of that layer marked ``useAsDefault``; the other rows
are offered under Layer Properties > Style. The table and its columns are the
ones QGIS itself creates (a GDAL attribute table with FID ``id``, registered in
``gpkg_contents`` as ``attributes``); the rows point at a layer by
``f_table_name`` and ``f_geometry_column``, with an empty ``f_table_schema``
(QGIS filters on ``f_table_schema=''``).

The styles are written as QML (QGIS's style XML) in the one styling of every
accessplan output (see :mod:`accessplan.maps.classes`):

* access: a graduated renderer whose ranges are the shared class bounds and
  whose colours are ``classes.colors`` (YlGnBu, dark = high access); the
  "0 (no access)" range is :data:`NO_ACCESS_COLOR` under a line-pattern fill
  (diagonal hatching in :data:`NO_ACCESS_HATCH`); an area with no score (NULL)
  is solid :data:`NO_DATA` grey ("no score"; the renderer classifies
  ``coalesce(column, -1)`` so NULL falls in its own range at -1, access being
  never negative);
* change: a graduated renderer on ``access_change`` with an odd number of equal
  classes from ``-m`` to ``+m`` (symmetric, so the whole diverging
  :data:`CHANGE_RAMP` is used and the middle class, around 0, is white);
* sites: existing vs new sites (categories on ``new``), labelled with their name.

Only the ``layer_styles`` table (and its ``gpkg_contents`` row) is written; the
layers' attributes are never touched. Imports neither QGIS nor matplotlib.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import branca
import numpy as np

from accessplan.data.errors import ProblemCollector
from accessplan.maps.class_labels import (
    class_labels,
    distinct_digits,
    format_number,
    scale_label,
)
from accessplan.maps.classes import (
    CHANGE_RAMP,
    NO_ACCESS_HATCH,
    NO_DATA,
    AccessClasses,
)

__all__ = [
    "LAYER_STYLES_COLUMNS",
    "LayerStyle",
    "access_style_qml",
    "change_style_qml",
    "read_layer_styles",
    "sites_style_qml",
    "style_plan_geopackage",
    "write_layer_styles",
]

#: the columns of QGIS's ``layer_styles`` table, in QGIS's order
LAYER_STYLES_COLUMNS = (
    "id",
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
)
# The declaration GDAL's GeoPackage driver writes for the fields QGIS creates
# (qgsogrprovidermetadata.cpp saveStyle: strings of width 256/30, useAsDefault an
# integer of subtype boolean, update_time a date-time defaulting to CURRENT_TIMESTAMP).
_CREATE_LAYER_STYLES = """
CREATE TABLE "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""
_QGIS_VERSION = "3.28.0-Firenze"
_NO_SCORE_VALUE = -1.0
_NEW_SITE_COLOR = "#e6007e"
_EXISTING_SITE_COLOR = "#000000"
_CANDIDATE_COLOR = "#969696"
_STYLE_CATEGORIES = "Symbology|Labeling"


@dataclass(frozen=True)
class LayerStyle:
    """One row of the ``layer_styles`` table.

    Attributes
    ----------
    layer : str
        The GeoPackage layer (``f_table_name``).
    name : str
        The style's name in QGIS (``styleName``, at most 30 characters).
    qml : str
        The QML document.
    default : bool
        Whether QGIS applies it when the layer is opened (one per layer).
    description : str
    """

    layer: str
    name: str
    qml: str
    default: bool = True
    description: str = ""


# --------------------------------------------------------------------------
# QML pieces
def _rgba(color: str, alpha: int = 255) -> str:
    text = color.lstrip("#")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


def _number(value: float) -> str:
    """Shortest text that reads back as the same double."""
    return repr(float(value))


def _set_props(layer: ET.Element, props: Mapping[str, str]) -> None:
    """Symbol-layer properties in both QML forms: ``<Option>`` map (QGIS >= 3.26) and ``<prop>``."""
    option = ET.SubElement(layer, "Option", type="Map")
    for key in sorted(props):
        ET.SubElement(option, "Option", name=key, value=str(props[key]), type="QString")
    for key in sorted(props):
        ET.SubElement(layer, "prop", k=key, v=str(props[key]))


def _data_defined(parent: ET.Element, expressions: Mapping[str, str] | None = None) -> None:
    dd = ET.SubElement(parent, "data_defined_properties")
    root = ET.SubElement(dd, "Option", type="Map")
    ET.SubElement(root, "Option", name="name", value="", type="QString")
    props = ET.SubElement(root, "Option", name="properties")
    if expressions:
        props.set("type", "Map")
        for key, expression in expressions.items():
            prop = ET.SubElement(props, "Option", name=key, type="Map")
            ET.SubElement(prop, "Option", name="active", value="true", type="bool")
            ET.SubElement(prop, "Option", name="expression", value=expression, type="QString")
            ET.SubElement(prop, "Option", name="type", value="3", type="int")  # expression
    ET.SubElement(root, "Option", name="type", value="collection", type="QString")


def _symbol(parent: ET.Element, name: str, kind: str) -> ET.Element:
    symbol = ET.SubElement(
        parent,
        "symbol",
        name=name,
        type=kind,
        alpha="1",
        clip_to_extent="1",
        force_rhr="0",
    )
    _data_defined(symbol)
    return symbol


def _symbol_layer(symbol: ET.Element, cls: str, props: Mapping[str, str], dd=None) -> ET.Element:
    attrs = {"class": cls, "enabled": "1", "locked": "0", "pass": "0"}
    layer = ET.SubElement(symbol, "layer", attrs)
    _set_props(layer, props)
    _data_defined(layer, dd)
    return layer


def _fill_symbol(parent: ET.Element, name: str, color: str, *, hatch: bool = False) -> None:
    symbol = _symbol(parent, name, "fill")
    _symbol_layer(
        symbol,
        "SimpleFill",
        {
            "color": _rgba(color),
            "style": "solid",
            "outline_color": "255,255,255,255",
            "outline_style": "solid",
            "outline_width": "0.1",
            "outline_width_unit": "MM",
            "joinstyle": "bevel",
        },
    )
    if hatch:
        # diagonal lines over the fill: "no access" stays distinct in grayscale
        pattern = _symbol_layer(
            symbol,
            "LinePatternFill",
            {
                "angle": "45",
                "color": _rgba(NO_ACCESS_HATCH),
                "distance": "1.6",
                "distance_unit": "MM",
                "line_width": "0.3",
                "line_width_unit": "MM",
                "offset": "0",
                "offset_unit": "MM",
                "coordinate_reference": "feature",
                "clip_mode": "during_render",
            },
        )
        line = _symbol(pattern, f"@{name}@1", "line")
        _symbol_layer(
            line,
            "SimpleLine",
            {
                "line_color": _rgba(NO_ACCESS_HATCH),
                "line_style": "solid",
                "line_width": "0.3",
                "line_width_unit": "MM",
                "capstyle": "square",
                "joinstyle": "bevel",
            },
        )


def _marker_layer(symbol, color, shape, size_mm, *, outline="#000000", size_expression=None):
    _symbol_layer(
        symbol,
        "SimpleMarker",
        {
            "color": _rgba(color),
            "name": shape,
            "size": _number(size_mm),
            "size_unit": "MM",
            "outline_color": _rgba(outline),
            "outline_style": "solid",
            "outline_width": "0.2",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "angle": "0",
        },
        {"size": size_expression} if size_expression else None,
    )


def _marker_symbol(
    parent: ET.Element, name: str, color: str, shape: str, size_mm: float, size_expression=None
) -> None:
    symbol = _symbol(parent, name, "marker")
    _marker_layer(symbol, color, shape, size_mm, size_expression=size_expression)


def _class_symbol(parent: ET.Element, name: str, color: str, *, hatch: bool, points: bool) -> None:
    """A class's symbol: a fill for polygons, a 3 mm circle for point areas.

    For points "no access" is the light circle crossed by an ``x`` in the
    hatch colour (a marker has no hatching), still distinct in grayscale.
    """
    if not points:
        _fill_symbol(parent, name, color, hatch=hatch)
        return
    symbol = _symbol(parent, name, "marker")
    _marker_layer(symbol, color, "circle", 3.0, outline="#636363")
    if hatch:
        _marker_layer(symbol, NO_ACCESS_HATCH, "cross2", 2.4, outline=NO_ACCESS_HATCH)


def _qgis_root(*, labels: bool = False) -> ET.Element:
    return ET.Element(
        "qgis",
        version=_QGIS_VERSION,
        styleCategories=_STYLE_CATEGORIES,
        labelsEnabled="1" if labels else "0",
    )


def _to_qml(root: ET.Element) -> str:
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    ET.indent(root, space=" ")
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _graduated(root: ET.Element, attr: str) -> tuple[ET.Element, ET.Element, ET.Element]:
    renderer = ET.SubElement(
        root,
        "renderer-v2",
        type="graduatedSymbol",
        attr=attr,
        graduatedMethod="GraduatedColor",
        symbollevels="0",
        forceraster="0",
        enableorderby="0",
        referencescale="-1",
    )
    return renderer, ET.SubElement(renderer, "ranges"), ET.SubElement(renderer, "symbols")


def _range(ranges: ET.Element, lower: float, upper: float, symbol: int, label: str) -> None:
    ET.SubElement(
        ranges,
        "range",
        lower=_number(lower),
        upper=_number(upper),
        symbol=str(symbol),
        label=label,
        render="true",
    )


def _finish_graduated(renderer: ET.Element, method: str, *, points: bool) -> None:
    source = ET.SubElement(renderer, "source-symbol")
    _class_symbol(source, "0", NO_DATA, hatch=False, points=points)
    ET.SubElement(renderer, "classificationMethod", id=method)
    ET.SubElement(renderer, "rotation")
    ET.SubElement(renderer, "sizescale")


# --------------------------------------------------------------------------
# the three styles
def access_style_qml(
    classes: AccessClasses,
    *,
    column: str = "access_after",
    access_scale: float = 1.0,
    access_units: str | None = None,
    points: bool = False,
) -> str:
    """QML of the access layer: the shared classes, "no access" hatched, NULL "no score".

    Parameters
    ----------
    classes : AccessClasses
        The classification of the web maps and figures (raw values).
    column : str, default "access_after"
        The access column the renderer classifies.
    access_scale : float, default 1.0
        Display multiplier of the range labels (e.g. 1000: "per 1,000");
        the range bounds stay raw, as the column.
    access_units : str, optional
        Recorded as a comment at the top of the QML.
    points : bool, default False
        Point areas: 3 mm circles in the class colours ("no access" crossed).

    Returns
    -------
    str
        A QML document with a ``graduatedSymbol`` renderer: one range per
        class (``lower`` = previous bound or ``classes.lower``, ``upper`` =
        the class bound; the zero class is [0, 0] and comes first, so 0 never
        falls in the next range) plus a "no score" range at -1 for NULL.
    """
    root = _qgis_root()
    attr = f"coalesce({_quoted(column)}, {_number(_NO_SCORE_VALUE)})"
    renderer, ranges, symbols = _graduated(root, attr)
    labels = class_labels(classes, scale=access_scale)
    edges = [float(classes.lower), *(float(b) for b in classes.bins)]
    for i in range(classes.k):
        hatch = classes.zero_class and i == 0
        lower = 0.0 if classes.zero_class and i == 1 else edges[i]
        _range(ranges, lower, edges[i + 1], i, labels[i])
        _class_symbol(symbols, str(i), classes.colors[i], hatch=hatch, points=points)
    _range(ranges, _NO_SCORE_VALUE, _NO_SCORE_VALUE, classes.k, "no score")
    _class_symbol(symbols, str(classes.k), NO_DATA, hatch=False, points=points)
    method = "Quantile" if classes.scheme == "quantiles" else "Custom"
    _finish_graduated(renderer, method, points=points)
    units = access_units or scale_label(access_scale)
    if units:
        root.insert(0, ET.Comment(f" access in {units}; bounds are raw values "))
    return _to_qml(root)


def _ramp_colors(n: int) -> list:
    ramp = getattr(branca.colormap.linear, f"{CHANGE_RAMP}_11")
    stops = (np.arange(n) + 0.5) / n
    return [ramp(ramp.vmin + s * (ramp.vmax - ramp.vmin))[:7] for s in stops]


def change_style_qml(
    limit: float,
    *,
    column: str = "access_change",
    n_classes: int = 7,
    access_scale: float = 1.0,
    points: bool = False,
) -> str:
    """QML of the change layer: ``n_classes`` equal classes from ``-limit`` to ``+limit``.

    Parameters
    ----------
    limit : float
        ``max |change|`` in raw units (> 0); the classes are symmetric about 0.
    column : str, default "access_change"
    n_classes : int, default 7
        Odd, so the middle class holds 0 and is the white middle of the ramp.
    access_scale : float, default 1.0
        Display multiplier of the labels.
    points : bool, default False
        Point areas: 3 mm circles instead of fills.

    Returns
    -------
    str
        A QML document with a ``graduatedSymbol`` renderer on
        ``coalesce(column, -1e300)``: colours from :data:`CHANGE_RAMP` (red =
        loss, blue = gain) and NULL ("no score") in a grey range of its own
        at -1e300, far below any change.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If ``limit`` is not finite and > 0 or ``n_classes`` is not an odd integer >= 3.
    """
    problems = ProblemCollector(what="change style")
    if not (isinstance(limit, int | float | np.floating) and math.isfinite(limit) and limit > 0):
        problems.add(f"limit must be a finite number > 0, got {limit!r}")
    if not isinstance(n_classes, int | np.integer) or n_classes < 3 or n_classes % 2 == 0:
        problems.add(f"n_classes must be an odd integer >= 3, got {n_classes!r}")
    problems.raise_if_any()
    edges = np.linspace(-float(limit), float(limit), int(n_classes) + 1)
    # the change never reaches -1e300: NULL gets its own grey range far below every class
    no_score = -1e300
    root = _qgis_root()
    attr = f"coalesce({_quoted(column)}, {_number(no_score)})"
    renderer, ranges, symbols = _graduated(root, attr)
    shown = edges * access_scale
    digits = distinct_digits(shown, min_digits=2)

    def signed(v: float) -> str:
        text = format_number(v, digits)
        return f"+{text}" if v > 0 else text

    for i, color in enumerate(_ramp_colors(int(n_classes))):
        _range(
            ranges, edges[i], edges[i + 1], i, f"{signed(shown[i])} \u2013 {signed(shown[i + 1])}"
        )
        _class_symbol(symbols, str(i), color, hatch=False, points=points)
    _range(ranges, no_score, no_score, int(n_classes), "no score")
    _class_symbol(symbols, str(int(n_classes)), NO_DATA, hatch=False, points=points)
    _finish_graduated(renderer, "EqualInterval", points=points)
    return _to_qml(root)


def sites_style_qml(
    *,
    new_column: str | None = "new",
    label_expression: str | None = '"site_id"',
    capacity_column: str | None = None,
    capacity_max: float | None = None,
    kind: str = "sites",
) -> str:
    """QML of a sites layer: existing sites black triangles, new sites magenta stars.

    Parameters
    ----------
    new_column : str or None, default "new"
        Boolean column marking the new sites; None draws every feature as a new
        site (the ``new_sites`` layer).
    label_expression : str or None
        QGIS expression of the label (e.g. ``'coalesce("name", "site_id")'``);
        None for no labels.
    capacity_column : str, optional
        Size the existing sites' markers by this column (area proportional,
        2.5 to 6 mm); new sites stay 5 mm stars.
    capacity_max : float, optional
        The largest capacity (the 6 mm marker); required with ``capacity_column``.
    kind : {"sites", "candidates"}
        ``"candidates"``: small grey circles, no categories.

    Returns
    -------
    str
        A QML document (``categorizedSymbol`` renderer on
        ``if(new_column, 'new', 'existing')``, or ``singleSymbol``).
    """
    size = None
    if capacity_column and capacity_max and capacity_max > 0:
        size = (
            f"2.5 + 3.5 * sqrt(coalesce({_quoted(capacity_column)}, 0) / {_number(capacity_max)})"
        )
    root = _qgis_root(labels=label_expression is not None)
    if kind == "candidates":
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0")
        symbols = ET.SubElement(renderer, "symbols")
        _marker_symbol(symbols, "0", _CANDIDATE_COLOR, "circle", 2.0)
    elif new_column is None:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0")
        symbols = ET.SubElement(renderer, "symbols")
        _marker_symbol(symbols, "0", _NEW_SITE_COLOR, "star", 5.0, size)
    else:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            type="categorizedSymbol",
            attr=f"if({_quoted(new_column)}, 'new', 'existing')",
            symbollevels="0",
            forceraster="0",
            enableorderby="0",
            referencescale="-1",
        )
        categories = ET.SubElement(renderer, "categories")
        for i, (value, label) in enumerate((("existing", "existing site"), ("new", "new site"))):
            ET.SubElement(
                categories, "category", value=value, symbol=str(i), label=label, render="true"
            )
        symbols = ET.SubElement(renderer, "symbols")
        _marker_symbol(symbols, "0", _EXISTING_SITE_COLOR, "triangle", 3.0, size)
        # new sites: the plan's message, never smaller than a 5 mm star
        _marker_symbol(symbols, "1", _NEW_SITE_COLOR, "star", 5.0)
    if label_expression is not None:
        _labels(root, label_expression)
    return _to_qml(root)


def _labels(root: ET.Element, expression: str) -> None:
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style = ET.SubElement(
        settings,
        "text-style",
        fieldName=expression,
        isExpression="1",
        fontSize="8",
        fontSizeUnit="Point",
        textColor="0,0,0,255",
        textOpacity="1",
        fontWeight="50",
    )
    ET.SubElement(
        style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="1",
    )
    # 6: cartographic placement around the point; labels may hide each other rather than clutter
    ET.SubElement(settings, "placement", placement="6", dist="1", distUnits="MM")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="0", scaleVisibility="0")


# --------------------------------------------------------------------------
# the GeoPackage table
def _geometry_columns(con: sqlite3.Connection) -> dict:
    rows = con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()
    return {table: column for table, column in rows}


def _ensure_table(con: sqlite3.Connection) -> None:
    exists = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
    ).fetchone()
    if not exists:
        con.execute(_CREATE_LAYER_STYLES)
    registered = con.execute(
        "SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles'"
    ).fetchone()
    if not registered:
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
            "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', '', "
            "strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )


def _as_styles(styles) -> list:
    if isinstance(styles, Mapping):
        return [LayerStyle(layer=layer, name=layer, qml=qml) for layer, qml in styles.items()]
    return list(styles)


def write_layer_styles(gpkg_path, styles: Mapping[str, str] | list) -> Path:
    """Store QML styles in the ``layer_styles`` table of a GeoPackage, as QGIS does.

    Creates the table (QGIS's schema, registered in ``gpkg_contents`` as an
    ``attributes`` table) when missing. A style replaces an earlier row of the
    same layer and name; a default style unsets the layer's earlier default,
    so each layer has at most one.

    Parameters
    ----------
    gpkg_path : str or os.PathLike
        An existing GeoPackage.
    styles : mapping of layer name to QML, or list of LayerStyle
        A mapping gives each layer one default style named after the layer.

    Returns
    -------
    pathlib.Path
        ``gpkg_path``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: the file is missing or not a GeoPackage, a
        layer is not a feature layer of it, a style has no QML or a name
        longer than 30 characters, a layer gets two default styles.
    """
    path = Path(gpkg_path)
    items = _as_styles(styles)
    problems = ProblemCollector(what=str(path))
    if not path.is_file():
        problems.add("GeoPackage not found")
        problems.raise_if_any()
    con = sqlite3.connect(path)
    try:
        try:
            geometry = _geometry_columns(con)
        except sqlite3.DatabaseError as exc:
            problems.add(f"not a GeoPackage ({exc})")
            problems.raise_if_any()
        defaults: dict = {}
        for row, style in enumerate(items, start=1):
            if style.layer not in geometry:
                problems.add(f"no feature layer {style.layer!r}", rows=(row,))
            if not style.qml or not str(style.qml).lstrip().startswith(("<!DOCTYPE", "<qgis")):
                problems.add(f"style {style.name!r} is not a QML document", rows=(row,))
            if not style.name or len(style.name) > 30:
                problems.add(
                    f"style name must have 1 to 30 characters: {style.name!r}", rows=(row,)
                )
            if style.default:
                defaults[style.layer] = defaults.get(style.layer, 0) + 1
        for layer, count in defaults.items():
            if count > 1:
                problems.add(f"layer {layer!r} has {count} default styles; QGIS applies one")
        problems.raise_if_any()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with con:
            _ensure_table(con)
            for style in items:
                where = (style.layer, geometry[style.layer])
                if style.default:
                    con.execute(
                        "UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_schema = '' "
                        "AND f_table_name = ? AND f_geometry_column = ?",
                        where,
                    )
                con.execute(
                    "DELETE FROM layer_styles WHERE f_table_schema = '' AND f_table_name = ? "
                    "AND f_geometry_column = ? AND styleName = ?",
                    (*where, style.name),
                )
                con.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                    "description, owner, ui, update_time) "
                    "VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', NULL, ?)",
                    (*where, style.name, style.qml, int(style.default), style.description, stamp),
                )
            con.execute(
                "UPDATE gpkg_contents SET last_change = ? WHERE table_name = 'layer_styles'",
                (stamp,),
            )
    finally:
        con.close()
    return path


def read_layer_styles(gpkg_path) -> list:
    """The rows of the ``layer_styles`` table as dicts (empty when there is none)."""
    con = sqlite3.connect(Path(gpkg_path))
    try:
        con.row_factory = sqlite3.Row
        exists = con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'layer_styles'"
        ).fetchone()
        if not exists:
            return []
        return [dict(r) for r in con.execute("SELECT * FROM layer_styles ORDER BY id")]
    finally:
        con.close()


def _columns(path: Path, layer: str) -> tuple:
    import pyogrio

    return tuple(pyogrio.read_info(path, layer=layer)["fields"])


def _capacity_max(path: Path, layer: str, column: str) -> float | None:
    import pyogrio

    frame = pyogrio.read_dataframe(path, layer=layer, columns=[column], read_geometry=False)
    values = np.asarray(frame[column], dtype=float)
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size and values.max() > 0 else None


def style_plan_geopackage(
    gpkg_path,
    *,
    classes: AccessClasses,
    change_limit: float,
    access_scale: float = 1.0,
    access_units: str | None = None,
) -> list:
    """Style whatever plan layers the GeoPackage holds, in the styling of the web maps.

    ``areas`` gets three styles: "access after" (default), "access before" and
    "change in access"; ``sites_after`` existing vs new sites sized by
    ``capacity`` and labelled; ``new_sites`` stars; ``candidates`` small grey
    circles. Layers that are missing are skipped; the attributes are untouched.

    Parameters
    ----------
    gpkg_path : str or os.PathLike
        The plan's GeoPackage (``plan.gpkg``).
    classes : AccessClasses
        The shared classes of the maps (:func:`accessplan.maps.classes.shared_classes`).
    change_limit : float
        ``max |access_change|`` in raw units (used when > 0; else 1 unit of
        the smallest class bound is used so the style stays valid).
    access_scale : float, default 1.0
        Display multiplier of the labels (e.g. 1000).
    access_units : str, optional
        Units of access (e.g. ``"beds per 1,000 people aged 65+"``).

    Returns
    -------
    list of LayerStyle
        The styles written.
    """
    import pyogrio

    path = Path(gpkg_path)
    kinds = {str(n): str(g) for n, g in pyogrio.list_layers(path)} if path.is_file() else {}
    layers = set(kinds)
    styles = []
    if "areas" in layers:
        fields = _columns(path, "areas")
        points = "point" in kinds["areas"].lower()
        for column, name, default in (
            ("access_after", "access after", True),
            ("access_before", "access before", False),
        ):
            if column in fields:
                qml = access_style_qml(
                    classes,
                    column=column,
                    access_scale=access_scale,
                    access_units=access_units,
                    points=points,
                )
                styles.append(LayerStyle("areas", name, qml, default, f"{name} (shared classes)"))
        if "access_change" in fields:
            limit = float(change_limit)
            if not (math.isfinite(limit) and limit > 0):
                limit = 1.0
            has_default = any(s.default for s in styles)
            styles.append(
                LayerStyle(
                    "areas",
                    "change in access",
                    change_style_qml(limit, access_scale=access_scale, points=points),
                    not has_default,
                    "after - before, symmetric diverging classes",
                )
            )
    for layer in ("sites_after", "new_sites", "candidates"):
        if layer not in layers:
            continue
        fields = _columns(path, layer)
        label = 'coalesce("name", "site_id")' if "name" in fields else '"site_id"'
        capacity = "capacity" if "capacity" in fields else None
        qml = sites_style_qml(
            new_column="new" if layer == "sites_after" and "new" in fields else None,
            label_expression=None if layer == "candidates" else label,
            capacity_column=capacity,
            capacity_max=_capacity_max(path, layer, capacity) if capacity else None,
            kind="candidates" if layer == "candidates" else "sites",
        )
        styles.append(LayerStyle(layer, layer.replace("_", " "), qml, True, "accessplan style"))
    if styles:
        write_layer_styles(path, styles)
    return styles
