"""Urban U-Nets: shapes, registration of every fusion module, the cut-off, the paper's size."""

from __future__ import annotations

import pytest
import torch

from saropt.models import DualStreamUNet, UrbanUNet, create_model, fused_probability
from saropt.models.urban import model_heads


def _inputs(n: int = 2, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 2, size, size, generator=g), torch.rand(n, 4, size, size, generator=g)


def test_dual_stream_heads_and_fused_probability() -> None:
    sar, opt = _inputs()
    model = create_model("dual_stream_unet", width=4).eval()
    logits = model(sar, opt)
    assert logits.shape == (2, 2, 16, 16) and model_heads(model) == ("sar", "opt")
    p = fused_probability(logits)
    assert torch.allclose(p, (torch.sigmoid(logits[:, 0]) + torch.sigmoid(logits[:, 1])) / 2)
    with pytest.raises(ValueError, match="divisible by 4"):
        model(sar[..., :14, :14], opt[..., :14, :14])


def test_every_mmtm_is_registered_and_follows_dtype_and_device() -> None:
    model = DualStreamUNet(width=4)
    assert len(model.mmtms) == 4
    params = {id(p) for p in model.parameters()}
    for m in model.mmtms:
        assert all(id(p) in params for p in m.parameters())  # trained by the optimiser
    model = model.to(torch.float64)
    for m in model.mmtms:
        assert all(p.dtype == torch.float64 for p in m.parameters())
        assert m.mean_a.dtype == torch.float64 and m.mean_b.dtype == torch.float64
    names = set(model.state_dict())
    assert {f"fusion.{k}.mean_a" for k in range(4)} <= names  # saved with the weights
    assert [m.joint.in_features for m in model.mmtms] == [8, 16, 16, 8]


def test_cutoff_makes_each_head_blind_to_the_other_modality() -> None:
    sar, opt = _inputs()
    model = DualStreamUNet(width=4, gate="double_sigmoid").eval()
    for m in model.mmtms:
        torch.nn.init.normal_(m.excite_a.weight)
        torch.nn.init.normal_(m.excite_b.weight)
        m.mean_count.fill_(1)
    other_sar, other_opt = _inputs(2, 16)[0].flip(0), _inputs(2, 16)[1].flip(0) * 3
    with torch.no_grad():
        full = model(sar, opt)
        assert not torch.allclose(full[:, 0], model(sar, other_opt)[:, 0])  # fused: depends
        cut = model(sar, opt, cutoff="opt")
        assert torch.allclose(cut[:, 0], model(sar, other_opt, cutoff="opt")[:, 0])
        cut = model(sar, opt, cutoff="sar")
        assert torch.allclose(cut[:, 1], model(other_sar, opt, cutoff="sar")[:, 1])
    assert all(m.cutoff is None for m in model.mmtms)  # reset after the pass
    with pytest.raises(ValueError, match="no cut-off"):
        DualStreamUNet(width=4, mmtm=False)(sar, opt, cutoff="opt")


def test_single_stream_baselines_read_their_inputs() -> None:
    sar, opt = _inputs()
    for inputs, channels in (("sar", 2), ("opt", 4), ("both", 6)):
        model = UrbanUNet(inputs=inputs, width=4).eval()  # type: ignore[arg-type]
        assert model.net.inc[0].in_channels == channels
        assert model(sar, opt).shape == (2, 1, 16, 16)
    with torch.no_grad():
        only_sar = UrbanUNet(inputs="sar", width=4).eval()
        assert torch.equal(only_sar(sar, opt), only_sar(sar, opt * 0))


def test_paper_size_network_builds_and_runs() -> None:
    model = DualStreamUNet()  # width 64, ratio 1, sigmoid gate: the authors' network

    def double(ci: int, co: int) -> int:  # two 3x3 convolutions without bias, two BatchNorms
        return 9 * ci * co + 9 * co * co + 4 * co

    def stream(cin: int) -> int:
        return (double(cin, 64) + double(64, 128) + double(128, 128) + 4 * 128 * 128 + 128
                + double(256, 64) + 4 * 64 * 64 + 64 + double(128, 64) + 65)  # fmt: skip

    def fusion(c: int) -> int:  # joint 2c -> 4c, two excitations 4c -> c (ratio 1)
        return 2 * c * 4 * c + 4 * c + 2 * (4 * c * c + c)

    expected = stream(2) + stream(4) + sum(fusion(c) for c in (64, 128, 128, 64))
    assert sum(p.numel() for p in model.parameters()) == expected == 2_524_802
    sar, opt = _inputs(1, 64)
    with torch.no_grad():
        assert model.eval()(sar, opt).shape == (1, 2, 64, 64)
