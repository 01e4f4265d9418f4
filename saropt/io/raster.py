"""Reading and writing georeferenced rasters (GeoTIFF and anything GDAL reads).

This is the only module family of saropt that imports rasterio. Everything above it works
with :class:`Grid` (where the pixels are) and :class:`Raster` (the pixels, channel-first,
plus what GDAL needs to write them back exactly: nodata and band descriptions).

Writes are atomic: data go to a hidden temporary file next to the target, which is renamed
onto the target only once it is complete, so a failure never leaves a half-written output.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import rasterio
from affine import Affine
from rasterio.crs import CRS
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.features import rasterize as _rio_rasterize
from rasterio.warp import reproject as _rio_reproject
from rasterio.windows import Window

from saropt.errors import (
    AllNodataError,
    BandCountError,
    CorruptRasterError,
    CRSMismatchError,
    GridMismatchError,
    InvalidValueError,
    NotARasterError,
    RasterNotFoundError,
)
from saropt.io.atomic import temporary_sibling

PathLike = str | os.PathLike[str]
ResamplingName = Literal["nearest", "bilinear", "cubic", "average", "mode", "max", "min"]

#: Data types saropt reads and writes without conversion.
SUPPORTED_DTYPES = ("uint8", "uint16", "int16", "uint32", "int32", "float32", "float64")


@dataclass(frozen=True)
class PixelWindow:
    """A rectangle of pixels: top row, left column, height and width."""

    row: int
    col: int
    height: int
    width: int

    def slices(self) -> tuple[slice, slice]:
        """Row and column slices selecting this window from a full array."""
        return slice(self.row, self.row + self.height), slice(self.col, self.col + self.width)


@dataclass(frozen=True)
class Grid:
    """A pixel grid: coordinate reference system, affine transform and size.

    Args:
        crs: The CRS as an authority string (``"EPSG:32633"``) or WKT; None when unknown.
        transform: Affine transform from (col, row) pixel corners to map coordinates.
        width: Number of columns.
        height: Number of rows.
    """

    crs: str | None
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width)."""
        return self.height, self.width

    @property
    def res(self) -> tuple[float, float]:
        """Pixel size (x, y) in CRS units, both positive."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return min(xs), min(ys), max(xs), max(ys)

    def window(self, window: PixelWindow) -> Grid:
        """The grid of a window of this grid."""
        return Grid(
            self.crs,
            self.transform @ Affine.translation(window.col, window.row),
            window.width,
            window.height,
        )

    @classmethod
    def from_origin(
        cls, crs: str | None, west: float, north: float, res: float, width: int, height: int
    ) -> Grid:
        """A north-up grid with square pixels whose top-left corner is (west, north)."""
        return cls(crs, Affine(res, 0.0, west, 0.0, -res, north), width, height)


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
        data: (C, H, W); returns (H, W) bool.
    """
    ok = np.ones(data.shape[-2:], dtype=bool)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        ok &= ~np.any(data == np.asarray(nodata).astype(data.dtype), axis=0)
    if np.issubdtype(data.dtype, np.floating):
        ok &= np.all(np.isfinite(data), axis=0)
    return ok


