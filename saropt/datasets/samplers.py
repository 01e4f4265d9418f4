"""Patch samplers and SAR-optical pair samplers, all driven by a ``torch.Generator``.

The same generator state gives the same patches, so a seeded run is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from saropt.errors import ConfigError
from saropt.io.grid import PixelWindow, iter_windows


def random_patches(
    height: int, width: int, size: int, count: int, generator: torch.Generator
) -> list[PixelWindow]:
    """``count`` windows of ``size`` x ``size`` at uniformly random positions.

    Raises:
        ConfigError: The patch is larger than the image.
    """
    if size > min(height, width):
        raise ConfigError(f"patch of {size} px does not fit an image of {height}x{width}")
    rows = torch.randint(0, height - size + 1, (count,), generator=generator)
    cols = torch.randint(0, width - size + 1, (count,), generator=generator)
    return [PixelWindow(int(r), int(c), size, size) for r, c in zip(rows, cols, strict=True)]


def grid_patches(
    height: int, width: int, size: int, stride: int | None = None
) -> list[PixelWindow]:
    """Windows of ``size`` covering the image every ``stride`` pixels (the last ones shifted
    inwards so each has full size).

    Raises:
        ConfigError: The patch is larger than the image.
    """
    if size > min(height, width):
        raise ConfigError(f"patch of {size} px does not fit an image of {height}x{width}")
    step = stride or size
    return list(iter_windows(height, width, size, size - step if step < size else 0))


@dataclass(frozen=True)
class PairSpec:
    """One SAR-optical pair to cut.

    Attributes:
        image: Index of the image (tile) the optical patch comes from.
        optical: The optical patch's window.
        sar_image: Index of the image the SAR patch comes from.
        sar: The SAR patch's window.
        label: 1 for a matching pair (same place), 0 for a non-matching one.
        kind: "positive", "random" (a random negative) or "hard" (from the hook).
    """

    image: int
    optical: PixelWindow
    sar_image: int
    sar: PixelWindow
    label: int
    kind: str


#: A hard-negative hook: given a positive pair and the generator, return a negative pair
#: (e.g. the most similar non-matching SAR patch a model mined, or a GAN-made one), or None.
HardNegativeHook = Callable[[PairSpec, torch.Generator], PairSpec | None]


class PairSampler:
    """SAR-optical pairs for matching: positives at one place, negatives elsewhere.

    A negative's SAR patch lies in another image, or in the same image at least
    ``min_distance`` pixels (between patch corners) from the optical patch, so it never
    shows the same ground. A ``hard_negatives`` hook may replace some random negatives.

    Args:
        shapes: (height, width) of each co-registered image (tile).
        size: Patch side in pixels.
        min_distance: Least offset, in pixels, of a negative in the same image.
        negative_ratio: Negatives per positive.
        hard_negatives: Optional hook that returns a hard negative for a positive.
        hard_fraction: Share of negatives asked from the hook (when one is given).
    """

    def __init__(
        self,
        shapes: Sequence[tuple[int, int]],
        size: int,
        *,
        min_distance: int | None = None,
        negative_ratio: float = 1.0,
        hard_negatives: HardNegativeHook | None = None,
        hard_fraction: float = 0.5,
    ) -> None:
        if not shapes:
            raise ConfigError("PairSampler needs at least one image")
        if any(size > min(s) for s in shapes):
            raise ConfigError(f"patch of {size} px does not fit every image: {list(shapes)}")
        self.shapes = list(shapes)
        self.size = size
        self.min_distance = min_distance if min_distance is not None else size
        self.negative_ratio = negative_ratio
        self.hard_negatives = hard_negatives
        self.hard_fraction = hard_fraction

    def _window(self, image: int, generator: torch.Generator) -> PixelWindow:
        h, w = self.shapes[image]
        return random_patches(h, w, self.size, 1, generator)[0]

    def _random_negative(self, pos: PairSpec, generator: torch.Generator) -> PairSpec:
        for _ in range(100):
            other = int(torch.randint(0, len(self.shapes), (1,), generator=generator))
            win = self._window(other, generator)
            if other != pos.image:
                return PairSpec(pos.image, pos.optical, other, win, 0, "random")
            dist = math.hypot(win.row - pos.optical.row, win.col - pos.optical.col)
            if dist >= self.min_distance:
                return PairSpec(pos.image, pos.optical, other, win, 0, "random")
        raise ConfigError(
            f"found no negative {self.min_distance} px away from the positive in 100 draws; "
            "use larger images, more images or a smaller min_distance"
        )

    def sample(self, count: int, generator: torch.Generator) -> list[PairSpec]:
        """``count`` positives, each followed by its negatives (about ``negative_ratio``)."""
        pairs: list[PairSpec] = []
        for _ in range(count):
            image = int(torch.randint(0, len(self.shapes), (1,), generator=generator))
            win = self._window(image, generator)
            pos = PairSpec(image, win, image, win, 1, "positive")
            pairs.append(pos)
            n_neg = int(self.negative_ratio)
            if float(torch.rand((), generator=generator)) < self.negative_ratio - n_neg:
                n_neg += 1
            for _ in range(n_neg):
                neg = None
                wants_hard = float(torch.rand((), generator=generator)) < self.hard_fraction
                if self.hard_negatives is not None and wants_hard:
                    neg = self.hard_negatives(pos, generator)
                pairs.append(neg if neg is not None else self._random_negative(pos, generator))
        return pairs


class EpochShuffleSampler(torch.utils.data.Sampler[int]):
    """A shuffled order that depends only on (seed, epoch), not on what ran before.

    Lightning calls :meth:`set_epoch` at each epoch, so a run resumed from a checkpoint
    sees the same order in its remaining epochs as an uninterrupted one.
    """

    def __init__(self, length: int, seed: int = 0) -> None:
        self.length = length
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order :meth:`__iter__` yields."""
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.length, generator=g).tolist())

    def __len__(self) -> int:
        return self.length
