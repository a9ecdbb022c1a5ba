"""accessplan.maps (not built yet; see the open issues)."""
