"""Urban (built-up) mapping networks of Hafner, Ban and Nascetti (JURSE 2023) and the
baselines they are compared with.

Every network here takes ``(sar, optical)`` and returns logits (N, heads, H, W), one map
per head; the urban probability is the mean of the heads' sigmoids
(:func:`fused_probability`):

* ``dual_stream_unet``: a SAR U-Net and an optical U-Net, each with its own head, linked by
  four MMTMs (or by none, ``mmtm=False``: decision-level fusion only). Heads: SAR, optical.
* ``urban_unet``: one U-Net on SAR, on optical or on both stacked (input-level fusion).

The U-Net is the authors' (after Ronneberger et al.): a double 3x3 convolution block
(convolution, BatchNorm, ReLU, twice) at widths w, 2w, 2w with 2x2 max pooling between
them, 2x2 transposed convolutions up, skip connections, and a 1x1 head; w = 64 in the
paper. The MMTMs sit where the authors' code puts them: after the input block (w
channels), after the first down level (2w), at the bottleneck (2w) and after the first
decoder block (w).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from saropt.layers.mmtm import MMTM, ExciteInit, Gate, Stream
from saropt.models.registry import register

#: Where a dual-stream U-Net's four MMTMs sit.
MMTM_PLACES: tuple[str, ...] = (
    "input block", "first down level", "bottleneck", "first decoder block",
)  # fmt: skip
#: The cut-off names of :meth:`DualStreamUNet.forward`: the stream whose information is cut.
Cutoff = Literal["sar", "opt"]
UrbanInputs = Literal["sar", "opt", "both"]


class DoubleConv(nn.Sequential):
    """(3x3 convolution -> BatchNorm -> ReLU) twice."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(True),
        )  # fmt: skip


