"""The feedback endpoint and the public evaluation pages (aggregates only)."""

from __future__ import annotations

import re

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe, require_POST

from search import safe_json

from . import query_log
from .charts import line_chart
from .models import MetricSnapshot
from .services import FeedbackError, daily_series, feedback_record, metrics_recent, popular_queries

MAX_FEEDBACK_BYTES = 4096


def _whole_number(value) -> int:
    """An integer, or its decimal digits (a form post): never a fraction truncated (1.9 is not 1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip()):
        return int(value)
    raise ValueError(f"not a whole number: {value!r}")


@require_POST
def feedback(request):
    """POST /api/feedback: {"log_id", "hit_id", "action": "click"|"vote", "vote": 1|-1, "comment"?}."""
    try:  # by the declared length first: a body over DATA_UPLOAD_MAX_MEMORY_SIZE cannot even be read
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_FEEDBACK_BYTES or len(request.body) > MAX_FEEDBACK_BYTES:
        return JsonResponse({"error": f"request body too large (at most {MAX_FEEDBACK_BYTES} bytes)"}, status=413)
    try:
        if request.content_type == "application/json":
            data = safe_json.loads(request.body or b"{}", max_depth=4)  # a flat object; deep nesting is refused
        else:
            data = request.POST.dict()
        if not isinstance(data, dict):
            raise ValueError
    except safe_json.JSONRejected as exc:
        return JsonResponse({"error": f"the body must be a JSON object: {exc}"}, status=400)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body must be a JSON object"}, status=400)
    try:
        hit_id = _whole_number(data.get("hit_id"))
        vote = data.get("vote")
        vote = _whole_number(vote) if vote not in (None, "") else None
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


@require_safe
def landing(request):
    week = metrics_recent(days=7)
    return render(request, "evaluation/landing.html", {"week": week})


@require_safe
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
        "logging": {**query_log.stats, "pending": query_log.pending()},
        "by_ranker": sorted(month["by_ranker"].items()),
        "by_index": sorted(month["by_index_version"].items(), reverse=True)[:10],
    })
