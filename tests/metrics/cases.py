"""Seeded random prediction/GT pairs of several sizes and kinds for the reference comparisons."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIZES = ((200, 200), (64, 48), (31, 57), (120, 90), (9, 13))
KINDS = ("blob", "scratch", "empty", "full", "constant", "narrow_range", "binary", "last_column")


def _mask(kind: str, shape, rng) -> np.ndarray:
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w]
    if kind in ("blob", "constant", "narrow_range", "binary"):
        field = ndimage.gaussian_filter(rng.random(shape), max(1.0, min(shape) / 12))
        return field > np.quantile(field, rng.uniform(0.5, 0.97))
    if kind == "scratch":
        # a thin line from one image border to another, so it touches the border
        y0, y1 = rng.integers(0, h, 2)
        t = xx / max(w - 1, 1)
        return np.abs(yy - (y0 + (y1 - y0) * t)) <= rng.uniform(0.5, 2.0)
    if kind == "empty":
        return np.zeros(shape, bool)
    if kind == "full":
        return np.ones(shape, bool)
    if kind == "last_column":
        mask = np.zeros(shape, bool)
        mask[rng.integers(0, h) :, -1] = True
        return mask
    raise ValueError(kind)


def _prediction(kind: str, mask: np.ndarray, rng) -> np.ndarray:
    if kind == "constant":
        level = rng.choice([0, 1, 128, 254, 255, rng.integers(0, 256)])
        return np.full(mask.shape, level, np.uint8)
    if kind == "binary":
        noisy = mask ^ (rng.random(mask.shape) < 0.05)
        return noisy.astype(np.uint8) * 255
    shift = tuple(rng.integers(-3, 4, 2))
    soft = ndimage.gaussian_filter(np.roll(mask.astype(float), shift, (0, 1)), rng.uniform(0.5, 3))
    noise = rng.uniform(0.05, 0.4) * ndimage.gaussian_filter(rng.normal(size=mask.shape), 1.5)
    value = np.clip(rng.uniform(0.5, 1.0) * soft + noise, 0, 1)
    if kind == "narrow_range":
        low = rng.uniform(0, 0.5)
        value = low + value * rng.uniform(0.02, 0.5)
    return np.round(value * 255).astype(np.uint8)


def random_pairs(count: int = 320, seed: int = 2024):
    """``count`` (kind, pred_u8, gt_u8) triples, cycling over kinds and sizes."""
    rng = np.random.default_rng(seed)
    pairs = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        shape = SIZES[(index // len(KINDS)) % len(SIZES)]
        mask = _mask(kind, shape, rng)
        pairs.append((kind, _prediction(kind, mask, rng), mask.astype(np.uint8) * 255))
    return pairs
