"""Expected daily patient arrivals at each site, from the spatial access model.

Each area ``i`` produces ``p_i = rate * P_i / 100_000`` patients a day
(``rate`` = patients per 100k people per day, ``P_i`` its population). Its
patients choose among the open sites within its catchment by a Huff-style
selection weight built from the access model's distance decay ``W``::

    share_ij = S_j**alpha * W(d_ij) / sum_k S_k**alpha * W(d_ik)

the sum running over the sites ``k`` within area ``i``'s catchment with
capacity ``S_k > 0``. ``alpha`` (``attractiveness``) weighs capacity: 1 by
default (a site twice the size draws twice the patients at equal distance),
0 for a pure distance-decay choice. With ``alpha = 0`` the shares are
exactly the selection weights ``G_ij`` of the three-step floating catchment
(:func:`accessplan.spatial.fca.three_step_fca`) with the same decay.

A site then expects ``a_j = sum_i p_i * share_ij`` arrivals a day. An area
whose denominator is 0 (no open site in reach, or only sites with weight 0)
has nowhere to go: its patients are *unserved* and reported, never dropped,
so that always::

    sum_j a_j + unserved = rate * sum_i P_i / 100_000

Sites with zero capacity are closed: they receive no patients whatever
``alpha`` is (``0**0`` is not allowed to open them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.spatial.decay import Decay
from accessplan.spatial.errors import UnknownMethodError
from accessplan.spatial.fca import METHODS, OD_COLUMNS, check_od_frame, resolve_decay

__all__ = ["SHARE_COLUMNS", "SiteDemand", "site_arrivals"]

#: Columns of :attr:`SiteDemand.shares`.
SHARE_COLUMNS = ("origin_id", "site_id", "share")

_PER = 100_000.0

#: the largest rate accepted: one patient per person per day. Beyond it the rate is a
#: unit mistake, and sizing the queues it implies would take hours.
MAX_PATIENTS_PER_100K_DAY = 100_000.0
_SHOWN_ROWS = 10


@dataclass(frozen=True, eq=False)
class SiteDemand:
    """Expected daily arrivals at every site, and the patients no site serves.

    Attributes
    ----------
    arrivals_per_day : pandas.Series
        Expected patients a day at each site, indexed by site id (every site
        of ``capacity``, 0.0 for sites nobody chooses or closed sites).
    shares : pandas.DataFrame
        Long table ``origin_id, site_id, share``: the share of an area's
        patients going to a site, only for pairs with a positive share. The
        shares of every served area sum to 1.
    unserved_areas : tuple
        Ids of every area reaching no open site (including areas with no
        population), in the order of ``population``.
    unserved_patients_per_day : float
        Expected patients a day in those areas: lost to the system.
    total_patients_per_day : float
        ``rate * total population / 100_000``; equals
        ``arrivals_per_day.sum() + unserved_patients_per_day``.
    patients_per_100k_day : float
        The rate used.
    attractiveness : float
        The exponent ``alpha`` on capacity.
    catchment_minutes : float
        Largest travel time counted.
    decay : Decay
        The distance decay ``W`` used.
    """

    arrivals_per_day: pd.Series
    shares: pd.DataFrame
    unserved_areas: tuple
    unserved_patients_per_day: float
    total_patients_per_day: float
    patients_per_100k_day: float
    attractiveness: float
    catchment_minutes: float
    decay: Decay

    @property
    def unserved_area_count(self) -> int:
        """Number of areas reaching no open site."""
        return len(self.unserved_areas)

    @property
    def served_patients_per_day(self) -> float:
        """Expected patients a day who reach a site (the sum of the arrivals)."""
        return float(self.arrivals_per_day.sum())


def _is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _check_scalar(name: str, value, problems: ProblemCollector, *, positive: bool) -> None:
    if not _is_number(value) or value < 0 or (positive and value == 0):
        bound = "> 0" if positive else ">= 0"
        problems.add(f"{name} must be a finite number {bound}, got {value!r}")


def _values(
    series: pd.Series,
    *,
    source: str,
    what: str,
    problems: ProblemCollector,
    allow_inf: bool = False,
) -> np.ndarray:
    """Float values of ``series``; records non-numbers, NaN, negatives (and infinities)."""
    numeric = pd.to_numeric(series, errors="coerce")
    out = numeric.to_numpy(dtype=float, na_value=np.nan)
    missing = series.isna().to_numpy()
    column = series.name if isinstance(series.name, str) else None
    checks = [
        (np.isnan(out) & ~missing, "not a number"),
        (missing, "missing (NaN)"),
    ]
    with np.errstate(invalid="ignore"):
        checks.append((out < 0, f"negative ({what} must be >= 0)"))
    if not allow_inf:
        checks.append((np.isposinf(out), "infinite"))
    for mask, message in checks:
        n = int(mask.sum())
        if n:
            problems.add(
                f"{n} value{'s' if n != 1 else ''} {message}",
                source=source,
                column=column,
                rows=tuple(series.index[mask][:_SHOWN_ROWS]),
            )
    return out


def _repeats(keys: np.ndarray) -> bool:
    """Whether any key repeats: one pass when increasing (a sorted OD table), else a sort."""
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return False
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


def _resolve_decay(decay, method, catchment_minutes: float) -> Decay:
    name = method.strip().lower() if isinstance(method, str) else method
    if name not in METHODS:
        raise UnknownMethodError(
            f"unknown access method {method!r}; accepted: {', '.join(METHODS)}"
        )
    return resolve_decay(decay, method=name, catchment_minutes=catchment_minutes)


def site_arrivals(
    od: pd.DataFrame,
    population: pd.Series,
    capacity: pd.Series,
    *,
    patients_per_100k_day: float,
    catchment_minutes: float,
    decay: Decay | str | Mapping | None = None,
    method: str = "2sfca",
    attractiveness: float = 1.0,
) -> SiteDemand:
    """Expected daily patient arrivals at each site (Huff-style choice with distance decay).

    Parameters
    ----------
    od : pandas.DataFrame
        Long OD table ``origin_id, site_id, minutes`` (as for
        :func:`accessplan.spatial.fca.access_scores`); rows with
        ``minutes > catchment_minutes`` (or infinite) are ignored; each pair at
        most once.
    population : pandas.Series
        Population (>= 0) indexed by area id: every area, including those
        without OD rows.
    capacity : pandas.Series
        Capacity ``S_j`` (>= 0; e.g. ventilators or planned units) indexed by
        site id: every site, existing and new. Sites with 0 are closed.
    patients_per_100k_day : float
        Patients (e.g. needing a ventilator) per 100,000 people per day, >= 0
        and at most :data:`MAX_PATIENTS_PER_100K_DAY` (one per person per day).
    catchment_minutes : float
        Largest travel time at which a site can be chosen, inclusive (> 0).
    decay : Decay, str or mapping, optional
        Distance decay ``W`` (see :func:`accessplan.spatial.decay.make_decay`);
        must not reach beyond ``catchment_minutes``. Default: the decay of
        ``method`` (:func:`accessplan.spatial.fca.default_decay`).
    method : str, default "2sfca"
        Access method whose default decay is used when ``decay`` is None
        (uniform for "2sfca"); checked even when a decay is given.
    attractiveness : float, default 1.0
        Exponent ``alpha >= 0`` on capacity in the selection weight; 0 gives a
        pure distance-decay choice (the 3SFCA selection weights).

    Returns
    -------
    SiteDemand
        Arrivals per site, the shares, and the unserved areas and patients.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        Listing every problem: missing OD columns; NaN, infinite or negative
        population or capacity; NaN or negative minutes; OD ids not in the
        population or capacity index; repeated ids or OD pairs; a negative,
        NaN or infinite rate or attractiveness; ``catchment_minutes <= 0``.
    UnknownMethodError
        For a method not in :data:`accessplan.spatial.fca.METHODS`.
    UnknownDecayError
        For a bad decay, or one reaching beyond the catchment.

    Examples
    --------
    >>> import pandas as pd
    >>> od = pd.DataFrame({"origin_id": ["a", "a", "b"], "site_id": ["h", "k", "h"],
    ...                    "minutes": [5.0, 25.0, 12.0]})
    >>> population = pd.Series({"a": 100_000.0, "b": 50_000.0, "c": 20_000.0})
    >>> capacity = pd.Series({"h": 30.0, "k": 10.0})
    >>> demand = site_arrivals(od, population, capacity, patients_per_100k_day=2.0,
    ...                        catchment_minutes=30)
    >>> demand.arrivals_per_day.to_dict()
    {'h': 2.5, 'k': 0.5}
    >>> demand.unserved_areas, demand.unserved_patients_per_day
    (('c',), 0.4)
    """
    problems = ProblemCollector(what="site demand inputs")
    _check_scalar("patients_per_100k_day", patients_per_100k_day, problems, positive=False)
    if _is_number(patients_per_100k_day) and patients_per_100k_day > MAX_PATIENTS_PER_100K_DAY:
        problems.add(
            f"patients_per_100k_day = {patients_per_100k_day:g} is more than one patient per "
            f"person per day (the limit is {MAX_PATIENTS_PER_100K_DAY:g} per 100,000 people "
            "per day); check the unit of the rate"
        )
    _check_scalar("attractiveness", attractiveness, problems, positive=False)
    _check_scalar("catchment_minutes", catchment_minutes, problems, positive=True)
    resolved = None
    if _is_number(catchment_minutes) and catchment_minutes > 0:
        catchment_minutes = float(catchment_minutes)
        resolved = _resolve_decay(decay, method, catchment_minutes)

    check_od_frame(od, problems)
    for name, value in (("population", population), ("capacity", capacity)):
        if not isinstance(value, pd.Series):
            problems.add(
                f"{name} must be a pandas Series indexed by id, got {type(value).__name__}"
            )
    structural_ok = (
        isinstance(od, pd.DataFrame)
        and all(c in od.columns for c in OD_COLUMNS)
        and isinstance(population, pd.Series)
        and isinstance(capacity, pd.Series)
    )
    if not structural_ok:
        problems.raise_if_any()

    pop = _values(population, source="population", what="population", problems=problems)
    cap = _values(capacity, source="capacity", what="capacity", problems=problems)
    minutes = _values(
        od["minutes"], source="OD table", what="minutes", problems=problems, allow_inf=True
    )
    for name, series in (("population", population), ("capacity", capacity)):
        dup = series.index.duplicated(keep=False)
        if dup.any():
            problems.add(
                f"{int(dup.sum())} rows with a repeated id",
                source=name,
                rows=tuple(series.index[dup][:_SHOWN_ROWS]),
            )
    rows = cols = None
    if population.index.is_unique and capacity.index.is_unique:
        rows = population.index.get_indexer(od["origin_id"])
        cols = capacity.index.get_indexer(od["site_id"])
        checks = ((rows, "origin_id", "population"), (cols, "site_id", "capacity"))
        for codes, column, name in checks:
            unknown = codes < 0
            if unknown.any():
                problems.add(
                    f"{int(unknown.sum())} rows with an id not in the {name} index",
                    source="OD table",
                    column=column,
                    rows=tuple(od.index[unknown][:_SHOWN_ROWS]),
                )
        known = (rows >= 0) & (cols >= 0)
        keys = rows[known].astype(np.int64) * max(len(capacity), 1) + cols[known]
        if _repeats(keys):
            dup = pd.Series(keys).duplicated(keep=False).to_numpy()
            problems.add(
                f"{int(dup.sum())} rows repeating an (origin_id, site_id) pair",
                source="OD table",
                rows=tuple(od.index[known][dup][:_SHOWN_ROWS]),
            )
    problems.raise_if_any()

    return _compute(
        rows=rows,
        cols=cols,
        minutes=minutes,
        population=pop,
        capacity=cap,
        area_ids=population.index,
        site_ids=capacity.index,
        rate=float(patients_per_100k_day),
        alpha=float(attractiveness),
        catchment_minutes=catchment_minutes,
        decay=resolved,
    )


def _compute(
    *,
    rows: np.ndarray,
    cols: np.ndarray,
    minutes: np.ndarray,
    population: np.ndarray,
    capacity: np.ndarray,
    area_ids: pd.Index,
    site_ids: pd.Index,
    rate: float,
    alpha: float,
    catchment_minutes: float,
    decay: Decay,
) -> SiteDemand:
    n_areas, n_sites = len(population), len(capacity)
    # pairs within the catchment whose site is open
    keep = (minutes <= catchment_minutes) & (capacity[cols] > 0)
    rows, cols, minutes = rows[keep], cols[keep], minutes[keep]

    # Huff weight S_j**alpha * W(d_ij); capacity is > 0 here, so 0**0 never arises
    attraction = np.power(capacity, alpha, where=capacity > 0, out=np.zeros(n_sites))
    weight = attraction[cols] * np.asarray(decay(minutes), dtype=float)
    totals = np.bincount(rows, weights=weight, minlength=n_areas)
    per_pair = totals[rows]
    share = np.divide(weight, per_pair, out=np.zeros_like(weight), where=per_pair > 0)

    patients = population * (rate / _PER)
    arrivals = np.bincount(cols, weights=share * patients[rows], minlength=n_sites)
    unserved = totals <= 0

    positive = share > 0
    shares = pd.DataFrame(
        {
            "origin_id": area_ids[rows[positive]],
            "site_id": site_ids[cols[positive]],
            "share": share[positive],
        }
    )
    return SiteDemand(
        arrivals_per_day=pd.Series(
            arrivals, index=site_ids.copy(), name="arrivals_per_day", dtype=float
        ),
        shares=shares,
        unserved_areas=tuple(area_ids[unserved]),
        unserved_patients_per_day=float(patients[unserved].sum()),
        total_patients_per_day=float(patients.sum()),
        patients_per_100k_day=rate,
        attractiveness=alpha,
        catchment_minutes=catchment_minutes,
        decay=decay,
    )
