"""``sodbench table``: a leaderboard table from a results file."""

from __future__ import annotations

from pathlib import Path

import click

from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan, atomic_write
from sodbench.folders.results import load_results
from sodbench.metrics.keys import GROUPS
from sodbench.reports import leaderboards, tables

#: The library's arguments -> this command's flags (and eval's, for how to re-evaluate).
FLAGS = {"leaderboard": "--leaderboard", "allow_partial": "--allow-partial",
         "allow_other_conventions": "--allow-other-conventions", "columns": "--columns",
         "flops": "--flops", "fmt": "--format", "digits": "--digits", "highlight": "--highlight",
         "conventions": "--conventions", "subsets": "--subsets"}


def _profile_specs(specs: tuple[str, ...]) -> list[tuple[str, str]]:
    """``[METHOD=]P.json`` options -> (method or "", path); a path holding ``=`` is kept whole
    when it names a file."""
    pairs = []
    for spec in specs:
        if "=" in spec and not Path(spec).is_file():
            method, _, path = spec.partition("=")
            pairs.append((method, path))
        else:
            pairs.append(("", spec))
    return pairs


def _subsets(value: str | None):
    """``--subsets`` (all), ``--subsets In,Pa`` (those), or not given."""
    if value is None:
        return False
    return [name.strip() for name in value.split(",") if name.strip()] if value else True


def _phrases() -> dict[str, str]:
    """Library wording -> this command's (a Python call -> the command or flag that does it)."""
    from sodbench.profiling.record import WRITE_HINT

    return {WRITE_HINT: "write the record with `sodbench profile --json`",
            tables.PROFILE_UNDER_ROW_NAME: "give the row's name as METHOD in --profile-json "
                                           "METHOD=P.json"}


def _profiles(specs: list[tuple[str, str]]) -> dict:
    """(method, path) pairs -> method name -> profile record (the record's model by default)."""
    from sodbench.profiling.record import load_profile

    records = {}
    for method, path in specs:
        record = load_profile(path)
        name = method or str(record.model)
        if name in records:
            raise SodbenchError(f"--profile-json {path}: a second profile for {name!r}; give "
                                "one profile per method")
        records[name] = record
    return records


def _plan(results, specs, leaderboard, out) -> None:
    """Refuse, before any work, an --out that is an input or cannot be written."""
    plan = OutputPlan()
    if results:
        plan.add_input(results, f"RESULTS {results}")
    for _, path in specs:
        plan.add_input(path, f"--profile-json {path}")
    if leaderboard and leaderboard not in leaderboards.available():
        plan.add_input(leaderboard, f"--leaderboard {leaderboard}")
    plan.add_output(out, "--out")


@click.command()
@click.argument("results", required=False)
@click.option("--profile-json", "profile_json", multiple=True, metavar="[METHOD=]P.json",
              help="Profile record(s) from `sodbench profile --json` for Param/FLOPs/Speed; "
                   "matched to a method by the record's model name unless METHOD= is given.")
@click.option("--leaderboard", metavar="NAME|FILE",
              help="Merge into a published table: sd-saliency-900 (MINet paper Table II), "
                   "minet-backbones (III), minet-ablation (IV), or a CSV file.")
@click.option("--allow-partial", is_flag=True,
              help="With --leaderboard: show results not scored on all of its test images "
                   "(marked †, not comparable) instead of refusing them.")
@click.option("--allow-other-conventions", "--allow-other-profile", "allow_other_conventions",
              is_flag=True,
              help="With --leaderboard: show results scored under other metric conventions "
                   "than its rows (marked †, not comparable) instead of refusing them "
                   "(--allow-other-profile: its former name).")
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS),
              help="Output format (default: from --out's suffix, else md).")
@click.option("--digits", default=4, show_default=True, help="Decimals of metric values.")
@click.option("--highlight", default=3, show_default=True,
              help="How many of the best values per column to mark (0-3).")
@click.option("--columns", metavar="LIST",
              help="Comma-separated metrics, groups of metrics and cost columns, mixed, e.g. "
                   "MAE,Sm,wF,Param,Speed or dis,Param (a group shows those of its keys the "
                   f"results hold; groups: {', '.join(GROUPS)}).")
@click.option("--flops", type=click.Choice(list(tables.FLOPS_COUNTERS)), default="paper",
              show_default=True,
              help="FLOPs (G) column: paper-compatible MACs (as the MINet paper), MACs, "
                   "or FLOPs = 2 x MACs.")
@click.option("--subsets", is_flag=False, flag_value="", default=None, metavar="[LIST]",
              help="A column group per subset of each dataset (eval --subset, "
                   "--subset-preset, --size-buckets): all, or those named (In,Pa,Sc).")
@click.option("--out", help="Write here (atomically) instead of stdout.")
def command(results, profile_json, leaderboard, allow_partial, allow_other_conventions, fmt,
            digits, highlight, columns, flops, subsets, out):
    """Render RESULTS.json (from `sodbench eval --json`) as a Markdown/LaTeX/CSV/HTML table."""
    if results is None and leaderboard is None:
        raise click.UsageError("give RESULTS.json, --leaderboard NAME, or both")
    for flag, given in (("--allow-partial", allow_partial),
                        ("--allow-other-conventions", allow_other_conventions)):
        if given and not (results and leaderboard):
            raise SodbenchError(f"{flag}: only means something with RESULTS and "
                                "--leaderboard (results rows beside published ones)")
    chosen = None if columns is None else [name for name in columns.split(",") if name.strip()]
    if chosen == []:
        raise SodbenchError("--columns names no column (e.g. MAE,Sm,wF,Param)")
    specs = _profile_specs(profile_json)
    if out:
        _plan(results, specs, leaderboard, out)
    with flags_named(FLAGS, _phrases()):
        document = load_results(results) if results else None
        board = leaderboards.load(leaderboard) if leaderboard else None
        table = tables.build_table(
            document, profiles=_profiles(specs), leaderboard=board, flops=flops,
            columns=chosen, allow_partial=allow_partial,
            allow_other_conventions=allow_other_conventions, subsets=_subsets(subsets),
        )
        fmt = fmt or (tables.format_for_path(out) if out else None) or "md"
        text = tables.render(table, fmt, digits=digits, highlight=highlight)
    if out:
        atomic_write(out, text)
        click.echo(out)
    else:
        click.echo(text, nl=False)
