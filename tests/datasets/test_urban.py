"""Urban labels and samples: generated footprints, rasters, DREAM tiles and the SEN12 GUM
layout (a small fixture written in it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from saropt.datasets.urban import NODATA_LABEL, SEN12GUM, check_labels, flip_rotate
from saropt.datasets.urban_datamodule import UrbanDataModule, generated_urban
from saropt.errors import BandCountError, ConfigError, InvalidValueError
from saropt.io.raster import Raster
from saropt.io.write import write_raster
from tests.conftest import utm_grid
from tests.datasets.test_dream_and_samplers import database  # noqa: F401  (fixture)


def test_labels_accept_only_zero_one_and_nodata() -> None:
    lab = np.array([[0, 1], [255, 1]], np.uint8)
    out = check_labels(lab, 255, "lab.tif")
    assert out.tolist() == [[0, 1], [NODATA_LABEL, 1]]
    with pytest.raises(InvalidValueError, match=r"lab\.tif' holds 2"):
        check_labels(np.array([[0, 2]]), None, "lab.tif")
    with pytest.raises(InvalidValueError):
        check_labels(lab, None, "lab.tif")  # 255 is not declared nodata


def test_flip_rotate_moves_every_array_alike() -> None:
    a = np.arange(2 * 4 * 4).reshape(2, 4, 4)
    b = a[:1] * 10
    for seed in range(8):
        fa, fb = flip_rotate([a, b], torch.Generator().manual_seed(seed))
        assert np.array_equal(fa[:1] * 10, fb)


def test_generated_labels_are_the_building_footprints() -> None:
    opt, sar, lab = generated_urban(range(0, 1), 128, ("B02", "B03", "B04", "B08"))
    assert opt.shape == (4, 128, 128) and sar.shape == (2, 128, 128)
    assert set(np.unique(lab)) <= {0, 1} and 0.002 < lab.mean() < 0.3
    # buildings bounce the radar back: built-up pixels are brighter in VV on average
    assert sar[0][lab == 1].mean() > sar[0][lab == 0].mean() + 3


def test_generated_module_validates_on_whole_patches_of_a_held_out_scene() -> None:
    data = UrbanDataModule(scene_size=96, scenes=2, patch_size=32, train_length=20)
    data.setup()
    assert data.train is not None and data.val is not None
    assert len(data.train) == 20 and len(data.val) == 3 * 3  # 96 / 32 per side, one scene
    s = data.train[0]
    assert s["sar"].shape == (2, 32, 32) and s["optical"].shape == (4, 32, 32)
    assert s["label"].shape == s["valid"].shape == (1, 32, 32)
    assert 0 <= s["optical"].min() and s["optical"].max() <= 1
    positives = sum(bool(data.train[i]["label"].any()) for i in range(20))
    assert positives >= 8  # about half the patches are drawn to hold built-up land
    with pytest.raises(ConfigError, match="multiple of 4"):
        UrbanDataModule(patch_size=30)
    with pytest.raises(ConfigError, match="B99"):
        UrbanDataModule(optical_bands=("B02", "B99"))


def _raster(path: Path, data: np.ndarray, nodata: float | None = None) -> Path:
    h, w = data.shape[1:]
    write_raster(path, Raster(data, utm_grid(height=h, width=w), nodata=nodata))
    return path


def test_rasters_source_selects_bands_and_refuses_bad_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    s1 = _raster(tmp_path / "s1.tif", rng.normal(-12, 3, (2, 80, 64)).astype(np.float32))
    s2 = _raster(tmp_path / "s2.tif", rng.integers(1, 4000, (13, 80, 64)).astype(np.uint16))
    lab = rng.integers(0, 2, (1, 80, 64)).astype(np.uint8)
    lab[0, 64:68] = 255  # the first rows of the validation part (the bottom 20 %)
    good = _raster(tmp_path / "lab.tif", lab, nodata=255)
    data = UrbanDataModule("rasters", s1=s1, s2=s2, labels=good, patch_size=16, train_length=4)
    data.setup()
    assert data.val is not None and data.train is not None
    assert data.train[0]["optical"].shape == (4, 16, 16)
    first = data.val[0]
    assert not first["valid"][0, :4].any() and first["valid"][0, 4:].all()
    bad = _raster(tmp_path / "bad.tif", rng.integers(0, 3, (1, 80, 64)).astype(np.uint8))
    with pytest.raises(InvalidValueError, match=r"bad\.tif"):
        UrbanDataModule("rasters", s1=s1, s2=s2, labels=bad, patch_size=16).setup()
    five = _raster(tmp_path / "s2_5.tif", rng.integers(1, 4000, (5, 80, 64)).astype(np.uint16))
    with pytest.raises(BandCountError):
        UrbanDataModule("rasters", s1=s1, s2=five, labels=good, patch_size=16).setup()


def test_dream_tiles_are_labelled_by_their_osm_buildings(database: Path) -> None:  # noqa: F811
    data = UrbanDataModule("dream", database, patch_size=32, train_length=6)
    data.setup()
    assert data.train is not None and data.val is not None
    assert len(data.train) == 6 and len(data.val) > 0
    s = data.val[0]
    assert s["optical"].shape == (4, 32, 32) and s["sar"].shape == (2, 32, 32)
    assert set(torch.unique(s["label"]).tolist()) <= {0.0, 1.0}


def write_gum(root: Path, sites: dict[str, int], size: int = 32) -> Path:
    """A SEN12 GUM layout: per site a samples.json and S1, S2, building files."""
    rng = np.random.default_rng(0)
    for site, n in sites.items():
        for kind in ("sentinel1", "sentinel2", "buildings"):
            (root / site / kind).mkdir(parents=True)
        samples = []
        for k in range(n):
            pid = f"{k * size:010d}-{0:010d}"
            samples.append({"site": site, "patch_id": pid})
            sar = rng.random((2, size, size)).astype(np.float32)
            sar[0, 0, 0] = np.nan
            _raster(root / site / "sentinel1" / f"sentinel1_{site}_{pid}.tif", sar)
            opt = np.stack([np.full((size, size), b / 10, np.float32) for b in range(10)])
            _raster(root / site / "sentinel2" / f"sentinel2_{site}_{pid}.tif", opt)
            built = np.floor(rng.random((1, size, size)) * 3).astype(np.float32)  # 0, 1, 2
            _raster(root / site / "buildings" / f"buildings_{site}_{pid}.tif", built)
        (root / site / "samples.json").write_text(json.dumps({"samples": samples}))
    return root


def test_sen12_gum_layout_reads_bands_labels_and_sites(tmp_path: Path) -> None:
    root = write_gum(tmp_path / "gum", {"albuquerque": 3, "calgary": 2})
    ds = SEN12GUM(root)
    assert len(ds) == 5
    s = ds[0]
    assert s["sar"].shape == (2, 32, 32) and torch.isfinite(s["sar"]).all()
    # B02, B03, B04, B08 are the 1st, 2nd, 3rd and 7th of the ten bands in the files
    assert s["optical"][:, 0, 0].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.6])
    assert 0 < s["label"].mean() < 1
    data = UrbanDataModule("gum", root, val_sites=("calgary",), patch_size=32)
    data.setup()
    assert data.train is not None and data.val is not None
    assert len(data.train) == 3 and len(data.val) == 2
    with pytest.raises(ConfigError, match="paris"):
        SEN12GUM(root, ["paris"])
