"""SAR-Opt-cGAN generator, Opt-cGAN twin, PatchGAN, registry."""

from __future__ import annotations

import pytest
import torch

from saropt.errors import ConfigError
from saropt.layers import UNet
from saropt.models import CloudRemovalGenerator, create_model, list_models

#: Weight count of the full SAR-Opt-cGAN generator (10 optical + 2 SAR in, 10 out), as the
#: README and the model docstring state; the paper gives "about 170 M".
FULL_GENERATOR_WEIGHTS = 167_690_954


def _count(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


class TestGenerator:
    def test_pix2pix_unet_count_is_the_known_one(self) -> None:
        # pix2pix's unet_256 (3 -> 3 channels, widths 64..512) has 54,414,531 weights
        assert _count(UNet(3, 3, (64, 128, 256, 512, 512, 512, 512, 512))) == 54_414_531

    def test_full_size_builds_counts_and_runs_256(self) -> None:
        g = create_model("sar_opt_cgan_generator", optical_channels=10, sar_channels=2)
        assert _count(g) == FULL_GENERATOR_WEIGHTS
        g.eval()
        with torch.inference_mode():
            y = g(torch.randn(1, 10, 256, 256), torch.randn(1, 2, 256, 256))
        assert y.shape == (1, 10, 256, 256) and y.abs().max() <= 1.0
        # the bottleneck has 1024 maps
        assert g.net.down[-1].conv.out_channels == 1024
        dropouts = [m.p for m in g.modules() if isinstance(m, torch.nn.Dropout)]
        assert dropouts == [0.4, 0.4, 0.4]

    def test_opt_twin_ignores_sar(self) -> None:
        g = create_model("opt_cgan_generator", optical_channels=13, width=8, depth=4)
        assert isinstance(g, CloudRemovalGenerator) and not g.uses_sar
        assert g.net.down[0].conv.in_channels == 13
        x = torch.randn(2, 13, 32, 32)
        g.eval()
        assert g(x).shape == (2, 13, 32, 32)

    def test_small_width_and_errors(self) -> None:
        g = CloudRemovalGenerator(4, 2, width=8, depth=3)
        assert g.factor == 8
        with pytest.raises(ValueError, match="divisible by 8"):
            g(torch.randn(1, 4, 20, 20), torch.randn(1, 2, 20, 20))
        with pytest.raises(ValueError, match="pass the sar"):
            g(torch.randn(1, 4, 16, 16))

    def test_gradients_flow_to_every_weight(self) -> None:
        g = CloudRemovalGenerator(3, 1, width=4, depth=3, dropout=0.0)
        g(torch.randn(2, 3, 16, 16), torch.randn(2, 1, 16, 16)).square().mean().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in g.parameters())


class TestDiscriminatorAndRegistry:
    def test_patchgan_map_size(self) -> None:
        d = create_model("patchgan_discriminator", in_channels=22)
        out = d(torch.randn(1, 12, 256, 256), torch.randn(1, 10, 256, 256))
        assert out.shape == (1, 1, 30, 30)  # pix2pix's 70 x 70 PatchGAN on 256 x 256

    def test_registry(self) -> None:
        assert {"sar_opt_cgan_generator", "opt_cgan_generator", "patchgan_discriminator"} <= set(
            list_models()
        )
        with pytest.raises(ConfigError, match="did you mean sar_opt_cgan_generator"):
            create_model("sar_opt_gan")
