"""PWC-multimodal: full size builds, shapes for any size, the flow convention through the
warp, the multi-scale loss by hand, and registration in the registry."""

from __future__ import annotations

import pytest
import torch

from saropt.models import create_model, multiscale_epe_loss
from saropt.models.registration import FLOW_SCALE, PWCMultimodal, standardise


class TestPWCMultimodal:
    def test_full_size_builds_and_runs_one_forward_pass(self) -> None:
        net = create_model("pwc_multimodal")
        weights = sum(p.numel() for p in net.parameters())
        assert 9e6 < weights < 13e6  # PWC-Net's 8.75 M with a second feature pyramid
        with torch.inference_mode():
            flow = net(torch.randn(1, 2, 128, 128), torch.randn(1, 4, 128, 128))
        assert flow.shape == (1, 2, 128, 128) and torch.isfinite(flow).all()

    def test_any_size_pyramid_shapes_and_bad_input(self) -> None:
        net = PWCMultimodal(1, 3, width=2, levels=4)
        assert net(torch.randn(2, 1, 120, 90), torch.randn(2, 3, 120, 90)).shape == (2, 2, 120, 90)
        flows = net.pyramid_flows(torch.randn(1, 1, 64, 64), torch.randn(1, 3, 64, 64))
        assert [f.shape[-1] for f in flows] == [4, 8, 16]
        with pytest.raises(ValueError, match="differ"):
            net(torch.randn(1, 1, 64, 64), torch.randn(1, 3, 64, 32))
        with pytest.raises(ValueError, match="levels"):
            PWCMultimodal(levels=7)

    def test_standardise_ignores_nan_and_scale(self) -> None:
        x = torch.randn(2, 3, 16, 16) * 50 + 7
        torch.testing.assert_close(standardise(x), standardise(x * 3 + 100), atol=1e-4, rtol=0)
        x[0, 0, :4] = float("nan")
        z = standardise(x)
        assert torch.isfinite(z).all() and (z[0, 0, :4] == 0).all()
        assert abs(float(z[0, 0, 4:].mean())) < 1e-4


class TestMultiscaleLoss:
    def test_hand_values(self) -> None:
        target = torch.zeros(1, 2, 64, 64)
        target[:, 0] = 4.0  # dx = 4 px everywhere
        right = [torch.full((1, 2, s, s), 0.0).index_fill_(1, torch.tensor([0]), 4.0 / FLOW_SCALE)
                 for s in (2, 4, 8, 16)]  # fmt: skip
        assert float(multiscale_epe_loss(right, target)) == pytest.approx(0.0, abs=1e-5)
        zero = [torch.zeros(1, 2, s, s) for s in (2, 4, 8, 16)]
        # weights of the last four levels: 0.08 (2x2), 0.02 (4x4), 0.01 (8x8), 0.005 (16x16)
        expected = 0.2 * (0.08 * 4 + 0.02 * 16 + 0.01 * 64 + 0.005 * 256)
        assert float(multiscale_epe_loss(zero, target)) == pytest.approx(expected, rel=1e-5)
        with pytest.raises(ValueError, match="weights"):
            multiscale_epe_loss(zero * 2, target)
