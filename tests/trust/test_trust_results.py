"""Catalogue: results files that are not what `sodbench eval --json` writes.

`table`, `plot` and `check` read them; a damaged or hand-edited file gives one line naming
the file and the entry, never a traceback deep in a report.
"""

from __future__ import annotations

import json

import pytest

ENTRY = {"dataset": "D", "method": "M", "metrics": {"MAE": 0.1, "Sm": None},
         "counts": {"n_evaluated": 1, "n_gt": 1, "coverage": 1.0}}


def _write(path, entries):
    path.write_text(json.dumps({"format": "sodbench.results", "schema": 1, "provenance": {},
                                "entries": entries}))
    return path


@pytest.mark.parametrize("entry, problem", [
    ("not an object", "is not an object"),
    ({**ENTRY, "metrics": {"MAE": "0.1"}}, "not numbers"),
    ({**ENTRY, "metrics": {"MAE": True}}, "not numbers"),
    ({**ENTRY, "metrics": [0.1]}, "not numbers"),
    ({**ENTRY, "method": 3}, "not a string"),
    ({**ENTRY, "counts": [1, 1]}, "\"counts\""),
    ({**ENTRY, "notes": "one"}, "\"notes\""),
    ({"dataset": "D", "method": "M"}, "lacks metrics"),
])
@pytest.mark.parametrize("command", [["table"], ["plot"], ["check", "--baseline"]])
def test_damaged_entries_are_one_line(cli, tmp_path, entry, problem, command):
    path = _write(tmp_path / "r.json", [entry])
    args = [*command[:1], path, *command[1:]]
    if command[0] == "check":
        args.append(path)
    run = cli(*args)
    assert run.code == 2
    line = run.error_line()
    assert f"{path}: entry 0 {problem}" in line or problem in line


@pytest.mark.parametrize("text", ["", "{", "[]", "\"x\"", "[" * 100000])
def test_not_json_or_not_results(cli, tmp_path, text):
    path = tmp_path / "r.json"
    path.write_text(text)
    run = cli("table", path)
    assert run.code == 2
    assert str(path) in run.error_line()


def test_results_path_that_is_a_loop(cli, tmp_path):
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    run = cli("table", tmp_path / "loop.json")
    assert run.code == 2
    assert "loop" in run.error_line()


@pytest.mark.parametrize("command", [["table"], ["plot"], ["check", "--baseline"]])
def test_results_path_that_is_a_folder(cli, tmp_path, command):
    folder = tmp_path / "results"
    folder.mkdir()
    args = [command[0], folder, *command[1:]]
    if command[0] == "check":
        args.append(folder)
    run = cli(*args)
    assert run.code == 2
    assert run.error_line() == f"error: {folder}: cannot read (is a folder, not a regular file)"
