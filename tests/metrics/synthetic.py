"""The synthetic pairs of the metric spec, section 6 (the regression anchors use them)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

SIZE = 200


def _segment_distance(yy, xx, p0, p1):
    """Distance of each pixel centre (y, x) to the segment p0-p1 (points given as (y, x))."""
    d = p1 - p0
    t = ((yy - p0[0]) * d[0] + (xx - p0[1]) * d[1]) / (d @ d)
    t = np.clip(t, 0, 1)
    return np.hypot(yy - (p0[0] + t * d[0]), xx - (p0[1] + t * d[1]))


def spec_pair(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(pred_u8, gt_u8) of seed 0..19: 0-9 blob, 10-17 scratch, 18-19 empty GT."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(float)
    if seed < 10:
        cy, cx = rng.uniform(50, 150, 2)
        ay, ax = rng.uniform(10, 40, 2)
        th = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(th) + (yy - cy) * np.sin(th)
        v = -(xx - cx) * np.sin(th) + (yy - cy) * np.cos(th)
        gt = (u / ax) ** 2 + (v / ay) ** 2 <= 1
    elif seed < 18:
        p0 = rng.uniform(20, 180, 2)
        p1 = rng.uniform(20, 180, 2)
        hw = rng.uniform(1.0, 2.5)
        gt = _segment_distance(yy, xx, p0, p1) <= hw
    else:
        gt = np.zeros((SIZE, SIZE), dtype=bool)
    dy, dx = rng.integers(-3, 4, 2)
    sigma = rng.uniform(1.0, 3.0)
    gain = rng.uniform(0.7, 1.0)
    soft = ndimage.gaussian_filter(np.roll(gt.astype(float), (dy, dx), (0, 1)), sigma=sigma)
    noise = 0.2 * ndimage.gaussian_filter(rng.normal(0.0, 1.0, (SIZE, SIZE)), sigma=2.0)
    pred_u8 = np.round(np.clip(gain * soft + noise, 0, 1) * 255).astype(np.uint8)
    return pred_u8, gt.astype(np.uint8) * 255


def spec_set() -> tuple[np.ndarray, np.ndarray]:
    """All 20 pairs as two 20 x 200 x 200 uint8 arrays."""
    pairs = [spec_pair(seed) for seed in range(20)]
    return np.stack([p for p, _ in pairs]), np.stack([g for _, g in pairs])
