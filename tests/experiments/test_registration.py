"""Registration training data, the network fitting deformed SAR-optical pairs, a tiny
training run, the comparison table, and the `saropt register` command end to end."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from saropt.cli.main import app
from saropt.datasets.registration import (
    ArrayPairs,
    DeformedPairs,
    RegistrationDataModule,
    pick_optical,
)
from saropt.errors import BandCountError, ConfigError
from saropt.experiments.config import load_config
from saropt.experiments.registration import RegistrationConfig, train_registration
from saropt.io.raster import read_raster
from saropt.models.registration import PWCMultimodal, multiscale_epe_loss
from saropt.transforms.flow import warp

TINY = ["data.scene_size=160", "data.scenes=1", "data.patch_size=64", "data.train_length=16",
        "data.val_length=8", "model.levels=4", "trainer.max_epochs=1"]  # fmt: skip


def _smooth(size: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.stack([np.sin(x / 6.0) + np.cos((x + 2 * y) / 9.0), np.cos(y / 7.0)])


class TestDeformedPairs:
    def test_target_registers_the_moving_patch_back(self) -> None:
        img = _smooth()
        data = DeformedPairs(ArrayPairs([(img, img)]), size=64, max_shift=6.0, length=4, seed=1)
        for i in range(4):
            s = data[i]
            assert s["target"].norm(dim=0).amax() <= 6.0 + 1e-4
            back = warp(s["optical"][None], s["target"][None])[0]
            assert (back - s["sar"]).abs()[:, 8:-8, 8:-8].amax() < 0.05  # beyond 6 px
        torch.testing.assert_close(data[2]["optical"], data[2]["optical"])
        assert not torch.equal(data[1]["target"], data[2]["target"])

    def test_errors(self) -> None:
        small = DeformedPairs(ArrayPairs([(_smooth(40), _smooth(40))]), size=32, length=1)
        with pytest.raises(ConfigError, match="too small"):
            small[0]
        with pytest.raises(BandCountError, match="Level-2A"):
            pick_optical(np.zeros((5, 2, 2)), ("B02", "B03"), "x.tif")
        assert pick_optical(np.arange(12)[:, None, None], ("B02", "B08"), "x")[
            :, 0, 0
        ].tolist() == [1, 7]
        with pytest.raises(ConfigError, match=r"needs data\.root"):
            RegistrationDataModule("bigearthnet")


class TestLearning:
    def test_network_fits_deformed_sar_optical_pairs(self) -> None:
        dm = RegistrationDataModule(scene_size=160, scenes=1, patch_size=64, train_length=4,
                                    max_shift=6.0)  # fmt: skip
        dm.setup()
        assert dm.train is not None
        batch = next(iter(torch.utils.data.DataLoader(dm.train, batch_size=4)))
        torch.manual_seed(0)
        net = PWCMultimodal(2, 4, width=4, levels=4)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        for _ in range(120):
            loss = multiscale_epe_loss(net.pyramid_flows(batch["sar"], batch["optical"]),
                                       batch["target"])  # fmt: skip
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.inference_mode():
            epe = (net(batch["sar"], batch["optical"]) - batch["target"]).norm(dim=1).mean()
        zero = batch["target"].norm(dim=1).mean()
        assert epe < 0.5 * zero, (float(epe), float(zero))


def test_tiny_run_and_register_command(tmp_path: Path, s1s2_scene: dict[str, Path]) -> None:
    cfg = load_config(RegistrationConfig, overrides=TINY)
    r = train_registration(cfg, tmp_path / "run")
    assert math.isfinite(r["network"]["epe"]) and r["zero"]["epe"] > 0
    weights = tmp_path / "run" / "registration.safetensors"
    runner = CliRunner()
    out, flow = tmp_path / "reg.tif", tmp_path / "flow.tif"
    res = runner.invoke(app, ["register", "--fixed", str(s1s2_scene["s1"]), "--moving",
                              str(s1s2_scene["s2"]), "--weights", str(weights), "--out", str(out),
                              "--flow", str(flow), "--tile", "64", "--overlap", "16"])  # fmt: skip
    assert res.exit_code == 0, res.output
    moving, got = read_raster(s1s2_scene["s2"]), read_raster(out)
    assert (got.grid, got.count, got.data.dtype, got.nodata) == (
        moving.grid, 13, moving.data.dtype, moving.nodata)  # fmt: skip
    f = read_raster(flow)
    assert f.count == 2 and f.descriptions == ("dx", "dy") and np.isfinite(f.data).all()
    bad = runner.invoke(app, ["register", "--fixed", str(s1s2_scene["s2"]), "--moving",
                              str(s1s2_scene["s2"]), "--weights", str(weights), "--out",
                              str(tmp_path / "bad.tif")])  # fmt: skip
    assert bad.exit_code == 2 and "BandCountError" in bad.output
    assert not (tmp_path / "bad.tif").exists()
