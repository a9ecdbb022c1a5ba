"""Tests of accessplan.maps.qgis: QML styles and QGIS's layer_styles table in a GeoPackage."""

from __future__ import annotations

import sqlite3
from xml.etree import ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from accessplan.data.errors import InputValidationError
from accessplan.maps import qgis as Q
from accessplan.maps.class_labels import class_labels
from accessplan.maps.classes import NO_ACCESS_HATCH, NO_DATA, shared_classes

BEFORE = np.array([0.0, 0.001, 0.002, 0.003, np.nan, 0.0])
AFTER = np.array([0.001, 0.001, 0.0025, 0.004, np.nan, 0.0])


@pytest.fixture
def classes():
    return shared_classes(BEFORE, AFTER, k=5)


@pytest.fixture
def plan_gpkg(tmp_path):
    areas = gpd.GeoDataFrame(
        {
            "area_id": list("abcdef"),
            "population": [10.0, 20, 30, 40, 0, 5],
            "access_before": BEFORE,
            "access_after": AFTER,
            "access_change": AFTER - BEFORE,
            "group": ["N", "N", "S", "S", "S", "N"],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(6)],
        crs="EPSG:32631",
    )
    sites = gpd.GeoDataFrame(
        {
            "site_id": ["H1", "H2", "C1"],
            "name": ["General", "St Mary", None],
            "new": [False, False, True],
            "capacity": [100.0, 40.0, 20.0],
        },
        geometry=[Point(0, 0), Point(2, 0), Point(4, 0)],
        crs="EPSG:32631",
    )
    path = tmp_path / "plan.gpkg"
    areas.to_file(path, layer="areas", engine="pyogrio")
    sites.to_file(path, layer="sites_after", engine="pyogrio")
    sites[sites["new"]].to_file(path, layer="new_sites", engine="pyogrio")
    return path, areas, sites


def _xml(qml: str) -> ET.Element:
    assert qml.startswith("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>")
    root = ET.fromstring(qml)  # well-formed, or this raises
    assert root.tag == "qgis"
    return root


def _fill_colors(symbol: ET.Element) -> dict:
    out = {}
    for layer in symbol.findall("layer"):
        props = {o.get("name"): o.get("value") for o in layer.find("Option")}
        legacy = {p.get("k"): p.get("v") for p in layer.findall("prop")}
        assert props == legacy  # both QML forms say the same
        out[layer.get("class")] = props
    return out


def _rgba(color: str) -> str:
    return Q._rgba(color)


def _qgis_range_for(ranges, value):
    """QGIS's QgsGraduatedSymbolRenderer::rangeForValue: first range with lower <= v <= upper."""
    for i, (lower, upper) in enumerate(ranges):
        if lower <= value <= upper:
            return i
    return None


def test_access_qml_ranges_colours_and_hatch(classes):
    assert classes.zero_class and classes.bins[0] == 0.0
    root = _xml(Q.access_style_qml(classes, access_scale=1000))
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == 'coalesce("access_after", -1.0)'
    ranges = renderer.findall("ranges/range")
    assert len(ranges) == classes.k + 1
    bounds = [(float(r.get("lower")), float(r.get("upper"))) for r in ranges]
    # the class ranges ARE the shared class bounds: uppers = bins, exactly
    assert [u for _, u in bounds[:-1]] == list(classes.bins)
    assert bounds[0] == (0.0, 0.0) and bounds[1][0] == 0.0
    assert bounds[-1] == (-1.0, -1.0)  # NULL -> coalesce -1 -> "no score"
    labels = [r.get("label") for r in ranges]
    assert labels == [*class_labels(classes, scale=1000), "no score"]
    # QGIS's first-match rule puts every value in the class of the figures and web maps
    values = np.r_[BEFORE, AFTER, 0.0015, 0.0005]
    for v in values:
        got = _qgis_range_for(bounds, -1.0 if np.isnan(v) else v)
        want = classes.k if np.isnan(v) else int(classes.classify([v])[0])
        assert got == want, v
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    for r in ranges:
        assert r.get("symbol") in symbols
    for i, color in enumerate(classes.colors):
        layers = _fill_colors(symbols[str(i)])
        assert layers["SimpleFill"]["color"] == _rgba(color)
        if i == 0:  # "no access": a line-pattern fill over the light fill
            assert layers["LinePatternFill"]["color"] == _rgba(NO_ACCESS_HATCH)
            pattern = next(
                x for x in symbols["0"].findall("layer") if x.get("class") == "LinePatternFill"
            )
            line = pattern.find("symbol")
            assert line.get("type") == "line" and line.get("name") == "@0@1"
            assert _fill_colors(line)["SimpleLine"]["line_color"] == _rgba(NO_ACCESS_HATCH)
        else:
            assert set(layers) == {"SimpleFill"}
    no_score = _fill_colors(symbols[str(classes.k)])
    assert no_score == {"SimpleFill": no_score["SimpleFill"]}
    assert no_score["SimpleFill"]["color"] == _rgba(NO_DATA)


