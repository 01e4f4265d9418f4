"""Building one tile: every input read onto the tile's grid, processed, written, recorded.

A tile's folder holds one GeoTIFF per modality, each written atomically, and ``tile.json``
(:class:`TileRecord`) written last: a tile with a ``tile.json`` whose assets exist is
complete, and a rerun skips it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from saropt.database.osm_layers import OSM_LAYERS, ProjectedOsm, rasterize_osm
from saropt.database.plan import TILE_RECORD, DatabasePlan, TilePlan
from saropt.database.splits import Split
from saropt.errors import InvalidValueError
from saropt.io.atomic import file_sha256, write_text_atomic
from saropt.io.grid import Grid, PixelWindow
from saropt.io.raster import Raster, finite_problem
from saropt.io.sentinel import linear_to_db, sar_to_power
from saropt.io.warp import merge_onto_grid, read_onto_grid
from saropt.io.write import write_raster
from saropt.transforms.functional import lee_filter


@dataclass
class TileRecord:
    """What ``tile.json`` says of a tile.

    Attributes:
        id: Tile id (its folder under ``tiles/``).
        split: "train", "val" or "test".
        row, col, height, width: The tile's window on the database grid (pixels).
        bounds: (left, bottom, right, top) in the grid's CRS.
        valid_fraction: Share of pixels valid in every modality.
        status: "built", or "skipped" below the build's ``min_valid``.
        assets: Modality -> GeoTIFF path relative to the database folder (built tiles).
        sha256: Modality -> checksum of that GeoTIFF (built tiles).
        registration: After ``saropt db build --register``: ``key`` (method, weights
            checksum, tiling) and the flow statistics
            (:data:`saropt.database.register.FLOW_STATS`); empty otherwise.
    """

    id: str
    split: Split
    row: int
    col: int
    height: int
    width: int
    bounds: list[float]
    valid_fraction: float
    status: Literal["built", "skipped"] = "skipped"
    assets: dict[str, str] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)
    registration: dict[str, Any] = field(default_factory=dict)

    @property
    def window(self) -> PixelWindow:
        """The tile's pixel window on the database grid."""
        return PixelWindow(self.row, self.col, self.height, self.width)

    def to_json(self) -> str:
        """The ``tile.json`` text (a skipped tile has no assets or checksums)."""
        data = asdict(self)
        if self.status != "built":
            del data["assets"], data["sha256"]
        if not self.registration:
            del data["registration"]
        return json.dumps(data, indent=1)

    @classmethod
    def from_json(cls, text: str) -> TileRecord:
        """Read a ``tile.json``."""
        data: dict[str, Any] = json.loads(text)
        return cls(**data)


def record_path(out: Path, tile: TilePlan) -> Path:
    """Where a tile's ``tile.json`` lives."""
    return out / "tiles" / tile.id / TILE_RECORD


def load_record(out: Path, tile: TilePlan) -> TileRecord | None:
    """The saved record of a finished tile, or None when it must be (re)built: no
    record, a record that cannot be read, or an asset that is missing or no longer has
    the SHA-256 its record holds (truncated by a crash, or changed since)."""
    path = record_path(out, tile)
    if not path.exists():
        return None
    try:
        record = TileRecord.from_json(path.read_text())
    except (ValueError, TypeError):  # a damaged tile.json: the tile is built again
        return None
    for name, rel in record.assets.items():
        asset = out / rel
        if not asset.is_file() or file_sha256(asset) != record.sha256.get(name):
            return None
    return record


def _slope_degrees(elevation: np.ndarray, res: float) -> np.ndarray:
    dz_dy, dz_dx = np.gradient(elevation.astype(np.float64), res)
    return np.degrees(np.arctan(np.hypot(dz_dx, dz_dy))).astype(np.float32)


def _to_db(power: np.ndarray) -> np.ndarray:
    out = linear_to_db(np.where(np.isnan(power), 1.0, power)).astype(np.float32)
    out[np.isnan(power)] = np.nan
    return out


