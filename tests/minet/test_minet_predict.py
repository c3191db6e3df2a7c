"""The authors' test pipeline (minet_ref.predict) and ``sodbench predict``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from minet_naive import NaiveMINet
from PIL import Image
from skimage.transform import resize

from minet_ref import MINet, checkpoint_filter_fn
from minet_ref.predict import plan_maps, postprocess, predict_arrays, predict_folder, preprocess
from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.folders.images import read_image


def authors_input(image: np.ndarray) -> torch.Tensor:
    """Their Rescale(368) + ToTensor(flag=0), on an H x W x 1 or H x W x 3 array."""
    image = image[:, :, None] if image.ndim == 2 else image
    img = resize(image, (368, 368), mode="constant")
    img = img / np.max(img)
    out = np.zeros((368, 368, 3))
    for channel in range(3):
        out[:, :, channel] = (img[:, :, min(channel, img.shape[2] - 1)] - 0.4669) / 0.2437
    return torch.from_numpy(out.transpose(2, 0, 1)).type(torch.FloatTensor)


def authors_output(pred: torch.Tensor, height: int, width: int) -> np.ndarray:
    """Their normPRED + save_output (PIL float -> RGB -> bilinear), one channel of the PNG."""
    pred = (pred - torch.min(pred)) / (torch.max(pred) - torch.min(pred))
    image = Image.fromarray(pred.numpy() * 255).convert("RGB")
    return np.asarray(image.resize((width, height), resample=Image.BILINEAR))[:, :, 0]


@pytest.mark.parametrize("shape", [(200, 200), (123, 77), (64, 90, 3)])
def test_preprocess_matches_authors(shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 200, size=shape, dtype=np.uint8)
    expected = authors_input(image).numpy()
    got = preprocess(image)
    assert got.dtype == np.float32 and got.shape == (3, 368, 368)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("source", [(200, 200), (97, 131), (500, 410)])
def test_postprocess_matches_authors(source):
    rng = np.random.default_rng(source[0])
    for scale in (1.0, 1e-3):
        pred = torch.from_numpy((rng.random((368, 368)) * scale).astype(np.float32))
        got = postprocess(pred.numpy(), source)
        assert got.dtype == np.uint8 and got.shape == source
        np.testing.assert_array_equal(got, authors_output(pred, *source))


def test_postprocess_truncates_and_handles_constant_maps():
    pred = np.array([[0.0, 1.0], [0.5, 0.9999]], dtype=np.float32)
    np.testing.assert_array_equal(postprocess(pred, (2, 2)), [[0, 255], [127, 254]])
    np.testing.assert_array_equal(postprocess(np.full((4, 4), 0.3, np.float32), (2, 2)), 0)


def _write_images(folder, sizes):
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index, size in enumerate(sizes):
        pixels = rng.integers(0, 256, size=size, dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"Im_{index}.{'bmp' if index % 2 else 'png'}")


def test_predict_folder_writes_grey_maps_at_source_size(tmp_path):
    sizes = [(200, 200), (97, 131), (60, 80, 3)]
    _write_images(tmp_path / "img", sizes)
    torch.manual_seed(0)
    model = MINet().eval()
    written = predict_folder(model, tmp_path / "img", tmp_path / "out", batch=2, fold=False,
                             progress=False)
    assert [p.name for p in written] == ["Im_0.png", "Im_1.png", "Im_2.png"]
    folded = predict_folder(model, tmp_path / "img", tmp_path / "folded", batch=3,
                            progress=False)
    sources = sorted((tmp_path / "img").iterdir())
    for path, fast, source, size in zip(written, folded, sources, sizes, strict=True):
        with Image.open(path) as image:
            assert image.mode == "L" and image.size == (size[1], size[0])
        with torch.inference_mode():
            x = torch.from_numpy(preprocess(read_image(source)))[None]
            expected = postprocess(model(x)[0][0, 0].numpy(), size)
        np.testing.assert_array_equal(read_image(path), expected)
        assert np.abs(read_image(fast).astype(int) - expected).max() <= 1


def test_official_pipeline_matches_authors_end_to_end(official_minet_path, sd900):
    state = torch.load(official_minet_path, map_location="cpu", weights_only=True)
    naive = NaiveMINet().eval()
    naive.load_state_dict(state)
    model = MINet().eval()
    model.load_state_dict(checkpoint_filter_fn(state))
    names = ["In_1", "Pa_150", "Sc_300"]
    images = [read_image(sd900 / "Img" / f"{name}.bmp") for name in names]
    with torch.inference_mode():
        expected = naive(torch.stack([authors_input(image) for image in images]))[0]
    got = predict_arrays(model, images)
    for image, ours, theirs in zip(images, got, expected[:, 0], strict=True):
        reference = authors_output(theirs, *image.shape)
        differing = ours != reference
        assert np.abs(ours.astype(int) - reference).max() <= 1
        assert differing.mean() < 1e-3


def test_predict_errors(tmp_path):
    with pytest.raises(SodbenchError, match="does not exist"):
        predict_folder(MINet(), tmp_path / "missing", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SodbenchError, match="has no images"):
        predict_folder(MINet(), tmp_path / "empty", tmp_path / "out")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(SodbenchError, match=r"broken.png: cannot read image \("):
        predict_folder(MINet(), tmp_path / "bad", tmp_path / "out", progress=False)
    _write_images(tmp_path / "twice", [(20, 20)])
    (tmp_path / "twice" / "Im_0.bmp").write_bytes((tmp_path / "twice" / "Im_0.png").read_bytes())
    with pytest.raises(SodbenchError, match="two images with the same stem"):
        predict_folder(MINet(), tmp_path / "twice", tmp_path / "out2")
    assert not (tmp_path / "out2").exists()


def test_library_messages_name_arguments_and_the_cli_its_flags(tmp_path, capsys):
    """minet_ref.predict speaks of its arguments; `sodbench predict` maps them to its flags."""
    _write_images(tmp_path / "img", [(20, 20)])
    with pytest.raises(SodbenchError, match=r"^images_dir folder .*missing does not exist$"):
        predict_folder(MINet(), tmp_path / "missing", tmp_path / "out")
    with pytest.raises(SodbenchError, match=r"^out_dir .*inner lies inside images_dir "):
        plan_maps(tmp_path / "img", tmp_path / "img" / "inner")
    with pytest.raises(SodbenchError, match=r"^batch 0: must be 1 or more$"):
        predict_folder(MINet(), tmp_path / "img", tmp_path / "out", batch=0)
    code = main(["predict", "--weights", "demo", "--images", str(tmp_path / "img"),
                 "--out", str(tmp_path / "img" / "inner")])
    assert code == 2
    assert capsys.readouterr().err.startswith(f"error: --out {tmp_path / 'img' / 'inner'} "
                                              f"lies inside --images {tmp_path / 'img'}; ")


def test_cli_predict_errors_are_one_line(tmp_path, capsys):
    _write_images(tmp_path / "img", [(40, 40)])
    torch.save({"x": torch.zeros(3)}, tmp_path / "other.pth")
    (tmp_path / "text.pth").write_text("hello")
    cases = [
        (["--weights", "demo", "--images", str(tmp_path / "nope")], "does not exist"),
        (["--weights", str(tmp_path / "none.pth"), "--images", str(tmp_path / "img")],
         "not found"),
        (["--weights", str(tmp_path / "other.pth"), "--images", str(tmp_path / "img")],
         "is not MINet weights"),
        (["--weights", str(tmp_path / "text.pth"), "--images", str(tmp_path / "img")],
         "not a readable torch file"),
    ]
    for args, message in cases:
        code = main(["predict", "--model", "minet", *args, "--out", str(tmp_path / "out")])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("error: ") and message in err and err.count("\n") == 1


def test_cli_predict_converts_official_layout(tmp_path, capsys):
    _write_images(tmp_path / "img", [(50, 70), (33, 33)])
    torch.manual_seed(1)
    official = NaiveMINet().state_dict()
    torch.save(official, tmp_path / "authors.pth")
    code = main(["predict", "--model", "minet", "--weights", str(tmp_path / "authors.pth"),
                 "--images", str(tmp_path / "img"), "--out", str(tmp_path / "out"),
                 "--batch", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "look like the authors' checkpoint layout: converted automatically" in captured.err
    assert "wrote 2 maps" in captured.out
    assert read_image(tmp_path / "out" / "Im_0.png").shape == (50, 70)
