"""Land-cover class probabilities of a whole scene from Sentinel-1, Sentinel-2 or both,
with a cross-modal classifier trained by ``saropt train classification``.

A window of the model's patch size slides over the scene (half a patch apart by default);
each window's predicted class distribution fills the window and overlapping windows are
blended by :func:`~saropt.inference.tiled.predict_scene`, so memory stays flat whatever the
scene's size. The output GeoTIFF holds, on the input's grid: one probability band per
class, then (with both modalities) the disagreement 1 - sum_c min(p_S1(c), p_S2(c)) of
the two predictions (the probability bands are their mean), then the class band (1..C, the
most probable class of the blended probabilities).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from saropt.errors import ConfigError
from saropt.inference.runtime import Runtime
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import PathLike
from saropt.io.inputs import CheckedInput, InputSpec, Kind, check_inputs
from saropt.io.sentinel import normalize_s1, normalize_s2
from saropt.models import CrossModalClassifier, Modality, load_model


class _Branch(nn.Module):
    """One modality's path through a cross-modal classifier, as a module of its own (what
    :class:`~saropt.inference.runtime.Runtime` prepares); shares the model's weights."""

    def __init__(self, model: CrossModalClassifier, modality: Modality) -> None:
        super().__init__()
        self.model, self.modality = model, modality

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.predict(x, self.modality)


def classify_patches(
    model: CrossModalClassifier,
    images: dict[Modality, np.ndarray],
    *,
    runtime: Runtime | None = None,
) -> dict[Modality, np.ndarray]:
    """Class probabilities of patches held in memory, per modality.

    Args:
        images: ``{"s1": (N, 2, H, W) dB, "s2": (N, C, H, W) digital numbers}``, either or
            both.
        runtime: How to run the model (default: fp32 on the CPU, NCHW).

    Returns:
        ``{modality: (N, classes) probabilities}``.
    """
    return _probabilities(prepare_branches(model, list(images), runtime or Runtime()), images)


def _probabilities(
    nets: dict[Modality, Callable[..., torch.Tensor]], images: dict[Modality, np.ndarray]
) -> dict[Modality, np.ndarray]:
    """:func:`classify_patches` with branches already prepared (once per scene)."""
    norm = {"s1": normalize_s1, "s2": normalize_s2}
    return {
        m: nets[m](torch.from_numpy(norm[m](raw.astype(np.float32)))).double().numpy()
        for m, raw in images.items()
    }


def prepare_branches(
    model: CrossModalClassifier, modalities: list[Modality], runtime: Runtime
) -> dict[Modality, Callable[..., torch.Tensor]]:
    """Each modality's path through ``model``, prepared by ``runtime``."""
    return {m: runtime.prepare(_Branch(model, m)) for m in modalities}


def _check_inputs(
    model: CrossModalClassifier, config: dict[str, object], given: dict[Modality, PathLike]
) -> list[CheckedInput]:
    """The inputs checked against the modalities and bands the weights were trained on."""
    trained = list(config.get("modalities") or ["s1", "s2"])  # type: ignore[call-overload]
    for m in given:
        if m not in trained:
            raise ConfigError(
                f"these weights were trained on {', '.join(trained)} only; they cannot "
                f"classify --{m}"
            )
    kinds: dict[Modality, Kind] = {"s1": "sar", "s2": "optical"}
    return check_inputs(
        [InputSpec(p, f"--{m}", kinds[m], (model.channels[m],)) for m, p in given.items()]
    )


def _window(config: dict[str, Any], stride: int | None) -> tuple[int, int]:
    """The model's patch size and the stride between windows (half a patch by default)."""
    patch = int(config.get("patch_size", 64))
    step = stride or max(1, patch // 2)
    if not patch - patch // 2 <= step <= patch:
        raise ConfigError(
            f"stride must be between half the patch size and the patch size {patch}; got {step}"
        )
    return patch, step


def _window_predictor(
    modalities: list[Modality], nets: dict[Modality, Callable[..., torch.Tensor]], patch: int
) -> Callable[[list[np.ndarray]], np.ndarray]:
    """What :func:`predict_scene` calls on a batch of windows (one array per modality):
    the mean class distribution (and the disagreement, with both modalities) filling each
    window."""

    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        probs = _probabilities(nets, dict(zip(modalities, arrays, strict=True)))
        p = np.mean(list(probs.values()), axis=0)
        if len(modalities) == 2:
            agree = np.minimum(probs["s1"], probs["s2"]).sum(1, keepdims=True)
            p = np.concatenate([p, 1.0 - agree], axis=1)
        return np.broadcast_to(p[:, :, None, None], (*p.shape, patch, patch))

    return predict


def classify_scene(
    s1: PathLike | None,
    s2: PathLike | None,
    weights: PathLike,
    output: PathLike,
    *,
    stride: int | None = None,
    batch_size: int = 64,
    runtime: Runtime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a scene's class probabilities (and class band) as a float32 GeoTIFF.

    Args:
        s1: Sentinel-1 VV, VH in dB, or None.
        s2: Sentinel-2 with the model's bands (digital numbers x10000), or None; at least
            one of the two, on one grid when both.
        weights: ``classifier.safetensors`` from training.
        output: GeoTIFF to write (atomically).
        stride: Pixels between windows, from half the model's patch (the default) to one
            patch.
        batch_size: Windows per model call.
        runtime: Device, precision, layout and compilation (default: the CPU, fp32,
            channels_last: `benchmarks/classification.py`).

    Raises:
        ConfigError: No input, or weights that are not a cross-modal classifier, or a
            modality the weights were not trained on.
        BandCountError, GridMismatchError, InvalidValueError, ScaleError: Inputs the
            model cannot take (:mod:`saropt.io.inputs`).
    """
    pairs: list[tuple[Modality, PathLike | None]] = [("s1", s1), ("s2", s2)]
    given: dict[Modality, PathLike] = {m: p for m, p in pairs if p}
    if not given:
        raise ConfigError("classify needs --s1, --s2 or both")
    rt = runtime or Runtime(channels_last=True)
    model, config = load_model(weights, device=rt.device)
    if not isinstance(model, CrossModalClassifier):
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a cross-modal classifier")
    checked = _check_inputs(model, config, given)  # before the network is prepared
    patch, step = _window(config, stride)
    names = list(config.get("class_names") or [f"class_{k + 1}" for k in range(model.classes)])
    c, both = model.classes, len(given) == 2
    predict = _window_predictor(list(given), prepare_branches(model, list(given), rt), patch)

    def finish(block: np.ndarray) -> np.ndarray:
        label = block[:c].argmax(0)[None] + 1.0
        return np.concatenate([block, label])

    bands = c + int(both)
    descriptions = [f"p_{n}" for n in names] + (["disagreement"] if both else []) + ["class"]
    return predict_scene(
        checked, output, predict, out_bands=bands, out_dtype="float32",
        options=TiledOptions(patch, patch - step, batch_size, max(2048, patch)).for_device(
            rt.device
        ),
        descriptions=descriptions, progress=progress, finish=(bands + 1, finish),
    )  # fmt: skip
