"""``sodbench profile``: parameters, MACs/FLOPs and speed of a model (see docs/profile.md)."""

from __future__ import annotations

import click

from sodbench.errors import SodbenchError


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) < 2 or min(shape) < 1:
        raise SodbenchError(f"--input {text!r} is not a shape like 1x3x368x368")
    return shape


def _integers(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise SodbenchError(f"{option} {text!r} is not a comma list of positive integers")
    return values


@click.command(name="profile")
@click.argument("target")
@click.option("--input", "input_shape", default="1x3x368x368", show_default=True,
              help="Input shape NxCxHxW; complexity is counted per image (batch 1).")
@click.option("--device", default="cpu", show_default=True, type=click.Choice(["cpu", "cuda"]))
@click.option("--batch", default=None, help="Batch sizes to time, e.g. 1,8 (default: N of --input;"
              " 300 for minet-fps).")
@click.option("--threads", default=None, type=click.IntRange(min=1),
              help="torch.set_num_threads (and ONNX Runtime intra-op threads) while timing.")
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
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False),
              help="Write the record as JSON.")
def command(target, input_shape, device, batch, threads, warmup, iters, rounds, protocol, backends,
            amp, weights, no_external, json_path) -> None:
    """Parameters, MACs/FLOPs and speed of TARGET under a stated protocol.

    TARGET is package.module:callable, path/to/file.py:Name, or a built-in model (minet).
    """
    shape = _shape(input_shape)
    batch_sizes = _integers(batch, "--batch")
    names = [n.strip() for item in backends for n in item.split(",") if n.strip()] or ["eager"]
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise SodbenchError(
            "sodbench profile needs PyTorch, which is not installed: pip install sodbench[torch]"
        ) from error
    from sodbench.profiling import dump_profile, profile
    from sodbench.profiling.loading import load_target
    from sodbench.profiling.report import format_record

    if protocol == "minet-fps" and device == "cpu" and batch_sizes is None and iters != 0:
        click.echo("note: minet-fps runs 100 calls at batch 300; on a CPU that takes tens of "
                   "minutes and several GB (shorten it with --batch/--iters/--warmup)", err=True)
    model = load_target(target, weights=weights)
    record = profile(model, shape, device=device, batch_sizes=batch_sizes, threads=threads,
                     warmup=warmup, iters=iters, rounds=rounds, protocol=protocol,
                     backends=names, amp=amp, external=not no_external, name=target)
    click.echo(format_record(record))
    if json_path:
        dump_profile(record, json_path)
        click.echo(f"wrote {json_path}")
