"""Background tasks of the search app, run by the django-q2 cluster (ids in, never model instances)."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

REBUILD_SCHEDULE = "index-rebuild"
REBUILD_DEBOUNCE_SECONDS = 20
MANAGE = Path(__file__).resolve().parents[1] / "manage.py"


def index_rebuild_request(*, reason: str, delay_seconds: int = REBUILD_DEBOUNCE_SECONDS) -> None:
    """Ask the cluster for a rebuild in `delay_seconds`; requests within that window share one build."""
    from django_q.models import Schedule

    run_at = timezone.now() + timedelta(seconds=delay_seconds)
    with transaction.atomic():
        pending = Schedule.objects.filter(name=REBUILD_SCHEDULE).first()
        if pending is None:
            Schedule.objects.create(
                name=REBUILD_SCHEDULE, func="search.tasks.index_rebuild", schedule_type=Schedule.ONCE,
                repeats=-1, next_run=run_at,
            )
        elif delay_seconds == 0 and pending.next_run > run_at:
            pending.next_run = run_at
            pending.save(update_fields=["next_run"])
    log.info("index rebuild requested (%s)", reason)


def index_rebuild() -> str:
    """Build and activate a new version in a child process (both cores, memory freed afterwards)."""
    result = subprocess.run(
        [sys.executable, str(MANAGE), "reindex", "--verbosity", "0"],
        capture_output=True, text=True, timeout=settings.Q_CLUSTER["timeout"] - 60,
    )
    if result.returncode == 0:
        return result.stdout.strip()
    if "another index build is running" in result.stderr:
        index_rebuild_request(reason="a build was already running", delay_seconds=60)
        return "another build was running; retrying in a minute"
    raise RuntimeError(f"reindex failed: {result.stderr.strip()[-2000:]}")
