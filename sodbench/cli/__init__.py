"""The ``sodbench`` command line: parses arguments and calls the library, nothing more.

Subcommands live in ``sodbench.cli.<name>`` and are imported only when run, so
``sodbench eval`` never pays for importing torch and a missing optional extra only
affects the command that needs it.
"""

from __future__ import annotations

import codecs
import importlib
import sys
import traceback
import unicodedata

import click

from sodbench import __version__
from sodbench.errors import SodbenchError

COMMANDS = {
    "eval": "Evaluate prediction folders against ground-truth folders.",
    "table": "Leaderboard tables (Markdown, LaTeX, CSV, HTML) from results.",
    "plot": "PR, F-measure and E-measure curves from results.",
    "check": "Fail when metrics drift from a baseline (for CI).",
    "compare": "Bootstrap intervals and paired tests from per-image scores.",
    "report": "A self-contained HTML report of results and per-image scores.",
    "figure": "The qualitative comparison grid of papers (image, GT, methods).",
    "merge": "Results files of separate runs as one results file.",
    "profile": "Parameters, MACs/FLOPs and speed of a PyTorch model.",
    "predict": "Write saliency maps of a model for a folder of images.",
    "train": "Train a model (MINet) on an image/GT folder.",
    "sample": "Write the bundled synthetic sample dataset.",
    "demo": "Run the whole product on the bundled sample.",
}


#: What a stream that cannot encode a character prints instead (the tables' direction arrows).
ASCII_FALLBACK = {"↓": "v", "↑": "^", "…": "...", "–": "-", "—": "-", "×": "x"}
_ERRORS = "sodbench-ascii"


def _ascii_fallback(error: UnicodeEncodeError) -> tuple[str, int]:
    text = error.object[error.start:error.end]
    return "".join(ASCII_FALLBACK.get(ch, ascii(ch)[1:-1]) for ch in text), error.end


codecs.register_error(_ERRORS, _ascii_fallback)


def _encodable_streams() -> None:
    """Let stdout/stderr print what their encoding lacks (``PYTHONIOENCODING=cp1252``, an
    ASCII terminal): arrows become ``v``/``^``, other characters ``\\uXXXX``, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        try:
            "".join(ASCII_FALLBACK).encode(encoding)
        except UnicodeEncodeError:
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=_ERRORS)
        except LookupError:
            pass


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"sodbench.cli.{name}")
        return module.command

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sodbench")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Exact, fast evaluation and benchmarking for salient object detection."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _one_line(text: str) -> str:
    """``text`` with control characters and line separators escaped (``\\n``, ``\\x1e``): a
    path or name holding one must not split the one-line error message."""
    return "".join(ascii(ch)[1:-1] if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in text)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning a SodbenchError into one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    _encodable_streams()
    try:
        code = cli.main(args=args, prog_name="sodbench", standalone_mode=False)
    except SodbenchError as error:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {_one_line(str(error))}", err=True)
        return error.exit_code
    except click.exceptions.Abort as abort:
        # click raises Abort for Ctrl-C and for an EOFError alike; only Ctrl-C is an interrupt
        cause = abort.__cause__ or abort.__context__
        if isinstance(cause, KeyboardInterrupt):
            click.echo("error: interrupted; finished work was kept (re-run to resume)", err=True)
            return 130
        if debug and cause is not None:
            traceback.print_exception(cause)
        if isinstance(cause, EOFError):
            click.echo(f"error: unexpected end of input (EOFError: {_one_line(str(cause))}): "
                       "something read past the end of standard input or of a file; --debug "
                       "shows where", err=True)
        else:
            click.echo("error: aborted", err=True)
        return 1
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    # Without standalone mode, click returns the code of a ctx.exit(n) (or the command's value).
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())

