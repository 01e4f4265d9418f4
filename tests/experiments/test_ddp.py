"""Many devices: `saropt train` under DDP on two CPU processes (gloo) ends with the same
weights on both ranks, and only rank 0 writes the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from saropt.models import load_model


def test_ddp_on_two_cpu_processes_keeps_the_ranks_equal(tmp_path: Path) -> None:
    out = tmp_path / "run"
    sets = {
        "model.width": 4, "model.depth": 3, "model.disc_width": 4, "data.scene_size": 128,
        "data.train_length": 32, "data.val_length": 8, "data.batch_size": 4,
        "trainer.max_epochs": 1, "trainer.devices": 2, "trainer.strategy": "ddp",
        "trainer.accelerator": "cpu",
    }  # fmt: skip
    cmd = [sys.executable, "-m", "saropt", "train", "cloud-removal", "--out", str(out)]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={v}"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    ranks = json.loads((out / "ranks.json").read_text())
    assert ranks["world_size"] == 2 and ranks["strategy"] == "DDPStrategy"
    assert ranks["agree"] and len(set(ranks["weights_sha256"])) == 1
    # 32 patches over 2 ranks of batch 4: 4 steps each, logged once by rank 0
    lines = (out / "metrics.csv").read_text().strip().splitlines()
    header = lines[0].split(",")
    steps = {row.split(",")[header.index("step")] for row in lines[1:]}
    assert steps == {"3"}, lines
    load_model(out / "generator.safetensors")  # one complete weights file
    assert not list(out.glob(".*.tmp"))
