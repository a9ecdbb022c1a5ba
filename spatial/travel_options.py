"""The keyword options the network travel-time entry points share.

:func:`~accessplan.spatial.network_times.network_travel_times`,
:func:`~accessplan.spatial.network_times.stream_network_travel_times`,
:func:`~accessplan.spatial.network_times.stored_network_travel_times`,
:func:`~accessplan.spatial.network_times.network_od_fingerprint` and the Dask
engine (:mod:`accessplan.spatial.dask_engine`) take the same id columns,
bounds, chunking and input names; each picks them from its own arguments with
:meth:`TravelOptions.of` and hands the one object on, so the options are named
once here rather than once per call.  Nothing is checked here: the entry
points check them (``check_positive_options``) as before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["TravelOptions"]


@dataclasses.dataclass(frozen=True)
class TravelOptions:
    """A travel-time call's shared keyword options (defaults: the entry points' defaults).

    Attributes
    ----------
    origin_id, site_id : str
        Id columns of the origins and sites.
    max_minutes : float
        Keep pairs whose total time (access legs included) is at most this.
    access_speed_kph : float
        Speed of the straight access legs between a point and its node.
    max_snap_meters : float
        Points farther than this from every node are an error.
    chunk_size : int
        Distinct site nodes per Dijkstra task.
    jobs : int
        Worker processes (one machine; the Dask engine ignores it).
    origins_label, sites_label : str
        How the inputs are named in messages.
    """

    origin_id: str
    site_id: str
    max_minutes: float
    access_speed_kph: float = 5.0
    max_snap_meters: float = 5000.0
    chunk_size: int = 64
    jobs: int = 1
    origins_label: str = "origins"
    sites_label: str = "sites"

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> TravelOptions:
        """The options among a call's arguments, by name; those it does not take keep the default.

        Parameters
        ----------
        arguments : Mapping
            Names to values, e.g. ``locals()`` as the first statement of an
            entry point (then exactly its parameters).

        Returns
        -------
        TravelOptions
        """
        names = [field.name for field in dataclasses.fields(cls)]
        return cls(**{name: arguments[name] for name in names if name in arguments})

    def bounds(self) -> dict[str, float]:
        """``max_minutes``, ``access_speed_kph`` and ``max_snap_meters``, as given (in that order).

        The options the travel times themselves depend on (with the points and
        the network): what a table's fingerprint records.
        """
        return {
            "max_minutes": self.max_minutes,
            "access_speed_kph": self.access_speed_kph,
            "max_snap_meters": self.max_snap_meters,
        }

    def keywords(self, *, omit: tuple[str, ...] = ()) -> dict[str, Any]:
        """The options as keyword arguments of an entry point, less those in ``omit``."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in omit
        }
