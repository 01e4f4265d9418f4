"""How a trained network runs at inference: device, precision, memory layout, compilation.

:class:`Runtime` turns an ``nn.Module`` into a callable that takes float32 tensors and
returns a float32 tensor on the CPU, whatever device, precision and layout run inside:

- ``precision``: "fp32"; "bf16" (bfloat16 autocast: convolutions and matmuls in bf16,
  the rest in fp32); "bf16-pure" (weights and activations in bf16 throughout); "fp16"
  (float16 autocast, for CUDA). On a CPU without native bf16 instructions (AVX-512 BF16
  or AMX) oneDNN emulates bf16 and is far slower than fp32: :meth:`Runtime.check` says so.
- ``channels_last``: the NHWC layout that oneDNN and cuDNN convolutions prefer.
- ``backend``: "torch", or "onnx": ONNX Runtime runs the network exported at its first call
  (fp32 only; ONNX Runtime picks its own layout, so ``channels_last`` does not apply;
  see :mod:`saropt.inference.onnx_backend`).
- ``compile``: ``torch.compile`` with inductor's freezing (weights become constants,
  batch norm folds into the convolutions and weights are pre-packed once instead of at
  every call). The first call compiles (8-12 s for the full cloud-removal generator with
  inductor's on-disk cache warm, about 30 s cold); batches are padded to the first
  batch's size so that it compiles once.

:class:`Timings` adds up wall time per named step; whole-scene functions fill one when
given, so benchmarks can say where time goes (a compiled network's first call, which
compiles, counts as ``compiling``, the others as ``model``; so does an ONNX network's
first call, which exports it).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from saropt.errors import ConfigError

Precision = Literal["fp32", "bf16", "bf16-pure", "fp16"]
PRECISIONS: tuple[str, ...] = ("fp32", "bf16", "bf16-pure", "fp16")
Backend = Literal["torch", "onnx"]
BACKENDS: tuple[str, ...] = ("torch", "onnx")

#: Tolerances (absolute, on outputs in [-1, 1]) within which a fast path must agree with
#: the fp32 reference; tests hold every path to them.
TOLERANCE: dict[str, float] = {"fp32": 1e-5, "bf16": 0.05, "bf16-pure": 0.08, "fp16": 0.01}


def check_device(device: str) -> torch.device:
    """The torch device named ``device``, refused when it is unknown or absent here.

    Raises:
        ConfigError: Not a device name, or a CUDA/MPS device this machine lacks.
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as e:
        raise ConfigError(f"unknown device '{device}' ({e}); use cpu, cuda or cuda:N") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device '{device}' asked for, but torch sees no CUDA device")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(f"device '{device}': only {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device '{device}' asked for, but torch sees no MPS device")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"device '{device}' is not supported; use cpu, cuda or cuda:N")
    return dev


@dataclass
class Timings:
    """Wall seconds per step, added up over a run (``reading``, ``model``, ``writing``...)."""

    seconds: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to ``step``."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.add(step, time.perf_counter() - t0)

    def add(self, step: str, seconds: float) -> None:
        """Add ``seconds`` to ``step`` (safe from several threads)."""
        with self._lock:
            self.seconds[step] = self.seconds.get(step, 0.0) + seconds

    def share(self, step: str, total: float) -> float:
        """``step``'s seconds as a fraction of ``total`` seconds."""
        return self.seconds.get(step, 0.0) / total if total > 0 else 0.0


@contextmanager
def _maybe(timings: Timings | None, step: str) -> Iterator[None]:
    if timings is None:
        yield
    else:
        with timings.timed(step):
            yield


def native_bf16(device: str) -> bool:
    """Whether ``device`` computes bf16 in hardware (CUDA from Ampere on; CPUs with
    AVX-512 BF16 or AMX)."""
    dev = torch.device(device)
    if dev.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if dev.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


@dataclass(frozen=True)
class Runtime:
    """Device, precision, layout and compilation of a network at inference.

    Attributes:
        device: Torch device ("cpu", "cuda", "cuda:1").
        precision: See the module docstring.
        channels_last: Run convolutions in the NHWC layout.
        compile: ``torch.compile`` the network (inductor, with freezing).
        backend: "torch" or "onnx" (ONNX Runtime; fp32, not compiled).
    """

    device: str = "cpu"
    precision: Precision = "fp32"
    channels_last: bool = False
    compile: bool = False
    backend: Backend = "torch"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(
                f"precision must be one of {', '.join(PRECISIONS)}; got '{self.precision}'"
            )
        dev = check_device(self.device)
        if self.precision == "fp16" and dev.type == "cpu":
            raise ConfigError("fp16 is for CUDA; on a CPU use fp32 (or bf16 where it is native)")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}; got '{self.backend}'")
        if self.backend == "onnx":
            if self.precision != "fp32" or self.compile:
                raise ConfigError(
                    "the onnx backend runs fp32 and is not compiled: "
                    "drop --precision/--compile or use --backend torch"
                )
            from saropt.inference.onnx_backend import providers

            providers(dev)  # onnxruntime installed, with a provider for the device

    def check(self) -> None:
        """Warn when the precision asked for is emulated on this device (much slower)."""
        if self.precision.startswith("bf16") and not native_bf16(self.device):
            warnings.warn(
                f"{self.device} has no native bf16 (on a CPU: no AVX-512 BF16 or AMX); "
                "bf16 is emulated and far slower than fp32 here",
                RuntimeWarning,
                stacklevel=3,
            )

    @property
    def layout(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def prepare(
        self, model: nn.Module, timings: Timings | None = None
    ) -> Callable[..., torch.Tensor]:
        """The network as a function of float32 tensors (on any device) that returns a
        float32 tensor on the CPU; runs without autograd.

        The model is moved to the device (and cast, for "bf16-pure") in place.
        """
        self.check()
        dev = torch.device(self.device)
        if self.backend == "onnx":
            return self._prepare_onnx(model, timings)
        model.eval().to(dev, memory_format=self.layout)  # type: ignore[call-overload]  # absent from stubs
        dtype = torch.bfloat16 if self.precision == "bf16-pure" else torch.float32
        if dtype != torch.float32:
            model.to(dtype)
        autocast = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision)
        net: Callable[..., torch.Tensor] = model
        freezing: Any = nullcontext()
        if self.compile:
            import torch._inductor.config as inductor_config

            net = torch.compile(model)
            # compilation happens at the first call; ``options={"freezing": True}`` given to
            # torch.compile did not freeze (no speed-up measured), the config patch does
            freezing = inductor_config.patch(freezing=True)
        batch: list[int] = []  # the compiled batch size, fixed by the first call
        calls = [0]  # calls so far

        def prepared(*inputs: torch.Tensor | None) -> torch.Tensor:
            n = next(t.shape[0] for t in inputs if t is not None)
            if self.compile and not batch:
                batch.append(n)
            pad = batch[0] - n if self.compile and n < batch[0] else 0
            xs = [None if t is None else _to(t, dev, dtype, self.layout, pad) for t in inputs]
            # a compiled network's first call compiles it: counted apart from "model"
            step = "compiling" if self.compile and not calls[0] else "model"
            calls[0] += 1
            with (
                freezing,
                _maybe(timings, step),
                torch.inference_mode(),
                torch.autocast(dev.type, dtype=autocast or torch.float32, enabled=bool(autocast)),
            ):
                y = net(*xs)
                y = y[:n].float().cpu()  # synchronises a CUDA device, so the time is true
            return y

        return prepared

    def _prepare_onnx(
        self, model: nn.Module, timings: Timings | None
    ) -> Callable[..., torch.Tensor]:
        from saropt.inference.onnx_backend import OnnxNetwork

        net = OnnxNetwork(model, self.device)
        calls = [0]

        def prepared(*inputs: torch.Tensor | None) -> torch.Tensor:
            # the first call exports the network: counted apart from "model"
            step = "compiling" if not calls[0] else "model"
            calls[0] += 1
            with _maybe(timings, step):
                return net(*inputs)

        return prepared


def _to(
    t: torch.Tensor, dev: torch.device, dtype: torch.dtype, layout: torch.memory_format, pad: int
) -> torch.Tensor:
    if pad:
        t = torch.cat([t, t[-1:].expand(pad, *t.shape[1:])])
    pin = dev.type == "cuda" and t.device.type == "cpu"
    if pin:
        t = t.pin_memory()
    t = t.to(dev, dtype=dtype, non_blocking=pin)
    return t.contiguous(memory_format=layout) if t.dim() == 4 else t
