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
Evaluator, not here. Whatever cannot be read gives one :class:`SodbenchError` naming the file:
a path that is not a regular file (:mod:`sodbench.folders.inputs`), a damaged or truncated file
(whatever exception the decoder raised), a map above :data:`MAX_PIXELS` (refused from the
header, before decoding), a ``.npy`` whose header does not match its size.
"""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image

from sodbench.errors import SodbenchError
from sodbench.folders.inputs import open_input

__all__ = ["IMAGE_SUFFIXES", "MAP_EXTENSIONS", "MAX_PIXELS", "RESIZE_POLICY", "load_map",
           "map_pixels", "open_image", "read_image", "read_map", "read_rgb", "resize_to"]

#: Extensions that are listed as maps when pairing folders (lower case).
MAP_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".npy")

#: Largest map read, in pixels (Pillow's own decompression-bomb limit, about 9459 x 9459):
#: a larger map is far beyond any saliency benchmark and most likely a damaged header.
MAX_PIXELS = 89_478_485

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
    with open_input(path) as handle:
        if path.suffix.lower() == ".npy":
            array, note = _load_npy(handle, path), None
        else:
            array, note = _load_image(handle, path)
    if array.size == 0:
        raise SodbenchError(f"{path}: map has no pixels (shape {array.shape}); fix the file")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise SodbenchError(f"{path}: map holds NaN or inf values; fix the file or remove it")
    return array, note


def map_pixels(path: str | os.PathLike) -> int | None:
    """Pixels of the map in ``path`` from its header alone (nothing is decoded), or None when
    the header cannot be read (reading the map then says why).

    >>> Image.new("L", (6, 4)).save("m.png"); np.save("m.npy", np.zeros((3, 5)))
    >>> map_pixels("m.png"), map_pixels("m.npy"), map_pixels("missing.png")
    (24, 15, None)
    """
    path = Path(path)
    try:
        with open_input(path) as handle:
            if path.suffix.lower() == ".npy":
                version = np.lib.format.read_magic(handle)
                shape = (np.lib.format.read_array_header_1_0(handle) if version == (1, 0)
                         else np.lib.format.read_array_header_2_0(handle))[0]
                return int(shape[0] * shape[1]) if len(shape) >= 2 else None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(handle) as image:
                    return image.size[0] * image.size[1]
    except Exception:  # noqa: BLE001 - any failure: unknown size; load_map names the problem
        return None


def _reason(error: BaseException) -> str:
    if isinstance(error, Image.UnidentifiedImageError):
        # Pillow's text names the open file object ("<_io.BufferedReader name=3>"): its
        # descriptor number differs from run to run and says nothing the path does not
        return "UnidentifiedImageError: not an image format Pillow can read"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _too_large(path: Path, pixels: int) -> SodbenchError:
    return SodbenchError(f"{path}: map has {pixels:,} pixels, more than the {MAX_PIXELS:,} "
                         "sodbench reads (images.MAX_PIXELS); is the file damaged?")


def _load_npy(handle: BinaryIO, path: Path) -> np.ndarray:
    # Decoders of damaged files raise almost any exception type (numpy: EOFError, ValueError,
    # OSError, SyntaxError from the header, MemoryError); each is this file's fault, so each
    # becomes the one-line error. The header is checked against the file size first, so a
    # damaged shape never allocates memory and trailing bytes never go unnoticed.
    try:
        return _npy_array(handle, path)
    except SodbenchError:
        raise
    except Exception as error:
        raise SodbenchError(f"{path}: cannot read .npy map ({_reason(error)})") from error


def _npy_array(handle: BinaryIO, path: Path) -> np.ndarray:
    version = np.lib.format.read_magic(handle)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
    else:  # np.save writes 3.0 only for non-ASCII field names, never for a numeric map
        raise SodbenchError(f"{path}: .npy format {version[0]}.{version[1]} is not a "
                            "numeric map; save it with np.save")
    squeezable = len(shape) == 3 and shape[2] in (1, 3)
    if (len(shape) != 2 and not squeezable) or dtype.kind not in "biuf" or min(shape) < 0:
        raise SodbenchError(f"{path}: expected a 2-D numeric map, got shape {shape} "
                            f"dtype {dtype}")
    count = math.prod(shape)
    if shape[0] * shape[1] > MAX_PIXELS:
        raise _too_large(path, shape[0] * shape[1])
    data_bytes = os.fstat(handle.fileno()).st_size - handle.tell()
    if data_bytes != count * dtype.itemsize:
        state = "truncated" if data_bytes < count * dtype.itemsize else "has trailing bytes"
        raise SodbenchError(f"{path}: cannot read .npy map ({state}: {data_bytes} bytes of "
                            f"data for shape {shape} {dtype}); save it again with np.save")
    array = np.fromfile(handle, dtype=dtype, count=count)
    if array.size != count:
        raise SodbenchError(f"{path}: cannot read .npy map (file changed while read)")
    array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
    if dtype.kind == "b" and (array.view(np.uint8) > 1).any():
        raise SodbenchError(f"{path}: bool .npy map holds bytes other than 0 and 1; "
                            "the file is damaged")
    array = np.ascontiguousarray(array, dtype=dtype.newbyteorder("="))
    if array.ndim == 3 and (array.shape[2] == 1 or _channels_equal(array)):
        array = array[..., 0]
    if array.ndim != 2:
        raise SodbenchError(f"{path}: expected a 2-D numeric map, got shape {array.shape} "
                            f"dtype {array.dtype}")
    return array


@contextlib.contextmanager
def open_image(path: str | os.PathLike) -> Iterator[Image.Image]:
    """Open and decode an image file with the guards of :func:`read_map`; yield the image.

    For other readers of image files (input images of a model, say): the file must be a
    regular file (a FIFO is refused without blocking) of at most :data:`MAX_PIXELS` pixels,
    fully present (never filled in) and decodable, else :class:`SodbenchError` names it.
    Errors raised in the ``with`` block are the caller's and pass through unchanged.
    """
    path = Path(path)
    with open_input(path) as handle, _decode(handle, path) as image:
        yield image


def _decode(handle: BinaryIO, path: Path) -> Image.Image:
    # Pillow's plugins raise many exception types on damaged files (struct.error, IndexError,
    # TypeError, ZeroDivisionError, EOFError, SyntaxError, MemoryError, ...): all mean that
    # this file cannot be read. ImageFile.LOAD_TRUNCATED_IMAGES is left False, so a truncated
    # file is an error, never an image with its missing part filled in.
    try:
        with warnings.catch_warnings():
            # the size check below replaces Pillow's decompression-bomb warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(handle)
        try:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _too_large(path, width * height)
            image.load()
        except BaseException:
            image.close()
            raise
    except SodbenchError:
        raise
    except Image.DecompressionBombError as error:
        raise SodbenchError(f"{path}: map is too large to read ({error}); is the file "
                            "damaged?") from error
    except Exception as error:
        raise SodbenchError(f"{path}: cannot read image ({_reason(error)})") from error
    return image


def _load_image(handle: BinaryIO, path: Path) -> tuple[np.ndarray, str | None]:
    with _decode(handle, path) as image:
        try:
            return _image_to_array(image, path)
        except SodbenchError:
            raise
        except Exception as error:  # a mode Pillow cannot convert, from a damaged header
            raise SodbenchError(f"{path}: cannot read image ({_reason(error)})") from error


def _image_to_array(image: Image.Image, path: Path) -> tuple[np.ndarray, str | None]:
    mode = image.mode
    if mode == "1":
        return np.asarray(image.convert("L")), None
    if mode == "L":
        return np.asarray(image), None
    if mode == "I" or mode.startswith("I;16"):
        array = np.asarray(image)  # signed ("I", "I;16S") or big-endian ("I;16B") too
        if array.dtype != np.uint16 and (array.min() < 0 or array.max() > 65535):
            raise SodbenchError(f"{path}: integer map (mode {mode}) outside 0..65535; "
                                "save it as 8- or 16-bit")
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


#: Extensions of source images, the input of a model or a baseline (lower case).
IMAGE_SUFFIXES = (".bmp", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def read_image(path: str | os.PathLike) -> np.ndarray:
    """A source image as an array for a model: colour kept, 16 bits kept, nothing rescaled.

    Unlike :func:`read_map`, colour stays colour: ``(H, W)`` uint8 for grey (also 1-bit and
    grey with alpha), uint16 for 16-bit grey (or a 32-bit integer file whose values fit), and
    ``(H, W, 3)`` uint8 RGB for every other mode (palette, alpha and CMYK converted). A float
    image, or integers beyond 16 bits, is refused: 8 bits would clip or round it away. The
    file gets the guards of :func:`open_image`.
    """
    with open_image(path) as image:
        if image.mode.startswith("I;16") or image.mode == "I":
            pixels = np.asarray(image)
            if image.mode == "I" and (pixels.min() < 0 or pixels.max() > 65535):
                raise SodbenchError(f"{path}: a 32-bit integer image; give 8-bit or 16-bit "
                                    "images (PNG, TIFF, JPEG, BMP)")
            return pixels.astype(np.uint16)
        if image.mode == "F":
            raise SodbenchError(f"{path}: a 32-bit float image; give 8-bit or 16-bit images "
                                "(PNG, TIFF, JPEG, BMP)")
        if image.mode not in ("L", "RGB"):
            image = image.convert("L" if image.mode in ("1", "LA", "La") else "RGB")
        return np.asarray(image)


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """A dataset's source image as ``(H, W, 3)`` uint8 RGB, for the metrics that read it (CCM).

    Grey (also 1-bit) images get three equal channels, palette, CMYK and YCbCr images are
    converted to RGB, an alpha channel is dropped (Pillow's ``convert("RGB")``). 16-bit and
    float images are refused: their colours would have to be rescaled, a choice left to the
    user. The file gets the guards of :func:`open_image`.

    >>> Image.fromarray(np.full((2, 3), 7, np.uint8)).save("grey.png")
    >>> rgb = read_rgb("grey.png")
    >>> rgb.shape, rgb.dtype.name, rgb[0, 0].tolist()
    ((2, 3, 3), 'uint8', [7, 7, 7])
    """
    with open_image(path) as image:
        if image.mode in ("I", "F") or image.mode.startswith("I;16"):
            kind = "32-bit float" if image.mode == "F" else "16- or 32-bit integer"
            raise SodbenchError(f"{path}: a {kind} image; the RGB images must be 8-bit "
                                "(PNG, JPEG, BMP, TIFF)")
        try:
            return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
        except Exception as error:  # a mode Pillow cannot convert, from a damaged header
            raise SodbenchError(f"{path}: cannot read image ({_reason(error)})") from error
