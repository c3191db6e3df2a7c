"""Step one of every metric, validation: dtype rules, shape rules and normalisation.

Everything is expressed in Matlab's ``im2double`` space: uint8 is divided by 255, uint16 by
65535, bool becomes 0/1 and floats must already lie in [0, 1]. Anything else is refused with a
one-line :class:`~sodbench.errors.SodbenchError` instead of being silently rescaled (a float GT
in {0, 1} fed to ``gt > 128`` would become empty without a warning; docs/metrics.md, "Input
rules");
for the same reason a GT image with non-zero pixels that the threshold empties is refused
unless the caller accepts it (``allow_emptied_gt``). A 3-D array is a batch only when the
caller says ``batch=True`` (:func:`as_batch`).
"""

from __future__ import annotations

import numpy as np

from sodbench.errors import SodbenchError

#: Matlab ``eps``; PySODMetrics' ``EPS`` (``py_sod_metrics/utils.py``).
__all__ = [
    "EPS", "GT_THRESHOLD_U8", "as_batch", "binarize_gt", "check_emeasure_size", "check_images",
    "check_map",
    "check_pair", "emptied_gt_problem", "emptied_images", "gt_threshold", "im2double",
    "image_mean", "minmax", "prepare", "to_double",
]

EPS = np.spacing(1)

#: Default GT rule of PySODMetrics and Fan's toolbox: ``gt > 128`` on 0..255.
GT_THRESHOLD_U8 = 128

_SCALE = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def as_batch(array, what: str, *, batch: bool = False) -> np.ndarray:
    """Return ``array`` as an N x H x W array: an H x W array is one image (a batch of one).

    A 3-D array is taken as an N x H x W batch only when the caller says so with ``batch=True``:
    an H x W x 3 colour image has three axes too, and reading it as a batch would score H
    images of W x 3 pixels without a word. This is the one place that rule lives; every
    public function and the Evaluator pass their ``batch`` keyword here.
    """
    try:
        array = np.asarray(array)
    except ValueError as error:  # a list of maps of different sizes
        raise SodbenchError(f"{what} is a sequence of maps of different shapes: a batch holds "
                            "maps of one size; pass one H x W pair per call instead") from error
    if array.ndim == 3 and not batch:
        raise SodbenchError(_three_axes_message(array.shape, what))
    if array.ndim not in (2, 3):
        raise SodbenchError(
            f"{what} must be H x W, or N x H x W with batch=True, got shape {array.shape} "
            "(take one channel of an RGB map first)"
        )
    if 0 in array.shape:
        raise SodbenchError(f"{what} is empty (shape {array.shape})")
    return array[None] if array.ndim == 2 else array


def _three_axes_message(shape: tuple[int, ...], what: str) -> str:
    if shape[-1] in (3, 4):
        return (
            f"{what} has shape {shape}, which looks like an H x W x {shape[-1]} colour image: "
            f"pass one channel (e.g. map[..., 0]) or a grey map, as the folder reader does "
            f"(batch=True reads it as {shape[0]} maps of {shape[1]} x {shape[2]} instead)"
        )
    return (
        f"{what} has shape {shape}: pass batch=True to score it as {shape[0]} maps of "
        f"{shape[1]} x {shape[2]}, or pass one H x W map"
    )


def _check_float(array: np.ndarray, what: str, hint: str, negative_hint: str) -> None:
    """Refuse NaN, inf and values outside [0, 1], naming the bound that is crossed: ``hint``
    for values above 1 (a 0..255 map saved as float), ``negative_hint`` for values below 0."""
    if not np.isfinite(array).all():
        raise SodbenchError(f"{what} contains NaN or inf values")
    low, high = float(array.min()), float(array.max())
    if high > 1 and low < 0:
        raise SodbenchError(f"{what} is float with values in [{low}, {high}]: must lie in "
                            f"[0, 1]; {negative_hint}")
    if high > 1:
        raise SodbenchError(f"{what} is float with values up to {high}: {hint}")
    if low < 0:
        raise SodbenchError(f"{what} is float with values down to {low}: must lie in [0, 1]; "
                            f"{negative_hint}")


