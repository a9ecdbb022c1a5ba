"""The access step of the pipeline: read the inputs, route, score access.

:func:`load_inputs` checks every layer at the edge and returns them in one
metre-based CRS; :class:`Router` loads the network once and gives travel
times to any set of sites; :func:`run_access` scores the existing facilities.
The helpers here (:func:`access_scores_for`, :func:`rated_mask`,
:func:`subset_travel`) are shared by the plan and sizing steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from accessplan.data.errors import (
    InputFileError,
    InputValidationError,
    Problem,
    ProblemCollector,
)
from accessplan.planner.inputs import read_areas, read_candidates, read_facilities
from accessplan.planner.labels import demand_label
from accessplan.planner.quality import quality_items, rated_areas, warnings_text
from accessplan.planner.scenario import Scenario
from accessplan.spatial.inequity import inequity_summary

__all__ = [
    "AccessRun",
    "Inputs",
    "Log",
    "Router",
    "access_scores_for",
    "cluster_nearest",
    "data_quality",
    "load_inputs",
    "quiet",
    "rated_mask",
    "run_access",
    "subset_travel",
    "supply_access",
    "warn_quality",
]

Log = Callable[[str], None]


def quiet(_: str) -> None:
    return None


def warn_quality(items, *, warn: Log | None = None) -> None:
    """Print the data-quality warnings, one line each (stderr by default, even when quiet)."""
    if warn is None:

        def warn(line: str) -> None:
            print(f"accessplan: warning: {line}", file=sys.stderr, flush=True)

    for line in warnings_text(list(items)):
        warn(line)


@dataclass(frozen=True)
class Inputs:
    """The user's layers, checked and in one projected CRS."""

    areas: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame | None
    crs: pyproj.CRS


@dataclass(frozen=True)
class AccessRun:
    """Everything the access step produced."""

    scenario: Scenario
    inputs: Inputs
    travel: Any  # accessplan.spatial.travel_time.TravelTimes
    network_report: Any  # accessplan.spatial.network.NetworkReport or None
    access: Any  # accessplan.spatial.fca.AccessResult
    inequity: dict[str, float]
    quality: tuple = ()  # accessplan.planner.quality items (dicts)
    rated: Any = None  # pandas.Series of bool by area id: areas the measures count
    #: further supplies (``[access] supplies``): name -> (AccessResult, inequity dict)
    by_supply: dict = dataclasses.field(default_factory=dict)
    #: travel times up to the routing bound (coverage thresholds beyond the catchment);
    #: None when it is ``travel``
    travel_all: Any = None
    #: each referring facility's nearest facility and minutes (``[referral]``), or None
    referral: Any = None
    #: minutes to the nearest facility by area, found on the Dask cluster ("before"), or None
    nearest: dict | None = None

    def areas_frame(self) -> gpd.GeoDataFrame:
        """Areas with their access score, flags and nearest site time.

        An area that is not rated (zero demand weight and no access, see
        :func:`accessplan.planner.quality.rated_areas`) has no access score
        (NaN, "no data" on the maps), never a zero.
        """
        areas = self.inputs.areas.drop(columns="origin")
        acc = self.access
        scores = pd.DataFrame(
            {
                "access": acc.access,
                "reaches_supply": acc.reaches_supply,
            }
        )
        od = self.travel.od
        nearest = od.groupby("origin_id")["minutes"].min().rename("nearest_minutes")
        out = areas.merge(scores, left_on="area_id", right_index=True, how="left")
        out = out.merge(nearest, left_on="area_id", right_index=True, how="left")
        if self.rated is not None:
            out["access"] = out["access"].where(out["area_id"].map(self.rated).to_numpy())
        measured = out["access"].notna()
        mean = (out["access"] * out["population"]).sum() / out.loc[measured, "population"].sum()
        out["spar"] = out["access"] / mean if mean > 0 else float("nan")
        for name, (result, _) in self.by_supply.items():
            values = out["area_id"].map(result.access)
            if self.rated is not None:
                values = values.where(out["area_id"].map(self.rated).to_numpy())
            out[f"access_{name}"] = values.to_numpy()
        return out

    def facilities_frame(self) -> gpd.GeoDataFrame:
        """Facilities with their supply-to-demand ratio and population in reach."""
        acc = self.access
        extra = pd.DataFrame(
            {"site_ratio": acc.site_ratio, "population_in_reach": acc.site_population}
        )
        out = self.inputs.facilities.merge(extra, left_on="site_id", right_index=True, how="left")
        out["has_population"] = ~out["site_id"].isin(acc.sites_without_population)
        return out


