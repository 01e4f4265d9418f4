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
east (range increases with the column index), with a constant incidence angle.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import math
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from scipy import ndimage
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box

from saropt.errors import ConfigError
from saropt.io.raster import Grid, rasterize
from saropt.io.sentinel import S1_BANDS, S2_BANDS, db_to_linear, linear_to_db
from saropt.seeding import child_seeds, numpy_rng
from saropt.synth.noise import fractal_noise


class LandCover(IntEnum):
    """Land-cover classes of generated scenes (0 is nodata)."""

    NODATA = 0
    WATER = 1
    FOREST = 2
    GRASS_CROP = 3
    BARE_SOIL = 4
    URBAN = 5


#: Top-of-atmosphere-like reflectance per class in :data:`S2_BANDS` order (B01..B12).
CLASS_SPECTRA: dict[LandCover, tuple[float, ...]] = {
    LandCover.WATER: (0.060, 0.050, 0.045, 0.028, 0.022, 0.016, 0.012, 0.010, 0.009,
                      0.004, 0.001, 0.004, 0.003),
    LandCover.FOREST: (0.025, 0.028, 0.050, 0.028, 0.085, 0.220, 0.280, 0.300, 0.310,
                       0.180, 0.003, 0.150, 0.070),
    LandCover.GRASS_CROP: (0.035, 0.045, 0.085, 0.060, 0.130, 0.290, 0.350, 0.390, 0.400,
                           0.240, 0.004, 0.220, 0.110),
    LandCover.BARE_SOIL: (0.090, 0.110, 0.150, 0.190, 0.210, 0.230, 0.250, 0.260, 0.270,
                          0.170, 0.006, 0.340, 0.290),
    LandCover.URBAN: (0.110, 0.115, 0.125, 0.135, 0.145, 0.155, 0.165, 0.170, 0.175,
                      0.110, 0.005, 0.190, 0.170),
}  # fmt: skip
#: Roof and asphalt spectra used inside towns and along roads.
ROOF_SPECTRA: tuple[tuple[float, ...], ...] = (
    (0.14, 0.15, 0.17, 0.22, 0.24, 0.25, 0.26, 0.27, 0.27, 0.17, 0.006, 0.30, 0.26),  # tiles
    (0.18, 0.20, 0.22, 0.23, 0.24, 0.24, 0.25, 0.25, 0.25, 0.16, 0.006, 0.26, 0.23),  # grey
)
ROAD_SPECTRUM: tuple[float, ...] = (
    0.08, 0.085, 0.09, 0.10, 0.105, 0.11, 0.115, 0.12, 0.12, 0.08, 0.004, 0.13, 0.12
)  # fmt: skip
#: Additive path radiance (Rayleigh and aerosol), strongest at short wavelengths.
PATH_RADIANCE: tuple[float, ...] = (
    0.080, 0.055, 0.030, 0.015, 0.012, 0.010, 0.008, 0.006, 0.006, 0.004, 0.0, 0.002, 0.001
)  # fmt: skip
#: Mean Sentinel-1 backscatter (VV, VH) in dB per class at the reference incidence.
CLASS_BACKSCATTER_DB: dict[LandCover, tuple[float, float]] = {
    LandCover.WATER: (-21.0, -28.0),
    LandCover.FOREST: (-7.5, -13.0),
    LandCover.GRASS_CROP: (-11.0, -18.0),
    LandCover.BARE_SOIL: (-13.0, -21.0),
    LandCover.URBAN: (-5.0, -13.0),
}
#: Extra (VV, VH) dB of building pixels: dihedral double bounce between wall and ground.
BUILDING_DOUBLE_BOUNCE_DB: tuple[float, float] = (7.0, 2.0)
#: (VV, VH) backscatter of asphalt roads in dB (specular, dark).
ROAD_BACKSCATTER_DB: tuple[float, float] = (-17.0, -24.0)
#: Noise-equivalent sigma nought of Sentinel-1 IW, in dB.
NESZ_DB = -24.0
_NESZ_LINEAR = 10.0 ** (NESZ_DB / 10.0)


