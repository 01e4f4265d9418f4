"""One table: every network family, every precision and backend, on this machine.

For each full-size network (random weights: speed does not depend on them) and each path
saropt can run it on (`saropt.inference.Runtime`: fp32 NCHW, the reference; channels_last;
torch.compile; ONNX Runtime; bf16 autocast and bf16 weights+activations), the best time
of one batch (of 3) through the network alone, as Mpx/s (dense outputs) or samples/s, the ratio
to the fp32 reference, GFLOP/s (FLOPs counted by torch's FlopCounterMode on one batch),
and the share of the fp32 matmul peak measured just before the row (a shared machine's
peak drifts within minutes, so each row gets its own). bf16 rows are held to the fp32
peak too: the header gives a bf16 matmul's rate, but on the CPU these figures come from
(AVX-512 BF16, no AMX) torch's bf16 matmul ran slower than its fp32 one, so it is no
ceiling for bf16 networks. Then the
cloud-removal cGAN's training step (`Pix2PixTask.adversarial_step`) at the paper's size:
plain fp32 against the fused Adam that `configs/cloud_removal_paper.yaml` turns on.

Where bf16 is emulated (no AVX-512 BF16, AMX or a recent GPU) the bf16 rows run one
sample, once. Whole-scene figures, with reading and writing, come from
`benchmarks/decloud_speed.py`; where time goes inside a network, from
`benchmarks/profile_inference.py`.

    python benchmarks/speed_table.py [--device cpu] [--repeats 3] [--family NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import sys
import time
import warnings
from collections.abc import Iterator

import torch
from families import FAMILIES, Family
from timing import matmul_peak
from torch.utils.flop_counter import FlopCounterMode

from saropt.inference import Runtime
from saropt.inference.runtime import native_bf16


def paths(device: str) -> list[tuple[str, Runtime]]:
    """The runtimes to time, the fp32 NCHW reference first."""
    out = [
        ("fp32", Runtime(device)),
        ("fp32 channels_last", Runtime(device, channels_last=True)),
        ("fp32 compiled", Runtime(device, channels_last=True, compile=True)),
    ]
    if importlib.util.find_spec("onnxruntime") and importlib.util.find_spec("onnx"):
        out.append(("fp32 onnx", Runtime(device, backend="onnx")))
    out += [
        ("bf16 autocast", Runtime(device, "bf16", channels_last=True)),
        ("bf16 pure", Runtime(device, "bf16-pure", channels_last=True)),
    ]
    if torch.device(device).type == "cuda":
        out.append(("fp16 autocast", Runtime(device, "fp16", channels_last=True)))
    return out


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1: torch's ONNX exporter prints its whole graph from C++
    when a network cannot be exported (the table says so in one line)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def time_path(family: Family, rt: Runtime, n: int, repeats: int) -> float:
    """Best seconds of one batch of ``n`` over ``repeats``, after the warm-up call that
    compiles or exports (the best, not the median: this shared machine's drift only ever
    slows a run down)."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "bf16 is emulated" and inductor's notes
        net = rt.prepare(family.build().eval())
        xs = family.inputs(n)
        with quiet_stdout():
            net(*xs)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        net(*xs)
        times.append(time.perf_counter() - t0)
    return min(times)


def inference_rows(name: str, family: Family, device: str, repeats: int) -> None:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        family.build().eval()(*family.inputs(1))
    flops = counter.get_total_flops()  # per sample
    unit = "Mpx/s" if family.pixels else "samples/s"
    emulated = not native_bf16(device)
    base = float("nan")
    for label, rt in paths(device):
        bf16 = rt.precision.startswith("bf16")
        n, reps = (1, 1) if bf16 and emulated else (family.batch, repeats)
        peak = matmul_peak(device)
        try:
            sec = time_path(family, rt, n, reps) / n  # per sample
        except Exception as exc:  # a backend that cannot take this network: say so
            why = (str(exc).strip().splitlines() or [""])[0]
            print(f"  {name:32s} {label:20s} not run: {type(exc).__name__}: {why}"[:150])
            continue
        if label == "fp32":
            base = sec
        rate = (family.pixels / 1e6 if family.pixels else 1.0) / sec
        gflops = flops / sec / 1e9
        note = " (1 sample, emulated bf16)" if bf16 and emulated else ""
        ratio = f"x{base / sec:.2f}"
        print(f"  {name:32s} {label:20s} {rate:9.3f} {unit:9s} {ratio:>6s} "
              f"{gflops:8.1f} {100 * gflops / peak:6.1f}% of {peak:4.0f}{note}")  # fmt: skip


def training_rows(device: str, rounds: int) -> None:
    from train_speed import make_step

    batch = torch.Generator().manual_seed(0)
    x, s, y = (torch.rand(1, c, 256, 256, generator=batch).to(device) * 2 - 1
               for c in (13, 2, 13))  # fmt: skip
    steps = {
        "fp32": make_step(64, 8, device, channels_last=False, bf16=False),
        "fp32 fused Adam": make_step(64, 8, device, channels_last=False, bf16=False, fused=True),
    }
    with FlopCounterMode(display=False) as counter:
        steps["fp32"](x, s, y)
    flops = counter.get_total_flops()
    for step in steps.values():
        step(x, s, y)  # warm-up
    spent = dict.fromkeys(steps, 0.0)
    peaks = []
    for _ in range(rounds):  # interleaved, so that drift falls on both alike
        peaks.append(matmul_peak(device))
        for label, step in steps.items():
            t0 = time.perf_counter()
            step(x, s, y)
            spent[label] += time.perf_counter() - t0
    peak = sum(peaks) / len(peaks)
    for label, sec in spent.items():
        gflops = flops * rounds / sec / 1e9
        ratio = f"x{spent['fp32'] / sec:.2f}"
        print(f"  {'cGAN training step (paper size)':32s} {label:20s} {rounds / sec:9.3f} "
              f"{'samples/s':9s} {ratio:>6s} {gflops:8.1f} "
              f"{100 * gflops / peak:6.1f}% of {peak:4.0f}")  # fmt: skip


def cpu_name() -> str:
    """The CPU's model name (Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES),
                    help="only these families (repeatable); all by default")  # fmt: skip
    ap.add_argument("--no-training", action="store_true", help="leave out the training rows")
    args = ap.parse_args()
    dev = args.device
    cpu = cpu_name()
    if torch.device(dev).type == "cuda":
        cpu = torch.cuda.get_device_name(dev)
    print(f"device {dev} ({cpu}), {torch.get_num_threads()} threads, bf16 "
          f"{'native' if native_bf16(dev) else 'emulated'}; the fp32 row of each network "
          "is the reference (x1.00)")  # fmt: skip
    bf16_n = 2048 if native_bf16(dev) else 256
    print(f"a {bf16_n}^2 bf16 matmul here: {matmul_peak(dev, n=bf16_n, dtype=torch.bfloat16):.0f}"
          " GFLOP/s")  # fmt: skip
    print(f"  {'network':32s} {'path':20s} {'speed':>9s} {'unit':9s} {'ratio':6s} "
          f"{'GFLOP/s':>8s} {'of the fp32 matmul peak (GFLOP/s)'}")  # fmt: skip
    for name in args.family or FAMILIES:
        inference_rows(name, FAMILIES[name], dev, args.repeats)
    if not args.no_training:
        training_rows(dev, rounds=3)


if __name__ == "__main__":
    main()
