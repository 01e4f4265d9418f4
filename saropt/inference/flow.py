"""Dense flow estimators behind one interface: the learned network and the baselines.

Every method maps a batch of fixed images (N, Cf, H, W) and moving images (N, Cm, H, W),
raw values as stored (SAR in dB, optical digital numbers, NaN for nodata), to flows
(N, 2, H, W): (dx, dy) in pixels such that ``moving[y + dy, x + dx]`` lands on
``fixed[y, x]`` (:mod:`saropt.transforms.flow`'s convention).

* ``pwc``: a PWC-multimodal network trained by ``saropt train registration``;
* ``gefolki``: GeFolki (:mod:`saropt.inference.gefolki`) on one band per image;
* ``phase``: phase correlation (:func:`saropt.metrics.phase_correlation_shift`) in
  overlapping windows, each window's translation placed at its centre, the grid of
  translations median-filtered (3 x 3, against outliers; saropt's choice) and interpolated
  bilinearly to every pixel: a local-translation field;
* ``zero``: no displacement (the images as they are).

The single band of the baselines is the mean of the bands, each standardised per image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
from scipy import ndimage

from saropt.errors import ConfigError
from saropt.io.grid import PathLike
from saropt.metrics.functional import phase_correlation_shift

FlowMethod = Callable[[np.ndarray, np.ndarray], np.ndarray]
MethodName = Literal["pwc", "gefolki", "phase", "zero"]
METHODS: tuple[MethodName, ...] = ("pwc", "gefolki", "phase", "zero")


def one_band(image: np.ndarray) -> np.ndarray:
    """The mean of an image's bands, each standardised (NaN ignored, then the mean).

    Shape:
        (C, H, W) -> (H, W) float64.
    """
    x = np.asarray(image, np.float64)
    mean = np.nanmean(x, axis=(1, 2), keepdims=True)
    std = np.nanstd(x, axis=(1, 2), keepdims=True)
    z = np.nan_to_num((x - mean) / np.where(std > 0, std, 1.0))
    return np.asarray(z.mean(axis=0))


def zero_flow(fixed: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """No displacement."""
    n, _, h, w = fixed.shape
    return np.zeros((n, 2, h, w), np.float32)


def phase_field(
    fixed: np.ndarray, moving: np.ndarray, window: int = 64, step: int = 32
) -> np.ndarray:
    """Local translations by phase correlation in windows ``step`` pixels apart, interpolated
    to every pixel.

    Shape:
        fixed, moving (H, W) -> (2, H, W) float32.
    """
    h, w = fixed.shape
    win = min(window, h, w)

    def starts(n: int) -> list[int]:
        s = list(range(0, n - win + 1, step))
        return s if s[-1] == n - win else [*s, n - win]

    rows, cols = starts(h), starts(w)
    grid = np.zeros((2, len(rows), len(cols)))
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            dy, dx = phase_correlation_shift(fixed[r : r + win, c : c + win],
                                             moving[r : r + win, c : c + win])  # fmt: skip
            grid[:, i, j] = (dx, dy)  # moving[y, x] ~ fixed[y - dy, x - dx]
    if grid.shape[1] > 2 and grid.shape[2] > 2:
        grid = np.stack([ndimage.median_filter(g, size=3, mode="nearest") for g in grid])
    # window centres -> pixel coordinates; outside the outermost centres: the nearest value
    cy = np.interp(np.arange(h), np.array(rows) + (win - 1) / 2, np.arange(len(rows)))
    cx = np.interp(np.arange(w), np.array(cols) + (win - 1) / 2, np.arange(len(cols)))
    yy, xx = np.meshgrid(cy, cx, indexing="ij")
    return np.stack([ndimage.map_coordinates(g, [yy, xx], order=1, mode="nearest")
                     for g in grid]).astype(np.float32)  # fmt: skip


def phase_flow(fixed: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """``phase`` over a batch."""
    return np.stack(
        [phase_field(one_band(a), one_band(b)) for a, b in zip(fixed, moving, strict=True)]
    )


def gefolki_batch(fixed: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """``gefolki`` over a batch."""
    from saropt.inference.gefolki import gefolki_flow

    return np.stack(
        [gefolki_flow(one_band(a), one_band(b)) for a, b in zip(fixed, moving, strict=True)]
    )


def network_flow(model: torch.nn.Module, device: str = "cpu") -> FlowMethod:
    """A trained flow network as a method."""

    @torch.inference_mode()
    def run(fixed: np.ndarray, moving: np.ndarray) -> np.ndarray:
        a = torch.from_numpy(np.asarray(fixed, np.float32)).to(device)
        b = torch.from_numpy(np.asarray(moving, np.float32)).to(device)
        return np.asarray(model(a, b).float().cpu().numpy())

    return run


def flow_method(
    name: str, weights: PathLike | None = None, *, device: str = "cpu"
) -> tuple[FlowMethod, dict[str, object]]:
    """The named method, and (for ``pwc``) the config stored with its weights.

    Raises:
        ConfigError: Unknown method, ``pwc`` without weights or with another model's, or
            ``gefolki`` without the gefolki package.
    """
    if name == "zero":
        return zero_flow, {}
    if name == "phase":
        return phase_flow, {}
    if name == "gefolki":
        from saropt.inference.gefolki import _module

        _module()  # fails now, with the install hint, rather than on the first tile
        return gefolki_batch, {}
    if name != "pwc":
        raise ConfigError(f"unknown registration method {name!r}; choose from {', '.join(METHODS)}")
    if weights is None:
        raise ConfigError("--method pwc needs --weights (registration.safetensors from "
                          "saropt train registration)")  # fmt: skip
    from saropt.models import load_model

    model, config = load_model(weights, device=device)
    if config["model"] != "pwc_multimodal":
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a registration network "
                          "(train one with saropt train registration)")  # fmt: skip
    return network_flow(model, device), config
