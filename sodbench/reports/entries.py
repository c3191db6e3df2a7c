"""What the reports read from a results entry besides its numbers: its metric conventions,
and its subsets as entries of their own."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["conventions_of", "subset_label", "with_subsets"]

# sodbench 0.1.0 wrote "profile"; load_results renames it, a document read otherwise keeps it
_KEYS = ("conventions", "profile")


def conventions_of(entry: dict, provenance: dict) -> str | None:
    """The metric conventions ``entry`` was scored under: its own, else its document's.

    Parameters
    ----------
    entry : dict
        One entry of a results document.
    provenance : dict
        The document's ``provenance`` block (``{}`` when it has none).

    Returns
    -------
    str or None
        A conventions name (``"pysodmetrics"`` ...), or None when neither names one.
    """
    for record in (entry, provenance):
        for key in _KEYS:
            if key in record:
                return record[key]
    return None


def subset_label(dataset: str, subset: str) -> str:
    """The dataset name of a subset's entries: ``"SD-Saliency-900: Sc"``."""
    return f"{dataset}: {subset}"


def with_subsets(document: dict, chosen: Sequence[str] | None = None) -> list[dict]:
    """The entries of ``document`` with, after each dataset's, one entry per (subset, method)
    whose dataset is :func:`subset_label` (every subset, or those ``chosen``, in that order).

    A subset's entry has the subset's counts (its ``n_gt`` is the images it scored), metrics
    and curves, and its entry's conventions, so tables show it as a column group and ``check``
    compares it as strictly as a dataset.
    """
    provenance = document.get("provenance", {})
    entries = []
    for dataset in dict.fromkeys(entry["dataset"] for entry in document["entries"]):
        own = [entry for entry in document["entries"] if entry["dataset"] == dataset]
        entries += own
        held = dict.fromkeys(name for entry in own for name in entry.get("subsets", {}))
        for subset in (held if chosen is None else [name for name in chosen if name in held]):
            for entry in own:
                block = entry.get("subsets", {}).get(subset)
                if block is None:
                    continue
                counts = block.get("counts", {})
                entries.append({**block, "dataset": subset_label(dataset, subset),
                                "method": entry["method"],
                                "conventions": conventions_of(entry, provenance),
                                "counts": {**counts, "n_gt": counts.get("n_evaluated")}})
    return entries