def test_access_qml_column_and_escaping(classes):
    root = _xml(Q.access_style_qml(classes, column='odd "name" & <x>'))
    attr = root.find("renderer-v2").get("attr")
    assert attr == 'coalesce("odd ""name"" & <x>", -1.0)'


def test_change_qml_symmetric_diverging():
    root = _xml(Q.change_style_qml(0.004, n_classes=7, access_scale=1000))
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol"
    ranges = renderer.findall("ranges/range")
    bounds = np.array([(float(r.get("lower")), float(r.get("upper"))) for r in ranges[:-1]])
    np.testing.assert_allclose(bounds[:, 0], np.linspace(-0.004, 0.004, 8)[:-1])
    np.testing.assert_allclose(bounds[:, 1], np.linspace(-0.004, 0.004, 8)[1:])
    np.testing.assert_allclose(bounds[:, 0], -bounds[::-1, 1])  # symmetric about 0
    assert _qgis_range_for(bounds, 0.0) == 3  # the middle class holds no change
    symbols = {s.get("name"): s for s in renderer.findall("symbols/symbol")}
    colors = [
        tuple(int(c) for c in _fill_colors(symbols[str(i)])["SimpleFill"]["color"].split(","))
        for i in range(7)
    ]
    assert colors[0][0] > colors[0][2]  # red end = loss
    assert colors[-1][2] > colors[-1][0]  # blue end = gain
    assert min(colors[3][:3]) > 230  # white-ish middle
    assert ranges[0].get("label") == "-4.0 \u2013 -2.9"
    assert ranges[-1].get("label") == "no score"
    with pytest.raises(InputValidationError) as err:
        Q.change_style_qml(0.0, n_classes=4)
    assert "limit" in str(err.value) and "n_classes" in str(err.value)


def test_sites_qml_categories_size_and_labels():
    root = _xml(
        Q.sites_style_qml(
            label_expression='coalesce("name", "site_id")',
            capacity_column="capacity",
            capacity_max=100.0,
        )
    )
    assert root.get("labelsEnabled") == "1"
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "if(\"new\", 'new', 'existing')"
    cats = [(c.get("value"), c.get("label")) for c in renderer.findall("categories/category")]
    assert cats == [("existing", "existing site"), ("new", "new site")]
    size = renderer.findall(".//layer/data_defined_properties//Option[@name='size']")
    assert len(size) == 1  # existing sites sized by capacity; new sites stay 5 mm stars
    expr = size[0].find("Option[@name='expression']").get("value")
    assert "capacity" in expr and "100.0" in expr
    text = root.find("labeling/settings/text-style")
    assert (
        text.get("fieldName") == 'coalesce("name", "site_id")' and text.get("isExpression") == "1"
    )


def test_write_layer_styles_has_qgis_schema(plan_gpkg, classes):
    path, areas, _ = plan_gpkg
    qml = Q.access_style_qml(classes)
    Q.write_layer_styles(path, {"areas": qml})
    con = sqlite3.connect(path)
    try:
        info = con.execute("PRAGMA table_info(layer_styles)").fetchall()
        assert tuple(row[1] for row in info) == Q.LAYER_STYLES_COLUMNS
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'layer_styles'").fetchone()[0]
        assert '"id" INTEGER PRIMARY KEY AUTOINCREMENT' in sql
        contents = con.execute(
            "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
        ).fetchall()
        assert contents == [("attributes", "layer_styles")]
    finally:
        con.close()
    (row,) = Q.read_layer_styles(path)
    assert row["f_table_name"] == "areas"
    assert row["f_table_schema"] == "" and row["f_table_catalog"] == ""
    assert row["f_geometry_column"] == pyogrio.read_info(path, layer="areas")["geometry_name"]
    assert row["styleName"] == "areas" and row["useAsDefault"] == 1
    assert row["styleQML"] == qml
    # GDAL still opens the file, sees the style table, and every attribute is intact
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"areas", "sites_after", "new_sites", "layer_styles"}
    back = pyogrio.read_dataframe(path, layer="areas")
    pd.testing.assert_frame_equal(
        back.drop(columns="geometry"), areas.drop(columns="geometry"), check_dtype=False
    )
    assert back.geometry.equals(areas.geometry)


