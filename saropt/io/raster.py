"""Reading and writing georeferenced rasters (GeoTIFF and anything GDAL reads).

This is the only module family of saropt that imports rasterio. Everything above it works
with :class:`Grid` (where the pixels are) and :class:`Raster` (the pixels, channel-first,
plus what GDAL needs to write them back exactly: nodata and band descriptions).

Writes are atomic: data go to a hidden temporary file next to the target, which is renamed
onto the target only once it is complete, so a failure never leaves a half-written output."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.windows import Window

from saropt.errors import (
    AllNodataError,
    BandCountError,
    CorruptRasterError,
    GridMismatchError,
    InvalidValueError,
    NotARasterError,
    RasterNotFoundError,
)
from saropt.io.grid import Grid, PathLike, PixelWindow, crs_string

#: Data types saropt reads and writes without conversion.
SUPPORTED_DTYPES = ("uint8", "uint16", "int16", "uint32", "int32", "float32", "float64")


@dataclass
class Raster:
    """Pixels and georeference.

    Attributes:
        data: Channel-first array.
        grid: Where the pixels are.
        nodata: The value that marks missing pixels, or None.
        descriptions: One description per band (None for a band without one).

    Shape:
        data: (C, H, W) with (H, W) == grid.shape.
    """

    data: np.ndarray
    grid: Grid
    nodata: float | None = None
    descriptions: tuple[str | None, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.data.ndim == 2:
            self.data = self.data[None]
        if self.data.ndim != 3:
            raise ValueError(f"Raster data must be (C, H, W); got shape {self.data.shape}")
        if self.data.shape[1:] != self.grid.shape:
            raise GridMismatchError(
                f"Raster data of shape {self.data.shape[1:]} does not fit its grid of shape "
                f"{self.grid.shape}; pass a grid of the data's height and width"
            )
        if not self.descriptions:
            self.descriptions = (None,) * self.data.shape[0]
        if len(self.descriptions) != self.data.shape[0]:
            raise BandCountError(
                f"{len(self.descriptions)} band descriptions for {self.data.shape[0]} bands; "
                "give one description per band"
            )

    @property
    def count(self) -> int:
        """Number of bands."""
        return int(self.data.shape[0])

    def valid_mask(self) -> np.ndarray:
        """True where every band holds a value (neither nodata nor NaN).

        Shape:
            (H, W) bool.
        """
        return valid_mask(self.data, self.nodata)

    def with_data(self, data: np.ndarray, **changes: Any) -> Raster:
        """A copy on the same grid with other pixels (and optionally other metadata)."""
        if data.ndim == 3 and data.shape[0] != self.count and "descriptions" not in changes:
            changes["descriptions"] = ()
        return replace(self, data=data, **changes)


@dataclass(frozen=True)
class RasterInfo:
    """What a raster file holds, read from its header only."""

    path: Path
    grid: Grid
    count: int
    dtype: str
    nodata: float | None
    descriptions: tuple[str | None, ...]
    driver: str
    block_shape: tuple[int, int]
    compression: str | None


def valid_mask(data: np.ndarray, nodata: float | None) -> np.ndarray:
    """True where every band holds a value (neither nodata nor NaN).

    Shape:
        data: (..., C, H, W); returns (..., H, W) bool.
    """
    ok = np.ones(data.shape[:-3] + data.shape[-2:], dtype=bool)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        ok &= ~np.any(data == np.asarray(nodata).astype(data.dtype), axis=-3)
    if np.issubdtype(data.dtype, np.floating):
        ok &= np.all(np.isfinite(data), axis=-3)
    return ok


def open_dataset(path: PathLike) -> Any:
    p = Path(path)
    if not p.exists():
        raise RasterNotFoundError(
            f"Raster file '{p}' does not exist; check the path (working directory: {Path.cwd()})"
        )
    if p.is_dir():
        raise NotARasterError(f"'{p}' is a directory, not a raster file; name a GeoTIFF inside it")
    try:
        with warnings.catch_warnings():  # a PNG or JPEG has no georeference: read_info says so
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(p)
    except RasterioIOError as exc:
        raise NotARasterError(
            f"'{p}' is not a raster GDAL can read ({exc}); give a GeoTIFF or another GDAL "
            "raster format"
        ) from exc


def grid_of(src: Any) -> Grid:
    return Grid(crs_string(src.crs), Affine(*src.transform[:6]), src.width, src.height)


def read_info(path: PathLike) -> RasterInfo:
    """Read a raster's header: grid, band count, dtype, nodata, descriptions.

    Raises:
        RasterNotFoundError: The path does not exist.
        NotARasterError: GDAL cannot open the file as a raster.
    """
    with open_dataset(path) as src:
        return RasterInfo(
            path=Path(path),
            grid=grid_of(src),
            count=src.count,
            dtype=str(src.dtypes[0]),
            nodata=src.nodata,
            descriptions=tuple(src.descriptions),
            driver=str(src.driver),
            block_shape=tuple(src.block_shapes[0]),
            compression=src.compression.value.lower() if src.compression is not None else None,
        )


def band_indexes(count: int, bands: Sequence[int] | None, path: PathLike) -> list[int]:
    if bands is None:
        return list(range(1, count + 1))
    bad = [b for b in bands if not 1 <= b <= count]
    if bad:
        raise BandCountError(
            f"'{path}' has {count} band(s); band number(s) {bad} do not exist "
            f"(bands are numbered 1..{count})"
        )
    return list(bands)


#: How to fix what :func:`finite_problem` finds, for every message that reports it.
FIX_VALUES = (
    "fill them, or declare NaN as the file's nodata (`gdal_edit.py -a_nodata nan FILE`) so "
    "they are treated as missing"
)


def finite_problem(data: np.ndarray, nodata: float | None) -> str:
    """What is wrong with ``data``'s values ("3 infinite value(s)"), or "" when nothing:
    infinity anywhere, NaN unless NaN is the declared nodata."""
    if not np.issubdtype(data.dtype, np.floating):
        return ""
    inf = int(np.isinf(data).sum())
    nan = 0 if nodata is not None and math.isnan(nodata) else int(np.isnan(data).sum())
    parts = [f"{inf} infinite value(s)"] * bool(inf) + [f"{nan} NaN value(s)"] * bool(nan)
    return " and ".join(parts)


def check_values(
    raster: Raster,
    *,
    source: str = "input",
    allow_nan: bool = True,
    require_valid: bool = True,
) -> None:
    """Raise when a raster holds values an operation cannot use.

    Args:
        raster: The raster to check.
        source: Name used in messages (usually the file path).
        allow_nan: If False, NaN or infinite pixels that are not declared nodata raise.
        require_valid: If True, a raster whose every pixel is nodata raises.

    Raises:
        InvalidValueError: NaN or infinity found where none are allowed.
        AllNodataError: No valid pixel at all.
    """
    data, nodata = raster.data, raster.nodata
    if not allow_nan and (bad := finite_problem(data, nodata)):
        band = next(b for b in range(len(data)) if finite_problem(data[b], nodata)) + 1
        raise InvalidValueError(f"{source} holds {bad} (first in band {band}); {FIX_VALUES}")
    if require_valid and not raster.valid_mask().any():
        raise AllNodataError(
            f"every pixel of {source} is nodata (nodata={nodata}); check the file's nodata "
            "value or pick a window that covers data"
        )


def read_pixels(src: Any, path: PathLike, **kwargs: Any) -> np.ndarray:
    """``src.read(**kwargs)``, with a read failure named as a damaged file.

    Raises:
        CorruptRasterError: GDAL cannot decode the pixels (truncated or damaged file).
    """
    try:
        data: np.ndarray = src.read(**kwargs)
    except RasterioIOError as exc:
        raise CorruptRasterError(
            f"'{path}' opens but its pixels cannot be read ({exc}); the file is probably "
            "truncated or damaged: copy or download it again"
        ) from exc
    return data


def _checked_window(window: PixelWindow, height: int, width: int, path: PathLike) -> Window:
    """The rasterio window of a pixel window that must lie inside the raster.

    Raises:
        GridMismatchError: The window reaches outside.
    """
    outside = window.row < 0 or window.col < 0
    outside |= window.row + window.height > height or window.col + window.width > width
    if outside:
        raise GridMismatchError(f"window {window} lies outside '{path}' of {height}x{width} pixels")
    return Window(window.col, window.row, window.width, window.height)


def read_raster(
    path: PathLike,
    *,
    bands: Sequence[int] | None = None,
    window: PixelWindow | None = None,
    expect_bands: int | None = None,
    allow_nan: bool = True,
    require_valid: bool = False,
) -> Raster:
    """Read a raster (or a window of it) with its georeference.

    Args:
        path: Any raster GDAL reads.
        bands: 1-based band numbers to read; all when None.
        window: Pixel window to read; the whole raster when None.
        expect_bands: If given, the number of bands the file must have.
        allow_nan: If False, raise on NaN values not declared as nodata.
        require_valid: If True, raise when every pixel read is nodata.

    Returns:
        The raster, keeping the file's dtype, nodata and band descriptions.

    Shape:
        data: (C, H, W).

    Raises:
        RasterNotFoundError, NotARasterError, CorruptRasterError, BandCountError,
        InvalidValueError, AllNodataError: see :mod:`saropt.errors`.
    """
    with open_dataset(path) as src:
        if expect_bands is not None and src.count != expect_bands:
            raise BandCountError(
                f"'{path}' has {src.count} band(s) but {expect_bands} are needed; give a "
                f"raster with {expect_bands} bands or change the band selection"
            )
        idx = band_indexes(src.count, bands, path)
        grid = grid_of(src)
        rio_window = None
        if window is not None:
            rio_window = _checked_window(window, src.height, src.width, path)
            grid = grid.window(window)
        data = read_pixels(src, path, indexes=idx, window=rio_window)
        raster = Raster(
            data=data,
            grid=grid,
            nodata=src.nodata,
            descriptions=tuple(src.descriptions[i - 1] for i in idx),
        )
    check_values(raster, source=f"'{path}'", allow_nan=allow_nan, require_valid=require_valid)
    return raster


class WindowReader:
    """Windows of one raster, read through one open dataset (GDAL keeps decoded blocks in
    its cache, so overlapping windows decode each block once instead of once per window).

    Use as a context manager, from one thread at a time.

    Raises:
        RasterNotFoundError, NotARasterError: On entering; see :func:`open_dataset`.
        GridMismatchError, CorruptRasterError: From :meth:`read`.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = path
        self._src: Any = None

    def __enter__(self) -> WindowReader:
        self._src = open_dataset(self.path)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._src is not None:
            self._src.close()
            self._src = None

    def read(self, window: PixelWindow) -> np.ndarray:
        """All bands of ``window`` (inside the raster), in the file's dtype.

        Shape:
            (C, window.height, window.width).
        """
        if self._src is None:
            raise RuntimeError("WindowReader.read called outside its `with` block")
        win = _checked_window(window, self._src.height, self._src.width, self.path)
        return read_pixels(self._src, self.path, window=win)


def read_decimated(path: PathLike, factor: int, *, bands: Sequence[int] | None = None) -> Raster:
    """Read a raster reduced ``factor`` times per side by averaging (for quicklooks).

    GDAL uses the file's overviews when it has them; memory is that of the small result.
    """
    with open_dataset(path) as src:
        idx = band_indexes(src.count, bands, path)
        h, w = max(1, src.height // factor), max(1, src.width // factor)
        data = read_pixels(src, path, indexes=idx, out_shape=(len(idx), h, w),
                           resampling=Resampling.average)  # fmt: skip
        t = src.transform @ Affine.scale(src.width / w, src.height / h)
        grid = Grid(crs_string(src.crs), Affine(*t[:6]), w, h)
        return Raster(data, grid, src.nodata, tuple(src.descriptions[i - 1] for i in idx))
