"""Functional transforms: synthetic clouds and haze, real cloud-probability maps.

Cloud model (after the simulation of Grohnfeldt, Schmitt and Zhu, "A conditional GAN to
fuse SAR and multispectral optical data for cloud removal from Sentinel-2 images",
IGARSS 2018, who make clouds from Perlin noise): a fractal Perlin field is thresholded at
the quantile that gives the requested coverage, with a soft edge, to give a cloud opacity
``a`` in [0, 1]. A second, smoother field gives a haze opacity ``h``, scaled per band by
``(443 nm / wavelength) ** angstrom`` so haze is strongest at short wavelengths. Per band
``b`` the total opacity is ``A_b = 1 - (1 - a) * (1 - h * w_b)`` and

    cloudy_b = clear_b * (1 - A_b) + cloud_b * A_b,

where ``cloud_b`` is the reflectance of a thick cloud: bright in every band (0.6-0.8 in
the visible and near infrared, less in the short-wave infrared). The cloud mask is
``a >= 0.5``.

Works for any band count. Bands are matched to wavelengths through their Sentinel-2 names;
when none are given, 13, 12 and 10 bands are taken as the Sentinel-2 full, L2A and
10/20 m band sets; any other count gets wavelength-independent haze.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch

from saropt.errors import BandCountError, ConfigError, GridMismatchError
from saropt.io.sentinel import (
    S2_BANDS,
    S2_CGAN_BANDS,
    S2_L2A_BANDS,
    S2_QUANTIFICATION,
    s2_wavelengths,
)
from saropt.seeding import Seed, numpy_rng
from saropt.synth.noise import fractal_noise

ImageT = TypeVar("ImageT", np.ndarray, torch.Tensor)

#: Thick-cloud top-of-atmosphere reflectance at a few wavelengths (nm), interpolated.
_CLOUD_WAVELENGTHS = np.array([443.0, 900.0, 1375.0, 1610.0, 2200.0])
_CLOUD_REFLECTANCE = np.array([0.78, 0.72, 0.35, 0.48, 0.30])
_DEFAULT_BANDS = {13: S2_BANDS, 12: S2_L2A_BANDS, 10: S2_CGAN_BANDS}


def _wavelengths(count: int, bands: Sequence[str] | None) -> np.ndarray | None:
    if bands is not None:
        if len(bands) != count:
            raise BandCountError(
                f"{len(bands)} band names given for an image of {count} bands; name every band"
            )
        return s2_wavelengths(list(bands))
    if count in _DEFAULT_BANDS:
        return s2_wavelengths(list(_DEFAULT_BANDS[count]))
    return None


def _infer_scale(image: np.ndarray) -> float:
    if np.issubdtype(image.dtype, np.integer):
        return S2_QUANTIFICATION
    finite = image[np.isfinite(image)]
    return S2_QUANTIFICATION if finite.size and float(finite.max()) > 2.0 else 1.0


def cloud_opacity(
    shape: tuple[int, int],
    coverage: float,
    seed: Seed,
    *,
    cells: int | None = None,
    octaves: int = 6,
    softness: float = 0.5,
) -> np.ndarray:
    """Cloud opacity from fractal Perlin noise; exactly ``coverage`` of it is >= 0.5.

    Args:
        shape: (height, width).
        coverage: Fraction of pixels under cloud (opacity >= 0.5), in [0, 1].
        seed: Seed or generator.
        cells: Lattice cells of the coarsest octave; about one per 128 pixels when None.
        octaves: Octaves of the fractal sum.
        softness: Width of the cloud edge in standard deviations of the noise.

    Returns:
        float32 opacity in [0, 1].

    Shape:
        (H, W).
    """
    if not 0.0 <= coverage <= 1.0:
        raise ConfigError(f"cloud coverage must be within [0, 1]; got {coverage}")
    if coverage == 0.0:
        return np.zeros(shape, np.float32)
    if coverage == 1.0:
        return np.ones(shape, np.float32)
    c = cells if cells is not None else max(2, round(max(shape) / 128))
    noise = fractal_noise(shape, c, seed, octaves=octaves, persistence=0.55)
    threshold = np.float32(np.quantile(noise, 1.0 - coverage))
    out: np.ndarray = np.clip((noise - threshold) / np.float32(softness) + 0.5, 0.0, 1.0)
    return out.astype(np.float32, copy=False)


def _composite(
    image: np.ndarray,
    opacity: np.ndarray,
    haze: np.ndarray | None,
    bands: Sequence[str] | None,
    scale: float | None,
    angstrom: float,
) -> np.ndarray:
    """Blend a clear image towards thick-cloud reflectance by opacity (and haze)."""
    count = image.shape[0]
    wl = _wavelengths(count, bands)
    s = _infer_scale(image) if scale is None else float(scale)
    if wl is None:
        cloud = np.full(count, 0.75)
        haze_w = np.ones(count)
    else:
        cloud = np.interp(wl, _CLOUD_WAVELENGTHS, _CLOUD_REFLECTANCE)
        haze_w = (443.0 / wl) ** angstrom
    x = image.astype(np.float32)
    out = np.empty_like(x)
    clear_frac = 1.0 - opacity
    for b in range(count):  # per band: a whole-image operation each, no pixel loop
        alpha = 1.0 - clear_frac
        if haze is not None:
            alpha = 1.0 - clear_frac * (1.0 - haze * np.float32(haze_w[b]))
        out[b] = x[b] + alpha * (np.float32(cloud[b] * s) - x[b])
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        return np.clip(np.round(out), info.min, info.max).astype(image.dtype)
    return out.astype(image.dtype, copy=False)


def _as_numpy(image: np.ndarray | torch.Tensor) -> tuple[np.ndarray, torch.Tensor | None]:
    if isinstance(image, torch.Tensor):
        return image.detach().cpu().numpy(), image
    return np.asarray(image), None


def _like(result: np.ndarray, original: torch.Tensor | None) -> np.ndarray | torch.Tensor:
    if original is None:
        return result
    return torch.from_numpy(result).to(original.device)


def add_clouds(
    image: ImageT,
    coverage: float = 0.3,
    seed: Seed = 0,
    *,
    haze: float = 0.15,
    bands: Sequence[str] | None = None,
    scale: float | None = None,
    angstrom: float = 1.3,
    softness: float = 0.5,
) -> tuple[ImageT, ImageT]:
    """Add Perlin clouds and wavelength-dependent haze to a clear optical image.

    Args:
        image: Clear reflectance, any band count and dtype.
        coverage: Fraction of pixels under thick cloud, in [0, 1].
        seed: Seed or generator; the same seed gives the same clouds.
        haze: Largest haze opacity at 443 nm (0 disables haze).
        bands: Sentinel-2 band names of the image's bands (for wavelengths).
        scale: Digital number of reflectance 1.0; 10000 for integer images or floats above
            2, else 1, when None.
        angstrom: Exponent of the haze's wavelength dependence.
        softness: Width of cloud edges in noise standard deviations.

    Returns:
        The cloudy image (same dtype and kind as ``image``) and the boolean cloud mask.

    Shape:
        image: (C, H, W) -> cloudy (C, H, W), mask (H, W).
    """
    x, original = _as_numpy(image)
    if x.ndim != 3:
        raise BandCountError(f"expected a (bands, height, width) image; got shape {x.shape}")
    rng = numpy_rng(seed)
    shape = (int(x.shape[1]), int(x.shape[2]))
    opacity = cloud_opacity(shape, coverage, rng, softness=softness)
    haze_map = None
    if haze > 0:
        field = fractal_noise(shape, max(2, round(max(shape) / 256)), rng, octaves=3)
        haze_map = (haze * np.clip(0.5 + 0.35 * field, 0.0, 1.0)).astype(np.float32)
    cloudy = _composite(x, opacity, haze_map, bands, scale, angstrom)
    mask = opacity >= 0.5
    return _like(cloudy, original), _like(mask, original)  # type: ignore[return-value]


def apply_cloud_probability(
    image: ImageT,
    probability: np.ndarray | torch.Tensor,
    *,
    threshold: float = 0.5,
    bands: Sequence[str] | None = None,
    scale: float | None = None,
    resize: bool = False,
) -> tuple[ImageT, ImageT]:
    """Cloud a clear image with a real cloud-probability map used as opacity.

    A probability map (e.g. s2cloudless' or eo-learn's ``CLP``) is a fair proxy for
    cloud opacity: thin cloud edges get low values, thick cores values near 1.

    Args:
        image: Clear reflectance.
        probability: Cloud probability in [0, 1] (or 0..255 as uint8).
        threshold: Probability from which a pixel counts as cloudy in the mask.
        bands: Sentinel-2 band names of the image's bands.
        scale: As in :func:`add_clouds`.
        resize: If True, a map of another size is resampled bilinearly to the image's size;
            otherwise a size mismatch raises.

    Returns:
        Cloudy image and boolean mask (probability >= threshold).

    Shape:
        image (C, H, W), probability (H, W) or (H', W') with resize -> (C, H, W), (H, W).

    Raises:
        GridMismatchError: The map's shape differs from the image's and resize is False.
    """
    x, original = _as_numpy(image)
    raw, _ = _as_numpy(probability)
    p = np.squeeze(raw).astype(np.float32)
    if np.issubdtype(raw.dtype, np.integer) or (p.size and float(np.nanmax(p)) > 1.0):
        p = p / 255.0  # 8-bit probability maps
    if p.shape != x.shape[1:]:
        if not resize:
            raise GridMismatchError(
                f"cloud probability map is {p.shape[0]}x{p.shape[1]} but the image is "
                f"{x.shape[1]}x{x.shape[2]}; pass resize=True or resample the map first"
            )
        t = torch.from_numpy(p)[None, None]
        p = torch.nn.functional.interpolate(
            t, size=tuple(x.shape[1:]), mode="bilinear", align_corners=False
        )[0, 0].numpy()
    p = np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)
    cloudy = _composite(x, p, None, bands, scale, angstrom=0.0)
    mask = p >= threshold
    return _like(cloudy, original), _like(mask, original)  # type: ignore[return-value]


def lee_filter(intensity: np.ndarray, size: int = 7, looks: float = 4.4) -> np.ndarray:
    """Lee speckle filter on SAR intensity in linear power (J.-S. Lee, IEEE TPAMI 1980).

    Each pixel moves from its local mean towards its own value by the share of the local
    variance that speckle does not explain: ``out = m + w * (I - m)`` with
    ``w = max(0, 1 - Cu^2 / Ci^2)``, ``Cu^2 = 1 / looks`` the speckle's squared variation
    coefficient and ``Ci^2`` the local one. Flat areas are averaged; edges and point
    targets, whose local variation exceeds the speckle's, are kept.

    Args:
        intensity: Linear power (not dB); NaN pixels stay NaN.
        size: Odd window size in pixels.
        looks: Equivalent number of looks of the input.

    Shape:
        (..., H, W) -> same; filtered over the last two axes.
    """
    from scipy import ndimage

    if size < 3 or size % 2 == 0:
        raise ConfigError(f"Lee filter window must be odd and >= 3; got {size}")
    x = np.asarray(intensity, dtype=np.float64)
    nan = np.isnan(x)
    filled = np.where(nan, 0.0, x)
    weight = (~nan).astype(np.float64)
    win = (1,) * (x.ndim - 2) + (size, size)
    count = ndimage.uniform_filter(weight, win, mode="reflect")
    mean = ndimage.uniform_filter(filled, win, mode="reflect") / np.maximum(count, 1e-12)
    sq = ndimage.uniform_filter(filled * filled, win, mode="reflect") / np.maximum(count, 1e-12)
    var = np.maximum(sq - mean * mean, 0.0)
    ci2 = var / np.maximum(mean * mean, 1e-30)
    w = np.clip(1.0 - (1.0 / looks) / np.maximum(ci2, 1e-30), 0.0, 1.0)
    out = mean + w * (filled - mean)
    out[nan] = np.nan
    return out.astype(np.float32 if x.dtype == np.float32 else intensity.dtype, copy=False)
