"""Every metric key: its name in tables and results, its direction, where its number comes from.

This is the one list of metric keys. A new metric is one module in :mod:`sodbench.metrics` and
one :class:`Key` here (docs/architecture.md, "How to add a metric").

Three kinds of keys:

- per image: one value per image, averaged over the dataset (``MAE``, ``Sm``, ``adpF``, ...);
- from a curve: read from the dataset's mean 256-point curve (``maxF`` is the maximum of the
  mean F curve, as PySODMetrics and Fan's toolbox do), so they are never averaged per image;
- from totals: made from quantities summed over the dataset (``pooledF`` from the TP, FP, TN
  and FN of every image; ``odsF``, ``AP`` from the pooled counts at each threshold).

Groups (:data:`GROUPS`) name sets of keys for ``--metrics``: ``default``, ``pysodmetrics``,
``defect``, ``dis``, ``all``.

>>> KEYS["maxF"].curve, KEYS["maxF"].statistic
('F', 'max')
>>> "MAE" in LOWER_IS_BETTER
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "ALIASES", "BASE_CURVES", "CONFUSION", "CURVE_FAMILIES", "CURVE_LENGTHS", "CURVE_METRICS",
    "CURVE_NAMES", "GROUPS", "KEYS", "LOWER_IS_BETTER", "METRIC_KEYS", "PER_IMAGE_KEYS",
    "TOTAL_METRICS", "Key", "canonical", "curve_key", "expand", "range_text", "total_key",
]


@dataclass(frozen=True)
class Key:
    """One metric key."""

    name: str
    family: str
    """The :mod:`sodbench.metrics` module that computes it (``_<family>.py``)."""
    lower_is_better: bool = False
    curve: str | None = None
    """For keys read from a mean curve: the curve's name (one of :data:`CURVE_NAMES`)."""
    statistic: str | None = None
    """``"max"``, ``"min"`` or ``"mean"`` of that curve."""
    aliases: tuple[str, ...] = ()
    """Other spellings seen in papers and tools (lower case), read as this key."""
    total: str | None = None
    """For dataset-wide keys: the per-image quantity summed over the dataset (a name of the
    family's ``TOTALS``); the family's ``from_totals`` makes the key's value from the sums."""
    bounds: tuple[float, float] = (0.0, 1.0)
    """The range every value of the key lies in (a results file outside it is refused)."""
    informational: bool = False
    """True for a key that describes a score rather than ranks methods (``odsT``, the
    threshold of ``odsF``): tables print it without a direction arrow."""

    @property
    def per_image(self) -> bool:
        return self.curve is None and self.total is None

    @property
    def range_text(self) -> str:
        """The key's range as messages write it: ``[0, 1]``, ``(-inf, 1]``, ``[0, inf)``.

        >>> KEYS["HCE"].range_text, KEYS["maxKappa"].range_text
        ('[0, inf)', '(-inf, 1]')
        """
        return range_text(self.bounds)


def range_text(bounds: tuple[float, float]) -> str:
    """``(lower, upper)`` as an interval, an infinite end open.

    >>> range_text((0.0, 2.0))
    '[0, 2]'
    """
    lower, upper = bounds
    return ((f"[{lower:g}" if math.isfinite(lower) else "(-inf") + ", "
            + (f"{upper:g}]" if math.isfinite(upper) else "inf)"))


#: The per-threshold curves, by name. precision and recall are only stored (their keys are
#: ``maxPre``, ``meanRec``, ...); FPR with recall gives the ROC curve.
CURVE_NAMES = ("precision", "recall", "F", "E", "IoU", "Dice", "FPR", "Spec", "BER", "OA",
               "Kappa", "MSIoU")
#: The family that computes each curve.
CURVE_FAMILIES = {"precision": "fmeasure", "recall": "fmeasure", "F": "fmeasure", "E": "emeasure",
                  "IoU": "fmeasure", "Dice": "fmeasure", "FPR": "confusion", "Spec": "confusion",
                  "BER": "confusion", "OA": "confusion", "Kappa": "confusion", "MSIoU": "msiou"}
#: Points per curve: 256 thresholds t/255, ascending; MSIoU has 257 (0..256, as PySODMetrics).
CURVE_LENGTHS = {**dict.fromkeys(CURVE_NAMES, 256), "MSIoU": 257}
#: The curves every evaluation with a curve key stores (plots and the curves CSV read them).
BASE_CURVES = ("precision", "recall", "F", "E", "IoU", "Dice", "FPR")

