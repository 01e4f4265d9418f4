"""Where pixels are: pixel windows, the :class:`Grid` of a raster, tiling windows and
grid checks that name what differs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from affine import Affine
from rasterio.crs import CRS

from saropt.errors import (
    CRSMismatchError,
    GridMismatchError,
)

PathLike = str | os.PathLike[str]


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


def crs_string(crs: CRS | None) -> str | None:
    if crs is None:
        return None
    return str(crs.to_string())
