"""Numbers and pages survive from the step that made them to the report that shows them."""

from __future__ import annotations

from accessplan.planner.cli import main


def test_report_embeds_the_saved_maps(tiny, capsys):
    """Each map in report.html is the page saved under maps/, byte for byte (rendered once)."""
    import html as html_module
    import re

    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    report = (tiny.out / "report.html").read_text()
    embedded = [html_module.unescape(m) for m in re.findall(r'srcdoc="([^"]*)"', report)]
    saved = [
        (tiny.out / "maps" / f"{n}.html").read_text() for n in ("before_after", "layers", "change")
    ]
    assert embedded == saved


def test_hospital_names_reach_the_map_tooltips(tiny, capsys):
    """A [facilities] name column shows (escaped) in the maps' hospital tooltips."""
    import geopandas as gpd

    hospitals = gpd.read_file(tiny.folder / "hospitals.gpkg")
    hospitals["Name"] = ["St Mary's <North>", "Harbour & Bay"]
    hospitals.to_file(tiny.folder / "hospitals.gpkg", engine="pyogrio")
    tiny.sections["facilities"]["name"] = "Name"
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    layers = (tiny.out / "maps" / "layers.html").read_text()
    assert "St Mary&#x27;s &lt;North&gt;" in layers and "Harbour &amp; Bay" in layers
    assert "<North>" not in layers


def test_point_areas_draw_as_coloured_circles(tiny, capsys):
    """Areas given as points (a CSV with x/y) are circle markers coloured by class,
    never Leaflet's default image markers (which an offline page shows as broken images)."""
    import json
    import re

    import geopandas as gpd
    import pandas as pd

    cells = gpd.read_file(tiny.folder / "areas.gpkg", layer="tracts")
    points = cells.geometry.representative_point()
    pd.DataFrame(
        {"Tract ID": [f"0{k}" for k in range(9)], "Pop": cells["Pop"], "X": points.x, "Y": points.y}
    ).to_csv(tiny.folder / "points.csv", index=False)
    tiny.sections["areas"] = {
        "path": "points.csv",
        "id": "Tract ID",
        "population": "Pop",
        "x": "X",
        "y": "Y",
        "crs": tiny.crs,
    }
    tiny.save_candidates()
    tiny.sections["location"] = {"objective": "coverage", "budget": 300.0}
    assert main(["plan", str(tiny.write()), "--quiet"]) == 0, capsys.readouterr().err
    for name in ("before_after", "layers", "change"):
        page = (tiny.out / "maps" / f"{name}.html").read_text()
        # markers only for the text labels (divIcon), never Leaflet's default image icon
        assert page.count("L.marker(") == page.count("icon: L.divIcon("), name
        assert "return L.circleMarker(latlng" in page, name
        found = re.findall(r"var accessplan_areas_[0-9a-f]+ = (\{.*?\});</script>", page, re.S)
        data = json.loads(found[0])
        assert len(data["features"]) == 9
        assert {f["geometry"]["type"] for f in data["features"]} == {"Point"}
