"""The bundled demo region, input loaders and the errors shared by all of accessplan."""

# the demo loader imports geopandas/osmnx lazily, on first use
from accessplan.data.demo import DemoRegion, demo_path, load_demo
from accessplan.data.errors import (
    AccessplanError,
    InputFileError,
    InputValidationError,
    Problem,
    ProblemCollector,
)

__all__ = [
    "AccessplanError",
    "DemoRegion",
    "InputFileError",
    "InputValidationError",
    "Problem",
    "ProblemCollector",
    "demo_path",
    "load_demo",
]
