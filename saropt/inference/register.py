"""Register a whole moving image (optical) onto a fixed one (SAR): GeoTIFF in, GeoTIFF out.

1. **Initialisation.** A moving image on another grid (resolution, extent or CRS) is first
   resampled onto the fixed grid, window by window (bilinear; GDAL reprojects other CRSs).
   Rasters that do not overlap at all are refused (:class:`NoOverlapError`).
2. **Flow.** The chosen method (:mod:`saropt.inference.flow`) runs on overlapping tiles
   whose flows are blended by :func:`~saropt.inference.tiled.predict_scene`: a two-band
   GeoTIFF (dx, dy in pixels) on the fixed grid. Nodata becomes NaN for the methods.
3. **Resampling.** Each output window reads its flow and only the moving pixels its flow
   points at, and samples them bilinearly (``registered[y, x] = moving[y + dy, x + dx]``):
   every band, the moving dtype (integers rounded), its nodata and band descriptions.
   A pixel whose samples touch nodata, or fall outside a moving image that has a nodata
   value, is nodata; without one, samples beyond the edge take the edge's value.

Memory is bounded by the tile and window sizes whatever the scene's size; the outputs appear
only when complete (written under temporary names, then renamed).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from saropt.errors import BandCountError, ConfigError, GridMismatchError, NoOverlapError
from saropt.inference.flow import FlowMethod, flow_method
from saropt.inference.tiled import BatchPredictor, TiledOptions, predict_scene
from saropt.io.atomic import check_output
from saropt.io.grid import Grid, PathLike, PixelWindow, check_same_grid, iter_windows
from saropt.io.inputs import InputSpec
from saropt.io.raster import RasterInfo, read_info, read_raster
from saropt.io.sentinel import pick_optical
from saropt.io.warp import footprint, read_onto_grid
from saropt.io.write import RasterWriter

Progress = Callable[[str, int, int], None]

#: Side of the windows the resampling step writes.
WINDOW = 512


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _initialise(
    fixed: RasterInfo, moving: PathLike, folder: Path, progress: Progress | None
) -> Path:
    """The moving raster on the fixed grid: itself when already there, else a resampled copy
    in ``folder``."""
    info = read_info(moving)
    try:
        check_same_grid(fixed.grid, info.grid)
        return Path(moving)
    except GridMismatchError:  # another grid or CRS: resampled below
        pass
    if fixed.grid.crs is None:
        raise NoOverlapError("the fixed image has no CRS, so a moving image on another grid "
                             "cannot be placed on it; give both on one grid")  # fmt: skip
    if not _overlap(footprint(moving, str(fixed.grid.crs)), fixed.grid.bounds):
        raise NoOverlapError(f"'{moving}' and the fixed image do not overlap: nothing to "
                             "register (check that they cover the same area)")  # fmt: skip
    out = folder / "moving_on_fixed.tif"
    nodata = info.nodata
    if nodata is None:
        nodata = math.nan if np.issubdtype(np.dtype(info.dtype), np.floating) else 0
    windows = list(iter_windows(*fixed.grid.shape, WINDOW))
    with RasterWriter(out, fixed.grid, info.count, info.dtype, nodata=nodata,
                      descriptions=info.descriptions) as w:  # fmt: skip
        for k, win in enumerate(windows):
            part = read_onto_grid(moving, fixed.grid.window(win), dst_nodata=nodata)
            w.write(part.data, win)
            if progress:
                progress("initialising", k + 1, len(windows))
    return out


def _method_inputs(
    config: dict[str, Any], fixed: RasterInfo, moving: RasterInfo, name: str
) -> Callable[[np.ndarray], np.ndarray]:
    """Check the band counts a trained network needs; returns the moving band selector."""
    kw = config.get("kwargs", {})
    if not kw:
        return lambda x: x
    if fixed.count != kw["fixed_channels"]:
        raise BandCountError(f"the fixed image has {fixed.count} bands; the network takes "
                             f"{kw['fixed_channels']} ({config.get('fixed_bands')})")  # fmt: skip
    bands = tuple(config.get("optical_bands") or ())
    if moving.count != kw["moving_channels"]:
        if not bands:
            raise BandCountError(f"'{name}' has {moving.count} bands; the network takes "
                                 f"{kw['moving_channels']}")  # fmt: skip
        pick_optical(np.zeros((moving.count, 1, 1)), bands, name)  # raises BandCountError
    return lambda x: pick_optical(x, bands, name) if bands else x


def _as_nan(data: np.ndarray, nodata: float | None) -> np.ndarray:
    x = data.astype(np.float32)
    if nodata is not None and not math.isnan(nodata):
        x[data == nodata] = np.nan
    return x


def estimate_flow(
    fixed: PathLike,
    moving: PathLike,
    output: PathLike,
    *,
    method: str = "pwc",
    weights: PathLike | None = None,
    tile: int = 512,
    overlap: int = 64,
    batch_size: int = 2,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write the flow (dx, dy) from ``fixed`` to ``moving`` (both on one grid) as a two-band
    float32 GeoTIFF on that grid.

    Raises:
        ConfigError: Unknown method, missing or foreign weights.
        BandCountError: Inputs with other bands than the network takes.
        GridMismatchError, CRSMismatchError: The inputs are not on one grid.
    """
    fn, config = flow_method(method, weights, device=device)
    fi, mi = read_info(fixed), read_info(moving)
    predict = _predictor(fn, config, fi, mi, str(moving))
    return _write_flow(fixed, moving, output, predict, tile, overlap, batch_size, progress)


