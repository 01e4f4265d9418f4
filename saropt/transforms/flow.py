"""Dense displacement fields: warping by a flow, inverting one, and random smooth
deformations of co-registered pairs (the training data of learned registration, after the
DREAM paper, Colin Koeniguer et al., IGARSS 2021, section 3.1).

Flow convention, everywhere in saropt: a flow (2, H, W) holds (dx, dy) in pixels on the
fixed image's grid, and the moving image registered onto the fixed one is
``registered[y, x] = moving[y + dy, x + dx]`` (a backward warp, as GeFolki's ``wrapData``).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F

Padding = Literal["border", "zeros", "reflection"]


def pixel_grid(height: int, width: int, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Pixel coordinates (x, y) of every pixel.

    Shape:
        -> (2, height, width).
    """
    ys = torch.arange(height, dtype=dtype)
    xs = torch.arange(width, dtype=dtype)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack([gx, gy])


def warp(image: torch.Tensor, flow: torch.Tensor, padding: Padding = "border") -> torch.Tensor:
    """Bilinear backward warp: ``out[..., y, x] = image[..., y + dy, x + dx]``.

    Args:
        image: Images (or feature maps) to resample.
        flow: (dx, dy) in pixels of ``image``.
        padding: What samples beyond the border read ("zeros" for feature maps).

    Shape:
        image (N, C, H, W), flow (N, 2, H, W) -> (N, C, H, W).
    """
    n, _, h, w = image.shape
    if flow.shape != (n, 2, h, w):
        raise ValueError(f"flow {tuple(flow.shape)} does not fit image {tuple(image.shape)}")
    pos = pixel_grid(h, w, dtype=flow.dtype).to(flow.device)[None] + flow
    # grid_sample's normalised coordinates with align_corners=True: -1 and 1 are the
    # centres of the first and last pixels
    gx = 2.0 * pos[:, 0] / max(w - 1, 1) - 1.0
    gy = 2.0 * pos[:, 1] / max(h - 1, 1) - 1.0
    grid = torch.stack([gx, gy], dim=-1).to(image.dtype)
    return F.grid_sample(image, grid, mode="bilinear", padding_mode=padding, align_corners=True)


def invert_flow(flow: torch.Tensor, iterations: int = 30) -> torch.Tensor:
    """The flow ``g`` that undoes ``flow``: ``warp(warp(x, g), flow) ~= x``.

    Solves ``g(q) = -flow(q + g(q))`` by fixed-point iteration, which converges for smooth
    fields whose Jacobian stays well below 1 (every field :func:`random_flow` draws).

    Shape:
        (N, 2, H, W) -> (N, 2, H, W).
    """
    g = -flow
    for _ in range(iterations):
        g = -warp(flow, g)
    return g


def _unit_max(field: torch.Tensor) -> torch.Tensor:
    """The field scaled so that its largest displacement is 1 px."""
    return field / field.norm(dim=0).amax().clamp_min(1e-12)


def random_flow(
    height: int,
    width: int,
    max_shift: float = 8.0,
    generator: torch.Generator | None = None,
    *,
    spacing: float = 64.0,
    affine_share: float = 0.5,
    exact: bool = False,
) -> torch.Tensor:
    """A random smooth displacement field: low-pass noise plus an affine part.

    The smooth part is Gaussian noise on a grid of control points ``spacing`` pixels apart
    (at least 2 x 2), upsampled bicubically to the image; the affine part is a random 2x2
    matrix (rotation, scale and shear) about the centre plus a translation. Both are scaled
    to a largest displacement of 1 px, mixed with an affine weight drawn in
    [0, 2 ``affine_share``] (clipped to 1), and the mix is scaled so that its largest
    displacement is ``max_shift`` (``exact``) or a magnitude drawn uniformly in
    [0, ``max_shift``].

    Args:
        height, width: Field size in pixels.
        max_shift: Largest displacement in pixels.
        generator: Source of randomness (the same generator state gives the same field).
        spacing: Distance between the smooth part's control points (less: wigglier).
        affine_share: Mean weight of the affine part.
        exact: Scale every field to exactly ``max_shift`` (evaluation at a set amplitude).

    Shape:
        -> (2, height, width): (dx, dy).
    """
    if max_shift < 0 or spacing <= 0 or not 0 <= affine_share <= 1:
        raise ValueError(
            f"need max_shift >= 0, spacing > 0, affine_share in [0, 1]; got {max_shift}, "
            f"{spacing}, {affine_share}"
        )
    g = generator
    ny, nx = (max(2, round(n / spacing) + 1) for n in (height, width))
    coarse = torch.randn(1, 2, ny, nx, generator=g)
    smooth = F.interpolate(coarse, size=(height, width), mode="bicubic", align_corners=True)[0]
    matrix = torch.randn(2, 2, generator=g)
    shift = torch.randn(2, 1, 1, generator=g)
    pos = pixel_grid(height, width)
    centred = (pos - torch.tensor([(width - 1) / 2, (height - 1) / 2])[:, None, None]) / max(
        height, width
    )
    affine = torch.einsum("ij,jhw->ihw", matrix, centred) + shift
    mix = min(1.0, float(torch.rand(1, generator=g)) * 2 * affine_share)
    field = _unit_max(mix * _unit_max(affine) + (1 - mix) * _unit_max(smooth))
    size = max_shift if exact else float(torch.rand(1, generator=g)) * max_shift
    return field * size


def deform(moving: torch.Tensor, flow: torch.Tensor, padding: Padding = "border") -> torch.Tensor:
    """Deform the moving image of a co-registered pair so that ``flow`` registers it back:
    ``warp(deform(x, flow), flow) ~= x`` (up to bilinear blur and the border).

    Shape:
        moving (N, C, H, W), flow (N, 2, H, W) -> (N, C, H, W).
    """
    return warp(moving, invert_flow(flow), padding)
