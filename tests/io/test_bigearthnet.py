"""The real BigEarthNet-MM pairs in ../shared/data load as co-registered stacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from saropt.errors import RasterNotFoundError
from saropt.io.bigearthnet import find_bigearthnet_pairs, read_bigearthnet_pair
from saropt.io.grid import check_same_grid
from saropt.io.raster import read_raster
from saropt.io.sentinel import S1_BANDS, S2_L2A_BANDS


class TestBigEarthNetPairs:
    def test_six_pairs_load_co_registered(self, data_dir: Path) -> None:
        pairs = find_bigearthnet_pairs(data_dir / "bigearthnet_s1s2")
        assert len(pairs) == 6
        for s1_dir, s2_dir in pairs:
            pair = read_bigearthnet_pair(s1_dir, s2_dir)
            check_same_grid(pair.sar.grid, pair.optical.grid)
            assert pair.sar.data.shape == (2, 120, 120) and pair.sar.data.dtype == np.float32
            assert pair.optical.data.shape == (12, 120, 120)
            assert pair.optical.data.dtype == np.uint16
            assert pair.sar.descriptions == S1_BANDS
            assert pair.optical.descriptions == S2_L2A_BANDS
            assert pair.sar.grid.res == (10.0, 10.0)
            assert pair.sar.grid.crs is not None and pair.sar.grid.crs.startswith("EPSG:326")
            assert pair.labels  # CORINE labels present
            vv, vh = pair.sar.data
            # plausible backscatter: VV mostly within [-30, 10] dB, cross-pol below co-pol
            assert -30 < np.median(vv) < 5 and np.median(vh) < np.median(vv)
            # plausible reflectance: medians between 0 and 1.6 in reflectance units
            med = np.median(pair.optical.data.reshape(12, -1), axis=1)
            assert np.all(med > 0) and np.all(med < 16000)

    def test_resampled_bands_keep_their_values(self, data_dir: Path) -> None:
        s1_dir, s2_dir = find_bigearthnet_pairs(data_dir / "bigearthnet_s1s2")[0]
        pair = read_bigearthnet_pair(s1_dir, s2_dir)
        for name in ("B05", "B09"):  # 20 m and 60 m
            native = read_raster(s2_dir / f"{s2_dir.name}_{name}.tif").data[0].astype(float)
            up = pair.optical.data[S2_L2A_BANDS.index(name)].astype(float)
            assert up.mean() == pytest.approx(native.mean(), rel=0.02)
            # one native pixel covers 2x2 (or 6x6) 10 m pixels; their block means agree
            f = 120 // native.shape[0]
            block = up.reshape(native.shape[0], f, native.shape[1], f).mean(axis=(1, 3))
            assert np.corrcoef(block.ravel(), native.ravel())[0, 1] > 0.95

    def test_missing_partner(self, data_dir: Path, tmp_path: Path) -> None:
        src = next((data_dir / "bigearthnet_s1s2" / "BigEarthNet-S1-Example").iterdir())
        dst = tmp_path / "S1" / src.name
        dst.mkdir(parents=True)
        for f in src.iterdir():
            (dst / f.name).symlink_to(f)
        with pytest.raises(RasterNotFoundError, match="names S2 patch"):
            find_bigearthnet_pairs(tmp_path)
