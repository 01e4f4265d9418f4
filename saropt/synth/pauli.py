"""A generated site in the layout of the DREAM paper's airborne example: a fully polarimetric
L-band SAR given as a three-band Pauli RGB (amplitudes |HH-VV|, |HV|, |HH+VV|, as UAVSAR
distributes it) and an aerial RGB+NIR image, both at 5 m.

The Pauli channels come from a generated scene's Sentinel-1-like backscatter (with its
speckle): surface scattering (|HH+VV|) follows VV, volume scattering (|HV|) follows VH, and
double bounce (|HH-VV|) is strong on built-up land and weak elsewhere. The aerial image is
the scene's red, green, blue and NIR reflectance in 8 bits. It is a fixture for building a
database from SAR that is not VV/VH, not a model of an L-band sensor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from saropt.io.raster import Raster
from saropt.io.sentinel import S2_BANDS, db_to_linear
from saropt.io.write import write_raster
from saropt.synth.types import Scene

#: Pauli RGB channel order (red, green, blue).
PAULI_BANDS: tuple[str, ...] = ("HH-VV", "HV", "HH+VV")
#: Aerial image channel order.
AERIAL_BANDS: tuple[str, ...] = ("red", "green", "blue", "nir")
#: Reflectance that maps to 255 in the aerial image (brighter saturates).
AERIAL_WHITE = 0.4


def pauli_amplitudes(scene: Scene) -> np.ndarray:
    """Pauli amplitudes per date, float32 (T, 3, H, W)."""
    power = db_to_linear(scene.sar.astype(np.float64))  # (T, 2, H, W)
    vv, vh = power[:, 0], power[:, 1]
    urban = scene.urban.astype(np.float64)[None]
    double = vv * (0.05 + 1.5 * urban)
    surface = vv * (1.0 - 0.5 * urban)
    return np.sqrt(np.stack([double, vh, surface], axis=1)).astype(np.float32)


def aerial_rgbn(scene: Scene) -> np.ndarray:
    """Red, green, blue, NIR in 8 bits (1..255; 0 is nodata), uint8 (4, H, W)."""
    idx = [S2_BANDS.index(b) for b in ("B04", "B03", "B02", "B08")]
    refl = scene.optical[idx].astype(np.float64) / 10000.0
    return np.clip(np.rint(refl / AERIAL_WHITE * 255.0), 1, 255).astype(np.uint8)


def write_pauli_site(scene: Scene, out_dir: str | Path) -> dict[str, Any]:
    """Write ``pauli_<date>.tif`` per date (float32 amplitudes, bands named
    :data:`PAULI_BANDS`), ``aerial.tif`` (uint8 RGBN, nodata 0) and ``dem.tif``.

    Returns:
        {"sar": [paths], "optical": path, "dem": path}.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = scene.grid
    sar = []
    for date, amp in zip(scene.dates, pauli_amplitudes(scene), strict=True):
        name = f"pauli_{date.replace('-', '')}.tif"
        sar.append(write_raster(out / name, Raster(amp, g, None, PAULI_BANDS)))
    aerial = write_raster(out / "aerial.tif", Raster(aerial_rgbn(scene), g, 0, AERIAL_BANDS))
    dem = write_raster(out / "dem.tif", Raster(scene.dem, g, None, ("elevation_m",)))
    return {"sar": sar, "optical": aerial, "dem": dem}
