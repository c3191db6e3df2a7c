"""``sodbench compare`` (#14): checked against direct SciPy and NumPy computations on a fixed
per-image CSV (the p-values to 1e-12, the intervals against an independent bootstrap, the
win/tie/loss counts exactly), and its errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.reports.significance import compare, holm, read_per_image

N = 60


@pytest.fixture
def per_image(tmp_path):
    """A fixed CSV as eval --per-image writes it: dataset D, methods A (best Sm), B (close to
    A, with ties), C (worse, scored on 50 images only); MAE and Sm columns."""
    rng = np.random.default_rng(14)
    names = [f"Sc_{i}" for i in range(1, N + 1)]
    base = rng.uniform(0.5, 0.9, N)
    a = base + rng.normal(0.02, 0.03, N)
    b = a.copy()
    b[::3] = a[::3]  # ties every third image
    b[1::3] -= rng.uniform(0.0, 0.02, len(b[1::3]))
    b[2::3] += rng.uniform(0.0, 0.01, len(b[2::3]))
    c = base - rng.normal(0.05, 0.04, N)
    rows = []
    for method, sm in (("A", a), ("B", b), ("C", c)):
        for index, name in enumerate(names):
            if method == "C" and index >= 50:
                continue
            rows.append({"dataset": "D", "method": method, "coverage": 1.0, "name": name,
                         "MAE": round(1 - sm[index], 3), "Sm": sm[index]})
    path = tmp_path / "per_image.csv"
    pd.DataFrame(rows).to_csv(path, index=False, float_format="%.17g")
    return path


def _column(path, method, metric, names=None):
    frame = pd.read_csv(path)
    values = frame[frame["method"] == method].set_index("name")[metric]
    return values if names is None else values[names]


def _independent_width(sample, seed):
    """Percentile interval of the mean from a plain NumPy resampling loop."""
    rng = np.random.default_rng(seed)
    means = rng.choice(sample, size=(10_000, len(sample)), replace=True).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return high - low


@pytest.mark.parametrize("interval", ["bca", "percentile"])
@pytest.mark.parametrize("metric", ["Sm", "MAE"])
def test_numbers_equal_direct_computations(per_image, metric, interval):
    result = compare(read_per_image(per_image), metric, baseline="A", interval=interval)
    assert result["baseline"] == "A" and result["dataset"] == "D"
    lower = metric == "MAE"
    a = _column(per_image, "A", metric)
    for method in ("A", "B", "C"):
        values = _column(per_image, method, metric)
        entry = result["methods"][method]
        assert entry["n"] == len(values) and entry["mean"] == pytest.approx(values.mean(),
                                                                             abs=1e-15)
        low, high = entry["ci"]
        assert low <= entry["mean"] <= high
        width = _independent_width(values.to_numpy(), seed=99)
        assert abs((high - low) - width) <= 0.10 * width, (method, high - low, width)
    pvalues = {}
    for method in ("B", "C"):
        versus = result["versus"][method]
        names = [name for name in _column(per_image, method, metric).index if name in a.index]
        ours, theirs = _column(per_image, method, metric, names), a[names]
        assert versus["n"] == len(names) == (N if method == "B" else 50)
        expected_p = stats.wilcoxon(ours.to_numpy(), theirs.to_numpy()).pvalue
        assert abs(versus["wilcoxon_p"] - expected_p) <= 1e-12
        pvalues[method] = expected_p
        difference = (ours - theirs).to_numpy()
        assert versus["diff"] == pytest.approx(difference.mean(), abs=1e-15)
        low, high = versus["ci"]
        assert low <= versus["diff"] <= high
        width = _independent_width(difference, seed=7)
        assert abs((high - low) - width) <= 0.10 * width
        gain = -difference if lower else difference
        assert (versus["better"], versus["tied"], versus["worse"]) == (
            int((gain > 0).sum()), int((gain == 0).sum()), int((gain < 0).sum()))
    # B ties A on every third image, exactly: the counts see them
    assert result["versus"]["B"]["tied"] >= N // 3
    # Holm over two tests: the smaller p doubled, the larger one not below it (both <= 1)
    first, second = sorted(pvalues, key=pvalues.get)
    adjusted = {first: min(1.0, 2 * pvalues[first])}
    adjusted[second] = max(adjusted[first], min(1.0, pvalues[second]))
    for method in ("B", "C"):
        assert result["versus"][method]["holm_p"] == pytest.approx(adjusted[method], abs=1e-15)


def test_holm_step_down():
    assert holm({"a": 0.01, "b": 0.04, "c": 0.03}) == {"a": 0.03, "b": 0.06, "c": 0.06}
    assert holm({"a": 0.5, "b": 0.9}) == {"a": 1.0, "b": 1.0}  # capped at 1
    assert holm({"a": 0.001}) == {"a": 0.001}
    result = holm({"a": float("nan"), "b": 0.02})
    assert np.isnan(result["a"]) and result["b"] == 0.02  # NaN is not counted in the family


def test_default_baseline_is_the_best_mean_in_the_metrics_direction(per_image):
    frame = read_per_image(per_image)
    assert compare(frame, "Sm", resamples=200)["baseline"] == "A"  # higher is better
    mae = compare(frame, "MAE", resamples=200)
    means = {m: v["mean"] for m, v in mae["methods"].items()}
    assert mae["baseline"] == min(means, key=means.get)  # lower is better
    assert mae["baseline_rule"] == "best mean"


def test_same_seed_same_numbers_and_a_constant_sample(per_image, tmp_path):
    frame = read_per_image(per_image)
    assert compare(frame, "Sm", seed=3, resamples=500) == compare(frame, "Sm", seed=3,
                                                                  resamples=500)
    flat = frame.copy()
    flat.loc[flat["method"] == "B", "Sm"] = 0.5
    result = compare(flat, "Sm", baseline="A", resamples=500)
    assert result["methods"]["B"]["ci"] == [0.5, 0.5]


def test_command_writes_the_table_and_the_json(per_image, tmp_path, capsys):
    out = tmp_path / "c.json"
    assert main(["compare", str(per_image), "--metric", "Sm", "--baseline", "C",
                 "--resamples", "1000", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "baseline C (given)" in text and "BCa" in text and "1,000 resamples" in text
    assert "C  " in text and "(baseline)" in text
    written = json.loads(out.read_text())
    assert set(written) >= {"metric", "baseline", "methods", "versus"}
    assert set(written["methods"]) == {"A", "B", "C"} and set(written["versus"]) == {"A", "B"}
    for entry in written["versus"].values():
        assert set(entry) >= {"diff", "ci", "wilcoxon_p", "better", "tied", "worse"}
        assert entry["n"] == 50  # C scored 50 images: compared on those only


@pytest.mark.parametrize("arguments, message", [
    (["--metric", "maxF"], "--metric maxF: not a per-image column of"),
    (["--metric", "Sm", "--baseline", "Z"], "--baseline Z: not a method of D"),
    (["--metric", "Sm", "--resamples", "50"], "--resamples 50: give a whole number"),
    (["--metric", "Sm", "--dataset", "E"], "--dataset E: not in"),
])
def test_bad_arguments_are_one_line(per_image, capsys, arguments, message):
    assert main(["compare", str(per_image), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err


def test_bad_inputs_are_one_line(per_image, tmp_path, capsys):
    frame = pd.read_csv(per_image)
    two = pd.concat([frame, frame.assign(dataset="E")])
    two.to_csv(tmp_path / "two.csv", index=False)
    assert main(["compare", str(tmp_path / "two.csv"), "--metric", "Sm"]) == 2
    assert "holds 2 datasets (D, E): choose one with --dataset" in capsys.readouterr().err
    apart = frame.copy()
    apart.loc[apart["method"] == "C", "name"] = "other_" + apart["name"]
    apart.to_csv(tmp_path / "apart.csv", index=False)
    with pytest.raises(SodbenchError, match="C and the baseline A share no image of D"):
        compare(read_per_image(tmp_path / "apart.csv"), "Sm", baseline="A", resamples=200)
    (tmp_path / "not.csv").write_text("a,b\n1,2\n")
    assert main(["compare", str(tmp_path / "not.csv"), "--metric", "Sm"]) == 2
    assert "no dataset, method, name column: not a per-image CSV" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "missing.csv"), "--metric", "Sm"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'missing.csv'}")
    # the comparison never writes over its input
    assert main(["compare", str(per_image), "--metric", "Sm", "--json", str(per_image)]) == 2
    assert "per_image.csv" in capsys.readouterr().err
    assert pd.read_csv(per_image).equals(frame)
