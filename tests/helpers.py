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
