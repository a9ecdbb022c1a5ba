"""The pipeline: scenario -> inputs -> travel times -> access -> plan -> sizing -> outputs.

Only :mod:`accessplan.planner` knows the whole flow; each step lives in its own
package and is usable alone. Data flows one way (see DESIGN.md). The steps are
in :mod:`~accessplan.planner.runs` (inputs, routing, access),
:mod:`~accessplan.planner.plan` (location and access after),
:mod:`~accessplan.planner.sizing` (ventilators) and
:mod:`~accessplan.planner.writers` (files, maps, report); this module gathers
their public names.
"""

from __future__ import annotations

from accessplan.planner.inputs import choose_crs
from accessplan.planner.plan import PlanRun, run_plan
from accessplan.planner.runs import (
    AccessRun,
    Inputs,
    Log,
    Router,
    load_inputs,
    quiet,
    run_access,
    warn_quality,
)
from accessplan.planner.scenario import Scenario
from accessplan.planner.sizing import SizeRun, run_size, size_ventilators
from accessplan.planner.writers import (
    write_access_outputs,
    write_full_outputs,
    write_plan_outputs,
    write_size_outputs,
)

__all__ = [
    "AccessRun",
    "Inputs",
    "PlanRun",
    "Router",
    "SizeRun",
    "choose_crs",
    "load_inputs",
    "run_access",
    "run_full_plan",
    "run_plan",
    "run_size",
    "size_ventilators",
    "warn_quality",
    "write_access_outputs",
    "write_full_outputs",
    "write_plan_outputs",
    "write_size_outputs",
]


def run_full_plan(
    scenario: Scenario, *, progress: bool = True, log: Log = quiet
) -> PlanRun | SizeRun:
    """Access before, location, access after and (with ``[ventilators]``) sizing.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``[location]`` section.
    progress : bool, default True
    log : callable, optional

    Returns
    -------
    PlanRun or SizeRun
    """
    if scenario.ventilators is not None:
        return run_size(scenario, progress=progress, log=log)
    return run_plan(scenario, progress=progress, log=log)
