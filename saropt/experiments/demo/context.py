"""What the demo's stages share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from saropt.report import Section
from saropt.synth import Scene


@dataclass
class DemoContext:
    """The output folder, size and seed, and what earlier stages produced.

    Attributes:
        quick: Test-sized demos (under 512 px) only exercise the pipeline: their stages
            train for an epoch or two instead of the README's tiny setups.
    """

    out: Path
    size: int
    seed: int
    scene: Scene | None = None
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def quick(self) -> bool:
        return self.size < 512

    @property
    def img(self) -> Path:
        """Where the report's images go."""
        return self.out / "img"

    def require_scene(self, stage: str) -> Scene:
        """The generated scene, which the first stage makes."""
        if self.scene is None:
            raise RuntimeError(f"{stage} needs the scene stage first")
        return self.scene


#: A stage: report sections from the context.
Stage = Callable[[DemoContext], list[Section]]
