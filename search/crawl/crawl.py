"""Crawling sources into documents: the service behind `manage.py crawl`, `manage.py ingest URL`
and the cluster's scheduled crawl.

Which sources are due, a lease so that one source is never crawled twice at once, a time budget
within the cluster's task timeout, and the outcome recorded on the Source. Web sources and URLs
are crawled by a CrawlRun (crawl_run.py); local and JSONL sources are read with paths_ingest.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from ..ingest import paths_ingest
from ..models import CrawledUrl, Source
from .crawl_run import CrawlRun
from .fetch import Fetcher, FetchPolicy
from .report import CrawlReport, Progress

log = logging.getLogger(__name__)

LEASE = timedelta(hours=2)  # a crawl killed mid-way frees its source after this
MAX_SKIPPED_KEPT = 200  # reasons kept on the Source


def fetch_policy() -> FetchPolicy:
    return FetchPolicy(
        user_agent=settings.CRAWL_USER_AGENT,
        timeout=settings.CRAWL_TIMEOUT_SECONDS,
        max_bytes=settings.CRAWL_MAX_BYTES,
        retries=settings.CRAWL_RETRIES,
        backoff=settings.CRAWL_RETRY_BACKOFF_SECONDS,
        host_delay=settings.CRAWL_HOST_DELAY_SECONDS,
        allow_private=settings.CRAWL_ALLOW_PRIVATE,
    )


def source_is_due(source: Source, *, now: datetime) -> bool:
    if not (source.enabled and source.location.strip()):
        return False
    last = source.last_crawled_at
    return last is None or last + timedelta(minutes=source.crawl_interval_minutes) <= now


def sources_due(*, now: datetime | None = None) -> list[Source]:
    now = now or timezone.now()
    candidates = Source.objects.filter(enabled=True).exclude(location="")
    return [source for source in candidates if source_is_due(source, now=now)]


def validators_forget(source_ids: list[int]) -> int:
    """Forget the ETag/Last-Modified remembered for these sources, so their next crawl reads
    everything again (e.g. after a parser improvement); returns how many addresses were reset."""
    return CrawledUrl.objects.filter(source_id__in=source_ids).update(etag="", last_modified="")


def _lease_take(source_id: int) -> bool:
    """Marks the source as being crawled unless a crawl already holds it (across processes)."""
    now = timezone.now()
    free = Q(crawl_lease_until__isnull=True) | Q(crawl_lease_until__lt=now)
    return Source.objects.filter(free, pk=source_id).update(crawl_lease_until=now + LEASE) == 1


def source_crawl(*, source_id: int, progress: Progress | None = None) -> CrawlReport:
    """Crawl one source now and record the outcome on it. Never raises for bad input or bad sites."""
    source = Source.objects.get(pk=source_id)
    report = CrawlReport()
    if not _lease_take(source_id):
        report.error = "a crawl of this source is already running"
        return report
    try:
        if not source.location.strip():
            report.error = "the source has no location to crawl"
        elif source.kind in (Source.Kind.LOCAL, Source.Kind.JSONL):
            report.add(paths_ingest(source.location.splitlines(), source=source.name))
        else:
            with Fetcher(fetch_policy()) as fetcher:
                CrawlRun(source=source, fetcher=fetcher, report=report, progress=progress,
                         deadline=time.monotonic() + _time_budget() / 2).crawl_source()
    except Exception as exc:  # noqa: BLE001 — recorded on the source for staff; the next source still runs
        log.exception("crawl of source %s failed", source.name)
        report.error = f"internal error ({type(exc).__name__}: {exc})"
    finally:
        Source.objects.filter(pk=source_id).update(
            last_crawled_at=timezone.now(), last_crawl_status=report.status, last_crawl_counts=report.counts(),
            last_crawl_error=report.error,
            last_crawl_skipped=[list(item) for item in report.skipped[:MAX_SKIPPED_KEPT]],
            crawl_lease_until=None,
        )
    log.debug("crawled %s: %s", source.name, report.summary())
    return report


def _time_budget() -> float:
    """Seconds one crawl run may take: half the cluster's task timeout, so that a run ends and
    records its outcome before the cluster would kill it. Sources start only in its first half,
    and one source stops after half of it; pages left over wait for the next crawl."""
    return settings.Q_CLUSTER["timeout"] / 2


def sources_crawl(*, source_ids: list[int] | None = None) -> dict[str, CrawlReport]:
    """Crawl the given sources, or those that are due; reports by source name. Sources not started
    within the time budget stay due for the next run."""
    sources = list(Source.objects.filter(pk__in=source_ids)) if source_ids is not None else sources_due()
    deadline = time.monotonic() + _time_budget() / 2
    reports = {}
    for source in sources:
        if time.monotonic() > deadline:
            break
        reports[source.name] = source_crawl(source_id=source.id)
    return reports


def urls_ingest(*, urls: list[str], source: str = "web", progress: Progress | None = None) -> CrawlReport:
    """Fetch pages, feeds or sitemaps given by URL once, into documents of the named source."""
    name = slugify(source)[:100] or "web"
    owner, _ = Source.objects.get_or_create(name=name, defaults={"label": source, "kind": Source.Kind.PAGES})
    report = CrawlReport()
    with Fetcher(fetch_policy()) as fetcher:
        crawl = CrawlRun(source=owner, fetcher=fetcher, report=report, progress=progress,
                         deadline=time.monotonic() + _time_budget() / 2)
        for url in urls:
            crawl.crawl_url(url)
    return report
