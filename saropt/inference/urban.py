"""Built-up maps of whole scenes from Sentinel-1 and Sentinel-2 with a network trained by
``saropt train urban``.

The network is fully convolutional: tiles (256 px by default, overlapping by 32) go
through it in batches and overlapping tiles are blended by
:func:`~saropt.inference.tiled.predict_scene`, so memory stays flat whatever the scene's
size. The output GeoTIFF (float32, on the inputs' grid) holds the urban probability (the
mean of the heads), the binary map (probability > 0.5) and, with ``branches``, each head's
probability (for the dual-stream U-Net: SAR, then optical).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from saropt.datasets.urban_datamodule import select_optical
from saropt.errors import ConfigError
from saropt.inference.runtime import Runtime, Timings
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import PathLike
from saropt.io.inputs import CheckedInput, InputSpec, check_inputs
from saropt.io.sentinel import S1_BANDS, S2_BANDS, normalize_s1, normalize_s2
from saropt.metrics.segmentation import THRESHOLD
from saropt.models import load_model
from saropt.models.urban import model_heads

#: Registry names of the urban networks.
URBAN_MODELS: tuple[str, ...] = ("dual_stream_unet", "urban_unet")


def _check_inputs(
    s1: PathLike, s2: PathLike, weights: PathLike, config: dict[str, Any], tile: int, overlap: int
) -> tuple[tuple[str, ...], list[CheckedInput]]:
    """The model's optical bands and the inputs, once the weights, tiling and inputs
    (:func:`~saropt.io.inputs.check_inputs`) are checked."""
    if config["model"] not in URBAN_MODELS:
        raise ConfigError(f"'{weights}' holds a {config['model']}, not an urban network "
                          "(train one with saropt train urban)")  # fmt: skip
    if tile % 4 or overlap % 4 or not 0 <= overlap < tile:
        raise ConfigError(f"tile ({tile}) and overlap ({overlap}) must be multiples of 4 "
                          "with overlap below the tile")  # fmt: skip
    bands = tuple(config.get("optical_bands") or S2_BANDS)
    return bands, check_inputs([
        InputSpec(s1, "--s1", "sar", (2,), S1_BANDS),
        InputSpec(s2, "--s2", "optical", (len(bands), len(S2_BANDS)),
                  [*bands, f"or all {len(S2_BANDS)} Sentinel-2 bands"]),
    ])  # fmt: skip


def urban_scene(
    s1: PathLike,
    s2: PathLike,
    weights: PathLike,
    output: PathLike,
    *,
    branches: bool = False,
    tile: int = 256,
    overlap: int = 32,
    batch_size: int = 4,
    runtime: Runtime | None = None,
    progress: Callable[[int, int], None] | None = None,
    timings: Timings | None = None,
) -> Path:
    """Write a scene's urban probability and binary map.

    Args:
        s1: Sentinel-1 VV, VH in dB.
        s2: Sentinel-2 digital numbers: the model's bands in its order, or all 13 bands.
        weights: ``urban.safetensors`` from training.
        output: GeoTIFF to write (atomically).
        branches: Also write each head's probability.
        tile, overlap: Tile side and overlap in pixels (multiples of 4).
        runtime: Device, precision, layout and compilation (default: the CPU, fp32,
            channels_last, which ran the full network 1.5x faster than NCHW in
            `benchmarks/urban.py`).
        timings: Filled with seconds per step (see :func:`predict_scene`).

    Raises:
        ConfigError: Weights of another model, or tiles that are not multiples of 4.
        BandCountError: An input with other bands than the model takes.
        GridMismatchError, CRSMismatchError: The two inputs are not on one grid.
    """
    rt = runtime or Runtime(channels_last=True)
    model, config = load_model(weights, device=rt.device)
    bands, checked = _check_inputs(s1, s2, weights, config, tile, overlap)
    heads = model_heads(model)
    net = rt.prepare(model, timings)

    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        sar = normalize_s1(arrays[0].astype(np.float32))
        opt = np.stack([select_optical(a, bands, str(s2)) for a in arrays[1]])
        x_opt = torch.from_numpy(normalize_s2(opt.astype(np.float32)))
        prob = torch.sigmoid(net(torch.from_numpy(sar), x_opt))
        parts = [prob.mean(1, keepdim=True)] + ([prob] if branches else [])
        return torch.cat(parts, 1).numpy()

    def finish(block: np.ndarray) -> np.ndarray:
        return np.concatenate([block[:1], (block[:1] > THRESHOLD).astype(block.dtype), block[1:]])

    out_bands = 1 + (len(heads) if branches else 0)
    names = ["urban_probability", "urban"] + ([f"p_{h}" for h in heads] if branches else [])
    return predict_scene(
        checked, output, predict, out_bands=out_bands, out_dtype="float32",
        options=TiledOptions(tile, overlap, batch_size, max(2048, tile)).for_device(rt.device),
        descriptions=names, progress=progress, finish=(out_bands + 1, finish), timings=timings,
    )  # fmt: skip
