"""Figures of dense registration: flows in hue/saturation colour (DREAM's Fig. 4) and
checkerboards of a SAR image against an optical one."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import hsv_to_rgb
from matplotlib.figure import Figure


def flow_colours(flow: np.ndarray, max_magnitude: float) -> np.ndarray:
    """A flow (dx, dy) as colours: hue is the direction (dx > 0 red, dy > 0 yellow-green,
    dx < 0 cyan, dy < 0 blue-violet), saturation the length over ``max_magnitude`` (white:
    no displacement; full colour from ``max_magnitude`` on). NaN is black.

    Shape:
        (2, H, W) -> (H, W, 3) float in [0, 1].
    """
    dx, dy = np.asarray(flow[0], np.float64), np.asarray(flow[1], np.float64)
    bad = ~(np.isfinite(dx) & np.isfinite(dy))
    dx, dy = np.where(bad, 0.0, dx), np.where(bad, 0.0, dy)
    hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
    sat = np.clip(np.hypot(dx, dy) / max(max_magnitude, 1e-9), 0.0, 1.0)
    rgb = np.asarray(hsv_to_rgb(np.stack([hue, sat, np.ones_like(hue)], axis=-1)))
    rgb[bad] = 0.0
    return rgb


def checkerboard(a: np.ndarray, b: np.ndarray, cell: int) -> np.ndarray:
    """Squares of ``cell`` pixels taken alternately from ``a`` (top-left) and ``b``.

    Shape:
        a, b (H, W, 3) or (H, W) -> same.
    """
    if a.shape != b.shape:
        raise ValueError(f"checkerboard of {a.shape} and {b.shape}: give images of one shape")
    yy, xx = np.indices(a.shape[:2])
    take_a = ((yy // cell) + (xx // cell)) % 2 == 0
    if a.ndim == 3:
        take_a = take_a[..., None]
    return np.where(take_a, a, b)


def _colour_wheel(size: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[-1 : 1 : size * 1j, -1 : 1 : size * 1j]
    wheel = flow_colours(np.stack([xx, yy]), 1.0)
    wheel[np.hypot(xx, yy) > 1] = 1.0
    return wheel


def flow_figure(flows: dict[str, np.ndarray], max_magnitude: float) -> Figure:
    """One panel per flow, one colour scale, and the colour wheel as the key."""
    n = len(flows) + 1
    fig = Figure(figsize=(2.6 * n, 2.9))
    for k, (title, flow) in enumerate(flows.items()):
        ax = fig.add_subplot(1, n, k + 1)
        ax.imshow(flow_colours(flow, max_magnitude), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    ax = fig.add_subplot(1, n, n)
    ax.imshow(_colour_wheel(), extent=(-max_magnitude, max_magnitude, max_magnitude,
                                       -max_magnitude))  # fmt: skip
    ax.set_title(f"key (dx, dy), {max_magnitude:g} px", fontsize=9)
    ax.set_xlabel("dx", fontsize=8)
    ax.set_ylabel("dy", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def checkerboard_figure(panels: dict[str, np.ndarray]) -> Figure:
    """Checkerboards (H, W, 3) side by side, titled."""
    n = len(panels)
    fig = Figure(figsize=(3.4 * n, 3.6))
    for k, (title, image) in enumerate(panels.items()):
        ax = fig.add_subplot(1, n, k + 1)
        ax.imshow(image, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    fig.tight_layout()
    return fig
