"""Errors raised by :mod:`accessplan.spatial`.

Each subclasses a builtin and :class:`accessplan.data.errors.AccessplanError`.
Problems in user data (bad OD rows, points far off the network) are reported
through :class:`accessplan.data.errors.InputValidationError`, which lists every
problem with file, column and row.  :class:`NetworkCacheError` and
:class:`ODFingerprintError` are also importable from
:mod:`accessplan.spatial.network_cache` and :mod:`accessplan.spatial.od_store`,
which raise them.
"""

from __future__ import annotations

from accessplan.data.errors import AccessplanError, InputValidationError

__all__ = [
    "CRSError",
    "InputValidationError",
    "NetworkCRSError",
    "NetworkCacheError",
    "NetworkError",
    "NoPathError",
    "ODFingerprintError",
    "UnknownDecayError",
    "UnknownMethodError",
]


class CRSError(ValueError, AccessplanError):
    """A coordinate reference system is unknown, or not a metre-based projected CRS
    where distances are computed."""


class NetworkError(ValueError, AccessplanError):
    """A road network cannot be read or used (no nodes, no travel times, no CRS...)."""


class NoPathError(ValueError, AccessplanError):
    """No origin reaches any site within the catchment over the network."""


class UnknownDecayError(ValueError, AccessplanError):
    """A distance-decay specification names an unknown type or has bad parameters."""


class UnknownMethodError(ValueError, AccessplanError):
    """An access method name is not one accessplan knows."""


class NetworkCRSError(NetworkError):
    """A road network's CRS or node coordinates cannot be used for metre-based work.

    Invalid CRS text, a ``to_crs`` that is not projected or not in metres, node
    coordinates that are not finite, or coordinates that do not fit the CRS the
    graph claims (metres labelled EPSG:4326).  A :class:`NetworkError`, hence
    also a :class:`ValueError` and an ``AccessplanError``.
    """


class NetworkCacheError(NetworkError):
    """A network cache entry is corrupt or does not belong to the file and options it is keyed by."""


class ODFingerprintError(ValueError, AccessplanError):
    """A stored OD table was built for other inputs (origins, sites, network or options)."""
