"""Hand-made results entries for the reports tests (unique module name: tests/ has no packages)."""

from __future__ import annotations

import numpy as np

THRESHOLDS = np.arange(256)


def curves(seed: int) -> dict:
    """Monotone-ish curves of the shape an evaluation writes (ascending thresholds)."""
    rng = np.random.default_rng(seed)
    t = THRESHOLDS / 255
    recall = np.clip(1 - t ** (1 + rng.uniform(0.5, 2)), 0, 1)
    precision = np.clip(0.3 + 0.6 * t ** rng.uniform(0.3, 1), 0, 1)
    f = 1.3 * precision * recall / np.maximum(0.3 * precision + recall, 1e-12)
    e = np.clip(0.5 + 0.45 * np.sin(np.pi * t) * rng.uniform(0.8, 1), 0, 1)
    return {"threshold": THRESHOLDS.tolist(), "precision": precision.tolist(),
            "recall": recall.tolist(), "F": f.tolist(), "E": e.tolist(), "IoU": (f * 0.9).tolist()}


def entry(dataset: str, method: str, seed: int = 0, **metrics) -> dict:
    """One results entry with the given metrics and seeded curves."""
    return {"dataset": dataset, "method": method, "profile": "pysodmetrics",
            "counts": {"n_evaluated": 10, "n_gt": 10, "n_resized": 0, "coverage": 1.0},
            "metrics": metrics, "curves": curves(seed), "notes": []}
