"""``sodbench eval`` on a Dask cluster (#13), with real clusters on 127.0.0.1 started here: a
``LocalCluster`` in this process, and ``dask scheduler`` + ``dask worker`` processes (which
stop by themselves: the scheduler after 2 idle minutes, the workers 30 s after losing it).

Covered: the numbers equal a local run's (API executor, ``--scheduler local:N``, a running
scheduler), a worker killed mid-run, resume after the client is interrupted, an unreachable
scheduler, a missing extra, bad values, a unit that fails on a worker (error and skip), and a
worker that does not see the data.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from sodbench import evaluate
from sodbench.cli import main
from sodbench.demo.sample import generate
from sodbench.folders.results import load_results

distributed = pytest.importorskip("distributed", reason="needs the dask extra: "
                                  "pip install 'sodbench[dask]'")

HERE = Path(__file__).resolve().parent
DASK = Path(sys.executable).with_name("dask")
METHODS = ("GoodNet", "WeakNet")


def _entries(document: dict) -> str:
    # JSON text: floats by repr, so equal text is equal bits
    return json.dumps(document["entries"], default=lambda array: array.tolist(), sort_keys=True)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """70 images: 3 chunks of the default 32 per method (18 chunks of 4)."""
    return generate(tmp_path_factory.mktemp("dask") / "d", n_images=70, size=24, seed=13)


@pytest.fixture(scope="module")
def preds(data) -> dict:
    return {method: data / "pred" / method for method in METHODS}


@pytest.fixture(scope="module")
def local(data, preds) -> dict:
    """Local runs' entries, by chunk size."""
    return {size: _entries(evaluate(data / "GT", preds, jobs=1, chunk_size=size))
            for size in (4, 32)}


@contextmanager
def dask_cluster(tmp_path: Path, workers: int = 2, *, delay: float = 0.0,
                 gate: Path | None = None, wrap: tuple[str, ...] = ()):
    """``dask scheduler`` and ``workers`` ``dask worker`` processes on 127.0.0.1; yields
    (scheduler address, [scheduler process, worker processes...]). Units sleep ``delay``
    seconds; with ``gate``, units of chunks after the first wait until that file exists
    (``dask_slow_units.py``). ``wrap`` prefixes the last worker's command."""
    if not DASK.exists():
        pytest.skip(f"no `dask` command beside {sys.executable}")
    tmp_path.mkdir(parents=True, exist_ok=True)
    file = tmp_path / "scheduler.json"
    env = {**os.environ, "SODBENCH_TEST_UNIT_DELAY": str(delay),
           "SODBENCH_TEST_GATE": str(gate or ""), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    logs = open(tmp_path / "cluster.log", "ab")  # noqa: SIM115 (closed below)
    started = [subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(file), "--idle-timeout", "120s"],
        stdout=logs, stderr=logs, env=env, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for number in range(workers):
            prefix = wrap if number == workers - 1 else ()
            started.append(subprocess.Popen(
                [*prefix, str(DASK), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--no-nanny", "--no-dashboard", "--death-timeout", "30s",
                 "--name", f"w{number}", "--preload", str(HERE / "dask_slow_units.py")],
                stdout=logs, stderr=logs, env=env, start_new_session=True))
        if workers:
            with distributed.Client(address, timeout=30, set_as_default=False) as client:
                client.wait_for_workers(workers, timeout=60)
        yield address, started
    finally:
        for process in reversed(started):
            with _gone():
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(30)
        logs.close()


@contextmanager
def _gone():
    try:
        yield
    except ProcessLookupError:
        pass


# The command as a terminal starts it: with Ctrl-C handled. A test run started in the
# background (make test from a script, CI) hands its processes SIGINT ignored, and Python
# keeps an inherited "ignored", so the interrupt tests would interrupt nothing.
_AS_ON_A_TERMINAL = ("import signal, sys; signal.signal(signal.SIGINT, "
                     "signal.default_int_handler); from sodbench.cli import main; "
                     "sys.exit(main(sys.argv[1:]))")


def _sodbench(*arguments, env=None, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _AS_ON_A_TERMINAL, *arguments],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})}, **popen)


