"""Flows: the warp's convention, inversion, random smooth deformations and their round trip."""

from __future__ import annotations

import math

import pytest
import torch

from saropt.transforms.flow import deform, invert_flow, random_flow, warp


def _smooth_image(h: int = 96, w: int = 96) -> torch.Tensor:
    y, x = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                          torch.arange(w, dtype=torch.float64), indexing="ij")  # fmt: skip
    img = torch.sin(2 * math.pi * x / 37) + torch.cos(2 * math.pi * (x + 2 * y) / 53)
    return img[None, None]


class TestWarp:
    def test_convention_out_at_y_x_reads_y_plus_dy_x_plus_dx(self) -> None:
        img = torch.arange(100.0).reshape(1, 1, 10, 10)
        flow = torch.zeros(1, 2, 10, 10)
        flow[:, 0], flow[:, 1] = 2.0, -1.0  # dx = 2, dy = -1
        out = warp(img, flow)
        assert float(out[0, 0, 3, 4]) == pytest.approx(float(img[0, 0, 2, 6]))
        half = warp(img, flow * 0.5)  # (x, y) = (5, 2.5): bilinear between rows 2 and 3
        assert float(half[0, 0, 3, 4]) == pytest.approx(float(img[0, 0, 2:4, 5].mean()))

    def test_zero_flow_is_identity_and_bad_shape_fails(self) -> None:
        img = torch.randn(2, 3, 7, 9)
        torch.testing.assert_close(warp(img, torch.zeros(2, 2, 7, 9)), img)
        with pytest.raises(ValueError, match="does not fit"):
            warp(img, torch.zeros(2, 2, 7, 8))


class TestDeformation:
    def test_round_trip_restores_the_image(self) -> None:
        img = _smooth_image()
        g = torch.Generator().manual_seed(3)
        for _ in range(4):
            flow = random_flow(96, 96, 8.0, g, exact=True)[None].double()
            moved = deform(img, flow)
            assert (moved - img).abs().amax() > 0.3  # it did move
            back = warp(moved, flow)
            b = 10  # the deformation pulls in replicated border pixels
            assert (back - img)[..., b:-b, b:-b].abs().amax() < 0.05  # two bilinear passes

    def test_inverse_composes_to_zero(self) -> None:
        flow = random_flow(64, 80, 6.0, torch.Generator().manual_seed(1), exact=True)[None]
        inv = invert_flow(flow)
        assert (inv + warp(flow, inv)).abs()[..., 8:-8, 8:-8].amax() < 1e-3

    def test_amplitude_seed_and_smoothness(self) -> None:
        def draw(seed: int, **kw: object) -> torch.Tensor:
            return random_flow(128, 96, 5.0, torch.Generator().manual_seed(seed), **kw)  # type: ignore[arg-type]

        exact = draw(0, exact=True)
        assert exact.shape == (2, 128, 96)
        assert exact.norm(dim=0).amax() == pytest.approx(5.0, rel=1e-5)
        assert draw(0).norm(dim=0).amax() <= 5.0 + 1e-5
        torch.testing.assert_close(draw(7), draw(7))
        assert not torch.equal(draw(7), draw(8))
        jump = (exact[:, 1:] - exact[:, :-1]).abs().amax()
        assert jump < 0.5  # smooth: under half a pixel from one pixel to the next
        with pytest.raises(ValueError, match="max_shift"):
            random_flow(8, 8, -1.0)
