"""`sodbench eval` end to end in temporary folders, through ``sodbench.cli.main``."""

from __future__ import annotations

import hashlib
import os
import sys

import numpy as np
import pandas as pd
import pytest
from eval_helpers import InProcess, Interrupting
from PIL import Image
from scipy import ndimage

from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.evaluator import Evaluator
from sodbench.folders import evaluation
from sodbench.folders.images import read_map, resize_to
from sodbench.folders.pairing import natural_key
from sodbench.folders.results import load_results
from sodbench.folders.schedule import process_executor


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("SODBENCH_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sample(tmp_path):
    return generate(tmp_path / "sample", n_images=9, size=48, seed=1)


def _eval(sample, out, *extra, methods=("GoodNet", "WeakNet")):
    args = ["eval", "--gt", str(sample / "GT"), "--json", str(out / "r.json")]
    for method in methods:
        args += ["--pred", f"{method}={sample / 'pred' / method}"]
    return main(args + list(extra))


def _reference(gt_dir, pred_dir, metrics=None):
    """The Evaluator fed the same arrays, one batch in natural name order."""
    gts = sorted(gt_dir.iterdir(), key=lambda p: natural_key(p.stem))
    preds = {p.stem: p for p in pred_dir.iterdir()}
    gt_arrays = [read_map(path) for path in gts]
    pred_arrays = [read_map(preds[path.stem]) for path in gts]
    pred_arrays = [p if p.shape == g.shape else resize_to(p, g.shape)
                   for p, g in zip(pred_arrays, gt_arrays, strict=True)]
    evaluator = Evaluator(metrics=metrics)
    evaluator.update(np.stack(pred_arrays), np.stack(gt_arrays), names=[p.stem for p in gts],
                     batch=True)
    return evaluator


def _assert_entry_equals(entry, evaluator):
    expected = evaluator.compute()
    curves = expected.pop("curves")
    assert entry["metrics"] == expected
    for name, values in curves.items():
        assert np.array_equal(np.asarray(entry["curves"][name]), values)


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}


def test_results_equal_evaluator_on_same_arrays(sample, tmp_path, capsys):
    assert _eval(sample, tmp_path / "out", "--jobs", "1",
                 "--per-image", str(tmp_path / "out" / "p.csv")) == 0
    document = load_results(tmp_path / "out" / "r.json")
    assert [e["method"] for e in document["entries"]] == ["GoodNet", "WeakNet"]
    names = "\n".join(sorted(path.stem for path in (sample / "GT").iterdir()))
    for entry in document["entries"]:
        reference = _reference(sample / "GT", sample / "pred" / entry["method"])
        _assert_entry_equals(entry, reference)
        assert entry["dataset"] == "sample"
        assert entry["counts"] == {"n_evaluated": 9, "n_gt": 9, "n_resized": 0, "coverage": 1.0,
                                   "n_missing": 0, "n_duplicate": 0, "n_unreadable": 0,
                                   "n_extra": 0, "n_empty_skipped": 0,
                                   "images_sha256": hashlib.sha256(names.encode()).hexdigest()}
        assert entry["curves"]["threshold"] == list(range(256))
        assert all(len(entry["curves"][k]) == 256 for k in ("precision", "recall", "F", "E"))
    provenance = document["provenance"]
    assert provenance["conventions"] == "pysodmetrics" and "profile" not in provenance
    assert "bilinear" in provenance["resize_policy"]
    assert all(entry["conventions"] == "pysodmetrics" for entry in document["entries"])
    assert {"sodbench_version", "created", "options", "python", "numpy"} <= provenance.keys()
    assert provenance["execution"] == {"scheduler": "this process", "workers": 1}
    per_image = pd.read_csv(tmp_path / "out" / "p.csv")
    good = per_image[per_image["method"] == "GoodNet"]
    expected = _reference(sample / "GT", sample / "pred" / "GoodNet").per_image()
    assert list(good["name"]) == list(expected["name"]) == ["In_1", "In_2", "In_3", "Pa_1",
                                                           "Pa_2", "Pa_3", "Sc_1", "Sc_2", "Sc_3"]
    assert np.array_equal(good["Sm"].to_numpy(), expected["Sm"].to_numpy())
    assert set(per_image["coverage"]) == {1.0}
    out, err = capsys.readouterr()
    assert "GoodNet  9/9" in out and "0." in out and err == ""


