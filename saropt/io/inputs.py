"""What a command accepts of each input raster: checked once, before any work, in one place.

A command describes each input with an :class:`InputSpec` (its option name, what kind of
image it is, the band counts the model takes) and :func:`check_inputs` refuses, with one
named error, what cannot be meant:

- a band count the model does not take (:class:`~saropt.errors.BandCountError`);
- NaN that the file does not declare as nodata, or infinity anywhere
  (:class:`~saropt.errors.InvalidValueError`);
- an input whose every pixel is nodata (:class:`~saropt.errors.AllNodataError`);
- an optical image in 8 bits where the model takes Sentinel-2 reflectance x10000, or SAR
  with no negative value where the model takes dB (:class:`~saropt.errors.ScaleError`).

Optical reflectance stored as 0-1 floats is accepted: :attr:`CheckedInput.scale` says by
how much to multiply it to get the digital numbers the models take.

The values are judged on a sample (the whole raster up to 1024^2 pixels; else an overview
when the file has them, or 16 of its blocks spread over it), so the check costs little on
a whole scene; the tiled prediction checks every window it reads again
(:func:`clean_window`), so a bad pixel the sample missed still stops the run before its
output appears. Only when the sample holds no valid pixel is the whole file read, to tell
an all-nodata input from a mostly empty one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rasterio.enums import Resampling
from rasterio.windows import Window

from saropt.errors import AllNodataError, BandCountError, InvalidValueError, ScaleError
from saropt.io.grid import PathLike
from saropt.io.raster import (
    FIX_VALUES,
    RasterInfo,
    finite_problem,
    open_dataset,
    read_info,
    read_pixels,
    valid_mask,
)

#: Pixels per side of the largest input judged whole, and of an overview sample.
SAMPLE = 1024

#: Blocks an input without overviews is sampled in.
BLOCKS = 16

#: What an input holds: Sentinel-2-like reflectance, SAR backscatter in dB, or anything.
Kind = Literal["optical", "sar", "any"]


@dataclass(frozen=True)
class InputSpec:
    """One input of a command.

    Attributes:
        path: The raster.
        role: The option that named it (``--optical``), for messages.
        kind: ``optical`` (reflectance x ``quantification``), ``sar`` (dB) or ``any``.
        bands: Band counts the model takes; any when None.
        band_names: What those bands are, for messages.
        quantification: The optical value of reflectance 1 the model was trained with
            (10000 for Sentinel-2, 255 for 8-bit aerial images).
    """

    path: PathLike
    role: str = "input"
    kind: Kind = "any"
    bands: tuple[int, ...] | None = None
    band_names: Sequence[str] = ()
    quantification: float = 10000.0


@dataclass(frozen=True)
class CheckedInput:
    """An input that passed :func:`check_inputs`.

    Attributes:
        spec: What was asked of it.
        info: Its header.
        scale: Multiply its values by this to get the units the model takes (10000 for
            0-1 reflectance, else 1).
        fill: Per band, a typical valid value (the sample's mean, in the model's units):
            what nodata pixels are replaced with before the network sees them, so they do
            not spread into their neighbours.
    """

    spec: InputSpec
    info: RasterInfo
    scale: float
    fill: tuple[float, ...]

    @property
    def name(self) -> str:
        """How messages name the input: ``--optical 'scene/s2.tif'``."""
        return f"{self.spec.role} '{self.spec.path}'"


def check_inputs(specs: Sequence[InputSpec | CheckedInput | PathLike]) -> list[CheckedInput]:
    """Check each input against its spec (a bare path accepts any raster with data; a
    :class:`CheckedInput` is taken as it is).

    Raises:
        RasterNotFoundError, NotARasterError, CorruptRasterError: The file itself.
        BandCountError, InvalidValueError, AllNodataError, ScaleError: See the module.
    """
    out = []
    for s in specs:
        if isinstance(s, CheckedInput):
            out.append(s)
            continue
        spec = s if isinstance(s, InputSpec) else InputSpec(s, role="input")
        out.append(check_input(spec))
    return out


def check_input(spec: InputSpec) -> CheckedInput:
    """One input; see :func:`check_inputs`."""
    info = read_info(spec.path)
    name = f"{spec.role} '{spec.path}'"
    if spec.bands is not None and info.count not in spec.bands:
        wanted = " or ".join(str(b) for b in spec.bands)
        names = f" ({', '.join(spec.band_names)})" if spec.band_names else ""
        raise BandCountError(
            f"{name} has {info.count} band{'s' * (info.count != 1)}; the model takes {wanted}"
            f"{names}: give a raster with those bands"
        )
    sample = _sample(spec.path, info)
    if bad := finite_problem(sample, info.nodata):
        raise InvalidValueError(f"{name} holds {bad}; {FIX_VALUES}")
    valid = valid_mask(sample, info.nodata)
    if not valid.any() and not _any_valid(spec.path, info.nodata):
        raise AllNodataError(
            f"every pixel of {name} is nodata (nodata={info.nodata}); "
            "check the file's nodata value or give a scene with data"
        )
    values = sample[:, valid].astype(np.float64)
    scale = _scale(spec, info, values, name)
    fill = tuple(float(v) * scale for v in values.mean(axis=1)) if values.size else ()
    return CheckedInput(spec, info, scale, fill or tuple([0.0] * info.count))


def _sample(path: PathLike, info: RasterInfo) -> np.ndarray:
    """Pixels of every band to judge the input on, (C, H, W): the whole raster when it
    holds at most SAMPLE^2 pixels; else its first overview's nearest-neighbour reduction
    when it has overviews; else :data:`BLOCKS` of its blocks spread over the file, every
    fourth pixel of each kept (GDAL decodes whole blocks, so a spread sample would decode
    them all)."""
    with open_dataset(path) as src:
        if src.height * src.width <= SAMPLE * SAMPLE:
            return read_pixels(src, path)
        if src.overviews(1):
            h, w = min(src.height, SAMPLE), min(src.width, SAMPLE)
            return read_pixels(src, path, out_shape=(src.count, h, w),
                               resampling=Resampling.nearest)  # fmt: skip
        blocks = [win for _, win in src.block_windows(1)]
        picked = blocks[:: max(1, len(blocks) // BLOCKS)][:BLOCKS]
        parts = [read_pixels(src, path, window=win)[:, ::4, ::4] for win in picked]
        return np.concatenate([p.reshape(src.count, 1, -1) for p in parts], axis=2)


def _any_valid(path: PathLike, nodata: float | None) -> bool:
    """Whether any pixel of the whole file is valid, read block row by block row."""
    with open_dataset(path) as src:
        rows = max(1, src.block_shapes[0][0])
        for r in range(0, src.height, rows):
            win = Window(0, r, src.width, min(rows, src.height - r))
            if valid_mask(read_pixels(src, path, window=win), nodata).any():
                return True
    return False


def _scale(spec: InputSpec, info: RasterInfo, values: np.ndarray, name: str) -> float:
    """How to bring the input to the model's units; refuses what cannot be meant."""
    if spec.kind == "optical":
        if info.dtype in ("uint8", "int8") and spec.quantification > 255:
            raise ScaleError(
                f"{name} is 8-bit ({info.dtype}): a display image, not "
                f"reflectance x{spec.quantification:g} as the model takes; give "
                "the Sentinel-2 digital numbers (uint16) or 0-1 reflectance"
            )
        floating = np.issubdtype(np.dtype(info.dtype), np.floating)
        if floating and values.size and np.percentile(values, 99) <= 1.5:
            return spec.quantification  # 0-1 reflectance
    if spec.kind == "sar" and values.size and values.min() >= 0:
        raise ScaleError(
            f"{name} has no negative value: linear power or amplitude, not the "
            "dB the model takes; convert it (10*log10 of power) or build the "
            "database with --sar-units"
        )
    return 1.0


def clean_window(
    data: np.ndarray, checked: CheckedInput, where: str
) -> tuple[np.ndarray, np.ndarray]:
    """A window as the model should see it, and where its pixels are nodata.

    Values are brought to the model's units (:attr:`CheckedInput.scale`) and nodata
    pixels replaced with :attr:`CheckedInput.fill`, band by band.

    Args:
        data: (..., C, H, W) as read.
        checked: The input it was read from.
        where: The window, for messages.

    Returns:
        (data, nodata mask (..., H, W) bool).

    Raises:
        InvalidValueError: Infinity, or NaN that is not the file's nodata.
    """
    nodata = checked.info.nodata
    bad = finite_problem(data, nodata)
    if bad:
        raise InvalidValueError(f"{checked.name} holds {bad} in {where}; {FIX_VALUES}")
    missing = ~valid_mask(data, nodata)
    if checked.scale != 1.0:
        data = data.astype(np.float32) * np.float32(checked.scale)
    if missing.any():
        fill = np.asarray(checked.fill).astype(data.dtype)[:, None, None]
        data = np.where(missing[..., None, :, :], fill, data)
    return data, missing
