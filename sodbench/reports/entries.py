"""What the reports read from a results entry besides its numbers: its metric conventions."""

from __future__ import annotations

__all__ = ["conventions_of"]

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
