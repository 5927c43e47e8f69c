"""The one function the search side calls to log a search: `search_log_record`.

Logging must never fail or slow a search. A search hands its row to this process's writer
thread and is answered at once; the writer inserts whatever has queued up every
QUERY_LOG_BATCH_MS in one transaction (one bulk INSERT; a COPY on PostgreSQL). So the request
never waits for the database's write lock, and a hundred searches cost one commit instead of a hundred. If the
database is locked or down, the writer keeps the rows and retries with back-off; rows that
still cannot be written, or that overflow the queue, are counted (shown by /health) and
reported in the log. Every row has a UUID made before it is written, so the page can send
clicks and votes at once: feedback for a row still queued waits for it (`wait_for`).

With QUERY_LOG_BATCH_MS = 0 the request's own thread writes its row (the unit tests use this,
so a row can be asserted right after the response); a failed write is still kept and retried.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import time
import uuid
from collections import deque

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from search.services import MAX_QUERY_CHARS, normalize_query

from . import identity
from .timing import elapsed_ms
from .models import QueryLog

log = logging.getLogger(__name__)

MAX_PENDING = 20_000  # rows held while the database is unavailable (a few MB)
MAX_BATCH = 1_000
RETRY_DELAYS = (0.5, 1, 2, 4, 8, 15, 30, 60)

_pending: deque[dict] = deque()  # QueryLog field values
_state = threading.Condition()  # guards _pending, _in_flight, _urgent and _writer
_in_flight: list[dict] = []
_urgent = False
_writer: threading.Thread | None = None
stats = {"written": 0, "retried": 0, "failed": 0}


def _batch_seconds() -> float:
    return max(0.0, getattr(settings, "QUERY_LOG_BATCH_MS", 50) / 1000)


def search_log_record(*, request, response, interface: str) -> str:
    """Log one answered search; returns the log's public id. Never raises. A HEAD request (an
    uptime monitor) gets no body, so nobody saw an answer: not logged."""
    if request is not None and request.method == "HEAD":
        return ""
    try:
        entry = dict(  # the QueryLog's fields; the model is made by whichever thread writes it
            public_id=uuid.uuid4(),
            created_at=timezone.now(),
            query=response.request.q[:MAX_QUERY_CHARS],
            normalized=normalize_query(response.request.q),
            # What the visitor waited at the server; the engine's share stays in `timings`.
            latency_ms=elapsed_ms(request, response.timings_ms.get("total", 0.0)),
            timings={**response.timings_ms, "cached": int(response.cached)},
            result_count=response.total,
            zero_results=response.total == 0,
            results=response.result_ids,
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
    if not _queue(entry):
        return ""
    if _batch_seconds() == 0:
        _write_pending_here()
    else:
        _ensure_writer()
    return str(entry["public_id"])


def _queue(entry: dict) -> bool:
    with _state:
        if len(_pending) >= MAX_PENDING:
            stats["failed"] += 1
            log.error("query log queue is full (database unavailable?); a log was dropped")
            return False
        _pending.append(entry)
        if len(_pending) == 1:  # the writer sleeps until the queue has rows; later ones join the batch
            _state.notify_all()
    return True


def _take_batch() -> list[dict]:
    """Move up to MAX_BATCH queued rows in flight (call with _state held)."""
    while _pending and len(_in_flight) < MAX_BATCH:
        _in_flight.append(_pending.popleft())
    return list(_in_flight)


@functools.cache
def _insert_statement() -> tuple[list, str, str]:
    """QueryLog's columns (all but the key), the INSERT for one row of them and the COPY for many
    (PostgreSQL), made once."""
    fields = [f for f in QueryLog._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table, columns = quote(QueryLog._meta.db_table), ", ".join(quote(f.column) for f in fields)
    sql = "INSERT INTO %s (%s) VALUES (%s)" % (table, columns, ", ".join(["%s"] * len(fields)))
    return fields, sql, f"COPY {table} ({columns}) FROM STDIN"


def _insert(rows: list[dict]) -> None:
    """All rows in one transaction. Values go through each field's own conversion for the
    database (as the ORM's insert does) without building and compiling model objects.

    SQLite: one executemany. PostgreSQL: one COPY (about twice as fast as executemany for a batch; figures in
    docs/scaling-out.md), committed without waiting for the disk flush: a server crash may lose the
    last fraction of a second of logs, as SQLite's synchronous=NORMAL may, and a lone row commits
    far faster than with a flushed commit."""
    fields, sql, copy_sql = _insert_statement()
    params = [[f.get_db_prep_save(row[f.attname] if f.attname in row else f.get_default(), connection)
               for f in fields] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, params)
            return
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            for values in params:
                copy.write_row(values)


def _settle(rows: list[dict], kept: bool, *, written: int, retried: bool) -> None:
    """After a write attempt: rows leave the flight; kept ones go back to the front of the queue."""
    with _state:
        _in_flight.clear()
        stats["retried" if retried else "written"] += written
        if kept:
            _pending.extendleft(reversed(rows))
        _state.notify_all()


def _write(rows: list[dict], *, retried: bool = False) -> bool:
    """Insert rows in flight; False when the database is unavailable (the rows are kept)."""
    try:
        _insert(rows)
    except OperationalError as exc:  # locked, disk full, database gone: keep them for a retry
        log.warning("%d query logs deferred (%s)", len(rows), exc)
        _settle(rows, True, written=0, retried=retried)
        return False
    except Exception:  # noqa: BLE001 — a row the database refuses (a bug) must not sink the batch
        log.exception("a batch of query logs was refused; writing its rows one at a time")
        written = 0
        for row in rows:
            try:
                _insert([row])
                written += 1
            except Exception:  # noqa: BLE001
                stats["failed"] += 1
                log.exception("query log refused and dropped: %r", row.get("public_id"))
        _settle(rows, False, written=written, retried=retried)
        return True
    _settle(rows, False, written=len(rows), retried=retried)
    return True


def _write_pending_here() -> None:
    """Inline mode: write what is queued in the calling thread; if it fails, a later call retries."""
    with _state:
        if _in_flight:
            return  # another thread is writing; it takes ours too next time
        rows = _take_batch()
    if rows:
        _write(rows)


def _ensure_writer() -> None:
    global _writer
    with _state:
        if _writer is None or not _writer.is_alive():  # (also after a fork: threads do not survive it)
            _writer = threading.Thread(target=_write_loop, name="query-log-writer", daemon=True)
            _writer.start()


def _write_loop() -> None:
    global _urgent
    failures = 0
    while True:
        with _state:
            _state.wait_for(lambda: _pending)
            if _batch_seconds() == 0:
                return  # switched to inline writes (tests): requests write their own rows
            # Let a batch gather, unless someone waits for it (feedback, shutdown).
            _state.wait_for(lambda: _urgent, timeout=_batch_seconds())
            _urgent = False
            rows = _take_batch()
        if _write(rows, retried=failures > 0):
            failures = 0
            continue
        failures += 1
        connection.close()  # a fresh connection for the next attempt
        if failures >= len(RETRY_DELAYS):
            _drop_queued(f"database unavailable after {failures} attempts")
            failures = 0
        else:
            time.sleep(RETRY_DELAYS[failures - 1])


def _drop_queued(reason: str) -> None:
    with _state:
        lost = len(_pending)
        _pending.clear()
        stats["failed"] += lost
    log.error("%d query logs lost: %s", lost, reason)


def pending() -> int:
    with _state:
        return len(_pending) + len(_in_flight)


def is_pending(public_id: uuid.UUID) -> bool:
    with _state:
        return any(row["public_id"] == public_id for rows in (_pending, _in_flight) for row in rows)


def flush(timeout: float = 5.0) -> bool:
    """Write queued rows now; True when none is left (at exit, for feedback, in tests)."""
    global _urgent
    if _batch_seconds() == 0 or _writer is None or not _writer.is_alive():
        _write_pending_here()
        return pending() == 0
    with _state:
        _urgent = True
        _state.notify_all()
        return _state.wait_for(lambda: not _pending and not _in_flight, timeout=timeout)


def wait_for(public_id: uuid.UUID, timeout: float = 0.5) -> None:
    """Feedback can arrive for a search whose row is still queued, here or in another worker.
    Write this process's queue now; otherwise give another worker's writer a moment."""
    if is_pending(public_id):
        flush(timeout=max(timeout, 2.0))
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not QueryLog.objects.filter(public_id=public_id).exists():
        time.sleep(min(0.05, _batch_seconds() or 0.05))


atexit.register(flush)