def load_inputs(scenario: Scenario, *, with_candidates: bool = False, log: Log = quiet) -> Inputs:
    """Read and check every layer, reporting the problems of all files at once.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    with_candidates : bool, default False
        Also read the candidate sites (the location step needs them).
    log : callable, optional
        Receives one line per step.

    Returns
    -------
    Inputs
        Layers in one projected CRS (see :func:`choose_crs`).
    """
    missing = [
        name
        for name, present in (
            ("areas", scenario.areas is not None),
            ("network", scenario.network.is_set),
        )
        if not present
    ]
    if missing:
        raise InputValidationError(
            [
                Problem(
                    f"this command needs the section(s) {', '.join(f'[{m}]' for m in missing)}",
                    source=str(scenario.source),
                )
            ],
            what="scenario",
        )
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems = ProblemCollector(what="inputs")

    def read(name: str, reader: Callable, spec, crs) -> None:
        log(f"reading {name}: {spec.label}")
        try:
            frames[name] = reader(spec, crs=crs)
        except InputValidationError as exc:
            problems.extend(exc.problems)
        except InputFileError as exc:
            problems.add(exc.reason, source=exc.path)

    # the areas fix the run's metre CRS; the other layers are checked against it
    # (or, when the areas failed, against their own, so all problems show at once)
    if scenario.areas_raster is not None:
        read("areas", _raster_reader(scenario), scenario.areas, scenario.crs)
    else:
        read("areas", read_areas, scenario.areas, scenario.crs)
    run_crs = frames["areas"].crs if "areas" in frames else scenario.crs
    read("facilities", read_facilities, scenario.facilities, run_crs)
    if with_candidates and scenario.candidates is not None:
        read("candidates", read_candidates, scenario.candidates, run_crs)
    problems.raise_if_any()
    crs = pyproj.CRS.from_user_input(frames["areas"].crs)
    areas, facilities = frames["areas"], frames["facilities"]
    if scenario.areas_raster is not None:
        from accessplan.planner.raster_areas import check_raster_overlap

        check_raster_overlap(areas, facilities, label=scenario.areas.label)
    candidates = frames.get("candidates")
    log(
        f"{len(areas)} areas (population {areas['population'].sum():,.0f}), "
        f"{len(facilities)} facilities, CRS {crs.to_string()}"
    )
    return Inputs(areas=areas, facilities=facilities, candidates=candidates, crs=crs)


def _raster_reader(scenario: Scenario):
    """A reader with ``read_areas``'s call shape for ``[areas] raster``."""
    from accessplan.planner.raster_areas import read_raster_areas

    def read(spec, *, crs=None):
        return read_raster_areas(
            spec.path,
            aggregate=scenario.areas_raster.get("aggregate"),
            aggregate_m=scenario.areas_raster.get("aggregate_m"),
            crs=crs,
            label=spec.label,
        )

    return read


