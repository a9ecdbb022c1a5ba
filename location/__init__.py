"""accessplan.location: choose new sites and capacity with PuLP (CBC or HiGHS).

Every model reads the sparse OD table (``origin_id, site_id, minutes``), demand
per area and the candidate / existing site frames, and solves through
:func:`accessplan.location.solver.solve`, which reports honestly whether the
optimum was proven (``SolveReport.status``), with the bound and gap.

Coverage family (:mod:`accessplan.location.coverage`, with
:mod:`~accessplan.location.capacitated`, :mod:`~accessplan.location.covering` and the shared
:mod:`~accessplan.location.coverage_base`): :func:`maximize_coverage`
(MCLP), :func:`greedy_coverage`, :func:`capacitated_coverage`,
:func:`min_cost_cover` and :func:`set_cover` (LSCP), all returning a
:class:`LocationResult`. Median and center (:mod:`accessplan.location.median`):
:func:`p_median`, :func:`p_center`. Equity on access scores
(:mod:`accessplan.location.equity`, the QP in
:mod:`~accessplan.location.equity_qp`, the access model in
:mod:`~accessplan.location.equity_access`): :func:`maximize_min_access`,
:func:`minimize_access_deviation`, :func:`reallocate_capacity_qp` (a continuous
QP solved by HiGHS) and :func:`round_and_repair`. Shared input checks:
:mod:`~accessplan.location.checks`.

Every result carries the same money keys in ``totals`` (``cost``, ``site_cost``,
``unit_cost``, ``budget``, ``verdict``: :func:`accessplan.location.result.money_totals`)
and ``site_only``; ``explanation`` says why a plan opened nothing
(:mod:`accessplan.location.explain`); ``uniqueness`` whether another set of sites
scores the same (``check_unique=True``; :mod:`accessplan.location.uniqueness`). Candidate sites:
:func:`kmeans_candidates`.

Policy models (issue 11): :func:`robust_coverage` (:mod:`~accessplan.location.robust`:
one set of sites for several scenarios, max-min covered share or min-max regret) and
:func:`coverage_equity_frontier` (:mod:`~accessplan.location.pareto`: the Pareto set of
coverage against equity by epsilon-constraint, on the equity models' linear access of
:mod:`~accessplan.location.equity_plan`). :func:`maximize_coverage` takes
``initial_sites`` to warm-start from a neighbouring plan of a sweep.
"""

from __future__ import annotations

from accessplan.location.candidates import kmeans_candidates
from accessplan.location.coverage import (
    capacitated_coverage,
    greedy_coverage,
    maximize_coverage,
    min_cost_cover,
    set_cover,
)
from accessplan.location.equity import (
    EquityResult,
    maximize_min_access,
    minimize_access_deviation,
    reallocate_capacity_qp,
    round_and_repair,
)
from accessplan.location.errors import InfeasibleModelError, SolverError, UnknownSolverError
from accessplan.location.median import MedianResult, p_center, p_median
from accessplan.location.pareto import CoverageEquityFrontier, coverage_equity_frontier
from accessplan.location.result import LocationResult
from accessplan.location.robust import CoverageScenario, RobustResult, robust_coverage
from accessplan.location.solver import LP_METHODS, SOLVERS, SolveReport, SolverOptions, solve

__all__ = [
    "LP_METHODS",
    "SOLVERS",
    "CoverageEquityFrontier",
    "CoverageScenario",
    "EquityResult",
    "InfeasibleModelError",
    "LocationResult",
    "MedianResult",
    "RobustResult",
    "SolveReport",
    "SolverError",
    "SolverOptions",
    "UnknownSolverError",
    "capacitated_coverage",
    "coverage_equity_frontier",
    "greedy_coverage",
    "kmeans_candidates",
    "maximize_coverage",
    "maximize_min_access",
    "min_cost_cover",
    "minimize_access_deviation",
    "p_center",
    "p_median",
    "reallocate_capacity_qp",
    "robust_coverage",
    "round_and_repair",
    "set_cover",
    "solve",
]
