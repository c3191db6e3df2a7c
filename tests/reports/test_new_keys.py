"""The reports with the PySODMetrics 1.6.2 keys (#12): directions, informational keys, groups.

HCE is lower-is-better and unbounded (a count), a Kappa may be negative, ``odsT`` (the
threshold of ``odsF``) is informational: no arrow, no mark, compared by ``check`` as a plain
value. ``plot`` draws ROC (recall against FPR), IoU and Dice curves.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from reports_helpers import THRESHOLDS, counts, curves, entry

from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.reports import leaderboards, plots, tables
from sodbench.reports.check import compare, failing

PROVENANCE = {"sodbench_version": "0.2.0", "conventions": "pysodmetrics"}
# HCE: B best (fewest corrections), C second, A third; maxKappa: B > C > A (A negative);
# odsT: a threshold, never ranked
NEW = {"A": {"HCE": 512.0, "maxKappa": -0.12, "odsT": 0.40, "odsF": 0.80, "AP": 0.70},
       "B": {"HCE": 140.5, "maxKappa": 0.35, "odsT": 0.60, "odsF": 0.85, "AP": 0.75},
       "C": {"HCE": 300.25, "maxKappa": 0.05, "odsT": 0.50, "odsF": 0.75, "AP": 0.72}}
DIS = {"maxF": 0.9, "wF": 0.8, "MAE": 0.02, "Sm": 0.88, "meanE": 0.91}


def full_curves(seed: int) -> dict:
    """The curves an evaluation of this version stores (BASE_CURVES), FPR and Dice included."""
    made = curves(seed)
    t = THRESHOLDS / 255
    made["Dice"] = (np.asarray(made["F"]) * 0.95).tolist()
    made["FPR"] = np.clip((1 - t) ** (2 + seed % 3) * 0.8, 0, 1).tolist()
    return made


def new_entry(method: str, seed: int = 0, dataset: str = "DIS-VD", **changes) -> dict:
    made = entry(dataset, method, seed, **{**DIS, **NEW[method], **changes})
    made["curves"] = full_curves(seed)
    return made


def document(entries: list[dict]) -> dict:
    return {"provenance": PROVENANCE, "entries": entries}


ENTRIES = [new_entry("A", 0), new_entry("B", 1), new_entry("C", 2)]


def md_body(text: str) -> tuple[list[str], dict[str, list[str]]]:
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]
    return rows[0], {row[0]: row[1:] for row in rows[2:]}


# --- table ---


def test_arrows_and_marks_follow_each_keys_direction():
    table = tables.build_table(document(ENTRIES), columns=["HCE", "maxKappa", "odsT", "odsF"])
    text = tables.render(table, "md")
    header, body = md_body(text)
    assert header == ["Method", "HCE↓", "maxKappa↑", "odsT", "odsF↑"]
    # HCE: smallest is best, whatever its size (not a fraction)
    assert [body[m][0] for m in "ABC"] == ["*512.0000*", "**140.5000**", "<u>300.2500</u>"]
    # Kappa: a negative value is a value like any other, ranked last here
    assert [body[m][1] for m in "ABC"] == ["*-0.1200*", "**0.3500**", "<u>0.0500</u>"]
    # odsT: printed, never marked
    assert [body[m][2] for m in "ABC"] == ["0.4000", "0.6000", "0.5000"]
    assert [body[m][3] for m in "ABC"] == ["<u>0.8000</u>", "**0.8500**", "*0.7500*"]
    assert "no arrow: informational, not ranked" in text
    _, ranks = tables.displayed(table)
    assert ranks[("DIS-VD", "odsT")].isna().all()
    assert ranks[("DIS-VD", "HCE")].tolist() == [3, 1, 2]


def test_other_formats_keep_directions():
    table = tables.build_table(document(ENTRIES), columns=["hce", "maxkappa", "odst"])
    rows = list(csv.DictReader(io.StringIO(tables.render(table, "csv"))))
    assert [row["rank DIS-VD/HCE"] for row in rows] == ["3", "1", "2"]
    assert [row["rank DIS-VD/maxKappa"] for row in rows] == ["3", "1", "2"]
    assert [row["rank DIS-VD/odsT"] for row in rows] == ["", "", ""]
    assert float(rows[0]["DIS-VD/maxKappa"]) == -0.12
    latex = tables.render(table, "latex")
    assert r"Method & HCE$\downarrow$ & maxKappa$\uparrow$ & odsT \\" in latex
    assert r"\first{140.5000}" in latex and r"\third{-0.1200}" in latex
    html = tables.render(table, "html")
    assert "<th>odsT</th>" in html and '<td class="rank1">140.5000</td>' in html
    # without an informational column the legend has no word on it
    plain = tables.render(tables.build_table(document(ENTRIES), columns=["HCE"]), "md")
    assert "informational" not in plain


def test_a_negative_kappa_rounding_to_zero_prints_without_sign():
    table = tables.build_table(document([new_entry("A", maxKappa=-0.00001)]),
                               columns=["maxKappa"])
    assert tables.displayed(table)[0].iloc[0, 0] == "0.0000"


def test_columns_dis_expands_in_the_benchmarks_order(capsys, write_results):
    path = write_results(ENTRIES)
    assert main(["table", str(path), "--columns", "dis"]) == 0
    header, body = md_body(capsys.readouterr().out)
    assert header == ["Method", "maxF↑", "wF↑", "MAE↓", "Sm↑", "meanE↑", "HCE↓"]
    assert body["B"][5] == "**140.5000**"
    # keys and groups mixed, a key of the group named again kept once, any spelling
    assert main(["table", str(path), "--columns", "ODS,dis,hce,odsT", "--format", "csv"]) == 0
    first = capsys.readouterr().out.splitlines()[0].split(",")
    assert first[1::2] == [f"DIS-VD/{key}" for key in ("odsF", "maxF", "wF", "MAE", "Sm",
                                                       "meanE", "HCE", "odsT")]


def test_default_columns_show_every_key_of_a_non_default_run(capsys, write_results):
    # a `--metrics dis,odsF,...` run holds MAE, wF, Sm of Table II but not OR, PFOM, IoU:
    # every key it holds is shown, Table II's first, not only MAE, wF, Sm
    assert main(["table", str(write_results(ENTRIES))]) == 0
    header, _ = md_body(capsys.readouterr().out)
    assert header == ["Method", "MAE↓", "wF↑", "Sm↑", "maxF↑", "meanE↑", "maxKappa↑", "odsF↑",
                      "odsT", "AP↑", "HCE↓"]
    table_ii = {"OR": 0.8, "PFOM": 0.85, "IoU": 0.75}
    full = [new_entry(name, seed, **table_ii) for seed, name in enumerate("ABC")]
    assert main(["table", str(write_results(full, "full.json"))]) == 0
    header, _ = md_body(capsys.readouterr().out)
    assert header == ["Method", "MAE↓", "wF↑", "OR↑", "Sm↑", "PFOM↑", "IoU↑"]  # Table II


def test_a_group_shows_only_the_keys_held():
    without_hce = [{**item, "metrics": {k: v for k, v in item["metrics"].items() if k != "HCE"}}
                   for item in ENTRIES]
    table = tables.build_table(document(without_hce), columns=["dis"])
    assert list(table.values.columns.get_level_values(1)) == ["maxF", "wF", "MAE", "Sm",
                                                              "meanE"]
    with pytest.raises(SodbenchError, match=r"group 'defect': none of its keys \(MAE, wF, OR"):
        tables.build_table(document([entry("D", "A", odsF=0.8)]), columns=["defect"])
    with pytest.raises(SodbenchError, match=r"unknown metric, group or column 'disco' "
                                            r".*a group \(default, "):
        tables.build_table(document(ENTRIES), columns=["disco"])


# --- check ---


def run_check(write_results, current: list[dict], *args) -> int:
    base = write_results(ENTRIES, "base.json")
    return main(["check", str(write_results(current, "new.json")), "--baseline", str(base),
                 *args])


def moved(method: str, **changes) -> list[dict]:
    return [new_entry(m, i, **(changes if m == method else {})) for i, m in enumerate("ABC")]


@pytest.mark.parametrize("args, current, code", [
    # HCE is lower-is-better: more corrections is worse, fewer is better
    (["--metric", "HCE"], moved("B", HCE=150.0), 1),
    (["--metric", "HCE"], moved("B", HCE=120.0), 1),                   # any move fails...
    (["--metric", "HCE", "--fail-on", "worse"], moved("B", HCE=120.0), 0),  # ...unless asked
    (["--metric", "HCE", "--fail-on", "worse"], moved("B", HCE=150.0), 1),
    # odsF is higher-is-better
    (["--metrics", "odsF,AP", "--fail-on", "worse"], moved("A", odsF=0.78), 1),
    (["--metrics", "odsF,AP", "--fail-on", "worse"], moved("A", odsF=0.82), 0),
    (["--metrics", "odsF,AP"], moved("A", odsF=0.80005), 0),          # within atol
    # odsT has no direction: any move beyond tolerance fails, also with --fail-on worse
    (["--metrics", "odsT", "--fail-on", "worse"], moved("C", odsT=0.55), 1),
    (["--metrics", "dis", "--fail-on", "worse"], moved("C", HCE=310.0), 1),
])
def test_check_any_key_in_its_direction(capsys, write_results, args, current, code):
    assert run_check(write_results, current, *args) == code
    captured = capsys.readouterr()
    if code == 0:
        assert captured.out.splitlines()[-1].startswith("ok: ")
    else:
        assert captured.err.startswith("error: drift: 1 of ")


def test_check_reports_which_way_each_value_moved(capsys, write_results):
    assert run_check(write_results, moved("B", HCE=120.0, odsF=0.80, maxKappa=-0.3, odsT=0.7),
                     "--metrics", "HCE,odsF,maxKappa,odsT,MAE", "--fail-on", "worse") == 1
    captured = capsys.readouterr()
    lines = [line.split() for line in captured.out.splitlines()]
    assert lines[0] == ["metric", "dataset", "method", "old", "new", "diff", "change"]
    assert {line[0]: line[-1] for line in lines[1:]} == {
        "HCE": "better", "odsF": "worse", "maxKappa": "worse", "odsT": "changed"}
    assert captured.err.startswith("error: drift: 3 of 15 values moved beyond atol=0.0001, "
                                   "rtol=0 from ")
    assert captured.err.rstrip().endswith("(1 more got better)")


def test_compare_in_python():
    base = document(ENTRIES)
    drift, compared = compare(document(moved("A", HCE=500.0, siMAE=0.1)), base,
                              metrics=["HCE"])
    assert compared == 3 and drift["change"].tolist() == ["better"]
    assert failing(drift).index.tolist() == drift.index.tolist()
    assert failing(drift, "worse").empty
    with pytest.raises(SodbenchError, match="fail_on='best': choose one of any, worse"):
        failing(drift, "best")
    only_ods = document([entry("D", "A", odsF=0.8)])
    with pytest.raises(SodbenchError, match="group 'defect': none of its keys .* is in the "
                                            "baseline"):
        compare(only_ods, only_ods, metrics=["defect"], labels=("new", "the baseline"))
    nan = compare(document(moved("A", HCE=None)), base, metrics=["HCE"])[0]
    assert nan["change"].tolist() == ["missing"] and len(failing(nan, "worse")) == 1


# --- plot ---


@pytest.mark.parametrize("kind, x_label, y_label, x_key, y_key", [
    ("roc", "False positive rate", "True positive rate (recall)", "FPR", "recall"),
    ("iou", "Threshold", "IoU", "threshold_01", "IoU"),
    ("dice", "Threshold", "Dice", "threshold_01", "Dice"),
])
def test_new_plot_kinds(write_results, tmp_path, kind, x_label, y_label, x_key, y_key):
    path = write_results(ENTRIES)
    points = plots.curve_frame(path, kind)
    assert list(points.columns) == ["dataset", "method", "threshold", x_key, y_key]
    figure = plots.plot_curves(points, kind)
    axes = figure.axes[0]
    assert (axes.get_xlabel(), axes.get_ylabel()) == (x_label, y_label)
    line = axes.get_lines()[1]
    expected = ENTRIES[1]["curves"]
    np.testing.assert_array_equal(line.get_ydata(), expected[y_key])
    if kind == "roc":   # TPR = recall against the FPR curve, as stored
        np.testing.assert_array_equal(line.get_xdata(), expected["FPR"])
    else:
        np.testing.assert_array_equal(line.get_xdata(), THRESHOLDS / 255)
    for suffix, magic in ((".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")):
        out = tmp_path / f"{kind}{suffix}"
        assert main(["plot", str(path), "--kind", kind, "--out", str(out)]) == 0
        assert out.stat().st_size > 1000 and out.read_bytes().startswith(magic)


def test_roc_of_results_without_the_fpr_curve(capsys, write_results, tmp_path):
    old = [entry("DIS-VD", method, seed, MAE=0.1) for seed, method in enumerate("AB")]
    out = tmp_path / "roc.png"
    assert main(["plot", str(write_results(old)), "--kind", "roc", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no entry has a 'FPR' curve" in err
    assert "re-run `sodbench eval` with this version" in err
    assert not out.exists()
    # the other kinds still plot from such a file
    assert main(["plot", str(write_results(old)), "--kind", "pr", "--out", str(out)]) == 0


# --- leaderboards ---


def test_leaderboard_ranges_follow_key_bounds(tmp_path):
    path = tmp_path / "dis.csv"
    path.write_text("method,ODS,AUROC,si-MAE,minFPR,maxKappa,HCE\n"
                    "A,0.8,0.9,0.05,0.01,-0.2,1016\nB,0.7,0.95,0.04,0.02,0.4,881.5\n")
    board = leaderboards.load(path)
    assert board.metrics == ["odsF", "AUC", "siMAE", "minFPR", "maxKappa", "HCE"]
    assert board.frame.loc["A", "HCE"] == 1016
    for text, message in (("method,MAE\nA,1.5\n", "outside [0, 1]; give metrics as fractions"),
                          ("method,maxKappa\nA,1.5\n", "outside (-inf, 1]"),
                          ("method,HCE\nA,-3\n", "outside [0, inf)")):
        path.write_text(text)
        with pytest.raises(SodbenchError, match=message.replace("[", r"\[").replace(
                "(", r"\(").replace(")", r"\)")):
            leaderboards.load(path)


def test_results_rows_next_to_a_dis_leaderboard(capsys, write_results, tmp_path):
    board = tmp_path / "dis.csv"
    board.write_text("method,dataset,n_images,conventions,maxF,HCE\n"
                     "IS-Net,DIS-VD,3,pysodmetrics,0.791,1116\n")
    mine = [{**new_entry("A"), "counts": counts(3)}]
    assert main(["table", str(write_results(mine)), "--leaderboard", str(board),
                 "--columns", "maxF,HCE"]) == 0
    header, body = md_body(capsys.readouterr().out)
    assert header == ["Method", "maxF↑", "HCE↓"]
    assert body["A"] == ["**0.9000**", "**512.0000**"]
    assert body["IS-Net"] == ["<u>0.7910</u>", "<u>1116.0000</u>"]
