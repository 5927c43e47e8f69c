"""Thin page views over the search service. The JSON API is in search/api.py."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

from evaluation.query_log import search_log_record

from .document_blocks import build_blocks, table_of_contents
from .models import Document, IndexBuild
from .nlp import identifiers
from .nlp.coins import COIN_BY_SLUG, COINS
from .grouping import cards
from .key_terms import readable_key_terms
from .presenters import document_info, sentence_info
from .result_page import layout
from .search_request import MAX_QUERY_CHARS, InvalidQuery, SearchRequest, parse_request
from .search_service import run_search
from .serving_state import get_index
from .site_stats import corpus_stats, summarize, surface_forms
from .source_status import sources_status


EXAMPLE_QUESTIONS = [
    "how does EIP-1559 burn fees?",
    "what is proof of stake",
    "BIP32 hierarchical deterministic wallets",
    "how do stablecoins keep their peg",
    "what is a Lightning Network payment channel",
    "Hamster Kombat HMSTR airdrop",
]
KEY_TERMS = 12  # shown on a document page, after readable_key_terms drops the noise
INDEX_BUILDING = "The search index is being built. Please try again in a minute."

# The markup of one hit is written once (search/_hit.html); the page's JavaScript clones this
# empty rendering of it for results that arrive from /api/search.
HIT_SKELETON = {
    "id": 0, "html": "", "coins": [], "coin_badges": [], "context_before": [], "context_after": [],
    "sentiment": {"label": "neutral", "score": 0.0, "shown": False}, "also_in": 0, "explain": {}, "best_match": False,
    "best_match_sentences": [],
    "document": {"id": 0, "title": "", "url": "", "source": "", "date": None, "identifiers": []},
}


def _unavailable(request, message: str = INDEX_BUILDING):
    return render(request, "search/unavailable.html", {"message": message}, status=503)


def _coin_badges(slugs: list[str]) -> list[dict]:
    return [{"slug": s, "name": COIN_BY_SLUG[s].name if s in COIN_BY_SLUG else s} for s in slugs]


@require_safe
def home(request):
    index = get_index()
    return render(request, "search/home.html", {
        "index": index,
        "examples": EXAMPLE_QUESTIONS,
        "stats": corpus_stats(index) if index else None,
        "build": IndexBuild.objects.active().first() if index else None,
        "sources_status": sources_status(),
    })


def _search_url(search: SearchRequest, **changes) -> str:
    """The bookmarkable /search/ query string of a request, with some parameters changed."""
    params = {**search.as_dict(), **changes}
    pairs = [(name, value) for name in ("q", "coin", "source", "from", "to", "sort", "page")
             for value in (params[name] if isinstance(params[name], list) else [params[name]])
             if value not in (None, "")]
    pairs = [(n, v) for n, v in pairs if not (n == "page" and v == 1) and not (n == "sort" and v == "relevance")]
    return "?" + urlencode(pairs)


def _has_empty_or_default_parameters(params) -> bool:
    return any(
        value.strip() == "" or (name == "sort" and value == "relevance") or (name == "page" and value.strip() == "1")
        for name in ("q", "coin", "source", "from", "to", "sort", "page") for value in params.getlist(name)
    )


@require_safe
@ensure_csrf_cookie  # the page posts clicks and votes
def search_page(request):
    index = get_index()
    if index is None:
        return _unavailable(request)
    context = {"coins": COINS, "sources": index.sources, "hit_skeleton": HIT_SKELETON, "examples": EXAMPLE_QUESTIONS}
    try:
        search = parse_request(request.GET)
    except InvalidQuery as exc:
        raw = {"q": request.GET.get("q", "")[:MAX_QUERY_CHARS]}
        return render(request, "search/results.html", {**context, "error": str(exc), "error_field": exc.field,
                                                      "search": raw}, status=400)
    clean = _search_url(search)
    if _has_empty_or_default_parameters(request.GET):
        # The filter form without JavaScript submits every field; keep bookmarks and history clean.
        return redirect(request.path + (clean if clean != "?" else ""))
    context["search"] = search
    context["active_filters"] = (len(search.coins) + len(search.sources) + bool(search.date_from)
                                 + bool(search.date_to) + (search.sort != "relevance"))
    if not search.q:
        return render(request, "search/results.html", context)
    response = run_search(index, search)
    log_id = search_log_record(request=request, response=response, interface="web")
    hits = [{**hit, "coin_badges": _coin_badges(hit["coins"])} for hit in response.hits]
    reading = layout(response)  # document groups and the best answer (search/result_page.py)
    query_coins = [
        {**coin, "url": _search_url(search, coin=[coin["slug"]], page=1), "active": coin["slug"] in search.coins}
        for coin in _coin_badges(response.query_coins)
    ]
    filtered = bool(search.filters)
    suggestion = getattr(response, "did_you_mean", "")
    return render(request, "search/results.html", {
        **context,
        "response": response,
        "hits": hits,
        "cards": cards(reading["groups"], hits),
        "best_answer": reading["best_answer"],
        "log_id": log_id,
        "insight": summarize(response.hits),
        "query_coins": query_coins,
        "filtered": filtered,
        "did_you_mean_url": _search_url(search, q=suggestion, page=1) if suggestion else "",
        "unfiltered_url": _search_url(search, coin=[], source=[], **{"from": None, "to": None}, page=1),
        "previous_url": _search_url(search, page=search.page - 1) if response.has_previous else "",
        "next_url": _search_url(search, page=search.page + 1) if response.has_next else "",
        "explain_url": "" if search.explain else _search_url(search) + "&explain=1",
        "back_query": clean[1:],  # carried to document pages for their "back to results" link
    })


def _required_identifiers(meta: dict) -> list[str]:
    """A specification's `requires` numbers as identifiers in its own series (EIP-2718, BIP-340)."""
    prefix = str(meta.get("identifier", "")).partition("-")[0]
    if not prefix or not isinstance(meta.get("requires"), list):
        return []
    return [f"{prefix}-{n}" for n in meta["requires"] if isinstance(n, int)]


