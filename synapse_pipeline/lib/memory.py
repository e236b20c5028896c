"""Handing memory a finished stage freed back to the system, before the next stage of the same run needs its own."""

import ctypes
import ctypes.util

import pyarrow as arrow


def release_freed_memory() -> None:
    """Return what a stage freed to the system: Arrow's pool keeps freed buffers, and glibc's per-thread arenas the
    frames worker threads built (after a 10M-line validation, 140 and 150 MB); the load that follows in the same run
    would otherwise add its own on top. A C library without `malloc_trim` (not glibc) keeps its part."""
    arrow.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:
        trim(0)
