"""Weighted F-measure (Margolin, Zelnik-Manor and Tal, "How to evaluate foreground maps?",
CVPR 2014), as PySODMetrics 1.6.2 ``WeightedFmeasure`` (sod_metrics.py, ``cal_wfm``), which
mirrors Margolin's WFb.m line by line.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from sodbench.metrics.validate import EPS, prepare

__all__ = ["Context", "context", "evaluate", "score", "weighted_fmeasure"]

KERNEL_SIZE = 7
KERNEL_RADIUS = KERNEL_SIZE // 2


def gaussian_kernel_1d(size: int = KERNEL_SIZE, sigma: float = 5.0) -> np.ndarray:
    """Normalised 1-D factor of Matlab's ``fspecial('gaussian', size, sigma)``.

    The 2-D kernel is the outer product of this vector with itself up to rounding (< 1e-17);
    no entry falls below ``eps * max`` for 7 x 7 and sigma 5, so Matlab's cut-off is moot.
    Filtering with two 1-D passes costs 14 instead of 49 products per pixel.
    """
    half = (size - 1) / 2
    x = np.arange(-half, half + 1)
    h = np.exp(-(x * x) / (2 * sigma * sigma))
    return h / h.sum()


_KERNEL = gaussian_kernel_1d()  # made once: per image it cost a tenth of the blur


def weighted_fmeasure(pred, gt, *, beta2: float = 1.0, batch: bool = False) -> np.ndarray:
    """Per-image weighted F-measure ``(1 + beta2) R^w P^w / (R^w + beta2 P^w)``.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (PySODMetrics scores the min-max normalised map).
    gt : array_like, same shape
        Ground truth mask.
    beta2 : float
        beta^2 (PySODMetrics' argument ``beta`` is beta^2; 1 in the paper).
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Returns
    -------
    numpy.ndarray, (N,)
        0 for an empty GT (PySODMetrics; Margolin's code fails there, SMD's WFb.m gives 1).

    Notes
    -----
    The nearest-foreground index comes from ``scipy.ndimage.distance_transform_edt`` (one call
    per image), as in PySODMetrics; Matlab's ``bwdist`` breaks ties between equidistant pixels
    differently (per image up to 3e-3; docs/metrics/wfmeasure.md). The Gaussian is applied as
    two 1-D passes with zero padding (``imfilter`` default), equal to the 7 x 7 convolution
    within 1e-15.
    """
    pred, gt = prepare(pred, gt, batch=batch)
    return _scores(pred, [context(mask) for mask in gt], beta2=beta2)


def evaluate(batch, conventions, keys, executor=None) -> dict:
    """``{"wF": per-image values}`` of a :class:`~sodbench.metrics.batch.Batch` under
    ``conventions`` (the map it names), with the GT contexts the batch's GroundTruth keeps.

    wF has no additive statistic: its per-image score is the statistic. With a
    ``concurrent.futures.Executor``, the value is one Future per image instead, whose map,
    GT context and score are made on the executor's worker (``scipy.ndimage`` releases the
    GIL there).
    """
    choice = conventions.wfmeasure_map
    if executor is None:
        return {"wF": _scores(batch.map(choice), batch.contexts())}
    if not batch.has_levels:
        batch.map(choice)  # made here, read by the workers
    return {"wF": [executor.submit(_image_score, batch, index, choice)
                   for index in range(len(batch))]}


def _image_score(batch, index: int, choice: str) -> float:
    [ctx] = batch.ground.contexts(batch.start + index, batch.start + index + 1)
    return 0.0 if ctx is None else score(batch.image(choice, index), ctx)


def _scores(pred: np.ndarray, contexts: list, *, beta2: float = 1.0) -> np.ndarray:
    """Per-image scores from the maps and their GT contexts (None: empty GT, wF 0)."""
    scores = np.zeros(len(pred))
    for index, ctx in enumerate(contexts):
        if ctx is not None:
            scores[index] = score(pred[index], ctx, beta2=beta2)
    return scores


class Context(NamedTuple):
    """What WFb.m derives from the GT alone (distance transform, weights), for one image.

    The same for every prediction scored against this GT, so ``sodbench eval`` computes it
    once per GT image and dataset, not once per method.
    """

    weight: np.ndarray
    """Flat (H*W,): WFb.m's ``B = 2 - exp(log(0.5) / 5 * Dst)`` at background pixels, 0 on the
    GT, so that ``FPw = sum(E(~GT) .* B(~GT))`` is one dot product with the flat map."""
    fg: int
    """GT pixel count."""
    box: tuple[slice, slice]
    """GT bounding box grown by the kernel radius (clipped to the image)."""
    nearest: np.ndarray
    """Flat index of the nearest GT pixel (``IDXT``) of every box pixel, box-shaped."""
    inside: np.ndarray
    """GT mask within the box."""


#: Pixels farther than this from every GT pixel have WFb.m's importance ``B`` of exactly 2.0
#: in float64 (``2 - 0.5 ** (d / 5)`` rounds to 2 from d = 265.002 on; 300 leaves room for
#: any libm's ``exp``): the distance transform runs on the GT's bounding box grown by it.
SATURATION_DISTANCE = 300


def context(mask: np.ndarray, *, crop: bool = True) -> Context | None:
    """The :class:`Context` of one H x W bool GT mask; None for an empty GT (wF is 0).

    With ``crop`` (the default) the distance transform runs on the GT's bounding box grown by
    :data:`SATURATION_DISTANCE` only: beyond it every background pixel's importance is 2.0
    whichever GT pixel is nearest, and inside it scipy's feature transform picks the same
    nearest pixel as on the whole image (its passes see the same GT pixels at the same
    relative places; tests/metrics/test_wfmeasure_crop.py), so the context is bit-identical.
    """
    if not mask.any():
        return None
    height, width = mask.shape
    full_box = _grown_box(mask, SATURATION_DISTANCE if crop else max(height, width))
    near_rows, near_cols = ndimage.distance_transform_edt(
        ~mask[full_box], return_distances=False, return_indices=True
    )
    box = _grown_box(mask, KERNEL_RADIUS)
    inner = tuple(slice(part.start - whole.start, part.stop - whole.start)
                  for part, whole in zip(box, full_box, strict=True))
    nearest = near_rows[inner] + np.int32(full_box[0].start)
    nearest *= width
    nearest += near_cols[inner]
    nearest += full_box[1].start
    # the squared distances, in place (no new image-sized array)
    near_rows -= np.arange(near_rows.shape[0], dtype=np.int32)[:, None]
    near_rows *= near_rows
    near_cols -= np.arange(near_rows.shape[1], dtype=np.int32)
    near_cols *= near_cols
    near_rows += near_cols
    # ``take`` is about 3x faster than fancy indexing and picks the same values; mode "clip"
    # maps every squared distance beyond the table to its last entry, 2.0. GT pixels (squared
    # distance 0, and only they) get 0 from the table's first entry, see _WEIGHT.
    covered = near_rows.shape == mask.shape
    weight = np.empty(mask.shape) if covered else np.full(mask.shape, 2.0)
    np.take(_WEIGHT, near_rows, mode="clip", out=weight[full_box])
    return Context(weight.ravel(), int(np.count_nonzero(mask)), box, nearest, mask[box])


def score(pred: np.ndarray, ctx: Context, *, beta2: float = 1.0) -> float:
    """WFb.m for one H x W map in [0, 1] against the GT described by ``ctx``.

    The spread-and-blur step (``Et``, ``EA``) only changes the score at GT pixels, so it runs on
    the GT's bounding box grown by the kernel radius: there the blurred values equal the
    full-image ones (beyond the box edge the kernel never reaches a GT pixel; at the image edge
    the zero padding is the same). On the GT ``E = |P - 1| = 1 - P``, on the background
    ``E = P``, and ``IDXT`` of a GT pixel is the pixel itself.
    """
    flat = pred.ravel()
    fp = float(np.einsum("i,i->", flat, ctx.weight))  # not BLAS: its threads spin
    # the indices are in range, so "wrap" picks the same values as the default "raise",
    # without its bounds pass over int32 indices (4096^2: 0.33 s -> 0.09 s)
    height, width = ctx.nearest.shape
    padded = np.empty((height + 2 * KERNEL_RADIUS, width))  # zero rows above and below
    padded[:KERNEL_RADIUS] = 0
    padded[height + KERNEL_RADIUS:] = 0
    spread = padded[KERNEL_RADIUS:height + KERNEL_RADIUS]
    flat.take(ctx.nearest, mode="wrap", out=spread)
    np.subtract(1, spread, out=spread)
    blurred = vertical_pass(padded, height)
    ndimage.correlate1d(blurred, _KERNEL, axis=1, output=spread, mode="constant")
    blurred = spread  # the second pass wrote over the spread errors, no longer needed
    fg_error_map = 1 - pred[ctx.box][ctx.inside]
    fg_error = np.minimum(blurred[ctx.inside], fg_error_map).sum()
    tp = ctx.fg - fg_error
    r = 1 - fg_error / ctx.fg
    p = tp / (tp + fp + EPS)
    return (1 + beta2) * r * p / (r + beta2 * p + EPS)


def vertical_pass(padded: np.ndarray, height: int) -> np.ndarray:
    """``scipy.ndimage.correlate1d(image, _KERNEL, axis=0, mode="constant")``, bit for bit,
    of the ``height`` x W image held in rows ``KERNEL_RADIUS`` on of ``padded``, whose
    ``KERNEL_RADIUS`` rows above and below it are zero.

    SciPy filters a symmetric kernel as ``x[i] * k[0] + (x[i-3] + x[i+3]) * k[-3] +
    (x[i-2] + x[i+2]) * k[-2] + (x[i-1] + x[i+1]) * k[-1]``, added in that order, one rounding
    per operation; these are the same operations on whole rows. Along axis 0 SciPy copies each
    column into a line buffer, which misses the cache on every pixel: 0.12 s for 2048^2, 0.45 s
    for 4096^2, against 0.03 s and 0.09 s here, in blocks of rows that stay in the cache.
    Along axis 1 its lines are contiguous, and it is as fast as this (so it stays).
    """
    width = padded.shape[1]
    out = np.empty((height, width))
    rows = max(32, _BLOCK_VALUES // width)
    pair = np.empty((min(rows, height), width))
    centre = _KERNEL[KERNEL_RADIUS]
    for start in range(0, height, rows):
        stop = min(start + rows, height)
        block, term = out[start:stop], pair[:stop - start]
        np.multiply(padded[start + KERNEL_RADIUS:stop + KERNEL_RADIUS], centre, out=block)
        for offset in range(KERNEL_RADIUS, 0, -1):
            np.add(padded[start + KERNEL_RADIUS - offset:stop + KERNEL_RADIUS - offset],
                   padded[start + KERNEL_RADIUS + offset:stop + KERNEL_RADIUS + offset],
                   out=term)
            term *= _KERNEL[KERNEL_RADIUS - offset]
            block += term
    return out


#: Values per block of :func:`vertical_pass` (at least 32 rows): 512 KiB of float64.
_BLOCK_VALUES = 1 << 16


def _grown_box(mask: np.ndarray, margin: int) -> tuple[slice, slice]:
    """Bounding box of the True pixels grown by ``margin``, clipped to the image."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (slice(max(rows[0] - margin, 0), rows[-1] + margin + 1),
            slice(max(cols[0] - margin, 0), cols[-1] + margin + 1))


def _importance_table(limit: int) -> np.ndarray:
    """``2 - exp(ln(0.5) / 5 * d)`` for every squared distance ``d^2`` below ``limit``.

    Same float operations as WFb.m / PySODMetrics on ``d = sqrt(d^2)``; from
    ``SATURATION_DISTANCE ** 2`` on every value is 2.0, so larger squared distances are
    clipped to the last entry.
    """
    squared = np.arange(limit)
    return 2 - np.exp(np.log(0.5) / 5 * np.sqrt(squared))


_IMPORTANCE = _importance_table(SATURATION_DISTANCE ** 2 + 1)
assert _IMPORTANCE[-1] == 2.0  # so is every larger squared distance: exp only decreases

#: :attr:`Context.weight` by squared distance: the importance, but 0 at distance 0. Only GT
#: pixels are at distance 0 (``B(GT) = 1``), and E(GT) enters FPw not at all, so they weigh 0.
_WEIGHT = _IMPORTANCE.copy()
_WEIGHT[0] = 0.0
