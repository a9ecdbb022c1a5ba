"""accessplan.location: choose new sites and capacity with PuLP (CBC or HiGHS).

Every model reads the sparse OD table (``origin_id, site_id, minutes``), demand
per area and the candidate / existing site frames, and solves through
:func:`accessplan.location.solver.solve`, which reports honestly whether the
optimum was proven (``SolveReport.status``), with the bound and gap.

Coverage family (:mod:`accessplan.location.coverage`): :func:`maximize_coverage`
(MCLP), :func:`greedy_coverage`, :func:`capacitated_coverage`,
:func:`min_cost_cover` and :func:`set_cover` (LSCP), all returning a
:class:`LocationResult`.
"""

from __future__ import annotations

from accessplan.location.coverage import (
    capacitated_coverage,
    greedy_coverage,
    maximize_coverage,
    min_cost_cover,
    set_cover,
)
from accessplan.location.errors import InfeasibleModelError, SolverError, UnknownSolverError
from accessplan.location.result import LocationResult
from accessplan.location.solver import LP_METHODS, SOLVERS, SolveReport, SolverOptions, solve

# The median / center and equity models (median.py, equity.py) add their names below.

__all__ = [
    "LP_METHODS",
    "SOLVERS",
    "InfeasibleModelError",
    "LocationResult",
    "SolveReport",
    "SolverError",
    "SolverOptions",
    "UnknownSolverError",
    "capacitated_coverage",
    "greedy_coverage",
    "maximize_coverage",
    "min_cost_cover",
    "set_cover",
    "solve",
]
