"""Coverage indicators: the numbers health ministries report.

All of them start from one quantity, the travel time from each area to its
nearest facility over the sparse OD table (``origin_id, site_id, minutes``):

.. math::

    t_i = \\min_{j : (i, j) \\in OD} d_{ij},

with :math:`t_i = +\\infty` (reported as NaN) when area :math:`i` has no row
in the table, i.e. no facility within the largest catchment the table was
built for. With :math:`p_i` the population of area :math:`i`, the
population within :math:`T` minutes of a facility is

.. math::

    P(T) = \\sum_{i : t_i \\le T} p_i, \\qquad s(T) = P(T) / \\sum_i p_i,

cumulative in :math:`T` (AccessMod's coverage table and zonal statistics,
the WHO indicator "population within 2 hours of a hospital"). Per zone
(district, municipality) the same sums are taken over the zone's areas, with
the population-weighted median of :math:`t_i`.

The minimum per area is taken with :func:`numpy.minimum.reduceat` over the
runs of equal ``origin_id`` of the table (one run per origin when the table
is sorted by origin, as accessplan's travel-time functions return it), so no
Python loop runs over OD pairs; an unsorted table gives the same exact answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.fca import check_od_frame
from accessplan.spatial.od_codes import CodedOD

__all__ = [
    "OUTSIDE_LABEL",
    "TOTAL_LABEL",
    "assign_zones",
    "check_population",
    "coverage_curve",
    "nearest_minutes",
    "population_within",
    "zonal_coverage",
]

TOTAL_LABEL = "All areas"
"""Index label of the total row of :func:`zonal_coverage`."""

OUTSIDE_LABEL = "Outside every zone"
"""Index label of the row of :func:`zonal_coverage` for areas in no zone."""

_SHOWN = 10


def _labels(index: pd.Index, mask: np.ndarray) -> tuple:
    return tuple(index[mask][:_SHOWN].tolist())


def check_population(population, problems: ProblemCollector, *, source: str = "population"):
    """Population per area as a float array, recording every problem.

    Parameters
    ----------
    population : pandas.Series
        Population (or need weight) indexed by area id; finite and >= 0, ids unique.
    problems : ProblemCollector
        Receives the problems (not a Series, non-numbers, NaN, infinite,
        negative values, repeated ids).
    source : str
        How the input is named in messages.

    Returns
    -------
    numpy.ndarray or None
        The values, or None when ``population`` is not a Series.
    """
    if not isinstance(population, pd.Series):
        problems.add(
            f"{source} must be a pandas Series indexed by id, got {type(population).__name__}"
        )
        return None
    values = pd.to_numeric(population, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = population.isna().to_numpy()
    checks = (
        (np.isnan(values) & ~missing, "not a number"),
        (missing, "missing (NaN)"),
        (np.isinf(values), "infinite"),
        (values < 0, "negative (must be >= 0)"),
    )
    for mask, what in checks:
        if mask.any():
            problems.add(
                f"{int(mask.sum())} value(s) {what}",
                source=source,
                column=population.name,
                rows=_labels(population.index, mask),
            )
    repeated = population.index.duplicated(keep=False)
    if repeated.any():
        problems.add("repeated area ids", source=source, rows=_labels(population.index, repeated))
    return values


def _od_minutes(od, problems: ProblemCollector) -> np.ndarray | None:
    """The OD minutes as floats; NaN, non-numbers and negatives are problems (inf is out of reach)."""
    if not check_od_frame(od, problems):
        return None
    column = od["minutes"]
    if column.dtype.kind == "f":
        minutes = column.to_numpy()
        if len(minutes) == 0 or minutes.min() >= 0:  # one pass; NaN makes min NaN
            return minutes
        bad_number = np.zeros(len(minutes), dtype=bool)
    else:
        minutes = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad_number = np.isnan(minutes) & ~column.isna().to_numpy()
    for mask, what in (
        (bad_number, "not a number"),
        (np.isnan(minutes) & ~bad_number, "missing (NaN)"),
        (minutes < 0, "negative (minutes must be >= 0)"),
    ):
        if mask.any():
            problems.add(
                f"{int(mask.sum())} value(s) {what}",
                source="OD table",
                column="minutes",
                rows=_labels(od.index, mask),
            )
    return minutes


def _runs(values: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal consecutive values."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.intp)
    change = values[1:] != values[:-1]
    return np.concatenate(([0], np.flatnonzero(change) + 1))


def _coded_nearest(od: CodedOD, area_ids: pd.Index, problems, *, site_ids=None):
    """:func:`_nearest` of a checked, coded table: one ``minimum.reduceat`` over its minutes."""
    table = od if site_ids is None else od.with_sites(site_ids)
    run_min = table.row_minimum()
    if table.origin_ids.equals(area_ids):
        return run_min
    codes = area_ids.get_indexer(table.origin_ids)
    unknown = (codes < 0) & (table.pairs_per_origin() > 0)
    if unknown.any():
        problems.add(
            f"{int(unknown.sum())} origin id(s) not among the areas",
            source="OD table",
            column="origin_id",
            rows=tuple(table.origin_ids[unknown][:_SHOWN].tolist()),
        )
        return None
    nearest = np.full(len(area_ids), np.inf)
    known = codes >= 0
    nearest[codes[known]] = run_min[known]
    return nearest


def _nearest(od, area_ids: pd.Index, problems: ProblemCollector, *, site_ids=None):
    """Minutes to the nearest site for every area id (inf where none); None if problems.

    Float minutes over the whole table are checked through the per-origin
    minima (NaN propagates through ``np.minimum``; a negative minute makes its
    origin's minimum negative), so the common case reads the minutes once.
    """
    if isinstance(od, CodedOD):
        return _coded_nearest(od, area_ids, problems, site_ids=site_ids)
    if not check_od_frame(od, problems):
        return None
    fast = site_ids is None and od["minutes"].dtype.kind == "f"
    minutes = od["minutes"].to_numpy() if fast else _od_minutes(od, problems)
    if minutes is None:
        return None
    origins = od["origin_id"].to_numpy()
    if site_ids is not None:
        keep = od["site_id"].isin(pd.Index(site_ids)).to_numpy()
        origins, minutes = origins[keep], minutes[keep]
    starts = _runs(origins)
    run_min = np.minimum.reduceat(minutes, starts) if len(starts) else np.zeros(0)
    if fast and len(run_min) and not run_min.min() >= 0:  # NaN or negative minutes
        _od_minutes(od, problems)  # records them, row by row
    run_codes = area_ids.get_indexer(origins[starts])
    unknown = run_codes < 0
    if unknown.any():
        names = pd.unique(origins[starts][unknown])
        problems.add(
            f"{len(names)} origin id(s) not among the areas",
            source="OD table",
            column="origin_id",
            rows=tuple(names[:_SHOWN].tolist()),
        )
    if problems:
        return None
    nearest = np.full(len(area_ids), np.inf)
    if len(starts):
        ascending = bool((run_codes[1:] > run_codes[:-1]).all())  # sorted as the areas
        if ascending or len(np.unique(run_codes)) == len(run_codes):  # one run per origin
            nearest[run_codes] = run_min
        else:
            np.minimum.at(nearest, run_codes, run_min)
    return nearest


def _thresholds(thresholds_minutes, problems: ProblemCollector) -> np.ndarray:
    try:
        values = [float(t) for t in thresholds_minutes]
    except (TypeError, ValueError):
        problems.add(f"thresholds_minutes must be a list of numbers, got {thresholds_minutes!r}")
        return np.zeros(0)
    bad = [t for t in values if not (math.isfinite(t) and t >= 0)]
    if bad or not values:
        problems.add(
            f"thresholds_minutes must be finite numbers >= 0 (at least one), got {values!r}"
        )
    return np.unique(np.asarray(values, dtype=float))


def _label(t: float) -> str:
    return f"{t:g}min"


def nearest_minutes(od: pd.DataFrame | CodedOD, origin_ids, *, site_ids=None) -> pd.Series:
    """Travel time from each area to its nearest facility.

    :math:`t_i = \\min_j d_{ij}` over the OD rows of area :math:`i`
    (AccessMod's travel-time map sampled at the areas).

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        The OD table, columns ``origin_id, site_id, minutes`` (minutes >= 0,
        ``inf`` meaning out of reach), or the same table checked and coded
        (:class:`~accessplan.spatial.od_codes.CodedOD`: one ``minimum.reduceat``
        over its minutes, nothing re-checked).
    origin_ids : sequence or pandas.Index
        Every area id, including areas with no OD row (unique).
    site_ids : sequence, optional
        Count only these sites (e.g. the existing facilities for "before"
        and existing + new ones for "after"); all sites by default.

    Returns
    -------
    pandas.Series
        Float minutes indexed by ``origin_ids``, named ``nearest_minutes``;
        **NaN where the area has no site in the table**, i.e. none within
        the catchment the table was built for (not "zero minutes").

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem at once: not an OD table, NaN, negative or non-numeric
        minutes, OD origins that are not among ``origin_ids``, repeated ids.

    Examples
    --------
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "site_id": ["x", "y", "x"],
    ...                    "minutes": [12.0, 7.0, 30.0]})
    >>> nearest_minutes(od, ["a", "b", "c"]).tolist()
    [7.0, 30.0, nan]
    """
    problems = ProblemCollector(what="nearest-facility inputs")
    ids = pd.Index(origin_ids)
    if ids.has_duplicates:
        problems.add(
            "repeated area ids", source="origin_ids", rows=_labels(ids, ids.duplicated(keep=False))
        )
    nearest = _nearest(od, ids, problems, site_ids=site_ids)
    problems.raise_if_any()
    out = np.where(np.isinf(nearest), np.nan, nearest)
    return pd.Series(out, index=ids, name="nearest_minutes")


def _prepare(od, population, problems, *, site_ids):
    pop = check_population(population, problems)
    if pop is None or problems:
        if not isinstance(od, CodedOD):
            check_od_frame(od, problems)
        return None, None
    nearest = _nearest(od, population.index, problems, site_ids=site_ids)
    return pop, nearest


def population_within(
    od: pd.DataFrame | CodedOD,
    population: pd.Series,
    *,
    thresholds_minutes: Sequence[float] = (15, 30, 60, 120),
    site_ids=None,
) -> pd.DataFrame:
    """Population within each travel time of its nearest facility (cumulative).

    .. math::

        P(T) = \\sum_{i : t_i \\le T} p_i, \\qquad
        s(T) = \\frac{P(T)}{\\sum_i p_i},

    with :math:`t_i` the minutes to the nearest facility
    (:func:`nearest_minutes`; areas with no facility in the table never
    count) -- the WHO/AccessMod coverage indicator. :math:`s(T)` is NaN when
    the total population is 0.

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        The OD table (``origin_id, site_id, minutes``), or the same table
        coded (see :func:`nearest_minutes`).
    population : pandas.Series
        Population per area, indexed by area id, covering every area.
    thresholds_minutes : sequence of float
        The travel times :math:`T` (>= 0; repeated values are kept once).
    site_ids : sequence, optional
        Count only these sites (see :func:`nearest_minutes`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``threshold_minutes`` (ascending), columns
        ``population_within``, ``share_within`` (a fraction) and
        ``population_total``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem of the OD table, the population and the thresholds.

    Examples
    --------
    >>> od = pd.DataFrame({"origin_id": ["a", "b"], "site_id": ["x", "x"],
    ...                    "minutes": [10.0, 40.0]})
    >>> pop = pd.Series([100.0, 300.0, 600.0], index=["a", "b", "c"])
    >>> population_within(od, pop, thresholds_minutes=[15, 60])["share_within"].tolist()
    [0.1, 0.4]
    """
    problems = ProblemCollector(what="coverage inputs")
    thresholds = _thresholds(thresholds_minutes, problems)
    pop, nearest = _prepare(od, population, problems, site_ids=site_ids)
    problems.raise_if_any()
    total = float(pop.sum())
    within = np.array([pop[nearest <= t].sum() for t in thresholds], dtype=float)
    share = within / total if total > 0 else np.full(len(thresholds), np.nan)
    return pd.DataFrame(
        {
            "population_within": within,
            "share_within": share,
            "population_total": np.full(len(thresholds), total),
        },
        index=pd.Index(thresholds, name="threshold_minutes"),
    )


def coverage_curve(
    od: pd.DataFrame | CodedOD,
    population: pd.Series,
    *,
    max_minutes: float,
    step_minutes: float = 1.0,
    site_ids=None,
) -> pd.DataFrame:
    """The cumulative coverage curve :math:`P(T)` for ``T = 0, step, 2 step, ..., max``.

    The same :math:`P(T)` and :math:`s(T)` as :func:`population_within`, on a
    regular grid of minutes (``max_minutes`` is always the last point), for
    before/after curves: run it with the existing sites, then with existing +
    new ones (``site_ids``), on the same grid. Computed once by sorting
    :math:`t_i`, a cumulative sum of :math:`p_i` and a binary search per
    grid point.

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        The OD table (``origin_id, site_id, minutes``), or the same table
        coded (see :func:`nearest_minutes`).
    population : pandas.Series
        Population per area, indexed by area id, covering every area.
    max_minutes : float
        The last point of the curve (> 0, finite).
    step_minutes : float
        The grid step (> 0).
    site_ids : sequence, optional
        Count only these sites (see :func:`nearest_minutes`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``minutes``; columns ``population_within`` and ``share_within``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem of the inputs, including a bad ``max_minutes`` or step.
    """
    problems = ProblemCollector(what="coverage inputs")
    for name, value in (("max_minutes", max_minutes), ("step_minutes", step_minutes)):
        if not (
            isinstance(value, Real)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and value > 0
        ):
            problems.add(f"{name} must be a finite number > 0, got {value!r}")
    pop, nearest = _prepare(od, population, problems, site_ids=site_ids)
    problems.raise_if_any()
    n_steps = math.floor(max_minutes / step_minutes + 1e-9)
    grid = step_minutes * np.arange(n_steps + 1, dtype=float)
    if grid[-1] < max_minutes:
        grid = np.append(grid, float(max_minutes))
    order = np.argsort(nearest, kind="stable")
    cum = np.concatenate(([0.0], np.cumsum(pop[order])))
    within = cum[np.searchsorted(nearest[order], grid, side="right")]
    total = float(pop.sum())
    share = within / total if total > 0 else np.full(len(grid), np.nan)
    return pd.DataFrame(
        {"population_within": within, "share_within": share},
        index=pd.Index(grid, name="minutes"),
    )


def _weighted_medians(nearest, pop, codes, n_groups, by_time) -> np.ndarray:
    """Lower population-weighted median of ``nearest`` per group (NaN: none reached half).

    ``by_time`` is ``np.argsort(nearest, kind="stable")``, shared by the
    calls; a stable sort of the group codes on top of it orders the areas by
    group, then time, then position (as a lexsort would).
    """
    if n_groups == 1:
        order = by_time
    else:
        small = codes.astype(np.int16) if n_groups < (1 << 15) else codes  # radix sort
        order = by_time[np.argsort(small[by_time], kind="stable")]
    c, t, w = codes[order], nearest[order], pop[order]
    totals = np.bincount(codes, weights=pop, minlength=n_groups)
    cum = np.cumsum(w)
    before = np.concatenate(([0.0], cum))[np.searchsorted(c, np.arange(n_groups))]
    cum_in_group = cum - before[c]
    reached = np.flatnonzero((cum_in_group >= totals[c] / 2) & np.isfinite(t) & (totals[c] > 0))
    medians = np.full(n_groups, np.nan)
    if len(reached):
        group = c[reached]
        first = np.concatenate(([True], group[1:] != group[:-1]))  # first reached per group
        medians[group[first]] = t[reached[first]]
    return medians


def zonal_coverage(
    od: pd.DataFrame | CodedOD,
    population: pd.Series,
    zones: pd.Series,
    *,
    thresholds_minutes: Sequence[float] = (15, 30, 60, 120),
    site_ids=None,
) -> pd.DataFrame:
    """Coverage per zone (AccessMod's zonal statistics): population, shares, median time.

    For zone :math:`z` with areas :math:`i \\in z`:

    .. math::

        P_z = \\sum_{i \\in z} p_i, \\qquad
        P_z(T) = \\sum_{i \\in z,\\ t_i \\le T} p_i, \\qquad
        s_z(T) = P_z(T) / P_z,

    and the population-weighted median time to the nearest facility, the
    *lower weighted median*

    .. math::

        m_z = \\min \\{ t_i : i \\in z,\\ \\sum_{k \\in z,\\ t_k \\le t_i} p_k \\ge P_z / 2 \\},

    a time some area of the zone actually has (no interpolation; for two
    areas of 50 people at 10 and 20 minutes it is 10). Areas with no facility
    in the OD table count as infinitely far (NaN-aware: they are never
    dropped), so :math:`m_z` is NaN when more than half of the zone's people
    have no facility within the table's catchment, and when :math:`P_z = 0`.

    Parameters
    ----------
    od : pandas.DataFrame or CodedOD
        The OD table (``origin_id, site_id, minutes``), or the same table
        coded (see :func:`nearest_minutes`).
    population : pandas.Series
        Population per area, indexed by area id, covering every area.
    zones : pandas.Series
        Zone label per area id (the scenario's ``group`` column, or
        :func:`assign_zones` for a boundary layer); NaN for an area in no
        zone. Must cover every area of ``population``.
    thresholds_minutes : sequence of float
        The travel times :math:`T`.
    site_ids : sequence, optional
        Count only these sites (see :func:`nearest_minutes`).

    Returns
    -------
    pandas.DataFrame
        One row per zone (sorted labels), then a row :data:`OUTSIDE_LABEL`
        when some areas are in no zone, then a total row :data:`TOTAL_LABEL`.
        Columns ``row`` (``"zone"``, ``"outside"`` or ``"total"``),
        ``areas``, ``population``, ``population_no_facility`` (no facility in
        the table), ``population_within_<T>min`` and ``share_within_<T>min``
        per threshold (e.g. ``share_within_30min``), and
        ``median_minutes_nearest``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem of the inputs, including zones that do not cover every area.

    Examples
    --------
    >>> od = pd.DataFrame({"origin_id": ["a", "b", "c"], "site_id": "x",
    ...                    "minutes": [10.0, 20.0, 50.0]})
    >>> pop = pd.Series([50.0, 50.0, 10.0], index=["a", "b", "c"])
    >>> zones = pd.Series(["N", "N", "S"], index=["a", "b", "c"])
    >>> t = zonal_coverage(od, pop, zones, thresholds_minutes=[15])
    >>> t.loc["N", ["share_within_15min", "median_minutes_nearest"]].tolist()
    [0.5, 10.0]
    """
    problems = ProblemCollector(what="zonal coverage inputs")
    thresholds = _thresholds(thresholds_minutes, problems)
    pop, nearest = _prepare(od, population, problems, site_ids=site_ids)
    if not isinstance(zones, pd.Series):
        problems.add(
            f"zones must be a pandas Series indexed by area id, got {type(zones).__name__}"
        )
    elif pop is not None:
        # get_indexer, not isin: pandas 3's isin on text ids makes a Python object of each
        # (1 s for 200,000 areas against 0.06 s); a repeated zone id is reported below
        missing = (
            ~population.index.isin(zones.index)
            if zones.index.has_duplicates
            else zones.index.get_indexer(population.index) < 0
        )
        if missing.any():
            problems.add(
                f"{int(missing.sum())} area(s) with no zone entry (NaN marks an area in no zone)",
                source="zones",
                rows=_labels(population.index, missing),
            )
        if zones.index.has_duplicates:
            problems.add("repeated area ids", source="zones")
    problems.raise_if_any()
    labels = zones.reindex(population.index)
    outside = labels.isna().to_numpy()
    codes, uniques = pd.factorize(labels, sort=True)
    n_zones = len(uniques)
    row_codes = np.where(outside, n_zones, codes)
    names = [*uniques.tolist(), OUTSIDE_LABEL]
    kinds = ["zone"] * n_zones + ["outside"]
    if not outside.any():
        names, kinds = names[:-1], kinds[:-1]
    n_rows = len(names)

    def sums(weights, codes_, n):
        return np.bincount(codes_, weights=weights, minlength=n)

    groups = [(row_codes, n_rows), (np.zeros(len(pop), dtype=np.intp), 1)]
    by_time = np.argsort(nearest, kind="stable")
    parts = []
    for codes_, n in groups:
        total = sums(pop, codes_, n)
        with np.errstate(invalid="ignore", divide="ignore"):
            part = {
                "areas": np.bincount(codes_, minlength=n).astype(float),
                "population": total,
                "population_no_facility": sums(pop * np.isinf(nearest), codes_, n),
            }
            for t in thresholds:
                within = sums(pop * (nearest <= t), codes_, n)
                part[f"population_within_{_label(t)}"] = within
                part[f"share_within_{_label(t)}"] = np.where(total > 0, within / total, np.nan)
        part["median_minutes_nearest"] = _weighted_medians(nearest, pop, codes_, n, by_time)
        parts.append(pd.DataFrame(part))
    out = pd.concat(parts, ignore_index=True)
    out.index = pd.Index([*names, TOTAL_LABEL], name="zone")
    out.insert(0, "row", [*kinds, "total"])
    return out


def assign_zones(areas: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, *, id: str) -> pd.Series:
    """The zone of each area: the zone polygon containing the area's point.

    An area's point is its own geometry when it is a point, else its
    representative point (always inside the polygon). Zones are projected to
    the areas' CRS first. A point on a boundary shared by two zones, or in
    overlapping zones, goes to the first such zone in the zones layer's
    order; a point in no zone gets NaN (listed by :func:`zonal_coverage` as
    :data:`OUTSIDE_LABEL`).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        The areas, indexed by area id, with a CRS.
    zones : geopandas.GeoDataFrame
        The boundary layer (``[zones] path``), with a CRS.
    id : str
        The zones' label column (``[zones] id``).

    Returns
    -------
    pandas.Series
        Zone label per area (object dtype; NaN outside), indexed like
        ``areas``, named ``zone``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Every problem: not GeoDataFrames, a missing CRS, a missing id
        column, missing zone labels or zone geometries.
    """
    problems = ProblemCollector(what="zones")
    for name, frame in (("areas", areas), ("zones", zones)):
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.add(f"{name} must be a GeoDataFrame, got {type(frame).__name__}")
        elif frame.crs is None:
            problems.add("has no coordinate reference system", source=name)
    if isinstance(zones, gpd.GeoDataFrame):
        if id not in zones.columns:
            problems.add(f"no column {id!r}; columns are {list(zones.columns)}", source="zones")
        else:
            missing = zones[id].isna().to_numpy()
            if missing.any():
                problems.add(
                    "missing zone label(s)",
                    source="zones",
                    column=id,
                    rows=tuple(np.flatnonzero(missing)[:_SHOWN] + 1),
                )
        empty = (zones.geometry.isna() | zones.geometry.is_empty).to_numpy()
        if empty.any():
            problems.add(
                "missing or empty geometry",
                source="zones",
                rows=tuple(np.flatnonzero(empty)[:_SHOWN] + 1),
            )
    problems.raise_if_any()
    geom = areas.geometry
    points = geom.where(geom.geom_type == "Point", geom.representative_point())
    pts = gpd.GeoDataFrame({"_pos": np.arange(len(areas))}, geometry=points.values, crs=areas.crs)
    zz = gpd.GeoDataFrame(
        {"_zone": zones[id].to_numpy(), "_order": np.arange(len(zones))},
        geometry=zones.geometry.values,
        crs=zones.crs,
    ).to_crs(areas.crs)
    hits = gpd.sjoin(pts, zz, how="inner", predicate="intersects")
    hits = hits.sort_values(["_pos", "_order"]).drop_duplicates("_pos")
    out = np.full(len(areas), np.nan, dtype=object)
    out[hits["_pos"].to_numpy()] = hits["_zone"].to_numpy()
    return pd.Series(out, index=areas.index, name="zone")
