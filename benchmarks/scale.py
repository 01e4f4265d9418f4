"""Per-tile and per-scene throughput, here and on a Dask LocalCluster: the figures
docs/scale.md scales up.

1. Database: a 2048^2 scene (one 13-band S2, two S1 dates, a 30 m DEM; tiles of 1024, the
   DREAM layout) built in this process, on 2 local processes (`--workers 2`) and on a
   Dask LocalCluster of 2 single-threaded workers (`--scheduler local:2`): seconds per
   tile and Mpx/s.
2. Declouding: `run_batch` (what `saropt batch decloud` runs) over 4 generated 1024^2
   scenes with the full-size generator (random weights), in this process (torch on both
   cores) and on `local:2` (a scene per worker, one thread each): seconds per scene and
   Mpx/s; then one scene with `--backend onnx` where onnxruntime is installed.

Each setting starts from an empty output folder; LocalCluster start-up is included, as a
user would see it.

    python benchmarks/scale.py [--scenes 4] [--size 1024]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from database import make_inputs
from decloud_speed import KW

from saropt.database.build import BuildConfig, DatabaseInputs, build_database
from saropt.inference.batch import BatchSettings, Scene, run_batch
from saropt.inference.runtime import Runtime
from saropt.io.grid import Grid
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_CGAN_BANDS
from saropt.io.write import write_raster
from saropt.models import create_model, save_model


def database_rows(work: Path) -> None:
    folder = work / "db_in"
    folder.mkdir()
    files = make_inputs(folder, 2048)
    inputs = DatabaseInputs(
        s1=tuple(folder / f for f in files["s1"]), s2=tuple(folder / f for f in files["s2"]),
        dem=tuple(folder / f for f in files["dem"]),
    )  # fmt: skip
    cfg = BuildConfig(tile_size=1024)
    print("database, 2048^2 scene, tiles of 1024 (4 tiles)")
    base = float("nan")
    for label, where in (("in this process", {}), ("--workers 2", {"workers": 2}),
                         ("--scheduler local:2", {"scheduler": "local:2"})):  # fmt: skip
        t0 = time.perf_counter()
        records = build_database(inputs, work / f"db_{len(label)}", cfg, **where)  # type: ignore[arg-type]
        sec = time.perf_counter() - t0
        base = sec if np.isnan(base) else base
        print(f"  {label:22s} {sec:6.1f} s  {sec / len(records):5.2f} s/tile  "
              f"{2048 * 2048 / 1e6 / sec:5.2f} Mpx/s  x{base / sec:.2f}")  # fmt: skip
    # the marginal cost of a Sentinel-1 date: the same two files given four times
    many = DatabaseInputs(s1=inputs.s1 * 4, s2=inputs.s2, dem=inputs.dem)
    t0 = time.perf_counter()
    build_database(many, work / "db_8_dates", cfg)
    sec8 = time.perf_counter() - t0
    print(f"  {'8 S1 dates, here':22s} {sec8:6.1f} s  {sec8 / len(records):5.2f} s/tile: "
          f"{(sec8 - base) / len(records) / 6:.3f} s per tile per further S1 date")  # fmt: skip
    t0 = time.perf_counter()  # a rerun of a finished database: it checks every tile
    build_database(inputs, work / f"db_{len('in this process')}", cfg)
    sec = time.perf_counter() - t0
    print(f"  {'resume, all done':22s} {sec:6.1f} s  {sec / len(records):5.2f} s/tile "
          "(reads every tile back and checks its SHA-256)")  # fmt: skip
    tiles = work / f"db_{len('in this process')}" / "tiles"
    size = sum(p.stat().st_size for p in tiles.rglob("*") if p.is_file())
    print(f"  stored: {size / len(records) / 1e6:.1f} MB per tile (S2, S1 mean and first date, "
          "DEM and slope; deflate)")  # fmt: skip


def decloud_rows(work: Path, n_scenes: int, size: int) -> None:
    torch.manual_seed(0)
    weights = save_model(create_model("sar_opt_cgan_generator", **KW).eval(), work / "g",
                         "sar_opt_cgan_generator", KW)  # fmt: skip
    rng = np.random.default_rng(0)
    scenes = []
    for i in range(n_scenes):
        grid = Grid.from_origin("EPSG:32633", 500000.0 + 20000 * i, 5100000.0, 10.0, size, size)
        opt = rng.integers(100, 5000, (10, size, size)).astype(np.uint16)
        sar = rng.uniform(-25, 0, (2, size, size)).astype(np.float32)
        o = write_raster(work / f"opt{i}.tif", Raster(opt, grid, 0, S2_CGAN_BANDS))
        s = write_raster(work / f"sar{i}.tif", Raster(sar, grid, None, S1_BANDS))
        scenes.append(Scene(f"s{i}", {"optical": o, "sar": s, "mask": None}))
    px = n_scenes * size * size / 1e6
    print(f"\nbatch decloud, full-size generator, {n_scenes} scenes of {size}^2, channels_last")
    base = float("nan")
    for label, scheduler in (("in this process", None), ("--scheduler local:2", "local:2")):
        settings = BatchSettings(weights, runtime=Runtime(channels_last=True))
        t0 = time.perf_counter()
        summary = run_batch("decloud", scenes, work / f"out_{len(label)}", settings,
                            scheduler=scheduler)  # fmt: skip
        sec = time.perf_counter() - t0
        assert not summary.failed, summary.failed
        base = sec if np.isnan(base) else base
        print(f"  {label:22s} {sec:6.1f} s  {sec / n_scenes:5.1f} s/scene  {px / sec:5.3f} Mpx/s  "
              f"x{base / sec:.2f}")  # fmt: skip
    if importlib.util.find_spec("onnxruntime"):
        settings = BatchSettings(weights, runtime=Runtime(backend="onnx"))
        t0 = time.perf_counter()
        run_batch("decloud", scenes, work / "out_onnx", settings)
        sec = time.perf_counter() - t0
        print(f"  {'--backend onnx, here':22s} {sec:6.1f} s  {sec / n_scenes:5.1f} s/scene  "
              f"{px / sec:5.3f} Mpx/s  x{base / sec:.2f} (exports per scene)")  # fmt: skip


def cluster_overhead() -> None:
    """Seconds to start and close a LocalCluster of 2 (paid once per command)."""
    from saropt.io.cluster import Scheduler, dask_client

    t0 = time.perf_counter()
    with dask_client(Scheduler(workers=2)) as client:
        client.submit(sum, [1, 2]).result()
    print(f"LocalCluster of 2 workers: {time.perf_counter() - t0:.1f} s to start, run one "
          "task and close (included in the local:2 rows)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenes", type=int, default=4)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--no-database", action="store_true")
    args = ap.parse_args()
    print(f"{torch.get_num_threads()} torch threads in this process")
    cluster_overhead()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_database:
            database_rows(Path(tmp))
        decloud_rows(Path(tmp), args.scenes, args.size)


if __name__ == "__main__":
    main()
