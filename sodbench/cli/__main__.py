"""``python -m sodbench.cli ...``: the same as the ``sodbench`` command."""

from sodbench.cli import run

run()
