"""The whole product on the bundled synthetic sample, in one call (``sodbench demo``).

Steps: write the sample (:func:`sodbench.demo.sample.generate`); predict it with the reference MINet
and its demo weights (:mod:`minet_ref`) and with the frequency-tuned baseline
(:mod:`sodbench.demo.baselines`); evaluate those and the sample's two synthetic methods
(:func:`sodbench.evaluate`); profile MINet (:func:`sodbench.profile`, batch 1, a few
iterations); write ``leaderboard.md``, ``leaderboard.tex`` and the PR and F-measure plots.
A step that cannot run (e.g. PyTorch missing) is reported in the summary and in the table's
notes; nothing is made up in its place.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from sodbench import evaluate
from sodbench.demo import baselines, sample
from sodbench.errors import SodbenchError
from sodbench.folders.outputs import atomic_write, claim_folder
from sodbench.folders.results import dump_results
from sodbench.profiling.record import ProfileRecord
from sodbench.reports import plots, tables

__all__ = ["DemoReport", "run_demo"]

DATASET = "Synthetic sample"
MINET = "MINet"
PROFILE_SHAPE = (1, 3, 368, 368)


@dataclass
class DemoReport:
    """What the demo wrote, what it skipped and why, and how long each step took."""

    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_demo(out_dir: str | os.PathLike, *, n_images: int = 36, iters: int = 5,
             log=print) -> DemoReport:
    """Run the demo into ``out_dir`` and return a :class:`DemoReport`.

    Parameters
    ----------
    out_dir : path
        Created if needed; the sample goes to ``out_dir/sample``, maps to ``out_dir/pred``.
    n_images : int
        Size of the synthetic sample.
    iters : int
        Timed iterations of the MINet speed measurement (batch 1, CPU).
    log : callable
        Receives one line per step.
    """
    report = DemoReport(Path(out_dir))
    out = report.out_dir
    claim_folder(out, "demo folder", "demo")
    with _step(report, "sample", log):
        data = sample.generate(out / "sample", n_images=n_images)
    preds = {name: data / "pred" / name for name in sample.METHODS}
    with _step(report, "baseline FT", log):
        baselines.predict_folder(data / "Img", out / "pred" / "FT")
        preds["FT"] = out / "pred" / "FT"
    model = None
    with _step(report, "MINet predict", log, optional=True):
        model = _minet_predict(data / "Img", out / "pred" / MINET)
        preds[MINET] = out / "pred" / MINET
    with _step(report, "evaluate", log):
        document = evaluate(data / "GT", preds, dataset=DATASET, jobs=1)
        report.files["results"] = out / "results.json"
        dump_results(document, report.files["results"])
    records = {}
    with _step(report, "MINet profile", log, optional=True):
        if model is None:
            raise SodbenchError("no MINet model (its prediction step did not run)")
        from sodbench.profiling import dump_profile

        records[MINET] = _profile(model, iters)
        report.files["profile"] = out / "profile.json"
        dump_profile(records[MINET], report.files["profile"])
    with _step(report, "tables", log):
        table = tables.build_table(document, profiles=records)
        table.footnotes += [f"Demo step '{step}' did not run: {why}"
                            for step, why in report.skipped.items()]
        for name, fmt in (("leaderboard.md", "md"), ("leaderboard.tex", "latex")):
            report.files[name] = out / name
            atomic_write(report.files[name], tables.render(table, fmt))
    with _step(report, "plots", log):
        highlight = MINET if MINET in preds else None
        for kind in ("pr", "fm"):
            figure, data_file = plots.save_plot(document, kind, out / f"{kind}.png",
                                                csv=out / f"{kind}.csv", highlight=highlight)
            report.files[f"{kind}.png"], report.files[f"{kind}.csv"] = figure, data_file
    return report


@contextlib.contextmanager
def _step(report: DemoReport, name: str, log, optional: bool = False):
    """Time a step and log it; an optional step that cannot run is recorded as skipped."""
    start = time.perf_counter()
    try:
        yield
    except (ImportError, SodbenchError) as error:
        if not optional:
            raise
        report.skipped[name] = str(error).splitlines()[0]
        log(f"{name}: SKIPPED ({report.skipped[name]})")
    else:
        log(f"{name}: done in {time.perf_counter() - start:.1f} s")
    finally:
        report.seconds[name] = time.perf_counter() - start


def _minet_predict(images: Path, out: Path):
    """Predict with the reference MINet and the demo weights; return the model for profiling."""
    # minet_ref needs torch, an optional extra: imported here, its absence skips this step
    from minet_ref import create_model, predict

    model = create_model("minet", pretrained=True)
    predict.predict_folder(model, images, out, batch=8, device="cpu", progress=False)
    return model


def _profile(model, iters: int) -> ProfileRecord:
    from sodbench import profile

    return profile(model, PROFILE_SHAPE, batch_sizes=(1,), warmup=1, iters=iters,
                   external=False, name=MINET)