def _crs_string(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    return str(crs.to_string())


def _open(path: PathLike) -> Any:
    p = Path(path)
    if not p.exists():
        raise RasterNotFoundError(
            f"Raster file '{p}' does not exist; check the path (working directory: {Path.cwd()})"
        )
    if p.is_dir():
        raise NotARasterError(f"'{p}' is a directory, not a raster file; name a GeoTIFF inside it")
    try:
        return rasterio.open(p)
    except RasterioIOError as exc:
        raise NotARasterError(
            f"'{p}' is not a raster GDAL can read ({exc}); give a GeoTIFF or another GDAL "
            "raster format"
        ) from exc


def _grid_of(src: Any) -> Grid:
    return Grid(_crs_string(src.crs), Affine(*src.transform[:6]), src.width, src.height)


def read_info(path: PathLike) -> RasterInfo:
    """Read a raster's header: grid, band count, dtype, nodata, descriptions.

    Raises:
        RasterNotFoundError: The path does not exist.
        NotARasterError: GDAL cannot open the file as a raster.
    """
    with _open(path) as src:
        return RasterInfo(
            path=Path(path),
            grid=_grid_of(src),
            count=src.count,
            dtype=str(src.dtypes[0]),
            nodata=src.nodata,
            descriptions=tuple(src.descriptions),
            driver=str(src.driver),
            block_shape=tuple(src.block_shapes[0]),
            compression=src.compression.value.lower() if src.compression is not None else None,
        )


def _band_indexes(count: int, bands: Sequence[int] | None, path: PathLike) -> list[int]:
    if bands is None:
        return list(range(1, count + 1))
    bad = [b for b in bands if not 1 <= b <= count]
    if bad:
        raise BandCountError(
            f"'{path}' has {count} band(s); band number(s) {bad} do not exist "
            f"(bands are numbered 1..{count})"
        )
    return list(bands)


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
    if not allow_nan and np.issubdtype(data.dtype, np.floating):
        nodata_is_nan = nodata is not None and math.isnan(nodata)
        bad = ~np.isfinite(data)
        if nodata_is_nan:
            bad &= ~np.isnan(data)
        if bad.any():
            band = int(np.argmax(bad.reshape(bad.shape[0], -1).any(axis=1))) + 1
            raise InvalidValueError(
                f"{source} holds {int(bad.sum())} NaN or infinite value(s) (first in band "
                f"{band}) and declares no NaN nodata; fill them, or set the file's nodata "
                "to NaN (e.g. `gdal_edit.py -a_nodata nan FILE`) so they are treated as missing"
            )
    if require_valid and not raster.valid_mask().any():
        raise AllNodataError(
            f"every pixel of {source} is nodata (nodata={nodata}); check the file's nodata "
            "value or pick a window that covers data"
        )


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
    with _open(path) as src:
        if expect_bands is not None and src.count != expect_bands:
            raise BandCountError(
                f"'{path}' has {src.count} band(s) but {expect_bands} are needed; give a "
                f"raster with {expect_bands} bands or change the band selection"
            )
        idx = _band_indexes(src.count, bands, path)
        grid = _grid_of(src)
        rio_window = None
        if window is not None:
            if (
                window.row < 0
                or window.col < 0
                or window.row + window.height > src.height
                or window.col + window.width > src.width
            ):
                raise GridMismatchError(
                    f"window {window} lies outside '{path}' of {src.height}x{src.width} pixels"
                )
            rio_window = Window(window.col, window.row, window.width, window.height)
            grid = grid.window(window)
        try:
            data = src.read(idx, window=rio_window)
        except RasterioIOError as exc:
            raise CorruptRasterError(
                f"'{path}' opens but its pixels cannot be read ({exc}); the file is probably "
                "truncated or damaged: copy or download it again"
            ) from exc
        raster = Raster(
            data=data,
            grid=grid,
            nodata=src.nodata,
            descriptions=tuple(src.descriptions[i - 1] for i in idx),
        )
    check_values(raster, source=f"'{path}'", allow_nan=allow_nan, require_valid=require_valid)
    return raster


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
        finally:
            if exc_type is None:
                os.replace(self._tmp, self.path)
            else:
                self._tmp.unlink(missing_ok=True)
            self._dst = None


def write_raster(
    path: PathLike,
    raster: Raster,
    *,
    dtype: str | np.dtype[Any] | None = None,
    compress: str | None = "deflate",
    blocksize: int = 256,
) -> Path:
    """Write a raster as a tiled, compressed GeoTIFF, atomically.

    Args:
        path: Output path.
        raster: Pixels, grid, nodata and descriptions to write.
        dtype: Output data type; the array's own when None.
        compress: GDAL compression or None.
        blocksize: Tile size in pixels.

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
    return Path(path)


def iter_windows(height: int, width: int, size: int, overlap: int = 0) -> Iterator[PixelWindow]:
    """Windows of at most ``size`` pixels covering a raster, overlapping by ``overlap``.

    The last row and column of windows are shifted inwards so every window has full size
    when the raster is at least ``size`` pixels wide; nothing is left uncovered.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"need size > 0 and 0 <= overlap < size; got {size=}, {overlap=}")
    step = size - overlap

    def starts(n: int) -> list[int]:
        if n <= size:
            return [0]
        s = list(range(0, n - size, step))
        s.append(n - size)
        return s

    for r in starts(height):
        for c in starts(width):
            yield PixelWindow(r, c, min(size, height - r), min(size, width - c))


