"""The data-quality report: what the data did to the result.

Every run lists, instead of silently absorbing them, the ways its inputs bent
the numbers: people whose start point is far from the road network, network
pieces dropped or speeds imputed, facilities that reach nobody, areas with a
zero demand weight.  Each item is a plain dict

``{"check", "severity", "count", "population", "share_population", "message", "ids"}``

(``severity`` is ``"warning"`` for what may change a conclusion and
``"info"`` otherwise; ``ids`` lists at most :data:`MAX_IDS` ids).  The
pipeline writes the items to ``quality.json``, a count per check into
``summary.json`` and the report, and prints the warnings on stderr.

A demand weight of zero is *not* zero access: such areas attract no supply,
so a site whose catchment holds only zero-weight areas has no defined
supply-to-demand ratio.  They are listed here and left out of the zero-access
counts and the inequity measures when nothing rates them (see
:func:`rated_areas`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["MAX_IDS", "counts", "quality_items", "rated_areas", "warnings_text"]

#: How many ids an item lists (the count is always complete).
MAX_IDS = 50


def _item(check, severity, message, ids=(), *, population=None, total=None, count=None):
    ids = [str(i) for i in ids]
    out: dict[str, Any] = {
        "check": check,
        "severity": severity,
        "count": int(len(ids) if count is None else count),
        "message": message,
    }
    if population is not None:
        out["population"] = float(population)
        out["share_population"] = float(population / total) if total else 0.0
    out["ids"] = ids[:MAX_IDS]
    return out


def rated_areas(need: pd.Series, access: pd.Series) -> pd.Series:
    """Areas whose access score means something: a positive demand weight, or some access.

    An area with zero demand weight and zero access reaches only sites with no
    demand in reach (or none at all); its zero says nothing about access.

    Parameters
    ----------
    need, access : pandas.Series
        Demand weight and access score per area (same index).

    Returns
    -------
    pandas.Series of bool
    """
    return (need > 0) | (access > 0)


def quality_items(
    *,
    areas: pd.DataFrame,
    facilities: pd.DataFrame,
    travel,
    access,
    network_report=None,
    max_snap_meters: float | None = None,
    demand_label: str = "demand weight",
) -> list[dict[str, Any]]:
    """Every data-quality item of one access run.

    Parameters
    ----------
    areas : DataFrame
        ``area_id, population, need`` (the checked areas).
    facilities : DataFrame
        ``site_id, capacity``.
    travel : accessplan.spatial.travel_time.TravelTimes
    access : accessplan.spatial.fca.AccessResult
    network_report : accessplan.spatial.network.NetworkReport, optional
    max_snap_meters : float, optional
        The snapping limit; points beyond half of it are listed.
    demand_label : str
        What the demand weight is called (the user's need column).

    Returns
    -------
    list of dict
    """
    items: list[dict[str, Any]] = []
    pop = areas.set_index("area_id")["population"]
    need = areas.set_index("area_id")["need"]
    total = float(pop.sum())

    snap = travel.origin_snap
    if (
        travel.method == "network"
        and max_snap_meters is not None
        and snap is not None
        and len(snap)
    ):
        half = max_snap_meters / 2
        far = snap.loc[snap["snap_meters"] > half]
        if len(far):
            people = float(pop.reindex(far["origin_id"]).sum())
            items.append(
                _item(
                    "far_from_network",
                    "warning",
                    f"{len(far):,} area(s) start more than {half:,.0f} m (half of max_snap_meters) "
                    f"from the road network (farthest {far['snap_meters'].max():,.0f} m); their "
                    "walk to the nearest node is part of every time",
                    far["origin_id"],
                    population=people,
                    total=total,
                )
            )
        sfar = travel.site_snap.loc[travel.site_snap["snap_meters"] > half]
        if len(sfar):
            items.append(
                _item(
                    "sites_far_from_network",
                    "warning",
                    f"{len(sfar):,} site(s) lie more than {half:,.0f} m from the road network",
                    sfar["site_id"],
                )
            )
    if network_report is not None and hasattr(network_report, "quality_items"):
        for entry in network_report.quality_items():
            items.append(
                _item(
                    f"network_{entry['item']}",
                    entry.get("severity", "warning"),
                    entry["detail"],
                    count=entry["count"],
                )
            )

    existing = set(map(str, facilities["site_id"]))
    unreached_sites = [s for s in travel.unreachable_sites if str(s) in existing]
    if unreached_sites:
        items.append(
            _item(
                "facilities_unreachable",
                "warning",
                f"{len(unreached_sites):,} facility(ies) reach no area within "
                f"{travel.max_minutes:g} minutes; their capacity serves no one in the model",
                unreached_sites,
            )
        )
    no_demand_sites = [
        s
        for s in access.sites_without_population
        if str(s) in existing and s not in set(travel.unreachable_sites)
    ]
    if no_demand_sites:
        items.append(
            _item(
                "facilities_without_demand",
                "warning",
                f"{len(no_demand_sites):,} facility(ies) reach only areas with no "
                f"{demand_label} (demand weight 0); their supply-to-demand ratio is undefined and counts for no one",
                no_demand_sites,
            )
        )
    zero_capacity = facilities.loc[facilities["capacity"] <= 0, "site_id"]
    if len(zero_capacity):
        items.append(
            _item(
                "facilities_zero_capacity",
                "info",
                f"{len(zero_capacity):,} facility(ies) have zero capacity",
                zero_capacity,
            )
        )
    unreached = list(travel.unreachable_origins)
    if unreached:
        items.append(
            _item(
                "areas_beyond_catchment",
                "info",
                f"{len(unreached):,} area(s) have no site within {travel.max_minutes:g} minutes",
                unreached,
                population=float(pop.reindex(unreached).sum()),
                total=total,
            )
        )
    zero = need[need <= 0]
    if len(zero):
        rated = rated_areas(need, access.access.reindex(need.index).fillna(0.0))
        unrated = zero.index[~rated.reindex(zero.index).to_numpy()]
        left_out = (
            f"; {len(unrated):,} of them, reached by no site with demand, are left out of the "
            "inequity measures"
            if len(unrated)
            else ""
        )
        items.append(
            _item(
                "areas_zero_demand",
                "info",
                f"{len(zero):,} area(s) have no {demand_label} (demand weight 0; population "
                f"{float(pop.reindex(zero.index).sum()):,.0f}); they are not counted as zero "
                f"access{left_out}",
                zero.index,
                population=float(pop.reindex(zero.index).sum()),
                total=total,
            )
        )
    return items


def warnings_text(items: list[dict[str, Any]]) -> list[str]:
    """One line per warning item (what the CLI prints on stderr)."""
    lines = []
    for item in items:
        if item["severity"] != "warning":
            continue
        share = item.get("share_population")
        extra = f" ({share:.1%} of the population)" if share else ""
        lines.append(f"{item['message']}{extra} [see quality.json: {item['check']}]")
    return lines


def counts(items: list[dict[str, Any]]) -> dict[str, int]:
    """``check -> count``, for summary.json."""
    return {item["check"]: int(item["count"]) for item in items}
