"""`sodbench check` refuses what it cannot compare: other images, conventions, metric sets,
tolerances; every entry carries the digest of the image names it scored."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from trust_helpers import digests

from sodbench.errors import SodbenchError
from sodbench.folders import evaluation
from sodbench.folders.cache import ResultCache
from sodbench.folders.results import load_results
from sodbench.reports.check import compare

NAMES = [f"{kind}_{index}" for kind in ("In", "Pa", "Sc") for index in (1, 2, 3)]


def names_digest(names) -> str:
    return hashlib.sha256("\n".join(sorted(names)).encode("utf-8")).hexdigest()


def evaluate(cli, sample, out, *args, method="GoodNet", pred=None):
    pred = pred or sample / "pred" / "GoodNet"
    run = cli("eval", "--gt", sample / "GT", "--pred", f"{method}={pred}", "--json", out,
              "--no-cache", "--quiet", "--jobs", "1", *args)
    assert run.code == 0, run.err
    return out


@pytest.fixture
def baseline(cli, sample, tmp_path):
    return evaluate(cli, sample, tmp_path / "base.json")


def test_same_run_is_ok(cli, sample, baseline, tmp_path):
    current = evaluate(cli, sample, tmp_path / "new.json")
    run = cli("check", current, "--baseline", baseline)
    assert run.code == 0, run.err
    assert run.out.startswith("ok: ")


def test_899_of_900_images_is_refused(cli, sample, baseline, tmp_path):
    """The report: 899/900 images (--on-missing skip) against a full baseline printed `ok`."""
    (sample / "pred" / "GoodNet" / "Pa_2.png").unlink()
    current = evaluate(cli, sample, tmp_path / "new.json", "--on-missing", "skip")
    before = digests(current, baseline)
    run = cli("check", current, "--baseline", baseline)
    assert run.code == 2
    assert run.error_line() == (
        f"error: (sample, GoodNet): {current} scored 8 of 9 images, {baseline} 9 of 9; "
        "re-run without --on-missing skip or re-create the baseline")
    assert run.out == ""
    assert digests(current, baseline) == before


def test_same_count_other_images_is_refused(cli, sample, baseline, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(sample, other)
    for folder in (other / "GT", other / "pred" / "GoodNet"):
        (folder / "Pa_2.png").rename(folder / "Pa_9.png")
    current = evaluate(cli, other, tmp_path / "new.json", "--dataset", "sample")
    run = cli("check", current, "--baseline", baseline)
    assert run.code == 2
    assert run.error_line() == (
        f"error: (sample, GoodNet): {current} and {baseline} scored different images (9 each, "
        "other names); evaluate the baseline's images or re-create the baseline")


def test_baseline_of_0_1_0_without_digest_is_refused(cli, sample, baseline, tmp_path):
    """A 0.1.0 results file records counts but no digest: refused, never compared weaker."""
    document = json.loads(baseline.read_text())
    del document["entries"][0]["counts"]["images_sha256"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    current = evaluate(cli, sample, tmp_path / "new.json")
    run = cli("check", current, "--baseline", old)
    assert run.code == 2
    assert run.error_line() == (
        f"error: {old} records no image counts or image-name digest for (sample, GoodNet) "
        "(written by sodbench 0.1.0 or by hand), so the images it scored cannot be compared; "
        "re-create the baseline with this sodbench version")


def test_other_metric_conventions_are_refused(cli, sample, baseline, tmp_path):
    """The report: minet-tii2024 against pysodmetrics reported only 'PFOM drift'."""
    current = evaluate(cli, sample, tmp_path / "new.json", "--profile", "minet-tii2024")
    run = cli("check", current, "--baseline", baseline)
    assert run.code == 2
    assert run.error_line() == (
        f"error: metric conventions differ: (sample, GoodNet) {current} "
        f"minet-tii2024, {baseline} pysodmetrics; values scored under different conventions "
        f"are not comparable: evaluate with the conventions of {baseline} or re-create it")
    assert run.out == ""


def test_other_metric_set_is_refused_with_the_one_sided_keys(cli, sample, baseline, tmp_path):
    current = evaluate(cli, sample, tmp_path / "new.json", "--metrics", "MAE,Sm")
    run = cli("check", current, "--baseline", baseline)
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: metric sets differ: (sample, GoodNet) only in {baseline}: ")
    assert "adpE, adpF," in line and "wF;" in line and "MAE" not in line.split(": ", 3)[-1]
    assert line.endswith("compare the common ones with --metrics LIST or re-create the baseline")
    # choosing the common metrics compares them, and passes
    assert cli("check", current, "--baseline", baseline, "--metrics", "MAE,Sm").code == 0


@pytest.mark.parametrize("flag, value", [("--atol", "nan"), ("--atol", "inf"),
                                         ("--atol", "-1e-4"), ("--rtol", "nan"),
                                         ("--rtol", "-0.5")])
def test_bad_tolerance_is_refused(cli, baseline, flag, value):
    """The report: `--atol nan` made every comparison pass or fail depending on NaN rules."""
    run = cli("check", baseline, "--baseline", baseline, flag, value)
    assert run.code == 2
    shown = f"{float(value):g}"
    assert run.error_line() == (
        f"error: {flag} {shown}: a tolerance must be a finite number, 0 or more")
    assert run.out == ""


def test_library_names_the_argument(baseline):
    document = load_results(baseline)
    with pytest.raises(SodbenchError, match=r"^atol nan: a tolerance must be"):
        compare(document, document, atol=float("nan"))
    with pytest.raises(SodbenchError, match=r"^rtol -1: a tolerance must be"):
        compare(document, document, rtol=-1)
    with pytest.raises(SodbenchError, match=r"hold no \(dataset, method\) entries"):
        compare({"entries": []}, {"entries": []})


def test_unreadable_predictions_are_not_in_the_digest(cli, sample, tmp_path):
    (sample / "pred" / "GoodNet" / "Sc_3.png").write_bytes(b"not a png")
    current = evaluate(cli, sample, tmp_path / "new.json", "--on-missing", "skip")
    counts = load_results(current)["entries"][0]["counts"]
    kept = [name for name in NAMES if name != "Sc_3"]
    assert (counts["n_evaluated"], counts["n_gt"]) == (8, 9)
    assert counts["images_sha256"] == names_digest(kept)


def test_digest_is_the_same_fresh_cached_and_resumed(sample, tmp_path, monkeypatch):
    everything = names_digest(NAMES)
    tasks = [evaluation.Task("sample", "GoodNet", sample / "GT", sample / "pred" / "GoodNet")]
    cache = tmp_path / "cache"
    # 3 chunks of 4 names: a resume has work to skip
    fresh = evaluation.run(tasks, jobs=1, cache_dir=cache, chunk_size=4)[0]
    cached = evaluation.run(tasks, jobs=1, cache_dir=cache, chunk_size=4)[0]
    assert cached.from_cache
    # An interrupted run: chunks kept under partial/, the finished entry not yet stored (the
    # chunk that finished it is only in the entry, so the resume scores it again).
    monkeypatch.setattr(ResultCache, "drop_chunks", lambda *args: None)
    shutil.rmtree(cache)
    evaluation.run(tasks, jobs=1, cache_dir=cache, chunk_size=4)
    for stored in cache.glob("*.json"):
        stored.unlink()
    resumed = evaluation.run(tasks, jobs=1, cache_dir=cache, chunk_size=4)[0]
    assert resumed.resumed_chunks == 2 and not resumed.from_cache
    assert [result.entry["counts"]["images_sha256"] for result in (fresh, cached, resumed)] == [
        everything] * 3
