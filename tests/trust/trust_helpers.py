"""Helpers of the bad-input catalogue (a module of its own: tests do not import conftest)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sodbench.errors import SodbenchError


def digests(*paths: Path) -> dict[str, str]:
    """SHA-256 of every file under ``paths`` (to assert that nothing was touched)."""
    out = {}
    for path in paths:
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            out[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def one_line_error(call) -> str:
    """The message of the SodbenchError ``call()`` raises (asserted to be one line)."""
    with pytest.raises(SodbenchError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message
    return message
