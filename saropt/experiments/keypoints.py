"""Approach 4: translate optical to SAR-like with the cGAN, then match with SIFT and BRISK.

Merkle, Auer, Müller and Reinartz, "Exploring the potential of conditional adversarial
networks for optical and SAR image matching", IEEE JSTARS 2018. The experiment trains the
opt2sar translation on one generated scene, then, on a held-out scene, cuts the optical
image at known offsets from the SAR image and counts the keypoint matches that the known
offset confirms: once for the raw pair (the optical visible-band mean against SAR VV) and
once for the translated pair (translated VV against SAR VV), with the same detector,
ratio test and RANSAC.

The cGAN trains with the least-squares GAN loss by default, as Merkle et al. do
(``translation.model.gan_mode: bce`` gives pix2pix's loss instead).
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from saropt.datasets.datamodules import VAL_SEED
from saropt.errors import ConfigError
from saropt.experiments.config import (
    PositiveFloat,
    PositiveInt,
    TrainerConfig,
    save_config,
    save_results,
)
from saropt.experiments.translation import TranslationConfig, TranslationModel, train_translation
from saropt.inference.keypoints import (
    DETECTORS,
    Detector,
    correct_matches,
    match_keypoints,
    ransac_model,
    to_uint8,
)
from saropt.inference.translate import translate_array
from saropt.io.sentinel import S2_BANDS
from saropt.models import TranslationGenerator, load_model
from saropt.synth import generated_pair

#: The visible bands whose mean stands for the optical image on the raw pair.
VISIBLE = ("B02", "B03", "B04")


@dataclass
class KeypointSettings:
    """The ``matching:`` section: how the held-out pair is cut and matched.

    Attributes:
        scene_size: Side of the held-out generated scene.
        crop: Side of the optical and SAR crops that are matched.
        offsets: Known (dy, dx) of the optical crop.
        detectors: Keypoint detectors to compare.
        ratio: Lowe's ratio test.
        tolerance_px: A match within this of the known offset is correct.
    """

    scene_size: PositiveInt = 384
    crop: PositiveInt = 320
    offsets: tuple[tuple[int, int], ...] = ((7, 11), (-13, 5), (4, -9), (-6, -14))
    detectors: tuple[Detector, ...] = DETECTORS
    ratio: PositiveFloat = 0.8
    tolerance_px: PositiveFloat = 3.0


def _lsgan_opt2sar() -> TranslationConfig:
    return TranslationConfig(
        model=TranslationModel(gan_mode="lsgan"), trainer=TrainerConfig(max_epochs=30)
    )


@dataclass
class TranslateMatchConfig:
    """A translate-then-match experiment (tiny CPU defaults: about a minute).

    ``translation`` is the opt2sar cGAN's own experiment config, nested; its
    ``seed_everything + 1000`` seeds the held-out scene.
    """

    translation: TranslationConfig = field(default_factory=_lsgan_opt2sar)
    matching: KeypointSettings = field(default_factory=KeypointSettings)


def match_pair(
    a: np.ndarray,
    b: np.ndarray,
    offset: tuple[int, int],
    detector: Detector,
    cfg: KeypointSettings,
) -> dict[str, float]:
    """Keypoint statistics of one pair whose true model is ``b = a + (dx, dy)``."""
    m = match_keypoints(to_uint8(a), to_uint8(b), detector, ratio=cfg.ratio)
    dy, dx = offset
    true = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    ok = correct_matches(m, true, cfg.tolerance_px)
    stats = {
        "keypoints": float(m.keypoints[0]),
        "matches": float(len(m)),
        "correct": float(ok.sum()),
    }
    if len(m):
        model, inliers = ransac_model(m, "translation", tolerance=cfg.tolerance_px)
        stats["inliers"] = float(inliers.sum())
        stats["correct_inliers"] = float((inliers & ok).sum())
        stats["offset_error_px"] = float(np.hypot(model[0, 2] - dx, model[1, 2] - dy))
    else:
        stats.update(inliers=0.0, correct_inliers=0.0, offset_error_px=float("nan"))
    return stats


def evaluate_translate_match(
    generator: TranslationGenerator, cfg: KeypointSettings, scene_seed: int
) -> dict[str, dict[str, float]]:
    """Raw and translated keypoint matching on one generated scene, summed over offsets.

    Returns:
        ``{"sift/raw": {...}, "sift/translated": {...}, "brisk/...": ...}`` with keypoints,
        matches, correct matches, RANSAC inliers and correct inliers summed over the
        offsets, and the mean error of the RANSAC translation (``offset_error_px``) and the
        share of offsets it got within ``tolerance_px`` (``offsets_found``).
    """
    optical, sar = generated_pair(cfg.scene_size, scene_seed)
    need = cfg.crop + 2 * max(abs(v) for o in cfg.offsets for v in o)
    if need > cfg.scene_size:
        raise ConfigError(f"crop {cfg.crop} plus the offsets needs a scene of {need} px")
    vis = optical[[S2_BANDS.index(b) for b in VISIBLE]].astype(np.float32).mean(axis=0)
    factor = generator.factor
    side = -(-cfg.scene_size // factor) * factor
    padded = np.pad(optical, ((0, 0), (0, side - cfg.scene_size), (0, side - cfg.scene_size)),
                    mode="reflect")  # fmt: skip
    fake_vv = translate_array(generator, "opt2sar", padded)[0, : cfg.scene_size, : cfg.scene_size]
    pad = (cfg.scene_size - cfg.crop) // 2
    ref = sar[0, pad : pad + cfg.crop, pad : pad + cfg.crop]
    results: dict[str, dict[str, float]] = {}
    for det in cfg.detectors:
        for name, image in (("raw", vis), ("translated", fake_vv)):
            runs = []
            for dy, dx in cfg.offsets:
                # the optical crop starts (dy, dx) further: its pixel (x, y) is SAR's (x+dx, y+dy)
                crop = image[pad + dy : pad + dy + cfg.crop, pad + dx : pad + dx + cfg.crop]
                runs.append(match_pair(crop, ref, (dy, dx), det, cfg))
            total = {k: float(np.sum([r[k] for r in runs])) for k in runs[0]}
            errs = np.array([r["offset_error_px"] for r in runs])
            total["offset_error_px"] = (
                float(np.nanmean(errs)) if np.isfinite(errs).any() else np.nan
            )
            total["offsets_found"] = float(
                np.mean(np.nan_to_num(errs, nan=1e9) <= cfg.tolerance_px)
            )
            results[f"{det}/{name}"] = total
    return results


def train_translate_match(
    cfg: TranslateMatchConfig, out: str | Path, *, generator: str | Path | None = None
) -> dict[str, dict[str, float]]:
    """Train the opt2sar translation (unless ``generator`` weights are given), then compare
    raw and translated keypoint matching on a held-out scene; writes ``config.yaml`` and
    ``results.json``."""
    out = Path(out)
    save_config(cfg, out)
    if cfg.translation.data.direction != "opt2sar":
        raise ConfigError("translate-then-match needs translation.data.direction: opt2sar")
    if generator is None:
        train_translation(cfg.translation, out / "translation")
        generator = out / "translation" / "generator.safetensors"
    model, config = load_model(generator)
    if not isinstance(model, TranslationGenerator) or config.get("direction") != "opt2sar":
        raise ConfigError(f"'{generator}' is not an opt2sar translation generator")
    results = evaluate_translate_match(
        model, cfg.matching, cfg.translation.seed_everything + VAL_SEED
    )
    save_results(results, out)
    return results
