"""Further measure layers of the layered web map (``layered_map(extra_layers=...)``), no browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.maps.classes import NO_DATA, shared_classes
from accessplan.maps.escaping import html_text
from accessplan.maps.offline import find_remote_assets, save_offline
from accessplan.maps.webmap import layered_map

HATCH_FILL = "url(#accessplan-no-access)"


def tiny_areas() -> gpd.GeoDataFrame:
    """Four 1 km squares with hand-chosen measures (one area without a nearest time)."""
    return gpd.GeoDataFrame(
        {
            "area_id": ["a", "b", "c", "d"],
            "population": [100.0, 200.0, 300.0, 400.0],
            "access_before": [0.0, 0.001, 0.002, 0.003],
            "access_after": [0.001, 0.001, 0.002, 0.004],
            "access_icu_beds": [0.0, 0.0001, 0.0002, 0.0005],
            "opportunities_within_30_after": [0.0, 1.0, 2.0, 5.0],
            "nearest_minutes_after": [0.0, 10.0, 20.0, np.nan],
        },
        geometry=[box(1000.0 * i, 0.0, 1000.0 * (i + 1), 1000.0) for i in range(4)],
        crs=3067,
    )


EXTRA = {
    "ICU beds (access)": "access_icu_beds",
    "Supply within 30 min after": "opportunities_within_30_after",
    "Minutes to the nearest facility after": "nearest_minutes_after",
}


def _geojson(html: str) -> dict:
    found = re.findall(r"var accessplan_areas_[0-9a-f]+ = (\{.*?\});</script>", html, re.DOTALL)
    assert len(found) == 1  # still ONE shared GeoJSON per page
    return json.loads(found[0])


def _palettes(html: str) -> list:
    return [json.loads(p) for p in re.findall(r"var palette = (\[.*?\]);", html)]


def _layer_legends(html: str) -> list:
    found = re.findall(
        r'"legend accessplan-legend accessplan-layer-legend"\);\s*div\.innerHTML = (".*?");', html
    )
    return [json.loads(f) for f in found]


@pytest.fixture(scope="module")
def page():
    m = layered_map(tiny_areas(), k=3, extra_layers=EXTRA, access_scale=1000)
    return m, m.get_root().render()


def test_geojson_carries_each_column_rounded_with_its_class(page):
    _, html = page
    props = [f["properties"] for f in _geojson(html)["features"]]
    # values in the map's units for supplies (x1000), as they are otherwise; None when missing
    assert [p["v0"] for p in props] == [0, 0.1, 0.2, 0.5]
    assert [p["v1"] for p in props] == [0, 1, 2, 5]
    assert [p["v2"] for p in props] == [0, 10, 20, None]
    # hand-worked classes, k=3 with a zero class: opportunities 0 | 1, 2 | 5
    # (the median of the pooled positives 1,1,2,2,5,5 is 2); minutes 0 | 10 | 20; NaN -> -1
    assert [p["x1"] for p in props] == [0, 1, 1, 2]
    assert [p["x2"] for p in props] == [0, 1, 2, -1]
    for j, column in enumerate(EXTRA.values()):
        values = tiny_areas()[column].to_numpy()
        expected = shared_classes(values, values, k=3).classify(values)
        assert [p[f"x{j}"] for p in props] == list(expected)


def test_each_extra_layer_is_in_the_control_and_off_when_the_page_opens(page):
    m, html = page
    groups = {c.layer_name: c for c in m._children.values() if hasattr(c, "layer_name")}
    for title in EXTRA:
        group = groups[title]
        assert group.show is False
        name = group.get_name()
        assert f"overlays[{json.dumps(title)}] = {name};" in html
        # never added to the map by the page itself (only through the control)
        assert f"{name}.addTo(" not in html
    assert groups["Access after"].show is True
    assert f"{groups['Access after'].get_name()}.addTo(" in html


def test_classes_and_palettes_per_layer_without_a_browser(page):
    _, html = page
    palettes = _palettes(html)
    assert len(palettes) == 5  # before, after, then one per extra layer in order
    access, supply, opportunities, minutes = palettes[0], palettes[2], palettes[3], palettes[4]
    assert palettes[1] == access
    # higher is better: the access ramp, zeros hatched
    assert opportunities[0] == HATCH_FILL
    plain = shared_classes([1.0, 2.0], [1.0, 2.0], k=2).colors  # the 2-colour YlGnBu ramp
    assert tuple(opportunities[1:3]) == plain
    assert supply[0] == HATCH_FILL
    # lower is better: the reversed 3-colour ramp, 0 minutes the darkest, not hatched
    ramp = shared_classes([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], k=3).colors
    assert tuple(minutes[:3]) == ramp[::-1]
    assert HATCH_FILL not in minutes
    assert minutes[3] == NO_DATA  # the area without a nearest time


def test_each_layer_has_its_own_legend_saying_what_dark_means(page):
    _, html = page
    legends = _layer_legends(html)
    assert len(legends) == 3
    supply, opportunities, minutes = legends
    assert "ICU beds (access) (dark = more)" in supply
    assert "0 (no access)" in supply and "0.5" in supply  # labels in the map's units
    assert "&gt;0 \u2013 2" in opportunities or ">0 \u2013 2" in opportunities
    assert "(dark = nearer)" in minutes
    assert "no access" not in minutes and "no value" in minutes
    # the legend appears and goes with its layer
    assert html.count('map.on("layeradd layerremove"') == 3


def test_uncovered_people_use_the_reversed_ramp():
    areas = tiny_areas().assign(capacity_uncovered_after=[0.0, 0.0, 50.0, 80.0])
    html = (
        layered_map(areas, k=3, extra_layers={"Uncovered": "capacity_uncovered_after"})
        .get_root()
        .render()
    )
    assert "Uncovered (dark = fewer)" in _layer_legends(html)[0]
    assert HATCH_FILL not in _palettes(html)[2]


def test_titles_are_escaped_everywhere():
    evil = '<img src=x onerror="alert(1)">'
    html = layered_map(tiny_areas(), extra_layers={evil: "access_icu_beds"}).get_root().render()
    assert "<img src=x" not in html
    safe = html_text(evil)
    # every place that reaches innerHTML gets the escaped text: layer control, hover table,
    # legend title
    (label,) = [json.loads(x) for x in re.findall(r'overlays\[(".*?")\] = feature_group', html)][2:]
    assert label == safe
    fields = json.loads(re.findall(r"var fields = (\[.*?\]);\n", html)[2])
    assert fields[2] == ["v0", safe, "num"]
    assert _layer_legends(html)[0].startswith(f"<b>{safe} (dark = more)</b>")


def test_without_extra_layers_the_page_is_unchanged():
    html = layered_map(tiny_areas()).get_root().render()
    assert "x0" not in _geojson(html)["features"][0]["properties"]
    assert _layer_legends(html) == []
    assert len(_palettes(html)) == 2


def test_every_bad_layer_is_reported_at_once():
    areas = tiny_areas().assign(word=["x", "y", "z", "w"], empty=np.nan)
    with pytest.raises(InputValidationError) as info:
        layered_map(
            areas,
            extra_layers={
                "Access after": "access_icu_beds",
                "Missing": "no_such_column",
                "Words": "word",
                "Empty": "empty",
            },
        )
    text = str(info.value)
    assert isinstance(info.value, AccessplanError)
    assert "'Access after' is used twice" in text
    assert "no_such_column" in text
    assert "word" in text and "not numeric" in text
    assert "empty" in text and "no finite value" in text


def test_page_with_extra_layers_stays_offline(tmp_path):
    path = save_offline(layered_map(tiny_areas(), extra_layers=EXTRA), tmp_path / "layers.html")
    html = path.read_text(encoding="utf-8")
    assert find_remote_assets(html) == []
    assert "<script src" not in html.lower()


def test_board_builds_the_layers_from_the_areas_and_plan_gpkg(tmp_path):
    from accessplan.planner.board import measure_layers

    areas = tiny_areas().drop(columns="opportunities_within_30_after")
    areas["access_change"] = areas["access_after"] - areas["access_before"]
    areas["access_ventilators"] = np.nan  # nobody reaches one: no layer
    saved = areas[["area_id", "geometry"]].assign(
        bfca_after=[0.0, 0.5, 1.0, 2.0],
        bfca_supply_share_after=[0.1, 0.2, 0.3, 0.4],
        bfca_before=[0.0, 0.4, 1.0, 2.0],
        opportunities_within_30_after=[0.0, 1.0, 2.0, 5.0],
        capacity_uncovered_after=[0.0, 0.0, 50.0, 80.0],
    )
    saved.to_file(tmp_path / "plan.gpkg", layer="areas", engine="pyogrio")
    joined, layers = measure_layers(areas.iloc[::-1], tmp_path)  # joined by id, not by row
    assert layers == {
        "ICU beds (access)": "access_icu_beds",
        "BFCA after the plan": "bfca_after",
        "Supply within 30 min after the plan": "opportunities_within_30_after",
        "People not covered by capacity after the plan": "capacity_uncovered_after",
        "Minutes to the nearest facility after the plan": "nearest_minutes_after",
    }
    assert list(joined["area_id"]) == ["d", "c", "b", "a"]
    assert list(joined["capacity_uncovered_after"]) == [80.0, 50.0, 0.0, 0.0]
    html = layered_map(joined, extra_layers=layers).get_root().render()
    assert len(_layer_legends(html)) == 5


_TOGGLE_PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
    function box(title) {
        var found = null;
        document.querySelectorAll(".leaflet-control-layers-overlays label").forEach(function (l) {
            if (l.textContent.trim() === title) { found = l.querySelector("input"); }
        });
        return found;
    }
    function legends() { return document.querySelectorAll(".accessplan-layer-legend").length; }
    var out = {closed: legends()};
    box("Access after").click();
    box(TITLE).click();
    out.open = legends();
    out.text = document.querySelector(".accessplan-layer-legend").textContent;
    out.fills = Array.prototype.map.call(
        document.querySelectorAll("path.leaflet-interactive"),
        function (p) { return p.getAttribute("fill"); });
    box(TITLE).click();
    out.again = legends();
    var pre = document.createElement("pre");
    pre.id = "probe";
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
}, 300); });
</script>"""


