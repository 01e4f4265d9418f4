"""One way to turn a user's seed into random generators.

Every random sampler and transform in saropt takes ``seed``: an int, a numpy
``Generator`` or a ``torch.Generator``. The same seed gives the same bytes.
"""

from __future__ import annotations

import numpy as np
import torch

Seed = int | np.random.Generator | torch.Generator


def numpy_rng(seed: Seed) -> np.random.Generator:
    """A numpy Generator from an int, a numpy Generator (returned as is) or a torch Generator.

    A torch Generator is advanced by one draw, so successive calls give different streams.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, torch.Generator):
        drawn = int(torch.randint(0, 2**62, (1,), generator=seed).item())
        return np.random.default_rng(drawn)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, numpy Generator or torch Generator; got {seed!r}")
    return np.random.default_rng(int(seed))


def child_seeds(rng: np.random.Generator, n: int) -> list[int]:
    """``n`` independent integer seeds drawn from ``rng``."""
    return [int(s) for s in rng.integers(0, 2**62, size=n)]


def sample_generator(seed: int, index: int) -> torch.Generator:
    """The torch Generator of sample ``index`` of a dataset seeded ``seed``: the same
    sample whatever order or worker reads it."""
    return torch.Generator().manual_seed(seed * 1_000_003 + index)
