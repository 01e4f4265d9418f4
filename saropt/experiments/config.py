"""Typed experiment configs: YAML in Lightning's sections, checked by jsonargparse.

Every experiment is one dataclass whose fields are sections (``model:``, ``data:``,
``trainer:``, and ``seed_everything``, the names LightningCLI and TorchGeo users know) or
nested experiments. :func:`load_config` reads a YAML file, applies ``key.path=value``
overrides (the one override syntax of every ``saropt ... train`` command), and checks the
result against the dataclass's type hints with jsonargparse, the parser LightningCLI is
built on: a wrong type, an unknown key or a value outside its range (:data:`PositiveInt`...)
is a :class:`~saropt.errors.ConfigError` naming the key, the expected type and the file.
:func:`dump_config` gives the resolved YAML that a run saves beside its outputs.
"""

import dataclasses
import json
import operator
import re
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import yaml
from annotated_types import Ge, Gt, Le, Lt
from jsonargparse import ArgumentParser

from saropt.errors import ConfigError
from saropt.io.atomic import check_writable, write_text_atomic

__all__ = [
    "NonNegativeInt",
    "OpenUnitInterval",
    "PositiveFloat",
    "PositiveInt",
    "TrainerConfig",
    "config_dict",
    "dump_config",
    "load_config",
    "parse_overrides",
    "save_config",
]

# No `from __future__ import annotations` in the modules of config dataclasses: jsonargparse
# drops the Annotated ranges below when it resolves string annotations.

#: Range-checked numbers for config fields (checked by jsonargparse through pydantic).
PositiveInt = Annotated[int, Gt(0)]
NonNegativeInt = Annotated[int, Ge(0)]
PositiveFloat = Annotated[float, Gt(0)]
NonNegativeFloat = Annotated[float, Ge(0)]
UnitInterval = Annotated[float, Ge(0), Le(1)]
OpenUnitInterval = Annotated[float, Gt(0), Lt(1)]

C = TypeVar("C")

#: The file names of the resolved config and the results a run writes beside its outputs.
CONFIG_NAME = "config.yaml"
RESULTS_NAME = "results.json"


@dataclasses.dataclass
class TrainerConfig:
    """The ``trainer:`` section: Lightning Trainer settings saropt exposes.

    Attributes:
        max_epochs: Epochs to train.
        accelerator: Lightning accelerator ("auto": a GPU when one is visible, else CPU).
        precision: Lightning precision: "32-true"; "bf16-mixed" or "16-mixed" (autocast,
            with a gradient scaler for fp16) on a GPU, or on a CPU with native bf16.
        devices: Devices (GPUs, or CPU processes) per node.
        num_nodes: Machines; each runs the same command (torchrun, SLURM's srun), Lightning
            reads its rank from the environment.
        strategy: Lightning strategy: "auto" (one device), "ddp" (one process per device;
            the command is started again for the other ranks), "fsdp", "deepspeed"...
            Only rank 0 writes the run's outputs; every rank checks after training that
            all ranks hold the same weights (``ranks.json``).
    """

    max_epochs: PositiveInt = 1
    accelerator: str = "auto"
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"
    devices: PositiveInt = 1
    num_nodes: PositiveInt = 1
    strategy: str = "auto"


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """``key.path=value`` strings as a dict; values are read as YAML (``3``, ``[a, b]``).

    Raises:
        ConfigError: An item without ``=`` or without a key.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set takes key.path=value, e.g. model.width=8; got {item!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def _apply(data: dict[str, Any], key: str, value: Any) -> None:
    node = data
    *parents, last = key.split(".")
    for p in parents:
        child = node.setdefault(p, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {key}: '{p}' is a value, not a section")
        node = child
    node[last] = value


def _type_name(cls: type, key: str) -> str:
    """The declared type of a dotted key of a config dataclass, for error messages."""
    tp: Any = cls
    for part in key.split("."):
        if not (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
            return "?"
        hints = typing.get_type_hints(tp)
        if part not in hints:
            return "?"
        tp = hints[part]
    if get_origin(tp) is Annotated:
        base, *rules = get_args(tp)
        return f"{base.__name__} ({', '.join(map(str, rules))})"
    if isinstance(tp, type) and tp.__module__ == "builtins":
        return tp.__name__
    return re.sub(r"\b(typing|builtins|jsonargparse\.typing)\.", "", str(tp))


def _origin(key: str, source: str, overrides: Sequence[str]) -> str:
    """Where a key's value came from: the --set that gave it, else the file."""
    given = [o for o in overrides if o.split("=", 1)[0].strip() == key]
    return f"--set {given[-1]}" if given else source


def _message(error: Exception, cls: type, source: str, overrides: Sequence[str] = ()) -> str:
    text = " ".join(str(error).split())
    found = re.search(r'Parser key "config\.([\w.]+)"', text)
    if found:
        key = found.group(1)
        source = _origin(key, source, overrides)
        expected = _type_name(cls, key)
        checked = re.search(r"Input should be (.*?) \[type=.*?input_value=(.*?),", text)
        if checked:
            rule, value = checked.group(1), checked.group(2)
            return f"{key}: expected {expected}, got {value}: should be {rule} (in {source})"
        got = re.search(r"Got value: (.*?)(?:$| - |\s+Given value)", text)
        value = got.group(1) if got else text
        return f"{key}: expected {expected}, got {value} (in {source})"
    unknown = re.search(r"does not accept (?:nested key|option) '?([\w.]+)'?", text)
    if unknown:
        key = unknown.group(1)
        where = _origin(key, source, overrides)
        return f"{key}: unknown key (in {where}); see `--print-config` for the valid keys"
    return f"{text} (in {source})"