def test_style_plan_geopackage_one_default_per_layer(plan_gpkg, classes):
    path, _, sites = plan_gpkg
    styles = Q.style_plan_geopackage(path, classes=classes, change_limit=0.001, access_scale=1000)
    assert [(s.layer, s.name, s.default) for s in styles] == [
        ("areas", "access after", True),
        ("areas", "access before", False),
        ("areas", "change in access", False),
        ("sites_after", "sites after", True),
        ("new_sites", "new sites", True),
    ]
    # styling again replaces rather than duplicates: still one row per style, one default per layer
    Q.style_plan_geopackage(path, classes=classes, change_limit=0.001, access_scale=1000)
    rows = Q.read_layer_styles(path)
    assert len(rows) == 5
    for layer in ("areas", "sites_after", "new_sites"):
        assert sum(r["useAsDefault"] for r in rows if r["f_table_name"] == layer) == 1
    by_name = {r["styleName"]: r for r in rows}
    before = _xml(by_name["access before"]["styleQML"]).find("renderer-v2")
    assert before.get("attr") == 'coalesce("access_before", -1.0)'
    sites_qml = _xml(by_name["sites after"]["styleQML"])
    assert sites_qml.find("labeling/settings/text-style").get("fieldName") == (
        'coalesce("name", "site_id")'
    )
    size = sites_qml.find(".//Option[@name='size']/Option[@name='expression']").get("value")
    assert "/ 100.0" in size  # the largest capacity of the layer
    new_qml = _xml(by_name["new sites"]["styleQML"]).find("renderer-v2")
    assert new_qml.get("type") == "singleSymbol"
    back = pyogrio.read_dataframe(path, layer="sites_after")
    assert list(back["name"]) == list(sites["name"]) and list(back["new"]) == [False, False, True]


def test_write_layer_styles_reports_every_problem(plan_gpkg, classes, tmp_path):
    path, _, _ = plan_gpkg
    qml = Q.access_style_qml(classes)
    styles = [
        Q.LayerStyle("areas", "a", qml, True),
        Q.LayerStyle("areas", "b", qml, True),
        Q.LayerStyle("nope", "c", qml, True),
        Q.LayerStyle("sites_after", "x" * 31, "not xml", False),
    ]
    with pytest.raises(InputValidationError) as err:
        Q.write_layer_styles(path, styles)
    text = str(err.value)
    for needle in ("2 default styles", "'nope'", "not a QML", "30 characters"):
        assert needle in text
    assert Q.read_layer_styles(path) == []  # nothing written
    with pytest.raises(InputValidationError, match="not found"):
        Q.write_layer_styles(tmp_path / "missing.gpkg", {"areas": qml})


def test_point_areas_get_marker_symbols(plan_gpkg, classes, tmp_path):
    _, areas, _ = plan_gpkg
    path = tmp_path / "points.gpkg"
    areas.assign(geometry=areas.geometry.centroid).to_file(path, layer="areas", engine="pyogrio")
    styles = Q.style_plan_geopackage(path, classes=classes, change_limit=0.001)
    assert [s.name for s in styles] == ["access after", "access before", "change in access"]
    for style in styles:
        renderer = _xml(style.qml).find("renderer-v2")
        kinds = {s.get("type") for s in renderer.findall("symbols/symbol")}
        assert kinds == {"marker"}  # a fill symbol draws nothing on a point layer
    zero = _xml(styles[0].qml).find("renderer-v2/symbols/symbol[@name='0']")
    layers = zero.findall("layer")
    names = [{o.get("name"): o.get("value") for o in x.find("Option")}["name"] for x in layers]
    assert names == ["circle", "cross2"]  # "no access": a light circle crossed in the hatch colour
    one = _xml(styles[0].qml).find("renderer-v2/symbols/symbol[@name='1']")
    assert len(one.findall("layer")) == 1
