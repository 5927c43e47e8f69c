"""The feedback endpoint and the public evaluation pages (aggregates only)."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from . import logging as query_logging
from .charts import line_chart
from .models import MetricSnapshot
from .services import FeedbackError, daily_series, feedback_record, metrics_recent, popular_queries

MAX_FEEDBACK_BYTES = 4096


@require_POST
def feedback(request):
    """POST /api/feedback: {"log_id", "hit_id", "action": "click"|"vote", "vote": 1|-1, "comment"?}."""
    if len(request.body) > MAX_FEEDBACK_BYTES:
        return JsonResponse({"error": "request body too large"}, status=413)
    try:
        if request.content_type == "application/json":
            data = json.loads(request.body or b"{}")
        else:
            data = request.POST.dict()
        if not isinstance(data, dict):
            raise ValueError
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body must be a JSON object"}, status=400)
    try:
        hit_id = int(data.get("hit_id"))
        vote = data.get("vote")
        vote = int(vote) if vote not in (None, "") else None
    except (TypeError, ValueError):
        return JsonResponse({"error": "hit_id and vote must be whole numbers"}, status=400)
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        return JsonResponse({"error": "comment must be text"}, status=400)
    try:
        stored = feedback_record(
            request=request, log_id=str(data.get("log_id") or ""), sentence_id=hit_id,
            action=str(data.get("action") or ""), vote=vote, comment=comment,
        )
    except FeedbackError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"ok": True, "stored": stored})


@require_GET
def landing(request):
    week = metrics_recent(days=7)
    return render(request, "evaluation/landing.html", {"week": week})


@require_GET
def dashboard(request):
    series = daily_series(days=30)
    specs = [
        ("Searches per day", "volume", "", "volume"),
        ("95th percentile answer time per day (ms)", "latency_p95_ms", " ms", "latency"),
        ("Share of searches with no result", "zero_result_rate", "%", "zero"),
        ("Click-through rate", "ctr", "%", "ctr"),
        ("Share of helpful votes", "satisfaction", "%", "satisfaction"),
    ]
    charts = [
        (title, line_chart([(day[5:], m[key]) for day, m in series], title=title, unit=unit, chart_id=chart_id))
        for title, key, unit, chart_id in specs
    ]
    month = metrics_recent(days=30)
    offline = MetricSnapshot.objects.filter(kind="offline").order_by("-created_at")[:20]
    return render(request, "evaluation/dashboard.html", {
        "charts": charts,
        "month": month,
        "popular": popular_queries(min_sessions=5),
        "content_gaps": popular_queries(min_sessions=5, zero_results=True),
        "offline": offline,
        "logging": {**query_logging.stats, "pending": query_logging.pending()},
        "by_ranker": sorted(month["by_ranker"].items()),
        "by_index": sorted(month["by_index_version"].items(), reverse=True)[:10],
    })
