"""Reading saliency maps and masks from files, and resizing predictions to their GT.

Conversion rules of :func:`read_map` (by file content, whatever the extension):

========================  ===============================================================
file holds                array returned
========================  ===============================================================
grey, 8-bit (mode L)      uint8, unchanged
RGB, R = G = B            uint8, one channel (MINet's and EDRNet's test scripts save maps
                          as RGB; this is exact, like OpenCV's grey reading)
RGB, channels differ      uint8 luminance ``L = R*299/1000 + G*587/1000 + B*114/1000``
                          (ITU-R 601-2, Pillow's ``convert("L")``; OpenCV uses the same
                          weights with its own rounding), and a note says so
RGBA / LA                 alpha ignored, then the RGB / grey rule
palette (mode P)          converted through RGB, then the RGB rule
1-bit (mode 1)            uint8 {0, 255}, as OpenCV reads it
16-bit (PNG, TIFF)        uint16, unchanged (the Evaluator divides by 65535)
32-bit int (mode I)       uint16 when every value fits in 0..65535, else an error
float TIFF (mode F)       float32, unchanged; NaN or inf is an error
``.npy``                  the stored 2-D array (a trailing axis of 1 is dropped; 3 equal
                          channels become one); float NaN or inf is an error
========================  ===============================================================

Multi-frame files (TIFF stacks) use their first frame. Value ranges are checked by the
Evaluator, not here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from sodbench.errors import SodbenchError

#: Extensions that are listed as maps when pairing folders (lower case).
MAP_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".npy")

#: Recorded in every results file: how a prediction of another size than its GT is resized.
RESIZE_POLICY = (
    "prediction resized to its GT size with Pillow bilinear interpolation "
    "(Image.resize(BILINEAR) on float32, rounded back to the input integer type); "
    "GT never resized; close to but not bit-identical with OpenCV INTER_LINEAR "
    "(PySODEvalToolkit), which ignores the area of downscaled pixels"
)


def read_map(path: str | os.PathLike) -> np.ndarray:
    """Read a saliency map or GT mask as one 2-D array (see the module docstring for rules).

    Parameters
    ----------
    path : path-like
        An image Pillow can open (PNG, JPEG, BMP, TIFF, ...) or a ``.npy`` array.

    Returns
    -------
    numpy.ndarray
        2-D uint8, uint16, bool (``.npy`` only) or float array.

    Raises
    ------
    SodbenchError
        One line naming the file when it cannot be read, is not 2-D or holds NaN/inf.
    """
    return load_map(path)[0]


def load_map(path: str | os.PathLike) -> tuple[np.ndarray, str | None]:
    """Like :func:`read_map`, also returning a short note when a lossy conversion happened."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        array, note = _load_npy(path), None
    else:
        array, note = _load_image(path)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise SodbenchError(f"{path}: map holds NaN or inf values; fix the file or remove it")
    return array, note


def _load_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise SodbenchError(f"{path}: cannot read .npy map ({error})") from error
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    elif array.ndim == 3 and array.shape[2] == 3 and _channels_equal(array):
        array = array[..., 0]
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise SodbenchError(
            f"{path}: expected a 2-D numeric map, got shape {array.shape} dtype {array.dtype}"
        )
    return array


def _load_image(path: Path) -> tuple[np.ndarray, str | None]:
    try:
        with Image.open(path) as image:
            image.load()
            return _image_to_array(image, path)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise SodbenchError(f"{path}: cannot read image ({error})") from error


def _image_to_array(image: Image.Image, path: Path) -> tuple[np.ndarray, str | None]:
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L")), None
    if mode == "L":
        return np.asarray(image), None
    if mode.startswith("I;16"):
        return np.asarray(image).astype(np.uint16), None
    if mode == "I":
        array = np.asarray(image)
        if array.min() < 0 or array.max() > 65535:
            raise SodbenchError(f"{path}: 32-bit integer map outside 0..65535; save as 8/16-bit")
        return array.astype(np.uint16), None
    if mode == "F":
        return np.asarray(image), None
    if mode == "LA":
        return np.asarray(image.getchannel("L")), "alpha ignored"
    note = "alpha ignored" if mode in ("RGBA", "PA") or "transparency" in image.info else None
    rgb = np.asarray(image.convert("RGB"))
    if _channels_equal(rgb):
        return np.ascontiguousarray(rgb[..., 0]), note
    luminance = np.asarray(Image.fromarray(rgb).convert("L"))
    return luminance, "RGB channels differ: converted to ITU-R 601 luminance" + (
        "; alpha ignored" if note else ""
    )


def _channels_equal(array: np.ndarray) -> bool:
    return bool((array[..., 0] == array[..., 1]).all() and (array[..., 0] == array[..., 2]).all())


def resize_to(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Resize a prediction to ``shape`` (H, W) as :data:`RESIZE_POLICY` says; dtype is kept.

    Bool maps come back as float64 in [0, 1] (a resized binary map is no longer binary).
    """
    resized = np.asarray(
        Image.fromarray(array.astype(np.float32)).resize(
            (shape[1], shape[0]), Image.Resampling.BILINEAR
        )
    )
    if array.dtype == bool:
        return np.clip(resized.astype(np.float64), 0.0, 1.0)
    if array.dtype.kind in "ui":
        info = np.iinfo(array.dtype)
        return np.clip(np.rint(resized), info.min, info.max).astype(array.dtype)
    return resized.astype(array.dtype)
