"""Model weights as safetensors, with the model's registry name and arguments in the file.

``save_model`` writes ``NAME.safetensors`` (tensors plus a JSON config in the header's
metadata) and ``NAME.json`` beside it (the same config, for people). ``load_model`` builds
the model from the header and loads the tensors; nothing is unpickled.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from saropt.errors import ConfigError, InputNotFoundError, WeightsError
from saropt.io.atomic import write_text_atomic
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
    os.chmod(tmp, _new_file_mode(path.parent))  # as any file the user writes, not 0600
    tmp.replace(path)
    write_text_atomic(path.with_suffix(".json"), json.dumps(config, indent=2))
    return path


def _new_file_mode(folder: Path) -> int:
    """The mode a file this process creates in ``folder`` gets (the umask applied), found
    by creating one: changing the umask to read it would race other threads."""
    probe = folder / f".mode-{uuid.uuid4().hex[:12]}"
    fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        return os.fstat(fd).st_mode & 0o777
    finally:
        os.close(fd)
        probe.unlink()


def read_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The config stored in a weights file's header, checked for shape: a JSON object with
    the registry name (``model``, a string) and its arguments (``kwargs``, an object).

    Raises:
        InputNotFoundError: No such file.
        WeightsError: Not a safetensors file, or a header saropt did not write.
    """
    p = Path(path)
    if not p.exists():
        raise InputNotFoundError(f"weights file '{p}' does not exist; check the path")
    if p.is_dir():
        raise WeightsError(f"'{p}' is a folder; give the .safetensors file inside it")
    try:
        with safe_open(str(p), framework="pt") as f:
            meta = f.metadata() or {}
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"'{p}' is not a safetensors file ({exc})") from exc
    if _KEY not in meta:
        raise WeightsError(f"'{p}' holds no saropt config; was it written by save_model?")
    try:
        config = json.loads(meta[_KEY])
    except ValueError as exc:
        raise WeightsError(f"'{p}': its saropt config is not valid JSON ({exc})") from exc
    ok = isinstance(config, dict) and isinstance(config.get("model"), str)
    if not ok or not isinstance(config.get("kwargs"), dict):
        raise WeightsError(f"'{p}': its saropt config needs a model name and its kwargs; "
                           "the file was not written by save_model")  # fmt: skip
    return config


def _build_on_meta(config: dict[str, Any], path: Path) -> nn.Module:
    """The model the header names, built without memory; bad arguments are the file's fault."""
    try:
        with torch.device("meta"):
            return create_model(config["model"], **config["kwargs"])
    except ConfigError as exc:
        raise WeightsError(f"'{path}': {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError, RuntimeError) as exc:
        raise WeightsError(
            f"'{path}': its header's arguments do not build a "
            f"{config['model']} ({type(exc).__name__}: {exc})"
        ) from None


def _check_tensors(model: nn.Module, path: Path) -> None:
    """Refuse a file whose tensor index (names, shapes, dtypes, read without reading any
    tensor) is not exactly the model's state."""
    want = {k: (tuple(v.shape), v.dtype) for k, v in model.state_dict().items()}
    with safe_open(str(path), framework="pt") as f:
        have = {k: (tuple(f.get_slice(k).get_shape()), _DTYPES.get(f.get_slice(k).get_dtype()))
                for k in f.keys()}  # fmt: skip
    missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
    wrong = [k for k in set(want) & set(have) if want[k] != have[k]]
    problems = [f"{len(missing)} tensor(s) missing ({', '.join(missing[:3])})"] * bool(missing)
    problems += [f"{len(extra)} unknown tensor(s) ({', '.join(extra[:3])})"] * bool(extra)
    problems += [f"{k} is {have[k]}, the model needs {want[k]}" for k in sorted(wrong)[:3]]
    if problems:
        raise WeightsError(f"'{path}' does not hold the {type(model).__name__} its header "
                           f"describes: {'; '.join(problems)}")  # fmt: skip


_DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16,
           "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
           "BOOL": torch.bool, "U8": torch.uint8}  # fmt: skip


def check_weights(path: str | os.PathLike[str]) -> tuple[dict[str, Any], nn.Module]:
    """Check a weights file without reading its tensors: its header, the model it names
    (built on the meta device, so nothing is allocated) and its tensor index; returns the
    config and that meta model.

    Raises:
        InputNotFoundError: No such file.
        WeightsError: Not saropt weights, or a header and tensors that do not agree.
    """
    config = read_config(path)
    model = _build_on_meta(config, Path(path))
    _check_tensors(model, Path(path))
    return config, model


def load_model(
    path: str | os.PathLike[str], *, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model from a weights file; returns (model in eval mode, config).

    The header is checked before anything is allocated: the model is built on the meta
    device (no memory and no random initialisation, which for the 168 M-weight generator
    took longer than reading the file) and the file's tensor index must match its state
    exactly, names, shapes and dtypes; only then are the tensors read.

    Raises:
        InputNotFoundError: No such file.
        WeightsError: Not saropt weights, or a header and tensors that do not agree.
    """
    config, model = check_weights(path)
    model.load_state_dict(load_file(str(path), device=str(device)), assign=True)
    return model.to(device).eval(), config
