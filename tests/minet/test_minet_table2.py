"""End to end: the authors' checkpoint through ``sodbench predict`` and ``sodbench eval``
reproduces the MINet paper's Table II (SD-Saliency-900, all 900 images) to 4 decimals."""

from __future__ import annotations

import time

import pytest
import torch

from sodbench.cli import main
from sodbench.folders.results import load_results

TABLE_II = {"MAE": 0.0169, "wF": 0.8945, "OR": 0.8115, "Sm": 0.9207, "IoU": 0.8123}


@pytest.mark.slow
def test_table_ii_reproduced(official_minet_path, sd900, tmp_path, capsys):
    torch.set_num_threads(2)  # this test runs alone in CI's slow job; the fixture restores it
    began = time.perf_counter()
    maps = tmp_path / "MINet"
    code = main(["predict", "--model", "minet", "--weights", str(official_minet_path),
                 "--images", str(sd900 / "Img"), "--out", str(maps), "--batch", "8"])
    assert code == 0, capsys.readouterr().err
    assert len(list(maps.glob("*.png"))) == 900
    results = tmp_path / "results.json"
    code = main(["eval", "--gt", str(sd900 / "GT"), "--pred", f"MINet={maps}",
                 "--conventions", "minet-tii2024", "--metrics", ",".join(TABLE_II),
                 "--json", str(results), "--no-cache", "--quiet"])
    assert code == 0, capsys.readouterr().err
    (entry,) = load_results(results)["entries"]
    assert entry["counts"]["n_evaluated"] == 900
    got = {key: round(entry["metrics"][key], 4) for key in TABLE_II}
    assert got == TABLE_II
    print(f"Table II reproduced in {time.perf_counter() - began:.0f} s: {entry['metrics']}")
