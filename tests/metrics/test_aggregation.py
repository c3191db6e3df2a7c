"""Dataset-level aggregation of the Evaluator against PySODMetrics' own means.

The rule: docs/metrics.md, "Aggregation".
"""

import numpy as np
import pytest
from helpers import by_shape

from sodbench import Evaluator
from sodbench.metrics.keys import GROUPS

DEFAULT_KEYS = GROUPS["default"]  # the 0.1.0 keys, still what Evaluator() computes

CORE = [key for key in DEFAULT_KEYS if key not in ("OR", "PFOM")]


def test_matches_pysodmetrics_dataset_means(pairs):
    evaluator = Evaluator(metrics=CORE)
    for indices, _, raw, gt in by_shape(pairs):
        evaluator.update(np.round(raw * 255).astype(np.uint8), gt, names=map(str, indices),
                         batch=True)
    results = evaluator.compute()
    references = [ref for *_, ref in pairs]
    finite_sm = [ref["Sm"] for ref in references if not np.isnan(ref["Sm"])]
    assert len(finite_sm) < len(pairs)  # the NaN rows are part of the set
    for key, ref_key in (("MAE", "MAE"), ("wF", "wF"), ("adpE", "adpE"), ("adpF", "adp_F"),
                         ("adpIoU", "adp_IoU"), ("adpDice", "adp_Dice")):
        expected = np.mean([ref[ref_key] for ref in references])
        assert results[key] == pytest.approx(expected, abs=1e-10, rel=0), key
    for name in ("precision", "recall", "F", "E", "IoU", "Dice"):
        expected = np.mean([ref[f"{name}_curve"] for ref in references], axis=0)
        np.testing.assert_allclose(results["curves"][name], expected, atol=1e-10, rtol=0)
    mean_f = np.mean([ref["F_curve"] for ref in references], axis=0)
    assert results["maxF"] == pytest.approx(mean_f.max(), abs=1e-10, rel=0)
    assert results["meanF"] == pytest.approx(mean_f.mean(), abs=1e-10, rel=0)
