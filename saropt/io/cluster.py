"""Where a batch of independent jobs runs: in this process, or on a Dask cluster.

saropt writes no scheduler of its own. ``--scheduler`` takes:

- nothing (the default): jobs run one after another in this process;
- ``local:N``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes,
  started for the run and closed after it;
- an address (``tcp://10.0.0.5:8786``, or ``host:port``): a running
  ``dask.distributed`` scheduler, such as one that dask-jobqueue (SLURM, PBS) or
  dask-kubernetes started; its workers must see the same input and output paths (a
  shared or mounted file system).

:func:`run_jobs` runs one function over keyed jobs and yields each job's
:class:`JobResult` as it finishes. A job that raises is retried ``retries`` times, then
reported with its error while the others go on; a Dask worker that dies loses only the
jobs it held, which Dask runs again elsewhere. Jobs must write their outputs atomically
and be safe to run twice: a rerun of a killed batch then skips what is done.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from saropt.errors import ConfigError

#: How long to wait for a scheduler at an address to answer.
CONNECT_TIMEOUT = "10s"

_LOCAL = re.compile(r"^local:(\d+)$")
_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|inproc|ucx)://)?[\w.\-\[\]:]+:\d+$")


@dataclass(frozen=True)
class Scheduler:
    """A parsed ``--scheduler``: ``workers`` local processes, or a remote ``address``."""

    workers: int = 0
    address: str | None = None

    @property
    def in_process(self) -> bool:
        return not self.workers and self.address is None

    def __str__(self) -> str:
        if self.address:
            return self.address
        return f"local:{self.workers}" if self.workers else "in-process"


def parse_scheduler(text: str | None) -> Scheduler:
    """``None``/"" (in this process), ``local:N`` or a scheduler address.

    Raises:
        ConfigError: Anything else, or ``local:0``.
    """
    if not text:
        return Scheduler()
    text = text.strip()
    if m := _LOCAL.match(text):
        n = int(m.group(1))
        if n < 1:
            raise ConfigError("--scheduler local:N needs N >= 1 worker processes")
        return Scheduler(workers=n)
    if _ADDRESS.match(text):
        return Scheduler(address=text if "://" in text else f"tcp://{text}")
    raise ConfigError(
        f"--scheduler must be local:N (N worker processes here) or the address of a running "
        f"dask scheduler (tcp://host:8786); got {text!r}"
    )


@contextmanager
def dask_client(scheduler: Scheduler) -> Iterator[Any]:
    """A ``distributed.Client`` for ``scheduler`` (a LocalCluster is closed afterwards).

    Raises:
        ConfigError: dask.distributed missing, or no scheduler answers at the address.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # a dependency of saropt, unless removed by hand
        raise ConfigError("--scheduler needs dask: pip install 'dask[distributed]'") from exc
    if scheduler.address:
        try:
            client = Client(scheduler.address, timeout=CONNECT_TIMEOUT)
        except OSError as exc:
            raise ConfigError(
                f"no dask scheduler answers at {scheduler.address} ({exc}); start one "
                "(dask scheduler, dask-jobqueue, dask-kubernetes) or use local:N"
            ) from None
        with client:
            yield client
        return
    cluster = LocalCluster(
        n_workers=scheduler.workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        yield client


def die_with_parent(parent: int) -> None:
    """Make this process (a local pool worker) die when ``parent`` does.

    On Linux the kernel sends SIGKILL when the parent exits (``PR_SET_PDEATHSIG``), so a
    ``kill -9`` of a command leaves none of its workers building on. Elsewhere a no-op.
    Use as a ``ProcessPoolExecutor`` initializer with ``initargs=(os.getpid(),)``.
    """
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: nothing to set
        return
    if os.getppid() != parent:  # the parent died before the call: nothing would tell us
        os._exit(1)


@dataclass
class JobResult:
    """One job's outcome: ``value`` when it succeeded, else ``error`` ("Type: message")."""

    key: str
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, JobError):
        return str(exc)
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class JobError(Exception):
    """A job's failure as text ("Type: message"), raised on the Dask worker in place of
    the original exception, which may not survive pickling (its chain may hold GDAL's
    errors)."""


def _described(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:
        text = _describe(exc)
    # raised outside the handler, so that no unpicklable cause or context travels with it
    # (Dask pickles an exception's whole chain)
    raise JobError(text)


def _in_process(
    fn: Callable[..., Any], jobs: Sequence[tuple[str, tuple[Any, ...]]], shared: tuple[Any, ...],
    retries: int,
) -> Iterator[JobResult]:  # fmt: skip
    for key, args in jobs:
        for attempt in range(retries + 1):
            try:
                yield JobResult(key, fn(*shared, *args))
                break
            except Exception as exc:  # reported by key; the other jobs go on
                if attempt == retries:
                    yield JobResult(key, error=_describe(exc))


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[tuple[str, tuple[Any, ...]]],
    *,
    shared: tuple[Any, ...] = (),
    scheduler: Scheduler | str | None = None,
    client: Any = None,
    retries: int = 2,
) -> Iterator[JobResult]:
    """Run ``fn(*shared, *args)`` for every ``(key, args)`` of ``jobs``; yield each
    :class:`JobResult` as it finishes (in this process: in order).

    Args:
        fn: A module-level function (Dask pickles it by reference).
        jobs: Unique keys (tile or scene ids) and each job's own arguments.
        shared: Arguments every job takes first; sent to each Dask worker once.
        scheduler: Where to run (see the module docstring); ignored when ``client`` given.
        client: A ``distributed.Client`` to use as it is (tests, notebooks).
        retries: Further attempts of a job that raised, before it is reported failed.

    Raises:
        ConfigError: A bad ``scheduler`` or ``retries``.
    """
    if retries < 0:
        raise ConfigError(f"retries must be >= 0; got {retries}")
    spec = scheduler if isinstance(scheduler, Scheduler) else parse_scheduler(scheduler)
    if client is None and spec.in_process:
        yield from _in_process(fn, jobs, shared, retries)
        return
    if client is not None:
        yield from _on_dask(client, fn, jobs, shared, retries)
        return
    with dask_client(spec) as c:
        yield from _on_dask(c, fn, jobs, shared, retries)


def _on_dask(
    client: Any, fn: Callable[..., Any], jobs: Sequence[tuple[str, tuple[Any, ...]]],
    shared: tuple[Any, ...], retries: int,
) -> Iterator[JobResult]:  # fmt: skip
    from distributed import as_completed

    if not jobs:
        return
    common = [client.scatter(x, broadcast=True, hash=False) for x in shared]
    run = f"{getattr(fn, '__name__', 'job')}-{uuid.uuid4().hex[:8]}"  # unique per call
    futures = {
        client.submit(_described, fn, *common, *args, key=f"{run}-{key}", retries=retries,
                      pure=False): key
        for key, args in jobs
    }  # fmt: skip
    for future in as_completed(futures):
        key = futures[future]
        if future.status == "finished":
            yield JobResult(key, future.result())
        else:
            exc = future.exception()
            yield JobResult(key, error=_describe(exc) if exc else future.status)
        future.release()
