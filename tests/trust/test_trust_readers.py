"""Catalogue: map files and folders that cannot be read.

Reported: a symlink loop in a prediction or GT folder, or a GT folder that is itself a
looping link, gave ``OSError``/``RuntimeError`` tracebacks; a zero-byte ``.npy`` prediction
was reported as "interrupted" (exit 130). Also covered: a FIFO, a folder or a file without
read permission named like a map, an unreadable GT under ``--on-missing skip``, damaged
``.npy`` files and oversized headers, and configs naming such paths.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import click
import numpy as np
import pytest
from PIL import Image, ImageFile
from trust_helpers import digests

from sodbench.errors import SodbenchError
from sodbench.folders import images as sodbench_io
from sodbench.folders.images import load_map, read_map


def _eval(cli, sample, *extra, gt=None, preds=("GoodNet",)):
    args = ["eval", "--gt", gt or sample / "GT", "--jobs", "1", "--no-cache", "--quiet"]
    for method in preds:
        args += ["--pred", f"{method}={sample / 'pred' / method}"]
    return cli(*args, *extra)


def _loop(path):
    """Make ``path`` a link to itself (a one-link loop)."""
    path.unlink(missing_ok=True)
    path.symlink_to(path.name)
    return path


def _entries(path):
    return {entry["method"]: entry for entry in json.loads(path.read_text())["entries"]}


def test_symlink_loop_in_prediction_folder_is_an_unreadable_map(cli, sample, tmp_path):
    link = _loop(sample / "pred" / "GoodNet" / "In_2.png")
    before = digests(sample)
    run = _eval(cli, sample)
    assert run.code == 2
    line = run.error_line()
    assert f"{link}: cannot read (symlink loop; fix or remove the link)" in line
    assert line.endswith("use --on-missing skip to leave it out")

    run = _eval(cli, sample, "--on-missing", "skip", "--json", tmp_path / "r.json")
    assert run.code == 0, run.err
    counts = _entries(tmp_path / "r.json")["GoodNet"]["counts"]
    assert (counts["n_unreadable"], counts["n_evaluated"], counts["coverage"]) == (1, 8, 8 / 9)
    assert "1 unreadable predictions were skipped: In_2.png" in run.err
    assert digests(sample) == before and link.is_symlink()


def test_symlink_loop_in_gt_folder_stops_or_is_skipped_for_every_method(cli, sample, tmp_path):
    link = _loop(sample / "GT" / "Pa_1.png")
    run = _eval(cli, sample, preds=("GoodNet", "WeakNet"))
    assert run.code == 2
    line = run.error_line()
    assert f"GT {link}: cannot read (symlink loop" in line
    assert "--on-missing skip to leave it out for every method" in line

    run = _eval(cli, sample, "--on-missing", "skip", "--json", tmp_path / "r.json",
                "--per-image", tmp_path / "p.csv", preds=("GoodNet", "WeakNet"))
    assert run.code == 0, run.err
    entries = _entries(tmp_path / "r.json")
    assert set(entries) == {"GoodNet", "WeakNet"}
    for entry in entries.values():
        assert entry["counts"]["n_unreadable"] == 1 and entry["counts"]["n_evaluated"] == 8
        assert entry["counts"]["coverage"] == 8 / 9
        assert "1 unreadable GT maps were skipped (for every method): Pa_1.png" in entry["notes"]
    rows = (tmp_path / "p.csv").read_text().splitlines()[1:]
    assert len(rows) == 16 and not any(",Pa_1," in row for row in rows)


def test_corrupt_gt_under_skip_is_left_out_and_counted_with_a_bad_prediction(cli, sample,
                                                                             tmp_path):
    (sample / "GT" / "In_3.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (sample / "pred" / "GoodNet" / "Sc_2.png").write_bytes(b"")
    run = _eval(cli, sample)
    assert run.code == 2
    assert "GT/In_3.png: cannot read image" in run.error_line()
    run = _eval(cli, sample, "--on-missing", "skip", "--json", tmp_path / "r.json",
                "--per-image", tmp_path / "p.csv")
    assert run.code == 0, run.err
    counts = _entries(tmp_path / "r.json")["GoodNet"]["counts"]
    assert (counts["n_unreadable"], counts["n_evaluated"], counts["n_gt"]) == (2, 7, 9)
    rows = (tmp_path / "p.csv").read_text().splitlines()
    assert len(rows) == 1 + 7 and not any(",In_3," in row or ",Sc_2," in row for row in rows)


@pytest.mark.parametrize("option", ["--gt", "--pred"])
def test_folder_argument_that_is_a_looping_or_broken_link(cli, sample, tmp_path, option):
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    broken = tmp_path / "broken"
    broken.symlink_to(tmp_path / "gone")
    for folder, problem in ((loop, "symlink loop; fix or remove the link"),
                            (broken, f"broken link to {tmp_path / 'gone'}; fix or remove "
                                     "the link")):
        if option == "--gt":
            run = cli("eval", "--gt", folder, "--pred", f"G={sample / 'pred' / 'GoodNet'}",
                      "--no-cache", "--quiet")
            expected = f"error: the GT folder {folder}: {problem}"
        else:
            run = cli("eval", "--gt", sample / "GT", "--pred", f"G={folder}", "--no-cache",
                      "--quiet")
            expected = f"error: the prediction folder of G ({folder}): {problem}"
        assert run.code == 2
        assert run.error_line() == expected


def test_zero_byte_npy_prediction_is_a_corrupt_file_not_an_interrupt(cli, sample, tmp_path):
    folder = sample / "pred" / "GoodNet"
    (folder / "In_1.png").unlink()
    (folder / "In_1.npy").write_bytes(b"")
    run = _eval(cli, sample)
    assert run.code == 2
    line = run.error_line()
    assert f"{folder / 'In_1.npy'}: cannot read .npy map (ValueError: EOF" in line
    assert "interrupted" not in run.err and line.endswith("--on-missing skip to leave it out")


@pytest.mark.parametrize("cause, code, text", [
    (KeyboardInterrupt(), 130, "error: interrupted; finished work was kept (re-run to resume)"),
    (EOFError("stdin closed"), 1, "error: unexpected end of input (EOFError: stdin closed)"),
])
def test_only_a_real_ctrl_c_is_reported_as_an_interrupt(cli, sample, monkeypatch, cause, code,
                                                        text):
    def raise_cause(*args, **kwargs):
        raise cause
    monkeypatch.setattr("sodbench.folders.evaluation.run", raise_cause)
    run = _eval(cli, sample)
    assert run.code == code
    assert run.error_line().startswith(text)


def test_an_abort_without_a_cause_is_not_an_interrupt(cli, sample, monkeypatch):
    def abort(*args, **kwargs):
        raise click.exceptions.Abort()
    monkeypatch.setattr("sodbench.folders.evaluation.run", abort)
    run = _eval(cli, sample)
    assert (run.code, run.error_line()) == (1, "error: aborted")


def test_fifo_named_like_a_map_is_refused_without_waiting(sample):
    # a child process, so that a regression hangs the child (and fails here), not pytest
    fifo = sample / "pred" / "GoodNet" / "In_3.png"
    fifo.unlink()
    os.mkfifo(fifo)
    done = subprocess.run(
        [sys.executable, "-c", "from sodbench.cli import run; run()", "eval", "--gt",
         str(sample / "GT"), "--pred", f"G={sample / 'pred' / 'GoodNet'}", "--jobs", "1",
         "--no-cache", "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (f"error: {fifo}: cannot read (is a FIFO (named pipe), not a "
                                   "regular file); use --on-missing skip to leave it out")


def test_folder_named_like_a_map_is_an_unreadable_map_not_a_missing_one(cli, sample):
    folder = sample / "pred" / "GoodNet" / "Pa_2.png"
    folder.unlink()
    folder.mkdir()
    run = _eval(cli, sample)
    assert run.code == 2
    assert run.error_line() == (f"error: {folder}: cannot read (is a folder, not a regular "
                                "file); use --on-missing skip to leave it out")


def test_map_without_read_permission(cli, sample, monkeypatch):
    # root reads every file whatever its mode, so the refusal comes from a patched os.open
    denied = sample / "pred" / "GoodNet" / "Sc_3.png"
    real_open = os.open

    def open_(path, flags, *args, **kwargs):
        if os.fspath(path) == os.fspath(denied):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", open_)
    with pytest.raises(SodbenchError, match=r"Sc_3.png: cannot read \(permission denied; give "
                                            r"read access or copy the data elsewhere\)$"):
        read_map(denied)
    run = _eval(cli, sample, "--on-missing", "skip")
    assert run.code == 0 and "1 unreadable predictions were skipped: Sc_3.png" in run.err


def test_folder_that_cannot_be_listed(cli, sample, monkeypatch):
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path) == os.fspath(sample / "GT"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_scandir(path)
    monkeypatch.setattr(os, "scandir", scandir)
    run = _eval(cli, sample)
    assert run.code == 2
    assert run.error_line() == (f"error: the GT folder {sample / 'GT'}: cannot list the folder "
                                "(Permission denied)")


def test_read_map_refuses_what_is_not_a_regular_file(tmp_path):
    (tmp_path / "dir.png").mkdir()
    os.mkfifo(tmp_path / "fifo.npy")
    _loop(tmp_path / "loop.png")
    (tmp_path / "broken.png").symlink_to(tmp_path / "gone.png")
    cases = {
        "dir.png": "is a folder, not a regular file",
        "fifo.npy": "is a FIFO (named pipe), not a regular file",
        "loop.png": "symlink loop; fix or remove the link",
        "broken.png": f"broken link to {tmp_path / 'gone.png'}; fix or remove the link",
        "missing.png": "no such file",
    }
    for name, problem in cases.items():
        with pytest.raises(SodbenchError) as caught:
            read_map(tmp_path / name)
        assert str(caught.value) == f"{tmp_path / name}: cannot read ({problem})"


def _npy_bytes(array) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_damaged_npy_files_give_one_line_naming_the_file(tmp_path):
    valid = _npy_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))
    bad_bool = bytearray(_npy_bytes(np.ones((3, 4), bool)))
    bad_bool[-1] = 7
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }"
    huge = b"\x93NUMPY\x01\x00" + len(header + b"\n").to_bytes(2, "little") + header + b"\n"
    cases = {
        "empty.npy": (b"", "cannot read .npy map (ValueError: EOF: reading magic string"),
        "half.npy": (valid[:-5], "cannot read .npy map (truncated: 7 bytes of data for shape "
                                 "(3, 4) uint8); save it again with np.save"),
        "long.npy": (valid + b"\0", "cannot read .npy map (has trailing bytes: 13 bytes"),
        "header.npy": (valid[:20], "cannot read .npy map ("),
        "text.npy": (b"not an array at all", "cannot read .npy map (ValueError: the magic "
                                              "string is not correct"),
        "bool.npy": (bytes(bad_bool), "bool .npy map holds bytes other than 0 and 1"),
        "huge.npy": (huge + b"\0" * 16, "map has 10,000,000,000 pixels, more than the "
                                        "89,478,485 sodbench reads"),
        "empty_shape.npy": (_npy_bytes(np.zeros((0, 4))), "map has no pixels (shape (0, 4))"),
        "complex.npy": (_npy_bytes(np.ones((2, 2), complex)), "expected a 2-D numeric map"),
    }
    for name, (data, message) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SodbenchError) as caught:
            read_map(tmp_path / name)
        assert str(caught.value).startswith(f"{tmp_path / name}: {message}"), caught.value
        assert "\n" not in str(caught.value)


def test_npy_byte_order_and_fortran_order_are_read_exactly(tmp_path):
    values = np.arange(12, dtype=">f4").reshape(3, 4) / 11
    np.save(tmp_path / "big.npy", values)
    np.save(tmp_path / "fortran.npy", np.asfortranarray(values.astype(np.float64)))
    assert np.array_equal(read_map(tmp_path / "big.npy"), values)
    assert read_map(tmp_path / "big.npy").dtype == np.float32
    assert np.array_equal(read_map(tmp_path / "fortran.npy"), values.astype(np.float64))


def test_image_above_the_pixel_limit_is_refused_before_decoding(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(sodbench_io, "MAX_PIXELS", 1999)
    with pytest.raises(SodbenchError, match=r"big.png: map has 2,000 pixels, more than the "
                                            r"1,999 sodbench reads"):
        read_map(tmp_path / "big.png")
    monkeypatch.setattr(sodbench_io, "MAX_PIXELS", 2000)
    assert read_map(tmp_path / "big.png").shape == (40, 50)


def test_pillow_decompression_bomb_error_is_one_line(tmp_path, monkeypatch):
    Image.fromarray(np.zeros((40, 50), np.uint8)).save(tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)
    with pytest.raises(SodbenchError, match=r"bomb.png: map is too large to read"):
        read_map(tmp_path / "bomb.png")


def test_truncated_images_are_never_filled_in(tmp_path):
    grey = np.arange(48 * 40, dtype=np.uint32).reshape(48, 40).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "m.png")
    data = (tmp_path / "m.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(SodbenchError, match=r"t.png: cannot read image \(OSError: image file "
                                            r"is truncated"):
        read_map(tmp_path / "t.png")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_signed_16_bit_values_are_not_wrapped(tmp_path):
    Image.fromarray(np.array([[-5, 3], [100, 2]], np.int16)).save(tmp_path / "s.tif")
    with pytest.raises(SodbenchError, match=r"s.tif: integer map \(mode I\) outside 0..65535"):
        load_map(tmp_path / "s.tif")


def test_config_naming_unreadable_paths(cli, sample, tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    config = tmp_path / "bench.toml"
    config.write_text(f'[[dataset]]\nname = "S"\nlayout = "generic"\nroot = "{loop}"\n'
                      f'[dataset.pred]\nG = "{sample / "pred" / "GoodNet"}"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line() == (f"error: {config}: [[dataset]] 1 ('S'): key 'root': {loop}: "
                                "symlink loop; fix or remove the link")

    config.write_text(f'[[dataset]]\nname = "S"\ngt = "{loop}"\n'
                      f'[dataset.pred]\nG = "{sample / "pred" / "GoodNet"}"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2 and run.error_line() == (
        f"error: the GT folder {loop}: symlink loop; fix or remove the link")

    # a looping method link under pred/ is reported, not silently dropped
    _loop(sample / "pred" / "LoopNet")
    config.write_text(f'[[dataset]]\nname = "S"\nlayout = "sd-saliency-900"\nroot = "{sample}"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert "LoopNet" in run.error_line() and "symlink loop" in run.error_line()

    looping_config = _loop(tmp_path / "looping.toml")
    run = cli("eval", "--config", looping_config, "--no-cache", "--quiet")
    assert run.error_line() == (f"error: the config file {looping_config}: symlink loop; fix "
                                "or remove the link")
    os.mkfifo(tmp_path / "fifo.toml")
    run = cli("eval", "--config", tmp_path / "fifo.toml", "--no-cache", "--quiet")
    assert run.error_line() == (f"error: the config file {tmp_path / 'fifo.toml'}: is a FIFO "
                                "(named pipe), not a regular file")


def test_method_name_with_a_line_break_is_refused_in_one_line(cli, sample):
    run = cli("eval", "--gt", sample / "GT", "--pred", f"Good\nNet={sample / 'GT'}",
              "--no-cache", "--quiet")
    assert run.code == 2
    assert len(run.err.splitlines()) == 1
    assert "the method name 'Good\\nNet' holds a control character; rename it" in run.err


def test_error_message_with_a_line_break_in_a_path_stays_one_line(cli, tmp_path):
    folder = tmp_path / "two\nlines"
    run = cli("eval", "--gt", folder, "--pred", f"G={folder}", "--no-cache", "--quiet")
    assert run.code == 2
    assert run.err.splitlines() == [f"error: the GT folder {tmp_path}/two\\nlines: no such folder"]


def test_open_image_shares_the_guards_and_passes_the_callers_errors(tmp_path):
    from sodbench.folders.images import open_image

    Image.fromarray(np.full((5, 6, 3), 9, np.uint8)).save(tmp_path / "ok.png")
    with open_image(tmp_path / "ok.png") as image:
        assert image.size == (6, 5) and np.asarray(image).max() == 9
    with pytest.raises(KeyError), open_image(tmp_path / "ok.png"):
        raise KeyError("the caller's own error")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    with pytest.raises(SodbenchError, match=r"bad.jpg: cannot read image \("):
        with open_image(tmp_path / "bad.jpg"):
            pass
    os.mkfifo(tmp_path / "fifo.png")
    with pytest.raises(SodbenchError, match=r"fifo.png: cannot read \(is a FIFO"):
        with open_image(tmp_path / "fifo.png"):
            pass
