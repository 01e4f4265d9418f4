"""ResNet-50 patch classification throughput on this machine: fp32, channels_last, bf16
autocast and bf16 weights, as patches per second, ratios to fp32, and the achieved
GFLOP/s next to the fp32 matmul peak measured in the same process.

The network is one branch of the full-size cross-modal classifier (ResNet-50 features,
three-layer projection to 1024-d, the shared classifier) on 13-band Sentinel-2 patches;
random weights (speed does not depend on them). FLOPs are counted by torch's
FlopCounterMode on one batch.

    python benchmarks/classification.py [--patch 128] [--batch 8] [--repeats 3]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from timing import matmul_peak, median_time
from torch.utils.flop_counter import FlopCounterMode

from saropt.models import CrossModalClassifier


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--patch", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()
    torch.manual_seed(0)
    dev = args.device
    model = CrossModalClassifier(9, 2, 13).eval().to(dev)
    x = torch.randn(args.batch, 13, args.patch, args.patch, device=dev)
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x, "s2")
    flops = counter.get_total_flops()
    bf16 = CrossModalClassifier(9, 2, 13).eval().to(dev, torch.bfloat16)
    bf16.load_state_dict(model.state_dict())
    last = CrossModalClassifier(9, 2, 13).eval().to(dev, memory_format=torch.channels_last)
    last.load_state_dict(model.state_dict())

    def run(
        net: CrossModalClassifier, inp: torch.Tensor, autocast: bool = False
    ) -> Callable[[], object]:
        def call() -> object:
            with torch.inference_mode(), torch.autocast(dev, torch.bfloat16, enabled=autocast):
                return net(inp, "s2").float().sum().item()

        return call

    settings = {
        "fp32": run(model, x),
        "channels_last": run(last, x.contiguous(memory_format=torch.channels_last)),
        "bf16 autocast": run(model, x, autocast=True),
        "bf16 weights": run(bf16, x.to(torch.bfloat16)),
    }
    times = {k: median_time(fn, args.repeats) for k, fn in settings.items()}
    peak = matmul_peak(dev)
    print(
        f"ResNet-50 branch, {args.batch} x 13 x {args.patch}^2 per call, device {dev}, "
        f"{torch.get_num_threads()} threads; {flops / args.batch / 1e9:.2f} GFLOP per patch"
    )
    print(f"fp32 matmul peak measured here: {peak:.0f} GFLOP/s")
    base = times["fp32"]
    for name, sec in times.items():
        gflops = flops / sec / 1e9
        print(
            f"  {name:14s} {args.batch / sec:7.1f} patches/s  x{base / sec:4.2f} vs fp32  "
            f"{gflops:6.1f} GFLOP/s ({100 * gflops / peak:4.1f} % of fp32 matmul peak)"
        )


if __name__ == "__main__":
    main()
