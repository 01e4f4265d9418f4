"""Where whole-scene inference spends its time: per step of the pipeline, and inside each
network per layer type.

For the full-size cloud-removal generator and urban dual-stream U-Net (random weights)
over a generated scene through `decloud_scene` and `urban_scene`: the share of wall time
spent reading, normalising, in the model, denormalising, blending and writing
(`Timings`). Then, for every network family of `benchmarks/families.py` (cloud removal,
urban, registration, classification, matching), one batch through the network under
torch.profiler, its self CPU time summed per layer type (convolution, transposed
convolution, normalisation, activation, matrix products, sampling, concatenation, copies).

    python benchmarks/profile_inference.py [--size 1024] [--batch-size 8] [--family NAME]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from decloud_speed import KW, write_scene
from families import FAMILIES, Family
from torch.profiler import ProfilerActivity, profile

from saropt.inference import Runtime, TiledOptions, Timings, decloud_scene
from saropt.inference.urban import urban_scene
from saropt.io.raster import Raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.io.write import write_raster
from saropt.models import create_model, save_model
from saropt.synth import generate_scene

#: aten operator -> layer type (anything else is "other").
LAYER_TYPES = {
    "aten::mkldnn_convolution": "convolution",
    "aten::convolution": "convolution",
    "aten::_convolution": "transposed convolution",  # its own time: the transposed path
    "aten::slow_conv_transpose2d": "transposed convolution",
    "aten::native_batch_norm": "batch norm",
    "aten::_native_batch_norm_legit_no_training": "batch norm",
    "aten::leaky_relu": "activation",
    "aten::relu": "activation",
    "aten::clamp_min": "activation",
    "aten::tanh": "activation",
    "aten::cat": "concatenation",
    "aten::copy_": "copies and layout",
    "aten::clone": "copies and layout",
    "aten::contiguous": "copies and layout",
    "aten::addmm": "matrix products",
    "aten::mm": "matrix products",
    "aten::bmm": "matrix products",
    "aten::grid_sampler_2d": "sampling",
    "aten::upsample_bilinear2d": "sampling",
    "aten::max_pool2d_with_indices": "pooling",
    "aten::mean": "pooling",
    "aten::sigmoid": "activation",
    "aten::relu_": "activation",
    "aten::leaky_relu_": "activation",
    "aten::max_pool2d": "pooling",
    "aten::mkldnn_max_pool2d": "pooling",
    "aten::adaptive_avg_pool2d": "pooling",
    "aten::_adaptive_avg_pool2d": "pooling",
    "aten::_softmax": "activation",
    "aten::mul": "elementwise",
    "aten::add": "elementwise",
    "aten::add_": "elementwise",
    "aten::sub": "elementwise",
}


def print_shares(title: str, timings: Timings, wall: float) -> None:
    """Each pipeline step's seconds and share of ``wall``."""
    print(f"{title}: {wall:.1f} s wall")
    inner = timings.seconds.get("predicting", 0.0) - sum(
        timings.seconds.get(k, 0.0) for k in ("normalising", "model", "denormalising")
    )
    steps = dict(timings.seconds)
    steps.pop("predicting", None)
    steps["masking and copies (in the predictor)"] = inner
    steps["other (loading, opening, setup)"] = wall - sum(steps.values())
    for step, sec in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {step:40s} {sec:7.2f} s  {100 * sec / wall:5.1f} %")


def decloud_shares(size: int, batch: int, runtime: Runtime) -> None:
    torch.manual_seed(0)
    model = create_model("sar_opt_cgan_generator", **KW).eval()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        weights = save_model(model, d / "g", "sar_opt_cgan_generator", KW)
        opt, sar = write_scene(d, size)
        timings = Timings()
        t0 = time.perf_counter()
        decloud_scene(opt, sar, weights, d / "out.tif", runtime=runtime, timings=timings,
                      options=TiledOptions(256, 32, batch))  # fmt: skip
        wall = time.perf_counter() - t0
    print_shares(f"decloud_scene, {size} x {size}, channels_last, batch {batch}", timings, wall)


def urban_shares(size: int, batch: int, runtime: Runtime) -> None:
    torch.manual_seed(0)
    scene = generate_scene(height=size, width=size, seed=3, dates=1)
    kwargs = {"sar_channels": 2, "optical_channels": 4, "width": 64}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        s1 = write_raster(d / "s1.tif", Raster(scene.sar[0], scene.grid, None, S1_BANDS))
        s2 = write_raster(d / "s2.tif", Raster(scene.optical, scene.grid, 0, S2_BANDS))
        model = create_model("dual_stream_unet", **kwargs).eval()
        bands = ["B02", "B03", "B04", "B08"]
        w = save_model(model, d / "urban", "dual_stream_unet", kwargs, optical_bands=bands)
        timings = Timings()
        t0 = time.perf_counter()
        urban_scene(s1, s2, w, d / "out.tif", tile=256, batch_size=batch, runtime=runtime,
                    timings=timings)  # fmt: skip
        wall = time.perf_counter() - t0
    print_shares(f"urban_scene, {size} x {size}, channels_last, batch {batch}", timings, wall)


def layer_profile(name: str, family: Family, runtime: Runtime) -> None:
    """Self CPU time of one batch through the network, per layer type."""
    torch.manual_seed(0)
    net = runtime.prepare(family.build().eval())
    xs = family.inputs(family.batch)
    net(*xs)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        net(*xs)
    per_type: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        per_type[LAYER_TYPES.get(event.key, "other")] += event.self_cpu_time_total / 1e6
    total = sum(per_type.values())
    print(f"{name}, one batch of {family.batch}: {total:.2f} s of self CPU time")
    for kind, sec in sorted(per_type.items(), key=lambda kv: -kv[1]):
        if sec / total >= 0.005:
            print(f"  {kind:40s} {sec:7.2f} s  {100 * sec / total:5.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES),
                    help="profile only these networks (repeatable); all by default")  # fmt: skip
    args = ap.parse_args()
    runtime = Runtime(channels_last=True)
    decloud_shares(args.size, args.batch_size, runtime)
    urban_shares(args.size, args.batch_size, runtime)
    for name in args.family or FAMILIES:
        layer_profile(name, FAMILIES[name], runtime)


if __name__ == "__main__":
    main()
