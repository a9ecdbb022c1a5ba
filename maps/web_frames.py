"""The frames behind the web maps: areas and sites in the shape the pages need.

Used by :mod:`accessplan.maps.webmap`: :func:`area_frame` (ids as text, ranks),
:func:`area_data` (the page's one compact GeoJSON of areas) and
:func:`site_frame` (hospitals and new sites in WGS84 with their tooltip facts).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from accessplan.maps.escaping import html_text
from accessplan.maps.web_layers import AreaData, display_geometry, geojson_text, legend_entries, sig

__all__ = ["area_data", "area_frame", "site_frame"]


def area_frame(areas, id_col) -> gpd.GeoDataFrame:
    """A copy of the areas with the map's columns, in the input CRS (input untouched)."""
    out = gpd.GeoDataFrame(
        {
            "area_id": areas[id_col].astype(str).to_numpy(),
            "population": pd.to_numeric(areas["population"]).to_numpy(dtype=float),
            "access_before": areas["access_before"].astype(float).to_numpy(),
            "access_after": areas["access_after"].astype(float).to_numpy(),
        },
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    )
    out["access_change"] = out["access_after"] - out["access_before"]
    # rank 1 = highest access of the n areas (ties share the best rank); 0 = no score
    for when in ("before", "after"):
        rank = out[f"access_{when}"].rank(ascending=False, method="min")
        out[f"rank_{when}"] = rank.fillna(0).astype(int)
    return out


def area_data(frame, *, classes, scale, simplify_m, decimals, change_colors=None) -> AreaData:
    """The page's one copy of the areas: display shapes and short properties."""
    geoms = display_geometry(frame, simplify_m=simplify_m, decimals=decimals)
    kb = classes.classify(frame["access_before"]) if classes is not None else None
    ka = classes.classify(frame["access_after"]) if classes is not None else None
    props = []
    for j, row in enumerate(frame.itertuples(index=False)):
        pop = float(row.population)
        p = {
            "i": html_text(row.area_id),
            "p": round(pop) if np.isfinite(pop) else 0,
            "b": sig(row.access_before * scale),
            "a": sig(row.access_after * scale),
            "rb": int(row.rank_before),
            "ra": int(row.rank_after),
        }
        if classes is not None:
            p["kb"], p["ka"] = int(kb[j]), int(ka[j])
        if change_colors is not None:
            p["d"] = sig(row.access_change * scale)
            p["c"] = change_colors[j]
        props.append(p)
    points = bool(len(frame)) and frame.geom_type.isin(["Point", "MultiPoint"]).all()
    palette = list(legend_entries(classes)[0]) if classes is not None else []
    return AreaData(geojson_text(geoms, props), n_areas=len(frame), palette=palette, points=points)


def site_frame(sites, new_sites, site_id_col) -> gpd.GeoDataFrame | None:
    if sites is None and new_sites is None:
        return None
    base = sites if sites is not None else new_sites
    out = gpd.GeoDataFrame(
        {"site_id": base[site_id_col].astype(str).to_numpy()},
        geometry=base.geometry.to_numpy(),
        crs=base.crs,
    )
    out["capacity"] = (
        pd.to_numeric(base["capacity"]).to_numpy()
        if "capacity" in base.columns
        else pd.to_numeric(base.get("units", pd.Series(1.0, index=base.index))).to_numpy()
    )
    if "new" in base.columns:
        out["new"] = base["new"].astype(bool).to_numpy()
    else:
        out["new"] = sites is None
    info = {}
    if new_sites is not None:
        keep = [c for c in ("units", "newly_covered", "marginal_gain", "name") if c in new_sites]
        info = new_sites.assign(_sid=new_sites[site_id_col].astype(str)).set_index("_sid")[keep]
        if "new" not in base.columns:
            out["new"] = out["new"] | out["site_id"].isin(info.index)
    for col in ("units", "newly_covered", "marginal_gain", "name"):
        out[col] = [
            info.at[s, col] if col in getattr(info, "columns", ()) and s in info.index else None
            for s in out["site_id"]
        ]
    if "name" in base.columns:  # names of existing hospitals (new sites' names come first)
        out["name"] = [
            own if new is None or (isinstance(new, float) and np.isnan(new)) else new
            for own, new in zip(base["name"].to_numpy(), out["name"], strict=True)
        ]
    return out.to_crs(4326)
