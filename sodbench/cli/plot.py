"""``sodbench plot``: PR, ROC, F-measure, E-measure, IoU or Dice curves from a results file."""

from __future__ import annotations

from pathlib import Path

import click

from sodbench.cli.flags import flags_named
from sodbench.folders.outputs import OutputPlan
from sodbench.reports import plots

__all__ = ["FLAGS", "command"]

#: The library's arguments -> flags (``metrics``: eval's, which decides whether curves exist).
FLAGS = {"metrics": "--metrics", "highlight": "--highlight", "names": "--names",
         "order": "--order", "style": "--style"}


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
@click.option("--highlight", metavar="NAME", multiple=True,
              help="Method to draw last and thicker (yours); repeatable, up to 4, each in its "
                   "own colour (vermillion first, in the methods' order).")
@click.option("--names", metavar="OLD=NEW", multiple=True,
              help="Show method or dataset OLD as NEW in the legend and titles; repeatable.")
@click.option("--order", metavar="NAME,NAME,...",
              help="Methods (legend, colours) and datasets (subplots) to put first, in this "
                   "order; the rest follow in the results' order.")
@click.option("--style", metavar="FILE|NAME",
              help="A matplotlib style file (.mplstyle) or style name, applied over "
                   "sodbench's own style.")
def command(results, kind, out, csv, highlight, names, order, style):
    """Plot the curves of RESULTS.json, one subplot per dataset."""
    out = out or f"{kind}.png"
    plan = OutputPlan()
    plan.add_input(results, f"RESULTS {results}")
    if style is not None and Path(style).is_file():
        plan.add_input(style, f"--style {style}")
    plots.plan_outputs(plan, out, csv, what=("--out", "--csv"))
    with flags_named(FLAGS):
        figure, table = plots.save_plot(
            results, kind, out, csv=csv, highlight=highlight, names=plots.parse_names(names),
            order=None if order is None else order.split(","), style=style)
    click.echo(figure)
    if table is not None:
        click.echo(table)
