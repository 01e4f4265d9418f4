"""Dense dot-product correlation of a template over a search window, all shifts at once.

Merkle et al. ("Exploiting deep matching and SAR data for the geo-localization accuracy
improvement of optical satellite images", Remote Sensing 2017) correlate optical template
features with SAR search features by a dot product at every shift. All shifts are
computed at once, either through the FFT (products of spectra summed over channels: the
fast route on CPUs, 8-16x faster than a loop over shifts here) or as one grouped
convolution in which each sample's template is its own kernel (suits cuDNN on GPUs, but
slower than the loop on CPUs for large templates).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn


def dense_correlation(
    search: torch.Tensor, template: torch.Tensor, method: Literal["fft", "conv"] = "fft"
) -> torch.Tensor:
    """Dot product of the template with the search window at every valid shift.

    Args:
        search: Search-window features.
        template: Template features.
        method: "fft" (circular correlation through the FFT, of which only the shifts that
            do not wrap around are kept) or "conv" (one grouped convolution).

    Shape:
        search (N, C, Hs, Ws), template (N, C, Ht, Wt) -> (N, Hs - Ht + 1, Ws - Wt + 1).
    """
    n, c, hs, ws = search.shape
    ht, wt = template.shape[-2:]
    if template.shape[:2] != (n, c) or ht > hs or wt > ws:
        raise ValueError(
            f"template {tuple(template.shape)} does not fit search {tuple(search.shape)}"
        )
    if method == "conv":
        out = F.conv2d(search.reshape(1, n * c, hs, ws), template, groups=n)
        return out.reshape(n, out.shape[-2], out.shape[-1])
    spec = torch.fft.rfft2(search) * torch.fft.rfft2(template, s=(hs, ws)).conj()
    corr = torch.fft.irfft2(spec.sum(dim=1), s=(hs, ws))
    return corr[:, : hs - ht + 1, : ws - wt + 1]


def correlation_loop(search: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """The same, one shift at a time (the reference, and the benchmark's baseline).

    Shape:
        as :func:`dense_correlation`.
    """
    ht, wt = template.shape[-2:]
    ho, wo = search.shape[-2] - ht + 1, search.shape[-1] - wt + 1
    out = torch.empty(search.shape[0], ho, wo, dtype=search.dtype, device=search.device)
    for dy in range(ho):
        for dx in range(wo):
            out[:, dy, dx] = (search[:, :, dy : dy + ht, dx : dx + wt] * template).sum(
                dim=(1, 2, 3)
            )
    return out


class DenseCorrelation(nn.Module):
    """Module form of :func:`dense_correlation`."""

    def forward(self, search: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
        return dense_correlation(search, template)


def normalized_cross_correlation(search: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """Zero-mean normalised cross-correlation (NCC) at every shift, in [-1, 1].

    The classic area-based matcher, the baseline of deep SAR-optical matching.

    Shape:
        search (N, 1, Hs, Ws), template (N, 1, Ht, Wt) -> (N, Hs - Ht + 1, Ws - Wt + 1).
    """
    ht, wt = template.shape[-2:]
    t = template - template.mean(dim=(2, 3), keepdim=True)
    t = t / t.flatten(1).norm(dim=1).clamp_min(1e-12)[:, None, None, None]
    num = dense_correlation(search, t)  # the template is zero-mean: the window mean drops out
    ones = torch.ones(1, 1, ht, wt, dtype=search.dtype, device=search.device)
    s1 = F.conv2d(search, ones)[:, 0]
    s2 = F.conv2d(search * search, ones)[:, 0]
    var = (s2 - s1 * s1 / (ht * wt)).clamp_min(1e-12)
    return num / var.sqrt()


def local_correlation(first: torch.Tensor, second: torch.Tensor, radius: int = 4) -> torch.Tensor:
    """Cost volume of optical flow networks: at every pixel, the channel-mean dot product of
    ``first`` with ``second`` displaced by every shift within ``radius`` (PWC-Net, Sun et al.,
    CVPR 2018). Beyond the border ``second`` is zero.

    Channel ``k = (dy + radius) * (2 radius + 1) + (dx + radius)`` holds
    ``mean_c first[c, y, x] * second[c, y + dy, x + dx]``. One vectorised product per shift:
    (2 radius + 1)^2 of them, each over the whole batch.

    Shape:
        first, second (N, C, H, W) -> (N, (2 radius + 1)^2, H, W).
    """
    if first.shape != second.shape or first.ndim != 4:
        raise ValueError(
            f"need two (N, C, H, W) tensors of one shape; got {tuple(first.shape)}, "
            f"{tuple(second.shape)}"
        )
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    h, w = first.shape[-2:]
    padded = F.pad(second, (radius, radius, radius, radius))
    side = 2 * radius + 1
    out = [
        (first * padded[:, :, dy : dy + h, dx : dx + w]).mean(dim=1)
        for dy in range(side)
        for dx in range(side)
    ]
    return torch.stack(out, dim=1)


def local_correlation_loop(
    first: torch.Tensor, second: torch.Tensor, radius: int = 4
) -> torch.Tensor:
    """The same, one pixel and shift at a time (the reference of the tests).

    Shape:
        as :func:`local_correlation`.
    """
    n, c, h, w = first.shape
    side = 2 * radius + 1
    out = torch.zeros(n, side * side, h, w, dtype=first.dtype)
    for y in range(h):
        for x in range(w):
            for dy in range(-radius, radius + 1):
                for dx in range(-radius, radius + 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w:
                        k = (dy + radius) * side + (dx + radius)
                        out[:, k, y, x] = (first[:, :, y, x] * second[:, :, yy, xx]).sum(1) / c
    return out


class LocalCorrelation(nn.Module):
    """Module form of :func:`local_correlation`."""

    def __init__(self, radius: int = 4) -> None:
        super().__init__()
        self.radius = radius

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return local_correlation(first, second, self.radius)
