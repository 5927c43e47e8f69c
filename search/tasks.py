"""Background tasks of the search app, run by the django-q2 cluster (ids in, never model instances).

Rebuilds are requested by enqueueing `index_rebuild`; the task waits a few seconds (so a burst
of ingests is covered by one build) and then builds only if documents changed since the active
version was built. Queued duplicates therefore cost one cheap check each: the first one builds,
the rest find the index current. The file lock in search.indexing keeps builds exclusive
across processes (e.g. a `manage.py reindex` run by hand at the same time).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db.models import Max

log = logging.getLogger(__name__)

MANAGE = Path(__file__).resolve().parents[1] / "manage.py"


def index_rebuild_request(*, reason: str, force: bool = False) -> None:
    """Queue a rebuild for the cluster (cheap; safe to call after every ingest)."""
    from django_q.tasks import async_task

    async_task("search.tasks.index_rebuild", reason=reason, force=force, group="index-rebuild")
    log.info("index rebuild requested (%s)", reason)


def index_is_stale() -> bool:
    """True when no version is active or documents changed since the active one was built."""
    from .models import Document, IndexBuild

    active = IndexBuild.objects.active().first()
    if active is None:
        return Document.objects.exists()
    latest = Document.objects.aggregate(latest=Max("updated_at"))["latest"]
    return (latest is not None and latest > active.started_at) or Document.objects.count() != active.documents


def index_rebuild(reason: str = "", force: bool = False) -> str:
    """Build and activate a new version in a child process (both cores, memory freed afterwards)."""
    from .indexing import BuildInProgress

    time.sleep(settings.INDEX_REBUILD_DELAY_SECONDS)
    if not force and not index_is_stale():
        return "index already up to date"
    result = subprocess.run(
        [sys.executable, str(MANAGE), "reindex", "--verbosity", "0"],
        capture_output=True, text=True, timeout=max(60, settings.Q_CLUSTER["timeout"] - 60),
    )
    if result.returncode == 0:
        return result.stdout.strip()
    if result.returncode == BuildInProgress.exit_code:
        index_rebuild_request(reason="a build was already running")
        return "another build was running; queued again"
    raise RuntimeError(f"reindex failed: {result.stderr.strip()[-2000:]}")


def interrupted_builds_rebuild() -> str:
    """Scheduled every minute: a build whose process died is marked failed and rebuilt at once,
    instead of waiting for the queue to hand its lost task out again (Q_CLUSTER's retry)."""
    from .indexing import interrupted_builds_recover

    lost = interrupted_builds_recover()
    if not lost:
        return "no interrupted build"
    index_rebuild_request(reason=f"the build of {', '.join(lost)} was interrupted")
    return f"marked failed and queued a rebuild: {', '.join(lost)}"


def crawl_due_sources(source_ids: list[int] | None = None) -> str:
    """Crawl the sources whose interval has passed (or the given ones, e.g. from the admin), then
    queue a debounced rebuild if any document changed. Scheduled every few minutes.

    Specification archives go first (one request each, hundreds of documents): when they changed
    and slower sources (feeds, sites: a request per page) are due too, the index is rebuilt here
    before those are crawled, so a new deployment searches the specifications within minutes
    instead of after every feed (a queued rebuild would wait behind this task on a one-worker cluster)."""
    from .crawl.crawl import sources_crawl, sources_due
    from .models import Source

    ids = source_ids if source_ids is not None else [source.id for source in sources_due()]
    kinds = dict(Source.objects.filter(pk__in=ids).values_list("pk", "kind"))
    archives = [pk for pk in ids if kinds.get(pk) == Source.Kind.ARCHIVE]
    others = [pk for pk in ids if pk in kinds and pk not in archives]
    summaries, pending = [], []  # pending: changes no build has covered yet
    for group in (archives, others):
        if not group:
            continue
        reports = sources_crawl(source_ids=group)
        summaries += [f"{name}: {report.summary()}" for name, report in reports.items()]
        pending += [f"{name} ({report.summary()})" for name, report in reports.items() if report.changed]
        if pending and group is archives and others:
            try:
                log.info("crawl: %s", index_rebuild(reason=f"crawl: {'; '.join(pending)}"))
                pending = []
            except Exception:  # noqa: BLE001 — the feeds still get crawled; the rebuild is queued below
                log.exception("rebuild after the specification archives failed")
    if pending:
        index_rebuild_request(reason=f"crawl: {'; '.join(pending)}")
    return "; ".join(summaries) or "no source was due"
