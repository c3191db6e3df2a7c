"""Human Correction Effort (Qin et al., "Highly Accurate Dichotomous Image Segmentation",
ECCV 2022), as PySODMetrics 1.6.2 ``HumanCorrectionEffortMeasure`` (sod_metrics.py,
``cal_hce``, ``filter_conditional_boundary``, ``count_polygon_control_points``).

HCE counts the mouse clicks a person would need to fix a binary prediction: the control
points of polygons (Ramer-Douglas-Peucker, ``epsilon``) drawn along the boundaries of the
relaxed false positive and false negative regions where they meet other regions, plus one
click per relaxed FP/FN region that needs no polygon. An integer per image, lower is better.

OpenCV (the ``sodbench[cv]`` extra) is imported inside the functions, so the package imports
without it; :func:`sodbench.metrics.extras.require_extra` turns its absence into a one-line
:class:`~sodbench.errors.SodbenchError`.
"""

from __future__ import annotations

import functools

import numpy as np

from sodbench.errors import SodbenchError
from sodbench.metrics.batch import Batch
from sodbench.metrics.extras import require_extra
from sodbench.metrics.validate import to_double

__all__ = ["evaluate", "hce", "image_hce"]

#: ``skimage.morphology.disk(1)``: the 3 x 3 cross of every erosion and dilation.
CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.uint8)


def hce(pred, gt, *, relax: int = 5, epsilon: float = 2.0, batch: bool = False) -> np.ndarray:
    """Per-image Human Correction Effort of the binary prediction ``pred > 0.5``.

    Parameters
    ----------
    pred : array_like, (H, W), or (N, H, W) with ``batch=True``
        Map in [0, 1] (uint8 is divided by 255), scored as given: no min-max. PySODMetrics
        and the Evaluator binarise the min-max normalised map instead.
    gt : array_like, same shape
        Ground truth mask.
    relax : int
        Pixels of FP/FN next to the TP border that are forgiven (erosions and dilations by
        a 3 x 3 cross), 5 in the paper.
    epsilon : float
        Ramer-Douglas-Peucker tolerance of the correction polygons, 2 in the paper.
    batch : bool
        True: a 3-D array is an N x H x W batch. Without it a 3-D array is refused (an
        H x W x 3 colour image would be read as H images); see docs/metrics.md, "Input rules".

    Returns
    -------
    numpy.ndarray, (N,) float64
        Whole numbers; 0 when prediction and GT agree up to the relaxation.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((20, 20), bool)
    >>> gt[5:15, 5:15] = True
    >>> hce(gt.astype(float), gt), hce(np.zeros((20, 20)), gt)
    (array([0.]), array([2.]))
    """
    if relax < 0 or int(relax) != relax:
        raise SodbenchError(f"HCE relax must be a whole number >= 0, got {relax!r}")
    if not epsilon >= 0:
        raise SodbenchError(f"HCE epsilon must be >= 0, got {epsilon!r}")
    data = Batch.of(pred, gt, batch=batch)
    preds = (to_double(image) > 0.5 for image in data.pred)  # no histogram for one threshold
    return _scores(preds, data.mask, int(relax), float(epsilon))


def evaluate(batch: Batch, conventions, keys, executor=None) -> dict:
    """``{"HCE": per-image values}`` on the min-max normalised map (PySODMetrics), under
    every set of conventions. With a ``concurrent.futures.Executor`` the values are one
    Future per image, scored on the executor's worker (OpenCV and scikit-image release the
    GIL for most of the work)."""
    if executor is None:
        require_extra(["HCE"])
        return {"HCE": np.array([_image_score(batch, index) for index in range(len(batch))])}
    require_extra(["HCE"])
    if batch.has_levels:
        batch.table("normalised")  # made here, read by the workers
    else:
        batch.map("normalised")
    return {"HCE": [executor.submit(_image_score, batch, index) for index in range(len(batch))]}


