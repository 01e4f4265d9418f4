"""`saropt demo`: every capability run on a generated scene, gathered in one HTML report.

Each stage is a function that takes the demo context and returns report sections; later
capabilities add their stage to :data:`STAGES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from saropt import __version__
from saropt.cli.common import progress_bar
from saropt.io.raster import Raster, write_raster
from saropt.io.sentinel import S2_BANDS, db_to_linear, linear_to_db, s2_wavelengths
from saropt.report import Section, rgb, save_figure, save_png, stretch, write_report
from saropt.report.quicklook import class_profiles_figure
from saropt.synth import LandCover, Scene, generate_scene, write_scene
from saropt.transforms import add_clouds

#: Display colours of the land-cover classes (nodata, water, forest, grass/crop, bare, urban).
LANDCOVER_COLOURS = (
    np.array(
        [[0, 0, 0], [40, 90, 200], [20, 110, 40], [170, 210, 90], [190, 160, 110], [220, 40, 40]],
        dtype=np.float32,
    )
    / 255.0
)


@dataclass
class DemoContext:
    """What stages share: output folder, seed, and results of earlier stages."""

    out: Path
    size: int
    seed: int
    scene: Scene | None = None
    results: dict[str, Any] = field(default_factory=dict)


def enl(intensity: np.ndarray) -> float:
    """Equivalent number of looks of a homogeneous intensity sample: mean^2 / variance."""
    x = intensity.astype(np.float64).ravel()
    return float(x.mean() ** 2 / x.var())


def stage_scene(ctx: DemoContext) -> list[Section]:
    """Generate and write the scene; quicklooks of every layer."""
    scene = generate_scene(height=ctx.size, width=ctx.size, seed=ctx.seed, dates=4)
    ctx.scene = scene
    write_scene(scene, ctx.out / "scene")
    img = ctx.out / "img"
    opt = scene.optical
    save_png(img / "s2_truecolour.png", rgb(opt, [3, 2, 1]))
    save_png(img / "s2_falsecolour.png", rgb(opt, [7, 3, 2]))
    vv, vh = scene.sar[0]
    ratio = vv - vh
    save_png(img / "s1_date1.png", np.dstack([stretch(vv), stretch(vh), stretch(ratio)]))
    mean_lin = db_to_linear(scene.sar.astype(np.float64)).mean(axis=0)
    mean_db = linear_to_db(mean_lin)
    save_png(
        img / "s1_mean.png",
        np.dstack([stretch(mean_db[0]), stretch(mean_db[1]), stretch(mean_db[0] - mean_db[1])]),
    )
    save_png(img / "landcover.png", LANDCOVER_COLOURS[scene.landcover])
    save_png(img / "dem.png", stretch(scene.dem), cmap="terrain")
    save_png(img / "radar_geometry.png", scene.radar_geometry / 2.0, cmap="magma")

    classes = [c for c in LandCover if c != LandCover.NODATA and (scene.landcover == c).any()]
    refl = {c.name.lower(): opt[:, scene.landcover == c].mean(axis=1) / 1e4 for c in classes}
    rng = np.random.default_rng(0)
    vv_by_class = {}
    for c in classes:
        vals = vv[scene.landcover == c]
        vv_by_class[c.name.lower()] = rng.choice(vals, size=min(vals.size, 5000), replace=False)
    fig = class_profiles_figure(s2_wavelengths(list(S2_BANDS)), refl, vv_by_class)
    save_figure(fig, img / "class_profiles.png")

    # speckle: ENL of one date and of the temporal mean, on the ratio to the clean backscatter
    ratio1 = db_to_linear(scene.sar[0].astype(np.float64) - scene.sar_clean[0])
    ratio_mean = (
        db_to_linear(scene.sar.astype(np.float64))
        / db_to_linear(scene.sar_clean.astype(np.float64))
    ).mean(axis=0)
    n = scene.config.dates
    rows: list[list[object]] = []
    for c in classes:
        m = scene.landcover == c
        b = opt[:, m].astype(np.float64)
        ndvi = float(np.mean((b[7] - b[3]) / (b[7] + b[3])))
        rows.append(
            [
                c.name.lower(),
                float((scene.landcover == c).mean()),
                float(vv[m].mean()),
                float(vh[m].mean()),
                ndvi,
            ]
        )
    enl_rows: list[list[object]] = [
        [pol, enl(ratio1[p]), enl(ratio_mean[p]), enl(ratio_mean[p]) / enl(ratio1[p])]
        for p, pol in enumerate(("VV", "VH"))
    ]
    ctx.results["enl"] = enl_rows
    g = scene.grid
    return [
        Section(
            "Generated scene",
            paragraphs=[
                f"{g.width} x {g.height} pixels at {g.res[0]:g} m in {g.crs}, seed {ctx.seed}; "
                f"{len(scene.buildings)} buildings and {len(scene.roads)} roads as vectors; "
                f"{n} Sentinel-1 dates with {scene.config.looks:g}-look speckle. Files in scene/.",
            ],
            tables=[
                (("class", "fraction", "VV dB", "VH dB", "NDVI"), rows),
                (("polarisation", "ENL one date", f"ENL mean of {n}", "gain"), enl_rows),
            ],
            images=[
                ("img/s2_truecolour.png", "Sentinel-2 true colour (B04, B03, B02)"),
                ("img/s2_falsecolour.png", "Sentinel-2 false colour (B08, B04, B03)"),
                ("img/s1_date1.png", "Sentinel-1 date 1 (VV, VH, VV-VH)"),
                ("img/s1_mean.png", f"Sentinel-1 temporal mean of {n} dates"),
                ("img/landcover.png", "Land cover"),
                ("img/dem.png", "DEM"),
                ("img/radar_geometry.png", "Radar layover (orange) and shadow (white)"),
            ],
            wide_images=[("img/class_profiles.png", "Per-class spectra and VV backscatter")],
        )
    ]


def stage_clouds(ctx: DemoContext) -> list[Section]:
    """Cloud the scene's optical image with Perlin clouds and haze; write it as GeoTIFF."""
    if ctx.scene is None:
        raise RuntimeError("stage_clouds needs stage_scene first")
    scene = ctx.scene
    coverage = 0.3
    cloudy, mask = add_clouds(scene.optical, coverage, ctx.seed)
    write_raster(ctx.out / "clouds" / "s2_cloudy.tif", Raster(cloudy, scene.grid, 0, S2_BANDS))
    write_raster(
        ctx.out / "clouds" / "cloud_mask.tif",
        Raster(mask.astype(np.uint8), scene.grid, None, ("cloud_mask",)),
    )
    img = ctx.out / "img"
    save_png(img / "s2_cloudy.png", rgb(cloudy, [3, 2, 1]))
    save_png(img / "cloud_mask.png", mask.astype(np.float32), cmap="gray")
    # haze is strongest at short wavelengths: mean change of clear pixels per band
    clear_px = ~mask
    delta = (cloudy[:, clear_px].astype(np.float64) - scene.optical[:, clear_px]).mean(axis=1)
    rows: list[list[object]] = [[b, float(d)] for b, d in zip(S2_BANDS, delta, strict=True)]
    ctx.results["cloud_coverage"] = float(mask.mean())
    return [
        Section(
            "Clouds and haze",
            paragraphs=[
                f"Requested coverage {coverage:.2f}, measured {mask.mean():.3f}. Files in clouds/.",
            ],
            tables=[(("band", "mean DN added outside the mask (haze, thin cloud edges)"), rows)],
            images=[
                ("img/s2_cloudy.png", "Clouded Sentinel-2 (true colour)"),
                ("img/cloud_mask.png", "Cloud mask"),
            ],
        )
    ]


