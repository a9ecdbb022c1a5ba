"""Unit tests of the folium maps and the offline writer (no browser)."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from accessplan.data.demo import demo_path
from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.maps.classes import NO_ACCESS_COLOR, NO_ACCESS_HATCH, NO_DATA
from accessplan.maps.errors import RemoteAssetError
from accessplan.maps.escaping import html_text
from accessplan.maps.offline import find_remote_assets, render_offline_html, save_offline
from accessplan.maps.webmap import (
    before_after_map,
    change_colormap,
    change_map,
    layered_map,
    shared_classes,
)

N_AREAS = 30
HATCH_ID = "accessplan-no-access"
HATCH_FILL = f"url(#{HATCH_ID})"


def area_data(html: str) -> dict:
    """The page's one GeoJSON of areas (``var accessplan_areas_... = {...};``)."""
    found = re.findall(r"var accessplan_areas_[0-9a-f]+ = (\{.*?\});</script>", html, re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0])


def _layer_palettes(html: str) -> list:
    return [json.loads(p) for p in re.findall(r"var palette = (\[.*?\]);", html)]


def _legend_json(html: str) -> str:
    """The legend's HTML (it sits JSON-escaped in the page's script)."""
    found = re.findall(r'"legend accessplan-legend"\);\s*div\.innerHTML = (".*?");', html)
    assert len(found) == 1
    return json.loads(found[0])


def plan_frames():
    """30 demo areas with known access values, 11 hospitals + 2 new sites, an inequity table."""
    path = str(demo_path("region.gpkg"))
    areas = gpd.read_file(path, layer="areas").iloc[:N_AREAS].copy()
    hospitals = gpd.read_file(path, layer="hospitals")
    candidates = gpd.read_file(path, layer="candidates").iloc[:2]
    rng = np.random.default_rng(7)
    before = rng.uniform(0.0, 0.04, N_AREAS)
    before[:3] = 0.0
    change = np.r_[np.full(5, 0.01), np.full(5, -0.005), np.zeros(N_AREAS - 10)]
    areas["access_before"] = before
    areas["access_after"] = before + change
    areas["access_change"] = change
    sites = pd.concat(
        [
            hospitals[["site_id", "geometry"]].assign(new=False, capacity=hospitals["beds"]),
            candidates[["site_id", "geometry"]].assign(new=True, capacity=[40.0, 20.0]),
        ],
        ignore_index=True,
    )
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs=hospitals.crs)
    new_sites = pd.DataFrame(
        {
            "site_id": candidates["site_id"].to_numpy(),
            "units": [40, 20],
            "newly_covered": [7719.0, 1714.0],
            "marginal_gain": [2611.0, 1541.0],
            "name": candidates["name"].to_numpy(),
        }
    )
    inequity = pd.DataFrame(
        {"before": [0.146, 0.0836, 0.06], "after": [0.130, 0.0478, 0.0]},
        index=pd.Index(["gini", "theil", "share_zero"], name="measure"),
    )
    inequity["change"] = inequity["after"] - inequity["before"]
    return areas, sites, new_sites, inequity


@pytest.fixture(scope="module")
def frames():
    return plan_frames()


def _hex_to_rgb(color):
    color = color.lstrip("#")[:6]
    return np.array([int(color[i : i + 2], 16) for i in (0, 2, 4)])


def test_shared_classes_pool_before_and_after():
    # hand example: breaks come from the pooled six values, not from one panel
    # (values 1..6: no zero, so no "no access" class)
    before, after = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    classes = shared_classes(before, after, scheme="quantiles", k=2)
    assert not classes.population_weighted
    assert not classes.zero_class
    assert classes.bins == pytest.approx(np.quantile(np.r_[before, after], [0.5, 1.0]))
    assert classes.bins == pytest.approx((3.5, 6.0))
    assert list(classes.classify(before)) == [0, 0, 0]
    assert list(classes.classify(after)) == [1, 1, 1]
    assert classes.color([3.0])[0] != classes.color([4.0])[0]
    assert classes.labels() == ["1 \u2013 3.5", "3.5 \u2013 6"]


