"""Build the multimodal database: S1 + S2 + DEM + OSM on one grid, tiled and catalogued.

Paper: Colin Koeniguer et al., "DREAM: a multimodal database of SAR and optical images with
elevation and OpenStreetMap", IGARSS 2021. One module per job:

1. :mod:`saropt.database.plan`: :func:`plan_database` resolves the target grid, crops it to
   the footprint every input covers, lays out tiles and assigns them to train/val/test by
   spatial blocks. The plan is saved as ``database.json``.
2. :mod:`saropt.database.tile`: :func:`build_tile` reads every input onto one tile's grid,
   writes one GeoTIFF per modality atomically and its :class:`TileRecord` (``tile.json``)
   last.
3. This module: :func:`build_database` runs the tiles (on processes with ``workers``),
   skipping finished ones, so a rerun after a crash resumes.
4. :mod:`saropt.database.register` (optional): a pass over the built tiles (registration
   of each tile's optical image onto its SAR mean), resumable as well.
5. :mod:`saropt.database.catalog`: ``index.csv`` and the STAC catalog.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from saropt.database.catalog import INDEX_COLUMNS, write_index, write_stac
from saropt.database.osm_layers import OsmClass, ProjectedOsm, merge_projected, project_osm
from saropt.database.plan import (
    ASSETS,
    PLAN_NAME,
    BuildConfig,
    DatabaseInputs,
    DatabasePlan,
    TilePlan,
    plan_database,
)
from saropt.database.register import TilePass, run_tile_pass
from saropt.database.splits import SPLITS, assign_splits
from saropt.database.tile import TileRecord, build_tile, load_record
from saropt.errors import AllNodataError, ConfigError, JobsFailedError
from saropt.io.atomic import check_writable, write_text_atomic
from saropt.io.cluster import JobResult, Scheduler, die_with_parent, parse_scheduler, run_jobs
from saropt.io.osm import read_osm

__all__ = [
    "ASSETS",
    "INDEX_COLUMNS",
    "SPLITS",
    "BuildConfig",
    "DatabaseInputs",
    "DatabasePlan",
    "OsmClass",
    "TilePass",
    "TileRecord",
    "assign_splits",
    "build_database",
    "build_tile",
    "plan_database",
    "write_index",
    "write_stac",
]


def _check_same_plan(out: Path, summary: dict[str, Any]) -> None:
    saved = out / PLAN_NAME
    if not saved.exists():
        return
    try:
        previous = json.loads(saved.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"'{saved}' is damaged ({exc}); delete it and rerun: tiles "
                          "whose files match their tile.json are kept") from None  # fmt: skip
    # a setting added after the database was built held its default then (sar_units: "db")
    defaults = {k: v for k, v in asdict(BuildConfig()).items() if k not in previous["config"]}
    previous["config"] = {**json.loads(json.dumps(defaults, default=str)), **previous["config"]}
    keys = ("grid", "inputs", "config")
    if any(previous.get(k) != json.loads(json.dumps(summary[k])) for k in keys):
        raise ConfigError(
            f"'{out}' holds a database built from other inputs or settings; build into "
            "a new folder (or delete this one) to start over"
        )


def _tile_job(
    plan: DatabasePlan, osm: ProjectedOsm | None, out: Path, tile: TilePlan
) -> TileRecord:
    """One tile as a job of :func:`saropt.io.cluster.run_jobs` (shared arguments first)."""
    return build_tile(plan, osm, tile, out)


def run_tiles(
    plan: DatabasePlan, osm: ProjectedOsm | None, tiles: Sequence[TilePlan], out: Path,
    workers: int = 1, *, scheduler: Scheduler | str | None = None, client: Any = None,
    retries: int = 2,
) -> Iterator[JobResult]:  # fmt: skip
    """Build ``tiles`` and yield each tile's :class:`JobResult` (its record, or its error
    after ``retries`` further attempts) as it finishes.

    Tiles run on a Dask cluster (``scheduler`` "local:N" or an address, or ``client``),
    else on ``workers`` processes of this machine, else in this process. The plan and
    OSM features travel to each Dask worker once, and to each local process once per
    chunk of tiles, not once per tile.
    """
    spec = scheduler if isinstance(scheduler, Scheduler) else parse_scheduler(scheduler)
    jobs = [(t.id, (t,)) for t in tiles]
    if client is not None or not spec.in_process or workers <= 1 or len(tiles) <= 1:
        yield from run_jobs(_tile_job, jobs, shared=(plan, osm, out), scheduler=spec,
                            client=client, retries=retries)  # fmt: skip
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    job = functools.partial(_one_tile, plan, osm, out, retries)
    chunk = max(1, len(tiles) // (4 * workers))
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=die_with_parent,
        initargs=(os.getpid(),),  # a kill -9 of this process takes its workers along
    )  # fmt: skip
    with pool:
        yield from pool.map(job, tiles, chunksize=chunk)


def _one_tile(
    plan: DatabasePlan, osm: ProjectedOsm | None, out: Path, retries: int, tile: TilePlan
) -> JobResult:
    """A tile built in a local worker process, with its retries there."""
    return next(run_jobs(_tile_job, [(tile.id, (tile,))], shared=(plan, osm, out),
                         retries=retries))  # fmt: skip


def _project_osm(plan: DatabasePlan) -> ProjectedOsm | None:
    """Every OSM input read, projected onto the grid's CRS and merged (None without any)."""
    if not plan.inputs.osm:
        return None
    crs, res = str(plan.grid.crs), plan.grid.res[0]
    return merge_projected([project_osm(read_osm(p), crs, res) for p in plan.inputs.osm])


