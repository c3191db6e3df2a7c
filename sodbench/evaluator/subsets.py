"""Subsets of a dataset scored besides the whole set: named by image names, or by object size.

A :class:`Subsets` rule says which subsets an image belongs to, from its name (shell-style
globs, ``In_*``, or a list of names) and from its GT's foreground fraction (size buckets:
``small`` below the first threshold, ``medium`` up to the second, ``large`` from there; an
empty GT is in no size bucket). An image may be in several subsets (a class and a size) or in
none. The :class:`~sodbench.Evaluator` keeps each subset's curve sums and totals beside the
whole set's, so a subset costs a few sums, not a second scoring (docs/subsets.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import numpy as np

from sodbench.errors import SodbenchError

__all__ = ["DEFAULT_SIZE_BUCKETS", "PRESETS", "SEPARATOR", "SIZE_BUCKET_NAMES", "Subset",
           "Subsets", "parse_size_buckets"]

#: Foreground fractions that split small, medium and large objects (1% and 10% of the image).
DEFAULT_SIZE_BUCKETS = (0.01, 0.1)
SIZE_BUCKET_NAMES = ("small", "medium", "large")
#: The separator of subset names in the ``subsets`` column of a per-image table.
SEPARATOR = ";"


@dataclass(frozen=True)
class Subset:
    """A named subset: the images whose name matches one of ``globs`` or is one of ``names``.

    Globs are matched case-sensitively against the whole image name (the file stem the GT
    and prediction share): ``In_*`` takes ``In_12``, not ``in_12`` or ``Pin_3``.
    """

    name: str
    globs: tuple[str, ...] = ()
    names: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self):
        object.__setattr__(self, "globs", tuple(self.globs))
        object.__setattr__(self, "names", frozenset(self.names))
        _check_name(self.name)
        if not self.globs and not self.names:
            raise SodbenchError(f"subset {self.name!r} names no image: give a glob (In_*) or "
                                "image names")

    def contains(self, image: str) -> bool:
        return image in self.names or any(fnmatchcase(image, glob) for glob in self.globs)

    def rule(self) -> str:
        """How the subset is defined, in words (provenance, notes)."""
        parts = [" or ".join(self.globs)] if self.globs else []
        if self.names:
            parts.append(f"{len(self.names)} listed names")
        return " or ".join(parts)


def _check_name(name) -> None:
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise SodbenchError(f"subset name {name!r}: give a non-empty name without leading or "
                            "trailing spaces")
    if SEPARATOR in name or any(ord(char) < 32 for char in name):
        raise SodbenchError(f"subset name {name!r}: a name may not hold {SEPARATOR!r} (it "
                            "separates subset names in the per-image table) or control "
                            "characters")


#: Named subset sets of known datasets.
PRESETS = {
    # SD-Saliency-900: 300 inclusions, 300 patches, 300 scratches, named by class
    "sd-saliency-900": (Subset("In", ("In_*",)), Subset("Pa", ("Pa_*",)),
                        Subset("Sc", ("Sc_*",))),
}


def parse_size_buckets(text) -> tuple[float, float]:
    """``"1%,10%"``, ``"0.01,0.1"`` or a pair of numbers -> the two thresholds as fractions.

    >>> parse_size_buckets("1%,10%"), parse_size_buckets("0.005,0.2")
    ((0.01, 0.1), (0.005, 0.2))
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    fix = "give two ascending foreground fractions in (0, 1), e.g. 1%,10% or 0.01,0.1"
    if len(parts) != 2:
        raise SodbenchError(f"size_buckets={text!r}: {fix}")
    values = []
    for part in parts:
        try:
            if isinstance(part, str) and part.strip().endswith("%"):
                value = float(part.strip()[:-1]) / 100
            else:
                value = float(part)
        except (TypeError, ValueError):
            raise SodbenchError(f"size_buckets={text!r}: {fix}") from None
        values.append(value)
    low, high = values
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high < 1):
        raise SodbenchError(f"size_buckets={text!r}: {fix}")
    return low, high