def test_shared_classes_intervals_hold_their_values(frames):
    areas, *_ = frames
    classes = shared_classes(areas["access_before"], areas["access_after"], scheme="quantiles", k=4)
    pooled = np.r_[areas["access_before"], areas["access_after"]]
    assert classes.lower == pytest.approx(pooled.min())
    assert classes.bins[-1] == pytest.approx(pooled.max())
    # every value sits in its class: bins[i-1] < v <= bins[i]
    idx = classes.classify(pooled)
    bins = np.asarray(classes.bins)
    assert np.all(pooled <= bins[idx])
    assert np.all((idx == 0) | (pooled > bins[np.maximum(idx - 1, 0)]))
    assert classes.color([np.nan]) == ["#bdbdbd"]


def test_zero_access_is_hatched_once_per_page_and_in_the_legend(frames):
    areas, sites, new_sites, _ = frames  # the first 3 areas have zero access before
    # access is never negative: clip the fixture's synthetic losses at 0
    areas = areas.assign(access_after=areas["access_after"].clip(lower=0.0))
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    assert classes.zero_class and classes.bins[0] == 0.0
    html = layered_map(areas, sites, new_sites, tiles=None).get_root().render()
    # one pattern per page, diagonal lines in NO_ACCESS_HATCH over NO_ACCESS_COLOR
    assert html.count(f'<pattern id="{HATCH_ID}"') == 1
    pattern = html[html.index(f'<pattern id="{HATCH_ID}"') :].split("</pattern>")[0]
    assert "rotate(45)" in pattern
    assert f'fill="{NO_ACCESS_COLOR}"' in pattern and f'stroke="{NO_ACCESS_HATCH}"' in pattern
    # the legend (JSON-escaped inside the script) has one hatched swatch, labelled
    legend = _legend_json(html)
    assert legend.count(HATCH_FILL) == 1
    assert "0 (no access)" in legend
    assert legend.index(HATCH_FILL) < legend.index("0 (no access)")
    # the areas' palette maps class 0 to the hatch; class 0 is exactly the zeros
    palette = _layer_palettes(html)[0]
    assert palette[0] == HATCH_FILL and HATCH_FILL not in palette[1:]
    data = area_data(html)
    for key, column in (("kb", "access_before"), ("ka", "access_after")):
        hatched = np.array([f["properties"][key] == 0 for f in data["features"]])
        np.testing.assert_array_equal(hatched, areas[column].to_numpy() == 0.0)


def test_population_weighted_quantiles_split_population_evenly():
    # 4 areas, one holds almost everybody: weighted quantile breaks must isolate it
    before = np.array([1.0, 2.0, 3.0, 4.0])
    pop = np.array([1.0, 1.0, 1.0, 97.0])
    classes = shared_classes(before, before, k=2, population=pop)
    assert classes.population_weighted
    # half of the population is reached only at value 4 -> one class up to 4, no break below
    assert classes.bins == (4.0,)
    unweighted = shared_classes(before, before, k=2)
    assert unweighted.bins[0] < 4.0


def test_before_after_panels_share_one_copy_of_the_areas_and_one_legend(frames):
    areas, sites, new_sites, inequity = frames
    fig = before_after_map(areas, sites, new_sites, inequity=inequity, tiles=None)
    html = fig.render()
    # two Leaflet maps, one legend, one inequity panel and our sync glue
    assert len(re.findall(r"= L\.map\(", html)) == 2
    assert html.count('"legend accessplan-legend"') == 1
    assert html.count("Inequity of access") == 1
    assert "accessplanSyncedMaps" in html
    # the geometry is in the page once, drawn by both panels
    names = re.findall(r"var (accessplan_areas_[0-9a-f]+) = ", html)
    assert len(names) == 1
    assert html.count(f"L.geoJSON({names[0]},") == 2
    # the class of every area is the shared classification of before / after
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    data = area_data(html)
    assert len(data["features"]) == len(areas)
    for key, column in (("kb", "access_before"), ("ka", "access_after")):
        got = [f["properties"][key] for f in data["features"]]
        assert got == list(classes.classify(areas[column]))
    palette = _layer_palettes(html)[0]
    assert palette[1:] == list(classes.colors[1:])
    # no jQuery, no d3: the page needs Leaflet only
    assert "jquery" not in html.lower() and "d3.min.js" not in html


