"""Database build throughput (1 and 2 workers) and peak memory for 2048^2 and 8192^2 scenes.

Inputs are written by repeating a generated 1024 x 1024 scene window by window (flat
memory), with one Sentinel-2 (13 bands), two Sentinel-1 dates and a DEM at 30 m. Each
build runs in a fresh child process that reports its own peak resident memory, so the
figures do not include the input generation. Prints ratios measured in this run:

* throughput of 2 workers against 1 on the 2048^2 scene;
* peak memory of the 8192^2 build against the 2048^2 build (goal: under 1.5).

    python benchmarks/database.py [--sizes 2048 8192] [--tile 1024] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from saropt.io.grid import Grid, PixelWindow
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.warp import reproject_raster
from saropt.io.write import RasterWriter
from saropt.synth import generate_scene


def make_inputs(folder: Path, size: int) -> dict[str, list[str]]:
    """Write S2, two S1 dates and a 30 m DEM of size x size pixels by tiling a 1024 scene."""
    base = generate_scene(height=1024, width=1024, seed=0, dates=2)
    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, size, size)
    layers = {
        "s2.tif": (base.optical, S2_BANDS, "uint16", 0),
        "s1_a.tif": (base.sar[0], S1_BANDS, "float32", None),
        "s1_b.tif": (base.sar[1], S1_BANDS, "float32", None),
    }
    for name, (data, desc, dtype, nodata) in layers.items():
        with RasterWriter(
            folder / name, grid, data.shape[0], dtype, nodata=nodata, descriptions=desc
        ) as w:
            for r in range(0, size, 1024):
                for c in range(0, size, 1024):
                    h, wd = min(1024, size - r), min(1024, size - c)
                    w.write(data[:, :h, :wd], PixelWindow(r, c, h, wd))
    g30 = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 30.0, 342, 342)
    dem30 = reproject_raster(
        Raster(base.dem, base.grid, None, ("elevation",)), g30, resampling="average"
    )
    n30 = math.ceil(size / 3)
    grid30 = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 30.0, n30, n30)
    with RasterWriter(folder / "dem30.tif", grid30, 1, "float32") as w:
        for r in range(0, n30, 341):
            for c in range(0, n30, 341):
                h, wd = min(341, n30 - r), min(341, n30 - c)
                w.write(dem30.data[:, :h, :wd], PixelWindow(r, c, h, wd))
    return {"s1": ["s1_a.tif", "s1_b.tif"], "s2": ["s2.tif"], "dem": ["dem30.tif"]}


def child(inputs: Path, out: Path, tile: int, workers: int) -> None:
    """Build one database and print seconds, tiles and this process's peak memory (MB)."""
    from saropt.database.build import BuildConfig, DatabaseInputs, build_database

    files = json.loads((inputs / "files.json").read_text())
    t0 = time.perf_counter()
    records = build_database(
        DatabaseInputs(
            s1=tuple(inputs / f for f in files["s1"]),
            s2=tuple(inputs / f for f in files["s2"]),
            dem=tuple(inputs / f for f in files["dem"]),
        ),
        out,
        BuildConfig(tile_size=tile),
        workers=workers,
    )
    seconds = time.perf_counter() - t0
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "tiles": len(records),
                "peak_mb": peak_self,
                "peak_worker_mb": peak_kids,
            }
        )
    )


def run_child(inputs: Path, out: Path, tile: int, workers: int) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, __file__, "--child", str(inputs), str(out), str(tile), str(workers)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"build failed ({' '.join(cmd)}):\n{res.stderr[-3000:]}")
    result: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs=2, default=[2048, 8192])
    ap.add_argument("--tile", type=int, default=1024)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="saropt-bench-"))
    small, large = args.sizes
    results = {}
    for size in (small, large):
        folder = work / f"in_{size}"
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        files = make_inputs(folder, size)
        (folder / "files.json").write_text(json.dumps(files))
        print(f"inputs {size}^2 written in {time.perf_counter() - t0:.0f} s")
        results[size] = run_child(folder, work / f"db_{size}", args.tile, 1)
    two = run_child(work / f"in_{small}", work / f"db_{small}_2w", args.tile, 2)
    one = results[small]
    mpx = small * small / 1e6
    print(f"\nbuild {small}^2, tiles of {args.tile}: {one['tiles']:.0f} tiles")
    print(f"  1 worker : {one['seconds']:.1f} s, {mpx / one['seconds']:.2f} Mpx/s")
    print(f"  2 workers: {two['seconds']:.1f} s, {mpx / two['seconds']:.2f} Mpx/s")
    print(f"  speed-up 2 workers / 1 worker: {one['seconds'] / two['seconds']:.2f}x")
    big = results[large]
    print(f"\npeak memory, 1 worker, tiles of {args.tile}:")
    print(f"  {small}^2: {one['peak_mb']:.0f} MB ({one['tiles']:.0f} tiles)")
    print(
        f"  {large}^2: {big['peak_mb']:.0f} MB ({big['tiles']:.0f} tiles, {big['seconds']:.0f} s)"
    )
    print(f"  ratio {large}^2 / {small}^2: {big['peak_mb'] / one['peak_mb']:.2f} (goal < 1.5)")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
