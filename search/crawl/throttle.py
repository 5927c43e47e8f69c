"""A minimum interval between two requests to the same host.

Why not a rate-limit library (pyrate-limiter, limits, requests-ratelimiter): they model "N
requests per window" buckets with storage back-ends, while politeness here is simpler and
per host: wait until `interval` seconds have passed since the last request to that host, with
a longer interval where the site's robots.txt asks for one (Crawl-delay). That is a dictionary
of times and one lock. The crawler runs one request at a time per process; the lock keeps
the object safe if it is ever shared between threads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    """The key requests are spaced by: host and port as written in the URL."""
    return urlsplit(url).netloc.lower()


class HostThrottle:
    def __init__(
        self,
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = interval
        self._clock, self._sleep = clock, sleep
        self._intervals: dict[str, float] = {}  # hosts that asked for more (robots.txt Crawl-delay)
        self._next_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def slow_down(self, host: str, *, interval: float) -> None:
        """Use at least `interval` seconds between requests to this host from now on."""
        with self._lock:
            self._intervals[host] = max(interval, self.interval)

    def wait(self, host: str) -> float:
        """Block until a request to `host` is polite, and reserve that slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next_at.get(host, now))
            self._next_at[host] = start + self._intervals.get(host, self.interval)
        waited = start - now
        if waited > 0:
            self._sleep(waited)
        return waited
