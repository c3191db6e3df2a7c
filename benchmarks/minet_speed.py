"""FPS of the project's MINet against the authors' per-channel form, side by side.

Variants, all with the same weights (the authors' checkpoint when given, otherwise random):

* ``per-channel``: tests/minet/minet_naive.py, the authors' structure (``c`` separate
  ``Conv2d(4, 1, 1)`` modules per MI module over chunk/cat), eager PyTorch. The reference (1.0x).
* ``minet_ref``: :class:`minet_ref.MINet` (grouped-conv MI module), eager PyTorch.
* ``minet_ref+fold``: :func:`minet_ref.fold_bn`, eager PyTorch.
* ``minet_ref+wsum``: ``fold_bn(weighted_sum=True)`` (MI fusion as 4 multiply-adds), eager.
* ``minet_ref+ort``: the folded model through ONNX Runtime, prepared and checked by
  :mod:`sodbench.profiling.backends` (the profiler's backend code, not a second exporter).

Protocol (docs/profile.md, "Speed protocols"): one process, fixed threads, ``inference_mode``,
warm-up, then rounds in which every variant runs ``k`` back-to-back calls in a rotated order; the
median per-call time over all rounds is reported with the speed-up over ``per-channel``.
The CPU share of other processes (from /proc/stat) is printed: above ~5% the numbers are noisy.

    .venv/bin/python benchmarks/minet_speed.py [--weights ../shared/minet_official/MINet.pth]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "minet"))

from minet_naive import NaiveMINet  # noqa: E402

import minet_ref  # noqa: E402
from sodbench.profiling.backends import check_equivalence, prepare_backend  # noqa: E402

DEFAULT_WEIGHTS = ROOT.parent / "shared" / "minet_official" / "MINet.pth"


def build_variants(weights: Path | None, example: torch.Tensor, threads: int) -> dict:
    """name -> callable; every variant is checked against the per-channel model (1e-4)."""
    naive = NaiveMINet().eval()
    if weights is not None:
        naive.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model = minet_ref.MINet().eval()
    model.load_state_dict(minet_ref.checkpoint_filter_fn(naive.state_dict()))
    folded = minet_ref.fold_bn(model)
    variants = {
        "per-channel": prepare_backend(naive, example, "eager"),
        "minet_ref": prepare_backend(model, example, "eager"),
        "minet_ref+fold": prepare_backend(folded, example, "eager"),
        "minet_ref+wsum": prepare_backend(
            minet_ref.fold_bn(model, weighted_sum=True), example, "eager"
        ),
        "minet_ref+ort": prepare_backend(folded, example, "onnxruntime", threads=threads),
    }
    for name, run in variants.items():
        difference = check_equivalence(naive, run, example, backend=name)
        print(f"  {name:15s} max |diff| vs per-channel {difference:.2e}")
    return variants


def _busy_jiffies() -> tuple[int, int]:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def time_side_by_side(variants: dict, x: torch.Tensor, rounds: int, calls: dict) -> dict:
    """Median seconds per call of each variant over rotated rounds."""
    names = list(variants)
    seconds = {name: [] for name in names}
    with torch.inference_mode():
        for name in names:
            for _ in range(2):
                variants[name](x)
        for round_index in range(rounds):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                for _ in range(calls[name]):
                    begin = time.perf_counter()
                    variants[name](x)
                    seconds[name].append(time.perf_counter() - begin)
    return {name: statistics.median(values) for name, values in seconds.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_weights = DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None
    parser.add_argument("--weights", type=Path, default=default_weights)
    parser.add_argument("--size", type=int, default=368)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"MINet speed, {args.size}x{args.size}, CPU {platform.processor() or platform.machine()},"
          f" cores: {os.cpu_count()}, torch {torch.__version__}, threads: {args.threads}, "
          f"weights: {args.weights or 'random'}")
    example = torch.randn(1, 3, args.size, args.size) * 1.5
    variants = build_variants(args.weights, example, args.threads)
    for batch in args.batches:
        x = torch.randn(batch, 3, args.size, args.size) * 1.5
        calls = {name: (3 if batch == 1 else 1) for name in variants}
        calls["minet_ref+ort"] *= 3
        busy0, total0 = _busy_jiffies()
        own0 = time.process_time()
        start = time.perf_counter()
        medians = time_side_by_side(variants, x, args.rounds, calls)
        wall = time.perf_counter() - start
        busy1, total1 = _busy_jiffies()
        own = time.process_time() - own0
        tick = os.sysconf("SC_CLK_TCK")
        capacity = (total1 - total0) / tick
        foreign = max(0.0, ((busy1 - busy0) / tick - own) / capacity) if capacity else 0.0
        print(f"\nbatch {batch} ({args.rounds} rounds, {wall:.0f} s; other processes used "
              f"{100 * foreign:.0f}% of the CPU)")
        print(f"  {'variant':15s} {'ms/call':>9s} {'FPS':>7s} {'x per-channel':>14s}")
        reference = medians["per-channel"]
        for name, median in medians.items():
            print(f"  {name:15s} {1e3 * median:9.1f} {batch / median:7.1f} "
                  f"{reference / median:13.2f}x")


if __name__ == "__main__":
    main()
