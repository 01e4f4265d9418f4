"""Helpers several test modules share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from affine import Affine


def misplaced_pair(tmp_path: Path, size: int, seed: int, needed: Affine) -> tuple[Path, Path, Any]:
    """A generated scene written as S1 (true grid) and S2 whose georeference is wrong.

    ``needed`` is the correction (map -> map, about the scene's centre) that takes the S2's
    claimed coordinates to the true ones; returns (S1 path, S2 path, scene)."""
    from saropt.io.grid import Grid
    from saropt.io.raster import Raster
    from saropt.io.write import write_raster
    from saropt.synth import generate_scene

    sc = generate_scene(height=size, width=size, seed=seed, dates=1)
    g = sc.grid
    centre = g.transform @ (size / 2, size / 2)
    needed = Affine.translation(*centre) @ needed @ Affine.translation(*np.negative(centre))
    sar = write_raster(tmp_path / "s1.tif", Raster(sc.sar[0], g, None, ("VV", "VH")))
    wrong = Grid(g.crs, ~needed @ g.transform, g.width, g.height)
    opt = write_raster(tmp_path / "s2.tif", Raster(sc.optical, wrong, 0))
    return sar, opt, sc


#: The structural metadata GDAL's COG driver writes at the start of the file.
COG_GHOST = (
    b"LAYOUT=IFDS_BEFORE_DATA",
    b"BLOCK_ORDER=ROW_MAJOR",
    b"BLOCK_LEADER=SIZE_AS_UINT4",
    b"BLOCK_TRAILER=LAST_4_BYTES_REPEATED",
    b"KNOWN_INCOMPATIBLE_EDITION=NO",
)


def cog_problems(path: Path) -> list[str]:
    """What keeps ``path`` from being a Cloud Optimized GeoTIFF, checked as GDAL's
    validate_cloud_optimized_geotiff.py does: the structural metadata block, tiling,
    overviews for an image larger than a tile, every image file directory before the
    first tile's data, the overviews' data before the full-resolution data (smallest
    level first), and each level's tiles stored in row-major order. Empty when valid."""
    import tifffile

    problems = []
    head = path.read_bytes()[:1024]
    if b"GDAL_STRUCTURAL_METADATA_SIZE=" not in head:
        problems.append("no GDAL structural metadata block at the start of the file")
    problems += [f"structural metadata lacks {k.decode()}" for k in COG_GHOST if k not in head]
    with tifffile.TiffFile(path) as tif:
        pages = [p for p in tif.pages if not p.is_mask]  # type: ignore[union-attr]
        main = pages[0]
        if not main.is_tiled:
            problems.append("the full-resolution image is not tiled")
            return problems
        tile_h, tile_w = main.tilelength, main.tilewidth
        if (main.imagelength > tile_h or main.imagewidth > tile_w) and len(pages) < 2:
            problems.append("larger than one tile but has no overviews")
        data = [
            [o for o, n in zip(p.dataoffsets, p.databytecounts, strict=True) if n] for p in pages
        ]
        if any(p.offset > min(min(d) for d in data) for p in pages):
            problems.append("an image file directory lies after tile data")
        starts = [min(d) for d in data]
        if starts != sorted(starts, reverse=True):
            problems.append("the levels' data are not stored smallest overview first")
        for level, offsets in enumerate(data):
            if offsets != sorted(offsets):
                problems.append(f"level {level}: tiles are not in row-major order")
    return problems
