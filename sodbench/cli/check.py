"""``sodbench check``: exit 1 when metrics drift from a baseline results file (for CI)."""

from __future__ import annotations

import click

from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.results import load_results
from sodbench.reports import check

#: The library's arguments -> the flags that set them.
FLAGS = {"metrics": "--metrics"}
#: How to fix a partial evaluation: eval's flag.
PHRASES = {'on_missing="skip"': "--on-missing skip"}


@click.command()
@click.argument("results")
@click.option("--baseline", required=True,
              help="The results file the numbers must still match.")
@click.option("--atol", default=1e-4, show_default=True, type=float,
              help="Absolute tolerance (finite, 0 or more).")
@click.option("--rtol", default=0.0, show_default=True, type=float,
              help="Relative tolerance (of the baseline value; finite, 0 or more).")
@click.option("--metrics", metavar="LIST",
              help="Comma-separated metrics to compare [default: all; both sides must hold "
                   "the same].")
def command(results, baseline, atol, rtol, metrics):
    """Compare RESULTS.json with --baseline: exit 0 within tolerance, 1 on drift, 2 on bad input.

    Entries must pair up, use the same metric conventions and have scored the same images
    (count and names), or the check stops with exit 2 and says what differs.
    """
    atol, rtol = check.check_tolerance(atol, "--atol"), check.check_tolerance(rtol, "--rtol")
    chosen = [name for name in metrics.split(",") if name.strip()] if metrics else None
    if metrics is not None and not chosen:
        raise SodbenchError(f"--metrics {metrics!r}: names no metric (e.g. MAE,Sm,wF)")
    with flags_named(FLAGS, PHRASES):
        drift, compared = check.compare(
            load_results(results), load_results(baseline), atol=atol, rtol=rtol,
            metrics=chosen, labels=(results, baseline),
        )
    rule = f"atol={atol:g}, rtol={rtol:g}"
    if drift.empty:
        click.echo(f"ok: {compared} values within {rule} of {baseline}")
        return
    click.echo(check.format_drift(drift))
    # A SodbenchError is how a command sets the CLI's exit status (here 1, "drifted").
    raise SodbenchError(
        f"drift: {len(drift)} of {compared} values moved beyond {rule} from {baseline}",
        exit_code=1,
    )