class Router:
    """Travel times from the areas to any set of sites, loading the network once.

    Parameters
    ----------
    scenario : Scenario
    inputs : Inputs
    progress : bool, default True
        Show progress bars.
    log : callable, optional
    """

    def __init__(
        self, scenario: Scenario, inputs: Inputs, *, progress: bool = True, log: Log = quiet
    ) -> None:
        self.scenario = scenario
        self.inputs = inputs
        self.progress = progress
        self.log = log
        self.origins = gpd.GeoDataFrame(
            {"area_id": inputs.areas["area_id"].to_numpy()},
            geometry=inputs.areas["origin"].to_numpy(),
            crs=inputs.crs,
        )
        self._graph = None
        self.network_report = None
        self._client = None
        self._open = contextlib.ExitStack()

    def client(self):
        """The Dask client of ``[compute] cluster``, connected on first use (None without one).

        Raises
        ------
        accessplan.spatial.dask_engine.ClusterError
            When the scheduler does not answer, has no workers, or its workers
            run another accessplan version.
        """
        compute = self.scenario.compute
        if compute.cluster is None:
            return None
        if self._client is None:
            from accessplan.spatial.dask_engine import connect

            self.log(f"connecting to the Dask cluster {compute.cluster}")
            self._client = self._open.enter_context(
                connect(compute.cluster, n_workers=compute.cluster_workers)
            )
        return self._client

    def close(self) -> None:
        """Close what the router opened (a local Dask cluster, the client)."""
        self._open.close()
        self._client = None

    def access_scores(self, travel, supply):
        """:func:`access_scores_for` with this router's cluster, if any."""
        return access_scores_for(self.scenario, self.inputs, travel, supply, client=self.client())

    @property
    def graph(self):
        """The road network once loaded (None before, or for other travel-time sources).

        A :class:`~accessplan.spatial.road_arrays.RoadArrays` for a network file
        (the lean path: no networkx graph is built), a networkx graph for a
        downloaded place.
        """
        return self._graph

    def network(self):
        """The road network, loaded on first use (a path or place network only)."""
        return self._network()

    def _network(self):
        if self._graph is None:
            from accessplan.spatial import network as net

            spec = self.scenario.network
            if spec.kind == "place":
                self.log(f"downloading the {spec.network_type} network of {spec.place!r} (osmnx)")
                self._graph, self.network_report = net.network_from_place(
                    spec.place,
                    network_type=spec.network_type,
                    to_crs=self.inputs.crs,
                    fallback_speed_kph=spec.fallback_speed_kph,
                    speed_kph=spec.speed_kph,
                )
            else:
                from accessplan.spatial.road_load import load_road_arrays

                compute = self.scenario.compute
                self.log(f"loading the road network {spec.path} (as arrays)")
                self._graph, self.network_report = load_road_arrays(
                    spec.path,
                    network_type=spec.network_type,
                    to_crs=self.inputs.crs,
                    fallback_speed_kph=spec.fallback_speed_kph,
                    speed_kph=spec.speed_kph,
                    cache_dir=compute.cache_dir,
                    use_cache=compute.cache,
                    progress=self.progress,
                )
                self.log(
                    f"road network: {self._graph.n_nodes:,} nodes, {self._graph.n_edges:,} edges, "
                    f"{self._graph.nbytes / 1e6:.1f} MB"
                )
            self.log(self.network_report.summary())
        return self._graph

    def travel_times(
        self, sites: gpd.GeoDataFrame, *, max_minutes: float, sites_label: str, store: bool = False
    ):
        """Travel times to ``sites`` (points with ``site_id``) within ``max_minutes``.

        With ``store`` (the run's main table) and ``[compute] od_path``, a road
        network's table is kept there as Parquet and reused by a later run
        built on the same areas, sites, network and options.

        Returns
        -------
        accessplan.spatial.travel_time.TravelTimes
        """
        from accessplan.planner.memory import check_run_memory
        from accessplan.spatial import travel_time as tt

        spec = self.scenario.network
        sites = sites[["site_id", "geometry"]]
        # inputs and network read, nothing routed: stop here when [compute] max_memory_gb is short
        check_run_memory(self, sites, max_minutes=max_minutes)
        if spec.kind == "straight_line":
            self.log(f"straight-line travel times at {spec.straight_line_speed_kph:g} km/h")
            return tt.straight_line_travel_times(
                self.origins,
                sites,
                origin_id="area_id",
                site_id="site_id",
                speed_kph=spec.straight_line_speed_kph,
                max_minutes=max_minutes,
            )
        if spec.kind == "od_table":
            self.log(f"reading travel times from {spec.od_table}")
            return tt.od_table_travel_times(
                spec.od_table,
                origin_ids=self.origins["area_id"],
                site_ids=sites["site_id"],
                origin_col=spec.od_columns.get("origin", "origin_id"),
                site_col=spec.od_columns.get("site", "site_id"),
                minutes_col=spec.od_columns.get("minutes", "minutes"),
                max_minutes=max_minutes,
            )
        od_path = self.scenario.compute.od_path
        if store and od_path is not None:
            from accessplan.spatial.network_times import stored_network_travel_times

            travel, reused = stored_network_travel_times(
                self._network(),
                self.origins,
                sites,
                od_path=od_path,
                origin_id="area_id",
                site_id="site_id",
                max_minutes=max_minutes,
                access_speed_kph=spec.access_speed_kph,
                max_snap_meters=spec.max_snap_meters,
                jobs=self.scenario.compute.jobs,
                origins_label=self.scenario.areas.label,
                sites_label=sites_label,
                progress=self.progress,
                client=self.client(),
            )
            self.log(f"travel times {'read from' if reused else 'computed and kept in'} {od_path}")
            return travel
        client = self.client()
        if client is not None:
            from accessplan.spatial.dask_engine import dask_network_travel_times

            self.log(f"travel times on the Dask cluster {self.scenario.compute.cluster}")
            return dask_network_travel_times(
                self._network(),
                self.origins,
                sites,
                origin_id="area_id",
                site_id="site_id",
                max_minutes=max_minutes,
                client=client,
                access_speed_kph=spec.access_speed_kph,
                max_snap_meters=spec.max_snap_meters,
                origins_label=self.scenario.areas.label,
                sites_label=sites_label,
                progress=self.progress,
            )
        return tt.network_travel_times(
            self._network(),
            self.origins,
            sites,
            origin_id="area_id",
            site_id="site_id",
            max_minutes=max_minutes,
            access_speed_kph=spec.access_speed_kph,
            max_snap_meters=spec.max_snap_meters,
            jobs=self.scenario.compute.jobs,
            origins_label=self.scenario.areas.label,
            sites_label=sites_label,
            progress=self.progress,
        )


