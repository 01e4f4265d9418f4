"""What the experiment configs and train functions share."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Self, TypeVar

import numpy as np
import yaml

from saropt.errors import ConfigError
from saropt.io.sentinel import S2_BANDS
from saropt.synth import generate_scene

C = TypeVar("C")


def config_from_yaml(cls: type[C], path: str | Path, **overrides: Any) -> C:
    """A config dataclass from a YAML file of field values plus overrides.

    Lists become tuples (YAML has no tuples); unknown keys raise.

    Raises:
        ConfigError: A key that is not a field of ``cls``.
    """
    data = yaml.safe_load(Path(path).read_text()) or {}
    data.update(overrides)
    return config_from_dict(cls, data, str(path))


def config_from_dict(cls: type[C], data: dict[str, Any], source: str = "the overrides") -> C:
    """A config dataclass from field values (lists become tuples).

    Raises:
        ConfigError: A key that is not a field of ``cls``.
    """
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"unknown keys {sorted(unknown)} in {source}; {cls.__name__} has {sorted(known)}"
        )
    data = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**data)


def generated_pair(
    size: int, seed: int, bands: tuple[str, ...] = S2_BANDS
) -> tuple[np.ndarray, np.ndarray]:
    """Optical (the named bands) and first-date SAR of a square generated scene.

    Shape:
        returns (len(bands), size, size) uint16 and (2, size, size) float32 dB.
    """
    scene = generate_scene(height=size, width=size, seed=seed, dates=1)
    return scene.optical[[S2_BANDS.index(b) for b in bands]], scene.sar[0]


class YamlConfig:
    """Base of the experiment config dataclasses: read from YAML or from field values."""

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> Self:
        """Read a YAML file of field values plus overrides (unknown keys raise)."""
        return config_from_yaml(cls, path, **overrides)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The defaults with these field values (unknown keys raise)."""
        return config_from_dict(cls, data)
