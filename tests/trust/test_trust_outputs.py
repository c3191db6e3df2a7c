"""Catalogue: outputs of `sodbench eval` that would overwrite or could not be written.

Reported: `eval --json x.json --per-image x.json` (and `--curves x.csv --per-image x.csv`)
collide; unwritable `--json`, `--per-image`, `--cache-dir` fail only after the whole
evaluation under `--no-cache`; `curves.npz` is written with mode 0600; `--curves` with a
metric set that keeps no curves writes threshold columns with no values.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from trust_helpers import digests

from sodbench.folders import evaluation


def _eval_args(sample, *extra):
    return ["eval", "--gt", sample / "GT", "--pred", f"GoodNet={sample / 'pred' / 'GoodNet'}",
            "--quiet", *extra]


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if the evaluation starts: refusals must come before the work."""
    def refuse(*args, **kwargs):
        raise AssertionError("the evaluation ran before the outputs were checked")
    monkeypatch.setattr(evaluation, "run", refuse)
    monkeypatch.setattr("sodbench.cli.eval.run", refuse, raising=False)


@pytest.mark.parametrize("first, second", [("--json", "--per-image"), ("--curves", "--per-image"),
                                           ("--json", "--curves")])
def test_two_outputs_on_one_path_are_refused(cli, sample, tmp_path, first, second, no_work):
    name = "x.csv" if "--json" not in (first, second) else "x.json"
    if first == "--json" and second == "--curves":
        name = "x.npz"
    (tmp_path / name).write_text("the user's own file\n")
    before = digests(tmp_path / name, sample)
    run = cli(*_eval_args(sample, first, tmp_path / name, second, tmp_path / name))
    assert run.code == 2
    line = run.error_line()
    assert f"{second} {tmp_path / name}" in line and f"{first} {tmp_path / name}" in line
    assert digests(tmp_path / name, sample) == before


def test_same_file_through_another_spelling_is_refused(cli, sample, tmp_path, no_work):
    run = cli(*_eval_args(sample, "--json", "out/x.json", "--per-image", "out/../out/x.json",
                          "--no-cache"))
    assert run.code == 2
    assert "already written by this command" in run.error_line()


def test_output_inside_an_input_folder_is_refused(cli, sample, no_work):
    before = digests(sample)
    for target in (sample / "GT" / "In_1.png", sample / "pred" / "GoodNet" / "r.json"):
        run = cli(*_eval_args(sample, "--json", target))
        assert run.code == 2
        assert str(target) in run.error_line() and "input folder" in run.error_line()
    assert digests(sample) == before


def test_config_file_is_an_input(cli, sample, tmp_path, no_work):
    config = tmp_path / "bench.toml"
    config.write_text(f'[options]\njson = "bench.toml"\n\n[[dataset]]\nname = "S"\n'
                      f'layout = "sd-saliency-900"\nroot = "{sample}"\n')
    before = config.read_bytes()
    run = cli("eval", "--config", config, "--quiet")
    assert run.code == 2
    assert "bench.toml" in run.error_line() and "input" in run.error_line()
    assert config.read_bytes() == before


@pytest.mark.parametrize("option", ["--json", "--per-image", "--curves"])
def test_folder_in_place_of_a_file(cli, sample, tmp_path, option, no_work):
    folder = tmp_path / "taken.csv"
    folder.mkdir()
    run = cli(*_eval_args(sample, option, folder, "--no-cache"))
    assert run.code == 2
    assert f"{option} {folder}: {folder} is a folder" in run.error_line()


@pytest.mark.parametrize("option", ["--json", "--per-image", "--curves", "--cache-dir"])
def test_file_in_place_of_a_folder(cli, sample, tmp_path, option, no_work):
    (tmp_path / "plain").write_text("x")
    target = tmp_path / "plain" / "out.csv"
    run = cli(*_eval_args(sample, option, target))
    assert run.code == 2
    assert "plain is a file, not a folder" in run.error_line()
    assert (tmp_path / "plain").read_text() == "x"


