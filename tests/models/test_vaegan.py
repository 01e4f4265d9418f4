"""The VAE-GAN that generates hard negatives."""

from __future__ import annotations

import pytest
import torch

from saropt.datasets.matching import PairTensors
from saropt.models import VariationalSARGenerator, create_model


def test_generator_shapes_and_seeded_novelty() -> None:
    torch.manual_seed(0)
    gen = create_model("variational_sar_generator", width=8, latent=4)
    assert isinstance(gen, VariationalSARGenerator)
    x = torch.rand(5, 2, 32, 32)
    recon, mu, logvar = gen(x)
    assert recon.shape == x.shape and mu.shape == logvar.shape == (5, 4, 4, 4)
    assert 0 <= recon.min() and recon.max() <= 1
    gen.eval()
    a = gen.novel(x, 1.0, torch.Generator().manual_seed(3))
    b = gen.novel(x, 1.0, torch.Generator().manual_seed(3))
    c = gen.novel(x, 1.0, torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b)
    assert (a - c).abs().mean() > 1e-4
    with pytest.raises(ValueError, match="differ in length"):
        PairTensors(x, x[:4], torch.zeros(5))
