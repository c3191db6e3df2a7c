"""SOD metrics as pure functions on numpy arrays, batched over N x H x W.

Each function takes one H x W pair, or N x H x W batches with ``batch=True`` (a 3-D array
without it is refused: an H x W x 3 colour image has three axes too; docs/metrics.md, "Input
rules"), and returns a float64 array with one value per image (curves: N x 256, ascending
thresholds). They score the map as given (``im2double``, no min-max); which map each metric
sees in an evaluation is the conventions' choice (:mod:`.conventions`), which
:class:`sodbench.Evaluator` applies before averaging over images.

Layout (docs/architecture.md): one private module per family (``_mae.py``, ``_smeasure.py``,
``_wfmeasure.py``, ``_fmeasure.py``, ``_emeasure.py``, ``_iou.py``, ``_overlap.py``,
``_pfom.py``, ``_confusion.py``, ``_dataset.py``, ``_msiou.py``, ``_sizeinvariance.py``,
``_hce.py``, ``_context.py``), each in three steps: validate (:mod:`.validate`), compute
statistics from a :class:`~.batch.Batch` through the per-pixel or the histogram backend
(:mod:`.counts`, :mod:`.histogram`), compute the metric from the statistics. :mod:`.keys`
lists every metric key and :mod:`.engine` runs the families a set of keys needs.

>>> import numpy as np
>>> from sodbench.metrics import mae, smeasure
>>> pred = np.array([[0.9, 0.1], [0.8, 0.2]])
>>> gt = np.array([[255, 0], [255, 0]], np.uint8)
>>> mae(pred, gt).round(3), smeasure(pred, gt).round(3)
(array([0.15]), array([0.974]))
"""

from sodbench.metrics._confusion import confusion_counts
from sodbench.metrics._context import camouflage_context_measure, context_measure
from sodbench.metrics._dataset import dataset_scores
from sodbench.metrics._emeasure import adaptive_emeasure, emeasure_curve
from sodbench.metrics._fmeasure import (
    adaptive_fmeasure,
    binary_dice,
    binary_iou,
    fmeasure_curves,
)
from sodbench.metrics._hce import hce
from sodbench.metrics._iou import soft_iou
from sodbench.metrics._mae import mae
from sodbench.metrics._msiou import msiou_curve, multiscale_iou
from sodbench.metrics._overlap import overlap_ratio, overlap_ratio_curve
from sodbench.metrics._pfom import MINET_TII2024_OPTIONS, figure_of_merit, pfom
from sodbench.metrics._sizeinvariance import (
    size_invariant_curves,
    size_invariant_mae,
    size_invariant_scores,
)
from sodbench.metrics._smeasure import smeasure
from sodbench.metrics._wfmeasure import weighted_fmeasure
from sodbench.metrics.batch import Batch
from sodbench.metrics.conventions import CONVENTIONS, Conventions, get_conventions
from sodbench.metrics.groundtruth import GroundTruth

__all__ = [
    "CONVENTIONS", "MINET_TII2024_OPTIONS", "Batch", "Conventions", "GroundTruth",
    "adaptive_emeasure", "adaptive_fmeasure", "binary_dice", "binary_iou",
    "camouflage_context_measure", "confusion_counts", "context_measure", "dataset_scores",
    "emeasure_curve", "figure_of_merit", "fmeasure_curves", "get_conventions", "hce", "mae",
    "msiou_curve", "multiscale_iou", "overlap_ratio", "overlap_ratio_curve", "pfom",
    "size_invariant_curves", "size_invariant_mae", "size_invariant_scores", "smeasure",
    "soft_iou", "weighted_fmeasure",
]
