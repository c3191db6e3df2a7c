"""`sodbench demo` end to end on a small sample, and its honesty when a step cannot run."""

from __future__ import annotations

import pandas as pd
import pytest

from sodbench.cli import main
from sodbench.demo import run as demo
from sodbench.demo import run_demo
from sodbench.folders.results import load_results


def md_methods(text: str) -> list[str]:
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("|")]
    return [row[0].strip() for row in rows[2:]]


@pytest.mark.slow
@pytest.mark.torch
def test_demo_cli_writes_every_output(capsys, tmp_path):
    pytest.importorskip("torch", reason="the demo's MINet steps need PyTorch")
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--n-images", "9"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert "warning" not in captured.err
    for name in ("leaderboard.md", "leaderboard.tex", "pr.png", "fm.png", "pr.csv", "fm.csv",
                 "results.json", "profile.json"):
        assert (out / name).stat().st_size > 0, name
    results = load_results(out / "results.json")
    methods = {entry["method"] for entry in results["entries"]}
    assert methods == {"GoodNet", "WeakNet", "FT", "MINet"}
    assert all(entry["counts"]["n_evaluated"] == 9 for entry in results["entries"])
    assert len(list((out / "pred" / "MINet").glob("*.png"))) == 9
    table = (out / "leaderboard.md").read_text()
    assert set(md_methods(table)) == methods
    minet_row = next(line for line in table.splitlines() if line.startswith("| MINet"))
    assert minet_row.split("|")[2].strip() == "**0.28**"  # Param (M), the only profiled row
    assert minet_row.split("|")[3].strip() == "**0.30**"  # paper-compatible GMACs at 368x368
    latex = (out / "leaderboard.tex").read_text()
    assert r"MINet & \first{0.28} & \first{0.30}" in latex
    curves = pd.read_csv(out / "pr.csv")
    assert set(curves["method"]) == methods


def test_missing_minet_is_reported_not_faked(tmp_path, monkeypatch):
    def no_minet(images, out):
        raise ImportError("No module named 'minet_ref.predict'")

    monkeypatch.setattr(demo, "_minet_predict", no_minet)
    lines = []
    report = run_demo(tmp_path, n_images=3, log=lines.append)
    assert set(report.skipped) == {"MINet predict", "MINet profile"}
    assert "MINet predict: SKIPPED" in "\n".join(lines)
    results = load_results(report.files["results"])
    assert {entry["method"] for entry in results["entries"]} == {"GoodNet", "WeakNet", "FT"}
    table = report.files["leaderboard.md"].read_text()
    assert "MINet" not in md_methods(table)
    assert "Demo step 'MINet predict' did not run" in table
    assert not (tmp_path / "profile.json").exists()
