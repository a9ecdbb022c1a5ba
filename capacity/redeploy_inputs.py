"""Checked inputs of the redeployment model (:mod:`accessplan.capacity.redeploy`).

:func:`read_instance` checks the demand, stock, transfer and resource tables
(every problem at once, naming table, column and 1-based row) and returns them as
an :class:`Instance` of plain dictionaries; :func:`check_options` checks the
model's numeric options.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from accessplan.data.errors import ProblemCollector

__all__ = [
    "DEMAND_COLUMNS",
    "RESOURCE_COLUMNS",
    "STOCK_COLUMNS",
    "TRANSFER_COLUMNS",
    "Instance",
    "check_options",
    "read_instance",
]

DEMAND_COLUMNS = ("facility", "resource", "period", "demand")
STOCK_COLUMNS = ("facility", "resource", "fixed_units", "mobile_units")
TRANSFER_COLUMNS = ("from_facility", "to_facility", "delay_periods", "cost_per_unit")
RESOURCE_COLUMNS = (
    "resource",
    "integer",
    "unmet_penalty",
    "operating_cost_mobile",
    "operating_cost_fixed",
    "critical",
)


@dataclass(frozen=True)
class Instance:
    """The checked tables as dictionaries keyed by facility, resource and period."""

    facilities: tuple
    resources: tuple
    periods: int
    demand: dict  # (i, j, t) -> float
    fixed: dict  # (i, j) -> float
    mobile: dict  # (i, j) -> float
    arcs: tuple  # (i, k, delay, cost)
    integer: dict
    penalty: dict
    op_mobile: dict
    op_fixed: dict
    ramp: dict  # j -> float or None
    critical: dict


def _missing_columns(frame, columns, name, problems) -> None:
    if not isinstance(frame, pd.DataFrame):
        problems.add(f"expected a DataFrame, got {type(frame).__name__}", source=name)
        return
    for c in columns:
        if c not in frame.columns:
            problems.add("column is missing", source=name, column=c)


def _numeric(frame, column, name, problems, *, minimum=0.0, strict=False, whole=False):
    """The column as floats, recording rows that are not numbers >= minimum."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        problems.add("not a finite number", source=name, column=column, rows=frame.index[bad])
    ok = np.where(bad, minimum if not strict else minimum + 1, values)
    low = ok <= minimum if strict else ok < minimum
    if low.any():
        sign = ">" if strict else ">="
        problems.add(
            f"must be {sign} {minimum:g}", source=name, column=column, rows=frame.index[low]
        )
    if whole:
        frac = np.isfinite(values) & (values != np.round(values))
        if frac.any():
            problems.add(
                "must be a whole number", source=name, column=column, rows=frame.index[frac]
            )
    return values


def _bools(frame, column, name, problems):
    values = frame[column]
    ok = values.map(lambda v: isinstance(v, bool | np.bool_) or v in (0, 1))
    if not ok.all():
        problems.add(
            "must be true/false", source=name, column=column, rows=frame.index[~ok.to_numpy()]
        )
    return {k: bool(v) if ok_ else False for k, v, ok_ in zip(frame.index, values, ok, strict=True)}


