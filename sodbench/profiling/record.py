"""The profile record: environment block and the JSON file ``sodbench profile --json`` writes.

Layout (``"format": "sodbench.profile"``, ``"schema": 1``; MACs and FLOPs are raw integers, per
image, counted at batch 1)::

    {"format": "sodbench.profile", "schema": 1, "model": "MINet",
     "input_shape": [1, 3, 368, 368],
     "params": {"total": int, "trainable": int, "buffers": int},
     "macs": int, "flops": int, "paper_compatible_macs": int,
     "counters": {name: {"value": int | null, "counts": "what it counts", ...}},
     "by_operator": {"aten.convolution": {"calls", "output_elements", "flops"}, ...},
     "by_module": {child: {"params", "macs", "flops", "flops_with_elementwise"}, ...},
     "uncounted_ops": [{"op", "kind", "calls", "output_elements", "flops": 0}, ...],
     "speed": [{"backend", "batch", "protocol", "median_ms", "p90_ms", "fps", ...}, ...],
     "environment": {...}}
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
from pathlib import Path

from sodbench import __version__
from sodbench.errors import SodbenchError
from sodbench.folders.inputs import open_input
from sodbench.folders.outputs import atomic_write

FORMAT = "sodbench.profile"
SCHEMA = 1
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY"
)


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` reports."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _onnxruntime_version() -> str | None:
    try:
        import onnxruntime
    except ImportError:
        return None
    return onnxruntime.__version__


def environment(device, *, threads: int, dtype: str, amp: bool) -> dict:
    """Everything besides the model needed to repeat a measurement."""
    import torch

    env = {
        "sodbench": __version__,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "onnxruntime": _onnxruntime_version(),
        "device": str(device),
        "cpu": cpu_name(),
        "logical_cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "threads": threads,
        "interop_threads": torch.get_num_interop_threads(),
        "thread_env": {name: os.environ.get(name) for name in _THREAD_VARIABLES},
        "mkldnn": torch.backends.mkldnn.is_available(),
        "dtype": dtype,
        "amp": amp,
    }
    if device.type == "cuda":
        env.update(
            device_name=torch.cuda.get_device_name(device),
            cuda=torch.version.cuda,
            cudnn=torch.backends.cudnn.version(),
            cudnn_allow_tf32=torch.backends.cudnn.allow_tf32,
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
        )
    else:
        env["device_name"] = env["cpu"]
    return env


def dump_profile(record: dict, path: str | os.PathLike) -> None:
    """Write a profile record as JSON, atomically."""
    atomic_write(path, json.dumps(record, indent=1, allow_nan=False) + "\n")


def load_profile(path: str | os.PathLike) -> dict:
    """Read a profile record written by :func:`dump_profile`, checking format and schema."""
    if not Path(path).exists() and not Path(path).is_symlink():
        raise SodbenchError(f"{path}: no such profile record (write one with "
                            "`sodbench profile --json`)")
    try:
        with open_input(path) as handle:  # a FIFO or a folder is refused, never read
            record = json.loads(handle.read().decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise SodbenchError(f"cannot read profile record {path}: {error}") from error
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise SodbenchError(f"{path} is not a sodbench profile record (format != {FORMAT!r})")
    if record.get("schema") != SCHEMA:
        raise SodbenchError(
            f"{path} has profile schema {record.get('schema')}; this sodbench reads {SCHEMA}"
        )
    problem = _record_problem(record)
    if problem:
        raise SodbenchError(f"{path}: {problem}; write the record with `sodbench profile --json`")
    return record


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _record_problem(record: dict) -> str | None:
    """What makes a profile record unusable in a table (the fields it reads), or None."""
    params = record.get("params")
    if not (isinstance(params, dict) and _count(params.get("total"))):
        return "\"params.total\" is not a parameter count"
    for key in ("macs", "flops", "paper_compatible_macs"):
        if record.get(key) is not None and not _count(record[key]):
            return f"\"{key}\" is not a count"
    speed = record.get("speed", [])
    if not (isinstance(speed, list) and all(isinstance(run, dict) for run in speed)):
        return "\"speed\" is not a list of timing objects"
    fps = speed[0].get("fps") if speed else None
    if fps is not None and not (isinstance(fps, (int, float)) and not isinstance(fps, bool)
                                and math.isfinite(fps) and fps > 0):
        return f"\"speed[0].fps\" = {fps!r} is not a positive number"
    shape = record.get("input_shape", [])
    if not (isinstance(shape, list) and all(_count(size) for size in shape)):
        return "\"input_shape\" is not a list of sizes"
    if not isinstance(record.get("environment", {}), dict):
        return "\"environment\" is not an object"
    if not isinstance(record.get("model", ""), str):
        return "\"model\" is not a name"
    return None
