"""Shared fixtures: the read-only material in ../shared (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SD900 = SHARED / "data" / "sd-saliency-900"
OFFICIAL_MINET = SHARED / "minet_official" / "MINet.pth"


@pytest.fixture(scope="session")
def sd900() -> Path:
    """The SD-Saliency-900 folder (GT/, Img/, pred/<method>/)."""
    if not (SD900 / "GT").is_dir():
        pytest.skip(f"SD-Saliency-900 not found at {SD900} (research data, not shipped)")
    return SD900


@pytest.fixture(scope="session")
def official_minet_path() -> Path:
    """The authors' MINet checkpoint."""
    if not OFFICIAL_MINET.is_file():
        pytest.skip(f"official MINet checkpoint not found at {OFFICIAL_MINET} (not shipped)")
    return OFFICIAL_MINET
