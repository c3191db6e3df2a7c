"""``sodbench profile``: parameters, MACs/FLOPs and speed of a model (see docs/profile.md)."""

from __future__ import annotations

import re
import threading
import time

import click

from sodbench.cli.flags import flags_named
from sodbench.errors import SodbenchError
from sodbench.folders.outputs import OutputPlan
from sodbench.profiling.guard import TRACEBACK_HINT, parse_input_shape

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
#: Seconds after which a run starts printing its steps.
PROGRESS_AFTER = 5.0
#: The arguments of :func:`sodbench.profile` -> this command's flags.
FLAGS = {"input_shape": "--input", "batch_sizes": "--batch", "device": "--device",
         "threads": "--threads", "warmup": "--warmup", "iters": "--iters",
         "rounds": "--rounds", "protocol": "--protocol", "backends": "--backend", "amp": "--amp"}
PHRASES = {TRACEBACK_HINT: "run with --debug for the model's traceback"}


def _plan(target: str, weights: str | None, json_path: str | None) -> None:
    """Refuse a --json that is an input or cannot be written, before any work."""
    plan = OutputPlan()
    source = target.rpartition(":")[0]
    if source.endswith(".py"):
        plan.add_input(source, f"TARGET {source}")
    if weights and weights != "demo":
        plan.add_input(weights, f"--weights {weights}")
    if json_path:
        plan.add_output(json_path, "--json")


class _Progress:
    """Step lines on stderr, shown once the run has lasted ``after`` seconds.

    A run that ends (or fails) sooner prints nothing but its result; a longer one is never
    silent: the step under way is printed when the delay expires, every later step at once.
    """

    def __init__(self, after: float):
        self.began = time.perf_counter()
        self.after = after
        self.lock = threading.Lock()
        self.pending: str | None = None
        self.shown = after <= 0
        self.timer = threading.Timer(after, self._release)
        self.timer.daemon = True
        if not self.shown:
            self.timer.start()

    def __call__(self, step: str) -> None:
        line = f"profile [{time.perf_counter() - self.began:6.1f} s] {step}"
        with self.lock:
            if self.shown:
                click.echo(line, err=True)
            else:
                self.pending = line

    def _release(self) -> None:
        with self.lock:
            self.shown = True
            if self.pending is not None:
                click.echo(self.pending, err=True)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()
        with self.lock:  # nothing may print after the result or the error line
            self.shown, self.pending = False, None


def _model(target: str, weights: str | None):
    """The model TARGET names; the built-in names are built here, where minet_ref may be
    imported (profiling stands beside it)."""
    from sodbench.profiling.loading import load_target

    def minet():
        try:
            import minet_ref
        except ImportError as error:
            raise SodbenchError("built-in model 'minet' needs the minet_ref package") from error
        return minet_ref.create_model("minet", weights=weights)

    builtins = {"minet": minet}
    if weights is not None and target not in builtins:
        raise SodbenchError(f"--weights applies only to built-in models ({', '.join(builtins)})")
    return load_target(target, builtins)


def _integers(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",") if part.strip()]
    # ASCII digits only: int() would also read "１" and "+3".
    values = [int(p) for p in parts] if all(_DIGITS.fullmatch(p) for p in parts) else []
    if not values or min(values) < 1:
        raise SodbenchError(f"{option} {text!r} is not a comma list of positive integers")
    return values


@click.command(name="profile")
@click.argument("target")
@click.option("--input", "input_shape", default="1x3x368x368", show_default=True,
              help="Input shape N x C x H x W (four positive integers); complexity is counted "
                   "per image (batch 1).")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]))
@click.option("--batch", default=None, help="Batch sizes to time, e.g. 1,8 (default: N of --input;"
              " 300 for minet-fps).")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="torch.set_num_threads (and ONNX Runtime intra-op threads) for the run "
                   "(default: the cores idle at the start, at most torch's count).")
@click.option("--warmup", default=None, type=click.IntRange(min=0),
              help="Untimed calls (default 10; minet-fps: calls dropped, 21).")
@click.option("--iters", default=None, type=click.IntRange(min=0),
              help="Timed calls (default 50; minet-fps: 100 in all). 0 skips timing.")
@click.option("--rounds", default=5, show_default=True, type=click.IntRange(min=1),
              help="Split the timed calls into rounds, backends interleaved in rotating order.")
@click.option("--protocol", default="latency", show_default=True,
              type=click.Choice(["latency", "throughput", "minet-fps"]))
@click.option("--backend", "backends", multiple=True,
              help="eager, torchscript, onnxruntime; repeat or comma list (default eager).")
@click.option("--amp", is_flag=True, help="Time under float16 autocast (CUDA only).")
@click.option("--weights", default=None, help="Weights for a built-in model (path or 'demo').")
@click.option("--no-external", is_flag=True, help="Skip the fvcore and thop cross-counts.")
@click.option("--json", "json_path", default=None, type=click.Path(),
              help="Write the record as JSON.")
@click.option("--progress", is_flag=True,
              help=f"Print each step on stderr from the start (default: once the run has "
                   f"lasted {PROGRESS_AFTER:g} s).")
def command(target, input_shape, device, batch, threads, warmup, iters, rounds, protocol, backends,
            amp, weights, no_external, json_path, progress) -> None:
    """Parameters, MACs/FLOPs and speed of TARGET under a stated protocol.

    TARGET is package.module:callable (found from the current folder, as python -m does),
    path/to/file.py:Name, or a built-in model (minet). A run longer than a few seconds prints
    its steps on stderr.
    """
    shape = parse_input_shape(input_shape, "--input")
    batch_sizes = _integers(batch, "--batch")
    names = [n.strip() for item in backends for n in item.split(",") if n.strip()] or ["eager"]
    _plan(target, weights, json_path)
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise SodbenchError(
            "sodbench profile needs PyTorch, which is not installed: pip install sodbench[torch]"
        ) from error
    from sodbench.profiling import dump_profile, profile
    from sodbench.profiling.report import format_record

    if protocol == "minet-fps" and device == "cpu" and batch_sizes is None and iters != 0:
        click.echo("note: minet-fps runs 100 calls at batch 300; on a CPU that takes tens of "
                   "minutes and several GB (shorten it with --batch/--iters/--warmup)", err=True)
    with _Progress(0 if progress else PROGRESS_AFTER) as say, flags_named(FLAGS, PHRASES):
        say(f"loading {target}")
        model = _model(target, weights)
        record = profile(model, shape, device=device, batch_sizes=batch_sizes, threads=threads,
                         warmup=warmup, iters=iters, rounds=rounds, protocol=protocol,
                         backends=names, amp=amp, external=not no_external, name=target,
                         progress=say)
    click.echo(format_record(record))
    if json_path:
        dump_profile(record, json_path)
        click.echo(f"wrote {json_path}")
