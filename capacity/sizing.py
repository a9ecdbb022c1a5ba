"""Ventilators per site for a target mean wait (Erlang C), or a given pool split.

Each site is an M/M/N queue (:mod:`accessplan.capacity.erlang`): patients
arrive at ``arrivals_per_day`` (e.g. :attr:`~accessplan.capacity.demand.SiteDemand.arrivals_per_day`)
and each holds a ventilator for ``mean_stay_days`` on average, so the offered
load is ``A = arrivals_per_day * mean_stay_days`` Erlangs (the mean number of
ventilators busy). Waits are in hours throughout: the mean stay is turned
into hours (``x 24``) before it meets the queue formulas, so a target of
``target_wait_hours`` and a stay in days are never mixed.

Conventions
-----------
* A site with no arrivals needs 0 ventilators: nothing ever waits there, its
  probability of waiting and mean wait are 0 (whatever it has now).
* ``N <= A`` is an unstable queue: the wait grows without bound; its mean
  wait is reported as ``inf``, never a number.
* The number needed is the smallest ``N`` whose mean wait is at most the
  target: ``N - 1`` misses it (or is unstable).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd

from accessplan.capacity.erlang import erlang_c, mean_wait, servers_for_mean_wait
from accessplan.capacity.pool import OBJECTIVES, split_pool
from accessplan.data.errors import ProblemCollector

__all__ = [
    "HOURS_PER_DAY",
    "SIZING_COLUMNS",
    "SPLIT_COLUMNS",
    "resolve_mean_stay",
    "size_sites",
    "split_given_pool",
]

#: Hours in a day: mean stays in days are multiplied by it to meet waits in hours.
HOURS_PER_DAY = 24.0

#: Columns of :func:`split_given_pool`.
SPLIT_COLUMNS = (
    "arrivals_per_day",
    "mean_stay_days",
    "offered_load",
    "current",
    "added",
    "final",
    "mean_wait_hours_before",
    "mean_wait_hours_after",
)

#: Columns of :func:`size_sites` (the last three only when ``current`` is given).
SIZING_COLUMNS = (
    "arrivals_per_day",
    "mean_stay_days",
    "offered_load",
    "ventilators_needed",
    "p_wait",
    "mean_wait_hours",
    "current",
    "shortfall",
    "current_mean_wait_hours",
)

_SHOWN_ROWS = 10


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _rows(index: pd.Index, mask: np.ndarray) -> tuple:
    return tuple(index[mask][:_SHOWN_ROWS])


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _series_values(
    series: pd.Series,
    *,
    source: str,
    problems: ProblemCollector,
    positive: bool = False,
    whole: bool = False,
    allow_missing: bool = False,
) -> np.ndarray:
    """Float values of ``series``; records non-numbers, NaN, infinities, out-of-range values.

    Booleans and text are not numbers here, even text that reads as one
    (``True``, ``"5"``): a count of ventilators that arrives as either is a
    sign that a column was mixed up, so it is named rather than converted.
    """
    column = series.name if isinstance(series.name, str) else None
    if (
        series.dtype == bool
        or series.dtype.kind in "OSU"
        or isinstance(series.dtype, pd.StringDtype)
    ):
        odd = series.map(lambda v: isinstance(v, bool | np.bool_ | str | bytes)).to_numpy(bool)
        if odd.any():
            first = series[odd].iloc[0]
            problems.add(
                f"{_plural(int(odd.sum()), 'value')} not a number "
                f"({type(first).__name__}, e.g. {first!r})",
                source=source,
                column=column,
                rows=_rows(series.index, odd),
            )
            series = series.where(~odd)
    numeric = pd.to_numeric(series, errors="coerce")
    out = numeric.to_numpy(dtype=float, na_value=np.nan)
    missing = series.isna().to_numpy()
    with np.errstate(invalid="ignore"):
        low = out <= 0 if positive else out < 0
        fraction = np.isfinite(out) & (out != np.floor(out)) if whole else np.zeros(len(out), bool)
    checks = [
        (np.isnan(out) & ~missing, "not a number"),
        (np.isinf(out), "infinite"),
        (low, "must be > 0" if positive else "negative (must be >= 0)"),
        (fraction, "not a whole number"),
    ]
    if not allow_missing:
        checks.insert(1, (missing, "missing (NaN)"))
    for mask, message in checks:
        n = int(mask.sum())
        if n:
            problems.add(
                f"{_plural(n, 'value')} {message}",
                source=source,
                column=column,
                rows=_rows(series.index, mask),
            )
    return out


def _check_index(series: pd.Series, *, source: str, problems: ProblemCollector) -> None:
    dup = series.index.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{_plural(int(dup.sum()), 'row')} with a repeated site id",
            source=source,
            rows=_rows(series.index, dup),
        )


def _check_positive_scalar(name: str, value, problems: ProblemCollector) -> None:
    if not _is_number(value) or value <= 0:
        problems.add(f"{name} must be a finite number > 0, got {value!r}")


def resolve_mean_stay(
    site_ids, per_site: pd.Series | None = None, default: float | None = None
) -> pd.Series:
    """Mean stay (days) of every site: its own where known, the scenario default elsewhere.

    Parameters
    ----------
    site_ids : sequence or pandas.Index
        Every site id (existing and new), unique.
    per_site : pandas.Series, optional
        Per-site mean stays in days (e.g. the facilities' ``mean_stay_days``),
        indexed by site id; NaN (or absence) means "not known". Known values
        must be finite and > 0; ids must be among ``site_ids``.
    default : float, optional
        Mean stay in days (> 0) for the sites without their own value. Needed
        unless ``per_site`` covers every site.

    Returns
    -------
    pandas.Series
        Float mean stay in days, indexed by ``site_ids``, named ``mean_stay_days``.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: repeated site ids; per-site values that are not
        numbers, infinite or <= 0; per-site ids not among ``site_ids``; a bad
        default, or no default while some site has no value of its own.

    Examples
    --------
    >>> stays = pd.Series({"h1": 12.0, "h2": float("nan")})
    >>> resolve_mean_stay(["h1", "h2", "new1"], stays, 9.0).to_dict()
    {'h1': 12.0, 'h2': 9.0, 'new1': 9.0}
    """
    problems = ProblemCollector(what="mean stays")
    ids = pd.Index(site_ids)
    dup = ids.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{_plural(int(dup.sum()), 'site id')} repeated",
            source="site ids",
            rows=_rows(ids, dup),
        )
    if default is not None:
        _check_positive_scalar("the default mean_stay_days", default, problems)
    values = pd.Series(np.nan, index=ids, dtype=float)
    if per_site is not None:
        if not isinstance(per_site, pd.Series):
            problems.add(
                f"per-site mean stays must be a pandas Series indexed by site id, "
                f"got {type(per_site).__name__}"
            )
        else:
            own = _series_values(
                per_site,
                source="per-site mean stays",
                problems=problems,
                positive=True,
                allow_missing=True,
            )
            _check_index(per_site, source="per-site mean stays", problems=problems)
            unknown = ~per_site.index.isin(ids)
            if unknown.any():
                problems.add(
                    f"{_plural(int(unknown.sum()), 'row')} with a site id not among the sites",
                    source="per-site mean stays",
                    rows=_rows(per_site.index, unknown),
                )
            if not problems:
                known = ~np.isnan(own)
                values.loc[per_site.index[known]] = own[known]
    if not problems and default is None and values.isna().any():
        gap = values.isna().to_numpy()
        problems.add(
            f"{_plural(int(gap.sum()), 'site')} without a mean stay of their own and no default",
            source="per-site mean stays",
            rows=_rows(ids, gap),
        )
    problems.raise_if_any()
    if default is not None:
        values = values.fillna(float(default))
    return values.rename("mean_stay_days")


def _stays_array(mean_stay_days, site_ids: pd.Index, problems: ProblemCollector):
    """Mean stays aligned on ``site_ids`` (scalar broadcast, or a Series covering every site)."""
    if isinstance(mean_stay_days, pd.Series):
        _check_index(mean_stay_days, source="mean_stay_days", problems=problems)
        stays = _series_values(
            mean_stay_days, source="mean_stay_days", problems=problems, positive=True
        )
        if not mean_stay_days.index.is_unique:
            return None
        where = mean_stay_days.index.get_indexer(site_ids)
        absent = where < 0
        if absent.any():
            problems.add(
                f"{_plural(int(absent.sum()), 'site')} without a mean stay "
                "(see resolve_mean_stay to fill in a default)",
                source="mean_stay_days",
                rows=_rows(site_ids, absent),
            )
            return None
        return stays[where]
    if not _is_number(mean_stay_days) or mean_stay_days <= 0:
        problems.add(
            "mean_stay_days must be a finite number > 0 or a Series by site id, "
            f"got {mean_stay_days!r}"
        )
        return None
    return np.full(len(site_ids), float(mean_stay_days))


def _current_array(current, site_ids: pd.Index, problems: ProblemCollector):
    """Current units aligned on ``site_ids``; sites absent from ``current`` have 0."""
    if not isinstance(current, pd.Series):
        problems.add(
            f"current must be a pandas Series indexed by site id, got {type(current).__name__}"
        )
        return None
    before = len(problems.problems)
    _check_index(current, source="current", problems=problems)
    values = _series_values(current, source="current", problems=problems, whole=True)
    unknown = ~current.index.isin(site_ids)
    if unknown.any():
        problems.add(
            f"{_plural(int(unknown.sum()), 'row')} with a site id not among the arrivals",
            source="current",
            rows=_rows(current.index, unknown),
        )
    if len(problems.problems) > before:
        return None
    where = current.index.get_indexer(site_ids)
    out = np.zeros(len(site_ids), dtype=np.int64)
    found = where >= 0
    out[found] = values[where[found]].astype(np.int64)
    return out


def _arrivals_array(arrivals_per_day, problems: ProblemCollector):
    if not isinstance(arrivals_per_day, pd.Series):
        problems.add(
            "arrivals_per_day must be a pandas Series indexed by site id, "
            f"got {type(arrivals_per_day).__name__}"
        )
        return None
    _check_index(arrivals_per_day, source="arrivals_per_day", problems=problems)
    return _series_values(arrivals_per_day, source="arrivals_per_day", problems=problems)


def size_sites(
    arrivals_per_day: pd.Series,
    mean_stay_days: float | pd.Series,
    *,
    target_wait_hours: float,
    current: pd.Series | None = None,
) -> pd.DataFrame:
    """Ventilators each site needs for a mean wait of at most ``target_wait_hours``.

    Parameters
    ----------
    arrivals_per_day : pandas.Series
        Expected patients a day (>= 0) at each site, indexed by site id
        (existing and new sites alike).
    mean_stay_days : float or pandas.Series
        Mean time a patient holds a ventilator, in days (> 0): one value for
        every site, or a Series covering every site (see
        :func:`resolve_mean_stay` for per-site values with a default).
    target_wait_hours : float
        Largest acceptable mean wait for a ventilator, in hours (> 0).
    current : pandas.Series, optional
        Ventilators each site has now (whole numbers >= 0), by site id. Sites
        absent from it (new sites) have 0; ids not in ``arrivals_per_day`` are
        an error.

    Returns
    -------
    pandas.DataFrame
        One row per site (index as ``arrivals_per_day``), columns

        * ``arrivals_per_day``, ``mean_stay_days``;
        * ``offered_load``: ``arrivals_per_day * mean_stay_days``, Erlangs
          (mean ventilators busy);
        * ``ventilators_needed``: the smallest ``N`` with mean wait <= target
          (0 for a site with no arrivals);
        * ``p_wait``: probability that a patient waits, at that ``N``;
        * ``mean_wait_hours``: mean wait at that ``N``, hours;

        and when ``current`` is given:

        * ``current``: ventilators now;
        * ``shortfall``: ``max(ventilators_needed - current, 0)``;
        * ``current_mean_wait_hours``: mean wait with the current units,
          ``inf`` where ``current <= offered_load`` (unstable), 0 where
          nothing arrives.

        ``attrs["target_wait_hours"]`` records the target.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: arrivals or current units that are negative,
        NaN or infinite (current units also fractional); mean stays <= 0 or
        missing for a site; a target that is not a finite number > 0; repeated
        site ids; ``current`` ids not among the sites.

    Examples
    --------
    >>> arrivals = pd.Series({"h1": 7.0, "h2": 0.0})
    >>> sized = size_sites(arrivals, 64 / 7, target_wait_hours=7.0)
    >>> sized["ventilators_needed"].to_dict()
    {'h1': 72, 'h2': 0}
    """
    problems = ProblemCollector(what="sizing inputs")
    _check_positive_scalar("target_wait_hours", target_wait_hours, problems)
    arrivals = _arrivals_array(arrivals_per_day, problems)
    stays = units = None
    if arrivals is not None and arrivals_per_day.index.is_unique:
        site_ids = arrivals_per_day.index
        stays = _stays_array(mean_stay_days, site_ids, problems)
        units = None if current is None else _current_array(current, site_ids, problems)
    problems.raise_if_any()

    load = arrivals * stays
    service_hours = stays * HOURS_PER_DAY
    target = float(target_wait_hours)
    needed = np.asarray(
        servers_for_mean_wait(load, target_wait=target, mean_service_time=service_hours),
        dtype=np.int64,
    ).reshape(len(load))
    table = {
        "arrivals_per_day": arrivals,
        "mean_stay_days": stays,
        "offered_load": load,
        "ventilators_needed": needed,
        "p_wait": np.asarray(erlang_c(needed, load), dtype=float).reshape(len(load)),
        "mean_wait_hours": _waits(needed, load, service_hours),
    }
    if current is not None:
        table["current"] = units
        table["shortfall"] = np.maximum(needed - units, 0)
        table["current_mean_wait_hours"] = _waits(units, load, service_hours)
    frame = pd.DataFrame(table, index=arrivals_per_day.index.copy())
    frame.attrs["target_wait_hours"] = target
    return frame


def _waits(servers: np.ndarray, load: np.ndarray, service_hours: np.ndarray) -> np.ndarray:
    """Mean waits in hours (``inf`` when unstable, 0 with no load) as a 1-d array."""
    waits = mean_wait(servers, load, mean_service_time=service_hours)
    return np.asarray(waits, dtype=float).reshape(len(load))


def _bounds_array(bound, site_ids: pd.Index, name: str, fill: int, problems: ProblemCollector):
    """Per-site bound on the units added: scalar, or a Series by site id (absent -> ``fill``)."""
    if bound is None:
        return np.full(len(site_ids), fill, dtype=np.int64)
    if isinstance(bound, pd.Series):
        before = len(problems.problems)
        _check_index(bound, source=name, problems=problems)
        values = _series_values(bound, source=name, problems=problems, whole=True)
        unknown = ~bound.index.isin(site_ids)
        if unknown.any():
            problems.add(
                f"{_plural(int(unknown.sum()), 'row')} with a site id not among the arrivals",
                source=name,
                rows=_rows(bound.index, unknown),
            )
        if len(problems.problems) > before:
            return None
        where = bound.index.get_indexer(site_ids)
        out = np.full(len(site_ids), fill, dtype=np.int64)
        found = where >= 0
        out[found] = values[where[found]].astype(np.int64)
        return out
    if not _is_number(bound) or bound < 0 or bound != math.floor(bound):
        problems.add(f"{name} must be a whole number >= 0 or a Series by site id, got {bound!r}")
        return None
    return np.full(len(site_ids), int(bound), dtype=np.int64)


def split_given_pool(
    arrivals_per_day: pd.Series,
    mean_stay_days: float | pd.Series,
    current: pd.Series,
    *,
    pool: int,
    objective: str = "min-max",
    minimum: int | pd.Series | None = None,
    maximum: int | pd.Series | None = None,
) -> pd.DataFrame:
    """Split a pool of new ventilators across sites to even out or cut the mean waits.

    A thin wrapper over :func:`accessplan.capacity.pool.split_pool`. The queues
    are solved in days (the load ``arrivals_per_day x mean_stay_days`` is
    formed once, exactly as in :func:`size_sites`); the waits are then
    reported in hours.

    Parameters
    ----------
    arrivals_per_day : pandas.Series
        Expected patients a day (>= 0) at each site, indexed by site id.
    mean_stay_days : float or pandas.Series
        Mean stay in days (> 0), one value or a Series covering every site
        (see :func:`resolve_mean_stay`).
    current : pandas.Series
        Ventilators each site has now (whole numbers >= 0); sites absent from
        it (new sites) have 0.
    pool : int
        Ventilators to add in all; exactly this many are placed.
    objective : {"min-max", "min-sum"}, default "min-max"
        ``"min-max"``: least largest mean wait over the sites;
        ``"min-sum"``: least total arrival-weighted mean wait (the mean wait
        over all patients). See :mod:`accessplan.capacity.pool`.
    minimum, maximum : int or pandas.Series, optional
        Bounds on the ventilators *added* at each site (not on the final
        count; for a cap on the final count pass ``cap - current``): one
        number for every site, or a Series by site id (absent sites: 0 and
        no bound). Default: 0 and no bound.

    Returns
    -------
    pandas.DataFrame
        One row per site, columns ``arrivals_per_day``, ``mean_stay_days``,
        ``offered_load``, ``current``, ``added``, ``final``,
        ``mean_wait_hours_before`` (with ``current``) and
        ``mean_wait_hours_after`` (with ``final``), ``inf`` where unstable.
        ``attrs`` hold ``objective``, ``pool``, ``max_wait_hours_before`` /
        ``_after``, ``mean_wait_hours_before`` / ``_after`` (arrival-weighted)
        and ``unstable_before`` / ``_after`` (sites with an infinite wait).

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: bad arrivals, stays, current units or bounds
        (as :func:`size_sites`), an unknown objective, a pool that is not a
        whole number >= 0, ``maximum < minimum`` at a site, or a pool outside
        ``[sum(minimum), sum(maximum)]``.

    Examples
    --------
    >>> arrivals = pd.Series({"h1": 7.0, "h2": 9.0})
    >>> split = split_given_pool(arrivals, 9.0, pd.Series({"h1": 70, "h2": 80}), pool=10)
    >>> split["final"].to_dict()
    {'h1': 71, 'h2': 89}
    """
    problems = ProblemCollector(what="pool split inputs")
    if objective not in OBJECTIVES:
        problems.add(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    pool_ok = _is_number(pool) and pool >= 0 and pool == math.floor(pool)
    if not pool_ok:
        problems.add(f"pool must be a whole number >= 0, got {pool!r}")
    arrivals = _arrivals_array(arrivals_per_day, problems)
    stays = units = low = high = None
    if arrivals is not None and arrivals_per_day.index.is_unique:
        site_ids = arrivals_per_day.index
        stays = _stays_array(mean_stay_days, site_ids, problems)
        units = _current_array(current, site_ids, problems)
        low = _bounds_array(minimum, site_ids, "minimum", 0, problems)
        high = _bounds_array(maximum, site_ids, "maximum", -1, problems)
        if low is not None and high is not None:
            bounded = high >= 0
            below = bounded & (high < low)
            if below.any():
                problems.add(
                    f"{_plural(int(below.sum()), 'site')} with maximum below minimum",
                    source="maximum",
                    rows=_rows(site_ids, below),
                )
            if pool_ok and pool < low.sum():
                problems.add(f"pool = {pool} is fewer than the sum of minimum ({int(low.sum())})")
            if pool_ok and bounded.all() and pool > high.sum():
                problems.add(f"pool = {pool} is more than the sum of maximum ({int(high.sum())})")
    problems.raise_if_any()

    unbounded = high < 0
    # in days, so that the load is arrivals x stay exactly as in size_sites (a trip
    # through hours turned 13/day x 9 days into 116.99999999999999 Erlangs)
    split = split_pool(
        int(pool),
        arrival_rate=arrivals,
        mean_service_time=stays,
        current=units,
        min_added=low,
        max_added=None if unbounded.all() else np.where(unbounded, int(pool), high),
        objective=objective,
    )
    facilities = split.facilities
    frame = pd.DataFrame(
        {
            "arrivals_per_day": arrivals,
            "mean_stay_days": stays,
            "offered_load": facilities["offered_load"].to_numpy(),
            "current": units,
            "added": facilities["added"].to_numpy(),
            "final": facilities["final"].to_numpy(),
            "mean_wait_hours_before": facilities["wait_before"].to_numpy() * HOURS_PER_DAY,
            "mean_wait_hours_after": facilities["wait_after"].to_numpy() * HOURS_PER_DAY,
        },
        index=arrivals_per_day.index.copy(),
    )
    frame.attrs.update(
        objective=split.objective,
        pool=int(pool),
        max_wait_hours_before=split.max_wait_before * HOURS_PER_DAY,
        max_wait_hours_after=split.max_wait_after * HOURS_PER_DAY,
        mean_wait_hours_before=split.mean_wait_before * HOURS_PER_DAY,
        mean_wait_hours_after=split.mean_wait_after * HOURS_PER_DAY,
        unstable_before=split.unstable_before,
        unstable_after=split.unstable_after,
    )
    return frame
