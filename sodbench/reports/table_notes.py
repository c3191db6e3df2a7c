"""The caption and the numbered notes under a table: where every number comes from."""

from __future__ import annotations

from sodbench import __version__
from sodbench.errors import SodbenchError
from sodbench.evaluator.subsets import Subsets
from sodbench.metrics.conventions import CONVENTIONS
from sodbench.profiling.record import ProfileRecord, SpeedRow
from sodbench.reports.entries import conventions_of
from sodbench.reports.leaderboards import Leaderboard

__all__ = ["FLOPS_WORDS", "caption", "profile_note", "result_notes", "subset_notes"]

#: What the FLOPs (G) column holds for each choice of ``flops``.
FLOPS_WORDS = {
    "paper": "paper-compatible MACs (thop-2020 convention, comparable with the MINet paper's "
             "'FLOPs (G)', which are MACs)",
    "macs": "multiply-accumulates (MACs)",
    "flops": "floating-point operations (FLOPs = 2 x MACs)",
}


def _conventions(document: dict) -> list[str]:
    """The conventions of the document's entries, in first-seen order (``?``: not named)."""
    provenance = document.get("provenance", {})
    return list(dict.fromkeys(str(conventions_of(entry, provenance) or "?")
                              for entry in document["entries"]))


def caption(document: dict, leaderboard: Leaderboard | None) -> str:
    """The leaderboard's title, else "Results on DATASETS (metric conventions ...)"."""
    if leaderboard is not None:
        return leaderboard.title
    datasets = ", ".join(dict.fromkeys(str(entry["dataset"]) for entry in document["entries"]))
    version = document.get("provenance", {}).get("sodbench_version", __version__)
    return (f"Results on {datasets} (metric conventions {', '.join(_conventions(document))}; "
            f"sodbench {version})")


def profile_note(method: str, record: ProfileRecord, flops: str) -> str:
    """Where ``method``'s Param, FLOPs and Speed come from, and why Speed is not the paper's."""
    shape = "x".join(str(size) for size in record.input_shape[1:]) or "?"
    speed = record.speed[0] if record.speed else SpeedRow()
    env = record.environment
    device = env.get("device_name") or env.get("device") or "unknown device"
    return (
        f"{method}: Param, FLOPs and Speed measured by sodbench profile; FLOPs (G) = "
        f"{FLOPS_WORDS[flops]} per {shape} image; Speed = {speed.backend or '?'} backend, "
        f"batch {speed.batch or '?'}, {speed.protocol or '?'} protocol on {device} "
        "(the MINet paper's Speed is batch-300 throughput on a GTX 2080Ti: not comparable)."
    )


def result_notes(document: dict, metrics: list[str]) -> list[str]:
    """Version and conventions of the results, partial coverage, the evaluation's own notes,
    and which of the shown ``metrics`` only approximate their reference."""
    notes = []
    names = sorted(_conventions(document))
    if document["entries"]:
        version = document.get("provenance", {}).get("sodbench_version", __version__)
        notes.append(f"Metrics by sodbench {version}, conventions {', '.join(names)}.")
    for entry in document["entries"]:
        coverage = entry.get("counts", {}).get("coverage")
        if coverage is not None and coverage < 1:
            counts = entry["counts"]
            notes.append(
                f"{entry['method']} on {entry['dataset']}: {counts.get('n_evaluated')} of "
                f"{counts.get('n_gt')} images evaluated (coverage {coverage:.1%})."
            )
        notes += [f"{entry['method']} on {entry['dataset']}: {note}"
                  for note in entry.get("notes", [])]
    return notes + _approximation_notes(names, metrics)


def subset_notes(document: dict, shown=None) -> list[str]:
    """What each subset column group holds (every subset, or those ``shown``): its images and
    its rule (from the provenance)."""
    described = document.get("provenance", {}).get("options", {}).get("subsets")
    try:
        rules = Subsets.from_description(described).rules() if described else {}
    except SodbenchError:  # a hand-edited provenance: the counts are still worth saying
        rules = {}
    notes = []
    for dataset in dict.fromkeys(entry["dataset"] for entry in document["entries"]):
        sizes = {}
        for entry in document["entries"]:
            if entry["dataset"] == dataset:
                for name, block in entry.get("subsets", {}).items():
                    if shown is None or name in shown:
                        sizes.setdefault(name, block.get("counts", {}).get("n_evaluated"))
        if sizes:
            parts = [f"{name}: {count} images" + (f", {rules[name]}" if name in rules else "")
                     for name, count in sizes.items()]
            notes.append(f"Subsets of {dataset}: {'; '.join(parts)}.")
    return notes


def _approximation_notes(names: list[str], metrics: list[str]) -> list[str]:
    """Say which shown metrics only approximate their reference, and what PFOM is."""
    notes = []
    for name in names:
        conventions = CONVENTIONS.get(name)
        if conventions is None:
            continue
        shown = [key for key in conventions.approximate if key in metrics]
        if shown:
            notes.append(f"{', '.join(shown)} approximate under conventions {name}: "
                         f"{conventions.description}.")
        if "PFOM" in metrics and "PFOM" not in conventions.approximate:
            notes.append(f"PFOM under conventions {name} is the textbook Pratt figure of merit; "
                         "the MINet paper's PFOM protocol is unpublished, so it is not "
                         "comparable with published PFOM values (the conventions "
                         "minet-tii2024 have the closest known variant).")
    return notes
