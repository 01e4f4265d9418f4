"""What the dataset readers share: tensors from rasters, a clear error for a wrong root, and
the "rasters" source of the DataModules (three GeoTIFFs on one grid, split by rows)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from saropt.errors import ConfigError, GridMismatchError, InputNotFoundError, RasterNotFoundError
from saropt.io.grid import check_same_grid
from saropt.io.raster import Raster, read_raster
from saropt.seeding import sample_generator

#: One sample: a dict of tensors with the fixed keys of ARCHITECTURE.md ("sar", "optical",
#: "cloudy", "target", "mask", "label", ...), plus "crs"/"transform" where geo data travels.
Sample = dict[str, Any]
#: A collated batch of samples, as a task's steps receive it.
Batch = dict[str, torch.Tensor]


def tensor(array: np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A contiguous tensor copy of an array."""
    return torch.from_numpy(np.ascontiguousarray(array)).to(dtype)


def geo(raster: Raster) -> dict[str, Any]:
    """The ``crs`` and ``transform`` entries of a sample (see ARCHITECTURE.md)."""
    return {"crs": raster.grid.crs, "transform": tuple(raster.grid.transform)[:6]}


def require(files: list[Path], root: Path, what: str, layout: str) -> list[Path]:
    """Raise a helpful error when a layout's files are missing."""
    if not files:
        raise InputNotFoundError(f"no {what} found under '{root}'; expected the layout {layout}")
    return files


def partner(path: Path, expected: Path) -> Path:
    """Check that a partner file of a sample exists."""
    if not expected.exists():
        raise RasterNotFoundError(f"'{path.name}' has no partner: '{expected}' is missing")
    return expected


def check_co_registered(optical: np.ndarray, sar: np.ndarray | None) -> None:
    """Raise unless an optical and a SAR image (C, H, W) cover the same pixels."""
    if sar is not None and sar.shape[1:] != optical.shape[1:]:
        raise GridMismatchError(
            f"optical {optical.shape[1:]} and SAR {sar.shape[1:]} images differ in size; "
            "resample them onto one grid first"
        )


class InMemoryPairs(Dataset[Sample]):
    """Base of the datasets that cut samples from one co-registered optical/SAR image pair
    held in memory: it checks the pair, holds it, and makes sample ``i`` depend only on
    ``seed`` and ``i`` (:meth:`generator`).

    Args:
        optical: Optical image (C, H, W), as the subclass stores it.
        sar: SAR image (S, H, W) on the same grid, or None.
        length: Samples per epoch.
        seed: Seed of every sample.

    Raises:
        GridMismatchError: The two images differ in size.
    """

    def __init__(
        self, optical: np.ndarray, sar: np.ndarray | None, *, length: int, seed: int
    ) -> None:
        check_co_registered(optical, sar)
        self.optical = optical
        self.sar = sar
        self.length = length
        self.seed = seed

    def __len__(self) -> int:
        return self.length

    def generator(self, i: int) -> torch.Generator:
        """The random generator of sample ``i``."""
        return sample_generator(self.seed, i)


Arrays = tuple[np.ndarray, ...]


def labelled_rasters(
    paths: tuple[str | Path | None, str | Path | None, str | Path | None],
    patch_size: int,
    *,
    labels: Callable[[np.ndarray, float | None, str], np.ndarray] | None = None,
    optical: Callable[[np.ndarray, str], np.ndarray] | None = None,
) -> tuple[Arrays, Arrays]:
    """The "rasters" source: (S2, S1 dB, labels) arrays read from three GeoTIFFs on one
    grid, the top 80 % of rows for training and the rest for validation.

    Args:
        paths: The S1 (VV, VH), S2 and one-band label GeoTIFFs.
        patch_size: Both parts must hold a patch of this side.
        labels: Maps (label band, nodata, name) to the labels kept; the band as read when
            None.
        optical: Maps (S2 stack, name) to the bands kept; the stack as read when None.

    Raises:
        ConfigError: A path is missing or the rasters are too small to split.
        GridMismatchError, CRSMismatchError: The rasters are not on one grid.
    """
    s1, s2, lab = paths
    if not (s1 and s2 and lab):
        raise ConfigError("data source rasters needs data.s1, data.s2 and data.labels")
    sar, opt = read_raster(s1, expect_bands=2), read_raster(s2)
    label = read_raster(lab, expect_bands=1)
    check_same_grid(sar.grid, opt.grid, names=(str(s1), str(s2)))
    check_same_grid(sar.grid, label.grid, names=(str(s1), str(lab)))
    cut = int(0.8 * sar.grid.height)
    if min(cut, sar.grid.height - cut, sar.grid.width) < patch_size:
        raise ConfigError(f"rasters of {sar.grid.shape} px are too small for 80/20 row "
                          f"splits of {patch_size} px patches")  # fmt: skip
    arrays = (
        optical(opt.data, str(s2)) if optical else opt.data,
        sar.data,
        labels(label.data[0], label.nodata, str(lab)) if labels else label.data[0],
    )
    return tuple(x[..., :cut, :] for x in arrays), tuple(x[..., cut:, :] for x in arrays)