@dataclass(frozen=True)
class SceneConfig:
    """Parameters of a generated scene.

    Attributes:
        height: Rows (pixels).
        width: Columns (pixels).
        seed: Seed; the same seed gives the same scene, byte for byte.
        dates: Number of Sentinel-1 acquisitions (independent speckle; crops change).
        looks: Equivalent number of looks of one acquisition's speckle (S1 IW GRDH: ~4.4).
        resolution: Pixel size in metres.
        crs: A UTM CRS.
        west: Easting of the left edge.
        north: Northing of the top edge.
        relief: Elevation range of the terrain in metres.
        incidence: Radar incidence angle in degrees.
        first_date: Date of the first acquisition; the others follow every 12 days.
    """

    height: int = 1024
    width: int = 1024
    seed: int = 0
    dates: int = 4
    looks: float = 4.4
    resolution: float = 10.0
    crs: str = "EPSG:32633"
    west: float = 500000.0
    north: float = 5100000.0
    relief: float = 600.0
    incidence: float = 37.0
    first_date: str = "2021-06-01"

    def grid(self) -> Grid:
        """The scene's pixel grid."""
        return Grid.from_origin(
            self.crs, self.west, self.north, self.resolution, self.width, self.height
        )


@dataclass
class Scene:
    """A generated scene; every raster is on ``grid``.

    Attributes:
        config: What made it.
        grid: Pixel grid (UTM, ``resolution`` metres).
        landcover: :class:`LandCover` codes, uint8, (H, W).
        urban: 1 where land cover is urban, uint8, (H, W).
        dem: Elevation in metres, float32, (H, W).
        optical: Sentinel-2-like digital numbers (reflectance x 10000), uint16, (13, H, W).
        sar: Sentinel-1-like backscatter in dB with speckle, float32, (T, 2, H, W).
        sar_clean: The same without speckle (the expected backscatter), float32,
            (T, 2, H, W).
        radar_geometry: 0 normal, 1 layover, 2 radar shadow, uint8, (H, W).
        buildings: Building footprints in map coordinates.
        roads: (line, highway class) pairs in map coordinates; width in metres in
            :data:`ROAD_WIDTHS`.
        dates: ISO dates of the SAR acquisitions.
    """

    config: SceneConfig
    grid: Grid
    landcover: np.ndarray
    urban: np.ndarray
    dem: np.ndarray
    optical: np.ndarray
    sar: np.ndarray
    sar_clean: np.ndarray
    radar_geometry: np.ndarray
    buildings: list[Polygon] = field(default_factory=list)
    roads: list[tuple[LineString, str]] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)


#: Carriageway width in metres per road class.
ROAD_WIDTHS: dict[str, float] = {"primary": 12.0, "residential": 8.0}


