"""Fixtures of the evaluation tests."""

from __future__ import annotations

import pytest

from sodbench.folders import evaluation


@pytest.fixture
def run_arguments(monkeypatch):
    """A dict of arguments (``executor=``, ``chunk_size=``) that every ``evaluation.run`` call
    of ``sodbench eval`` gets; fill it before the command runs (then give no ``--jobs``)."""
    added: dict = {}
    real = evaluation.run

    def run(tasks, options, **arguments):
        return real(tasks, options, **{**arguments, **added})
    monkeypatch.setattr(evaluation, "run", run)
    return added
