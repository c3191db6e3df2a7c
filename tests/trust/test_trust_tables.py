"""`sodbench table`: never over an input, no partial run ranked silently beside a published
table, colour-blind-safe marks, captions, and names escaped in every format."""

from __future__ import annotations

import hashlib
import json

import pytest
from trust_helpers import digests

from sodbench import __version__

TABLE_II = "the published rows are on all 900 test images of SD-Saliency-900"


def evaluate(cli, sample, out, *args, preds=None):
    preds = preds or {"GoodNet": sample / "pred" / "GoodNet"}
    pred_args = [arg for name, folder in preds.items() for arg in ("--pred", f"{name}={folder}")]
    run = cli("eval", "--gt", sample / "GT", *pred_args, "--json", out, "--no-cache", "--quiet",
              "--jobs", "1", *args)
    assert run.code == 0, run.err
    return out


@pytest.fixture
def results(cli, sample, tmp_path):
    return evaluate(cli, sample, tmp_path / "r.json",
                    preds={"GoodNet": sample / "pred" / "GoodNet",
                           "WeakNet": sample / "pred" / "WeakNet"})


@pytest.fixture
def profile(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({
        "format": "sodbench.profile", "schema": 1, "model": "MyNet",
        "input_shape": [1, 3, 368, 368], "params": {"total": 277477},
        "paper_compatible_macs": 301_670_773,
        "speed": [{"backend": "eager", "batch": 1, "protocol": "latency", "fps": 35.4}]}))
    return path


# --- --out never lands on an input, and is checked before the work (items 7 and 11) ---

def test_out_onto_the_results_is_refused(cli, results):
    """The report: `table r.json --out r.json` overwrote the results with Markdown."""
    before = digests(results)
    run = cli("table", results, "--out", results)
    assert run.code == 2
    assert run.error_line() == (f"error: --out {results}: is RESULTS {results}, an input of "
                                "this command; write the output to another file")
    assert digests(results) == before


def test_out_onto_a_profile_or_leaderboard_file_is_refused(cli, results, profile, tmp_path):
    board = tmp_path / "mine.csv"
    board.write_text("method,n_images,MAE\nOld,9,0.1\n")
    before = digests(profile, board)
    run = cli("table", results, "--profile-json", f"GoodNet={profile}", "--out", profile)
    assert run.code == 2
    assert run.error_line() == (f"error: --out {profile}: is --profile-json {profile}, an "
                                "input of this command; write the output to another file")
    run = cli("table", results, "--leaderboard", board, "--out", board)
    assert run.code == 2
    assert run.error_line() == (f"error: --out {board}: is --leaderboard {board}, an input of "
                                "this command; write the output to another file")
    assert digests(profile, board) == before


def test_out_that_cannot_be_written_is_refused_before_the_work(cli, tmp_path):
    """Checked before the results are read: an unreadable RESULTS is not what it reports."""
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    folder = tmp_path / "folder"
    folder.mkdir()
    run = cli("table", broken, "--out", folder)
    assert run.code == 2
    assert run.error_line() == f"error: --out {folder}: {folder} is a folder; give a file name"
    a_file = tmp_path / "file"
    a_file.write_text("x")
    run = cli("table", broken, "--out", a_file / "t.md")
    assert run.code == 2
    assert run.error_line() == (f"error: --out {a_file / 't.md'}: {a_file} is a file, not a "
                                "folder; choose another path")
    assert a_file.read_text() == "x"


