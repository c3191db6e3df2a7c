"""``sodbench plot``: PR, F-measure or E-measure curves from a results file."""

from __future__ import annotations

import click

from sodbench import plots
from sodbench.results import load_results


@click.command()
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(list(plots.KINDS)), default="pr", show_default=True,
              help="pr: precision against recall; fm / em: F- / E-measure against threshold.")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Figure file (.png, .pdf or .svg) [default: <kind>.png]; the curve data "
                   "go beside it as .csv.")
@click.option("--highlight", metavar="NAME", help="Method to draw last and thicker (yours).")
def command(results, kind, out, highlight):
    """Plot the curves of RESULTS.json, one subplot per dataset."""
    figure, table = plots.save_plot(load_results(results), kind, out or f"{kind}.png",
                                    highlight=highlight)
    click.echo(figure)
    click.echo(table)
