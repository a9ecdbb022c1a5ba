"""accessplan.capacity (not built yet; see the open issues)."""
