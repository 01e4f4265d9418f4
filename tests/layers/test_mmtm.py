"""MMTM: shapes, gradients, the identity at initialisation, stored means and the cut-off."""

from __future__ import annotations

import pytest
import torch

from saropt.layers.mmtm import MMTM, mmtm


def _maps(n: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 4, 8, 8, generator=g), torch.randn(n, 6, 4, 4, generator=g)


def _randomise(m: MMTM) -> MMTM:
    torch.manual_seed(1)
    for layer in (m.excite_a, m.excite_b):
        torch.nn.init.normal_(layer.weight)
    return m


def test_shapes_joint_width_and_identity_at_initialisation() -> None:
    a, b = _maps()
    m = MMTM(4, 6, ratio=2.0)
    assert m.joint.out_features == 2 * (4 + 6) // 2
    out_a, out_b = m(a, b)
    assert out_a.shape == a.shape and out_b.shape == b.shape
    assert torch.equal(out_a, a) and torch.equal(out_b, b)  # 2 sigmoid(0) = 1
    half_a, _ = MMTM(4, 6, gate="sigmoid")(a, b)
    assert torch.allclose(half_a, a / 2)
    torch.manual_seed(0)  # torch's default initialisation: gates differ per channel at once
    gates = MMTM(4, 6, excite_init="pytorch")(torch.ones(1, 4, 2, 2), torch.ones(1, 6, 2, 2))[0]
    assert gates.std() > 0.01 and ((gates > 0) & (gates < 2)).all()
    with pytest.raises(ValueError, match="excite_init"):
        MMTM(4, 6, excite_init="xavier")  # type: ignore[arg-type]


def test_gradcheck_of_the_function() -> None:
    a, b = (t.double().requires_grad_() for t in _maps(2))
    m = _randomise(MMTM(4, 6)).double()
    for gate in ("double_sigmoid", "sigmoid"):
        assert torch.autograd.gradcheck(
            lambda x, y, g=gate: mmtm(x, y, m.joint, m.excite_a, m.excite_b, gate=g), (a, b)
        )


def test_recorded_means_are_the_squeeze_means_over_every_sample() -> None:
    (a1, b1), (a2, b2) = _maps(3, 0), _maps(5, 1)
    m = MMTM(4, 6)
    m.recording = True
    m(a1, b1)
    m(a2, b2)
    m.recording = False
    expect_a = torch.cat([a1, a2]).mean((2, 3)).mean(0)
    assert torch.allclose(m.mean_a, expect_a, atol=1e-6)
    assert torch.allclose(m.mean_b, torch.cat([b1, b2]).mean((2, 3)).mean(0), atol=1e-6)
    assert float(m.mean_count) == 8
    assert {"mean_a", "mean_b", "mean_count"} <= set(m.state_dict())
    assert all(p is not m.mean_a for p in m.parameters())  # buffers, not parameters


def test_cutoff_replaces_exactly_one_squeeze() -> None:
    a, b = _maps()
    m = _randomise(MMTM(4, 6))
    with pytest.raises(RuntimeError, match="mean squeeze"):
        m.cutoff = "b"
        m(a, b)
    m.cutoff = None
    m.mean_a.copy_(torch.linspace(-1, 1, 4))
    m.mean_b.copy_(torch.linspace(0, 2, 6))
    m.mean_count.fill_(1)
    _, b_other = _maps(3, 7)
    m.cutoff = "b"
    cut_a, cut_b = m(a, b)
    cut_a2, cut_b2 = m(a, b_other)
    assert torch.equal(cut_a, cut_a2)  # stream a no longer depends on b's input
    assert not torch.allclose(cut_b, cut_b2)  # b itself still passes through
    ref_a, _ = mmtm(a, b, m.joint, m.excite_a, m.excite_b, squeeze_b=m.mean_b)
    assert torch.allclose(cut_a, ref_a)
    full_a, _ = mmtm(a, b, m.joint, m.excite_a, m.excite_b)
    assert not torch.allclose(cut_a, full_a)  # and a's own squeeze is still its own:
    own_a, _ = mmtm(a, b, m.joint, m.excite_a, m.excite_b, squeeze_a=m.mean_a,
                    squeeze_b=m.mean_b)  # fmt: skip
    assert not torch.allclose(cut_a, own_a)
