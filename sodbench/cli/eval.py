"""``sodbench eval``: prediction folders -> results JSON, per-image CSV, curves, table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from sodbench.cli.flags import flag_words, flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.cluster import DEFAULT_TIMEOUT, SCHEDULER_VARIABLE
from sodbench.folders.inputs import name_problem

__all__ = ["command", "parse_pred"]

_CONFIGURABLE = ("conventions", "metrics", "jobs", "json", "per_image", "curves", "on_missing",
                 "cache_dir", "quiet", "gt_prefix", "gt_suffix", "pred_prefix", "pred_suffix",
                 "allow_emptied_gt", "skip_empty_gt", "max_memory", "scheduler",
                 "scheduler_timeout", "subset", "subsets", "subset_preset", "size_buckets")
# The library's errors name its arguments; a command-line user sets them with these flags.
_FLAGS = {"allow_emptied_gt": "--allow-emptied-gt", "dataset": "--dataset", "jobs": "--jobs",
          "skip_empty_gt": "--skip-empty-gt", "images": "--images",
          "max_memory": "--max-memory", "scheduler": "--scheduler",
          "subset_preset": "--subset-preset", "size_buckets": "--size-buckets"}


def _phrases() -> dict[str, str]:
    from sodbench.folders.pairing import NAME_RULES

    return {'on_missing="skip"': "--on-missing skip",
            NAME_RULES: "(--gt-prefix, --gt-suffix, --pred-prefix, --pred-suffix)"}


def parse_pred(values: tuple[str, ...]) -> dict[str, Path]:
    """``--pred NAME=DIR`` values as method name -> folder; a bad value is one line."""
    preds: dict[str, Path] = {}
    for value in values:
        name, sep, folder = value.partition("=")
        if not sep or not name or not folder:
            raise SodbenchError(f"--pred {value!r}: write it as NAME=DIR, e.g. --pred MINet=out/")
        problem = name_problem(name)
        if problem is not None:
            raise SodbenchError(f"--pred {value!r}: the method name {problem}")
        if "\0" in folder:
            raise SodbenchError(f"--pred {value!r}: the folder path holds a NUL character")
        if name in preds:
            raise SodbenchError(f"--pred {name}: method given twice")
        preds[name] = Path(folder)
    return preds


def _parse_metrics(value) -> tuple[str, ...] | None:
    """``--metrics`` (or a config's ``metrics``) as the keys it names, in table order: keys,
    aliases and group names, any case (:func:`sodbench.metrics.keys.expand`)."""
    from sodbench.metrics.keys import expand

    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else value
    names = tuple(item.strip() for item in items if item.strip())
    if not names:  # e.g. an unset shell variable: computing every metric is not what was asked
        raise SodbenchError(f"--metrics {value!r}: no metric key given; name some "
                            "(e.g. --metrics MAE,Sm) or drop --metrics for the default "
                            "set")
    try:
        return expand(names)
    except ValueError as error:
        shown = value if isinstance(value, str) else ",".join(names)
        raise SodbenchError(f"--metrics {shown!r}: {error}") from None


def _settings(ctx: click.Context, params: dict) -> tuple[list, dict]:
    """Tasks and options from --config and/or --gt/--pred; the command line wins."""
    from sodbench.folders.tasks import Task, default_dataset_name

    if params["config"]:
        if params["gt"] or params["pred"] or params["dataset"] or params["images"]:
            raise SodbenchError("--config: name datasets and folders in the config file, "
                                "not with --gt/--pred/--dataset/--images")
        from sodbench.folders.config import load_config

        tasks, options = load_config(params["config"])
        for key in _CONFIGURABLE:
            if ctx.get_parameter_source(key) == ParameterSource.COMMANDLINE or key not in options:
                options[key] = params[key]
        if ctx.get_parameter_source("no_cache") != ParameterSource.COMMANDLINE:
            options["no_cache"] = not options.get("cache", True)
        else:
            options["no_cache"] = params["no_cache"]
        return tasks, options
    if not params["gt"] or not params["pred"]:
        raise SodbenchError("give --gt DIR and at least one --pred NAME=DIR (or --config FILE)")
    gt_dir = Path(params["gt"])
    dataset = params["dataset"]
    if dataset is None:
        dataset = default_dataset_name(gt_dir)
    elif name_problem(dataset) is not None:
        raise SodbenchError(f"--dataset {dataset!r}: the name {name_problem(dataset)}")
    images = None if params["images"] is None else Path(params["images"])
    tasks = [Task(dataset, name, gt_dir, folder, images)
             for name, folder in parse_pred(params["pred"]).items()]
    return tasks, dict(params)


def _output_plan(tasks: list, settings: dict, config: str | None):
    """Inputs and outputs of this run, checked before any image is read."""
    from sodbench.folders.outputs import OutputPlan

    plan = OutputPlan()
    if config:
        plan.add_input(config, f"--config {config}")
    for task in tasks:
        plan.add_input_folder(task.gt_dir, f"the GT folder {task.gt_dir}")
        plan.add_input_folder(task.pred_dir, f"the prediction folder {task.pred_dir}")
        if task.images_dir is not None:
            plan.add_input_folder(task.images_dir, f"the image folder {task.images_dir}")
    if settings["subsets"]:
        plan.add_input(settings["subsets"], f"--subsets {settings['subsets']}")
    for key, option in (("json", "--json"), ("per_image", "--per-image"), ("curves", "--curves")):
        if settings[key]:
            plan.add_output(settings[key], option)
    return plan


def _check_curves(settings: dict, metrics: tuple[str, ...] | None) -> None:
    from sodbench.metrics.keys import CURVE_METRICS

    path = settings["curves"]
    if not path:
        return
    if Path(path).suffix.lower() not in (".csv", ".npz"):
        raise SodbenchError(f"--curves {path}: use a .csv or .npz file name")
    if metrics and not set(metrics) & set(CURVE_METRICS):
        raise SodbenchError(f"--curves {path}: the chosen --metrics keep no curves; add a key "
                            f"read from a curve ({', '.join(CURVE_METRICS[:4])}, ...) or drop "
                            "--curves")


def _check_cache_place(cache_dir: Path, tasks: list, option: str) -> None:
    """Refuse a cache folder directly inside a GT or prediction folder (the default one of a
    run started in the GT folder): no command writes into a data folder it reads."""
    parent = os.path.realpath(cache_dir.parent)
    for task in tasks:
        for folder, what in ((task.gt_dir, "the GT folder"),
                             (task.pred_dir, "the prediction folder"),
                             (task.images_dir, "the image folder")):
            if folder is not None and os.path.realpath(folder) == parent:
                raise SodbenchError(f"{option} {cache_dir}: lies inside {what} {folder}, an "
                                    "input folder; write outputs outside the data folders")


@click.command(name="eval")
@click.option("--gt", type=click.Path(), help="Folder of ground-truth masks.")
@click.option("--pred", multiple=True, metavar="NAME=DIR",
              help="A method's prediction folder; repeat for several methods.")
@click.option("--dataset", help="Dataset name in the results [default: GT folder's name].")
@click.option("--config", type=click.Path(), help="TOML file: many datasets x methods.")
@click.option("--conventions", "--profile", "conventions", default="pysodmetrics",
              show_default=True, metavar="NAME",
              help="Metric conventions: pysodmetrics, minet-tii2024 or matlab "
                   "(--profile is its old name).")
@click.option("--metrics", metavar="LIST",
              help="Comma-separated metric keys and groups (default, pysodmetrics, defect, "
                   "dis, all), any case [default: the default group].")
@click.option("--jobs", type=int, help="Worker processes [default: all cores; 1: no pool].")
@click.option("--max-memory", metavar="SIZE",
              help="Cap on peak memory, e.g. 8G: fewer jobs run when large images need it "
                   "[default: 3/4 of the machine's memory].")
@click.option("--scheduler", metavar="ADDRESS", envvar=SCHEDULER_VARIABLE,
              help="Score on a Dask cluster: tcp://HOST:PORT of a running `dask scheduler`, "
                   "or local:N (N worker processes here); needs sodbench[dask] "
                   "[default: $SODBENCH_DASK_SCHEDULER, else local worker processes].")
@click.option("--scheduler-timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True,
              metavar="SECONDS",
              help="How long to wait for the scheduler, and for its first worker.")
@click.option("--json", "json", type=click.Path(), help="Write the results JSON here.")
@click.option("--per-image", "per_image", type=click.Path(),
              help="Write per-image scores as CSV here.")
@click.option("--curves", type=click.Path(), help="Write the curves here (.csv or .npz).")
@click.option("--on-missing", type=click.Choice(["error", "skip"]), default="error",
              show_default=True,
              help="skip: leave out GT without prediction, duplicate names, unreadable maps.")
@click.option("--gt-prefix", default="", help="GT file names start with this.")
@click.option("--gt-suffix", default="", help="GT names end with this (before the extension).")
@click.option("--pred-prefix", default="", help="Prediction file names start with this.")
@click.option("--pred-suffix", default="", help="Prediction names end with this.")
@click.option("--allow-emptied-gt", is_flag=True,
              help="Score GT masks whose non-zero pixels all lie at or below the GT "
                   "threshold (e.g. 0/128 masks) as empty instead of stopping.")
@click.option("--skip-empty-gt", is_flag=True,
              help="Leave out (and note) images whose GT is empty after the GT threshold, "
                   "for every method (the COD10K rule).")
@click.option("--images", type=click.Path(), metavar="DIR",
              help="Folder of the RGB images, paired with the GT by name (CCM reads them).")
@click.option("--subset", multiple=True, metavar="NAME=GLOB",
              help="Also score the images whose name matches GLOB as subset NAME (e.g. "
                   "scratches='Sc_*'); repeat for several.")
@click.option("--subsets", type=click.Path(), metavar="FILE.csv",
              help="Also score subsets listed in a CSV with columns name,subset.")
@click.option("--subset-preset", metavar="NAME",
              help="Named subsets of a known dataset: sd-saliency-900 (In, Pa, Sc).")
@click.option("--size-buckets", is_flag=False, flag_value="1%,10%", metavar="[T1,T2]",
              help="Also score small / medium / large objects: GT foreground below T1, "
                   "below T2, from T2 [default thresholds: 1%,10%].")
@click.option("--no-cache", is_flag=True, help="Neither reuse nor store cached results.")
@click.option("--cache-dir", type=click.Path(),
              help="Cache folder [default: $SODBENCH_CACHE_DIR or .sodbench_cache/ "
                   "beside --json].")
@click.option("--resume", is_flag=True,
              help="Continue an interrupted run from its finished (dataset, method) results.")
@click.option("--quiet", is_flag=True, help="No progress bar and no table.")
@click.pass_context
def command(ctx: click.Context, **params) -> None:
    """Evaluate prediction folders against ground-truth folders."""
    with flags_named(_FLAGS, _phrases()):
        _evaluate(ctx, params)


def _evaluate(ctx: click.Context, params: dict) -> None:
    from sodbench.folders import cache as cache_module
    from sodbench.folders import exports as eval_output
    from sodbench.folders.evaluation import document, run
    from sodbench.folders.memory import keep_freed_memory
    from sodbench.folders.results import dump_results
    from sodbench.folders.subsets import subset_rule
    from sodbench.folders.tasks import Options

    tasks, settings = _settings(ctx, params)
    subsets = subset_rule(settings["subset"], settings["subsets"], settings["subset_preset"],
                          settings["size_buckets"])
    options = Options(
        conventions=settings["conventions"], metrics=_parse_metrics(settings["metrics"]),
        on_missing=settings["on_missing"], gt_prefix=settings["gt_prefix"],
        gt_suffix=settings["gt_suffix"], pred_prefix=settings["pred_prefix"],
        pred_suffix=settings["pred_suffix"], allow_emptied_gt=settings["allow_emptied_gt"],
        skip_empty_gt=settings["skip_empty_gt"], subsets=subsets)
    _check_needs(options, tasks, from_config=bool(params["config"]))
    _check_curves(settings, options.metrics)
    if settings["no_cache"] and params["resume"]:
        raise SodbenchError("--resume needs the cache: drop --no-cache")
    plan = _output_plan(tasks, settings, params["config"])
    cache_dir = None
    if not settings["no_cache"]:
        option = "--cache-dir" if settings["cache_dir"] else "the cache folder (--cache-dir)"
        cache_dir = Path(settings["cache_dir"] or cache_module.default_cache_dir(settings["json"]))
        _check_cache_place(cache_dir, tasks, option)
        cache_dir = plan.add_output_folder(cache_dir, option)
    quiet = settings["quiet"]
    progress = not quiet and sys.stderr.isatty()
    keep_freed_memory()  # this process scores the images itself with --jobs 1

    with _executor(ctx, settings, tasks, options) as executor:
        jobs = None if executor is not None else settings["jobs"]
        results = run(
            tasks, options, jobs=jobs, executor=executor, max_memory=settings["max_memory"],
            cache_dir=cache_dir, progress=progress,
            report=lambda text: click.echo(f"note: {flag_words(text, _FLAGS)}", err=True))
    resumed = sum(result.from_cache for result in results)
    chunks = sum(result.resumed_chunks for result in results)
    if params["resume"]:
        plural = "" if chunks == 1 else "s"
        partial = f" and {chunks} chunk{plural} of unfinished ones" if chunks else ""
        click.echo(f"resumed {resumed} of {len(results)} (dataset, method) results{partial} "
                   f"from {cache_dir}", err=True)
    for result in results:
        for note in result.entry["notes"]:
            click.echo(f"warning: {result.entry['dataset']}/{result.entry['method']}: {note}",
                       err=True)
    entries = [result.entry for result in results]
    if settings["json"]:
        dump_results(document(results, options), settings["json"])
    if settings["per_image"]:
        eval_output.write_per_image(results, settings["per_image"])
    if settings["curves"]:
        eval_output.write_curves(entries, settings["curves"])
    if not quiet:
        click.echo(eval_output.terminal_table(entries, options.metrics))


def _executor(ctx: click.Context, settings: dict, tasks: list, options):
    """A Dask cluster's executor for ``--scheduler`` (closed after the run), else none:
    local worker processes."""
    import contextlib

    scheduler = settings["scheduler"]
    if not scheduler:
        if ctx.get_parameter_source("scheduler_timeout") == ParameterSource.COMMANDLINE:
            raise SodbenchError(f"--scheduler-timeout {settings['scheduler_timeout']:g}: only "
                                "used with --scheduler (or $SODBENCH_DASK_SCHEDULER); this run "
                                "is local: drop it, or give the scheduler")
        return contextlib.nullcontext()
    from sodbench.folders.cluster import connect

    given = f"{SCHEDULER_VARIABLE}={scheduler}" if (
        ctx.get_parameter_source("scheduler") == ParameterSource.ENVIRONMENT) else (
        f"--scheduler {scheduler}")
    for key, flag, why in (("jobs", "--jobs", "the cluster's workers score the chunks"),
                           ("max_memory", "--max-memory", "a worker's memory is capped by "
                            "`dask worker --memory-limit`")):
        if settings[key] is not None:
            raise SodbenchError(f"{flag} {settings[key]}: not used with {given} ({why}); drop "
                                f"{flag}, or the scheduler for a run on this machine")
    from sodbench.metrics.extras import reads_images

    images = reads_images(options.keys)
    folders = {str(folder) for task in tasks
               for folder in (task.gt_dir, task.pred_dir, task.images_dir if images else None)
               if folder is not None}
    return connect(scheduler, timeout=settings["scheduler_timeout"], folders=sorted(folders),
                   cached=not settings["no_cache"])


def _check_needs(options, tasks: list, *, from_config: bool) -> None:
    """What the chosen metrics need besides the maps, before any work: their optional extra
    (HCE, CM, CCM: ``sodbench[cv]``) and, for CCM, the RGB images. Image folders given while no
    chosen metric reads them are left unread, with a warning."""
    from sodbench.metrics.extras import IMAGE_KEYS, reads_images, require_extra

    require_extra(options.keys)
    wanted = [key for key in options.keys if key in IMAGE_KEYS]
    lacking = [task for task in tasks if task.images_dir is None]
    if wanted and lacking:
        fix = (f"add images = \"DIR\" to [[dataset]] {lacking[0].dataset!r} of the config"
               if from_config else "add --images DIR")
        raise SodbenchError(f"{', '.join(wanted)} needs the RGB images: {fix}")
    if not reads_images(options.keys) and len(lacking) < len(tasks):
        given = "the config's images folders are" if from_config else "--images is"
        click.echo(f"warning: {given} unused: no chosen metric reads the RGB images (CCM "
                   "does)", err=True)
