"""``sodbench merge``: results files of separate runs as one results file (docs/merge.md)."""

from __future__ import annotations

import click

from sodbench.cli.flags import flags_named
from sodbench.folders.outputs import OutputPlan
from sodbench.folders.results import dump_results
from sodbench.reports import merging

__all__ = ["FLAGS", "PHRASES", "command"]

#: The library's arguments -> this command's flags.
FLAGS = {"prefer": "--prefer"}
#: The library's wording of the fix -> this command's.
PHRASES = {'prefer="newest"': "--prefer newest"}


@click.command()
@click.argument("results", nargs=-1, required=True, metavar="RESULTS.json...")
@click.option("-o", "--out", required=True, type=click.Path(), metavar="FILE",
              help="The merged results file (written whole or not at all; never an input).")
@click.option("--prefer", type=click.Choice(list(merging.PREFER)),
              help="When two files hold different results for one (dataset, method): keep "
                   "the one of the run created last (provenance created) [default: refuse].")
def command(results, out, prefer):
    """Merge RESULTS.json files of separate `sodbench eval` runs (datasets or methods
    evaluated apart) into one results file for table, plot and check."""
    plan = OutputPlan()
    for path in results:
        plan.add_input(path, f"RESULTS {path}")
    plan.add_output(out, "-o")
    with flags_named(FLAGS, PHRASES):
        document = merging.merge_results(list(results), prefer=prefer)
    dump_results(document, out)
    for line in merging.replacements(document):
        click.echo(line)
    counts = (len(document["entries"]), len(results), len(document["provenance"]["merged"]))
    words = (("entry", "entries"), ("file", "files"), ("run", "runs"))
    entries, files, runs = (f"{n} {word[n != 1]}" for n, word in zip(counts, words, strict=True))
    click.echo(f"{out}: {entries} from {files} ({runs})")
