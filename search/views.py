"""Thin views over the search service: pages, the JSON API and /health."""

from __future__ import annotations

import logging

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from evaluation.logging import search_log_record

from .active_index import get_index, holder
from .indexing import active_build
from .nlp.coins import COIN_BY_SLUG, COINS
from .query import InvalidQuery, parse_request, run_search, sentence_info

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS = [
    "how does EIP-1559 burn fees?",
    "what is proof of stake",
    "BIP32 hierarchical deterministic wallets",
    "how do stablecoins keep their peg",
    "what is a Lightning Network payment channel",
    "Hamster Kombat HMSTR airdrop",
]


def _unavailable(request, message: str):
    return render(request, "search/unavailable.html", {"message": message}, status=503)


@require_GET
def home(request):
    index = get_index()
    return render(
        request,
        "search/home.html",
        {"index": index, "examples": EXAMPLE_QUESTIONS, "build": active_build() if index else None},
    )


@require_GET
@ensure_csrf_cookie  # the page posts clicks and votes
def search_page(request):
    index = get_index()
    if index is None:
        return _unavailable(request, "The search index is being built. Please try again in a minute.")
    try:
        search_request = parse_request(request.GET)
    except InvalidQuery as exc:
        return render(request, "search/results.html", {"error": str(exc), "coins": COINS, "index": index}, status=400)
    response = run_search(index, search_request) if search_request.q else None
    log_id = search_log_record(request=request, response=response, interface="web") if response else ""
    return render(
        request,
        "search/results.html",
        {"response": response, "search": search_request, "coins": COINS, "sources": index.sources, "index": index,
         "log_id": log_id},
    )


@require_GET
def document_page(request, doc_id: int):
    index = get_index()
    if index is None:
        return _unavailable(request, "The search index is being built. Please try again in a minute.")
    doc = index.doc_of_key(doc_id)
    if doc is None:
        raise Http404("No such document in the current index.")
    highlight_id = request.GET.get("hit", "")
    sentences = [sentence_info(index, sid) for sid in index.document_sentences(doc)]
    return render(
        request,
        "search/document.html",
        {
            "title": index.doc_title[doc],
            "url": index.doc_url[doc] if index.doc_url[doc].startswith(("http://", "https://")) else "",
            "source": index.sources[int(index.doc_source[doc])],
            "published": index.doc_date_of(doc),
            "sentences": sentences,
            "highlight_id": int(highlight_id) if highlight_id.isdigit() else None,
        },
    )


@require_GET
@ensure_csrf_cookie  # API clients send feedback with this cookie's token
def api_search(request):
    index = get_index()
    if index is None:
        return JsonResponse({"error": "the search index is being built; try again shortly"}, status=503)
    try:
        search_request = parse_request(request.GET)
    except InvalidQuery as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    if not search_request.q:
        return JsonResponse({"error": "'q' is required", "field": "q"}, status=400)
    response = run_search(index, search_request)
    log_id = search_log_record(request=request, response=response, interface="api")
    return JsonResponse(
        {
            "log_id": log_id,
            "query": search_request.as_dict(),
            "total": response.total,
            "pages": response.pages,
            "hits": response.hits,
            "query_coins": [{"slug": s, "name": COIN_BY_SLUG[s].name} for s in response.query_coins],
            "timings_ms": response.timings_ms,
            "index_version": response.index_version,
            "ranker": response.ranker_id,
        }
    )


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
    }
    if holder.load_error:
        body["index_error"] = holder.load_error
    return JsonResponse(body, status=200 if index is not None else 503)
