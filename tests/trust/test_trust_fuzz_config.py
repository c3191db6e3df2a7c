"""Fuzzing the TOML config reader and the ``--pred NAME=DIR`` parser (hypothesis).

``load_config`` on random bytes, on documents assembled from config fragments, and on
random TOML documents built from the config's own keys with values of every TOML type,
returns valid tasks and options or raises a one-line :class:`SodbenchError`; nothing else.
``--pred`` values, parsed directly and through ``sodbench eval``, give a run (exit 0) or one
``error:`` line (exit 2), never a traceback. Example counts are bounded and derandomized.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sodbench.cli import main
from sodbench.cli.eval import parse_pred
from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders.config import DATASET_KEYS, LAYOUTS, OPTION_TYPES, PATH_OPTIONS, load_config
from sodbench.folders.inputs import name_problem
from sodbench.folders.tasks import Task

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

# the autouse fixtures of conftest (chdir, environment) hold for every example alike
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
CLI_FUZZ = settings(FUZZ, max_examples=40)


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A folder holding a sample dataset, a looping link, a file and the configs."""
    folder = tmp_path_factory.mktemp("fuzz_config")
    generate(folder / "sample", n_images=4, size=24, seed=3)
    for method in ("GoodNet", "WeakNet"):  # the <pred_root>/<method>/<dataset>/ layout
        shutil.copytree(folder / "sample" / "pred" / method, folder / "runs" / method / "S")
    (folder / "runs" / "LoopNet").symlink_to("LoopNet")
    (folder / "loop").symlink_to("loop")
    (folder / "file.txt").write_text("not a folder\n")
    return folder


# --- a TOML writer (inline tables only: enough for every structure a config can hold) -----

def _toml_string(text: str) -> str:
    escaped = []
    for ch in text:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append(f"\\u{ord(ch):04X}")
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, datetime.date)):
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


def _toml_document(table: dict) -> str:
    return "".join(f"{_toml_key(key)} = {_toml_value(value)}\n" for key, value in table.items())


# --- strategies -----------------------------------------------------------------------------

scalars = st.one_of(
    st.text(max_size=12), st.integers(-2**63, 2**63 - 1), st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True), st.dates())
values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6)
folders = st.one_of(
    st.sampled_from(["sample", "sample/GT", "sample/pred", "sample/pred/GoodNet",
                     "sample/pred/WeakNet", "sample/Img", "missing", "loop", "loop/GT",
                     "file.txt", "", ".", "~", "sample\0GT"]),
    st.text(max_size=10))
names = st.one_of(st.sampled_from(["S", "GoodNet", "WeakNet", "", "a\nb", "x=y", "DUTS-TE"]),
                  st.text(max_size=8))


def _option_value(key: str, safe_paths: bool):
    right = {str: st.text(max_size=10), int: st.integers(-3, 4), bool: st.booleans(),
             list: st.lists(values, max_size=3),
             (list, str): st.one_of(st.text(max_size=10), st.lists(values, max_size=3)),
             (str, int): st.one_of(st.text(max_size=10), st.integers(-3, 1 << 40)),
             (int, float): st.one_of(st.integers(-3, 100), st.floats())}
    if key in PATH_OPTIONS and safe_paths:  # the CLI writes there: stay inside `base`
        return st.sampled_from(["out/r.json", "r.csv", "c.npz", "sample/GT/x.json", "sample",
                                "file.txt", "loop", "", "\0"])
    special = {"profile": st.sampled_from(["pysodmetrics", "matlab", "minet-tii2024", "x"]),
               "metrics": st.sampled_from(["MAE,Sm", ["MAE", "maxF"], ["MAE", 3], "", "XYZ"]),
               "on_missing": st.sampled_from(["error", "skip", "maybe"]),
               "max_memory": st.sampled_from(["8G", "1.5GiB", "1K", "abc", 0, -2, "", 4096]),
               # never a reachable cluster: a fuzz run must not start one or wait for one
               "scheduler": st.sampled_from(["local:0", "local:x", "tcp://h", "http://h:1", ""]),
               "scheduler_timeout": st.sampled_from([0, -1, 0.5, 30, float("inf"),
                                                     float("nan")]),
               "subset": st.sampled_from([["In=In_*"], ["odd=*1", "x"], [3], ["a;b=*"],
                                          "In=In_*", []]),
               "subset_preset": st.sampled_from(["sd-saliency-900", "duts", ""]),
               "size_buckets": st.sampled_from(["1%,10%", "0.02,0.3", "10%,1%", "big", ""])}
    return st.one_of(special.get(key, right[OPTION_TYPES[key]]), values)


