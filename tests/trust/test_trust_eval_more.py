"""Catalogue: more bad inputs of ``sodbench eval``, its cache and the Evaluator API.

Reported after the first trust round: a prediction folder equal to the GT folder scored a
perfect run; two methods on one folder showed one method twice; ``--metrics ""`` computed
every metric; a method named "Good_Net" was served the cached entry of "Good Net" (one cache
file name); a damaged cache entry or chunk file gave a traceback, or its numbers; a 1 x 1 GT
placeholder made maxE 5e14; ``Evaluator.from_state`` of a damaged dict gave a KeyError, or
an evaluator with a 3-point curve.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from trust_helpers import digests, one_line_error

from sodbench import Evaluator, evaluate
from sodbench.demo.sample import generate
from sodbench.folders import cache as cache_module
from sodbench.folders.results import load_results
from sodbench.metrics import _emeasure as emeasure


def _pair():
    rng = np.random.default_rng(0)
    pred = (rng.random((20, 20)) * 255).astype(np.uint8)
    gt = np.zeros((20, 20), np.uint8)
    gt[5:12, 5:15] = 255
    return pred, gt


def test_prediction_folder_equal_to_the_gt_folder_is_refused(cli, sample):
    before = digests(sample)
    for folder in (sample / "GT", f"{sample / 'GT'}/", sample / "GT" / ".." / "GT"):
        run = cli("eval", "--gt", sample / "GT", "--pred", f"A={folder}", "--json", "r.json",
                  "--quiet")
        assert run.code == 2
        assert run.error_line().startswith(
            f"error: the prediction folder of A ({Path(folder)}) is its GT folder")
    assert digests(sample) == before
    assert not any(p.name == "r.json" for p in sample.parent.iterdir())


def test_two_methods_on_one_prediction_folder_are_refused(cli, sample):
    good = sample / "pred" / "GoodNet"
    run = cli("eval", "--gt", sample / "GT", "--pred", f"A={good}", "--pred", f"B={good}/",
              "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line().startswith(
        f"error: the prediction folder of B ({good}) is the prediction folder of A ({good}) "
        "in dataset sample")
    message = one_line_error(lambda: evaluate(sample / "GT", {"A": good, "B": good}, jobs=1))
    assert f"is the prediction folder of A ({good}) in dataset" in message


def test_empty_metric_selection_is_refused_not_read_as_all(cli, sample, tmp_path):
    good = sample / "pred" / "GoodNet"
    for value in ("", ", ,"):
        run = cli("eval", "--gt", sample / "GT", "--pred", f"A={good}", "--metrics", value,
                  "--json", "r.json", "--no-cache", "--quiet")
        assert run.code == 2
        assert run.error_line() == (f"error: --metrics {value!r}: no metric key given; name "
                                    "some (e.g. --metrics MAE,Sm) or drop --metrics for the "
                                    "default set")
    assert not (tmp_path / "r.json").exists()
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\nmetrics = []\n[[dataset]]\nname = "x"\ngt = "{sample}/GT"\n'
                      f'[dataset.pred]\nA = "{good}"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line() == (f"error: {config}: [options]: key 'metrics': is empty: name "
                                "some metrics, or remove the key for the default set")
    assert one_line_error(lambda: Evaluator(metrics=[])).startswith("metrics is empty")
    assert one_line_error(lambda: evaluate(sample / "GT", {"A": good}, metrics=[], jobs=1)
                           ).startswith("metrics is empty")
    assert one_line_error(lambda: Evaluator(metrics=5)).startswith("metrics=5: pass a list")
    # one key as a string is that key, in the API as in the Evaluator
    document = evaluate(sample / "GT", {"A": good}, metrics="MAE", jobs=1)
    assert set(document["entries"][0]["metrics"]) == {"MAE"}


def test_empty_or_multi_line_dataset_name_is_refused(cli, sample, tmp_path):
    good = sample / "pred" / "GoodNet"
    run = cli("eval", "--gt", sample / "GT", "--pred", f"A={good}", "--dataset", "",
              "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line() == "error: --dataset '': the name must be a non-empty string"
    run = cli("eval", "--gt", sample / "GT", "--pred", f"A={good}", "--dataset", "a\nb",
              "--json", "r.json", "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line().startswith("error: --dataset 'a\\nb': the name 'a\\nb' holds a "
                                       "control character")
    assert not (tmp_path / "r.json").exists()
    # a GT folder whose own name holds a line break gives the default name: refused too
    odd = tmp_path / "two\nlines"
    (sample / "GT").rename(odd)
    run = cli("eval", "--gt", odd, "--pred", f"A={good}", "--no-cache", "--quiet")
    assert run.code == 2
    assert "the dataset name 'two\\nlines' holds a control character" in run.error_line()
    assert "(--dataset NAME)" in run.error_line()


def test_cached_entry_of_a_name_sharing_its_cache_file_name_is_not_served(cli, sample):
    good = sample / "pred" / "GoodNet"
    assert cli("eval", "--gt", sample / "GT", "--pred", f"Good Net={good}", "--json",
               "a.json", "--quiet").code == 0
    run = cli("eval", "--gt", sample / "GT", "--pred", f"Good_Net={good}", "--json", "b.json",
              "--quiet")
    assert run.code == 0
    [entry] = load_results("b.json")["entries"]
    assert entry["method"] == "Good_Net"  # was "Good Net", the other run's entry


@pytest.mark.parametrize("damage", ["list", "no entry", "table", "text metric", "short row",
                                    "other method"])
def test_damaged_cache_entry_is_computed_again(cli, sample, tmp_path, damage):
    good = sample / "pred" / "GoodNet"
    args = ("eval", "--gt", sample / "GT", "--pred", f"G={good}", "--json", "r.json",
            "--cache-dir", "cache", "--quiet")
    assert cli(*args).code == 0
    expected = load_results("r.json")["entries"][0]["metrics"]
    [path] = (tmp_path / "cache").glob("*.json")
    stored = json.loads(path.read_text())
    if damage == "list":
        stored = [1, 2]
    elif damage == "no entry":
        del stored["entry"]
    elif damage == "table":
        stored["per_image"] = "x"
    elif damage == "text metric":
        stored["entry"]["metrics"]["MAE"] = "x"
    elif damage == "short row":
        stored["per_image"]["rows"][0] = [1]
    else:
        stored["entry"]["method"] = "Other"
    path.write_text(json.dumps(stored))
    run = cli(*args)
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    [entry] = load_results("r.json")["entries"]
    assert (entry["method"], entry["metrics"]) == ("G", expected)
    assert isinstance(json.loads(path.read_text()), dict)  # stored again, whole


@pytest.mark.parametrize("damage", ["list", "chunk text", "chunk of another file",
                                    "short curve", "findings", "names"])
def test_damaged_chunk_file_is_computed_again_on_resume(cli, tmp_path, monkeypatch, damage):
    data = generate(tmp_path / "big", n_images=70, size=16, seed=2)  # three chunks of 32
    args = ("eval", "--gt", data / "GT", "--pred", f"G={data / 'pred' / 'GoodNet'}",
            "--json", "r.json", "--cache-dir", "cache", "--jobs", "1", "--quiet")
    fresh = evaluate(data / "GT", {"G": data / "pred" / "GoodNet"}, jobs=1)
    expected = fresh["entries"][0]["metrics"]

    def interrupted(*_args, **_kwargs):  # the run stops as its entry is stored
        raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr(cache_module.ResultCache, "store", interrupted)
        assert cli(*args).code == 130
    [path, _] = sorted((tmp_path / "cache" / "partial").glob("*/*.json"))
    stored = json.loads(path.read_text())
    state = stored["payload"]["state"]
    if damage == "list":
        stored = [1]
    elif damage == "chunk text":
        stored["chunk"] = "abc"
    elif damage == "chunk of another file":
        stored["chunk"] = 1
    elif damage == "short curve":
        state["curve_sums"]["F"] = state["curve_sums"]["F"][:3]
    elif damage == "findings":
        stored["payload"]["findings"] = {"resized": 5}
    else:
        state["names"] = state["names"][:-1]
    path.write_text(json.dumps(stored))
    run = cli(*args, "--resume")
    assert run.code == 0, run.err
    assert "Traceback" not in run.err
    assert "and 1 chunk of unfinished ones" in run.err  # the intact one is resumed
    assert load_results("r.json")["entries"][0]["metrics"] == expected


def test_single_pixel_gt_placeholder_is_refused(cli, sample):
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(sample / "GT" / "In_1.png")
    before = digests(sample)
    run = cli("eval", "--gt", sample / "GT", "--pred", f"A={sample / 'pred' / 'GoodNet'}",
              "--no-cache", "--quiet")
    assert run.code == 2  # was exit 0 with maxE 5.0e14
    assert run.error_line() == (
        f"error: GT {sample / 'GT' / 'In_1.png'}, prediction "
        f"{sample / 'pred' / 'GoodNet' / 'In_1.png'}: prediction and ground truth are a single "
        "pixel: the E-measure is not defined below 2 pixels; give full-size maps, or leave the "
        "E-measure keys out of the metric set")
    assert digests(sample) == before
    one = np.array([[200]], np.uint8)
    message = one_line_error(lambda: Evaluator().update(one, np.array([[255]], np.uint8)))
    assert message.startswith("prediction and ground truth are a single pixel")
    message = one_line_error(lambda: emeasure.adaptive_emeasure(one, one))
    assert message.startswith("prediction and ground truth are a single pixel")
    # without the E-measure a single pixel is scored (as PySODMetrics scores it)
    without_e = Evaluator(metrics=["MAE", "IoU", "OR"], threads=1)
    without_e.update(one, np.array([[255]], np.uint8))
    assert without_e.compute()["MAE"] == 1 - 200 / 255  # a constant map is kept as it is
    # two pixels are a map
    evaluator = Evaluator(threads=1)
    evaluator.update(np.array([[200, 10]], np.uint8), np.array([[255, 0]], np.uint8))
    assert evaluator.compute()["MAE"] == 0.0  # min-max normalised to [1, 0], as PySODMetrics


@pytest.mark.parametrize("damage", ["not a dict", "no names", "short names", "short curve",
                                    "2-D curve", "text score", "NaN score", "metrics None"])
def test_from_state_of_a_damaged_state_is_one_line(damage):
    pred, gt = _pair()
    evaluator = Evaluator(threads=1)
    evaluator.update(pred, gt)
    evaluator.update(pred, gt)
    state = json.loads(json.dumps(evaluator.state()))
    if damage == "not a dict":
        state = 5
    elif damage == "no names":
        del state["names"]
    elif damage == "short names":
        state["names"] = state["names"][:1]
    elif damage == "short curve":  # was accepted: maxF taken from 3 thresholds
        state["curve_sums"]["F"] = state["curve_sums"]["F"][:3]
    elif damage == "2-D curve":
        state["curve_sums"]["F"] = [state["curve_sums"]["F"]] * 2
    elif damage == "text score":
        state["scalars"]["MAE"] = ["x", "y"]
    elif damage == "NaN score":
        state["scalars"]["MAE"] = [float("nan")] * 2
    else:  # was read as "every metric"
        state["metrics"] = None
    assert one_line_error(lambda: Evaluator.from_state(state)).startswith(
        "evaluator state")
    assert Evaluator.from_state(json.loads(json.dumps(evaluator.state()))).compute()[
        "MAE"] == evaluator.compute()["MAE"]


def test_merge_of_other_things_is_one_line():
    pred, gt = _pair()
    evaluator = Evaluator(threads=1)
    evaluator.update(pred, gt)
    assert one_line_error(lambda: evaluator.merge(5)) == "merge() takes an Evaluator, got int"
    assert one_line_error(lambda: evaluator.merge(evaluator)).startswith(
        "cannot merge an evaluator into itself")
    message = one_line_error(lambda: evaluator.merge(Evaluator(metrics=["MAE"])))
    assert message.startswith("cannot merge evaluators with different metrics")
    assert evaluator.n_images == 1


def test_names_as_one_string_and_odd_threads_are_one_line():
    pred, gt = _pair()
    evaluator = Evaluator(threads=1)
    batch = np.stack([pred] * 3), np.stack([gt] * 3)
    message = one_line_error(lambda: evaluator.update(*batch, batch=True, names="abc"))
    assert message == "names='abc': pass a list of 3 names, one per image"  # was a, b, c
    assert evaluator.n_images == 0
    assert one_line_error(lambda: Evaluator(threads="a")) == (
        "threads='a': must be a whole number")


@pytest.mark.parametrize(("line", "expected"), [
    ("jobs = 0", "key 'jobs': 0: must be at least 1"),
    ('conventions = "zz"', "key 'conventions': unknown conventions 'zz'"),
    ('profile = "zz"', "key 'profile': unknown conventions 'zz'"),  # the 0.1.0 name
    ('profile = "matlab"\nconventions = "matlab"', "key 'profile': the old name of "
     "'conventions', given beside it"),
    ('on_missing = "zz"', "key 'on_missing': 'zz': choose one of error, skip"),
])
def test_config_option_values_name_the_file_and_key(cli, sample, tmp_path, line, expected):
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\n{line}\n[[dataset]]\nname = "x"\ngt = "{sample}/GT"\n'
                      f'[dataset.pred]\nA = "{sample}/pred/GoodNet"\n')
    run = cli("eval", "--config", config, "--no-cache", "--quiet")
    assert run.code == 2
    assert run.error_line().startswith(f"error: {config}: [options]: {expected}")


def test_default_cache_of_a_run_started_in_the_gt_folder_is_refused(cli, sample, monkeypatch):
    monkeypatch.chdir(sample / "GT")
    before = digests(sample)
    run = cli("eval", "--gt", ".", "--pred", f"A={sample / 'pred' / 'GoodNet'}", "--quiet")
    assert run.code == 2  # used to create GT/.sodbench_cache
    assert run.error_line() == (
        f"error: the cache folder (--cache-dir) {sample / 'GT' / '.sodbench_cache'}: lies "
        "inside the GT folder ., an input folder; write outputs outside the data folders")
    assert not (sample / "GT" / ".sodbench_cache").exists()
    assert digests(sample) == before
    assert cli("eval", "--gt", ".", "--pred", f"A={sample / 'pred' / 'GoodNet'}", "--quiet",
               "--cache-dir", sample.parent / "cache").code == 0


def test_evaluate_with_preds_not_a_mapping_or_jobs_not_whole_is_one_line(sample):
    good = sample / "pred" / "GoodNet"
    message = one_line_error(lambda: evaluate(sample / "GT", [("A", good)], jobs=1))
    assert message.startswith("preds must map method names to folders")  # was AttributeError
    for jobs in ("2", 1.5):
        message = one_line_error(lambda jobs=jobs: evaluate(sample / "GT", {"A": good},
                                                             jobs=jobs))
        assert message == f"jobs={jobs!r}: must be a whole number"
    assert evaluate(sample / "GT", {"A": good}, jobs=np.int64(1))["entries"][0]["method"] == "A"


@pytest.mark.parametrize("executor", ["pool", 4, ThreadPoolExecutor])
def test_an_executor_that_is_not_one_is_refused_where_it_is_given(sample, executor):
    """Evaluator(executor=...) and evaluate(executor=...) take a concurrent.futures.Executor;
    anything else was accepted and failed with a traceback at the first submit (for a single
    buffered pair, only at compute())."""
    message = one_line_error(lambda: Evaluator(executor=executor))
    assert message.startswith("executor=") and "concurrent.futures.Executor" in message
    message = one_line_error(lambda: evaluate(sample / "GT", {"G": sample / "pred" / "GoodNet"},
                                              executor=executor))
    assert message.startswith("executor=") and "concurrent.futures.Executor" in message
