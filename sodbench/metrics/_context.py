"""Context-measure ``CM`` and Camouflage Context-measure ``CCM`` (Wang, Ji, Shao, Cheng and Fan,
"Context-measure: Contextualizing Metric for Camouflage", arXiv 2512.07076, 2025), as
PySODMetrics 1.6.2 ``ContextMeasure`` and ``CamouflageContextMeasure`` (context_measure.py).

Per image, with P the map, G the GT mask and K a Gaussian kernel shaped by the GT's covariance:
forward inference ``mF = sum(P (K * G)) / sum(P)``, reverse deduction
``R = e/(e-1) (1 - exp(-(K * P)))`` on G, ``wR = sum(R (G + CD)) / (sum(G) + sum(CD))``, and
``(1 + beta2) mF wR / (beta2 mF + wR)``. CM has CD = 0; CCM's camouflage degree CD comes from
rebuilding the object out of its surrounding background's patches (docs/metrics/context.md).

Both filters are ``cv2.filter2D`` in float64 with the reference's reflect-101 border, on the
GT's bounding box only (PSM filters G in float32: the one source of difference, < 1e-7); the
camouflage degree is PSM's bit for bit. OpenCV and scikit-learn come from the optional extra
``sodbench[cv]`` and are imported when a score is first computed.
"""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.metrics.batch import Batch
from sodbench.metrics.extras import require_extra
from sodbench.metrics.validate import EPS, check_images
from sodbench.workers import split_future

__all__ = ["GroundContext", "camouflage_context_measure", "camouflage_degree", "context_kernel",
           "context_measure", "evaluate", "ground_context", "score"]

ALPHA = 6.0
"""Kernel scale: the kernel's covariance is the GT's, scaled to trace ``alpha^2``."""
CM_BETA2, CCM_BETA2 = 1.0, 1.2
GAMMA, LAMBDA_SPATIAL = 8, 20
PATCH, STRIDE, RING = 7, 3, 20
"""CD patches: 7 x 7, on a grid of step 3; background = GT dilated by a 20 x 20 square, minus GT."""
_EXP_FACTOR = math.e / (math.e - 1)


def context_measure(pred, gt, *, beta2: float = CM_BETA2, alpha: float = ALPHA,
                    batch: bool = False) -> np.ndarray:
    """Per-image Context-measure (PSM ``ContextMeasure``; 0 for an empty GT).

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (uint8 is divided by 255; no min-max: the Evaluator scores the min-max
        map, as PySODMetrics does).
    gt : array_like, same shape
        Ground truth mask.
    beta2, alpha : float
        Weight of forward inference; kernel scale.
    batch : bool
        True: a 3-D array is an N x H x W batch (see docs/metrics.md, "Input rules").

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool); gt[5:12, 6:15] = True
    >>> context_measure(gt.astype(float), gt).round(6)
    array([0.408144])
    """
    pairs = Batch.of(pred, gt, batch=batch)
    return _scores(pairs.map("raw"), pairs.mask, None, {"CM": beta2}, alpha)["CM"]


