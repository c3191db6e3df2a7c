"""The bundled MINet tables load with canonical keys, and a user CSV loads too."""

from __future__ import annotations

import math

import pytest

from sodbench.errors import SodbenchError
from sodbench.reports import leaderboards


def test_table_ii_has_the_paper_rows_once_each():
    board = leaderboards.load("sd-saliency-900")
    assert board.dataset == "SD-Saliency-900"
    assert "Shen" in board.source and "Industrial Informatics" in board.source
    assert len(board.frame) == 20  # 19 compared methods + MINet ("Ours", printed twice)
    assert board.metrics == ["MAE", "wF", "OR", "Sm", "PFOM", "IoU"]
    minet = board.frame.loc["MINet"]
    assert minet.tolist() == [0.28, 0.30, 721, 0.0169, 0.8945, 0.8115, 0.9207, 0.8943, 0.8123]
    assert board.frame.loc["DACNet", "MAE"] == 0.0118
    assert board.frame["MAE"].idxmin() == "DACNet"
    assert board.extra.loc["EDRNet", "group"] == "strip-steel"


def test_table_iii_keeps_the_lost_param_missing():
    board = leaderboards.load("minet-backbones")
    assert math.isnan(board.frame.loc["ResNet50", "Param"])
    assert board.frame.loc["VGG16", "Param"] == 15.81
    assert board.frame.loc["ResNet50", "FLOPs"] == 14.96
    assert any("ResNet50" in note for note in board.notes)


def test_table_iv_and_units():
    board = leaderboards.load("minet-ablation")
    assert board.frame.loc["w Abhishek", "MAE"] == 0.0295
    assert board.frame.loc["S-PW", "Speed"] == 941
    assert "MACs" in board.units["FLOPs"]["meaning"]
    assert board.units["Sm"]["direction"] == "higher"
    assert board.units["MAE"]["direction"] == "lower"


def test_user_csv_with_paper_spellings(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "method,dataset,Param (M),WF,SM,MAE\nA,DUTS,1.5,0.8,0.9,0.05\nB,DUTS,,0.7,0.8,0.06\n"
    )
    board = leaderboards.load(path)
    assert board.dataset == "DUTS"
    assert list(board.frame.columns) == ["Param", "wF", "Sm", "MAE"]
    assert math.isnan(board.frame.loc["B", "Param"])


@pytest.mark.parametrize("text, message", [
    ("name,MAE\nA,0.1\n", "'method' column"),
    ("method,MAE\nA,x\n", "not a number"),
    ("method,MAE\nA,0.1\nA,0.2\n", "listed twice"),
    ("method,colour\nA,red\n", "no metric columns"),
])
def test_bad_csv_is_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(SodbenchError, match=message):
        leaderboards.load(path)


def test_unknown_name_lists_the_bundled_ones():
    with pytest.raises(SodbenchError, match="sd-saliency-900"):
        leaderboards.load("table-ii")


def test_canonical_key():
    assert leaderboards.canonical_key("WF") == "wF"
    assert leaderboards.canonical_key("sm") == "Sm"
    assert leaderboards.canonical_key("Speed (FPS)") == "Speed"
    assert leaderboards.lower_is_better("MAE") and leaderboards.lower_is_better("FLOPs")
    assert not leaderboards.lower_is_better("Speed")
    with pytest.raises(SodbenchError, match="valid"):
        leaderboards.canonical_key("accuracy")
