"""Writing rasters: a whole :class:`Raster` at once, or window by window with
:class:`RasterWriter`; tiled, compressed GeoTIFF, written under a temporary name and
renamed when complete."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.windows import Window

from saropt.errors import (
    BandCountError,
)
from saropt.io.atomic import temporary_sibling
from saropt.io.grid import Grid, PathLike, PixelWindow
from saropt.io.raster import SUPPORTED_DTYPES, Raster


def _creation_profile(
    grid: Grid,
    count: int,
    dtype: str,
    nodata: float | None,
    compress: str | None,
    blocksize: int,
) -> dict[str, Any]:
    if str(np.dtype(dtype)) not in SUPPORTED_DTYPES:
        raise ValueError(f"dtype {dtype} is not one of {SUPPORTED_DTYPES}")
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": count,
        "dtype": str(np.dtype(dtype)),
        "crs": CRS.from_user_input(grid.crs) if grid.crs else None,
        "transform": grid.transform,
        "nodata": nodata,
        "BIGTIFF": "IF_SAFER",
    }
    if max(grid.width, grid.height) > blocksize:
        profile.update(tiled=True, blockxsize=blocksize, blockysize=blocksize)
    if compress:
        profile["compress"] = compress
        if compress.lower() in ("deflate", "lzw", "zstd"):
            profile["predictor"] = 3 if np.issubdtype(np.dtype(dtype), np.floating) else 2
    return profile


class RasterWriter:
    """Write a GeoTIFF window by window; the file appears only when complete.

    Use as a context manager. On a clean exit the temporary file is renamed onto ``path``;
    if the block raises, the temporary file is deleted and ``path`` is left untouched.

    Args:
        path: Output GeoTIFF path.
        grid: Grid of the whole output.
        count: Number of bands.
        dtype: Output data type.
        nodata: Nodata value to record, or None.
        descriptions: One description per band, or None.
        compress: GDAL compression ("deflate", "lzw", "zstd") or None.
        blocksize: Tile size; rasters no larger than one tile are written striped.
    """

    def __init__(
        self,
        path: PathLike,
        grid: Grid,
        count: int,
        dtype: str | np.dtype[Any],
        *,
        nodata: float | None = None,
        descriptions: Sequence[str | None] | None = None,
        compress: str | None = "deflate",
        blocksize: int = 256,
    ) -> None:
        self.path = Path(path)
        self.grid = grid
        self.count = count
        self.dtype = str(np.dtype(dtype))
        self.nodata = nodata
        self.descriptions = tuple(descriptions) if descriptions else (None,) * count
        if len(self.descriptions) != count:
            raise BandCountError(
                f"{len(self.descriptions)} band descriptions for {count} bands; give one per band"
            )
        self._profile = _creation_profile(grid, count, self.dtype, nodata, compress, blocksize)
        self._tmp: Path | None = None
        self._dst: Any = None

    def __enter__(self) -> RasterWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = temporary_sibling(self.path)
        self._dst = rasterio.open(self._tmp, "w", **self._profile)
        for i, desc in enumerate(self.descriptions, start=1):
            if desc:
                self._dst.set_band_description(i, desc)
        return self

    def write(self, data: np.ndarray, window: PixelWindow | None = None) -> None:
        """Write all bands of a window (the whole raster when window is None).

        Shape:
            data: (C, h, w) or (h, w) for a single band.
        """
        if self._dst is None:
            raise RuntimeError("RasterWriter.write called outside its `with` block")
        if data.ndim == 2:
            data = data[None]
        if data.shape[0] != self.count:
            raise BandCountError(f"writing {data.shape[0]} band(s) into a {self.count}-band file")
        rio_window = None
        if window is not None:
            rio_window = Window(window.col, window.row, window.width, window.height)
        self._dst.write(data.astype(self.dtype, copy=False), window=rio_window)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._tmp is not None  # set by __enter__
        try:
            if self._dst is not None:
                self._dst.close()
            if exc_type is None:
                os.replace(self._tmp, self.path)
        finally:
            self._tmp.unlink(missing_ok=True)  # gone already after a successful rename
            self._dst = None


def write_raster(
    path: PathLike,
    raster: Raster,
    *,
    dtype: str | np.dtype[Any] | None = None,
    compress: str | None = "deflate",
    blocksize: int = 256,
    cog: bool = False,
) -> Path:
    """Write a raster as a tiled, compressed GeoTIFF, atomically.

    Args:
        path: Output path.
        raster: Pixels, grid, nodata and descriptions to write.
        dtype: Output data type; the array's own when None.
        compress: GDAL compression or None.
        blocksize: Tile size in pixels.
        cog: Write a Cloud Optimized GeoTIFF (:func:`to_cog`).

    Returns:
        The output path.
    """
    out_dtype = np.dtype(dtype) if dtype is not None else raster.data.dtype
    with RasterWriter(
        path,
        raster.grid,
        raster.count,
        out_dtype,
        nodata=raster.nodata,
        descriptions=raster.descriptions,
        compress=compress,
        blocksize=blocksize,
    ) as writer:
        writer.write(raster.data)
    if cog:
        to_cog(path, compress=compress)
    return Path(path)


def to_cog(
    path: PathLike,
    *,
    compress: str | None = "deflate",
    blocksize: int = 512,
    resampling: str | None = None,
) -> Path:
    """Rewrite a GeoTIFF in place as a Cloud Optimized GeoTIFF, atomically.

    GDAL's COG driver: internal tiles of ``blocksize``, overviews down to one tile, the
    image file directories first and the tiles of each level in order, so that a reader
    over HTTP range requests fetches a window or an overview with few reads. Pixels,
    georeference, nodata and band descriptions are kept.

    Args:
        resampling: Overview resampling; default "nearest" for a one-band integer
            raster (class maps, masks) and "average" otherwise.
    """
    from rasterio.shutil import copy as gdal_copy

    path = Path(path)
    with rasterio.open(path) as src:
        integer = np.issubdtype(np.dtype(src.dtypes[0]), np.integer)
        default = "nearest" if integer and src.count == 1 else "average"
    options: dict[str, Any] = {
        "blocksize": blocksize,
        "overviews": "AUTO",
        "overview_resampling": (resampling or default).upper(),
        "BIGTIFF": "IF_SAFER",
    }
    if compress:
        options["compress"] = compress.upper()
        if compress.lower() in ("deflate", "lzw", "zstd"):
            options["predictor"] = "YES"
    tmp = temporary_sibling(path)
    try:
        gdal_copy(path, tmp, driver="COG", **options)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
