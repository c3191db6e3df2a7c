"""Catalogue: output streams that cannot encode the tables' arrows.

Reported: under `PYTHONIOENCODING=cp1252`, `eval` and `table` crash on `↓`. They fall back
to ASCII arrows (`v` lower is better, `^` higher is better) on such a stream.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLI = [sys.executable, "-c", "from sodbench.cli import run; run()"]


def _run(*args, encoding: str):
    env = {**os.environ, "PYTHONIOENCODING": encoding}
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, env=env, timeout=120)


# (an "ascii" stream is not among them: click takes it for a misconfigured locale and
# writes UTF-8 to it, which prints and does not crash)
@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "cp437"])
def test_eval_table_on_a_narrow_stream(sample, tmp_path, encoding):
    done = _run("eval", "--gt", sample / "GT", "--pred", f"A={sample / 'pred' / 'GoodNet'}",
                "--json", tmp_path / "r.json", "--no-cache", encoding=encoding)
    assert done.returncode == 0, done.stderr.decode(encoding)
    header = done.stdout.decode(encoding).splitlines()[0]
    assert "MAEv" in header and "Sm^" in header
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("fmt", ["md", "latex", "html", "csv"])
def test_table_on_a_cp1252_stream(fmt):
    done = _run("table", "--leaderboard", "sd-saliency-900", "--format", fmt,
                encoding="cp1252")
    assert done.returncode == 0, done.stderr.decode("cp1252")
    text = done.stdout.decode("cp1252")
    assert "BASNet" in text
    if fmt == "md":
        assert "MAEv" in text


def test_utf8_stream_keeps_the_arrows(sample, tmp_path):
    done = _run("eval", "--gt", sample / "GT", "--pred", f"A={sample / 'pred' / 'GoodNet'}",
                "--no-cache", encoding="utf-8")
    assert done.returncode == 0
    assert "MAE↓" in done.stdout.decode("utf-8")


def test_unencodable_method_name_is_escaped_not_fatal(tmp_path):
    from sodbench.folders.results import dump_results

    dump_results({"provenance": {}, "entries": [
        {"dataset": "D", "method": "Net–β", "metrics": {"MAE": 0.1},
         "counts": {"n_evaluated": 1, "n_gt": 1, "coverage": 1.0}}]}, tmp_path / "r.json")
    done = _run("table", tmp_path / "r.json", encoding="cp1252")
    assert done.returncode == 0, done.stderr
    assert "Net–\\u03b2" in done.stdout.decode("cp1252")
