"""Opening what a command reads, with one-line errors for paths that cannot be read.

The input side of :mod:`sodbench.folders.outputs`. A looping or broken link, a folder where a file
is wanted (or the reverse), a FIFO or a device, a path without read permission or with a NUL
character: each gives a :class:`SodbenchError` that names the path and what is wrong with it,
instead of an ``OSError`` or ``RuntimeError`` traceback, or a read of a FIFO that waits
forever for a writer. :func:`name_problem` checks the dataset and method names a user gives.
"""

from __future__ import annotations

import errno
import os
import stat
import unicodedata
from pathlib import Path
from typing import BinaryIO

from sodbench.errors import SodbenchError

__all__ = ["check_input_folder", "input_problem", "name_problem", "open_input", "read_text"]

_LINK_FIX = "; fix or remove the link"
# O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a file" if stat.S_ISREG(mode) else "a special file"


def _os_problem(path: str | os.PathLike, error: OSError, *, folder: bool) -> str:
    """Why ``os.stat`` or ``open`` failed on ``path``, in a few words with the fix."""
    if error.errno == errno.ELOOP:
        return "symlink loop" + _LINK_FIX
    if error.errno == errno.ENOENT:
        if os.path.islink(path):
            return f"broken link to {os.readlink(path)}" + _LINK_FIX
        return "no such folder" if folder else "no such file"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; give read access or copy the data elsewhere"
    if error.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return error.strerror or type(error).__name__


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a dataset or method name, or None when it can.

    A name must be a non-empty string without control characters, line separators or
    unpaired surrogates: those would split the one-line messages and the rows of the tables
    and CSV files that show the name, or could not be written at all.
    """
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in name):
        return f"{name!r} holds a control character; rename it"
    return None


def input_problem(path: str | os.PathLike, *, folder: bool = False) -> str | None:
    """Why ``path`` cannot be read as a regular file (or, with ``folder``, listed as a folder).

    Returns
    -------
    str or None
        A few words (e.g. ``"symlink loop; fix or remove the link"``, ``"no such file"``,
        ``"is a FIFO (named pipe), not a regular file"``), or None when ``path`` is fine.
    """
    try:
        mode = os.stat(path).st_mode
    except ValueError:  # os.stat refuses a path with a NUL character
        return "the path holds a NUL character"
    except OSError as error:
        return _os_problem(path, error, folder=folder)
    if folder:
        return None if stat.S_ISDIR(mode) else f"is {_kind(mode)}, not a folder"
    return None if stat.S_ISREG(mode) else f"is {_kind(mode)}, not a regular file"


def check_input_folder(path: str | os.PathLike, what: str) -> Path:
    """Refuse a folder that cannot be listed; ``what`` names it (e.g. ``--gt data/GT``).

    Raises
    ------
    SodbenchError
        ``"<what>: <problem>"``, e.g. ``--gt data/GT: symlink loop; fix or remove the link``.
    """
    problem = input_problem(path, folder=True)
    if problem is not None:
        raise SodbenchError(f"{what}: {problem}")
    return Path(path)


def open_input(path: str | os.PathLike) -> BinaryIO:
    """Open a regular file for binary reading; refuse anything else before reading a byte.

    A FIFO is opened without blocking and refused, so a named pipe with a map's name never
    hangs a run. Raises :class:`SodbenchError` ``"<path>: cannot read (<problem>)"``.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except ValueError:
        raise SodbenchError(f"{path}: cannot read (the path holds a NUL character)") from None
    except OSError as error:
        problem = _os_problem(path, error, folder=False)
        if error.errno == errno.EISDIR:
            problem = "is a folder, not a regular file"
        raise SodbenchError(f"{path}: cannot read ({problem})") from error
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise SodbenchError(f"{path}: cannot read (is {_kind(mode)}, not a regular file)")
        if _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: str | os.PathLike, what: str) -> str:
    """The text of an input file (UTF-8; a byte-order mark, as Windows editors write, dropped),
    or a one-line :class:`SodbenchError` starting with ``what`` (``"the config file x.toml"``):
    no such file, not a regular file, unreadable, or not UTF-8."""
    problem = input_problem(path)
    if problem is not None:
        raise SodbenchError(f"{what}: {problem}")
    try:
        with open_input(path) as handle:
            return handle.read().decode("utf-8-sig")
    except OSError as error:
        raise SodbenchError(f"{what}: cannot read ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise SodbenchError(f"{what}: not UTF-8 text (byte {error.start}: "
                            f"{error.reason})") from None
