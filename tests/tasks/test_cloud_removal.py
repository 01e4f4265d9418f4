"""Cloud-removal training: it learns, it resumes exactly, it exports loadable weights."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

from saropt.models import load_model
from saropt.tasks.cloud_removal import CloudRemovalConfig, train_cloud_removal

warnings.filterwarnings("ignore", ".*does not have many workers.*")

TINY = {"width": 8, "depth": 4, "disc_width": 8, "scene_size": 192, "patch_size": 32,
        "train_length": 64, "val_length": 32, "batch_size": 8}  # fmt: skip


class TestTraining:
    def test_short_run_beats_the_cloudy_input_and_exports(self, tmp_path: Path) -> None:
        cfg = CloudRemovalConfig(epochs=10, **{**TINY, "train_length": 128})
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
        cfg = CloudRemovalConfig(epochs=2, **TINY)
        full = train_cloud_removal(cfg, tmp_path / "full")
        train_cloud_removal(cfg, tmp_path / "half", max_epochs=1)
        resumed = train_cloud_removal(
            cfg, tmp_path / "resumed", resume=tmp_path / "half" / "checkpoints" / "last.ckpt"
        )
        for key in ("val/rmse", "val/sam", "val/rmse_cloudy", "val/ssim"):
            assert resumed[key] == pytest.approx(full[key], rel=1e-5, abs=1e-6), key


class TestConfig:
    def test_tiny_yaml_is_the_default_config(self) -> None:
        root = Path(__file__).resolve().parents[2]
        assert CloudRemovalConfig.from_yaml(root / "configs" / "cloud_removal_tiny.yaml") == (
            CloudRemovalConfig()
        )

    def test_paper_yaml_builds_the_full_generator(self) -> None:
        from saropt.tasks.cloud_removal import build_task

        root = Path(__file__).resolve().parents[2]
        cfg = CloudRemovalConfig.from_yaml(root / "configs" / "cloud_removal_paper.yaml")
        task = build_task(cfg)
        assert sum(p.numel() for p in task.generator.parameters()) == 167_690_954

    def test_unknown_key(self, tmp_path: Path) -> None:
        from saropt.errors import ConfigError

        (tmp_path / "c.yaml").write_text("widht: 3\n")
        with pytest.raises(ConfigError, match="widht"):
            CloudRemovalConfig.from_yaml(tmp_path / "c.yaml")


class TestSen12mscrData:
    def test_training_from_the_sen12mscr_layout(self, tmp_path: Path) -> None:
        """Real-layout training data: cloudy/clear/S1 patches written as SEN12MS-CR files."""
        import numpy as np

        from saropt.io.raster import Grid, Raster, write_raster
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
        cfg = CloudRemovalConfig(data="sen12mscr", data_root=str(tmp_path / "data"), epochs=15,
                                 **{**TINY, "batch_size": 4})  # fmt: skip
        m = train_cloud_removal(cfg, tmp_path / "run")
        assert m["val/rmse_cloudy"] < 0.5 * m["val_input/rmse_cloudy"]
