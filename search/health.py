"""/health: is this worker serving, and is the background side alive?"""

from __future__ import annotations

import time
from pathlib import Path

import psutil
from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from .active_index import get_index, holder
from .models import IndexBuild

HEARTBEAT_FILE = "cluster-heartbeat"
HEARTBEAT_STALE_SECONDS = 180  # the heartbeat task runs every minute


def heartbeat_path() -> Path:
    return Path(settings.DATA_DIR) / HEARTBEAT_FILE


def _shared_cache():
    """Redis (REDIS_URL), where nodes that do not share DATA_DIR see each other's heartbeat; or None."""
    if "shared" not in settings.CACHES:
        return None
    from django.core.cache import caches

    return caches["shared"]


def cluster_heartbeat() -> str:
    """Task run by the cluster every minute: proves it takes and runs tasks."""
    now = time.time()
    heartbeat_path().write_text(str(now))
    if (shared := _shared_cache()) is not None:
        shared.set(HEARTBEAT_FILE, now, timeout=HEARTBEAT_STALE_SECONDS * 10)  # a dead site's key goes too
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
    try:
        age = time.time() - _heartbeat_time()
    except (OSError, ValueError):
        return {"alive": False, "heartbeat_age_seconds": None}
    return {"alive": age < HEARTBEAT_STALE_SECONDS, "heartbeat_age_seconds": round(age, 1)}


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
    return {"version": build.version, "status": build.status, "error": build.error[:500] or None,
            "finished_at": build.finished_at.isoformat() if build.finished_at else None}


@require_GET
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
        "index_error": holder.load_error or None,
        "last_build": _last_build(),
        "cluster": _cluster_status(),
        "pending_tasks": _pending_tasks(),
        "worker": {"pid": psutil.Process().pid, "rss_bytes": psutil.Process().memory_info().rss},
    }
    return JsonResponse(body, status=200 if index is not None else 503)
