"""The synthetic sample: layout, file formats, determinism, and that defects are learnable."""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from sodbench.cli import main
from sodbench.demo.sample import generate


def _digest(folder):
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files}


def test_layout_and_formats(tmp_path):
    out = generate(tmp_path / "s", n_images=6, size=64, seed=3)
    stems = ["In_1", "Pa_1", "Sc_1", "In_2", "Pa_2", "Sc_2"]
    assert sorted(p.stem for p in (out / "Img").iterdir()) == sorted(stems)
    for stem in stems:
        image = Image.open(out / "Img" / f"{stem}.bmp")
        gt = Image.open(out / "GT" / f"{stem}.png")
        good = Image.open(out / "pred" / "GoodNet" / f"{stem}.png")
        weak = Image.open(out / "pred" / "WeakNet" / f"{stem}.jpg")
        assert (image.mode, gt.mode, good.mode, weak.mode) == ("L", "L", "RGB", "L")
        assert image.size == gt.size == good.size == weak.size == (64, 64)
        values = np.unique(np.asarray(gt))
        assert set(values.tolist()) <= {0, 255} and 255 in values


def test_deterministic_per_seed(tmp_path):
    first = _digest(generate(tmp_path / "a", n_images=6, size=48, seed=7))
    second = _digest(generate(tmp_path / "b", n_images=6, size=48, seed=7))
    other = _digest(generate(tmp_path / "c", n_images=6, size=48, seed=8))
    assert first == second
    assert first.keys() == other.keys() and first != other


def test_defects_differ_from_background_but_not_trivially(tmp_path):
    out = generate(tmp_path / "s", n_images=36, seed=0)
    contrasts, separable = [], []
    for gt_path in sorted((out / "GT").iterdir()):
        mask = np.asarray(Image.open(gt_path)) > 128
        image = np.asarray(Image.open(out / "Img" / f"{gt_path.stem}.bmp"), dtype=float)
        inside, outside = image[mask], image[~mask]
        contrasts.append(abs(inside.mean() - outside.mean()) / outside.std())
        # a global threshold half-way between the two means should not solve the task
        cut = (inside.mean() + outside.mean()) / 2
        sign = 1 if inside.mean() > outside.mean() else -1
        guess = sign * (image - cut) > 0
        separable.append((guess == mask).mean())
    assert np.median(contrasts) > 2
    assert np.mean(np.array(separable) > 0.999) < 0.5
    kinds = {path.stem.split("_")[0] for path in (out / "GT").iterdir()}
    assert kinds == {"In", "Pa", "Sc"}


def test_good_method_beats_weak_method(tmp_path):
    out = generate(tmp_path / "s", n_images=12, seed=0)
    errors = {"GoodNet": [], "WeakNet": []}
    for gt_path in sorted((out / "GT").iterdir()):
        gt = np.asarray(Image.open(gt_path), dtype=float) / 255
        for method, ext in (("GoodNet", "png"), ("WeakNet", "jpg")):
            pred = Image.open(out / "pred" / method / f"{gt_path.stem}.{ext}").convert("L")
            errors[method].append(np.abs(np.asarray(pred, dtype=float) / 255 - gt).mean())
    assert np.mean(errors["GoodNet"]) < np.mean(errors["WeakNet"])


def test_sample_command(tmp_path, capsys):
    assert main(["sample", "--out", str(tmp_path / "s"), "--n-images", "4", "--size", "40"]) == 0
    assert "wrote 4 images" in capsys.readouterr().out
    assert len(list((tmp_path / "s" / "GT").iterdir())) == 4
