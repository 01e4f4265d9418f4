"""saropt.io.sentinel: band table, dB, scaling and normalisation against hand values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from saropt.errors import ConfigError
from saropt.io import sentinel as s


class TestBandTable:
    def test_thirteen_bands_in_esa_order(self) -> None:
        assert s.S2_BANDS == (
            "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10",
            "B11", "B12",
        )  # fmt: skip
        wl = s.s2_wavelengths(list(s.S2_BANDS))
        assert np.all(np.diff(wl) > 0)
        assert s.S2_10M_BANDS == ("B02", "B03", "B04", "B08")
        assert len(s.S2_L2A_BANDS) == 12 and "B10" not in s.S2_L2A_BANDS
        assert len(s.S2_CGAN_BANDS) == 10

    def test_lookup(self) -> None:
        assert s.s2_band("b8").name == "B08"
        assert s.s2_band("B8A").resolution == 20
        with pytest.raises(ConfigError, match="known bands"):
            s.s2_band("B13")


class TestDecibels:
    def test_hand_values(self) -> None:
        np.testing.assert_allclose(s.db_to_linear(np.array([0.0, 10.0, -20.0])), [1, 10, 0.01])
        np.testing.assert_allclose(
            s.linear_to_db(np.array([1.0, 100.0, 0.5])), [0, 20, -3.0103], atol=1e-4
        )
        assert float(s.linear_to_db(np.array(0.0))) == pytest.approx(-100.0)  # floor 1e-10

    def test_torch_matches_numpy(self) -> None:
        x = np.linspace(-30, 5, 11)
        np.testing.assert_allclose(s.db_to_linear(torch.tensor(x)).numpy(), s.db_to_linear(x))
        np.testing.assert_allclose(
            s.linear_to_db(torch.tensor(s.db_to_linear(x))).numpy(), x, atol=1e-9
        )


class TestScaling:
    def test_reflectance(self) -> None:
        dn = np.array([0, 5000, 10000])
        np.testing.assert_allclose(s.s2_dn_to_reflectance(dn), [0, 0.5, 1.0])
        np.testing.assert_allclose(
            s.s2_dn_to_reflectance(np.array([1000, 11000]), offset=s.S2_OFFSET_PB04), [0, 1]
        )
        np.testing.assert_allclose(s.s2_reflectance_to_dn(np.array([0.25])), [2500])

    def test_normalize_s1(self) -> None:
        db = np.array([-40.0, -25.0, -12.5, 0.0, 3.0])
        np.testing.assert_allclose(s.normalize_s1(db), [0, 0, 0.5, 1, 1])
        np.testing.assert_allclose(s.normalize_s1(db, symmetric=True), [-1, -1, 0, 1, 1])
        inside = np.array([-24.0, -7.5])
        np.testing.assert_allclose(s.denormalize_s1(s.normalize_s1(inside)), inside, rtol=1e-6)
        t = s.normalize_s1(torch.tensor(db))
        assert isinstance(t, torch.Tensor)
        np.testing.assert_allclose(t.numpy(), [0, 0, 0.5, 1, 1])

    def test_normalize_s2(self) -> None:
        dn = np.array([0, 2500, 10000, 15000], dtype=np.uint16)
        np.testing.assert_allclose(s.normalize_s2(dn), [0, 0.25, 1, 1])
        np.testing.assert_allclose(s.normalize_s2(dn, symmetric=True), [-1, -0.5, 1, 1])
        np.testing.assert_allclose(
            s.denormalize_s2(s.normalize_s2(dn[:3], symmetric=True), symmetric=True), dn[:3]
        )
