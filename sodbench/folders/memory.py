"""How much memory an evaluation needs, and how many images fit a cap (``--max-memory``).

An evaluation scores one GT image at a time per worker (:mod:`.scoring`): nothing it holds
grows with the number of images. Its peak resident memory follows one rule::

    peak = PROCESS_BYTES * processes + PIXEL_BYTES * largest * jobs

``processes`` is 1 with one job (the work runs in the ``eval`` process) and ``jobs + 1``
with worker processes; ``largest`` is the pixel count of the largest GT image to score;
``jobs`` is how many images are scored at once (worker processes, or threads when there are
fewer units of work than jobs). :data:`PROCESS_BYTES` is the interpreter with NumPy, SciPy,
pandas and Pillow loaded; :data:`PIXEL_BYTES` bounds what one image in flight holds (its GT,
prediction, wF's distance transform and weights, the float map, the blur), measured by
``benchmarks/highres_speed.py`` (docs/eval.md, "Large images").

``--max-memory`` caps the rule's peak: :func:`fit_jobs` lowers the job count until it fits,
and refuses the run (one line, before any work) when even one job does not.
"""

from __future__ import annotations

import ctypes
import os
import re
from pathlib import Path

from sodbench.errors import SodbenchError

__all__ = ["PIXEL_BYTES", "PROCESS_BYTES", "default_max_memory", "fit_jobs", "keep_freed_memory",
           "machine_memory", "parse_size", "peak_bytes", "size_text"]

#: One Python process with sodbench's libraries loaded (resident, measured about 95 MiB).
PROCESS_BYTES = 160 << 20
#: Bytes per pixel of one image being scored, for every metric set and map dtype: measured
#: about 40-46 for uint8 maps with the usual keys (the --jobs 1 peaks of
#: benchmarks/highres_speed.py), 104 for 16-bit maps with every key but CCM (docs/eval.md).
PIXEL_BYTES = 128

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def keep_freed_memory() -> bool:
    """Let this process's allocator keep and reuse freed large blocks (glibc only).

    By default glibc maps every block of 32 MiB or more afresh and unmaps it when freed, so
    each large image's arrays page-fault anew (system time of ``eval --jobs 1`` on the
    benchmark's 4096 x 4096 set: 7.6 s before, 2.6 s after; docs/eval.md). Raising the mmap and trim
    thresholds makes those blocks come from the heap and stay there for the next image. The
    peak stays what :func:`peak_bytes` says (the same arrays are live at once); the process
    simply does not hand the memory back before it ends. Called by ``sodbench eval`` and its
    worker processes, never by the library in a user's process. Returns False (and changes
    nothing) where there is no glibc.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    # M_TRIM_THRESHOLD (-1), M_MMAP_THRESHOLD (-3)
    return bool(mallopt(-1, 1 << 31)) and bool(mallopt(-3, 1 << 30))


def peak_bytes(largest: int, jobs: int) -> int:
    """The rule's peak for ``jobs`` images of ``largest`` pixels scored at once."""
    processes = 1 if jobs == 1 else jobs + 1
    return PROCESS_BYTES * processes + PIXEL_BYTES * largest * jobs


def machine_memory() -> int:
    """Physical memory, or the control group's limit when lower (a container's)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return total


def default_max_memory() -> int:
    """Three quarters of :func:`machine_memory`: room for the rest of the machine."""
    return machine_memory() * 3 // 4


def parse_size(text, name: str = "max_memory") -> int:
    """A size such as ``8G``, ``512MiB``, ``1.5GB`` or a byte count, in bytes (K, M, G, T are
    powers of 1024).

    >>> parse_size("1.5G"), parse_size("512MiB"), parse_size(4096)
    (1610612736, 536870912, 4096)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.I)
    if match is None or float(match[1]) <= 0:
        raise SodbenchError(f"{name}={text!r}: give a size such as 8G, 512M or 1.5G")
    return int(float(match[1]) * _UNITS[match[2].lower()])


def size_text(size: int) -> str:
    """``size`` bytes as GiB (or MiB below 1 GiB), one decimal.

    >>> size_text(3 << 29), size_text(300 << 20)
    ('1.5 GiB', '300.0 MiB')
    """
    return f"{size / (1 << 30):.1f} GiB" if size >= 1 << 30 else f"{size / (1 << 20):.1f} MiB"


def fit_jobs(jobs: int, largest: int, largest_file, max_memory: int) -> int:
    """The most jobs, at most ``jobs``, whose :func:`peak_bytes` stays within ``max_memory``.

    Raises
    ------
    SodbenchError
        When one job does not fit: names the largest GT file and the memory it needs.
    """
    fitting = jobs
    while fitting > 1 and peak_bytes(largest, fitting) > max_memory:
        fitting -= 1
    if peak_bytes(largest, fitting) > max_memory:
        raise SodbenchError(
            f"{largest_file}: scoring this {largest:,}-pixel GT image needs about "
            f"{size_text(peak_bytes(largest, 1))}, more than max_memory={size_text(max_memory)}"
            "; raise max_memory=, or score it on a machine with more memory")
    return fitting
