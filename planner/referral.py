"""Referral times of a run: each health centre to its nearest hospital (``[referral]``).

AccessMod reports, beside the population's access, how far each primary facility
is from the facility it refers patients to. With a ``[referral]`` layer of
referring facilities (health centres), accessplan computes each one's travel
time to the nearest of the run's facilities (the hospitals), over the same road
network or straight lines as the areas
(:func:`accessplan.spatial.referral.referral_times`), up to ``max_minutes``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from accessplan.data.errors import InputValidationError, Problem
from accessplan.planner.inputs import read_sites
from accessplan.planner.scenario import Scenario

__all__ = ["read_centres", "referral_facts", "run_referral"]


def read_centres(scenario: Scenario, crs) -> gpd.GeoDataFrame:
    """The referring facilities of ``[referral]``: ``site_id`` (text) and points in ``crs``.

    Read and checked like the facilities (:func:`accessplan.planner.inputs.read_sites`).
    """
    return read_sites(scenario.referral["layer"], crs=crs, what="referral")


def run_referral(scenario: Scenario, inputs, router) -> pd.DataFrame:
    """Each centre's nearest facility and minutes (``nearest_id, minutes, reachable``).

    Parameters
    ----------
    scenario : Scenario
        With ``[referral]``.
    inputs : Inputs
        The run's facilities (the hospitals) in the run's CRS.
    router : Router
        The run's router (its road network is reused).

    Returns
    -------
    DataFrame
        Indexed by centre id.
    """
    from accessplan.spatial.referral import network_referral_od, referral_times
    from accessplan.spatial.travel_time import straight_line_travel_times

    centres = read_centres(scenario, inputs.crs)
    hospitals = inputs.facilities[["site_id", "geometry"]]
    net = scenario.network
    max_minutes = float(scenario.referral["max_minutes"])
    if net.kind == "straight_line":
        od = straight_line_travel_times(
            centres.rename(columns={"site_id": "centre_id"}),
            hospitals,
            origin_id="centre_id",
            site_id="site_id",
            speed_kph=net.straight_line_speed_kph,
            max_minutes=max_minutes,
        ).od
    elif net.kind in ("network", "place"):
        od = network_referral_od(
            router.network(),
            centres,
            hospitals,
            centre_id="site_id",
            hospital_id="site_id",
            max_minutes=max_minutes,
            access_speed_kph=net.access_speed_kph,
            max_snap_meters=net.max_snap_meters,
            centres_label=scenario.referral["layer"].label,
            hospitals_label=scenario.facilities.label,
        )
    else:
        raise InputValidationError(
            [
                Problem(
                    "referral times need a road network or straight-line travel times; an OD "
                    "table holds times from the areas only",
                    source=str(scenario.source),
                    column="referral",
                )
            ],
            what="scenario",
        )
    return referral_times(od, from_ids=list(centres["site_id"]), to_ids=list(hospitals["site_id"]))


def referral_facts(table: pd.DataFrame, *, max_minutes: float) -> dict[str, Any]:
    """How many centres reach a hospital within ``max_minutes``, and the median and longest time."""
    reached = table["minutes"][table["reachable"].astype(bool)]
    return {
        "centres": len(table),
        "reachable": len(reached),
        "max_minutes_searched": float(max_minutes),
        "median_minutes": float(reached.median()) if len(reached) else None,
        "longest_minutes": float(reached.max()) if len(reached) else None,
        "unreachable": [str(i) for i in table.index[~table["reachable"].astype(bool)]],
    }