def _eval_arguments(data: Path, out: Path, *extra: str) -> list[str]:
    arguments = ["eval", "--gt", str(data / "GT"), "--json", str(out / "r.json"), "--quiet"]
    for method in METHODS:
        arguments += ["--pred", f"{method}={data / 'pred' / method}"]
    return arguments + list(extra)


def _run_until_a_chunk_is_cached(data: Path, out: Path, cache: Path, address: str,
                                 **popen) -> subprocess.Popen:
    """``sodbench eval --scheduler address`` with a cache, running until a chunk is cached."""
    run = _sodbench(*_eval_arguments(data, out, "--cache-dir", str(cache),
                                     "--scheduler", address), **popen)
    partial, deadline = cache / "partial", time.monotonic() + 120
    while time.monotonic() < deadline and not (
            partial.is_dir() and any(partial.rglob("*.json"))):
        time.sleep(0.05)
    assert any(partial.rglob("*.json")), "no chunk finished in time"
    return run


def test_local_cluster_executor_equals_the_local_run(data, preds, local):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        executor = client.get_executor()
        document = evaluate(data / "GT", preds, executor=executor, chunk_size=4)
        assert _entries(document) == local[4]
        assert document["provenance"]["execution"] == {"scheduler": "ClientExecutor",
                                                       "workers": None}
        assert _entries(evaluate(data / "GT", preds, executor=executor)) == local[32]
        # subsets travel to the workers in the options; the same bits, subsets included
        subsets = {"subset_preset": "sd-saliency-900", "size_buckets": True}
        assert _entries(evaluate(data / "GT", preds, executor=executor, **subsets)) == \
            _entries(evaluate(data / "GT", preds, jobs=1, **subsets))


def test_command_line_local_cluster_equals_the_local_run(data, local, tmp_path):
    with socket.socket() as taken:  # Dask's default HTTP port, taken: no warning either
        with contextlib.suppress(OSError):
            taken.bind(("127.0.0.1", 8787))
            taken.listen()
        run = _sodbench(*_eval_arguments(data, tmp_path, "--no-cache", "--scheduler",
                                         "local:2"))
        out, err = run.communicate(timeout=300)
    assert run.returncode == 0 and err == "", err  # --quiet: nothing on stderr
    document = load_results(tmp_path / "r.json")
    assert _entries(document) == local[32]
    assert document["provenance"]["execution"] == {"scheduler": "local:2", "workers": 2}


def test_running_scheduler_from_the_variable_equals_the_local_run(data, local, tmp_path):
    with dask_cluster(tmp_path / "cluster") as (address, _):
        run = _sodbench(*_eval_arguments(data, tmp_path, "--no-cache"),
                        env={"SODBENCH_DASK_SCHEDULER": address})
        out, err = run.communicate(timeout=300)
    assert run.returncode == 0, err
    document = load_results(tmp_path / "r.json")
    assert _entries(document) == local[32]
    assert document["provenance"]["execution"] == {"scheduler": address, "workers": 2}


def test_relative_folders_are_read_by_workers_in_other_working_folders(data, tmp_path):
    # the command runs in the data's parent folder; the workers, in this test's folder
    arguments = ["eval", "--gt", "d/GT", "--quiet", "--no-cache"] + [
        argument for method in METHODS for argument in ("--pred", f"{method}=d/pred/{method}")]
    local_run = _sodbench(*arguments, "--json", str(tmp_path / "local.json"), "--jobs", "1",
                          cwd=data.parent)
    assert local_run.wait(300) == 0
    with dask_cluster(tmp_path / "cluster") as (address, _):
        remote = _sodbench(*arguments, "--json", str(tmp_path / "dask.json"), "--scheduler",
                           address, cwd=data.parent)
        out, err = remote.communicate(timeout=300)
    assert remote.returncode == 0, err
    assert _entries(load_results(tmp_path / "dask.json")) == _entries(
        load_results(tmp_path / "local.json"))
    assert load_results(tmp_path / "dask.json")["entries"][0]["paths"]["gt"] == "d/GT"


