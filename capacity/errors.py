"""Errors raised by :mod:`accessplan.capacity`."""

from __future__ import annotations

from accessplan.data.errors import AccessplanError, InputValidationError

__all__ = [
    "InputValidationError",
    "LookaheadWarning",
    "QueueInputError",
    "UnstableQueueError",
]


class QueueInputError(ValueError, AccessplanError):
    """Rates, loads, server counts or targets are negative, NaN or otherwise impossible."""


class UnstableQueueError(ValueError, AccessplanError):
    """A target cannot be met because the queue is unstable or the target is unreachable."""


class LookaheadWarning(UserWarning):
    """A rolling-horizon lookahead is too short for some transfers to arrive inside the window."""
