"""Training-step throughput of the cloud-removal cGAN: plain fp32 against channels_last.

One step is `Pix2PixTask.adversarial_step`, what Lightning's training step runs (a
PatchGAN step, then a generator step with cGAN + 100 x L1, the task's Adam, the EMA
update), on random batches. The settings run in
interleaved rounds (a few steps each, round after round) so that the drift of this shared
machine's speed falls on all of them alike; the table gives samples/s summed over the
rounds and the ratio to plain fp32. bf16 rows run only where the device has native bf16.

    python benchmarks/train_speed.py [--device cpu] [--rounds 4]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from saropt.inference.runtime import native_bf16
from saropt.tasks.cloud_removal import CloudRemovalTask

Step = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], float]


def make_step(
    width: int, depth: int, device: str, channels_last: bool, bf16: bool, fused: bool = False
) -> Step:
    """The task's own step (`Pix2PixTask.adversarial_step`, its own optimisers) on a batch."""
    torch.manual_seed(0)
    task = CloudRemovalTask(13, 2, width=width, depth=depth, disc_width=width, fused_adam=fused)
    task.to(device)
    if channels_last:
        task.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    opt_g, opt_d = task.configure_optimizers()
    dev = torch.device(device).type

    def step(x: torch.Tensor, s: torch.Tensor, y: torch.Tensor) -> float:
        inputs, cond, target = task.split_batch({"cloudy": x, "sar": s, "target": y})
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=bf16):
            losses = task.adversarial_step(
                inputs, cond, target, opt_g, opt_d, lambda loss: loss.backward()
            )
        return float(losses["g_loss"].detach())

    return step


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    dev = args.device
    settings = [("fp32", False, False, False), ("fp32 channels_last", True, False, False),
                ("fp32 fused Adam", False, False, True)]  # fmt: skip
    if native_bf16(dev):
        settings += [
            ("bf16-mixed", False, True, False),
            ("bf16-mixed channels_last", True, True, False),
        ]
    print(f"cloud-removal cGAN training step, device {dev}, {torch.get_num_threads()} threads")
    for label, width, depth, px, batch, steps in (
        ("tiny (width 16, depth 5, 64 px, batch 8)", 16, 5, 64, 8, 6),
        ("paper (width 64, depth 8, 256 px, batch 1)", 64, 8, 256, 1, 1),
    ):
        gen = torch.Generator().manual_seed(0)
        x, s, y = (torch.rand(batch, c, px, px, generator=gen, device="cpu").to(dev) * 2 - 1
                   for c in (13, 2, 13))  # fmt: skip
        runs = {name: make_step(width, depth, dev, *flags) for name, *flags in settings}
        for step in runs.values():
            step(x, s, y)  # warm-up
        spent = dict.fromkeys(runs, 0.0)
        for _ in range(args.rounds):
            for name, step in runs.items():
                t0 = time.perf_counter()
                for _ in range(steps):
                    step(x, s, y)
                if dev.startswith("cuda"):
                    torch.cuda.synchronize()
                spent[name] += time.perf_counter() - t0
        samples = args.rounds * steps * batch
        print(f"  {label}")
        for name, sec in spent.items():
            print(f"    {name:28s} {samples / sec:8.2f} samples/s  x{spent['fp32'] / sec:4.2f}")


if __name__ == "__main__":
    main()
