"""Vector features meeting rasters: burn geometries into a grid, and move geometries
between coordinate reference systems."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from rasterio.features import rasterize as _rio_rasterize

from saropt.io.grid import Grid


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


def reproject_geometries(geoms: Sequence[Any], src_crs: str, dst_crs: str) -> list[Any]:
    """Transform shapely geometries between CRSs (vectorised with pyproj through shapely)."""
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
    return list(shapely.transform(list(geoms), lambda xy: np.column_stack(tr.transform(*xy.T))))
