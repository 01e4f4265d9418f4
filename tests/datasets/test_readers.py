"""Dataset readers, each on a tiny fixture written in its exact layout (or real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from saropt.datasets import SEN12MS, SEN12MSCR, BigEarthNetMM, SEN12Pairs
from saropt.errors import InputNotFoundError, RasterNotFoundError
from saropt.io.raster import Raster
from saropt.io.sentinel import normalize_s1, normalize_s2
from saropt.io.write import write_raster
from tests.conftest import utm_grid

RNG = np.random.default_rng(0)


def _s1() -> np.ndarray:
    return RNG.uniform(-30, 5, (2, 32, 32)).astype(np.float32)


def _s2() -> np.ndarray:
    return RNG.integers(0, 12000, (13, 32, 32)).astype(np.uint16)


def _put(path: Path, data: np.ndarray) -> np.ndarray:
    write_raster(path, Raster(data, utm_grid(32, 32)))
    return data


@pytest.fixture
def sen12ms(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    arrays = {}
    for season, scene, patch in (("spring", 1, 30), ("spring", 1, 31), ("fall", 7, 2)):
        roi = f"ROIs1158_{season}"
        for kind, make in (("s1", _s1), ("s2", _s2)):
            name = f"{roi}_{kind}_{scene}_p{patch}.tif"
            arrays[name] = _put(tmp_path / roi / f"{kind}_{scene}" / name, make())
        lc = RNG.integers(1, 18, (4, 32, 32)).astype(np.uint8)
        name = f"{roi}_lc_{scene}_p{patch}.tif"
        arrays[name] = _put(tmp_path / roi / f"lc_{scene}" / name, lc)
    return tmp_path, arrays


class TestSEN12MS:
    def test_triplets(self, sen12ms: tuple[Path, dict[str, np.ndarray]]) -> None:
        root, arrays = sen12ms
        ds = SEN12MS(root)
        assert len(ds) == 3
        s = ds[next(i for i in range(3) if "spring_s1_1_p30" in ds.s1[i].name)]
        torch.testing.assert_close(
            s["sar"], torch.from_numpy(normalize_s1(arrays["ROIs1158_spring_s1_1_p30.tif"]))
        )
        torch.testing.assert_close(
            s["optical"], torch.from_numpy(normalize_s2(arrays["ROIs1158_spring_s2_1_p30.tif"]))
        )
        assert s["label"].dtype == torch.long
        np.testing.assert_array_equal(s["label"].numpy(), arrays["ROIs1158_spring_lc_1_p30.tif"][0])
        assert s["crs"] == "EPSG:32633" and s["id"] == "ROIs1158_spring_1_p30"

    def test_raw_values(self, sen12ms: tuple[Path, dict[str, np.ndarray]]) -> None:
        root, arrays = sen12ms
        s = SEN12MS(root, normalize=False)[0]
        name = SEN12MS(root).s1[0].name
        np.testing.assert_array_equal(s["sar"].numpy(), arrays[name])

    def test_missing_partner_and_wrong_root(
        self, sen12ms: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
    ) -> None:
        root, _ = sen12ms
        (root / "ROIs1158_fall" / "lc_7" / "ROIs1158_fall_lc_7_p2.tif").unlink()
        ds = SEN12MS(root)
        i = next(k for k, p in enumerate(ds.s1) if "fall" in p.name)
        with pytest.raises(RasterNotFoundError, match=r"ROIs1158_fall_lc_7_p2\.tif"):
            ds[i]
        with pytest.raises(InputNotFoundError, match="expected the layout"):
            SEN12MS(root / "ROIs1158_fall" / "s1_7")


class TestSEN12MSCR:
    def test_triplets(self, tmp_path: Path) -> None:
        roi = "ROIs1868_summer"
        data = {}
        for kind in ("s1", "s2", "s2_cloudy"):
            make = _s1 if kind == "s1" else _s2
            name = f"{roi}_{kind}_12_p101.tif"
            data[kind] = _put(tmp_path / f"{roi}_{kind}" / f"{kind}_12" / name, make())
        ds = SEN12MSCR(tmp_path)
        assert len(ds) == 1
        s = ds[0]
        torch.testing.assert_close(s["sar"], torch.from_numpy(normalize_s1(data["s1"])))
        torch.testing.assert_close(s["target"], torch.from_numpy(normalize_s2(data["s2"])))
        torch.testing.assert_close(s["cloudy"], torch.from_numpy(normalize_s2(data["s2_cloudy"])))
        assert s["id"] == "ROIs1868_summer_12_p101"


class TestSEN12Pairs:
    def test_png_pairs(self, tmp_path: Path) -> None:
        pairs = {}
        for season, patch in (("spring", 1), ("winter", 2)):
            roi = f"ROIs1970_{season}"
            grey = RNG.integers(0, 256, (16, 16)).astype(np.uint8)
            colour = RNG.integers(0, 256, (16, 16, 3)).astype(np.uint8)
            for kind, arr in (("s1", grey), ("s2", colour)):
                folder = tmp_path / roi / f"{kind}_3"
                folder.mkdir(parents=True)
                Image.fromarray(arr).save(folder / f"{roi}_{kind}_3_p{patch}.png")
            pairs[season] = (grey, colour)
        ds = SEN12Pairs(tmp_path)
        assert len(ds) == 2
        s = next(ds[i] for i in range(2) if ds[i]["season"] == "winter")
        grey, colour = pairs["winter"]
        np.testing.assert_allclose(s["sar"].numpy()[0], grey / 255.0, atol=1e-6)
        np.testing.assert_allclose(
            s["optical"].numpy(), np.moveaxis(colour, -1, 0) / 255.0, atol=1e-6
        )
        assert len(SEN12Pairs(tmp_path, seasons=("spring",))) == 1


class TestBigEarthNetMM:
    def test_real_pairs(self, data_dir: Path) -> None:
        ds = BigEarthNetMM(data_dir / "bigearthnet_s1s2")
        assert len(ds) == 6
        assert "Coniferous forest" in ds.classes and list(ds.classes) == sorted(ds.classes)
        s = ds[0]
        assert s["sar"].shape == (2, 120, 120) and s["optical"].shape == (12, 120, 120)
        assert 0.0 <= float(s["sar"].min()) and float(s["optical"].max()) <= 1.0
        assert s["label"].sum() >= 1 and set(s["label"].unique().tolist()) <= {0.0, 1.0}
