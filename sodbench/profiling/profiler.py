"""``sodbench.profile``: count and time a model under a stated protocol, return the record."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from sodbench.errors import SodbenchError
from sodbench.profiling.backends import BACKENDS, check_equivalence, prepare_backend
from sodbench.profiling.counting import count_complexity, count_parameters
from sodbench.profiling.external import external_counters
from sodbench.profiling.record import FORMAT, SCHEMA, environment
from sodbench.profiling.timing import (
    MINET_FPS,
    PROTOCOLS,
    fixed_threads,
    measure,
    set_cudnn_benchmark,
)

#: Default warm-up and timed calls of the latency and throughput protocols.
DEFAULT_WARMUP = 10
DEFAULT_ITERS = 50

COUNTS = {
    "macs": "multiply-accumulates of conv, linear and matmul ops (torch FlopCounterMode / 2); "
    "bias, normalisation and element-wise ops excluded",
    "flops": "2 x MACs: torch.utils.flop_counter.FlopCounterMode's total",
    "flops_with_elementwise": "FLOPs + BatchNorm 2, ReLU 1, add/sub/mul/div 1, sigmoid/tanh 1, "
    "bilinear upsampling 4 per output element",
    "paper_compatible_macs": "thop 0.0.31 (2020) convention used by MINet's paper: MACs + 1 per "
    "conv-bias output element + 2 per BatchNorm element; ReLU, upsampling, add, sigmoid = 0",
    "module_hook_macs": "conv/linear MACs from nn.Module forward hooks (cross-check of 'macs'; "
    "misses functional F.conv2d/F.linear calls)",
}


def _device(name: str) -> torch.device:
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise SodbenchError(f"--device must be cpu or cuda (got {name!r})") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SodbenchError("--device cuda requested but torch.cuda.is_available() is False")
    if device.type not in ("cpu", "cuda"):
        raise SodbenchError(f"--device must be cpu or cuda (got {name!r})")
    return device


def _check_options(input_shape, protocol, backends, amp, device) -> None:
    if len(input_shape) < 2 or any(int(n) < 1 for n in input_shape):
        raise SodbenchError(f"input shape {tuple(input_shape)} must be N x C x ... with sizes >= 1")
    if protocol not in PROTOCOLS:
        raise SodbenchError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise SodbenchError(f"unknown backend {unknown[0]!r}; choose from {', '.join(BACKENDS)}")
    # A frozen TorchScript graph and ONNX Runtime ignore torch.autocast, so AMP is eager-only.
    if amp and (device.type != "cuda" or backends != ["eager"]):
        raise SodbenchError("--amp needs --device cuda and only the eager backend")


def _on_device(model: nn.Module, device: torch.device) -> nn.Module:
    """The model itself when it already lives on ``device``, else a moved deep copy."""
    tensors = list(model.parameters()) + list(model.buffers())
    if all(t.device == device or (device.index is None and t.device.type == device.type)
           for t in tensors):
        return model
    return copy.deepcopy(model).to(device)


def _random_input(shape: Sequence[int], device: torch.device, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(tuple(shape), generator=generator).to(device)


def _counters(counts: dict, external: dict) -> dict:
    entries = {name: {"value": counts[name], "counts": what} for name, what in COUNTS.items()}
    entries.update(external)
    return entries


def _speed_rows(model, image_shape, device, *, batch_sizes, backends, protocol, warmup, iters,
                rounds, threads, amp, seed) -> list[dict]:
    # Traced/exported at batch 1 (dynamic axes); every timed batch is checked anyway.
    example = _random_input((1, *image_shape), device, seed)
    runs = {b: prepare_backend(model, example, b, threads=threads) for b in backends}
    rows = {}
    for batch in batch_sizes:
        x = _random_input((batch, *image_shape), device, seed)
        differences = {b: 0.0 if b == "eager" else check_equivalence(model, run, x, backend=b)
                       for b, run in runs.items()}
        timed = measure(runs, x, protocol=protocol, warmup=warmup, iters=iters, rounds=rounds,
                        amp=amp)
        for backend, row in timed.items():
            rows[backend, batch] = {"backend": backend, **row,
                                    "max_abs_diff_vs_eager": differences[backend]}
    return [rows[b, n] for b in backends for n in batch_sizes]


def profile(
    model: nn.Module,
    input_shape: Sequence[int] = (1, 3, 368, 368),
    *,
    device: str = "cpu",
    batch_sizes: Sequence[int] | None = None,
    threads: int | None = None,
    warmup: int | None = None,
    iters: int | None = None,
    protocol: str = "latency",
    backends: Sequence[str] = ("eager",),
    rounds: int = 5,
    amp: bool = False,
    cudnn_benchmark: bool = True,
    external: bool = True,
    name: str | None = None,
    seed: int = 0,
) -> dict:
    """Parameters, MACs/FLOPs (per image, at batch 1) and speed of ``model``, as one record.

    Parameters
    ----------
    model : nn.Module
        Left as it was: its training flag is restored, no hooks or buffers stay on it, and
        fvcore/thop run on deep copies. Counting and timing run in eval mode.
    input_shape : sequence of int
        ``N x C x H x W``. Complexity is counted on ``1 x C x H x W``; ``N`` is the default
        batch of the speed measurement.
    device : {"cpu", "cuda"}
    batch_sizes : sequence of int, optional
        Batches to time (default ``(N,)``, or 300 for ``protocol="minet-fps"``).
    threads : int, optional
        ``torch.set_num_threads`` during the run (restored after; recorded either way).
    warmup, iters : int, optional
        Untimed and timed calls (default 10 and 50; minet-fps: 21 dropped of 100).
        ``iters=0`` skips the speed measurement.
    protocol : {"latency", "throughput", "minet-fps"}
        See :mod:`sodbench.profiling.timing`.
    backends : sequence of {"eager", "torchscript", "onnxruntime"}
        Each is checked against eager outputs (1e-4) before it is timed.
    rounds : int
        The timed calls are split into this many rounds, backends interleaved in a rotating
        order (latency/throughput; minet-fps times each backend on its own).
    amp : bool
        Time under ``torch.autocast`` float16 (CUDA only).
    cudnn_benchmark : bool
        ``torch.backends.cudnn.benchmark`` while timing (minet-fps always sets it, as FPS.py).
    external : bool
        Also run fvcore and thop (when installed) for their totals.
    name : str, optional
        Model name in the record (default: the class name).
    seed : int
        Seed of the random inputs.

    Returns
    -------
    dict
        The record described in :mod:`sodbench.profiling.record`.
    """
    device = _device(device)
    backends = list(dict.fromkeys(backends))
    _check_options(input_shape, protocol, backends, amp, device)
    minet = protocol == "minet-fps"
    batch_sizes = list(batch_sizes or [MINET_FPS["batch"] if minet else int(input_shape[0])])
    if any(b < 1 for b in batch_sizes):
        raise SodbenchError(f"batch sizes must be >= 1 (got {batch_sizes})")
    warmup = (MINET_FPS["warmup"] if minet else DEFAULT_WARMUP) if warmup is None else warmup
    iters = (MINET_FPS["iters"] if minet else DEFAULT_ITERS) if iters is None else iters
    image_shape = tuple(int(n) for n in input_shape[1:])

    # Per module: a frozen BatchNorm inside a training model must stay in eval mode.
    training_flags = [(module, module.training) for module in model.modules()]
    with fixed_threads(threads) as used_threads, set_cudnn_benchmark(cudnn_benchmark):
        try:
            work = _on_device(model, device).eval()
            example = _random_input((1, *image_shape), device, seed)
            counts = count_complexity(work, example)
            extra = external_counters(work, example, counts) if external else {}
            speed = [] if iters == 0 else _speed_rows(
                work, image_shape, device, batch_sizes=batch_sizes, backends=backends,
                protocol=protocol, warmup=warmup, iters=iters, rounds=rounds, threads=used_threads,
                amp=amp, seed=seed)
        finally:
            for module, flag in training_flags:
                module.training = flag
        env = environment(device, threads=used_threads,
                          dtype="float16 autocast" if amp else "float32", amp=amp)
    env["cudnn_benchmark"] = cudnn_benchmark or minet
    return {
        "format": FORMAT,
        "schema": SCHEMA,
        "model": name or type(model).__name__,
        "input_shape": [1, *image_shape],
        "params": count_parameters(model),
        "macs": counts["macs"],
        "flops": counts["flops"],
        "paper_compatible_macs": counts["paper_compatible_macs"],
        "counters": _counters(counts, extra),
        "by_operator": counts["by_operator"],
        "by_module": counts["by_module"],
        "uncounted_ops": counts["uncounted_ops"],
        "elements": {key: counts[key] for key in
                     ("bias_elements", "batch_norm_elements", "bilinear_output_elements")},
        "speed": speed,
        "protocol": {"name": protocol, "batch_sizes": batch_sizes, "warmup": warmup,
                     "iters": iters, "rounds": rounds, "backends": backends,
                     "per_image": "complexity counted at batch 1",
                     "input": f"torch.randn, seed {seed}, already on the device"},
        "environment": env,
    }

