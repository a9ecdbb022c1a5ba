"""Errors raised by :mod:`accessplan.planner`."""

from __future__ import annotations

from accessplan.data.errors import AccessplanError, InputValidationError

__all__ = ["InputValidationError", "OutputError", "ScenarioError"]


class ScenarioError(ValueError, AccessplanError):
    """The scenario file cannot be read or describes an impossible run."""


class OutputError(OSError, AccessplanError):
    """Outputs cannot be written where the scenario asks."""