class UNetStream(nn.Module):
    """One U-Net of the urban networks, kept as named stages so that two can run in step.

    Shape:
        (N, in_channels, H, W) -> logits (N, 1, H, W); H and W divisible by 4.
    """

    def __init__(self, in_channels: int, width: int) -> None:
        super().__init__()
        if in_channels < 1 or width < 1:
            raise ValueError(f"need in_channels >= 1 and width >= 1; got {in_channels}, {width}")
        w = width
        self.inc = DoubleConv(in_channels, w)
        self.down1 = DoubleConv(w, 2 * w)
        self.down2 = DoubleConv(2 * w, 2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, 2 * w, 2, stride=2)
        self.dec1 = DoubleConv(4 * w, w)
        self.up2 = nn.ConvTranspose2d(w, w, 2, stride=2)
        self.dec2 = DoubleConv(2 * w, w)
        self.head = nn.Conv2d(w, 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_size(x)
        s1 = self.inc(x)
        s2 = self.down1(self.pool(s1))
        x = self.down2(self.pool(s2))
        x = self.dec1(torch.cat([s2, self.up1(x)], 1))
        x = self.dec2(torch.cat([s1, self.up2(x)], 1))
        out: torch.Tensor = self.head(x)
        return out


def check_size(x: torch.Tensor) -> None:
    """Raise unless height and width are divisible by 4 (two poolings)."""
    h, w = x.shape[-2:]
    if h % 4 or w % 4:
        raise ValueError(f"urban U-Nets need height and width divisible by 4; got {h}x{w}")


def model_heads(model: nn.Module) -> tuple[str, ...]:
    """The head names of an urban network, in output-channel order.

    Raises:
        ValueError: Not an urban network.
    """
    if not isinstance(model, DualStreamUNet | UrbanUNet):
        raise ValueError(f"{type(model).__name__} is not an urban network")
    return tuple(model.heads)


def fused_probability(logits: torch.Tensor) -> torch.Tensor:
    """Urban probability (N, H, W): the mean of the heads' sigmoids."""
    return torch.sigmoid(logits.float()).mean(1)


@register("dual_stream_unet")
class DualStreamUNet(nn.Module):
    """Two U-Nets (SAR and optical) linked by four MMTMs, a head each.

    Args:
        sar_channels: SAR bands (VV, VH).
        optical_channels: Optical bands (B2, B3, B4, B8 in the paper).
        width: Width of the first level (64: the paper).
        mmtm: Link the streams by MMTMs; False keeps them apart until the heads' mean.
        ratio: MMTM joint-layer ratio (1: the authors' code).
        gate: MMTM gate ("sigmoid": the authors' code; "double_sigmoid": Joze et al.).
        excite_init: MMTM excitation layers at torch's default ("pytorch": the authors'
            code) or at "zero" (every gate starts at sigmoid(0)).

    Shape:
        sar (N, S, H, W), optical (N, C, H, W) -> logits (N, 2, H, W), channel 0 the SAR
        head, channel 1 the optical head.
    """

    heads: tuple[str, ...] = ("sar", "opt")

    def __init__(
        self,
        sar_channels: int = 2,
        optical_channels: int = 4,
        *,
        width: int = 64,
        mmtm: bool = True,
        ratio: float = 1.0,
        gate: Gate = "sigmoid",
        excite_init: ExciteInit = "pytorch",
    ) -> None:
        super().__init__()
        self.channels = {"sar": sar_channels, "opt": optical_channels}
        self.sar = UNetStream(sar_channels, width)
        self.opt = UNetStream(optical_channels, width)
        w = width
        self.fusion = nn.ModuleList(
            [
                MMTM(c, c, ratio=ratio, gate=gate, excite_init=excite_init)
                for c in (w, 2 * w, 2 * w, w)
            ]
            if mmtm
            else []
        )

    @property
    def mmtms(self) -> list[MMTM]:
        """The four fusion modules (none without MMTM)."""
        return [m for m in self.fusion if isinstance(m, MMTM)]

    def _fuse(self, k: int, s: torch.Tensor, o: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.fusion:
            return s, o
        fused: tuple[torch.Tensor, torch.Tensor] = self.fusion[k](s, o)
        return fused

    def forward(
        self, sar: torch.Tensor, optical: torch.Tensor, cutoff: Cutoff | None = None
    ) -> torch.Tensor:
        """Logits of both heads.

        Args:
            cutoff: None, or the stream whose information is cut off in every MMTM: "opt"
                replaces the optical squeeze by its training mean, so the SAR head gives
                p'_sar; "sar" likewise gives p'_opt from the optical head.
        """
        check_size(sar)
        if sar.shape[-2:] != optical.shape[-2:] or len(sar) != len(optical):
            raise ValueError(f"SAR {tuple(sar.shape)} and optical {tuple(optical.shape)} "
                             "must cover the same pixels")  # fmt: skip
        if cutoff is not None and not self.fusion:
            raise ValueError("a dual-stream U-Net without MMTM has no cut-off")
        stream: dict[Cutoff | None, Stream | None] = {"sar": "a", "opt": "b", None: None}
        for m in self.mmtms:
            m.cutoff = stream[cutoff]
        try:
            a, b = self.sar, self.opt
            s, o = self._fuse(0, a.inc(sar), b.inc(optical))
            s1, o1 = s, o
            s, o = self._fuse(1, a.down1(a.pool(s)), b.down1(b.pool(o)))
            s2, o2 = s, o
            s, o = self._fuse(2, a.down2(a.pool(s)), b.down2(b.pool(o)))
            s = a.dec1(torch.cat([s2, a.up1(s)], 1))
            o = b.dec1(torch.cat([o2, b.up1(o)], 1))
            s, o = self._fuse(3, s, o)
            s = a.dec2(torch.cat([s1, a.up2(s)], 1))
            o = b.dec2(torch.cat([o1, b.up2(o)], 1))
            return torch.cat([a.head(s), b.head(o)], 1)
        finally:
            for m in self.mmtms:
                m.cutoff = None


@register("urban_unet")
class UrbanUNet(nn.Module):
    """One U-Net on SAR, on optical, or on both stacked (input-level fusion).

    Args:
        sar_channels, optical_channels: Bands of each input.
        inputs: "sar", "opt" or "both".
        width: Width of the first level.

    Shape:
        sar (N, S, H, W), optical (N, C, H, W) -> logits (N, 1, H, W); the unused input
        may be any tensor.
    """

    def __init__(
        self,
        sar_channels: int = 2,
        optical_channels: int = 4,
        *,
        inputs: UrbanInputs = "both",
        width: int = 64,
    ) -> None:
        super().__init__()
        if inputs not in ("sar", "opt", "both"):
            raise ValueError(f"inputs must be 'sar', 'opt' or 'both'; got {inputs!r}")
        self.inputs = inputs
        self.channels = {"sar": sar_channels, "opt": optical_channels}
        both = sar_channels + optical_channels
        cin = {"sar": sar_channels, "opt": optical_channels, "both": both}
        self.net = UNetStream(cin[inputs], width)
        self.heads: tuple[str, ...] = (inputs if inputs != "both" else "input_fusion",)

    def forward(self, sar: torch.Tensor, optical: torch.Tensor) -> torch.Tensor:
        if self.inputs == "sar":
            x = sar
        elif self.inputs == "opt":
            x = optical
        else:
            x = torch.cat([sar, optical], 1)
        out: torch.Tensor = self.net(x)
        return out
