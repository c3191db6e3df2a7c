"""Fixtures of the bad-input catalogue: a small sample, the CLI run in-process or in a child.

Each test in ``tests/trust/`` reproduces one reported command and asserts the fixed
behaviour: the exit code, a one-line message naming the file, and the files left untouched.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sodbench.cli import main
from sodbench.demo.sample import generate


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("SODBENCH_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def sample(tmp_path) -> Path:
    """9 synthetic 48x48 pairs: GT/, Img/, pred/GoodNet/, pred/WeakNet/."""
    return generate(tmp_path / "sample", n_images=9, size=48, seed=1)


class Run:
    """What one CLI call gave: exit code, stdout, stderr."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def error_line(self) -> str:
        """The one ``error:`` line on stderr (asserts there is exactly one, no traceback)."""
        assert "Traceback" not in self.err, self.err
        lines = [line for line in self.err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, self.err
        return lines[0]


@pytest.fixture
def cli(capsys):
    """Run ``sodbench ARGS`` in this process; returns a :class:`Run`."""
    def run(*args) -> Run:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)
    return run


@pytest.fixture
def cli_read_only():
    """Run ``sodbench ARGS`` in a child process that sees ``read_only`` folders read-only.

    As root, chmod does not stop writes, so the folders are bind-mounted read-only in a
    private mount namespace (``unshare -m``); otherwise they are made mode 0555 for the call.
    """
    def run(args, read_only: list[Path], env: dict | None = None) -> Run:
        command = [sys.executable, "-c", "import sys; from sodbench.cli import run; run()",
                   *map(str, args)]
        environment = {**os.environ, **(env or {})}
        if os.geteuid() == 0:
            mounts = " && ".join(
                f"mount --bind {shlex.quote(str(d))} {shlex.quote(str(d))} && "
                f"mount -o remount,ro,bind {shlex.quote(str(d))}" for d in read_only)
            shell = f"{mounts} && exec {shlex.join(command)}"
            done = subprocess.run(["unshare", "-m", "sh", "-c", shell], capture_output=True,
                                  text=True, env=environment, timeout=300)
            if "unshare" in done.stderr and "Operation not permitted" in done.stderr:
                pytest.fail(f"cannot make a read-only mount as root here: {done.stderr}")
        else:
            modes = {d: d.stat().st_mode for d in read_only}
            try:
                for folder in read_only:
                    folder.chmod(0o555)
                done = subprocess.run(command, capture_output=True, text=True,
                                      env=environment, timeout=300)
            finally:
                for folder, mode in modes.items():
                    folder.chmod(mode)
        return Run(done.returncode, done.stdout, done.stderr)
    return run
