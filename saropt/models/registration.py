"""PWC-multimodal: a PWC-Net (Sun, Yang, Liu and Kautz, "PWC-Net: CNNs for optical flow using
pyramid, warping, and cost volume", CVPR 2018) adapted to SAR-optical registration, after
Colin Koeniguer et al., "DREAM: a multimodal database" (IGARSS 2021, section 3.1), who
train it on synthetic deformations of co-registered Sentinel-1/Sentinel-2 tiles.

The DREAM paper gives no architecture details. What follows PWC-Net: a six-level feature
pyramid (three 3x3 convolutions per level, the first with stride 2, LeakyReLU 0.1), at
each level from the coarsest to 1/4 resolution a cost volume of radius 4 between the fixed
features and the moving features warped by the upsampled flow, a DenseNet flow estimator
(128, 128, 96, 64, 32 channels), a dilated context network (dilations 1, 2, 4, 8, 16, 1)
refining the 1/4-resolution flow, and flows carried in units of 20 pixels.

PWC-Net's MSRA (Kaiming) initialisation is kept: torch's default shrinks the features
about threefold per layer, and the network then never sees its inputs. saropt's choices
(the paper is silent): one pyramid per modality (separate weights; SAR and optical
statistics differ), each input standardised per image and channel inside the
network (so calibration, dB offsets and 8-bit vs reflectance scaling do not matter), the
flow upsampled bilinearly between levels (PWC-Net uses a transposed convolution), the
input reflect-padded to a multiple of 2^levels and the output cropped back, and
``width`` scaling every channel count (16: PWC-Net's, about 9 M weights).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from saropt.layers.correlation import local_correlation
from saropt.models.registry import register
from saropt.transforms.flow import warp

#: PWC-Net's flow scale: networks carry flow / 20.
FLOW_SCALE = 20.0
#: PWC-Net's pyramid channels (level 1 .. 6) and estimator/context widths at width 16.
PYRAMID = (16, 32, 64, 96, 128, 196)
ESTIMATOR = (128, 128, 96, 64, 32)
CONTEXT = ((128, 1), (128, 2), (128, 4), (96, 8), (64, 16), (32, 1))


def _conv(cin: int, cout: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, padding=dilation, dilation=dilation),
        nn.LeakyReLU(0.1),
    )


def standardise(x: torch.Tensor) -> torch.Tensor:
    """Per-image, per-channel zero mean and unit variance; NaN (nodata) becomes 0, values are
    clipped to +-5 standard deviations.

    Shape:
        (N, C, H, W) -> (N, C, H, W).
    """
    finite = torch.isfinite(x)
    x0 = torch.where(finite, x, torch.zeros_like(x))
    count = finite.sum(dim=(2, 3), keepdim=True).clamp_min(1)
    mean = x0.sum(dim=(2, 3), keepdim=True) / count
    var = (torch.where(finite, x0 - mean, torch.zeros_like(x)) ** 2).sum(dim=(2, 3), keepdim=True)
    std = (var / count).sqrt().clamp_min(1e-6)
    return torch.where(finite, (x0 - mean) / std, torch.zeros_like(x)).clamp(-5.0, 5.0)


class FeaturePyramid(nn.Module):
    """Features at 1/2 .. 1/2^levels resolution (finest first)."""

    def __init__(self, in_channels: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        layers, cin = [], in_channels
        for c in channels:
            layers.append(nn.Sequential(_conv(cin, c, 2), _conv(c, c), _conv(c, c)))
            cin = c
        self.levels = nn.ModuleList(layers)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        out = []
        for layer in self.levels:
            x = layer(x)
            out.append(x)
        return out


class FlowEstimator(nn.Module):
    """DenseNet flow estimator of one level: every layer sees the input and all earlier
    layers' outputs; returns (features, flow)."""

    def __init__(self, in_channels: int, widths: tuple[int, ...]) -> None:
        super().__init__()
        layers, cin = [], in_channels
        for c in widths:
            layers.append(_conv(cin, c))
            cin += c
        self.layers = nn.ModuleList(layers)
        self.out_channels = cin
        self.flow = nn.Conv2d(cin, 2, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        for layer in self.layers:
            x = torch.cat([layer(x), x], dim=1)
        return x, self.flow(x)


class ContextNetwork(nn.Module):
    """Dilated convolutions that refine the finest flow (a residual)."""

    def __init__(self, in_channels: int, widths: tuple[tuple[int, int], ...]) -> None:
        super().__init__()
        layers, cin = [], in_channels
        for c, d in widths:
            layers.append(_conv(cin, c, dilation=d))
            cin = c
        self.body = nn.Sequential(*layers, nn.Conv2d(cin, 2, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out


@register("pwc_multimodal")
class PWCMultimodal(nn.Module):
    """Dense flow from a fixed (SAR) image to a moving (optical) one.

    ``forward(fixed, moving)`` returns the flow (dx, dy) in pixels on the fixed grid, such
    that ``moving[y + dy, x + dx]`` lands on ``fixed[y, x]``
    (:mod:`saropt.transforms.flow`'s convention).

    Args:
        fixed_channels: Bands of the fixed image (2: Sentinel-1 VV, VH in dB).
        moving_channels: Bands of the moving image (4: Sentinel-2 B2, B3, B4, B8).
        width: Channel scale; 16 is PWC-Net's (about 9 M weights), 4 runs on a laptop CPU.
        levels: Pyramid levels (6: PWC-Net's; flow estimated from 1/64 to 1/4).
        radius: Cost-volume search radius at every level (PWC-Net's 4).
        context: Refine the finest flow with the context network.

    Shape:
        fixed (N, Cf, H, W), moving (N, Cm, H, W) -> (N, 2, H, W).
    """

    def __init__(
        self,
        fixed_channels: int = 2,
        moving_channels: int = 4,
        *,
        width: int = 16,
        levels: int = 6,
        radius: int = 4,
        context: bool = True,
    ) -> None:
        super().__init__()
        if not 3 <= levels <= 6 or width < 1 or radius < 1:
            raise ValueError(f"need 3 <= levels <= 6, width >= 1, radius >= 1; got {levels}, "
                             f"{width}, {radius}")  # fmt: skip

        def scale(c: int) -> int:
            return max(2, round(c * width / 16))

        pyramid = tuple(scale(c) for c in PYRAMID[:levels])
        self.levels, self.radius = levels, radius
        self.fixed_pyramid = FeaturePyramid(fixed_channels, pyramid)
        self.moving_pyramid = FeaturePyramid(moving_channels, pyramid)
        est = tuple(scale(c) for c in ESTIMATOR)
        cost = (2 * radius + 1) ** 2
        # estimators for pyramid levels `levels` (coarsest) down to 2 (1/4 resolution)
        self.estimators = nn.ModuleList()
        self.upfeat = nn.ModuleList()
        for i, lvl in enumerate(range(levels, 1, -1)):
            extra = 0 if i == 0 else pyramid[lvl - 1] + 4  # fixed features, flow, upfeat
            e = FlowEstimator(cost + extra, est)
            self.estimators.append(e)
            if lvl > 2:
                self.upfeat.append(nn.ConvTranspose2d(e.out_channels, 2, 4, 2, 1))
        last = self.estimators[-1]
        assert isinstance(last, FlowEstimator)
        self.context = (
            ContextNetwork(last.out_channels + 2, tuple((scale(c), d) for c, d in CONTEXT))
            if context
            else None
        )
        for mod in self.modules():  # MSRA init, as PWC-Net: torch's default init shrinks the
            if isinstance(mod, nn.Conv2d | nn.ConvTranspose2d):  # features 3x per layer
                nn.init.kaiming_normal_(mod.weight, a=0.1, nonlinearity="leaky_relu")
                assert mod.bias is not None
                nn.init.zeros_(mod.bias)

    @property
    def multiple(self) -> int:
        """Input sides are padded to a multiple of this."""
        return int(2**self.levels)

    def pyramid_flows(self, fixed: torch.Tensor, moving: torch.Tensor) -> list[torch.Tensor]:
        """Flow / 20 at 1/2^levels .. 1/4 resolution of the padded input (coarsest first).

        Shape:
            fixed (N, Cf, H, W), moving (N, Cm, H, W) with H, W multiples of
            :attr:`multiple` -> [(N, 2, H / 2^l, W / 2^l) for l = levels .. 2].
        """
        f1 = self.fixed_pyramid(standardise(fixed))
        f2 = self.moving_pyramid(standardise(moving))
        flows: list[torch.Tensor] = []
        flow = feat = up_feat = None
        for i, lvl in enumerate(range(self.levels, 1, -1)):
            a, b = f1[lvl - 1], f2[lvl - 1]
            if flow is None:
                x = F.leaky_relu(local_correlation(a, b, self.radius), 0.1)
            else:
                up = F.interpolate(flow, scale_factor=2, mode="bilinear", align_corners=False)
                assert feat is not None
                up_feat = self.upfeat[i - 1](feat)
                warped = warp(b, up * (FLOW_SCALE / 2**lvl), padding="zeros")
                cost = F.leaky_relu(local_correlation(a, warped, self.radius), 0.1)
                x = torch.cat([cost, a, up, up_feat], dim=1)
                flow = up
            feat, delta = self.estimators[i](x)
            flow = delta if flow is None else flow + delta
            flows.append(flow)
        if self.context is not None:
            assert feat is not None and flow is not None
            flows[-1] = flow + self.context(torch.cat([feat, flow], dim=1))
        return flows

    def forward(self, fixed: torch.Tensor, moving: torch.Tensor) -> torch.Tensor:
        if fixed.shape[0] != moving.shape[0] or fixed.shape[-2:] != moving.shape[-2:]:
            raise ValueError(f"fixed {tuple(fixed.shape)} and moving {tuple(moving.shape)} "
                             "differ in batch or size")  # fmt: skip
        h, w = fixed.shape[-2:]
        m = self.multiple
        ph, pw = -h % m, -w % m
        if ph or pw:
            mode = "reflect" if min(h, w) > max(ph, pw) else "replicate"
            fixed = F.pad(fixed, (0, pw, 0, ph), mode=mode)
            moving = F.pad(moving, (0, pw, 0, ph), mode=mode)
        flow = self.pyramid_flows(fixed, moving)[-1] * FLOW_SCALE
        full = F.interpolate(flow, scale_factor=4, mode="bilinear", align_corners=False)
        return full[..., :h, :w]


def multiscale_epe_loss(
    flows: list[torch.Tensor],
    target: torch.Tensor,
    weights: tuple[float, ...] = (0.32, 0.08, 0.02, 0.01, 0.005),
) -> torch.Tensor:
    """PWC-Net's training loss: at each level, the end-point error between the predicted
    flow / 20 and the true flow averaged down to that level, summed over pixels and
    weighted (0.32 at 1/64 .. 0.005 at 1/4); averaged over the batch. Weight decay is the
    optimiser's.

    Shape:
        flows: (N, 2, H / 2^l, W / 2^l), coarsest first (the last ``len(flows)`` weights
        apply); target (N, 2, H, W) in pixels.
    """
    if len(flows) > len(weights):
        raise ValueError(f"{len(flows)} flow levels but {len(weights)} weights")
    total = target.new_zeros(())
    for flow, wgt in zip(flows, weights[len(weights) - len(flows) :], strict=True):
        gt = F.adaptive_avg_pool2d(target, (flow.shape[-2], flow.shape[-1])) / FLOW_SCALE
        epe = (flow - gt).pow(2).sum(dim=1).add(1e-12).sqrt()
        total = total + wgt * epe.sum(dim=(1, 2)).mean()
    return total