def camouflage_context_measure(pred, gt, image, *, beta2: float = CCM_BETA2,
                               alpha: float = ALPHA, gamma: float = GAMMA,
                               lambda_spatial: float = LAMBDA_SPATIAL,
                               batch: bool = False) -> np.ndarray:
    """Per-image Camouflage Context-measure (PSM ``CamouflageContextMeasure``).

    Parameters
    ----------
    pred, gt, batch
        As in :func:`context_measure`.
    image : array_like, (H, W, 3), or (N, H, W, 3) with ``batch=True``
        The uint8 RGB image(s) the camouflage degree is measured on.
    beta2, alpha, gamma, lambda_spatial : float
        Weight of forward inference; kernel scale; CD sharpness; weight of patch position
        against patch colour in the nearest-patch search.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> image = rng.integers(90, 110, (40, 40, 3), dtype=np.uint8)
    >>> gt = np.zeros((40, 40), bool); gt[12:28, 10:30] = True
    >>> camouflage_context_measure(gt.astype(float), gt, image).round(6)
    array([0.717755])
    """
    pairs = Batch.of(pred, gt, batch=batch, image=image)
    if pairs.images is None:
        raise SodbenchError("CCM needs the RGB image: camouflage_context_measure(pred, gt, image)")
    return _scores(pairs.map("raw"), pairs.mask, pairs.images, {"CCM": beta2}, alpha,
                   gamma=gamma, lambda_spatial=lambda_spatial)["CCM"]


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """``{"CM": ..., "CCM": ...}`` per image (those asked for) on the min-max map, as PSM.

    CM and CCM share the kernel and both filtered maps; only CCM reads ``batch.images``.
    """
    betas = {key: beta for key, beta in (("CM", CM_BETA2), ("CCM", CCM_BETA2)) if key in keys}
    if not betas:
        return {}
    if "CCM" in betas and batch.images is None:
        raise SodbenchError("CCM needs the RGB image of each pair: update(pred, gt, image=...)")
    if executor is None:
        return _scores(batch.map("normalised"), batch.mask, batch.images, betas, ALPHA)
    # one Future per image and key, scored on the executor's workers (OpenCV's filters and
    # scikit-learn's search release the GIL); both keys of an image share its GT work
    require_extra(["CCM" if "CCM" in betas else "CM"])
    pred = batch.map("normalised")
    parts = [split_future(executor.submit(_image_scores, pred, batch.mask, batch.images,
                                          index, betas), betas)
             for index in range(len(batch))]
    return {key: [part[key] for part in parts] for key in betas}


def _image_scores(pred, mask, images, index: int, betas: dict) -> dict:
    one = None if images is None else images[index:index + 1]
    found = _scores(pred[index:index + 1], mask[index:index + 1], one, betas, ALPHA)
    return {key: float(values[0]) for key, values in found.items()}


def _scores(pred: np.ndarray, mask: np.ndarray, images, betas: dict, alpha: float,
            **camouflage) -> dict:
    require_extra(["CCM" if "CCM" in betas else "CM"])  # before any work
    out = {key: np.zeros(len(pred)) for key in betas}
    for index in range(len(pred)):
        ground = ground_context(mask[index], alpha)
        cd = None
        if "CCM" in betas and ground.relevance is not None:
            cd = _camouflage_at_gt(images[index], mask[index], **camouflage)
        for key, beta2 in betas.items():
            out[key][index] = score(pred[index], ground, cd if key == "CCM" else None,
                                    beta2=beta2)
    return out


class GroundContext(NamedTuple):
    """What CM derives from one GT alone (the same for every map scored against it)."""

    mask: np.ndarray
    """H x W bool GT."""
    kernel: np.ndarray
    """Normalised Gaussian kernel (:func:`context_kernel`)."""
    box: tuple[slice, slice]
    """GT bounding box: reverse deduction is read on the GT only."""
    near: tuple[slice, slice]
    """The box grown by the kernel's half-sizes (clipped): where ``K * G`` can be non-zero."""
    relevance: np.ndarray | None
    """``K * G`` on ``near`` (forward inference's global relevance); None for an empty GT."""


def ground_context(mask: np.ndarray, alpha: float = ALPHA) -> GroundContext:
    """The kernel of one H x W bool GT and its filtered GT (the same for every map scored
    against this GT, and for CM and CCM)."""
    kernel = context_kernel(mask, alpha)
    if not mask.any():
        return GroundContext(mask, kernel, (slice(0, 0),) * 2, (slice(0, 0),) * 2, None)
    box = _bounding_box(mask)
    near = tuple(slice(max(part.start - half, 0), min(part.stop + half, size))
                 for part, half, size in zip(box, _halves(kernel), mask.shape, strict=True))
    relevance = _filter(mask.astype(np.float64), kernel, near)
    return GroundContext(mask, kernel, box, near, relevance)


