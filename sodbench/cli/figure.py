"""``sodbench figure``: the qualitative comparison grid of papers (docs/figure.md)."""

from __future__ import annotations

import click

from sodbench.cli.eval import parse_pred
from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.reports import figure

__all__ = ["FLAGS", "command", "parse_names", "parse_pick"]

#: The library's arguments -> flags.
FLAGS = {"images": "--images", "gt": "--gt", "preds": "--pred", "out": "--out",
         "pick": "--pick", "rows": "--rows", "per_image": "--per-image", "metric": "--metric",
         "by": "--by", "dataset": "--dataset", "width": "--width", "dpi": "--dpi",
         "names": "--names", "titles": "--pred", "subset": "--subset"}


def parse_pick(value: str) -> str | list[str]:
    """``worst``, ``random``, or the image names of ``NAME,NAME,...`` (a name alone, or one
    called ``worst``, is written with a comma: ``In_1,``)."""
    if value in figure.PICKS:
        return value
    return [name.strip() for name in value.split(",") if name.strip()] or [""]


def parse_names(values: tuple[str, ...]) -> dict[str, str]:
    """``--names OLD=NEW`` values as method -> title."""
    names = {}
    for value in values:
        old, equal, new = value.partition("=")
        if not equal or not old or not new:
            raise SodbenchError(f"--names {value!r}: write it as METHOD=TITLE, e.g. "
                                "--names MCITF=MCITF'20")
        names[old] = new
    return names


@click.command()
@click.option("--images", required=True, type=click.Path(), metavar="DIR",
              help="The dataset's images (matched to GT and maps by file stem).")
@click.option("--gt", required=True, type=click.Path(), metavar="DIR", help="The GT folder.")
@click.option("--pred", multiple=True, required=True, metavar="NAME=DIR",
              help="A method's prediction folder; repeat, in column order.")
@click.option("--out", required=True, type=click.Path(), metavar="FIG",
              help="The figure: .pdf, .png or .svg.")
@click.option("--pick", default="worst", show_default=True, metavar="worst|random|NAMES",
              help="worst (from --per-image), random (--seed) or image names, e.g. In_1,Pa_7.")
@click.option("--rows", type=int, metavar="N",
              help=f"Rows (images) [default: {figure.DEFAULT_ROWS}; with names, their count].")
@click.option("--per-image", type=click.Path(), metavar="CSV",
              help="Per-image CSV of sodbench eval --per-image (for --pick worst).")
@click.option("--metric", metavar="KEY", help="The per-image key that ranks [default: wF].")
@click.option("--by", metavar="METHOD",
              help="Rank by this method's scores [default: the mean over the shown methods].")
@click.option("--dataset", metavar="NAME", help="The dataset, when the CSV holds several.")
@click.option("--subset", metavar="NAME",
              help="Rank within this subset of the CSV (eval --subset, --subset-preset, "
                   "--size-buckets), e.g. Sc for the worst scratches.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --pick random.")
@click.option("--width", type=float, default=figure.IEEE_DOUBLE_COLUMN, show_default=True,
              help=f"Width in inches (IEEE: {figure.IEEE_DOUBLE_COLUMN} two columns, "
                   f"{figure.IEEE_SINGLE_COLUMN} one).")
@click.option("--dpi", type=int, default=300, show_default=True, help="PNG resolution.")
@click.option("--names", "names", multiple=True, metavar="METHOD=TITLE",
              help="Show TITLE over METHOD's column; repeat.")
@click.option("--labels/--no-labels", default=True, show_default=True,
              help="Write each row's image name left of it.")
def command(images, gt, pred, out, pick, rows, per_image, metric, by, dataset, subset, seed,
            width, dpi, names, labels):
    """The qualitative comparison grid: image, GT, then each method's map, one row per image."""
    with flags_named(FLAGS):
        written, picked = figure.make_figure(
            images, gt, parse_pred(pred), out, pick=parse_pick(pick), rows=rows,
            per_image=per_image, metric=metric, by=by, dataset=dataset, seed=seed, width=width,
            dpi=dpi, names=parse_names(names), labels=labels, subset=subset)
    click.echo(written)
    click.echo(f"rows: {', '.join(picked)}")
