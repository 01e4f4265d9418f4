"""SAR-Opt-cGAN and Opt-cGAN for cloud removal, and the pix2pix PatchGAN discriminator.

Paper: Grohnfeldt, Schmitt and Zhu, "A conditional GAN to fuse SAR and multispectral
optical data for cloud removal from Sentinel-2 images", IGARSS 2018. The generator is the
pix2pix U-Net with filters added so the bottleneck has 1024 maps; with 8 levels
(64-128-256-512-1024-1024-1024-1024), 10 optical and 2 SAR input bands and 10 output bands
it has 167.7 M weights (the paper: about 170 M). Decoder dropout is 0.4. The Opt-cGAN twin
is the same network with the SAR input switched off.

``width`` scales every layer (64 is the paper) and ``depth`` keeps the first levels, so
tests and CPU demos run small.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from saropt.layers.unet import Norm, UNet, norm_layer
from saropt.models.registry import register

#: Encoder widths of SAR-Opt-cGAN at width 64. pix2pix has 64-128-256-512-512-512-512-512;
#: the paper "adds filters to three encoder and decoder layers resulting in a bottleneck
#: layer of 1024 feature maps". We read that as: the three encoder layers before the
#: bottleneck (levels 5-7) and the three decoder layers that mirror them go from 512 to 1024
#: maps, and so does the bottleneck (level 8) they feed. Four entries below therefore differ
#: from pix2pix: three widened encoder/decoder pairs plus the bottleneck. This gives
#: 167,690,954 weights for 10 + 2 bands in and 10 out, the paper's "about 170 M"; counting
#: the bottleneck among the three (levels 6-8 only) would give 129,940,170.
PAPER_CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 1024, 1024, 1024, 1024)


def _scaled(width: int, depth: int) -> tuple[int, ...]:
    if not 1 <= depth <= len(PAPER_CHANNELS):
        raise ValueError(f"depth must be within 1..{len(PAPER_CHANNELS)}; got {depth}")
    return tuple(max(1, c * width // 64) for c in PAPER_CHANNELS[:depth])


class CloudRemovalGenerator(nn.Module):
    """U-Net that predicts the cloud-free optical image from cloudy optical (and SAR).

    Inputs and output are in the network range [-1, 1] (``normalize_*(..., symmetric=True)``).

    Args:
        optical_channels: Bands of the cloudy (and predicted) optical image.
        sar_channels: SAR bands fused with it; 0 makes the Opt-cGAN twin.
        width: Width of the first level (64: the paper).
        depth: Levels (8: the paper, for 256 x 256 patches).
        dropout: Decoder dropout (0.4: the paper).
        norm: Normalisation of inner layers.

    Shape:
        optical (N, C, H, W), sar (N, S, H, W) -> (N, C, H, W); H and W divisible by
        2 ** depth.
    """

    def __init__(
        self,
        optical_channels: int = 13,
        sar_channels: int = 2,
        *,
        width: int = 64,
        depth: int = 8,
        dropout: float = 0.4,
        norm: Norm = "batch",
    ) -> None:
        super().__init__()
        self.optical_channels = optical_channels
        self.sar_channels = sar_channels
        self.net = UNet(
            optical_channels + sar_channels,
            optical_channels,
            _scaled(width, depth),
            norm=norm,
            dropout=dropout,
        )

    @property
    def uses_sar(self) -> bool:
        """False for the Opt-cGAN twin."""
        return self.sar_channels > 0

    @property
    def factor(self) -> int:
        """Height and width must be multiples of this."""
        return self.net.factor

    def forward(self, optical: torch.Tensor, sar: torch.Tensor | None = None) -> torch.Tensor:
        if self.uses_sar:
            if sar is None:
                raise ValueError("this generator fuses SAR: pass the sar tensor")
            x = torch.cat([optical, sar], dim=1)
        else:
            x = optical
        result: torch.Tensor = self.net(x)
        return result


class PatchGANDiscriminator(nn.Module):
    """pix2pix 70 x 70 PatchGAN conditioned on the generator's input.

    Args:
        in_channels: Channels of condition and image together.
        width: Width of the first layer (64 in pix2pix).
        layers: Stride-2 layers (3 gives the 70 x 70 receptive field).
        norm: Normalisation of inner layers.

    Shape:
        (N, in_channels, H, W) -> (N, 1, H / 2**layers - 2, W / 2**layers - 2) logits.
    """

    def __init__(
        self, in_channels: int, *, width: int = 64, layers: int = 3, norm: Norm = "batch"
    ) -> None:
        super().__init__()
        mods: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = width
        for i in range(1, layers + 1):
            nxt = width * min(2**i, 8)
            stride = 2 if i < layers else 1
            mods += [
                nn.Conv2d(c, nxt, 4, stride, 1, bias=norm == "none"),
                norm_layer(norm, nxt),
                nn.LeakyReLU(0.2),
            ]
            c = nxt
        mods.append(nn.Conv2d(c, 1, 4, 1, 1))
        self.net = nn.Sequential(*mods)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.net(torch.cat([condition, image], dim=1))
        return result


@register("sar_opt_cgan_generator")
def sar_opt_cgan_generator(
    optical_channels: int = 10, sar_channels: int = 2, **kwargs: Any
) -> CloudRemovalGenerator:
    """SAR-Opt-cGAN generator (paper: 10 optical + 2 SAR bands in, 10 out)."""
    return CloudRemovalGenerator(optical_channels, sar_channels, **kwargs)


@register("opt_cgan_generator")
def opt_cgan_generator(optical_channels: int = 10, **kwargs: Any) -> CloudRemovalGenerator:
    """Opt-cGAN generator: SAR-Opt-cGAN with its SAR input switched off."""
    return CloudRemovalGenerator(optical_channels, 0, **kwargs)


@register("patchgan_discriminator")
def patchgan_discriminator(in_channels: int, **kwargs: Any) -> PatchGANDiscriminator:
    """pix2pix PatchGAN conditioned on the generator input."""
    return PatchGANDiscriminator(in_channels, **kwargs)


class TranslationGenerator(nn.Module):
    """The same U-Net translating one modality into another (optical <-> SAR).

    DREAM section 3.2 and Merkle et al. (2018): a cGAN makes optical images SAR-like
    before matching. Inputs and outputs in [-1, 1].

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H, W).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        width: int = 64,
        depth: int = 8,
        dropout: float = 0.4,
        norm: Norm = "batch",
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.net = UNet(
            in_channels, out_channels, _scaled(width, depth), norm=norm, dropout=dropout
        )

    @property
    def factor(self) -> int:
        """Height and width must be multiples of this."""
        return self.net.factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.net(x)
        return result


@register("translation_generator")
def translation_generator(
    in_channels: int, out_channels: int, **kwargs: Any
) -> TranslationGenerator:
    """U-Net translating ``in_channels`` bands of one modality into ``out_channels``."""
    return TranslationGenerator(in_channels, out_channels, **kwargs)
