"""Frequency-tuned saliency: hand cases, and the published FT maps of SD-Saliency-900."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sodbench.cli import main
from sodbench.demo.baselines import frequency_tuned, predict_folder
from sodbench.errors import SodbenchError


def test_bright_square_on_grey_is_salient():
    image = np.full((40, 40), 100, np.uint8)
    image[15:25, 15:25] = 220
    saliency = frequency_tuned(image)
    assert saliency.shape == (40, 40) and saliency.min() == 0 and saliency.max() == 1
    assert saliency[20, 20] == 1
    assert saliency[15:25, 15:25].mean() > 5 * saliency[:10, :10].mean()


def test_grey_equals_replicated_rgb_and_constant_is_zero():
    image = np.random.default_rng(0).integers(0, 256, (30, 20), dtype=np.uint8)
    np.testing.assert_array_equal(frequency_tuned(image),
                                  frequency_tuned(np.repeat(image[..., None], 3, axis=2)))
    assert not frequency_tuned(np.full((8, 8), 7, np.uint8)).any()


def test_colour_counts_not_only_lightness():
    image = np.full((30, 30, 3), 128, np.uint8)
    image[10:20, 10:20] = (118, 138, 128)  # hue change at nearly the same lightness
    saliency = frequency_tuned(image)
    assert saliency[15, 15] == 1 and saliency[0, 0] < 0.05


def test_rejects_float_input():
    with pytest.raises(SodbenchError, match="uint8"):
        frequency_tuned(np.zeros((4, 4)))


def test_matches_the_published_ft_maps(sd900, tmp_path):
    """The FT maps shipped with SD-Saliency-900 (MCITF Results/FT), 90 images of 900.

    Measured on all 900 images: 99.9989 % of pixels equal, none differs by more than one grey
    level, mean |difference| 1.1e-5 grey levels (values that sit at a .5 rounding boundary).
    """
    stems = sorted(path.stem for path in (sd900 / "Img").glob("*.bmp"))[::10]
    images = tmp_path / "Img"
    images.mkdir()
    for stem in stems:
        (images / f"{stem}.bmp").symlink_to(sd900 / "Img" / f"{stem}.bmp")
    written = predict_folder(images, tmp_path / "FT")
    assert [path.stem for path in written] == stems
    differences = []
    for path in written:
        ours = np.asarray(Image.open(path)).astype(int)
        published = np.asarray(Image.open(sd900 / "pred" / "FT" / path.name)).astype(int)
        differences.append(np.abs(ours - published))
    differences = np.stack(differences)
    assert differences.max() <= 1
    assert differences.mean() < 0.005
    assert (differences == 0).mean() > 0.999


def test_predict_folder_errors(tmp_path):
    with pytest.raises(SodbenchError, match="no such image folder"):
        predict_folder(tmp_path / "nope", tmp_path / "out")
    with pytest.raises(SodbenchError, match="no images"):
        predict_folder(tmp_path, tmp_path / "out")
    with pytest.raises(SodbenchError, match="choose one of FT"):
        predict_folder(tmp_path, tmp_path / "out", method="HC")


def test_ft_scores_match_the_published_ft_scores(sd900, tmp_path):
    """Evaluate our FT maps and the published ones on 45 images: `sodbench check` passes."""
    from sodbench import evaluate
    from sodbench.folders.results import dump_results

    stems = sorted(path.stem for path in (sd900 / "Img").glob("*.bmp"))[::20]
    for folder in ("Img", "GT", "published"):
        (tmp_path / folder).mkdir()
    for stem in stems:
        (tmp_path / "Img" / f"{stem}.bmp").symlink_to(sd900 / "Img" / f"{stem}.bmp")
        (tmp_path / "GT" / f"{stem}.png").symlink_to(sd900 / "GT" / f"{stem}.png")
        (tmp_path / "published" / f"{stem}.png").symlink_to(sd900 / "pred" / "FT" / f"{stem}.png")
    predict_folder(tmp_path / "Img", tmp_path / "ours")
    for name in ("ours", "published"):
        document = evaluate(tmp_path / "GT", {"FT": tmp_path / name}, dataset="SD-900", jobs=1)
        dump_results(document, tmp_path / f"{name}.json")
    assert main(["check", str(tmp_path / "ours.json"), "--baseline",
                 str(tmp_path / "published.json"), "--atol", "1e-4"]) == 0
