"""Tests of accessplan.maps.context: outline, districts and road lines for the web maps."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from accessplan.data.errors import AccessplanError, InputValidationError
from accessplan.maps.context import (
    MapContext,
    district_boundaries,
    map_context,
    network_lines,
    region_outline,
)

CRS = "EPSG:32631"
X0, Y0 = 500_000.0, 5_000_000.0


def squares() -> gpd.GeoDataFrame:
    """A 3 x 2 block of 1 km squares in two districts (west: 4 squares, east: 2)."""
    cells = [(i, j) for i in range(3) for j in range(2)]
    return gpd.GeoDataFrame(
        {
            "area_id": [f"a{i}{j}" for i, j in cells],
            "district": ["west" if i < 2 else "east" for i, _ in cells],
        },
        geometry=[
            box(X0 + i * 1000, Y0 + j * 1000, X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)
            for i, j in cells
        ],
        crs=CRS,
    )


def grid(n=4, spacing=1000.0, highway="residential") -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs=CRS)
    for i in range(n):
        for j in range(n):
            g.add_node(i * n + j, x=X0 + i * spacing, y=Y0 + j * spacing)
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n:
                    a, b = i * n + j, (i + di) * n + j + dj
                    for u, v in ((a, b), (b, a)):
                        g.add_edge(u, v, length=spacing, highway=highway)
    return g


def test_outline_is_the_union_of_the_areas():
    areas = squares()
    outline = region_outline(areas)
    assert len(outline) == 1 and outline.crs == areas.crs
    assert outline.area.iloc[0] == pytest.approx(6e6)
    assert outline.geometry.iloc[0].equals(box(X0, Y0, X0 + 3000, Y0 + 2000))


def test_outline_of_point_areas_is_their_hull():
    pts = gpd.GeoDataFrame(
        {"area_id": list("abcd")},
        geometry=[Point(X0, Y0), Point(X0 + 10, Y0), Point(X0, Y0 + 10), Point(X0 + 2, Y0 + 2)],
        crs=CRS,
    )
    assert region_outline(pts).area.iloc[0] == pytest.approx(50.0)


def test_districts_dissolve_by_group_with_their_names():
    areas = squares()
    districts = district_boundaries(areas, group="district")
    assert list(districts["name"]) == ["east", "west"]
    assert list(districts["n_areas"]) == [2, 4]
    assert len(districts) == areas["district"].nunique()
    assert districts.area.tolist() == pytest.approx([2e6, 4e6])
    assert districts.crs == areas.crs
    # dissolved: the west district is one rectangle, no inner edges
    assert districts.geometry.iloc[1].equals(box(X0, Y0, X0 + 2000, Y0 + 2000))


def test_district_problems_are_reported():
    areas = squares()
    with pytest.raises(InputValidationError) as info:
        district_boundaries(areas, group="county")
    assert "county" in str(info.value)
    with pytest.raises(InputValidationError):
        district_boundaries(areas.assign(district=None), group="district")


def test_network_lines_merge_both_directions():
    g = grid(4)  # 4 x 4 nodes: 2 * 4 * 3 = 24 streets, each in both directions
    assert g.number_of_edges() == 48
    roads = network_lines(g, simplify_m=0)
    assert roads.attrs["n_segments"] == 24
    assert roads.length.sum() == pytest.approx(24 * 1000.0)
    assert roads.crs == CRS
    assert list(roads["highway"]) == ["residential"]
    # straight streets lose nothing by simplification
    assert network_lines(g, simplify_m=25).length.sum() == pytest.approx(24 * 1000.0)


def test_network_lines_use_edge_geometry_and_simplify_in_metres():
    g = nx.MultiDiGraph(crs=CRS)
    g.add_node(1, x=X0, y=Y0)
    g.add_node(2, x=X0 + 1000, y=Y0)
    # a bent street: 500 m out to a 10 m kink, then back; its own geometry is used
    bent = LineString([(X0, Y0), (X0 + 500, Y0 + 10), (X0 + 1000, Y0)])
    g.add_edge(1, 2, length=bent.length, geometry=bent)
    g.add_edge(2, 1, length=bent.length, geometry=LineString(bent.coords[::-1]))
    kept = network_lines(g, simplify_m=5)
    assert kept.attrs["n_segments"] == 1
    assert kept.length.iloc[0] == pytest.approx(bent.length)
    # a 25 m tolerance removes the 10 m kink
    assert network_lines(g, simplify_m=25).length.iloc[0] == pytest.approx(1000.0)


def test_big_networks_keep_major_roads_only():
    g = grid(4)
    g.add_node(99, x=X0 - 1000, y=Y0)
    g.add_edge(99, 0, length=1000.0, highway="primary")
    g.add_edge(0, 99, length=1000.0, highway="primary")
    light = network_lines(g, simplify_m=0, max_edges=10)
    assert light.attrs["major_only"] and light.attrs["n_segments"] == 1
    assert list(light["highway"]) == ["primary"]
    full = network_lines(g, simplify_m=0)
    assert not full.attrs["major_only"] and full.attrs["n_segments"] == 25


def test_network_without_crs_is_an_input_error():
    g = grid(2)
    del g.graph["crs"]
    with pytest.raises(AccessplanError) as info:
        network_lines(g)
    assert isinstance(info.value, ValueError) and "CRS" in str(info.value)


def test_map_context_builds_every_layer():
    areas = squares()
    ctx = map_context(areas, group="district", graph=grid(3), simplify_m=0)
    assert isinstance(ctx, MapContext)
    assert len(ctx.outline) == 1 and len(ctx.districts) == 2
    assert ctx.roads.attrs["n_segments"] == 12
    assert map_context(areas).districts is None
    with pytest.raises(AttributeError):
        ctx.outline = None  # frozen


def test_sliver_gaps_between_areas_are_not_drawn_as_holes():
    # two squares whose shared edge misses by up to 5 cm: a 15 m2 sliver hole;
    # a real 200 x 200 m enclave (another district) stays a hole
    left = box(X0, Y0, X0 + 1000, Y0 + 1000)
    # the right square's left edge bends 5 cm away between y = 200 and y = 800
    right = shapely.Polygon(
        [
            (X0 + 1000, Y0),
            (X0 + 2000, Y0),
            (X0 + 2000, Y0 + 1000),
            (X0 + 1000, Y0 + 1000),
            (X0 + 1000, Y0 + 800),
            (X0 + 1000.05, Y0 + 500),
            (X0 + 1000, Y0 + 200),
        ]
    )
    ring = box(X0 + 2000, Y0, X0 + 3000, Y0 + 1000).difference(
        box(X0 + 2400, Y0 + 400, X0 + 2600, Y0 + 600)
    )
    areas = gpd.GeoDataFrame({"area_id": ["l", "r", "ring"]}, geometry=[left, right, ring], crs=CRS)
    outline = region_outline(areas).geometry.iloc[0]
    assert outline.geom_type == "Polygon"
    assert len(outline.interiors) == 1  # the enclave only
    assert outline.area == pytest.approx(3e6 - 200 * 200)


def test_map_context_outline_from_districts_equals_the_union_of_every_area():
    # no grid (a fifth corner on each square), one area in no district, one enclave hole
    areas = squares()
    areas = areas.set_geometry(shapely.segmentize(areas.geometry.to_numpy(), 600.0))
    areas.loc[areas.index[0], "district"] = None
    extra = gpd.GeoDataFrame(
        {"area_id": ["far"], "district": ["east"]},
        geometry=[box(X0 + 5000, Y0, X0 + 6000, Y0 + 1000)],
        crs=CRS,
    )
    areas = gpd.GeoDataFrame(pd.concat([areas, extra], ignore_index=True), crs=CRS)
    ctx = map_context(areas, group="district")
    direct = region_outline(areas).geometry.iloc[0]
    via = ctx.outline.geometry.iloc[0]
    assert via.area == pytest.approx(7e6) and direct.area == pytest.approx(7e6)
    assert shapely.symmetric_difference(via, direct).area < 1e-6
    assert via.geom_type == "MultiPolygon" and len(via.geoms) == 2


def interlocked_points(n=240, seed=1) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """``n`` scattered points in three districts that wind round each other (a spiral)."""
    xy = np.random.default_rng(seed).uniform(0.0, 100.0, (n, 2))
    angle = np.arctan2(xy[:, 1] - 50, xy[:, 0] - 50)
    radius = np.hypot(xy[:, 0] - 50, xy[:, 1] - 50)
    codes = ((angle + radius / 25) % (2 * np.pi) // (2 * np.pi / 3)).astype(int)
    areas = gpd.GeoDataFrame(
        {"district": [f"d{k}" for k in codes]},
        geometry=shapely.points(xy + np.array([X0, Y0])),
        crs=CRS,
    )
    return areas, codes


def test_point_area_districts_do_not_overlap_and_hold_their_points():
    areas, codes = interlocked_points()
    pts = areas.geometry.to_numpy()
    hulls = [shapely.MultiPoint(list(pts[codes == k])).convex_hull for k in range(3)]
    # the old drawing: hulls of interlocked districts overlap (hundreds of m2 here)
    assert min(hulls[i].intersection(hulls[j]).area for i, j in ((0, 1), (0, 2), (1, 2))) > 100
    ctx = map_context(areas, group="district")
    shapes = ctx.districts.geometry.to_numpy()
    outline = ctx.outline.geometry.iloc[0]
    assert list(ctx.districts["name"]) == ["d0", "d1", "d2"]
    assert shapely.is_valid(shapes).all()
    assert outline.equals(region_outline(areas).geometry.iloc[0])  # the outline as before
    assert outline.area == pytest.approx(hulls[0].union(hulls[1]).union(hulls[2]).convex_hull.area)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        assert shapes[i].intersection(shapes[j]).area < 1e-9 * outline.area
    for k in range(3):  # a point on the region's edge lies on its district's edge: covers
        assert shapely.covers(shapes[k], pts[codes == k]).all()
        assert not shapely.contains(shapes[k], pts[codes != k]).any()
    union = shapely.union_all(shapes)
    assert union.difference(outline).area < 1e-9 * outline.area
    assert union.area == pytest.approx(outline.area, rel=1e-12)  # every point has a district


def test_point_areas_in_no_district_keep_their_share_out_of_every_district():
    areas, codes = interlocked_points(seed=2)
    loose = np.arange(len(areas)) % 10 == 0
    areas.loc[loose, "district"] = None
    ctx = map_context(areas, group="district")
    shapes = ctx.districts.geometry.to_numpy()
    outline = ctx.outline.geometry.iloc[0]
    pts = areas.geometry.to_numpy()
    assert outline.equals(region_outline(areas).geometry.iloc[0])
    assert list(ctx.districts["n_areas"]) == np.bincount(codes[~loose]).tolist()
    for k in range(3):
        assert shapely.covers(shapes[k], pts[~loose & (codes == k)]).all()
    union = shapely.union_all(shapes)
    assert not shapely.contains(union, pts[loose]).any()
    assert union.area < outline.area
    assert union.difference(outline).area < 1e-9 * outline.area


def test_point_areas_on_one_line_keep_their_hulls():
    areas = gpd.GeoDataFrame(
        {"district": ["a", "a", "b"]},
        geometry=[Point(X0, Y0), Point(X0 + 10, Y0), Point(X0 + 20, Y0)],
        crs=CRS,
    )
    districts = district_boundaries(areas, group="district")
    assert districts.geometry.iloc[0].equals(LineString([(X0, Y0), (X0 + 10, Y0)]))
    assert districts.geometry.iloc[1].equals(Point(X0 + 20, Y0))
