"""``sodbench report`` (#14): the page's tables, worst images and differences checked against
independent pandas computations on a small synthetic dataset, thumbnail sizes, the error
overlay's colours, escaping, and every refused input (docs/report.md)."""

from __future__ import annotations

import base64
import io
import math
import shutil
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from reports_helpers import curves, entry

from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.folders.pairing import natural_key
from sodbench.folders.results import dump_results, load_results
from sodbench.reports import report
from sodbench.reports.report import ImageInputs, build_report
from sodbench.reports.thumbnails import FALSE_ALARM, HIT, MISSED, error_overlay

N_IMAGES = 9
SIZE = 40
METHODS = ("GoodNet", "WeakNet", "Noisy")


class Page(HTMLParser):
    """The parts of a report the tests read: tables by id, cards by container, every img."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: dict[str, list[list[tuple[dict, str]]]] = {}
        self.cards: dict[str, list[dict]] = {}
        self.images: list[str] = []
        self.scripts: list[dict] = []
        self._table = self._row = self._cell = self._container = self._caption = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [attrs, ""]
            self._row.append(self._cell)
        elif tag == "div" and "cards" in (attrs.get("class") or "").split():
            self._container = self.cards.setdefault(attrs.get("data-method") or attrs["id"], [])
        elif tag == "figure" and "data-name" in attrs:
            self._container.append({"name": attrs["data-name"], "caption": "", "images": []})
        elif tag == "figcaption" and self._container:
            self._caption = self._container[-1]
        elif tag == "img":
            self.images.append(attrs["src"])
            if self._container:
                self._container[-1]["images"].append(attrs["src"])
        elif tag == "script":
            self.scripts.append(attrs)

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "figcaption":
            self._caption = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data
        if self._caption is not None:
            self._caption["caption"] += data


def make_sample(root) -> dict:
    """A 9-image synthetic dataset with three methods in ``root``, evaluated: its folders, the
    results file and the per-image CSV (also used by test_report_browser.py)."""
    data = generate(root / "data", n_images=N_IMAGES, size=SIZE, seed=3)
    noisy = data / "pred" / "Noisy"
    noisy.mkdir()
    rng = np.random.default_rng(7)
    for gt in sorted((data / "GT").iterdir()):
        Image.fromarray(rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)).save(
            noisy / gt.name)
    preds = {method: data / "pred" / method for method in METHODS}
    args = ["eval", "--gt", str(data / "GT"), "--dataset", "Sample", "--jobs", "1",
            "--no-cache", "--quiet", "--json", str(root / "results.json"),
            "--per-image", str(root / "per_image.csv")]
    for method, folder in preds.items():
        args += ["--pred", f"{method}={folder}"]
    assert main(args) == 0
    return {"root": root, "data": data, "preds": preds, "results": root / "results.json",
            "per_image": root / "per_image.csv"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample(tmp_path_factory.mktemp("report"))


@pytest.fixture
def no_curves(monkeypatch):
    """Leave the curves out (3 s of matplotlib a page): the image sections' tests need none."""
    monkeypatch.setattr(report, "_curves", lambda document: [])


def _inputs(sample, methods=METHODS, images=None):
    return ImageInputs(sample["per_image"], sample["data"] / "GT",
                       images or sample["data"] / "Img",
                       {method: sample["preds"][method] for method in methods})


def _cli_args(sample, out, methods=METHODS):
    args = ["report", str(sample["results"]), "--per-image", str(sample["per_image"]),
            "--gt", str(sample["data"] / "GT"), "--images", str(sample["data"] / "Img"),
            "--out", str(out)]
    for method in methods:
        args += ["--pred", f"{method}={sample['preds'][method]}"]
    return args


def _scores(sample, method, metric):
    frame = pd.read_csv(sample["per_image"])
    rows = frame[frame["method"] == method]
    return dict(zip(rows["name"], rows[metric].astype(float), strict=True))


