"""The Multimodal Transfer Module (Joze et al., "MMTM: Multimodal transfer module for CNN
fusion", CVPR 2020) with the cut-off of Hafner, Ban and Nascetti ("Investigating imbalances
between SAR and optical utilization for multi-modal urban mapping", JURSE 2023).

Two feature maps ``a`` (N, C_a, H, W) and ``b`` (N, C_b, H', W') are squeezed by global
average pooling into h_a and h_b; one joint fully connected layer of width
2 (C_a + C_b) / ratio with ReLU maps [h_a, h_b] to Z, one excitation layer per stream maps Z
to E_a and E_b, and each stream is multiplied channel-wise by its gate: 2 sigmoid(E) (the
original MMTM) or sigmoid(E) (the urban-mapping authors' code).

**Cut-off.** Either squeeze vector can be replaced by a stored mean (its average over the
training set): then the other stream's recalibration no longer depends on that stream's
input. The module keeps the two means as buffers, so they travel in the weights file.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Gate = Literal["double_sigmoid", "sigmoid"]
Stream = Literal["a", "b"]
ExciteInit = Literal["zero", "pytorch"]


def mmtm(
    a: torch.Tensor,
    b: torch.Tensor,
    joint: nn.Linear,
    excite_a: nn.Linear,
    excite_b: nn.Linear,
    *,
    gate: Gate = "double_sigmoid",
    squeeze_a: torch.Tensor | None = None,
    squeeze_b: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Recalibrate two feature maps by each other.

    Args:
        a, b: Feature maps (N, C_a, H, W) and (N, C_b, H', W').
        joint: The joint layer, C_a + C_b -> width.
        excite_a, excite_b: The excitation layers, width -> C_a and width -> C_b.
        gate: "double_sigmoid" (2 sigmoid, the original) or "sigmoid".
        squeeze_a, squeeze_b: (C,) vectors used instead of the squeeze of ``a`` or ``b``
            (the cut-off), or None.

    Returns:
        The recalibrated ``a`` and ``b``, shapes unchanged.
    """
    if a.ndim != 4 or b.ndim != 4 or len(a) != len(b):
        raise ValueError(f"mmtm takes two (N, C, H, W) maps of one batch; got {a.shape}, {b.shape}")
    n = len(a)
    ha = a.mean((2, 3)) if squeeze_a is None else squeeze_a.to(a.dtype).expand(n, -1)
    hb = b.mean((2, 3)) if squeeze_b is None else squeeze_b.to(b.dtype).expand(n, -1)
    z = torch.relu(joint(torch.cat([ha, hb], dim=1)))
    scale = 2.0 if gate == "double_sigmoid" else 1.0
    ga = scale * torch.sigmoid(excite_a(z))
    gb = scale * torch.sigmoid(excite_b(z))
    return a * ga[:, :, None, None], b * gb[:, :, None, None]


class MMTM(nn.Module):
    """MMTM between two streams, with stored mean squeezes for the cut-off.

    Args:
        channels_a, channels_b: Channels of the two streams.
        ratio: The joint layer has 2 (C_a + C_b) / ratio units (Joze et al. use 4, the
            urban-mapping authors 1).
        gate: "double_sigmoid" or "sigmoid" (:func:`mmtm`).
        excite_init: "zero": the excitation layers start at zero, so at initialisation the
            2 sigmoid gate is the identity and the sigmoid gate halves every channel;
            "pytorch": torch's default initialisation of ``nn.Linear`` (as the public MMTM
            code and the urban-mapping authors' code leave it), gates vary from the start.

    Attributes:
        recording: While True, each forward pass adds its squeeze vectors to the running
            means (:meth:`reset_means` starts them again).
        cutoff: None, "a" or "b": the stream whose squeeze is replaced by its stored mean.
    """

    mean_a: torch.Tensor
    mean_b: torch.Tensor
    mean_count: torch.Tensor

    def __init__(
        self,
        channels_a: int,
        channels_b: int,
        *,
        ratio: float = 4.0,
        gate: Gate = "double_sigmoid",
        excite_init: ExciteInit = "zero",
    ) -> None:
        super().__init__()
        if channels_a < 1 or channels_b < 1 or ratio <= 0:
            raise ValueError(f"need channels >= 1 and ratio > 0; got {channels_a}, "
                             f"{channels_b}, {ratio}")  # fmt: skip
        if gate not in ("double_sigmoid", "sigmoid"):
            raise ValueError(f"gate must be 'double_sigmoid' or 'sigmoid'; got {gate!r}")
        if excite_init not in ("zero", "pytorch"):
            raise ValueError(f"excite_init must be 'zero' or 'pytorch'; got {excite_init!r}")
        width = max(1, int(2 * (channels_a + channels_b) / ratio))
        self.gate: Gate = gate
        self.joint = nn.Linear(channels_a + channels_b, width)
        self.excite_a = nn.Linear(width, channels_a)
        self.excite_b = nn.Linear(width, channels_b)
        for layer in (self.excite_a, self.excite_b) if excite_init == "zero" else ():
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        self.register_buffer("mean_a", torch.zeros(channels_a))
        self.register_buffer("mean_b", torch.zeros(channels_b))
        self.register_buffer("mean_count", torch.zeros((), dtype=torch.float64))
        self.recording = False
        self.cutoff: Stream | None = None

    def reset_means(self) -> None:
        """Forget the stored means."""
        self.mean_a.zero_()
        self.mean_b.zero_()
        self.mean_count.zero_()

    @torch.no_grad()
    def _record(self, a: torch.Tensor, b: torch.Tensor) -> None:
        n = float(len(a))
        total = self.mean_count + n
        for mean, x in ((self.mean_a, a), (self.mean_b, b)):
            batch_sum = x.float().mean((2, 3)).sum(0).to(mean.dtype)
            mean.copy_(mean + (batch_sum - n * mean) / total.to(mean.dtype))
        self.mean_count.copy_(total)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shapes: (N, C_a, H, W), (N, C_b, H', W') -> the same."""
        if self.recording:
            self._record(a, b)
        if self.cutoff is not None and float(self.mean_count) == 0:
            raise RuntimeError(
                "MMTM cut-off needs the mean squeeze vectors: record them over the training "
                "set first (record_squeeze_means)"
            )
        return mmtm(
            a, b, self.joint, self.excite_a, self.excite_b, gate=self.gate,
            squeeze_a=self.mean_a if self.cutoff == "a" else None,
            squeeze_b=self.mean_b if self.cutoff == "b" else None,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return f"gate={self.gate}"