def score(pred: np.ndarray, ground: GroundContext, cd: np.ndarray | None = None, *,
          beta2: float = CM_BETA2) -> float:
    """CM (``cd`` None) or CCM (``cd``: camouflage degree at the GT pixels, row-major) of one
    H x W map; 0 for an empty GT (as PSM: both terms are 0)."""
    if ground.relevance is None:
        return 0.0
    # no BLAS (np.dot): its threads cost more than they save at these sizes
    forward = float(np.sum(ground.relevance * pred[ground.near])) / (pred.sum() + EPS)
    filtered = _filter(pred, ground.kernel, ground.box)[ground.mask[ground.box]]
    reverse = _EXP_FACTOR * (1 - np.exp(-filtered))
    if cd is None:
        weighted = reverse.sum() / (len(reverse) + EPS)
    else:
        weighted = np.sum(reverse * (1 + cd)) / (len(reverse) + cd.sum() + EPS)
    return float((1 + beta2) * forward * weighted / (beta2 * forward + weighted + EPS))


def _bounding_box(mask: np.ndarray) -> tuple[slice, slice]:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _halves(kernel: np.ndarray) -> tuple[int, int]:
    return kernel.shape[0] // 2, kernel.shape[1] // 2


def _filter(image: np.ndarray, kernel: np.ndarray, box: tuple[slice, slice]) -> np.ndarray:
    """``cv2.filter2D(image, -1, kernel)`` (float64, reflect-101 border) on ``box`` only.

    The box grown by the kernel's half-sizes (clipped to the image) is filtered and its box
    kept: a box pixel reads real pixels where the region was grown, and the region's own
    reflect-101 border only where the region edge is the image edge (a region cut short by
    the edge holds every row the reflection reads). Outside the GT's grown box ``K * G`` is
    0, and reverse deduction is read on the GT only, so a small object costs a small filter.
    """
    import cv2  # the caller has checked the extra

    region = tuple(slice(max(part.start - half, 0), min(part.stop + half, size))
                   for part, half, size in zip(box, _halves(kernel), image.shape, strict=True))
    out = cv2.filter2D(image[region], -1, kernel)
    return out[tuple(slice(part.start - cut.start, part.stop - cut.start)
                     for part, cut in zip(box, region, strict=True))]