def im2double(array, what: str = "prediction", *, batch: bool = False) -> np.ndarray:
    """Matlab ``im2double`` of a map: float64 in [0, 1], batched as N x H x W.

    uint8 / 255, uint16 / 65535, bool as 0/1, float32/float64 validated to lie in [0, 1].
    Other dtypes (signed integers, uint32, ...) are ambiguous and refused. ``batch``: as in
    :func:`as_batch`.
    """
    array = as_batch(array, what, batch=batch)
    check_map(array, what)
    return to_double(array)


def check_map(array: np.ndarray, what: str = "prediction") -> None:
    """Refuse an N x H x W map that :func:`im2double` cannot convert, without converting it."""
    dtype = array.dtype
    if dtype in _SCALE or dtype == np.bool_:
        return
    if dtype in (np.float32, np.float64):
        _check_float(array, what, "pass uint8, or divide by 255 for a float map in [0, 1]",
                     "apply the sigmoid to logits, or clip")
        return
    raise SodbenchError(
        f"{what} has dtype {dtype}: pass uint8 (0..255), uint16 (0..65535), bool "
        "or float in [0, 1]"
    )


def to_double(array: np.ndarray) -> np.ndarray:
    """The conversion of :func:`im2double` for a map :func:`check_map` accepted."""
    if array.dtype in _SCALE:
        return array / _SCALE[array.dtype]
    return array.astype(np.float64, copy=False)


def binarize_gt(gt, threshold_u8: int = GT_THRESHOLD_U8, *, batch: bool = False,
                allow_emptied_gt: bool = False) -> np.ndarray:
    """Binary GT mask, N x H x W bool: ``gt > threshold`` on the 0..255 scale.

    uint8 compares with ``threshold_u8`` directly; uint16 is scaled like a 16-bit prediction
    (``im2double`` divides it by 65535), so it compares with ``257 * threshold_u8``, the same
    level on 0..65535; a float GT in [0, 1] with ``threshold_u8 / 255``; bool is taken as is.
    A float GT with values above 1 (the 0..255 map saved as float) is refused as ambiguous.

    A GT image with non-zero pixels whose mask comes out empty (a {0, 1} or {0, 128} uint8
    mask, a {0, 255} uint16 one, ...) is refused: scoring it as all background is not what
    the mask says. ``allow_emptied_gt=True`` accepts it deliberately (it is scored as empty).
    ``batch``: as in :func:`as_batch`.
    """
    gt = as_batch(gt, "ground truth", batch=batch)
    dtype = gt.dtype
    if dtype == np.bool_:
        return gt
    if dtype in _SCALE:
        mask = gt > gt_threshold(dtype, threshold_u8)
    elif dtype in (np.float32, np.float64):
        _check_float(gt, "ground truth", "pass the uint8 mask, or divide by 255",
                     "pass the uint8 or bool mask")
        mask = gt.astype(np.float64, copy=False) > gt_threshold(dtype, threshold_u8)
    else:
        raise SodbenchError(
            f"ground truth has dtype {dtype}: pass uint8 (0..255), uint16, bool or float in "
            "[0, 1]"
        )
    emptied = [] if allow_emptied_gt else emptied_images(gt, mask)
    if len(emptied):
        where = f" (image {emptied[0]} of the batch)" if len(gt) > 1 else ""
        problem = emptied_gt_problem(gt[emptied[0]], threshold_u8, where)
        raise SodbenchError(f"ground truth is {problem}, pass it as bool (gt > 0), or pass "
                            "allow_emptied_gt=True to score it as empty")
    return mask


def gt_threshold(dtype: np.dtype, threshold_u8: int = GT_THRESHOLD_U8) -> float:
    """The GT threshold ``threshold_u8`` (on 0..255) on the scale of ``dtype``."""
    if dtype == np.uint8:
        return threshold_u8
    if dtype == np.uint16:
        return 257 * threshold_u8
    return threshold_u8 / 255


