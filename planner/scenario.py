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
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accessplan.data.errors import InputFileError, ProblemCollector
from accessplan.planner.errors import ScenarioError
from accessplan.planner.inputs import (
    AREA_COLUMNS,
    CANDIDATE_COLUMNS,
    FACILITY_COLUMNS,
    LayerSpec,
)
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
    "VentilatorSpec",
    "decay_spec_json",
    "load_scenario",
    "parse_scenario",
]

ACCESS_METHODS = ("2sfca", "e2sfca", "g2sfca", "gravity", "3sfca", "m2sfca")
NETWORK_SOURCES = ("path", "osm_xml", "osm_pbf", "place", "od_table", "straight_line")
NETWORK_TYPES = ("drive", "walk", "bike", "all")

#: basemaps the web maps can show (fetched when viewed; none by default: offline)
MAP_TILES = ("OpenStreetMap", "CartoDB positron")
_LAYER_KEYS = {"path": str, "layer": str, "id": str, "crs": str, "x": str, "y": str}
_NUMBER = (int, float)


def _layer_schema(columns: Mapping) -> dict[str, Any]:
    return {**_LAYER_KEYS, **dict.fromkeys(columns, str)}


SCHEMA: dict[str, dict[str, Any]] = {
    "project": {"name": str, "crs": str, "currency": str},
    "areas": {**_layer_schema(AREA_COLUMNS), "need_label": str},
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
        "access_speed_kph": _NUMBER,
        "max_snap_meters": _NUMBER,
        "fallback_speed_kph": _NUMBER,
        "speed_kph": _NUMBER,
    },
    "access": {
        "method": str,
        "catchment_minutes": _NUMBER,
        "decay": (str, dict),
        "normalize": bool,
    },
    "location": {
        "objective": str,
        "budget": _NUMBER,
        "catchment_minutes": _NUMBER,
        "max_new_sites": int,
        "target_share": _NUMBER,
        "people_per_unit": _NUMBER,
        "capacity_per_unit": _NUMBER,
        "solver": str,
        "time_limit_s": _NUMBER,
        "gap_rel": _NUMBER,
        "threads": int,
        "unassigned_minutes": _NUMBER,
    },
    "ventilators": {
        "patients_per_100k_day": _NUMBER,
        "mean_stay_days": _NUMBER,
        "target_wait_hours": _NUMBER,
        "attractiveness": _NUMBER,
        "pool": int,
        "pool_objective": str,
        "staff_ratio": _NUMBER,
        "shifts_per_day": int,
    },
    "redeploy": {
        "demand_trace": str,
        "surge": dict,
        "stock": str,
        "mobile_share": _NUMBER,
        "resources": str,
        "unmet_penalty": _NUMBER,
        "transfers": str,
        "transfer_delay_periods": int,
        "transfer_cost_per_unit": _NUMBER,
        "lookahead": int,
        "equity_gamma": _NUMBER,
        "buffer_eta": _NUMBER,
        "discount": _NUMBER,
        "smoothing_penalty": _NUMBER,
        "unmet_cap": _NUMBER,
        "solver": str,
        "time_limit_s": _NUMBER,
        "fill": str,
    },
    "output": {"dir": str},
    "maps": {"tiles": str, "access_per": _NUMBER},
}
SCHEMA["candidates"]["generate"] = dict
LOCATION_OBJECTIVES = (
    "coverage",
    "capacitated_coverage",
    "min_cost_cover",
    "p_median",
    "max_min_access",
    "min_access_deviation",
)
#: what each objective needs in [location]
_LOCATION_NEEDS = {
    "coverage": (),
    "capacitated_coverage": ("budget", "people_per_unit"),
    "min_cost_cover": ("target_share",),
    "p_median": ("max_new_sites",),
    "max_min_access": ("budget",),
    "min_access_deviation": ("budget",),
}
_GENERATE_KEYS = {
    "method": str,
    "n": int,
    "exclude_within_minutes": _NUMBER,
    "site_cost": _NUMBER,
    "unit_cost": _NUMBER,
    "max_units": int,
    "min_units": int,
}
REQUIRED_SECTIONS = ("areas", "facilities", "network")
#: a redeployment-only scenario needs no areas or road network
REDEPLOY_ONLY_SECTIONS = ("facilities",)
_NEEDS_AREAS = ("access", "candidates", "location", "ventilators")


