"""Evaluate saved matching weights on a fresh generated scene, whatever approach made them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from saropt.datasets.matching import MatchPairDataset, ShiftPairDataset
from saropt.errors import ConfigError
from saropt.experiments.keypoints import KeypointSettings, evaluate_translate_match
from saropt.experiments.pairs import pair_scores
from saropt.experiments.shift import evaluate_shifts, shift_estimates
from saropt.io.sentinel import S2_BANDS
from saropt.metrics.functional import shift_errors
from saropt.metrics.summary import pair_metrics
from saropt.models import (
    PseudoSiameseMatcher,
    ShiftClassifier,
    TranslationGenerator,
    TwoStreamDescriptor,
    load_model,
)
from saropt.synth import generated_pair


@dataclass
class Evaluation:
    """What :func:`evaluate_weights` measured, with the arrays its figures need.

    Attributes:
        kind: ``"shift"``, ``"pairs"`` or ``"translate-sift"``.
        results: Named metric dictionaries (the model's and its baselines').
        arrays: ``scores``/``labels`` (pairs), or the first examples' ``optical``,
            ``sar``, ``score_maps``, ``true`` and ``estimated`` (shift).
    """

    kind: str
    results: dict[str, dict[str, float]]
    arrays: dict[str, np.ndarray]


def evaluate_weights(weights: str | Path, *, seed: int = 2000, scene_size: int = 384,
                     examples: int = 4) -> Evaluation:  # fmt: skip
    """Evaluate saved matching weights on a fresh generated scene (``seed``).

    A shift classifier is compared with NCC on templates at known shifts; a binary
    matcher or descriptor is scored on co-located and random pairs; an opt2sar
    translation generator runs the translate-then-SIFT/BRISK comparison.

    Raises:
        ConfigError: The weights hold no matching model.
    """
    model, config = load_model(weights)
    if isinstance(model, TranslationGenerator):
        cfg = KeypointSettings(scene_size=scene_size)
        return Evaluation("translate-sift", evaluate_translate_match(model, cfg, seed), {})
    bands = tuple(config.get("bands", S2_BANDS))
    optical, sar = generated_pair(scene_size, seed, bands)
    if isinstance(model, ShiftClassifier):
        data = ShiftPairDataset(optical, sar, template=int(config["template"]),
                                search=int(config["search"]), length=256, seed=seed)  # fmt: skip
        est, true = shift_estimates(model, data)
        results = {"shift_classifier": shift_errors(est, true),
                   "ncc": evaluate_shifts(None, data)}  # fmt: skip
        first = next(iter(DataLoader(data, batch_size=examples)))
        with torch.inference_mode():
            maps = torch.softmax(model(first["optical"], first["sar"]).flatten(1), dim=1)
        arrays = {
            "optical": first["optical"].numpy(),
            "sar": first["sar"].numpy(),
            "score_maps": maps.numpy().reshape(len(maps), data.search - data.template + 1, -1),
            "true": true[:examples],
            "estimated": est[:examples],
        }
        return Evaluation("shift", results, arrays)
    if isinstance(model, (PseudoSiameseMatcher, TwoStreamDescriptor)):
        pairs = MatchPairDataset(optical, sar, size=int(config.get("size", 32)), positives=256,
                                 seed=seed)  # fmt: skip
        scores, labels = pair_scores(model, pairs)
        return Evaluation("pairs", {str(config["model"]): pair_metrics(scores, labels)},
                          {"scores": scores, "labels": labels})  # fmt: skip
    raise ConfigError(f"'{weights}' holds a {config['model']}, not a matching model")
