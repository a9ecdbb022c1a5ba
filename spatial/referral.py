"""Referral times: from each health centre to its nearest hospital.

AccessMod's "referral analysis" reports, for every facility of a lower level
(a health centre), the travel time to the nearest facility of the next level
(a hospital) and which one it is. Given a facility-to-facility OD table
(``origin_id`` = the referring facility, ``site_id`` = the receiving one)::

    T_c = min_{h in H} d_ch          nearest_c = argmin_{h in H} d_ch

over the pairs present in the table (a sparse table holds only pairs within
its bound; a centre with no pair to any hospital is *unreachable*: ``minutes``
NaN, ``nearest_id`` missing, ``reachable`` False). Ties go to the hospital
listed first in ``to_ids``. Rows of the table whose origin is not a centre or
whose site is not a hospital are ignored, so one all-facilities table serves
every referral level.

:func:`network_referral_od` builds that table over a road network with
:func:`accessplan.spatial.travel_time.network_travel_times` (centres as
origins, hospitals as sites: the same snapping, access legs and bounded
Dijkstra as the area-to-site table); :func:`network_referral_times` chains both.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.errors import NoPathError
from accessplan.spatial.fca import OD_COLUMNS, check_od_frame
from accessplan.spatial.measure_inputs import check_positive_option
from accessplan.spatial.travel_time import network_travel_times

__all__ = ["REFERRAL_COLUMNS", "network_referral_od", "network_referral_times", "referral_times"]

#: Columns of :func:`referral_times`' result.
REFERRAL_COLUMNS = ("nearest_id", "minutes", "reachable")

_SHOWN_ROWS = 10


def _id_index(ids, name: str, problems: ProblemCollector) -> pd.Index | None:
    if isinstance(ids, str | bytes) or not isinstance(
        ids, Sequence | pd.Index | pd.Series | np.ndarray
    ):
        problems.add(f"{name} must be a list of facility ids, got {type(ids).__name__}")
        return None
    index = pd.Index(list(ids))
    dup = index.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{int(dup.sum())} repeated id{'s' if dup.sum() != 1 else ''} in {name}",
            rows=tuple(index[dup][:_SHOWN_ROWS]),
        )
    missing = index.isna()
    if missing.any():
        problems.add(f"{int(missing.sum())} missing id(s) in {name}")
    return index


def referral_times(
    od_sites: pd.DataFrame,
    *,
    from_ids: Sequence,
    to_ids: Sequence,
    exclude_self: bool = False,
) -> pd.DataFrame:
    """Travel time from each referring facility to its nearest receiving facility.

    Parameters
    ----------
    od_sites : pandas.DataFrame
        Facility-to-facility OD table ``origin_id, site_id, minutes``
        (e.g. from :func:`network_referral_od`); each pair at most once.
    from_ids : sequence
        Ids of the referring facilities (health centres), in output order.
    to_ids : sequence
        Ids of the receiving facilities (hospitals); ties go to the first listed.
    exclude_self : bool, default False
        Ignore pairs from a facility to itself (when a hospital is also in
        ``from_ids`` and should be referred to *another* hospital).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``from_ids`` (index name ``"from_id"``): ``nearest_id``
        (object; None when unreachable), ``minutes`` (float; NaN when
        unreachable) and ``reachable`` (bool).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem at once: a table without the OD columns, NaN or
        negative minutes, a repeated pair between a centre and a hospital,
        repeated or missing ids in ``from_ids`` or ``to_ids``.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["c1", "c1", "c2"], "site_id": ["h1", "h2", "h1"],
    ...                    "minutes": [40.0, 25.0, 90.0]})
    >>> referral_times(od, from_ids=["c1", "c2", "c3"], to_ids=["h1", "h2"]).to_dict("index")
    ... # doctest: +NORMALIZE_WHITESPACE
    {'c1': {'nearest_id': 'h2', 'minutes': 25.0, 'reachable': True},
     'c2': {'nearest_id': 'h1', 'minutes': 90.0, 'reachable': True},
     'c3': {'nearest_id': None, 'minutes': nan, 'reachable': False}}
    """
    problems = ProblemCollector(what="referral inputs")
    check_od_frame(od_sites, problems)
    sources = _id_index(from_ids, "from_ids", problems)
    targets = _id_index(to_ids, "to_ids", problems)
    if problems:
        problems.raise_if_any()

    rows = sources.get_indexer(od_sites["origin_id"])
    cols = targets.get_indexer(od_sites["site_id"])
    keep = (rows >= 0) & (cols >= 0)
    if exclude_self:
        keep &= (od_sites["origin_id"] != od_sites["site_id"]).to_numpy()
    labels = od_sites.index[keep]
    rows, cols = rows[keep], cols[keep]
    minutes = pd.to_numeric(od_sites["minutes"], errors="coerce").to_numpy(dtype=float)[keep]
    for mask, message in (
        (np.isnan(minutes), "missing or not a number"),
        (minutes < 0, "negative (minutes must be >= 0)"),
    ):
        if mask.any():
            problems.add(
                f"{int(mask.sum())} value(s) {message}",
                source="OD table",
                column="minutes",
                rows=tuple(labels[mask][:_SHOWN_ROWS]),
            )
    key = pd.Series(rows.astype(np.int64) * max(len(targets), 1) + cols)
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        problems.add(
            f"{int(dup.sum())} rows repeating an (origin_id, site_id) pair",
            source="OD table",
            rows=tuple(labels[dup][:_SHOWN_ROWS]),
        )
    problems.raise_if_any()

    # sort by centre, then minutes, then the hospital's place in to_ids; keep each centre's first
    order = np.lexsort((cols, minutes, rows))
    rows, cols, minutes = rows[order], cols[order], minutes[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    rows, cols, minutes = rows[first], cols[first], minutes[first]
    reachable = np.zeros(len(sources), dtype=bool)
    reachable[rows] = np.isfinite(minutes)
    best = np.full(len(sources), np.nan)
    best[rows] = minutes
    best[~reachable] = np.nan
    nearest = np.full(len(sources), None, dtype=object)
    nearest[rows] = np.asarray(targets, dtype=object)[cols]
    nearest[~reachable] = None
    index = sources.copy()
    index.name = "from_id"
    return pd.DataFrame(
        {
            # object dtype keeps None (pandas would infer a string column with NaN)
            "nearest_id": pd.Series(nearest, index=index, dtype=object),
            "minutes": pd.Series(best, index=index, dtype=float),
            "reachable": pd.Series(reachable, index=index, dtype=bool),
        }
    )


def network_referral_od(
    G: nx.MultiDiGraph,
    centres: gpd.GeoDataFrame,
    hospitals: gpd.GeoDataFrame,
    *,
    centre_id: str,
    hospital_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    centres_label: str = "health centres",
    hospitals_label: str = "hospitals",
) -> pd.DataFrame:
    """Facility-to-facility OD table over a road network (centres to hospitals).

    Calls :func:`accessplan.spatial.travel_time.network_travel_times` with
    the centres as origins and the hospitals as sites (see it for the
    snapping, access legs and errors). Where no centre reaches any hospital
    within ``max_minutes`` the table is empty rather than an error: every
    centre is then unreachable in :func:`referral_times`.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Projected road graph with edge ``travel_time`` in seconds.
    centres, hospitals : geopandas.GeoDataFrame
        Points with a CRS and a unique id column (may be the same frame).
    centre_id, hospital_id : str
        Their id columns.
    max_minutes : float
        Keep pairs within this time.
    access_speed_kph, max_snap_meters : float
        See :func:`~accessplan.spatial.travel_time.network_travel_times`.
    centres_label, hospitals_label : str
        How the inputs are named in error messages.

    Returns
    -------
    pandas.DataFrame
        ``origin_id`` (centre id), ``site_id`` (hospital id), ``minutes``.
    """
    try:
        times = network_travel_times(
            G,
            centres,
            hospitals,
            origin_id=centre_id,
            site_id=hospital_id,
            max_minutes=max_minutes,
            access_speed_kph=access_speed_kph,
            max_snap_meters=max_snap_meters,
            origins_label=centres_label,
            sites_label=hospitals_label,
        )
    except NoPathError:
        return pd.DataFrame(
            {c: pd.Series(dtype=float if c == "minutes" else object) for c in OD_COLUMNS}
        )
    return times.od


def network_referral_times(
    G: nx.MultiDiGraph,
    centres: gpd.GeoDataFrame,
    hospitals: gpd.GeoDataFrame,
    *,
    centre_id: str,
    hospital_id: str,
    max_minutes: float,
    access_speed_kph: float = 5.0,
    max_snap_meters: float = 5000.0,
    exclude_self: bool = False,
    centres_label: str = "health centres",
    hospitals_label: str = "hospitals",
) -> pd.DataFrame:
    """Each health centre's travel time to its nearest hospital over a road network.

    :func:`network_referral_od` followed by :func:`referral_times`; see them
    for the parameters. Centres with no hospital within ``max_minutes`` are
    unreachable (``minutes`` NaN).

    Returns
    -------
    pandas.DataFrame
        Indexed by centre id: ``nearest_id``, ``minutes``, ``reachable``.
    """
    problems = ProblemCollector(what="referral options")
    check_positive_option(problems, "max_minutes", max_minutes)
    problems.raise_if_any()
    od = network_referral_od(
        G,
        centres,
        hospitals,
        centre_id=centre_id,
        hospital_id=hospital_id,
        max_minutes=max_minutes,
        access_speed_kph=access_speed_kph,
        max_snap_meters=max_snap_meters,
        centres_label=centres_label,
        hospitals_label=hospitals_label,
    )
    return referral_times(
        od,
        from_ids=list(centres[centre_id]),
        to_ids=list(hospitals[hospital_id]),
        exclude_self=exclude_self,
    )