def _value(cell) -> float:
    text = cell[0]["data-value"]
    return math.nan if text == "" else float(text)


# -- the leaderboard and the subsets -------------------------------------------------------

def _handmade(write_results, extra=None):
    entries = []
    for d, dataset in enumerate(("D1", "D2")):
        for m, method in enumerate(("A", "B", "C")):
            metrics = {"MAE": 0.05 + 0.01 * m + 0.003 * d, "Sm": 0.9 - 0.05 * ((m + d) % 3),
                       "wF": None if (dataset, method) == ("D1", "C") else 0.7 + 0.02 * m,
                       "maxF": 0.8 - 0.01 * m}
            made = entry(dataset, method, seed=3 * d + m, **metrics)
            made.update((extra or {}).get((dataset, method), {}))
            entries.append(made)
    return write_results(entries)


def test_leaderboard_one_row_per_entry_with_its_numbers(write_results):
    path = _handmade(write_results)
    document = load_results(path)
    page = Page(build_report(path))
    assert len(page.images) == 3  # the PR, F-measure and E-measure figures
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    head, *rows = page.tables["leaderboard-table"]
    assert [cell[1] for cell in head] == ["dataset", "method", "images", "MAE↓", "wF↑", "Sm↑",
                                          "maxF↑"]
    assert [(row[0][1], row[1][1]) for row in rows] == [
        (e["dataset"], e["method"]) for e in document["entries"]]
    frame = pd.DataFrame([{"dataset": e["dataset"], "method": e["method"], **e["metrics"]}
                          for e in document["entries"]]).astype({"wF": float})
    for key, column in (("MAE", 3), ("wF", 4), ("Sm", 5), ("maxF", 6)):
        values = [_value(row[column]) for row in rows]
        assert np.array_equal(values, frame[key].to_numpy(), equal_nan=True), key
        best = frame.groupby("dataset")[key].transform("min" if key == "MAE" else "max")
        marked = ["best" in row[column][0]["class"] for row in rows]
        assert marked == list(frame[key] == best), key
    assert all(_value(row[2]) == 10 for row in rows)  # counts.n_evaluated
    assert rows[2][4][1] == "–"  # D1/C has no wF


def test_subsets_get_a_table_each_and_their_absence_is_said(write_results, no_curves):
    assert "No subsets in these results: run eval with --subset" in build_report(
        _handmade(write_results))
    subsets = {(dataset, method): {"subsets": {
        name: {"counts": {"n_evaluated": 3 + i}, "curves": curves(i),
               "metrics": {"MAE": 0.1 * (i + 1) + 0.01 * m, "Sm": 0.5 + 0.1 * i - 0.01 * m}}
        for i, name in enumerate(("Sc", "small"))}}
        for dataset in ("D1", "D2") for m, method in enumerate(("A", "B", "C"))}
    text = build_report(_handmade(write_results, subsets))
    page = Page(text)
    for number, (i, name) in enumerate(((0, "Sc"), (1, "small"))):
        assert f"<h3>Subset {name}</h3>" in text
        head, *rows = page.tables[f"subset-{number}"]
        assert len(rows) == 6
        for row in rows:
            m = "ABC".index(row[1][1])
            assert _value(row[2]) == 3 + i
            assert _value(row[3]) == 0.1 * (i + 1) + 0.01 * m  # MAE
            assert math.isnan(_value(row[4]))  # wF: not scored on the subset
        assert [cell[1] for cell in head][:4] == ["dataset", "method", "images", "MAE↓"]
    assert "No subsets" not in text


def test_every_user_string_is_escaped(write_results, no_curves):
    evil = '<img src=x onerror="alert(1)">&'
    path = write_results([entry("D<1>", evil, MAE=0.1, Sm=0.5)])
    text = build_report(path)
    assert evil not in text and "D<1>" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in text
    page = Page(text)
    assert page.tables["leaderboard-table"][1][1][1] == evil  # read back as written


