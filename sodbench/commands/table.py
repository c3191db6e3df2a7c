"""``sodbench table``: a leaderboard table from a results file."""

from __future__ import annotations

import click

from sodbench import leaderboards, tables
from sodbench.outputs import atomic_write
from sodbench.results import load_results


def _profiles(specs: tuple[str, ...]) -> dict[str, dict]:
    """``[METHOD=]P.json`` options -> method name -> profile record."""
    from sodbench.profiling.record import load_profile

    records = {}
    for spec in specs:
        method, _, path = spec.rpartition("=") if "=" in spec else ("", "", spec)
        record = load_profile(path)
        records[method or str(record.get("model"))] = record
    return records


@click.command()
@click.argument("results", required=False, type=click.Path(dir_okay=False))
@click.option("--profile-json", "profile_json", multiple=True, metavar="[METHOD=]P.json",
              help="Profile record(s) from `sodbench profile --json` for Param/FLOPs/Speed; "
                   "matched to a method by the record's model name unless METHOD= is given.")
@click.option("--leaderboard", metavar="NAME|FILE",
              help="Merge into a published table: sd-saliency-900 (MINet paper Table II), "
                   "minet-backbones (III), minet-ablation (IV), or a CSV file.")
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS),
              help="Output format (default: from --out's suffix, else md).")
@click.option("--digits", default=4, show_default=True, help="Decimals of metric values.")
@click.option("--highlight", default=3, show_default=True,
              help="How many of the best values per column to mark (0-3).")
@click.option("--columns", metavar="LIST",
              help="Comma-separated metrics/cost columns, e.g. MAE,Sm,wF,Param,Speed.")
@click.option("--flops", type=click.Choice(list(tables.FLOPS_COUNTERS)), default="paper",
              show_default=True,
              help="FLOPs (G) column: paper-compatible MACs (as the MINet paper), MACs, "
                   "or FLOPs = 2 x MACs.")
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
def command(results, profile_json, leaderboard, fmt, digits, highlight, columns, flops, out):
    """Render RESULTS.json (from `sodbench eval --json`) as a Markdown/LaTeX/CSV/HTML table."""
    if results is None and leaderboard is None:
        raise click.UsageError("give RESULTS.json, --leaderboard NAME, or both")
    document = load_results(results) if results else None
    board = leaderboards.load(leaderboard) if leaderboard else None
    table = tables.build_table(
        document, profiles=_profiles(profile_json), leaderboard=board, flops=flops,
        columns=[name for name in columns.split(",") if name.strip()] if columns else None,
    )
    fmt = fmt or (tables.format_for_path(out) if out else None) or "md"
    text = tables.render(table, fmt, digits=digits, highlight=highlight)
    if out:
        atomic_write(out, text)
        click.echo(out)
    else:
        click.echo(text, nl=False)
