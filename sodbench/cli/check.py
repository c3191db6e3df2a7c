"""``sodbench check``: exit 1 when metrics drift from a baseline results file (for CI)."""

from __future__ import annotations

import click

from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.results import load_results
from sodbench.metrics.keys import GROUPS
from sodbench.reports import check

__all__ = ["FLAGS", "PHRASES", "command"]

#: The library's arguments -> the flags that set them.
FLAGS = {"metrics": "--metrics", "fail_on": "--fail-on"}
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
@click.option("--metrics", "--metric", "metrics", metavar="LIST",
              help="Comma-separated metrics to compare, any key (HCE, odsF, AP ...) or group "
                   f"({', '.join(GROUPS)}: the keys of it the baseline holds) [default: all; "
                   "both sides must hold the same].")
@click.option("--fail-on", "fail_on", type=click.Choice(list(check.FAIL_ON)), default="any",
              show_default=True,
              help="any: every value beyond tolerance fails; worse: values that moved in "
                   "their better direction (lower MAE/HCE, higher Sm) pass.")
def command(results, baseline, atol, rtol, metrics, fail_on):
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
        failed = check.failing(drift, fail_on)
    rule = f"atol={atol:g}, rtol={rtol:g}"
    if not drift.empty:
        click.echo(check.format_drift(drift))
    better = len(drift) - len(failed)
    if failed.empty:
        within = f"{compared - better} of {compared}" if better else str(compared)
        more = f", {better} better beyond it" if better else ""
        click.echo(f"ok: {within} values within {rule} of {baseline}{more}")
        return
    # A SodbenchError is how a command sets the CLI's exit status (here 1, "drifted").
    more = f" ({better} more got better)" if better else ""
    raise SodbenchError(
        f"drift: {len(failed)} of {compared} values moved beyond {rule} from {baseline}{more}",
        exit_code=1,
    )
