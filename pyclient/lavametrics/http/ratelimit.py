"""Rate limiting for our endpoints: a token bucket per kind of client."""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """A token bucket: ``burst`` requests at once, then one per ``interval`` seconds."""

    def __init__(self, interval: float, burst: int):
        self.interval, self.burst = interval, burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) / self.interval)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


# With rate_limit set, each kind of client has its own bucket of the configured size, so that
# nobody spends another's budget (the toolkit has one bucket, which 20 anonymous requests
# empty for the scraper that has the password):
# - "verified": credentials known valid without bcrypt (cached from an earlier check, or
#   plain users); every request when the file has no users;
# - "unverified": credentials not checked yet, the only requests that cost a bcrypt run,
#   which this bucket bounds (a scraper's first request, and password guessing);
# - "anonymous": no or malformed credentials, answered 401 at no cost.
RATE_CLASSES = ("verified", "unverified", "anonymous")


def limiters_for(
    interval: float, burst: int, previous: dict[str, RateLimiter] | None = None
) -> dict[str, RateLimiter] | None:
    """One bucket per ``RATE_CLASSES`` entry; None without a rate limit. ``previous`` is kept
    when its size is unchanged, so a reload of the file does not refill the buckets."""
    if not interval:
        return None
    if previous is not None:
        some = next(iter(previous.values()))
        if (some.interval, some.burst) == (interval, burst):
            return previous
    return {kind: RateLimiter(interval, burst) for kind in RATE_CLASSES}
