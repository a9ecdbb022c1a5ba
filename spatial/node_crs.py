"""Node coordinates of road networks held as arrays: checks, the UTM choice, projection.

The array form of :mod:`accessplan.spatial.network_crs` (which works on a
networkx graph), shared by the OSM and GraphML readers:

* :func:`check_node_coordinates`: coordinates finite; within +-180 / +-90 in a
  geographic CRS; within :data:`~accessplan.spatial.network_crs.MAX_ABS_METRES`
  (times the axis unit in metres) in a projected one and after projecting
  (defined in :mod:`~accessplan.spatial.network_crs`, whose graph checks run
  it on the graph's node arrays, and importable from here);
* :func:`utm_crs_for`: the CRS osmnx projects to without ``to_crs``: UPS when
  the mean of the distinct points lies beyond 84 N / 80 S, else the WGS 84 UTM
  zone of the centre of the bounding box ``((xmin + xmax) / 2, (ymin + ymax) / 2)``
  in degrees;
* :func:`project_nodes`: to ``to_crs``, or to :func:`utm_crs_for` unless the
  coordinates are already projected in metres, as ``prepare_network``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info

from accessplan.spatial.errors import NetworkCRSError
from accessplan.spatial.network_crs import (
    check_node_coordinates,
    is_metre_crs,
    metre_target_crs,
)

__all__ = ["check_node_coordinates", "project_nodes", "utm_crs_for"]

_UPS_NORTH, _UPS_SOUTH = "epsg:32661", "epsg:32761"
#: Latitudes beyond which osmnx projects to UPS instead of UTM.
_UTM_NORTH_LIMIT, _UTM_SOUTH_LIMIT = 84.0, -80.0


def utm_crs_for(x: np.ndarray, y: np.ndarray, crs: Any = None) -> pyproj.CRS:
    """The metre CRS osmnx projects these nodes to when no CRS is given.

    UPS north (EPSG:32661) or south (EPSG:32761) when the mean of the distinct
    points lies beyond 84 N or 80 S; otherwise the WGS 84 UTM zone of the
    centre of their bounding box (geopandas' ``estimate_utm_crs``).

    Parameters
    ----------
    x, y : numpy.ndarray
        float64 node coordinates in ``crs`` (finite).
    crs : CRS-like, optional
        Their CRS; default: longitude and latitude in degrees (EPSG:4326).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    NetworkCRSError
        If pyproj knows no UTM zone at the centre.
    """
    crs = pyproj.CRS.from_user_input(crs if crs is not None else "epsg:4326")
    order = np.lexsort((y, x))
    distinct = np.ones(len(order), dtype=bool)
    distinct[1:] = (np.diff(x[order]) != 0) | (np.diff(y[order]) != 0)
    centre_y = y[order[distinct]].mean()
    if crs.is_projected:
        centre_x = x[order[distinct]].mean()
        to_degrees = pyproj.Transformer.from_crs(crs, "epsg:4326", always_xy=True)
        centre_y = to_degrees.transform(centre_x, centre_y)[1]
    if centre_y < _UTM_SOUTH_LIMIT:
        return pyproj.CRS.from_user_input(_UPS_SOUTH)
    if centre_y > _UTM_NORTH_LIMIT:
        return pyproj.CRS.from_user_input(_UPS_NORTH)
    if not crs.is_geographic:
        import geopandas as gpd  # imported here: only projected inputs need it

        # the bounds' two corners have the bounds of every node: the same estimate, two points
        corners = gpd.points_from_xy([x.min(), x.max()], [y.min(), y.max()])
        return gpd.GeoSeries(corners, crs=crs).estimate_utm_crs()
    x_centre = np.mean([x.min(), x.max()])
    y_centre = np.mean([y.min(), y.max()])
    zones = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            west_lon_degree=x_centre,
            south_lat_degree=y_centre,
            east_lon_degree=x_centre,
            north_lat_degree=y_centre,
        ),
    )
    if not zones:
        raise NetworkCRSError(f"no UTM zone found for longitude {x_centre}, latitude {y_centre}")
    return pyproj.CRS.from_epsg(zones[0].code)


def project_nodes(
    x: np.ndarray,
    y: np.ndarray,
    crs: pyproj.CRS,
    *,
    to_crs: Any = None,
    source: str = "network",
) -> tuple[np.ndarray, np.ndarray, pyproj.CRS]:
    """Project node coordinates to the metre-based CRS ``prepare_network`` projects a graph to.

    Parameters
    ----------
    x, y : numpy.ndarray
        float64 coordinates in ``crs``, already checked by :func:`check_node_coordinates`.
    crs : pyproj.CRS
        Their CRS.
    to_crs : CRS-like, optional
        Target CRS (checked: projected, in metres).  Default: keep ``crs``
        when it is projected in metres, else the UTM (UPS) zone osmnx picks.
    source : str
        File name for messages.

    Returns
    -------
    x, y : numpy.ndarray
        Projected coordinates (the inputs themselves when nothing changes).
    crs : pyproj.CRS
        Their CRS.

    Raises
    ------
    NetworkCRSError
        If ``to_crs`` is not a metre-based projected CRS.
    """
    target = metre_target_crs(to_crs, source=source)
    if target is not None:
        if crs.equals(target):
            return x, y, crs
    elif crs.is_projected and is_metre_crs(crs):
        return x, y, crs
    else:
        target = utm_crs_for(x, y, crs)
    transformer = pyproj.Transformer.from_crs(crs, target, always_xy=True)
    px, py = transformer.transform(x, y)
    return np.asarray(px, dtype=np.float64), np.asarray(py, dtype=np.float64), target
