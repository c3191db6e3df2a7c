"""``sodbench.profile``: count and time a model under a stated protocol, return the record."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import nn

from sodbench.errors import SodbenchError
from sodbench.profiling.backends import BACKENDS, check_equivalence, prepare_backend
from sodbench.profiling.counting import count_complexity, count_parameters
from sodbench.profiling.environment import environment
from sodbench.profiling.external import external_counters
from sodbench.profiling.guard import (
    check_fits,
    check_input_shape,
    float32_bytes,
    format_shape,
    forward_errors,
    memory_errors,
)
from sodbench.profiling.record import (
    CounterTotal,
    ModuleCount,
    OperatorCount,
    ParamCount,
    ProfileRecord,
    Protocol,
    SpeedRow,
    UncountedOp,
)
from sodbench.profiling.report import plural
from sodbench.profiling.threads import choose_threads
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
_SMALLER = "choose a smaller input or batch (input_shape=, batch_sizes=)"

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
        raise SodbenchError(f"device={name!r}: must be cpu or cuda") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SodbenchError("device=cuda requested but torch.cuda.is_available() is False")
    if device.type not in ("cpu", "cuda"):
        raise SodbenchError(f"device={name!r}: must be cpu or cuda")
    return device


def _check_options(protocol, backends, amp, device) -> None:
    if protocol not in PROTOCOLS:
        raise SodbenchError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise SodbenchError(f"unknown backend {unknown[0]!r}; choose from {', '.join(BACKENDS)}")
    # A frozen TorchScript graph and ONNX Runtime ignore torch.autocast, so AMP is eager-only.
    if amp and (device.type != "cuda" or backends != ["eager"]):
        raise SodbenchError("amp=True needs device=cuda and only the eager backend")


def _on_device(model: nn.Module, device: torch.device) -> nn.Module:
    """The model itself when it already lives on ``device``, else a moved deep copy."""
    tensors = list(model.parameters()) + list(model.buffers())
    if all(t.device == device or (device.index is None and t.device.type == device.type)
           for t in tensors):
        return model
    return copy.deepcopy(model).to(device)


def _random_input(shape: Sequence[int], device: torch.device, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    with memory_errors(f"making the input {format_shape(shape)}", _SMALLER):
        return torch.randn(tuple(shape), generator=generator).to(device)


def _device_memory(device: torch.device) -> int | None:
    """Free bytes on ``device``: the GPU's own for CUDA, else None (the host's is read)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    return None


def _check_batch_memory(shape: tuple, largest_output: int, device: torch.device) -> None:
    """Refuse a timed batch whose input and largest intermediate tensor cannot both fit.

    ``largest_output`` is counted per image at batch 1; a forward at batch N holds at least
    N times it beside its input, so this is a lower bound: passing it does not promise a fit.
    """
    needed = float32_bytes(shape) + float32_bytes((shape[0], largest_output))
    check_fits(needed, f"a forward at input {format_shape(shape)} (its input and largest "
               "intermediate tensor, float32)", _SMALLER, available=_device_memory(device))


def _counters(counts: dict, external: dict) -> dict:
    entries = {name: {"value": counts[name], "counts": what} for name, what in COUNTS.items()}
    entries.update(external)
    return entries


def _differences(model, runs: dict, x: torch.Tensor, name: str, say) -> dict[str, float]:
    """Max |difference| of each backend from eager on ``x`` (one eager call for all)."""
    others = [backend for backend in runs if backend != "eager"]
    differences = {"eager": 0.0}
    if not others:
        return differences
    say(f"batch {x.shape[0]}: checking {', '.join(others)} against eager")
    with forward_errors(name, x.shape), torch.inference_mode():
        reference = model(x)
    for backend in others:
        with forward_errors(name, x.shape, backend=backend):
            differences[backend] = check_equivalence(model, runs[backend], x, backend=backend,
                                                     reference=reference)
    return differences


