"""The scenario file: a TOML description of one planning run.

A scenario names the user's files, maps their column names to accessplan's,
and sets the options of each step. Paths are relative to the scenario file.
Every problem in the file (unknown sections or keys, wrong types, missing
required keys, impossible values) is collected and reported at once.

Example
-------
.. code-block:: toml

    [project]
    crs = "EPSG:26916"          # optional, projected in metres; default: the areas' CRS when it
                                # is projected in metres, else (degrees, feet) their WGS 84 UTM zone

    [areas]
    path = "tracts.gpkg"
    id = "GEOID"
    population = "Pop"
    need = "OverFifty"          # optional demand weight for the access model
    group = "district"          # optional, for Theil decompositions

    [facilities]
    path = "hospitals.shp"
    id = "Hospital"
    capacity = "Total_Bed"
    ventilators = "Total Vent"

    [network]
    path = "roads.graphml"      # .graphml[.gz], .osm[.bz2], .pbf -- or one of:
    # place = "Chicago, Illinois, USA"
    # od_table = { path = "times.csv", origin = "from", site = "to", minutes = "min" }
    # straight_line = { speed_kph = 40 }
    network_type = "drive"      # OSM tag filter: drive, walk, bike, all
    fallback_speed_kph = 30     # optional: speed of highway types with no known limit
    # speed_kph = 4.5           # optional: one constant speed on every edge instead
    access_speed_kph = 5        # walk between a point and its nearest node
    max_snap_meters = 5000      # farther points are an error (half of it: a warning)

    [access]
    method = "e2sfca"
    catchment_minutes = 30
    decay = { type = "step", steps = { "10" = 1.0, "20" = 0.68, "30" = 0.22 } }

    [output]
    dir = "out"
    travel_times = "auto"       # csv, parquet, none; auto: CSV up to 5 million pairs
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.planner.compute import COMPUTE_KEYS, ComputeSpec, default_compute, parse_compute
from accessplan.planner.errors import ScenarioError
from accessplan.planner.inputs import (
    AREA_COLUMNS,
    CANDIDATE_COLUMNS,
    FACILITY_COLUMNS,
    LayerSpec,
)
from accessplan.planner.sections import (
    LOCATION_OBJECTIVES,
    NUMBER,
    CandidateGeneration,
    LocationSpec,
    NetworkSpec,
    RedeploySpec,
    VentilatorSpec,
    is_type,
    parse_generate,
    parse_location,
    parse_network,
    parse_redeploy,
    parse_ventilators,
    resolve_path,
    type_name,
)
from accessplan.planner.sweep_spec import SWEEP_KEYS, SweepSpec, parse_sweep
from accessplan.planner.table_files import check_travel_times_format
from accessplan.spatial.crs import parse_crs, require_metre_crs
from accessplan.spatial.errors import CRSError

__all__ = [
    "ACCESS_METHODS",
    "LOCATION_OBJECTIVES",
    "MAP_TILES",
    "CandidateGeneration",
    "LocationSpec",
    "NetworkSpec",
    "RedeploySpec",
    "Scenario",
    "SweepSpec",
    "VentilatorSpec",
    "decay_spec_json",
    "load_scenario",
    "parse_scenario",
]

ACCESS_METHODS = ("2sfca", "e2sfca", "g2sfca", "gravity", "3sfca", "m2sfca")

#: basemaps the web maps can show (fetched when viewed; none by default: offline)
MAP_TILES = ("OpenStreetMap", "CartoDB positron")
_LAYER_KEYS = {"path": str, "layer": str, "id": str, "crs": str, "x": str, "y": str}


def _layer_schema(columns: Mapping) -> dict[str, Any]:
    return {**_LAYER_KEYS, **dict.fromkeys(columns, str)}


SCHEMA: dict[str, dict[str, Any]] = {
    "project": {"name": str, "crs": str, "currency": str},
    "areas": {
        **_layer_schema(AREA_COLUMNS),
        "need_label": str,
        "raster": str,
        "aggregate": int,
        "aggregate_m": NUMBER,
    },
    "facilities": {**_layer_schema(FACILITY_COLUMNS), "capacity_label": str},
    "candidates": _layer_schema(CANDIDATE_COLUMNS),
    "network": {
        "path": str,
        "osm_xml": str,
        "osm_pbf": str,
        "place": str,
        "od_table": (str, dict),
        "straight_line": dict,
        "network_type": str,
        "access_speed_kph": NUMBER,
        "max_snap_meters": NUMBER,
        "fallback_speed_kph": NUMBER,
        "speed_kph": NUMBER,
    },
    "access": {
        "method": str,
        "catchment_minutes": NUMBER,
        "catchment_km": NUMBER,
        "decay": (str, dict),
        "normalize": bool,
        "supplies": object,
        "thresholds_minutes": object,
        "measures": object,
        "capacity_coverage": dict,
    },
    "location": {
        "objective": str,
        "budget": NUMBER,
        "catchment_minutes": NUMBER,
        "max_new_sites": int,
        "target_share": NUMBER,
        "people_per_unit": NUMBER,
        "capacity_per_unit": NUMBER,
        "solver": str,
        "time_limit_s": NUMBER,
        "gap_rel": NUMBER,
        "threads": int,
        "unassigned_minutes": NUMBER,
    },
    "ventilators": {
        "patients_per_100k_day": NUMBER,
        "mean_stay_days": NUMBER,
        "target_wait_hours": NUMBER,
        "attractiveness": NUMBER,
        "pool": int,
        "pool_objective": str,
        "staff_ratio": NUMBER,
        "shifts_per_day": int,
    },
    "redeploy": {
        "demand_trace": str,
        "surge": dict,
        "stock": str,
        "mobile_share": NUMBER,
        "resources": str,
        "unmet_penalty": NUMBER,
        "transfers": str,
        "transfer_delay_periods": int,
        "transfer_cost_per_unit": NUMBER,
        "lookahead": int,
        "equity_gamma": NUMBER,
        "buffer_eta": NUMBER,
        "discount": NUMBER,
        "smoothing_penalty": NUMBER,
        "unmet_cap": NUMBER,
        "solver": str,
        "time_limit_s": NUMBER,
        "fill": str,
    },
    "output": {"dir": str, "travel_times": str},
    "maps": {"tiles": str, "access_per": NUMBER, "max_vector_areas": int},
    "inequity": {"poverty_line": NUMBER, "ordering": str, "ordering_is_deprivation": bool},
    "zones": {"path": str, "layer": str, "id": str, "crs": str},
    "referral": {"path": str, "layer": str, "id": str, "crs": str, "max_minutes": NUMBER},
    "sweep": dict(SWEEP_KEYS),
    "compute": dict(COMPUTE_KEYS),
}
SCHEMA["candidates"]["generate"] = dict
REQUIRED_SECTIONS = ("areas", "facilities", "network")
#: a redeployment-only scenario needs no areas or road network
REDEPLOY_ONLY_SECTIONS = ("facilities",)
_NEEDS_AREAS = ("access", "candidates", "location", "ventilators")


@dataclass(frozen=True)
class Scenario:
    """A validated scenario; paths are absolute."""

    source: Path
    areas: LayerSpec | None
    facilities: LayerSpec
    network: NetworkSpec
    candidates: LayerSpec | None = None
    generate_candidates: CandidateGeneration | None = None
    location: LocationSpec | None = None
    ventilators: VentilatorSpec | None = None
    redeploy: RedeploySpec | None = None
    crs: str | None = None
    name: str = "scenario"
    access_method: str = "2sfca"
    catchment_minutes: float = 30.0
    decay: Any = None
    normalize: bool = False
    output_dir: Path = Path("accessplan-out")
    #: ``[output] travel_times``: "auto", "csv", "parquet" or "none" (planner.table_files)
    travel_times_output: str = "auto"
    raw: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple = ()
    currency: str | None = None
    need_label: str | None = None
    capacity_label: str | None = None
    tiles: str | None = None
    access_per: float | None = None
    #: areas drawn as shapes on maps and figures; more are drawn as an image (None: the default)
    max_vector_areas: int | None = None
    #: the straight-line catchment in km, when given so (catchment_minutes is derived from it)
    catchment_km: float | None = None
    #: further supplies scored beside ``capacity`` (facility columns: beds, icu_beds, ventilators)
    supplies: tuple = ()
    #: coverage thresholds given in [access] (travel times then reach the largest); None: the
    #: default thresholds (15, 30, 60, 120) up to the travel-time bound
    thresholds_minutes: tuple | None = None
    #: further access measures (``[access] measures``: cumulative, bfca, spatial_availability)
    measures: tuple = ()
    #: AccessMod's capacity-limited coverage (``[access] capacity_coverage``): options or None
    capacity_coverage: Mapping[str, Any] | None = None
    #: a boundary layer for zonal statistics (``[zones]``), instead of the [areas] group
    zones: LayerSpec | None = None
    #: referring facilities (health centres) and the longest time searched (``[referral]``)
    referral: Mapping[str, Any] | None = None
    #: the access poverty line of the FGT measures (raw access units), when given
    poverty_line: float | None = None
    #: the ordering column measures deprivation (higher = worse off), not income
    ordering_is_deprivation: bool = False
    #: ``{"aggregate": k, "aggregate_m": m}`` when the areas are a population raster
    areas_raster: Mapping[str, Any] | None = None
    sweep: SweepSpec | None = None
    #: how the run computes (``[compute]``: jobs, cluster, cache, memory limit, OD path)
    compute: ComputeSpec = field(default_factory=lambda: default_compute("."))

    @property
    def routing_minutes(self) -> float:
        """How far travel times are computed: the catchments used and the coverage thresholds."""
        bound = self.catchment_minutes
        if self.location is not None and self.location.catchment_minutes:
            bound = max(bound, self.location.catchment_minutes)
        if self.thresholds_minutes:
            bound = max(bound, max(self.thresholds_minutes))
        return float(bound)

    def effective_decay(self):
        """The decay the access model uses: the scenario's, or the method's default."""
        if self.decay is not None:
            return self.decay
        from accessplan.spatial.fca import default_decay

        return default_decay(self.access_method, catchment_minutes=self.catchment_minutes)

    def resolved(self) -> dict[str, Any]:
        """The scenario as run, with absolute paths and defaults filled in (JSON-ready)."""

        def layer(spec: LayerSpec | None):
            if spec is None:
                return None
            out = {"path": str(spec.path), "id": spec.id, **dict(spec.columns)}
            out.update(
                {k: getattr(spec, k) for k in ("layer", "x", "y", "crs") if getattr(spec, k)}
            )
            return out

        net = self.network
        network = {
            "source": net.kind,
            "network_type": net.network_type,
            "access_speed_kph": net.access_speed_kph,
            "max_snap_meters": net.max_snap_meters,
        }
        if net.path is not None:
            network["path"] = str(net.path)
        if net.place is not None:
            network["place"] = net.place
        if net.od_table is not None:
            network["od_table"] = {"path": str(net.od_table), **dict(net.od_columns)}
        if net.straight_line_speed_kph is not None:
            network["straight_line"] = {"speed_kph": net.straight_line_speed_kph}
        if net.fallback_speed_kph is not None:
            network["fallback_speed_kph"] = net.fallback_speed_kph
        if net.speed_kph is not None:
            network["speed_kph"] = net.speed_kph
        return {
            "scenario_file": str(self.source),
            "project": {"name": self.name, "crs": self.crs, "currency": self.currency},
            "areas": layer(self.areas)
            if self.areas_raster is None
            else {"raster": str(self.areas.path), **dict(self.areas_raster)},
            "facilities": layer(self.facilities),
            "candidates": layer(self.candidates),
            "network": network,
            "access": {
                "thresholds_minutes": None
                if self.thresholds_minutes is None
                else list(self.thresholds_minutes),
                "supplies": list(self.supplies),
                "measures": list(self.measures),
                "capacity_coverage": None
                if self.capacity_coverage is None
                else dict(self.capacity_coverage),
                "catchment_km": self.catchment_km,
                "method": self.access_method,
                "catchment_minutes": self.catchment_minutes,
                # the decay actually used, also when the method's default applies
                "decay": decay_spec_json(self.effective_decay()),
                "decay_from": "scenario" if self.decay is not None else "method default",
                "normalize": self.normalize,
            },
            "location": None if self.location is None else dataclasses.asdict(self.location),
            "generate_candidates": None
            if self.generate_candidates is None
            else dataclasses.asdict(self.generate_candidates),
            "ventilators": None
            if self.ventilators is None
            else dataclasses.asdict(self.ventilators),
            "redeploy": None
            if self.redeploy is None
            else {
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in dataclasses.asdict(self.redeploy).items()
            },
            "output": {"dir": str(self.output_dir), "travel_times": self.travel_times_output},
            "maps": {
                "tiles": self.tiles,
                "access_per": self.access_per,
                "max_vector_areas": self.max_vector_areas,
            },
            "referral": None
            if self.referral is None
            else {
                "path": str(self.referral["layer"].path),
                "id": self.referral["layer"].id,
                "max_minutes": self.referral["max_minutes"],
            },
            "zones": None
            if self.zones is None
            else {"path": str(self.zones.path), "id": self.zones.id, "layer": self.zones.layer},
            "inequity": {
                "poverty_line": self.poverty_line,
                "ordering_is_deprivation": self.ordering_is_deprivation,
                "ordering": None if self.areas is None else self.areas.columns.get("ordering"),
            },
            "labels": {"need": self.need_label, "capacity": self.capacity_label},
            "overrides": list(self.overrides),
            "sweep": None if self.sweep is None else self.sweep.to_json(),
            "compute": self.compute.to_json(),
        }


def load_scenario(path: str | Path, *, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario TOML file.

    Parameters
    ----------
    path : str or Path
        The scenario file. Relative paths inside it are taken from its folder.
    overrides : sequence of str, optional
        ``"section.key=value"`` settings applied on top of the file for this
        run (the CLI's ``--set``; see :mod:`accessplan.planner.overrides`);
        recorded in :meth:`Scenario.resolved` under ``"overrides"``.

    Returns
    -------
    Scenario

    Raises
    ------
    InputFileError
        The file does not exist.
    ScenarioError
        The file is not valid TOML (line and column are named).
    InputValidationError
        Every problem with sections, keys and values, at once.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "does not exist" if not path.exists() else "is not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"file {path}: not valid TOML: {exc}") from exc
    if overrides:
        from accessplan.planner.overrides import apply_overrides

        data = apply_overrides(data, overrides, source=path)
    scenario = parse_scenario(data, source=path)
    if overrides:
        scenario = dataclasses.replace(scenario, overrides=tuple(overrides))
    return scenario


def parse_scenario(data: Mapping[str, Any], *, source: str | Path) -> Scenario:
    """Validate a scenario already parsed from TOML.

    Parameters
    ----------
    data : Mapping
        The parsed TOML document.
    source : str or Path
        The scenario file; relative paths are resolved from its folder.

    Returns
    -------
    Scenario
    """
    source = Path(source).resolve()
    base = source.parent
    label = str(source)
    problems = ProblemCollector(what=f"scenario {label}")

    def add(message: str, key: str | None = None) -> None:
        problems.add(message, source=label, column=key)

    for section, body in data.items():
        if section not in SCHEMA:
            add(f"unknown section [{section}]; known sections are {sorted(SCHEMA)}")
            continue
        if not isinstance(body, Mapping):
            add(f"[{section}] must be a table", section)
            continue
        for key, value in body.items():
            expected = SCHEMA[section].get(key)
            if expected is None:
                add(
                    f"unknown key {key!r} in [{section}]; known keys are {sorted(SCHEMA[section])}",
                    f"{section}.{key}",
                )
            elif not is_type(value, expected):
                add(f"must be {type_name(expected)}, got {value!r}", f"{section}.{key}")
    redeploy_only = "redeploy" in data and not any(k in data for k in _NEEDS_AREAS)
    for section in REDEPLOY_ONLY_SECTIONS if redeploy_only else REQUIRED_SECTIONS:
        if section not in data:
            add(f"missing section [{section}]")
    problems.raise_if_any()

    def layer(section: str, columns: Mapping) -> LayerSpec | None:
        body = data.get(section)
        if body is None or "generate" in body:
            return None
        for key in ("path", "id"):
            if key not in body:
                add(f"missing required key {key!r} in [{section}]", f"{section}.{key}")
        if "path" not in body or "id" not in body:
            return None
        mapping = {k: v for k, v in body.items() if k in columns}
        if "crs" in body:
            try:
                parse_crs(body["crs"], where=f"[{section}] crs")
            except CRSError as exc:
                add(str(exc), f"{section}.crs")
        return LayerSpec(
            path=resolve_path(base, body["path"]),
            id=body["id"],
            columns=mapping,
            layer=body.get("layer"),
            x=body.get("x"),
            y=body.get("y"),
            crs=body.get("crs"),
        )

    project_crs = data.get("project", {}).get("crs")
    if project_crs is not None:
        try:
            require_metre_crs(project_crs, what="[project] crs")
        except CRSError as exc:
            add(str(exc), "project.crs")
    raster = _raster(data.get("areas"), base, add)
    areas = raster[0] if raster else layer("areas", AREA_COLUMNS)
    facilities = layer("facilities", FACILITY_COLUMNS)
    candidates = layer("candidates", CANDIDATE_COLUMNS)
    if "network" in data or not redeploy_only:
        network = parse_network(data.get("network", {}), base, add)
    else:
        network = NetworkSpec()
    generate = parse_generate(data.get("candidates", {}), add)
    location = parse_location(data.get("location"), add)
    ventilators = parse_ventilators(data.get("ventilators"), add)
    redeploy = parse_redeploy(data.get("redeploy"), base, add)
    sweep = parse_sweep(data.get("sweep"), add, location=location)
    compute = parse_compute(data.get("compute"), base, add)
    travel_times_output = check_travel_times_format(data.get("output", {}).get("travel_times"), add)
    if location is not None and "candidates" not in data:
        add("[location] needs candidate sites: add a [candidates] section", "candidates")

    access = data.get("access", {})
    method = str(access.get("method", "2sfca")).lower()
    if method not in ACCESS_METHODS:
        add(
            f"unknown access method {method!r}; choose one of {list(ACCESS_METHODS)}",
            "access.method",
        )
    catchment = access.get("catchment_minutes", 30.0)
    if isinstance(catchment, NUMBER) and not (math.isfinite(catchment) and catchment > 0):
        add(f"must be a positive number of minutes, got {catchment!r}", "access.catchment_minutes")
    km = access.get("catchment_km")
    if km is not None:
        catchment = _catchment_from_km(km, access, data.get("network", {}), add)
    supplies = _supplies(access.get("supplies"), data.get("facilities", {}), add)
    thresholds = _thresholds(access.get("thresholds_minutes"), add)
    measures = _measures(access.get("measures"), add)
    capacity_coverage = _capacity_coverage(access.get("capacity_coverage"), add)
    decay = access.get("decay")
    if decay is not None:
        from accessplan.spatial.decay import make_decay
        from accessplan.spatial.errors import UnknownDecayError

        try:
            decay = make_decay(
                decay, catchment_minutes=catchment if isinstance(catchment, NUMBER) else None
            )
        except UnknownDecayError as exc:
            add(str(exc), "access.decay")
        else:
            reach = getattr(decay, "max_minutes", None)
            if isinstance(catchment, NUMBER) and reach is not None and reach > catchment:
                add(
                    f"the decay reaches {reach:g} minutes, beyond catchment_minutes = "
                    f"{catchment:g}; raise the catchment or shorten the decay",
                    "access.decay",
                )
    maps = data.get("maps", {})
    if maps.get("tiles") is not None and maps["tiles"] not in MAP_TILES:
        add(f"unknown tiles {maps['tiles']!r}; choose one of {list(MAP_TILES)}", "maps.tiles")
    per = maps.get("access_per")
    if isinstance(per, NUMBER) and not (math.isfinite(per) and per > 0):
        add(f"must be a positive number (e.g. 1000), got {per!r}", "maps.access_per")
    most = maps.get("max_vector_areas")
    if isinstance(most, int) and not isinstance(most, bool) and most < 0:
        add(
            f"must be a whole number >= 0 (areas drawn as shapes; more are drawn as an image), "
            f"got {most!r}",
            "maps.max_vector_areas",
        )
    zones = None
    if "zones" in data:
        body = data["zones"]
        for key in ("path", "id"):
            if key not in body:
                add(f"missing required key {key!r} in [zones]", f"zones.{key}")
        if "path" in body and "id" in body:
            zones = LayerSpec(
                path=resolve_path(base, body["path"]),
                id=body["id"],
                layer=body.get("layer"),
                crs=body.get("crs"),
            )
    referral = None
    if "referral" in data:
        body = data["referral"]
        for key in ("path", "id"):
            if key not in body:
                add(f"missing required key {key!r} in [referral]", f"referral.{key}")
        limit = body.get("max_minutes", 120.0)
        if not (isinstance(limit, NUMBER) and math.isfinite(limit) and limit > 0):
            add(f"must be a positive number of minutes, got {limit!r}", "referral.max_minutes")
        if "path" in body and "id" in body:
            referral = {
                "layer": LayerSpec(
                    path=resolve_path(base, body["path"]),
                    id=body["id"],
                    layer=body.get("layer"),
                    crs=body.get("crs"),
                ),
                "max_minutes": float(limit) if isinstance(limit, NUMBER) else 120.0,
            }
    inequity = data.get("inequity", {})
    ordering = inequity.get("ordering")
    if ordering is not None and areas is not None:
        mapped = areas.columns.get("ordering")
        if mapped is not None and mapped != ordering:
            add(
                f"[inequity] ordering = {ordering!r} but [areas] ordering = {mapped!r}; give one",
                "inequity.ordering",
            )
        areas = dataclasses.replace(areas, columns={**dict(areas.columns), "ordering": ordering})
    line = inequity.get("poverty_line")
    if isinstance(line, NUMBER) and not math.isfinite(line):
        add(f"must be a finite number, got {line!r}", "inequity.poverty_line")
    problems.raise_if_any()
    return Scenario(
        source=source,
        areas=areas,
        facilities=facilities,
        candidates=candidates,
        generate_candidates=generate,
        location=location,
        ventilators=ventilators,
        redeploy=redeploy,
        network=network,
        crs=project_crs,
        name=data.get("project", {}).get("name", source.stem),
        access_method=method,
        catchment_minutes=float(catchment),
        catchment_km=None if km is None else float(km),
        supplies=supplies,
        thresholds_minutes=thresholds,
        measures=measures,
        capacity_coverage=capacity_coverage,
        zones=zones,
        referral=referral,
        poverty_line=None if line is None else float(line),
        ordering_is_deprivation=bool(inequity.get("ordering_is_deprivation", False)),
        areas_raster=None if raster is None else raster[1],
        decay=decay,
        normalize=bool(access.get("normalize", False)),
        output_dir=resolve_path(base, data.get("output", {}).get("dir", "accessplan-out")),
        travel_times_output=travel_times_output,
        raw=data,
        currency=data.get("project", {}).get("currency"),
        need_label=data.get("areas", {}).get("need_label"),
        capacity_label=data.get("facilities", {}).get("capacity_label"),
        tiles=maps.get("tiles"),
        access_per=None if maps.get("access_per") is None else float(maps["access_per"]),
        max_vector_areas=maps.get("max_vector_areas"),
        sweep=sweep,
        compute=compute,
    )


def _raster(body, base: Path, add):
    """``[areas] raster``: a population raster as the areas -> (LayerSpec, options) or None."""
    if not isinstance(body, Mapping) or "raster" not in body:
        return None
    extra = sorted(set(body) - {"raster", "aggregate", "aggregate_m", "crs", "need_label"})
    if extra:
        add(
            f"a raster gives the areas and their population; these keys do not apply: {extra}",
            "areas.raster",
        )
    k, metres = body.get("aggregate"), body.get("aggregate_m")
    if k is not None and metres is not None:
        add("give aggregate (cells) or aggregate_m (metres), not both", "areas.aggregate")
    if isinstance(k, int) and k < 1:
        add(f"must be a whole number of cells >= 1, got {k!r}", "areas.aggregate")
    if isinstance(metres, NUMBER) and not (math.isfinite(metres) and metres > 0):
        add(f"must be a positive number of metres, got {metres!r}", "areas.aggregate_m")
    spec = LayerSpec(path=resolve_path(base, body["raster"]), id="area_id", crs=body.get("crs"))
    return spec, {"aggregate": k, "aggregate_m": metres}


#: the coverage thresholds reported when [access] thresholds_minutes is not given
DEFAULT_THRESHOLDS = (15.0, 30.0, 60.0, 120.0)


def _thresholds(value, add) -> tuple | None:
    """``[access] thresholds_minutes``: positive, strictly increasing minutes."""
    if value is None:
        return None
    ok = (
        isinstance(value, list)
        and value
        and all(isinstance(v, NUMBER) and not isinstance(v, bool) for v in value)
    )
    if not ok:
        add(
            f"must be a list of minutes such as [15, 30, 60], got {value!r}",
            "access.thresholds_minutes",
        )
        return None
    if any(not (math.isfinite(v) and v > 0) for v in value) or any(
        b <= a for a, b in pairwise(value)
    ):
        add(
            f"must be positive and strictly increasing, got {value!r}",
            "access.thresholds_minutes",
        )
        return None
    return tuple(float(v) for v in value)


#: the further access measures [access] measures accepts (see accessplan.planner.measures)
MEASURE_NAMES = ("cumulative", "bfca", "spatial_availability")


def _measures(value, add) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        add(f"must be a list such as {list(MEASURE_NAMES)}, got {value!r}", "access.measures")
        return ()
    unknown = [v for v in value if v not in MEASURE_NAMES]
    if unknown:
        add(f"unknown measure(s) {unknown}; choose among {list(MEASURE_NAMES)}", "access.measures")
    return tuple(dict.fromkeys(v for v in value if v in MEASURE_NAMES))


def _capacity_coverage(value, add) -> dict | None:
    """``[access] capacity_coverage = { people_per_capacity = 1000, order = "population" }``."""
    if value is None:
        return None
    known = {"people_per_capacity", "order", "max_minutes", "ring_minutes"}
    unknown = sorted(set(value) - known)
    if unknown:
        add(f"unknown key(s) {unknown}; known: {sorted(known)}", "access.capacity_coverage")
    per = value.get("people_per_capacity", 1.0)
    if not (isinstance(per, NUMBER) and math.isfinite(per) and per > 0):
        add(
            f"people_per_capacity must be a positive number, got {per!r}",
            "access.capacity_coverage",
        )
    order = value.get("order", "population")
    if order not in ("population", "capacity", *SUPPLY_COLUMNS):
        add(
            f"order must be 'population' (largest population in reach first) or a capacity "
            f"column ('capacity', {', '.join(repr(c) for c in SUPPLY_COLUMNS)}), got {order!r}",
            "access.capacity_coverage",
        )
    for key in ("max_minutes", "ring_minutes"):
        v = value.get(key)
        if v is not None and not (isinstance(v, NUMBER) and math.isfinite(v) and v > 0):
            add(
                f"{key} must be a positive number of minutes, got {v!r}", "access.capacity_coverage"
            )
    return {
        "people_per_capacity": float(per) if isinstance(per, NUMBER) else 1.0,
        "order": order,
        "max_minutes": value.get("max_minutes"),
        "ring_minutes": value.get("ring_minutes"),
    }


#: the facility columns that can be scored as further supplies
SUPPLY_COLUMNS = ("beds", "icu_beds", "ventilators")


def _catchment_from_km(km, access: Mapping, network: Mapping, add) -> float:
    """``catchment_minutes`` for a straight-line catchment given in km (PySAL access's habit)."""
    if not (isinstance(km, NUMBER) and math.isfinite(km) and km > 0):
        add(f"must be a positive number of kilometres, got {km!r}", "access.catchment_km")
        return 30.0
    if "catchment_minutes" in access:
        add("give catchment_km or catchment_minutes, not both", "access.catchment_km")
    line = network.get("straight_line") if isinstance(network, Mapping) else None
    speed = line.get("speed_kph") if isinstance(line, Mapping) else None
    if not (isinstance(speed, NUMBER) and speed > 0):
        add(
            "a catchment in km needs straight-line travel times: "
            "[network] straight_line = { speed_kph = ... } (the km become minutes at that speed)",
            "access.catchment_km",
        )
        return 30.0
    return float(km) / float(speed) * 60.0


def _supplies(value, facilities: Mapping, add) -> tuple:
    """The further supplies to score: facility columns mapped in [facilities]."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or not value:
        add(f"must be a list of supply names such as {list(SUPPLY_COLUMNS)}", "access.supplies")
        return ()
    out = []
    for name in value:
        if name == "capacity":
            continue  # always scored
        if name not in SUPPLY_COLUMNS:
            add(
                f"unknown supply {name!r}; choose among {list(SUPPLY_COLUMNS)} "
                "(each mapped to your column in [facilities])",
                "access.supplies",
            )
        elif name not in facilities:
            add(
                f'supply {name!r} is not mapped in [facilities] (e.g. {name} = "Your column")',
                "access.supplies",
            )
        elif name not in out:
            out.append(name)
    return tuple(out)


def decay_spec_json(decay) -> dict[str, Any]:
    """A decay's scenario form with JSON-safe keys (step bounds as ``"%g"`` text)."""
    spec = dict(decay.to_spec())
    if isinstance(spec.get("steps"), Mapping):
        spec["steps"] = {f"{float(b):g}": float(w) for b, w in spec["steps"].items()}
    return spec
