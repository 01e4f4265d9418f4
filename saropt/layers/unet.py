"""U-Net pieces of pix2pix (Isola et al., "Image-to-image translation with conditional
adversarial networks", CVPR 2017): 4x4 stride-2 convolutions down, transposed up."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Norm = Literal["batch", "instance", "none"]


def norm_layer(kind: Norm, channels: int) -> nn.Module:
    """BatchNorm, affine InstanceNorm or identity."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


class Down(nn.Module):
    """(LeakyReLU 0.2) -> Conv 4x4 stride 2 -> (norm): halves height and width."""

    def __init__(self, cin: int, cout: int, *, norm: Norm, first: bool = False) -> None:
        super().__init__()
        use_norm = norm != "none" and not first
        self.act = nn.Identity() if first else nn.LeakyReLU(0.2)
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=not use_norm)
        self.norm = norm_layer(norm if use_norm else "none", cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (N, cin, H, W) -> (N, cout, H/2, W/2)."""
        result: torch.Tensor = self.norm(self.conv(self.act(x)))
        return result


class Up(nn.Module):
    """ReLU -> ConvTranspose 4x4 stride 2 -> (norm) -> (dropout): doubles height and width."""

    def __init__(
        self, cin: int, cout: int, *, norm: Norm, dropout: float = 0.0, last: bool = False
    ) -> None:
        super().__init__()
        use_norm = norm != "none" and not last
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=not use_norm)
        self.norm = norm_layer(norm if use_norm else "none", cout)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shape: (N, cin, H, W) -> (N, cout, 2H, 2W)."""
        result: torch.Tensor = self.drop(self.norm(self.conv(torch.relu(x))))
        return result


class UNet(nn.Module):
    """pix2pix U-Net: encoder ``channels``, mirrored decoder with skip connections.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        channels: Encoder widths from the first level to the bottleneck.
        norm: Normalisation of inner layers.
        dropout: Dropout of the decoder's ``dropout_layers`` innermost layers.
        dropout_layers: How many decoder layers next to the bottleneck use dropout.
        final: "tanh" for outputs in [-1, 1], "none" for a linear output.

    Shape:
        (N, in_channels, H, W) -> (N, out_channels, H, W); H and W divisible by
        2 ** len(channels).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        channels: tuple[int, ...],
        *,
        norm: Norm = "batch",
        dropout: float = 0.5,
        dropout_layers: int = 3,
        final: Literal["tanh", "none"] = "tanh",
    ) -> None:
        super().__init__()
        n = len(channels)
        self.factor = 2**n
        self.down = nn.ModuleList()
        prev = in_channels
        for i, c in enumerate(channels):
            inner = i == n - 1
            self.down.append(Down(prev, c, norm="none" if inner else norm, first=i == 0))
            prev = c
        self.up = nn.ModuleList()
        for j in range(n - 1, 0, -1):  # from the bottleneck outwards
            cin = channels[j] if j == n - 1 else 2 * channels[j]
            drop = dropout if (n - 1 - j) < dropout_layers else 0.0
            self.up.append(Up(cin, channels[j - 1], norm=norm, dropout=drop))
        self.up.append(
            Up(2 * channels[0] if n > 1 else channels[0], out_channels, norm=norm, last=True)
        )
        self.final = nn.Tanh() if final == "tanh" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if h % self.factor or w % self.factor:
            raise ValueError(
                f"U-Net with {len(self.down)} levels needs height and width divisible by "
                f"{self.factor}; got {h}x{w}: pad or crop the input"
            )
        skips = []
        for down in self.down:
            x = down(x)
            skips.append(x)
        for k, up in enumerate(self.up):
            if k > 0:
                x = torch.cat([x, skips[-1 - k]], dim=1)
            x = up(x)
        result: torch.Tensor = self.final(x)
        return result
