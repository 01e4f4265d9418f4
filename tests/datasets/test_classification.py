"""Soft labels and the classification data: generated, SEN12MS (by layout), BigEarthNet
(real sample pairs), rasters on one grid, and unpaired training samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from saropt.datasets.classification import UnpairedModalities, bigearthnet_patches
from saropt.datasets.common import labelled_rasters
from saropt.datasets.datamodules import ClassificationDataModule
from saropt.datasets.labels import (
    BIGEARTHNET19,
    DFC_NINE,
    IGBP_TO_DFC,
    bigearthnet19_label,
    class_histogram,
)
from saropt.errors import ConfigError, GridMismatchError
from saropt.io.raster import Raster, read_raster
from saropt.io.write import write_raster
from tests.conftest import utm_grid
from tests.datasets.test_dream_and_samplers import database  # noqa: F401  (fixture)
from tests.datasets.test_readers import sen12ms  # noqa: F401  (fixture)


def test_class_histogram_ignores_unlabelled_pixels() -> None:
    codes = np.array([[0, 1, 1], [2, 2, 2], [9, 1, 0]])
    assert class_histogram(codes, [1, 2, 3]).tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert class_histogram(np.zeros((2, 2)), [1, 2]).tolist() == [0.0, 0.0]


def test_igbp_to_dfc_and_bigearthnet19() -> None:
    # forests -> 1, croplands and the cropland mosaic -> 6, water -> 10
    assert IGBP_TO_DFC[[1, 5, 12, 14, 17]].tolist() == [1, 1, 6, 6, 10]
    assert len(DFC_NINE) == 9 and "savanna" not in DFC_NINE
    assert len(BIGEARTHNET19) == 19
    olds = [n for v in BIGEARTHNET19.values() for n in v]
    assert len(olds) == len(set(olds)) == 32  # of the 43 CORINE labels, 11 have no class
    v = bigearthnet19_label(["Non-irrigated arable land", "Rice fields", "Peatbogs", "Airports"])
    names = list(BIGEARTHNET19)
    assert v[names.index("Arable land")] == v[names.index("Inland wetlands")] == 0.5
    assert v.sum() == pytest.approx(1.0)


def test_generated_training_samples_are_unpaired_and_validation_aligned() -> None:
    data = ClassificationDataModule(scene_size=128, scenes=2, train_length=16, val_length=8)
    data.setup()
    assert isinstance(data.train, UnpairedModalities)
    s = data.train[0]
    base = data.train.base
    assert torch.equal(s["sar"], base[0]["sar"]) and torch.equal(s["sar_label"], base[0]["label"])
    j = data.train.perm[0]
    assert torch.equal(s["optical"], base[j]["optical"])
    assert sum(i != p for i, p in enumerate(data.train.perm)) > 8  # mostly other places
    v = data.val[0]
    assert v["optical"].shape == (13, 32, 32) and v["sar"].shape == (2, 32, 32)
    assert v["label"].sum().item() == pytest.approx(1.0)


def test_sen12ms_winter_filter_and_dfc_soft_labels(sen12ms: tuple[Path, dict]) -> None:  # noqa: F811
    root, arrays = sen12ms
    with pytest.raises(Exception, match="winter"):  # the fixture has spring and fall only
        ClassificationDataModule("sen12ms", root).setup()
    data = ClassificationDataModule("sen12ms", root, seasons=("spring", "fall"))
    train, val = data.aligned()
    assert len(train) + len(val) == 3
    sample = val[0]  # patch 0 by name: ROIs1158_fall ... p2
    lc = arrays["ROIs1158_fall_lc_7_p2.tif"][0]
    codes = [["forest", "shrubland", "savanna", "grassland", "wetlands", "croplands",
              "urban", "snow_ice", "barren", "water"].index(c) + 1 for c in DFC_NINE]  # fmt: skip
    expected = class_histogram(IGBP_TO_DFC[lc], codes)
    assert np.allclose(sample["label"].numpy(), expected)


def test_bigearthnet_real_pairs_get_19_class_labels(data_dir: Path) -> None:
    ds = bigearthnet_patches(data_dir / "bigearthnet_s1s2")
    assert len(ds) == 6
    names = list(BIGEARTHNET19)
    labels = {tuple(np.flatnonzero(ds[i]["label"].numpy())) for i in range(6)}
    pastures = (names.index("Pastures"),)
    assert pastures in labels  # the patch labelled "Pastures" only
    s = ds[0]
    assert s["optical"].shape == (12, 120, 120) and s["sar"].shape == (2, 120, 120)


def _raster(path: Path, data: np.ndarray, **grid: float) -> Path:
    write_raster(path, Raster(data, utm_grid(**grid)))
    return path


def test_rasters_source_checks_the_label_grid(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    s1 = _raster(tmp_path / "s1.tif", rng.normal(-12, 3, (2, 80, 64)).astype(np.float32),
                 height=80, width=64)  # fmt: skip
    s2 = _raster(tmp_path / "s2.tif", rng.integers(1, 4000, (13, 80, 64)).astype(np.uint16),
                 height=80, width=64)  # fmt: skip
    good = _raster(tmp_path / "lc.tif", rng.integers(1, 6, (1, 80, 64)).astype(np.uint8),
                   height=80, width=64)  # fmt: skip
    data = ClassificationDataModule("rasters", s1=s1, s2=s2, labels=good, patch_size=16)
    train, _ = data.aligned()
    assert train[0]["label"].shape == (5,)
    other = _raster(tmp_path / "lc20.tif", rng.integers(1, 6, (1, 40, 32)).astype(np.uint8),
                    height=40, width=32, res=20.0)  # fmt: skip
    with pytest.raises(GridMismatchError):
        ClassificationDataModule("rasters", s1=s1, s2=s2, labels=other).aligned()
    with pytest.raises(ConfigError, match=r"data\.s1"):
        ClassificationDataModule("rasters", s1=s1).aligned()
    (opt, sar, lab), (vopt, vsar, vlab) = labelled_rasters((s1, s2, good), 16)
    assert opt.shape == (13, 64, 64) and sar.shape == (2, 64, 64) and lab.shape == (64, 64)
    assert vopt.shape == (13, 16, 64) and vsar.shape == (2, 16, 64) and vlab.shape == (16, 64)
    assert np.array_equal(np.concatenate([lab, vlab]), read_raster(good).data[0])  # rows kept
    with pytest.raises(ConfigError, match="too small for 80/20 row splits of 17 px"):
        labelled_rasters((s1, s2, good), 17)  # the validation part has 16 rows


def test_dream_tiles_give_osm_class_soft_labels(database: Path) -> None:  # noqa: F811
    data = ClassificationDataModule("dream", database, patch_size=32, train_length=8)
    assert data.class_names == ("none", "vegetation", "water", "road", "building")
    train, val = data.aligned()
    assert len(train) == 8 and len(val) > 0
    s = train[0]
    assert s["label"].shape == (5,) and s["label"].sum().item() == pytest.approx(1.0)
    assert s["optical"].shape == (13, 32, 32) and s["sar"].shape == (2, 32, 32)
