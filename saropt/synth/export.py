"""Write a generated scene as GeoTIFFs, GeoJSON vectors and a JSON manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saropt import __version__
from saropt.io.atomic import write_text_atomic
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.vector import write_geojson
from saropt.io.write import write_raster
from saropt.synth.types import ROAD_WIDTHS, LandCover, Scene

MANIFEST_NAME = "manifest.json"


def write_scene(scene: Scene, out_dir: str | Path) -> dict[str, Any]:
    """Write every layer of a scene into ``out_dir`` and return the manifest.

    Files: ``s2.tif`` (13 bands uint16, nodata 0), ``s1_<date>.tif`` per date (VV, VH in
    dB, float32), ``s1_clean_<date>.tif`` (same without speckle), ``dem.tif`` (metres),
    ``landcover.tif`` and ``urban.tif`` (uint8), ``radar_geometry.tif`` (0 normal,
    1 layover, 2 shadow), ``buildings.geojson``, ``roads.geojson`` and ``manifest.json``.
    The manifest is written last, so a folder with a manifest is complete.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = scene.grid
    files: dict[str, Any] = {}

    def put(key: str, name: str, raster: Raster) -> None:
        write_raster(out / name, raster)
        files[key] = name

    put("optical", "s2.tif", Raster(scene.optical, g, 0, S2_BANDS))
    files["sar"], files["sar_clean"] = [], []
    for d, date in enumerate(scene.dates):
        tag = date.replace("-", "")
        write_raster(out / f"s1_{tag}.tif", Raster(scene.sar[d], g, None, S1_BANDS))
        write_raster(out / f"s1_clean_{tag}.tif", Raster(scene.sar_clean[d], g, None, S1_BANDS))
        files["sar"].append(f"s1_{tag}.tif")
        files["sar_clean"].append(f"s1_clean_{tag}.tif")
    put("dem", "dem.tif", Raster(scene.dem, g, None, ("elevation_m",)))
    put("landcover", "landcover.tif", Raster(scene.landcover, g, 0, ("landcover",)))
    put("urban", "urban.tif", Raster(scene.urban, g, None, ("urban",)))
    put(
        "radar_geometry",
        "radar_geometry.tif",
        Raster(scene.radar_geometry, g, None, ("0 normal, 1 layover, 2 shadow",)),
    )
    write_geojson(
        out / "buildings.geojson",
        ((b, {"building": "yes", "id": i}) for i, b in enumerate(scene.buildings)),
        g.crs,
    )
    write_geojson(
        out / "roads.geojson",
        ((line, {"highway": cls, "width_m": ROAD_WIDTHS[cls]}) for line, cls in scene.roads),
        g.crs,
    )
    files["buildings"], files["roads"] = "buildings.geojson", "roads.geojson"
    manifest = scene_manifest(scene, files)
    write_text_atomic(out / MANIFEST_NAME, json.dumps(manifest, indent=2))
    return manifest


def scene_manifest(scene: Scene, files: dict[str, Any]) -> dict[str, Any]:
    """What ``manifest.json`` says of a scene: its settings, grid, classes and files."""
    g, cfg = scene.grid, scene.config
    return {
        "saropt_version": __version__,
        "generator": "saropt.synth.generate_scene",
        "config": dict(cfg.__dict__),
        "crs": g.crs,
        "transform": list(g.transform)[:6],
        "width": g.width,
        "height": g.height,
        "dates": scene.dates,
        "classes": {str(int(c)): c.name.lower() for c in LandCover if c != LandCover.NODATA},
        "class_fractions": {
            c.name.lower(): round(float((scene.landcover == c).mean()), 6)
            for c in LandCover
            if c != LandCover.NODATA
        },
        "n_buildings": len(scene.buildings),
        "n_roads": len(scene.roads),
        "files": files,
    }
