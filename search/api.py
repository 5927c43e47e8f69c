"""The JSON API under /api/ (POST /api/feedback lives in the evaluation app).

Thin callers of the search service: parameters are validated by `parse_request`, errors are JSON
400s {"error", "field"}, and /api/openapi.json describes every endpoint (a test checks real
responses against it).
"""

from __future__ import annotations

import functools
import json
import secrets
import string

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from evaluation.query_log import search_log_record
from evaluation.services import popular_queries

from .models import IndexBuild
from .nlp.coins import COIN_BY_SLUG
from .openapi import openapi_document
from .result_page import layout
from .search_request import InvalidQuery, parse_request
from .search_service import run_search
from .serving_state import get_index
from .suggestions import suggestions
from .site_stats import corpus_stats, summarize
from .views import EXAMPLE_QUESTIONS

INDEX_BUILDING = "the search index is being built; try again shortly"
SUGGEST_MAX_CHARS = 100
SUGGEST_LIMIT = 8
POPULAR_CACHE_KEY, POPULAR_CACHE_SECONDS = "search:popular-queries", 300


def _error(message: str, field: str | None = None, status: int = 400) -> JsonResponse:
    body = {"error": message}
    if field:
        body["field"] = field
    return JsonResponse(body, status=status)


CSRF_ALPHABET = string.ascii_letters + string.digits  # Django's CSRF_ALLOWED_CHARS
CSRF_SECRET_LENGTH = 32


def _new_csrf_secret() -> str:
    """A CSRF secret as Django makes one (32 characters of CSRF_ALPHABET, uniformly random),
    from one draw of the system's random source instead of one per character."""
    number, chars = secrets.randbelow(len(CSRF_ALPHABET) ** CSRF_SECRET_LENGTH), []
    for _ in range(CSRF_SECRET_LENGTH):
        number, digit = divmod(number, len(CSRF_ALPHABET))
        chars.append(CSRF_ALPHABET[digit])
    return "".join(chars)


def csrf_cookie_if_missing(view):
    """Give API clients the `csrftoken` cookie they send feedback with, when they have none.

    Django's ensure_csrf_cookie also masks a token for a template on every request: 64 random
    characters at one system call each, which cost more than the rest of a cached search.
    A JSON client needs only the cookie; CsrfViewMiddleware sets it from these META keys
    (as its own _add_new_csrf_cookie does) and checks feedback against it as usual.
    """
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if "CSRF_COOKIE" not in request.META:  # the middleware found no valid cookie
            request.META.update(CSRF_COOKIE=_new_csrf_secret(), CSRF_COOKIE_NEEDS_UPDATE=True)
        return view(request, *args, **kwargs)
    return wrapped


@require_safe
@csrf_cookie_if_missing
def search(request):
    index = get_index()
    if index is None:
        return _error(INDEX_BUILDING, status=503)
    try:
        search_request = parse_request(request.GET)
    except InvalidQuery as exc:
        return _error(str(exc), exc.field)
    if not search_request.q:
        return _error("'q' is required", "q")
    response = run_search(index, search_request)
    # The page's search-as-you-type marks its requests: partial questions are kept apart in the metrics.
    interface = "live" if request.headers.get("X-Live-Search") == "1" else "api"
    log_id = search_log_record(request=request, response=response, interface=interface)
    per_request = {"log_id": log_id, "timings_ms": response.timings_ms, "cached": response.cached}
    # The rest of the body is the same for every request this answer serves: encoded once per
    # answer and kept with it in the cache. The hits, most of it, are the cache's own JSON text.
    encoded = response.encoded()
    if not encoded.api_json:
        encoded.api_json = _json_members(_answer_fields(response)) + f', "hits": {encoded.hits_json}'
    body = "{" + _json_members(per_request) + ", " + encoded.api_json + "}"
    return HttpResponse(body, content_type="application/json")


def _json_members(values: dict) -> str:
    """The members of a JSON object without its braces, so a body can be joined from parts
    encoded at different times (as json.dumps writes them)."""
    return ", ".join(f"{json.dumps(name)}: {json.dumps(value)}" for name, value in values.items())


def _answer_fields(response) -> dict:
    return {
        "query": response.request.as_dict(),
        "total": response.total,
        "all_words": response.all_words,
        "incomplete": response.incomplete,
        "pages": response.pages,
        "query_coins": [{"slug": s, "name": COIN_BY_SLUG[s].name} for s in response.query_coins],
        "insight": summarize(response.hits),
        "did_you_mean": response.did_you_mean,
        "corrected_query": response.corrected_query,
        "index_version": response.index_version,
        "ranker": response.ranker_id,
        **layout(response),  # "groups" and "best_answer" (search/result_page.py)
    }


def _popular_questions() -> list[tuple[str, int]]:
    """(question, distinct visitors) of past questions asked by at least three visitors (cached:
    this runs per keystroke)."""
    questions = cache.get(POPULAR_CACHE_KEY)
    if questions is None:
        questions = [(row["query"], row["sessions"]) for row in popular_queries(min_sessions=3, limit=500)]
        cache.set(POPULAR_CACHE_KEY, questions, POPULAR_CACHE_SECONDS)
    return questions


@require_safe
def suggest(request):
    """Whole suggestions for a partly typed question (search/completion.py)."""
    raw = request.GET.get("q", "")
    if len(raw) > SUGGEST_MAX_CHARS:
        return _error(f"'q' must be at most {SUGGEST_MAX_CHARS} characters", "q")
    text = " ".join(raw.split())
    if not text:
        return JsonResponse({"q": text, "suggestions": []})
    # The examples count as asked by a few visitors, so a popular question can outrank them.
    questions = [*((q, 3) for q in EXAMPLE_QUESTIONS), *_popular_questions()]
    found = suggestions(get_index(), raw, questions, limit=SUGGEST_LIMIT)
    return JsonResponse({"q": text, "suggestions": found})


@require_safe
def stats(request):
    index = get_index()
    if index is None:
        return _error(INDEX_BUILDING, status=503)
    build = IndexBuild.objects.active().first()
    return JsonResponse(
        {
            "index_version": index.version,
            "built_at": build.finished_at.isoformat() if build and build.finished_at else None,
            "activated_at": build.activated_at.isoformat() if build and build.activated_at else None,
            **corpus_stats(index),
        }
    )


@require_safe
def openapi(request):
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 1})
