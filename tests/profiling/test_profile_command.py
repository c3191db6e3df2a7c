"""``sodbench profile`` end to end: targets, output, JSON, one-line errors, torch optional."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

import sodbench  # noqa: E402
from sodbench.cli import main  # noqa: E402
from sodbench.profiling import dump_profile, load_profile  # noqa: E402
from sodbench.profiling.report import format_record  # noqa: E402

MODEL_FILE = textwrap.dedent("""
    from torch import nn

    class Net(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                             nn.ReLU(), nn.Conv2d(4, 1, 1))

    NOT_A_MODEL = 3

    def broken():
        raise RuntimeError("no weights here")
""")
# Net at 1x3x16x16: 4 x 256 outputs x 27 + 256 outputs x 4
NET_MACS = 4 * 256 * 27 + 256 * 4


@pytest.fixture()
def model_file(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(MODEL_FILE)
    return path


def test_file_target_end_to_end(model_file, tmp_path, capsys):
    out = tmp_path / "out" / "net.json"
    code = main(["profile", f"{model_file}:Net", "--input", "2x3x16x16", "--batch", "1,2",
                 "--iters", "3", "--warmup", "1", "--threads", "1",
                 "--backend", "eager,torchscript", "--backend", "onnxruntime",
                 "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    record = load_profile(out)
    assert record.macs == NET_MACS
    assert record.input_shape == [1, 3, 16, 16]
    assert [(r.backend, r.batch) for r in record.speed] == [
        (b, n) for b in ("eager", "torchscript", "onnxruntime") for n in (1, 2)]
    for needle in ("MACs", "FLOPs", "paper-compatible", "fvcore total", "thop 0.1.1 total",
                   "per operator", "per top-level module", "counted as zero",
                   "protocol latency", f"{NET_MACS:,}"):
        assert needle in printed, needle


def test_package_target(tmp_path, monkeypatch, capsys):
    package = tmp_path / "mynets"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "zoo.py").write_text(MODEL_FILE + "\ndef build():\n    return Net()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "zoo.json"
    code = main(["profile", "mynets.zoo:build", "--input", "1x3x16x16", "--iters", "0",
                 "--no-external", "--json", str(out)])
    assert code == 0
    record = json.loads(out.read_text())
    assert record["model"] == "mynets.zoo:build" and record["macs"] == NET_MACS
    assert "fvcore" not in record["counters"] and record["speed"] == []


@pytest.mark.parametrize("target, message", [
    ("Net", "is not `package.module:callable`"),
    ("missing.py:Net", "does not exist"),
    ("{file}:Missing", "has no attribute 'Missing'"),
    ("{file}:NOT_A_MODEL", "neither an nn.Module nor callable"),
    ("{file}:broken", "broken() failed: RuntimeError: no weights here"),
    ("sodbench_no_such_module:Net", "cannot import TARGET module"),
    ("json:dumps", "calling TARGET json:dumps() failed"),
    ("collections:OrderedDict", "returned OrderedDict, not a torch.nn.Module"),
])
def test_bad_target_is_one_line(target, message, model_file, capsys):
    code = main(["profile", target.format(file=model_file), "--iters", "0", "--no-external"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


@pytest.mark.parametrize("args, message", [
    (["--input", "1x3xabc"], "is not a shape like 1x3x368x368"),
    (["--batch", "1,0"], "comma list of positive integers"),
    (["--backend", "tensorrt"], "unknown backend 'tensorrt'"),
    # the library names its arguments (amp=True, iters=1); the command names its flags
    (["--amp"], "error: --amp needs --device cuda and only the eager backend"),
    (["--protocol", "minet-fps", "--batch", "1", "--warmup", "3"],
     "error: --iters 1, --warmup 3: minet-fps drops the first --warmup of its --iters calls"),
    (["--weights", "demo"], "error: --weights applies only to built-in models (minet)"),
])
def test_bad_options_are_one_line(args, message, model_file, capsys):
    code = main(["profile", f"{model_file}:Net", "--iters", "1", "--no-external", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_cli_and_package_do_not_import_torch():
    result = _run("import sys, sodbench, sodbench.cli, sodbench.cli.profile\n"
                  "print('torch' in sys.modules)")
    assert result.stdout.strip() == "False", result.stderr


def test_profile_without_torch_says_how_to_install():
    result = _run("import sys\nsys.modules['torch'] = None\n"
                  "from sodbench.cli import main\n"
                  "sys.exit(main(['profile', 'x.py:Net']))")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: sodbench profile needs PyTorch, which is not installed: "
        "pip install sodbench[torch]"]


def test_profile_records_are_read_without_torch(tmp_path):
    record = sodbench.profile(torch.nn.Conv2d(3, 1, 1), (1, 3, 4, 4), iters=0, external=False)
    path = tmp_path / "p.json"
    dump_profile(record, path)
    result = _run("import sys\nsys.modules['torch'] = None\n"
                  "from sodbench.profiling import load_profile\n"
                  f"print(load_profile({str(path)!r}).params.total)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"  # a 3 -> 1 1x1 conv: 3 weights + 1 bias


def test_report_warns_about_a_loaded_machine():
    record = sodbench.profile(torch.nn.Conv2d(3, 1, 1), (1, 3, 4, 4), iters=1, external=False)
    record.environment.update(load_average_1min=0.5, logical_cpus=2)
    assert "unreliable" not in format_record(record)
    record.environment["load_average_1min"] = 7.5
    assert "load average 7.5 on 2 logical CPUs" in format_record(record)