def context_kernel(mask: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """The normalised Gaussian kernel of one GT (PSM ``_compute_y_params``, ``_gaussian_kernel``).

    Covariance ``alpha^2 S / trace(S)`` of the GT's (row, column) sample covariance S (EPS for
    a zero variance), half-sizes ``round(3 sigma)`` per axis; a GT of at most one pixel has
    covariance 0.25 I and a 3 x 3 kernel. S comes from exact integer moments (np.cov on the
    pixel list rounds differently, by ulps). Points on one slanted line make S singular, where
    PSM fails (``LinAlgError`` or NaN): the kernel is then the limit, a 1-D Gaussian of
    variance ``alpha^2`` on the lattice points of that line (as PSM's own kernel for a
    horizontal or vertical line).
    """
    rows = np.arange(mask.shape[0], dtype=np.int64)
    cols = np.arange(mask.shape[1], dtype=np.int64)
    row_counts, col_counts = mask.sum(axis=1), mask.sum(axis=0)
    n = int(row_counts.sum())
    if n <= 1:
        return _gaussian(np.diag([0.25, 0.25]), 1, 1)
    sr, sc = int(rows @ row_counts), int(cols @ col_counts)
    srr, scc = int((rows * rows) @ row_counts), int((cols * cols) @ col_counts)
    src = int(rows @ np.einsum("ij,j->i", mask, cols))
    a, b, c = n * srr - sr * sr, n * src - sr * sc, n * scc - sc * sc  # n (n - 1) cov, exact
    var_r = a / (n * (n - 1)) if a else EPS
    var_c = c / (n * (n - 1)) if c else EPS
    trace = math.sqrt(var_r + var_c) ** 2
    cov = alpha**2 * np.array([[var_r, b / (n * (n - 1))], [b / (n * (n - 1)), var_c]]) / trace
    half = _half_sizes(var_r, var_c, alpha, mask)
    if a and c and a * c == b * b:  # collinear, slanted: rank-1 covariance
        return _line_kernel(a, b, *half, alpha)
    return _gaussian(cov, *half)


def _half_sizes(var_r: float, var_c: float, alpha: float, mask: np.ndarray) -> list[int]:
    """``round(3 sigma)`` per axis; within 1e-9 of a half-integer, PSM's np.cov decides."""
    values = [3 * (alpha * math.sqrt(v) / math.sqrt(var_r + var_c)) for v in (var_r, var_c)]
    if any(abs(value % 1 - 0.5) < 1e-9 for value in values):
        variances = [v if v else EPS for v in np.diag(np.cov(np.argwhere(mask), rowvar=False))]
        total = np.sqrt(variances[0] + variances[1])
        values = [3 * (alpha * np.sqrt(v) / total) for v in variances]
    return [round(value) for value in values]


def _gaussian(cov: np.ndarray, half_r: int, half_c: int) -> np.ndarray:
    det = cov[0, 0] * cov[1, 1] - cov[0, 1] * cov[1, 0]
    i00, i01, i11 = cov[1, 1] / det, -cov[0, 1] / det, cov[0, 0] / det
    x = np.arange(-half_r, half_r + 1, dtype=np.float64)[:, None]
    y = np.arange(-half_c, half_c + 1, dtype=np.float64)[None, :]
    kernel = np.exp(-0.5 * (i00 * x * x + 2 * i01 * x * y + i11 * y * y))
    return kernel / kernel.sum()


def _line_kernel(a: int, b: int, half_r: int, half_c: int, alpha: float) -> np.ndarray:
    step = math.gcd(a, b)
    dr, dc = a // step, b // step  # direction of the line of GT points
    kernel = np.zeros((2 * half_r + 1, 2 * half_c + 1))
    reach = min(half_r // abs(dr) if dr else half_r, half_c // abs(dc) if dc else half_c)
    k = np.arange(-reach, reach + 1)
    kernel[half_r + k * dr, half_c + k * dc] = np.exp(-0.5 * k * k * (dr * dr + dc * dc)
                                                      / alpha**2)
    return kernel / kernel.sum()


def camouflage_degree(image: np.ndarray, mask: np.ndarray, *, gamma: float = GAMMA,
                      lambda_spatial: float = LAMBDA_SPATIAL) -> np.ndarray:
    """CD of one pair, H x W float64 (PSM ``_calculate_camouflage_degree``), 0 off the GT.

    Every 7 x 7 patch (grid step 3) inside the GT is matched to its nearest patch inside the
    surrounding background (the GT dilated by a 20 x 20 square, minus the GT) by Lab colours
    plus ``lambda_spatial`` times the standardised position (scikit-learn's exact search, as
    PSM); the GT is rebuilt from the matched RGB patches (averaged where they overlap), and
    ``CD = (exp(gamma s) - 1) / (exp(gamma) - 1)`` with ``s = 1 - min(dE2000 / 100, 1)``
    between the rebuilt and the real pixel. All 0 when the GT or the background holds no
    whole patch.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((30, 30, 3), 120, np.uint8)
    >>> gt = np.zeros((30, 30), bool); gt[8:20, 8:20] = True
    >>> float(camouflage_degree(image, gt).max())  # the object is the background's colour
    1.0
    """
    mask = np.asarray(mask, dtype=bool)
    [image] = check_images(image, (1, *mask.shape), batch=False, needed=True)
    require_extra(["CCM"])
    cd = np.zeros(mask.shape)
    if mask.any():
        cd[mask] = _camouflage_at_gt(image, mask, gamma, lambda_spatial)
    return cd


def _camouflage_at_gt(image: np.ndarray, mask: np.ndarray, gamma: float = GAMMA,
                      lambda_spatial: float = LAMBDA_SPATIAL) -> np.ndarray:
    """CD at the GT pixels (row-major) of a non-empty GT.

    Only the GT's bounding box grown by the dilation (and aligned to the patch grid) is read,
    only GT pixels are rebuilt and compared (CD is 0 elsewhere), and PSM's per-patch loop is
    one ``bincount``; every value is PSM's, bit for bit (tests/metrics/test_context.py).
    """
    require_extra(["CCM"])
    import cv2
    from skimage.color import deltaE_ciede2000, rgb2lab
    from sklearn.neighbors import NearestNeighbors as nearest_neighbors
    from sklearn.preprocessing import StandardScaler as standard_scaler

    box = _bounding_box(mask)
    start = [max(part.start - RING, 0) // STRIDE * STRIDE for part in box]
    crop = tuple(slice(first, min(part.stop + RING, size))
                 for first, part, size in zip(start, box, mask.shape, strict=True))
    mask, image = mask[crop], np.ascontiguousarray(image[crop])
    fg = mask.astype(np.uint8)
    ring = cv2.dilate(fg, np.ones((RING, RING), np.uint8)) - fg
    fg_at, bg_at = _patch_corners(mask), _patch_corners(ring.astype(bool))
    if not len(fg_at) or not len(bg_at):
        return np.zeros(np.count_nonzero(mask))
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB)
    windows = np.lib.stride_tricks.sliding_window_view(lab, (PATCH, PATCH, 3))[:, :, 0]
    # positions in the whole image's coordinates, standardised over both sets as PSM
    scaled = standard_scaler().fit_transform(np.vstack([bg_at, fg_at]) + start)
    features = [np.hstack([windows[at[:, 0], at[:, 1]].reshape(len(at), -1),
                           lambda_spatial * part]).astype(np.float32)
                for at, part in ((bg_at, scaled[:len(bg_at)]), (fg_at, scaled[len(bg_at):]))]
    search = nearest_neighbors(n_neighbors=1, algorithm="auto", metric="euclidean")
    with _serial_if_small(len(fg_at) * len(bg_at)):
        _, match = search.fit(features[0]).kneighbors(features[1])
    source = bg_at[match[:, 0]]
    # every (patch, offset) pixel: its flat index in the rebuilt image and in the source
    offset_r, offset_c = np.divmod(np.arange(PATCH * PATCH), PATCH)
    width = mask.shape[1]
    target = ((fg_at[:, :1] + offset_r) * width + fg_at[:, 1:] + offset_c).ravel()
    pixels = image.reshape(-1, 3)
    taken = pixels[((source[:, :1] + offset_r) * width + source[:, 1:] + offset_c).ravel()]
    inside = np.flatnonzero(mask)
    counts = np.bincount(target, minlength=mask.size)[inside] + EPS  # PSM: EPS + 1 + 1 ...
    rebuilt = np.stack([np.bincount(target, taken[:, channel], mask.size)[inside]
                        for channel in range(3)], axis=1)
    pair = np.hstack([np.round(rebuilt / counts[:, None]).astype(np.uint8), pixels[inside]])
    # dE2000 is per pixel: computed once per distinct (rebuilt, real) colour pair
    code = pair.astype(np.int64) @ (1 << np.arange(40, -1, -8, dtype=np.int64))
    _, first, back = np.unique(code, return_index=True, return_inverse=True)
    delta = deltaE_ciede2000(rgb2lab(pair[first, :3]), rgb2lab(pair[first, 3:]))[back]
    similarity = 1 - np.clip(delta / 100, 0, 1)
    return (np.exp(gamma * similarity) - 1) / (np.exp(gamma) - 1)


_SMALL_SEARCH = 250_000
"""Patch pairs below which the nearest-patch search runs on one thread: OpenMP's start-up
costs more than the search (and, on a busy machine, its spinning threads far more). The
thread count does not change the matches (same chunks; ties go to the first patch)."""
_CONTROLLER: list = []


def _serial_if_small(pairs: int):
    if pairs > _SMALL_SEARCH:
        return contextlib.nullcontext()
    if not _CONTROLLER:  # inspecting the loaded libraries costs ~30 ms: once
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="openmp")


def _patch_corners(mask: np.ndarray) -> np.ndarray:
    """Top-left corners (row, col), row-major, of the grid's 7 x 7 windows inside ``mask``."""
    if min(mask.shape) < PATCH:
        return np.zeros((0, 2), np.int64)
    rows = np.lib.stride_tricks.sliding_window_view(mask, PATCH, axis=1)[:, ::STRIDE].all(-1)
    both = np.lib.stride_tricks.sliding_window_view(rows, PATCH, axis=0)[::STRIDE].all(-1)
    return np.argwhere(both) * STRIDE