def test_out_in_a_read_only_folder_is_refused(cli_read_only, results, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    run = cli_read_only(["table", results, "--out", locked / "t.md"], read_only=[locked])
    assert run.code == 2, run.err
    line = run.error_line()
    assert line.startswith(f"error: --out {locked / 't.md'}: cannot write in {locked} (")
    assert line.endswith("); choose a writable location")
    assert list(locked.iterdir()) == []


# --- a partial run is not ranked against a published table without a word (item 5) ---

def test_partial_run_against_table_ii_is_refused(cli, sample, tmp_path):
    """The report: a 20-image run was ranked against the paper's 900-image rows silently."""
    results = evaluate(cli, sample, tmp_path / "r.json", "--dataset", "SD-Saliency-900")
    run = cli("table", results, "--leaderboard", "sd-saliency-900")
    assert run.code == 2
    assert run.error_line() == (
        f"error: --leaderboard sd-saliency-900: {TABLE_II}, but GoodNet scored 9 of 9 images; "
        "evaluate the whole test set, or allow partial rows (--allow-partial) to show them "
        "marked as not comparable")
    assert run.out == ""


def test_allow_partial_marks_the_row_and_says_why(cli, sample, tmp_path):
    (sample / "pred" / "GoodNet" / "Pa_2.png").unlink()
    results = evaluate(cli, sample, tmp_path / "r.json", "--dataset", "SD-Saliency-900",
                       "--on-missing", "skip", "--profile", "minet-tii2024")
    run = cli("table", results, "--leaderboard", "sd-saliency-900", "--allow-partial")
    assert run.code == 0, run.err
    rows = [line.split("|")[1].strip() for line in run.out.splitlines() if line.startswith("|")]
    assert rows[-1] == "GoodNet†" and "GoodNet" not in rows
    assert (f"GoodNet†: scored 8 of 9 images; {TABLE_II} (partial; not comparable)."
            in run.out)
    latex = cli("table", results, "--leaderboard", "sd-saliency-900", "--allow-partial",
                "--format", "latex").out
    assert r"GoodNet$^{\dagger}$ & " in latex


def test_allow_partial_alone_is_refused(cli, results):
    run = cli("table", results, "--allow-partial")
    assert run.code == 2
    assert run.error_line().startswith("error: --allow-partial: only means something with "
                                       "RESULTS and --leaderboard")


@pytest.mark.parametrize("name", ["minet-backbones", "minet-ablation"])
def test_every_bundled_table_knows_its_image_count(cli, sample, tmp_path, name):
    results = evaluate(cli, sample, tmp_path / "r.json", "--dataset", "SD-Saliency-900")
    run = cli("table", results, "--leaderboard", name)
    assert run.code == 2
    assert TABLE_II in run.error_line()


def test_user_leaderboard_image_count(cli, results, tmp_path):
    counted = tmp_path / "counted.csv"
    counted.write_text("method,dataset,n_images,conventions,MAE\nOld,sample,9,pysodmetrics,0.1\n")
    run = cli("table", results, "--leaderboard", counted)
    assert run.code == 0, run.err
    assert "Published rows (9 test images): counted;" in run.out, run.err
    uncounted = tmp_path / "uncounted.csv"
    uncounted.write_text("method,dataset,MAE\nOld,sample,0.1\n")
    run = cli("table", results, "--leaderboard", uncounted)
    assert run.code == 2
    assert run.error_line() == (
        f"error: --leaderboard uncounted: {uncounted} gives no image count (add an n_images "
        "column), but GoodNet scored 9 of 9 images (and 1 more); evaluate the whole test set, "
        "or allow partial rows (--allow-partial) to show them marked as not comparable")
    bad = tmp_path / "bad.csv"
    bad.write_text("method,n_images,MAE\nOld,9,0.1\nNew,10,0.2\n")
    run = cli("table", results, "--leaderboard", bad)
    assert run.code == 2
    assert run.error_line() == (f"error: {bad}: column 'n_images' must hold one whole number "
                                "of test images, the same on every row")


# --- captions, colours, escaping (item 19) ---

def test_leaderboard_caption_has_no_table_number(cli):
    latex = cli("table", "--leaderboard", "sd-saliency-900", "--format", "latex").out
    assert (r"\caption{Quantitative comparisons with 19 state-of-the-art methods on "
            r"SD-Saliency-900}") in latex
    assert "Table II:" not in latex
    assert "Published rows (900 test images): Table II, Quantitative comparisons" in latex


def test_tables_without_a_leaderboard_have_a_caption(cli, results):
    caption = f"Results on sample (metric conventions pysodmetrics; sodbench {__version__})"
    assert rf"\caption{{{caption}}}" in cli("table", results, "--format", "latex").out
    assert f"<caption>{caption}</caption>" in cli("table", results, "--format", "html").out


def test_marks_are_colour_blind_safe_and_overridable(cli, results):
    latex = cli("table", results, "--format", "latex").out
    for colour in (r"\providecolor{sodbenchfirst}{HTML}{D55E00}",
                   r"\providecolor{sodbenchsecond}{HTML}{0072B2}",
                   r"\providecolor{sodbenchthird}{HTML}{009E73}",
                   r"\providecommand{\second}[1]{\underline{\textcolor{sodbenchsecond}{#1}}}"):
        assert colour in latex
    assert "{green}" not in latex and "{red}" not in latex
    assert r"\first{best}, \second{second}, \third{third} in each column" in latex
    page = cli("table", results, "--format", "html").out
    assert ":where(table.sodbench .rank2){color:#0072B2;text-decoration:underline}" in page
    assert "style=" not in page  # no inline style: a page's own .rank1 rules win
    assert '<td class="rank1">' in page


def test_names_are_escaped_in_every_format(cli, sample, tmp_path):
    """The report: Markdown did not escape HTML in method names."""
    results = evaluate(cli, sample, tmp_path / "r.json", "--dataset", "A<i>&B",
                       preds={"<b>Net</b>": sample / "pred" / "GoodNet",
                              "x_[y]": sample / "pred" / "WeakNet"})
    markdown = cli("table", results).out
    assert "| &lt;b&gt;Net&lt;/b&gt; | **" in markdown and r"| x\_\[y\] | <u>" in markdown
    assert "Dataset: A&lt;i&gt;&amp;B" in markdown and "<b>" not in markdown
    latex = cli("table", results, "--format", "latex").out
    assert r"\textless{}b\textgreater{}Net\textless{}/b\textgreater{} & \first{" in latex
    assert r"{A\textless{}i\textgreater{}\&B}" in latex
    page = cli("table", results, "--format", "html").out
    assert "<th>&lt;b&gt;Net&lt;/b&gt;</th>" in page and "A&lt;i&gt;&amp;B" in page
    assert "<b>" not in page


# --- --profile-json for a method with no row (item 15c) ---

def test_profile_for_a_method_with_no_row_lists_the_rows(cli, results, profile):
    """The report: `--profile-json MyNet=p.json` told the user to do what they did."""
    run = cli("table", results, "--profile-json", f"MyNet={profile}")
    assert run.code == 2
    assert run.error_line() == (
        "error: profile of 'MyNet': no row of the table is named 'MyNet' (rows: GoodNet, "
        "WeakNet); give the row's name as METHOD in --profile-json METHOD=P.json, e.g. GoodNet")
    run = cli("table", results, "--profile-json", f"GoodNet={profile}")
    assert run.code == 0, run.err
    assert "| GoodNet | **0.28** | **0.30** | **35** |" in run.out


def test_two_profiles_for_one_method_are_refused(cli, results, profile):
    run = cli("table", results, "--profile-json", f"GoodNet={profile}",
              "--profile-json", f"GoodNet={profile}")
    assert run.code == 2
    assert run.error_line() == (f"error: --profile-json {profile}: a second profile for "
                                "'GoodNet'; give one profile per method")


# --- results scored under other conventions than the published rows (item 4's kind) ---

def _full_run(tmp_path, conventions: str, word: str = "conventions"):
    """All 900 images of SD-Saliency-900; ``word="profile"`` writes it as sodbench 0.1.0 did."""
    from sodbench.folders.results import dump_results

    names = "\n".join(sorted(str(index) for index in range(900)))
    path = tmp_path / f"{conventions}.json"
    dump_results({"provenance": {word: conventions}, "entries": [{
        "dataset": "SD-Saliency-900", "method": "MyNet", word: conventions,
        "counts": {"n_evaluated": 900, "n_gt": 900, "coverage": 1.0,
                   "images_sha256": hashlib.sha256(names.encode()).hexdigest()},
        "metrics": {"MAE": 0.0150, "wF": 0.9, "OR": 0.8, "Sm": 0.93, "PFOM": 0.9,
                    "IoU": 0.85}}]}, path)
    return path


def test_other_conventions_against_table_ii_are_refused(cli, tmp_path):
    """A default (pysodmetrics) run ranked against the paper's minet-tii2024 rows."""
    run = cli("table", _full_run(tmp_path, "pysodmetrics"), "--leaderboard", "sd-saliency-900")
    assert run.code == 2
    assert run.error_line() == (
        "error: --leaderboard sd-saliency-900: the published rows follow conventions "
        "minet-tii2024, but MyNet scored under conventions pysodmetrics; evaluate with "
        "--conventions minet-tii2024, or allow rows of other conventions "
        "(--allow-other-conventions) to show them marked as not comparable")


@pytest.mark.parametrize("word, flag", [("conventions", "--allow-other-conventions"),
                                        ("profile", "--allow-other-profile")])
def test_allow_other_conventions_marks_the_row(cli, tmp_path, word, flag):
    """Also for a results file of sodbench 0.1.0 and the flag's former name."""
    run = cli("table", _full_run(tmp_path, "pysodmetrics", word), "--leaderboard",
              "sd-saliency-900", flag)
    assert run.code == 0, run.err
    assert "| MyNet† |" in run.out
    assert ("MyNet†: scored under conventions pysodmetrics; the published rows follow "
            "conventions minet-tii2024 (other conventions; not comparable)." in run.out)


def test_the_papers_conventions_are_ranked_unmarked(cli, tmp_path):
    run = cli("table", _full_run(tmp_path, "minet-tii2024"), "--leaderboard", "sd-saliency-900")
    assert run.code == 0, run.err
    assert "| MyNet |" in run.out and "†" not in run.out


@pytest.mark.parametrize("column", ["conventions", "profile"])
def test_user_leaderboard_conventions_column(cli, tmp_path, column):
    board = tmp_path / "mine.csv"
    board.write_text(f"method,dataset,n_images,{column},MAE\n"
                     "Old,SD-Saliency-900,900,matlab,0.1\n")
    run = cli("table", _full_run(tmp_path, "matlab"), "--leaderboard", board)
    assert run.code == 0, run.err
    board.write_text(f"method,n_images,{column},MAE\nOld,900,fan,0.1\n")
    run = cli("table", _full_run(tmp_path, "matlab"), "--leaderboard", board)
    assert run.code == 2
    assert f"column '{column}' must name one set of metric conventions" in run.error_line()
