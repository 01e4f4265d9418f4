"""``saropt db build --register``: each built tile's optical image registered onto its SAR
mean, as a pass over a database's tiles (:mod:`saropt.database.register` runs it).

For every built tile, :meth:`TileRegistration.run` calls :func:`register_scene` with the SAR
temporal mean (``s1.tif``) as the fixed image and ``s2.tif`` as the moving one, writing
``s2_registered.tif`` (every optical band, resampled by the flow) and ``flow.tif`` (dx, dy
in pixels on the tile's grid), and returns the flow's statistics over the tile's valid
pixels (:func:`saropt.database.register.flow_statistics`).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from saropt.database.plan import DatabasePlan
from saropt.database.register import flow_statistics
from saropt.database.tile import TileRecord
from saropt.errors import BandCountError, ConfigError
from saropt.inference.flow import flow_method
from saropt.inference.register import register_scene
from saropt.io.raster import read_info, read_raster
from saropt.io.sentinel import pick_optical


@dataclass(frozen=True)
class TileRegistration:
    """How to register a database's tiles.

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
    assets: tuple[str, ...] = field(default=("s2_registered", "flow"), init=False)

    def key(self) -> dict[str, Any]:
        """What identifies a registration's result: the method, the weights' checksum and
        the tiling (the device does not change the result beyond rounding).

        Raises:
            ConfigError: ``pwc`` without weights, or weights that do not exist.
        """
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
        return {"method": self.method, "weights_sha256": sha, "tile": self.tile,
                "overlap": self.overlap}  # fmt: skip

    def check(self, plan: DatabasePlan) -> None:
        """Refuse, before any tile is built, an unknown method, GeFolki without its package,
        weights of another model, or a network that takes other bands than the tiles hold.

        Raises:
            ConfigError: Unknown method, missing package or foreign weights.
            BandCountError: Other band counts.
        """
        _, found = flow_method(self.method, self.weights, device=self.device)
        config: dict[str, Any] = dict(found)
        kw: dict[str, Any] = config.get("kwargs") or {}
        if not kw:
            return
        sar, optical = len(plan.sar_bands), read_info(plan.s2).count
        if kw.get("fixed_channels") != sar:
            raise BandCountError(
                f"the database's SAR has {sar} bands; the network in '{self.weights}' takes "
                f"{kw.get('fixed_channels')} ({config.get('fixed_bands')})"
            )
        if optical != kw.get("moving_channels"):
            bands = tuple(config.get("optical_bands") or ())
            if not bands:
                raise BandCountError(
                    f"the database's optical image has {optical} bands; the network takes "
                    f"{kw.get('moving_channels')}"
                )
            pick_optical(np.zeros((optical, 1, 1)), bands, "the database's optical image")

    def run(self, out: Path, record: TileRecord) -> tuple[dict[str, Path], dict[str, Any]]:
        """Register one built tile: its two new assets and the flow statistics."""
        folder = out / "tiles" / record.id
        for stale in folder.glob(".register-*"):  # left by a killed pass
            shutil.rmtree(stale, ignore_errors=True)
        fixed, moving = out / record.assets["s1"], out / record.assets["s2"]
        registered, flow = folder / "s2_registered.tif", folder / "flow.tif"
        register_scene(fixed, moving, registered, method=self.method, weights=self.weights,
                       flow_out=flow, tile=self.tile, overlap=self.overlap,
                       device=self.device)  # fmt: skip
        sar, opt = read_raster(fixed), read_raster(moving)
        valid = np.isfinite(sar.data).all(axis=0) & opt.valid_mask()
        stats = flow_statistics(read_raster(flow).data, valid)
        return {"s2_registered": registered, "flow": flow}, stats
