"""Hostile ids and names from the user's files run nothing in any HTML output.

A tiny scenario whose area ids, hospital ids and names, candidate ids and names,
district (group) names and project name are script-injection strings is run
through ``accessplan plan``; a redeployment transfer map is drawn from
facilities and a resource with such names. Every page (the three maps, the
report with its embedded maps, the transfer map) is then opened in ONE headless
Chromium launch: a harness page loads each one in an iframe, opens every
Leaflet tooltip (folium tooltips are only rendered on hover), and finally
reports, per frame (the report's map iframes included), whether a payload ran
(it would set ``data-pwned`` on ``<body>``), any ``on*`` attribute in the DOM,
the page's visible text and the tooltips' text. The hostile strings must show
literally, exactly as in the file (``&amp;`` shows as ``&amp;``).

The payloads cover each place a string is parsed as HTML: element content, a
quoted attribute, ``innerHTML`` of folium's GeoJson tooltip, and folium's
``Tooltip``, whose text sits in a JavaScript template literal (a backtick,
``${...}`` or a backslash escape there is code, not text).

Without Chromium the browser test fails when ``CI`` is set and is skipped
otherwise (as in test_browser.py).
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from accessplan.maps.escaping import html_text
from accessplan.maps.offline import find_remote_assets, save_offline
from accessplan.maps.redeploy import transfer_map
from accessplan.maps.report import write_report
from accessplan.planner.cli import main


def _sibling(name: str):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_accessplan_maps_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_browser = _sibling("test_browser")
PAGE_ERROR = _browser.PAGE_ERROR

# each payload marks <body data-pwned="..."> if it ever runs
IMG = """<img src=x onerror="document.body.setAttribute('data-pwned','1')">"""
SCRIPT = "<script>document.body.setAttribute('data-pwned','2')</script>"
SVG = """"'><svg onload="document.body.setAttribute('data-pwned','3')">"""
AMP = "&amp;"
# code inside a JavaScript template literal: ${...}, a backslash escape, a backtick
TEMPLATE = (
    "${document.body.dataset.pwned=4}\\x3cimg src=x onerror=document.body.dataset.pwned=5\\x3e"
)
TICK = "`+(document.body.dataset.pwned=6)+`"
HOSTILE = (IMG, SCRIPT, SVG, AMP, TEMPLATE, TICK)

CRS = "EPSG:32631"
X0, Y0 = 500_000.0, 5_000_000.0
AREA_IDS = [IMG, SVG, AMP, TEMPLATE, SCRIPT, TICK, "T6", "T7", "T8"]
HOSPITALS = {SVG: SCRIPT, AMP: TEMPLATE}  # id -> name
CANDIDATES = {IMG: TICK, TEMPLATE: SCRIPT}
PROJECT = f"{SCRIPT} {AMP}"
POPULATION = f"Pop {SVG}"  # a column name, shown in the report's scenario
RESOURCE = SVG


