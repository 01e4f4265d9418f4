"""Model registry: ``create_model(name, **kwargs)`` and ``list_models()``."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

from torch import nn

from saropt.errors import ConfigError

_REGISTRY: dict[str, Callable[..., nn.Module]] = {}
F = TypeVar("F", bound=Callable[..., nn.Module])


def register(name: str) -> Callable[[F], F]:
    """Decorator registering a model class or factory under ``name``."""

    def wrap(fn: F) -> F:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = fn
        return fn

    return wrap


def list_models() -> list[str]:
    """Names of every registered model, sorted."""
    return sorted(_REGISTRY)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build a registered model.

    Raises:
        ConfigError: Unknown name (the message lists close matches).
    """
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(f"unknown model {name!r}{hint} Known: {', '.join(list_models())}")
    return _REGISTRY[name](**kwargs)