@dataclass(frozen=True)
class Subsets:
    """Which subsets each image belongs to: named subsets, then the size buckets if any.

    Examples
    --------
    >>> rule = Subsets.build(preset="sd-saliency-900", size_buckets="1%,10%")
    >>> rule.names
    ('In', 'Pa', 'Sc', 'small', 'medium', 'large')
    >>> rule.members(["In_1", "Sc_7"], np.array([0.004, 0.2]))
    [('In', 'small'), ('Sc', 'large')]
    """

    subsets: tuple[Subset, ...] = ()
    size_buckets: tuple[float, float] | None = None

    def __post_init__(self):
        object.__setattr__(self, "subsets", tuple(self.subsets))
        if self.size_buckets is not None:
            object.__setattr__(self, "size_buckets", parse_size_buckets(self.size_buckets))
        seen = set()
        for name in self.names:
            if name in seen:
                what = (" (a size bucket's name: rename your subset)"
                        if name in SIZE_BUCKET_NAMES and self.size_buckets else "")
                raise SodbenchError(f"subset {name!r} is defined twice{what}")
            seen.add(name)

    @classmethod
    def build(cls, subsets: Mapping[str, str | Sequence[str]] | Iterable[Subset] | None = None,
              *, preset: str | None = None, size_buckets=None) -> Subsets | None:
        """The rule for ``subsets`` ({name: glob or globs}, or :class:`Subset` objects), a
        ``preset`` name (:data:`PRESETS`) and ``size_buckets`` (True for
        :data:`DEFAULT_SIZE_BUCKETS`, or thresholds); None when nothing is asked for."""
        chosen: list[Subset] = []
        if preset is not None:
            if preset not in PRESETS:
                raise SodbenchError(f"subset_preset={preset!r} is unknown: known presets are "
                                    f"{', '.join(PRESETS)}")
            chosen += PRESETS[preset]
        if isinstance(subsets, Mapping):
            for name, globs in subsets.items():
                chosen.append(Subset(name, (globs,) if isinstance(globs, str) else globs))
        elif subsets is not None:
            chosen += list(subsets)
        if size_buckets is True:
            size_buckets = DEFAULT_SIZE_BUCKETS
        elif size_buckets is False:
            size_buckets = None
        if not chosen and size_buckets is None:
            return None
        return cls(tuple(chosen), size_buckets)

    @property
    def names(self) -> tuple[str, ...]:
        """Every subset name, in the order results show them."""
        buckets = SIZE_BUCKET_NAMES if self.size_buckets else ()
        return tuple(subset.name for subset in self.subsets) + buckets

    def members(self, images: Sequence[str], fractions: np.ndarray) -> list[tuple[str, ...]]:
        """The subsets of each image, from its name and its GT's foreground fraction."""
        found = []
        for image, fraction in zip(images, fractions, strict=True):
            named = tuple(subset.name for subset in self.subsets if subset.contains(image))
            found.append(named + self._bucket(float(fraction)))
        return found

    def _bucket(self, fraction: float) -> tuple[str, ...]:
        if self.size_buckets is None or fraction == 0:
            return ()
        low, high = self.size_buckets
        return (SIZE_BUCKET_NAMES[0 if fraction < low else 1 if fraction < high else 2],)

    def describe(self) -> dict:
        """The rule as JSON (provenance and cache keys); :meth:`from_description` reads it."""
        return {
            "subsets": [{"name": subset.name, "globs": list(subset.globs),
                         "names": sorted(subset.names)} for subset in self.subsets],
            "size_buckets": None if self.size_buckets is None else list(self.size_buckets),
        }

    @classmethod
    def from_description(cls, description) -> Subsets:
        """The rule :meth:`describe` wrote (a damaged one raises :class:`SodbenchError`)."""
        try:
            subsets = tuple(Subset(item["name"], tuple(item["globs"]), frozenset(item["names"]))
                            for item in description["subsets"])
            return cls(subsets, description["size_buckets"])
        except (KeyError, TypeError) as error:
            raise SodbenchError(f"subset rule {description!r} is damaged ({error})") from None

    def rules(self) -> dict[str, str]:
        """Subset name -> its definition in words."""
        rules = {subset.name: subset.rule() for subset in self.subsets}
        if self.size_buckets:
            low, high = (f"{100 * value:g}%" for value in self.size_buckets)
            rules.update(small=f"GT foreground below {low} of the image",
                         medium=f"GT foreground from {low} to below {high}",
                         large=f"GT foreground from {high} up")
        return rules
