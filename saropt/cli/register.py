"""``saropt register``, ``saropt train registration`` and ``saropt train registration-study``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from saropt.cli.cloud import train_app
from saropt.cli.common import (
    ConfigOption,
    DeviceOption,
    PrintConfigOption,
    SetOption,
    choice_list,
    console,
    friendly_errors,
    progress_bar,
    resolve_config,
    study_progress,
)


@friendly_errors
def register(
    fixed: Annotated[Path, typer.Option(help="Reference GeoTIFF (SAR: Sentinel-1 VV, VH dB).")],
    moving: Annotated[Path, typer.Option(help="GeoTIFF to register (optical; any bands).")],
    out: Annotated[Path, typer.Option(help="Registered moving image to write (fixed grid).")],
    method: Annotated[
        str, typer.Option(help="pwc (needs --weights), gefolki, phase or zero.")
    ] = "pwc",
    weights: Annotated[Path | None, typer.Option(help="registration.safetensors.")] = None,
    flow: Annotated[Path | None, typer.Option(help="Also write the flow (dx, dy px) here.")] = None,
    apply_flow: Annotated[
        Path | None, typer.Option(help="Apply this flow GeoTIFF instead of estimating one.")
    ] = None,
    tile: Annotated[int, typer.Option(help="Flow tile side (multiple of 64).", min=64)] = 512,
    overlap: Annotated[int, typer.Option(help="Tile overlap in pixels.", min=0)] = 64,
    batch_size: Annotated[int, typer.Option(help="Tiles per model call.", min=1)] = 2,
    device: DeviceOption = "cpu",
) -> None:
    """Register a moving image (optical) onto a fixed one (SAR): dense flow by the learned
    network or a baseline, then the moving image resampled onto the fixed grid."""
    from saropt.inference.register import register_scene

    with progress_bar() as bar:
        task = bar.add_task("registering", total=None)

        def show(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        register_scene(
            fixed, moving, out, method=method, weights=weights, flow_out=flow,
            flow_in=apply_flow, tile=tile, overlap=overlap, batch_size=batch_size,
            device=device, progress=show,
        )  # fmt: skip
    console.print(f"wrote {out}" + (f" and {flow}" if flow and not apply_flow else ""))


def _scores_row(name: str, s: dict[str, float]) -> list[str]:
    return [name, f"{s['epe']:.3f}", f"{100 * s['under_1']:.1f}", f"{100 * s['under_3']:.1f}",
            f"{100 * s['cmr_1']:.0f}", f"{s['seconds']:.3f}"]  # fmt: skip


def comparison_table(table: dict[str, Any]) -> Table:
    """One row per set, amplitude and method."""
    out = Table(title="flow from SAR to deformed optical: mean over pairs")
    for col in ("pairs", "field", "method", "EPE px", "< 1 px %", "< 3 px %", "CMR@1 %",
                "s / pair"):  # fmt: skip
        out.add_column(col, justify="left" if col in ("pairs", "field", "method") else "right")
    for name, by_amp in table.items():
        for amp, by_method in by_amp.items():
            for m, s in by_method.items():
                out.add_row(name, amp, *_scores_row(m, s))
    return out


@train_app.command("registration")
@friendly_errors
def train_registration_cmd(
    out: Annotated[Path, typer.Option(help="Run folder.")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
) -> None:
    """Train PWC-multimodal on synthetic deformations of co-registered SAR-optical pairs."""
    from saropt.experiments.registration import RegistrationConfig, train_registration

    cfg = resolve_config(RegistrationConfig, config, set_, print_config)
    r = train_registration(cfg, out, progress=True)
    n, z = r["network"], r["zero"]
    console.print(f"validation EPE {n['epe']:.3f} px ({100 * n['under_1']:.1f} % under 1 px); "
                  f"zero flow {z['epe']:.3f} px ({100 * z['under_1']:.1f} %)")  # fmt: skip
    console.print(f"weights: {out / 'registration.safetensors'}  results: {out / 'results.json'}")


@train_app.command("registration-study")
@friendly_errors
def registration_study_cmd(
    out: Annotated[Path, typer.Option(help="Study folder (rerun to resume).")],
    config: ConfigOption = None,
    set_: SetOption = None,
    print_config: PrintConfigOption = False,
    bigearthnet: Annotated[
        Path | None, typer.Option(help="Folder of BigEarthNet-MM pairs to test on too.")
    ] = None,
    generated: Annotated[int, typer.Option(help="Generated test scenes.", min=0)] = 4,
    size: Annotated[int, typer.Option(help="Generated test scene side.", min=128)] = 448,
    methods: Annotated[
        str, typer.Option(help="Comma-separated methods.")
    ] = "pwc,gefolki,phase,zero",
) -> None:
    """Train the network, then score it against GeFolki, phase correlation and zero flow on
    generated scenes (and BigEarthNet-MM pairs) deformed by 3 and 6 px fields."""
    from saropt.experiments.registration import RegistrationConfig, run_study
    from saropt.inference.flow import METHODS

    cfg = resolve_config(RegistrationConfig, config, set_, print_config)
    chosen = choice_list(methods, METHODS, "--methods")
    with study_progress() as show:
        study = run_study(cfg, out, generated=generated, size=size, bigearthnet=bigearthnet,
                          methods=chosen, progress=show)  # fmt: skip
    console.print(comparison_table(study["table"]))
    console.print(f"study: {out / 'study.json'}")
