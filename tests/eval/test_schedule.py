"""Scheduling (sodbench.folders.schedule): units in plan order on any executor, the same
numbers for every executor, worker count and arrival order, and what an error leaves."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from eval_helpers import InProcess, Reversed

from sodbench.demo.sample import generate
from sodbench.errors import SodbenchError
from sodbench.folders import evaluation
from sodbench.folders.pairing import pair_folders
from sodbench.folders.schedule import (
    CHUNK_SIZE,
    WorkUnit,
    chunks_of,
    plan,
    process_executor,
    run_units,
)


def _units(n: int) -> list[WorkUnit]:
    return [WorkUnit(index, (0,), ([(f"n{index}", None, None)],)) for index in range(n)]


def _name(unit):
    return unit.pairs[0][0][0]


def test_results_are_handed_over_as_they_finish():
    # changed on purpose (#13): results used to wait for the units planned before them;
    # now each is handed over (and cached) at once, and the caller merges by chunk index
    units, seen = _units(5), []
    executor = Reversed(5)
    run_units(units, _name, lambda unit, result: seen.append((unit.chunk, result)),
              executor=executor)
    assert executor.order == [4, 3, 2, 1, 0]
    assert sorted(seen) == [(index, f"n{index}") for index in range(5)]


def test_results_are_handed_over_in_the_order_they_finish_in():
    gate, seen = threading.Event(), []

    def work(unit):  # the first unit waits until the last one has been handed over
        if _name(unit) == "n0":
            assert gate.wait(10)
        return _name(unit)

    def on_result(unit, result):
        seen.append(result)
        if result == "n3":
            gate.set()

    with ThreadPoolExecutor(2) as pool:
        execution = run_units(_units(4), work, on_result, executor=pool)
    assert seen[-1] == "n0" and sorted(seen) == ["n0", "n1", "n2", "n3"]
    assert execution == {"scheduler": "ThreadPoolExecutor", "workers": None}


def test_an_error_stops_the_run_and_cancels_the_units_not_started():
    executor, seen = InProcess(), []

    def work(unit):
        if _name(unit) == "n2":
            raise SodbenchError("unit 2 is bad")
        return _name(unit)

    with pytest.raises(SodbenchError, match="unit 2 is bad"):
        run_units(_units(5), work, lambda unit, result: seen.append(result), executor=executor)
    assert seen == ["n0", "n1"]
    assert len(executor.units) == 3  # units 3 and 4 never started


def test_jobs_and_an_executor_are_one_or_the_other():
    with ThreadPoolExecutor(2) as pool, pytest.raises(SodbenchError, match="not both"):
        run_units(_units(2), _name, lambda unit, result: None, executor=pool, jobs=2)
    with pytest.raises(SodbenchError, match=r"^jobs=0: must be at least 1$"):
        run_units(_units(2), _name, lambda unit, result: None, jobs=0)


def test_plan_cuts_each_gt_folder_into_chunks_and_skips_done_ones(tmp_path):
    sample = generate(tmp_path / "s", n_images=9, size=16, seed=3)
    pairings = {index: pair_folders(sample / "GT", sample / "pred" / method)
                for index, method in enumerate(("GoodNet", "WeakNet"))}
    folders = dict.fromkeys(pairings, str(sample / "GT"))
    units = plan(pairings, folders, chunk_size=4, done={1: {0}})
    assert [(unit.chunk, unit.tasks, unit.size) for unit in units] == [
        (0, (0,), 4), (1, (0, 1), 8), (2, (0, 1), 2)]
    assert [pairs[0][0] for pairs in units[1].pairs] == ["Pa_2", "Pa_2"]
    assert chunks_of(pairings[0], 4) == [0, 1, 2] and chunks_of(pairings[0]) == [0]
    assert CHUNK_SIZE == 32


@pytest.mark.parametrize("chunk_size", [0, -1, 2.5, True, "4"])
def test_chunk_size_must_be_a_whole_number(tmp_path, chunk_size):
    sample = generate(tmp_path / "s", n_images=3, size=16, seed=3)
    with pytest.raises(SodbenchError, match=r"^chunk_size=.*: must be a whole number"):
        evaluation.evaluate(sample / "GT", {"G": sample / "pred" / "GoodNet"}, jobs=1,
                            chunk_size=chunk_size)


def test_every_executor_gives_the_same_numbers(tmp_path):
    sample = generate(tmp_path / "s", n_images=20, size=24, seed=5)
    preds = {method: sample / "pred" / method for method in ("GoodNet", "WeakNet")}

    def entries(**arguments):
        document = evaluation.evaluate(sample / "GT", preds, chunk_size=6, **arguments)
        # JSON: floats written by repr, so equal text is equal bits; curves are arrays
        return json.dumps(document["entries"], default=lambda array: array.tolist())

    reference = entries(jobs=1)
    with ThreadPoolExecutor(3) as threads:
        assert entries(executor=threads) == reference
    assert entries(executor=Reversed(4)) == reference
    with process_executor(2) as processes:
        assert entries(executor=processes) == reference
    assert entries(jobs=2) == reference


def test_spare_cores_become_threads_when_units_are_fewer_than_jobs():
    seen = []
    run_units(_units(1), lambda unit: unit.threads, lambda unit, result: seen.append(result),
              jobs=3)
    run_units(_units(2), lambda unit: unit.threads, lambda unit, result: seen.append(result),
              executor=InProcess())  # a given executor: its workers are not counted here
    assert seen == [3, 1, 1]
