"""OpenStreetMap themes burnt onto a grid: one class raster and four binary layers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from shapely import STRtree
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from saropt.io.features import rasterize, reproject_geometries
from saropt.io.grid import Grid
from saropt.io.osm import OsmFeatures


class OsmClass(IntEnum):
    """Codes of the OSM class raster; a higher code is burnt over a lower one."""

    NONE = 0
    VEGETATION = 1
    WATER = 2
    ROAD = 3
    BUILDING = 4


#: Order of the binary layers in the layer raster.
OSM_LAYERS: tuple[str, ...] = ("building", "road", "water", "vegetation")

#: Carriageway widths in metres by ``highway`` value; others get DEFAULT_ROAD_WIDTH.
ROAD_WIDTHS_M: dict[str, float] = {
    "motorway": 22.0, "trunk": 18.0, "primary": 14.0, "secondary": 11.0, "tertiary": 9.0,
    "motorway_link": 8.0, "trunk_link": 8.0, "primary_link": 8.0, "secondary_link": 7.0,
    "residential": 7.0, "unclassified": 6.0, "living_street": 6.0, "service": 4.0,
    "pedestrian": 5.0, "track": 3.0, "cycleway": 2.5, "footway": 2.0, "path": 1.5,
    "steps": 2.0, "bridleway": 2.0,
}  # fmt: skip
DEFAULT_ROAD_WIDTH = 5.0
#: Widths in metres of waterway lines by ``waterway`` value.
WATERWAY_WIDTHS_M: dict[str, float] = {
    "river": 25.0, "canal": 12.0, "stream": 3.0, "drain": 2.0, "ditch": 1.5,
}  # fmt: skip


@dataclass
class ProjectedOsm:
    """OSM features in a grid's CRS, with spatial indexes for fast per-tile queries."""

    buildings: list[BaseGeometry]
    roads: list[BaseGeometry]  # already buffered to their width, or thin lines
    thin_roads: list[bool]
    water: list[BaseGeometry]
    vegetation: list[BaseGeometry]

    def __post_init__(self) -> None:
        self._trees = {
            name: STRtree(getattr(self, name))
            for name in ("buildings", "roads", "water", "vegetation")
        }

    def query(self, name: str, bounds: tuple[float, float, float, float]) -> list[int]:
        """Indexes of features of a theme whose envelope meets the bounds."""
        return [int(i) for i in self._trees[name].query(box(*bounds))]

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_trees", None)  # rebuilt on unpickling (STRtree does not pickle)
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__post_init__()


def project_osm(features: OsmFeatures, crs: str, resolution: float) -> ProjectedOsm:
    """Transform OSM features into ``crs`` and give lines their widths.

    Roads at least one pixel wide become polygons of their width; narrower ones stay
    lines, burnt with every pixel they touch so they do not vanish.
    """
    buildings = reproject_geometries(features.buildings, features.crs, crs)
    road_lines = reproject_geometries([g for g, _ in features.roads], features.crs, crs)
    roads, thin = [], []
    for geom, (_, kind) in zip(road_lines, features.roads, strict=True):
        width = ROAD_WIDTHS_M.get(kind, DEFAULT_ROAD_WIDTH)
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            roads.append(geom)
            thin.append(False)
        elif width >= resolution:
            roads.append(geom.buffer(width / 2.0, cap_style="flat"))
            thin.append(False)
        else:
            roads.append(geom)
            thin.append(True)
    water = reproject_geometries(features.water, features.crs, crs)
    ww_lines = reproject_geometries([g for g, _ in features.waterways], features.crs, crs)
    for geom, (_, kind) in zip(ww_lines, features.waterways, strict=True):
        water.append(geom.buffer(max(WATERWAY_WIDTHS_M.get(kind, 3.0), resolution) / 2.0))
    vegetation = reproject_geometries([g for g, _ in features.vegetation], features.crs, crs)
    return ProjectedOsm(buildings, roads, thin, water, vegetation)


def merge_projected(parts: list[ProjectedOsm]) -> ProjectedOsm:
    """One set of features from several files' (already in one CRS)."""
    return ProjectedOsm(
        [g for p in parts for g in p.buildings],
        [g for p in parts for g in p.roads],
        [t for p in parts for t in p.thin_roads],
        [g for p in parts for g in p.water],
        [g for p in parts for g in p.vegetation],
    )


def rasterize_osm(osm: ProjectedOsm, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Burn the OSM themes onto a grid.

    Returns:
        The class raster (:class:`OsmClass` codes, uint8, (H, W)) and the binary layers in
        :data:`OSM_LAYERS` order (uint8, (4, H, W)).
    """
    bounds = grid.bounds
    layers = np.zeros((len(OSM_LAYERS), *grid.shape), np.uint8)

    def burn(name: str, all_touched: bool = False, select: list[bool] | None = None) -> np.ndarray:
        geoms = getattr(osm, name)
        idx = osm.query(name, bounds)
        if select is not None:
            idx = [i for i in idx if select[i]]
        return rasterize(((geoms[i], 1) for i in idx), grid, all_touched=all_touched)

    layers[0] = burn("buildings")
    thick = [not t for t in osm.thin_roads]
    layers[1] = burn("roads", select=thick) | burn("roads", True, select=osm.thin_roads)
    layers[2] = burn("water")
    layers[3] = burn("vegetation")
    classes = np.zeros(grid.shape, np.uint8)
    for code, layer in (
        (OsmClass.VEGETATION, 3),
        (OsmClass.WATER, 2),
        (OsmClass.ROAD, 1),
        (OsmClass.BUILDING, 0),
    ):
        classes[layers[layer] == 1] = code
    return classes, layers
