"""A per-(dataset, method) result cache, so re-running on unchanged folders is instant.

Key: SHA-256 of the sodbench version, the conventions, the metric set (the expanded keys),
the pairing options (``skip_empty_gt`` too), the chunk size, the resolved folders (the image
folder when a selected metric reads the images: CCM) and, for every paired file (images
included then), its name, size and modification time in nanoseconds. Sizes and mtimes (what
``make`` and ``rsync`` trust) cost one ``stat`` per file; content hashes would read every
byte, which on SD-Saliency-900 costs about as much as decoding the PNGs and so would defeat
the purpose. Rewriting a map in place changes its
mtime; tools that preserve mtimes while changing bytes are the one blind spot, and running
without a cache covers it.

Each entry is one JSON file (full float64 precision, no pickle) written atomically as soon
as its (dataset, method) finishes. While it runs, every finished chunk of its images is
kept the same way under ``partial/`` (the Evaluator's accumulated state), so an interrupted
run resumes at the chunk where it stopped; the chunk files go when the entry is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sodbench import __version__
from sodbench.folders.outputs import atomic_write

if TYPE_CHECKING:  # pandas takes 0.4 s to import: only where a table is made
    import pandas as pd

__all__ = ["CACHE_FORMAT", "DEFAULT_NAME", "ENV_VAR", "PARTIAL_FORMAT", "ResultCache",
           "cache_key", "default_cache_dir"]

ENV_VAR = "SODBENCH_CACHE_DIR"
DEFAULT_NAME = ".sodbench_cache"
# "/2": entries carry counts.images_sha256; older cached entries (same version) must not be
# reused, or their results files would lack it and `sodbench check` would refuse them.
# "/4": entries name their metric conventions "conventions" (was "profile").
# "/5": entries carry counts.n_empty_skipped (skip_empty_gt) and may hold keys of any group.
CACHE_FORMAT = "sodbench.cache/5"
PARTIAL_FORMAT = "sodbench.cache.chunk"


def default_cache_dir(json_output: str | os.PathLike | None) -> Path:
    """``$SODBENCH_CACHE_DIR``, else ``.sodbench_cache/`` beside the JSON output (or here)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    # realpath, unlike Path.resolve on Python < 3.13, does not raise on a symlink loop
    parent = Path(os.path.realpath(json_output)).parent if json_output else Path.cwd()
    return parent / DEFAULT_NAME


