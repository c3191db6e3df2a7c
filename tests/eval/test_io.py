"""read_map conversion rules and resize_to, on files written in every supported format."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sodbench.errors import SodbenchError
from sodbench.folders.images import load_map, read_map, resize_to
from sodbench.folders.inputs import read_text

RNG = np.random.default_rng(0)
GREY = RNG.integers(0, 256, (12, 17), dtype=np.uint8)


def test_grey_png_bmp_tiff_roundtrip(tmp_path):
    for ext in ("png", "bmp", "tif"):
        Image.fromarray(GREY).save(tmp_path / f"m.{ext}")
        out = read_map(tmp_path / f"m.{ext}")
        assert out.dtype == np.uint8 and np.array_equal(out, GREY)


def test_rgb_with_equal_channels_is_exact(tmp_path):
    Image.fromarray(GREY).convert("RGB").save(tmp_path / "m.png")
    out, note = load_map(tmp_path / "m.png")
    assert np.array_equal(out, GREY) and note is None


def test_rgb_with_unequal_channels_uses_itu601_luminance(tmp_path):
    rgb = RNG.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / "m.png")
    out, note = load_map(tmp_path / "m.png")
    expected = rgb.astype(float) @ np.array([0.299, 0.587, 0.114])
    assert out.dtype == np.uint8 and np.abs(out - expected).max() <= 0.51
    assert "luminance" in note


def test_rgba_ignores_alpha_and_palette_goes_through_rgb(tmp_path):
    rgba = np.dstack([GREY, GREY, GREY, RNG.integers(0, 256, GREY.shape, dtype=np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "a.png")
    out, note = load_map(tmp_path / "a.png")
    assert np.array_equal(out, GREY) and note == "alpha ignored"
    Image.fromarray(GREY).convert("P").save(tmp_path / "p.png")
    palette = read_map(tmp_path / "p.png")
    assert np.array_equal(palette, np.asarray(Image.open(tmp_path / "p.png").convert("L")))


def test_sixteen_bit_png_and_tiff_keep_uint16(tmp_path):
    deep = RNG.integers(0, 65536, (8, 8), dtype=np.uint16)
    for ext in ("png", "tif"):
        Image.fromarray(deep).save(tmp_path / f"d.{ext}")
        out = read_map(tmp_path / f"d.{ext}")
        assert out.dtype == np.uint16 and np.array_equal(out, deep)


def test_one_bit_becomes_0_255(tmp_path):
    mask = RNG.random((10, 10)) > 0.5
    Image.fromarray(mask).save(tmp_path / "b.png")
    out = read_map(tmp_path / "b.png")
    assert out.dtype == np.uint8 and np.array_equal(out, mask.astype(np.uint8) * 255)


def test_float_maps_npy_and_tiff(tmp_path):
    values = RNG.random((6, 5)).astype(np.float32)
    np.save(tmp_path / "f.npy", values)
    Image.fromarray(values).save(tmp_path / "f.tif")
    assert np.array_equal(read_map(tmp_path / "f.npy"), values)
    assert np.array_equal(read_map(tmp_path / "f.tif"), values)
    np.save(tmp_path / "c.npy", values[..., None])
    assert read_map(tmp_path / "c.npy").shape == (6, 5)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_names_the_file(tmp_path, bad):
    values = RNG.random((6, 5))
    values[2, 3] = bad
    np.save(tmp_path / "f.npy", values)
    Image.fromarray(values.astype(np.float32)).save(tmp_path / "f.tif")
    for name in ("f.npy", "f.tif"):
        with pytest.raises(SodbenchError, match=rf"{name}: map holds NaN or inf"):
            read_map(tmp_path / name)


def test_corrupt_and_wrong_shape(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(SodbenchError, match=r"x.png: cannot read image"):
        read_map(tmp_path / "x.png")
    (tmp_path / "t.jpg").write_bytes(b"not an image")  # the same words in every run
    with pytest.raises(SodbenchError, match=r"t.jpg: cannot read image \(UnidentifiedImageError: "
                       r"not an image format Pillow can read\)$"):
        read_map(tmp_path / "t.jpg")
    np.save(tmp_path / "v.npy", np.zeros(5))
    with pytest.raises(SodbenchError, match=r"v.npy: expected a 2-D numeric map"):
        read_map(tmp_path / "v.npy")


def test_resize_matches_pillow_bilinear_and_keeps_dtype():
    small = RNG.integers(0, 256, (10, 20), dtype=np.uint8)
    out = resize_to(small, (30, 40))
    reference = np.asarray(Image.fromarray(small.astype(np.float32)).resize(
        (40, 30), Image.Resampling.BILINEAR))
    assert out.dtype == np.uint8 and out.shape == (30, 40)
    assert np.array_equal(out, np.clip(np.rint(reference), 0, 255).astype(np.uint8))
    constant = np.full((7, 9), 200, np.uint16)
    assert np.array_equal(resize_to(constant, (14, 3)), np.full((14, 3), 200, np.uint16))
    assert resize_to(np.ones((4, 4), bool), (8, 8)).dtype == np.float64


def test_read_text_of_config_and_csv_inputs(tmp_path):
    """The one reader of text inputs (config, --subsets CSV, per-image CSV): a BOM as Windows
    editors write it is dropped; a file that is not UTF-8, a folder or a missing file is one
    line starting with what the caller names."""
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfname,subset\n")
    assert read_text(tmp_path / "bom.csv", "x") == "name,subset\n"
    (tmp_path / "latin.csv").write_bytes(b"name,subset\nIn_1,d\xe9faut\n")
    for path, message in ((tmp_path / "latin.csv", "--subsets latin.csv: not UTF-8 text (byte "
                           "18: invalid continuation byte)"),
                          (tmp_path, "--subsets latin.csv: is a folder"),
                          (tmp_path / "no.csv", "--subsets latin.csv: no such file")):
        with pytest.raises(SodbenchError) as error:
            read_text(path, "--subsets latin.csv")
        assert str(error.value).startswith(message), str(error.value)
