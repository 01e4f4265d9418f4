"""Reprojection: a raster onto another grid, straight from a file onto a tile's grid,
mosaics of several files, and a raster's footprint in another CRS."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError, WarpOperationError
from rasterio.warp import reproject as _rio_reproject

from saropt.errors import (
    CorruptRasterError,
    CRSMismatchError,
)
from saropt.io.grid import Grid, PathLike
from saropt.io.raster import Raster, band_indexes, open_dataset

ResamplingName = Literal["nearest", "bilinear", "cubic", "average", "mode", "max", "min"]


def reproject_raster(
    raster: Raster,
    grid: Grid,
    *,
    resampling: ResamplingName = "bilinear",
    dst_nodata: float | None = None,
) -> Raster:
    """Resample a raster onto another grid (any CRS and resolution).

    Args:
        raster: Source raster.
        grid: Target grid.
        resampling: "bilinear" or "cubic" for continuous values, "nearest" or "mode" for
            classes, "average" when downsampling.
        dst_nodata: Nodata of the result; the source's when None. Target pixels that no
            source pixel covers get this value (0 when both are None).

    Returns:
        A raster on ``grid`` with the source's dtype and descriptions.
    """
    nodata = raster.nodata if dst_nodata is None else dst_nodata
    out = np.full(
        (raster.count, *grid.shape),
        nodata if nodata is not None else 0,
        dtype=raster.data.dtype,
    )
    _rio_reproject(
        source=raster.data,
        destination=out,
        src_transform=raster.grid.transform,
        src_crs=CRS.from_user_input(raster.grid.crs) if raster.grid.crs else None,
        src_nodata=raster.nodata,
        dst_transform=grid.transform,
        dst_crs=CRS.from_user_input(grid.crs) if grid.crs else None,
        dst_nodata=nodata,
        resampling=Resampling[resampling],
    )
    return Raster(out, grid, nodata, raster.descriptions)


def read_onto_grid(
    path: PathLike,
    grid: Grid,
    *,
    bands: Sequence[int] | None = None,
    resampling: ResamplingName = "bilinear",
    dst_nodata: float | None = None,
    dtype: str | None = None,
) -> Raster:
    """Read a raster file resampled onto a target grid (any CRS and resolution).

    GDAL reads only the source blocks the target grid needs, so reading a tile of a huge
    scene costs memory in proportion to the tile.

    Args:
        path: Source raster.
        grid: Target grid.
        bands: 1-based bands to read; all when None.
        resampling: "bilinear" or "cubic" for continuous data, "nearest" or "mode" for
            classes, "average" when downsampling.
        dst_nodata: Nodata of the result; the source's when None, else NaN for float output
            and 0 for integers. Target pixels no source pixel covers get this value.
        dtype: Output dtype; the source's when None.

    Returns:
        The raster on ``grid`` with the source's band descriptions.

    Raises:
        RasterNotFoundError, NotARasterError, CorruptRasterError, BandCountError.
    """
    with open_dataset(path) as src:
        idx = band_indexes(src.count, bands, path)
        out_dtype = np.dtype(dtype or src.dtypes[0])
        nodata = dst_nodata if dst_nodata is not None else src.nodata
        if nodata is None:
            nodata = math.nan if np.issubdtype(out_dtype, np.floating) else 0
        out = np.full((len(idx), *grid.shape), nodata, dtype=out_dtype)
        try:
            _rio_reproject(
                source=rasterio.band(src, idx),
                destination=out,
                src_nodata=src.nodata,
                dst_transform=grid.transform,
                dst_crs=CRS.from_user_input(grid.crs) if grid.crs else src.crs,
                dst_nodata=nodata,
                resampling=Resampling[resampling],
            )
        except (RasterioIOError, WarpOperationError) as exc:
            raise CorruptRasterError(
                f"'{path}' opens but its pixels cannot be read ({exc}); the file is probably "
                "truncated or damaged: copy or download it again"
            ) from exc
        return Raster(out, grid, nodata, tuple(src.descriptions[i - 1] for i in idx))


def merge_onto_grid(
    paths: Sequence[PathLike],
    grid: Grid,
    *,
    resampling: ResamplingName = "bilinear",
    dtype: str = "float32",
) -> Raster:
    """Mosaic several single-band rasters onto a grid: the first valid value wins.

    Shape:
        returns data (1, H, W) with NaN where no input covers the grid.
    """
    out = np.full((1, *grid.shape), np.nan, dtype=dtype)
    for p in paths:
        part = read_onto_grid(p, grid, bands=[1], resampling=resampling, dtype=dtype)
        fill = np.isnan(out) & part.valid_mask()[None]
        out[fill] = part.data[fill]
    return Raster(out, grid, math.nan, ("elevation",))


def footprint(path: PathLike, crs: str) -> tuple[float, float, float, float]:
    """Bounds (left, bottom, right, top) of a raster, transformed into another CRS."""
    from rasterio.warp import transform_bounds

    with open_dataset(path) as src:
        if src.crs is None:
            raise CRSMismatchError(
                f"'{path}' has no CRS; assign one (e.g. `gdal_edit.py -a_srs EPSG:32633`)"
            )
        left, bottom, right, top = transform_bounds(
            src.crs, CRS.from_user_input(crs), *src.bounds, densify_pts=21
        )
        return float(left), float(bottom), float(right), float(top)
