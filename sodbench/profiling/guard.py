"""What can go wrong around the profiled model, each turned into one line.

- An input shape that is not ``N x C x H x W`` (four positive integers): what a 2-D conv model
  takes (:func:`parse_input_shape` for the command line, :func:`check_input_shape` for Python).
- Tensors that would not fit in memory: refused before they are allocated
  (:func:`check_fits`), since on Linux an over-committed allocation is not refused but
  killed later; an allocation that fails all the same becomes one line (:func:`memory_errors`).
- An exception raised by the model itself: reported as the model's, naming its last frame,
  with the original chained as its cause (:func:`forward_errors`).

Nothing here imports torch, so the command line can check its options before loading it.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

from sodbench.errors import SodbenchError

__all__ = ["TRACEBACK_HINT", "available_memory", "check_fits", "check_input_shape",
           "describe_error", "float32_bytes", "format_shape", "forward_errors", "memory_errors",
           "model_frame", "parse_input_shape"]

#: Where the model's own traceback is, for the message of an exception it raised.
TRACEBACK_HINT = "the model's traceback is the cause of this error"
_SHAPE = re.compile(r"[0-9]+(?:[xX][0-9]+){3}", re.ASCII)
_OUT_OF_MEMORY = re.compile(r"out of memory|can't allocate memory|cannot allocate memory|"
                            r"not enough memory", re.IGNORECASE)


def format_shape(shape: Sequence[int]) -> str:
    """``1x3x368x368`` for ``(1, 3, 368, 368)``."""
    return "x".join(str(int(n)) for n in shape)


def parse_input_shape(text: str, option: str = "input_shape") -> tuple[int, int, int, int]:
    """``"1x3x368x368"`` -> ``(1, 3, 368, 368)``; anything else is a one-line SodbenchError.

    ``option`` names the text in the message (the command line passes its flag). Only ASCII
    digits are read (``int`` would also take ``"１"``, ``"+3"`` and ``"3_000"``).
    """
    stripped = text.strip()
    if _SHAPE.fullmatch(stripped):
        shape = tuple(int(part) for part in stripped.lower().split("x"))
        if min(shape) >= 1:
            return shape
    raise SodbenchError(f"{option} {text!r} is not a shape like 1x3x368x368: give N x C x H x W, "
                        "four positive integers")


def check_input_shape(shape, what: str = "input_shape") -> tuple[int, int, int, int]:
    """The shape as four positive ints, or a one-line SodbenchError naming ``what``."""
    try:
        values = tuple(shape)
    except TypeError:
        values = ()
    ok = len(values) == 4 and all(
        not isinstance(n, bool) and hasattr(n, "__index__") and int(n) >= 1 for n in values)
    if not ok:
        raise SodbenchError(f"{what} {shape!r} is not N x C x H x W: give four positive "
                            "integers, e.g. (1, 3, 368, 368)")
    return tuple(int(n) for n in values)


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, capped by a cgroup v2 limit.

    None when the platform tells neither (the check is then skipped, not guessed).
    """
    free = _meminfo_available()
    limit = _read_int("/sys/fs/cgroup/memory.max")  # "max" (no limit) reads as None
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        free = limit - used if free is None else min(free, limit - used)
    return free


def _size(nbytes: int) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def check_fits(nbytes: int, what: str, fix: str, *, available: int | None = None) -> None:
    """Refuse ``what`` (needing ``nbytes``) when it exceeds the memory available."""
    available = available_memory() if available is None else available
    if available is not None and nbytes > available:
        raise SodbenchError(f"{what} needs {_size(nbytes)}, more than the {_size(available)} "
                            f"of memory available; {fix}")


def float32_bytes(shape: Sequence[int]) -> int:
    """Bytes of a float32 tensor of ``shape``."""
    return 4 * math.prod(int(n) for n in shape)


def describe_error(error: BaseException) -> str:
    """``TYPE: first line of the message`` (the rest stays in the chained exception)."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, MemoryError) or (
        isinstance(error, RuntimeError) and bool(_OUT_OF_MEMORY.search(str(error))))


@contextlib.contextmanager
def memory_errors(what: str, fix: str) -> Iterator[None]:
    """Turn a failed allocation inside the block into one line (the original is chained)."""
    try:
        yield
    except Exception as error:
        if not _is_out_of_memory(error):
            raise
        raise SodbenchError(f"out of memory {what}: {describe_error(error)}; {fix}") from error


def _library_folders() -> list[Path]:
    folders = [Path(__file__).resolve().parents[1], Path(sysconfig.get_paths()["stdlib"])]
    for name in ("torch", "fvcore", "thop", "onnx", "onnxruntime"):
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            folders.append(Path(module.__file__).resolve().parent)
    return folders


def model_frame(error: BaseException) -> traceback.FrameSummary | None:
    """The deepest frame of ``error`` in the model's code (not sodbench, torch or the stdlib)."""
    folders = _library_folders()
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not any(Path(frame.filename).resolve().is_relative_to(f) for f in folders)]
    return frames[-1] if frames else None


@contextlib.contextmanager
def forward_errors(name: str, shape: Sequence[int], *,
                   backend: str | None = None) -> Iterator[None]:
    """Report an exception raised by the model ``name`` on an input of ``shape`` as the model's.

    A SodbenchError passes unchanged; running out of memory says so and how to ask for less;
    anything else becomes ``NAME's forward raised TYPE: first line at input ... (file:line;
    the model's traceback is the cause ...)``, chained to the model's exception, whose
    traceback runs down to the model's own line (the command line shows it with ``--debug``).
    With ``backend`` (not eager), the failure is that backend's running of the model.
    """
    try:
        yield
    except SodbenchError:
        raise
    except Exception as error:
        text = format_shape(shape)
        if _is_out_of_memory(error):
            raise SodbenchError(
                f"out of memory running {name} at input {text}: {describe_error(error)}; "
                "choose a smaller input or batch (input_shape=, batch_sizes=)") from error
        if backend is not None:
            raise SodbenchError(
                f"backend {backend} raised {describe_error(error)} running {name} at input "
                f"{text}; leave it out of backends=") from error
        frame = model_frame(error)
        where = f"{Path(frame.filename).name}:{frame.lineno}; " if frame else ""
        raise SodbenchError(
            f"{name}'s forward raised {describe_error(error)} at input {text} ({where}"
            f"{TRACEBACK_HINT})") from error