def _options(safe_paths: bool):
    keys = sorted(OPTION_TYPES)
    return st.dictionaries(st.sampled_from(keys), st.none(), max_size=5).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {key: _option_value(key, safe_paths) for key in chosen}))


def _mostly(valid, other):
    """A valid value (from a list or a strategy) about three times in four: random configs
    are otherwise almost never valid, and the code behind the first error goes untested."""
    valid = st.sampled_from(valid) if isinstance(valid, list) else valid
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda keep: valid if keep else other)


dataset_names = _mostly(["S", "T", "DUTS-TE"], names)
gt_values = _mostly(["sample/GT"], st.one_of(folders, values))
pred_tables = _mostly([{"GoodNet": "sample/pred/GoodNet"},
                       {"A": "sample/pred/WeakNet", "B": "sample/pred/GoodNet"}],
                      st.one_of(st.dictionaries(names, st.one_of(folders, values), max_size=3),
                                values))
method_lists = _mostly([["GoodNet"], ["WeakNet", "GoodNet"]],
                       st.one_of(st.lists(names, max_size=3), values))
datasets = _mostly(
    st.one_of(
        st.fixed_dictionaries({"name": dataset_names, "gt": gt_values, "pred": pred_tables},
                              optional={"methods": method_lists}),
        st.fixed_dictionaries(
            {"name": dataset_names, "layout": _mostly(sorted(LAYOUTS), values),
             "root": _mostly(["sample"], st.one_of(folders, values))},
            optional={"pred": pred_tables, "methods": method_lists,
                      "pred_root": _mostly(["runs"], st.one_of(folders, values))})),
    st.fixed_dictionaries({}, optional={
        "name": dataset_names, "layout": values, "root": st.one_of(folders, values),
        "gt": gt_values, "pred": pred_tables, "pred_root": st.one_of(folders, values),
        "methods": method_lists}))


def _with_unknown_key(table: dict):
    """The table with one more key, of any name: mostly unknown, sometimes a known one."""
    keys = st.one_of(st.text(max_size=8), st.sampled_from(sorted(DATASET_KEYS)))
    return st.tuples(keys, values).map(lambda item: {**table, item[0]: item[1]})


def documents(safe_paths: bool):
    tables = st.fixed_dictionaries(
        {"dataset": _mostly(st.lists(datasets, min_size=1, max_size=2), values)},
        optional={
            "options": st.one_of(_options(safe_paths), values if not safe_paths else st.just({})),
            "pred_root": _mostly(["runs"], st.one_of(folders, values)),
            "methods": _mostly([["GoodNet"]], st.one_of(st.lists(names, max_size=3), values)),
        })
    return _mostly(tables, tables.flatmap(_with_unknown_key))


FRAGMENTS = [
    "[[dataset]]", "[options]", "[dataset.pred]", 'name = "S"', 'name = "T"', "name = 3",
    'layout = "generic"', 'layout = "sd-saliency-900"', 'root = "sample"', 'root = "loop"',
    'gt = "sample/GT"', 'gt = "loop"', 'GoodNet = "sample/pred/GoodNet"', 'pred_root = "sample"',
    'methods = ["GoodNet"]', "methods = []", 'metrics = "MAE"', "metrics = [1, 2]", "jobs = 2",
    'on_missing = "skip"', "cache = false", 'profile = "matlab"', "x = 1", "a = [[[[[]]]]]",
    'dataset = "oops"', "options = 1", "[dataset]", "= 1", '"" = ""', "nested = {a = {b = 1}}",
]


