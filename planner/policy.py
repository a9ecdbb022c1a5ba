"""What a sweep of plans says: the efficiency frontier, its knee, and how robust each site is.

A sweep (:mod:`accessplan.planner.sweep`) solves one plan per *point*: a budget,
a catchment, a demand growth factor and a set of closed existing sites. Its
table (``sweep.csv``, one row per point) is read here, never the solver:

- :func:`efficiency_frontier`: per *group* of points sharing catchment, growth
  and closures, the points in increasing budget with the coverage each buys,
  the marginal cost per person newly covered between consecutive points, the
  solver's proof (or gap) and the knee of the curve (:func:`knee`);
- :func:`is_monotone`: coverage never falls as the budget grows, checked on the
  points proven optimal (a larger budget can always buy the smaller budget's
  plan, so a proven optimum cannot cover less); a point that is not proven
  optimal may dip, and is flagged in the ``dip`` column instead;
- :func:`site_frequency`: for every candidate site, in how many points it is
  chosen; a site chosen in every point is "robust".

The functions take plain :class:`pandas.DataFrame` tables (as read back from
``sweep.csv``: an empty ``closed`` or ``sites`` cell may come back as NaN) and
return new frames; inputs are never changed. Problems in a table are collected
and raised once as :class:`accessplan.data.errors.InputValidationError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector

__all__ = [
    "FRONTIER_COLUMNS",
    "GROUP_COLUMNS",
    "MONOTONE_TOLERANCE",
    "efficiency_frontier",
    "is_monotone",
    "knee",
    "site_frequency",
    "split_ids",
]

#: the sweep dimensions other than the budget: points sharing them form one frontier
GROUP_COLUMNS = ("catchment_minutes", "growth", "closed")

#: coverage shares may fall by at most this much (a share of the population,
#: i.e. 1e-9 of the population in people) between proven-optimal points
MONOTONE_TOLERANCE = 1e-9

#: the columns of :func:`efficiency_frontier`, in order
FRONTIER_COLUMNS = (
    "group",
    "catchment_minutes",
    "growth",
    "closed",
    "point",
    "budget",
    "cost",
    "population",
    "coverage_share",
    "zero_access_share",
    "newly_covered",
    "delta_cost",
    "delta_newly_covered",
    "marginal_cost_per_person",
    "marginal_note",
    "proven_optimal",
    "gap",
    "status",
    "knee",
    "dip",
)

_REQUIRED = (
    "point",
    "budget",
    "cost",
    "coverage_share",
    "zero_access_share",
    "newly_covered",
    "proven_optimal",
)


# --------------------------------------------------------------------------
# reading the sweep table
def split_ids(value) -> list[str]:
    """The ids of a ``;``-joined cell (``closed``, ``sites``); empty or missing is no id.

    Examples
    --------
    >>> split_ids("C1;C7")
    ['C1', 'C7']
    >>> split_ids(float("nan"))
    []
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return []
    return [part.strip() for part in str(value).split(";") if part.strip()]


def _as_bool(value) -> bool | None:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    return None


def _numeric(frame: pd.DataFrame, column: str, problems: ProblemCollector, *, what: str):
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna() & (frame[column].astype(str).str.strip() != "")
    if bad.any():
        rows = tuple(int(i) + 1 for i in np.flatnonzero(bad.to_numpy()))
        problems.add("not a number", source=what, column=column, rows=rows)
    return values.astype(float)


def _sweep_frame(sweep, problems: ProblemCollector, *, required: Sequence[str]) -> pd.DataFrame:
    if not isinstance(sweep, pd.DataFrame):
        problems.add(f"the sweep table must be a DataFrame, got {type(sweep).__name__}")
        problems.raise_if_any()
    for column in required:
        if column not in sweep.columns:
            problems.add("column is missing", source="sweep table", column=column)
    if len(sweep) == 0:
        problems.add("has no rows (a sweep has at least one point)", source="sweep table")
    problems.raise_if_any()
    return sweep.reset_index(drop=True).copy()


