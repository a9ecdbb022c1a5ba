"""``accessplan init``: a commented scenario template that runs as written.

:func:`write_template` writes ``scenario.toml`` into a folder and copies the
bundled demo region (``region.gpkg``, ``roads.graphml.gz``) into its ``data/``
subfolder, so ``accessplan validate scenario.toml`` and ``accessplan plan
scenario.toml`` work straight away; the planner then points each section at
their own files. Every section and key of the scenario is explained; optional
keys are commented out with their default.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.resources import as_file
from pathlib import Path

from accessplan.planner.errors import OutputError

__all__ = ["DATA_FILES", "TEMPLATE", "write_template"]

#: demo files copied into ``DIR/data/``
DATA_FILES = ("region.gpkg", "roads.graphml.gz")

TEMPLATE = """\
# accessplan scenario -- one planning run, written by `accessplan init`.
#
# As written it runs on the bundled SYNTHETIC demo region copied into data/ (a fictional place):
#     accessplan validate scenario.toml     check the file and every input, compute nothing
#     accessplan plan scenario.toml         access, new sites, ventilators, maps and report
# Then point each section at your own files. Paths are relative to this file's folder.
# Column names ("id", "population", ...) are the names in YOUR files; accessplan maps them to its own.
# Lines starting with "# key = value" are optional keys, shown with their default.
# One value can be changed for one run without editing: --set location.budget=2e8

[project]
name = "Aldermouth demo region (synthetic)"    # title of the report and the maps
# crs = "EPSG:32631"          # projected CRS in metres for every distance; default: the areas' CRS
                              # when it is metric, else their WGS 84 UTM zone
# currency = "EUR"            # currency of site and unit costs, written beside every amount

# ---------------------------------------------------------------------------------------------
# Areas: where people live (polygons or points; GeoPackage, Shapefile, GeoJSON, or CSV with x/y)
# ---------------------------------------------------------------------------------------------
[areas]
path = "data/region.gpkg"
layer = "areas"               # layer of a multi-layer file (GeoPackage); omit for one-layer files
id = "area_id"                # unique id of each area (read as text)
population = "population"     # people living in the area (>= 0)
need = "pop_65plus"           # optional demand weight used for access (e.g. people aged 65+);
                              # default: the population
group = "settlement"          # optional district column: Theil between/within and the district table
# ordering = "income"         # optional income/deprivation column (as [inequity] ordering)
# need_label = "people aged 65+"  # what the need column counts, in the report's words
                              # (default: derived from the column name)
# point_x = "px"              # optional population-weighted point of each polygon (columns in the
# point_y = "py"              # layer's CRS); default: the polygon's representative point
# x = "lon"                   # CSV/table files only: the coordinate columns ...
# y = "lat"
# crs = "EPSG:4326"           # ... and their CRS (also: a file without a CRS)
# Or a population raster instead of path/id/population (each populated cell is an area):
# raster = "data/worldpop.tif"  # GeoTIFF in any CRS (band 1; nodata ignored; total kept exactly)
# aggregate = 2               # optional: sum 2 x 2 cells into one area ...
# aggregate_m = 500           # ... or blocks of about 500 m

# ---------------------------------------------------------------------------------------------
# Facilities: existing hospitals (points)
# ---------------------------------------------------------------------------------------------
[facilities]
path = "data/region.gpkg"
layer = "hospitals"
id = "site_id"
capacity = "beds"             # the supply access is measured with (beds, doctors, ...)
ventilators = "ventilators"   # optional: ventilators in place (sizing and redeployment)
mean_stay_days = "mean_stay_days"  # optional: each site's mean ventilator stay
name = "name"                 # optional: a readable name for maps and the report
# beds = "beds"               # optional extra capacity columns kept in the outputs
# icu_beds = "icu_beds"
# capacity_label = "beds"     # what capacity counts, in the report's words ("beds per 1,000 ...")
# x, y, crs: as in [areas], for CSV files