def test_change_colours_diverge_around_zero(frames):
    areas, *_ = frames
    cmap = change_colormap(areas["access_change"])
    assert cmap.vmin == -cmap.vmax  # symmetric, centred at 0
    white = _hex_to_rgb(cmap(0.0))
    assert np.all(white > 240)  # no change is (near) white
    gain, loss = _hex_to_rgb(cmap(0.01)), _hex_to_rgb(cmap(-0.01))
    assert gain[2] > gain[0]  # gains blue
    assert loss[0] > loss[2]  # losses red
    # equal gains and losses are equally far from white
    assert np.abs(gain - white).sum() == pytest.approx(np.abs(loss - white).sum(), rel=0.15)


def test_change_map_colours_areas_by_sign(frames):
    areas, sites, new_sites, inequity = frames
    html = change_map(areas, sites, new_sites, inequity=inequity, tiles=None).get_root().render()
    cmap = change_colormap(areas["access_change"])
    got = [f["properties"]["c"] for f in area_data(html)["features"]]
    assert got == [cmap(v)[:7] for v in areas["access_change"]]
    assert {cmap(0.01)[:7], cmap(-0.005)[:7], cmap(0.0)[:7]} == set(got)
    assert "Inequity of access" in html and "Gini" in html and "Share with zero access" in html


def test_change_bar_uses_the_whole_symmetric_range_with_readable_ticks(frames):
    areas, sites, new_sites, inequity = frames
    html = (
        change_map(
            areas,
            sites,
            new_sites,
            inequity=inequity,
            access_scale=1000,
            access_units="beds per 1,000",
        )
        .get_root()
        .render()
    )
    # the fixture's changes are +0.01 and -0.005: limits +-0.01, shown x 1000
    legend = _legend_json(html)
    ticks = re.findall(r'left:(\d+)%">([^<]*)</span', legend)
    assert ticks == [("0", "-10"), ("25", "-5"), ("50", "0"), ("75", "+5"), ("100", "+10")]
    cmap = change_colormap(areas["access_change"])
    # both ends of the gradient are the ends of the ramp (the whole range is used)
    assert f"{cmap(-0.01)[:7]} 0%" in legend and f"{cmap(0.01)[:7]} 100%" in legend
    assert "loss" in legend and "gain" in legend and "beds per 1,000" in legend
    assert "d3" not in re.findall(r"<script[^>]*src=\"[^\"]*\"", html)


def test_tooltips_carry_the_fields(frames):
    areas, sites, new_sites, _ = frames
    html = layered_map(areas, sites, new_sites, tiles=None).get_root().render()
    for label in ("Area", "Population", "Access before", "Access after", "Rank after (1 = best)"):
        assert f'"{label}"' in html
    data = area_data(html)
    first = data["features"][0]["properties"]
    assert first["i"] == areas["area_id"].iloc[0]
    assert first["p"] == round(areas["population"].iloc[0])
    assert first["b"] == pytest.approx(areas["access_before"].iloc[0], rel=1e-3)
    # new site tooltip: units and reasons
    assert "units added: 40" in html and "newly covered population: 7,719" in html
    assert "marginal gain: 2,611" in html
    assert html.count("new site") == 2
    assert "site only" not in html
    # a new site opened with no units says so
    html = layered_map(areas, sites, new_sites.assign(units=[40, 0]), tiles=None)
    html = html.get_root().render()
    assert html.count("site only, no capacity") == 1


def test_marker_area_scales_with_capacity(frames):
    areas, sites, new_sites, _ = frames
    m = layered_map(areas, sites, new_sites, tiles=None, max_radius_px=20.0)
    markers = [c for c in _walk(m) if isinstance(c, folium.CircleMarker)]
    assert len(markers) == len(sites)
    cap_max = sites["capacity"].max()
    for marker, cap in zip(markers, _marker_capacities(markers, sites), strict=True):
        expected = max(4.0, 20.0 * np.sqrt(cap / cap_max))
        assert marker.options["radius"] == pytest.approx(expected)


def _marker_capacities(markers, sites):
    by_location = {}
    wgs = sites.to_crs(4326)
    for geom, cap in zip(wgs.geometry, sites["capacity"], strict=True):
        by_location[(round(geom.y, 6), round(geom.x, 6))] = cap
    return [by_location[(round(m.location[0], 6), round(m.location[1], 6))] for m in markers]


