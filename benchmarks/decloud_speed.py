"""Whole-scene declouding throughput: fp32, channels_last and bf16 autocast, as ratios.

Runs the full-size SAR-Opt-cGAN generator (167.7 M weights, random weights: speed does not
depend on them) over a generated scene through `decloud_scene` (tiles of 256, overlap
32), and prints megapixels per second for each setting, the ratio to fp32, the model's
achieved GFLOP/s (FLOPs counted by torch's FlopCounterMode on one tile), and that next to
this machine's fp32 matmul peak measured in the same process.

    python benchmarks/decloud_speed.py [--size 1024] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from timing import matmul_peak
from torch.utils.flop_counter import FlopCounterMode

from saropt.inference import TiledOptions, decloud_scene
from saropt.io.grid import Grid, iter_windows
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_CGAN_BANDS
from saropt.io.write import write_raster
from saropt.models import create_model, save_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=2)
    args = ap.parse_args()
    torch.manual_seed(0)
    kw = {"optical_channels": 10, "sar_channels": 2}
    model = create_model("sar_opt_cgan_generator", **kw).eval()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 10, 256, 256), torch.zeros(1, 2, 256, 256))
    tile_flops = counter.get_total_flops()
    n = args.size
    tiles = len(list(iter_windows(n, n, 256, 32)))
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        weights = save_model(model, d / "g", "sar_opt_cgan_generator", kw)
        grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, n, n)
        rng = np.random.default_rng(0)
        opt = rng.integers(100, 5000, (10, n, n)).astype(np.uint16)
        write_raster(d / "opt.tif", Raster(opt, grid, 0, S2_CGAN_BANDS))
        sar = rng.uniform(-25, 0, (2, n, n)).astype(np.float32)
        write_raster(d / "sar.tif", Raster(sar, grid, None, S1_BANDS))
        results = {}
        for name, prec, cl in (
            ("fp32", "fp32", False),
            ("channels_last", "fp32", True),
            ("bf16 autocast", "bf16", False),
        ):
            t0 = time.perf_counter()
            decloud_scene(
                d / "opt.tif", d / "sar.tif", weights, d / f"out_{prec}_{cl}.tif",
                options=TiledOptions(256, 32, args.batch_size), device=args.device,
                precision=prec, channels_last=cl,  # type: ignore[arg-type]
            )  # fmt: skip
            results[name] = time.perf_counter() - t0
    peak = matmul_peak(args.device)
    threads = torch.get_num_threads()
    print(f"scene {n} x {n}, {tiles} tiles of 256 (overlap 32), device {args.device}, "
          f"{threads} threads; {tile_flops / 1e9:.1f} GFLOP per tile")  # fmt: skip
    print(f"fp32 matmul peak measured here: {peak:.0f} GFLOP/s")
    base = results["fp32"]
    for name, sec in results.items():
        mpx = n * n / 1e6 / sec
        gflops = tiles * tile_flops / sec / 1e9
        print(f"  {name:14s} {sec:6.1f} s  {mpx:6.3f} Mpx/s  x{base / sec:4.2f} vs fp32  "
              f"{gflops:6.1f} GFLOP/s ({100 * gflops / peak:4.1f} % of matmul peak)")  # fmt: skip


if __name__ == "__main__":
    main()
