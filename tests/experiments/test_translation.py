"""Optical -> SAR translation: it learns, exports, and translates whole scenes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.errors import BandCountError
from saropt.experiments.config import load_config
from saropt.experiments.translation import TranslationConfig, train_translation
from saropt.inference import TiledOptions, translate_scene
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from saropt.synth import generate_scene

TINY = ["model.width=8", "model.depth=4", "model.disc_width=8", "data.scene_size=192",
        "data.patch_size=32", "data.train_length=256", "data.val_length=32",
        "trainer.max_epochs=20"]  # fmt: skip


@pytest.fixture(scope="module")
def opt2sar(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    out = tmp_path_factory.mktemp("opt2sar")
    return out, train_translation(load_config(TranslationConfig, overrides=TINY), out)


class TestTranslation:
    def test_opt2sar_beats_predicting_the_band_means(
        self, opt2sar: tuple[Path, dict[str, float]]
    ) -> None:
        _, m = opt2sar
        assert m["val/mae_db"] < 0.95 * m["val_baseline/mae_db"]
        assert m["val/rmse_db"] < m["val_baseline/rmse_db"]

    def test_whole_scene_translation(
        self, opt2sar: tuple[Path, dict[str, float]], tmp_path: Path
    ) -> None:
        run, _ = opt2sar
        sc = generate_scene(height=100, width=140, seed=9, dates=1)
        src = write_raster(tmp_path / "s2.tif", Raster(sc.optical, sc.grid, 0))
        out = translate_scene(src, run / "generator.safetensors", tmp_path / "sar_like.tif",
                              options=TiledOptions(64, 16))  # fmt: skip
        r = read_raster(out)
        assert r.grid == sc.grid and r.data.dtype == np.float32
        assert r.descriptions == ("VV", "VH") and r.data.shape == (2, 100, 140)
        assert -30 < float(r.data.mean()) < 5  # dB
        four = write_raster(tmp_path / "four.tif", Raster(sc.optical[:4], sc.grid, 0))
        with pytest.raises(BandCountError, match="takes 13"):
            translate_scene(four, run / "generator.safetensors", tmp_path / "x.tif")

    def test_cli(self, opt2sar: tuple[Path, dict[str, float]], tmp_path: Path) -> None:
        run, _ = opt2sar
        sc = generate_scene(height=64, width=64, seed=1, dates=1)
        src = write_raster(tmp_path / "s2.tif", Raster(sc.optical, sc.grid, 0))
        args = ["translate", "--input", str(src), "--out", str(tmp_path / "o.tif")]
        res = CliRunner().invoke(app, [*args, "--weights", str(run / "generator.safetensors")])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(app, [*args, "--weights", str(tmp_path / "missing.safetensors")])
        assert res.exit_code == EXIT_BAD_INPUT
