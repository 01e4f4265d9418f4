"""Raster and vector I/O: the only part of saropt that imports rasterio."""

from saropt.io.raster import (
    Grid,
    PixelWindow,
    Raster,
    RasterInfo,
    RasterWriter,
    band_statistics,
    check_same_grid,
    iter_windows,
    read_info,
    read_raster,
    reproject_raster,
    write_raster,
)

__all__ = [
    "Grid",
    "PixelWindow",
    "Raster",
    "RasterInfo",
    "RasterWriter",
    "band_statistics",
    "check_same_grid",
    "iter_windows",
    "read_info",
    "read_raster",
    "reproject_raster",
    "write_raster",
]