def _image_score(batch: Batch, index: int) -> float:
    pred = batch.image("normalised", index) > 0.5
    return float(image_hce(pred, batch.mask[index], relax=5, epsilon=2.0,
                           skeleton=functools.partial(batch.ground.skeleton,
                                                      batch.start + index)))


def _scores(preds, masks: np.ndarray, relax: int, epsilon: float) -> np.ndarray:
    """:func:`image_hce` of each binary prediction (an iterable) and GT mask, as float64."""
    require_extra(["HCE"])
    return np.array([image_hce(pred, mask, relax=relax, epsilon=epsilon)
                     for pred, mask in zip(preds, masks, strict=True)], dtype=np.float64)


def image_hce(pred: np.ndarray, gt: np.ndarray, *, relax: int = 5, epsilon: float = 2.0,
              skeleton=None) -> int:
    """HCE of one H x W bool prediction against one H x W bool GT (``cal_hce``).

    ``skeleton``: a function giving the flat indices of the GT skeleton's pixels in the
    H x W image (:meth:`sodbench.metrics.GroundTruth.skeleton`, made once for every method
    scored on a GT), called only when the prediction misses GT pixels; by default the
    skeleton is made here.

    Everything happens within the bounding box of ``pred | gt`` grown by ``relax + 1``
    (clipped to the image): outside it every mask is empty and the relaxed regions cannot
    reach back into the box, so the contours, regions and counts are those of the whole
    image. The skeleton is ``skimage.morphology.skeletonize(gt)`` (Zhang-Suen), as in
    PySODMetrics.

    >>> pred, gt = np.zeros((30, 30), bool), np.zeros((30, 30), bool)
    >>> pred[5:25, 5:25] = True  # one false positive region: one click to delete it
    >>> image_hce(pred, gt)
    1
    >>> image_hce(np.eye(30, dtype=bool), gt)  # thinner than the relaxation: forgiven
    0
    """
    require_extra(["HCE"])
    import cv2
    pred, gt = np.asarray(pred, dtype=bool), np.asarray(gt, dtype=bool)
    union = pred | gt
    rows, cols = np.flatnonzero(union.any(axis=1)), np.flatnonzero(union.any(axis=0))
    if not len(rows):
        return 0
    margin = relax + 1
    top, left = max(rows[0] - margin, 0), max(cols[0] - margin, 0)
    box = (slice(top, rows[-1] + margin + 1), slice(left, cols[-1] + margin + 1))
    pred = np.ascontiguousarray(pred[box]).view(np.uint8)
    gt_u8 = np.ascontiguousarray(gt[box]).view(np.uint8)
    not_gt, not_pred = 1 - gt_u8, 1 - pred
    tp = pred & gt_u8
    fp, fn = pred ^ tp, gt_u8 ^ tp
    eroded = cv2.erode(pred | gt_u8, CROSS, iterations=relax)
    fp_relaxed = _geodesic(cv2, fp & eroded, not_gt, relax) & fp
    fn_relaxed = _geodesic(cv2, fn & eroded, not_pred, relax) & fn
    if fn.any():  # the skeleton counts only where it is FN: skeleton & ~TP = skeleton & FN
        if skeleton is None:  # of the box: the box holds the GT with a margin, or the border
            from skimage.morphology import skeletonize  # a slow import: on first use

            skeleton_u8 = skeletonize(gt_u8.view(bool)).view(np.uint8)
        else:
            skeleton_u8 = np.zeros_like(gt_u8)
            rows, cols = np.divmod(skeleton(), gt.shape[1])
            skeleton_u8[rows - top, cols - left] = 1
        fn_relaxed |= skeleton_u8 & fn
    offset = np.array([left, top], np.int32)
    total = _region_effort(cv2, fp_relaxed, tp | fn_relaxed, offset, epsilon)
    rest = 1 - (tp | fp_relaxed | fn_relaxed)
    return total + _region_effort(cv2, fn_relaxed, rest, offset, epsilon)


