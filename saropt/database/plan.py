"""Build the multimodal database: S1 + S2 + DEM + OSM on one grid, tiled and catalogued.

Paper: Colin Koeniguer et al., "DREAM: a multimodal database of SAR and optical images with
elevation and OpenStreetMap", IGARSS 2021. Sentinel-1 (temporal mean, speckle-reduced) and
Sentinel-2 resampled to one grid (10 m by default, any resolution on request), an SRTM-like
DEM and rasterised OpenStreetMap, cut into 1024 x 1024 tiles.

How a build runs:

1. :func:`plan_database` resolves the target grid (the Sentinel-2 grid, another file's grid
   or a CRS and resolution), crops it to the footprint every input covers, lays out tiles,
   and assigns each tile to train/val/test by spatial blocks, dropping tiles that would
   overlap a tile of another split. The plan is saved as ``database.json``.
2. :func:`build_tile` reads every input onto one tile's grid (GDAL reads only the source
   blocks it needs, so memory is flat whatever the scene size), computes the S1 temporal
   mean in linear power, DEM slope and OSM layers, writes one GeoTIFF per modality
   atomically, and writes ``tile.json`` last: a tile with a ``tile.json`` is complete.
3. :func:`build_database` runs the tiles (in parallel with ``workers``), skipping finished
   ones, so a rerun after a crash resumes; then writes the STAC catalog and ``index.csv``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from saropt import __version__
from saropt.database.splits import Split, assign_splits
from saropt.errors import ConfigError, CRSMismatchError, GridMismatchError
from saropt.io.grid import Grid, PixelWindow, iter_windows
from saropt.io.inputs import InputSpec, check_inputs
from saropt.io.raster import read_info, read_raster
from saropt.io.sentinel import S1_BANDS, S2_BANDS, S2_QUANTIFICATION, SAR_UNITS, SarUnits
from saropt.io.warp import ResamplingName, footprint

PLAN_NAME = "database.json"


INDEX_NAME = "index.csv"


TILE_RECORD = "tile.json"


#: Asset file names of a tile and what each holds.
ASSETS: dict[str, str] = {
    "s2": "optical image (Sentinel-2 or aerial; input bands and dtype), nodata 0",
    "s1": "SAR temporal mean in dB of power, every input band (Sentinel-1 VV, VH; Pauli ...; "
    "linear-power mean; Lee-filtered if asked)",
    "s1_single": "SAR first date in dB of power, unfiltered",
    "dem": "elevation (m) and slope (degrees), float32, NaN nodata",
    "osm_classes": "OSM classes: 0 none, 1 vegetation, 2 water, 3 road, 4 building",
    "osm_layers": "OSM binary layers: building, road, water, vegetation",
    "s2_registered": "optical image registered onto the SAR mean (db build --register)",
    "flow": "flow dx, dy in pixels from the SAR mean to the optical image (db build --register)",
}


@dataclass(frozen=True)
class DatabaseInputs:
    """The rasters and vectors a database is built from.

    Attributes:
        s1: SAR rasters, dates of one orbit, all with the same bands: Sentinel-1 VV, VH in
            dB by default, or any polarimetric bands (a Pauli RGB: |HH-VV|, |HV|, |HH+VV|)
            in the units of :attr:`BuildConfig.sar_units`.
        s2: Optical rasters (Sentinel-2, or an aerial RGB(+NIR) image); the least cloudy
            is used when ``s2_cloud_masks`` is given, else the first.
        dem: DEM rasters in any CRS and resolution (mosaicked, first valid wins).
        osm: ``.osm.pbf`` or GeoJSON files of OSM features (merged).
        s2_cloud_masks: Optional cloud masks or probabilities, one per S2 raster.
    """

    s1: tuple[Path, ...]
    s2: tuple[Path, ...]
    dem: tuple[Path, ...] = ()
    osm: tuple[Path, ...] = ()
    s2_cloud_masks: tuple[Path, ...] = ()

    #: STAC asset keys that hold each input, in the order they are looked for.
    STAC_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "s1": ("s1", "sar"),
        "s2": ("s2", "optical"),
        "dem": ("dem",),
        "osm": ("osm",),
        "s2_cloud_masks": ("s2_cloud_mask", "cloud_mask"),
    }

    @classmethod
    def from_stac(cls, path: str | Path, extra: DatabaseInputs | None = None) -> DatabaseInputs:
        """The inputs that STAC items on disk point to (an ItemCollection, a catalog or an
        item): every item contributes its assets by key (:attr:`STAC_KEYS`), in the
        file's order, so one item per Sentinel-1 date, one per Sentinel-2 candidate and
        one per DEM sheet works, as does one item holding several. ``extra`` inputs
        (given on the command line) come first.

        Raises:
            ConfigError: Not STAC, no items, or a non-local asset.
        """
        from saropt.io.stac import read_stac

        found: dict[str, list[Path]] = {k: list(getattr(extra, k, ())) for k in cls.STAC_KEYS}
        for scene in read_stac(path):
            for name, keys in cls.STAC_KEYS.items():
                found[name] += [scene.assets[k] for k in keys if k in scene.assets][:1]
        return cls(**{k: tuple(v) for k, v in found.items()})


@dataclass(frozen=True)
class BuildConfig:
    """How to build.

    Attributes:
        tile_size: Tile side in pixels (DREAM: 1024).
        overlap: Overlap of neighbouring tiles in pixels.
        min_valid: Tiles with a smaller fraction of pixels valid in every modality are
            skipped.
        split_block: Side of a split block in tiles: all tiles of a block share a split.
        split_fractions: Shares of blocks for train, val and test.
        seed: Seed of the block-to-split assignment.
        crs: Target CRS; the Sentinel-2 CRS when None.
        resolution: Target pixel size; the Sentinel-2 resolution when None.
        grid_from: Take the target grid (CRS, resolution, alignment) from this raster.
        lee_size: Lee filter window for the S1 mean (0: off).
        s1_looks: Equivalent number of looks of one S1 date (for the Lee filter).
        date: Acquisition date recorded in the STAC items (ISO 8601).
        sar_units: How the SAR rasters store backscatter ("db", "power" or "amplitude");
            the database stores dB of power whatever they hold.
        cog: Write every tile's GeoTIFFs as Cloud Optimized GeoTIFFs (tiles of 512,
            overviews), for range reads from object storage.
    """

    tile_size: int = 1024
    overlap: int = 0
    min_valid: float = 0.5
    split_block: int = 2
    split_fractions: tuple[float, float, float] = (0.7, 0.15, 0.15)
    seed: int = 0
    crs: str | None = None
    resolution: float | None = None
    grid_from: Path | None = None
    lee_size: int = 0
    s1_looks: float = 4.4
    date: str = "2000-01-01T00:00:00Z"
    sar_units: SarUnits = "db"
    cog: bool = False


@dataclass(frozen=True)
class TilePlan:
    """One tile of the plan."""

    id: str
    window: PixelWindow
    split: Split


@dataclass
class DatabasePlan:
    """Everything a tile needs: the grid, the inputs, the tiles and the settings."""

    grid: Grid
    inputs: DatabaseInputs
    config: BuildConfig
    s2: Path
    tiles: list[TilePlan]
    excluded: list[str] = field(default_factory=list)
    resampling: dict[str, ResamplingName] = field(default_factory=dict)
    sar_bands: tuple[str, ...] = S1_BANDS

    def summary(self) -> dict[str, Any]:
        """JSON-able description, saved as ``database.json``."""
        cfg = asdict(self.config)
        cfg["grid_from"] = str(self.config.grid_from) if self.config.grid_from else None
        return {
            "saropt_version": __version__,
            "grid": {
                "crs": self.grid.crs,
                "transform": list(self.grid.transform)[:6],
                "width": self.grid.width,
                "height": self.grid.height,
            },
            "inputs": {
                "s1": [str(p) for p in self.inputs.s1],
                "s2": [str(p) for p in self.inputs.s2],
                "s2_used": str(self.s2),
                "dem": [str(p) for p in self.inputs.dem],
                "osm": [str(p) for p in self.inputs.osm],
            },
            "config": cfg,
            "sar_bands": list(self.sar_bands),
            "optical_scale": optical_scale(read_info(self.s2).dtype),
            "resampling": self.resampling,
            "tiles": len(self.tiles),
            "excluded_for_split_overlap": self.excluded,
            "assets": ASSETS,
        }


def sar_band_names(paths: Sequence[Path], units: SarUnits) -> tuple[str, ...]:
    """The SAR bands' names: the first raster's band descriptions, else VV, VH for two dB
    bands (Sentinel-1), else ``sar1``, ``sar2`` ...

    Raises:
        ConfigError: Dates with different band counts, or Sentinel-1 dB with other than
            two bands.
    """
    infos = [read_info(p) for p in paths]
    counts = {i.count for i in infos}
    if len(counts) > 1:
        listing = ", ".join(f"'{p}' {i.count}" for p, i in zip(paths, infos, strict=True))
        raise ConfigError(f"the SAR dates differ in band count ({listing}); give dates "
                          "with the same bands")  # fmt: skip
    count = counts.pop()
    names = infos[0].descriptions
    if names and len(names) == count and all(names):
        if set(names) & set(S2_BANDS):
            listed = ", ".join(map(str, names))
            raise ConfigError(f"'{paths[0]}' holds Sentinel-2 bands ({listed}); give it as "
                              "--s2, and SAR rasters as --s1")  # fmt: skip
        return tuple(str(n) for n in names)
    if units == "db" and count != 2:
        raise ConfigError(f"'{paths[0]}' has {count} unnamed band(s) in dB; Sentinel-1 needs "
                          "VV, VH (for other SAR bands, name them in the GeoTIFF or give "
                          "--sar-units)")  # fmt: skip
    return S1_BANDS if count == 2 else tuple(f"sar{i + 1}" for i in range(count))


def optical_scale(dtype: str) -> float:
    """The value of reflectance 1 (white) in an optical raster of ``dtype``: 255 for 8-bit
    aerial images, 10000 (Sentinel-2 digital numbers) otherwise."""
    return 255.0 if dtype == "uint8" else S2_QUANTIFICATION


def _least_cloudy(s2: Sequence[Path], masks: Sequence[Path]) -> Path:
    if not masks:
        return Path(s2[0])
    if len(masks) != len(s2):
        raise ConfigError(
            f"{len(masks)} cloud masks for {len(s2)} Sentinel-2 rasters; give one per raster"
        )
    scores = []
    for m in masks:
        data = read_raster(m, expect_bands=1).data[0].astype(np.float64)
        if data.max() > 1.0:
            data = data / 255.0
        scores.append(float(np.nanmean(data)))
    return Path(s2[int(np.argmin(scores))])


def _intersect(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float, float, float]:
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def _union(boxes: list[tuple[float, float, float, float]]) -> tuple[float, float, float, float]:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _target_grid(s2: Path, config: BuildConfig) -> Grid:
    """The full target grid before cropping to the common footprint."""
    if config.grid_from is not None:
        return read_info(config.grid_from).grid
    base = read_info(s2).grid
    if base.crs is None:
        raise CRSMismatchError(f"'{s2}' has no CRS; the Sentinel-2 raster defines the grid")
    crs = config.crs or base.crs
    res = config.resolution or base.res[0]
    if crs == base.crs and res == base.res[0]:
        return base
    left, bottom, right, top = footprint(s2, crs)
    left, top = math.floor(left / res) * res, math.ceil(top / res) * res
    width = math.ceil((right - left) / res)
    height = math.ceil((top - bottom) / res)
    return Grid.from_origin(crs, left, top, res, width, height)


def _crop_to(grid: Grid, bounds: tuple[float, float, float, float]) -> Grid:
    """The part of a north-up grid inside bounds, snapped inwards to whole pixels."""
    t = grid.transform
    if t.b != 0 or t.d != 0:
        raise GridMismatchError("rotated grids are not supported; warp to a north-up grid")
    left, bottom, right, top = bounds
    c0 = max(0, math.ceil((left - t.c) / t.a - 1e-6))
    c1 = min(grid.width, math.floor((right - t.c) / t.a + 1e-6))
    r0 = max(0, math.ceil((top - t.f) / t.e - 1e-6))
    r1 = min(grid.height, math.floor((bottom - t.f) / t.e + 1e-6))
    if c1 <= c0 or r1 <= r0:
        raise GridMismatchError(
            f"the inputs share no footprint on the target grid (common bounds {bounds}); "
            "check that the Sentinel-1, Sentinel-2 and DEM rasters cover the same place"
        )
    return grid.window(PixelWindow(r0, c0, r1 - r0, c1 - c0))


def _resampling(path: Path, grid: Grid) -> ResamplingName:
    """How to resample a continuous raster onto the grid.

    Nearest on the same lattice (an exact copy), average when downsampling by more than
    1.5x, bilinear otherwise.
    """
    src = read_info(path).grid
    t, g = src.transform, grid.transform

    def whole_pixels(offset: float) -> bool:
        frac = offset % 1.0
        return min(frac, 1.0 - frac) < 1e-6

    if (
        src.crs == grid.crs
        and src.res == grid.res
        and whole_pixels((t.c - g.c) / g.a)
        and whole_pixels((t.f - g.f) / g.e)
    ):
        return "nearest"
    left, _, right, _ = footprint(path, str(grid.crs))
    src_res = (right - left) / src.width
    return "average" if src_res * 1.5 < grid.res[0] else "bilinear"


def _input_specs(inputs: DatabaseInputs) -> list[InputSpec]:
    """Every raster input, for :func:`saropt.io.inputs.check_inputs` (values of any units:
    finite, not all nodata, readable)."""
    groups = (("--s1", inputs.s1), ("--s2", inputs.s2), ("--dem", inputs.dem),
              ("--s2-cloud-mask", inputs.s2_cloud_masks))  # fmt: skip
    return [InputSpec(p, role) for role, paths in groups for p in paths or ()]


def plan_database(inputs: DatabaseInputs, config: BuildConfig) -> DatabasePlan:
    """Resolve grid, common footprint, tiles and splits.

    Raises:
        ConfigError: No S1 or S2 input, or bad settings.
        GridMismatchError: The inputs share no footprint.
        InvalidValueError, AllNodataError, CorruptRasterError: A bad input raster
            (:func:`saropt.io.inputs.check_inputs`).
    """
    if not inputs.s1 or not inputs.s2:
        raise ConfigError("a database needs at least one Sentinel-1 and one Sentinel-2 raster")
    if config.tile_size < 16 or not 0 <= config.overlap < config.tile_size:
        raise ConfigError(
            f"need tile_size >= 16 and 0 <= overlap < tile_size; got {config.tile_size}, "
            f"{config.overlap}"
        )
    if config.sar_units not in SAR_UNITS:
        raise ConfigError(f"unknown SAR units {config.sar_units!r}; choose from "
                          f"{', '.join(SAR_UNITS)}")  # fmt: skip
    if config.resolution is not None and not config.resolution > 0:
        raise ConfigError(f"resolution must be a positive pixel size; got {config.resolution}")
    check_inputs(_input_specs(inputs))
    sar_bands = sar_band_names(inputs.s1, config.sar_units)
    s2 = _least_cloudy(inputs.s2, inputs.s2_cloud_masks)
    full = _target_grid(s2, config)
    crs = str(full.crs)
    bounds = full.bounds
    for p in (s2, *inputs.s1):
        bounds = _intersect(bounds, footprint(p, crs))
    if inputs.dem:
        bounds = _intersect(bounds, _union([footprint(p, crs) for p in inputs.dem]))
    grid = _crop_to(full, bounds)
    windows = list(iter_windows(grid.height, grid.width, config.tile_size, config.overlap))
    splits, _ = assign_splits(
        windows,
        config.tile_size - config.overlap,
        config.split_block,
        config.split_fractions,
        config.seed,
    )
    tiles, excluded = [], []
    for w, s in zip(windows, splits, strict=True):
        tid = f"r{w.row:06d}_c{w.col:06d}"
        if s is None:
            excluded.append(tid)
        else:
            tiles.append(TilePlan(tid, w, s))
    resampling: dict[str, ResamplingName] = {"s2": _resampling(s2, grid)}
    resampling["s1"] = _resampling(inputs.s1[0], grid)
    if inputs.dem:
        resampling["dem"] = _resampling(inputs.dem[0], grid)
    return DatabasePlan(grid, inputs, config, s2, tiles, excluded, resampling, sar_bands)