def _predictor(
    fn: FlowMethod, config: dict[str, Any], fi: RasterInfo, mi: RasterInfo, name: str
) -> BatchPredictor:
    """The tile predictor of a method: nodata to NaN, the network's moving bands picked.

    Raises:
        BandCountError: Inputs with other bands than the network takes.
    """
    select = _method_inputs(config, fi, mi, name)

    def predict(arrays: list[np.ndarray]) -> np.ndarray:
        a = _as_nan(arrays[0], fi.nodata)
        b = np.stack([select(x) for x in _as_nan(arrays[1], mi.nodata)])
        return fn(a, b)

    return predict


def _write_flow(
    fixed: PathLike, moving: PathLike, output: PathLike, predict: BatchPredictor, tile: int,
    overlap: int, batch_size: int, progress: Callable[[int, int], None] | None,
) -> Path:  # fmt: skip
    return predict_scene(
        [InputSpec(fixed, "--fixed"), InputSpec(moving, "--moving")], output, predict,
        out_bands=2, out_dtype="float32",
        options=TiledOptions(tile, overlap, batch_size, max(1024, 2 * tile)),
        descriptions=("dx", "dy"), progress=progress,
    )  # fmt: skip


def _sample_window(
    moving: PathLike, info: RasterInfo, flow: np.ndarray, win: PixelWindow
) -> np.ndarray:
    """The moving pixels the flow of one output window points at, sampled bilinearly."""
    h, w = info.grid.shape
    yy, xx = np.mgrid[win.row : win.row + win.height, win.col : win.col + win.width]
    sx, sy = xx + flow[0].astype(np.float64), yy + flow[1].astype(np.float64)
    finite = np.isfinite(sx) & np.isfinite(sy)
    sx, sy = np.where(finite, sx, xx), np.where(finite, sy, yy)
    c0 = int(np.clip(np.floor(sx.min()), 0, w - 1))
    c1 = int(np.clip(np.floor(sx.max()) + 2, 1, w))
    r0 = int(np.clip(np.floor(sy.min()), 0, h - 1))
    r1 = int(np.clip(np.floor(sy.max()) + 2, 1, h))
    src = read_raster(moving, window=PixelWindow(r0, c0, r1 - r0, c1 - c0)).data
    coords = [sy - r0, sx - c0]
    nodata = info.nodata
    dtype = np.dtype(info.dtype)
    valid = np.ones(src.shape[1:], bool)
    if nodata is not None:
        valid = np.isfinite(src).all(0) if math.isnan(nodata) else (src != nodata).all(0)
        inside = (sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1) & finite
        ok = ndimage.map_coordinates(valid.astype(np.float32), coords, order=1, mode="constant",
                                     cval=0.0) > 1 - 1e-4  # fmt: skip
        ok &= inside
    out = np.empty((src.shape[0], win.height, win.width), np.float64)
    for b in range(src.shape[0]):
        band = np.where(valid, src[b], 0).astype(np.float64)
        out[b] = ndimage.map_coordinates(band, coords, order=1, mode="nearest")
    if np.issubdtype(dtype, np.integer):
        i = np.iinfo(dtype)
        out = np.clip(np.rint(out), i.min, i.max)
    if nodata is not None:
        out[:, ~ok] = nodata
    return out.astype(dtype)


