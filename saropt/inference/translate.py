"""Translate a whole scene optical -> SAR-like (or SAR -> optical-like) with a trained cGAN."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from saropt.errors import ConfigError
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import PathLike
from saropt.io.inputs import InputSpec, Kind
from saropt.io.sentinel import (
    S1_BANDS,
    S2_QUANTIFICATION,
    denormalize_s1,
    denormalize_s2,
    normalize_s1,
    normalize_s2,
)
from saropt.models import TranslationGenerator, load_model


@torch.inference_mode()
def translate_array(
    model: TranslationGenerator,
    direction: str,
    source: np.ndarray,
    *,
    device: str = "cpu",
    optical_scale: float = S2_QUANTIFICATION,
) -> np.ndarray:
    """Translate images held in memory, in the units ``translate_scene`` writes.

    Args:
        model: A translation generator.
        direction: ``"opt2sar"`` (S2 digital numbers in, dB out) or ``"sar2opt"``.
        source: (N, C, H, W) or (C, H, W); H and W multiples of ``model.factor``.
        optical_scale: The optical value of reflectance 1 (Sentinel-2: 10000; an 8-bit
            aerial image from a database: 255), as the model was trained.

    Returns:
        float64 dB (opt2sar) or digital numbers (sar2opt), with the input's leading shape.
    """
    raw = source.astype(np.float32)
    single = raw.ndim == 3
    if direction == "opt2sar":
        x = normalize_s2(raw * np.float32(S2_QUANTIFICATION / optical_scale), symmetric=True)
    else:
        x = normalize_s1(raw, symmetric=True)
    t = torch.from_numpy(x[None] if single else x).to(device)
    y = model.eval()(t).double().cpu().numpy()
    y = y[0] if single else y
    if direction == "opt2sar":
        result: np.ndarray = denormalize_s1(y, symmetric=True)
    else:
        result = denormalize_s2(y, symmetric=True) * (optical_scale / S2_QUANTIFICATION)
    return result


def translate_scene(
    source: PathLike,
    weights: PathLike,
    output: PathLike,
    *,
    options: TiledOptions | None = None,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Translate a scene with a generator trained by ``saropt train translation``.

    opt2sar writes float32 SAR in dB (VV, VH, or the bands of the database it was trained
    on); sar2opt writes uint16 digital numbers (x10000; uint8 for a model trained on an 8-bit
    aerial database) with the model's band names. The output keeps the input's grid.

    Raises:
        BandCountError: The input has other bands than the model takes.
        ConfigError: The weights are not a translation generator.
    """
    model, config = load_model(weights, device=device)
    if not isinstance(model, TranslationGenerator):
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a translation generator")
    direction = config.get("direction", "opt2sar")
    opt = (options or TiledOptions()).rounded_to(model.factor).for_device(device)

    scale = float(config.get("optical_scale", S2_QUANTIFICATION))

    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        return translate_array(model, direction, arrays[0], device=device, optical_scale=scale)

    sar_out = direction == "opt2sar"
    kind: Kind = "optical" if sar_out else "sar"
    spec = InputSpec(source, "--input", kind, (model.in_channels,), quantification=scale)
    return predict_scene(
        [spec],
        output,
        predict,
        out_bands=model.out_channels,
        out_dtype="float32" if sar_out else ("uint8" if scale == 255 else "uint16"),
        options=opt,
        nodata=None if sar_out else 0,
        descriptions=tuple(config.get("sar_bands", S1_BANDS)) if sar_out else config.get("bands"),
        progress=progress,
    )
