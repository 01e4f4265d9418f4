"""Decloud a whole Sentinel-2 scene with a trained SAR-Opt-cGAN (or Opt-cGAN) generator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import torch

from saropt.errors import BandCountError, ConfigError
from saropt.inference.tiled import TiledOptions, predict_scene
from saropt.io.grid import PathLike
from saropt.io.raster import RasterInfo, read_info
from saropt.io.sentinel import denormalize_s2, normalize_s1, normalize_s2
from saropt.models import CloudRemovalGenerator, load_model


def decloud_scene(
    optical: PathLike,
    sar: PathLike | None,
    weights: PathLike,
    output: PathLike,
    *,
    mask: PathLike | None = None,
    options: TiledOptions | None = None,
    device: str = "cpu",
    precision: Literal["fp32", "bf16"] = "fp32",
    channels_last: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Predict the cloud-free image of a scene of any size, tile by tile.

    Args:
        optical: Cloudy Sentinel-2 GeoTIFF (digital numbers x10000, the model's bands).
        sar: Sentinel-1 VV/VH dB GeoTIFF on the same grid (not needed by an Opt-cGAN).
        weights: ``generator.safetensors`` written by training.
        output: Cloud-free GeoTIFF to write, in the optical input's dtype, nodata and band
            descriptions.
        mask: Optional cloud mask (non-zero = cloud) on the same grid: only those pixels
            are replaced, the rest keep their input values.
        options: Tiling; the tile is rounded up to a multiple of what the model needs.
        device: Torch device.
        precision: "bf16" runs the model under bfloat16 autocast.
        channels_last: Use the channels-last memory layout (faster convolutions on some
            hardware).
        progress: Called with (tiles done, tiles in total).

    Raises:
        BandCountError: The optical image has other bands than the model.
        ConfigError: A SAR model got no SAR image.
        GridMismatchError: The inputs are not on one grid.
    """
    model, info = _load_generator(weights, optical, sar, device)
    opt = options or TiledOptions()
    tile = -(-opt.tile // model.factor) * model.factor
    opt = TiledOptions(tile, min(opt.overlap, tile // 2), opt.batch_size, max(opt.panel, tile))
    inputs: list[PathLike] = [optical]
    if model.uses_sar and sar is not None:
        inputs.append(sar)
    if mask is not None:
        inputs.append(mask)
    predict = _predictor(
        model, info.nodata, mask is not None, device=device, precision=precision,
        channels_last=channels_last,
    )  # fmt: skip
    return predict_scene(
        inputs,
        output,
        predict,
        out_bands=info.count,
        out_dtype=info.dtype,
        options=opt,
        nodata=info.nodata,
        descriptions=info.descriptions,
        progress=progress,
    )


def _load_generator(
    weights: PathLike, optical: PathLike, sar: PathLike | None, device: str
) -> tuple[CloudRemovalGenerator, RasterInfo]:
    """The generator in ``weights`` and the optical input's metadata, checked against it."""
    model, config = load_model(weights, device=device)
    if not isinstance(model, CloudRemovalGenerator):
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a cloud-removal generator")
    info = read_info(optical)
    if info.count != model.optical_channels:
        raise BandCountError(
            f"'{optical}' has {info.count} bands but the model was trained on "
            f"{model.optical_channels} ({', '.join(config.get('bands', []))}); give those bands"
        )
    if model.uses_sar and sar is None:
        raise ConfigError("this model fuses SAR: pass the Sentinel-1 image (--sar)")
    return model, info


def _predictor(
    model: CloudRemovalGenerator,
    nodata: float | None,
    has_mask: bool,
    *,
    device: str,
    precision: Literal["fp32", "bf16"],
    channels_last: bool,
) -> Callable[[list[np.ndarray]], np.ndarray]:
    """What :func:`predict_scene` calls on each batch of windows: (optical DN, [SAR dB],
    [mask]) -> cloud-free DN; nodata pixels, and clear pixels when a mask is given, keep
    their input values."""
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)  # type: ignore[call-overload]  # absent from stubs
    dev_type = torch.device(device).type

    @torch.inference_mode()
    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        raw = arrays[0].astype(np.float64)
        x = torch.from_numpy(normalize_s2(raw, symmetric=True)).to(device)
        s = None
        if model.uses_sar:
            s = torch.from_numpy(normalize_s1(arrays[1], symmetric=True)).to(device)
        xs = x.float().contiguous(memory_format=layout)
        ss = None if s is None else s.float().contiguous(memory_format=layout)
        with torch.autocast(dev_type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            y = model(xs, ss)
        out = denormalize_s2(y.double().cpu().numpy(), symmetric=True)
        keep = np.zeros(raw.shape[:1] + raw.shape[2:], dtype=bool)
        if nodata is not None:
            keep |= np.all(raw == nodata, axis=1)
        if has_mask:
            keep |= arrays[-1][:, 0] == 0  # clear pixels keep their values
        return np.where(keep[:, None], raw, out)

    return predict