def _speed_rows(model, image_shape, device, *, name, largest_output, batch_sizes, backends,
                protocol, warmup, iters, rounds, threads, amp, seed, say) -> list[dict]:
    # Traced/exported at batch 1 (dynamic axes); every timed batch is checked anyway.
    example = _random_input((1, *image_shape), device, seed)
    runs = {}
    for backend in backends:
        if backend != "eager":
            say(f"preparing backend {backend}")
        runs[backend] = prepare_backend(model, example, backend, threads=threads)
    rows = {}
    for batch in batch_sizes:
        shape = (batch, *image_shape)
        _check_batch_memory(shape, largest_output, device)
        x = _random_input(shape, device, seed)
        differences = _differences(model, runs, x, name, say)
        with forward_errors(name, shape):
            timed = measure(runs, x, protocol=protocol, warmup=warmup, iters=iters,
                            rounds=rounds, amp=amp,
                            progress=lambda line, batch=batch: say(f"batch {batch}: {line}"))
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
    progress: Callable[[str], None] | None = None,
) -> ProfileRecord:
    """Parameters, MACs/FLOPs (per image, at batch 1) and speed of ``model``, as one record.

    Parameters
    ----------
    model : nn.Module
        Left as it was: its training flag is restored, no hooks or buffers stay on it, and
        fvcore/thop run on deep copies. Counting and timing run in eval mode.
    input_shape : sequence of int
        ``N x C x H x W``, four positive integers (what a 2-D conv model takes). Complexity is
        counted on ``1 x C x H x W``; ``N`` is the default batch of the speed measurement.
        An input whose float32 tensors (at every timed batch) would not fit in the memory
        available is refused before anything is allocated.
    device : {"cpu", "cuda"}
    batch_sizes : sequence of int, optional
        Batches to time (default ``(N,)``, or 300 for ``protocol="minet-fps"``).
    threads : int, optional
        ``torch.set_num_threads`` during the run (restored after; recorded either way).
        Default: torch's count capped at the cores idle when the run starts
        (:func:`sodbench.profiling.threads.choose_threads`), so that a core held by another
        process slows the run down instead of stalling every parallel operator.
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
    progress : callable, optional
        Called with a one-line description before each step: counting, the external
        counters, each backend's preparation, warm-up and timing round.

    Returns
    -------
    ProfileRecord
        See :mod:`sodbench.profiling.record`; :func:`sodbench.profiling.dump_profile` writes it.

    Raises
    ------
    SodbenchError
        For bad options, an input that cannot fit in memory, and an exception raised by the
        model's forward (one line naming the model's error and its last frame; the model's
        exception is chained as ``__cause__``).
    """
    device = _device(device)
    backends = list(dict.fromkeys(backends))
    input_shape = check_input_shape(input_shape)
    _check_options(protocol, backends, amp, device)
    minet = protocol == "minet-fps"
    batch_sizes = list(batch_sizes or [MINET_FPS["batch"] if minet else input_shape[0]])
    if any(b < 1 for b in batch_sizes):
        raise SodbenchError(f"batch_sizes={batch_sizes}: each must be 1 or more")
    warmup = (MINET_FPS["warmup"] if minet else DEFAULT_WARMUP) if warmup is None else warmup
    iters = (MINET_FPS["iters"] if minet else DEFAULT_ITERS) if iters is None else iters
    image_shape = input_shape[1:]
    largest = (1, *image_shape) if iters == 0 else (max(batch_sizes), *image_shape)
    check_fits(float32_bytes(largest), f"a float32 input of {format_shape(largest)}", _SMALLER)
    name = name or type(model).__name__
    say = progress or (lambda line: None)
    threads, chosen_by = choose_threads(threads, torch.get_num_threads())
    say(f"{plural(threads, 'thread')} ({chosen_by})")

    # Per module: a frozen BatchNorm inside a training model must stay in eval mode.
    training_flags = [(module, module.training) for module in model.modules()]
    with fixed_threads(threads) as used_threads, set_cudnn_benchmark(cudnn_benchmark):
        try:
            work = _on_device(model, device).eval()
            example = _random_input((1, *image_shape), device, seed)
            say(f"counting MACs and FLOPs at {format_shape(example.shape)}")
            with forward_errors(name, example.shape):
                counts = count_complexity(work, example)
            extra = {}
            if external:
                say("cross-counting with fvcore and thop")
                extra = external_counters(work, example, counts)
            speed = [] if iters == 0 else _speed_rows(
                work, image_shape, device, name=name,
                largest_output=counts["largest_output_elements"], batch_sizes=batch_sizes,
                backends=backends, protocol=protocol, warmup=warmup, iters=iters, rounds=rounds,
                threads=used_threads, amp=amp, seed=seed, say=say)
        finally:
            for module, flag in training_flags:
                module.training = flag
        env = environment(device, threads=used_threads,
                          dtype="float16 autocast" if amp else "float32", amp=amp)
    say("done")
    env["threads_chosen"] = chosen_by
    env["cudnn_benchmark"] = cudnn_benchmark or minet
    return ProfileRecord(
        model=name,
        input_shape=[1, *image_shape],
        params=ParamCount(**count_parameters(model)),
        macs=counts["macs"],
        flops=counts["flops"],
        paper_compatible_macs=counts["paper_compatible_macs"],
        counters={key: CounterTotal(**entry) for key, entry in _counters(counts, extra).items()},
        by_operator={op: OperatorCount(**row) for op, row in counts["by_operator"].items()},
        by_module={child: ModuleCount(**row) for child, row in counts["by_module"].items()},
        uncounted_ops=[UncountedOp(**op) for op in counts["uncounted_ops"]],
        elements={key: counts[key] for key in
                  ("bias_elements", "batch_norm_elements", "bilinear_output_elements")},
        speed=[SpeedRow(**row) for row in speed],
        protocol=Protocol(name=protocol, batch_sizes=batch_sizes, warmup=warmup, iters=iters,
                          rounds=rounds, backends=backends,
                          per_image="complexity counted at batch 1",
                          input=f"torch.randn, seed {seed}, already on the device"),
        environment=env,
    )