@dataclass(frozen=True)
class NetworkSpec:
    """How travel times are obtained.

    Exactly one of ``path`` (a road network file), ``place`` (an osmnx
    query, needs internet), ``od_table`` (the user's own travel times) or
    ``straight_line_speed_kph`` is set.
    """

    path: Path | None = None
    place: str | None = None
    od_table: Path | None = None
    od_columns: Mapping[str, str] = field(default_factory=dict)
    straight_line_speed_kph: float | None = None
    network_type: str = "drive"
    access_speed_kph: float = 5.0
    max_snap_meters: float = 5000.0
    fallback_speed_kph: float | None = None
    speed_kph: float | None = None

    @property
    def is_set(self) -> bool:
        """True when a source of travel times was given."""
        return any(
            v is not None
            for v in (self.path, self.place, self.od_table, self.straight_line_speed_kph)
        )

    @property
    def kind(self) -> str:
        """``"network"``, ``"place"``, ``"od_table"``, ``"straight_line"`` or ``"none"``."""
        if self.path is not None:
            return "network"
        if self.place is not None:
            return "place"
        if self.od_table is not None:
            return "od_table"
        if self.straight_line_speed_kph is not None:
            return "straight_line"
        return "none"


@dataclass(frozen=True)
class CandidateGeneration:
    """Candidate sites generated by k-means on population-weighted area points."""

    n: int
    exclude_within_minutes: float | None = None
    site_cost: float = 0.0
    unit_cost: float = 0.0
    max_units: int = 100
    min_units: int = 0
    method: str = "kmeans"


@dataclass(frozen=True)
class LocationSpec:
    """The ``[location]`` section: which model, its budget and the solver."""

    objective: str = "coverage"
    budget: float | None = None
    catchment_minutes: float | None = None
    max_new_sites: int | None = None
    target_share: float | None = None
    people_per_unit: float | None = None
    capacity_per_unit: float = 1.0
    solver: str = "cbc"
    time_limit_s: float | None = None
    gap_rel: float | None = None
    threads: int | None = None
    unassigned_minutes: float | None = None


@dataclass(frozen=True)
class VentilatorSpec:
    """The ``[ventilators]`` section: Erlang C sizing of each site from its demand."""

    patients_per_100k_day: float
    mean_stay_days: float
    target_wait_hours: float = 7.0
    attractiveness: float = 1.0
    pool: int | None = None
    pool_objective: str = "min-max"
    staff_ratio: float = 10.0
    shifts_per_day: int = 3


