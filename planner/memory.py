"""How much memory a run will need, estimated before travel times are computed.

A national run that does not fit is stopped early, with the estimate per
stage and the settings that shrink it, instead of being killed by the
operating system half way (``[compute] max_memory_gb``, see
:mod:`accessplan.planner.compute`).

The estimate (bytes; 1 GB = 10**9 bytes), for ``A`` areas, ``S`` sites
routed to (existing facilities and candidates), ``C`` candidates, a road
network of ``n`` nodes and ``m`` directed edges, ``P`` area-site pairs within
the routing bound and ``L`` pairs within the location model's catchment:

=============  =========================================================
stage          bytes
=============  =========================================================
software       ``450 MB`` (Python with every accessplan module and its
               libraries imported, a matplotlib figure drawn: 466 MB
               resident, measured; the plan's core alone: 306 MB)
inputs         ``1000 (A + S)`` (a GeoDataFrame row with its polygon and
               origin point: 760 B measured for square cells)
network        ``40 n + 25 m`` (compact arrays: node ids, x, y, CSR
               offsets, 8 B each = 32 n; heads int32 + seconds float64 +
               road class = 13 m; the reversed CSR routed from the sites,
               8 n + 12 m); a networkx graph instead: ``4000 m``
               (measured on the Helsinki drive GraphML)
travel times   ``jobs x chunk_size x n x 8`` (each job's Dijkstra chunk:
               a dense float64 row of minutes per site of the chunk)
OD table       ``P (4 + 4 + minutes_bytes)`` (int32 origin and site codes,
               minutes)
access         ``250 P + 80 (A + S)`` (the access, coverage and quality
               steps on today's pandas OD table, its subsets before and
               after the plan included: 1.18 GB above the software for
               4.28 M pairs in a 10,000-area plan, 275 B per pair; the FCA
               itself allocates 50 B per pair, measured for 2SFCA on 2 M
               pairs; a few float64 columns per area and site)
location       ``1200 L + 100 MB`` when a ``[location]`` model is solved
               (the PuLP model and CBC, measured on random maximal
               covering models of 40,000 and 200,000 pairs, resident
               memory sampled every 50 ms: 300-700 B per pair in Python,
               420-600 B per pair in CBC over a base under 100 MB); ``L``
               counts the pairs of areas and candidates for the covering
               objectives (existing sites are constants there), of areas
               and every site for p-median and the equity objectives
=============  =========================================================

The stages do not all live at once: the software, the inputs, the network
and the OD table stay for the whole run, the Dijkstra chunks only while
routing, the access temporaries and the location model one after the other.
So::

    peak = software + inputs + network + OD table
           + max(travel times, access, location)

Not counted: the maps and the report (written after the model, from the
tables above; raster maps at scale), and the network's parsing, which is
over before the estimate is made.

The pairs are estimated from the catchment and the densities
(:func:`estimate_pairs`): with areas and sites spread evenly over a region
of ``R`` km2 and a straight-line reach of ``r`` km (the catchment at
:data:`REACH_SPEED_KPH` of the network type, or at the straight-line
speed), an area reaches the sites in a disc of ``pi r**2`` km2::

    P = A x S x min(1, pi r**2 / R)

Population and facilities clustered in the same towns give more pairs than
this; a region much larger than the reach, fewer at its edges. The estimate
is an order of magnitude with a margin, not an accounting: it is meant to
stop a run that would need 40 GB on a 24 GB machine, not to tell 7.9 GB from
8.1 GB.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from accessplan.data.errors import AccessplanError

__all__ = [
    "ACCESS_PAIR_BYTES",
    "ACCESS_ROW_BYTES",
    "DEFAULT_CHUNK_SIZE",
    "EDGE_BYTES",
    "GB",
    "INPUT_ROW_BYTES",
    "LOCATION_BASE_BYTES",
    "LOCATION_PAIR_BYTES",
    "NETWORKX_EDGE_BYTES",
    "NODE_BYTES",
    "REACH_SPEED_KPH",
    "SOFTWARE_BYTES",
    "MemoryEstimate",
    "MemoryLimitError",
    "check_memory",
    "check_run_memory",
    "estimate_memory",
    "estimate_pairs",
    "reach_km",
]

#: bytes in a gigabyte (decimal, as ``max_memory_gb`` is read)
GB = 10**9
#: a row of the areas or sites GeoDataFrame (ids, numbers, polygon, origin point)
INPUT_ROW_BYTES = 1000
#: per node: node id, x, y and forward CSR offset (8 B each), reversed CSR offset (8 B)
NODE_BYTES = 40
#: per edge: head int32 + seconds float64 + road class uint8, reversed CSR index + weight
EDGE_BYTES = 25
#: per edge of a networkx MultiDiGraph loaded from GraphML, with its attributes
NETWORKX_EDGE_BYTES = 4000
#: FCA / coverage temporaries per area-site pair, and per area or site
ACCESS_PAIR_BYTES = 250
ACCESS_ROW_BYTES = 80
#: the location model (PuLP + CBC) per pair within its catchment, and CBC's own base
LOCATION_PAIR_BYTES = 1200
LOCATION_BASE_BYTES = 100 * 10**6
#: Python and the libraries a plan imports, resident
SOFTWARE_BYTES = 450 * 10**6
#: sites per Dijkstra call (:func:`accessplan.spatial.travel_time.network_travel_times`)
DEFAULT_CHUNK_SIZE = 64
#: straight-line speed (km/h) at which a catchment is turned into a reach in km, by
#: network type: generous (a road network's detours make the real reach shorter), so the
#: pairs are over- rather than under-estimated
REACH_SPEED_KPH = {"drive": 60.0, "all": 60.0, "bike": 15.0, "walk": 5.0}

#: location objectives whose model holds only the area-candidate pairs
_COVERING_OBJECTIVES = ("coverage", "capacitated_coverage", "min_cost_cover")
_STAGES = ("software", "inputs", "network", "travel times", "OD table", "access", "location")
#: what shrinks each stage, in the user's words
_COARSER = "coarser areas ([areas] aggregate or aggregate_m on a raster, else larger units)"
_KNOBS = {
    "inputs": _COARSER,
    "network": "a smaller road network (clip the extract to the study region; network_type)",
    "travel times": "fewer jobs ([compute] jobs, --jobs) or the travel times on a Dask cluster "
    "([compute] cluster, --cluster)",
    "OD table": f"a shorter catchment ([access] catchment_minutes, thresholds_minutes) or {_COARSER}",
    "access": f"a shorter catchment ([access] catchment_minutes) or {_COARSER}",
    "location": f"a shorter [location] catchment_minutes, fewer candidates, or {_COARSER}",
}


class MemoryLimitError(MemoryError, AccessplanError):
    """The run's memory estimate exceeds ``[compute] max_memory_gb``; nothing was computed.

    Attributes
    ----------
    estimate : MemoryEstimate
    max_memory_gb : float
    """

    def __init__(self, estimate: MemoryEstimate, max_memory_gb: float) -> None:
        self.estimate = estimate
        self.max_memory_gb = float(max_memory_gb)
        super().__init__(self._message())

    def _message(self) -> str:
        est = self.estimate
        lines = [
            f"the run would need about {est.peak_bytes / GB:,.3g} GB of memory, more than "
            f"[compute] max_memory_gb = {self.max_memory_gb:g}; stopped before computing "
            "travel times (no output was written). Estimate by stage:",
            *est.lines(),
            "To fit, turn the knob of the largest stage first:",
        ]
        ranked = sorted(
            (s for s in _STAGES if s != "software" and est.stages.get(s, 0) > 0),
            key=lambda s: est.stages[s],
            reverse=True,
        )
        lines += [f"  - {stage}: {_KNOBS[stage]}" for stage in ranked[:3]]
        if "travel times" not in ranked[:3]:
            lines.append(
                "  - or the travel times on a Dask cluster ([compute] cluster, --cluster), "
                "which leaves this machine the OD table and the location model"
            )
        lines.append(
            "  - or raise [compute] max_memory_gb (--max-memory-gb) if the machine has the memory"
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes per stage of a run and the peak (see the module docstring).

    Attributes
    ----------
    stages : Mapping[str, int]
        ``inputs``, ``network``, ``travel times``, ``OD table``, ``access``,
        ``location``: bytes.
    sizes : Mapping[str, Any]
        The sizes the estimate was made from (areas, sites, nodes, pairs...).
    """

    stages: Mapping[str, int]
    sizes: Mapping[str, Any] = field(default_factory=dict)

    @property
    def peak_bytes(self) -> int:
        """``software + inputs + network + OD table + max(travel times, access, location)``."""
        s = self.stages
        held = s["software"] + s["inputs"] + s["network"] + s["OD table"]
        return int(held + max(s["travel times"], s["access"], s["location"]))

    @property
    def peak_gb(self) -> float:
        return self.peak_bytes / GB

    def lines(self) -> list[str]:
        """One line per stage (GB and what it counts), then the peak."""
        z = self.sizes
        why = {
            "software": "Python and the libraries",
            "inputs": f"{z.get('areas', 0):,} areas, {z.get('sites', 0):,} sites",
            "network": f"{z.get('nodes', 0):,} nodes, {z.get('edges', 0):,} edges"
            + (" (networkx graph)" if z.get("networkx") else ""),
            "travel times": f"{z.get('jobs', 1)} job(s) x {z.get('chunk_size', 0)} sites x "
            f"{z.get('nodes', 0):,} nodes x 8 B",
            "OD table": f"~{z.get('pairs', 0):,} area-site pairs",
            "access": f"~{z.get('pairs', 0):,} pairs",
            "location": f"~{z.get('location_pairs', 0):,} pairs within the location catchment"
            if self.stages.get("location")
            else "no location model",
        }
        out = [
            f"  {stage:<13}{self.stages[stage] / GB:>9.3f} GB  ({why[stage]})" for stage in _STAGES
        ]
        out.append(
            f"  {'peak':<13}{self.peak_gb:>9.3f} GB  "
            "(software, inputs, network, OD table + the largest of travel times, access, location)"
        )
        return out

    def summary(self) -> str:
        """One line: the peak and the largest stage."""
        largest = max(_STAGES[1:], key=lambda s: self.stages[s])
        return (
            f"memory estimate: peak {self.peak_gb:,.3g} GB "
            f"(largest stage: {largest}, {self.stages[largest] / GB:,.3g} GB; "
            f"~{self.sizes.get('pairs', 0):,} area-site pairs)"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: bytes per stage, the peak and the sizes."""
        return {
            "stages": dict(self.stages),
            "peak_bytes": self.peak_bytes,
            "sizes": dict(self.sizes),
        }


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"{name} must be a count >= 0, got {value!r}")
    return int(value)


def estimate_pairs(n_areas: int, n_sites: int, *, region_km2: float, reach_km: float) -> int:
    """Area-site pairs within reach, for areas and sites spread evenly over a region.

    ``pairs = n_areas x n_sites x min(1, pi reach_km**2 / region_km2)``
    (every pair when the region is no larger than the reach's disc).

    Parameters
    ----------
    n_areas, n_sites : int
    region_km2 : float
        The region's area in km2 (e.g. its bounding box); 0 counts every pair.
    reach_km : float
        How far, in a straight line, a catchment reaches.

    Returns
    -------
    int

    Examples
    --------
    >>> estimate_pairs(1000, 20, region_km2=10_000.0, reach_km=10.0)
    629
    """
    n_areas, n_sites = _count(n_areas, "n_areas"), _count(n_sites, "n_sites")
    if not (math.isfinite(region_km2) and region_km2 >= 0):
        raise ValueError(f"region_km2 must be a finite area >= 0, got {region_km2!r}")
    if not reach_km >= 0:
        raise ValueError(f"reach_km must be >= 0, got {reach_km!r}")
    disc = math.pi * reach_km**2
    share = 1.0 if region_km2 <= disc else disc / region_km2
    return math.ceil(n_areas * n_sites * share)


def reach_km(catchment_minutes: float, *, speed_kph: float) -> float:
    """The straight-line reach of a catchment: ``catchment_minutes / 60 x speed_kph``."""
    return float(catchment_minutes) / 60.0 * float(speed_kph)


def estimate_memory(
    n_areas: int,
    n_sites: int,
    n_candidates: int,
    n_nodes: int,
    n_edges: int,
    *,
    pairs_estimate: int,
    jobs: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    minutes_bytes: int = 8,
    location_pairs: int | None = None,
    networkx: bool = False,
) -> MemoryEstimate:
    """Bytes per stage of a run (see the module docstring for the formula).

    Parameters
    ----------
    n_areas, n_sites : int
        Areas, and sites routed to (existing and candidates).
    n_candidates : int
        Candidate sites of a location model (0: no location model).
    n_nodes, n_edges : int
        The road network (0 for straight-line or OD-table travel times).
    pairs_estimate : int
        Area-site pairs within the routing bound (:func:`estimate_pairs`).
    jobs : int
        Dijkstra chunks computed at once on this machine.
    chunk_size : int, default 64
        Sites per Dijkstra chunk.
    minutes_bytes : int, default 8
        Bytes of one travel time in the OD table (4: float32).
    location_pairs : int, optional
        Pairs within the location catchment (default: ``pairs_estimate``);
        only used when ``n_candidates > 0``.
    networkx : bool, default False
        The network is a networkx graph (``4000 m`` bytes), not arrays.

    Returns
    -------
    MemoryEstimate
    """
    n_areas, n_sites = _count(n_areas, "n_areas"), _count(n_sites, "n_sites")
    n_candidates = _count(n_candidates, "n_candidates")
    n_nodes, n_edges = _count(n_nodes, "n_nodes"), _count(n_edges, "n_edges")
    pairs = _count(pairs_estimate, "pairs_estimate")
    jobs, chunk_size = _count(jobs, "jobs"), _count(chunk_size, "chunk_size")
    loc_pairs = pairs if location_pairs is None else _count(location_pairs, "location_pairs")
    network = (
        NETWORKX_EDGE_BYTES * n_edges if networkx else NODE_BYTES * n_nodes + EDGE_BYTES * n_edges
    )
    chunk = min(chunk_size, n_sites) if n_sites else chunk_size
    stages = {
        "software": SOFTWARE_BYTES,
        "inputs": INPUT_ROW_BYTES * (n_areas + n_sites),
        "network": network,
        "travel times": jobs * chunk * n_nodes * 8,
        "OD table": pairs * (4 + 4 + int(minutes_bytes)),
        "access": ACCESS_PAIR_BYTES * pairs + ACCESS_ROW_BYTES * (n_areas + n_sites),
        "location": LOCATION_PAIR_BYTES * loc_pairs + LOCATION_BASE_BYTES if n_candidates else 0,
    }
    sizes = {
        "areas": n_areas,
        "sites": n_sites,
        "candidates": n_candidates,
        "nodes": n_nodes,
        "edges": n_edges,
        "pairs": pairs,
        "location_pairs": loc_pairs if n_candidates else 0,
        "jobs": jobs,
        "chunk_size": chunk,
        "networkx": bool(networkx),
    }
    return MemoryEstimate(stages={k: int(v) for k, v in stages.items()}, sizes=sizes)


def check_memory(estimate: MemoryEstimate, max_memory_gb: float | None) -> None:
    """Raise :class:`MemoryLimitError` when the estimate's peak exceeds ``max_memory_gb``.

    Parameters
    ----------
    estimate : MemoryEstimate
    max_memory_gb : float or None
        The limit (decimal GB); None checks nothing.
    """
    if max_memory_gb is None:
        return
    if estimate.peak_bytes > float(max_memory_gb) * GB:
        raise MemoryLimitError(estimate, max_memory_gb)


# --------------------------------------------------------------------------
# the run's hook (accessplan.planner.runs.Router.travel_times)
# --------------------------------------------------------------------------


def _region_km2(*frames) -> float:
    """The area of the bounding box of every frame's geometries (metre CRS), in km2."""
    boxes = [f.total_bounds for f in frames if f is not None and len(f)]
    if not boxes:
        return 0.0
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    area = (x1 - x0) * (y1 - y0) / 1e6
    return float(area) if math.isfinite(area) else 0.0


def _network_size(network) -> tuple[int, int, bool]:
    """``(nodes, edges, is_networkx)`` of RoadArrays or a networkx graph."""
    if network is None:
        return 0, 0, False
    if hasattr(network, "number_of_nodes"):
        return int(network.number_of_nodes()), int(network.number_of_edges()), True
    return int(network.n_nodes), int(network.n_edges), False


def _reach_speed_kph(spec) -> float:
    if spec.kind == "straight_line":
        return float(spec.straight_line_speed_kph)
    return REACH_SPEED_KPH.get(spec.network_type, max(REACH_SPEED_KPH.values()))


def check_run_memory(router, sites, *, max_minutes: float) -> MemoryEstimate:
    """Estimate a run's memory once its inputs and network are read; stop it when too large.

    Called by :meth:`accessplan.planner.runs.Router.travel_times` before any
    travel time is computed (the road network is loaded first, when the
    scenario has one, to know its size). The estimate is logged; with
    ``[compute] max_memory_gb`` a larger peak raises
    :class:`MemoryLimitError` before anything is computed or written.

    Parameters
    ----------
    router : accessplan.planner.runs.Router
    sites : geopandas.GeoDataFrame
        The sites travel times are computed to (existing facilities, and
        candidates in a plan).
    max_minutes : float
        The routing bound.

    Returns
    -------
    MemoryEstimate
    """
    scenario, inputs = router.scenario, router.inputs
    spec, compute = scenario.network, scenario.compute
    network = router.network() if spec.kind in ("network", "place") else None
    n_nodes, n_edges, is_nx = _network_size(network)
    region = _region_km2(inputs.areas, sites)
    speed = _reach_speed_kph(spec)
    n_areas, n_sites = len(inputs.areas), len(sites)
    pairs = estimate_pairs(
        n_areas, n_sites, region_km2=region, reach_km=reach_km(max_minutes, speed_kph=speed)
    )
    n_candidates, location_pairs = 0, None
    if scenario.location is not None:
        n_candidates = max(0, n_sites - len(inputs.facilities))
        catchment = scenario.location.catchment_minutes or scenario.catchment_minutes
        # covering models hold the area-candidate pairs (existing sites are constants);
        # p-median and the equity models assign areas to every site
        covering = scenario.location.objective in _COVERING_OBJECTIVES
        location_pairs = estimate_pairs(
            n_areas,
            n_candidates if covering else n_sites,
            region_km2=region,
            reach_km=reach_km(min(catchment, max_minutes), speed_kph=speed),
        )
    if compute.cluster is None:
        jobs = compute.jobs
    elif compute.cluster == "local":
        jobs = compute.cluster_workers or compute.jobs
    else:
        jobs = 0  # the Dijkstra chunks run on the cluster's workers
    estimate = estimate_memory(
        n_areas,
        n_sites,
        n_candidates,
        n_nodes,
        n_edges,
        pairs_estimate=pairs,
        jobs=jobs,
        location_pairs=location_pairs,
        networkx=is_nx,
    )
    router.log(estimate.summary())
    check_memory(estimate, compute.max_memory_gb)
    return estimate
