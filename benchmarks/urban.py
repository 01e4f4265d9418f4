"""Urban-mapping inference speed on this machine: the paper-size dual-stream U-Net (width
64, four MMTMs) in fp32, channels_last, bf16 autocast and bf16 weights, as Mpx/s, ratios
to fp32 and the achieved GFLOP/s next to the fp32 matmul peak measured in the same process;
then the whole-scene path (`saropt urban`: reading, tiling, blending, writing) in fp32.

Random weights (speed does not depend on them); FLOPs counted by torch's FlopCounterMode
on one batch.

    python benchmarks/urban.py [--tile 256] [--batch 4] [--scene 1024] [--repeats 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from timing import matmul_peak, median_time
from torch.utils.flop_counter import FlopCounterMode

from saropt.inference.runtime import Runtime
from saropt.inference.urban import urban_scene
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.write import write_raster
from saropt.models import DualStreamUNet, save_model
from saropt.synth import generate_scene


def _scene_mpx(model: DualStreamUNet, size: int, tile: int, batch: int, runtime: Runtime) -> float:
    """Mpx/s of urban_scene on a generated ``size``^2 scene (13-band S2, VV/VH)."""
    s = generate_scene(height=size, width=size, seed=3, dates=1)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        s1 = write_raster(d / "s1.tif", Raster(s.sar[0], s.grid, None, S1_BANDS))
        s2 = write_raster(d / "s2.tif", Raster(s.optical, s.grid, 0, S2_BANDS))
        kwargs = {"sar_channels": 2, "optical_channels": 4, "width": 64}
        w = save_model(model, d / "urban", "dual_stream_unet", kwargs,
                       optical_bands=["B02", "B03", "B04", "B08"])  # fmt: skip
        t0 = time.perf_counter()
        urban_scene(s1, s2, w, d / "out.tif", tile=tile, batch_size=batch, runtime=runtime)
        return size * size / (time.perf_counter() - t0) / 1e6


def scene_rounds(size: int, tile: int, batch: int, rounds: int = 2) -> None:
    """Whole-scene Mpx/s, fp32 NCHW against channels_last (the default), interleaved."""
    model = DualStreamUNet().eval()
    print(f"saropt urban, full-size network, {size}^2 scene, tiles of {tile}, batch {batch}")
    runtimes = {"fp32": Runtime(), "channels_last": Runtime(channels_last=True)}
    for r in range(rounds):
        mpx = {k: _scene_mpx(model, size, tile, batch, rt) for k, rt in runtimes.items()}
        ratio = mpx["channels_last"] / mpx["fp32"]
        print(f"  round {r + 1}: fp32 {mpx['fp32']:.3f} Mpx/s, "
              f"channels_last {mpx['channels_last']:.3f} Mpx/s (x{ratio:.2f})")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--scene", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument(
        "--scene-only",
        action="store_true",
        help="only the whole-scene rows, fp32 and channels_last in two interleaved "
        "rounds (the bf16 rows take over half an hour on a CPU without bf16)",
    )
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.scene_only:
        scene_rounds(args.scene, args.tile, args.batch)
        return
    dev, n, t = args.device, args.batch, args.tile
    model = DualStreamUNet().eval().to(dev)
    sar, opt = torch.rand(n, 2, t, t, device=dev), torch.rand(n, 4, t, t, device=dev)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(sar, opt)
    flops = counter.get_total_flops()
    bf16 = DualStreamUNet().eval().to(dev, torch.bfloat16)
    bf16.load_state_dict(model.state_dict())
    last = DualStreamUNet().eval().to(dev, memory_format=torch.channels_last)
    last.load_state_dict(model.state_dict())

    def run(
        net: DualStreamUNet, a: torch.Tensor, b: torch.Tensor, autocast: bool = False
    ) -> Callable[[], object]:
        def call() -> object:
            with torch.inference_mode(), torch.autocast(dev, torch.bfloat16, enabled=autocast):
                return net(a, b).float().sum().item()

        return call

    cl = torch.channels_last
    settings = {
        "fp32": run(model, sar, opt),
        "channels_last": run(
            last, sar.contiguous(memory_format=cl), opt.contiguous(memory_format=cl)
        ),
        "bf16 autocast": run(model, sar, opt, autocast=True),
        "bf16 weights": run(bf16, sar.to(torch.bfloat16), opt.to(torch.bfloat16)),
    }
    times = {k: median_time(fn, args.repeats) for k, fn in settings.items()}
    peak = matmul_peak(dev)
    px = n * t * t
    print(
        f"dual-stream U-Net with MMTM, width 64 ({sum(p.numel() for p in model.parameters()):,} "
        f"weights), {n} tiles of {t}^2 per call, device {dev}, {torch.get_num_threads()} "
        f"threads; {flops / px / 1e3:.1f} kFLOP per pixel"
    )
    print(f"fp32 matmul peak measured here: {peak:.0f} GFLOP/s")
    base = times["fp32"]
    for name, sec in times.items():
        gflops = flops / sec / 1e9
        print(
            f"  {name:14s} {px / sec / 1e6:6.3f} Mpx/s  x{base / sec:4.2f} vs fp32  "
            f"{gflops:6.1f} GFLOP/s ({100 * gflops / peak:4.1f} % of fp32 matmul peak)"
        )
    if dev == "cpu":
        for name, rt in (("fp32", Runtime()), ("channels_last", Runtime(channels_last=True))):
            mpx = _scene_mpx(model, args.scene, t, n, rt)
            alone = px / times[name] / 1e6
            print(f"  whole scene    {mpx:6.3f} Mpx/s  (saropt urban, {name}, {args.scene}^2 "
                  f"scene, x{mpx / alone:4.2f} of the model alone)")  # fmt: skip


if __name__ == "__main__":
    main()
