"""Keypoint matching: SIFT/BRISK, ratio test, RANSAC, scaling to 8 bits."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from saropt.errors import ConfigError, InvalidValueError
from saropt.inference.keypoints import (
    KeypointMatches,
    correct_matches,
    match_keypoints,
    ransac_model,
    to_uint8,
)
from saropt.inference.translate import translate_array
from saropt.models import TranslationGenerator


def textured(seed: int = 0, size: int = 200) -> np.ndarray:
    """Blurred noise: corners and blobs at many scales."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, size)).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(x, (0, 0), 2.0))


class TestKeypoints:
    def test_to_uint8_hand_values(self) -> None:
        x = np.array([[0.0, 1.0], [2.0, np.nan]])
        # NaN becomes the minimum; the 0th..100th percentiles span 0..2
        np.testing.assert_array_equal(to_uint8(x, (0, 100)), [[0, 128], [255, 0]])
        with pytest.raises(InvalidValueError, match="one band"):
            to_uint8(np.zeros((2, 3, 3)))

    @pytest.mark.parametrize("detector", ["sift", "brisk"])
    def test_a_shifted_copy_is_matched_and_its_shift_recovered(self, detector: str) -> None:
        img = to_uint8(textured())
        a, b = img[20:180, 30:190], img[25:185, 21:181]  # b's (x, y) = a's (x + 9, y - 5)
        m = match_keypoints(a, b, detector)  # type: ignore[arg-type]
        true = np.array([[1.0, 0, 9], [0, 1.0, -5]])
        ok = correct_matches(m, true, 1.0)
        assert len(m) >= 20 and ok.mean() > 0.9
        model, inliers = ransac_model(m, "translation", tolerance=1.0)
        np.testing.assert_allclose(model[:, 2], [9, -5], atol=0.2)
        assert inliers.sum() >= ok.sum() - 1

    def test_affine_model_recovers_rotation_and_scale(self) -> None:
        rng = np.random.default_rng(1)
        a_xy = rng.uniform(0, 300, size=(60, 2))
        angle, scale = np.deg2rad(4.0), 1.03
        r = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        true = np.hstack([r, [[12.0], [-7.0]]])
        b_xy = a_xy @ r.T + true[:, 2]
        b_xy[:15] += rng.uniform(30, 80, size=(15, 2))  # a quarter are wrong matches
        m = KeypointMatches((60, 60), a_xy, b_xy, np.zeros(60))
        model, inliers = ransac_model(m, "affine", tolerance=1.0)
        np.testing.assert_allclose(model, true, atol=1e-3)
        assert not inliers[:15].any() and inliers[15:].all()
        np.testing.assert_array_equal(correct_matches(m, true, 1.0), inliers)

    def test_bad_input_is_refused(self) -> None:
        img = to_uint8(textured())
        with pytest.raises(ConfigError, match="detector"):
            match_keypoints(img, img, "orb")  # type: ignore[arg-type]
        with pytest.raises(InvalidValueError, match="uint8"):
            match_keypoints(img.astype(np.float32), img)
        empty = KeypointMatches((0, 0), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0))
        with pytest.raises(InvalidValueError, match="needs at least 3"):
            ransac_model(empty, "affine")
        # a featureless image gives no matches, not an error
        assert len(match_keypoints(np.zeros((64, 64), np.uint8), img)) == 0

    def test_translate_array_keeps_leading_shape(self) -> None:
        torch.manual_seed(0)
        gen = TranslationGenerator(13, 2, width=4, depth=3)
        x = np.full((13, 16, 16), 1000, np.uint16)
        one, batch = translate_array(gen, "opt2sar", x), translate_array(gen, "opt2sar", x[None])
        assert one.shape == (2, 16, 16) and batch.shape == (1, 2, 16, 16)
        np.testing.assert_allclose(one, batch[0])
        assert -25.0 <= one.min() and one.max() <= 0.0  # dB within the S1 range
