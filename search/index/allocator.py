"""Let a serving process reuse the memory of its queries' arrays instead of faulting it back in.

A query over a million sentences allocates a dozen numpy arrays of up to a few MB (merged
postings, sort keys, scores) and frees them when it returns. With glibc's defaults, the memory
of such arrays goes back to the kernel when they are freed: either they came from their own mmap,
or the free space at the heap's top rose above the trim threshold (twice the largest array freed
so far). The next query then takes a page fault on every 4 KiB page of its new arrays. At 1M
sentences that was a large share of the heavy queries' time (figures: docs/benchmarks.md).

Raising both thresholds keeps arrays below MMAP_THRESHOLD on the heap and keeps up to
TRIM_THRESHOLD of freed memory for the next query. The price is that a process keeps what its
largest queries needed, like any allocator's cache. Arrays larger than MMAP_THRESHOLD (the
5M-sentence index's heaviest merges, builds) are unaffected.

By default glibc also gives each thread that allocates its own arena (heap), so a gunicorn
worker with two threads kept that memory twice over, plus fragments in each arena. One arena
is enough when a lock (the GIL) already serialises the threads, and keeps a worker smaller at
the same throughput (docs/benchmarks.md). gunicorn's post_fork hook applies this before a
worker starts its threads.
"""

from __future__ import annotations

import ctypes
import threading

M_TRIM_THRESHOLD = -1  # from glibc's malloc.h
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 * 2**20  # glibc's upper limit for this setting on 64-bit
TRIM_THRESHOLD = 64 * 2**20

_lock = threading.Lock()
_applied: bool | None = None


def tune_malloc() -> bool:
    """Apply the settings once per process; False where the C library is not glibc."""
    global _applied
    with _lock:
        if _applied is None:
            try:
                mallopt = ctypes.CDLL(None).mallopt
            except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator, its rules
                _applied = False
            else:
                mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
                settings = ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_TRIM_THRESHOLD, TRIM_THRESHOLD), (M_ARENA_MAX, 1))
                _applied = all([mallopt(option, value) for option, value in settings])
        return _applied
