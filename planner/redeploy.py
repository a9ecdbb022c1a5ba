"""The ``redeploy`` command: move mobile units between facilities over time.

Reads the facilities of the scenario and the ``[redeploy]`` tables (or builds
them from the facilities' ventilators and the options), runs the full-horizon
model or the rolling horizon, and writes the command list, the realised unmet
demand and inventory, prices, an offline transfer map, unmet-demand charts and
one self-contained ``report.html``.

Prices come from a full-horizon plan: the plan itself, or, for a rolling run,
a full-horizon plan over the same demand trace (what one more unit would be
worth with perfect foresight), each checked by re-solving
(:mod:`accessplan.capacity.redeploy_prices`).

"Without moves" is the unmet demand if every facility used only its own units
(fixed and mobile, as in the stock table) in every period:
``max(0, demand + buffer - fixed - mobile)`` per facility, resource and period.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.data.errors import (
    InputFileError,
    InputValidationError,
    Problem,
    ProblemCollector,
)
from accessplan.data.ids import label_hint
from accessplan.planner.inputs import read_facilities
from accessplan.planner.output import atomic_output_dir, write_json
from accessplan.planner.scenario import Scenario

__all__ = [
    "RedeployRun",
    "redeploy_inputs",
    "redeploy_summary",
    "run_redeploy",
    "table_sources",
    "unmet_without_moves",
    "write_redeploy_outputs",
]

Log = Callable[[str], None]

RESOURCE = "ventilators"


@dataclass(frozen=True)
class RedeployRun:
    """The inputs used and the plan (full horizon) or the realised rolling run."""

    scenario: Scenario
    facilities: gpd.GeoDataFrame
    demand: pd.DataFrame
    stock: pd.DataFrame
    transfer: pd.DataFrame
    resources: pd.DataFrame
    result: Any  # RedeployPlan or RollingResult
    prices: Any = None  # RedeployPlan whose prices are reported (the plan itself when full)


#: columns of the redeploy tables holding ids: read as text, exactly as written
_ID_COLUMNS = ("facility", "from_facility", "to_facility", "resource")


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise InputFileError(path, f"does not exist ({what} table)")
    try:
        frame = pd.read_csv(path, dtype=dict.fromkeys(_ID_COLUMNS, str))
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"cannot be read as CSV ({exc})") from exc
    if frame.empty and len(frame.columns) == 0:
        raise InputFileError(path, f"is empty ({what} table)")
    return frame


def _unknown_facilities(frame, columns, layer: list[str], source: str, problems) -> None:
    """Record ids of a table that are not facilities of the layer (1-based data rows)."""
    known = set(layer)
    for column in columns:
        if column not in frame.columns:
            continue
        ids = frame[column]
        unknown = ids.notna() & ~ids.isin(known)
        for name in dict.fromkeys(ids[unknown]):
            rows = tuple(int(i) + 1 for i in np.flatnonzero((ids == name).to_numpy()))
            problems.add(
                f"facility {name!r} is not in the facility layer{label_hint(name, layer)}",
                source=source,
                column=column,
                rows=rows,
            )


def table_sources(scenario: Scenario) -> dict[str, str]:
    """How errors name each redeploy table: its file, or what it was built from."""
    spec = scenario.redeploy
    return {
        "demand": str(spec.demand_trace) if spec.demand_trace else "the generated surge",
        "stock": str(spec.stock) if spec.stock else "the stock built from the facilities",
        "transfer": str(spec.transfers) if spec.transfers else "the transfers built from options",
        "resources": str(spec.resources) if spec.resources else "the default resources",
    }


def redeploy_inputs(scenario: Scenario, facilities: gpd.GeoDataFrame):
    """The demand, stock, transfer and resource tables of a scenario.

    Parameters
    ----------
    scenario : Scenario
        With a ``[redeploy]`` section.
    facilities : GeoDataFrame
        The checked facilities (``site_id``; ``ventilators`` when no stock file).

    Returns
    -------
    tuple of DataFrame
        ``demand, stock, transfer, resources`` in :mod:`accessplan.capacity.redeploy`'s form.
    """
    from accessplan.capacity.rolling import generate_surge, read_demand_trace

    spec = scenario.redeploy
    ids = [str(f) for f in facilities["site_id"]]
    problems = ProblemCollector(what="redeployment tables")
    if spec.resources is not None:
        resources = _read_csv(spec.resources, "resources")
    else:
        resources = pd.DataFrame(
            {
                "resource": [RESOURCE],
                "integer": [True],
                "unmet_penalty": [spec.unmet_penalty],
                "operating_cost_mobile": [1.0],
                "operating_cost_fixed": [0.0],
                "critical": [True],
            }
        )
    if spec.stock is not None:
        stock = _read_csv(spec.stock, "stock")
        _unknown_facilities(stock, ("facility",), ids, str(spec.stock), problems)
    else:
        if "ventilators" not in facilities.columns:
            raise InputValidationError(
                [
                    Problem(
                        "[redeploy] has no stock table, so the facilities need a ventilators "
                        "column to split into mobile and fixed units",
                        source=scenario.facilities.label,
                        column="ventilators",
                    )
                ],
                what="facilities",
            )
        units = facilities["ventilators"].to_numpy(dtype=float)
        mobile = np.floor(units * spec.mobile_share)
        stock = pd.DataFrame(
            {
                "facility": ids,
                "resource": RESOURCE,
                "fixed_units": units - mobile,
                "mobile_units": mobile,
            }
        )
    if spec.transfers is not None:
        transfer = _read_csv(spec.transfers, "transfers")
        _unknown_facilities(
            transfer, ("from_facility", "to_facility"), ids, str(spec.transfers), problems
        )
    else:
        pairs = list(itertools.permutations(ids, 2))
        transfer = pd.DataFrame(
            {
                "from_facility": [a for a, _ in pairs],
                "to_facility": [b for _, b in pairs],
                "delay_periods": spec.transfer_delay_periods,
                "cost_per_unit": spec.transfer_cost_per_unit,
            }
        )
    if spec.demand_trace is not None:
        # every facility of the layer, every period: gaps are errors unless the
        # scenario says fill = "zero" ([redeploy] fill, when the scenario has it)
        demand = read_demand_trace(
            spec.demand_trace, facilities=ids, fill=getattr(spec, "fill", None)
        )
    else:
        surge = dict(spec.surge)
        demand = generate_surge(
            ids,
            list(resources["resource"]),
            surge_facility=surge.pop("facility"),
            **surge,
        )
    problems.raise_if_any()
    for frame in (demand, stock):
        frame["facility"] = frame["facility"].astype(str)
    for column in ("from_facility", "to_facility"):
        transfer[column] = transfer[column].astype(str)
    return demand, stock, transfer, resources


def run_redeploy(scenario: Scenario, *, log: Log = lambda _msg: None) -> RedeployRun:
    """Plan the redeployment of mobile units for a scenario.

    With ``lookahead`` the rolling horizon is simulated over the demand trace
    (perfect forecasts); without it one model covers the whole horizon.

    Parameters
    ----------
    scenario : Scenario
        With a ``[redeploy]`` section.
    log : callable, optional

    Returns
    -------
    RedeployRun
    """
    from accessplan.capacity.redeploy import redeploy
    from accessplan.capacity.rolling import rolling_horizon
    from accessplan.location.solver import SolverOptions

    spec = scenario.redeploy
    if spec is None:
        raise InputValidationError(
            [Problem("the scenario has no [redeploy] section", source=str(scenario.source))],
            what="scenario",
        )
    log(f"reading facilities: {scenario.facilities.label}")
    facilities = read_facilities(scenario.facilities)
    demand, stock, transfer, resources = redeploy_inputs(scenario, facilities)
    options = SolverOptions(solver=spec.solver, time_limit_s=spec.time_limit_s)
    common = {
        "buffer_eta": spec.buffer_eta,
        "discount": spec.discount,
        "smoothing_penalty": spec.smoothing_penalty,
        "unmet_cap": spec.unmet_cap,
        "equity_gamma": spec.equity_gamma,
    }
    periods = int(demand["period"].max()) + 1
    if spec.lookahead is None:
        log(f"redeployment over {periods} periods, {len(facilities)} facilities ({spec.solver})")
        result = redeploy(
            demand,
            stock,
            transfer,
            resources,
            solver_options=options,
            sources=table_sources(scenario),
            **common,
        )
        log(result.report.summary())
    else:
        log(f"rolling horizon over {periods} periods, lookahead {spec.lookahead} ({spec.solver})")
        result = rolling_horizon(
            demand,
            stock,
            transfer,
            resources,
            lookahead=spec.lookahead,
            solver_options=SolverOptions(
                solver=spec.solver, time_limit_s=spec.time_limit_s, warm_start=True
            ),
            sources=table_sources(scenario),
            **common,
        )
        proven = sum(r.proven_optimal for r in result.reports)
        log(f"{proven} of {len(result.reports)} windows proven optimal")
    if spec.lookahead is None:
        prices = result
    else:
        log("prices: full-horizon plan over the same demand (perfect foresight)")
        prices = redeploy(
            demand,
            stock,
            transfer,
            resources,
            solver_options=options,
            sources=table_sources(scenario),
            **common,
        )
    check = prices.price_check
    if check is not None:
        log(
            f"prices checked by {check.resolves} re-solves in {check.seconds:.1f} s"
            + (f" ({check.unchecked} left unchecked)" if check.unchecked else "")
        )
    return RedeployRun(
        scenario=scenario,
        facilities=facilities,
        demand=demand,
        stock=stock,
        transfer=transfer,
        resources=resources,
        result=result,
        prices=prices,
    )


def unmet_without_moves(
    demand: pd.DataFrame, stock: pd.DataFrame, unmet: pd.DataFrame, *, buffer_eta: float = 0.0
) -> np.ndarray:
    """Unmet demand of each row of ``unmet`` if every facility used only its own units.

    Parameters
    ----------
    demand, stock : DataFrame
        The redeployment tables (``facility, resource, period, demand`` and
        ``facility, resource, fixed_units, mobile_units``).
    unmet : DataFrame
        Rows ``facility, resource, period`` (the plan's unmet table).
    buffer_eta : float
        The robust buffer added to every demand.

    Returns
    -------
    ndarray
        ``max(0, demand + buffer_eta - fixed - mobile)`` per row (0 demand and 0
        units where a table has no row).
    """
    need = demand.assign(period=pd.to_numeric(demand["period"]).astype(int)).set_index(
        ["facility", "resource", "period"]
    )["demand"]
    own = stock.set_index(["facility", "resource"])
    units = pd.to_numeric(own["fixed_units"]) + pd.to_numeric(own["mobile_units"])
    keys = list(zip(unmet["facility"], unmet["resource"], unmet["period"].astype(int), strict=True))
    d = np.array([float(need.get(k, 0.0)) for k in keys])
    u = np.array([float(units.get(k[:2], 0.0)) for k in keys])
    return np.maximum(d + buffer_eta - u, 0.0)


def _resource_label(resources: pd.DataFrame) -> str:
    names = [str(r) for r in resources["resource"]]
    return names[0] if len(names) == 1 else "units"


def redeploy_summary(run: RedeployRun, unmet: pd.DataFrame) -> dict[str, Any]:
    """The facts of a redeployment run for ``summary.json`` and the report.

    Parameters
    ----------
    run : RedeployRun
    unmet : DataFrame
        The realised unmet table with its ``unmet_without_moves`` column.

    Returns
    -------
    dict
    """
    from accessplan.planner.facts import run_facts

    result = run.result
    rolling = hasattr(result, "reports")
    moves = result.transfers if rolling else result.moves
    spec = run.scenario.redeploy
    without = float(unmet["unmet_without_moves"].sum())
    with_moves = float(unmet["unmet"].sum())
    summary: dict[str, Any] = {
        "run": run_facts("redeploy"),
        "scenario": run.scenario.name,
        "mode": "rolling horizon" if rolling else "full horizon",
        "periods": int(run.demand["period"].max()) + 1,
        "facilities": len(run.facilities),
        "resource_label": _resource_label(run.resources),
        "moves": len(moves),
        "units_moved": float(moves["units"].sum()) if len(moves) else 0.0,
        "transfer_cost": float(moves["cost"].sum()) if len(moves) else 0.0,
        "total_unmet": with_moves,
        "unmet_without_moves": without,
        "unmet_avoided": without - with_moves,
        "options": {
            "lookahead": spec.lookahead,
            "unmet_penalty": spec.unmet_penalty if spec.resources is None else None,
            "mobile_share": spec.mobile_share if spec.stock is None else None,
            "transfer_delay_periods": (
                spec.transfer_delay_periods if spec.transfers is None else None
            ),
            "transfer_cost_per_unit": (
                spec.transfer_cost_per_unit if spec.transfers is None else None
            ),
            "equity_gamma": spec.equity_gamma,
            "buffer_eta": spec.buffer_eta,
            "discount": spec.discount,
            "smoothing_penalty": spec.smoothing_penalty,
            "unmet_cap": spec.unmet_cap,
            "solver": spec.solver,
            "demand_from": "demand trace" if spec.demand_trace is not None else "generated surge",
        },
    }
    if rolling:
        summary["total_cost"] = result.total_cost
        summary["windows"] = [r.as_dict() for r in result.reports]
        proven = sum(r.proven_optimal for r in result.reports)
        summary["windows_proven_optimal"] = proven
    else:
        summary["solver"] = result.report.as_dict()
        summary["costs"] = {
            k: getattr(result.totals, k) for k in result.totals.__dataclass_fields__
        }
        summary["total_cost"] = result.totals.total
        summary["equity_price"] = result.equity_price
    plan = run.prices
    if plan is not None:
        shadow = plan.shadow_prices
        unique = shadow["unique"] if "unique" in shadow.columns else pd.Series(dtype="boolean")
        summary["prices"] = {
            "from": (
                "the full-horizon plan over the same demand (perfect foresight)"
                if rolling
                else "this plan"
            ),
            "cells": len(shadow),
            "unique": int((unique == True).sum()),  # noqa: E712 (nullable booleans)
            "not_unique": int((unique == False).sum()),  # noqa: E712
            "unchecked": int(shadow["supply_value"].isna().sum()) if len(shadow) else 0,
            "check": plan.price_check.as_dict() if plan.price_check is not None else None,
            "equity_price": plan.equity_price,
        }
    return summary


def write_redeploy_outputs(run: RedeployRun, out_dir: str | Path) -> Path:
    """Write the redeployment outputs atomically.

    ``commands.csv`` / ``commands.json`` (move k units of j from i to k at t,
    arriving at t + delay), ``unmet.csv`` (with ``unmet_without_moves``: the
    unmet demand had every facility kept its own units), ``inventory.csv``,
    ``demand.csv`` (the trace used), ``shadow_prices.csv`` (prices checked by
    re-solving; for a rolling run from the full-horizon plan over the same
    demand), ``periods.csv`` (rolling runs), ``maps/transfers.html``
    (offline), ``figures/unmet.png``, ``figures/unmet_with_without.png`` and
    ``figures/transfers.png`` (the map's flows as a static picture),
    ``report.html`` (one self-contained page) and ``summary.json`` (the solver
    report(s), costs, unmet totals with and without moves, the price check).

    Parameters
    ----------
    run : RedeployRun
    out_dir : str or Path

    Returns
    -------
    Path
    """
    from accessplan.maps.offline import render_offline_html
    from accessplan.maps.redeploy import (
        command_list,
        transfer_figure,
        transfer_map,
        unmet_chart,
        unmet_comparison_chart,
        write_commands,
    )
    from accessplan.maps.redeploy_report import write_redeploy_report

    result = run.result
    rolling = hasattr(result, "reports")
    moves = result.transfers if rolling else result.moves
    facilities = run.facilities.rename(columns={"site_id": "facility"})
    unmet = result.unmet.copy()
    unmet["unmet_without_moves"] = unmet_without_moves(
        run.demand, run.stock, unmet, buffer_eta=run.scenario.redeploy.buffer_eta
    )
    summary = redeploy_summary(run, unmet)
    prices = run.prices.shadow_prices if run.prices is not None else None
    map_html = render_offline_html(transfer_map(facilities, moves, unmet=result.unmet))
    with atomic_output_dir(out_dir) as tmp:
        write_commands(moves, tmp)
        unmet.to_csv(tmp / "unmet.csv", index=False)
        result.inventory.to_csv(tmp / "inventory.csv", index=False)
        run.demand.to_csv(tmp / "demand.csv", index=False)
        if rolling:
            result.periods.to_csv(tmp / "periods.csv", index=False)
        if prices is not None:
            prices.to_csv(tmp / "shadow_prices.csv", index=False)
        (tmp / "maps").mkdir(parents=True, exist_ok=True)
        (tmp / "maps" / "transfers.html").write_text(map_html, encoding="utf-8")
        figures = {
            "Unmet demand per period, with and without moves": unmet_comparison_chart(
                unmet, tmp / "figures" / "unmet_with_without.png"
            ),
            "Transfers over the whole horizon (units per flow)": transfer_figure(
                facilities, moves, tmp / "figures" / "transfers.png", unmet=result.unmet
            ),
        }
        by_resource = unmet_chart(result.unmet, tmp / "figures" / "unmet.png")
        if run.resources["resource"].nunique() > 1:
            figures["Unmet demand per period and resource (with moves)"] = by_resource
        resolved = run.scenario.resolved()
        write_json(tmp / "scenario.json", resolved)
        write_json(tmp / "summary.json", summary)
        write_redeploy_report(
            tmp / "report.html",
            summary=summary,
            commands=command_list(moves),
            unmet=unmet,
            prices=prices,
            transfer_map_html=map_html,
            figures=figures,
            scenario=resolved,
        )
    return Path(out_dir).resolve()
