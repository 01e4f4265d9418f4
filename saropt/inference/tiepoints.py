"""Whole-scene SAR-optical tie points and the correction of an optical image's georeference.

A grid of optical templates is searched in the SAR image around where the optical
image's georeference says they are; the shift classifier's confident matches become tie
points, and a robust (RANSAC) translation of them, in map units, is the optical image's
georeference error. The corrected image is the optical image with its transform moved by
that translation: its pixels are copied untouched, window by window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyproj
import torch
from affine import Affine
from shapely.geometry import Point

from saropt.errors import ConfigError, CRSMismatchError, InvalidValueError
from saropt.io.atomic import check_output, staged_outputs, write_text_atomic
from saropt.io.grid import Grid, PathLike, PixelWindow, iter_windows
from saropt.io.inputs import CheckedInput, InputSpec, check_inputs, clean_window
from saropt.io.raster import read_info, read_raster
from saropt.io.sentinel import S1_BANDS, normalize_s1, normalize_s2
from saropt.io.vector import write_geojson
from saropt.io.write import RasterWriter
from saropt.models import ShiftClassifier, load_model, peak_shift


@dataclass
class TiePoints:
    """Matches between an optical image and a SAR image, in map coordinates.

    Attributes:
        optical_xy: Where the optical georeference puts each template's centre (K, 2).
        sar_xy: Where the SAR image shows it (K, 2).
        confidence: Probability mass within one pixel of the peak (K,).
        peak_ratio: Best score over the best one 3 px or more away (K,).
        kept: Confident matches (K,) bool.
        inliers: RANSAC inliers among the kept (K,) bool.
        offset: The optical georeference's error (dx, dy) in map units: add it to fix it
            (for an affine model, its translation part).
        correction: The fitted model (2, 3) taking optical map coordinates to true ones.
    """

    optical_xy: np.ndarray
    sar_xy: np.ndarray
    confidence: np.ndarray
    peak_ratio: np.ndarray
    kept: np.ndarray
    inliers: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    offset: tuple[float, float] = (0.0, 0.0)
    correction: np.ndarray = field(default_factory=lambda: np.eye(2, 3))


def ransac_translation(
    moves: np.ndarray, tolerance: float, iterations: int = 200, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Robust mean of 2-D vectors: the one with most others within ``tolerance``, refined
    as the mean of those inliers.

    Shape:
        moves (K, 2) -> (offset (2,), inliers (K,) bool).
    """
    if len(moves) == 0:
        raise InvalidValueError("no confident tie point to estimate a translation from")
    rng = np.random.default_rng(seed)
    best = np.zeros(len(moves), bool)
    for k in rng.choice(len(moves), size=min(iterations, len(moves)), replace=False):
        inl = np.hypot(*(moves - moves[k]).T) <= tolerance
        if inl.sum() > best.sum():
            best = inl
    offset = moves[best].mean(axis=0)
    best = np.hypot(*(moves - offset).T) <= tolerance  # refit once around the mean
    return moves[best].mean(axis=0), best


def fit_affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares 2x3 affine taking ``src`` points onto ``dst`` (both (K, 2), K >= 3)."""
    a = np.hstack([src, np.ones((len(src), 1))])
    m, *_ = np.linalg.lstsq(a, dst, rcond=None)
    return np.asarray(m.T)


def ransac_affine(
    src: np.ndarray, dst: np.ndarray, tolerance: float, iterations: int = 500, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Robust 2x3 affine taking ``src`` onto ``dst``: the 3-point model with most points
    within ``tolerance``, refitted by least squares on its inliers.

    Coordinates are centred first, so map coordinates of 10^6 m lose no precision.

    Shape:
        src, dst (K, 2) -> (model (2, 3), inliers (K,) bool).

    Raises:
        InvalidValueError: Fewer than 3 points.
    """
    if len(src) < 3:
        raise InvalidValueError(f"{len(src)} points; an affine model needs at least 3")
    c = src.mean(axis=0)
    s, d = src - c, dst - c
    rng = np.random.default_rng(seed)
    best = np.zeros(len(s), bool)
    for _ in range(iterations):
        k = rng.choice(len(s), size=3, replace=False)
        m = fit_affine(s[k], d[k])
        inl = np.hypot(*(s @ m[:, :2].T + m[:, 2] - d).T) <= tolerance
        if inl.sum() > best.sum():
            best = inl
    if best.sum() < 3:
        best = np.ones(len(s), bool)
    for _ in range(2):  # refit on the inliers, then once more on the refit's inliers
        m = fit_affine(s[best], d[best])
        nxt = np.hypot(*(s @ m[:, :2].T + m[:, 2] - d).T) <= tolerance
        if nxt.sum() >= 3:
            best = nxt
    m = fit_affine(s[best], d[best])
    # undo the centring: dst = A (src - c) + t + c = A src + (t + c - A c)
    m[:, 2] = m[:, 2] + c - m[:, :2] @ c
    return m, best


