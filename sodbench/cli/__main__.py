"""``python -m sodbench.cli ...``: the same as the ``sodbench`` command."""

from sodbench.cli import run

if __name__ == "__main__":
    run()