def cache_key(files: list[Path], settings: dict) -> str:
    """Hash of the file list (name, size, mtime) and the settings that change results.

    ``settings`` must hold the resolved folders; files are hashed by name only, because
    resolving ten thousand paths costs seconds and the folders already pin them.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps({"sodbench": __version__, **settings}, sort_keys=True).encode())
    for path in files:
        try:
            stat = os.stat(path)
            size, mtime = stat.st_size, stat.st_mtime_ns
        except (OSError, ValueError):  # a looping or broken link: it fails (or is skipped)
            size, mtime = -1, -1       # when read; keyed as unreadable until it is fixed
        digest.update(f"\0{path.name}\0{size}\0{mtime}".encode())
    return digest.hexdigest()


def _file_name(dataset: str, method: str, key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{dataset}__{method}")
    return f"{safe}__{key[:24]}.json"


def _to_jsonable(value):
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist()}
    return value


def _from_jsonable(value):
    if isinstance(value, dict):
        if set(value) == {"__ndarray__"}:
            return np.asarray(value["__ndarray__"], dtype=np.float64)
        return {k: _from_jsonable(v) for k, v in value.items()}
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _entry_ok(entry, dataset: str, method: str) -> bool:
    """True if ``entry`` has the layout of a results entry of (dataset, method) with numbers
    where numbers belong (a damaged cache file must not reach a results file)."""
    if not isinstance(entry, dict) or (entry.get("dataset"), entry.get("method")) != (
            dataset, method):
        return False
    metrics, counts, curves = entry.get("metrics"), entry.get("counts"), entry.get("curves")
    if not (isinstance(metrics, dict) and isinstance(counts, dict) and isinstance(curves, dict)
            and isinstance(entry.get("notes"), list) and isinstance(entry.get("paths"), dict)):
        return False
    if not all(_is_number(value) for value in metrics.values()):
        return False
    if not _is_int(counts.get("n_evaluated")) or not isinstance(counts.get("images_sha256"), str):
        return False
    return all(isinstance(value, list) or (isinstance(value, dict) and set(value) == {
        "__ndarray__"} and isinstance(value["__ndarray__"], list)) for value in curves.values())


def _table_ok(table) -> bool:
    """True if ``table`` is a per-image table: a list of column names and rows of that width."""
    if not isinstance(table, dict):
        return False
    columns, rows = table.get("columns"), table.get("rows")
    return (isinstance(columns, list) and all(isinstance(c, str) for c in columns)
            and isinstance(rows, list)
            and all(isinstance(row, list) and len(row) == len(columns) for row in rows))


class ResultCache:
    """Entries of finished (dataset, method) evaluations under one folder."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    def load(self, dataset: str, method: str, key: str) -> tuple[dict, pd.DataFrame] | None:
        """The cached (entry, per-image frame), or None when absent or unreadable."""
        path = self.folder / _file_name(dataset, method, key)
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if (not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT
                or stored.get("key") != key):
            return None
        entry, table = stored.get("entry"), stored.get("per_image")
        if not _entry_ok(entry, dataset, method) or not _table_ok(table):
            return None  # damaged: computed again, and stored over it
        import pandas as pd

        frame = pd.DataFrame(table["rows"], columns=table["columns"])
        return _from_jsonable(entry), frame

    def store(self, dataset: str, method: str, key: str, entry: dict, frame: pd.DataFrame):
        """Persist one finished (dataset, method) atomically."""
        stored = {
            "format": CACHE_FORMAT,
            "key": key,
            "entry": _to_jsonable(entry),
            "per_image": {"columns": list(frame.columns), "rows": frame.values.tolist()},
        }
        text = json.dumps(stored, allow_nan=True)
        atomic_write(self.folder / _file_name(dataset, method, key), text)

    def _partial_folder(self, dataset: str, method: str, key: str) -> Path:
        return self.folder / "partial" / _file_name(dataset, method, key)[: -len(".json")]

    def store_chunk(self, dataset: str, method: str, key: str, chunk: int, payload: dict):
        """Persist one finished chunk of an unfinished (dataset, method) atomically."""
        stored = {"format": PARTIAL_FORMAT, "key": key, "chunk": chunk, "payload": payload}
        path = self._partial_folder(dataset, method, key) / f"{chunk}.json"
        atomic_write(path, json.dumps(stored, allow_nan=True), durable=False)

    def load_chunks(self, dataset: str, method: str, key: str) -> dict[int, dict]:
        """The finished chunks stored for this key: chunk index -> payload."""
        chunks = {}
        folder = self._partial_folder(dataset, method, key)
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
            try:
                stored = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            # a damaged chunk file is left out (computed again), never a traceback
            if (isinstance(stored, dict) and stored.get("format") == PARTIAL_FORMAT
                    and stored.get("key") == key and _is_int(stored.get("chunk"))
                    and stored["chunk"] >= 0 and path.stem == str(stored["chunk"])
                    and isinstance(stored.get("payload"), dict)):
                chunks[stored["chunk"]] = stored["payload"]
        return chunks

    def drop_chunks(self, dataset: str, method: str, key: str) -> None:
        """Remove the chunk files of a (dataset, method) once its entry is stored."""
        folder = self._partial_folder(dataset, method, key)
        if folder.is_dir():
            for path in folder.iterdir():
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                folder.rmdir()
                folder.parent.rmdir()  # only when no other method has chunks left
