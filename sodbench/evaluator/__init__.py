"""The Evaluator: adds up what the metric engine returns over many pairs (docs/architecture.md).

:class:`Evaluator` keeps the state (``update``, ``compute``, ``merge``, ``state`` /
``from_state``, ``reset``); :mod:`.pending` bounds the wF work in flight on its executor;
:mod:`.state` checks selections and saved states.
"""

from sodbench.evaluator.core import SINGLE_IMAGE_PIXELS, Evaluator, chunk_images
from sodbench.evaluator.subsets import Subset, Subsets
from sodbench.metrics.groundtruth import GroundTruth

__all__ = ["SINGLE_IMAGE_PIXELS", "Evaluator", "GroundTruth", "Subset", "Subsets",
           "chunk_images"]
