"""Whole-scene tiled prediction: read windows with overlap, predict in batches, blend, stream.

The scene is processed in vertical panels of ``panel`` columns, each in strips of tile
rows. Every tile's prediction is added to float64 accumulators with a weight that is 1 in
the tile's centre and ramps down linearly across the overlap, so seams blend smoothly.
Once a strip is done, the rows no later tile touches are final: they are divided by their
summed weights and written, and the accumulators move down. A panel takes every tile of
the scene's tiling that touches its columns and writes only its own columns, so each
pixel sums exactly the tiles it would sum if the whole scene were done at once (tiles
across a panel edge are predicted twice). Memory is therefore bounded by the panel and
tile sizes, whatever the scene's size; the output GeoTIFF is written window by window
under a temporary name and appears when complete.

With ``TiledOptions.prefetch`` the model is kept busy: a reader thread reads the next
batch's windows while the model runs on the current one, and a writer thread writes
finished rows; each holds at most two items in hand, so memory stays bounded. GDAL and
torch both release Python's lock while they work, so the threads run side by side. That
pays only where a core is free while the model runs (a GPU model, or more cores than
torch's threads): on the project's 2-core CPU, three interleaved runs of a 2048^2 scene
with the full cloud-removal generator took 76.3 s with the threads and 69.3 s without
(`benchmarks/decloud_speed.py --prefetch-rounds 3`), so the default (``None``) turns
prefetching on only when a core is free.

With float64 accumulators a model that returns its input gives the input back exactly,
whatever the overlap and whether or not the scene is a multiple of the tile.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from saropt.errors import ConfigError
from saropt.inference.runtime import Timings
from saropt.io.atomic import check_output
from saropt.io.grid import Grid, PathLike, PixelWindow, check_same_grid, iter_windows
from saropt.io.inputs import CheckedInput, InputSpec, check_inputs, clean_window
from saropt.io.raster import WindowReader, read_info
from saropt.io.write import RasterWriter

#: Predicts a batch: one (N, C_i, T, T) array per input, raw values as stored, and
#: returns (N, C_out, T, T) in output units.
BatchPredictor = Callable[[list[np.ndarray]], np.ndarray]

#: Bands written and the function that makes them from a block of blended predictions.
Finisher = tuple[int, Callable[[np.ndarray], np.ndarray]]


@dataclass(frozen=True)
class TiledOptions:
    """How to tile a scene.

    Attributes:
        tile: Tile side in pixels (a multiple of what the model needs).
        overlap: Pixels shared by neighbouring tiles; blended.
        batch_size: Tiles per model call.
        panel: Columns written per pass; bounds memory on wide scenes (at least a tile).
        prefetch: Read the next batch and write finished rows in background threads;
            ``None``: only when a CPU core is free of torch's threads (see
            :meth:`for_device` for GPU models).
    """

    tile: int = 256
    overlap: int = 32
    batch_size: int = 4
    panel: int = 2048
    prefetch: bool | None = None

    def __post_init__(self) -> None:
        if self.tile < 8 or not 0 <= self.overlap < self.tile // 2 + 1 or self.batch_size < 1:
            raise ConfigError(
                "need --tile >= 8, 0 <= --overlap <= tile / 2 and --batch-size >= 1; got "
                f"tile {self.tile}, overlap {self.overlap}, batch size {self.batch_size}"
            )
        if self.panel < self.tile:  # a panel holds at least one tile's columns
            object.__setattr__(self, "panel", self.tile)

    def rounded_to(self, factor: int) -> TiledOptions:
        """These options for a network that needs multiples of ``factor``: the tile
        rounded up, the overlap at most half of it."""
        tile = -(-self.tile // factor) * factor
        return replace(self, tile=tile, overlap=min(self.overlap, tile // 2))

    def for_device(self, device: str) -> TiledOptions:
        """These options for a model on ``device``: with ``prefetch`` left to its default,
        a GPU leaves the CPU free while it computes, so prefetching is turned on."""
        if self.prefetch is None and torch.device(device).type != "cpu":
            return replace(self, prefetch=True)
        return self


def spare_core() -> bool:
    """Whether this machine has a core that torch's CPU threads leave free."""
    return (os.cpu_count() or 1) > torch.get_num_threads()


