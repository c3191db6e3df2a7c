"""Reference values of PySODMetrics 1.6.2 on the random pairs, computed once per session."""

from __future__ import annotations

import pytest
from cases import random_pairs
from helpers import pysodmetrics_values


@pytest.fixture(scope="session")
def pairs():
    """The random pairs with their PySODMetrics values: list of (kind, pred, gt, reference)."""
    return [(kind, pred, gt, pysodmetrics_values(pred, gt)) for kind, pred, gt in random_pairs()]