def stage_database(ctx: DemoContext) -> list[Section]:
    """Build a small database from the scene's layers given in other CRSs and resolutions."""
    import json
    import math

    from saropt.database.build import BuildConfig, DatabaseInputs, build_database
    from saropt.database.info import quicklook_mosaic, summarise
    from saropt.io.raster import Grid, read_raster, reproject_raster
    from saropt.metrics import phase_correlation_shift

    if ctx.scene is None:
        raise RuntimeError("stage_database needs stage_scene first")
    scene, src = ctx.scene, ctx.out / "scene"
    inputs_dir = ctx.out / "database_inputs"
    g = scene.grid
    # S1 in geographic coordinates (EPSG:4326), DEM at 30 m: unlike the S2 grid
    from saropt.io.raster import footprint

    west, south, east, north = footprint(src / "s2.tif", "EPSG:4326")
    step = 0.00009
    geo = Grid.from_origin(
        "EPSG:4326",
        west - 5 * step,
        north + 5 * step,
        step,
        math.ceil((east - west) / step) + 10,
        math.ceil((north - south) / step) + 10,
    )
    manifest = json.loads((src / "manifest.json").read_text())
    s1_paths = []
    for name in manifest["files"]["sar"]:
        moved = reproject_raster(read_raster(src / name), geo, dst_nodata=math.nan)
        s1_paths.append(write_raster(inputs_dir / f"geo_{name}", moved))
    g30 = Grid.from_origin(g.crs, g.transform.c, g.transform.f, 30.0, g.width // 3, g.height // 3)
    dem30 = reproject_raster(
        read_raster(src / "dem.tif"), g30, resampling="average", dst_nodata=math.nan
    )
    dem_path = write_raster(inputs_dir / "dem_30m.tif", dem30)
    tile = max(64, ctx.size // 4)
    db = ctx.out / "database"
    records = build_database(
        DatabaseInputs(
            s1=tuple(s1_paths),
            s2=(src / "s2.tif",),
            dem=(dem_path,),
            osm=(src / "buildings.geojson", src / "roads.geojson"),
        ),
        db,
        BuildConfig(tile_size=tile, split_block=1, seed=ctx.seed, lee_size=5),
    )
    summary = summarise(db)
    save_png(ctx.out / "img" / "database_quicklook.png", quicklook_mosaic(db, 768))
    # how well the S1 given in EPSG:4326 came back onto the 10 m grid
    t = json.loads((db / "database.json").read_text())["grid"]["transform"]
    r0, c0 = round((g.transform.f - t[5]) / g.res[1]), round((t[2] - g.transform.c) / g.res[0])
    shifts = []
    for r in records:
        if r["status"] != "built":
            continue
        got = read_raster(db / r["assets"]["s1_single"]).data[0]
        h, w = got.shape
        ref = scene.sar[0, 0, r0 + r["row"] : r0 + r["row"] + h, c0 + r["col"] : c0 + r["col"] + w]
        if np.isfinite(got).all():
            shifts.append(math.hypot(*phase_correlation_shift(ref, got)))
    ctx.results["database_shift_px"] = float(np.max(shifts)) if shifts else math.nan
    rows: list[list[object]] = [
        ["grid", f"{summary['grid']['width']} x {summary['grid']['height']} px, "
                 f"{summary['grid']['crs']}"],
        ["tiles built", summary["tiles_built"]],
        *[[f"tiles in {k}", v] for k, v in summary["per_split"].items()],
        ["modalities", ", ".join(summary["modalities"])],
        ["largest S1 misregistration after rebuilding (px)", ctx.results["database_shift_px"]],
    ]  # fmt: skip
    return [
        Section(
            "Multimodal database",
            paragraphs=[
                "Inputs: the scene's Sentinel-1 dates reprojected to EPSG:4326, its DEM at "
                "30 m, its Sentinel-2 on the 10 m UTM grid and its buildings and roads as vectors. "
                f"The database (tiles of {tile} px, split by blocks, Lee-filtered S1 mean) "
                "is in database/ with index.csv and a STAC catalog.",
            ],
            tables=[(("", "value"), rows)],
            images=[
                ("img/database_quicklook.png", "Tiles by split: train blue, val amber, test red")
            ],
        )
    ]


def stage_cloud_removal(ctx: DemoContext) -> list[Section]:
    """Train tiny SAR-Opt-cGAN and Opt-cGAN twins, decloud a held-out tile, compare."""
    from saropt.inference import TiledOptions, decloud_scene
    from saropt.io.raster import Grid
    from saropt.io.sentinel import S1_BANDS
    from saropt.report.cloud import comparison_figure, spectral_profiles_figure
    from saropt.report.training import training_curves
    from saropt.tasks.cloud_removal import CloudRemovalConfig, compare_twins

    quick = ctx.size < 512  # test-sized demos only exercise the pipeline
    cfg = CloudRemovalConfig(seed=ctx.seed)  # the tiny setup of the README's figures
    if quick:
        cfg = CloudRemovalConfig(
            seed=ctx.seed, scene_size=256, train_length=32, val_length=16, epochs=2
        )
    out = ctx.out / "cloud_removal"
    tile = 128 if quick else 256
    cmp = compare_twins(cfg, out, tile=tile)
    img = ctx.out / "img"
    save_figure(
        comparison_figure(cmp.target, cmp.cloudy, cmp.sar, cmp.predictions),
        img / "cloud_comparison.png",
    )
    ys, xs = cmp.mask.nonzero()
    pick = [(int(ys[i]), int(xs[i])) for i in (0, len(ys) // 2, len(ys) - 1)] if len(ys) else []
    if pick:
        save_figure(
            spectral_profiles_figure(
                s2_wavelengths(list(cfg.bands)), cmp.target, cmp.cloudy, cmp.predictions, pick
            ),
            img / "cloud_profiles.png",
        )
    save_figure(
        training_curves({k: v / "metrics.csv" for k, v in cmp.runs.items()}),
        img / "cloud_curves.png",
    )
    # the whole-scene path: GeoTIFF in, GeoTIFF out, tiled and blended
    g = Grid.from_origin("EPSG:32633", 600000.0, 5000000.0, 10.0, tile, tile)
    cloudy_dn = np.round(cmp.cloudy * 1e4).astype(np.uint16)
    write_raster(out / "heldout_cloudy.tif", Raster(cloudy_dn, g, 0, cfg.bands))
    write_raster(out / "heldout_s1.tif", Raster(cmp.sar.astype(np.float32), g, None, S1_BANDS))
    decloud_scene(
        out / "heldout_cloudy.tif",
        out / "heldout_s1.tif",
        out / "sar_opt" / "generator.safetensors",
        out / "heldout_decloud.tif",
        options=TiledOptions(min(tile, 128), 16, 4),
    )
    keys = ("rmse_cloudy", "sam_cloudy", "rmse_clear", "sam_clear", "rmse", "psnr", "ssim")
    rows: list[list[object]] = [
        [name, *(cmp.metrics[key][k] for k in keys)]
        for name, key in (
            ("cloudy input", "cloudy_input"),
            ("Opt-cGAN", "opt"),
            ("SAR-Opt-cGAN", "sar_opt"),
        )
    ]
    ctx.results["cloud_removal"] = cmp.metrics
    images = [("img/cloud_comparison.png", "Held-out tile: images, RMSE and SAM maps")]
    if pick:
        images.append(("img/cloud_profiles.png", "Spectra of three cloudy pixels"))
    images.append(("img/cloud_curves.png", "Training curves"))
    return [
        Section(
            "Cloud removal (SAR-Opt-cGAN against Opt-cGAN)",
            paragraphs=[
                f"Both twins: width {cfg.width}, depth {cfg.depth}, {cfg.epochs} epochs of "
                f"{cfg.train_length} patches of {cfg.patch_size} px from one generated scene "
                "with Perlin clouds; evaluated on a held-out scene's tile, 50 % clouded. "
                "Reflectance RMSE and SAM (degrees) on cloudy and clear pixels. The held-out "
                "tile was also declouded through the whole-scene GeoTIFF path: "
                "cloud_removal/heldout_decloud.tif. Weights: "
                "cloud_removal/*/generator.safetensors.",
            ],
            tables=[(("", *keys), rows)],
            wide_images=images,
        )
    ]


def stage_matching(ctx: DemoContext) -> list[Section]:
    """Train the shift classifier, show its score maps, correct a misplaced optical image
    with tie points, and compare SIFT/BRISK on the raw and the cGAN-translated pair."""
    from affine import Affine

    from saropt.cli.match import save_evaluation_figure
    from saropt.inference.tiepoints import correct_georeference
    from saropt.io.raster import Grid
    from saropt.io.sentinel import S1_BANDS
    from saropt.report.matching import keypoint_bars_figure, tiepoints_figure
    from saropt.tasks.keypoint_matching import TranslateMatchConfig, train_translate_match
    from saropt.tasks.matching import ShiftConfig, evaluate_weights, train_shift_classifier

    assert ctx.scene is not None
    quick = ctx.size < 512  # test-sized demos only exercise the pipeline
    out = ctx.out / "matching"
    img = ctx.out / "img"
    shift_cfg = ShiftConfig(seed=ctx.seed)  # the tiny setup of the README's figures
    tsift_cfg = TranslateMatchConfig(seed=ctx.seed)
    if quick:
        shift_cfg = ShiftConfig(seed=ctx.seed, scene_size=128, train_length=32, epochs=1)
        tsift_cfg = TranslateMatchConfig(seed=ctx.seed, translation_epochs=1, scene_size=128,
                                         crop=96)  # fmt: skip
    shifts = train_shift_classifier(shift_cfg, out / "shift")
    weights = out / "shift" / "shift_classifier.safetensors"
    ev = evaluate_weights(weights, seed=ctx.seed + 2000, scene_size=shift_cfg.scene_size)
    save_evaluation_figure(ev, img)  # img/score_maps.png

    # tie points: the demo scene's optical image, told to be 23 m east and 17 m south
    scene = ctx.scene
    g = scene.grid
    truth = (23.0, -17.0)
    sar_tif = write_raster(out / "s1.tif", Raster(scene.sar[0], g, None, S1_BANDS))
    wrong = Grid(g.crs, Affine.translation(*truth) @ g.transform, g.width, g.height)
    opt_tif = write_raster(out / "s2_misplaced.tif", Raster(scene.optical, wrong, 0, S2_BANDS))
    loose = {"min_confidence": 0.0, "min_peak_ratio": 0.0} if quick else {}
    tp = correct_georeference(opt_tif, sar_tif, weights, out / "tiepoints", **loose)
    fixed_err = float(np.hypot(tp.offset[0] + truth[0], tp.offset[1] + truth[1]))
    save_figure(tiepoints_figure(scene.sar[0, 0], g.transform, tp), img / "tiepoints.png")

    tsift = train_translate_match(tsift_cfg, out / "translate_sift")
    save_figure(keypoint_bars_figure(tsift), img / "keypoints.png")
    ctx.results["matching"] = {"shift": shifts, "tiepoint_error_m": fixed_err, "keypoints": tsift}

    shift_rows: list[list[object]] = [
        [name, r["mean_px"], r["median_px"], r["within_1px"], r["within_3px"]]
        for name, r in (("shift classifier", shifts["shift_classifier"]), ("NCC", shifts["ncc"]))
    ]
    key_rows: list[list[object]] = [
        [k, int(v["keypoints"]), int(v["matches"]), int(v["correct"]), v["offset_error_px"]]
        for k, v in tsift.items()
    ]
    return [
        Section(
            "SAR-optical matching",
            paragraphs=[
                f"Shift classifier (siamese, dense correlation, smooth cross-entropy): width "
                f"{shift_cfg.width}, {shift_cfg.epochs} epochs on {shift_cfg.train_length} "
                f"{shift_cfg.template} px optical templates in {shift_cfg.search} px SAR "
                "windows of one generated scene, evaluated on a held-out scene against "
                "normalised cross-correlation (NCC).",
                f"Tie points: the demo scene's optical image was written {truth[0]:g} m east "
                f"and {-truth[1]:g} m south of where it is. {len(tp.confidence)} templates, "
                f"{int(tp.kept.sum())} confident, {int(tp.inliers.sum())} RANSAC inliers; the "
                f"fitted correction is ({tp.offset[0]:.2f}, {tp.offset[1]:.2f}) m, "
                f"{fixed_err:.2f} m from the truth. Corrected GeoTIFF: "
                "matching/tiepoints/corrected.tif.",
                f"Translate, then match: an opt2sar cGAN ({tsift_cfg.translation_epochs} tiny "
                "epochs) makes the optical image SAR-like; SIFT and BRISK with ratio test and "
                f"RANSAC at {len(tsift_cfg.offsets)} known offsets of a held-out scene. A match "
                f"is correct within {tsift_cfg.tolerance_px:g} px of the known offset.",
            ],
            tables=[
                (("shifts", "mean px", "median px", "within 1 px", "within 3 px"), shift_rows),
                (
                    ("pair", "keypoints", "ratio-test matches", "correct", "offset error px"),
                    key_rows,
                ),
            ],
            images=[
                ("img/tiepoints.png", "Tie points over Sentinel-1 VV"),
                ("img/keypoints.png", "Correct SIFT/BRISK matches"),
            ],
            wide_images=[("img/score_maps.png", "Score maps of held-out templates")],
        )
    ]


#: The demo's stages in order: (name, function).
STAGES: list[tuple[str, Callable[[DemoContext], list[Section]]]] = [
    ("generated scene", stage_scene),
    ("clouds and haze", stage_clouds),
    ("multimodal database", stage_database),
    ("cloud removal", stage_cloud_removal),
    ("matching", stage_matching),
]


def run_demo(out: str | Path, *, size: int = 1024, seed: int = 0, console: Console) -> Path:
    """Run every stage and write ``out/report.html``; returns the report's path."""
    ctx = DemoContext(Path(out), size, seed)
    ctx.out.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    timings: list[list[object]] = []
    t_all = time.perf_counter()
    with progress_bar(console) as progress:
        task = progress.add_task("demo", total=len(STAGES))
        for name, fn in STAGES:
            progress.update(task, description=name)
            t0 = time.perf_counter()
            sections += fn(ctx)
            timings.append([name, time.perf_counter() - t0])
            progress.advance(task)
    total = time.perf_counter() - t_all
    timings.append(["total", total])
    sections.append(Section("Run time", tables=[(("stage", "seconds"), timings)]))
    return write_report(ctx.out / "report.html", f"saropt {__version__} demo", sections)
