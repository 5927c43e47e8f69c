"""What the site is fetching and when it will be searchable: the home page's "Live sources" panel.

A few small queries over Source, Document and IndexBuild (tens of sources at most), no index access.
When new or updated documents wait for a build, the wait is estimated from the last build: the
rebuild delay plus its duration scaled by how many more documents the next build reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from .models import Document, IndexBuild, Source

SCHEDULE_MINUTES = 15  # how often the cluster looks for due sources (cryptosights_project/schedules.py)


@dataclass
class SourceRow:
    name: str
    label: str
    kind: str
    state: str  # "fetching", "waiting", "ok", "partial", "failed"
    documents: int
    last_crawled_at: datetime | None
    next_crawl_at: datetime | None
    error: str = ""


@dataclass
class SourcesStatus:
    sources: list[SourceRow]
    waiting_documents: int  # stored but not yet in the active index
    building: bool  # a build is running now
    searchable_in: timedelta | None  # estimate for the waiting documents, when there are any
    fetching: bool  # some source is being fetched or has never been fetched

    @property
    def message(self) -> str:
        if self.waiting_documents:
            minutes = max(1, round(self.searchable_in.total_seconds() / 60)) if self.searchable_in else 1
            doing = "being indexed now" if self.building else "waiting for the next index build"
            return (f"{self.waiting_documents:,} new or updated document{'s' if self.waiting_documents != 1 else ''} "
                    f"{doing}: searchable in about {minutes} minute{'s' if minutes != 1 else ''}.")
        if self.fetching:
            return "Sources are being fetched; what they bring is searchable a few minutes after each fetch."
        return "Everything fetched so far is searchable."


def _state(source: Source, now: datetime) -> str:
    if source.crawl_lease_until and source.crawl_lease_until > now:
        return "fetching"
    if source.last_crawled_at is None:
        return "waiting"
    return source.last_crawl_status or "ok"


def sources_status(*, now: datetime | None = None) -> SourcesStatus | None:
    """None when no source is enabled (nothing is fetched: the panel is not shown)."""
    now = now or timezone.now()
    sources = list(Source.objects.filter(enabled=True).exclude(location=""))
    if not sources:
        return None
    counts = dict(Document.objects.filter(source__in=sources).values_list("source").annotate(n=Count("id")))
    rows = []
    for source in sources:
        next_at = None
        if source.last_crawled_at:
            next_at = source.last_crawled_at + timedelta(minutes=source.crawl_interval_minutes)
        rows.append(SourceRow(
            name=source.name, label=source.label or source.name, kind=source.get_kind_display(),
            state=_state(source, now), documents=counts.get(source.pk, 0), last_crawled_at=source.last_crawled_at,
            next_crawl_at=max(next_at, now) if next_at else None, error=source.last_crawl_error[:300],
        ))
    order = {"fetching": 0, "waiting": 1}
    rows.sort(key=lambda row: (order.get(row.state, 2), row.name))
    active = IndexBuild.objects.active().first()
    documents = Document.objects.all()
    waiting = documents.filter(updated_at__gt=active.started_at).count() if active else documents.count()
    building = IndexBuild.objects.filter(status=IndexBuild.Status.RUNNING).exists()
    estimate = None
    if waiting:
        estimate = timedelta(seconds=settings.INDEX_REBUILD_DELAY_SECONDS)
        if active and active.finished_at:
            scale = max(1.0, documents.count() / max(active.documents, 1))
            estimate += (active.finished_at - active.started_at) * scale
    return SourcesStatus(
        sources=rows, waiting_documents=waiting, building=building, searchable_in=estimate,
        fetching=any(row.state in ("fetching", "waiting") for row in rows),
    )
