"""Decloud a whole Sentinel-2 scene with a trained SAR-Opt-cGAN (or Opt-cGAN) generator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from saropt.errors import ConfigError
from saropt.inference.runtime import Runtime, Timings
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import PathLike
from saropt.io.inputs import InputSpec, check_inputs
from saropt.io.sentinel import S1_BANDS, denormalize_s2, normalize_s1, normalize_s2
from saropt.models import CloudRemovalGenerator, load_model


def decloud_scene(
    optical: PathLike,
    sar: PathLike | None,
    weights: PathLike,
    output: PathLike,
    *,
    mask: PathLike | None = None,
    options: TiledOptions | None = None,
    runtime: Runtime | None = None,
    progress: Callable[[int, int], None] | None = None,
    timings: Timings | None = None,
) -> Path:
    """Predict the cloud-free image of a scene of any size, tile by tile.

    Args:
        optical: Cloudy Sentinel-2 GeoTIFF, the model's bands (x10000, or 0-1 reflectance,
            written back as it came).
        sar: Sentinel-1 VV/VH dB GeoTIFF on the same grid (not needed by an Opt-cGAN).
        weights: ``generator.safetensors`` written by training.
        output: Cloud-free GeoTIFF to write, in the optical input's dtype, nodata and band
            descriptions.
        mask: Optional cloud mask (non-zero = cloud) on the same grid: only those pixels
            are replaced, the rest keep their input values.
        options: Tiling; the tile is rounded up to a multiple of what the model needs.
        runtime: Device, precision, layout and compilation of the generator (default:
            the CPU, fp32, channels_last: see `benchmarks/decloud_speed.py`).
        progress: Called with (tiles done, tiles in total).
        timings: Filled with seconds per step (see :func:`predict_scene`; the predictor
            adds ``normalising``, ``model`` and ``denormalising``).

    Raises:
        ConfigError: A SAR model got no SAR image.
        BandCountError, GridMismatchError, InvalidValueError, AllNodataError, ScaleError:
            Inputs the model cannot take (:mod:`saropt.io.inputs`).
    """
    rt = runtime or Runtime(channels_last=True)
    model, config = _load_generator(weights, sar, rt.device)
    opt = (options or TiledOptions()).rounded_to(model.factor).for_device(rt.device)
    specs = [InputSpec(optical, "--optical", "optical", (model.optical_channels,),
                       config.get("bands", []))]  # fmt: skip
    if model.uses_sar and sar is not None:
        specs.append(InputSpec(sar, "--sar", "sar", (model.sar_channels,), S1_BANDS))
    if mask is not None:
        specs.append(InputSpec(mask, "--mask", bands=(1,)))
    checked = check_inputs(specs)
    info, scale = checked[0].info, checked[0].scale  # 0-1 reflectance comes back as 0-1 reflectance
    predict = _predictor(model, mask is not None, rt, timings or Timings())
    return predict_scene(
        checked,
        output,
        predict,
        out_bands=info.count,
        out_dtype=info.dtype,
        options=opt,
        nodata=info.nodata,
        descriptions=info.descriptions,
        progress=progress,
        finish=(info.count, lambda block: block / scale) if scale != 1.0 else None,
        timings=timings,
    )


def _load_generator(
    weights: PathLike, sar: PathLike | None, device: str
) -> tuple[CloudRemovalGenerator, dict[str, Any]]:
    """The generator in ``weights`` and the weights' config, with its SAR input given."""
    model, config = load_model(weights, device=device)
    if not isinstance(model, CloudRemovalGenerator):
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a cloud-removal generator")
    if model.uses_sar and sar is None:
        raise ConfigError("this model fuses SAR: pass the Sentinel-1 image (--sar)")
    return model, config


def _predictor(
    model: CloudRemovalGenerator, has_mask: bool, runtime: Runtime, timings: Timings
) -> Callable[[list[np.ndarray]], np.ndarray]:
    """What :func:`predict_scene` calls on each batch of windows: (optical DN, [SAR dB],
    [mask]) -> cloud-free DN; with a mask, clear pixels keep their input values (nodata
    pixels are :func:`predict_scene`'s)."""
    uses_sar = model.uses_sar
    net = runtime.prepare(model, timings)

    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        with timings.timed("normalising"):
            raw = arrays[0]
            x = torch.from_numpy(normalize_s2(raw, symmetric=True))
            s = None
            if uses_sar:
                s = torch.from_numpy(normalize_s1(arrays[1], symmetric=True).astype(np.float32))
        y = net(x, s)
        with timings.timed("denormalising"):
            out = denormalize_s2(y.numpy(), symmetric=True)
            if has_mask:  # clear pixels keep their values
                return np.where(arrays[-1][:, :1] == 0, raw, out)
            return out

    return predict
