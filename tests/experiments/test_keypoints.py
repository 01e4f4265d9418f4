"""Approach 4: translating first gives SIFT and BRISK more correct matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from saropt.experiments.keypoints import TranslateMatchConfig, train_translate_match


@pytest.mark.slow
def test_translation_gives_sift_and_brisk_more_correct_matches(tmp_path: Path) -> None:
    """Merkle et al. 2018 on generated scenes: opt2sar translation (30 tiny epochs, about
    100 s, so `slow`) before SIFT/BRISK finds more matches that the known offset confirms
    than the raw pair. The fast suite keeps what it is built from: the opt2sar cGAN learns
    (tests/experiments/test_translation.py) and the keypoint pipeline counts matches on the
    generated scene (tests/cli/test_match.py)."""
    results = train_translate_match(TranslateMatchConfig(), tmp_path)
    for det in ("sift", "brisk"):
        raw, translated = results[f"{det}/raw"], results[f"{det}/translated"]
        assert translated["correct"] > 1.2 * raw["correct"], (det, raw, translated)
        assert translated["correct_inliers"] > raw["correct_inliers"]
        assert translated["offsets_found"] == 1.0
    assert (tmp_path / "results.json").is_file()
