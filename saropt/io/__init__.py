"""Raster and vector I/O: the only part of saropt that imports rasterio.

One module per job: :mod:`grid` (where pixels are, windows, grid checks), :mod:`raster`
(reading), :mod:`write` (writing), :mod:`stats` (per-band statistics), :mod:`warp`
(reprojection and mosaics), :mod:`features` (rasterising and moving geometries),
:mod:`vector` (GeoJSON), :mod:`osm`, :mod:`sentinel` and :mod:`bigearthnet`.
"""

from saropt.io.features import rasterize, reproject_geometries
from saropt.io.grid import Grid, PixelWindow, check_same_grid, iter_windows
from saropt.io.raster import Raster, RasterInfo, read_info, read_raster
from saropt.io.stats import BandStatistics, band_statistics
from saropt.io.warp import footprint, merge_onto_grid, read_onto_grid, reproject_raster
from saropt.io.write import RasterWriter, write_raster

__all__ = [
    "BandStatistics",
    "Grid",
    "PixelWindow",
    "Raster",
    "RasterInfo",
    "RasterWriter",
    "band_statistics",
    "check_same_grid",
    "footprint",
    "iter_windows",
    "merge_onto_grid",
    "rasterize",
    "read_info",
    "read_onto_grid",
    "read_raster",
    "reproject_geometries",
    "reproject_raster",
    "write_raster",
]
