"""Generated, co-registered SAR and optical scenes: the offline default of saropt.

A scene is built from one seed, in this order:

1. terrain: a fractal DEM with a river valley and lakes in the lowest ground;
2. towns on gentle, low ground: a rotated street grid and building footprints (vectors),
   joined by main roads; the urban class is the built-up fabric around the buildings;
3. land cover from noise, elevation and slope: water, forest, grass/crop, bare soil, urban;
4. optical: 13-band Sentinel-2-like top-of-atmosphere reflectance (uint16, x10000) from
   per-class spectra, with texture, roofs and roads, Lambertian DEM shading and path
   radiance;
5. SAR: Sentinel-1-like VV/VH backscatter in dB per class (dark water, bright urban double
   bounce, forest volume scattering), with the side-looking geometry of a terrain-corrected
   GRD product (foreshortening brightens slopes facing the sensor, layover sums the
   returns of several ground points, radar shadow falls behind steep slopes), a thermal
   noise floor and multiplicative gamma speckle of ``looks`` looks, independently for each
   of ``dates`` acquisitions. Crops change between dates; the rest does not.

The geometry is simulated in a flat-earth, far-field approximation: the sensor looks
east (range increases with the column index), with a constant incidence angle."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from typing import Any

import numpy as np
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from saropt.errors import ConfigError
from saropt.io.features import rasterize
from saropt.io.grid import Grid
from saropt.io.sentinel import S1_BANDS, S2_BANDS
from saropt.seeding import child_seeds, numpy_rng
from saropt.synth.noise import fractal_noise
from saropt.synth.sensors import optical_image, sar_images, slope_components
from saropt.synth.types import (
    CLASS_BACKSCATTER_DB,
    CLASS_SPECTRA,
    ROAD_WIDTHS,
    LandCover,
    Scene,
    SceneConfig,
)


def _terrain(cfg: SceneConfig, rng: np.random.Generator) -> np.ndarray:
    h, w = cfg.height, cfg.width
    cells = max(2, round(max(h, w) / 256))
    n = fractal_noise((h, w), cells, rng, octaves=7, persistence=0.5)
    n = (n - n.min()) / max(float(n.max() - n.min()), 1e-6)
    # flatter valleys, sharper ridges
    return (150.0 + cfg.relief * n**1.6).astype(np.float32)


def _river(cfg: SceneConfig, rng: np.random.Generator) -> LineString:
    """A meandering river crossing the scene from west to east, in pixel coordinates."""
    h, w = cfg.height, cfg.width
    t = np.linspace(0.0, 1.0, 200)
    y0 = rng.uniform(0.3, 0.7) * h
    amp = rng.uniform(0.05, 0.15) * h
    phase = rng.uniform(0, 2 * np.pi)
    wiggle = amp * np.sin(2 * np.pi * rng.uniform(1.0, 2.0) * t + phase)
    wiggle += 0.3 * amp * np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t + 2 * phase)
    return LineString(np.column_stack([t * (w + 40) - 20, y0 + wiggle]))


def _to_map(geom: LineString | Polygon, grid: Grid) -> LineString | Polygon:
    t = grid.transform
    return affinity.affine_transform(geom, [t.a, t.b, t.d, t.e, t.c, t.f])


def _towns(
    cfg: SceneConfig, dem: np.ndarray, water: np.ndarray, rng: np.random.Generator
) -> list[tuple[float, float, float, float]]:
    """(row, col, radius_px, orientation_deg) of each town on gentle, low, dry ground."""
    h, w = dem.shape
    count = max(2, round(h * w / 300_000))
    sx, sy = slope_components(dem, cfg.resolution)
    slope = np.hypot(sx, sy)
    low = (dem - dem.min()) / max(float(np.ptp(dem)), 1e-6)
    score = -slope * 4.0 - low
    score[ndimage.binary_dilation(water, iterations=8)] = -np.inf
    margin = max(8, min(h, w) // 12)
    towns: list[tuple[float, float, float, float]] = []
    candidates = rng.integers([margin, margin], [h - margin, w - margin], size=(400, 2))
    order = np.argsort(-score[candidates[:, 0], candidates[:, 1]], kind="stable")
    min_dist = 0.3 * math.sqrt(h * w / count)
    for r, c in candidates[order]:
        if not np.isfinite(score[r, c]):
            continue
        if all(math.hypot(r - tr, c - tc) > min_dist for tr, tc, _, _ in towns):
            radius = float(rng.uniform(0.12, 0.18) * math.sqrt(h * w / count))
            towns.append((float(r), float(c), max(radius, 6.0), float(rng.uniform(0, 90))))
        if len(towns) == count:
            break
    return towns


def _town_vectors(
    towns: list[tuple[float, float, float, float]],
    shape: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[list[Polygon], list[tuple[LineString, str]]]:
    """Buildings and roads of all towns, in pixel coordinates (x = column, y = row)."""
    if not towns:
        return [], []
    h, w = shape
    frame = box(0, 0, w, h)
    buildings: list[Polygon] = []
    roads: list[tuple[LineString, str]] = []
    block = 12.0  # street spacing in pixels
    for r, c, radius, angle in towns:
        disc = Point(c, r).buffer(radius, quad_segs=16)
        n = math.ceil(radius / block) + 1
        offsets = np.arange(-n, n + 1) * block
        for off in offsets:
            for line in (
                LineString([(c - radius, r + off), (c + radius, r + off)]),
                LineString([(c + off, r - radius), (c + off, r + radius)]),
            ):
                street = affinity.rotate(line, angle, origin=(c, r)).intersection(disc)
                street = street.intersection(frame)
                if isinstance(street, LineString) and street.length > 2:
                    roads.append((street, "residential"))
        # four building plots per block, set back from the streets; density falls outwards
        plot = block / 2.0
        centres = np.arange(-n, n) * block + block / 2.0
        ii, jj = np.meshgrid(centres, centres, indexing="ij")
        quads = np.array([(-1, -1), (-1, 1), (1, -1), (1, 1)], dtype=float) * plot / 2.0
        pts = (np.stack([jj.ravel(), ii.ravel()], axis=1)[:, None, :] + quads[None]).reshape(-1, 2)
        dist = np.hypot(pts[:, 0], pts[:, 1]) / radius
        keep = (dist < 0.95) & (rng.random(len(pts)) < 1.0 - 0.6 * dist**2)
        sizes = rng.uniform(0.45, 0.8, size=(len(pts), 2)) * plot
        jitter = rng.uniform(-0.1, 0.1, size=(len(pts), 2)) * plot
        cos_a, sin_a = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        for (px, py), (bw, bh), (jx, jy), k in zip(pts, sizes, jitter, keep, strict=True):
            if not k:
                continue
            x0, y0 = px + jx, py + jy
            rect = box(x0 - bw / 2, y0 - bh / 2, x0 + bw / 2, y0 + bh / 2)
            rect = affinity.affine_transform(rect, [cos_a, -sin_a, sin_a, cos_a, c, r])
            if frame.contains(rect):
                buildings.append(rect)
    # main roads: a chain through the towns, plus one road across the scene
    centres_xy = sorted((c, r) for r, c, _, _ in towns)
    chain = [(-5.0, centres_xy[0][1]), *centres_xy, (w + 5.0, centres_xy[-1][1])]
    for a, b in itertools.pairwise(chain):
        t = np.linspace(0, 1, 24)[:, None]
        pts2 = (1 - t) * np.array(a) + t * np.array(b)
        normal = np.array([-(b[1] - a[1]), b[0] - a[0]]) / max(math.dist(a, b), 1e-6)
        bend = np.sin(np.pi * t) * rng.uniform(-0.08, 0.08) * math.dist(a, b)
        line = LineString(pts2 + bend * normal).intersection(frame)
        if isinstance(line, LineString) and line.length > 2:
            roads.append((line, "primary"))
    return buildings, roads


def _landcover(
    cfg: SceneConfig,
    dem: np.ndarray,
    water: np.ndarray,
    urban: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    h, w = dem.shape
    cells = max(3, round(max(h, w) / 128))
    veg = fractal_noise((h, w), cells, rng, octaves=5)
    soil = fractal_noise((h, w), cells * 2, rng, octaves=4)
    sx, sy = slope_components(dem, cfg.resolution)
    slope = np.hypot(sx, sy)
    high = (dem - dem.min()) / max(float(np.ptp(dem)), 1e-6)
    lc = np.full((h, w), LandCover.GRASS_CROP, np.uint8)
    lc[veg + 1.5 * high + 2.0 * slope > 0.9] = LandCover.FOREST
    lc[(soil > 1.6) | (high > 0.9) | (slope > 0.7)] = LandCover.BARE_SOIL
    lc[urban] = LandCover.URBAN
    lc[water] = LandCover.WATER
    return lc


def _burn(geoms: list[Polygon] | list[LineString], shape: tuple[int, int]) -> np.ndarray:
    """Rasterise pixel-coordinate geometries onto a unit grid of the given shape."""
    unit = Grid.from_origin(None, 0.0, 0.0, 1.0, shape[1], shape[0])
    # pixel coordinates have y growing downwards: flip to the grid's north-up convention
    flipped = [(affinity.scale(g, 1.0, -1.0, origin=(0, 0)), 1) for g in geoms]
    return rasterize(flipped, unit, fill=0, dtype="uint8").astype(bool)


def _water(
    cfg: SceneConfig, dem: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A river and lakes in the lowest ground: (DEM with a carved valley and flat lakes,
    water mask)."""
    shape = (cfg.height, cfg.width)
    river = _river(cfg, rng)
    river_px = _burn([river.buffer(max(1.5, 40.0 / cfg.resolution))], shape)
    lake = dem < np.quantile(dem, 0.04)
    lake = ndimage.binary_opening(lake, iterations=2)
    water = lake | river_px
    # carve a valley along the river and flatten the lakes
    level = float(np.quantile(dem, 0.04))
    dist = ndimage.distance_transform_edt(~river_px) * cfg.resolution
    dem = np.minimum(dem, level + 0.25 * dist).astype(np.float32)
    dem[water] = level
    return dem, water


