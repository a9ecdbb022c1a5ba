"""A tiny valid scenario on disk that each bad-input test breaks in one way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import osmnx as ox
import pytest
from shapely.geometry import Point, box

CRS = "EPSG:32631"
X0, Y0 = 500_000.0, 5_000_000.0


def write_toml(path: Path, sections: dict) -> None:
    """Write a small TOML file (tables of scalars and inline tables)."""

    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, dict):
            return "{ " + ", ".join(f'"{k}" = {value(x)}' for k, x in v.items()) + " }"
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\") + '"'

    lines = []
    for name, body in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {value(v)}" for k, v in body.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def grid_graph(n: int = 6, spacing_m: float = 1000.0, speed_kph: float = 30.0) -> nx.MultiDiGraph:
    """An osmnx-style two-way grid street network in CRS."""
    g = nx.MultiDiGraph(crs=CRS)
    for i in range(n):
        for j in range(n):
            g.add_node(i * n + j, x=X0 + i * spacing_m, y=Y0 + j * spacing_m)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = i * n + j, (i + di) * n + j + dj
                    for u, v in ((a, b), (b, a)):
                        g.add_edge(
                            u,
                            v,
                            length=spacing_m,
                            highway="residential",
                            speed_kph=speed_kph,
                            travel_time=spacing_m / (speed_kph / 3.6),
                        )
    return g


@dataclass
class Tiny:
    """Paths and the scenario dict of a valid tiny run."""

    folder: Path
    sections: dict

    @property
    def toml(self) -> Path:
        return self.folder / "scenario.toml"

    @property
    def out(self) -> Path:
        return self.folder / "out"

    crs = CRS
    x0 = X0
    y0 = Y0

    def write(self) -> Path:
        write_toml(self.toml, self.sections)
        return self.toml

    def save_candidates(self, **overrides) -> gpd.GeoDataFrame:
        """Two candidate sites C1, C2 (columns overridable) as ``[candidates]``."""
        frame = gpd.GeoDataFrame(
            {
                "cid": ["C1", "C2"],
                "site_cost": [100.0, 120.0],
                "unit_cost": [10.0, 10.0],
                "max_units": [20, 20],
                "min_units": [5, 5],
            },
            geometry=[Point(X0 + 2500, Y0 + 500), Point(X0 + 500, Y0 + 2500)],
            crs=CRS,
        )
        for column, value in overrides.items():
            if column == "geometry":
                frame = frame.set_geometry(value)
            else:
                frame[column] = value
        frame.to_file(self.folder / "candidates.gpkg", engine="pyogrio")
        self.sections["candidates"] = {"path": "candidates.gpkg", "id": "cid"}
        return frame

    def save_grid_graph(self, name: str = "roads.graphml", **options) -> Path:
        """Save :func:`grid_graph` (``options`` passed on) beside the scenario."""
        path = self.folder / name
        ox.save_graphml(grid_graph(**options), path)
        return path


@pytest.fixture
def tiny(tmp_path: Path) -> Tiny:
    """Nine 1 km square areas, two hospitals, straight-line travel at 30 km/h."""
    cells = [
        box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
        for i in range(3)
        for j in range(3)
    ]
    areas = gpd.GeoDataFrame(
        {
            "Tract ID": [f"T{k}" for k in range(9)],
            "Pop": [100.0 * (k + 1) for k in range(9)],
            "Over65": [10.0 * (k + 1) for k in range(9)],
        },
        geometry=cells,
        crs=CRS,
    )
    areas.to_file(tmp_path / "areas.gpkg", layer="tracts", engine="pyogrio")
    hospitals = gpd.GeoDataFrame(
        {"Hospital": ["H1", "H2"], "Total Bed": [50.0, 20.0], "Total Vent": [5.0, 2.0]},
        geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 2500, Y0 + 2500)],
        crs=CRS,
    )
    hospitals.to_file(tmp_path / "hospitals.gpkg", engine="pyogrio")
    sections = {
        "areas": {"path": "areas.gpkg", "layer": "tracts", "id": "Tract ID", "population": "Pop"},
        "facilities": {
            "path": "hospitals.gpkg",
            "id": "Hospital",
            "capacity": "Total Bed",
            "ventilators": "Total Vent",
        },
        "network": {"straight_line": {"speed_kph": 30}},
        "access": {"method": "2sfca", "catchment_minutes": 10},
        "output": {"dir": "out"},
    }
    return Tiny(folder=tmp_path, sections=sections)


@pytest.fixture(scope="session")
def toml_writer():
    """:func:`write_toml`, for tests that build their own scenarios."""
    return write_toml