@require_safe
def document_page(request, doc_id: int):
    index = get_index()
    if index is None:
        return _unavailable(request)
    doc = index.doc_of_key(doc_id)
    if doc is None:
        raise Http404("No such document in the current index.")
    hit = request.GET.get("hit", "")
    sentence_ids = index.document_sentences(doc)
    sentences = [{**sentence_info(index, sid), "role": index.role_of(sid),
                  "coin_badges": _coin_badges(index.sentence_coins(sid))} for sid in sentence_ids]
    blocks = build_blocks(sentences)
    key_terms = [term for term, _ in index.document_key_terms(doc, limit=3 * KEY_TERMS)]
    words = surface_forms(index, key_terms, sentence_ids)
    record = Document.objects.filter(pk=doc_id).values("authors", "status", "license", "meta", "updated_at").first() or {}
    meta = record.get("meta") or {}
    info = document_info(index, doc)
    return render(request, "search/document.html", {
        "doc_id": doc_id,
        "identifiers": info["identifiers"],
        "cites": _linked_documents(index, index.cites(doc)),
        "cited_by": _linked_documents(index, index.cited_by(doc)),
        "title": info["title"],
        "url": info["url"],
        "source": info["source"],
        "published": index.doc_date_of(doc),  # a date, for the template's formats (info has it as text)
        "authors": [str(a) for a in record.get("authors") or [] if a],
        "status": record.get("status", ""),
        "license": record.get("license", ""),
        "updated": record.get("updated_at"),
        "identifier": str(meta.get("identifier", "")),
        "description": str(meta.get("description", "")),
        "requires": _required_identifiers(meta),
        "sentences": sentences,
        "blocks": blocks,
        "toc": table_of_contents(blocks),
        "back_url": _back_to_results(request),
        "summary": summarize(sentences),
        "key_terms": readable_key_terms([words[t] for t in key_terms], limit=KEY_TERMS),
        "highlight_id": int(hit) if hit.isdigit() else None,
    })


def _back_to_results(request) -> str:
    """The results page the visitor came from: the `back` parameter (a results query string, set by
    the result links) or else a Referer from this site's search page; re-validated and rebuilt, so
    only a clean /search/ address comes out. Empty when the visitor did not come from a search."""
    query = request.GET.get("back", "")
    if not query:
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc == request.get_host() and referer.path == reverse("search"):
            query = referer.query
    try:
        search = parse_request(QueryDict(query[:2000]))
    except InvalidQuery:
        return ""
    return reverse("search") + _search_url(search) if search.q else ""


def _linked_documents(index, docs: list[int]) -> list[dict]:
    """Documents for a "cites" / "cited by" list: internal links, identifiers first."""
    rows = [{"id": int(index.doc_key[d]), "identifiers": index.identifiers_of(d), "title": index.doc_title[d]}
            for d in docs]
    def order(row):
        first = identifiers.parse(row["identifiers"][0]) if row["identifiers"] else None
        return (first is None, first.key if first else 0, row["title"])

    return sorted(rows, key=order)


PAGES = {"about": "About", "faq": "Questions and answers", "privacy": "Privacy", "terms": "Terms of use"}


@require_safe
def page(request, name: str):
    """The site's static pages (about, FAQ, privacy, terms)."""
    if name not in PAGES:
        raise Http404("No such page.")
    return render(request, f"pages/{name}.html", {
        "page_title": PAGES[name],
        "retention_days": settings.LOG_RETENTION_DAYS,
        "examples": EXAMPLE_QUESTIONS,
    })
