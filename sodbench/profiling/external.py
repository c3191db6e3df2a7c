"""fvcore's and thop's totals, run beside the primary counter when those packages import.

Neither is a dependency (fvcore relies on deprecated TorchScript tracing, thop 0.1.1 is
unmaintained and leaves ``total_ops``/``total_params`` buffers on the model it profiles), so
both run on a deep copy of the model and are reported only as cross-references, each with the
total that our own breakdown predicts for its per-operator rules (docs/profile.md, "How the
usual tools count, operator by operator").
"""

from __future__ import annotations

import copy
import logging
import warnings

import torch
from torch import nn

from sodbench.profiling.guard import describe_error

FVCORE_COUNTS = (
    "fvcore FlopCountAnalysis.total(): conv/linear MACs + 2 per BatchNorm element (eval) "
    "+ 4 per bilinear-upsampling output element; bias, ReLU, add and sigmoid are not counted "
    "(fvcore lists them as unsupported). fvcore calls these 'flops' but they are MACs."
)
THOP_COUNTS = (
    "thop 0.1.1 profile(): MACs of leaf conv/linear modules + 4 per affine BatchNorm element "
    "(2 without affine); no bias, and functional calls (F.interpolate, +, torch.sigmoid) are "
    "not seen. ultralytics-thop counts the same way."
)


def fvcore_total(model: nn.Module, example: torch.Tensor) -> int | None:
    """fvcore's total on a deep copy, or None when fvcore does not import."""
    # fvcore uses TorchScript (deprecation warnings, some at import) and logs every
    # unsupported op; its verdicts are in our record instead.
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        try:
            from fvcore.nn import FlopCountAnalysis
        except ImportError:
            return None
        logger = logging.getLogger("fvcore")
        level = logger.level
        logger.setLevel(logging.ERROR)
        analysis = FlopCountAnalysis(copy.deepcopy(model), example)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        try:
            return int(analysis.total())
        finally:
            logger.setLevel(level)


def thop_total(model: nn.Module, example: torch.Tensor) -> int | None:
    """thop's total on a deep copy (thop 0.1.1 adds buffers to what it profiles), or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # thop imports the removed-in-3.12 distutils.version
        try:
            import thop
        except ImportError:
            return None
        with torch.no_grad():
            macs, _ = thop.profile(copy.deepcopy(model), inputs=(example,), verbose=False)
    return int(macs)


def external_counters(model: nn.Module, example: torch.Tensor, counts: dict) -> dict:
    """fvcore and thop entries for the record, each with the total our breakdown predicts.

    A tool that is not installed, or that fails on a model our own counter ran, is recorded
    as skipped with the reason; it never stops the profile.
    """
    bn_weight = 4 if counts["batch_norm_affine"] else 2
    expected = {
        "fvcore": counts["macs"] + 2 * counts["batch_norm_elements"]
        + 4 * counts["bilinear_output_elements"],
        "thop": counts["module_hook_macs"] + bn_weight * counts["batch_norm_elements"],
    }
    entries = {}
    for name, counter, what in (
        ("fvcore", fvcore_total, FVCORE_COUNTS),
        ("thop", thop_total, THOP_COUNTS),
    ):
        skipped = f"{name} is not installed"
        try:
            total = counter(model, example)
        except Exception as error:  # the model ran for our counter: this is the tool's failure
            total, skipped = None, f"{name} failed: {describe_error(error)}"
        entry = {"value": total, "counts": what, "expected_from_breakdown": expected[name]}
        if total is None:
            entry["skipped"] = skipped
        else:
            entry["explained"] = total == expected[name]
        entries[name] = entry
    return entries
