"""Where a study's independent runs execute: in this process, on a local process pool, or on a Dask cluster.

Ref: issue 14, item 5. The seed studies and design-space sweeps (``mgd sweep``: :mod:`.sweep`, ``mgd
scaling``: :mod:`.scaling`, ``mgd reproduce``: :mod:`.reproduce`, solve rates included) hand their runs to
:func:`run_jobs`, the one place that starts them. Without a scheduler it uses ``workers`` local processes
(:class:`concurrent.futures.ProcessPoolExecutor`; one worker: this process, no pool); with
``scheduler=ADDRESS`` the workers of the Dask ``distributed`` scheduler at that address
(``distributed.Client(ADDRESS).get_executor()``, a :class:`concurrent.futures.Executor` too), and
``workers`` is not used. Either way each result is reported as its run finishes (``on_result``, for progress
bars and lines) and the results come back in the order of the jobs, so a study's rows and table depend on its
jobs only, not on where they ran (every run is seeded by its job).

A Dask worker must be able to import this toolkit (the same version: install it there, ``pip install -e .``)
and imports the job's function by name. An address is checked before any run starts
(:func:`check_scheduler`): its form, a connection within :data:`CONNECT_TIMEOUT_S`, that a Dask scheduler
answers there and that it has at least one worker; otherwise :class:`SchedulerError` names the option and the
address. ``distributed`` is imported only when a scheduler is given.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

from golden_model.errors import MGDError

__all__ = ["SchedulerError", "CONNECT_TIMEOUT_S", "SCHEMES", "check_scheduler", "open_executor", "run_jobs"]

J = TypeVar("J")
R = TypeVar("R")

#: seconds to reach a scheduler (and for its first worker to appear) before the address is refused
CONNECT_TIMEOUT_S = 5.0
#: address schemes taken: Dask's TCP transport, plain or TLS (``tls://`` takes its certificates from the Dask
#: configuration, ``distributed.comm.tls``)
SCHEMES = ("tcp", "tls")
_EXAMPLE = "tcp://HOST:PORT such as tcp://127.0.0.1:8786"


class SchedulerError(MGDError):
    """A scheduler address that is malformed or where no usable Dask scheduler answers."""


def _refuse(option: str, address: str, allowed: str, why: str) -> SchedulerError:
    return SchedulerError(f"{option} must be {allowed}, not {address!r} ({why})")


def _split(address: str, option: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``tcp://host:port``, ``tls://host:port`` or ``host:port`` (TCP)."""
    allowed = f"a Dask scheduler address {_EXAMPLE}"
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme not in SCHEMES:
        raise _refuse(option, address, allowed, f"the scheme must be one of {', '.join(SCHEMES)}")
    host, sep, port_text = rest.rpartition(":")
    if not sep or not host or "/" in rest or any(c.isspace() for c in rest):
        raise _refuse(option, address, allowed, "it needs a host and a port")
    if host.startswith("[") and host.endswith("]"):  # [::1]
        host = host[1:-1]
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise _refuse(option, address, allowed, "the port must be an integer from 1 to 65535")
    return scheme, host, int(port_text)


async def _identity(address: str, timeout: float) -> dict[str, Any]:
    from distributed.core import rpc
    from distributed.security import Security

    args = Security().get_connection_args("client")
    async with rpc(address, timeout=timeout, connection_args=args) as remote:
        return await remote.identity()


def check_scheduler(address: str, *, option: str = "--scheduler", timeout: float | None = None) -> str:
    """The address in Dask's form (``tcp://host:port``) once a Dask scheduler with at least one worker has
    answered there within ``timeout`` seconds (default :data:`CONNECT_TIMEOUT_S`); else
    :class:`SchedulerError` naming ``option`` and it."""
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    scheme, host, port = _split(address, option)
    where = f"[{host}]" if ":" in host else host
    normal = f"{scheme}://{where}:{port}"
    allowed = "the address of a running Dask scheduler"
    deadline = time.monotonic() + timeout
    try:  # a refused or unroutable port fails here at once, before Dask's retries up to the timeout
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise _refuse(option, address, allowed, f"cannot connect to {host}:{port}: "
                      f"{exc.strerror or type(exc).__name__}") from None
    while True:
        try:
            left = max(0.5, deadline - time.monotonic())
            info = asyncio.run(asyncio.wait_for(_identity(normal, left), left))  # a server that never answers
        except (TimeoutError, OSError) as exc:
            detail = f": {exc}" if str(exc) else ""
            raise _refuse(option, address, allowed, f"no Dask scheduler answered within {timeout:g} s"
                          f"{detail}") from None
        except Exception as exc:  # something else listens there and speaks no Dask protocol
            raise _refuse(option, address, allowed, f"what answered is not a Dask scheduler: "
                          f"{type(exc).__name__}: {exc}") from None
        if info.get("type") != "Scheduler":
            raise _refuse(option, address, allowed, f"a Dask {info.get('type', 'server')!s} answered, not "
                          "a scheduler")
        if info.get("n_workers", len(info.get("workers", {}))) > 0:
            return normal
        if time.monotonic() >= deadline:
            raise _refuse(option, address, allowed, f"the scheduler has no workers (none joined within "
                          f"{timeout:g} s): start some with `dask worker {normal}`")
        time.sleep(0.2)


@contextmanager
def open_executor(workers: int = 1, scheduler: str | None = None, *,
                  timeout: float | None = None) -> Iterator[Executor]:
    """A :class:`concurrent.futures.Executor`: on the Dask scheduler at ``scheduler`` (checked first, see
    :func:`check_scheduler`), else a pool of ``workers`` local processes. Closed on exit."""
    if scheduler is None:
        with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
            yield pool
        return
    from distributed import Client

    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    address = check_scheduler(scheduler, timeout=timeout)
    client = Client(address, timeout=timeout, set_as_default=False)
    try:
        yield client.get_executor(pure=False)  # every job runs, even two with equal arguments
    finally:
        client.close()


def run_jobs(fn: Callable[[J], R], jobs: Iterable[J], *, workers: int = 1, scheduler: str | None = None,
             on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(job) for job in jobs]``, run as :func:`open_executor` says (``workers == 1`` and no scheduler:
    one after another in this process). ``on_result(index, result)`` is called in this process as each run
    finishes. A run that raises, Ctrl-C or SIGTERM cancels the runs not started yet and re-raises.

    ``fn`` must be a module-level function (the workers import it by name) and ``jobs`` picklable."""
    jobs = list(jobs)
    results: list[Any] = [None] * len(jobs)
    if scheduler is None and workers <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(job)
            if on_result is not None:
                on_result(i, results[i])
        return results
    with open_executor(workers, scheduler) as pool:
        futures: dict[Future, int] = {pool.submit(fn, job): i for i, job in enumerate(jobs)}
        try:
            for fut in as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if on_result is not None:
                    on_result(i, results[i])
        except BaseException:  # a failed run, or interrupted: do not start the queued ones
            _cancel(pool, futures)
            raise
    return results


def _cancel(pool: Executor, futures: Sequence[Future] | dict[Future, int]) -> None:
    for fut in futures:
        fut.cancel()
    if isinstance(pool, ProcessPoolExecutor):
        pool.shutdown(wait=False, cancel_futures=True)
    else:  # distributed's ClientExecutor: cancels what it submitted
        pool.shutdown(wait=False)