def _walk(element):
    for child in element._children.values():
        yield child
        yield from _walk(child)


def test_missing_columns_are_reported_together(frames):
    areas, *_ = frames
    broken = areas.drop(columns=["access_before", "population"])
    with pytest.raises(InputValidationError) as info:
        layered_map(broken, tiles=None)
    text = str(info.value)
    assert "access_before" in text and "population" in text


def test_save_offline_leaves_no_remote_asset(frames, tmp_path):
    areas, sites, new_sites, inequity = frames
    for name, make in (("ba", before_after_map), ("layers", layered_map), ("change", change_map)):
        obj = make(areas, sites, new_sites, inequity=inequity, tiles="OpenStreetMap")
        raw = obj.get_root().render()
        assert find_remote_assets(raw), "folium should ask for CDN assets before inlining"
        path = save_offline(obj, tmp_path / f"{name}.html")
        html = path.read_text(encoding="utf-8")
        assert find_remote_assets(html) == []
        assert "<script src" not in html.lower()
        assert re.search(r"version\s*=\s*\"1\.9\.3\"", html)  # Leaflet itself is inlined
        # tile templates in JavaScript are allowed (and are the only http URLs left)
        assert "tile.openstreetmap.org" in html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ba.html", "change.html", "layers.html"]


def test_save_offline_raises_on_injected_remote_script(frames, tmp_path):
    areas, sites, new_sites, _ = frames
    html = render_offline_html(change_map(areas, sites, new_sites, tiles=None))
    for tag in (
        '<script src="https://evil.example.com/x.js"></script>',
        "<script type='text/javascript' src='//cdn.example.org/y.js'></script>",
        '<link href="http://example.com/s.css" rel="stylesheet"/>',
    ):
        bad = html.replace("</head>", tag + "</head>", 1)
        target = tmp_path / "bad.html"
        with pytest.raises(RemoteAssetError) as info:
            save_offline(bad, target)
        assert isinstance(info.value, AccessplanError) and isinstance(info.value, ValueError)
        assert not target.exists()  # nothing half-written
        assert list(tmp_path.iterdir()) == []
    # a local script is fine
    ok = html.replace("</head>", '<script src="local.js"></script></head>', 1)
    assert save_offline(ok, tmp_path / "ok.html").exists()


# --------------------------------------------------------------------------- size, context, tiles
def _wavy_squares():
    """Two 1 km squares whose edges carry 1 m wiggles every 10 m, and a 0.5 m square."""
    x0, y0 = 500_000.0, 5_000_000.0
    shapes = []
    for i in range(2):
        ring = shapely.segmentize(box(x0 + i * 1000, y0, x0 + (i + 1) * 1000, y0 + 1000), 10.0)
        xy = np.asarray(ring.exterior.coords)
        wiggle = np.where(np.arange(len(xy)) % 2 == 0, 0.0, 1.0)
        xy[:, 1] = xy[:, 1] + wiggle * (np.abs(xy[:, 1] - y0) < 1e-6)  # bottom edge only
        xy[-1] = xy[0]
        shapes.append(Polygon(xy))
    shapes.append(box(x0 + 2500, y0, x0 + 2500.5, y0 + 0.5))  # tiny: must not vanish
    return gpd.GeoDataFrame(
        {
            "area_id": ["a", "b", "tiny"],
            "population": [10.0, 20.0, 1.0],
            "access_before": [0.0, 0.002, 0.001],
            "access_after": [0.001, 0.002, 0.001],
        },
        geometry=shapes,
        crs="EPSG:32631",
    )


def _coords(data):
    out = []
    for f in data["features"]:
        geom = shapely.from_geojson(json.dumps(f["geometry"]))
        out.append(shapely.get_coordinates(geom))
    return out