# -- the image sections --------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["wF", "MAE"])
def test_worst_images_are_the_lowest_scores_in_the_metrics_direction(sample, no_curves, metric):
    page = Page(build_report(sample["results"], _inputs(sample), metric=metric, top_k=3))
    sign = -1 if metric == "MAE" else 1  # the worst MAE is the highest
    for method in METHODS:
        scores = _scores(sample, method, metric)
        expected = sorted(scores, key=lambda name: (sign * scores[name], natural_key(name)))[:3]
        cards = page.cards[method]
        assert [card["name"] for card in cards] == expected, method
        for card in cards:
            assert f"{metric} {scores[card['name']]:.4f}" in card["caption"]
            assert len(card["images"]) == 4  # image | GT | prediction | errors


def test_differences_of_the_two_best_methods_by_default(sample, no_curves):
    page = Page(build_report(sample["results"], _inputs(sample), top_k=4))
    means = {method: np.mean(list(_scores(sample, method, "wF").values())) for method in METHODS}
    first, second = sorted(METHODS, key=means.__getitem__, reverse=True)[:2]
    a, b = _scores(sample, first, "wF"), _scores(sample, second, "wF")
    expected = sorted(a, key=lambda name: (-abs(a[name] - b[name]), natural_key(name)))[:4]
    cards = page.cards["difference-cards"]
    assert [card["name"] for card in cards] == expected
    for card in cards:
        name = card["name"]
        assert f"{first} {a[name]:.4f} · {second} {b[name]:.4f}" in card["caption"]
        assert f"difference {a[name] - b[name]:.4f}" in card["caption"]
        assert len(card["images"]) == 4  # image | GT | A | B


def test_diff_of_two_chosen_methods(sample, no_curves):
    page = Page(build_report(sample["results"], _inputs(sample), top_k=2,
                             diff=("Noisy", "WeakNet")))
    a, b = _scores(sample, "Noisy", "wF"), _scores(sample, "WeakNet", "wF")
    expected = sorted(a, key=lambda name: (-abs(a[name] - b[name]), natural_key(name)))[:2]
    assert [card["name"] for card in page.cards["difference-cards"]] == expected


def _sizes(uris):
    for uri in uris:
        assert uri.startswith(("data:image/png;base64,", "data:image/jpeg;base64,"))
        with Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))) as image:
            yield image.size


def test_thumbnails_are_capped_and_never_enlarged(sample, no_curves):
    small = Page(build_report(sample["results"], _inputs(sample), top_k=2, thumb=32))
    thumbs = [uri for cards in small.cards.values() for card in cards for uri in card["images"]]
    assert len(thumbs) == 3 * 2 * 4 + 2 * 4
    assert set(_sizes(thumbs)) == {(32, 32)}
    large = Page(build_report(sample["results"], _inputs(sample), top_k=1, thumb=160))
    thumbs = [uri for cards in large.cards.values() for card in cards for uri in card["images"]]
    assert set(_sizes(thumbs)) == {(SIZE, SIZE)}


def test_page_needs_no_network(sample, no_curves):
    text = build_report(sample["results"], _inputs(sample), top_k=1)
    page = Page(text)
    assert page.images and all(src.startswith("data:image/") for src in page.images)
    assert all("src" not in script for script in page.scripts)
    assert "<link" not in text and "http://" not in text and "https://" not in text


