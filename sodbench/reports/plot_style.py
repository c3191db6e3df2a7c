"""The look of sodbench's figures: matplotlib style files, read strictly, and the fonts that
publishers accept.

:data:`DEFAULT_STYLE` (``sodbench.mplstyle``, beside this module) holds the project's look; a
user's style file (``plot --style FILE``) or a matplotlib style name is applied over it, and
:data:`PAPER_FONTS` over both (docs/plots.md, "Style").
"""

from __future__ import annotations

import contextlib
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib

from sodbench.errors import SodbenchError

__all__ = ["DEFAULT_STYLE", "PAPER_FONTS", "styled"]

#: The bundled style; a copy is where a user's style starts (docs/plots.md).
DEFAULT_STYLE = Path(__file__).with_name("sodbench.mplstyle")
#: TrueType (Type 42) fonts in PDF and PS: publishers' checkers (IEEE PDF eXpress) reject the
#: Type 3 fonts matplotlib embeds by default. Set after every style, so that a style copied
#: from elsewhere (or matplotlib's ``default``) cannot make a PDF a publisher refuses.
PAPER_FONTS = {"pdf.fonttype": 42, "ps.fonttype": 42}


@contextlib.contextmanager
def styled(style: str | os.PathLike | None) -> Iterator[None]:
    """matplotlib's rc settings of :data:`DEFAULT_STYLE`, then ``style``, then Type 42 fonts,
    for the block only: ``matplotlib.rcParams`` is as it was afterwards."""
    layers = [_read_style(DEFAULT_STYLE, str(DEFAULT_STYLE))]
    if style is not None:
        layers.append(_user_style(style))
    with matplotlib.style.context(layers), matplotlib.rc_context(PAPER_FONTS):
        yield


def _user_style(style: str | os.PathLike) -> dict | str:
    """An existing file, else a matplotlib style name, else a path to read (and fail on)."""
    path = Path(style)
    names = ("default", *matplotlib.style.available)
    if not path.is_file() and not isinstance(style, os.PathLike) and style in names:
        return style
    if path.exists() or path.suffix == ".mplstyle" or len(path.parts) > 1:
        return _read_style(path, f"style={style}")
    raise SodbenchError(f"style={style}: no such file, nor a matplotlib style name "
                        f"(one of: {', '.join(sorted(names))})")


#: A line of a style file: the part before an unquoted "#", which may hold "quoted # text".
_STYLE_LINE = re.compile(r'((?:[^"#]|"[^"]*")*)(#.*)?')


def _read_style(path: Path, what: str) -> dict:
    """The settings of a matplotlib style file, each checked by matplotlib's own validator.

    matplotlib reads such files itself, but only logs a bad line and skips it (and would
    fetch a URL); here a bad line is an error naming the file and the line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SodbenchError(f"{what}: cannot read the style file "
                            f"({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise SodbenchError(f"{what}: not a text (UTF-8) style file") from error
    settings = matplotlib.RcParams()
    for number, line in enumerate(text.splitlines(), 1):
        match = _STYLE_LINE.fullmatch(line)
        content = match.group(1).strip() if match else None
        if content == "":
            continue
        key, colon, value = (content or "").partition(":")
        key, value = key.strip(), value.strip()
        problem = _style_problem(key, value, colon, match, settings)
        if problem:
            raise SodbenchError(f"{what}: line {number}: {problem}; write a setting per line "
                                "as 'key: value' (matplotlib rc syntax, as in sodbench.mplstyle)")
    return dict(settings)


def _not_style(key: str) -> bool:
    """Whether matplotlib leaves ``key`` out of styles (``backend``, ``interactive``, ...).
    Its list of such keys is private, so ask ``style.context``, which warns about them."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with matplotlib.style.context({key: matplotlib.rcParams[key]}):
            pass
    return bool(caught)


def _style_problem(key: str, value: str, colon: str, match, settings) -> str | None:
    """What is wrong with one line of a style file; ``settings`` gets the line's setting."""
    if match is None:
        return "a double quote is not closed"
    if not colon:
        return "no ':' between a setting and its value"
    if key in settings:
        return f"{key!r} is set twice"
    if key in matplotlib.rcParams and _not_style(key):
        return f"{key!r} is not a style setting (matplotlib ignores it in styles)"
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    try:
        settings[key] = value
    except KeyError:
        return f"{key!r} is not a matplotlib setting"
    except ValueError as error:
        return f"{key}: {str(error).removeprefix(f'Key {key}: ')}"
    return None
