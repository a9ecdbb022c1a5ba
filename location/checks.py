"""Input checks shared by the median, center and equity models (all problems collected, raised once)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector
from accessplan.location.errors import InfeasibleModelError, SolverError
from accessplan.location.solver import SolveReport, SolverOptions
from accessplan.spatial.fca import check_od_frame

__all__ = [
    "OD_COLUMNS",
    "SHOWN",
    "check_demand",
    "check_od",
    "check_options",
    "check_sites",
    "count_noun",
    "first_labels",
    "first_per_group",
    "group_positions",
    "numeric_values",
    "raise_if_unsolved",
]

OD_COLUMNS = ("origin_id", "site_id", "minutes")
SHOWN = 10

# ============================================================ shared validation
# (also used by accessplan.location.equity)


def count_noun(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def first_labels(index, mask) -> tuple:
    return tuple(pd.Index(index)[np.asarray(mask, dtype=bool)][:SHOWN])


def numeric_values(
    values: pd.Series,
    *,
    source: str,
    column,
    problems: ProblemCollector,
    integer: bool = False,
    allow_inf: bool = False,
) -> np.ndarray:
    """Float array of ``values``; records non-numbers, NaN, negatives, infinities, fractions."""
    numeric = pd.to_numeric(values, errors="coerce")
    out = np.asarray(numeric, dtype=float)
    missing = np.asarray(values.isna(), dtype=bool)
    bad = np.isnan(out) & ~missing
    for mask, text in ((bad, "not a number"), (missing, "missing (NaN)")):
        if mask.any():
            problems.add(
                f"{count_noun(int(mask.sum()), 'value')} {text}",
                source=source,
                column=column,
                rows=first_labels(values.index, mask),
            )
    with np.errstate(invalid="ignore"):
        negative = out < 0
        infinite = np.isposinf(out)
        fraction = np.isfinite(out) & (out != np.round(out))
    if negative.any():
        problems.add(
            f"{count_noun(int(negative.sum()), 'value')} negative (must be >= 0)",
            source=source,
            column=column,
            rows=first_labels(values.index, negative),
        )
    if infinite.any() and not allow_inf:
        problems.add(
            f"{count_noun(int(infinite.sum()), 'value')} infinite",
            source=source,
            column=column,
            rows=first_labels(values.index, infinite),
        )
    if integer and fraction.any():
        problems.add(
            f"{count_noun(int(fraction.sum()), 'value')} not a whole number",
            source=source,
            column=column,
            rows=first_labels(values.index, fraction),
        )
    return out


def check_demand(demand, problems: ProblemCollector) -> np.ndarray | None:
    if not isinstance(demand, pd.Series):
        problems.add(
            f"demand must be a pandas Series indexed by area id, got {type(demand).__name__}"
        )
        return None
    dup = demand.index.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{count_noun(int(dup.sum()), 'row')} with a repeated area id",
            source="demand",
            rows=first_labels(demand.index, dup),
        )
    return numeric_values(demand, source="demand", column=demand.name, problems=problems)


def check_sites(frame, name: str, problems: ProblemCollector, columns=()) -> pd.Index | None:
    """Site ids of a candidates/existing frame; checks the columns it must have."""
    if not isinstance(frame, pd.DataFrame):
        problems.add(f"{name} must be a (Geo)DataFrame, got {type(frame).__name__}")
        return None
    missing = [c for c in ("site_id", *columns) if c not in frame.columns]
    if missing:
        problems.add(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}", source=name
        )
    if "site_id" not in frame.columns:
        return None
    ids = pd.Index(frame["site_id"])
    null = np.asarray(ids.isna(), dtype=bool)
    if null.any():
        problems.add(
            f"{count_noun(int(null.sum()), 'row')} without a site_id",
            source=name,
            column="site_id",
            rows=first_labels(frame.index, null),
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        problems.add(
            f"{count_noun(int(dup.sum()), 'row')} with a repeated site_id",
            source=name,
            column="site_id",
            rows=first_labels(ids, dup),
        )
    return ids


def check_od(
    od, area_ids: pd.Index | None, site_ids: pd.Index | None, problems: ProblemCollector
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Positions of each OD row's area and site, and its minutes (infinite rows dropped)."""
    if not check_od_frame(od, problems):
        return None
    minutes = numeric_values(
        od["minutes"], source="OD table", column="minutes", problems=problems, allow_inf=True
    )
    if area_ids is None or site_ids is None or not area_ids.is_unique or not site_ids.is_unique:
        return None
    rows = area_ids.get_indexer(od["origin_id"])
    cols = site_ids.get_indexer(od["site_id"])
    for codes, column, what in ((rows, "origin_id", "demand"), (cols, "site_id", "site")):
        unknown = codes < 0
        if unknown.any():
            problems.add(
                f"{count_noun(int(unknown.sum()), 'row')} with an id not among the {what} ids",
                source="OD table",
                column=column,
                rows=first_labels(od.index, unknown),
            )
    if (rows < 0).any() or (cols < 0).any():
        return None
    keys = rows.astype(np.int64) * max(len(site_ids), 1) + cols
    dup = pd.Series(keys).duplicated(keep=False).to_numpy()
    if dup.any():
        problems.add(
            f"{count_noun(int(dup.sum()), 'row')} repeating an (origin_id, site_id) pair",
            source="OD table",
            rows=first_labels(od.index, dup),
        )
    keep = np.isfinite(minutes)
    return rows[keep], cols[keep], minutes[keep]


def check_options(solver_options) -> SolverOptions:
    if solver_options is None:
        return SolverOptions()
    if not isinstance(solver_options, SolverOptions):
        raise TypeError(
            f"solver_options must be a SolverOptions, got {type(solver_options).__name__}"
        )
    return solver_options


def first_per_group(groups: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct group, the position of its smallest value (first row on ties)."""
    order = np.lexsort((np.arange(len(values)), values, groups))
    sorted_groups = groups[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_groups[1:] != sorted_groups[:-1]
    return sorted_groups[first], order[first]


def group_positions(keys: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct keys and, for each, the positions holding it (one argsort, no dense loop)."""
    if len(keys) == 0:
        return keys, []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return sorted_keys[np.r_[0, cuts]], np.split(order, cuts)


def raise_if_unsolved(report: SolveReport, model: str, hint: str) -> None:
    if report.status == "infeasible":
        raise InfeasibleModelError(f"the {model} model is infeasible: {hint}", report)
    if not report.has_solution:
        raise SolverError(
            f"the {model} model was not solved ({report.summary()}); "
            "raise the time limit or simplify the instance",
            report,
        )
