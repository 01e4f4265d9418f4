"""Shared fixtures: paths to the real sample data and small generated rasters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from saropt.io.grid import Grid
from saropt.io.raster import Raster
from saropt.io.write import write_raster

#: ../shared/data beside the project root (see ../shared/data/README.md).
DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real sample data; its absence is an error, not a skip."""
    if not DATA.is_dir():
        raise FileNotFoundError(f"real sample data expected at {DATA} (../shared/data)")
    return DATA


def utm_grid(height: int = 64, width: int = 48, res: float = 10.0) -> Grid:
    """A UTM 33N grid for tests."""
    return Grid.from_origin("EPSG:32633", 400000.0, 5100000.0, res, width, height)


@pytest.fixture
def optical_tif(tmp_path: Path) -> Path:
    """A 13-band uint16 reflectance GeoTIFF (64 x 48) with nodata 0 and band names."""
    from saropt.io.sentinel import S2_BANDS

    rng = np.random.default_rng(0)
    data = rng.integers(200, 4000, size=(13, 64, 48)).astype(np.uint16)
    path = tmp_path / "clear.tif"
    write_raster(path, Raster(data, utm_grid(), 0, S2_BANDS))
    return path


@pytest.fixture(scope="session")
def s1s2_scene(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 150 x 100 generated scene (a multiple of no tile or patch size) as GeoTIFFs: "s1"
    (VV, VH dB), "s2" (13 bands) and "s2_4" (B02, B03, B04, B08)."""
    from saropt.io.sentinel import S1_BANDS, S2_BANDS
    from saropt.synth import generate_scene

    out = tmp_path_factory.mktemp("s1s2_scene")
    s = generate_scene(height=100, width=150, seed=7, dates=1)
    return {
        "s1": write_raster(out / "s1.tif", Raster(s.sar[0], s.grid, None, S1_BANDS)),
        "s2": write_raster(out / "s2.tif", Raster(s.optical, s.grid, 0, S2_BANDS)),
        "s2_4": write_raster(out / "s2_4.tif", Raster(s.optical[[1, 2, 3, 7]], s.grid, 0)),
    }


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, float]]]:
    """A shift classifier trained once (about 10 s) for the experiment, tie-point and CLI
    tests: its run folder and its results against NCC."""
    from saropt.experiments.config import load_config
    from saropt.experiments.shift import ShiftConfig, train_shift_classifier

    out = tmp_path_factory.mktemp("shift")
    cfg = load_config(
        ShiftConfig,
        overrides=["data.scene_size=256", "data.train_length=256", "data.val_length=96",
                   "trainer.max_epochs=5"],
    )  # fmt: skip
    return out, train_shift_classifier(cfg, out)


#: The tiny classification setup of the tests: a 2-scene mosaic, 6 short epochs (~15 s).
TINY_CLASSIFICATION = [
    "data.scene_size=192", "data.scenes=2", "data.train_length=256", "data.val_length=128",
    "data.batch_size=16", "trainer.max_epochs=6", "model.latent=32", "model.lr=0.003",
]  # fmt: skip


@pytest.fixture(scope="session")
def classifier_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A cross-modal classifier trained once in setting C for the experiment, inference
    and CLI tests: its run folder and results."""
    from saropt.experiments.classification import ClassificationConfig, train_classification
    from saropt.experiments.config import load_config

    out = tmp_path_factory.mktemp("classification")
    cfg = load_config(ClassificationConfig, overrides=[*TINY_CLASSIFICATION, "model.setting=C"])
    return out, train_classification(cfg, out)


#: The tiny urban-mapping setup of the tests: two 128 px scenes, 32 px patches (~6 s a run).
TINY_URBAN = [
    "data.scene_size=128", "data.scenes=2", "data.patch_size=32", "data.train_length=128",
    "trainer.max_epochs=5", "model.width=4", "model.lr=0.003", "history_patches=16",
]  # fmt: skip


@pytest.fixture(scope="session")
def urban_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """A dual-stream U-Net with MMTM trained once for the experiment, inference and CLI
    tests: its run folder and results."""
    from saropt.experiments.config import load_config
    from saropt.experiments.urban import UrbanConfig, train_urban

    out = tmp_path_factory.mktemp("urban")
    return out, train_urban(load_config(UrbanConfig, overrides=TINY_URBAN), out)
