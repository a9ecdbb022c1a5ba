"""Travel times over road networks, floating-catchment access scores and inequity measures."""