# ---------------------------------------------------------------------------------------------
# Candidates: sites where new capacity may be built (points) -- needed by [location]
# ---------------------------------------------------------------------------------------------
[candidates]
path = "data/region.gpkg"
layer = "candidates"
id = "site_id"
site_cost = "site_cost"       # cost of opening the site (currency units)
unit_cost = "unit_cost"       # cost of each unit of capacity (e.g. one bed)
max_units = "max_units"       # most units the site can hold
min_units = "min_units"       # optional: fewest units if the site opens (default 0)
name = "name"                 # optional readable name
# x, y, crs: as in [areas], for CSV files
# Instead of a file, candidates can be generated by k-means on population-weighted area points:
# generate = { method = "kmeans", n = 40, exclude_within_minutes = 10, site_cost = 5e6,
#              unit_cost = 2e5, max_units = 100, min_units = 0 }

# ---------------------------------------------------------------------------------------------
# Network: how travel times are obtained -- exactly ONE source
# ---------------------------------------------------------------------------------------------
[network]
path = "data/roads.graphml.gz"   # road network file: .graphml[.gz] (osmnx), .osm[.bz2|.gz], .pbf
# osm_xml = "extract.osm"         # an OSM XML extract
# osm_pbf = "extract.osm.pbf"     # an OSM PBF extract
# place = "Aldermouth, UK"        # download from OpenStreetMap with osmnx (needs internet)
# od_table = { path = "times.csv", origin = "origin_id", site = "site_id", minutes = "minutes" }
#                                 # your own travel times (CSV or Parquet), ids of areas and sites
# straight_line = { speed_kph = 40 }   # crow-flies distance at one speed (quick first look)
# network_type = "drive"          # OSM filter: drive, walk, bike, all
# access_speed_kph = 5            # walking speed from a point to its nearest road node
# max_snap_meters = 5000          # points farther than this from any road are an error
# fallback_speed_kph = 30         # speed of road types with no known limit (default: osmnx's means)
# speed_kph = 50                  # one constant speed on every road instead

# ---------------------------------------------------------------------------------------------
# Access: the floating-catchment model
# ---------------------------------------------------------------------------------------------
[access]
method = "e2sfca"             # 2sfca, e2sfca (enhanced, step weights), g2sfca, gravity, 3sfca, m2sfca
catchment_minutes = 60        # nothing farther than this counts
decay = { type = "step", steps = { "20" = 1.0, "40" = 0.68, "60" = 0.22 } }
                              # weight by travel time: step weights up to each minute mark;
                              # or e.g. { type = "gaussian" } / "linear"; default: none (2sfca)
# normalize = false           # divide access by its population-weighted mean (1 = average)
# catchment_km = 16           # instead of catchment_minutes, with [network] straight_line:
                              #   the km become minutes at its speed_kph
# supplies = ["ventilators"]  # also score these facility columns (beds, icu_beds, ventilators,
                              #   each mapped in [facilities]): own access and inequity row
# thresholds_minutes = [15, 30, 60, 120]  # coverage: people within each time of the nearest
                              #   facility (default: these, up to the catchments routed)
# measures = ["cumulative", "bfca", "spatial_availability"]  # further access measures
# capacity_coverage = { people_per_capacity = 1000, order = "population" }
                              # AccessMod's coverage within capacity: each facility serves the
                              #   nearest people until people_per_capacity x capacity are served

# ---------------------------------------------------------------------------------------------
# Location: which candidate sites to open, and how much capacity, under a budget
# ---------------------------------------------------------------------------------------------
[location]
objective = "coverage"        # coverage: most demand within the catchment of a site;
                              # capacitated_coverage (needs people_per_unit), min_cost_cover
                              # (needs target_share), p_median (needs max_new_sites),
                              # max_min_access, min_access_deviation (both need budget)
budget = 150e6                # most the plan may cost (site and unit costs), currency units
solver = "cbc"                # cbc (bundled) or highs
time_limit_s = 120            # stop the solver after this many seconds (best plan so far)
# catchment_minutes = 60      # coverage catchment; default: [access] catchment_minutes
# max_new_sites = 5           # most sites to open
# target_share = 0.95         # min_cost_cover: share of demand to bring within reach
# people_per_unit = 1000      # capacitated_coverage: demand one unit of capacity serves
# capacity_per_unit = 1.0     # supply one unit adds (e.g. beds per unit)
# gap_rel = 0.0               # accept a plan this close to optimal (relative gap)
# threads = 2                 # solver threads
# unassigned_minutes = 120    # p_median: travel time charged to demand no site reaches

