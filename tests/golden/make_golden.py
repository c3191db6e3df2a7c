"""Write the bit-identity reference (``*.json`` beside this file); see golden_cases.py.

Run from the repository root: ``python tests/golden/make_golden.py [--sd900 DIR]``. Only
regenerate on purpose (a deliberate, documented change of a number), and say why in the commit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden_cases import (  # noqa: E402
    CONVENTIONS,
    HERE,
    SD900_METHODS,
    float_cases,
    run_eval_cli,
    score_floats,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sd900", type=Path,
                        default=HERE.parents[2] / "shared" / "data" / "sd-saliency-900")
    parser.add_argument("--flag", default="--profile", help="the eval option naming conventions")
    args = parser.parse_args()
    from sodbench.demo import sample

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = sample.generate(tmp / "sample")
        preds = {name: data / "pred" / name for name in sample.METHODS}
        golden = {c: run_eval_cli(data / "GT", preds, c, tmp / "out-sample", args.flag)
                  for c in CONVENTIONS}
        _write("sample.json", golden)
        golden = {case: {c: score_floats(pairs, c) for c in CONVENTIONS}
                  for case, pairs in float_cases(data).items()}
        _write("floats.json", golden)
        if (args.sd900 / "GT").is_dir():
            preds = {m: args.sd900 / "pred" / m for m in SD900_METHODS}
            golden = {c: run_eval_cli(args.sd900 / "GT", preds, c, tmp / "out-sd900", args.flag)
                      for c in CONVENTIONS}
            _write("sd900.json", golden)
        else:
            print(f"SD-Saliency-900 not found at {args.sd900}: sd900.json not written")


def _write(name: str, golden: dict) -> None:
    path = HERE / name
    path.write_text(json.dumps(golden, sort_keys=True) + "\n")
    print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
