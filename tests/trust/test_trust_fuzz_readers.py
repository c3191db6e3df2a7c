"""Fuzzing the map reader (hypothesis): random bytes, truncations and byte flips of valid
PNG, JPEG, BMP, TIFF and NPY files.

Whatever the bytes, ``load_map`` returns a 2-D array of an accepted dtype (finite when float)
or raises a one-line :class:`SodbenchError` naming the file; nothing else. A truncated file
that still reads must give exactly the array of the intact file: Pillow fills in missing
data only with ``ImageFile.LOAD_TRUNCATED_IMAGES``, which sodbench never sets, and the
``.npy`` reader compares the header with the file size. Byte flips are not held to that:
formats without checksums (BMP, raw TIFF strips, ``.npy`` data) store a flipped pixel as a
different pixel, which no reader can tell from the intended one.

The example counts are bounded and derandomized (the same examples every run); the module
runs in about 20 s on a 2-core machine.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFile

from sodbench.errors import SodbenchError
from sodbench.folders.images import load_map

RNG = np.random.default_rng(7)
GREY = RNG.integers(0, 256, (21, 17), dtype=np.uint8)
RGB = RNG.integers(0, 256, (21, 17, 3), dtype=np.uint8)
DEEP = RNG.integers(0, 65536, (21, 17), dtype=np.uint16)
FLOAT = RNG.random((21, 17), dtype=np.float32)
ACCEPTED_KINDS = "biuf"


def _image(array, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image = array if isinstance(array, Image.Image) else Image.fromarray(array)
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


#: name -> (bytes of a valid file, the array it holds when that is known exactly)
VALID = {
    "grey.png": (_image(GREY, "PNG"), GREY),
    "rgb_equal.png": (_image(np.dstack([GREY] * 3), "PNG"), GREY),
    "rgb.png": (_image(RGB, "PNG"), None),
    "deep.png": (_image(DEEP, "PNG"), DEEP),
    "palette.png": (_image(Image.fromarray(GREY).convert("P"), "PNG"), None),
    "grey.jpg": (_image(GREY, "JPEG", quality=90), None),
    "rgb.jpg": (_image(RGB, "JPEG", quality=90), None),
    "grey.bmp": (_image(GREY, "BMP"), GREY),
    "rgb.bmp": (_image(RGB, "BMP"), None),
    "grey.tif": (_image(GREY, "TIFF"), GREY),
    "lzw.tif": (_image(GREY, "TIFF", compression="tiff_lzw"), GREY),
    "deep.tif": (_image(DEEP, "TIFF"), DEEP),
    "float.tif": (_image(FLOAT, "TIFF"), FLOAT),
    "uint8.npy": (_npy(GREY), GREY),
    "uint16.npy": (_npy(DEEP), DEEP),
    "float32.npy": (_npy(FLOAT), FLOAT),
    "float64.npy": (_npy(FLOAT.astype(np.float64)), FLOAT.astype(np.float64)),
    "bool.npy": (_npy(GREY > 127), GREY > 127),
    "bigendian.npy": (_npy(FLOAT.astype(">f4")), FLOAT),
    "fortran.npy": (_npy(np.asfortranarray(GREY)), GREY),
    "channel.npy": (_npy(GREY[..., None]), GREY),
}
NAMES = sorted(VALID)
FUZZ = settings(max_examples=500, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
# Pillow warns about the damaged metadata it skips ("Corrupt EXIF data", "Tag data larger
# than file"); the outcome, an array or a SodbenchError, is what these tests check
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _intact(name: str) -> np.ndarray:
    """What the reader gives for the intact file (checked against the source array)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(VALID[name][0])
        array, _ = load_map(path)
    if VALID[name][1] is not None:
        assert array.dtype == VALID[name][1].dtype or name == "bigendian.npy"
        assert np.array_equal(array, VALID[name][1]), name
    return array


INTACT = {name: _intact(name) for name in NAMES}


def _read(name: str, data: bytes):
    """load_map on ``data`` saved as ``name``: the array, or None after a SodbenchError."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            array, _ = load_map(path)
        except SodbenchError as error:
            message = str(error)
            assert message.startswith(f"{path}: "), message
            assert "\n" not in message and "\r" not in message, message
            return None
    assert isinstance(array, np.ndarray) and array.ndim == 2 and array.size > 0
    assert array.dtype.kind in ACCEPTED_KINDS, array.dtype
    if array.dtype.kind == "f":
        assert np.isfinite(array).all()
    return array


def test_valid_files_read_exactly():
    for name in NAMES:
        assert INTACT[name].ndim == 2
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_truncated_file_is_an_error_or_the_intact_array(name, data):
    valid = VALID[name][0]
    cut = data.draw(st.integers(0, len(valid) - 1), label="cut")
    array = _read(name, valid[:cut])
    if array is not None:
        # only trailing bytes that hold no pixel may go (a PNG's IEND chunk, say)
        assert array.dtype == INTACT[name].dtype
        assert np.array_equal(array, INTACT[name]), (name, cut, len(valid))


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_flipped_bytes_give_an_array_or_a_one_line_error(name, data):
    damaged = bytearray(VALID[name][0])
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(damaged) - 1),
                                         st.integers(1, 255)), min_size=1, max_size=6),
                      label="flips")
    for position, mask in flips:
        damaged[position] ^= mask
    if data.draw(st.booleans(), label="also truncate"):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)), label="cut")]
    _read(name, bytes(damaged))


@FUZZ
@given(extension=st.sampled_from([".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".npy"]),
       prefix=st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM",
                               b"II*\x00", b"MM\x00*", b"\x93NUMPY\x01\x00", b"PK\x03\x04"]),
       body=st.binary(max_size=600))
def test_random_bytes_give_an_array_or_a_one_line_error(extension, prefix, body):
    _read("random" + extension, prefix + body)


@pytest.mark.parametrize("name", NAMES)
def test_every_prefix_of_a_small_file_is_an_error_or_the_intact_array(name):
    """Exhaustive over the cut points of the header region, where decoders branch most."""
    valid = VALID[name][0]
    for cut in range(0, min(len(valid), 160)):
        array = _read(name, valid[:cut])
        if array is not None:
            assert np.array_equal(array, INTACT[name]), (name, cut)
