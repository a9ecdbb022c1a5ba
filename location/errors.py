"""Errors raised by :mod:`accessplan.location`."""

from __future__ import annotations

from accessplan.data.errors import AccessplanError, InputValidationError

__all__ = ["InfeasibleModelError", "InputValidationError", "SolverError", "UnknownSolverError"]


class InfeasibleModelError(ValueError, AccessplanError):
    """The request cannot be met (e.g. a coverage target the budget cannot buy).

    The message names the cause found; ``report`` holds the solver's report when
    a solver was run.
    """

    def __init__(self, message: str, report=None) -> None:
        super().__init__(message)
        self.report = report


class SolverError(RuntimeError, AccessplanError):
    """The solver failed or stopped without any feasible solution."""

    def __init__(self, message: str, report=None) -> None:
        super().__init__(message)
        self.report = report


class UnknownSolverError(ValueError, AccessplanError):
    """A solver name or option is not one accessplan supports here."""