def _geodesic(cv2, seed: np.ndarray, allowed: np.ndarray, steps: int) -> np.ndarray:
    """``steps`` times: dilate by the cross, then keep the ``allowed`` pixels."""
    for _ in range(steps):
        seed = cv2.dilate(seed, CROSS)
        seed &= allowed
    return seed


def _region_effort(cv2, mask: np.ndarray, condition: np.ndarray, offset: np.ndarray,
                   epsilon: float) -> int:
    """Polygon control points plus independent regions of one relaxed error ``mask``
    (``filter_conditional_boundary`` then ``count_polygon_control_points``).

    PySODMetrics walks every contour point in order: a point starts or extends a boundary run
    if the dilated ``condition`` holds there and no earlier point (of any contour) was taken
    at the same pixel; anything else ends the run. Since the condition is per pixel, a point
    is taken exactly when the condition holds and it is the pixel's first occurrence in the
    concatenated contours, which :func:`numpy.unique` finds at once. A contour's first run is
    appended reversed to its last run when their outer ends are 8-neighbours. Regions
    (8-connected components of ``mask``) without a taken point count one click each.
    """
    contours, _ = cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return 0
    regions, labels = cv2.connectedComponents(mask, connectivity=8)
    width = mask.shape[1]
    points = np.concatenate(contours).reshape(-1, 2)
    flat = points[:, 1] * width + points[:, 0]
    candidates = np.flatnonzero(cv2.dilate(condition, CROSS).ravel().take(flat))
    _, first = np.unique(flat.take(candidates), return_index=True)
    taken = np.zeros(len(flat), bool)
    taken[candidates[first]] = True
    touched = np.unique(labels.ravel().take(flat[taken]))
    independent = regions - 1 - np.count_nonzero(touched)
    if not len(candidates):
        return int(independent)

    owner = np.repeat(np.arange(len(contours)), [len(contour) for contour in contours])
    same = np.empty(len(flat), bool)
    same[0] = False
    np.equal(owner[1:], owner[:-1], out=same[1:])
    after = np.empty(len(flat), bool)
    after[0] = False
    after[1:] = taken[:-1]
    starts = np.flatnonzero(taken & ~(after & same))
    ends = np.flatnonzero(taken & ~np.append(taken[1:] & same[1:], False)) + 1
    runs = [[start, stop] for start, stop in zip(starts.tolist(), ends.tolist(), strict=True)]
    _join_wrapped_runs(runs, owner.take(starts), points)
    return int(independent) + _control_points(cv2, runs, points + offset, epsilon)


def _join_wrapped_runs(runs: list, run_owner: np.ndarray, points: np.ndarray) -> None:
    """In place: a contour with several runs whose last run ends next to (8-neighbour of)
    where its first run starts gets the first run, reversed, appended to its last run."""
    first = np.flatnonzero(np.append(True, run_owner[1:] != run_owner[:-1]))
    last = np.append(first[1:], len(runs)) - 1
    several = last > first
    first, last = first[several], last[several]
    if not len(first):
        return
    head = points[[runs[index][0] for index in first]]
    tail = points[[runs[index][1] - 1 for index in last]]
    joined = np.abs(head - tail).max(axis=1) == 1
    for index_first, index_last in zip(first[joined][::-1], last[joined][::-1], strict=True):
        runs[index_last].append(runs[index_first])
        del runs[index_first]


def _control_points(cv2, runs: list, points: np.ndarray, epsilon: float) -> int:
    """Vertices of ``cv2.approxPolyDP(run, epsilon, closed=False)`` summed over the runs.

    A run of one or two distinct points keeps them all, so OpenCV is only asked about
    longer runs.
    """
    total = 0
    for run in runs:
        start, stop = run[0], run[1]
        if len(run) == 3:  # [start, stop, first run]: the joined run
            head = points[run[2][0]:run[2][1]][::-1]
            curve = np.concatenate((points[start:stop], head))
        elif stop - start <= 2:
            total += stop - start
            continue
        else:
            curve = points[start:stop]
        total += len(cv2.approxPolyDP(curve.reshape(-1, 1, 2), epsilon, False))
    return total
