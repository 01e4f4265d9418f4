"""Passes over a database's finished tiles, and what a registration pass records.

A tile pass adds assets to built tiles after the build (``saropt db build --register``:
:class:`saropt.inference.register_tiles.TileRegistration` registers each tile's optical
image onto its SAR mean). The database layer only runs the pass and keeps its bookkeeping,
so it never imports the inference code the pass uses:

* a pass has a ``key`` (what identifies its result: method, weights checksum, settings); a
  tile whose ``tile.json`` records the same key under ``registration`` is skipped, so a
  database built earlier can be registered later, and other weights redo every tile;
* the pass writes its assets atomically and :func:`run_tile_pass` rewrites ``tile.json``
  last, so a killed pass resumes where it stopped.

The flow statistics (:data:`FLOW_STATS`) go into ``tile.json``, ``index.csv`` (``flow_*``
columns) and the STAC items.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from saropt.database.plan import TILE_RECORD, DatabasePlan
from saropt.database.tile import TileRecord
from saropt.io.atomic import file_sha256, write_text_atomic

#: The flow statistics a registered tile records (pixels): mean dx, mean dy, mean and 95th
#: percentile of the displacement's length, over pixels valid in the SAR and optical tiles.
FLOW_STATS: tuple[str, ...] = ("dx_mean", "dy_mean", "magnitude_mean", "magnitude_p95")


class TilePass(Protocol):
    """What :func:`saropt.database.build.build_database` needs of a pass over tiles."""

    @property
    def assets(self) -> tuple[str, ...]:
        """The asset names every processed tile has."""
        ...

    def key(self) -> dict[str, Any]:
        """JSON-able identity of the pass's result; raises ConfigError for bad settings."""
        ...

    def check(self, plan: DatabasePlan) -> None:
        """Raise, before any tile is built, when the pass cannot run on this database."""
        ...

    def run(self, out: Path, record: TileRecord) -> tuple[dict[str, Path], dict[str, Any]]:
        """Process one built tile: (asset name -> written file, values to record)."""
        ...


def flow_statistics(flow: np.ndarray, valid: np.ndarray) -> dict[str, float | None]:
    """:data:`FLOW_STATS` of a flow (2, H, W) over ``valid`` pixels (None when none)."""
    ok = valid & np.isfinite(flow).all(axis=0)
    if not ok.any():
        return dict.fromkeys(FLOW_STATS, None)
    dx, dy = flow[0][ok].astype(np.float64), flow[1][ok].astype(np.float64)
    length = np.hypot(dx, dy)
    values = (dx.mean(), dy.mean(), length.mean(), np.percentile(length, 95))
    return {k: round(float(v), 4) for k, v in zip(FLOW_STATS, values, strict=True)}


def needs_pass(record: TileRecord, key: dict[str, Any], assets: Sequence[str] = ()) -> bool:
    """Whether a built tile lacks the result of a pass with ``key`` (or one of its assets)."""
    if record.status != "built":
        return False
    done = record.registration.get("key")
    return json.loads(json.dumps(key)) != done or any(a not in record.assets for a in assets)


def run_tile_pass(
    out: Path,
    records: Sequence[TileRecord],
    tile_pass: TilePass,
    key: dict[str, Any],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, TileRecord]:
    """Run ``tile_pass`` (whose :meth:`~TilePass.key` is ``key``) on every built tile that
    lacks its result; returns the updated records by id. Each tile's ``tile.json`` is
    rewritten after its assets."""
    todo = [r for r in records if needs_pass(r, key, tile_pass.assets)]
    if progress:
        progress(0, len(todo))
    done: dict[str, TileRecord] = {}
    for k, record in enumerate(todo):
        assets, values = tile_pass.run(out, record)
        for name, path in assets.items():
            record.assets[name] = path.relative_to(out).as_posix()
            record.sha256[name] = file_sha256(path)
        record.registration = {"key": json.loads(json.dumps(key)), **values}
        write_text_atomic(out / "tiles" / record.id / TILE_RECORD, record.to_json())
        done[record.id] = record
        if progress:
            progress(k + 1, len(todo))
    return done
