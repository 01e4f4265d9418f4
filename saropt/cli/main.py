"""The ``saropt`` command.

Every command turns a :class:`saropt.errors.SaroptError` into one red line on stderr and
exit code 2, without a traceback; outputs are written atomically, so a failed command
leaves nothing behind.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from saropt import __version__
from saropt.cli.batch import batch_app
from saropt.cli.classify import classify
from saropt.cli.cloud import decloud, train_app, translate
from saropt.cli.common import EXIT_BAD_INPUT, console, fail, friendly_errors, set_debug
from saropt.cli.db import db_app
from saropt.cli.match import match_app
from saropt.cli.register import register
from saropt.cli.urban import urban

__all__ = ["EXIT_BAD_INPUT", "app", "main"]

app = typer.Typer(
    name="saropt",
    help="Deep learning on SAR and optical remote-sensing images: GeoTIFF in, GeoTIFF out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db_app, name="db")
app.add_typer(train_app, name="train")
app.add_typer(match_app, name="match")
app.add_typer(batch_app, name="batch")
app.command("decloud")(decloud)
app.command("translate")(translate)
app.command("classify")(classify)
app.command("urban")(urban)
app.command("register")(register)


def _version(value: bool) -> None:
    if value:
        console.print(f"saropt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (SAROPT_DEBUG=1 too).")
    ] = False,
) -> None:
    """saropt: deep learning on SAR and optical remote-sensing images."""
    set_debug(debug)


def _fmt(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.6g}"


@app.command()
@friendly_errors
def info(path: Annotated[Path, typer.Argument(help="Any raster GDAL reads.")]) -> None:
    """Describe a raster: bands, dtype, CRS, resolution, and per-band statistics."""
    from saropt.io.raster import read_info
    from saropt.io.stats import band_statistics

    meta = read_info(path)
    g = meta.grid
    head = Table(show_header=False, box=None)
    rows = [
        ("file", str(path)),
        ("driver", meta.driver),
        ("size", f"{g.width} x {g.height} pixels, {meta.count} band(s)"),
        ("dtype", meta.dtype),
        ("crs", str(g.crs)),
        ("resolution", f"{_fmt(g.res[0])} x {_fmt(g.res[1])}"),
        ("bounds", ", ".join(_fmt(v) for v in g.bounds)),
        ("nodata", str(meta.nodata)),
        ("blocks", f"{meta.block_shape[1]} x {meta.block_shape[0]} pixels"),
        ("compression", str(meta.compression)),
    ]
    for k, v in rows:
        head.add_row(f"[bold]{k}[/]", v)
    console.print(head)
    stats = Table(title="per-band statistics (valid pixels)")
    for col in ("band", "description", "min", "max", "mean", "std", "valid %"):
        stats.add_column(col, justify="right" if col != "description" else "left")
    for s in band_statistics(path):
        stats.add_row(
            str(s.band),
            s.description or "",
            _fmt(s.minimum),
            _fmt(s.maximum),
            _fmt(s.mean),
            _fmt(s.std),
            f"{100.0 * s.valid / s.total:.1f}",
        )
    console.print(stats)


@app.command()
@friendly_errors
def synth(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")],
    size: Annotated[int, typer.Option(help="Width and height in pixels.", min=64)] = 1024,
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same bytes.")] = 0,
    dates: Annotated[int, typer.Option(help="Sentinel-1 acquisitions.", min=1)] = 4,
    looks: Annotated[float, typer.Option(help="Looks of one acquisition.", min=0.1)] = 4.4,
    relief: Annotated[float, typer.Option(help="Terrain relief in metres.", min=0)] = 600.0,
    layout: Annotated[
        str,
        typer.Option(
            help="sentinel: S1 VV/VH dB + S2 at 10 m, DEM, land cover, vectors; "
            "pauli: airborne-style Pauli RGB SAR amplitudes + aerial RGBN uint8 + "
            "DEM at 5 m (build it with saropt db build --sar-units amplitude)."
        ),
    ] = "sentinel",
) -> None:
    """Generate a co-registered SAR/optical scene (Sentinel-like, or airborne Pauli/aerial)."""
    from saropt.errors import ConfigError
    from saropt.synth import generate_scene, write_scene

    if layout not in ("sentinel", "pauli"):
        raise ConfigError(f"unknown layout {layout!r}; choose sentinel or pauli")
    t0 = time.perf_counter()
    res = 5.0 if layout == "pauli" else 10.0
    with console.status("generating scene"):
        scene = generate_scene(height=size, width=size, seed=seed, dates=dates, looks=looks,
                               relief=relief, resolution=res)  # fmt: skip
    if layout == "pauli":
        from saropt.synth.pauli import write_pauli_site

        files = write_pauli_site(scene, out)
        console.print(f"wrote {len(files['sar'])} Pauli SAR dates, aerial.tif and dem.tif "
                      f"(5 m) to {out} in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        return
    with console.status(f"writing {out}"):
        manifest = write_scene(scene, out)
    names = [n for v in manifest["files"].values() for n in (v if isinstance(v, list) else [v])]
    rasters = sum(n.endswith(".tif") for n in names)
    console.print(
        f"wrote {rasters} rasters, {manifest['n_buildings']} buildings and "
        f"{manifest['n_roads']} roads to {out} in {time.perf_counter() - t0:.1f} s"
    )


@app.command()
@friendly_errors
def clouds(
    input: Annotated[Path, typer.Argument(help="Clear optical GeoTIFF.")],
    output: Annotated[Path, typer.Argument(help="Cloudy GeoTIFF to write.")],
    coverage: Annotated[float, typer.Option(help="Cloud fraction.", min=0.0, max=1.0)] = 0.3,
    seed: Annotated[int, typer.Option(help="Seed of the cloud pattern.")] = 0,
    haze: Annotated[float, typer.Option(help="Haze opacity at 443 nm.", min=0.0)] = 0.15,
    bands: Annotated[
        str | None,
        typer.Option(help="Comma-separated Sentinel-2 band names of the input's bands."),
    ] = None,
    probability: Annotated[
        Path | None,
        typer.Option(help="Real cloud-probability raster on the input's grid (0-1 or 0-255)."),
    ] = None,
    mask: Annotated[Path | None, typer.Option(help="Also write the cloud mask here.")] = None,
) -> None:
    """Cloud a clear optical GeoTIFF with Perlin clouds and haze, or a real probability map."""
    import numpy as np

    from saropt.io.atomic import check_output
    from saropt.io.grid import check_same_grid
    from saropt.io.raster import Raster, read_raster
    from saropt.io.write import write_raster
    from saropt.transforms import add_clouds, apply_cloud_probability

    for target in (output, mask):
        if target is not None:
            check_output(target, [input, probability])

    names = [b.strip() for b in bands.split(",")] if bands else None
    clear = read_raster(
        input,
        expect_bands=len(names) if names else None,
        allow_nan=False,
        require_valid=True,
    )
    valid = clear.valid_mask()
    if probability is not None:
        prob = read_raster(probability, expect_bands=1, allow_nan=False)
        check_same_grid(clear.grid, prob.grid, names=(str(input), str(probability)))
        cloudy, cmask = apply_cloud_probability(clear.data, prob.data[0], bands=names)
    else:
        cloudy, cmask = add_clouds(clear.data, coverage, seed, haze=haze, bands=names)
    if clear.nodata is not None:
        cloudy = np.where(valid[None], cloudy, clear.data)  # nodata stays nodata
    write_raster(output, clear.with_data(cloudy))
    if mask is not None:
        write_raster(mask, Raster(cmask.astype(np.uint8), clear.grid, None, ("cloud_mask",)))
    console.print(f"wrote {output}: {100.0 * float(cmask[valid].mean()):.1f} % cloud")


@app.command()
@friendly_errors
def demo(
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("demo_out"),
    size: Annotated[int, typer.Option(help="Scene size in pixels.", min=64)] = 1024,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
) -> None:
    """Run every stage on a generated scene and write an HTML report."""
    from saropt.cli.common import progress_bar
    from saropt.experiments.demo import run_demo

    with progress_bar() as bar:
        task = bar.add_task("demo", total=None)

        def show(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total)

        report = run_demo(out, size=size, seed=seed, progress=show)
    console.print(f"report: {report}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs a command and exits with its code. A usage error
    (an unknown option, a value out of range) is one line too, exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.TyperException as exc:  # click's usage errors, as typer bundles click
        code = int(getattr(exc, "exit_code", EXIT_BAD_INPUT))
        if code:
            try:
                fail(exc, code)
            except typer.Exit:
                pass
    except typer.Abort:
        code = 130
    raise SystemExit(code if isinstance(code, int) else 0)
