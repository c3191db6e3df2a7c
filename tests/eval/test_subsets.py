"""Subsets (eval --subset, --subsets, --subset-preset, --size-buckets): the whole set's numbers
do not change by a bit, each subset's equal the same Evaluator on that subset's images alone,
and every way of giving subsets refuses what cannot be meant."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from sodbench import Evaluator, evaluate
from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.evaluator import Subset, Subsets
from sodbench.evaluator.subsets import parse_size_buckets
from sodbench.folders.evaluation import run
from sodbench.folders.results import dump_results, load_results
from sodbench.folders.tasks import Options, Task

KEYS = ["MAE", "Sm", "wF", "maxF", "meanF", "adpF", "maxE", "meanE", "adpE", "IoU", "pooledF",
        "odsF", "oisF", "AP", "AUC", "pooledIoU"]


def _scalars(scores: dict) -> dict:
    return {key: value for key, value in scores.items() if key != "curves"}


def _close(ours: dict, theirs: dict, tolerance: float = 1e-12) -> None:
    assert set(ours) == set(theirs)
    for key in ours:
        if key == "curves":
            for name in ours[key]:
                np.testing.assert_allclose(ours[key][name], theirs[key][name], rtol=0,
                                           atol=tolerance, err_msg=name)
        else:
            assert ours[key] == pytest.approx(theirs[key], abs=tolerance), key


def _pairs(seed: int, count: int, dtype=np.uint8, size=(18, 22)):
    """Random maps whose GT foreground fractions cover every size bucket and an empty GT."""
    rng = np.random.default_rng(seed)
    pairs = []
    for index in range(count):
        gt = np.zeros(size, np.uint8)
        side = [0, 1, 5, 9, 14][index % 5]  # 0%, 0.25%, 6%, 20%, 49% foreground
        gt[1:1 + side, 2:2 + side] = 255
        pred = rng.random(size)
        pred = (pred * 255).round().astype(np.uint8) if dtype == np.uint8 else pred
        name = ["In", "Pa", "Sc"][index % 3] + f"_{index}"
        pairs.append((name, pred, gt))
    return pairs


RULE = Subsets.build({"odd": ["*1", "*3", "*5", "*7", "*9"]}, preset="sd-saliency-900",
                     size_buckets=True)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("step", [1, 4, 40])
def test_whole_set_bits_unchanged_and_subsets_equal_their_images_alone(dtype, step):
    pairs = _pairs(3, 40, dtype)
    plain, split = Evaluator(metrics=KEYS), Evaluator(metrics=KEYS, subsets=RULE)
    for start in range(0, len(pairs), step):  # one-by-one (buffered), small and whole batches
        chunk = pairs[start:start + step]
        for evaluator in (plain, split):
            evaluator.update(np.stack([p for _, p, _ in chunk]),
                             np.stack([g for _, _, g in chunk]),
                             names=[n for n, _, _ in chunk], batch=True)
    whole, ours = plain.compute(), split.compute()
    assert _scalars(whole) == _scalars(ours)  # bit for bit, not approximately
    assert all((whole["curves"][k] == ours["curves"][k]).all() for k in whole["curves"])
    members = split.subset_members()
    assert members["In"] == tuple(n for n, _, _ in pairs if n.startswith("In_"))
    assert members["odd"] == tuple(n for n, _, _ in pairs if n[-1] in "13579")
    assert [len(members[b]) for b in ("small", "medium", "large")] == [8, 8, 16]  # 8 empty GTs
    for subset, names in members.items():
        alone = Evaluator(metrics=KEYS)
        for name, pred, gt in pairs:
            if name in names:
                alone.update(pred, gt, names=[name])
        _close(split.compute(subset=subset), alone.compute())


def test_size_buckets_at_their_thresholds():
    rule = Subsets.build(size_buckets="1%,10%")
    fractions = np.array([0.0, 1e-9, 0.0099, 0.01, 0.0999, 0.1, 1.0])
    assert rule.members([str(i) for i in range(7)], fractions) == [
        (), ("small",), ("small",), ("medium",), ("medium",), ("large",), ("large",)]
    assert parse_size_buckets("0.5%, 5%") == (0.005, 0.05)
    assert parse_size_buckets([0.02, 0.3]) == (0.02, 0.3)
    for bad in ("10%,1%", "1%", "0,0.1", "1%,100%", "a,b", "1%,10%,20%", "nan,0.1"):
        with pytest.raises(SodbenchError, match="give two ascending foreground fractions"):
            parse_size_buckets(bad)


def test_subset_rules_refuse_what_cannot_be_meant():
    cases = [
        (lambda: Subsets.build({"a;b": "x*"}), "may not hold ';'"),
        (lambda: Subsets.build({" a": "x*"}), "without leading or trailing spaces"),
        (lambda: Subsets.build({"small": "x*"}, size_buckets=True), "a size bucket's name"),
        (lambda: Subsets.build({"In": "x*"}, preset="sd-saliency-900"), "defined twice"),
        (lambda: Subsets.build(preset="sd-900"), "known presets are sd-saliency-900"),
        (lambda: Subset("a"), "names no image"),
        (lambda: Evaluator(subsets={"a": "x*"}), "pass a sodbench.evaluator.Subsets"),
    ]
    for call, message in cases:
        with pytest.raises(SodbenchError, match=message):
            call()
    assert Subsets.build() is None and Subsets.build(size_buckets=False) is None


def test_state_merge_and_per_image_keep_subsets():
    pairs = _pairs(5, 12)
    first, second = Evaluator(metrics=KEYS, subsets=RULE), Evaluator(metrics=KEYS, subsets=RULE)
    whole = Evaluator(metrics=KEYS, subsets=RULE)
    for index, (name, pred, gt) in enumerate(pairs):
        (first if index < 7 else second).update(pred, gt, names=[name])
        whole.update(pred, gt, names=[name])
    first.merge(Evaluator.from_state(json.loads(json.dumps(second.state()))))
    for subset in RULE.names:
        _close(first.compute(subset=subset), whole.compute(subset=subset))
    table = first.per_image()
    assert table["subsets"].tolist() == [";".join(m) for m in whole._memberships]
    assert table.loc[table["name"] == "Pa_1", "subsets"].item() == "Pa;odd;small"
    with pytest.raises(SodbenchError, match="different subsets"):
        first.merge(Evaluator(metrics=KEYS))
    with pytest.raises(SodbenchError, match="'nope' is not scored"):
        first.compute(subset="nope")
    empty = Evaluator(metrics=["MAE"], subsets=Subsets.build({"x": "zz*"}))
    empty.update(pairs[0][1], pairs[0][2], names=["In_0"])
    with pytest.raises(SodbenchError, match="holds none of the 1 images"):
        empty.compute(subset="x")
    state = first.state()
    state["subsets"]["members"][0] = ["In", "unknown"]
    with pytest.raises(SodbenchError, match="do not match its rule"):
        Evaluator.from_state(state)
    state = first.state()
    state["subsets"]["sums"]["In"].pop(next(iter(state["subsets"]["sums"]["In"])))
    with pytest.raises(SodbenchError, match="lacks some sums"):
        Evaluator.from_state(state)


@pytest.fixture
def sample(tmp_path):
    return generate(tmp_path / "sample", n_images=24, size=32, seed=11)


def _subset_folder(sample, tmp_path, prefix: str):
    """The GT and GoodNet folders of ``sample`` cut to the names starting with ``prefix``."""
    folder = tmp_path / f"only_{prefix}"
    for part in ("GT", "GoodNet"):
        source = sample / ("GT" if part == "GT" else "pred/GoodNet")
        (folder / part).mkdir(parents=True)
        for path in source.glob(f"{prefix}*.png"):
            shutil.copy(path, folder / part / path.name)
    return folder


def test_evaluate_with_subsets_equals_the_subset_folders_alone(sample, tmp_path):
    preds = {"GoodNet": sample / "pred" / "GoodNet", "WeakNet": sample / "pred" / "WeakNet"}
    plain = evaluate(sample / "GT", preds, metrics=KEYS, jobs=1, chunk_size=5)
    ours = evaluate(sample / "GT", preds, metrics=KEYS, jobs=2, chunk_size=5,
                    subset_preset="sd-saliency-900", size_buckets="2%,8%")
    for a, b in zip(plain["entries"], ours["entries"], strict=True):
        assert a["metrics"] == b["metrics"]  # the whole set: the same bits
        order = ["In", "Pa", "Sc", "small", "medium", "large"]
        assert list(b["subsets"]) == [name for name in order if name in b["subsets"]]
        assert {"In", "Pa", "Sc"} <= set(b["subsets"])
    entry = ours["entries"][0]
    assert ours["provenance"]["options"]["subsets"]["size_buckets"] == [0.02, 0.08]
    for prefix in ("In", "Pa", "Sc"):
        folder = _subset_folder(sample, tmp_path, prefix)
        alone = evaluate(folder / "GT", {"GoodNet": folder / "GoodNet"}, metrics=KEYS, jobs=1)
        block = entry["subsets"][prefix]
        assert block["counts"]["n_evaluated"] == 8
        assert block["counts"]["images_sha256"] == alone["entries"][0]["counts"]["images_sha256"]
        for key, value in alone["entries"][0]["metrics"].items():
            assert block["metrics"][key] == pytest.approx(value, abs=1e-12, nan_ok=True), key
        for name, values in alone["entries"][0]["curves"].items():
            np.testing.assert_allclose(block["curves"][name], values, rtol=0, atol=1e-12)
    sizes = sum(entry["subsets"][b]["counts"]["n_evaluated"]
                for b in ("small", "medium", "large") if b in entry["subsets"])
    assert sizes == 24
    path = tmp_path / "r.json"
    dump_results(ours, path)
    assert load_results(path)["entries"][0]["subsets"]["Sc"]["metrics"] == \
        entry["subsets"]["Sc"]["metrics"]


def test_a_bucket_without_images_is_noted_not_stored(sample):
    document = evaluate(sample / "GT", {"G": sample / "pred" / "GoodNet"}, jobs=1,
                        metrics=["MAE"], size_buckets="0.01%,0.02%")
    entry = document["entries"][0]
    assert set(entry["subsets"]) == {"large"}
    assert "subset small holds no scored image: not in the results" in entry["notes"]


def test_cache_keeps_subsets_apart_and_resumes(sample, tmp_path):
    preds = {"G": sample / "pred" / "GoodNet"}
    cache = tmp_path / "cache"
    plain = evaluate(sample / "GT", preds, jobs=1, cache_dir=cache)
    ours = evaluate(sample / "GT", preds, jobs=1, cache_dir=cache, subset_preset="sd-saliency-900")
    assert "subsets" not in plain["entries"][0] and "In" in ours["entries"][0]["subsets"]
    again = evaluate(sample / "GT", preds, jobs=1, cache_dir=cache,
                     subset_preset="sd-saliency-900")
    assert {name: block["metrics"] for name, block in again["entries"][0]["subsets"].items()} \
        == {name: block["metrics"] for name, block in ours["entries"][0]["subsets"].items()}
    other = evaluate(sample / "GT", preds, jobs=1, cache_dir=cache, subsets={"x": "In_1*"})
    assert list(other["entries"][0]["subsets"]) == ["x"]


def _cli(capsys, *arguments) -> tuple[int, str, str]:
    code = main(list(arguments))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_subsets_csv_per_image_table_and_compare(sample, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "classes.csv").write_text("name,subset\nIn_1,hard\nSc_2,hard\nIn_1,first\n")
    code, _, err = _cli(capsys, "eval", "--gt", str(sample / "GT"), "--pred",
                        f"G={sample / 'pred' / 'GoodNet'}", "--pred",
                        f"W={sample / 'pred' / 'WeakNet'}", "--subsets", "classes.csv",
                        "--subset", "scratches=Sc_*", "--size-buckets", "--per-image", "pi.csv",
                        "--json", "r.json", "--quiet", "--no-cache")
    assert code == 0, err
    document = json.loads((tmp_path / "r.json").read_text())
    assert list(document["entries"][0]["subsets"])[:3] == ["scratches", "hard", "first"]
    assert document["entries"][0]["subsets"]["hard"]["counts"]["n_evaluated"] == 2
    frame = pd.read_csv(tmp_path / "pi.csv", keep_default_na=False)
    row = frame[(frame["method"] == "G") & (frame["name"] == "In_1")]
    assert row["subsets"].item().split(";")[:2] == ["hard", "first"]
    code, out, err = _cli(capsys, "table", "r.json", "--subsets", "--columns", "MAE,Sm")
    assert code == 0, err
    header = out.splitlines()[0]
    assert header.index("sample: scratches") < header.index("sample: hard")
    assert "Subsets of sample: scratches: 8 images, Sc_*; hard: 2 images, 2 listed names" in \
        out.replace("\\", "")
    code, out, err = _cli(capsys, "table", "r.json", "--subsets", "hard,first", "--columns",
                          "MAE")
    assert code == 0, err
    assert "sample: hard" in out and "scratches" not in out and "small" not in out
    code, out, err = _cli(capsys, "table", "r.json", "--subsets", "hard,zz")
    assert code == 2 and err == ("error: --subsets 'hard,zz': the results hold the subsets "
                                 "scratches, hard, first, small, medium, large\n")
    code, out, err = _cli(capsys, "compare", "pi.csv", "--metric", "MAE", "--subset",
                          "scratches", "--resamples", "200", "--json", "c.json")
    assert code == 0, err
    result = json.loads((tmp_path / "c.json").read_text())
    assert result["subset"] == "scratches" and result["methods"]["G"]["n"] == 8
    scratches = frame[frame["name"].str.startswith("Sc_") & (frame["method"] == "G")]
    assert result["methods"]["G"]["mean"] == pytest.approx(scratches["MAE"].mean(), abs=1e-15)


def test_cli_preset_on_sd900_counts_each_class(sd900, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(capsys, "eval", "--gt", str(sd900 / "GT"), "--pred",
                        f"FT={sd900 / 'pred' / 'FT'}", "--metrics", "MAE", "--subset-preset",
                        "sd-saliency-900", "--json", "r.json", "--quiet", "--no-cache")
    assert code == 0, err
    subsets = json.loads((tmp_path / "r.json").read_text())["entries"][0]["subsets"]
    assert {name: block["counts"]["n_evaluated"] for name, block in subsets.items()} == {
        "In": 300, "Pa": 300, "Sc": 300}
    whole = json.loads((tmp_path / "r.json").read_text())["entries"][0]["metrics"]["MAE"]
    assert np.mean([subsets[c]["metrics"]["MAE"] for c in ("In", "Pa", "Sc")]) == \
        pytest.approx(whole, abs=1e-15)  # equal classes: the mean of the means


@pytest.mark.parametrize(("arguments", "message"), [
    (["--subset", "noglob"], "--subset 'noglob': write it as NAME=GLOB"),
    (["--subset", "x=in_*"], "subset x (in_*) takes none of the 24 GT names of this run"),
    (["--subset-preset", "duts"], "--subset-preset 'duts' is unknown: known presets are"),
    (["--size-buckets", "10%,1%"], "--size-buckets '10%,1%': give two ascending"),
    (["--subsets", "bad.csv"], "--subsets bad.csv: the first line must be the header"),
    (["--subsets", "typo.csv"], "subset hard lists 1 names that are no GT image of this run "
                                "(In_99)"),
    (["--subsets", "missing.csv"], "--subsets missing.csv: no such file"),
    (["--subset", "small=In_*", "--size-buckets"], "a size bucket's name"),
])
def test_cli_subset_errors_are_one_line(sample, tmp_path, capsys, monkeypatch, arguments,
                                        message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.csv").write_text("image,class\nIn_1,x\n")
    (tmp_path / "typo.csv").write_text("name,subset\nIn_1,hard\nIn_99,hard\n")
    code, out, err = _cli(capsys, "eval", "--gt", str(sample / "GT"), "--pred",
                          f"G={sample / 'pred' / 'GoodNet'}", "--no-cache", "--quiet",
                          *arguments)
    assert code != 0 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert "Traceback" not in err


def test_config_subset_keys(sample, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\nsubset = ["odd=*1"]\nsubset_preset = "sd-saliency-900"\n'
                      f'size_buckets = "2%,8%"\njson = "r.json"\ncache = false\nquiet = true\n'
                      f'[[dataset]]\nname = "S"\ngt = "{sample / "GT"}"\n'
                      f'[dataset.pred]\nG = "{sample / "pred" / "GoodNet"}"\n')
    code, _, err = _cli(capsys, "eval", "--config", str(config))
    assert code == 0, err
    entry = json.loads((tmp_path / "r.json").read_text())["entries"][0]
    assert list(entry["subsets"])[:4] == ["In", "Pa", "Sc", "odd"]
    config.write_text(config.read_text().replace('"2%,8%"', '"big"'))
    code, _, err = _cli(capsys, "eval", "--config", str(config))
    assert code != 0 and "key 'size_buckets'" in err and "give two ascending" in err


def test_table_and_compare_refuse_missing_subsets(sample, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _cli(capsys, "eval", "--gt", str(sample / "GT"), "--pred",
                        f"G={sample / 'pred' / 'GoodNet'}", "--pred",
                        f"W={sample / 'pred' / 'WeakNet'}", "--json", "r.json", "--per-image",
                        "pi.csv", "--quiet", "--no-cache")
    assert code == 0, err
    code, _, err = _cli(capsys, "table", "r.json", "--subsets")
    assert code != 0 and "--subsets: the results hold no subsets" in err
    code, _, err = _cli(capsys, "compare", "pi.csv", "--metric", "MAE", "--subset", "In")
    assert code != 0 and "--subset In: pi.csv has no subsets column" in err


def test_results_with_a_damaged_subset_are_refused(tmp_path):
    entry = {"dataset": "D", "method": "M", "metrics": {"MAE": 0.1},
             "subsets": {"In": {"metrics": {"MAE": 3.0}}}}
    path = tmp_path / "r.json"
    dump_results({"entries": [entry]}, path)
    with pytest.raises(SodbenchError, match="entry 0 subset 'In' has MAE = 3.0, outside"):
        load_results(path)
    entry["subsets"] = ["In"]
    dump_results({"entries": [entry]}, path)
    with pytest.raises(SodbenchError, match="\"subsets\" that is not an object"):
        load_results(path)


def test_check_compares_each_subset_as_strictly_as_a_dataset(sample, tmp_path, capsys,
                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, extra in (("plain.json", []), ("split.json", ["--subset-preset",
                                                            "sd-saliency-900"])):
        code, _, err = _cli(capsys, "eval", "--gt", str(sample / "GT"), "--pred",
                            f"G={sample / 'pred' / 'GoodNet'}", "--metrics", "MAE,Sm",
                            "--json", name, "--quiet", "--no-cache", *extra)
        assert code == 0, err
    code, out, _ = _cli(capsys, "check", "split.json", "--baseline", "split.json")
    assert code == 0 and "ok: 8 values" in out  # MAE and Sm of the whole set and 3 classes
    code, _, err = _cli(capsys, "check", "plain.json", "--baseline", "split.json")
    assert code == 2 and "only in split.json: (sample: In, G), (sample: Pa, G)" in err
    document = json.loads((tmp_path / "split.json").read_text())
    document["entries"][0]["subsets"]["Pa"]["metrics"]["MAE"] += 0.01
    (tmp_path / "moved.json").write_text(json.dumps(document))
    code, out, _ = _cli(capsys, "check", "moved.json", "--baseline", "split.json")
    assert code == 1 and "sample: Pa" in out and "MAE" in out
    document["entries"][0]["subsets"]["Pa"]["counts"]["images_sha256"] = "0" * 64
    (tmp_path / "other.json").write_text(json.dumps(document))
    code, _, err = _cli(capsys, "check", "other.json", "--baseline", "split.json")
    assert code == 2 and "(sample: Pa, G)" in err and "scored different images" in err


def test_an_interrupted_run_resumes_its_subsets(sample, tmp_path):
    """A chunk cached before a Ctrl-C keeps its subsets' sums: the resumed run equals a run
    in one go, subsets included, bit for bit."""
    from eval_helpers import InProcess

    preds = {"G": sample / "pred" / "GoodNet"}
    options = {"subset_preset": "sd-saliency-900", "size_buckets": True, "chunk_size": 8,
               "metrics": KEYS}
    cache = tmp_path / "cache"
    with pytest.raises(KeyboardInterrupt):
        evaluate(sample / "GT", preds, executor=InProcess(interrupt_at=2), cache_dir=cache,
                 **options)
    assert len(list((cache / "partial").glob("*/*.json"))) == 2  # chunks 0 and 1 kept
    rule = Subsets.build(preset="sd-saliency-900", size_buckets=True)
    [result] = run([Task("sample", "G", sample / "GT", preds["G"])],
                   Options(metrics=KEYS, subsets=rule), jobs=1, cache_dir=cache, chunk_size=8)
    assert result.resumed_chunks == 2  # taken from the cache, with their subset sums
    whole = evaluate(sample / "GT", preds, jobs=1, **options)["entries"][0]
    assert result.entry["metrics"] == whole["metrics"]
    assert {name: block["metrics"] for name, block in result.entry["subsets"].items()} == \
        {name: block["metrics"] for name, block in whole["subsets"].items()}
