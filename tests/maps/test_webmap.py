"""Unit tests of the folium maps and the offline writer (no browser)."""

from __future__ import annotations

import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from accessplan.data.demo import demo_path
from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.maps.classes import NO_ACCESS_COLOR
from accessplan.maps.errors import RemoteAssetError
from accessplan.maps.offline import find_remote_assets, render_offline_html, save_offline
from accessplan.maps.webmap import (
    before_after_map,
    change_colormap,
    change_map,
    layered_map,
    shared_classes,
)

N_AREAS = 30


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


def test_zero_access_has_its_own_legend_entry_and_colour(frames):
    areas, sites, new_sites, _ = frames  # the first 3 areas have zero access before
    # access is never negative: clip the fixture's synthetic losses at 0
    areas = areas.assign(access_after=areas["access_after"].clip(lower=0.0))
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    assert classes.zero_class and classes.bins[0] == 0.0
    html = layered_map(areas, sites, new_sites, tiles=None).get_root().render()
    # the legend HTML is embedded with jinja's tojson (which escapes < and >)
    swatch = f'<i style=\\"background:{NO_ACCESS_COLOR}\\"></i>0 (no access)'
    swatch = swatch.replace("<", "\\u003c").replace(">", "\\u003e")
    assert html.count(swatch) == 1  # one legend, zero class first
    assert f'"fillColor": "{NO_ACCESS_COLOR}"' in html
    # the grey marks exactly the areas with zero access, before and after
    for column in ("access_before", "access_after"):
        grey = np.array(classes.color(areas[column])) == NO_ACCESS_COLOR
        np.testing.assert_array_equal(grey, areas[column].to_numpy() == 0.0)


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


def test_before_after_panels_use_one_classification_and_one_legend(frames):
    areas, sites, new_sites, inequity = frames
    fig = before_after_map(areas, sites, new_sites, inequity=inequity, tiles=None)
    html = fig.render()
    # two Leaflet maps, one legend (branca colormap) and our sync glue
    assert len(re.findall(r"= L\.map\(", html)) == 2
    assert html.count('"legend accessplan-legend"') == 1
    assert "d3" not in [name for name in fig.header._children]  # no d3 legend
    assert "accessplanSyncedMaps" in html
    # all area fills in the page come from the shared palette
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    fills = set(re.findall(r'"fillColor": "(#[0-9a-f]{6})"', html))
    area_fills = fills - {"#3f3f3f", "#ff7f00"}
    assert area_fills <= set(classes.colors)
    assert area_fills == set(classes.color(areas["access_before"])) | set(
        classes.color(areas["access_after"])
    )


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
    for value in (0.01, -0.005, 0.0):
        assert f'"fillColor": "{cmap(value)[:7]}"' in html
    assert "Inequity of access" in html and "Gini" in html and "Share with zero access" in html


def test_tooltips_carry_the_fields(frames):
    areas, sites, new_sites, _ = frames
    html = layered_map(areas, sites, new_sites, tiles=None).get_root().render()
    for field in ("area_id", "population", "access_before", "access_after", "rank_after"):
        assert f'"{field}"' in html
    # new site tooltip: units and reasons
    assert "units added: 40" in html and "newly covered population: 7,719" in html
    assert "marginal gain: 2,611" in html
    assert html.count("new site") == 2


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