def test_cli_writes_the_page_and_prints_its_size(sample, no_curves, tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(_cli_args(sample, out) + ["--top-k", "2", "--diff", "GoodNet,Noisy"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == f"{out} ({out.stat().st_size / 1e6:.2f} MB)"
    page = Page(out.read_text(encoding="utf-8"))
    assert set(page.cards) == {*METHODS, "difference-cards"}


def test_error_overlay_colours():
    image = np.full((1, 4, 3), 100, np.uint8)
    gt = np.array([[True, True, False, False]])
    pred = np.array([[0.5, 0.49, 0.5, 0.0]])  # salient from 0.5 on
    grey = 100 * 0.6
    painted = [np.rint(0.2 * grey + 0.8 * np.array(colour)) for colour in
               (HIT, MISSED, FALSE_ALARM)]
    expected = np.array([[*painted, [np.rint(grey)] * 3]], dtype=np.uint8)
    assert np.array_equal(error_overlay(image, gt, pred), expected)


# -- refused inputs ------------------------------------------------------------------------

def _error(capsys, args) -> str:
    assert main(args) != 0
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def test_missing_image_names_the_folder(sample, no_curves, tmp_path, capsys):
    images = tmp_path / "Img"
    shutil.copytree(sample["data"] / "Img", images)
    (images / "Pa_2.bmp").unlink()
    args = _cli_args(sample, tmp_path / "r.html")
    args[args.index("--images") + 1] = str(images)
    line = _error(capsys, args)
    assert f"the image folder {images}: no file for 1 of the {N_IMAGES} names" in line
    assert "Pa_2" in line
    assert not (tmp_path / "r.html").exists()


def test_method_missing_from_the_results(sample, no_curves, tmp_path, capsys):
    document = load_results(sample["results"])
    document["entries"] = [e for e in document["entries"] if e["method"] != "WeakNet"]
    results = tmp_path / "two.json"
    dump_results(document, results)
    args = _cli_args(sample, tmp_path / "r.html")
    args[1] = str(results)
    assert f"--pred WeakNet: not a method of Sample in the results file {results}" in _error(
        capsys, args)


@pytest.mark.parametrize(("change", "message"), [
    (["--pred", "Nope=."], "--pred Nope: not a method of Sample in the per-image CSV"),
    (["--pred", "Nope"], "--pred Nope: write NAME=FOLDER"),
    (["--pred", "GoodNet=."], "--pred GoodNet: given twice"),
    (["--top-k", "33"], "--top-k 33: give 1 to 32 images"),
    (["--top-k", "0"], "--top-k 0: give 1 to 32 images"),
    (["--thumb", "513"], "--thumb 513: give 32 to 512 pixels"),
    (["--metric", "maxF"], "--metric maxF: not a per-image column"),
    (["--dataset", "Other"], "--dataset Other: not in"),
    (["--diff", "GoodNet"], "--diff GoodNet: write two methods as A,B"),
    (["--diff", "GoodNet,GoodNet"], "--diff GoodNet,GoodNet: name two different methods"),
])
def test_bad_options_are_one_line(sample, no_curves, tmp_path, capsys, change, message):
    assert message in _error(capsys, _cli_args(sample, tmp_path / "r.html") + change)


def test_diff_outside_the_pred_methods(sample, no_curves, tmp_path, capsys):
    args = _cli_args(sample, tmp_path / "r.html", methods=("GoodNet", "WeakNet"))
    line = _error(capsys, args + ["--diff", "GoodNet,Noisy"])
    assert "--diff GoodNet,Noisy: Noisy is not a --pred method (GoodNet, WeakNet)" in line


def test_image_options_go_together(sample, no_curves, tmp_path, capsys):
    line = _error(capsys, ["report", str(sample["results"]), "--per-image",
                           str(sample["per_image"]), "--out", str(tmp_path / "r.html")])
    assert "--gt, --images, --pred missing" in line


@pytest.mark.parametrize(("where", "message"), [
    (lambda s, t: s["results"], "is the results file"),
    (lambda s, t: s["per_image"], "is the per-image CSV"),
    (lambda s, t: s["data"] / "GT" / "report.html", "lies inside the GT folder"),
    (lambda s, t: t / "report.txt", "use a .html file name"),
])
def test_out_is_refused_before_any_work(sample, no_curves, tmp_path, capsys, where, message):
    out = where(sample, tmp_path)
    before = out.read_bytes() if out.exists() else None
    assert message in _error(capsys, _cli_args(sample, out))
    assert (out.read_bytes() if out.exists() else None) == before