def test_cache_dir_that_is_a_file(cli, sample, tmp_path, no_work):
    (tmp_path / "cache").write_text("x")
    run = cli(*_eval_args(sample, "--cache-dir", tmp_path / "cache"))
    assert run.code == 2
    assert f"--cache-dir {tmp_path / 'cache'}" in run.error_line()


@pytest.mark.parametrize("option", ["--json", "--per-image", "--curves", "--cache-dir"])
def test_read_only_folder_is_refused_before_the_work(cli_read_only, sample, tmp_path, option):
    folder = tmp_path / "read_only"
    folder.mkdir()
    target = folder / ("cache" if option == "--cache-dir" else "out.csv")
    # --no-cache: the failure used to come only after the whole evaluation
    extra = [] if option == "--cache-dir" else ["--no-cache"]
    run = cli_read_only(_eval_args(sample, option, target, *extra), read_only=[folder])
    assert run.code == 2, run.err
    line = run.error_line()
    assert f"{option} {target}" in line and "cannot write" in line
    assert list(folder.iterdir()) == []


def test_unwritable_default_cache_is_refused_before_the_work(cli_read_only, sample, tmp_path):
    folder = tmp_path / "read_only"
    folder.mkdir()
    run = cli_read_only(_eval_args(sample, "--json", folder / "r.json"), read_only=[folder])
    assert run.code == 2
    assert "cannot write" in run.error_line()


def test_curves_without_curve_metrics_is_refused(cli, sample, tmp_path, no_work):
    run = cli(*_eval_args(sample, "--metrics", "MAE,Sm", "--curves", tmp_path / "c.csv"))
    assert run.code == 2
    line = run.error_line()
    assert "--curves" in line and "maxF" in line
    assert not (tmp_path / "c.csv").exists()


def test_outputs_get_the_umask_mode(cli, sample, tmp_path):
    old = os.umask(0o027)
    try:
        run = cli(*_eval_args(sample, "--json", tmp_path / "r.json", "--per-image",
                              tmp_path / "p.csv", "--curves", tmp_path / "c.npz"))
    finally:
        os.umask(old)
    assert run.code == 0, run.err
    for name in ("r.json", "p.csv", "c.npz"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o640, name
    with np.load(tmp_path / "c.npz") as curves:
        assert curves["threshold"].shape == (256,)
    assert not list(tmp_path.glob(".*.tmp")), "a temporary file was left behind"


def test_api_refuses_an_unusable_cache_folder(sample, tmp_path):
    from sodbench import evaluate
    from sodbench.errors import SodbenchError

    (tmp_path / "cache").write_text("x")
    with pytest.raises(SodbenchError, match="cache_dir"):
        evaluate(sample / "GT", {"GoodNet": sample / "pred" / "GoodNet"},
                 cache_dir=tmp_path / "cache")


@pytest.mark.parametrize("command", ["sample", "demo"])
def test_filling_a_folder_of_user_files_is_refused(cli, sample, command, no_work):
    before = digests(sample / "GT")
    run = cli(command, "--out", sample / "GT")
    assert run.code == 2
    line = run.error_line()
    assert str(sample / "GT") in line and "not empty" in line
    assert digests(sample / "GT") == before
    assert not (sample / "GT" / "Img").exists()


def test_sample_reuses_its_own_folder(cli, tmp_path):
    for _ in range(2):
        run = cli("sample", "--out", tmp_path / "s", "--n-images", "3", "--size", "32")
        assert run.code == 0, run.err
    assert (tmp_path / "s" / ".sodbench-sample").is_file()
    assert sorted(p.name for p in (tmp_path / "s" / "GT").iterdir()) == [
        "In_1.png", "Pa_1.png", "Sc_1.png"]


def test_baseline_maps_never_land_in_the_image_folder(sample):
    from sodbench.demo.baselines import predict_folder
    from sodbench.errors import SodbenchError

    before = digests(sample / "Img")
    with pytest.raises(SodbenchError, match="input folder"):
        predict_folder(sample / "Img", sample / "Img")
    assert digests(sample / "Img") == before
