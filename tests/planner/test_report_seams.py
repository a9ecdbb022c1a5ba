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
