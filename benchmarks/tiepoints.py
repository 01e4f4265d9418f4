"""Tie points: how far a misplaced optical image is corrected, and what memory they need.

Trains the test suite's small shift classifier once (generated scene, 5 epochs), then:
an optical image written (23, -17) m off on three generated scenes, corrected by a
translation; the same with a 0.4 degree rotation and a 0.4 % scale added, corrected by an
affine and by a translation (error at the worst corner); and the traced peak memory of
the tie-point search on 512^2 and 1536^2 random scenes.

python benchmarks/tiepoints.py [--out runs/tiepoints]
"""

from __future__ import annotations

import argparse
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from affine import Affine

from saropt.experiments.config import load_config
from saropt.experiments.shift import ShiftConfig, train_shift_classifier
from saropt.inference.tiepoints import correct_georeference, find_tie_points
from saropt.io.grid import Grid
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.synth import generate_scene

CORNERS = [(0, 0), (320, 0), (0, 320), (320, 320), (160, 160)]


def misplaced(out: Path, seed: int, needed: Affine) -> tuple[Path, Path, Grid]:
    """A 320 px scene: S1 on the true grid, S2 on one that ``needed`` (about the centre)
    would correct; returns (S1, S2, true grid)."""
    sc = generate_scene(height=320, width=320, seed=seed, dates=1)
    g = sc.grid
    centre = g.transform @ (160, 160)
    fix = Affine.translation(*centre) @ needed @ Affine.translation(*np.negative(centre))
    sar = write_raster(out / "s1.tif", Raster(sc.sar[0], g, None, ("VV", "VH")))
    wrong = Grid(g.crs, ~fix @ g.transform, g.width, g.height)
    return sar, write_raster(out / "s2.tif", Raster(sc.optical, wrong, 0)), g


def worst_corner(sar: Path, opt: Path, weights: Path, out: Path, g: Grid, model: str) -> float:
    correct_georeference(opt, sar, weights, out, step=32, model=model)
    t = read_raster(out / "corrected.tif").grid.transform
    return max(float(np.hypot(*np.subtract(t @ p, g.transform @ p))) for p in CORNERS)


def peak_memory(tmp: Path, weights: Path) -> dict[int, float]:
    rng = np.random.default_rng(0)
    peaks = {}
    for size in (512, 1536):
        g = Grid.from_origin("EPSG:32633", 500000.0, 5000000.0, 10.0, size, size)
        sar = rng.uniform(-25, 0, (2, size, size)).astype(np.float32)
        opt = rng.integers(0, 5000, (13, size, size)).astype(np.uint16)
        write_raster(tmp / f"s1_{size}.tif", Raster(sar, g))
        write_raster(tmp / f"s2_{size}.tif", Raster(opt, g, 0))
        del sar, opt
        tracemalloc.start()
        find_tie_points(tmp / f"s2_{size}.tif", tmp / f"s1_{size}.tif", weights, step=96,
                        min_confidence=0, min_peak_ratio=0)  # fmt: skip
        peaks[size] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return peaks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=Path("runs/tiepoints"))
    args = ap.parse_args()
    overrides = ["data.scene_size=256", "data.train_length=256", "data.val_length=96",
                 "trainer.max_epochs=5"]  # fmt: skip
    train_shift_classifier(load_config(ShiftConfig, overrides=overrides), args.out / "shift")
    weights = args.out / "shift" / "shift_classifier.safetensors"
    errors = []
    for seed in (21, 22, 23):
        with tempfile.TemporaryDirectory() as tmp:
            sar, opt, g = misplaced(Path(tmp), seed, Affine.translation(-23.0, 17.0))
            correct_georeference(opt, sar, weights, Path(tmp) / "fix")
            t = read_raster(Path(tmp) / "fix" / "corrected.tif").grid.transform
            errors.append(float(np.hypot(t.c - g.transform.c, t.f - g.transform.f)))
    text = ", ".join(f"{e:.2f}" for e in errors)
    print(f"optical written (23, -17) m off, three scenes: {text} m left after correction")
    needed = Affine.translation(23.0, -17.0) @ Affine.rotation(0.4) @ Affine.scale(1.004)
    with tempfile.TemporaryDirectory() as tmp:
        sar, opt, g = misplaced(Path(tmp), 23, needed)
        worst = {m: worst_corner(sar, opt, weights, Path(tmp) / m, g, m)
                 for m in ("affine", "translation")}  # fmt: skip
    print(f"0.4 deg, 0.4 % scale: worst corner {worst['affine']:.1f} m (affine), "
          f"{worst['translation']:.1f} m (translation)")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        peaks = peak_memory(Path(tmp), weights)
    print(f"traced peak memory: {peaks[512]:.1f} MB at 512^2, {peaks[1536]:.1f} MB at 1536^2 "
          f"(ratio {peaks[1536] / peaks[512]:.2f} for 9x the pixels)")  # fmt: skip


if __name__ == "__main__":
    main()
