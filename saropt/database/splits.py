"""Train/val/test splits of a database's tiles by spatial blocks, so that no pixel is in two
splits."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from saropt.errors import ConfigError
from saropt.io.grid import PixelWindow

Split = Literal["train", "val", "test"]

SPLITS: tuple[Split, ...] = ("train", "val", "test")


def _split_counts(n: int, fractions: tuple[float, float, float]) -> list[int]:
    """Blocks per split: largest remainders, and at least one for every non-zero share
    when there are enough blocks."""
    raw = np.asarray(fractions) * n
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    wanted = [i for i, f in enumerate(fractions) if f > 0]
    if n >= len(wanted):
        for i in wanted:
            if counts[i] == 0:
                counts[int(np.argmax(counts))] -= 1
                counts[i] = 1
    return [int(c) for c in counts]


def assign_splits(
    windows: Sequence[PixelWindow],
    stride: int,
    block: int,
    fractions: tuple[float, float, float],
    seed: int,
) -> tuple[list[Split | None], int]:
    """Split of each tile by spatial blocks of ``block`` x ``block`` tiles.

    Blocks are shuffled with ``seed`` and dealt to train/val/test by ``fractions`` (every
    split with a non-zero share gets a block when there are enough). Tiles of the rarer
    splits are kept first; a tile that overlaps an already kept tile of another split gets
    None (it is not built), so no pixel is in two splits and overlaps cost the largest
    split, not the small ones.

    Returns:
        The split of each window (or None) and the number of blocks.
    """
    if block < 1 or any(f < 0 for f in fractions) or not math.isclose(sum(fractions), 1.0):
        raise ConfigError(
            f"need split_block >= 1 and fractions >= 0 summing to 1; got {block}, {fractions}"
        )
    span = stride * block
    keys = [(w.row // span, w.col // span) for w in windows]
    blocks = sorted(set(keys))
    order = np.random.default_rng(seed).permutation(len(blocks))
    counts = _split_counts(len(blocks), fractions)
    dealt = np.repeat(np.arange(len(SPLITS)), counts)
    split_of_block: dict[tuple[int, int], Split] = {
        blocks[b]: SPLITS[int(k)] for b, k in zip(order, dealt, strict=True)
    }
    splits: list[Split | None] = [split_of_block[k] for k in keys]
    # keep the rarer splits first: visit tiles by ascending split share, row-major within a
    # split, and drop a tile that overlaps an already kept tile of another split
    rank = {sp: (fractions[i], i) for i, sp in enumerate(SPLITS)}
    visit = sorted(range(len(windows)), key=lambda i: (rank[splits[i]], i))  # type: ignore[index]
    kept: list[int] = []
    for i in visit:
        a = windows[i]
        for j in kept:
            b = windows[j]
            if (
                splits[j] != splits[i]
                and a.row < b.row + b.height
                and b.row < a.row + a.height
                and a.col < b.col + b.width
                and b.col < a.col + a.width
            ):
                splits[i] = None
                break
        else:
            kept.append(i)
    return splits, len(blocks)
