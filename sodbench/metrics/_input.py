"""Input conversion shared by every metric: dtype rules, validation and normalisation.

Everything is expressed in Matlab's ``im2double`` space: uint8 is divided by 255, uint16 by
65535, bool becomes 0/1 and floats must already lie in [0, 1]. Anything else is refused with a
one-line :class:`~sodbench.errors.SodbenchError` instead of being silently rescaled (spec
sec. 7, pitfall 1: a float GT in {0, 1} fed to ``gt > 128`` becomes empty without a warning).
"""

from __future__ import annotations

import numpy as np

from sodbench.errors import SodbenchError

#: Matlab ``eps``; PySODMetrics' ``EPS`` (``py_sod_metrics/utils.py``).
EPS = np.spacing(1)

#: Default GT rule of PySODMetrics and Fan's toolbox: ``gt > 128`` on 0..255.
GT_THRESHOLD_U8 = 128

_SCALE = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535}


def as_batch(array, what: str) -> np.ndarray:
    """Return ``array`` as an N x H x W array (an H x W array becomes a batch of one)."""
    array = np.asarray(array)
    if array.ndim == 2:
        return array[None]
    if array.ndim != 3:
        raise SodbenchError(
            f"{what} must be H x W or N x H x W, got shape {array.shape} "
            "(take one channel of an RGB map first)"
        )
    if 0 in array.shape:
        raise SodbenchError(f"{what} is empty (shape {array.shape})")
    return array


def _check_float(array: np.ndarray, what: str, hint: str) -> None:
    if not np.isfinite(array).all():
        raise SodbenchError(f"{what} contains NaN or inf values")
    low, high = float(array.min()), float(array.max())
    if low < 0 or high > 1:
        bound = high if high > 1 else low
        raise SodbenchError(f"{what} is float with values up to {bound}: {hint}")


def im2double(array, what: str = "prediction") -> np.ndarray:
    """Matlab ``im2double`` of a map: float64 in [0, 1], batched as N x H x W.

    uint8 / 255, uint16 / 65535, bool as 0/1, float32/float64 validated to lie in [0, 1].
    Other dtypes (signed integers, uint32, ...) are ambiguous and refused.
    """
    array = as_batch(array, what)
    check_map(array, what)
    return to_double(array)


def check_map(array: np.ndarray, what: str = "prediction") -> None:
    """Refuse an N x H x W map that :func:`im2double` cannot convert, without converting it."""
    dtype = array.dtype
    if dtype in _SCALE or dtype == np.bool_:
        return
    if dtype in (np.float32, np.float64):
        _check_float(
            array, what, "pass uint8, or divide by 255 for a float map in [0, 1]"
        )
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


def binarize_gt(gt, threshold_u8: int = GT_THRESHOLD_U8) -> np.ndarray:
    """Binary GT mask, N x H x W bool: ``gt > threshold`` on the 0..255 scale.

    uint8 compares with ``threshold_u8`` directly, uint16 with ``257 * threshold_u8`` (the same
    level on 0..65535), a float GT in [0, 1] with ``threshold_u8 / 255``; bool is taken as is.
    Refused as ambiguous: a float GT with values above 1 (the 0..255 map saved as float) and an
    integer GT whose maximum is 1 (a {0, 1} mask, which ``> 128`` would silently empty).
    """
    gt = as_batch(gt, "ground truth")
    dtype = gt.dtype
    if dtype == np.bool_:
        return gt
    if dtype in _SCALE:
        _check_not_zero_one(gt)
        return gt > (threshold_u8 if dtype == np.uint8 else 257 * threshold_u8)
    if dtype in (np.float32, np.float64):
        _check_float(gt, "ground truth", "pass the uint8 mask, or divide by 255")
        return gt.astype(np.float64, copy=False) > threshold_u8 / 255
    raise SodbenchError(
        f"ground truth has dtype {dtype}: pass uint8 (0..255), uint16, bool or float in [0, 1]"
    )


def _check_not_zero_one(gt: np.ndarray) -> None:
    """Refuse an integer GT mask whose largest value is 1: a {0, 1} mask that ``> 128`` would empty.

    Checked per image, so one {0, 1} mask in a batch of 0/255 masks is refused too.
    """
    per_image_max = gt.reshape(len(gt), -1).max(axis=1)
    bad = np.flatnonzero(per_image_max == 1)
    if bad.size:
        where = f" (image {bad[0]} of the batch)" if len(gt) > 1 else ""
        raise SodbenchError(
            f"ground truth is {gt.dtype} with values in {{0, 1}}{where}: pass it as bool "
            "(gt > 0) or scale it to 0..255"
        )


def check_pair(pred: np.ndarray, gt: np.ndarray) -> None:
    """Refuse a prediction and GT (both N x H x W) whose shapes differ."""
    if pred.shape != gt.shape:
        raise SodbenchError(
            f"prediction shape {pred.shape} differs from ground truth shape {gt.shape} "
            "(resize the prediction to the GT size first)"
        )


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


def prepare(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    """Validate a pair for the metric functions: ``(im2double(pred), binarize_gt(gt))``.

    No min-max here: the metric functions score the map they are given, and the profile
    (:mod:`sodbench.profiles`) decides which map each metric sees.
    """
    pred, gt = im2double(pred), binarize_gt(gt)
    check_pair(pred, gt)
    return pred, gt
