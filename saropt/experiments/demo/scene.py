"""The demo's first stages: a generated scene with its quicklooks, then clouds and haze."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from saropt.experiments.demo.context import DemoContext
from saropt.io.raster import Raster
from saropt.io.sentinel import (
    FALSE_COLOUR,
    S2_BANDS,
    TRUE_COLOUR,
    band_indices,
    db_to_linear,
    linear_to_db,
    s2_dn_to_reflectance,
    s2_wavelengths,
)
from saropt.io.write import write_raster
from saropt.metrics.functional import enl
from saropt.metrics.summary import class_statistics
from saropt.report import Section, rgb, save_figure, save_png, stretch
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
NIR, RED = band_indices(("B08", "B04"))


def _classes(scene: Scene) -> list[LandCover]:
    return [c for c in LandCover if c != LandCover.NODATA and (scene.landcover == c).any()]


def scene_quicklooks(scene: Scene, img: Path) -> None:
    """PNGs of every layer, and the per-class spectra and backscatter figure."""
    opt = scene.optical
    save_png(img / "s2_truecolour.png", rgb(opt, band_indices(TRUE_COLOUR)))
    save_png(img / "s2_falsecolour.png", rgb(opt, band_indices(FALSE_COLOUR)))
    vv, vh = scene.sar[0]
    save_png(img / "s1_date1.png", np.dstack([stretch(vv), stretch(vh), stretch(vv - vh)]))
    mean_db = linear_to_db(db_to_linear(scene.sar.astype(np.float64)).mean(axis=0))
    composite = [stretch(mean_db[0]), stretch(mean_db[1]), stretch(mean_db[0] - mean_db[1])]
    save_png(img / "s1_mean.png", np.dstack(composite))
    save_png(img / "landcover.png", LANDCOVER_COLOURS[scene.landcover])
    save_png(img / "dem.png", stretch(scene.dem), cmap="terrain")
    save_png(img / "radar_geometry.png", scene.radar_geometry / 2.0, cmap="magma")
    classes = _classes(scene)
    refl = {
        c.name.lower(): s2_dn_to_reflectance(opt[:, scene.landcover == c].mean(axis=1))
        for c in classes
    }
    rng = np.random.default_rng(0)
    vv_by_class = {}
    for c in classes:
        vals = vv[scene.landcover == c]
        vv_by_class[c.name.lower()] = rng.choice(vals, size=min(vals.size, 5000), replace=False)
    fig = class_profiles_figure(s2_wavelengths(list(S2_BANDS)), refl, vv_by_class)
    save_figure(fig, img / "class_profiles.png")


def speckle_rows(scene: Scene) -> list[list[object]]:
    """ENL of one date and of the temporal mean, on the ratio to the clean backscatter."""
    noisy = db_to_linear(scene.sar.astype(np.float64))
    ratio = noisy / db_to_linear(scene.sar_clean.astype(np.float64))
    one, mean = ratio[0], ratio.mean(axis=0)
    return [
        [pol, enl(one[p]), enl(mean[p]), enl(mean[p]) / enl(one[p])]
        for p, pol in enumerate(("VV", "VH"))
    ]


def stage_scene(ctx: DemoContext) -> list[Section]:
    """Generate and write the scene; quicklooks, class statistics and speckle."""
    scene = generate_scene(height=ctx.size, width=ctx.size, seed=ctx.seed, dates=4)
    ctx.scene = scene
    write_scene(scene, ctx.out / "scene")
    scene_quicklooks(scene, ctx.img)
    names = {int(c): c.name.lower() for c in _classes(scene)}
    opt = scene.optical
    rows = class_statistics(scene.landcover, names, scene.sar[0], opt[NIR], opt[RED])
    enl_rows = speckle_rows(scene)
    ctx.results["enl"] = enl_rows
    g, n = scene.grid, scene.config.dates
    text = (
        f"{g.width} x {g.height} pixels at {g.res[0]:g} m in {g.crs}, seed {ctx.seed}; "
        f"{len(scene.buildings)} buildings and {len(scene.roads)} roads as vectors; "
        f"{n} Sentinel-1 dates with {scene.config.looks:g}-look speckle. Files in scene/."
    )
    return [
        Section(
            "Generated scene",
            paragraphs=[text],
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
    scene = ctx.require_scene("stage_clouds")
    coverage = 0.3
    cloudy, mask = add_clouds(scene.optical, coverage, ctx.seed)
    write_raster(ctx.out / "clouds" / "s2_cloudy.tif", Raster(cloudy, scene.grid, 0, S2_BANDS))
    write_raster(
        ctx.out / "clouds" / "cloud_mask.tif",
        Raster(mask.astype(np.uint8), scene.grid, None, ("cloud_mask",)),
    )
    save_png(ctx.img / "s2_cloudy.png", rgb(cloudy, band_indices(TRUE_COLOUR)))
    save_png(ctx.img / "cloud_mask.png", mask.astype(np.float32), cmap="gray")
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
