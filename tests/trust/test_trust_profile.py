"""Catalogue: `sodbench profile` with a wrong --input, a huge input, a model that raises, a
module in the current folder, thread defaults under load, progress and --json.

Reported: `--input 3x368x368` became `[1, 368, 368]` and any shape of 2 or more parts was
accepted; a huge input gave an allocator traceback; a model raising in `forward` gave a
traceback through sodbench; `profile mypkg.models:MyNet` (the README's line) did not find
`mypkg` beside the user; a default run on a 2-core machine with one core busy was silent for
170 s (1 thread: 7 s); the report said "1 threads".
"""

from __future__ import annotations

import json
import re
import sys
import textwrap

import pytest
from trust_helpers import digests

MODEL = textwrap.dedent("""\
    from torch import nn


    class Net(nn.Sequential):
        def __init__(self):
            super().__init__(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU())


    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)

        def forward(self, x):
            y = self.conv(x)
            raise ValueError("negative scale in head")


    class BatchOne(Net):
        def forward(self, x):
            if x.shape[0] != 1:
                raise ValueError(f"batch {x.shape[0]} unsupported")
            return super().forward(x)


    class Hungry(Net):
        def forward(self, x):
            raise MemoryError()
""")
RAISE_LINE = MODEL.splitlines().index('        raise ValueError("negative scale in head")') + 1
QUICK = ("--iters", "0", "--no-external")


@pytest.fixture
def net(tmp_path):
    pytest.importorskip("torch")
    path = tmp_path / "net.py"
    path.write_text(MODEL)
    return path


@pytest.mark.parametrize("shape", [
    "3x368x368", "1x3x368", "1x3x368x368x2", "368x368", "1x3x-2x5", "0x3x4x4", "1x0x4x4",
    "ax3", "", "1e3x3x4x4", "1.5x3x4x4", "\uff11x3x4x4", "1x3x4x4x", "1 x 3 x 4 x 4",
])
def test_input_that_is_not_four_positive_integers_is_one_line(cli, shape):
    run = cli("profile", "net.py:Net", "--input", shape, *QUICK)
    assert run.code == 2
    line = run.error_line()
    assert f"--input {shape!r} is not a shape like 1x3x368x368" in line
    assert "N x C x H x W, four positive integers" in line


def test_library_refuses_a_three_part_shape(net):
    import sodbench
    from sodbench.errors import SodbenchError
    from sodbench.profiling.loading import load_target

    with pytest.raises(SodbenchError, match=r"input_shape \(3, 368, 368\) is not N x C x H x W"):
        sodbench.profile(load_target(f"{net}:Net"), (3, 368, 368), iters=0)


@pytest.fixture
def no_allocation(monkeypatch):
    """Fail the test if a random input is made: refusals must come before allocating."""
    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("an input was allocated before the memory check")
    monkeypatch.setattr(torch, "randn", refuse)


def test_huge_input_is_refused_before_allocating(cli, net, no_allocation):
    run = cli("profile", "net.py:Net", "--input", "1x3x1000000x1000000", *QUICK)
    assert run.code == 2
    # The available memory is the machine's, read from /proc/meminfo at the time of the run.
    assert re.fullmatch(
        r"error: a float32 input of 1x3x1000000x1000000 needs 12000\.0 GB, more than the "
        r"[0-9]+\.[0-9] GB of memory available; choose a smaller input or batch "
        r"\(--input, --batch\)", run.error_line())


def test_timed_batches_count_in_the_memory_check(cli, net, no_allocation, monkeypatch):
    from sodbench.profiling import guard

    monkeypatch.setattr(guard, "available_memory", lambda: 2_000_000_000)
    run = cli("profile", "net.py:Net", "--input", "1x3x64x64", "--batch", "1,100000",
              "--iters", "1", "--no-external")
    assert run.code == 2
    assert run.error_line() == (
        "error: a float32 input of 100000x3x64x64 needs 4.9 GB, more than the 2.0 GB of "
        "memory available; choose a smaller input or batch (--input, --batch)")


def test_largest_intermediate_counts_before_timing(cli, net, monkeypatch):
    from sodbench.profiling import guard

    # Net at 64 x 64: input 12,288 and largest output 16,384 elements per image; 200 images
    # need 200 x 28,672 x 4 = 22.9 MB, the input alone 9.8 MB.
    monkeypatch.setattr(guard, "available_memory", lambda: 10_000_000)
    run = cli("profile", "net.py:Net", "--input", "1x3x64x64", "--batch", "200",
              "--iters", "1", "--no-external")
    assert run.code == 2
    assert run.error_line() == (
        "error: a forward at input 200x3x64x64 (its input and largest intermediate tensor, "
        "float32) needs 22.9 MB, more than the 10.0 MB of memory available; choose a smaller "
        "input or batch (--input, --batch)")


def test_failed_allocation_is_one_line(cli, net, monkeypatch):
    import torch

    def allocator_error(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: "
                           "not enough memory: you tried to allocate 1769472 bytes.")
    monkeypatch.setattr(torch, "randn", allocator_error)
    run = cli("profile", "net.py:Net", "--input", "1x3x368x368", *QUICK)
    assert run.code == 2
    line = run.error_line()
    assert line.startswith("error: out of memory making the input 1x3x368x368: RuntimeError: ")
    assert line.endswith("; choose a smaller input or batch (--input, --batch)")


def test_model_out_of_memory_is_one_line(cli, net):
    run = cli("profile", "net.py:Hungry", "--input", "1x3x8x8", *QUICK)
    assert run.code == 2
    assert run.error_line() == (
        "error: out of memory running net.py:Hungry at input 1x3x8x8: MemoryError; choose a "
        "smaller input or batch (--input, --batch)")


