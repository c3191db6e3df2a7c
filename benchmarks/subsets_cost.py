"""What subsets cost: the same evaluation with and without the SD-Saliency-900 classes and the
size buckets, side by side in one run, through the API the way users call it.

``sodbench.evaluate(GT, {FT, HC, SMD}, jobs=2)`` against the same call with
``subset_preset="sd-saliency-900", size_buckets=True`` (six subsets: In, Pa, Sc, small,
medium, large), the default metric set, no cache; ``--repeat`` rounds alternate the two (the
first round of each also warms the file cache). Printed: each run's wall time, the best of
each, their ratio (target: subsets cost a few sums per chunk, so the ratio stays within the
machine's run-to-run noise), and a check that the whole-set metrics are the same bits.

Usage::

    python benchmarks/subsets_cost.py               # 3 rounds
    python benchmarks/subsets_cost.py --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import sodbench

SD900 = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sd-saliency-900"
METHODS = ("FT", "HC", "SMD")
SUBSETS = {"subset_preset": "sd-saliency-900", "size_buckets": True}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=SD900)
    arguments = parser.parse_args()
    if not (arguments.data / "GT").is_dir():
        print(f"skipped: SD-Saliency-900 not found at {arguments.data} (research data, not "
              "shipped)")
        return 0
    preds = {method: arguments.data / "pred" / method for method in METHODS}
    times: dict[str, list[float]] = {"plain": [], "subsets": []}
    metrics = {}
    for _ in range(arguments.repeat):
        for kind, options in (("plain", {}), ("subsets", SUBSETS)):
            start = time.perf_counter()
            document = sodbench.evaluate(arguments.data / "GT", preds, jobs=2, **options)
            times[kind].append(time.perf_counter() - start)
            metrics[kind] = [entry["metrics"] for entry in document["entries"]]
    for kind, values in times.items():
        print(f"{kind:8s} " + "  ".join(f"{value:6.2f} s" for value in values)
              + f"   best {min(values):6.2f} s")
    print(f"subsets / plain (best over best): {min(times['subsets']) / min(times['plain']):.3f}")
    same = metrics["plain"] == metrics["subsets"]
    print(f"whole-set metrics equal bit for bit: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