def test_display_shapes_are_simplified_rounded_and_none_vanishes():
    areas = _wavy_squares()
    n_in = shapely.get_num_coordinates(areas.geometry.to_numpy())
    data = area_data(change_map(areas, simplify_m=5).get_root().render())
    coords = _coords(data)
    assert [f["properties"]["i"] for f in data["features"]] == ["a", "b", "tiny"]
    # the 1 m wiggles go at a 5 m tolerance: each square is back to ~5 corners
    assert [len(c) for c in coords[:2]] == [5, 5]
    assert n_in[0] > 400
    # five decimals at most in every longitude / latitude
    for c in coords[:2]:
        np.testing.assert_array_equal(c, np.round(c, 5))
    # the 0.5 m square would round to nothing: it keeps its own shape (7 decimals)
    tiny = shapely.from_geojson(json.dumps(data["features"][2]["geometry"]))
    assert tiny.area > 0 and len(coords[2]) == 5
    # simplify_m=0 keeps every vertex
    full = _coords(area_data(change_map(areas, simplify_m=0).get_root().render()))
    assert [len(c) for c in full[:2]] == list(n_in[:2])


def test_display_shapes_keep_their_place():
    areas = _wavy_squares()
    data = area_data(layered_map(areas, simplify_m=5).get_root().render())
    wgs = areas.to_crs(4326)
    for feature, geom in zip(data["features"][:2], wgs.geometry[:2], strict=True):
        shown = shapely.from_geojson(json.dumps(feature["geometry"]))
        # the same shape to within the 5 m tolerance: > 99 % overlap
        assert shown.intersection(geom).area / geom.area > 0.99


def test_no_osm_attribution_without_tiles(frames):
    areas, sites, new_sites, _ = frames
    for make in (before_after_map, layered_map, change_map):
        plain = render_offline_html(make(areas, sites, new_sites, tiles=None))
        assert "openstreetmap" not in plain.lower()
        assert re.search(r"L\.tileLayer\(", plain) is None
        tiled = make(areas, sites, new_sites, tiles="OpenStreetMap").get_root().render()
        assert "OpenStreetMap\\u003c/a\\u003e contributors" in tiled


def test_access_scale_and_units_reach_legend_and_tooltips(frames):
    areas, sites, new_sites, _ = frames
    html = (
        layered_map(
            areas,
            sites,
            new_sites,
            access_scale=1000,
            access_units="beds per 1,000 people aged 65+",
        )
        .get_root()
        .render()
    )
    legend = _legend_json(html)
    assert "beds per 1,000 people aged 65+" in legend
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    for label in classes.labels(scale=1000):
        assert label in legend
    props = [f["properties"] for f in area_data(html)["features"]]
    for p, v in zip(props, areas["access_before"], strict=True):
        assert p["b"] == pytest.approx(1000 * v, rel=1e-3)
    with pytest.raises(InputValidationError):
        layered_map(areas, access_scale=0)


def test_context_draws_districts_outline_roads_and_labels(frames):
    areas, sites, new_sites, _ = frames
    import networkx as nx

    from accessplan.maps.context import map_context

    # a small road network through the areas' centres (in their metre CRS)
    graph = nx.MultiDiGraph(crs=areas.crs)
    centres = areas.geometry.representative_point()
    for node, p in enumerate(centres):
        graph.add_node(node, x=p.x, y=p.y)
    for node in range(1, len(centres)):
        graph.add_edge(node - 1, node, length=1.0, highway="primary")
    hostile = areas.assign(district=np.where(np.arange(len(areas)) % 2, "<b>North</b>", "South"))
    ctx = map_context(hostile, group="district", graph=graph)
    html = change_map(areas, sites, new_sites, context=ctx).get_root().render()
    district_json = re.findall(r'layers\["Districts"\]', html)
    assert len(district_json) == 1
    # the context's shapes: one variable in the page
    found = re.findall(r"var (accessplan_context_[0-9a-f]+) = (\{.*?\});</script>", html)
    assert len(found) == 1
    shapes = json.loads(found[0][1])
    assert sorted(x[0] for x in shapes["names"]) == ["&lt;b&gt;North&lt;/b&gt;", "South"]
    assert len(shapes["districts"]["features"]) == 2
    assert len(shapes["outline"]["features"]) == 1
    assert len(shapes["roads"]["features"]) == len(ctx.roads)
    assert "<b>North" not in html
    assert 'layers["Roads"]' in html and 'layers["Region outline"]' in html
    # side by side: both panels draw the page's one copy of the context
    pair = before_after_map(areas, sites, new_sites, context=ctx).render()
    names = re.findall(r"var (accessplan_context_[0-9a-f]+) = ", pair)
    assert len(names) == 1 and pair.count(f"L.geoJSON({names[0]}.roads") == 2
    # site labels: names (escaped), new sites flagged
    site_labels = [
        row
        for found in re.findall(r"var siteNames = (\[.*?\]);\n", html)
        for row in json.loads(found)
    ]
    new_names = sorted(r[0] for r in site_labels if r[3])
    assert new_names == sorted(html_text(n) for n in new_sites["name"])
    assert sum(1 for r in site_labels if not r[3]) == int((~sites["new"]).sum())


