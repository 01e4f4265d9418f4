"""Plain-torch ResNets and the cross-modal classifier built on them."""

from __future__ import annotations

import pytest
import torch

from saropt.models import CrossModalClassifier, create_model, resnet18, resnet50


def _weights(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_weight_counts_match_the_known_figures() -> None:
    # torchvision's ResNet-50 (25,557,032) and ResNet-18 (11,689,512) less their 1000-class
    # classifiers (2,049,000 and 513,000)
    assert _weights(resnet50(3)) == 23_508_032
    assert _weights(resnet18(3)) == 11_176_512
    assert resnet50(3).features == 2048 and resnet18(3).features == 512


def test_any_band_count_and_the_small_stem() -> None:
    m = create_model("resnet18", in_channels=13, width=8, stem="small")
    y = m(torch.randn(2, 13, 32, 32))
    assert y.shape == (2, 64)
    # the first conv is the only layer that depends on the bands
    assert _weights(resnet50(13)) - _weights(resnet50(3)) == 10 * 64 * 7 * 7


def test_full_size_classifier_one_forward_pass() -> None:
    model = CrossModalClassifier(9, 2, 13).eval()  # ResNet-50 branches, 1024-d latent
    with torch.no_grad():
        z1 = model.embed(torch.randn(2, 2, 64, 64), "s1")
        z2 = model.embed(torch.randn(2, 13, 64, 64), "s2")
        p = model.predict(torch.randn(2, 13, 64, 64), "s2")
    assert z1.shape == z2.shape == (2, 1024)
    assert p.shape == (2, 9) and torch.allclose(p.sum(1), torch.ones(2))
    assert model.extract["s1"].features == 2048
    # three fully connected layers per projection, separate weights per modality
    assert sum(isinstance(m, torch.nn.Linear) for m in model.project["s1"]) == 3
    assert model.project["s1"][0].weight.data_ptr() != model.project["s2"][0].weight.data_ptr()


def test_the_discriminator_sits_behind_a_reversal() -> None:
    torch.manual_seed(0)
    model = CrossModalClassifier(3, 2, 4, backbone="resnet18", width=4, stem="small", latent=8)
    z = torch.randn(5, 8, requires_grad=True)
    model.modality_logit(z, 1.0).sum().backward()
    through = z.grad.clone()
    z.grad = None
    model.discriminator(z)[:, 0].sum().backward()  # the same head without the reversal
    assert torch.allclose(through, -z.grad)


def test_wrong_band_count_is_named() -> None:
    model = CrossModalClassifier(3, 2, 4, backbone="resnet18", width=4, stem="small", latent=8)
    with pytest.raises(ValueError, match="s2 input has 5 bands; the model takes 4"):
        model.embed(torch.randn(1, 5, 16, 16), "s2")
