"""The one executor of the studies (golden_model/studies/executor.py): results in job order wherever the jobs
ran, one ``on_result`` per finished job, a failed job stops the rest, and scheduler addresses refused before
any work. The runs on a real Dask cluster are in scripts/tests/test_scheduler.py."""

from __future__ import annotations

import os
import socket
import time

import pytest

from golden_model.studies import executor
from golden_model.studies.executor import SchedulerError, check_scheduler, run_jobs


def _square_slow_first(job: int) -> tuple[int, int, int]:
    """Module-level (the pool imports it by name); the first jobs sleep longest so they finish last."""
    time.sleep(0.05 * (4 - job) if job < 4 else 0)
    return job, job * job, os.getpid()


def _fails_on_three(job: int) -> int:
    if job == 3:
        raise ValueError("job 3 failed")
    return job


def test_pool_and_inline_give_the_results_in_job_order() -> None:
    jobs = list(range(8))
    seen_inline: list[int] = []
    inline = run_jobs(_square_slow_first, jobs, workers=1, on_result=lambda i, r: seen_inline.append(i))
    seen_pool: list[int] = []
    pool = run_jobs(_square_slow_first, jobs, workers=2, on_result=lambda i, r: seen_pool.append(i))
    assert [r[:2] for r in inline] == [r[:2] for r in pool] == [(j, j * j) for j in jobs]
    assert {r[2] for r in inline} == {os.getpid()}  # one worker: this process, no pool
    assert os.getpid() not in {r[2] for r in pool}
    assert seen_inline == jobs  # in order, one call per job
    assert sorted(seen_pool) == jobs and seen_pool != jobs  # as they finished: the slow first ones last


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_job_raises(workers: int) -> None:
    with pytest.raises(ValueError, match="job 3 failed"):
        run_jobs(_fails_on_three, range(6), workers=workers)


@pytest.mark.parametrize(("address", "why"), [
    ("localhost", "it needs a host and a port"),
    ("", "it needs a host and a port"),
    ("tcp://:8786", "it needs a host and a port"),
    ("tcp://127.0.0.1:port", "the port must be an integer from 1 to 65535"),
    ("tcp://127.0.0.1:0", "the port must be an integer from 1 to 65535"),
    ("127.0.0.1:70000", "the port must be an integer from 1 to 65535"),
    ("http://127.0.0.1:8786", "the scheme must be one of tcp, tls"),
    ("tcp://127.0.0.1:8786/path", "it needs a host and a port"),
])
def test_malformed_addresses_are_refused_without_connecting(address: str, why: str, monkeypatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("a malformed address must be refused before any connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(SchedulerError) as exc:
        check_scheduler(address, option="--scheduler")
    assert str(exc.value) == (f"--scheduler must be a Dask scheduler address tcp://HOST:PORT such as "
                              f"tcp://127.0.0.1:8786, not {address!r} ({why})")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_where_nothing_listens_is_refused_at_once() -> None:
    port = _closed_port()
    t0 = time.perf_counter()
    expected = (rf"^--scheduler must be the address of a running Dask scheduler, not '127.0.0.1:{port}' "
                rf"\(cannot connect to 127.0.0.1:{port}: Connection refused\)$")
    with pytest.raises(SchedulerError, match=expected):
        check_scheduler(f"127.0.0.1:{port}")
    assert time.perf_counter() - t0 < executor.CONNECT_TIMEOUT_S  # refused, not timed out


def test_a_server_that_is_not_dask_is_refused(monkeypatch) -> None:
    """A port that accepts and says nothing: refused once the (shortened) timeout has run out."""
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT_S", 1.0)
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        t0 = time.perf_counter()
        with pytest.raises(SchedulerError, match=rf"^--scheduler must be the address of a running Dask "
                                                 rf"scheduler, not 'tcp://127.0.0.1:{port}' \("):
            check_scheduler(f"tcp://127.0.0.1:{port}")
        assert time.perf_counter() - t0 < 10
