"""Edge speeds from OSM ``maxspeed`` and ``highway`` values, the way osmnx imputes them.

This module gives, on plain arrays of edge values, the speeds that
:func:`osmnx.add_edge_speeds` gives on a graph (osmnx 2.1, default ``np.mean``
aggregation), so that the lean array path and the networkx path produce the
same travel times.

Speed of an edge, in km/h:

1. its own ``maxspeed``, parsed by :func:`parse_maxspeed`: a number with an
   optional unit (``"50"``, ``"50 km/h"``, ``"30 mph"`` -> 30 x 1.60934),
   per-lane values ``"50|70"`` averaged, otherwise an implicit value such as
   ``"RU:urban"`` looked up in :data:`IMPLICIT_MAXSPEEDS`; anything else
   (``"none"``, ``"signals"``, ``"50;70"``) is no speed;
2. otherwise the mean own speed of the edges of its ``highway`` type
   (the first type when an edge carries a list);
3. otherwise ``fallback_speed_kph`` when given;
4. otherwise the mean of the per-type means of step 2.

An edge merged from several OSM ways by graph simplification can carry a list
of ``maxspeed`` values: each is parsed, the parsed ones averaged, and that
mean (written as text and parsed again, as osmnx does) is the edge's own speed.

Travel time of an edge in seconds: ``t = (length_m / 1000) / (speed_kph / 3600)``,
evaluated in this order (osmnx's :func:`~osmnx.add_edge_travel_times`), so
that the float64 results agree to the last bit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import osmnx.routing as ox_routing

from accessplan.spatial.errors import NetworkError
from accessplan.spatial.network import SPEED_SOURCES

__all__ = [
    "IMPLICIT_MAXSPEEDS",
    "MILES_TO_KM",
    "edge_maxspeed_kph",
    "edge_seconds",
    "edge_speeds_kph",
    "parse_maxspeed",
]

#: Kilometres per mile as osmnx converts ``mph`` limits (five significant digits).
MILES_TO_KM = 1.60934

#: Implicit speed limits (``"RU:urban"`` -> 60.0 km/h...), the table of the
#: installed osmnx: the lean path must read the very same values as the
#: networkx path, so the table is taken from osmnx rather than kept twice.
IMPLICIT_MAXSPEEDS: Mapping[str, float] = MappingProxyType(
    dict(getattr(ox_routing, "_IMPLICIT_MAXSPEEDS", {}))
)

# a number (digits, dots, commas; the shortest that fits), then an optional unit
_SPEED_TEXT = re.compile(r"^([0-9][0-9.,]*?)(?: ?(?:km/h|kmh|kph|mph|knots))?$")


def parse_maxspeed(text: Any) -> float | None:
    """km/h of one OSM ``maxspeed`` text, or ``None`` when it gives no speed.

    Parameters
    ----------
    text : str
        A ``maxspeed`` tag value. Anything that is not a str gives ``None``.

    Returns
    -------
    float or None
        The number (a comma is a decimal mark), times :data:`MILES_TO_KM` when
        ``"mph"`` appears anywhere in the text; per-lane values separated by
        ``"|"`` are averaged. Text that is not such a number is looked up in
        :data:`IMPLICIT_MAXSPEEDS` (``None`` when absent). Knots are read as
        km/h, as osmnx does.

    Examples
    --------
    >>> parse_maxspeed("50")
    50.0
    >>> round(parse_maxspeed("30 mph"), 4)
    48.2802
    >>> parse_maxspeed("50|70")
    60.0
    >>> parse_maxspeed("none") is None
    True
    """
    if not isinstance(text, str):
        return None
    in_mph = "mph" in text.lower()
    numbers = []
    for part in text.split("|"):
        match = _SPEED_TEXT.match(part)
        if match is None:
            return IMPLICIT_MAXSPEEDS.get(text)
        try:
            number = float(match.group(1).replace(",", "."))
        except ValueError:  # "1.2.3"
            return IMPLICIT_MAXSPEEDS.get(text)
        numbers.append(number * MILES_TO_KM if in_mph else number)
    return float(np.mean(numbers))


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def edge_maxspeed_kph(value: Any) -> float | None:
    """An edge's own speed (km/h) from its ``maxspeed`` value, or ``None``.

    Parameters
    ----------
    value : str, list, float or None
        A str is parsed by :func:`parse_maxspeed`. A list (an edge merged from
        ways with different limits) gives the mean of its parsed items, passed
        through its text form and parsed again; ``None`` when no item parses.
        ``None`` and NaN give ``None``; another number is read from its text
        form (``50.0`` -> 50.0).

    Returns
    -------
    float or None
    """
    if isinstance(value, list):
        parsed = [parse_maxspeed(item) for item in value]
        kept = [speed for speed in parsed if speed is not None]
        if not kept:
            return None
        mean = float(np.mean(np.array(kept, dtype=np.float64)))
        if math.isnan(mean):
            return None
        value = str(mean)
    elif _is_missing(value):
        return None
    elif not isinstance(value, str):
        value = str(value)
    return parse_maxspeed(value)


def _first_highway(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if _is_missing(value):
        return None
    return value if isinstance(value, str) else str(value)


def edge_speeds_kph(
    highway: Sequence[Any],
    maxspeed: Sequence[Any],
    *,
    fallback_speed_kph: float | None = None,
    source: str = "network",
) -> tuple[np.ndarray, dict[str, int]]:
    """Speeds (km/h) of edges from their ``highway`` and ``maxspeed`` values, as osmnx imputes them.

    Parameters
    ----------
    highway : sequence
        Per edge: the OSM ``highway`` type (str), or a list of types (the
        first counts).
    maxspeed : sequence
        Per edge: the ``maxspeed`` value (str, list of str, or ``None``/NaN
        when the edge has none); see :func:`edge_maxspeed_kph`.
    fallback_speed_kph : float, optional
        Speed of the edges of a highway type on which no edge has a usable
        ``maxspeed`` (osmnx's ``fallback``). Without it such edges get the
        mean of the per-type mean speeds.
    source : str, default "network"
        Name used in error messages.

    Returns
    -------
    speed_kph : numpy.ndarray
        float64 speed per edge (a ``maxspeed`` of ``"0"`` gives 0).
    counts : dict of str to int
        Edges by where their speed came from, every key of
        :data:`accessplan.spatial.network.SPEED_SOURCES` present (zero for
        sources not used): ``"maxspeed"``, ``"highway type mean"``,
        ``"fallback_speed_kph"`` or ``"mean of all highway types"``.

    Raises
    ------
    NetworkError
        If the lengths differ, an edge has no ``highway`` value, or no edge
        has a usable ``maxspeed`` and ``fallback_speed_kph`` is not given.
    """
    n = len(highway)
    if len(maxspeed) != n:
        raise NetworkError(
            f"{source}: {n} highway values but {len(maxspeed)} maxspeed values; "
            "expected one of each per edge"
        )
    if fallback_speed_kph is not None and not (
        math.isfinite(fallback_speed_kph) and fallback_speed_kph > 0
    ):
        raise NetworkError(
            f"{source}: fallback_speed_kph must be a positive number, got {fallback_speed_kph!r}"
        )

    # highway types as integer codes; an edge without one cannot be imputed
    type_code: dict[str, int] = {}
    codes = np.empty(n, dtype=np.int64)
    no_highway = 0
    for k, value in enumerate(highway):
        name = _first_highway(value)
        if name is None:
            no_highway += 1
            codes[k] = -1
        else:
            codes[k] = type_code.setdefault(name, len(type_code))
    if no_highway:
        raise NetworkError(
            f"{source}: no travel time possible: {no_highway} edges have neither "
            "'travel_time' nor 'highway' (pass speed_kph for a constant speed)"
        )

    # own speeds: distinct texts parsed once
    parsed_text: dict[str, float | None] = {}
    own = np.full(n, np.nan)
    for k, value in enumerate(maxspeed):
        if isinstance(value, str):
            if value not in parsed_text:
                parsed_text[value] = parse_maxspeed(value)
            speed = parsed_text[value]
        else:
            speed = edge_maxspeed_kph(value)
        if speed is not None:
            own[k] = speed
    has_own = ~np.isnan(own)

    # mean own speed per highway type (NaN for a type without any)
    names = list(type_code)
    type_mean = np.full(len(names), np.nan)
    for code in range(len(names)):
        speeds = own[(codes == code) & has_own]
        if len(speeds):
            type_mean[code] = np.mean(speeds)
    typed = ~np.isnan(type_mean)
    if fallback_speed_kph is not None:
        type_speed = np.where(typed, type_mean, float(fallback_speed_kph))
    else:
        if not typed.any():
            raise NetworkError(
                f"{source}: no travel time possible: no edge has a 'maxspeed' tag; "
                "pass fallback_speed_kph (or speed_kph)"
            )
        # osmnx averages the type means in the sorted order of the type names
        ordered = [type_mean[type_code[name]] for name in sorted(names) if typed[type_code[name]]]
        type_speed = np.where(typed, type_mean, np.mean(np.array(ordered)))

    speed_kph = np.where(has_own, own, type_speed[codes])
    imputed_typed = ~has_own & typed[codes]
    imputed_other = int((~has_own & ~typed[codes]).sum())
    counts = dict.fromkeys(SPEED_SOURCES, 0)
    counts["maxspeed"] = int(has_own.sum())
    counts["highway type mean"] = int(imputed_typed.sum())
    if fallback_speed_kph is not None:
        counts["fallback_speed_kph"] = imputed_other
    else:
        counts["mean of all highway types"] = imputed_other
    return speed_kph, counts


def edge_seconds(length_meters: np.ndarray, speed_kph: np.ndarray | float) -> np.ndarray:
    """Travel seconds ``(length_m / 1000) / (speed_kph / 3600)``, osmnx's order of operations.

    Parameters
    ----------
    length_meters : numpy.ndarray
        Edge lengths in metres.
    speed_kph : numpy.ndarray or float
        Edge speeds in km/h (a zero speed gives an infinite time).

    Returns
    -------
    numpy.ndarray
        float64 seconds.
    """
    length_km = np.asarray(length_meters, dtype=np.float64) / 1000
    speed_km_per_second = np.asarray(speed_kph, dtype=np.float64) / (60 * 60)
    with np.errstate(divide="ignore", invalid="ignore"):
        return length_km / speed_km_per_second
