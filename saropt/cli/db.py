"""`saropt db`: build and inspect the multimodal database."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from saropt.cli.common import (
    CogOption,
    DeviceOption,
    RetriesOption,
    SchedulerOption,
    console,
    friendly_errors,
    progress_bar,
)

if TYPE_CHECKING:
    from saropt.database.build import BuildConfig, DatabaseInputs
    from saropt.database.tile import TileRecord
    from saropt.inference.register_tiles import TileRegistration

db_app = typer.Typer(
    help="Build and inspect the multimodal (DREAM) database.", no_args_is_help=True
)


@db_app.command("build")
@friendly_errors
def build(
    out: Annotated[Path, typer.Option("--out", help="Database folder (created or resumed).")],
    s1: Annotated[
        list[Path] | None,
        typer.Option(
            help="SAR raster (Sentinel-1 VV/VH dB, or any bands: see --sar-units); "
            "repeat for dates."
        ),
    ] = None,
    s2: Annotated[
        list[Path] | None,
        typer.Option(help="Optical raster (Sentinel-2, aerial); repeat to choose."),
    ] = None,
    stac: Annotated[
        Path | None,
        typer.Option(
            help="STAC ItemCollection/catalog/item on disk whose assets (s1 or sar, s2 or "
            "optical, dem, osm, s2_cloud_mask) add inputs; hrefs must be local paths."
        ),
    ] = None,
    dem: Annotated[
        list[Path] | None, typer.Option(help="DEM raster, any CRS; repeat to mosaic.")
    ] = None,
    osm: Annotated[
        list[Path] | None, typer.Option(help="OpenStreetMap .osm.pbf or GeoJSON; repeatable.")
    ] = None,
    s2_cloud_mask: Annotated[
        list[Path] | None,
        typer.Option(help="Cloud mask per --s2 (same order): the least cloudy S2 is used."),
    ] = None,
    tile_size: Annotated[int, typer.Option(help="Tile side in pixels.", min=16)] = 1024,
    overlap: Annotated[int, typer.Option(help="Tile overlap in pixels.", min=0)] = 0,
    min_valid: Annotated[
        float, typer.Option(help="Skip tiles with less valid.", min=0, max=1)
    ] = 0.5,
    split_block: Annotated[int, typer.Option(help="Split block side in tiles.", min=1)] = 2,
    seed: Annotated[int, typer.Option(help="Seed of the split assignment.")] = 0,
    crs: Annotated[str | None, typer.Option(help="Target CRS (default: the S2 CRS).")] = None,
    resolution: Annotated[float | None, typer.Option(help="Target pixel size.")] = None,
    grid_from: Annotated[Path | None, typer.Option(help="Take the grid from this raster.")] = None,
    lee: Annotated[int, typer.Option(help="Lee filter window for the S1 mean (0: off).")] = 0,
    workers: Annotated[int, typer.Option(help="Tiles built in parallel.", min=1)] = 1,
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
    cog: CogOption = False,
    date: Annotated[str, typer.Option(help="STAC item date.")] = "2000-01-01T00:00:00Z",
    sar_units: Annotated[
        str, typer.Option(help="How --s1 stores backscatter: db, power or amplitude (Pauli).")
    ] = "db",
    register: Annotated[
        Path | None,
        typer.Option(
            help="Register each tile's optical image onto its SAR mean with this "
            "registration.safetensors (saropt train registration)."
        ),
    ] = None,
    register_method: Annotated[
        str | None,
        typer.Option(
            help="Registration method: pwc (default with --register), phase, gefolki or zero."
        ),
    ] = None,
    device: DeviceOption = "cpu",
) -> None:
    """Put S1, S2, DEM and OSM on one grid, tile, split and catalogue them (resumable)."""
    from saropt.database.build import BuildConfig
    from saropt.inference.register_tiles import TileRegistration

    inputs = _inputs(s1, s2, dem, osm, s2_cloud_mask, stac)
    config = BuildConfig(
        tile_size=tile_size, overlap=overlap, min_valid=min_valid, split_block=split_block,
        seed=seed, crs=crs, resolution=resolution, grid_from=grid_from, lee_size=lee, date=date,
        sar_units=sar_units,  # type: ignore[arg-type]  # checked by plan_database
        cog=cog,
    )  # fmt: skip
    method = register_method or ("pwc" if register is not None else None)
    spec = None if method is None else TileRegistration(method, register, device=device)
    where = {"workers": workers, "scheduler": scheduler, "retries": retries}
    _build_with_progress(inputs, out, config, spec, where)


def _inputs(
    s1: list[Path] | None, s2: list[Path] | None, dem: list[Path] | None,
    osm: list[Path] | None, masks: list[Path] | None, stac: Path | None,
) -> DatabaseInputs:  # fmt: skip
    """The database's inputs from the options and, with ``--stac``, its items."""
    from saropt.database.build import DatabaseInputs
    from saropt.errors import ConfigError

    inputs = DatabaseInputs(
        s1=tuple(s1 or ()), s2=tuple(s2 or ()), dem=tuple(dem or ()), osm=tuple(osm or ()),
        s2_cloud_masks=tuple(masks or ()),
    )  # fmt: skip
    if stac is not None:
        inputs = DatabaseInputs.from_stac(stac, extra=inputs)
    if not inputs.s1 or not inputs.s2:
        raise ConfigError("saropt db build needs SAR and optical inputs: --s1 and --s2, or a "
                          "--stac file whose items hold s1 and s2 assets")  # fmt: skip
    return inputs