def _slope_components(dem: np.ndarray, res: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx (east) and dz/dy (north) in metres per metre."""
    dz_drow, dz_dcol = np.gradient(dem.astype(np.float64), res)
    return np.asarray(dz_dcol), -np.asarray(dz_drow)


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
    sx, sy = _slope_components(dem, cfg.resolution)
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
    sx, sy = _slope_components(dem, cfg.resolution)
    slope = np.hypot(sx, sy)
    high = (dem - dem.min()) / max(float(np.ptp(dem)), 1e-6)
    lc = np.full((h, w), LandCover.GRASS_CROP, np.uint8)
    lc[veg + 1.5 * high + 2.0 * slope > 0.9] = LandCover.FOREST
    lc[(soil > 1.6) | (high > 0.9) | (slope > 0.7)] = LandCover.BARE_SOIL
    lc[urban] = LandCover.URBAN
    lc[water] = LandCover.WATER
    return lc


def _optical(
    cfg: SceneConfig,
    lc: np.ndarray,
    dem: np.ndarray,
    roofs: np.ndarray,
    road_px: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    h, w = lc.shape
    lut = np.zeros((len(LandCover), len(S2_BANDS)), np.float32)
    for cls, spec in CLASS_SPECTRA.items():
        lut[cls] = spec
    refl = np.moveaxis(lut[lc], -1, 0)  # (13, H, W)
    # texture: brightness everywhere, vigour (red-edge/NIR up, visible down) on vegetation
    bright = fractal_noise((h, w), max(4, h // 64), rng, octaves=4)
    vigour = fractal_noise((h, w), max(4, h // 96), rng, octaves=4)
    refl *= 1.0 + 0.06 * bright[None]
    veg = np.isin(lc, [LandCover.FOREST, LandCover.GRASS_CROP])
    nir_weight = np.array([-0.5, -0.5, -0.3, -0.6, 0.2, 0.8, 1, 1, 1, 0.8, 0, 0.1, -0.2])
    refl *= 1.0 + 0.12 * (nir_weight[:, None, None] * (vigour * veg)[None])
    # roofs (two materials) and asphalt
    roof_lut = np.array(ROOF_SPECTRA, np.float32)
    kind = (fractal_noise((h, w), max(8, h // 16), rng, octaves=2) > 0).astype(np.int64)
    refl[:, roofs] = roof_lut[kind[roofs]].T
    refl[:, road_px] = np.array(ROAD_SPECTRUM, np.float32)[:, None]
    # Lambertian shading, sun from the south-east at 45 degrees elevation (not on water)
    sx, sy = _slope_components(dem, cfg.resolution)
    zen, az = math.radians(45.0), math.radians(150.0)
    sun = np.array([math.sin(zen) * math.sin(az), math.sin(zen) * math.cos(az), math.cos(zen)])
    norm = np.sqrt(1.0 + sx**2 + sy**2)
    cos_i = (-sx * sun[0] - sy * sun[1] + sun[2]) / norm
    shade = np.clip(0.4 + 0.6 * cos_i / math.cos(zen), 0.15, 1.6).astype(np.float32)
    shade[lc == LandCover.WATER] = 1.0
    refl *= shade[None]
    refl += np.array(PATH_RADIANCE, np.float32)[:, None, None]
    refl += rng.normal(0.0, 0.002, size=refl.shape).astype(np.float32)
    result: np.ndarray = np.clip(np.round(refl * 10000.0), 1, 65535).astype(np.uint16)
    return result


def _radar_geometry(
    dem: np.ndarray, res: float, incidence_deg: float, oversample: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ground-to-slant mapping of a terrain-corrected product, and its layover/shadow.

    Returns:
        slant-range bin of each ground sub-sample (H, W*k), slant-range bin of each ground
        pixel's centre (H, W), local incidence cosine per sub-sample (H, W*k), and the
        layover/shadow code per pixel (H, W). Bins are in ground-pixel units, so on flat
        terrain pixel ``j`` and all its sub-samples fall into bin ``j``.
    """
    h, w = dem.shape
    k = oversample
    theta = math.radians(incidence_deg)
    cot = 1.0 / math.tan(theta)
    z = dem.astype(np.float64)
    zmin = float(z.min())
    x = (np.arange(w * k) + 0.5) / k - 0.5  # sub-sample column positions
    x0 = np.clip(np.floor(x).astype(np.int64), 0, w - 2)
    t = (x - x0)[None, :]
    zs = z[:, x0] * (1 - t) + z[:, x0 + 1] * t  # heights of the sub-samples
    slant = x[None, :] - (zs - zmin) * cot / res  # nearer the sensor when higher
    centre = np.arange(w)[None, :] - (z - zmin) * cot / res
    sx, sy = _slope_components(dem, res)
    # local incidence: the terrain normal (-sx, -sy, 1)/n against the direction to the
    # sensor in the west, (-sin, 0, cos): slopes rising eastwards face the sensor
    cos_loc = (math.cos(theta) + sx * math.sin(theta)) / np.sqrt(1 + sx**2 + sy**2)
    cos_loc_sub = np.repeat(np.clip(cos_loc, 0.0, None), k, axis=1)
    layover = np.gradient(centre, axis=1) <= 0
    g = z + np.arange(w)[None, :] * res * cot  # a ray descends cot(theta) per metre east
    prev_max = np.maximum.accumulate(g, axis=1)
    shadow = np.zeros_like(layover)
    shadow[:, 1:] = prev_max[:, :-1] > g[:, 1:] + 1e-6
    code = np.zeros((h, w), np.uint8)
    code[layover] = 1
    code[shadow] = 2
    return np.rint(slant).astype(np.int64), np.rint(centre).astype(np.int64), cos_loc_sub, code


def _project(
    power: np.ndarray, slant: np.ndarray, centre: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Sum ground returns into slant-range bins and read each ground pixel's bin back.

    Flat terrain gives the input back exactly; slopes facing the sensor share bins
    (brighter: foreshortening), layover sums several ground points, and slopes facing
    away spread over more bins (darker).

    Shape:
        power (H, W), slant (H, W*k), centre (H, W), weights (H, W*k) -> (H, W).
    """
    h, w = power.shape
    k = slant.shape[1] // w
    origin = int(min(slant.min(), centre.min()))
    nb = int(max(slant.max(), centre.max())) - origin + 1
    rows = (np.arange(h) * nb)[:, None]
    contrib = np.repeat(power, k, axis=1) * weights / k
    bins = np.bincount((rows + slant - origin).ravel(), contrib.ravel(), minlength=h * nb)
    out: np.ndarray = bins[rows + centre - origin]
    return out


def _sar(
    cfg: SceneConfig,
    lc: np.ndarray,
    dem: np.ndarray,
    buildings_px: np.ndarray,
    road_px: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = lc.shape
    k = 4
    slant, centre, cos_loc, code = _radar_geometry(dem, cfg.resolution, cfg.incidence, k)
    # shadowed ground returns nothing and reads nothing back; elsewhere the return scales
    # with the local incidence cosine, on top of the bin sharing done by _project
    cos_ref = math.cos(math.radians(cfg.incidence))
    weights = np.repeat(code != 2, k, axis=1) * (cos_loc / cos_ref)
    lit = code != 2
    lut = np.zeros((len(LandCover), 2), np.float32)
    for cls, vals in CLASS_BACKSCATTER_DB.items():
        lut[cls] = vals
    texture = fractal_noise((h, w), max(4, h // 32), rng, octaves=4)
    texture *= np.where(lc == LandCover.WATER, 0.3, 1.0)  # dB; open water is nearly uniform
    crop = lc == LandCover.GRASS_CROP
    clean = np.empty((cfg.dates, 2, h, w), np.float32)
    speckled = np.empty_like(clean)
    date_seeds = child_seeds(rng, cfg.dates)
    for d in range(cfg.dates):
        drng = np.random.default_rng(date_seeds[d])
        change = fractal_noise((h, w), max(4, h // 64), drng, octaves=3)
        for p in range(2):
            sigma_db = lut[lc, p] + texture
            sigma_db = np.where(crop, sigma_db + 1.5 * change, sigma_db)
            sigma_db[buildings_px] += BUILDING_DOUBLE_BOUNCE_DB[p]
            sigma_db[road_px] = ROAD_BACKSCATTER_DB[p]
            power = _project(db_to_linear(sigma_db.astype(np.float64)), slant, centre, weights)
            power = power * lit + _NESZ_LINEAR
            clean[d, p] = linear_to_db(power)
            gamma = drng.gamma(cfg.looks, 1.0 / cfg.looks, size=(h, w))
            speckled[d, p] = linear_to_db(power * gamma)
    return speckled, clean, code


def _burn(geoms: list[Polygon] | list[LineString], shape: tuple[int, int]) -> np.ndarray:
    """Rasterise pixel-coordinate geometries onto a unit grid of the given shape."""
    unit = Grid.from_origin(None, 0.0, 0.0, 1.0, shape[1], shape[0])
    # pixel coordinates have y growing downwards: flip to the grid's north-up convention
    flipped = [(affinity.scale(g, 1.0, -1.0, origin=(0, 0)), 1) for g in geoms]
    return rasterize(flipped, unit, fill=0, dtype="uint8").astype(bool)


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
    shape = (cfg.height, cfg.width)
    grid = cfg.grid()

    dem = _terrain(cfg, np.random.default_rng(s_terrain))
    river = _river(cfg, np.random.default_rng(s_river))
    river_px = _burn([river.buffer(max(1.5, 40.0 / cfg.resolution))], shape)
    lake = dem < np.quantile(dem, 0.04)
    lake = ndimage.binary_opening(lake, iterations=2)
    water = lake | river_px
    # carve a valley along the river and flatten the lakes
    level = float(np.quantile(dem, 0.04))
    dist = ndimage.distance_transform_edt(~river_px) * cfg.resolution
    dem = np.minimum(dem, level + 0.25 * dist).astype(np.float32)
    dem[water] = level

    trng = np.random.default_rng(s_town)
    towns = _towns(cfg, dem, water, trng)
    b_px, r_px = _town_vectors(towns, shape, trng)
    b_px = [b for b in b_px if not water[int(b.centroid.y), int(b.centroid.x)]]
    roofs = _burn(b_px, shape)
    widths = {cls: max(0.5, wd / cfg.resolution / 2) for cls, wd in ROAD_WIDTHS.items()}
    road_px = _burn([line.buffer(widths[cls], cap_style="flat") for line, cls in r_px], shape)
    fabric = ndimage.gaussian_filter(roofs.astype(np.float32), 3.0) > 0.12
    urban = ndimage.binary_closing(fabric, iterations=2) & ~water
    road_px &= ~water  # bridges: the river stays visible
    roofs &= ~water  # footprints clipped to the shore

    lc = _landcover(cfg, dem, water, urban, np.random.default_rng(s_lc))
    optical = _optical(cfg, lc, dem, roofs, road_px, np.random.default_rng(s_opt))
    sar, sar_clean, geometry = _sar(cfg, lc, dem, roofs, road_px, np.random.default_rng(s_sar))

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
    "S1_BANDS",
    "S2_BANDS",
    "LandCover",
    "Scene",
    "SceneConfig",
    "generate_scene",
]