# ---------------------------------------------------------------------------------------------
# Ventilators: Erlang C sizing of every site (existing and new) from the demand it serves
# ---------------------------------------------------------------------------------------------
[ventilators]
patients_per_100k_day = 0.8   # new ventilated patients per 100,000 people per day
mean_stay_days = 9            # mean ventilator stay at new sites (hospitals: their own column)
target_wait_hours = 7         # mean wait for a ventilator each site must meet
# attractiveness = 1.0        # Huff exponent: how demand splits between sites in reach
# pool = 20                   # spread a pool of this many extra ventilators over the sites
# pool_objective = "min-max"  # min-max (fairest worst wait) or min-sum
# staff_ratio = 10.0          # ventilated patients per respiratory therapist
# shifts_per_day = 3

# ---------------------------------------------------------------------------------------------
# Redeploy (optional, for `accessplan redeploy`): move mobile units between facilities in a surge
# ---------------------------------------------------------------------------------------------
# [redeploy]
# surge = { facility = "H01", peak = 140, periods = 10, baseline = 12, peak_period = 4,
#           width_periods = 1.5 }   # a generated surge ... or demand_trace = "trace.csv"
# demand_trace = "trace.csv"       # period, facility, resource, demand (one of surge/demand_trace)
# fill = "zero"                    # read missing trace rows as no demand (default: an error)
# stock = "stock.csv"              # facility, resource, fixed_units, mobile_units
# mobile_share = 0.3               # without stock: share of each facility's ventilators that move
# resources = "resources.csv"      # resource, integer, unmet_penalty, ... (default: ventilators)
# unmet_penalty = 1000             # cost of one unit of unmet demand for one period
# transfers = "transfers.csv"      # from_facility, to_facility, delay_periods, cost_per_unit
# transfer_delay_periods = 1       # without transfers: every pair, this delay ...
# transfer_cost_per_unit = 10      # ... and this cost per unit moved
# lookahead = 4                    # rolling horizon: periods each plan sees ahead
# equity_gamma = 0.5               # equity band: facilities' unmet shares differ by at most this
# buffer_eta = 0.0                 # robust buffer: units to hold beyond demand
# discount = 1.0                   # period t weighs discount^t (<= 1)
# smoothing_penalty = 0.0          # cost of changing a facility's moves from period to period
# unmet_cap = 50                   # most unmet units (all facilities) in any period
# solver = "cbc"
# time_limit_s = 60

# ---------------------------------------------------------------------------------------------
# Sweep (optional, for `accessplan sweep`): the [location] plan at every point of a grid of
# assumptions (the cartesian product of the keys given; a key left out keeps the scenario's value)
# ---------------------------------------------------------------------------------------------
# [sweep]
# budgets = [50e6, 100e6, 150e6]      # strictly increasing, > 0 ...
#                                     # ... or a range: { start = 25e6, stop = 200e6, step = 25e6 }
# catchment_minutes = [30, 45, 60]    # location and access catchment of each point
# growth = [1.0, 1.2]                 # demand growth factors (multiply population and need)
# close = [[], ["H03"]]               # closures: existing site ids shut at a point ([] = none)
# jobs = 2                            # worker processes (at most the cores; --jobs overrides)
# robust = "max_min_coverage"         # also one plan for every scenario at the [location] budget
#                                     # ("max_min_coverage" or "min_max_regret")
# pareto = { points = 7, equity = "max_min_access" }   # coverage-equity frontier at the
#                                     # [location] budget (equity: "max_min_access" or
#                                     # "min_access_deviation"; write_point = 3 writes that plan)

# ---------------------------------------------------------------------------------------------
# Maps (optional)
# ---------------------------------------------------------------------------------------------
# [maps]
# tiles = "OpenStreetMap"     # an online basemap under the web maps ("OpenStreetMap" or
                              # "CartoDB positron"); default: none, the maps work offline
