"""The one function the search side calls to log a search: `search_log_record`.

Logging must never fail or slow a search. The insert is tried at once with a short SQLite busy
timeout; if the database is locked or down, the row goes to an in-process retry queue drained
by a background thread with back-off, and the search is answered regardless. Every log has a
UUID made before it is written, so the page can send clicks and votes for it either way. Rows
that still cannot be written after all retries are counted (process counter, shown by /health)
and reported in the log.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import uuid
from contextlib import contextmanager

from django.db import DatabaseError, connection
from django.utils import timezone

from search.query import normalize_query

from . import identity
from .models import QueryLog

log = logging.getLogger(__name__)

FAST_BUSY_TIMEOUT_MS = 200
RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 30, 60)

_retry_queue: queue.Queue = queue.Queue(maxsize=10_000)
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()
stats = {"written": 0, "retried": 0, "failed": 0}


@contextmanager
def _short_busy_timeout():
    """On SQLite, wait at most FAST_BUSY_TIMEOUT_MS for the write lock (else fail and retry later)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {FAST_BUSY_TIMEOUT_MS}")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 20000")
        except DatabaseError:
            pass


def search_log_record(*, request, response, interface: str) -> str:
    """Log one answered search; returns the log's public id. Never raises."""
    try:
        entry = QueryLog(
            public_id=uuid.uuid4(),
            created_at=timezone.now(),
            query=response.request.q[:500],
            normalized=normalize_query(response.request.q),
            latency_ms=response.timings_ms.get("total", 0.0),
            timings=response.timings_ms,
            result_count=response.total,
            zero_results=response.total == 0,
            results=[[hit["id"], hit["document"]["id"]] for hit in response.hits],
            page=response.request.page,
            filters={k: v for k, v in response.request.as_dict().items() if k not in ("q", "page") and v},
            index_version=response.index_version,
            ranker=response.ranker_id,
            interface=interface,
            session_hash=identity.session_hash(request),
            client_hash=identity.client_hash(request),
            corrected_query=response.corrected_query,
            interleaving=response.interleaving,
        )
    except Exception:  # a bug here must not cost the visitor the answer
        log.exception("could not prepare a query log")
        stats["failed"] += 1
        return ""
    _write_or_queue(entry)
    return str(entry.public_id)


def _write_or_queue(entry: QueryLog) -> None:
    try:
        with _short_busy_timeout():
            entry.save(force_insert=True)
        stats["written"] += 1
    except Exception as exc:  # noqa: BLE001 — locked, full, or gone: retry in the background
        log.warning("query log deferred (%s)", exc)
        _enqueue(entry)


def _enqueue(entry: QueryLog) -> None:
    global _worker
    try:
        _retry_queue.put_nowait((entry, 0))
    except queue.Full:
        stats["failed"] += 1
        log.error("query log retry queue is full; a log was dropped")
        return
    with _worker_lock:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_drain, name="query-log-retry", daemon=True)
            _worker.start()


def _drain() -> None:
    while True:
        entry, attempt = _retry_queue.get()
        time.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])
        try:
            entry.save(force_insert=True)
            stats["retried"] += 1
        except Exception as exc:  # noqa: BLE001
            if attempt + 1 < len(RETRY_DELAYS):
                _retry_queue.put((entry, attempt + 1))
            else:
                stats["failed"] += 1
                log.error("query log lost after %d attempts: %s", attempt + 1, exc)
        finally:
            connection.close()  # this thread's connection; a fresh one next time


def pending() -> int:
    return _retry_queue.qsize()


def flush(timeout: float = 5.0) -> None:
    """Write queued logs now (at exit, and in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            entry, attempt = _retry_queue.get_nowait()
        except queue.Empty:
            return
        try:
            entry.save(force_insert=True)
            stats["retried"] += 1
        except Exception:  # noqa: BLE001
            _retry_queue.put((entry, attempt + 1))
            time.sleep(0.2)


atexit.register(flush)
