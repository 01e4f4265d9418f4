"""A tiny SAR-Opt-cGAN on the real BigEarthNet-MM pairs with real cloud-probability maps.

Trains on five of the six pairs in ../shared/data (first half of eo-learn's 68 CLP maps as
clouds) and validates on the held-out pair 2 with the other half of the maps; prints the
validation metrics of the model and of the cloudy input after each number of epochs.

    python benchmarks/cloud_removal_real.py [--data ../shared/data] [--epochs 10 30]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from saropt.experiments.cloud_removal import train_on_bigearthnet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--epochs", type=int, nargs="+", default=[10, 30])
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    clp = np.load(args.data / "eolearn_s2_slovenia" / "CLP.npy")[..., 0]
    keys = ("rmse_cloudy", "sam_cloudy", "rmse_clear", "sam_clear", "rmse", "ssim")
    print(f"{'':18s}" + "".join(f"{k:>12s}" for k in keys))
    for epochs in args.epochs:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            m = train_on_bigearthnet(args.data / "bigearthnet_s1s2", clp, tmp, epochs=epochs)
            sec = time.perf_counter() - t0
        row = "".join(f"{m[f'val/{k}']:12.4f}" for k in keys)
        print(f"{f'model, {epochs} ep':18s}{row}   ({sec:.0f} s)")
    print(f"{'cloudy input':18s}" + "".join(
        f"{m[f'val_input/{k}']:12.4f}" if f"val_input/{k}" in m else f"{'-':>12s}" for k in keys
    ))  # fmt: skip


if __name__ == "__main__":
    main()
