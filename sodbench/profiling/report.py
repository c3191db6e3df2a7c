"""Plain-text rendering of a profile record (what ``sodbench profile`` prints)."""

from __future__ import annotations

import textwrap

from sodbench.profiling.record import ProfileRecord

__all__ = ["format_record", "plural"]

_LABELS = (
    ("macs", "MACs"),
    ("flops", "FLOPs"),
    ("flops_with_elementwise", "FLOPs incl. element-wise"),
    ("paper_compatible_macs", "paper-compatible (thop 2020)"),
    ("module_hook_macs", "MACs by module hooks"),
    ("fvcore", "fvcore total"),
    ("thop", "thop 0.1.1 total"),
)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}" for i, (h, w) in
                     enumerate(zip(header, widths, strict=True)))
    body = ["  ".join(f"{c:<{w}}" if i == 0 else f"{c:>{w}}" for i, (c, w) in
                      enumerate(zip(row, widths, strict=True))) for row in rows]
    return ["  " + line, *("  " + b for b in body)]


def _scaled(value: int) -> str:
    """`` (0.271 G)`` style suffix, empty below a thousand."""
    for factor, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            return f" ({value / factor:.3f} {unit})"
    return ""


def _counter_lines(record: ProfileRecord) -> list[str]:
    width = max(len(label) for _, label in _LABELS)
    lines = []
    for key, label in _LABELS:
        entry = record.counters.get(key)
        if entry is None:
            continue
        if entry.value is None:
            lines.append(f"{label:<{width}}  (skipped: {entry.skipped})")
            continue
        note = ""
        if entry.explained is not None:
            note = " [= our breakdown under its rules]" if entry.explained else (
                f" [our breakdown predicts {entry.expected_from_breakdown:,}]")
        lines.append(f"{label:<{width}}  {entry.value:>15,}{_scaled(entry.value)}{note}")
        lines += textwrap.wrap(entry.counts, 100, initial_indent=" " * (width + 4),
                               subsequent_indent=" " * (width + 4))
    return lines


def _operator_lines(record: ProfileRecord) -> list[str]:
    total = sum(count.flops for count in record.by_operator.values()) or 1
    rows = [[op, f"{c.calls:,}", f"{c.output_elements:,}", f"{c.flops:,}",
             f"{100 * c.flops / total:.1f}%"]
            for op, c in sorted(record.by_operator.items(), key=lambda item: -item[1].flops)]
    return _table(["operator", "calls", "output elements", "FLOPs", "share"], rows)


def _module_lines(record: ProfileRecord) -> list[str]:
    rows = [[name, f"{c.params:,}", f"{c.macs:,}", f"{c.flops:,}",
             f"{c.flops_with_elementwise:,}"] for name, c in record.by_module.items()]
    return _table(["module", "params", "MACs", "FLOPs", "FLOPs incl. element-wise"], rows)


def _speed_lines(record: ProfileRecord) -> list[str]:
    rows = [[r.backend, str(r.batch), r.protocol, f"{r.median_ms:.2f}", f"{r.p90_ms:.2f}",
             f"{r.mean_ms:.2f}", f"{r.fps:.2f}", f"{r.max_abs_diff_vs_eager:.1e}"]
            for r in record.speed]
    return _table(["backend", "batch", "protocol", "median ms", "p90 ms", "mean ms",
                   "images/s", "max|diff| vs eager"], rows)


def plural(n: int, noun: str) -> str:
    """``1 thread``, ``2 threads`` (for nouns whose plural adds an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _rounds(record: ProfileRecord) -> str:
    protocol = record.protocol
    if protocol.name == "minet-fps":
        return "warm-up calls timed and dropped, as FPS.py"
    # Fewer calls than rounds give fewer rounds; the rows keep the number run.
    rounds = record.speed[0].rounds or protocol.rounds
    return f"in {plural(rounds, 'round')}, backends interleaved"


def format_record(record: ProfileRecord) -> str:
    """The human-readable report of a profile record made by :func:`sodbench.profile`."""
    params = record.params
    env = record.environment
    shape = "x".join(str(n) for n in record.input_shape)
    lines = [
        f"{record.model}: complexity per image at input {shape} (eval mode)",
        f"parameters  {params.total:,}{_scaled(params.total)}, "
        f"trainable {params.trainable:,}; buffers {params.buffers:,} elements",
        *_counter_lines(record),
        "",
        "per operator (FLOPs incl. element-wise):",
        *_operator_lines(record),
        "",
        "per top-level module:",
        *_module_lines(record),
        "",
        "counted as zero (never dropped silently):",
    ]
    zero = [f"  {op.op} x{op.calls:,} ({op.kind})" for op in record.uncounted_ops]
    lines += zero or ["  none"]
    protocol = record.protocol
    if record.speed:
        lines += [
            "",
            f"speed: protocol {protocol.name}, {protocol.warmup} warm-up + "
            f"{plural(protocol.iters, 'timed call')} ({_rounds(record)}), "
            f"device {env['device']} ({env['device_name']}), "
            f"{plural(env['threads'], 'thread')}, {env['dtype']}, torch {env['torch']}",
            *_speed_lines(record),
        ]
        chosen = env.get("threads_chosen", "")
        if chosen.startswith("default"):
            lines.append(f"threads: {chosen} (--threads N sets them)")
        load, cpus = env.get("load_average_1min"), env.get("logical_cpus")
        # The load average includes this run; above one per CPU, others were competing.
        if load is not None and cpus and load > cpus:
            lines.append(f"note: 1-min load average {load:.1f} on {cpus} logical CPUs; other "
                         "processes were competing, so these timings are unreliable")
    return "\n".join(lines)
