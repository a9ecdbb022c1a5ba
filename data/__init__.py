"""The bundled demo region, input loaders and the errors shared by all of accessplan."""

from accessplan.data.errors import (
    AccessplanError,
    InputFileError,
    InputValidationError,
    Problem,
    ProblemCollector,
)

__all__ = [
    "AccessplanError",
    "InputFileError",
    "InputValidationError",
    "Problem",
    "ProblemCollector",
]
