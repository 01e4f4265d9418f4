"""Runtime: every fast path (layout, precision, compilation) agrees with the fp32 reference
within its stated tolerance; bad settings are named errors; Timings adds up."""

from __future__ import annotations

import sys
import time
from contextlib import nullcontext

import pytest
import torch

from saropt.errors import ConfigError
from saropt.inference import Runtime, Timings
from saropt.inference.runtime import TOLERANCE, native_bf16
from saropt.models import create_model


@pytest.fixture(scope="module")
def generator() -> torch.nn.Module:
    torch.manual_seed(0)
    g = create_model("sar_opt_cgan_generator", optical_channels=4, width=8, depth=4).eval()
    with torch.no_grad():  # running statistics away from the init, as after training
        for m in g.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
    return g


def _inputs(n: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, 4, 64, 64, generator=g) * 2 - 1
    return x, torch.rand(n, 2, 64, 64, generator=g) * 2 - 1


def _copy(model: torch.nn.Module) -> torch.nn.Module:
    clone = create_model("sar_opt_cgan_generator", optical_channels=4, width=8, depth=4)
    clone.load_state_dict(model.state_dict())
    return clone


def _reference(model: torch.nn.Module, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return _copy(model).eval()(x, s)


class TestAgreement:
    @pytest.mark.parametrize("precision", ["bf16", "bf16-pure"])
    def test_precisions_within_tolerance(self, generator: torch.nn.Module, precision: str) -> None:
        x, s = _inputs()
        ref = _reference(generator, x, s)
        emulated = not native_bf16("cpu")
        with pytest.warns(RuntimeWarning, match="no native bf16") if emulated else nullcontext():
            net = Runtime(precision=precision).prepare(_copy(generator))  # type: ignore[arg-type]
        out = net(x, s)
        assert out.dtype == torch.float32 and out.shape == ref.shape
        err = (out - ref).abs().max().item()
        assert err < TOLERANCE[precision], err
        assert err > 0  # it did run in a lower precision

    def test_channels_last_within_tolerance(self, generator: torch.nn.Module) -> None:
        x, s = _inputs()
        out = Runtime(channels_last=True).prepare(_copy(generator))(x, s)
        assert (out - _reference(generator, x, s)).abs().max().item() < TOLERANCE["fp32"]

    def test_compiled_within_tolerance_and_pads_a_short_batch(
        self, generator: torch.nn.Module
    ) -> None:
        x, s = _inputs(4)
        net = Runtime(channels_last=True, compile=True).prepare(_copy(generator))
        full = net(x, s)
        short = net(x[:3], s[:3])  # padded to the compiled batch of 4, cut back to 3
        ref = _reference(generator, x, s)
        assert short.shape[0] == 3
        assert (full - ref).abs().max().item() < TOLERANCE["fp32"]
        assert (short - ref[:3]).abs().max().item() < TOLERANCE["fp32"]

    def test_onnx_within_tolerance_for_any_batch_and_missing_inputs(
        self, generator: torch.nn.Module
    ) -> None:
        x, s = _inputs(4)
        timings = Timings()
        net = Runtime(backend="onnx", channels_last=True).prepare(_copy(generator), timings)
        ref = _reference(generator, x, s)
        assert (net(x, s) - ref).abs().max().item() < TOLERANCE["fp32"]
        short = net(x[:1], s[:1])  # the batch dimension stays free: no re-export
        assert short.shape[0] == 1
        assert (short - ref[:1]).abs().max().item() < TOLERANCE["fp32"]
        assert set(timings.seconds) == {"compiling", "model"}  # the export counted apart
        # an optical-only twin called without its SAR input
        torch.manual_seed(2)
        twin = create_model("sar_opt_cgan_generator", optical_channels=4, sar_channels=0,
                            width=8, depth=4).eval()  # fmt: skip
        with torch.inference_mode():
            want = twin(x, None)
        got = Runtime(backend="onnx").prepare(twin)(x, None)
        assert (got - want).abs().max().item() < TOLERANCE["fp32"]
        assert not twin.training  # the export left the network as it found it
        # another tile size is exported again, not refused
        big = torch.rand(2, 4, 96, 96) * 2 - 1
        with torch.inference_mode():
            want = twin(big, None)
        got = Runtime(backend="onnx").prepare(twin)(big, None)
        assert (got - want).abs().max().item() < TOLERANCE["fp32"]


class TestSettings:
    def test_bad_settings_are_named(self) -> None:
        with pytest.raises(ConfigError, match="precision must be one of"):
            Runtime(precision="fp8")  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="fp16 is for CUDA"):
            Runtime(precision="fp16")
        with pytest.raises(ConfigError, match="unknown device"):
            Runtime(device="gpu0")
        if not torch.cuda.is_available():
            with pytest.raises(ConfigError, match="no CUDA device"):
                Runtime(device="cuda")
        with pytest.raises(ConfigError, match="backend must be one of"):
            Runtime(backend="tensorrt")  # type: ignore[arg-type]
        with pytest.raises(ConfigError, match="onnx backend runs fp32"):
            Runtime(backend="onnx", compile=True)
        with pytest.raises(ConfigError, match="onnx backend runs fp32"):
            Runtime(backend="onnx", precision="bf16")

    def test_onnx_missing_is_named(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails as uninstalled
        with pytest.raises(ConfigError, match=r"pip install 'saropt\[onnx\]'"):
            Runtime(backend="onnx")

    def test_timings_add_up(self) -> None:
        t = Timings()
        for _ in range(3):
            with t.timed("model"):
                time.sleep(0.02)
        t.add("reading", 0.5)
        assert 0.06 <= t.seconds["model"] < 0.2
        assert t.share("reading", 2.0) == 0.25 and t.share("writing", 2.0) == 0.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
class TestCuda:
    def test_fp16_and_bf16_on_cuda_agree_with_cpu_fp32(self, generator: torch.nn.Module) -> None:
        x, s = _inputs()
        ref = _reference(generator, x, s)
        for precision in ("fp32", "fp16", "bf16"):
            rt = Runtime("cuda", precision, channels_last=True)  # type: ignore[arg-type]
            net = rt.prepare(_copy(generator))
            out = net(x, s)
            assert out.device.type == "cpu"
            assert (out - ref).abs().max().item() < max(TOLERANCE[precision], 1e-3)
