"""The command-line group: help, version, unknown commands, exit codes, one-line errors."""

from __future__ import annotations

import click
import pytest

from sodbench import __version__, cli
from sodbench.errors import SodbenchError


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["evaluate"]) == 2
    assert "No such command 'evaluate'" in capsys.readouterr().err


@pytest.fixture
def extra_command(monkeypatch):
    """Register a throw-away subcommand that behaves as the argument tells it."""

    @click.command()
    @click.argument("mode")
    def command(mode):
        if mode == "exit3":
            click.get_current_context().exit(3)
        if mode == "error":
            raise SodbenchError("x.png: broken (re-save it)", exit_code=4)
        if mode == "crash":
            raise ValueError("internal")

    monkeypatch.setitem(cli.COMMANDS, "extra", "test command")
    original = cli.LazyGroup.get_command

    def get_command(self, ctx, name):
        return command if name == "extra" else original(self, ctx, name)

    monkeypatch.setattr(cli.LazyGroup, "get_command", get_command)


def test_ctx_exit_code_is_returned(extra_command):
    assert cli.main(["extra", "exit3"]) == 3


def test_sodbench_error_is_one_line_with_its_exit_code(extra_command, capsys):
    assert cli.main(["extra", "error"]) == 4
    assert capsys.readouterr().err == "error: x.png: broken (re-save it)\n"


def test_debug_shows_the_traceback(extra_command, capsys):
    assert cli.main(["--debug", "extra", "error"]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_a_bug_is_not_hidden(extra_command):
    with pytest.raises(ValueError, match="internal"):
        cli.main(["extra", "crash"])