def _write_scenario(folder: Path) -> Path:
    cells = [
        box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for i in range(3)
        for j in range(3)
    ]
    gpd.GeoDataFrame(
        {
            "Tract ID": AREA_IDS,
            POPULATION: [100.0 * (k + 1) for k in range(9)],
            "District": [SVG, AMP] * 4 + [IMG],
        },
        geometry=cells,
        crs=CRS,
    ).to_file(folder / "areas.gpkg", layer="tracts", engine="pyogrio")
    gpd.GeoDataFrame(
        {
            "Hospital": list(HOSPITALS),
            "Hospital name": list(HOSPITALS.values()),
            "Total Bed": [50.0, 20.0],
            "Total Vent": [5.0, 2.0],
        },
        geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 2500, Y0 + 2500)],
        crs=CRS,
    ).to_file(folder / "hospitals.gpkg", engine="pyogrio")
    gpd.GeoDataFrame(
        {
            "Site": list(CANDIDATES),
            "Site name": list(CANDIDATES.values()),
            "cost": [10.0, 10.0],
            "unit": [1.0, 1.0],
            "max": [30.0, 30.0],
        },
        geometry=[Point(X0 + 2500, Y0 + 500), Point(X0 + 500, Y0 + 2500)],
        crs=CRS,
    ).to_file(folder / "sites.gpkg", engine="pyogrio")
    # 2.5 minutes at 30 km/h = 1.25 km: the two hospitals leave the corners
    # (2.5, 0.5) and (0.5, 2.5) uncovered, so both candidates are chosen
    text = f"""
[project]
name = {json.dumps(PROJECT)}
[areas]
path = "areas.gpkg"
layer = "tracts"
id = "Tract ID"
population = {json.dumps(POPULATION)}
group = "District"
[facilities]
path = "hospitals.gpkg"
id = "Hospital"
name = "Hospital name"
capacity = "Total Bed"
ventilators = "Total Vent"
[candidates]
path = "sites.gpkg"
id = "Site"
name = "Site name"
site_cost = "cost"
unit_cost = "unit"
max_units = "max"
[network]
straight_line = {{ speed_kph = 30 }}
[access]
method = "2sfca"
catchment_minutes = 2.5
[location]
objective = "coverage"
budget = 100.0
[ventilators]
patients_per_100k_day = 500
mean_stay_days = 9
target_wait_hours = 7
[output]
dir = "out"
"""
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _transfer_page(folder: Path) -> Path:
    ids = [SVG, AMP, IMG]
    facilities = gpd.GeoDataFrame(
        {"facility": ids, "name": [SCRIPT, TEMPLATE, TICK]},
        geometry=[Point(X0, Y0), Point(X0 + 8000, Y0), Point(X0, Y0 + 6000)],
        crs=CRS,
    )
    moves = pd.DataFrame(
        {
            "resource": [RESOURCE, RESOURCE],
            "from_facility": [SVG, AMP],
            "to_facility": [AMP, IMG],
            "units": [3.0, 2.0],
            "depart_period": [1, 2],
            "arrive_period": [2, 3],
            "cost": [1.0, 1.0],
            "answers": [SCRIPT, IMG],
        }
    )
    unmet = pd.DataFrame(
        {"facility": ids, "resource": RESOURCE, "period": 1, "unmet": [0.0, 1.5, 0.0]}
    )
    return save_offline(
        transfer_map(facilities, moves, unmet=unmet, tiles=None), folder / "transfers.html"
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    scenario = _write_scenario(folder)
    assert main(["plan", str(scenario), "-q"]) == 0
    out = folder / "out"
    chosen = pd.read_csv(out / "new_sites.csv", dtype=str, keep_default_na=False)
    assert set(chosen["site_id"]) == set(CANDIDATES)  # both hostile candidates reach the maps
    return {
        "before_after": out / "maps" / "before_after.html",
        "layers": out / "maps" / "layers.html",
        "change": out / "maps" / "change.html",
        "report": out / "report.html",
        "transfers": _transfer_page(folder),
    }


# --------------------------------------------------------------------------- no browser
def test_html_text_known_answers():
    assert html_text(IMG) == (
        "&lt;img src=x onerror=&quot;document.body.setAttribute(&#x27;data-pwned&#x27;,"
        "&#x27;1&#x27;)&quot;&gt;"
    )
    assert html_text(AMP) == "&amp;amp;"
    assert html_text("a`b${c}\\d") == "a&#96;b&#36;{c}&#92;d"
    assert html_text(None) == html_text(float("nan")) == html_text(pd.NA) == ""
    assert html_text(7) == "7"
    for text in HOSTILE:
        escaped = html_text(text)
        assert html.unescape(escaped) == text  # the browser shows the string itself
        assert not set(escaped) & set("<>\"'`$\\")


class _Srcdocs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.docs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.docs.append(dict(attrs)["srcdoc"])  # the parser decodes the attribute once


def test_pages_load_nothing_remote_and_hold_no_raw_payload(pages):
    parser = _Srcdocs()
    parser.feed(pages["report"].read_text(encoding="utf-8"))
    docs = {name: path.read_text(encoding="utf-8") for name, path in pages.items()}
    # decoding the srcdoc attribute once gives back a whole map page (the browser
    # test below shows its tooltips hold the strings exactly: no double escaping)
    assert len(parser.docs) == 3
    for i, doc in enumerate(parser.docs):
        assert doc.startswith("<!DOCTYPE html>") and "L.map(" in doc
        docs[f"report map {i}"] = doc
    for name, doc in docs.items():
        assert find_remote_assets(doc) == [], name
        assert re.search(r"L\.tileLayer\(\s*\"", doc) is None, name  # no basemap by default
        for text in (IMG, SCRIPT, SVG, TEMPLATE, TICK):
            assert text not in doc, (name, text)
        # nor any start of a payload, raw or JSON-escaped inside a script (folium's
        # GeoJSON tooltip puts property values into innerHTML as they are)
        for start in ("<img src=x", "<script>document", "<svg onload", "${document", "`+("):
            json_escaped = start.replace("<", "\\u003c").replace(">", "\\u003e")
            assert start not in doc and json_escaped not in doc, (name, start)


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append((attrs["id"], attrs.get("data-value")))


def test_report_element_ids_stay_unique_for_ids_that_differ_in_markup(tmp_path):
    # "a<b" and "a>b" used to share the element id "site-a-b-units"
    new_sites = pd.DataFrame(
        {"site_id": ["a<b", "a>b", "C7"], "units": [1.0, 2.0, 3.0], "cost": [5.0, 6.0, 7.0]}
    )
    comparison = pd.DataFrame({"before": [0.2], "after": [0.1]}, index=["gini"])
    path = write_report(
        tmp_path / "report.html",
        areas=None,
        sites=None,
        new_sites=new_sites,
        comparison=comparison,
        summary={},
        scenario={},
        figures={},
    )
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    ids = [i for i, _ in parser.ids]
    assert len(ids) == len(set(ids))
    units = {i: v for i, v in parser.ids if i.startswith("site-") and i.endswith("-units")}
    assert sorted(float(v) for v in units.values()) == [1.0, 2.0, 3.0]
    assert "site-C7-units" in units  # plain ids keep their readable element id


# --------------------------------------------------------------------------- browser
_FRAME_PROBE = r"""
function openTooltips(win, tips) {
    var L = win.L;
    if (!L) { return; }
    Object.keys(win).forEach(function (key) {
        var map;
        try { map = win[key]; } catch (e) { return; }
        if (!(map instanceof L.Map)) { return; }
        map.eachLayer(function (layer) {
            var tip = layer.getTooltip && layer.getTooltip();
            if (!tip) { return; }
            var parts = layer.getLayers ? layer.getLayers() : [layer];
            parts.forEach(function (part) {
                try {
                    var at = part.getLatLng ? part.getLatLng() : part.getBounds().getCenter();
                    // what a hover does: the event reaches the layer or its group
                    part.fire("mouseover", {latlng: at}, true);
                    var el = tip.getElement();
                    var cells = Array.prototype.map.call(
                        el.querySelectorAll("td, b"), function (c) { return c.textContent; });
                    tips.push({text: el.textContent, cells: cells, onattrs: onAttributes(el)});
                    part.fire("mouseout", {latlng: at}, true);
                } catch (e) {
                    tips.push({error: String(e) + " " + e.stack});
                }
            });
        });
    });
}
function onAttributes(root) {
    var found = [];
    Array.prototype.forEach.call(root.querySelectorAll("*"), function (el) {
        Array.prototype.forEach.call(el.attributes, function (a) {
            if (/^on/i.test(a.name)) { found.push(el.tagName + " " + a.name); }
        });
    });
    return found;
}
function frames(win, path, out) {
    out.push({path: path, win: win});
    for (var i = 0; i < win.frames.length; i++) { frames(win.frames[i], path + "/" + i, out); }
    return out;
}
"""

_HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"><script>%PROBE%
var PAGES = %PAGES%;
var result = {pages: {}};
function finish() {
    // after every tooltip was opened and closed, look again: late onerror / onload
    setTimeout(function () {
        Object.keys(result.pages).forEach(function (name) {
            var frame = document.getElementById("page-" + name);
            result.pages[name].frames = frames(frame.contentWindow, name, []).map(function (f) {
                var doc = f.win.document;
                return {path: f.path, pwned: doc.body.getAttribute("data-pwned"),
                        onattrs: onAttributes(doc), text: doc.body.innerText,
                        title: doc.title};
            });
        });
        var pre = document.createElement("pre");
        pre.id = "escaping-result";
        pre.textContent = JSON.stringify(result);
        document.body.appendChild(pre);
    }, 500);
}
function visit(i) {
    if (i === PAGES.length) { finish(); return; }
    var frame = document.createElement("iframe");
    frame.id = "page-" + PAGES[i][0];
    frame.style.width = "900px";
    frame.style.height = "600px";
    frame.onload = function () { setTimeout(function () {
        var tips = [];
        frames(frame.contentWindow, PAGES[i][0], []).forEach(function (f) {
            openTooltips(f.win, tips);
        });
        result.pages[PAGES[i][0]] = {tooltips: tips};
        visit(i + 1);
    }, 400); };
    frame.src = PAGES[i][1];
    document.body.appendChild(frame);
}
window.addEventListener("load", function () { visit(0); });
</script></head><body></body></html>
"""


class _Result(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = ""
        self._inside = False

    def handle_starttag(self, tag, attrs):
        self._inside = tag == "pre" and dict(attrs).get("id") == "escaping-result"

    def handle_endtag(self, tag):
        self._inside = False

    def handle_data(self, data):
        if self._inside:
            self.text += data


@pytest.fixture(scope="module")
def browser(pages, tmp_path_factory) -> dict:
    """Open every page in one Chromium run; return the harness result and page errors."""
    path = _browser._find_chromium()
    if path is None:
        message = "headless Chromium not found (see test_browser.py); apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail("CI is set but the browser test cannot run: " + message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("probed")
    listed = []
    for name, page in pages.items():
        text = page.read_text(encoding="utf-8")
        probed = text.replace("<head>", "<head>" + _browser._HEAD_PROBE, 1)
        assert probed.count(PAGE_ERROR) == 2, name
        if name == "report":
            # let the harness reach into the report's map iframes (a looser sandbox only
            # makes it easier for a payload to run, never harder)
            n = probed.count('sandbox="allow-scripts"')
            assert n == 3
            probed = probed.replace(
                'sandbox="allow-scripts"', 'sandbox="allow-scripts allow-same-origin"'
            )
        copy = folder / page.name
        copy.write_text(probed, encoding="utf-8")
        listed.append([name, copy.name])
    # negative control: a page that puts a payload into innerHTML must be caught
    control = folder / "control.html"
    control.write_text(
        "<!DOCTYPE html><html><head></head><body><div id=tip></div><script>"
        f"document.getElementById('tip').innerHTML = {json.dumps(SVG)};"
        "</script></body></html>",
        encoding="utf-8",
    )
    listed.append(["control", control.name])
    harness = folder / "harness.html"
    harness.write_text(
        _HARNESS.replace("%PROBE%", _FRAME_PROBE).replace("%PAGES%", json.dumps(listed)),
        encoding="utf-8",
    )
    cmd = [
        path,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--allow-file-access-from-files",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--user-data-dir={folder / 'profile'}",
        "--virtual-time-budget=30000",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        harness.as_uri(),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"chromium failed ({run.returncode}):\n{run.stderr[-3000:]}"
    parser = _Result()
    parser.feed(run.stdout)
    assert parser.text, f"the harness wrote no result:\n{run.stderr[-3000:]}"
    errors = [
        line
        for line in run.stderr.splitlines()
        if "CONSOLE" in line
        and (PAGE_ERROR in line or "Uncaught" in line or ":ERROR:CONSOLE" in line)
    ]
    return {"result": json.loads(parser.text), "errors": errors}


def test_no_payload_runs(browser):
    pages = browser["result"]["pages"]
    assert set(pages) == {"before_after", "layers", "change", "report", "transfers", "control"}
    control = pages.pop("control")["frames"]
    assert [(f["path"], f["pwned"]) for f in control] == [("control", "3")]  # the harness sees it
    paths = [f["path"] for page in pages.values() for f in page["frames"]]
    # the report's three map iframes were inspected too
    assert sorted(p for p in paths if p.startswith("report")) == [
        "report",
        "report/0",
        "report/1",
        "report/2",
    ]
    pwned = {f["path"]: f["pwned"] for page in pages.values() for f in page["frames"]}
    assert pwned == dict.fromkeys(paths)
    for page in pages.values():
        for frame in page["frames"]:
            assert frame["onattrs"] == [], frame["path"]
        assert [tip["error"] for tip in page["tooltips"] if "error" in tip] == []
        assert len(page["tooltips"]) >= 3
        for tip in page["tooltips"]:
            assert tip["onattrs"] == []


def test_no_page_error_and_nothing_loaded_from_the_network(browser):
    # every host name resolves to nothing: a remote script, style sheet, image or
    # map tile shows up here as a failed resource
    assert browser["errors"] == []


def _tooltips(browser, name):
    return browser["result"]["pages"][name]["tooltips"]


@pytest.mark.parametrize("name", ["before_after", "layers", "change", "report"])
def test_area_and_site_tooltips_show_the_strings_literally(browser, name):
    tips = _tooltips(browser, name)
    cells = [c for tip in tips for c in tip["cells"]]
    texts = [tip["text"] for tip in tips]
    for area in AREA_IDS:
        assert area in cells, area  # the area id cell holds exactly the id
    for site in HOSPITALS:
        assert site in cells, site  # <b>site id</b> (the plan does not pass hospital names on)
    for site, label in CANDIDATES.items():
        assert site in cells, site
        assert any(f"{site} {label}" in text for text in texts), site
    assert not any("&amp;amp;" in text for text in texts)
    assert not any(c == "&" for c in cells)


def test_report_text_shows_the_strings_literally(browser):
    frames = {f["path"]: f for f in browser["result"]["pages"]["report"]["frames"]}
    report = frames["report"]
    assert report["title"] == PROJECT
    text = report["text"]
    assert text.startswith(PROJECT + "\n")  # the <h1>
    for site, label in CANDIDATES.items():
        assert f"{site}\t{label}\t" in text  # chosen-sites row: id, name, ...
    for site in HOSPITALS:
        assert f"{site}\tno\t" in text  # ventilators row: id, new?
    assert json.dumps(POPULATION) in text  # the scenario as run, as JSON
    assert "&amp;amp;" not in text
    for path in ("report/0", "report/1", "report/2"):
        assert "Inequity of access" in frames[path]["text"]  # the embedded maps were drawn


def test_transfer_map_shows_the_strings_literally(browser):
    tips = _tooltips(browser, "transfers")
    texts = [tip["text"] for tip in tips]
    cells = [c for tip in tips for c in tip["cells"]]
    for facility in (SVG, AMP, IMG):
        assert facility in cells
    assert any(f"{SVG} {SCRIPT}" in t for t in texts)
    assert any(f"{AMP} {TEMPLATE}" in t for t in texts)
    assert f"3 {RESOURCE}" in cells  # flow heading <b>3 resource</b>
    assert any(f"from {SVG} to {AMP}" in t for t in texts)
    # the layer control lists the resource by name
    page = next(f for f in browser["result"]["pages"]["transfers"]["frames"])
    assert RESOURCE in page["text"]
    assert not any("&amp;amp;" in t for t in texts)
