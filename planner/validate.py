"""``accessplan validate``: check a scenario and every input it names, computing nothing.

The scenario file is checked first (as every command does); when it is valid,
every input is read and checked by the same readers the run uses, and all
their problems are reported at once: the areas, facilities and candidate
layers (:func:`accessplan.planner.pipeline.load_inputs`), the travel-time
source, and the redeployment tables. No travel time is computed and no model
is solved.

The road network is checked cheaply, without building the graph (that is the
slow part of a run): the file exists, its type is one accessplan reads, and
its first bytes are what that type starts with (a GraphML or OSM XML root
element, an OSM PBF header). Problems only the full graph shows (no edges, no
speeds, points far from any road) appear when the run loads it. A ``place``
network is downloaded at run time and is not checked here.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accessplan.data.errors import (
    AccessplanError,
    InputFileError,
    InputValidationError,
    ProblemCollector,
)
from accessplan.planner.scenario import Scenario, load_scenario

__all__ = ["GRAPHML_SUFFIXES", "Validation", "check_network_file", "validate_scenario"]

#: road network file endings read as osmnx GraphML
GRAPHML_SUFFIXES = (".graphml", ".graphml.gz")
_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Validation:
    """What a valid scenario will run on.

    Attributes
    ----------
    scenario : Scenario
    areas, facilities, candidates : int or None
        Rows of each layer (None: the layer is not part of the scenario).
    travel : str
        The travel-time source in words (``"network roads.graphml.gz"``).
    notes : tuple of str
        What could not be checked without running.
    """

    scenario: Scenario
    areas: int | None
    facilities: int
    candidates: int | None
    travel: str
    notes: tuple[str, ...] = ()

    def line(self, name: str | Path) -> str:
        """``"scenario.toml: valid (556 areas, 11 facilities, 40 candidates, network ...)"``."""
        parts = []
        if self.areas is not None:
            parts.append(f"{self.areas:,} areas")
        parts.append(f"{self.facilities:,} facilities")
        if self.candidates is not None:
            parts.append(f"{self.candidates:,} candidates")
        elif self.scenario.generate_candidates is not None:
            parts.append(f"{self.scenario.generate_candidates.n} candidates generated at run time")
        if self.travel:
            parts.append(self.travel)
        return f"{name}: valid ({', '.join(parts)})"


def _open_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when its name says it is compressed."""
    name = path.name.lower()
    opener: Callable[..., Any] = open
    if name.endswith(".gz"):
        opener = gzip.open
    elif name.endswith(".bz2"):
        opener = bz2.open
    elif name.endswith(".xz"):
        opener = lzma.open
    with opener(path, "rb") as stream:
        return stream.read(_HEAD_BYTES)


def check_network_file(path: str | Path, problems: ProblemCollector) -> None:
    """Record why a road network file cannot be read (cheap checks only).

    Parameters
    ----------
    path : str or Path
        The ``[network]`` file.
    problems : ProblemCollector
        Receives one problem naming the file, if any.
    """
    from accessplan.spatial.osm_extract import osm_file_format

    path = Path(path)
    source = str(path)
    if not path.exists():
        problems.add("road network file not found", source=source)
        return
    if not path.is_file():
        problems.add("road network path is not a file", source=source)
        return
    name = path.name.lower()
    osm_format = osm_file_format(path)
    if not name.endswith(GRAPHML_SUFFIXES) and osm_format is None:
        problems.add(
            "unknown road network file type; expected .graphml, .graphml.gz, .osm, .xml, "
            ".osm.bz2, .osm.gz or .osm.pbf",
            source=source,
        )
        return
    try:
        head = _open_head(path)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        problems.add(f"cannot read the road network file ({exc})", source=source)
        return
    if not head:
        problems.add("the road network file is empty", source=source)
    elif name.endswith(GRAPHML_SUFFIXES):
        if b"<graphml" not in head:
            problems.add("not a GraphML file (no <graphml> element at its start)", source=source)
    elif osm_format == "pbf":
        if b"OSMHeader" not in head[:64]:
            problems.add("not an OSM PBF file (no OSMHeader block at its start)", source=source)
    elif b"<osm" not in head:
        problems.add("not an OSM XML file (no <osm> element at its start)", source=source)


def _collect(problems: ProblemCollector, read: Callable[[], Any]) -> Any:
    """Run a reader; record its problems and return None, or return its result."""
    try:
        return read()
    except InputValidationError as exc:
        problems.extend(exc.problems)
    except InputFileError as exc:
        problems.add(exc.reason, source=exc.path)
    except AccessplanError as exc:  # e.g. a generated surge that cannot be built
        problems.add(str(exc))
    return None


