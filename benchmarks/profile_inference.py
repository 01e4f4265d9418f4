"""Where whole-scene inference spends its time: per step of the pipeline, and inside the
network per layer type.

For the cloud-removal generator (full size, random weights) over a generated scene through
`decloud_scene`: the share of wall time spent reading, normalising, in the model,
denormalising, blending and writing (`Timings`); then one batch through the model under
torch.profiler, its self CPU time summed per layer type (convolution, transposed
convolution, normalisation, activation, concatenation, copies).

    python benchmarks/profile_inference.py [--size 1024] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from decloud_speed import KW, write_scene
from torch.profiler import ProfilerActivity, profile

from saropt.inference import Runtime, TiledOptions, Timings, decloud_scene
from saropt.models import create_model, save_model

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
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=8)
    args = ap.parse_args()
    torch.manual_seed(0)
    model = create_model("sar_opt_cgan_generator", **KW).eval()
    runtime = Runtime(channels_last=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        weights = save_model(model, d / "g", "sar_opt_cgan_generator", KW)
        opt, sar = write_scene(d, args.size)
        timings = Timings()
        t0 = time.perf_counter()
        decloud_scene(opt, sar, weights, d / "out.tif", runtime=runtime, timings=timings,
                      options=TiledOptions(256, 32, args.batch_size))  # fmt: skip
        wall = time.perf_counter() - t0
    n = args.size
    print(f"decloud_scene, {n} x {n}, channels_last, batch {args.batch_size}: {wall:.1f} s wall")
    inner = timings.seconds.get("predicting", 0.0) - sum(
        timings.seconds.get(k, 0.0) for k in ("normalising", "model", "denormalising")
    )
    steps = dict(timings.seconds)
    steps.pop("predicting", None)
    steps["masking and copies (in the predictor)"] = inner
    steps["other (loading, opening, setup)"] = wall - sum(steps.values())
    for step, sec in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {step:40s} {sec:7.2f} s  {100 * sec / wall:5.1f} %")
    net = runtime.prepare(model)
    x, s = torch.rand(args.batch_size, 10, 256, 256), torch.rand(args.batch_size, 2, 256, 256)
    net(x, s)  # warm-up
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        net(x, s)
    per_type: dict[str, float] = defaultdict(float)
    for event in prof.key_averages():
        per_type[LAYER_TYPES.get(event.key, "other")] += event.self_cpu_time_total / 1e6
    total = sum(per_type.values())
    print(f"one batch of {args.batch_size} tiles through the model: {total:.2f} s of self CPU time")
    for kind, sec in sorted(per_type.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:40s} {sec:7.2f} s  {100 * sec / total:5.1f} %")


if __name__ == "__main__":
    main()
