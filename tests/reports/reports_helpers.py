"""Hand-made results entries for the reports tests (unique module name: tests/ has no packages)."""

from __future__ import annotations

import hashlib

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


def counts(n_images: int = 10) -> dict:
    """The counts of an entry scored on every one of ``n_images`` images named 0, 1, ..."""
    names = "\n".join(sorted(str(index) for index in range(n_images)))
    return {"n_evaluated": n_images, "n_gt": n_images, "n_resized": 0, "coverage": 1.0,
            "images_sha256": hashlib.sha256(names.encode()).hexdigest()}


def entry(dataset: str, method: str, seed: int = 0, *, n_images: int = 10,
          conventions: str = "pysodmetrics", **metrics) -> dict:
    """One results entry with the given metrics and seeded curves, on ``n_images`` images."""
    return {"dataset": dataset, "method": method, "conventions": conventions,
            "counts": counts(n_images), "metrics": metrics, "curves": curves(seed), "notes": []}