def _read_span(
    source: CheckedInput, corners: list[tuple[int, int]], side: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The float32 window covering squares of ``side`` at the given (row, col) corners
    (cleaned: :func:`~saropt.io.inputs.clean_window`), its nodata mask, and its top-left
    corner."""
    rows, cols = [r for r, _ in corners], [c for _, c in corners]
    r0, c0 = min(rows), min(cols)
    win = PixelWindow(r0, c0, max(rows) - r0 + side, max(cols) - c0 + side)
    raw = read_raster(source.spec.path, window=win).data
    data, missing = clean_window(raw, source, f"window {win}")
    return data.astype(np.float32), missing, (r0, c0)


def find_tie_points(
    optical: PathLike,
    sar: PathLike,
    weights: PathLike,
    *,
    step: int = 48,
    min_confidence: float = 0.3,
    min_peak_ratio: float = 2.0,
    tolerance_px: float = 1.5,
    model: Literal["translation", "affine"] = "translation",
    batch_size: int = 32,
    progress: Callable[[int, int], None] | None = None,
) -> TiePoints:
    """Match a grid of optical templates in the SAR image and fit the georeference error.

    Args:
        optical: Optical GeoTIFF (the bands the model was trained on), possibly misplaced.
        sar: Sentinel-1 VV/VH dB GeoTIFF, the geometric reference, same CRS and pixel size.
        weights: A trained shift classifier (``shift_classifier.safetensors``).
        step: Pixels between template centres.
        min_confidence, min_peak_ratio: Keep matches whose confidence and peak ratio
            reach these (a template touching nodata has confidence 0).
        tolerance_px: RANSAC inlier distance, in pixels.
        model: ``"translation"`` (a shifted georeference) or ``"affine"`` (also rotated,
            scaled or sheared; needs 3 confident matches or more).
        batch_size: Templates per model call.
        progress: Called with (batches done, batches in total).

    Raises:
        CRSMismatchError: The images have other CRSs or pixel sizes (beyond 2 %).
        ConfigError: The weights are not a shift classifier.
        InvalidValueError: No confident match; bad inputs (:mod:`saropt.io.inputs`).
    """
    if model not in ("translation", "affine"):
        raise ConfigError(f"model must be translation or affine; got {model!r}")
    net, config = load_model(weights)
    if not isinstance(net, ShiftClassifier):
        raise ConfigError(f"'{weights}' holds a {config['model']}, not a shift classifier")
    t, s = int(config["template"]), int(config["search"])
    inputs = _checked_inputs(optical, sar, config)
    og, sg = inputs[0].info.grid, inputs[1].info.grid
    jobs = template_jobs(og, sg, t, s, step)
    found: list[tuple[np.ndarray, ...]] = []
    batches = range(0, len(jobs), batch_size)
    for k, b in enumerate(batches):
        chunk = jobs[b : b + batch_size]
        found.append(_match_batch(net, inputs[0], inputs[1], og, sg, chunk, t, s))
        if progress:
            progress(k + 1, len(batches))
    opt_xy, sar_xy, conf, ratio = (np.concatenate(parts) for parts in zip(*found, strict=True))
    tp = TiePoints(opt_xy, sar_xy, conf, ratio, np.zeros(len(jobs), bool))
    tp.kept = (tp.confidence >= min_confidence) & (tp.peak_ratio >= min_peak_ratio)
    fit_correction(tp, tolerance_px * sg.res[0], model)
    return tp


def _checked_inputs(optical: PathLike, sar: PathLike, config: dict[str, Any]) -> list[CheckedInput]:
    """The optical and SAR images, checked against what the shift classifier takes and
    against each other (one CRS, pixel sizes within 2 %)."""
    kw = config["kwargs"]
    bands = config.get("bands", [])
    inputs = check_inputs([
        InputSpec(optical, "--optical", "optical", (kw["optical_channels"],), bands),
        InputSpec(sar, "--sar", "sar", (kw.get("sar_channels", 2),), S1_BANDS),
    ])  # fmt: skip
    og, sg = inputs[0].info.grid, inputs[1].info.grid
    # a georeference error may scale the pixel a little (the affine model fixes that);
    # beyond 2 % the templates no longer match, and the image must be resampled first
    if og.crs != sg.crs or not np.allclose(og.res, sg.res, rtol=0.02):
        raise CRSMismatchError(
            f"optical ({og.crs}, {og.res}) and SAR ({sg.crs}, {sg.res}) differ; resample the "
            "optical image onto the SAR grid's CRS and pixel size first"
        )
    return inputs


def template_jobs(og: Grid, sg: Grid, t: int, s: int, step: int) -> list[tuple[int, ...]]:
    """(optical row, col of a template's corner, SAR row, col of its search window's) for a
    grid of templates every ``step`` pixels that the SAR image covers.

    Raises:
        InvalidValueError: The images overlap too little for one template.
    """
    jobs: list[tuple[int, ...]] = []
    half_t, half_s = t // 2, s // 2
    inv_sar = ~sg.transform
    for r in range(half_s, og.height - half_s, step):
        for c in range(half_s, og.width - half_s, step):
            x, y = og.transform @ (c, r)  # where the optical image says this pixel is
            sc, sr = (round(v) for v in inv_sar @ (x, y))
            if half_s <= sr <= sg.height - half_s and half_s <= sc <= sg.width - half_s:
                jobs.append((r - half_t, c - half_t, sr - half_s, sc - half_s))
    if not jobs:
        raise InvalidValueError("the optical and SAR images overlap too little to match")
    return jobs


def _match_batch(
    net: ShiftClassifier, optical: CheckedInput, sar: CheckedInput, og: Grid, sg: Grid,
    chunk: list[tuple[int, ...]], t: int, s: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """(optical xy, SAR xy, confidence, peak ratio) of a batch of templates. Only the
    rectangle the batch's templates and windows span is read: memory follows the batch.
    A template or window with a nodata pixel gets confidence 0 (never kept)."""
    opt, gone_o, (r0, c0) = _read_span(optical, [(r, c) for r, c, _, _ in chunk], t)
    sar_db, gone_s, (q0, p0) = _read_span(sar, [(r, c) for _, _, r, c in chunk], s)
    opt, sar_n = normalize_s2(opt), normalize_s1(sar_db)
    hole = np.array([gone_o[r - r0 : r - r0 + t, c - c0 : c - c0 + t].any()
                     or gone_s[q - q0 : q - q0 + s, p - p0 : p - p0 + s].any()
                     for r, c, q, p in chunk])  # fmt: skip
    o = torch.from_numpy(
        np.stack([opt[:, r - r0 : r - r0 + t, c - c0 : c - c0 + t] for r, c, _, _ in chunk])
    )
    w = torch.from_numpy(
        np.stack([sar_n[:, r - q0 : r - q0 + s, c - p0 : c - p0 + s] for _, _, r, c in chunk])
    )
    with torch.inference_mode():
        shifts, cf, pr = peak_shift(net(o, w))
    half_t, centre = t // 2, (s - t) / 2.0
    opt_xy, sar_xy = [], []
    for (orow, ocol, srow, scol), (dy, dx) in zip(chunk, shifts.tolist(), strict=True):
        opt_xy.append(og.transform @ (ocol + half_t, orow + half_t))
        # the template's centre sits at the window's centre plus the shift
        sar_xy.append(sg.transform @ (scol + centre + dx + half_t, srow + centre + dy + half_t))
    conf = np.where(hole, 0.0, cf.numpy())
    return np.asarray(opt_xy), np.asarray(sar_xy), conf, pr.numpy()


def fit_correction(
    tp: TiePoints, tolerance: float, model: Literal["translation", "affine"]
) -> None:
    """Fit the georeference error to the confident tie points by RANSAC (``tolerance`` in
    map units); sets ``tp.correction``, ``tp.inliers`` and ``tp.offset``."""
    if model == "translation":
        moves = tp.sar_xy - tp.optical_xy
        offset, inl = ransac_translation(moves[tp.kept], tolerance)
        tp.correction = np.array([[1.0, 0.0, offset[0]], [0.0, 1.0, offset[1]]])
    else:
        tp.correction, inl = ransac_affine(tp.optical_xy[tp.kept], tp.sar_xy[tp.kept], tolerance)
    tp.inliers = np.zeros(len(tp.confidence), bool)
    tp.inliers[np.nonzero(tp.kept)[0][inl]] = True
    tp.offset = (float(tp.correction[0, 2]), float(tp.correction[1, 2]))


def offset_in_pixels_and_metres(
    offset: tuple[float, float], grid: Grid
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A map-unit offset (dx, dy) as (columns, rows) of ``grid`` and as (east, north) metres.

    In a projected CRS the metres follow from its unit; in a geographic CRS (degrees) they
    are measured on its ellipsoid from the grid's centre.

    Raises:
        ConfigError: The grid has no CRS.
    """
    if grid.crs is None:
        raise ConfigError("the image has no CRS: its offset has no length in metres")
    dx, dy = offset
    px = (dx / grid.res[0], -dy / grid.res[1])
    crs = pyproj.CRS.from_user_input(grid.crs)
    if not crs.is_geographic:
        factor = crs.axis_info[0].unit_conversion_factor
        return px, (dx * factor, dy * factor)
    lon, lat = grid.transform @ (grid.width / 2, grid.height / 2)
    geod = crs.get_geod()
    assert geod is not None  # every geographic CRS has an ellipsoid
    east = geod.inv(lon, lat, lon + dx, lat)[2]
    north = geod.inv(lon, lat, lon, lat + dy)[2]
    return px, (float(np.copysign(east, dx)), float(np.copysign(north, dy)))


def write_tie_points(tp: TiePoints, path: PathLike, crs: str | None) -> Path:
    """Tie points as GeoJSON points at their SAR positions, with scores and flags."""
    feats = []
    for i in range(len(tp.confidence)):
        props = {
            "optical_x": round(float(tp.optical_xy[i, 0]), 2),
            "optical_y": round(float(tp.optical_xy[i, 1]), 2),
            "confidence": round(float(tp.confidence[i]), 4),
            "peak_ratio": round(float(min(tp.peak_ratio[i], 1e6)), 2),
            "kept": bool(tp.kept[i]),
            "inlier": bool(tp.inliers[i]),
        }
        feats.append((Point(*tp.sar_xy[i]), props))
    return write_geojson(Path(path), feats, crs)


def write_corrected(
    optical: PathLike, output: PathLike, correction: tuple[float, float] | np.ndarray
) -> Path:
    """Copy a raster with its georeference corrected; pixels untouched.

    Args:
        optical: The raster to correct.
        output: The corrected copy.
        correction: A translation (dx, dy) in map units, or a 2x3 affine taking the old
            map coordinates to the true ones.
    """
    info = read_info(optical)
    g = info.grid
    m = np.asarray(correction, dtype=np.float64)
    fix = Affine.translation(*m) if m.shape == (2,) else Affine(*m.ravel())
    moved = Grid(g.crs, fix @ g.transform, g.width, g.height)
    with RasterWriter(
        output, moved, info.count, info.dtype, nodata=info.nodata, descriptions=info.descriptions
    ) as w:
        for win in iter_windows(g.height, g.width, 1024):
            w.write(read_raster(optical, window=win).data, win)
    return Path(output)


def correct_georeference(
    optical: PathLike,
    sar: PathLike,
    weights: PathLike,
    out_dir: PathLike,
    **kwargs: Any,
) -> TiePoints:
    """Find tie points, then write ``tiepoints.geojson``, ``corrected.tif`` (the optical
    image with the fitted translation applied) and ``correction.json`` into ``out_dir``."""

    out = Path(out_dir)
    for name in ("tiepoints.geojson", "corrected.tif", "correction.json"):
        check_output(out / name, [optical, sar, weights])
    tp = find_tie_points(optical, sar, weights, **kwargs)
    crs = read_info(sar).grid.crs
    with staged_outputs(out) as stage:  # the three files appear together or not at all
        write_tie_points(tp, stage / "tiepoints.geojson", crs)
        write_corrected(optical, stage / "corrected.tif", tp.correction)
        _write_summary(tp, optical, crs, stage / "correction.json")
    return tp


def _write_summary(tp: TiePoints, optical: PathLike, crs: str | None, path: Path) -> None:
    """``correction.json``: the fitted correction and how many points support it."""
    import json

    px, m = offset_in_pixels_and_metres(tp.offset, read_info(optical).grid)
    summary = {
        "offset_x": tp.offset[0],
        "offset_y": tp.offset[1],
        "offset_px": list(px),
        "offset_m": list(m),
        "correction": tp.correction.tolist(),
        "tie_points": len(tp.confidence),
        "kept": int(tp.kept.sum()),
        "inliers": int(tp.inliers.sum()),
        "crs": crs,
    }
    write_text_atomic(path, json.dumps(summary, indent=2))
