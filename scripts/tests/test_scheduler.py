"""``--scheduler ADDRESS`` of ``mgd sweep``, ``mgd scaling`` and ``mgd reproduce`` on a real Dask cluster
(``distributed.LocalCluster``: two worker processes of one thread, on the loopback interface): the same
seeds give the same table as the local run, the runs really ran on the cluster's workers, progress shows
as they finish, and an address where no usable scheduler answers is one ``mgd: error`` line before any work.
About 25 s in all (most of it the workers' start and their first imports)."""

from __future__ import annotations

import json
import logging
import re
import socket

import pytest

import golden_model.studies.executor as executor
from scripts.cli import main

distributed = pytest.importorskip("distributed")

SWEEP = ["sweep", "--presets", "xor", "--modes", "weight,node", "--widths", "8,12", "--seeds", "1,2"]
SWEEP_RUNS = 8  # 1 preset x 2 modes x 2 widths x 2 seeds
SCALING = ["scaling", "--hidden", "2,4", "--seeds", "2", "--steps", "800", "--eval-every", "100",
           "--targets", "0.26,0.3", "--fmax", "50", "--quiet"]
REPRODUCE = ["reproduce", "--quick", "--only", "solve_rates", "--only", "xor_paper", "--only",
             "width_scaling", "--quiet"]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=logging.ERROR) as lc:
        yield lc


def _finished(cluster, prefix: str) -> int:
    """Tasks of function ``prefix`` that the cluster's scheduler has seen finish (into memory) so far."""
    tp = cluster.scheduler.task_prefixes.get(prefix)
    return 0 if tp is None else tp.state_counts["memory"]


def _strip(value):
    """``value`` without its wall times (``wall_s``: the one thing that depends on where a run ran)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k != "wall_s"}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def test_sweep_gives_the_same_table_on_the_cluster(cluster, tmp_path, capsys):
    assert main([*SWEEP, "--jobs", "1", "--quiet", "--out", str(tmp_path / "local")]) == 0
    local_out = capsys.readouterr().out
    before = _finished(cluster, "one_run")
    assert main([*SWEEP, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    captured = capsys.readouterr()
    assert _finished(cluster, "one_run") - before == SWEEP_RUNS  # every run ran on the cluster
    assert f"{SWEEP_RUNS}/{SWEEP_RUNS}" in captured.err  # the progress bar counted the finished runs
    local = json.loads((tmp_path / "local" / "width_sweep.json").read_text())
    dask = json.loads((tmp_path / "dask" / "width_sweep.json").read_text())
    assert dask["table"] == local["table"] and dask["min_width"] == local["min_width"]
    assert _strip(dask["runs"]) == _strip(local["runs"])
    assert [(r["mode"], r["width"], r["seed"]) for r in dask["runs"]] == [
        (m, w, s) for m in ("weight", "node") for w in (8, 12) for s in (1, 2)]
    # not a trivial table: seeds and widths differ in whether and when they reach the target
    assert len({(r["trained"], r["steps_to_target"]) for r in dask["runs"]}) > 2
    assert captured.out.replace("dask", "local") == local_out  # the same summary lines


def test_scaling_gives_the_same_table_on_the_cluster(cluster, tmp_path, capsys):
    assert main([*SCALING, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    before = _finished(cluster, "one_run")
    assert main([*SCALING, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    assert _finished(cluster, "one_run") - before == 8  # 2 modes x 2 widths x 2 seeds
    local = json.loads((tmp_path / "local" / "scaling.json").read_text())
    dask = json.loads((tmp_path / "dask" / "scaling.json").read_text())
    assert dask["table"] == local["table"] and dask["study"]["table"] == local["study"]["table"]
    assert _strip(dask["study"]["runs"]) == _strip(local["study"]["runs"])
    assert dask["study"]["settings"]["scheduler"] == cluster.scheduler_address
    report = (tmp_path / "dask" / "scaling.md").read_text()
    assert f"on the Dask scheduler at {cluster.scheduler_address}" in report


def test_reproduce_gives_the_same_results_on_the_cluster(cluster, tmp_path, capsys):
    assert main([*REPRODUCE, "--workers", "1", "--out", str(tmp_path / "local")]) == 0
    before = _finished(cluster, "_run_job")
    assert main([*REPRODUCE, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask")]) == 0
    local = json.loads((tmp_path / "local" / "reproduce.json").read_text())
    dask = json.loads((tmp_path / "dask" / "reproduce.json").read_text())
    jobs = 1 + 2 + 1  # solve_rates (one task in quick mode), width_scaling (per mode), xor_paper
    assert _finished(cluster, "run_job") + _finished(cluster, "_run_job") - before == jobs
    for section in ("solve_rates", "xor_paper", "width_scaling"):
        assert _strip(dask[section]) == _strip(local[section]), section
    assert dask["scheduler"] == cluster.scheduler_address and local["scheduler"] is None


def test_progress_lines_come_as_the_runs_finish(cluster, tmp_path, capsys):
    assert main([*SCALING[:-1], "--scheduler", cluster.scheduler_address, "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    runs = [line for line in lines if re.match(r"(weight|node) h=\d seed \d: ", line)]
    assert len(runs) == 8, lines


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def no_work(monkeypatch):
    import golden_model.studies.reproduce
    import golden_model.studies.sweep
    import scripts.flows.scaling

    def work(*args, **kwargs):
        raise AssertionError("the command started work before refusing --scheduler")

    for module, name in [(golden_model.studies.sweep, "width_sweep"), (scripts.flows.scaling, "run_scaling"),
                         (golden_model.studies.reproduce, "reproduce")]:
        monkeypatch.setattr(module, name, work)


@pytest.mark.parametrize("command", [SWEEP, SCALING, REPRODUCE], ids=["sweep", "scaling", "reproduce"])
def test_a_bad_scheduler_is_one_error_before_any_work(command, cluster, tmp_path, capsys, monkeypatch,
                                                      no_work):
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT_S", 1.0)
    port = _closed_port()
    worker = next(iter(cluster.scheduler.workers))  # a Dask worker's address: Dask, but not a scheduler
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0", silence_logs=logging.ERROR) as empty:
        cases = [
            ("tcp://127.0.0.1", "a Dask scheduler address tcp://HOST:PORT such as tcp://127.0.0.1:8786"),
            ("http://127.0.0.1:8786", "the scheme must be one of tcp, tls"),
            (f"127.0.0.1:{port}", f"cannot connect to 127.0.0.1:{port}: Connection refused"),
            (worker, "a Dask Worker answered, not a scheduler"),
            (empty.scheduler_address, "the scheduler has no workers (none joined within 1 s)"),
        ]
        for address, why in cases:
            out = tmp_path / "out"
            assert main([*command, "--scheduler", address, "--out", str(out)]) == 2
            err = capsys.readouterr().err.splitlines()
            assert len(err) == 1 and err[0].startswith("mgd: error: --scheduler must be "), err
            assert f"not {address!r} (" in err[0] and why in err[0], err[0]
            assert not out.exists()
