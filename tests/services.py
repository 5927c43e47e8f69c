"""PostgreSQL and Redis for the tests that need them: the servers in the environment, or the
default local ones (PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379).

When a service does not answer, its tests skip with a message saying so, and a machine without
the services still passes `make test`. With REQUIRE_SERVICES=1 (CI) they fail instead: a missing
service must not turn a scale-out check into a silent skip.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit

import pytest

from scripts.site_database import is_postgres

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def postgres_url() -> str:
    return os.environ["DATABASE_URL"] if is_postgres(dict(os.environ)) else DEFAULT_POSTGRES_URL


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def need(*services: str) -> None:
    """Skip (or, with REQUIRE_SERVICES=1, fail) unless every named service ("postgres", "redis") answers."""
    urls = {"postgres": (postgres_url(), 5432), "redis": (redis_url(), 6379)}
    missing = [f"{name} at {urls[name][0]}" for name in services if not _answers(*urls[name])]
    if not missing:
        return
    message = f"needs {' and '.join(missing)}, which does not answer"
    if os.environ.get("REQUIRE_SERVICES", "") not in ("", "0"):
        pytest.fail(f"{message} (REQUIRE_SERVICES is set)", pytrace=False)
    pytest.skip(f"{message}; start it, or set REQUIRE_SERVICES=1 to make this a failure")