def emptied_images(gt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Indices of the images of a batch whose GT has non-zero pixels but an empty ``mask``."""
    flat_gt, flat_mask = gt.reshape(len(gt), -1), mask.reshape(len(mask), -1)
    return np.flatnonzero(flat_gt.any(axis=1) & ~flat_mask.any(axis=1))


def emptied_gt_problem(image: np.ndarray, threshold_u8: int = GT_THRESHOLD_U8,
                       where: str = "") -> str:
    """What is wrong with one emptied GT image (H x W) and how to fix the mask, one line.

    Reads ``"<dtype> with values in {0, 128}<where>: ... save the mask with 0 and 255"``;
    callers put the subject in front and their other fixes behind.
    """
    dtype = image.dtype
    threshold = gt_threshold(dtype, threshold_u8)
    values = np.unique(image)
    shown = ("{" + ", ".join(f"{value:g}" for value in values.tolist()) + "}"
             if len(values) <= 4 else f"{values[0]:g}..{values[-1]:g}")
    if dtype == np.uint8:
        scale, full = f"gt > {threshold} on 0..255", "0 and 255"
    elif dtype == np.uint16:
        scale = (f"gt > {threshold} on 0..65535: a 16-bit GT is scaled like a 16-bit "
                 "prediction, by 65535")
        full = "0 and 65535 (or as 8-bit 0 and 255)"
    else:
        scale, full = f"gt > {threshold_u8}/255 on [0, 1]", "0 and 1"
    return (f"{dtype} with values in {shown}{where}: no pixel is above the GT threshold "
            f"({scale}), so its foreground would be empty; save the mask with {full}")


def check_pair(pred: np.ndarray, gt: np.ndarray) -> None:
    """Refuse a prediction and GT (both N x H x W) whose shapes differ."""
    if pred.shape != gt.shape:
        raise SodbenchError(
            f"prediction shape {pred.shape} differs from ground truth shape {gt.shape} "
            "(resize the prediction to the GT size first)"
        )


def check_images(image, shape: tuple[int, ...], *, batch: bool, needed: bool):
    """The RGB image(s) of a batch of maps of ``shape`` (N, H, W) as (N, H, W, 3) uint8, or
    None when none is given; refused unless uint8 RGB of the maps' size. ``needed``: a metric
    that reads the image (CCM) is selected, so none given is an error."""
    if image is None:
        if needed:
            raise SodbenchError("CCM needs the RGB image of each pair: update(pred, gt, "
                                "image=...), or eval --images DIR")
        return None
    image = np.asarray(image)
    if image.ndim == 3 and not batch:
        image = image[None]
    expected = (*shape, 3)
    if image.shape != expected or image.dtype != np.uint8:
        raise SodbenchError(
            f"image has shape {image.shape} and dtype {image.dtype}: CCM reads uint8 RGB "
            f"images of the maps' size, {' x '.join(map(str, expected[1 if not batch else 0:]))}"
            " (convert grey or RGBA images to RGB first)")
    return image


def check_emeasure_size(shape: tuple[int, ...]) -> None:
    """Refuse a single-pixel pair where the E-measure is scored: it divides by H*W - 1 (+ eps),
    so a 1 x 1 pair scores about 4.5e15 (in PySODMetrics too) and one such image (a
    placeholder GT) swamps a dataset's mean without a word."""
    if tuple(shape[-2:]) == (1, 1):
        raise SodbenchError("prediction and ground truth are a single pixel: the E-measure is "
                            "not defined below 2 pixels; give full-size maps, or leave the "
                            "E-measure keys out of the metric set")


def minmax(maps: np.ndarray) -> np.ndarray:
    """Per-image min-max normalisation (Matlab ``mapminmax``), batched over N x H x W.

    Constant maps are kept as they are, as PySODMetrics' ``prepare_data`` does. The arithmetic
    order ``(x - min) / (max - min)`` is the reference one, so the uint8 truncation of the curves
    lands on the same level for every pixel.
    """
    flat = maps.reshape(len(maps), -1)
    low = flat.min(axis=1)[:, None, None]
    span = flat.max(axis=1)[:, None, None] - low
    constant = np.flatnonzero(span == 0)
    out = maps - low
    out /= np.where(span == 0, 1.0, span)
    out[constant] = maps[constant]
    return out


def image_mean(maps: np.ndarray) -> np.ndarray:
    """Per-image mean of an N x H x W array with NumPy's pairwise summation per image."""
    return maps.reshape(len(maps), -1).mean(axis=1)


def prepare(pred, gt, *, batch: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair for the metric functions: ``(im2double(pred), binarize_gt(gt))``.

    No min-max here: the metric functions score the map they are given, and the profile
    (:mod:`sodbench.metrics.conventions`) decides which map each metric sees. ``batch``: as in
    :func:`as_batch`.
    """
    pred, gt = im2double(pred, batch=batch), binarize_gt(gt, batch=batch)
    check_pair(pred, gt)
    return pred, gt