def check_same_grid(a: Grid, b: Grid, *, names: tuple[str, str] = ("first", "second")) -> None:
    """Raise unless two grids are the same (CRS, resolution, shape and bounds).

    Raises:
        CRSMismatchError: The CRSs differ.
        GridMismatchError: Resolution, shape or bounds differ.
    """
    na, nb = names
    if (a.crs is None) != (b.crs is None) or (
        a.crs is not None and CRS.from_user_input(a.crs) != CRS.from_user_input(b.crs)
    ):
        raise CRSMismatchError(
            f"CRS differs: {na} is {a.crs}, {nb} is {b.crs}; reproject one onto the other's "
            "grid first (e.g. `gdalwarp -t_srs` or saropt's database builder)"
        )
    tol = 1e-6 * max(a.res)
    if any(abs(x - y) > tol for x, y in zip(a.res, b.res, strict=True)):
        raise GridMismatchError(
            f"resolution differs: {na} has {a.res}, {nb} has {b.res}; resample one onto the "
            "other's grid first"
        )
    if a.shape != b.shape:
        raise GridMismatchError(
            f"shape differs: {na} is {a.shape[0]}x{a.shape[1]} pixels, {nb} is "
            f"{b.shape[0]}x{b.shape[1]}; crop or resample both onto one grid"
        )
    if any(abs(x - y) > tol for x, y in zip(a.bounds, b.bounds, strict=True)):
        raise GridMismatchError(
            f"bounds differ: {na} covers {a.bounds}, {nb} covers {b.bounds}; the rasters are "
            "not aligned: resample one onto the other's grid first"
        )


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
    with _open(path) as src:
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


def rasterize(
    shapes: Iterable[tuple[Any, float]],
    grid: Grid,
    *,
    fill: float = 0,
    dtype: str = "uint8",
    all_touched: bool = False,
) -> np.ndarray:
    """Burn (geometry, value) pairs into an array on a grid; later shapes win.

    Geometries are shapely objects or GeoJSON-like mappings in the grid's CRS.

    Shape:
        returns (H, W).
    """
    items = list(shapes)
    if not items:
        return np.full(grid.shape, fill, dtype=dtype)
    result: np.ndarray = _rio_rasterize(
        items,
        out_shape=grid.shape,
        transform=grid.transform,
        fill=fill,
        dtype=dtype,
        all_touched=all_touched,
    )
    return result


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
    with _open(path) as src:
        idx = _band_indexes(src.count, bands, path)
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
        except RasterioIOError as exc:
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

    with _open(path) as src:
        if src.crs is None:
            raise CRSMismatchError(
                f"'{path}' has no CRS; assign one (e.g. `gdal_edit.py -a_srs EPSG:32633`)"
            )
        left, bottom, right, top = transform_bounds(
            src.crs, CRS.from_user_input(crs), *src.bounds, densify_pts=21
        )
        return float(left), float(bottom), float(right), float(top)


def reproject_geometries(geoms: Sequence[Any], src_crs: str, dst_crs: str) -> list[Any]:
    """Transform shapely geometries between CRSs (vectorised with pyproj through shapely)."""
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    return list(shapely.transform(list(geoms), lambda xy: np.column_stack(tr.transform(*xy.T))))


def read_decimated(path: PathLike, factor: int, *, bands: Sequence[int] | None = None) -> Raster:
    """Read a raster reduced ``factor`` times per side by averaging (for quicklooks).

    GDAL uses the file's overviews when it has them; memory is that of the small result.
    """
    with _open(path) as src:
        idx = _band_indexes(src.count, bands, path)
        h, w = max(1, src.height // factor), max(1, src.width // factor)
        data = src.read(idx, out_shape=(len(idx), h, w), resampling=Resampling.average)
        t = src.transform @ Affine.scale(src.width / w, src.height / h)
        grid = Grid(_crs_string(src.crs), Affine(*t[:6]), w, h)
        return Raster(data, grid, src.nodata, tuple(src.descriptions[i - 1] for i in idx))
