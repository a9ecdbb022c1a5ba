"""One entry point for road networks on the lean path: file -> cached :class:`RoadArrays`.

:func:`load_road_arrays` takes the files :func:`~accessplan.spatial.network.load_network`
takes and returns what ``RoadArrays.from_graph(load_network(...)[0])`` would,
with the same :class:`~accessplan.spatial.network.NetworkReport`, without a
networkx graph:

* GraphML (``.graphml``, ``.graphml.gz``): streamed by
  :func:`accessplan.spatial.graphml_arrays.read_graphml_arrays`;
* OSM XML (``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``) and PBF
  (``.osm.pbf``): read by :func:`accessplan.spatial.osm_arrays.read_osm_arrays`.

Both go through the network cache (:mod:`accessplan.spatial.network_cache`):
the first run parses and stores the arrays, later runs with the same file
bytes and options load them (a few hundred MB/s instead of parsing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accessplan.data.errors import InputFileError
from accessplan.spatial.errors import NetworkError
from accessplan.spatial.graphml_arrays import GRAPHML_SUFFIXES, read_graphml_arrays
from accessplan.spatial.network import NetworkReport
from accessplan.spatial.network_cache import cached_road_arrays
from accessplan.spatial.network_crs import metre_target_crs
from accessplan.spatial.osm_extract import osm_file_format
from accessplan.spatial.road_arrays import RoadArrays

__all__ = ["load_road_arrays"]


def load_road_arrays(
    path: str | Path,
    *,
    network_type: str | None = "drive",
    fallback_speed_kph: float | None = None,
    speed_kph: float | None = None,
    to_crs: Any = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = False,
) -> tuple[RoadArrays, NetworkReport]:
    """Load a road network file as arrays, through the network cache.

    Parameters
    ----------
    path : str or Path
        GraphML (``.graphml``, ``.graphml.gz``) or OSM extract (``.osm``,
        ``.xml``, ``.osm.bz2``, ``.osm.gz``, ``.osm.pbf``).
    network_type : str or None, default "drive"
        Tag filter for OSM extracts; ignored for GraphML (and not part of its
        cache key).
    fallback_speed_kph, speed_kph, to_crs
        As for :func:`~accessplan.spatial.network.load_network`.
    cache_dir : str or Path, optional
        Cache folder; default ``.accessplan-cache`` in the current directory
        (the planner passes the one beside the scenario file).
    use_cache : bool, default True
        False: always parse, never read or write the cache.
    progress : bool, default False
        Progress bars while reading OSM files.

    Returns
    -------
    arrays : RoadArrays
        Largest strongly connected component, projected to metres, edge
        travel times in seconds.
    report : NetworkReport
        Equal to ``load_network``'s report for the same file and options.

    Raises
    ------
    InputFileError
        If the file does not exist or is not a file.
    NetworkError
        If the file type is unknown or the network cannot be read or used
        (see the readers).
    NetworkCRSError
        For bad CRSs and coordinates.
    NetworkCacheError
        If the cache entry of this file and these options is corrupt or does
        not match its key (delete it or pass ``use_cache=False``).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "road network file not found")
    if not path.is_file():
        raise InputFileError(path, "road network path is not a file")
    metre_target_crs(to_crs, source=str(path))  # before hashing a large file
    if path.name.lower().endswith(GRAPHML_SUFFIXES):
        options = {"reader": "graphml"}

        def read() -> tuple[RoadArrays, NetworkReport]:
            return read_graphml_arrays(
                path, fallback_speed_kph=fallback_speed_kph, speed_kph=speed_kph, to_crs=to_crs
            )

    elif osm_file_format(path) is not None:
        options = {"reader": "osm", "network_type": network_type}

        def read() -> tuple[RoadArrays, NetworkReport]:
            from accessplan.spatial.osm_arrays import read_osm_arrays

            return read_osm_arrays(
                path,
                network_type=network_type,
                fallback_speed_kph=fallback_speed_kph,
                speed_kph=speed_kph,
                to_crs=to_crs,
                progress=progress,
            )

    else:
        raise NetworkError(
            f"file {path}: unknown road network file type; expected .graphml, .graphml.gz, "
            ".osm, .xml, .osm.bz2, .osm.gz or .osm.pbf"
        )
    if not use_cache:
        return read()
    options |= {"fallback_speed_kph": fallback_speed_kph, "speed_kph": speed_kph, "to_crs": to_crs}
    arrays, report, _ = cached_road_arrays(path, read, options=options, cache_dir=cache_dir)
    return arrays, report
