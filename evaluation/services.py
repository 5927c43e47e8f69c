"""Writes and reads of the evaluation app that views, commands and tasks share."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, Min, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from . import identity
from . import query_log
from . import upsert
from .metrics import ClickRow, LogRow, VoteRow, online_metrics, online_metrics_by
from .models import Click, Feedback, MetricSnapshot, QueryLog


class FeedbackError(ValueError):
    """Feedback that cannot be stored; the message is safe to show."""


def feedback_record(*, request, log_id: str, sentence_id: int, action: str, vote: int | None = None,
                    comment: str = "") -> str:
    """Store a click or a vote for a hit that was shown; returns created / updated / unchanged.

    Idempotent: a repeated click or the same vote is stored once; a changed vote replaces the
    earlier one. Rank and document come from the log, never from the client.
    """
    try:
        public_id = uuid.UUID(str(log_id))
    except ValueError:
        raise FeedbackError("unknown query log id") from None
    entry = QueryLog.objects.filter(public_id=public_id).first()
    if entry is None:  # a vote right after the search: its log row may still be queued
        query_log.wait_for(public_id)
        entry = QueryLog.objects.filter(public_id=public_id).first()
    if entry is None:
        raise FeedbackError("unknown query log id")
    shown = entry.result_at(sentence_id)
    if shown is None:
        raise FeedbackError("that hit was not shown for this search")
    rank, document_id = shown
    who = {"session_hash": identity.session_hash(request), "client_hash": identity.client_hash(request)}
    if action == "click":
        click = Click(log=entry, sentence_id=sentence_id, document_id=document_id, rank=rank, **who)
        return "created" if upsert.insert_once(click, unique=["log", "sentence_id"]) else "unchanged"
    if action != "vote" or vote not in (1, -1):
        raise FeedbackError("action must be 'click', or 'vote' with vote 1 or -1")
    had_vote = Feedback.objects.filter(log=entry, sentence_id=sentence_id).exists()
    ballot = Feedback(log=entry, sentence_id=sentence_id, document_id=document_id, rank=rank, vote=vote,
                      comment=comment[:1000], **who)
    if not upsert.insert_or_update(ballot, unique=["log", "sentence_id"], update=["vote", "comment"]):
        return "unchanged"
    return "updated" if had_vote else "created"


# --- metrics --------------------------------------------------------------------------------


def metric_rows(start: datetime | None = None, end: datetime | None = None, *, interfaces=("web", "api")):
    logs = QueryLog.objects.filter(interface__in=interfaces)
    if start:
        logs = logs.filter(created_at__gte=start)
    if end:
        logs = logs.filter(created_at__lt=end)
    log_rows = [
        LogRow(*values[:-1], day=values[-1].date().isoformat())
        for values in logs.values_list(
            "id", "normalized", "latency_ms", "result_count", "session_hash", "ranker", "index_version", "created_at"
        ).iterator(chunk_size=2000)
    ]
    ids = logs.values("id")
    clicks = [ClickRow(*v) for v in Click.objects.filter(log__in=ids).values_list("log_id", "rank")]
    votes = [VoteRow(*v) for v in Feedback.objects.filter(log__in=ids).values_list("log_id", "vote")]
    return log_rows, clicks, votes


def metrics_compute(start: datetime | None = None, end: datetime | None = None) -> dict:
    logs, clicks, votes = metric_rows(start, end)
    overall = online_metrics(logs, clicks, votes)
    overall["by_ranker"] = online_metrics_by(logs, clicks, votes, key=lambda r: r.ranker)
    overall["by_index_version"] = online_metrics_by(logs, clicks, votes, key=lambda r: r.index_version)
    return overall


def metrics_recent(*, days: int) -> dict:
    end = timezone.now()
    return metrics_compute(end - timedelta(days=days), end)


def daily_series(*, days: int = 30) -> list[tuple[str, dict]]:
    """(day, metrics) for each of the last `days` days, oldest first; empty days have volume 0."""
    end = timezone.now()
    logs, clicks, votes = metric_rows(end - timedelta(days=days), end)
    by_day = online_metrics_by(logs, clicks, votes, key=lambda r: r.day)
    today = end.date()
    series = []
    for offset in range(days - 1, -1, -1):
        day = (today - timedelta(days=offset)).isoformat()
        series.append((day, by_day.get(day) or online_metrics([], [], [], top=0)))
    return series


def metric_snapshot_compute(*, hours: int = 1, end: datetime | None = None) -> MetricSnapshot:
    """Snapshot the metrics of the last `hours` (a scheduled task and `manage.py metrics --save`)."""
    end = end or timezone.now()
    start = end - timedelta(hours=hours)
    return MetricSnapshot.objects.create(
        window_start=start, window_end=end, kind="online", metrics=metrics_compute(start, end)
    )


def logs_purge(*, days: int | None = None) -> dict:
    """Delete raw logs older than the retention period, after snapshotting each day they cover."""
    days = settings.LOG_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    old = QueryLog.objects.filter(created_at__lt=cutoff).exclude(interface=QueryLog.Interface.LEGACY)
    bounds = old.aggregate(first=Min("created_at"), last=Max("created_at"))
    snapshots = 0
    if bounds["first"]:
        day = bounds["first"].replace(hour=0, minute=0, second=0, microsecond=0)
        while day < cutoff:
            next_day = min(day + timedelta(days=1), cutoff)
            if old.filter(created_at__gte=day, created_at__lt=next_day).exists():
                already = MetricSnapshot.objects.filter(kind="daily", window_start=day).exists()
                if not already:
                    MetricSnapshot.objects.create(
                        window_start=day, window_end=next_day, kind="daily", metrics=metrics_compute(day, next_day)
                    )
                    snapshots += 1
            day = next_day
    deleted, _ = old.delete()
    return {"deleted_rows": deleted, "daily_snapshots": snapshots, "cutoff": cutoff.isoformat()}


def popular_queries(*, min_sessions: int = 5, limit: int = 20, zero_results: bool | None = None) -> list[dict]:
    """Queries asked by at least `min_sessions` distinct visitors: the only raw text shown publicly.

    A visitor is a network client (identity.client_hash) when the log has one, else its session,
    as for judgments: many sessions or User-Agents of one machine are one visitor."""
    logs = QueryLog.objects.filter(interface__in=("web", "api"))
    if zero_results is not None:
        logs = logs.filter(zero_results=zero_results)
    voice = Coalesce(NullIf("client_hash", Value("")), "session_hash")
    rows = (
        logs.values("normalized")
        .annotate(sessions=Count(voice, distinct=True), count=Count("id"))
        .filter(sessions__gte=min_sessions)
        .order_by("-count")[:limit]
    )
    return [{"query": r["normalized"], "count": r["count"], "sessions": r["sessions"]} for r in rows]