def sentinel1_layers(plan: DatabasePlan, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """(temporal mean in dB, optionally Lee-filtered, first date in dB) on a tile's grid.

    Every band of the SAR input is kept; values in the input's units
    (:attr:`BuildConfig.sar_units`) become linear power, the mean is taken over the
    dates' valid values, and both layers are stored in dB of power.
    """
    cfg = plan.config
    dates = [
        read_onto_grid(p, grid, resampling=plan.resampling["s1"], dtype="float32",
                       dst_nodata=math.nan).data
        for p in plan.inputs.s1
    ]  # fmt: skip
    lin = [sar_to_power(d, cfg.sar_units) for d in dates]
    stack = np.stack(lin)  # (T, C, H, W)
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(stack, axis=0) if len(lin) > 1 else stack[0]
    if cfg.lee_size:
        mean = lee_filter(mean, cfg.lee_size, cfg.s1_looks * len(lin))
    first = dates[0] if cfg.sar_units == "db" else _to_db(lin[0])
    return _to_db(mean), first


def dem_layer(plan: DatabasePlan, tile: TilePlan, grid: Grid) -> np.ndarray:
    """Elevation and slope (2, H, W), read with a one-pixel halo so tiles agree at seams."""
    w = tile.window
    halo = plan.grid.window(PixelWindow(w.row - 1, w.col - 1, grid.height + 2, grid.width + 2))
    elev = merge_onto_grid(plan.inputs.dem, halo, resampling=plan.resampling["dem"]).data[0]
    slope = _slope_degrees(elev, grid.res[0])[1:-1, 1:-1]
    return np.stack([elev[1:-1, 1:-1], slope])


def tile_layers(
    plan: DatabasePlan, osm: ProjectedOsm | None, tile: TilePlan
) -> tuple[dict[str, Raster], np.ndarray]:
    """Every modality of a tile as rasters on its grid, and where all are valid (H, W)."""
    grid = plan.grid.window(tile.window)
    s2 = read_onto_grid(plan.s2, grid, resampling=plan.resampling["s2"], dst_nodata=0)
    valid = s2.valid_mask()
    s1_mean, s1_single = sentinel1_layers(plan, grid)
    valid &= np.isfinite(s1_mean).all(axis=0)
    layers: dict[str, Raster] = {
        "s2": s2,
        "s1": Raster(s1_mean, grid, math.nan, tuple(f"{b}_mean_dB" for b in plan.sar_bands)),
        "s1_single": Raster(s1_single, grid, math.nan, tuple(f"{b}_dB" for b in plan.sar_bands)),
    }
    if plan.inputs.dem:
        dem = dem_layer(plan, tile, grid)
        valid &= np.isfinite(dem[0])
        layers["dem"] = Raster(dem, grid, math.nan, ("elevation_m", "slope_deg"))
    if osm is not None:
        classes, binary = rasterize_osm(osm, grid)
        layers["osm_classes"] = Raster(classes, grid, None, ("osm_class",))
        layers["osm_layers"] = Raster(binary, grid, None, OSM_LAYERS)
    return layers, valid


def build_tile(
    plan: DatabasePlan, osm: ProjectedOsm | None, tile: TilePlan, out: Path
) -> TileRecord:
    """Read, process and write one tile; returns its record (also saved as tile.json).

    A tile whose valid fraction is below ``min_valid`` writes only its record, with
    ``status: "skipped"``. Temporary files a killed build left in the tile's folder are
    removed first, so a resumed build leaves the same files as an uninterrupted one.
    """
    layers, valid = tile_layers(plan, osm, tile)
    for name, raster in layers.items():  # the input check judged a sample; this, all
        if bad := finite_problem(raster.data, raster.nodata):
            raise InvalidValueError(f"tile {tile.id}: its {name} layer holds {bad} (from an "
                                    "input); fill them in the input and rerun")  # fmt: skip
    w = tile.window
    frac = float(valid.mean())
    record = TileRecord(
        tile.id, tile.split, w.row, w.col, w.height, w.width,
        list(plan.grid.window(w).bounds), round(frac, 6),
    )  # fmt: skip
    folder = out / "tiles" / tile.id
    for stale in folder.glob(".*.tmp"):  # left by a build killed while writing this tile
        stale.unlink(missing_ok=True)
    if frac >= plan.config.min_valid:
        record.status = "built"
        for name, raster in layers.items():
            path = write_raster(folder / f"{name}.tif", raster, cog=plan.config.cog)
            record.assets[name] = f"tiles/{tile.id}/{name}.tif"
            record.sha256[name] = file_sha256(path)
    write_text_atomic(folder / TILE_RECORD, record.to_json())
    return record
