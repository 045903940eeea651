"""The worker's memory allocator: few arenas for many threads.

glibc's malloc gives each thread that allocates at once an arena of its own, up to eight per
core; a worker runs a few threads per camera (reader, record stream, watchdog, clips, the
shared encode), and frames freed by one thread stay mapped in another's arena. Two arenas
took a node of 8 cameras (2 busy) from 1,172 MB to 999 MB RSS at the same CPU (measured
with ``MALLOC_ARENA_MAX=2``, which this sets from inside; issue 21, docs/performance.md)."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
from typing import Any

log = logging.getLogger(__name__)
M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2
# How often a running worker gives the heap's free pages back: the cameras' threads free
# frames all the time, and glibc returns only the top of its heap by itself (docs/performance.md:
# 8 cameras with 2 busy kept 1,053 MB, 873 MB trimmed every 10 s).
TRIM_SECONDS = 10.0


@functools.cache
def _glibc(function: str) -> Any:
    """A glibc function, found once (``find_library`` runs ``ldconfig``); None elsewhere."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return getattr(ctypes.CDLL(name), function)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return None


def _mallopt() -> Any:
    mallopt = _glibc("mallopt")
    if mallopt is not None:
        mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt


def give_back_freed_memory() -> bool:
    """Returns the heap's free pages to the system (glibc's ``malloc_trim``): after a
    large one-off build, such as the face network's ONNX graph (~85 MB freed but kept in
    the heap otherwise), and every ``TRIM_SECONDS`` in a running worker. False where the C
    library is not glibc, or when there was nothing to give back."""
    trim = _glibc("malloc_trim")
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Caps glibc's malloc arenas; False where the C library is not glibc (nothing to do).
    Call it before the process starts threads: glibc fixes its limit once more than eight
    arenas exist, and a later call changes nothing."""
    mallopt = _mallopt()
    if mallopt is None:
        return False
    done = bool(mallopt(M_ARENA_MAX, arenas))
    if not done:
        log.warning("could not cap malloc's arenas at %d", arenas)
    return done
