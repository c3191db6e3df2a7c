"""Results files of separate runs (datasets or methods evaluated apart) as one results file.

The merged document reads, for ``table``, ``plot`` and ``check``, as if one ``eval`` had
written it: the entries of the inputs in argument order (each file's in its own order), a
(dataset, method) held by several inputs kept once.

A (dataset, method) held twice must be the same result: same conventions, same sodbench
version (provenance ``sodbench_version``) and the same ``counts``, ``metrics``, ``curves``
and ``subsets``, to the last bit (paths and notes may differ: the first input's are kept).
Otherwise it is a conflict, refused in one line naming both files and the first difference,
unless ``prefer="newest"`` keeps the entry whose run was created last (provenance
``created``); the kept entry stays where the pair was first seen.

The merged provenance keeps every input's under ``"merged"``::

    "provenance": {
      "sodbench_version": "0.2.0",      # the inputs' versions, ", "-joined when they differ
      "conventions": "pysodmetrics",    # "mixed" when the entries name different ones
      "created": ISO-8601,              # the latest of the kept runs' (each run's: below)
      ...,                              # the fields the kept runs agree on (options, numpy...)
      "merged_at": ISO-8601,            # when the merge was written
      "merged": [{"file": "ft.json", "provenance": {...},
                  "entries": [["SD-Saliency-900", "FT"]],  # taken from this file
                  "duplicates": [...],  # identical to an entry taken from an earlier file
                  "replaced": [...]}]   # conflicting, replaced by a newer file's (prefer)
    }

Every entry names its conventions (an entry of a 0.1.0 file that relied on its file's
provenance gets them written in), so no entry borrows another run's conventions. Merging a
merged file carries its ``"merged"`` records over (with ``"via"``: the merged file), so the
records always name the runs that computed the numbers.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sodbench.errors import SodbenchError
from sodbench.folders.results import load_results
from sodbench.reports.entries import conventions_of

__all__ = ["MIXED", "PREFER", "merge_results", "replacements"]

#: The choices of ``prefer``: which of two conflicting entries to keep.
PREFER = ("newest",)
#: The provenance ``conventions`` of a merged file whose entries name different ones.
MIXED = "mixed"
# what a (dataset, method) must share in two inputs to be one result
_SAME = ("conventions", "sodbench_version", "counts", "metrics", "curves", "subsets")
_FIX = 'keep the entry of the newest run with prefer="newest" (by provenance created) or '



@dataclass
class _Origin:
    """A run that computed entries: the file given, its provenance, and what it gave."""

    file: str
    provenance: dict
    via: str | None = None
    taken: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    replaced: list = field(default_factory=list)

    def record(self) -> dict:
        record = {"file": self.file, **({"via": self.via} if self.via else {}),
                  "provenance": self.provenance, "entries": self.taken}
        return {**record, **{name: pairs for name, pairs in (("duplicates", self.duplicates),
                                                             ("replaced", self.replaced)) if pairs}}


@dataclass
class _Candidate:
    """One input's entry of a (dataset, method), with the file and run it comes from."""

    entry: dict
    label: str
    index: int
    origin: _Origin

    def facts(self) -> dict:
        return {"sodbench_version": self.origin.provenance.get("sodbench_version", _ABSENT),
                **{key: self.entry.get(key, _ABSENT) for key in _SAME
                   if key != "sodbench_version"}}


def merge_results(documents_or_paths: list, prefer: str | None = None) -> dict:
    """Merge results documents (or the results files at these paths) into one document.

    Parameters
    ----------
    documents_or_paths : list of dict or path-like
        Results files (read with :func:`sodbench.folders.results.load_results`) or documents
        already read, in the order their entries go into the merged document.
    prefer : {None, "newest"}
        What to do with a (dataset, method) whose entries differ between inputs: refuse
        (None), or keep the entry of the run created last (provenance ``created``).

    Returns
    -------
    dict
        A results document (``provenance``, ``entries``) for
        :func:`sodbench.folders.results.dump_results`; its provenance is described in the
        module docstring.

    Raises
    ------
    SodbenchError
        A file given twice, an unreadable results file, or a conflict (see the module
        docstring), in one line naming the files.
    """
    if prefer is not None and prefer not in PREFER:
        raise SodbenchError(f"prefer={prefer!r}: choose {' or '.join(PREFER)} (or none)")
    if not documents_or_paths:
        raise SodbenchError("no results files to merge: give at least one")
    _refuse_repeats(documents_or_paths)
    origins, candidates = [], {}
    for number, item in enumerate(documents_or_paths, 1):
        label = f"document {number}" if isinstance(item, dict) else str(item)
        document = item if isinstance(item, dict) else load_results(item)
        _collect(document, label, origins, candidates)
    entries = [_decide(pair, found, prefer) for pair, found in candidates.items()]
    return {"provenance": _provenance(origins, entries), "entries": entries}


