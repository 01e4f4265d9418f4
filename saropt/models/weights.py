"""Model weights as safetensors, with the model's registry name and arguments in the file.

``save_model`` writes ``NAME.safetensors`` (tensors plus a JSON config in the header's
metadata) and ``NAME.json`` beside it (the same config, for people). ``load_model`` builds
the model from the header and loads the tensors; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from saropt.errors import ConfigError, InputNotFoundError
from saropt.models.registry import create_model

_KEY = "saropt_config"


def save_model(
    model: nn.Module, path: str | Path, name: str, kwargs: dict[str, Any], **extra: Any
) -> Path:
    """Write a model's weights and config.

    Args:
        model: The model.
        path: Output ``.safetensors`` path (the ``.json`` config goes beside it).
        name: Registry name (:func:`create_model`) that rebuilds the model.
        kwargs: Arguments of :func:`create_model`.
        **extra: More JSON-able facts to keep (bands, normalisation, metrics ...).

    Returns:
        The ``.safetensors`` path.
    """
    path = Path(path).with_suffix(".safetensors")
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"model": name, "kwargs": kwargs, **extra}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata={_KEY: json.dumps(config)})
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(config, indent=2))
    return path


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The config stored in a weights file's header.

    Raises:
        InputNotFoundError: No such file.
        ConfigError: Not a saropt safetensors file.
    """
    from safetensors import safe_open

    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"weights file '{p}' does not exist; check the path")
    try:
        with safe_open(str(p), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise ConfigError(f"'{p}' is not a safetensors file ({exc})") from exc
    if _KEY not in meta:
        raise ConfigError(f"'{p}' holds no saropt config; was it written by save_model?")
    config: dict[str, Any] = json.loads(meta[_KEY])
    return config


def load_model(
    path: str | os.PathLike[str], *, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from a weights file; returns (model in eval mode, config).

    The model is built on the meta device (no memory and no random initialisation, which
    for the 168 M-weight generator took longer than reading the file) and takes the file's
    tensors; a model whose state is not all in the file (a tensor left on meta) is refused.
    """
    config = read_config(path)
    with torch.device("meta"):
        model = create_model(config["model"], **config["kwargs"])
    model.load_state_dict(load_file(str(path), device=str(device)), assign=True)
    left = [n for n, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:
        raise ConfigError(f"'{path}' lacks {', '.join(left[:5])}: not saved by save_model?")
    return model.to(device).eval(), config
