"""``sodbench report``: one self-contained HTML page of a results file and its per-image scores
(docs/report.md)."""

from __future__ import annotations

import click

from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan
from sodbench.reports import report
from sodbench.reports.report_data import MAX_TOP_K

__all__ = ["FLAGS", "command"]

#: The library's arguments -> this command's flags.
FLAGS = {"metric": "--metric", "dataset": "--dataset", "thumb": "--thumb", "preds": "--pred",
         "diff": "--diff", "top_k": "--top-k"}

_IMAGE_OPTIONS = ("--per-image", "--gt", "--images", "--pred")


def _preds(values: tuple[str, ...]) -> dict[str, str]:
    preds: dict[str, str] = {}
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not name or not folder:
            raise SodbenchError(f"--pred {value}: write NAME=FOLDER (the method's name in the "
                                "per-image CSV, then its prediction folder)")
        if name in preds:
            raise SodbenchError(f"--pred {name}: given twice; give each method once")
        preds[name] = folder
    return preds


def _diff(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    names = value.split(",")
    if len(names) != 2 or not all(names):
        raise SodbenchError(f"--diff {value}: write two methods as A,B")
    return names[0], names[1]


def _inputs(per_image, gt, images, preds) -> report.ImageInputs | None:
    given = dict(zip(_IMAGE_OPTIONS, (per_image, gt, images, preds), strict=True))
    missing = [flag for flag, value in given.items() if not value]
    if len(missing) == len(given):
        return None
    if missing:
        raise SodbenchError(f"{', '.join(missing)} missing: the image sections need "
                            f"{', '.join(_IMAGE_OPTIONS)} together (or none of them)")
    return report.ImageInputs(per_image, gt, images, _preds(preds))


@click.command()
@click.argument("results", metavar="RESULTS.json")
@click.option("--per-image", metavar="CSV", help="The per-image CSV of the same evaluation "
              "(sodbench eval --per-image).")
@click.option("--gt", metavar="DIR", help="The dataset's GT folder.")
@click.option("--images", metavar="DIR", help="The dataset's image folder (files named like "
              "the CSV's names, any image extension).")
@click.option("--pred", multiple=True, metavar="NAME=DIR",
              help="A method of the CSV and its prediction folder (repeat; only these methods "
                   "get image sections).")
@click.option("--out", type=click.Path(), default="report.html", show_default=True,
              help="The HTML file to write.")
@click.option("--metric", default=report.DEFAULT_METRIC, show_default=True, metavar="KEY",
              help="Per-image key that ranks images (worst in its direction: highest MAE).")
@click.option("--top-k", type=int, default=report.DEFAULT_TOP_K, show_default=True,
              help=f"Worst images per method, and images of --diff (at most {MAX_TOP_K}).")
@click.option("--diff", metavar="A,B", help="Two --pred methods to compare image by image "
              "[default: the two best mean --metric].")
@click.option("--dataset", metavar="NAME",
              help="The dataset of the image sections, when the CSV holds several.")
@click.option("--thumb", type=int, default=report.DEFAULT_THUMB, show_default=True,
              help=f"Longest side of a thumbnail in pixels ({report.MIN_THUMB} to "
                   f"{report.MAX_THUMB}).")
def command(results, per_image, gt, images, pred, out, metric, top_k, diff, dataset, thumb):
    """Write one self-contained HTML page (no network needed) of RESULTS.json: the sortable
    leaderboard, the PR, F- and E-measure curves, the subsets and, with the per-image CSV and
    the folders, each method's worst images and where two methods differ most."""
    inputs = _inputs(per_image, gt, images, pred)
    with flags_named(FLAGS):
        report.plan_outputs(OutputPlan(), out, results, inputs)
        size = report.save_report(out, results, inputs, dataset=dataset, metric=metric,
                                  top_k=top_k, thumb=thumb, diff=_diff(diff))
    click.echo(f"{out} ({size / 1e6:.2f} MB)")
