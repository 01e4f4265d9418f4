"""Variational GAN for hard negatives (approach 5 of Hughes et al. 2019).

Hughes, Schmitt and Zhu, "Mining hard negative samples for SAR-optical image matching
using generative adversarial networks", Remote Sensing 10(10) 2018: a VAE whose decoder is
also a GAN generator learns SAR patches; decoding a SAR patch's code with extra noise gives
a novel but similar SAR patch, which paired with the true optical patch is a hard negative.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from saropt.models.registry import register


def _down(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 4, 2, 1), nn.GroupNorm(4, cout), nn.LeakyReLU(0.2))


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(cin, cout, 3, padding=1),
        nn.GroupNorm(4, cout),
        nn.ReLU(),
    )


class VariationalSARGenerator(nn.Module):
    """VAE encoder and decoder (the GAN generator) for SAR patches in [0, 1].

    The code is spatial, ``latent`` maps at 1/2**levels of the patch side, so a decoded
    code keeps the patch's layout (where the bright and dark parts are) while its noise
    changes the details.

    Args:
        channels: SAR bands (VV, VH).
        width: Channels of the first level (doubling per level).
        latent: Channels of the code.
        levels: Stride-2 levels; the patch side must be a multiple of 2**levels.

    Shape:
        (N, channels, P, P) -> (reconstruction (N, channels, P, P), mu, logvar) with mu
        and logvar (N, latent, P / 2**levels, P / 2**levels).
    """

    def __init__(
        self, channels: int = 2, *, width: int = 32, latent: int = 16, levels: int = 3
    ) -> None:
        super().__init__()
        self.channels = channels
        self.factor = 2**levels
        enc: list[nn.Module] = []
        c = channels
        for i in range(levels):
            enc.append(_down(c, width * 2**i))
            c = width * 2**i
        self.encoder = nn.Sequential(*enc)
        self.to_stats = nn.Conv2d(c, 2 * latent, 1)
        dec: list[nn.Module] = [nn.Conv2d(latent, c, 1)]
        for i in reversed(range(levels)):
            nxt = width * 2 ** max(i - 1, 0)
            dec.append(_up(c, nxt))
            c = nxt
        dec += [nn.Conv2d(c, channels, 3, padding=1), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of the code."""
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-10.0, 10.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.decoder(z)
        return result

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.decode(z), mu, logvar

    @torch.no_grad()
    def novel(
        self, x: torch.Tensor, noise: float = 1.0, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Novel but similar patches: each patch's code moved by ``noise`` prior standard
        deviations, decoded."""
        mu, _ = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype).to(mu.device)
        return self.decode(mu + noise * eps)


@register("variational_sar_generator")
def variational_sar_generator(**kwargs: Any) -> VariationalSARGenerator:
    """VAE-GAN generator of SAR patches for hard negatives (Hughes et al. 2018)."""
    return VariationalSARGenerator(**kwargs)
