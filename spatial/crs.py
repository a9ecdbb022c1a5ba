"""Coordinate reference systems: one metre-based projected CRS for every distance.

Every representative point, distance, snap and buffer in accessplan is
computed in a *projected* CRS whose axes are in *metres* (DESIGN.md).  A
layer in degrees (EPSG:4326) or in feet (US State Plane, e.g. EPSG:2278 or
EPSG:3435 in US survey feet, ``+units=us-ft``) is transformed first; reading
feet as metres would make every straight-line time 3.28x too long.

The run CRS (:func:`metre_crs`):

* a CRS the user asked for, which must be projected and in metres (a CRS in
  feet given explicitly is refused, naming its unit, rather than silently
  replaced);
* else the layer's own CRS when it is projected and in metres;
* else (degrees, feet, any other unit) the WGS 84 / UTM zone of the layer's
  centre (EPSG:326zz north, EPSG:327zz south), as
  :meth:`geopandas.GeoDataFrame.estimate_utm_crs` chooses it.

:func:`coordinate_problems` checks a layer's coordinates before anything is
computed from them: finite, inside -180..180 / -90..90 for a geographic CRS,
finite after projection, and not far (more than :data:`AREA_OF_USE_MARGIN_DEGREES`)
outside the area of use of either the layer's CRS or the run CRS -- the usual
signs of swapped longitude/latitude, metres labelled as degrees, or a wrong CRS.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError as _PyprojCRSError

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.errors import CRSError

__all__ = [
    "AREA_OF_USE_MARGIN_DEGREES",
    "axis_unit",
    "coordinate_problems",
    "is_metre_projected",
    "metre_crs",
    "parse_crs",
    "require_metre_crs",
]

#: How far (degrees of longitude/latitude) a feature may lie outside a CRS's
#: published area of use before it is an error (about 550 km at the equator):
#: regions straddling a UTM zone edge pass, points on the wrong continent do not.
AREA_OF_USE_MARGIN_DEGREES = 5.0

_WGS84 = pyproj.CRS.from_epsg(4326)


def parse_crs(value: Any, *, where: str) -> pyproj.CRS:
    """Parse a CRS given as text (``"EPSG:3435"``, WKT, a proj string) or object.

    Parameters
    ----------
    value : str or pyproj.CRS
        The CRS.
    where : str
        Where it was given, for the message (``"scenario key project.crs"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        pyproj does not know it; the message names ``where`` and the text.
    """
    try:
        return pyproj.CRS.from_user_input(value)
    except (_PyprojCRSError, TypeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CRSError(
            f"{where}: {value!r} is not a coordinate reference system pyproj knows ({first}); "
            'give e.g. "EPSG:4326" or "EPSG:32616"'
        ) from exc


def _horizontal(crs: pyproj.CRS) -> pyproj.CRS:
    """The horizontal part of a compound or bound CRS."""
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if sub.is_projected or sub.is_geographic:
                return sub
    return crs


def axis_unit(crs: Any) -> tuple[str, float]:
    """Name of the CRS's horizontal axis unit and its length in metres (or degrees).

    Parameters
    ----------
    crs : CRS-like

    Returns
    -------
    (str, float)
        e.g. ``("metre", 1.0)``, ``("US survey foot", 0.3048006096...)``,
        ``("degree", 0.01745...)`` (radians per degree for angular units).
    """
    crs = _horizontal(pyproj.CRS.from_user_input(crs))
    axes = crs.axis_info
    if not axes:
        return ("unknown", float("nan"))
    return (axes[0].unit_name, float(axes[0].unit_conversion_factor))


def is_metre_projected(crs: Any) -> bool:
    """True when ``crs`` is projected and its horizontal axes are in metres."""
    parsed = _horizontal(pyproj.CRS.from_user_input(crs))
    if not parsed.is_projected:
        return False
    return all(a.unit_conversion_factor == 1.0 for a in parsed.axis_info[:2])


def _describe(crs: pyproj.CRS) -> str:
    code = crs.to_authority()
    name = crs.name or crs.to_string()
    return f"{code[0]}:{code[1]} ({name})" if code else name


def require_metre_crs(crs: Any, *, what: str) -> pyproj.CRS:
    """Refuse a CRS that is not projected in metres, naming it and its unit.

    Used at the entry of every function that measures distances, so a CRS in
    feet or degrees never reaches one.

    Parameters
    ----------
    crs : CRS-like
    what : str
        What carries the CRS, for the message (``"the road network"``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
    """
    if crs is None:
        raise CRSError(f"{what} has no coordinate reference system")
    parsed = parse_crs(crs, where=what)
    if is_metre_projected(parsed):
        return parsed
    unit, _ = axis_unit(parsed)
    kind = "projected" if _horizontal(parsed).is_projected else "geographic"
    raise CRSError(
        f"{what} is in {_describe(parsed)}, a {kind} CRS with axes in {unit}; distances need a "
        "projected CRS in metres (e.g. the UTM zone, EPSG:326zz/327zz, or the metre "
        "version of the State Plane zone)"
    )


def metre_crs(layer: gpd.GeoDataFrame | gpd.GeoSeries, requested: Any = None) -> pyproj.CRS:
    """The metre-based projected CRS to compute a layer in (see the module notes).

    Parameters
    ----------
    layer : GeoDataFrame or GeoSeries
        With a CRS and finite coordinates (check with :func:`coordinate_problems`).
    requested : CRS-like, optional
        The CRS the user asked for; must be projected in metres.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        ``requested`` is unknown or not projected in metres.
    """
    if requested is not None:
        return require_metre_crs(requested, what="the requested CRS (project.crs)")
    if is_metre_projected(layer.crs):
        return pyproj.CRS.from_user_input(layer.crs)
    return layer.estimate_utm_crs()


def _bounds_lonlat(crs: pyproj.CRS) -> tuple[float, float, float, float] | None:
    area = crs.area_of_use
    if area is None:
        return None
    return (area.west, area.south, area.east, area.north)


def _outside(lon, lat, box, margin: float) -> np.ndarray:
    west, south, east, north = box
    if west > east:  # an area of use across the antimeridian
        lon = np.where(lon < west - margin, lon + 360.0, lon)
        east += 360.0
    return (
        (lon < west - margin)
        | (lon > east + margin)
        | (lat < south - margin)
        | (lat > north + margin)
    )


def _transform(transformer: pyproj.Transformer, x, y, mask) -> tuple[np.ndarray, np.ndarray]:
    """Transform the masked coordinates; NaN elsewhere (and wherever PROJ fails)."""
    tx = np.full(len(x), np.nan)
    ty = np.full(len(y), np.nan)
    with np.errstate(all="ignore"):
        tx[mask], ty[mask] = transformer.transform(x[mask], y[mask], errcheck=False)
    return tx, ty


def coordinate_problems(
    geometry: gpd.GeoSeries,
    *,
    labels,
    source: str,
    column: str,
    problems: ProblemCollector,
    run_crs: Any = None,
    area_of_use: bool = True,
) -> np.ndarray:
    """Record every coordinate fault of a layer; return the rows that are sound.

    Checks, per feature (its bounding-box corners): coordinates finite;
    longitude within -180..180 and latitude within -90..90 when the layer is
    geographic; finite after transformation to ``run_crs`` (and to degrees);
    not more than :data:`AREA_OF_USE_MARGIN_DEGREES` outside the area of use
    of the layer's CRS or of ``run_crs``.  Where swapping x and y would put an
    out-of-place feature inside, the message says the axes look swapped.

    Parameters
    ----------
    geometry : GeoSeries
        With a CRS; missing or empty geometries are skipped (checked elsewhere).
    labels : sequence of str
        How each row is named in messages (e.g. ``"3 (id T3)"``).
    source, column : str
        File and column named in messages.
    problems : ProblemCollector
    run_crs : CRS-like, optional
        The CRS the run computes in.
    area_of_use : bool, default True
        Also refuse features far outside the CRSs' areas of use (the planner's
        input check); library functions given abstract test coordinates turn
        it off and keep the finiteness checks.

    Returns
    -------
    numpy.ndarray of bool
        True for rows without a coordinate fault.
    """
    n = len(geometry)
    ok = np.ones(n, dtype=bool)
    present = ~(geometry.isna() | geometry.is_empty).to_numpy()
    if n == 0 or not present.any():
        return ok
    crs = pyproj.CRS.from_user_input(geometry.crs)
    bounds = np.full((n, 4), np.nan)
    bounds[present] = shapely.bounds(geometry.to_numpy()[present])
    x = np.concatenate([bounds[:, 0], bounds[:, 2]])
    y = np.concatenate([bounds[:, 1], bounds[:, 3]])

    def rows(mask):
        return tuple(labels[i] for i in np.flatnonzero(mask))

    def per_row(mask2n):
        return mask2n[:n] | mask2n[n:]

    finite = np.isfinite(x) & np.isfinite(y)
    bad = per_row(~finite) & present
    if bad.any():
        problems.add(
            "coordinates are not finite numbers (NaN or infinite)",
            source=source,
            column=column,
            rows=rows(bad),
        )
    ok &= ~bad
    if _horizontal(crs).is_geographic:
        with np.errstate(invalid="ignore"):
            out = per_row((np.abs(x) > 180) | (np.abs(y) > 90)) & ok & present
        if out.any():
            swapped = per_row((np.abs(y) <= 180) & (np.abs(x) <= 90)) & out
            hint = (
                "x and y look swapped (x must be longitude, y latitude)"
                if swapped.all()
                else "are these metres in a layer labelled as degrees?"
            )
            problems.add(
                f"longitude must be within -180..180 and latitude within -90..90 in "
                f"{_describe(crs)}; {hint}",
                source=source,
                column=column,
                rows=rows(out),
            )
            ok &= ~out
    sound = np.concatenate([ok, ok]) & np.concatenate([present, present])
    to_deg = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True)
    lon, lat = _transform(to_deg, x, y, sound)
    if run_crs is not None:
        run = pyproj.CRS.from_user_input(run_crs)
        px, py = _transform(pyproj.Transformer.from_crs(crs, run, always_xy=True), x, y, sound)
        lost = per_row(~(np.isfinite(px) & np.isfinite(py)) & sound)
        if lost.any():
            problems.add(
                f"coordinates cannot be projected to {_describe(run)} (not finite after "
                f"projection from {_describe(crs)}); check the layer's CRS and x/y order",
                source=source,
                column=column,
                rows=rows(lost),
            )
            ok &= ~lost
    lost = per_row(~(np.isfinite(lon) & np.isfinite(lat)) & sound) & ok
    if lost.any():
        problems.add(
            f"coordinates cannot be converted to longitude/latitude from {_describe(crs)}; "
            "check the layer's CRS",
            source=source,
            column=column,
            rows=rows(lost),
        )
        ok &= ~lost
    targets = [crs] + ([pyproj.CRS.from_user_input(run_crs)] if run_crs is not None else [])
    if not area_of_use:
        targets = []
    for target in targets:
        box = _bounds_lonlat(_horizontal(target))
        if box is None or box == (-180.0, -90.0, 180.0, 90.0):
            continue
        sound = np.concatenate([ok, ok])
        with np.errstate(invalid="ignore"):
            far = per_row(_outside(lon, lat, box, AREA_OF_USE_MARGIN_DEGREES) & sound)
        if not far.any():
            continue
        hint = "check the layer's CRS"
        # where would the features be with x and y exchanged?
        slon, slat = _transform(to_deg, y, x, sound)
        with np.errstate(invalid="ignore"):
            inside = ~_outside(slon, slat, box, AREA_OF_USE_MARGIN_DEGREES) & np.isfinite(slon)
        if (inside[:n] & inside[n:])[far].all():
            hint = "x and y look swapped (x must be the easting or longitude, y the northing or latitude)"
        west, south, east, north = box
        problems.add(
            f"lies far outside the area of use of {_describe(target)} (longitude "
            f"{west:g}..{east:g}, latitude {south:g}..{north:g}); {hint}",
            source=source,
            column=column,
            rows=rows(far),
        )
        ok &= ~far
    return ok
