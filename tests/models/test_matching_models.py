"""Every matching model at its default (largest) size builds by name and runs one forward."""

from __future__ import annotations

import torch

from saropt.models import create_model, list_models


def test_default_matching_models_run_one_forward_pass() -> None:
    torch.manual_seed(0)
    assert {"shift_classifier", "pseudo_siamese_matcher", "two_stream_descriptor",
            "variational_sar_generator"} <= set(list_models())  # fmt: skip
    with torch.inference_mode():
        shift = create_model("shift_classifier").eval()
        logits = shift(torch.rand(2, 13, 64, 64), torch.rand(2, 2, 96, 96))
        assert logits.shape == (2, 33, 33) and torch.isfinite(logits).all()

        matcher = create_model("pseudo_siamese_matcher").eval()
        assert matcher(torch.rand(3, 13, 64, 64), torch.rand(3, 2, 64, 64)).shape == (3,)

        desc = create_model("two_stream_descriptor").eval()  # HardNet: 32 px in, 128-D out
        a, b = desc(torch.rand(3, 13, 32, 32), torch.rand(3, 2, 32, 32))
        assert a.shape == b.shape == (3, 128)
        torch.testing.assert_close(a.norm(dim=1), torch.ones(3))

        vae = create_model("variational_sar_generator").eval()
        recon, mu, _ = vae(torch.rand(2, 2, 64, 64))
        assert recon.shape == (2, 2, 64, 64) and mu.shape == (2, 16, 8, 8)
