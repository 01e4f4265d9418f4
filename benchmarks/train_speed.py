"""Training-step throughput of the cloud-removal cGAN: plain fp32 against channels_last.

One step is what `Pix2PixTask.training_step` does (a PatchGAN step, then a generator step
with cGAN + 100 x L1, Adam, the EMA update), on random batches. The settings run in
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
from saropt.losses import discriminator_loss, generator_loss
from saropt.tasks.cloud_removal import CloudRemovalTask

Step = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], float]


def make_step(
    width: int, depth: int, device: str, channels_last: bool, bf16: bool, fused: bool = False
) -> Step:
    torch.manual_seed(0)
    task = CloudRemovalTask(13, 2, width=width, depth=depth, disc_width=width).to(device)
    if channels_last:
        task.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    g, d, ema = task.generator, task.discriminator, task.ema
    kw = {"lr": 2e-4, "betas": (0.5, 0.999), "fused": fused or None}
    opt_g = torch.optim.Adam(g.parameters(), **kw)  # type: ignore[arg-type]
    opt_d = torch.optim.Adam(d.parameters(), **kw)  # type: ignore[arg-type]
    dev = torch.device(device).type

    def step(x: torch.Tensor, s: torch.Tensor, y: torch.Tensor) -> float:
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=bf16):
            fake = g(x, s)
            cond = torch.cat([x, s], 1)
            d_loss = discriminator_loss(d(cond, y), d(cond, fake.detach()), "bce")
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        with torch.autocast(dev, dtype=torch.bfloat16, enabled=bf16):
            g_loss, _, _ = generator_loss(d(cond, fake), fake, y, l1_weight=100.0, mode="bce")
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        with torch.no_grad():
            torch._foreach_mul_(list(ema.parameters()), 0.99)
            torch._foreach_add_(list(ema.parameters()), list(g.parameters()), alpha=0.01)
        return float(g_loss.detach())

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
