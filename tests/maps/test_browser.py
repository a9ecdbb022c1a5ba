"""Render the saved offline maps in a real headless Chromium.

Chromium runs with every host name resolving to nothing
(``--host-resolver-rules="MAP * ~NOTFOUND"``), so a page that still needed the
network would break. The page copy under test gets two tiny probe scripts: one
first in ``<head>`` that reports uncaught errors, failed resource loads and
``console.error`` calls as console lines, and one at the end that, after load,
pans/zooms the left map of the side-by-side page and records where the right
map went. Console output is read from Chromium's log (``--enable-logging=stderr
--v=0`` prints page console messages as ``CONSOLE`` lines).

Without Chromium the tests fail when the ``CI`` environment variable is set
(CI installs Debian's ``chromium``) and are skipped otherwise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from accessplan.maps.classes import NO_DATA
from accessplan.maps.offline import save_offline
from accessplan.maps.webmap import before_after_map, change_map, layered_map, shared_classes


def _sibling(name: str):
    # the suite runs with --import-mode=importlib and tests/ is no package:
    # load the shared frame builder from test_webmap.py by path
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_accessplan_maps_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_webmap_tests = _sibling("test_webmap")
N_AREAS = _webmap_tests.N_AREAS
plan_frames = _webmap_tests.plan_frames

PAGE_ERROR = "ACCESSPLAN-PAGE-ERROR"

_HEAD_PROBE = """<script>
window.addEventListener("error", function (e) {
    var t = e.target;
    var what = (t && t !== window) ? "resource failed: " + (t.src || t.href)
                                   : "Uncaught: " + e.message;
    console.log("%s " + what);
}, true);
console.error = function () {
    console.log("%s console.error: " + Array.prototype.join.call(arguments, " "));
};
</script>""".replace("%s", PAGE_ERROR)

_TAIL_PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
    var info = {};
    var maps = window.accessplanSyncedMaps;
    if (maps) {
        var a = maps[0], b = maps[1];
        var c = a.getCenter(), z = a.getZoom();
        a.setView([c.lat + 0.01, c.lng - 0.02], z + 1, {animate: false});
        info.moved = {a: [a.getCenter().lat, a.getCenter().lng, a.getZoom()],
                      b: [b.getCenter().lat, b.getCenter().lng, b.getZoom()]};
        b.setView(c, z, {animate: false});
        info.back = {a: [a.getCenter().lat, a.getCenter().lng, a.getZoom()],
                     b: [b.getCenter().lat, b.getCenter().lng, b.getZoom()]};
    }
    var out = document.createElement("pre");
    out.id = "accessplan-probe";
    out.textContent = JSON.stringify(info);
    document.body.appendChild(out);
}, 300); });
</script>"""


def _find_chromium() -> str | None:
    for candidate in (
        os.environ.get("ACCESSPLAN_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _find_chromium()
    if path is None:
        message = (
            "headless Chromium not found (looked for /usr/bin/chromium, chromium, "
            "chromium-browser, google-chrome; or set ACCESSPLAN_CHROMIUM). "
            "Install it with `apt-get install -y chromium`."
        )
        if os.environ.get("CI"):
            pytest.fail("CI is set but the browser test cannot run: " + message)
        pytest.skip(message)
    return path


class _Dom(HTMLParser):
    """Per Leaflet container: interactive paths and their fills; legends; panels."""

    def __init__(self):
        super().__init__()
        self.maps: list[list[str]] = []  # fills of path.leaflet-interactive per map
        self.legends = 0
        self.inequity_panels = 0
        self.probe = ""
        self._depth = 0
        self._map_depth = None
        self._in_probe = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            self._depth += 1
            if "leaflet-container" in classes and self._map_depth is None:
                self._map_depth = self._depth
                self.maps.append([])
            if "accessplan-inequity" in classes:
                self.inequity_panels += 1
        if "legend" in classes:
            self.legends += 1
        if tag == "path" and "leaflet-interactive" in classes and self._map_depth is not None:
            self.maps[-1].append(attrs.get("fill"))
        if tag == "pre" and attrs.get("id") == "accessplan-probe":
            self._in_probe = True

    def handle_endtag(self, tag):
        if tag == "div":
            if self._map_depth == self._depth:
                self._map_depth = None
            self._depth -= 1
        if tag == "pre":
            self._in_probe = False

    def handle_data(self, data):
        if self._in_probe:
            self.probe += data


def render(chromium: str, page: Path, tmp_path: Path):
    """Open a probed copy of ``page``; return (parsed DOM, page errors, probe data)."""
    html = page.read_text(encoding="utf-8")
    probed = html.replace("<head>", "<head>" + _HEAD_PROBE, 1)
    probed = probed.replace("</body>", _TAIL_PROBE + "</body>", 1)
    assert probed.count(PAGE_ERROR) == 2 and "accessplan-probe" in probed
    copy = tmp_path / ("probed-" + page.name)
    copy.write_text(probed, encoding="utf-8")
    profile = tmp_path / ("profile-" + page.stem)
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        copy.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"chromium failed ({run.returncode}):\n{run.stderr[-3000:]}"
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line]
    errors = [
        line
        for line in console
        if PAGE_ERROR in line or "Uncaught" in line or ":ERROR:CONSOLE" in line
    ]
    dom = _Dom()
    dom.feed(run.stdout)
    probe = json.loads(dom.probe) if dom.probe else None
    return dom, errors, probe


@pytest.fixture(scope="module")
def saved_maps(tmp_path_factory):
    areas, sites, new_sites, inequity = plan_frames()
    out = tmp_path_factory.mktemp("maps")
    kwargs = {"inequity": inequity, "tiles": None}
    return {
        "before_after": save_offline(
            before_after_map(areas, sites, new_sites, **kwargs), out / "before_after.html"
        ),
        "layered": save_offline(
            layered_map(areas, sites, new_sites, **kwargs), out / "layered.html"
        ),
        "change": save_offline(change_map(areas, sites, new_sites, **kwargs), out / "change.html"),
        "frames": (areas, sites, new_sites, inequity),
    }


def test_harness_sees_page_errors(chromium, tmp_path):
    # negative control: the same harness must report a thrown error and console.error
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head></head><body><script>"
        'console.error("bad thing"); throw new Error("boom");'
        "</script></body></html>",
        encoding="utf-8",
    )
    _, errors, _ = render(chromium, page, tmp_path)
    text = "\n".join(errors)
    assert "bad thing" in text and "boom" in text