def _travel_source(scenario: Scenario, inputs, problems: ProblemCollector) -> tuple[str, list]:
    """Check the travel-time source; return it in words and the notes."""
    from accessplan.spatial.travel_time import read_od_table

    spec = scenario.network
    notes: list[str] = []
    if spec.kind == "network":
        check_network_file(spec.path, problems)
        notes.append(
            "the road network was checked by its type and first bytes only; the graph is "
            "built (and points snapped to it) when the scenario runs"
        )
        return f"network {spec.path.name}", notes
    if spec.kind == "place":
        notes.append(f"the network of {spec.place!r} is downloaded when the scenario runs")
        return f"network of {spec.place!r} (downloaded at run time)", notes
    if spec.kind == "straight_line":
        return f"straight-line travel at {spec.straight_line_speed_kph:g} km/h", notes
    if spec.kind == "od_table":
        if inputs is None:
            if not spec.od_table.is_file():
                problems.add("OD table not found", source=str(spec.od_table))
            return f"travel times {spec.od_table.name}", notes
        sites = list(inputs.facilities["site_id"])
        if inputs.candidates is not None:
            sites += list(inputs.candidates["site_id"])
        od = _collect(
            problems,
            lambda: read_od_table(
                spec.od_table,
                origin_ids=inputs.areas["area_id"],
                site_ids=sites,
                origin_col=spec.od_columns.get("origin", "origin_id"),
                site_col=spec.od_columns.get("site", "site_id"),
                minutes_col=spec.od_columns.get("minutes", "minutes"),
            ),
        )
        pairs = "" if od is None else f", {len(od):,} pairs"
        return f"travel times {spec.od_table.name}{pairs}", notes
    return "", notes


def validate_scenario(
    path: str | Path,
    *,
    overrides: tuple[str, ...] | list[str] = (),
    log: Callable[[str], None] = lambda _msg: None,
) -> Validation:
    """Check a scenario file and every input it names; compute nothing.

    Parameters
    ----------
    path : str or Path
        The scenario TOML file.
    overrides : sequence of str, optional
        ``--set section.key=value`` items, as for a run.
    log : callable, optional
        Receives one line per input read.

    Returns
    -------
    Validation
        Counts and the travel-time source, for the one-line verdict.

    Raises
    ------
    InputFileError, ScenarioError, InputValidationError
        The scenario file itself is missing or invalid (then its inputs are
        not read), or every problem found in the inputs, at once.
    """
    from accessplan.planner.inputs import read_areas, read_facilities
    from accessplan.planner.pipeline import load_inputs

    scenario = load_scenario(path, overrides=list(overrides))
    problems = ProblemCollector(what=f"inputs of the scenario {scenario.source}")
    inputs = None
    facilities = None
    areas_count = None
    if scenario.areas is not None and scenario.network.is_set:
        inputs = _collect(problems, lambda: load_inputs(scenario, with_candidates=True, log=log))
        if inputs is not None:
            facilities = inputs.facilities
            areas_count = len(inputs.areas)
    else:
        if scenario.areas is not None:
            areas = _collect(problems, lambda: read_areas(scenario.areas, crs=scenario.crs))
            areas_count = None if areas is None else len(areas)
        log(f"reading facilities: {scenario.facilities.label}")
        facilities = _collect(problems, lambda: read_facilities(scenario.facilities))
    travel, notes = ("", [])
    if scenario.network.is_set:
        travel, notes = _travel_source(scenario, inputs, problems)
    if scenario.redeploy is not None and facilities is not None:
        from accessplan.planner.redeploy import redeploy_inputs

        log("reading the redeployment tables")
        _collect(problems, lambda: redeploy_inputs(scenario, facilities))
    if scenario.zones is not None:
        from accessplan.planner.inputs import read_layer

        log(f"reading zones: {scenario.zones.label}")
        zones = _collect(problems, lambda: read_layer(scenario.zones))
        if zones is not None and scenario.zones.id not in zones.columns:
            problems.add(
                "zone id column not found; the layer's columns are "
                f"{[c for c in zones.columns if c != zones.geometry.name]}",
                source=scenario.zones.label,
                column=scenario.zones.id,
            )
    if scenario.referral is not None and facilities is not None:
        from accessplan.planner.referral import read_centres

        log(f"reading referring facilities: {scenario.referral['layer'].label}")
        _collect(problems, lambda: read_centres(scenario, facilities.crs))
    sweep = getattr(scenario, "sweep", None)
    ids = None if facilities is None else facilities["site_id"]
    if sweep is not None and sweep.close and ids is None:
        # the other layers failed: read the facilities alone (their own problems are
        # already reported) so that unknown closures still show in this one message
        alone = _collect(
            ProblemCollector(what="facilities"), lambda: read_facilities(scenario.facilities)
        )
        ids = None if alone is None else alone["site_id"]
    if sweep is not None and ids is not None:
        from accessplan.planner.sweep_spec import check_closures

        _collect(
            problems,
            lambda: check_closures(
                sweep,
                ids,
                source=scenario.facilities.label,
                column=scenario.facilities.id,
            ),
        )
    problems.raise_if_any()
    candidates = None
    if inputs is not None and inputs.candidates is not None:
        candidates = len(inputs.candidates)
    return Validation(
        scenario=scenario,
        areas=areas_count,
        facilities=len(facilities),
        candidates=candidates,
        travel=travel,
        notes=tuple(notes),
    )
