"""PFOM, Pratt's figure of merit, with its undocumented choices exposed as options.

Reference: W. K. Pratt, "Digital Image Processing" (Wiley, 1978), sec. 17.5; I. E. Abdou and
W. K. Pratt, "Quantitative design and evaluation of enhancement/thresholding edge detectors",
Proc. IEEE 67(5), 1979. The defect-SOD papers (MINet, IEEE TII 2024) report a PFOM whose code is
not public; no combination of the options below reproduces MINet's 0.8943 exactly (see
docs/metrics/pfom.md), so :data:`MINET_TII2024_OPTIONS` is labelled approximate.

Pipeline per image: binarise the prediction, take the edge map of the binary prediction and of
the GT with the same operator, then score

    PFOM = sum over the summed edge pixels of 1 / (1 + alpha * d^2) / max(N_I, N_D)

where d is the distance to the nearest pixel of the other edge map.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from sodbench.errors import SodbenchError
from sodbench.metrics._overlap import minmax_levels, smd_adaptive_mask
from sodbench.metrics.counts import adaptive_threshold
from sodbench.metrics.validate import prepare

__all__ = [
    "MINET_TII2024_OPTIONS", "binarize_map", "edge_map", "evaluate", "figure_of_merit", "pfom",
]

BINARIZE = ("adaptive", "half", "otsu", "smd")
EDGES = ("inner4", "inner8", "sobel_any", "canny", "matlab_sobel")
DIRECTIONS = ("detected_to_ideal", "ideal_to_detected")
DISTANCES = ("euclidean", "chessboard")

MINET_TII2024_OPTIONS = {
    "binarize": "half",
    "edges": "matlab_sobel",
    "direction": "ideal_to_detected",
    "distance": "chessboard",
    "alpha": 0.1111,
}
"""Closest known variant to MINet's (IEEE TII 2024) PFOM, **approximate**: 0.893935 on MINet's
maps of SD-Saliency-900 against the published 0.8943 (docs/metrics/pfom.md). Binarise at
``P > 0.5``, Matlab ``edge(., 'sobel', 'nothinning')`` edges, File-Exchange ``pratt.m`` scoring
(sum over the GT edge pixels, chessboard distance, ``a = 0.1111`` as typed there, not 1/9)."""

_CROSS = ndimage.generate_binary_structure(2, 1)[None]
_SQUARE = ndimage.generate_binary_structure(2, 2)[None]


def _check_option(name: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise SodbenchError(f"pfom option {name}={value!r} is not one of: {', '.join(valid)}")


def binarize_map(pred: np.ndarray, method: str = "adaptive") -> np.ndarray:
    """Binary prediction (N x H x W bool) from maps in [0, 1].

    ``adaptive``: ``P >= min(2 * mean(P), 1)`` (PySODMetrics / Fan's toolbox);
    ``half``: ``P > 0.5``; ``otsu``: ``P > threshold_otsu(P)`` (scikit-image, 256 bins);
    ``smd``: SMD's OR binarisation (min-max, ``im2uint8``, ``>= 2 * mean`` unclamped).
    """
    _check_option("binarize", method, BINARIZE)
    if method == "adaptive":
        return pred >= adaptive_threshold(pred)[:, None, None]
    if method == "half":
        return pred > 0.5
    if method == "otsu":
        from skimage.filters import threshold_otsu  # a slow import: on first use

        return np.stack([image > threshold_otsu(image) for image in pred])
    return smd_adaptive_mask(minmax_levels(pred))


def _sobel_pair(mask: np.ndarray, padding: str) -> tuple[np.ndarray, np.ndarray]:
    """Sobel responses of binary maps along columns and rows of each image.

    Separable: a central difference along one axis, then [1, 2, 1] along the other, on a
    one-pixel ``np.pad`` of each image (``"constant"`` zero or ``"edge"`` replicate padding).
    Exact in int16, and cheaper than float ``ndimage.correlate1d`` passes over a batch.
    """
    padded = np.pad(mask.astype(np.int16), ((0, 0), (1, 1), (1, 1)), mode=padding)
    diff_x = padded[:, :, 2:] - padded[:, :, :-2]
    diff_y = padded[:, 2:, :] - padded[:, :-2, :]
    gx = diff_x[:, :-2] + 2 * diff_x[:, 1:-1] + diff_x[:, 2:]
    gy = diff_y[:, :, :-2] + 2 * diff_y[:, :, 1:-1] + diff_y[:, :, 2:]
    return gx, gy


def _matlab_sobel(mask: np.ndarray) -> np.ndarray:
    """Matlab ``edge(BW, 'sobel', 'nothinning')`` with its automatic threshold.

    ``fspecial('sobel') / 8`` with ``imfilter(., 'replicate')``, ``b = bx.^2 + by.^2``,
    ``e = b > 4 * sum(b(:)) / numel(b)``. On binary maps ``b = m / 64`` with the integer
    ``m = gx^2 + gy^2`` of the unscaled Sobel, so ``sum(b)`` is exact in any order and
    ``b > cutoff`` is ``m > 64 * cutoff`` (a power-of-two scaling, also exact).
    """
    gx, gy = _sobel_pair(mask, "edge")
    squared = gx * gx + gy * gy
    pixels = mask.shape[1] * mask.shape[2]
    cutoff = 4 * (squared.sum(axis=(1, 2), dtype=np.int64) / 64) / pixels
    return squared > (64 * cutoff)[:, None, None]


def edge_map(mask: np.ndarray, method: str = "inner8") -> np.ndarray:
    """Edge map (N x H x W bool) of binary maps; outside the image counts as background.

    ``inner8``: foreground pixels with a background pixel among their 8 neighbours (mask minus
    its 3x3 erosion); ``inner4``: the same with the 4 neighbours (erosion by a cross);
    ``sobel_any``: any nonzero Sobel response (a 2-3 px band across the boundary, zero
    padding); ``canny``: ``skimage.feature.canny(mask, sigma=1)`` per image;
    ``matlab_sobel``: Matlab ``edge(., 'sobel', 'nothinning')`` (replicate padding).
    """
    _check_option("edges", method, EDGES)
    if method in ("inner4", "inner8"):
        structure = _CROSS if method == "inner4" else _SQUARE
        return mask & ~ndimage.binary_erosion(mask, structure, border_value=0)
    if method == "sobel_any":
        gx, gy = _sobel_pair(mask, "constant")
        return (gx != 0) | (gy != 0)
    if method == "canny":
        from skimage.feature import canny  # a slow import: on first use

        return np.stack([canny(image.astype(np.float64), sigma=1.0) for image in mask])
    return _matlab_sobel(mask)


def _squared_distances(target: np.ndarray, points: np.ndarray, distance: str) -> np.ndarray:
    """Squared distance from each ``points`` pixel to the nearest ``target`` pixel (2-D maps).

    Exact integers: the Euclidean case squares the offset to the nearest pixel (from the
    feature transform) rather than the rounded ``sqrt`` of ``distance_transform_edt``.
    """
    if distance == "chessboard":
        steps = ndimage.distance_transform_cdt(~target, metric="chessboard")[points]
        return steps.astype(np.float64) ** 2
    rows, cols = ndimage.distance_transform_edt(
        ~target, return_distances=False, return_indices=True
    )
    y, x = np.nonzero(points)
    return ((rows[points] - y) ** 2 + (cols[points] - x) ** 2).astype(np.float64)


def figure_of_merit(
    detected: np.ndarray,
    ideal: np.ndarray,
    *,
    direction: str = "detected_to_ideal",
    distance: str = "euclidean",
    alpha: float = 1 / 9,
) -> np.ndarray:
    """Pratt's figure of merit of detected against ideal edge maps (N x H x W bool each).

    ``detected_to_ideal`` sums over detected pixels (Pratt 1978); ``ideal_to_detected`` sums
    over ideal pixels (the File-Exchange ``pratt.m``). Both empty scores 1, one empty 0.
    """
    _check_option("direction", direction, DIRECTIONS)
    _check_option("distance", distance, DISTANCES)
    n_detected = np.count_nonzero(detected, axis=(1, 2))
    n_ideal = np.count_nonzero(ideal, axis=(1, 2))
    scores = (n_detected == n_ideal).astype(np.float64)  # 1 if both empty, 0 if one is
    summed, target = (detected, ideal) if direction == "detected_to_ideal" else (ideal, detected)
    for image in np.flatnonzero((n_detected > 0) & (n_ideal > 0)):
        squared = _squared_distances(target[image], summed[image], distance)
        merit = np.sum(1.0 / (1.0 + alpha * squared))
        scores[image] = merit / max(n_detected[image], n_ideal[image])
    return scores


def pfom(
    pred: np.ndarray,
    gt: np.ndarray,
    *,
    binarize: str = "adaptive",
    edges: str = "inner8",
    direction: str = "detected_to_ideal",
    distance: str = "euclidean",
    alpha: float = 1 / 9,
    batch: bool = False,
) -> np.ndarray:
    """Pratt's figure of merit (PFOM) of binarised predictions against GT masks.

    Parameters
    ----------
    pred : ndarray, shape (H, W), or (N, H, W) with ``batch=True``
        float64 maps in [0, 1], already normalised as the caller's conventions say.
    gt : ndarray of bool, same shape
        Object masks; their edges are the ideal edges.
    binarize : {"adaptive", "half", "otsu", "smd"}
        See :func:`binarize_map`.
    edges : {"inner8", "inner4", "sobel_any", "canny", "matlab_sobel"}
        The operator applied to the binary prediction and to the GT; see :func:`edge_map`.
    direction : {"detected_to_ideal", "ideal_to_detected"}
        Which edge pixels are summed; see :func:`figure_of_merit`.
    distance : {"euclidean", "chessboard"}
        ``scipy.ndimage.distance_transform_edt`` or ``distance_transform_cdt``.
    alpha : float
        Penalty constant of ``1 / (1 + alpha * d^2)``; Pratt's 1/9.
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Returns
    -------
    ndarray of float64, shape (N,)
        PFOM per image in [0, 1]: 1 when both edge maps are empty, 0 when only one is.

    Notes
    -----
    The defaults are the textbook definition. :data:`MINET_TII2024_OPTIONS` is the closest
    known, but approximate, variant of the number in MINet's Table II.
    """
    _check_option("direction", direction, DIRECTIONS)
    _check_option("distance", distance, DISTANCES)
    pred, gt = prepare(pred, gt, batch=batch)
    detected = edge_map(binarize_map(pred, binarize), edges)
    ideal = edge_map(gt, edges)
    return figure_of_merit(detected, ideal, direction=direction, distance=distance, alpha=alpha)


def evaluate(batch, conventions, keys, executor=None) -> dict:
    """``{"PFOM": per-image values}`` of a :class:`~sodbench.metrics.batch.Batch` on the
    min-max map, with the textbook options or ``conventions``' variant."""
    options = MINET_TII2024_OPTIONS if conventions.pfom_variant == "minet-tii2024" else {}
    return {"PFOM": pfom(batch.map("normalised"), batch.mask, batch=True, **options)}
