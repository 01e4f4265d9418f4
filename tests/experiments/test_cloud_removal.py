"""Cloud-removal training: it learns, it resumes exactly, it exports loadable weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from saropt.experiments.cloud_removal import CloudRemovalConfig, train_cloud_removal
from saropt.experiments.config import load_config
from saropt.models import load_model

TINY = ["model.width=8", "model.depth=4", "model.disc_width=8", "data.scene_size=192",
        "data.patch_size=32", "data.train_length=64", "data.val_length=32"]  # fmt: skip


def tiny(*overrides: str) -> CloudRemovalConfig:
    """The tiny config shrunk further for tests, plus ``overrides``."""
    return load_config(CloudRemovalConfig, overrides=[*TINY, *overrides])


class TestTraining:
    def test_short_run_beats_the_cloudy_input_and_exports(self, tmp_path: Path) -> None:
        cfg = tiny("trainer.max_epochs=10", "data.train_length=128")
        m = train_cloud_removal(cfg, tmp_path)
        assert m["val/rmse_cloudy"] < 0.5 * m["val_input/rmse_cloudy"]
        assert m["val/sam_cloudy"] < m["val_input/sam_cloudy"]
        assert (tmp_path / "metrics.csv").exists() and (
            tmp_path / "checkpoints" / "last.ckpt"
        ).exists()
        model, config = load_model(tmp_path / "generator.safetensors")
        assert config["model"] == "sar_opt_cgan_generator" and config["bands"][0] == "B01"
        assert json.loads((tmp_path / "generator.json").read_text())["metrics"][
            "val/rmse"
        ] == pytest.approx(m["val/rmse"])
        with torch.inference_mode():
            y = model(torch.zeros(1, 13, 32, 32), torch.zeros(1, 2, 32, 32))
        assert y.shape == (1, 13, 32, 32)

    def test_resumed_run_ends_where_an_uninterrupted_one_does(self, tmp_path: Path) -> None:
        cfg = tiny("trainer.max_epochs=2")
        full = train_cloud_removal(cfg, tmp_path / "full")
        train_cloud_removal(tiny("trainer.max_epochs=1"), tmp_path / "half")
        resumed = train_cloud_removal(
            cfg, tmp_path / "resumed", resume=tmp_path / "half" / "checkpoints" / "last.ckpt"
        )
        for key in ("val/rmse", "val/sam", "val/rmse_cloudy", "val/ssim"):
            assert resumed[key] == pytest.approx(full[key], rel=1e-5, abs=1e-6), key


class TestFastTraining:
    def test_fast_step_follows_the_plain_loss_curve_over_50_steps(self, tmp_path: Path) -> None:
        """Fused Adam: 5 epochs of 10 steps, the per-epoch losses and the validation
        scores within tolerance of the plain fp32 run's."""
        import csv

        runs = {}
        for name, extra in (
            ("plain", []),
            ("fast", ["model.fused_adam=true"]),
        ):
            cfg = tiny("trainer.max_epochs=5", "data.train_length=80", *extra)
            runs[name] = train_cloud_removal(cfg, tmp_path / name)
            with (tmp_path / name / "metrics.csv").open() as f:
                rows = [r for r in csv.DictReader(f) if r.get("train/l1")]
            runs[name]["curve"] = [float(r["train/l1"]) for r in rows]  # type: ignore[assignment]
        plain, fast = runs["plain"], runs["fast"]
        assert len(plain["curve"]) == 5  # type: ignore[arg-type]
        assert fast["curve"] == pytest.approx(plain["curve"], rel=0.05)
        ckpt = torch.load(tmp_path / "fast" / "checkpoints" / "last.ckpt", weights_only=False)
        assert all(o["param_groups"][0]["fused"] for o in ckpt["optimizer_states"])  # it ran
        for key in ("val/rmse", "val/rmse_cloudy"):
            assert fast[key] == pytest.approx(plain[key], rel=0.05), key


class TestPaperConfig:
    def test_paper_yaml_follows_the_paper_and_builds_the_full_generator(self) -> None:
        from saropt.experiments.cloud_removal import build_task

        root = Path(__file__).resolve().parents[2]
        cfg = load_config(CloudRemovalConfig, root / "configs" / "cloud_removal_paper.yaml")
        # Grohnfeldt et al. 2018, section 4: 10 bands of 10/20 m, 256 px, 5 epochs
        assert len(cfg.data.bands) == 10 and not {"B01", "B09", "B10"} & set(cfg.data.bands)
        assert cfg.data.patch_size == 256 and cfg.trainer.max_epochs == 5
        assert (cfg.model.dropout, cfg.model.l1_weight, cfg.model.ema_decay) == (0.4, 100, 0.99)
        task = build_task(cfg)
        assert sum(p.numel() for p in task.generator.parameters()) == 167_690_954


class TestSen12mscrData:
    def test_training_from_the_sen12mscr_layout(self, tmp_path: Path) -> None:
        """Real-layout training data: cloudy/clear/S1 patches written as SEN12MS-CR files."""
        import numpy as np

        from saropt.io.grid import Grid
        from saropt.io.raster import Raster
        from saropt.io.write import write_raster
        from saropt.synth import generate_scene
        from saropt.transforms import add_clouds

        sc = generate_scene(height=256, width=256, seed=5, dates=1)
        roi = "ROIs1158_spring"
        k = 0
        for r in range(0, 256, 32):
            for c in range(0, 256, 32):
                grid = Grid.from_origin(
                    "EPSG:32633", 500000.0 + c * 10, 5100000.0 - r * 10, 10.0, 32, 32
                )
                clear = sc.optical[:, r : r + 32, c : c + 32]
                cloudy, _ = add_clouds(clear, 0.5, k)
                for kind, data in (("s1", sc.sar[0, :, r : r + 32, c : c + 32]), ("s2", clear),
                                   ("s2_cloudy", cloudy)):  # fmt: skip
                    name = f"{roi}_{kind}_1_p{k}.tif"
                    write_raster(tmp_path / "data" / f"{roi}_{kind}" / f"{kind}_1" / name,
                                 Raster(np.asarray(data), grid))  # fmt: skip
                k += 1
        cfg = tiny("data.source=sen12mscr", f"data.root={tmp_path / 'data'}",
                   "trainer.max_epochs=15", "data.batch_size=4")  # fmt: skip
        m = train_cloud_removal(cfg, tmp_path / "run")
        assert m["val/rmse_cloudy"] < 0.5 * m["val_input/rmse_cloudy"]