#: The confusion-matrix family (PySODMetrics ``FmeasureV2`` handlers): key suffix -> curve,
#: and whether smaller is better.
CONFUSION = {"F": "F", "IoU": "IoU", "Dice": "Dice", "Pre": "precision", "Rec": "recall",
             "Spec": "Spec", "FPR": "FPR", "BER": "BER", "OA": "OA", "Kappa": "Kappa"}
_LOWER = ("FPR", "BER")
# PySODMetrics' chance term ((TP+FP)(TP+FN) + (TN+FN)(TN+TP)) / n^2 is not bounded by 1, so
# its kappa has no lower bound (a full GT with one missed pixel of n gives -(n - 1));
# docs/metrics/confusion.md
_KAPPA_BOUNDS = (-float("inf"), 1.0)


def _confusion_keys() -> tuple[Key, ...]:
    """``maxX``/``minX``, ``meanX``, ``adpX``, ``binX``, ``pooledX`` for the handlers that
    0.1.0 did not have, and ``binX``/``pooledX`` for F, IoU and Dice (whose curve keys are
    listed with the original metrics above)."""
    keys = []
    for suffix, curve in CONFUSION.items():
        lower = suffix in _LOWER
        bounds = _KAPPA_BOUNDS if suffix == "Kappa" else (0.0, 1.0)
        if suffix not in ("F", "IoU", "Dice"):
            best = "min" if lower else "max"
            keys += [Key(f"{best}{suffix}", "confusion", lower, curve=curve, statistic=best,
                         bounds=bounds),
                     Key(f"mean{suffix}", "confusion", lower, curve=curve, statistic="mean",
                         bounds=bounds),
                     Key(f"adp{suffix}", "confusion", lower, bounds=bounds)]
        keys += [Key(f"bin{suffix}", "confusion", lower, bounds=bounds),
                 Key(f"pooled{suffix}", "confusion", lower, total="binary counts",
                     bounds=bounds)]
    return tuple(keys)


def _size_invariant_keys() -> tuple[Key, ...]:
    """``simaxX``/``siminX``, ``simeanX``, ``siadpX``, ``sibinX`` per confusion handler: the
    per-image mean over the GT's components (docs/metrics/sizeinvariance.md)."""
    keys = []
    for suffix in CONFUSION:
        lower = suffix in _LOWER
        bounds = _KAPPA_BOUNDS if suffix == "Kappa" else (0.0, 1.0)
        best = "min" if lower else "max"
        keys += [Key(f"si{prefix}{suffix}", "sizeinvariance", lower, bounds=bounds)
                 for prefix in (best, "mean", "adp", "bin")]
    return tuple(keys)


_KEYS = (
    Key("MAE", "mae", lower_is_better=True),
    Key("Sm", "smeasure", aliases=("sm", "smeasure", "s-measure")),
    Key("wF", "wfmeasure", aliases=("wf", "wfm", "wfmeasure")),
    Key("maxF", "fmeasure", curve="F", statistic="max", aliases=("maxfm", "maxfmeasure")),
    Key("meanF", "fmeasure", curve="F", statistic="mean", aliases=("meanfm", "avgfm")),
    Key("adpF", "fmeasure", aliases=("adpfm",)),
    # the E-measure reaches N / (N - 1) on an N-pixel map (PySODMetrics and Fan's code alike)
    Key("maxE", "emeasure", curve="E", statistic="max", aliases=("maxem",), bounds=(0.0, 2.0)),
    Key("meanE", "emeasure", curve="E", statistic="mean", aliases=("avgem", "meanem"),
        bounds=(0.0, 2.0)),
    Key("adpE", "emeasure", aliases=("adpem",), bounds=(0.0, 2.0)),
    Key("maxIoU", "fmeasure", curve="IoU", statistic="max"),
    Key("meanIoU", "fmeasure", curve="IoU", statistic="mean"),
    Key("adpIoU", "fmeasure"),
    Key("maxDice", "fmeasure", curve="Dice", statistic="max"),
    Key("meanDice", "fmeasure", curve="Dice", statistic="mean"),
    Key("adpDice", "fmeasure"),
    Key("IoU", "iou"),
    Key("OR", "overlap"),
    Key("PFOM", "pfom"),
    *_confusion_keys(),
    Key("maxMSIoU", "msiou", curve="MSIoU", statistic="max"),
    Key("meanMSIoU", "msiou", curve="MSIoU", statistic="mean"),
    Key("adpMSIoU", "msiou"),
    Key("binMSIoU", "msiou"),
    Key("odsF", "dataset", total="curve counts", aliases=("ods",)),
    Key("odsT", "dataset", total="curve counts", informational=True),
    Key("oisF", "dataset", total="ois counts", aliases=("ois",)),
    Key("AP", "dataset", total="curve counts", aliases=("ap", "auc-pr")),
    Key("AUC", "dataset", total="curve counts", aliases=("auc", "auc-roc", "auroc")),
    Key("siMAE", "sizeinvariance", lower_is_better=True, aliases=("si-mae", "si_mae")),
    *_size_invariant_keys(),
    Key("HCE", "hce", lower_is_better=True, bounds=(0.0, float("inf")), aliases=("hce",)),
    Key("CM", "context", aliases=("cm", "context-measure")),
    Key("CCM", "context", aliases=("ccm",)),
)

