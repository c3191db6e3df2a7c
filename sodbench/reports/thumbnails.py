"""The image panels of ``sodbench report``: thumbnails of an image, its GT, a prediction and an
error overlay, each encoded as a ``data:`` URI (docs/report.md).

The error overlay shows the image in grey, darkened, and paints each pixel by what the
prediction, binarised at 0.5 (128 on 0..255), did with the GT mask (``gt > 128``, the metrics'
rule): :data:`MISSED` where the GT is salient and the prediction is not (false negative),
:data:`FALSE_ALARM` where the prediction is salient and the GT is not (false positive),
:data:`HIT` where both are. Blue and orange are the Okabe-Ito pair told apart in every common
colour-vision deficiency; white hits read as neither.

Maps and images are read by :mod:`sodbench.folders.images` (the evaluation's readers, with
their one-line errors); a prediction of another size than its GT is resized to it the way the
evaluation resized it (:func:`~sodbench.folders.images.resize_to`), an image of another size
is resized for display only.
"""

from __future__ import annotations

import base64
import io
import os
from typing import NamedTuple

import numpy as np
from PIL import Image

from sodbench.folders.images import read_image, read_map, resize_to
from sodbench.metrics.validate import binarize_gt, im2double

__all__ = ["FALSE_ALARM", "HIT", "MISSED", "PREDICTION_THRESHOLD", "Thumbnails", "data_uri",
           "error_overlay", "panels", "shrink"]

#: Okabe-Ito blue: GT pixels the prediction missed (false negatives).
MISSED = (0x00, 0x72, 0xB2)
#: Okabe-Ito orange: predicted pixels outside the GT (false positives).
FALSE_ALARM = (0xE6, 0x9F, 0x00)
#: Pixels both salient.
HIT = (0xFF, 0xFF, 0xFF)
#: A prediction pixel is salient from this value on (on [0, 1]; 128 on 0..255).
PREDICTION_THRESHOLD = 0.5
_PAINT = 0.8  # the colours' opacity: enough of the image shows through to place them
_DARKEN = 0.6  # the grey image's brightness, so that white hits stand out
_JPEG_QUALITY = 85


class Thumbnails(NamedTuple):
    """The panels of one image as ``data:`` URIs."""

    image: str
    gt: str
    preds: dict[str, str]
    """Name -> the prediction's thumbnail."""
    overlays: dict[str, str]
    """Name -> its error overlay (empty when none was asked for)."""


def _as_rgb(pixels: np.ndarray) -> np.ndarray:
    """An image from :func:`read_image` as 8-bit RGB (16-bit grey scaled down)."""
    if pixels.dtype == np.uint16:
        pixels = (pixels // 257).astype(np.uint8)
    return np.repeat(pixels[..., None], 3, axis=2) if pixels.ndim == 2 else pixels


def _fit(rgb: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    if rgb.shape[:2] == shape:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize((shape[1], shape[0]),
                                                  Image.Resampling.BILINEAR))


def error_overlay(image: np.ndarray, gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """The error overlay of one prediction (see the module docstring), ``H x W x 3`` uint8.

    Parameters
    ----------
    image : numpy.ndarray
        ``H x W x 3`` uint8 RGB, the GT's size.
    gt : numpy.ndarray
        ``H x W`` bool, the GT mask.
    pred : numpy.ndarray
        ``H x W`` float in [0, 1], the prediction.
    """
    grey = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    out = np.repeat((grey * _DARKEN)[..., None], 3, axis=2)
    salient = pred >= PREDICTION_THRESHOLD
    for where, colour in ((gt & ~salient, MISSED), (~gt & salient, FALSE_ALARM),
                          (gt & salient, HIT)):
        out[where] = (1 - _PAINT) * out[where] + _PAINT * np.array(colour, dtype=np.float64)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def shrink(pixels: np.ndarray, size: int) -> Image.Image:
    """``pixels`` as a Pillow image whose longest side is at most ``size`` (never enlarged)."""
    picture = Image.fromarray(pixels)
    picture.thumbnail((size, size), Image.Resampling.LANCZOS)
    return picture


def data_uri(picture: Image.Image) -> str:
    """``picture`` as a ``data:`` URI, PNG or JPEG (quality 85), whichever is smaller."""
    encoded = {}
    for kind, options in (("png", {"optimize": True}), ("jpeg", {"quality": _JPEG_QUALITY})):
        buffer = io.BytesIO()
        picture.save(buffer, format=kind.upper(), **options)
        encoded[kind] = buffer.getvalue()
    kind = min(encoded, key=lambda name: len(encoded[name]))
    return f"data:image/{kind};base64,{base64.b64encode(encoded[kind]).decode('ascii')}"


def panels(image_path: str | os.PathLike, gt_path: str | os.PathLike,
           pred_paths: dict[str, str | os.PathLike], size: int, *,
           overlay: bool = True) -> Thumbnails:
    """The thumbnails of one image, its GT, its predictions and their error overlays.

    Parameters
    ----------
    image_path, gt_path : path-like
        The source image and its GT mask.
    pred_paths : dict
        Name (a method) -> its prediction map.
    size : int
        Longest side of a thumbnail, in pixels.
    overlay : bool
        Make the error overlay of each prediction too.

    Raises
    ------
    SodbenchError
        One line naming a file that cannot be read.
    """
    mask = binarize_gt(read_map(gt_path), allow_emptied_gt=True)[0]
    rgb = _fit(_as_rgb(read_image(image_path)), mask.shape)
    preds, overlays = {}, {}
    for name, path in pred_paths.items():
        pred = read_map(path)
        if pred.shape != mask.shape:
            pred = resize_to(pred, mask.shape)
        pred = im2double(pred, str(path))[0]
        preds[name] = data_uri(shrink(np.rint(pred * 255).astype(np.uint8), size))
        if overlay:
            overlays[name] = data_uri(shrink(error_overlay(rgb, mask, pred), size))
    return Thumbnails(data_uri(shrink(rgb, size)),
                      data_uri(shrink((mask * 255).astype(np.uint8), size)), preds, overlays)
