"""OpenStreetMap features from ``.osm.pbf`` (pyosmium) or GeoJSON, sorted by theme.

Each feature is kept with the tag that put it in its theme:

* buildings: areas with a ``building`` tag;
* roads: ways with a ``highway`` tag (value kept: motorway, residential, footway ...);
* water: areas of ``natural=water``, ``waterway=riverbank``, ``landuse=reservoir|basin``
  and waterway lines (value kept: river, stream, canal ...);
* vegetation and land use: areas of ``landuse`` / ``natural`` / ``leisure`` values such as
  forest, wood, farmland, meadow, grass, park, scrub (value kept).

Ways whose nodes lie outside the extract have no geometry and are skipped (counted in
``OsmFeatures.skipped``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from shapely import wkb
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from saropt.errors import InputNotFoundError, InvalidVectorError
from saropt.io.vector import read_geojson

#: landuse / natural / leisure values that count as vegetation or open land.
VEGETATION_VALUES = frozenset(
    {
        "forest", "wood", "scrub", "heath", "grassland", "grass", "meadow", "farmland",
        "orchard", "vineyard", "allotments", "park", "garden", "recreation_ground",
        "village_green", "wetland", "greenhouse_horticulture", "plant_nursery",
    }
)  # fmt: skip
WATER_AREA_TAGS = {"natural": {"water", "bay"}, "waterway": {"riverbank"}, "landuse": {
    "reservoir", "basin"}, "water": None}  # fmt: skip
WATERWAY_LINES = frozenset({"river", "stream", "canal", "drain", "ditch"})


@dataclass
class OsmFeatures:
    """OSM features by theme, geometries in ``crs`` (WGS84 when read from a file)."""

    buildings: list[BaseGeometry] = field(default_factory=list)
    roads: list[tuple[BaseGeometry, str]] = field(default_factory=list)
    water: list[BaseGeometry] = field(default_factory=list)
    waterways: list[tuple[BaseGeometry, str]] = field(default_factory=list)
    vegetation: list[tuple[BaseGeometry, str]] = field(default_factory=list)
    crs: str = "EPSG:4326"
    skipped: int = 0

    def __len__(self) -> int:
        return (
            len(self.buildings)
            + len(self.roads)
            + len(self.water)
            + len(self.waterways)
            + len(self.vegetation)
        )


def _is_water_area(tags: Mapping[str, str]) -> bool:
    for key, values in WATER_AREA_TAGS.items():
        if key in tags and (values is None or tags[key] in values):
            return True
    return False


def _vegetation_value(tags: Mapping[str, str]) -> str | None:
    for key in ("landuse", "natural", "leisure"):
        if tags.get(key) in VEGETATION_VALUES:
            return tags[key]
    return None


def _add(features: OsmFeatures, geom: BaseGeometry, tags: Mapping[str, str], area: bool) -> None:
    """Sort one feature into its theme (a feature can be in one theme only)."""
    if area:
        if "building" in tags and tags["building"] != "no":
            features.buildings.append(geom)
        elif _is_water_area(tags):
            features.water.append(geom)
        elif (veg := _vegetation_value(tags)) is not None:
            features.vegetation.append((geom, veg))
        elif "highway" in tags and tags.get("area") == "yes":
            features.roads.append((geom, tags["highway"]))
    else:
        if "highway" in tags:
            features.roads.append((geom, tags["highway"]))
        elif tags.get("waterway") in WATERWAY_LINES:
            features.waterways.append((geom, tags["waterway"]))


def read_osm_pbf(
    path: str | Path, bbox: tuple[float, float, float, float] | None = None
) -> OsmFeatures:
    """Read buildings, roads, water and vegetation from an ``.osm.pbf`` (or .osm) file.

    Args:
        path: OSM file.
        bbox: Optional (west, south, east, north) in degrees; features not intersecting it
            are dropped.

    Raises:
        InputNotFoundError: The file does not exist.
        InvalidVectorError: pyosmium cannot read it.
    """
    import osmium

    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"OSM file '{p}' does not exist; check the path")
    keys = ("building", "highway", "natural", "landuse", "waterway", "water", "leisure")
    factory = osmium.geom.WKBFactory()
    features = OsmFeatures()
    clip = box(*bbox) if bbox else None
    try:
        processor = (
            osmium.FileProcessor(str(p))
            .with_locations()
            .with_areas()
            .with_filter(osmium.filter.KeyFilter(*keys))
        )
        for obj in processor:
            tags = {t.k: t.v for t in obj.tags}
            try:
                if isinstance(obj, osmium.osm.Area):
                    geom = wkb.loads(factory.create_multipolygon(obj), hex=True)
                    area = True
                elif isinstance(obj, osmium.osm.Way) and ("highway" in tags or "waterway" in tags):
                    geom = wkb.loads(factory.create_linestring(obj), hex=True)
                    area = False
                else:
                    continue
            except (osmium.InvalidLocationError, RuntimeError):
                features.skipped += 1
                continue
            if clip is not None and not geom.intersects(clip):
                continue
            _add(features, geom, tags, area)
    except RuntimeError as exc:
        raise InvalidVectorError(f"'{p}' is not an OSM file pyosmium can read ({exc})") from exc
    return features


def read_osm_geojson(path: str | Path) -> OsmFeatures:
    """Read OSM-tagged features from a GeoJSON file (properties hold the OSM tags).

    Polygons are areas, lines are ways; the CRS named in the file is kept.
    """
    feats, crs = read_geojson(path)
    out = OsmFeatures(crs=crs or "EPSG:4326")
    for geom, props in feats:
        tags = {str(k): str(v) for k, v in props.items() if v is not None}
        _add(out, geom, tags, area=geom.geom_type in ("Polygon", "MultiPolygon"))
    return out


def read_osm(
    path: str | Path, bbox: tuple[float, float, float, float] | None = None
) -> OsmFeatures:
    """Read OSM features from ``.osm.pbf``/``.osm`` (pyosmium) or ``.geojson``/``.json``.

    Raises:
        InputNotFoundError: The file does not exist.
        InvalidVectorError: Unknown extension or unreadable file.
    """
    p = Path(path)
    name = p.name.lower()
    if name.endswith((".pbf", ".osm")):
        return read_osm_pbf(p, bbox)
    if name.endswith((".geojson", ".json")):
        return read_osm_geojson(p)
    raise InvalidVectorError(
        f"'{p}': unknown vector format; give an .osm.pbf, .osm or .geojson file"
    )