def _refuse_repeats(items: list) -> None:
    seen = {}
    for item in items:
        if isinstance(item, dict):
            continue
        key = os.path.normcase(os.path.realpath(item))
        if key in seen:
            same = "" if str(seen[key]) == str(item) else f" (as {seen[key]})"
            raise SodbenchError(f"{item}: given twice{same}; give each results file once")
        seen[key] = item


def _collect(document: dict, label: str, origins: list, candidates: dict) -> None:
    """Add ``document``'s entries to ``candidates`` ((dataset, method) -> list) and its runs
    to ``origins``."""
    provenance = document.get("provenance", {})
    own = _Origin(label, {key: value for key, value in provenance.items() if key != "merged"})
    earlier = _earlier_runs(provenance.get("merged"), label)
    used = [own] if not document["entries"] else []
    for index, entry in enumerate(document["entries"]):
        pair = (str(entry["dataset"]), str(entry["method"]))
        origin = earlier.get(pair, own)
        if not any(origin is run for run in used):
            used.append(origin)
        conventions = conventions_of(entry, origin.provenance) or conventions_of(entry,
                                                                                 provenance)
        written = {**entry, "conventions": conventions} if conventions else dict(entry)
        candidates.setdefault(pair, []).append(_Candidate(written, label, index, origin))
    origins += used


def _earlier_runs(records, label: str) -> dict[tuple[str, str], _Origin]:
    """(dataset, method) -> the run that computed it, from a merged file's ``"merged"``."""
    if records is None:
        return {}
    if not (isinstance(records, list) and all(
            isinstance(r, dict) and isinstance(r.get("provenance"), dict)
            and isinstance(r.get("entries"), list)
            and all(isinstance(pair, list) and len(pair) == 2 for pair in r["entries"])
            for r in records)):
        raise SodbenchError(f"{label}: provenance \"merged\" is not a list of "
                            "{file, provenance, entries}; write merged files with "
                            "merge_results (as `sodbench merge` does)")
    runs = {}
    for record in records:
        origin = _Origin(str(record.get("file")), record["provenance"], via=label)
        for pair in record["entries"]:
            runs[tuple(str(name) for name in pair)] = origin
    return runs


def _decide(pair: tuple[str, str], found: list[_Candidate], prefer: str | None) -> dict:
    """The entry kept for ``pair``; the others are noted on their runs' records."""
    first = found[0]
    differing = next((c for c in found[1:] if _difference(first, c) is not None), None)
    if differing is None:
        kept = first
    elif prefer is None:
        raise SodbenchError(_conflict(pair, first, differing) + f"; {_FIX}"
                            + _drop(first, differing))
    else:
        kept = _newest(pair, found)
    kept.origin.taken.append(list(pair))
    for other in found:
        if other is not kept:
            same = _difference(kept, other) is None
            (other.origin.duplicates if same else other.origin.replaced).append(list(pair))
    return kept.entry


def _conflict(pair: tuple[str, str], a: _Candidate, b: _Candidate) -> str:
    names = (a.label, b.label) if a.label != b.label else (f"{a.label} (entry {a.index})",
                                                           f"{b.label} (entry {b.index})")
    return (f"{names[0]} and {names[1]} both hold ({pair[0]}, {pair[1]}), differently: "
            f"{_difference(a, b)}")


def _drop(a: _Candidate, b: _Candidate) -> str:
    return "drop one file" if a.label != b.label else "remove one of the two entries"


def _newest(pair: tuple[str, str], found: list[_Candidate]) -> _Candidate:
    times = [(_created(candidate, pair), candidate) for candidate in found]
    latest = max(time for time, _ in times)
    newest = [candidate for time, candidate in times if time == latest]
    rival = next((c for c in newest[1:] if _difference(newest[0], c) is not None), None)
    if rival is not None:
        raise SodbenchError(_conflict(pair, newest[0], rival) + "; prefer=\"newest\" cannot "
                            f"choose: both runs were created at {latest.isoformat()}; "
                            + _drop(newest[0], rival))
    return newest[0]


def _created(candidate: _Candidate, pair: tuple[str, str]) -> datetime:
    time = _time(candidate.origin.provenance)
    if time is None:
        raise SodbenchError(
            f"{candidate.label}: its run of ({pair[0]}, {pair[1]}) records no readable "
            f"provenance created ({candidate.origin.provenance.get('created')!r}), so "
            "prefer=\"newest\" cannot date it; drop one file")
    return time[0]


def _difference(a: _Candidate, b: _Candidate) -> str | None:
    """The first difference of what makes two entries one result (``MAE 0.0412 vs 0.0415``)."""
    found = _first_difference(a.facts(), b.facts(), [])
    if found is None:
        return None
    path, left, right = found
    return f"{_where(path)} {_shown(left, right)} vs {_shown(right, left)}"


