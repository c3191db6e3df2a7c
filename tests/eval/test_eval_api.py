"""The Python API of folder evaluation: its errors name arguments (the command line maps them
to flags), and the metric conventions are called "conventions" in what it writes and reads."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from sodbench import evaluate
from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders.config import load_config
from sodbench.folders.reading import Note, NoteKind, describe, notes_from_record, notes_record
from sodbench.folders.results import dump_results, load_results, stamp


@pytest.fixture
def sample(tmp_path):
    return generate(tmp_path / "sample", n_images=6, size=24, seed=7)


def _message(call) -> str:
    with pytest.raises(SodbenchError) as error:
        call()
    return str(error.value)


def test_library_errors_name_arguments_not_flags(sample, tmp_path):
    good = sample / "pred" / "GoodNet"

    def run(**arguments):
        arguments = {"jobs": 1, **arguments}
        return _message(lambda: evaluate(sample / "GT", {"G": good}, **arguments))

    (good / "Pa_2.png").write_bytes(b"not a png")
    assert run().endswith('; use on_missing="skip" to leave it out')
    (good / "Pa_2.png").unlink()
    assert run().endswith('use on_missing="skip" to evaluate the others')
    assert run(pred_prefix="x").startswith(f"the prediction folder of G ({good}): no maps")
    gt = np.zeros((24, 24), np.uint8)
    gt[4:9, 4:9] = 128
    Image.fromarray(gt).save(sample / "GT" / "In_1.png")
    assert run(on_missing="skip").endswith("or use allow_emptied_gt=True to score it as empty")
    messages = [run(), run(jobs=0), run(on_missing="maybe"),
                _message(lambda: evaluate(sample / "GT", {}, jobs=1)),
                _message(lambda: evaluate(sample / "GT", {"G": sample / "GT"}, jobs=1)),
                _message(lambda: evaluate(tmp_path / "nope", {"G": good}, jobs=1))]
    assert messages[1:] == [
        "jobs=0: must be at least 1",
        "on_missing='maybe': choose one of error, skip",
        "preds is empty: give at least one method's prediction folder",
        f"the prediction folder of G ({sample / 'GT'}) is its GT folder ({sample / 'GT'}), so "
        "the GT would be scored against itself; give the method's own prediction folder",
        f"the GT folder {tmp_path / 'nope'}: no such folder"]
    assert not any("--" in message for message in messages)


def test_the_command_line_maps_arguments_to_flags(sample, capsys):
    (sample / "pred" / "GoodNet" / "Pa_2.png").unlink()
    args = ["eval", "--gt", str(sample / "GT"), "--pred", f"G={sample / 'pred' / 'GoodNet'}",
            "--no-cache", "--quiet"]
    assert main(args) == 2
    assert capsys.readouterr().err.endswith("; use --on-missing skip to evaluate the others\n")
    assert main([*args, "--pred-prefix", "Pa_"]) == 2
    assert capsys.readouterr().err.endswith(
        "check the name rules (--gt-prefix, --gt-suffix, --pred-prefix, --pred-suffix)\n")


def test_conventions_and_the_old_flag_name_are_one_option(sample, tmp_path):
    outputs = []
    for flag in ("--conventions", "--profile"):
        out = tmp_path / f"{flag[2:]}.json"
        assert main(["eval", "--gt", str(sample / "GT"), "--pred",
                     f"G={sample / 'pred' / 'GoodNet'}", flag, "matlab", "--json", str(out),
                     "--no-cache", "--quiet", "--jobs", "1"]) == 0
        document = json.loads(out.read_text())
        assert document["provenance"]["conventions"] == "matlab"
        assert [entry["conventions"] for entry in document["entries"]] == ["matlab"]
        assert "profile" not in document["provenance"] and "profile" not in document["entries"][0]
        outputs.append(document["entries"])
    assert outputs[0] == outputs[1]


def test_results_of_0_1_0_are_read_with_the_new_word(tmp_path):
    entry = {"dataset": "d", "method": "m", "profile": "matlab", "metrics": {"MAE": 0.5}}
    dump_results({"provenance": {"profile": "matlab", "sodbench_version": "0.1.0"},
                  "entries": [entry]}, tmp_path / "old.json")
    document = load_results(tmp_path / "old.json")
    assert document["provenance"] == {"conventions": "matlab", "sodbench_version": "0.1.0"}
    assert list(document["entries"][0]) == ["dataset", "method", "conventions", "metrics"]
    both = {**entry, "conventions": "pysodmetrics"}
    (tmp_path / "both.json").write_text(json.dumps(stamp({"entries": [both]})))
    assert _message(lambda: load_results(tmp_path / "both.json")).startswith(
        f"{tmp_path / 'both.json'}: entry 0 names the conventions twice, differently")
    with pytest.raises(SodbenchError, match="is not a results document"):
        stamp({"format": "sodbench.profile"})


def test_config_reads_conventions_under_both_names(sample, tmp_path):
    config = tmp_path / "bench.toml"
    for key in ("conventions", "profile"):
        config.write_text(f'[options]\n{key} = "matlab"\n[[dataset]]\nname = "x"\n'
                          f'gt = "{sample / "GT"}"\n[dataset.pred]\nG = "{sample / "GT"}"\n')
        assert load_config(config)[1] == {"conventions": "matlab"}


def test_notes_are_typed_and_keep_their_order_through_the_cache():
    notes = [Note(NoteKind.LUMINANCE, "a.png"), Note(NoteKind.RESIZED, "a.png"),
             Note(NoteKind.LUMINANCE, "b.png")]
    assert describe(notes) == [
        "2 RGB predictions with unequal channels converted to luminance (ITU-R 601): a.png, "
        "b.png", "1 predictions resized to their GT size (bilinear): a.png"]
    record = json.loads(json.dumps(notes_record(notes)))
    assert describe(notes_from_record(record)) == describe(notes)
    assert notes_from_record({"resized": 5}) is None
    assert notes_from_record({"odd": ["a.png"]}) is None


def test_a_run_without_tables_does_not_import_pandas(sample, tmp_path):
    # pandas takes 0.4 s to import: a run that writes no per-image table and keeps no cache
    # (a CI check, a benchmark) must not pay it; the table is made when first read
    import subprocess
    import sys

    code = ("import sys; from sodbench import evaluate; "
            f"document = evaluate({str(sample / 'GT')!r}, "
            f"{{'GoodNet': {str(sample / 'pred' / 'GoodNet')!r}}}, jobs=1); "
            "assert document['entries'][0]['metrics']['MAE'] > 0; "
            "print('pandas' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
    from sodbench.folders.evaluation import Task, run

    [result] = run([Task("s", "GoodNet", sample / "GT", sample / "pred" / "GoodNet")], jobs=1)
    assert len(result.per_image) == result.entry["counts"]["n_evaluated"]
    assert result.per_image is result.per_image  # made once
