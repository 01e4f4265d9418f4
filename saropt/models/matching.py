"""Deep SAR-optical matching models.

ShiftClassifier: Merkle et al., "Exploiting deep matching and SAR data for the
geo-localization accuracy improvement of optical satellite images", Remote Sensing 2017,
summarised in Hughes et al., "Deep learning for SAR-optical image matching", IGARSS 2019.
A siamese CNN embeds an optical template and a larger SAR search window; the dot-product
correlation of the two feature maps scores every shift, and training treats the shifts as
classes with a smooth (Gaussian-blurred) cross-entropy.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from saropt.layers.correlation import dense_correlation, normalized_cross_correlation
from saropt.models.registry import register


def _block(cin: int, cout: int) -> nn.Sequential:
    # GroupNorm, not BatchNorm: the shared trunk sees optical and SAR batches in turn, and
    # BatchNorm's running statistics would blend the two modalities, right for neither
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(4, cout), nn.ReLU()
    )


class ShiftClassifier(nn.Module):
    """Siamese shift estimator: modality stems, a shared trunk, dense correlation.

    Each modality gets a 1x1 stem to ``width`` channels (the inputs have different band
    counts); the trunk that follows is shared by both (siamese). Features keep the input
    resolution, so the score map has one entry per integer shift.

    Args:
        optical_channels: Bands of the optical template.
        sar_channels: Bands of the SAR search window.
        width: Feature channels.
        layers: 3x3 convolution layers of the shared trunk.

    Shape:
        optical (N, Co, T, T), sar (N, Cs, S, S) -> logits (N, S - T + 1, S - T + 1).
    """

    def __init__(
        self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 32, layers: int = 6
    ) -> None:
        super().__init__()
        self.optical_stem = nn.Conv2d(optical_channels, width, 1)
        self.sar_stem = nn.Conv2d(sar_channels, width, 1)
        self.trunk = nn.Sequential(*[_block(width, width) for _ in range(layers)])
        self.head = nn.Conv2d(width, width, 1)
        self.temperature = nn.Parameter(torch.tensor(10.0))

    def features(self, x: torch.Tensor, optical: bool) -> torch.Tensor:
        stem = self.optical_stem if optical else self.sar_stem
        result: torch.Tensor = self.head(self.trunk(stem(x)))
        return result

    def forward(self, optical: torch.Tensor, sar: torch.Tensor) -> torch.Tensor:
        t = self.features(optical, True)
        s = self.features(sar, False)
        # cosine of template and window features at every shift, times a learnt temperature:
        # bounded logits whatever the windows' feature energy
        t = t / t.flatten(1).norm(dim=1).clamp_min(1e-6)[:, None, None, None]
        ones = torch.ones(1, 1, *t.shape[-2:], dtype=s.dtype, device=s.device)
        energy = torch.nn.functional.conv2d((s * s).sum(dim=1, keepdim=True), ones)[:, 0]
        cosine = dense_correlation(s, t) / energy.clamp_min(1e-6).sqrt()
        result: torch.Tensor = cosine * self.temperature
        return result


def peak_shift(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Sub-pixel peak of score maps, its confidence and the peak ratio.

    The peak is refined by a parabola through its neighbours in each direction. Shifts are
    relative to the centre of the map (a template centred in the search window is 0, 0).

    Returns:
        (shifts (N, 2) as (dy, dx), confidence (N,): the softmax probability mass within one
        pixel of the peak, peak ratio (N,): the best score's probability over the best one
        at least 3 px away).

    Shape:
        logits (N, H, W).
    """
    n, h, w = logits.shape
    prob = torch.softmax(logits.flatten(1), dim=1).reshape(n, h, w)
    idx = logits.flatten(1).argmax(dim=1)
    py, px = idx // w, idx % w

    def offset(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        denom = a - 2 * b + c
        return torch.where(denom.abs() > 1e-9, 0.5 * (a - c) / denom, torch.zeros_like(b)).clamp(
            -0.5, 0.5
        )

    r = torch.arange(n)
    up, down = (py - 1).clamp(0, h - 1), (py + 1).clamp(0, h - 1)
    left, right = (px - 1).clamp(0, w - 1), (px + 1).clamp(0, w - 1)
    centre = logits[r, py, px]
    dy = offset(logits[r, up, px], centre, logits[r, down, px])
    dx = offset(logits[r, py, left], centre, logits[r, py, right])
    shifts = torch.stack([py + dy - (h - 1) / 2.0, px + dx - (w - 1) / 2.0], dim=1)
    ys = torch.arange(h)[None, :, None]
    xs = torch.arange(w)[None, None, :]
    dist = torch.maximum((ys - py[:, None, None]).abs(), (xs - px[:, None, None]).abs())
    confidence = (prob * (dist <= 1)).flatten(1).sum(dim=1)
    far = torch.where(dist >= 3, prob, torch.zeros_like(prob)).flatten(1).amax(dim=1)
    ratio = prob.flatten(1).amax(dim=1) / far.clamp_min(1e-12)
    return shifts, confidence, ratio


@register("shift_classifier")
def shift_classifier(**kwargs: Any) -> ShiftClassifier:
    """Siamese shift classifier with dense dot-product correlation (Merkle et al. 2017)."""
    return ShiftClassifier(**kwargs)


def _stream(cin: int, width: int, levels: int) -> nn.Sequential:
    """Conv blocks, each halving the resolution by max pooling."""
    mods: list[nn.Module] = []
    c = cin
    for i in range(levels):
        mods += [_block(c, width * 2**i), nn.MaxPool2d(2)]
        c = width * 2**i
    return nn.Sequential(*mods)


class PseudoSiameseMatcher(nn.Module):
    """Pseudo-siamese binary matcher (Hughes, Schmitt, Mou, Wang and Zhu, "Identifying
    corresponding patches in SAR and optical images with a pseudo-siamese CNN", IEEE GRSL
    2018): two streams that share no weights, their feature maps concatenated and judged
    by a fusion network; the logit's sigmoid is the match probability.

    Shape:
        optical (N, Co, P, P), sar (N, Cs, P, P) -> logits (N,); P divisible by 2**levels.
    """

    def __init__(
        self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 16, levels: int = 3
    ) -> None:
        super().__init__()
        self.optical = _stream(optical_channels, width, levels)
        self.sar = _stream(sar_channels, width, levels)
        c = width * 2 ** (levels - 1)
        self.fusion = nn.Sequential(
            _block(2 * c, 2 * c), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * c, 1)
        )

    def forward(self, optical: torch.Tensor, sar: torch.Tensor) -> torch.Tensor:
        fused = torch.cat([self.optical(optical), self.sar(sar)], dim=1)
        result: torch.Tensor = self.fusion(fused)[:, 0]
        return result