def test_in_a_browser_a_layer_draws_its_classes_and_its_legend_follows_it(tmp_path):
    chromium = next(
        (p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.access(p, os.X_OK)),
        None,
    )
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but headless Chromium is missing")
        pytest.skip("headless Chromium not found")
    title = "Minutes to the nearest facility after"
    page = save_offline(layered_map(tiny_areas(), k=3, extra_layers=EXTRA), tmp_path / "p.html")
    probe = _TOGGLE_PROBE.replace("TITLE", json.dumps(title))
    html = page.read_text(encoding="utf-8").replace("</body>", probe + "</body>", 1)
    (tmp_path / "probed.html").write_text(html, encoding="utf-8")
    run = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            (tmp_path / "probed.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.findall(r'<pre id="probe">(.*?)</pre>', run.stdout, re.DOTALL)
    assert found, run.stderr[-2000:]
    out = json.loads(found[0].replace("&quot;", '"').replace("&amp;", "&"))
    assert out["closed"] == 0  # every extra layer is off: no legend of theirs
    assert out["open"] == 1 and out["again"] == 0  # its legend comes and goes with it
    assert out["text"].startswith(f"{title} (dark = nearer)")
    # only the minutes layer is on: 0 min darkest, 10 min middle, 20 min light, no time grey
    ramp = shared_classes([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], k=3).colors[::-1]
    assert out["fills"] == [*ramp, NO_DATA]
