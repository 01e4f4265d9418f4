"""Vector features as GeoJSON in a projected CRS (no GDAL vector driver needed)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from saropt.errors import InputNotFoundError, InvalidVectorError
from saropt.io.atomic import write_text_atomic


def write_geojson(
    path: str | Path,
    features: Iterable[tuple[BaseGeometry, Mapping[str, Any]]],
    crs: str | None,
    *,
    precision: int = 2,
) -> Path:
    """Write (geometry, properties) pairs as a GeoJSON FeatureCollection, atomically.

    Coordinates stay in ``crs`` (e.g. UTM metres), which is named in the legacy ``crs``
    member that GDAL, QGIS and geopandas honour.
    """

    def rounded(obj: Any) -> Any:
        if isinstance(obj, float):
            return round(obj, precision)
        if isinstance(obj, list | tuple):
            return [rounded(x) for x in obj]
        return obj

    feats = []
    for geom, props in features:
        gj = mapping(geom)
        feats.append(
            {
                "type": "Feature",
                "properties": dict(props),
                "geometry": {"type": gj["type"], "coordinates": rounded(gj["coordinates"])},
            }
        )
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
    if crs:
        authority = crs.replace("EPSG:", "urn:ogc:def:crs:EPSG::")
        doc["crs"] = {"type": "name", "properties": {"name": authority}}
    return write_text_atomic(path, json.dumps(doc, separators=(",", ":")))


def read_geojson(path: str | Path) -> tuple[list[tuple[BaseGeometry, dict[str, Any]]], str | None]:
    """Read a GeoJSON FeatureCollection: (geometry, properties) pairs and the CRS, if named.

    Raises:
        InputNotFoundError: The file does not exist.
        InvalidVectorError: The file is not a GeoJSON FeatureCollection.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"vector file '{p}' does not exist; check the path")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        feats = [(shape(f["geometry"]), dict(f.get("properties") or {})) for f in doc["features"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidVectorError(
            f"'{p}' is not a GeoJSON FeatureCollection ({exc}); give a .geojson file"
        ) from exc
    crs = None
    name = (doc.get("crs") or {}).get("properties", {}).get("name")
    if name:
        crs = str(name).replace("urn:ogc:def:crs:EPSG::", "EPSG:")
    return feats, crs
