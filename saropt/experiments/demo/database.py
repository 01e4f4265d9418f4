"""The demo's database stage: the scene's layers given in other CRSs and resolutions, built
into a multimodal database, and how well Sentinel-1 came back onto the 10 m grid."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from saropt.database.build import BuildConfig, DatabaseInputs, TileRecord, build_database
from saropt.database.info import quicklook_mosaic, summarise
from saropt.experiments.demo.context import DemoContext
from saropt.io.grid import Grid
from saropt.io.raster import read_raster
from saropt.io.warp import footprint, reproject_raster
from saropt.io.write import write_raster
from saropt.metrics import phase_correlation_shift
from saropt.report import Section, save_png
from saropt.synth import Scene


def foreign_inputs(src: Path, scene: Scene, out: Path) -> tuple[list[Path], Path]:
    """The scene's S1 dates reprojected to EPSG:4326 and its DEM at 30 m, written to ``out``:
    inputs unlike the S2 grid. Returns (S1 paths, DEM path)."""
    west, south, east, north = footprint(src / "s2.tif", "EPSG:4326")
    step = 0.00009
    geo = Grid.from_origin(
        "EPSG:4326", west - 5 * step, north + 5 * step, step,
        math.ceil((east - west) / step) + 10, math.ceil((north - south) / step) + 10,
    )  # fmt: skip
    manifest = json.loads((src / "manifest.json").read_text())
    s1_paths = []
    for name in manifest["files"]["sar"]:
        moved = reproject_raster(read_raster(src / name), geo, dst_nodata=math.nan)
        s1_paths.append(write_raster(out / f"geo_{name}", moved))
    g = scene.grid
    g30 = Grid.from_origin(g.crs, g.transform.c, g.transform.f, 30.0, g.width // 3, g.height // 3)
    dem = reproject_raster(
        read_raster(src / "dem.tif"), g30, resampling="average", dst_nodata=math.nan
    )
    return s1_paths, write_raster(out / "dem_30m.tif", dem)


def s1_misregistration(db: Path, scene: Scene, records: list[TileRecord]) -> float:
    """Largest shift (px) between each built tile's unfiltered S1 and the scene's own."""
    g = scene.grid
    t = json.loads((db / "database.json").read_text())["grid"]["transform"]
    r0, c0 = round((g.transform.f - t[5]) / g.res[1]), round((t[2] - g.transform.c) / g.res[0])
    shifts = []
    for r in records:
        if r.status != "built":
            continue
        got = read_raster(db / r.assets["s1_single"]).data[0]
        h, w = got.shape
        ref = scene.sar[0, 0, r0 + r.row : r0 + r.row + h, c0 + r.col : c0 + r.col + w]
        if np.isfinite(got).all():
            shifts.append(math.hypot(*phase_correlation_shift(ref, got)))
    return float(np.max(shifts)) if shifts else math.nan


def stage_database(ctx: DemoContext) -> list[Section]:
    """Build a small database from the scene's layers given in other CRSs and resolutions."""
    scene, src = ctx.require_scene("stage_database"), ctx.out / "scene"
    s1_paths, dem_path = foreign_inputs(src, scene, ctx.out / "database_inputs")
    tile = max(64, ctx.size // 4)
    db = ctx.out / "database"
    inputs = DatabaseInputs(
        s1=tuple(s1_paths), s2=(src / "s2.tif",), dem=(dem_path,),
        osm=(src / "buildings.geojson", src / "roads.geojson"),
    )  # fmt: skip
    config = BuildConfig(tile_size=tile, split_block=1, seed=ctx.seed, lee_size=5)
    records = build_database(inputs, db, config)
    summary = summarise(db)
    save_png(ctx.img / "database_quicklook.png", quicklook_mosaic(db, 768))
    ctx.results["database_shift_px"] = s1_misregistration(db, scene, records)
    grid = summary["grid"]
    rows: list[list[object]] = [
        ["grid", f"{grid['width']} x {grid['height']} px, {grid['crs']}"],
        ["tiles built", summary["tiles_built"]],
        *[[f"tiles in {k}", v] for k, v in summary["per_split"].items()],
        ["modalities", ", ".join(summary["modalities"])],
        ["largest S1 misregistration after rebuilding (px)", ctx.results["database_shift_px"]],
    ]
    text = (
        "Inputs: the scene's Sentinel-1 dates reprojected to EPSG:4326, its DEM at 30 m, its "
        "Sentinel-2 on the 10 m UTM grid and its buildings and roads as vectors. The database "
        f"(tiles of {tile} px, split by blocks, Lee-filtered S1 mean) is in database/ with "
        "index.csv and a STAC catalog."
    )
    return [
        Section(
            "Multimodal database",
            paragraphs=[text],
            tables=[(("", "value"), rows)],
            images=[
                ("img/database_quicklook.png", "Tiles by split: train blue, val amber, test red")
            ],
        )
    ]
