"""Sentinel-1 and Sentinel-2 conventions: band tables, scaling, dB, normalisation.

One documented ``normalize``/``denormalize`` pair per sensor, used by training and
inference alike:

* Sentinel-1 backscatter in dB is clipped to [-25, 0] dB and mapped linearly to [0, 1]
  (the range of SEN12MS-CR and of the SAR-optical cloud-removal literature).
* Sentinel-2 digital numbers (reflectance x 10000) are clipped to [0, 10000] and mapped
  linearly to [0, 1].

With ``symmetric=True`` both map to [-1, 1] instead, the range of a tanh generator.
All functions accept numpy arrays and torch tensors and return the same kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import torch

from saropt.errors import BandCountError, ConfigError

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


@dataclass(frozen=True)
class S2Band:
    """One Sentinel-2 MSI band.

    Attributes:
        name: ESA band name, e.g. "B8A".
        resolution: Ground sampling distance in metres.
        wavelength: Central wavelength in nanometres (Sentinel-2A).
        bandwidth: Bandwidth in nanometres (Sentinel-2A).
    """

    name: str
    resolution: int
    wavelength: float
    bandwidth: float


#: The 13 MSI bands in ESA order (Sentinel-2A central wavelengths and bandwidths).
S2_BAND_TABLE: tuple[S2Band, ...] = (
    S2Band("B01", 60, 442.7, 21.0),
    S2Band("B02", 10, 492.4, 66.0),
    S2Band("B03", 10, 559.8, 36.0),
    S2Band("B04", 10, 664.6, 31.0),
    S2Band("B05", 20, 704.1, 15.0),
    S2Band("B06", 20, 740.5, 15.0),
    S2Band("B07", 20, 782.8, 20.0),
    S2Band("B08", 10, 832.8, 106.0),
    S2Band("B8A", 20, 864.7, 21.0),
    S2Band("B09", 60, 945.1, 20.0),
    S2Band("B10", 60, 1373.5, 31.0),
    S2Band("B11", 20, 1613.7, 91.0),
    S2Band("B12", 20, 2202.4, 175.0),
)
S2_BANDS: tuple[str, ...] = tuple(b.name for b in S2_BAND_TABLE)
#: Level-2A products carry no cirrus band B10.
S2_L2A_BANDS: tuple[str, ...] = tuple(b for b in S2_BANDS if b != "B10")
S2_10M_BANDS: tuple[str, ...] = tuple(b.name for b in S2_BAND_TABLE if b.resolution == 10)
S2_20M_BANDS: tuple[str, ...] = tuple(b.name for b in S2_BAND_TABLE if b.resolution == 20)
S2_60M_BANDS: tuple[str, ...] = tuple(b.name for b in S2_BAND_TABLE if b.resolution == 60)
#: The 10 bands of 10 and 20 m used by SAR-Opt-cGAN (Grohnfeldt et al. 2018).
S2_CGAN_BANDS: tuple[str, ...] = S2_10M_BANDS + S2_20M_BANDS
#: Sentinel-1 IW GRD dual polarisations, in the order saropt stores them.
S1_BANDS: tuple[str, ...] = ("VV", "VH")

#: Digital number of reflectance 1.0 in L1C and L2A products.
S2_QUANTIFICATION = 10000.0
#: Radiometric offset of L1C and L2A products from processing baseline 04.00 (25 Jan 2022).
S2_OFFSET_PB04 = -1000.0
#: Clipping range of Sentinel-1 backscatter in dB used throughout the literature.
S1_DB_RANGE: tuple[float, float] = (-25.0, 0.0)
#: Clipping range of Sentinel-2 digital numbers.
S2_DN_RANGE: tuple[float, float] = (0.0, 10000.0)

_BY_NAME = {b.name: b for b in S2_BAND_TABLE}


def s2_band(name: str) -> S2Band:
    """Look a Sentinel-2 band up by name ("B8A", "b08", "B8" all work).

    Raises:
        ConfigError: Unknown band name.
    """
    key = name.upper()
    if len(key) == 2 and key[0] == "B" and key[1].isdigit():
        key = f"B0{key[1]}"
    if key not in _BY_NAME:
        raise ConfigError(f"unknown Sentinel-2 band {name!r}; known bands: {', '.join(S2_BANDS)}")
    return _BY_NAME[key]


#: Display composites by band name.
TRUE_COLOUR: tuple[str, str, str] = ("B04", "B03", "B02")
FALSE_COLOUR: tuple[str, str, str] = ("B08", "B04", "B03")


def band_indices(names: Sequence[str], bands: Sequence[str] = S2_BANDS) -> list[int]:
    """Positions of the named bands in a stack whose bands are ``bands``.

    Raises:
        ConfigError: A name that is not in ``bands``.
    """
    missing = [n for n in names if n not in bands]
    if missing:
        raise ConfigError(f"bands {missing} are not in the stack's bands {list(bands)}")
    return [list(bands).index(n) for n in names]


def s2_wavelengths(names: tuple[str, ...] | list[str]) -> np.ndarray:
    """Central wavelengths in nanometres of the named Sentinel-2 bands."""
    return np.array([s2_band(n).wavelength for n in names], dtype=np.float64)


def _log10(x: ArrayT) -> ArrayT:
    if isinstance(x, torch.Tensor):
        return torch.log10(x)
    return np.log10(x)


def db_to_linear(db: ArrayT) -> ArrayT:
    """Backscatter in decibels to linear power: ``10 ** (dB / 10)``."""
    return 10.0 ** (db / 10.0)


def linear_to_db(power: ArrayT, floor: float = 1e-10) -> ArrayT:
    """Linear power to decibels: ``10 * log10(max(power, floor))``."""
    return 10.0 * _log10(power.clip(floor, None))


#: How a SAR raster stores backscatter: decibels (Sentinel-1 GRD as saropt reads it),
#: linear power (intensity, sigma0), or amplitude (its square root: Pauli RGB, |HH+VV| ...).
SarUnits = Literal["db", "power", "amplitude"]
SAR_UNITS: tuple[SarUnits, ...] = ("db", "power", "amplitude")


def sar_to_power(x: np.ndarray, units: SarUnits) -> np.ndarray:
    """SAR values in ``units`` to linear power (float64; NaN stays NaN).

    Raises:
        ConfigError: Unknown units.
    """
    v = np.asarray(x, np.float64)
    if units == "db":
        return np.asarray(db_to_linear(v))
    if units == "power":
        return v
    if units == "amplitude":
        return v * v
    raise ConfigError(f"unknown SAR units {units!r}; choose from {', '.join(SAR_UNITS)}")


def s2_dn_to_reflectance(dn: ArrayT, offset: float = 0.0) -> ArrayT:
    """Sentinel-2 digital numbers (L1C or L2A) to reflectance: ``(dn + offset) / 10000``.

    Args:
        dn: Digital numbers as stored in the product (uint16).
        offset: The product's radiometric offset (RADIO_ADD_OFFSET in L1C, BOA_ADD_OFFSET
            in L2A): 0 before processing baseline 04.00, :data:`S2_OFFSET_PB04` from it on.
    """
    return (dn + offset) / S2_QUANTIFICATION


def s2_reflectance_to_dn(refl: ArrayT, offset: float = 0.0) -> ArrayT:
    """Reflectance to Sentinel-2 digital numbers (float; round and cast to store)."""
    return refl * S2_QUANTIFICATION - offset


def _scale(x: ArrayT, lo: float, hi: float, symmetric: bool) -> ArrayT:
    y = (x.clip(lo, hi) - lo) / (hi - lo)
    return y * 2.0 - 1.0 if symmetric else y


def _unscale(y: ArrayT, lo: float, hi: float, symmetric: bool) -> ArrayT:
    if symmetric:
        y = (y + 1.0) / 2.0
    return y * (hi - lo) + lo


#: How the cGAN generators' inputs and outputs are scaled; written into their weights.
SYMMETRIC_NORMALIZATION = "s2 and s1 to [-1, 1] (saropt.io.sentinel, symmetric=True)"


def normalize_s1(db: ArrayT, *, symmetric: bool = False) -> ArrayT:
    """Sentinel-1 dB to network range: clip to [-25, 0] dB, map to [0, 1] (or [-1, 1]).

    NaN (no return, or outside the swath) is read as the floor of the range, -25 dB: the
    darkest value the network sees, as for radar shadow. Every saropt reader, dataset and
    inference path goes through this one function.

    Shape:
        any; elementwise.
    """
    lo, hi = S1_DB_RANGE
    if isinstance(db, torch.Tensor):
        x: ArrayT = torch.nan_to_num(db.float(), nan=lo)
    else:
        x = np.nan_to_num(db.astype(np.float32), nan=lo)
    return _scale(x, lo, hi, symmetric)


def denormalize_s1(x: ArrayT, *, symmetric: bool = False) -> ArrayT:
    """Inverse of :func:`normalize_s1` (values inside the clipping range come back)."""
    return _unscale(x, *S1_DB_RANGE, symmetric)


def normalize_s2(dn: ArrayT, *, symmetric: bool = False) -> ArrayT:
    """Sentinel-2 digital numbers to network range: clip to [0, 10000], map to [0, 1].

    Shape:
        any; elementwise.
    """
    x = dn.float() if isinstance(dn, torch.Tensor) else dn.astype(np.float32)
    return _scale(x, *S2_DN_RANGE, symmetric)


def denormalize_s2(x: ArrayT, *, symmetric: bool = False) -> ArrayT:
    """Inverse of :func:`normalize_s2`, in digital numbers (float)."""
    return _unscale(x, *S2_DN_RANGE, symmetric)


def pick_optical(data: np.ndarray, bands: Sequence[str], name: str) -> np.ndarray:
    """The ``bands`` of an optical stack that holds exactly them, all 13 Sentinel-2 bands,
    or the 12 Level-2A bands.

    Raises:
        BandCountError: Any other band count.
    """
    if len(data) == len(bands):
        return data
    for table in (S2_BANDS, S2_L2A_BANDS):
        if len(data) == len(table):
            return data[band_indices(bands, table)]
    raise BandCountError(
        f"'{name}' has {len(data)} bands; give the {len(bands)} bands {list(bands)}, or all "
        f"{len(S2_BANDS)} (Level-1C) or {len(S2_L2A_BANDS)} (Level-2A) Sentinel-2 bands"
    )
