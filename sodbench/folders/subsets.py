"""Subsets from what a user gives: ``NAME=GLOB`` options, a CSV of (name, subset), a preset
and size buckets; and the check, before any image is read, that each named subset takes some
image of the run (a glob with a typo would otherwise give a subset silently missing)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from sodbench.errors import SodbenchError
from sodbench.evaluator.subsets import Subset, Subsets
from sodbench.folders.inputs import read_text
from sodbench.folders.pairing import Pairing, shorten

__all__ = ["CSV_COLUMNS", "check_subsets", "parse_subset", "read_subsets_csv", "subset_rule"]

#: The header of a ``--subsets`` CSV: an image name (the file stem) and one of its subsets.
CSV_COLUMNS = ("name", "subset")


def parse_subset(value: str) -> tuple[str, str]:
    """``"In=In_*"`` -> ("In", "In_*"); a value without a name or a glob is one line."""
    name, sep, glob = value.partition("=")
    if not sep or not name.strip() or not glob:
        raise SodbenchError(f"--subset {value!r}: write it as NAME=GLOB, e.g. --subset "
                            "scratches='Sc_*' (the glob is matched against image names)")
    return name.strip(), glob


def read_subsets_csv(path: str | os.PathLike) -> list[Subset]:
    """The subsets of a CSV with columns ``name, subset`` (one row per image and subset; an
    image may be in several subsets), in first-seen order."""
    path = Path(path)
    rows = list(csv.reader(io.StringIO(read_text(path, f"--subsets {path}"))))
    if not rows or [cell.strip() for cell in rows[0]] != list(CSV_COLUMNS):
        raise SodbenchError(f"--subsets {path}: the first line must be the header "
                            f"{','.join(CSV_COLUMNS)} (an image name, then one of its subsets)")
    names: dict[str, set[str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise SodbenchError(f"--subsets {path}: line {number} is not 'name,subset' "
                                f"({','.join(row)!r})")
        names.setdefault(row[1].strip(), set()).add(row[0].strip())
    if not names:
        raise SodbenchError(f"--subsets {path}: no rows below the header")
    return [Subset(subset, names=frozenset(members)) for subset, members in names.items()]


def subset_rule(subsets: Sequence[str] = (), subsets_csv: str | os.PathLike | None = None,
                preset: str | None = None, size_buckets=None) -> Subsets | None:
    """The rule of ``--subset`` values, a ``--subsets`` CSV, ``--subset-preset`` and
    ``--size-buckets`` (True for 1% and 10%); None when none is given."""
    chosen = [Subset(name, (glob,)) for name, glob in map(parse_subset, subsets)]
    if subsets_csv is not None:
        chosen += read_subsets_csv(subsets_csv)
    return Subsets.build(chosen, preset=preset, size_buckets=size_buckets)


def check_subsets(rule: Subsets | None, pairings: Sequence[Pairing]) -> None:
    """Refuse, before any image is read, a named subset that takes no GT image of the run, and
    a listed name that is no GT image of it (a typo would silently shrink the subset); size
    buckets may be empty: the data decide."""
    if rule is None:
        return
    names = {name for pairing in pairings for name in pairing.gt_names}
    example = min(names, default="")
    for subset in rule.subsets:
        unknown = sorted(subset.names - names)
        if unknown:
            raise SodbenchError(
                f"subset {subset.name} lists {len(unknown)} names that are no GT image of this "
                f"run ({shorten(unknown)}): names are GT file stems, e.g. {example!r}")
        if not any(subset.contains(name) for name in names):
            raise SodbenchError(
                f"subset {subset.name} ({subset.rule()}) takes none of the {len(names)} GT "
                f"names of this run (e.g. {example!r}): globs match whole names, "
                "case-sensitively")
