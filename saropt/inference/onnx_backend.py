"""ONNX Runtime as an inference backend (``Runtime(backend="onnx")``, ``--backend onnx``).

The network is exported to ONNX in memory at its first call (the batch dimension left
free), and ONNX Runtime runs it with all its graph optimisations (on a CPU it fuses
convolutions with their normalisation and activation and runs them in its own blocked
layout). On the machine saropt is developed on, that ran the full cloud-removal generator
faster than PyTorch, compiled or not: ``python benchmarks/decloud_speed.py`` measures it.

Inputs given as ``None`` (a modality left out) are supported. Only the batch dimension is
left free: each pattern of present inputs and of their other dimensions (a whole scene
has one tile size) is exported once. Needs the optional packages: ``pip install 'saropt[onnx]'``.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from saropt.errors import ConfigError

_INSTALL = "ONNX Runtime is an optional backend: pip install 'saropt[onnx]'"


def _runtime_module() -> Any:
    try:
        import onnx  # noqa: F401  (the exporter needs it)
        import onnxruntime
    except ImportError as exc:
        raise ConfigError(f"{_INSTALL} ({exc})") from exc
    return onnxruntime


def providers(device: torch.device) -> list[str]:
    """ONNX Runtime's execution providers for ``device``.

    Raises:
        ConfigError: onnx/onnxruntime missing, or the device has no provider here.
    """
    ort = _runtime_module()
    want = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}.get(device.type)
    if want is None or want not in ort.get_available_providers():
        raise ConfigError(
            f"ONNX Runtime here has no provider for '{device}' "
            f"(it has {', '.join(ort.get_available_providers())}); use --backend torch"
        )
    return [want] if want == "CPUExecutionProvider" else [want, "CPUExecutionProvider"]


class _Present(nn.Module):
    """``model`` as a function of the inputs that are present (``pattern[i]``: input i
    was given)."""

    def __init__(self, model: nn.Module, pattern: tuple[bool, ...]) -> None:
        super().__init__()
        self.model = model
        self.pattern = pattern

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        it = iter(xs)
        return self.model(*(next(it) if given else None for given in self.pattern))


class OnnxNetwork:
    """A network run by ONNX Runtime: float32 tensors in, a float32 CPU tensor out.

    Args:
        model: The PyTorch network (in eval mode; exported at the first call).
        device: Where ONNX Runtime runs it ("cpu", or "cuda" with onnxruntime-gpu).
        threads: Intra-op threads (default: torch's thread count).
    """

    def __init__(self, model: nn.Module, device: str = "cpu", threads: int | None = None):
        self.model = model.eval()
        self.device = torch.device(device)
        self.providers = providers(self.device)
        self.threads = threads or torch.get_num_threads()
        self._sessions: dict[tuple[tuple[int, ...] | None, ...], Any] = {}

    def _session(self, inputs: tuple[torch.Tensor | None, ...]) -> Any:
        key = tuple(None if t is None else tuple(t.shape[1:]) for t in inputs)
        if key not in self._sessions:
            pattern = tuple(t is not None for t in inputs)
            self._sessions[key] = self._export(pattern, [t for t in inputs if t is not None])
        return self._sessions[key]

    def _export(self, pattern: tuple[bool, ...], xs: list[torch.Tensor]) -> Any:
        ort = _runtime_module()
        names = [f"input{i}" for i in range(len(xs))]
        buf = io.BytesIO()
        try:
            with warnings.catch_warnings(), torch.no_grad():
                # the TorchScript-based exporter's deprecation and tracer notes say nothing
                # about the exported graph, which tests hold to the PyTorch outputs
                warnings.simplefilter("ignore")
                # in eval mode: the exporter sets the wrapper back to the mode it had,
                # which a new module's train mode would pass on to the network
                wrapper = _Present(self.model.float().cpu(), pattern).eval()
                torch.onnx.export(
                    wrapper,
                    tuple(x.float().cpu() for x in xs),
                    buf,  # type: ignore[arg-type]  # a file object is accepted; stubs say path
                    input_names=names,
                    output_names=["output"],
                    dynamic_axes={n: {0: "batch"} for n in [*names, "output"]},
                    opset_version=17,
                    dynamo=False,
                )
        except Exception as exc:  # the exporter's errors have no common base class
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(
                f"{type(self.model).__name__} cannot be exported to ONNX ({first[:200]}); "
                "use --backend torch"
            ) from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(buf.getvalue(), options, providers=self.providers)

    def __call__(self, *inputs: torch.Tensor | None) -> torch.Tensor:
        session = self._session(inputs)
        feed = {
            f"input{i}": np.ascontiguousarray(t.detach().float().cpu().numpy())
            for i, t in enumerate(t for t in inputs if t is not None)
        }
        return torch.from_numpy(session.run(None, feed)[0])