def run_access(scenario: Scenario, *, progress: bool = True, log: Log = quiet) -> AccessRun:
    """Access scores and inequity for the existing facilities.

    Parameters
    ----------
    scenario : Scenario
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    AccessRun
    """
    inputs = load_inputs(scenario, log=log)
    router = Router(scenario, inputs, progress=progress, log=log)
    try:
        return _run_access(scenario, inputs, router, log)
    finally:
        router.close()


def _run_access(scenario: Scenario, inputs: Inputs, router: Router, log: Log) -> AccessRun:
    bound = max((scenario.catchment_minutes, *(scenario.thresholds_minutes or ())))
    travel_all = router.travel_times(
        inputs.facilities,
        max_minutes=bound,
        sites_label=scenario.facilities.label,
        store=True,
    )
    log(f"{len(travel_all.od):,} area-site pairs within {bound:g} minutes")
    travel = travel_all
    if bound > scenario.catchment_minutes:  # coverage thresholds beyond the catchment
        travel = subset_travel(travel_all, inputs.facilities["site_id"], scenario.catchment_minutes)
    supply = inputs.facilities.set_index("site_id")["capacity"]
    access = router.access_scores(travel, supply)
    areas, rated = rated_mask(inputs, access)
    run = AccessRun(
        scenario=scenario,
        inputs=inputs,
        travel=travel,
        network_report=router.network_report,
        access=access,
        inequity=inequity_summary(
            access.access.reindex(areas.index)[rated],
            areas.loc[rated, "population"],
            groups=areas.loc[rated, "group"] if "group" in areas.columns else None,
        ),
        quality=data_quality(scenario, inputs, travel, access, router.network_report),
        rated=rated,
        travel_all=travel_all,
    )
    nearest = cluster_nearest(router, travel_all, {"before": inputs.facilities["site_id"]})
    if nearest is not None:
        run = dataclasses.replace(run, nearest=nearest)
    log(
        f"access ({scenario.access_method}): Gini {run.inequity['gini']:.3f}, "
        f"population with zero access {run.inequity['share_zero']:.1%}"
    )
    if scenario.supplies:
        run = dataclasses.replace(run, by_supply=supply_access(run, client=router.client()))
    if scenario.referral is not None:
        from accessplan.planner.referral import run_referral

        log("referral times: each referring facility to its nearest facility")
        run = dataclasses.replace(run, referral=run_referral(scenario, inputs, router))
    return run