def _check_result(result) -> None:
    tasks, options = result
    assert isinstance(tasks, list) and tasks
    assert len({(task.dataset, task.method) for task in tasks}) == len(tasks)
    for task in tasks:
        assert isinstance(task, Task)
        assert name_problem(task.dataset) is None and name_problem(task.method) is None
        assert isinstance(task.gt_dir, Path) and isinstance(task.pred_dir, Path)
    for key, value in options.items():
        assert key in OPTION_TYPES
        if key == "metrics":
            assert isinstance(value, list) and all(isinstance(item, str) for item in value)
        elif key in PATH_OPTIONS:
            assert isinstance(value, str) and os.path.isabs(value) and "\0" not in value
        else:
            assert isinstance(value, OPTION_TYPES[key])
            assert isinstance(value, bool) == (OPTION_TYPES[key] is bool)


def _load(path: Path):
    try:
        result = load_config(path)
    except SodbenchError as error:
        # one line on the terminal is the CLI's job (it escapes line breaks in paths, tested
        # below); here the message must name the config file
        assert str(path) in str(error), str(error)
        event("refused")
        return None
    _check_result(result)
    event("valid config")
    return result


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_are_a_config_or_a_one_line_error(base, data):
    path = base / "bytes.toml"
    path.write_bytes(data)
    _load(path)


VALID_DOCUMENTS = [
    ["[[dataset]]", 'name = "S"', 'gt = "sample/GT"', "[dataset.pred]",
     'GoodNet = "sample/pred/GoodNet"'],
    ["[[dataset]]", 'name = "S"', 'layout = "sd-saliency-900"', 'root = "sample"'],
    ['pred_root = "runs"', "[[dataset]]", 'name = "S"', 'layout = "generic"',
     'root = "sample"'],
]


@FUZZ
@given(document=st.sampled_from(VALID_DOCUMENTS), at=st.integers(0, 5),
       lines=st.lists(st.sampled_from(FRAGMENTS), max_size=6))
def test_valid_documents_with_config_fragments_inserted(base, document, at, lines):
    path = base / "fragments.toml"
    path.write_text("\n".join(document[:at] + lines + document[at:]) + "\n", encoding="utf-8")
    _load(path)


@FUZZ
@given(document=documents(safe_paths=False))
def test_random_toml_documents_with_the_config_keys(base, document):
    text = _toml_document(document)
    assert json.dumps(tomllib.loads(text), default=str, sort_keys=True) == json.dumps(
        document, default=str, sort_keys=True)  # the writer wrote what was meant
    path = base / "document.toml"
    path.write_text(text, encoding="utf-8")
    _load(path)


def _cli(*args) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(arg) for arg in args])
    return code, err.getvalue()


def _assert_one_line_or_success(code: int, err: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line and not line.startswith("warning:")]
    event(f"exit {code}")
    if code == 0:
        assert lines == [] or all(line.startswith("resumed") for line in lines), err
    else:
        assert code == 2, err
        assert len(lines) == 1 and lines[0].startswith("error: "), err


@CLI_FUZZ
@given(document=documents(safe_paths=True))
def test_sodbench_eval_on_random_configs(base, document):
    path = base / "cli.toml"
    path.write_text(_toml_document(document), encoding="utf-8")
    _assert_one_line_or_success(*_cli("eval", "--config", path, "--no-cache", "--jobs", "1",
                                      "--quiet"))


pred_values = _mostly(
    st.builds(lambda name, method: f"{name}=sample/pred/{method}",
              _mostly(["A", "GoodNet", "Weak Net", "é"], names),
              st.sampled_from(["GoodNet", "WeakNet"])),
    st.one_of(st.text(max_size=20), st.builds(lambda name, folder: f"{name}={folder}", names,
                                              folders)))


@FUZZ
@given(values_=st.lists(pred_values, min_size=1, max_size=3))
def test_pred_parser(values_):
    try:
        preds = parse_pred(tuple(values_))
    except SodbenchError as error:
        assert "\n" not in str(error)
        return
    assert len(preds) == len(values_)
    for name, folder in preds.items():
        assert name and "=" not in name and name_problem(name) is None
        assert isinstance(folder, Path) and str(folder) and "\0" not in str(folder)


@CLI_FUZZ
@given(values_=st.lists(pred_values, min_size=1, max_size=2))
def test_sodbench_eval_on_random_pred_values(base, values_):
    os.chdir(base)  # relative folders in the values point into the sample
    args = ["eval", "--gt", base / "sample" / "GT", "--no-cache", "--jobs", "1", "--quiet"]
    _assert_one_line_or_success(*_cli(*args, *(f"--pred={value}" for value in values_)))