def _one_based(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with rows labelled 1, 2, ... (the data rows of its file, header not counted)."""
    out = frame.reset_index(drop=True)
    out.index = pd.RangeIndex(1, len(out) + 1)
    return out


def read_instance(demand, stock, transfer, resources, sources=None) -> Instance:
    problems = ProblemCollector(what="redeployment inputs")
    names_of = {
        "demand": "demand",
        "stock": "stock",
        "transfer": "transfer",
        "resources": "resources",
    }
    names_of.update(sources or {})
    for frame, columns, label in (
        (demand, DEMAND_COLUMNS, "demand"),
        (stock, STOCK_COLUMNS, "stock"),
        (transfer, TRANSFER_COLUMNS, "transfer"),
        (resources, RESOURCE_COLUMNS, "resources"),
    ):
        _missing_columns(frame, columns, names_of[label], problems)
    problems.raise_if_any()

    res = _one_based(resources)
    names = res["resource"].tolist()
    dup = res["resource"].duplicated().to_numpy()
    if dup.any():
        problems.add(
            "duplicate resource",
            source=names_of["resources"],
            column="resource",
            rows=res.index[dup],
        )
    integer = _bools(res, "integer", names_of["resources"], problems)
    critical = _bools(res, "critical", names_of["resources"], problems)
    penalty = _numeric(res, "unmet_penalty", names_of["resources"], problems)
    op_m = _numeric(res, "operating_cost_mobile", names_of["resources"], problems)
    op_f = _numeric(res, "operating_cost_fixed", names_of["resources"], problems)
    if "ramp_limit" in res.columns:
        ramp_raw = pd.to_numeric(res["ramp_limit"], errors="coerce").to_numpy(dtype=float)
        given = res["ramp_limit"].notna().to_numpy()
        neg = given & ~(ramp_raw >= 0)
        if neg.any():
            problems.add(
                "must be a number >= 0 (or empty for no limit)",
                source=names_of["resources"],
                column="ramp_limit",
                rows=res.index[neg],
            )
        ramp = [float(r) if g and r >= 0 else None for r, g in zip(ramp_raw, given, strict=True)]
    else:
        ramp = [None] * len(res)
    known = set(names)

    dem = _one_based(demand)
    d_vals = _numeric(dem, "demand", names_of["demand"], problems)
    periods = _numeric(dem, "period", names_of["demand"], problems, whole=True)
    unknown = ~dem["resource"].isin(known).to_numpy()
    if unknown.any():
        problems.add(
            "resource not in the resources table",
            source=names_of["demand"],
            column="resource",
            rows=dem.index[unknown],
        )
    dup = dem.duplicated(["facility", "resource", "period"]).to_numpy()
    if dup.any():
        problems.add(
            "duplicate (facility, resource, period)", source=names_of["demand"], rows=dem.index[dup]
        )

    st = _one_based(stock)
    fixed = _numeric(st, "fixed_units", names_of["stock"], problems)
    mobile = _numeric(st, "mobile_units", names_of["stock"], problems)
    unknown = ~st["resource"].isin(known).to_numpy()
    if unknown.any():
        problems.add(
            "resource not in the resources table",
            source=names_of["stock"],
            column="resource",
            rows=st.index[unknown],
        )
    dup = st.duplicated(["facility", "resource"]).to_numpy()
    if dup.any():
        problems.add("duplicate (facility, resource)", source=names_of["stock"], rows=st.index[dup])
    int_res = {n for n, flag in zip(names, integer.values(), strict=True) if flag}
    is_int = st["resource"].isin(int_res).to_numpy()
    for column, values in (("fixed_units", fixed), ("mobile_units", mobile)):
        frac = is_int & np.isfinite(values) & (values != np.round(values))
        if frac.any():
            problems.add(
                "must be whole for an integer resource",
                source=names_of["stock"],
                column=column,
                rows=st.index[frac],
            )

    tr = _one_based(transfer)
    delay = _numeric(tr, "delay_periods", names_of["transfer"], problems, minimum=1, whole=True)
    cost = _numeric(tr, "cost_per_unit", names_of["transfer"], problems)
    loop = (tr["from_facility"] == tr["to_facility"]).to_numpy()
    if loop.any():
        problems.add(
            "a facility cannot transfer to itself", source=names_of["transfer"], rows=tr.index[loop]
        )
    dup = tr.duplicated(["from_facility", "to_facility"]).to_numpy()
    if dup.any():
        problems.add(
            "duplicate (from_facility, to_facility)",
            source=names_of["transfer"],
            rows=tr.index[dup],
        )
    facilities = list(dict.fromkeys([*st["facility"].tolist(), *dem["facility"].tolist()]))
    for column in ("from_facility", "to_facility"):
        unknown = ~tr[column].isin(set(facilities)).to_numpy()
        if unknown.any():
            problems.add(
                "facility not in stock or demand",
                source=names_of["transfer"],
                column=column,
                rows=tr.index[unknown],
            )
    if len(dem) == 0:
        problems.add("no demand rows", source=names_of["demand"])
    problems.raise_if_any()

    return Instance(
        facilities=tuple(facilities),
        resources=tuple(names),
        periods=int(periods.max()) + 1,
        demand={
            (f, r, int(p)): float(v)
            for f, r, p, v in zip(dem["facility"], dem["resource"], periods, d_vals, strict=True)
        },
        fixed={
            (f, r): float(v) for f, r, v in zip(st["facility"], st["resource"], fixed, strict=True)
        },
        mobile={
            (f, r): float(v) for f, r, v in zip(st["facility"], st["resource"], mobile, strict=True)
        },
        arcs=tuple(
            (a, b, int(d), float(c))
            for a, b, d, c in zip(tr["from_facility"], tr["to_facility"], delay, cost, strict=True)
        ),
        integer=dict(zip(names, integer.values(), strict=True)),
        penalty=dict(zip(names, penalty.tolist(), strict=True)),
        op_mobile=dict(zip(names, op_m.tolist(), strict=True)),
        op_fixed=dict(zip(names, op_f.tolist(), strict=True)),
        ramp=dict(zip(names, ramp, strict=True)),
        critical=dict(zip(names, critical.values(), strict=True)),
    )


def check_options(*, buffer_eta, discount, smoothing_penalty, unmet_cap, equity_gamma) -> None:
    problems = ProblemCollector(what="redeployment options")

    def bad(x, low, strict=False):
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            return True
        return x <= low if strict else x < low

    if bad(buffer_eta, 0):
        problems.add(f"buffer_eta must be a number >= 0, got {buffer_eta!r}")
    if bad(discount, 0, strict=True) or (not bad(discount, 0, strict=True) and discount > 1):
        problems.add(f"discount must be in (0, 1], got {discount!r}")
    if bad(smoothing_penalty, 0):
        problems.add(f"smoothing_penalty must be a number >= 0, got {smoothing_penalty!r}")
    if unmet_cap is not None and bad(unmet_cap, 0):
        problems.add(f"unmet_cap must be None or a number >= 0, got {unmet_cap!r}")
    if equity_gamma is not None and bad(equity_gamma, 0):
        problems.add(f"equity_gamma must be None or a number >= 0, got {equity_gamma!r}")
    problems.raise_if_any()