# access_per = 1000           # show access per this many people (e.g. beds per 1,000)
# max_vector_areas = 5000     # more areas are drawn as an image on the maps and figures

# ---------------------------------------------------------------------------------------------
# Zones for coverage statistics (optional; default: the [areas] group column)
# ---------------------------------------------------------------------------------------------
# [zones]
# path = "data/districts.gpkg" # a boundary layer: each area counts in the zone holding its point
# id = "name"
# layer = "districts"
# crs = "EPSG:4326"

# ---------------------------------------------------------------------------------------------
# Referral times (optional): each health centre to its nearest facility above
# ---------------------------------------------------------------------------------------------
# [referral]
# path = "data/health_centres.gpkg"
# id = "name"
# layer = "centres"
# crs = "EPSG:4326"
# max_minutes = 120           # longest time searched

# ---------------------------------------------------------------------------------------------
# Inequality and poverty of access (optional)
# ---------------------------------------------------------------------------------------------
# [inequity]
# poverty_line = 0.02         # access below this (raw units, e.g. beds per person) is poor:
                              #   FGT headcount, gap and severity before and after
# ordering = "income"         # an [areas] column (income or deprivation): concentration index
# ordering_is_deprivation = false  # true when a higher value is worse off (a deprivation index)

# ---------------------------------------------------------------------------------------------
# Computing (optional): how the run computes, never what it finds -- the numbers are the same
# with 1 job or 40, on this machine or a Dask cluster, with or without the cache. Recorded in
# scenario.json; `--jobs`, `--cluster`, `--max-memory-gb`, `--no-cache` override it per run.
# ---------------------------------------------------------------------------------------------
# [compute]
# jobs = "all"                    # worker processes for travel times: a number >= 1, or "all" cores
# cluster = "tcp://10.0.0.5:8786" # a running Dask scheduler, or "local" (a LocalCluster here);
#                                 # default: none, everything on this machine
# cluster_workers = 2             # workers of cluster = "local" (default: Dask's choice)
# cache = true                    # keep parsed road networks for the next run
# cache_dir = ".accessplan-cache" # where (relative to this file)
# max_memory_gb = 8               # stop before computing travel times when the memory estimate
#                                 # is larger (the message says which stage and what to change)
# od_path = "od.parquet"          # write (and reuse) the travel-time table there

# ---------------------------------------------------------------------------------------------
# Output: where the results go (replaced whole on the next run; --out overrides)
# ---------------------------------------------------------------------------------------------
[output]
dir = "out"
# travel_times = "auto"   # the area-site travel times: "csv" (travel_times.csv), "parquet"
#                         # (travel_times.parquet, read back like [compute] od_path) or "none";
#                         # auto: CSV up to 5,000,000 pairs, Parquet above (a table already in
#                         # [compute] od_path is named in summary.json, not written again)
"""


def write_template(folder: str | Path, *, force: bool = False) -> list[Path]:
    """Write ``scenario.toml`` and the demo data into ``folder``.

    Parameters
    ----------
    folder : str or Path
        Created when missing.
    force : bool, default False
        Replace an existing ``scenario.toml`` and data files.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    OutputError
        A file exists (and not ``force``): every such file is named; or the
        folder cannot be written.
    """
    from accessplan.data.demo import demo_path

    folder = Path(folder)
    targets = [folder / "scenario.toml", *(folder / "data" / name for name in DATA_FILES)]
    if not force:
        existing = [str(p) for p in targets if p.exists()]
        if existing:
            raise OutputError(
                f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                "use --force to replace, or choose another folder"
            )
    try:
        (folder / "data").mkdir(parents=True, exist_ok=True)
        for name in DATA_FILES:
            with as_file(demo_path(name)) as source:
                _copy_atomically(source, folder / "data" / name)
        _write_atomically(folder / "scenario.toml", TEMPLATE)
    except OSError as exc:
        raise OutputError(f"cannot write the template to {folder}: {exc}") from exc
    return targets


def _write_atomically(target: Path, text: str) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        _publish(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _copy_atomically(source: Path, target: Path) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, tmp)
        _publish(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _publish(tmp: str, target: Path) -> None:
    """Give the temporary file the usual permissions and move it into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)