def test_side_by_side_renders_offline_and_stays_in_sync(chromium, saved_maps, tmp_path):
    areas, sites, _, _ = saved_maps["frames"]
    dom, errors, probe = render(chromium, saved_maps["before_after"], tmp_path)
    assert errors == []
    assert len(dom.maps) == 2
    n_existing = int((~sites["new"]).sum())
    assert [len(m) for m in dom.maps] == [N_AREAS + n_existing, N_AREAS + len(sites)]
    assert dom.legends == 1 and dom.inequity_panels == 1
    # area fills in each panel are exactly the shared classes of before / after
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    palette = set(classes.colors)
    for fills, column in zip(dom.maps, ("access_before", "access_after"), strict=True):
        got = Counter(f for f in fills if f in palette)
        assert got == Counter(classes.color(areas[column]))
    # moving the left map moves the right one, and back (no feedback loop)
    assert probe is not None
    for state in ("moved", "back"):
        a, b = probe[state]["a"], probe[state]["b"]
        assert a[2] == b[2]
        assert a[0] == pytest.approx(b[0], abs=1e-9) and a[1] == pytest.approx(b[1], abs=1e-9)
    assert probe["moved"]["a"][2] == probe["back"]["a"][2] + 1


@pytest.mark.parametrize("name", ["layered", "change"])
def test_single_maps_render_offline(chromium, saved_maps, tmp_path, name):
    areas, sites, _, _ = saved_maps["frames"]
    dom, errors, _ = render(chromium, saved_maps[name], tmp_path)
    assert errors == []
    assert len(dom.maps) == 1
    assert len(dom.maps[0]) == len(areas) + len(sites)
    assert dom.legends == 1 and dom.inequity_panels == 1


# --------------------------------------------------------------------------- hatching, labels, context
class _Panes(HTMLParser):
    """Per Leaflet map: every SVG path with its pane and fill; labels; hatch patterns."""

    def __init__(self):
        super().__init__()
        self.maps: list[dict] = []
        self.patterns: list[str] = []
        self.legend_hatches = 0
        self._stack: list[list[str]] = []  # classes of the open divs

    def _pane(self) -> str:
        for classes in reversed(self._stack):
            for c in classes:
                if c.startswith("leaflet-") and c.endswith("-pane") and c != "leaflet-pane":
                    return c[len("leaflet-") : -len("-pane")]
        return ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "div":
            self._stack.append(classes)
            if "leaflet-container" in classes:
                self.maps.append({"paths": [], "site_labels": [], "district_labels": 0})
            if self.maps and "accessplan-site-label" in classes:
                self.maps[-1]["site_labels"].append("accessplan-new" in classes)
            if self.maps and "accessplan-district-label" in classes:
                self.maps[-1]["district_labels"] += 1
        if tag == "pattern":
            self.patterns.append(attrs.get("id"))
        if tag == "rect" and attrs.get("fill") == "url(#accessplan-no-access)" and self._stack:
            self.legend_hatches += 1
        if tag == "path" and self.maps:
            self.maps[-1]["paths"].append(
                (self._pane(), attrs.get("fill"), "leaflet-interactive" in classes)
            )

    def handle_endtag(self, tag):
        if tag == "div" and self._stack:
            self._stack.pop()


