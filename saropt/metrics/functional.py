"""Metrics as plain functions of arrays (numpy/torch only)."""

from __future__ import annotations

import numpy as np


def _upsampled_peak(
    cross: np.ndarray, centre: tuple[float, float], upsample: int, span: float = 1.5
) -> tuple[float, float]:
    """Maximum of the inverse DFT of ``cross`` on a fine grid around ``centre``.

    The inverse transform is evaluated only at the fine grid's points, as two small matrix
    products (Guizar-Sicairos, Thurman and Fienup, "Efficient subpixel image registration
    algorithms", Optics Letters 2008).
    """
    h, w = cross.shape
    n = int(2 * span * upsample) + 1
    offsets = (np.arange(n) - n // 2) / upsample
    ys, xs = centre[0] + offsets, centre[1] + offsets
    ey = np.exp(2j * np.pi * ys[:, None] * np.fft.fftfreq(h)[None, :])  # (n, h)
    ex = np.exp(2j * np.pi * np.fft.fftfreq(w)[:, None] * xs[None, :])  # (w, n)
    surface = (ey @ cross @ ex).real
    iy, ix = np.unravel_index(int(np.argmax(surface)), surface.shape)
    return float(ys[iy]), float(xs[ix])


def phase_correlation_shift(
    reference: np.ndarray, moved: np.ndarray, *, upsample: int = 50, whiten: float = 0.5
) -> tuple[float, float]:
    """Sub-pixel translation of ``moved`` relative to ``reference`` by Fourier correlation.

    The images are mean-removed and tapered with a Hann window; the cross-power spectrum is
    divided by its magnitude to the power ``whiten`` (1: phase correlation, 0: plain
    cross-correlation), and the integer peak of its inverse is refined to 1/``upsample``
    pixel by a matrix-multiply DFT.

    ``whiten=0.5`` (the default) is the best compromise measured here. Exact (Fourier)
    shifts come back within 0.02 px for every setting. Plain correlation shortens shifts of
    smooth images, on which the fixed taper weighs most: a 1 px shift of a bilinearly
    upsampled DEM reads 0.68 px, against 1.02 px at 0.5. Phase correlation weighs the
    highest frequencies, whose phase interpolation distorts, as much as the rest: a 0.4 px
    cubic-spline shift of fractal noise reads 0.30 px at 1, 0.36 px at 0.5, 0.40 px at 0.
    Phase correlation suits images of different contrast (SAR against optical).

    Returns:
        (dy, dx) in pixels such that ``moved[y, x] ~= reference[y - dy, x - dx]``.

    Shape:
        reference, moved: (H, W), same shape.
    """
    if reference.shape != moved.shape or reference.ndim != 2:
        raise ValueError(f"need two 2-D images of one shape; got {reference.shape}, {moved.shape}")
    h, w = reference.shape
    window = np.outer(np.hanning(h), np.hanning(w))
    a = np.nan_to_num((reference - np.nanmean(reference)) * window)
    b = np.nan_to_num((moved - np.nanmean(moved)) * window)
    cross = np.fft.fft2(b) * np.conj(np.fft.fft2(a))
    if whiten:
        cross /= np.maximum(np.abs(cross), 1e-12) ** whiten
    surface = np.fft.ifft2(cross).real
    py, px = np.unravel_index(int(np.argmax(surface)), surface.shape)
    coarse = (py if py <= h // 2 else py - h, px if px <= w // 2 else px - w)
    return _upsampled_peak(cross, (float(coarse[0]), float(coarse[1])), upsample)
