"""The Evaluator: accumulates per-image metric statistics over many pairs (docs/architecture.md)."""

from sodbench.evaluator.core import CURVE_METRICS, CURVE_NAMES, PER_IMAGE_KEYS, Evaluator
from sodbench.evaluator.groundtruth import GroundTruth

__all__ = ["CURVE_METRICS", "CURVE_NAMES", "PER_IMAGE_KEYS", "Evaluator", "GroundTruth"]