def _dump(chromium, page, tmp_path):
    """Rendered DOM of ``page`` parsed by :class:`_Panes`, and the page errors."""
    _, errors, _ = render(chromium, page, tmp_path)
    copy = tmp_path / ("probed-" + page.name)
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={tmp_path / ('panes-' + page.stem)}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        copy.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    panes = _Panes()
    panes.feed(run.stdout)
    return panes, errors


HATCH = "url(#accessplan-no-access)"


@pytest.fixture(scope="module")
def context_maps(tmp_path_factory):
    """The plan frames with zero access after too, districts, roads and named sites."""
    import networkx as nx

    from accessplan.maps.context import map_context

    areas, sites, new_sites, inequity = plan_frames()
    areas = areas.assign(access_after=areas["access_after"].clip(lower=0.0))
    areas.loc[areas.index[:2], "access_after"] = 0.0  # two areas still without access
    areas.loc[areas.index[5], ["access_before", "access_after"]] = np.nan  # one without a score
    # three districts: the areas in thirds from west to east
    x = areas.geometry.representative_point().x.rank(method="first").to_numpy()
    areas["district"] = np.select([x <= 10, x <= 20], ["West <b>", "Middle"], "East")
    graph = nx.MultiDiGraph(crs=areas.crs)
    for node, p in enumerate(areas.geometry.representative_point()):
        graph.add_node(node, x=p.x, y=p.y)
    for node in range(1, len(areas)):
        graph.add_edge(node - 1, node, length=1.0, highway="primary")
    ctx = map_context(areas, group="district", graph=graph)
    out = tmp_path_factory.mktemp("context")
    kwargs = {"inequity": inequity, "context": ctx, "access_scale": 1000}
    pages = {
        "before_after": save_offline(
            before_after_map(areas, sites, new_sites, **kwargs), out / "ctx_before_after.html"
        ),
        "layered": save_offline(
            layered_map(areas, sites, new_sites, **kwargs), out / "ctx_layered.html"
        ),
        "change": save_offline(
            change_map(areas, sites, new_sites, **kwargs), out / "ctx_change.html"
        ),
    }
    points = areas.assign(geometry=areas.geometry.representative_point())
    pages["points"] = save_offline(
        layered_map(points, sites, new_sites, **kwargs), out / "ctx_points.html"
    )
    return pages, (areas, sites, new_sites, ctx)


def test_no_access_areas_are_hatched_in_the_rendered_page(chromium, context_maps, tmp_path):
    pages, (areas, *_) = context_maps
    panes, errors = _dump(chromium, pages["before_after"], tmp_path)
    assert errors == []
    assert panes.patterns == ["accessplan-no-access"]  # defined once per page
    assert len(panes.maps) == 2
    for m, column in zip(panes.maps, ("access_before", "access_after"), strict=True):
        area_fills = [fill for pane, fill, _ in m["paths"] if pane == "accessplan-areas"]
        assert len(area_fills) == len(areas)
        # exactly the zero-access areas reference the pattern; the unscored one is grey
        assert sum(f == HATCH for f in area_fills) == int((areas[column] == 0).sum())
        assert area_fills.count(NO_DATA) == 1
    assert panes.legend_hatches == 1  # the legend swatch, hatched the same way


def test_point_areas_render_as_coloured_circles(chromium, context_maps, tmp_path):
    pages, (areas, *_) = context_maps
    panes, errors = _dump(chromium, pages["points"], tmp_path)
    assert errors == []
    (m,) = panes.maps
    areas_drawn = [(fill, hot) for pane, fill, hot in m["paths"] if pane == "accessplan-areas"]
    # one interactive circle per area ("Access after" shown), coloured by class or hatched
    assert len(areas_drawn) == len(areas) and all(hot for _, hot in areas_drawn)
    classes = shared_classes(
        areas["access_before"], areas["access_after"], population=areas["population"]
    )
    expected = [
        HATCH if c == classes.colors[0] else c for c in classes.color(areas["access_after"])
    ]
    assert Counter(f for f, _ in areas_drawn) == Counter(expected)


def test_labels_and_district_layer_render(chromium, context_maps, tmp_path):
    pages, (areas, sites, _, ctx) = context_maps
    panes, errors = _dump(chromium, pages["change"], tmp_path)
    assert errors == []
    (m,) = panes.maps
    # one label per site (13 hospitals and new sites: few enough to name them all)
    assert len(m["site_labels"]) == len(sites)
    assert sum(m["site_labels"]) == int(sites["new"].sum())
    # district names, district borders and the region outline (not interactive)
    assert m["district_labels"] == len(ctx.districts) == areas["district"].nunique()
    borders = [p for p in m["paths"] if p[0] == "accessplan-borders"]
    # each district twice (white casing + dashed line), the outline once
    assert len(borders) == 2 * len(ctx.districts) + 1 and not any(hot for *_, hot in borders)
    roads = [p for p in m["paths"] if p[0] == "accessplan-roads"]
    assert len(roads) == len(ctx.roads) and not any(hot for *_, hot in roads)