@dataclass(frozen=True)
class RedeploySpec:
    """The ``[redeploy]`` section: multi-period redeployment of mobile units.

    Tables are CSV files (paths absolute once parsed). Without ``stock``, each
    facility's ``ventilators`` are split into mobile (``mobile_share``) and
    fixed units; without ``resources``, one resource ``ventilators`` (whole
    units, critical) with ``unmet_penalty``; without ``transfers``, every pair
    of facilities with ``transfer_delay_periods`` and ``transfer_cost_per_unit``;
    without ``demand_trace``, a generated ``surge``.
    """

    demand_trace: Path | None = None
    surge: Mapping[str, Any] | None = None
    stock: Path | None = None
    mobile_share: float = 0.3
    resources: Path | None = None
    unmet_penalty: float = 1000.0
    transfers: Path | None = None
    transfer_delay_periods: int = 1
    transfer_cost_per_unit: float = 10.0
    lookahead: int | None = None
    equity_gamma: float | None = None
    buffer_eta: float = 0.0
    discount: float = 1.0
    smoothing_penalty: float = 0.0
    unmet_cap: float | None = None
    solver: str = "cbc"
    time_limit_s: float | None = None
    fill: str | None = None


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
    raw: Mapping[str, Any] = field(default_factory=dict)
    overrides: tuple = ()
    currency: str | None = None
    need_label: str | None = None
    capacity_label: str | None = None
    tiles: str | None = None
    access_per: float | None = None

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
            "areas": layer(self.areas),
            "facilities": layer(self.facilities),
            "candidates": layer(self.candidates),
            "network": network,
            "access": {
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
            "output": {"dir": str(self.output_dir)},
            "maps": {"tiles": self.tiles, "access_per": self.access_per},
            "labels": {"need": self.need_label, "capacity": self.capacity_label},
            "overrides": list(self.overrides),
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
            elif not _is_type(value, expected):
                add(f"must be {_type_name(expected)}, got {value!r}", f"{section}.{key}")
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
            path=_resolve(base, body["path"]),
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
    areas = layer("areas", AREA_COLUMNS)
    facilities = layer("facilities", FACILITY_COLUMNS)
    candidates = layer("candidates", CANDIDATE_COLUMNS)
    if "network" in data or not redeploy_only:
        network = _network(data.get("network", {}), base, add)
    else:
        network = NetworkSpec()
    generate = _generate(data.get("candidates", {}), add)
    location = _location(data.get("location"), add)
    ventilators = _ventilators(data.get("ventilators"), add)
    redeploy = _redeploy(data.get("redeploy"), base, add)
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
    if isinstance(catchment, _NUMBER) and not (math.isfinite(catchment) and catchment > 0):
        add(f"must be a positive number of minutes, got {catchment!r}", "access.catchment_minutes")
    decay = access.get("decay")
    if decay is not None:
        from accessplan.spatial.decay import make_decay
        from accessplan.spatial.errors import UnknownDecayError

        try:
            decay = make_decay(
                decay, catchment_minutes=catchment if isinstance(catchment, _NUMBER) else None
            )
        except UnknownDecayError as exc:
            add(str(exc), "access.decay")
        else:
            reach = getattr(decay, "max_minutes", None)
            if isinstance(catchment, _NUMBER) and reach is not None and reach > catchment:
                add(
                    f"the decay reaches {reach:g} minutes, beyond catchment_minutes = "
                    f"{catchment:g}; raise the catchment or shorten the decay",
                    "access.decay",
                )
    maps = data.get("maps", {})
    if maps.get("tiles") is not None and maps["tiles"] not in MAP_TILES:
        add(f"unknown tiles {maps['tiles']!r}; choose one of {list(MAP_TILES)}", "maps.tiles")
    per = maps.get("access_per")
    if isinstance(per, _NUMBER) and not (math.isfinite(per) and per > 0):
        add(f"must be a positive number (e.g. 1000), got {per!r}", "maps.access_per")
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
        decay=decay,
        normalize=bool(access.get("normalize", False)),
        output_dir=_resolve(base, data.get("output", {}).get("dir", "accessplan-out")),
        raw=data,
        currency=data.get("project", {}).get("currency"),
        need_label=data.get("areas", {}).get("need_label"),
        capacity_label=data.get("facilities", {}).get("capacity_label"),
        tiles=maps.get("tiles"),
        access_per=None if maps.get("access_per") is None else float(maps["access_per"]),
    )


def _network(body: Mapping[str, Any], base: Path, add) -> NetworkSpec:
    sources = [key for key in NETWORK_SOURCES if key in body]
    if len(sources) != 1:
        found = f"found {sources}" if sources else "found none"
        add(f"give exactly one network source of {list(NETWORK_SOURCES)}; {found}", "network")
        return NetworkSpec()
    options: dict[str, Any] = {}
    for key in ("access_speed_kph", "max_snap_meters", "fallback_speed_kph", "speed_kph"):
        if key in body:
            value = body[key]
            if isinstance(value, _NUMBER) and not (math.isfinite(value) and value > 0):
                add(f"must be a positive number, got {value!r}", f"network.{key}")
            options[key] = float(value)
    network_type = body.get("network_type", "drive")
    if network_type not in NETWORK_TYPES:
        add(
            f"unknown network_type {network_type!r}; choose one of {list(NETWORK_TYPES)}",
            "network.network_type",
        )
    options["network_type"] = network_type
    kind = sources[0]
    if kind in ("path", "osm_xml", "osm_pbf"):
        return NetworkSpec(path=_resolve(base, body[kind]), **options)
    if kind == "place":
        return NetworkSpec(place=body["place"], **options)
    if kind == "straight_line":
        spec = body["straight_line"]
        unknown = sorted(set(spec) - {"speed_kph"})
        if unknown:
            add(
                f"unknown keys {unknown} in straight_line; it takes speed_kph",
                "network.straight_line",
            )
        speed = spec.get("speed_kph")
        if not isinstance(speed, _NUMBER) or isinstance(speed, bool) or not speed > 0:
            add(
                f"speed_kph must be a positive number, got {speed!r}",
                "network.straight_line.speed_kph",
            )
            return NetworkSpec()
        return NetworkSpec(straight_line_speed_kph=float(speed), **options)
    spec = body["od_table"]
    if isinstance(spec, str):
        spec = {"path": spec}
    unknown = sorted(set(spec) - {"path", "origin", "site", "minutes"})
    if unknown:
        add(
            f"unknown keys {unknown} in od_table; it takes path, origin, site, minutes",
            "network.od_table",
        )
    if "path" not in spec:
        add("od_table needs a path", "network.od_table")
        return NetworkSpec()
    columns = {k: str(spec[k]) for k in ("origin", "site", "minutes") if k in spec}
    return NetworkSpec(od_table=_resolve(base, spec["path"]), od_columns=columns, **options)


