"""Synthetic clouds and haze, and real cloud-probability maps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from saropt.errors import BandCountError, ConfigError, GridMismatchError
from saropt.io.sentinel import S2_BANDS
from saropt.transforms import SyntheticClouds, add_clouds, apply_cloud_probability, cloud_opacity


def _clear(count: int = 13, size: int = 128, dtype: str = "uint16") -> np.ndarray:
    rng = np.random.default_rng(0)
    refl = 0.03 + 0.05 * rng.random((count, size, size))
    if dtype == "float32":
        return refl.astype(np.float32)
    return np.round(refl * 10000).astype(dtype)


class TestCoverage:
    @pytest.mark.parametrize("seed", [0, 1, 2, 3])
    def test_requested_coverage_is_met(self, seed: int) -> None:
        _, mask = add_clouds(_clear(size=256), 0.3, seed)
        assert 0.25 <= mask.mean() <= 0.35

    @pytest.mark.parametrize("coverage", [0.0, 0.05, 0.5, 0.9, 1.0])
    def test_any_coverage(self, coverage: float) -> None:
        op = cloud_opacity((200, 150), coverage, 5)
        assert (op >= 0.5).mean() == pytest.approx(coverage, abs=0.01)
        assert op.min() >= 0.0 and op.max() <= 1.0

    def test_bad_coverage(self) -> None:
        with pytest.raises(ConfigError, match="within"):
            cloud_opacity((8, 8), 1.5, 0)


class TestReproducibility:
    def test_same_seed_same_clouds_other_seed_differs(self) -> None:
        img = _clear()
        a, ma = add_clouds(img, 0.4, 7)
        b, mb = add_clouds(img, 0.4, 7)
        c, _ = add_clouds(img, 0.4, 8)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(ma, mb)
        assert not np.array_equal(a, c)

    def test_torch_generator_seeds(self) -> None:
        img = _clear()
        a, _ = add_clouds(img, 0.4, torch.Generator().manual_seed(3))
        b, _ = add_clouds(img, 0.4, torch.Generator().manual_seed(3))
        np.testing.assert_array_equal(a, b)


class TestSpectralModel:
    def test_thick_cloud_is_bright_in_all_bands(self) -> None:
        img = _clear()
        cloudy, _ = add_clouds(img, 0.5, 0, haze=0.0)
        core = cloud_opacity(img.shape[1:], 0.5, 0) == 1.0  # same draws as add_clouds
        assert core.sum() > 100
        per_band = cloudy[:, core].mean(axis=1)
        assert np.all(per_band > 2500)  # reflectance > 0.25 in every band
        assert np.all(per_band > img[:, core].mean(axis=1) * 3)
        # and darker in the SWIR than in the visible, like real clouds
        assert per_band[S2_BANDS.index("B12")] < per_band[S2_BANDS.index("B02")]

    def test_haze_is_strongest_at_short_wavelengths(self) -> None:
        img = np.full((13, 128, 128), 500, np.uint16)
        cloudy, mask = add_clouds(img, 0.0, 0, haze=0.3)
        assert not mask.any()
        added = cloudy.reshape(13, -1).astype(float).mean(axis=1) - 500
        i = {b: S2_BANDS.index(b) for b in ("B01", "B02", "B04", "B8A", "B12")}
        assert added[i["B01"]] > added[i["B02"]] > added[i["B04"]] > added[i["B8A"]]
        assert added[i["B8A"]] > added[i["B12"]] > 0

    @pytest.mark.parametrize("count", [1, 4, 10, 12, 13])
    def test_any_band_count_and_dtype(self, count: int) -> None:
        for dtype in ("uint16", "float32"):
            img = _clear(count, 64, dtype)
            cloudy, mask = add_clouds(img, 0.3, 0)
            assert cloudy.shape == img.shape and cloudy.dtype == img.dtype
            assert mask.shape == img.shape[1:]
            assert float(cloudy[:, mask].mean()) > float(img[:, mask].mean())
            if dtype == "float32":
                assert float(cloudy.max()) <= 1.0  # float reflectance keeps its 0..1 scale

    def test_band_names_must_match(self) -> None:
        with pytest.raises(BandCountError, match="3 band names"):
            add_clouds(_clear(4, 32), 0.3, 0, bands=["B02", "B03", "B04"])

    def test_torch_in_torch_out(self) -> None:
        img = torch.from_numpy(_clear(4, 32, "float32"))
        cloudy, mask = add_clouds(img, 0.3, 0, bands=["B02", "B03", "B04", "B08"])
        assert isinstance(cloudy, torch.Tensor) and isinstance(mask, torch.Tensor)
        ref, _ = add_clouds(img.numpy(), 0.3, 0, bands=["B02", "B03", "B04", "B08"])
        np.testing.assert_array_equal(cloudy.numpy(), ref)


class TestRealProbability:
    def test_eolearn_cloud_probability_on_a_clear_date(self, data_dir: Path) -> None:
        root = data_dir / "eolearn_s2_slovenia"
        scenes = np.load(root / "REFERENCE_SCENES.npy")  # (5, H, W, 13) reflectance
        clp = np.load(root / "CLP.npy")[..., 0]  # (68, H, W)
        frac = (clp >= 0.5).mean(axis=(1, 2))
        date = int(np.argmin(np.abs(frac - 0.4)))  # a partly cloudy map
        prob = clp[date]
        clear = np.moveaxis(scenes[2], -1, 0)
        cloudy, mask = apply_cloud_probability(clear, prob)
        np.testing.assert_array_equal(mask, prob >= 0.5)
        assert 0.1 < mask.mean() < 0.9
        thick = prob > 0.9
        assert np.all(cloudy[:, thick].mean(axis=1) > clear[:, thick].mean(axis=1))
        faint = prob < 0.02
        np.testing.assert_allclose(cloudy[:, faint], clear[:, faint], atol=0.02)

    def test_shape_mismatch_and_resize(self) -> None:
        img = _clear(13, 64)
        prob = np.zeros((32, 32), np.float32)
        prob[:16] = 1.0
        with pytest.raises(GridMismatchError, match="resize=True"):
            apply_cloud_probability(img, prob)
        _, mask = apply_cloud_probability(img, prob, resize=True)
        assert mask.shape == (64, 64) and mask[:30].all() and not mask[34:].any()

    def test_uint8_probability(self) -> None:
        img = _clear(13, 16)
        prob = np.full((16, 16), 255, np.uint8)
        _, mask = apply_cloud_probability(img, prob)
        assert mask.all()


class TestSyntheticCloudsModule:
    def test_module_equals_function(self) -> None:
        clear = _clear(13, 64)
        t = SyntheticClouds(coverage=(0.2, 0.4), seed=0)
        out = t({"optical": clear, "sar": 1}, generator=torch.Generator().manual_seed(9))
        g = torch.Generator().manual_seed(9)
        cov = 0.2 + 0.2 * float(torch.rand((), generator=g))
        ref, ref_mask = add_clouds(clear, cov, g)
        np.testing.assert_array_equal(out["cloudy"], ref)
        np.testing.assert_array_equal(out["mask"], ref_mask)
        assert out["target"] is clear and out["optical"] is clear and out["sar"] == 1

    def test_own_generator_advances(self) -> None:
        t = SyntheticClouds(coverage=0.3, seed=1)
        a = t({"optical": _clear(4, 32)})["mask"]
        b = t({"optical": _clear(4, 32)})["mask"]
        assert not np.array_equal(a, b)
