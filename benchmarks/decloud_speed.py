"""Whole-scene declouding throughput with the full-size generator, per runtime, as ratios.

Runs the full-size SAR-Opt-cGAN generator (167.7 M weights, random weights: speed does not
depend on them) over a generated scene through `decloud_scene` (tiles of 256, overlap 32)
with each runtime setting, and prints one row each: wall seconds, megapixels per second,
the ratio to the plain fp32 path (NCHW, batches of 4, no prefetching: saropt's path before
issue 13), GFLOP/s over the whole run and over the model's own time (FLOPs counted by
torch's FlopCounterMode on one tile), the share of the fp32 matmul peak measured just
before that row (this shared 2-core machine's peak drifted between 90 and 164 GFLOP/s
within minutes, so each row gets its own), and the model's share of wall time
(`Timings`). "model GFLOP/s" leaves out a compiled run's first batch, which compiles
(the "compile s" column, one batch's compute included).

The ONNX Runtime row (``--backend onnx``) runs where onnx and onnxruntime are installed
(``pip install 'saropt[onnx]'``); its export at the first batch counts as compiling.

bf16 rows run the whole scene only where the device computes bf16 natively; elsewhere one
batch through the model alone is timed against fp32 (a whole scene would take hours).

    python benchmarks/decloud_speed.py [--size 2048] [--device cpu] [--no-compile]
    python benchmarks/decloud_speed.py --prefetch-rounds 3   # reader/writer threads on/off
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from timing import matmul_peak
from torch.utils.flop_counter import FlopCounterMode

from saropt.inference import Runtime, TiledOptions, Timings, decloud_scene
from saropt.inference.runtime import native_bf16
from saropt.io.grid import Grid, iter_windows
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_CGAN_BANDS
from saropt.io.write import write_raster
from saropt.models import create_model, save_model

KW = {"optical_channels": 10, "sar_channels": 2}


def write_scene(d: Path, n: int) -> tuple[Path, Path]:
    grid = Grid.from_origin("EPSG:32633", 500000.0, 5100000.0, 10.0, n, n)
    rng = np.random.default_rng(0)
    opt = rng.integers(100, 5000, (10, n, n)).astype(np.uint16)
    sar = rng.uniform(-25, 0, (2, n, n)).astype(np.float32)
    return (
        write_raster(d / "opt.tif", Raster(opt, grid, 0, S2_CGAN_BANDS)),
        write_raster(d / "sar.tif", Raster(sar, grid, None, S1_BANDS)),
    )


def model_only_ratio(model: torch.nn.Module, precision: str, device: str, batch: int) -> float:
    """fp32 seconds over ``precision`` seconds for one batch through the model alone."""
    x, s = torch.rand(batch, 10, 256, 256) * 2 - 1, torch.rand(batch, 2, 256, 256) * 2 - 1
    secs = {}
    for p in ("fp32", precision):
        net = Runtime(device, p, channels_last=True).prepare(model)  # type: ignore[arg-type]
        net(x, s)  # warm-up
        t0 = time.perf_counter()
        net(x, s)
        secs[p] = time.perf_counter() - t0
        model.float()
    return secs["fp32"] / secs[precision]


def prefetch_rounds(n: int, device: str, rounds: int) -> None:
    """Whole-scene seconds with and without prefetching threads, in interleaved rounds."""
    torch.manual_seed(0)
    model = create_model("sar_opt_cgan_generator", **KW).eval()
    total = {True: 0.0, False: 0.0}
    model_s = {True: 0.0, False: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        weights = save_model(model, d / "g", "sar_opt_cgan_generator", KW)
        opt, sar = write_scene(d, n)
        for _ in range(rounds):
            for on in (False, True):
                timings = Timings()
                t0 = time.perf_counter()
                decloud_scene(opt, sar, weights, d / "out.tif", timings=timings,
                              options=TiledOptions(256, 32, 8, prefetch=on),
                              runtime=Runtime(device, channels_last=True))  # fmt: skip
                total[on] += time.perf_counter() - t0
                model_s[on] += timings.seconds["model"]
    print(f"scene {n} x {n}, {rounds} interleaved rounds, channels_last, batch 8, "
          f"{torch.get_num_threads()} threads on {os.cpu_count()} cores")  # fmt: skip
    for on in (False, True):
        print(f"  prefetch {'on ' if on else 'off'}: {total[on]:6.1f} s in all, "
              f"model share {model_s[on] / total[on]:.3f}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=2048)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    ap.add_argument("--prefetch-rounds", type=int, default=0,
                    help="instead: N interleaved rounds of channels_last batch 8 with and "
                         "without the reader/writer threads")  # fmt: skip
    args = ap.parse_args()
    if args.prefetch_rounds:
        prefetch_rounds(args.size, args.device, args.prefetch_rounds)
        return
    torch.manual_seed(0)
    model = create_model("sar_opt_cgan_generator", **KW).eval()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(torch.zeros(1, 10, 256, 256), torch.zeros(1, 2, 256, 256))
    tile_flops = counter.get_total_flops()
    n, dev = args.size, args.device
    tiles = len(list(iter_windows(n, n, 256, 32)))
    fast = TiledOptions(256, 32, 8)
    runs: list[tuple[str, Runtime, TiledOptions]] = [
        ("fp32 plain (NCHW, batch 4)", Runtime(dev), TiledOptions(256, 32, 4, prefetch=False)),
        ("fp32 channels_last, batch 8", Runtime(dev, channels_last=True), fast),
    ]
    if not args.no_compile:
        compiled = Runtime(dev, channels_last=True, compile=True)
        runs += [("fp32 compiled (compiling)", compiled, fast),
                 ("fp32 compiled (cache warm)", compiled, fast)]  # fmt: skip
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        runs.append(("fp32 onnx runtime", Runtime(dev, backend="onnx"), fast))
    bf16 = native_bf16(dev)
    if bf16:
        runs += [("bf16 autocast", Runtime(dev, "bf16", True), fast),
                 ("bf16 weights+activations", Runtime(dev, "bf16-pure", True), fast)]  # fmt: skip
    if torch.device(dev).type == "cuda":
        runs.append(("fp16 autocast", Runtime(dev, "fp16", True), fast))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        weights = save_model(model, d / "g", "sar_opt_cgan_generator", KW)
        opt, sar = write_scene(d, n)
        for name, rt, options in runs:
            peak = matmul_peak(dev)
            timings = Timings()
            t0 = time.perf_counter()
            decloud_scene(opt, sar, weights, d / "out.tif", options=options, runtime=rt,
                          timings=timings)  # fmt: skip
            rows.append((name, time.perf_counter() - t0, timings, peak))
    peak_bf16 = matmul_peak(dev, dtype=torch.bfloat16, n=2048 if bf16 else 256)
    print(f"scene {n} x {n}, {tiles} tiles of 256 (overlap 32), device {dev}, "
          f"{torch.get_num_threads()} threads; {tile_flops / 1e9:.1f} GFLOP per tile")  # fmt: skip
    print(f"matmul peak measured here: fp32 {rows[0][3]:.0f} GFLOP/s, bf16 {peak_bf16:.1f} GFLOP/s "
          f"({'native' if bf16 else 'emulated'} bf16)")  # fmt: skip
    base = rows[0][1]
    flops = tiles * tile_flops
    heads = ("wall s", "Mpx/s", "ratio", "GFLOP/s", "% peak", "model GFLOP/s", "model share",
             "peak", "compile s")  # fmt: skip
    widths = (7, 7, 6, 8, 7, 14, 12, 5, 9)
    print(f"  {'path':30s} " + " ".join(f"{h:>{w}s}" for h, w in zip(heads, widths, strict=True)))
    for name, sec, tm, peak in rows:
        model_s = tm.seconds.get("model", float("nan"))
        # a compiled (or exported) run's first batch (8 tiles) is timed as "compiling"
        model_flops = (tiles - (8 if "compiling" in tm.seconds else 0)) * tile_flops
        share = 100 * tm.share("model", sec)
        print(f"  {name:30s} {sec:7.1f} {n * n / 1e6 / sec:7.3f} {base / sec:6.2f} "
              f"{flops / sec / 1e9:8.1f} {100 * flops / sec / 1e9 / peak:6.1f}% "
              f"{model_flops / model_s / 1e9:14.1f} {share:11.1f}% {peak:5.0f} "
              f"{tm.seconds.get('compiling', 0.0):9.1f}")  # fmt: skip
    for name, sec, tm, _ in rows:
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in tm.seconds.items())
        print(f"  where the time went ({name}, {sec:.1f} s): {steps}")
    if not bf16:
        for p in ("bf16", "bf16-pure"):
            r = model_only_ratio(model, p, dev, 1)
            print(f"  {p}: not run over the scene (no native bf16 on {dev}); one 256 px tile "
                  f"through the model alone ran at x{r:.3f} the fp32 speed")  # fmt: skip


if __name__ == "__main__":
    main()