class TwoStreamDescriptor(nn.Module):
    """HardNet-style two-stream descriptor (Mishchuk et al. 2017, adapted to SAR-optical by
    Bürgmann, Koppe and Schmitt 2019): modality-specific CNNs giving L2-normalised
    descriptors, trained with a triplet margin loss over the hardest negatives in a batch.

    Shape:
        optical (N, Co, P, P) -> (N, dim); sar (N, Cs, P, P) -> (N, dim), unit length.
    """

    def __init__(
        self, optical_channels: int = 13, sar_channels: int = 2, *, width: int = 16,
        levels: int = 3, dim: int = 128,
    ) -> None:  # fmt: skip
        super().__init__()
        c = width * 2 ** (levels - 1)

        def net(cin: int) -> nn.Sequential:
            # HardNet standardises each descriptor dimension over the batch before the L2
            # norm: the descriptors cannot all collapse onto one point
            head = [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, dim),
                    nn.BatchNorm1d(dim, affine=False)]  # fmt: skip
            return nn.Sequential(_stream(cin, width, levels), *head)

        self.optical = net(optical_channels)
        self.sar = net(sar_channels)

    def embed(self, x: torch.Tensor, optical: bool) -> torch.Tensor:
        net = self.optical if optical else self.sar
        return torch.nn.functional.normalize(net(x), dim=1)

    def forward(
        self, optical: torch.Tensor, sar: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        return self.embed(optical, True), self.embed(sar, False)


@register("pseudo_siamese_matcher")
def pseudo_siamese_matcher(**kwargs: Any) -> PseudoSiameseMatcher:
    """Pseudo-siamese binary SAR-optical matcher (Hughes et al. 2018)."""
    return PseudoSiameseMatcher(**kwargs)


@register("two_stream_descriptor")
def two_stream_descriptor(**kwargs: Any) -> TwoStreamDescriptor:
    """Two-stream HardNet-style SAR-optical descriptor."""
    return TwoStreamDescriptor(**kwargs)


def ncc_shifts(optical: torch.Tensor, sar: torch.Tensor) -> torch.Tensor:
    """The baseline: shifts by normalised cross-correlation of the optical band mean with
    SAR VV (the first SAR band).

    Shape:
        optical (N, C, T, T), sar (N, S, W, W); returns (N, 2) as (dy, dx) from the centre.
    """
    opt = optical.mean(dim=1, keepdim=True)
    score = normalized_cross_correlation(sar[:, :1], opt)
    shifts, _, _ = peak_shift(score * 50.0)  # sharpen: NCC is in [-1, 1]
    return shifts
