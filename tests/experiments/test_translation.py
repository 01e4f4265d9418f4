"""Optical -> SAR translation: it learns, exports, and translates whole scenes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from saropt.cli.main import EXIT_BAD_INPUT, app
from saropt.errors import BandCountError, ConfigError
from saropt.experiments.config import load_config
from saropt.experiments.translation import TranslationConfig, train_translation
from saropt.inference import TiledOptions, translate_scene
from saropt.io.raster import Raster, read_raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS
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


class TestTranslationOnDatabase:
    @pytest.mark.slow  # about a minute: the fast learning test is on generated scenes above
    def test_opt2sar_learns_from_database_tiles(self, tmp_path: Path) -> None:
        from saropt.database.build import BuildConfig, DatabaseInputs, build_database

        sc = generate_scene(height=384, width=384, seed=21, dates=2)
        s1 = [write_raster(tmp_path / f"s1_{k}.tif", Raster(sc.sar[k], sc.grid, None, S1_BANDS))
              for k in range(2)]  # fmt: skip
        s2 = write_raster(tmp_path / "s2.tif", Raster(sc.optical, sc.grid, 0, S2_BANDS))
        cfg = BuildConfig(tile_size=96, split_block=1)
        build_database(DatabaseInputs(s1=tuple(s1), s2=(s2,)), tmp_path / "db", cfg)
        over = [*TINY, "data.source=dream", f"data.root={tmp_path / 'db'}"]
        m = train_translation(load_config(TranslationConfig, overrides=over), tmp_path / "run")
        assert m["val/mae_db"] < 0.95 * m["val_baseline/mae_db"]

    def test_an_aerial_pauli_database_trains_with_its_own_bands(self, tmp_path: Path) -> None:
        from saropt.database.build import BuildConfig, DatabaseInputs, build_database
        from saropt.datasets.datamodules import TranslationDataModule
        from saropt.models import read_config
        from saropt.synth.pauli import write_pauli_site

        scene = generate_scene(height=128, width=128, seed=3, dates=1, resolution=5.0)
        site = write_pauli_site(scene, tmp_path / "site")
        pauli = DatabaseInputs(s1=tuple(site["sar"]), s2=(site["optical"],))
        cfg = BuildConfig(tile_size=32, split_block=1, sar_units="amplitude")
        build_database(pauli, tmp_path / "pdb", cfg)
        data = TranslationDataModule("sar2opt", source="dream", root=tmp_path / "pdb",
                                     patch_size=16, train_length=8, val_length=4)  # fmt: skip
        data.setup()
        assert data.train is not None
        s = data.train[0]
        assert s["source"].shape == (3, 16, 16) and s["target"].shape == (4, 16, 16)
        assert -1 <= float(s["target"].min()) and float(s["target"].max()) <= 1
        assert float(s["target"].std()) > 0.05  # 8-bit reflectance spread over [-1, 1]
        over = [*TINY, "data.source=dream", f"data.root={tmp_path / 'pdb'}",
                "trainer.max_epochs=1", "data.train_length=16"]  # fmt: skip
        train_translation(load_config(TranslationConfig, overrides=over), tmp_path / "prun")
        saved = read_config(tmp_path / "prun" / "generator.safetensors")
        assert saved["kwargs"]["in_channels"] == 4 and saved["kwargs"]["out_channels"] == 3
        assert saved["bands"] == ["red", "green", "blue", "nir"]
        assert saved["optical_scale"] == 255.0
        weights = tmp_path / "prun" / "generator.safetensors"
        out = translate_scene(site["optical"], weights, tmp_path / "pauli_like.tif",
                              options=TiledOptions(64, 16))  # fmt: skip
        r = read_raster(out)
        assert r.descriptions == ("HH-VV", "HV", "HH+VV") and r.data.shape == (3, 128, 128)
        assert -25 <= float(r.data.min()) and float(r.data.max()) <= 0  # dB of power
        with pytest.raises(ConfigError, match=r"needs data\.root"):
            train_translation(load_config(TranslationConfig, overrides=["data.source=dream"]),
                              tmp_path / "none")  # fmt: skip
        assert not (tmp_path / "none").exists()
