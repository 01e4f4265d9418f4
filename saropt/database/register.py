"""Registering each built tile's optical image onto its SAR mean (``saropt db build --register``).

For every built tile, :func:`register_tile` runs :func:`saropt.inference.register.register_scene`
with the SAR temporal mean (``s1.tif``) as the fixed image and ``s2.tif`` as the moving one,
and adds two assets: ``s2_registered.tif`` (every optical band, resampled by the flow) and
``flow.tif`` (dx, dy in pixels on the tile's grid). The flow's statistics over the tile's
valid pixels go into ``tile.json`` (``registration``), ``index.csv`` and the STAC items.

Registration is a pass over finished tiles, not a build setting: a database built without it
can be registered later, and registering again with other weights or another method redoes
only what differs. Each asset is written atomically and ``tile.json`` is rewritten last, so
a killed pass resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from saropt.database.plan import TILE_RECORD
from saropt.database.tile import TileRecord, file_sha256
from saropt.errors import BandCountError, ConfigError
from saropt.io.atomic import write_text_atomic
from saropt.io.raster import read_raster

#: The flow statistics a registered tile records (pixels): mean dx, mean dy, mean and 95th
#: percentile of the displacement's length, over pixels valid in the SAR and optical tiles.
FLOW_STATS: tuple[str, ...] = ("dx_mean", "dy_mean", "magnitude_mean", "magnitude_p95")


@dataclass(frozen=True)
class TileRegistration:
    """How to register tiles.

    Attributes:
        method: "pwc" (a network from ``saropt train registration``), "phase", "gefolki"
            or "zero" (see :mod:`saropt.inference.flow`).
        weights: The network's ``registration.safetensors`` (``pwc`` only).
        tile, overlap: Flow tiling inside a database tile.
        device: Torch device of the network.
    """

    method: str = "pwc"
    weights: Path | None = None
    tile: int = 512
    overlap: int = 64
    device: str = "cpu"

    def key(self) -> dict[str, Any]:
        """What identifies a registration's result: the method, the weights' checksum and
        the tiling (the device does not change the result beyond rounding)."""
        if self.method == "pwc" and self.weights is None:
            raise ConfigError(
                "--register-method pwc needs --register WEIGHTS "
                "(registration.safetensors from saropt train registration)"
            )
        sha = None
        if self.weights is not None:
            if not Path(self.weights).is_file():
                raise ConfigError(f"registration weights '{self.weights}' do not exist")
            sha = hashlib.sha256(Path(self.weights).read_bytes()).hexdigest()
        return {
            "method": self.method,
            "weights_sha256": sha,
            "tile": self.tile,
            "overlap": self.overlap,
        }


def check_method(spec: TileRegistration, sar_bands: int, optical_bands: int) -> None:
    """Refuse, before any work, an unknown method, GeFolki without its package, weights of
    another model, or a network that takes other bands than the tiles hold.

    Raises:
        ConfigError: Unknown method, missing package or foreign weights.
        BandCountError: Other band counts.
    """
    from saropt.inference.flow import flow_method
    from saropt.io.sentinel import pick_optical

    _, found = flow_method(spec.method, spec.weights, device=spec.device)
    config: dict[str, Any] = dict(found)
    kw: dict[str, Any] = config.get("kwargs") or {}
    if not kw:
        return
    if kw.get("fixed_channels") != sar_bands:
        raise BandCountError(
            f"the database's SAR has {sar_bands} bands; the network in "
            f"'{spec.weights}' takes {kw.get('fixed_channels')} "
            f"({config.get('fixed_bands')})"
        )
    if optical_bands != kw.get("moving_channels"):
        bands = tuple(config.get("optical_bands") or ())
        if not bands:
            raise BandCountError(
                f"the database's optical image has {optical_bands} bands; "
                f"the network takes {kw.get('moving_channels')}"
            )
        pick_optical(np.zeros((optical_bands, 1, 1)), bands, "the database's optical image")


def flow_statistics(flow: np.ndarray, valid: np.ndarray) -> dict[str, float | None]:
    """:data:`FLOW_STATS` of a flow (2, H, W) over ``valid`` pixels (None when none)."""
    ok = valid & np.isfinite(flow).all(axis=0)
    if not ok.any():
        return dict.fromkeys(FLOW_STATS, None)
    dx, dy = flow[0][ok].astype(np.float64), flow[1][ok].astype(np.float64)
    length = np.hypot(dx, dy)
    values = (dx.mean(), dy.mean(), length.mean(), np.percentile(length, 95))
    return {k: round(float(v), 4) for k, v in zip(FLOW_STATS, values, strict=True)}


def needs_registration(record: TileRecord, key: dict[str, Any]) -> bool:
    """Whether a built tile lacks a registration made with ``key``."""
    if record.status != "built":
        return False
    done = record.registration.get("key")
    return json.loads(json.dumps(key)) != done or "flow" not in record.assets


def register_tile(
    out: Path, record: TileRecord, spec: TileRegistration, key: dict[str, Any]
) -> TileRecord:
    """Register one built tile's optical image onto its SAR mean; returns the new record
    (also saved as its ``tile.json``)."""
    from saropt.inference.register import register_scene

    folder = out / "tiles" / record.id
    for stale in folder.glob(".register-*"):  # left by a killed pass
        shutil.rmtree(stale, ignore_errors=True)
    fixed, moving = out / record.assets["s1"], out / record.assets["s2"]
    registered, flow = folder / "s2_registered.tif", folder / "flow.tif"
    register_scene(
        fixed,
        moving,
        registered,
        method=spec.method,
        weights=spec.weights,
        flow_out=flow,
        tile=spec.tile,
        overlap=spec.overlap,
        device=spec.device,
    )
    sar, opt = read_raster(fixed), read_raster(moving)
    valid = np.isfinite(sar.data).all(axis=0) & opt.valid_mask()
    stats = flow_statistics(read_raster(flow).data, valid)
    for name, path in (("s2_registered", registered), ("flow", flow)):
        record.assets[name] = f"tiles/{record.id}/{path.name}"
        record.sha256[name] = file_sha256(path)
    record.registration = {"key": key, **stats}
    write_text_atomic(folder / TILE_RECORD, record.to_json())
    return record
