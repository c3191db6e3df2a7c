"""The docstring examples of every module of ``sodbench/`` and ``minet_ref/`` run, one test each.

In-process :class:`doctest.DocTestRunner` rather than ``pytest --doctest-modules`` in a
subprocess: one interpreter start for all modules, and a failure shows doctest's own report.
Examples run in a fresh temporary working folder, so one that writes a file leaves nothing
behind. Modules without examples pass. A module that needs an optional dependency (the
``torch`` extra) skips, with its reason, where that dependency is not installed.
"""

from __future__ import annotations

import doctest
import importlib
import io
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = {"torch", "fvcore", "thop", "onnx", "onnxruntime"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = []
    for package in ("sodbench", "minet_ref"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples(name, tmp_path, monkeypatch):
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] in OPTIONAL:
            pytest.skip(f"{name} needs {error.name} (an optional dependency)")
        raise
    monkeypatch.chdir(tmp_path)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        runner.run(test, out=report.write)
    if runner.failures:
        pytest.fail(f"{runner.failures} of {runner.tries} examples of {name} failed:\n"
                    f"{report.getvalue()}", pytrace=False)
