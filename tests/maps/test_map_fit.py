"""A web map inside a report frame that has no size yet still fits its region.

Reports embed each map in an ``<iframe srcdoc>``; a frame laid out late (or a
headless print) creates the Leaflet map while the frame is 0 x 0. folium's
``fit_bounds`` then throws "Invalid LatLng object: (NaN, NaN)" and the frame
stays empty. One Chromium launch renders a parent page with two such frames
that start at 0 x 0 and get their size 300 ms later: one a plain folium map
with ``fit_bounds`` (the control: the harness must see its error), one the
plan's layered map (``maps.map_fit.fit_region``), which must raise nothing
and end fitted to the region.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import subprocess
from pathlib import Path

import folium

from accessplan.maps.offline import save_offline
from accessplan.maps.webmap import layered_map


def _sibling(name: str):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_accessplan_maps_fit_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_browser = _sibling("test_browser")
_webmap_tests = _sibling("test_webmap")
chromium = _browser.chromium  # the module's browser fixture (fails in CI when missing)

_PROBES = """<script>
window.addEventListener("error", function (e) {
    console.log("ACCESSPLAN-FIT-ERROR %s " + e.message);
}, true);
window.addEventListener("load", function () { setTimeout(function () {
    var map = null;
    for (var k in window) {
        if (k.indexOf("map_") === 0 && window[k] instanceof L.Map) { map = window[k]; }
    }
    var c = map.getCenter(), b = map.getBounds(), s = map.getSize();
    console.log("ACCESSPLAN-FIT-STATE %s " + JSON.stringify({
        lat: c.lat, lng: c.lng, zoom: map.getZoom(), width: s.x, height: s.y,
        south: b.getSouth(), west: b.getWest(), north: b.getNorth(), east: b.getEast()}));
}, 1500); });
</script>"""


def _frame(name: str, page: str) -> str:
    probed = page.replace("<head>", "<head>" + _PROBES.replace("%s", name), 1)
    return f'<iframe id="{name}" style="width:0;height:0;border:0" srcdoc="{html.escape(probed)}"></iframe>'


def test_a_map_in_a_frame_without_a_size_fits_once_the_frame_has_one(chromium, tmp_path):
    areas, sites, new_sites, _ = _webmap_tests.plan_frames()
    west, south, east, north = areas.to_crs(4326).total_bounds
    plan_page = save_offline(
        layered_map(areas, sites, new_sites, tiles=None), tmp_path / "layers.html"
    ).read_text(encoding="utf-8")
    control = folium.Map(tiles=None)
    control.fit_bounds(
        [[south, west], [north, east]], padding_top_left=(10, 12), padding_bottom_right=(230, 12)
    )
    control_page = save_offline(control, tmp_path / "control.html").read_text(encoding="utf-8")
    parent = tmp_path / "report.html"
    parent.write_text(
        "<!doctype html><html><body>"
        + _frame("control", control_page)
        + _frame("plan", plan_page)
        + """<script>setTimeout(function () {
            for (const id of ["control", "plan"]) {
                const f = document.getElementById(id);
                f.style.width = "640px"; f.style.height = "420px";
            }
        }, 300);</script></body></html>""",
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=6000",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
            parent.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if "ACCESSPLAN-FIT" in line]
    errors = {
        name: [line for line in lines if f"ACCESSPLAN-FIT-ERROR {name} " in line]
        for name in ("control", "plan")
    }
    # the harness sees the failure it guards against (folium's fit at 0 x 0)
    assert any("Invalid LatLng" in line for line in errors["control"]), lines
    assert errors["plan"] == [], errors["plan"]
    (state_line,) = [line for line in lines if "ACCESSPLAN-FIT-STATE plan " in line]
    text = state_line.split("ACCESSPLAN-FIT-STATE plan ", 1)[1]
    state = json.loads(text[: text.rindex("}") + 1])
    assert (state["width"], state["height"]) == (640, 420), state
    # fitted: the whole region in view, and not the world (zoom well above 1)
    assert state["zoom"] >= 8
    assert state["south"] <= south and state["north"] >= north
    assert state["west"] <= west and state["east"] >= east
