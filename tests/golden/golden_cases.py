"""The bit-identity reference of the metric engine: what is scored, and how it is digested.

``make_golden.py`` writes ``*.json`` beside this file from the code of the day; the test
``tests/test_golden.py`` scores the same cases with today's code and asserts that every number
is the same float64 (``==``, no tolerance). The reference was made before the metric engine was
redesigned (one engine for the functions and the Evaluator, docs/architecture.md), so the
redesign is held to the numbers of the code it replaced.

Cases:

- ``sample``: ``sodbench eval`` on the bundled synthetic sample (36 images, GoodNet and WeakNet),
  under the three conventions; uint8 PNG maps, so the histogram backend.
- ``sd900``: ``sodbench eval`` on SD-Saliency-900's six published methods (900 x 6 pairs)
  under the three conventions (skipped without the data).
- ``floats``: the Evaluator fed float64 and float32 maps one pair at a time, so the per-pixel
  backend (random maps, the sample's maps divided by 255, and edge cases).

Each entry keeps its metrics and curves as stored, and a SHA-256 of each per-image column's
float64 bytes (the per-image CSV is 1-2 MB a run; a digest is enough to prove equality).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CONVENTIONS = ("pysodmetrics", "minet-tii2024", "matlab")
SD900_METHODS = ("BC", "FT", "HC", "MCITF", "RCRR", "SMD")


def column_digests(per_image: pd.DataFrame) -> dict:
    """One SHA-256 per metric column (rows in name order), and one for the names."""
    frame = per_image.sort_values(["method", "name"] if "method" in per_image else "name",
                                  kind="stable")
    out = {"name": hashlib.sha256("\n".join(map(str, frame["name"])).encode()).hexdigest()}
    for column in frame.columns:
        if column in ("name", "method", "dataset"):
            continue
        values = np.ascontiguousarray(frame[column].to_numpy(dtype=np.float64))
        out[column] = hashlib.sha256(values.tobytes()).hexdigest()
    return out


def entry_numbers(document: dict) -> list[dict]:
    """The numbers of a results document, without provenance or naming of its conventions."""
    return [{"dataset": entry["dataset"], "method": entry["method"],
             "metrics": entry["metrics"], "curves": entry.get("curves"),
             "n_evaluated": entry["counts"]["n_evaluated"],
             "images_sha256": entry["counts"].get("images_sha256")}
            for entry in document["entries"]]


def run_eval_cli(gt: Path, preds: dict, convention: str, out: Path, flag: str) -> dict:
    """``sodbench eval`` through its click entry point; returns the golden record of the run."""
    from sodbench.cli import main

    out.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = out / f"{convention}.json", out / f"{convention}.csv"
    args = ["eval", "--gt", str(gt), flag, convention, "--json", str(json_path),
            "--per-image", str(csv_path), "--no-cache", "--quiet"]
    for name, folder in preds.items():
        args += ["--pred", f"{name}={folder}"]
    status = main(args)
    assert status == 0, f"sodbench {' '.join(args)} exited with {status}"
    document = json.loads(json_path.read_text())
    per_image = pd.read_csv(csv_path)
    return {"entries": entry_numbers(document), "per_image": column_digests(per_image)}


def float_cases(sample_dir: Path):
    """(case name, list of (pred, gt) pairs) fed to the Evaluator one pair at a time."""
    from PIL import Image

    rng = np.random.default_rng(2024)
    gts = sorted((sample_dir / "GT").iterdir())
    preds = sorted((sample_dir / "pred" / "GoodNet").iterdir())
    sample_pairs = [(np.asarray(Image.open(p).convert("L"), dtype=np.float64) / 255.0,
                     np.asarray(Image.open(g).convert("L")))
                    for p, g in zip(preds[:12], gts[:12], strict=True)]
    random_pairs = []
    for index in range(8):
        shape = (37 + 11 * index, 53 + 7 * index)
        gt = (rng.random(shape) > 0.6 + 0.03 * index).astype(np.uint8) * 255
        pred = rng.random(shape) if index % 2 else rng.random(shape).astype(np.float32)
        random_pairs.append((pred, gt))
    edge_pairs = [
        (np.zeros((40, 40)), np.zeros((40, 40), np.uint8)),              # empty GT, black map
        (np.ones((40, 40)), np.full((40, 40), 255, np.uint8)),           # full GT, white map
        (np.full((40, 40), 0.3), (np.arange(1600).reshape(40, 40) % 7 == 0).astype(np.uint8) * 255),
        (rng.random((40, 40)), np.zeros((40, 40), np.uint8)),
        (rng.random((40, 40)), np.full((40, 40), 255, np.uint8)),
    ]
    return {"sample_float64": sample_pairs, "random": random_pairs, "edges": edge_pairs}


def score_floats(pairs, convention: str) -> dict:
    """The Evaluator fed ``pairs`` one at a time (per-pixel backend)."""
    from sodbench import Evaluator

    evaluator = Evaluator(convention)
    for pred, gt in pairs:
        evaluator.update(pred, gt)
    results = evaluator.compute()
    curves = {name: values.tolist() for name, values in results.pop("curves").items()}
    return {"metrics": results, "curves": curves,
            "per_image": column_digests(evaluator.per_image())}