def blend_weights(tile: int, overlap: int) -> np.ndarray:
    """Tile weight: 1 inside, a linear ramp over ``overlap`` pixels at each edge, never 0.

    Shape:
        (tile, tile) float64.
    """
    ramp = np.ones(tile)
    if overlap > 0:
        edge = (np.arange(overlap) + 1.0) / (overlap + 1.0)
        ramp[:overlap] = edge
        ramp[-overlap:] = edge[::-1]
    return np.outer(ramp, ramp)


def _read_tile(reader: WindowReader, win: PixelWindow, size: int) -> np.ndarray:
    """A window, reflect-padded to size x size when the scene is smaller than a tile."""
    data = reader.read(win)
    pad_h, pad_w = size - data.shape[1], size - data.shape[2]
    if pad_h or pad_w:
        widths = ((0, 0), (0, pad_h), (0, pad_w))
        if min(data.shape[1:]) > 1:
            data = np.pad(data, widths, mode="reflect")
        else:
            data = np.pad(data, widths, mode="edge")
    return data


def predict_scene(
    inputs: Sequence[PathLike | InputSpec | CheckedInput],
    output: PathLike,
    predict: BatchPredictor,
    *,
    out_bands: int,
    out_dtype: str,
    options: TiledOptions | None = None,
    nodata: float | None = None,
    descriptions: Sequence[str | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    finish: Finisher | None = None,
    timings: Timings | None = None,
) -> Path:
    """Predict a whole scene tile by tile and write it as a GeoTIFF on the first input's grid.

    Args:
        inputs: Co-registered rasters, checked by :func:`~saropt.io.inputs.check_inputs`;
            their windows reach ``predict`` in order, in the model's units, nodata filled.
            Where any input is nodata the output is ``nodata`` (NaN or 0 when None).
        output: GeoTIFF to write (atomically); never an input (:func:`check_output`).
        predict: The batch predictor.
        out_bands: Bands ``predict`` returns.
        out_dtype: Output dtype; integer outputs are rounded and clipped to its range.
        options: Tile size, overlap and batch size.
        nodata: Output nodata value to record (see ``inputs``).
        descriptions: Output band descriptions.
        progress: Called with (tiles done, tiles in total).
        finish: ``(bands written, function)`` mapping each blended block (out_bands,
            rows, cols) to the bands written (probabilities and their argmax, say).

    Raises:
        GridMismatchError, CRSMismatchError, ConfigError: Inputs off one grid; bad output.
        BandCountError, InvalidValueError, AllNodataError, ScaleError: Bad input values.
    """
    checked, grid = _checked(inputs, output)
    opt = options or TiledOptions()
    nodata = _output_nodata(nodata, out_dtype, checked)
    h, w = grid.shape
    windows = list(iter_windows(h, w, opt.tile, opt.overlap))
    job = _SceneJob(predict, out_bands, np.dtype(out_dtype), opt,
                    blend_weights(opt.tile, opt.overlap), h, len(windows), progress,
                    finish[1] if finish else None, timings or Timings(), checked,
                    nodata)  # fmt: skip
    written = finish[0] if finish else out_bands
    prefetch = spare_core() if opt.prefetch is None else opt.prefetch
    with ExitStack() as stack:
        job.readers = [stack.enter_context(WindowReader(c.spec.path)) for c in checked]
        writer = stack.enter_context(
            RasterWriter(output, grid, written, job.dtype, nodata=nodata, descriptions=descriptions)
        )
        if prefetch:  # these close first, waiting for their reads and writes
            job.reader = stack.enter_context(ThreadPoolExecutor(1, "saropt-read"))
            job.writer = stack.enter_context(ThreadPoolExecutor(1, "saropt-write"))
        for tiles, c0, c1 in _panels(windows, w, opt.panel):
            job.panel(writer, tiles, c0, c1)
        job.drain()
        closing = time.perf_counter()  # the writer compresses the last blocks as it closes
    job.timings.add("writing", time.perf_counter() - closing)
    return Path(output)


def _checked(
    inputs: Sequence[PathLike | InputSpec | CheckedInput], output: PathLike
) -> tuple[list[CheckedInput], Grid]:
    """The inputs checked, on one grid, and the output path checked against them."""
    checked = check_inputs(inputs)
    paths = [c.spec.path for c in checked]
    check_output(output, paths)
    return checked, _common_grid(paths)


def _output_nodata(nodata: float | None, dtype: str, checked: list[CheckedInput]) -> float | None:
    """The output's nodata: as asked, or, when an input can hold nodata pixels and none
    was asked, NaN for a float output and 0 for an integer one."""
    if nodata is not None or all(c.info.nodata is None for c in checked):
        return nodata
    return math.nan if np.issubdtype(np.dtype(dtype), np.floating) else 0.0


def _common_grid(inputs: Sequence[PathLike]) -> Grid:
    """The inputs' one grid; raises when there is no input or the grids differ."""
    if not inputs:
        raise ConfigError("predict_scene needs at least one input raster")
    grid = read_info(inputs[0]).grid
    for p in inputs[1:]:
        check_same_grid(grid, read_info(p).grid, names=(str(inputs[0]), str(p)))
    return grid


def _panels(
    windows: list[PixelWindow], width: int, panel: int
) -> Iterator[tuple[list[PixelWindow], int, int]]:
    """(tiles touching columns [c0, c1), c0, c1) for each panel of ``panel`` columns."""
    for c0 in range(0, width, panel):
        c1 = min(width, c0 + panel)
        yield [win for win in windows if win.col < c1 and win.col + win.width > c0], c0, c1


@dataclass
class _SceneJob:
    """One :func:`predict_scene` run: panels of columns, strips of one tile's height."""

    predict: BatchPredictor
    out_bands: int
    dtype: np.dtype[Any]
    opt: TiledOptions
    weight: np.ndarray
    height: int
    total: int
    progress: Callable[[int, int], None] | None
    finish: Callable[[np.ndarray], np.ndarray] | None = None
    timings: Timings = field(default_factory=Timings)
    inputs: list[CheckedInput] = field(default_factory=list)  # one per reader
    nodata: float | None = None  # written where any input is nodata
    readers: list[WindowReader] = field(default_factory=list)  # one per input, kept open
    reader: ThreadPoolExecutor | None = None  # reads ahead when prefetching
    writer: ThreadPoolExecutor | None = None  # writes behind when prefetching
    done: int = 0
    writes: list[Future[None]] = field(default_factory=list)

    def read_batch(self, batch: list[PixelWindow]) -> tuple[list[np.ndarray], np.ndarray]:
        """Every input's windows of a batch, stacked (N, C_i, T, T) and cleaned
        (:func:`clean_window`), and where any input is nodata (N, T, T)."""
        with self.timings.timed("reading"):
            t = self.opt.tile
            arrays, missing = [], np.zeros((len(batch), t, t), dtype=bool)
            where = f"the {len(batch)} window(s) from row {batch[0].row}, col {batch[0].col}"
            for r, c in zip(self.readers, self.inputs, strict=True):
                data, gone = clean_window(np.stack([_read_tile(r, w, t) for w in batch]), c, where)
                arrays.append(data)
                missing |= gone
            return arrays, missing

    def batches(
        self, batches: list[list[PixelWindow]]
    ) -> Iterator[tuple[list[np.ndarray], np.ndarray]]:
        """The batches' arrays in order; with a pool, the next one is read while the
        caller works on the current one."""
        if self.reader is None:
            for batch in batches:
                yield self.read_batch(batch)
            return
        ahead = [self.reader.submit(self.read_batch, b) for b in batches[:1]]
        for k in range(len(batches)):
            if k + 1 < len(batches):
                ahead.append(self.reader.submit(self.read_batch, batches[k + 1]))
            with self.timings.timed("waiting"):
                arrays = ahead.pop(0).result()
            yield arrays

    def predict_batch(
        self, batch: list[PixelWindow], read: tuple[list[np.ndarray], np.ndarray]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """The predictor's (out_bands, T, T) float64 output for each window of a batch,
        checked, with the window's nodata mask."""
        t = self.opt.tile
        arrays, missing = read
        with self.timings.timed("predicting"):
            pred = np.asarray(self.predict(arrays), dtype=np.float64)
        if pred.shape != (len(batch), self.out_bands, t, t):
            raise ValueError(
                f"predictor returned {pred.shape}, expected {(len(batch), self.out_bands, t, t)}"
            )
        self.done += len(batch)
        if self.progress:
            self.progress(self.done, self.total)
        return list(zip(pred, missing, strict=True))

    def blend(
        self,
        win: PixelWindow,
        tile: tuple[np.ndarray, np.ndarray],
        acc: np.ndarray,
        wsum: np.ndarray,
        gone: np.ndarray,
        left: int,
    ) -> None:
        """Add a tile's prediction, weighted, to the strip's accumulators, and its nodata
        pixels to the strip's nodata mask."""
        pred, missing = tile
        with self.timings.timed("blending"):
            hh, ww = win.height, win.width
            cols = slice(win.col - left, win.col - left + ww)
            acc[:, :hh, cols] += pred[:, :hh, :ww] * self.weight[:hh, :ww]
            wsum[:hh, cols] += self.weight[:hh, :ww]
            gone[:hh, cols] |= missing[:hh, :ww]

    def write(self, writer: RasterWriter, value: np.ndarray, win: PixelWindow) -> None:
        """Write a finished block, in the writer thread when there is one (at most two
        blocks waiting: a third waits for the oldest)."""

        def job() -> None:
            with self.timings.timed("writing"):
                writer.write(value, win)

        if self.writer is None:
            job()
            return
        while len(self.writes) >= 2:
            self.writes.pop(0).result()
        self.writes.append(self.writer.submit(job))

    def drain(self) -> None:
        """Wait for every queued write; raises the first write's error."""
        while self.writes:
            self.writes.pop(0).result()

    def panel(self, writer: RasterWriter, tiles: list[PixelWindow], c0: int, c1: int) -> None:
        """Predict the tiles touching columns [c0, c1) strip by strip; write those columns
        of each strip's rows as soon as no later strip reaches them."""
        t = self.opt.tile
        left = min(win.col for win in tiles)
        right = max(win.col + win.width for win in tiles)
        strips: dict[int, list[PixelWindow]] = {}
        for win in tiles:
            strips.setdefault(win.row, []).append(win)
        starts = sorted(strips)
        acc = np.zeros((self.out_bands, t, right - left))  # rows [top, top + t), [left, right)
        wsum = np.zeros((t, right - left))
        gone = np.zeros((t, right - left), dtype=bool)  # nodata in some input
        # batches run across strips (always full but for the panel's last one, which
        # matters to a compiled model); predictions of a later strip's tiles wait here
        order = [win for r0 in starts for win in strips[r0]]
        bs = self.opt.batch_size
        batches = [order[b : b + bs] for b in range(0, len(order), bs)]
        arrays = self.batches(batches)
        pending: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # index in order -> tile
        predicted = 0
        first = 0  # index in order of the current strip's first tile
        top = 0
        for k, r0 in enumerate(starts):
            # the accumulators cover rows [top, top + t); top == r0
            end = first + len(strips[r0])
            while predicted < end:
                batch = batches[predicted // bs]
                pred = self.predict_batch(batch, next(arrays))
                pending.update(zip(range(predicted, predicted + len(batch)), pred, strict=True))
                predicted += len(batch)
            for i in range(first, end):
                self.blend(order[i], pending.pop(i), acc, wsum, gone, left)
            first = end
            # rows above the next strip are final: write the panel's own columns of them
            rows = (starts[k + 1] if k + 1 < len(starts) else self.height) - top
            value = self.final(acc, wsum, gone, rows, slice(c0 - left, c1 - left))
            self.write(writer, value, PixelWindow(top, c0, rows, c1 - c0))
            for a in (acc, wsum, gone):  # move the accumulators down
                a[..., : t - rows, :] = a[..., rows:, :].copy()
                a[..., t - rows :, :] = 0
            top += rows

    def final(
        self, acc: np.ndarray, wsum: np.ndarray, gone: np.ndarray, rows: int, core: slice
    ) -> np.ndarray:
        """The output of the accumulators' first ``rows`` rows and ``core`` columns: the
        blended prediction, finished, in the output dtype, nodata where an input is."""
        with self.timings.timed("blending"):
            value = acc[:, :rows, core] / wsum[None, :rows, core]
            if self.finish is not None:
                value = self.finish(value)
            if np.issubdtype(self.dtype, np.integer):
                info = np.iinfo(self.dtype)
                value = np.clip(np.rint(value), info.min, info.max)
            value = value.astype(self.dtype)
            missing = gone[:rows, core]
            if self.nodata is not None and missing.any():
                value[:, missing] = self.nodata
            return value
