"""Per-client rate limits on the endpoints people (and bots) can hammer: 429 with Retry-After.

Counting is django-ratelimit's (fixed windows in the cache RATELIMIT_USE_CACHE names, keyed by a
hash of the client address, so no address is stored): each worker's memory by default, Redis
with REDIS_URL (exact across workers and nodes). Limits per group come from settings
(RATE_LIMIT_SEARCH, _SUGGEST, _FEEDBACK, as "count/seconds"). While the counters cannot be
reached (Redis down), requests are let through unlimited: a limit is not worth an outage.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django_ratelimit.core import get_usage

from evaluation.identity import client_address, client_ip

log = logging.getLogger(__name__)
COUNTER_RETRY_SECONDS = 5  # after a failure, how long requests go unlimited before Redis is tried again

GROUPS = (
    ("search", ("/search/", "/api/search"), "RATE_LIMIT_SEARCH"),
    ("suggest", ("/api/suggest",), "RATE_LIMIT_SUGGEST"),
    ("feedback", ("/api/feedback",), "RATE_LIMIT_FEEDBACK"),
)


def _client(group, request) -> str:
    return client_address(request) or "unknown"


def _rate(setting: str) -> tuple[str, int]:
    count, _, seconds = getattr(settings, setting).partition("/")
    seconds = int(seconds or 60)
    return f"{int(count)}/{seconds}s", seconds


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._counters_down_until = 0.0

    def __call__(self, request):
        if client_ip(request) in settings.RATE_LIMIT_EXEMPT:
            return self.get_response(request)
        for group, prefixes, setting in GROUPS:
            if request.path.startswith(prefixes):
                rate, period = _rate(setting)
                usage = self._usage(request, group, rate)
                if usage is not None and usage["should_limit"]:
                    # django-ratelimit ends each key's window at its own offset (crc32(key) % period
                    # seconds past the period's edge) and counts that last whole second in it: the
                    # next window starts time_left + 1 s from now (time_left is -1 if the cache failed).
                    left = usage["time_left"]
                    return self._too_many(request, left + 1 if left >= 0 else period)
                break
        return self.get_response(request)

    def _usage(self, request, group: str, rate: str) -> dict | None:
        """django-ratelimit's count for this client, or None (not limited) while the counters are down."""
        if time.monotonic() < self._counters_down_until:
            return None
        try:
            return get_usage(request, group=group, key=_client, rate=rate, increment=True)
        except Exception as exc:  # noqa: BLE001 — redis' errors, whatever the client version names them
            self._counters_down_until = time.monotonic() + COUNTER_RETRY_SECONDS
            log.warning("rate-limit counters unreachable (%s); not limiting for %d s", exc, COUNTER_RETRY_SECONDS)
            return None

    @staticmethod
    def _too_many(request, seconds_left: int):
        retry_after = max(1, int(seconds_left))
        message = f"Too many requests; please wait {retry_after} s and try again."
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": message}, status=429)
        else:
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(retry_after)
        return response
