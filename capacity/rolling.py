"""Rolling-horizon redeployment, and a small sandbox of demand traces.

:func:`rolling_horizon` replays a demand trace period by period. At each period
``tau`` it solves the model of :mod:`accessplan.capacity.redeploy` over the
window ``tau .. tau + lookahead - 1`` (cut at the end of the trace) from the
state reached so far -- mobile units on hand, units in transit, units in use in
the previous period (ramp limits and smoothing link to it) -- with the demand of
``tau`` as observed in the trace and forecasts for the later periods. It then
applies only the window's first period (units in use, fixed units used,
shipments leaving at ``tau``) and moves on. Each window's model is given the
previous window's values for the periods they share as initial values (a MIP
start, used when ``solver_options.warm_start`` is true, the default here).

With perfect forecasts and a lookahead that reaches the end of the trace, every
window is the tail of the full problem from the state the full optimum passes
through, so the rolling total equals the full-horizon optimum.

Shipments can only be planned when they arrive inside the window, so a
lookahead shorter than the longest transfer delay + 1 can never use that
transfer; :class:`~accessplan.capacity.errors.LookaheadWarning` says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from accessplan.capacity.errors import LookaheadWarning
from accessplan.capacity.redeploy import (
    _build,
    _moves,
    _period_costs,
    _solve_or_raise,
    _unmet_and_inventory,
    _val,
)
from accessplan.capacity.redeploy_inputs import DEMAND_COLUMNS, check_options, read_instance
from accessplan.data.errors import InputFileError, InputValidationError, Problem, ProblemCollector
from accessplan.data.ids import label_hint
from accessplan.location.solver import SolveReport, SolverOptions

__all__ = [
    "FILL_OPTIONS",
    "RollingResult",
    "generate_surge",
    "read_demand_trace",
    "rolling_horizon",
]


@dataclass(frozen=True)
class RollingResult:
    """What happened when the plan was re-made every period.

    Attributes
    ----------
    periods : DataFrame
        One row per period: ``period, transfer, operating_mobile,
        operating_fixed, unmet_penalty, smoothing, cost`` (undiscounted cost
        parts and their sum), ``discounted_cost`` (``cost * beta ** period``),
        ``unmet`` (units).
    unmet : DataFrame
        ``facility, resource, period, demand, served, unmet, ratio`` as realised.
    transfers : DataFrame
        Shipments made: the columns of :attr:`RedeployPlan.moves`.
    inventory : DataFrame
        ``facility, resource, period, on_hand, in_use, in_transit_to`` as realised.
    reports : tuple of SolveReport
        The solve of each window.
    total_cost : float
        Sum of ``discounted_cost`` (comparable with a full-horizon objective).
    """

    periods: pd.DataFrame
    unmet: pd.DataFrame
    transfers: pd.DataFrame
    inventory: pd.DataFrame
    reports: tuple[SolveReport, ...]
    total_cost: float


def _forecast_frame(frame, tau: int, window: range, problems: ProblemCollector) -> dict:
    if not isinstance(frame, pd.DataFrame) or any(c not in frame.columns for c in DEMAND_COLUMNS):
        problems.add(
            f"forecast issued at period {tau} must be a DataFrame with columns "
            f"{list(DEMAND_COLUMNS)}",
            source="forecast",
        )
        return {}
    values = pd.to_numeric(frame["demand"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(values) & (values >= 0))
    if bad.any():
        problems.add(
            f"forecast issued at period {tau}: demand must be a number >= 0",
            source="forecast",
            column="demand",
            rows=frame.index[bad],
        )
    periods = pd.to_numeric(frame["period"], errors="coerce").to_numpy(dtype=float)
    keep = np.isin(periods, list(window))
    return {
        (f, r, int(p)): float(v)
        for f, r, p, v, k in zip(
            frame["facility"], frame["resource"], periods, values, keep, strict=True
        )
        if k
    }


def rolling_horizon(
    demand_trace: pd.DataFrame,
    stock: pd.DataFrame,
    transfer: pd.DataFrame,
    resources: pd.DataFrame,
    *,
    lookahead: int,
    forecast: Callable[[int, list[int]], pd.DataFrame] | None = None,
    buffer_eta: float = 0.0,
    discount: float = 1.0,
    smoothing_penalty: float = 0.0,
    unmet_cap: float | None = None,
    equity_gamma: float | None = None,
    solver_options: SolverOptions | None = None,
    sources: Mapping[str, str] | None = None,
) -> RollingResult:
    """Re-plan every period over a lookahead window and apply the first period.

    Parameters
    ----------
    demand_trace : DataFrame
        The demand that actually occurs: ``facility, resource, period, demand``
        (same contract as :func:`~accessplan.capacity.redeploy.redeploy`).
    stock, transfer, resources : DataFrame
        As for :func:`~accessplan.capacity.redeploy.redeploy`.
    lookahead : int
        Periods per window (>= 1), the current one included.
    forecast : callable, optional
        ``forecast(issued_period, periods) -> DataFrame`` with columns
        ``facility, resource, period, demand`` for the later periods of the
        window (rows for other periods are ignored; missing rows mean demand
        0). The demand of the current period is always the trace's (it is
        observed). Default: perfect forecasts (the trace itself).
    buffer_eta, discount, smoothing_penalty, unmet_cap, equity_gamma
        As for :func:`~accessplan.capacity.redeploy.redeploy`; discounting
        uses absolute periods.
    solver_options : SolverOptions, optional
        Default ``SolverOptions(warm_start=True)``.
    sources : mapping, optional
        Names of the tables in error messages, e.g. their files:
        ``{"demand": "trace.csv", "stock": "stock.csv", "transfer": ..., "resources": ...}``
        (default: ``demand``, ``stock``, ``transfer``, ``resources``). Rows
        are numbered from 1 in table order (a file's data rows, header not counted).

    Returns
    -------
    RollingResult

    Warns
    -----
    LookaheadWarning
        When ``lookahead`` is shorter than the longest transfer delay + 1.

    Raises
    ------
    InputValidationError
        Problems in the inputs, the lookahead or a forecast.
    InfeasibleModelError, SolverError
        A window could not be solved.
    """
    check_options(
        buffer_eta=buffer_eta,
        discount=discount,
        smoothing_penalty=smoothing_penalty,
        unmet_cap=unmet_cap,
        equity_gamma=equity_gamma,
    )
    problems = ProblemCollector(what="rolling-horizon options")
    if isinstance(lookahead, bool) or not isinstance(lookahead, int | np.integer) or lookahead < 1:
        problems.add(f"lookahead must be a whole number >= 1, got {lookahead!r}")
    if forecast is not None and not callable(forecast):
        problems.add("forecast must be None or a callable (issued_period, periods) -> DataFrame")
    problems.raise_if_any()
    inst = read_instance(demand_trace, stock, transfer, resources, sources)
    longest = max((d for _a, _b, d, _c in inst.arcs), default=0)
    if inst.arcs and lookahead < longest + 1:
        warnings.warn(
            f"lookahead {lookahead} is shorter than the longest transfer delay + 1 "
            f"({longest + 1}): transfers that take {lookahead} periods or more can never "
            "be planned",
            LookaheadWarning,
            stacklevel=2,
        )
    options = solver_options or SolverOptions(warm_start=True)

    on_hand = dict(inst.mobile)
    pending: dict = {}  # (facility, resource, absolute arrival period) -> units
    prev_in_use = None
    previous = None
    rows, unmet_frames, inv_frames, move_frames, reports = [], [], [], [], []
    for tau in range(inst.periods):
        length = min(int(lookahead), inst.periods - tau)
        window = range(tau, tau + length)
        if forecast is None or length == 1:
            later = {k: v for k, v in inst.demand.items() if tau < k[2] < tau + length}
        else:
            fp = ProblemCollector(what="forecast")
            later = _forecast_frame(forecast(tau, list(window[1:])), tau, window[1:], fp)
            fp.raise_if_any()
        local = {(i, j, t - tau): v for (i, j, t), v in later.items()}
        for i in inst.facilities:
            for j in inst.resources:
                local[(i, j, 0)] = inst.demand.get((i, j, tau), 0.0)
        arrivals = {
            (i, j, t - tau): v for (i, j, t), v in pending.items() if tau <= t < tau + length
        }
        model = _build(
            inst,
            demand=local,
            periods=length,
            on_hand0=on_hand,
            arrivals=arrivals,
            prev_in_use=prev_in_use,
            t0=tau,
            eta=float(buffer_eta),
            beta=float(discount),
            smoothing=float(smoothing_penalty),
            unmet_cap=unmet_cap,
            gamma=equity_gamma,
        )
        if previous is not None:
            _warm_start(model, previous)
        report = _solve_or_raise(model, options, f"window starting at period {tau}")
        reports.append(report)

        parts = _period_costs(model, 0)
        cost = sum(parts.values())
        unmet, inventory = _unmet_and_inventory(model)
        unmet_now = unmet[unmet["period"] == tau]
        inv_now = inventory[inventory["period"] == tau].copy()
        # in transit at tau: everything pending that arrives after tau (arrivals
        # beyond the window included), plus what left at tau
        transit = {}
        for (i, j, t), v in pending.items():
            if t > tau:
                transit[(i, j)] = transit.get((i, j), 0.0) + v
        moves = _moves(model)
        moves_now = moves[moves["depart_period"] == tau]
        for b, j, units in zip(
            moves_now["to_facility"], moves_now["resource"], moves_now["units"], strict=True
        ):
            transit[(b, j)] = transit.get((b, j), 0.0) + units
        inv_now["in_transit_to"] = [
            transit.get((i, j), 0.0)
            for i, j in zip(inv_now["facility"], inv_now["resource"], strict=True)
        ]
        rows.append(
            dict(
                period=tau,
                **parts,
                cost=cost,
                discounted_cost=cost * discount**tau,
                unmet=float(unmet_now["unmet"].sum()),
            )
        )
        unmet_frames.append(unmet_now)
        inv_frames.append(inv_now)
        move_frames.append(moves_now)

        # apply the first period
        on_hand = {
            (i, j): _val(model.m[(i, j, 0)]) for i in inst.facilities for j in inst.resources
        }
        prev_in_use = {
            (i, j): _val(model.x[(i, j, 0)]) for i in inst.facilities for j in inst.resources
        }
        pending = {k: v for k, v in pending.items() if k[2] > tau}
        for (a, b, j, t), var in model.s.items():
            units = _val(var)
            if t == 0 and units > 0:
                key = (b, j, tau + model.delay[(a, b)][0])
                pending[key] = pending.get(key, 0.0) + units
        previous = model

    periods = pd.DataFrame(rows)
    return RollingResult(
        periods=periods,
        unmet=pd.concat(unmet_frames, ignore_index=True),
        transfers=pd.concat(move_frames, ignore_index=True),
        inventory=pd.concat(inv_frames, ignore_index=True),
        reports=tuple(reports),
        total_cost=float(periods["discounted_cost"].sum()),
    )


def _warm_start(model, previous) -> None:
    """Initial values for ``model`` from ``previous``, one period earlier, where they overlap."""
    for name in ("x", "y", "u", "m", "z"):
        new, old = getattr(model, name), getattr(previous, name)
        for (i, j, t), var in new.items():
            src = old.get((i, j, t + 1))
            if src is not None and src.varValue is not None:
                var.setInitialValue(src.varValue)
    for (a, b, j, t), var in model.s.items():
        src = previous.s.get((a, b, j, t + 1))
        if src is not None and src.varValue is not None:
            var.setInitialValue(src.varValue)


def generate_surge(
    facilities: Sequence,
    resources: Sequence,
    *,
    periods: int,
    surge_facility,
    peak: float,
    baseline: float = 1.0,
    peak_period: int | None = None,
    width_periods: float = 2.0,
    noise: float = 0.0,
    whole: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """A synthetic demand trace with a surge at one facility.

    Every facility has ``baseline`` demand of every resource; the surge
    facility adds ``peak * exp(-((t - peak_period) / width_periods) ** 2 / 2)``.
    With ``noise > 0`` each value is multiplied by ``max(0, 1 + noise * e)``,
    ``e`` standard normal from ``numpy.random.default_rng(seed)``; the same
    seed gives the same trace.

    Parameters
    ----------
    facilities, resources : sequence
        Facility ids and resource names.
    periods : int
        Number of periods (>= 1).
    surge_facility
        One of ``facilities``.
    peak : float
        Height of the surge (>= 0) above the baseline.
    baseline : float, default 1
        Demand everywhere outside the surge (>= 0).
    peak_period : int, optional
        Period of the peak (default ``periods // 2``).
    width_periods : float, default 2
        Standard deviation of the surge's bell, in periods (> 0).
    noise : float, default 0
        Relative noise (>= 0).
    whole : bool, default True
        Round demands to whole units.
    seed : int, default 0
        Random seed.

    Returns
    -------
    DataFrame
        ``facility, resource, period, demand``.
    """
    facilities, resources = list(facilities), list(resources)
    problems = ProblemCollector(what="surge settings")
    if isinstance(periods, bool) or not isinstance(periods, int | np.integer) or periods < 1:
        problems.add(f"periods must be a whole number >= 1, got {periods!r}")
    if surge_facility not in facilities:
        problems.add(f"surge_facility {surge_facility!r} is not one of the facilities")
    for label, value, strict in (
        ("peak", peak, False),
        ("baseline", baseline, False),
        ("noise", noise, False),
        ("width_periods", width_periods, True),
    ):
        if not (isinstance(value, int | float) and np.isfinite(value)) or (
            value <= 0 if strict else value < 0
        ):
            problems.add(f"{label} must be a number {'>' if strict else '>='} 0, got {value!r}")
    if not facilities or not resources:
        problems.add("facilities and resources must not be empty")
    problems.raise_if_any()
    centre = periods // 2 if peak_period is None else peak_period
    t = np.arange(periods)
    nf, nr = len(facilities), len(resources)
    base = np.full((nf, nr, periods), float(baseline))
    bump = peak * np.exp(-0.5 * ((t - centre) / width_periods) ** 2)
    base[facilities.index(surge_facility)] += bump[None, :]
    if noise > 0:
        rng = np.random.default_rng(seed)
        base *= np.maximum(0.0, 1.0 + noise * rng.standard_normal(base.shape))
    if whole:
        base = np.round(base)
    f_idx, r_idx, p_idx = np.meshgrid(np.arange(nf), np.arange(nr), t, indexing="ij")
    return pd.DataFrame(
        {
            "facility": np.asarray(facilities, dtype=object)[f_idx.ravel()],
            "resource": np.asarray(resources, dtype=object)[r_idx.ravel()],
            "period": p_idx.ravel(),
            "demand": base.ravel(),
        }
    )


#: the values of ``fill`` :func:`read_demand_trace` accepts
FILL_OPTIONS = ("zero",)


def _periods_text(periods) -> str:
    """``0-3, 7`` for the periods 0, 1, 2, 3, 7."""
    periods = sorted(int(p) for p in periods)
    runs: list[list[int]] = []
    for p in periods:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    shown = [f"{a}" if a == b else f"{a}-{b}" for a, b in runs[:8]]
    more = f" and {len(runs) - 8} more runs" if len(runs) > 8 else ""
    return ", ".join(shown) + more


def read_demand_trace(path, *, facilities=None, fill: str | None = None) -> pd.DataFrame:
    """Read a demand trace CSV with columns ``facility, resource, period, demand``.

    Parameters
    ----------
    path : str or Path
        The CSV file (a header line, then one row per facility, resource and period).
    facilities : sequence of str, optional
        The facility ids of the facility layer. When given, every trace
        facility must be one of them, and every one of them must have a row
        for every resource of the trace and every period of the horizon
        (``0 .. the largest period``), unless ``fill="zero"``. Ids are labels
        compared exactly as written (``"1"`` is not ``"01"``).
    fill : {None, "zero"}
        ``None`` (the default): a missing (facility, resource, period) is an
        error naming the facility, resource and periods. ``"zero"``: missing
        rows mean no demand, and are added with demand 0 (the user chose it).

    Returns
    -------
    DataFrame
        ``facility, resource`` (str, as written), ``period`` (int), ``demand``
        (float); with ``fill="zero"`` also the filled rows, sorted by
        facility (in the layer's order), resource and period.

    Raises
    ------
    InputFileError
        The file is missing or cannot be parsed.
    InputValidationError
        Every problem found, naming the file, the column and the 1-based data
        row (the header is not counted), or the facility and the periods.
    """
    path = Path(path)
    if fill is not None and fill not in FILL_OPTIONS:
        raise InputValidationError(
            [Problem(f"fill must be one of {list(FILL_OPTIONS)} or None, got {fill!r}")],
            what="demand trace options",
        )
    if not path.is_file():
        raise InputFileError(path, "demand trace not found")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputFileError(path, f"cannot be read as CSV: {exc}") from exc
    source = str(path)
    problems = ProblemCollector(what="demand trace")
    missing = [c for c in DEMAND_COLUMNS if c not in raw.columns]
    for c in missing:
        problems.add("column is missing", source=source, column=c)
    problems.raise_if_any()
    rows = np.arange(len(raw)) + 1
    for column in ("facility", "resource"):
        empty = (raw[column].str.strip() == "").to_numpy()
        if empty.any():
            problems.add("empty value", source=source, column=column, rows=rows[empty])
    period = pd.to_numeric(raw["period"].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(period) & (period >= 0) & (period == np.round(period)))
    if bad.any():
        problems.add("must be a whole number >= 0", source=source, column="period", rows=rows[bad])
    demand = pd.to_numeric(raw["demand"].str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(demand) & (demand >= 0))
    if bad.any():
        problems.add("must be a number >= 0", source=source, column="demand", rows=rows[bad])
    facility = raw["facility"].str.strip()
    resource = raw["resource"].str.strip()
    keys = pd.DataFrame({"facility": facility, "resource": resource, "period": period})
    dup = keys.duplicated().to_numpy()
    if dup.any():
        problems.add("duplicate (facility, resource, period)", source=source, rows=rows[dup])
    if len(raw) == 0:
        problems.add("no data rows", source=source)
    problems.raise_if_any()
    trace = pd.DataFrame(
        {
            "facility": facility,
            "resource": resource,
            "period": period.astype(np.int64),
            "demand": demand,
        }
    )
    if facilities is None:
        return trace
    return _complete(trace, [str(f) for f in facilities], fill=fill, source=source)


def _complete(trace: pd.DataFrame, layer: list, *, fill, source: str) -> pd.DataFrame:
    """Check the trace against the facility layer; fill missing rows with 0 if asked."""
    problems = ProblemCollector(what="demand trace")
    known = set(layer)
    rows = np.arange(len(trace)) + 1
    for name, group in trace.groupby("facility", sort=False):
        if name not in known:
            problems.add(
                f"facility {name!r} is not in the facility layer{label_hint(name, layer)}",
                source=source,
                column="facility",
                rows=rows[group.index],
            )
    horizon = range(int(trace["period"].max()) + 1)
    resources = list(dict.fromkeys(trace["resource"]))
    present = set(zip(trace["facility"], trace["resource"], trace["period"], strict=True))
    absent_rows = []
    in_trace = set(trace["facility"])
    for name in layer:
        if name not in in_trace:
            if fill is None:
                problems.add(
                    f"facility {name!r} of the facility layer has no rows in the trace "
                    f"(periods 0-{horizon[-1]}); give its demand, or set "
                    'fill = "zero" in [redeploy] to mean no demand',
                    source=source,
                    column="facility",
                )
            absent_rows += [(name, r, t) for r in resources for t in horizon]
            continue
        for r in resources:
            gaps = [t for t in horizon if (name, r, t) not in present]
            if gaps and fill is None:
                problems.add(
                    f"facility {name!r}, resource {r!r}: no row for period "
                    f"{_periods_text(gaps)} of the horizon 0-{horizon[-1]}; give every "
                    'period, or set fill = "zero" in [redeploy] to mean no demand',
                    source=source,
                    column="period",
                )
            absent_rows += [(name, r, t) for t in gaps]
    problems.raise_if_any()
    if not absent_rows:
        return trace
    filled = pd.DataFrame(absent_rows, columns=["facility", "resource", "period"])
    filled["demand"] = 0.0
    out = pd.concat([trace, filled], ignore_index=True)
    order = {name: i for i, name in enumerate(layer)}
    out = out.sort_values(
        ["facility", "resource", "period"],
        key=lambda col: col.map(order) if col.name == "facility" else col,
        kind="stable",
    )
    return out.reset_index(drop=True)
