"""Catalogue: outputs of `sodbench predict` and `sodbench train` that would land on the inputs
or could not be written.

Reported: `predict --out` equal to (or inside) `--images` wrote maps among the source images
(a `.png` source was replaced by its own map); an unwritable `--out` failed only after the
weights loaded and the model ran; maps, checkpoints and `history.json` were written in place
(an interrupted run left a half-written file).
"""

from __future__ import annotations

import os

import pytest
from trust_helpers import digests

torch = pytest.importorskip("torch")


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if the weights load or the model runs: refusals come first."""
    import minet_ref
    from minet_ref import predict

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded or run before the outputs were checked")
    monkeypatch.setattr(minet_ref, "load_weights_file", refuse)
    monkeypatch.setattr(predict, "predict_arrays", refuse)


def _predict(sample, out, *extra):
    return ("predict", "--weights", "demo", "--images", sample / "Img", "--out", out, *extra)


def test_out_equal_to_images_is_refused_and_images_untouched(cli, sample, no_model):
    images = sample / "Img"
    before = digests(images)
    run = cli(*_predict(sample, images))
    assert run.code == 2
    assert run.error_line() == (f"error: --out {images}: is --images {images}, an input folder; "
                                "choose another folder")
    assert digests(images) == before


def test_out_inside_images_is_refused_and_not_created(cli, sample, no_model):
    images = sample / "Img"
    before = digests(images)
    run = cli(*_predict(sample, images / "maps"))
    assert run.code == 2
    assert run.error_line() == (f"error: --out {images / 'maps'} lies inside --images {images}; "
                                "write the maps to a folder outside the image folder")
    assert digests(images) == before and not (images / "maps").exists()


def test_out_linked_to_images_is_refused(cli, sample, tmp_path, no_model):
    images = sample / "Img"
    link = tmp_path / "link"
    link.symlink_to(images, target_is_directory=True)
    before = digests(images)
    run = cli(*_predict(sample, link))
    assert run.code == 2
    assert run.error_line() == (f"error: --out {link}: is --images {images}, an input folder; "
                                "choose another folder")
    assert digests(images) == before


def test_out_under_a_file_is_refused_before_the_model(cli, sample, tmp_path, no_model):
    (tmp_path / "notes.txt").write_text("keep")
    run = cli(*_predict(sample, tmp_path / "notes.txt" / "maps"))
    assert run.code == 2
    assert run.error_line() == (f"error: --out {tmp_path / 'notes.txt' / 'maps'}: "
                                f"{tmp_path / 'notes.txt'} is a file, not a folder; choose "
                                "another path")
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_out_that_is_a_file_is_one_line(cli, sample, tmp_path, no_model):
    (tmp_path / "maps").write_text("keep")
    run = cli(*_predict(sample, tmp_path / "maps"))
    assert run.code == 2
    assert run.error_line() == (f"error: --out {tmp_path / 'maps'}: {tmp_path / 'maps'} is a "
                                "file, not a folder; choose a folder")
    assert (tmp_path / "maps").read_text() == "keep"


def test_unwritable_out_is_refused_before_the_model(cli_read_only, sample, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    run = cli_read_only(_predict(sample, locked / "maps"), read_only=[locked])
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: --out {locked / 'maps'}: cannot write in {locked} (")
    assert "note: weights" not in run.err  # refused before the weights were even read
    assert list(locked.iterdir()) == []


def test_maps_are_written_atomically(cli, sample, tmp_path):
    before = digests(sample / "Img")
    out = tmp_path / "maps"
    run = cli(*_predict(sample, out, "--threads", "1"))
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{p.stem}.png" for p in (sample / "Img").iterdir())
    assert digests(sample / "Img") == before


def test_failed_map_write_leaves_no_partial_file(sample, tmp_path, monkeypatch):
    from PIL import Image

    from minet_ref import MINet
    from minet_ref.predict import predict_folder

    def broken_save(self, fp, *args, **kwargs):
        fp.write(b"\x89PNG half")
        raise OSError("disk full")
    monkeypatch.setattr(Image.Image, "save", broken_save)
    out = tmp_path / "maps"
    with pytest.raises(OSError, match="disk full"):
        predict_folder(MINet().eval(), sample / "Img", out, progress=False, size=32)
    assert list(out.iterdir()) == []


def test_train_out_in_a_data_folder_is_refused_before_training(cli, sample, monkeypatch):
    from minet_ref import train

    def refuse(*args, **kwargs):
        raise AssertionError("training data were loaded before the outputs were checked")
    monkeypatch.setattr(train, "load_pairs", refuse)
    before = digests(sample)
    run = cli("train", "--data", sample, "--out", sample / "GT", "--epochs", "1")
    assert run.code == 2
    assert run.error_line() == (f"error: --out {sample / 'GT'}: is --data {sample / 'GT'}, an "
                                "input folder; choose another folder")
    run = cli("train", "--data", sample, "--out", sample, "--epochs", "1")
    assert run.code == 2
    assert run.error_line() == (f"error: --out {sample}: is --data {sample}, an input folder; "
                                "choose another folder")
    assert digests(sample) == before


@pytest.mark.parametrize("module, reader", [("sodbench.folders.images", "read_image"),
                                            ("sodbench.demo.baselines", "read_rgb8")])
def test_model_input_readers_share_the_map_readers_guards(tmp_path, module, reader):
    """The images a model (read_image) or a baseline (read_rgb8) reads get the guards of the
    map reader: a FIFO is refused without waiting for a writer, a damaged file is one line
    naming it."""
    import importlib

    from sodbench.errors import SodbenchError

    read_image = getattr(importlib.import_module(module), reader)
    fifo = tmp_path / "In_1.png"
    os.mkfifo(fifo)
    with pytest.raises(SodbenchError, match=r"In_1.png: cannot read \(is a FIFO"):
        read_image(fifo)
    (tmp_path / "broken.bmp").write_bytes(b"BM" + bytes(40))
    with pytest.raises(SodbenchError, match=r"broken.bmp: cannot read image \("):
        read_image(tmp_path / "broken.bmp")
