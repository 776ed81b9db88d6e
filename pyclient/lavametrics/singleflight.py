"""Single-flight: concurrent callers of the same work share one execution of it.

Ten Prometheus replicas (or retries) scraping the merged endpoint at once must not cost ten
scrapes of every node: whoever comes first runs the work, everyone arriving while it runs
waits for it and gets the same result (or the same exception). The next call after the
work finished starts a new execution, so nobody is ever served a result older than the
moment it asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class _Call:
    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call] = {}
        self.executions = 0  # how many times work actually ran (for tests and curiosity)
        self.shared = 0  # how many callers got the result of someone else's execution

    def do(self, key: Hashable, work: Callable[[], T]) -> T:
        with self._lock:
            existing = self._calls.get(key)
            leader = existing is None
            if existing is None:
                call = self._calls[key] = _Call()
                self.executions += 1
            else:
                call = existing
                self.shared += 1
        if not leader:
            # the leader's work is bounded (every node scrape has its deadline), so is this
            call.done.wait()
            if call.error is not None:
                raise call.error
            return call.value
        try:
            call.value = work()
            return call.value
        except BaseException as exc:
            call.error = exc
            raise
        finally:
            with self._lock:
                del self._calls[key]
            call.done.set()
