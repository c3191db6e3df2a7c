"""Batch the random pairs by image size and run a sodbench metric function over them."""

from __future__ import annotations

import numpy as np

from sodbench.metrics._input import binarize_gt, im2double, minmax


def by_shape(pairs):
    """Yield (indices, normalised pred batch, raw pred batch, bool gt batch) per image size."""
    shapes = {}
    for index, (_, pred, _, _) in enumerate(pairs):
        shapes.setdefault(pred.shape, []).append(index)
    for indices in shapes.values():
        raw = im2double(np.stack([pairs[i][1] for i in indices]))
        gt = binarize_gt(np.stack([pairs[i][2] for i in indices]))
        yield indices, minmax(raw), raw, gt


def per_pair(pairs, function, *, raw: bool = False) -> np.ndarray:
    """``function(pred, gt)`` for every pair (batched by size), in pair order."""
    out = [None] * len(pairs)
    for indices, normalised, raw_map, gt in by_shape(pairs):
        values = function(raw_map if raw else normalised, gt)
        for position, index in enumerate(indices):
            out[index] = values[position]
    return np.array(out, dtype=np.float64)
