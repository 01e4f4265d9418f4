"""Read a built database back: its plan, its tile index, a summary and a quicklook mosaic."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from saropt.database.plan import INDEX_NAME, PLAN_NAME
from saropt.database.splits import SPLITS
from saropt.errors import ConfigError, InputNotFoundError
from saropt.io.raster import read_decimated
from saropt.io.sentinel import S2_BANDS, TRUE_COLOUR, band_indices

#: Outline colour of each split in the quicklook (RGB in [0, 1]).
SPLIT_COLOURS = {"train": (0.1, 0.6, 1.0), "val": (1.0, 0.75, 0.0), "test": (1.0, 0.2, 0.3)}


def _database_file(db: str | Path, name: str) -> Path:
    path = Path(db) / name
    if not path.exists():
        raise InputNotFoundError(
            f"'{db}' is not a saropt database ({name} missing); build one with `saropt db build`"
        )
    return path


def load_index(db: str | Path) -> list[dict[str, str]]:
    """The rows of a database's ``index.csv``.

    Raises:
        InputNotFoundError: ``db`` is not a built database.
    """
    with _database_file(db, INDEX_NAME).open(newline="") as f:
        return list(csv.DictReader(f))


def load_plan(db: str | Path) -> dict[str, Any]:
    """A database's ``database.json``.

    Raises:
        InputNotFoundError: ``db`` is not a built database.
    """
    path = _database_file(db, PLAN_NAME)
    try:
        plan: dict[str, Any] = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"'{path}' is damaged ({exc}); delete it and rerun `saropt db "
            "build` with the same inputs (built tiles are kept)"
        ) from None
    return plan


def summarise(db: str | Path) -> dict[str, Any]:
    """Grid, settings, tiles per split and modalities of a database."""
    plan = load_plan(db)
    rows = load_index(db)
    per_split = Counter(r["split"] for r in rows)
    assets = [a for a in plan["assets"] if rows and rows[0].get(a)]
    grid = plan["grid"]
    return {
        "grid": grid,
        "resolution": abs(grid["transform"][0]),
        "tiles_planned": plan["tiles"],
        "tiles_built": len(rows),
        "tiles_excluded_for_split_overlap": len(plan["excluded_for_split_overlap"]),
        "per_split": {s: per_split.get(s, 0) for s in SPLITS},
        "modalities": assets,
        "mean_valid_fraction": float(np.mean([float(r["valid_fraction"]) for r in rows]))
        if rows
        else 0.0,
        "config": plan["config"],
    }


def _true_colour(descriptions: tuple[str | None, ...], count: int) -> list[int]:
    """Positions of B04, B03, B02 (or of bands named red, green, blue, as an aerial image
    has): by band name, else in Sentinel-2 order; grey (the first band three times) when
    the image has too few bands."""
    names = tuple(d or "" for d in descriptions)
    if set(TRUE_COLOUR) <= set(names):
        return band_indices(TRUE_COLOUR, names)
    lower = [n.lower() for n in names]
    if {"red", "green", "blue"} <= set(lower):
        return [lower.index(c) for c in ("red", "green", "blue")]
    if count >= 4:
        return band_indices(TRUE_COLOUR, S2_BANDS[:count])
    return [0, 0, 0]


def quicklook_mosaic(db: str | Path, max_size: int = 1024) -> np.ndarray:
    """True-colour mosaic of every built tile's Sentinel-2 with split-coloured outlines.

    Bands 4, 3, 2 are used when the tiles have at least 4 bands (B04, B03, B02 of a 13 or
    12 band stack), else the first band in grey.

    Shape:
        returns (H, W, 3) float in [0, 1], at most ``max_size`` on its longer side.
    """
    db = Path(db)
    plan = load_plan(db)
    rows = load_index(db)
    gh, gw = plan["grid"]["height"], plan["grid"]["width"]
    factor = max(1, int(np.ceil(max(gh, gw) / max_size)))
    canvas = np.zeros((gh // factor + 1, gw // factor + 1, 3), np.float32)
    thumbs = []
    for r in rows:
        s2 = read_decimated(db / r["s2"], factor)
        idx = _true_colour(s2.descriptions, s2.count)
        thumbs.append((r, np.moveaxis(s2.data[idx].astype(np.float32), 0, -1)))
    if not thumbs:
        return canvas
    values = np.concatenate([t.reshape(-1, 3) for _, t in thumbs])
    values = values[(values > 0).all(axis=1)]
    lo, hi = np.percentile(values, [2, 98]) if values.size else (0.0, 1.0)
    for r, t in thumbs:
        y, x = int(r["row"]) // factor, int(r["col"]) // factor
        h = min(t.shape[0], canvas.shape[0] - y)
        w = min(t.shape[1], canvas.shape[1] - x)
        canvas[y : y + h, x : x + w] = np.clip((t[:h, :w] - lo) / max(hi - lo, 1e-9), 0, 1)
        colour = SPLIT_COLOURS[r["split"]]
        canvas[y, x : x + w] = colour
        canvas[y + h - 1, x : x + w] = colour
        canvas[y : y + h, x] = colour
        canvas[y : y + h, x + w - 1] = colour
    return canvas
