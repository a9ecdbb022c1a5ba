"""Is the optimum unique? A no-good cut re-solve, and the texts the results carry.

After an optimal solve, :func:`check_other_plan` adds to the same model

* rows that keep every plan as good as the one found (the objective within a
  tolerance of the optimum, and, for models that break ties toward cheaper
  plans, a cost no higher), and
* a no-good cut ``sum_{j not in S} x_j - sum_{j in S} x_j >= 1 - |S|`` that
  excludes exactly the chosen set of sites ``S``,

and solves again under a time limit. Feasible: another set of sites scores
the same, the optimum is not unique (the alternative is checked by the
caller, exactly, before it is believed). Infeasible: the chosen set is the
only optimal one. Uniqueness is about the SET of sites opened; plans with the
same sites and other unit counts are not told apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pulp

from accessplan.location.solver import SolverOptions, solve

__all__ = [
    "UNIQUE_TIME_LIMIT_S",
    "check_other_plan",
    "not_checked",
    "same_for_every_plan",
]

#: Time limit (seconds) of the uniqueness re-solve when the solver options set none or a longer one.
UNIQUE_TIME_LIMIT_S = 30.0


def not_checked(reason: str) -> dict:
    """A uniqueness record saying the optimum's uniqueness is unknown, and why."""
    return {"unique": None, "alternative": None, "text": reason}


def same_for_every_plan(objective_name: str, value: float, tie_break: str) -> dict:
    """The record for a model where every plan scores the same: the tie-break chose the sites."""
    return {
        "unique": False,
        "alternative": None,
        "every_plan_same": True,
        "text": (
            f"Every plan scores the same {objective_name} ({value:,.6g}); the sites were "
            f"chosen by the tie-break ({tie_break}), not by the objective."
        ),
    }


def check_other_plan(
    problem: pulp.LpProblem,
    open_vars: Sequence[pulp.LpVariable],
    chosen: np.ndarray,
    site_ids: Sequence,
    *,
    keep: Sequence[tuple[list, int, float]],
    options: SolverOptions,
    verify: Callable[[np.ndarray], bool],
    objective_name: str,
    tie_break: str | None = None,
) -> dict:
    """Look for another set of sites as good as ``chosen``; the uniqueness record.

    Parameters
    ----------
    problem : pulp.LpProblem
        The model just solved; rows are added to it and it is solved again
        (its variables then hold the alternative: read the plan first).
    open_vars : sequence of pulp.LpVariable
        The binary open variables, one per site in ``site_ids``.
    chosen : numpy.ndarray of bool
        The chosen sites (same order).
    site_ids : sequence
        Ids of the sites behind ``open_vars``.
    keep : sequence of (pairs, sense, rhs)
        Rows ``sum(coef * var for var, coef in pairs) <sense> rhs`` that keep a
        plan as good as the chosen one (``sense``: ``pulp.LpConstraintGE`` or
        ``pulp.LpConstraintLE``).
    options : SolverOptions
        The model's options; the time limit is at most :data:`UNIQUE_TIME_LIMIT_S`.
    verify : callable
        ``verify(mask)`` recomputes the alternative's score exactly and returns
        True when it really is as good (guards against solver tolerances).
    objective_name : str
        For the text.
    tie_break : str, optional
        The model's tie-break (e.g. "the lowest cost"), for the text.

    Returns
    -------
    dict
        ``unique`` (True, False, or None when the re-solve settled nothing),
        ``alternative`` (ids of another optimal set, or None) and ``text``.
    """
    chosen = np.asarray(chosen, dtype=bool)
    for k, (pairs, sense, rhs) in enumerate(keep):
        problem.addConstraint(
            pulp.LpConstraint(pulp.LpAffineExpression(pairs), sense, f"unique_keep_{k}", rhs)
        )
    cut = [(v, -1.0 if on else 1.0) for v, on in zip(open_vars, chosen.tolist(), strict=True)]
    problem.addConstraint(
        pulp.LpConstraint(
            pulp.LpAffineExpression(cut),
            pulp.LpConstraintGE,
            "unique_no_good",
            1.0 - float(chosen.sum()),
        )
    )
    limit = UNIQUE_TIME_LIMIT_S
    if options.time_limit_s is not None:
        limit = min(limit, options.time_limit_s)
    report = solve(problem, dataclasses.replace(options, time_limit_s=limit, warm_start=False))
    how = (
        f" at no higher cost; the tie-break ({tie_break}) cannot separate them" if tie_break else ""
    )
    if report.status == "infeasible":
        scope = f" (with the tie-break: {tie_break})" if tie_break else ""
        return {
            "unique": True,
            "alternative": None,
            "text": f"The optimum is unique{scope}: no other set of sites scores as well.",
        }
    if not report.has_solution:
        return not_checked(
            f"Whether the optimum is unique was not settled within {limit:g} s ({report.status})."
        )
    mask = np.array([(v.varValue or 0.0) > 0.5 for v in open_vars], dtype=bool)
    if mask.shape == chosen.shape and (mask != chosen).any() and verify(mask):
        ids = [site_ids[j] for j in np.flatnonzero(mask)]
        shown = ", ".join(str(i) for i in ids[:10]) or "no new site"
        return {
            "unique": False,
            "alternative": ids,
            "text": (
                f"The optimum is not unique: another set of sites ({shown}) scores the same "
                f"{objective_name}{how}; the choice between them is the solver's."
            ),
        }
    return not_checked(
        "Whether the optimum is unique was not settled: the solver's alternative did not "
        "score as well when recomputed exactly."
    )
