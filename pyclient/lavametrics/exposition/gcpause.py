"""Pause the cyclic garbage collector around allocation-heavy work.

Parsing and merging a scrape allocate one dict and one tuple per sample (50,000 for 10
nodes x 5,000 series) and create no reference cycles; letting the collector walk them
while they are built doubled the cost of both steps in the benchmark. Parses run in
several threads at once and ``gc.disable()`` is process-wide, so pauses are counted: the
collector comes back when the last pause ends, and only if it was on when the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused():
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
