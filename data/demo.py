"""The bundled demo region -- SYNTHETIC data describing a fictional place.

The demo region ("Aldermouth and district") is invented from start to finish by
:mod:`accessplan.data.make_demo` with a fixed random seed: the population, the
hospitals, the candidate sites and the roads describe no real place. It is put at
sea (on the Dogger Bank, North Sea, in UTM zone 31N) so that its coordinates
cannot be mistaken for real land. See ``data/demo/README.md``.

Examples
--------
>>> from accessplan.data.demo import load_demo, demo_path
>>> region = load_demo()
>>> region.areas.columns.tolist()[:3]
['area_id', 'district', 'settlement']
>>> demo_path("scenario.toml").name
'scenario.toml'
"""

from __future__ import annotations

import functools
import gzip
from dataclasses import dataclass
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from accessplan.data.errors import InputFileError

if TYPE_CHECKING:  # the heavy libraries are imported only when the demo is loaded
    import geopandas as gpd
    import networkx as nx
    import pyproj

__all__ = ["DEMO_FILES", "DemoRegion", "demo_path", "load_demo"]

#: The files bundled in ``accessplan.data/demo``.
DEMO_FILES = (
    "README.md",
    "redeploy.toml",
    "region.gpkg",
    "roads.graphml.gz",
    "scenario.toml",
    "sweep.toml",
)


@dataclass(frozen=True)
class DemoRegion:
    """The synthetic demo region.

    Attributes
    ----------
    areas : geopandas.GeoDataFrame
        Small-area polygons: ``area_id`` ("A0001"...), ``district``,
        ``settlement`` ("city", "town" or "rural"), ``population`` and
        ``pop_65plus``.
    hospitals : geopandas.GeoDataFrame
        Existing hospitals (points): ``site_id`` ("H01"...), ``name``, ``place``,
        ``beds``, ``icu_beds``, ``ventilators`` and ``mean_stay_days``.
    candidates : geopandas.GeoDataFrame
        Candidate sites (points): ``site_id`` ("C01"...), ``name``, ``place``,
        ``settlement``, ``site_cost`` and ``unit_cost`` (currency units),
        ``max_units`` and ``min_units`` (beds).
    graph : networkx.MultiDiGraph
        Road network in osmnx form: nodes with ``x``, ``y``; edges with
        ``length`` (m), ``highway``, ``speed_kph``, ``travel_time`` (s),
        ``oneway``, ``reversed`` and ``osmid``; ``graph.graph["crs"]`` set.
    crs : pyproj.CRS
        The projected CRS shared by every layer and the graph.
    """

    areas: gpd.GeoDataFrame
    hospitals: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    graph: nx.MultiDiGraph
    crs: pyproj.CRS


def demo_path(name: str) -> Traversable:
    """Locate one bundled demo file.

    Parameters
    ----------
    name : str
        File name, one of :data:`DEMO_FILES` (e.g. ``"region.gpkg"``,
        ``"roads.graphml.gz"``, ``"scenario.toml"``).

    Returns
    -------
    importlib.resources.abc.Traversable
        The file inside the installed package. For a normal or editable install
        this is a :class:`pathlib.Path`; wrap it in
        :func:`importlib.resources.as_file` when a real path is required from a
        zipped install.

    Raises
    ------
    InputFileError
        If ``name`` is not one of the bundled files, or the file is missing.
    """
    if name not in DEMO_FILES:
        raise InputFileError(
            f"accessplan.data/demo/{name}",
            f"not a bundled demo file; expected one of {', '.join(DEMO_FILES)}",
        )
    path = files("accessplan.data") / "demo" / name
    if not path.is_file():
        raise InputFileError(
            f"accessplan.data/demo/{name}",
            "bundled demo file is missing; regenerate it with `python -m accessplan.data.make_demo`",
        )
    return path


def load_demo() -> DemoRegion:
    """Load the synthetic demo region bundled with accessplan.

    The files are read once and cached; every call returns fresh copies, so
    callers may modify what they get without affecting later calls.

    Returns
    -------
    DemoRegion
        Areas, hospitals, candidates, road graph and CRS (``EPSG:32631``).

    See Also
    --------
    accessplan.data.make_demo.generate_demo : builds the same region in memory.
    """
    region = _read_demo()
    return DemoRegion(
        areas=region.areas.copy(),
        hospitals=region.hospitals.copy(),
        candidates=region.candidates.copy(),
        graph=region.graph.copy(),
        crs=region.crs,
    )


@functools.cache
def _read_demo() -> DemoRegion:
    import geopandas as gpd
    import osmnx as ox

    with as_file(demo_path("region.gpkg")) as gpkg:
        layers = {
            layer: gpd.read_file(gpkg, layer=layer, engine="pyogrio")
            for layer in ("areas", "hospitals", "candidates")
        }
    text = gzip.decompress(demo_path("roads.graphml.gz").read_bytes()).decode("utf-8")
    graph = ox.load_graphml(graphml_str=text)
    return DemoRegion(graph=graph, crs=layers["areas"].crs, **layers)