def test_model_raising_in_forward_is_reported_as_the_models(cli, net):
    run = cli("profile", "net.py:Bad", "--input", "1x3x16x16", *QUICK)
    assert run.code == 2
    assert run.error_line() == (
        "error: net.py:Bad's forward raised ValueError: negative scale in head at input "
        f"1x3x16x16 (net.py:{RAISE_LINE}; run with --debug for the model's traceback)")


def test_debug_shows_the_models_own_frame(cli, net):
    run = cli("--debug", "profile", "net.py:Bad", "--input", "1x3x16x16", *QUICK)
    assert run.code == 2
    assert f'File "{net}", line {RAISE_LINE}, in forward\n' in run.err
    assert '    raise ValueError("negative scale in head")\n' in run.err
    assert run.err.splitlines()[-1].startswith("error: net.py:Bad's forward raised ValueError")


def test_model_raising_at_a_timed_batch_names_that_batch(cli, net):
    run = cli("profile", "net.py:BatchOne", "--input", "1x3x8x8", "--batch", "1,4", "--iters",
              "1", "--warmup", "0", "--no-external")
    assert run.code == 2
    line = run.error_line()
    assert "net.py:BatchOne's forward raised ValueError: batch 4 unsupported at input 4x3x8x8" \
        in line


def test_module_target_is_found_in_the_current_folder(cli, tmp_path):
    pytest.importorskip("torch")
    package = tmp_path / "trustpkg_cwd"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(MODEL)
    path_before = list(sys.path)
    try:
        run = cli("profile", "trustpkg_cwd.models:Net", "--input", "1x3x8x8", *QUICK)
    finally:
        for name in [n for n in sys.modules if n.startswith("trustpkg_cwd")]:
            del sys.modules[name]
    assert run.code == 0, run.err
    assert "trustpkg_cwd.models:Net: complexity per image at input 1x3x8x8" in run.out
    assert sys.path == path_before


def test_module_missing_from_the_current_folder_says_where_to_run(cli, net):
    run = cli("profile", "trustpkg_absent.models:Net", *QUICK)
    assert run.code == 2
    assert run.error_line() == (
        "error: cannot import TARGET module 'trustpkg_absent.models': ModuleNotFoundError: No "
        "module named 'trustpkg_absent'; run from the folder that holds trustpkg_absent, or "
        "install it, or give path/to/file.py:Name")


@pytest.mark.parametrize("idle, expected", [(0.0, 1), (0.95, 1), (1.5, 1), (1.8, 2)])
def test_default_threads_are_the_idle_cores(net, monkeypatch, idle, expected):
    import torch

    import sodbench
    from sodbench.profiling import threads
    from sodbench.profiling.loading import load_target

    monkeypatch.setattr(threads, "idle_cores", lambda: (idle, 2))
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        record = sodbench.profile(load_target(f"{net}:Net"), (1, 3, 8, 8), iters=1, warmup=0,
                                  external=False)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)
    assert record.environment["threads"] == expected
    assert record.environment["threads_chosen"] == (
        f"default: {idle:.1f} of 2 usable cores idle at the start, torch's count 2")


def test_idle_cores_are_measured():
    from sodbench.profiling.threads import idle_cores

    idle, usable = idle_cores(0.05)
    assert usable >= 1 and 0.0 <= idle <= usable + 1e-9


def test_progress_lines_on_stderr_and_one_thread_singular(cli, net, tmp_path):
    out = tmp_path / "p.json"
    run = cli("profile", "net.py:Net", "--input", "1x3x8x8", "--iters", "2", "--warmup", "1",
              "--threads", "1", "--no-external", "--progress", "--json", out)
    assert run.code == 0, run.err
    steps = [line.split("] ", 1)[1] for line in run.err.splitlines()
             if line.startswith("profile [")]
    assert steps == [
        "loading net.py:Net", "1 thread (given)", "counting MACs and FLOPs at 1x3x8x8",
        "batch 1: 1 call of warm-up per backend (eager)",
        "batch 1: timing round 1/2: 1 call per backend",
        "batch 1: timing round 2/2: 1 call per backend", "done"]
    assert "2 timed calls (in 2 rounds, backends interleaved)" in run.out
    assert ", 1 thread, float32" in run.out and "1 threads" not in run.out
    assert json.loads(out.read_text())["environment"]["threads_chosen"] == "given"


def test_short_run_prints_no_progress(cli, net):
    run = cli("profile", "net.py:Net", "--input", "1x3x8x8", *QUICK)
    assert run.code == 0, run.err
    assert "profile [" not in run.err


def test_json_on_the_target_file_is_refused_before_loading(cli, net):
    before = digests(net)
    run = cli("profile", "net.py:Net", "--input", "1x3x8x8", *QUICK, "--json", "net.py")
    assert run.code == 2
    assert run.error_line() == ("error: --json net.py: is TARGET net.py, an input of this "
                                "command; write the output to another file")
    assert digests(net) == before


def test_json_on_a_folder_is_one_line(cli, net, tmp_path):
    (tmp_path / "records").mkdir()
    run = cli("profile", "net.py:Net", *QUICK, "--json", "records")
    assert run.code == 2
    assert run.error_line() == "error: --json records: records is a folder; give a file name"


def test_unwritable_json_is_refused_before_the_work(cli_read_only, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    run = cli_read_only(["profile", "absent.py:Net", "--json", locked / "p.json"],
                        read_only=[locked])
    assert run.code == 2
    line = run.error_line()
    assert line.startswith(f"error: --json {locked / 'p.json'}: cannot write in {locked} (")
    assert "choose a writable location" in line
    assert list(locked.iterdir()) == []