def test_jobs_do_not_change_results(tmp_path):
    sample = generate(tmp_path / "big", n_images=70, size=32, seed=2)
    assert _eval(sample, tmp_path / "a", "--jobs", "1", "--no-cache", "--quiet") == 0
    assert _eval(sample, tmp_path / "b", "--jobs", "2", "--no-cache", "--quiet") == 0
    first = load_results(tmp_path / "a" / "r.json")["entries"]
    second = load_results(tmp_path / "b" / "r.json")["entries"]
    assert first == second and first[0]["counts"]["n_evaluated"] == 70


def test_curves_csv_and_npz_match_json(sample, tmp_path):
    out = tmp_path / "out"
    assert _eval(sample, out, "--curves", str(out / "c.csv"), "--quiet") == 0
    assert _eval(sample, out, "--curves", str(out / "c.npz"), "--quiet") == 0
    entry = load_results(out / "r.json")["entries"][1]
    frame = pd.read_csv(out / "c.csv")
    rows = frame[frame["method"] == "WeakNet"]
    assert list(rows["threshold"]) == list(range(256))
    assert np.array_equal(rows["F"].to_numpy(), np.asarray(entry["curves"]["F"]))
    with np.load(out / "c.npz") as arrays:
        assert np.array_equal(arrays["sample/WeakNet/E"], np.asarray(entry["curves"]["E"]))
        assert list(arrays["sample/WeakNet/coverage"]) == [9, 9]
    before = len(list((out / ".sodbench_cache").iterdir()))
    assert main(["eval", "--gt", str(sample / "GT"), "--pred", f"G={sample / 'pred/GoodNet'}",
                 "--curves", str(out / "c.txt"), "--json", str(out / "r.json"),
                 "--metrics", "MAE"]) == 2
    assert len(list((out / ".sodbench_cache").iterdir())) == before


