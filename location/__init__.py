"""accessplan.location (not built yet; see the open issues)."""