def _group_key(frame: pd.DataFrame) -> pd.DataFrame:
    """The group columns present, normalised (missing dimension = one value; closures sorted)."""
    keys = pd.DataFrame(index=frame.index)
    for column in GROUP_COLUMNS:
        if column not in frame.columns:
            keys[column] = "" if column == "closed" else np.nan
        elif column == "closed":
            keys[column] = [";".join(sorted(split_ids(v))) for v in frame[column]]
        else:
            keys[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return keys


# --------------------------------------------------------------------------
# knee
def knee(x, y) -> int | None:
    """The knee of a rising curve with diminishing returns (Kneedle).

    Both axes are scaled to [0, 1] by their ranges, the *chord* is the straight
    line from the first to the last point of the scaled curve, and the knee is
    the point furthest above that chord (largest perpendicular distance, on the
    side of the larger ``y``): where the curve has bent most, so extra ``x``
    (money) starts to buy clearly less ``y`` (coverage). Satopää, Albrecht,
    Irwin and Raghavan (2011), "Finding a 'Kneedle' in a haystack", ICDCS
    workshops; their difference curve ``y - x`` is this distance up to a
    constant factor when the curve rises from (0, 0) to (1, 1).

    Parameters
    ----------
    x, y : array-like
        The points, in increasing ``x`` (e.g. budgets and coverage shares).

    Returns
    -------
    int or None
        Position (0-based) of the knee; None for fewer than 3 points, a flat
        or straight curve, or one that bends the other way (no point above
        the chord, e.g. rising returns).

    Examples
    --------
    >>> knee([0, 1, 2, 3, 4], [0, 0.6, 0.8, 0.9, 1.0])
    1
    >>> knee([0, 1, 2], [0, 1, 2]) is None
    True
    """
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    if xs.size < 3 or xs.size != ys.size or not (np.isfinite(xs).all() and np.isfinite(ys).all()):
        return None
    x_span = xs.max() - xs.min()
    y_span = ys.max() - ys.min()
    if x_span <= 0 or y_span <= 0:
        return None
    xn = (xs - xs.min()) / x_span
    yn = (ys - ys.min()) / y_span
    dx, dy = xn[-1] - xn[0], yn[-1] - yn[0]
    length = float(np.hypot(dx, dy))
    if length == 0:
        return None
    # signed distance: positive above the chord (to the left, walking first -> last)
    distance = (dx * (yn - yn[0]) - dy * (xn - xn[0])) / length
    best = int(np.argmax(distance))
    if distance[best] <= 1e-12:
        return None
    return best


# --------------------------------------------------------------------------
# efficiency frontier
def _marginal(delta_cost: float, delta_people: float) -> tuple[float, str]:
    if np.isnan(delta_cost) or np.isnan(delta_people):
        return np.nan, "missing cost or coverage"
    if delta_people > 0:
        if delta_cost < 0:
            return delta_cost / delta_people, "covers more for less money"
        return delta_cost / delta_people, ""
    if delta_cost > 0:
        return np.inf, "no one more is covered: the extra money buys no coverage"
    if delta_people == 0:
        return np.nan, "no one more is covered and no more is spent"
    return np.nan, "fewer are covered than at the previous budget"


def efficiency_frontier(sweep: pd.DataFrame) -> pd.DataFrame:
    """Coverage against budget per group of sweep points, with marginal costs and the knee.

    Points are grouped by :data:`GROUP_COLUMNS` (catchment, growth, closures;
    a column missing from the table counts as one value) and sorted by budget.
    Between consecutive points of a group the *marginal cost per person newly
    covered* is ``(cost[i] - cost[i-1]) / (newly_covered[i] - newly_covered[i-1])``;
    the first point of a group is compared with spending nothing (cost 0,
    nobody newly covered), so its value is the average cost per person it
    covers. ``newly_covered`` is the demand weight newly within reach (people,
    when demand is the population). When nothing more is covered the marginal
    cost is infinite (more money, nobody more covered) or NaN (no more money
    either), and ``marginal_note`` says which in words.

    ``knee`` marks, per group, the point :func:`knee` finds on coverage share
    against budget. ``dip`` marks a point covering a smaller share than a
    cheaper point of its group (by more than :data:`MONOTONE_TOLERANCE`): on
    proven-optimal points a dip is impossible (see :func:`is_monotone`); on a
    point the solver did not prove optimal it shows the solver stopped early.

    Parameters
    ----------
    sweep : pandas.DataFrame
        The sweep table (``sweep.csv``): ``point``, ``budget``, ``cost``,
        ``coverage_share``, ``zero_access_share``, ``newly_covered``,
        ``proven_optimal`` and, when present, ``catchment_minutes``,
        ``growth``, ``closed``, ``population``, ``gap``, ``status``.

    Returns
    -------
    pandas.DataFrame
        One row per point, columns :data:`FRONTIER_COLUMNS`; ``group`` numbers
        the groups from 0 in the order of their dimensions.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If a required column is missing, a value is not a number, a budget is
        repeated within a group or ``proven_optimal`` is not a boolean.
    """
    problems = ProblemCollector(what="sweep table")
    frame = _sweep_frame(sweep, problems, required=_REQUIRED)
    numbers = {}
    for column in ("point", "budget", "cost", "coverage_share", "zero_access_share"):
        numbers[column] = _numeric(frame, column, problems, what="sweep table")
    numbers["newly_covered"] = _numeric(frame, "newly_covered", problems, what="sweep table")
    for column in ("population", "gap"):
        if column in frame.columns:
            numbers[column] = _numeric(frame, column, problems, what="sweep table")
        else:
            numbers[column] = pd.Series(np.nan, index=frame.index)
    proven = [_as_bool(v) for v in frame["proven_optimal"]]
    bad = tuple(i + 1 for i, v in enumerate(proven) if v is None)
    if bad:
        problems.add("not true or false", source="sweep table", column="proven_optimal", rows=bad)
    keys = _group_key(frame)
    problems.raise_if_any()

    table = keys.copy()
    for column, values in numbers.items():
        table[column] = values
    table["proven_optimal"] = proven
    table["status"] = frame["status"].astype(str) if "status" in frame.columns else ""
    table["_row"] = np.arange(len(table))
    group_order = table[list(GROUP_COLUMNS)].drop_duplicates()
    group_order = group_order.sort_values(list(GROUP_COLUMNS), na_position="first")
    parts = []
    for number, (_, key) in enumerate(group_order.iterrows()):
        mask = np.ones(len(table), dtype=bool)
        for column in GROUP_COLUMNS:
            value = key[column]
            col = table[column]
            mask &= (col.isna() if pd.isna(value) else (col == value)).to_numpy()
        part = table[mask].sort_values("budget", kind="stable").copy()
        repeated = part["budget"].duplicated(keep=False)
        if repeated.any():
            problems.add(
                "a budget appears twice in one group of catchment, growth and closures",
                source="sweep table",
                column="budget",
                rows=tuple(int(r) + 1 for r in part.loc[repeated, "_row"]),
            )
            continue
        part["group"] = number
        cost = part["cost"].to_numpy()
        newly = part["newly_covered"].to_numpy()
        delta_cost = np.diff(cost, prepend=0.0)
        delta_newly = np.diff(newly, prepend=0.0)
        marginal = [_marginal(c, p) for c, p in zip(delta_cost, delta_newly, strict=True)]
        part["delta_cost"] = delta_cost
        part["delta_newly_covered"] = delta_newly
        part["marginal_cost_per_person"] = [m for m, _ in marginal]
        part["marginal_note"] = [n for _, n in marginal]
        at = knee(part["budget"], part["coverage_share"])
        part["knee"] = False
        if at is not None:
            part.iloc[at, part.columns.get_loc("knee")] = True
        share = part["coverage_share"].to_numpy()
        best_before = np.maximum.accumulate(np.concatenate([[-np.inf], share[:-1]]))
        part["dip"] = share < best_before - MONOTONE_TOLERANCE
        parts.append(part)
    problems.raise_if_any()
    result = pd.concat(parts, ignore_index=True)
    result["point"] = result["point"].astype(int)
    result["knee"] = result["knee"].astype(bool)
    result["dip"] = result["dip"].astype(bool)
    result["proven_optimal"] = result["proven_optimal"].astype(bool)
    return result[list(FRONTIER_COLUMNS)]


def is_monotone(frontier: pd.DataFrame, *, tolerance: float = MONOTONE_TOLERANCE) -> bool:
    """Whether coverage never falls as the budget grows, on the proven-optimal points.

    A larger budget can always afford the smaller budget's plan, so the proven
    optimum at the larger budget covers at least as much. Within each group of
    :func:`efficiency_frontier`, every proven-optimal point is compared with
    every cheaper proven-optimal point; points not proven optimal are left out
    here (they may dip; ``frontier["dip"]`` flags them).

    Parameters
    ----------
    frontier : pandas.DataFrame
        :func:`efficiency_frontier` (or any table with ``group``, ``budget``,
        ``coverage_share`` and ``proven_optimal``).
    tolerance : float, default :data:`MONOTONE_TOLERANCE`
        Allowed fall of the coverage share (a share of the population).

    Returns
    -------
    bool
    """
    problems = ProblemCollector(what="frontier table")
    frame = _sweep_frame(
        frontier, problems, required=("group", "budget", "coverage_share", "proven_optimal")
    )
    proven = frame[[bool(_as_bool(v)) for v in frame["proven_optimal"]]]
    for _, part in proven.groupby("group", sort=False):
        share = part.sort_values("budget", kind="stable")["coverage_share"].to_numpy(dtype=float)
        if share.size > 1 and (share[1:] < np.maximum.accumulate(share)[:-1] - tolerance).any():
            return False
    return True


# --------------------------------------------------------------------------
# robustness of sites
def _candidate_ids(candidates, problems: ProblemCollector) -> tuple[list[str], pd.DataFrame | None]:
    if isinstance(candidates, pd.DataFrame):
        if "site_id" not in candidates.columns:
            problems.add("column is missing", source="candidates", column="site_id")
            return [], None
        ids = [str(v) for v in candidates["site_id"]]
        return ids, candidates
    if isinstance(candidates, str) or not isinstance(candidates, Sequence | pd.Index | np.ndarray):
        problems.add("candidates must be a DataFrame with site_id or a sequence of ids")
        return [], None
    return [str(v) for v in candidates], None


def site_frequency(sweep: pd.DataFrame, candidates) -> pd.DataFrame:
    """For every candidate site, in how many sweep points it is chosen.

    Parameters
    ----------
    sweep : pandas.DataFrame
        The sweep table with ``sites`` (new site ids of each point joined by
        ``;``; empty when a point chose none).
    candidates : pandas.DataFrame, geopandas.GeoDataFrame or sequence of str
        Every candidate site (``site_id`` column, other columns such as
        ``name`` and the geometry are kept), or just their ids.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        One row per candidate: ``site_id``, ``chosen_in`` (number of points
        choosing it), ``points`` (number of points in the sweep),
        ``frequency`` (``chosen_in / points``), ``robust`` (chosen in every
        point) and the candidates' other columns; sorted by ``chosen_in``
        (most first), then by ``site_id``. A GeoDataFrame when
        ``candidates`` is one.

    Raises
    ------
    accessplan.data.errors.InputValidationError
        If ``sites`` is missing, the sweep has no row, candidate ids repeat,
        or a point names a site that is not a candidate (with its row).
    """
    problems = ProblemCollector(what="sweep table")
    frame = _sweep_frame(sweep, problems, required=("sites",))
    ids, table = _candidate_ids(candidates, problems)
    problems.raise_if_any()
    seen = pd.Series(ids)
    if seen.duplicated().any():
        problems.add(
            "candidate ids repeat",
            source="candidates",
            column="site_id",
            rows=tuple(sorted(set(seen[seen.duplicated()]))),
        )
    counts = dict.fromkeys(ids, 0)
    unknown: dict[str, list[int]] = {}
    for row, value in enumerate(frame["sites"]):
        for site in set(split_ids(value)):
            if site in counts:
                counts[site] += 1
            else:
                unknown.setdefault(site, []).append(row + 1)
    for site, rows in unknown.items():
        problems.add(
            f"site {site!r} is not a candidate",
            source="sweep table",
            column="sites",
            rows=tuple(rows),
        )
    problems.raise_if_any()

    n = len(frame)
    result = pd.DataFrame({"site_id": ids})
    result["chosen_in"] = [counts[i] for i in ids]
    result["points"] = n
    result["frequency"] = result["chosen_in"] / n
    result["robust"] = result["chosen_in"] == n
    if table is not None:
        extra = table.drop(columns=["site_id"]).reset_index(drop=True)
        extra = extra.drop(columns=[c for c in extra.columns if c in result.columns])
        result = pd.concat([result, extra], axis=1)
        if hasattr(table, "geometry") and hasattr(table, "crs"):
            import geopandas as gpd

            result = gpd.GeoDataFrame(result, geometry=table.geometry.name, crs=table.crs)
    result = result.sort_values(["chosen_in", "site_id"], ascending=[False, True], kind="stable")
    return result.reset_index(drop=True)
