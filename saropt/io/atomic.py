"""Atomic file output: write to a hidden temporary sibling, rename when complete."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from saropt.errors import ConfigError


def file_sha256(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of a file's bytes, read in 1 MiB pieces (flat memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def temporary_sibling(path: Path) -> Path:
    """A hidden, unique temporary name in the same folder as ``path`` (same file system)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; it replaces ``path`` only if the block succeeds.

    On an exception, in the block or in the final rename (``path`` is a directory, say),
    the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def staged_outputs(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a hidden staging folder inside ``folder``; the files written there move into
    ``folder`` when the block succeeds, so a set of outputs appears together; on an
    exception the staging folder is removed and ``folder`` keeps what it had."""
    import shutil

    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    stage = target / f".staging-{uuid.uuid4().hex[:12]}"
    stage.mkdir()
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, target / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def check_output(output: str | os.PathLike[str], inputs: Iterable[object]) -> Path:
    """Refuse an output path that would destroy an input or cannot be a file.

    Every whole-scene command calls this before any work, so ``--out`` equal to an input
    (which the atomic rename would silently replace) or to an existing directory stops
    with one line instead of a lost input or a half-written result.

    Args:
        inputs: The command's input paths (``None`` entries are skipped).

    Raises:
        ConfigError: ``output`` is an existing directory, or the same file as an input,
            or its folder cannot be written.
    """
    out = Path(output)
    if out.is_dir():
        raise ConfigError(f"output {out} is a directory; give a file path, e.g. {out / 'out.tif'}")
    check_writable(out.parent)
    for item in inputs:
        if item is None:
            continue
        src = Path(str(item))
        same = out.resolve() == src.resolve()
        if not same and out.exists() and src.exists():
            same = os.path.samefile(out, src)  # hard links, bind mounts
        if same:
            raise ConfigError(
                f"output {out} is also an input ({src}); writing it would destroy the input: "
                "choose another output path"
            )
    return out


def check_writable(folder: str | os.PathLike[str]) -> Path:
    """Refuse a folder that is a file or that this user cannot create files in (the
    nearest existing ancestor is judged when it does not exist yet).

    Raises:
        ConfigError: Not a folder, or not writable.
    """
    target = Path(folder)
    probe = target
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{probe} is a file, so {target} cannot be an output folder; "
                          "choose another path")  # fmt: skip
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write to {probe} (permission denied); choose an output "
                          "folder you can write to")  # fmt: skip
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write a text file (UTF-8) atomically."""
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write a binary file atomically."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)