def check_flow_file(flow: PathLike, grid: Grid, name: str) -> None:
    """Raise unless ``flow`` holds two bands (dx, dy) on ``grid`` (the grid of ``name``).

    Raises:
        BandCountError: Not two bands.
        GridMismatchError, CRSMismatchError: Another grid.
    """
    info = read_info(flow)
    if info.count != 2:
        raise BandCountError(f"flow '{flow}' has {info.count} band(s); a flow holds two "
                             "(dx, dy in pixels), as saropt register --flow writes")  # fmt: skip
    check_same_grid(grid, info.grid, names=(name, str(flow)))


def apply_flow(
    moving: PathLike,
    flow: PathLike,
    output: PathLike,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Resample ``moving`` by a flow GeoTIFF on its grid: ``out[y, x] = moving[y + dy, x + dx]``.

    Raises:
        BandCountError: The flow does not have two bands.
        GridMismatchError, CRSMismatchError: The flow is not on the moving image's grid.
    """
    info = read_info(moving)
    check_flow_file(flow, info.grid, "the moving image on the fixed grid")
    windows = list(iter_windows(*info.grid.shape, WINDOW))
    with RasterWriter(output, info.grid, info.count, info.dtype, nodata=info.nodata,
                      descriptions=info.descriptions) as w:  # fmt: skip
        for k, win in enumerate(windows):
            f = read_raster(flow, window=win).data
            w.write(_sample_window(moving, info, f, win), win)
            if progress:
                progress(k + 1, len(windows))
    return Path(output)


def register_scene(
    fixed: PathLike,
    moving: PathLike,
    output: PathLike,
    *,
    method: str = "pwc",
    weights: PathLike | None = None,
    flow_out: PathLike | None = None,
    flow_in: PathLike | None = None,
    tile: int = 512,
    overlap: int = 64,
    batch_size: int = 2,
    device: str = "cpu",
    progress: Progress | None = None,
) -> Path:
    """Register ``moving`` onto ``fixed``'s grid; optionally keep the flow.

    Args:
        fixed: Reference raster (SAR: Sentinel-1 VV, VH in dB for the default network).
        moving: Raster to correct (optical; any bands and dtype).
        output: GeoTIFF to write: the moving image on the fixed grid, registered.
        method: "pwc" (needs ``weights``), "gefolki", "phase" or "zero".
        flow_out: Also write the flow (dx, dy) here.
        flow_in: Apply this flow (two bands on the fixed grid) instead of estimating one.
        tile, overlap, batch_size: Flow tiling (multiples of 64 suit the network).
        progress: Called as ``progress(step, done, total)``.

    Raises:
        NoOverlapError: The rasters do not overlap.
        ConfigError, BandCountError, GridMismatchError: See :func:`estimate_flow` and
            :func:`apply_flow`.
    """
    output = check_output(output, [fixed, moving, flow_in, flow_out])
    if flow_out is not None:
        check_output(flow_out, [fixed, moving])
    fi = read_info(fixed)
    output.parent.mkdir(parents=True, exist_ok=True)
    if tile % 4 or not 0 <= overlap < tile // 2 + 1:
        raise ConfigError(f"tile ({tile}) must be a multiple of 4 and overlap ({overlap}) at "
                          "most half of it")  # fmt: skip
    if flow_in is not None:
        check_flow_file(flow_in, fi.grid, str(fixed))
    else:  # the method is built once, and bad methods, weights or bands fail before any work
        fn, config = flow_method(method, weights, device=device)
        _method_inputs(config, fi, read_info(moving), str(moving))
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".register-") as tmp:
        folder = Path(tmp)
        on_fixed = _initialise(fi, moving, folder, progress)
        flow = Path(flow_in) if flow_in is not None else folder / "flow.tif"
        if flow_in is None:
            predict = _predictor(fn, config, fi, read_info(on_fixed), str(moving))
            show_flow = (lambda d, t: progress("flow", d, t)) if progress else None
            _write_flow(fixed, on_fixed, flow, predict, tile, overlap, batch_size, show_flow)
        show = (lambda d, t: progress("resampling", d, t)) if progress else None
        apply_flow(on_fixed, flow, output, progress=show)
        if flow_out is not None and flow_in is None:
            Path(flow_out).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(flow, flow_out)
    return output