def test_a_worker_killed_mid_run_loses_and_doubles_nothing(data, preds, local, tmp_path):
    with dask_cluster(tmp_path / "cluster", delay=0.5) as (address, processes), \
            distributed.Client(address, timeout=30, set_as_default=False) as client:
        outcome = {}

        def scored():
            try:
                outcome["document"] = evaluate(data / "GT", preds, chunk_size=4,
                                               executor=client.get_executor(pure=False))
            except BaseException as error:  # noqa: BLE001 (handed to the test thread)
                outcome["error"] = error

        thread = threading.Thread(target=scored)
        thread.start()
        deadline, busy = time.monotonic() + 60, {}
        while time.monotonic() < deadline and not (len(busy) == 2 and all(busy.values())):
            time.sleep(0.05)
            busy = client.processing()
        assert len(busy) == 2 and all(busy.values()), busy  # both workers hold units
        os.killpg(processes[1].pid, signal.SIGKILL)  # mid-unit: its units go to the other
        thread.join(300)
    assert "error" not in outcome, outcome.get("error")
    assert _entries(outcome["document"]) == local[4]
    for entry in outcome["document"]["entries"]:
        assert entry["counts"]["n_evaluated"] == entry["counts"]["n_gt"] == 70


def test_resume_after_the_client_is_interrupted(data, local, tmp_path):
    cache, gate = tmp_path / "cache", tmp_path / "gate"
    # chunks 1 and 2 wait for the gate: the client is interrupted with chunk 0 alone done
    with dask_cluster(tmp_path / "cluster", gate=gate) as (address, _):
        run = _run_until_a_chunk_is_cached(data, tmp_path, cache, address)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=120)
        assert run.returncode == 130, err
        assert err.strip().splitlines() == [
            "error: interrupted; finished work was kept (re-run to resume)"]
        assert not (tmp_path / "r.json").exists()
        gate.touch()
        again = _sodbench(*_eval_arguments(data, tmp_path, "--cache-dir", str(cache),
                                           "--scheduler", address, "--resume"))
        out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    resumed = [line for line in err.splitlines() if line.startswith("resumed")]
    assert resumed and resumed[0].startswith(
        "resumed 0 of 2 (dataset, method) results and 2 chunks of unfinished ones"), err
    assert _entries(load_results(tmp_path / "r.json")) == local[32]


