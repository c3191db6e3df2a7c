"""Every file sodbench writes goes through here: checked before the work, written atomically.

A command first declares what it reads and what it will write in an :class:`OutputPlan`;
the plan refuses, before any work starts and in one line naming the option and the path:

- an output that is one of the command's inputs (a results file, a config, a GT or
  prediction image, or a file directly inside an input folder);
- two outputs on one path;
- an output that cannot be written: a folder where a file is wanted (or the reverse), a
  parent that is a file, a folder that refuses a new file (read-only, no permission).

The writers (:func:`atomic_write`, :func:`atomic_file`) write to a temporary file in the
target's folder and rename it over the target, so a reader sees the old file or the new one,
never half of one, and an interrupted command leaves no partial output. The new file gets
the mode a plain ``open()`` would give it (``0o666`` less the umask).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sodbench.errors import SodbenchError

__all__ = ["OutputPlan", "atomic_file", "atomic_write", "check_folder", "check_writable",
           "claim_folder", "save_image"]


def _umask_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", *,
                durable: bool = True) -> Iterator:
    """Open a temporary file beside ``path``; on success it replaces ``path`` atomically.

    ``mode`` is ``"wb"`` or ``"w"`` (UTF-8). ``durable=False`` skips the ``fsync``: after a
    power cut the file may be lost or empty (fine for a checkpoint that is recomputed when
    unreadable), at a fraction of the cost. On any exception the temporary file is removed
    and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode {mode!r}: atomic files are written with 'w' or 'wb'")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates the file 0600; give it the mode a plain open() would.
        os.chmod(tmp, _umask_mode())
        encoding = None if mode == "wb" else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: str | os.PathLike, data: str | bytes, *, durable: bool = True) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path, "w" if isinstance(data, str) else "wb", durable=durable) as handle:
        handle.write(data)


def _existing_ancestor(path: Path) -> Path:
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            return parent
    return Path(path.anchor or ".")


def _probe(folder: Path, what: str) -> None:
    """Create and remove a file in ``folder``: the only test of writability that root,
    read-only mounts and ACLs all answer truthfully."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".sodbench-probe.", dir=folder)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SodbenchError(f"{what}: cannot write in {folder} ({reason}); choose a writable "
                            "location") from error
    os.close(fd)
    os.unlink(probe)


def _check_parent(path: Path, what: str) -> None:
    parent = path.parent
    if parent.is_dir():
        _probe(parent, what)
        return
    ancestor = _existing_ancestor(path)
    if not ancestor.is_dir():
        raise SodbenchError(f"{what}: {ancestor} is a file, not a folder; choose another path")
    _probe(ancestor, what)


def check_writable(path: str | os.PathLike, what: str) -> Path:
    """Refuse a file path that cannot be written (``what`` names it, e.g. ``--json out.json``)."""
    path = Path(path)
    if path.is_dir():
        raise SodbenchError(f"{what}: {path} is a folder; give a file name")
    if path.is_symlink() and not path.exists():
        raise SodbenchError(f"{what}: {path} is a broken or looping link; remove it or "
                            "choose another name")
    _check_parent(path, what)
    return path


def check_folder(path: str | os.PathLike, what: str) -> Path:
    """Refuse a folder path (made if missing) in which no file can be created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise SodbenchError(f"{what}: {path} is a file, not a folder; choose a folder")
    if path.is_dir():
        _probe(path, what)
    else:
        _check_parent(path, what)
    return path


def claim_folder(path: str | os.PathLike, what: str, owner: str) -> Path:
    """A folder a command fills with files of its own (``sodbench sample``, ``demo``).

    A new or empty folder is claimed with a marker file ``.sodbench-<owner>``; a folder with
    that marker (an earlier run of the same command) is reused, its files rewritten. A
    folder holding anything else is refused: it may be the user's data.
    """
    path = check_folder(path, what)
    marker = path / f".sodbench-{owner}"
    if path.is_dir() and any(path.iterdir()) and not marker.is_file():
        raise SodbenchError(f"{what}: {path} is not empty and was not written by sodbench "
                            f"{owner}; choose a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    if not marker.is_file():
        atomic_write(marker, f"written by sodbench {owner}; its files may be rewritten\n")
    return path


def save_image(image, path: str | os.PathLike, **options) -> None:
    """Save a Pillow image atomically, in the format its suffix names (without ``fsync``:
    a map lost in a power cut is made again by re-running)."""
    path = Path(path)
    with atomic_file(path, durable=False) as handle:
        image.save(handle, format=_PIL_FORMATS.get(path.suffix.lower(), None), **options)


_PIL_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".bmp": "BMP", ".tif": "TIFF",
                ".tiff": "TIFF"}


def _key(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


class OutputPlan:
    """The inputs and outputs of one command, checked against each other before the work.

    Examples
    --------
    >>> plan = OutputPlan()
    >>> plan.add_input("results.json", "RESULTS results.json")
    >>> plan.add_output("results.json", "--out")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sodbench.errors.SodbenchError: --out results.json: is RESULTS results.json, an input...
    """

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        self._folders: dict[str, str] = {}
        self._outputs: dict[str, str] = {}

    def add_input(self, path: str | os.PathLike, what: str) -> None:
        """A file the command reads (``what`` names it for messages, e.g. ``--baseline b.json``)."""
        self._files[_key(Path(path))] = what

    def add_input_folder(self, path: str | os.PathLike, what: str) -> None:
        """A folder whose files the command reads: no output may land directly inside it."""
        self._folders[_key(Path(path))] = what

    def add_output(self, path: str | os.PathLike, what: str) -> Path:
        """A file the command will write; refused if it clashes or cannot be written."""
        path, label = self._claim(path, what)
        inside = self._folders.get(_key(path.parent))
        if inside is not None:
            raise SodbenchError(f"{label}: lies inside {inside}, an input folder; write "
                                "outputs outside the data folders")
        check_writable(path, label)
        self._outputs[_key(path)] = label
        return path

    def add_output_folder(self, path: str | os.PathLike, what: str) -> Path:
        """A folder the command will write files into (a cache): not an input, writable."""
        path, label = self._claim(path, what)
        return check_folder(path, label)

    def _claim(self, path: str | os.PathLike, what: str) -> tuple[Path, str]:
        """``path`` and its message label, refused when an input or another output is there."""
        path = Path(path)
        label = what if str(path) in what else f"{what} {path}"
        key = _key(path)
        for owners, clash in ((self._files, "an input of this command; write the output to "
                                            "another file"),
                              (self._folders, "an input folder; choose another folder"),
                              (self._outputs, "already written by this command; give each "
                                              "output its own file")):
            if key in owners:
                raise SodbenchError(f"{label}: is {owners[key]}, {clash}")
        return path, label
