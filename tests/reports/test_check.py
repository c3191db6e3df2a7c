"""`sodbench check`: exit codes 0 / 1 / 2 and the drift table."""

from __future__ import annotations

import pytest
from reports_helpers import entry

from sodbench.cli import main
from sodbench.errors import SodbenchError
from sodbench.folders.results import dump_results, load_results
from sodbench.reports.check import compare

BASE = [entry("SD-900", "A", MAE=0.0150, Sm=0.9000), entry("SD-900", "B", MAE=0.0200, Sm=0.8)]


def moved(changes=None):
    """A copy of BASE with {(method, metric): new value} applied."""
    entries = [entry("SD-900", "A", MAE=0.0150, Sm=0.9000), entry("SD-900", "B", MAE=0.0200,
                                                                   Sm=0.8)]
    for (method, key), value in (changes or {}).items():
        next(e for e in entries if e["method"] == method)["metrics"][key] = value
    return entries


def run_check(write_results, current, *args):
    base = write_results(BASE, "base.json")
    new = write_results(current, "new.json")
    return main(["check", str(new), "--baseline", str(base), *args])


def test_identical_is_ok(capsys, write_results):
    assert run_check(write_results, moved()) == 0
    assert "ok: 4 values within atol=0.0001" in capsys.readouterr().out


def test_within_atol_is_ok_and_beyond_is_drift(capsys, write_results):
    assert run_check(write_results, moved({("A", "MAE"): 0.01509})) == 0
    capsys.readouterr()
    assert run_check(write_results, moved({("A", "MAE"): 0.01512, ("B", "Sm"): 0.7})) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["metric", "dataset", "method", "old", "new", "diff", "change"]
    assert lines[1].split() == ["MAE", "SD-900", "A", "0.015", "0.01512", "+0.00012", "worse"]
    assert lines[2].split() == ["Sm", "SD-900", "B", "0.8", "0.7", "-0.1", "worse"]
    assert len(lines) == 3
    assert captured.err.startswith("error: drift: 2 of 4 values moved beyond atol=0.0001")


def test_rtol_and_metric_selection(capsys, write_results):
    current = moved({("B", "Sm"): 0.79})
    assert run_check(write_results, current, "--rtol", "0.02") == 0
    assert run_check(write_results, current, "--metrics", "MAE") == 0
    assert run_check(write_results, current, "--metrics", "SM") == 1


def test_nan_handling(write_results):
    base = load_results(write_results([entry("D", "A", PFOM=None, MAE=0.1)]))
    same = load_results(write_results([entry("D", "A", PFOM=None, MAE=0.1)], "same.json"))
    now_number = load_results(write_results([entry("D", "A", PFOM=0.5, MAE=0.1)], "n.json"))
    assert compare(same, base)[0].empty
    drift, compared = compare(now_number, base)
    assert compared == 2 and drift["metric"].tolist() == ["PFOM"]


@pytest.mark.parametrize("current, args, message", [
    ([BASE[0]], [], "only in"),
    ([*BASE, entry("SD-900", "C", MAE=0.1, Sm=0.5)], [], "only in"),
    (moved({("A", "wF"): 0.8}), [], "metric sets differ: (SD-900, A) only in"),
    (moved(), ["--metrics", "maxF"], "missing in"),
    (moved(), ["--atol", "-1"], "--atol -1: a tolerance must be a finite number, 0 or more"),
])
def test_unusable_input_exits_2(capsys, write_results, current, args, message):
    assert run_check(write_results, current, *args) == 2
    assert message in capsys.readouterr().err


def test_missing_or_foreign_file_exits_2(capsys, write_results, tmp_path):
    base = write_results(BASE, "base.json")
    assert main(["check", str(tmp_path / "nope.json"), "--baseline", str(base)]) == 2
    assert "no such results file" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text('{"format": "sodbench.profile"}')
    assert main(["check", str(other), "--baseline", str(base)]) == 2
    assert "not a sodbench results file" in capsys.readouterr().err


def _old_word(entries: list[dict]) -> list[dict]:
    """Entries as sodbench 0.1.0 wrote them: the conventions under "profile"."""
    return [{("profile" if key == "conventions" else key): value for key, value in item.items()}
            for item in entries]


def test_results_of_0_1_0_say_profile_and_still_compare(capsys, tmp_path, write_results):
    old = tmp_path / "old.json"
    dump_results({"provenance": {"sodbench_version": "0.1.0", "profile": "pysodmetrics"},
                  "entries": _old_word(BASE)}, old)
    assert main(["check", str(write_results(moved(), "new.json")), "--baseline", str(old)]) == 0
    other = [entry("SD-900", "A", MAE=0.0150, Sm=0.9000, conventions="minet-tii2024"),
             BASE[1]]
    assert main(["check", str(write_results(other, "new.json")), "--baseline", str(old)]) == 2
    assert "metric conventions differ: (SD-900, A) " in capsys.readouterr().err


def test_library_messages_name_arguments_and_the_command_names_flags(capsys, write_results):
    base = load_results(write_results(BASE, "base.json"))
    new = load_results(write_results(moved({("A", "wF"): 0.8}), "new.json"))
    with pytest.raises(SodbenchError, match="compare the common ones with metrics=LIST"):
        compare(new, base)
    with pytest.raises(SodbenchError, match=r"choose the compared metrics \(metrics=\)"):
        compare(new, base, metrics=["maxF"])
    assert run_check(write_results, moved(), "--metrics", "maxF") == 2
    assert "choose the compared metrics (--metrics)" in capsys.readouterr().err
