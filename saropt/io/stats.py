"""Per-band statistics of a raster, streamed in chunks of rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rasterio.errors import RasterioIOError
from rasterio.windows import Window

from saropt.errors import (
    CorruptRasterError,
)
from saropt.io.grid import PathLike
from saropt.io.raster import open_dataset


@dataclass(frozen=True)
class BandStatistics:
    """Per-band statistics over valid pixels."""

    band: int
    description: str | None
    valid: int
    total: int
    minimum: float
    maximum: float
    mean: float
    std: float


def band_statistics(path: PathLike, *, rows_per_chunk: int = 512) -> list[BandStatistics]:
    """Per-band min, max, mean, standard deviation and valid count, streamed by row strips.

    Memory stays proportional to ``rows_per_chunk`` x width x bands whatever the file size.

    Raises:
        RasterNotFoundError, NotARasterError, CorruptRasterError.
    """
    with open_dataset(path) as src:
        n = src.count
        valid = np.zeros(n, np.int64)
        s1 = np.zeros(n, np.float64)
        s2 = np.zeros(n, np.float64)
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        nodata = src.nodata
        for row in range(0, src.height, rows_per_chunk):
            h = min(rows_per_chunk, src.height - row)
            try:
                chunk = src.read(window=Window(0, row, src.width, h))
            except RasterioIOError as exc:
                raise CorruptRasterError(
                    f"'{path}' opens but rows {row}..{row + h} cannot be read ({exc}); the "
                    "file is probably truncated or damaged"
                ) from exc
            flat = chunk.reshape(n, -1).astype(np.float64)
            ok = np.isfinite(flat)
            if nodata is not None and not math.isnan(nodata):
                ok &= chunk.reshape(n, -1) != np.asarray(nodata).astype(chunk.dtype)
            valid += ok.sum(axis=1)
            x = np.where(ok, flat, 0.0)
            s1 += x.sum(axis=1)
            s2 += (x * x).sum(axis=1)
            lo = np.minimum(lo, np.where(ok, flat, np.inf).min(axis=1))
            hi = np.maximum(hi, np.where(ok, flat, -np.inf).max(axis=1))
        total = src.width * src.height
        out = []
        for i in range(n):
            v = int(valid[i])
            mean = s1[i] / v if v else math.nan
            var = max(s2[i] / v - mean * mean, 0.0) if v else math.nan
            out.append(
                BandStatistics(
                    band=i + 1,
                    description=src.descriptions[i],
                    valid=v,
                    total=total,
                    minimum=float(lo[i]) if v else math.nan,
                    maximum=float(hi[i]) if v else math.nan,
                    mean=float(mean),
                    std=float(math.sqrt(var)) if v else math.nan,
                )
            )
        return out
