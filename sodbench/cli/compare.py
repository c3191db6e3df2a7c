"""``sodbench compare``: bootstrap intervals, Wilcoxon tests and win/tie/loss counts from
per-image scores (docs/compare.md)."""

from __future__ import annotations

import json

import click

from sodbench.cli.flags import flags_named
from sodbench.folders.outputs import OutputPlan, atomic_write
from sodbench.reports import significance

__all__ = ["FLAGS", "command"]

#: The library's arguments -> this command's flags.
FLAGS = {"metric": "--metric", "dataset": "--dataset", "interval": "--interval",
         "resamples": "--resamples", "baseline": "--baseline", "subset": "--subset"}


@click.command()
@click.argument("per_image", metavar="PER_IMAGE.csv")
@click.option("--metric", required=True, metavar="KEY",
              help="A per-image key of the CSV (MAE, Sm, wF, IoU, ...).")
@click.option("--baseline", metavar="METHOD",
              help="The method every other is compared with [default: the best mean].")
@click.option("--dataset", metavar="NAME",
              help="The dataset, when the CSV holds several.")
@click.option("--subset", metavar="NAME",
              help="Only the images of this subset (a CSV of eval --subset ...).")
@click.option("--resamples", type=int, default=10_000, show_default=True,
              help="Bootstrap resamples (at least 100).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the bootstrap's random numbers (same seed, same intervals).")
@click.option("--interval", type=click.Choice(list(significance.INTERVALS)), default="bca",
              show_default=True, help="Bootstrap interval: BCa or percentile.")
@click.option("--json", "json_path", type=click.Path(), metavar="FILE",
              help="Also write the comparison as JSON here.")
def command(per_image, metric, baseline, dataset, subset, resamples, seed, interval,
            json_path):
    """Is the gain real? Compare the methods of PER_IMAGE.csv (from eval --per-image) on one
    metric: 95% bootstrap intervals, paired Wilcoxon tests (Holm-corrected) and the images
    each method wins, ties and loses against the baseline."""
    plan = OutputPlan()
    plan.add_input(per_image, f"the per-image CSV {per_image}")
    if json_path:
        plan.add_output(json_path, "--json")
    frame = significance.read_per_image(per_image)
    with flags_named(FLAGS):
        result = significance.compare(frame, metric, baseline=baseline, dataset=dataset,
                                      subset=subset, resamples=resamples, seed=seed,
                                      interval=interval, source=str(per_image))
    if json_path:
        atomic_write(json_path, json.dumps(_no_nan(result), indent=2, allow_nan=False) + "\n")
    click.echo(significance.format_comparison(result))


def _no_nan(value):
    """NaN (a p-value scipy could not give) as JSON null, never the non-standard NaN."""
    if isinstance(value, dict):
        return {key: _no_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_no_nan(item) for item in value]
    return None if isinstance(value, float) and value != value else value