def test_missing_prediction_strict_then_skip(sample, tmp_path, capsys):
    (sample / "pred" / "WeakNet" / "Pa_2.jpg").unlink()
    assert _eval(sample, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "1 of 9 GT maps have no prediction: Pa_2; use --on-missing skip" in err
    assert _eval(sample, tmp_path / "out", "--on-missing", "skip") == 0
    entry = load_results(tmp_path / "out" / "r.json")["entries"][1]
    assert entry["counts"]["n_evaluated"] == 8 and entry["counts"]["coverage"] == 8 / 9
    assert "1 GT maps without prediction were skipped: Pa_2" in entry["notes"]
    assert "WeakNet  8/9" in capsys.readouterr().out


def test_duplicate_stem(sample, tmp_path, capsys):
    Image.open(sample / "pred" / "WeakNet" / "In_1.jpg").save(sample / "pred/WeakNet/In_1.png")
    assert _eval(sample, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "2 files share the name 'In_1'" in err and "In_1.jpg" in err and "In_1.png" in err
    assert _eval(sample, tmp_path / "out", "--on-missing", "skip", "--quiet") == 0
    counts = load_results(tmp_path / "out" / "r.json")["entries"][1]["counts"]
    assert counts["n_duplicate"] == 1 and counts["n_evaluated"] == 8


def test_extra_prediction_warns(sample, tmp_path, capsys):
    Image.open(sample / "pred" / "WeakNet" / "In_1.jpg").save(sample / "pred/WeakNet/In_99.png")
    assert _eval(sample, tmp_path / "out", "--quiet") == 0
    err = capsys.readouterr().err
    assert "warning: sample/WeakNet: 1 predictions have no GT and were ignored: In_99" in err
    assert load_results(tmp_path / "out" / "r.json")["entries"][1]["counts"]["n_extra"] == 1


def test_unreadable_prediction_and_corrupt_gt(sample, tmp_path, capsys):
    (sample / "pred" / "GoodNet" / "Sc_1.png").write_bytes(b"garbage")
    assert _eval(sample, tmp_path / "out", "--jobs", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "GoodNet/Sc_1.png: cannot read image" in err and "--on-missing skip" in err
    assert _eval(sample, tmp_path / "out", "--on-missing", "skip", "--quiet") == 0
    entry = load_results(tmp_path / "out" / "r.json")["entries"][0]
    assert entry["counts"]["n_unreadable"] == 1 and entry["counts"]["n_evaluated"] == 8
    assert entry["counts"]["coverage"] == 8 / 9
    (sample / "GT" / "In_2.png").write_bytes(b"\x89PNG broken")
    capsys.readouterr()
    assert _eval(sample, tmp_path / "out", "--jobs", "1") == 2
    err = capsys.readouterr().err
    assert "GT/In_2.png: cannot read image" in err and "--on-missing skip" in err
    # under skip an unreadable GT is left out for every method, counted and noted
    assert _eval(sample, tmp_path / "out", "--on-missing", "skip", "--quiet") == 0
    good, weak = load_results(tmp_path / "out" / "r.json")["entries"]
    assert (good["counts"]["n_unreadable"], good["counts"]["n_evaluated"]) == (2, 7)
    assert (weak["counts"]["n_unreadable"], weak["counts"]["n_evaluated"]) == (1, 8)
    assert "1 unreadable GT maps were skipped (for every method): In_2.png" in weak["notes"]


def test_folder_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    sample = generate(tmp_path / "s", n_images=3, size=24)
    cases = [
        (["--gt", str(tmp_path / "nope"), "--pred", f"A={sample / 'GT'}"], "no such folder"),
        (["--gt", str(tmp_path / "empty"), "--pred", f"A={sample / 'GT'}"], "no maps"),
        (["--gt", str(sample / "GT"), "--pred", f"A={sample / 'Img'}", "--pred-prefix", "x"],
         "no maps named 'x'"),
        (["--gt", str(sample / "GT"), "--pred", "A"], "write it as NAME=DIR"),
        (["--gt", str(sample / "GT")], "at least one --pred"),
        (["--gt", str(sample / "GT"), "--pred", f"A={sample / 'Img'}", "--jobs", "0"],
         "--jobs 0"),
        (["--gt", str(sample / "GT"), "--pred", f"A={sample / 'Img'}", "--metrics", "XYZ"],
         "unknown metric"),
    ]
    for args, message in cases:
        assert main(["eval", *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    (sample / "pred" / "GoodNet" / "In_1.png").rename(sample / "pred" / "GoodNet" / "x.png")
    for path in (sample / "pred" / "GoodNet").iterdir():
        path.rename(path.with_name("p_" + path.name))
    assert main(["eval", "--gt", str(sample / "GT"),
                 "--pred", f"A={sample / 'pred' / 'GoodNet'}"]) == 2
    assert "no prediction name matches a GT name" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path, capsys):
    assert main(["--debug", "eval", "--gt", str(tmp_path / "nope"), "--pred", "A=x"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_nan_float_map(sample, tmp_path, capsys):
    target = sample / "pred" / "GoodNet"
    values = read_map(target / "In_1.png").astype(np.float64) / 255
    values[3, 4] = np.nan
    (target / "In_1.png").unlink()
    np.save(target / "In_1.npy", values)
    assert _eval(sample, tmp_path / "out", "--jobs", "1") == 2
    assert "In_1.npy: map holds NaN or inf values" in capsys.readouterr().err
    np.save(target / "In_1.npy", np.nan_to_num(values) * 2)
    assert _eval(sample, tmp_path / "out", "--jobs", "1") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: GT {sample / 'GT' / 'In_1.png'}, prediction "
                          f"{target / 'In_1.npy'}: prediction is float") and err.count("\n") == 1


def test_gt_stored_as_0_1_is_refused_naming_the_gt(sample, tmp_path, capsys):
    gt = read_map(sample / "GT" / "Pa_2.png")
    Image.fromarray((gt > 0).astype(np.uint8)).save(sample / "GT" / "Pa_2.png")
    assert _eval(sample, tmp_path / "out", "--jobs", "1", methods=("GoodNet",)) == 2
    err = capsys.readouterr().err
    assert err == (f"error: GT {sample / 'GT' / 'Pa_2.png'} is uint8 with values in {{0, 1}}: "
                   "no pixel is above the GT threshold (gt > 128 on 0..255), so its foreground "
                   "would be empty; save the mask with 0 and 255, or use --allow-emptied-gt to "
                   "score it as empty\n")


def test_mixed_formats_and_sizes(sample, tmp_path):
    target = sample / "pred" / "GoodNet"
    grey = {path.stem: read_map(path) for path in target.iterdir()}
    for path in list(target.iterdir()):
        path.unlink()
    writers = {
        "In_1": lambda a: Image.fromarray(a).save(target / "In_1.png"),
        "Pa_1": lambda a: Image.fromarray(a.astype(np.uint16) * 257).save(target / "Pa_1.png"),
        "Sc_1": lambda a: np.save(target / "Sc_1.npy", a / 255.0),
        "In_2": lambda a: Image.fromarray(np.dstack([a, a, a, 255 - a])).save(target / "In_2.png"),
        "Pa_2": lambda a: Image.fromarray(a).convert("P").save(target / "Pa_2.bmp"),
        "Sc_2": lambda a: Image.fromarray(a).resize((60, 40)).save(target / "Sc_2.tif"),
        "In_3": lambda a: Image.fromarray(a).resize((30, 30)).save(target / "In_3.jpeg"),
        "Pa_3": lambda a: Image.fromarray(np.dstack([a, a // 2, a])).save(target / "Pa_3.png"),
        "Sc_3": lambda a: Image.fromarray(a > 100).save(target / "Sc_3.png"),
    }
    for stem, write in writers.items():
        write(grey[stem])
    before = _digest(sample)
    assert _eval(sample, tmp_path / "out", "--jobs", "1", "--quiet",
                 "--per-image", str(tmp_path / "p.csv"), methods=("GoodNet",)) == 0
    assert _digest(sample) == before
    entry = load_results(tmp_path / "out" / "r.json")["entries"][0]
    assert entry["counts"]["n_resized"] == 2 and entry["counts"]["n_evaluated"] == 9
    notes = " | ".join(entry["notes"])
    assert "2 predictions resized to their GT size (bilinear): In_3.jpeg, Sc_2.tif" in notes
    assert "converted to luminance (ITU-R 601): Pa_3.png" in notes
    assert "alpha channel, ignored: In_2.png" in notes
    expected = Evaluator()
    for stem in sorted(writers, key=natural_key):
        gt = read_map(sample / "GT" / f"{stem}.png")
        pred = read_map(next(target.glob(f"{stem}.*")))
        expected.update(pred if pred.shape == gt.shape else resize_to(pred, gt.shape), gt,
                        names=[stem])
    per_image = pd.read_csv(tmp_path / "p.csv")
    reference = expected.per_image()
    assert list(per_image["name"]) == list(reference["name"])
    for key in ("MAE", "Sm", "wF", "IoU", "OR"):
        assert np.array_equal(per_image[key].to_numpy(), reference[key].to_numpy()), key
    scores = expected.compute()
    for key in ("MAE", "Sm", "wF", "IoU"):
        assert entry["metrics"][key] == scores[key]
    for key in ("maxF", "meanE"):
        assert entry["metrics"][key] == pytest.approx(scores[key], rel=1e-14)


def test_gt_not_binary_and_empty_gt(sample, tmp_path, capsys):
    gt = read_map(sample / "GT" / "Pa_1.png")
    soft = np.where(gt > 0, 200, 30).astype(np.uint8)
    Image.fromarray(soft).save(sample / "GT" / "Pa_1.png")
    Image.fromarray(np.zeros_like(gt)).save(sample / "GT" / "Sc_3.png")
    assert _eval(sample, tmp_path / "out", "--quiet", methods=("GoodNet",)) == 0
    err = capsys.readouterr().err
    assert "1 GT masks are not binary; binarised as the conventions say: Pa_1.png" in err
    assert "1 GT masks are empty (all background); evaluated: Sc_3.png" in err
    entry = load_results(tmp_path / "out" / "r.json")["entries"][0]
    assert entry["counts"]["n_evaluated"] == 9
    _assert_entry_equals(entry, _reference(sample / "GT", sample / "pred" / "GoodNet"))


def test_cache_reuse_invalidation_and_no_cache(sample, tmp_path, monkeypatch, run_arguments):
    executor = run_arguments["executor"] = InProcess()

    def calls():  # pairs scored per method, unit after unit
        return [len(pairs) for unit in executor.units for pairs in unit]

    out = tmp_path / "out"
    assert _eval(sample, out, "--quiet") == 0
    assert calls() == [9, 9] and len(list((out / ".sodbench_cache").iterdir())) == 2
    first = load_results(out / "r.json")
    assert first["provenance"]["execution"] == {"scheduler": "InProcess", "workers": None}
    first = first["entries"]
    assert _eval(sample, out, "--quiet") == 0
    assert calls() == [9, 9]
    served = load_results(out / "r.json")
    assert served["entries"] == first
    assert "execution" not in served["provenance"]  # nothing ran: every entry was cached
    changed = sample / "pred" / "WeakNet" / "In_1.jpg"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    assert _eval(sample, out, "--quiet") == 0
    assert calls() == [9, 9, 9]
    assert _eval(sample, out, "--quiet", "--no-cache") == 0
    assert calls() == [9, 9, 9, 9, 9]
    assert _eval(sample, out, "--quiet", "--metrics", "MAE,Sm") == 0
    assert calls()[-2:] == [9, 9]
    assert set(load_results(out / "r.json")["entries"][0]["metrics"]) == {"MAE", "Sm"}
    run_arguments["chunk_size"] = 4  # the numbers' last bits depend on it: not served
    assert _eval(sample, out, "--quiet") == 0
    assert calls()[-6:] == [4, 4, 4, 4, 1, 1]
    del run_arguments["chunk_size"]
    monkeypatch.setenv("SODBENCH_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert _eval(sample, out, "--quiet") == 0
    assert len(list((tmp_path / "elsewhere").iterdir())) == 2


def test_interrupted_run_keeps_old_results_and_resumes(sample, tmp_path, capsys,
                                                        run_arguments):
    out = tmp_path / "out"
    methods = ("GoodNet", "WeakNet", "Copy")
    (sample / "pred" / "Copy").mkdir()
    for path in (sample / "pred" / "GoodNet").iterdir():
        (sample / "pred" / "Copy" / path.name).write_bytes(path.read_bytes())
    run_arguments["chunk_size"] = 4  # 9 GT maps: chunks of 4, 4 and 1
    assert _eval(sample, out, "--quiet", "--no-cache", methods=methods) == 0
    complete = load_results(out / "r.json")
    old_bytes = (out / "r.json").read_bytes()
    executor = run_arguments["executor"] = InProcess(interrupt_at=1)
    assert _eval(sample, out, methods=methods) == 130
    assert "interrupted; finished work was kept" in capsys.readouterr().err
    assert (out / "r.json").read_bytes() == old_bytes
    # the first chunk of every method was kept; no entry is finished yet
    partial = out / ".sodbench_cache" / "partial"
    assert sorted(len(list(folder.iterdir())) for folder in partial.iterdir()) == [1, 1, 1]
    assert executor.first_names() == [["In_1", "In_1", "In_1"], ["Pa_2", "Pa_2", "Pa_2"]]
    executor = run_arguments["executor"] = InProcess()
    assert _eval(sample, out, "--resume", methods=methods) == 0
    assert executor.first_names() == [["Pa_2", "Pa_2", "Pa_2"], ["Sc_3", "Sc_3", "Sc_3"]]
    assert "resumed 0 of 3 (dataset, method) results and 3 chunks of unfinished ones from" in (
        capsys.readouterr().err)
    assert load_results(out / "r.json")["entries"] == complete["entries"]
    assert not partial.exists()  # chunk files go once their entries are stored
    assert _eval(sample, out, "--resume", "--no-cache") == 2


_OPENED: list[str] | None = None  # files opened while a test watches (the `opened` fixture)


def _record_open(event: str, args: tuple) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, os.PathLike)):
        _OPENED.append(os.fspath(args[0]))


@pytest.fixture
def opened():
    """The paths this process opens during the test (a Python audit hook: stays installed,
    idle outside the test)."""
    global _OPENED
    if not getattr(sys, "_sodbench_test_hook", False):
        sys.addaudithook(_record_open)
        sys._sodbench_test_hook = True
    _OPENED = []
    yield _OPENED
    _OPENED = None


def test_methods_share_each_gt_read_and_distance_transform(sample, tmp_path, monkeypatch,
                                                           opened):
    """Three methods on one GT folder: each GT file is read once and its wF distance
    transform made once, and every method's numbers equal those of a run of that method
    alone."""
    methods = ("GoodNet", "WeakNet", "Copy")
    (sample / "pred" / "Copy").mkdir()
    for path in (sample / "pred" / "WeakNet").iterdir():
        (sample / "pred" / "Copy" / path.name).write_bytes(path.read_bytes())
    out = tmp_path / "together"
    assert _eval(sample, out, "--jobs", "1", "--quiet", "--no-cache", methods=methods) == 0
    reads = [os.path.basename(path) for path in opened
             if os.path.dirname(path) == str(sample / "GT")]
    # opened twice each: the header once when the run is planned (sizes cut the chunks of
    # large images), the pixels once for all three methods
    assert sorted(reads) == sorted(list(set(reads)) * 2) and len(set(reads)) == 9
    transforms = []
    real_transform = ndimage.distance_transform_edt
    monkeypatch.setattr(ndimage, "distance_transform_edt",
                        lambda *a, **k: (transforms.append(1), real_transform(*a, **k))[1])
    assert _eval(sample, tmp_path / "wF", "--jobs", "1", "--quiet", "--no-cache",
                 "--metrics", "wF", methods=methods) == 0
    assert len(transforms) == 9  # the wF metric's only use of it
    together = load_results(out / "r.json")["entries"]
    for method, entry in zip(methods, together, strict=True):
        alone = tmp_path / method
        assert _eval(sample, alone, "--jobs", "1", "--quiet", "--no-cache",
                     methods=(method,)) == 0
        assert load_results(alone / "r.json")["entries"] == [entry]


def test_progress_bar_hidden_when_not_a_terminal(sample, tmp_path, capsys):
    assert _eval(sample, tmp_path / "out", "--jobs", "2", "--no-cache") == 0
    assert capsys.readouterr().err == ""


def test_config_presets_and_errors(tmp_path, capsys):
    sd = generate(tmp_path / "SD", n_images=6, size=32)
    runs = tmp_path / "runs"
    for method in ("A", "B"):
        (runs / method / "Mini").mkdir(parents=True)
        for path in (sd / "pred" / "GoodNet").iterdir():
            (runs / method / "Mini" / path.name).write_bytes(path.read_bytes())
    (tmp_path / "Mini").mkdir()
    (sd / "GT").rename(tmp_path / "Mini" / "GT")
    (tmp_path / "Mini" / "GT").rename(tmp_path / "Mini" / "Mask")
    sd2 = generate(tmp_path / "SD2", n_images=6, size=32)
    config = tmp_path / "bench.toml"
    config.write_text(f"""
[options]
metrics = "MAE,Sm,maxF"
json = "out/results.json"
per_image = "out/per_image.csv"
jobs = 1

[[dataset]]
name = "SD-mini"
layout = "sd-saliency-900"
root = "{sd2.name}"
methods = ["WeakNet", "GoodNet"]

[[dataset]]
name = "Mini"
layout = "generic"
root = "Mini"
pred_root = "runs"

[[dataset]]
name = "Explicit"
gt = "SD2/GT"
[dataset.pred]
Mine = "SD2/pred/WeakNet"
""")
    assert main(["eval", "--config", str(config), "--quiet"]) == 0
    document = load_results(tmp_path / "out" / "results.json")
    pairs = [(e["dataset"], e["method"]) for e in document["entries"]]
    assert pairs == [("SD-mini", "WeakNet"), ("SD-mini", "GoodNet"), ("Mini", "A"),
                     ("Mini", "B"), ("Explicit", "Mine")]
    assert document["entries"][0]["metrics"] == document["entries"][4]["metrics"]
    assert set(document["entries"][0]["metrics"]) == {"MAE", "Sm", "maxF"}
    assert (tmp_path / "out" / "per_image.csv").is_file()
    assert (tmp_path / "out" / ".sodbench_cache").is_dir()
    assert main(["eval", "--config", str(config), "--metrics", "MAE", "--quiet"]) == 0
    assert set(load_results(tmp_path / "out" / "results.json")["entries"][0]["metrics"]) == {
        "MAE"}
    text = config.read_text().replace("jobs = 1", "jobs = 1\ncache = false\nquiet = true")
    config.write_text(text.replace("out/", "nocache/"))
    assert main(["eval", "--config", str(config)]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "nocache" / "results.json").is_file()
    assert not (tmp_path / "nocache" / ".sodbench_cache").exists()
    bad = {
        "[[dataset]]\nname = 'X'\nlayout = 'weird'\nroot = '.'\n": "key 'layout'",
        "[[dataset]]\nlayout = 'generic'\n": "[[dataset]] 1: key 'name': required",
        "[options]\njobz = 2\n[[dataset]]\nname='X'\n": "[options]: key 'jobz': unknown key",
        "[options]\njobs = 'two'\n": "[options]: key 'jobs': wrong type str",
        "[[dataset]]\nname = 'X'\ngt = 'SD2/GT'\nmethods = ['Nope']\n[dataset.pred]\n"
        "A = 'SD2/pred/GoodNet'\n": "[[dataset]] 1 ('X'): key 'methods': no prediction folder "
                                    "for Nope",
        "x = = 1": "not valid TOML",
        "[options]\n": "key 'dataset': add at least one [[dataset]] table",
    }
    for text, message in bad.items():
        config.write_text(text)
        assert main(["eval", "--config", str(config)]) == 2
        err = capsys.readouterr().err
        assert f"{config}: " in err and message in err and err.count("\n") == 1, err
    assert main(["eval", "--config", str(tmp_path / "none.toml")]) == 2
    assert f"the config file {tmp_path / 'none.toml'}: no such file" in capsys.readouterr().err
    assert main(["eval", "--config", str(config), "--dataset", "X"]) == 2
    assert "name datasets and folders in the config file" in capsys.readouterr().err


def test_progress_bar_on_request(sample, capsys):
    tasks = [evaluation.Task("s", "GoodNet", sample / "GT", sample / "pred" / "GoodNet")]
    evaluation.run(tasks, jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "eval: 100%" in err and "9/9" in err


def test_python_api_returns_the_document(sample):
    from sodbench import evaluate

    document = evaluate(sample / "GT", {"WeakNet": sample / "pred" / "WeakNet"},
                        dataset="Mini", metrics=["MAE", "wF"], jobs=1)
    assert document["format"] == "sodbench.results" and document["schema"] == 1
    [entry] = document["entries"]
    assert (entry["dataset"], entry["method"]) == ("Mini", "WeakNet")
    _assert_entry_equals(entry, _reference(sample / "GT", sample / "pred" / "WeakNet",
                                           metrics=["MAE", "wF"]))


def test_interrupt_during_a_pool_run_keeps_finished_work(tmp_path, capsys, run_arguments):
    sample = generate(tmp_path / "s", n_images=40, size=24, seed=4)  # chunks of 32 and 8
    names = sorted((path.stem for path in (sample / "GT").iterdir()), key=natural_key)
    for path in (sample / "pred" / "GoodNet").iterdir():  # GoodNet: the first chunk only
        if path.stem in names[32:]:
            path.unlink()
    out = tmp_path / "out"
    with process_executor(2) as pool:
        # unit 0 (chunk 0 of both methods) is scored by the workers; then Ctrl-C
        run_arguments["executor"] = Interrupting(pool, at=1)
        assert _eval(sample, out, "--on-missing", "skip") == 130
    assert "interrupted; finished work was kept" in capsys.readouterr().err
    assert not (out / "r.json").exists()
    [cached] = [path for path in (out / ".sodbench_cache").iterdir() if path.is_file()]
    assert "GoodNet" in cached.name  # finished by chunk 0 alone
    # WeakNet's first chunk (of two) was kept too
    [partial] = (out / ".sodbench_cache" / "partial").iterdir()
    assert "WeakNet" in partial.name and [p.name for p in partial.iterdir()] == ["0.json"]
    del run_arguments["executor"]
    assert _eval(sample, out, "--jobs", "2", "--on-missing", "skip", "--resume") == 0
    assert "resumed 1 of 2 (dataset, method) results and 1 chunk of unfinished ones" in (
        capsys.readouterr().err)
    resumed = load_results(out / "r.json")["entries"]
    assert _eval(sample, tmp_path / "fresh", "--jobs", "1", "--on-missing", "skip",
                 "--no-cache", "--quiet") == 0
    assert load_results(tmp_path / "fresh" / "r.json")["entries"] == resumed
