"""Real maps: SD-Saliency-900 with the published maps of classical methods (skipped when absent)."""

import numpy as np
import pytest
from helpers import pysodmetrics_values
from PIL import Image

from sodbench import Evaluator
from sodbench.metrics.keys import GROUPS

DEFAULT_KEYS = GROUPS["default"]  # the 0.1.0 keys, still what Evaluator() computes

CORE = [key for key in DEFAULT_KEYS if key not in ("OR", "PFOM")]


@pytest.mark.parametrize("method", ["SMD", "MCITF", "RCRR"])
def test_matches_pysodmetrics_on_published_maps(sd900, method):
    stems = [f"{kind}_{k}" for kind in ("In", "Pa", "Sc") for k in range(1, 301, 15)]
    folder = sd900 / "pred" / method
    preds, gts = [], []
    for stem in stems:
        (path,) = folder.glob(f"{stem}.*")
        preds.append(np.asarray(Image.open(path).convert("L")))
        gts.append(np.asarray(Image.open(sd900 / "GT" / f"{stem}.png").convert("L")))
    evaluator = Evaluator(metrics=CORE)
    evaluator.update(np.stack(preds), np.stack(gts), names=stems, batch=True)
    results, table = evaluator.compute(), evaluator.per_image()
    references = [pysodmetrics_values(pred, gt) for pred, gt in zip(preds, gts, strict=True)]
    for key, ref_key in (("MAE", "MAE"), ("Sm", "Sm"), ("wF", "wF"), ("adpE", "adpE"),
                         ("adpF", "adp_F"), ("adpIoU", "adp_IoU"), ("adpDice", "adp_Dice")):
        expected = [ref[ref_key] for ref in references]
        np.testing.assert_allclose(table[key], expected, atol=1e-10, rtol=0, err_msg=key)
    for name in ("precision", "recall", "F", "E", "IoU", "Dice"):
        expected = np.mean([ref[f"{name}_curve"] for ref in references], axis=0)
        np.testing.assert_allclose(results["curves"][name], expected, atol=1e-10, rtol=0)