#: Every key by name, in the order tables print them.
KEYS: dict[str, Key] = {key.name: key for key in _KEYS}
METRIC_KEYS = tuple(KEYS)
#: Keys where smaller is better; every other key is larger-is-better.
LOWER_IS_BETTER = frozenset(key.name for key in _KEYS if key.lower_is_better)
#: Keys with one value per image (the ``per_image`` columns), in table order.
PER_IMAGE_KEYS = tuple(key.name for key in _KEYS if key.per_image)
#: Keys read from the mean curves: a metric set without any of them stores no curves.
CURVE_METRICS = tuple(key.name for key in _KEYS if key.curve is not None)
#: Keys made from dataset-wide sums (pooled counts, ODS/OIS, AP, AUC).
TOTAL_METRICS = tuple(key.name for key in _KEYS if key.total is not None)
#: Other spellings (lower case) -> key.
ALIASES = {alias: key.name for key in _KEYS for alias in key.aliases}

#: Named groups for ``--metrics`` (docs/metrics.md, "Groups").
GROUPS: dict[str, tuple[str, ...]] = {
    # 0.1.0's set, still what an evaluation computes unless told otherwise
    "default": METRIC_KEYS[:METRIC_KEYS.index("PFOM") + 1],
    # every key PySODMetrics 1.6.2 can produce
    "pysodmetrics": tuple(
        key.name for key in _KEYS
        if key.family in ("mae", "smeasure", "wfmeasure", "emeasure", "confusion", "msiou",
                          "sizeinvariance", "hce", "context")
        or key.name in ("maxF", "meanF", "adpF", "maxIoU", "meanIoU", "adpIoU", "maxDice",
                        "meanDice", "adpDice")),
    # MINet's Table II (IEEE TII 2024)
    "defect": ("MAE", "wF", "OR", "Sm", "PFOM", "IoU"),
    # the DIS benchmark (Qin et al., ECCV 2022): maxF, wF, M, S-alpha, mean E, HCE
    "dis": ("maxF", "wF", "MAE", "Sm", "meanE", "HCE"),
    "all": METRIC_KEYS,
}


def expand(names) -> tuple[str, ...]:
    """Keys and group names (any case, aliases too) -> the keys, in table order; unknown
    names raise ValueError naming them.

    >>> expand(["dis", "IoU"])
    ('MAE', 'Sm', 'wF', 'maxF', 'meanE', 'IoU', 'HCE')
    """
    chosen: set[str] = set()
    unknown = []
    for name in names:
        group = GROUPS.get(str(name).strip().lower())
        key = canonical(str(name))
        if group is not None:
            chosen.update(group)
        elif key is not None:
            chosen.add(key)
        else:
            unknown.append(str(name))
    if unknown:
        raise ValueError(f"unknown metric {', '.join(map(repr, unknown))}: name keys "
                         f"(docs/metrics.md) or groups ({', '.join(GROUPS)})")
    return tuple(key for key in METRIC_KEYS if key in chosen)


def canonical(name: str) -> str | None:
    """The key ``name`` spells (any case, or an alias), or None.

    >>> canonical("WFM"), canonical("maxf"), canonical("Fmax")
    ('wF', 'maxF', None)
    """
    lowered = name.strip().lower()
    return {key.lower(): key for key in METRIC_KEYS}.get(lowered) or ALIASES.get(lowered)


def curve_key(name: str) -> str:
    """How the metric engine asks for a curve (``"F curve"``), apart from the per-image keys:
    ``"IoU"`` is the soft IoU of each image, ``curve_key("IoU")`` the IoU of each threshold."""
    return f"{name} curve"


def total_key(name: str) -> str:
    """How the metric engine asks for a dataset-wide total's per-image values
    (``"binary counts total"``)."""
    return f"{name} total"