def test_areas_without_a_score_are_grey_with_their_own_swatch(frames):
    areas, *_ = frames
    areas = areas.copy()
    areas.loc[areas.index[4], ["access_before", "access_after"]] = np.nan
    html = layered_map(areas).get_root().render()
    props = area_data(html)["features"][4]["properties"]
    assert props["kb"] == -1 and props["ka"] == -1 and props["b"] is None
    legend = _legend_json(html)
    assert f'<i style="background:{NO_DATA}"></i>no score' in legend
    # the layer maps a negative class to the no-data grey
    assert f'if (v < 0) {{ return "{NO_DATA}"; }}' in html
    # without NaN there is no such swatch
    assert "no score" not in _legend_json(layered_map(frames[0]).get_root().render())


def test_no_access_hatch_survives_grayscale():
    # luminance of the hatch lines against the fill under them, and against the
    # lightest access class: the hatch is clearly darker than both (WCAG ratio > 3)
    def luminance(color):
        rgb = _hex_to_rgb(color) / 255.0
        lin = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(lin @ [0.2126, 0.7152, 0.0722])

    def ratio(a, b):
        hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
        return (hi + 0.05) / (lo + 0.05)

    lightest = shared_classes([0.0, 1.0, 2.0], [3.0, 4.0, 5.0]).colors[1]
    assert ratio(NO_ACCESS_HATCH, NO_ACCESS_COLOR) > 3
    assert ratio(NO_ACCESS_HATCH, lightest) > 3


def test_view_holds_every_site_and_caption_names_the_scale(frames):
    areas, sites, new_sites, _ = frames
    m = change_map(areas, sites, new_sites)
    fit = next(c for c in _walk(m) if type(c).__name__ == "FitRegion")
    (south, west), (north, east) = fit.bounds
    wgs = sites.to_crs(4326)
    assert (wgs.geometry.x >= west).all() and (wgs.geometry.x <= east).all()
    assert (wgs.geometry.y >= south).all() and (wgs.geometry.y <= north).all()
    legend = _legend_json(layered_map(areas, access_scale=1000).get_root().render())
    assert "Access (supply per 1,000 people)" in legend


def test_main_roads_shown_and_streets_a_layer_to_switch_on(frames):
    import networkx as nx

    from accessplan.maps.context import MapContext, network_lines

    areas, *_ = frames
    centres = list(areas.geometry.representative_point())
    graph = nx.MultiDiGraph(crs=areas.crs)
    for node, p in enumerate(centres[:4]):
        graph.add_node(node, x=p.x, y=p.y)
    graph.add_edge(0, 1, length=1.0, highway="primary")
    graph.add_edge(1, 2, length=1.0, highway="residential")
    graph.add_edge(2, 3, length=1.0, highway="unclassified")
    ctx = MapContext(roads=network_lines(graph, simplify_m=0))
    html = change_map(areas, context=ctx).get_root().render()
    shapes = json.loads(
        re.search(r"var accessplan_context_[0-9a-f]+ = (\{.*?\});</script>", html).group(1)
    )
    assert sorted(f["properties"]["major"] for f in shapes["roads"]["features"]) == [
        False,
        False,
        True,
    ]
    assert 'layers["Main roads"]' in html and 'layers["Streets"]' in html
    assert 'hidden.push("Streets")' in html and 'layers["Roads"]' not in html
    # a network of one kind stays one "Roads" layer, shown
    graph.remove_edge(0, 1)
    one_kind = change_map(areas, context=MapContext(roads=network_lines(graph, simplify_m=0)))
    html = one_kind.get_root().render()
    assert 'layers["Roads"]' in html and "hidden.push" not in html
