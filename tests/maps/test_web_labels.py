"""Tests of accessplan.maps.web_labels: district names shown once they fit, markers that shrink.

The zoom behaviour is checked in a real headless Chromium (found as in
``test_browser.py``; skipped without it unless ``CI`` is set): a probe script zooms the page and records which
district names are visible and how big the site markers are.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from accessplan.maps.context import map_context
from accessplan.maps.offline import save_offline
from accessplan.maps.web_labels import (
    ALWAYS_NAMED_DISTRICTS,
    M_PER_DEG,
    SiteMarkers,
    district_label_rows,
    marker_spacing_m,
)
from accessplan.maps.webmap import layered_map


def _sibling(name: str):
    # tests/ is no package (--import-mode=importlib): load the browser finder by path
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_accessplan_labels_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_find_chromium = _sibling("test_browser")._find_chromium


def test_district_rows_carry_south_west_north_east():
    rows = district_label_rows(["A"], [Point(24.5, 60.25)], [[24.0, 60.0, 25.0, 60.5]])
    assert rows == [["A", 60.25, 24.5, 60.0, 24.0, 60.5, 25.0]]


def test_marker_spacing_is_the_median_nearest_neighbour_distance():
    # on the equator: gaps 0.01, 0.01 and 0.02 degrees of longitude
    spacing = marker_spacing_m([0.0, 0.0, 0.0], [0.0, 0.01, 0.03])
    assert spacing == pytest.approx(0.01 * M_PER_DEG)
    assert marker_spacing_m([60.0], [24.0]) == 0.0


def test_site_markers_take_the_median_radius_of_existing_sites():
    rows = [[0.0, 0.0, 4.0, 0, "a"], [0.0, 0.01, 8.0, 0, "b"], [0.0, 0.03, 30.0, 1, "new"]]
    markers = SiteMarkers(rows, colors=("#444", "#f80"))
    assert markers.radius_px == 6.0  # the new site's 30 px is not typical
    assert markers.spacing_m == pytest.approx(round(0.01 * M_PER_DEG, 1))


# --------------------------------------------------------------------------- in Chromium
X0, Y0, CELL = 300_000.0, 6_700_000.0, 1000.0

_PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
    var map = Object.keys(window).filter(function (k) {
        return k.indexOf("map_") === 0 && window[k] && window[k].setZoom; })
        .map(function (k) { return window[k]; })[0];
    function look() {
        var shown = 0, fit = true;
        var pane = map.getPane("accessplan-labels");
        pane.querySelectorAll(".accessplan-district-label").forEach(function (el) {
            if (el.style.visibility === "hidden") { return; }
            shown += 1;
            var box = el.firstChild.getAttribute("data-box");
            if (!box) { return; }
            var b = box.split(",").map(Number), r = el.firstChild.getBoundingClientRect();
            var sw = map.latLngToContainerPoint([b[0], b[1]]);
            var ne = map.latLngToContainerPoint([b[2], b[3]]);
            fit = fit && r.width <= Math.abs(ne.x - sw.x);
        });
        var old = [], fresh = [];
        map.eachLayer(function (l) {
            if (l instanceof L.CircleMarker && l.options.weight === 1) { old.push(l.getRadius()); }
            if (l instanceof L.CircleMarker && l.options.weight === 3) { fresh.push(l.getRadius()); }
        });
        return {zoom: map.getZoom(), shown: shown, fit: fit,
                old: Math.max.apply(null, old), fresh: Math.min.apply(null, fresh)};
    }
    var info = {start: look()};
    map.setZoom(map.getZoom() + 3, {animate: false});
    setTimeout(function () {
        info.closer = look();
        var out = document.createElement("pre");
        out.id = "accessplan-probe";
        out.textContent = JSON.stringify(info);
        document.body.appendChild(out);
    }, 300);
}, 300); });
</script>"""


def _region(n_side: int):
    """``n_side`` x ``n_side`` districts of 2 x 2 km squares with long names; 400 sites."""
    side = 2 * n_side
    cols, rows = np.meshgrid(np.arange(side), np.arange(side))
    cols, rows = cols.ravel(), rows.ravel()
    n = cols.size
    rng = np.random.default_rng(3)
    access = rng.uniform(0.0, 1e-3, n)
    areas = gpd.GeoDataFrame(
        {
            "area_id": [f"a{k}" for k in range(n)],
            "population": np.full(n, 100.0),
            "access_before": access,
            "access_after": access * 1.1,
            "district": [
                f"Long district name {c // 2 + n_side * (r // 2)}"
                for c, r in zip(cols, rows, strict=True)
            ],
        },
        geometry=shapely.box(
            X0 + cols * CELL, Y0 + rows * CELL, X0 + (cols + 1) * CELL, Y0 + (rows + 1) * CELL
        ),
        crs=3067,
    )
    xy = rng.uniform(0.0, side * CELL, (400, 2))
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"h{k}" for k in range(400)],
            "capacity": rng.uniform(10.0, 500.0, 400),
            "new": np.arange(400) < 2,
        },
        geometry=shapely.points(X0 + xy[:, 0], Y0 + xy[:, 1]),
        crs=3067,
    )
    return areas, sites


