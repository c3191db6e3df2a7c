"""Fixtures of the reports tests: results files written from hand-made entries."""

from __future__ import annotations

import pytest

from sodbench.folders.results import dump_results


@pytest.fixture
def write_results(tmp_path):
    """Factory: write a results file with the given entries and return its path."""
    def write(entries: list[dict], name: str = "results.json"):
        path = tmp_path / name
        dump_results({"provenance": {"sodbench_version": "0.2.0",
                                     "conventions": "pysodmetrics"},
                      "entries": entries}, path)
        return path
    return write
