"""Every metric key: its name in tables and results, its direction, where its number comes from.

This is the one list of metric keys. A new metric is one module in :mod:`sodbench.metrics` and
one :class:`Key` here (docs/architecture.md, "How to add a metric").

Two kinds of keys:

- per image: one value per image, averaged over the dataset (``MAE``, ``Sm``, ``adpF``, ...);
- from a curve: read from the dataset's mean 256-point curve (``maxF`` is the maximum of the
  mean F curve, as PySODMetrics and Fan's toolbox do), so they are never averaged per image.

>>> KEYS["maxF"].curve, KEYS["maxF"].statistic
('F', 'max')
>>> "MAE" in LOWER_IS_BETTER
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALIASES", "CURVE_METRICS", "CURVE_NAMES", "KEYS", "LOWER_IS_BETTER", "METRIC_KEYS",
    "PER_IMAGE_KEYS", "Key", "canonical", "curve_key",
]


@dataclass(frozen=True)
class Key:
    """One metric key."""

    name: str
    family: str
    """The :mod:`sodbench.metrics` module that computes it."""
    lower_is_better: bool = False
    curve: str | None = None
    """For keys read from a mean curve: the curve's name (one of :data:`CURVE_NAMES`)."""
    statistic: str | None = None
    """``"max"`` or ``"mean"`` of that curve."""
    aliases: tuple[str, ...] = ()
    """Other spellings seen in papers and tools (lower case), read as this key."""

    @property
    def per_image(self) -> bool:
        return self.curve is None


#: The per-image 256-point curves, by threshold (precision and recall are only stored).
CURVE_NAMES = ("precision", "recall", "F", "E", "IoU", "Dice")

_KEYS = (
    Key("MAE", "mae", lower_is_better=True),
    Key("Sm", "smeasure", aliases=("sm", "smeasure", "s-measure")),
    Key("wF", "wfmeasure", aliases=("wf", "wfm", "wfmeasure")),
    Key("maxF", "fmeasure", curve="F", statistic="max", aliases=("maxfm", "maxfmeasure")),
    Key("meanF", "fmeasure", curve="F", statistic="mean", aliases=("meanfm", "avgfm")),
    Key("adpF", "fmeasure", aliases=("adpfm",)),
    Key("maxE", "emeasure", curve="E", statistic="max", aliases=("maxem",)),
    Key("meanE", "emeasure", curve="E", statistic="mean", aliases=("avgem", "meanem")),
    Key("adpE", "emeasure", aliases=("adpem",)),
    Key("maxIoU", "fmeasure", curve="IoU", statistic="max"),
    Key("meanIoU", "fmeasure", curve="IoU", statistic="mean"),
    Key("adpIoU", "fmeasure"),
    Key("maxDice", "fmeasure", curve="Dice", statistic="max"),
    Key("meanDice", "fmeasure", curve="Dice", statistic="mean"),
    Key("adpDice", "fmeasure"),
    Key("IoU", "iou"),
    Key("OR", "overlap"),
    Key("PFOM", "pfom"),
)

#: Every key by name, in the order tables print them.
KEYS: dict[str, Key] = {key.name: key for key in _KEYS}
METRIC_KEYS = tuple(KEYS)
#: Keys where smaller is better; every other key is larger-is-better.
LOWER_IS_BETTER = frozenset(key.name for key in _KEYS if key.lower_is_better)
#: Keys with one value per image (the ``per_image`` columns), in table order.
PER_IMAGE_KEYS = tuple(key.name for key in _KEYS if key.per_image)
#: Keys read from the mean curves: a metric set without any of them stores no curves.
CURVE_METRICS = tuple(key.name for key in _KEYS if not key.per_image)
#: Other spellings (lower case) -> key.
ALIASES = {alias: key.name for key in _KEYS for alias in key.aliases}


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