def _generate(body: Mapping[str, Any], add) -> CandidateGeneration | None:
    spec = body.get("generate")
    if spec is None:
        return None
    others = sorted(set(body) - {"generate"})
    if others:
        add(f"give either generate or a file, not both; found {others}", "candidates.generate")
    ok = True
    for key, value in spec.items():
        expected = _GENERATE_KEYS.get(key)
        if expected is None:
            add(
                f"unknown key {key!r}; known keys are {sorted(_GENERATE_KEYS)}",
                f"candidates.generate.{key}",
            )
            ok = False
        elif not _is_type(value, expected):
            add(f"must be {_type_name(expected)}, got {value!r}", f"candidates.generate.{key}")
            ok = False
        elif expected is not str and value < 0:
            add(f"must not be negative, got {value!r}", f"candidates.generate.{key}")
            ok = False
    if spec.get("method", "kmeans") != "kmeans":
        add(
            f"unknown method {spec['method']!r}; accessplan generates by 'kmeans'",
            "candidates.generate.method",
        )
        ok = False
    if "n" not in spec or (isinstance(spec.get("n"), int) and spec["n"] < 1):
        add("n (how many candidates) must be a whole number >= 1", "candidates.generate.n")
        ok = False
    if not ok:
        return None
    return CandidateGeneration(**{k: v for k, v in spec.items()})


def _location(body: Mapping[str, Any] | None, add) -> LocationSpec | None:
    if body is None:
        return None
    objective = body.get("objective", "coverage")
    if objective not in LOCATION_OBJECTIVES:
        add(
            f"unknown objective {objective!r}; choose one of {list(LOCATION_OBJECTIVES)}",
            "location.objective",
        )
        return None
    for key in _LOCATION_NEEDS[objective]:
        if key not in body:
            add(f"objective {objective!r} needs {key}", f"location.{key}")
    if objective == "coverage" and "budget" not in body and "max_new_sites" not in body:
        add("objective 'coverage' needs a budget, max_new_sites, or both", "location.budget")
    for key in (
        "budget",
        "catchment_minutes",
        "people_per_unit",
        "capacity_per_unit",
        "time_limit_s",
    ):
        value = body.get(key)
        if isinstance(value, _NUMBER) and not (math.isfinite(value) and value > 0):
            add(f"must be a positive number, got {value!r}", f"location.{key}")
    share = body.get("target_share")
    if isinstance(share, _NUMBER) and not 0 < share <= 1:
        add(f"must be a share in (0, 1], got {share!r}", "location.target_share")
    gap = body.get("gap_rel")
    if isinstance(gap, _NUMBER) and not 0 <= gap < 1:
        add(f"must be in [0, 1), got {gap!r}", "location.gap_rel")
    for key in ("max_new_sites", "threads"):
        value = body.get(key)
        if isinstance(value, int) and value < 1:
            add(f"must be a whole number >= 1, got {value!r}", f"location.{key}")
    unassigned = body.get("unassigned_minutes")
    if isinstance(unassigned, _NUMBER) and not (math.isfinite(unassigned) and unassigned >= 0):
        add(f"must be a number of minutes >= 0, got {unassigned!r}", "location.unassigned_minutes")
    if unassigned is not None and objective != "p_median":
        add(
            "unassigned_minutes is used by objective 'p_median' only", "location.unassigned_minutes"
        )
    solver = body.get("solver", "cbc")
    if solver not in ("cbc", "highs"):
        add(f"unknown solver {solver!r}; choose 'cbc' or 'highs'", "location.solver")
    return LocationSpec(**{k: v for k, v in body.items()})


