"""``sodbench plot``: PR, ROC, F-measure, E-measure, IoU or Dice curves from a results file."""

from __future__ import annotations

import click

from sodbench.cli.flags import flags_named
from sodbench.folders.outputs import OutputPlan
from sodbench.reports import plots

__all__ = ["FLAGS", "command"]

#: The library's arguments -> flags (``metrics``: eval's, which decides whether curves exist).
FLAGS = {"metrics": "--metrics"}


@click.command()
@click.argument("results")
@click.option("--kind", type=click.Choice(list(plots.KINDS)), default="pr", show_default=True,
              help="pr: precision against recall; roc: true positive rate (recall) against "
                   "false positive rate; fm / em / iou / dice: F-measure / E-measure / IoU / "
                   "Dice against threshold.")
@click.option("--out", type=click.Path(),
              help="Figure file (.png, .pdf or .svg) [default: <kind>.png].")
@click.option("--csv", "csv", type=click.Path(), metavar="POINTS.csv",
              help="Also write the plotted points to this CSV file.")
@click.option("--highlight", metavar="NAME", help="Method to draw last and thicker (yours).")
def command(results, kind, out, csv, highlight):
    """Plot the curves of RESULTS.json, one subplot per dataset."""
    out = out or f"{kind}.png"
    plan = OutputPlan()
    plan.add_input(results, f"RESULTS {results}")
    plots.plan_outputs(plan, out, csv, what=("--out", "--csv"))
    with flags_named(FLAGS):
        figure, table = plots.save_plot(results, kind, out, csv=csv, highlight=highlight)
    click.echo(figure)
    if table is not None:
        click.echo(table)
