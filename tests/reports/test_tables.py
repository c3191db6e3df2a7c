"""`sodbench table`: parse the Markdown, LaTeX, CSV and HTML it writes and check marks and ranks."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import pytest
from reports_helpers import counts, entry

from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.folders.results import dump_results, load_results
from sodbench.profiling.record import ProfileRecord
from sodbench.reports import tables
from sodbench.reports.leaderboards import load

ENTRIES = [
    # MAE ascending is the ranking: C (0.0101) < A (0.0150) == B (0.01504 shows as 0.0150) < D
    entry("SD-900", "A", 0, MAE=0.0150, Sm=0.91, wF=0.80),
    entry("SD-900", "B", 1, MAE=0.01504, Sm=0.93, wF=0.85),
    entry("SD-900", "C", 2, MAE=0.0101, Sm=0.90, wF=0.70),
    entry("SD-900", "D", 3, MAE=0.0400, Sm=0.92, wF=0.60),
    entry("DUTS", "A", 4, MAE=0.05, Sm=0.80, wF=0.62),
    entry("DUTS", "B", 5, MAE=0.04, Sm=0.85, wF=0.61),
    entry("DUTS", "C", 6, MAE=0.03, Sm=0.70, wF=0.63),
    entry("DUTS", "D", 7, MAE=0.06, Sm=0.75, wF=0.64),
]


def run_table(capsys, *args) -> str:
    assert main(["table", *map(str, args)]) == 0
    return capsys.readouterr().out


def md_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("|")]


def test_markdown_marks_ties_and_mae_ascending(capsys, write_results):
    path = write_results(ENTRIES)
    rows = md_rows(run_table(capsys, path, "--format", "md", "--columns", "MAE,SM,WF"))
    assert rows[0][:2] == ["Method", "SD-900"] and rows[0][4] == "DUTS"
    assert rows[2] == ["", "MAE↓", "Sm↑", "wF↑", "MAE↓", "Sm↑", "wF↑"]
    body = {row[0]: row[1:] for row in rows[3:]}
    assert list(body) == ["A", "B", "C", "D"]
    # SD-900 MAE: C best, A and B tie for second on the displayed 0.0150, D is fourth.
    assert [body[m][0] for m in "ABCD"] == ["<u>0.0150</u>", "<u>0.0150</u>", "**0.0101**",
                                            "0.0400"]
    # SD-900 Sm (higher is better): B, D, A marked; C unmarked.
    assert [body[m][1] for m in "ABCD"] == ["*0.9100*", "**0.9300**", "0.9000", "<u>0.9200</u>"]
    # DUTS MAE: C 0.03 best, B second, A third, D unmarked.
    assert [body[m][3] for m in "ABCD"] == ["*0.0500*", "<u>0.0400</u>", "**0.0300**", "0.0600"]


def test_digits_change_the_ties(capsys, write_results):
    path = write_results(ENTRIES)
    rows = md_rows(run_table(capsys, path, "--digits", "5", "--columns", "MAE"))
    body = {row[0]: row[1:] for row in rows[3:]}
    assert [body[m][0] for m in "ABCD"] == ["<u>0.01500</u>", "*0.01504*", "**0.01010**",
                                            "0.04000"]


def test_highlight_zero_marks_nothing(capsys, write_results):
    text = run_table(capsys, write_results(ENTRIES), "--highlight", "0")
    assert "**" not in text and "<u>" not in text


def test_latex_colours_and_groups(capsys, write_results):
    text = run_table(capsys, write_results(ENTRIES), "--format", "latex", "--digits", "3",
                     "--columns", "MAE,Sm,wF")
    # colour-blind-safe Okabe-Ito colours plus bold/underline/italic, both overridable
    assert r"\providecolor{sodbenchsecond}{HTML}{0072B2}" in text
    assert r"\providecommand{\first}[1]{\textbf{\textcolor{sodbenchfirst}{#1}}}" in text
    assert r"\providecommand{\second}[1]{\underline{\textcolor{sodbenchsecond}{#1}}}" in text
    assert r"\providecommand{\third}[1]{\textit{\textcolor{sodbenchthird}{#1}}}" in text
    assert "{green}" not in text and "{red}" not in text
    assert r"\multicolumn{3}{c}{SD-900} & \multicolumn{3}{c}{DUTS}" in text
    assert r"\cmidrule(lr){2-4} \cmidrule(lr){5-7}" in text
    body = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.removesuffix(r"\\").split("&")]
        if cells[0] in "ABCD" and len(cells) == 7:
            body[cells[0]] = cells[1:]
    assert [body[m][0] for m in "ABCD"] == [r"\second{0.015}", r"\second{0.015}",
                                            r"\first{0.010}", "0.040"]
    assert "Method & MAE$\\downarrow$ & Sm$\\uparrow$ & wF$\\uparrow$" in text
    assert text.count(r"\begin{tabular}{lrrrrrr}") == 1


def test_csv_full_precision_and_ranks(capsys, write_results, tmp_path):
    out = tmp_path / "t.csv"
    assert main(["table", str(write_results(ENTRIES)), "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["method"] for row in rows] == ["A", "B", "C", "D"]
    assert float(rows[1]["SD-900/MAE"]) == 0.01504
    assert [row["rank SD-900/MAE"] for row in rows] == ["2", "2", "1", "4"]
    assert [row["rank DUTS/Sm"] for row in rows] == ["2", "1", "4", "3"]
    names = [f"{d}/{k}" for d in ("SD-900", "DUTS") for k in ("MAE", "wF", "Sm")]
    assert list(rows[0])[1::2] == names


def test_html_marks(capsys, write_results):
    text = run_table(capsys, write_results(ENTRIES), "--format", "html")
    assert '<th colspan="3">SD-900</th>' in text
    assert re.search(r'<td class="rank1"[^>]*>0\.0101</td>', text)
    # 4 methods, 6 columns, 3 marked each; the SD-900 MAE tie ranks 1, 2, 2, 4: still 3 marks.
    assert len(re.findall(r'class="rank\d"', text)) == 3 * 6
    assert len(re.findall(r'class="rank2"', text)) == 7


def test_leaderboard_merge_puts_a_new_method_into_table_ii(capsys, write_results):
    new = entry("SD-Saliency-900", "NewNet", 9, MAE=0.0120, wF=0.9300, OR=0.8000, Sm=0.9422,
                PFOM=0.9, IoU=0.8, n_images=900, conventions="minet-tii2024")
    text = run_table(capsys, write_results([new]), "--leaderboard", "sd-saliency-900")
    rows = md_rows(text)
    assert rows[0] == ["Method", "Param (M)↓", "FLOPs (G)↓", "Speed (FPS)↑", "MAE↓", "wF↑",
                       "OR↑", "Sm↑", "PFOM↑", "IoU↑"]
    body = {row[0]: row[1:] for row in rows[2:]}
    assert len(body) == 21 and list(body)[-1] == "NewNet"
    assert body["NewNet"][:3] == ["-", "-", "-"]
    # MAE: DACNet 0.0118, EMINet 0.0119, NewNet 0.0120 -> NewNet third, SUCA (0.0125) unmarked.
    assert body["NewNet"][3] == "*0.0120*" and body["SUCA"][3] == "0.0125"
    assert body["DACNet"][3] == "**0.0118**" and body["EMINet"][3] == "<u>0.0119</u>"
    # wF: NewNet best, DACNet second, EMINet third.
    assert (body["NewNet"][4], body["DACNet"][4], body["EMINet"][4]) == (
        "**0.9300**", "<u>0.9275</u>", "*0.9253*")
    # Sm: NewNet ties EMINet at 0.9422: both best, DACNet third, EDRNet/SUCA lose their mark.
    assert (body["NewNet"][6], body["EMINet"][6], body["DACNet"][6], body["SUCA"][6]) == (
        "**0.9422**", "**0.9422**", "*0.9417*", "0.9375")
    assert "Shen" in text
    assert "PFOM approximate under conventions minet-tii2024" in text


def test_notes_name_the_approximate_metrics_of_the_conventions(capsys, write_results):
    new = entry("SD-Saliency-900", "NewNet", 9, MAE=0.0120, wF=0.9300, PFOM=0.9)
    new["conventions"] = "minet-tii2024"
    text = run_table(capsys, write_results([new]))
    assert "PFOM approximate under conventions minet-tii2024: MINet, IEEE TII 2024" in text
    assert "textbook Pratt" not in text
    text = run_table(capsys, write_results([new]), "--columns", "MAE,wF")
    assert "approximate" not in text


def test_leaderboard_alone_reproduces_paper_marks(capsys):
    rows = md_rows(run_table(capsys, "--leaderboard", "sd-saliency-900", "--columns",
                             "Param,Speed,MAE"))
    body = {row[0]: row[1:] for row in rows[2:]}
    assert body["CSNet"][0] == "**0.14**" and body["MINet"][0] == "<u>0.28</u>"
    assert body["MINet"][1] == "**721**" and body["BiSeNet"][1] == "<u>709</u>"


def test_profile_columns_use_the_paper_counter_by_default(capsys, write_results, tmp_path):
    record = {"format": "sodbench.profile", "schema": 1, "model": "B",
              "input_shape": [1, 3, 368, 368],
              "params": {"total": 277477, "trainable": 277477, "buffers": 0},
              "macs": 270_875_765, "flops": 541_751_530, "paper_compatible_macs": 301_670_773,
              "speed": [{"backend": "eager", "batch": 1, "protocol": "latency", "fps": 35.4}],
              "environment": {"device": "cpu", "device_name": "Test CPU"}}
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps(record))
    results = write_results(ENTRIES)
    rows = md_rows(run_table(capsys, results, "--profile-json", profile))
    assert rows[0][1:4] == ["Param (M)↓", "FLOPs (G)↓", "Speed (FPS)↑"]
    body = {row[0]: row[1:] for row in rows[3:]}
    assert body["B"][:3] == ["**0.28**", "**0.30**", "**35**"] and body["A"][:3] == ["-"] * 3
    text = run_table(capsys, results, "--profile-json", f"C={profile}", "--flops", "flops")
    body = {row[0]: row[1:] for row in md_rows(text)[3:]}
    assert body["C"][1] == "**0.54**" and "FLOPs = 2 x MACs" in text and "Test CPU" in text


def test_unknown_profile_model_is_a_clear_error(capsys, write_results, tmp_path):
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"format": "sodbench.profile", "schema": 1, "model": "Zed",
                                   "params": {"total": 1}}))
    assert main(["table", str(write_results(ENTRIES)), "--profile-json", str(profile)]) == 2
    assert ("no row of the table is named 'Zed' (rows: A, B, C, D); give the row's name as "
            "METHOD in --profile-json METHOD=P.json, e.g. A") in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["--format", "md", "--highlight", "4"], "--highlight 4"),
    (["--columns", "MAE,accuracy"], "unknown metric"),
    (["--leaderboard", "table-9"], "no such name"),
    (["--leaderboard", "sd-saliency-900"], "no SD-Saliency-900 entries (datasets: SD-900, DUTS)"),
])
def test_bad_options(capsys, write_results, args, message):
    assert main(["table", str(write_results(ENTRIES)), *args]) == 2
    assert message in capsys.readouterr().err


def test_build_table_api_keeps_full_precision(write_results):
    full = [{**item, "counts": counts(900), "conventions": "minet-tii2024"}
            for item in ENTRIES[:4]]
    table = tables.build_table(load_results(write_results(full)), leaderboard=load(
        "minet-backbones"))
    assert table.values.loc["B", ("SD-Saliency-900", "MAE")] == 0.01504
    texts, ranks = tables.displayed(table, digits=2)
    assert texts.loc["ResNet50", ("", "Param")] == ""
    assert ranks.loc["ResNet50", ("", "Param")] != ranks.loc["ResNet50", ("", "Param")]


@pytest.mark.parametrize("fps, shown", [(721.4, "721"), (35.4, "35"), (3.46, "3.5"),
                                        (0.928, "0.93")])
def test_speed_keeps_small_cpu_numbers_readable(write_results, fps, shown):
    record = ProfileRecord.from_dict({
        "params": {"total": 10**6}, "paper_compatible_macs": 10**9,
        "speed": [{"backend": "eager", "batch": 1, "protocol": "latency", "fps": fps}]})
    table = tables.build_table(load_results(write_results(ENTRIES[:4])), profiles={"A": record})
    texts, _ = tables.displayed(table)
    assert texts.loc["A", ("", "Speed")] == shown
    assert texts.loc["A", ("", "Param")] == "1.00"


def test_special_characters_are_escaped(capsys, write_results):
    path = write_results([entry("Set_1 & co", "My_Net 50%", 0, MAE=0.1),
                          entry("Set_1 & co", "a|b", 1, MAE=0.2)])
    latex = run_table(capsys, path, "--format", "latex")
    assert r"My\_Net 50\% & \first{0.1000} \\" in latex
    assert r"\multicolumn{1}{c}{Set\_1 \& co}" in latex
    markdown = run_table(capsys, path)
    assert r"| My\_Net 50% | **0.1000** |" in markdown and r"| a\|b | <u>0.2000</u> |" in markdown


def test_default_columns_and_duplicate_entries(capsys, write_results):
    only_e = write_results([entry("D", "A", 0, maxE=0.9, meanE=0.8)], "e.json")
    assert md_rows(run_table(capsys, only_e))[0] == ["Method", "maxE↑", "meanE↑"]
    twice = write_results([entry("D", "A", 0, MAE=0.1), entry("D", "A", 1, MAE=0.2)])
    assert main(["table", str(twice)]) == 2
    assert "(D, A) twice" in capsys.readouterr().err


def test_latex_compiles(capsys, write_results, tmp_path):
    """The table compiles with only booktabs and xcolor loaded (needs a TeX installation)."""
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-recommended)")
    for name, args in (("multi", [write_results(ENTRIES)]),
                       ("paper", ["--leaderboard", "minet-backbones"])):
        assert main(["table", *map(str, args), "--out", str(tmp_path / f"{name}.tex")]) == 0
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{booktabs}"
        "\\usepackage{xcolor}\\begin{document}\\input{multi.tex}\\input{paper.tex}"
        "\\end{document}\n")
    run = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


def test_profile_never_overwrites_published_rows(write_results):
    record = ProfileRecord.from_dict({"params": {"total": 10**6}, "paper_compatible_macs": 10**9})
    board = load("sd-saliency-900")
    with pytest.raises(SodbenchError, match="overwrite the published row 'MINet'"):
        tables.build_table(None, profiles={"MINet": record}, leaderboard=board)
    mine = load_results(write_results([entry("SD-Saliency-900", "MINet", 0, MAE=0.0168,
                                             n_images=900, conventions="minet-tii2024")]))
    table = tables.build_table(mine, profiles={"MINet": record}, leaderboard=board)
    assert table.values.loc["MINet (sodbench)", ("", "Param")] == 1.0
    assert table.values.loc["MINet", ("", "Param")] == 0.28


def test_results_of_0_1_0_say_profile_and_still_tabulate(capsys, tmp_path):
    """sodbench 0.1.0 wrote the conventions under "profile": table reads them as conventions."""
    old = tmp_path / "old.json"
    item = {key: value for key, value in entry("SD-Saliency-900", "NewNet", 0, MAE=0.012,
                                                n_images=900).items() if key != "conventions"}
    dump_results({"provenance": {"sodbench_version": "0.1.0", "profile": "minet-tii2024"},
                  "entries": [{**item, "profile": "minet-tii2024"}]}, old)
    assert "NewNet" in run_table(capsys, old, "--leaderboard", "sd-saliency-900")
    assert "(metric conventions minet-tii2024; sodbench 0.1.0)" in run_table(
        capsys, old, "--format", "latex")


@pytest.mark.parametrize("flag", ["--allow-other-conventions", "--allow-other-profile"])
def test_rows_of_other_conventions_are_refused_unless_allowed(capsys, write_results, flag):
    mine = write_results([entry("SD-Saliency-900", "NewNet", 0, MAE=0.012, n_images=900)])
    assert main(["table", str(mine), "--leaderboard", "sd-saliency-900"]) == 2
    assert ("evaluate with --conventions minet-tii2024, or allow rows of other conventions "
            "(--allow-other-conventions)") in capsys.readouterr().err
    text = run_table(capsys, mine, "--leaderboard", "sd-saliency-900", flag)
    assert ("NewNet†: scored under conventions pysodmetrics; the published rows follow "
            "conventions minet-tii2024 (other conventions; not comparable)") in text


def test_library_messages_name_arguments(write_results):
    document = load_results(write_results([entry("SD-Saliency-900", "NewNet", 0, MAE=0.012,
                                                 n_images=900)]))
    board = load("sd-saliency-900")
    with pytest.raises(SodbenchError, match=r"^leaderboard=sd-saliency-900: .* evaluate with "
                       r"conventions=minet-tii2024, .*\(allow_other_conventions=True\)"):
        tables.build_table(document, leaderboard=board)
    table = tables.build_table(document)
    for call, message in ((lambda: tables.render(table, "md", highlight=4), "highlight=4:"),
                          (lambda: tables.render(table, "md", digits=18), "digits=18:"),
                          (lambda: tables.render(table, "pdf"), "fmt='pdf':"),
                          (lambda: tables.build_table(document, flops="x"), "flops='x':")):
        with pytest.raises(SodbenchError, match=f"^{re.escape(message)}"):
            call()