def _build_missing(
    plan: DatabasePlan, osm: ProjectedOsm | None, out: Path, records: dict[str, TileRecord],
    progress: Callable[[int, int], None] | None, **where: Any,
) -> None:  # fmt: skip
    """Build the plan's tiles that ``records`` lacks, adding their records to it.

    Raises:
        JobsFailedError: Tiles that failed after their retries (the others are built).
    """
    todo = [t for t in plan.tiles if t.id not in records]
    total = len(plan.tiles)
    if progress:
        progress(len(records), total)
    failed: dict[str, str] = {}
    for result in run_tiles(plan, osm, todo, out, **where):
        if result.ok:
            records[result.key] = result.value
        else:
            failed[result.key] = str(result.error)
        if progress:
            progress(len(records), total)
    if failed:
        raise JobsFailedError("tiles", failed)


def _discard(out: Path, plan: DatabasePlan, fresh: bool) -> None:
    """Remove what an empty build wrote: the tiles' folders, and the plan if this run made
    it (then the folder too, when nothing else is left in it)."""
    import shutil

    for t in plan.tiles:
        shutil.rmtree(out / "tiles" / t.id, ignore_errors=True)
    if fresh:
        (out / PLAN_NAME).unlink(missing_ok=True)
    for folder in (out / "tiles", out):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


def build_database(
    inputs: DatabaseInputs, out: str | Path, config: BuildConfig | None = None, *,
    workers: int = 1, scheduler: Scheduler | str | None = None, client: Any = None,
    retries: int = 2, progress: Callable[[int, int], None] | None = None,
    register: TilePass | None = None, register_progress: Callable[[int, int], None] | None = None,
) -> list[TileRecord]:  # fmt: skip
    """Build (or resume) a database in ``out``.

    Args:
        inputs: The rasters and vectors.
        out: Output folder; a rerun with the same inputs and settings skips finished tiles.
        config: Build settings.
        workers: Processes of this machine building tiles in parallel (1: in this
            process); ignored when a Dask ``scheduler`` or ``client`` is given.
        scheduler: A Dask cluster, one task per tile: "local:N" or a scheduler's address
            (:mod:`saropt.io.cluster`), or a ``client`` to use as it is; None builds here.
        retries: Further attempts of a tile whose build raised before it is reported.
        progress: Called with (tiles done, tiles in total) after each tile.
        register: A pass run on every built tile after the build, in this process
            (:class:`saropt.inference.register_tiles.TileRegistration`: each tile's optical
            image onto its SAR mean); tiles that hold its result are skipped.
        register_progress: Called with (tiles registered, tiles to register).

    Returns:
        The records of all tiles (built and skipped), in plan order.

    Raises:
        ConfigError: Bad settings, or ``out`` holds a database of other inputs/settings.
        BandCountError, InvalidValueError, AllNodataError: Bad inputs; or no tile built.
        JobsFailedError: Tiles that failed after their retries, by id; the others are
            built, the index and catalog are not written, and a rerun retries those.
    """
    cfg = config or BuildConfig()
    spec = scheduler if isinstance(scheduler, Scheduler) else parse_scheduler(scheduler)
    key = register.key() if register is not None else {}  # bad weights fail before work
    out = check_writable(out)
    plan = plan_database(inputs, cfg)
    summary = plan.summary()
    _check_same_plan(out, summary)
    if register is not None:
        register.check(plan)
    osm = _project_osm(plan)  # a bad OSM file stops here, before anything is written
    fresh = not (out / PLAN_NAME).exists()
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / PLAN_NAME, json.dumps(summary, indent=2))
    records = {t.id: rec for t in plan.tiles if (rec := load_record(out, t)) is not None}
    _build_missing(plan, osm, out, records, progress, workers=workers, scheduler=spec,
                   client=client, retries=retries)  # fmt: skip
    if not any(r.status == "built" for r in records.values()):
        _discard(out, plan, fresh)
        raise AllNodataError(f"no tile holds {cfg.min_valid:.0%} valid pixels in every "
                             "modality, so the database would be empty; check the inputs' "
                             "nodata and footprints, or lower --min-valid")  # fmt: skip
    if register is not None:
        in_order = [records[t.id] for t in plan.tiles]
        records.update(run_tile_pass(out, in_order, register, key, register_progress))
    ordered = [records[t.id] for t in plan.tiles]
    write_index(out, ordered)
    write_stac(out, plan, ordered)
    return ordered