def _ventilators(body: Mapping[str, Any] | None, add) -> VentilatorSpec | None:
    if body is None:
        return None
    ok = True
    for key in ("patients_per_100k_day", "mean_stay_days"):
        if key not in body:
            add(f"[ventilators] needs {key}", f"ventilators.{key}")
            ok = False
    for key in (
        "patients_per_100k_day",
        "mean_stay_days",
        "target_wait_hours",
        "staff_ratio",
        "shifts_per_day",
    ):
        value = body.get(key)
        if isinstance(value, _NUMBER) and not (math.isfinite(value) and value > 0):
            add(f"must be a positive number, got {value!r}", f"ventilators.{key}")
            ok = False
    for key in ("attractiveness", "pool"):
        value = body.get(key)
        if isinstance(value, _NUMBER) and not (math.isfinite(value) and value >= 0):
            add(f"must not be negative, got {value!r}", f"ventilators.{key}")
            ok = False
    objective = body.get("pool_objective", "min-max")
    if objective not in ("min-max", "min-sum"):
        add(
            f"unknown pool_objective {objective!r}; choose 'min-max' or 'min-sum'",
            "ventilators.pool_objective",
        )
        ok = False
    return VentilatorSpec(**body) if ok else None


_SURGE_KEYS = {
    "facility": str,
    "peak": _NUMBER,
    "periods": int,
    "baseline": _NUMBER,
    "peak_period": int,
    "width_periods": _NUMBER,
    "noise": _NUMBER,
    "seed": int,
}


def _redeploy(body: Mapping[str, Any] | None, base: Path, add) -> RedeploySpec | None:
    if body is None:
        return None
    ok = True
    if ("demand_trace" in body) == ("surge" in body):
        add("give exactly one of demand_trace (a CSV file) or surge", "redeploy.demand_trace")
        ok = False
    surge = body.get("surge")
    if surge is not None:
        for key, value in surge.items():
            expected = _SURGE_KEYS.get(key)
            if expected is None:
                add(
                    f"unknown key {key!r}; known keys are {sorted(_SURGE_KEYS)}",
                    f"redeploy.surge.{key}",
                )
                ok = False
            elif not _is_type(value, expected):
                add(f"must be {_type_name(expected)}, got {value!r}", f"redeploy.surge.{key}")
                ok = False
        for key in ("facility", "peak", "periods"):
            if key not in surge:
                add(f"surge needs {key}", f"redeploy.surge.{key}")
                ok = False
    share = body.get("mobile_share")
    if isinstance(share, _NUMBER) and not 0 <= share <= 1:
        add(f"must be a share in [0, 1], got {share!r}", "redeploy.mobile_share")
        ok = False
    for key in ("lookahead", "transfer_delay_periods"):
        value = body.get(key)
        if isinstance(value, int) and value < 1:
            add(f"must be a whole number >= 1, got {value!r}", f"redeploy.{key}")
            ok = False
    for key in (
        "unmet_penalty",
        "transfer_cost_per_unit",
        "equity_gamma",
        "buffer_eta",
        "smoothing_penalty",
        "unmet_cap",
    ):
        value = body.get(key)
        if isinstance(value, _NUMBER) and not (math.isfinite(value) and value >= 0):
            add(f"must not be negative, got {value!r}", f"redeploy.{key}")
            ok = False
    discount = body.get("discount")
    if isinstance(discount, _NUMBER) and not 0 < discount <= 1:
        add(f"must be in (0, 1], got {discount!r}", "redeploy.discount")
        ok = False
    if body.get("solver", "cbc") not in ("cbc", "highs"):
        add(f"unknown solver {body['solver']!r}; choose 'cbc' or 'highs'", "redeploy.solver")
        ok = False
    if "fill" in body and body["fill"] != "zero":
        add(
            f'must be "zero" (missing trace rows mean no demand), got {body["fill"]!r}',
            "redeploy.fill",
        )
        ok = False
    if not ok:
        return None
    values = dict(body)
    for key in ("demand_trace", "stock", "resources", "transfers"):
        if key in values:
            values[key] = _resolve(base, values[key])
    return RedeploySpec(**values)


def decay_spec_json(decay) -> dict[str, Any]:
    """A decay's scenario form with JSON-safe keys (step bounds as ``"%g"`` text)."""
    spec = dict(decay.to_spec())
    if isinstance(spec.get("steps"), Mapping):
        spec["steps"] = {f"{float(b):g}": float(w) for b, w in spec["steps"].items()}
    return spec


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


def _is_type(value: Any, expected) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def _type_name(expected) -> str:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    names = {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true or false",
        dict: "a table",
    }
    return " or ".join(dict.fromkeys(names[k] for k in kinds))
