"""/health: is this worker serving, and is the background side alive?"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from .serving_state import get_index, state
from .cluster_status import cluster_status
from .indexing import builder_alive
from .models import DatabaseIdentity, IndexBuild

HEARTBEAT_FILE = "cluster-heartbeat"
SHARED_HEARTBEAT_STALE_SECONDS = 180  # three missed runs of the every-minute task


def heartbeat_path() -> Path:
    return Path(settings.DATA_DIR) / HEARTBEAT_FILE


def _shared_cache():
    """Redis (REDIS_URL), where nodes that do not share DATA_DIR see each other's heartbeat; or None."""
    if "shared" not in settings.CACHES:
        return None
    from django.core.cache import caches

    return caches["shared"]


def cluster_heartbeat() -> str:
    """Task run by the cluster every minute: proves that scheduled tasks are queued and run."""
    now = time.time()
    heartbeat_path().write_text(str(now))
    if (shared := _shared_cache()) is not None:
        shared.set(HEARTBEAT_FILE, now, timeout=SHARED_HEARTBEAT_STALE_SECONDS * 10)  # a dead site's key goes too
    return "ok"


def _heartbeat_time() -> float:
    if (shared := _shared_cache()) is not None:
        try:
            stamp = shared.get(HEARTBEAT_FILE)
        except Exception:  # noqa: BLE001 — Redis down: fall back to this node's file
            stamp = None
        if stamp is not None:
            return float(stamp)
    return float(heartbeat_path().read_text())


def _cluster_status() -> dict:
    """Alive: a worker process beat within cluster_status.STALE_SECONDS (it beats while busy too).
    The every-minute task's age says whether the queue moves (it waits while a long task runs)."""
    status = cluster_status()
    try:
        status["scheduled_task_age_seconds"] = round(time.time() - _heartbeat_time(), 1)
    except (OSError, ValueError):
        status["scheduled_task_age_seconds"] = None
    # A web node that shares no DATA_DIR with the cluster sees no worker files: the every-minute
    # task's beat in Redis is then the only sign of life it has.
    if not status["workers"] and _shared_cache() is not None:
        age = status["scheduled_task_age_seconds"]
        status["alive"] = age is not None and age < SHARED_HEARTBEAT_STALE_SECONDS
    return status


def _pending_tasks() -> int | None:
    try:
        from django_q.brokers import get_broker

        return get_broker().queue_size()
    except Exception:  # noqa: BLE001 — a broker hiccup must not fail the health check
        return None


def _last_build() -> dict | None:
    try:
        build = IndexBuild.objects.order_by("-started_at").first()
    except DatabaseError:
        return None
    if build is None:
        return None
    body = {"version": build.version, "status": build.status, "error": build.error[:500] or None,
            "started_at": build.started_at.isoformat(),
            "finished_at": build.finished_at.isoformat() if build.finished_at else None}
    if build.status == IndexBuild.Status.RUNNING:
        body["builder_alive"] = builder_alive()  # False: it died; the cluster marks it failed within a minute
    return body


def _database() -> dict:
    """Which database this process uses: its random id and engine (never a path or credentials)."""
    try:
        return {"id": DatabaseIdentity.current(), "engine": connection.vendor}
    except DatabaseError:
        return {"id": None, "engine": connection.vendor}


@require_safe
def health(request):
    index = get_index()
    body = {
        "status": "ok" if index is not None else "starting",
        "timestamp": timezone.now().isoformat(),
        "index_loaded": index is not None,
        "index_version": index.version if index else None,
        "documents": index.document_count if index else 0,
        "sentences": index.sentence_count if index else 0,
        "artifact_bytes": index.disk_bytes() if index else 0,
        "index_error": state.load_error or None,
        "database": _database(),
        "last_build": _last_build(),
        "cluster": _cluster_status(),
        "pending_tasks": _pending_tasks(),
        "worker": {"pid": psutil.Process().pid, "rss_bytes": psutil.Process().memory_info().rss},
    }
    return JsonResponse(body, status=200 if index is not None else 503)
