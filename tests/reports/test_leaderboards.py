"""The bundled MINet tables load with canonical keys, and a user CSV loads too; the tables
are package data of ``sodbench.reports.leaderboard_data``, read through importlib.resources."""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

import pytest

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

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


@pytest.mark.parametrize("column", ["conventions", "profile"])
def test_user_csv_names_its_conventions(tmp_path, column):
    """``profile`` is the column's sodbench 0.1.0 name, still read."""
    path = tmp_path / "mine.csv"
    path.write_text(f"method,{column},MAE\nA,minet-tii2024,0.05\nB,minet-tii2024,0.06\n")
    board = leaderboards.load(path)
    assert board.conventions == "minet-tii2024" and list(board.frame.columns) == ["MAE"]
    path.write_text(f"method,{column},MAE\nA,minet-tii2024,0.05\nB,matlab,0.06\n")
    with pytest.raises(SodbenchError, match=f"column '{column}' must name one set of metric "
                                            "conventions"):
        leaderboards.load(path)


def test_bundled_tables_follow_the_papers_conventions():
    assert {leaderboards.load(name).conventions for name in leaderboards.available()} == {
        "minet-tii2024"}


# --- packaging: the leaderboards are package data, one copy, no symlink ---

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "sodbench.reports.leaderboard_data"


def test_leaderboards_load_through_importlib_resources():
    data = resources.files(PACKAGE)
    names = {item.name for item in data.iterdir() if item.is_file()}
    assert {"leaderboards.json", "sd-saliency-900.csv", "minet-backbones.csv",
            "minet-ablation.csv"} <= names
    index = json.loads(data.joinpath("leaderboards.json").read_text(encoding="utf-8"))
    assert list(index["tables"]) == list(leaderboards.available())
    for table in index["tables"].values():
        assert data.joinpath(table["file"]).read_text(encoding="utf-8").startswith("method,")
    # the package is the top-level folder itself, not a copy of it
    with resources.as_file(data.joinpath("leaderboards.json")) as path:
        assert path.resolve() == (ROOT / "leaderboards" / "leaderboards.json").resolve()


def test_no_file_under_sodbench_is_a_symlink():
    links = [str(path.relative_to(ROOT)) for path in (ROOT / "sodbench").rglob("*")
             if path.is_symlink()]
    assert links == []


def test_pyproject_lists_every_package_of_the_tree():
    """``packages`` is a list (discovery cannot map leaderboards/): it must not miss one."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(folder.relative_to(ROOT).parts)
               for top in ("sodbench", "minet_ref") for folder in [ROOT / top,
                                                                   *(ROOT / top).rglob("*")]
               if folder.is_dir() and folder.name != "__pycache__"
               and any(item.is_file() for item in folder.iterdir())}
    assert set(config["packages"]) == on_disk | {PACKAGE}
    assert config["package-dir"] == {PACKAGE: "leaderboards"}
