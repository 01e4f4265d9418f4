"""`saropt demo`: every capability run on a generated scene, gathered in one HTML report.

Each stage (one module each) takes the :class:`DemoContext` and returns report sections
built around library calls; a new capability adds its stage to :data:`STAGES`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from saropt import __version__
from saropt.experiments.demo.classification import stage_classification
from saropt.experiments.demo.cloud_removal import stage_cloud_removal
from saropt.experiments.demo.context import DemoContext, Stage
from saropt.experiments.demo.database import stage_database
from saropt.experiments.demo.matching import stage_matching
from saropt.experiments.demo.registration import stage_registration
from saropt.experiments.demo.scene import stage_clouds, stage_scene
from saropt.experiments.demo.urban import stage_urban
from saropt.report import Section, write_report

__all__ = ["STAGES", "DemoContext", "Stage", "run_demo"]

#: The demo's stages in order: (name, function).
STAGES: list[tuple[str, Stage]] = [
    ("generated scene", stage_scene),
    ("clouds and haze", stage_clouds),
    ("multimodal database", stage_database),
    ("cloud removal", stage_cloud_removal),
    ("matching", stage_matching),
    ("cross-modal classification", stage_classification),
    ("urban mapping", stage_urban),
    ("dense registration", stage_registration),
]


def run_demo(
    out: str | Path,
    *,
    size: int = 1024,
    seed: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Run every stage and write ``out/report.html``; returns the report's path.

    Args:
        out: Output folder.
        size: Scene side in pixels (under 512: a quick run that only exercises the stages).
        seed: Seed of the scene and every training.
        progress: Called as ``progress(stage name, stages done, stages)`` before each stage
            and once at the end.
    """
    ctx = DemoContext(Path(out), size, seed)
    ctx.out.mkdir(parents=True, exist_ok=True)
    sections: list[Section] = []
    timings: list[list[object]] = []
    t_all = time.perf_counter()
    for i, (name, fn) in enumerate(STAGES):
        if progress:
            progress(name, i, len(STAGES))
        t0 = time.perf_counter()
        sections += fn(ctx)
        timings.append([name, time.perf_counter() - t0])
    if progress:
        progress("done", len(STAGES), len(STAGES))
    timings.append(["total", time.perf_counter() - t_all])
    sections.append(Section("Run time", tables=[(("stage", "seconds"), timings)]))
    return write_report(ctx.out / "report.html", f"saropt {__version__} demo", sections)