def _build_with_progress(
    inputs: DatabaseInputs, out: Path, config: BuildConfig, spec: TileRegistration | None,
    where: dict[str, Any],
) -> None:  # fmt: skip
    """Build (and register) with progress bars, then print the summary."""
    from saropt.database.build import build_database

    t0 = time.perf_counter()
    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)

        def show(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        reg_task = bar.add_task("registering", total=None, visible=spec is not None)

        def show_reg(done: int, total: int) -> None:
            bar.update(reg_task, completed=done, total=total)

        records = build_database(inputs, out, config, progress=show, register=spec,
                                 register_progress=show_reg, **where)  # fmt: skip
    built = sum(r.status == "built" for r in records)
    console.print(
        f"{built} tiles built, {len(records) - built} skipped (valid < {config.min_valid}) in "
        f"{time.perf_counter() - t0:.1f} s: {out}/index.csv, {out}/stac/catalog.json"
    )
    if spec is not None:
        _print_registration(spec.method, records)


def _print_registration(method: str, records: list[TileRecord]) -> None:
    moved = [r.registration["magnitude_mean"] for r in records
             if r.registration.get("magnitude_mean") is not None]  # fmt: skip
    if moved:
        console.print(f"registered with {method}: mean displacement "
                      f"{sum(moved) / len(moved):.2f} px over {len(moved)} tiles "
                      "(per tile: flow_* columns of index.csv)")  # fmt: skip


@db_app.command("info")
@friendly_errors
def info(
    db: Annotated[Path, typer.Argument(help="Database folder.")],
    quicklook: Annotated[
        Path | None, typer.Option(help="Mosaic PNG to write (default: DB/quicklook.png).")
    ] = None,
) -> None:
    """Summarise a database and write a quicklook mosaic with split outlines."""
    from saropt.database.info import quicklook_mosaic, summarise
    from saropt.report import save_png

    s = summarise(db)
    g = s["grid"]
    table = Table(show_header=False, box=None)
    table.add_row(
        "[bold]grid", f"{g['width']} x {g['height']} px, {g['crs']}, {s['resolution']:g} m"
    )
    table.add_row("[bold]tiles", f"{s['tiles_built']} built of {s['tiles_planned']} planned")
    table.add_row("[bold]dropped", f"{s['tiles_excluded_for_split_overlap']} (overlap other split)")
    split_text = ", ".join(f"{k} {v}" for k, v in s["per_split"].items())
    table.add_row("[bold]splits", split_text)
    table.add_row("[bold]modalities", ", ".join(s["modalities"]))
    table.add_row("[bold]valid", f"{100 * s['mean_valid_fraction']:.1f} % on average")
    console.print(table)
    path = quicklook or Path(db) / "quicklook.png"
    save_png(path, quicklook_mosaic(db))
    console.print(f"quicklook: {path}")
