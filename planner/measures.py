"""The further access measures a scenario asks for: ``[access] measures``.

Beside the 2SFCA-family score of ``[access] method``, a run can report:

* ``"cumulative"``: cumulative opportunities, the supply within each coverage
  threshold (``opportunities_within_<t>``; :mod:`accessplan.spatial.opportunities`);
* ``"bfca"``: balanced floating catchment (Paez et al. 2019), ``bfca`` and each
  area's balanced share of the supply, ``bfca_supply_share``
  (:mod:`accessplan.spatial.bfca`);
* ``"spatial_availability"``: Soukhov et al. (2023), ``availability_per_capita``
  (:mod:`accessplan.spatial.availability`).

All are computed from the same sparse OD table, demand and supply as the main
score, for the facilities before (and after) a plan. Each measure's
population-weighted mean and Gini go to ``summary.json`` (``measures``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from accessplan.planner.scenario import MEASURE_NAMES, Scenario
from accessplan.spatial.inequity import weighted_gini

__all__ = [
    "MEASURES",
    "capacity_coverage_facts",
    "capacity_coverage_run",
    "measure_columns",
    "measure_facts",
]

#: the measures ``[access] measures`` accepts
MEASURES = MEASURE_NAMES


def measure_columns(
    scenario: Scenario,
    od: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    thresholds_minutes,
) -> pd.DataFrame:
    """One column per measure value, indexed by area id (the order of ``demand``).

    Parameters
    ----------
    scenario : Scenario
        ``[access] measures``, catchment and decay.
    od : DataFrame
        ``origin_id, site_id, minutes`` to the facilities of one state, at least
        to the largest threshold.
    demand : Series
        Demand weight by area id (every area).
    supply : Series
        Capacity by site id.
    thresholds_minutes : sequence of float
        The coverage thresholds (cumulative opportunities).

    Returns
    -------
    DataFrame
    """
    from accessplan.spatial.availability import spatial_availability
    from accessplan.spatial.bfca import balanced_fca
    from accessplan.spatial.opportunities import cumulative_opportunities_table

    catchment = scenario.catchment_minutes
    near = od[od["minutes"] <= catchment]
    out = pd.DataFrame(index=demand.index)
    for measure in scenario.measures:
        if measure == "cumulative":
            table = cumulative_opportunities_table(
                od, supply, thresholds_minutes=list(thresholds_minutes), areas=demand.index
            )
            table.columns = [f"opportunities_{c}" for c in table.columns]
            out = out.join(table)
        elif measure == "bfca":
            result = balanced_fca(
                near, demand, supply, catchment_minutes=catchment, decay=scenario.decay
            )
            out["bfca"] = result.access.reindex(demand.index)
            out["bfca_supply_share"] = result.supply_share.reindex(demand.index)
        elif measure == "spatial_availability":
            table = spatial_availability(
                near,
                demand,
                supply,
                decay=scenario.effective_decay(),
                catchment_minutes=catchment,
            )
            out["availability_per_capita"] = table["availability_per_capita"].reindex(demand.index)
    return out


def measure_facts(columns: pd.DataFrame, population: pd.Series) -> dict[str, Any]:
    """Population-weighted mean and Gini of each measure column (for ``summary.json``)."""
    weights = population.reindex(columns.index).to_numpy(dtype=float)
    facts = {}
    for column in columns.columns:
        if column.endswith("supply_share"):  # a share of supply per area, not a per-capita score
            continue
        values = columns[column].to_numpy(dtype=float)
        ok = np.isfinite(values) & (weights > 0)
        if not ok.any():
            continue
        mean = float(np.average(values[ok], weights=weights[ok]))
        gini = float(weighted_gini(values[ok], weights[ok])) if mean > 0 else float("nan")
        facts[column] = {"mean": mean, "gini": gini}
    return facts


def capacity_coverage_run(
    scenario: Scenario, od: pd.DataFrame, population: pd.Series, facilities: pd.DataFrame
):
    """AccessMod's capacity-limited coverage for ``[access] capacity_coverage``.

    Each facility (its ``capacity`` times ``people_per_capacity`` people) takes the
    nearest still-uncovered population in order of travel time, facilities in the
    chosen order (:func:`accessplan.spatial.capacity_coverage.capacity_coverage`),
    up to ``max_minutes`` (default: the access catchment).

    Parameters
    ----------
    scenario : Scenario
    od : DataFrame
        Travel times to the facilities of one state.
    population : Series
        People by area id.
    facilities : DataFrame
        ``capacity`` (and the order column) indexed by site id.

    Returns
    -------
    accessplan.spatial.capacity_coverage.CapacityCoverage
    """
    from accessplan.spatial.capacity_coverage import capacity_coverage

    options = scenario.capacity_coverage
    order = options["order"]
    return capacity_coverage(
        od,
        population,
        facilities["capacity"].astype(float),
        order=order if order == "population" else facilities[order].astype(float),
        max_minutes=options.get("max_minutes") or scenario.catchment_minutes,
        ring_minutes=options.get("ring_minutes"),
        people_per_unit=options["people_per_capacity"],
    )


def capacity_coverage_facts(result) -> dict[str, Any]:
    """Covered and uncovered people, and the share covered (for ``summary.json``)."""
    return {
        "covered_population": float(result.covered_population.sum()),
        "uncovered_population": float(result.uncovered_population.sum()),
        "coverage_share": float(result.coverage_share),
    }
