"""ResNet backbones in plain torch (He et al., "Deep residual learning for image
recognition", CVPR 2016), for any number of input bands.

The layout follows the common ImageNet ResNet (the stride of a bottleneck stage sits on its
3x3 convolution, "v1.5"), so ``resnet50(3)`` has the well-known 23,508,032 weights without
its classifier. The backbone ends in global average pooling: it returns one feature vector
per image (2048-d for ResNet-50, 512-d for ResNet-18 at the standard width).

Two options serve CPU-sized runs: ``width`` scales every stage (64 is the standard), and
``stem="small"`` replaces the 7x7/2 convolution and max pooling by one 3x3/1 convolution,
so that 32-64 px patches keep some spatial extent through the stages.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from saropt.models.registry import register

Stem = Literal["imagenet", "small"]


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or 1x1 projected) shortcut."""

    expansion = 1

    def __init__(self, c_in: int, c: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c, 3, stride, 1, bias=False)
        self.bn1 = _bn(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = _bn(c)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(c_in, c, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return self.relu(y + (self.downsample(x) if self.downsample is not None else x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand by 4, plus the shortcut."""

    expansion = 4

    def __init__(self, c_in: int, c: int, stride: int = 1) -> None:
        super().__init__()
        out = c * self.expansion
        self.conv1 = nn.Conv2d(c_in, c, 1, bias=False)
        self.bn1 = _bn(c)
        self.conv2 = nn.Conv2d(c, c, 3, stride, 1, bias=False)
        self.bn2 = _bn(c)
        self.conv3 = nn.Conv2d(c, out, 1, bias=False)
        self.bn3 = _bn(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = _shortcut(c_in, out, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + (self.downsample(x) if self.downsample is not None else x))


def _shortcut(c_in: int, c_out: int, stride: int) -> nn.Sequential | None:
    if stride == 1 and c_in == c_out:
        return None
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), _bn(c_out))


class ResNet(nn.Module):
    """A ResNet feature extractor: stem, four stages, global average pooling.

    Args:
        in_channels: Input bands.
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: Blocks per stage ([2, 2, 2, 2] for ResNet-18, [3, 4, 6, 3] for ResNet-50).
        width: Channels of the first stage (64 standard); stage k has ``width * 2**k``.
        stem: "imagenet" (7x7/2 convolution and 3x3/2 max pooling) or "small" (3x3/1).

    Shape:
        (N, in_channels, H, W) -> (N, features).
    """

    def __init__(
        self,
        in_channels: int,
        block: type[BasicBlock] | type[Bottleneck],
        layers: tuple[int, int, int, int],
        *,
        width: int = 64,
        stem: Stem = "imagenet",
    ) -> None:
        super().__init__()
        if in_channels < 1 or width < 1:
            raise ValueError(f"need in_channels >= 1 and width >= 1, got {in_channels}, {width}")
        self.in_channels = in_channels
        if stem == "imagenet":
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 7, 2, 3, bias=False), _bn(width),
                nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1),
            )  # fmt: skip
        else:
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, width, 3, 1, 1, bias=False), _bn(width),
                nn.ReLU(inplace=True),
            )  # fmt: skip
        stages: list[nn.Module] = []
        c_in = width
        for k, n in enumerate(layers):
            c = width * 2**k
            blocks: list[nn.Module] = []
            for i in range(n):
                blocks.append(block(c_in, c, 2 if (i == 0 and k > 0) else 1))
                c_in = c * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.features = c_in
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        for m in self.modules():  # each residual branch starts near zero: the block ~ identity
            if isinstance(m, Bottleneck):
                nn.init.zeros_(m.bn3.weight)
            elif isinstance(m, BasicBlock):
                nn.init.zeros_(m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.stem(x))).flatten(1)


@register("resnet18")
def resnet18(in_channels: int = 3, *, width: int = 64, stem: Stem = "imagenet") -> ResNet:
    """ResNet-18 features (512-d at width 64)."""
    return ResNet(in_channels, BasicBlock, (2, 2, 2, 2), width=width, stem=stem)


@register("resnet50")
def resnet50(in_channels: int = 3, *, width: int = 64, stem: Stem = "imagenet") -> ResNet:
    """ResNet-50 features (2048-d at width 64)."""
    return ResNet(in_channels, Bottleneck, (3, 4, 6, 3), width=width, stem=stem)


#: Backbones by name, for models that take one as an option.
BACKBONES = {"resnet18": resnet18, "resnet50": resnet50}
