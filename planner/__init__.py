"""Scenario file, pipeline and the ``accessplan`` command."""