def _built(
    cfg: SceneConfig, dem: np.ndarray, water: np.ndarray, rng: np.random.Generator
) -> tuple[list[Polygon], list[tuple[LineString, str]], np.ndarray, np.ndarray, np.ndarray]:
    """Towns: (building footprints and roads in pixel coordinates, roof, road and urban
    masks); nothing is built on water, though roads bridge it."""
    shape = (cfg.height, cfg.width)
    towns = _towns(cfg, dem, water, rng)
    b_px, r_px = _town_vectors(towns, shape, rng)
    b_px = [b for b in b_px if not water[int(b.centroid.y), int(b.centroid.x)]]
    roofs = _burn(b_px, shape)
    widths = {cls: max(0.5, wd / cfg.resolution / 2) for cls, wd in ROAD_WIDTHS.items()}
    road_px = _burn([line.buffer(widths[cls], cap_style="flat") for line, cls in r_px], shape)
    fabric = ndimage.gaussian_filter(roofs.astype(np.float32), 3.0) > 0.12
    urban = ndimage.binary_closing(fabric, iterations=2) & ~water
    road_px &= ~water  # bridges: the river stays visible
    roofs &= ~water  # footprints clipped to the shore
    return b_px, r_px, roofs, road_px, urban


def generate_scene(config: SceneConfig | None = None, **overrides: Any) -> Scene:
    """Generate a co-registered SAR/optical scene.

    Args:
        config: Scene parameters; defaults to :class:`SceneConfig` ().
        **overrides: Fields of :class:`SceneConfig` to change, e.g. ``height=256``.

    Returns:
        The scene; identical for identical parameters.

    Raises:
        ConfigError: Size below 64 pixels, fewer than one date or no looks.
    """
    cfg = config or SceneConfig()
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    if cfg.height < 64 or cfg.width < 64:
        raise ConfigError(
            f"scenes need at least 64x64 pixels; got {cfg.height}x{cfg.width}: ask for a "
            "larger size"
        )
    if cfg.dates < 1 or cfg.looks <= 0:
        raise ConfigError(f"need dates >= 1 and looks > 0; got {cfg.dates=}, {cfg.looks=}")
    rng = numpy_rng(cfg.seed)
    s_terrain, s_river, s_town, s_lc, s_opt, s_sar = child_seeds(rng, 6)
    grid = cfg.grid()
    dem = _terrain(cfg, np.random.default_rng(s_terrain))
    dem, water = _water(cfg, dem, np.random.default_rng(s_river))
    b_px, r_px, roofs, road_px, urban = _built(cfg, dem, water, np.random.default_rng(s_town))
    lc = _landcover(cfg, dem, water, urban, np.random.default_rng(s_lc))
    optical = optical_image(cfg, lc, dem, roofs, road_px, np.random.default_rng(s_opt))
    sar, sar_clean, geometry = sar_images(
        cfg, lc, dem, roofs, road_px, np.random.default_rng(s_sar)
    )

    start = dt.date.fromisoformat(cfg.first_date)
    return Scene(
        config=cfg,
        grid=grid,
        landcover=lc,
        urban=(lc == LandCover.URBAN).astype(np.uint8),
        dem=dem,
        optical=optical,
        sar=sar,
        sar_clean=sar_clean,
        radar_geometry=geometry,
        buildings=[_to_map(b, grid) for b in b_px],
        roads=[(_to_map(line, grid), cls) for line, cls in r_px],
        dates=[(start + dt.timedelta(days=12 * i)).isoformat() for i in range(cfg.dates)],
    )


__all__ = [
    "CLASS_BACKSCATTER_DB",
    "CLASS_SPECTRA",
    "ROAD_WIDTHS",
    "S1_BANDS",
    "S2_BANDS",
    "LandCover",
    "Scene",
    "SceneConfig",
    "generate_scene",
]
