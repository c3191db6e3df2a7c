"""Run a model through a deployment backend: eager PyTorch, TorchScript or ONNX Runtime.

Every backend is prepared from the eager model and checked against it (:func:`check_equivalence`,
max |difference| within 1e-4 on every output) before anything is timed, so a speed figure
always belongs to a graph that computes the same maps. The reference MINet's benchmark uses the
same two calls::

    run = prepare_backend(model, example, "onnxruntime", threads=2)
    check_equivalence(model, run, example)
    outputs = run(example)          # tuple of torch tensors, like the eager model's outputs
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable

import torch
from torch import nn

from sodbench.errors import SodbenchError
from sodbench.profiling.guard import describe_error

BACKENDS = ("eager", "torchscript", "onnxruntime")
ATOL = 1e-4
ONNX_OPSET = 17


def flatten_outputs(output) -> tuple[torch.Tensor, ...]:
    """The tensors of a model output (tensor, nested tuple/list, or dict in key order)."""
    if isinstance(output, torch.Tensor):
        return (output,)
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        return tuple(t for item in output for t in flatten_outputs(item))
    raise SodbenchError(
        f"model output of type {type(output).__name__} is not a tensor, tuple, list or dict; "
        "wrap the model so that forward returns tensors"
    )


def _eager(model: nn.Module) -> Callable:
    def run(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return flatten_outputs(model(x))

    return run


def _torchscript(model: nn.Module, example: torch.Tensor) -> Callable:
    # TorchScript is deprecated from PyTorch 2.11 on; it still works, and only its own
    # deprecation notices are silenced so that any other warning stays visible.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"`torch\.jit\.\w+` is deprecated", category=DeprecationWarning
        )
        with torch.inference_mode(False), torch.no_grad():
            traced = torch.jit.trace(model, example, strict=False, check_trace=False)
            frozen = torch.jit.freeze(traced)

    def run(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return flatten_outputs(frozen(x))

    return run


def export_onnx(model: nn.Module, example: torch.Tensor) -> bytes:
    """ONNX bytes from the TorchScript-based exporter (opset 17, dynamic batch/H/W)."""
    with torch.no_grad():
        ranks = [t.dim() for t in flatten_outputs(model(example))]
    outputs = [f"output{i}" for i in range(len(ranks))]
    # Every output axis is dynamic too: fixed ones make ONNX Runtime warn at other input sizes.
    axes = {"input": {0: "batch", 2: "height", 3: "width"}}
    for name, rank in zip(outputs, ranks, strict=True):
        axes[name] = {d: f"{name}_dim{d}" for d in range(rank)}
    buffer = io.BytesIO()
    # dynamo=False: the torch.export exporter took over 13 min on the official MINet graph
    # (docs/profile.md, "Backends"); the legacy exporter's deprecation notices are silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based")
        try:
            torch.onnx.export(
                model, (example,), buffer, dynamo=False, opset_version=ONNX_OPSET,
                input_names=["input"], output_names=outputs, dynamic_axes=axes,
            )
        except Exception as error:  # the exporter raises many unrelated types
            raise SodbenchError(f"ONNX export failed: {describe_error(error)}") from error
    return buffer.getvalue()


def _onnxruntime(model: nn.Module, example: torch.Tensor, threads: int | None) -> Callable:
    try:
        import onnxruntime
    except ImportError as error:
        raise SodbenchError(
            "backend onnxruntime needs the onnxruntime package: pip install sodbench[torch]"
        ) from error
    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    providers = ["CPUExecutionProvider"]
    if example.device.type == "cuda":
        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            raise SodbenchError(
                "backend onnxruntime on device=cuda needs onnxruntime-gpu "
                "(CUDAExecutionProvider is not available)"
            )
        providers.insert(0, "CUDAExecutionProvider")
    with torch.no_grad():
        session = onnxruntime.InferenceSession(
            export_onnx(model, example), options, providers=providers
        )
    device = example.device

    def run(x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        outputs = session.run(None, {"input": x.detach().cpu().numpy()})
        return tuple(torch.from_numpy(o).to(device) for o in outputs)

    return run


def prepare_backend(
    model: nn.Module, example: torch.Tensor, backend: str, *, threads: int | None = None
) -> Callable[[torch.Tensor], tuple[torch.Tensor, ...]]:
    """A callable running ``model`` (in eval mode) through ``backend``.

    Parameters
    ----------
    model : nn.Module
        The eager model, already in eval mode and on ``example``'s device; it is not modified.
    example : torch.Tensor
        Input used for tracing/export; batch, height and width stay dynamic for ONNX Runtime.
    backend : {"eager", "torchscript", "onnxruntime"}
        TorchScript is ``torch.jit.trace`` + ``torch.jit.freeze``; ONNX Runtime runs the
        opset-17 export with ``intra_op_num_threads = threads``.
    threads : int, optional
        Intra-op threads for ONNX Runtime (PyTorch's own count is set by the caller).

    Returns
    -------
    callable
        ``run(x) -> tuple of torch.Tensor`` (the flattened outputs, on ``x``'s device).
    """
    if backend == "eager":
        return _eager(model)
    if backend not in BACKENDS:
        raise SodbenchError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    try:
        if backend == "torchscript":
            return _torchscript(model, example)
        return _onnxruntime(model, example, threads)
    except SodbenchError:
        raise
    except Exception as error:  # tracing and session creation raise many unrelated types
        raise SodbenchError(f"backend {backend} could not be prepared: {describe_error(error)}; "
                            "leave it out of backends=") from error


def max_abs_difference(reference, outputs) -> float:
    """Largest |reference - output| over all outputs; inf when their number or shapes differ."""
    reference, outputs = flatten_outputs(reference), flatten_outputs(outputs)
    if len(reference) != len(outputs):
        return float("inf")
    worst = 0.0
    for ref, out in zip(reference, outputs, strict=True):
        if ref.shape != out.shape:
            return float("inf")
        diff = (ref.detach().float().cpu() - out.detach().float().cpu()).abs()
        worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
    return worst


def check_equivalence(
    model: nn.Module, run: Callable, example: torch.Tensor, *, backend: str = "backend",
    atol: float = ATOL, reference=None,
) -> float:
    """Raise SodbenchError unless ``run(example)`` matches ``model(example)`` within ``atol``.

    ``reference`` is ``model(example)`` when the caller already has it (one eager call for
    several backends). Returns the maximum absolute difference, which the profile record keeps.
    """
    with torch.inference_mode():
        if reference is None:
            reference = model(example)
        difference = max_abs_difference(reference, run(example))
    if not difference <= atol:
        raise SodbenchError(
            f"backend {backend} differs from eager PyTorch by {difference:.3g} (> {atol:g}); "
            "refusing to time it"
        )
    return difference