def _probe(chromium, areas, sites, tmp_path, name, *, probe=_PROBE):
    page = save_offline(
        layered_map(areas, sites, context=map_context(areas, group="district")),
        tmp_path / f"{name}.html",
    )
    text = page.read_text(encoding="utf-8").replace("</body>", probe + "</body>")
    copy = tmp_path / f"probed-{name}.html"
    copy.write_text(text, encoding="utf-8")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1000,800",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / ('profile-' + name)}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        copy.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r'<pre id="accessplan-probe">(.*?)</pre>', run.stdout, re.S)
    assert found, "the probe did not report"
    return json.loads(found.group(1).replace("&quot;", '"'))


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium()
    if path is None:
        message = "headless Chromium not found (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail("CI is set but the browser test cannot run: " + message)
        pytest.skip(message)
    return path


def test_many_district_names_wait_until_they_fit_and_markers_regrow(chromium, tmp_path):
    # 36 districts about 150 px wide at the fitted zoom: no name of ~230 px fits
    areas, sites = _region(6)
    assert areas["district"].nunique() > ALWAYS_NAMED_DISTRICTS
    info = _probe(chromium, areas, sites, tmp_path, "many")
    assert info["start"]["shown"] == 0
    assert info["closer"]["shown"] >= 1 and info["closer"]["fit"]
    # 400 sites ~0.6 km apart crowd the first view: existing markers shrink, new ones do not
    assert info["start"]["old"] < info["closer"]["old"]
    assert info["start"]["fresh"] == info["closer"]["fresh"] >= 4


def test_few_district_names_show_at_every_zoom(chromium, tmp_path):
    # 25 districts (at most ALWAYS_NAMED_DISTRICTS): named even where a name overflows its district
    areas, sites = _region(5)
    assert areas["district"].nunique() <= ALWAYS_NAMED_DISTRICTS
    info = _probe(chromium, areas, sites, tmp_path, "few")
    assert info["start"]["shown"] >= 5
    assert info["start"]["fit"]  # no data-box: the fit rule is off


_PANEL_PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
    var map = Object.keys(window).filter(function (k) {
        return k.indexOf("map_") === 0 && window[k] && window[k].setZoom; })
        .map(function (k) { return window[k]; })[0];
    map.fitBounds = function () { return map; };  // no refit on a late resize: the probe moves
    map.setZoom(map.getZoom() + 2, {animate: false});  // room to pan within the map's bounds
    var label = null;
    map.eachLayer(function (l) {
        var el = l.getElement && l.getElement();
        if (!label && el && el.classList.contains("accessplan-new")) { label = l; }
    });
    var panels = Array.prototype.slice.call(
        map.getContainer().querySelectorAll(".leaflet-control")).map(function (el) {
            return el.getBoundingClientRect(); });
    var legend = map.getContainer().querySelector(".accessplan-legend").getBoundingClientRect();
    var c = map.getContainer().getBoundingClientRect();
    function under(r) {
        return panels.some(function (q) {
            return r.left < q.right && r.right > q.left && r.top < q.bottom && r.bottom > q.top;
        });
    }
    function put(x, y) {  // move the map so the new site lands at page pixel (x, y)
        var p = map.latLngToContainerPoint(label.getLatLng());
        map.panBy([p.x - (x - c.left), p.y - (y - c.top)], {animate: false});
        var el = label.getElement(), shown = 0, covered = 0;
        map.getPane("accessplan-labels").querySelectorAll(
            ".accessplan-site-label, .accessplan-district-label").forEach(function (e) {
                if (e.style.visibility === "hidden") { return; }
                shown += 1;
                if (under(e.firstChild.getBoundingClientRect())) { covered += 1; }
            });
        var r = el.firstChild.getBoundingClientRect(), at = map.latLngToContainerPoint(label.getLatLng());
        return {hidden: el.style.visibility === "hidden",
                left: el.classList.contains("accessplan-left"),
                right_of_marker: r.left > x, shown: shown, covered: covered,
                missed_px: Math.abs(at.x + c.left - x) + Math.abs(at.y + c.top - y)};
    }
    var info = {
        open: put(c.left + c.width / 2, c.top + c.height / 2),
        by_legend: put(legend.left - 20, legend.top + 40),
        under_legend: put((legend.left + legend.right) / 2, legend.top + 40),
        back: put(c.left + c.width / 2, c.top + c.height / 2)
    };
    var out = document.createElement("pre");
    out.id = "accessplan-probe";
    out.textContent = JSON.stringify(info);
    document.body.appendChild(out);
}, 300); });
</script>"""


def test_site_names_keep_clear_of_the_legend_and_other_panels(chromium, tmp_path):
    # a new site moved next to the legend: its name flips left; moved under it: hidden;
    # in the open: back on the right. No shown name ever overlaps a panel.
    areas, sites = _region(5)
    info = _probe(chromium, areas, sites, tmp_path, "panels", probe=_PANEL_PROBE)
    assert info["open"] == {**info["open"], "hidden": False, "left": False, "right_of_marker": True}
    assert info["by_legend"]["hidden"] is False
    assert info["by_legend"]["left"] is True and info["by_legend"]["right_of_marker"] is False
    assert info["under_legend"]["hidden"] is True
    assert info["back"]["hidden"] is False and info["back"]["left"] is False
    for state in info.values():
        assert state["missed_px"] < 1.5  # the site landed where the probe put it
        assert state["shown"] >= 1 and state["covered"] == 0
