"""Dense correlation (all shifts as one grouped convolution) against a loop over shifts.

python benchmarks/correlation.py [--batch 16] [--channels 16] [--template 32] [--search 64]
"""

from __future__ import annotations

import argparse

import torch
from timing import median_time

from saropt.layers.correlation import correlation_loop, dense_correlation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--template", type=int, default=64)
    ap.add_argument("--search", type=int, default=128)
    args = ap.parse_args()
    s = torch.randn(args.batch, args.channels, args.search, args.search)
    t = torch.randn(args.batch, args.channels, args.template, args.template)
    with torch.inference_mode():
        dense = median_time(lambda: dense_correlation(s, t), 10)
        conv = median_time(lambda: dense_correlation(s, t, "conv"), 3)
        loop = median_time(lambda: correlation_loop(s, t), 3)
        ref = correlation_loop(s, t)
        err = (dense_correlation(s, t) - ref).abs().max().item() / ref.abs().max().item()
    shifts = (args.search - args.template + 1) ** 2
    print(f"batch {args.batch}, {args.channels} channels, template {args.template}, search "
          f"{args.search}: {shifts} shifts")  # fmt: skip
    print(f"  dense, FFT (default):     {dense * 1e3:8.2f} ms")
    print(f"  dense, grouped conv:      {conv * 1e3:8.2f} ms")
    print(f"  loop over shifts:         {loop * 1e3:8.2f} ms")
    print(f"  speed-up of the default over the loop: {loop / dense:.0f}x (goal >= 10x)")
    print(f"  largest difference to the loop: {err:.1e} of the largest score")


if __name__ == "__main__":
    main()
