"""Library messages name arguments (``highlight=4``); a command's messages name its flags.

The library cannot know which command called it, so each command lists the arguments it sets
and their flags, and rewrites the message of a :class:`SodbenchError` on its way out.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from sodbench.errors import SodbenchError

__all__ = ["flag_words", "flags_named"]


def flag_words(message: str, flags: dict[str, str], phrases: dict[str, str] | None = None) -> str:
    """``message`` with each argument of ``flags`` written as its flag.

    ``highlight=4`` becomes ``--highlight 4``, ``allow_partial=True`` ``--allow-partial`` and
    an argument named without a value (``(input_shape=, batch_sizes=)``) the flag alone. An
    argument inside a longer name (``allow_other_conventions=`` for ``conventions``) or a path
    (``runs/digits=3``) is left.
    ``phrases`` replaces whole library phrases (how a file is written in Python -> the
    command that writes it).

    >>> flag_words("highlight=4: must be 0 to 3", {"highlight": "--highlight"})
    '--highlight 4: must be 0 to 3'
    >>> flag_words("rows (allow_partial=True) or (x=, y=)",
    ...            {"allow_partial": "--allow-partial", "x": "--x", "y": "--y"})
    'rows (--allow-partial) or (--x, --y)'
    >>> flag_words("runs/digits=3/r.json: digits=18: too many", {"digits": "--digits"})
    'runs/digits=3/r.json: --digits 18: too many'
    """
    for phrase, words in (phrases or {}).items():
        message = message.replace(phrase, words)
    for argument, flag in flags.items():
        pattern = rf"(?<![\w./\\-]){re.escape(argument)}=(True\b)?(?=(.?))"

        def written(match: re.Match, flag: str = flag) -> str:
            bare = match.group(1) or match.group(2) in ("", ",", ";", ")", " ")
            return flag if bare else f"{flag} "

        message = re.sub(pattern, written, message)
    return message


@contextlib.contextmanager
def flags_named(flags: dict[str, str], phrases: dict[str, str] | None = None) -> Iterator[None]:
    """Rewrite the message of a SodbenchError raised in the block with :func:`flag_words`.

    The error itself is re-raised, so its exit code, cause and traceback stay as they were.
    """
    try:
        yield
    except SodbenchError as error:
        error.args = (flag_words(str(error), flags, phrases), *error.args[1:])
        raise
