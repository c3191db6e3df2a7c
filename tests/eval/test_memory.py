"""Memory of ``sodbench eval`` on large images: the documented rule bounds the peak resident
size of a real child process, the peak does not grow with the number of images, and
``--max-memory`` lowers the jobs or refuses the run before any work."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from sodbench.errors import SodbenchError
from sodbench.folders import evaluation
from sodbench.folders.memory import (
    PIXEL_BYTES,
    PROCESS_BYTES,
    fit_jobs,
    parse_size,
    peak_bytes,
    size_text,
)

SIDE = 1600
METRICS = "MAE,Sm,wF,maxF,meanF,adpF,maxE,meanE,adpE"

# Runs eval in a grandchild and prints its peak resident size: RUSAGE_CHILDREN of this fresh
# interpreter holds only that process (pytest's own children would mix in otherwise).
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)
sys.stderr.write(done.stderr)
"""


def _images(root, count, seed=0):
    rng = np.random.default_rng(seed)
    rows, cols = np.ogrid[:SIDE, :SIDE]
    for folder in ("GT", "pred"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for index in range(count):
        centre = rng.uniform(0.3, 0.7, 2) * SIDE
        distance = np.hypot(rows - centre[0], cols - centre[1]) - SIDE / 5
        Image.fromarray(np.where(distance < 0, 255, 0).astype(np.uint8)).save(
            root / "GT" / f"{index:02d}.png", compress_level=1)
        soft = 1 / (1 + np.exp(distance / 40)) + rng.normal(0, 0.05, distance.shape)
        Image.fromarray(np.clip(soft * 255, 0, 255).astype(np.uint8)).save(
            root / "pred" / f"{index:02d}.png", compress_level=1)
    return root


def _peak(root, tmp_path, *extra) -> tuple[int, int, str]:
    command = [sys.executable, "-m", "sodbench.cli", "eval", "--gt", str(root / "GT"),
               "--pred", f"A={root / 'pred'}", "--metrics", METRICS, "--no-cache", "--quiet",
               "--json", str(tmp_path / f"{root.name}.json"), *extra]
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                          text=True, timeout=600)
    code, peak = (int(value) for value in done.stdout.split())
    return code, peak, done.stderr


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("memory")
    four = _images(root / "four", 4)
    eight = _images(root / "eight", 8)
    return four, eight


def test_peak_of_one_job_is_within_the_rule_and_does_not_grow_with_images(sets, tmp_path):
    four, eight = sets
    code, peak_four, err = _peak(four, tmp_path, "--jobs", "1")
    assert code == 0, err
    code, peak_eight, err = _peak(eight, tmp_path, "--jobs", "1")
    assert code == 0, err
    rule = peak_bytes(SIDE * SIDE, 1)
    assert peak_four <= rule and peak_eight <= rule, (size_text(peak_eight), size_text(rule))
    assert peak_eight <= 1.10 * peak_four, (size_text(peak_four), size_text(peak_eight))
    # the per-image part is real: well above the bare process
    assert peak_four > PROCESS_BYTES // 2 + 20 * SIDE * SIDE


def test_a_cap_below_one_image_refuses_the_run_before_any_work(sets, tmp_path):
    four, _ = sets
    code, _, err = _peak(four, tmp_path, "--max-memory", "200M")
    assert code == 2 and not (tmp_path / "four.json").exists()
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert "00.png: scoring this 2,560,000-pixel GT image needs about" in err
    assert "more than --max-memory 200.0 MiB; raise --max-memory" in err


def test_a_cap_for_one_job_runs_one_job_with_a_note(sets):
    four, _ = sets
    notes = []
    cap = peak_bytes(SIDE * SIDE, 1) + 1
    document = evaluation.evaluate(four / "GT", {"A": four / "pred"}, metrics=["MAE"], jobs=2,
                                   max_memory=cap)
    assert document["entries"][0]["counts"]["n_evaluated"] == 4
    evaluation.run(
        [evaluation.Task("D", "A", four / "GT", four / "pred")],
        evaluation.Options(metrics=["MAE"]), jobs=2, max_memory=cap, report=notes.append)
    assert notes == [f"1 of 2 jobs run: with GT images of up to 2,560,000 pixels (00.png), "
                     f"more would pass max_memory={size_text(cap)}"]


def test_the_rule_and_the_fit():
    assert peak_bytes(1000, 1) == PROCESS_BYTES + PIXEL_BYTES * 1000
    assert peak_bytes(1000, 3) == 4 * PROCESS_BYTES + 3 * PIXEL_BYTES * 1000
    assert fit_jobs(4, 10 ** 6, "x.png", peak_bytes(10 ** 6, 2)) == 2
    assert fit_jobs(4, 10 ** 6, "x.png", 1 << 40) == 4
    with pytest.raises(SodbenchError, match=r"^x.png: scoring this 1,000,000-pixel GT image"):
        fit_jobs(4, 10 ** 6, "x.png", peak_bytes(10 ** 6, 1) - 1)


@pytest.mark.parametrize("text, size", [("8G", 8 << 30), ("512MiB", 512 << 20),
                                        ("1.5gb", 3 << 29), ("100k", 102400), (4096, 4096)])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "abc", "-1G", "0", "8X", "1e9", "8 G B", None])
def test_bad_sizes_are_one_line(text):
    with pytest.raises(SodbenchError, match=r"^max_memory=.*: give a size such as 8G"):
        parse_size(text)


def test_results_do_not_depend_on_the_cap(sets):
    four, _ = sets
    small = evaluation.evaluate(four / "GT", {"A": four / "pred"}, metrics=METRICS.split(","),
                                jobs=2, max_memory=peak_bytes(SIDE * SIDE, 1))
    large = evaluation.evaluate(four / "GT", {"A": four / "pred"}, metrics=METRICS.split(","),
                                jobs=2)
    assert json.dumps(small["entries"][0]["metrics"]) == json.dumps(
        large["entries"][0]["metrics"])


def test_eval_processes_keep_freed_memory_for_the_next_image():
    """glibc here: the thresholds are set (a child process, so this test's own stays as is)."""
    code = ("from sodbench.folders.memory import keep_freed_memory; "
            "print(keep_freed_memory())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == ("True" if sys.platform.startswith("linux") else "False")


def test_the_rule_holds_for_16_bit_maps_and_every_metric(tmp_path):
    """The heaviest case measured: 16-bit predictions (the per-pixel backend) and every key
    but CCM (size-invariant, HCE, CM, MSIoU, PFOM, ...)."""
    from sodbench.metrics.keys import expand

    root = _images(tmp_path / "sixteen", 2, seed=4)
    for path in (root / "pred").iterdir():
        levels = np.asarray(Image.open(path)).astype(np.uint16) * 257
        Image.fromarray(levels).save(path)
    keys = ",".join(key for key in expand(["all"]) if key != "CCM")
    command = [sys.executable, "-m", "sodbench.cli", "eval", "--gt", str(root / "GT"),
               "--pred", f"A={root / 'pred'}", "--metrics", keys, "--no-cache", "--quiet",
               "--json", str(tmp_path / "r.json"), "--jobs", "1"]
    done = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True,
                          text=True, timeout=600)
    code, peak = (int(value) for value in done.stdout.split())
    assert code == 0, done.stderr
    assert peak <= peak_bytes(SIDE * SIDE, 1), (size_text(peak),
                                                size_text(peak_bytes(SIDE * SIDE, 1)))
