"""Where the partitions run: this process, a local Dask cluster, or a scheduler's workers.

Dask (``distributed``) comes with the ``scale`` extra (``pip install "simulacra[scale]"``). A
local cluster runs one process per worker with one thread each, listening on 127.0.0.1 only,
without a dashboard; it is closed when the draw ends.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from simulacra.errors import ParameterError, SimulacraError, check_param

#: ``run(function, shared, indices)`` yields ``function(shared, i)`` for each index ``i``, as
#: each is done (``shared``: text every task receives, e.g. a working folder).
Runner = Callable[[Callable[[str, int], Any], str, Iterable[int]], Iterator[Any]]


def default_workers() -> int:
    """The local cluster's size when none is given: the machine's cores."""
    return max(1, os.cpu_count() or 1)


@contextmanager
def runner(*, client: Any = None, scheduler: str | None = None, workers: int | None = None,
           pending: int = 1) -> Iterator[tuple[Runner, str]]:
    """``(run, description)``: ``run`` maps tasks (partitions, files) to where they should run.

    ``client`` (a ``distributed.Client``) or ``scheduler`` (its address) use that cluster;
    otherwise ``workers`` processes of a local cluster (default: one per core, or this process
    when Dask is not installed), or this process alone when one worker (or one pending
    partition) is all there is to use.
    """
    check_where(client, scheduler, workers)
    if client is not None:
        yield _dask_runner(client), f"Dask cluster at {client.scheduler.address}"
        return
    if scheduler is not None:
        distributed = _distributed()
        try:
            connected = distributed.Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise SimulacraError(f"cannot reach the Dask scheduler at {scheduler!r}: {err}; "
                                 "check the address (tcp://HOST:PORT)") from None
        with connected:
            yield _dask_runner(connected), f"Dask cluster at {scheduler}"
        return
    size = min(default_workers() if workers is None else workers, max(pending, 1))
    if size == 1 or (workers is None and not _has_distributed()):
        yield _local_runner, "this process"  # the default without Dask installed: no error
        return
    with local_cluster(size) as local:
        yield _dask_runner(local), f"a local Dask cluster of {size} workers"


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A ``distributed.Client`` of a local cluster of ``workers`` processes of one thread,
    on 127.0.0.1 only (the scheduler's HTTP server too, on a free port), no dashboard."""
    distributed = _distributed()
    import dask

    # Dask's nanny gives its workers MALLOC_TRIM_THRESHOLD_=65536, so memory goes back to the
    # system at once; drawing chunk after chunk then spends its time re-faulting the same
    # pages (a 2-worker draw ran at 1.36x one process; with glibc's own threshold, 1.77x)
    # the workers' statistical profiler (a stack sample every 10 ms) and GIL monitor (every
    # 1 ms) feed the dashboard, which is off: on a machine with no core to spare, they only
    # take time from the draw
    quiet = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
             "distributed.worker.profile.enabled": False,
             "distributed.admin.system-monitor.gil.enabled": False}
    with dask.config.set(quiet), \
            distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                  scheduler_kwargs={"dashboard": False},
                                  silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        yield client


def check_where(client: Any, scheduler: str | None, workers: int | None) -> None:
    """Refuse settings of where to run that contradict each other."""
    if sum(x is not None for x in (client, scheduler)) > 1:
        raise ParameterError("give a client or a scheduler address, not both")
    if workers is not None:
        ok = isinstance(workers, int) and not isinstance(workers, bool) and workers >= 1
        check_param("workers", workers, "an integer >= 1", ok)
        if client is not None or scheduler is not None:
            raise ParameterError("workers sizes a local cluster; a client or scheduler brings "
                                 "its own workers")


def _local_runner(function: Callable[[str, int], Any], folder: str,
                  partitions: Iterable[int]) -> Iterator[Any]:
    for partition in partitions:
        yield function(folder, partition)


def _dask_runner(client: Any) -> Runner:
    distributed = _distributed()

    def run(function: Callable[[str, int], Any], folder: str,
            partitions: Iterable[int]) -> Iterator[Any]:
        futures = [client.submit(function, folder, p, pure=False) for p in partitions]
        try:
            for future in distributed.as_completed(futures):
                yield future.result()
        finally:
            client.cancel([f for f in futures if not f.done()])

    return run


def _has_distributed() -> bool:
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise SimulacraError("running partitions on Dask needs the scale extra: pip install "
                             "\"simulacra[scale]\" (or give workers=1 to draw in this "
                             "process)") from None
    return distributed
