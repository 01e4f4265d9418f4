"""Whole-scene commands over many scenes: ``saropt batch decloud|translate|classify|...``.

A batch is a list of scenes (a CSV with an ``id`` column and one column per input, or a
STAC ItemCollection/catalog whose assets point to local GeoTIFFs) and the settings of the
single-scene command. Each scene is one job (:func:`saropt.io.cluster.run_jobs`: in this
process, on a LocalCluster, or on a running Dask scheduler); its output
``OUT/<id>.tif`` is written atomically, and ``OUT/manifest.json`` (also written
atomically, every few seconds and at the end) records each scene as done, with its
output's SHA-256, or failed, with the error. A rerun skips the scenes whose output still
has the recorded checksum, so a killed batch resumes; a corrupt scene fails alone.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from saropt.errors import ConfigError, InputNotFoundError
from saropt.inference.runtime import Runtime
from saropt.io.atomic import atomic_output, check_writable, file_sha256, write_text_atomic
from saropt.io.cluster import JobResult, Scheduler, run_jobs
from saropt.io.raster import read_info
from saropt.io.stac import StacScene, pick_assets, read_stac
from saropt.io.write import to_cog
from saropt.models import check_weights

MANIFEST = "manifest.json"
#: The manifest is rewritten at most this often (and at the end): rewriting it after each
#: of a hundred thousand scenes would cost more than the scenes.
MANIFEST_EVERY_S = 5.0


@dataclass(frozen=True)
class Command:
    """A whole-scene command as a batch runs it.

    Attributes:
        inputs: Input name -> the CSV columns / STAC asset keys that may hold it.
        required: Inputs every scene must have.
        any_of: Inputs of which a scene must have at least one (none: no such rule).
    """

    inputs: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    any_of: tuple[str, ...] = ()


COMMANDS: dict[str, Command] = {
    "decloud": Command(
        {"optical": ("optical", "s2"), "sar": ("sar", "s1"), "mask": ("mask", "cloud_mask")},
        required=("optical",),
    ),
    "translate": Command({"source": ("source", "optical", "s2", "sar", "s1")}, ("source",)),
    "classify": Command({"s1": ("s1", "sar"), "s2": ("s2", "optical")}, (), ("s1", "s2")),
    "urban": Command({"s1": ("s1", "sar"), "s2": ("s2", "optical")}, ("s1", "s2")),
    "register": Command(
        {"fixed": ("fixed", "sar", "s1"), "moving": ("moving", "optical", "s2")},
        ("fixed", "moving"),
    ),
}


@dataclass(frozen=True)
class Scene:
    """One scene of a batch: an id (its output's name) and its inputs."""

    id: str
    inputs: dict[str, Path | None]


@dataclass(frozen=True)
class BatchSettings:
    """What every scene of a batch runs with (the single-scene command's options)."""

    weights: Path | None = None
    tile: int = 256
    overlap: int = 32
    batch_size: int = 8
    runtime: Runtime = field(default_factory=Runtime)
    method: str = "pwc"  # register only
    stride: int | None = None  # classify only
    cog: bool = False


def _check_id(scene_id: str, where: str) -> str:
    if not scene_id or any(c in scene_id for c in '/\\:*?"<>|[]') or scene_id.startswith("."):
        raise ConfigError(
            f"{where}: scene id {scene_id!r} cannot name an output file (no slashes, brackets, "
            "colons or leading dots)"
        )
    return scene_id


def _check_scene(scene: Scene, command: Command, where: str) -> Scene:
    missing = [n for n in command.required if scene.inputs.get(n) is None]
    if command.any_of and all(scene.inputs.get(n) is None for n in command.any_of):
        missing.append(" or ".join(command.any_of))
    if missing:
        raise ConfigError(f"{where}: scene {scene.id!r} has no {', '.join(missing)}")
    return scene


def read_scenes(path: str | Path, command: str) -> list[Scene]:
    """The scenes of a CSV (``id`` and input columns; relative paths are relative to the
    CSV) or of a STAC file (``.json``: item ids and assets).

    Raises:
        InputNotFoundError: No such list.
        ConfigError: Unknown command, a missing input or column, duplicate or bad ids.
    """
    if command not in COMMANDS:
        raise ConfigError(f"batch command must be one of {', '.join(COMMANDS)}; got {command!r}")
    cmd = COMMANDS[command]
    path = Path(path)
    if not path.is_file():
        raise InputNotFoundError(f"scene list {path} does not exist")
    if path.suffix.lower() in (".json", ".geojson"):
        scenes = [_from_stac(s, cmd) for s in read_stac(path)]
    else:
        scenes = _from_csv(path, cmd)
    if not scenes:
        raise ConfigError(f"{path} lists no scenes")
    seen: set[str] = set()
    for s in scenes:
        if s.id in seen:
            raise ConfigError(f"{path}: scene id {s.id!r} appears twice; ids name the outputs")
        seen.add(s.id)
    return scenes


def _from_stac(item: StacScene, cmd: Command) -> Scene:
    inputs = pick_assets(item, cmd.inputs, cmd.required)
    return _check_scene(Scene(_check_id(item.id, "STAC"), inputs), cmd, "STAC")


def _from_csv(path: Path, cmd: Command) -> list[Scene]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{path} is not a CSV scene list ({exc})") from None
    if not rows:
        raise ConfigError(f"{path} lists no scene: give a header row (id, inputs) and a row "
                          "per scene")  # fmt: skip
    columns = set(rows[0])
    if "id" not in columns:
        raise ConfigError(f"{path} needs an 'id' column (the name of each scene's output)")
    scenes = []
    for n, row in enumerate(rows, start=2):
        inputs: dict[str, Path | None] = {}
        for name, keys in cmd.inputs.items():
            value = next((row[k] for k in keys if row.get(k)), "")
            inputs[name] = (path.parent / value.strip()) if value.strip() else None
        where = f"{path}, line {n}"
        scenes.append(_check_scene(Scene(_check_id(row["id"].strip(), where), inputs), cmd, where))
    return scenes


@dataclass
class SceneRecord:
    """A scene's line in ``manifest.json``."""

    status: str  # "done" or "failed"
    output: str | None = None
    sha256: str | None = None
    pixels: int = 0
    seconds: float = 0.0
    error: str | None = None


def load_manifest(out: Path) -> dict[str, SceneRecord]:
    """The scenes a previous run recorded (none when there is no manifest).

    Raises:
        ConfigError: A manifest that cannot be read (saropt writes it atomically).
    """
    path = out / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        return {k: SceneRecord(**v) for k, v in data["scenes"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a saropt batch manifest ({exc}); move it away") from None


def _done(out: Path, record: SceneRecord | None) -> bool:
    if record is None or record.status != "done" or not record.output:
        return False
    path = out / record.output
    return path.is_file() and file_sha256(path) == record.sha256


def _threads_for_worker() -> None:
    """On a Dask worker, torch uses the worker's threads, not every core of the machine."""
    try:
        from distributed import get_worker

        nthreads = get_worker().state.nthreads
    except (ImportError, ValueError):
        return
    import torch

    torch.set_num_threads(max(1, int(nthreads)))


def run_scene(
    command: str, settings: BatchSettings, out: Path, scene: Scene
) -> tuple[str, int, float]:
    """Run one scene; returns (output name, pixels, seconds). A job of :func:`run_batch`."""
    _threads_for_worker()
    t0 = time.perf_counter()
    final = out / f"{scene.id}.tif"
    for stale in out.glob(f".{scene.id}.tif.*.tmp"):  # left by a killed run of this scene
        stale.unlink(missing_ok=True)
    inputs = scene.inputs
    with atomic_output(final) as tmp:
        # the command writes the hidden temporary file (atomically itself); it becomes
        # the output only when the scene (and its COG conversion) is complete
        _COMMANDS[command](inputs, settings, tmp)
        if settings.cog:
            to_cog(tmp)
    grid = read_info(final).grid
    return final.name, grid.height * grid.width, time.perf_counter() - t0


def _decloud(inputs: dict[str, Path | None], s: BatchSettings, dst: Path) -> None:
    from saropt.inference.decloud import decloud_scene
    from saropt.inference.tiled import TiledOptions

    tiling = TiledOptions(s.tile, s.overlap, s.batch_size)
    optical = inputs["optical"]
    assert optical is not None  # a required input (read_scenes checks)
    decloud_scene(optical, inputs["sar"], _weights(s), dst, mask=inputs["mask"], options=tiling,
                  runtime=s.runtime)  # fmt: skip


def _translate(inputs: dict[str, Path | None], s: BatchSettings, dst: Path) -> None:
    from saropt.inference.tiled import TiledOptions
    from saropt.inference.translate import translate_scene

    translate_scene(inputs["source"], _weights(s), dst,  # type: ignore[arg-type]
                    options=TiledOptions(s.tile, s.overlap, s.batch_size),
                    device=s.runtime.device)  # fmt: skip


def _classify(inputs: dict[str, Path | None], s: BatchSettings, dst: Path) -> None:
    from saropt.inference.classify import classify_scene

    classify_scene(inputs["s1"], inputs["s2"], _weights(s), dst, stride=s.stride,
                   runtime=s.runtime)  # fmt: skip


def _urban(inputs: dict[str, Path | None], s: BatchSettings, dst: Path) -> None:
    from saropt.inference.urban import urban_scene

    urban_scene(inputs["s1"], inputs["s2"], _weights(s), dst, tile=s.tile,  # type: ignore[arg-type]
                overlap=s.overlap, batch_size=s.batch_size, runtime=s.runtime)  # fmt: skip


def _register(inputs: dict[str, Path | None], s: BatchSettings, dst: Path) -> None:
    from saropt.inference.register import register_scene

    register_scene(inputs["fixed"], inputs["moving"], dst, method=s.method,  # type: ignore[arg-type]
                   weights=s.weights, device=s.runtime.device)  # fmt: skip


def _weights(s: BatchSettings) -> Path:
    if s.weights is None:
        raise ConfigError("this batch command needs --weights")
    return s.weights


_COMMANDS: dict[str, Callable[[dict[str, Path | None], BatchSettings, Path], None]] = {
    "decloud": _decloud,
    "translate": _translate,
    "classify": _classify,
    "urban": _urban,
    "register": _register,
}


@dataclass
class BatchSummary:
    """What a batch run did: scenes done now, skipped (done before) and failed."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _pixels(scene: Scene) -> int:
    first = next(p for p in scene.inputs.values() if p is not None)
    try:
        grid = read_info(first).grid
    except Exception:  # an unreadable scene fails in its own job, with its own error
        return 0
    return grid.height * grid.width


def run_batch(
    command: str,
    scenes: Sequence[Scene],
    out: str | Path,
    settings: BatchSettings,
    *,
    scheduler: Scheduler | str | None = None,
    client: Any = None,
    retries: int = 1,
    progress: Callable[[int, int, int, int], None] | None = None,
) -> BatchSummary:
    """Run ``command`` on every scene not done yet; write outputs and the manifest.

    Args:
        progress: Called with (scenes finished, scenes, pixels finished, pixels) at the
            start and after each scene.

    Returns:
        The summary; failed scenes are in it (and in the manifest), not raised.

    Raises:
        ConfigError: Unknown command, a bad scheduler, or a manifest that cannot be read.
    """
    if command not in COMMANDS:
        raise ConfigError(f"batch command must be one of {', '.join(COMMANDS)}; got {command!r}")
    if settings.weights is not None:  # bad weights stop the batch, not each scene
        check_weights(settings.weights)
    out = check_writable(out)
    out.mkdir(parents=True, exist_ok=True)
    records = load_manifest(out)
    summary = BatchSummary()
    todo = []
    for scene in scenes:
        if _done(out, records.get(scene.id)):
            summary.skipped.append(scene.id)
        else:
            todo.append(scene)
    sizes = {s.id: _pixels(s) for s in scenes}
    counts = [len(summary.skipped), len(scenes), sum(sizes[i] for i in summary.skipped),
              sum(sizes.values())]  # fmt: skip
    if progress:
        progress(*counts)
    try:
        jobs = run_jobs(run_scene, [(s.id, (s,)) for s in todo], shared=(command, settings, out),
                        scheduler=scheduler, client=client, retries=retries)  # fmt: skip
        _record(jobs, out, command, records, summary, sizes, counts, progress)
    finally:
        _write_manifest(out, command, records)
    return summary


def _record(
    jobs: Iterator[JobResult], out: Path, command: str, records: dict[str, SceneRecord],
    summary: BatchSummary, sizes: dict[str, int], counts: list[int],
    progress: Callable[[int, int, int, int], None] | None,
) -> None:  # fmt: skip
    """Record each scene as it finishes; ``counts``: scenes done, scenes, pixels done,
    pixels (updated in place)."""
    written = time.monotonic()
    for result in jobs:
        if result.ok:
            name, pixels, seconds = result.value
            records[result.key] = SceneRecord("done", name, file_sha256(out / name), pixels,
                                              round(seconds, 3))  # fmt: skip
            summary.done.append(result.key)
        else:
            records[result.key] = SceneRecord("failed", error=result.error)
            summary.failed[result.key] = str(result.error)
        counts[0] += 1
        counts[2] += sizes[result.key]
        if time.monotonic() - written >= MANIFEST_EVERY_S:
            # a killed run loses at most these seconds of records: those scenes rerun
            _write_manifest(out, command, records)
            written = time.monotonic()
        if progress:
            progress(*counts)


def _write_manifest(out: Path, command: str, records: dict[str, SceneRecord]) -> None:
    data = {"command": command, "scenes": {k: asdict(v) for k, v in sorted(records.items())}}
    write_text_atomic(out / MANIFEST, json.dumps(data, indent=1))
