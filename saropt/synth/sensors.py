"""The sensors of a generated scene: Sentinel-2-like reflectance from per-class spectra with
terrain shading, and Sentinel-1-like backscatter with the side-looking geometry of a
terrain-corrected GRD product (foreshortening, layover, shadow), noise floor and speckle."""

from __future__ import annotations

import math

import numpy as np

from saropt.io.sentinel import S2_BANDS, db_to_linear, linear_to_db, s2_reflectance_to_dn
from saropt.seeding import child_seeds
from saropt.synth.noise import fractal_noise
from saropt.synth.types import (
    BUILDING_DOUBLE_BOUNCE_DB,
    CLASS_BACKSCATTER_DB,
    CLASS_SPECTRA,
    NESZ_LINEAR,
    PATH_RADIANCE,
    ROAD_BACKSCATTER_DB,
    ROAD_SPECTRUM,
    ROOF_SPECTRA,
    LandCover,
    SceneConfig,
)


def slope_components(dem: np.ndarray, res: float) -> tuple[np.ndarray, np.ndarray]:
    """dz/dx (east) and dz/dy (north) in metres per metre."""
    dz_drow, dz_dcol = np.gradient(dem.astype(np.float64), res)
    return np.asarray(dz_dcol), -np.asarray(dz_drow)


def optical_image(
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
    sx, sy = slope_components(dem, cfg.resolution)
    zen, az = math.radians(45.0), math.radians(150.0)
    sun = np.array([math.sin(zen) * math.sin(az), math.sin(zen) * math.cos(az), math.cos(zen)])
    norm = np.sqrt(1.0 + sx**2 + sy**2)
    cos_i = (-sx * sun[0] - sy * sun[1] + sun[2]) / norm
    shade = np.clip(0.4 + 0.6 * cos_i / math.cos(zen), 0.15, 1.6).astype(np.float32)
    shade[lc == LandCover.WATER] = 1.0
    refl *= shade[None]
    refl += np.array(PATH_RADIANCE, np.float32)[:, None, None]
    refl += rng.normal(0.0, 0.002, size=refl.shape).astype(np.float32)
    result: np.ndarray = np.clip(np.round(s2_reflectance_to_dn(refl)), 1, 65535).astype(np.uint16)
    return result


def radar_geometry(
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
    sx, sy = slope_components(dem, res)
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


def project_to_slant_range(
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


def sar_images(
    cfg: SceneConfig,
    lc: np.ndarray,
    dem: np.ndarray,
    buildings_px: np.ndarray,
    road_px: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    h, w = lc.shape
    k = 4
    slant, centre, cos_loc, code = radar_geometry(dem, cfg.resolution, cfg.incidence, k)
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
            power = project_to_slant_range(
                db_to_linear(sigma_db.astype(np.float64)), slant, centre, weights
            )
            power = power * lit + NESZ_LINEAR
            clean[d, p] = linear_to_db(power)
            gamma = drng.gamma(cfg.looks, 1.0 / cfg.looks, size=(h, w))
            speckled[d, p] = linear_to_db(power * gamma)
    return speckled, clean, code