def test_an_unreachable_scheduler_is_one_line_within_the_timeout(data, tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    run = _sodbench(*_eval_arguments(data, tmp_path, "--scheduler", f"tcp://127.0.0.1:{port}",
                                     "--scheduler-timeout", "2"))
    out, err = run.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert run.returncode == 2
    assert err.splitlines() == [
        f"error: --scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered within 2 s "
        "(OSError); start one with `dask scheduler` and give the address it prints, or wait "
        "longer with --scheduler-timeout"], err
    assert elapsed < 2 + 30  # the timeout, plus starting Python and importing Dask
    assert not (tmp_path / "r.json").exists()


def test_a_scheduler_without_workers_is_one_line_within_the_timeout(data, tmp_path):
    with dask_cluster(tmp_path / "cluster", workers=0) as (address, _):
        started = time.monotonic()
        run = _sodbench(*_eval_arguments(data, tmp_path, "--scheduler", address,
                                         "--scheduler-timeout", "2"))
        out, err = run.communicate(timeout=120)
        elapsed = time.monotonic() - started
    assert run.returncode == 2
    assert err.splitlines() == [
        f"error: --scheduler {address}: the scheduler has no worker after 2 s; start some "
        f"with `dask worker {address}`"], err
    assert elapsed < 2 + 30 and not (tmp_path / "r.json").exists()


def test_without_the_extra_the_error_names_it(data, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    assert main(_eval_arguments(data, tmp_path, "--scheduler", "local:2")) == 2
    assert capsys.readouterr().err == (
        "error: --scheduler needs Dask, an optional extra: pip install 'sodbench[dask]'\n")
    monkeypatch.setenv("SODBENCH_DASK_SCHEDULER", "tcp://127.0.0.1:8786")
    assert main(_eval_arguments(data, tmp_path)) == 2
    assert "pip install 'sodbench[dask]'" in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    ("local:0", "--scheduler local:0: N of local:N is the number of worker processes"),
    ("local:x", "--scheduler local:x: N of local:N is the number of worker processes"),
    ("http://10.0.0.5:8786", "--scheduler http://10.0.0.5:8786: give tcp://HOST:PORT"),
    ("tcp://10.0.0.5", "--scheduler tcp://10.0.0.5: give tcp://HOST:PORT"),
    ("tcp://10.0.0.5:99999", "--scheduler tcp://10.0.0.5:99999: give tcp://HOST:PORT"),
])
def test_bad_scheduler_values_are_one_line(data, tmp_path, capsys, value, message):
    assert main(_eval_arguments(data, tmp_path, "--scheduler", value)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err


def test_local_options_with_a_scheduler_are_refused(data, tmp_path, capsys, monkeypatch):
    assert main(_eval_arguments(data, tmp_path, "--scheduler", "local:2", "--jobs", "2")) == 2
    assert capsys.readouterr().err == (
        "error: --jobs 2: not used with --scheduler local:2 (the cluster's workers score the "
        "chunks); drop --jobs, or the scheduler for a run on this machine\n")
    monkeypatch.setenv("SODBENCH_DASK_SCHEDULER", "local:2")
    assert main(_eval_arguments(data, tmp_path, "--max-memory", "4G")) == 2
    assert capsys.readouterr().err.startswith(
        "error: --max-memory 4G: not used with SODBENCH_DASK_SCHEDULER=local:2")
    assert main(_eval_arguments(data, tmp_path, "--scheduler", "local:2",
                                "--scheduler-timeout", "0")) == 2
    assert "--scheduler-timeout 0.0: give a number of seconds above 0" in (
        capsys.readouterr().err)
    monkeypatch.delenv("SODBENCH_DASK_SCHEDULER")
    assert main(_eval_arguments(data, tmp_path, "--scheduler-timeout", "30")) == 2
    assert capsys.readouterr().err == (
        "error: --scheduler-timeout 30: only used with --scheduler (or "
        "$SODBENCH_DASK_SCHEDULER); this run is local: drop it, or give the scheduler\n")


def test_a_unit_failing_on_a_worker_is_the_local_error_or_skip(data, tmp_path):
    broken = tmp_path / "d"
    shutil.copytree(data, broken)
    [damaged] = (broken / "pred" / "WeakNet").glob("Pa_7.*")
    damaged.write_bytes(b"not an image")  # readable to the listing, not to the decoder
    with dask_cluster(tmp_path / "cluster") as (address, _):
        for on_missing in ("error", "skip"):
            out = tmp_path / on_missing
            local_run = _sodbench(*_eval_arguments(broken, out / "local", "--no-cache",
                                                   "--jobs", "1", "--on-missing", on_missing))
            local_out, local_err = local_run.communicate(timeout=300)
            remote = _sodbench(*_eval_arguments(broken, out / "dask", "--no-cache",
                                                "--scheduler", address,
                                                "--on-missing", on_missing))
            remote_out, remote_err = remote.communicate(timeout=300)
            assert remote.returncode == local_run.returncode == (2 if on_missing == "error"
                                                                 else 0)
            if on_missing == "error":
                [line] = remote_err.splitlines()
                assert damaged.name in line and line.startswith(local_err.strip())
                assert " [on Dask worker tcp://127.0.0.1:" in line, line
            else:
                assert remote_err == local_err and "Pa_7" in remote_err
                assert _entries(load_results(out / "dask" / "r.json")) == _entries(
                    load_results(out / "local" / "r.json"))


def test_a_worker_that_does_not_see_the_data_is_named(data, tmp_path):
    # the last worker runs in its own mount namespace with an empty tmpfs over the data:
    # a machine where the shared filesystem is not mounted at the same path
    hidden = ("unshare", "--mount", "--propagation", "private", "sh", "-c",
              f'mount -t tmpfs none "{data}" && exec "$0" "$@"')
    probe = subprocess.run([*hidden[:-1], f'mount -t tmpfs none "{data}" && ls "{data}"'],
                           capture_output=True, text=True)
    if probe.returncode != 0 or probe.stdout.strip():
        pytest.skip(f"cannot hide a folder from one process here (needs root and unshare): "
                    f"{probe.stderr.strip()[:120]}")
    with dask_cluster(tmp_path / "cluster", wrap=hidden) as (address, _):
        run = _sodbench(*_eval_arguments(data, tmp_path, "--no-cache", "--scheduler", address))
        out, err = run.communicate(timeout=300)
    assert run.returncode == 2
    [line] = err.splitlines()
    assert line.startswith("error: Dask worker tcp://127.0.0.1:") and "(host " in line, line
    assert f"cannot read {data / 'GT'}" in line or f"in {data / 'GT'}" in line, line
    assert "every worker must read the data at the same paths" in line
    assert not (tmp_path / "r.json").exists()


def test_a_scheduler_lost_mid_run_is_one_line_and_keeps_the_finished_chunks(data, local,
                                                                          tmp_path):
    cache, partial = tmp_path / "cache", tmp_path / "cache" / "partial"
    with dask_cluster(tmp_path / "cluster", gate=tmp_path / "gate") as (address, processes):
        run = _run_until_a_chunk_is_cached(data, tmp_path, cache, address)
        os.killpg(processes[0].pid, signal.SIGKILL)  # chunks 1 and 2 wait for the gate
        out, err = run.communicate(timeout=180)
    assert run.returncode == 2, err
    assert err.splitlines() == [
        f"error: --scheduler {address}: the connection to the scheduler was lost during the "
        "run; the chunks that finished are in the cache: run again with --resume once the "
        "cluster is back"], err
    assert any(partial.rglob("*.json"))
    again = _sodbench(*_eval_arguments(data, tmp_path, "--cache-dir", str(cache), "--resume",
                                       "--jobs", "1"))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "resumed 0 of 2" in err and _entries(load_results(tmp_path / "r.json")) == local[32]


def test_on_worker_is_a_plain_call_off_dask_and_names_the_worker_on_it(data, tmp_path):
    from sodbench.errors import SodbenchError
    from sodbench.folders.cluster import on_worker

    def fails(path):
        raise SodbenchError(f"{path}: cannot read image")

    with pytest.raises(SodbenchError, match=r"^x.png: cannot read image$"):
        on_worker(fails, "x.png")  # this process, a thread pool: unchanged
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        future = client.submit(on_worker, fails, "x.png", pure=False)
        with pytest.raises(SodbenchError, match=r"^x.png: cannot read image \[on Dask worker "
                                                r"tcp://127\.0\.0\.1:\d+, host "):
            future.result()
        # the worker's allocator was set to keep freed blocks, once (the call it made)
        from sodbench.folders import cluster as module

        def prepared():
            return module._prepare_worker.cache_info().currsize
        assert client.submit(on_worker, prepared, pure=False).result() == 1
    assert module._prepare_worker.cache_info().currsize == 0  # never in this process


def test_the_compose_example_shares_one_volume_and_runs_what_the_docs_say():
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the dask extra")
    folder = HERE.parents[1] / "docs" / "examples" / "distributed"
    compose = yaml.safe_load((folder / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"scheduler", "worker", "client"}
    assert services["scheduler"]["command"][:2] == ["dask", "scheduler"]
    assert services["scheduler"]["ports"] == ["127.0.0.1:8786:8786"]  # loopback only
    worker = services["worker"]["command"]
    assert worker[:3] == ["dask", "worker", "tcp://scheduler:8786"]
    assert worker[worker.index("--nthreads") + 1] == "1"
    assert services["worker"]["environment"]["DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED"] == (
        "False")
    assert services["client"]["environment"]["SODBENCH_DASK_SCHEDULER"] == (
        "tcp://scheduler:8786")
    for name, service in services.items():  # one data volume, at one path, for everyone
        assert service["volumes"] == ["${SODBENCH_DATA:-./data}:/data"], name
        assert service["build"]["dockerfile"] == "docs/examples/distributed/Dockerfile"
        assert (folder / service["build"]["context"]).resolve() == HERE.parents[1]
    assert '"/src/sodbench[dask]"' in (folder / "Dockerfile").read_text()


def test_a_scheduler_lost_without_a_cache_says_to_run_again(data, tmp_path):
    with dask_cluster(tmp_path / "cluster", gate=tmp_path / "gate") as (address, processes):
        # chunks 1 and 2 wait for a gate never opened: the run cannot end before the kill
        run = _sodbench(*_eval_arguments(data, tmp_path, "--no-cache", "--scheduler", address))
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(client.processing().values()):
                time.sleep(0.05)
            assert any(client.processing().values()), "no unit started in time"
        os.killpg(processes[0].pid, signal.SIGKILL)
        out, err = run.communicate(timeout=180)
    assert run.returncode == 2, err
    assert err.splitlines() == [
        f"error: --scheduler {address}: the connection to the scheduler was lost during the "
        "run; run again once the cluster is back (with the cache, --resume would keep the "
        "finished chunks)"], err


def test_ctrl_c_on_a_terminal_stops_a_local_cluster_run_with_one_line(data, local, tmp_path):
    # Ctrl-C on a terminal signals the whole foreground group: the command and the local
    # cluster's worker processes (which used to print a traceback each)
    cache, gate = tmp_path / "cache", tmp_path / "gate"
    slow = {"DASK_DISTRIBUTED__WORKER__PRELOAD": json.dumps([str(HERE / "dask_slow_units.py")]),
            "SODBENCH_TEST_GATE": str(gate)}  # the local cluster's workers wait after chunk 0
    run = _run_until_a_chunk_is_cached(data, tmp_path, cache, "local:2", env=slow,
                                       start_new_session=True)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    # click ends the "^C" line of a terminal with an empty line first
    assert err.splitlines() == ["", "error: interrupted; finished work was kept (re-run to "
                                    "resume)"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the cluster's processes end with the command
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("processes of the command's group outlived it")
    gate.touch()
    again = _sodbench(*_eval_arguments(data, tmp_path, "--cache-dir", str(cache), "--resume",
                                       "--scheduler", "local:2"))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "resumed 0 of 2 (dataset, method) results and 2 chunks" in err
    assert _entries(load_results(tmp_path / "r.json")) == local[32]


def test_a_unit_that_kills_its_workers_is_one_line(data, preds, tmp_path):
    # Dask gives up on a unit after its workers died three times running (KilledWorker):
    # one line, not Dask's traceback
    from concurrent.futures import Executor, Future

    from distributed.scheduler import KilledWorker

    from sodbench.errors import SodbenchError

    class Dying:
        address = "tcp://10.0.0.7:40123"

    class KillsWorkers(Executor):
        def submit(self, fn, /, *args, **kwargs):
            future = Future()
            future.set_exception(KilledWorker("score_unit-1", Dying(), 3))
            return future

    with pytest.raises(SodbenchError, match=r"^a unit of work stopped 4 Dask workers in a row "
                                            r"\(the last: tcp://10\.0\.0\.7:40123\): too "
                                            r"little memory"):
        evaluate(data / "GT", preds, executor=KillsWorkers())