def load_config(cls: type[C], path: str | Path | None = None, overrides: Sequence[str] = ()) -> C:
    """A config dataclass from a YAML file (or the defaults) plus ``key.path=value`` overrides.

    Args:
        cls: The experiment's config dataclass.
        path: YAML file of sections; None starts from the defaults.
        overrides: ``--set`` items, applied after the file.

    Raises:
        ConfigError: An unreadable file, an unknown key, a value of the wrong type or out of
            range; the message names the key, the expected type and the file.
    """
    data: dict[str, Any] = {}
    source = "the defaults"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file '{path}' does not exist")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"'{path}' is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"'{path}' must hold sections (a mapping), not {type(data).__name__}")
        source = str(path)
    if overrides:
        source += " with --set " + " ".join(overrides)
        for key, value in parse_overrides(overrides).items():
            _apply(data, key, value)
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(cls, "config")
    try:
        parsed = parser.parse_object({"config": data})
        cfg: C = parser.instantiate(parsed).config
    except Exception as exc:  # jsonargparse's ArgumentError, or a __post_init__ check
        raise ConfigError(_message(exc, cls, source, overrides)) from None
    _check_bounds(cfg, "", lambda key: _origin(key, source, overrides))
    return cfg


def _check_bounds(cfg: Any, prefix: str, where: Callable[[str], str]) -> None:
    """Check every field's ``Annotated`` bounds (Gt, Ge, Lt, Le) again, section by section:
    jsonargparse leaves them unchecked in some dataclasses, and a negative epoch count or a
    batch of 0 must never reach training."""
    hints = typing.get_type_hints(type(cfg), include_extras=True)
    for f in dataclasses.fields(cfg):
        value, key = getattr(cfg, f.name), f"{prefix}{f.name}"
        if dataclasses.is_dataclass(value):
            _check_bounds(value, f"{key}.", where)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            for rule in getattr(hints.get(f.name), "__metadata__", ()):
                for kind, (attr, words, holds) in _BOUNDS.items():
                    bound = getattr(rule, attr, None)
                    if isinstance(rule, kind) and not holds(value, bound):
                        raise ConfigError(f"{key}: got {value}, should be {words} {bound} "
                                          f"(in {where(key)})")  # fmt: skip


#: annotated_types bound -> (its attribute, the words for it, the test it asks for)
_BOUNDS: dict[type, tuple[str, str, Callable[[Any, Any], bool]]] = {
    Gt: ("gt", "greater than", operator.gt), Ge: ("ge", "at least", operator.ge),
    Lt: ("lt", "less than", operator.lt), Le: ("le", "at most", operator.le),
}  # fmt: skip


def config_dict(cfg: Any) -> dict[str, Any]:
    """A config as plain YAML-ready data (tuples become lists)."""

    def plain(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        if isinstance(x, bool) or x is None:
            return x
        for kind in (int, float, str):  # the parser's range-checked subclasses, made plain
            if isinstance(x, kind):
                return kind(x)
        return x

    result: dict[str, Any] = plain(dataclasses.asdict(cfg))
    return result


def dump_config(cfg: Any) -> str:
    """The resolved config as YAML, in the sections it is read from."""
    text: str = yaml.safe_dump(config_dict(cfg), sort_keys=False)
    return text


def save_results(results: dict[str, Any], out: str | Path) -> Path:
    """Write a run's results to ``out/results.json`` (atomically); returns the path."""
    return write_text_atomic(Path(out) / RESULTS_NAME, json.dumps(results, indent=2))


def save_config(cfg: Any, out: str | Path) -> Path:
    """Write the resolved config to ``out/config.yaml`` (atomically); returns the path.

    Raises:
        ConfigError: ``out`` is a file, or a folder this user cannot write to.
    """
    return write_text_atomic(check_writable(out) / CONFIG_NAME, dump_config(cfg))


def finished_results(out: str | Path, cfg: Any) -> dict[str, Any] | None:
    """The results of a run in ``out`` that finished with this very config, else None: how
    a study resumes without training a finished run again."""
    res, conf = Path(out) / RESULTS_NAME, Path(out) / CONFIG_NAME
    if res.exists() and conf.exists() and conf.read_text() == dump_config(cfg):
        loaded: dict[str, Any] = json.loads(res.read_text())
        return loaded
    return None


def check_bands(bands: Sequence[str], allowed: Sequence[str], key: str) -> None:
    """Refuse an empty band list, a repeated band or one not in ``allowed`` (in a config's
    ``__post_init__``: :func:`load_config` names the file)."""
    unknown = [b for b in bands if b not in allowed]
    if unknown or not bands or len(set(bands)) != len(bands):
        raise ConfigError(f"{key}: {list(bands)} must be distinct bands of {', '.join(allowed)}"
                          + (f"; unknown: {', '.join(unknown)}" if unknown else ""))  # fmt: skip


def check_patch(patch: int, factor: int, key: str, scene: int | None = None) -> None:
    """Refuse a patch side the network cannot take (not a multiple of ``factor``) or larger
    than the scene it is cut from."""
    if patch % factor:
        raise ConfigError(f"{key}: {patch} is not a multiple of {factor}, which the network "
                          f"needs; use {max(factor, patch // factor * factor)}")  # fmt: skip
    if scene is not None and patch > scene:
        raise ConfigError(f"{key}: {patch} is larger than the scene ({scene})")
