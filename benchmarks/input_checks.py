"""What the input checks of issue 15 cost on a whole scene, against reading it.

A 13-band uint16 Sentinel-2-like scene (``--size`` pixels a side, tiled GeoTIFF as
saropt writes it, 2 % of its pixels nodata) is:

1. read once, window by window (tiles of 256, as the whole-scene commands read it): the
   baseline;
2. checked by :func:`saropt.io.inputs.check_inputs` (the sample-based check every command
   runs first): seconds, and the ratio to (1);
3. read again with every window cleaned by :func:`saropt.io.inputs.clean_window` (finite
   values, nodata mask and fill: what the tiled prediction adds per window): the ratio to
   (1).

Then the same file with every pixel nodata but one row at the bottom, the worst case of
(2): the sample sees no valid pixel, so the whole file is read to find that row.

    python benchmarks/input_checks.py [--size 4096] [--rounds 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from saropt.io.grid import Grid, PixelWindow, iter_windows
from saropt.io.inputs import InputSpec, check_inputs, clean_window
from saropt.io.raster import Raster, WindowReader
from saropt.io.write import write_raster


def make_scene(path: Path, size: int, *, sparse: bool = False) -> Path:
    rng = np.random.default_rng(0)
    data = rng.integers(200, 5000, (13, size, size), dtype=np.uint16)
    data[:, rng.random((size, size)) < 0.02] = 0
    if sparse:
        data[:, :-1] = 0
    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, size, size)
    return write_raster(path, Raster(data, grid, 0))


def read_all(path: Path, clean: bool) -> float:
    """Seconds to read every 256 px window (cleaning each when ``clean``)."""
    checked = check_inputs([InputSpec(path, "--optical", "optical", (13,))])[0]
    t0 = time.perf_counter()
    with WindowReader(path) as r:
        for win in iter_windows(checked.info.grid.height, checked.info.grid.width, 256, 0):
            data = r.read(PixelWindow(win.row, win.col, win.height, win.width))[None]
            if clean:
                clean_window(data, checked, str(win))
    return time.perf_counter() - t0


def check_seconds(path: Path) -> float:
    t0 = time.perf_counter()
    check_inputs([InputSpec(path, "--optical", "optical", (13,))])
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scene = make_scene(Path(tmp) / "s2.tif", args.size)
        sparse = make_scene(Path(tmp) / "sparse.tif", args.size, sparse=True)
        read_all(scene, False)  # warm the page cache: every figure reads from memory
        rows = {"read every window": [], "check_inputs (sample)": [],
                "read + clean_window": [], "check_inputs, all but one row nodata": []}  # fmt: skip
        for _ in range(args.rounds):  # interleaved, so drift hits every row alike
            rows["read every window"].append(read_all(scene, False))
            rows["check_inputs (sample)"].append(check_seconds(scene))
            rows["read + clean_window"].append(read_all(scene, True))
            rows["check_inputs, all but one row nodata"].append(check_seconds(sparse))
    base = float(np.median(rows["read every window"]))
    print(f"{args.size}^2 x 13 bands uint16, median of {args.rounds} rounds")
    print(f"{'step':40s} {'seconds':>8s} {'x read':>8s}")
    for name, secs in rows.items():
        m = float(np.median(secs))
        print(f"{name:40s} {m:8.3f} {m / base:8.3f}")


if __name__ == "__main__":
    main()
