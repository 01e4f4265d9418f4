"""Hand-crafted keypoint matching between two images (OpenCV SIFT and BRISK).

Approach 4 of Hughes et al. 2019 (Merkle, Auer, Müller and Reinartz, "Exploring the
potential of conditional adversarial networks for optical and SAR image matching", IEEE
JSTARS 2018): SIFT and BRISK fail across the SAR-optical gap, so the optical image is first
translated into a SAR-like one and the detectors then match like with like. This module
holds the detector side: contrast stretch to 8 bits, detection and description, Lowe's
ratio test, and a RANSAC translation or affine model of the matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from saropt.errors import ConfigError, InvalidValueError
from saropt.inference.tiepoints import ransac_affine, ransac_translation

Detector = Literal["sift", "brisk"]
DETECTORS: tuple[Detector, ...] = ("sift", "brisk")


def to_uint8(image: np.ndarray, percentiles: tuple[float, float] = (1.0, 99.0)) -> np.ndarray:
    """Linear stretch of one band between two of its percentiles to 0..255 (NaN -> 0).

    Shape:
        image (H, W) -> (H, W) uint8.
    """
    if image.ndim != 2:
        raise InvalidValueError(f"expected one band (H, W); got shape {image.shape}")
    x = np.nan_to_num(image.astype(np.float64), nan=np.nanmin(image) if image.size else 0.0)
    lo, hi = np.percentile(x, percentiles)
    scaled = (x - lo) / max(hi - lo, 1e-12)
    return (np.clip(scaled, 0.0, 1.0) * 255.0).round().astype(np.uint8)


@dataclass
class KeypointMatches:
    """Keypoints of two images and the matches that passed the ratio test.

    Attributes:
        keypoints: Keypoints found in (image a, image b).
        a_xy: Matched positions in image a, (K, 2) as (x, y) pixels.
        b_xy: Their partners in image b, (K, 2).
        distance: Descriptor distance of each match (K,).
    """

    keypoints: tuple[int, int]
    a_xy: np.ndarray
    b_xy: np.ndarray
    distance: np.ndarray

    def __len__(self) -> int:
        return len(self.a_xy)


def match_keypoints(
    a: np.ndarray, b: np.ndarray, detector: Detector = "sift", *, ratio: float = 0.8
) -> KeypointMatches:
    """Detect, describe and match keypoints of two 8-bit images with Lowe's ratio test.

    Args:
        a: First image (H, W) uint8 (see :func:`to_uint8`).
        b: Second image (H', W') uint8.
        detector: ``"sift"`` (L2 on 128-float descriptors) or ``"brisk"`` (Hamming on
            binary ones).
        ratio: Keep a match when its distance is below ``ratio`` times the second best's.

    Raises:
        ConfigError: Unknown detector.
        InvalidValueError: An image is not 2-D uint8.
    """
    for name, im in (("a", a), ("b", b)):
        if im.ndim != 2 or im.dtype != np.uint8:
            raise InvalidValueError(
                f"image {name} must be 2-D uint8 (use to_uint8); got {im.dtype} {im.shape}"
            )
    if detector == "sift":
        det, norm = cv2.SIFT_create(), cv2.NORM_L2  # type: ignore[attr-defined]  # missing from the stubs
    elif detector == "brisk":
        det, norm = cv2.BRISK_create(), cv2.NORM_HAMMING  # type: ignore[attr-defined]  # missing from the stubs
    else:
        raise ConfigError(f"detector must be one of {DETECTORS}; got {detector!r}")
    ka, da = det.detectAndCompute(a, None)
    kb, db = det.detectAndCompute(b, None)
    empty = KeypointMatches((len(ka), len(kb)), np.zeros((0, 2)), np.zeros((0, 2)), np.zeros(0))
    if da is None or db is None or len(kb) < 2:
        return empty
    good = [
        pair[0]
        for pair in cv2.BFMatcher(norm).knnMatch(da, db, k=2)
        if len(pair) == 2 and pair[0].distance < ratio * pair[1].distance
    ]
    if not good:
        return empty
    return KeypointMatches(
        (len(ka), len(kb)),
        np.array([ka[m.queryIdx].pt for m in good], dtype=np.float64),
        np.array([kb[m.trainIdx].pt for m in good], dtype=np.float64),
        np.array([m.distance for m in good], dtype=np.float64),
    )


def ransac_model(
    matches: KeypointMatches,
    model: Literal["translation", "affine"] = "translation",
    *,
    tolerance: float = 3.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Robust model taking image a's points onto image b's.

    Returns:
        (2x3 affine matrix, inliers (K,) bool). A translation is ``[[1, 0, tx], [0, 1, ty]]``.

    Raises:
        InvalidValueError: Too few matches for the model (1 for a translation, 3 affine).
    """
    need = 1 if model == "translation" else 3
    if len(matches) < need:
        raise InvalidValueError(f"{len(matches)} matches; a {model} needs at least {need}")
    if model == "translation":
        t, best = ransac_translation(matches.b_xy - matches.a_xy, tolerance, 500, seed)
        return np.array([[1.0, 0.0, t[0]], [0.0, 1.0, t[1]]]), best
    return ransac_affine(matches.a_xy, matches.b_xy, tolerance, seed=seed)


def correct_matches(
    matches: KeypointMatches, true: np.ndarray, tolerance: float = 3.0
) -> np.ndarray:
    """Which matches a true 2x3 affine model (a -> b) confirms within ``tolerance`` px.

    Shape:
        returns (K,) bool.
    """
    pred = matches.a_xy @ true[:, :2].T + true[:, 2]
    return np.asarray(np.hypot(*(matches.b_xy - pred).T) <= tolerance)
