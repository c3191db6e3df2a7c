"""``sodbench merge`` (#14): results files of runs evaluated apart, merged, read as one run's
(entries, ``table`` and ``check`` against one ``evaluate`` of everything), and its errors."""

from __future__ import annotations

import copy
import json
import re

import pytest

from sodbench import evaluate
from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders.results import dump_results, load_results
from sodbench.reports.merging import MIXED, merge_results

GOOD, WEAK = "GoodNet", "WeakNet"
JAN, FEB = "2024-01-01T10:00:00+00:00", "2024-02-01T10:00:00+00:00"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Results files of a 6-image sample (dataset D) and a 3-image one (dataset E): each
    method of D alone, both methods of D in one run, and E in one run."""
    folder = tmp_path_factory.mktemp("runs")
    one, two = generate(folder / "one", n_images=6, size=32), generate(folder / "two",
                                                                        n_images=3, size=32, seed=1)
    preds = {method: one / "pred" / method for method in (GOOD, WEAK)}
    plan = {"good": ("D", one, {GOOD: preds[GOOD]}), "weak": ("D", one, {WEAK: preds[WEAK]}),
            "both": ("D", one, preds), "other": ("E", two, {GOOD: two / "pred" / GOOD})}
    paths = {}
    for name, (dataset, root, chosen) in plan.items():
        paths[name] = folder / f"{name}.json"
        dump_results(evaluate(root / "GT", chosen, dataset=dataset, jobs=1), paths[name])
    return paths


def variant(source, path, change):
    """A copy of the results file ``source`` at ``path``, with ``change(document)`` applied."""
    document = copy.deepcopy(load_results(source))
    change(document)
    dump_results(document, path)
    return path


def numbers(entry):
    return {key: entry.get(key) for key in ("dataset", "method", "conventions", "counts",
                                            "metrics", "curves")}


def test_methods_evaluated_apart_merge_to_the_one_run_entries(runs):
    merged = merge_results([runs["good"], runs["weak"]])
    both = load_results(runs["both"])
    assert [numbers(entry) for entry in merged["entries"]] == [numbers(entry)
                                                               for entry in both["entries"]]
    provenance = merged["provenance"]
    assert provenance["conventions"] == "pysodmetrics"
    assert provenance["sodbench_version"] == both["provenance"]["sodbench_version"]
    assert provenance["options"] == both["provenance"]["options"]
    assert [(record["file"], record["entries"]) for record in provenance["merged"]] == [
        (str(runs["good"]), [["D", GOOD]]), (str(runs["weak"]), [["D", WEAK]])]
    for record, name in zip(provenance["merged"], ("good", "weak"), strict=True):
        assert record["provenance"] == load_results(runs[name])["provenance"]


def test_datasets_evaluated_apart(runs, tmp_path, capsys):
    out = tmp_path / "all.json"
    assert main(["merge", str(runs["both"]), str(runs["other"]), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 3 entries from 2 files (2 runs)\n"
    merged = load_results(out)
    expected = load_results(runs["both"])["entries"] + load_results(runs["other"])["entries"]
    assert [numbers(entry) for entry in merged["entries"]] == [numbers(e) for e in expected]
    assert main(["table", str(out), "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert [column.split("/")[0] for column in header[1::2]] == ["D"] * 6 + ["E"] * 6


def test_identical_entry_kept_once(runs):
    merged = merge_results([runs["good"], runs["both"]])
    assert [entry["method"] for entry in merged["entries"]] == [GOOD, WEAK]
    good, both = merged["provenance"]["merged"]
    assert good["entries"] == [["D", GOOD]] and "duplicates" not in good
    assert both["entries"] == [["D", WEAK]] and both["duplicates"] == [["D", GOOD]]
    assert merged["entries"][0] == load_results(runs["good"])["entries"][0]


def test_paths_and_notes_do_not_make_a_conflict(runs, tmp_path):
    def elsewhere(document):
        document["entries"][0]["paths"] = {"gt": "/elsewhere/GT", "pred": "/elsewhere/pred"}
        document["entries"][0]["notes"] = ["a note"]
    moved = variant(runs["good"], tmp_path / "moved.json", elsewhere)
    merged = merge_results([runs["good"], moved])
    assert merged["entries"] == load_results(runs["good"])["entries"]


def _set_metric(document):
    document["entries"][0]["metrics"]["MAE"] = 0.5


def _set_images(document):
    document["entries"][0]["counts"]["images_sha256"] = "0" * 64


def _set_conventions(document):
    document["entries"][0]["conventions"] = "matlab"


def _set_version(document):
    document["provenance"]["sodbench_version"] = "0.1.0"


def _set_curve(document):
    document["entries"][0]["curves"]["F"][17] = 0.0


def _add_subsets(document):
    document["entries"][0]["subsets"] = {"In": {"counts": {"n_evaluated": 2},
                                                "metrics": {"MAE": 0.5}, "curves": {}}}


def _drop_metric(document):
    del document["entries"][0]["metrics"]["wF"]


@pytest.mark.parametrize("change, difference", [
    (_set_metric, "MAE {old:.4g} vs 0.5"),
    (_set_images, "counts.images_sha256 {old_sha}... vs 000000000000..."),
    (_set_conventions, "conventions pysodmetrics vs matlab"),
    (_set_version, "sodbench_version {version} vs 0.1.0"),
    (_set_curve, "curve F at threshold 17 {old_f:.4g} vs 0"),
    (_add_subsets, "subsets absent vs {{In}}"),
    (_drop_metric, "wF {old_wf:.4g} vs absent"),
])
def test_each_conflict_is_one_line_naming_both_files(runs, tmp_path, capsys, change,
                                                     difference):
    original = load_results(runs["good"])
    changed = variant(runs["good"], tmp_path / "changed.json", change)
    entry = original["entries"][0]
    expected = difference.format(
        old=entry["metrics"]["MAE"], old_sha=entry["counts"]["images_sha256"][:12],
        version=original["provenance"]["sodbench_version"], old_f=entry["curves"]["F"][17],
        old_wf=entry["metrics"]["wF"])
    assert main(["merge", str(runs["good"]), str(changed), "-o", str(tmp_path / "o.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: {runs['good']} and {changed} both hold (D, {GOOD}),"
                                   f" differently: {expected}")
    assert captured.err.rstrip().endswith(
        "; keep the entry of the newest run with --prefer newest (by provenance created) or "
        "drop one file")
    assert not (tmp_path / "o.json").exists()


def test_the_metric_difference_shows_the_digits_that_differ(runs, tmp_path):
    def nudge(document):
        document["entries"][0]["metrics"]["MAE"] += 1e-9
    changed = variant(runs["good"], tmp_path / "changed.json", nudge)
    old = load_results(runs["good"])["entries"][0]["metrics"]["MAE"]
    with pytest.raises(SodbenchError) as error:
        merge_results([runs["good"], changed])
    shown = str(error.value).split("differently: MAE ")[1].split(";")[0].split(" vs ")
    digits = len(shown[0].lstrip("0.").replace(".", ""))
    assert len(shown[1].lstrip("0.").replace(".", "")) == digits
    assert f"{old:.{digits - 1}g}" == f"{old + 1e-9:.{digits - 1}g}"  # one digit fewer: same
    for text, value in zip(shown, (old, old + 1e-9), strict=True):
        assert text == f"{value:.{digits}g}"
    assert "prefer=\"newest\"" in str(error.value)


def _dated(created, mae=None):
    def change(document):
        document["provenance"]["created"] = created
        if mae is not None:
            document["entries"][0]["metrics"]["MAE"] = mae
    return change


@pytest.mark.parametrize("order", [("old", "new"), ("new", "old")])
def test_prefer_newest_keeps_the_latest_created_and_says_so(runs, tmp_path, capsys, order):
    files = {"old": variant(runs["both"], tmp_path / "old.json", _dated(JAN, 0.25)),
             "new": variant(runs["good"], tmp_path / "new.json", _dated(FEB, 0.125))}
    out = tmp_path / "all.json"
    assert main(["merge", *(str(files[name]) for name in order), "-o", str(out),
                 "--prefer", "newest"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (f"(D, {GOOD}): kept {files['new']} (created {FEB}), replaced "
                        f"{files['old']} (created {JAN})")
    merged = load_results(out)
    assert [entry["method"] for entry in merged["entries"]] == [GOOD, WEAK]
    kept = next(entry for entry in merged["entries"] if entry["method"] == GOOD)
    assert kept["metrics"]["MAE"] == 0.125
    records = {record["file"]: record for record in merged["provenance"]["merged"]}
    assert records[str(files["old"])]["replaced"] == [["D", GOOD]]
    assert records[str(files["new"])]["entries"] == [["D", GOOD]]


def test_prefer_newest_refuses_a_tie_and_an_undated_run(runs, tmp_path):
    a = variant(runs["good"], tmp_path / "a.json", _dated(JAN, 0.25))
    b = variant(runs["good"], tmp_path / "b.json", _dated(JAN, 0.125))
    with pytest.raises(SodbenchError, match=re.escape(f"cannot choose: both runs were "
                                                      f"created at {JAN}; drop one file")):
        merge_results([a, b], prefer="newest")

    def undated(document):
        del document["provenance"]["created"]
        document["entries"][0]["metrics"]["MAE"] = 0.5
    c = variant(runs["good"], tmp_path / "c.json", undated)
    with pytest.raises(SodbenchError, match=r"c.json: its run of \(D, GoodNet\) records no "
                                            r"readable provenance created \(None\)"):
        merge_results([a, c], prefer="newest")


def test_out_equal_to_an_input_is_refused_before_writing(runs, tmp_path, capsys):
    target = variant(runs["weak"], tmp_path / "weak.json", lambda document: None)
    before = target.read_bytes()
    assert main(["merge", str(runs["good"]), str(target), "-o", str(target)]) == 2
    assert capsys.readouterr().err == (f"error: -o {target}: is RESULTS {target}, an input of "
                                       "this command; write the output to another file\n")
    assert target.read_bytes() == before


def test_a_file_given_twice_and_a_non_results_file_are_refused(runs, tmp_path, capsys):
    out = tmp_path / "o.json"
    assert main(["merge", str(runs["good"]), str(runs["good"]), "-o", str(out)]) == 2
    assert capsys.readouterr().err == (f"error: {runs['good']}: given twice; give each results "
                                       "file once\n")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"rows": []}))
    assert main(["merge", str(runs["good"]), str(other), "-o", str(out)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {other}: not a sodbench results file")
    assert not out.exists()
    with pytest.raises(SodbenchError, match="prefer='latest': choose newest"):
        merge_results([runs["good"]], prefer="latest")
    with pytest.raises(SodbenchError, match="no results files to merge"):
        merge_results([])


def test_table_of_the_merged_file_is_that_of_one_run(runs, tmp_path, capsys):
    out = tmp_path / "all.json"
    assert main(["merge", str(runs["good"]), str(runs["weak"]), "-o", str(out)]) == 0
    capsys.readouterr()
    tables = []
    for path in (out, runs["both"]):
        assert main(["table", str(path)]) == 0
        tables.append(capsys.readouterr().out)
    assert tables[0] == tables[1]
    assert "| GoodNet |" in tables[0] and "| WeakNet |" in tables[0]


def test_check_against_a_merged_baseline_is_strict(runs, tmp_path, capsys):
    out = tmp_path / "all.json"
    assert main(["merge", str(runs["good"]), str(runs["weak"]), "-o", str(out)]) == 0
    assert main(["check", str(out), "--baseline", str(out)]) == 0
    assert main(["check", str(runs["both"]), "--baseline", str(out)]) == 0
    assert main(["check", str(out), "--baseline", str(runs["both"])]) == 0
    capsys.readouterr()
    old = load_results(out)["entries"][1]["metrics"]["MAE"]
    moved = variant(out, tmp_path / "moved.json",
                    lambda document: document["entries"][1]["metrics"].update(MAE=0.5))
    assert main(["check", str(moved), "--baseline", str(out)]) == 1
    assert capsys.readouterr().out.splitlines()[1].split()[:5] == ["MAE", "D", WEAK,
                                                                   f"{old:.10g}", "0.5"]
    other = variant(out, tmp_path / "other.json", _set_images)
    assert main(["check", str(other), "--baseline", str(out)]) == 2
    assert "scored different images" in capsys.readouterr().err


def test_mixed_conventions_and_a_file_without_entry_conventions(runs, tmp_path, capsys):
    def old_file(document):
        document["provenance"] = {"sodbench_version": "0.1.0", "conventions": "matlab",
                                  "created": JAN}
        for entry in document["entries"]:
            del entry["conventions"]
    matlab = variant(runs["other"], tmp_path / "old.json", old_file)
    out = tmp_path / "all.json"
    assert main(["merge", str(runs["both"]), str(matlab), "-o", str(out)]) == 0
    merged = load_results(out)
    assert [entry["conventions"] for entry in merged["entries"]] == ["pysodmetrics"] * 2 + [
        "matlab"]
    version = load_results(runs["both"])["provenance"]["sodbench_version"]
    assert merged["provenance"]["conventions"] == MIXED
    assert merged["provenance"]["sodbench_version"] == f"{version}, 0.1.0"
    assert "options" not in merged["provenance"]
    capsys.readouterr()
    assert main(["table", str(out)]) == 0
    assert f"Metrics by sodbench {version}, 0.1.0, conventions matlab, pysodmetrics." in (
        capsys.readouterr().out)
    assert main(["check", str(out), "--baseline", str(out)]) == 0


def test_a_merged_file_merges_again_keeping_the_runs(runs, tmp_path):
    first = tmp_path / "first.json"
    dump_results(merge_results([runs["good"], runs["other"]]), first)
    merged = merge_results([first, runs["weak"]])
    assert [(entry["dataset"], entry["method"]) for entry in merged["entries"]] == [
        ("D", GOOD), ("E", GOOD), ("D", WEAK)]
    records = merged["provenance"]["merged"]
    assert [(r["file"], r.get("via"), r["entries"]) for r in records] == [
        (str(runs["good"]), str(first), [["D", GOOD]]),
        (str(runs["other"]), str(first), [["E", GOOD]]),
        (str(runs["weak"]), None, [["D", WEAK]])]
    assert records[0]["provenance"] == load_results(runs["good"])["provenance"]


def test_one_file_listing_an_entry_twice(runs, tmp_path, capsys):
    twice = variant(runs["good"], tmp_path / "twice.json",
                    lambda document: document["entries"].append(document["entries"][0]))
    assert main(["table", str(twice)]) == 2  # table's error points to merge, which fixes it
    assert "keep each once with sodbench merge RESULTS.json" in capsys.readouterr().err
    out = tmp_path / "once.json"
    assert main(["merge", str(twice), "-o", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 1 entry from 1 file (1 run)\n"
    assert main(["table", str(out)]) == 0
    assert load_results(out)["entries"] == load_results(runs["good"])["entries"]

    def differing(document):
        document["entries"].append(copy.deepcopy(document["entries"][0]))
        document["entries"][1]["metrics"]["MAE"] = 0.5
    both = variant(runs["good"], tmp_path / "both.json", differing)
    with pytest.raises(SodbenchError, match=re.escape(
            f"{both} (entry 0) and {both} (entry 1) both hold (D, GoodNet), differently: MAE ")
                       ) as error:
        merge_results([both])
    assert str(error.value).endswith("or remove one of the two entries")


def test_provenance_keeps_what_the_runs_agree_on(runs, tmp_path):
    def other_run(document):
        document["provenance"]["created"] = FEB
        document["provenance"]["options"]["metrics"] = ["MAE", "Sm"]
        document["provenance"]["python"] = "3.12.0"
    weak = variant(runs["weak"], tmp_path / "weak.json", other_run)
    good = variant(runs["good"], tmp_path / "good.json", _dated(JAN))
    provenance = merge_results([good, weak])["provenance"]
    options = load_results(good)["provenance"]["options"]
    assert provenance["created"] == FEB
    assert provenance["options"] == {key: value for key, value in options.items()
                                     if key != "metrics"}
    assert "python" not in provenance and provenance["numpy"] == load_results(good)[
        "provenance"]["numpy"]
    assert [record["provenance"]["python"] for record in provenance["merged"]] == [
        load_results(good)["provenance"]["python"], "3.12.0"]
    assert provenance["merged_at"] > "2025"


@pytest.mark.parametrize("records", ["ft.json", [{"file": "ft.json"}],
                                     [{"file": "a", "provenance": {}, "entries": ["D"]}]])
def test_a_malformed_merged_record_is_one_line(runs, tmp_path, records):
    def damaged(document):
        document["provenance"]["merged"] = records
    bad = variant(runs["good"], tmp_path / "bad.json", damaged)
    with pytest.raises(SodbenchError, match=re.escape(f"{bad}: provenance \"merged\" is not a "
                                                      "list of {file, provenance, entries}")):
        merge_results([bad, runs["weak"]])