def _first_difference(a, b, path: list):
    """(path, a's value, b's value) where ``a`` and ``b`` first differ, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(key for key in b if key not in a)]:
            found = _first_difference(a.get(key, _ABSENT), b.get(key, _ABSENT), [*path, key])
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (left, right) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(left, right, [*path, index])
            if found:
                return found
        return None
    return None if _same_value(a, b) else (path, a, b)


class _Absent:
    def __repr__(self) -> str:
        return "absent"


_ABSENT = _Absent()


def _same_value(a, b) -> bool:
    missing = [value is None or isinstance(value, float) and math.isnan(value)
               for value in (a, b)]
    return all(missing) if any(missing) else a == b


def _where(path: list) -> str:
    """``["metrics", "MAE"]`` -> ``MAE``; ``["curves", "F", 17]`` -> ``curve F at threshold
    17``; others dotted (``counts.images_sha256``, ``subsets.In.metrics.MAE``)."""
    if path[:1] == ["metrics"] and len(path) == 2:
        return str(path[1])
    if path[:1] == ["curves"] and len(path) == 3:
        return f"curve {path[1]} at threshold {path[2]}"
    if path[:1] == ["curves"] and len(path) == 2:
        return f"curve {path[1]}"
    return ".".join(str(part) for part in path)


def _shown(value, other) -> str:
    """``value`` with as many digits as tell it from ``other`` (4 at least)."""
    if isinstance(value, float) and isinstance(other, (int, float)):
        for digits in range(4, 18):
            if f"{value:.{digits}g}" != f"{float(other):.{digits}g}":
                return f"{value:.{digits}g}"
        return repr(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return f"{len(value)} values"
    if isinstance(value, dict):
        return "{" + ", ".join(str(key) for key in value) + "}"
    if isinstance(value, str) and len(value) > 20:
        return value[:12] + "..."
    return "null" if value is None else str(value)


def _provenance(origins: list[_Origin], entries: list[dict]) -> dict:
    """The merged provenance: what the contributing runs agree on, and every run's record."""
    runs = [origin.provenance for origin in origins if origin.taken]
    versions = list(dict.fromkeys(str(run["sodbench_version"]) for run in runs
                                  if "sodbench_version" in run))
    provenance = {"sodbench_version": ", ".join(versions)} if versions else {}
    named = [entry.get("conventions") for entry in entries]
    if named and None not in named:
        provenance["conventions"] = named[0] if len(set(named)) == 1 else MIXED
    times = [time for time in map(_time, runs) if time is not None]
    if times:
        provenance["created"] = max(times)[1]
    shared = _common([{key: value for key, value in run.items()
                       if key not in ("sodbench_version", "conventions", "created")}
                      for run in runs])
    return {**provenance, **shared,
            "merged_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "merged": [origin.record() for origin in origins]}


def _time(run: dict) -> tuple[datetime, str] | None:
    """A run's ``created`` (as a time and as written), or None when it has none readable."""
    try:
        time = datetime.fromisoformat(run.get("created"))
    except (TypeError, ValueError):
        return None
    return time if time.tzinfo else time.replace(tzinfo=timezone.utc), run["created"]


def _common(records: list[dict]) -> dict:
    """The fields on which all ``records`` agree; of an object field (``options``), the
    fields inside it on which they agree (e.g. the subset rules of runs with other metrics)."""
    common = {}
    for key, value in (records[0] if records else {}).items():
        values = [record.get(key, _ABSENT) for record in records]
        if all(isinstance(item, dict) for item in values):
            inner = _common(values)
            if inner:
                common[key] = inner
        elif all(item == value for item in values):
            common[key] = value
    return common


def replacements(document: dict) -> list[str]:
    """One line per entry that ``prefer="newest"`` took from a newer run, from a merged
    document's provenance (``"merged"``): which file's entry replaced which.

    >>> replacements({"provenance": {"merged": [
    ...     {"file": "a.json", "provenance": {"created": "2024-01-01"},
    ...      "entries": [], "replaced": [["D", "M"]]},
    ...     {"file": "b.json", "provenance": {"created": "2024-02-01"},
    ...      "entries": [["D", "M"]]}]}})
    ['(D, M): kept b.json (created 2024-02-01), replaced a.json (created 2024-01-01)']
    """
    records = document.get("provenance", {}).get("merged", [])
    taken = {tuple(pair): record for record in records for pair in record["entries"]}
    lines = []
    for record in records:
        for pair in record.get("replaced", []):
            kept = taken[tuple(pair)]
            lines.append(f"({pair[0]}, {pair[1]}): kept {_named(kept)}, replaced "
                         f"{_named(record)}")
    return lines


def _named(record: dict) -> str:
    via = f" via {record['via']}" if record.get("via") else ""
    return f"{record['file']}{via} (created {record['provenance'].get('created', '?')})"
