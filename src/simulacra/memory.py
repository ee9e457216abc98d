"""Whether a draw fits in memory, checked before it starts.

A draw of ``n`` rows holds, at its peak, the encoded columns and the decoded table; a request
that could not fit in this machine's memory even then is refused at once with advice (draw in
chunks), instead of a ``MemoryError`` after minutes, or the system swapping.

>>> check_draw_fits(1_000, 3, what="sample(n=1,000)", advice="draw fewer rows")
>>> check_draw_fits(10**12, 3, what="sample(n=10**12)", advice="draw fewer",
...                 memory=2**34)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
simulacra.errors.ParameterError: sample(n=10**12) needs about 48 TB of memory ... draw fewer
"""

from __future__ import annotations

import os

from simulacra.errors import ParameterError

#: Bytes a value takes at the peak of a draw: an 8-byte value and one copy of it.
BYTES_PER_VALUE = 16


def physical_memory() -> int | None:
    """This machine's memory in bytes, or None when the system does not say."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX
        return None
    return pages * size if pages > 0 and size > 0 else None


def check_draw_fits(rows: int, width: int, *, what: str, advice: str,
                    memory: int | None = None) -> None:
    """Refuse ``what`` — ``rows`` rows of ``width`` values each — when it needs more than the
    machine's ``memory`` (default: :func:`physical_memory`), with ``advice``."""
    memory = physical_memory() if memory is None else memory
    needed = rows * max(width, 1) * BYTES_PER_VALUE
    if memory is not None and needed > memory:
        raise ParameterError(f"{what} needs about {_size(needed)} of memory ({width:,} values "
                             f"a row, {BYTES_PER_VALUE} bytes each); this machine has "
                             f"{_size(memory)}: {advice}")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit in ("bytes", "TB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:,.0f} TB"


def peak_memory_mib() -> float:
    """This process's peak resident memory in MiB: ``VmHWM`` on Linux, else ``ru_maxrss``
    (which a process started by fork and exec, such as a Dask worker, inherits from its parent's
    peak, so it can overstate a worker's own).

    >>> peak_memory_mib() > 0
    True
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            line = next(x for x in fh if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
