"""``sodbench demo``: the whole product on the bundled synthetic sample."""

from __future__ import annotations

import click

from sodbench.demo import run_demo


@click.command()
@click.option("--out", default="demo_output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the sample, predictions, results, tables and plots.")
@click.option("--n-images", default=36, show_default=True, help="Size of the synthetic sample.")
def command(out, n_images):
    """Predict the sample with MINet and a classical baseline, evaluate, profile, tabulate, plot."""
    report = run_demo(out, n_images=n_images, log=lambda line: click.echo(line, err=True))
    for name, path in report.files.items():
        click.echo(f"  {name}: {path}", err=True)
    for step, why in report.skipped.items():
        click.echo(f"warning: step '{step}' did not run: {why}", err=True)
    click.echo(report.out_dir)
