"""When a request reached the site, so a search's logged answer time is what the visitor waited
at the server (request in to answer ready), not only the search engine's part of it (about zero
for an answer from the cache)."""

from __future__ import annotations

import time


class RequestTimerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.received_at = time.perf_counter()
        return self.get_response(request)


def elapsed_ms(request, fallback: float) -> float:
    """Milliseconds since the request arrived; `fallback` for requests that did not pass the middleware."""
    started = getattr(request, "received_at", None)
    return round((time.perf_counter() - started) * 1000, 3) if started is not None else fallback
