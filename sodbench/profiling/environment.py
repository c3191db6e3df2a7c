"""The environment block of a profile record: everything besides the model needed to repeat it."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

from sodbench import __version__

__all__ = ["cpu_name", "environment"]

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
    """Versions, device, CPU, threads and precision of a measurement on ``device``."""
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