def cluster_nearest(router: Router, travel, states: dict) -> dict | None:
    """Minutes to the nearest facility of each state, on the run's Dask cluster (None without).

    ``states`` maps a state ("before", "after") to its facility ids; the
    coverage indicators need nothing else from the table.
    """
    client = router.client()
    if client is None or travel.od is None:
        return None
    from accessplan.spatial.dask_access import dask_nearest_minutes
    from accessplan.spatial.od_codes import CodedOD

    area_ids = pd.Index(router.inputs.areas["area_id"])
    coded = CodedOD.from_frame(travel.od, origin_ids=area_ids)
    return {
        state: dask_nearest_minutes(coded, client=client, origin_ids=area_ids, site_ids=list(ids))
        for state, ids in states.items()
    }


def supply_access(run: AccessRun, *, client=None) -> dict:
    """Access and inequity for each further supply of ``[access] supplies``.

    Each supply (beds, ICU beds, ventilators: a facility column) is scored on
    the same travel times, demand, method and decay as the main capacity, and
    measured on the same rated areas, so its inequity row compares with the
    main one.

    Returns
    -------
    dict
        ``name -> (AccessResult, inequity summary dict)``.
    """
    scenario, inputs = run.scenario, run.inputs
    areas = inputs.areas.set_index("area_id")
    rated = run.rated if run.rated is not None else pd.Series(True, index=areas.index)
    out = {}
    for name in scenario.supplies:
        supply = inputs.facilities.set_index("site_id")[name].astype(float)
        result = access_scores_for(scenario, inputs, run.travel, supply, client=client)
        inequity = inequity_summary(
            result.access.reindex(areas.index)[rated],
            areas.loc[rated, "population"],
            groups=areas.loc[rated, "group"] if "group" in areas.columns else None,
        )
        out[name] = (result, inequity)
    return out


def access_scores_for(scenario, inputs, travel, supply, *, client=None):
    """The access scores of the areas for ``supply`` (an AccessResult).

    With a Dask ``client`` the table is checked and coded here and its
    group-by sums run on the cluster
    (:func:`~accessplan.spatial.dask_access.dask_access`); the numbers equal
    the one-machine ones to 1e-12 relative.
    """
    from accessplan.spatial.fca import access_scores

    need = inputs.areas.set_index("area_id")["need"]
    if client is not None:
        from accessplan.spatial.dask_access import dask_access
        from accessplan.spatial.od_codes import CodedOD

        coded = CodedOD.from_frame(travel.od, origin_ids=need.index, site_ids=supply.index)
        return dask_access(
            coded,
            need,
            supply,
            client=client,
            method=scenario.access_method,
            catchment_minutes=scenario.catchment_minutes,
            decay=scenario.decay,
            normalize=scenario.normalize,
        )
    return access_scores(
        travel.od,
        need,
        supply,
        method=scenario.access_method,
        catchment_minutes=scenario.catchment_minutes,
        decay=scenario.decay,
        normalize=scenario.normalize,
    )


def rated_mask(inputs: Inputs, *results) -> tuple[pd.DataFrame, pd.Series]:
    """The areas (indexed by id) and which of them the inequity measures count.

    A zero demand weight is not zero access: an area with zero weight and zero
    access in every one of ``results`` is not measured (see
    :func:`accessplan.planner.quality.rated_areas`).
    """
    areas = inputs.areas.set_index("area_id")
    rated = pd.Series(False, index=areas.index)
    for result in results:
        rated |= rated_areas(areas["need"], result.access.reindex(areas.index))
    return areas, rated


def data_quality(scenario, inputs, travel, access, report) -> tuple:
    """The run's data-quality items, printed as warnings once."""
    items = quality_items(
        areas=inputs.areas,
        facilities=inputs.facilities,
        travel=travel,
        access=access,
        network_report=report,
        max_snap_meters=scenario.network.max_snap_meters,
        demand_label=demand_label(scenario),
    )
    warn_quality(items)
    return tuple(items)


def subset_travel(travel, site_ids, max_minutes):
    """The same travel times restricted to some sites and a shorter bound."""
    od = travel.od
    keep = od["site_id"].isin(set(site_ids)) & (od["minutes"] <= max_minutes)
    coded = getattr(travel, "coded", None)
    if coded is not None:
        coded = coded.with_sites(site_ids).within(max_minutes)
    return dataclasses.replace(
        travel,
        coded=coded,
        od=od[keep].reset_index(drop=True),
        site_snap=travel.site_snap[travel.site_snap["site_id"].isin(set(site_ids))],
        max_minutes=float(max_minutes),
    )
